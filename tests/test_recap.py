"""Year in review: every recap field of a hand-made history, computed by hand (Europe/Berlin)."""
import datetime as dt
import json
import struct

import numpy as np
import orjson
import pytest

from core import explore, ingest, store
from core.explore.recap import (
    BusiestDay,
    NewArtist,
    Recap,
    Streak,
    TopAlbum,
    TopArtist,
    TopMonth,
    TopTrack,
)
from core.history.frame import DEFAULT_MIN_MS, load_plays

BERLIN = "Europe/Berlin"
SCRIPT = "<script>alert(1)</script>"
BOLD = "<b>Bold</b> & Co"


def uri(name: str) -> str:
    return "spotify:track:" + name.ljust(22, "x")


def row(start: str, ms: int, track: str, artist: str, album: str, track_id: str | None) -> dict:
    """An extended-history row that *starts* at ``start`` (UTC) and lasts ``ms``."""
    began = dt.datetime.fromisoformat(start.replace("Z", "+00:00"))
    end = began + dt.timedelta(milliseconds=ms)
    return {"ts": end.strftime("%Y-%m-%dT%H:%M:%SZ"), "ms_played": ms, "master_metadata_track_name": track,
            "master_metadata_album_artist_name": artist, "master_metadata_album_album_name": album,
            "spotify_track_uri": uri(track_id) if track_id else None}


# Local (Berlin) day in brackets; CET = UTC+1, CEST = UTC+2 from 31 March to 27 October 2024.
HISTORY = [
    row("2021-05-01T10:00:00Z", 200_000, "F1", "Foxtrot", "FA", "f1"),
    row("2023-06-10T10:00:00Z", 180_000, "A1", "Alpha", "AA", "a1"),
    row("2023-08-01T10:00:00Z", 10_000, "C1", "Charlie", "CA", "c1"),  # a skip: Charlie is not "heard" yet
    row("2023-12-29T10:00:00Z", 120_000, "B1", "Beta", "BA", "b1"),  # Beta: 29 Dec 2023 .. 2 Jan 2024 daily
    row("2023-12-30T10:00:00Z", 120_000, "B1", "Beta", "BA", "b1"),
    row("2023-12-31T10:00:00Z", 120_000, "B1", "Beta", "BA", "b1"),
    row("2024-01-01T10:00:00Z", 120_000, "B1", "Beta", "BA", "b1"),
    row("2024-01-02T10:00:00Z", 150_000, "B2", "Beta", "BA", "b2"),
    row("2024-01-31T10:00:00Z", 180_000, "A1", "Alpha", "AA", "a1"),  # 31 Jan .. 2 Feb: a month boundary
    row("2024-02-01T10:00:00Z", 180_000, "A1", "Alpha", "AA", "a1"),
    row("2024-02-02T10:00:00Z", 200_000, "A2", "Alpha", "AA", "a2"),
    row("2024-03-09T22:58:00Z", 240_000, "C1", "Charlie", "CA", "c1"),  # [9 Mar 23:58 -> 10 Mar 00:02]
    row("2024-03-10T12:00:00Z", 30_000, "C2", "Charlie", "CA", "c2"),  # exactly 30 s: a stream
    row("2024-03-30T23:30:00Z", 200_000, "Loose", "Delta", "DA", None),  # [31 Mar 00:30 CET], no track id
    row("2024-03-31T12:00:00Z", 100_000, "Loose", "Delta", "DA", None),  # [31 Mar 14:00 CEST]
    row("2024-06-30T22:30:00Z", 60_000, "H1", "Hotel", "HA", "h1"),  # [1 Jul 00:30 CEST]: July, not June
    row("2024-07-15T10:00:00Z", 200_000, SCRIPT, BOLD, "<i>Album</i>", "g1"),
    row("2024-07-15T11:00:00Z", 200_000, SCRIPT, BOLD, "<i>Album</i>", "g1"),
    row("2024-07-20T10:00:00Z", 5_000, "A1", "Alpha", "AA", "a1"),  # a skip: minutes yes, streams no
    row("2024-09-01T10:00:00Z", 200_000, "F1", "Foxtrot", "FA", "f1"),
    row("2024-10-26T22:30:00Z", 600_000, "E1", "Echo", "EA", "e1"),  # [27 Oct 00:30 CEST], the night clocks go back
    row("2024-10-27T12:00:00Z", 600_000, "E1", "Echo", "EA", "e1"),  # [27 Oct 13:00 CET]
    row("2024-10-27T13:00:00Z", 605_000, "E2", "Echo", "EA", "e2"),
    row("2024-11-05T10:00:00Z", 45_500, "I1", "India", "IA", "i1"),  # 45.5 s: November rounds down to 0 min
    row("2024-12-31T23:30:00Z", 120_000, "B1", "Beta", "BA", "b1"),  # [1 Jan 2025 00:30 CET]: 2025
]


def frame_of(rows: list[dict], tz: str = BERLIN, min_ms: int = DEFAULT_MIN_MS):
    db = store.open_memory_store()
    report = ingest.import_files(db, uploads=[("Streaming_History_Audio_2021-2024_0.json", orjson.dumps(rows))])
    assert not report.errors, [f.message for f in report.errors]
    return explore.apply_filters(load_plays(db, "me"), explore.Filters(tz=tz, min_ms=min_ms))


@pytest.fixture(scope="module")
def history():
    return frame_of(HISTORY)


def test_years_available_follow_the_local_start(history):
    assert explore.years_available(history) == [2021, 2023, 2024, 2025]
    # in UTC the last play starts on 31 December 2024
    assert explore.years_available(frame_of(HISTORY, tz="UTC")) == [2021, 2023, 2024]
    assert explore.years_available(history.iloc[:0]) == []


def test_recap_of_2024(history):
    assert explore.year_recap(history, 2024) == Recap(
        year=2024,
        time_zone=BERLIN,
        plays=18,
        # 450 + 380 + 570 + 465 + 200 + 1805 + 45.5 thousand ms = 3,915,500 ms = 65.26 min
        minutes=65,
        streams=17,  # the 5 s skip of A1 is no stream
        top_artists=(
            TopArtist("Echo", 3, 30),  # 1,805,000 ms
            TopArtist("Alpha", 3, 9),  # 565,000 ms with the 5 s skip
            TopArtist(BOLD, 2, 6),
            TopArtist("Delta", 2, 5),
            TopArtist("Beta", 2, 4),  # 270,000 ms, ties with Charlie: Beta before Charlie
        ),
        top_tracks=(
            TopTrack("E1", "Echo", 2),
            TopTrack(SCRIPT, BOLD, 2),
            TopTrack("A1", "Alpha", 2),  # the skip is not a stream
            TopTrack("Loose", "Delta", 2),  # no id: grouped by artist and title
            TopTrack("E2", "Echo", 1),  # 605,000 ms: first of the single streams
        ),
        top_albums=(
            TopAlbum("EA", "Echo", 3),
            TopAlbum("AA", "Alpha", 3),
            TopAlbum("<i>Album</i>", BOLD, 2),
            TopAlbum("DA", "Delta", 2),
            TopAlbum("BA", "Beta", 2),  # ties with CA on streams and time: by name
        ),
        monthly_minutes=(7, 6, 9, 0, 0, 0, 7, 0, 3, 30, 0, 0),
        top_month=TopMonth(10, "October", 30),
        # first streams in 2024: Charlie (2023 was a skip), Delta, Echo, Bold, Hotel, India
        new_artists=6,
        top_new_artists=(NewArtist("Echo", 3), NewArtist(BOLD, 2), NewArtist("Delta", 2), NewArtist("Charlie", 2),
                         NewArtist("Hotel", 1)),
        # Beta's run from 29 Dec 2023 is clipped to 1-2 Jan (2 days); 9-10 Mar is 2 days
        streak=Streak(3, dt.date(2024, 1, 31), dt.date(2024, 2, 2)),
        # 00:30 CEST + 13:00 CET + 14:00 CET on the day of 25 hours: 1,805,000 ms
        busiest_day=BusiestDay(dt.date(2024, 10, 27), 30),
    )


def test_recap_of_2023_clips_the_streak_at_the_year_end(history):
    assert explore.year_recap(history, 2023) == Recap(
        year=2023, time_zone=BERLIN, plays=5, minutes=9, streams=4,
        top_artists=(TopArtist("Beta", 3, 6), TopArtist("Alpha", 1, 3)),  # Charlie's only play is a skip
        top_tracks=(TopTrack("B1", "Beta", 3), TopTrack("A1", "Alpha", 1)),
        top_albums=(TopAlbum("BA", "Beta", 3), TopAlbum("AA", "Alpha", 1)),
        monthly_minutes=(0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 6),
        top_month=TopMonth(12, "December", 6),
        new_artists=2,
        top_new_artists=(NewArtist("Beta", 3), NewArtist("Alpha", 1)),
        streak=Streak(3, dt.date(2023, 12, 29), dt.date(2023, 12, 31)),
        busiest_day=BusiestDay(dt.date(2023, 6, 10), 3),
    )


def test_recap_of_2025_holds_the_play_that_started_after_local_midnight(history):
    assert explore.year_recap(history, 2025) == Recap(
        year=2025, time_zone=BERLIN, plays=1, minutes=2, streams=1,
        top_artists=(TopArtist("Beta", 1, 2),), top_tracks=(TopTrack("B1", "Beta", 1),),
        top_albums=(TopAlbum("BA", "Beta", 1),), monthly_minutes=(2,) + (0,) * 11,
        top_month=TopMonth(1, "January", 2), new_artists=0, top_new_artists=(),
        streak=Streak(1, dt.date(2025, 1, 1), dt.date(2025, 1, 1)),
        busiest_day=BusiestDay(dt.date(2025, 1, 1), 2),
    )


def test_a_year_without_plays_is_an_empty_recap(history):
    empty = explore.year_recap(history, 2022)
    assert empty == Recap(year=2022, time_zone=BERLIN, plays=0, minutes=0, streams=0, top_artists=(),
                          top_tracks=(), top_albums=(), monthly_minutes=(0,) * 12, top_month=None, new_artists=0,
                          top_new_artists=(), streak=None, busiest_day=None)
    assert empty.is_empty
    assert "No plays in 2022" in explore.recap_html(empty)
    assert explore.recap_png(empty, scale=1).startswith(b"\x89PNG\r\n\x1a\n")


def test_a_year_of_skips_only_has_minutes_but_no_streams_or_lists():
    skips = frame_of([row("2024-05-01T10:00:00Z", 20_000, "S", "Skipper", "SA", "s1"),
                      row("2024-05-02T10:00:00Z", 50_000, "S", "Skipper", "SA", "s1")], min_ms=60_000)
    assert explore.year_recap(skips, 2024) == Recap(
        year=2024, time_zone=BERLIN, plays=2, minutes=1, streams=0, top_artists=(), top_tracks=(), top_albums=(),
        monthly_minutes=(0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0), top_month=TopMonth(5, "May", 1), new_artists=0,
        top_new_artists=(), streak=None, busiest_day=BusiestDay(dt.date(2024, 5, 2), 0))


def test_a_renamed_track_keeps_one_entry_under_its_most_streamed_title():
    frame = frame_of([row("2024-05-01T10:00:00Z", 60_000, "Old name", "Artist", "Album", "t1"),
                      row("2024-05-02T10:00:00Z", 60_000, "New name", "Artist", "Album", "t1"),
                      row("2024-05-03T10:00:00Z", 60_000, "New name", "Artist", "Album", "t1")])
    assert explore.year_recap(frame, 2024).top_tracks == (TopTrack("New name", "Artist", 3),)


@pytest.mark.parametrize(("days", "expected"), [
    ([], None),
    (["2024-01-01"], Streak(1, dt.date(2024, 1, 1), dt.date(2024, 1, 1))),
    # repeats and any order; the earliest of two equal runs wins
    (["2024-03-02", "2024-03-01", "2024-03-01", "2024-05-01", "2024-05-02"],
     Streak(2, dt.date(2024, 3, 1), dt.date(2024, 3, 2))),
    (["2024-02-28", "2024-02-29", "2024-03-01", "2024-03-03"], Streak(3, dt.date(2024, 2, 28), dt.date(2024, 3, 1))),
])
def test_longest_streak(days, expected):
    assert explore.longest_streak(np.array(days, dtype="datetime64[D]")) == expected


def test_recap_tables_are_what_the_page_charts(history):
    tables = explore.recap_tables(explore.year_recap(history, 2023))
    assert tables["artists"].to_dict("list") == {"artist": ["Beta", "Alpha"], "streams": [3, 1], "minutes": [6, 3]}
    assert tables["tracks"].to_dict("list") == {"track": ["B1 — Beta", "A1 — Alpha"], "title": ["B1", "A1"],
                                                "artist": ["Beta", "Alpha"], "streams": [3, 1],
                                                "key": ["beta\tb1", "alpha\ta1"]}
    assert tables["albums"].to_dict("list") == {"album": ["BA — Beta", "AA — Alpha"], "artist": ["Beta", "Alpha"],
                                                "streams": [3, 1]}
    assert tables["new_artists"].to_dict("list") == {"artist": ["Beta", "Alpha"], "streams": [3, 1]}
    assert tables["months"].to_dict("list") == {"month": list(explore.MONTHS),
                                                "minutes": [0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 6]}


def test_month_chart_keeps_calendar_order(history):
    months = explore.recap_tables(explore.year_recap(history, 2024))["months"]
    spec = explore.month_chart(months, "Minutes per month").to_dict()
    assert spec["encoding"]["x"]["sort"] == list(explore.MONTHS)
    (values,) = spec["datasets"].values()
    assert values[9] == {"month": "October", "minutes": 30}


def test_two_tracks_with_the_same_label_keep_apart_in_the_tables():
    same = Recap(2024, "UTC", 2, 2, 2, (), (TopTrack("Song", "Band", 1), TopTrack("Song", "Band", 1)), (),
                 (0,) * 12, None, 0, (), None, None)
    assert explore.recap_tables(same)["tracks"]["track"].tolist() == ["Song — Band", "Song — Band (2)"]


def test_labels():
    assert explore.day_label(dt.date(2024, 10, 27)) == "Sunday 27 October"
    assert explore.streak_label(Streak(3, dt.date(2024, 1, 31), dt.date(2024, 2, 2))) == "3 days (31 Jan – 2 Feb)"
    assert explore.streak_label(Streak(1, dt.date(2024, 1, 31), dt.date(2024, 1, 31))) == "1 day (31 Jan)"
    assert explore.streak_label(None) == "—"
    assert explore.streak_length(Streak(1, dt.date(2024, 1, 31), dt.date(2024, 1, 31))) == "1 day"


def test_html_is_self_contained_and_escapes_every_name(history):
    page = explore.recap_html(explore.year_recap(history, 2024))
    assert page.startswith("<!DOCTYPE html>")
    assert SCRIPT not in page and "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; Co" in page and "&lt;i&gt;Album&lt;/i&gt;" in page
    assert "<b>" not in page and "<i>" not in page
    for external in ("http:", "https:", "src=", "url(", "@import", "<link"):
        assert external not in page
    assert "#1DB954" in page
    for number in ("65", "17", "October", "3 days", "27 Oct", "Echo", "Loose", "BA"):
        assert number in page


def test_png_is_a_png_of_the_whole_card(history):
    card = explore.year_recap(history, 2024)
    png = explore.recap_png(card)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(png) > 20_000
    width, height = struct.unpack(">II", png[16:24])  # IHDR
    assert width == 2 * explore.CARD_WIDTH and height > 2 * 900
    spec = explore.recap_chart(card).to_dict()
    schema = spec.pop("$schema")  # an identifier, never fetched
    assert schema.startswith("https://vega.github.io/schema/vega-lite/")
    assert '"url"' not in json.dumps(spec) and "http" not in json.dumps(spec)  # inline data, local fonts
    texts = [v["text"] for values in spec["datasets"].values() for v in values if "text" in v]
    assert {"65", "17", SCRIPT, BOLD, "<i>Album</i>", "Loose", "October", "3 days", "27 Oct"} <= set(texts)
