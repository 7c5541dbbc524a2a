"""One scoring contract for the taste model and every baseline: ``scores(listener) -> array``.

As ``implicit``'s ``recommend`` takes a user's row, a recommender here is built from the
training data once, then asked for one score per column of the ``Interactions`` for a
``Listener`` (a person's history, or a playlist); ``-inf`` means it cannot rank that column.
The Taste model page, the chat and ``core evaluate`` all call ``scores``: what is measured
is what ships, with the same settings.

The hybrid's settings (how recent a play must be to count, how much of each part, how far
toward the familiar) are chosen on validation windows when the model is trained and saved
with it (``core.taste.evaluate.choose_settings``); a page may move only the familiar dial.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd
import scipy.sparse as sp

from core.history.frame import DEFAULT_MIN_MS
from core.taste.interactions import ITEM, Interactions, Weighting, keys_row, listener_row
from core.taste.model import (
    TasteModel,
    artist_codes,
    cooccurrence_scores,
    liked_cells,
    percentile_ranks,
    scale_features,
    top_n,
)

LIKE_VALUE = 1.0  # a like counts as much as a couple of full plays (log1p(1.5) = 0.92 per play)
DISLIKE_VALUE = -1.0  # with alpha 10: "not this" with confidence 10, ten times a never-played track


class Listener:
    """A person (or a playlist) as a row over the model's columns, at any recency half-life.

    ``row(half_life)`` is built once per half-life (None: no recency weighting) and kept;
    ``memo`` keeps what a recommender derives from the rows (the hybrid's parts), so asking
    the same listener again with other settings costs only the final mix.
    """

    def __init__(self, n_columns: int, build: Callable[[float | None], sp.csr_matrix],
                 plays: pd.DataFrame | None = None) -> None:
        self.n_columns = n_columns
        self.plays = plays
        self._build = build
        self._rows: dict[float | None, sp.csr_matrix] = {}
        self._memo: dict[Hashable, object] = {}

    @classmethod
    def of_plays(cls, ix: Interactions, plays: pd.DataFrame, now: pd.Timestamp | None = None,
                 feedback: dict[str, int] | None = None, weighting: Weighting = Weighting()) -> Listener:
        """A person from their music plays (recency measured to ``now``, default: their last play).

        ``feedback`` (track_key -> +1 like / -1 dislike, from the chat or the Taste model
        page): a like adds to the plays, a dislike replaces them."""
        now = now if now is not None else (plays["start"].max() if len(plays) else None)

        def build(half_life: float | None) -> sp.csr_matrix:
            row = listener_row(ix, plays, dataclasses.replace(weighting, half_life_days=half_life), now=now)
            return _with_feedback(ix, row, feedback) if feedback else row

        return cls(ix.n_tracks, build, plays)

    @classmethod
    def of_keys(cls, ix: Interactions, keys: Sequence[str], value: float = 1.0) -> Listener:
        """A playlist or a handful of picked songs: the same row at every half-life."""
        row = keys_row(ix, keys, value)
        return cls(ix.n_tracks, lambda half_life: row)

    @classmethod
    def of_row(cls, row: sp.csr_matrix) -> Listener:
        """Any ready-made 1 x columns row, the same at every half-life."""
        row = sp.csr_matrix(row)
        return cls(row.shape[1], lambda half_life: row)

    def row(self, half_life: float | None = None) -> sp.csr_matrix:
        if half_life not in self._rows:
            self._rows[half_life] = self._build(half_life)
        return self._rows[half_life]

    def memo(self, key: Hashable, compute: Callable[[], object]) -> object:
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]


def _with_feedback(ix: Interactions, row: sp.csr_matrix, feedback: dict[str, int]) -> sp.csr_matrix:
    dense = row.toarray().ravel()
    for key, value in feedback.items():
        idx = ix.track_idx([key])[0]
        if idx >= 0:
            dense[idx] = max(dense[idx], 0.0) + LIKE_VALUE if value > 0 else DISLIKE_VALUE
    return sp.csr_matrix(dense.reshape(1, -1).astype("float32"))


class Recommender(Protocol):
    """Anything that scores every column for a listener (higher is better, -inf: cannot rank)."""

    def scores(self, listener: Listener) -> np.ndarray: ...


def history_share(row: sp.csr_matrix, n: int) -> np.ndarray:
    """Each column's value in a history row over the row's largest value (0 if not in it)."""
    row = sp.csr_matrix(row)
    share = np.zeros(n)
    positive = row.data > 0
    if positive.any():
        share[row.indices[positive]] = row.data[positive] / row.data[positive].max()
    return share


def rank_share(scores: np.ndarray) -> np.ndarray:
    """Percentile rank (0..1] of each finite score, 0 where the score is -inf."""
    out = np.zeros(len(scores))
    ok = np.isfinite(scores)
    out[ok] = percentile_ranks(scores[ok])
    return out


# --- the hybrid ------------------------------------------------------------------------------


@dataclass(frozen=True)
class HybridSettings:
    """How the hybrid mixes its parts; chosen on validation data and saved with the model.

    ``taste_half_life``: the recency (days) of the row the taste is solved from;
    ``*_weight``: the parts next to ALS (``TasteModel.score_parts``); ``familiar``: 0 = the
    taste order alone, 1 = the person's own history (at ``history_half_life``) alone.
    """

    familiar: float = 0.5
    taste_half_life: float | None = 90.0
    history_half_life: float | None = 90.0
    audio_weight: float = 0.1
    artist_weight: float = 0.25
    cooc_weight: float = 0.5
    popularity_weight: float = 0.0
    als_weight: float = 1.0
    artist_rank_weight: float = 0.0

    def weights(self) -> dict[str, float]:
        return {"als": self.als_weight, "audio": self.audio_weight, "artist": self.artist_weight,
                "cooc": self.cooc_weight, "popularity": self.popularity_weight,
                "artist_rank": self.artist_rank_weight}

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict | None) -> HybridSettings:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in (values or {}).items() if k in names})


@dataclass(frozen=True)
class Hybrid:
    """The taste model as it ships: ``(1 - familiar) x`` percentile of the taste score
    ``+ familiar x`` share of the person's own history (see ``HybridSettings``)."""

    model: TasteModel
    settings: HybridSettings = field(default_factory=HybridSettings)

    def taste(self, listener: Listener) -> np.ndarray:
        """The taste score alone (no history mix): the weighted z-scores of the model's parts."""
        s = self.settings
        parts = listener.memo(("parts", id(self.model), s.taste_half_life),
                              lambda: self.model.score_parts(listener.row(s.taste_half_life)))
        weights = tuple(sorted(s.weights().items()))
        return listener.memo(("taste", id(self.model), s.taste_half_life, weights),
                             lambda: self.model.combine(parts, s.weights()))

    def _mix_parts(self, listener: Listener) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(taste, its percentile rank, the history's share), each memoised on the listener."""
        s = self.settings
        taste = self.taste(listener)
        ranks = listener.memo(("ranks", id(self.model), s.taste_half_life, tuple(sorted(s.weights().items()))),
                              lambda: rank_share(taste))
        share = listener.memo(("history", s.history_half_life),
                              lambda: history_share(listener.row(s.history_half_life), listener.n_columns))
        return taste, ranks, share

    def _mix(self, taste: np.ndarray, ranks: np.ndarray, share: np.ndarray) -> np.ndarray:
        """The dial's mix of the taste's rank and the history's share (of the columns given)."""
        f = self.settings.familiar
        return np.where(np.isfinite(taste) | (share > 0), (1 - f) * ranks + f * share, -np.inf)

    def scores(self, listener: Listener) -> np.ndarray:
        if self.settings.familiar <= 0:
            return self.taste(listener)
        return self._mix(*self._mix_parts(listener))

    def top(self, listener: Listener, n: int, allowed: np.ndarray | None = None) -> np.ndarray:
        """The ``n`` best columns of ``scores`` (among ``allowed``), best first, ties by
        column: ``top_n``'s answer, computed on the listener's own songs and the ``n`` best
        of the rest only. Off the history a song scores ``(1 - familiar) x`` its taste rank,
        whatever the dial and the history's half-life, so the rest's order is the taste's
        (what choosing the settings asks ~1,700 times per window, each over every song)."""
        s = self.settings
        if not 0 < s.familiar < 1:
            scores = self.scores(listener)
            return top_n(scores if allowed is None else np.where(allowed, scores, -np.inf), n)[0]
        taste, ranks, share = self._mix_parts(listener)
        mine = share > 0
        allowed_key = None if allowed is None else hash(np.packbits(allowed).tobytes())

        def best_of_the_rest() -> np.ndarray:
            rest = np.isfinite(taste) & ~mine & (True if allowed is None else allowed)
            return top_n(np.where(rest, ranks, -np.inf), n)[0]

        rest = listener.memo(("rest", id(self.model), s.taste_half_life, tuple(sorted(s.weights().items())),
                              s.history_half_life, n, allowed_key), best_of_the_rest)
        columns = np.union1d(np.flatnonzero(mine if allowed is None else mine & allowed), rest)  # sorted: ties by column
        return columns[top_n(self._mix(taste[columns], ranks[columns], share[columns]), n)[0]]

    def with_familiar(self, familiar: float) -> Hybrid:
        return Hybrid(self.model, dataclasses.replace(self.settings, familiar=float(familiar)))


# --- baselines (never tuned down) ----------------------------------------------------------


def _with_popularity(primary: np.ndarray, popularity: np.ndarray) -> np.ndarray:
    """``primary`` first; columns it cannot rank (0 or -inf) after it, by row popularity —
    so "most played" still ranks tracks new to the person (as "most popular")."""
    known = np.isfinite(primary) & (primary > 0)
    out = np.where(popularity > 0, popularity / (popularity.max(initial=0.0) + 1.0), -np.inf)
    out[known] = 1.0 + percentile_ranks(primary[known])
    return out


def play_counts(plays: pd.DataFrame, n_tracks: int, idx: np.ndarray) -> np.ndarray:
    """Streams per column."""
    stream = plays["ms_played"].to_numpy() >= DEFAULT_MIN_MS
    return np.bincount(idx[stream & (idx >= 0)], minlength=n_tracks).astype("float64")


def last_played(plays: pd.DataFrame, n_tracks: int, idx: np.ndarray) -> np.ndarray:
    """Seconds since the epoch of each column's latest play start (-inf: never)."""
    out = np.full(n_tracks, -np.inf)
    seconds = plays["start"].astype("int64").to_numpy() / 1e9
    ok = idx >= 0
    np.maximum.at(out, idx[ok], seconds[ok])
    return out


def row_popularity(matrix: sp.csr_matrix) -> np.ndarray:
    """How many training rows liked each column."""
    return np.asarray((matrix > 0).sum(axis=0)).ravel().astype("float64")


@dataclass(frozen=True)
class _MineThenPopular:
    """A baseline: one number per song of the person's own (0 where they never played it),
    then the most popular songs; the same for every query."""

    mine: np.ndarray
    popularity: np.ndarray

    def scores(self, listener: Listener) -> np.ndarray:
        return _with_popularity(self.mine, self.popularity)


class MostPlayed(_MineThenPopular):
    """The person's most streamed songs, then the most popular ones."""

    @classmethod
    def fit(cls, ix: Interactions, plays: pd.DataFrame, matrix: sp.csr_matrix) -> MostPlayed:
        idx = ix.column_idx(plays[ITEM])
        return cls(play_counts(plays, ix.n_tracks, idx), row_popularity(matrix))


class MostRecent(_MineThenPopular):
    """The person's most recently played songs, then the most popular ones."""

    @classmethod
    def fit(cls, ix: Interactions, plays: pd.DataFrame, matrix: sp.csr_matrix) -> MostRecent:
        idx = ix.column_idx(plays[ITEM])
        return cls(last_played(plays, ix.n_tracks, idx), row_popularity(matrix))


@dataclass(frozen=True)
class CatalogPopularity:
    """A discovery baseline: the catalog's popularity (0..100), then how many training rows
    liked the song; the same for every query."""

    popularity: np.ndarray

    @classmethod
    def fit(cls, catalog_popularity: np.ndarray | None, matrix: sp.csr_matrix) -> CatalogPopularity:
        rows = row_popularity(matrix)
        catalog = np.full(len(rows), np.nan) if catalog_popularity is None else catalog_popularity
        # the catalog's number first; a song it does not rate comes after every rated one
        return cls(np.where(np.isfinite(catalog), 1.0 + np.nan_to_num(catalog) / 100.0,
                            rows / (rows.max(initial=0.0) + 1.0)))

    def scores(self, listener: Listener) -> np.ndarray:
        return self.popularity


@dataclass(frozen=True)
class ArtistThenPopularity:
    """A discovery baseline: songs by the artists the listener streams (the more streamed
    the artist, the higher), each artist's songs by popularity; then every other song by
    popularity."""

    artist_codes: np.ndarray  # per column, -1 where unknown
    popularity: np.ndarray  # CatalogPopularity's order

    @classmethod
    def fit(cls, ix: Interactions, popularity: CatalogPopularity) -> ArtistThenPopularity:
        return cls(artist_codes(ix.artist_names_).astype("int64"), popularity.popularity)

    def scores(self, listener: Listener) -> np.ndarray:
        row = sp.csr_matrix(listener.row(None))
        keep = (row.data > 0) & (self.artist_codes[row.indices] >= 0)
        size = int(self.artist_codes.max(initial=-1)) + 1
        weight = np.bincount(self.artist_codes[row.indices[keep]], weights=row.data[keep], minlength=size)
        mine = np.where(self.artist_codes >= 0, weight[np.maximum(self.artist_codes, 0)], 0.0) if size else \
            np.zeros(len(self.artist_codes))
        spread = self.popularity.max(initial=0.0) + 1.0
        # the artist's weight first (dense rank: strictly before popularity), then popularity
        order = pd.Series(mine).rank(method="dense").to_numpy()
        return np.where(mine > 0, spread * (1.0 + order) + self.popularity, self.popularity)


@dataclass(frozen=True)
class ItemKNN:
    """Cosine item-KNN over "liked in the same session or playlist"; -inf for columns in no row."""

    liked: sp.csr_matrix
    half_life: float | None = 90.0

    @classmethod
    def fit(cls, matrix: sp.csr_matrix, half_life: float | None = 90.0) -> ItemKNN:
        return cls(liked_cells(matrix), half_life)

    def scores(self, listener: Listener) -> np.ndarray:
        return cooccurrence_scores(self.liked, listener.row(self.half_life))


@dataclass(frozen=True)
class AudioKNN:
    """Cosine similarity of audio features (scaled 0–1, real catalog features only) to the
    listener's songs, weighted by the row; -inf for columns without features."""

    unit: np.ndarray
    usable: np.ndarray
    half_life: float | None = 90.0

    @classmethod
    def fit(cls, features: np.ndarray, half_life: float | None = 90.0) -> AudioKNN:
        scaled, _, _ = scale_features(features)
        usable = np.isfinite(scaled).all(axis=1)
        unit = np.where(usable[:, None], np.nan_to_num(scaled), 0.0)
        norms = np.linalg.norm(unit, axis=1)
        return cls(unit / np.where(norms > 0, norms, 1.0)[:, None], usable, half_life)

    def scores(self, listener: Listener) -> np.ndarray:
        row = sp.csr_matrix(listener.row(self.half_life))
        keep = self.usable[row.indices] & (row.data > 0)
        if not keep.any():
            return np.where(self.usable, 0.0, -np.inf)
        centre = (row.data[keep][:, None] * self.unit[row.indices[keep]]).sum(axis=0)
        return np.where(self.usable, self.unit @ centre, -np.inf)


@dataclass(frozen=True)
class ALSOnly:
    """ALS alone: the listener's solved taste vector against the learned item factors."""

    model: TasteModel
    half_life: float | None = 90.0

    def scores(self, listener: Listener) -> np.ndarray:
        return self.model.als_scores(listener.row(self.half_life), cold=False)
