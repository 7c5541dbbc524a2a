"""Import export files into the store: one transaction per file, and a report per file.

Data flows one way: files -> ``exports.parse_file`` -> plays -> ``store``. A file that
cannot be read is reported with a message naming it and the fix; nothing from it is
written, and the other files of the same import still go in.

Parsing runs one file ahead on a background thread (``_ReadAhead``): while SQLite moves
file n's plays into the table, which it does without holding Python's GIL, the thread
parses file n + 1 on the second core. Writing stays on the caller's thread, in file order.
"""
from __future__ import annotations

import functools
import json
import logging
import queue
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlite_utils import Database

from core import store
from core.base import Progress, kill_point, no_progress
from core.errors import ImportFileError, ProfileError
from core.ingest import exports

_log = logging.getLogger(__name__)

DEMO_PROFILE = "demo"  # the synthetic listener's profile (core.ingest.demo)

CONTENT_TYPES = ("music", "podcast", "audiobook", "video")


@dataclass
class RejectedRows:
    reason: str
    count: int
    first_rows: list[int]


@dataclass
class FileReport:
    """What happened to one input file."""

    file: str
    status: str  # imported | ignored | error
    format: str | None = None
    holds: str | None = None  # plays | playlist items | library items
    rows_read: int = 0
    music: int = 0
    podcast: int = 0
    audiobook: int = 0
    video: int = 0
    added: int = 0
    duplicates: int = 0
    merged: int = 0
    rejected: int = 0
    rejected_reasons: list[RejectedRows] = field(default_factory=list)
    message: str | None = None


@dataclass
class ImportReport:
    profile: str
    files: list[FileReport]
    summary: dict

    @property
    def imported_any(self) -> bool:
        return any(f.status == "imported" for f in self.files)

    @property
    def added(self) -> int:
        """Plays added (playlist and library items are counted per file only)."""
        return sum(f.added for f in self.files if f.holds == "plays")

    @property
    def merged(self) -> int:
        return sum(f.merged for f in self.files if f.holds == "plays")

    @property
    def errors(self) -> list[FileReport]:
        return [f for f in self.files if f.status == "error"]

    def to_dict(self) -> dict:
        return {
            "profile": self.profile,
            "imported_any": self.imported_any,
            "plays_added": self.added,
            "plays_merged": self.merged,
            "files": [asdict(f) for f in self.files],
            "summary": self.summary,
        }


_HOLDS = {exports.PLAYLISTS: "playlist items", exports.LIBRARY: "library items"}


def _minute_key(row: tuple) -> tuple[str, str, int]:
    # (UTC minute of the end time, title, ms_played): how an account-data row and the
    # extended-history row of the same play recognise each other (99% match in real data).
    return row[0][:16], store.play_title(row), row[1]


def _write_plays(
    db: Database,
    profile: str,
    import_id: int,
    plays: list[tuple],
    span: tuple[str, str],
    is_account: bool,
    staged: Callable[[], None] | None = None,
) -> tuple[int, int]:
    """Write one file's plays; return (added, merged). The caller holds the write transaction.

    An account-export play that the store already holds from a richer export is counted
    as merged, and a richer play replaces ("upgrades") the account play it matches; both
    look only at the file's own time range. ``staged`` goes to ``store.insert_plays``.
    """
    first, last = span[0][:16] + ":00Z", span[1][:16] + ":59Z"
    if is_account:
        known = store.detailed_play_keys(db, profile, first, last)  # (minute, title, ms) -> how many
        if not known:
            return store.insert_plays(db, profile, import_id, "account", plays, staged), 0
        fresh = []
        for row in plays:
            key = _minute_key(row)
            if known.get(key, 0) > 0:
                known[key] -= 1  # each richer play stands for one account row, no more
            else:
                fresh.append(row)
        return store.insert_plays(db, profile, import_id, "account", fresh, staged), len(plays) - len(fresh)
    account = store.account_play_keys(db, profile, first, last)  # (minute, title, ms) -> play ids
    upgrades, fresh = [], ([] if account else plays)
    for row in plays if account else ():
        ids = account.get(_minute_key(row))
        if ids:
            upgrades.append((ids.pop(0), row))
        else:
            fresh.append(row)
    merged = store.upgrade_plays(db, import_id, "extended", upgrades)
    added = store.insert_plays(db, profile, import_id, "extended", fresh, staged)
    if added and store.has_legacy_offline_times(db):  # a store from before offline times had milliseconds
        added -= store.drop_legacy_offline_twins(db, profile, first, last)
    return added, merged


def _store_parsed(
    db: Database,
    profile: str,
    import_id: int,
    parsed: exports.ParsedFile,
    staged: Callable[[], None] | None = None,
) -> FileReport:
    counts = Counter(row[2] for row in parsed.plays)
    report = FileReport(
        file=parsed.name,
        status="imported",
        format=parsed.format,
        holds=_HOLDS.get(parsed.kind, "plays"),
        rows_read=parsed.rows_read,
        rejected=parsed.rejected_count,
        rejected_reasons=[
            RejectedRows(reason, len(rows), rows[: exports.MAX_REJECTED_ROW_NUMBERS])
            for reason, rows in sorted(parsed.rejected.items(), key=lambda kv: -len(kv[1]))
        ],
        **{content: counts.get(content, 0) for content in CONTENT_TYPES},
    )
    # The write lock from the start: what the merge reads cannot change before it writes,
    # even with another import of the same person running (it waits for this file).
    with store.write_transaction(db):
        if parsed.plays:
            is_account = parsed.kind in (exports.ACCOUNT_MUSIC, exports.ACCOUNT_PODCAST, exports.ACCOUNT_AUDIOBOOK)
            ends = [row[0] for row in parsed.plays]
            span = (min(ends), max(ends))
            report.added, report.merged = _write_plays(db, profile, import_id, parsed.plays, span, is_account, staged)
            report.duplicates = len(parsed.plays) - report.added - report.merged
            if report.added or report.merged:
                # plays synced from the API that this export now holds in full: the export wins
                store.delete_spotify_plays_covered(db, profile, store.SPOTIFY_PLAY_MATCH_S, import_id, *span)
                store.bump_data_version(db)  # with the file: no reader keeps a view of the plays before it
        elif parsed.playlists:
            changed = [store.upsert_playlist(db, profile, "export", pl, import_id)[1] for pl in parsed.playlists]
            report.added = sum(len(pl.items) for pl, c in zip(parsed.playlists, changed) if c)
            report.duplicates = parsed.rows_read - report.added
        elif parsed.library:
            report.added = store.insert_library_items(db, profile, parsed.library, import_id)
            report.duplicates = len(parsed.library) - report.added
    return report


class _ReadAhead:
    """Parses the input files on a background thread, one file ahead of the writer.

    SQLite moves a file's staged plays into ``plays`` without holding Python's GIL (see
    ``store.insert_plays``); that is when this thread parses the next file, on the second
    core. It starts file ``n + 1`` only once the writer calls ``release(n)``: parsing while
    the writer binds rows would make the two threads trade the GIL on every row (each
    sqlite3 step releases it), which is slower than not overlapping at all.
    """

    def __init__(self, inputs: list[exports.InputFile]) -> None:
        self._inputs = inputs
        self._may_start = 1  # files the reader may start: the first one at once
        self._closed = False
        self._turn = threading.Condition()
        self._results: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="encore-import-reader", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        for number, item in enumerate(self._inputs):
            with self._turn:
                self._turn.wait_for(lambda: self._closed or number < self._may_start)
                if self._closed:
                    return
            try:
                self._results.put(exports.parse_file(item))
            except ImportFileError as exc:
                self._results.put(exc)
            except Exception as exc:  # a case parse_file does not know: refuse this file, keep the others
                _log.exception("Could not read %s", item.name)
                self._results.put(ImportFileError(
                    item.name, f"could not be read: Encore met something it does not expect in it "
                    f"({type(exc).__name__}: {exc}).",
                    "Nothing from this file was imported; the other files were. Check that it is the file "
                    "exactly as Spotify sent it, and report this message if it is."))
            except BaseException as exc:  # interrupted (Ctrl-C, out of memory): the writer re-raises it
                self._results.put(_ReaderCrashed(exc))
                return

    def next_file(self) -> exports.ParsedFile | ImportFileError:
        result = self._results.get()
        if isinstance(result, _ReaderCrashed):
            raise result.error
        return result

    def release(self, number: int) -> None:
        """File ``number`` is bound for SQLite (or needs no writing): start the next one."""
        with self._turn:
            if number + 2 > self._may_start:
                self._may_start = number + 2
                self._turn.notify()

    def close(self) -> None:
        with self._turn:
            self._closed = True
            self._turn.notify()
        self._thread.join()


@dataclass
class _ReaderCrashed:
    error: BaseException


def import_files(
    db: Database,
    paths: Iterable[str | Path] = (),
    uploads: Iterable[tuple[str, bytes]] = (),
    profile: str = store.DEFAULT_PROFILE,
    progress: Progress = no_progress,
    max_zip_bytes: int = exports.MAX_ZIP_TOTAL_BYTES,
    _demo: bool = False,
) -> ImportReport:
    """Import every usable file found in paths and uploads into a profile.

    Each file is parsed, then written in its own transaction, so a bad file leaves no
    trace and does not stop the others. ``progress(fraction, message)`` is called per file.
    The demo profile is read-only: importing into it raises ProfileError (only
    ``ingest.build_demo`` fills it).
    """
    if not _demo and (profile == DEMO_PROFILE or store.is_demo_profile(db, profile)):
        raise ProfileError(f"The demo profile “{profile}” is read-only: import your export into your own "
                           f"profile (for example “{store.DEFAULT_PROFILE}”).")
    inputs, skipped = exports.find_inputs(paths, uploads, max_zip_bytes=max_zip_bytes)
    import_id = store.start_import(db, profile)
    reports = [
        FileReport(file=s.name, status="error" if s.is_error else "ignored",
                   message=f"{s.name}: {s.reason}" if s.is_error else s.reason)
        for s in skipped
    ]
    total = max(len(inputs), 1)
    reader = _ReadAhead(inputs)
    try:
        for number, item in enumerate(inputs):
            progress(number / total, f"Importing {Path(item.name).name} ({number + 1} of {len(inputs)})")
            parsed = reader.next_file()
            release = functools.partial(reader.release, number)
            if isinstance(parsed, ImportFileError):
                reports.append(FileReport(file=item.name, status="error", message=str(parsed)))
            else:  # released as soon as the plays are bound, so parsing overlaps SQLite's move
                reports.append(_store_parsed(db, profile, import_id, parsed, staged=release))
            release()  # no-op if already released; files without plays release here
            kill_point("import:file-written")
    finally:
        reader.close()
        # every file written so far is committed: the import is marked finished with them,
        # even when something outside the files (the disk, an interrupt) stops it here
        report = ImportReport(profile, reports, store.play_summary(db, profile))
        kill_point("import:before-finish")
        store.finish_import(db, import_id, len(reports), report.added, report.merged, json.dumps(report.to_dict()))
    progress(1.0, "Import finished")
    return report


def format_report(report: ImportReport) -> str:
    """A plain-text report for the command line."""
    lines = []
    for f in report.files:
        if f.status == "imported":
            lines.append(f"{f.file}\n  {f.format}: {f.rows_read:,} rows read "
                         f"(music {f.music:,}, podcast {f.podcast:,}, audiobook {f.audiobook:,}, video {f.video:,}); "
                         f"{f.added:,} added, {f.duplicates:,} duplicates skipped, {f.merged:,} merged, "
                         f"{f.rejected:,} rejected")
            for r in f.rejected_reasons:
                rows = ", ".join(str(n) for n in r.first_rows)
                lines.append(f"    rejected {r.count:,}: {r.reason} (rows {rows}{', …' if r.count > len(r.first_rows) else ''})")
        elif f.status == "ignored":
            lines.append(f"{f.file}\n  ignored: {f.message}")
        else:
            lines.append(f"ERROR: {f.message}")
    s = report.summary
    if s["all_plays"]:
        lines.append(
            f"\nProfile '{report.profile}': {s['all_plays']:,} plays ({s['all_hours']:,} h) in the store; "
            f"music {s['music_plays']:,} plays, {s['music_hours']:,} h, {s['tracks']:,} tracks, "
            f"{s['artists']:,} artists, {s['first_play']} → {s['last_play']}"
        )
    return "\n".join(lines)
