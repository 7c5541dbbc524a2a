"""AppTests for the Catalog page: add a catalog (known schema, column mapping), coverage,
undo a name match, edit and delete entries, and the errors a person can cause."""
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core import store
from tests.conftest import HOME, open_page, page_captions, shown
from tests.test_catalog import CATALOGS, HISTORY, add_plays
from tests.test_pages_overview_clock_detail import chart_data


@pytest.fixture
def db_path(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "app.db"
    monkeypatch.setenv("ENCORE_DB", str(path))
    db = store.open_store(path)
    add_plays(db, "me", HISTORY)
    db.conn.close()
    return path


def catalog_page() -> AppTest:
    return open_page("pages/catalog.py", profile="me")


def upload(at: AppTest, name: str, text: str | bytes) -> AppTest:
    data = text.encode("utf-8") if isinstance(text, str) else text
    imports = at.session_state["cat_imports"] if "cat_imports" in at.session_state else 0
    at.file_uploader(key=f"cat_upload_{imports}").set_value((name, data, "text/csv")).run()
    assert not at.exception
    return at


def test_an_empty_store_explains_what_to_add(db_path):
    at = catalog_page()
    assert shown(at.info[0].value).startswith("No catalog yet. Add one below")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"Tracks with features": "0%", "…by Spotify id": "0%", "…by artist and title": "0%",
                       "Listening time with features": "0%"}


def test_adding_a_known_catalog_shows_what_it_contributed_and_the_coverage(db_path):
    at = upload(catalog_page(), "catalog_tidytuesday.csv", CATALOGS["catalog_tidytuesday.csv"])
    assert page_captions(at)[1] == "Recognised: **TidyTuesday 2020 spotify_songs.csv**."
    at.button(key="cat_import").click().run()
    assert not at.exception
    assert shown(at.success[0].value) == ("catalog_tidytuesday.csv: TidyTuesday 2020 spotify_songs.csv, 5 rows, 4 tracks "
                                   "(4 new to the store), 5 track genres.")
    # id match (Maroon 5) and name match (Ed Sheeran) of the five history tracks
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"Tracks with features": "40%", "…by Spotify id": "20%", "…by artist and title": "20%",
                       "Listening time with features": "40%"}
    catalogs = at.dataframe[0].value
    assert catalogs[["name", "rows", "tracks", "format"]].to_dict("records") == [
        {"name": "catalog_tidytuesday.csv", "rows": 5, "tracks": 4, "format": "TidyTuesday 2020 spotify_songs.csv"}]
    years = chart_data(at, "Share of each year's listening time with audio features")
    assert years[["year", "matched", "percent"]].to_dict("records") == [
        {"year": "2024", "matched": "by id", "percent": 20.0},
        {"year": "2024", "matched": "by artist and title", "percent": 20.0}]
    missing = at.dataframe[2].value
    assert sorted(missing["track_name"]) == ["Comedy", "Get Lucky", "Unknown Song"]
    assert "track_key" not in missing.columns and "spotify_id" in missing.columns  # no raw internal key


def test_an_unknown_csv_goes_through_the_column_mapping_form(db_path):
    at = upload(catalog_page(), "custom.csv", CATALOGS["catalog_custom.csv"])
    assert shown(at.warning[0].value).startswith("custom.csv: not a catalog format Encore knows.")
    assert at.selectbox(key="cat_map_track_id").value == "Spotify URI"
    assert at.selectbox(key="cat_map_tempo").value == "— not in this file —"
    at.selectbox(key="cat_map_tempo").set_value("BPM")
    at.selectbox(key="cat_map_genre").set_value("Style").run()
    at.button(key="cat_import").click().run()
    assert not at.exception
    assert shown(at.success[0].value).startswith("custom.csv: CSV with a column mapping, 2 rows, 2 tracks")
    # imported: the file leaves the uploader, and the form and its warning the page
    assert not at.warning and not [s for s in at.selectbox if (s.key or "").startswith("cat_map_")]
    assert at.file_uploader(key="cat_upload_1").value is None
    db = store.open_store(db_path)
    assert db.execute("SELECT track_id, tempo, genre FROM catalog_tracks ORDER BY track_id").fetchall() == [
        ("4uLU6hMCjMI75M1A2tKUQC", 113.3, "dance pop"), ("7GhIk7Il098yCjg4BQjzvb", None, None)]


CHART_CSV = """,id,artist,track,year,rank
0,4uLU6hMCjMI75M1A2tKUQC,Rick Astley,Never Gonna Give You Up,2009,1
"""


def test_chart_style_columns_are_guessed_but_a_year_is_asked_for(db_path):
    at = upload(catalog_page(), "charts.csv", CHART_CSV)
    assert at.selectbox(key="cat_map_track_id").value == "id"
    assert at.selectbox(key="cat_map_artist_name").value == "artist"
    assert at.selectbox(key="cat_map_track_name").value == "track"
    # a chart's year is not the release year: left for the person to map
    assert at.selectbox(key="cat_map_release_year").value == "— not in this file —"
    assert any("is not mapped to release_year by itself" in c for c in page_captions(at))
    # the unnamed index column is no option
    assert at.selectbox(key="cat_map_album_name").options == ["— not in this file —", "id", "artist", "track",
                                                               "year", "rank"]


def test_a_mapping_without_a_title_says_what_to_fix_and_imports_nothing(db_path):
    at = upload(catalog_page(), "custom.csv", CATALOGS["catalog_custom.csv"])
    at.selectbox(key="cat_map_track_name").set_value("— not in this file —").run()
    at.button(key="cat_import").click().run()
    assert not at.exception
    assert [shown(e.value) for e in at.error] == [
        "custom.csv: the column mapping gives no column for track_name. Map at least the track id and the track "
        "name. Nothing was imported."]
    assert store.count_rows(store.open_store(db_path), "catalog_tracks") == 0


def test_a_bad_path_is_named(db_path):
    at = catalog_page()
    at.text_input(key="cat_path").set_value("/no/such/catalog.csv").run()
    assert [shown(e.value) for e in at.error] == ["/no/such/catalog.csv: does not exist. Check the path and try again."]


def imported(db_path: Path) -> AppTest:
    at = catalog_page()
    for name in ("catalog_tidytuesday.csv", "catalog_kaggle.csv", "catalog_tracks_features.csv"):
        at.text_input(key="cat_path").set_value("").run()
        upload(at, name, CATALOGS[name])
        at.text_input(key="cat_name").set_value(name)
        at.button(key="cat_import").click().run()
        assert not at.exception
    return at


def test_undo_a_name_match(db_path):
    at = imported(db_path)
    at.selectbox(key="cat_match_pick").set_value("Daft Punk — Get Lucky").run()
    at.button(key="cat_match_toggle").click().run()
    assert not at.exception
    db = store.open_store(db_path)
    assert store.match_counts(db, "me")["undone"] == 1
    assert {m.label: m.value for m in at.metric}["…by artist and title"] == "40%"
    assert at.button(key="cat_match_toggle").label == "Restore this match"


def test_edit_and_delete_a_catalog_track(db_path):
    at = imported(db_path)
    at.text_input(key="cat_query").set_value("get lucky").run()
    assert at.dataframe[-1].value["track_id"].tolist() == ["1hR0fIFK2qRG3f3RF70pb7"]
    field = "cat_edit_1hR0fIFK2qRG3f3RF70pb7_energy"
    at.text_input(key=field).set_value("1.5")
    submit = [b for b in at.get("form_submit_button") if b.label == "Save changes"][0]
    submit.click().run()
    assert [shown(e.value) for e in at.error] == [
        "energy: '1.5' is outside its valid range. Audio feature shares lie between 0 and 1. Nothing was changed."]
    db = store.open_store(db_path)
    assert store.catalog_track(db, "1hR0fIFK2qRG3f3RF70pb7")["energy"] == 0.811
    at.text_input(key=field).set_value("0.5")
    [b for b in at.get("form_submit_button") if b.label == "Save changes"][0].click().run()
    assert not at.exception and not at.error
    assert store.catalog_track(db, "1hR0fIFK2qRG3f3RF70pb7")["energy"] == 0.5
    at.checkbox(key="cat_delete_sure").check().run()
    at.button(key="cat_delete").click().run()
    assert not at.exception
    assert store.catalog_track(db, "1hR0fIFK2qRG3f3RF70pb7") is None
    assert shown(at.success[0].value).startswith("Deleted Daft Punk, Pharrell Williams, Nile Rodgers — Get Lucky")


def test_the_demo_store_renders(demo_db, monkeypatch):
    monkeypatch.setenv("ENCORE_DB", str(demo_db))
    at = AppTest.from_file(HOME, default_timeout=60)
    at.session_state["profile"] = "demo"
    at.run()
    at.switch_page("pages/catalog.py").run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Tracks with features"] == "100%"
