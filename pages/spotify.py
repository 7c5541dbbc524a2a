"""Spotify: connect the account, keep the history current, resolve track ids, save playlists.

Thin: every step is a call into core.spotify; the token lives only in this person's
st.session_state.
"""
import time

import pandas as pd
import streamlit as st

from core import spotify, store
from pages import _shared

_shared.through_navigation()

db = _shared.get_db()
profile = st.session_state.get("profile", store.DEFAULT_PROFILE)
state = st.session_state

st.title("🟢 Spotify")


@st.cache_resource
def _pending_sign_ins() -> dict:
    # Server-wide on purpose: Spotify's redirect back opens a new browser session, so the
    # sign-in's one-time verifier cannot live in session state. Entries are random, used
    # once and dropped after 10 minutes (core.spotify.begin_sign_in).
    return {}


HERE = _shared.app_address()


def _setup_guide(expanded: bool, redirect_uri: str = f"{HERE}/spotify") -> None:
    with st.expander("How to connect Encore to Spotify (once, about 5 minutes)", expanded=expanded):
        st.markdown(f"""
1. Open [developer.spotify.com/dashboard](https://developer.spotify.com/dashboard) and **create an app**
   (any name; tick *Web API*). A new app is in **development mode**: it works for at most **5 people**,
   whom you add under *User Management*, and only while the app's owner has **Spotify Premium**.
2. Under **Redirect URIs** add exactly `{redirect_uri}` — a loopback IP address. Spotify refuses
   `localhost`; open Encore at `{HERE}` so the way back lands here.
3. Copy the app's **Client ID** (no client secret is needed: Encore signs in with PKCE) and either
   set it in the environment, `export SPOTIFY_CLIENT_ID=…`, or put `SPOTIFY_CLIENT_ID = "…"` in
   `.streamlit/secrets.toml`. Restart Encore.
4. Come back here and click **Sign in with Spotify**.

Your token stays in this browser session only (never in a file) and is forgotten when you sign out
or close the tab.
""")


def _sign_in_url(config: spotify.SpotifyConfig) -> str:
    # one link per session (not one per rerun), renewed before it would expire
    link = state.get("spotify_sign_in")
    if not link or time.time() - link[1] > spotify.PENDING_SIGN_IN_S - 60:
        link = (spotify.begin_sign_in(config, _pending_sign_ins()), time.time())
        state["spotify_sign_in"] = link
    return link[0]


try:
    config = _shared.spotify_config()
except spotify.SpotifyConfigError as problem:
    _setup_guide(expanded=True)
    st.warning(_shared.plain(problem))
    st.stop()

params = st.query_params
if "code" in params or "error" in params:
    try:
        spotify.finish_sign_in(config, _pending_sign_ins(), state, params.get("code"), params.get("state"),
                               params.get("error"))
        state.pop("spotify_sign_in", None)
        state["spotify_notice"] = "Signed in to Spotify."
    except spotify.SpotifyError as problem:
        st.error(_shared.plain(problem))
    finally:
        st.query_params.clear()  # the code is single-use: never leave it in the address bar

if not spotify.is_signed_in(state):
    _setup_guide(expanded=False, redirect_uri=config.redirect_uri)
    st.markdown("Connect your account to keep your history current, find new songs for Discover and save "
                "playlists to Spotify.")
    st.link_button("Sign in with Spotify", _sign_in_url(config), type="primary")
    st.stop()

sp = spotify.make_client(config, state)
left, right = st.columns([4, 1])
left.success(state.pop("spotify_notice", None) or f"Connected to Spotify. Syncing into profile “{_shared.plain(profile)}”.")
if right.button("Sign out", key="spotify_sign_out"):
    spotify.sign_out(state)
    st.rerun()

# --- sync -----------------------------------------------------------------------------------

st.subheader("Sync")
st.caption("Recently played, saved tracks, your playlists with their items, top artists and tracks (where "
           "Spotify still serves them) and followed artists. Spotify gives only your **last 50 plays**: your "
           "export is the real history; plays already imported from it are not added twice.")
if st.button("Sync now", key="spotify_sync", type="primary"):
    bar = st.progress(0.0, text="Starting…")
    results, errors = spotify.sync_all(db, sp, profile, progress=lambda f, m: bar.progress(f, text=m))
    state["spotify_sync_report"] = (results, errors)
report = state.get("spotify_sync_report")
if report:
    results, errors = report
    for problem in errors:
        st.error(_shared.plain(problem))
    if results:
        st.dataframe(pd.DataFrame([{"part": r.part, "fetched": r.fetched, "added or changed": r.added,
                                    "note": r.note or ""} for r in results]), hide_index=True, width="stretch")
elif last := store.last_spotify_syncs(db, profile):
    st.caption("Last sync: " + "; ".join(f"{s['part']} {s['finished_at']}" for s in last))

# --- track ids ------------------------------------------------------------------------------

st.subheader("Find track ids for plays without one")
unresolved = len(store.unresolved_track_names(db, profile))
st.caption("Account exports and 2020 exports name tracks only by artist and title. Encore asks Spotify's search "
           "(10 results a call), accepts a result only when artist and title match after normalising — a live "
           "version never stands for the studio one — and remembers every answer, so nothing is searched twice. "
           "Stop at any time; the next run continues where this one ended.")
st.write(f"**{unresolved:,}** distinct titles never searched.")
batch = st.number_input("Searches per run", min_value=10, max_value=5000, value=500, step=50, key="spotify_batch")
if st.button("Find track ids", key="spotify_resolve", disabled=unresolved == 0):
    bar = st.progress(0.0, text="Starting…")
    try:
        result = spotify.resolve_track_ids(db, sp, profile, progress=lambda f, m: bar.progress(f, text=m),
                                           max_searches=int(batch))
        more = f" {result.remaining:,} titles left: run again to continue." if result.remaining else ""
        st.success(f"Searched {result.searched:,}, found {result.found:,}; {result.plays_updated:,} plays now have "
                   f"a track id.{more}")
    except spotify.SpotifyError as problem:
        st.error(_shared.plain(problem))

st.subheader("Find new songs for Discover")
st.caption(f"Songs you have never streamed, for the Discover tab of the Taste model page. Since 2026 Spotify gives "
           "apps like this one no artist top tracks, new releases, related artists or recommendations, and search "
           f"answers 10 songs a call. So Encore starts from the {spotify.ARTISTS} artists you stream most: one "
           f"search for each, one page of its albums, the tracks of its {spotify.ALBUMS_PER_ARTIST} newest, then "
           f"{spotify.GENRES} searches by the genres you play in the years you listened — at most "
           f"**{spotify.planned_calls()} requests** (20 artists ≈ 20 searches + 20 album pages + up to 40 album-track "
           "calls + 5 genre searches; about 20 s). Every answer is kept: a second run asks nothing already answered, "
           "and a run that stops continues where it ended. Train the taste model again afterwards: the songs appear "
           "tagged “found on Spotify”.")
asked = store.count_spotify_requests(db)
if asked:
    st.write(f"**{asked:,}** requests answered so far.")
budget = st.number_input("Requests per run", min_value=10, max_value=1000, value=spotify.MAX_CALLS, step=10,
                         key="spotify_find_budget")
if st.button("Find new songs for Discover", key="spotify_find"):
    bar = st.progress(0.0, text="Starting…")
    found = spotify.find_new_songs(db, sp, profile, progress=lambda f, m: bar.progress(min(f, 1.0), text=m),
                                   max_calls=int(budget))
    (st.warning if found.stopped_by else st.success)(_shared.plain(found.message()))

st.subheader("Audio features")
st.caption("Spotify stopped serving audio features (danceability, energy, tempo, …) to apps created since "
           "November 2024. If your app is older it may still have access; otherwise features come from catalog "
           "files on the Catalog page.")
if st.button("Try fetching audio features from Spotify", key="spotify_features"):
    wanted = store.track_ids_without_features(db, profile, 1000)
    if not wanted:
        st.info("Every track of this profile with a Spotify id already has audio features.")
    else:
        try:
            got = spotify.fetch_audio_features(db, sp, wanted)
            st.success(f"Spotify sent audio features for {got:,} tracks; they are in the catalog now.")
        except spotify.SpotifyClosedError as problem:
            st.info(_shared.plain(problem))
        except spotify.SpotifyError as problem:
            st.error(_shared.plain(problem))

# --- save a playlist ------------------------------------------------------------------------

st.subheader("Save a playlist to Spotify")
playlists = store.list_playlists(db, profile)
sources = ["Paste track ids or links"] + (["One of the playlists in Encore"] if playlists else [])
how = st.radio("Tracks", sources, key="spotify_save_from", horizontal=True)
if how == "One of the playlists in Encore":
    labels = {p["id"]: f"{p['name']} ({p['source']}, {p['items']} items)" for p in playlists}
    chosen = st.selectbox("Playlist", list(labels), format_func=labels.get, key="spotify_save_playlist")
    uris = store.playlist_track_uris(db, chosen)
    default_name = next(p["name"] for p in playlists if p["id"] == chosen)
    origin = ("playlist", chosen)
else:
    pasted = st.text_area("Track ids, spotify:track: uris or open.spotify.com links, one per line",
                          key="spotify_save_ids")
    uris = [line.strip() for line in pasted.replace(",", "\n").splitlines() if line.strip()]
    default_name = "Encore playlist"
    origin = ("pasted", default_name)
if state.get("spotify_save_origin") != origin:  # another list picked: propose its name
    state["spotify_save_origin"] = origin
    state["spotify_save_name"] = default_name
name = st.text_input("Name", key="spotify_save_name")
description = st.text_input("Description", value="Made with Encore", key="spotify_save_description")
st.caption(f"{len(uris):,} tracks. The playlist is stored in Encore first, then created in your account "
           "(private) and filled 100 tracks at a time.")
# not disabled while empty: a text area commits on blur, and a button enabled only by that
# rerun would swallow the click that caused it
save_clicked = st.button("Save to Spotify", key="spotify_save")
if save_clicked and not uris:
    st.error("There are no tracks to save: paste track ids or pick a playlist with Spotify tracks.")
elif save_clicked:
    bar = st.progress(0.0, text="Saving…")
    try:
        saved = spotify.save_playlist(db, sp, profile, name, uris, description,
                                      progress=lambda f, m: bar.progress(f, text=m))
        st.success(f"Saved “{_shared.plain(name.strip())}” with {saved['items_done']:,} tracks.")
        st.link_button("Open in Spotify", spotify.playlist_url(saved["spotify_id"]))
    except ValueError as problem:
        st.error(f"{problem}. Paste 22-character track ids, spotify:track: uris or open.spotify.com/track links.")
    except spotify.SpotifyError as problem:
        st.error(_shared.plain(problem))

for unfinished in store.unfinished_spotify_saves(db, profile):
    st.warning(f"“{_shared.plain(unfinished['name'])}”: {unfinished['items_done']:,} of {unfinished['total_items']:,} tracks "
               f"saved. {unfinished['error'] or ''}")
    if st.button(f"Resume “{_shared.plain(unfinished['name'])}”", key=f"spotify_resume_{unfinished['playlist_id']}"):
        try:
            spotify.resume_save(db, sp, unfinished["playlist_id"])
            st.rerun()
        except spotify.SpotifyError as problem:
            st.error(_shared.plain(problem))

# --- manage saved playlists -----------------------------------------------------------------

saved_lists = [p for p in playlists if p["spotify_id"] and p["source"] == "encore"]
if saved_lists:
    with st.expander("Playlists Encore saved to your account"):
        labels = {p["id"]: p["name"] for p in saved_lists}
        chosen = st.selectbox("Playlist", list(labels), format_func=labels.get, key="spotify_manage_playlist")
        row = store.playlist_row(db, chosen)
        st.link_button("Open in Spotify", spotify.playlist_url(row["spotify_id"]))
        new_name = st.text_input("New name", value=row["name"], key="spotify_rename_name")
        if st.button("Rename", key="spotify_rename"):
            try:
                spotify.rename_playlist(db, sp, chosen, new_name)
                st.rerun()
            except (ValueError, spotify.SpotifyError) as problem:
                st.error(_shared.plain(problem))
        names = dict(store.playlist_track_labels(db, chosen))
        gone = st.multiselect("Tracks to remove", list(names), format_func=names.get, key="spotify_remove_tracks")
        if st.button("Remove from the playlist", key="spotify_remove", disabled=not gone):
            try:
                spotify.remove_tracks(db, sp, chosen, gone)
                st.rerun()
            except spotify.SpotifyError as problem:
                st.error(_shared.plain(problem))
