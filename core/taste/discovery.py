"""Discovery: songs the listener has never streamed, from every source they have, ranked by
the taste model as it ships, and the task that measures it.

A **candidate** is a song the listener has never streamed (30 s or more) that some source
offers; each carries the first source that reaches it (``SOURCES``):

- ``your playlists``: in one of their own playlists or their library;
- ``shared profile``: streamed by a profile that shares listening with theirs;
- ``Gemini``: suggested by Gemini for them and resolved to a real track (``core.chat.suggest``);
- ``Spotify``: found on Spotify for them (``core.spotify.candidates``), a song no catalog they
  imported has;
- ``artist you play``: a catalog song by an artist they stream;
- ``catalog``: any other catalog song (reached through the catalog's own lists, its genres
  and its audio features).

The ranking is the hybrid's (``core.taste.scoring.Hybrid``) with this task's fixed weights
(``DISCOVERY_WEIGHTS``): the catalog's curated playlists and subgenres are rows
of its co-occurrence part (``core.taste.interactions.catalog_matrix``), so a catalog song
nobody here played is reached through the lists it shares with songs the listener plays;
the artists they play and the catalog's popularity are parts of it too.

``evaluate_discovery`` cuts the history at several dates, trains on what came before each,
and ranks every candidate of that moment; the songs first streamed in the next ``days``
that a source could offer are the answers. It reports the mean percentile rank (Hu, Koren
& Volinsky 2008: 0 = every answer on top, 0.5 = random) and recall@50 of the hybrid and of
the baselines, and the share of the new songs any source reaches.
"""
from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.stats import rankdata

from core.history.frame import DEFAULT_MIN_MS
from core.names import primary_artist
from core.taste.interactions import ITEM, OUTSIDE_SOURCES, Interactions, TasteInputs, Weighting, build_matrix
from core.taste.model import TasteModel, top_n
from core.taste.scoring import (
    ALSOnly,
    ArtistThenPopularity,
    AudioKNN,
    CatalogPopularity,
    Hybrid,
    HybridSettings,
    Listener,
    Recommender,
)

# Gemini and Spotify come before "artist you play": the Spotify search starts from the
# artists they play, so that rule would cover nearly every song it finds and hide where the
# song came from; the reason still says how it is like their music. Gemini comes first: a
# song it suggested that the Spotify search also found was asked for by name.
SOURCES = ("your playlists", "shared profile", *OUTSIDE_SOURCES, "artist you play", "catalog")
DISCOVERY_MODELS = ("hybrid", "als", "catalog_popularity", "artist_then_popularity", "audio_knn")
DISCOVERY_DAYS = 28
CUTOFFS = 4  # cut-offs per history: the last DISCOVERY_DAYS, then every CUTOFF_STEP_DAYS before
CUTOFF_STEP_DAYS = 91
MIN_TRAIN_PLAYS = 1000  # a cut-off with less history before it is skipped
DISCOVERY_K = 50  # recall@K


def streamed_columns(ix: Interactions, plays: pd.DataFrame) -> np.ndarray:
    """Per column of ``ix``: streamed (>= 30 s) in ``plays``."""
    out = np.zeros(ix.n_tracks, dtype=bool)
    streams = plays[plays["ms_played"].to_numpy() >= DEFAULT_MIN_MS]
    idx = ix.track_idx(streams[ITEM].astype(object).unique().tolist())
    out[idx[idx >= 0]] = True
    return out


# what a saved model keeps per column (one saved before the outside sources has only the others)
SOURCE_MASKS = ("your playlists", "shared profile", *OUTSIDE_SOURCES, "catalog")


def source_masks(inputs: TasteInputs, playlists: dict[str, list[str]] | None = None,
                 others: dict[str, pd.DataFrame] | None = None) -> dict[str, np.ndarray]:
    """Per column: in the listener's playlists or library, streamed by a shared profile, found
    by an outside source (``OUTSIDE_SOURCES``), in a catalog (features, popularity or a
    catalog list). ``playlists`` and ``others`` as known at the moment asked (default: all
    of them)."""
    ix = inputs.interactions
    n = ix.n_tracks

    def having(groups) -> np.ndarray:
        mask = np.zeros(n, dtype=bool)
        for keys in groups:
            idx = ix.track_idx(list(keys))
            mask[idx[idx >= 0]] = True
        return mask

    catalog = np.isfinite(inputs.features).any(axis=1) | having(inputs.catalog_lists.values())
    if inputs.popularity is not None:
        catalog |= np.isfinite(inputs.popularity)
    shared = having(other.loc[other["ms_played"].to_numpy() >= DEFAULT_MIN_MS, ITEM].astype(object).unique().tolist()
                    for other in (inputs.other_profiles if others is None else others).values())
    mine = having((inputs.playlists if playlists is None else playlists).values())
    found = {name: inputs.found.get(name, np.zeros(n, dtype=bool)) for name in OUTSIDE_SOURCES}
    return {"your playlists": mine, "shared profile": shared, **found, "catalog": catalog}


def lead_artist_codes(artist_names: Sequence) -> np.ndarray:
    """Per column, a code of its (primary) artist (``core.names.primary_artist``, each
    distinct name read once); -1 where there is none. Fixed for a model's columns: worth
    keeping (``Current.lead_artists``)."""
    codes, names = pd.factorize(pd.Series(list(artist_names), dtype=object))
    lead, _ = pd.factorize(pd.Series([primary_artist(a) for a in names], dtype=object))
    return np.append(lead, -1)[codes]  # a column without a name (code -1) reads the appended -1


def sources_of(masks: dict[str, np.ndarray], lead_artists: np.ndarray, streamed: np.ndarray) -> np.ndarray:
    """Per column, the first source in ``SOURCES`` that offers it; None for a song streamed
    already or one no source offers. "artist you play": a catalog song by a (primary)
    artist of a streamed song (``lead_artists``: ``lead_artist_codes`` of the columns). A
    source ``masks`` lacks (a model saved before it) offers nothing."""
    played = np.zeros(int(lead_artists.max(initial=-1)) + 2, dtype=bool)
    played[lead_artists[streamed & (lead_artists >= 0)]] = True
    by_artist = masks["catalog"] & (lead_artists >= 0) & played[lead_artists]
    out = np.full(len(streamed), None, dtype=object)
    for name in SOURCES:
        mask = by_artist if name == "artist you play" else masks.get(name)
        if mask is not None:
            out[mask & ~streamed & (out == None)] = name  # noqa: E711 (elementwise)
    return out


def candidate_sources(inputs: TasteInputs, streamed: np.ndarray, playlists: dict[str, list[str]] | None = None,
                      others: dict[str, pd.DataFrame] | None = None) -> np.ndarray:
    """``sources_of`` the columns of ``inputs`` (``source_masks`` as known at the moment asked)."""
    return sources_of(source_masks(inputs, playlists, others), lead_artist_codes(inputs.interactions.artist_names_),
                      streamed)


def discovery_recommenders(model: TasteModel, inputs: TasteInputs, matrix: sp.csr_matrix,
                 settings: HybridSettings) -> dict[str, Recommender]:
    """The hybrid (as it ships, dial at "new") and the discovery baselines, never tuned down."""
    popularity = CatalogPopularity.fit(inputs.popularity, matrix)
    return {
        "hybrid": Hybrid(model, settings).with_familiar(0.0),
        "als": ALSOnly(model, settings.taste_half_life),
        "catalog_popularity": popularity,
        "artist_then_popularity": ArtistThenPopularity.fit(inputs.interactions, popularity),
        "audio_knn": AudioKNN.fit(inputs.features, settings.taste_half_life),
    }


def percentile_ranks_of(scores: np.ndarray, candidates: np.ndarray, answers: np.ndarray) -> np.ndarray:
    """Each answer's rank among the candidates as a share: 0 = first, 1 = last (ties share
    their average rank; a score of -inf, "cannot rank", ties with every other -inf last)."""
    pool = np.flatnonzero(candidates)
    if len(pool) < 2:
        return np.zeros(len(answers))
    values = np.where(np.isfinite(scores[pool]), -scores[pool], np.inf)
    ranks = rankdata(values, method="average")
    where = {c: i for i, c in enumerate(pool)}
    return np.array([(ranks[where[a]] - 1) / (len(pool) - 1) for a in answers])


def cutoffs_of(plays: pd.DataFrame, count: int = CUTOFFS, days: int = DISCOVERY_DAYS,
               step: int = CUTOFF_STEP_DAYS, min_train: int = MIN_TRAIN_PLAYS) -> list[pd.Timestamp]:
    """The cut-offs the task uses: ``days`` before the last play, then every ``step`` days
    earlier, while at least ``min_train`` plays come before."""
    if plays.empty:
        return []
    last = plays["start"].max()
    out = []
    for k in range(count):
        cutoff = last - pd.Timedelta(days=days + k * step)
        if int((plays["start"] < cutoff).sum()) < min_train:
            break
        out.append(cutoff)
    return out


# The hybrid's part weights for songs the listener has never streamed: fixed, never tuned
# per listener. Every part counts, the artist (by rank: ``TasteModel.artist_ranks``), the
# catalog's lists and ALS alike, the catalog's popularity half as much. Chosen per listener on the songs found in their last
# 4 x 28 days (a grid of 360 weightings, as this module did before), the pooled mean
# percentile rank of the real exports got worse, 0.082 -> 0.102 (bench/README.md): a
# listener finds 13-100 songs in those weeks, a few albums' worth, too few to choose on.
DISCOVERY_WEIGHTS = {"als_weight": 1.0, "audio_weight": 0.1, "artist_weight": 0.0, "artist_rank_weight": 1.0,
                     "cooc_weight": 1.0, "popularity_weight": 0.5}


def discovery_settings(base: HybridSettings, weights: dict[str, float] | None = None) -> HybridSettings:
    """The hybrid's settings for never-streamed songs: ``base``'s half-lives (chosen for the
    whole list), ``DISCOVERY_WEIGHTS``' part weights (``weights`` replaces some, for the
    benchmark's ablation), the dial at "new"."""
    return dataclasses.replace(base, familiar=0.0, **{**DISCOVERY_WEIGHTS, **(weights or {})})


@dataclass
class _Moment:
    """Everything known at a cut-off, the model trained on it, and the songs found after."""

    cutoff: pd.Timestamp
    sources: np.ndarray
    candidates: np.ndarray
    new: np.ndarray
    answers: np.ndarray
    matrix: sp.csr_matrix
    model: TasteModel
    listener: Listener


def _moment(inputs: TasteInputs, plays: pd.DataFrame, cutoff: pd.Timestamp, days: int, params: dict | None,
            weighting: Weighting, seed: int) -> _Moment:
    from core.taste.evaluate import _windowed  # the same "known before the cut-off" as the other tasks

    ix = inputs.interactions
    w = _windowed(inputs, plays, cutoff, days)
    streamed = streamed_columns(ix, w["train"])
    sources = candidate_sources(inputs, streamed, w["playlists"], w["others"])
    # songs only Spotify or Gemini offered were found from the whole history, the weeks judged
    # included: never a candidate here (Encore cannot know what they would have offered then)
    outside = np.zeros(ix.n_tracks, dtype=bool)
    for name in OUTSIDE_SOURCES:
        outside |= inputs.found.get(name, outside)
    candidates = (sources != None) & ~outside  # noqa: E711
    new = streamed_columns(ix, w["test"]) & ~streamed
    matrix = build_matrix(ix, w["train"], weighting, w["playlists"], w["others"]).values
    model = TasteModel(**{**(params or {}), "random_state": seed}).fit(matrix, inputs.features, ix.artist_names_,
                                                                     popularity=inputs.popularity,
                                                                     cooc_rows=inputs.catalog_rows)
    return _Moment(cutoff, sources, candidates, new, np.flatnonzero(new & candidates), matrix, model,
                   Listener.of_plays(ix, w["train"], now=cutoff, weighting=weighting))


def evaluate_discovery(inputs: TasteInputs, params: dict | None = None, weighting: Weighting = Weighting(),
                       settings: HybridSettings | None = None, cutoffs: Sequence[pd.Timestamp] | None = None,
                       days: int = DISCOVERY_DAYS, seed: int = 0, k: int = DISCOVERY_K,
                       weights: dict[str, float] | None = None) -> dict:
    """The discovery task (see the module docstring).

    The hybrid ranks with ``discovery_settings(settings, weights)`` (default ``HybridSettings()``'s
    90-day half-lives, where training takes the ones it chose for the whole list).
    Returns ``{"windows": [per cut-off: cutoff, new_songs, reached, candidates, reached_by,
    settings, per model its percentile ranks, hits and recall@k]}``; ``pool_discovery``
    pools them.
    """
    base = settings or HybridSettings()
    plays = inputs.plays
    windows = []
    chosen = discovery_settings(base, weights)
    for cutoff in (cutoffs_of(plays, days=days) if cutoffs is None else cutoffs):
        m = _moment(inputs, plays, cutoff, days, params, weighting, seed)
        result = {"cutoff": cutoff.isoformat(), "new_songs": int(m.new.sum()), "reached": int(len(m.answers)),
                  "candidates": int(m.candidates.sum()),
                  "reached_by": {s: int((m.sources[m.answers] == s).sum()) for s in SOURCES},
                  "settings": chosen.to_dict(), "models": {}}
        for name, recommender in discovery_recommenders(m.model, inputs, m.matrix, chosen).items():
            scores = recommender.scores(m.listener)
            ranks = percentile_ranks_of(scores, m.candidates, m.answers)
            top = set(top_n(np.where(m.candidates, scores, -np.inf), k)[0].tolist())
            hits = len(top & set(m.answers.tolist()))
            result["models"][name] = {"ranks": ranks.tolist(), "hits": hits,
                                      "recall": hits / len(m.answers) if len(m.answers) else None}
        windows.append(result)
    return {"windows": windows}


def pool_discovery(results: Sequence[dict]) -> dict:
    """Pooled over every window of every result: per model the mean percentile rank (over
    every answer) and recall@k (hits over answers), and the share of new songs reached."""
    windows = [w for r in results for w in r["windows"]]
    new = sum(w["new_songs"] for w in windows)
    reached = sum(w["reached"] for w in windows)
    out = {"windows": len(windows), "new_songs": new, "reached": reached,
           "reach": reached / new if new else None, "models": {}}
    for name in DISCOVERY_MODELS:
        ranks = [r for w in windows for r in w["models"].get(name, {}).get("ranks", [])]
        hits = sum(w["models"].get(name, {}).get("hits", 0) for w in windows)
        out["models"][name] = {"mpr": float(np.mean(ranks)) if ranks else None,
                               "recall": hits / reached if reached else None}
    return out


# --- the list a person sees ---------------------------------------------------------------------

SOURCE_LABELS = {
    "your history": "you stream it",
    "your playlists": "in your playlists or library, never streamed",
    "shared profile": "streamed by a profile that shares with yours",
    "Gemini": "suggested by Gemini",
    "Spotify": "found on Spotify",
    "artist you play": "a catalog song by an artist you play",
    "catalog": "from the catalog",
}
CAPPED_UP_TO = 200  # longer lists (a script asking for every candidate) are not capped per artist


def discover(model: TasteModel, ix, listener: Listener, streamed: np.ndarray, sources: np.ndarray,
              settings: HybridSettings, discovery: HybridSettings, track_ids: np.ndarray | None = None,
              n: int = 25, familiar: float = 0.0, per_artist: int = 2) -> pd.DataFrame:
    """The recommended songs, best first: ``round(familiar * n)`` songs the listener streams
    (the trained hybrid's order) and the rest never streamed (``discovery``'s order, each
    with its source), interleaved so that every stretch of the list follows the dial. At
    0 every song is new to them, at 1 every one is theirs.

    Songs they skipped away or disliked never come back, nor a new song they gave a 👍 (it is theirs now); no song twice; at most
    ``per_artist`` of one artist in each 25 (up to ``CAPPED_UP_TO`` songs). Columns:
    track_key, track_uri, track_name, artist_name, score (0..1, the song's percentile in
    its own list), source, familiar, reason.
    """
    from core.taste.recommend import explain, stats_of

    familiar = float(min(max(familiar, 0.0), 1.0))
    row = listener.row(settings.taste_half_life)
    blocked = row.indices[row.data < 0]
    liked_new = row.indices[(row.data > 0) & ~streamed[row.indices]]  # a 👍 on a new song: taken, not offered again
    ranked: dict[str, np.ndarray] = {}
    for name, hybrid, allowed, use in (
            ("known", Hybrid(model, settings), streamed, familiar > 0),
            ("new", Hybrid(model, discovery).with_familiar(0.0), sources != None, familiar < 1)):  # noqa: E711
        scores = np.where(allowed, hybrid.scores(listener), -np.inf) if use else np.full(len(streamed), -np.inf)
        scores[blocked] = -np.inf
        if name == "new":
            scores[liked_new] = -np.inf
        fetch = int(min(np.isfinite(scores).sum(), n * 20 if n <= CAPPED_UP_TO else n))
        top = top_n(scores, fetch)[0] if fetch else np.zeros(0, dtype=int)
        ranked[name] = top[np.isfinite(scores[top])]
    position = {kind: {int(i): p for p, i in enumerate(ranked[kind])} for kind in ranked}
    order = _merge(ranked, ix.artist_names_, n, familiar, per_artist if n <= CAPPED_UP_TO else None)
    positive = row.data > 0
    seeds = row.indices[positive][np.argsort(-row.data[positive], kind="stable")][:50]
    stats = stats_of(listener)
    places = model.artist_places(listener.row(discovery.taste_half_life))[0] if familiar < 1 else None
    together = _listed_with(model, [idx for kind, idx in order if kind == "new"], seeds)
    rows = []
    for kind, idx in order:
        source = "your history" if kind == "known" else str(sources[idx])
        why = explain(model, ix, idx, seeds, stats) if kind == "known" else new_song_reason(
            model, ix, idx, source, seeds, places, together.get(idx))
        rows.append({"track_key": ix.track_keys_[idx],
                     "track_uri": f"spotify:track:{track_ids[idx]}" if track_ids is not None and track_ids[idx]
                     else None,
                     "track_name": ix.track_names_[idx], "artist_name": ix.artist_names_[idx],
                     "score": round(1.0 - position[kind][int(idx)] / max(len(ranked[kind]), 1), 4), "source": source,
                     "familiar": kind == "known",
                     "reason": why})
    return pd.DataFrame(rows, columns=["track_key", "track_uri", "track_name", "artist_name", "score", "source",
                                       "familiar", "reason"])


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def _listed_with(model: TasteModel, songs: Sequence[int], seeds: np.ndarray) -> dict[int, int]:
    """Per song, the seed (most liked first on ties) sharing the most co-occurrence rows with
    it — a catalog list, a playlist, a sharing profile's session — for the songs that share
    any. One sparse product for the whole list."""
    songs = [s for s in songs if s < model.cooc_.shape[1]]
    if not songs or not len(seeds):
        return {}
    shared = (model.cooc_[:, songs].T @ model.cooc_[:, seeds]).toarray()  # songs x seeds: rows in common
    best = shared.argmax(axis=1)  # the first of the largest: the most liked seed
    return {song: int(seeds[b]) for song, b, row in zip(songs, best, shared) if row[b] > 0}


def new_song_reason(model: TasteModel, ix, idx: int, source: str, seeds: np.ndarray, places: np.ndarray,
                    listed_with: int | None = None) -> str:
    """Why a never-streamed song is on the Discover list: where it came from (``source``'s
    label), then the parts that rank it (``DISCOVERY_WEIGHTS``): its artist's place among
    the listener's (on the taste's recency-weighted row), the seed it shares a catalog list
    or listening row with (``listed_with``, from ``_listed_with``), its popularity; its sound
    (closest of ``seeds``) only when none of those applies."""
    from core.taste.recommend import _closest, _feature_match

    place = int(places[idx]) if places is not None else 0
    artist = ix.artist_names_[idx]
    # the place is on the taste's row: recent plays count more (its half-life), 👍 too
    which = "the artist you play most lately" if place == 1 else f"your {_ordinal(place)} artist by recent listening"
    if source == "artist you play" and place:
        clauses = [f"a catalog song by {artist}, {which}"]  # the source, said with the artist
    else:
        clauses = [SOURCE_LABELS[source]] + ([f"by {artist}, {which}"] if place else [])
    if listed_with is not None:
        clauses.append(f"in a list or session with {ix.label(listed_with)}")
    popular = model.catalog_popularity_[idx]
    if np.isfinite(popular):
        clauses.append(f"popular in the catalog ({popular:.0f}/100)")
    if len(clauses) == 1:
        seed, how = _closest(model, idx, np.asarray(seeds, dtype="int64"))
        matched = _feature_match(model, idx, seed) if seed is not None and how == "features" else []
        if matched:
            clauses.append(f"its {' and '.join(matched)} match {ix.label(seed)}")
    return "; ".join(clauses)


def _merge(ranked: dict[str, np.ndarray], artists: Sequence, n: int, familiar: float, per_artist: int | None,
           window: int = 25) -> list[tuple[str, int]]:
    """Up to ``n`` (kind, column) pairs: each position from the list the dial is short of
    (the other one when that has no song left that may come), the best song there whose
    artist has fewer than ``per_artist`` songs in this block of ``window`` positions
    (``per_artist`` None: no cap). The share follows the dial unless one list runs out."""
    pending = {kind: deque(int(i) for i in ranked[kind]) for kind in ("known", "new")}
    out: list[tuple[str, int]] = []
    counts: dict[tuple[int, object], int] = {}
    taken_known = 0
    while len(out) < n:
        block = len(out) // window
        first = "known" if taken_known < round(familiar * (len(out) + 1)) else "new"
        picked = None
        for kind in (first, "new" if first == "known" else "known"):
            queue = pending[kind]
            for place, idx in enumerate(queue):
                artist = artists[idx]
                if per_artist is None or artist is None or counts.get((block, artist), 0) < per_artist:
                    picked = (kind, idx)
                    counts[(block, artist)] = counts.get((block, artist), 0) + 1
                    del queue[place]  # the head nearly always: O(1) on a deque
                    break
            if picked:
                break
        if picked is None:
            break  # every song left is by an artist capped in this block: the list ends here
        taken_known += picked[0] == "known"
        out.append(picked)
    return out
