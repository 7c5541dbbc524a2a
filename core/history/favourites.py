"""Favourites: what a person loves, played most, used to play and has overplayed.

- ``forgotten_favourites``: songs (or artists) once on heavy rotation that have fallen
  silent; one rule for the Discovery page, the Taste model page and the chat.
- ``song_facts``: per song, how often, how recently and in which years it was streamed,
  how often skipped, and ``love`` (how much the person loves it, from their history
  alone); the chat reads "songs I love", "my top songs from 2019", "songs I haven't played
  in ages" and "nothing I've overplayed" from it, through ``overplayed`` and ``LOVED_MIN``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.history.frame import (
    DEFAULT_MIN_MS,
    common_codes,
    creator_names,
    epoch_us,
    item_names,
    level_keys,
    play_order,
    rows_of,
    run_starts,
)

MIN_STREAMS = 10  # a favourite: this many streams ...
WINDOW_DAYS = 90  # ... within this many days
QUIET_DAYS = 365  # forgotten: no stream for this many days

_US_PER_SECOND = 1_000_000
_US_PER_DAY = 86_400 * _US_PER_SECOND


def _peak_windows(codes: np.ndarray, times_us: np.ndarray, window_us: int) -> tuple[np.ndarray, np.ndarray]:
    """How many rows of the same code fall in [time, time + window) from each row.

    Returns (the order that sorts rows by code then time, the count per row in that order).
    Times are compared in whole seconds: sorting on one integer, code * span + seconds,
    lets a single ``searchsorted`` answer every group at once.
    """
    seconds = times_us // _US_PER_SECOND
    seconds = seconds - (seconds.min() if len(seconds) else 0)
    window_s = window_us // _US_PER_SECOND
    span = (int(seconds.max()) if len(seconds) else 0) + window_s + 1  # groups never overlap
    composite = codes.astype(np.int64) * span + seconds
    order = np.argsort(composite, kind="stable")
    composite = composite[order]
    ends = np.searchsorted(composite, composite + window_s, side="left")
    return order, ends - np.arange(len(composite))


@dataclass(frozen=True, eq=False)
class FavouritePart:
    """Some plays as ``forgotten_of`` adds them up: the plays, what each is a play of (codes
    among ``keys``, -1 for none), its UTC start and length. One per content type: they are
    disjoint plays, so several are combined rather than copied into one frame. Made by
    ``favourite_part``."""

    plays: pd.DataFrame
    level: str
    codes: np.ndarray
    keys: pd.Index
    start_us: np.ndarray
    ms: np.ndarray


def favourite_part(plays: pd.DataFrame, level: str = "track",
                   coded: tuple[np.ndarray, pd.Index] | None = None) -> FavouritePart:
    """``plays`` for ``forgotten_of``. ``coded``: each play's code among some keys (its
    ``level_keys``; -1 for none) and those keys, when the caller has them: any numbering, and
    keys without plays here are allowed (``explore.FirstListens`` numbers a whole history's)."""
    codes, keys = coded if coded is not None else pd.factorize(level_keys(plays, level))
    return FavouritePart(plays=plays, level=level, codes=np.asarray(codes), keys=keys,
                         start_us=epoch_us(plays["start"]), ms=plays["ms_played"].to_numpy())


def forgotten_favourites(plays_all: pd.DataFrame, now: pd.Timestamp | None = None, level: str = "track",
                         min_streams: int = MIN_STREAMS, quiet_days: int = QUIET_DAYS, window_days: int = WINDOW_DAYS,
                         min_ms: int = DEFAULT_MIN_MS, limit: int = 50) -> pd.DataFrame:
    """Tracks (or artists) once on heavy rotation that have not been streamed for a long time.

    The rule: something is a *favourite* when its best ``window_days``-day window (the
    ``window_days`` days from one of its streams) holds at least ``min_streams`` streams;
    it is *forgotten* when its last stream started at least ``quiet_days`` days before
    ``now``. Only plays that started before ``now`` are considered, so the answer is
    deterministic for an explicit ``now`` (tz-aware; naive means UTC). ``now`` defaults to
    the end of the latest play in ``plays_all`` (the end of the history, not the wall clock:
    an export months old should not make everything look forgotten).

    Ordered by peak streams, then total streams, then name, then key; at most ``limit`` rows.
    Columns: [``track``,] ``artist``, ``streams``, ``peak_streams``, ``peak_from`` (the date
    the best window starts), ``last_played`` (date), ``days_quiet`` (whole days) and ``key``
    (what ``level_keys`` calls it). Dates are local when the frame has a ``local`` column
    (the Explore pages), else UTC.
    """
    return forgotten_of([favourite_part(plays_all, level)], now=now, min_streams=min_streams, quiet_days=quiet_days,
                        window_days=window_days, min_ms=min_ms, limit=limit)


def forgotten_of(parts: list[FavouritePart], now: pd.Timestamp | None = None, min_streams: int = MIN_STREAMS,
                 quiet_days: int = QUIET_DAYS, window_days: int = WINDOW_DAYS, min_ms: int = DEFAULT_MIN_MS,
                 limit: int = 50) -> pd.DataFrame:
    """``forgotten_favourites`` of all the parts' plays together (``favourite_part`` of each
    content type, all of one level; ``now`` defaults to the end of their latest play)."""
    level = parts[0].level
    if any(part.level != level for part in parts):
        raise ValueError("forgotten_of needs parts of one level")
    name_columns = ["track", "artist"] if level == "track" else ["artist"]
    columns = [*name_columns, "streams", "peak_streams", "peak_from", "last_played", "days_quiet", "key"]
    if all(part.plays.empty for part in parts):
        dtypes = {"streams": "int64", "peak_streams": "int64", "days_quiet": "int64", "peak_from": object,
                  "last_played": object}
        return pd.DataFrame({c: pd.Series(dtype=dtypes.get(c, "str")) for c in columns})
    if now is None:
        now = max(part.plays["end"].max() for part in parts if not part.plays.empty)
    now = pd.Timestamp(now)
    now = now.tz_localize("UTC") if now.tzinfo is None else now
    now_us = int(np.datetime64(now.tz_convert("UTC").tz_localize(None), "us").astype(np.int64))

    keys, codes = common_codes([(part.codes, part.keys) for part in parts])
    # only what could be a forgotten favourite: enough streams, the last one long enough ago
    # (bincount and max per part; the windows below sort what is left)
    streams = np.zeros(len(keys), dtype=np.int64)
    last = np.full(len(keys), np.iinfo(np.int64).min)
    rows = []
    for part, its_codes in zip(parts, codes):
        streamed = np.flatnonzero((its_codes >= 0) & (part.ms >= min_ms) & (part.start_us < now_us))
        rows.append(streamed)
        streams += np.bincount(its_codes[streamed], minlength=len(keys))
        np.maximum.at(last, its_codes[streamed], part.start_us[streamed])
    candidate = (streams >= min_streams) & (now_us - last >= quiet_days * _US_PER_DAY)
    rows = [its_rows[candidate[its_codes[its_rows]]] for its_rows, its_codes in zip(rows, codes)]
    # the candidates' streams of every part, in one frame's order of them all (by index label)
    part_of = np.repeat(np.arange(len(parts)), [len(its_rows) for its_rows in rows])
    row = np.concatenate(rows)
    code = np.concatenate([its_codes[its_rows] for its_rows, its_codes in zip(rows, codes)])
    start_us = np.concatenate([part.start_us[its_rows] for part, its_rows in zip(parts, rows)])
    if len(parts) > 1:
        in_order = np.argsort(play_order([part.plays for part in parts], part_of, row), kind="stable")
        part_of, row, code, start_us = part_of[in_order], row[in_order], code[in_order], start_us[in_order]
    order, in_window = _peak_windows(code, start_us, window_days * _US_PER_DAY)
    # per code, one run of its streams in time order: its size, its last stream, and its best
    # window (most streams, the earliest on a tie)
    code, start_us = code[order], start_us[order]
    count = len(code)
    bounds = run_starts(code)
    ends = np.r_[bounds[1:], count] - 1 if count else bounds
    best = np.maximum.reduceat(in_window.astype(np.int64) * (count + 1) + (count - np.arange(count)), bounds) \
        if count else np.zeros(0, dtype=np.int64)
    peak, peak_at = best // (count + 1), order[count - best % (count + 1)]
    streams, last, last_at = ends - bounds + 1, start_us[ends], order[ends]
    chosen = np.flatnonzero((peak >= min_streams) & (now_us - last >= quiet_days * _US_PER_DAY))
    # named: the chosen in order of peak, then streams, and the ties at the ``limit``-th (the
    # name and key order those)
    chosen = chosen[np.lexsort((-streams[chosen], -peak[chosen]))]
    if len(chosen) > limit:
        cut = chosen[limit - 1]
        chosen = chosen[(peak[chosen] > peak[cut]) | ((peak[chosen] == peak[cut]) & (streams[chosen] >= streams[cut]))]
    last_at, peak_at = last_at[chosen], peak_at[chosen]
    named = _of_plays(parts, part_of[np.r_[last_at, peak_at]], row[np.r_[last_at, peak_at]], level == "track")
    out = pd.DataFrame({
        "artist": named["artist"][:len(chosen)],
        "streams": streams[chosen].astype("int64"),
        "peak_streams": peak[chosen].astype("int64"),
        "peak_from": named["date"][len(chosen):],
        "last_played": named["date"][:len(chosen)],
        "days_quiet": ((now_us - last[chosen]) // _US_PER_DAY).astype("int64"),
        "key": np.asarray(keys, dtype=object)[code[bounds[chosen]]],
    })
    if level == "track":
        out.insert(0, "track", named["track"][:len(chosen)])
    out = out.sort_values(["peak_streams", "streams", name_columns[0], "key"], ascending=[False, False, True, True],
                          kind="stable")
    return out.head(limit).reset_index(drop=True)[columns]


def _of_plays(parts: list[FavouritePart], part_of: np.ndarray, rows: np.ndarray, tracks: bool) -> dict[str, np.ndarray]:
    """The artist (and with ``tracks``, the track) and the local, else UTC, start date of the
    plays at ``rows`` of the parts ``part_of`` (one take of each part's rows)."""
    out = {name: np.empty(len(rows), dtype=object) for name in ("artist", "track", "date")}
    for here, plays in rows_of([part.plays for part in parts], part_of, rows):
        out["artist"][here] = creator_names(plays).astype("str").to_numpy()
        if tracks:
            out["track"][here] = item_names(plays).astype("str").to_numpy()
        times = plays["local"] if "local" in plays.columns else plays["start"]
        out["date"][here] = times.dt.date.to_numpy()
    return out


LOVED_MIN = 3  # a song the person loves: at least this many streams ...
LOVE_HALF_LIFE_DAYS = 365  # ... and a stream this old counts half towards how much
RECENT_DAYS = 90  # "recently": the last 90 days of the history
OVERPLAYED_TOP = 25  # overplayed: among the 25 most streamed songs, ever or recently
USED_TO_QUIET_DAYS = 180  # "used to play a lot": at least LOVED_MIN streams, none in the last 180 days
NOT_LATELY_DAYS = 365  # "haven't played in ages": none in the last year


def song_facts(plays: pd.DataFrame, now: pd.Timestamp | None = None, min_ms: int = DEFAULT_MIN_MS) -> pd.DataFrame:
    """One row per song of the music plays (index ``song_key``): ``streams``, ``skips`` (plays
    the skip rule calls skips), ``recent`` (streams in the last ``RECENT_DAYS``), ``last_days``
    and ``first_days`` (days from the first/last stream to ``now``; NaN when never streamed),
    ``love``, ``forgotten`` (a forgotten favourite by ``forgotten_favourites``' rule) and one
    ``streams_YYYY`` column per year of the history (UTC years).

    ``love`` is the person's own measure of a song, in 0..1 (a percentile among the songs
    with at least ``LOVED_MIN`` streams, 0 for the others): its streams, each weighted by
    recency (a stream ``LOVE_HALF_LIFE_DAYS`` old counts half), times the share of its
    plays that were not skipped. ``now``: the end of the history by default (an export
    months old should not make everything look old).
    """
    music = plays[(plays["content_type"].astype(object) == "music").to_numpy() & plays["song_key"].notna().to_numpy()]
    codes, songs = pd.factorize(music["song_key"])
    n = len(songs)
    if now is None:
        now = plays["end"].max() if len(plays) else pd.Timestamp.now(tz="UTC")
    now_us = int(epoch_us(pd.Series([pd.Timestamp(now)])).item()) if n else 0
    start_us = epoch_us(music["start"])
    age_days = (now_us - start_us) / _US_PER_DAY
    stream = music["ms_played"].to_numpy() >= min_ms
    skip = music["skip"].to_numpy(dtype=bool) if "skip" in music.columns else np.zeros(len(music), bool)
    streams = np.bincount(codes[stream], minlength=n)
    plays_n = np.bincount(codes, minlength=n)
    skips = np.bincount(codes[skip], minlength=n)
    recent = np.bincount(codes[stream & (age_days <= RECENT_DAYS)], minlength=n)
    last = np.full(n, np.nan)
    first = np.full(n, np.nan)
    if stream.any():
        order = np.argsort(age_days[stream], kind="stable")  # youngest first
        s_codes, s_age = codes[stream][order], age_days[stream][order]
        seen = pd.Series(s_codes).drop_duplicates()
        last[seen.to_numpy()] = s_age[seen.index.to_numpy()]
        seen = pd.Series(s_codes[::-1]).drop_duplicates()
        first[seen.to_numpy()] = s_age[::-1][seen.index.to_numpy()]
    weight = np.where(stream, 0.5 ** (np.maximum(age_days, 0) / LOVE_HALF_LIFE_DAYS), 0.0)
    kept_share = 1.0 - skips / np.maximum(plays_n, 1)
    raw = np.bincount(codes, weights=weight, minlength=n) * kept_share
    eligible = streams >= LOVED_MIN
    love = np.zeros(n)
    if eligible.any():
        love[eligible] = pd.Series(raw[eligible]).rank(method="average", pct=True).to_numpy()
    out = pd.DataFrame({"streams": streams, "skips": skips, "recent": recent, "last_days": last,
                        "first_days": first, "love": love}, index=pd.Index(np.asarray(songs, dtype=object),
                                                                             name="song_key"))
    forgotten = forgotten_favourites(music, now=now, level="track", min_ms=min_ms, limit=len(out))["key"]
    out["forgotten"] = out.index.isin(forgotten.to_numpy(dtype=object))
    years = music["start"].dt.year.to_numpy()
    for year in sorted(set(years[stream].tolist())):
        out[f"streams_{year}"] = np.bincount(codes[stream & (years == year)], minlength=n)
    return out


def overplayed(facts: pd.DataFrame) -> pd.Series:
    """Songs the person has heard too much: the ``OVERPLAYED_TOP`` most streamed, ever or in
    the last ``RECENT_DAYS``."""
    ever = facts["streams"].nlargest(OVERPLAYED_TOP).index
    lately = facts.loc[facts["recent"] > 0, "recent"].nlargest(OVERPLAYED_TOP).index
    return pd.Series(facts.index.isin(ever.union(lately)), index=facts.index)
