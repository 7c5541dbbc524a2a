"""Opening the store, and the counters that tell caches when the data changed."""
from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from sqlite_utils import Database

from core.store.schema import attach_staging, migrate

# Python's sqlite3 sends every None through its adapter lookup, which without a registered
# adapter costs two failed attribute lookups per value: binding a 30-column play row with a
# dozen NULLs took twice as long (measured: 8.0 vs 3.3 us/row). A C-level callable that
# returns None keeps NULLs NULL and takes the fast path.
sqlite3.register_adapter(type(None), {}.get)
# bool is not an exact int, so it takes the same slow path; store it as 0/1 directly.
sqlite3.register_adapter(bool, int)


REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DB_PATH = REPO_ROOT / "data" / "encore.db"


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
    conn = sqlite3.connect(str(db_path), check_same_thread=False, timeout=BUSY_TIMEOUT_S)
    db = Database(conn)
    _use_wal(conn)
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    attach_staging(conn)
    migrate(db)
    return db


BUSY_TIMEOUT_S = 30  # how long a writer waits for another one before "database is locked"


def _use_wal(conn: sqlite3.Connection) -> None:
    """Switch the file to write-ahead logging (once per store: it stays so).

    Switching needs the file to itself, and SQLite answers "database is locked" at once,
    without waiting, while another process holds it (several processes opening a new store
    together): retry, within the same time a writer waits for another."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def open_memory_store() -> Database:
    """A fresh in-memory store with the current schema (tests)."""
    db = Database(sqlite3.connect(":memory:", check_same_thread=False))
    db.conn.execute("PRAGMA foreign_keys=ON")
    attach_staging(db.conn)
    migrate(db)
    return db


def utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _counter(db: Database, key: str) -> int:
    row = db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return int(row[0]) if row else 0


def _bump_counter(db: Database, key: str) -> int:
    # one statement: two writers can never both read n and both write n + 1
    db.execute("INSERT INTO meta(key, value) VALUES (?, '1') "
               "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1", [key])
    return _counter(db, key)


def store_id(db: Database) -> str:
    """A random id of this store, made the first time it is asked for: files kept next to the
    store (the Explore snapshots) carry it, so a new store at the same path never reuses them."""
    row = db.execute("SELECT value FROM meta WHERE key = 'store_id'").fetchone()
    if row:
        return row[0]
    with write_transaction(db):
        db.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('store_id', ?)", [uuid.uuid4().hex])
    return db.execute("SELECT value FROM meta WHERE key = 'store_id'").fetchone()[0]


def data_version(db: Database) -> int:
    """A counter bumped by every write that changes plays: the key for page caches."""
    return _counter(db, "data_version")


def frame_version(db: Database) -> str:
    """What a profile's plays frame is built from: the data version and the catalog version
    (the frame reads recording lengths from matched catalog tracks). The key of the Explore
    snapshot and of the pages' caches."""
    return f"{data_version(db)}.{catalog_version(db)}"


def bump_data_version(db: Database) -> int:
    return _bump_counter(db, "data_version")


def sql_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def has_staging(conn: sqlite3.Connection) -> bool:
    return any(row[1] == "staging" for row in conn.execute("PRAGMA database_list"))


def count_rows(db: Database, table: str, profile: str | None = None) -> int:
    """Row count of one of the store's tables (optionally one profile's)."""
    if table not in db.table_names():
        raise ValueError(f"no table {table!r}")
    if profile is None:
        return db.execute(f"SELECT count(*) FROM [{table}]").fetchone()[0]
    return db.execute(f"SELECT count(*) FROM [{table}] WHERE profile = ?", [profile]).fetchone()[0]


def catalog_version(db: Database) -> int:
    """A counter bumped by every change to the catalog or the matches: the key for their caches.

    Separate from ``data_version``, so importing a catalog does not invalidate the plays.
    """
    return _counter(db, "catalog_version")


def bump_catalog_version(db: Database) -> int:
    return _bump_counter(db, "catalog_version")


IN_CHUNK = 5_000


@contextlib.contextmanager
def read_transaction(db: Database) -> Iterator[Database]:
    """Reads that all see one state of the store, whatever another connection writes
    meanwhile (a deferred transaction: in WAL mode its first read fixes what the later ones
    see). Nested in another transaction, it is that one."""
    if db.conn.in_transaction:
        yield db
        return
    db.conn.execute("BEGIN")
    try:
        yield db
    finally:
        db.conn.execute("COMMIT")  # nothing was written: this only ends the read


@contextlib.contextmanager
def write_transaction(db: Database) -> Iterator[Database]:
    """A transaction that takes the write lock at once (``BEGIN IMMEDIATE``): what it reads
    cannot change under it before it writes, and a second writer waits for it (up to the
    connection's busy timeout) instead of failing with "database is locked". Nested in
    another transaction, it is a savepoint of it."""
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.conn.rollback()
        raise
    db.conn.execute("COMMIT")
