"""Playlists and saved library items (from exports, from Spotify, and made in Encore)."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlite_utils import Database

from core.store.imports import journal


@dataclass(frozen=True)
class PlaylistRecord:
    name: str
    ordinal: int
    last_modified: str | None
    description: str | None
    items: tuple[tuple, ...]  # (kind, track_name, artist_name, album_name, track_uri, track_id, added_date)


def upsert_playlist(db: Database, profile: str, source: str, playlist: PlaylistRecord,
                    import_id: int | None = None) -> tuple[int, bool]:
    """Store a playlist, replacing its items; return (its id, whether anything changed).

    With ``import_id`` the playlist as it was (or that it is new) goes into the import's
    journal first."""
    row = db.execute(
        "SELECT id FROM playlists WHERE profile = ? AND source = ? AND name = ? AND ordinal = ?",
        [profile, source, playlist.name, playlist.ordinal],
    ).fetchone()
    if row:
        playlist_id = row[0]
        existing = tuple(
            db.execute(
                "SELECT kind, track_name, artist_name, album_name, track_uri, track_id, added_date "
                "FROM playlist_items WHERE playlist_id = ? ORDER BY position",
                [playlist_id],
            ).fetchall()
        )
        if existing == playlist.items:
            return playlist_id, False
        if import_id is not None:
            meta = db.execute("SELECT last_modified, description FROM playlists WHERE id = ?", [playlist_id]).fetchone()
            journal(db, import_id, "playlist", [{"id": playlist_id, "previous": {
                "last_modified": meta[0], "description": meta[1], "items": [list(item) for item in existing]}}])
        db.execute(
            "UPDATE playlists SET last_modified = ?, description = ? WHERE id = ?",
            [playlist.last_modified, playlist.description, playlist_id],
        )
        db.execute("DELETE FROM playlist_items WHERE playlist_id = ?", [playlist_id])
    else:
        cur = db.execute(
            "INSERT INTO playlists(profile, source, name, ordinal, last_modified, description) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [profile, source, playlist.name, playlist.ordinal, playlist.last_modified, playlist.description],
        )
        playlist_id = cur.lastrowid
        if import_id is not None:
            journal(db, import_id, "playlist", [{"id": playlist_id, "previous": None}])
    db.conn.executemany(
        "INSERT INTO playlist_items(playlist_id, position, kind, track_name, artist_name, album_name, "
        "track_uri, track_id, added_date) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(playlist_id, pos, *item) for pos, item in enumerate(playlist.items)],
    )
    return playlist_id, True


def insert_library_items(db: Database, profile: str, items: Iterable[Sequence], import_id: int | None = None) -> int:
    """Insert (kind, item_key, name, artist_name, album_name, uri) rows; return rows added
    (journalled under ``import_id``)."""
    items = list(items)
    if import_id is not None:
        have = set(db.execute("SELECT kind, item_key FROM library_items WHERE profile = ?", [profile]).fetchall())
        new = list(dict.fromkeys((kind, key) for kind, key, *_ in items if (kind, key) not in have))
        journal(db, import_id, "library_item", ({"kind": kind, "item_key": key} for kind, key in new))
    before = db.conn.total_changes
    db.conn.executemany(
        "INSERT OR IGNORE INTO library_items(profile, kind, item_key, name, artist_name, album_name, uri) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        ((profile, *item) for item in items),
    )
    return db.conn.total_changes - before


def set_playlist_spotify_id(db: Database, playlist_id: int, spotify_id: str | None) -> None:
    db.execute("UPDATE playlists SET spotify_id = ? WHERE id = ?", [spotify_id, playlist_id])


def delete_spotify_playlists_except(db: Database, profile: str, keep_ids: Sequence[int]) -> int:
    """Drop the profile's synced playlists (source 'spotify') other than these local ids: those
    deleted in the account, and the old rows of playlists renamed there. Return how many went."""
    marks = ", ".join("?" * len(keep_ids))
    condition = f"AND id NOT IN ({marks})" if keep_ids else ""
    cur = db.execute(f"DELETE FROM playlists WHERE profile = ? AND source = 'spotify' {condition}",
                     [profile, *keep_ids])
    return cur.rowcount


def playlist_row(db: Database, playlist_id: int) -> dict | None:
    rows = list(db.query(
        "SELECT id, profile, source, name, ordinal, description, spotify_id FROM playlists WHERE id = ?",
        [playlist_id]))
    return rows[0] if rows else None


def list_playlists(db: Database, profile: str) -> list[dict]:
    """A profile's playlists of every source with their item counts, by source and name."""
    return list(db.query(
        "SELECT p.id, p.source, p.name, p.ordinal, p.spotify_id, count(i.position) AS items "
        "FROM playlists p LEFT JOIN playlist_items i ON i.playlist_id = p.id WHERE p.profile = ? "
        "GROUP BY p.id ORDER BY p.source, p.name, p.ordinal", [profile]))


def playlist_track_uris(db: Database, playlist_id: int) -> list[str]:
    """The track uris of a playlist in order (items without a track uri left out)."""
    return [r[0] for r in db.execute(
        "SELECT track_uri FROM playlist_items WHERE playlist_id = ? AND kind = 'track' "
        "AND track_uri LIKE 'spotify:track:%' ORDER BY position", [playlist_id])]


def playlist_track_labels(db: Database, playlist_id: int) -> list[tuple[str, str]]:
    """(track_uri, "artist — title" or the uri) of a playlist's tracks, in order."""
    return db.execute(
        "SELECT track_uri, coalesce(artist_name || ' — ' || track_name, track_uri) FROM playlist_items "
        "WHERE playlist_id = ? AND track_uri IS NOT NULL ORDER BY position", [playlist_id]).fetchall()


def next_playlist_ordinal(db: Database, profile: str, source: str, name: str) -> int:
    row = db.execute("SELECT max(ordinal) FROM playlists WHERE profile = ? AND source = ? AND name = ?",
                     [profile, source, name]).fetchone()
    return 0 if row[0] is None else row[0] + 1


def rename_playlist(db: Database, playlist_id: int, name: str) -> None:
    """Rename a local playlist (a new ordinal when the name is taken)."""
    row = playlist_row(db, playlist_id)
    if row["name"] == name:
        return
    ordinal = next_playlist_ordinal(db, row["profile"], row["source"], name)
    db.execute("UPDATE playlists SET name = ?, ordinal = ? WHERE id = ?", [name, ordinal, playlist_id])


def remove_playlist_tracks(db: Database, playlist_id: int, track_uris: Sequence[str]) -> int:
    """Remove every occurrence of these tracks from a local playlist, closing the gaps."""
    kept = db.execute(
        "SELECT kind, track_name, artist_name, album_name, track_uri, track_id, added_date FROM playlist_items "
        f"WHERE playlist_id = ? AND coalesce(track_uri, '') NOT IN ({', '.join('?' * len(track_uris))}) "
        "ORDER BY position", [playlist_id, *track_uris]).fetchall()
    before = db.execute("SELECT count(*) FROM playlist_items WHERE playlist_id = ?", [playlist_id]).fetchone()[0]
    db.execute("DELETE FROM playlist_items WHERE playlist_id = ?", [playlist_id])
    db.conn.executemany(
        "INSERT INTO playlist_items(playlist_id, position, kind, track_name, artist_name, album_name, "
        "track_uri, track_id, added_date) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(playlist_id, pos, *item) for pos, item in enumerate(kept)])
    return before - len(kept)


def playlist_tracks(db: Database, profile: str) -> dict[str, list]:
    """Track items of a profile's playlists in order, one list per column.

    Columns ``playlist_id, playlist_name, position, track_name, artist_name, track_id,
    added_date``.
    """
    columns = ("playlist_id", "playlist_name", "position", "track_name", "artist_name", "track_id", "added_date")
    rows = db.execute(
        "SELECT p.id, p.name, i.position, i.track_name, i.artist_name, "
        "coalesce(i.track_id, CASE WHEN substr(i.track_uri, 1, 14) = 'spotify:track:' THEN substr(i.track_uri, 15) END), "
        "i.added_date FROM playlists p JOIN playlist_items i ON i.playlist_id = p.id "
        "WHERE p.profile = ? AND (i.track_name IS NOT NULL OR i.track_uri IS NOT NULL OR i.track_id IS NOT NULL) "
        "AND i.kind = 'track' ORDER BY p.id, i.position",
        [profile],
    ).fetchall()
    return {name: [r[i] for r in rows] for i, name in enumerate(columns)}
