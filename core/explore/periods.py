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
from core.history.frame import run_starts, trues_per_run

Period = Literal["day", "week", "month", "year"]
PERIODS: tuple[str, ...] = ("day", "week", "month", "year")

_FREQ = {"day": "D", "week": "W-MON", "month": "MS", "year": "YS"}
UNIT = "datetime64[us]"
US_PER_HOUR = 3_600_000_000  # an hour in UNIT


def wall_clock(local: pd.Series) -> np.ndarray:
    """Local times (tz-aware, or already naive) as naive wall-clock time (datetime64[us]).

    Times in order (a history's plays are) are moved by their zone's UTC offset a run at a
    time (``_wall_in_order``): dropping the zone time by time, as pandas does, costs 15-20 ms
    over a million times, this 3 ms.
    """
    if local.dt.tz is None:
        return local.to_numpy(dtype=UNIT)
    utc = local.dt.tz_convert(None).to_numpy(dtype=UNIT).view("int64")  # the same instants (no copy)
    if not local.is_monotonic_increasing or (len(utc) and utc[-1] - utc[0] > _MOST_HOURS * US_PER_HOUR):
        return local.dt.tz_localize(None).to_numpy(dtype=UNIT)
    return _wall_in_order(utc, local.dt.tz).view(UNIT)


_MOST_HOURS = 1_000_000  # times further apart (over a century) are converted one by one


def _utc_offsets(utc: np.ndarray, tz) -> np.ndarray:
    """The zone's UTC offset (microseconds) at each of some UTC instants (int64 microseconds)."""
    local = pd.DatetimeIndex(utc.view(UNIT)).tz_localize("UTC").tz_convert(tz).tz_localize(None)
    return local.as_unit("us").asi8 - utc


def _wall_in_order(utc: np.ndarray, tz) -> np.ndarray:
    """The wall clock (int64 microseconds) of UTC instants in ascending order.

    The zone's offset is read at every whole UTC hour from the first instant's to the last's
    (a 20-year history: 175,000 hours); between two hours with the same offset, every instant
    has it, and it is added to the whole run of them at once. The instants in an hour whose
    offset differs from the next hour's (a change of the clocks in it) are converted one by
    one. This takes that no zone changes its offset and back within one hour: in the tz
    database, from 1900 on, a zone's changes are at least four days apart.
    """
    if len(utc) == 0:
        return utc.copy()
    hours = np.arange(int(utc[0]) // US_PER_HOUR, int(utc[-1]) // US_PER_HOUR + 2, dtype=np.int64) * US_PER_HOUR
    offsets = _utc_offsets(hours, tz)
    changed = np.flatnonzero(offsets[1:] != offsets[:-1])  # the hours in which the offset changes
    lows, highs = np.searchsorted(utc, hours[changed]), np.searchsorted(utc, hours[changed + 1])
    wall = np.empty_like(utc)
    done, offset = 0, offsets[0]
    for hour, low, high in zip(changed.tolist(), lows.tolist(), highs.tolist()):
        np.add(utc[done:low], offset, out=wall[done:low])
        done, offset = high, offsets[hour + 1]
    np.add(utc[done:], offset, out=wall[done:])
    inside = np.concatenate([np.arange(low, high) for low, high in zip(lows, highs)] or [np.empty(0, np.int64)])
    if len(inside):  # one conversion for all of them
        wall[inside] = utc[inside] + _utc_offsets(utc[inside], tz)
    return wall


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
        starts = _calendar(wall, {"day": "datetime64[D]", "month": "datetime64[M]", "year": "datetime64[Y]"}[period])
    return starts.astype(UNIT)


def calendar_years(wall: np.ndarray) -> np.ndarray:
    """The calendar year (an integer) of each wall-clock time (``local_wall``'s array)."""
    return _calendar(np.asarray(wall).astype(UNIT), "datetime64[Y]").astype("int64") + 1970


def _calendar(wall: np.ndarray, unit: str) -> np.ndarray:
    """``wall.astype(unit)``, converting each distinct day once: numpy's calendar arithmetic
    for months and years costs 40 ms over a million times, a lookup by day number 5 ms."""
    if unit == "datetime64[D]" or len(wall) == 0 or np.isnat(wall).any():
        return wall.astype(unit)
    days = wall.astype("datetime64[D]").view("int64")
    low = int(days.min())
    table = (np.arange(int(days.max()) - low + 1) + low).astype("datetime64[D]").astype(unit)
    return table[days - low]


def period_codes(wall: np.ndarray, period: Period = "month") -> tuple[np.ndarray, np.ndarray]:
    """(each time's period as 0..k-1 in time order, the k period starts): ``period_starts``
    for grouping, on the periods' integer numbers (no second pass over a million dates to
    convert them back, no hashing to number them)."""
    if period not in PERIODS:
        raise ValueError(f"period must be one of {PERIODS}, not {period!r}")
    return day_period_codes(np.asarray(wall).astype(UNIT, copy=False).astype("datetime64[D]").view("int64"), period)


def local_period_codes(frame: pd.DataFrame, period: Period = "month") -> tuple[np.ndarray, np.ndarray]:
    """``period_codes`` of a localised frame's local start times, from its day numbers
    (``local_days``: no wall clock converted to dates)."""
    return day_period_codes(local_days(frame), period)


def day_period_codes(days: np.ndarray, period: Period = "month") -> tuple[np.ndarray, np.ndarray]:
    """``period_codes`` of local days as days since 1970-01-01 (``local_days``). Each day from
    the first to the last is numbered once (a small table), then each time looks its day up:
    one pass over the times."""
    if period not in PERIODS:
        raise ValueError(f"period must be one of {PERIODS}, not {period!r}")
    if len(days) == 0:
        return np.zeros(0, dtype=np.int64), np.empty(0, dtype=UNIT)
    low = int(days.min())
    span_days = np.arange(low, int(days.max()) + 1, dtype=np.int64)
    if period == "week":
        numbers, unit = span_days - (span_days + 3) % 7, "datetime64[D]"  # the Monday of each day's week
    else:
        unit = {"day": "datetime64[D]", "month": "datetime64[M]", "year": "datetime64[Y]"}[period]
        numbers = span_days.astype("datetime64[D]").astype(unit).view("int64")
    first = int(numbers[0])
    numbers -= first  # each day's period, from 0
    present = np.zeros(int(numbers[-1]) + 1, dtype=bool)
    present[numbers[np.unique(days[run_starts(days)]) - low]] = True  # the periods of the days with a time
    day_codes = (np.cumsum(present) - 1)[numbers]  # each day's period's place among those present
    if low >= 0:  # looked up by the day number itself (no array of them less the first)
        day_codes = np.concatenate([np.zeros(low, dtype=np.int64), day_codes])
        codes = day_codes[days]
    else:
        codes = day_codes[np.subtract(days, low, dtype=np.intp)]
    return codes, (np.flatnonzero(present) + first).astype(unit).astype(UNIT)


def local_days(frame: pd.DataFrame) -> np.ndarray:
    """A localised frame's local start dates as days since 1970-01-01 (integers): its ``day``
    column (``explore.localise`` adds it), else from the wall clock (``local_wall``)."""
    if "day" in frame.columns:
        return frame["day"].to_numpy()
    return local_wall(frame).astype("datetime64[D]").view("int64")  # floored, as period_starts


def days_at(numbers: np.ndarray, low: int = 0) -> np.ndarray:
    """Days since 1970-01-01 (``local_days``; or counted from day ``low``) as local midnights
    (``datetime64[us]``)."""
    return (np.asarray(numbers, dtype=np.int64) + low).astype("datetime64[D]").astype(UNIT)


def span(starts: np.ndarray, period: Period) -> pd.DatetimeIndex:
    """Every period from the first to the last start, gaps included."""
    if len(starts) == 0:
        return pd.DatetimeIndex([], dtype=UNIT, name="period_start")
    return pd.date_range(starts.min(), starts.max(), freq=_FREQ[period], unit="us", name="period_start")


def span_of(wall: np.ndarray, period: Period) -> pd.DatetimeIndex:
    """Every period from the first to the last of some wall-clock times (``local_wall``'s
    array), gaps included: the two ends are enough, not every time's period."""
    ends = np.array([wall.min(), wall.max()]) if len(wall) else wall
    return span(period_starts(ends, period), period)


def totals_per_period(frame: pd.DataFrame, period: Period, periods: pd.DatetimeIndex) -> pd.DataFrame:
    """hours (every play) and streams per period start, zero for periods of ``periods`` without plays."""
    return place_sums(period_sums(frame, period), periods)


def period_sums(frame: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Per period with a play (in order): ``period_start``, ``ms`` (every play, whole
    milliseconds) and ``streams``."""
    return sums_by_period(day_sums(frame), period)


def day_sums(frame: pd.DataFrame) -> pd.DataFrame:
    """``period_sums`` per local day: every period's are the sums of its days
    (``sums_by_period``), so one pass over the plays serves every period.

    The plays are in time order, so a day's plays are a run of rows (or, where the wall
    clock went back across midnight, a few runs): they are added up run by run, which makes
    no array the size of the plays (in a running app fresh memory costs more than a pass)."""
    days = local_days(frame)
    if len(days) == 0:
        return pd.DataFrame({"period_start": np.empty(0, dtype=UNIT), "ms": np.zeros(0, dtype="int64"),
                             "streams": np.zeros(0, dtype="int64")})
    starts = run_starts(days)  # each day's run of plays (a day the wall clock comes back to has several)
    ms = np.add.reduceat(frame["ms_played"].to_numpy(dtype=np.int64), starts)
    streams = trues_per_run(frame["is_stream"].to_numpy(), starts)
    numbers = days[starts].astype(np.int64)
    if len(numbers) > 1 and not (numbers[1:] > numbers[:-1]).all():  # a day in several runs: added up
        numbers, run = np.unique(numbers, return_inverse=True)
        ms = np.bincount(run, weights=ms).astype(np.int64)  # whole ms: exact below 2**53
        streams = np.bincount(run, weights=streams).astype(np.int64)
    return pd.DataFrame({"period_start": days_at(numbers), "ms": ms, "streams": streams})


def sums_by_period(days: pd.DataFrame, period: Period) -> pd.DataFrame:
    """``day_sums`` added up per period (day, week from Monday, month or year)."""
    if period == "day":
        return days
    codes, starts = period_codes(days["period_start"].to_numpy(dtype=UNIT), period)
    return pd.DataFrame({"period_start": starts,
                         "ms": np.bincount(codes, weights=days["ms"].to_numpy(), minlength=len(starts)).astype("int64"),
                         "streams": np.bincount(codes, weights=days["streams"].to_numpy(),
                                                minlength=len(starts)).astype("int64")})


def place_sums(sums: pd.DataFrame, periods: pd.DatetimeIndex) -> pd.DataFrame:
    """``period_sums`` (or several, one after the other: a period's rows are added up) placed on
    ``periods``: ``period_start``, ``hours`` and ``streams``, zero for periods without plays; a
    period outside ``periods`` is left out."""
    where = periods.to_numpy(dtype=UNIT)
    starts = sums["period_start"].to_numpy(dtype=UNIT)
    at = where.searchsorted(starts)
    inside = at < len(where)
    inside[inside] = where[at[inside]] == starts[inside]
    ms = np.bincount(at[inside], weights=sums["ms"].to_numpy()[inside], minlength=len(where))
    streams = np.bincount(at[inside], weights=sums["streams"].to_numpy()[inside], minlength=len(where))
    return pd.DataFrame({
        "period_start": where,
        "hours": ms.astype("int64") / MS_PER_HOUR,  # whole milliseconds: exact below 2**53
        "streams": streams.astype("int64"),
    })
