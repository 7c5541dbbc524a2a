"""Habits: how you listen — sessions, skips, why tracks start and end, shuffle, devices, places."""
import pandas as pd
import streamlit as st

from core import explore, store
from pages import _shared

_shared.through_navigation()

profile = st.session_state.get("profile", store.DEFAULT_PROFILE)
filters = _shared.explore_controls(profile)
st.title("Habits")
if _shared.empty_state(_shared.nothing_selected(profile, filters), profile):
    st.stop()

# utc time units: period starts are naive local wall-clock times, shown as they are in any browser

# Day counts and sessions are kept per content type and combined (explore.day_counts_of,
# split_of): a new content choice reads the plays of the types it adds, not every play of the
# chosen contents again.


@st.cache_resource(show_spinner=False, max_entries=4)
def _play_codes(key: tuple, kind: str) -> explore.PlayCodes:
    # what the day counts count of each play, coded once per content type: the same in every zone
    return explore.play_codes(_shared.content_rows(key[1], (kind,)))


@st.cache_resource(show_spinner=False, max_entries=8)
def _day_counts(key: tuple, tz: str, kind: str) -> explore.DayCounts:
    # key = _shared.data_key(profile): a new import invalidates exactly this. Once per zone and
    # content type: a date range is a run of these days, so a new range adds up days, not plays
    return explore.day_counts(_shared.content_plays(key[1], tz, (kind,)), _play_codes(key, kind))


@st.cache_resource(show_spinner=False, max_entries=8)
def _session_split(key: tuple, kind: str, gap_minutes: int) -> explore.SessionSplit | None:
    # the sessions of every play of a content type: a date range names only the sessions it
    # cuts. Split on UTC times: the same in every zone
    return explore.split_rows(_shared.content_rows(key[1], (kind,)), gap_minutes)


@st.cache_resource(show_spinner=False, max_entries=4)
def _sessions_split(key: tuple, kinds: tuple[str, ...], gap_minutes: int) -> explore.SessionSplit | None:
    # ... and of every play of the chosen types together: their timelines merged and split again
    return explore.split_of([_session_split(key, kind, gap_minutes) for kind in kinds])


@st.cache_resource(show_spinner=False, max_entries=4)
def _all_day_counts(key: tuple, tz: str, kinds: tuple[str, ...]) -> explore.DayCounts:
    # ... added up over the chosen content types
    return explore.day_counts_of([_day_counts(key, tz, kind) for kind in kinds])


def _counts(key: tuple, filters: explore.Filters) -> explore.DayCounts:
    kinds = tuple(part.content[0] for part in _shared.content_parts(filters))
    return explore.days_between(_all_day_counts(key, filters.tz, kinds), filters.start, filters.end)


def _split_and_parts(key: tuple, filters: explore.Filters, gap_minutes: int):
    parts = _shared.content_parts(filters)
    split = _sessions_split(key, tuple(part.content[0] for part in parts), gap_minutes)
    return split, [_shared.explore_frame(key[1], part) for part in parts]


@st.cache_resource(show_spinner=False, max_entries=4)
def _session_rows(key: tuple, filters: explore.Filters, gap_minutes: int) -> explore.SessionRows | None:
    # where the selected plays sit among the sessions' rows: the same under any stream rule, so
    # made once for the sessions and their streams (called without the rule)
    return explore.session_rows(*_split_and_parts(key, filters, gap_minutes), gap_minutes)


@st.cache_data(show_spinner=False, max_entries=64)
def _sessions(key: tuple, filters: explore.Filters, gap_minutes: int) -> pd.DataFrame:
    # called without the stream rule (_shared.without_rule): only the streams column counts it
    return explore.sessions_of(*_split_and_parts(key, filters, gap_minutes), gap_minutes,
                               rows=_session_rows(key, filters, gap_minutes))


@st.cache_data(show_spinner=False, max_entries=64)
def _session_streams(key: tuple, filters: explore.Filters, gap_minutes: int):
    return explore.session_streams_of(*_split_and_parts(key, filters, gap_minutes), gap_minutes,
                                      rows=_session_rows(key, _shared.without_rule(filters), gap_minutes))


@st.cache_data(show_spinner=False, max_entries=64)
def _over_time(key: tuple, filters: explore.Filters, period: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    counts = _counts(key, filters)
    return explore.skip_rate_over_time(counts, period), explore.shuffle_share(counts, period)


@st.cache_data(show_spinner=False, max_entries=64)
def _breakdowns(key: tuple, filters: explore.Filters) -> dict:
    counts = _counts(key, filters)
    return {
        "skips": explore.skip_summary(counts),
        "skip_rules": explore.skip_rules_by_year(counts),
        "start": explore.reasons(counts, "start"),
        "end": explore.reasons(counts, "end"),
        "platforms": explore.platforms(counts),
        "countries": explore.countries(counts),
        "modes": explore.offline_incognito(counts),
        "coverage": {c: explore.coverage(counts, c) for c in ("reason_start", "reason_end", "platform_family",
                                                             "conn_country", "shuffle")},
    }


percent = explore.percent_label  # short of all never reads "100%", above none never "0%"

key = _shared.data_key(profile)
rows = _shared.without_rule(filters)  # what skips, reasons, devices and places are counted on
facts = _breakdowns(key, rows)

# --- Sessions ---------------------------------------------------------------------------
st.subheader("Sessions")
gap = st.columns([1, 2])[0].number_input(
    "A new session starts after a break of more than … minutes", min_value=1, max_value=24 * 60, value=30, step=5,
    key="habits_gap", help="Breaks are measured between one play's end and the next play's start.")
table = _sessions(key, rows, int(gap)).assign(streams=_session_streams(key, filters, int(gap)))
cols = st.columns(4)
cols[0].metric("Sessions", f"{len(table):,}")
cols[1].metric("Median length", f"{table['minutes'].median():,.0f} min")
cols[2].metric("Longest", f"{table['minutes'].max() / 60:,.1f} h")
cols[3].metric("Plays per session", f"{table['plays'].mean():,.1f}")
_shared.chart(st, explore.histogram(table[["minutes"]], "minutes", "How long sessions last (minutes)", bins=40),
                  width="stretch")
st.caption("Longest sessions")
st.dataframe(explore.longest_sessions(table, 10), hide_index=True, width="stretch",
             column_config={"session": None,
                            "start": st.column_config.DatetimeColumn("started", format="D MMM YYYY, HH:mm"),
                            "end": st.column_config.DatetimeColumn("ended", format="D MMM YYYY, HH:mm"),
                            "minutes": st.column_config.NumberColumn("minutes", format="%.0f"),
                            "top_artist": "top artist"})

# --- Skips and shuffle over time ----------------------------------------------------------
st.subheader("Skips and shuffle")
period = st.radio("Per", ["month", "week", "year"], horizontal=True, key="habits_period")
skip_rate, shuffle = _over_time(key, rows, period)
skips = facts["skips"]
if skips["plays"] == 0:
    st.info("No plays to judge for skips in this selection.")
else:
    cols = st.columns(3)
    cols[0].metric("Skip rate", percent(skips["skip_rate"]),
                   help="A skip is a play you cut short: it ended with next, back or stop (Spotify's own "
                        "definition), or — where the export does not say how a play ended — it lasted under "
                        "30 seconds and less than the song's full length.")
    cols[1].metric("Skipped plays", f"{skips['skipped']:,}")
    cols[2].metric("Plays judged by how they ended", percent(skips["by_reason"] / skips["plays"]))
    _shared.chart(st, explore.rate_over_time(skip_rate, "skip_rate", "Skip rate", period,
                                             ["skipped", "plays", "by_reason", "by_flag", "by_length"]),
                      width="stretch")
    with st.expander("How skips were decided, year by year"):
        st.caption("Exports before about 2022 leave Spotify's own skip flag false (or empty) on every play, so "
                   "each play is judged by the best signal it has: how it ended (the reason), else the flag, "
                   "else its length (account exports record neither).")
        st.dataframe(facts["skip_rules"], hide_index=True, width="stretch", column_config={
            "year": st.column_config.NumberColumn(format="%d"),
            "skip_rate": st.column_config.NumberColumn("skip rate", format="percent"),
            "by_reason": st.column_config.NumberColumn("by how it ended", format="%,d"),
            "by_flag": st.column_config.NumberColumn("by Spotify's flag", format="%,d"),
            "by_length": st.column_config.NumberColumn("by its length", format="%,d"),
            "rule": "decided mostly by"})
if shuffle.empty:
    st.info("No shuffle information: these plays come from the account-data export, which records no shuffle flag.")
else:
    _shared.chart(st, explore.rate_over_time(shuffle, "shuffle_share", "Share of plays in shuffle mode", period,
                                 ["shuffled", "plays"]), width="stretch")
    if facts["coverage"]["shuffle"] < 1:
        st.caption(f"Over the {percent(facts['coverage']['shuffle'])} of plays from an extended export; "
                   "the account-data export records no shuffle flag.")

# --- Why tracks start and end ------------------------------------------------------------
st.subheader("Why tracks start and end")
left, right = st.columns(2)
rows = max(len(facts["start"]), len(facts["end"]))  # side by side at one height: the captions line up
for column, which, title in ((left, "start", "Why plays started"), (right, "end", "Why plays ended")):
    data = facts[which]
    if data.empty:
        column.info(f"No reasons recorded: only the extended streaming history says why a play {which}ed.")
        continue
    _shared.chart(column, explore.tall(explore.share_bars(data, "meaning", "share", title, tooltip=["reason", "plays"]),
                               rows), width="stretch")
    known = facts["coverage"][f"reason_{which}"]
    if known < 1:
        column.caption(f"Over the {percent(known)} of plays whose export records a reason.")

# --- Devices and places ------------------------------------------------------------------
st.subheader("Devices and places")
left, right = st.columns(2)
for column, name, label, title, missing in (
        (left, "platforms", "platform_family", "Listening time by device", "platform_family"),
        (right, "countries", "country", "Listening time by country", "conn_country")):
    data = facts[name]
    if data.empty:
        column.info("Not recorded: only the extended streaming history says where and on what you listened.")
        continue
    _shared.chart(column, explore.tall(explore.share_bars(data, label, "share", title, tooltip=["hours", "plays"]),
                                       len(data)), width="stretch")
    known = facts["coverage"][missing]
    if known < 1:
        column.caption(f"Over the {percent(known)} of plays whose export records it.")

modes = facts["modes"].set_index("mode")
if modes["share_of_plays"].isna().all():
    st.info("Offline and private-session listening is only recorded in the extended streaming history.")
else:
    cols = st.columns(4)
    cols[0].metric("Offline, by plays", percent(modes.loc["offline", "share_of_plays"]))
    cols[1].metric("Offline, by time", percent(modes.loc["offline", "share_of_time"]))
    cols[2].metric("Private session, by plays", percent(modes.loc["incognito", "share_of_plays"]))
    cols[3].metric("Private session, by time", percent(modes.loc["incognito", "share_of_time"]))

st.divider()
_shared.download_buttons(_shared.plays_on_click(profile, filters), "habits")
