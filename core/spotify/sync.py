"""Spotify -> the store: recently played, saved tracks, followed artists, top lists, playlists.

The export is the real history; a sync adds what it cannot have (the last 50 plays since the
export, the current library) without ever duplicating an exported play.
"""
from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import spotipy
from sqlite_utils import Database

from core import store
from core.base import Progress, no_progress
from core.spotify.client import (
    SpotifyAuthError,
    SpotifyError,
    SpotifyRateLimitError,
    SpotifyRequestError,
    call,
    pages,
)

PLAY_MATCH_S = store.SPOTIFY_PLAY_MATCH_S  # a synced play within this many seconds of a stored one is the same play


def _iso_second(value: str) -> str:
    """'2026-11-21T18:00:00.123Z' -> '2026-11-21T18:00:00Z' (the store's play time)."""
    when = dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(dt.timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def first_artist(track: dict) -> str | None:
    artists = track.get("artists") or []
    return artists[0].get("name") if artists else None


def _entry_track(entry: dict) -> dict | None:
    # February 2026: playlist entries name their content "item"; "track" is the old name
    track = entry.get("item") or entry.get("track")
    return track if isinstance(track, dict) else None


def recent_play_row(item: dict) -> tuple:
    """A play tuple (store.PLAY_COLUMNS) from one recently-played item.

    The API does not say how long the person listened: ms_played is the track's length.
    """
    track = item["track"]
    values = dict.fromkeys(store.PLAY_COLUMNS)
    values.update(
        played_at=_iso_second(item["played_at"]),
        ms_played=int(track.get("duration_ms") or 0),
        content_type="music",
        track_name=track.get("name"),
        artist_name=first_artist(track),
        album_name=(track.get("album") or {}).get("name"),
        track_uri=track.get("uri"),
    )
    return tuple(values[c] for c in store.PLAY_COLUMNS)


def _epoch(iso: str) -> int:
    return int(dt.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc).timestamp())


def _iso(epoch: int) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_recent_plays(db: Database, profile: str, rows: Sequence[tuple]) -> list[tuple]:
    """The rows not already in the store: a stored play is the same play when it ended within
    ``PLAY_MATCH_S`` seconds and has the same track id, or — account exports have no ids and
    minute precision — ended within 60 s with the same artist and title."""
    if not rows:
        return []
    at = store.PLAY_COLUMNS.index("played_at")
    uri_at, artist_at, title_at = (store.PLAY_COLUMNS.index(c) for c in ("track_uri", "artist_name", "track_name"))
    ends = [_epoch(r[at]) for r in rows]
    stored = store.plays_near(db, profile, _iso(min(ends) - 60), _iso(max(ends) + 60))
    fresh = []
    for row, end in zip(rows, ends):
        track_id = (row[uri_at] or "").removeprefix("spotify:track:") or None
        same = any(
            (track_id and tid == track_id and abs(t - end) <= PLAY_MATCH_S)
            or (tid is None and artist == row[artist_at] and title == row[title_at] and abs(t - end) <= 60)
            for t, tid, artist, title in stored)
        if not same:
            fresh.append(row)
    return fresh


@dataclass
class SyncResult:
    part: str
    fetched: int
    added: int
    note: str | None = None


def _done(db: Database, profile: str, result: SyncResult) -> SyncResult:
    store.record_spotify_sync(db, profile, result.part, result.fetched, result.added, result.note)
    return result


def sync_recently_played(db: Database, sp: spotipy.Spotify, profile: str) -> SyncResult:
    """Add the last 50 plays (all the API gives) that the store does not have yet.

    Also drops plays synced earlier that an export imported since then holds too, so a
    play is never counted twice whichever came first.
    """
    result = call(sp, "reading your recently played tracks", sp.current_user_recently_played, limit=50)
    rows = [recent_play_row(item) for item in result.get("items") or [] if item.get("track")]
    with store.write_transaction(db):
        store.ensure_profile(db, profile)
        # plays synced earlier that an export imported since then holds too: the export's row wins
        covered = store.delete_spotify_plays_covered(db, profile, PLAY_MATCH_S)
        fresh = new_recent_plays(db, profile, rows)
        added = store.insert_plays(db, profile, None, "spotify", fresh)
        if added or covered:
            store.bump_data_version(db)
        return _done(db, profile, SyncResult("recently played", len(rows), added,
                                             "Spotify gives only the last 50 plays; your export is the real history."))


def _library_row(kind: str, obj: dict) -> tuple:
    album = (obj.get("album") or {}).get("name") if kind == "track" else None
    return (kind, obj["uri"], obj.get("name"), first_artist(obj) if kind == "track" else None, album, obj["uri"])


def sync_saved_tracks(db: Database, sp: spotipy.Spotify, profile: str) -> SyncResult:
    what = "reading your saved tracks"
    first = call(sp, what, sp.current_user_saved_tracks, limit=50)
    items = [_library_row("track", e["track"]) for e in pages(sp, what, first) if e.get("track")]
    with store.write_transaction(db):
        store.ensure_profile(db, profile)
        added = store.insert_library_items(db, profile, items)
        return _done(db, profile, SyncResult("saved tracks", len(items), added))


def sync_followed_artists(db: Database, sp: spotipy.Spotify, profile: str) -> SyncResult:
    what = "reading the artists you follow"
    first = call(sp, what, sp.current_user_followed_artists, limit=50)
    items = [_library_row("artist", a) for a in pages(sp, what, first, key="artists")]
    with store.write_transaction(db):
        store.ensure_profile(db, profile)
        added = store.insert_library_items(db, profile, items)
        return _done(db, profile, SyncResult("followed artists", len(items), added))


TIME_RANGES = ("short_term", "medium_term", "long_term")


def sync_top_items(db: Database, sp: spotipy.Spotify, profile: str) -> SyncResult:
    """Top artists and tracks for each time range, where the API still serves them."""
    fetched, refused = 0, []
    for kind, method in (("artist", sp.current_user_top_artists), ("track", sp.current_user_top_tracks)):
        for time_range in TIME_RANGES:
            what = f"reading your top {kind}s ({time_range.replace('_', ' ')})"
            try:
                page = call(sp, what, method, limit=50, time_range=time_range)
            except SpotifyRequestError:  # 403/404: not served to this app; the rest still is
                refused.append(f"{kind}s/{time_range}")
                continue
            rows = [(o["uri"], o.get("name"), first_artist(o) if kind == "track" else None) for o in page.get("items") or []]
            with store.write_transaction(db):
                fetched += store.replace_spotify_top_items(db, profile, kind, time_range, rows)
    note = f"Spotify did not serve: {', '.join(refused)}." if refused else None
    with store.write_transaction(db):
        return _done(db, profile, SyncResult("top artists and tracks", fetched, fetched, note))


def _playlist_items(track: dict, added: str | None) -> tuple:
    uri = track.get("uri")
    is_track = track.get("type", "track") == "track"
    kind = "local" if track.get("is_local") else ("track" if is_track else "episode")
    track_id = uri.removeprefix("spotify:track:") if uri and uri.startswith("spotify:track:") else None
    artist = first_artist(track) if is_track else (track.get("show") or {}).get("name")
    album = (track.get("album") or {}).get("name") if is_track else None
    return (kind, track.get("name"), artist, album, uri, track_id, (added or "")[:10] or None)


def sync_playlists(db: Database, sp: spotipy.Spotify, profile: str, progress: Progress = no_progress) -> SyncResult:
    """The person's playlists with their items (source 'spotify'), mirroring the account.

    Since February 2026 Spotify serves the items only of playlists the person owns or
    collaborates on; the others are stored with their name and no items.
    """
    me = call(sp, "reading your profile", sp.me)
    what = "reading your playlists"
    listed = list(pages(sp, what, call(sp, what, sp.current_user_playlists, limit=50)))
    records, without_items = [], 0
    for number, playlist in enumerate(listed, start=1):
        progress(number / max(len(listed), 1), f"Playlist {number} of {len(listed)}: {playlist.get('name')}")
        items: tuple = ()
        if (playlist.get("owner") or {}).get("id") == me.get("id") or playlist.get("collaborative"):
            what_items = f"reading the playlist “{playlist.get('name')}”"
            try:
                first = call(sp, what_items, sp.playlist_items, playlist["id"], limit=50)
                items = tuple(_playlist_items(t, e.get("added_at")) for e in pages(sp, what_items, first)
                              if (t := _entry_track(e)))
            except SpotifyRequestError:
                without_items += 1
        else:
            without_items += 1
        records.append((playlist, items))
    changed = 0
    with store.write_transaction(db):
        store.ensure_profile(db, profile)
        seen: dict[str, int] = {}
        kept = []
        for playlist, items in records:
            name = playlist.get("name") or "(no name)"
            ordinal = seen.get(name, 0)
            seen[name] = ordinal + 1
            record = store.PlaylistRecord(name, ordinal, None, playlist.get("description") or None, items)
            playlist_id, was_changed = store.upsert_playlist(db, profile, "spotify", record)
            changed += was_changed
            store.set_playlist_spotify_id(db, playlist_id, playlist["id"])
            kept.append(playlist_id)
        store.delete_spotify_playlists_except(db, profile, kept)
        note = (f"{without_items} playlist(s) you follow but do not own: Spotify no longer serves their items."
                if without_items else None)
        return _done(db, profile, SyncResult("playlists", len(records), changed, note))


SYNC_PARTS: dict[str, Callable] = {
    "recently played": sync_recently_played,
    "saved tracks": sync_saved_tracks,
    "playlists": sync_playlists,
    "top artists and tracks": sync_top_items,
    "followed artists": sync_followed_artists,
}


def sync_all(db: Database, sp: spotipy.Spotify, profile: str,
             progress: Progress = no_progress) -> tuple[list[SyncResult], list[SpotifyError]]:
    """Every sync part in turn; a part that fails does not stop the others (each is its own
    transaction). A rate limit or a lost sign-in stops the rest: every further call would
    meet it too."""
    results, errors = [], []
    for number, (part, sync) in enumerate(SYNC_PARTS.items()):
        progress(number / len(SYNC_PARTS), f"Syncing {part}…")
        try:
            results.append(sync(db, sp, profile))
        except (SpotifyRateLimitError, SpotifyAuthError) as exc:
            errors.append(exc)
            break
        except SpotifyError as exc:
            errors.append(exc)
    progress(1.0, "Sync finished.")
    return results, errors


FEATURES = ("danceability", "energy", "key", "loudness", "mode", "speechiness", "acousticness",
            "instrumentalness", "liveness", "valence", "tempo")


def fetch_audio_features(db: Database, sp: spotipy.Spotify, track_ids: Sequence[str]) -> int:
    """Audio features for these tracks into the catalog (source 'spotify'), if the app may.

    Raises SpotifyClosedError with the plain explanation when Spotify answers 403 (every app
    created since November 2024). Returns how many tracks got features.
    """
    ids = list(dict.fromkeys(track_ids))
    rows = []
    for start in range(0, len(ids), 100):
        with warnings.catch_warnings():  # spotipy warns that Spotify deprecated it: that is the point here
            warnings.simplefilter("ignore", DeprecationWarning)
            result = call(sp, "reading audio features", sp.audio_features, ids[start:start + 100], closed=True)
        for f in result or []:
            if f and f.get("id"):
                values = dict.fromkeys(store.CATALOG_COLUMNS)
                values.update({k: f.get(k) for k in FEATURES}, track_id=f["id"], duration_ms=f.get("duration_ms"))
                rows.append(tuple(values[c] for c in store.CATALOG_COLUMNS))
    if rows:
        from core import catalog
        with store.write_transaction(db):
            store.write_catalog(db, "spotify", sorted(rows), [])
            catalog.fill_name_keys(db)
            store.bump_catalog_version(db)
    return len(rows)
