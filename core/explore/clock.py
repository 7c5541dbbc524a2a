"""The explore frame -> the Listening clock: hour x weekday, who plays when, weekdays vs weekends.

Each aggregate adds up over content types: ``x_part`` and ``x_of`` as in ``core.explore.overview``.
"""
from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from core.base import MS_PER_HOUR
from core.explore.periods import local_wall
from core.explore.tops import _text

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
WEEKEND = (5, 6)  # Saturday, Sunday


def clock_heatmap(frame: pd.DataFrame, value: Literal["hours", "streams"] = "hours") -> pd.DataFrame:
    """Hours (all plays) or streams per local weekday and start hour: all 7 x 24 cells.

    Columns ``weekday`` ("Mon".."Sun"), ``hour`` (0-23) and a column named after ``value``.
    A play counts in full in the hour it started. Across a DST change the local hour is
    the wall clock's: the skipped spring hour stays empty, the repeated autumn hour holds both.
    """
    return clock_heatmap_of([clock_part(frame, value)], value)


def clock_part(frame: pd.DataFrame, value: Literal["hours", "streams"] = "hours") -> np.ndarray:
    """What ``clock_heatmap`` adds up: per cell (weekday * 24 + hour), the whole milliseconds
    (``value`` "hours") or streams of the plays that started in it (int64, 168 cells)."""
    if value not in ("hours", "streams"):
        raise ValueError(f"value must be 'hours' or 'streams', not {value!r}")
    measure = frame["ms_played"].to_numpy() if value == "hours" else frame["is_stream"].to_numpy(dtype="int64")
    # cell = weekday * 24 + hour: the 7 x 24 grid, weekday by weekday (whole numbers: exact)
    cells = frame["weekday"].to_numpy(dtype="int64") * 24 + frame["hour"].to_numpy(dtype="int64")
    return np.bincount(cells, weights=measure, minlength=7 * 24).astype("int64")


def clock_heatmap_of(parts: list[np.ndarray], value: Literal["hours", "streams"] = "hours") -> pd.DataFrame:
    """``clock_heatmap`` of several contents' plays from their ``clock_part``."""
    sums = np.sum(parts, axis=0, dtype="int64")
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
    return top_artist_by_hour_of([hour_artist_part(frame)], n)


def hour_artist_part(frame: pd.DataFrame) -> pd.DataFrame:
    """What ``top_artist_by_hour`` adds up: per (local start hour, artist) with a play,
    ``hour``, ``artist``, ``ms`` (every play) and ``streams``."""
    artists = frame["artist_name"]
    if isinstance(artists.dtype, pd.CategoricalDtype) and len(artists.cat.categories):
        # (hour, artist) on the categorical's codes, as the groupby below numbers them
        size = len(artists.cat.categories)
        codes = artists.cat.codes.to_numpy()
        known = codes >= 0
        cell = frame["hour"].to_numpy(dtype="int64")[known] * size + codes[known]
        present = np.flatnonzero(np.bincount(cell, minlength=24 * size))
        ms = np.bincount(cell, weights=frame["ms_played"].to_numpy()[known], minlength=24 * size)
        streams = np.bincount(cell, weights=frame["is_stream"].to_numpy()[known], minlength=24 * size)
        return pd.DataFrame({"hour": present // size,
                             "artist": artists.cat.categories.to_numpy(dtype=object)[present % size],
                             "ms": ms[present].astype("int64"), "streams": streams[present].astype("int64")})
    values = pd.DataFrame({"hour": frame["hour"].to_numpy(dtype="int64"), "artist": artists.array,
                           "ms": frame["ms_played"].to_numpy(),
                           "streams": frame["is_stream"].to_numpy(dtype="int64")})
    return values.groupby(["hour", "artist"], observed=True)[["ms", "streams"]].sum().reset_index()


def top_artist_by_hour_of(parts: list[pd.DataFrame], n: int = 1) -> pd.DataFrame:
    """``top_artist_by_hour`` of several contents' plays from their ``hour_artist_part``."""
    if not 1 <= n <= 3:
        raise ValueError(f"n must be 1, 2 or 3, not {n}")
    filled = [part for part in parts if len(part)]
    if len(filled) > 1:  # an artist can have plays of several contents (music and its videos)
        table = pd.concat(filled, ignore_index=True)
        table = table.groupby(["hour", "artist"], sort=False)[["ms", "streams"]].sum().reset_index()
    else:
        table = (filled or parts)[0]
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
    return weekday_vs_weekend_of([week_part(frame)])


def week_part(frame: pd.DataFrame) -> tuple[np.ndarray, np.datetime64 | None, np.datetime64 | None]:
    """What ``weekday_vs_weekend`` adds up: whole milliseconds per (weekend or not, start hour)
    (int64, 48 cells: weekday hours first), and the first and last local date (None without plays)."""
    if frame.empty:
        return np.zeros(48, dtype="int64"), None, None
    days = local_wall(frame).astype("datetime64[D]")
    is_weekend = frame["weekday"].isin(WEEKEND).to_numpy()
    # cell = 24 * weekend + hour: weekday hours first, then weekend hours (whole ms: exact)
    cells = is_weekend.astype("int64") * 24 + frame["hour"].to_numpy(dtype="int64")
    sums = np.bincount(cells, weights=frame["ms_played"].to_numpy(), minlength=48).astype("int64")
    return sums, days.min(), days.max()


def weekday_vs_weekend_of(parts: list[tuple[np.ndarray, np.datetime64 | None, np.datetime64 | None]]
                          ) -> pd.DataFrame:
    """``weekday_vs_weekend`` of several contents' plays from their ``week_part``."""
    columns = ["day_type", "hour", "hours_per_day", "share"]
    filled = [part for part in parts if part[1] is not None]
    if not filled:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(columns, ("str", "int64", "float64", "float64"))})
    sums = np.sum([part[0] for part in filled], axis=0, dtype="int64")
    calendar = pd.date_range(min(part[1] for part in filled), max(part[2] for part in filled), freq="D")
    weekend_days = int(calendar.day_of_week.isin(WEEKEND).sum())
    day_counts = {"weekday": len(calendar) - weekend_days, "weekend": weekend_days}
    tables = []
    for kind, count in day_counts.items():
        if not count:
            continue
        ms = sums[24:] if kind == "weekend" else sums[:24]
        total = ms.sum()
        tables.append(pd.DataFrame({"day_type": kind, "hour": np.arange(24, dtype="int64"),
                                    "hours_per_day": ms / MS_PER_HOUR / count,
                                    "share": ms / total if total else np.zeros(24)}))
    return pd.concat(tables, ignore_index=True).astype({"day_type": "str"})[columns]
