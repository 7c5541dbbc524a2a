"""Import speed and memory on a synthetic export, against two baselines, in one run.

    python bench/import_bench.py --plays 1000000

Each contender runs in its own fresh process (so peak memory is its own) on the same
files, written once by core.ingest.demo.write_export (split files, duplicates, podcasts, nulls):

- parse (orjson) / parse (json): only read every file and parse it as JSON.
- naive: pandas.read_json on each file, then DataFrame.to_sql into a fresh SQLite file.
- encore: core.ingest.import_files into a fresh store (and, as a stage split, the same
  files read and normalised without the store).

Targets (issue 2): encore >= 4x faster than naive; encore <= 3x the parse-only time;
peak memory <= 1 GB.
"""
from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import fresh  # noqa: E402


def _files(export: Path) -> list[Path]:
    return sorted(export.rglob("*.json"))


def work_parse_orjson(export: Path, _: Path) -> int:
    import orjson
    return sum(len(orjson.loads(p.read_bytes())) for p in _files(export))


def work_parse_json(export: Path, _: Path) -> int:
    return sum(len(json.loads(p.read_bytes())) for p in _files(export))


def work_naive(export: Path, db: Path) -> int:
    import pandas as pd
    conn = sqlite3.connect(db)
    rows = 0
    for p in _files(export):
        frame = pd.read_json(p)
        frame.to_sql("plays", conn, if_exists="append", index=False)
        rows += len(frame)
    conn.commit()
    conn.close()
    return rows


def work_encore_parse(export: Path, _: Path) -> int:
    """Encore's read + decode + normalise of every file, without the store (a stage split)."""
    from core import ingest
    inputs, _skipped = ingest.find_inputs([export])
    return sum(len(ingest.parse_file(item).plays) for item in inputs)


def work_encore(export: Path, db: Path) -> int:
    from core import store
    from core.ingest.importer import import_files
    report = import_files(store.open_store(db), paths=[export])
    assert not report.errors, [f.message for f in report.errors]
    return report.added


WORKERS = {
    "parse (orjson)": work_parse_orjson,
    "parse (json)": work_parse_json,
    "naive (pandas read_json + to_sql)": work_naive,
    "encore: parse + normalise only": work_encore_parse,
    "encore import": work_encore,
}


def run_worker(name: str, export: Path, db: Path) -> dict:
    """Time one contender in a fresh interpreter; imports happen before the clock starts."""
    return fresh.run_fresh("import_bench", name, [export, db], preload="pandas, orjson, core.ingest")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--plays", type=int, default=1_000_000)
    parser.add_argument("--export", type=Path, help="reuse an export folder written by bench/make_export.py")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3, help="runs per contender; the median is reported")
    args = parser.parse_args()

    from core import ingest

    work = Path(tempfile.mkdtemp(prefix="encore-bench-"))
    export = args.export
    if export is None:
        export = work / "export"
        t = time.perf_counter()
        ingest.write_export(export, args.plays, seed=args.seed)
        print(f"wrote a synthetic export of {args.plays:,} plays in {time.perf_counter() - t:.1f} s")
    files = _files(export)
    size_mb = sum(p.stat().st_size for p in files) / 1024**2
    print(f"export: {len(files)} files, {size_mb:,.0f} MB of JSON\n")

    results = {}
    for name in WORKERS:
        runs = []
        for attempt in range(args.repeat):
            db = work / f"{len(results)}-{attempt}.db"
            runs.append(run_worker(name, export, db))
            for leftover in work.glob(db.name + "*"):
                leftover.unlink()
        runs.sort(key=lambda r: r["seconds"])
        results[name] = r = {**runs[len(runs) // 2], "peak_mb": max(x["peak_mb"] for x in runs)}
        spread = ", ".join(f"{x['seconds']:.2f}" for x in runs)
        print(f"{name:<36} {r['seconds']:8.2f} s   peak {r['peak_mb']:7.0f} MB   rows {r['rows']:,}   (runs: {spread})")

    encore = results["encore import"]
    naive = results["naive (pandas read_json + to_sql)"]
    print()
    checks = [
        ("speed-up over naive", naive["seconds"] / encore["seconds"], ">= 4", naive["seconds"] / encore["seconds"] >= 4),
        ("time / parse-only (orjson)", encore["seconds"] / results["parse (orjson)"]["seconds"], "<= 3",
         encore["seconds"] / results["parse (orjson)"]["seconds"] <= 3),
        ("time / parse-only (json)", encore["seconds"] / results["parse (json)"]["seconds"], "<= 3",
         encore["seconds"] / results["parse (json)"]["seconds"] <= 3),
        ("peak memory (MB)", encore["peak_mb"], "<= 1024", encore["peak_mb"] <= 1024),
    ]
    for label, value, target, ok in checks:
        print(f"{label:<28} {value:8.2f}   target {target:<8} {'PASS' if ok else 'FAIL'}")
    print(f"\nencore: {encore['rows'] / encore['seconds']:,.0f} plays/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
