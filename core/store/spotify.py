"""What the Spotify connection keeps: syncs, top lists, id searches, playlist saves and the
requests made to find new songs."""
from __future__ import annotations

import json
from collections.abc import Iterable

from sqlite_utils import Database

from core.store.connection import utc_now


def record_spotify_sync(db: Database, profile: str, part: str, fetched: int, added: int, note: str | None) -> None:
    db.execute(
        "INSERT INTO spotify_syncs(profile, part, finished_at, fetched, added, note) VALUES (?, ?, ?, ?, ?, ?)",
        [profile, part, utc_now(), fetched, added, note],
    )


def last_spotify_syncs(db: Database, profile: str) -> list[dict]:
    """The latest sync of each part for a profile."""
    return list(db.query(
        "SELECT part, finished_at, fetched, added, note FROM spotify_syncs WHERE id IN "
        "(SELECT max(id) FROM spotify_syncs WHERE profile = ? GROUP BY part) ORDER BY part", [profile]))


def replace_spotify_top_items(db: Database, profile: str, kind: str, time_range: str,
                              items: Iterable[tuple[str, str | None, str | None]]) -> int:
    """Replace one top list by (uri, name, artist_name) rows in rank order; return its length."""
    db.execute("DELETE FROM spotify_top_items WHERE profile = ? AND kind = ? AND time_range = ?",
               [profile, kind, time_range])
    rows = [(profile, kind, time_range, rank, *item) for rank, item in enumerate(items, start=1)]
    db.conn.executemany(
        "INSERT INTO spotify_top_items(profile, kind, time_range, rank, uri, name, artist_name) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    return len(rows)


def list_spotify_top_items(db: Database, profile: str) -> list[dict]:
    return list(db.query(
        "SELECT kind, time_range, rank, uri, name, artist_name FROM spotify_top_items WHERE profile = ? "
        "ORDER BY kind, time_range, rank", [profile]))


def start_spotify_save(db: Database, playlist_id: int, profile: str, total_items: int) -> None:
    db.execute(
        "INSERT INTO spotify_saves(playlist_id, profile, total_items, status, updated_at) VALUES (?, ?, ?, 'pending', ?)",
        [playlist_id, profile, total_items, utc_now()])


def spotify_save(db: Database, playlist_id: int) -> dict | None:
    rows = list(db.query(
        "SELECT playlist_id, profile, spotify_id, total_items, items_done, status, error, updated_at "
        "FROM spotify_saves WHERE playlist_id = ?", [playlist_id]))
    return rows[0] if rows else None


def update_spotify_save(db: Database, playlist_id: int, **values) -> None:
    """Set some of spotify_id, total_items, items_done, status, error of a save."""
    allowed = {"spotify_id", "total_items", "items_done", "status", "error"}
    if not values or set(values) - allowed:
        raise ValueError(f"unknown save fields {sorted(set(values) - allowed)}")
    assignments = ", ".join(f"{k} = ?" for k in values)
    db.execute(f"UPDATE spotify_saves SET {assignments}, updated_at = ? WHERE playlist_id = ?",
               [*values.values(), utc_now(), playlist_id])


def unfinished_spotify_saves(db: Database, profile: str) -> list[dict]:
    return list(db.query(
        "SELECT s.playlist_id, p.name, s.spotify_id, s.total_items, s.items_done, s.status, s.error "
        "FROM spotify_saves s JOIN playlists p ON p.id = s.playlist_id "
        "WHERE s.profile = ? AND s.status != 'done' ORDER BY s.playlist_id", [profile]))


def unresolved_track_names(db: Database, profile: str) -> list[tuple[str, str, int]]:
    """(artist_name, track_name, plays) of music plays without a track uri that were never
    searched, most played first (an interrupted resolution has done the ones that matter most)."""
    return db.execute(
        "SELECT p.artist_name, p.track_name, count(*) AS n FROM plays p "
        "WHERE p.profile = ? AND p.content_type = 'music' AND p.track_uri IS NULL "
        "AND p.artist_name IS NOT NULL AND p.track_name IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM spotify_searches s WHERE s.artist_name = p.artist_name "
        "AND s.track_name = p.track_name) "
        "GROUP BY p.artist_name, p.track_name ORDER BY n DESC, p.artist_name, p.track_name",
        [profile],
    ).fetchall()


def record_spotify_search(db: Database, artist_name: str, track_name: str, track_uri: str | None,
                          found_artist: str | None, found_track: str | None) -> None:
    db.execute(
        "INSERT OR REPLACE INTO spotify_searches(artist_name, track_name, track_uri, found_artist, found_track, "
        "searched_at) VALUES (?, ?, ?, ?, ?, ?)",
        [artist_name, track_name, track_uri, found_artist, found_track, utc_now()])


def list_spotify_searches(db: Database) -> list[dict]:
    return list(db.query(
        "SELECT artist_name, track_name, track_uri, found_artist, found_track FROM spotify_searches "
        "ORDER BY artist_name, track_name"))


def apply_spotify_searches(db: Database, profile: str) -> int:
    """Write every found uri into the profile's music plays that have none; return plays changed.

    The caller owns the transaction (and bumps the data version when this changed plays).
    """
    before = db.conn.total_changes
    found = db.execute(
        "SELECT s.track_uri, s.artist_name, s.track_name FROM spotify_searches s WHERE s.track_uri IS NOT NULL "
        "AND EXISTS (SELECT 1 FROM plays p WHERE p.profile = ? AND p.track_uri IS NULL "
        "AND p.content_type = 'music' AND p.artist_name = s.artist_name AND p.track_name = s.track_name)",
        [profile]).fetchall()
    db.conn.executemany(
        "UPDATE plays SET track_uri = ? WHERE profile = ? AND track_uri IS NULL AND content_type = 'music' "
        "AND artist_name = ? AND track_name = ?",
        [(uri, profile, artist, track) for uri, artist, track in found])
    return db.conn.total_changes - before


# --- requests made to find new songs (core.spotify.candidates) ----------------------------------


def spotify_request(db: Database, request: str) -> object | None:
    """The stored answer to a request (decoded JSON), or None when it was never answered."""
    row = db.execute("SELECT result_json FROM spotify_requests WHERE request = ?", [request]).fetchone()
    return json.loads(row[0]) if row else None


def record_spotify_request(db: Database, request: str, kind: str, result: object) -> None:
    """Keep the answer to a request (what Encore uses of it, as JSON)."""
    db.execute("INSERT OR REPLACE INTO spotify_requests(request, kind, result_json, fetched_at) VALUES (?, ?, ?, ?)",
               [request, kind, json.dumps(result, ensure_ascii=False), utc_now()])


def spotify_request_results(db: Database, kind: str) -> list[tuple[str, object]]:
    """(request, decoded answer) of every stored request of one kind, in request order."""
    return [(r, json.loads(j)) for r, j in db.execute(
        "SELECT request, result_json FROM spotify_requests WHERE kind = ? ORDER BY request", [kind])]


def count_spotify_requests(db: Database) -> int:
    return db.execute("SELECT count(*) FROM spotify_requests").fetchone()[0]
