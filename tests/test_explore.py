"""The Explore frame: loading, time zones (DST, midnight), filters, stream rule, snapshot."""
import datetime as dt

import altair as alt
import numpy as np
import orjson
import pandas as pd
import pytest
from sqlite_utils import Database

from core import explore, history, store
from core.ingest.importer import import_files


def a_history(rows: list[tuple]) -> Database:
    """A store holding plays given as (ts, ms_played, title, artist, uri, skipped)."""
    db = store.open_memory_store()
    records = [{"ts": ts, "ms_played": ms, "master_metadata_track_name": title,
                "master_metadata_album_artist_name": artist, "master_metadata_album_album_name": "LP",
                "spotify_track_uri": uri, "skipped": skipped, "conn_country": "DE"}
               for ts, ms, title, artist, uri, skipped in rows]
    report = import_files(db, uploads=[("Streaming_History_Audio_2024_0.json", orjson.dumps(records))])
    assert not report.errors
    return db


ROWS = [
    # Berlin switches to summer time at 2024-03-31 01:00 UTC (02:00 -> 03:00 local)
    ("2024-03-31T00:40:00Z", 600_000, "Before DST", "A", "spotify:track:1aaaaaaaaaaaaaaaaaaaaa", None),
    ("2024-03-31T01:40:00Z", 600_000, "After DST", "A", "spotify:track:2bbbbbbbbbbbbbbbbbbbbb", False),
    # starts 23:50 local on 1 May, ends 00:10 local on 2 May
    ("2024-05-01T22:10:00Z", 1_200_000, "Across midnight", "B", None, True),
    ("2024-05-02T10:00:00Z", 29_999, "Too short", "B", None, True),
    ("2024-05-02T10:05:00Z", 30_000, "Just long enough", "B", None, False),
]


def test_localised_frame_places_plays_at_their_local_start():
    plays = history.load_plays(a_history(ROWS), "me")
    frame = explore.apply_filters(plays, explore.Filters(tz="Europe/Berlin"))
    got = (frame.assign(date=frame["local"].dt.date)[["track_name", "date", "hour", "weekday", "is_stream"]]
           .astype({"track_name": object}))
    expected = pd.DataFrame({
        "track_name": pd.Series(["Before DST", "After DST", "Across midnight", "Too short", "Just long enough"],
                                dtype=object, index=frame.index),
        "date": [dt.date(2024, 3, 31), dt.date(2024, 3, 31), dt.date(2024, 5, 1), dt.date(2024, 5, 2),
                 dt.date(2024, 5, 2)],
        # 00:30 UTC = 01:30 CET; 01:30 UTC = 03:30 CEST; 21:50 UTC = 23:50 CEST; 09:59:30 UTC = 11:59 CEST
        "hour": pd.array([1, 3, 23, 11, 12], dtype="int8"),
        "weekday": pd.array([6, 6, 2, 3, 3], dtype="int8"),
        "is_stream": [True, True, True, False, True],
    }, index=frame.index)
    pd.testing.assert_frame_equal(got, expected)


@pytest.mark.parametrize("tz", ["UTC", "Asia/Kolkata", "Pacific/Chatham", "America/St_Johns", "Europe/Berlin"])
def test_local_day_hour_and_weekday_agree_with_the_calendar_at_every_edge(tz):
    # the hour and weekday are worked out on numbers (day numbers, microseconds into the day):
    # the first and last microsecond of every local hour, before 1970 too, in zones a half or
    # a quarter hour off
    days = ("1969-12-31", "1965-03-01", "2024-01-15", "2024-06-15")
    wall = [f"{day}T{h:02d}:{m}" for day in days for h in range(24) for m in ("00:00.000000", "59:59.999999")]
    starts = pd.Series(pd.DatetimeIndex(pd.to_datetime(wall, format="ISO8601")).tz_localize(tz).tz_convert("UTC"))
    local = explore.localise(pd.DataFrame({"start": starts}), tz)
    clock = starts.dt.tz_convert(tz)
    assert local["hour"].tolist() == clock.dt.hour.tolist() == [h for _ in days for h in range(24) for _ in (0, 1)]
    assert local["weekday"].tolist() == clock.dt.day_of_week.tolist()
    dates = clock.dt.date.tolist()
    assert [dt.date(1970, 1, 1) + dt.timedelta(days=int(day)) for day in local["day"]] == dates
    assert [d.date() for d in explore.days_at(local["day"].to_numpy()).tolist()] == dates


def test_local_day_hour_and_weekday_over_several_blocks_of_rows_agree_with_pandas():
    # worked out BLOCK_ROWS plays at a time: every block, and the last part one, must be right
    from core.history.frame import BLOCK_ROWS
    rng = np.random.default_rng(5)
    count = 2 * BLOCK_ROWS + 1_234
    utc = np.sort(rng.integers(pd.Timestamp("1960-01-01").value // 1000, pd.Timestamp("2030-01-01").value // 1000, count))
    starts = pd.Series(pd.to_datetime(utc, unit="us", utc=True))
    for tz in ("Asia/Kathmandu", "America/New_York"):
        local = explore.localise(pd.DataFrame({"start": starts}), tz)
        clock = starts.dt.tz_convert(tz)
        assert (local["hour"].to_numpy() == clock.dt.hour.to_numpy()).all()
        assert (local["weekday"].to_numpy() == clock.dt.day_of_week.to_numpy()).all()
        days = clock.dt.tz_localize(None).to_numpy().astype("datetime64[D]").astype(np.int64)
        assert (local["day"].to_numpy() == days).all()


def test_wall_clock_of_times_in_order_agrees_with_pandas_in_every_zone():
    # times in order are moved by their zone's offset a run at a time (periods.wall_clock):
    # in every zone of the tz database, at random times over twenty years and at every
    # minute (and a microsecond either side) of each hour in which the clocks change
    import zoneinfo
    rng = np.random.default_rng(17)
    first, last = pd.Timestamp("2007-01-01", tz="UTC"), pd.Timestamp("2027-01-01", tz="UTC")
    scattered = np.sort(rng.integers(first.value // 1000, last.value // 1000, 3_000))
    hours = pd.date_range(first, last, freq="h", unit="us")
    checked_changes = 0
    for tz in sorted(zoneinfo.available_timezones()):
        offsets = hours.tz_convert(tz).tz_localize(None).asi8 - hours.tz_localize(None).asi8
        changes = hours[np.flatnonzero(np.diff(offsets))].asi8
        checked_changes += len(changes)
        minutes = (changes[:, None] + np.arange(61) * 60_000_000).ravel()
        edges = (minutes[:, None] + np.array([-1, 0, 1])).ravel()
        instants = np.unique(np.concatenate([scattered, edges]))
        local = pd.Series(pd.DatetimeIndex(instants.astype("datetime64[us]")).tz_localize("UTC")).dt.tz_convert(tz)
        expected = local.dt.tz_localize(None).to_numpy(dtype="datetime64[us]")
        np.testing.assert_array_equal(explore.wall_clock(local), expected, err_msg=tz)
        shuffled = rng.permutation(len(local))[:500]  # out of order: converted time by time
        np.testing.assert_array_equal(explore.wall_clock(local.iloc[shuffled]), expected[shuffled], err_msg=tz)
    assert checked_changes > 5_000  # the zones' changes of the clocks were among the times


def test_load_plays_columns_and_unknowns():
    plays = history.load_plays(a_history(ROWS), "me")
    assert list(plays["start"].dt.strftime("%Y-%m-%dT%H:%M:%S")) == [
        "2024-03-31T00:30:00", "2024-03-31T01:30:00", "2024-05-01T21:50:00", "2024-05-02T09:59:30",
        "2024-05-02T10:04:30"]
    assert list(plays["skipped"].astype(object)) == [pd.NA, False, True, True, False]
    # tracks without an id are keyed by artist and title
    assert list(plays["track_key"].astype(object)) == [
        "1aaaaaaaaaaaaaaaaaaaaa", "2bbbbbbbbbbbbbbbbbbbbb", "B — Across midnight", "B — Too short",
        "B — Just long enough"]


def _expected_order(db, profile: str) -> list[tuple]:
    """The profile's plays as the frame must order them: by start, then the natural key (end
    second, ms, title, offline time, reasons), read straight from SQL."""
    rows = db.execute(
        "SELECT unixepoch(played_at) * 1000 - ms_played, unixepoch(played_at), ms_played, track_name, episode_name, "
        "audiobook_title, reason_start, reason_end FROM plays WHERE profile = ? ORDER BY played_at, ms_played, "
        "item_name, coalesce(offline_at, ''), coalesce(reason_start, ''), coalesce(reason_end, '')", [profile]).fetchall()
    return [row[1:] for row in sorted(rows, key=lambda row: row[0])]  # stable: the key order stays within a start


def _frame_order(plays: pd.DataFrame) -> list[tuple]:
    columns = ["track_name", "episode_name", "audiobook_title", "reason_start", "reason_end"]
    text = [plays[c].astype(object).where(plays[c].notna(), None) for c in columns]
    end_s = (plays["end"] - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)
    return list(zip(end_s.tolist(), plays["ms_played"].tolist(),
                    *(t.tolist() for t in text)))


def test_plays_sharing_an_end_second_and_ms_keep_the_natural_key_order_however_they_were_stored():
    # the table is read in its own order (rowid): here the reverse of the key's, with another
    # profile's plays in between and five plays that share an end second and ms
    def record(title, reason_start="clickrow", offline=None, ts="2024-02-01T10:00:00Z", ms=60_000):
        return {"ts": ts, "ms_played": ms, "master_metadata_track_name": title,
                "master_metadata_album_artist_name": "A", "reason_start": reason_start, "reason_end": "trackdone",
                "offline_timestamp": offline}
    db = store.open_memory_store()
    files = [[record("B", "trackdone"), record("B", "clickrow")], [record("Zed"), record("Alpha")],
             [record("Early", ts="2024-02-01T09:59:59Z", ms=59_000), record("Mid", offline=1706781540)],
             [record("Later", ts="2024-02-01T10:00:01Z", ms=61_000)]]  # starts with the others
    for n, records in enumerate(files):
        for profile in ("other", "me"):
            assert not import_files(db, uploads=[(f"Streaming_History_Audio_2024_{n}.json", orjson.dumps(records))],
                                    profile=profile).errors
    plays = history.load_plays(db, "me")
    assert _frame_order(plays) == _expected_order(db, "me")
    assert [t for t in plays["track_name"].astype(object)] == ["Early", "Alpha", "B", "B", "Mid", "Zed", "Later"]
    assert list(plays["reason_start"].astype(object)[2:4]) == ["clickrow", "trackdone"]


@pytest.mark.parametrize("longest_ms", [600_000, 1 << 33])  # one sort key, and the two-key sort it stands for
def test_reading_order_is_end_then_ms(longest_ms):
    from core.history.frame import _in_key_order
    rng = np.random.default_rng(7)
    end_s = rng.integers(1_500_000_000, 1_500_100_000, 5_000)
    ms = rng.integers(0, longest_ms, 5_000)
    order = _in_key_order(None, end_s, ms, np.arange(5_000))  # no ties: the store is never asked
    assert np.array_equal(order, np.lexsort((ms, end_s)))


@pytest.mark.parametrize("export", ["extended-2026-b.zip", "account-2025-e", "extended-endsong-c.zip"])
def test_a_real_history_is_in_start_then_natural_key_order(export):
    from tests.conftest import real_data_dir
    db = store.open_memory_store()
    import_files(db, paths=[real_data_dir() / "exports" / export], profile="p")
    expected = _expected_order(db, "p")
    ends = [row[:2] for row in expected]
    assert len(ends) - len(set(ends)) > 20  # plays that share an end second and ms, for the tie order
    assert _frame_order(history.load_plays(db, "p")) == expected


def test_filters_date_range_is_inclusive_in_local_dates_and_content_is_kept_apart():
    plays = history.load_plays(a_history(ROWS), "me")
    may_first = explore.apply_filters(plays, explore.Filters(start=dt.date(2024, 5, 1), end=dt.date(2024, 5, 1),
                                                             tz="Europe/Berlin"))
    assert list(may_first["track_name"].astype(object)) == ["Across midnight"]
    in_utc = explore.apply_filters(plays, explore.Filters(start=dt.date(2024, 5, 1), end=dt.date(2024, 5, 1)))
    assert list(in_utc["track_name"].astype(object)) == ["Across midnight"]  # 21:50 UTC is 1 May in UTC too
    assert explore.apply_filters(plays, explore.Filters(content=("podcast",))).empty
    everything = explore.apply_filters(plays, explore.Filters(min_ms=0))
    assert everything["is_stream"].all()


@pytest.mark.parametrize("countries, zone", [
    (["DE", "DE", "ZZ", "FR"], "Europe/Berlin"), (["ZZ", "ZZ"], "UTC"), ([], "UTC"), ([None, "US"], "America/New_York"),
    (["PL", "PL", "EE"], "Europe/Warsaw"),
])
def test_guess_timezone(countries, zone):
    assert explore.guess_timezone(countries) == zone
    # the page passes the frame's categorical column, with categories no play uses
    column = pd.Series(pd.Categorical(countries, categories=sorted({*filter(None, countries), "SE", "JP"})))
    assert explore.guess_timezone(column) == zone


def test_guess_timezone_breaks_a_tie_by_country_code():
    assert explore.guess_timezone(["SE", "FR", "SE", "FR", "ZZ", "ZZ", "ZZ"]) == "Europe/Paris"


def test_snapshot_round_trips_and_is_replaced_after_an_import(tmp_path):
    db_path = tmp_path / "s.db"
    db = store.open_store(db_path)
    import_files(db, uploads=[("Streaming_History_Audio_2024_0.json", orjson.dumps(
        [{"ts": "2024-01-01T10:00:00Z", "ms_played": 100_000, "master_metadata_track_name": "One"}]))])
    fresh = history.load_plays_snapshot(db, db_path, "me")
    pd.testing.assert_frame_equal(fresh, history.load_plays(db, "me"))
    again = history.load_plays_snapshot(db, db_path, "me")
    pd.testing.assert_frame_equal(again, fresh)
    assert [p.name for p in (tmp_path / "s.db.explore").iterdir()] == [history.snapshot_path(db_path, "me", "1.0", store.store_id(db)).name]
    import_files(db, uploads=[("Streaming_History_Audio_2024_1.json", orjson.dumps(
        [{"ts": "2024-01-02T10:00:00Z", "ms_played": 100_000, "master_metadata_track_name": "Two"}]))])
    newer = history.load_plays_snapshot(db, db_path, "me")
    assert list(newer["track_name"].astype(object)) == ["One", "Two"]
    assert [p.name for p in (tmp_path / "s.db.explore").iterdir()] == [history.snapshot_path(db_path, "me", "2.0", store.store_id(db)).name]


def test_a_snapshot_from_before_arrow_files_is_deleted_when_the_new_one_is_written(tmp_path):
    db_path = tmp_path / "s.db"
    db = store.open_store(db_path)
    import_files(db, uploads=[("Streaming_History_Audio_2024_0.json", orjson.dumps(
        [{"ts": "2024-01-01T10:00:00Z", "ms_played": 100_000, "master_metadata_track_name": "One"}]))])
    new = history.snapshot_path(db_path, "me", "1.0", store.store_id(db))
    new.parent.mkdir()
    old = new.with_suffix(".parquet")  # what an earlier Encore wrote for this very version
    history.load_plays(db, "me").to_parquet(old)
    other = history.snapshot_path(db_path, "someone else", "1.0", store.store_id(db)).with_suffix(".parquet")
    other.write_bytes(b"")
    plays = history.load_plays_snapshot(db, db_path, "me")
    assert sorted(p.name for p in new.parent.iterdir()) == sorted([new.name, other.name])
    pd.testing.assert_frame_equal(history.load_plays_snapshot(db, db_path, "me"), plays)


def test_a_snapshot_written_behind_holds_the_same_plays(tmp_path):
    import threading
    db_path = tmp_path / "s.db"
    db = store.open_store(db_path)
    import_files(db, uploads=[("Streaming_History_Audio_2024_0.json", orjson.dumps(
        [{"ts": f"2024-01-0{day}T10:00:00Z", "ms_played": 100_000, "master_metadata_track_name": "One"}
         for day in range(1, 4)]))])
    plays = history.load_plays_snapshot(db, db_path, "me", write_behind=True)
    pd.testing.assert_frame_equal(plays, history.load_plays(db, "me"))
    for writer in [t for t in threading.enumerate() if t.name == "encore-snapshot"]:
        writer.join()
    files = list((tmp_path / "s.db.explore").iterdir())  # the file, and no temporary one left
    assert [p.name for p in files] == [history.snapshot_path(db_path, "me", "1.0", store.store_id(db)).name]
    pd.testing.assert_frame_equal(history.load_plays_snapshot(db, db_path, "me"), plays)


@pytest.mark.parametrize("tz", ["Europe/Berlin", "Asia/Beirut", "America/Santiago", "UTC"])
def test_date_range_keeps_exactly_the_plays_whose_local_start_date_is_inside(tz):
    # every 20 minutes through two years: DST changes, including zones whose clocks jump
    # back across midnight (Beirut) or skip midnight (Santiago)
    starts = pd.date_range("2021-01-01", "2022-12-31", freq="20min", tz="UTC")
    plays = pd.DataFrame({"start": starts, "ms_played": 60_000,
                          "content_type": pd.Categorical(["music"] * len(starts))})
    localised = explore.localise(plays, tz)
    for first, last in [(dt.date(2021, 3, 28), dt.date(2021, 3, 28)), (dt.date(2021, 10, 30), dt.date(2021, 11, 1)),
                        (dt.date(2022, 4, 2), dt.date(2022, 9, 4)), (None, dt.date(2021, 1, 1))]:
        chosen = explore.select_rows(localised, explore.Filters(start=first, end=last, tz=tz))
        dates = localised["local"].dt.date
        inside = (dates >= (first or dt.date.min)) & (dates <= last)
        assert chosen.index.tolist() == localised.index[inside].tolist(), (tz, first, last)


@pytest.mark.parametrize("first, last", [(dt.date(2021, 10, 31), None), (None, dt.date(2021, 10, 30)),
                                         (dt.date(2021, 10, 30), dt.date(2021, 10, 31)), (None, None),
                                         (dt.date(2021, 11, 2), dt.date(2021, 11, 1))])
def test_date_range_is_exact_where_the_clocks_go_back_across_a_bound(first, last):
    # clocks going back from 00:30 to 23:30 (no zone in use does this today): the wall clock
    # crosses midnight twice, so the plays inside a range starting or ending there are not one run
    wall = pd.to_datetime(["2021-10-30 22:00", "2021-10-30 23:45", "2021-10-31 00:10", "2021-10-31 00:25",
                           "2021-10-30 23:40", "2021-10-30 23:55", "2021-10-31 00:05", "2021-10-31 09:00"])
    rows = pd.DataFrame({"wall": wall.to_numpy(dtype="datetime64[us]"), "n": range(len(wall))})
    chosen = explore.select_dates(rows, first, last)
    dates = wall.date
    inside = [(first is None or d >= first) and (last is None or d <= last) for d in dates]
    assert chosen["n"].tolist() == rows["n"][inside].tolist()


def test_date_range_is_exact_for_any_wall_clock_that_goes_back_now_and_then():
    # the wall clock of plays in UTC order: rising, but going back an hour where clocks do
    # (here at random, midnight and the range's bounds included); every range is exactly the
    # plays whose date is in it, however the binary search lands
    rng = np.random.default_rng(5)
    hour = 3_600_000_000
    for _ in range(300):
        steps = rng.integers(0, 5 * hour, 60)
        back = rng.random(60) < 0.1
        wall = np.cumsum(np.where(back, -rng.integers(0, 2 * hour, 60), steps)) + 1_700_000_000_000_000
        rows = pd.DataFrame({"wall": wall.astype("datetime64[us]"), "n": range(len(wall))})
        days = wall.astype("datetime64[us]").astype("datetime64[D]")
        first, last = sorted(rng.choice(days, 2))
        first = None if rng.random() < 0.2 else first.item()
        last = None if rng.random() < 0.2 else last.item()
        inside = [(first is None or d >= first) and (last is None or d <= last) for d in days.tolist()]
        assert explore.select_dates(rows, first, last)["n"].tolist() == rows["n"][inside].tolist()


def test_a_page_draws_a_chart_unchecked_and_the_spec_is_the_checked_one(monkeypatch):
    monkeypatch.delenv(explore.charts.VALIDATE_ENV, raising=False)
    data = pd.DataFrame({"hour": [0, 1], "weekday": ["Mon", "Tue"], "hours": [1.0, 2.0]})
    chart = explore.heatmap(data, x="hour", y="weekday", value="hours", title="t")
    calls = []
    monkeypatch.setattr(type(chart), "validate", classmethod(lambda cls, *a, **k: calls.append(1)))
    unchecked = chart.to_dict()
    assert calls == []
    assert unchecked == chart.to_dict(validate=True) and calls


def test_a_chart_is_made_once_for_the_same_data_and_arguments():
    data = pd.DataFrame({"hour": [0, 1], "weekday": ["Mon", "Tue"], "hours": [1.0, 2.0]})

    def heatmap(frame, **extra):
        return explore.heatmap(frame, x="hour", y="weekday", value="hours", title="t", **extra)

    chart = heatmap(data)
    assert heatmap(data.copy()) is chart  # equal data: the chart made before
    assert explore.tall(chart, 3) is explore.tall(heatmap(data.copy()), 3)  # and what is made of it
    others = [heatmap(data.assign(hours=[1.0, 2.5])), heatmap(data.assign(hours=[1, 2])),  # a value, a type
              heatmap(data.rename(columns={"weekday": "day"}).assign(weekday=data["weekday"])),  # a column
              heatmap(data.iloc[::-1]), heatmap(data, x_sort=[1, 0]), explore.tall(chart, 4),  # order, arguments
              heatmap(data.assign(weekday=["Mon", "Wed"])), heatmap(data.assign(weekday=["Mon", None])),  # a name
              heatmap(data.assign(weekday=["Mon", "None"])), heatmap(data.set_index(pd.Index([5, 6])))]  # the index
    keys = {explore.chart_key(c) for c in [chart, *others]}
    assert len(keys) == 11 and None not in keys
    assert all(c is not chart for c in others)
    levels = pd.Categorical(["Mon", "Tue"], categories=["Tue", "Mon"])
    ordered = [heatmap(data.assign(weekday=levels)), heatmap(data.assign(weekday=levels.as_ordered())),
               heatmap(data.assign(weekday=levels.reorder_categories(["Mon", "Tue"])))]
    assert len({explore.chart_key(c) for c in ordered}) == 3  # the categories' order and ordering count
    mixed = pd.DataFrame({"hour": range(6_000), "weekday": [1, "x"] * 3_000, "hours": 1.0})
    assert explore.chart_key(heatmap(mixed)) is None  # mixed types: no key (1 and "1" could meet)
    assert explore.chart_key(chart.properties(height=100)) is None  # a chart changed after: not kept
    assert explore.chart_key(alt.Chart(data).mark_rect()) is None


# --- top lists and monthly ranks against the rule written out plainly ----------------------------

def _tied_plays(seed: int) -> pd.DataFrame:
    """Plays built for ties: few items, few lengths, names that sort in tricky ways (case,
    spaces, accents), two songs with the same title and artist, plays without names."""
    rng = np.random.default_rng(seed)
    n = 400
    artists = ["b", "B", "a b", "é", "a"]
    songs = [("k1", "Song", "a"), ("k2", "Song", "a"), ("k3", "song", "B"), ("k4", "Zed", "é"), ("k5", "Zed", "b"),
             ("k3", "Song (Remaster)", "B"), ("k6", "x", None)]
    song = rng.integers(0, len(songs), n)
    ms = rng.choice([0, 10_000, 30_000, 60_000], n)
    wall = (np.datetime64("2023-11-20") + rng.integers(0, 100, n).astype("timedelta64[D]")
            + rng.integers(0, 86_400, n).astype("timedelta64[s]")).astype("datetime64[us]")
    frame = pd.DataFrame({
        "wall": np.sort(wall),
        "ms_played": ms,
        "song_key": [songs[s][0] for s in song],
        "track_name": [songs[s][1] for s in song],
        "artist_name": [songs[s][2] if rng.random() > 0.1 else artists[rng.integers(0, len(artists))] for s in song],
        "album_name": rng.choice(["One", "one", "Two", None], n),
    })
    frame.loc[rng.random(n) < 0.05, "track_name"] = None
    frame["local"] = frame["wall"].dt.tz_localize("UTC")
    frame["is_stream"] = frame["ms_played"] >= 30_000
    # categoricals with unused categories, as a date range leaves them
    for column in ("song_key", "track_name", "artist_name", "album_name"):
        frame[column] = pd.Categorical(frame[column], categories=sorted(set(frame[column].dropna())) + ["unused"])
    return frame


def _plain_ranking(frame: pd.DataFrame, by: str, rank_by: str, labels: dict | None = None) -> list[tuple]:
    """(key, name, streams, ms) in rank order, computed play by play; ``labels``: the songs'
    (name, artist) to rank by instead of the ones of these plays."""
    totals, spellings = {}, {}
    for i, play in enumerate(frame.itertuples()):
        if by == "artist":
            if pd.isna(play.artist_name):
                continue
            key = play.artist_name
            order = (key,)
        elif by == "album":
            if pd.isna(play.album_name) or pd.isna(play.artist_name):
                continue
            key = order = (play.album_name, play.artist_name)
        else:
            if pd.isna(play.track_name) or pd.isna(play.song_key):
                continue
            key, order = play.song_key, None
            spelling = spellings.setdefault(key, {}).setdefault((play.track_name, play.artist_name), [0, 0, i])
            spelling[0] += int(play.is_stream)
            spelling[1] += play.ms_played
        total = totals.setdefault(key, [0, 0, order])
        total[0] += int(play.is_stream)
        total[1] += play.ms_played
    rows = []
    for key, (streams, ms, order) in totals.items():
        if by == "track":  # the spelling streamed most, then played longest, then played first
            title, artist = min(spellings[key], key=lambda s: (-spellings[key][s][0], -spellings[key][s][1],
                                                                 spellings[key][s][2]))
            artist = "?" if pd.isna(artist) else artist
            order = labels[key] if labels else (f"{title} — {artist}", artist)
        rows.append((key, order[0], streams, ms, order))
    first = 2 if rank_by == "streams" else 3
    rows = [r for r in rows if r[first] > 0]
    return [r[:4] for r in sorted(rows, key=lambda r: (-r[first], -r[5 - first], *r[4], str(r[0])))]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("by", ["artist", "track", "album"])
@pytest.mark.parametrize("rank_by", ["streams", "time"])
def test_ranked_items_follow_the_rule_through_ties(seed, by, rank_by):
    frame = _tied_plays(seed)
    ranked = explore.ranked_items(frame, by, rank_by)
    assert list(zip(ranked["key"], ranked["name"], ranked["streams"], ranked["ms"])) == \
        _plain_ranking(frame, by, rank_by)
    assert ranked["rank"].tolist() == list(range(1, len(ranked) + 1))


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("by", ["artist", "track"])
@pytest.mark.parametrize("path", ["blocks", "small blocks", "dense", "hashed"])
def test_monthly_rank_is_the_place_in_each_months_top_list(seed, by, path, monkeypatch):
    from core.explore import detail
    from core.history import frame as history_frame

    # the (month, item) pairs counted a few months at a time (plays in time order; "small
    # blocks": three rows at a time, so blocks cut at every month), in one table of all pairs,
    # or hashed
    if path == "small blocks":
        monkeypatch.setattr(history_frame, "BLOCK_ROWS", 3)
    if path in ("dense", "hashed"):
        monkeypatch.setattr(detail, "ordered_blocks", lambda major, width: None)
    if path == "hashed":
        monkeypatch.setattr(history_frame, "DENSE_CELLS", 0)
    frame = _tied_plays(seed)
    months = frame["wall"].to_numpy().astype("datetime64[M]")
    # a song is ranked under the name it has in the whole selection
    labels = {key: (name, name.rsplit(" — ", 1)[1]) for key, name, *_ in _plain_ranking(frame, by, "time")
              } if by == "track" else None
    for key, *_ in _plain_ranking(frame, by, "streams"):
        expected = []
        for month in np.unique(months):
            place = [k for k, *_ in _plain_ranking(frame[months == month], by, "streams", labels)]
            if key in place:
                expected.append((pd.Timestamp(month), place.index(key) + 1))
        ranks = detail._monthly_ranks_of([detail.detail_part(frame, by)], key)
        assert list(zip(ranks["month"], ranks["rank"])) == expected, key


@pytest.mark.parametrize("rows, dense", [(1 << 16, 1 << 21), (7, 1 << 21), (7, 40), (1000, 13)])
def test_cell_sums_a_block_at_a_time_equal_one_table_of_every_cell(rows, dense, monkeypatch):
    from core.history import frame as history_frame

    monkeypatch.setattr(history_frame, "BLOCK_ROWS", rows)
    monkeypatch.setattr(history_frame, "DENSE_CELLS", dense)
    generator = np.random.default_rng(rows + dense)
    width = 13
    major = np.sort(generator.integers(0, 40, 500))  # e.g. the months of plays in time order
    cell = major * width + generator.integers(0, width, 500)
    weights = generator.integers(0, 1000, 500).astype(float), generator.random(500)
    blocks = history_frame.ordered_blocks(major, width)
    assert blocks[0] == 0 and np.all(np.diff(blocks) > 0) and np.all(major[blocks[1:]] != major[blocks[1:] - 1])
    got, sums = history_frame.cell_sums(cell, 40 * width, *weights, blocks=blocks)
    present = np.unique(cell)
    assert got.tolist() == present.tolist()
    for total, w in zip(sums, weights):
        np.testing.assert_allclose(total, [w[cell == c].sum() for c in present])
    assert history_frame.ordered_blocks(major[::-1], width) is None  # a major that goes down: no blocks
    assert history_frame.ordered_blocks(major[:0], width) is None
    assert history_frame.ordered_blocks(major, dense + 1) is None  # one major wider than a block may be
    # majors far apart: blocks of whole majors, no table of every major in between
    far = np.array([0, 0, 1, 2**40, 2**40 + 1])
    assert history_frame.ordered_blocks(far, 1).tolist() == [0, 3]


@pytest.mark.parametrize("rows", [1 << 16, 1, 7])
def test_trues_per_run_count_as_reduceat_does(rows, monkeypatch):
    from core.history import frame as history_frame

    monkeypatch.setattr(history_frame, "BLOCK_ROWS", rows)  # the flags counted this many at a time
    generator = np.random.default_rng(rows)
    flags = generator.random(300) < 0.6
    for bounds in (np.array([0]), np.arange(300), np.array([5, 6, 100, 299]),
                   np.unique(np.r_[0, generator.integers(0, 300, 40)])):
        assert history_frame.trues_per_run(flags, bounds).tolist() == \
            np.add.reduceat(flags, bounds, dtype=np.int64).tolist()


def test_forgetting_a_profiles_snapshots_waits_for_one_written_behind(tmp_path, monkeypatch):
    import threading
    import time

    from core.history import frame
    db_path = tmp_path / "s.db"
    db = store.open_store(db_path)
    import_files(db, uploads=[("Streaming_History_Audio_2024_0.json", orjson.dumps(
        [{"ts": "2024-01-01T10:00:00Z", "ms_played": 100_000, "master_metadata_track_name": "One"}]))])
    started = threading.Event()
    write = frame._write_snapshot

    def slow_write(plays, path):
        started.set()
        time.sleep(0.5)  # still writing when the profile's snapshots are forgotten
        write(plays, path)

    monkeypatch.setattr(frame, "_write_snapshot", slow_write)
    history.load_plays_snapshot(db, db_path, "me", write_behind=True)
    assert started.wait(5)
    history.forget_snapshots(db_path, "me")  # e.g. the profile is deleted
    assert list((tmp_path / "s.db.explore").iterdir()) == []  # the write finished first, then went


def test_episodes_that_read_alike_are_one_item():
    cat = lambda *values: pd.Categorical(list(values))  # noqa: E731
    plays = pd.DataFrame({
        "song_key": cat(None, None, None, None), "track_key": cat(None, None, None, None),
        "track_id": cat(None, None, None, None), "track_name": cat(None, None, None, None),
        "artist_name": cat(None, None, None, None), "audiobook_title": cat(None, None, None, None),
        "show_name": cat("Daily — News", "Daily", None, "?"),
        "episode_name": cat("Monday", "News — Monday", "X", "X"),
    })
    assert history.item_keys(plays).astype(object).tolist() == [
        "episode:Daily — News — Monday", "episode:Daily — News — Monday", "episode:? — X", "episode:? — X"]


@pytest.mark.parametrize("index", [pd.RangeIndex(0, 10), pd.RangeIndex(5, 15), pd.Index([3, 4, 8, 9, 11, 12, 20, 21, 22, 30]),
                                   pd.RangeIndex(0, 20, 2)])
def test_positions_in_finds_a_selections_rows_among_the_rows_it_came_from(index):
    values = index.to_numpy()
    for picked in ([2, 3, 4, 5], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 4, 7], [9], [], [0, 9], [0, 2, 1, 3], [2, 2],
                   [4, 3]):
        at = explore.positions_in(index, pd.Index(values[picked], dtype=index.dtype))
        expected = list(range(len(values)))[slice(picked[0], picked[-1] + 1)] if picked else []
        found = list(range(len(values)))[at] if isinstance(at, slice) else list(at)
        assert found == picked
        assert isinstance(at, slice) == (bool(picked) and expected == picked)  # one run: a slice, nothing copied
    assert explore.positions_in(index, pd.Index([values[0], values[-1] + 100])) is None  # a label that is not there
    assert explore.positions_in(index, pd.Index([int(values.min()) - 1])) is None


@pytest.mark.parametrize("low, high, maxbins, bins", [
    # worked by hand through Vega's rule (vega-statistics bin: base 10, divide by 5 then 2, nice ends)
    (0, 100, 40, (0, 100, 5)),  # step 1 gives 100 bins, 10 gives 10: 10/5 = 2 is too many, 10/2 = 5 fits
    (1.5, 731.2, 40, (0, 740, 20)),  # step 100 -> 20 (36.5 bins); 10 would be 73
    (12, 12, 40, (12, 12.5, 0.5)),  # one value: span |12|, step 1 -> 0.5 (24 bins); one bin from it
    (0.013, 0.97, 10, (0, 1, 0.1)),
    (0, 4320, 40, (0, 4400, 200)),  # three days of minutes
])
def test_histogram_bins_follow_vegas_rule(low, high, maxbins, bins):
    assert explore.charts.nice_bins(low, high, maxbins) == pytest.approx(bins)


def test_a_histogram_counts_each_value_once_the_largest_in_the_last_bin():
    starts, counts, step = explore.charts.binned(np.array([0.0, 4.9, 5.0, 5.0, 37.5, 100.0, np.nan]), 40)
    assert step == 5
    assert starts.tolist() == [0, 5, 35, 95] and counts.tolist() == [2, 2, 1, 1]
    chart = explore.histogram(pd.DataFrame({"minutes": [0.0, 4.9, 5.0, 100.0]}), "minutes", "Lengths", bins=40)
    drawn = chart.data
    assert drawn["count"].sum() == 4 and drawn["range"].tolist() == ["0–5", "5–10", "95–100"]
    empty = explore.histogram(pd.DataFrame({"minutes": []}, dtype=float), "minutes", "Lengths", bins=40)
    assert empty.data.empty


def test_plays_deleted_by_another_connection_while_loading_are_not_half_seen(tmp_path, monkeypatch):
    # an import undone (its plays deleted) between reading the plays and ordering their ties:
    # the load sees the store as it was when it began, whole
    path = tmp_path / "s.db"
    db = store.open_store(path)
    records = [{"ts": "2024-02-01T10:00:00Z", "ms_played": 60_000, "master_metadata_track_name": title,
                "master_metadata_album_artist_name": "A"} for title in ("B", "A", "C")]
    assert not import_files(db, uploads=[("Streaming_History_Audio_2024_0.json", orjson.dumps(records))]).errors
    expected = history.load_plays(db, "me")
    key_order = store.key_order

    def deleted_meanwhile(db_, ids):
        other = store.open_store(path)
        with store.write_transaction(other):
            other.execute("DELETE FROM plays")
        other.close()
        return key_order(db_, ids)

    monkeypatch.setattr(store, "key_order", deleted_meanwhile)
    pd.testing.assert_frame_equal(history.load_plays(db, "me"), expected)
    monkeypatch.undo()
    assert history.load_plays(db, "me").empty


def test_track_keys_are_the_id_else_artist_and_title_once_per_pair():
    from core.history.frame import track_keys

    text = lambda values: pd.Categorical(values)  # noqa: E731 (as load_plays makes the columns)
    plays = pd.DataFrame({
        "track_id": text(["id1", None, None, "id2", None, None, None, "id1"]),
        "artist_name": text(["A", "A", "B", "A", None, "A", None, "A"]),
        "track_name": text(["x", "x", "y", "z", "w", None, None, "x"]),
    })
    keys = track_keys(plays)
    assert list(keys) == ["id1", "A — x", "B — y", "id2", "? — w", "A — ?", "? — ?", "id1"]
    assert list(keys.categories) == ["id1", "A — x", "B — y", "id2", "? — w", "A — ?", "? — ?"]  # first seen first
