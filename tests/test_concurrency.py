"""Two imports at once, new stores opened at once, and kills at chosen moments: real processes
on one real SQLite file, released together by a barrier so the race is hit on every run.

The exports are generated here: one person's plays in two overlapping extended-history files
and an account export (minute precision, no ids) that overlaps both and holds plays of its own.
"""
from __future__ import annotations

import itertools
import json
import multiprocessing
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import history, store
from core.ingest import import_files

REPO = Path(__file__).resolve().parent.parent
CONTEXT = multiprocessing.get_context("fork")  # the children need nothing the test process has not loaded


def _plays(n: int = 240) -> list[dict]:
    """One person's plays, two minutes apart (so a minute tells them apart), a few songs repeating."""
    plays = []
    for i in range(n):
        minute = 10 * 60 + 2 * i
        plays.append({"ts": f"2024-03-{1 + minute // 1440:02d}T{minute // 60 % 24:02d}:{minute % 60:02d}:{17 + i % 40:02d}Z",
                      "ms_played": 120_000 + 1_000 * (i % 50), "title": f"Song {i % 70}", "artist": f"Band {i % 9}",
                      "uri": f"spotify:track:{i % 70:022d}"})
    return plays


def _extended(plays: list[dict]) -> bytes:
    return json.dumps([{"ts": p["ts"], "ms_played": p["ms_played"], "master_metadata_track_name": p["title"],
                        "master_metadata_album_artist_name": p["artist"], "master_metadata_album_album_name": "LP",
                        "spotify_track_uri": p["uri"], "reason_start": "trackdone", "reason_end": "trackdone",
                        "shuffle": False, "skipped": None, "offline": False, "offline_timestamp": None,
                        "incognito_mode": False, "platform": "android", "conn_country": "SE"} for p in plays]).encode()


def _account(plays: list[dict]) -> bytes:
    return json.dumps([{"endTime": p["ts"][:10] + " " + p["ts"][11:16], "artistName": p["artist"],
                        "trackName": p["title"], "msPlayed": p["ms_played"]} for p in plays]).encode()


def write_exports(folder: Path) -> tuple[list[Path], int]:
    """Three exports of one person that overlap; returns their folders and how many distinct
    plays they hold together (counted here, independently of the importer)."""
    plays = _plays()
    only_account = [dict(p, ts=p["ts"].replace("2024-03", "2024-04")) for p in _plays(30)]
    pieces = {
        "extended-early": ("Streaming_History_Audio_2024_0.json", _extended(plays[:150])),
        "extended-late": ("Streaming_History_Audio_2024_1.json", _extended(plays[100:])),
        "account": ("StreamingHistory_music_0.json", _account(plays[60:200] + only_account)),
    }
    paths = []
    for name, (file_name, data) in pieces.items():
        (folder / name).mkdir(parents=True)
        (folder / name / file_name).write_bytes(data)
        paths.append(folder / name)
    return paths, len(plays) + len(only_account)


def music_plays(db_path: Path) -> int:
    db = store.open_store(db_path)
    try:
        return db.execute("SELECT count(*) FROM plays WHERE profile = 'me' AND content_type = 'music'").fetchone()[0]
    finally:
        db.conn.close()


def _import_after(barrier, db_path: str, path: str, results) -> None:
    try:
        db = store.open_store(db_path)
        barrier.wait(timeout=60)
        report = import_files(db, paths=[path], profile="me")
        results.put(("ok", path, report.added, [f.message for f in report.errors]))
    except BaseException as exc:  # the parent reports it
        results.put(("crash", path, repr(exc), []))


def race(target, args_per_process: list[tuple]) -> list[tuple]:
    """Start one process per args tuple, release them together, return what each put."""
    barrier = CONTEXT.Barrier(len(args_per_process))
    results = CONTEXT.Queue()
    procs = [CONTEXT.Process(target=target, args=(barrier, *args, results)) for args in args_per_process]
    for proc in procs:
        proc.start()
    out = [results.get(timeout=120) for _ in procs]
    for proc in procs:
        proc.join(timeout=60)
        assert proc.exitcode == 0, proc.exitcode
    return out


@pytest.fixture
def exports(tmp_path):
    return write_exports(tmp_path / "exports")


def test_one_clean_import_of_the_union_counts_each_play_once(exports, tmp_path):
    paths, distinct = exports
    db = store.open_store(tmp_path / "clean.db")
    import_files(db, paths=paths, profile="me")
    assert music_plays(tmp_path / "clean.db") == distinct


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=st.permutations(range(3)), split=st.integers(1, 3))
def test_imports_one_after_another_in_any_order_count_each_play_once(exports, tmp_path_factory, order, split):
    paths, distinct = exports
    db_path = tmp_path_factory.mktemp("orders") / "s.db"
    db = store.open_store(db_path)
    ordered = [paths[i] for i in order]
    for start in range(0, 3, split):  # in one import, or several
        import_files(db, paths=ordered[start:start + split], profile="me")
    assert music_plays(db_path) == distinct


@pytest.mark.parametrize("order", list(itertools.permutations(range(3)))[:4])
def test_three_imports_at_once_count_each_play_once(exports, tmp_path, order):
    paths, distinct = exports
    db_path = tmp_path / "race.db"
    store.open_store(db_path).conn.close()
    out = race(_import_after, [(str(db_path), str(paths[i])) for i in order])
    assert [(status, errors) for status, _, _, errors in out] == [("ok", [])] * 3, out
    assert music_plays(db_path) == distinct
    db = store.open_store(db_path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert all(row[0] for row in db.execute("SELECT finished_at FROM imports"))


def _open_after(barrier, db_path: str, results) -> None:
    try:
        barrier.wait(timeout=60)
        db = store.open_store(db_path)
        results.put(("ok", store.schema_version(db)))
    except BaseException as exc:
        import traceback
        results.put(("crash", repr(exc) + traceback.format_exc()[-1500:]))


def test_a_brand_new_store_opened_by_six_processes_at_once(tmp_path):
    for trial in range(6):
        db_path = tmp_path / f"new-{trial}.db"
        out = race(_open_after, [(str(db_path),)] * 6)
        assert out == [("ok", len(store.MIGRATIONS))] * 6, out


# --- kills ------------------------------------------------------------------------------


def _import_in_a_process(db_path: Path, paths: list[Path], kill_at: str | None) -> subprocess.CompletedProcess:
    env = dict(os.environ, ENCORE_DB=str(db_path))
    env.pop("ENCORE_TEST_KILL_AT", None)
    if kill_at:
        env["ENCORE_TEST_KILL_AT"] = kill_at
    return subprocess.run([sys.executable, "-m", "core", "import", "--profile", "me", *map(str, paths)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


def test_a_kill_before_the_import_is_marked_finished_never_leaves_an_old_snapshot_served(exports, tmp_path):
    paths, distinct = exports
    db_path = tmp_path / "kill.db"
    db = store.open_store(db_path)
    import_files(db, paths=[paths[0]], profile="me")
    before = history.load_plays_snapshot(db, db_path, "me")  # the Explore snapshot of the first export
    assert len(before) == 150

    done = _import_in_a_process(db_path, paths[1:], kill_at="import:before-finish")
    assert done.returncode == -signal.SIGKILL, done.stderr

    db = store.open_store(db_path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    after = history.load_plays_snapshot(db, db_path, "me")
    assert len(after) == music_plays(db_path) == distinct  # every committed file, not the old 150


def test_a_kill_between_files_keeps_the_files_written_and_a_rerun_completes_exactly(exports, tmp_path):
    paths, distinct = exports
    db_path = tmp_path / "kill.db"
    done = _import_in_a_process(db_path, paths, kill_at="import:file-written")
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert music_plays(db_path) == 150  # the first file (committed), nothing of the others
    again = _import_in_a_process(db_path, paths, kill_at=None)
    assert again.returncode == 0, again.stderr
    assert music_plays(db_path) == distinct


def test_a_snapshot_is_never_read_for_another_store_at_the_same_path(exports, tmp_path):
    paths, _ = exports
    db_path = tmp_path / "same.db"
    db = store.open_store(db_path)
    import_files(db, paths=[paths[0]], profile="me")
    assert len(history.load_plays_snapshot(db, db_path, "me")) == 150
    db.conn.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    db = store.open_store(db_path)  # a new store where the old one was: same versions, other plays
    import_files(db, paths=[paths[2]], profile="me")
    assert store.frame_version(db) == "1.0"
    assert len(history.load_plays_snapshot(db, db_path, "me")) == music_plays(db_path) == 170


def test_profiles_whose_names_differ_only_in_punctuation_never_share_a_snapshot(exports, tmp_path):
    paths, _ = exports
    db_path = tmp_path / "people.db"
    db = store.open_store(db_path)
    import_files(db, paths=[paths[0]], profile="anna.k")
    import_files(db, paths=[paths[2]], profile="anna_k")
    assert history.snapshot_path(db_path, "anna.k", "1.0") != history.snapshot_path(db_path, "anna_k", "1.0")
    assert len(history.load_plays_snapshot(db, db_path, "anna.k")) == 150
    assert len(history.load_plays_snapshot(db, db_path, "anna_k")) == 170
