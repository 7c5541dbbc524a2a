"""How good are the chat's estimated audio features? Held-out songs on real exports.

    python bench/estimate_eval.py --real ../shared/data        # every real export with ids + TidyTuesday
    python bench/estimate_eval.py --export PATH --catalog CSV

Only 5-20 % of a listener's songs have catalog features, so ``core.catalog.estimate`` fills
in the rest (the artist's other songs, then the songs played next to it). This hides the
real features of the listener's songs that have them, five folds in turn, asks the shipped
``estimate_features`` for an estimate from what is left, and reports per source the share of
hidden songs it could estimate (coverage) and the mean absolute error on energy, valence and
danceability, against the baseline of guessing the mean of the songs still visible.

The taste-model source is not measured here (it needs a trained model per fold); the chat
uses it first when a model has been trained.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.chat_eval import REAL_EXPORTS, TIDYTUESDAY, load_store  # noqa: E402
from core import chat, history, names  # noqa: E402
from core.catalog.estimate import estimate_features  # noqa: E402

FOLDS = 5
REPORTED = ("energy", "valence", "danceability")


def evaluate(label: str, export: str, catalog_path: str) -> list[dict]:
    db, profile = load_store(export, catalog_path)
    plays = history.load_plays(db, profile)
    pool = chat.load_pool(db, profile, plays)
    music = plays[(plays["content_type"].astype(object) == "music").to_numpy() & plays["song_key"].notna().to_numpy()]
    codes = pool.index.get_indexer(music["song_key"].astype(object).to_numpy())
    neighbours = history.neighbour_counts(music, codes, len(pool))
    artists = pd.factorize(pool["artist_name"].astype(object).map(names.primary_artist))[0]
    values = pool[list(chat.FEATURES)].to_numpy(dtype=float)
    mine = pool["known"].to_numpy(dtype=bool) & np.isfinite(values).any(axis=1)
    held = np.flatnonzero(mine)
    rng = np.random.default_rng(7)
    fold_of = rng.integers(0, FOLDS, len(held))
    columns = [chat.FEATURES.index(f) for f in REPORTED]
    rows = []
    errors: dict[str, list[np.ndarray]] = {}
    baseline: dict[str, list[np.ndarray]] = {}
    counts: dict[str, int] = {}
    for fold in range(FOLDS):
        hidden = held[fold_of == fold]
        visible = values.copy()
        visible[hidden] = np.nan
        estimates, source = estimate_features(visible, artists, neighbours)
        means = np.nanmean(visible[:, columns], axis=0)
        for name in ("artist", "neighbours", "any"):
            chosen = hidden[source[hidden] != None] if name == "any" else hidden[source[hidden] == name]  # noqa: E711
            counts[name] = counts.get(name, 0) + len(chosen)
            errors.setdefault(name, []).append(np.abs(estimates[chosen][:, columns] - values[chosen][:, columns]))
            baseline.setdefault(name, []).append(np.abs(means - values[chosen][:, columns]))
    for name in ("artist", "neighbours", "any"):
        err = np.concatenate(errors[name]) if errors[name] else np.empty((0, len(columns)))
        base = np.concatenate(baseline[name]) if baseline[name] else np.empty((0, len(columns)))
        rows.append({"store": label, "source": name, "songs": len(held), "estimated": counts[name],
                     "coverage": counts[name] / max(len(held), 1),
                     **{f"mae_{f}": float(np.nanmean(err[:, i])) if len(err) else float("nan")
                        for i, f in enumerate(REPORTED)},
                     **{f"base_{f}": float(np.nanmean(base[:, i])) if len(base) else float("nan")
                        for i, f in enumerate(REPORTED)}})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--export")
    parser.add_argument("--catalog")
    parser.add_argument("--real", help="the shared data folder: every real export with track ids + TidyTuesday")
    args = parser.parse_args(argv)
    if args.real:
        root = Path(args.real)
        runs = [(name, str(root / "exports" / name), str(root / TIDYTUESDAY)) for name in REAL_EXPORTS]
    elif args.export and args.catalog:
        runs = [(Path(args.export).name, args.export, args.catalog)]
    else:
        parser.error("give --real FOLDER, or --export and --catalog")
    print("| store | source | songs with features | estimated | coverage | MAE energy (mean guess) | "
          "MAE valence (mean guess) | MAE danceability (mean guess) |")
    print("|---|---|---|---|---|---|---|---|")
    for label, export, catalog_path in runs:
        for row in evaluate(label, export, catalog_path):
            print(f"| {row['store']} | {row['source']} | {row['songs']:,} | {row['estimated']:,} | {row['coverage']:.0%} | "
                  + " | ".join(f"{row[f'mae_{f}']:.3f} ({row[f'base_{f}']:.3f})" for f in REPORTED) + " |",
                  flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
