"""Listening clock: when in the week you listen, and to whom at each hour."""
import numpy as np
import pandas as pd
import streamlit as st

from core import explore, store
from pages import _shared

_shared.through_navigation()

VALUES = {"Hours": "hours", "Streams": "streams"}

profile = st.session_state.get("profile", store.DEFAULT_PROFILE)
filters = _shared.explore_controls(profile)
st.title("Listening clock")
if _shared.empty_state(_shared.nothing_selected(profile, filters), profile):
    st.stop()

# Every aggregate is kept per content type (_shared.content_parts) and added up here: a new
# content choice counts only the plays of the types not counted before.


@st.cache_data(show_spinner=False, max_entries=64)
def _cells(key: tuple, part: explore.Filters, value: str) -> np.ndarray:
    return explore.clock_part(_shared.explore_frame(key[1], part), value)


@st.cache_resource(show_spinner=False, max_entries=64)
def _hour_artists(key: tuple, part: explore.Filters) -> pd.DataFrame:
    # read-only (cache_resource: hours times artists is too long to copy on every rerun)
    return explore.hour_artist_part(_shared.explore_frame(key[1], part))


@st.cache_data(show_spinner=False, max_entries=64)
def _top_by_hour(key: tuple, filters: explore.Filters, n: int) -> pd.DataFrame:
    return explore.top_artist_by_hour_of([_hour_artists(key, part) for part in _shared.content_parts(filters)], n)


@st.cache_data(show_spinner=False, max_entries=64)
def _week(key: tuple, part: explore.Filters) -> tuple:
    return explore.week_part(_shared.explore_frame(key[1], part))


key = _shared.data_key(profile)
st.caption(f"Local time in {filters.tz}. Each play counts in full in the hour it started; on the days the "
           "clocks change, the skipped spring hour stays empty and the repeated autumn hour holds both.")

st.subheader("Hour by weekday")
value = VALUES[st.radio("Colour by", list(VALUES), horizontal=True, key="clock_value")]
counted = filters if value == "streams" else _shared.without_rule(filters)
grid = explore.clock_heatmap_of([_cells(key, part, value) for part in _shared.content_parts(counted)], value)
if grid[value].sum() == 0:
    st.info("No streams in this range: every play is shorter than the stream rule in the sidebar. "
            "Colour by hours, or count all plays as streams.")
else:
    _shared.chart(
        st,
        explore.heatmap(grid, x="hour", y="weekday", value=value, title=f"{value.capitalize()} by hour and weekday",
                       x_sort=list(range(24)), y_sort=list(explore.WEEKDAYS)),
        width="stretch",
    )

st.subheader("Who you play at each hour")
n = int(st.radio("Artists per hour", [1, 2, 3], index=2, horizontal=True, key="clock_top_n"))
top = _top_by_hour(key, filters, n)
if top.empty:
    st.info("No artist plays in this range: podcasts and audiobooks have no artists. Pick Music in the sidebar.")
else:
    # each cell opens its artist on the Artist & track page: the address, then "#" and what is shown
    # (an address made by urlencode holds no "#" of its own)
    cells = top.assign(cell=[f"{_shared.detail_link('artist', a, profile)}#{a} · {h:.1f} h"
                             for a, h in zip(top["artist"], top["hours"])])
    table = cells.pivot(index="hour", columns="rank", values="cell").reindex(range(24))
    table.index = [f"{h:02d}:00" for h in table.index]
    table.columns = [f"#{r}" for r in table.columns]
    st.dataframe(table, width="stretch", height=35 * 25,
                 column_config={c: st.column_config.LinkColumn(c, display_text=r"^[^#]*#(.*)$") for c in table.columns})
    st.caption("Ranked by time listened (every play) among plays started in that hour, over the whole range.")

st.subheader("Weekdays and weekends")
split = explore.weekday_vs_weekend_of([_week(key, part)  # hours only
                                       for part in _shared.content_parts(_shared.without_rule(filters))])
per_day = split.groupby("day_type")["hours_per_day"].sum()
left, right = st.columns(2)
for column, day_type, label in ((left, "weekday", "Weekday (Mon–Fri)"), (right, "weekend", "Weekend (Sat, Sun)")):
    column.metric(label, f"{per_day[day_type]:.1f} h a day" if day_type in per_day else "–",
                  help="Average over every such day from the first to the last play in range, listened or not.")
if split["share"].sum() == 0:
    st.info("Too little listening to compare.")
else:
    shares = split.assign(percent=split["share"] * 100)
    _shared.chart(
        st,
        explore.heatmap(shares, x="hour", y="day_type", value="percent",
                       title="Share of the day's listening in each hour (%)", x_sort=list(range(24)),
                       tooltip=["day_type", "hour", "percent", "hours_per_day"],
                       height=92),  # two rows as tall as the seven weekday rows above
        width="stretch",
    )
    st.caption("Each row adds up to 100 %: compare the shape of a weekday with a weekend day.")

_shared.download_buttons(_shared.plays_on_click(profile, filters), "clock")
