"""Overview: how much you listened, when, and to whom."""
import dataclasses

import pandas as pd
import streamlit as st

from core import explore, store
from pages import _shared

_shared.through_navigation()

PERIODS = {"Day": "day", "Week": "week", "Month": "month", "Year": "year"}
KINDS = {"Artists": "artist", "Tracks": "track", "Albums": "album"}
RANK_BY = {"Streams": "streams", "Time": "time"}

profile = st.session_state.get("profile", store.DEFAULT_PROFILE)
filters = _shared.explore_controls(profile)
st.title("Overview")
if _shared.empty_state(_shared.nothing_selected(profile, filters), profile):
    st.stop()

# Every aggregate is kept per content type (_shared.content_parts) and added up here: a new
# content choice counts only the plays of the types not counted before.


@st.cache_data(show_spinner=False, max_entries=64)
def _counts(key: tuple, rows: tuple, min_ms: int, _part: explore.Filters) -> dict:
    # keyed on the plays selected (``rows``), not the zone that selected them
    return explore.counts_part(_shared.explore_frame(key[1], _part))


@st.cache_data(show_spinner=False, max_entries=64)
def _day_sums(key: tuple, part: explore.Filters) -> pd.DataFrame:
    # per local day: the days listened, and listening time in every period, from one pass
    return explore.day_sums(_shared.explore_frame(key[1], part))


def _previous(filters: explore.Filters) -> explore.Filters | None:
    """The controls for the window the top list is compared with (None when open-ended)."""
    window = explore.previous_period(filters)
    return None if window is None else dataclasses.replace(filters, start=window[0], end=window[1])


@st.cache_data(show_spinner=False, max_entries=64)
def _top(key: tuple, rows: tuple, previous_rows: tuple | None, min_ms: int, by: str, rank_by: str, n: int,
         _filters: explore.Filters) -> tuple[pd.DataFrame, bool]:
    """The top list and whether the window it is compared with had plays (keyed on the plays
    of both, not the zone that selected them)."""
    before = _previous(_filters)
    had_plays = before is not None and not _shared.nothing_selected(key[1], before)
    # An empty previous window (before the first import) would mark everything "new": say nothing instead.
    table = explore.top_of(_shared.item_parts(key[1], _filters, by), by, rank_by, n,
                           _shared.item_parts(key[1], before, by) if had_plays else None, keys=True)
    return table, had_plays


key = _shared.data_key(profile)
rule = f"plays of at least {filters.min_ms // 1000} s" if filters.min_ms else "every play"

parts = _shared.content_parts(filters)
rows = _shared.parts_key(profile, filters)
summary = {**explore.counts_of([_counts(key, selected, part.min_ms, part) for part, selected in zip(parts, rows)]),
           "days_listened": explore.days_listened_of([explore.days_of(_day_sums(key, part)) for part in parts])}
content = ", ".join(filters.content)
# two rows of tiles: seven in one row cut totals of a large history ("29…") at laptop width
top = st.columns(4)
top[0].metric("Streams", f"{summary['streams']:,}", help=f"Streams are {rule} (sidebar: what counts as a stream).")
top[1].metric("Plays", f"{summary['plays']:,}", help=f"Every play of {content}, skips included.")
top[2].metric("Hours", f"{summary['hours']:,}",
              help=f"Time of every play of {content} (the sidebar's content), skips included. Home's hours count "
                   "every kind of content.")
top[3].metric("Days listened", f"{summary['days_listened']:,}", help="Local dates with at least one play.")
bottom = st.columns(4)
bottom[0].metric("Tracks", f"{summary['tracks']:,}", help="Distinct songs streamed (one song however many Spotify ids it has).")
bottom[1].metric("Artists", f"{summary['artists']:,}", help="Distinct artists of music streamed.")
bottom[2].metric("Albums", f"{summary['albums']:,}", help="Distinct albums of music streamed.")

st.subheader("Listening time")
st.session_state.setdefault("overview_period", list(PERIODS)[2])  # kept for the session (_shared.keep_controls)
period = PERIODS[st.radio("Per", list(PERIODS), horizontal=True, key="overview_period")]
over_time = explore.listening_time_of([explore.sums_by_period(_day_sums(key, part), period) for part in parts], period)
_shared.chart(
    st,
    explore.bars_over_time(over_time, "period_start", "hours", f"Hours listened per {period}",
                          tooltip=["period_start", "hours", "streams"]),
    width="stretch",
)
st.caption("Hours count every play, skips included; a play is placed at the local time it started "
           "(a play that crosses midnight counts for the day it began). Weeks start on Monday.")

st.subheader("Top of the range")
left, middle, right = st.columns(3)
kind = left.radio("Top", list(KINDS), horizontal=True, key="overview_by")
rank_label = middle.radio("Ranked by", list(RANK_BY), horizontal=True, key="overview_rank_by")
st.session_state.setdefault("overview_n", 10)
n = int(right.number_input("How many", min_value=5, max_value=100, step=5, key="overview_n"))
by, rank_by = KINDS[kind], RANK_BY[rank_label]
before = _previous(filters)
window = None if before is None else (before.start, before.end)
table, had_plays = _top(key, rows, None if before is None else _shared.parts_key(profile, before), filters.min_ms, by,
                        rank_by, n, filters)

if table.empty:
    counted = f" among streams ({rule})" if rank_by == "streams" else ""
    st.info(f"No {kind.lower()} to rank{counted} in this range. Podcasts and audiobooks have no artists, "
            "tracks or albums: pick Music in the sidebar, or widen the date range.")
else:
    value = "streams" if rank_by == "streams" else "hours"
    # each row opens its artist or song on the Artist & track page (an album: its artist)
    link_kind, link_column = ("song", "key") if by == "track" else ("artist", "artist" if by == "album" else "key")
    links = _shared.detail_links(link_kind, table[link_column], profile)
    shown = table.assign(change=table["movement"].map(explore.movement_arrow), link=links)
    chart_data = table.drop(columns="key").assign(label=table["rank"].astype(str) + ". " + table["name"], link=links)
    chart_tooltip = ["name"] + (["artist"] if by == "album" else []) + ["streams", "hours", "movement"]
    table_col, chart_col = st.columns([3, 2])
    table_col.dataframe(
        shown[["rank", "name"] + (["artist"] if by == "album" else []) + ["streams", "hours", "change", "link"]],
        hide_index=True, width="stretch",
        column_config={
            "rank": st.column_config.NumberColumn("#", width="small"),
            "name": kind[:-1],
            "artist": "Artist",
            # thousands separated, as in the headline numbers above
            "streams": st.column_config.NumberColumn("Streams", format="%,d"),
            "hours": st.column_config.NumberColumn("Hours", format="%,.1f"),
            "change": st.column_config.TextColumn("vs before", help="Rank change against the previous period "
                                                                     "of the same length: ↑ up, ↓ down, new."),
            "link": _shared.link_column("Open it on the Artist & track page"
                                        + (" (an album: its artist)" if by == "album" else "")),
        },
    )
    _shared.chart(
        chart_col,
        explore.bar_ranking(chart_data, "label", value, f"Top {kind.lower()} by {rank_label.lower()}",
                           tooltip=chart_tooltip),
        width="stretch",
    )
    if window is None:
        st.caption("No movement shown: the date range is open-ended.")
    elif had_plays:
        st.caption(f"Movement compares with {window[0]:%d %b %Y} – {window[1]:%d %b %Y}, the same number of days "
                   "right before this range (rank among everything played then).")
    else:
        st.caption(f"No movement shown: nothing was played in the previous period ({window[0]:%d %b %Y} – "
                   f"{window[1]:%d %b %Y}).")

_shared.download_buttons(_shared.plays_on_click(profile, filters), "overview")
