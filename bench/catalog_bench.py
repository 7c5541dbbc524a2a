"""Catalog import speed on a synthetic 1.2M-row catalog, against a naive baseline, in one run.

    python bench/catalog_bench.py                    # writes the CSV first (~15 s)
    python bench/catalog_bench.py --csv /tmp/c.csv   # reuse it (written if missing)

The CSV has the columns of the "1.2M songs" ``tracks_features.csv`` (id, name, album,
album_id, artists as a Python list literal, artist_ids, ..., year, release_date) and a
mix of names meant to look like the real file: 20% of rows credit several artists, 1%
of artist names hold an apostrophe (so the list literal uses double quotes), 10% of
titles hold non-ASCII letters and ~20% carry a version suffix (" - Remastered 2011",
" (feat. X)", " - Live", " (Radio Edit)") that name matching has to peel. 770 rows are
the demo catalog's tracks: half under their demo ids, half under new ids.

Each contender runs in its own fresh interpreter (imports loaded before the clock starts):

- parse only: ``pandas.read_csv`` of every column, C engine, default dtypes;
- naive: the same ``read_csv`` then ``DataFrame.to_sql`` into a fresh SQLite file;
- encore, fresh store: ``core.catalog.import_catalog`` into a new store (no history);
- encore, with history: the same into a copy of a store holding the demo listener's
  60,036 plays (imported, not the demo catalog), so matching has work to do.

Stage times come from the import's progress callback. Target (issue 4): encore into a
fresh store <= 20 s for 1.2M rows on the project's 2-core machine.
"""
from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import fresh  # noqa: E402

COLUMNS = ("id", "name", "album", "album_id", "artists", "artist_ids", "track_number", "disc_number", "explicit",
           "danceability", "energy", "key", "loudness", "mode", "speechiness", "acousticness", "instrumentalness",
           "liveness", "valence", "tempo", "duration_ms", "time_signature", "year", "release_date")
_B62 = np.array(list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"))
_WORDS = ("Golden Quiet Paper Electric Hollow Velvet Silver Broken Distant Midnight Northern Crimson Faded Wild "
          "Glass Borrowed Restless Secret Slow Bright Lonely Neon Burning Gentle Frozen Hidden Little Open Tender "
          "Violet River Lanterns Harbour Summer Static Orchard Windows Satellite Letters Fever Tide Mirrors Highway "
          "Garden Echoes Parade Wolves Embers Telephone Sparrow Lighthouse Circuit Horizon Rooftops Thunder "
          "Porcelain Compass Comet Avenue Daylight Heart Love Night Fire Rain Dream Song Road Home Light").split()
_FIRST = ("Anna Ben Carla David Elif Farid Greta Hugo Ines Jonas Kira Liam Maya Noah Olga Pablo Quinn Rosa Sami "
          "Tara Umar Vera Wim Xena Yuki Zoe").split()
_ACCENTED = ("é", "ö", "ñ", "ü", "ç", "ア", "ø", "á")


def _ids(rng: np.random.Generator, n: int) -> np.ndarray:
    return _B62[rng.integers(0, 62, (n, 22))].view("<U22").ravel().astype(object)


def _pick(rng: np.random.Generator, values, n: int) -> np.ndarray:
    return np.asarray(values, dtype=object)[rng.integers(0, len(values), n)]


def _numbers(rng: np.random.Generator, low: int, high: int, n: int) -> np.ndarray:
    return pd.Series(rng.integers(low, high, n)).astype(str).to_numpy(dtype=object)


def _quoted(names: np.ndarray) -> np.ndarray:
    """Python's repr of each name inside a list: double quotes when it holds an apostrophe."""
    has_apostrophe = pd.Series(names).str.contains("'").to_numpy()
    return np.where(has_apostrophe, '"' + names + '"', "'" + names + "'")


def write_catalog_csv(path: Path, rows: int, seed: int = 7) -> None:
    """A synthetic catalog in the 1.2M-songs schema (see the module docstring)."""
    from core import ingest

    rng = np.random.default_rng(seed)
    n = rows
    title = (_pick(rng, _WORDS, n) + " " + _pick(rng, _WORDS, n)
             + np.where(rng.random(n) < 0.5, " " + _numbers(rng, 0, 1000, n), ""))
    accent = rng.random(n) < 0.10
    title[accent] = title[accent] + _pick(rng, _ACCENTED, int(accent.sum()))
    pool_size = max(n // 8, 10)
    pool = (_pick(rng, _FIRST, pool_size) + " " + _pick(rng, _WORDS, pool_size) + " "
            + _numbers(rng, 0, 10_000, pool_size))
    apostrophe = rng.random(pool_size) < 0.01
    pool[apostrophe] = pool[apostrophe] + "'s Band"
    suffix = rng.random(n)
    featured = pool[rng.integers(0, pool_size, n)]
    title = np.where(suffix < 0.08, title + " - Remastered " + _numbers(rng, 1990, 2021, n), title)
    title = np.where((suffix >= 0.08) & (suffix < 0.13), title + " (feat. " + featured + ")", title)
    title = np.where((suffix >= 0.13) & (suffix < 0.17), title + " - Live", title)
    title = np.where((suffix >= 0.17) & (suffix < 0.20), title + " (Radio Edit)", title)
    several = rng.random(n)
    artists = "[" + _quoted(pool[rng.integers(0, pool_size, n)])
    artists = np.where(several < 0.20, artists + ", " + _quoted(pool[rng.integers(0, pool_size, n)]), artists)
    artists = np.where(several < 0.05, artists + ", " + _quoted(pool[rng.integers(0, pool_size, n)]), artists) + "]"
    year = rng.integers(1950, 2021, n)
    frame = pd.DataFrame({
        "id": _ids(rng, n), "name": title, "album": _pick(rng, _WORDS, n) + " " + _pick(rng, _WORDS, n),
        "album_id": _ids(rng, n), "artists": artists, "artist_ids": "['" + _ids(rng, n) + "']",
        "track_number": rng.integers(1, 20, n), "disc_number": 1,
        "explicit": np.where(rng.random(n) < 0.1, "True", "False"),
        "danceability": rng.random(n).round(3), "energy": rng.random(n).round(3), "key": rng.integers(0, 12, n),
        "loudness": (-rng.random(n) * 30).round(3), "mode": rng.integers(0, 2, n),
        "speechiness": rng.random(n).round(4), "acousticness": rng.random(n).round(5),
        "instrumentalness": rng.random(n).round(6), "liveness": rng.random(n).round(4),
        "valence": rng.random(n).round(3), "tempo": (60 + rng.random(n) * 140).round(3),
        "duration_ms": rng.integers(60_000, 600_000, n), "time_signature": 4.0, "year": year,
        "release_date": pd.Series(year).astype(str).to_numpy(dtype=object)
        + _pick(rng, ["-01-01", "-05-17", "-11-02", "-09-24", ""], n),
    }, columns=list(COLUMNS))
    # the demo listener's tracks: half under their own ids (id matches), half under new ids
    tracks = ingest.catalog_rows(ingest.generate_catalog(seed))[: min(770, n)]
    at = rng.choice(n, size=len(tracks), replace=False)
    new_ids = _ids(rng, len(tracks))
    for i, (row, t) in enumerate(zip(at, tracks)):
        frame.loc[row, ["id", "name", "album", "artists"]] = [
            t["track_id"] if i % 2 == 0 else new_ids[i], t["track_name"], t["album_name"], repr([t["artist_name"]])]
    frame.to_csv(path, index=False)


def work_parse(csv_path: Path, _: Path) -> dict:
    return {"rows": len(pd.read_csv(csv_path, engine="c"))}


def work_naive(csv_path: Path, db: Path) -> dict:
    frame = pd.read_csv(csv_path, engine="c")
    conn = sqlite3.connect(db)
    frame.to_sql("catalog", conn, index=False)
    conn.commit()
    conn.close()
    return {"rows": len(frame)}


def work_encore(csv_path: Path, db: Path) -> dict:
    from core import catalog, store
    stages: list[tuple[float, str]] = []
    start = time.perf_counter()
    report = catalog.import_catalog(store.open_store(db), csv_path,
                                    progress=lambda f, m: stages.append((time.perf_counter() - start, m)))
    return {"rows": report.rows_read, "tracks": report.tracks, "stages": stages,
            "matches": report.matches}


WORKERS = {
    "parse only (pandas read_csv)": work_parse,
    "naive (read_csv + to_sql)": work_naive,
    "encore import_catalog, fresh store": work_encore,
    "encore import_catalog, with history": work_encore,
}


def run_worker(name: str, csv_path: Path, db: Path) -> dict:
    """Time one contender in a fresh interpreter; imports happen before the clock starts."""
    return fresh.run_fresh("catalog_bench", name, [csv_path, db], preload="pandas, core.catalog, core.store")


def _history_store(path: Path, seed: int) -> None:
    """A store holding the demo listener's plays (and no catalog)."""
    from core import ingest, store
    with tempfile.TemporaryDirectory(prefix="encore-bench-export-") as folder:
        ingest.write_export(Path(folder), ingest.DEMO_PLAYS, seed=seed)
        ingest.import_files(store.open_store(path), paths=[folder], profile="me")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_200_000)
    parser.add_argument("--csv", type=Path, help="the synthetic CSV (written when missing)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3, help="runs per contender; the median is reported")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="encore-catalog-bench-"))
    csv_path = args.csv or work / "tracks_features.csv"
    if not csv_path.exists():
        t = time.perf_counter()
        write_catalog_csv(csv_path, args.rows, args.seed)
        print(f"wrote {args.rows:,} synthetic catalog rows in {time.perf_counter() - t:.1f} s")
    print(f"catalog: {csv_path} ({csv_path.stat().st_size / 1024**2:,.0f} MB)")
    template = work / "history.db"
    _history_store(template, args.seed)
    print("history store: the demo listener's plays, no catalog\n")

    results = {}
    for name in WORKERS:
        runs = []
        for attempt in range(args.repeat):
            db = work / f"run-{attempt}.db"
            if name.endswith("with history"):
                shutil.copy(template, db)
            runs.append(run_worker(name, csv_path, db))
            for leftover in work.glob(db.name + "*"):
                leftover.unlink()
        runs.sort(key=lambda r: r["seconds"])
        results[name] = r = {**runs[len(runs) // 2], "peak_mb": max(x["peak_mb"] for x in runs)}
        spread = ", ".join(f"{x['seconds']:.2f}" for x in runs)
        print(f"{name:<38} {r['seconds']:7.2f} s   peak {r['peak_mb']:6.0f} MB   rows {r['rows']:,}   (runs: {spread})")
        if "stages" in r:
            marks = r["stages"]
            spans = [(m, (marks[i + 1][0] if i + 1 < len(marks) else r["seconds"]) - t)
                     for i, (t, m) in enumerate(marks[:-1])]
            print("    stages (median run): " + "; ".join(f"{m} {s:.2f} s" for m, s in spans))
        if r.get("matches"):
            m = next(iter(r["matches"].values()))
            print(f"    matched: {m['history_tracks']:,} history tracks, {m['matched_by_id']:,} by id, "
                  f"{m['matched_by_name']:,} by name")

    encore = results["encore import_catalog, fresh store"]
    naive = results["naive (read_csv + to_sql)"]
    print(f"\nencore takes {encore['seconds'] / naive['seconds']:.2f}x the naive time "
          f"({encore['rows'] / encore['seconds']:,.0f} rows/s); the naive pipeline writes an unindexed table "
          "and does no cleaning, de-duplication, name keys or matching")
    if encore["rows"] < 1_200_000:
        print(f"target (1.2M rows in <= 20 s): not checked at {encore['rows']:,} rows")
    else:
        ok = encore["seconds"] <= 20
        print(f"target: 1.2M-row catalog in <= 20 s: {encore['seconds']:.2f} s at {encore['rows']:,} rows — "
              f"{'MET' if ok else 'NOT MET'}")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
