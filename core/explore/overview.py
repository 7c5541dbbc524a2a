"""The explore frame -> Overview's totals and listening time per period.

Two measures: **streams** count plays with ``is_stream``; **hours** sum ``ms_played`` of
*all* plays, because time spent listening to a skipped track is still time spent listening.
"""
from __future__ import annotations

import pandas as pd

from core.base import MS_PER_HOUR
from core.explore.periods import (
    Period,
    local_wall,
    period_codes,
    span_of,
    totals_per_period,
)


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
    music = frame.loc[frame["is_stream"] & (frame["content_type"] == "music"),
                      ["track_name", "song_key", "artist_name", "album_name"]]
    return {
        "streams": int(frame["is_stream"].sum()),
        "plays": len(frame),
        "hours": round(int(frame["ms_played"].sum()) / MS_PER_HOUR, 1),
        "tracks": int(music.loc[music["track_name"].notna(), "song_key"].nunique()),
        "artists": int(music["artist_name"].nunique()),
        "albums": int(music.groupby(["album_name", "artist_name"], observed=True).ngroups),
    }


def days_listened(frame: pd.DataFrame) -> int:
    """Distinct local dates with any play."""
    return len(period_codes(local_wall(frame), "day")[1])


def listening_time(frame: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Listening per day, week (from Monday), month or year, in local time.

    Columns ``period_start`` (naive local timestamp), ``hours`` (all plays) and ``streams``.
    Every period from the first to the last play is present, with zeros where nothing was
    played (a year without plays shows as 0, not as a missing bar).
    """
    return totals_per_period(frame, period, span_of(local_wall(frame), period))
