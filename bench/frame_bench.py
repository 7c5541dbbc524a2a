"""Loading a profile's plays frame: from the store (no snapshot), writing its snapshot, and
reading the snapshot back — what the first page after an import waits for; then what a new
time zone costs every Explore page before its own aggregates: placing the music plays in the
zone (``explore.localise``) and taking a date range of them (``explore.select_dates``, the
range the Explore bench's zone change keeps: from the third day on).

    python bench/frame_bench.py --db <store> --profile me [--old /tmp/wt-old] [--repeat 5]

Each figure is timed in a fresh process (``--child``), so no run warms another's caches
beyond the operating system's file cache. With ``--old`` (another checkout of Encore, e.g.
a git worktree of an earlier commit), that code and this one run in turn, one run each per
round, and the ratio new / old is taken pair by pair: the way to compare on a machine whose
speed drifts. The snapshot is written and read where each version of the code puts it (a
temporary folder per run), never next to the store.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIGURES = ("load from the store", "write the snapshot", "read the snapshot", "localise, a new zone",
           "select a date range")
ZONES = ("Asia/Tokyo", "America/New_York", "Australia/Sydney", "Africa/Nairobi", "Pacific/Auckland")


def child(db_path: str, profile: str) -> dict[str, float]:
    """One run in this process, with the code of the checkout it was started from."""
    from core import history, store  # the checkout's own (PYTHONPATH)
    from core.history import frame

    db = store.open_store(db_path)
    start = time.perf_counter()
    plays = history.load_plays(db, profile)
    loaded = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="encore-frame-bench-") as folder:
        path = frame.snapshot_path(Path(folder) / "s.db", profile, "1.0")
        path.parent.mkdir(parents=True)
        written_at = time.perf_counter()
        frame._write_snapshot(plays, path)
        written = time.perf_counter()
        read_at = time.perf_counter()
        again = _read(path)  # what load_plays_snapshot does with a snapshot it finds
        read = time.perf_counter()
    assert len(again) == len(plays)
    zone, dates = _zones(plays)
    return {"load from the store": loaded - start, "write the snapshot": written - written_at,
            "read the snapshot": read - read_at, "localise, a new zone": zone, "select a date range": dates,
            "plays": len(plays)}


def _zones(plays) -> tuple[float, float]:
    """Median seconds over ZONES: localising the music plays in each, and selecting a range."""
    import datetime as dt

    from core import explore

    music = explore.select_content(plays, ("music",))
    zone, dates = [], []
    for tz in ZONES:
        start = time.perf_counter()
        rows = explore.localise(music, tz)
        localised = time.perf_counter()
        first, last = rows["local"].iloc[[0, -1]].dt.date
        selected_at = time.perf_counter()
        explore.select_dates(rows, first + dt.timedelta(days=3), last)
        selected = time.perf_counter()
        zone.append(localised - start)
        dates.append(selected - selected_at)
    return statistics.median(zone), statistics.median(dates)


def _read(path: Path):
    import pandas as pd

    # an Arrow file since 6aa4d1b, Parquet before (whose fix-up of all-null columns is a few ms)
    return pd.read_feather(path) if path.suffix == ".arrow" else pd.read_parquet(path)


def run(repo: Path, db_path: str, profile: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", "--db", db_path, "--profile", profile],
                         cwd=repo, env=dict(os.environ, PYTHONPATH=str(repo)), check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True)
    parser.add_argument("--profile", default="me")
    parser.add_argument("--old", type=Path, help="another checkout of Encore to time in turn")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.db, args.profile)))
        return 0
    versions = [("this code", REPO)] + ([("old code", args.old.resolve())] if args.old else [])
    results: dict[str, list[dict[str, float]]] = {name: [] for name, _ in versions}
    for _ in range(args.repeat):
        for name, repo in versions:
            results[name].append(run(repo, args.db, args.profile))
    plays = int(results["this code"][0]["plays"])
    print(f"store: {args.db}, profile {args.profile!r}: {plays:,} plays; median of {args.repeat} runs, each a fresh process")
    for figure in FIGURES:
        line = f"{figure:<22}"
        for name, _ in versions:
            runs = [r[figure] for r in results[name]]
            line += f"  {name}: {statistics.median(runs):7.4f} s ({min(runs):.4f}-{max(runs):.4f})"
        if args.old:
            ratios = sorted(new[figure] / old[figure] for new, old in zip(results["this code"], results["old code"]))
            line += f"  new/old: {statistics.median(ratios):.2f} ({ratios[0]:.2f}-{ratios[-1]:.2f})"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
