"""Discovery in the taste model (``core.taste.discovery``): where never-streamed songs come from,
how they are ranked and measured, and the list a person sees (the dial, the command line)."""
from __future__ import annotations

import json

import numpy as np
import orjson
import pandas as pd
import pytest
import scipy.sparse as sp

from core import catalog, history, ingest, store, taste
from core.__main__ import main
from core.taste import discovery
from core.taste.interactions import load_inputs
from tests.test_habits import play

ID = {name: (name * 22)[:22] for name in "abcdesz"}
CATALOG = """\
track_id,track_name,track_artist,track_popularity,track_album_name,track_album_release_date,playlist_name,playlist_id,playlist_genre,playlist_subgenre,danceability,energy,key,loudness,mode,speechiness,acousticness,instrumentalness,liveness,valence,tempo,duration_ms
{a},First,Band A,60,X,2019,Rock mix,pl1,rock,hard rock,0.5,0.8,1,-5,1,0.05,0.1,0,0.1,0.5,120,200000
{c},Third,Band A,40,X,2019,Rock mix,pl1,rock,hard rock,0.5,0.8,1,-5,1,0.05,0.1,0,0.1,0.5,120,200000
{s},Saved Song,Band C,30,X,2018,Chill,pl2,pop,indie poptimism,0.5,0.3,1,-9,1,0.05,0.6,0,0.1,0.5,90,200000
{z},Elsewhere,Band Z,90,X,2017,Chill,pl2,pop,indie poptimism,0.5,0.3,1,-9,1,0.05,0.6,0,0.1,0.5,90,200000
""".format(**ID)


@pytest.fixture
def small_store(tmp_path):
    """Band A's "First" and "Second" and Band B's "Other" streamed; "Saved Song" only in a
    playlist; a catalog with "First", another Band A song, "Saved Song" and Band Z."""
    db = store.open_store(tmp_path / "d.db")
    rows = [play(f"2024-03-{day:02d}T10:00:00Z", 200, artist=artist, track=title, uri=uri)
            for day in range(1, 21) for artist, title, uri in (("Band A", "First", "a"), ("Band A", "Second", "b"),
                                                               ("Band B", "Other", "d"))]
    playlist = {"playlists": [{"name": "Mine", "lastModifiedDate": "2024-03-01", "items": [
        {"track": {"trackName": "First", "artistName": "Band A", "albumName": "X",
                   "trackUri": f"spotify:track:{ID['a']}"}, "episode": None, "localTrack": None},
        {"track": {"trackName": "Saved Song", "artistName": "Band C", "albumName": "X",
                   "trackUri": f"spotify:track:{ID['s']}"}, "episode": None, "localTrack": None}]}]}
    report = ingest.import_files(db, uploads=[("Streaming_History_Audio_2024_0.json", orjson.dumps(rows)),
                                              ("Playlist1.json", orjson.dumps(playlist))])
    assert not report.errors
    (tmp_path / "tt.csv").write_text(CATALOG)
    catalog.import_catalog(db, tmp_path / "tt.csv")
    return db


def test_every_candidate_has_the_first_source_that_offers_it(small_store):
    inputs = load_inputs(small_store, "me")
    streamed = discovery.streamed_columns(inputs.interactions, inputs.plays)
    sources = discovery.candidate_sources(inputs, streamed)
    by_title = {inputs.interactions.track_names_[i]: sources[i] for i in range(inputs.interactions.n_tracks)}
    assert by_title == {"First": None, "Second": None, "Other": None,  # streamed: never a candidate
                        "Saved Song": "your playlists",  # in their playlist (and the catalog: the first wins)
                        "Third": "artist you play", "Elsewhere": "catalog"}
    # the catalog's playlists and subgenres are rows of the model's matrix
    assert set(inputs.catalog_lists) == {"playlist pl1", "playlist pl2", "subgenre hard rock",
                                         "subgenre indie poptimism"}
    ids = dict(zip(inputs.interactions.track_names_, inputs.track_ids))
    assert ids["Third"] == ID["c"] and ids["First"] == ID["a"] and ids["Saved Song"] == ID["s"]


def test_percentile_rank_is_zero_on_top_and_ties_share_their_rank():
    scores = np.array([3.0, 2.0, 2.0, -np.inf, -np.inf, 9.0])
    candidates = np.array([True, True, True, True, True, False])  # the 9.0 is no candidate
    ranks = discovery.percentile_ranks_of(scores, candidates, np.array([0, 1, 2, 3]))
    assert ranks.tolist() == pytest.approx([0.0, 0.375, 0.375, 0.875])  # 1st, tied 2nd-3rd, tied 4th-5th of 5


def test_baselines_rank_as_they_say():
    from core.taste.interactions import Interactions
    from core.taste.scoring import ArtistThenPopularity, CatalogPopularity, Listener

    ix = Interactions()
    ix.add_tracks(["k0", "k1", "k2", "k3"], ["a", "b", "c", "d"], ["Loved", "Loved", "Liked", "Stranger"])
    matrix = np.zeros((1, 4))
    popularity = CatalogPopularity.fit(np.array([10.0, 20.0, np.nan, 99.0]), sp.csr_matrix(matrix))
    assert np.argsort(-popularity.popularity).tolist() == [3, 1, 0, 2]  # unrated last
    listener = Listener.of_row(sp.csr_matrix(np.array([[5.0, 0.0, 1.0, 0.0]])))
    scores = ArtistThenPopularity.fit(ix, popularity).scores(listener)
    # the more streamed artist first (its more popular song first), then the other artist, then the rest
    assert np.argsort(-scores).tolist() == [1, 0, 2, 3]


@pytest.fixture(scope="module")
def trained_demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    db = store.open_store(path)
    ingest.build_demo(db, n_plays=3000)
    taste.train(db, "demo", path, {"iterations": 5}, evaluate=False)
    return path


def test_the_dial_sets_the_share_of_songs_already_streamed(trained_demo):
    db = store.open_store(trained_demo)
    current = taste.current(db, "demo")
    plays = history.load_plays(db, "demo")
    streamed = set(plays[plays["ms_played"] >= 30_000]["song_key"].astype(object))
    listener = current.listener(plays)
    for familiar, expected in ((0.0, 0), (0.2, 4), (0.5, 10), (1.0, 20)):
        table = current.recommend(listener, n=20, familiar=familiar)
        assert len(table) == 20 and table["track_key"].is_unique
        mine = table["track_key"].isin(streamed)
        assert int(mine.sum()) == expected, familiar
        assert (table.loc[mine, "source"] == "your history").all()
        assert table.loc[~mine, "source"].isin(discovery.SOURCES).all()
        # every stretch of the list follows the dial: the first ten hold half the share too
        assert abs(int(mine.iloc[:10].sum()) - round(familiar * 10)) <= 1
        assert table.groupby("artist_name").size().max() <= 2


@pytest.mark.parametrize("feedback", [-1, 1], ids=["a 👎: never again", "a 👍 on a new song: taken, not offered again"])
def test_a_song_with_feedback_leaves_the_discover_list(trained_demo, feedback):
    db = store.open_store(trained_demo)
    current = taste.current(db, "demo")
    plays = history.load_plays(db, "demo")
    first = current.recommend(current.listener(plays), n=10)
    song = first["track_key"].iloc[0]
    again = current.recommend(current.listener(plays, feedback={song: feedback}), n=10)
    assert song not in set(again["track_key"]) and len(again) == 10


def test_recommend_command_prints_the_ranked_list(trained_demo, capsys):
    code = main(["recommend", "--db", str(trained_demo), "--profile", "demo", "--n", "7", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and len(out["tracks"]) == 7
    assert set(out["tracks"][0]) == {"track_uri", "track_name", "artist_name", "score", "source", "reason"}
    assert all(t["source"] in discovery.SOURCES and t["reason"] for t in out["tracks"])
    scores = [t["score"] for t in out["tracks"]]
    assert scores == sorted(scores, reverse=True)
    assert main(["recommend", "--db", str(trained_demo), "--profile", "demo", "--familiar", "1.5"]) == 2
    assert "between 0 and 1" in capsys.readouterr().err


def test_discovery_task_runs_on_the_code_that_ships(trained_demo):
    db = store.open_store(trained_demo)
    inputs = load_inputs(db, "demo")
    last = inputs.plays["start"].max()
    result = discovery.evaluate_discovery(inputs, {"iterations": 3}, cutoffs=[last - pd.Timedelta(days=28)])
    [window] = result["windows"]
    assert set(window["models"]) == set(discovery.DISCOVERY_MODELS)
    for model in window["models"].values():
        assert all(0.0 <= r <= 1.0 for r in model["ranks"]) and len(model["ranks"]) == window["reached"]
    pooled = discovery.pool_discovery([result])
    assert pooled["reached"] == window["reached"] <= pooled["new_songs"]


def test_discovery_weights_are_fixed_and_keep_the_chosen_half_lives():
    base = taste.HybridSettings(taste_half_life=30.0, familiar=0.7, artist_weight=9.0)
    found = discovery.discovery_settings(base)
    assert found.taste_half_life == 30.0 and found.familiar == 0.0
    assert {k: getattr(found, k) for k in discovery.DISCOVERY_WEIGHTS} == discovery.DISCOVERY_WEIGHTS
    assert base.artist_weight == 9.0  # a copy, never the settings handed in


def test_the_default_settings_are_never_handed_out_to_be_changed():
    from core.taste import evaluate

    empty = pd.DataFrame(columns=["start"])
    first = evaluate.choose_settings(None, empty, None, None)
    first["discovery"] = "a profile's own"
    assert "discovery" not in evaluate.choose_settings(None, empty, None, None)
    assert "discovery" not in evaluate.DEFAULT_SETTINGS


def test_a_new_songs_reason_says_where_it_came_from_and_what_ranked_it(small_store, tmp_path):
    taste.train(small_store, "me", tmp_path / "d.db", {"iterations": 3}, evaluate=False)
    current = taste.current(small_store, "me")
    table = current.recommend(current.listener(history.load_plays(small_store, "me")), n=10).set_index("track_name")
    # Band A holds 2/3 of the streams: its catalog song "Third" shares the list pl1 with "First"
    assert table.loc["Third", "reason"] == ("a catalog song by Band A, the artist you play most lately; in a list "
                                            "or session with First — Band A; popular in the catalog (40/100)")
    assert table.loc["Elsewhere", "reason"] == "from the catalog; popular in the catalog (90/100)"
    assert table.loc["Saved Song", "reason"].startswith("in your playlists or library, never streamed; ")
    assert discovery._ordinal(2) == "2nd" and discovery._ordinal(13) == "13th" and discovery._ordinal(23) == "23rd"


def test_a_part_with_no_spread_ranks_nothing_apart_but_leaves_the_others_to_rank():
    from core.taste.model import _standardise

    assert _standardise(np.array([0.3, 0.3, -np.inf, 0.3])).tolist()[:2] == [0.0, 0.0]
    assert np.isnan(_standardise(np.array([0.3, 0.3, -np.inf, 0.3]))[2])
    assert np.isnan(_standardise(np.array([1.0, -np.inf]))).all()  # fewer than two: nothing to say


def test_a_listener_with_a_handful_of_plays_gets_the_catalogs_popular_songs_said_plainly(tmp_path):
    db = store.open_store(tmp_path / "few.db")
    rows = [play(f"2024-03-0{d}T10:00:00Z", 200, artist="Nobody Here", track=f"Song {d}", uri=str(d)) for d in (1, 2, 3)]
    assert not ingest.import_files(db, uploads=[("Streaming_History_Audio_2024_0.json", orjson.dumps(rows))]).errors
    (tmp_path / "tt.csv").write_text(CATALOG)
    catalog.import_catalog(db, tmp_path / "tt.csv")
    taste.train(db, "me", tmp_path / "few.db", {"iterations": 3}, evaluate=False)
    current = taste.current(db, "me")
    table = current.recommend(current.listener(history.load_plays(db, "me")), n=4)
    assert table["track_name"].tolist()[0] == "Elsewhere"  # the catalog's most popular (90)
    assert table["reason"].iloc[0] == "from the catalog; popular in the catalog (90/100)"


def test_the_hybrids_top_is_the_top_of_its_scores_at_every_dial(trained_demo):
    """Hybrid.top (what choosing the settings uses) equals ranking Hybrid.scores."""
    import dataclasses

    from core.taste.model import top_n
    db = store.open_store(trained_demo)
    current = taste.current(db, "demo")
    listener = current.listener(history.load_plays(db, "demo"))
    allowed = np.random.default_rng(0).random(listener.n_columns) < 0.7
    for familiar in (0.0, 0.1, 0.5, 0.9, 1.0):
        for half_life in (1.0, 90.0):
            hybrid = taste.Hybrid(current.model, dataclasses.replace(current.hybrid.settings, familiar=familiar,
                                                                    history_half_life=half_life))
            scores = hybrid.scores(listener)
            for n in (1, 50, 500):
                assert hybrid.top(listener, n).tolist() == top_n(scores, n)[0].tolist()
                assert hybrid.top(listener, n, allowed).tolist() == top_n(np.where(allowed, scores, -np.inf),
                                                                          n)[0].tolist()
