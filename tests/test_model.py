"""core.model: ALS + audio side on data with a known answer; imputation; save/load."""
import json

import numpy as np
import pytest
import scipy.sparse as sp
from implicit.cpu.als import AlternatingLeastSquares

from core import ingest, store, taste
from core.taste.model import SOURCE_ALS, SOURCE_NONE, SOURCE_RIDGE, TasteModel, top_n
from core.taste.scoring import Hybrid, HybridSettings, Listener

PARAMS = {"factors": 4, "regularization": 1.0, "alpha": 10.0, "iterations": 30, "random_state": 3}


def recommend(model: TasteModel, row: sp.csr_matrix, n: int, exclude: np.ndarray | None = None,
              familiar: float = 0.0) -> np.ndarray:
    """The hybrid's top n for a row, as the pages ask for it."""
    scores = Hybrid(model, HybridSettings(familiar=familiar)).scores(Listener.of_row(row))
    return top_n(scores if exclude is None else np.where(exclude, -np.inf, scores), n)[0]


def checker_board(n: int) -> sp.csr_matrix:
    """Rows like the items of their own parity. The diagonal is withheld for testing
    (as implicit's get_checker_board)."""
    rows, cols = zip(*[(i, j) for i in range(n) for j in range(n) if i != j and i % 2 == j % 2])
    return sp.csr_matrix((np.ones(len(rows), dtype="float32"), (rows, cols)), shape=(n, n))


def no_features(n: int) -> np.ndarray:
    return np.full((n, 3), np.nan)


def test_checker_board_recommends_the_withheld_diagonal():
    matrix = checker_board(20)
    model = TasteModel(**PARAMS).fit(matrix, no_features(20))
    for i in range(20):
        row = matrix[i]
        exclude = np.zeros(20, dtype=bool)
        exclude[row.indices] = True
        assert recommend(model, row, n=1, exclude=exclude).tolist() == [i]


def test_similar_items_stay_within_the_parity():
    model = TasteModel(**PARAMS).fit(checker_board(20), no_features(20))
    idx, _ = model.similar_items(np.array([0, 2]), n=8)
    assert sorted(idx.tolist()) == sorted(idx.tolist()) and all(i % 2 == 0 for i in idx) and {0, 2}.isdisjoint(idx)


def test_user_vector_is_implicits_own_solve_including_negative_cells():
    model = TasteModel(**PARAMS).fit(checker_board(20), no_features(20))
    als = AlternatingLeastSquares(factors=4, regularization=1.0, alpha=10.0)
    als.item_factors = model.als_factors_
    als.user_factors = np.zeros((1, 4), dtype="float32")
    row = sp.csr_matrix(np.array([[0.7, 0, 1.2, 0, -0.4, 0, 0, 0.3] + [0] * 12], dtype="float32"))
    np.testing.assert_allclose(model.user_vector(row), als.recalculate_user(0, row), rtol=1e-3, atol=1e-5)


def test_a_skip_lowers_the_track_and_stronger_skips_lower_it_more():
    # implicit 0.7.3: a negative value is preference 0 with confidence alpha * |value|
    model = TasteModel(**PARAMS).fit(checker_board(20), no_features(20))
    liked = sp.csr_matrix((np.ones(8, dtype="float32"), (np.zeros(8, dtype=int), [4, 6, 8, 10, 12, 14, 16, 18])),
                          shape=(1, 20))
    scores = []
    for value in (0.0, -0.5, -3.0):
        row = liked.copy().tolil()
        row[0, 2] = value
        scores.append(model.als_scores(row.tocsr())[2])
    assert scores[0] > scores[1] > scores[2]


def clusters(n_per: int = 12):
    """Two clusters of co-played tracks; cluster 0 is loud and danceable, cluster 1 quiet.

    Tracks 0..2n-1 are played; 2n and 2n+1 are catalog tracks nobody played (cluster-0 and
    cluster-1 features). Features of tracks 0, 1, n, n+1 are hidden.
    """
    n = 2 * n_per
    rng = np.random.default_rng(0)
    rows, cols = [], []
    for r in range(60):
        c = r % 2
        members = rng.choice(np.arange(c * n_per, (c + 1) * n_per), size=6, replace=False)
        rows += [r] * 6
        cols += members.tolist()
    matrix = sp.csr_matrix((np.ones(len(rows), dtype="float32"), (rows, cols)), shape=(60, n + 2))
    centre = {0: np.array([0.9, 0.8, 0.1]), 1: np.array([0.1, 0.2, 0.9])}
    features = np.array([centre[i // n_per] + rng.normal(0, 0.03, 3) for i in range(n)] +
                        [centre[0], centre[1]])
    features[[0, 1, n_per, n_per + 1]] = np.nan
    return matrix, features, n_per


def test_imputed_features_come_from_the_tracks_neighbours():
    matrix, features, n_per = clusters()
    model = TasteModel(**{**PARAMS, "neighbours": 5, "ridge_alpha": 0.1}).fit(matrix, features)
    hidden = [0, 1, n_per, n_per + 1]
    assert np.flatnonzero(model.imputed_).tolist() == hidden
    assert not model.has_features_[hidden].any()
    low, span = model.feature_low_, model.feature_span_
    real = model.features_ * span + low
    np.testing.assert_allclose(real[[0, 1]], [[0.9, 0.8, 0.1]] * 2, atol=0.06)
    np.testing.assert_allclose(real[[n_per, n_per + 1]], [[0.1, 0.2, 0.9]] * 2, atol=0.06)


def test_ridge_places_never_played_catalog_tracks_by_their_features():
    matrix, features, n_per = clusters()
    model = TasteModel(**{**PARAMS, "ridge_alpha": 0.01}).fit(matrix, features)
    cold0, cold1 = 2 * n_per, 2 * n_per + 1
    assert model.factor_source_.tolist() == [SOURCE_ALS] * (2 * n_per) + [SOURCE_RIDGE] * 2
    row0 = matrix[0]  # a cluster-0 session
    scores = model.als_scores(row0, cold=True)
    assert scores[cold0] > scores[cold1]
    assert model.als_scores(row0, cold=False)[cold0] == -np.inf  # ALS alone cannot rank it
    # "more like" a cluster-1 track whose features were hidden: its cluster and its catalog twin
    idx, _ = model.similar_items(np.array([n_per]), n=2 * n_per + 1)
    assert set(idx[:n_per].tolist()) == set(range(n_per + 1, 2 * n_per)) | {cold1}


def test_track_without_factors_or_features_is_never_recommended():
    matrix = checker_board(6)
    matrix = sp.hstack([matrix, sp.csr_matrix((6, 1))]).tocsr()
    model = TasteModel(**PARAMS).fit(matrix, no_features(7))
    assert model.factor_source_[6] == SOURCE_NONE
    idx = recommend(model, matrix[0], n=10)
    assert 6 not in idx.tolist() and len(idx) == 6


def test_save_and_load_round_trip(tmp_path):
    matrix, features, _ = clusters()
    model = TasteModel(**PARAMS).fit(matrix, features)
    model.save(tmp_path / "m.npz", extra={"track_keys": np.array([f"t{i}" for i in range(matrix.shape[1])])})
    again, extra = TasteModel.load(tmp_path / "m.npz")
    assert again.get_params() == model.get_params()
    for name in TasteModel._ARRAYS:
        np.testing.assert_array_equal(getattr(again, name), getattr(model, name))
    assert extra["track_keys"].tolist() == [f"t{i}" for i in range(matrix.shape[1])]
    row = matrix[3]
    assert recommend(again, row, 10).tolist() == recommend(model, row, 10).tolist()
    np.testing.assert_array_equal(Hybrid(again).scores(Listener.of_row(row)), Hybrid(model).scores(Listener.of_row(row)))


def test_fit_is_seeded():
    matrix, features, _ = clusters()
    a = TasteModel(**PARAMS).fit(matrix, features)
    b = TasteModel(**PARAMS).fit(matrix, features)
    np.testing.assert_array_equal(a.item_factors_, b.item_factors_)


@pytest.mark.parametrize(("scores", "n", "expected"), [
    ([0.1, 0.5, -np.inf, 0.5, 0.3], 3, [1, 3, 4]),  # ties: lower index first
    ([-np.inf, 1.0], 5, [1]),
    ([], 3, []),
])
def test_top_n(scores, n, expected):
    assert top_n(np.array(scores, dtype=float), n)[0].tolist() == expected


def test_train_saves_npz_settings_metrics_and_store_record(tmp_path):
    path = tmp_path / "s.db"
    db = store.open_store(path)
    ingest.build_demo(db, n_plays=3000)
    trained = taste.train(db, "demo", path, {"factors": 8, "iterations": 5}, seeds=(0,))
    model_id, model, inputs = trained.model_id, trained.model, trained.inputs
    current = taste.current(db, "demo")
    record, loaded, ix = current.record, current.model, current.interactions
    assert record["id"] == model_id and record["data_version"] == store.data_version(db)
    # what the evaluation measured is what ships: the settings it chose, stored with the model
    assert current.settings == taste.HybridSettings.from_dict(trained.settings["hybrid"])
    assert taste.metrics(record) == trained.results and set(trained.results["time_split"]) == set(taste.MODELS)
    assert record["catalog_version"] == store.catalog_version(db)
    assert record["path"].startswith(f"{path}.models/demo-") and record["path"].endswith(".npz")
    params = json.loads(record["params_json"])
    assert params["factors"] == 8 and params["row_kinds"]["session"] > 0
    assert ix.track_keys_ == inputs.interactions.track_keys_
    np.testing.assert_array_equal(loaded.item_factors_, model.item_factors_)
    imputed = store.imputed_features(db, model_id)
    assert set(imputed) == {inputs.interactions.track_keys_[i] for i in np.flatnonzero(model.imputed_)}


def test_artist_scores_share_of_the_row_by_the_tracks_artist():
    model = TasteModel(**PARAMS).fit(checker_board(4), no_features(4), artists=["A", "a", "B", None])
    row = sp.csr_matrix(np.array([[2.0, 0.0, 1.0, 0.0]], dtype="float32"))
    assert model.artist_scores(row).tolist() == pytest.approx([2 / 3, 2 / 3, 1 / 3, 0.0])
    assert model.artist_codes_.tolist() == [0, 0, 1, -1]  # names compared case-blind; unknown -1


def test_artist_ranks_place_every_played_artist_above_the_unplayed_in_the_order_played():
    model = TasteModel(**PARAMS).fit(checker_board(6), no_features(6), artists=["A", "B", "B", "C", "D", None])
    row = sp.csr_matrix(np.array([[1.0, 3.0, 0.0, 1.0, 0.0, 0.0]], dtype="float32"))  # B 3/5, A and C 1/5 each
    assert model.artist_ranks(row).tolist() == pytest.approx([0.5, 1.0, 1.0, 0.5, 0.0, 0.0])
    # the part the hybrid uses: the least played artist still far above every unplayed one
    part = model.score_parts(row)["artist_rank"]
    assert part[0] > part[4] and part[1] == part[2] > part[0] and np.isnan(part[5])


@pytest.mark.parametrize("seed", range(40))
def test_top_n_is_the_n_best_finite_scores_ties_by_index(seed):
    from core.taste.model import top_n
    rng = np.random.default_rng(seed)
    m = int(rng.integers(1, 400))
    scores = rng.normal(size=m).round(int(rng.integers(0, 3)))  # rounding makes ties
    scores[rng.random(m) < rng.random()] = -np.inf
    scores[rng.random(m) < (0.05 if seed % 3 == 0 else 0.0)] = np.nan
    scores[rng.random(m) < (0.05 if seed % 4 == 0 else 0.0)] = np.inf
    n = int(rng.integers(1, 80))
    finite = [i for i in range(m) if np.isfinite(scores[i])]
    expected = sorted(finite, key=lambda i: (-scores[i], i))[:n]
    idx, values = top_n(scores, n)
    assert idx.tolist() == expected and values.tolist() == scores[expected].tolist()
