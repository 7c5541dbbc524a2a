"""The store's schema: the columns of a play and of a catalog track, and the migrations.

Schema changes are named steps in ``MIGRATIONS``, applied in order and recorded in
``PRAGMA user_version`` (the number of steps applied). Opening a store brings it up to date.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Callable

from sqlite_utils import Database

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


PLAY_SOURCES = ("extended", "account", "spotify")


def _listening_history(db: Database) -> None:
    """Profiles, the imports log, plays, playlists, library items, catalog tracks."""
    for statement in (
        """CREATE TABLE profiles (
                name TEXT PRIMARY KEY,
                created_at TEXT NOT NULL,
                is_demo INTEGER NOT NULL DEFAULT 0
            )""",
        """CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)""",
        """CREATE TABLE imports (
                id INTEGER PRIMARY KEY,
                profile TEXT NOT NULL REFERENCES profiles(name),
                started_at TEXT NOT NULL,
                finished_at TEXT,
                files INTEGER NOT NULL DEFAULT 0,
                plays_added INTEGER NOT NULL DEFAULT 0,
                plays_merged INTEGER NOT NULL DEFAULT 0,
                report_json TEXT
            )""",
        """-- No foreign keys on plays: checking two parents per row cost 1.0 s of 11.6 s when
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
            )""",
        """-- The natural key of a play: one listener cannot finish the same title twice in
            -- the same second after exactly the same number of milliseconds. It survives the
            -- schema generations (privacy fields and uris come and go), so re-imports and
            -- overlapping exports collapse to one row.
            CREATE UNIQUE INDEX plays_natural_key ON plays(profile, played_at, ms_played, item_name)""",
        """CREATE TABLE playlists (
                id INTEGER PRIMARY KEY,
                profile TEXT NOT NULL REFERENCES profiles(name),
                source TEXT NOT NULL,
                name TEXT NOT NULL,
                ordinal INTEGER NOT NULL DEFAULT 0,
                last_modified TEXT,
                description TEXT,
                spotify_id TEXT,
                UNIQUE(profile, source, name, ordinal)
            )""",
        """CREATE TABLE playlist_items (
                playlist_id INTEGER NOT NULL REFERENCES playlists(id) ON DELETE CASCADE,
                position INTEGER NOT NULL,
                kind TEXT NOT NULL,
                track_name TEXT, artist_name TEXT, album_name TEXT, track_uri TEXT, track_id TEXT,
                added_date TEXT,
                PRIMARY KEY (playlist_id, position)
            )""",
        """CREATE TABLE library_items (
                profile TEXT NOT NULL REFERENCES profiles(name),
                kind TEXT NOT NULL,
                item_key TEXT NOT NULL,
                name TEXT, artist_name TEXT, album_name TEXT, uri TEXT,
                PRIMARY KEY (profile, kind, item_key)
            )""",
        """CREATE TABLE catalog_tracks (
                track_id TEXT PRIMARY KEY,
                track_name TEXT, artist_name TEXT, album_name TEXT,
                genre TEXT, release_year INTEGER, duration_ms INTEGER,
                danceability REAL, energy REAL, key INTEGER, loudness REAL, mode INTEGER,
                speechiness REAL, acousticness REAL, instrumentalness REAL, liveness REAL,
                valence REAL, tempo REAL,
                source TEXT NOT NULL
            )""",
    ):
        db.execute(statement)


# The title part of a name key ('artist\tbase title[\ttag]' -> 'base title[\ttag]'). Every
# name match, on the whole artist field or on a catalog row's leading artists ("A" of
# "A, B"), needs equal title parts, so this index finds all candidates of a history.
TITLE_KEY_SQL = "substr(name_key, instr(name_key, char(9)) + 1)"
TITLE_KEY_INDEX = f"CREATE INDEX catalog_tracks_title_key ON catalog_tracks({TITLE_KEY_SQL})"


def _catalogs_and_matches(db: Database) -> None:
    """Catalog genres, name keys and the record of each imported catalog; history-to-catalog matches."""
    for statement in (
        # catalog_tracks keeps its version-1 columns (genre = the first genre seen).
        "ALTER TABLE catalog_tracks ADD COLUMN release_date TEXT",  # 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD'
        "ALTER TABLE catalog_tracks ADD COLUMN popularity INTEGER",  # 0..100
        "ALTER TABLE catalog_tracks ADD COLUMN explicit INTEGER",
        # core.matching's key of (artist field, title); NULL when the names give none
        "ALTER TABLE catalog_tracks ADD COLUMN name_key TEXT",
        "CREATE INDEX catalog_tracks_name_key ON catalog_tracks(name_key)",
        TITLE_KEY_INDEX,
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


def _chat_feedback(db: Database) -> None:
    """Likes and dislikes given in the chat, read by the taste model."""
    db.execute("""CREATE TABLE track_feedback (
        profile TEXT NOT NULL,
        track_key TEXT NOT NULL,
        value INTEGER NOT NULL CHECK (value IN (-1, 1)),
        created_at TEXT NOT NULL,
        PRIMARY KEY (profile, track_key)
    )""")


def attach_staging(conn: sqlite3.Connection) -> None:
    # A private in-memory database per connection, for bulk play inserts (see insert_plays).
    # Attached when the connection opens: ATTACH is not allowed inside a transaction.
    conn.execute("ATTACH DATABASE ':memory:' AS staging")
    conn.execute(f"CREATE TABLE staging.plays ({', '.join(PLAY_COLUMNS)})")


def schema_version(db: Database) -> int:
    return db.execute("PRAGMA user_version").fetchone()[0]


CATALOG_FEATURES: tuple[str, ...] = (
    "danceability", "energy", "key", "loudness", "mode", "speechiness", "acousticness",
    "instrumentalness", "liveness", "valence", "tempo",
)
# Order matters: catalog row tuples built by core.catalog hold exactly these columns.
CATALOG_COLUMNS: tuple[str, ...] = (
    "track_id", "track_name", "artist_name", "album_name", "genre", "release_date", "release_year",
    "popularity", "explicit", "duration_ms", *CATALOG_FEATURES, "name_key",
)


# A track of the history is known by its Spotify id, else by "artist — title", exactly as
# core.explore.track_keys names it. Rows with neither id nor title name no track.
TRACK_KEY_SQL = "coalesce(track_id, coalesce(artist_name, '?') || ' — ' || coalesce(track_name, '?'))"
MUSIC_TRACK_WHERE = "content_type = 'music' AND (track_id IS NOT NULL OR track_name IS NOT NULL)"


# Columns a person sees and edits when browsing the catalog.
CATALOG_EDIT_COLUMNS: tuple[str, ...] = (
    "track_name", "artist_name", "album_name", "genre", "release_date", "release_year", "popularity", "explicit",
    "duration_ms", *CATALOG_FEATURES,
)


FRAME_TEXT_COLUMNS = ("content_type", "track_name", "artist_name", "album_name", "track_id", "episode_name",
                      "show_name", "audiobook_title", "platform_family", "conn_country", "reason_start", "reason_end")
FRAME_NUMBER_COLUMNS = ("ms_played", "shuffle", "skipped", "offline", "incognito")


def _spotify_connection(db: Database) -> None:
    """Tables of the Spotify connection."""
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


def _taste_models(db: Database) -> None:
    """Tables of the taste model."""
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


def _exact_plays_songs_profiles(db: Database) -> None:
    """Two plays that end in the same second after the same milliseconds are still two plays
    when they started differently (offline plays uploaded together); the person's own song
    merges and splits; profiles that choose to share; imports that can be undone."""
    for statement in (
        # The natural key of a play: profile, end second, ms played and title, plus what tells
        # apart two real plays that share those (the offline time and why the play started
        # and ended). True duplicates (the same event uploaded twice, differing only in IP,
        # user agent or platform) still collapse. NULLs are compared as '' (in a UNIQUE
        # index two NULLs never clash).
        "DROP INDEX plays_natural_key",
        """CREATE UNIQUE INDEX plays_natural_key ON plays(profile, played_at, ms_played, item_name,
            coalesce(offline_at, ''), coalesce(reason_start, ''), coalesce(reason_end, ''))""",
        # track_key (a Spotify id, else "artist — title") -> the song the person put it in
        """CREATE TABLE song_edits (
            profile TEXT NOT NULL,
            track_key TEXT NOT NULL,
            song_key TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (profile, track_key)
        ) WITHOUT ROWID""",
        # 1: this profile's plays may train another sharing profile's model, and theirs its own
        "ALTER TABLE profiles ADD COLUMN share_listening INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE imports ADD COLUMN undone_at TEXT",
        # what an import changed besides adding plays (which carry its id), to undo it exactly
        """CREATE TABLE import_journal (
            id INTEGER PRIMARY KEY,
            import_id INTEGER NOT NULL,
            kind TEXT NOT NULL,
            payload TEXT NOT NULL
        )""",
        "CREATE INDEX import_journal_import ON import_journal(import_id)",
        # offline times were kept to the second until now, to the millisecond from now on:
        # importing the same export again must replace those plays, not add them twice
        "INSERT OR REPLACE INTO meta(key, value) SELECT 'legacy_offline_seconds', '1' "
        "WHERE EXISTS (SELECT 1 FROM plays WHERE offline_at IS NOT NULL)",
    ):
        db.execute(statement)


def _plays_by_source(db: Database) -> None:
    """An import asks, per file, for the account-export and Spotify-synced plays in the file's
    time range (to merge with them): partial indexes hold only those plays, so the question
    costs nothing when there are none and an extended export's rows add no index entries."""
    for source in ("account", "spotify"):
        db.execute(f"CREATE INDEX plays_{source} ON plays(profile, played_at) WHERE source = '{source}'")


def _chats(db: Database) -> None:
    """Chat conversations and the playlists they made, per profile: they outlive a reload."""
    for statement in (
        """CREATE TABLE chats (
            id INTEGER PRIMARY KEY,
            profile TEXT NOT NULL,
            name TEXT NOT NULL,
            tracks INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            state_json TEXT NOT NULL
        )""",
        "CREATE INDEX chats_profile ON chats(profile, updated_at)",
    ):
        db.execute(statement)


# The steps in the order they were written; a store at user_version n has had the first n.
# Never reorder or edit a step that has shipped: add a new one.
def _catalog_lists(db: Database) -> None:
    """The curated playlists and subgenres each catalog track is listed in (the taste model's
    catalog rows; ``core.catalog.files.LIST_FIELDS``). Catalogs imported before this step
    have none until imported again."""
    db.execute("""CREATE TABLE catalog_lists (
        track_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('playlist', 'subgenre')),
        list TEXT NOT NULL,
        PRIMARY KEY (track_id, kind, list)
    ) WITHOUT ROWID""")


def _found_songs(db: Database) -> None:
    """Songs found for Discover outside the person's files: the answer to every Spotify
    request the search for new songs made (asked once, never again), albums as catalog
    lists, and the songs Gemini suggested with the real track each resolved to (if any)."""
    for statement in (
        # catalog_lists gains the kind 'album' (a CHECK cannot be altered: the table is rebuilt,
        # without ALTER TABLE RENAME, which would attach a 'temp' schema to the connection)
        "CREATE TABLE catalog_lists_kept AS SELECT track_id, kind, list FROM catalog_lists",
        "DROP TABLE catalog_lists",
        """CREATE TABLE catalog_lists (
            track_id TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('playlist', 'subgenre', 'album')),
            list TEXT NOT NULL,
            PRIMARY KEY (track_id, kind, list)
        ) WITHOUT ROWID""",
        "INSERT INTO catalog_lists SELECT track_id, kind, list FROM catalog_lists_kept",
        "DROP TABLE catalog_lists_kept",
        # One row per request answered ("search artist:\"X\"", "artist albums <id>", "album
        # tracks <id>"), with the part of the answer Encore keeps. Not per profile: what
        # Spotify's catalog answers does not depend on who asked. A refused request is not
        # stored: it may be answered another day.
        """CREATE TABLE spotify_requests (
            request TEXT PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('search', 'artist albums', 'album tracks')),
            result_json TEXT NOT NULL,
            fetched_at TEXT NOT NULL
        ) WITHOUT ROWID""",
        # What Gemini proposed for a profile, and the real track each proposal resolved to:
        # track_id NULL = no real track found (the proposal is kept only to be counted).
        """CREATE TABLE gemini_suggestions (
            profile TEXT NOT NULL,
            artist_name TEXT NOT NULL,
            track_name TEXT NOT NULL,
            asked_at TEXT NOT NULL,
            track_id TEXT,
            resolved_by TEXT CHECK (resolved_by IN ('catalog', 'spotify')),
            PRIMARY KEY (profile, artist_name, track_name)
        ) WITHOUT ROWID""",
    ):
        db.execute(statement)


MIGRATIONS: tuple[tuple[str, Callable[[Database], None]], ...] = (
    ("listening history", _listening_history),
    ("catalogs and matches", _catalogs_and_matches),
    ("spotify connection", _spotify_connection),
    ("taste models", _taste_models),
    ("chat feedback", _chat_feedback),
    ("exact plays, songs, sharing profiles, undoable imports", _exact_plays_songs_profiles),
    ("plays by source", _plays_by_source),
    ("chats", _chats),
    ("catalog lists", _catalog_lists),
    ("songs found on Spotify and suggested by Gemini", _found_songs),
)


def migrate(db: Database) -> int:
    """Apply pending migrations, each in its own transaction; return the new version.

    Each step takes the write lock (``BEGIN IMMEDIATE``) before it reads the version, so
    two processes opening a new store at once never both run a step: the second waits,
    then sees the step done and skips it.
    """
    conn = db.conn
    for number, (_, step) in enumerate(MIGRATIONS, start=1):
        if schema_version(db) >= number:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            if schema_version(db) < number:  # another process may have applied it while we waited
                step(db)
                conn.execute(f"PRAGMA user_version = {number}")
        except BaseException:
            conn.rollback()
            raise
        conn.commit()
    return schema_version(db)
