"""core.stats on tiny histories run through the real import and explore path, with hand-computed answers."""
import dataclasses
import datetime as dt
import itertools

import numpy as np
import orjson
import pandas as pd
import pytest

from core import explore, history, ingest, store
from core.explore.filters import Filters

H = 3_600_000  # ms per hour
_ids = itertools.count(1)


def row(start: str, ms: int, track: str | None = "Song", artist: str | None = "Artist", album: str | None = "Album",
        track_id: str | None = "auto", **extra) -> dict:
    """An extended-history row for a play that *started* at ``start`` (UTC) and lasted ``ms``."""
    end = dt.datetime.fromisoformat(start).replace(tzinfo=dt.UTC) + dt.timedelta(milliseconds=ms)
    if track_id == "auto":
        track_id = f"{track}{artist}".replace(" ", "").ljust(22, "x")[:22]
    return {"ts": end.strftime("%Y-%m-%dT%H:%M:%SZ"), "ms_played": ms, "master_metadata_track_name": track,
            "master_metadata_album_artist_name": artist, "master_metadata_album_album_name": album,
            "spotify_track_uri": f"spotify:track:{track_id}" if track_id else None, **extra}


def a_history(rows: list[dict]):
    """A store holding these plays for profile "me"."""
    db = store.open_memory_store()
    report = ingest.import_files(db, uploads=[("Streaming_History_Audio_2024_0.json", orjson.dumps(rows))],
                                  profile="me")
    assert not report.errors and report.added == len(rows), [f.message for f in report.files]
    return db


def explore_frame(db, **filters) -> pd.DataFrame:
    return explore.apply_filters(history.load_plays(db, "me"), Filters(**filters))


def months(*values: str) -> np.ndarray:
    return pd.to_datetime(list(values)).to_numpy(dtype="datetime64[us]")


# --- Berlin: DST both ways, a play across midnight, a year without plays, a track without id, a podcast

BERLIN_ROWS = [
    # Sat 2022-12-31 23:50 CET, 20 minutes: crosses midnight into 2023, counts for 2022-12-31
    row("2022-12-31T22:50:00", 1_200_000, "Night Song", "Owls", "Dark"),
    # Sun 2024-03-31 01:30 CET, just before the clocks go forward
    row("2024-03-31T00:30:00", 180_000, "Spring", "Owls", "Dark"),
    # Sun 2024-03-31 03:30 CEST: one UTC hour later, two local hours later. A skip, and no track id
    row("2024-03-31T01:30:00", 10_000, "Untitled", "Larks", "Light", track_id=None),
    # Sun 2024-10-27 02:30 CEST and, an hour later in UTC, 02:30 CET again
    row("2024-10-27T00:30:00", 240_000, "Untitled", "Larks", "Light", track_id=None),
    row("2024-10-27T01:30:00", 60_000, "Spring", "Owls", "Dark"),
    # Mon 2024-10-28 08:00 CET: a podcast
    row("2024-10-28T07:00:00", 1_800_000, None, None, None, track_id=None, episode_name="Ep 1",
        episode_show_name="Talk", spotify_episode_uri="spotify:episode:1234567890123456789012"),
    # Mon 2024-10-28 19:00 CET: an album name Owls also has, by another artist
    row("2024-10-28T18:00:00", 200_000, "Hit", "Larks", "Dark"),
]
BERLIN = {"tz": "Europe/Berlin", "content": ("music", "podcast")}


@pytest.fixture(scope="module")
def berlin():
    return a_history(BERLIN_ROWS)


def test_totals_count_streams_plays_time_and_distinct_music(berlin):
    assert explore.totals(explore_frame(berlin, **BERLIN)) == {
        "streams": 6,  # all but the 10 s skip
        "plays": 7,
        "hours": 1.0,  # 3,690,000 ms = 1.025 h: every play, the skip and the podcast included
        "tracks": 4,  # Night Song, Spring, Untitled (no id: keyed by name), Hit — not the podcast
        "artists": 2,
        "albums": 3,  # Dark by Owls, Light by Larks, Dark by Larks
        "days_listened": 4,  # 2022-12-31, 2024-03-31, 2024-10-27, 2024-10-28 (local)
    }


def test_totals_with_every_play_a_stream(berlin):
    assert explore.totals(explore_frame(berlin, min_ms=0, **BERLIN))["streams"] == 7


def test_listening_time_per_year_shows_the_empty_year_as_zero(berlin):
    expected = pd.DataFrame({
        "period_start": months("2022-01-01", "2023-01-01", "2024-01-01"),
        "hours": [1_200_000 / H, 0.0, 2_490_000 / H],
        "streams": np.array([1, 0, 5], dtype="int64"),
    })
    pd.testing.assert_frame_equal(explore.listening_time(explore_frame(berlin, **BERLIN), "year"), expected)


def test_a_play_across_midnight_counts_for_the_day_it_started(berlin):
    frame = explore_frame(berlin, start=dt.date(2022, 12, 31), end=dt.date(2023, 1, 1), **BERLIN)
    expected = pd.DataFrame({"period_start": months("2022-12-31"), "hours": [1_200_000 / H],
                             "streams": np.array([1], dtype="int64")})
    pd.testing.assert_frame_equal(explore.listening_time(frame, "day"), expected)


def test_listening_time_per_day_and_week_across_the_autumn_dst_change(berlin):
    frame = explore_frame(berlin, start=dt.date(2024, 10, 27), **BERLIN)
    days = pd.DataFrame({"period_start": months("2024-10-27", "2024-10-28"),
                         "hours": [300_000 / H, 2_000_000 / H], "streams": np.array([2, 2], dtype="int64")})
    pd.testing.assert_frame_equal(explore.listening_time(frame, "day"), days)
    # Sunday 27th belongs to the week of Monday 21st; Monday 28th starts the next week
    weeks = days.assign(period_start=months("2024-10-21", "2024-10-28"))
    pd.testing.assert_frame_equal(explore.listening_time(frame, "week"), weeks)


def test_listening_time_per_month_fills_the_months_between(berlin):
    frame = explore_frame(berlin, start=dt.date(2024, 1, 1), tz="Europe/Berlin")  # music only
    expected = pd.DataFrame({
        "period_start": pd.date_range("2024-03-01", "2024-10-01", freq="MS", unit="us").to_numpy(),
        "hours": [190_000 / H] + [0.0] * 6 + [500_000 / H],
        "streams": np.array([1, 0, 0, 0, 0, 0, 0, 3], dtype="int64"),
    })
    pd.testing.assert_frame_equal(explore.listening_time(frame, "month"), expected)


@pytest.mark.parametrize("period", ["day", "week", "month", "year"])
def test_listening_time_loses_nothing(berlin, period):
    result = explore.listening_time(explore_frame(berlin, **BERLIN), period)
    assert result["hours"].sum() == pytest.approx(3_690_000 / H)
    assert result["streams"].sum() == 6
    assert result["period_start"].is_monotonic_increasing and result["period_start"].is_unique


def test_clock_heatmap_places_plays_at_their_local_start_hour_across_dst(berlin):
    frame = explore_frame(berlin, tz="Europe/Berlin")  # music only
    hours = np.zeros((7, 24))
    streams = np.zeros((7, 24), dtype="int64")
    for weekday, hour, ms, is_stream in [
        (5, 23, 1_200_000, 1),  # Sat 23:50, across midnight: all of it at Saturday 23h
        (6, 1, 180_000, 1),  # Sun 31 March 01:30 CET
        (6, 3, 10_000, 0),  # Sun 31 March 03:30 CEST: no play can start at 02h that day
        (6, 2, 240_000 + 60_000, 2),  # Sun 27 October: 02:30 CEST and 02:30 CET share the repeated hour
        (0, 19, 200_000, 1),
    ]:
        hours[weekday, hour] += ms / H
        streams[weekday, hour] += is_stream
    cells = {"weekday": pd.Series(np.repeat(explore.WEEKDAYS, 24), dtype="str"), "hour": np.tile(np.arange(24), 7)}
    pd.testing.assert_frame_equal(explore.clock_heatmap(frame, "hours"),
                                  pd.DataFrame({**cells, "hours": hours.ravel()}))
    pd.testing.assert_frame_equal(explore.clock_heatmap(frame, "streams"),
                                  pd.DataFrame({**cells, "streams": streams.ravel()}))


def test_the_same_plays_in_utc_fall_in_other_cells(berlin):
    grid = explore.clock_heatmap(explore_frame(berlin, tz="UTC"), "streams")
    filled = grid[grid["streams"] > 0]
    assert list(zip(filled["weekday"], filled["hour"], filled["streams"])) == [
        ("Mon", 18, 1), ("Sat", 22, 1), ("Sun", 0, 2), ("Sun", 1, 1)]


# --- Top lists and rank movement (UTC) ---------------------------------------------------

def _plays(day: str, hour: int, count: int, ms: int, track: str, artist: str, album: str,
           track_id="auto") -> list[dict]:
    return [row(f"{day}T{hour:02d}:{minute:02d}:00", ms, track, artist, album, track_id) for minute in range(count)]


TOP_ROWS = (
    # February (the range): Alpha 3 x 200 s; Beta 3 x 100 s (a track without id); Delta and Gamma
    # 2 streams and 620 s each (Gamma's includes a 20 s skip); Omega only a skip
    _plays("2024-02-05", 10, 3, 200_000, "A1", "Alpha", "Hits")
    + _plays("2024-02-06", 10, 3, 100_000, "B1", "Beta", "Same", track_id=None)
    + _plays("2024-02-07", 10, 2, 310_000, "D1", "Delta", "Same")
    + _plays("2024-02-08", 10, 2, 300_000, "G1", "Gamma", "Greens")
    + _plays("2024-02-08", 11, 1, 20_000, "G1", "Gamma", "Greens")
    + _plays("2024-02-09", 10, 1, 10_000, "O1", "Omega", "Hits", track_id=None)
    # January, the 29 days before: Alpha 5 streams, Gamma 4, Zeta 3, Beta 1; Delta none
    + _plays("2024-01-10", 10, 5, 200_000, "A1", "Alpha", "Hits")
    + _plays("2024-01-11", 10, 4, 200_000, "G1", "Gamma", "Greens")
    + _plays("2024-01-12", 10, 3, 200_000, "Z1", "Zeta", "Zz")
    + _plays("2024-01-13", 10, 1, 200_000, "B1", "Beta", "Same", track_id=None)
)
FEBRUARY = Filters(start=dt.date(2024, 2, 1), end=dt.date(2024, 2, 29))


@pytest.fixture(scope="module")
def top_db():
    return a_history(TOP_ROWS)


def _frame(db, filters: Filters) -> pd.DataFrame:
    return explore.apply_filters(history.load_plays(db, "me"), filters)


def _top(rank, name, streams, ms, previous_rank=None, movement=None, artist=None):
    return {"rank": rank, "name": name, **({"artist": artist} if artist else {}), "streams": streams,
            "hours": ms / H, "previous_rank": previous_rank, "movement": movement}


def _expected(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    return frame.astype({"rank": "int64", "streams": "int64", "previous_rank": "Int64", "movement": "str",
                         "name": "str", **({"artist": "str"} if "artist" in frame else {})})


def test_previous_period_is_the_same_length_right_before():
    assert explore.previous_period(Filters(start=dt.date(2024, 3, 1), end=dt.date(2024, 3, 31))) == (
        dt.date(2024, 1, 30), dt.date(2024, 2, 29))
    assert explore.previous_period(FEBRUARY) == (dt.date(2024, 1, 3), dt.date(2024, 1, 31))
    assert explore.previous_period(Filters(start=dt.date(2024, 3, 1), end=dt.date(2024, 3, 1))) == (
        dt.date(2024, 2, 29), dt.date(2024, 2, 29))
    assert explore.previous_period(Filters()) is None


def test_top_artists_by_streams_with_movement_including_new(top_db):
    start, end = explore.previous_period(FEBRUARY)
    previous = _frame(top_db, Filters(start=start, end=end))
    result = explore.top_items(_frame(top_db, FEBRUARY), "artist", "streams", n=10, previous=previous)
    pd.testing.assert_frame_equal(result, _expected([
        _top(1, "Alpha", 3, 600_000, 1, "="),
        _top(2, "Beta", 3, 300_000, 4, "+2"),  # ties Alpha on streams, less time
        _top(3, "Delta", 2, 620_000, None, "new"),  # ties Gamma on streams and time: by name
        _top(4, "Gamma", 2, 620_000, 2, "-2"),
        # Omega has no stream: not ranked by streams
    ]))


def test_top_artists_by_time_and_only_n_of_them(top_db):
    result = explore.top_items(_frame(top_db, FEBRUARY), "artist", "time", n=3)
    pd.testing.assert_frame_equal(result, _expected([
        _top(1, "Delta", 2, 620_000), _top(2, "Gamma", 2, 620_000), _top(3, "Alpha", 3, 600_000)]))
    everything = explore.top_items(_frame(top_db, FEBRUARY), "artist", "time", n=None)
    assert everything[["rank", "name"]].values.tolist() == [
        [1, "Delta"], [2, "Gamma"], [3, "Alpha"], [4, "Beta"], [5, "Omega"]]


def test_top_tracks_rank_a_track_without_id_by_title_and_artist(top_db):
    previous = _frame(top_db, Filters(start=dt.date(2024, 1, 3), end=dt.date(2024, 1, 31)))
    result = explore.top_items(_frame(top_db, FEBRUARY), "track", "streams", previous=previous)
    pd.testing.assert_frame_equal(result, _expected([
        _top(1, "A1 — Alpha", 3, 600_000, 1, "=", artist="Alpha"),
        _top(2, "B1 — Beta", 3, 300_000, 4, "+2", artist="Beta"),  # no id: key "Beta — B1", in both months
        _top(3, "D1 — Delta", 2, 620_000, None, "new", artist="Delta"),
        _top(4, "G1 — Gamma", 2, 620_000, 2, "-2", artist="Gamma"),
    ]))


def test_top_albums_keep_same_named_albums_of_different_artists_apart(top_db):
    result = explore.top_items(_frame(top_db, FEBRUARY), "album", "streams")
    pd.testing.assert_frame_equal(result, _expected([
        _top(1, "Hits", 3, 600_000, artist="Alpha"),  # Omega's "Hits" is another album, and has no stream
        _top(2, "Same", 3, 300_000, artist="Beta"),
        _top(3, "Greens", 2, 620_000, artist="Gamma"),  # ties Delta's "Same": by name
        _top(4, "Same", 2, 620_000, artist="Delta"),
    ]))


def test_everything_is_new_against_an_empty_previous_period(top_db):
    empty = _frame(top_db, Filters(start=dt.date(2020, 1, 1), end=dt.date(2020, 1, 31)))
    result = explore.top_items(_frame(top_db, FEBRUARY), "artist", previous=empty)
    assert result["movement"].tolist() == ["new"] * 4 and result["previous_rank"].isna().all()


def test_ranked_items_give_keys_for_pickers(top_db):
    result = explore.ranked_items(_frame(top_db, FEBRUARY), "track")
    # a song's key is its folded artist and title, whatever its ids (or none)
    assert result[["rank", "key", "name"]].values.tolist() == [
        [1, "alpha\ta1", "A1 — Alpha"], [2, "beta\tb1", "B1 — Beta"],
        [3, "delta\td1", "D1 — Delta"], [4, "gamma\tg1", "G1 — Gamma"]]


@pytest.mark.parametrize("movement, arrow", [("+3", "↑3"), ("-2", "↓2"), ("=", "="), ("new", "new"), (None, "–")])
def test_movement_arrow(movement, arrow):
    assert explore.movement_arrow(movement) == arrow


# --- Clock: top artists per hour, weekday vs weekend (UTC) ---------------------------------

CLOCK_ROWS = (
    # Fri 1 March 2024 to Mon 4 March: two weekdays, two weekend days
    _plays("2024-03-01", 8, 1, 3_600_000, "Early", "Alpha", "A")
    + _plays("2024-03-04", 8, 2, 1_800_000, "Early", "Beta", "B")  # ties Alpha's hour at 8, with more streams
    + _plays("2024-03-04", 20, 1, 1_800_000, "Late", "Gamma", "G")
    + _plays("2024-03-02", 10, 1, 7_200_000, "Brunch", "Alpha", "A")
    + _plays("2024-03-04", 20, 1, 10_000, "Skip", "Delta", "D")
)


@pytest.fixture(scope="module")
def clock_frame():
    return explore_frame(a_history(CLOCK_ROWS))


def test_top_artist_by_hour(clock_frame):
    def expected(rows):
        return pd.DataFrame(rows, columns=["hour", "rank", "artist", "hours"]).astype({"artist": "str"})
    pd.testing.assert_frame_equal(explore.top_artist_by_hour(clock_frame, 1), expected([
        (8, 1, "Beta", 1.0), (10, 1, "Alpha", 2.0), (20, 1, "Gamma", 0.5)]))
    pd.testing.assert_frame_equal(explore.top_artist_by_hour(clock_frame, 3), expected([
        (8, 1, "Beta", 1.0), (8, 2, "Alpha", 1.0), (10, 1, "Alpha", 2.0), (20, 1, "Gamma", 0.5),
        (20, 2, "Delta", 10_000 / H)]))


def test_weekday_vs_weekend_averages_over_every_day_of_the_range(clock_frame):
    weekday = np.zeros(24)
    weekday[8], weekday[20] = 2.0 / 2, (0.5 + 10_000 / H) / 2  # Fri and Mon
    weekend = np.zeros(24)
    weekend[10] = 2.0 / 2  # Sat listened, Sun not: still a weekend day
    expected = pd.DataFrame({
        "day_type": pd.Series(["weekday"] * 24 + ["weekend"] * 24, dtype="str"),
        "hour": np.tile(np.arange(24), 2),
        "hours_per_day": np.concatenate([weekday, weekend]),
        "share": np.concatenate([weekday / weekday.sum(), weekend / weekend.sum()]),
    })
    pd.testing.assert_frame_equal(explore.weekday_vs_weekend(clock_frame), expected)


def test_weekday_vs_weekend_leaves_out_a_day_type_with_no_day_in_range(clock_frame):
    monday = clock_frame[clock_frame["local"].dt.date == dt.date(2024, 3, 4)]
    result = explore.weekday_vs_weekend(monday)
    assert result["day_type"].unique().tolist() == ["weekday"]
    assert result["hours_per_day"].sum() == pytest.approx(1.5 + 10_000 / H)


# --- Artist & track ------------------------------------------------------------------------

DETAIL_ROWS = [
    row("2024-01-15T10:00:00", 200_000, "Spring", "Owls", "Dark"),
    row("2024-03-10T10:00:00", 200_000, "Spring", "Owls", "Dark"),
    row("2024-03-20T10:00:00", 5_000, "Spring", "Owls", "Dark"),  # a skip: counts for time, not as a listen
    row("2024-03-05T10:00:00", 100_000, "Night", "Owls", "Dark"),
    row("2024-01-10T10:00:00", 100_000, "Untitled", "Larks", "Light", track_id=None),
    row("2024-01-11T10:00:00", 100_000, "Untitled", "Larks", "Light", track_id=None),
    row("2024-03-01T10:00:00", 100_000, "Untitled", "Larks", "Light", track_id=None),
    row("2024-02-01T10:00:00", 300_000, "F", "Finch", "Fly"),
]


@pytest.fixture(scope="module")
def detail_frame():
    return explore_frame(a_history(DETAIL_ROWS))


def _per_month(streams: list[int], ms: list[int]) -> pd.DataFrame:
    return pd.DataFrame({"month": months("2024-01-01", "2024-02-01", "2024-03-01"),
                         "streams": np.array(streams, dtype="int64"), "hours": np.array(ms) / H})


def _ranks(pairs: list[tuple[str, int]]) -> pd.DataFrame:
    return pd.DataFrame({"month": months(*[m for m, _ in pairs]),
                         "rank": np.array([r for _, r in pairs], dtype="int64")})


def _assert_detail(result: dict, expected: dict) -> None:
    assert result.keys() == expected.keys()
    for name, value in expected.items():
        if isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(result[name], value, obj=name)
        else:
            assert result[name] == value, name


def test_artist_detail(detail_frame):
    _assert_detail(explore.artist_detail(detail_frame, "Owls"), {
        "name": "Owls",
        "first_listen": pd.Timestamp("2024-01-15 10:00", tz="UTC"),
        "last_listen": pd.Timestamp("2024-03-10 10:00", tz="UTC"),  # the later skip is not a listen
        "streams": 3,
        "hours": 505_000 / H,
        "plays_over_time": _per_month([1, 0, 2], [200_000, 0, 305_000]),
        # January: Larks 2 streams, Owls 1. February: Finch only. March: Owls 2, Larks 1
        "rank_over_time": _ranks([("2024-01-01", 2), ("2024-03-01", 1)]),
        "top_tracks": _expected([_top(1, "Spring — Owls", 2, 405_000, artist="Owls"),
                                 _top(2, "Night — Owls", 1, 100_000, artist="Owls")]
                                ).drop(columns=["previous_rank", "movement"]).pipe(
            lambda t: t.insert(1, "key", ["owls\tspring", "owls\tnight"]) or t),  # the song keys, for links
        "top_albums": _expected([_top(1, "Dark", 3, 505_000, artist="Owls")]
                                ).drop(columns=["previous_rank", "movement"]),
    })


def test_track_detail_of_a_track_without_id(detail_frame):
    detail = explore.track_detail(detail_frame, "larks\tuntitled")  # the song key: its artist and title, folded
    assert detail.pop("versions")[["track_key", "track_id", "title", "album", "streams"]].to_dict("records") == [
        {"track_key": "Larks — Untitled", "track_id": None, "title": "Untitled", "album": "Light", "streams": 3}]
    _assert_detail(detail, {
        "name": "Untitled — Larks",
        "title": "Untitled",
        "artist": "Larks",
        "album": "Light",
        "first_listen": pd.Timestamp("2024-01-10 10:00", tz="UTC"),
        "last_listen": pd.Timestamp("2024-03-01 10:00", tz="UTC"),
        "streams": 3,
        "hours": 300_000 / H,
        "plays_over_time": _per_month([2, 0, 1], [200_000, 0, 100_000]),
        # March: Spring 1 stream (205 s), then Night and Untitled 1 stream and 100 s each: by name
        "rank_over_time": _ranks([("2024-01-01", 1), ("2024-03-01", 3)]),
    })


# --- Empty selections ------------------------------------------------------------------------

def test_aggregates_of_an_empty_selection(detail_frame):
    empty = detail_frame.iloc[:0]
    assert explore.totals(empty) == {"streams": 0, "plays": 0, "hours": 0.0, "tracks": 0, "artists": 0, "albums": 0,
                                   "days_listened": 0}
    assert explore.listening_time(empty, "month").empty
    assert explore.top_items(empty, "track").columns.tolist() == [
        "rank", "name", "artist", "streams", "hours", "previous_rank", "movement"]
    assert explore.top_items(empty, "artist").empty
    assert explore.clock_heatmap(empty)["hours"].tolist() == [0.0] * 168
    assert explore.top_artist_by_hour(empty, 2).empty
    assert explore.weekday_vs_weekend(empty).columns.tolist() == ["day_type", "hour", "hours_per_day", "share"]
    assert explore.artist_detail(empty, "Owls")["first_listen"] is None


@pytest.mark.parametrize("call", [
    lambda f: explore.listening_time(f, "fortnight"),
    lambda f: explore.top_items(f, "genre"),
    lambda f: explore.top_items(f, "artist", "skips"),
    lambda f: explore.clock_heatmap(f, "plays"),
    lambda f: explore.top_artist_by_hour(f, 4),
])
def test_bad_arguments_are_refused(detail_frame, call):
    with pytest.raises(ValueError):
        call(detail_frame)


# --- Aggregates kept per content type and added up (the Overview and Listening clock pages) ----


def _added_up(plays: pd.DataFrame, filters: Filters, previous: Filters | None = None) -> None:
    """Every aggregate that adds up over content types gives, from one part per content type,
    what it gives on the plays of them all."""
    def frames(chosen: Filters) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
        parts = [explore.apply_filters(plays, dataclasses.replace(chosen, content=(kind,)))
                 for kind in history.CONTENT_TYPES if kind in chosen.content]
        return explore.apply_filters(plays, chosen), parts

    whole, parts = frames(filters)
    assert explore.counts_of([explore.counts_part(p) for p in parts]) == explore.counts(whole)
    assert explore.days_listened_of([explore.days_part(p) for p in parts]) == explore.days_listened(whole)
    for period in explore.PERIODS:
        pd.testing.assert_frame_equal(explore.listening_time_of([explore.period_sums(p, period) for p in parts],
                                                                period), explore.listening_time(whole, period))
    before, before_parts = frames(previous) if previous else (None, None)
    for by in ("artist", "track", "album"):
        for rank_by in ("streams", "time"):
            pd.testing.assert_frame_equal(
                explore.top_of([explore.item_part(p, by) for p in parts], by, rank_by, None,
                               before_parts and [explore.item_part(p, by) for p in before_parts], keys=True),
                explore.top_items(whole, by, rank_by, None, before, keys=True))
    for value in ("hours", "streams"):
        pd.testing.assert_frame_equal(explore.clock_heatmap_of([explore.clock_part(p, value) for p in parts], value),
                                      explore.clock_heatmap(whole, value))
    pd.testing.assert_frame_equal(explore.top_artist_by_hour_of([explore.hour_artist_part(p) for p in parts], 3),
                                  explore.top_artist_by_hour(whole, 3))
    pd.testing.assert_frame_equal(explore.weekday_vs_weekend_of([explore.week_part(p) for p in parts]),
                                  explore.weekday_vs_weekend(whole))
    for by, detail, detail_of in (("artist", explore.artist_detail, explore.artist_detail_of),
                                  ("track", explore.track_detail, explore.track_detail_of)):
        detail_parts = [explore.detail_part(p, by) for p in parts]
        ranked = explore.ranked_items(whole, by)
        for key in [*ranked["key"].head(3), *ranked["key"].tail(2)]:
            got, expected = detail_of(detail_parts, key), detail(whole, key)
            assert got.keys() == expected.keys()
            for name, value in expected.items():
                if isinstance(value, pd.DataFrame):
                    pd.testing.assert_frame_equal(got[name], value, obj=f"{by} {key}: {name}")
                else:
                    assert got[name] == value, (by, key, name)
    _discoveries_added_up(plays, filters)
    _habits_added_up(plays, filters)
    if filters.start is None and filters.end is None:  # the year in review takes the whole history
        years = explore.years_available(whole)
        assert explore.years_available_of([explore.years_available(p) for p in parts]) == years
        for year in [*years, years[0] - 1]:
            recap = explore.year_recap(whole, year)
            assert explore.year_recap_of([explore.recap_part(p, year) for p in parts]) == recap
            assert [t.key for t in explore.year_recap_of([explore.recap_part(p, year) for p in parts]).top_tracks] \
                == [t.key for t in recap.top_tracks]


def _discoveries_added_up(plays: pd.DataFrame, filters: Filters) -> None:
    """First listens and forgotten favourites kept per content type give what they give on
    the plays of them all: parts coded each on its own, and parts of one history coded once
    (``FirstListens.of_history``, as the Discovery page keeps them)."""
    def every_play(content: tuple[str, ...]) -> pd.DataFrame:  # localised, whatever the dates
        return explore.localise(explore.select_content(plays, content), filters.tz)

    kinds = [kind for kind in history.CONTENT_TYPES if kind in filters.content]
    plays_all, frame = every_play(filters.content), explore.apply_filters(plays, filters)
    in_history = explore.FirstListens.of_history(plays)
    now = pd.Timestamp(filters.end, tz=filters.tz) if filters.end else None
    for of_history in (False, True):
        parts, favourites = [], {"track": [], "artist": []}
        for kind in kinds:
            its_plays = every_play((kind,))
            its_frame = explore.apply_filters(plays, dataclasses.replace(filters, content=(kind,)))
            listens = in_history.of_content(its_plays) if of_history else explore.FirstListens(its_plays)
            parts.append(explore.discovery_part(its_plays, its_frame, listens=listens))
            for level in favourites:
                favourites[level].append(history.favourite_part(its_plays, level,
                                                                coded=listens.level(level)[:2] if of_history else None))
        pd.testing.assert_frame_equal(explore.new_per_month_of(parts, filters.min_ms),
                                      explore.new_per_month(plays_all, frame, filters.min_ms))
        pd.testing.assert_frame_equal(explore.first_listen_timeline_of(parts, filters.min_ms),
                                      explore.first_listen_timeline(plays_all, frame, filters.min_ms))
        for level, level_parts in favourites.items():
            for min_streams, quiet_days, limit in ((3, 30, 500), (3, 30, 4), (10, 365, 500)):
                pd.testing.assert_frame_equal(
                    history.forgotten_of(level_parts, now=now, min_streams=min_streams, quiet_days=quiet_days,
                                         min_ms=filters.min_ms, limit=limit),
                    history.forgotten_favourites(plays_all, now=now, level=level, min_streams=min_streams,
                                                 quiet_days=quiet_days, min_ms=filters.min_ms, limit=limit))
            # a limit keeps the head of the whole list (only the rows that can make it are named)
            everything = history.forgotten_of(level_parts, now=now, min_streams=3, quiet_days=30,
                                              min_ms=filters.min_ms, limit=10_000)
            pd.testing.assert_frame_equal(history.forgotten_of(level_parts, now=now, min_streams=3, quiet_days=30,
                                                               min_ms=filters.min_ms, limit=4), everything.head(4))


def _day_counts_equal(counts: explore.DayCounts, expected: explore.DayCounts) -> None:
    """Every Habits aggregate of ``counts`` is the one of ``expected``."""
    for aggregate in (explore.skip_summary, explore.skip_rules_by_year, explore.platforms, explore.countries,
                      explore.offline_incognito, explore.reasons, lambda c: explore.reasons(c, "end"),
                      explore.skip_rate_over_time, explore.shuffle_share):
        got, want = aggregate(counts), aggregate(expected)
        if isinstance(want, pd.DataFrame):
            pd.testing.assert_frame_equal(got, want)
        else:
            assert got == want
    for column in ("reason_start", "platform_family", "conn_country", "shuffle"):
        assert explore.coverage(counts, column) == explore.coverage(expected, column)


def _habits_added_up(plays: pd.DataFrame, filters: Filters) -> None:
    """Habits' day counts and sessions kept per content type give what they give on the
    plays of them all: the counts added up, the sessions split again on the merged timeline."""
    kinds = [kind for kind in history.CONTENT_TYPES if kind in filters.content]
    whole = explore.apply_filters(plays, filters)
    parts = [explore.apply_filters(plays, dataclasses.replace(filters, content=(kind,))) for kind in kinds]
    counted = {column: object for column in ("reason_start", "reason_end", "platform_family", "conn_country")}
    # columns of one history share their values (categories); text columns number theirs apart
    for counts, expected in ((explore.day_counts_of([explore.day_counts(p) for p in parts]), explore.day_counts(whole)),
                             (explore.day_counts_of([explore.day_counts(p.astype(counted)) for p in parts]),
                              explore.day_counts(whole.astype(counted)))):
        _day_counts_equal(counts, expected)
    # the page's plays name their artists once (``history.with_item_columns``): each content
    # type's sessions can then tell whether another type shares a name, and when none does, a
    # session of both is named from theirs
    named = history.with_item_columns(plays)
    for rows in (plays, named):
        parts = [explore.apply_filters(rows, dataclasses.replace(filters, content=(kind,))) for kind in kinds]
        for gap in (5, 30, 240):
            # every play of each content type, whatever the dates (as the page splits them)
            split = explore.split_of([explore.split_rows(explore.select_content(rows, (kind,)), gap) for kind in kinds])
            table = explore.sessions(explore.apply_filters(rows, filters), gap)
            pd.testing.assert_frame_equal(explore.sessions_of(split, parts, gap), table)
            np.testing.assert_array_equal(explore.session_streams_of(split, parts, gap), table["streams"].to_numpy())
            pd.testing.assert_frame_equal(explore.sessions_of(None, parts, gap), table)  # nothing to reuse
            # where the plays sit, made once from the same plays under another stream rule (the page's way)
            made = explore.session_rows(split, [explore.apply_filters(rows, dataclasses.replace(
                filters, content=(kind,), min_ms=0)) for kind in kinds], gap)
            pd.testing.assert_frame_equal(explore.sessions_of(split, parts, gap, rows=made), table)
            np.testing.assert_array_equal(explore.session_streams_of(split, parts, gap, rows=made),
                                          table["streams"].to_numpy())


def test_a_session_of_music_and_videos_adds_up_an_artist_heard_in_both():
    # one session: Owls' song (3 min), Larks' song (4 min), then Owls' video (2 min). Larks has
    # the most time in the music alone; Owls has more once its video counts (5 min); the
    # podcast in between counts as a play of that session
    music = [row("2024-05-01T08:00:00", 180_000, "Song", "Owls"), row("2024-05-01T08:03:00", 240_000, "Hum", "Larks"),
             row("2024-05-01T08:30:00", 60_000, None, None, None, track_id=None, episode_name="Ep 1",
                 episode_show_name="Talk", spotify_episode_uri="spotify:episode:1234567890123456789012"),
             row("2024-05-01T08:31:00", 30_000, "Hum", "Larks"),
             row("2024-05-02T08:00:00", 120_000, "Zzz", "Zed"),  # a tie the next day: the first name wins
             row("2024-05-02T08:02:00", 120_000, None, None, None, track_id=None, episode_name="Ep 2",
                 episode_show_name="Chat", spotify_episode_uri="spotify:episode:2234567890123456789012")]
    videos = [row("2024-05-01T08:07:00", 120_000, "Song", "Owls")]
    db = store.open_memory_store()
    report = ingest.import_files(db, profile="me", uploads=[("Streaming_History_Audio_2024_0.json", orjson.dumps(music)),
                                                            ("Streaming_History_Video_2024.json", orjson.dumps(videos))])
    assert not report.errors
    plays = history.with_item_columns(history.load_plays(db, "me"))
    chosen = Filters(content=("music", "video", "podcast"), tz="UTC", min_ms=0)
    kinds = ("music", "podcast", "video")
    parts = [explore.apply_filters(plays, dataclasses.replace(chosen, content=(kind,))) for kind in kinds]
    split = explore.split_of([explore.split_rows(explore.select_content(plays, (kind,)), 30) for kind in kinds])
    table = explore.sessions_of(split, parts, 30)
    assert table[["plays", "top_artist"]].to_dict("records") == [{"plays": 5, "top_artist": "Owls"},
                                                                 {"plays": 2, "top_artist": "Chat"}]
    music_alone = explore.sessions_of(split.parts[0], parts[:1], 30)
    assert music_alone[["plays", "top_artist"]].to_dict("records") == [{"plays": 3, "top_artist": "Larks"},
                                                                       {"plays": 1, "top_artist": "Zed"}]
    pd.testing.assert_frame_equal(table, explore.sessions(explore.apply_filters(plays, chosen), 30))


def test_an_artist_with_music_and_its_videos_adds_up_across_the_two():
    db = store.open_memory_store()
    music = [row("2024-05-01T08:00:00", 200_000, "Song", "Owls"), row("2024-05-02T08:00:00", 200_000, "Hum", "Larks"),
             row("2024-05-03T08:00:00", 200_000, "Hum", "Larks"),
             row("2024-05-04T09:00:00", 1_800_000, None, None, None, track_id=None, episode_name="Ep 1",
                 episode_show_name="Talk", spotify_episode_uri="spotify:episode:1234567890123456789012")]
    videos = [row("2024-05-05T08:00:00", 200_000, "Song", "Owls"), row("2024-05-06T08:00:00", 200_000, "Song", "Owls"),
              row("2024-05-07T08:00:00", 100_000, "Caw", "Crows")]  # an artist with videos alone
    report = ingest.import_files(db, profile="me", uploads=[("Streaming_History_Audio_2024_0.json", orjson.dumps(music)),
                                                            ("Streaming_History_Video_2024.json", orjson.dumps(videos))])
    assert not report.errors
    plays = history.load_plays(db, "me")
    assert plays["content_type"].value_counts().to_dict() == {"music": 3, "video": 3, "podcast": 1}
    chosen = Filters(content=("music", "video", "podcast"), tz="UTC")
    parts = [explore.apply_filters(plays, dataclasses.replace(chosen, content=(kind,)))
             for kind in ("music", "podcast", "video")]
    top = explore.top_of([explore.item_part(p, "artist") for p in parts], "artist", "streams", 2)
    assert top[["name", "streams"]].values.tolist() == [["Owls", 3], ["Larks", 2]]  # Owls: one song, two videos
    recap = explore.year_recap_of([explore.recap_part(p, 2024) for p in parts])
    assert (recap.new_artists, recap.plays, recap.streams) == (3, 7, 7)  # Owls, Larks, Crows; the podcast streams too
    _added_up(plays, chosen)
    _added_up(plays, dataclasses.replace(chosen, start=dt.date(2024, 5, 3), end=dt.date(2024, 5, 6)),
              previous=dataclasses.replace(chosen, start=dt.date(2024, 4, 29), end=dt.date(2024, 5, 2)))


@pytest.mark.parametrize("content", [("music", "podcast"), ("music", "audiobook", "podcast"), ("podcast",),
                                     ("podcast", "audiobook")])
def test_the_demo_listeners_aggregates_add_up_per_content_type(demo_db, content):
    plays = history.load_plays(store.open_store(demo_db), "demo")
    first, last = plays["start"].min().date(), plays["start"].max().date()
    middle = first + (last - first) / 2
    for tz in ("Europe/Berlin", "Pacific/Kiritimati"):
        _added_up(plays, Filters(content=content, tz=tz, min_ms=45_000))
        _added_up(plays, Filters(content=content, tz=tz, start=middle, end=last),
                  previous=Filters(content=content, tz=tz, start=middle - (last - middle) - dt.timedelta(days=1),
                                   end=middle - dt.timedelta(days=1)))


@pytest.mark.parametrize("names", [5, 400])  # few names: a table of every album and artist; many: the other way
@pytest.mark.parametrize("as_text", [False, True])
def test_distinct_music_counts_equal_a_plain_count(names, as_text):
    # tracks, artists and albums are counted on the categoricals' codes; an album name is
    # shared by several artists, names are missing, and only music streams count
    rng = np.random.default_rng(names)
    n = 3_000

    def names_of(prefix: str, k: int) -> pd.Categorical:
        values = np.array([f"{prefix}{i}" for i in rng.integers(0, k, n)], dtype=object)
        values[rng.random(n) < 0.05] = None
        return pd.Categorical(values)

    frame = pd.DataFrame({"is_stream": rng.random(n) < 0.7, "ms_played": rng.integers(0, 300_000, n),
                          "content_type": pd.Categorical(rng.choice(["music", "podcast"], n, p=[0.9, 0.1])),
                          "track_name": names_of("t", names), "song_key": names_of("s", names),
                          "artist_name": names_of("a", names), "album_name": names_of("b", names // 5 + 1)})
    if as_text:
        frame = frame.astype({column: object for column in ("song_key", "artist_name", "album_name")})
    music = frame[frame["is_stream"] & (frame["content_type"] == "music")]
    assert explore.counts_part(frame) == {
        "streams": int(frame["is_stream"].sum()), "plays": n, "ms": int(frame["ms_played"].sum()),
        "tracks": music.loc[music["track_name"].notna(), "song_key"].nunique(),
        "artists": music["artist_name"].nunique(),
        "albums": len(music.dropna(subset=["album_name", "artist_name"]).drop_duplicates(["album_name", "artist_name"])),
    }


@pytest.mark.parametrize("with_day_column", [True, False])
def test_day_sums_add_up_a_day_the_wall_clock_comes_back_to(with_day_column):
    # day_sums adds up runs of plays of one day: here the clocks go back across midnight
    # (30 Mar 23:40 after 31 Mar 00:20), and 2 Apr has no plays
    wall = pd.to_datetime(["2024-03-30 22:00", "2024-03-30 23:50", "2024-03-31 00:10", "2024-03-31 00:20",
                           "2024-03-30 23:40", "2024-03-31 00:50", "2024-04-01 09:00", "2024-04-03 10:00"])
    frame = pd.DataFrame({"wall": wall.to_numpy(dtype="datetime64[us]"), "ms_played": [1, 2, 4, 8, 16, 32, 64, 128],
                          "is_stream": [True, False, True, True, True, False, True, True]})
    if with_day_column:  # as explore.localise makes it
        frame["day"] = frame["wall"].to_numpy().astype("datetime64[D]").astype("int32")
    expected = pd.DataFrame({"period_start": pd.to_datetime(["2024-03-30", "2024-03-31", "2024-04-01", "2024-04-03"])
                            .to_numpy(dtype="datetime64[us]"), "ms": np.array([19, 44, 64, 128], dtype="int64"),
                             "streams": np.array([2, 2, 1, 1], dtype="int64")})
    pd.testing.assert_frame_equal(explore.day_sums(frame), expected)
    pd.testing.assert_frame_equal(explore.day_sums(frame.iloc[:0]), expected.iloc[:0])


def test_items_of_any_run_of_rows_from_block_totals_are_item_parts(monkeypatch):
    # items_in_run adds up whole blocks' totals and counts the plays at a run's two ends: with
    # blocks of three plays, every run of these plays (ends inside a block, on a block's edge,
    # within one block, empty, the whole) must give item_part's artists and songs exactly.
    # "Hum" is one song under two spellings played alike (one play of 40 s each, "Hum" first in
    # the whole history, "HUM (Remastered)" first in runs from the third play on): its label is
    # the one played first in the run, as item_part names it
    from core.history import frame as history_frame
    monkeypatch.setattr(history_frame, "BLOCK_ROWS", 3)
    plays_as = [(200_000, "Song", "Owls"), (40_000, "Hum", "Larks"), (40_000, "HUM (Remastered)", "Larks"),
                (31_000, "Song", "Owls"), (29_000, "Caw", "Crows"), (1_800_000, "Hoot", "Owls"),
                (5_000, "Caw", "Crows"), (40_000, "Hum", "Larks"), (40_000, "HUM (Remastered)", "Larks")]
    rows = [row(f"2024-05-{day:02d}T08:00:00", ms, track, artist, track_id=None)
            for day, (ms, track, artist) in enumerate(plays_as, start=1)]
    rows.insert(4, row("2024-05-04T09:00:00", 1_800_000, None, None, None, track_id=None, episode_name="Ep 1",
                       episode_show_name="Talk", spotify_episode_uri="spotify:episode:1234567890123456789012"))
    plays = history.with_item_columns(history.load_plays(a_history(rows), "me"))
    everything = explore.mark_streams(plays, 30_000)  # the podcast: a play without an artist or a song
    assert everything["song_key"].nunique() == 4  # Song, Hum (both spellings), Caw, Hoot
    for by in ("artist", "track"):
        totals = explore.item_totals(everything, explore.item_codes(everything, by))
        assert totals.block == 3 and totals.plays.shape[0] == 4 + 1  # ten plays: four blocks
        for first in range(len(everything) + 1):
            for end in range(first, len(everything) + 1):
                pd.testing.assert_frame_equal(explore.items_in_run(totals, first, end),
                                              explore.item_part(everything.iloc[first:end], by), check_exact=True)
        assert not totals.plays.flags.writeable and not totals.coded.codes.flags.writeable  # shared by every session
    songs = explore.item_codes(everything, "track")
    def hum(first: int, end: int) -> list:  # the song's row: its label, streams and time
        table = explore.items_in_run(explore.item_totals(everything, songs), first, end)
        return table[table["artist"] == "Larks"][["title", "streams", "ms"]].values.tolist()

    assert hum(0, 10) == [["Hum", 4, 160_000]] and hum(2, 9) == [["HUM (Remastered)", 2, 80_000]]
    assert sorted(explore.items_in_run(explore.item_totals(everything, explore.item_codes(everything, "artist")),
                                       1, 8)[["name", "streams", "ms"]].values.tolist()) == [
        ["Crows", 0, 34_000], ["Larks", 2, 80_000], ["Owls", 2, 1_831_000]]
    assert explore.item_codes(everything, "album") is None
    assert explore.item_codes(everything.assign(artist_name=everything["artist_name"].astype(object)), "artist") is None
