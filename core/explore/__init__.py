"""Explore: the listening life in aggregates and charts (the Explore pages and ``core top``).

- ``filters``: the shared controls (time zone, dates, content, stream rule) -> the frame
- ``periods``: days, weeks, months, years on the local wall clock
- ``overview``: totals and listening time; ``tops``: top artists, songs and albums
- ``clock``: hour x weekday; ``detail``: one artist or song over time
- ``discovery``: first listens; ``habits``: sessions, skips, reasons, devices, places
- ``recap``: the year in review (data, HTML, PNG); ``mood``: the sound of the listening
- ``charts``: aggregates -> Altair, one look everywhere (pages draw only these)
"""
# --- the package's API (generated from its modules' public names) ---
from core.explore.charts import (  # noqa: F401
    ACCENT,
    AUTOSIZE,
    BAR_SHARE,
    CATEGORY_SCHEME,
    HEIGHT,
    PERIOD_FORMATS,
    PERIOD_INDEX,
    PERIOD_TIME_UNITS,
    SCHEME,
    TIME_LABELS,
    YEARLY_TICKS_FROM,
    bar_ranking,
    bars_over_time,
    coverage_by_year,
    coverage_over_time,
    features_by_hour,
    features_over_time,
    heatmap,
    histogram,
    line_over_time,
    model_comparison,
    month_chart,
    monthly_axes,
    percent_label,
    rank_over_time,
    rank_ticks,
    rate_over_time,
    share_bars,
    share_columns,
    tall,
    time_axis,
    timeline_chart,
)
from core.explore.clock import (  # noqa: F401
    WEEKDAYS,
    WEEKEND,
    clock_heatmap,
    top_artist_by_hour,
    weekday_vs_weekend,
)
from core.explore.detail import (  # noqa: F401
    artist_detail,
    song_versions,
    track_detail,
)
from core.explore.discovery import (  # noqa: F401
    first_listen_timeline,
    first_listens,
    new_per_month,
)
from core.explore.filters import (  # noqa: F401
    COUNTRY_TIMEZONES,
    Filters,
    apply_filters,
    guess_timezone,
    localise,
    mark_streams,
    select,
    select_content,
    select_dates,
    select_rows,
)
from core.explore.habits import (  # noqa: F401
    REASON_MEANINGS,
    UNKNOWN_COUNTRY,
    UNKNOWN_COUNTRY_LABEL,
    countries,
    coverage,
    has_details,
    longest_sessions,
    offline_incognito,
    platforms,
    reasons,
    session_streams,
    sessions,
    shuffle_share,
    skip_rate_over_time,
    skip_rules_by_year,
    skip_summary,
)
from core.explore.mood import (  # noqa: F401
    FEATURES,
    FIRST_RELEASE_YEAR,
    HAPPY_FROM,
    LOW_COVERAGE,
    MIN_MINUTES,
    MIN_SHARE,
    MOODS,
    SAD_BELOW,
    UNIT_FEATURES,
    coverage_summary,
    features_by_month,
    genres_by_mood,
    is_enough,
    join_features,
    listening_age,
    listening_age_by_year,
    long_features,
    mood_of,
    mood_split,
    release_decades,
    song_features,
    sound_by_hour,
    track_table,
    weighted_median,
)
from core.explore.overview import (  # noqa: F401
    listening_time,
    totals,
)
from core.explore.periods import (  # noqa: F401
    PERIODS,
    UNIT,
    Period,
    calendar_years,
    local_wall,
    period_codes,
    period_starts,
    span,
    totals_per_period,
    wall_clock,
)
from core.explore.recap import (  # noqa: F401
    CARD_WIDTH,
    MONTHS,
    TOP_N,
    WEEKDAY_NAMES,
    BusiestDay,
    NewArtist,
    Recap,
    Streak,
    TopAlbum,
    TopArtist,
    TopMonth,
    TopTrack,
    day_label,
    longest_streak,
    recap_chart,
    recap_html,
    recap_png,
    recap_tables,
    short_day,
    streak_label,
    streak_length,
    streak_span,
    year_recap,
    years_available,
)
from core.explore.tops import (  # noqa: F401
    SEPARATOR,
    ItemKind,
    RankBy,
    movement_arrow,
    previous_period,
    ranked_items,
    top_items,
)
