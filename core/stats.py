"""The explore frame -> the aggregates of the Overview, Listening clock and Artist & track pages.

Every function takes the frame of ``core.explore.apply_filters`` (one row per play, placed
at its local start) and follows the rules in that module's docstring. Two measures:

- **streams** count plays with ``is_stream`` (the stream rule the person chose);
- **hours** sum ``ms_played`` of *all* plays, streams or not, because time spent listening
  to a skipped track is still time spent listening.

Periods and months are naive timestamps on the local wall clock (``datetime64[us]``): the
first local day of the period, whatever the UTC offset was then.
"""
from __future__ import annotations

import datetime as dt
from typing import Literal

import numpy as np
import pandas as pd

from core.explore import Filters

MS_PER_HOUR = 3_600_000
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
WEEKEND = (5, 6)  # Saturday, Sunday
SEPARATOR = " — "

Period = Literal["day", "week", "month", "year"]
ItemKind = Literal["artist", "track", "album"]
RankBy = Literal["streams", "time"]

_FREQ = {"day": "D", "week": "W-MON", "month": "MS", "year": "YS"}
_UNIT = "datetime64[us]"


# --- small shared pieces -------------------------------------------------------------

def _wall_clock(frame: pd.DataFrame) -> np.ndarray:
    """The local start of each play as naive wall-clock time (datetime64[us])."""
    return frame["local"].dt.tz_localize(None).to_numpy(dtype=_UNIT)


def _period_starts(frame: pd.DataFrame, period: Period) -> np.ndarray:
    """The local start of the day/week (Monday)/month/year each play falls in."""
    wall = _wall_clock(frame)
    if period == "day":
        days = wall.astype("datetime64[D]")
    elif period == "week":
        days = wall.astype("datetime64[D]") - frame["weekday"].to_numpy().astype("timedelta64[D]")
    elif period == "month":
        days = wall.astype("datetime64[M]")
    elif period == "year":
        days = wall.astype("datetime64[Y]")
    else:
        raise ValueError(f"period must be one of {sorted(_FREQ)}, not {period!r}")
    return days.astype(_UNIT)


def _span(starts: np.ndarray, period: Period) -> pd.DatetimeIndex:
    """Every period from the first to the last start, gaps included."""
    if len(starts) == 0:
        return pd.DatetimeIndex([], dtype=_UNIT, name="period_start")
    return pd.date_range(starts.min(), starts.max(), freq=_FREQ[period], unit="us", name="period_start")


def _totals_per_period(frame: pd.DataFrame, period: Period, span: pd.DatetimeIndex) -> pd.DataFrame:
    """hours and streams per period start, zero for periods of ``span`` without plays."""
    sums = (
        pd.DataFrame({"period_start": _period_starts(frame, period), "ms": frame["ms_played"].to_numpy(),
                      "streams": frame["is_stream"].to_numpy(dtype="int64")})
        .groupby("period_start").sum()
        .reindex(span, fill_value=0)
    )
    return pd.DataFrame({
        "period_start": span.to_numpy(dtype=_UNIT),
        "hours": sums["ms"].to_numpy(dtype="int64") / MS_PER_HOUR,
        "streams": sums["streams"].to_numpy(dtype="int64"),
    })


def _text(values: pd.Series) -> pd.Series:
    """Categorical names as plain strings (NaN stays NaN)."""
    return values.astype(object).astype("str")


# --- Overview ------------------------------------------------------------------------

def totals(frame: pd.DataFrame) -> dict:
    """Headline numbers of a selection.

    ``streams``: plays that count as streams; ``plays``: every play; ``hours``: ms_played of
    every play, to one decimal; ``tracks``, ``artists``, ``albums``: distinct among music
    streams (an album is its name with its artist, so two "Greatest Hits" stay apart);
    ``days_listened``: distinct local dates with any play.
    """
    music = frame.loc[frame["is_stream"] & (frame["content_type"] == "music"),
                      ["track_name", "track_key", "artist_name", "album_name"]]
    return {
        "streams": int(frame["is_stream"].sum()),
        "plays": len(frame),
        "hours": round(int(frame["ms_played"].sum()) / MS_PER_HOUR, 1),
        "tracks": int(music.loc[music["track_name"].notna(), "track_key"].nunique()),
        "artists": int(music["artist_name"].nunique()),
        "albums": int(music.groupby(["album_name", "artist_name"], observed=True).ngroups),
        "days_listened": int(pd.unique(_wall_clock(frame).astype("datetime64[D]")).size),
    }


def listening_time(frame: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Listening per day, week (from Monday), month or year, in local time.

    Columns ``period_start`` (naive local timestamp), ``hours`` (all plays) and ``streams``.
    Every period from the first to the last play is present, with zeros where nothing was
    played (a year without plays shows as 0, not as a missing bar).
    """
    starts = _period_starts(frame, period)
    return _totals_per_period(frame, period, _span(starts, period))


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


# --- Listening clock -----------------------------------------------------------------

def clock_heatmap(frame: pd.DataFrame, value: Literal["hours", "streams"] = "hours") -> pd.DataFrame:
    """Hours (all plays) or streams per local weekday and start hour: all 7 x 24 cells.

    Columns ``weekday`` ("Mon".."Sun"), ``hour`` (0-23) and a column named after ``value``.
    A play counts in full in the hour it started. Across a DST change the local hour is
    the wall clock's: the skipped spring hour stays empty, the repeated autumn hour holds both.
    """
    if value not in ("hours", "streams"):
        raise ValueError(f"value must be 'hours' or 'streams', not {value!r}")
    measure = frame["ms_played"] if value == "hours" else frame["is_stream"].astype("int64")
    grid = pd.MultiIndex.from_product([range(7), range(24)], names=["weekday", "hour"])
    sums = measure.groupby([frame["weekday"].astype("int64"), frame["hour"].astype("int64")]).sum()
    sums = sums.reindex(grid, fill_value=0).to_numpy(dtype="int64")
    return pd.DataFrame({
        "weekday": pd.Series(np.repeat(WEEKDAYS, 24), dtype="str"),
        "hour": np.tile(np.arange(24, dtype="int64"), 7),
        value: sums / MS_PER_HOUR if value == "hours" else sums,
    })


def top_artist_by_hour(frame: pd.DataFrame, n: int = 1) -> pd.DataFrame:
    """The ``n`` (1-3) artists listened to longest at each local hour of the day.

    Columns ``hour``, ``rank``, ``artist``, ``hours`` (all plays); ties go to streams, then
    the name. Hours without any artist play have no row.
    """
    if not 1 <= n <= 3:
        raise ValueError(f"n must be 1, 2 or 3, not {n}")
    values = pd.DataFrame({"hour": frame["hour"].to_numpy(dtype="int64"), "artist": frame["artist_name"].array,
                           "ms": frame["ms_played"].to_numpy(),
                           "streams": frame["is_stream"].to_numpy(dtype="int64")})
    table = values.groupby(["hour", "artist"], observed=True)[["ms", "streams"]].sum().reset_index()
    table = table[table["ms"] > 0].assign(artist=lambda t: _text(t["artist"]))
    table = table.sort_values(["hour", "ms", "streams", "artist"], ascending=[True, False, False, True], kind="stable")
    table["rank"] = table.groupby("hour").cumcount().astype("int64") + 1
    table = table[table["rank"] <= n]
    return pd.DataFrame({"hour": table["hour"].to_numpy(dtype="int64"), "rank": table["rank"].to_numpy(),
                         "artist": table["artist"].to_numpy(), "hours": table["ms"].to_numpy() / MS_PER_HOUR}
                        ).astype({"artist": "str"})


def weekday_vs_weekend(frame: pd.DataFrame) -> pd.DataFrame:
    """Listening per hour of the day on weekdays (Mon-Fri) and weekends (Sat, Sun).

    Columns ``day_type`` ("weekday"/"weekend"), ``hour`` (0-23), ``hours_per_day`` (hours of
    all plays started in that hour, divided by the number of such days from the first to the
    last local date of the frame, listened or not; summing a day type's rows gives its
    average hours per day) and ``share`` (that hour's part of the day type's listening time,
    0 if none). A day type with no day in the range has no rows.
    """
    columns = ["day_type", "hour", "hours_per_day", "share"]
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(columns, ("str", "int64", "float64", "float64"))})
    days = _wall_clock(frame).astype("datetime64[D]")
    calendar = pd.date_range(days.min(), days.max(), freq="D")
    weekend_days = int(calendar.day_of_week.isin(WEEKEND).sum())
    day_counts = {"weekday": len(calendar) - weekend_days, "weekend": weekend_days}
    is_weekend = frame["weekday"].isin(WEEKEND).to_numpy()
    grid = pd.MultiIndex.from_product([[False, True], range(24)])
    sums = (frame["ms_played"].groupby([is_weekend, frame["hour"].to_numpy(dtype="int64")]).sum()
            .reindex(grid, fill_value=0))
    parts = []
    for kind, count in day_counts.items():
        if not count:
            continue
        ms = sums.loc[kind == "weekend"].to_numpy(dtype="int64")
        total = ms.sum()
        parts.append(pd.DataFrame({"day_type": kind, "hour": np.arange(24, dtype="int64"),
                                   "hours_per_day": ms / MS_PER_HOUR / count,
                                   "share": ms / total if total else np.zeros(24)}))
    return pd.concat(parts, ignore_index=True).astype({"day_type": "str"})[columns]


# --- Artist & track ------------------------------------------------------------------

def _monthly_ranks(frame: pd.DataFrame, by: Literal["artist", "track"], key: str) -> pd.DataFrame:
    """The item's rank among all artists/tracks in each month it was streamed: month, rank.

    Same order as ``top_items`` by streams: streams, then time, then name.
    """
    column = "artist_name" if by == "artist" else "track_key"
    keep = frame[column].notna().to_numpy()
    if by == "track":
        keep = keep & frame["track_name"].notna().to_numpy()
    values = pd.DataFrame({"month": _period_starts(frame, "month"), "item": frame[column].array,
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
    return pd.DataFrame({"month": mine["month"].to_numpy(dtype=_UNIT), "rank": mine["rank"].to_numpy(dtype="int64")})


def _item_detail(frame: pd.DataFrame, mine: pd.DataFrame, by: Literal["artist", "track"], key: str) -> dict:
    streams = mine[mine["is_stream"]]
    span = _span(_period_starts(frame, "month"), "month")
    per_month = _totals_per_period(mine, "month", span).rename(columns={"period_start": "month"})
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
