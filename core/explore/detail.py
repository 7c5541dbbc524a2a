"""The explore frame -> one artist or song over time (the Artist & track page)."""
from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from core.base import MS_PER_HOUR
from core.explore.periods import UNIT, local_wall, period_codes, period_starts, span, totals_per_period
from core.explore.tops import SEPARATOR, _item_table, _text, top_items


def _monthly_ranks(frame: pd.DataFrame, by: Literal["artist", "track"], key: str) -> pd.DataFrame:
    """The item's rank among all artists/tracks in each month it was streamed: month, rank.

    Same order as ``top_items`` by streams: streams, then time, then name.
    """
    column = "artist_name" if by == "artist" else "song_key"
    keep = frame[column].notna().to_numpy()
    if by == "track":
        keep = keep & frame["track_name"].notna().to_numpy()
    items = frame[column]
    if isinstance(items.dtype, pd.CategoricalDtype) and len(items.cat.categories):
        # (month, item) numbered by hashing one integer per play, summed with bincount: the
        # groupby's rows (in another order, which the sort below makes irrelevant)
        month_codes, months = period_codes(local_wall(frame), "month")
        size = len(items.cat.categories)
        pair = month_codes[keep] * size + items.cat.codes.to_numpy()[keep]
        inverse, pairs = pd.factorize(pair)
        table = pd.DataFrame({
            "month": months[pairs // size],
            "item": items.cat.categories.to_numpy(dtype=object)[pairs % size],
            "streams": np.bincount(inverse, weights=frame["is_stream"].to_numpy()[keep],
                                   minlength=len(pairs)).astype("int64"),
            "ms": np.bincount(inverse, weights=frame["ms_played"].to_numpy()[keep], minlength=len(pairs)).astype("int64"),
        })
    else:
        values = pd.DataFrame({"month": period_starts(local_wall(frame), "month"), "item": items.array,
                               "streams": frame["is_stream"].to_numpy(dtype="int64"),
                               "ms": frame["ms_played"].to_numpy()})[keep]
        table = values.groupby(["month", "item"], observed=True)[["streams", "ms"]].sum().reset_index()
    table = table[table["streams"] > 0]
    table["key"] = _text(table["item"]).to_numpy(dtype=object)
    names = _item_table(frame, by).set_index("key")[["name"] + (["artist"] if by == "track" else [])]
    table = table.join(names, on="key")
    order = ["month", "streams", "ms", "name"] + (["artist"] if by == "track" else []) + ["key"]
    table = table.sort_values(order, ascending=[True, False, False] + [True] * (len(order) - 3), kind="stable")
    table["rank"] = table.groupby("month").cumcount().astype("int64") + 1
    mine = table[table["key"] == key]
    return pd.DataFrame({"month": mine["month"].to_numpy(dtype=UNIT), "rank": mine["rank"].to_numpy(dtype="int64")})


def _item_detail(frame: pd.DataFrame, mine: pd.DataFrame, by: Literal["artist", "track"], key: str) -> dict:
    streams = mine[mine["is_stream"]]
    wall = local_wall(frame)  # every month from the first to the last: the ends are enough
    months = span(period_starts(np.array([wall.min(), wall.max()]) if len(wall) else wall, "month"), "month")
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
    months without a stream have no row), ``top_tracks`` (with each song's ``key``, for
    links) and ``top_albums`` (``top_items`` by streams, top 10, on the artist's plays).
    """
    mine = frame[frame["artist_name"] == artist]
    return {
        "name": artist,
        **_item_detail(frame, mine, "artist", artist),
        "top_tracks": top_items(mine, "track", "streams", n=10, keys=True).drop(columns=["previous_rank", "movement"]),
        "top_albums": top_items(mine, "album", "streams", n=10).drop(columns=["previous_rank", "movement"]),
    }


def track_detail(frame: pd.DataFrame, song_key: str) -> dict:
    """One song (by ``song_key``) within the selection: as ``artist_detail`` without the top
    lists, plus ``name`` ("title — artist"), ``title`` and ``artist`` (the spelling streamed
    most), ``album`` (its most played release) and ``versions`` (``song_versions``)."""
    mine = frame[(frame["song_key"] == song_key).to_numpy()]
    label = _item_table(mine, "track")
    title, artist = (label["title"].iloc[0], label["artist"].iloc[0]) if len(label) else ("?", "?")
    album = mine["album_name"].dropna().astype(str)
    return {
        "name": title + SEPARATOR + artist,
        "title": title,
        "artist": artist,
        "album": album.value_counts().index[0] if len(album) else None,
        "versions": song_versions(mine),
        **_item_detail(frame, mine, "track", song_key),
    }


def song_versions(plays: pd.DataFrame) -> pd.DataFrame:
    """The recordings (ids) behind the plays of one song, most streamed first: ``track_key``,
    ``track_id`` (None for plays without one), ``title``, ``album``, ``streams``, ``hours``,
    ``first`` and ``last`` (local dates of the first and last stream, as the page's first
    and last listen; None for a recording never streamed)."""
    columns = ["track_key", "track_id", "title", "album", "streams", "hours", "first", "last"]
    if plays.empty:
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame({"track_key": plays["track_key"].astype(object).to_numpy(),
                          "track_id": plays["track_id"].astype(object).to_numpy(),
                          "title": plays["track_name"].astype(object).to_numpy(),
                          "album": plays["album_name"].astype(object).to_numpy(),
                          "stream": plays["is_stream"].to_numpy(dtype="int64"), "ms": plays["ms_played"].to_numpy(),
                          "when": plays["local"].dt.tz_localize(None).where(plays["is_stream"]).to_numpy()})
    out = frame.groupby("track_key", sort=False, dropna=False).agg(
        track_id=("track_id", "first"), title=("title", lambda v: v.mode().iloc[0] if v.notna().any() else None),
        album=("album", lambda v: v.mode().iloc[0] if v.notna().any() else None),
        streams=("stream", "sum"), ms=("ms", "sum"), first=("when", "min"), last=("when", "max")).reset_index()
    out["hours"] = out["ms"] / MS_PER_HOUR
    out["first"] = [None if pd.isna(t) else t.date() for t in out["first"]]
    out["last"] = [None if pd.isna(t) else t.date() for t in out["last"]]
    out = out.sort_values(["streams", "ms", "track_key"], ascending=[False, False, True], kind="stable")
    return out[columns].reset_index(drop=True)
