"""Import time of every real export in ../shared/data/exports, for one checkout of Encore.

    python bench/real_import_times.py                       # this checkout
    git worktree add /tmp/prev <commit>
    python bench/real_import_times.py --code /tmp/prev      # an older one, as the baseline

Each export goes into a fresh store three times; the median is printed with the plays
added, so two checkouts can be compared on the same machine in the same sitting.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--code", type=Path, default=REPO, help="the Encore checkout to time")
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("ENCORE_REAL_DATA", REPO.parent / "shared" / "data")))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(args.code.resolve()))
    import orjson  # noqa: F401  (loaded before the clock, like the other benchmarks)
    import pandas  # noqa: F401

    from core import store
    from core.ingest.importer import import_files

    print(f"code: {args.code.resolve()}")
    for export in sorted((args.data / "exports").iterdir()):
        times = []
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as work:
                db = store.open_store(Path(work) / "s.db")
                start = time.perf_counter()
                report = import_files(db, paths=[export])
                times.append(time.perf_counter() - start)
                db.conn.close()
        print(f"  {export.name:<26} {statistics.median(times):6.3f} s   {report.added:>7,} plays")
    return 0


if __name__ == "__main__":
    sys.exit(main())
