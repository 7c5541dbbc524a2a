"""Command line: ``python -m core import PATH... | demo``.

Exit codes: 0 when the command went through (an import where everything was a duplicate
still went through), 2 with a one-line reason when nothing in the input could be imported.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from core import demo, explore, store
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
