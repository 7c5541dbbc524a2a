"""Top artists, songs and albums: one ranking rule for Overview, Artist & track, Year in review
and ``python -m core top``.

- **streams** count plays with ``is_stream`` (the stream rule the person chose); **hours**
  sum ``ms_played`` of *all* plays, streams or not.
- Ranked by the chosen measure, then the other one, then the name: ranks 1..n, no ties.

The counts behind a ranking add up over content types (``core.explore.overview`` says how):
``item_part(frame, by)`` of one content's plays, ``items_of(parts)`` of several.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from core.base import MS_PER_HOUR
from core.explore.filters import Filters
from core.history import frame as history_frame

SEPARATOR = " — "


ItemKind = Literal["artist", "track", "album"]
RankBy = Literal["streams", "time"]


def _text(values: pd.Series) -> pd.Series:
    """Categorical names as plain strings (NaN stays NaN)."""
    return values.astype(object).astype("str")


def item_part(frame: pd.DataFrame, by: ItemKind) -> pd.DataFrame:
    """One row per artist/song/album: key, name, [artist, title,] streams, ms (all plays).

    Songs are grouped by ``song_key`` (one song however many ids it has) and named
    "title — artist" by the spelling streamed most (then listened to longest, then played
    first); albums by (album, artist). Plays without the name are left out.
    """
    # Categoricals stay categoricals (grouping on their codes): materialising 1M names is slow.
    if by == "artist" and isinstance(frame["artist_name"].dtype, pd.CategoricalDtype):
        # counted on the categorical's codes (a groupby costs 20-30 ms a million plays)
        return _artist_table(frame["artist_name"].cat.categories,
                             *_code_sums(frame, item_codes(frame, "artist"), 0, len(frame)))
    if by == "artist":
        values = _measures(frame)
        values["artist_name"] = frame["artist_name"].array
        table = values.groupby("artist_name", observed=True)[["streams", "ms"]].sum().reset_index()
        name = _text(table["artist_name"])
        return pd.DataFrame({"key": name.to_numpy(dtype=object), "name": name,
                             "streams": table["streams"], "ms": table["ms"]})
    if by == "album" and _coded(frame, "album_name", "artist_name"):
        # numbered on the two columns' codes (a groupby on two categoricals costs 10-20 ms a
        # million plays), in the categories' order as the groupby gives them
        album, artist = frame["album_name"].cat.codes.to_numpy(), frame["artist_name"].cat.codes.to_numpy()
        width = len(frame["artist_name"].cat.categories)
        pairs, streams, ms = _sums(frame, album.astype("int64") * width + artist, (album < 0) | (artist < 0))
        order = np.argsort(pairs, kind="stable")
        pairs, streams, ms = pairs[order], streams[order], ms[order]
        name = _text(pd.Series(_decoded(frame["album_name"], pairs // width)))
        artist_name = _text(pd.Series(_decoded(frame["artist_name"], pairs % width)))
        return pd.DataFrame({"key": list(zip(name, artist_name)), "name": name, "artist": artist_name,
                             "streams": streams, "ms": ms})
    if by == "album":
        values = _measures(frame)
        values["album_name"] = frame["album_name"].array
        values["artist_name"] = frame["artist_name"].array
        table = values.groupby(["album_name", "artist_name"], observed=True)[["streams", "ms"]].sum().reset_index()
        name, artist = _text(table["album_name"]), _text(table["artist_name"])
        return pd.DataFrame({"key": list(zip(name, artist)), "name": name, "artist": artist,
                             "streams": table["streams"], "ms": table["ms"]})
    if by == "track":
        # each spelling (song, title, artist) numbered in order of its first play, as a groupby
        # with sort=False numbers them (the order decides between spellings streamed and played
        # alike), summed with bincount
        numbers, left_out, titles, artists = _spelling_numbers(frame)
        return _track_table(frame, *_sums(frame, numbers, left_out), titles, artists)
    raise ValueError(f"by must be 'artist', 'track' or 'album', not {by!r}")


def _artist_table(artists: pd.Index, plays: np.ndarray, streams: np.ndarray, ms: np.ndarray) -> pd.DataFrame:
    """``item_part``'s artists from their plays, streams and time per artist code + 1 (0: plays
    without an artist; ``_code_sums``): every artist with a play, in the categories' order (as a
    groupby gives them)."""
    present = np.flatnonzero(plays[1:])
    name = _text(pd.Series(artists.to_numpy(dtype=object)[present]))
    return pd.DataFrame({"key": name.to_numpy(dtype=object), "name": name,
                         "streams": streams[1:][present], "ms": ms[1:][present]})


def _spelling_numbers(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Each play's spelling of its song (song, title, artist) as one number, whether it is left
    out (no song or no title), and how many titles and artists (+ 1) the numbers are made of."""
    song = frame["song_key"].cat.codes.to_numpy().astype("int64")
    title = frame["track_name"].cat.codes.to_numpy().astype("int64")
    artist = frame["artist_name"].cat.codes.to_numpy().astype("int64") + 1  # -1 (no artist) -> 0
    titles, artists = len(frame["track_name"].cat.categories), len(frame["artist_name"].cat.categories) + 1
    if len(frame["song_key"].cat.categories) * titles * artists >= 2 ** 63:
        raise ValueError("too many songs, titles and artists to number their spellings")
    return (song * titles + title) * artists + artist, (song < 0) | (title < 0), titles, artists


def _track_table(frame: pd.DataFrame, spelling: np.ndarray, streams: np.ndarray, ms: np.ndarray,
                 titles: int, artists: int) -> pd.DataFrame:
    """``item_part``'s songs from their spellings' numbers (``_spelling_numbers``) and streams and
    time, in order of each spelling's first play: one row per song, named by its label."""
    song, title, artist = spelling // (titles * artists), spelling // artists % titles, spelling % artists - 1
    # each song's label: the spelling streamed most, then played longest, then played first
    best = np.lexsort((-ms, -streams, song))
    best = best[np.r_[True, song[best][1:] != song[best][:-1]]] if len(best) else best
    songs = song[best]  # ascending: one row per song, as a sorted groupby gives them
    totals = np.searchsorted(songs, song)
    title = _decoded(frame["track_name"], title[best])
    artist = pd.Series(_decoded(frame["artist_name"], artist[best])).fillna("?")
    return pd.DataFrame({"key": frame["song_key"].cat.categories.to_numpy(dtype=object)[songs],
                         "name": (pd.Series(title, dtype="str") + SEPARATOR + artist.astype("str")).to_numpy(),
                         "artist": artist.to_numpy(), "title": title,
                         "streams": np.bincount(totals, weights=streams, minlength=len(songs)).astype("int64"),
                         "ms": np.bincount(totals, weights=ms, minlength=len(songs)).astype("int64")}
                        ).astype({"name": "str", "artist": "str", "title": "str"})


@dataclass(frozen=True, eq=False)
class ItemCodes:
    """Each play of one content type's rows numbered by its artist, or by its spelling of a song
    (``item_codes``): the same in any zone and under any stream rule. What ``item_totals`` adds up."""

    by: Literal["artist", "track"]
    codes: np.ndarray  # per row: its item's number + 1, 0 for a play not counted (no artist; no song or title)
    width: int  # the numbers + 1
    spellings: np.ndarray | None  # track: each number's spelling (``_spelling_numbers``), in order of first play
    titles: int = 0
    artists: int = 0


def item_codes(frame: pd.DataFrame, by: ItemKind) -> ItemCodes | None:
    """``frame``'s plays numbered by artist or song spelling; None for albums, or artists that are
    not categorical (``items_in_run`` is then not used)."""
    if by == "artist" and isinstance(frame["artist_name"].dtype, pd.CategoricalDtype):
        # shifted by one so that plays without an artist fall in a bin of their own (a mask over a
        # million plays costs as much as a count)
        codes = frame["artist_name"].cat.codes.to_numpy().astype(np.int32) + 1
        codes.flags.writeable = False  # shared by every browser session
        return ItemCodes(by="artist", codes=codes, width=len(frame["artist_name"].cat.categories) + 1, spellings=None)
    if by != "track":
        return None
    numbers, left_out, titles, artists = _spelling_numbers(frame)
    inverse, distinct = pd.factorize(np.where(left_out, -1, numbers))  # in order of first play
    distinct = np.asarray(distinct, dtype=np.int64)
    known = distinct >= 0
    renumbered = np.zeros(len(distinct), dtype=np.int32)
    renumbered[known] = np.arange(1, int(known.sum()) + 1, dtype=np.int32)
    codes, spellings = renumbered[inverse], distinct[known]
    codes.flags.writeable = spellings.flags.writeable = False  # shared by every browser session
    return ItemCodes(by="track", codes=codes, width=int(known.sum()) + 1, spellings=spellings,
                     titles=titles, artists=artists)


# above this many (block, item) cells ItemTotals are not made (24 bytes each: 24 MB at most)
_MOST_TOTALS = 1 << 20
# what items_in_run reads of the rows: the names' categories, and what is summed
_TOTALS_COLUMNS = ("artist_name", "track_name", "song_key", "is_stream", "ms_played")


@dataclass(frozen=True, eq=False)
class ItemTotals:
    """Each artist's or song spelling's plays, streams and time before every block of
    ``history.frame.BLOCK_ROWS`` rows of one frame (the rows of one content type in time order,
    streams marked), made once by ``item_totals``. ``item_part`` of any run of those rows (a date
    range in any zone) is then the difference of two of these and the plays at the run's two
    ends, not a pass over every play in it (``items_in_run``). Read-only."""

    frame: pd.DataFrame  # the rows' _TOTALS_COLUMNS alone (the frame's others are not kept alive)
    coded: ItemCodes
    block: int  # rows per block (``history.frame.BLOCK_ROWS`` when made)
    plays: np.ndarray  # (blocks + 1, coded.width) int64: row b, the rows before block b
    streams: np.ndarray
    ms: np.ndarray


def _code_sums(frame: pd.DataFrame, coded: ItemCodes, first: int, end: int) -> list[np.ndarray]:
    """Plays, streams and whole milliseconds per item number + 1 of rows ``first``..``end`` - 1 (int64)."""
    codes = coded.codes[first:end]
    return [np.bincount(codes, minlength=coded.width).astype(np.int64),
            np.bincount(codes, weights=frame["is_stream"].to_numpy()[first:end], minlength=coded.width).astype(np.int64),
            np.bincount(codes, weights=frame["ms_played"].to_numpy()[first:end], minlength=coded.width).astype(np.int64)]


def item_totals(frame: pd.DataFrame, coded: ItemCodes) -> ItemTotals | None:
    """``frame``'s ``ItemTotals`` (``coded``: ``item_codes`` of the same rows, made under any rule
    or zone); None when there are so many items that the totals would be large."""
    block = history_frame.BLOCK_ROWS
    bounds = list(history_frame.block_bounds(len(frame)))
    if (len(bounds) + 1) * coded.width > _MOST_TOTALS:
        return None
    sums = [np.zeros((len(bounds) + 1, coded.width), dtype=np.int64) for _ in range(3)]
    for number, (first, end) in enumerate(bounds):
        for total, counted in zip(sums, _code_sums(frame, coded, first, end)):
            total[number + 1] = counted
    plays, streams, ms = (np.cumsum(total, axis=0) for total in sums)
    for table in (plays, streams, ms):
        table.flags.writeable = False
    return ItemTotals(frame=frame[list(_TOTALS_COLUMNS)], coded=coded, block=block, plays=plays, streams=streams, ms=ms)


def items_in_run(totals: ItemTotals, first: int, end: int) -> pd.DataFrame:
    """``item_part(totals.frame.iloc[first:end], by)``, from the totals of the whole blocks in the
    run and the plays of the blocks it cuts."""
    frame, coded, block = totals.frame, totals.coded, totals.block
    low, high = -(-first // block), end // block  # the whole blocks inside: low..high - 1
    if low >= high:
        plays, streams, ms = _code_sums(frame, coded, first, end)
    else:
        head, tail = _code_sums(frame, coded, first, low * block), _code_sums(frame, coded, high * block, end)
        plays, streams, ms = (table[high] - table[low] + before + after for table, before, after
                              in zip((totals.plays, totals.streams, totals.ms), head, tail))
    if coded.by == "artist":
        return _artist_table(frame["artist_name"].cat.categories, plays, streams, ms)
    present = np.flatnonzero(plays[1:])  # the spellings played in the run, in order of first play overall
    streams, ms = streams[1:][present], ms[1:][present]
    song = coded.spellings[present] // (coded.titles * coded.artists)
    order = _first_played(coded.codes[first:end], present, song, streams, ms)
    return _track_table(frame, coded.spellings[present][order], streams[order], ms[order], coded.titles, coded.artists)


def _first_played(codes: np.ndarray, present: np.ndarray, song: np.ndarray, streams: np.ndarray,
                  ms: np.ndarray) -> np.ndarray:
    """An order of the ``present`` spellings (numbers - 1, in order of first play in the whole
    frame) in which spellings of one song level on streams and time come as they were first
    played among ``codes`` (the run's): what decides between them as a song's label. Elsewhere
    the order does not matter; such ties are rare, so the run is searched only for them."""
    by_value = np.lexsort((ms, streams, song))
    same = (np.diff(song[by_value]) == 0) & (np.diff(streams[by_value]) == 0) & (np.diff(ms[by_value]) == 0)
    level = np.zeros(len(present), dtype=bool)
    level[by_value[1:][same]] = level[by_value[:-1][same]] = True
    if not level.any():
        return np.arange(len(present))
    wanted = present[level] + 1
    hits = np.flatnonzero(np.isin(codes, wanted))
    found, at = np.unique(codes[hits], return_index=True)  # each wanted code's first play in the run
    place = np.arange(len(present), dtype=np.int64)
    place[level] = hits[at[np.searchsorted(found, wanted)]]
    return np.argsort(place, kind="stable")


def items_of(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The ``item_part`` of several contents' plays from each content's: streams and time
    added up per key. A key's names are the same in every part that has it (an artist's or an
    album's are its key; a song has music plays alone), so the first part's are kept."""
    filled = [part for part in parts if len(part)]
    if len(filled) <= 1:
        return filled[0] if filled else parts[0]
    table = pd.concat(filled, ignore_index=True)
    if table["key"].is_unique:
        return table
    sums = table.groupby("key", sort=False)[["streams", "ms"]].sum()  # keys in order of first appearance
    return table.drop_duplicates("key").assign(streams=sums["streams"].to_numpy(dtype="int64"),
                                               ms=sums["ms"].to_numpy(dtype="int64")).reset_index(drop=True)


def _measures(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"ms": frame["ms_played"].to_numpy(), "streams": frame["is_stream"].to_numpy(dtype="int64")})


def _coded(frame: pd.DataFrame, *columns: str) -> bool:
    return all(isinstance(frame[c].dtype, pd.CategoricalDtype) for c in columns)


def _sums(frame: pd.DataFrame, numbers: np.ndarray, left_out: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct ``numbers`` (one per play, non-negative) in order of first appearance, with the
    streams and ms of their plays; plays ``left_out`` are not counted. They are numbered -1 rather
    than taken out: selecting a million plays costs as much as counting them."""
    numbers = np.where(left_out, -1, numbers)
    inverse, distinct = pd.factorize(numbers)
    size = len(distinct)
    streams = np.bincount(inverse, weights=frame["is_stream"].to_numpy(), minlength=size).astype("int64")
    ms = np.bincount(inverse, weights=frame["ms_played"].to_numpy(), minlength=size).astype("int64")
    counted = np.asarray(distinct) >= 0
    return np.asarray(distinct, dtype="int64")[counted], streams[counted], ms[counted]


def _decoded(column: pd.Series, codes: np.ndarray) -> np.ndarray:
    """Categorical codes -> the values (None for -1)."""
    values = np.full(len(codes), None, dtype=object)
    known = codes >= 0
    values[known] = column.cat.categories.to_numpy(dtype=object)[codes[known]]
    return values


def _rank(table: pd.DataFrame, rank_by: RankBy) -> pd.DataFrame:
    """Sort by the measure, then the other measure, then name (then key): rank 1..n, no ties.

    Ranking by streams leaves out items with no stream; by time, items with no time.
    """
    if rank_by not in ("streams", "time"):
        raise ValueError(f"rank_by must be 'streams' or 'time', not {rank_by!r}")
    first, second = ("streams", "ms") if rank_by == "streams" else ("ms", "streams")
    table = table[table[first] > 0].reset_index(drop=True)
    return table.iloc[_order(table, first, second)].assign(
        rank=np.arange(1, len(table) + 1, dtype="int64")).reset_index(drop=True)


def _order(table: pd.DataFrame, first: str, second: str) -> np.ndarray:
    """The rows' positions sorted by ``first`` and ``second`` (largest first), then name,
    [artist,] and key as text. The measures are sorted as integers; only rows equal on both
    (few) are sorted by their names, which is what sorting every row by text cost."""
    by_measure = np.lexsort((-table[second].to_numpy(dtype="int64"), -table[first].to_numpy(dtype="int64")))
    a, b = table[first].to_numpy()[by_measure], table[second].to_numpy()[by_measure]
    tied = np.zeros(len(table), dtype=bool)
    same = (a[1:] == a[:-1]) & (b[1:] == b[:-1])
    tied[1:] |= same
    tied[:-1] |= same
    if tied.any():
        # the tied rows sorted by the whole rule fill the places the tied rows hold: equal
        # measures lie next to each other, and the whole rule orders these runs as the measures do
        ties = table.iloc[by_measure[tied]]
        order = [first, second, "name"] + (["artist"] if "artist" in table else [])
        ties = ties.assign(_key=ties["key"].astype(str)).sort_values(
            order + ["_key"], ascending=[False, False] + [True] * (len(order) - 1), kind="stable")
        by_measure[tied] = ties.index.to_numpy()
    return by_measure


def ranked_items(frame: pd.DataFrame, by: ItemKind, rank_by: RankBy = "streams") -> pd.DataFrame:
    """Every artist/song/album ranked: rank, key, name, [artist,] [title,] streams, hours, ms.

    ``key`` identifies the item: the artist's name, the song's ``song_key``, or the
    (album, artist) pair. Used for pickers, the year in review, ``core top`` and the
    previous period's ranks.
    """
    return ranked_of([item_part(frame, by)], by, rank_by)


def ranked_of(parts: list[pd.DataFrame], by: ItemKind, rank_by: RankBy = "streams") -> pd.DataFrame:
    """``ranked_items`` of several contents' plays from their ``item_part``."""
    table = _rank(items_of(parts), rank_by)
    columns = (["rank", "key", "name"] + (["artist"] if by != "artist" else []) + (["title"] if by == "track" else [])
               + ["streams"])
    return table[columns].assign(hours=table["ms"] / MS_PER_HOUR, ms=table["ms"].to_numpy(dtype="int64"))


def _movement(rank: int, previous: int | None) -> str:
    if previous is None or pd.isna(previous):
        return "new"
    change = int(previous) - rank
    return f"+{change}" if change > 0 else ("=" if change == 0 else str(change))


def movement_arrow(movement: str | None) -> str:
    """A movement as tables show it: "+3" -> "↑3", "-2" -> "↓2", "=" and "new" as they are, missing -> "–"."""
    if movement is None or movement is pd.NA or (isinstance(movement, float) and np.isnan(movement)):
        return "–"
    if movement.startswith("+"):
        return "↑" + movement[1:]
    if movement.startswith("-"):
        return "↓" + movement[1:]
    return movement


def top_items(frame: pd.DataFrame, by: ItemKind, rank_by: RankBy = "streams", n: int | None = 10,
              previous: pd.DataFrame | None = None, keys: bool = False) -> pd.DataFrame:
    """The top ``n`` artists, tracks or albums (all when ``n`` is None), with rank movement.

    Columns: ``rank``, ``name`` (tracks: "title — artist"), ``artist`` (tracks and albums),
    ``streams``, ``hours``, ``previous_rank`` (the rank in ``previous`` among all its items,
    NA if absent) and ``movement``: "+3" (up three), "-2", "=" or "new" (not ranked in the
    previous frame); both missing when no previous frame is given. Ties go to the other measure,
    then the name. ``keys``: keep ``ranked_items``' ``key`` column too (for links to an item).
    """
    return top_of([item_part(frame, by)], by, rank_by, n, None if previous is None else [item_part(previous, by)], keys)


def top_of(parts: list[pd.DataFrame], by: ItemKind, rank_by: RankBy = "streams", n: int | None = 10,
           previous: list[pd.DataFrame] | None = None, keys: bool = False) -> pd.DataFrame:
    """``top_items`` of several contents' plays from their ``item_part`` (``previous``: the
    previous window's parts)."""
    current = ranked_of(parts, by, rank_by)
    if n is not None:
        current = current.head(n)
    if previous is None:
        prior = pd.array([pd.NA] * len(current), dtype="Int64")
        movement = pd.Series([None] * len(current), dtype="str")
    else:
        before = ranked_of(previous, by, rank_by)
        lookup = dict(zip(before["key"], before["rank"]))
        prior = pd.array([lookup.get(key) for key in current["key"]], dtype="Int64")
        movement = pd.Series([_movement(r, p) for r, p in zip(current["rank"], prior)], dtype="str")
    shown = current.drop(columns=[c for c in ("title", "ms", *(() if keys else ("key",))) if c in current.columns])
    return shown.reset_index(drop=True).assign(previous_rank=prior, movement=movement)


def previous_period(filters: Filters) -> tuple[dt.date, dt.date] | None:
    """The window of the same length right before the filters' date range (None if open-ended).

    2024-03-01..2024-03-31 (31 days) -> 2024-01-30..2024-02-29.
    """
    if filters.start is None or filters.end is None:
        return None
    length = (filters.end - filters.start).days + 1
    end = filters.start - dt.timedelta(days=1)
    return end - dt.timedelta(days=length - 1), end
