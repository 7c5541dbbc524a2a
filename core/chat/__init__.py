"""Chat: a playlist asked for in plain words and refined turn by turn; every track is real.

- ``requests``: the ``Turn`` a message becomes (a fixed set of validated edits)
- ``interpreter``: message -> Turn, offline (English patterns); ``gemini``: the same with Gemini
- ``pool``: the candidate songs (the listener's history and catalog songs with features)
- ``composer``: a turn folded into settings; the next version of the playlist from the pool
- ``conversation``: one turn end to end, versions, undo, directions to pick from
- ``exports``: the playlist as rows, CSV, M3U and JSON
- ``suggest``: songs Gemini suggests for Discover, kept only when they are real tracks
"""
# --- the package's API (generated from its modules' public names) ---
from core.chat.composer import (  # noqa: F401
    DEFAULT_FAMILIARITY,
    DEFAULT_LENGTH,
    DISLIKE_RADIUS,
    ESTIMATE_PENALTY,
    FIT_MARGIN,
    MIN_KEPT,
    MINE_FAMILIARITY,
    MOOD_MARGIN,
    SHIFT,
    SOUND,
    STICKY_BONUS,
    UNKNOWN_DISTANCE,
    Settings,
    Version,
    add_like,
    allowed,
    apply_turn,
    artist_cap,
    closeness,
    compose,
    directions,
    edit,
    effective_cap,
    feedback,
    find_artists,
    find_tracks,
    fold_turn,
    keep_only,
    liking,
    mean_feature,
    name_for,
    reasons,
    score,
    total_minutes,
)
from core.chat.conversation import (  # noqa: F401
    NEW_PLAYLIST,
    SUMMARY_TOP,
    Conversation,
    Reply,
    duplicate,
    open_saved,
    pick_direction,
    rename,
    save,
    summary,
    take_turn,
)
from core.chat.exports import (  # noqa: F401
    table,
    to_csv,
    to_json,
    to_m3u,
)
from core.chat.gemini import (  # noqa: F401
    DATA_LIMIT,
    DEFAULT_MODEL,
    GEMINI_TIMEOUT_MS,
    SYSTEM_INSTRUCTION,
    GeminiFailed,
    ask_structured,
    context_block,
    gemini_config,
    gemini_schema,
    interpret_gemini,
    make_client,
    turn_schema,
)
from core.chat.interpreter import (  # noqa: F401
    ARTIST_TYPO_CUTOFF,
    CAPABILITIES,
    KEYWORDS,
    MAX_MESSAGE,
    Interpretation,
    Vocabulary,
    interpret,
    interpret_local,
)
from core.chat.pool import (  # noqa: F401
    MAX_CATALOG_CANDIDATES,
    NEAR_ARTISTS,
    NEAR_SONGS,
    POOL_COLUMNS,
    build_pool,
    load_pool,
    model_liking,
    prepare_pool,
)
from core.chat.requests import (  # noqa: F401
    FEATURES,
    MAX_LENGTH,
    TEMPO_SCALE,
    Era,
    Feature,
    Shift,
    Turn,
)
from core.chat.suggest import (  # noqa: F401
    MAX_SUGGESTIONS,
    SUGGEST_INSTRUCTION,
    SUGGESTIONS,
    Suggestion,
    Suggestions,
    SuggestResult,
    ask_suggestions,
    listener_summary,
    result_of,
    suggest_songs,
)
