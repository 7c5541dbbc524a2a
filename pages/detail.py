"""Artist & track: one artist or track over time — when it started, how much, how it ranked."""
import pandas as pd
import streamlit as st

from core import explore, history, store
from core.errors import EncoreError
from pages import _shared

_shared.through_navigation()

KINDS = {"Artist": "artist", "Song": "track"}
MAX_CHOICES = 5000  # a picker with more entries gets slow to send; the rest are reachable by narrowing the range

profile = st.session_state.get("profile", store.DEFAULT_PROFILE)
filters = _shared.explore_controls(profile)
st.title("Artist & track")
if _shared.empty_state(_shared.nothing_selected(profile, filters), profile):
    st.stop()

# What the page reads is kept per content type (_shared.content_parts) and added up here: a new
# content choice counts only the plays of the types not counted before.


@st.cache_data(show_spinner=False, max_entries=64)
def _choices(key: tuple, rows: tuple, min_ms: int, by: str,
             _filters: explore.Filters) -> tuple[list[str], dict[str, str], int]:
    """Keys ordered by streams (at most MAX_CHOICES), their labels, and how many there are in
    all (keyed on the plays selected, not the zone that selected them)."""
    ranked = explore.ranked_of(_shared.item_parts(key[1], _filters, by), by, "streams")
    shown = ranked.head(MAX_CHOICES)
    return shown["key"].tolist(), dict(zip(shown["key"], shown["name"])), len(ranked)


@st.cache_resource(show_spinner=False, max_entries=8)
def _detail_part(key: tuple, part: explore.Filters, by: str) -> explore.DetailPart:
    # every artist's or song's plays per month, for any one's monthly ranks (read-only)
    return explore.detail_part(_shared.explore_frame(key[1], part), by)


@st.cache_data(show_spinner=False, max_entries=64)
def _detail(key: tuple, filters: explore.Filters, by: str, item: str) -> dict:
    parts = [_detail_part(key, part, by) for part in _shared.content_parts(filters)]
    return explore.artist_detail_of(parts, item) if by == "artist" else explore.track_detail_of(parts, item)


def _version_label(versions: pd.DataFrame, track_key: str) -> str:
    row = versions.set_index("track_key").loc[track_key]
    return f"{row['title']} — {row['album'] or 'no release'} ({row['streams']:,} streams)"


def _day(moment: pd.Timestamp | None) -> str:
    return "–" if moment is None else f"{moment:%d %b %Y}"


def _when(moment: pd.Timestamp | None, which: str) -> str:
    if moment is None:
        return "No stream in range."
    return f"Local start of the {which} stream in range: {moment:%d %b %Y, %H:%M}."


key = _shared.data_key(profile)
# a link from another page (_shared.detail_link): ?artist=<name> or ?song=<song key>
linked = {name: st.query_params.get(name) for name in ("artist", "song") if st.query_params.get(name)}
if linked:
    name, value = next(iter(linked.items()))
    st.session_state["detail_kind"] = "Artist" if name == "artist" else "Song"
    st.session_state[f"detail_{KINDS[st.session_state['detail_kind']]}"] = value
    st.query_params.clear()  # once: the person's own picks win from here on (the profile was read already)
kind = st.radio("Look at", list(KINDS), horizontal=True, key="detail_kind")
by = KINDS[kind]
keys, labels, total = _choices(key, _shared.parts_key(profile, filters), filters.min_ms, by, filters)
if not keys:
    st.info(f"No {kind.lower()} streamed in this range. Podcasts and audiobooks have no artists or tracks: "
            "pick Music in the sidebar, widen the date range, or lower the stream rule.")
    st.stop()
if st.session_state.get(f"detail_{by}") not in labels:  # a link to something not in this range
    if linked:
        what = f"“{_shared.plain(linked[next(iter(linked))])}”" if by == "artist" else "That song"
        if total > len(keys):
            st.info(f"{what} is not among the {len(keys):,} most streamed {kind.lower()}s in this date range: "
                    "narrow the date range in the sidebar to find it.")
        else:
            st.info(f"{what} has no stream in the date range chosen in the sidebar, under its stream rule: widen "
                    "the range or lower the stream rule to see it.")
    st.session_state.pop(f"detail_{by}", None)
item = st.selectbox(kind, keys, format_func=labels.get, key=f"detail_{by}",
                    help="Ordered by streams in the date range; type to search.")
if total > len(keys):
    st.caption(f"The {len(keys):,} most streamed of {total:,} {kind.lower()}s; narrow the date range to find others.")

detail = _detail(key, filters, by, item)
st.subheader(_shared.plain(detail["name"]), anchor=False)
if by == "track" and detail["album"]:
    st.caption(f"From the album “{_shared.plain(detail['album'])}”")

cols = st.columns(4)
cols[0].metric("First listen", _day(detail["first_listen"]), help=_when(detail["first_listen"], "first"))
cols[1].metric("Last listen", _day(detail["last_listen"]), help=_when(detail["last_listen"], "last"))
cols[2].metric("Streams", f"{detail['streams']:,}")
cols[3].metric("Hours", f"{detail['hours']:,.1f}", help="Time of every play, skips included.")

left, right = st.columns(2)
_shared.chart(
    left,
    explore.bars_over_time(detail["plays_over_time"], "month", "streams", "Streams per month",
                          tooltip=["month", "streams", "hours"]),
    width="stretch",
)
ranks = detail["rank_over_time"]
if ranks.empty:
    right.info("No month with a stream to rank.")
else:
    _shared.chart(right, explore.rank_over_time(ranks, "month", "rank", f"Rank among all {kind.lower()}s each month",
                                               tooltip=["month", "rank"]), width="stretch")
    right.caption("Months without a stream of it have no point.")

if by == "artist":
    tracks_col, albums_col = st.columns(2)
    # fixed widths that add up to less than half the page: a long name is cut, never the Hours column
    number = {"rank": st.column_config.NumberColumn("#", width=40),
              "streams": st.column_config.NumberColumn("Streams", format="%,d", width=70),
              "hours": st.column_config.NumberColumn("Hours", format="%,.1f", width=60)}
    tracks_col.markdown("**Top tracks**")
    tracks = detail["top_tracks"]
    titles = [name.removesuffix(explore.SEPARATOR + artist) for name, artist in zip(tracks["name"], tracks["artist"])]
    links = [_shared.detail_link("song", k, profile) for k in tracks["key"]]
    tracks_col.dataframe(tracks.assign(name=titles, link=links)[["rank", "name", "streams", "hours", "link"]],
                         hide_index=True, width="stretch",
                         column_config={**number, "name": st.column_config.TextColumn("Track", width="medium"),
                                        "link": st.column_config.LinkColumn("", display_text="↗", width=30,
                                                                            help="Open this song")})
    albums_col.markdown("**Top albums**")
    albums_col.dataframe(detail["top_albums"][["rank", "name", "streams", "hours"]], hide_index=True,
                         width="stretch",
                         column_config={**number, "name": st.column_config.TextColumn("Album", width="medium")})
    st.caption("By streams in the date range.")

if by == "track":
    versions = detail["versions"]
    st.markdown("**Recordings of this song**")
    st.caption("One song however many Spotify ids it has (album, single, compilation, regional copies): the same "
               "artist and title, with remaster and edition tags folded; live versions, remixes, acoustic and "
               "other versions are songs of their own.")
    st.dataframe(versions, hide_index=True, width="stretch", key="detail_versions", column_config={
        "track_key": None, "track_id": "Spotify id", "title": "Title", "album": "Release",
        "streams": st.column_config.NumberColumn("Streams", format="%,d"),
        "hours": st.column_config.NumberColumn("Hours", format="%,.1f"), "first": "First listen", "last": "Last listen"})
    with st.expander("Not the same song, or the same song as another one?"):
        everything = _shared.all_plays(profile)
        if len(versions) > 1:
            left, right = st.columns([3, 1])
            wrong = left.selectbox("This recording is a different song", versions["track_key"].tolist(),
                                   key="detail_split_pick", format_func=lambda k: _version_label(versions, k))
            if right.button("Split it off", key="detail_split"):
                try:
                    history.split(_shared.get_db(), profile, everything, wrong)
                except EncoreError as problem:
                    st.error(_shared.plain(problem), icon="⚠️")
                else:
                    st.rerun()
        others = [k for k in keys if k != item]
        if others:
            left, right = st.columns([3, 1])
            same = left.selectbox("The same song as", others, key="detail_join_pick", format_func=labels.get,
                                  index=None, placeholder="Pick the song it should join")
            if right.button("Join them", key="detail_join", disabled=same is None):
                try:
                    history.join(_shared.get_db(), profile, everything, item, same)
                except EncoreError as problem:
                    st.error(_shared.plain(problem), icon="⚠️")
                else:
                    st.session_state[f"detail_{by}"] = same
                    st.rerun()
        edited = [k for k in versions["track_key"] if k in store.song_edits(_shared.get_db(), profile)]
        if edited and st.button("Undo my changes to this song", key="detail_undo_edits"):
            history.undo_edits(_shared.get_db(), profile, edited)
            st.rerun()
        st.caption("Your choice is kept and survives importing the export again.")

_shared.download_buttons(_shared.plays_on_click(profile, filters), "detail")
