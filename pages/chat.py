"""Chat: ask for a playlist in plain words and shape it turn by turn; every track is real."""
import json

import pandas as pd
import streamlit as st

from core import chat, spotify, store
from core.base import file_stem
from core.errors import EncoreError
from pages import _shared

_shared.through_navigation()

db = _shared.get_db()
profile = st.session_state.get("profile", store.DEFAULT_PROFILE)
state = st.session_state

st.title("💬 Chat")
key, model = chat.gemini_config()
if key:
    st.caption(f"Requests are read by Gemini ({model}); only your message and a short summary of the playlist "
               "and your library are sent. Every track comes from your history or a catalog.")
else:
    st.caption("Offline interpreter (English): nothing leaves this computer. Set `GEMINI_API_KEY` to read requests "
               "with Gemini. Every track comes from your history or a catalog.")


@st.cache_resource(show_spinner="Gathering your tracks…", max_entries=4)
def _pool(db_path: str, profile: str, version: str, catalog_version: int, model_id: int | None) -> pd.DataFrame:
    # read-only and shared between reruns; rebuilt after an import, a catalog change or a new model
    return chat.load_pool(_shared.get_db(), profile, _shared.all_plays(profile))


@st.cache_resource(show_spinner=False, max_entries=4)
def _vocabulary(db_path: str, profile: str, version: str, catalog_version: int,
                model_id: int | None) -> chat.Vocabulary:
    return chat.Vocabulary.from_pool(_pool(db_path, profile, version, catalog_version, model_id))


def _playlists(saved: list[dict], conversation: chat.Conversation) -> None:
    """The profile's playlists made in the chat: open one, start a new one, rename,
    duplicate or delete the one open."""
    labels = {row["id"]: f"{row['name']} · {row['tracks']} tracks · {row['updated_at'][:10]}" for row in saved}
    left, right = st.columns([4, 1])
    ids = list(labels)
    if conversation.chat_id is not None and conversation.chat_id in labels:
        picked = left.selectbox("Your playlists", ids, index=ids.index(conversation.chat_id), format_func=labels.get,
                                key=f"chat_open_{conversation.chat_id}")
        if picked != conversation.chat_id:
            state["chat"] = chat.open_saved(db, profile, picked, pool)
            st.rerun()
    elif saved:
        picked = left.selectbox("Your playlists", [None, *ids], format_func=lambda i: "This new playlist (not saved "
                                "yet)" if i is None else labels[i], key="chat_open_new")
        if picked is not None:
            state["chat"] = chat.open_saved(db, profile, picked, pool)
            st.rerun()
    if right.button("New playlist", key="chat_new", disabled=conversation.version is None,
                    help="Start a new conversation; this one stays in your playlists."):
        state["chat"] = chat.Conversation()
        st.rerun()
    if conversation.chat_id is None:
        return
    with st.expander("Rename, duplicate or delete this playlist"):
        a, b, c = st.columns([3, 1, 1])
        new_name = a.text_input("Name", value=conversation.name, key=f"chat_rename_{conversation.chat_id}",
                                max_chars=100)
        if a.button("Rename", key="chat_rename_button", disabled=not new_name.strip()
                    or new_name.strip() == conversation.name):
            chat.rename(db, profile, conversation.chat_id, new_name)
            state["chat"] = chat.open_saved(db, profile, conversation.chat_id, pool)
            st.rerun()
        if b.button("Duplicate", key="chat_duplicate"):
            state["chat"] = chat.open_saved(db, profile, chat.duplicate(db, profile, conversation.chat_id), pool)
            st.rerun()
        sure = c.checkbox("Sure?", key=f"chat_delete_sure_{conversation.chat_id}")
        if c.button("Delete", key="chat_delete", disabled=not sure):
            store.delete_chat(db, profile, conversation.chat_id)
            rest = [row["id"] for row in saved if row["id"] != conversation.chat_id]
            state["chat"] = chat.open_saved(db, profile, rest[0], pool) if rest else chat.Conversation()
            st.rerun()


if _shared.profile_summary(profile)["all_plays"] == 0:
    st.info(f"Profile “{_shared.plain(profile)}” has no plays yet. Import your export, or load the demo from Home.")
    st.stop()
latest = store.latest_model(db, profile)
cache_key = (*_shared.data_key(profile), store.catalog_version(db), latest["id"] if latest else None)
pool = _pool(*cache_key).copy(deep=False)  # shared by every session: changes stay in this copy
vocabulary = _vocabulary(*cache_key)
saved_chats = store.list_chats(db, profile)
if state.get("chat_profile") != profile or "chat" not in state:  # another person, or a reload: their latest chat
    state["chat_profile"] = profile
    state["chat"] = (chat.open_saved(db, profile, saved_chats[0]["id"], pool) if saved_chats
                     else chat.Conversation())
conversation: chat.Conversation = state["chat"]
log: list[tuple[str, str]] = conversation.log


def _save() -> None:
    try:
        chat.save(db, profile, conversation)
    except EncoreError as problem:  # deleted meanwhile (another tab): keep it as a new one
        conversation.chat_id = None
        chat.save(db, profile, conversation)
        log.append(("assistant", str(problem)))


_playlists(saved_chats, conversation)

if not pool["has_features"].any():
    st.warning("None of your tracks has audio features yet, so moods and “more upbeat” can only guess. "
               "Add a catalog on the Catalog page.", icon="ℹ️")

for role, text in log:
    with st.chat_message(role):
        st.markdown(_shared.plain(text))
if not log:
    with st.chat_message("assistant"):
        st.markdown("Ask for a playlist — “rainy-afternoon indie folk”, “like Tame Impala meets Daft Punk, no "
                    "remixes”, “long day, I'm wiped out” — then refine it: “more upbeat”, “no 80s”, "
                    "“20 minutes”, “build up energy”, “undo”.")

message = st.chat_input("Ask for a playlist, or change this one", key="chat_input")
if message:
    log.append(("user", message[:chat.MAX_MESSAGE * 2]))
    reply = chat.take_turn(pool, vocabulary, conversation, message)
    log.append(("assistant", reply.text))
    _save()
    st.rerun()

if conversation.options:
    st.subheader("Pick a direction")
    tabs = st.tabs([f"{n}. {_shared.plain(label)}" for n, (label, _) in enumerate(conversation.options, start=1)])
    for index, (tab, (label, option)) in enumerate(zip(tabs, conversation.options)):
        with tab:
            rows = chat.table(pool, option)
            st.caption(f"{_shared.plain(option.name)} · {len(rows)} tracks · {chat.total_minutes(pool, option):.0f} min")
            if st.button("Pick this direction", key=f"chat_pick_{index}", type="primary"):
                conversation.pick(index)
                log.append(("assistant", f"Took direction {index + 1}: {label}."))
                _save()
                st.rerun()
            # a song the listener streams opens on the Artist & track page
            shown = rows.assign(link=_shared.detail_links("song", rows["track_key"], profile, where=rows["known"]))
            st.dataframe(shown[["artist_name", "track_name", "release_year", "energy", "valence", "reason", "link"]],
                         hide_index=True, width="stretch",
                         column_config={"release_year": st.column_config.NumberColumn("year", format="%d"),
                                        "link": _shared.link_column("Open the song on the Artist & track page")})

version = conversation.version
if version is None:
    st.stop()


def _push(new: chat.Version, said: str) -> None:
    conversation.push(new)
    log.append(("assistant", said))
    _save()


st.divider()
left, middle, right = st.columns([3, 2, 1])
left.subheader(_shared.plain(version.name), anchor=False)
middle.caption(f"{len(version.track_keys)} tracks · {chat.total_minutes(pool, version):.0f} min · "
               f"version {conversation.current + 1} of {len(conversation.versions)}")
labels = [f"{i + 1}. {v.reading or v.name}" for i, v in enumerate(conversation.versions)]
picked = middle.selectbox("Go to version", range(len(labels)), index=conversation.current,
                          format_func=lambda i: labels[i], key=f"chat_version_{len(labels)}_{conversation.current}")
if picked != conversation.current:
    conversation.go_to(picked)
    _save()
    st.rerun()
if right.button("Undo", key="chat_undo", disabled=conversation.parents[conversation.current] < 0):
    conversation.undo()
    log.append(("assistant", f"Back to version {conversation.current + 1}."))
    _save()
    st.rerun()

frame = chat.table(pool, version)
kept: list[str] = []
for number, row in enumerate(frame.itertuples(), start=1):
    cols = st.columns([0.5, 5, 0.6, 0.6, 0.6])
    tick = cols[0].checkbox("keep", value=True, key=f"chat_keep_{conversation.current}_{row.track_key}",
                            label_visibility="collapsed")
    if tick:
        kept.append(row.track_key)
    year = "" if pd.isna(row.release_year) else f" ({int(row.release_year)})"
    album = f" · {_shared.plain(row.album_name)}" if isinstance(row.album_name, str) else ""
    # the sound the reason does not already quote
    sound = " · ".join(f"{label} {value:.2f}" for label, value, name in (
        ("energy", row.energy, "energy"), ("valence", row.valence, "valence"),
        ("dance", row.danceability, "danceability")) if not pd.isna(value) and name not in row.reason)
    if not pd.isna(row.tempo) and "tempo" not in row.reason:
        sound += f"{' · ' if sound else ''}{row.tempo:.0f} BPM"
    # names are data: escaped, never read as markdown or HTML
    # a song the listener streams links to the Artist & track page (the address is url-encoded)
    link = _shared.detail_link("song", row.track_key, profile) if row.known else None
    more = f" · [Artist & track ↗]({link})" if link else ""
    cols[1].markdown(f"**{number}. {_shared.plain(row.artist_name)} — {_shared.plain(row.track_name)}**{year}{album}"
                     + more)
    cols[1].caption(_shared.plain(row.reason) + ("  ·  " + sound if sound else ""))
    if cols[2].button("👍", key=f"chat_like_{conversation.current}_{row.track_key}", help="More like this"):
        store.set_feedback(db, profile, row.track_key, 1)
        _push(chat.feedback(pool, version, row.track_key, liked=True), f"👍 {row.track_name}: more like it.")
        st.rerun()
    if cols[3].button("👎", key=f"chat_dislike_{conversation.current}_{row.track_key}",
                      help="Remove it and keep similar tracks out"):
        store.set_feedback(db, profile, row.track_key, -1)
        _push(chat.feedback(pool, version, row.track_key, liked=False),
              f"👎 {row.track_name}: removed, and similar tracks stay out.")
        st.rerun()

dropped = len(frame) - len(kept)
a, b = st.columns(2)
if a.button("More like the ones I kept", key="chat_keep_refill", disabled=dropped == 0 or not kept):
    _push(chat.keep_only(pool, version, kept, refill=True), "Kept the ticked tracks and added more like them.")
    st.rerun()
if b.button("Keep only the ticked tracks", key="chat_keep_only", disabled=dropped == 0 or not kept):
    _push(chat.keep_only(pool, version, kept, refill=False), "Kept only the ticked tracks.")
    st.rerun()

with st.expander("Audio features and details"):
    st.dataframe(frame.drop(columns=["track_key"]), hide_index=True, width="stretch", column_config={
        "duration_ms": st.column_config.NumberColumn("length (ms)", format="%d"),
        "release_year": st.column_config.NumberColumn("year", format="%d"),
    })
    unknown = int(frame["energy"].isna().sum())
    if unknown:
        st.caption(f"{unknown} of {len(frame)} tracks have no audio features in any catalog you added.")

name = file_stem(version.name, unique=False)
c1, c2, c3, c4 = st.columns(4)
c1.download_button("CSV", data=chat.to_csv(frame), file_name=f"{name}.csv", mime="text/csv", key="chat_csv")
c2.download_button("M3U", data=chat.to_m3u(frame, version.name), file_name=f"{name}.m3u",
                   mime="audio/x-mpegurl", key="chat_m3u")
c3.download_button("JSON", data=json.dumps(chat.to_json(frame, version.name), ensure_ascii=False, indent=1),
                   file_name=f"{name}.json", mime="application/json", key="chat_json")
uris = [u for u in frame["track_uri"] if isinstance(u, str)]
if not spotify.is_signed_in(state):
    c4.page_link("pages/spotify.py", label="Sign in to save to Spotify", icon="🟢")
elif c4.button("Save to Spotify", key="chat_spotify", disabled=not uris, type="primary",
               help="Creates a private playlist in your account (nothing is written before this click)."):
    bar = st.progress(0.0, text="Saving to Spotify…")
    try:
        saved = spotify.save_playlist(db, _shared.spotify_client(), profile, version.name, uris, "Made with Encore",
                                      progress=lambda f, m: bar.progress(min(max(f, 0.0), 1.0), text=m))
        st.success(f"Saved “{_shared.plain(version.name)}” to Spotify with {saved['items_done']:,} tracks.")
        st.link_button("Open in Spotify", spotify.playlist_url(saved["spotify_id"]))
    except spotify.SpotifyError as problem:
        st.error(_shared.plain(problem), icon="⚠️")
        st.page_link("pages/spotify.py", label="Resume on the Spotify page", icon="🟢")
if len(uris) < len(frame):
    st.caption(f"{len(frame) - len(uris)} tracks have no Spotify id (from an export without ids) and cannot be saved "
               "to Spotify; resolve ids on the Spotify page.")
