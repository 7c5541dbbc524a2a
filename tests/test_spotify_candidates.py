"""Songs found on Spotify for Discover (``core.spotify.candidates``): the real spotipy client
against the local fake Spotify, a real SQLite store, and the taste model that tags them."""
from __future__ import annotations

import json
import urllib.parse

import pytest

from core import spotify, store
from core.__main__ import main
from core.taste import discovery
from core.taste.interactions import load_inputs
from tests.fake_spotify import CLIENT_ID, FakeSpotify, track
from tests.test_taste_discovery import ID, small_store  # noqa: F401 (a fixture)

PROFILE = "me"
BAND_A = "arBandA"


@pytest.fixture
def fake():
    server = FakeSpotify().start()
    yield server
    server.stop()


@pytest.fixture
def holder(fake):
    return {spotify.TOKEN_KEY: fake.issue_token()}


@pytest.fixture
def sp(fake, holder):
    config = spotify.load_config(environ={"SPOTIFY_CLIENT_ID": CLIENT_ID, "ENCORE_SPOTIFY_API_URL": fake.api_url,
                                         "ENCORE_SPOTIFY_ACCOUNTS_URL": fake.accounts_url})
    return spotify.make_client(config, holder)


def band_a(n: int, name: str, album_id: str, release: str, popularity: int = 50, tid: str | None = None) -> dict:
    out = track(n, name=name, artist="Band A", artist_id=BAND_A, album="A " + album_id, album_id=album_id,
                release_date=release, popularity=popularity)
    if tid:  # the id the listener streams it under
        out["id"], out["uri"] = tid, f"spotify:track:{tid}"
    return out


@pytest.fixture
def spotify_world(fake):
    """Band A (streamed: "First", "Second") on Spotify: search finds "First" (their id), "Third"
    (a TidyTuesday song too) and "Fourth"; its newest albums hold "Second" (their id), "Fifth",
    "Second - Live" and "Sixth"; an older album is never read (2 albums an artist). Band B
    (streamed) is not found. A genre search finds "Rocker" by Band R."""
    first = band_a(1, "First", "al1", "2024-01-01", 80, ID["a"])
    third = band_a(3, "Third", "al1", "2024-01-01", 40, ID["c"])
    fourth = band_a(4, "Fourth", "al2", "2019-06-01", 70)
    fake.add_tracks([first, third, fourth])
    fake.add_album("al1", "A al1", BAND_A, "2024-01-01", [
        first, band_a(2, "Second", "al1", "2024-01-01", tid=ID["b"]), third, band_a(5, "Fifth", "al1", "2024-01-01"),
        band_a(6, "Second - Live", "al1", "2024-01-01")])
    fake.add_album("al2", "A al2", BAND_A, "2019-06-01", [fourth, band_a(7, "Sixth", "al2", "2019-06-01")])
    fake.add_album("al0", "A al0", BAND_A, "2001-01-01", [band_a(8, "Ancient", "al0", "2001-01-01")])
    rocker = track(9, name="Rocker", artist="Band R", release_date="2024-02-02", popularity=65)
    fake.add_tracks([rocker])
    fake.genres[rocker["uri"]] = ["rock"]
    return fake


def run(db, sp, **kwargs) -> spotify.FindResult:
    return spotify.find_new_songs(db, sp, PROFILE, **{"artists": 2, "genres": 1, "min_interval_s": 0, **kwargs})


def queries(fake) -> list[str]:
    """Each API request as 'path?q' (the search query) or the path."""
    out = []
    for _, path in fake.api_calls():
        url = urllib.parse.urlsplit(path)
        q = urllib.parse.parse_qs(url.query).get("q")
        out.append(f"{url.path}?{q[0]}" if q else url.path.rstrip("/"))
    return out


FULL_PLAN = ['/v1/search?artist:"Band A"', "/v1/artists/arBandA/albums", "/v1/albums/al1/tracks",
             "/v1/albums/al2/tracks", '/v1/search?artist:"Band B"', '/v1/search?genre:"rock" year:2024-2024']


def test_the_plan_starts_from_the_most_streamed_artists_and_costs_what_it_says(small_store, sp, spotify_world):
    assert spotify.listener_artists(small_store, PROFILE, 5) == ["Band A", "Band B"]  # 40 streams, then 20
    assert spotify.listener_genres(small_store, PROFILE, 5) == ["rock"]  # of the matched TidyTuesday songs
    result = run(small_store, sp)
    assert queries(spotify_world) == FULL_PLAN
    assert len(FULL_PLAN) <= spotify.planned_calls(2, 2, 1) == 9  # Band B not found: no album calls
    assert result == spotify.FindResult(calls=6, from_store=0, tracks=8, added=6, empty=['artist:"Band B"'],
                                        skipped=[], stopped_by=None)
    assert 'Nothing found for 1: artist:"Band B".' in result.message()
    # the limits of development-mode apps: 10 search results, 10 albums a page
    params = [urllib.parse.parse_qs(urllib.parse.urlsplit(p).query) for _, p in spotify_world.api_calls()]
    assert params[0]["limit"] == ["10"] and params[1]["limit"] == ["10"]


def test_found_songs_are_catalog_rows_with_popularity_and_albums(small_store, sp, spotify_world):
    matches = store.list_track_matches(small_store, PROFILE)
    run(small_store, sp)
    fourth = store.catalog_track(small_store, spotify_world.catalog[2]["id"])
    assert {k: fourth[k] for k in ("track_name", "artist_name", "album_name", "release_date", "release_year",
                                   "popularity", "explicit", "duration_ms", "danceability", "source", "genres")} == {
        "track_name": "Fourth", "artist_name": "Band A", "album_name": "A al2", "release_date": "2019-06-01",
        "release_year": 2019, "popularity": 70, "explicit": 0, "duration_ms": 200_000, "danceability": None,
        "source": store.SPOTIFY_CATALOG, "genres": []}
    assert store.catalog_track(small_store, spotify_world.catalog[3]["id"])["genres"] == ["rock"]
    third = store.catalog_track(small_store, ID["c"])  # TidyTuesday had it first: its values and name stay
    assert (third["source"], third["popularity"]) == ("tt.csv", 40)
    albums = small_store.execute("SELECT list, count(*) FROM catalog_lists WHERE kind = 'album' GROUP BY list")
    assert sorted(albums) == [("al1", 5), ("al2", 2)]
    assert "Ancient" not in {r["track_name"] for r in store.search_catalog_tracks(small_store, "Band A")}
    assert store.list_track_matches(small_store, PROFILE) == matches  # never matched to a history


def test_a_second_run_makes_no_call_and_changes_nothing(small_store, sp, spotify_world):
    run(small_store, sp)
    version = store.catalog_version(small_store)
    spotify_world.requests.clear()
    again = run(small_store, sp)
    assert spotify_world.requests == []
    assert (again.calls, again.from_store, again.added) == (0, 6, 0)
    assert store.catalog_version(small_store) == version  # the model is not made stale for nothing


@pytest.mark.parametrize("how", ["budget", "stop"])
def test_an_interrupted_run_resumes_where_it_stopped_and_never_asks_twice(small_store, sp, spotify_world, how):
    stops = iter([False, False, False, True])
    first = run(small_store, sp, max_calls=3) if how == "budget" else run(small_store, sp,
                                                                          should_stop=lambda: next(stops))
    assert first.calls == 3 and len(spotify_world.api_calls()) == 3
    assert ("budget of 3 requests is used up" if how == "budget" else "Stopped on request") in first.stopped_by
    assert store.count_spotify_requests(small_store) == 3
    assert first.tracks > 0  # what was answered is in the catalog already
    rest = run(small_store, sp)
    assert (rest.calls, rest.from_store, rest.stopped_by) == (3, 3, None)
    assert queries(spotify_world) == FULL_PLAN  # every request once, in the plan's order


def test_a_long_retry_after_stops_the_run_keeps_what_was_found_and_says_when(small_store, sp, spotify_world,
                                                                           monkeypatch):
    waits = []
    monkeypatch.setattr("time.sleep", waits.append)
    spotify_world.fail("GET", "/v1/artists/", status=429, headers={"Retry-After": "86400"})
    result = run(small_store, sp)
    assert "Spotify is limiting requests" in result.stopped_by and "in 24 h 00 min" in result.stopped_by
    assert waits == []  # never waited out
    assert queries(spotify_world) == FULL_PLAN[:2]
    assert {r["track_name"] for r in store.search_catalog_tracks(small_store, "Band A")} >= {"Fourth"}
    assert result.stopped_by in result.message()
    again = run(small_store, sp)  # the next day: the search is not asked again
    assert again.from_store == 1 and again.stopped_by is None


def test_a_403_on_closed_album_endpoints_keeps_searching_and_says_so(small_store, sp, spotify_world):
    spotify_world.albums_closed = True
    result = run(small_store, sp)
    assert queries(spotify_world) == [FULL_PLAN[0], FULL_PLAN[1], FULL_PLAN[4], FULL_PLAN[5]]
    assert result.skipped == ["artists' albums"] and result.stopped_by is None
    assert "Spotify refused artists' albums to this app (403)" in result.message()
    assert store.count_spotify_requests(small_store) == 3  # a refusal is not an answer: asked again next time


def test_a_403_on_search_stops_with_what_to_do(small_store, sp, spotify_world):
    spotify_world.fail("GET", "/v1/search", status=403)
    result = run(small_store, sp)
    assert "User Management" in result.stopped_by and result.calls == 1 and result.tracks == 0


def test_not_signed_in_says_so_and_asks_nothing(small_store, fake):
    config = spotify.load_config(environ={"SPOTIFY_CLIENT_ID": CLIENT_ID, "ENCORE_SPOTIFY_API_URL": fake.api_url,
                                         "ENCORE_SPOTIFY_ACCOUNTS_URL": fake.accounts_url})
    result = run(small_store, spotify.make_client(config, {}))
    assert "not signed in to Spotify" in result.stopped_by and fake.api_calls() == []


def test_names_stay_search_values(fresh_db, sp, fake):
    rows = [("2024-01-01T10:00:00Z", 200_000, "music", "Song", 'Evil" year:1900 genre:"x', *[None] * 19)]
    store.ensure_profile(fresh_db, PROFILE)
    store.insert_plays(fresh_db, PROFILE, None, "extended", rows)
    result = spotify.find_new_songs(fresh_db, sp, PROFILE, min_interval_s=0)
    assert queries(fake) == ['/v1/search?artist:"Evil year 1900 genre x"']
    assert result.empty == ['artist:"Evil year 1900 genre x"'] and result.tracks == 0


EXPECTED_SOURCES = {"Fourth": "Spotify", "Fifth": "Spotify", "Second - Live": "Spotify", "Sixth": "Spotify",
                    "Rocker": "Spotify", "Third": "artist you play", "Saved Song": "your playlists",
                    "Elsewhere": "catalog"}


def test_found_songs_are_tagged_spotify_in_the_model_and_streamed_ones_never_offered(small_store, sp, spotify_world):
    run(small_store, sp)
    inputs = load_inputs(small_store, PROFILE)
    streamed = discovery.streamed_columns(inputs.interactions, inputs.plays)
    sources = discovery.candidate_sources(inputs, streamed)
    by_title = {inputs.interactions.track_names_[i]: sources[i] for i in range(inputs.interactions.n_tracks)}
    assert by_title == {"First": None, "Second": None, "Other": None, **EXPECTED_SOURCES}
    assert "album al1" in inputs.catalog_lists  # an album is a row of the co-occurrence part


def test_the_discovery_task_never_counts_songs_only_spotify_offered(small_store, sp, spotify_world):
    # Spotify was asked from the whole history, the weeks judged included: what it alone found
    # cannot be a candidate at an earlier cut-off
    import pandas as pd

    from core.taste.interactions import Weighting
    run(small_store, sp)
    inputs = load_inputs(small_store, PROFILE)
    assert inputs.found["Spotify"].any()
    moment = discovery._moment(inputs, inputs.plays, inputs.plays["start"].max() - pd.Timedelta(days=5), 28,
                               {"iterations": 2}, Weighting(), 0)
    assert moment.candidates.any() and not (moment.candidates & inputs.found["Spotify"]).any()


def test_recommend_json_tags_songs_found_on_spotify(small_store, sp, spotify_world, tmp_path, capsys):
    run(small_store, sp)
    code = main(["recommend", "--db", str(tmp_path / "d.db"), "--n", "500", "--json"])
    tracks = json.loads(capsys.readouterr().out)["tracks"]
    assert code == 0
    assert {t["track_name"]: t["source"] for t in tracks} == EXPECTED_SOURCES
    fourth = next(t for t in tracks if t["track_name"] == "Fourth")
    assert fourth["reason"].startswith("found on Spotify; ")
    assert fourth["track_uri"] == spotify_world.catalog[2]["uri"]


def test_a_model_saved_before_the_outside_sources_still_tags_the_others(small_store, sp, spotify_world, tmp_path):
    from core import taste

    run(small_store, sp)
    taste.train(small_store, PROFILE, tmp_path / "d.db", evaluate=False)
    record = store.latest_model(small_store, PROFILE)
    model, extra = taste.TasteModel.load(record["path"])
    for name in ("Spotify", "Gemini"):
        del extra[f"source {name}"]  # as a model saved before the outside sources existed
    model.save(record["path"], extra=extra)
    current = taste.current(small_store, PROFILE)
    assert set(current.masks) == {"your playlists", "shared profile", "catalog"}
    table = current.recommend(current.listener(load_inputs(small_store, PROFILE).plays), n=500)
    sources = dict(zip(table["track_name"], table["source"]))
    assert sources["Saved Song"] == "your playlists" and sources["Fourth"] == "artist you play"


def test_migration_10_keeps_the_catalog_lists_and_admits_albums(tmp_path):
    import sqlite3

    from sqlite_utils import Database

    db = Database(sqlite3.connect(tmp_path / "old.db"))
    for number, (_, step) in enumerate(store.MIGRATIONS[:9], start=1):
        step(db)
        db.execute(f"PRAGMA user_version = {number}")
    db.execute("INSERT INTO catalog_lists VALUES ('t1', 'playlist', 'pl1')")
    db.conn.commit()
    assert store.migrate(db) == len(store.MIGRATIONS) == 10
    db.execute("INSERT INTO catalog_lists VALUES ('t1', 'album', 'al1')")
    assert db.execute("SELECT * FROM catalog_lists ORDER BY kind").fetchall() == [("t1", "album", "al1"),
                                                                                 ("t1", "playlist", "pl1")]
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO catalog_lists VALUES ('t1', 'mixtape', 'x')")


def test_a_catalog_imported_after_spotify_takes_its_songs_over(tmp_path):
    """A song found on Spotify first, then in an imported catalog, belongs to that catalog:
    matched to the plays, and never removed with "found on Spotify"."""
    import orjson

    from core import catalog, ingest
    from core.catalog.edits import remove_catalog
    from tests.test_habits import play
    from tests.test_taste_discovery import CATALOG
    db = store.open_store(tmp_path / "d.db")
    rows = [play(f"2024-03-{d:02d}T10:00:00Z", 200, artist="Band A", track="First", uri="a") for d in range(1, 21)]
    ingest.import_files(db, uploads=[("Streaming_History_Audio_2024_0.json", orjson.dumps(rows))])
    found = {"id": ID["a"], "name": "First", "artists": [{"id": "x", "name": "Band A"}],
             "album": {"id": "al1", "name": "X", "release_date": "2019"}, "popularity": 60, "explicit": False,
             "duration_ms": 200000}
    with store.write_transaction(db):
        store.record_spotify_request(db, 'search artist:"Band A"', "search", {"genre": None, "tracks": [found]})
    spotify.write_found_songs(db)
    assert db.execute("SELECT source FROM catalog_tracks WHERE track_id = ?", [ID["a"]]).fetchone() == (
        store.SPOTIFY_CATALOG,)
    (tmp_path / "tt.csv").write_text(CATALOG)
    catalog.import_catalog(db, tmp_path / "tt.csv")
    assert db.execute("SELECT source, energy FROM catalog_tracks WHERE track_id = ?", [ID["a"]]).fetchone() == (
        "tt.csv", 0.8)
    assert db.execute("SELECT catalog_track_id FROM track_matches").fetchall() == [(ID["a"],)]
    remove_catalog(db, store.SPOTIFY_CATALOG)
    assert db.execute("SELECT count(*) FROM catalog_tracks WHERE track_id = ?", [ID["a"]]).fetchone() == (1,)
