"""Profiles: the people who live in one store."""
from __future__ import annotations

from sqlite_utils import Database

from core.store.connection import utc_now
from core.store.schema import MUSIC_TRACK_WHERE

DEFAULT_PROFILE = "me"


def ensure_profile(db: Database, name: str, is_demo: bool = False) -> None:
    db.execute(
        "INSERT OR IGNORE INTO profiles(name, created_at, is_demo) VALUES (?, ?, ?)",
        [name, utc_now(), int(is_demo)],
    )


def list_profiles(db: Database) -> list[dict]:
    return list(db.query("SELECT name, created_at, is_demo FROM profiles ORDER BY name"))


def is_demo_profile(db: Database, profile: str) -> bool:
    row = db.execute("SELECT is_demo FROM profiles WHERE name = ?", [profile]).fetchone()
    return bool(row and row[0])


def profiles_with_music(db: Database) -> list[str]:
    return [r[0] for r in db.execute(f"SELECT DISTINCT profile FROM plays WHERE {MUSIC_TRACK_WHERE} ORDER BY 1")]
