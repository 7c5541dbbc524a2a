"""The controls every Explore page shares -> the localised, filtered frame it draws from.

- A play is placed at the local time (in the chosen IANA time zone) when it **started**.
  A play that crosses midnight counts for the day it started; across a DST change the
  local clock is whatever it was at the start.
- The stream rule is a setting, not a filter at import: ``min_ms`` (default 30 s) marks
  plays as streams (``is_stream``); ``min_ms = 0`` counts every play.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.explore.periods import US_PER_HOUR, local_wall, wall_clock
from core.history.frame import DEFAULT_MIN_MS, block_bounds, block_size

# Most common IANA zone per country code (the zone most of the population lives in).
# Countries with several zones get their most populous one; the person can change it.
COUNTRY_TIMEZONES = {
    "AR": "America/Argentina/Buenos_Aires", "AT": "Europe/Vienna", "AU": "Australia/Sydney",
    "BE": "Europe/Brussels", "BG": "Europe/Sofia", "BR": "America/Sao_Paulo", "CA": "America/Toronto",
    "CH": "Europe/Zurich", "CL": "America/Santiago", "CO": "America/Bogota", "CZ": "Europe/Prague",
    "DE": "Europe/Berlin", "DK": "Europe/Copenhagen", "EE": "Europe/Tallinn", "EG": "Africa/Cairo",
    "ES": "Europe/Madrid", "FI": "Europe/Helsinki", "FR": "Europe/Paris", "GB": "Europe/London",
    "GR": "Europe/Athens", "HK": "Asia/Hong_Kong", "HR": "Europe/Zagreb", "HU": "Europe/Budapest",
    "ID": "Asia/Jakarta", "IE": "Europe/Dublin", "IL": "Asia/Jerusalem", "IN": "Asia/Kolkata",
    "IS": "Atlantic/Reykjavik", "IT": "Europe/Rome", "JP": "Asia/Tokyo", "KR": "Asia/Seoul",
    "LT": "Europe/Vilnius", "LU": "Europe/Luxembourg", "LV": "Europe/Riga", "MA": "Africa/Casablanca",
    "MX": "America/Mexico_City", "MY": "Asia/Kuala_Lumpur", "NG": "Africa/Lagos", "NL": "Europe/Amsterdam",
    "NO": "Europe/Oslo", "NZ": "Pacific/Auckland", "PE": "America/Lima", "PH": "Asia/Manila",
    "PL": "Europe/Warsaw", "PT": "Europe/Lisbon", "RO": "Europe/Bucharest", "RS": "Europe/Belgrade",
    "RU": "Europe/Moscow", "SA": "Asia/Riyadh", "SE": "Europe/Stockholm", "SG": "Asia/Singapore",
    "SI": "Europe/Ljubljana", "SK": "Europe/Bratislava", "TH": "Asia/Bangkok", "TR": "Europe/Istanbul",
    "TW": "Asia/Taipei", "UA": "Europe/Kyiv", "US": "America/New_York", "UY": "America/Montevideo",
    "VN": "Asia/Ho_Chi_Minh", "ZA": "Africa/Johannesburg",
}


def guess_timezone(countries: Iterable[str | None] | pd.Series) -> str:
    """The IANA zone of the most common known country (``conn_country``), else UTC.

    ``ZZ`` (unknown) and countries without an entry are passed over; a tie goes to the
    first country code in alphabetical order. A categorical Series is counted on its codes,
    so a million plays cost milliseconds.
    """
    series = countries if isinstance(countries, pd.Series) else pd.Series(list(countries), dtype=object)
    known = [(-int(n), code) for code, n in series.value_counts().items() if n and code in COUNTRY_TIMEZONES]
    return COUNTRY_TIMEZONES[min(known)[1]] if known else "UTC"


@dataclass(frozen=True)
class Filters:
    """The controls every Explore page shares."""

    start: dt.date | None = None  # local dates, inclusive
    end: dt.date | None = None
    content: tuple[str, ...] = ("music",)
    min_ms: int = DEFAULT_MIN_MS
    tz: str = "UTC"


def localise(plays: pd.DataFrame, tz: str) -> pd.DataFrame:
    """Add ``local`` (the start in the time zone), ``wall`` (the same as naive wall-clock
    time, for periods and date ranges), ``day`` (the local date as days since 1970-01-01,
    int32: what counting per day needs), ``hour`` and ``weekday`` (0 = Monday).

    Hour and weekday are read off the wall clock's hour numbers (pandas' field accessors took
    0.2 s over a million times; a ``date`` column of Python objects, 0.3 s more, is not made:
    ``local.dt.date`` gives it where wanted). A new zone makes a million of these on every
    page, and fresh memory is most of their cost in a running app: the day, hour and weekday
    are worked out a block of plays at a time through small buffers (``_day_hour_weekday``), and
    the new columns are the arrays made here, not copies of them.
    """
    local = plays["start"].dt.tz_convert(tz)
    wall = wall_clock(local)
    days, hour, weekday = _day_hour_weekday(wall.view("int64"))

    def column(values: np.ndarray) -> pd.Series:
        return pd.Series(values, index=plays.index, copy=False)

    return plays.assign(local=local, wall=column(wall), day=column(days), hour=column(hour), weekday=column(weekday))


def _day_hour_weekday(wall: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per wall-clock time (int64 microseconds): its day since 1970-01-01 (int32), hour and
    weekday (int8, 0 = Monday), worked out ``BLOCK_ROWS`` at a time through small buffers."""
    n = len(wall)
    days, hour, weekday = np.empty(n, dtype=np.int32), np.empty(n, dtype=np.int8), np.empty(n, dtype=np.int8)
    size = block_size(n)
    hours, whole, part = np.empty(size, dtype=np.int64), np.empty(size, dtype=np.int64), np.empty(size, dtype=np.int64)
    for lo, hi in block_bounds(n):
        h, d, r = hours[:hi - lo], whole[:hi - lo], part[:hi - lo]
        np.floor_divide(wall[lo:hi], US_PER_HOUR, out=h)  # hours since 1970-01-01 00:00 (a Thursday)
        np.floor_divide(h, 24, out=d)
        days[lo:hi] = d
        np.multiply(d, 24, out=r)
        np.subtract(h, r, out=r)
        hour[lo:hi] = r
        np.add(d, 3, out=d)
        np.remainder(d, 7, out=d)
        weekday[lo:hi] = d
    return days, hour, weekday


def select_rows(localised: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """Keep the chosen content and local date range of a localised frame (streams unmarked):
    ``select_content``, then ``select_dates``."""
    return select_dates(select_content(localised, filters.content), filters.start, filters.end)


def select_content(localised: pd.DataFrame, content: Iterable[str]) -> pd.DataFrame:
    """Keep the plays of the chosen content types (the frame itself when every play is one)."""
    keep = localised["content_type"].isin(tuple(content)).to_numpy()
    return localised if keep.all() else localised[keep]


def select_dates(rows: pd.DataFrame, start: dt.date | None, end: dt.date | None) -> pd.DataFrame:
    """Keep the plays whose local start date is from ``start`` to ``end`` (inclusive; None:
    open-ended) of a localised frame in order of start time.

    Dates are compared on the local wall clock (a datetime64 column), not on ``date``
    objects. The plays are in UTC order, so the wall clock only ever goes back where the
    clocks did (DST ending, for an hour): the range is found by binary search, a slice that
    copies nothing, and then checked with four minima and maxima (no array is made: fresh
    memory costs more than a pass in a running app). Where a change of the clocks straddles
    a bound, so that the slice is not exactly the range, every play is compared instead.
    """
    if start is None and end is None:
        return rows
    wall = local_wall(rows).view("int64")
    low_at = None if start is None else np.datetime64(start, "us").astype("int64")
    end_at = None if end is None else (np.datetime64(end, "us") + np.timedelta64(1, "D")).astype("int64")
    if len(wall) == 0:
        return rows
    lo = 0 if low_at is None else int(np.searchsorted(wall, low_at, side="left"))
    hi = len(wall) if end_at is None else max(lo, int(np.searchsorted(wall, end_at, side="left")))
    inside = wall[lo:hi]
    starts_exactly = low_at is None or ((lo == 0 or wall[:lo].max() < low_at)
                                        and (lo == hi or inside.min() >= low_at))
    ends_exactly = end_at is None or ((lo == hi or inside.max() < end_at)
                                      and (hi == len(wall) or wall[hi:].min() >= end_at))
    if starts_exactly and ends_exactly:
        return rows.iloc[lo:hi]
    keep = np.ones(len(wall), dtype=bool)
    if low_at is not None:
        keep &= wall >= low_at
    if end_at is not None:
        keep &= wall < end_at
    return rows[keep]


def positions_in(index: pd.Index, labels: pd.Index) -> slice | np.ndarray | None:
    """Where the rows labelled ``labels`` (a selection's index) sit among the rows labelled
    ``index`` (those it was selected from): a slice when they are one run of them (a date
    range usually is, and a slice copies nothing), else each label's position; None when a
    label is not there."""
    if isinstance(index, pd.RangeIndex) and index.step == 1 and labels.dtype.kind in "iu":
        # rows numbered 0..n-1 as loaded (or from any start): a label is its own position
        positions = labels.to_numpy().astype(np.int64) - index.start
        if len(positions) and (positions.min() < 0 or positions.max() >= len(index)):
            return None
        one_run = len(positions) and positions[-1] - positions[0] + 1 == len(positions)
        if one_run and np.all(positions[1:] > positions[:-1]):
            return slice(int(positions[0]), int(positions[-1]) + 1)
        return positions
    if len(labels) and index.dtype.kind in "iu" and labels.dtype.kind in "iu" and index.is_monotonic_increasing \
            and index.is_unique:
        # rows in order of their labels (a content's rows): found by binary search, not by
        # hashing every label (a hash table of a million labels costs 25 ms to build)
        at = index.searchsorted(labels[[0, -1]])
        if at[1] < len(index) and at[1] - at[0] + 1 == len(labels) and index[at[0]:at[1] + 1].equals(labels):
            return slice(int(at[0]), int(at[1]) + 1)
        positions = np.minimum(index.searchsorted(labels), len(index) - 1)
        return positions if np.array_equal(index.to_numpy()[positions], labels.to_numpy()) else None
    if len(labels) and index.is_unique:
        at = index.get_indexer(labels[[0, -1]])
        if at[0] >= 0 and at[1] - at[0] + 1 == len(labels) and index[at[0]:at[1] + 1].equals(labels):
            return slice(int(at[0]), int(at[1]) + 1)
    positions = index.get_indexer(labels)
    return None if (positions < 0).any() else positions


def mark_streams(frame: pd.DataFrame, min_ms: int) -> pd.DataFrame:
    """Add ``is_stream``: the play lasted at least ``min_ms`` (shares the other columns)."""
    return frame.assign(is_stream=frame["ms_played"].to_numpy() >= min_ms)


def select(localised: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """Keep the chosen content and local date range of a localised frame, and mark streams."""
    return mark_streams(select_rows(localised, filters), filters.min_ms)


def apply_filters(plays: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """Localise, keep the chosen content and local date range, and mark streams."""
    return select(localise(plays, filters.tz), filters)
