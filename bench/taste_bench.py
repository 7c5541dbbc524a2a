"""Taste model speed and quality.

    python bench/make_export.py /tmp/m1 --plays 1000000          # once: a synthetic 1M-play export
    python bench/taste_bench.py speed --export /tmp/m1           # training (ALS vs TruncatedSVD) and query latency
    python bench/taste_bench.py speed --db /tmp/m1.db            # or reuse a store that holds the plays
    python bench/taste_bench.py speed --db /tmp/m1c.db --catalog ../shared/data/catalogs/tidytuesday-2020-spotify_songs.csv
    python bench/taste_bench.py quality --data ../shared/data    # evaluation time + NDCG per real export

speed: builds the weighted matrix of 1M plays, then times in the same run
- the hybrid's fit (implicit ALS with OpenBLAS at one thread + imputation + ridge),
- scikit-learn's TruncatedSVD on the same weighted matrix, same number of factors,
- choosing the hybrid's settings on validation windows (part of training since it ships them),
- a recommendation query ("for you": user vector + scores + top 50 + artist cap + reasons).
quality: imports each real export (+ the TidyTuesday catalog) into a temporary store and
runs the whole evaluation (both tasks, 3 seeds), printing its time and an NDCG table.

Targets (issue 5): training <= 30 s at 1M plays, query <= 50 ms, evaluation of one real
export <= 60 s; the hybrid >= 10% better NDCG than every baseline.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

EXPORTS = {  # name -> has playlists
    "extended-2024-a": False, "extended-2026-b.zip": False, "extended-endsong-c.zip": False,
    "extended-2020-no-uris": False, "account-2021-d": True, "account-2025-e": True,
}


def speed(args: argparse.Namespace) -> None:
    from sklearn.decomposition import TruncatedSVD
    from threadpoolctl import threadpool_limits

    from core import ingest, store, taste
    from core.taste.interactions import build_matrix, load_inputs
    from core.taste.model import TasteModel

    if args.db:
        db = store.open_store(args.db)
    else:
        tmp = tempfile.mkdtemp(prefix="taste-bench-")
        db = store.open_store(Path(tmp) / "bench.db")
        t = time.perf_counter()
        ingest.import_files(db, paths=[args.export], profile=args.profile)
        print(f"import: {time.perf_counter() - t:.1f} s")
    if args.catalog:
        from core import catalog
        t = time.perf_counter()
        catalog.import_catalog(db, args.catalog)
        print(f"catalog import: {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    inputs = load_inputs(db, args.profile)
    load_s = time.perf_counter() - t
    t = time.perf_counter()
    matrix = build_matrix(inputs.interactions, inputs.plays, playlists=inputs.playlists,
                          other_profiles=inputs.other_profiles).values
    matrix_s = time.perf_counter() - t
    print(f"plays: {len(inputs.plays):,}; matrix {matrix.shape[0]:,} rows x {matrix.shape[1]:,} tracks, "
          f"{matrix.nnz:,} cells; load {load_s:.1f} s, weighting+matrix {matrix_s:.1f} s")
    fits, svds = [], []
    for repeat in range(args.repeats):
        t = time.perf_counter()
        model = TasteModel(random_state=repeat).fit(matrix, inputs.features, inputs.interactions.artist_names_,
                                                    popularity=inputs.popularity)
        fits.append(time.perf_counter() - t)
        t = time.perf_counter()
        with threadpool_limits(limits=1, user_api="blas"):  # the same single-threaded BLAS as the ALS fit
            TruncatedSVD(n_components=model.factors, n_iter=5, random_state=repeat).fit(matrix)
        svds.append(time.perf_counter() - t)
    t = time.perf_counter()
    with threadpool_limits(limits=None):
        TruncatedSVD(n_components=model.factors, n_iter=5, random_state=0).fit(matrix)
    svd_threads = time.perf_counter() - t
    print(f"hybrid fit (ALS {model.factors} factors x {model.iterations} iterations + imputation + ridge): "
          f"median {statistics.median(fits):.2f} s of {[round(x, 2) for x in fits]}")
    print(f"TruncatedSVD ({model.factors} components, 5 iterations, BLAS 1 thread): median "
          f"{statistics.median(svds):.2f} s of {[round(x, 2) for x in svds]}; BLAS default threads: {svd_threads:.2f} s")
    t = time.perf_counter()
    settings = taste.choose_settings(inputs, inputs.plays, None, taste.Weighting())
    choose_s = time.perf_counter() - t
    print(f"choosing the hybrid's settings on 3 validation windows (3 more fits + the grid): {choose_s:.1f} s")
    print(f"end to end training (load + matrix + fit + settings): "
          f"{load_s + matrix_s + statistics.median(fits) + choose_s:.1f} s")
    hybrid = taste.Hybrid(model, taste.HybridSettings.from_dict(settings["hybrid"]))
    t = time.perf_counter()
    who = taste.Listener.of_plays(inputs.interactions, inputs.plays)
    taste.stats_of(who)
    who.row(hybrid.settings.taste_half_life)
    listener_s = time.perf_counter() - t
    times = []
    for familiar in (0.0, 0.25, 0.5, 0.75, 1.0) * 4:
        t = time.perf_counter()
        out = taste.for_you(hybrid, inputs.interactions, who, familiar=familiar)
        times.append(time.perf_counter() - t)
    like_times = []
    top = inputs.plays["track_key"].astype(object).value_counts().index[:20]
    for key in top:
        t = time.perf_counter()
        taste.more_like(model, inputs.interactions, [key], who)
        like_times.append(time.perf_counter() - t)
    print(f"listener context (row + play stats, once per data version): {listener_s:.2f} s")
    print(f"query 'more like this' (25 tracks with reasons): median {1000 * statistics.median(like_times):.1f} ms, "
          f"max {1000 * max(like_times):.1f} ms")
    scores_times = []
    for _ in range(20):
        t = time.perf_counter()
        taste.top_n(hybrid.scores(taste.Listener.of_row(matrix[0])), 50)  # a fresh listener: nothing memoised
        scores_times.append(time.perf_counter() - t)
    from core.taste import discovery
    found = discovery.discovery_settings(hybrid.settings)
    streamed = discovery.streamed_columns(inputs.interactions, inputs.plays)
    sources = discovery.candidate_sources(inputs, streamed)
    discover_times = []
    for familiar in (0.0, 0.5) * 5:
        t = time.perf_counter()
        discovery.discover(model, inputs.interactions, who, streamed, sources, hybrid.settings, found,
                           inputs.track_ids, n=25, familiar=familiar)
        discover_times.append(time.perf_counter() - t)
    print(f"query 'discover' (25 songs with sources and reasons, {int((sources != None).sum()):,} candidates): "  # noqa: E711
          f"median {1000 * statistics.median(discover_times):.1f} ms, max {1000 * max(discover_times):.1f} ms")
    print(f"query 'for you' (25 tracks with reasons): median {1000 * statistics.median(times):.1f} ms, "
          f"max {1000 * max(times):.1f} ms; hybrid scores + top 50 for a new row: median {1000 * statistics.median(scores_times):.1f} ms")
    assert len(out) == 25


def svd_quality(inputs, seed: int = 0) -> dict:
    """PureSVD (scikit-learn TruncatedSVD on the same weighted matrix; scores = row V^T V) in
    place of ALS, on both tasks with the same splits: is ALS worth its training time?"""
    import numpy as np
    from sklearn.decomposition import TruncatedSVD

    from core.taste import evaluate as ev
    from core.taste.interactions import Weighting, build_matrix, keys_row
    from core.taste.scoring import Listener

    out = {}
    ix = inputs.interactions

    def fit(matrix):
        return TruncatedSVD(n_components=64, n_iter=5, random_state=seed).fit(matrix).components_

    plays = inputs.plays
    cutoff = plays["start"].max() - __import__("pandas").Timedelta(days=ev.TEST_DAYS)
    w = ev._windowed(inputs, plays, cutoff, ev.TEST_DAYS)
    settings = ev.choose_settings(inputs, w["train"], None, Weighting(), seed=seed)
    matrix = build_matrix(ix, w["train"], Weighting(), w["playlists"], w["others"]).values
    v = fit(matrix)
    row = Listener.of_plays(ix, w["train"], now=cutoff).row(settings["als"])
    history, new = ev._candidates(ix, w["train_idx"], matrix, inputs.features)
    allowed = history | new
    known = np.diff(matrix.tocsc().indptr) > 0
    scores = np.where(known, (row @ v.T) @ v, -np.inf).ravel()
    relevant = {c for c in w["test_cols"] if allowed[c]}
    out["time_split_ndcg@50"] = ev.ndcg_at_k(ev._ranked(scores, allowed, ev.K), relevant)
    split = ev.hide_tracks(inputs.playlists, seed)
    if split:
        visible = {**inputs.playlists, **{label: vis for label, (vis, _) in split.items()}}
        matrix = build_matrix(ix, plays, Weighting(), visible, inputs.other_profiles).values
        v = fit(matrix)
        known = np.diff(matrix.tocsc().indptr) > 0
        ndcgs = []
        for vis, hidden in split.values():
            r = keys_row(ix, vis, float(np.log(2)))
            ok = np.ones(ix.n_tracks, dtype=bool)
            ok[r.indices] = False
            s = np.where(known, (r @ v.T) @ v, -np.inf).ravel()
            ndcgs.append(ev.recsys_ndcg(ev._ranked(s, ok, ev.PLAYLIST_LIST_LENGTH), set(ix.track_idx(hidden).tolist())))
        out["playlist_ndcg"] = float(np.mean(ndcgs))
    return out


def quality(args: argparse.Namespace) -> None:
    from core import catalog, store, taste
    from core.ingest.importer import import_files

    data = Path(args.data)
    table: dict[str, dict] = {}
    for name, _ in EXPORTS.items():
        with tempfile.TemporaryDirectory(prefix="taste-q-") as tmp:
            db = store.open_store(Path(tmp) / "q.db")
            import_files(db, paths=[str(data / "exports" / name)], profile="me")
            catalog.import_catalog(db, data / "catalogs" / "tidytuesday-2020-spotify_songs.csv")
            t = time.perf_counter()
            result = taste.evaluate_profile(db, "me", seeds=tuple(range(args.seeds)))
            seconds = time.perf_counter() - t
            if args.svd:
                from core.taste.interactions import load_inputs
                result["svd"] = svd_quality(load_inputs(db, "me"))
        table[name] = result
        print(f"\n## {name}: evaluation {seconds:.1f} s ({args.seeds} seeds)")
        print(json.dumps(result["info"], default=str))
        for task, key in (("time_split", "ndcg@50"), ("playlist_continuation", "ndcg")):
            if "skipped" in result[task]:
                print(f"{task}: skipped ({result[task]['skipped']})")
                continue
            rows = result[task]
            best_baseline = max((m for m in rows if m != "hybrid"), key=lambda m: rows[m][key] or 0)
            lift = (rows["hybrid"][key] / rows[best_baseline][key] - 1) if rows[best_baseline][key] else float("inf")
            cells = "  ".join(f"{m} {rows[m][key]:.3f}" + (f"±{rows[m].get(key + '_std') or 0:.3f}"
                                                           if m in ('hybrid', 'als') else "") for m in taste.MODELS)
            extra = ""
            if task == "time_split":
                extra = "\n  relisten ndcg@50: " + "  ".join(f"{m} {rows[m]['relisten_ndcg@50']:.3f}" for m in taste.MODELS)
                extra += "\n  new ndcg@50: " + "  ".join(
                    f"{m} {rows[m]['new_ndcg@50']:.3f}" if rows[m]['new_ndcg@50'] is not None else f"{m} -"
                    for m in taste.MODELS)
            else:
                extra = "\n  r_precision: " + "  ".join(f"{m} {rows[m]['r_precision']:.3f}" for m in taste.MODELS)
            print(f"{task} {key}: {cells}\n  hybrid vs best baseline ({best_baseline}): {lift:+.1%}{extra}")
        if args.svd:
            print(f"PureSVD (TruncatedSVD, 64 components, seed 0) in place of ALS: {result['svd']}")
    if args.json:
        Path(args.json).write_text(json.dumps(table, indent=1, default=str))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sp = sub.add_parser("speed")
    sp.add_argument("--export", help="an export folder to import first (bench/make_export.py)")
    sp.add_argument("--db", help="a store that already holds the plays")
    sp.add_argument("--profile", default="me")
    sp.add_argument("--repeats", type=int, default=3)
    sp.add_argument("--catalog", help="also import this catalog CSV into the store (wider matrix: every catalog "
                    "track is a column)")
    sp.set_defaults(func=speed)
    q = sub.add_parser("quality")
    q.add_argument("--data", default=str(REPO.parent / "shared" / "data"))
    q.add_argument("--seeds", type=int, default=3)
    q.add_argument("--json", help="also write every result to this file")
    q.add_argument("--svd", action="store_true", help="also score PureSVD (TruncatedSVD) in place of ALS")
    q.set_defaults(func=quality)
    args = parser.parse_args(argv)
    args.func(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
