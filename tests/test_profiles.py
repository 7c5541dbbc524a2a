"""Every play counted once and only once, skips that mean something, and profiles that never mix:
undoing an import exactly, deleting a profile with everything of it, the read-only demo."""
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from sqlite_utils import Database

from core import chat, explore, history, ingest, store, taste
from core.errors import ImportUndoError, ProfileError
from tests.conftest import FIXTURES, real_data_dir
from tests.test_habits import play
from tests.test_real_exports import EXPECTED_PLAYS, _json_members


def everything(db, profile: str = "me") -> dict:
    """Every row of a profile, table by table (ids and all), to compare whole states."""
    return {table: sorted(map(tuple, db.execute(f"SELECT * FROM [{table}] WHERE profile = ?", [profile]).fetchall()),
                          key=repr)
            for table in store.profile_tables(db) if table != "imports"}


def test_offline_plays_uploaded_together_count_twice_true_duplicates_once(fresh_db):
    base = {"ts": "2019-07-15T09:43:39Z", "ms_played": 0, "master_metadata_track_name": "Aqualung",
            "master_metadata_album_artist_name": "Jethro Tull", "spotify_track_uri": "spotify:track:" + "a" * 22,
            "reason_start": "clickrow", "reason_end": "endplay", "offline": False}
    rows = [
        {**base, "offline_timestamp": 1563183817776, "ip_addr": "1.1.1.1", "platform": "android"},
        {**base, "offline_timestamp": 1563183817941, "ip_addr": "1.1.1.1", "platform": "android"},  # 165 ms later
        {**base, "offline_timestamp": 1563183817776, "ip_addr": "2.2.2.2", "platform": "web_player"},  # the first, again
        {**base, "offline_timestamp": 1563183817776, "reason_start": "fwdbtn"},  # started differently: another play
    ]
    report = ingest.import_files(fresh_db, uploads=[("Streaming_History_Audio_2019_0.json", orjson.dumps(rows))])
    assert (report.added, report.files[0].duplicates) == (3, 1)
    again = ingest.import_files(fresh_db, uploads=[("Streaming_History_Audio_2019_0.json", orjson.dumps(rows))])
    assert again.added == 0 and store.count_plays(fresh_db) == 3


def test_account_rows_sharing_a_minute_title_and_length_merge_one_for_one(fresh_db):
    offline = [play("2024-05-01T10:00:00Z", 20, uri="a", offline_timestamp=1714557600000 + i, reason_start=r)
               for i, r in enumerate(("clickrow", "fwdbtn"))]
    account = [{"endTime": "2024-05-01 10:00", "artistName": "Band", "trackName": "Song", "msPlayed": 20_000}] * 2
    for order in ("account first", "extended first"):
        db = store.open_memory_store()
        files = [("StreamingHistory_music_0.json", orjson.dumps(account)),
                 ("Streaming_History_Audio_2024_0.json", orjson.dumps(offline))]
        for upload in (files if order == "account first" else files[::-1]):
            ingest.import_files(db, uploads=[upload])
        assert store.count_plays(db) == 2, order  # two plays, whichever export came first


def test_a_store_from_before_offline_milliseconds_does_not_count_a_reimport_twice(tmp_path):
    path = tmp_path / "old.db"
    db = Database(sqlite3.connect(path))
    for number, (_, step) in enumerate(store.MIGRATIONS[:5], start=1):
        with db.atomic():
            step(db)
            db.execute(f"PRAGMA user_version = {number}")
    db.execute("INSERT INTO profiles(name, created_at) VALUES ('me', '2024-01-01T00:00:00Z')")
    db.execute("INSERT INTO plays(profile, played_at, ms_played, content_type, track_name, offline_at, reason_start, "
               "reason_end, source) VALUES ('me', '2019-06-02T17:50:29Z', 265480, 'music', 'Harbour Lights', "
               "'2019-06-02T17:46:02Z', 'clickrow', 'trackdone', 'extended')")  # kept to the second, as then
    db.conn.commit()
    db.conn.close()
    db = store.open_store(path)
    row = {"ts": "2019-06-02T17:50:29Z", "ms_played": 265480, "master_metadata_track_name": "Harbour Lights",
           "offline_timestamp": 1559497562868, "reason_start": "clickrow", "reason_end": "trackdone"}
    report = ingest.import_files(db, uploads=[("endsong_0.json", orjson.dumps([row]))])
    assert report.added == 0 and store.count_plays(db) == 1
    assert db.execute("SELECT offline_at FROM plays").fetchone() == ("2019-06-02T17:46:02.868Z",)


@pytest.mark.parametrize("export, rules", [
    # year -> the signal that decided its skips: old exports leave the flag false, the reason still says
    ("extended-2026-b.zip", {2019: ("reason", 0.760), 2021: ("reason", 0.134), 2025: ("reason", 0.059)}),
    # 2017 rows carry neither a reason nor a flag: their length decides
    ("extended-2024-a", {2013: ("reason", 0.494), 2017: ("length", 0.315), 2020: ("reason", 0.431)}),
    ("account-2021-d", {2020: ("length", 0.188), 2021: ("length", 0.343)}),
])
def test_skips_follow_one_rule_every_year_of_real_exports(export, rules, tmp_path):
    db = store.open_store(tmp_path / "x.db")
    ingest.import_files(db, paths=[real_data_dir() / "exports" / export])
    frame = explore.apply_filters(history.load_plays(db, "me"), explore.Filters())
    by_year = explore.skip_rules_by_year(frame).set_index("year")
    for year, (rule, rate) in rules.items():
        assert by_year.loc[year, "rule"] == rule
        assert by_year.loc[year, "skip_rate"] == pytest.approx(rate, abs=0.01)
    # where Spotify filled its flag in (2023 on), the rule agrees with it on every play
    flagged = frame[frame["skipped"].notna() & (frame["local"].dt.year >= 2023)]
    assert (flagged["skip"] == flagged["skipped"].astype(bool)).all()


def test_undo_restores_the_exact_state_before_the_import(tmp_path):
    """Account data first, then the extended export of the same plays (which upgrades them),
    then undo the extended one: every row as it was, ids included."""
    path = real_data_dir() / "exports" / "extended-2024-a"
    rows = [r for _, data in _json_members(path) for r in data
            if r["ts"] >= "2023-09-01" and r.get("master_metadata_track_name") and "ts" in r]
    account = [{"endTime": r["ts"][:16].replace("T", " "), "artistName": r["master_metadata_album_artist_name"],
                "trackName": r["master_metadata_track_name"], "msPlayed": r["ms_played"]} for r in rows]
    db = store.open_store(tmp_path / "u.db")
    ingest.import_files(db, uploads=[("StreamingHistory_music_0.json", json.dumps(account).encode())],
                        paths=[FIXTURES / "Playlist1.json"])
    before = everything(db)
    extended = ingest.import_files(db, paths=[path])
    assert extended.merged > 0 and store.count_plays(db) == sum(EXPECTED_PLAYS["extended-2024-a"].values())
    undone = ingest.undo_import(db, store.list_imports(db, "me")[0]["id"])
    assert undone["plays_restored"] == extended.merged
    assert everything(db) == before
    with pytest.raises(ImportUndoError, match="already undone"):
        ingest.undo_import(db, store.list_imports(db, "me")[0]["id"])
    with pytest.raises(ImportUndoError, match="There is no import 999"):
        ingest.undo_import(db, 999)


def test_undo_puts_back_playlists_and_library_and_synced_plays(fresh_db):
    ingest.import_files(fresh_db, paths=[FIXTURES / "Playlist1.json"])
    before = everything(fresh_db)
    ingest.import_files(fresh_db, paths=[FIXTURES / "YourLibrary.json", FIXTURES / "Playlist1.json"])
    ingest.undo_import(fresh_db, store.list_imports(fresh_db, "me")[0]["id"])
    assert everything(fresh_db) == before


def test_deleting_a_profile_removes_every_row_of_it(demo_copy):
    db = store.open_store(demo_copy)
    ingest.import_files(db, paths=[FIXTURES], profile="me")
    store.set_feedback(db, "me", "x", 1)
    taste.train(db, "me", demo_copy, {"factors": 4, "iterations": 2}, evaluate=False)
    model_file = Path(store.latest_model(db, "me")["path"])
    history.load_plays_snapshot(db, demo_copy, "me")
    assert model_file.exists() and list(Path(f"{demo_copy}.explore").glob("me-*"))
    counts = ingest.delete_profile(db, demo_copy, "me")
    assert counts["plays"] == 19 and counts["models"] == 1 and counts["track_feedback"] == 1
    assert everything(db) == {table: [] for table in store.profile_tables(db) if table != "imports"}
    assert not model_file.exists() and not list(Path(f"{demo_copy}.explore").glob("me-*"))
    assert store.count_plays(db, "demo") > 0  # the other profile is untouched


@pytest.mark.parametrize("call, message", [
    (lambda db: ingest.create_profile(db, ""), "A profile needs a name"),
    (lambda db: ingest.create_profile(db, "  "), "A profile needs a name"),
    (lambda db: ingest.create_profile(db, "x" * 500), r"at most 60 characters \(this one has 500\)"),
    (lambda db: ingest.create_profile(db, "Demo"), "is the demo listener's profile"),
    (lambda db: ingest.create_profile(db, "a\x00b"), "control characters"),
    (lambda db: ingest.create_profile(db, "me"), "There is already a profile called “me”"),
    (lambda db: ingest.rename_profile(db, "me", "x" * 500), "at most 60 characters"),
    (lambda db: ingest.rename_profile(db, "nobody", "x"), "no profile called “nobody” to rename"),
    (lambda db: ingest.delete_profile(db, "/tmp/none.db", "me"), "the only profile in this store"),
    (lambda db: ingest.delete_profile(db, "/tmp/none.db", "nobody"), "no profile called “nobody” to delete"),
    (lambda db: ingest.import_files(db, paths=[FIXTURES], profile="demo"), "The demo profile “demo” is read-only"),
])
def test_bad_profile_requests_say_why_and_change_nothing(fresh_db, call, message):
    ingest.import_files(fresh_db, paths=[FIXTURES / "endsong_0.json"])
    before = (store.list_profiles(fresh_db), everything(fresh_db), store.data_version(fresh_db))
    with pytest.raises(ProfileError, match=message):
        call(fresh_db)
    assert (store.list_profiles(fresh_db), everything(fresh_db), store.data_version(fresh_db)) == before


def test_cli_refuses_the_demo_and_undoes_an_import(tmp_path):
    db_path = tmp_path / "cli.db"

    def run(*args):
        return subprocess.run([sys.executable, "-m", "core", *args, "--db", str(db_path)], capture_output=True,
                              text=True, cwd=Path(__file__).resolve().parent.parent)

    refused = run("import", str(FIXTURES), "--profile", "demo")
    assert refused.returncode == 2 and "read-only" in refused.stderr
    assert run("import", str(FIXTURES)).returncode == 0
    listed = json.loads(run("imports", "list", "--json").stdout)
    assert [(i["plays_added"], i["undone_at"]) for i in listed] == [(19, None)]
    undone = run("imports", "undo", str(listed[0]["id"]))
    assert undone.returncode == 0 and "19 plays removed" in undone.stdout
    assert run("imports", "undo", str(listed[0]["id"])).returncode == 2
    assert run("profile", "delete", "me").returncode == 2  # without --yes it only says what would go


def test_other_profiles_train_a_model_only_when_both_share_and_never_the_demo(demo_copy):
    db = store.open_store(demo_copy)
    ingest.import_files(db, paths=[FIXTURES], profile="me")
    ingest.import_files(db, paths=[FIXTURES / "endsong_0.json"], profile="friend")
    assert taste.load_inputs(db, "me").other_profiles == {}  # nobody shares by default
    store.set_sharing(db, "me", True)
    assert taste.load_inputs(db, "me").other_profiles == {}  # one side is not enough
    store.set_sharing(db, "friend", True)
    store.set_sharing(db, "demo", True)  # a demo cannot share
    assert set(taste.load_inputs(db, "me").other_profiles) == {"friend"}


def test_a_real_profile_never_sees_the_demos_synthetic_tracks(demo_copy):
    db = store.open_store(demo_copy)
    ingest.import_files(db, paths=[FIXTURES], profile="me")
    demo_ids = {r[0] for r in db.execute("SELECT track_id FROM catalog_tracks WHERE source = 'demo'")}
    demo_artists = {r[0] for r in db.execute("SELECT DISTINCT artist_name FROM catalog_tracks WHERE source = 'demo'")}
    assert demo_ids
    inputs = taste.load_inputs(db, "me")
    assert not demo_ids & set(inputs.interactions.track_keys_)
    pool = chat.load_pool(db, "me")
    assert not demo_artists & set(pool["artist_name"].dropna())
    reply = chat.take_turn(pool, chat.Vocabulary.from_pool(pool), conversation := chat.Conversation(), "anything")
    assert reply.changed is not None
    if conversation.version is not None:
        assert not demo_artists & set(pool.loc[list(conversation.version.track_keys), "artist_name"])
    taste.train(db, "me", demo_copy, {"factors": 4, "iterations": 2}, evaluate=False)
    current = taste.current(db, "me")
    listing = taste.for_you(current.hybrid, current.interactions, current.listener(history.load_plays(db, "me")), n=50)
    assert not demo_artists & set(listing["artist"].dropna())
