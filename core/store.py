"""All SQL: the SQLite store, its migrations, and every read and write of it.

The store is one SQLite file opened through sqlite-utils. Schema changes are numbered
migrations recorded in ``PRAGMA user_version``; opening a store brings it up to date.
"""
from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import orjson
from sqlite_utils import Database

# Python's sqlite3 sends every None through its adapter lookup, which without a registered
# adapter costs two failed attribute lookups per value: binding a 30-column play row with a
# dozen NULLs took twice as long (measured: 8.0 vs 3.3 us/row). A C-level callable that
# returns None keeps NULLs NULL and takes the fast path.
sqlite3.register_adapter(type(None), {}.get)
# bool is not an exact int, so it takes the same slow path; store it as 0/1 directly.
sqlite3.register_adapter(bool, int)

DEFAULT_PROFILE = "me"
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB_PATH = REPO_ROOT / "data" / "encore.db"

# Order matters: play tuples built by core.exports hold exactly these columns, in this order.
PLAY_COLUMNS: tuple[str, ...] = (
    "played_at",  # UTC end time, ISO 'YYYY-MM-DDTHH:MM:SSZ' (account exports: minute precision)
    "ms_played",
    "content_type",  # music | podcast | audiobook | video
    "track_name",
    "artist_name",
    "album_name",
    "track_uri",
    "episode_name",
    "show_name",
    "episode_uri",
    "audiobook_title",
    "audiobook_uri",
    "chapter_title",
    "chapter_uri",
    "platform",
    "platform_family",  # android | ios | desktop | web | cast | other
    "conn_country",
    "reason_start",
    "reason_end",
    "shuffle",
    "skipped",  # NULL when the export does not say: never read NULL as "not skipped"
    "offline",
    "offline_at",
    "incognito",
)
# Derived by SQLite from the columns above (generated columns), so they can never disagree
# with them and cost nothing to bind at import.
DERIVED_COLUMNS: tuple[str, ...] = (
    "started_at",  # played_at - ms_played, to the second
    "track_id",  # the 22 characters after 'spotify:track:'
    "item_name",  # the title whatever the content type ('' if none): part of the natural key
)
# Everything a play has, for reading.
PLAY_FIELDS: tuple[str, ...] = PLAY_COLUMNS + DERIVED_COLUMNS + ("source",)
_TITLE_INDEXES = tuple(PLAY_COLUMNS.index(c) for c in ("track_name", "episode_name", "chapter_title", "audiobook_title"))


def play_title(row: tuple) -> str:
    """The title part of a play tuple's natural key (what ``item_name`` will be)."""
    for index in _TITLE_INDEXES:
        if row[index]:
            return row[index]
    return ""


PLAY_SOURCES = ("extended", "account", "spotify")


def _migration_1(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE profiles (
            name TEXT PRIMARY KEY,
            created_at TEXT NOT NULL,
            is_demo INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
        CREATE TABLE imports (
            id INTEGER PRIMARY KEY,
            profile TEXT NOT NULL REFERENCES profiles(name),
            started_at TEXT NOT NULL,
            finished_at TEXT,
            files INTEGER NOT NULL DEFAULT 0,
            plays_added INTEGER NOT NULL DEFAULT 0,
            plays_merged INTEGER NOT NULL DEFAULT 0,
            report_json TEXT
        );
        -- No foreign keys on plays: checking two parents per row cost 1.0 s of 11.6 s when
        -- importing 1M plays (bench/import_bench.py); core.imports creates the profile and
        -- the import row before any play.
        CREATE TABLE plays (
            id INTEGER PRIMARY KEY,
            profile TEXT NOT NULL,
            played_at TEXT NOT NULL,
            ms_played INTEGER NOT NULL,
            content_type TEXT NOT NULL,
            track_name TEXT, artist_name TEXT, album_name TEXT, track_uri TEXT,
            episode_name TEXT, show_name TEXT, episode_uri TEXT,
            audiobook_title TEXT, audiobook_uri TEXT, chapter_title TEXT, chapter_uri TEXT,
            platform TEXT, platform_family TEXT, conn_country TEXT,
            reason_start TEXT, reason_end TEXT,
            shuffle INTEGER, skipped INTEGER, offline INTEGER, offline_at TEXT, incognito INTEGER,
            source TEXT NOT NULL,
            import_id INTEGER,
            started_at TEXT GENERATED ALWAYS AS (
                strftime('%Y-%m-%dT%H:%M:%SZ', (unixepoch(played_at) * 1000 - ms_played) / 1000, 'unixepoch')
            ) VIRTUAL,
            track_id TEXT GENERATED ALWAYS AS (
                CASE WHEN substr(track_uri, 1, 14) = 'spotify:track:' AND length(track_uri) > 14
                     THEN substr(track_uri, 15) END
            ) VIRTUAL,
            item_name TEXT GENERATED ALWAYS AS (
                coalesce(track_name, episode_name, chapter_title, audiobook_title, '')
            ) VIRTUAL
        );
        -- The natural key of a play: one listener cannot finish the same title twice in
        -- the same second after exactly the same number of milliseconds. It survives the
        -- schema generations (privacy fields and uris come and go), so re-imports and
        -- overlapping exports collapse to one row.
        CREATE UNIQUE INDEX plays_natural_key ON plays(profile, played_at, ms_played, item_name);
        CREATE TABLE playlists (
            id INTEGER PRIMARY KEY,
            profile TEXT NOT NULL REFERENCES profiles(name),
            source TEXT NOT NULL,
            name TEXT NOT NULL,
            ordinal INTEGER NOT NULL DEFAULT 0,
            last_modified TEXT,
            description TEXT,
            spotify_id TEXT,
            UNIQUE(profile, source, name, ordinal)
        );
        CREATE TABLE playlist_items (
            playlist_id INTEGER NOT NULL REFERENCES playlists(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            kind TEXT NOT NULL,
            track_name TEXT, artist_name TEXT, album_name TEXT, track_uri TEXT, track_id TEXT,
            added_date TEXT,
            PRIMARY KEY (playlist_id, position)
        );
        CREATE TABLE library_items (
            profile TEXT NOT NULL REFERENCES profiles(name),
            kind TEXT NOT NULL,
            item_key TEXT NOT NULL,
            name TEXT, artist_name TEXT, album_name TEXT, uri TEXT,
            PRIMARY KEY (profile, kind, item_key)
        );
        CREATE TABLE catalog_tracks (
            track_id TEXT PRIMARY KEY,
            track_name TEXT, artist_name TEXT, album_name TEXT,
            genre TEXT, release_year INTEGER, duration_ms INTEGER,
            danceability REAL, energy REAL, key INTEGER, loudness REAL, mode INTEGER,
            speechiness REAL, acousticness REAL, instrumentalness REAL, liveness REAL,
            valence REAL, tempo REAL,
            source TEXT NOT NULL
        );
        """
    )


# The title part of a name key ('artist\tbase title[\ttag]' -> 'base title[\ttag]'). Every
# name match, on the whole artist field or on a catalog row's leading artists ("A" of
# "A, B"), needs equal title parts, so this index finds all candidates of a history.
_TITLE_KEY = "substr(name_key, instr(name_key, char(9)) + 1)"
_TITLE_KEY_INDEX = f"CREATE INDEX catalog_tracks_title_key ON catalog_tracks({_TITLE_KEY})"


def _migration_2(db: Database) -> None:
    # Statement by statement, not executescript: executescript commits first, and a
    # migration must stay one transaction (a failure leaves the store at version 1).
    for statement in (
        # catalog_tracks keeps its version-1 columns (genre = the first genre seen).
        "ALTER TABLE catalog_tracks ADD COLUMN release_date TEXT",  # 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD'
        "ALTER TABLE catalog_tracks ADD COLUMN popularity INTEGER",  # 0..100
        "ALTER TABLE catalog_tracks ADD COLUMN explicit INTEGER",
        # core.matching's key of (artist field, title); NULL when the names give none
        "ALTER TABLE catalog_tracks ADD COLUMN name_key TEXT",
        "CREATE INDEX catalog_tracks_name_key ON catalog_tracks(name_key)",
        _TITLE_KEY_INDEX,
        """CREATE TABLE catalog_genres (
            track_id TEXT NOT NULL,
            genre TEXT NOT NULL,
            PRIMARY KEY (track_id, genre)
        ) WITHOUT ROWID""",
        "INSERT OR IGNORE INTO catalog_genres(track_id, genre) "
        "SELECT track_id, genre FROM catalog_tracks WHERE genre IS NOT NULL AND genre != ''",
        """CREATE TABLE catalogs (
            name TEXT PRIMARY KEY,
            imported_at TEXT NOT NULL,
            rows INTEGER NOT NULL,
            tracks INTEGER NOT NULL,
            file TEXT,
            format TEXT,
            report_json TEXT
        )""",
        # track_key: the track's Spotify id, else "artist — title" (as core.explore keys it).
        """CREATE TABLE track_matches (
            profile TEXT NOT NULL,
            track_key TEXT NOT NULL,
            catalog_track_id TEXT NOT NULL,
            method TEXT NOT NULL CHECK (method IN ('id', 'name')),
            source TEXT,
            undone INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (profile, track_key)
        )""",
        "CREATE INDEX track_matches_catalog ON track_matches(catalog_track_id)",
    ):
        db.execute(statement)


def _migration_3(db: Database) -> None:
    # Spotify connection (issue 7): defined in the "Spotify" section at the end of this module.
    _spotify_migration(db)


def _migration_4(db: Database) -> None:
    # Taste model (issue 5): defined in the "taste model" section at the end of this module.
    _taste_migration(db)


def _migration_5(db: Database) -> None:
    # Chat (issue 6): likes and dislikes given in the chat, read by the taste model.
    db.execute("""CREATE TABLE track_feedback (
        profile TEXT NOT NULL,
        track_key TEXT NOT NULL,
        value INTEGER NOT NULL CHECK (value IN (-1, 1)),
        created_at TEXT NOT NULL,
        PRIMARY KEY (profile, track_key)
    )""")


MIGRATIONS: tuple[Callable[[Database], None], ...] = (
    _migration_1, _migration_2, _migration_3, _migration_4, _migration_5)


def resolve_db_path(path: str | os.PathLike | None = None) -> Path:
    """The store's file: an explicit path, else ``ENCORE_DB``, else ``data/encore.db``."""
    if path:
        return Path(path)
    env = os.environ.get("ENCORE_DB")
    return Path(env) if env else DEFAULT_DB_PATH


def open_store(path: str | os.PathLike | None = None) -> Database:
    """Open (creating if needed) the store and bring its schema up to date."""
    db_path = resolve_db_path(path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    # check_same_thread=False: Streamlit runs a session's script on different threads;
    # each script run opens its own connection, so no connection is used concurrently.
    conn = sqlite3.connect(str(db_path), check_same_thread=False, timeout=30)
    db = Database(conn)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    _attach_staging(conn)
    migrate(db)
    return db


def open_memory_store() -> Database:
    """A fresh in-memory store with the current schema (tests)."""
    db = Database(sqlite3.connect(":memory:", check_same_thread=False))
    db.conn.execute("PRAGMA foreign_keys=ON")
    _attach_staging(db.conn)
    migrate(db)
    return db


def _attach_staging(conn: sqlite3.Connection) -> None:
    # A private in-memory database per connection, for bulk play inserts (see insert_plays).
    # Attached when the connection opens: ATTACH is not allowed inside a transaction.
    conn.execute("ATTACH DATABASE ':memory:' AS staging")
    conn.execute(f"CREATE TABLE staging.plays ({', '.join(PLAY_COLUMNS)})")


def schema_version(db: Database) -> int:
    return db.execute("PRAGMA user_version").fetchone()[0]


def migrate(db: Database) -> int:
    """Apply pending migrations, each in its own transaction; return the new version."""
    version = schema_version(db)
    for number, step in enumerate(MIGRATIONS, start=1):
        if number <= version:
            continue
        with db.atomic():
            step(db)
            db.execute(f"PRAGMA user_version = {number}")
    return schema_version(db)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- profiles and data version -------------------------------------------------------


def ensure_profile(db: Database, name: str, is_demo: bool = False) -> None:
    db.execute(
        "INSERT OR IGNORE INTO profiles(name, created_at, is_demo) VALUES (?, ?, ?)",
        [name, _now(), int(is_demo)],
    )


def list_profiles(db: Database) -> list[dict]:
    return list(db.query("SELECT name, created_at, is_demo FROM profiles ORDER BY name"))


def is_demo_profile(db: Database, profile: str) -> bool:
    row = db.execute("SELECT is_demo FROM profiles WHERE name = ?", [profile]).fetchone()
    return bool(row and row[0])


def _counter(db: Database, key: str) -> int:
    row = db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return int(row[0]) if row else 0


def _bump_counter(db: Database, key: str) -> int:
    new = _counter(db, key) + 1
    db.execute(
        "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [key, str(new)],
    )
    return new


def data_version(db: Database) -> int:
    """A counter bumped by every write that changes plays: the key for page caches."""
    return _counter(db, "data_version")


def bump_data_version(db: Database) -> int:
    return _bump_counter(db, "data_version")


# --- imports log ---------------------------------------------------------------------


def start_import(db: Database, profile: str) -> int:
    with db.atomic():
        ensure_profile(db, profile)
        cur = db.execute("INSERT INTO imports(profile, started_at) VALUES (?, ?)", [profile, _now()])
    return int(cur.lastrowid)


def finish_import(db: Database, import_id: int, files: int, added: int, merged: int, report_json: str) -> None:
    with db.atomic():
        db.execute(
            "UPDATE imports SET finished_at = ?, files = ?, plays_added = ?, plays_merged = ?, "
            "report_json = ? WHERE id = ?",
            [_now(), files, added, merged, report_json, import_id],
        )
        if added or merged:
            bump_data_version(db)


# --- plays ---------------------------------------------------------------------------

_STAGE_SQL = f"INSERT INTO staging.plays VALUES ({', '.join('?' for _ in PLAY_COLUMNS)})"


def _play_constants(profile: str, import_id: int | None, source: str) -> str:
    # The per-file constants go in as literals: binding them again for every row of a
    # million-row import costs more than building one statement per file.
    if source not in PLAY_SOURCES:
        raise ValueError(f"unknown play source {source!r}")
    return f"{_quote(profile)}, {int(import_id) if import_id is not None else 'NULL'}, '{source}'"


def _move_staged_sql(profile: str, import_id: int | None, source: str) -> str:
    columns = ", ".join(PLAY_COLUMNS)
    return (
        f"INSERT OR IGNORE INTO main.plays(profile, import_id, source, {columns}) "
        f"SELECT {_play_constants(profile, import_id, source)}, {columns} FROM staging.plays ORDER BY rowid"
    )


def _insert_play_sql(profile: str, import_id: int | None, source: str) -> str:
    return (
        f"INSERT OR IGNORE INTO plays(profile, import_id, source, {', '.join(PLAY_COLUMNS)}) "
        f"VALUES ({_play_constants(profile, import_id, source)}, {', '.join('?' for _ in PLAY_COLUMNS)})"
    )


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def insert_plays(
    db: Database,
    profile: str,
    import_id: int | None,
    source: str,
    rows: Iterable[Sequence],
    staged: Callable[[], None] | None = None,
) -> int:
    """Insert play tuples (in PLAY_COLUMNS order), skipping natural-key duplicates.

    Returns the number of rows actually added. The caller owns the transaction.

    The rows are bound into the connection's in-memory staging table, then moved into
    ``plays`` by one ``INSERT … SELECT``. SQLite does that move (the index and page work,
    about half the cost) without holding Python's GIL, so another thread can parse the
    next file meanwhile: ``staged()`` is called once the rows are bound, just before the
    move, to say so (core.imports uses it).
    """
    conn = db.conn
    if not _has_staging(conn):  # a connection open_store did not make: bind straight in
        before = conn.total_changes
        conn.executemany(_insert_play_sql(profile, import_id, source), rows)
        return conn.total_changes - before
    conn.execute("DELETE FROM staging.plays")  # left over only if an earlier call failed outside a transaction
    conn.executemany(_STAGE_SQL, rows)
    if staged is not None:
        staged()
    before = conn.total_changes
    conn.execute(_move_staged_sql(profile, import_id, source))
    added = conn.total_changes - before
    conn.execute("DELETE FROM staging.plays")
    return added


def _has_staging(conn: sqlite3.Connection) -> bool:
    return any(row[1] == "staging" for row in conn.execute("PRAGMA database_list"))


def account_play_keys(db: Database, profile: str, first: str, last: str) -> dict[tuple[str, str, int], int]:
    """Plays from account exports in [first, last]: (UTC minute, title, ms) -> play id."""
    rows = db.execute(
        "SELECT substr(played_at, 1, 16), item_name, ms_played, id FROM plays "
        "WHERE profile = ? AND source = 'account' AND played_at BETWEEN ? AND ?",
        [profile, first, last],
    )
    return {(minute, name, ms): pid for minute, name, ms, pid in rows}


def detailed_play_keys(db: Database, profile: str, first: str, last: str) -> set[tuple[str, str, int]]:
    """Plays from richer sources in [first, last] as (UTC minute, title, ms)."""
    rows = db.execute(
        "SELECT substr(played_at, 1, 16), item_name, ms_played FROM plays "
        "WHERE profile = ? AND source != 'account' AND played_at BETWEEN ? AND ?",
        [profile, first, last],
    )
    return {(minute, name, ms) for minute, name, ms in rows}


def play_sources(db: Database, profile: str) -> set[str]:
    """Which sources (extended, account, spotify) a profile's plays came from."""
    return {row[0] for row in db.execute("SELECT DISTINCT source FROM plays WHERE profile = ?", [profile])}


_UPGRADE_SQL = (
    f"UPDATE OR IGNORE plays SET {', '.join(f'{c} = ?' for c in PLAY_COLUMNS)}, import_id = ?, source = ? "
    "WHERE id = ?"
)


def upgrade_plays(
    db: Database, import_id: int | None, source: str, upgrades: Iterable[tuple[int, Sequence]]
) -> int:
    """Replace account-export plays by the matching richer rows; return rows changed."""
    before = db.conn.total_changes
    db.conn.executemany(_UPGRADE_SQL, ((*row, import_id, source, play_id) for play_id, row in upgrades))
    return db.conn.total_changes - before


def play_summary(db: Database, profile: str) -> dict:
    """Date range, plays, hours, tracks and artists of a profile's music plays."""
    row = db.execute(
        "SELECT min(played_at), max(played_at), count(*), coalesce(sum(ms_played), 0), "
        "count(DISTINCT coalesce(track_id, artist_name || char(31) || track_name)), "
        "count(DISTINCT artist_name) "
        "FROM plays WHERE profile = ? AND content_type = 'music'",
        [profile],
    ).fetchone()
    all_row = db.execute(
        "SELECT count(*), coalesce(sum(ms_played), 0) FROM plays WHERE profile = ?", [profile]
    ).fetchone()
    return {
        "first_play": row[0],
        "last_play": row[1],
        "music_plays": row[2],
        "music_hours": round(row[3] / 3_600_000, 1),
        "tracks": row[4],
        "artists": row[5],
        "all_plays": all_row[0],
        "all_hours": round(all_row[1] / 3_600_000, 1),
    }


def count_plays(db: Database, profile: str | None = None) -> int:
    if profile is None:
        return db.execute("SELECT count(*) FROM plays").fetchone()[0]
    return db.execute("SELECT count(*) FROM plays WHERE profile = ?", [profile]).fetchone()[0]


# --- playlists and library -----------------------------------------------------------


@dataclass(frozen=True)
class PlaylistRecord:
    name: str
    ordinal: int
    last_modified: str | None
    description: str | None
    items: tuple[tuple, ...]  # (kind, track_name, artist_name, album_name, track_uri, track_id, added_date)


def upsert_playlist(db: Database, profile: str, source: str, playlist: PlaylistRecord) -> bool:
    """Store a playlist, replacing its items; return False when it was already identical."""
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
            return False
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
    db.conn.executemany(
        "INSERT INTO playlist_items(playlist_id, position, kind, track_name, artist_name, album_name, "
        "track_uri, track_id, added_date) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(playlist_id, pos, *item) for pos, item in enumerate(playlist.items)],
    )
    return True


def insert_library_items(db: Database, profile: str, items: Iterable[Sequence]) -> int:
    """Insert (kind, item_key, name, artist_name, album_name, uri) rows; return rows added."""
    before = db.conn.total_changes
    db.conn.executemany(
        "INSERT OR IGNORE INTO library_items(profile, kind, item_key, name, artist_name, album_name, uri) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        ((profile, *item) for item in items),
    )
    return db.conn.total_changes - before


def count_rows(db: Database, table: str, profile: str | None = None) -> int:
    """Row count of one of the store's tables (optionally one profile's)."""
    if table not in db.table_names():
        raise ValueError(f"no table {table!r}")
    if profile is None:
        return db.execute(f"SELECT count(*) FROM [{table}]").fetchone()[0]
    return db.execute(f"SELECT count(*) FROM [{table}] WHERE profile = ?", [profile]).fetchone()[0]


def insert_catalog_tracks(db: Database, rows: Iterable[dict], source: str) -> int:
    """Insert or replace catalog tracks (dicts with catalog_tracks columns)."""
    before = db.conn.total_changes
    db["catalog_tracks"].insert_all(
        ({**row, "source": source} for row in rows), pk="track_id", replace=True, batch_size=500
    )
    return db.conn.total_changes - before


# --- catalog: tracks, genres, name keys, matches ----------------------------------------

CATALOG_FEATURES: tuple[str, ...] = (
    "danceability", "energy", "key", "loudness", "mode", "speechiness", "acousticness",
    "instrumentalness", "liveness", "valence", "tempo",
)
# Order matters: catalog row tuples built by core.catalog hold exactly these columns.
CATALOG_COLUMNS: tuple[str, ...] = (
    "track_id", "track_name", "artist_name", "album_name", "genre", "release_date", "release_year",
    "popularity", "explicit", "duration_ms", *CATALOG_FEATURES, "name_key",
)
# A catalog import of this many rows or more, and at least half as many as are stored,
# writes through the bulk path below (rebuilding the indexes costs time per stored row).
BULK_CATALOG_ROWS = 50_000


def _upsert_catalog_sql(source: str) -> str:
    # A track id already stored from another catalog keeps its values and only has its
    # empty ones filled; from the same catalog (a new version of it) the new values win,
    # but a value the new version leaves empty is kept. Nothing is ever lost, and
    # importing the same file again changes nothing.
    updates = ", ".join(
        f"{c} = CASE WHEN catalog_tracks.source = excluded.source THEN coalesce(excluded.{c}, catalog_tracks.{c}) "
        f"ELSE coalesce(catalog_tracks.{c}, excluded.{c}) END"
        for c in CATALOG_COLUMNS[1:]
    )
    return (
        f"INSERT INTO catalog_tracks(source, {', '.join(CATALOG_COLUMNS)}) "
        f"VALUES ({_quote(source)}, {', '.join('?' for _ in CATALOG_COLUMNS)}) "
        f"ON CONFLICT(track_id) DO UPDATE SET {updates}"
    )


def write_catalog(
    db: Database,
    source: str,
    rows: Iterable[Sequence],
    genres: Iterable[tuple[str, str]],
    bulk: bool = False,
) -> None:
    """Upsert catalog rows (CATALOG_COLUMNS order, sorted by track_id) and their genres.

    The caller owns the transaction. ``bulk`` (a file large against what is stored): the
    name-key indexes are dropped and rebuilt around the insert, and SQLite gets a 256 MB
    page cache for it. Measured on 1.2M rows of 19 columns: unsorted 8.4 s; sorted by id
    5.1 s; sorted with the large cache 3.5 s; the same with a live name-key index 8.4 s,
    against 3.5 s + 1.1 s to build that index afterwards. bench/catalog_bench.py times
    the whole import.
    """
    previous_cache = db.execute("PRAGMA cache_size").fetchone()[0]
    if bulk:
        db.execute("PRAGMA cache_size = -262144")
        db.execute("DROP INDEX IF EXISTS catalog_tracks_name_key")
        db.execute("DROP INDEX IF EXISTS catalog_tracks_title_key")
    try:
        db.conn.executemany(_upsert_catalog_sql(source), rows)
        db.conn.executemany("INSERT OR IGNORE INTO catalog_genres(track_id, genre) VALUES (?, ?)", genres)
        if bulk:
            db.execute("CREATE INDEX catalog_tracks_name_key ON catalog_tracks(name_key)")
            db.execute(_TITLE_KEY_INDEX)
    finally:
        db.execute(f"PRAGMA cache_size = {int(previous_cache)}")


def insert_catalog_genres(db: Database, genres: Iterable[tuple[str, str]]) -> int:
    """Add (track_id, genre) pairs; return how many were new."""
    before = db.conn.total_changes
    db.conn.executemany("INSERT OR IGNORE INTO catalog_genres(track_id, genre) VALUES (?, ?)", genres)
    return db.conn.total_changes - before


def record_catalog(db: Database, name: str, rows: int, tracks: int, file: str, format: str, report_json: str) -> None:
    """Remember an imported catalog file (a re-import under the same name replaces it)."""
    db.execute(
        "INSERT INTO catalogs(name, imported_at, rows, tracks, file, format, report_json) VALUES (?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(name) DO UPDATE SET imported_at = excluded.imported_at, rows = excluded.rows, "
        "tracks = excluded.tracks, file = excluded.file, format = excluded.format, report_json = excluded.report_json",
        [name, _now(), rows, tracks, file, format, report_json],
    )


def list_catalogs(db: Database) -> list[dict]:
    return list(db.query("SELECT name, imported_at, rows, tracks, file, format FROM catalogs ORDER BY name"))


def catalog_version(db: Database) -> int:
    """A counter bumped by every change to the catalog or the matches: the key for their caches.

    Separate from ``data_version``, so importing a catalog does not invalidate the plays.
    """
    return _counter(db, "catalog_version")


def bump_catalog_version(db: Database) -> int:
    return _bump_counter(db, "catalog_version")


def catalog_rows_without_keys(db: Database) -> dict[str, list]:
    """Catalog tracks with names but no name key yet (e.g. stored before keys existed)."""
    rows = db.execute(
        "SELECT track_id, artist_name, track_name FROM catalog_tracks "
        "WHERE name_key IS NULL AND artist_name IS NOT NULL AND track_name IS NOT NULL"
    ).fetchall()
    return {"track_id": [r[0] for r in rows], "artist_name": [r[1] for r in rows], "track_name": [r[2] for r in rows]}


def set_catalog_name_keys(db: Database, keys: Iterable[tuple[str, str]]) -> None:
    """Store (track_id, name_key) pairs."""
    db.conn.executemany("UPDATE catalog_tracks SET name_key = ? WHERE track_id = ?", ((k, t) for t, k in keys))


# A track of the history is known by its Spotify id, else by "artist — title", exactly as
# core.explore.track_keys names it. Rows with neither id nor title name no track.
_TRACK_KEY_SQL = "coalesce(track_id, coalesce(artist_name, '?') || ' — ' || coalesce(track_name, '?'))"
_MUSIC_TRACK_WHERE = "content_type = 'music' AND (track_id IS NOT NULL OR track_name IS NOT NULL)"


def profiles_with_music(db: Database) -> list[str]:
    return [r[0] for r in db.execute(f"SELECT DISTINCT profile FROM plays WHERE {_MUSIC_TRACK_WHERE} ORDER BY 1")]


def history_tracks(db: Database, profile: str) -> dict[str, list]:
    """A profile's distinct music tracks: track_key, track_id, artist_name, track_name, album_name.

    One row per distinct combination, so a track_key may come with several spellings.
    """
    names = ("track_key", "track_id", "artist_name", "track_name", "album_name")
    rows = db.execute(
        f"SELECT DISTINCT {_TRACK_KEY_SQL}, track_id, artist_name, track_name, album_name "
        f"FROM plays WHERE profile = ? AND {_MUSIC_TRACK_WHERE}",
        [profile],
    ).fetchall()
    return {name: [r[i] for r in rows] for i, name in enumerate(names)}


def catalog_candidates(db: Database, track_ids: Sequence[str], title_keys: Sequence[str]) -> dict[str, list]:
    """The catalog tracks a history could match: those with one of its track ids, or whose
    name key has one of its title parts (the name key without the artist).

    Columns track_id, artist_name, track_name, album_name, name_key, source, ordered by
    track_id. Matching against these gives what matching against the whole catalog gives,
    without reading a million-track catalog for every profile.
    """
    columns = ("track_id", "artist_name", "track_name", "album_name", "name_key", "source")
    found: dict[str, tuple] = {}
    # Literal IN lists: SQLite 3.40 uses the expression index for them, not for a join
    # against a temporary table of wanted values (it scans the catalog instead).
    for expression, wanted in (("track_id", track_ids), (_TITLE_KEY, title_keys)):
        values = list(dict.fromkeys(wanted))
        for start in range(0, len(values), _IN_CHUNK):
            chunk = values[start:start + _IN_CHUNK]
            marks = ", ".join("?" * len(chunk))
            rows = db.execute(f"SELECT {', '.join(columns)} FROM catalog_tracks WHERE {expression} IN ({marks})", chunk)
            found.update((row[0], row) for row in rows)
    ordered = [found[k] for k in sorted(found)]
    return {name: [r[i] for r in ordered] for i, name in enumerate(columns)}


_IN_CHUNK = 5_000


def replace_track_matches(db: Database, profile: str, matches: Iterable[tuple[str, str, str, str | None]]) -> None:
    """Replace a profile's matches by (track_key, catalog_track_id, method, source) rows.

    Matches a person undid stay as they are, except that an id match (exact by
    definition) replaces an undone name match. The caller owns the transaction.
    """
    db.execute("DELETE FROM track_matches WHERE profile = ? AND undone = 0", [profile])
    db.conn.executemany(
        "INSERT INTO track_matches(profile, track_key, catalog_track_id, method, source) "
        f"VALUES ({_quote(profile)}, ?, ?, ?, ?) "
        "ON CONFLICT(profile, track_key) DO UPDATE SET catalog_track_id = excluded.catalog_track_id, "
        "method = excluded.method, source = excluded.source, undone = 0 WHERE excluded.method = 'id'",
        matches,
    )


def undo_track_match(db: Database, profile: str, track_key: str) -> str | None:
    """Mark a match as undone; return its method (None when there is no such match)."""
    row = db.execute(
        "SELECT method FROM track_matches WHERE profile = ? AND track_key = ?", [profile, track_key]
    ).fetchone()
    if row is None:
        return None
    if row[0] == "name":
        with db.atomic():
            db.execute("UPDATE track_matches SET undone = 1 WHERE profile = ? AND track_key = ?", [profile, track_key])
            bump_catalog_version(db)
    return row[0]


def list_track_matches(db: Database, profile: str) -> list[dict]:
    return list(db.query(
        "SELECT track_key, catalog_track_id, method, source, undone FROM track_matches "
        "WHERE profile = ? ORDER BY track_key", [profile]))


def set_match_undone(db: Database, profile: str, track_key: str, undone: bool) -> None:
    """Mark a name match undone, or restore it."""
    with db.atomic():
        db.execute("UPDATE track_matches SET undone = ? WHERE profile = ? AND track_key = ? AND method = 'name'",
                   [int(undone), profile, track_key])
        bump_catalog_version(db)


def name_matches(db: Database, profile: str) -> list[dict]:
    """A profile's name matches (undone ones too) with the catalog track each points at."""
    return list(db.query(
        "SELECT m.track_key, m.catalog_track_id, m.undone, m.source, c.artist_name AS catalog_artist, "
        "c.track_name AS catalog_title, c.album_name AS catalog_album "
        "FROM track_matches m JOIN catalog_tracks c ON c.track_id = m.catalog_track_id "
        "WHERE m.profile = ? AND m.method = 'name' ORDER BY m.track_key", [profile]))


# Columns a person sees and edits when browsing the catalog.
CATALOG_EDIT_COLUMNS: tuple[str, ...] = (
    "track_name", "artist_name", "album_name", "genre", "release_date", "release_year", "popularity", "explicit",
    "duration_ms", *CATALOG_FEATURES,
)


def _catalog_search(text: str) -> tuple[str, list]:
    """The WHERE clause (and its parameters) of a catalog search: id, title, artist or album
    containing ``text``, any case; % and _ are literal."""
    if not text.strip():
        return "", []
    like = "%" + text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return ("WHERE track_id LIKE ? ESCAPE '\\' OR track_name LIKE ? ESCAPE '\\' "
            "OR artist_name LIKE ? ESCAPE '\\' OR album_name LIKE ? ESCAPE '\\'"), [like] * 4


def count_catalog_tracks(db: Database, text: str = "") -> int:
    """How many catalog tracks ``search_catalog_tracks`` pages through."""
    where, params = _catalog_search(text)
    return db.execute(f"SELECT count(*) FROM catalog_tracks {where}", params).fetchone()[0]


def search_catalog_tracks(db: Database, text: str = "", limit: int = 50, offset: int = 0) -> list[dict]:
    """Catalog tracks whose id, title, artist or album contains ``text`` (any case).

    Ordered by artist, title and id (missing names last); ``limit``/``offset`` page through them.
    """
    where, params = _catalog_search(text)
    return list(db.query(
        f"SELECT track_id, {', '.join(CATALOG_EDIT_COLUMNS)}, source FROM catalog_tracks {where} "
        "ORDER BY artist_name IS NULL, artist_name, track_name IS NULL, track_name, track_id LIMIT ? OFFSET ?",
        [*params, limit, offset]))


def catalog_track(db: Database, track_id: str) -> dict | None:
    """One catalog track with all its values, its genres and name key; None when absent."""
    row = db.execute("SELECT * FROM catalog_tracks WHERE track_id = ?", [track_id]).fetchone()
    if row is None:
        return None
    names = [d[0] for d in db.execute("SELECT * FROM catalog_tracks LIMIT 0").description]
    track = dict(zip(names, row))
    track["genres"] = [r[0] for r in db.execute(
        "SELECT genre FROM catalog_genres WHERE track_id = ? ORDER BY genre", [track_id])]
    return track


def update_catalog_track(db: Database, track_id: str, values: dict, genres: Sequence[str] | None = None) -> None:
    """Set some columns of one catalog track (already validated); optionally replace its genres.

    The caller owns the transaction.
    """
    unknown = set(values) - set(CATALOG_EDIT_COLUMNS) - {"name_key"}
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    if values:
        assignments = ", ".join(f"{c} = ?" for c in values)
        db.execute(f"UPDATE catalog_tracks SET {assignments} WHERE track_id = ?", [*values.values(), track_id])
    if genres is not None:
        db.execute("DELETE FROM catalog_genres WHERE track_id = ?", [track_id])
        db.conn.executemany("INSERT OR IGNORE INTO catalog_genres(track_id, genre) VALUES (?, ?)",
                            [(track_id, g) for g in genres])


def delete_catalog_tracks(db: Database, track_ids: Sequence[str]) -> int:
    """Delete catalog tracks, their genres and the matches pointing at them; return how many
    tracks went. The caller owns the transaction."""
    ids = list(dict.fromkeys(track_ids))
    deleted = 0
    for start in range(0, len(ids), _IN_CHUNK):
        chunk = ids[start:start + _IN_CHUNK]
        marks = ", ".join("?" * len(chunk))
        db.execute(f"DELETE FROM track_matches WHERE catalog_track_id IN ({marks})", chunk)
        db.execute(f"DELETE FROM catalog_genres WHERE track_id IN ({marks})", chunk)
        deleted += db.execute(f"DELETE FROM catalog_tracks WHERE track_id IN ({marks})", chunk).rowcount
    return deleted


def delete_catalog(db: Database, name: str) -> int:
    """Forget an imported catalog: its tracks (those it brought first), their genres and
    matches, and its entry. Returns how many tracks went. The caller owns the transaction."""
    ids = [r[0] for r in db.execute("SELECT track_id FROM catalog_tracks WHERE source = ?", [name])]
    deleted = delete_catalog_tracks(db, ids)
    db.execute("DELETE FROM catalogs WHERE name = ?", [name])
    return deleted


def match_counts(db: Database, profile: str | None = None) -> dict[str, int]:
    """Distinct history tracks (of one profile, or of all) and how many the catalog covers.

    ``history_tracks_with_features`` counts tracks matched (not undone) to a catalog track
    with at least one audio feature.
    """
    params = [profile] if profile is not None else []
    of_profile = "AND profile = ?" if profile is not None else ""
    history = db.execute(
        f"SELECT count(DISTINCT {_TRACK_KEY_SQL}) FROM plays WHERE {_MUSIC_TRACK_WHERE} {of_profile}", params
    ).fetchone()[0]
    any_feature = " OR ".join(f"c.{f} IS NOT NULL" for f in CATALOG_FEATURES)
    row = db.execute(
        "SELECT count(DISTINCT CASE WHEN m.method = 'id' THEN m.track_key END), "
        "count(DISTINCT CASE WHEN m.method = 'name' THEN m.track_key END), "
        f"count(DISTINCT CASE WHEN {any_feature} THEN m.track_key END) "
        "FROM track_matches m JOIN catalog_tracks c ON c.track_id = m.catalog_track_id "
        f"WHERE m.undone = 0 {'AND m.profile = ?' if profile is not None else ''}",
        params,
    ).fetchone()
    undone = db.execute(
        f"SELECT count(DISTINCT track_key) FROM track_matches WHERE undone = 1 {of_profile}", params
    ).fetchone()[0]
    return {
        "history_tracks": history,
        "history_tracks_with_features": row[2],
        "matched_by_id": row[0],
        "matched_by_name": row[1],
        "undone": undone,
    }


def matched_features(db: Database, profile: str) -> dict[str, list]:
    """Every matched (not undone) history track of a profile with its catalog values.

    Columns ``track_key, catalog_track_id, method, source, genre, release_year,
    release_date, popularity, duration_ms`` and the audio features, one row per track_key.
    """
    columns = ("track_key", "catalog_track_id", "method", "source", "genre", "release_year", "release_date",
               "popularity", "duration_ms", *CATALOG_FEATURES)
    rows = db.execute(
        "SELECT m.track_key, m.catalog_track_id, m.method, c.source, c.genre, c.release_year, c.release_date, "
        f"c.popularity, c.duration_ms, {', '.join('c.' + f for f in CATALOG_FEATURES)} "
        "FROM track_matches m JOIN catalog_tracks c ON c.track_id = m.catalog_track_id "
        "WHERE m.profile = ? AND m.undone = 0 ORDER BY m.track_key",
        [profile],
    ).fetchall()
    return {name: [r[i] for r in rows] for i, name in enumerate(columns)}


def matched_genres(db: Database, profile: str) -> dict[str, list]:
    """(track_key, genre) for every genre of every matched (not undone) history track."""
    rows = db.execute(
        "SELECT m.track_key, g.genre FROM track_matches m JOIN catalog_genres g ON g.track_id = m.catalog_track_id "
        "WHERE m.profile = ? AND m.undone = 0 ORDER BY m.track_key, g.genre",
        [profile],
    ).fetchall()
    return {"track_key": [r[0] for r in rows], "genre": [r[1] for r in rows]}


def catalog_tracks_with_features(db: Database, limit: int | None = None) -> dict[str, list]:
    """Catalog tracks that have at least one audio feature (the chat's candidates beyond the
    history): track_id, names, genre, release year, duration and the features; most popular
    first (unknown popularity last), at most ``limit``."""
    columns = ("track_id", "track_name", "artist_name", "album_name", "genre", "release_year", "duration_ms",
               *CATALOG_FEATURES)
    any_feature = " OR ".join(f"{f} IS NOT NULL" for f in CATALOG_FEATURES)
    rows = db.execute(
        f"SELECT {', '.join(columns)} FROM catalog_tracks WHERE {any_feature} "
        f"ORDER BY popularity IS NULL, popularity DESC, track_id {'LIMIT ' + str(int(limit)) if limit else ''}"
    ).fetchall()
    return {name: [r[i] for r in rows] for i, name in enumerate(columns)}


# --- reading plays for analysis --------------------------------------------------------

FRAME_TEXT_COLUMNS = ("content_type", "track_name", "artist_name", "album_name", "track_id", "episode_name",
                      "show_name", "audiobook_title", "platform_family", "conn_country", "reason_start", "reason_end")
FRAME_NUMBER_COLUMNS = ("ms_played", "shuffle", "skipped", "offline", "incognito")


def play_columns(db: Database, profile: str) -> dict[str, list]:
    """A profile's plays as one list per column (end time as epoch seconds), in time order.

    SQLite builds each column as one JSON array in C; decoding those is several times
    faster than fetching a million rows as Python tuples.
    """
    names = ("end_s", *FRAME_NUMBER_COLUMNS, *FRAME_TEXT_COLUMNS)
    exprs = ["json_group_array(unixepoch(played_at))", *(f"json_group_array({c})" for c in names[1:])]
    # Name the columns: with SELECT * the ordered subquery also computes every generated
    # column (started_at's strftime for each play): 3.8 -> 2.9 s for 1M plays.
    inner = ", ".join(("played_at", *names[1:]))
    row = db.execute(
        f"SELECT {', '.join(exprs)} FROM (SELECT {inner} FROM plays WHERE profile = ? ORDER BY played_at)", [profile]
    ).fetchone()
    return {name: orjson.loads(value) for name, value in zip(names, row)}


# --- chat feedback (issue 6) --------------------------------------------------------------


def set_feedback(db: Database, profile: str, track_key: str, value: int) -> None:
    """Remember a like (1) or dislike (-1) of a track; the latest one counts."""
    with db.atomic():
        db.execute(
            "INSERT INTO track_feedback(profile, track_key, value, created_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(profile, track_key) DO UPDATE SET value = excluded.value, created_at = excluded.created_at",
            [profile, track_key, value, _now()])


def list_feedback(db: Database, profile: str) -> dict[str, int]:
    """track_key -> 1 (liked) or -1 (disliked)."""
    return dict(db.execute("SELECT track_key, value FROM track_feedback WHERE profile = ? ORDER BY track_key",
                           [profile]).fetchall())


# --- Spotify (issue 7) ------------------------------------------------------------------


def _spotify_migration(db: Database) -> None:
    """Tables of the Spotify connection (migration 3)."""
    for statement in (
        # One row per (artist, title) ever searched, found or not: a search is never repeated.
        # Not per profile: what Spotify's catalog answers does not depend on who asked.
        """CREATE TABLE spotify_searches (
            artist_name TEXT NOT NULL,
            track_name TEXT NOT NULL,
            track_uri TEXT,  -- NULL: searched, nothing acceptable found
            found_artist TEXT,
            found_track TEXT,
            searched_at TEXT NOT NULL,
            PRIMARY KEY (artist_name, track_name)
        ) WITHOUT ROWID""",
        # The state of saving a local playlist to the account: which part is done, so a
        # failure can say which chunk failed and a resume never creates a second playlist.
        """CREATE TABLE spotify_saves (
            playlist_id INTEGER PRIMARY KEY REFERENCES playlists(id) ON DELETE CASCADE,
            profile TEXT NOT NULL,
            spotify_id TEXT,
            total_items INTEGER NOT NULL,
            items_done INTEGER NOT NULL DEFAULT 0,
            status TEXT NOT NULL CHECK (status IN ('pending', 'failed', 'done')),
            error TEXT,
            updated_at TEXT NOT NULL
        )""",
        # Top artists and tracks as Spotify ranks them, replaced by every sync.
        """CREATE TABLE spotify_top_items (
            profile TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('artist', 'track')),
            time_range TEXT NOT NULL,
            rank INTEGER NOT NULL,
            uri TEXT NOT NULL,
            name TEXT,
            artist_name TEXT,
            PRIMARY KEY (profile, kind, time_range, rank)
        )""",
        # What each sync fetched and added, for the page to show "last synced".
        """CREATE TABLE spotify_syncs (
            id INTEGER PRIMARY KEY,
            profile TEXT NOT NULL,
            part TEXT NOT NULL,
            finished_at TEXT NOT NULL,
            fetched INTEGER NOT NULL,
            added INTEGER NOT NULL,
            note TEXT
        )""",
    ):
        db.execute(statement)


def plays_near(db: Database, profile: str, first: str, last: str) -> list[tuple[int, str | None, str | None, str | None]]:
    """Plays ending in [first, last] (ISO, to the second) as (epoch s, track_id, artist_name, track_name)."""
    return db.execute(
        "SELECT unixepoch(played_at), track_id, artist_name, track_name FROM plays "
        "WHERE profile = ? AND played_at BETWEEN ? AND ?",
        [profile, first, last],
    ).fetchall()


# A play synced from the API ending within this many seconds of a stored one with the same
# track id is the same play (core.spotify and core.imports both use it).
SPOTIFY_PLAY_MATCH_S = 10


def delete_spotify_plays_covered(db: Database, profile: str, seconds: int) -> int:
    """Delete plays synced from the API (source 'spotify') that an export now holds too: a play
    of another source ending within ``seconds`` with the same track id, or — account exports
    have no ids and minute precision — within 60 s with the same artist and title.
    Return how many went; the caller owns the transaction."""
    window = max(seconds, 60)
    cur = db.execute(
        "DELETE FROM plays WHERE profile = ? AND source = 'spotify' AND EXISTS (SELECT 1 FROM plays e "
        "WHERE e.profile = plays.profile AND e.source != 'spotify' "
        "AND e.played_at BETWEEN strftime('%Y-%m-%dT%H:%M:%SZ', unixepoch(plays.played_at) - ?, 'unixepoch') "
        "AND strftime('%Y-%m-%dT%H:%M:%SZ', unixepoch(plays.played_at) + ?, 'unixepoch') "
        "AND ((e.track_id = plays.track_id AND abs(unixepoch(e.played_at) - unixepoch(plays.played_at)) <= ?) "
        "OR (e.track_id IS NULL AND e.artist_name = plays.artist_name AND e.track_name = plays.track_name)))",
        [profile, window, window, seconds])
    return cur.rowcount


def track_ids_without_features(db: Database, profile: str, limit: int) -> list[str]:
    """A profile's most played track ids that no catalog track with features covers."""
    any_feature = " OR ".join(f"c.{f} IS NOT NULL" for f in CATALOG_FEATURES)
    return [r[0] for r in db.execute(
        "SELECT p.track_id FROM plays p WHERE p.profile = ? AND p.content_type = 'music' AND p.track_id IS NOT NULL "
        f"AND NOT EXISTS (SELECT 1 FROM catalog_tracks c WHERE c.track_id = p.track_id AND ({any_feature})) "
        "GROUP BY p.track_id ORDER BY count(*) DESC, p.track_id LIMIT ?", [profile, limit])]


def record_spotify_sync(db: Database, profile: str, part: str, fetched: int, added: int, note: str | None) -> None:
    db.execute(
        "INSERT INTO spotify_syncs(profile, part, finished_at, fetched, added, note) VALUES (?, ?, ?, ?, ?, ?)",
        [profile, part, _now(), fetched, added, note],
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


def known_track_names(db: Database, track_ids: Sequence[str]) -> dict[str, tuple[str | None, str | None, str | None]]:
    """track_id -> (track_name, artist_name, album_name) from the plays, else the catalog."""
    found: dict[str, tuple] = {}
    wanted = list(dict.fromkeys(track_ids))
    for start in range(0, len(wanted), _IN_CHUNK):
        chunk = wanted[start:start + _IN_CHUNK]
        marks = ", ".join("?" * len(chunk))
        for sql in (f"SELECT track_id, track_name, artist_name, album_name FROM catalog_tracks WHERE track_id IN ({marks})",
                    f"SELECT track_id, track_name, artist_name, album_name FROM plays WHERE track_id IN ({marks}) "
                    "GROUP BY track_id"):
            found.update((r[0], tuple(r[1:])) for r in db.execute(sql, chunk))  # plays win: read last
    return found


def start_spotify_save(db: Database, playlist_id: int, profile: str, total_items: int) -> None:
    db.execute(
        "INSERT INTO spotify_saves(playlist_id, profile, total_items, status, updated_at) VALUES (?, ?, ?, 'pending', ?)",
        [playlist_id, profile, total_items, _now()])


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
               [*values.values(), _now(), playlist_id])


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
        [artist_name, track_name, track_uri, found_artist, found_track, _now()])


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


# --- taste model (issue 5) --------------------------------------------------------------


def _taste_migration(db: Database) -> None:
    """Tables of the taste model (migration 4)."""
    for statement in (
        # One row per trained model; the factors live in an .npz file next to the store.
        # data_version / catalog_version at training tell the page when the model is stale.
        """CREATE TABLE models (
            id INTEGER PRIMARY KEY,
            profile TEXT NOT NULL,
            created_at TEXT NOT NULL,
            data_version INTEGER NOT NULL,
            catalog_version INTEGER NOT NULL,
            params_json TEXT NOT NULL,
            metrics_json TEXT,
            path TEXT NOT NULL
        )""",
        "CREATE INDEX models_profile ON models(profile, id)",
        # Audio features the model imputed from a track's neighbours in ALS space (never
        # mixed with catalog values: a reader can always tell the two apart).
        """CREATE TABLE imputed_features (
            model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
            track_key TEXT NOT NULL,
            features_json TEXT NOT NULL,
            PRIMARY KEY (model_id, track_key)
        ) WITHOUT ROWID""",
    ):
        db.execute(statement)


def catalog_feature_rows(db: Database) -> dict[str, list]:
    """Every catalog track with at least one audio feature, as one list per column.

    Columns ``track_id, track_name, artist_name, genre, release_year, popularity`` and the
    audio features.
    """
    columns = ("track_id", "track_name", "artist_name", "genre", "release_year", "popularity", *CATALOG_FEATURES)
    any_feature = " OR ".join(f"{f} IS NOT NULL" for f in CATALOG_FEATURES)
    rows = db.execute(
        f"SELECT {', '.join(columns)} FROM catalog_tracks WHERE {any_feature} ORDER BY track_id"
    ).fetchall()
    return {name: [r[i] for r in rows] for i, name in enumerate(columns)}


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


def save_model_record(db: Database, profile: str, data_version_: int, catalog_version_: int, params_json: str,
                      metrics_json: str | None, path: str, imputed: Iterable[tuple[str, str]] = ()) -> int:
    """Record a trained model (and its imputed features); return its id."""
    with db.atomic():
        model_id = db.execute(
            "INSERT INTO models(profile, created_at, data_version, catalog_version, params_json, metrics_json, path) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [profile, _now(), data_version_, catalog_version_, params_json, metrics_json, path],
        ).lastrowid
        db.conn.executemany(
            "INSERT INTO imputed_features(model_id, track_key, features_json) VALUES (?, ?, ?)",
            ((model_id, key, value) for key, value in imputed),
        )
    return model_id


def set_model_metrics(db: Database, model_id: int, metrics_json: str) -> None:
    with db.atomic():
        db.execute("UPDATE models SET metrics_json = ? WHERE id = ?", [metrics_json, model_id])


def latest_model(db: Database, profile: str) -> dict | None:
    """The newest model record of a profile (a dict of the ``models`` columns), or None."""
    rows = list(db.query("SELECT * FROM models WHERE profile = ? ORDER BY id DESC LIMIT 1", [profile]))
    return rows[0] if rows else None


def imputed_features(db: Database, model_id: int) -> dict[str, str]:
    """track_key -> features JSON imputed by one model."""
    return dict(db.execute(
        "SELECT track_key, features_json FROM imputed_features WHERE model_id = ?", [model_id]).fetchall())
