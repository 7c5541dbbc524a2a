"""Year in review: what one calendar year of listening came to, as a card to keep or share."""
import datetime as dt

import streamlit as st

from core import explore, store
from pages import _shared

_shared.through_navigation()

profile = st.session_state.get("profile", store.DEFAULT_PROFILE)
filters = _shared.explore_controls(profile)
st.title("Year in review")
st.caption("One calendar year at a glance, Wrapped-style. The sidebar's **date range does not apply here**: "
           "a recap always covers the whole year, and “new artists” looks back over your whole history. "
           "Time zone, content and the stream rule do apply.")


# The recap and its years are kept per content type (_shared.content_parts) and added up here:
# a new content choice counts only the plays of the types not counted before.


@st.cache_data(show_spinner=False, max_entries=64)
def _years(key: tuple, tz: str, kind: str) -> list[int]:
    # key = _shared.data_key(profile): a new import invalidates exactly this. Years with a
    # play do not depend on the stream rule: a new rule finds them cached
    return explore.years_available(_shared.content_plays(key[1], tz, (kind,)))


@st.cache_resource(show_spinner="Adding up your year…", max_entries=64)
def _recap_part(key: tuple, part: explore.Filters, year: int) -> explore.RecapPart:
    # every play of one content, localised and marked as stream or not, with no date range:
    # explore_frame without dates is exactly that, held once for every session. Read-only
    return explore.recap_part(_shared.explore_frame(key[1], part), year)


@st.cache_data(show_spinner=False, max_entries=64)
def _recap(key: tuple, tz: str, content: tuple[str, ...], min_ms: int, year: int) -> explore.Recap:
    whole = explore.Filters(content=content, min_ms=min_ms, tz=tz)
    return explore.year_recap_of([_recap_part(key, part, year) for part in _shared.content_parts(whole)])


key = _shared.data_key(profile)
years = explore.years_available_of([_years(key, filters.tz, part.content[0])
                                     for part in _shared.content_parts(filters)])
if not years:
    if _shared.all_plays(profile).empty:
        st.info(f"Profile “{_shared.plain(profile)}” has no plays yet. Import your export on the Import page, "
                "or load the demo from Home.")
    else:
        st.info(f"No {', '.join(filters.content)} plays in this profile. Pick more content types in the sidebar.")
    st.stop()

year = st.selectbox("Year", years[::-1], key="year_review_year",
                    help="Years with at least one play, newest first (local start time in the chosen zone).")
card = _recap(key, filters.tz, filters.content, filters.min_ms, year)
if card.is_empty:
    st.info(f"No plays in {year} in {filters.tz} for {', '.join(filters.content)}. "
            f"Years with plays: {', '.join(str(y) for y in years[::-1])}.")
    st.stop()

seconds = filters.min_ms // 1000
stream_rule = f"plays of at least {seconds} s" if seconds else "every play"
st.subheader(f"Your {year} in music")
top = st.columns(4)
top[0].metric("Minutes listened", f"{card.minutes:,}", help="All plays, skips included, rounded down.")
top[1].metric("Streams", f"{card.streams:,}", help=f"Streams are {stream_rule} (the sidebar's stream rule).")
top[2].metric("New artists", f"{card.new_artists:,}",
              help="Artists whose first stream in your whole history falls in this year.")
top[3].metric("Top month", card.top_month.name if card.top_month else "—",
              help=f"{card.top_month.minutes:,} minutes" if card.top_month else None)
more = st.columns(4)
more[0].metric("Longest streak", explore.streak_length(card.streak),
               help=f"{explore.streak_label(card.streak)}: consecutive days with at least one stream, "
                    "counted inside this year only.")
more[1].metric("Busiest day", explore.short_day(card.busiest_day.date) if card.busiest_day else "—",
               help=(f"{explore.day_label(card.busiest_day.date)}: {card.busiest_day.minutes:,} minutes"
                     if card.busiest_day else None))
more[2].metric("Top artist", card.top_artists[0].name if card.top_artists else "—",
               help=f"{card.top_artists[0].streams:,} streams" if card.top_artists else None)
more[3].metric("Top track", card.top_tracks[0].title if card.top_tracks else "—",
               help=(f"{card.top_tracks[0].artist}, {card.top_tracks[0].streams:,} streams"
                     if card.top_tracks else None))
# a tile cuts a long name ("What I've Do…"): the whole name, with its numbers, right below it
if card.top_artists:
    more[2].caption(_shared.plain(f"{card.top_artists[0].name} · {card.top_artists[0].streams:,} streams"))
if card.top_tracks:
    more[3].caption(_shared.plain(f"{card.top_tracks[0].title} — {card.top_tracks[0].artist} · "
                                  f"{card.top_tracks[0].streams:,} streams"))

if card.streams == 0:
    st.info(f"None of your {card.plays:,} plays in {year} counts as a stream ({stream_rule}), so there are no "
            "top lists. Choose a lower threshold under “What counts as a stream” in the sidebar.")
else:
    tables = explore.recap_tables(card)
    # a click on a bar opens the artist or song on the Artist & track page (an album: its artist)
    for name, column, kind in (("artists", "artist", "artist"), ("new_artists", "artist", "artist"),
                               ("tracks", "key", "song"), ("albums", "artist", "artist")):
        tables[name]["link"] = [_shared.detail_link(kind, v, profile) for v in tables[name][column]]

    left, right = st.columns(2)
    _shared.chart(left, explore.bar_ranking(tables["artists"], "artist", "streams", "Top artists",
                                           tooltip=["artist", "streams", "minutes"]), width="stretch")
    _shared.chart(right, explore.bar_ranking(tables["tracks"], "track", "streams", "Top tracks",
                                            tooltip=["title", "artist", "streams"]), width="stretch")
    left, right = st.columns(2)
    _shared.chart(left, explore.bar_ranking(tables["albums"], "album", "streams", "Top albums"), width="stretch")
    if tables["new_artists"].empty:
        right.info(f"No new artists in {year}: every artist you streamed you had streamed in an earlier year.")
    else:
        _shared.chart(right, explore.bar_ranking(tables["new_artists"], "artist", "streams",
                                                f"Top new artists of {year}"), width="stretch")
    _shared.chart(st, explore.month_chart(tables["months"], f"Minutes per month in {year}"), width="stretch",
                  height=280)
    st.caption(f"Days and months in {card.time_zone}. A play counts for the day it started; "
               "top lists rank by streams, then by listening time.")

st.subheader("Keep it or share it")
left, right = st.columns(2)
# a callable: the PNG (0.7 s of rendering at 1M plays) is made when the button is clicked,
# not on every rerun of the page
left.download_button("Download as image (PNG)", data=lambda: explore.recap_png(card),
                     file_name=f"encore-{year}-in-review.png", mime="image/png", key="year_review_png",
                     icon=":material/image:")
right.download_button("Download as web page (HTML)", data=explore.recap_html(card),
                      file_name=f"encore-{year}-in-review.html", mime="text/html", key="year_review_html",
                      icon=":material/web:")
st.caption("Both are made on this machine and hold only the numbers and names above: no plays, no account details.")

st.divider()
st.caption(f"The plays behind this recap ({year}, {', '.join(filters.content)}, {filters.tz}):")
_shared.download_buttons(
    _shared.plays_on_click(profile, explore.Filters(start=dt.date(year, 1, 1), end=dt.date(year, 12, 31),
                                                    content=filters.content, min_ms=filters.min_ms, tz=filters.tz)),
    f"year-{year}",
)
