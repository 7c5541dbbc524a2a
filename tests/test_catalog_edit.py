"""Catalog page logic: previewing an unknown CSV, editing, deleting, undoing, coverage."""

import pandas as pd
import pytest

from core import catalog, history, store
from core.errors import CatalogEditError, ImportFileError
from tests.test_catalog import add_plays, catalogs, imported_with_history, tracks, write  # noqa: F401 (catalogs: fixture)


@pytest.mark.parametrize("headers, expected", [
    # "Year" is left alone: in chart data it is the chart's year, not the release year
    (["Spotify URI", "Song", "Performer", "Style", "Year", "BPM", "Energy"],
     {"track_id": "Spotify URI", "track_name": "Song", "artist_name": "Performer", "energy": "Energy"}),
    (["", "Unnamed: 0", "artist", "track", "Release Year"],  # no blank or unnamed index column
     {"artist_name": "artist", "track_name": "track", "release_year": "Release Year"}),
    (["ID", "Title", "Artist(s)", "Album", "Release Date", "Duration (ms)", "danceability", "Valence", "TEMPO"],
     {"track_id": "ID", "track_name": "Title", "album_name": "Album", "release_date": "Release Date",
      "danceability": "danceability", "valence": "Valence", "tempo": "TEMPO"}),
    (["id", "name", "track_name"], {"track_id": "id", "track_name": "track_name"}),  # the field's own name wins
    (["a", "b"], {}),
])
def test_suggested_mapping(headers, expected):
    assert catalog.suggest_mapping(headers) == expected


def test_preview_of_a_known_and_an_unknown_catalog(catalogs):
    known = catalog.preview_catalog(catalogs / "catalog_kaggle.csv")
    assert (known.label, known.format, known.suggested) == (
        "catalog_kaggle.csv", "Kaggle Spotify Tracks Dataset", {})
    unknown = catalog.preview_catalog("custom.csv", (catalogs / "catalog_custom.csv").read_bytes())
    assert unknown == catalog.CatalogPreview(
        label="custom.csv", headers=["Spotify URI", "Song", "Performer", "Style", "Year", "BPM", "Energy"],
        format=None, suggested={"track_id": "Spotify URI", "track_name": "Song", "artist_name": "Performer",
                                "energy": "Energy"})


def test_preview_of_an_unreadable_file_names_it(tmp_path):
    with pytest.raises(ImportFileError, match=r"^empty.csv: is empty\. Export the catalog again"):
        catalog.preview_catalog(write(tmp_path, "empty.csv", ""))


@pytest.mark.parametrize("changes, stored", [
    ({"energy": "0.5", "tempo": "120", "key": "7", "explicit": "1"},
     {"energy": 0.5, "tempo": 120.0, "key": 7, "explicit": 1}),
    ({"energy": "", "album_name": "  ", "release_date": "1999-11"}, {"energy": None, "album_name": None,
                                                                    "release_date": "1999-11"}),
    ({"track_name": "  Testify  ", "popularity": 40.0}, {"track_name": "Testify", "popularity": 40}),
])
def test_valid_edits(changes, stored):
    assert catalog.validate_edit(changes) == stored


@pytest.mark.parametrize("changes, message", [
    ({"energy": "1.5"}, "energy: '1.5' is outside its valid range. Audio feature shares lie between 0 and 1."),
    ({"loudness": "40"}, "loudness: '40' is outside its valid range. Loudness lies between -60 and 0 dB."),
    ({"tempo": "0"}, "tempo: '0' is outside its valid range. Tempo lies above 0 and up to 300 BPM; "
                     "leave it empty when unknown."),
    ({"key": "2.5"}, "key: '2.5' is outside its valid range. Key is a whole number from 0 (C) to 11 (B)."),
    ({"tempo": "fast"}, "tempo: 'fast' is not a number. Type a number, or leave it empty."),
    ({"explicit": "2"}, "explicit: '2' is not 0 or 1. Use 1 for explicit, 0 for not."),
    ({"track_name": " "}, "track_name: is empty. Every catalog track needs a title."),
    ({"release_date": "11/02/1999"}, "release_date: '11/02/1999' is not a date. Write it as YYYY, YYYY-MM or "
                                     "YYYY-MM-DD, from 1800 on."),
    ({"source": "mine"}, "source: cannot be edited. Edit only: " + ", ".join(store.CATALOG_EDIT_COLUMNS) + "."),
])
def test_invalid_edits_name_the_field_and_the_fix(changes, message):
    with pytest.raises(CatalogEditError) as error:
        catalog.validate_edit(changes)
    assert str(error.value) == message


def test_a_bad_edit_changes_nothing(fresh_db, catalogs):
    imported_with_history(fresh_db, catalogs)
    before = tracks(fresh_db)
    version = store.catalog_version(fresh_db)
    with pytest.raises(CatalogEditError):
        catalog.edit_track(fresh_db, "1hR0fIFK2qRG3f3RF70pb7", {"energy": "0.3", "tempo": "-1"})
    assert tracks(fresh_db) == before and store.catalog_version(fresh_db) == version


def test_editing_a_feature_value(fresh_db, catalogs):
    imported_with_history(fresh_db, catalogs)
    version = store.catalog_version(fresh_db)
    catalog.edit_track(fresh_db, "1hR0fIFK2qRG3f3RF70pb7", {"energy": "0.3", "genre": "disco"})
    got = store.catalog_track(fresh_db, "1hR0fIFK2qRG3f3RF70pb7")
    assert (got["energy"], got["genre"], got["genres"]) == (0.3, "disco", ["disco"])
    assert store.catalog_version(fresh_db) > version


def test_renaming_a_catalog_track_matches_the_history_again(fresh_db, catalogs):
    imported_with_history(fresh_db, catalogs)
    assert "Nobody — Unknown Song" not in {m["track_key"] for m in store.list_track_matches(fresh_db, "me")}
    catalog.edit_track(fresh_db, "3ZFTkvIE7kyPt6Nu3PEa7V", {"artist_name": "Nobody", "track_name": "Unknown Song"})
    assert [m for m in store.list_track_matches(fresh_db, "me") if m["track_key"] == "Nobody — Unknown Song"] == [
        {"track_key": "Nobody — Unknown Song", "catalog_track_id": "3ZFTkvIE7kyPt6Nu3PEa7V", "method": "name",
         "source": "catalog_tracks_features.csv", "undone": 0}]
    assert store.catalog_track(fresh_db, "3ZFTkvIE7kyPt6Nu3PEa7V")["name_key"] == "nobody\tunknown song"


def test_deleting_a_track_removes_its_matches(fresh_db, catalogs):
    imported_with_history(fresh_db, catalogs)
    assert catalog.delete_tracks(fresh_db, ["1hR0fIFK2qRG3f3RF70pb7", "not-there"]) == 1
    assert store.catalog_track(fresh_db, "1hR0fIFK2qRG3f3RF70pb7") is None
    assert "Daft Punk — Get Lucky" not in {m["track_key"] for m in store.list_track_matches(fresh_db, "me")}
    assert store.match_counts(fresh_db, "me") == {"history_tracks": 5, "history_tracks_with_features": 3,
                                                  "matched_by_id": 1, "matched_by_name": 2, "undone": 0}


def test_removing_a_catalog(fresh_db, catalogs):
    imported_with_history(fresh_db, catalogs)
    assert catalog.remove_catalog(fresh_db, "catalog_kaggle.csv") == 4
    assert [c["name"] for c in store.list_catalogs(fresh_db)] == ["catalog_tidytuesday.csv",
                                                                 "catalog_tracks_features.csv"]
    assert fresh_db.execute("SELECT count(*) FROM catalog_genres WHERE track_id = '5SuOikwiRyPMVoIQDJUgSV'"
                            ).fetchone() == (0,)
    assert {m["track_key"] for m in store.list_track_matches(fresh_db, "me")} == {
        "0r7CVbZTWZgbTCYdfa2P31", "Daft Punk — Get Lucky",
        "Ed Sheeran — I Don't Care (with Justin Bieber) - Loud Luxury Remix"}


def test_undo_and_restore_a_name_match(fresh_db, catalogs):
    imported_with_history(fresh_db, catalogs)
    catalog.undo_match(fresh_db, "me", "Daft Punk — Get Lucky")
    assert store.match_counts(fresh_db, "me")["undone"] == 1
    catalog.restore_match(fresh_db, "me", "Daft Punk — Get Lucky")
    assert store.match_counts(fresh_db, "me") == {"history_tracks": 5, "history_tracks_with_features": 4,
                                                  "matched_by_id": 1, "matched_by_name": 3, "undone": 0}


def test_search_pages_and_escapes(fresh_db, catalogs):
    imported_with_history(fresh_db, catalogs)
    rows, total = store.search_catalog_tracks(fresh_db, "punk"), store.count_catalog_tracks(fresh_db, "punk")
    assert total == 1 and [(r["track_id"], r["artist_name"], r["source"]) for r in rows] == [
        ("1hR0fIFK2qRG3f3RF70pb7", "Daft Punk, Pharrell Williams, Nile Rodgers", "catalog_tracks_features.csv")]
    assert store.count_catalog_tracks(fresh_db, "%") == 0  # a literal percent sign, not "anything"
    everything, total = store.search_catalog_tracks(fresh_db, ""), store.count_catalog_tracks(fresh_db, "")
    assert total == 12 == len(everything)  # 4 + 4 + 4 tracks
    page_two = store.search_catalog_tracks(fresh_db, "", limit=5, offset=5)
    assert page_two == everything[5:10]


def test_coverage_of_a_history(fresh_db, catalogs):
    imported_with_history(fresh_db, catalogs)
    add_plays(fresh_db, "me", [("2023-06-01T10:00:00Z", "Daft Punk", "Get Lucky", None),
                               ("2023-06-01T10:05:00Z", "Nobody", "Unknown Song", None)])
    plays = history.load_plays(fresh_db, "me")
    result = catalog.history_coverage(plays, catalog.feature_matches(fresh_db, "me"))
    ms = 200_000  # every play of add_plays
    assert result["overall"] == {
        "tracks": 5, "ms": 7 * ms, "tracks_id": 1, "ms_id": ms, "tracks_name": 3, "ms_name": 4 * ms,
        "tracks_matched": 4, "ms_matched": 5 * ms, "track_share_id": 0.2, "track_share_name": 0.6,
        "track_share": 0.8, "time_share_id": 1 / 7, "time_share_name": 4 / 7, "time_share": 5 / 7}
    assert result["by_year"][["tracks", "tracks_matched", "time_share"]].reset_index().to_dict("records") == [
        {"year": 2023, "tracks": 2, "tracks_matched": 1, "time_share": 0.5},
        {"year": 2024, "tracks": 5, "tracks_matched": 4, "time_share": 0.8}]
    pd.testing.assert_frame_equal(result["missing"], pd.DataFrame({
        "track_key": ["Nobody — Unknown Song"], "plays": [2], "ms_played": [2 * ms], "artist_name": ["Nobody"],
        "track_name": ["Unknown Song"]}))


def test_match_review_shows_both_sides(fresh_db, catalogs):
    imported_with_history(fresh_db, catalogs)
    catalog.undo_match(fresh_db, "me", "Daft Punk — Get Lucky")
    review = catalog.match_review(fresh_db, "me", history.load_plays(fresh_db, "me"))
    pd.testing.assert_frame_equal(review, pd.DataFrame({
        "track_key": ["1111111111111111111111", "Daft Punk — Get Lucky",
                      "Ed Sheeran — I Don't Care (with Justin Bieber) - Loud Luxury Remix"],
        "history_artist": ["Gen Hoshino", "Daft Punk", "Ed Sheeran"],
        "history_title": ["Comedy", "Get Lucky", "I Don't Care (with Justin Bieber) - Loud Luxury Remix"],
        "catalog_artist": ["Gen Hoshino", "Daft Punk, Pharrell Williams, Nile Rodgers", "Ed Sheeran"],
        "catalog_title": ["Comedy", "Get Lucky", "I Don't Care (with Justin Bieber) - Loud Luxury Remix"],
        "catalog_album": ["Comedy", "Random Access Memories", "I Don't Care (with Justin Bieber) [Loud Luxury Remix]"],
        "catalog_track_id": ["5SuOikwiRyPMVoIQDJUgSV", "1hR0fIFK2qRG3f3RF70pb7", "6f807x0ima9a1j3VPbc7VN"],
        "source": ["catalog_kaggle.csv", "catalog_tracks_features.csv", "catalog_tidytuesday.csv"],
        "undone": [False, True, False],
        "plays": [1, 1, 1],
    }))
