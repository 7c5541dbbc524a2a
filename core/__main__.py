"""Command line: ``python -m core import PATH... | demo | catalog PATH``.

Exit codes: 0 when the command went through (an import where everything was a duplicate
still went through), 2 with a one-line reason when nothing in the input could be imported.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from core import catalog, demo, explore, store
from core.errors import EncoreError
from core.imports import format_report, import_files


def _cmd_import(args: argparse.Namespace) -> int:
    db = store.open_store(args.db)
    report = import_files(db, paths=args.paths, profile=args.profile)
    if report.added or report.merged:
        # as the Import page does: the first Explore visit then reads a snapshot, not the table
        explore.load_plays_snapshot(db, store.resolve_db_path(args.db), args.profile)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(format_report(report))
    if not report.imported_any:
        first = report.errors[0].message if report.errors else "no Spotify export files were found in the input"
        print(f"encore: nothing could be imported: {first}", file=sys.stderr)
        return 2
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    db = store.open_store(args.db)
    summary = demo.build_demo(db)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"Demo profile '{summary['profile']}': {summary['all_plays']:,} plays, "
              f"{summary['catalog_tracks']:,} catalog tracks, {summary['first_play']} → {summary['last_play']}")
    return 0


def _cmd_catalog(args: argparse.Namespace) -> int:
    mapping = None
    if args.map:
        pairs = [item.partition("=") for item in args.map]
        bad = [item for item, (_, eq, column) in zip(args.map, pairs) if not eq or not column]
        if bad:
            print(f"encore: --map wants FIELD=COLUMN, got {bad[0]!r}", file=sys.stderr)
            return 2
        mapping = {field: column for field, _, column in pairs}
    db = store.open_store(args.db)
    try:
        report = catalog.import_catalog(db, args.path, name=args.name, mapping=mapping)
    except EncoreError as exc:
        print(f"encore: nothing could be imported: {exc}", file=sys.stderr)
        return 2
    if args.profile is not None:
        report.matches = {p: m for p, m in report.matches.items() if p == args.profile}
    counts = {"catalog_tracks": store.count_rows(db, "catalog_tracks"), **store.match_counts(db, args.profile)}
    if args.json:
        print(json.dumps({**counts, "profile": args.profile, "import": report.to_dict()}, indent=2,
                         ensure_ascii=False))
    else:
        print(catalog.format_report(report, counts))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core", description="Encore from the command line.")
    sub = parser.add_subparsers(dest="command", required=True)
    imp = sub.add_parser("import", help="import Spotify export files, folders or zips")
    imp.add_argument("paths", nargs="+", metavar="PATH")
    imp.add_argument("--db", help="SQLite file (default: $ENCORE_DB or data/encore.db)")
    imp.add_argument("--profile", default=store.DEFAULT_PROFILE, help="whose listening this is (default: me)")
    imp.add_argument("--json", action="store_true", help="print the report as JSON")
    imp.set_defaults(func=_cmd_import)
    demo_cmd = sub.add_parser("demo", help="build the demo profile (no files, no keys)")
    demo_cmd.add_argument("--db", help="SQLite file (default: $ENCORE_DB or data/encore.db)")
    demo_cmd.add_argument("--json", action="store_true")
    demo_cmd.set_defaults(func=_cmd_demo)
    cat = sub.add_parser("catalog", help="import a track catalog with audio features (CSV or zipped CSV) "
                         "and match the history against it")
    cat.add_argument("path", metavar="PATH")
    cat.add_argument("--db", help="SQLite file (default: $ENCORE_DB or data/encore.db)")
    cat.add_argument("--name", help="the catalog's name in the store (default: the file name)")
    cat.add_argument("--map", action="append", metavar="FIELD=COLUMN",
                     help="map an Encore field to a column of a CSV of no known schema (repeat; "
                     f"fields: {', '.join(catalog.FIELDS)})")
    cat.add_argument("--profile", help="count only this profile's history (default: all profiles)")
    cat.add_argument("--json", action="store_true", help="print the counts and the report as JSON")
    cat.set_defaults(func=_cmd_catalog)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
