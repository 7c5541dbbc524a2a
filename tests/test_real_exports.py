"""Acceptance: every real export in ../shared/data imports with exact, independently derived counts.

Set ENCORE_REAL_DATA to the shared data folder (CI does); otherwise these tests skip.

How the expected numbers were derived (hand-checkable, without Encore's parser): load each
JSON file with the standard library and count distinct rows, comparing every field except
the ones that differ between two uploads of the same event — the IP address, the user agent
and the platform string (and the username and location fields, masked in these files). Two
rows that differ in anything else are two plays: offline plays uploaded together can share
their end time, title and ms_played and differ only in offline_timestamp (to the
millisecond) and reason_start/reason_end. An account-export row is compared whole.
`independent_counts` below recomputes exactly that, and the constants pin the numbers so a
change on either side shows up.
"""
import json
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from core import store
from core.ingest.importer import import_files
from tests.conftest import real_data_dir

# export -> {content_type: distinct plays}
EXPECTED_PLAYS = {
    "extended-2024-a": {"music": 41_110, "podcast": 83, "video": 142},
    "extended-2020-no-uris": {"music": 5_960},
    "extended-2026-b.zip": {"music": 52_892, "podcast": 449, "video": 75},
    "extended-endsong-c.zip": {"music": 25_328, "podcast": 3, "video": 27},
    "account-2021-d": {"music": 41_285},
    "account-2025-e": {"music": 25_807, "podcast": 1_118, "audiobook": 261},
}
EXPECTED_PLAYLISTS = {"account-2021-d": (14, 425), "account-2025-e": (28, 5_638)}
EXPECTED_LIBRARY = {"account-2021-d": 612, "account-2025-e": 116}


def _json_members(path: Path):
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                if info.filename.endswith(".json"):
                    yield info.filename, json.loads(zf.read(info))
    else:
        for file in sorted(path.rglob("*.json")):
            yield file.name, json.loads(file.read_text(encoding="utf-8"))


# what differs between two uploads of the same play (and the fields masked in these files)
NOT_THE_PLAY = {"ip_addr_decrypted", "ip_addr", "user_agent_decrypted", "platform", "username", "city", "region",
                "metro_code", "latitude", "longitude"}


def independent_counts(path: Path) -> Counter:
    """Distinct plays per content type, computed with json and sets only."""
    seen: dict[str, set] = {}
    for name, data in _json_members(path):
        base = name.rsplit("/", 1)[-1]
        if not isinstance(data, list):
            continue
        for r in data:
            if "ts" in r:
                kind = ("video" if "Video" in base or "endvideo" in base else
                        "podcast" if r.get("episode_name") or r.get("spotify_episode_uri") else
                        "audiobook" if r.get("audiobook_title") or r.get("audiobook_uri") else "music")
                seen.setdefault(kind, set()).add(
                    tuple(sorted((k, json.dumps(v)) for k, v in r.items() if k not in NOT_THE_PLAY)))
            elif "endTime" in r:
                kind = "podcast" if "podcastName" in r else "audiobook" if "audiobookName" in r else "music"
                seen.setdefault(kind, set()).add(tuple(sorted((k, json.dumps(v)) for k, v in r.items())))
    return Counter({kind: len(keys) for kind, keys in seen.items()})


def plays_by_type(db, profile: str) -> dict:
    return dict(db.execute("SELECT content_type, count(*) FROM plays WHERE profile = ? GROUP BY 1", [profile]).fetchall())


@pytest.mark.parametrize("export", sorted(EXPECTED_PLAYS))
def test_real_export_imports_with_exact_counts_and_is_idempotent(export, tmp_path):
    path = real_data_dir() / "exports" / export
    assert independent_counts(path) == Counter(EXPECTED_PLAYS[export])
    db = store.open_store(tmp_path / "real.db")
    report = import_files(db, paths=[path], profile="real")
    assert not report.errors, [f.message for f in report.errors]
    assert plays_by_type(db, "real") == EXPECTED_PLAYS[export]
    assert report.added == sum(EXPECTED_PLAYS[export].values())
    assert all(f.rejected == 0 for f in report.files)
    if export in EXPECTED_PLAYLISTS:
        assert (store.count_rows(db, "playlists"), store.count_rows(db, "playlist_items")) == EXPECTED_PLAYLISTS[export]
        assert store.count_rows(db, "library_items") == EXPECTED_LIBRARY[export]
    before = db.execute("SELECT count(*), sum(ms_played), max(id) FROM plays").fetchone()
    again = import_files(db, paths=[path], profile="real")
    assert (again.added, again.merged) == (0, 0)
    assert db.execute("SELECT count(*), sum(ms_played), max(id) FROM plays").fetchone() == before
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()
    # privacy: the masked IP, user agent and username never reach the database file
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("real.db"))
    for secret in (b"203.0.113.7", b"listener", b"ip_addr", b"user_agent"):
        assert secret not in raw


def test_account_export_of_the_same_plays_is_merged_not_counted_twice(tmp_path):
    """Derive an account-data export from a real extended one (what Spotify would send for the
    same year: UTC minute, names, ms) and import both, in both orders."""
    path = real_data_dir() / "exports" / "extended-2024-a"
    rows = [r for _, data in _json_members(path) for r in data
            if r["ts"] >= "2023-09-01" and r.get("master_metadata_track_name") and "ts" in r]
    account = [{"endTime": r["ts"][:16].replace("T", " "), "artistName": r["master_metadata_album_artist_name"],
                "trackName": r["master_metadata_track_name"], "msPlayed": r["ms_played"]} for r in rows]
    distinct_account = len({(a["endTime"], a["trackName"], a["msPlayed"]) for a in account})
    upload = [("StreamingHistory_music_0.json", json.dumps(account).encode())]
    for order in ("extended first", "account first"):
        db = store.open_store(tmp_path / f"{order}.db")
        if order == "account first":
            import_files(db, uploads=upload)
            report = import_files(db, paths=[path])
        else:
            import_files(db, paths=[path])
            report = import_files(db, uploads=upload)
        assert plays_by_type(db, "me") == EXPECTED_PLAYS["extended-2024-a"], order
        assert store.count_plays(db) == sum(EXPECTED_PLAYS["extended-2024-a"].values())
        # Extended first: every account row finds its play. Account first: rows that share a
        # UTC minute, title and ms (two short plays of one track in one minute) are stored
        # once, so fewer rows are there to be upgraded.
        assert report.merged == (len(account) if order == "extended first" else distinct_account), order
        assert db.execute("SELECT count(*) FROM plays WHERE source = 'account'").fetchone()[0] == 0


@pytest.mark.parametrize("export", ["extended-2024-a", "extended-2020-no-uris", "extended-2026-b.zip", "extended-endsong-c.zip"])
def test_fast_path_takes_every_real_file_and_matches_the_careful_path(export):
    from core.ingest.exports import (
        convert_extended,
        extended_row,
        extended_rows_columnar,
    )
    for name, records in _json_members(real_data_dir() / "exports" / export):
        is_video = "Video" in name or "endvideo" in name
        fast = extended_rows_columnar(convert_extended(records), is_video)
        assert fast is not None, name
        assert fast == [extended_row(r, is_video) for r in records], name
