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
    span_of,
    totals_per_period,
)


def totals(frame: pd.DataFrame) -> dict:
    """Headline numbers of a selection.

    ``streams``: plays that count as streams; ``plays``: every play; ``hours``: ms_played of
    every play, to one decimal; ``tracks`` (songs, however many ids each has), ``artists``, ``albums``: distinct among music
    streams (an album is its name with its artist, so two "Greatest Hits" stay apart);
    ``days_listened``: distinct local dates with any play.
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
        "days_listened": int(pd.unique(local_wall(frame).astype("datetime64[D]")).size),
    }


def listening_time(frame: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Listening per day, week (from Monday), month or year, in local time.

    Columns ``period_start`` (naive local timestamp), ``hours`` (all plays) and ``streams``.
    Every period from the first to the last play is present, with zeros where nothing was
    played (a year without plays shows as 0, not as a missing bar).
    """
    return totals_per_period(frame, period, span_of(local_wall(frame), period))
