"""Saving a playlist to the person's account: in chunks of 100, resumable, never created twice."""
from __future__ import annotations

import re
import secrets
from collections.abc import Sequence

import spotipy
from sqlite_utils import Database

from core import store
from core.base import Progress, no_progress
from core.spotify.client import CHUNK, PlaylistSaveError, SpotifyError, call


def track_uri(value: str) -> str:
    """A track uri from an id, uri or open.spotify.com link; ValueError for anything else."""
    value = value.strip()
    if value.startswith("spotify:track:"):
        track_id = value.removeprefix("spotify:track:")
    elif "open.spotify.com/" in value and "/track/" in value:
        track_id = value.split("/track/", 1)[1].split("?", 1)[0].split("/", 1)[0]
    else:
        track_id = value
    if not (track_id.isalnum() and track_id.isascii() and len(track_id) == 22):
        raise ValueError(f"{value!r} is not a Spotify track id, uri or link")
    return f"spotify:track:{track_id}"


def playlist_url(spotify_id: str) -> str:
    return f"https://open.spotify.com/playlist/{spotify_id}"


SAVE_TOKEN = re.compile(r"\[encore (?P<token>[0-9a-f]{10})\]$")


def save_token(description: str | None) -> str | None:
    """The token that ends a description Encore wrote, e.g. "Made with Encore [encore 3fa9c02b1e]"."""
    found = SAVE_TOKEN.search(description or "")
    return found.group("token") if found else None


def store_local_playlist(db: Database, profile: str, name: str, description: str | None,
                         uris: Sequence[str]) -> int:
    """Store a playlist locally (source 'encore') with the names the store knows; return its id.

    The description ends with a random save token (``[encore 3fa9c02b1e]``): if the reply
    to creating the playlist is lost, ``resume_save`` finds the playlist by it in the
    account instead of creating a second one.
    """
    description = f"{(description or '').strip()} [encore {secrets.token_hex(5)}]".strip()
    uris = [track_uri(u) for u in uris]
    ids = [u.removeprefix("spotify:track:") for u in uris]
    with store.write_transaction(db):
        store.ensure_profile(db, profile)
        names = store.known_track_names(db, ids)
        items = tuple(("track", *names.get(i, (None, None, None)), u, i, None) for u, i in zip(uris, ids))
        ordinal = store.next_playlist_ordinal(db, profile, "encore", name)
        playlist_id, _ = store.upsert_playlist(db, profile, "encore",
                                               store.PlaylistRecord(name, ordinal, None, description, items))
        store.start_spotify_save(db, playlist_id, profile, len(uris))
    return playlist_id


def _find_saved_playlist(sp: spotipy.Spotify, token: str | None) -> str | None:
    """The id of the person's playlist whose description ends with this save token, or None."""
    if token is None:
        return None
    page = call(sp, "reading your playlists", sp.current_user_playlists, limit=50)
    while page:
        for item in page.get("items") or []:
            if item and save_token(item.get("description")) == token:
                return item["id"]
        page = call(sp, "reading your playlists", sp.next, page) if page.get("next") else None
    return None


def save_playlist(db: Database, sp: spotipy.Spotify, profile: str, name: str, uris: Sequence[str],
                  description: str = "", public: bool = False, progress: Progress = no_progress) -> dict:
    """Store a playlist locally, then create it in the account and fill it in chunks of 100.

    Returns the save's row (``store.spotify_save``). A failure part-way raises
    PlaylistSaveError naming the chunk; ``resume_save`` continues without a second playlist.
    """
    name = name.strip()
    if not name:
        raise ValueError("a playlist needs a name")
    playlist_id = store_local_playlist(db, profile, name, description or None, uris)
    return resume_save(db, sp, playlist_id, public=public, progress=progress)


def resume_save(db: Database, sp: spotipy.Spotify, playlist_id: int, public: bool = False,
                progress: Progress = no_progress) -> dict:
    """Continue saving a stored playlist: create it once, then add the chunks not yet added.

    A chunk whose request got no answer may have arrived anyway, so the playlist's item
    count in the account decides where to continue when it is ahead of the store's record.
    """
    playlist = store.playlist_row(db, playlist_id)
    state = store.spotify_save(db, playlist_id)
    if playlist is None or state is None:
        raise SpotifyError(f"There is no playlist save {playlist_id} to resume.")
    uris = store.playlist_track_uris(db, playlist_id)
    chunks = max((len(uris) + CHUNK - 1) // CHUNK, 1)
    spotify_id = state["spotify_id"]
    done = state["items_done"]

    def fail(exc: SpotifyError, what: str) -> PlaylistSaveError:
        with store.write_transaction(db):
            store.update_spotify_save(db, playlist_id, status="failed", error=f"{what}: {exc}")
        return PlaylistSaveError(playlist_id, f"Saving “{playlist['name']}” to Spotify stopped at {what}. {exc} "
                                              "The playlist is kept in Encore; use “Resume” to continue "
                                              "(no second playlist will be created).")

    if spotify_id is None and state["status"] == "failed":
        # an earlier create may have reached Spotify with its reply lost: look for its token
        try:
            spotify_id = _find_saved_playlist(sp, save_token(playlist["description"]))
        except SpotifyError as exc:
            raise fail(exc, "looking for the playlist created before") from None
        if spotify_id is not None:
            with store.write_transaction(db):
                store.update_spotify_save(db, playlist_id, spotify_id=spotify_id, status="pending", error=None)
                store.set_playlist_spotify_id(db, playlist_id, spotify_id)
            done = -1  # unknown: the account's item count decides below
    if spotify_id is None:
        try:
            created = call(sp, f"creating the playlist “{playlist['name']}”", sp.current_user_playlist_create,
                           playlist["name"], public=public, description=playlist["description"] or "")
        except SpotifyError as exc:
            raise fail(exc, "creating the playlist") from None
        spotify_id = created["id"]
        with store.write_transaction(db):
            store.update_spotify_save(db, playlist_id, spotify_id=spotify_id, status="pending", error=None)
            store.set_playlist_spotify_id(db, playlist_id, spotify_id)
    elif done < len(uris):
        try:
            remote = call(sp, f"checking the playlist “{playlist['name']}”", sp.playlist_items, spotify_id,
                          limit=1, fields="total")
        except SpotifyError as exc:
            raise fail(exc, f"checking chunk {max(done, 0) // CHUNK + 1} of {chunks}") from None
        total = int(remote.get("total") or 0)
        if done < total <= len(uris):
            done = total
        done = max(done, 0)
    start = done
    while start < len(uris):
        end = min(start + CHUNK, len(uris))
        number = start // CHUNK + 1
        progress(start / len(uris), f"Adding tracks {start + 1}–{end} of {len(uris)} (chunk {number} of {chunks})")
        try:
            call(sp, f"adding tracks {start + 1}–{end}", sp.playlist_add_items, spotify_id, uris[start:end])
        except SpotifyError as exc:
            raise fail(exc, f"chunk {number} of {chunks} (tracks {start + 1}–{end})") from None
        with store.write_transaction(db):
            store.update_spotify_save(db, playlist_id, items_done=end)
        start = end
    with store.write_transaction(db):
        store.update_spotify_save(db, playlist_id, status="done", error=None, items_done=len(uris))
    progress(1.0, f"Saved “{playlist['name']}” with {len(uris)} tracks.")
    return store.spotify_save(db, playlist_id)


def _saved_spotify_id(db: Database, playlist_id: int) -> tuple[dict, str]:
    playlist = store.playlist_row(db, playlist_id)
    if playlist is None or not playlist["spotify_id"]:
        raise SpotifyError("This playlist is not in your Spotify account yet: save it first.")
    return playlist, playlist["spotify_id"]


def rename_playlist(db: Database, sp: spotipy.Spotify, playlist_id: int, name: str) -> None:
    """Rename a saved playlist in the account and in the store."""
    playlist, spotify_id = _saved_spotify_id(db, playlist_id)
    name = name.strip()
    if not name:
        raise ValueError("a playlist needs a name")
    call(sp, f"renaming “{playlist['name']}”", sp.playlist_change_details, spotify_id, name=name)
    with store.write_transaction(db):
        store.rename_playlist(db, playlist_id, name)


def remove_tracks(db: Database, sp: spotipy.Spotify, playlist_id: int, uris: Sequence[str]) -> int:
    """Remove every occurrence of these tracks from a saved playlist (account and store)."""
    playlist, spotify_id = _saved_spotify_id(db, playlist_id)
    uris = list(dict.fromkeys(track_uri(u) for u in uris))
    for start in range(0, len(uris), CHUNK):
        call(sp, f"removing tracks from “{playlist['name']}”", sp.playlist_remove_all_occurrences_of_items,
             spotify_id, uris[start:start + CHUNK])
    with store.write_transaction(db):
        removed = store.remove_playlist_tracks(db, playlist_id, uris)
        state = store.spotify_save(db, playlist_id)
        if state:
            left = len(store.playlist_track_uris(db, playlist_id))
            store.update_spotify_save(db, playlist_id, total_items=left, items_done=min(state["items_done"], left))
    return removed
