"""Plays: writing them (one file at a time), the imports log, and reading them back."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import orjson
from sqlite_utils import Database

from core.store.connection import has_staging, sql_literal
from core.store.imports import journal_plays
from core.store.schema import (
    FRAME_NUMBER_COLUMNS,
    FRAME_TEXT_COLUMNS,
    PLAY_COLUMNS,
    PLAY_SOURCES,
)

_TITLE_INDEXES = tuple(PLAY_COLUMNS.index(c) for c in ("track_name", "episode_name", "chapter_title", "audiobook_title"))


def play_title(row: tuple) -> str:
    """The title part of a play tuple's natural key (what ``item_name`` will be)."""
    for index in _TITLE_INDEXES:
        if row[index]:
            return row[index]
    return ""


_STAGE_SQL = f"INSERT INTO staging.plays VALUES ({', '.join('?' for _ in PLAY_COLUMNS)})"


def _play_constants(profile: str, import_id: int | None, source: str) -> str:
    # The per-file constants go in as literals: binding them again for every row of a
    # million-row import costs more than building one statement per file.
    if source not in PLAY_SOURCES:
        raise ValueError(f"unknown play source {source!r}")
    return f"{sql_literal(profile)}, {int(import_id) if import_id is not None else 'NULL'}, '{source}'"


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
    if not has_staging(conn):  # a connection open_store did not make: bind straight in
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


def account_play_keys(db: Database, profile: str, first: str, last: str) -> dict[tuple[str, str, int], list[int]]:
    """Plays from account exports in [first, last]: (UTC minute, title, ms) -> their play ids
    (two plays can share a minute, a title and a length)."""
    rows = db.execute(
        "SELECT substr(played_at, 1, 16), item_name, ms_played, id FROM plays "
        "WHERE profile = ? AND source = 'account' AND played_at BETWEEN ? AND ? ORDER BY id",
        [profile, first, last],
    )
    out: dict[tuple[str, str, int], list[int]] = {}
    for minute, name, ms, pid in rows:
        out.setdefault((minute, name, ms), []).append(pid)
    return out


def detailed_play_keys(db: Database, profile: str, first: str, last: str) -> dict[tuple[str, str, int], int]:
    """Plays from richer sources in [first, last]: (UTC minute, title, ms) -> how many share it."""
    rows = db.execute(
        "SELECT substr(played_at, 1, 16), item_name, ms_played, count(*) FROM plays "
        "WHERE profile = ? AND source != 'account' AND played_at BETWEEN ? AND ? GROUP BY 1, 2, 3",
        [profile, first, last],
    )
    return {(minute, name, ms): n for minute, name, ms, n in rows}


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
    """Replace account-export plays by the matching richer rows; return rows changed.

    The rows as they were go into the import's journal, so undoing it restores them."""
    upgrades = list(upgrades)
    if import_id is not None and upgrades:
        journal_plays(db, import_id, "upgraded_play", [play_id for play_id, _ in upgrades])
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


def play_columns(db: Database, profile: str) -> dict[str, list]:
    """A profile's plays as one list per column (end time as epoch seconds, and each play's
    ``id``), in the order the store keeps them, not in time order (``history.load_plays``
    sorts them; ``key_order`` orders the plays that share an end second and ms).

    SQLite builds each column as one JSON array in C; decoding those is several times
    faster than fetching a million rows as Python tuples. Reading the table in its own
    order, not the natural key's, saves looking up every row from the index (300k plays:
    0.6-0.9 s -> 0.4-0.5 s). Other profiles' rows are passed over, 0.15 s per million.
    """
    names = ("end_s", *FRAME_NUMBER_COLUMNS, *FRAME_TEXT_COLUMNS)
    exprs = ["json_group_array(unixepoch(played_at))", *(f"json_group_array({c})" for c in names[1:]),
             "json_group_array(id)"]
    # Name the columns: with SELECT * the subquery also computes every generated column
    # (started_at's strftime for each play): 3.8 -> 2.9 s for 1M plays.
    inner = ", ".join(("played_at", *names[1:], "id"))
    row = db.execute(
        f"SELECT {', '.join(exprs)} FROM (SELECT {inner} FROM plays NOT INDEXED WHERE profile = ?)", [profile]
    ).fetchone()
    return {name: orjson.loads(value) for name, value in zip((*names, "id"), row)}


# The order of the natural key (the index plays_natural_key, after its profile): end second,
# ms played, title, then what tells apart two plays that share those.
_KEY_ORDER = ("played_at, ms_played, item_name, coalesce(offline_at, ''), coalesce(reason_start, ''), "
              "coalesce(reason_end, '')")


def key_order(db: Database, ids: Sequence[int]) -> list[int]:
    """These plays' ids in the order of their natural key (no two plays share all of it)."""
    return [row[0] for row in db.execute(
        f"SELECT id FROM plays WHERE id IN (SELECT value FROM json_each(?)) ORDER BY {_KEY_ORDER}",
        [orjson.dumps(list(ids)).decode()])]


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


def delete_spotify_plays_covered(db: Database, profile: str, seconds: int, import_id: int | None = None,
                                 first: str = "", last: str = "9999") -> int:
    """Delete plays synced from the API (source 'spotify') that an export now holds too: a play
    of another source ending within ``seconds`` with the same track id, or — account exports
    have no ids and minute precision — within 60 s with the same artist and title. Only
    synced plays ending in [``first`` - 60 s, ``last`` + 60 s] are looked at (default: all).
    Return how many went (journalled under ``import_id``); the caller owns the transaction."""
    window = max(seconds, 60)
    covered = ("profile = ? AND played_at BETWEEN strftime('%Y-%m-%dT%H:%M:%SZ', unixepoch(?) - ?, 'unixepoch') "
               "AND strftime('%Y-%m-%dT%H:%M:%SZ', unixepoch(?) + ?, 'unixepoch') "
               "AND source = 'spotify' AND EXISTS (SELECT 1 FROM plays e "
               "WHERE e.profile = plays.profile AND e.source != 'spotify' "
               "AND e.played_at BETWEEN strftime('%Y-%m-%dT%H:%M:%SZ', unixepoch(plays.played_at) - ?, 'unixepoch') "
               "AND strftime('%Y-%m-%dT%H:%M:%SZ', unixepoch(plays.played_at) + ?, 'unixepoch') "
               "AND ((e.track_id = plays.track_id AND abs(unixepoch(e.played_at) - unixepoch(plays.played_at)) <= ?) "
               "OR (e.track_id IS NULL AND e.artist_name = plays.artist_name AND e.track_name = plays.track_name)))")
    params = [profile, first or "2006-01-01T00:00:00Z", window, last if last != "9999" else "2100-01-01T00:00:00Z",
              window, window, window, seconds]
    if import_id is not None:
        ids = [r[0] for r in db.execute(f"SELECT id FROM plays WHERE {covered}", params)]
        journal_plays(db, import_id, "deleted_play", ids)
    return db.execute(f"DELETE FROM plays WHERE {covered}", params).rowcount


def has_legacy_offline_times(db: Database) -> bool:
    """Whether the store holds plays imported when offline times were kept to the second."""
    return db.execute("SELECT 1 FROM meta WHERE key = 'legacy_offline_seconds'").fetchone() is not None


def drop_legacy_offline_twins(db: Database, profile: str, first: str, last: str) -> int:
    """Delete plays in [first, last] whose offline time was kept to the second, when the same
    play has just been imported again with its milliseconds (they would count twice).
    Return how many went; the caller owns the transaction."""
    return db.execute(
        "DELETE FROM plays WHERE profile = ? AND played_at BETWEEN ? AND ? AND length(offline_at) = 20 "
        "AND EXISTS (SELECT 1 FROM plays n WHERE n.profile = plays.profile AND n.played_at = plays.played_at "
        "AND n.ms_played = plays.ms_played AND n.item_name = plays.item_name "
        "AND coalesce(n.reason_start, '') = coalesce(plays.reason_start, '') "
        "AND coalesce(n.reason_end, '') = coalesce(plays.reason_end, '') "
        "AND length(n.offline_at) = 24 AND substr(n.offline_at, 1, 19) = substr(plays.offline_at, 1, 19))",
        [profile, first, last]).rowcount


def streams_by_artist(db: Database, profile: str, min_ms: int) -> list[tuple[str, int]]:
    """(artist field, plays of at least ``min_ms``) of a profile's music, most first."""
    return db.execute(
        "SELECT artist_name, count(*) AS n FROM plays WHERE profile = ? AND content_type = 'music' "
        "AND artist_name IS NOT NULL AND ms_played >= ? GROUP BY artist_name ORDER BY n DESC, artist_name",
        [profile, min_ms]).fetchall()
