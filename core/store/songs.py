"""The person's own song edits: a recording split off its song, or joined to another song.

Keyed by track_key (a Spotify id, else "artist — title"), so an edit survives re-importing
the same or a newer export. What a song is, and how the edits apply, is
``core.history.songs``.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlite_utils import Database

from core.store.connection import bump_data_version, utc_now, write_transaction


def song_edits(db: Database, profile: str) -> dict[str, str]:
    """track_key -> the song key the person put it in."""
    return dict(db.execute("SELECT track_key, song_key FROM song_edits WHERE profile = ? ORDER BY track_key",
                           [profile]).fetchall())


def set_song_edits(db: Database, profile: str, pairs: Iterable[tuple[str, str]]) -> None:
    """Put each track_key in a song (replacing an earlier edit of it) and bump the data version."""
    with write_transaction(db):
        now = utc_now()
        db.conn.executemany(
            "INSERT INTO song_edits(profile, track_key, song_key, created_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(profile, track_key) DO UPDATE SET song_key = excluded.song_key, created_at = excluded.created_at",
            ((profile, track_key, song_key, now) for track_key, song_key in pairs))
        bump_data_version(db)


def remove_song_edits(db: Database, profile: str, track_keys: Sequence[str]) -> int:
    """Forget the edits of these track_keys (they go back to the rule); return how many went."""
    with write_transaction(db):
        removed = sum(db.execute("DELETE FROM song_edits WHERE profile = ? AND track_key = ?", [profile, key]).rowcount
                      for key in track_keys)
        if removed:
            bump_data_version(db)
    return removed
