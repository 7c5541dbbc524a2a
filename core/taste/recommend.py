"""Recommendations a person can understand: "for you", "forgotten favourites", "more like these".

Every list: no track twice, at most ``per_artist`` tracks of one artist in every block of
``window`` tracks (default 2 per 25), and a reason per track.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from core.history import favourites
from core.history.frame import DEFAULT_MIN_MS
from core.taste.interactions import AUDIO_FEATURES, ITEM, Interactions
from core.taste.model import SOURCE_ALS, SOURCE_NONE, SOURCE_RIDGE, TasteModel, top_n
from core.taste.scoring import Hybrid, Listener

COLUMNS = ("track_key", "track", "artist", "score", "familiar", "reason")
OVERALL = "close to your taste overall"  # the reason when nothing more particular is known
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
    """Per song: ``streams`` (>= 30 s), ``last`` play start, ``peak_month`` (the month
    with most streams, a Period) and ``peak_streams`` in it."""
    streams = plays[plays["ms_played"].to_numpy() >= DEFAULT_MIN_MS]
    if streams.empty:
        return pd.DataFrame(columns=["streams", "last", "peak_month", "peak_streams"])
    keys = streams[ITEM].astype(object)
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
        parts.append("its sound estimated from songs played like it")
    elif model.factor_source_[idx] == SOURCE_RIDGE:
        parts.append("nobody here has played it: ranked by its sound")
    return "; ".join(parts) if parts else OVERALL


def _frame(model: TasteModel, ix: Interactions, chosen: list[int], scores: np.ndarray, seeds: np.ndarray,
           stats: pd.DataFrame) -> pd.DataFrame:
    rows = [{"track_key": ix.track_keys_[i], "track": ix.track_names_[i], "artist": ix.artist_names_[i],
             "score": float(scores[i]), "familiar": ix.track_keys_[i] in stats.index,
             "reason": explain(model, ix, i, seeds, stats)} for i in chosen]
    return pd.DataFrame(rows, columns=list(COLUMNS))


def stats_of(listener: Listener) -> pd.DataFrame:
    """``play_stats`` of a listener's plays, computed once per listener."""
    return listener.memo("play_stats", lambda: play_stats(listener.plays if listener.plays is not None
                                                          else pd.DataFrame(columns=["ms_played"])))


def for_you(hybrid: Hybrid, ix: Interactions, listener: Listener, n: int = 25, familiar: float | None = None,
            per_artist: int = 2, window: int = 25) -> pd.DataFrame:
    """The hybrid's list: ``familiar`` 0 = only the taste model, 1 = only the person's
    recency-weighted history; None keeps the dial the model was trained with."""
    hybrid = hybrid if familiar is None else hybrid.with_familiar(familiar)
    scores = hybrid.scores(listener).copy()
    row = listener.row(hybrid.settings.taste_half_life)
    scores[row.indices[row.data < 0]] = -np.inf  # skipped or disliked: never suggested
    ranked, _ = top_n(scores, n * 20)
    chosen = cap_per_artist(ranked.tolist(), [ix.artist_names_[i] for i in ranked], n, per_artist, window)
    positive = row.data > 0
    seeds = row.indices[positive][np.argsort(-row.data[positive], kind="stable")][:50]
    return _frame(hybrid.model, ix, chosen, scores, seeds, stats_of(listener))


def forgotten_favourites(plays: pd.DataFrame, n: int = 25, per_artist: int = 2, window: int = 25) -> pd.DataFrame:
    """Songs once on heavy rotation that have fallen silent (``core.history.favourites``'s
    rule, the one the Discovery page shows), with a reason, capped per artist."""
    table = favourites.forgotten_favourites(plays, level="track", limit=max(n * 10, 100))
    if table.empty:
        return pd.DataFrame(columns=list(COLUMNS))
    chosen = set(cap_per_artist(table.index.tolist(), table["artist"].tolist(), n, per_artist, window))
    table = table.loc[[i for i in table.index if i in chosen]]
    reasons = [f"you played it {peak} times in the {favourites.WINDOW_DAYS} days from {start:%d %b %Y} "
               f"({streams} in all), and not since {last:%B %Y}"
               for peak, start, streams, last in zip(table["peak_streams"], table["peak_from"], table["streams"],
                                                      table["last_played"])]
    return pd.DataFrame({"track_key": table["key"].to_numpy(), "track": table["track"].to_numpy(),
                         "artist": table["artist"].to_numpy(), "score": table["peak_streams"].astype(float).to_numpy(),
                         "familiar": True, "reason": reasons}, columns=list(COLUMNS))


def more_like(model: TasteModel, ix: Interactions, track_keys: Sequence[str], listener: Listener | None = None,
              n: int = 25, per_artist: int = 2, window: int = 25) -> pd.DataFrame:
    """Songs like the picked ones. Works for picks without audio features (ALS factors)
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
    stats = stats_of(listener) if listener is not None else play_stats(pd.DataFrame(columns=["ms_played"]))
    return _frame(model, ix, chosen, full, idx, stats)
