"""Getting data in: Spotify's export files -> plays, playlists and library items in the store.

- ``exports``: every export format and generation -> normalised rows (pure parsing)
- ``importer``: files -> store, one transaction per file, and the report
- ``profiles``: naming, renaming, deleting and sharing profiles; undoing an import
- ``demo``: the deterministic synthetic listener (an export it writes, then imports)
"""
# --- the package's API (generated from its modules' public names) ---
from core.ingest.demo import (  # noqa: F401
    AUDIO_FEATURES,
    CATALOG_KEYS,
    DEMO_PLAYS,
    DOCUMENTATION_IP,
    EXPORT_FOLDER,
    PLAY_KEYS,
    build_demo,
    catalog_rows,
    generate_catalog,
    generate_plays,
    write_export,
)
from core.ingest.exports import (  # noqa: F401
    ACCOUNT_AUDIOBOOK,
    ACCOUNT_MUSIC,
    ACCOUNT_PODCAST,
    CSV_FILE,
    EXTENDED,
    EXTENDED_VIDEO,
    KIND_LABELS,
    LIBRARY,
    MAX_REJECTED_ROW_NUMBERS,
    MAX_TEXT_LENGTH,
    MAX_ZIP_RATIO,
    MAX_ZIP_TOTAL_BYTES,
    PARSERS,
    PLAYLISTS,
    ExtendedRecord,
    InputFile,
    ParsedFile,
    RowProblem,
    Skipped,
    account_row,
    convert_extended,
    csv_records,
    decode_extended,
    decode_json,
    decode_text,
    extended_generation,
    extended_row,
    extended_rows_columnar,
    find_inputs,
    flag,
    json_type,
    kind_from_name,
    milliseconds,
    normalise_reason,
    offline_time,
    parse_account_end_time,
    parse_end_time,
    parse_file,
    platform_family,
    text,
    track_id_from_uri,
)
from core.ingest.importer import (  # noqa: F401
    CONTENT_TYPES,
    DEMO_PROFILE,
    FileReport,
    ImportReport,
    RejectedRows,
    format_report,
    import_files,
)
from core.ingest.profiles import (  # noqa: F401
    MAX_NAME,
    check_name,
    create_profile,
    delete_profile,
    rename_profile,
    undo_import,
)
