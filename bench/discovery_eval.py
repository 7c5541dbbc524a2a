"""Discovery: can the taste model rank the songs a listener is about to find?

    python bench/discovery_eval.py --real ../shared/data     # every real export with ids + TidyTuesday
    python bench/discovery_eval.py --export PATH --catalog CSV

For each export: a fresh store with the export and the catalog, then
``core.taste.discovery.evaluate_discovery`` — the history cut at several dates (the last
28 days, then every 91 days before, while 1,000 plays come before the cut), a model trained
on what came before each cut, every never-streamed candidate of that moment ranked, and the
songs first streamed in the next 28 days that a source could offer as the answers.

Prints per export and pooled over every export and cut-off: the share of the new songs any
source reaches, and per model the mean percentile rank (0 = top, 0.5 = random; lower is
better) and recall@50. Target (issue 16): the hybrid's pooled mean percentile rank ≤ 0.8×
the best baseline's, and more recall@50 than every baseline.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.chat_eval import REAL_EXPORTS, TIDYTUESDAY, load_store  # noqa: E402
from core.taste import load_inputs  # noqa: E402
from core.taste.discovery import (  # noqa: E402
    DISCOVERY_MODELS,
    DISCOVERY_WEIGHTS,
    evaluate_discovery,
    pool_discovery,
)


def show(label: str, pooled: dict) -> None:
    reach = "—" if pooled["reach"] is None else f"{pooled['reach']:.0%}"
    print(f"\n{label}: {pooled['windows']} cut-offs, {pooled['new_songs']:,} new songs, {pooled['reached']:,} "
          f"reached by a source ({reach})")
    print("| model | mean percentile rank | recall@50 |")
    print("|---|---|---|")
    for name in DISCOVERY_MODELS:
        m = pooled["models"][name]
        mpr = "—" if m["mpr"] is None else f"{m['mpr']:.3f}"
        recall = "—" if m["recall"] is None else f"{m['recall']:.3f}"
        print(f"| {name} | {mpr} | {recall} |", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--export")
    parser.add_argument("--catalog")
    parser.add_argument("--real", help="the shared data folder")
    parser.add_argument("--json", help="also write every window's figures here")
    parser.add_argument("--ablate", action="store_true",
                        help="then the hybrid again with each part's weight set to 0 (mean percentile rank only)")
    args = parser.parse_args(argv)
    if args.real:
        root = Path(args.real)
        runs = [(name, str(root / "exports" / name), str(root / TIDYTUESDAY)) for name in REAL_EXPORTS]
    elif args.export:
        runs = [(Path(args.export).name, args.export, args.catalog)]
    else:
        parser.error("give --real FOLDER, or --export (and --catalog)")
    results, loaded = [], []
    for label, export, catalog_path in runs:
        db, profile = load_store(export, catalog_path)
        start = time.perf_counter()
        inputs = load_inputs(db, profile)
        loaded.append((label, inputs))
        result = evaluate_discovery(inputs)
        result["label"] = label
        results.append(result)
        show(f"{label} ({time.perf_counter() - start:.0f} s)", pool_discovery([result]))
    if len(results) > 1:
        show("pooled over every export", pool_discovery(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    if args.ablate:
        ablate(loaded)
    return 0


def ablate(loaded: list) -> None:
    """The hybrid's mean percentile rank with each part left out in turn, and with the
    artist part by share (the re-listen ranking's) instead of by rank."""
    print("\n| hybrid | " + " | ".join(label for label, _ in loaded) + " | pooled |")
    print("|---|" + "---|" * (len(loaded) + 1))
    trials = [("as it ships", None)] + [(f"without {part.removesuffix('_weight')}", {part: 0.0})
                                        for part, weight in DISCOVERY_WEIGHTS.items() if weight]
    trials.append(("artist by share instead of rank", {"artist_rank_weight": 0.0,
                                                       "artist_weight": DISCOVERY_WEIGHTS["artist_rank_weight"]}))
    for label, weights in trials:
        rows = [evaluate_discovery(inputs, weights=weights) for _, inputs in loaded]
        for r in rows:
            r["windows"] = [{**w, "models": {"hybrid": w["models"]["hybrid"]}} for w in r["windows"]]
        each = [pool_discovery([r])["models"]["hybrid"]["mpr"] for r in rows]
        cells = ["—" if v is None else f"{v:.3f}" for v in each]
        print(f"| {label} | " + " | ".join(cells)
              + f" | {pool_discovery(rows)['models']['hybrid']['mpr']:.3f} |", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
