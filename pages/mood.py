"""Mood: how your music sounds — month by month, by mood and genre, by hour, and by release era."""
import pandas as pd
import streamlit as st

from core import explore, store
from core.explore.charts import percent_label as percent
from pages import _shared

_shared.through_navigation()

profile = st.session_state.get("profile", store.DEFAULT_PROFILE)
filters = _shared.explore_controls(profile)
frame = _shared.explore_frame(profile, filters)
st.title("Mood")
if _shared.empty_state(frame.empty, profile):
    st.stop()


@st.cache_data(show_spinner=False, max_entries=8)
def _tracks(key: tuple, catalog_version: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    # keyed on the catalog version too: importing a catalog or undoing a match changes the
    # features without changing a single play
    db = store.open_store(key[0])
    try:
        # per song: a play of any of a song's ids gets the features a catalog knows for one of them
        features, genres = explore.song_features(store.matched_features(db, key[1]), store.matched_genres(db, key[1]),
                                                 _shared.all_plays(key[1]))
        return explore.track_table(features, genres), genres
    finally:
        db.close()


@st.cache_data(show_spinner=False, max_entries=32)
def _aggregates(key: tuple, catalog_version: int, filters: explore.Filters) -> dict:
    tracks, genres = _tracks(key, catalog_version)
    joined = explore.join_features(_shared.explore_frame(key[1], filters), tracks)
    return {
        "coverage": explore.coverage_summary(joined),
        "months": explore.features_by_month(joined),
        "hours": explore.sound_by_hour(joined),
        "moods": explore.mood_split(joined),
        "genres": explore.genres_by_mood(joined, genres),
        "decades": explore.release_decades(joined),
        "age": explore.listening_age(joined),
        "age_by_year": explore.listening_age_by_year(joined),
    }


def go_to_catalog() -> None:
    st.page_link("pages/catalog.py", label="Go to Catalog", icon="🗂️")


def based_on(share: float, hours: float, total: float) -> str:
    return f"Based on {percent(share)} of your music listening in this range ({hours:,.1f} of {total:,.1f} h)."


def blanks(table: pd.DataFrame, unit: str) -> str:
    """Say how many rows the "too little" rule left blank, among those with any listening."""
    listened = table["hours"] > 0
    hidden = int((listened & ~table["enough"]).sum())
    if not hidden:
        return ""
    return (f" {hidden} of {int(listened.sum())} {unit} left blank: under {explore.MIN_MINUTES} minutes of listening "
            f"with features, or under {explore.MIN_SHARE:.0%} of that {unit[:-1]}'s listening.")


key = _shared.data_key(profile)
catalog_version = store.catalog_version(_shared.get_db())
tracks, _ = _tracks(key, catalog_version)
if tracks.empty:
    st.info(f"No audio features for profile “{_shared.plain(profile)}” yet, so there is nothing to chart here. Spotify no longer "
            "gives audio features to new apps: add a catalog file (for example the TidyTuesday songs CSV) on the "
            "Catalog page, and Encore matches your tracks to it.")
    go_to_catalog()
    st.stop()

facts = _aggregates(key, catalog_version, filters)
coverage = facts["coverage"]
if coverage["music_hours"] == 0:
    st.info("No music in this selection: podcasts and audiobooks have no audio features. Pick Music in the sidebar.")
    st.stop()
if coverage["matched_hours"] == 0:
    st.info("None of the music in this range has audio features. Widen the date range, or add a catalog that "
            "knows more of your tracks on the Catalog page.")
    go_to_catalog()
    st.stop()

cols = st.columns(3)
cols[0].metric("Music listening with features", percent(coverage["share"]),
               help="Share of your music listening time (in this range) whose track has audio features.")
cols[1].metric("Tracks with features", f"{coverage['matched_tracks']:,} of {coverage['tracks']:,}")
cols[2].metric("Hours with features", f"{coverage['matched_hours']:,.1f}")
if coverage["low"]:
    st.warning(f"Only {percent(coverage['share'])} of your music listening has audio features (under "
               f"{explore.LOW_COVERAGE:.0%}): these charts describe the tracks the catalogs know, which may not be "
               "typical of the rest. A bigger catalog on the Catalog page would tell more.")
    go_to_catalog()
st.caption("Every mean weighs each play by the time it played. Podcasts and audiobooks are left out.")

# --- Over time ---------------------------------------------------------------------------
st.subheader("Your sound over time")
shown = st.multiselect("Features", list(explore.UNIT_FEATURES), default=list(explore.UNIT_FEATURES), key="mood_features",
                       help="Spotify's audio features, each from 0 to 1. Tempo (beats per minute) has its own chart."
                       ) or list(explore.UNIT_FEATURES)
months = facts["months"]
month_note = based_on(coverage["share"], coverage["matched_hours"], coverage["music_hours"]) + blanks(months,
                                                                                                       "months")
if not months["enough"].any():
    st.info(f"No month has enough listening with features to mean much (at least {explore.MIN_MINUTES} minutes, and "
            f"{explore.MIN_SHARE:.0%} of the month). Widen the date range.")
else:
    _shared.chart(st, explore.features_over_time(explore.long_features(months, "month", shown),
                                                "Your sound per month"), width="stretch")
    _shared.chart(st, explore.features_over_time(explore.long_features(months, "month", ["tempo"]), "Tempo per month",
                                                unit_scale=False, y_title="BPM"), width="stretch")
    st.caption(month_note)
_shared.chart(st, explore.coverage_over_time(months[["month", "hours", "matched_hours", "coverage"]], "month",
                                            "Share of listening with audio features, per month"), width="stretch")
st.caption("Months in which few of your tracks are known say little about how that month sounded.")

# --- Moods and genres --------------------------------------------------------------------
st.subheader("Moods and genres")
split = facts["moods"].set_index("mood")
valence = {"sad": f"below {explore.SAD_BELOW}", "neutral": f"from {explore.SAD_BELOW} to below {explore.HAPPY_FROM}",
           "happy": f"from {explore.HAPPY_FROM}"}
cols = st.columns(3)
for column, name in zip(cols, explore.MOODS):
    column.metric(f"{name.capitalize()} music", percent(split.loc[name, "share"]),
                  help=f"Share of the listening with a known valence that went to tracks with a valence "
                       f"{valence[name]}.")
genres = facts["genres"]
cols = st.columns(3)
for column, name in zip(cols, explore.MOODS):
    mine = genres[genres["mood"] == name]
    if mine.empty:
        column.info(f"Too little {name} music with a genre to rank (under {explore.MIN_MINUTES} minutes).")
        continue
    _shared.chart(column, explore.share_bars(mine, "genre", "share", f"{name.capitalize()}: top genres",
                                            tooltip=["hours"]), width="stretch")
st.caption(f"Moods by Spotify's valence: sad below {explore.SAD_BELOW}, happy from {explore.HAPPY_FROM}, neutral between. "
           "A track with several genres splits its time between them. Based on the "
           f"{percent(coverage['mood_share'])} of your music listening in this range whose track has a valence and "
           "a genre.")

# --- By hour -----------------------------------------------------------------------------
st.subheader("Your sound by hour of the day")
hours = facts["hours"]
if not hours["enough"].any():
    st.info(f"No hour of the day has enough listening with features to mean much (at least {explore.MIN_MINUTES} "
            "minutes). Widen the date range.")
else:
    _shared.chart(st, explore.features_by_hour(explore.long_features(hours, "hour", shown),
                                              "Your sound by hour of the day"), width="stretch")
    _shared.chart(st, explore.features_by_hour(explore.long_features(hours, "hour", ["tempo"]),
                                              "Tempo by hour of the day", unit_scale=False, y_title="BPM"),
                      width="stretch")
    st.caption(f"Local time in {filters.tz}, by the hour each play started. "
               + based_on(coverage["share"], coverage["matched_hours"], coverage["music_hours"])
               + blanks(hours, "hours"))

# --- Release era -------------------------------------------------------------------------
st.subheader("Release era")
age = facts["age"]
if pd.isna(age["age"]):
    st.info("None of these tracks has a release year in the catalog.")
else:
    cols = st.columns(3)
    cols[0].metric("Listening age", f"{age['age']:.0f} years",
                   help="Half of your (dated) listening time went to music at most this many years old when you "
                        "played it: the time-weighted median of play year minus release year.")
    cols[1].metric("Median release year", f"{age['median_release_year']:.0f}")
    cols[2].metric("Listening with a release year", percent(age["coverage"]))
    _shared.chart(st, explore.share_columns(facts["decades"], "label", "share", "Listening time by release decade",
                                           sort=facts["decades"]["label"].tolist(), tooltip=["hours"]),
                      width="stretch")
    by_year = facts["age_by_year"]
    st.dataframe(pd.DataFrame({
        "year": by_year["year"],
        "listening age": [f"{a:.0f} years" if ok else "too little to tell"
                          for a, ok in zip(by_year["age"], by_year["enough"])],
        "hours with a release year": by_year["matched_hours"],
        "share of listening": by_year["coverage"].map(percent),
    }), hide_index=True, width="stretch",
        column_config={"year": st.column_config.NumberColumn("year", format="%d"),
                       "hours with a release year": st.column_config.NumberColumn(format="%,.1f")})
    newest, last_year = age["newest_release_year"], int(by_year["year"].max())
    stale = (f" The newest release among your matched tracks is from {newest:.0f}: a catalog knows nothing newer "
             f"than itself, so your listening after {newest:.0f} looks older here than it was."
             if newest < last_year - 1 else "")
    st.caption(based_on(age["coverage"], age["hours"], coverage["music_hours"])
               + " Listening age: your local year of listening minus the release year (0 when the catalog dates "
                 "a track after you played it, e.g. a remaster). Years with too little dated listening show no age."
               + stale)

st.divider()
_shared.download_buttons(frame, "mood")
