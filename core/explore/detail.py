"""The explore frame -> one artist or song over time (the Artist & track page)."""
from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from core.base import MS_PER_HOUR
from core.explore.periods import UNIT, local_wall, period_codes, span_of, totals_per_period
from core.explore.tops import SEPARATOR, item_part, top_items
from core.history.frame import column_codes

DENSE_CELLS = 1 << 21  # (month, item) cells counted in arrays of their own below this (16 MB of float64)


def _monthly_ranks(frame: pd.DataFrame, by: Literal["artist", "track"], key: str) -> pd.DataFrame:
    """The item's rank among all artists/tracks in each month it was streamed: month, rank.

    Same order as ``top_items`` by streams: streams, then time, then name. The rank is one
    more than the number of items ahead of it that month, counted from each (month, item)'s
    totals without sorting them; names are looked up only for items level on both measures.
    """
    items = frame["artist_name" if by == "artist" else "song_key"]
    if not isinstance(items.dtype, pd.CategoricalDtype):
        items = items.astype("category")
    target = int(items.cat.categories.get_indexer([key])[0])
    month_codes, months = period_codes(local_wall(frame), "month")
    if target < 0 or not len(months):
        return pd.DataFrame({"month": np.array([], dtype=UNIT), "rank": np.array([], dtype="int64")})
    # each play's item as 1..n, 0 for a play without one (it is ranked with no item)
    item = items.cat.codes.to_numpy().astype(np.intp) + 1
    if by == "track":
        item[frame["track_name"].isna().to_numpy()] = 0
    streams, ms = frame["is_stream"].to_numpy(), frame["ms_played"].to_numpy()
    width = len(items.cat.categories) + 1
    if len(months) * width <= DENSE_CELLS:  # a cell for every (month, item): no hashing, no masks
        cell = month_codes * width + item
        size = len(months) * width
        pair_streams = np.bincount(cell, weights=streams, minlength=size).astype("int64").reshape(-1, width)
        pair_ms = np.bincount(cell, weights=ms, minlength=size).astype("int64").reshape(-1, width)
        my_streams, my_ms = pair_streams[:, target + 1], pair_ms[:, target + 1]
        ranked = my_streams > 0
        pair_streams, pair_ms = pair_streams[ranked, 1:], pair_ms[ranked, 1:]
        month = np.broadcast_to(np.flatnonzero(ranked)[:, None], pair_streams.shape)
        other = np.broadcast_to(np.arange(width - 1), pair_streams.shape)
    else:  # the (month, item) pairs of the months the item is ranked in, numbered by hashing
        mine = item == target + 1
        my_streams = np.bincount(month_codes[mine], weights=streams[mine], minlength=len(months)).astype("int64")
        my_ms = np.bincount(month_codes[mine], weights=ms[mine], minlength=len(months)).astype("int64")
        ranked = my_streams > 0
        rows = (item > 0) & ranked[month_codes]
        inverse, pairs = pd.factorize(month_codes[rows] * width + item[rows])
        pair_streams = np.bincount(inverse, weights=streams[rows], minlength=len(pairs)).astype("int64")
        pair_ms = np.bincount(inverse, weights=ms[rows], minlength=len(pairs)).astype("int64")
        month, other = pairs // width, pairs % width - 1
    level = pair_streams == my_streams[month]
    ahead = (pair_streams > my_streams[month]) | (level & (pair_ms > my_ms[month]))
    tied = level & (pair_ms == my_ms[month]) & (other != target)
    if tied.any():
        ahead[tied] = _named_before(frame, by, items, other[tied], target)
    rank = np.bincount(month[ahead], minlength=len(months)) + 1
    return pd.DataFrame({"month": months[ranked].astype(UNIT), "rank": rank[ranked].astype("int64")})


def _named_before(frame: pd.DataFrame, by: Literal["artist", "track"], items: pd.Series, others: np.ndarray,
                  target: int) -> np.ndarray:
    """Whether each of ``others`` (item codes level with ``target`` on streams and time) comes
    before it by name, [artist,] then key, as ``top_items`` orders them."""
    categories = items.cat.categories.to_numpy(dtype=object)
    if by == "artist":  # an artist's name is its key
        names = {str(name): (str(name), str(name)) for name in categories[np.append(others, target)]}
    else:  # a song's name and artist: its spelling streamed most in the whole frame
        plays = frame[["ms_played", "is_stream", "track_name", "song_key", "artist_name"]][
            np.isin(items.cat.codes.to_numpy(), np.append(others, target))]
        table = item_part(plays, "track")
        names = {k: (n, a, k) for k, n, a in zip(table["key"].astype(str), table["name"], table["artist"])}
    mine = names[str(categories[target])]
    return np.array([names[str(categories[code])] < mine for code in others], dtype=bool)


# what the page needs of the item's own plays: copying only these is a third of copying all
_MINE = ("local", "wall", "ms_played", "is_stream", "track_name", "artist_name", "album_name", "song_key",
         "track_key", "track_id")


def _plays_of(frame: pd.DataFrame, chosen: np.ndarray) -> pd.DataFrame:
    return frame[[c for c in _MINE if c in frame.columns]][chosen]


def _item_detail(frame: pd.DataFrame, mine: pd.DataFrame, by: Literal["artist", "track"], key: str) -> dict:
    streamed = mine["local"][mine["is_stream"].to_numpy()]
    months = span_of(local_wall(frame), "month")  # every month of the selection
    per_month = totals_per_period(mine, "month", months).rename(columns={"period_start": "month"})
    return {
        "first_listen": streamed.min() if len(streamed) else None,
        "last_listen": streamed.max() if len(streamed) else None,
        "streams": len(streamed),
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
    mine = _plays_of(frame, (frame["artist_name"] == artist).to_numpy())
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
    mine = _plays_of(frame, (frame["song_key"] == song_key).to_numpy())
    label = item_part(mine, "track")
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
    # one recording at a time on integer codes (a groupby with a mode per group cost 20 ms for a
    # song of 20,000 plays); recordings in order of their first play, as a groupby gives them
    recording, keys = pd.factorize(plays["track_key"].astype(object).to_numpy(), use_na_sentinel=False)
    title, titles = column_codes(plays["track_name"])
    album, albums = column_codes(plays["album_name"])
    track_ids = plays["track_id"].astype(object).to_numpy()
    stream, ms = plays["is_stream"].to_numpy(), plays["ms_played"].to_numpy()
    when = plays["local"].dt.tz_localize(None).to_numpy()
    rows = []
    for number in range(len(keys)):
        mine = recording == number
        ids = track_ids[mine]
        ids = ids[pd.notna(ids)]
        streamed = when[mine & stream]
        rows.append({"track_key": keys[number], "track_id": ids[0] if len(ids) else None,
                     "title": _most_common(title[mine], titles), "album": _most_common(album[mine], albums),
                     "streams": int(stream[mine].sum()), "ms": int(ms[mine].sum()),
                     "first": streamed.min() if len(streamed) else None,
                     "last": streamed.max() if len(streamed) else None})
    out = pd.DataFrame(rows)
    out["hours"] = out["ms"] / MS_PER_HOUR
    out["first"] = [None if t is None or pd.isna(t) else pd.Timestamp(t).date() for t in out["first"]]
    out["last"] = [None if t is None or pd.isna(t) else pd.Timestamp(t).date() for t in out["last"]]
    out = out.sort_values(["streams", "ms", "track_key"], ascending=[False, False, True], kind="stable")
    return out[columns].reset_index(drop=True)


def _most_common(codes: np.ndarray, values: np.ndarray) -> object:
    """The value seen most often (the smallest of those seen as often, as ``Series.mode``
    orders them); None when every value is missing."""
    known = codes[codes >= 0]
    if not len(known):
        return None
    counts = np.bincount(known)
    return min(values[np.flatnonzero(counts == counts.max())])
