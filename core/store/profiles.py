"""Profiles: the people who live in one store."""
from __future__ import annotations

from sqlite_utils import Database

from core.store.connection import bump_data_version, utc_now, write_transaction
from core.store.schema import MUSIC_TRACK_WHERE

DEFAULT_PROFILE = "me"


def ensure_profile(db: Database, name: str, is_demo: bool = False) -> None:
    db.execute(
        "INSERT OR IGNORE INTO profiles(name, created_at, is_demo) VALUES (?, ?, ?)",
        [name, utc_now(), int(is_demo)],
    )


def list_profiles(db: Database, with_plays: bool = False) -> list[dict]:
    """Every profile: name, created_at, is_demo, share_listening, and with ``with_plays`` how
    many plays it holds (a count over the profile's plays: 60 ms at 1M, so only where shown)."""
    plays = ", (SELECT count(*) FROM plays WHERE plays.profile = p.name) AS plays" if with_plays else ""
    return list(db.query(
        f"SELECT p.name, p.created_at, p.is_demo, p.share_listening{plays} FROM profiles p ORDER BY p.name"))


def profile_exists(db: Database, name: str) -> bool:
    return db.execute("SELECT 1 FROM profiles WHERE name = ?", [name]).fetchone() is not None


def profile_tables(db: Database) -> list[str]:
    """Every table that holds rows of a profile (it has a ``profile`` column)."""
    return [r[0] for r in db.execute(
        "SELECT m.name FROM sqlite_master m JOIN pragma_table_info(m.name) c ON c.name = 'profile' "
        "WHERE m.type = 'table' ORDER BY m.name")]


def rename_profile(db: Database, old: str, new: str) -> None:
    """Give a profile another name, everywhere its rows are (the caller checked the new name)."""
    with write_transaction(db):
        db.execute("INSERT INTO profiles(name, created_at, is_demo, share_listening) "
                   "SELECT ?, created_at, is_demo, share_listening FROM profiles WHERE name = ?", [new, old])
        for table in profile_tables(db):
            db.execute(f"UPDATE [{table}] SET profile = ? WHERE profile = ?", [new, old])
        db.execute("DELETE FROM profiles WHERE name = ?", [old])
        bump_data_version(db)


def delete_profile(db: Database, name: str) -> tuple[dict[str, int], list[str]]:
    """Delete a profile and every row of it; return (rows deleted per table, its model files)."""
    with write_transaction(db):
        paths = [r[0] for r in db.execute("SELECT path FROM models WHERE profile = ?", [name])]
        counts = {table: db.execute(f"DELETE FROM [{table}] WHERE profile = ?", [name]).rowcount
                  for table in profile_tables(db)}
        db.execute("DELETE FROM profiles WHERE name = ?", [name])
        bump_data_version(db)
    return {table: n for table, n in counts.items() if n}, paths


def profile_rows(db: Database, name: str) -> dict[str, int]:
    """How many rows of each table belong to a profile (what deleting it removes)."""
    counts = {table: db.execute(f"SELECT count(*) FROM [{table}] WHERE profile = ?", [name]).fetchone()[0]
              for table in profile_tables(db)}
    return {table: n for table, n in counts.items() if n}


def set_sharing(db: Database, name: str, share: bool) -> None:
    """Whether this profile's plays may train other sharing profiles' models (and theirs its own)."""
    with write_transaction(db):
        db.execute("UPDATE profiles SET share_listening = ? WHERE name = ?", [int(share), name])


def sharing_profiles(db: Database) -> set[str]:
    """The real (not demo) profiles that chose to share their listening."""
    return {r[0] for r in db.execute("SELECT name FROM profiles WHERE share_listening = 1 AND is_demo = 0")}


def is_demo_profile(db: Database, profile: str) -> bool:
    row = db.execute("SELECT is_demo FROM profiles WHERE name = ?", [profile]).fetchone()
    return bool(row and row[0])


def profiles_with_music(db: Database) -> list[str]:
    return [r[0] for r in db.execute(f"SELECT DISTINCT profile FROM plays WHERE {MUSIC_TRACK_WHERE} ORDER BY 1")]
