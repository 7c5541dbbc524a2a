"""How good is the taste model on the person's own data, against simple baselines.

Two tasks:

(a) time split — train on everything before a cut-off (28 days before the last play),
    predict the tracks streamed (>= 30 s) in the 28 days after it. Recall@50 and NDCG@50
    over one ranking of every candidate, and separately for re-listens (ranking only the
    tracks played before the cut-off) and for tracks new to the person (ranking only
    candidates never played before: tracks other rows — playlists, other profiles — have,
    and catalog tracks with features). A new track that is in no candidate set cannot be
    recommended by any model and is counted in ``info`` only.
(b) playlist continuation — every playlist with >= 10 tracks hides a seeded 25% of its
    tracks; the model is trained with the hidden tracks removed; each model ranks every
    track but the visible ones from the visible ones. R-precision and NDCG as in the RecSys
    Challenge 2018 (track level; the challenge's artist partial credit is left out).

Baselines (never tuned down): most_played, most_recent, item_knn (cosine over session
co-occurrence), audio_knn (cosine over audio features scaled 0–1, real features only),
als (ALS alone, no audio side), hybrid (``core.taste.scoring.Hybrid``, as the pages and the chat use it). Every one of them is
asked through the same ``scores(listener)`` contract (``core.taste.scoring``).

Choices are made on validation data only, never on the test: in (a) the recency
half-life of the person's row — for als, item_knn, audio_knn and the hybrid alike — and
the hybrid's familiar/new dial and artist weight, on the three 28-day windows before the
cut-off (``choose_settings``); in (b) the hybrid's audio and artist weights, by hiding a
further quarter of the visible tracks (``choose_playlist_weights``).

Splitters and metrics are pure; splitters take a seed.
"""
from __future__ import annotations

import copy
import dataclasses
import time
from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from core.base import Progress, no_progress
from core.history.frame import DEFAULT_MIN_MS
from core.taste.discovery import DISCOVERY_DAYS, DISCOVERY_K
from core.taste.interactions import (
    ITEM,
    TasteInputs,
    Weighting,
    build_matrix,
)
from core.taste.model import (
    TasteModel,
    top_n,
)
from core.taste.scoring import (
    ALSOnly,
    AudioKNN,
    Hybrid,
    HybridSettings,
    ItemKNN,
    Listener,
    MostPlayed,
    MostRecent,
    Recommender,
    row_popularity,
)

MODELS = ("hybrid", "most_played", "most_recent", "item_knn", "audio_knn", "als")
K = 50
PLAYLIST_LIST_LENGTH = 500  # as the RecSys Challenge 2018
TEST_DAYS = 28
MIN_PLAYLIST_TRACKS = 10
HIDE_FRACTION = 0.25
SEEDS = (0, 1, 2)


# --- metrics ---------------------------------------------------------------------------


def recall_at_k(ranked: Sequence, relevant: set, k: int = K) -> float:
    """Share of ``relevant`` in the first ``k`` of ``ranked`` (NaN when nothing is relevant)."""
    if not relevant:
        return float("nan")
    return len(set(list(ranked)[:k]) & relevant) / len(relevant)


def ndcg_at_k(ranked: Sequence, relevant: set, k: int = K) -> float:
    """Binary NDCG@k: sum of 1/log2(rank + 1) over hits, over the best possible sum."""
    if not relevant:
        return float("nan")
    gains = [1.0 / np.log2(i + 2) for i, item in enumerate(list(ranked)[:k]) if item in relevant]
    ideal = sum(1.0 / np.log2(i + 2) for i in range(min(len(relevant), k)))
    return float(sum(gains) / ideal)


def r_precision(ranked: Sequence, relevant: set) -> float:
    """RecSys Challenge 2018 R-precision (track level): hits in the first |relevant| over |relevant|."""
    if not relevant:
        return float("nan")
    return len(set(list(ranked)[: len(relevant)]) & relevant) / len(relevant)


def recsys_ndcg(ranked: Sequence, relevant: set) -> float:
    """RecSys Challenge 2018 NDCG: DCG = rel_1 + sum_{i>=2} rel_i / log2(i) over the whole
    list; IDCG the same with all |relevant| tracks first."""
    if not relevant:
        return float("nan")

    def discount(position: int) -> float:  # 1-based
        return 1.0 if position == 1 else 1.0 / np.log2(position)

    dcg = sum(discount(i + 1) for i, item in enumerate(ranked) if item in relevant)
    idcg = sum(discount(i + 1) for i in range(len(relevant)))
    return float(dcg / idcg)


def coverage(lists: Sequence[Sequence], n_candidates: int) -> float:
    """Share of the candidate tracks that appear in at least one list."""
    if n_candidates <= 0:
        return float("nan")
    return len({item for items in lists for item in items}) / n_candidates


def intra_list_diversity(items: Sequence[int], vectors: np.ndarray) -> float:
    """Mean pairwise cosine distance between the items' vectors (zero vectors left out)."""
    v = vectors[np.asarray(items, dtype="int64")].astype("float64")
    norms = np.linalg.norm(v, axis=1)
    v = v[norms > 0] / norms[norms > 0][:, None]
    if len(v) < 2:
        return float("nan")
    sim = v @ v.T
    n = len(v)
    return float(1.0 - (sim.sum() - n) / (n * (n - 1)))


def novelty(items: Sequence[int], popularity: np.ndarray, n_rows: int) -> float:
    """Mean self-information -log2((rows with the track + 1) / (rows + 1)) in bits."""
    if len(items) == 0:
        return float("nan")
    p = (popularity[np.asarray(items, dtype="int64")] + 1.0) / (n_rows + 1.0)
    return float(np.mean(-np.log2(p)))


# --- splitters -------------------------------------------------------------------------


def time_split(plays: pd.DataFrame, days: int = TEST_DAYS) -> tuple[pd.DataFrame, pd.DataFrame, pd.Timestamp]:
    """(plays starting before the cut-off, plays in the ``days`` after it, cut-off), where
    the cut-off is ``days`` before the last start."""
    cutoff = plays["start"].max() - pd.Timedelta(days=days)
    before = (plays["start"] < cutoff).to_numpy()
    return plays[before], plays[~before], cutoff


def hide_tracks(playlists: dict[str, list[str]], seed: int, fraction: float = HIDE_FRACTION,
                min_tracks: int = MIN_PLAYLIST_TRACKS) -> dict[str, tuple[list[str], list[str]]]:
    """For each playlist with >= ``min_tracks`` distinct tracks: (visible, hidden) keys,
    hiding round(fraction x tracks) of them, chosen by a generator seeded per playlist
    from ``seed`` and the playlist's position in sorted label order."""
    out = {}
    for position, label in enumerate(sorted(playlists)):
        tracks = list(dict.fromkeys(playlists[label]))  # distinct, in order
        if len(tracks) < min_tracks:
            continue
        rng = np.random.default_rng([seed, position])
        n_hidden = max(1, int(round(fraction * len(tracks))))
        hidden = set(rng.choice(len(tracks), size=n_hidden, replace=False).tolist())
        out[label] = ([t for i, t in enumerate(tracks) if i not in hidden],
                      [t for i, t in enumerate(tracks) if i in hidden])
    return out


# --- the two tasks ---------------------------------------------------------------------


def _mean(values: list[float]) -> float | None:
    finite = [v for v in values if v is not None and np.isfinite(v)]
    return float(np.mean(finite)) if finite else None


def _std(values: list[float]) -> float | None:
    finite = [v for v in values if v is not None and np.isfinite(v)]
    return float(np.std(finite)) if len(finite) > 1 else None


def _ranked(scores: np.ndarray, allowed: np.ndarray, n: int) -> np.ndarray:
    return top_n(np.where(allowed, scores, -np.inf), n)[0]


def _windowed(inputs: TasteInputs, plays: pd.DataFrame, cutoff: pd.Timestamp, days: int) -> dict:
    """Everything known before ``cutoff`` (plays, dated playlist items, other profiles'
    plays) and the columns streamed in the ``days`` after it."""
    ix = inputs.interactions
    before = plays[(plays["start"] < cutoff).to_numpy()]
    after = plays[((plays["start"] >= cutoff) & (plays["start"] < cutoff + pd.Timedelta(days=days))).to_numpy()]
    streams = after[after["ms_played"].to_numpy() >= DEFAULT_MIN_MS]
    playlists = {label: [k for k, when in zip(keys, inputs.playlist_added[label])
                         if when is not None and pd.Timestamp(when, tz="UTC") < cutoff]
                 for label, keys in inputs.playlists.items()}
    others = {name: other[(other["start"] < cutoff).to_numpy()] for name, other in inputs.other_profiles.items()}
    return {"train": before, "test": after, "cutoff": cutoff, "playlists": playlists, "others": others,
            "train_idx": ix.column_idx(before[ITEM]),
            "test_cols": set(ix.track_idx(streams[ITEM].astype(object).unique().tolist()).tolist())}


def recommenders(model: TasteModel, inputs: TasteInputs, train: pd.DataFrame, matrix: sp.csr_matrix,
                 settings: dict) -> dict[str, Recommender]:
    """The hybrid and every baseline, built from the training data with the chosen settings."""
    ix = inputs.interactions
    return {
        "hybrid": Hybrid(model, HybridSettings.from_dict(settings["hybrid"])),
        "most_played": MostPlayed.fit(ix, train, matrix),
        "most_recent": MostRecent.fit(ix, train, matrix),
        "item_knn": ItemKNN.fit(matrix, settings["item_knn"]),
        "audio_knn": AudioKNN.fit(inputs.features, settings["audio_knn"]),
        "als": ALSOnly(model, settings["als"]),
    }


def evaluate_time_split(inputs: TasteInputs, params: dict | None = None, weighting: Weighting = Weighting(),
                        seeds: Sequence[int] = SEEDS, days: int = TEST_DAYS, settings: dict | None = None
                        ) -> tuple[dict, dict]:
    """Task (a). Returns ({model: metrics}, info) or raises ValueError with the reason it cannot run.

    The recency half-life of the person's row (for als, item_knn, audio_knn and the
    hybrid) and the hybrid's settings are chosen on validation windows before the cut-off
    (``choose_settings``, as training does), unless ``settings`` are given: the test window
    is never looked at to choose them. most_played and most_recent have nothing to choose.
    """
    plays = inputs.plays
    if plays.empty:
        raise ValueError("no music plays")
    span = (plays["start"].max() - plays["start"].min()).days
    if span < 2 * days:
        raise ValueError(f"the history spans {span} days; the time split needs at least {2 * days}")
    cutoff = plays["start"].max() - pd.Timedelta(days=days)
    ix = inputs.interactions
    w = _windowed(inputs, plays, cutoff, days)
    train, train_idx, test_cols = w["train"], w["train_idx"], w["test_cols"]
    if not len(test_cols):
        raise ValueError(f"nothing was streamed (30 s or more) in the last {days} days of the history, "
                         "so there is nothing to predict")
    settings = settings or choose_settings(inputs, train, params, weighting, days, seeds[0])
    matrix = build_matrix(ix, train, weighting, w["playlists"], w["others"]).values
    history, candidate_new = _candidates(ix, train_idx, matrix, inputs.features)
    relevant_all = {c for c in test_cols if history[c] or candidate_new[c]}
    relevant_old = {c for c in test_cols if history[c]}
    relevant_new = {c for c in test_cols if candidate_new[c]}
    popularity = row_popularity(matrix)
    allowed_all = history | candidate_new
    listener = Listener.of_plays(ix, train, now=cutoff, weighting=weighting)
    per_seed: dict[str, dict[str, list]] = {m: {} for m in MODELS}
    for seed in seeds:
        model = TasteModel(**{**(params or {}), "random_state": seed}).fit(matrix, inputs.features,
                                                                         inputs.interactions.artist_names_,
                                                                         popularity=inputs.popularity,
                                                                         cooc_rows=inputs.catalog_rows)
        for name, recommender in recommenders(model, inputs, train, matrix, settings).items():
            if name not in ("als", "hybrid") and seed != seeds[0]:
                continue  # deterministic: one run is the mean
            s = recommender.scores(listener)
            top = _ranked(s, allowed_all, K)
            old = _ranked(s, history, K)
            new = _ranked(s, candidate_new, K)
            values = {
                "ndcg@50": ndcg_at_k(top, relevant_all), "recall@50": recall_at_k(top, relevant_all),
                "relisten_ndcg@50": ndcg_at_k(old, relevant_old), "relisten_recall@50": recall_at_k(old, relevant_old),
                "new_ndcg@50": ndcg_at_k(new, relevant_new), "new_recall@50": recall_at_k(new, relevant_new),
                "coverage": coverage([top], int(allowed_all.sum())),
                "diversity": intra_list_diversity(top, model.item_factors_),
                "novelty": novelty(top, popularity, matrix.shape[0]),
            }
            for key, value in values.items():
                per_seed[name].setdefault(key, []).append(value)
    results = {name: _summarise(per_seed[name]) for name in MODELS}
    info = {"cutoff": cutoff.isoformat(), "train_plays": int(len(train)), "test_plays": int(len(w["test"])),
            "test_tracks": len(test_cols), "relisten_tracks": len(relevant_old),
            "new_tracks": len(test_cols) - len(relevant_old), "new_tracks_in_candidates": len(relevant_new),
            "candidates": int(allowed_all.sum()), "rows": int(matrix.shape[0]), "seeds": list(seeds),
            "settings": settings}
    return results, info


FAMILIAR_GRID = (0.0, 0.25, 0.5, 0.75, 0.9, 1.0)
HALF_LIFE_GRID = (1.0, 3.0, 7.0, 30.0, 90.0, 365.0)
ARTIST_WEIGHT_GRID = (0.0, 0.25, 0.5)
AUDIO_WEIGHT_GRID = (0.0, 0.1, 0.25)
COOC_WEIGHT_GRID = (0.0, 0.5, 1.0)
VALIDATION_WINDOWS = 3
DEFAULT_SETTINGS = {"hybrid": HybridSettings().to_dict(), "als": 90.0, "item_knn": 90.0, "audio_knn": 90.0}


def _candidates(ix, train_idx: np.ndarray, matrix: sp.csr_matrix, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(tracks played before, tracks new to the person that some model can rank: in a
    training row or with audio features)."""
    history = np.zeros(ix.n_tracks, dtype=bool)
    history[train_idx[train_idx >= 0]] = True
    known = np.diff(matrix.tocsc().indptr) > 0
    return history, ~history & (known | np.isfinite(features).any(axis=1))


def _hybrid_grid(audio_weight: float) -> list[HybridSettings]:
    """Every hybrid setting the validation tries (the dial at 0 ignores the history's half-life),
    ALS alone among them: when the validation weeks cannot tell the other parts help, the
    hybrid is ALS."""
    als_alone = [HybridSettings(familiar=0.0, taste_half_life=hl, history_half_life=HALF_LIFE_GRID[0],
                                audio_weight=0.0, artist_weight=0.0, cooc_weight=0.0) for hl in HALF_LIFE_GRID]
    # first: a tie (validation weeks that cannot tell the settings apart) keeps ALS alone
    return als_alone + [
        HybridSettings(familiar=familiar, taste_half_life=hl, history_half_life=hh, audio_weight=audio_weight,
                       artist_weight=artist_weight, cooc_weight=cooc_weight)
        for hl in HALF_LIFE_GRID for artist_weight in ARTIST_WEIGHT_GRID for cooc_weight in COOC_WEIGHT_GRID
        for hh in HALF_LIFE_GRID for familiar in FAMILIAR_GRID
        if not (familiar == 0 and hh != HALF_LIFE_GRID[0])]


def choose_settings(inputs: TasteInputs, train: pd.DataFrame, params: dict | None, weighting: Weighting,
                    days: int = TEST_DAYS, seed: int = 0, windows: int = VALIDATION_WINDOWS) -> dict:
    """Half-lives (and the hybrid's settings) with the best mean NDCG@50 over the last
    ``windows`` windows of ``days`` in ``train``, each predicted by a model trained on
    what came before it. Every model gets the same search over the same grid, and each is
    scored through its ``scores`` (what ships)."""
    if train.empty:
        return copy.deepcopy(DEFAULT_SETTINGS)  # never the shared dict: callers add to it
    ix = inputs.interactions
    last = train["start"].max()
    totals: dict[tuple, list[float]] = {}
    hybrid_grid = _hybrid_grid(HybridSettings().audio_weight)
    for k in range(1, windows + 1):
        w = _windowed(inputs, train, last - pd.Timedelta(days=k * days), days)
        if w["train"].empty:
            continue
        matrix = build_matrix(ix, w["train"], weighting, w["playlists"], w["others"]).values
        history, candidate_new = _candidates(ix, w["train_idx"], matrix, inputs.features)
        allowed = history | candidate_new
        relevant = {c for c in w["test_cols"] if allowed[c]}
        if not relevant:
            continue
        model = TasteModel(**{**(params or {}), "random_state": seed}).fit(matrix, inputs.features,
                                                                         inputs.interactions.artist_names_,
                                                                         popularity=inputs.popularity,
                                                                         cooc_rows=inputs.catalog_rows)
        listener = Listener.of_plays(ix, w["train"], now=w["cutoff"], weighting=weighting)
        liked = ItemKNN.fit(matrix).liked
        audio = AudioKNN.fit(inputs.features)

        def score(recommender: Recommender) -> float:
            return ndcg_at_k(_ranked(recommender.scores(listener), allowed, K), relevant)

        for hl in HALF_LIFE_GRID:
            totals.setdefault(("als", hl), []).append(score(ALSOnly(model, hl)))
            totals.setdefault(("item_knn", hl), []).append(score(ItemKNN(liked, hl)))
            totals.setdefault(("audio_knn", hl), []).append(score(dataclasses.replace(audio, half_life=hl)))
        for settings in hybrid_grid:  # Hybrid.top: the same list as ranking its scores, quicker
            totals.setdefault(("hybrid", settings), []).append(
                ndcg_at_k(Hybrid(model, settings).top(listener, K, allowed), relevant))
    if not totals:
        return copy.deepcopy(DEFAULT_SETTINGS)  # never the shared dict: callers add to it
    best = {}
    for key, values in totals.items():  # grid order: ties keep the first
        mean = float(np.mean(values))
        if key[0] not in best or mean > best[key[0]][0] + 1e-12:
            best[key[0]] = (mean, key[1])
    out = {name: best[name][1] for name in ("als", "item_knn", "audio_knn")}
    out["hybrid"] = best["hybrid"][1].to_dict()
    out["validation_ndcg@50"] = {name: round(value[0], 4) for name, value in best.items()}
    return out


def _summarise(values: dict[str, list]) -> dict:
    out = {key: _mean(v) for key, v in values.items()}
    if len(values.get("ndcg@50", values.get("ndcg", []))) > 1:
        main = "ndcg@50" if "ndcg@50" in values else "ndcg"
        out[f"{main}_std"] = _std(values[main])
    return out


def evaluate_playlists(inputs: TasteInputs, params: dict | None = None, weighting: Weighting = Weighting(),
                       seeds: Sequence[int] = SEEDS) -> tuple[dict, dict]:
    """Task (b). Returns ({model: metrics}, info) or raises ValueError with the reason it cannot run."""
    if not inputs.playlists:
        raise ValueError("no playlists (account exports have them in Playlist1.json)")
    if not hide_tracks(inputs.playlists, seeds[0]):
        raise ValueError(f"no playlist has {MIN_PLAYLIST_TRACKS} or more tracks")
    ix = inputs.interactions
    n = ix.n_tracks
    per_seed: dict[str, dict[str, list]] = {m: {} for m in MODELS}
    value = float(np.log1p(weighting.playlist_weight))
    chosen_settings: list[dict] = []
    for seed in seeds:
        split = hide_tracks(inputs.playlists, seed)
        visible_lists = {**inputs.playlists, **{label: vis for label, (vis, _) in split.items()}}
        matrix = build_matrix(ix, inputs.plays, weighting, visible_lists, inputs.other_profiles).values
        popularity = row_popularity(matrix)
        model = TasteModel(**{**(params or {}), "random_state": seed}).fit(matrix, inputs.features,
                                                                         inputs.interactions.artist_names_,
                                                                         popularity=inputs.popularity,
                                                                         cooc_rows=inputs.catalog_rows)
        chosen = choose_playlist_weights(inputs, visible_lists, split, params, weighting, seed)
        chosen_settings.append(chosen)
        settings = {"hybrid": HybridSettings.from_dict({**chosen, "familiar": 0.0}).to_dict(),
                    "als": None, "item_knn": None, "audio_knn": None}
        models = recommenders(model, inputs, inputs.plays, matrix, settings)
        lists: dict[str, list] = {m: [] for m in MODELS}
        for label, (visible, hidden) in split.items():
            listener = Listener.of_keys(ix, visible, value)
            allowed = np.ones(n, dtype=bool)
            allowed[listener.row().indices] = False
            relevant = set(ix.track_idx(hidden).tolist())
            for name in MODELS:
                ranked = _ranked(models[name].scores(listener), allowed, PLAYLIST_LIST_LENGTH)
                lists[name].append(ranked[:K])
                for key, v in (("r_precision", r_precision(ranked, relevant)), ("ndcg", recsys_ndcg(ranked, relevant)),
                               ("diversity", intra_list_diversity(ranked[:K], model.item_factors_)),
                               ("novelty", novelty(ranked[:K], popularity, matrix.shape[0]))):
                    per_seed[name].setdefault(f"_{key}", []).append(v)
        for name in MODELS:
            for key in ("r_precision", "ndcg", "diversity", "novelty"):
                per_seed[name].setdefault(key, []).append(_mean(per_seed[name].pop(f"_{key}")))
            per_seed[name].setdefault("coverage", []).append(coverage(lists[name], n))
    results = {name: _summarise(per_seed[name]) for name in MODELS}
    info = {"playlists": len(split), "hidden_per_playlist": HIDE_FRACTION, "list_length": PLAYLIST_LIST_LENGTH,
            "seeds": list(seeds), "hybrid_settings": chosen_settings}
    return results, info


def choose_playlist_weights(inputs: TasteInputs, visible_lists: dict[str, list[str]],
                            split: dict[str, tuple[list[str], list[str]]], params: dict | None, weighting: Weighting,
                            seed: int) -> dict:
    """The hybrid's (audio, artist, co-occurrence) weights with the best mean RecSys NDCG when
    a further quarter of each evaluated playlist's *visible* tracks is hidden (a model trained
    without them): the tracks hidden for the test are never looked at."""
    ix = inputs.interactions
    inner = hide_tracks({label: visible for label, (visible, _) in split.items()}, seed + 1000, min_tracks=4)
    if not inner:  # nothing to validate on: ALS alone
        return {"audio_weight": 0.0, "artist_weight": 0.0, "cooc_weight": 0.0, "validation_ndcg": None,
                "validation_playlists": 0, "shrunk_to_als": True}
    lists = {**visible_lists, **{label: vis for label, (vis, _) in inner.items()}}
    matrix = build_matrix(ix, inputs.plays, weighting, lists, inputs.other_profiles).values
    model = TasteModel(**{**(params or {}), "random_state": seed}).fit(
        matrix, inputs.features, ix.artist_names_, popularity=inputs.popularity,
        cooc_rows=inputs.catalog_rows)
    value = float(np.log1p(weighting.playlist_weight))
    cases = []
    for visible, hidden in inner.values():
        listener = Listener.of_keys(ix, visible, value)
        allowed = np.ones(ix.n_tracks, dtype=bool)
        allowed[listener.row().indices] = False
        cases.append((listener, allowed, set(ix.track_idx(hidden).tolist())))
    per_setting = {}
    for audio_weight in AUDIO_WEIGHT_GRID:
        for artist_weight in ARTIST_WEIGHT_GRID:
            for cooc_weight in COOC_WEIGHT_GRID:
                hybrid = Hybrid(model, HybridSettings(familiar=0.0, taste_half_life=None, audio_weight=audio_weight,
                                                      artist_weight=artist_weight, cooc_weight=cooc_weight))
                per_setting[(audio_weight, artist_weight, cooc_weight)] = np.array([
                    recsys_ndcg(_ranked(hybrid.scores(listener), allowed, PLAYLIST_LIST_LENGTH), relevant)
                    for listener, allowed, relevant in cases])
    best = max(per_setting, key=lambda k: (per_setting[k].mean(), -sum(k)))
    # shrink toward ALS alone: other weights only when they beat it on these playlists by
    # more than one standard error of the paired difference (a few playlists cannot tell)
    als = per_setting[(0.0, 0.0, 0.0)]
    diff = per_setting[best] - als
    error = diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else np.inf
    kept = bool(diff.mean() > error)
    chosen = best if kept else (0.0, 0.0, 0.0)
    return {"audio_weight": chosen[0], "artist_weight": chosen[1], "cooc_weight": chosen[2],
            "validation_ndcg": round(float(per_setting[chosen].mean()), 4), "validation_playlists": len(cases),
            "shrunk_to_als": not kept}


def evaluate_inputs(inputs: TasteInputs, params: dict | None = None, weighting: Weighting = Weighting(),
                    seeds: Sequence[int] = SEEDS, progress: Progress = no_progress) -> dict:
    """Every task in the JSON shape of ``python -m core evaluate --json``; a task that cannot
    run is ``{"skipped": reason}``."""
    out: dict = {"info": {}}
    started = time.perf_counter()
    for key, task, fraction in (("time_split", evaluate_time_split, 0.0), ("playlist_continuation", evaluate_playlists, 0.4),
                                ("discovery", evaluate_discovery_task, 0.7)):
        progress(fraction, f"Evaluating: {key.replace('_', ' ')}")
        try:
            out[key], out["info"][key] = task(inputs, params, weighting, seeds)
        except ValueError as exc:
            out[key] = {"skipped": str(exc)}
    out["info"]["seconds"] = round(time.perf_counter() - started, 2)
    progress(1.0, "Evaluation done")
    return out


def evaluate_discovery_task(inputs: TasteInputs, params: dict | None, weighting: Weighting,
                            seeds: Sequence[int]) -> tuple[dict, dict]:
    """The discovery task (``core.taste.discovery.evaluate_discovery``, first seed) as
    ({model: {"mpr", "recall@50"}}, {"cutoffs", "new_songs", "reached", "reach"}); ValueError
    when no cut-off has enough history before it or no song found after one could be offered."""
    from core.taste.discovery import MIN_TRAIN_PLAYS, evaluate_discovery, pool_discovery

    result = evaluate_discovery(inputs, params, weighting, seed=seeds[0] if len(seeds) else 0)
    pooled = pool_discovery([result])
    if not pooled["windows"]:
        raise ValueError(f"fewer than {MIN_TRAIN_PLAYS:,} plays before the last {DISCOVERY_DAYS} days")
    if not pooled["reached"]:
        raise ValueError(f"none of the {pooled['new_songs']:,} songs first streamed after a cut-off was in a source "
                         "Encore can judge offline (a catalog, your playlists or a profile that shares with yours; "
                         "songs only Spotify or Gemini found are left out of this task)")
    metrics = {name: {"mpr": m["mpr"], f"recall@{DISCOVERY_K}": m["recall"]} for name, m in pooled["models"].items()}
    info = {"cutoffs": pooled["windows"], "new_songs": pooled["new_songs"], "reached": pooled["reached"],
            "reach": pooled["reach"]}
    return metrics, info


def evaluate_profile(db, profile: str, params: dict | None = None, weighting: Weighting = Weighting(),
                     seeds: Sequence[int] = SEEDS, progress: Progress = no_progress) -> dict:
    """``evaluate_inputs`` on everything the store holds for ``profile``."""
    from core.taste.interactions import load_inputs

    return evaluate_inputs(load_inputs(db, profile), params, weighting, seeds, progress)


TASK_COLUMNS = {  # the headline metrics of each task, in the order the tables show them
    "time_split": ("ndcg@50", "recall@50", "relisten_ndcg@50", "new_ndcg@50", "coverage", "diversity", "novelty"),
    "playlist_continuation": ("ndcg", "r_precision", "coverage", "diversity", "novelty"),
    "discovery": ("mpr", f"recall@{DISCOVERY_K}"),
}


def table(results: dict, task: str) -> pd.DataFrame:
    """One row per model with the task's own headline metrics, for the page and the CLI."""
    columns = TASK_COLUMNS[task]
    rows = [{"model": model, **{c: metrics.get(c) for c in columns}}
            for model, metrics in results.get(task, {}).items() if model != "skipped"]
    return pd.DataFrame(rows, columns=["model", *columns])


def ndcg_frame(results: dict) -> pd.DataFrame:
    """(model, metric, value): the NDCG of each model on each task that ran, for a chart."""
    rows = [{"model": model, "metric": label, "value": metrics.get(key)}
            for task, key, label in (("time_split", "ndcg@50", "NDCG@50, next 28 days"),
                                     ("playlist_continuation", "ndcg", "NDCG, playlist continuation"))
            for model, metrics in results.get(task, {}).items() if model != "skipped"]
    return pd.DataFrame(rows, columns=["model", "metric", "value"]).dropna()


BASELINE_NAMES = {"most_played": "“most played”", "most_recent": "“most recently played”",
                  "item_knn": "“played in the same sessions”", "audio_knn": "“sounds alike”", "als": "ALS alone"}


def plain_summary(results: dict) -> dict[str, str]:
    """One sentence per task that ran, for a listener: what share the model found, against
    the best of the baselines (``{"time_split": "...", "playlist_continuation": "...", "discovery": "..."}``)."""
    out = {}
    info = results.get("info", {})
    split = results.get("time_split", {})
    if "hybrid" in split and split["hybrid"].get("recall@50") is not None:
        days = TEST_DAYS // 7
        facts = info.get("time_split", {})
        # the recall is over the songs some model could rank: re-listens and reachable new songs
        songs = (facts["relisten_tracks"] + facts["new_tracks_in_candidates"]
                 if {"relisten_tracks", "new_tracks_in_candidates"} <= set(facts) else None)
        best = max((m for m in split if m in BASELINE_NAMES and split[m].get("recall@50") is not None),
                   key=lambda m: split[m]["recall@50"], default=None)
        of = f"the {songs:,} songs" if songs else "the songs"
        sentence = (f"Of {of} you streamed in the {days} weeks after the cut-off that Encore could rank, the model had "
                    f"{split['hybrid']['recall@50']:.0%} in its top {K}")
        if best:
            sentence += f"; the best simple rule, {BASELINE_NAMES[best]}, had {split[best]['recall@50']:.0%}"
        out["time_split"] = sentence + "."
    lists = results.get("playlist_continuation", {})
    if "hybrid" in lists and lists["hybrid"].get("r_precision") is not None:
        count = info.get("playlist_continuation", {}).get("playlists")
        best = max((m for m in lists if m in BASELINE_NAMES and lists[m].get("r_precision") is not None),
                   key=lambda m: lists[m]["r_precision"], default=None)
        sentence = (f"With a quarter of each of your {count:,} playlists hidden" if count else
                    "With a quarter of each playlist hidden")
        sentence += (f", the model put {lists['hybrid']['r_precision']:.0%} of the hidden songs at the top of its "
                     "list")
        if best:
            sentence += f"; the best simple rule, {BASELINE_NAMES[best]}, put {lists[best]['r_precision']:.0%}"
        out["playlist_continuation"] = sentence + "."
    found = results.get("discovery", {})
    if "hybrid" in found and found["hybrid"].get("mpr") is not None:
        facts = info.get("discovery", {})
        rivals = {"catalog_popularity": "“most popular in the catalog”",
                  "artist_then_popularity": "“the artists you play, then the most popular”"}
        best = min((m for m in rivals if found.get(m, {}).get("mpr") is not None),
                   key=lambda m: found[m]["mpr"], default=None)
        songs = facts.get("reached")
        sentence = (f"Of the {songs:,} songs you first streamed in the {DISCOVERY_DAYS // 7} weeks after a cut-off "
                    "that Encore could offer"
                    if songs else "Of the songs you first streamed that Encore could offer")
        sentence += (f", the model placed the average one in its top {found['hybrid']['mpr']:.0%} of "
                     "never-streamed songs")
        if best:
            sentence += f"; the best simple rule, {rivals[best]}, in its top {found[best]['mpr']:.0%}"
        out["discovery"] = sentence + "."
    return out
