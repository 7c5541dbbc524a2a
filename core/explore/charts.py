"""Aggregates -> Altair charts, with one look: the same colours, tooltips and labels everywhere.

Every builder takes a tidy DataFrame (the output of a core aggregate) and names the columns
to draw, so a chart's data is exactly the aggregate (tests read it back from the spec).
"""
from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

import altair as alt
import numpy as np
import pandas as pd

ACCENT = "#1DB954"  # Spotify green, also Streamlit's primary colour in .streamlit/config.toml
SCHEME = "greens"  # sequential scheme for heatmaps
CATEGORY_SCHEME = "tableau10"  # categorical scheme for breakdowns
HEIGHT = 320
# Streamlit sizes charts with autosize "fit", which squeezes axes and titles into the
# given height and halves a bar chart's bars; fit only the width and let the height be
# the plot's own.
AUTOSIZE = alt.AutoSizeParams(type="fit-x", contains="padding")
# Every time drawn here is a naive local wall-clock time (a period's start). Vega-Lite reads
# it as UTC, so the scale and its labels are UTC too: no browser zone shifts a month.
# Labels name their year: the 1st of January reads "2021", the 1st of another month
# "Apr 2021", any other day "5 Apr" (Vega's own labels name a year only on a January tick,
# and drop those when labels crowd, leaving "April, October" over many years).
TIME_LABELS = ("utcFormat(datum.value, utcdate(datum.value) != 1 ? '%-d %b' "
               ": utcmonth(datum.value) == 0 ? '%Y' : '%b %Y')")
YEARLY_TICKS_FROM = pd.Timedelta(days=2 * 365)  # spans at least this long get one tick a year
# A period's number on a calendar counting whole periods: consecutive periods differ by
# exactly 1, so a bigger step is a gap (times read as UTC, see above).
PERIOD_INDEX = {
    "day": "round(time(datum[{t!r}]) / 864e5)",
    "week": "round(time(datum[{t!r}]) / 6048e5)",
    "month": "utcyear(datum[{t!r}]) * 12 + utcmonth(datum[{t!r}])",
    "year": "utcyear(datum[{t!r}])",
}


# Altair checks a chart against the whole Vega-Lite schema each time it becomes a spec
# (Streamlit asks on every run): 20-50 ms a chart, 0.15-0.3 s for a page of seven at any
# data size. The builders here make the same shapes whatever the data, so a page draws
# them unchecked; the tests check every chart they draw (tests/conftest.py sets
# VALIDATE_ENV), and ``to_dict(validate=True)`` still checks one.
VALIDATE_ENV = "ENCORE_VALIDATE_CHARTS"
_Build = TypeVar("_Build", bound=Callable)


def unchecked(build: _Build) -> _Build:
    """A chart builder whose charts skip the schema check when drawn (see VALIDATE_ENV), and
    are made once for the same arguments (see ``chart_key``): the same chart object again."""
    @functools.wraps(build)
    def wrapper(*args, **kwargs):
        key = _key_of((build.__module__, build.__qualname__, bool(os.environ.get(VALIDATE_ENV)), args, kwargs))
        with _BUILT_LOCK:
            chart = _BUILT.get(key) if key is not None else None
            if chart is not None:
                _BUILT.move_to_end(key)
                return chart
        if os.environ.get(VALIDATE_ENV):
            chart = build(*args, **kwargs)
        else:
            # nor each part (axis, scale, tooltip…) as it is made
            with alt.utils.schemapi.debug_mode(False):
                chart = build(*args, **kwargs)
            # an instance attribute: SchemaBase routes attribute writes into the spec
            object.__setattr__(chart, "to_dict", functools.partial(type(chart).to_dict, chart, validate=False))
        if key is not None:
            object.__setattr__(chart, "_encore_key", (id(chart), key))
            with _BUILT_LOCK:
                _BUILT[key] = chart
                while len(_BUILT) > _BUILT_KEPT:
                    _BUILT.popitem(last=False)
        return chart
    return wrapper  # type: ignore[return-value]


# A page draws the same charts again on every run (another control changed, or none): a chart
# is kept by its builder and arguments (the data by content), and a page keeps its spec on it
# (pages/_shared.chart): building and converting cost 3-4 ms a chart.
_BUILT: OrderedDict[bytes, alt.TopLevelMixin] = OrderedDict()
_BUILT_LOCK = threading.Lock()
_BUILT_KEPT = 256


def chart_key(chart: object) -> bytes | None:
    """What a chart made here is made of (its builder and arguments, the data by content), as
    a digest: equal for equal charts. None for a chart made otherwise, or a copy of one."""
    kept = getattr(chart, "__dict__", {}).get("_encore_key")
    return kept[1] if kept is not None and kept[0] == id(chart) else None


class _Unkeyed(Exception):
    """An argument that has no key (not data, text, a number or a chart made here)."""


def _key_of(value: object) -> bytes | None:
    digest = hashlib.blake2b(digest_size=20)
    try:
        _feed(digest, value)
    except (_Unkeyed, TypeError):
        return None
    return digest.digest()


def _feed_values(digest, values: pd.Series | pd.Index) -> None:
    """Add a column's (or an index's) values: numbers, flags and times by their bytes, a
    categorical by its categories, order and codes, texts by their repr (many: pandas' hash of
    each), a few other values (dates, nullable numbers…) by their repr. Anything else (mixed
    types, arrays in cells…) has no key: a chart of it is not kept."""
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        digest.update(repr(("categories", dtype.ordered, len(dtype.categories))).encode())
        _feed_values(digest, pd.Index(dtype.categories))
        codes = values.cat.codes if isinstance(values, pd.Series) else values.codes
        digest.update(np.ascontiguousarray(np.asarray(codes)).view(np.uint8))
    elif isinstance(dtype, np.dtype) and dtype.kind in "biufcmM":
        digest.update(np.ascontiguousarray(values.to_numpy()).view(np.uint8))
    elif (kind := pd.api.types.infer_dtype(values, skipna=True)) in ("string", "empty") and len(values) > _REPR_ROWS:
        digest.update(pd.util.hash_pandas_object(values, index=False).to_numpy().tobytes())
    elif kind in _REPR_KINDS and len(values) <= _REPR_ROWS:
        digest.update(repr(values.tolist()).encode())  # exact, and 1, 1.0, "1" and True differ
    else:
        raise _Unkeyed(kind)


_REPR_ROWS = 5_000
_REPR_KINDS = ("string", "empty", "bytes", "integer", "floating", "mixed-integer-float", "decimal", "boolean",
               "datetime", "datetime64", "date", "time", "timedelta", "timedelta64", "period")


def _feed(digest, value: object) -> None:
    """Add ``value`` to ``digest``: its type and content (a frame's columns, types, index and
    every value), so that different values, or equal values of other types, differ."""
    if isinstance(value, (pd.DataFrame, pd.Series)):
        frame = value.to_frame() if isinstance(value, pd.Series) else value
        name = value.name if isinstance(value, pd.Series) else None
        digest.update(repr((type(value).__name__, [str(c) for c in frame.columns], [str(t) for t in frame.dtypes],
                            name, len(frame))).encode())
        index = frame.index
        if isinstance(index, pd.RangeIndex):
            digest.update(repr((index.start, index.stop, index.step)).encode())
        else:
            _feed_values(digest, index)
        for _, column in frame.items():
            _feed_values(digest, column)
    elif value is None or isinstance(value, (str, bytes, bool, int, float, np.generic, pd.Timestamp, pd.Timedelta)):
        digest.update(repr((type(value).__name__, value)).encode())
    elif isinstance(value, (list, tuple)):
        digest.update(f"{type(value).__name__}[{len(value)}]".encode())
        for item in value:
            _feed(digest, item)
    elif isinstance(value, dict):
        digest.update(f"dict[{len(value)}]".encode())
        for name in sorted(value, key=repr):
            _feed(digest, name)
            _feed(digest, value[name])
    elif (key := chart_key(value)) is not None:
        digest.update(b"chart" + key)
    else:
        raise _Unkeyed(type(value).__name__)


def _tooltips(data: pd.DataFrame, columns: list[str]) -> list[alt.Tooltip]:
    out = []
    for column in columns:
        if pd.api.types.is_float_dtype(data[column]):
            out.append(alt.Tooltip(column, format=",.1f"))
        elif pd.api.types.is_integer_dtype(data[column]):
            out.append(alt.Tooltip(column, format=","))
        elif pd.api.types.is_datetime64_any_dtype(data[column]):
            out.append(alt.Tooltip(column, type="temporal"))
        else:
            out.append(alt.Tooltip(column))
    return out


def time_axis(times: pd.Series) -> alt.Axis:
    """A year-aware axis for naive wall-clock times: one tick a year over long spans."""
    span = times.max() - times.min() if len(times) else pd.Timedelta(0)
    if pd.notna(span) and span >= YEARLY_TICKS_FROM:
        return alt.Axis(labelExpr=TIME_LABELS, tickCount=alt.TimeIntervalStep(interval="year", step=1))
    return alt.Axis(labelExpr=TIME_LABELS)


def _time_x(data: pd.DataFrame, time: str, time_unit: str | None = None) -> alt.X:
    extra = {"timeUnit": time_unit} if time_unit else {}
    return alt.X(f"{time}:T", title=None, scale=alt.Scale(type="utc"), axis=time_axis(data[time]), **extra)


def _linked(data: pd.DataFrame) -> dict:
    """Mark and encoding for charts whose rows may carry a ``link`` column (an address on
    the Artist & track page): a click on the mark opens it."""
    if "link" not in data.columns or not data["link"].notna().any():
        return {"mark": {}, "encode": {}}
    return {"mark": {"cursor": "pointer"}, "encode": {"href": alt.Href("link:N")}}


@unchecked
def bar_ranking(data: pd.DataFrame, label: str, value: str, title: str, tooltip: list[str] | None = None) -> alt.Chart:
    """Horizontal bars, largest first (top artists, tracks, albums, platforms …). With a
    ``link`` column, a click on a bar opens that row's address."""
    linked = _linked(data)
    return (
        alt.Chart(data, title=title)
        .mark_bar(color=ACCENT, **linked["mark"])
        .encode(
            y=alt.Y(f"{label}:N", sort="-x", title=None, axis=alt.Axis(labelLimit=260)),
            x=alt.X(f"{value}:Q", title=value),
            tooltip=_tooltips(data, tooltip or [label, value]),
            **linked["encode"],
        )
        .properties(height=max(120, 22 * len(data)), autosize=AUTOSIZE)
    )


@unchecked
def line_over_time(data: pd.DataFrame, time: str, value: str, title: str, color: str | None = None,
                   time_unit: str | None = None, tooltip: list[str] | None = None,
                   period: str | None = None) -> alt.Chart:
    """A value over time; one line per ``color`` group if given.

    With ``period`` (day, week, month or year: what each row stands for) the line breaks
    where periods are missing instead of joining across them; a missing value (NaN)
    always breaks it.
    """
    encoding = {
        "x": _time_x(data, time, time_unit),
        "y": alt.Y(f"{value}:Q", title=value),
        "tooltip": _tooltips(data, tooltip or [time, value] + ([color] if color else [])),
    }
    if color:
        encoding["color"] = alt.Color(f"{color}:N", scale=alt.Scale(scheme=CATEGORY_SCHEME), title=None)
    # one colour for line and points: unless told, Vega-Lite draws the points in its default blue
    style = {} if color else {"color": ACCENT}
    if len(data) < 60:
        point = alt.OverlayMarkDef(**style)
    elif period:  # small points: a period alone between two gaps is a line of one point, which draws nothing
        point = alt.OverlayMarkDef(size=12, **style)
    else:
        point = False
    chart = alt.Chart(data, title=title).mark_line(point=point, **style)
    if period:
        # number the runs of consecutive periods (per colour group) and draw each run apart
        groups = [color] if color else []
        chart = (
            chart.transform_calculate(_period=PERIOD_INDEX[period].format(t=time))
            .transform_window(_previous="lag(_period)", sort=[alt.SortField(time)], groupby=groups)
            .transform_calculate(_gap="datum._previous == null || datum._period - datum._previous > 1 ? 1 : 0")
            .transform_window(_run="sum(_gap)", sort=[alt.SortField(time)], groupby=groups)
        )
        encoding["detail"] = alt.Detail("_run:O")
    return chart.encode(**encoding).properties(height=HEIGHT, autosize=AUTOSIZE)


def rank_ticks(worst: int) -> list[int]:
    """Rank ticks from 1 to ``worst``: every rank up to 10, else 1 and round steps (at most ~6 more)."""
    if worst <= 10:
        return list(range(1, max(worst, 1) + 1))
    step = next(s * 10 ** k for k in range(len(str(worst))) for s in (1, 2, 5) if worst / (s * 10 ** k) <= 6)
    return [1] + list(range(step, worst + 1, step))


@unchecked
def rank_over_time(data: pd.DataFrame, time: str, rank: str, title: str,
                   tooltip: list[str] | None = None) -> alt.Chart:
    """A rank (by streams) per period as points, rank 1 at the top.

    Points only: a period without a rank has no point, and a line would join across it.
    """
    worst = int(data[rank].max()) if len(data) else 1
    return (
        alt.Chart(data, title=title)
        .mark_circle(color=ACCENT, size=50, opacity=1)
        .encode(
            x=alt.X(f"{time}:T", title=None, scale=alt.Scale(type="utc", padding=8), axis=time_axis(data[time])),
            # padding: the best and worst points sit inside the plot, not on its edge
            y=alt.Y(f"{rank}:Q", title=f"{rank} (by streams)",
                    scale=alt.Scale(reverse=True, domain=[1, worst], nice=False, zero=False, padding=8),
                    axis=alt.Axis(values=rank_ticks(worst), format="d")),
            tooltip=_tooltips(data, tooltip or [time, rank]),
        )
        .properties(height=HEIGHT, autosize=AUTOSIZE)
    )


@unchecked
def bars_over_time(data: pd.DataFrame, time: str, value: str, title: str, color: str | None = None,
                   tooltip: list[str] | None = None) -> alt.Chart:
    """Columns per period (day, week, month, year), stacked by ``color`` if given.

    Each column spans most of its period (``BAR_SHARE`` of the shortest gap between two
    periods), so a year of months draws twelve columns, not twelve hairlines."""
    width_ms = int(_bar_width(data[time]) / pd.Timedelta(milliseconds=1))
    encoding = {
        "x": _time_x(data, time),
        "x2": alt.X2(f"{time}_end:T"),
        # counts (streams, new artists) tick on whole numbers: no "0.1 … 0.9 streams" axis
        "y": alt.Y(f"{value}:Q", title=value, stack=True,
                   axis=alt.Axis(tickMinStep=1, format=",d") if pd.api.types.is_integer_dtype(data[value])
                   else alt.Axis()),
        "tooltip": _tooltips(data, tooltip or [time, value] + ([color] if color else [])),
    }
    # the end of each column, computed in the chart (the data stays the aggregate as it is)
    chart = alt.Chart(data, title=title).transform_calculate(
        **{f"{time}_end": f"time(datum[{json.dumps(time)}]) + {width_ms}"})
    if color:
        encoding["color"] = alt.Color(f"{color}:N", scale=alt.Scale(scheme=CATEGORY_SCHEME), title=None)
        chart = chart.mark_bar(orient="vertical")  # columns: x and x2 span the period, y stacks
    else:
        chart = chart.mark_bar(color=ACCENT, orient="vertical")
    return chart.encode(**encoding).properties(height=HEIGHT, autosize=AUTOSIZE)


BAR_SHARE = 0.85  # of a period a column spans (the rest is the gap between columns)


def _bar_width(times: pd.Series) -> pd.Timedelta:
    """``BAR_SHARE`` of the shortest gap between two periods (a lone period: of 28 days)."""
    distinct = pd.Series(pd.unique(times.dropna())).sort_values()
    gaps = distinct.diff().dropna()
    gaps = gaps[gaps > pd.Timedelta(0)]
    return (gaps.min() if len(gaps) else pd.Timedelta(days=28)) * BAR_SHARE


@unchecked
def heatmap(data: pd.DataFrame, x: str, y: str, value: str, title: str, x_sort: list | None = None,
            y_sort: list | None = None, tooltip: list[str] | None = None, height: int = HEIGHT) -> alt.Chart:
    """A grid coloured by ``value`` (hour x weekday); ``height`` of the grid in pixels."""
    return (
        alt.Chart(data, title=title)
        .mark_rect()
        .encode(
            x=alt.X(f"{x}:O", title=x, sort=x_sort, axis=alt.Axis(labelAngle=0)),
            y=alt.Y(f"{y}:O", title=None, sort=y_sort),
            color=alt.Color(f"{value}:Q", scale=alt.Scale(scheme=SCHEME), title=value),
            tooltip=_tooltips(data, tooltip or [y, x, value]),
        )
        .properties(height=height, autosize=AUTOSIZE)
    )


def nice_bins(low: float, high: float, maxbins: int) -> tuple[float, float, float]:
    """(start, stop, step) of the bins for values from ``low`` to ``high``, by Vega's rule
    (vega-statistics ``bin``: base 10, a step divided by 5 or 2 while it gives at most
    ``maxbins`` bins, ends on whole steps), so a histogram binned here reads as one that
    Vega-Lite bins itself."""
    span = (high - low) or abs(low) or 1
    log10 = math.log(10)  # as Vega works logarithms out (Math.log(x) / Math.LN10), to the last bit
    step = 10.0 ** (math.floor(math.log(span) / log10 + 0.5) - math.ceil(math.log(maxbins) / log10))  # JS Math.round
    while math.ceil(span / step) > maxbins:
        step *= 10
    for divide in (5, 2):
        if span / (step / divide) <= maxbins:
            step /= divide
    precision = 0 if step >= 1 else int(-math.log(step) / log10) + 1
    floor = math.floor(low / step + 10.0 ** (-precision - 1)) * step
    start = floor - step if low < floor else floor
    stop = math.ceil(high / step) * step
    return start, (stop if stop != start else start + step), step


def binned(values: np.ndarray, maxbins: int) -> tuple[np.ndarray, np.ndarray, float]:
    """(bin starts, counts, step) of the non-empty bins of ``values`` (``nice_bins``); a value
    on a boundary counts in the bin it starts, the largest in the last bin (as Vega bins)."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    if not len(values):
        return np.empty(0), np.empty(0, dtype=np.int64), 1.0
    start, stop, step = nice_bins(float(values.min()), float(values.max()), maxbins)
    at = np.floor(1e-14 + (np.clip(values, start, stop - step) - start) / step).astype(np.int64)
    counts = np.bincount(at)
    kept = np.flatnonzero(counts)
    return start + step * kept, counts[kept], step


@unchecked
def histogram(data: pd.DataFrame, value: str, title: str, bins: int = 30) -> alt.Chart:
    """Distribution of a numeric column (session lengths …), binned here: the browser draws
    a bar per bin, not a value per row (11,700 sessions at 300k plays), which makes a rerun
    of the page that shows it 0.1-0.15 s quicker in Chromium."""
    starts, counts, step = binned(data[value].to_numpy(), bins)
    table = pd.DataFrame({value: starts, "bin_end": starts + step, "count": counts})
    digits = max(0, -math.floor(math.log10(step)))
    table["range"] = [f"{a:,.{digits}f}–{b:,.{digits}f}" for a, b in zip(table[value], table["bin_end"])]
    return (
        alt.Chart(table, title=title)
        .mark_bar(color=ACCENT)
        .encode(
            x=alt.X(f"{value}:Q", bin=alt.Bin(binned=True, step=step), title=value),
            x2=alt.X2("bin_end"),  # a channel object: the shorthand string costs 3 ms of schema lookups
            y=alt.Y("count:Q", title="count"),
            tooltip=[alt.Tooltip("range:N", title=value), alt.Tooltip("count:Q", format=",")],
        )
        .properties(height=HEIGHT, autosize=AUTOSIZE)
    )


@unchecked
def share_bars(data: pd.DataFrame, label: str, share: str, title: str, tooltip: list[str] | None = None) -> alt.Chart:
    """Shares (0..1) as horizontal bars with percentage axis."""
    return (
        alt.Chart(data, title=title)
        .mark_bar(color=ACCENT)
        .encode(
            y=alt.Y(f"{label}:N", sort="-x", title=None),
            x=alt.X(f"{share}:Q", axis=alt.Axis(format="%"), title="share"),
            tooltip=[alt.Tooltip(label), alt.Tooltip(share, format=".1%")] + (
                _tooltips(data, [c for c in (tooltip or []) if c not in (label, share)])),
        )
        .properties(height=max(120, 24 * len(data)), autosize=AUTOSIZE)
    )


# --- Mood page: audio features over time and by hour, shares by decade --------------------

def _feature_tooltips(data: pd.DataFrame, first: alt.Tooltip, value_format: str) -> list[alt.Tooltip]:
    """The tooltip of a feature chart: the x, the feature and its value, then coverage and time."""
    extra = [alt.Tooltip(f"{c}:Q", title=c.replace("_", " "), format=f)
             for c, f in (("coverage", ".0%"), ("matched_hours", ",.1f")) if c in data]
    return [first, alt.Tooltip("feature:N"), alt.Tooltip("value:Q", format=value_format), *extra]


def _feature_y(title: str, unit_scale: bool) -> alt.Y:
    # 0..1 features keep their whole scale, so a flat month never looks like a swing
    scale = alt.Scale(domain=[0, 1]) if unit_scale else alt.Scale(zero=False)
    return alt.Y("value:Q", title=title, scale=scale)


@unchecked
def features_over_time(data: pd.DataFrame, title: str, unit_scale: bool = True, y_title: str = "mean") -> alt.Chart:
    """One line per audio feature over months, from ``core.mood.long_features`` (month, feature,
    value, coverage, matched_hours); a month without a value breaks its line."""
    value_format = ".2f" if unit_scale else ",.0f"
    first = alt.Tooltip("month:T", title="month", timeUnit="utcyearmonth", format="%b %Y")
    color = alt.Color("feature:N", scale=alt.Scale(scheme=CATEGORY_SCHEME), title=None) \
        if data["feature"].nunique() > 1 else alt.value(ACCENT)
    return line_over_time(data, "month", "value", title, color="feature", time_unit="utcyearmonth",
                          period="month").encode(y=_feature_y(y_title, unit_scale), color=color,
                                                 tooltip=_feature_tooltips(data, first, value_format))


@unchecked
def features_by_hour(data: pd.DataFrame, title: str, unit_scale: bool = True, y_title: str = "mean") -> alt.Chart:
    """One line per audio feature over the 24 local hours, from ``core.mood.long_features``
    (hour, feature, value, coverage, matched_hours); an hour without a value breaks its line."""
    value_format = ".2f" if unit_scale else ",.0f"
    several = data["feature"].nunique() > 1
    color = alt.Color("feature:N", scale=alt.Scale(scheme=CATEGORY_SCHEME), title=None) if several \
        else alt.value(ACCENT)
    return (
        alt.Chart(data, title=title)
        .mark_line(point=alt.OverlayMarkDef() if several else alt.OverlayMarkDef(color=ACCENT))
        .encode(
            x=alt.X("hour:Q", title="hour", scale=alt.Scale(domain=[0, 23], nice=False),
                    axis=alt.Axis(values=list(range(0, 24, 3)), format="02d")),
            y=_feature_y(y_title, unit_scale),
            color=color,
            tooltip=_feature_tooltips(data, alt.Tooltip("hour:Q", format="02d"), value_format),
        )
        .properties(height=HEIGHT, autosize=AUTOSIZE)
    )


@unchecked
def share_columns(data: pd.DataFrame, label: str, share: str, title: str, sort: list | None = None,
                  tooltip: list[str] | None = None) -> alt.Chart:
    """Shares (0..1) as vertical bars in the given order (release decades …)."""
    return (
        alt.Chart(data, title=title)
        .mark_bar(color=ACCENT)
        .encode(
            x=alt.X(f"{label}:O", title=None, sort=sort, axis=alt.Axis(labelAngle=0)),
            y=alt.Y(f"{share}:Q", axis=alt.Axis(format="%"), title="share"),
            tooltip=[alt.Tooltip(label), alt.Tooltip(share, format=".1%")] + (
                _tooltips(data, [c for c in (tooltip or []) if c not in (label, share)])),
        )
        .properties(height=HEIGHT, autosize=AUTOSIZE)
    )


@unchecked
def coverage_over_time(data: pd.DataFrame, time: str, title: str) -> alt.Chart:
    """The share of listening with audio features per period, as columns on a 0..100 % axis."""
    return bars_over_time(data, time, "coverage", title).encode(
        y=alt.Y("coverage:Q", title="with features", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
        tooltip=[alt.Tooltip(f"{time}:T", title="month", timeUnit="utcyearmonth", format="%b %Y"),
                 alt.Tooltip("coverage:Q", format=".0%"),
                 *[alt.Tooltip(f"{c}:Q", title=c.replace("_", " "), format=",.1f")
                   for c in ("hours", "matched_hours") if c in data]],
    )


@unchecked
def timeline_chart(data: pd.DataFrame, title: str) -> alt.Chart:
    """Artists as points: x = first listen, y = streams since (log scale: every artist here
    has at least one stream), tooltip name; with a ``link`` column a click opens the artist.
 The x axis uses a UTC scale
    because ``first_listen`` is a naive wall-clock time: shown as is, in any browser zone.
    """
    linked = _linked(data)
    return (
        alt.Chart(data, title=title)
        .mark_circle(color=ACCENT, opacity=0.6, size=40, **linked["mark"])
        .encode(
            **linked["encode"],
            x=alt.X("first_listen:T", title="first listen", scale=alt.Scale(type="utc"),
                    axis=alt.Axis(format="%b %Y")),
            y=alt.Y("streams:Q", title="streams since (log scale)", scale=alt.Scale(type="log")),
            tooltip=[alt.Tooltip("artist:N", title="artist"),
                     alt.Tooltip("first_listen:T", title="first listen", format="%d %b %Y", formatType="utc"),
                     alt.Tooltip("streams:Q", title="streams since", format=","),
                     alt.Tooltip("hours:Q", title="hours since", format=",.1f")],
        )
        .properties(height=HEIGHT)
    )


@unchecked
def month_chart(months: pd.DataFrame, title: str) -> alt.Chart:
    """Minutes per calendar month as columns, January to December (``recap_tables(...)["months"]``).

    ``bars_over_time`` puts bars on a time axis, where twelve bars come out as thin lines.
    """
    return (
        alt.Chart(months, title=title)
        .mark_bar(color=ACCENT)
        .encode(
            x=alt.X("month:O", sort=list(months["month"]), title=None,
                    axis=alt.Axis(labelExpr="slice(datum.label, 0, 3)", labelAngle=0)),
            y=alt.Y("minutes:Q", title="minutes"),
            tooltip=[alt.Tooltip("month:N"), alt.Tooltip("minutes:Q", format=",")],
        )
    )


# --- labels ------------------------------------------------------------------------------


def percent_label(share: float | None) -> str:
    """A share (0..1) in percent for people to read; "—" when unknown.

    Whole percents, with as many decimals as it takes (at most 3) for anything short of
    all to never read "100%", and anything more than none to never read "0%".
    """
    if share is None or pd.isna(share):
        return "—"
    if share in (0, 1):
        return f"{share:.0%}"
    for decimals in range(4):
        text = f"{share:.{decimals}%}"
        if 0 < float(text.removesuffix("%")) < 100:
            return text
    return "<0.001%" if share < 0.5 else ">99.999%"


@unchecked
def model_comparison(data: pd.DataFrame, models: list[str]) -> alt.Chart:
    """NDCG of each model on each evaluation task, as bars (``taste.ndcg_frame``: model, metric, value)."""
    return alt.Chart(data).mark_bar().encode(
        x=alt.X("value:Q", title="NDCG", scale=alt.Scale(domain=[0, 1])),
        y=alt.Y("model:N", sort=models, title=None),
        color=alt.Color("model:N", legend=None), row=alt.Row("metric:N", title=None),
        tooltip=["model", "metric", alt.Tooltip("value:Q", format=".3f")])


@unchecked
def monthly_axes(chart: alt.Chart, value: str, tooltip: list[str]) -> alt.Chart:
    """Readable axes for a monthly chart: plain-word titles, shares in %, month tooltips
    (the time axis is this module's own: UTC, year-aware)."""
    share = value.startswith("share")

    def tip(column: str) -> alt.Tooltip:
        fmt = ".1%" if column.startswith("share") else ",.1f" if "hours" in column else ","
        return alt.Tooltip(f"{column}:Q", title=column.replace("_", " "), format=fmt)

    return chart.encode(
        y=alt.Y(f"{value}:Q", title=value.replace("_", " "), axis=alt.Axis(format="%") if share else alt.Axis()),
        tooltip=[alt.Tooltip("month:T", timeUnit="utcyearmonth", format="%b %Y", title="month")]
        + [tip(c) for c in tooltip])


PERIOD_TIME_UNITS = {"day": "utcyearmonthdate", "week": "utcyearmonthdate", "month": "utcyearmonth", "year": "utcyear"}
PERIOD_FORMATS = {"day": "%d %b %Y", "week": "week of %d %b %Y", "month": "%b %Y", "year": "%Y"}


@unchecked
def rate_over_time(data: pd.DataFrame, value: str, title: str, period: str, extra: list[str]) -> alt.Chart:
    """A share (0..1) per period as a line, with a percent axis and period-aware tooltips."""
    tooltip = [alt.Tooltip("period_start:T", title=period, timeUnit=PERIOD_TIME_UNITS[period],
                           format=PERIOD_FORMATS[period]),
               alt.Tooltip(f"{value}:Q", title=value.replace("_", " "), format=".1%")]
    tooltip += [alt.Tooltip(f"{c}:Q", title=c.replace("_", " "), format=".0%" if c == "coverage" else ",")
                for c in extra]
    return line_over_time(data, "period_start", value, title, time_unit=PERIOD_TIME_UNITS[period],
                          period=period).encode(
        y=alt.Y(f"{value}:Q", title=value.replace("_", " "), axis=alt.Axis(format="%")), tooltip=tooltip)


@unchecked
def tall(chart: alt.Chart, rows: int) -> alt.Chart:
    """Room for ``rows`` labelled bars: Streamlit fits the whole chart (title and axes too)
    into its height, and labels of a few words need width."""
    return chart.properties(height=150 + 28 * rows).configure_axisY(labelLimit=220)


@unchecked
def coverage_by_year(shares: pd.DataFrame) -> alt.Chart:
    """Stacked share of each year's listening time with audio features, by how it was matched
    (columns ``year``, ``matched`` "by id" / "by artist and title", ``percent``)."""
    return (alt.Chart(shares, title="Share of each year's listening time with audio features")
            .mark_bar()
            .encode(x=alt.X("year:O", title=None),
                    y=alt.Y("percent:Q", title="% of listening time", stack="zero", scale=alt.Scale(domain=[0, 100])),
                    color=alt.Color("matched:N", title="Matched", scale=alt.Scale(
                        domain=["by id", "by artist and title"], range=[ACCENT, "#9BD8AE"])),
                    tooltip=["year", "matched", alt.Tooltip("percent:Q", format=".1f")])
            .properties(height=HEIGHT, autosize=AUTOSIZE))
