"""The person's listening as every capability reads it: plays, songs, skips, sessions.

- ``frame``: a profile's plays from the store as one frame (and its snapshot, an Arrow file)
- ``songs``: one song however many Spotify ids it has (the rule, and the person's edits)
- ``skips``: a play the person cut short (one rule for every export generation)
- ``sessions``: plays split into listening sessions
- ``favourites``: forgotten favourites, one rule for every page
"""
# --- the package's API (generated from its modules' public names) ---
from core.history.favourites import (  # noqa: F401
    LOVE_HALF_LIFE_DAYS,
    LOVED_MIN,
    MIN_STREAMS,
    NOT_LATELY_DAYS,
    OVERPLAYED_TOP,
    QUIET_DAYS,
    RECENT_DAYS,
    USED_TO_QUIET_DAYS,
    WINDOW_DAYS,
    FavouritePart,
    favourite_part,
    forgotten_favourites,
    forgotten_of,
    overplayed,
    song_facts,
)
from core.history.frame import (  # noqa: F401
    CATEGORY_COLUMNS,
    CONTENT_TYPES,
    CREATOR_COLUMN,
    DEFAULT_MIN_MS,
    ITEM_COLUMN,
    LEVELS,
    column_codes,
    common_codes,
    creator_names,
    epoch_us,
    forget_snapshots,
    item_keys,
    item_names,
    level_keys,
    load_plays,
    load_plays_snapshot,
    play_order,
    rows_of,
    snapshot_path,
    track_keys,
    with_item_columns,
)
from core.history.sessions import (  # noqa: F401
    neighbour_counts,
    split_sessions,
)
from core.history.skips import (  # noqa: F401
    BASES,
    FULL_SHARE,
    SKIP_REASONS,
    judge,
)
from core.history.songs import (  # noqa: F401
    SPLIT_PREFIX,
    join,
    recordings,
    song_keys,
    split,
    split_key,
    undo_edits,
)
