"""Import behaviour: zips, folders, ignored files, idempotence, merging, privacy, the CLI."""
import json
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import history, store
from core.ingest.importer import import_files
from tests.conftest import FIXTURES, all_plays, make_zip

EXTENDED_FIXTURES = ["endsong_2020.json", "endsong_0.json", "endsong_1.json", "endvideo.json",
                     "Streaming_History_Audio_2023-2024_0.json", "Streaming_History_Audio_2024_1.json",
                     "Streaming_History_Audio_2025_2.json"]


def export_zip() -> bytes:
    """A zip laid out like Spotify's, with files Encore must ignore."""
    members = {f"Spotify Extended Streaming History/{n}": (FIXTURES / n).read_bytes() for n in EXTENDED_FIXTURES}
    members["Spotify Extended Streaming History/ReadMeFirst_ExtendedStreamingHistory.pdf"] = b"%PDF-1.4 not read"
    members["Spotify Account Data/Userdata.json"] = b'{"email": "someone@example.com"}'
    members["Spotify Account Data/Payments.json"] = b'{"card": "1234"}'
    members["Spotify Account Data/Playlist1.json"] = (FIXTURES / "Playlist1.json").read_bytes()
    return make_zip(members)


def test_zip_as_spotify_sends_it_imports_known_files_and_lists_the_rest_as_ignored(fresh_db):
    report = import_files(fresh_db, uploads=[("my_spotify_data.zip", export_zip())])
    by_status = {}
    for f in report.files:
        by_status.setdefault(f.status, []).append(f.file)
    assert sorted(by_status["ignored"]) == [
        "my_spotify_data.zip/Spotify Account Data/Payments.json",
        "my_spotify_data.zip/Spotify Account Data/Userdata.json",
        "my_spotify_data.zip/Spotify Extended Streaming History/ReadMeFirst_ExtendedStreamingHistory.pdf",
    ]
    assert len(by_status["imported"]) == 8 and "error" not in by_status
    assert store.count_plays(fresh_db) == 11
    # nothing from the ignored files reached the store
    dump = "\n".join(fresh_db.conn.iterdump())
    assert "someone@example.com" not in dump and "1234" not in dump


def test_importing_the_same_export_twice_changes_nothing(fresh_db):
    first = import_files(fresh_db, uploads=[("export.zip", export_zip())])
    before = all_plays(fresh_db)
    second = import_files(fresh_db, uploads=[("export.zip", export_zip())])
    assert all_plays(fresh_db) == before
    assert first.added == 11 and second.added == 0 and second.merged == 0
    assert [(f.added, f.merged, f.rejected) for f in second.files if f.status == "imported"] == [(0, 0, 0)] * 8
    assert sum(f.duplicates for f in second.files) == sum(f.rows_read for f in second.files if f.status == "imported")
    assert second.imported_any  # all duplicates still counts as an import that went through


def test_folder_path_is_walked(fresh_db, tmp_path):
    (tmp_path / "MyData").mkdir()
    for n in ("endsong_0.json", "endsong_1.json"):
        (tmp_path / "MyData" / n).write_bytes((FIXTURES / n).read_bytes())
    (tmp_path / "MyData" / "Identity.json").write_text('{"name": "x"}')
    report = import_files(fresh_db, paths=[tmp_path])
    assert [(f.file.split("/")[-1], f.status) for f in report.files] == [
        ("Identity.json", "ignored"), ("endsong_0.json", "imported"), ("endsong_1.json", "imported")]


def _account_rows_from(plays: list[dict]) -> list[dict]:
    """What Spotify's account export says about the same plays: UTC minute, names, ms."""
    return [{"endTime": p["played_at"][:16].replace("T", " "), "artistName": p["artist_name"],
             "trackName": p["track_name"], "msPlayed": p["ms_played"]} for p in plays if p["content_type"] == "music"]


@pytest.mark.parametrize("account_first", [False, True])
def test_account_rows_merge_with_extended_plays_in_either_order(fresh_db, account_first):
    extended = ["Streaming_History_Audio_2023-2024_0.json", "Streaming_History_Audio_2024_1.json"]
    import_files(fresh_db, paths=[FIXTURES / n for n in extended], profile="ref")
    reference = all_plays(fresh_db, "ref")
    account = orjson.dumps(_account_rows_from(reference) + [
        {"endTime": "2024-09-01 10:00", "artistName": "Only In", "trackName": "Account Export", "msPlayed": 200000}])
    steps = [("StreamingHistory_music_0.json", None), (None, extended)]
    if not account_first:
        steps.reverse()
    merged = 0
    for upload, paths in steps:
        if upload:
            report = import_files(fresh_db, uploads=[(upload, account)])
        else:
            report = import_files(fresh_db, paths=[FIXTURES / n for n in paths])
        merged += report.merged
    rows = all_plays(fresh_db)
    assert merged == 2
    # the extended rows win (they carry ids, skips, platform); the extra account row stays
    assert [r for r in rows if r["source"] == "extended"] == [r for r in reference]
    assert [(r["track_name"], r["source"]) for r in rows if r["source"] == "account"] == [("Account Export", "account")]


def test_privacy_no_ip_user_agent_or_username_anywhere(fresh_db):
    import_files(fresh_db, uploads=[("export.zip", export_zip())], paths=[FIXTURES / "extended_history.csv"])
    dump = "\n".join(fresh_db.conn.iterdump())
    for secret in ("203.0.113.7", "listener", "ip_addr", "user_agent", "username"):
        assert secret not in dump, secret


def test_profiles_keep_people_apart(fresh_db):
    import_files(fresh_db, paths=[FIXTURES / "endsong_0.json"], profile="alice")
    import_files(fresh_db, paths=[FIXTURES / "endsong_0.json"], profile="bob")
    assert store.count_plays(fresh_db, "alice") == store.count_plays(fresh_db, "bob") == 3
    assert [p["name"] for p in store.list_profiles(fresh_db)] == ["alice", "bob"]


def test_data_version_moves_only_when_plays_change(fresh_db):
    assert store.data_version(fresh_db) == 0
    import_files(fresh_db, paths=[FIXTURES / "endsong_0.json"])
    assert store.data_version(fresh_db) == 1
    import_files(fresh_db, paths=[FIXTURES / "endsong_0.json"])
    assert store.data_version(fresh_db) == 1


def test_import_log_records_each_import(fresh_db):
    import_files(fresh_db, paths=[FIXTURES / "endsong_0.json"])
    log = list(fresh_db.query("SELECT profile, files, plays_added, plays_merged FROM imports"))
    assert log == [{"profile": "me", "files": 1, "plays_added": 3, "plays_merged": 0}]


def test_file_reported_by_name_is_sniffed_when_renamed(fresh_db):
    data = (FIXTURES / "Streaming_History_Audio_2024_1.json").read_bytes()
    report = import_files(fresh_db, uploads=[("history (1).json", data)])
    assert (report.files[0].status, report.files[0].format) == ("imported", "Extended streaming history (late 2024)")


record = st.fixed_dictionaries({
    "ts": st.sampled_from(["2023-01-01T10:00:00Z", "2023-01-01T10:03:00Z", "2024-06-30T23:59:59Z"]),
    "ms_played": st.sampled_from([0, 1000, 180000]),
    "master_metadata_track_name": st.sampled_from(["A", "B", None]),
    "spotify_track_uri": st.sampled_from(["spotify:track:1aaaaaaaaaaaaaaaaaaaaa", None]),
    "skipped": st.sampled_from([True, False, None]),
})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(record, min_size=1, max_size=15))
def test_importing_twice_equals_importing_once(rows):
    db = store.open_memory_store()
    data = orjson.dumps(rows)
    import_files(db, uploads=[("Streaming_History_Audio_2023_0.json", data)])
    once = all_plays(db)
    import_files(db, uploads=[("Streaming_History_Audio_2023_0.json", data)])
    assert all_plays(db) == once
    keys = {(r["ts"], r["ms_played"], r["master_metadata_track_name"] or "") for r in rows}
    assert len(once) == len(keys)


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "core", *args], capture_output=True, text=True, timeout=120)


def test_cli_import_json_report_and_exit_codes(tmp_path):
    db = str(tmp_path / "cli.db")
    ok = run_cli("import", str(FIXTURES / "endsong_0.json"), str(FIXTURES / "Playlist1.json"), "--db", db,
                 "--profile", "cli", "--json")
    assert ok.returncode == 0, ok.stderr
    report = json.loads(ok.stdout)
    assert (report["profile"], report["plays_added"], report["summary"]["all_plays"]) == ("cli", 3, 3)
    # the Explore snapshot is ready for the first visit
    assert [p.name for p in (tmp_path / "cli.db.explore").iterdir()] == [history.snapshot_path(tmp_path / "cli.db", "cli", "1.0", store.store_id(store.open_store(tmp_path / "cli.db"))).name]
    again = run_cli("import", str(FIXTURES / "endsong_0.json"), "--db", db, "--profile", "cli")
    assert again.returncode == 0 and "3 duplicates skipped" in again.stdout
    (tmp_path / "notes.json").write_text('{"hello": 1}')
    bad = run_cli("import", str(tmp_path / "notes.json"), "--db", db)
    assert bad.returncode == 2
    assert bad.stderr.strip().count("\n") == 0
    assert bad.stderr.startswith("encore: nothing could be imported: ") and "notes.json" in bad.stderr


def test_cli_demo_builds_a_labelled_demo_profile_once(tmp_path):
    db = str(tmp_path / "demo.db")
    first = run_cli("demo", "--db", db, "--json")
    second = run_cli("demo", "--db", db, "--json")
    assert first.returncode == second.returncode == 0, first.stderr
    a, b = json.loads(first.stdout), json.loads(second.stdout)
    assert (a["profile"], a["plays_added"], a["all_plays"], a["catalog_tracks"]) == ("demo", 60_036, 60_036, 770)
    assert (b["plays_added"], b["all_plays"]) == (0, 60_036)
    assert store.is_demo_profile(store.open_store(db), "demo")


# --- the read-ahead thread: the next file is parsed while SQLite moves the current one ---

def _record_parses_and_staging(monkeypatch) -> list[tuple[str, str]]:
    """Log when each file's parse starts and when its plays are bound for SQLite."""
    from core.ingest import exports
    events: list[tuple[str, str]] = []
    real_parse, real_insert = exports.parse_file, store.insert_plays

    def parse(item):
        events.append(("parse", item.name.rsplit("/", 1)[-1]))
        return real_parse(item)

    def insert(db, profile, import_id, source, rows, staged=None):
        name = f"{len(rows)} rows"

        def logged():
            events.append(("staged", name))
            if staged:
                staged()
        return real_insert(db, profile, import_id, source, rows, logged)

    monkeypatch.setattr(exports, "parse_file", parse)
    monkeypatch.setattr(store, "insert_plays", insert)
    return events


def test_next_file_is_parsed_only_once_the_current_one_is_staged(fresh_db, tmp_path, monkeypatch):
    for n in ("endsong_0.json", "endsong_1.json", "Streaming_History_Audio_2025_2.json"):
        (tmp_path / n).write_bytes((FIXTURES / n).read_bytes())
    events = _record_parses_and_staging(monkeypatch)
    report = import_files(fresh_db, paths=[tmp_path])
    rows = [f.rows_read for f in report.files]
    # files go in their own order, and the reader is never more than one file ahead
    assert [f.file.rsplit("/", 1)[-1] for f in report.files] == [
        "Streaming_History_Audio_2025_2.json", "endsong_0.json", "endsong_1.json"]
    assert events == [
        ("parse", "Streaming_History_Audio_2025_2.json"), ("staged", f"{rows[0]} rows"),
        ("parse", "endsong_0.json"), ("staged", f"{rows[1]} rows"),
        ("parse", "endsong_1.json"), ("staged", f"{rows[2]} rows"),
    ]
    assert fresh_db.execute("SELECT count(*) FROM staging.plays").fetchone() == (0,)


def _reader_threads() -> list:
    import threading
    return [t for t in threading.enumerate() if t.name == "encore-import-reader"]


def test_an_unforeseen_parser_failure_refuses_that_file_and_keeps_the_others(fresh_db, tmp_path, monkeypatch):
    from core.ingest import exports
    for n in ("endsong_0.json", "endsong_1.json", "endsong_2020.json"):
        (tmp_path / n).write_bytes((FIXTURES / n).read_bytes())
    real_parse = exports.parse_file

    def parse(item):
        if item.name.endswith("endsong_1.json"):
            raise RuntimeError("a bug in the parser")
        return real_parse(item)

    monkeypatch.setattr(exports, "parse_file", parse)
    report = import_files(fresh_db, paths=[tmp_path])
    assert [(Path(f.file).name, f.status) for f in report.files] == [
        ("endsong_0.json", "imported"), ("endsong_1.json", "error"), ("endsong_2020.json", "imported")]
    assert "(RuntimeError: a bug in the parser)" in report.files[1].message
    others = import_files(store.open_memory_store(), paths=[tmp_path / "endsong_0.json", tmp_path / "endsong_2020.json"])
    assert store.count_plays(fresh_db) == others.added  # the files before and after it went in
    assert fresh_db.execute("SELECT finished_at IS NOT NULL FROM imports").fetchall() == [(1,)]
    assert _reader_threads() == []


def test_a_store_error_stops_the_reader_and_rolls_back_only_that_file(fresh_db, tmp_path, monkeypatch):
    import sqlite3
    for n in ("endsong_0.json", "endsong_1.json"):
        (tmp_path / n).write_bytes((FIXTURES / n).read_bytes())
    real_insert, calls = store.insert_plays, []

    def insert(db, profile, import_id, source, rows, staged=None):
        calls.append(len(rows))
        if len(calls) == 2:
            real_insert(db, profile, import_id, source, rows[:1], staged)  # half-written, then:
            raise sqlite3.OperationalError("disk I/O error")
        return real_insert(db, profile, import_id, source, rows, staged)

    monkeypatch.setattr(store, "insert_plays", insert)
    with pytest.raises(sqlite3.OperationalError, match="disk I/O error"):
        import_files(fresh_db, paths=[tmp_path])
    first = import_files(store.open_memory_store(), paths=[tmp_path / "endsong_0.json"])
    assert store.count_plays(fresh_db) == first.added  # endsong_0 only: endsong_1's one row was rolled back
    assert fresh_db.execute("SELECT count(*) FROM staging.plays").fetchone() == (0,)
    assert _reader_threads() == []


def test_a_connection_without_the_staging_database_stores_the_same_plays(fresh_db, tmp_path):
    import sqlite3

    from sqlite_utils import Database
    plain = Database(sqlite3.connect(tmp_path / "plain.db"))
    store.migrate(plain)  # the schema, but not open_store's in-memory staging database
    assert [row[1] for row in plain.execute("PRAGMA database_list")] == ["main"]
    paths = [FIXTURES / n for n in EXTENDED_FIXTURES]
    staged, direct = import_files(fresh_db, paths=paths), import_files(plain, paths=paths)
    assert direct.to_dict()["files"] == staged.to_dict()["files"]
    assert all_plays(plain) == all_plays(fresh_db)


def test_rows_left_in_staging_by_a_failed_call_never_reach_another_insert(fresh_db):
    row = (("2024-01-01T10:00:00Z", 100_000, "music", "One") + (None,) * (len(store.PLAY_COLUMNS) - 4))
    fresh_db.conn.execute(store.plays._STAGE_SQL, row)  # as if a call died between staging and moving
    fresh_db.conn.commit()
    other = (("2024-01-02T10:00:00Z", 90_000, "music", "Two") + (None,) * (len(store.PLAY_COLUMNS) - 4))
    with fresh_db.atomic():
        assert store.insert_plays(fresh_db, "me", None, "extended", [other]) == 1
    assert [(p["played_at"], p["track_name"]) for p in all_plays(fresh_db)] == [("2024-01-02T10:00:00Z", "Two")]
