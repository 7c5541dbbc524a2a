"""core.habits on tiny hand-made histories run through the real import and explore path."""
import datetime as dt
import functools

import numpy as np
import orjson
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import explore, history, ingest, store

BERLIN = "Europe/Berlin"


def play(start: str, seconds: float, artist: str = "Band", track: str = "Song", uri: str | None = "a",
         **extra) -> dict:
    """An extended-history row that STARTED at ``start`` (UTC) and lasted ``seconds``.

    ``uri`` is one character repeated into a 22-character track id (None: no id).
    """
    end = dt.datetime.fromisoformat(start.replace("Z", "+00:00")) + dt.timedelta(seconds=seconds)
    row = {"ts": end.strftime("%Y-%m-%dT%H:%M:%SZ"), "ms_played": int(seconds * 1000),
           "master_metadata_track_name": track, "master_metadata_album_artist_name": artist,
           "master_metadata_album_album_name": "Album",
           "spotify_track_uri": f"spotify:track:{uri * 22}" if uri else None}
    return row | extra


def frame_of(rows: list[dict], tz: str = "UTC", account: list[dict] | None = None, **filters) -> pd.DataFrame:
    """The Explore frame of rows imported as an extended export (and an account export)."""
    db = store.open_memory_store()
    uploads = [("Streaming_History_Audio_2024_0.json", orjson.dumps(rows))]
    if account:
        uploads.append(("StreamingHistory_music_0.json", orjson.dumps(account)))
    report = ingest.import_files(db, uploads=uploads)
    assert not report.errors, [f.message for f in report.errors]
    return explore.apply_filters(history.load_plays(db, "me"), explore.Filters(tz=tz, **filters))


def utc(*values: str) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values), utc=True, format="ISO8601"))


def local(*values: str, tz: str = BERLIN) -> pd.Series:
    """Local wall-clock times (each with its own offset) as one column in ``tz``."""
    return pd.Series([pd.Timestamp(v).tz_convert(tz) for v in values], dtype=f"datetime64[us, {tz}]")


# --- sessions ------------------------------------------------------------------------------

@pytest.mark.parametrize("gap, expected", [(29, [0, 0]), (30, [0, 0]), (31, [0, 1]), (30.5, [0, 1])])
def test_split_sessions_starts_a_new_session_only_after_more_than_the_gap(gap, expected):
    # first play 10:00-10:03, the next starts `gap` minutes after it ended
    second = pd.Timestamp("2024-05-01T10:03:00Z") + pd.Timedelta(minutes=gap)
    frame = pd.DataFrame({"start": utc("2024-05-01T10:00:00Z", str(second)),
                          "end": utc("2024-05-01T10:03:00Z", str(second + pd.Timedelta(minutes=2)))})
    assert history.split_sessions(frame, 30).tolist() == expected


def test_split_sessions_follows_time_not_row_order_and_keeps_overlaps_together():
    frame = pd.DataFrame({
        # rows out of order; the 10:05 play overlaps the long 10:00-10:50 play (two devices)
        "start": utc("2024-05-01T11:30:00Z", "2024-05-01T10:00:00Z", "2024-05-01T10:05:00Z", "2024-05-01T11:21:00Z"),
        "end": utc("2024-05-01T11:33:00Z", "2024-05-01T10:50:00Z", "2024-05-01T10:08:00Z", "2024-05-01T11:24:00Z"),
    }).set_axis([7, 3, 5, 9])
    # 10:50 -> 11:21 is 31 minutes after the LATEST end (not after 10:08)
    pd.testing.assert_series_equal(history.split_sessions(frame, 30),
                                   pd.Series([1, 0, 0, 1], index=[7, 3, 5, 9], name="session"))
    assert history.split_sessions(frame, 35).tolist() == [0, 0, 0, 0]
    assert history.split_sessions(frame.iloc[:0], 30).tolist() == []


def test_sessions_across_midnight_and_both_dst_changes_in_berlin():
    frame = frame_of([
        # 23:50 CET -> 00:10, then 00:25 -> 00:35: one session across local midnight
        play("2024-03-30T22:50:00Z", 20 * 60, artist="Night Owls", uri="a"),
        play("2024-03-30T23:25:00Z", 10 * 60, artist="Dawn Chorus", uri="b"),
        # 01:40-01:50 CET; clocks jump to 03:00 CEST; next starts 03:10 CEST: 20 real minutes later
        play("2024-03-31T00:40:00Z", 10 * 60, artist="Spring Forward", uri="c"),
        play("2024-03-31T01:10:00Z", 20, artist="Short Skip", uri="d", skipped=True),
        # 02:20-02:50 CEST; clocks fall back to 02:00 CET; next starts 02:25 CET: 35 real minutes later
        play("2024-10-27T00:20:00Z", 30 * 60, artist="Fall Back", uri="e"),
        # a tie on listening time: the alphabetically first artist is the top one
        play("2024-10-27T01:25:00Z", 5 * 60, artist="Zed", uri="f"),
        play("2024-10-27T01:30:00Z", 5 * 60, artist="Abe", track="Other", uri=None),
    ], tz=BERLIN)
    table = explore.sessions(frame, 30)
    expected = pd.DataFrame({
        "session": np.array([0, 1, 2, 3], dtype="int64"),
        "start": local("2024-03-30T23:50:00+01:00", "2024-03-31T01:40:00+01:00", "2024-10-27T02:20:00+02:00",
                       "2024-10-27T02:25:00+01:00"),
        "end": local("2024-03-31T00:35:00+01:00", "2024-03-31T03:10:20+02:00", "2024-10-27T02:50:00+02:00",
                     "2024-10-27T02:35:00+01:00"),
        "minutes": [45.0, 30 + 20 / 60, 30.0, 10.0],
        "plays": np.array([2, 2, 1, 2], dtype="int64"),
        "streams": np.array([2, 1, 1, 2], dtype="int64"),
        "top_artist": ["Night Owls", "Spring Forward", "Fall Back", "Abe"],
    })
    pd.testing.assert_frame_equal(table, expected)
    pd.testing.assert_frame_equal(explore.longest_sessions(table, 2), expected.iloc[[0, 1]].reset_index(drop=True))
    # a looser break merges the DST-autumn sessions (35 min) but not the spring ones (65 min)
    assert explore.sessions(frame, 40)["plays"].tolist() == [2, 2, 3]


def test_sessions_of_podcasts_name_the_show_and_of_nothing_are_empty():
    rows = [{"ts": "2024-05-01T10:30:00Z", "ms_played": 1_800_000, "episode_name": "Pilot",
             "episode_show_name": "Talk Show", "spotify_episode_uri": "spotify:episode:" + "e" * 22}]
    frame = frame_of(rows, content=("podcast",))
    assert explore.sessions(frame)[["plays", "top_artist"]].to_dict("records") == [
        {"plays": 1, "top_artist": "Talk Show"}]
    empty = explore.sessions(frame.iloc[:0])
    assert empty.empty and list(empty.columns) == ["session", "start", "end", "minutes", "plays", "streams",
                                                   "top_artist"]


# --- periods and skips -----------------------------------------------------------------------

def test_period_starts_are_local_wall_clock_days_weeks_months_years():
    times = local("2024-03-31T03:10:00+02:00", "2024-01-01T00:30:00+01:00", "2023-12-31T23:59:00+01:00")
    expect = {
        "day": ["2024-03-31", "2024-01-01", "2023-12-31"],
        "week": ["2024-03-25", "2024-01-01", "2023-12-25"],  # Mondays
        "month": ["2024-03-01", "2024-01-01", "2023-12-01"],
        "year": ["2024-01-01", "2024-01-01", "2023-01-01"],
    }
    for period, days in expect.items():
        np.testing.assert_array_equal(explore.period_starts(times, period),
                                      pd.to_datetime(days).to_numpy(dtype="datetime64[us]"), err_msg=period)
    with pytest.raises(ValueError, match="period must be one of"):
        explore.period_starts(times, "fortnight")


@pytest.mark.parametrize("seed", range(4))
def test_period_codes_number_the_periods_of_any_times_in_time_order(seed):
    # numbered on day numbers (periods.day_period_codes): times out of order, before 1970,
    # several years apart, and a localised frame's own day numbers give the same
    rng = np.random.default_rng(seed)
    wall = (rng.integers(-3_000 if seed % 2 else 10_000, 20_000, 500) * 86_400_000_000 + rng.integers(0, 86_400_000_000, 500)
            ).astype("datetime64[us]")
    if seed == 0:
        wall = np.sort(wall)
    frame = pd.DataFrame({"wall": wall, "day": wall.astype("datetime64[D]").astype("int32")})
    for period in explore.PERIODS:
        starts = explore.period_starts(wall, period)
        expected_starts = np.unique(starts)
        for codes, found in (explore.period_codes(wall, period), explore.local_period_codes(frame, period),
                             explore.local_period_codes(frame.drop(columns="day"), period)):
            np.testing.assert_array_equal(found, expected_starts, err_msg=period)
            np.testing.assert_array_equal(found[codes], starts, err_msg=period)
    empty = explore.period_codes(wall[:0], "month")
    assert len(empty[0]) == len(empty[1]) == 0

SKIP_ROWS = [
    # 2018: an old export without skip flags (no key at all, and an explicit null)
    play("2018-05-03T10:00:00Z", 200, uri="a"),
    play("2018-05-04T10:00:00Z", 10, uri="b", skipped=None),
    # no plays at all in 2019
    play("2020-01-10T10:00:00Z", 5, uri="a", skipped=True),
    play("2020-01-11T10:00:00Z", 200, uri="b", skipped=False),
    play("2020-01-12T10:00:00Z", 200, uri="c"),
    # 23:30 UTC on 31 January is 00:30 on 1 February in Berlin: February's play
    play("2020-01-31T23:30:00Z", 3, uri="d", skipped=True),
    play("2020-02-10T10:00:00Z", 4, uri="e", skipped=True),
]


def test_skip_rate_follows_the_one_rule_and_says_which_signal_decided():
    frame = frame_of(SKIP_ROWS, tz=BERLIN)
    # 2018: no flag, no reason: the length rule (10 s of a song played 200 s elsewhere is a skip)
    expected = pd.DataFrame({
        "period_start": pd.to_datetime(["2018-05-01", "2020-01-01", "2020-02-01"]),
        "plays": [2, 3, 2], "skipped": [1, 1, 2], "skip_rate": [0.5, 1 / 3, 1.0],
        "by_reason": [0, 0, 0], "by_flag": [0, 2, 2], "by_length": [2, 1, 0],
    })
    pd.testing.assert_frame_equal(explore.skip_rate_over_time(frame, "month"), expected)
    assert explore.skip_rules_by_year(frame).to_dict("records") == [
        {"year": 2018, "plays": 2, "skipped": 1, "skip_rate": 0.5, "by_reason": 0, "by_flag": 0, "by_length": 2,
         "rule": "length"},
        {"year": 2020, "plays": 5, "skipped": 3, "skip_rate": 0.6, "by_reason": 0, "by_flag": 4, "by_length": 1,
         "rule": "flag"}]
    assert explore.skip_summary(frame) == {"plays": 7, "skipped": 4, "skip_rate": 4 / 7, "by_reason": 0,
                                          "by_flag": 4, "by_length": 3}
    # in UTC the 31 January play stays in January
    assert explore.skip_rate_over_time(frame_of(SKIP_ROWS), "month")["plays"].tolist() == [2, 4, 1]


def test_a_reason_decides_over_a_flag_that_older_exports_leave_false():
    """2017-2021 exports: skipped false on every row, reason_end fwdbtn on a third of them."""
    rows = [play("2019-03-01T10:00:00Z", 12, uri="a", skipped=False, reason_end="fwdbtn"),
            play("2019-03-01T10:10:00Z", 200, uri="b", skipped=False, reason_end="trackdone"),
            play("2019-03-01T10:20:00Z", 90, uri="c", skipped=False, reason_end="endplay"),  # stopped: Spotify's rule
            play("2019-03-01T10:30:00Z", 5, uri="d", skipped=True, reason_end="clickrow")]  # the flag still counts
    frame = frame_of(rows)
    assert frame["skip"].tolist() == [True, False, True, True]
    assert set(frame["skip_basis"].astype(str)) == {"reason"}


# --- reasons, shuffle, platforms, countries, offline/incognito ----------------------------------

DETAIL_ROWS = [
    play("2024-01-05T10:00:00Z", 360, uri="a", platform="Android OS 14 API 34 (Google, Pixel 8)",
         conn_country="DE", reason_start="clickrow", reason_end="trackdone", shuffle=True, offline=True),
    play("2024-01-05T10:06:00Z", 180, uri="b", platform="iOS 17.1 (iPhone15,2)", conn_country="DE",
         reason_start="trackdone", reason_end="fwdbtn", shuffle=True, incognito_mode=True),
    play("2024-02-01T12:00:00Z", 360, uri="c", platform="android", conn_country="FR",
         reason_start="trackdone", reason_end="trackdone", shuffle=False),
    play("2024-02-01T12:06:00Z", 18, uri="d", platform="ios", conn_country="FR", reason_start="fwdbtn",
         reason_end="some-new-code", shuffle=False, offline=True, incognito_mode=True),
]
# the account-data export has no platform, country, reasons or flags
ACCOUNT_ROWS = [{"endTime": "2024-03-01 09:00", "artistName": "Band", "trackName": "Song", "msPlayed": 720_000}]


def test_reasons_share_of_plays_that_record_one():
    frame = frame_of(DETAIL_ROWS, account=ACCOUNT_ROWS)
    pd.testing.assert_frame_equal(explore.reasons(frame, "start"), pd.DataFrame({
        "reason": ["trackdone", "clickrow", "fwdbtn"],
        "meaning": ["previous track finished", "picked from a list", "skipped forward to it"],
        "plays": [2, 1, 1], "share": [0.5, 0.25, 0.25]}))
    pd.testing.assert_frame_equal(explore.reasons(frame, "end"), pd.DataFrame({
        "reason": ["trackdone", "fwdbtn", "some-new-code"],
        "meaning": ["played to the end", "skipped forward", "some-new-code"],
        "plays": [2, 1, 1], "share": [0.5, 0.25, 0.25]}))
    assert explore.coverage(frame, "reason_start") == 0.8
    assert explore.reasons(frame_of(SKIP_ROWS[:1]).iloc[:0], "end").empty
    with pytest.raises(ValueError):
        explore.reasons(frame, "middle")


def test_shuffle_share_leaves_out_plays_without_flags():
    frame = frame_of(DETAIL_ROWS, account=ACCOUNT_ROWS)
    assert explore.has_details(frame).tolist() == [True, True, True, True, False]
    pd.testing.assert_frame_equal(explore.shuffle_share(frame, "month"), pd.DataFrame({
        "period_start": pd.to_datetime(["2024-01-01", "2024-02-01"]),  # March: account plays only, no row
        "plays": [2, 2], "shuffled": [2, 0], "shuffle_share": [1.0, 0.0]}))
    assert explore.coverage(frame, "shuffle") == 0.8


def test_platforms_and_countries_by_listening_time():
    frame = frame_of(DETAIL_ROWS, account=ACCOUNT_ROWS)
    # android 360 + 360 s = 0.2 h, ios 180 + 18 s = 0.055 h; the account play (0.2 h) has neither
    pd.testing.assert_frame_equal(explore.platforms(frame), pd.DataFrame({
        "platform_family": ["android", "ios"], "hours": [0.2, 0.055], "plays": [2, 2],
        "share": [720 / 918, 198 / 918]}))
    pd.testing.assert_frame_equal(explore.countries(frame), pd.DataFrame({
        "country": ["DE", "FR"], "hours": [0.15, 0.105], "plays": [2, 2], "share": [540 / 918, 378 / 918]}))
    assert explore.coverage(frame, "platform_family") == 0.8


def test_countries_say_what_spotifys_unknown_country_code_means():
    frame = frame_of(DETAIL_ROWS + [play("2024-02-02T08:00:00Z", 90, uri="e", conn_country="ZZ")])
    pd.testing.assert_frame_equal(explore.countries(frame), pd.DataFrame({
        "country": ["DE", "FR", "unknown (ZZ)"], "hours": [0.15, 0.105, 0.025], "plays": [2, 2, 1],
        "share": [540 / 1008, 378 / 1008, 90 / 1008]}))


@pytest.mark.parametrize("share, label", [
    (None, "—"), (float("nan"), "—"), (0, "0%"), (1, "100%"), (0.5, "50%"), (0.054, "5%"),
    (0.994, "99%"), (0.996, "99.6%"), (0.9999243670467223, "99.99%"),  # a real export's reason coverage
    (0.004, "0.4%"), (0.0002, "0.02%"), (1 - 1e-9, ">99.999%"), (1e-9, "<0.001%"),
])
def test_percent_label_never_rounds_to_all_or_none(share, label):
    assert explore.percent_label(share) == label


def test_offline_and_incognito_by_plays_and_by_time():
    frame = frame_of(DETAIL_ROWS, account=ACCOUNT_ROWS)
    pd.testing.assert_frame_equal(explore.offline_incognito(frame), pd.DataFrame({
        "mode": ["offline", "incognito"], "plays": [2, 2], "hours": [0.105, 0.055],
        "share_of_plays": [0.5, 0.5], "share_of_time": [378 / 918, 198 / 918]}))
    only_account = frame[~explore.has_details(frame)]
    result = explore.offline_incognito(only_account)
    assert result["plays"].tolist() == [0, 0] and result["share_of_time"].isna().all()


# --- a date range from per-day counts and the whole history's sessions ----------------------

# around both of Berlin's 2024 clock changes and midnight, with details and an account export
RANGE_ROWS = [
    play("2024-03-30T22:50:00Z", 20 * 60, artist="Night Owls", uri="a", platform="android", conn_country="DE",
         reason_start="clickrow", reason_end="trackdone", shuffle=True),
    play("2024-03-30T23:25:00Z", 10 * 60, artist="Dawn Chorus", uri="b", platform="ios", conn_country="FR",
         reason_start="trackdone", reason_end="fwdbtn", skipped=True, offline=True),
    # 01:40 CET, the clocks jump to 03:00: a long play that ends after the next ones began
    play("2024-03-31T00:40:00Z", 90 * 60, artist="Spring Forward", uri="c", conn_country="ZZ", incognito_mode=True),
    play("2024-03-31T01:10:00Z", 20, artist="Short Skip", uri="d", skipped=True, reason_end="fwdbtn"),
    play("2024-03-31T01:50:00Z", 200, artist="Short Skip", uri="d", reason_start="fwdbtn"),
    play("2024-10-26T23:50:00Z", 15 * 60, artist="Fall Back", uri="e", platform="android", shuffle=True),
    # 02:20 CEST, then the clocks fall back to 02:00 CET: the next play starts at 02:25 CET
    play("2024-10-27T00:20:00Z", 30 * 60, artist="Fall Back", uri="e", reason_end="endplay", offline=True),
    play("2024-10-27T01:25:00Z", 5 * 60, artist="Zed", uri="f", platform="ios", conn_country="DE"),
    play("2024-10-27T01:30:00Z", 5 * 60, artist="Abe", track="Other", uri=None),
    play("2024-10-27T22:59:00Z", 3 * 60, artist="Abe", uri="g", reason_start="remote", shuffle=True),
    play("2024-10-27T23:01:00Z", 4, artist="Abe", uri="g", skipped=True),
]
RANGE_ACCOUNT = [{"endTime": "2024-10-27 09:00", "artistName": "Band", "trackName": "Song", "msPlayed": 720_000},
                 {"endTime": "2024-10-28 00:30", "artistName": "Band", "trackName": "Song", "msPlayed": 5_000}]
RANGES = [(None, None), (dt.date(2024, 3, 31), None), (None, dt.date(2024, 3, 30)), (dt.date(2024, 3, 31),
          dt.date(2024, 3, 31)), (dt.date(2024, 10, 27), dt.date(2024, 10, 27)), (dt.date(2024, 10, 28), None),
          (dt.date(2024, 4, 1), dt.date(2024, 10, 25))]


def habit_aggregates(plays) -> dict:
    """Every Habits aggregate of a frame or of its day counts."""
    out = {"summary": explore.skip_summary(plays), "rules": explore.skip_rules_by_year(plays),
           "start": explore.reasons(plays, "start"), "end": explore.reasons(plays, "end"),
           "platforms": explore.platforms(plays), "countries": explore.countries(plays),
           "modes": explore.offline_incognito(plays),
           "coverage": {c: explore.coverage(plays, c) for c in ("reason_start", "reason_end", "platform_family",
                                                               "conn_country", "shuffle", "offline", "incognito")}}
    for period in ("day", "week", "month", "year"):
        out[f"skips by {period}"] = explore.skip_rate_over_time(plays, period)
        out[f"shuffle by {period}"] = explore.shuffle_share(plays, period)
    return out


def assert_same(got: dict, expected: dict):
    assert got.keys() == expected.keys()
    for name, value in expected.items():
        if isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(got[name], value, check_exact=True, obj=name)
        else:
            assert got[name] == value, name


@pytest.mark.parametrize("tz", ["UTC", BERLIN, "America/New_York"])
@pytest.mark.parametrize("start, end", RANGES)
def test_a_date_range_of_the_day_counts_equals_the_counts_of_its_plays(tz, start, end):
    rows = frame_of(RANGE_ROWS, tz=tz, account=RANGE_ACCOUNT, min_ms=0)
    selected = explore.select_dates(rows, start, end)
    assert_same(habit_aggregates(explore.days_between(explore.day_counts(rows), start, end)),
                habit_aggregates(selected))


@pytest.mark.parametrize("chunk", [None, 1, 3])
@pytest.mark.parametrize("joint", [True, False])
def test_day_counts_of_plays_coded_in_another_zone_equal_counts_from_scratch(joint, chunk, monkeypatch):
    # the Habits page codes a content's plays once and counts them per zone; two values are
    # counted in one pass over their pairs unless the table would be too large (joint=False),
    # a chunk of plays at a time (here also 1 and 3, so chunks share days)
    from core.explore import habits
    from core.history import frame as history_frame
    if not joint:
        monkeypatch.setattr(habits, "_JOINT_CELLS", 0)
    if chunk:
        monkeypatch.setattr(history_frame, "BLOCK_ROWS", chunk)
    coded = explore.play_codes(frame_of(RANGE_ROWS, tz="Asia/Tokyo", account=RANGE_ACCOUNT, min_ms=0))
    for tz in ("UTC", BERLIN, "America/New_York"):
        rows = frame_of(RANGE_ROWS, tz=tz, account=RANGE_ACCOUNT, min_ms=0)
        for start, end in RANGES:
            assert_same(habit_aggregates(explore.days_between(explore.day_counts(rows, coded), start, end)),
                        habit_aggregates(explore.select_dates(rows, start, end)))
        # codes of other plays (another index) are not used
        assert_same(habit_aggregates(explore.day_counts(rows.iloc[3:], coded)), habit_aggregates(rows.iloc[3:]))


def test_aggregates_of_day_counts_equal_a_straightforward_count():
    frame = frame_of(RANGE_ROWS, tz=BERLIN, account=RANGE_ACCOUNT)
    counts = explore.day_counts(frame)
    days = frame["local"].dt.date
    assert counts.days.tolist() == sorted(pd.to_datetime(days.unique()).to_numpy(dtype="datetime64[us]").tolist())
    per_day = frame.groupby(days, observed=True)
    assert counts.skips[:, 0].tolist() == per_day.size().tolist()
    assert counts.skips[:, 1].tolist() == per_day["skip"].sum().tolist()
    platforms = frame.dropna(subset=["platform_family"]).groupby("platform_family", observed=True)["ms_played"]
    assert explore.platforms(counts).set_index("platform_family")["hours"].to_dict() == \
        (platforms.sum() / 3_600_000).to_dict()
    detailed = frame[explore.has_details(frame)]
    assert explore.offline_incognito(counts)["plays"].tolist() == [int(detailed["offline"].sum()),
                                                                   int(detailed["incognito"].sum())]
    assert explore.coverage(counts, "conn_country") == frame["conn_country"].notna().mean()
    with pytest.raises(ValueError, match="column must be one of"):
        explore.coverage(counts, "track_id")


@pytest.mark.parametrize("chunk", [None, 2])
def test_day_counts_follow_the_wall_clock_where_it_goes_back_across_midnight(chunk, monkeypatch):
    # a zone whose clocks go back from 00:30 to 23:30: select_dates compares every play there
    # (counted two plays at a time too: a chunk's days out of order)
    from core.history import frame as history_frame
    if chunk:
        monkeypatch.setattr(history_frame, "BLOCK_ROWS", chunk)
    frame = frame_of(RANGE_ROWS[:5], min_ms=0)
    wall = pd.to_datetime(["2024-03-30 23:40", "2024-03-31 00:10", "2024-03-31 00:20", "2024-03-30 23:45",
                           "2024-03-31 00:50"]).to_numpy(dtype="datetime64[us]")
    frame = frame.assign(wall=wall, day=wall.astype("datetime64[D]").astype("int32"))  # as localise makes them
    counts = explore.day_counts(frame)
    for start, end in [(None, dt.date(2024, 3, 30)), (dt.date(2024, 3, 31), None)]:
        selected = explore.select_dates(frame, start, end)
        assert len(selected) in (2, 3)
        assert_same(habit_aggregates(explore.days_between(counts, start, end)), habit_aggregates(selected))


SESSION_ROWS = RANGE_ROWS + [
    # a long play that overlaps the next three: cut by a range, they are sessions of their own
    play("2024-06-01T20:00:00Z", 4 * 3600, artist="Marathon", uri="h"),
    play("2024-06-01T21:00:00Z", 180, artist="Inside", uri="i"),
    play("2024-06-01T22:30:00Z", 180, artist="Inside", uri="j"),
    play("2024-06-01T23:40:00Z", 180, artist="Late", uri="k"),
    play("2024-06-02T00:10:00Z", 180, artist="Later", uri="k"),
    play("2024-06-02T01:00:00Z", 20, artist="Later", uri="l"),
]


@pytest.mark.parametrize("gap", [10, 30, 45])
@pytest.mark.parametrize("start, end", RANGES + [(dt.date(2024, 6, 2), None), (None, dt.date(2024, 6, 1))])
def test_sessions_of_a_date_range_from_the_whole_historys_sessions(gap, start, end):
    rows = frame_of(SESSION_ROWS, tz=BERLIN)
    split = explore.split_rows(rows, gap)
    frame = explore.select_dates(rows, start, end)
    pd.testing.assert_frame_equal(explore.sessions(frame, gap, within=split), explore.sessions(frame, gap))
    np.testing.assert_array_equal(explore.session_streams(frame, gap, within=split),
                                  explore.session_streams(frame, gap))


def test_a_range_cuts_the_session_of_a_play_that_began_before_it():
    rows = frame_of(SESSION_ROWS, tz="UTC")
    frame = explore.select_dates(rows, dt.date(2024, 6, 2), dt.date(2024, 6, 2))
    table = explore.sessions(frame, 30, within=explore.split_rows(rows, 30))
    # the Marathon play (20:00-24:00 on 1 June) is outside: 00:10 and 01:00 are 47 minutes apart
    assert table[["plays", "top_artist"]].to_dict("records") == [{"plays": 1, "top_artist": "Later"},
                                                                 {"plays": 1, "top_artist": "Later"}]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.booleans(), min_size=len(SESSION_ROWS), max_size=len(SESSION_ROWS)),
       st.sampled_from([5, 30, 90]))
def test_sessions_of_any_selection_from_the_whole_historys_sessions(keep, gap):
    rows = _session_rows()
    frame = rows[np.array(keep)]
    expected = explore.sessions(frame, gap)
    pd.testing.assert_frame_equal(explore.sessions(frame, gap, within=explore.split_rows(rows, gap)), expected)


def test_sessions_outside_the_split_rows_or_of_another_gap_are_split_afresh():
    rows = _session_rows()
    other = frame_of(SESSION_ROWS[::-1][:5], tz=BERLIN)  # labels that are not the split rows'
    split = explore.split_rows(rows, 30)
    for frame, gap in [(other, 30), (rows, 45), (rows.iloc[::-1], 30)]:
        pd.testing.assert_frame_equal(explore.sessions(frame, gap, within=split), explore.sessions(frame, gap))
    assert explore.split_rows(rows.iloc[::-1], 30) is None  # not in order of start: nothing to reuse


@functools.cache
def _session_rows() -> pd.DataFrame:
    return frame_of(SESSION_ROWS, tz=BERLIN)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.sampled_from(["Bo", "Ada", "Cy", None]), st.integers(0, 3)),
                max_size=40),
       st.booleans())
def test_a_sessions_top_artist_is_the_name_with_most_time_counted_in_a_table_or_hashed(plays, in_order):
    from unittest import mock

    from core.explore import habits
    from core.history import frame as history_frame

    if in_order:
        plays = sorted(plays, key=lambda p: p[0])
    ids = np.array([p[0] for p in plays], dtype=np.int64)
    names = pd.Series([p[1] for p in plays], dtype=object)
    ms = np.array([p[2] * 1000 for p in plays], dtype=np.int64)
    expected = []  # per session: most time, ties by name; none when no play names one
    for session in range(6):
        time = {}
        for i, name, seconds in plays:
            if i == session and name is not None:
                time[name] = time.get(name, 0) + seconds
        expected.append(min(time, key=lambda n: (-time[n], n)) if time else None)
    table = habits._top_artists(ids, names, ms, 6)
    with mock.patch.object(history_frame, "DENSE_CELLS", 0):
        hashed = habits._top_artists(ids, names, ms, 6)
    def shown(tops: pd.Series) -> list:
        return [None if pd.isna(top) else top for top in tops]

    assert shown(table) == shown(hashed) == expected


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 90), st.integers(0, 240)), min_size=1, max_size=30),
       st.integers(0, 30), st.integers(0, 30), st.sampled_from([5, 30]))
def test_a_run_of_plays_starts_the_sessions_it_would_alone(plays, lo, length, gap):
    # plays (minutes after the previous start, minutes long): some long enough to close the
    # silences after a run's first plays; the run's sessions taken from the whole split agree
    # with splitting the run afresh
    from core.explore import habits
    from core.history.sessions import session_starts

    start = (np.cumsum([p[0] for p in plays]) * 60_000_000).astype("datetime64[us]")
    end = start + (np.array([p[1] for p in plays]) * 60_000_000).astype("timedelta64[us]")
    rows = pd.DataFrame({"start": pd.Series(start).dt.tz_localize("UTC"), "end": pd.Series(end).dt.tz_localize("UTC"),
                         "ms_played": [p[1] * 60_000 for p in plays], "artist_name": "A", "show_name": None,
                         "audiobook_title": None})
    split = explore.split_rows(rows, gap)
    lo = min(lo, len(plays))
    run = slice(lo, min(len(plays), lo + length))
    expected = np.flatnonzero(session_starts(start[run], end[run], gap))
    np.testing.assert_array_equal(habits._starts_within(split, run), expected)


def test_a_run_after_a_play_longer_than_thousands_of_its_plays_starts_the_sessions_it_would_alone():
    # a play of 300 days, then 6,000 plays 40 minutes apart (each its own session without it)
    # and one last long play: the run from the second play catches up with it only at its end
    from core.explore import habits
    from core.history.sessions import session_starts

    minutes = np.r_[0, 10 + 40 * np.arange(6000), 10 + 40 * 6000]
    lengths = np.r_[300 * 24 * 60, np.ones(6000), 400 * 24 * 60]
    start = (minutes * 60_000_000).astype("datetime64[us]")
    end = start + (lengths * 60_000_000).astype("timedelta64[us]")
    rows = pd.DataFrame({"start": pd.Series(start).dt.tz_localize("UTC"), "end": pd.Series(end).dt.tz_localize("UTC"),
                         "ms_played": (lengths * 60_000).astype(int), "artist_name": "A", "show_name": None,
                         "audiobook_title": None})
    split = explore.split_rows(rows, 30)
    assert len(split.first) == 1  # the first play holds them all together
    for run in (slice(1, len(rows)), slice(1, 5000), slice(4100, len(rows))):
        expected = np.flatnonzero(session_starts(start[run], end[run], 30))
        np.testing.assert_array_equal(habits._starts_within(split, run), expected)
    assert len(habits._starts_within(split, slice(1, len(rows)))) == 6001


def test_content_types_whose_plays_are_not_one_historys_are_not_merged():
    rows = _session_rows()
    half = len(rows) // 2
    first, second = explore.split_rows(rows.iloc[:half], 30), explore.split_rows(rows.iloc[half:], 30)
    assert explore.split_of([first, second]) is not None
    assert explore.split_of([first, first]) is None  # the same plays twice
    assert explore.split_of([first, None]) is None
    shifted = rows.iloc[:half].set_axis(rows.index[:half] - 100)
    assert explore.split_of([explore.split_rows(shifted, 30), second]) is None  # negative labels
    renumbered = rows.iloc[:half].set_axis(rows.index[:half] + 1000)  # after the second half's: not in time order
    assert explore.split_of([explore.split_rows(renumbered, 30), second]) is None
    with pytest.raises(ValueError, match="one gap"):
        explore.split_of([first, explore.split_rows(rows.iloc[half:], 45)])
    none = explore.split_rows(rows.iloc[:0], 30)  # no plays: no sessions, alone or merged
    assert len(none.first) == len(none.last) == 0
    merged = explore.split_of([none, explore.split_rows(rows.iloc[:0].set_axis(rows.index[:0] + 5), 30)])
    assert len(merged.first) == len(merged.last) == len(merged.top_artist) == 0


def test_content_types_interleaved_out_of_start_order_are_not_merged():
    # each part in order of start on its own; placed together by label, one meeting of the
    # two is out of order (the first part's second play starts after the second part's)
    rows = _session_rows().iloc[:4]
    def part(positions, labels):
        return explore.split_rows(rows.iloc[positions].set_axis(pd.Index(labels)), 30)
    assert explore.split_of([part([0, 2], [0, 2]), part([1, 3], [1, 3])]) is not None
    assert explore.split_of([part([0, 3], [0, 2]), part([1, 2], [1, 3])]) is None
    assert explore.split_of([part([0, 1], [0, 1]), part([2, 3], [2, 3])]) is not None  # one run each
    assert explore.split_of([part([2, 3], [0, 1]), part([0, 1], [2, 3])]) is None


def test_the_sessions_of_several_content_types_need_no_row_put_together():
    # the whole history's table comes from the parts' sessions; a date range that cuts
    # sessions reads the times and names of the plays at its edges from the parts; both
    # equal a split of the plays themselves
    rows = _session_rows().assign(is_stream=True)
    left, right = rows.iloc[::2], rows.iloc[1::2]
    split = explore.split_of([explore.split_rows(left, 30), explore.split_rows(right, 30)])
    pd.testing.assert_frame_equal(explore.sessions_of(split, [left, right], 30), explore.sessions(rows, 30))
    assert not {"_times", "_plays", "index"} & set(split.__dict__)
    for cut in (3, len(rows) // 2, len(rows) - 4):  # inside a session, as a date range's bounds fall
        later = rows.index >= rows.index[cut]
        table = explore.sessions_of(split, [left[later[::2]], right[later[1::2]]], 30)
        pd.testing.assert_frame_equal(table, explore.sessions(rows[later], 30))
        earlier = explore.sessions_of(split, [left[~later[::2]], right[~later[1::2]]], 30)
        pd.testing.assert_frame_equal(earlier, explore.sessions(rows[~later], 30))
    assert not {"_times", "_plays", "index"} & set(split.__dict__)
    assert split.index.equals(rows.index)
    np.testing.assert_array_equal(split.start, rows["start"].dt.tz_convert("UTC").dt.tz_localize(None)
                                  .to_numpy(dtype="datetime64[us]"))
    names, ms = split.take(np.arange(len(rows)))
    assert names.astype(object).tolist() == explore.split_rows(rows, 30).names.astype(object).tolist()
    np.testing.assert_array_equal(ms, rows["ms_played"].to_numpy())
