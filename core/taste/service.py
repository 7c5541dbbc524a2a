"""Train, evaluate, save and load a profile's taste model: the one place the Taste model page,
the command line and the chat go through.

``train`` fits the model on everything the store holds for a profile, chooses the hybrid's
settings on validation windows (as the evaluation does), saves both next to the store with
the data and catalog versions they were trained on, and — unless told not to — evaluates
it against the baselines and stores the metrics in the same record. ``current`` loads the
newest model with its settings, ready to score (``Current.hybrid``).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sqlite_utils import Database

from core import store
from core.base import Progress, file_stem, no_progress
from core.taste.discovery import (
    SOURCE_MASKS,
    discover,
    discovery_settings,
    lead_artist_codes,
    source_masks,
    sources_of,
    streamed_columns,
)
from core.taste.evaluate import SEEDS, choose_settings, evaluate_inputs
from core.taste.interactions import (
    AUDIO_FEATURES,
    ITEM,
    ROW_KINDS,
    Interactions,
    TasteInputs,
    Weighting,
    build_matrix,
    load_inputs,
    music_plays,
)
from core.taste.model import TasteModel
from core.taste.scoring import Hybrid, HybridSettings, Listener

# A model saved before settings were chosen at training scored the person's row at a
# 180-day half-life with these weights: read without settings, it scores as it did.
LEGACY_SETTINGS = HybridSettings(taste_half_life=180.0, history_half_life=180.0)


def models_dir(db_path: str | Path) -> Path:
    return Path(f"{db_path}.models")


@dataclass(frozen=True)
class Trained:
    """What ``train`` made: the stored model's id, the model, its inputs, settings and metrics."""

    model_id: int
    model: TasteModel
    inputs: TasteInputs
    settings: dict
    results: dict | None


def train(db: Database, profile: str, db_path: str | Path, params: dict | None = None,
          weighting: Weighting = Weighting(), plays: pd.DataFrame | None = None, evaluate: bool = True,
          seeds: Sequence[int] = SEEDS, progress: Progress = no_progress) -> Trained:
    """Fit, choose settings, save, and (``evaluate``) measure the taste model of ``profile``.

    ``plays``: train on these plays only (e.g. a date range); default every play.
    """
    progress(0.0, "Reading plays, playlists and audio features")
    version, catalog_version = store.data_version(db), store.catalog_version(db)
    inputs = load_inputs(db, profile, plays)
    matrix = build_matrix(inputs.interactions, inputs.plays, weighting, inputs.playlists, inputs.other_profiles)
    share = 0.5 if evaluate else 0.85
    model = TasteModel(**(params or {})).fit(matrix.values, inputs.features, inputs.interactions.artist_names_,
                                             progress=lambda f, m: progress(0.05 + share * 0.6 * f, m),
                                             popularity=inputs.popularity,
                                             cooc_rows=inputs.catalog_rows)
    progress(0.05 + share * 0.6, "Choosing the hybrid's settings on the last weeks of your history")
    settings = choose_settings(inputs, inputs.plays, params, weighting)
    settings["discovery"] = discovery_settings(HybridSettings.from_dict(settings["hybrid"])).to_dict()
    results = None
    if evaluate:
        results = evaluate_inputs(inputs, params, weighting, seeds,
                                  progress=lambda f, m: progress(0.55 + 0.4 * f, m))
    path = models_dir(db_path) / f"{file_stem(profile)}-{dt.datetime.now(dt.timezone.utc):%Y%m%dT%H%M%S%f}.npz"
    arrays = {k: np.asarray(["" if v is None else str(v) for v in vals], dtype=str)
              for k, vals in inputs.interactions.to_arrays().items()}
    # what the Discover list needs at query time: each column's sources and Spotify id
    arrays |= {f"source {name}": mask for name, mask in source_masks(inputs).items()}
    arrays["track_ids"] = np.asarray(["" if v is None else str(v) for v in (
        inputs.track_ids if inputs.track_ids is not None else [None] * inputs.interactions.n_tracks)], dtype=str)
    model.save(path, extra=arrays)
    meta = {**model.get_params(), "weighting": weighting.__dict__, "settings": settings,
            "rows": matrix.values.shape[0], "tracks": matrix.values.shape[1],
            "row_kinds": {k: int((matrix.row_kinds == k).sum()) for k in ROW_KINDS}}
    model_id = store.save_model_record(db, profile, version, catalog_version, json.dumps(meta),
                                       json.dumps(results, allow_nan=False) if results else None, str(path),
                                       _imputed(model, inputs.interactions))
    progress(1.0, "Saved")
    return Trained(model_id, model, inputs, settings, results)


def _imputed(model: TasteModel, ix: Interactions):
    """(track_key, features JSON in catalog units) of every track whose features were imputed."""
    real = model.features_ * model.feature_span_ + model.feature_low_
    for i in np.flatnonzero(model.imputed_):
        yield ix.track_keys_[i], json.dumps(dict(zip(AUDIO_FEATURES, np.round(real[i].astype(float), 4).tolist())))


@dataclass(frozen=True)
class Current:
    """A profile's newest trained model, ready to score."""

    record: dict
    model: TasteModel
    interactions: Interactions
    settings: HybridSettings
    discovery: HybridSettings | None = None  # the weights for never-streamed songs (None: trained before them)
    masks: dict[str, np.ndarray] | None = None  # per column, which source offers it (SOURCE_MASKS)
    track_ids: np.ndarray | None = None

    @property
    def hybrid(self) -> Hybrid:
        return Hybrid(self.model, self.settings)

    @functools.cached_property
    def lead_artists(self) -> np.ndarray:
        """``lead_artist_codes`` of the columns, read once per model (not on every query)."""
        return lead_artist_codes(self.interactions.artist_names_)

    def recommend(self, listener: Listener, n: int = 25, familiar: float = 0.0) -> pd.DataFrame:
        """The ranked list of the Taste model page and ``python -m core recommend``
        (``core.taste.discovery.discover``): at ``familiar`` 0 only songs never streamed."""
        plays = listener.plays if listener.plays is not None else pd.DataFrame(columns=[ITEM, "ms_played"])
        streamed = streamed_columns(self.interactions, plays)
        masks = self.masks or {name: np.zeros(self.interactions.n_tracks, dtype=bool) for name in SOURCE_MASKS}
        sources = sources_of(masks, self.lead_artists, streamed)
        discovery = self.discovery or dataclasses.replace(self.settings, familiar=0.0)
        return discover(self.model, self.interactions, listener, streamed, sources, self.settings, discovery,
                         self.track_ids, n=n, familiar=familiar)

    def listener(self, plays: pd.DataFrame, feedback: dict[str, int] | None = None) -> Listener:
        """The person as the model sees them: their music plays, likes and dislikes."""
        return Listener.of_plays(self.interactions, music_plays(plays), feedback=feedback)

    def is_stale(self, db: Database) -> bool:
        """Plays or the catalog changed since the model was trained."""
        return (self.record["data_version"] != store.data_version(db)
                or self.record["catalog_version"] != store.catalog_version(db))


def current(db: Database, profile: str) -> Current | None:
    """The newest saved model of ``profile`` with its settings, or None (none trained, or its file is gone)."""
    record = store.latest_model(db, profile)
    if record is None or not Path(record["path"]).exists():
        return None
    model, extra = TasteModel.load(record["path"])
    arrays = {k: np.asarray([v if v != "" else None for v in extra[k]], dtype=object)
              for k in ("track_keys", "track_names", "artist_names")}
    arrays["track_keys"] = np.asarray(extra["track_keys"], dtype=object)
    meta = json.loads(record["params_json"])
    settings = HybridSettings.from_dict(meta["settings"]["hybrid"]) if "settings" in meta else LEGACY_SETTINGS
    discovery = meta.get("settings", {}).get("discovery")
    masks = {name: np.asarray(extra[f"source {name}"], dtype=bool) for name in SOURCE_MASKS
             if f"source {name}" in extra} or None  # a model saved before a source has no mask of it
    track_ids = (np.asarray([v or None for v in extra["track_ids"]], dtype=object) if "track_ids" in extra else None)
    return Current(record, model, Interactions.from_arrays(arrays), settings,
                   HybridSettings.from_dict(discovery) if discovery else None, masks, track_ids)


def metrics(record: dict) -> dict | None:
    """The evaluation stored with a model record, if it was evaluated."""
    return json.loads(record["metrics_json"]) if record.get("metrics_json") else None
