"""Write a synthetic Spotify extended-history export for benchmarks and demos.

    python bench/make_export.py OUT_DIR --plays N [--seed S] [--zip]

OUT_DIR gets a "Spotify Extended Streaming History" folder as in Spotify's download; with
--zip the same files are also packed into OUT_DIR.zip under that folder name.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time
import zipfile

# Run as a script from anywhere: make the repository's `core` package importable.
REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from core.ingest.demo import EXPORT_FOLDER, write_export  # noqa: E402


def zip_export(paths: list[pathlib.Path], archive: pathlib.Path) -> pathlib.Path:
    """Pack the export files into `archive` with members under EXPORT_FOLDER/, like Spotify."""
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo(EXPORT_FOLDER + "/"), b"")
        for path in paths:
            zf.write(path, arcname=f"{EXPORT_FOLDER}/{path.name}")
    return archive


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", type=pathlib.Path, help="export root to create or refresh")
    parser.add_argument("--plays", type=int, required=True, help="number of audio plays")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rows-per-file", type=int, default=16000)
    parser.add_argument("--zip", action="store_true", help="also write OUT_DIR.zip")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    try:
        paths = write_export(args.out_dir, args.plays, seed=args.seed,
                             rows_per_file=args.rows_per_file)
    except ValueError as error:
        parser.error(str(error))
    written = time.perf_counter() - started
    size = sum(p.stat().st_size for p in paths)
    print(f"plays: {args.plays:,}")
    print(f"files: {len(paths)} in {args.out_dir / EXPORT_FOLDER}")
    print(f"bytes: {size:,}")
    print(f"seconds: {written:.2f}")
    if args.zip:
        archive = zip_export(paths, args.out_dir.with_name(args.out_dir.name + ".zip"))
        print(f"zip: {archive} ({archive.stat().st_size:,} bytes, "
              f"{time.perf_counter() - started - written:.2f} s more)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
