"""Each export format, imported from a tiny hand-made fixture, gives exactly these rows."""
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.ingest.importer import import_files
from tests.conftest import FIXTURES, all_plays, play

ANDROID = "Android OS 11 API 30 (Google, Pixel 3a)"


def imported(db, *names: str):
    report = import_files(db, paths=[FIXTURES / n for n in names])
    assert not report.errors, [f.message for f in report.errors]
    return report, all_plays(db)


def test_extended_2020_without_uris_and_with_geo_keys(fresh_db):
    report, rows = imported(fresh_db, "endsong_2020.json")
    assert report.files[0].format == "Extended streaming history (2020, no track ids)"
    assert rows == [
        play(played_at="2019-06-02T17:46:00Z", started_at="2019-06-02T17:45:59Z", ms_played=998,
             content_type="music", platform="iOS 12.2 (iPhone11,2)", platform_family="ios", conn_country="US",
             reason_start="fwdbtn", reason_end="fwdbtn", shuffle=0, offline=0,
             # 1559497000 s is 9m20s before the end: plausible, kept
             offline_at="2019-06-02T17:36:40.000Z", incognito=0, source="extended", item_name=""),
        play(played_at="2019-06-02T17:50:29Z", started_at="2019-06-02T17:46:03Z", ms_played=265480,
             content_type="music", track_name="Harbour Lights", artist_name="The Tidewaters", album_name="Salt",
             platform="iOS 12.2 (iPhone11,2)", platform_family="ios", conn_country="US",
             reason_start="trackdone", reason_end="trackdone", shuffle=1, offline=0,
             offline_at="2019-06-02T17:46:02.868Z", incognito=0, source="extended", item_name="Harbour Lights"),
    ]


def test_endsong_files_unsorted_with_a_row_in_both_files_and_video(fresh_db):
    report, rows = imported(fresh_db, "endsong_0.json", "endsong_1.json", "endvideo.json")
    assert [(f.added, f.duplicates, f.video) for f in report.files] == [(3, 0, 0), (0, 1, 0), (1, 0, 1)]
    assert rows == [
        play(played_at="2021-02-12T21:30:10Z", started_at="2021-02-12T21:30:06Z", ms_played=4000,
             content_type="music", track_name="Static", artist_name="Paper Moths", album_name="Autumn Tapes",
             track_uri="spotify:track:1aaaaaaaaaaaaaaaaaaaaa", track_id="1aaaaaaaaaaaaaaaaaaaaa",
             platform=ANDROID, platform_family="android", conn_country="US", reason_start="clickrow",
             reason_end="fwdbtn", shuffle=0, skipped=1, offline=0, offline_at=None, incognito=0,
             source="extended", item_name="Static"),
        play(played_at="2021-02-12T21:41:40Z", started_at="2021-02-12T21:39:22Z", ms_played=137014,
             content_type="music", track_name="Dead Leaves", artist_name="Paper Moths", album_name="Autumn Tapes",
             track_uri="spotify:track:5feaTnq8xITMtRpyAgXKrW", track_id="5feaTnq8xITMtRpyAgXKrW",
             platform=ANDROID, platform_family="android", conn_country="US", reason_start="trackdone",
             reason_end="trackdone", shuffle=0, skipped=None, offline=0, offline_at="2021-02-12T21:39:22.273Z",
             incognito=0, source="extended", item_name="Dead Leaves"),
        play(played_at="2022-01-30T19:38:10Z", started_at="2022-01-30T19:34:47Z", ms_played=202347,
             content_type="music", track_name="Over the Sea", artist_name="Neutral Lanterns", album_name="Aeroplanes",
             track_uri="spotify:track:5rfT032kGmLvbxZzfHlu5D", track_id="5rfT032kGmLvbxZzfHlu5D",
             platform="Partner google cast_voice;Google_Home;;5.8.1--1.56.500000", platform_family="cast",
             conn_country="US", reason_start="clickrow", reason_end="endplay", shuffle=0, skipped=None, offline=0,
             offline_at=None, incognito=0, source="extended", item_name="Over the Sea"),
        play(played_at="2022-12-05T14:41:18Z", started_at="2022-12-05T14:41:15Z", ms_played=2064,
             content_type="video", track_name="Jackie Line", artist_name="Fountain Boys", album_name="Skinty",
             track_uri="spotify:track:4DNbKvO9fI8bjnxis4yddk", track_id="4DNbKvO9fI8bjnxis4yddk",
             platform="android", platform_family="android", conn_country="US", reason_start="unknown",
             reason_end="endplay", shuffle=0, skipped=1, offline=None, offline_at=None, incognito=0,
             source="extended", item_name="Jackie Line"),
    ]


def test_2024_pretty_printed_with_podcast_incognito_and_exact_duplicate(fresh_db):
    report, rows = imported(fresh_db, "Streaming_History_Audio_2023-2024_0.json")
    f = report.files[0]
    assert (f.format, f.rows_read, f.music, f.podcast, f.added, f.duplicates) == (
        "Extended streaming history (2024)", 3, 2, 1, 2, 1)
    assert rows == [
        play(played_at="2023-05-13T10:33:03Z", started_at="2023-05-13T10:30:23Z", ms_played=160000,
             content_type="music", track_name="The City", artist_name="Stilz", album_name="Sentient",
             track_uri="spotify:track:0gxvQSybjFdFh9zjdxpG5e", track_id="0gxvQSybjFdFh9zjdxpG5e",
             platform="android", platform_family="android", conn_country="EE", reason_start="trackdone",
             reason_end="trackdone", shuffle=0, skipped=0, offline=0, incognito=0, source="extended",
             item_name="The City"),
        play(played_at="2023-05-13T11:02:00Z", started_at="2023-05-13T10:32:00Z", ms_played=1800000,
             content_type="podcast", episode_name="Episode 12: Rain", show_name="Weather Talk",
             episode_uri="spotify:episode:6r4QJb9RA8XR0zrm8hMsV6", platform="OS X 10.13.6 [x86 8]",
             platform_family="desktop", conn_country="EE", reason_start="clickrow", reason_end="endplay",
             shuffle=0, offline=0, incognito=1, source="extended", item_name="Episode 12: Rain"),
    ]


def test_late_2024_with_ip_addr_and_offline_seconds(fresh_db):
    report, rows = imported(fresh_db, "Streaming_History_Audio_2024_1.json")
    assert report.files[0].format == "Extended streaming history (late 2024)"
    assert rows == [
        play(played_at="2024-08-01T07:15:42Z", started_at="2024-08-01T07:12:07Z", ms_played=215000,
             content_type="music", track_name="Morning Bus", artist_name="Kettle", album_name="Commute",
             track_uri="spotify:track:3bbbbbbbbbbbbbbbbbbbbb", track_id="3bbbbbbbbbbbbbbbbbbbbb",
             platform="ios", platform_family="ios", conn_country="DE", reason_start="trackdone",
             reason_end="trackdone", shuffle=0, skipped=0, offline=1, offline_at="2024-08-01T07:11:40.000Z",
             incognito=0, source="extended", item_name="Morning Bus"),
    ]


def test_2025_with_audiobook_fields(fresh_db):
    report, rows = imported(fresh_db, "Streaming_History_Audio_2025_2.json")
    f = report.files[0]
    assert (f.format, f.music, f.audiobook) == ("Extended streaming history (2025+, with audiobook fields)", 1, 1)
    assert rows == [
        play(played_at="2025-03-09T22:05:11Z", started_at="2025-03-09T22:02:04Z", ms_played=187000,
             content_type="music", track_name="Night Drive", artist_name="Neon Harbor", album_name="Coastline",
             track_uri="spotify:track:4ccccccccccccccccccccc", track_id="4ccccccccccccccccccccc",
             platform="windows", platform_family="desktop", conn_country="ZZ", reason_start="trackdone",
             reason_end="trackdone", shuffle=0, skipped=0, offline=0, incognito=0, source="extended",
             item_name="Night Drive"),
        play(played_at="2025-03-10T06:40:00Z", started_at="2025-03-10T06:30:00Z", ms_played=600000,
             content_type="audiobook", audiobook_title="The Long Walk", audiobook_uri="spotify:show:7ddddddddddddddddddddd",
             chapter_title="Chapter 1", chapter_uri="spotify:episode:8eeeeeeeeeeeeeeeeeeeee",
             platform="web_player windows 10;firefox 120.0;desktop", platform_family="web", conn_country="DE",
             reason_start="trackdone", reason_end="trackdone", shuffle=0, skipped=0, offline=0, incognito=0,
             source="extended", item_name="Chapter 1"),
    ]


def test_account_data_music_podcast_audiobook(fresh_db):
    report, rows = imported(fresh_db, "StreamingHistory0.json", "StreamingHistory_music_0.json",
                            "StreamingHistory_podcast_0.json", "StreamingHistory_audiobook_0.json")
    assert [f.format for f in report.files] == [
        "Account data: music", "Account data: music", "Account data: podcasts", "Account data: audiobooks"]
    assert rows == [
        play(played_at="2020-11-20T08:55:00Z", started_at="2020-11-20T08:52:23Z", ms_played=156074,
             content_type="music", track_name="Yellow Eyes", artist_name="Rayland Baxter", source="account",
             item_name="Yellow Eyes"),
        play(played_at="2020-11-20T09:01:00Z", started_at="2020-11-20T09:00:58Z", ms_played=1301,
             content_type="music", track_name="The Funeral", artist_name="Band of Horses", source="account",
             item_name="The Funeral"),
        play(played_at="2024-02-15T00:00:00Z", started_at="2024-02-14T23:59:53Z", ms_played=6722,
             content_type="music", track_name="I'll Be Your Mirror", artist_name="The Velvet Underground",
             source="account", item_name="I'll Be Your Mirror"),
        play(played_at="2024-04-03T08:18:00Z", started_at="2024-04-03T08:17:18Z", ms_played=41297,
             content_type="podcast", episode_name="Bio dans les cantines", show_name="Choses à Savoir",
             source="account", item_name="Bio dans les cantines"),
        play(played_at="2024-10-15T15:33:00Z", started_at="2024-10-15T15:32:59Z", ms_played=314,
             content_type="audiobook", artist_name="David James", audiobook_title="Cohérence Cardiaque",
             chapter_title="Chapitre 1", source="account", item_name="Chapitre 1"),
    ]


def test_playlists_and_library(fresh_db):
    report, _ = imported(fresh_db, "Playlist1.json", "YourLibrary.json")
    assert [(f.format, f.rows_read, f.added) for f in report.files] == [
        ("Account data: playlists", 2, 2), ("Account data: library", 3, 3)]
    playlists = [dict(r) for r in fresh_db.query(
        "SELECT p.name, p.ordinal, p.last_modified, i.position, i.kind, i.track_name, i.artist_name, "
        "i.album_name, i.track_uri, i.track_id FROM playlists p LEFT JOIN playlist_items i ON i.playlist_id = p.id "
        "ORDER BY p.name, i.position")]
    assert playlists == [
        {"name": "Empty", "ordinal": 0, "last_modified": "2021-01-01", "position": None, "kind": None,
         "track_name": None, "artist_name": None, "album_name": None, "track_uri": None, "track_id": None},
        {"name": "Vin chaud", "ordinal": 0, "last_modified": "2021-11-11", "position": 0, "kind": "track",
         "track_name": "Last Christmas", "artist_name": "Wham!", "album_name": "Christmas Hits",
         "track_uri": "spotify:track:0QPYn15U8IQHKcH2LDfrek", "track_id": "0QPYn15U8IQHKcH2LDfrek"},
        {"name": "Vin chaud", "ordinal": 0, "last_modified": "2021-11-11", "position": 1, "kind": "episode",
         "track_name": "Bazar #2", "artist_name": "Podcast", "album_name": None,
         "track_uri": "spotify:episode:6r4QJb9RA8XR0zrm8hMsV6", "track_id": None},
    ]
    library = [tuple(r) for r in fresh_db.execute(
        "SELECT kind, name, artist_name, album_name, uri FROM library_items ORDER BY kind").fetchall()]
    assert library == [
        ("album", "Let's Go Sunshine", "The Kooks", None, "spotify:album:6W5NMoXsloO4Kz16ANeSAb"),
        ("artist", "Bormin’", None, None, "spotify:artist:2DCCeNy7EIhIt2TceZELw5"),
        ("track", "Dispute", "Yann Tiersen", "Amélie", "spotify:track:2lPbSyx95B110eu04mECzG"),
    ]


def test_csv_with_extended_columns(fresh_db):
    report, rows = imported(fresh_db, "extended_history.csv")
    assert report.files[0].format == "Extended streaming history (2024) (CSV)"
    assert rows == [
        play(played_at="2023-05-13T10:33:03Z", started_at="2023-05-13T10:30:23Z", ms_played=160000,
             content_type="music", track_name="The City", artist_name="Stilz", album_name="Sentient",
             track_uri="spotify:track:0gxvQSybjFdFh9zjdxpG5e", track_id="0gxvQSybjFdFh9zjdxpG5e",
             platform="android", platform_family="android", conn_country="EE", reason_start="trackdone",
             reason_end="trackdone", shuffle=0, skipped=0, offline=0, incognito=0, source="extended",
             item_name="The City"),
        play(played_at="2023-05-14T18:00:00Z", started_at="2023-05-14T17:59:57Z", ms_played=3000,
             content_type="music", track_name="Song, With Comma", artist_name="Stilz", album_name="Sentient",
             track_uri="spotify:track:1fffffffffffffffffffff", track_id="1fffffffffffffffffffff",
             platform="windows", platform_family="desktop", conn_country="EE", reason_start="fwdbtn",
             reason_end="fwdbtn", shuffle=1, skipped=1, offline=0, offline_at="2023-05-14T17:59:57.000Z", incognito=0,
             source="extended", item_name="Song, With Comma"),
    ]


def test_csv_with_account_columns_and_semicolons(fresh_db):
    report, rows = imported(fresh_db, "account_history.csv")
    assert report.files[0].format == "Account data: music (CSV)"
    assert rows == [
        play(played_at="2021-03-04T11:20:00Z", started_at="2021-03-04T11:19:58Z", ms_played=1301,
             content_type="music", track_name="The Funeral", artist_name="Band of Horses", source="account",
             item_name="The Funeral"),
        play(played_at="2021-03-04T11:25:00Z", started_at="2021-03-04T11:22:00Z", ms_played=180000,
             content_type="music", track_name="Is There a Ghost", artist_name="Band of Horses", source="account",
             item_name="Is There a Ghost"),
    ]


@pytest.mark.parametrize("raw, family", [
    ("Android OS 10 API 29 (Google, Pixel 3a)", "android"), ("android", "android"),
    ("iOS 12.2 (iPhone11,2)", "ios"), ("ios", "ios"), ("OS X 10.13.6 [x86 8]", "desktop"),
    ("Windows 10 (10.0.19042; x64; AppX)", "desktop"), ("windows", "desktop"), ("osx", "desktop"),
    ("linux", "desktop"), ("web_player windows 10;firefox 85.0;desktop", "web"),
    ("Partner google cast_voice;Google_Nest_Mini;;5.7.2", "cast"), ("Partner sonos_one", "cast"),
    ("PlayStation 4", "other"), (None, None),
])
def test_platform_family(raw, family):
    from core.ingest.exports import platform_family
    assert platform_family(raw) == family


@pytest.mark.parametrize("value, expected", [
    (0, None), (None, None), (1559497562868, "2019-06-02T17:46:02.868Z"), (1559497562, "2019-06-02T17:46:02.000Z"),
    (1259497562, None),  # years away from the play: a wrong date is worse than none
    (True, None), ("1559497562", None),
])
def test_offline_timestamp_units(value, expected):
    import datetime as dt

    from core.ingest.exports import offline_time
    end = dt.datetime(2019, 6, 2, 17, 50, 29, tzinfo=dt.timezone.utc)
    assert offline_time(value, end) == expected


@pytest.mark.parametrize("raw, expected", [
    ("click-row", "clickrow"), ("clickrow", "clickrow"), ("", None), ("  ", None), (None, None),
    ("trackdone", "trackdone"), ("unexpected-exit-while-paused", "unexpected-exit-while-paused"),
])
def test_reason_normalisation(raw, expected):
    from core.ingest.exports import normalise_reason
    assert normalise_reason(raw) == expected


valid_record = st.fixed_dictionaries({
    "ts": st.datetimes(min_value=dt.datetime(2008, 1, 1), max_value=dt.datetime(2030, 1, 1)).map(
        lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ")),
    "ms_played": st.integers(0, 24 * 3_600_000),
    "master_metadata_track_name": st.one_of(st.none(), st.just(""), st.text(max_size=20)),
    "master_metadata_album_artist_name": st.one_of(st.none(), st.text(max_size=10)),
    "spotify_track_uri": st.one_of(st.none(), st.just(""), st.just("spotify:track:1aaaaaaaaaaaaaaaaaaaaa"),
                                   st.just("spotify:local:x")),
    "episode_name": st.one_of(st.none(), st.text(max_size=5)),
    "audiobook_title": st.one_of(st.none(), st.text(max_size=5)),
    "platform": st.one_of(st.none(), st.just(""), st.sampled_from(["android", "Partner cast", "iOS 12", "x"])),
    "reason_start": st.one_of(st.none(), st.sampled_from(["", "click-row", "trackdone", "FWDBTN"])),
    "skipped": st.one_of(st.none(), st.booleans()),
    "incognito_mode": st.one_of(st.none(), st.booleans()),
    "offline_timestamp": st.one_of(st.none(), st.integers(-5, 2_000_000_000_000), st.floats(0, 2e12)),
})


@settings(max_examples=200, deadline=None)
@given(records=st.lists(valid_record, min_size=1, max_size=8), is_video=st.booleans())
def test_columnar_fast_path_equals_the_per_row_path(records, is_video):
    import orjson

    from core.ingest.exports import (
        convert_extended,
        decode_extended,
        extended_row,
        extended_rows_columnar,
    )
    careful = [extended_row(r, is_video) for r in records]
    assert extended_rows_columnar(convert_extended(records), is_video) == careful
    assert extended_rows_columnar(decode_extended(orjson.dumps(records)), is_video) == careful


@pytest.mark.parametrize("name", ["endsong_2020.json", "endsong_0.json", "Streaming_History_Audio_2023-2024_0.json",
                                  "Streaming_History_Audio_2024_1.json", "Streaming_History_Audio_2025_2.json"])
def test_columnar_fast_path_takes_every_fixture(name):
    import orjson

    from core.ingest.exports import (
        decode_extended,
        extended_row,
        extended_rows_columnar,
    )
    data = (FIXTURES / name).read_bytes()
    careful = [extended_row(r, False) for r in orjson.loads(data)]
    assert extended_rows_columnar(decode_extended(data), False) == careful
