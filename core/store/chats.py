"""Chat conversations, one row each: the profile's playlists made in the chat.

The conversation itself (its versions, their settings and the messages) is one JSON
document that ``core.chat.conversation`` writes and reads; the row keeps the name and
track count of its current playlist for the list of playlists.
"""
from __future__ import annotations

from sqlite_utils import Database

from core.errors import ChatNotFoundError
from core.store.connection import utc_now, write_transaction


def save_chat(db: Database, profile: str, chat_id: int | None, name: str, tracks: int, state_json: str) -> int:
    """Write a conversation (a new row when ``chat_id`` is None); return its id."""
    now = utc_now()
    with write_transaction(db):
        if chat_id is None:
            cursor = db.execute("INSERT INTO chats(profile, name, tracks, created_at, updated_at, state_json) "
                                "VALUES (?, ?, ?, ?, ?, ?)", [profile, name, tracks, now, now, state_json])
            return int(cursor.lastrowid)
        changed = db.execute("UPDATE chats SET name = ?, tracks = ?, updated_at = ?, state_json = ? "
                             "WHERE id = ? AND profile = ?", [name, tracks, now, state_json, chat_id, profile]).rowcount
    if not changed:
        raise ChatNotFoundError(f"There is no playlist {chat_id} in profile “{profile}” any more (it was deleted); "
                                "start a new one.")
    return chat_id


def list_chats(db: Database, profile: str) -> list[dict]:
    """A profile's chats, the latest changed first: id, name, tracks, created_at, updated_at."""
    return list(db.query("SELECT id, name, tracks, created_at, updated_at FROM chats WHERE profile = ? "
                         "ORDER BY updated_at DESC, id DESC", [profile]))


def load_chat(db: Database, profile: str, chat_id: int) -> str:
    """The conversation's JSON document."""
    row = db.execute("SELECT state_json FROM chats WHERE id = ? AND profile = ?", [chat_id, profile]).fetchone()
    if row is None:
        raise ChatNotFoundError(f"There is no playlist {chat_id} in profile “{profile}”.")
    return row[0]


def rename_chat(db: Database, profile: str, chat_id: int, name: str) -> None:
    with write_transaction(db):
        changed = db.execute("UPDATE chats SET name = ?, updated_at = ? WHERE id = ? AND profile = ?",
                             [name, utc_now(), chat_id, profile]).rowcount
    if not changed:
        raise ChatNotFoundError(f"There is no playlist {chat_id} in profile “{profile}”.")


def delete_chat(db: Database, profile: str, chat_id: int) -> None:
    with write_transaction(db):
        db.execute("DELETE FROM chats WHERE id = ? AND profile = ?", [chat_id, profile])
