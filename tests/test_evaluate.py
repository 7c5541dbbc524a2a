"""core.evaluate: metrics on hand-computed examples, seeded splitters, baselines, the JSON shape."""
import math

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from core import ingest, store, taste
from core.taste.evaluate import (
    coverage,
    hide_tracks,
    intra_list_diversity,
    ndcg_at_k,
    novelty,
    r_precision,
    recall_at_k,
    recsys_ndcg,
    time_split,
)
from core.taste.scoring import AudioKNN, ItemKNN, Listener

RANKED = ["a", "b", "c", "d", "e"]
RELEVANT = {"b", "e", "z"}  # z was never recommended


def test_metrics_on_a_five_item_list():
    assert recall_at_k(RANKED, RELEVANT, 5) == pytest.approx(2 / 3)
    assert recall_at_k(RANKED, RELEVANT, 2) == pytest.approx(1 / 3)
    # DCG = 1/log2(3) + 1/log2(6) = 0.63093 + 0.38685; IDCG = 1 + 0.63093 + 0.5
    assert ndcg_at_k(RANKED, RELEVANT, 5) == pytest.approx(1.01778 / 2.13093, abs=1e-5)
    # R-precision: |G| = 3, the first 3 hold one hit
    assert r_precision(RANKED, RELEVANT) == pytest.approx(1 / 3)
    # RecSys 2018 NDCG: DCG = 1/log2(2) + 1/log2(5) = 1.43068; IDCG = 1 + 1 + 1/log2(3) = 2.63093
    assert recsys_ndcg(RANKED, RELEVANT) == pytest.approx(1.43068 / 2.63093, abs=1e-5)
    assert recsys_ndcg(["b", "e", "z"], RELEVANT) == pytest.approx(1.0)
    assert ndcg_at_k(["z", "b", "e"], RELEVANT, 5) == pytest.approx(1.0)


@pytest.mark.parametrize("metric", [lambda: recall_at_k(RANKED, set()), lambda: ndcg_at_k(RANKED, set()),
                                    lambda: r_precision(RANKED, set()), lambda: recsys_ndcg(RANKED, set())])
def test_metrics_are_undefined_without_relevant_items(metric):
    assert math.isnan(metric())


def test_coverage_diversity_novelty():
    assert coverage([[0, 1], [1, 2]], 6) == pytest.approx(0.5)
    vectors = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.0, 0.0]])
    # pairwise cosine: (0,1) 0, (0,2) 0.7071, (1,2) 0.7071; the zero vector is left out
    assert intra_list_diversity([0, 1, 2, 3], vectors) == pytest.approx(1 - 2 * 0.70711 / 3, abs=1e-5)
    popularity = np.array([3.0, 0.0])  # of 7 rows
    assert novelty([0, 1], popularity, 7) == pytest.approx((-math.log2(4 / 8) - math.log2(1 / 8)) / 2)


def test_time_split_is_28_days_before_the_last_start():
    start = pd.to_datetime(["2024-01-01", "2024-02-01", "2024-02-10", "2024-03-01"], utc=True)
    plays = pd.DataFrame({"start": start, "n": [0, 1, 2, 3]})
    train, test, cutoff = time_split(plays)
    assert cutoff == pd.Timestamp("2024-02-02", tz="UTC")  # 2024 is a leap year
    assert train["n"].tolist() == [0, 1] and test["n"].tolist() == [2, 3]


def test_hide_tracks_is_seeded_and_hides_a_quarter():
    playlists = {"big": [f"t{i}" for i in range(12)], "small": [f"s{i}" for i in range(9)],
                 "dupes": [f"d{i}" for i in range(10)] + ["d0"]}
    first = hide_tracks(playlists, seed=1)
    assert first == hide_tracks(playlists, seed=1)
    assert set(first) == {"big", "dupes"}  # fewer than 10 distinct tracks: not evaluated
    visible, hidden = first["big"]
    assert len(hidden) == 3 and len(visible) == 9
    assert sorted(visible + hidden, key=lambda t: int(t[1:])) == playlists["big"]
    assert len(first["dupes"][1]) == 2 and len(set(first["dupes"][0] + first["dupes"][1])) == 10
    others = [hide_tracks(playlists, seed=s)["big"][1] for s in range(2, 6)]
    assert any(o != hidden for o in others)


def test_item_knn_scores_by_hand():
    # rows: {0,1}, {0,1,2}, {2,3}; the listener has track 0 (weight 2)
    matrix = sp.csr_matrix(np.array([[1, 1, 0, 0], [1, 1, 1, 0], [0, 0, 1, 1]], dtype=float))
    row = sp.csr_matrix(np.array([[2.0, 0, 0, 0]]))
    # cos(0,1) = 2/sqrt(2*2) = 1; cos(0,2) = 1/sqrt(2*2) = 0.5; cos(0,3) = 0; self left out
    np.testing.assert_allclose(ItemKNN.fit(matrix).scores(Listener.of_row(row)), [0.0, 2.0, 1.0, 0.0], atol=1e-6)


def test_audio_knn_uses_real_features_scaled_to_0_1():
    features = np.array([[0.0, 10.0], [1.0, 10.0], [1.0, 20.0], [np.nan, np.nan]])
    # scaled: [0,0], [1,0], [1,1]; the listener has track 1 -> cosine with [1,0]
    scores = AudioKNN.fit(features).scores(Listener.of_row(sp.csr_matrix(np.array([[0, 1.0, 0, 0]]))))
    np.testing.assert_allclose(scores, [0.0, 1.0, 1 / math.sqrt(2), -np.inf])


def test_evaluate_on_demo_has_the_json_shape_and_metrics_in_0_1(tmp_path):
    db = store.open_store(tmp_path / "s.db")
    ingest.build_demo(db, n_plays=3000)
    result = taste.evaluate_profile(db, "demo", params={"factors": 16, "iterations": 5}, seeds=(0, 1))
    assert set(result["time_split"]) == set(taste.MODELS)
    assert result["playlist_continuation"] == {"skipped": "no playlists (account exports have them in Playlist1.json)"}
    for metrics in result["time_split"].values():
        assert {"ndcg@50", "recall@50", "relisten_ndcg@50", "new_ndcg@50", "coverage", "diversity", "novelty"} <= set(metrics)
        for key in ("ndcg@50", "recall@50", "relisten_ndcg@50", "relisten_recall@50", "coverage"):
            assert 0.0 <= metrics[key] <= 1.0
    info = result["info"]["time_split"]
    assert info["relisten_tracks"] + info["new_tracks"] == info["test_tracks"]
    settings = info["settings"]
    assert settings["hybrid"]["familiar"] in taste.FAMILIAR_GRID
    assert {settings["als"], settings["item_knn"], settings["audio_knn"], settings["hybrid"]["taste_half_life"],
            settings["hybrid"]["history_half_life"]} <= set(taste.HALF_LIFE_GRID)
    assert "ndcg@50_std" in result["time_split"]["hybrid"]  # varies by seed
    again = taste.evaluate_profile(db, "demo", params={"factors": 16, "iterations": 5}, seeds=(0, 1))
    assert again["time_split"] == result["time_split"]  # seeded


def test_a_history_too_short_is_skipped_with_the_reason(fresh_db):
    from core.taste.interactions import Interactions, TasteInputs
    plays = pd.DataFrame({"start": pd.to_datetime(["2024-01-01", "2024-01-20"], utc=True), "ms_played": [1, 2],
                          "track_key": ["a", "b"], "song_key": ["a", "b"]})
    inputs = TasteInputs(Interactions(), plays, {}, {}, {}, np.zeros((0, 10)), np.zeros(0, dtype=object))
    out = taste.evaluate_inputs(inputs)
    assert out["time_split"] == {"skipped": "the history spans 19 days; the time split needs at least 56"}
    assert "skipped" in out["playlist_continuation"]


def test_cli_train_and_evaluate_json(tmp_path, capsys):
    import json

    from core.__main__ import main
    path = tmp_path / "s.db"
    ingest.build_demo(store.open_store(path), n_plays=3000)
    assert main(["evaluate", "--db", str(path), "--profile", "demo", "--json", "--seeds", "1"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) == {"time_split", "playlist_continuation", "discovery", "info"}
    assert set(result["time_split"]) == set(taste.MODELS)
    from core.taste.discovery import DISCOVERY_MODELS
    if "skipped" not in result["discovery"]:  # the demo's listener finds catalog songs in most histories
        assert set(result["discovery"]) == set(DISCOVERY_MODELS)
        assert all(0.0 <= m["mpr"] <= 1.0 for m in result["discovery"].values())
        assert result["info"]["discovery"]["reached"] <= result["info"]["discovery"]["new_songs"]
    assert all({"ndcg@50", "recall@50"} <= set(m) for m in result["time_split"].values())
    assert result["playlist_continuation"] == {"skipped": "no playlists (account exports have them in Playlist1.json)"}
    assert main(["train", "--db", str(path), "--profile", "demo", "--json", "--iterations", "3"]) == 0
    trained = json.loads(capsys.readouterr().out)
    assert trained["profile"] == "demo" and trained["model_id"] == store.latest_model(store.open_store(path), "demo")["id"]
    assert main(["train", "--db", str(path), "--profile", "nobody"]) == 2
    assert "has no plays" in capsys.readouterr().err


def test_playlist_continuation_known_answer():
    """Two groups of 12 tracks; every playlist holds all 12 of its group. With a quarter
    hidden, the only unseen tracks of the group are the hidden ones: co-occurrence models
    must rank exactly those first (R-precision 1), popularity cannot tell the groups apart."""
    from core.taste.interactions import Interactions, TasteInputs
    ix = Interactions()
    keys = [f"t{i}" for i in range(24)]
    ix.add_tracks(keys, keys, [f"artist {i}" for i in range(24)])
    playlists = {f"p{j}": [f"t{i}" for i in range(12 * (j % 2), 12 * (j % 2) + 12)] for j in range(16)}
    empty = pd.DataFrame({"start": pd.to_datetime([], utc=True), "end": pd.to_datetime([], utc=True),
                          "ms_played": np.zeros(0, dtype="int64"), "track_key": pd.Categorical([]),
                          "song_key": pd.Categorical([]), "skip": np.zeros(0, dtype=bool),
                          "reason_end": pd.Categorical([]), "skipped": pd.array([], dtype="boolean")})
    inputs = TasteInputs(ix, empty, playlists, {k: [None] * 12 for k in playlists}, {}, np.full((24, 10), np.nan),
                         np.full(24, "", dtype=object))
    results, info = taste.evaluate_playlists(inputs, params={"factors": 4, "regularization": 1.0}, seeds=(0,))
    assert info["playlists"] == 16
    for name in ("item_knn", "als", "hybrid"):
        assert results[name]["r_precision"] == pytest.approx(1.0) and results[name]["ndcg"] == pytest.approx(1.0)
    assert results["most_played"]["r_precision"] < 0.7


def test_a_history_with_nothing_to_predict_skips_the_time_split_with_the_reason(tmp_path, capsys):
    # the hand-made fixtures: their last 28 days hold no stream of 30 s or more
    import json

    from core import ingest, store
    from core.__main__ import main
    from tests.conftest import FIXTURES
    path = tmp_path / "tiny.db"
    ingest.import_files(store.open_store(path), paths=[str(FIXTURES)], profile="me")
    assert main(["evaluate", "--db", str(path), "--json", "--seeds", "1"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["time_split"] == {"skipped": "nothing was streamed (30 s or more) in the last 28 days of the history, "
                                            "so there is nothing to predict"}
    assert out["playlist_continuation"] == {"skipped": "no playlist has 10 or more tracks"}
    assert out["discovery"] == {"skipped": "fewer than 1,000 plays before the last 28 days"}


def test_the_discovery_sentence_names_the_model_and_the_best_simple_rule():
    results = {"info": {"discovery": {"reached": 156}},
               "discovery": {"hybrid": {"mpr": 0.082, "recall@50": 0.12}, "als": {"mpr": 0.47, "recall@50": 0.03},
                             "catalog_popularity": {"mpr": 0.248, "recall@50": 0.01},
                             "artist_then_popularity": {"mpr": 0.126, "recall@50": 0.05}}}
    assert taste.plain_summary(results)["discovery"] == (
        "Of the 156 songs you first streamed in the 4 weeks after a cut-off that Encore could offer, the model placed "
        "the average one in its top 8% of never-streamed songs; the best simple rule, “the artists you play, then the "
        "most popular”, in its top 13%.")
    assert taste.table(results, "discovery")["model"].tolist()[0] == "hybrid"


def test_each_task_table_holds_only_its_own_metrics():
    results = {
        "time_split": {"als": {"ndcg@50": 0.5, "recall@50": 0.4, "relisten_ndcg@50": 0.6, "relisten_recall@50": 0.7,
                               "new_ndcg@50": 0.1, "new_recall@50": 0.2, "coverage": 0.3, "diversity": 0.8,
                               "novelty": 9.0}},
        "playlist_continuation": {"als": {"ndcg": 0.25, "r_precision": 0.2, "coverage": 0.1, "diversity": 0.7,
                                          "novelty": 8.0}},
    }
    assert taste.table(results, "time_split").to_dict("records") == [
        {"model": "als", "ndcg@50": 0.5, "recall@50": 0.4, "relisten_ndcg@50": 0.6, "new_ndcg@50": 0.1,
         "coverage": 0.3, "diversity": 0.8, "novelty": 9.0}]
    assert taste.table(results, "playlist_continuation").to_dict("records") == [
        {"model": "als", "ndcg": 0.25, "r_precision": 0.2, "coverage": 0.1, "diversity": 0.7, "novelty": 8.0}]
    skipped = {"playlist_continuation": {"skipped": "no playlists"}}
    assert list(taste.table(skipped, "playlist_continuation").columns) == [
        "model", "ndcg", "r_precision", "coverage", "diversity", "novelty"]
    assert taste.table(skipped, "playlist_continuation").empty
