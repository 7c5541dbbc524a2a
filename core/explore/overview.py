"""The explore frame -> Overview's totals and listening time per period.

Two measures: **streams** count plays with ``is_stream``; **hours** sum ``ms_played`` of
*all* plays, because time spent listening to a skipped track is still time spent listening.

Each aggregate here adds up over content types (music, podcasts …: disjoint plays), so a
page can keep one part per content type and add the parts up when the content chosen
changes: ``x_part(frame)`` of one content's rows, ``x_of(parts)`` of several contents'
parts, and ``x(frame) == x_of([x_part(frame)])``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from core.base import MS_PER_HOUR
from core.explore.periods import (
    UNIT,
    Period,
    day_sums,
    period_sums,
    place_sums,
    span,
)

_SUMMED = ("streams", "plays", "tracks", "artists", "albums")  # and the time, in ms


def totals(frame: pd.DataFrame) -> dict:
    """Headline numbers of a selection: ``counts`` and ``days_listened``."""
    return {**counts(frame), "days_listened": days_listened(frame)}


def counts(frame: pd.DataFrame) -> dict:
    """The headline numbers that read no local time (the same plays in any zone give the same).

    ``streams``: plays that count as streams; ``plays``: every play; ``hours``: ms_played of
    every play, to one decimal; ``tracks`` (songs, however many ids each has), ``artists``,
    ``albums``: distinct among music streams (an album is its name with its artist, so two
    "Greatest Hits" stay apart).
    """
    return counts_of([counts_part(frame)])


def counts_part(frame: pd.DataFrame) -> dict:
    """``counts`` of one content's plays, with the time in whole milliseconds (``ms``)."""
    streams = frame["is_stream"].to_numpy(dtype=bool)
    music = np.flatnonzero(streams & (frame["content_type"] == "music").to_numpy())  # where music streams are
    named = music[frame["track_name"].notna().to_numpy()[music]]
    return {
        "streams": int(np.count_nonzero(streams)),
        "plays": len(frame),
        "ms": int(frame["ms_played"].sum()),
        "tracks": _distinct(named, frame["song_key"]),
        "artists": _distinct(music, frame["artist_name"]),
        "albums": _distinct(music, frame["album_name"], by=frame["artist_name"]),
    }


def _distinct(rows: np.ndarray, column: pd.Series, by: pd.Series | None = None) -> int:
    """How many distinct values of ``column`` (with ``by``: distinct pairs of the two) the
    ``rows`` (positions) have, leaving out rows with a missing value. Counted on categoricals'
    codes, and only those of the rows (small integers): in a running app fresh memory costs
    more than the counting, and ``nunique`` or a groupby over a million names 10-20 ms."""
    columns = (column,) if by is None else (column, by)
    if not all(isinstance(c.dtype, pd.CategoricalDtype) for c in columns):
        kept = pd.DataFrame({str(i): c.to_numpy()[rows] for i, c in enumerate(columns)})
        return int(kept.groupby(list(kept.columns)).ngroups)  # rows with a missing value are left out
    codes, size = column.cat.codes.to_numpy().take(rows), len(column.cat.categories)
    if by is None:
        seen = np.zeros(size + 1, dtype=bool)
        seen[codes] = True  # a missing value (-1) marks the last place, left out
        return int(np.count_nonzero(seen[:-1]))
    by_codes, width = by.cat.codes.to_numpy().take(rows), len(by.cat.categories)
    if (size + 1) * (width + 1) <= len(codes):  # a table of every pair, no larger than the rows
        seen = np.zeros((size + 1, width + 1), dtype=bool)
        seen[codes, by_codes] = True
        return int(np.count_nonzero(seen[:-1, :-1]))
    known = (codes >= 0) & (by_codes >= 0)
    values, pairs = codes[known], by_codes[known]
    # every value with its first row's pair, then the other pairs (few: a value mostly has one)
    first = np.full(size, -1, dtype=np.int64)
    first[values[::-1]] = pairs[::-1]  # the last write wins: each value's first pair
    other = pairs != first[values]
    return int(np.count_nonzero(first >= 0)) + len(pd.unique(values[other].astype(np.int64) * width + pairs[other]))


def counts_of(parts: list[dict]) -> dict:
    """``counts`` of the plays of several contents from their ``counts_part``. Plays, streams
    and time add up; so do tracks, artists and albums, which count music streams alone: only
    the music part has any."""
    return {**{name: sum(part[name] for part in parts) for name in _SUMMED},
            "hours": round(sum(part["ms"] for part in parts) / MS_PER_HOUR, 1)}


def days_listened(frame: pd.DataFrame) -> int:
    """Distinct local dates with any play."""
    return days_listened_of([days_part(frame)])


def days_part(frame: pd.DataFrame) -> np.ndarray:
    """The local dates with a play (``datetime64[us]`` midnights, ascending)."""
    return days_of(day_sums(frame))


def days_of(sums: pd.DataFrame) -> np.ndarray:
    """``days_part`` of some plays from their ``day_sums``."""
    return sums["period_start"].to_numpy(dtype=UNIT)


def days_listened_of(parts: list[np.ndarray]) -> int:
    """``days_listened`` of several contents' plays from their ``days_part``."""
    return len(parts[0]) if len(parts) == 1 else len(np.unique(np.concatenate(parts)))


def listening_time(frame: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Listening per day, week (from Monday), month or year, in local time.

    Columns ``period_start`` (naive local timestamp), ``hours`` (all plays) and ``streams``.
    Every period from the first to the last play is present, with zeros where nothing was
    played (a year without plays shows as 0, not as a missing bar).
    """
    return listening_time_of([period_sums(frame, period)], period)


def listening_time_of(parts: list[pd.DataFrame], period: Period) -> pd.DataFrame:
    """``listening_time`` of several contents' plays from their ``period_sums`` (its part: per
    period with a play, the whole milliseconds and streams)."""
    sums = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    return place_sums(sums, span(sums["period_start"].to_numpy(dtype=UNIT), period))  # first to last, gaps too
