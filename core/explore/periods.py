"""Local time -> periods: the day, week (from Monday), month or year a play falls in.

Periods are naive timestamps on the local wall clock (``datetime64[us]``): the first local
day of the period, whatever the UTC offset was then. Every Explore aggregate that groups by
time uses these.
"""
from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from core.base import MS_PER_HOUR

Period = Literal["day", "week", "month", "year"]
PERIODS: tuple[str, ...] = ("day", "week", "month", "year")

_FREQ = {"day": "D", "week": "W-MON", "month": "MS", "year": "YS"}
UNIT = "datetime64[us]"


def wall_clock(local: pd.Series) -> np.ndarray:
    """Local times (tz-aware, or already naive) as naive wall-clock time (datetime64[us])."""
    if local.dt.tz is not None:
        local = local.dt.tz_localize(None)
    return local.to_numpy(dtype=UNIT)


def local_wall(frame: pd.DataFrame) -> np.ndarray:
    """A localised frame's local start times as naive wall-clock time: its ``wall`` column
    (``explore.localise`` adds it once: dropping the time zone of a million times costs
    40 ms, and every period and date filter needs it), else from ``local``."""
    if "wall" in frame.columns:
        return frame["wall"].to_numpy(dtype=UNIT)
    return wall_clock(frame["local"])


def period_starts(local: pd.Series | np.ndarray, period: Period = "month") -> np.ndarray:
    """The local wall-clock start of the day, week (Monday), month or year of each time
    (``local``: tz-aware or naive times, or ``local_wall``'s array)."""
    if period not in PERIODS:
        raise ValueError(f"period must be one of {PERIODS}, not {period!r}")
    wall = local.astype(UNIT) if isinstance(local, np.ndarray) else wall_clock(local)
    if period == "week":
        days = wall.astype("datetime64[D]")
        # 1970-01-01 was a Thursday: shift so that weeks start on Monday
        starts = days - ((days.view("int64") + 3) % 7).astype("timedelta64[D]")
    else:
        starts = wall.astype({"day": "datetime64[D]", "month": "datetime64[M]", "year": "datetime64[Y]"}[period])
    return starts.astype(UNIT)


def period_codes(wall: np.ndarray, period: Period = "month") -> tuple[np.ndarray, np.ndarray]:
    """(each time's period as 0..k-1 in time order, the k period starts): ``period_starts``
    for grouping, on the periods' integer numbers (no second pass over a million dates to
    convert them back, no hashing to number them)."""
    if period not in PERIODS:
        raise ValueError(f"period must be one of {PERIODS}, not {period!r}")
    wall = np.asarray(wall).astype(UNIT)
    if period == "week":
        days = wall.astype("datetime64[D]").view("int64")
        numbers = days - (days + 3) % 7  # the Monday of each week, as a day number
        unit = "datetime64[D]"
    else:
        unit = {"day": "datetime64[D]", "month": "datetime64[M]", "year": "datetime64[Y]"}[period]
        numbers = wall.astype(unit).view("int64")
    if len(numbers) == 0:
        return numbers.astype("int64"), np.empty(0, dtype=UNIT)
    low = int(numbers.min())
    present = np.bincount(numbers - low) > 0
    values = np.flatnonzero(present) + low
    codes = np.cumsum(present)[numbers - low] - 1
    return codes, values.astype(unit).astype(UNIT)


def span(starts: np.ndarray, period: Period) -> pd.DatetimeIndex:
    """Every period from the first to the last start, gaps included."""
    if len(starts) == 0:
        return pd.DatetimeIndex([], dtype=UNIT, name="period_start")
    return pd.date_range(starts.min(), starts.max(), freq=_FREQ[period], unit="us", name="period_start")


def totals_per_period(frame: pd.DataFrame, period: Period, periods: pd.DatetimeIndex) -> pd.DataFrame:
    """hours (every play) and streams per period start, zero for periods of ``periods`` without plays."""
    sums = (
        pd.DataFrame({"period_start": period_starts(local_wall(frame), period), "ms": frame["ms_played"].to_numpy(),
                      "streams": frame["is_stream"].to_numpy(dtype="int64")})
        .groupby("period_start").sum()
        .reindex(periods, fill_value=0)
    )
    return pd.DataFrame({
        "period_start": periods.to_numpy(dtype=UNIT),
        "hours": sums["ms"].to_numpy(dtype="int64") / MS_PER_HOUR,
        "streams": sums["streams"].to_numpy(dtype="int64"),
    })
