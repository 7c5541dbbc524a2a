"""The taste model: implicit ALS on the weighted matrix + an audio-feature side (scikit-learn).

- ALS (``implicit``) learns item factors from sessions, playlists and other profiles
  (see ``core.interactions`` for why those are the rows).
- Tracks that have factors but no audio features (80–95% of a real history) get features
  imputed from their nearest neighbours in factor space, marked ``imputed_``.
- A ridge regression maps audio features into the factor space, so catalog tracks nobody
  played (no factors) can be scored at all.
- Artist overlap (how much of a row is by a track's artist) is the content signal every
  track has; its weight, like the audio weight, is a scoring-time setting.
- The person's taste vector is solved at query time from their history row against the
  item factors, exactly as ``implicit`` solves a user (``user_vector``).

Contract in the style of ``implicit.recommender_base``: ``fit``, ``recommend``,
``similar_items``, ``save``, ``load``. Parameters are stored by ``__init__``; learned
attributes end in ``_``.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from implicit.cpu.als import AlternatingLeastSquares
from sklearn.linear_model import Ridge
from sklearn.metrics import r2_score
from sklearn.model_selection import KFold, cross_val_predict
from sklearn.neighbors import NearestNeighbors
from threadpoolctl import threadpool_limits

from core.base import Progress, no_progress

SOURCE_NONE, SOURCE_ALS, SOURCE_RIDGE = 0, 1, 2


def scale_features(features: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Min-max scale each feature column to 0–1 over the rows that have it (NaN stays NaN).

    Returns (scaled, column minimum, column range).
    """
    low = np.nanmin(features, axis=0) if np.isfinite(features).any() else np.zeros(features.shape[1])
    high = np.nanmax(features, axis=0) if np.isfinite(features).any() else np.ones(features.shape[1])
    low = np.nan_to_num(low)
    span = np.nan_to_num(high - low)
    span[span == 0] = 1.0
    return (features - low) / span, low, span


def percentile_ranks(scores: np.ndarray) -> np.ndarray:
    """Each score's rank as a fraction in (0, 1] (ties share the lower rank)."""
    if len(scores) == 0:
        return scores.astype("float64")
    order = np.argsort(scores, kind="stable")
    ranks = np.empty(len(scores))
    ranks[order] = np.arange(1, len(scores) + 1)
    return ranks / len(scores)


class TasteModel:
    """Hybrid ALS + audio-feature recommender over the columns of an ``Interactions``.

    Parameters
    ----------
    factors, regularization, alpha, iterations, random_state
        Passed to ``implicit``'s ALS (``alpha`` scales the matrix into confidences).
    neighbours
        How many factor-space neighbours (with real features) an imputed track averages.
    ridge_alpha
        Regularisation of the ridge regression from features to factors.

    How the parts are mixed into one score (``combine``) is the hybrid's business, with
    settings chosen on validation data: ``core.taste.scoring.Hybrid``.
    """

    def __init__(self, factors: int = 64, regularization: float = 0.1, alpha: float = 10.0, iterations: int = 15,
                 random_state: int = 42, neighbours: int = 10, ridge_alpha: float = 1.0) -> None:
        self.factors = factors
        self.regularization = regularization
        self.alpha = alpha
        self.iterations = iterations
        self.random_state = random_state
        self.neighbours = neighbours
        self.ridge_alpha = ridge_alpha

    def get_params(self) -> dict:
        return {k: getattr(self, k) for k in ("factors", "regularization", "alpha", "iterations", "random_state",
                                             "neighbours", "ridge_alpha")}

    # --- fit ----------------------------------------------------------------------------

    def fit(self, matrix: sp.csr_matrix, features: np.ndarray, artists: Sequence | None = None,
            progress: Progress = no_progress, popularity: np.ndarray | None = None,
            cooc_rows: sp.csr_matrix | None = None) -> TasteModel:
        """Learn item factors from ``matrix`` (rows x tracks), the audio side from
        ``features`` (tracks x features, NaN rows where a track has none) and the artist
        of each track from ``artists`` (names, None where unknown). ``popularity``: the
        catalog's 0..100 per track (NaN where unknown), kept for the ``popularity`` part.
        ``cooc_rows``: more rows for the co-occurrence part only (a catalog's lists,
        ``TasteInputs.catalog_rows``), not for ALS.
        """
        n_tracks = matrix.shape[1]
        self.catalog_popularity_ = (np.full(n_tracks, np.nan, dtype="float32") if popularity is None
                                    else np.asarray(popularity, dtype="float32"))
        self.artist_codes_ = (np.full(n_tracks, -1, dtype="int32") if artists is None
                              else artist_codes(artists))
        progress(0.05, f"Factorising {matrix.shape[0]:,} rows × {n_tracks:,} tracks (ALS)")

        def each_iteration(iteration: int, elapsed: float, loss: float | None) -> None:
            progress(0.05 + 0.65 * (iteration + 1) / self.iterations, f"ALS iteration {iteration + 1}/{self.iterations}")

        # implicit asks for a single-threaded BLAS: its own threads do the work, and an
        # OpenBLAS pool on top of them makes training many times slower.
        with threadpool_limits(limits=1, user_api="blas"):
            als = AlternatingLeastSquares(factors=self.factors, regularization=self.regularization, alpha=self.alpha,
                                          iterations=self.iterations, random_state=self.random_state,
                                          calculate_training_loss=False)
            if matrix.shape[0] and matrix.nnz:
                als.fit(matrix.tocsr().astype("float32"), show_progress=False, callback=each_iteration)
                item_factors = np.asarray(als.item_factors, dtype="float32")
            else:
                item_factors = np.zeros((n_tracks, self.factors), dtype="float32")
        binary = liked_cells(matrix if cooc_rows is None or not cooc_rows.shape[0]
                             else sp.vstack([matrix.tocsr(), cooc_rows.tocsr()], format="csr"))
        self.cooc_ = binary  # rows x tracks, 1 where liked: the co-occurrence part of the score
        self.popularity_ = np.asarray(binary.sum(axis=0)).ravel().astype("float32")  # rows with the track, liked
        self.n_rows_ = int(matrix.shape[0])
        self.als_known_ = np.diff(matrix.tocsc().indptr) > 0
        item_factors[~self.als_known_] = 0.0  # never seen: the random start, not knowledge
        self.als_factors_ = item_factors
        self.YtY_ = item_factors.T.astype("float64") @ item_factors.astype("float64")

        progress(0.75, "Imputing audio features from neighbours in ALS space")
        scaled, self.feature_low_, self.feature_span_ = scale_features(np.asarray(features, dtype="float64"))
        self.has_features_ = np.isfinite(scaled).any(axis=1)
        col_mean = np.nan_to_num(np.nanmean(scaled[self.has_features_], axis=0)) if self.has_features_.any() \
            else np.zeros(scaled.shape[1])
        scaled = np.where(np.isnan(scaled) & self.has_features_[:, None], col_mean, scaled)
        self.imputed_ = np.zeros(n_tracks, dtype=bool)
        reference = np.flatnonzero(self.als_known_ & self.has_features_)
        targets = np.flatnonzero(self.als_known_ & ~self.has_features_)
        if len(reference) >= 2 and len(targets):
            k = min(self.neighbours, len(reference))
            nn = NearestNeighbors(n_neighbors=k, metric="cosine").fit(item_factors[reference])
            distance, neighbour = nn.kneighbors(item_factors[targets])
            weight = np.clip(1.0 - distance, 1e-6, None)
            scaled[targets] = np.einsum("ij,ijk->ik", weight, scaled[reference][neighbour]) / weight.sum(axis=1)[:, None]
            self.imputed_[targets] = True
        scaled[~(self.has_features_ | self.imputed_)] = np.nan
        self.features_ = scaled.astype("float32")
        self.feature_mean_ = col_mean.astype("float32")

        progress(0.85, "Mapping audio features into ALS space (ridge regression)")
        self.item_factors_ = item_factors.copy()
        self.factor_source_ = np.where(self.als_known_, SOURCE_ALS, SOURCE_NONE).astype("int8")
        cold = np.flatnonzero(~self.als_known_ & self.has_features_)
        self.ridge_r2_ = None
        if len(reference) >= 10 and len(cold):
            X, Y = scaled[reference], item_factors[reference]
            ridge = Ridge(alpha=self.ridge_alpha)
            # out-of-fold R^2 (share of the factors' variance the features explain): how far
            # a ridge-placed track's score can be trusted (see score_parts)
            folds = KFold(n_splits=min(5, len(reference)), shuffle=True, random_state=self.random_state)
            self.ridge_r2_ = float(r2_score(Y, cross_val_predict(ridge, X, Y, cv=folds), multioutput="variance_weighted"))
            self.item_factors_[cold] = ridge.fit(X, Y).predict(scaled[cold]).astype("float32")
            self.factor_source_[cold] = SOURCE_RIDGE
        progress(1.0, "Done")
        return self

    # --- scoring ------------------------------------------------------------------------

    def user_vector(self, row: sp.csr_matrix) -> np.ndarray:
        """The taste vector of a 1 x tracks row, solved as ``implicit`` solves a user.

        Minimises sum_i c_i (p_i - x.y_i)^2 + reg |x|^2 over the ALS item factors with
        c = 1 + (alpha|v| - 1) on the row's cells, p = 1 where v > 0 and 0 where v < 0.
        """
        row = sp.csr_matrix(row)
        cols, values = row.indices, row.data.astype("float64")
        keep = self.als_known_[cols]
        cols, values = cols[keep], values[keep]
        Y = self.als_factors_[cols].astype("float64")
        confidence = self.alpha * np.abs(values)
        A = self.YtY_ + self.regularization * np.eye(self.factors) + (Y.T * (confidence - 1.0)) @ Y
        b = ((values > 0) * confidence) @ Y
        if not len(cols):
            return np.zeros(self.factors, dtype="float32")
        return np.linalg.solve(A, b).astype("float32")

    def als_scores(self, row: sp.csr_matrix, cold: bool = True) -> np.ndarray:
        """x.y for every track; tracks without factors get -inf (``cold``: ridge factors count)."""
        scores = self.item_factors_ @ self.user_vector(row)
        usable = self.factor_source_ != SOURCE_NONE if cold else self.als_known_
        return np.where(usable, scores, -np.inf)

    def audio_scores(self, row: sp.csr_matrix) -> np.ndarray:
        """Cosine similarity (features centred on the mean) to the row's liked tracks' centre.

        Uses real and imputed features; tracks with neither get -inf.
        """
        row = sp.csr_matrix(row)
        usable = np.isfinite(self.features_[:, 0])
        cols, values = row.indices, row.data
        keep = usable[cols] & (values > 0)
        centred = np.nan_to_num(self.features_ - self.feature_mean_)
        if not keep.any():
            return np.where(usable, 0.0, -np.inf)
        centre = (values[keep][:, None] * centred[cols[keep]]).sum(axis=0) / values[keep].sum()
        norms = np.linalg.norm(centred, axis=1) * (np.linalg.norm(centre) or 1.0)
        scores = centred @ centre / np.where(norms > 0, norms, 1.0)
        return np.where(usable, scores, -np.inf)

    def score_parts(self, row: sp.csr_matrix) -> dict[str, np.ndarray]:
        """The hybrid's parts for a row, each standardised (z-score) over the tracks it can
        score and NaN elsewhere: ``als``, ``audio``, ``artist`` (``artist_scores``),
        ``artist_rank`` (``artist_ranks``), ``cooc``, ``popularity`` (the catalog's, the same
        for every row: what discovery leans on for songs nobody here played).

        ALS scores are standardised over the tracks ALS learned. A catalog track placed by
        the ridge regression gets its standardised score times the regression's
        out-of-fold R^2 (on real exports 0.00–0.03): its expected score when the features
        explain that share of the factors, so a guess never outranks what the listening
        data says. Audio similarity uses real and imputed features.
        """
        raw = self.item_factors_ @ self.user_vector(row)
        warm = self.als_known_
        parts = {}
        als = np.full(len(raw), np.nan)
        if warm.sum() > 1:
            z = (raw - raw[warm].mean()) / (raw[warm].std() or 1.0)
            shrink = min(max(self.ridge_r2_ or 0.0, 0.0), 1.0)
            als = np.where(warm, z, np.where(self.factor_source_ == SOURCE_RIDGE, shrink * z, np.nan))
        parts["als"] = als
        parts["audio"] = _standardise(self.audio_scores(row))
        known = self.artist_codes_ >= 0
        parts["artist"] = _standardise(np.where(known, self.artist_scores(row), -np.inf))
        parts["artist_rank"] = _standardise(np.where(known, self.artist_ranks(row), -np.inf))
        parts["cooc"] = _standardise(cooccurrence_scores(self.cooc_, row, self.popularity_))
        popular = self.catalog_popularity_
        parts["popularity"] = _standardise(np.where(np.isfinite(popular), popular, -np.inf))
        return parts

    def combine(self, parts: dict[str, np.ndarray], weights: dict[str, float]) -> np.ndarray:
        """Weighted sum of the parts (a missing part adds 0); -inf for tracks that neither
        ALS (or the ridge), audio features nor a catalog's own knowledge (its lists, its
        popularity) can place: a song found on Spotify has no features, but its album and
        its popularity say where it belongs."""
        out = np.zeros(len(parts["als"]))
        for name, weight in weights.items():
            if weight:
                out += weight * np.nan_to_num(parts.get(name, 0.0), nan=0.0)
        usable = np.isfinite(parts["als"]) | np.isfinite(parts["audio"])
        for name in ("cooc", "popularity"):
            if name in parts:
                usable |= np.isfinite(parts[name])
        return np.where(usable, out, -np.inf)

    def artist_scores(self, row: sp.csr_matrix) -> np.ndarray:
        """Per track, the share of the row's positive weight that is by the track's artist."""
        row = sp.csr_matrix(row)
        positive = row.data > 0
        codes = self.artist_codes_[row.indices[positive]]
        keep = codes >= 0
        out = np.zeros(len(self.artist_codes_))
        if not keep.any():
            return out
        weight = np.bincount(codes[keep], weights=row.data[positive][keep], minlength=int(self.artist_codes_.max()) + 1)
        known = self.artist_codes_ >= 0
        out[known] = weight[self.artist_codes_[known]] / row.data[positive].sum()
        return out

    def artist_ranks(self, row: sp.csr_matrix) -> np.ndarray:
        """Per track, its artist's place among the row's artists by ``artist_scores``: 1 for
        the artist with the largest share, 1/k for the k-th distinct share, 0 for an artist
        not in the row.

        The hybrid's ``artist_rank`` part, which ranks never-streamed songs. The share itself
        is heavy-tailed (one artist can hold a third of a history), so once standardised a
        new song by the twentieth artist scored about the same as an unknown artist's popular
        song; by rank, every artist the listener plays stands apart from the ones they do
        not, in the order they play them (what the "artist you play, then popularity"
        baseline gets right). Among the listener's own songs the share ranks better
        (re-listen NDCG@50 on extended-2026-b 0.954 by share, 0.838 by rank), so the
        ``artist`` part stays the share.
        """
        places, count = self.artist_places(row)
        return np.where(places > 0, 1.0 - (places - 1) / max(count, 1), 0.0)

    def artist_places(self, row: sp.csr_matrix) -> tuple[np.ndarray, int]:
        """Per track, its artist's place among the row's artists by share (1 = the most
        played; artists with equal shares share a place; 0 = not in the row), and how many
        places there are."""
        share = self.artist_scores(row)
        out = np.zeros(len(share), dtype="int64")
        played = share > 0
        if not played.any():
            return out, 0
        distinct, place = np.unique(-share[played], return_inverse=True)  # largest share first
        out[played] = place + 1
        return out, len(distinct)

    def similar_items(self, track_idx: np.ndarray, n: int = 25,
                      audio_weight: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
        """Tracks most like the given ones (cosine in factor space, plus ``audio_weight`` x audio
        similarity), the given ones excluded. Works for tracks without features (factors) and
        for tracks without factors (features)."""
        track_idx = np.asarray(track_idx, dtype="int64")
        row = sp.csr_matrix((np.ones(len(track_idx), dtype="float32"),
                             (np.zeros(len(track_idx), dtype=int), track_idx)), shape=(1, len(self.item_factors_)))
        factors = self.item_factors_
        centre = factors[track_idx].mean(axis=0)
        norms = np.linalg.norm(factors, axis=1) * (np.linalg.norm(centre) or 1.0)
        cosine = np.where(self.factor_source_ != SOURCE_NONE, factors @ centre / np.where(norms > 0, norms, 1.0), -np.inf)
        if not np.linalg.norm(centre):
            cosine[:] = -np.inf
        out = fuse([(cosine, 1.0), (self.audio_scores(row), audio_weight)])
        out[track_idx] = -np.inf
        return top_n(out, n)

    # --- persistence --------------------------------------------------------------------

    _ARRAYS = ("popularity_", "artist_codes_", "als_known_", "als_factors_", "has_features_", "imputed_", "features_",
               "feature_mean_", "feature_low_", "feature_span_", "item_factors_", "factor_source_",
               "catalog_popularity_")
    _OPTIONAL = ("catalog_popularity_",)  # absent from models saved before it existed

    def save(self, path: str | Path, extra: dict[str, np.ndarray] | None = None) -> None:
        """Write the learned arrays (and ``extra`` arrays, e.g. the track keys) to an .npz."""
        meta = {"params": self.get_params(), "n_rows": self.n_rows_, "ridge_r2": self.ridge_r2_,
                "cooc_shape": list(self.cooc_.shape)}
        arrays = {name: getattr(self, name) for name in self._ARRAYS}
        arrays["cooc_indptr"], arrays["cooc_indices"] = self.cooc_.indptr, self.cooc_.indices
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez_compressed(tmp, meta=np.asarray(json.dumps(meta)), **arrays, **(extra or {}))
        tmp.replace(path)  # atomic: a reader never sees half a model

    @classmethod
    def load(cls, path: str | Path) -> tuple[TasteModel, dict[str, np.ndarray]]:
        """A saved model and the extra arrays saved with it."""
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            known = cls().get_params()  # a model saved by an older Encore may carry settings it no longer has
            model = cls(**{k: v for k, v in meta["params"].items() if k in known})
            for name in cls._ARRAYS:
                if name in data.files or name not in cls._OPTIONAL:
                    setattr(model, name, data[name])
            if "catalog_popularity_" not in data.files:
                model.catalog_popularity_ = np.full(len(data["item_factors_"]), np.nan, dtype="float32")
            indptr, indices = data["cooc_indptr"], data["cooc_indices"]
            model.cooc_ = sp.csr_matrix((np.ones(len(indices), dtype="float32"), indices, indptr),
                                        shape=tuple(meta["cooc_shape"]))
            extra = {k: data[k] for k in data.files
                     if k not in cls._ARRAYS and k not in ("meta", "cooc_indptr", "cooc_indices")}
        model.n_rows_ = meta["n_rows"]
        model.ridge_r2_ = meta["ridge_r2"]
        model.YtY_ = model.als_factors_.T.astype("float64") @ model.als_factors_.astype("float64")
        return model, extra


def liked_cells(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """1 where a row liked a track (a positive cell), as float32 CSR without zeros."""
    binary = sp.csr_matrix(matrix, copy=True)
    binary.data = (binary.data > 0).astype("float32")
    binary.eliminate_zeros()
    return binary


def artist_codes(artists: Sequence) -> np.ndarray:
    """A code per artist name, case-blind (the artist part's and the discovery baseline's one
    rule for "the same artist"); -1 where the name is missing."""
    return pd.factorize(pd.Series(list(artists), dtype=object).str.casefold())[0].astype("int32")


def cooccurrence_scores(binary: sp.csr_matrix, row: sp.csr_matrix, counts: np.ndarray | None = None) -> np.ndarray:
    """Item-KNN over co-occurrence: the sum over the row's liked tracks of weight x cosine
    of the two tracks' "liked in the same row" vectors, a track's similarity to itself left
    out; -inf for tracks in no row. Computed without the item x item matrix:
    X^T (X (u / sqrt n)) / sqrt n_j."""
    n = np.asarray(binary.sum(axis=0)).ravel() if counts is None else np.asarray(counts, dtype="float64")
    root = np.sqrt(np.where(n > 0, n, 1.0))
    u = np.zeros(binary.shape[1])
    row = sp.csr_matrix(row)
    positive = row.data > 0
    u[row.indices[positive]] = row.data[positive]
    scores = binary.T @ (binary @ (u / root)) / root
    scores -= np.where(n > 0, u, 0.0)  # the self term (cosine 1)
    return np.where(n > 0, scores, -np.inf)


def _standardise(scores: np.ndarray) -> np.ndarray:
    """z-scores over the finite entries (NaN elsewhere); all NaN when fewer than 2. Entries
    with no spread are all 0: the part knows them but tells them apart no better than chance
    (a listener none of whose songs has audio features still lets the other parts rank the
    catalog's songs)."""
    out = np.full(len(scores), np.nan)
    ok = np.isfinite(scores)
    if ok.sum() > 1:
        values = scores[ok]
        spread = values.std()
        out[ok] = (values - values.mean()) / spread if spread > 0 else 0.0
    return out


def fuse(parts: list[tuple[np.ndarray, float]]) -> np.ndarray:
    """Sum of weight x z-score of each score array over its finite entries (a missing
    entry adds 0); -inf where every part is missing."""
    out = np.zeros(len(parts[0][0]))
    any_finite = np.zeros(len(out), dtype=bool)
    for scores, weight in parts:
        ok = np.isfinite(scores)
        if ok.sum() > 1:
            values = scores[ok]
            out[ok] += weight * (values - values.mean()) / (values.std() or 1.0)
        any_finite |= ok
    return np.where(any_finite, out, -np.inf)


def top_n(scores: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the ``n`` highest finite scores, best first (ties: lower index first)."""
    finite = np.flatnonzero(np.isfinite(scores))
    if len(finite) > n:
        part = finite[np.argpartition(-scores[finite], n - 1)[:n]]
        # widen to every tie of the n-th score so the stable order is deterministic
        cut = scores[part].min()
        part = finite[scores[finite] >= cut]
    else:
        part = finite
    order = np.lexsort((part, -scores[part]))[:n]
    return part[order], scores[part[order]]
