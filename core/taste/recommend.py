"""Recommendations a person can understand: "for you", "forgotten favourites", "more like these".

Every list: no track twice, at most ``per_artist`` tracks of one artist in every block of
``window`` tracks (default 2 per 25), and a reason per track.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from core.taste.interactions import (
    AUDIO_FEATURES,
    QUICK_SKIP_MS,
    Interactions,
    Weighting,
    listener_row,
)
from core.taste.model import (
    DEFAULT_HALF_LIFE_DAYS,
    SOURCE_ALS,
    SOURCE_NONE,
    SOURCE_RIDGE,
    TasteModel,
    top_n,
)

COLUMNS = ("track_key", "track", "artist", "score", "familiar", "reason")
REASON_FEATURES = ("energy", "danceability", "valence", "tempo", "acousticness", "instrumentalness", "speechiness")


def cap_per_artist(candidates: Sequence, artists: Sequence, n: int, per_artist: int = 2,
                   window: int = 25) -> list:
    """Up to ``n`` distinct candidates, in order, with at most ``per_artist`` of one artist
    in each block of ``window`` output positions. Unknown artists (None) are not capped.
    """
    pending: list[tuple] = []
    seen: set = set()
    for item, artist in zip(candidates, artists):
        if item not in seen:
            seen.add(item)
            pending.append((item, artist))
    out: list = []
    counts: dict[tuple[int, object], int] = {}
    while len(out) < n and pending:
        block = len(out) // window
        for position, (item, artist) in enumerate(pending):
            # a track held back by the cap comes back as soon as a new block starts
            if artist is None or counts.get((block, artist), 0) < per_artist:
                out.append(item)
                counts[(block, artist)] = counts.get((block, artist), 0) + 1
                del pending[position]
                break
        else:
            break  # nothing left fits: every remaining track is by a capped artist
    return out


def play_stats(plays: pd.DataFrame) -> pd.DataFrame:
    """Per track_key: ``streams`` (>= 30 s), ``last`` play start, ``peak_month`` (the month
    with most streams, a Period) and ``peak_streams`` in it."""
    streams = plays[plays["ms_played"].to_numpy() >= QUICK_SKIP_MS]
    if streams.empty:
        return pd.DataFrame(columns=["streams", "last", "peak_month", "peak_streams"])
    keys = streams["track_key"].astype(object)
    month = streams["start"].dt.tz_convert("UTC").dt.tz_localize(None).dt.to_period("M")
    per_month = pd.DataFrame({"key": keys.to_numpy(), "month": month.to_numpy()}).value_counts().reset_index(name="n")
    per_month = per_month.sort_values(["key", "n", "month"], ascending=[True, False, False]).drop_duplicates("key")
    out = pd.DataFrame({"streams": keys.value_counts(),
                        "last": streams.groupby(keys.to_numpy())["start"].max()})
    peak = per_month.set_index("key")
    out["peak_month"] = peak["month"]
    out["peak_streams"] = peak["n"]
    return out


def _month(period) -> str:
    return period.strftime("%B %Y")


def _played_reason(stats: pd.DataFrame, key: str) -> str | None:
    if key not in stats.index:
        return None
    s = stats.loc[key]
    times = "once" if s["streams"] == 1 else f"{int(s['streams'])} times"
    peak = f", most in {_month(s['peak_month'])} ({int(s['peak_streams'])})" if s["streams"] > 1 else ""
    return f"you played it {times}{peak}; last on {s['last']:%d %b %Y}"


def _feature_match(model: TasteModel, idx: int, seed: int) -> list[str]:
    """The two reason features on which a track is closest to the seed."""
    a, b = model.features_[idx], model.features_[seed]
    cols = [AUDIO_FEATURES.index(f) for f in REASON_FEATURES]
    diffs = [(abs(float(a[c]) - float(b[c])), AUDIO_FEATURES[c]) for c in cols
             if np.isfinite(a[c]) and np.isfinite(b[c])]
    return [name for _, name in sorted(diffs)[:2]]


def _closest(model: TasteModel, idx: int, seeds: np.ndarray) -> tuple[int | None, str]:
    """The seed most like the track and how: 'factors' (they share rows) or 'features'."""
    seeds = seeds[seeds != idx]
    if not len(seeds):
        return None, ""
    if model.factor_source_[idx] == SOURCE_ALS:
        ok = seeds[model.factor_source_[seeds] == SOURCE_ALS]
        if len(ok):
            f = model.item_factors_
            sims = f[ok] @ f[idx] / (np.linalg.norm(f[ok], axis=1) * np.linalg.norm(f[idx]) + 1e-9)
            return int(ok[np.argmax(sims)]), "factors"
    has = np.isfinite(model.features_[:, 0])
    ok = seeds[has[seeds]]
    if has[idx] and len(ok):
        d = np.nansum((model.features_[ok] - model.features_[idx]) ** 2, axis=1)
        return int(ok[np.argmin(d)]), "features"
    return None, ""


def explain(model: TasteModel, ix: Interactions, idx: int, seeds: np.ndarray, stats: pd.DataFrame) -> str:
    """Why a track is on a list, from what the model knows about it."""
    key = ix.track_keys_[idx]
    parts = []
    played = _played_reason(stats, key)
    if played:
        parts.append(played)
    seed, how = _closest(model, idx, np.asarray(seeds, dtype="int64"))
    if seed is not None and how == "factors":
        parts.append(f"sessions and playlists with {ix.label(seed)} also have it")
    elif seed is not None and how == "features":
        matched = _feature_match(model, idx, seed)
        if matched:
            parts.append(f"its {' and '.join(matched)} match {ix.label(seed)}")
    if model.imputed_[idx]:
        parts.append("features imputed from similar tracks")
    elif model.factor_source_[idx] == SOURCE_RIDGE:
        parts.append("never played here: placed by its audio features")
    return "; ".join(parts) if parts else "close to your taste overall"


def _frame(model: TasteModel, ix: Interactions, chosen: list[int], scores: np.ndarray, seeds: np.ndarray,
           stats: pd.DataFrame) -> pd.DataFrame:
    rows = [{"track_key": ix.track_keys_[i], "track": ix.track_names_[i], "artist": ix.artist_names_[i],
             "score": float(scores[i]), "familiar": ix.track_keys_[i] in stats.index,
             "reason": explain(model, ix, i, seeds, stats)} for i in chosen]
    return pd.DataFrame(rows, columns=list(COLUMNS))


@dataclass(frozen=True)
class Listener:
    """What the lists need from a person's plays, computed once per data version: their
    recency-weighted row, per-track play statistics, and the time of their last play."""

    row: sp.csr_matrix
    stats: pd.DataFrame
    names: pd.DataFrame  # track_name, artist_name per track_key
    now: pd.Timestamp | None


LIKE_VALUE = 1.0  # a like counts as much as a couple of full plays (log1p(1.5) = 0.92 per play)
DISLIKE_VALUE = -1.0  # with alpha 10: "not this" with confidence 10, ten times a never-played track


def listener(ix: Interactions, plays: pd.DataFrame, half_life_days: float = DEFAULT_HALF_LIFE_DAYS,
             now: pd.Timestamp | None = None, feedback: dict[str, int] | None = None) -> Listener:
    """The person's context for the lists; ``feedback`` (track_key -> +1 like / -1 dislike,
    e.g. from the chat) adds to the row: a like on top of the plays, a dislike replacing them."""
    now = now if now is not None else (plays["start"].max() if len(plays) else None)
    first = plays.drop_duplicates("track_key")
    names = pd.DataFrame({"track_name": first["track_name"].astype(object).to_numpy(),
                          "artist_name": first["artist_name"].astype(object).to_numpy()},
                         index=first["track_key"].astype(object).to_numpy())
    return Listener(taste_row(ix, plays, half_life_days, now, feedback), play_stats(plays), names, now)


def taste_row(ix: Interactions, plays: pd.DataFrame, half_life_days: float = DEFAULT_HALF_LIFE_DAYS,
              now: pd.Timestamp | None = None, feedback: dict[str, int] | None = None) -> sp.csr_matrix:
    """The person's recency-weighted row, with likes added on top of the plays and dislikes
    replacing them (what the model's taste for the person is solved from)."""
    now = now if now is not None else (plays["start"].max() if len(plays) else None)
    row = listener_row(ix, plays, Weighting(half_life_days=half_life_days), now=now)
    if not feedback:
        return row
    dense = row.toarray().ravel()
    for key, value in feedback.items():
        idx = ix.track_idx([key])[0]
        if idx >= 0:
            dense[idx] = max(dense[idx], 0.0) + LIKE_VALUE if value > 0 else DISLIKE_VALUE
    return sp.csr_matrix(dense.reshape(1, -1).astype("float32"))


def for_you(model: TasteModel, ix: Interactions, who: Listener, n: int = 25, familiar: float = 0.5,
            per_artist: int = 2, window: int = 25) -> pd.DataFrame:
    """A mix of familiar and new tracks; ``familiar`` 0 = only the taste model, 1 = only
    the person's recency-weighted history."""
    scores = model.hybrid_scores(who.row, familiar)
    scores[who.row.indices[who.row.data < 0]] = -np.inf  # skipped or disliked: never suggested
    ranked, _ = top_n(scores, n * 20)
    chosen = cap_per_artist(ranked.tolist(), [ix.artist_names_[i] for i in ranked], n, per_artist, window)
    row = who.row
    positive = row.data > 0
    seeds = row.indices[positive][np.argsort(-row.data[positive], kind="stable")][:50]
    return _frame(model, ix, chosen, scores, seeds, who.stats)


def forgotten_favourites(who: Listener, n: int = 25, quiet_days: int = 180, min_streams: int = 5,
                         per_artist: int = 2, window: int = 25) -> pd.DataFrame:
    """Tracks streamed at least ``min_streams`` times and not at all in the ``quiet_days``
    before the last play, most streamed first."""
    stats = who.stats
    if stats.empty:
        return pd.DataFrame(columns=list(COLUMNS))
    quiet = stats[(stats["last"] < who.now - pd.Timedelta(days=quiet_days)) & (stats["streams"] >= min_streams)]
    quiet = quiet.sort_values(["streams", "last"], ascending=[False, False], kind="stable")
    keys = quiet.index.tolist()
    artists = who.names["artist_name"].reindex(keys).tolist()
    chosen = cap_per_artist(keys, artists, n, per_artist, window)
    rows = []
    for key in chosen:
        s = quiet.loc[key]
        rows.append({"track_key": key, "track": who.names.at[key, "track_name"], "artist": who.names.at[key, "artist_name"],
                     "score": float(s["streams"]), "familiar": True,
                     "reason": f"you played it {int(s['peak_streams'])} times in {_month(s['peak_month'])} "
                               f"({int(s['streams'])} in all), and not since {s['last']:%B %Y}"})
    return pd.DataFrame(rows, columns=list(COLUMNS))


def more_like(model: TasteModel, ix: Interactions, track_keys: Sequence[str], who: Listener | None = None,
              n: int = 25, per_artist: int = 2, window: int = 25) -> pd.DataFrame:
    """Tracks like the picked ones. Works for picks without audio features (ALS factors)
    and for picks never played (features mapped into the factor space)."""
    idx = ix.track_idx(list(track_keys))
    idx = idx[idx >= 0]
    idx = idx[model.factor_source_[idx] != SOURCE_NONE] if (model.factor_source_[idx] != SOURCE_NONE).any() else idx
    if not len(idx):
        return pd.DataFrame(columns=list(COLUMNS))
    ranked, scores = model.similar_items(idx, n * 20)
    full = np.full(ix.n_tracks, -np.inf)
    full[ranked] = scores
    chosen = cap_per_artist(ranked.tolist(), [ix.artist_names_[i] for i in ranked], n, per_artist, window)
    stats = who.stats if who is not None else play_stats(pd.DataFrame(columns=["ms_played"]))
    return _frame(model, ix, chosen, full, idx, stats)
