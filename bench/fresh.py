"""One benchmark contender in a fresh Python interpreter: its own imports, its own peak memory.

Shared by ``import_bench.py`` and ``catalog_bench.py``. A contender is a function in the
benchmark module's ``WORKERS`` dict; it gets the given paths and returns either a row count
or a dict (which must hold ``rows``). Imports named in ``preload`` happen before the clock
starts, so the time is the work, not the interpreter's start-up.
"""
from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def peak_mb() -> float:
    """This process's peak resident memory. VmHWM, not ru_maxrss: Linux carries ru_maxrss
    across fork and exec, so a worker started by a parent that just wrote a big file would
    report the parent's peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_fresh(module: str, name: str, paths: list[Path], preload: str) -> dict:
    """Run ``WORKERS[name](*paths)`` of ``bench.<module>`` in a new interpreter; return its
    result with ``seconds`` and ``peak_mb``."""
    code = (
        f"import json, sys, time; sys.path.insert(0, {str(REPO)!r}); import bench.{module} as b; "
        f"from bench.fresh import peak_mb; from pathlib import Path; import {preload}; "
        f"t = time.perf_counter(); r = b.WORKERS[{name!r}](*[Path(p) for p in {[str(p) for p in paths]!r}]); "
        "s = time.perf_counter() - t; r = r if isinstance(r, dict) else {'rows': r}; "
        "print(json.dumps({**r, 'seconds': s, 'peak_mb': peak_mb()}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"{name} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])
