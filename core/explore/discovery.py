"""Plays -> discoveries: what was heard for the first time, and when.

Rules every function here shares:
- **Whole history.** A first listen is the first time an artist or track appears in *all*
  of a profile's plays (of the chosen content types), never just the date range on screen.
  So the functions take ``plays_all``, the unfiltered plays localised with
  ``explore.filters.localise``, and, where a date range matters, the filtered ``frame``, which must
  be a row subset of ``plays_all`` with the same index labels (``explore.filters.apply_filters``
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

import numpy as np
import pandas as pd

from core.base import MS_PER_HOUR
from core.explore.periods import local_wall, period_codes, period_starts
from core.history.frame import (
    DEFAULT_MIN_MS,
    creator_names,
    epoch_us,
    item_names,
    level_keys,
)


def _positions(plays_all: pd.DataFrame, frame: pd.DataFrame) -> np.ndarray:
    """Where each row of ``frame`` sits in ``plays_all`` (by index label)."""
    positions = plays_all.index.get_indexer(frame.index)
    if (positions < 0).any():
        raise ValueError("frame must be a row subset of plays_all (same index labels): build both from "
                         "the same explore.load_plays result")
    return positions


def _first_plays(plays_all: pd.DataFrame, level: str, min_ms: int) -> tuple[np.ndarray, pd.Index, np.ndarray]:
    """(code of each play, the keys, position of each key's first stream or -1 if never streamed)."""
    codes, keys = pd.factorize(level_keys(plays_all, level))
    codes = np.asarray(codes)
    starts = epoch_us(plays_all["start"])
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
        "first_listen": local_wall(firsts),
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
    month = period_starts(local_wall(plays_all), "month")
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

    # per month of the frame (in time order), on the months' numbers rather than a groupby
    codes, months = period_codes(frame_month, "month")
    frame_ms = ms[positions]
    out = pd.DataFrame({"ms": np.bincount(codes, weights=frame_ms, minlength=len(months)).astype("int64"),
                        "new_ms": np.bincount(codes, weights=np.where(is_new, frame_ms, 0),
                                              minlength=len(months)).astype("int64")},
                       index=pd.Index(months, name="month"))
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
