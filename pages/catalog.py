"""Catalog: add audio-feature catalogs, see how much of the listening they cover, fix entries."""
from pathlib import Path

import pandas as pd
import streamlit as st

from core import catalog, explore, safety, store
from core.errors import EncoreError
from pages import _shared

_shared.through_navigation()

PAGE_SIZE = 50
NO_COLUMN = "— not in this file —"

db = _shared.get_db()
profile = st.session_state.get("profile", store.DEFAULT_PROFILE)

st.title("🗂️ Catalog and audio features")
st.caption("Energy, valence, tempo and the other audio features come from catalog files: Spotify stopped "
           "serving them to new apps in November 2024. A public catalog knows only some of anyone's tracks, "
           "so every page that uses features says how much of your listening they cover.")


@st.cache_data(show_spinner=False, max_entries=8)
def _coverage(key: tuple, catalog_version: int) -> dict:
    matches = catalog.feature_matches(_shared.get_db(), key[1])
    return catalog.history_coverage(_shared.all_plays(key[1]), matches)


@st.cache_data(show_spinner=False, max_entries=8)
def _review(key: tuple, catalog_version: int) -> pd.DataFrame:
    return catalog.match_review(_shared.get_db(), key[1], _shared.all_plays(key[1]))


def _percent(share: float) -> str:
    return f"{share:.0%}" if share >= 0.01 or share == 0 else "<1%"


# --- catalogs in the store --------------------------------------------------------------
catalogs = store.list_catalogs(db)
st.subheader("Catalogs in the store")
if catalogs:
    st.dataframe(pd.DataFrame(catalogs).rename(columns={"imported_at": "imported (UTC)"}), hide_index=True,
                 width="stretch")
    with st.expander("Remove a catalog"):
        gone = st.selectbox("Catalog", [c["name"] for c in catalogs], key="cat_remove_name")
        sure = st.checkbox(f"Yes, remove “{gone}” and the tracks it brought", key="cat_remove_sure")
        if st.button("Remove catalog", key="cat_remove", disabled=not sure):
            with st.spinner("Removing and matching your history again…"):
                deleted = catalog.remove_catalog(db, gone)
            st.session_state["cat_flash"] = f"Removed catalog “{_shared.plain(gone)}” ({deleted:,} tracks)."
            st.rerun()
else:
    st.info("No catalog yet. Add one below — the TidyTuesday 2020 `spotify_songs.csv` (about 28,000 tracks) "
            "is a good start.")
if flash := st.session_state.pop("cat_flash", None):
    st.success(flash)

# --- add a catalog ----------------------------------------------------------------------
st.subheader("Add a catalog")
st.markdown("Known out of the box: TidyTuesday 2020 `spotify_songs.csv`, Kaggle's *Spotify Tracks Dataset* "
            "and the *1.2M songs* `tracks_features.csv`. Any other CSV works through a column mapping. "
            "A zip holding one CSV is fine.")
CATALOG_SUFFIXES = (".csv", ".tsv", ".txt", ".zip")
# a new key after each import: the imported file leaves the uploader (and its warnings the page)
upload = st.file_uploader("Catalog file", type=[s.lstrip(".") for s in CATALOG_SUFFIXES],
                          key=f"cat_upload_{st.session_state.get('cat_imports', 0)}")
path_text = _shared.server_path_input("…or a path on this computer", key="cat_path",
                                     placeholder="/home/me/Downloads/spotify_songs.csv")
source: tuple[str, bytes | None] | None = None
if upload is not None:
    source = (upload.name, upload.getvalue())
elif path_text:
    try:
        source = (str(safety.check_typed_path(path_text, _shared.server_address(), CATALOG_SUFFIXES)), None)
    except EncoreError as exc:
        st.error(_shared.plain(exc), icon="⚠️")
        st.stop()

if source is not None:
    name, data = source
    try:
        preview = catalog.preview_catalog(name, data)
    except EncoreError as exc:
        st.error(_shared.plain(exc), icon="⚠️")
        st.stop()
    catalog_name = st.text_input("Name in the store", value=Path(name).name, key="cat_name",
                                 help="Importing again under the same name updates that catalog.")
    mapping = None
    if preview.format:
        st.caption(f"Recognised: **{preview.format}**.")
    else:
        st.warning(f"{_shared.plain(preview.label)}: not a catalog format Encore knows. Say which column holds what; "
                   "a track id and a title are required, every other field is optional.")
        options = [NO_COLUMN, *catalog.usable_headers(preview.headers)]
        with st.expander("Column mapping", expanded=True):
            cols = st.columns(3)
            mapping = {}
            for number, field in enumerate(catalog.FIELDS):
                guess = preview.suggested.get(field)
                chosen = cols[number % 3].selectbox(
                    field + (" (required)" if field in catalog.REQUIRED else ""), options,
                    index=options.index(guess) if guess in options else 0, key=f"cat_map_{field}")
                if chosen != NO_COLUMN:
                    mapping[field] = chosen
            if any(h.strip().lower() == "year" for h in preview.headers) and "release_year" not in mapping:
                st.caption("A column called “year” is not mapped to release_year by itself: in chart data it is "
                           "the year of the chart, not of the release. Map it if it is the release year.")
    if st.button("Import catalog", key="cat_import", type="primary", disabled=not catalog_name.strip()):
        bar = st.progress(0.0, text="Starting…")
        try:
            report = catalog.import_catalog(db, name, name=catalog_name.strip(), mapping=mapping, data=data,
                                            progress=lambda f, m: bar.progress(min(max(f, 0.0), 1.0), text=m))
        except EncoreError as exc:
            bar.empty()
            st.error(f"{_shared.plain(exc)} Nothing was imported.", icon="⚠️")
        else:
            st.session_state["cat_report"] = report
            st.session_state["cat_imports"] = st.session_state.get("cat_imports", 0) + 1
            st.session_state.pop("cat_path", None)
            st.rerun()

report: catalog.CatalogReport | None = st.session_state.get("cat_report")
if report is not None:
    lines = report.messages()
    st.success(_shared.plain(lines[0]))
    for line in lines[1:]:
        st.info(_shared.plain(line))
    mine = report.matches.get(profile)
    if mine:
        st.caption(f"For “{_shared.plain(profile)}”: {mine['matched_by_id']:,} tracks matched by id, {mine['matched_by_name']:,} "
                   f"by artist and title; {mine['history_tracks_with_features']:,} of {mine['history_tracks']:,} "
                   "tracks now have audio features.")

# --- coverage ---------------------------------------------------------------------------
st.subheader(f"How much of “{_shared.plain(profile)}”'s listening has audio features")
key = _shared.data_key(profile)
if _shared.profile_summary(profile)["all_plays"] == 0:
    st.info(f"Profile “{_shared.plain(profile)}” has no plays yet: import an export first.")
    st.stop()
version = store.catalog_version(db)
coverage = _coverage(key, version)
overall = coverage["overall"]
if overall["tracks"] == 0:
    st.info("No music in this profile (only podcasts or audiobooks): nothing to cover.")
else:
    cols = st.columns(4)
    cols[0].metric("Tracks with features", _percent(overall["track_share"]),
                   help=f"{overall['tracks_matched']:,} of {overall['tracks']:,} distinct tracks")
    cols[1].metric("…by Spotify id", _percent(overall["track_share_id"]))
    cols[2].metric("…by artist and title", _percent(overall["track_share_name"]))
    cols[3].metric("Listening time with features", _percent(overall["time_share"]),
                   help=f"{overall['ms_matched'] / 3.6e6:,.1f} of {overall['ms'] / 3.6e6:,.1f} hours of music")
    by_year = coverage["by_year"].reset_index()
    shares = by_year.melt(id_vars="year", value_vars=["time_share_id", "time_share_name"], var_name="matched",
                          value_name="share")
    shares["matched"] = shares["matched"].map({"time_share_id": "by id", "time_share_name": "by artist and title"})
    shares["percent"] = shares["share"] * 100
    shares["year"] = shares["year"].astype(str)
    chart = explore.coverage_by_year(shares)
    _shared.chart(st, chart, width="stretch")
    table = by_year[["year", "tracks", "tracks_matched", "track_share", "time_share_id", "time_share_name",
                     "time_share"]].assign(hours=by_year["ms"] / 3.6e6)
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        "year": st.column_config.NumberColumn(format="%d"),
        "tracks_matched": "tracks with features",
        "track_share": st.column_config.NumberColumn("share of tracks", format="percent"),
        "time_share_id": st.column_config.NumberColumn("time, by id", format="percent"),
        "time_share_name": st.column_config.NumberColumn("time, by name", format="percent"),
        "time_share": st.column_config.NumberColumn("time, total", format="percent"),
        "hours": st.column_config.NumberColumn(format="%.1f"),
    })
    st.caption("Years are calendar years (UTC) of when a play started; music only.")
    missing = coverage["missing"]
    if not missing.empty:
        st.markdown("**Heavily played tracks still without features**")
        # the Spotify id where the export has one (a raw key "artist — title" says nothing new)
        ids = missing["track_key"].astype(object).where(~missing["track_key"].astype(str).str.contains(" — "))
        st.dataframe(missing.assign(hours=missing["ms_played"] / 3.6e6, spotify_id=ids)[
            ["artist_name", "track_name", "plays", "hours", "spotify_id"]], hide_index=True, width="stretch",
            column_config={"hours": st.column_config.NumberColumn(format="%.1f"),
                           "artist_name": "artist", "track_name": "track",
                           "spotify_id": st.column_config.TextColumn("Spotify id")})
        st.caption("A bigger catalog, or one with the genres you play most, fills these in. "
                   "Tracks imported without an id match by artist and title only.")

# --- name matches -----------------------------------------------------------------------
review = _review(key, version)
st.subheader("Matches by artist and title")
if review.empty:
    st.caption("No track of this profile is matched by name: every match is by Spotify id, which is exact.")
else:
    st.caption("A name match can be wrong (a cover, a different song with the same name). Undo it and the track "
               "counts as unmatched, also after later catalog imports.")
    shown = review.assign(status=review["undone"].map({True: "undone", False: "matched"}))
    st.dataframe(shown[["history_artist", "history_title", "catalog_artist", "catalog_title", "catalog_album",
                        "plays", "status", "source"]], hide_index=True, width="stretch")
    labels = {k: f"{a} — {t}  →  {ca} — {ct}" for k, a, t, ca, ct in zip(
        review["track_key"], review["history_artist"], review["history_title"], review["catalog_artist"],
        review["catalog_title"])}
    picked = st.selectbox("Match", list(labels), format_func=labels.get, key="cat_match_pick")
    undone = bool(review.set_index("track_key").loc[picked, "undone"])
    if st.button("Restore this match" if undone else "Undo this match", key="cat_match_toggle"):
        if undone:
            catalog.restore_match(db, profile, picked)
        else:
            catalog.undo_match(db, profile, picked)
        st.rerun()

# --- browse, search, edit, delete -------------------------------------------------------
st.subheader("Browse and edit the catalog")
query = st.text_input("Search by title, artist, album or track id", key="cat_query")
total = store.count_catalog_tracks(db, query)
if total == 0:
    st.caption("No catalog tracks match." if query else "The catalog is empty.")
    st.stop()
pages = (total - 1) // PAGE_SIZE + 1
page = st.number_input(f"Page (of {pages:,}; {total:,} tracks)", min_value=1, max_value=pages, value=1,
                       key=f"cat_page_{query}") if pages > 1 else 1
rows = store.search_catalog_tracks(db, query, limit=PAGE_SIZE, offset=(int(page) - 1) * PAGE_SIZE)
found = pd.DataFrame(rows)
st.dataframe(found, hide_index=True, width="stretch")

options = {r["track_id"]: f"{r['artist_name'] or '?'} — {r['track_name'] or '?'} ({r['track_id']})" for r in rows}
chosen = st.selectbox("Track to edit", list(options), format_func=options.get, key="cat_edit_pick")
track = store.catalog_track(db, chosen)
if track is not None:
    with st.form("cat_edit_form"):
        st.caption(f"From catalog “{_shared.plain(track['source'])}”. "
                   f"Genres: {_shared.plain(', '.join(track['genres']) or 'none')}. "
                   "Leave a value empty when it is unknown.")
        cols = st.columns(3)
        changes = {}
        for number, field in enumerate(store.CATALOG_EDIT_COLUMNS):
            value = track.get(field)
            changes[field] = cols[number % 3].text_input(field, value="" if value is None else str(value),
                                                        key=f"cat_edit_{chosen}_{field}")
        saved = st.form_submit_button("Save changes")
    if saved:
        try:
            catalog.edit_track(db, chosen, changes)
        except EncoreError as exc:
            st.error(f"{_shared.plain(exc)} Nothing was changed.", icon="⚠️")
        else:
            st.session_state["cat_flash"] = f"Saved {options[chosen]}."
            st.rerun()
    sure = st.checkbox("Yes, delete this track from the catalog", key="cat_delete_sure")
    if st.button("Delete track", key="cat_delete", disabled=not sure):
        catalog.delete_tracks(db, [chosen])
        st.session_state.pop("cat_delete_sure", None)
        st.session_state["cat_flash"] = f"Deleted {options[chosen]}."
        st.rerun()
