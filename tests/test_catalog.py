"""Catalog import (schemas, bad input, migrations, re-imports), history matching and the CLI."""
from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlite_utils import Database

from core import catalog, names, store
from core.__main__ import main
from core.errors import EncoreError, ImportFileError
from tests.conftest import REAL_DATA_ENV, make_zip

CATALOG_FIELDS = store.CATALOG_COLUMNS[:-1] + ("source",)  # name_key is checked on its own


# Tiny hand-written catalogs, one per schema. They live here rather than in tests/fixtures/
# because the Import page test imports that whole folder and expects only Spotify exports.
CATALOGS: dict[str, str] = {
    "catalog_tidytuesday.csv": """\
track_id,track_name,track_artist,track_popularity,track_album_id,track_album_name,track_album_release_date,playlist_name,playlist_id,playlist_genre,playlist_subgenre,danceability,energy,key,loudness,mode,speechiness,acousticness,instrumentalness,liveness,valence,tempo,duration_ms
6f807x0ima9a1j3VPbc7VN,I Don't Care (with Justin Bieber) - Loud Luxury Remix,Ed Sheeran,66,2oCs0DGTsRO98Gh5ZSl2Cx,I Don't Care (with Justin Bieber) [Loud Luxury Remix],2019-06-14,Pop Remix,37i9dQZF1DXcZDD7cfEKhW,pop,dance pop,0.748,0.916,6,-2.634,1,0.0583,0.102,0,0.0653,0.518,122.036,194754
0r7CVbZTWZgbTCYdfa2P31,Memories - Dillon Francis Remix,Maroon 5,67,63rPSO264uRjW1X5E6cWv6,Memories (Dillon Francis Remix),2019-12,Pop Remix,37i9dQZF1DXcZDD7cfEKhW,pop,dance pop,0.726,0.815,11,-4.969,1,0.0373,0.0724,0.00421,0.357,0.693,99.972,162600
6f807x0ima9a1j3VPbc7VN,I Don't Care (with Justin Bieber) - Loud Luxury Remix,Ed Sheeran,66,2oCs0DGTsRO98Gh5ZSl2Cx,I Don't Care (with Justin Bieber) [Loud Luxury Remix],2019-06-14,Pop EDM,3Ho3iO0iJykgEQNbjB2sic,edm,pop edm,0.748,0.916,6,-2.634,1,0.0583,0.102,0,0.0653,0.518,122.036,194754
1AxqE5eMB3Ad4ZK7XapJqr,NA,NA,0,0kNwBKHWyPLYhZ4c1Iz3sj,NA,2012,Old School Hip Hop,2Lm2frbNkiQTxVT3Y0cSRe,rap,gangster rap,0.619,0.772,1,1.275,1,0.299,0.0521,0,0.285,0.581,0,232600
4kV4N9D1iKVxx1KLvtTpjS,+,-M-,50,3T4tUhGYeRNVUGevb0wThu,+,2011-09-09,Acoustic Covers,6XHvrw6ULqmUGKnaGoy2rW,pop,post-teen pop,0.605,0.339,0,-8.212,1,0.0381,0.693,0,0.114,0.38,85.947,218920
""",
    "catalog_kaggle.csv": """\
,track_id,artists,album_name,track_name,popularity,duration_ms,explicit,danceability,energy,key,loudness,mode,speechiness,acousticness,instrumentalness,liveness,valence,tempo,time_signature,track_genre
0,5SuOikwiRyPMVoIQDJUgSV,Gen Hoshino,Comedy,Comedy,73,230666,False,0.676,0.461,1,-6.746,0,0.143,0.0322,1.01e-06,0.358,0.715,87.917,4,acoustic
1,4qPNDBW1i3p13qLCt0Ki3A,Ben Woodward,Ghost (Acoustic),Ghost - Acoustic,55,149610,False,0.42,0.166,1,-17.235,1,0.0763,0.924,5.56e-06,0.101,0.267,77.489,4,acoustic
2,1iJBSr7s7jYXzM8EGcbK5b,Ingrid Michaelson;ZAYN,To Begin Again,To Begin Again,57,210826,False,0.438,0.359,0,-9.734,1,0.0557,0.21,0,0.117,0.12,76.332,4,acoustic
3,6lfxq3CG4xtTiEg7opyCyx,Kina Grannis,Crazy Rich Asians (Original Motion Picture Soundtrack),Can't Help Falling In Love,71,201933,True,0.266,0.0596,0,-18.515,1,0.0363,0.905,7.07e-05,0.132,0.143,181.74,3,acoustic
4,5SuOikwiRyPMVoIQDJUgSV,Gen Hoshino,Comedy,Comedy,73,230666,False,0.676,0.461,1,-6.746,0,0.143,0.0322,1.01e-06,0.358,0.715,87.917,4,j-pop
""",
    "catalog_tracks_features.csv": """\
id,name,album,album_id,artists,artist_ids,track_number,disc_number,explicit,danceability,energy,key,loudness,mode,speechiness,acousticness,instrumentalness,liveness,valence,tempo,duration_ms,time_signature,year,release_date
7lmeHLHBe4nmXzuXc0HDjk,Testify,The Battle Of Los Angeles,2eia0myWFgoHuttJytCxgX,['Rage Against The Machine'],['2d0hyoQ5ynDBnkvAbJKORj'],1,1,False,0.47,0.978,7,-5.399,1,0.0727,0.0261,1.09e-05,0.356,0.503,117.906,210133,4.0,1999,1999-11-02
1hR0fIFK2qRG3f3RF70pb7,Get Lucky,Random Access Memories,4m2880jivSbbyEGAKfITCa,"['Daft Punk', 'Pharrell Williams', 'Nile Rodgers']","['4tZwfgrHOc3mvqYlEYSvVi', '2RdwBSPQiwcmiDo9kixcl8', '3yDIp0kaq9EFKe07X1X2rz']",8,1,False,0.794,0.811,6,-8.966,0,0.038,0.0426,1.07e-06,0.101,0.862,116.047,369627,4.0,2013,2013-05-17
0bYg9bo50gSsH3LtXe2SQn,Sweet Child O' Mine,Appetite For Destruction,28yHV3Gdg30AiB8h8em1eW,"[""Guns N' Roses""]",['3qm84nBOXUEQ2vnTfUTTFC'],9,1,False,0.454,0.906,6,-8.209,1,0.0448,0.0916,0.113,0.105,0.629,125.303,356067,4.0,1987,1987-07-21
3ZFTkvIE7kyPt6Nu3PEa7V,Lost Recording,Unknown Album,1u0EhMexqYj5GL6tBnZAzC,['Unknown Artist'],['0LyfQWJT6nXafLPZqxe9Of'],1,1,False,0.5,0.5,-1,-10.0,1,0.05,0.5,0.0,0.1,0.5,100.0,200000,4.0,0,0000
""",
    "catalog_custom.csv": """\
Spotify URI;Song;Performer;Style;Year;BPM;Energy
spotify:track:4uLU6hMCjMI75M1A2tKUQC;Never Gonna Give You Up;Rick Astley;dance pop;1987;113.3;0.939
https://open.spotify.com/track/7GhIk7Il098yCjg4BQjzvb?si=abc;Never Gonna Give You Up - 7" Mix;Rick Astley;NA;1987;0;0.9
""",
}


@pytest.fixture
def catalogs(tmp_path: Path) -> Path:
    """A folder holding the hand-written catalogs."""
    folder = tmp_path / "catalogs"
    folder.mkdir()
    for name, text in CATALOGS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def tracks(db: Database) -> list[dict]:
    """Every catalog track as a dict of all its columns (name_key checked against core.matching)."""
    rows = [dict(zip((*CATALOG_FIELDS, "name_key"), row)) for row in db.execute(
        f"SELECT {', '.join(CATALOG_FIELDS)}, name_key FROM catalog_tracks ORDER BY track_id").fetchall()]
    for row in rows:
        assert row.pop("name_key") == names.name_key(row["artist_name"], row["track_name"]), row
    return rows


def genres(db: Database) -> list[tuple[str, str]]:
    return db.execute("SELECT track_id, genre FROM catalog_genres ORDER BY track_id, genre").fetchall()


def track(**values) -> dict:
    """A catalog_tracks row with every field NULL except the ones given."""
    row = dict.fromkeys(CATALOG_FIELDS)
    assert not set(values) - set(row), set(values) - set(row)
    row.update(values)
    return row


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def add_plays(db: Database, profile: str, plays: list[tuple[str, str | None, str | None, str | None]]) -> None:
    """Music plays as (played_at, artist, title, track id or None)."""
    rows = []
    for played_at, artist, title, track_id in plays:
        row = dict.fromkeys(store.PLAY_COLUMNS)
        row.update(played_at=played_at, ms_played=200_000, content_type="music", artist_name=artist,
                   track_name=title, track_uri=f"spotify:track:{track_id}" if track_id else None)
        rows.append(tuple(row.values()))
    with db.atomic():
        store.ensure_profile(db, profile)
        store.insert_plays(db, profile, None, "extended", rows)


# --- the three known schemas, and a mapping ---------------------------------------------------


def test_tidytuesday_schema(fresh_db, catalogs):
    report = catalog.import_catalog(fresh_db, catalogs / "catalog_tidytuesday.csv")
    source = "catalog_tidytuesday.csv"
    assert tracks(fresh_db) == [
        track(track_id="0r7CVbZTWZgbTCYdfa2P31", track_name="Memories - Dillon Francis Remix", artist_name="Maroon 5",
              album_name="Memories (Dillon Francis Remix)", genre="pop", release_date="2019-12", release_year=2019,
              popularity=67, duration_ms=162600, danceability=0.726, energy=0.815, key=11, loudness=-4.969, mode=1,
              speechiness=0.0373, acousticness=0.0724, instrumentalness=0.00421, liveness=0.357, valence=0.693,
              tempo=99.972, source=source),
        # NA names are NULL; loudness 1.275 dB and tempo 0 are out of range
        track(track_id="1AxqE5eMB3Ad4ZK7XapJqr", genre="rap", release_date="2012", release_year=2012, popularity=0,
              duration_ms=232600, danceability=0.619, energy=0.772, key=1, loudness=None, mode=1, speechiness=0.299,
              acousticness=0.0521, instrumentalness=0.0, liveness=0.285, valence=0.581, tempo=None, source=source),
        # formula-looking names are stored as they are
        track(track_id="4kV4N9D1iKVxx1KLvtTpjS", track_name="+", artist_name="-M-", album_name="+", genre="pop",
              release_date="2011-09-09", release_year=2011, popularity=50, duration_ms=218920, danceability=0.605,
              energy=0.339, key=0, loudness=-8.212, mode=1, speechiness=0.0381, acousticness=0.693,
              instrumentalness=0.0, liveness=0.114, valence=0.38, tempo=85.947, source=source),
        track(track_id="6f807x0ima9a1j3VPbc7VN", track_name="I Don't Care (with Justin Bieber) - Loud Luxury Remix",
              artist_name="Ed Sheeran", album_name="I Don't Care (with Justin Bieber) [Loud Luxury Remix]", genre="pop",
              release_date="2019-06-14", release_year=2019, popularity=66, duration_ms=194754, danceability=0.748,
              energy=0.916, key=6, loudness=-2.634, mode=1, speechiness=0.0583, acousticness=0.102,
              instrumentalness=0.0, liveness=0.0653, valence=0.518, tempo=122.036, source=source),
    ]
    assert genres(fresh_db) == [("0r7CVbZTWZgbTCYdfa2P31", "pop"), ("1AxqE5eMB3Ad4ZK7XapJqr", "rap"),
                                ("4kV4N9D1iKVxx1KLvtTpjS", "pop"), ("6f807x0ima9a1j3VPbc7VN", "edm"),
                                ("6f807x0ima9a1j3VPbc7VN", "pop")]
    assert report.to_dict() == {
        "file": source, "name": source, "format": "TidyTuesday 2020 spotify_songs.csv", "encoding": "utf-8",
        "delimiter": ",", "rows_read": 5, "tracks": 4, "tracks_added": 4, "genres": 5,
        "rows_without_id": 0, "rows_without_id_first": [], "duplicate_rows": 1, "conflicting_ids": 0,
        "conflicts": {}, "missing_fields": ["explicit"], "out_of_range": {"loudness": 1, "tempo": 1},
        "unreadable": {}, "formula_cells": {"track_name": 1, "artist_name": 1, "album_name": 1},
        "formula_rows": 1, "formula_rows_first": [5], "not_spotify_ids": 0, "notes": [],
        "matches": {},
    }
    assert store.list_catalogs(fresh_db)[0] | {"imported_at": None} == {
        "name": source, "imported_at": None, "rows": 5, "tracks": 4, "file": source,
        "format": "TidyTuesday 2020 spotify_songs.csv"}
    # the catalog's own structure: every playlist and subgenre a track is listed in
    assert sorted(fresh_db.execute("SELECT track_id, kind, list FROM catalog_lists").fetchall()) == [
        ("0r7CVbZTWZgbTCYdfa2P31", "playlist", "37i9dQZF1DXcZDD7cfEKhW"), ("0r7CVbZTWZgbTCYdfa2P31", "subgenre", "dance pop"),
        ("1AxqE5eMB3Ad4ZK7XapJqr", "playlist", "2Lm2frbNkiQTxVT3Y0cSRe"), ("1AxqE5eMB3Ad4ZK7XapJqr", "subgenre", "gangster rap"),
        ("4kV4N9D1iKVxx1KLvtTpjS", "playlist", "6XHvrw6ULqmUGKnaGoy2rW"),
        ("4kV4N9D1iKVxx1KLvtTpjS", "subgenre", "post-teen pop"),
        ("6f807x0ima9a1j3VPbc7VN", "playlist", "37i9dQZF1DXcZDD7cfEKhW"),
        ("6f807x0ima9a1j3VPbc7VN", "playlist", "3Ho3iO0iJykgEQNbjB2sic"),
        ("6f807x0ima9a1j3VPbc7VN", "subgenre", "dance pop"), ("6f807x0ima9a1j3VPbc7VN", "subgenre", "pop edm")]
    store.delete_catalog(fresh_db, source)
    assert fresh_db.execute("SELECT count(*) FROM catalog_lists").fetchone()[0] == 0


def test_kaggle_schema(fresh_db, catalogs):
    report = catalog.import_catalog(fresh_db, catalogs / "catalog_kaggle.csv", name="kaggle")
    common = dict(source="kaggle", genre="acoustic")
    assert tracks(fresh_db) == [
        # "A;B" is rewritten as "A, B", the list form core.matching reads
        track(track_id="1iJBSr7s7jYXzM8EGcbK5b", track_name="To Begin Again", artist_name="Ingrid Michaelson, ZAYN",
              album_name="To Begin Again", popularity=57, explicit=0, duration_ms=210826, danceability=0.438,
              energy=0.359, key=0, loudness=-9.734, mode=1, speechiness=0.0557, acousticness=0.21,
              instrumentalness=0.0, liveness=0.117, valence=0.12, tempo=76.332, **common),
        track(track_id="4qPNDBW1i3p13qLCt0Ki3A", track_name="Ghost - Acoustic", artist_name="Ben Woodward",
              album_name="Ghost (Acoustic)", popularity=55, explicit=0, duration_ms=149610, danceability=0.42,
              energy=0.166, key=1, loudness=-17.235, mode=1, speechiness=0.0763, acousticness=0.924,
              instrumentalness=5.56e-06, liveness=0.101, valence=0.267, tempo=77.489, **common),
        track(track_id="5SuOikwiRyPMVoIQDJUgSV", track_name="Comedy", artist_name="Gen Hoshino", album_name="Comedy",
              popularity=73, explicit=0, duration_ms=230666, danceability=0.676, energy=0.461, key=1,
              loudness=-6.746, mode=0, speechiness=0.143, acousticness=0.0322, instrumentalness=1.01e-06,
              liveness=0.358, valence=0.715, tempo=87.917, **common),
        track(track_id="6lfxq3CG4xtTiEg7opyCyx", track_name="Can't Help Falling In Love", artist_name="Kina Grannis",
              album_name="Crazy Rich Asians (Original Motion Picture Soundtrack)", popularity=71, explicit=1,
              duration_ms=201933, danceability=0.266, energy=0.0596, key=0, loudness=-18.515, mode=1,
              speechiness=0.0363, acousticness=0.905, instrumentalness=7.07e-05, liveness=0.132, valence=0.143,
              tempo=181.74, **common),
    ]
    assert genres(fresh_db) == [("1iJBSr7s7jYXzM8EGcbK5b", "acoustic"), ("4qPNDBW1i3p13qLCt0Ki3A", "acoustic"),
                                ("5SuOikwiRyPMVoIQDJUgSV", "acoustic"), ("5SuOikwiRyPMVoIQDJUgSV", "j-pop"),
                                ("6lfxq3CG4xtTiEg7opyCyx", "acoustic")]
    assert (report.format, report.rows_read, report.tracks, report.duplicate_rows, report.conflicting_ids,
            report.missing_fields) == ("Kaggle Spotify Tracks Dataset", 5, 4, 1, 0, ["release_date", "release_year"])


def test_million_songs_schema(fresh_db, catalogs):
    report = catalog.import_catalog(fresh_db, catalogs / "catalog_tracks_features.csv", name="1.2m")
    assert tracks(fresh_db) == [
        # ["Guns N' Roses"]: a list literal in double quotes
        track(track_id="0bYg9bo50gSsH3LtXe2SQn", track_name="Sweet Child O' Mine", artist_name="Guns N' Roses",
              album_name="Appetite For Destruction", release_date="1987-07-21", release_year=1987, explicit=0,
              duration_ms=356067, danceability=0.454, energy=0.906, key=6, loudness=-8.209, mode=1,
              speechiness=0.0448, acousticness=0.0916, instrumentalness=0.113, liveness=0.105, valence=0.629,
              tempo=125.303, source="1.2m"),
        track(track_id="1hR0fIFK2qRG3f3RF70pb7", track_name="Get Lucky",
              artist_name="Daft Punk, Pharrell Williams, Nile Rodgers", album_name="Random Access Memories",
              release_date="2013-05-17", release_year=2013, explicit=0, duration_ms=369627, danceability=0.794,
              energy=0.811, key=6, loudness=-8.966, mode=0, speechiness=0.038, acousticness=0.0426,
              instrumentalness=1.07e-06, liveness=0.101, valence=0.862, tempo=116.047, source="1.2m"),
        # year 0, date "0000" and key -1 are placeholders for "unknown"
        track(track_id="3ZFTkvIE7kyPt6Nu3PEa7V", track_name="Lost Recording", artist_name="Unknown Artist",
              album_name="Unknown Album", explicit=0, duration_ms=200000, danceability=0.5, energy=0.5,
              loudness=-10.0, mode=1, speechiness=0.05, acousticness=0.5, instrumentalness=0.0, liveness=0.1,
              valence=0.5, tempo=100.0, source="1.2m"),
        track(track_id="7lmeHLHBe4nmXzuXc0HDjk", track_name="Testify", artist_name="Rage Against The Machine",
              album_name="The Battle Of Los Angeles", release_date="1999-11-02", release_year=1999, explicit=0,
              duration_ms=210133, danceability=0.47, energy=0.978, key=7, loudness=-5.399, mode=1,
              speechiness=0.0727, acousticness=0.0261, instrumentalness=1.09e-05, liveness=0.356, valence=0.503,
              tempo=117.906, source="1.2m"),
    ]
    assert genres(fresh_db) == []
    assert (report.format, report.missing_fields, report.out_of_range) == (
        "1.2M songs tracks_features.csv", ["genre", "popularity"], {"release_date": 1, "release_year": 1, "key": 1})


CUSTOM_MAPPING = {"track_id": "Spotify URI", "track_name": "Song", "artist_name": "Performer", "genre": "Style",
                  "release_year": "Year", "tempo": "BPM", "energy": "Energy"}


def test_any_csv_through_a_column_mapping(fresh_db, catalogs):
    report = catalog.import_catalog(fresh_db, catalogs / "catalog_custom.csv", mapping=CUSTOM_MAPPING)
    assert tracks(fresh_db) == [
        # a spotify: uri and an open.spotify.com link both become the bare id
        track(track_id="4uLU6hMCjMI75M1A2tKUQC", track_name="Never Gonna Give You Up", artist_name="Rick Astley",
              genre="dance pop", release_year=1987, energy=0.939, tempo=113.3, source="catalog_custom.csv"),
        track(track_id="7GhIk7Il098yCjg4BQjzvb", track_name='Never Gonna Give You Up - 7" Mix',
              artist_name="Rick Astley", release_year=1987, energy=0.9, source="catalog_custom.csv"),
    ]
    assert (report.format, report.delimiter, report.out_of_range) == ("CSV with a column mapping", ";", {"tempo": 1})
    assert report.missing_fields == ["album_name", "release_date", "explicit", "popularity", "duration_ms",
                                     "danceability", "key", "loudness", "mode", "speechiness", "acousticness",
                                     "instrumentalness", "liveness", "valence"]
    assert "Tracks from it have no values for those audio features." in report.messages()[1]


@pytest.mark.parametrize("mapping, message", [
    ({"track_name": "Song"}, "the column mapping gives no column for track_id. Map at least the track id"),
    ({"track_id": "Spotify URI", "track_name": "Title"}, "has no column 'Title' (its columns are: Spotify URI, Song,"),
    ({"track_id": "Spotify URI", "track_name": "Song", "bpm": "BPM"}, "names unknown Encore fields: bpm."),
])
def test_a_wrong_mapping_says_what_to_fix(fresh_db, mapping, message, catalogs):
    with pytest.raises(ImportFileError) as caught:
        catalog.import_catalog(fresh_db, catalogs / "catalog_custom.csv", mapping=mapping)
    assert str(caught.value).startswith("catalog_custom.csv: ")
    assert message in str(caught.value)
    assert store.count_rows(fresh_db, "catalog_tracks") == 0


def test_a_zip_holding_one_csv(fresh_db, tmp_path, catalogs):
    path = tmp_path / "songs.zip"
    path.write_bytes(make_zip({"spotify_songs.csv": (catalogs / "catalog_tidytuesday.csv").read_bytes(),
                               "__MACOSX/._spotify_songs.csv": b"\x00\x05"}))
    report = catalog.import_catalog(fresh_db, path)
    assert (report.file, report.name, report.tracks) == ("songs.zip/spotify_songs.csv", "songs.zip", 4)
    unzipped = store.open_memory_store()
    catalog.import_catalog(unzipped, catalogs / "catalog_tidytuesday.csv", name="songs.zip")
    assert tracks(fresh_db) == tracks(unzipped)


@pytest.mark.parametrize("members, problem", [
    ({"a.csv": b"track_id,track_name\n", "b.csv": b"track_id,track_name\n"},
     "holds 2 CSV files (found: a.csv, b.csv)."),
    ({"notes.json": b"{}"}, "holds 0 CSV files (found: notes.json)."),
])
def test_a_zip_without_exactly_one_csv_is_refused(fresh_db, tmp_path, members, problem):
    path = tmp_path / "catalog.zip"
    path.write_bytes(make_zip(members))
    with pytest.raises(ImportFileError, match="^catalog.zip: " + problem.replace("(", r"\(").replace(")", r"\)")):
        catalog.import_catalog(fresh_db, path)


def test_an_uploaded_file_is_read_from_its_bytes(fresh_db, catalogs):
    data = (catalogs / "catalog_kaggle.csv").read_bytes()
    report = catalog.import_catalog(fresh_db, "dataset.csv", data=data)
    assert (report.file, report.tracks) == ("dataset.csv", 4)


# --- bad input, rule by rule ------------------------------------------------------------------

ENCORE_HEADER = "track_id,track_name,artist_name,energy,tempo\n"


def test_missing_feature_columns_are_imported_empty_and_named(fresh_db, tmp_path):
    path = write(tmp_path, "few.csv", "track_id,track_name,artist_name,energy\n1AxqE5eMB3Ad4ZK7XapJqr,Song,Band,0.5\n")
    report = catalog.import_catalog(fresh_db, path)
    assert tracks(fresh_db) == [track(track_id="1AxqE5eMB3Ad4ZK7XapJqr", track_name="Song", artist_name="Band",
                                      energy=0.5, source="few.csv")]
    assert report.format == "Encore catalog columns"
    assert report.missing_fields == ["album_name", "genre", "release_date", "explicit", "release_year", "popularity",
                                     "duration_ms", "danceability", "key", "loudness", "mode", "speechiness",
                                     "acousticness", "instrumentalness", "liveness", "valence", "tempo"]
    assert report.messages()[1].startswith("Not in this file, left empty: album_name, genre, release_date,")


OUT_OF_RANGE = [  # field, text in the file, stored value (None: out of range, counted)
    ("tempo", "0", None), ("tempo", "120.5", 120.5), ("tempo", "301", None), ("tempo", "-5", None),
    ("loudness", "0.4", None), ("loudness", "0", 0.0), ("loudness", "-60", -60.0), ("loudness", "-60.5", None),
    ("danceability", "1.01", None), ("danceability", "1", 1.0), ("danceability", "-0.01", None),
    ("valence", "0", 0.0), ("instrumentalness", "2", None),
    ("key", "-1", None), ("key", "11", 11), ("key", "12", None), ("key", "3.5", None),
    ("mode", "2", None), ("mode", "0", 0),
    ("popularity", "101", None), ("popularity", "100", 100),
    ("duration_ms", "0", None), ("duration_ms", "1000", 1000),
    ("release_year", "0", None), ("release_year", "1799", None), ("release_year", "1800", 1800),
    ("release_date", "0000", None), ("release_date", "2019-13", "2019-13"), ("release_date", "14/01/2019", None),
    ("release_date", "2019-01-14", "2019-01-14"),
]


@pytest.mark.parametrize("field, text, stored", OUT_OF_RANGE)
def test_values_out_of_range_become_null_and_are_counted(fresh_db, tmp_path, field, text, stored):
    path = write(tmp_path, "range.csv", f"track_id,track_name,{field}\n1AxqE5eMB3Ad4ZK7XapJqr,Song,{text}\n")
    report = catalog.import_catalog(fresh_db, path)
    row = fresh_db.execute(f"SELECT {field} FROM catalog_tracks").fetchone()
    assert row == (stored,)
    assert report.out_of_range == ({} if stored is not None else {field: 1})


def test_na_and_empty_cells_are_null_but_other_words_are_names(fresh_db, tmp_path):
    path = write(tmp_path, "na.csv", ENCORE_HEADER + "0000000000000000000001,NA,,NA,\n"
                                     "0000000000000000000002,None,null,NaN,NA\n")
    report = catalog.import_catalog(fresh_db, path)
    assert tracks(fresh_db) == [
        track(track_id="0000000000000000000001", source="na.csv"),
        track(track_id="0000000000000000000002", track_name="None", artist_name="null", source="na.csv"),
    ]
    assert (report.unreadable, report.out_of_range) == ({}, {})


def test_text_in_a_number_column_is_unreadable(fresh_db, tmp_path):
    path = write(tmp_path, "text.csv", ENCORE_HEADER + "0000000000000000000001,Song,Band,high,120\n"
                                       "0000000000000000000002,Song 2,Band,0.5,fast\n")
    report = catalog.import_catalog(fresh_db, path)
    assert fresh_db.execute("SELECT energy, tempo FROM catalog_tracks ORDER BY track_id").fetchall() == [
        (None, 120.0), (0.5, None)]
    assert report.unreadable == {"energy": 1, "tempo": 1}
    assert "Values that are not numbers were left empty: energy 1, tempo 1." in report.messages()


@pytest.mark.parametrize("flags, stored", [
    (["True", "False", ""], [1, 0, None]),  # pandas reads these as booleans
    (["1", "0", "NA"], [1, 0, None]),  # and these as numbers
])
def test_explicit_flags_of_any_type(fresh_db, tmp_path, flags, stored):
    path = write(tmp_path, "flags.csv", "track_id,track_name,explicit\n" + "".join(
        f"a{i:021d},Song,{flag}\n" for i, flag in enumerate(flags)))
    report = catalog.import_catalog(fresh_db, path)
    assert [r[0] for r in fresh_db.execute("SELECT explicit FROM catalog_tracks ORDER BY track_id")] == stored
    assert report.unreadable == {}


def test_explicit_flags(fresh_db, tmp_path):
    path = write(tmp_path, "flags.csv", "track_id,track_name,explicit\n" + "".join(
        f"{i:022d},Song,{flag}\n" for i, flag in enumerate(["True", "false", "1", "0", "yes", "maybe", ""])))
    report = catalog.import_catalog(fresh_db, path)
    assert [r[0] for r in fresh_db.execute("SELECT explicit FROM catalog_tracks ORDER BY track_id")] == [
        1, 0, 1, 0, 1, None, None]
    assert report.unreadable == {"explicit": 1}


def test_repeated_ids_keep_the_first_row_and_count_conflicts(fresh_db, tmp_path):
    path = write(tmp_path, "dups.csv", "track_id,track_name,artist_name,genre,energy,tempo\n"
                                       "0000000000000000000001,Song,Band,rock,0.5,120\n"
                                       "0000000000000000000001,Song,Band,pop,0.7,120\n"
                                       "0000000000000000000002,Other,Band,rock,0.1,\n"
                                       "0000000000000000000001,Song (Live),Band,rock,0.5,121\n"
                                       "0000000000000000000002,Other,Band,rock,0.1,90\n")
    report = catalog.import_catalog(fresh_db, path)
    assert tracks(fresh_db) == [
        track(track_id="0000000000000000000001", track_name="Song", artist_name="Band", genre="rock", energy=0.5,
              tempo=120.0, source="dups.csv"),
        track(track_id="0000000000000000000002", track_name="Other", artist_name="Band", genre="rock", energy=0.1,
              source="dups.csv"),
    ]
    assert genres(fresh_db) == [("0000000000000000000001", "pop"), ("0000000000000000000001", "rock"),
                                ("0000000000000000000002", "rock")]
    assert (report.duplicate_rows, report.conflicting_ids, report.conflicts) == (
        3, 2, {"track_name": 1, "energy": 1, "tempo": 2})
    assert ("3 rows repeating the track id of an earlier row: each id is one track, with the genres of all its "
            "rows. 2 of those ids have rows that disagree (track_name 1, energy 1, tempo 2); the first row's "
            "values were kept.") in report.messages()


def test_rows_without_an_id_are_skipped_with_their_row_numbers(fresh_db, tmp_path):
    path = write(tmp_path, "ids.csv", "track_id,track_name\n,No id\n0000000000000000000001,Song\n  ,Blank\n")
    report = catalog.import_catalog(fresh_db, path)
    assert [r["track_id"] for r in tracks(fresh_db)] == ["0000000000000000000001"]
    assert (report.rows_read, report.rows_without_id, report.rows_without_id_first) == (3, 2, [1, 3])
    assert "2 rows without a track id skipped (rows 1, 3)." in report.messages()


def test_ids_that_are_not_spotify_ids_are_kept_and_counted(fresh_db, tmp_path):
    path = write(tmp_path, "ids.csv", "track_id,track_name,artist_name\nabc-123,Song,Band\n")
    report = catalog.import_catalog(fresh_db, path)
    assert [r["track_id"] for r in tracks(fresh_db)] == ["abc-123"]
    assert report.not_spotify_ids == 1


@pytest.mark.parametrize("name, text, delimiter", [
    ("semicolon.csv", "track_id;track_name;artist_name;energy\n"
                      "0000000000000000000001;Song, with comma;Band;0.5\n", ";"),
    ("tab.tsv", "track_id\ttrack_name\tartist_name\tenergy\n"
                "0000000000000000000001\tSong, with comma\tBand\t0.5\n", "tab"),
    ("quoted.csv", 'track_id,track_name,artist_name,energy\n0000000000000000000001,"Song, with comma",Band,0.5\n', ","),
])
def test_other_delimiters(fresh_db, tmp_path, name, text, delimiter):
    report = catalog.import_catalog(fresh_db, write(tmp_path, name, text))
    assert tracks(fresh_db) == [track(track_id="0000000000000000000001", track_name="Song, with comma",
                                      artist_name="Band", energy=0.5, source=name)]
    assert report.delimiter == delimiter


def test_decimal_commas_in_a_semicolon_csv(fresh_db, tmp_path):
    path = write(tmp_path, "excel.csv", "\ntrack_id;track_name;energy;tempo\n"
                                        "0000000000000000000001;Song;0,5;120\n0000000000000000000002;Song;0.25;\n")
    report = catalog.import_catalog(fresh_db, path)
    assert fresh_db.execute("SELECT energy, tempo FROM catalog_tracks ORDER BY track_id").fetchall() == [
        (0.5, 120.0), (0.25, None)]
    assert (report.unreadable, report.notes) == (
        {}, ["Read 1 number written with a decimal comma (0,5) as decimals (0.5)."])


@pytest.mark.parametrize("encoding, reported, note", [
    ("utf-8", "utf-8", False),
    ("utf-8-sig", "utf-8-sig", False),  # with a byte-order mark, as Excel saves "CSV UTF-8"
    ("cp1252", "cp1252", True),
    ("utf-16", "utf-16", False),  # Excel's "Unicode text"
])
def test_encodings(fresh_db, tmp_path, encoding, reported, note):
    text = "track_id,track_name,artist_name\n0000000000000000000001,Café del Mar – Remix,Beyoncé\n"
    report = catalog.import_catalog(fresh_db, write(tmp_path, "enc.csv", text, encoding))
    assert tracks(fresh_db) == [track(track_id="0000000000000000000001", track_name="Café del Mar – Remix",
                                      artist_name="Beyoncé", source="enc.csv")]
    assert report.encoding == reported
    assert report.notes == ([
        "The file is not UTF-8; it was read as Windows-1252 (cp1252). If names look wrong, save it as UTF-8 and "
        "import it again."] if note else [])


def test_formula_cells_are_stored_as_text_and_flagged(fresh_db, tmp_path):
    path = write(tmp_path, "formulas.csv", 'track_id,track_name,artist_name,album_name\n'
                 '0000000000000000000001,"=HYPERLINK(""http://x.test"",""Click"")",Band,Album\n'
                 '0000000000000000000002,Plain,@handle,+44\n'
                 '0000000000000000000003,Plain,Band,Album\n'
                 '0000000000000000000004,-1 dB,Band,=1+1\n')
    report = catalog.import_catalog(fresh_db, path)
    assert [(r["track_name"], r["artist_name"], r["album_name"]) for r in tracks(fresh_db)] == [
        ('=HYPERLINK("http://x.test","Click")', "Band", "Album"), ("Plain", "@handle", "+44"),
        ("Plain", "Band", "Album"), ("-1 dB", "Band", "=1+1")]
    assert (report.formula_cells, report.formula_rows, report.formula_rows_first) == (
        {"track_name": 2, "artist_name": 1, "album_name": 2}, 3, [1, 2, 4])
    assert ("Text that starts like a spreadsheet formula (= + - @), stored as plain text and never evaluated: "
            "track_name 2, artist_name 1, album_name 2 (rows 1, 2, 4).") in report.messages()


@pytest.mark.parametrize("name, content, problem", [
    ("plays.csv", b"ts,ms_played,master_metadata_track_name\n2024-01-01T00:00:00Z,1000,Song\n",
     "has no recognisable track id and track name columns (its columns are: ts, ms_played, "
     "master_metadata_track_name). A catalog needs a Spotify track id column and a track name column"),
    ("empty.csv", b"", "is empty. Export the catalog again"),
    ("blank.csv", b"\n\n  \n", "is empty."),
    ("header.csv", b"track_id,track_name\n", "has a header but no rows."),
    ("binary.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "is not a text file"),
    ("noids.csv", b"track_id,track_name\n,Song\n", "has no row with a track id (column 'track_id' is empty)."),
    ("ragged.csv", b"track_id,track_name\n0000000000000000000001,Song\n0000000000000000000002,Song,extra,more\n",
     "is not a well-formed CSV at line 3: a row has more fields than the header."),
    ("bad.zip", b"PK\x03\x04 not really a zip", "is not a readable zip file"),
])
def test_unusable_files_raise_an_error_naming_the_file(fresh_db, tmp_path, name, content, problem):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(EncoreError) as caught:
        catalog.import_catalog(fresh_db, path)
    assert str(caught.value).startswith(f"{name}: ")
    assert problem in str(caught.value)
    assert store.count_rows(fresh_db, "catalog_tracks") == store.count_rows(fresh_db, "catalogs") == 0


def test_a_missing_path(fresh_db, tmp_path):
    with pytest.raises(ImportFileError, match="does not exist. Check the path"):
        catalog.import_catalog(fresh_db, tmp_path / "nope.csv")


def test_a_failed_write_leaves_nothing(fresh_db, monkeypatch, catalogs):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")
    monkeypatch.setattr(store, "record_catalog", broken)
    with pytest.raises(RuntimeError):
        catalog.import_catalog(fresh_db, catalogs / "catalog_tidytuesday.csv")
    for table in ("catalog_tracks", "catalog_genres", "catalogs"):
        assert store.count_rows(fresh_db, table) == 0, table
    assert store.catalog_version(fresh_db) == 0


# --- several catalogs, re-imports -------------------------------------------------------------


def snapshot(db: Database) -> dict:
    return {table: db.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
            for table in ("catalog_tracks", "catalog_genres", "track_matches")} | {
        "catalogs": db.execute("SELECT name, rows, tracks, file, format FROM catalogs").fetchall()}


def test_importing_again_changes_nothing(fresh_db, catalogs):
    add_plays(fresh_db, "me", [("2024-01-01T10:00:00Z", "Maroon 5", "Memories - Dillon Francis Remix", None)])
    first = catalog.import_catalog(fresh_db, catalogs / "catalog_tidytuesday.csv")
    once = snapshot(fresh_db)
    again = catalog.import_catalog(fresh_db, catalogs / "catalog_tidytuesday.csv")
    assert snapshot(fresh_db) == once
    assert (first.tracks_added, again.tracks_added) == (4, 0)
    assert first.matches == again.matches


def test_a_track_from_another_catalog_keeps_its_values_and_gains_missing_ones(fresh_db, tmp_path):
    catalog.import_catalog(fresh_db, write(tmp_path, "a.csv", "track_id,track_name,artist_name,energy\n"
                                                              "0000000000000000000001,Song,Band,0.5\n"))
    catalog.import_catalog(fresh_db, write(tmp_path, "b.csv", "track_id,track_name,artist_name,energy,tempo,genre\n"
                                                              "0000000000000000000001,Song!,Other,0.9,120,rock\n"
                                                              "0000000000000000000002,New,Band,0.1,90,pop\n"))
    assert tracks(fresh_db) == [
        track(track_id="0000000000000000000001", track_name="Song", artist_name="Band", genre="rock", energy=0.5,
              tempo=120.0, source="a.csv"),
        track(track_id="0000000000000000000002", track_name="New", artist_name="Band", genre="pop", energy=0.1,
              tempo=90.0, source="b.csv"),
    ]
    # a new version of a catalog under the same name: new values win, values it leaves empty are kept
    catalog.import_catalog(fresh_db, write(tmp_path, "b2.csv", "track_id,track_name,artist_name,energy\n"
                                                               "0000000000000000000002,New,Band,0.2\n"), name="b.csv")
    assert tracks(fresh_db)[1] == track(track_id="0000000000000000000002", track_name="New", artist_name="Band",
                                        genre="pop", energy=0.2, tempo=90.0, source="b.csv")


CSV_ROWS = st.lists(st.tuples(
    st.sampled_from(["0000000000000000000001", "0000000000000000000002", "spotify:track:0000000000000000000003", ""]),
    st.sampled_from(["Song", "Song - Remastered", "NA", "", "=cmd", "Café"]),
    st.sampled_from(["Band", "A, B", "['A', 'B']", "NA"]),
    st.sampled_from(["0.5", "1.5", "NA", "", "x", "0"]),
    st.sampled_from(["rock", "pop", "NA"]),
), min_size=1, max_size=8)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=CSV_ROWS)
def test_property_importing_twice_equals_importing_once(tmp_path, rows):
    path = write(tmp_path, "prop.csv", "track_id,track_name,artist_name,energy,genre\n" + "".join(
        ",".join(f'"{v}"' if "," in v else v for v in row) + "\n" for row in rows))
    db = store.open_memory_store()
    add_plays(db, "me", [("2024-01-01T10:00:00Z", "Band", "Song", "0000000000000000000002"),
                         ("2024-01-01T11:00:00Z", "A", "Song", None)])
    try:
        catalog.import_catalog(db, path)
    except ImportFileError:
        assert snapshot(db)["catalog_tracks"] == []
        return
    once = snapshot(db)
    catalog.import_catalog(db, path)
    assert snapshot(db) == once


# --- matching the history ---------------------------------------------------------------------

HISTORY = [
    ("2024-01-01T10:00:00Z", "Maroon 5", "Memories - Dillon Francis Remix", "0r7CVbZTWZgbTCYdfa2P31"),  # by id
    ("2024-01-01T10:05:00Z", "Gen Hoshino", "Comedy", "1111111111111111111111"),  # another id, same song: by name
    ("2024-01-01T10:10:00Z", "Ed Sheeran", "I Don't Care (with Justin Bieber) - Loud Luxury Remix", None),
    ("2024-01-01T10:15:00Z", "Daft Punk", "Get Lucky", None),  # the catalog credits three artists
    ("2024-01-01T10:20:00Z", "Nobody", "Unknown Song", None),  # not in any catalog
]


def imported_with_history(db: Database, catalogs: Path) -> None:
    add_plays(db, "me", HISTORY)
    add_plays(db, "demo-friend", HISTORY[:1])
    for name in ("catalog_tidytuesday.csv", "catalog_kaggle.csv", "catalog_tracks_features.csv"):
        catalog.import_catalog(db, catalogs / name)


def test_history_is_matched_by_id_then_by_name(fresh_db, catalogs):
    imported_with_history(fresh_db, catalogs)
    assert store.list_track_matches(fresh_db, "me") == [
        {"track_key": "0r7CVbZTWZgbTCYdfa2P31", "catalog_track_id": "0r7CVbZTWZgbTCYdfa2P31", "method": "id",
         "source": "catalog_tidytuesday.csv", "undone": 0},
        {"track_key": "1111111111111111111111", "catalog_track_id": "5SuOikwiRyPMVoIQDJUgSV", "method": "name",
         "source": "catalog_kaggle.csv", "undone": 0},
        {"track_key": "Daft Punk — Get Lucky", "catalog_track_id": "1hR0fIFK2qRG3f3RF70pb7", "method": "name",
         "source": "catalog_tracks_features.csv", "undone": 0},
        {"track_key": "Ed Sheeran — I Don't Care (with Justin Bieber) - Loud Luxury Remix",
         "catalog_track_id": "6f807x0ima9a1j3VPbc7VN", "method": "name", "source": "catalog_tidytuesday.csv",
         "undone": 0},
    ]
    assert catalog.match_history(fresh_db, "me") == {
        "profile": "me", "history_tracks": 5, "history_tracks_with_features": 4, "matched_by_id": 1,
        "matched_by_name": 3, "undone": 0}
    assert store.match_counts(fresh_db) == {"history_tracks": 5, "history_tracks_with_features": 4,
                                            "matched_by_id": 1, "matched_by_name": 3, "undone": 0}


def test_an_undone_match_stays_undone(fresh_db, catalogs):
    imported_with_history(fresh_db, catalogs)
    key = "Daft Punk — Get Lucky"
    catalog.undo_match(fresh_db, "me", key)
    assert catalog.match_history(fresh_db, "me")["undone"] == 1
    catalog.import_catalog(fresh_db, catalogs / "catalog_tracks_features.csv")
    assert [m for m in store.list_track_matches(fresh_db, "me") if m["track_key"] == key] == [
        {"track_key": key, "catalog_track_id": "1hR0fIFK2qRG3f3RF70pb7", "method": "name",
         "source": "catalog_tracks_features.csv", "undone": 1}]
    assert store.match_counts(fresh_db, "me") == {"history_tracks": 5, "history_tracks_with_features": 3,
                                                  "matched_by_id": 1, "matched_by_name": 2, "undone": 1}


def test_only_name_matches_can_be_undone(fresh_db, catalogs):
    imported_with_history(fresh_db, catalogs)
    with pytest.raises(ValueError, match="matched by its Spotify id"):
        catalog.undo_match(fresh_db, "me", "0r7CVbZTWZgbTCYdfa2P31")
    with pytest.raises(ValueError, match="no match for track"):
        catalog.undo_match(fresh_db, "me", "Nobody — Unknown Song")


def test_an_id_match_replaces_an_undone_name_match(fresh_db, tmp_path, catalogs):
    imported_with_history(fresh_db, catalogs)
    catalog.undo_match(fresh_db, "me", "1111111111111111111111")
    catalog.import_catalog(fresh_db, write(tmp_path, "exact.csv", "track_id,track_name,artist_name\n"
                                                                  "1111111111111111111111,Comedy,Gen Hoshino\n"))
    assert [m for m in store.list_track_matches(fresh_db, "me") if m["track_key"] == "1111111111111111111111"] == [
        {"track_key": "1111111111111111111111", "catalog_track_id": "1111111111111111111111", "method": "id",
         "source": "exact.csv", "undone": 0}]


def test_the_demo_catalog_is_matched(fresh_db):
    from core import ingest
    summary = ingest.build_demo(fresh_db, n_plays=2_000)
    counts = store.match_counts(fresh_db, ingest.DEMO_PROFILE)
    assert counts["history_tracks"] == counts["matched_by_id"] == counts["history_tracks_with_features"] > 0
    assert store.count_rows(fresh_db, "catalog_genres") == summary["catalog_tracks"]
    assert fresh_db.execute("SELECT count(*) FROM catalog_tracks WHERE name_key IS NULL").fetchone() == (0,)


# --- migration --------------------------------------------------------------------------------


def test_a_version_1_store_is_migrated_with_its_data(tmp_path, catalogs):
    path = tmp_path / "v1.db"
    db = Database(sqlite3.connect(path))
    with db.atomic():
        store.MIGRATIONS[0][1](db)
        db.execute("PRAGMA user_version = 1")
    store.ensure_profile(db, "me")
    add_plays(db, "me", HISTORY[:2])
    db["catalog_tracks"].insert({"track_id": "0r7CVbZTWZgbTCYdfa2P31", "track_name": "Memories",
                                 "artist_name": "Maroon 5", "genre": "pop", "energy": 0.8, "source": "old"})
    db.conn.commit()
    db.conn.close()

    db = store.open_store(path)
    assert store.schema_version(db) == len(store.MIGRATIONS)
    assert store.count_plays(db, "me") == 2
    assert db.execute("SELECT track_id, track_name, artist_name, genre, energy, source, release_date, popularity, "
                      "explicit, name_key FROM catalog_tracks").fetchall() == [
        ("0r7CVbZTWZgbTCYdfa2P31", "Memories", "Maroon 5", "pop", 0.8, "old", None, None, None, None)]
    assert genres(db) == [("0r7CVbZTWZgbTCYdfa2P31", "pop")]
    assert {"catalogs", "catalog_genres", "track_matches"} <= set(db.table_names())
    catalog.import_catalog(db, catalogs / "catalog_kaggle.csv")  # fills the old track's name key too
    assert tracks(db)[0] == track(track_id="0r7CVbZTWZgbTCYdfa2P31", track_name="Memories",
                                  artist_name="Maroon 5", genre="pop", energy=0.8, source="old")
    assert store.match_counts(db, "me")["matched_by_id"] == 1
    db.conn.close()


# --- command line -----------------------------------------------------------------------------


def test_cli_prints_the_counts_as_json(tmp_path, capsys, catalogs):
    db_path = tmp_path / "store.db"
    db = store.open_store(db_path)
    add_plays(db, "me", HISTORY)
    add_plays(db, "other", [("2024-02-01T10:00:00Z", "Kina Grannis", "Can't Help Falling In Love", None)])
    db.conn.close()
    assert main(["catalog", str(catalogs / "catalog_tidytuesday.csv"), "--db", str(db_path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {k: out[k] for k in ("catalog_tracks", "history_tracks", "history_tracks_with_features", "matched_by_id",
                                "matched_by_name")} == {
        "catalog_tracks": 4, "history_tracks": 6, "history_tracks_with_features": 2, "matched_by_id": 1,
        "matched_by_name": 1}
    assert out["import"]["tracks"] == 4 and set(out["import"]["matches"]) == {"me", "other"}

    assert main(["catalog", str(catalogs / "catalog_kaggle.csv"), "--db", str(db_path), "--json",
                 "--profile", "other"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {k: out[k] for k in ("catalog_tracks", "history_tracks", "history_tracks_with_features", "matched_by_id",
                                "matched_by_name")} == {
        "catalog_tracks": 8, "history_tracks": 1, "history_tracks_with_features": 1, "matched_by_id": 0,
        "matched_by_name": 1}


def test_cli_text_and_mapping(tmp_path, capsys, catalogs):
    db_path = tmp_path / "store.db"
    args = ["catalog", str(catalogs / "catalog_custom.csv"), "--db", str(db_path)]
    for field, column in CUSTOM_MAPPING.items():
        args += ["--map", f"{field}={column}"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.startswith("catalog_custom.csv: CSV with a column mapping, 2 rows, 2 tracks (2 new to the store)")
    assert out.rstrip().endswith("Catalog: 2 tracks in the store. History: 0 tracks, 0 with audio features "
                                 "(0 by id, 0 by name).")


def test_cli_columns_named_like_encore_fields_map_themselves_once_any_map_is_given(tmp_path, capsys):
    path = write(tmp_path, "mine.csv", "Spotify URI,track_name,artist_name,energy,tempo\n"
                                       "spotify:track:4uLU6hMCjMI75M1A2tKUQC,Never Gonna Give You Up,Rick Astley,0.9,"
                                       "113\n")
    db_path = tmp_path / "store.db"
    assert main(["catalog", str(path), "--db", str(db_path), "--map", "track_id=Spotify URI"]) == 0
    capsys.readouterr()
    assert store.open_store(db_path).execute(
        "SELECT track_id, track_name, artist_name, energy, tempo FROM catalog_tracks").fetchall() == [
        ("4uLU6hMCjMI75M1A2tKUQC", "Never Gonna Give You Up", "Rick Astley", 0.9, 113.0)]


def test_cli_exits_2_with_one_line_when_nothing_could_be_imported(tmp_path, capsys):
    path = write(tmp_path, "plays.csv", "ts,ms_played\n2024-01-01T00:00:00Z,1000\n")
    assert main(["catalog", str(path), "--db", str(tmp_path / "store.db")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("encore: nothing could be imported: plays.csv: has no recognisable track id and track "
                          "name columns")
    assert main(["catalog", str(path), "--db", str(tmp_path / "store.db"), "--map", "track_id"]) == 2
    assert capsys.readouterr().err == "encore: --map wants FIELD=COLUMN, got 'track_id'\n"


# --- acceptance: the real TidyTuesday catalog ---------------------------------------------------


def real_catalog() -> Path:
    value = os.environ.get(REAL_DATA_ENV)
    if not value:
        pytest.skip(f"{REAL_DATA_ENV} is not set: the real-catalog acceptance test needs ../shared/data")
    path = Path(value) / "catalogs" / "tidytuesday-2020-spotify_songs.csv"
    if not path.is_file():
        pytest.skip(f"{path} is missing")
    return path


def test_real_tidytuesday_catalog(fresh_db):
    path = real_catalog()
    exports = path.parent.parent / "exports" / "extended-2024-a"
    if exports.is_dir():
        from core.ingest.importer import import_files
        import_files(fresh_db, paths=[exports])
    report = catalog.import_catalog(fresh_db, path)
    assert (report.format, report.rows_read, report.tracks, report.tracks_added) == (
        "TidyTuesday 2020 spotify_songs.csv", 32_833, 28_356, 28_356)
    assert store.count_rows(fresh_db, "catalog_tracks") == 28_356
    # repeated ids carry other genres; all of a row's values agree with the first row's
    assert (report.duplicate_rows, report.conflicting_ids, report.genres) == (4_477, 0, 30_385)
    assert store.count_rows(fresh_db, "catalog_genres") == 30_385
    assert (report.out_of_range, report.unreadable, report.rows_without_id) == ({"loudness": 6, "tempo": 1}, {}, 0)
    assert fresh_db.execute("SELECT count(*) FROM catalog_tracks WHERE track_name IS NULL").fetchone() == (4,)
    assert report.formula_rows == 8  # "+", "@ ME", "-M-" … are real names
    if exports.is_dir():
        counts = report.matches["me"]
        # 601 of the 8,411 tracks have their id in the catalog (checked with a set intersection)
        assert (counts["history_tracks"], counts["matched_by_id"]) == (8_411, 601)
        assert counts["matched_by_name"] > 0
