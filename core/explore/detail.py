"""The explore frame -> one artist or song over time (the Artist & track page)."""
from __future__ import annotations

from typing import Literal

import pandas as pd

from core.base import MS_PER_HOUR
from core.explore.periods import UNIT, period_starts, span, totals_per_period
from core.explore.tops import SEPARATOR, _item_table, _text, top_items


def _monthly_ranks(frame: pd.DataFrame, by: Literal["artist", "track"], key: str) -> pd.DataFrame:
    """The item's rank among all artists/tracks in each month it was streamed: month, rank.

    Same order as ``top_items`` by streams: streams, then time, then name.
    """
    column = "artist_name" if by == "artist" else "track_key"
    keep = frame[column].notna().to_numpy()
    if by == "track":
        keep = keep & frame["track_name"].notna().to_numpy()
    values = pd.DataFrame({"month": period_starts(frame["local"], "month"), "item": frame[column].array,
                           "streams": frame["is_stream"].to_numpy(dtype="int64"),
                           "ms": frame["ms_played"].to_numpy()})[keep]
    table = values.groupby(["month", "item"], observed=True)[["streams", "ms"]].sum().reset_index()
    table = table[table["streams"] > 0]
    table["key"] = _text(table["item"]).to_numpy(dtype=object)
    names = _item_table(frame, by).set_index("key").drop(columns=["streams", "ms"])
    table = table.join(names, on="key")
    order = ["month", "streams", "ms", "name"] + (["artist"] if by == "track" else []) + ["key"]
    table = table.sort_values(order, ascending=[True, False, False] + [True] * (len(order) - 3), kind="stable")
    table["rank"] = table.groupby("month").cumcount().astype("int64") + 1
    mine = table[table["key"] == key]
    return pd.DataFrame({"month": mine["month"].to_numpy(dtype=UNIT), "rank": mine["rank"].to_numpy(dtype="int64")})


def _item_detail(frame: pd.DataFrame, mine: pd.DataFrame, by: Literal["artist", "track"], key: str) -> dict:
    streams = mine[mine["is_stream"]]
    months = span(period_starts(frame["local"], "month"), "month")
    per_month = totals_per_period(mine, "month", months).rename(columns={"period_start": "month"})
    return {
        "first_listen": streams["local"].min() if len(streams) else None,
        "last_listen": streams["local"].max() if len(streams) else None,
        "streams": len(streams),
        "hours": int(mine["ms_played"].sum()) / MS_PER_HOUR,
        "plays_over_time": per_month[["month", "streams", "hours"]],
        "rank_over_time": _monthly_ranks(frame, by, key),
    }


def artist_detail(frame: pd.DataFrame, artist: str) -> dict:
    """One artist within the selection.

    ``first_listen``/``last_listen`` (local start of the first/last *stream*, None if none),
    ``streams``, ``hours`` (all plays), ``plays_over_time`` (month, streams, hours for every
    month of the selection), ``rank_over_time`` (month, rank among all artists by streams;
    months without a stream have no row), ``top_tracks`` and ``top_albums`` (``top_items``
    by streams, top 10, on the artist's plays).
    """
    mine = frame[frame["artist_name"] == artist]
    return {
        "name": artist,
        **_item_detail(frame, mine, "artist", artist),
        "top_tracks": top_items(mine, "track", "streams", n=10).drop(columns=["previous_rank", "movement"]),
        "top_albums": top_items(mine, "album", "streams", n=10).drop(columns=["previous_rank", "movement"]),
    }


def track_detail(frame: pd.DataFrame, track_key: str) -> dict:
    """One track (by ``track_key``) within the selection: as ``artist_detail`` without the top
    lists, plus ``name`` ("title — artist"), ``title``, ``artist`` and ``album`` (the most
    played album name of the track; a track with no id may appear on several)."""
    mine = frame[frame["track_key"] == track_key]
    title = mine["track_name"].dropna().astype(str)
    artist = mine["artist_name"].dropna().astype(str)
    album = mine["album_name"].dropna().astype(str)
    title = title.iloc[0] if len(title) else "?"
    artist = artist.iloc[0] if len(artist) else "?"
    return {
        "name": title + SEPARATOR + artist,
        "title": title,
        "artist": artist,
        "album": album.value_counts().index[0] if len(album) else None,
        **_item_detail(frame, mine, "track", track_key),
    }
