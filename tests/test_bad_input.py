"""Bad input: a message naming the file (and row) and the fix; nothing half-written."""

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import store
from core.ingest.importer import import_files
from tests.conftest import FIXTURES, all_plays, make_zip

GOOD = (FIXTURES / "Streaming_History_Audio_2024_1.json").read_bytes()
NAME = "Streaming_History_Audio_2024_0.json"


def one_file(db, name: str, data: bytes):
    report = import_files(db, uploads=[(name, data), ("Streaming_History_Audio_2024_1.json", GOOD)])
    bad, good = report.files
    assert (good.status, good.added) == ("imported", 1), "the other file of the same import still goes in"
    return bad


@pytest.mark.parametrize("data, message", [
    (GOOD[:-40], f"{NAME}: ends in the middle of the data (the file is truncated). The download or unzip was "
                 "probably cut short. Download the export again from Spotify (Account > Privacy) and import "
                 "the original file."),
    (b'{"ts": "2024-08-01T07:15:42Z", "ms_played": 1}', f"{NAME}: holds an object where a list of plays "
                                                         "belongs. Import the file exactly as it came in Spotify's export."),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), f"{NAME}: is not a text file (it contains binary "
     "data, or is UTF-16). Download the export again from Spotify (Account > Privacy) and import the original file."),
    (b"", f"{NAME}: is empty. Download the export again from Spotify (Account > Privacy) and import the original file."),
    (b"  \n ", f"{NAME}: is empty. Download the export again from Spotify (Account > Privacy) and import the original file."),
    ('[{"ts": "2024-08-01T07:15:42Z", "ms_played": 1, "master_metadata_track_name": "Caf\u00e9"}]'.encode("latin-1"),
     f"{NAME}: is not UTF-8 text (bad byte at position 82). Save it as UTF-8, or use the file exactly as Spotify sent it."),
    (b'[{"ts": "2024-08-01T07:15:42Z", "ms_played": 1} {"ts": 2}]', f"{NAME}: is not valid JSON (unexpected "
     "character, expected ',' or ']' at line 1, column 49). Download the export again from Spotify (Account > Privacy) and import the original file."),
    (b'[{"ts": 5, "ms_played": "long"}, {"ts": null}]', f"{NAME}, row 1: has no row Encore can read (every row is "
     "rejected; first: ts is missing or not a UTC time like 2013-04-16T06:56:15Z). Import the file exactly as it "
     "came in Spotify's export."),
    (b'[{"hello": "world"}]', f"{NAME}, row 1: has no row Encore can read (every row is rejected; first: ts is "
     "missing or not a UTC time like 2013-04-16T06:56:15Z). Import the file exactly as it came in Spotify's export."),
])
def test_broken_file_gets_a_message_and_writes_nothing(fresh_db, data, message):
    bad = one_file(fresh_db, NAME, data)
    assert (bad.status, bad.message) == ("error", message)
    assert [p["track_name"] for p in all_plays(fresh_db)] == ["Morning Bus"]


def test_an_empty_list_under_a_known_name_is_an_empty_import_but_unknown_names_are_refused(fresh_db):
    empty = one_file(fresh_db, "StreamingHistory_podcast_0.json", b"[]")
    assert (empty.status, empty.rows_read, empty.added) == ("imported", 0, 0)
    unknown = one_file(store.open_memory_store(), "notes.json", b"[]")
    assert (unknown.status, unknown.message) == ("error", "notes.json: holds no rows. Nothing to import from this file.")


def test_rows_with_wrong_types_or_absurd_strings_are_rejected_with_row_numbers(fresh_db):
    good_row = orjson.loads(GOOD)[0]
    rows = [
        {**good_row, "ts": "2024-08-01T07:00:00Z"},
        {**good_row, "ms_played": "215000"},
        {**good_row, "ts": "2024-08-01T07:05:00Z", "master_metadata_track_name": "x" * 5000},
        {**good_row, "ts": "2024-08-01T07:06:00Z", "skipped": "no"},
        "not a record",
        {**good_row, "ts": "yesterday"},
        {**good_row, "ts": "2024-08-01T07:07:00Z", "ms_played": -5},
        {**good_row, "ts": "2024-08-01T07:08:00Z"},
    ]
    bad = one_file(fresh_db, NAME, orjson.dumps(rows))
    assert (bad.status, bad.rows_read, bad.added, bad.rejected) == ("imported", 8, 2, 6)
    assert [(r.reason, r.count, r.first_rows) for r in bad.rejected_reasons] == [
        ("ms_played should be a whole number of milliseconds", 1, [2]),
        ("master_metadata_track_name is 5,000 characters long (more than 2,000)", 1, [3]),
        ("skipped should be true, false or null, not a string", 1, [4]),
        ("is a string, not a record", 1, [5]),
        ("ts is missing or not a UTC time like 2013-04-16T06:56:15Z", 1, [6]),
        ("ms_played is -5, outside 0 to 24 hours", 1, [7]),
    ]


def test_rejected_row_numbers_are_capped_at_five_but_counted(fresh_db):
    good_row = orjson.loads(GOOD)[0]
    rows = [{**good_row, "ts": "2024-08-01T07:00:00Z"}] + [{**good_row, "ms_played": None}] * 9
    bad = one_file(fresh_db, NAME, orjson.dumps(rows))
    assert [(r.count, r.first_rows) for r in bad.rejected_reasons] == [(9, [2, 3, 4, 5, 6])]


def test_zip_member_climbing_out_is_refused_and_the_rest_imports(fresh_db):
    data = make_zip({"../../etc/Streaming_History_Audio_evil_0.json": GOOD,
                     "/abs/Streaming_History_Audio_abs_0.json": GOOD,
                     "export/Streaming_History_Audio_2024_1.json": GOOD})
    report = import_files(fresh_db, uploads=[("export.zip", data)])
    assert [(f.file, f.status, f.message) for f in report.files] == [
        ("export.zip/../../etc/Streaming_History_Audio_evil_0.json", "error",
         "export.zip/../../etc/Streaming_History_Audio_evil_0.json: has a path that climbs out of the zip's folder, so it was not read. Re-download the export from Spotify."),
        ("export.zip//abs/Streaming_History_Audio_abs_0.json", "error",
         "export.zip//abs/Streaming_History_Audio_abs_0.json: has a path that climbs out of the zip's folder, so it was not read. Re-download the export from Spotify."),
        ("export.zip/export/Streaming_History_Audio_2024_1.json", "imported", None),
    ]
    assert store.count_plays(fresh_db) == 1


def test_zip_over_the_uncompressed_cap_is_refused_whole(fresh_db):
    data = make_zip({"a/Streaming_History_Audio_2024_1.json": GOOD, "a/Streaming_History_Audio_2024_2.json": GOOD})
    report = import_files(fresh_db, uploads=[("big.zip", data)], max_zip_bytes=len(GOOD) + 10)
    assert [(f.file, f.status) for f in report.files] == [("big.zip", "error")]
    assert "would unpack to" in report.files[0].message and "limit" in report.files[0].message
    assert store.count_plays(fresh_db) == 0


def test_highly_compressed_member_looks_like_a_bomb_and_is_not_read(fresh_db):
    bomb = b"[" + b" " * (8 * 1024 * 1024) + b"]"
    data = make_zip({"x/Streaming_History_Audio_2024_0.json": bomb, "x/Streaming_History_Audio_2024_1.json": GOOD})
    report = import_files(fresh_db, uploads=[("bomb.zip", data)])
    assert [(f.status, f.message) for f in report.files] == [
        ("error", "bomb.zip/x/Streaming_History_Audio_2024_0.json: is compressed more than 200:1, which no Spotify export is (it looks like a zip bomb), so it was not read."),
        ("imported", None)]


def test_zip_inside_a_zip_is_reported_not_opened(fresh_db):
    inner = make_zip({"Streaming_History_Audio_2024_1.json": GOOD})
    report = import_files(fresh_db, uploads=[("outer.zip", make_zip({"my_spotify_data.zip": inner}))])
    assert [(f.status, f.message) for f in report.files] == [
        ("error", "outer.zip/my_spotify_data.zip: is a zip inside the zip; Encore does not open nested zips. Unzip the outer zip and import the inner one.")]
    assert not report.imported_any


def test_corrupt_zip(fresh_db):
    report = import_files(fresh_db, uploads=[("broken.zip", b"PK\x03\x04 this is not really a zip")])
    assert report.files[0].status == "error"
    assert report.files[0].message.startswith("broken.zip: is not a readable zip file")


def test_missing_path(fresh_db, tmp_path):
    report = import_files(fresh_db, paths=[tmp_path / "nope"])
    assert [(f.status, f.message) for f in report.files] == [
        ("error", f"{tmp_path / 'nope'}: does not exist. Check the path and try again.")]


def test_a_failure_while_writing_rolls_the_whole_file_back(fresh_db, monkeypatch):
    real_insert = store.insert_plays

    def insert_then_fail(*args, **kwargs):
        real_insert(*args, **kwargs)
        raise RuntimeError("disk unplugged")

    monkeypatch.setattr(store, "insert_plays", insert_then_fail)
    with pytest.raises(RuntimeError):
        import_files(fresh_db, paths=[FIXTURES / "endsong_0.json"])
    assert store.count_plays(fresh_db) == 0


junk_value = st.one_of(st.none(), st.booleans(), st.integers(-10**15, 10**15), st.floats(allow_nan=True),
                       st.text(max_size=30), st.sampled_from(["2024-08-01T07:15:42Z", "2020-11-20 08:55", "spotify:track:x"]))
junk_record = st.one_of(
    st.dictionaries(st.sampled_from(["ts", "ms_played", "master_metadata_track_name", "spotify_track_uri", "skipped",
                                     "endTime", "msPlayed", "trackName", "artistName", "platform", "offline_timestamp",
                                     "episode_name", "playlists", "tracks", "reason_start"]), junk_value, max_size=8),
    junk_value,
)
junk_document = st.one_of(st.lists(junk_record, max_size=6), junk_record, st.dictionaries(st.text(max_size=5), junk_record, max_size=3))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=junk_document, raw=st.binary(max_size=200), use_raw=st.booleans(),
       name=st.sampled_from([NAME, "StreamingHistory_music_0.json", "Playlist1.json", "YourLibrary.json", "x.json", "h.csv"]))
def test_fuzz_junk_never_crashes_and_never_half_writes(document, raw, use_raw, name):
    db = store.open_memory_store()
    data = raw if use_raw else orjson.dumps(document, option=orjson.OPT_NON_STR_KEYS) if _serialisable(document) else raw
    report = import_files(db, uploads=[(name, data)])
    (f,) = report.files
    plays = store.count_plays(db)
    items = store.count_rows(db, "playlist_items") + store.count_rows(db, "library_items")
    if f.status == "error":
        assert f.message and name in f.message
        assert plays == 0 and items == 0
    else:
        assert f.status == "imported"
        assert f.rows_read == f.added + f.duplicates + f.merged + f.rejected or f.holds != "plays"
        assert plays == f.added if f.holds == "plays" else plays == 0


def _serialisable(document) -> bool:
    try:
        orjson.dumps(document, option=orjson.OPT_NON_STR_KEYS)
        return True
    except (TypeError, orjson.JSONEncodeError):
        return False


@pytest.mark.parametrize("data, message", [
    ("endTime,artistName,trackName,msPlayed\n2021-03-04 11:20,Björk,Jóga,1301\n".encode("latin-1"),
     "history.csv: is not UTF-8 text (bad byte at position 57). Save it as UTF-8 CSV."),
    (b"name,plays\nA,3\n", "history.csv: is not a Spotify listening-history, playlist or library file (its fields "
     "are not ones Spotify uses). Import the export zip, or the Streaming_History / StreamingHistory / Playlist / "
     "YourLibrary files from it."),
    (b"endTime,artistName,trackName,msPlayed\n2021-03-04 11:20,A,B,lots\n", "history.csv, row 1: has no row Encore "
     "can read (every row is rejected; first: msPlayed should be a whole number of milliseconds). Import the file "
     "exactly as it came in Spotify's export."),
])
def test_broken_csv_gets_a_message_and_writes_nothing(fresh_db, data, message):
    bad = one_file(fresh_db, "history.csv", data)
    assert (bad.status, bad.message) == ("error", message)
    assert [p["track_name"] for p in all_plays(fresh_db)] == ["Morning Bus"]


# --- damaged files and odd paths: refused one by one, the rest still goes in -----------------


def _row(ts: str, title: str, **extra) -> dict:
    return {"ts": ts, "ms_played": 200_000, "master_metadata_track_name": title,
            "master_metadata_album_artist_name": "Band", "spotify_track_uri": None, **extra}


def _finished(db) -> list:
    return [row[0] is not None for row in db.execute("SELECT finished_at FROM imports ORDER BY id")]


def test_a_value_nested_a_thousand_deep_in_a_field_encore_never_reads_does_not_stop_the_import(fresh_db):
    nested = "[" * 1000 + "]" * 1000
    data = orjson.dumps([_row("2024-01-01T10:00:00Z", "Plain")])[:-2] + b', "extra": ' + nested.encode() + b"}]"
    report = import_files(fresh_db, uploads=[(NAME, data), ("Streaming_History_Audio_2024_1.json", GOOD)])
    assert [f.status for f in report.files] == ["imported", "imported"]
    assert sorted(p["track_name"] for p in all_plays(fresh_db)) == ["Morning Bus", "Plain"]
    assert _finished(fresh_db) == [True]


def test_a_number_beyond_a_double_rejects_its_row_not_the_file(fresh_db):
    rows = orjson.dumps([_row("2024-01-01T10:00:00Z", "Kept"), _row("2024-01-01T11:00:00Z", "Gone")])
    data = rows.replace(b'"ms_played":200000,"master_metadata_track_name":"Gone"',
                        b'"ms_played":1e400,"master_metadata_track_name":"Gone"')
    assert b"1e400" in data
    bad = one_file(fresh_db, NAME, data)
    assert (bad.status, bad.added, bad.rejected) == ("imported", 1, 1)
    assert [r.reason for r in bad.rejected_reasons] == ["ms_played should be a whole number of milliseconds"]


def _patch_zip(raw: bytes, how: str) -> bytes:
    """Damage the zip's first member the way real damaged downloads are damaged."""
    import struct
    raw = bytearray(raw)
    local = 0  # the first member's local header starts the file
    central = raw.index(b"PK\x01\x02")
    if how == "encrypted":  # the 'encrypted' bit in both headers
        for offset in (local + 6, central + 8):
            raw[offset] |= 0x1
    elif how == "unknown method":
        for offset in (local + 8, central + 10):
            raw[offset:offset + 2] = struct.pack("<H", 99)
    elif how == "other name in its header":
        raw[local + 30] ^= 0x20
    elif how == "corrupt data":
        name_length, extra_length = struct.unpack("<HH", raw[local + 26:local + 30])
        start = local + 30 + name_length + extra_length
        for i in range(start + 5, start + 25):
            raw[i] ^= 0xFF
    return bytes(raw)


@pytest.mark.parametrize("how, problem", [
    ("encrypted", "is encrypted (password-protected) inside its zip"),
    ("unknown method", "is compressed with a method Encore cannot unpack"),
    ("other name in its header", "is damaged inside its zip"),
    ("corrupt data", "is damaged inside its zip"),
])
def test_a_damaged_zip_member_is_refused_and_the_other_members_go_in(fresh_db, how, problem):
    first = "export/Streaming_History_Audio_2023_0.json"
    data = make_zip({first: orjson.dumps([_row("2023-01-01T10:00:00Z", "First")] * 40),
                     "export/Streaming_History_Audio_2024_1.json": GOOD})
    report = import_files(fresh_db, uploads=[("export.zip", _patch_zip(data, how))])
    assert [f.status for f in report.files] == ["error", "imported"]
    assert report.files[0].message.startswith(f"export.zip/{first}: {problem} (")
    assert report.files[0].message.endswith("Download the export again from Spotify, or unzip it and import the folder.")
    assert [p["track_name"] for p in all_plays(fresh_db)] == ["Morning Bus"]
    assert _finished(fresh_db) == [True]


def test_a_zip_is_opened_once_however_many_members_it_has(fresh_db, monkeypatch):
    from core.ingest import exports
    opened = []

    class CountingZip(exports.zipfile.ZipFile):
        def __init__(self, *args, **kwargs):
            opened.append(1)
            super().__init__(*args, **kwargs)

    members = {f"e/Streaming_History_Audio_2020_{i}.json":
               orjson.dumps([_row(f"2020-01-01T10:{i // 60:02d}:{i % 60:02d}Z", f"T{i}")]) for i in range(300)}
    data = make_zip(members)
    monkeypatch.setattr(exports.zipfile, "ZipFile", CountingZip)
    report = import_files(fresh_db, uploads=[("many.zip", data)])
    assert report.added == 300
    assert len(opened) == 1  # reading member by member re-opened it 301 times: quadratic in members


def test_paths_that_are_not_files_get_their_own_message(fresh_db, tmp_path):
    report = import_files(fresh_db, paths=["/dev/null", tmp_path / "nope"])
    assert [(f.status, f.message) for f in report.files] == [
        ("error", "/dev/null: is not a file or a folder (it is a device, a pipe or a socket), so it was not read. "
                  "Give the path of the export's zip, folder or files."),
        ("error", f"{tmp_path / 'nope'}: does not exist. Check the path and try again.")]


@pytest.mark.skipif(not __import__("os").path.exists("/proc/self/mem"), reason="needs Linux's /proc")
def test_a_path_the_system_refuses_to_read_is_refused_and_the_import_finishes(fresh_db, tmp_path):
    good = tmp_path / "Streaming_History_Audio_2024_1.json"
    good.write_bytes(GOOD)
    report = import_files(fresh_db, paths=["/proc/self/mem", good])
    assert [f.status for f in report.files] == ["error", "imported"]
    assert report.files[0].message.startswith("/proc/self/mem: could not be read (")
    assert _finished(fresh_db) == [True]


def test_a_reader_failure_nobody_foresaw_refuses_that_file_only(fresh_db, monkeypatch):
    from core.ingest import exports
    real = exports.parse_file

    def parse(item):
        if item.name == NAME:
            raise ValueError("something new")
        return real(item)

    monkeypatch.setattr(exports, "parse_file", parse)
    report = import_files(fresh_db, uploads=[(NAME, GOOD), ("Streaming_History_Audio_2024_1.json", GOOD)])
    assert [f.status for f in report.files] == ["error", "imported"]
    assert report.files[0].message.startswith(f"{NAME}: could not be read: Encore met something it does not "
                                              "expect in it (ValueError: something new).")
    assert _finished(fresh_db) == [True]


def test_the_zip_size_message_never_shows_two_equal_numbers(fresh_db):
    data = make_zip({"a/Streaming_History_Audio_2024_1.json": GOOD})
    size = len(GOOD)
    report = import_files(fresh_db, uploads=[("big.zip", data)], max_zip_bytes=size - 1)
    message = report.files[0].message
    said = message.split("would unpack to ")[1].split(", more than")[0]
    limit = message.split("limit of ")[1].split(" for one zip")[0]
    assert said != limit, message


def test_a_csv_cut_in_the_middle_of_a_row_rejects_that_row(fresh_db):
    data = (b"endTime,artistName,trackName,msPlayed\n2021-03-04 11:20,A,Whole,1301\n"
            b"2021-03-04 11:25,A,Half")
    bad = one_file(fresh_db, "history.csv", data)
    assert (bad.status, bad.added, bad.rejected) == ("imported", 1, 1)
    assert [(r.reason, r.first_rows) for r in bad.rejected_reasons] == [
        ("the row has fewer columns than the header (the file was cut short, or a line was broken)", [2])]
    assert sorted(p["track_name"] for p in all_plays(fresh_db)) == ["Morning Bus", "Whole"]


def test_a_nul_byte_anywhere_in_a_csv_refuses_it(fresh_db):
    rows = b"".join(b"2021-03-04 11:%02d,A,Song %d,1301\n" % (i % 60, i) for i in range(200))
    data = b"endTime,artistName,trackName,msPlayed\n" + rows + b"2021-03-05 11:00,A,B\x00ad,1301\n"
    assert data.index(b"\x00") > 4096
    bad = one_file(fresh_db, "history.csv", data)
    assert bad.status == "error"
    assert "holds a NUL byte at character" in bad.message
    assert [p["track_name"] for p in all_plays(fresh_db)] == ["Morning Bus"]
