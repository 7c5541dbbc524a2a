"""Top artists, songs and albums: one ranking rule for Overview, Artist & track, Year in review
and ``python -m core top``.

- **streams** count plays with ``is_stream`` (the stream rule the person chose); **hours**
  sum ``ms_played`` of *all* plays, streams or not.
- Ranked by the chosen measure, then the other one, then the name: ranks 1..n, no ties.
"""
from __future__ import annotations

import datetime as dt
from typing import Literal

import numpy as np
import pandas as pd

from core.base import MS_PER_HOUR
from core.explore.filters import Filters

SEPARATOR = " — "


ItemKind = Literal["artist", "track", "album"]
RankBy = Literal["streams", "time"]


def _text(values: pd.Series) -> pd.Series:
    """Categorical names as plain strings (NaN stays NaN)."""
    return values.astype(object).astype("str")


def _item_table(frame: pd.DataFrame, by: ItemKind) -> pd.DataFrame:
    """One row per artist/track/album: key, name, [artist,] streams, ms (all plays).

    Tracks are grouped by ``track_key`` (Spotify id, else artist and title) and named
    "title — artist"; albums by (album, artist). Plays without the name are left out.
    """
    # Categoricals stay categoricals (grouping on their codes): materialising 1M names is slow.
    values = pd.DataFrame({"ms": frame["ms_played"].to_numpy(), "streams": frame["is_stream"].to_numpy(dtype="int64")})
    if by == "artist":
        values["artist_name"] = frame["artist_name"].array
        table = values.groupby("artist_name", observed=True)[["streams", "ms"]].sum().reset_index()
        name = _text(table["artist_name"])
        return pd.DataFrame({"key": name.to_numpy(dtype=object), "name": name,
                             "streams": table["streams"], "ms": table["ms"]})
    if by == "album":
        values["album_name"] = frame["album_name"].array
        values["artist_name"] = frame["artist_name"].array
        table = values.groupby(["album_name", "artist_name"], observed=True)[["streams", "ms"]].sum().reset_index()
        name, artist = _text(table["album_name"]), _text(table["artist_name"])
        return pd.DataFrame({"key": list(zip(name, artist)), "name": name, "artist": artist,
                             "streams": table["streams"], "ms": table["ms"]})
    if by == "track":
        keep = frame["track_name"].notna().to_numpy()
        values["track_key"] = frame["track_key"].array
        table = values[keep].groupby("track_key", observed=True)[["streams", "ms"]].sum()
        names = (frame.loc[keep, ["track_key", "track_name", "artist_name"]]
                 .drop_duplicates("track_key").set_index("track_key").reindex(table.index))
        artist = _text(names["artist_name"]).fillna("?")
        return pd.DataFrame({"key": _text(table.index.to_series()).to_numpy(dtype=object),
                             "name": (_text(names["track_name"]) + SEPARATOR + artist).to_numpy(),
                             "artist": artist.to_numpy(),
                             "streams": table["streams"].to_numpy(), "ms": table["ms"].to_numpy()}
                            ).astype({"name": "str", "artist": "str"})
    raise ValueError(f"by must be 'artist', 'track' or 'album', not {by!r}")


def _rank(table: pd.DataFrame, rank_by: RankBy) -> pd.DataFrame:
    """Sort by the measure, then the other measure, then name (then key): rank 1..n, no ties.

    Ranking by streams leaves out items with no stream; by time, items with no time.
    """
    if rank_by not in ("streams", "time"):
        raise ValueError(f"rank_by must be 'streams' or 'time', not {rank_by!r}")
    first, second = ("streams", "ms") if rank_by == "streams" else ("ms", "streams")
    table = table[table[first] > 0]
    order = [first, second, "name"] + (["artist"] if "artist" in table else [])
    table = table.assign(_key=table["key"].astype(str)).sort_values(
        order + ["_key"], ascending=[False, False] + [True] * (len(order) - 1), kind="stable")
    return table.drop(columns="_key").assign(rank=np.arange(1, len(table) + 1, dtype="int64")).reset_index(drop=True)


def ranked_items(frame: pd.DataFrame, by: ItemKind, rank_by: RankBy = "streams") -> pd.DataFrame:
    """Every artist/track/album ranked: rank, key, name, [artist,] streams, hours.

    ``key`` identifies the item: the artist's name, the track's ``track_key``, or the
    (album, artist) pair. Used for pickers and for the previous period's ranks.
    """
    table = _rank(_item_table(frame, by), rank_by)
    columns = ["rank", "key", "name"] + (["artist"] if by != "artist" else []) + ["streams"]
    return table[columns].assign(hours=table["ms"] / MS_PER_HOUR)


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
              previous: pd.DataFrame | None = None) -> pd.DataFrame:
    """The top ``n`` artists, tracks or albums (all when ``n`` is None), with rank movement.

    Columns: ``rank``, ``name`` (tracks: "title — artist"), ``artist`` (tracks and albums),
    ``streams``, ``hours``, ``previous_rank`` (the rank in ``previous`` among all its items,
    NA if absent) and ``movement``: "+3" (up three), "-2", "=" or "new" (not ranked in the
    previous frame); both missing when no previous frame is given. Ties go to the other measure,
    then the name.
    """
    current = ranked_items(frame, by, rank_by)
    if n is not None:
        current = current.head(n)
    if previous is None:
        prior = pd.array([pd.NA] * len(current), dtype="Int64")
        movement = pd.Series([None] * len(current), dtype="str")
    else:
        before = ranked_items(previous, by, rank_by)
        lookup = dict(zip(before["key"], before["rank"]))
        prior = pd.array([lookup.get(key) for key in current["key"]], dtype="Int64")
        movement = pd.Series([_movement(r, p) for r, p in zip(current["rank"], prior)], dtype="str")
    return current.drop(columns="key").reset_index(drop=True).assign(previous_rank=prior, movement=movement)


def previous_period(filters: Filters) -> tuple[dt.date, dt.date] | None:
    """The window of the same length right before the filters' date range (None if open-ended).

    2024-03-01..2024-03-31 (31 days) -> 2024-01-30..2024-02-29.
    """
    if filters.start is None or filters.end is None:
        return None
    length = (filters.end - filters.start).days + 1
    end = filters.start - dt.timedelta(days=1)
    return end - dt.timedelta(days=length - 1), end
