"""Catalog tracks, their genres and name keys, and the matches of a history to them."""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlite_utils import Database

from core.store.connection import IN_CHUNK, bump_catalog_version, sql_literal, utc_now, write_transaction
from core.store.schema import (
    CATALOG_COLUMNS,
    CATALOG_EDIT_COLUMNS,
    CATALOG_FEATURES,
    MUSIC_TRACK_WHERE,
    TITLE_KEY_INDEX,
    TITLE_KEY_SQL,
    TRACK_KEY_SQL,
)


def insert_catalog_tracks(db: Database, rows: Iterable[dict], source: str) -> int:
    """Insert or replace catalog tracks (dicts with catalog_tracks columns)."""
    before = db.conn.total_changes
    db["catalog_tracks"].insert_all(
        ({**row, "source": source} for row in rows), pk="track_id", replace=True, batch_size=500
    )
    return db.conn.total_changes - before


# A catalog import of this many rows or more, and at least half as many as are stored,
# writes through the bulk path below (rebuilding the indexes costs time per stored row).
BULK_CATALOG_ROWS = 50_000


def _upsert_catalog_sql(source: str) -> str:
    # A track id already stored from another catalog keeps its values and only has its
    # empty ones filled; from the same catalog (a new version of it) the new values win,
    # but a value the new version leaves empty is kept. Nothing is ever lost, and
    # importing the same file again changes nothing. A row only found on Spotify
    # (SPOTIFY_CATALOG) is taken over by a catalog the person imports: it becomes that
    # catalog's, so it is matched to their plays and removing "found on Spotify" never
    # takes it away. (SQLite evaluates every SET expression on the old row.)
    spotify = sql_literal(SPOTIFY_CATALOG)
    takes_over = f"(catalog_tracks.source = excluded.source OR catalog_tracks.source = {spotify})"
    updates = ", ".join(
        [f"source = CASE WHEN catalog_tracks.source = {spotify} THEN excluded.source ELSE catalog_tracks.source END"]
        + [f"{c} = CASE WHEN {takes_over} THEN coalesce(excluded.{c}, catalog_tracks.{c}) "
           f"ELSE coalesce(catalog_tracks.{c}, excluded.{c}) END"
           for c in CATALOG_COLUMNS[1:]]
    )
    return (
        f"INSERT INTO catalog_tracks(source, {', '.join(CATALOG_COLUMNS)}) "
        f"VALUES ({sql_literal(source)}, {', '.join('?' for _ in CATALOG_COLUMNS)}) "
        f"ON CONFLICT(track_id) DO UPDATE SET {updates}"
    )


def write_catalog(
    db: Database,
    source: str,
    rows: Iterable[Sequence],
    genres: Iterable[tuple[str, str]],
    bulk: bool = False,
    lists: Iterable[tuple[str, str, str]] = (),
) -> None:
    """Upsert catalog rows (CATALOG_COLUMNS order, sorted by track_id), their genres and
    their lists (track_id, kind, list).

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
        db.conn.executemany("INSERT OR IGNORE INTO catalog_lists(track_id, kind, list) VALUES (?, ?, ?)", lists)
        if bulk:
            db.execute("CREATE INDEX catalog_tracks_name_key ON catalog_tracks(name_key)")
            db.execute(TITLE_KEY_INDEX)
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
        [name, utc_now(), rows, tracks, file, format, report_json],
    )


def list_catalogs(db: Database) -> list[dict]:
    return list(db.query("SELECT name, imported_at, rows, tracks, file, format FROM catalogs ORDER BY name"))


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


def history_tracks(db: Database, profile: str) -> dict[str, list]:
    """A profile's distinct music tracks: track_key, track_id, artist_name, track_name, album_name.

    One row per distinct combination, so a track_key may come with several spellings.
    """
    names = ("track_key", "track_id", "artist_name", "track_name", "album_name")
    rows = db.execute(
        f"SELECT DISTINCT {TRACK_KEY_SQL}, track_id, artist_name, track_name, album_name "
        f"FROM plays WHERE profile = ? AND {MUSIC_TRACK_WHERE}",
        [profile],
    ).fetchall()
    return {name: [r[i] for r in rows] for i, name in enumerate(names)}


# The demo listener's catalog: synthetic tracks that only the demo profile may ever see
# (a real person's matches, recommendations, playlists and exports never hold them).
SYNTHETIC_CATALOG = "demo"
# The songs Encore found on Spotify for Discover (``core.spotify.candidates``): names, album,
# release date and popularity, no audio features. They are columns of the taste model like a
# catalog's songs with features, and never matched to a history (an id match to a row without
# features would take a song's features from another catalog away).
SPOTIFY_CATALOG = "found on Spotify"


def _real_only(synthetic: bool, column: str = "source") -> str:
    return "" if synthetic else f" AND {column} != {sql_literal(SYNTHETIC_CATALOG)}"


def catalog_candidates(db: Database, track_ids: Sequence[str], title_keys: Sequence[str],
                       synthetic: bool = False) -> dict[str, list]:
    """The catalog tracks a history could match: those with one of its track ids, or whose
    name key has one of its title parts (the name key without the artist); the demo's
    synthetic tracks only when ``synthetic`` (the demo's own history); never the songs
    found on Spotify (``SPOTIFY_CATALOG``).

    Columns track_id, artist_name, track_name, album_name, name_key, source, ordered by
    track_id. Matching against these gives what matching against the whole catalog gives,
    without reading a million-track catalog for every profile.
    """
    columns = ("track_id", "artist_name", "track_name", "album_name", "name_key", "source")
    found: dict[str, tuple] = {}
    # Literal IN lists: SQLite 3.40 uses the expression index for them, not for a join
    # against a temporary table of wanted values (it scans the catalog instead).
    for expression, wanted in (("track_id", track_ids), (TITLE_KEY_SQL, title_keys)):
        values = list(dict.fromkeys(wanted))
        for start in range(0, len(values), IN_CHUNK):
            chunk = values[start:start + IN_CHUNK]
            marks = ", ".join("?" * len(chunk))
            rows = db.execute(f"SELECT {', '.join(columns)} FROM catalog_tracks WHERE {expression} IN ({marks})"
                              f"{_real_only(synthetic)} AND source != {sql_literal(SPOTIFY_CATALOG)}", chunk)
            found.update((row[0], row) for row in rows)
    ordered = [found[k] for k in sorted(found)]
    return {name: [r[i] for r in ordered] for i, name in enumerate(columns)}


def replace_track_matches(db: Database, profile: str, matches: Iterable[tuple[str, str, str, str | None]]) -> None:
    """Replace a profile's matches by (track_key, catalog_track_id, method, source) rows.

    Matches a person undid stay as they are, except that an id match (exact by
    definition) replaces an undone name match. The caller owns the transaction.
    """
    db.execute("DELETE FROM track_matches WHERE profile = ? AND undone = 0", [profile])
    db.conn.executemany(
        "INSERT INTO track_matches(profile, track_key, catalog_track_id, method, source) "
        f"VALUES ({sql_literal(profile)}, ?, ?, ?, ?) "
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
        with write_transaction(db):
            db.execute("UPDATE track_matches SET undone = 1 WHERE profile = ? AND track_key = ?", [profile, track_key])
            bump_catalog_version(db)
    return row[0]


def list_track_matches(db: Database, profile: str) -> list[dict]:
    return list(db.query(
        "SELECT track_key, catalog_track_id, method, source, undone FROM track_matches "
        "WHERE profile = ? ORDER BY track_key", [profile]))


def set_match_undone(db: Database, profile: str, track_key: str, undone: bool) -> None:
    """Mark a name match undone, or restore it."""
    with write_transaction(db):
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
    """Delete catalog tracks, their genres and lists and the matches pointing at them; return how many
    tracks went. The caller owns the transaction."""
    ids = list(dict.fromkeys(track_ids))
    deleted = 0
    for start in range(0, len(ids), IN_CHUNK):
        chunk = ids[start:start + IN_CHUNK]
        marks = ", ".join("?" * len(chunk))
        db.execute(f"DELETE FROM track_matches WHERE catalog_track_id IN ({marks})", chunk)
        db.execute(f"DELETE FROM catalog_genres WHERE track_id IN ({marks})", chunk)
        db.execute(f"DELETE FROM catalog_lists WHERE track_id IN ({marks})", chunk)
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
        f"SELECT count(DISTINCT {TRACK_KEY_SQL}) FROM plays WHERE {MUSIC_TRACK_WHERE} {of_profile}", params
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


def catalog_tracks_with_features(db: Database, limit: int | None = None, synthetic: bool = False) -> dict[str, list]:
    """Catalog tracks that have at least one audio feature (the chat's candidates beyond the
    history): track_id, names, genre, release year, duration, popularity, name key and the features;
    most popular first (unknown popularity last), at most ``limit``; the demo's synthetic
    tracks only when ``synthetic``."""
    columns = ("track_id", "track_name", "artist_name", "album_name", "genre", "release_year", "duration_ms",
               "popularity", "name_key", *CATALOG_FEATURES)
    any_feature = " OR ".join(f"{f} IS NOT NULL" for f in CATALOG_FEATURES)
    rows = db.execute(
        f"SELECT {', '.join(columns)} FROM catalog_tracks WHERE ({any_feature}){_real_only(synthetic)} "
        f"ORDER BY popularity IS NULL, popularity DESC, track_id {'LIMIT ' + str(int(limit)) if limit else ''}"
    ).fetchall()
    return {name: [r[i] for r in rows] for i, name in enumerate(columns)}


def track_ids_without_features(db: Database, profile: str, limit: int) -> list[str]:
    """A profile's most played track ids that no catalog track with features covers."""
    any_feature = " OR ".join(f"c.{f} IS NOT NULL" for f in CATALOG_FEATURES)
    return [r[0] for r in db.execute(
        "SELECT p.track_id FROM plays p WHERE p.profile = ? AND p.content_type = 'music' AND p.track_id IS NOT NULL "
        f"AND NOT EXISTS (SELECT 1 FROM catalog_tracks c WHERE c.track_id = p.track_id AND ({any_feature})) "
        "GROUP BY p.track_id ORDER BY count(*) DESC, p.track_id LIMIT ?", [profile, limit])]


def known_track_names(db: Database, track_ids: Sequence[str]) -> dict[str, tuple[str | None, str | None, str | None]]:
    """track_id -> (track_name, artist_name, album_name) from the plays, else the catalog."""
    found: dict[str, tuple] = {}
    wanted = list(dict.fromkeys(track_ids))
    for start in range(0, len(wanted), IN_CHUNK):
        chunk = wanted[start:start + IN_CHUNK]
        marks = ", ".join("?" * len(chunk))
        for sql in (f"SELECT track_id, track_name, artist_name, album_name FROM catalog_tracks WHERE track_id IN ({marks})",
                    f"SELECT track_id, track_name, artist_name, album_name FROM plays WHERE track_id IN ({marks}) "
                    "GROUP BY track_id"):
            found.update((r[0], tuple(r[1:])) for r in db.execute(sql, chunk))  # plays win: read last
    return found


def _in_model(column: str = "") -> str:
    """The catalog tracks the taste model has columns for: those with an audio feature, and
    the songs found on Spotify."""
    any_feature = " OR ".join(f"{column}{f} IS NOT NULL" for f in CATALOG_FEATURES)
    return f"({any_feature} OR {column}source = {sql_literal(SPOTIFY_CATALOG)})"


def catalog_feature_rows(db: Database, synthetic: bool = False) -> dict[str, list]:
    """Every catalog track the taste model has a column for (at least one audio feature, or
    found on Spotify), as one list per column (the demo's synthetic tracks only when
    ``synthetic``).

    Columns ``track_id, track_name, artist_name, genre, release_year, popularity, name_key,
    source`` and the audio features.
    """
    columns = ("track_id", "track_name", "artist_name", "genre", "release_year", "popularity", "name_key", "source",
               *CATALOG_FEATURES)
    rows = db.execute(
        f"SELECT {', '.join(columns)} FROM catalog_tracks WHERE {_in_model()}{_real_only(synthetic)} ORDER BY track_id"
    ).fetchall()
    return {name: [r[i] for r in rows] for i, name in enumerate(columns)}


def catalog_list_rows(db: Database, synthetic: bool = False) -> dict[str, list]:
    """The lists (curated playlists, subgenres, albums) of the catalog tracks the taste model
    has columns for, as columns ``track_id, kind, list`` (the demo's synthetic tracks only
    when ``synthetic``)."""
    real = _real_only(synthetic, "c.source")
    rows = db.execute(f"SELECT l.track_id, l.kind, l.list FROM catalog_lists l JOIN catalog_tracks c "
                      f"ON c.track_id = l.track_id WHERE {_in_model('c.')}{real} ORDER BY l.kind, l.list").fetchall()
    return {name: [r[i] for r in rows] for i, name in enumerate(("track_id", "kind", "list"))}


def track_durations(db: Database, profile: str) -> dict[str, int]:
    """track_key -> the recording's length in ms, where a matched catalog track knows it."""
    return dict(db.execute(
        "SELECT m.track_key, c.duration_ms FROM track_matches m JOIN catalog_tracks c ON c.track_id = m.catalog_track_id "
        "WHERE m.profile = ? AND m.undone = 0 AND c.duration_ms > 0", [profile]).fetchall())


def catalog_tracks_by_name_key(db: Database, keys: Sequence[str]) -> dict[str, str]:
    """name_key -> the id of a real catalog track with that key (the most popular one)."""
    found: dict[str, str] = {}
    wanted = list(dict.fromkeys(k for k in keys if k))
    for start in range(0, len(wanted), IN_CHUNK):
        chunk = wanted[start:start + IN_CHUNK]
        marks = ", ".join("?" * len(chunk))
        for key, track_id in db.execute(
                f"SELECT name_key, track_id FROM catalog_tracks WHERE name_key IN ({marks}){_real_only(False)} "
                "ORDER BY popularity IS NOT NULL, popularity, track_id DESC", chunk):
            found[key] = track_id  # read unknown, then least popular first: the most popular is kept
    return found
