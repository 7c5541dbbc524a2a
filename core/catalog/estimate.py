"""Audio features of the songs no catalog covers, estimated from the person's own listening.

Only 5–20 % of a person's songs have audio features in a public catalog; a mood request
that could only use those would leave the listener's own music out. So each song without
features gets an estimate, from the first of these that knows it:

1. ``taste model``: the trained taste model's imputation (the mean of its nearest
   neighbours in ALS factor space, ``core.taste.model``);
2. ``artist``: the mean of the same artist's songs that have features;
3. ``neighbours``: the mean of the songs the person plays next to it (within two plays in
   one session, ``core.history.neighbour_counts``), weighted by how often.

An estimate is never stored as a catalog value: callers keep real and estimated values
apart and say which one a reason quotes (``SOURCE_LABELS``). ``bench/estimate_eval.py``
measures each source's error on songs whose real features are held out.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

SOURCES = ("taste model", "artist", "neighbours")
SOURCE_LABELS = {
    "taste model": "estimated by your taste model",
    "artist": "estimated from the artist's other songs",
    "neighbours": "estimated from the songs you play next to it",
}
MIN_NEIGHBOUR_WEIGHT = 2.0  # at least this many co-plays with songs that have features


def artist_means(values: np.ndarray, artist_codes: np.ndarray) -> np.ndarray:
    """Per song, the mean of each feature over the other songs by its artist that have it
    (NaN where none has; ``artist_codes`` -1: no artist)."""
    out = np.full(values.shape, np.nan)
    known = np.isfinite(values)
    codes = np.asarray(artist_codes)
    ok = codes >= 0
    if not ok.any():
        return out
    size = int(codes[ok].max()) + 1
    for column in range(values.shape[1]):
        has = ok & known[:, column]
        sums = np.bincount(codes[has], weights=values[has, column], minlength=size)
        counts = np.bincount(codes[has], minlength=size).astype(float)
        own_sum = np.where(has, values[:, column], 0.0)  # leave the song itself out
        own_count = has.astype(float)
        total = sums[np.maximum(codes, 0)] - own_sum
        count = counts[np.maximum(codes, 0)] - own_count
        out[:, column] = np.where(ok & (count > 0), total / np.maximum(count, 1), np.nan)
    return out


def neighbour_means(values: np.ndarray, neighbours: sp.csr_matrix,
                    min_weight: float = MIN_NEIGHBOUR_WEIGHT) -> np.ndarray:
    """Per song, each feature's mean over its neighbours that have it, weighted by the
    neighbour counts (NaN where their weight is under ``min_weight``)."""
    known = np.isfinite(values)
    filled = np.where(known, values, 0.0)
    weight = np.asarray(neighbours @ known.astype(float))
    total = np.asarray(neighbours @ filled)
    return np.where(weight >= min_weight, total / np.maximum(weight, 1e-9), np.nan)


def estimate_features(values: np.ndarray, artist_codes: np.ndarray, neighbours: sp.csr_matrix | None = None,
                      imputed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(estimates, source of each row's estimate) for the rows of ``values`` (songs x
    features, NaN where unknown) that have no feature at all.

    Rows with any real feature get no estimate (NaN, source None). ``imputed``: the taste
    model's values (NaN where it has none); ``neighbours``: song x song co-play counts.
    """
    n, width = values.shape
    estimates = np.full((n, width), np.nan)
    source = np.full(n, None, dtype=object)
    missing = ~np.isfinite(values).any(axis=1)
    candidates = [("taste model", imputed), ("artist", artist_means(values, artist_codes))]
    if neighbours is not None and neighbours.nnz:
        candidates.append(("neighbours", neighbour_means(values, neighbours)))
    for name, guess in candidates:
        if guess is None:
            continue
        usable = missing & np.isfinite(guess).any(axis=1) & (source == None)  # noqa: E711 (elementwise)
        estimates[usable] = guess[usable]
        source[usable] = name
    return estimates, source


def estimate_frame(frame: pd.DataFrame, features: list[str], artist_column: str,
                   neighbours: sp.csr_matrix | None = None, imputed: pd.DataFrame | None = None) -> pd.DataFrame:
    """``estimate_features`` on a frame of songs: returns ``est_<feature>`` columns and
    ``estimated_by`` (a ``SOURCES`` name, None where the song has real features or no
    estimate), aligned with ``frame``. ``imputed``: the taste model's values by the
    frame's index; ``neighbours`` in the frame's row order."""
    values = frame[features].to_numpy(dtype=float)
    artists = pd.factorize(frame[artist_column].astype(object))[0]
    model = None
    if imputed is not None and len(imputed):
        model = imputed.reindex(frame.index)[features].to_numpy(dtype=float)
    estimates, source = estimate_features(values, artists, neighbours, model)
    out = pd.DataFrame(estimates, index=frame.index, columns=[f"est_{f}" for f in features])
    out["estimated_by"] = source
    return out
