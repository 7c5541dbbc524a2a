"""Catalogs: public track lists with audio features, and how a history is matched to them.

- ``files``: a catalog CSV (or zipped CSV) -> clean rows, genres and a report
- ``catalogs``: importing a catalog into the store; matching every history against it
- ``matching``: the pure id-then-name matching of history tracks to catalog rows
- ``coverage``: how much of a history has features; the name matches to review
- ``edits``: browsing, editing and deleting catalog entries
"""
# --- the package's API (generated from its modules' public names) ---
from core.catalog.catalogs import (  # noqa: F401
    fill_name_keys,
    import_catalog,
    match_history,
    rematch_all,
    restore_match,
    undo_match,
)
from core.catalog.coverage import (  # noqa: F401
    feature_matches,
    history_coverage,
    match_review,
)
from core.catalog.edits import (  # noqa: F401
    delete_tracks,
    edit_track,
    remove_catalog,
    validate_edit,
)
from core.catalog.files import (  # noqa: F401
    EDIT_NUMBER_FIELDS,
    EDIT_TEXT_FIELDS,
    FEATURES,
    FIELDS,
    FLAG_FIELDS,
    FORMATS,
    FORMULA_FIELDS,
    FORMULA_START,
    INTEGER_FIELDS,
    LIST_FIELDS,
    MAX_ROW_NUMBERS,
    MAX_ZIP_BYTES,
    MAX_ZIP_RATIO,
    NUMBER_FIELDS,
    REQUIRED,
    SHARES,
    TEXT_FIELDS,
    CatalogFormat,
    CatalogPreview,
    CatalogReport,
    ParsedCatalog,
    clean_catalog,
    clean_track_ids,
    detect_format,
    format_report,
    formula_like,
    join_artists,
    name_keys,
    parse_flags,
    preview_catalog,
    read_catalog,
    same_name_mapping,
    suggest_mapping,
    usable_headers,
    valid_dates,
    valid_numbers,
)
from core.catalog.matching import (  # noqa: F401
    MATCH_COLUMNS,
    feature_coverage,
    match_tracks,
    missing_top,
)
