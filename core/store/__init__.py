"""The SQLite store: every read and write of Encore's data, and nothing else does SQL.

One SQLite file opened through sqlite-utils (``open_store``). The package is split by what
is stored; this module is its API, so callers write ``store.insert_plays(...)`` whatever
file a function lives in:

- ``connection``: opening the store, the data and catalog version counters
- ``schema``: the columns of a play and a catalog track; migrations as named steps
- ``profiles``: the people who live in one store
- ``imports``: the imports log and its journal; undoing an import
- ``plays``: writing plays a file at a time, reading them back
- ``songs``: the person's own song merges and splits
- ``library``: playlists and saved items
- ``catalog``: catalog tracks, genres, name keys and matches
- ``taste``: trained models, imputed features, likes and dislikes, Gemini's suggestions
- ``chats``: chat conversations and the playlists they made
- ``spotify``: syncs, top lists, id searches, playlist saves, requests made to find new songs
"""
# --- the package's API (generated from its modules' public names) ---
from core.store.catalog import (  # noqa: F401
    BULK_CATALOG_ROWS,
    SPOTIFY_CATALOG,
    SYNTHETIC_CATALOG,
    catalog_candidates,
    catalog_feature_rows,
    catalog_list_rows,
    catalog_rows_without_keys,
    catalog_track,
    catalog_tracks_by_name_key,
    catalog_tracks_with_features,
    count_catalog_tracks,
    delete_catalog,
    delete_catalog_tracks,
    history_tracks,
    insert_catalog_genres,
    insert_catalog_tracks,
    known_track_names,
    list_catalogs,
    list_track_matches,
    match_counts,
    matched_features,
    matched_genres,
    name_matches,
    record_catalog,
    replace_track_matches,
    search_catalog_tracks,
    set_catalog_name_keys,
    set_match_undone,
    track_durations,
    track_ids_without_features,
    undo_track_match,
    update_catalog_track,
    write_catalog,
)
from core.store.chats import (  # noqa: F401
    delete_chat,
    list_chats,
    load_chat,
    rename_chat,
    save_chat,
)
from core.store.connection import (  # noqa: F401
    BUSY_TIMEOUT_S,
    DEFAULT_DB_PATH,
    IN_CHUNK,
    REPO_ROOT,
    bump_catalog_version,
    bump_data_version,
    catalog_version,
    count_rows,
    data_version,
    frame_version,
    has_staging,
    open_memory_store,
    open_store,
    read_transaction,
    resolve_db_path,
    sql_literal,
    store_id,
    utc_now,
    write_transaction,
)
from core.store.imports import (  # noqa: F401
    finish_import,
    journal,
    journal_plays,
    list_imports,
    start_import,
    undo_import,
)
from core.store.library import (  # noqa: F401
    PlaylistRecord,
    delete_spotify_playlists_except,
    insert_library_items,
    list_playlists,
    next_playlist_ordinal,
    playlist_row,
    playlist_track_labels,
    playlist_track_uris,
    playlist_tracks,
    remove_playlist_tracks,
    rename_playlist,
    set_playlist_spotify_id,
    upsert_playlist,
)
from core.store.plays import (  # noqa: F401
    SPOTIFY_PLAY_MATCH_S,
    account_play_keys,
    count_plays,
    delete_spotify_plays_covered,
    detailed_play_keys,
    drop_legacy_offline_twins,
    has_legacy_offline_times,
    insert_plays,
    key_order,
    play_columns,
    play_sources,
    play_summary,
    play_title,
    plays_near,
    streams_by_artist,
    upgrade_plays,
)
from core.store.profiles import (  # noqa: F401
    DEFAULT_PROFILE,
    delete_profile,
    ensure_profile,
    is_demo_profile,
    list_profiles,
    profile_exists,
    profile_rows,
    profile_tables,
    profiles_with_music,
    rename_profile,
    set_sharing,
    sharing_profiles,
)
from core.store.schema import (  # noqa: F401
    CATALOG_COLUMNS,
    CATALOG_EDIT_COLUMNS,
    CATALOG_FEATURES,
    DERIVED_COLUMNS,
    FRAME_NUMBER_COLUMNS,
    FRAME_TEXT_COLUMNS,
    MIGRATIONS,
    MUSIC_TRACK_WHERE,
    PLAY_COLUMNS,
    PLAY_FIELDS,
    PLAY_SOURCES,
    TITLE_KEY_INDEX,
    TITLE_KEY_SQL,
    TRACK_KEY_SQL,
    attach_staging,
    migrate,
    schema_version,
)
from core.store.songs import (  # noqa: F401
    remove_song_edits,
    set_song_edits,
    song_edits,
)
from core.store.spotify import (  # noqa: F401
    apply_spotify_searches,
    count_spotify_requests,
    last_spotify_syncs,
    list_spotify_searches,
    list_spotify_top_items,
    record_spotify_request,
    record_spotify_search,
    record_spotify_sync,
    replace_spotify_top_items,
    spotify_request,
    spotify_request_results,
    spotify_save,
    start_spotify_save,
    unfinished_spotify_saves,
    unresolved_track_names,
    update_spotify_save,
)
from core.store.taste import (  # noqa: F401
    gemini_track_ids,
    imputed_features,
    latest_gemini_suggestions,
    latest_model,
    list_feedback,
    record_gemini_suggestions,
    save_model_record,
    set_feedback,
    set_model_metrics,
)
