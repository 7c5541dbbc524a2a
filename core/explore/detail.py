"""The explore frame -> one artist or song over time (the Artist & track page).

What the page reads adds up over content types: ``detail_part`` of one content's plays,
``artist_detail_of`` and ``track_detail_of`` of several (as ``core.explore.overview`` says).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from core.base import MS_PER_HOUR
from core.explore.periods import UNIT, local_period_codes, local_wall, span_of, totals_per_period
from core.explore.tops import SEPARATOR, item_part, top_items
from core.history.frame import cell_sums, column_codes, ordered_blocks


@dataclass(frozen=True, eq=False)
class DetailPart:
    """What the Artist & track page reads of one content's plays, for any artist (``by``
    "artist") or song ("track"): made once by ``detail_part``, read-only. The page of several
    contents is made from their parts (``artist_detail_of``, ``track_detail_of``)."""

    frame: pd.DataFrame  # the content's plays: an item's own are picked from them
    by: Literal["artist", "track"]
    ends: np.ndarray  # the first and last local start (datetime64[us]; empty without plays)
    items: pd.Index  # what the item codes below number (the artist or song categories)
    month: np.ndarray  # per (month, item) with a play of an item: the month (datetime64[us]) ...
    item: np.ndarray  # ... the item's code (intp) ...
    streams: np.ndarray  # ... and its streams and whole milliseconds (int64)
    ms: np.ndarray


def _items(frame: pd.DataFrame, by: Literal["artist", "track"]) -> pd.Series:
    items = frame["artist_name" if by == "artist" else "song_key"]
    return items if isinstance(items.dtype, pd.CategoricalDtype) else items.astype("category")


def detail_part(frame: pd.DataFrame, by: Literal["artist", "track"]) -> DetailPart:
    """``frame``'s plays summed per (month, artist or song), for the monthly ranks of any of them."""
    items = _items(frame, by)
    wall = local_wall(frame)
    month_codes, months = local_period_codes(frame, "month")
    streams, ms = frame["is_stream"].to_numpy(), frame["ms_played"].to_numpy()
    width = len(items.cat.categories) + 1
    blocks = ordered_blocks(month_codes, width)  # plays in time order: a few months at a time
    # (month, item) as one number, worked out in place: each play's item as 1..n, 0 for a play
    # without one (it is not ranked); the codes are added as they are (no array of items made)
    codes = items.cat.codes.to_numpy()
    cells = np.multiply(month_codes, width, out=month_codes)
    np.add(cells, 1, out=cells)
    np.add(cells, codes, out=cells)
    if by == "track":
        unnamed = np.flatnonzero(frame["track_name"].isna().to_numpy())
        cells[unnamed] -= codes[unnamed].astype(np.int64) + 1
    pairs, (pair_streams, pair_ms) = cell_sums(cells, len(months) * width, streams, ms, blocks=blocks)
    named = pairs % width > 0
    pairs = pairs[named]
    return DetailPart(frame=frame, by=by, ends=np.array([wall.min(), wall.max()]) if len(wall) else wall,
                      items=items.cat.categories, month=months[pairs // width], item=pairs % width - 1,
                      streams=pair_streams[named].astype("int64"), ms=pair_ms[named].astype("int64"))


def _monthly_ranks_of(parts: list[DetailPart], key: str) -> pd.DataFrame:
    """The item's rank among all artists/tracks in each month it was streamed: month, rank.

    Same order as ``top_items`` by streams: streams, then time, then name. The rank is one
    more than the number of items ahead of it that month, counted from each (month, item)'s
    totals without sorting them; names are looked up only for items level on both measures.
    """
    items = parts[0].items
    if any(part.items is not items and not part.items.equals(items) for part in parts[1:]):
        raise ValueError("detail parts must be of one history's plays (their artists and songs numbered alike)")
    month = np.concatenate([part.month for part in parts]).view("int64")
    item = np.concatenate([part.item for part in parts])
    streams = np.concatenate([part.streams for part in parts])
    ms = np.concatenate([part.ms for part in parts])
    if len(parts) > 1:  # an item's plays of several contents in one month add up
        months, month_code = np.unique(month, return_inverse=True)
        inverse, pairs = pd.factorize(month_code.astype(np.intp) * len(items) + item)
        month, item = months[pairs // len(items)], pairs % len(items)
        streams = np.bincount(inverse, weights=streams, minlength=len(pairs)).astype("int64")
        ms = np.bincount(inverse, weights=ms, minlength=len(pairs)).astype("int64")
    target = int(items.get_indexer([key])[0])
    mine = (item == target) & (streams > 0)
    months = np.unique(month[mine])
    if target < 0 or not len(months):
        return pd.DataFrame({"month": np.array([], dtype=UNIT), "rank": np.array([], dtype="int64")})
    at = months.searchsorted(month)
    ranked = at < len(months)
    ranked[ranked] = months[at[ranked]] == month[ranked]  # the pairs of the months the item is ranked in
    at, item, streams, ms = at[ranked], item[ranked], streams[ranked], ms[ranked]
    my_streams, my_ms = np.zeros(len(months), dtype="int64"), np.zeros(len(months), dtype="int64")
    my_streams[at[item == target]], my_ms[at[item == target]] = streams[item == target], ms[item == target]
    level = streams == my_streams[at]
    ahead = (streams > my_streams[at]) | (level & (ms > my_ms[at]))
    tied = level & (ms == my_ms[at]) & (item != target)
    if tied.any():
        ahead[tied] = _named_before(parts, items, item[tied], target)
    rank = np.bincount(at[ahead], minlength=len(months)) + 1
    return pd.DataFrame({"month": months.view(UNIT), "rank": rank.astype("int64")})


def _named_before(parts: list[DetailPart], items: pd.Index, others: np.ndarray, target: int) -> np.ndarray:
    """Whether each of ``others`` (item codes level with ``target`` on streams and time) comes
    before it by name, [artist,] then key, as ``top_items`` orders them."""
    categories = items.to_numpy(dtype=object)
    wanted = categories[np.append(others, target)]
    if parts[0].by == "artist":  # an artist's name is its key
        names = {str(name): (str(name), str(name)) for name in wanted}
    else:  # a song's name and artist: its spelling streamed most in the whole selection
        columns = ["ms_played", "is_stream", "track_name", "song_key", "artist_name"]
        plays = [part.frame[columns][part.frame["song_key"].isin(wanted).to_numpy()] for part in parts]
        table = item_part(pd.concat(plays) if len(plays) > 1 else plays[0], "track")
        names = {k: (n, a, k) for k, n, a in zip(table["key"].astype(str), table["name"], table["artist"])}
    mine = names[str(categories[target])]
    return np.array([names[str(categories[code])] < mine for code in others], dtype=bool)


# what the page needs of the item's own plays: copying only these is a third of copying all
_MINE = ("local", "wall", "ms_played", "is_stream", "track_name", "artist_name", "album_name", "song_key",
         "track_key", "track_id")


def _plays_of(parts: list[DetailPart], column: str, key: str) -> pd.DataFrame:
    """The plays of one artist or song among the parts' plays, in the order they were loaded."""
    mine = [part.frame[[c for c in _MINE if c in part.frame.columns]][(part.frame[column] == key).to_numpy()]
            for part in parts]
    return mine[0] if len(mine) == 1 else pd.concat(mine).sort_index()


def _item_detail(parts: list[DetailPart], mine: pd.DataFrame, key: str) -> dict:
    streamed = mine["local"][mine["is_stream"].to_numpy()]
    ends = np.concatenate([part.ends for part in parts])
    months = span_of(ends, "month")  # every month of the selection
    per_month = totals_per_period(mine, "month", months).rename(columns={"period_start": "month"})
    return {
        "first_listen": streamed.min() if len(streamed) else None,
        "last_listen": streamed.max() if len(streamed) else None,
        "streams": len(streamed),
        "hours": int(mine["ms_played"].sum()) / MS_PER_HOUR,
        "plays_over_time": per_month[["month", "streams", "hours"]],
        "rank_over_time": _monthly_ranks_of(parts, key),
    }


def artist_detail(frame: pd.DataFrame, artist: str) -> dict:
    """One artist within the selection.

    ``first_listen``/``last_listen`` (local start of the first/last *stream*, None if none),
    ``streams``, ``hours`` (all plays), ``plays_over_time`` (month, streams, hours for every
    month of the selection), ``rank_over_time`` (month, rank among all artists by streams;
    months without a stream have no row), ``top_tracks`` (with each song's ``key``, for
    links) and ``top_albums`` (``top_items`` by streams, top 10, on the artist's plays).
    """
    return artist_detail_of([detail_part(frame, "artist")], artist)


def artist_detail_of(parts: list[DetailPart], artist: str) -> dict:
    """``artist_detail`` of several contents' plays from their ``detail_part``."""
    mine = _plays_of(parts, "artist_name", artist)
    return {
        "name": artist,
        **_item_detail(parts, mine, artist),
        "top_tracks": top_items(mine, "track", "streams", n=10, keys=True).drop(columns=["previous_rank", "movement"]),
        "top_albums": top_items(mine, "album", "streams", n=10).drop(columns=["previous_rank", "movement"]),
    }


def track_detail(frame: pd.DataFrame, song_key: str) -> dict:
    """One song (by ``song_key``) within the selection: as ``artist_detail`` without the top
    lists, plus ``name`` ("title — artist"), ``title`` and ``artist`` (the spelling streamed
    most), ``album`` (its most played release) and ``versions`` (``song_versions``)."""
    return track_detail_of([detail_part(frame, "track")], song_key)


def track_detail_of(parts: list[DetailPart], song_key: str) -> dict:
    """``track_detail`` of several contents' plays from their ``detail_part``."""
    mine = _plays_of(parts, "song_key", song_key)
    label = item_part(mine, "track")
    title, artist = (label["title"].iloc[0], label["artist"].iloc[0]) if len(label) else ("?", "?")
    album = mine["album_name"].dropna().astype(str)
    return {
        "name": title + SEPARATOR + artist,
        "title": title,
        "artist": artist,
        "album": album.value_counts().index[0] if len(album) else None,
        "versions": song_versions(mine),
        **_item_detail(parts, mine, song_key),
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
