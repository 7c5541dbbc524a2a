"""Command line: ``python -m core import | demo | catalog | top | profile | imports | train |
evaluate | recommend | playlist`` (``--help`` on each).

Exit codes: 0 when the command went through (an import where everything was a duplicate
still went through), 2 with a one-line reason when it could not (nothing in the input could
be imported, a profile without plays, a name or an import that cannot be used).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence

from core import catalog, history, ingest, store
from core.errors import EncoreError
from core.ingest.importer import format_report, import_files


def _cmd_import(args: argparse.Namespace) -> int:
    db = store.open_store(args.db)
    try:
        report = import_files(db, paths=args.paths, profile=args.profile)
    except EncoreError as exc:
        print(f"encore: nothing was imported: {exc}", file=sys.stderr)
        return 2
    if report.added or report.merged:
        # as the Import page does: the first Explore visit then reads a snapshot, not the table
        history.load_plays_snapshot(db, store.resolve_db_path(args.db), args.profile)
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
    summary = ingest.build_demo(db)
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
        given = {field: column for field, _, column in pairs}
        try:  # columns already named like Encore's fields map themselves; --map adds and overrides
            headers = catalog.preview_catalog(args.path).headers
        except EncoreError as exc:
            print(f"encore: nothing could be imported: {exc}", file=sys.stderr)
            return 2
        mapping = {**{f: h for f, h in catalog.same_name_mapping(headers).items() if h not in given.values()},
                   **given}
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


def _store_with_plays(args: argparse.Namespace):
    """The store, or None (and a one-line reason on stderr) when the profile has no plays."""
    db = store.open_store(args.db)
    if store.count_plays(db, args.profile):
        return db
    print(f"encore: profile {args.profile!r} has no plays: import an export first (python -m core import PATH)",
          file=sys.stderr)
    return None


def _cmd_train(args: argparse.Namespace) -> int:
    from core import taste
    db = _store_with_plays(args)
    if db is None:
        return 2
    params = {k: v for k, v in (("factors", args.factors), ("iterations", args.iterations)) if v is not None}
    trained = taste.train(db, args.profile, store.resolve_db_path(args.db), params, evaluate=not args.no_evaluate,
                          seeds=tuple(range(args.seeds)))
    fitted, inputs = trained.model, trained.inputs
    summary = {"model_id": trained.model_id, "profile": args.profile, "tracks": inputs.interactions.n_tracks,
               "rows": fitted.n_rows_, "imputed_features": int(fitted.imputed_.sum()),
               "catalog_tracks_placed_by_features": int((fitted.factor_source_ == taste.SOURCE_RIDGE).sum()),
               "settings": trained.settings["hybrid"], "evaluation": trained.results,
               "path": store.latest_model(db, args.profile)["path"]}
    if args.json:
        print(json.dumps(summary, indent=2, allow_nan=False, default=float))
    else:
        print(f"Trained model {trained.model_id} for '{args.profile}': {summary['rows']:,} rows × "
              f"{summary['tracks']:,} tracks, {summary['imputed_features']:,} tracks with imputed features, "
              f"{summary['catalog_tracks_placed_by_features']:,} catalog tracks placed by their features → "
              f"{summary['path']}")
        if trained.results:
            _print_evaluation(trained.results)
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from core import taste
    db = _store_with_plays(args)
    if db is None:
        return 2
    results = taste.evaluate_profile(db, args.profile, seeds=tuple(range(args.seeds)))
    if args.json:
        print(json.dumps(results, indent=2, allow_nan=False, default=float))
    else:
        _print_evaluation(results)
    return 0


def _print_evaluation(results: dict) -> None:
    from core import taste
    for task in ("time_split", "playlist_continuation", "discovery"):
        if task not in results:
            continue
        if "skipped" in results[task]:
            print(f"{task}: skipped ({results[task]['skipped']})")
        else:
            print(f"{task}:\n{taste.table(results, task).round(4).to_string(index=False)}\n")


def _cmd_recommend(args: argparse.Namespace) -> int:
    from core import taste
    if not 0.0 <= args.familiar <= 1.0:
        print(f"encore: --familiar must be between 0 and 1 (got {args.familiar:g}).", file=sys.stderr)
        return 2
    if args.n < 1:
        print(f"encore: --n must be at least 1 (got {args.n}).", file=sys.stderr)
        return 2
    db = _store_with_plays(args)
    if db is None:
        return 2
    current = taste.current(db, args.profile)
    if current is None or current.discovery is None or current.is_stale(db):
        why = ("no taste model yet" if current is None else "the model predates discovery" if current.discovery is None
               else "plays or the catalog changed since the model was trained")
        print(f"encore: training the taste model of '{args.profile}' first ({why}); this takes a while.",
              file=sys.stderr)
        taste.train(db, args.profile, store.resolve_db_path(args.db), evaluate=False)
        current = taste.current(db, args.profile)
    plays = history.load_plays(db, args.profile)
    listener = current.listener(plays, feedback=store.list_feedback(db, args.profile))
    table = current.recommend(listener, n=args.n, familiar=args.familiar)
    if args.json:
        tracks = [{"track_uri": r.track_uri, "track_name": r.track_name, "artist_name": r.artist_name,
                   "score": r.score, "source": r.source, "reason": r.reason} for r in table.itertuples()]
        print(json.dumps({"tracks": tracks}, indent=2, ensure_ascii=False))
        return 0
    if table.empty:
        print("Nothing to recommend: no song any source offers that you have not streamed. Import a catalog "
              "(python -m core catalog PATH) to reach songs beyond your history.")
        return 0
    for number, r in enumerate(table.itertuples(), start=1):
        print(f"{number:>3}. {r.artist_name} — {r.track_name}  [{r.source}]  {r.reason}")
    return 0


def _cmd_playlist(args: argparse.Namespace) -> int:
    from core import chat
    db = _store_with_plays(args)
    if db is None:
        return 2
    pool = chat.load_pool(db, args.profile)
    vocabulary = chat.Vocabulary.from_pool(pool)
    conversation = chat.Conversation()
    replies = [chat.take_turn(pool, vocabulary, conversation, message) for message in [args.prompt, *args.refine]]
    if conversation.options:  # directions offered and none picked: print the first
        replies.append(chat.Reply(f"Took direction 1: {conversation.options[0][0]} (pick another with "
                                  "--refine \"the second one\").", True, "local"))
        conversation.pick(0)
    version = conversation.version
    if version is None:
        print(f"encore: {replies[-1].text}", file=sys.stderr)
        return 2
    frame = chat.table(pool, version)
    if args.json:
        out = chat.to_json(frame, version.name)
        out["replies"] = [r.text for r in replies]
        print(json.dumps(out, indent=2, ensure_ascii=False))
    else:
        for message, reply in zip([args.prompt, *args.refine, ""], replies):
            print(f"> {message}\n  {reply.text}" if message else f"  {reply.text}")
        print(f"\n{version.name} — {len(frame)} tracks, {chat.total_minutes(pool, version):.0f} min")
        for number, row in enumerate(frame.itertuples(), start=1):
            year = "" if row.release_year is None or row.release_year != row.release_year else f" ({int(row.release_year)})"
            print(f"{number:3d}. {row.artist_name} — {row.track_name}{year}  · {row.reason}")
    return 0


def _cmd_top(args: argparse.Namespace) -> int:
    from core import explore
    db = _store_with_plays(args)
    if db is None:
        return 2
    plays = history.load_plays(db, args.profile)
    tz = args.tz or explore.guess_timezone(plays["conn_country"])
    try:
        filters = explore.Filters(start=_date(args.start, "--from"), end=_date(args.end, "--to"), tz=tz)
    except ValueError as exc:
        print(f"encore: {exc}", file=sys.stderr)
        return 2
    by = {"artists": "artist", "tracks": "track", "albums": "album"}[args.what]
    table = explore.ranked_items(explore.apply_filters(plays, filters), by, args.by).head(args.n)
    rows = [{"rank": int(r["rank"]),
             **({"artist_name": r["name"]} if by == "artist" else {"artist_name": r["artist"]}),
             **({"track_name": r["title"]} if by == "track" else {}),
             **({"album_name": r["name"]} if by == "album" else {}),
             "streams": int(r["streams"]), "hours": round(float(r["hours"]), 3)} for r in table.to_dict("records")]
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
    elif not rows:
        print(f"Nothing to rank between {args.start or 'the first play'} and {args.end or 'the last'}.")
    else:
        print(f"Top {args.what} of '{args.profile}' by {args.by} ({tz}; streams are plays of 30 s or more):")
        for row in rows:
            label = " — ".join(str(row[k]) for k in ("track_name", "album_name", "artist_name") if k in row)
            print(f"{row['rank']:4d}. {label}  · {row['streams']:,} streams, {row['hours']:,.1f} h")
    return 0


def _date(value: str | None, flag: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{flag} wants a date like 2024-01-31, got {value!r}") from None


def _cmd_profiles(args: argparse.Namespace) -> int:
    db = store.open_store(args.db)
    try:
        if args.action == "list":
            rows = store.list_profiles(db, with_plays=True)
            if args.json:
                print(json.dumps(rows, indent=2, ensure_ascii=False))
            for row in [] if args.json else rows:
                flags = " (demo)" if row["is_demo"] else (" (shares its listening)" if row["share_listening"] else "")
                print(f"{row['name']}{flags}: {row['plays']:,} plays, since {row['created_at'][:10]}")
        elif args.action == "create":
            print(f"Created profile “{ingest.create_profile(db, args.name)}”.")
        elif args.action == "rename":
            print(f"Renamed “{args.name}” to “{ingest.rename_profile(db, args.name, args.new_name)}”.")
        elif args.action == "delete":
            if not args.yes:
                rows = store.profile_rows(db, args.name)
                print(f"encore: deleting “{args.name}” removes {rows.get('plays', 0):,} plays and every other row of "
                      f"it ({', '.join(f'{t} {n:,}' for t, n in rows.items()) or 'none'}). Add --yes to do it.",
                      file=sys.stderr)
                return 2
            counts = ingest.delete_profile(db, store.resolve_db_path(args.db), args.name)
            print(f"Deleted “{args.name}”: " + (", ".join(f"{t} {n:,}" for t, n in counts.items()) or "it was empty"))
        elif args.action in ("share", "unshare"):
            if not store.profile_exists(db, args.name) or store.is_demo_profile(db, args.name):
                print(f"encore: there is no profile “{args.name}” of a real person to share.", file=sys.stderr)
                return 2
            store.set_sharing(db, args.name, args.action == "share")
            print(f"“{args.name}” {'now shares' if args.action == 'share' else 'no longer shares'} its listening "
                  "with the other sharing profiles' taste models.")
    except EncoreError as exc:
        print(f"encore: {exc}", file=sys.stderr)
        return 2
    return 0


def _cmd_imports(args: argparse.Namespace) -> int:
    db = store.open_store(args.db)
    if args.action == "list":
        rows = store.list_imports(db, args.profile)
        if args.json:
            print(json.dumps(rows, indent=2))
        for row in [] if args.json else rows:
            state = f"undone {row['undone_at'][:10]}" if row["undone_at"] else (
                "finished" if row["finished_at"] else "not finished")
            print(f"{row['id']:5d}  {row['started_at'][:16].replace('T', ' ')}  {row['files']} files, "
                  f"{row['plays_added']:,} plays added, {row['plays_merged']:,} merged  ({state})")
        return 0
    try:
        result = ingest.undo_import(db, args.import_id)
    except EncoreError as exc:
        print(f"encore: {exc}", file=sys.stderr)
        return 2
    print(f"Undid import {args.import_id} of “{result['profile']}”: {result['plays_removed']:,} plays removed, "
          f"{result['plays_restored']:,} restored, {result['playlists_restored']:,} playlists put back, "
          f"{result['library_items_removed']:,} library items removed.")
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
    train = sub.add_parser("train", help="train the taste model of a profile and save it next to the store")
    train.add_argument("--db", help="SQLite file (default: $ENCORE_DB or data/encore.db)")
    train.add_argument("--profile", default=store.DEFAULT_PROFILE, help="whose taste (default: me)")
    train.add_argument("--factors", type=int, help="ALS factors (default: 64)")
    train.add_argument("--iterations", type=int, help="ALS iterations (default: 15)")
    train.add_argument("--no-evaluate", action="store_true",
                       help="skip the evaluation against the baselines (it is stored with the model otherwise)")
    train.add_argument("--seeds", type=int, default=3, help="random seeds the evaluation averages over (default: 3)")
    train.add_argument("--json", action="store_true")
    train.set_defaults(func=_cmd_train)
    ev = sub.add_parser("evaluate", help="evaluate the taste model and the baselines on a profile's own data")
    ev.add_argument("--db", help="SQLite file (default: $ENCORE_DB or data/encore.db)")
    ev.add_argument("--profile", default=store.DEFAULT_PROFILE, help="whose data (default: me)")
    ev.add_argument("--seeds", type=int, default=3, help="random seeds to average over (default: 3)")
    ev.add_argument("--json", action="store_true", help="print the results as JSON")
    ev.set_defaults(func=_cmd_evaluate)
    rec = sub.add_parser("recommend", help="the ranked songs the Taste model page shows (trains the model first "
                         "when there is none, or it is out of date)")
    rec.add_argument("--familiar", type=float, default=0.0,
                     help="0: only songs you have never streamed (default); 1: only yours; between: that share yours")
    rec.add_argument("--n", type=int, default=25, help="how many songs (default: 25; any number up to every candidate)")
    rec.add_argument("--db", help="SQLite file (default: $ENCORE_DB or data/encore.db)")
    rec.add_argument("--profile", default=store.DEFAULT_PROFILE, help="whose taste (default: me)")
    rec.add_argument("--json", action="store_true",
                     help='print {"tracks": [{"track_uri", "track_name", "artist_name", "score", "source", "reason"}]}')
    rec.set_defaults(func=_cmd_recommend)
    top = sub.add_parser("top", help="the top artists, tracks (songs) or albums, as the Overview page ranks them")
    top.add_argument("what", choices=("artists", "tracks", "albums"))
    top.add_argument("--from", dest="start", metavar="DATE", help="first local date (YYYY-MM-DD; default: the first play)")
    top.add_argument("--to", dest="end", metavar="DATE", help="last local date (default: the last play)")
    top.add_argument("--by", choices=("streams", "time"), default="streams")
    top.add_argument("--n", type=int, default=10, help="how many (default: 10)")
    top.add_argument("--tz", help="IANA time zone (default: guessed from where you listened most)")
    top.add_argument("--db", help="SQLite file (default: $ENCORE_DB or data/encore.db)")
    top.add_argument("--profile", default=store.DEFAULT_PROFILE, help="whose listening (default: me)")
    top.add_argument("--json", action="store_true", help="print a JSON list of objects")
    top.set_defaults(func=_cmd_top)
    prof = sub.add_parser("profile", help="list, create, rename, delete or share the profiles of a store")
    prof.add_argument("action", choices=("list", "create", "rename", "delete", "share", "unshare"))
    prof.add_argument("name", nargs="?", help="the profile (not for list)")
    prof.add_argument("new_name", nargs="?", help="rename: the new name")
    prof.add_argument("--yes", action="store_true", help="delete: really delete it and everything of it")
    prof.add_argument("--db", help="SQLite file (default: $ENCORE_DB or data/encore.db)")
    prof.add_argument("--json", action="store_true")
    prof.set_defaults(func=_cmd_profiles)
    imps = sub.add_parser("imports", help="list a profile's imports, or undo one exactly")
    imps.add_argument("action", choices=("list", "undo"))
    imps.add_argument("import_id", nargs="?", type=int, help="undo: the import's number (see list)")
    imps.add_argument("--db", help="SQLite file (default: $ENCORE_DB or data/encore.db)")
    imps.add_argument("--profile", default=store.DEFAULT_PROFILE, help="list: whose imports (default: me)")
    imps.add_argument("--json", action="store_true")
    imps.set_defaults(func=_cmd_imports)
    pl = sub.add_parser("playlist", help="build a playlist from a request in plain words (Gemini when "
                        "GEMINI_API_KEY is set, else the offline interpreter) and print it")
    pl.add_argument("prompt", metavar="PROMPT")
    pl.add_argument("--refine", action="append", default=[], metavar="TEXT", help="a follow-up turn (repeat)")
    pl.add_argument("--db", help="SQLite file (default: $ENCORE_DB or data/encore.db)")
    pl.add_argument("--profile", default=store.DEFAULT_PROFILE, help="whose history to draw on (default: me)")
    pl.add_argument("--json", action="store_true", help="print the playlist as JSON")
    pl.set_defaults(func=_cmd_playlist)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "profile" and args.action != "list" and args.name is None:
        parser.error(f"profile {args.action} needs the profile's name")
    if args.command == "profile" and args.action == "rename" and args.new_name is None:
        parser.error("profile rename needs the new name")
    if args.command == "imports" and args.action == "undo" and args.import_id is None:
        parser.error("imports undo needs the import's number (see: python -m core imports list)")
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
