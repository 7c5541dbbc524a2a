"""Aggregates -> Altair charts, with one look: the same colours, tooltips and labels everywhere.

Every builder takes a tidy DataFrame (the output of a core aggregate) and names the columns
to draw, so a chart's data is exactly the aggregate (tests read it back from the spec).
"""
from __future__ import annotations

import altair as alt
import pandas as pd

ACCENT = "#1DB954"  # Spotify green, also Streamlit's primary colour in .streamlit/config.toml
SCHEME = "greens"  # sequential scheme for heatmaps
CATEGORY_SCHEME = "tableau10"  # categorical scheme for breakdowns
HEIGHT = 320
# Streamlit sizes charts with autosize "fit", which squeezes axes and titles into the
# given height and halves a bar chart's bars; fit only the width and let the height be
# the plot's own.
AUTOSIZE = alt.AutoSizeParams(type="fit-x", contains="padding")


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


def bar_ranking(data: pd.DataFrame, label: str, value: str, title: str, tooltip: list[str] | None = None) -> alt.Chart:
    """Horizontal bars, largest first (top artists, tracks, albums, platforms …)."""
    return (
        alt.Chart(data, title=title)
        .mark_bar(color=ACCENT)
        .encode(
            y=alt.Y(f"{label}:N", sort="-x", title=None, axis=alt.Axis(labelLimit=260)),
            x=alt.X(f"{value}:Q", title=value),
            tooltip=_tooltips(data, tooltip or [label, value]),
        )
        .properties(height=max(120, 22 * len(data)), autosize=AUTOSIZE)
    )


def line_over_time(data: pd.DataFrame, time: str, value: str, title: str, color: str | None = None,
                   time_unit: str | None = None, tooltip: list[str] | None = None) -> alt.Chart:
    """A value over time; one line per ``color`` group if given."""
    x = alt.X(f"{time}:T", title=None, timeUnit=time_unit) if time_unit else alt.X(f"{time}:T", title=None)
    encoding = {
        "x": x,
        "y": alt.Y(f"{value}:Q", title=value),
        "tooltip": _tooltips(data, tooltip or [time, value] + ([color] if color else [])),
    }
    mark = alt.Chart(data, title=title).mark_line(point=len(data) < 60)
    if color:
        encoding["color"] = alt.Color(f"{color}:N", scale=alt.Scale(scheme=CATEGORY_SCHEME), title=None)
    else:
        mark = alt.Chart(data, title=title).mark_line(point=len(data) < 60, color=ACCENT)
    return mark.encode(**encoding).properties(height=HEIGHT, autosize=AUTOSIZE)


def bars_over_time(data: pd.DataFrame, time: str, value: str, title: str, color: str | None = None,
                   tooltip: list[str] | None = None) -> alt.Chart:
    """Columns per period (day, week, month, year), stacked by ``color`` if given."""
    encoding = {
        "x": alt.X(f"{time}:T", title=None),
        "y": alt.Y(f"{value}:Q", title=value, stack=True),
        "tooltip": _tooltips(data, tooltip or [time, value] + ([color] if color else [])),
    }
    chart = alt.Chart(data, title=title)
    if color:
        encoding["color"] = alt.Color(f"{color}:N", scale=alt.Scale(scheme=CATEGORY_SCHEME), title=None)
        chart = chart.mark_bar()
    else:
        chart = chart.mark_bar(color=ACCENT)
    return chart.encode(**encoding).properties(height=HEIGHT, autosize=AUTOSIZE)


def heatmap(data: pd.DataFrame, x: str, y: str, value: str, title: str, x_sort: list | None = None,
            y_sort: list | None = None, tooltip: list[str] | None = None) -> alt.Chart:
    """A grid coloured by ``value`` (hour x weekday)."""
    return (
        alt.Chart(data, title=title)
        .mark_rect()
        .encode(
            x=alt.X(f"{x}:O", title=x, sort=x_sort),
            y=alt.Y(f"{y}:O", title=None, sort=y_sort),
            color=alt.Color(f"{value}:Q", scale=alt.Scale(scheme=SCHEME), title=value),
            tooltip=_tooltips(data, tooltip or [y, x, value]),
        )
        .properties(height=HEIGHT, autosize=AUTOSIZE)
    )


def histogram(data: pd.DataFrame, value: str, title: str, bins: int = 30) -> alt.Chart:
    """Distribution of a numeric column (session lengths …)."""
    return (
        alt.Chart(data, title=title)
        .mark_bar(color=ACCENT)
        .encode(
            x=alt.X(f"{value}:Q", bin=alt.Bin(maxbins=bins), title=value),
            y=alt.Y("count():Q", title="count"),
            tooltip=[alt.Tooltip(f"{value}:Q", bin=alt.Bin(maxbins=bins)), alt.Tooltip("count():Q")],
        )
        .properties(height=HEIGHT, autosize=AUTOSIZE)
    )


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
