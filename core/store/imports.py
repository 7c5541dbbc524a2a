"""The imports log: one row per import, and a journal of what each changed, to undo it exactly.

A play an import added carries the import's id. Everything else an import changes is
journalled under its id before it changes: the account-export plays it upgraded to richer
rows, the Spotify-synced plays it replaced, the playlists it created or rewrote and the
library items it added. ``undo_import`` puts all of it back and removes the plays.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from sqlite_utils import Database

from core.errors import ImportUndoError
from core.store.connection import IN_CHUNK, bump_data_version, utc_now, write_transaction
from core.store.profiles import ensure_profile
from core.store.schema import PLAY_COLUMNS

# what a journalled play row holds: enough to put it back exactly
_PLAY_ROW = ("id", "profile", "import_id", "source", *PLAY_COLUMNS)


def start_import(db: Database, profile: str) -> int:
    with write_transaction(db):
        ensure_profile(db, profile)
        cur = db.execute("INSERT INTO imports(profile, started_at) VALUES (?, ?)", [profile, utc_now()])
    return int(cur.lastrowid)


def finish_import(db: Database, import_id: int, files: int, added: int, merged: int, report_json: str) -> None:
    """Mark an import finished with its totals (each file's changes were committed, and the
    data version bumped, with the file)."""
    with write_transaction(db):
        db.execute(
            "UPDATE imports SET finished_at = ?, files = ?, plays_added = ?, plays_merged = ?, "
            "report_json = ? WHERE id = ?",
            [utc_now(), files, added, merged, report_json, import_id],
        )


def journal(db: Database, import_id: int, kind: str, payloads: Iterable[dict]) -> None:
    """Remember what an import is about to change (the caller owns the transaction)."""
    db.conn.executemany("INSERT INTO import_journal(import_id, kind, payload) VALUES (?, ?, ?)",
                        ((import_id, kind, json.dumps(p, ensure_ascii=False)) for p in payloads))


def journal_plays(db: Database, import_id: int, kind: str, play_ids: Sequence[int]) -> None:
    """Journal these plays as they are now (before an upgrade or a delete)."""
    for start in range(0, len(play_ids), IN_CHUNK):
        chunk = list(play_ids[start:start + IN_CHUNK])
        rows = db.execute(f"SELECT {', '.join(_PLAY_ROW)} FROM plays WHERE id IN ({', '.join('?' * len(chunk))})",
                          chunk).fetchall()
        journal(db, import_id, kind, (dict(zip(_PLAY_ROW, row)) for row in rows))


def list_imports(db: Database, profile: str) -> list[dict]:
    """A profile's imports, newest first: id, started and finished, files, plays added and
    merged, and when it was undone (None if it stands)."""
    return list(db.query(
        "SELECT id, started_at, finished_at, files, plays_added, plays_merged, undone_at FROM imports "
        "WHERE profile = ? ORDER BY id DESC", [profile]))


def undo_import(db: Database, import_id: int) -> dict:
    """Undo one import exactly: remove the plays it added, put back the plays it upgraded or
    replaced, the playlists it changed and the library items it added. Returns what changed:
    ``profile``, ``plays_removed``, ``plays_restored``, ``playlists_restored``,
    ``library_items_removed``. Raises ImportUndoError when there is nothing to undo."""
    row = db.execute("SELECT profile, undone_at FROM imports WHERE id = ?", [import_id]).fetchone()
    if row is None:
        raise ImportUndoError(f"There is no import {import_id} to undo. See the list of imports for the ones "
                              "that can be undone.")
    if row[1] is not None:
        raise ImportUndoError(f"Import {import_id} was already undone on {row[1][:10]}; nothing changed.")
    profile = row[0]
    entries: dict[str, list[dict]] = {}
    for kind, payload in db.execute("SELECT kind, payload FROM import_journal WHERE import_id = ? ORDER BY id",
                                    [import_id]):
        entries.setdefault(kind, []).append(json.loads(payload))
    with write_transaction(db):
        undone = {r[0] for r in db.execute("SELECT id FROM imports WHERE undone_at IS NOT NULL")}
        # rows this import upgraded go back to what they were (unless the import that brought
        # them was undone since: then they go)
        upgraded = entries.get("upgraded_play", [])
        back = [p for p in upgraded if p["import_id"] not in undone]
        db.conn.executemany(
            f"UPDATE plays SET {', '.join(f'{c} = ?' for c in _PLAY_ROW[1:])} WHERE id = ?",
            ([p[c] for c in _PLAY_ROW[1:]] + [p["id"]] for p in back))
        db.conn.executemany("DELETE FROM plays WHERE id = ?", ([p["id"]] for p in upgraded if p not in back))
        removed = db.execute("DELETE FROM plays WHERE import_id = ?", [import_id]).rowcount
        replaced = entries.get("deleted_play", [])
        db.conn.executemany(f"INSERT OR IGNORE INTO plays({', '.join(_PLAY_ROW)}) "
                            f"VALUES ({', '.join('?' * len(_PLAY_ROW))})",
                            ([p[c] for c in _PLAY_ROW] for p in replaced))
        for entry in entries.get("playlist", []):
            if entry["previous"] is None:
                db.execute("DELETE FROM playlists WHERE id = ?", [entry["id"]])
                continue
            db.execute("UPDATE playlists SET last_modified = ?, description = ? WHERE id = ?",
                       [entry["previous"]["last_modified"], entry["previous"]["description"], entry["id"]])
            db.execute("DELETE FROM playlist_items WHERE playlist_id = ?", [entry["id"]])
            db.conn.executemany(
                "INSERT INTO playlist_items(playlist_id, position, kind, track_name, artist_name, album_name, "
                "track_uri, track_id, added_date) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                ([entry["id"], position, *item] for position, item in enumerate(entry["previous"]["items"])))
        library = entries.get("library_item", [])
        db.conn.executemany("DELETE FROM library_items WHERE profile = ? AND kind = ? AND item_key = ?",
                            ([profile, e["kind"], e["item_key"]] for e in library))
        db.execute("UPDATE imports SET undone_at = ? WHERE id = ?", [utc_now(), import_id])
        bump_data_version(db)
    return {"profile": profile, "plays_removed": removed, "plays_restored": len(back) + len(replaced),
            "playlists_restored": len(entries.get("playlist", [])), "library_items_removed": len(library)}
