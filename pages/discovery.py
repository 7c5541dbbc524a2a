"""Discovery: when you found new music, how much of your listening was new, and what you forgot."""
import dataclasses
import datetime as dt

import pandas as pd
import streamlit as st

from core import explore, history, store
from pages import _shared

_shared.through_navigation()

DATE = "D MMM YYYY"  # every date in this page's tables reads "8 Jul 2021"

profile = st.session_state.get("profile", store.DEFAULT_PROFILE)
filters = _shared.explore_controls(profile)
st.title("Discovery")
if _shared.empty_state(_shared.nothing_selected(profile, filters), profile):
    st.stop()


# First listens are kept per content type and combined (explore.DiscoveryPart): a new content
# choice reads the plays of the types it adds, not every play of the chosen contents again.

@st.cache_resource(show_spinner=False, max_entries=2)
def _history_listens(key: tuple) -> explore.FirstListens:
    # every play of every content, its records kept per artist or track and content type:
    # each content's own records are found among these (a new content type looks at a few
    # plays per artist and track, not at every play)
    return explore.FirstListens.of_history(_shared.named_plays(key[1]))


@st.cache_resource(show_spinner=False, max_entries=4)
def _listens_of(key: tuple, kind: str) -> explore.FirstListens:
    # every play of one content type, whatever the date range: a first listen is the first in
    # the whole history. Read-only; what it holds per artist and track does not depend on the
    # zone, so it is kept per content type
    return _history_listens(key).of_content(_shared.content_rows(key[1], (kind,)))


@st.cache_resource(show_spinner=False, max_entries=8)
def _listens(key: tuple, tz: str, kind: str) -> explore.FirstListens:
    # ... and its plays in the chosen zone (the rows the date range is a slice of: no second
    # copy): a new stream rule or date range starts from it
    return _listens_of(key, kind).in_zone(_shared.content_plays(key[1], tz, (kind,)))


def _parts(key: tuple, filters: explore.Filters) -> list[explore.DiscoveryPart]:
    parts = []
    for part in _shared.content_parts(filters):
        listens = _listens(key, part.tz, part.content[0])
        rows = _shared.explore_frame(key[1], _shared.without_rule(part))  # the date range's plays of this type
        parts.append(explore.discovery_part(listens.plays, rows, listens=listens))
    return parts


@st.cache_data(show_spinner=False, max_entries=64)
def _discoveries(key: tuple, filters: explore.Filters) -> tuple[pd.DataFrame, pd.DataFrame]:
    parts = _parts(key, filters)
    timeline = explore.first_listen_timeline_of(parts, filters.min_ms)
    # each artist a link to the Artist & track page, made once per range and rule, not on every rerun
    linked = timeline.assign(link=_shared.detail_links("artist", timeline["artist"], key[1]))
    return explore.new_per_month_of(parts, filters.min_ms), linked


@st.cache_resource(show_spinner=False, max_entries=8)
def _favourite_part(key: tuple, tz: str, kind: str, level: str) -> history.FavouritePart:
    # one content type's plays in the zone, coded as its first listens code them (once per type)
    listens = _listens(key, tz, kind)
    return history.favourite_part(listens.plays, level, coded=listens.level(level)[:2])


@st.cache_data(show_spinner=False, max_entries=64)
def _forgotten(key: tuple, filters: explore.Filters, level: str, min_streams: int, quiet_days: int) -> pd.DataFrame:
    # the whole history up to "now", the end of the chosen range (what had fallen silent by
    # then): called with the range's start left out, which plays no part
    now = pd.Timestamp(filters.end + dt.timedelta(days=1), tz=filters.tz) if filters.end else None
    parts = [_favourite_part(key, filters.tz, part.content[0], level) for part in _shared.content_parts(filters)]
    return history.forgotten_of(parts, now=now, min_streams=min_streams, quiet_days=quiet_days, min_ms=filters.min_ms)


key = _shared.data_key(profile)
monthly, timeline = _discoveries(key, filters)

st.caption("A first listen is the first stream of an artist or track in your **whole** history, "
           "not just the dates chosen in the sidebar, so the first months of a history count almost "
           "everything as new.")
cols = st.columns(3)
cols[0].metric("New artists", f"{int(monthly['new_artists'].sum()):,}")
cols[1].metric("New tracks", f"{int(monthly['new_tracks'].sum()):,}")
new_share = monthly["new_hours"].sum() / monthly["hours"].sum() if monthly["hours"].sum() else None
# podcasts, audiobooks and videos chosen too: their episodes and chapters count as tracks here
# (the label stays short enough for a laptop-width column; the help names what is counted)
only_music = filters.content == ("music",)
cols[2].metric("Listening to music first heard that month" if only_music else "Listening first heard that month",
               "—" if new_share is None else f"{new_share:.0%}",
               help=f"Of the time spent on {', '.join(filters.content)} in this range, the share on tracks "
                    f"{'' if only_music else '(and episodes, chapters) '}first heard in the month they were played.")

# --- New per month -----------------------------------------------------------------------
st.subheader("New artists and tracks per month")
if monthly[["new_artists", "new_tracks"]].to_numpy().sum() == 0:
    st.info("Nothing new in this range: no artist or track was streamed here for the first time.")
left, right = st.columns(2)
_shared.chart(left, explore.monthly_axes(explore.bars_over_time(monthly, "month", "new_artists",
                                                               "New artists per month"),
                                        "new_artists", ["new_artists", "new_tracks"]), width="stretch")
_shared.chart(right, explore.monthly_axes(explore.bars_over_time(monthly, "month", "new_tracks", "New tracks per month"),
                                         "new_tracks", ["new_tracks", "new_artists"]), width="stretch")
_shared.chart(st, explore.monthly_axes(explore.line_over_time(monthly, "month", "share_of_listening_new",
                                                  "Share of each month's listening on tracks first heard that month",
                                                  period="month"),
                            "share_of_listening_new", ["share_of_listening_new", "new_hours", "hours"]),
                  width="stretch")

# --- Timeline ------------------------------------------------------------------------------
st.subheader("First-listen timeline")
if timeline.empty:
    st.info("No artist was first heard in this range.")
else:
    _shared.chart(st, explore.timeline_chart(timeline, "Artists by first listen, and how far each went since"),
                      width="stretch")
    st.caption("Biggest discoveries of this range (streams over the whole history since the first listen)")
    biggest = timeline.sort_values("streams", ascending=False, kind="stable").head(15)
    st.dataframe(biggest, hide_index=True,
                 width="stretch", height="content",
                 column_config={"first_listen": st.column_config.DatetimeColumn("first listen", format=DATE),
                                "link": _shared.link_column(),
                                "streams": st.column_config.NumberColumn("streams", format="%,d"),
                                "hours": st.column_config.NumberColumn("hours", format="%,.1f")})

# --- Forgotten favourites --------------------------------------------------------------------
st.subheader("Forgotten favourites")
cols = st.columns(3)
level = cols[0].radio("Show", ["track", "artist"], format_func=lambda v: v + "s", horizontal=True,
                      key="discovery_level")
min_streams = cols[1].number_input("Streams in the best 90 days, at least", min_value=1, max_value=1000, value=10,
                                   key="discovery_min_streams")
quiet_days = cols[2].number_input("Not streamed for … days", min_value=30, max_value=3650, value=365, step=30,
                                  key="discovery_quiet_days")
forgotten = _forgotten(key, dataclasses.replace(filters, start=None), level, int(min_streams), int(quiet_days))
st.caption(f"Once on heavy rotation — at least {min_streams} streams within 90 days — and not streamed in the "
           f"{quiet_days} days before the end of the chosen range.")
if forgotten.empty:
    st.info("No forgotten favourites: nothing you once played that often has gone quiet for that long. "
            "Lower the streams or the days to widen the net.")
else:
    # the internal key becomes a link to the song (or artist) on the Artist & track page
    linked = forgotten.assign(key=_shared.detail_links("song" if level == "track" else "artist", forgotten["key"],
                                                       profile))
    st.dataframe(linked, hide_index=True, width="stretch", height="content",
                 column_config={"key": _shared.link_column(),
                                "streams": st.column_config.NumberColumn("streams", format="%,d"),
                                "peak_streams": st.column_config.NumberColumn("streams in best 90 days", format="%,d"),
                                "peak_from": st.column_config.DateColumn("best 90 days from", format=DATE),
                                "last_played": st.column_config.DateColumn("last streamed", format=DATE),
                                "days_quiet": st.column_config.NumberColumn("days quiet", format="%,d")})

st.divider()
_shared.download_buttons(_shared.plays_on_click(profile, filters), "discovery")
