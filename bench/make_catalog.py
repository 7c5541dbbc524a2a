"""Write a larger catalog CSV in TidyTuesday's shape, for the taste model's speed at scale.

    python bench/make_catalog.py ../shared/data/catalogs/tidytuesday-2020-spotify_songs.csv /tmp/cat100k.csv --rows 100000

The real catalog's rows come first, unchanged; the rest are copies of them with new track
ids, titles and artists numbered apart ("Title (copy 3)", "Artist 3"), the same lists'
ids numbered apart too (so the co-occurrence part grows with the catalog), and the same
audio features and popularity. Only for timing: the copies are not real songs.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="a TidyTuesday-shaped catalog CSV")
    parser.add_argument("out", type=Path)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args(argv)
    with args.source.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        fields, rows = reader.fieldnames, list(reader)
    with args.out.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        written, copy = 0, 0
        while written < args.rows:
            for row in rows:
                if written >= args.rows:
                    break
                if copy:
                    row = dict(row)
                    row["track_id"] = hashlib.sha1(f"{row['track_id']}{copy}".encode()).hexdigest()[:22]
                    row["track_name"] = f"{row['track_name']} (copy {copy})"
                    row["track_artist"] = f"{row['track_artist']} {copy}"
                    row["playlist_id"] = f"{row['playlist_id']}{copy}"
                writer.writerow(row)
                written += 1
            copy += 1
    print(f"{written:,} rows written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
