"""Plays -> discoveries: what was heard for the first time, when, and what fell silent.

Rules every function here shares:
- **Whole history.** A first listen is the first time an artist or track appears in *all*
  of a profile's plays (of the chosen content types), never just the date range on screen.
  So the functions take ``plays_all``, the unfiltered plays localised with
  ``explore.localise``, and, where a date range matters, the filtered ``frame``, which must
  be a row subset of ``plays_all`` with the same index labels (``explore.apply_filters``
  keeps ``load_plays``' index, so this holds for frames built from the same plays).
- **Hearing means streaming.** A first listen is the first play of at least ``min_ms``
  (the stream rule on screen, 30 s by default): a two-second skip in shuffle does not
  count as discovering a track. Stream counts use the same threshold; listening time
  ("hours") counts every play's ``ms_played``.
- **Names.** The "artist" is ``artist_name``, else the podcast's show, else the audiobook's
  title; the "track" is ``track_key`` (Spotify id, else "artist — title"), else the
  episode, else the audiobook. Plays with none of these (rare exports rows with no
  metadata) are never a discovery.
- Times are local wall-clock times (naive ``datetime64``) in the zone of ``plays_all``'s
  ``local`` column; months are local calendar months.
"""
from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from core import charts
from core.explore import DEFAULT_MIN_MS

LEVELS = ("artist", "track")
MS_PER_HOUR = 3_600_000
_US_PER_SECOND = 1_000_000
_US_PER_DAY = 86_400 * _US_PER_SECOND


def creator_names(frame: pd.DataFrame) -> pd.Series:
    """Who made each play: the artist, else the podcast show, else the audiobook title."""
    names = frame["artist_name"]
    if names.isna().any():
        names = (names.astype(object).fillna(frame["show_name"].astype(object))
                 .fillna(frame["audiobook_title"].astype(object)))
    return names


def item_keys(frame: pd.DataFrame) -> pd.Series:
    """What each play was: ``track_key``, else "episode:show — episode", else "audiobook:title"."""
    known_track = frame["track_id"].notna() | frame["track_name"].notna()
    keys = frame["track_key"].astype(object).where(known_track)
    if frame["episode_name"].notna().any():
        keys = keys.fillna("episode:" + frame["show_name"].astype(object).fillna("?") + " — "
                           + frame["episode_name"].astype(object))
    if frame["audiobook_title"].notna().any():
        keys = keys.fillna("audiobook:" + frame["audiobook_title"].astype(object))
    return keys


def item_names(frame: pd.DataFrame) -> pd.Series:
    """The title of each play: the track, else the episode, else the audiobook."""
    return (frame["track_name"].astype(object).fillna(frame["episode_name"].astype(object))
            .fillna(frame["audiobook_title"].astype(object)))


def _epoch_us(times: pd.Series) -> np.ndarray:
    """Microseconds since the epoch of a tz-aware or naive datetime column."""
    if times.dt.tz is not None:
        times = times.dt.tz_convert("UTC").dt.tz_localize(None)
    return times.to_numpy().astype("datetime64[us]").view("int64")


def _wall_clock(plays: pd.DataFrame) -> np.ndarray:
    """The local start of each play as naive datetime64[us] (the clock on the wall)."""
    return plays["local"].dt.tz_localize(None).to_numpy().astype("datetime64[us]")


def _positions(plays_all: pd.DataFrame, frame: pd.DataFrame) -> np.ndarray:
    """Where each row of ``frame`` sits in ``plays_all`` (by index label)."""
    positions = plays_all.index.get_indexer(frame.index)
    if (positions < 0).any():
        raise ValueError("frame must be a row subset of plays_all (same index labels): build both from "
                         "the same explore.load_plays result")
    return positions


def _keys(plays: pd.DataFrame, level: str) -> pd.Series:
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, not {level!r}")
    return creator_names(plays) if level == "artist" else item_keys(plays)


def _first_plays(plays_all: pd.DataFrame, level: str, min_ms: int) -> tuple[np.ndarray, pd.Index, np.ndarray]:
    """(code of each play, the keys, position of each key's first stream or -1 if never streamed)."""
    codes, keys = pd.factorize(_keys(plays_all, level))
    codes = np.asarray(codes)
    starts = _epoch_us(plays_all["start"])
    # explore.load_plays returns plays in start order; sort only when given something else
    order = (np.arange(len(starts)) if np.all(starts[1:] >= starts[:-1])
             else np.argsort(starts, kind="stable"))
    eligible = order[(plays_all["ms_played"].to_numpy()[order] >= min_ms) & (codes[order] >= 0)]
    eligible_codes = codes[eligible]
    # first occurrence of each code in time order (hash-based, no second sort)
    first_of_each = pd.Series(eligible_codes).drop_duplicates().index.to_numpy()
    first = np.full(len(keys), -1, dtype=np.int64)
    first[eligible_codes[first_of_each]] = eligible[first_of_each]
    return codes, keys, first


def _first_table(plays_all: pd.DataFrame, level: str, min_ms: int) -> pd.DataFrame:
    """One row per streamed artist/track with its first listen's position ``row``, in discovery order."""
    codes, _, first = _first_plays(plays_all, level, min_ms)
    valid = codes >= 0
    stream = valid & (plays_all["ms_played"].to_numpy() >= min_ms)
    streams = np.bincount(codes[stream], minlength=len(first))
    hours = np.bincount(codes[valid], weights=plays_all["ms_played"].to_numpy()[valid], minlength=len(first))
    streamed = np.flatnonzero(first >= 0)
    rows = first[streamed]
    firsts = plays_all.iloc[rows]
    table = {"artist": creator_names(firsts).astype("str").to_numpy()}
    if level == "track":
        table = {"track": item_names(firsts).astype("str").to_numpy(), **table}
    table |= {
        "first_listen": _wall_clock(firsts),
        "streams": streams[streamed].astype("int64"),
        "hours": hours[streamed] / MS_PER_HOUR,
        "row": rows,
    }
    out = pd.DataFrame(table)
    return out.sort_values(["first_listen", "row"], kind="stable").reset_index(drop=True)


def first_listens(plays_all: pd.DataFrame, level: str = "artist", min_ms: int = DEFAULT_MIN_MS) -> pd.DataFrame:
    """Every artist (or track) ever streamed, in order of discovery, over the whole history.

    Columns: [``track``,] ``artist``, ``first_listen`` (local wall clock), ``streams`` (all
    streams ever, which all come at or after the first listen) and ``hours`` (all plays).
    """
    return _first_table(plays_all, level, min_ms).drop(columns="row")


def new_per_month(plays_all: pd.DataFrame, frame: pd.DataFrame, min_ms: int = DEFAULT_MIN_MS) -> pd.DataFrame:
    """Per local month of ``frame``: new artists, new tracks, and the share of listening that was new.

    A discovery is counted in the month of its first listen over the whole history, and
    only if that first listen is in ``frame`` (so the date range on screen is honoured
    exactly). ``share_of_listening_new`` = hours that month on tracks first heard that same
    month / hours that month (all plays of ``frame``). Months without plays in ``frame``
    are left out.

    Columns: ``month``, ``new_artists``, ``new_tracks``, ``hours``, ``new_hours``,
    ``share_of_listening_new``.
    """
    positions = _positions(plays_all, frame)
    month = _wall_clock(plays_all).astype("datetime64[M]").astype("datetime64[us]")
    in_frame = np.zeros(len(plays_all), dtype=bool)
    in_frame[positions] = True
    ms = plays_all["ms_played"].to_numpy()

    _, _, artist_first = _first_plays(plays_all, "artist", min_ms)
    track_codes, _, track_first = _first_plays(plays_all, "track", min_ms)
    counts = {}
    for column, first in (("new_artists", artist_first), ("new_tracks", track_first)):
        rows = first[first >= 0]
        counts[column] = pd.Series(month[rows[in_frame[rows]]]).value_counts()
    # hours on tracks whose first listen falls in the month being played
    item_first = np.where(track_codes >= 0, track_first[track_codes], -1)
    first_month = np.where(item_first >= 0, month[np.maximum(item_first, 0)], np.datetime64("NaT", "us"))
    frame_month = month[positions]
    is_new = first_month[positions] == frame_month

    hours = pd.DataFrame({"month": frame_month, "ms": ms[positions], "new_ms": np.where(is_new, ms[positions], 0)})
    out = hours.groupby("month").sum()
    out["new_artists"] = counts["new_artists"].reindex(out.index, fill_value=0).astype("int64")
    out["new_tracks"] = counts["new_tracks"].reindex(out.index, fill_value=0).astype("int64")
    out["hours"] = out["ms"] / MS_PER_HOUR
    out["new_hours"] = out["new_ms"] / MS_PER_HOUR
    out["share_of_listening_new"] = (out["new_ms"] / out["ms"]).where(out["ms"] > 0)
    return out.reset_index()[["month", "new_artists", "new_tracks", "hours", "new_hours", "share_of_listening_new"]]


def first_listen_timeline(plays_all: pd.DataFrame, frame: pd.DataFrame, min_ms: int = DEFAULT_MIN_MS) -> pd.DataFrame:
    """The artists first heard within ``frame``, in order of discovery.

    Columns: ``artist``, ``first_listen`` (local wall clock), ``streams`` and ``hours`` since
    (over the whole history, not only the date range: "how far did this discovery go").
    """
    positions = _positions(plays_all, frame)
    table = _first_table(plays_all, "artist", min_ms)
    in_frame = np.zeros(len(plays_all), dtype=bool)
    in_frame[positions] = True
    return table[in_frame[table["row"].to_numpy()]].drop(columns="row").reset_index(drop=True)


def timeline_chart(data: pd.DataFrame, title: str) -> alt.Chart:
    """Artists as points: x = first listen, y = streams since (log scale: every artist here
    has at least one stream), tooltip name.

    charts.py has no scatter; this lives next to its aggregate. The x axis uses a UTC scale
    because ``first_listen`` is a naive wall-clock time: shown as is, in any browser zone.
    """
    return (
        alt.Chart(data, title=title)
        .mark_circle(color=charts.ACCENT, opacity=0.6, size=40)
        .encode(
            x=alt.X("first_listen:T", title="first listen", scale=alt.Scale(type="utc"),
                    axis=alt.Axis(format="%b %Y")),
            y=alt.Y("streams:Q", title="streams since (log scale)", scale=alt.Scale(type="log")),
            tooltip=[alt.Tooltip("artist:N", title="artist"),
                     alt.Tooltip("first_listen:T", title="first listen", format="%d %b %Y", formatType="utc"),
                     alt.Tooltip("streams:Q", title="streams since", format=","),
                     alt.Tooltip("hours:Q", title="hours since", format=",.1f")],
        )
        .properties(height=charts.HEIGHT)
    )


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


def forgotten_favourites(plays_all: pd.DataFrame, now: pd.Timestamp | None = None, level: str = "track",
                         min_streams: int = 10, quiet_days: int = 365, window_days: int = 90,
                         min_ms: int = DEFAULT_MIN_MS, limit: int = 50) -> pd.DataFrame:
    """Tracks (or artists) once on heavy rotation that have not been streamed for a long time.

    The rule: something is a *favourite* when its best ``window_days``-day window (the
    ``window_days`` days from one of its streams) holds at least ``min_streams`` streams;
    it is *forgotten* when its last stream started at least ``quiet_days`` days before
    ``now``. Only plays that started before ``now`` are considered, so the answer is
    deterministic for an explicit ``now`` (tz-aware; naive means UTC). ``now`` defaults to
    the end of the latest play in ``plays_all`` (the end of the history, not the wall clock:
    an export months old should not make everything look forgotten).

    Ordered by peak streams, then total streams, then name; at most ``limit`` rows.
    Columns: [``track``,] ``artist``, ``streams``, ``peak_streams``, ``peak_from`` (local date
    the best window starts), ``last_played`` (local date), ``days_quiet`` (whole days).
    """
    name_columns = ["track", "artist"] if level == "track" else ["artist"]
    columns = [*name_columns, "streams", "peak_streams", "peak_from", "last_played", "days_quiet"]
    if plays_all.empty:
        dtypes = {"streams": "int64", "peak_streams": "int64", "days_quiet": "int64", "peak_from": object,
                  "last_played": object}
        return pd.DataFrame({c: pd.Series(dtype=dtypes.get(c, "str")) for c in columns})
    if now is None:
        now = plays_all["end"].max()
    now = pd.Timestamp(now)
    now = now.tz_localize("UTC") if now.tzinfo is None else now
    now_us = int(np.datetime64(now.tz_convert("UTC").tz_localize(None), "us").astype(np.int64))

    codes = np.asarray(pd.factorize(_keys(plays_all, level))[0])
    start_us = _epoch_us(plays_all["start"])
    rows = np.flatnonzero((codes >= 0) & (plays_all["ms_played"].to_numpy() >= min_ms) & (start_us < now_us))
    order, in_window = _peak_windows(codes[rows], start_us[rows], window_days * _US_PER_DAY)
    ranked = pd.DataFrame({"code": codes[rows][order], "row": rows[order], "start": start_us[rows][order],
                           "in_window": in_window})
    per_code = ranked.groupby("code").agg(streams=("row", "size"), last=("start", "max"), last_row=("row", "last"))
    # the best window: most streams, earliest on a tie
    best = ranked.sort_values(["code", "in_window", "start"], ascending=[True, False, True], kind="stable")
    best = best.drop_duplicates("code").set_index("code")
    per_code["peak_streams"] = best["in_window"]
    per_code["peak_row"] = best["row"]
    per_code["days_quiet"] = (now_us - per_code["last"]) // _US_PER_DAY
    chosen = per_code[(per_code["peak_streams"] >= min_streams)
                      & (now_us - per_code["last"] >= quiet_days * _US_PER_DAY)]

    last_plays = plays_all.iloc[chosen["last_row"].to_numpy()]
    out = pd.DataFrame({
        "artist": creator_names(last_plays).astype("str").to_numpy(),
        "streams": chosen["streams"].to_numpy(dtype="int64"),
        "peak_streams": chosen["peak_streams"].to_numpy(dtype="int64"),
        "peak_from": plays_all["date"].to_numpy()[chosen["peak_row"].to_numpy()],
        "last_played": last_plays["date"].to_numpy(),
        "days_quiet": chosen["days_quiet"].to_numpy(dtype="int64"),
    })
    if level == "track":
        out.insert(0, "track", item_names(last_plays).astype("str").to_numpy())
    out = out.sort_values(["peak_streams", "streams", name_columns[0]], ascending=[False, False, True], kind="stable")
    return out.head(limit).reset_index(drop=True)[columns]
