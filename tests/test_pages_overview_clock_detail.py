"""AppTests for Overview, Listening clock and Artist & track: they run, and their charts show the aggregates."""
import datetime as dt
import io
import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit import dataframe_util
from streamlit.testing.v1 import AppTest

from core import explore, history, store
from tests.conftest import shown

HOME = str(Path(__file__).resolve().parent.parent / "Home.py")


@pytest.fixture
def db_path(demo_db, monkeypatch):
    monkeypatch.setenv("ENCORE_DB", str(demo_db))
    return demo_db


def open_page(page: str) -> AppTest:
    at = AppTest.from_file(HOME, default_timeout=60)
    at.session_state["profile"] = "demo"
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def current_frame(at: AppTest, db_path: Path) -> pd.DataFrame:
    """The frame the page works on, rebuilt from the sidebar controls it shows."""
    start, end = at.date_input(key="f_dates").value
    filters = explore.Filters(start=start, end=end, content=tuple(at.multiselect(key="f_content").value),
                              min_ms=30_000, tz=at.selectbox(key="f_tz").value)
    assert at.radio(key="f_rule").value == "From 30 seconds (Spotify's rule)"
    return explore.apply_filters(history.load_plays(store.open_store(db_path), "demo"), filters)


def chart_data(at: AppTest, title: str) -> pd.DataFrame:
    """The data of the chart with this title, read back from the Vega-Lite element's Arrow dataset."""
    found = []
    for element in at.get("vega_lite_chart"):
        spec = json.loads(element.proto.spec)
        if spec.get("title") == title:
            (dataset,) = element.proto.datasets
            found.append(dataframe_util.convert_arrow_bytes_to_pandas_df(dataset.data.data))
    assert len(found) == 1, f"{len(found)} charts titled {title!r}"
    return found[0]


def chart_titles(at: AppTest) -> list[str]:
    return [json.loads(e.proto.spec).get("title") for e in at.get("vega_lite_chart")]


def chart_spec(at: AppTest, title: str) -> dict:
    (spec,) = [s for s in (json.loads(e.proto.spec) for e in at.get("vega_lite_chart")) if s.get("title") == title]
    return spec


def table_formats(at: AppTest, index: int) -> dict[str, str]:
    """The number format each column of a page's index-th dataframe is given."""
    columns = json.loads(at.dataframe[index].proto.columns)
    return {name: c["type_config"]["format"] for name, c in columns.items() if "format" in c.get("type_config", {})}


def test_overview_metrics_and_listening_time_chart_equal_the_aggregates(db_path):
    at = open_page("pages/overview.py")
    assert at.title[0].value == "Overview"
    frame = current_frame(at, db_path)
    totals = explore.totals(frame)
    assert {m.label: m.value for m in at.metric} == {
        "Streams": f"{totals['streams']:,}", "Plays": f"{totals['plays']:,}", "Hours": f"{totals['hours']:,}",
        "Tracks": f"{totals['tracks']:,}", "Artists": f"{totals['artists']:,}", "Albums": f"{totals['albums']:,}",
        "Days listened": f"{totals['days_listened']:,}"}
    pd.testing.assert_frame_equal(chart_data(at, "Hours listened per month"), explore.listening_time(frame, "month"))

    at.radio(key="overview_period").set_value("Year").run()
    assert not at.exception
    yearly = chart_data(at, "Hours listened per year")
    pd.testing.assert_frame_equal(yearly, explore.listening_time(frame, "year"))
    assert yearly["hours"].sum() == pytest.approx(frame["ms_played"].sum() / 3_600_000)
    # years on the time axis: the demo spans several, so one tick a year, each label naming its year
    x = chart_spec(at, "Hours listened per year")["encoding"]["x"]
    assert x["scale"] == {"type": "utc"}  # naive wall-clock periods, never shifted by the browser's zone
    assert x["axis"] == {"labelExpr": explore.TIME_LABELS, "tickCount": {"interval": "year", "step": 1}}
    # each column spans most of its period (not a hairline): its end is computed in the chart
    spec = chart_spec(at, "Hours listened per year")
    assert spec["encoding"]["x2"] == {"field": "period_start_end"}
    assert spec["mark"] == {"type": "bar", "color": explore.ACCENT, "orient": "vertical"}
    [calculate] = spec["transform"]
    assert calculate["as"] == "period_start_end"
    width_days = int(calculate["calculate"].rsplit("+", 1)[1]) / 86_400_000
    assert 300 <= width_days <= 366 * 0.9  # 85 % of a year


def test_overview_top_list_with_movement_against_the_previous_period(db_path):
    at = open_page("pages/overview.py")
    start, end = at.date_input(key="f_dates").value
    middle = start + (end - start) / 2
    at.date_input(key="f_dates").set_value((middle, end)).run()
    at.radio(key="overview_by").set_value("Tracks").run()
    at.radio(key="overview_rank_by").set_value("Time").run()
    at.number_input(key="overview_n").set_value(15).run()
    assert not at.exception

    frame = current_frame(at, db_path)
    window = explore.previous_period(explore.Filters(start=middle, end=end))
    previous = explore.apply_filters(history.load_plays(store.open_store(db_path), "demo"),
                                     explore.Filters(start=window[0], end=window[1], tz=at.selectbox(key="f_tz").value))
    expected = explore.top_items(frame, "track", "time", 15, previous)
    assert len(expected) == 15 and expected["previous_rank"].notna().any()

    chart = chart_data(at, "Top tracks by time")
    pd.testing.assert_frame_equal(chart.drop(columns=["label", "link"]), expected)
    assert chart["label"].tolist() == [f"{r}. {n}" for r, n in zip(expected["rank"], expected["name"])]
    from urllib.parse import urlencode
    assert chart["link"].tolist() == ["./detail?" + urlencode({"song": k, "profile": "demo"}) for k in explore.top_items(frame, "track", "time", 15, previous, keys=True)["key"]]
    table = at.dataframe[0].value
    assert table.columns.tolist() == ["rank", "name", "streams", "hours", "change", "link"]
    # each song opens on the Artist & track page
    songs = explore.ranked_items(frame, "track", "time").head(15)["key"]
    assert table["link"].tolist() == [f"./detail?{urlencode({'song': k, 'profile': 'demo'})}" for k in songs]
    assert table_formats(at, 0) == {"streams": "%,d", "hours": "%,.1f"}  # thousands separated, as the metrics
    assert table["change"].tolist() == [explore.movement_arrow(m) for m in expected["movement"]]
    assert set(table["change"]) <= {"new", "="} | {f"{a}{i}" for a in "↑↓" for i in range(1, 1000)}
    assert at.caption[-1].value.startswith(f"Movement compares with {window[0]:%d %b %Y}")


def test_overview_after_a_new_zone_counts_the_plays_that_zone_selects(db_path):
    # counts and top lists are cached on the plays selected, not on the zone: a zone that moves
    # plays across the range's ends must count again, one that keeps them may not differ
    at = open_page("pages/overview.py")
    plays = history.load_plays(store.open_store(db_path), "demo")
    # a range ending on the UTC date of a play started after noon UTC: Kiritimati (UTC+14)
    # places that play the next day, Pago Pago (UTC-11) the same day
    late = plays[(plays["start"].dt.hour >= 12) & (plays["content_type"] == "music")].iloc[len(plays) // 3]["start"]
    days = (late.date() - dt.timedelta(days=60), late.date())
    at.date_input(key="f_dates").set_value(days).run()
    at.radio(key="overview_by").set_value("Tracks").run()
    seen = []
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago", "Pacific/Kiritimati", "UTC"):
        at.selectbox(key="f_tz").set_value(zone).run()
        assert not at.exception
        frame = current_frame(at, db_path)
        totals = explore.totals(frame)
        metrics = {m.label: m.value for m in at.metric}
        assert metrics == {"Streams": f"{totals['streams']:,}", "Plays": f"{totals['plays']:,}",
                           "Hours": f"{totals['hours']:,}", "Tracks": f"{totals['tracks']:,}",
                           "Artists": f"{totals['artists']:,}", "Albums": f"{totals['albums']:,}",
                           "Days listened": f"{totals['days_listened']:,}"}
        window = explore.previous_period(explore.Filters(start=days[0], end=days[1]))
        previous = explore.apply_filters(plays, explore.Filters(start=window[0], end=window[1], tz=zone))
        expected = explore.top_items(frame, "track", "streams", 10, previous)
        pd.testing.assert_frame_equal(chart_data(at, "Top tracks by streams").drop(columns=["label", "link"]), expected)
        seen.append(metrics["Plays"])
    assert seen[0] != seen[1] and seen[0] == seen[2]  # 25 hours apart: the range holds other plays


def test_the_whole_history_stays_selected_in_another_zone(db_path):
    # the range starts as the whole history; in another zone the whole history spans other
    # local dates, and the range follows them, even where the old dates would still fit inside
    at = open_page("pages/overview.py")
    plays = history.load_plays(store.open_store(db_path), "demo")
    music = int((plays["content_type"] == "music").sum())

    def whole(zone):
        local = plays["start"].dt.tz_convert(zone)
        return local.min().date(), local.max().date()

    zones = ["Pacific/Kiritimati", "Asia/Tokyo", "Europe/Berlin", "UTC", "America/New_York", "America/Los_Angeles",
             "Pacific/Pago_Pago"]
    # a zone whose whole history holds the one before's inside it (old dates that still fit)
    wider = next((a, b) for a, b in zip(zones, zones[1:])
                 if whole(b) != whole(a) and whole(b)[0] <= whole(a)[0] and whole(a)[1] <= whole(b)[1])
    for zone in (*wider, "UTC"):
        at.selectbox(key="f_tz").set_value(zone).run()
        assert at.date_input(key="f_dates").value == whole(zone), zone
        assert {m.label: m.value for m in at.metric}["Plays"] == f"{music:,}"
    # a range of one's own is kept as it is
    narrower = (whole("UTC")[0] + dt.timedelta(days=1), whole("UTC")[1])
    at.date_input(key="f_dates").set_value(narrower).run()
    at.selectbox(key="f_tz").set_value("Asia/Tokyo").run()
    assert at.date_input(key="f_dates").value == narrower


def test_overview_says_why_movement_is_missing_at_the_start_of_the_history(db_path):
    at = open_page("pages/overview.py")
    table = at.dataframe[0].value
    assert set(table["change"]) == {"–"}
    assert any(c.value.startswith("No movement shown: nothing was played in the previous period") for c in at.caption)


def test_overview_explains_an_empty_top_list(db_path):
    at = open_page("pages/overview.py")
    at.multiselect(key="f_content").set_value(["podcast"]).run()
    assert not at.exception
    assert any(i.value.startswith("No artists to rank") for i in at.info)
    assert chart_titles(at) == ["Hours listened per month"]


def test_clock_heatmap_and_weekday_weekend_equal_the_aggregates(db_path):
    at = open_page("pages/clock.py")
    assert at.title[0].value == "Listening clock"
    frame = current_frame(at, db_path)
    pd.testing.assert_frame_equal(chart_data(at, "Hours by hour and weekday"), explore.clock_heatmap(frame, "hours"))
    split = explore.weekday_vs_weekend(frame)
    pd.testing.assert_frame_equal(chart_data(at, "Share of the day's listening in each hour (%)"),
                                  split.assign(percent=split["share"] * 100))
    two_rows = chart_spec(at, "Share of the day's listening in each hour (%)")
    assert two_rows["height"] < chart_spec(at, "Hours by hour and weekday")["height"]
    assert two_rows["encoding"]["x"]["axis"] == {"labelAngle": 0}
    per_day = split.groupby("day_type")["hours_per_day"].sum()
    assert {m.label: m.value for m in at.metric} == {
        "Weekday (Mon–Fri)": f"{per_day['weekday']:.1f} h a day",
        "Weekend (Sat, Sun)": f"{per_day['weekend']:.1f} h a day"}

    at.radio(key="clock_value").set_value("Streams").run()
    at.radio(key="clock_top_n").set_value(2).run()
    assert not at.exception
    pd.testing.assert_frame_equal(chart_data(at, "Streams by hour and weekday"), explore.clock_heatmap(frame, "streams"))
    table = at.dataframe[0].value
    top = explore.top_artist_by_hour(frame, 2)
    assert table.shape == (24, 2) and table.columns.tolist() == ["#1", "#2"]
    first = top[top["rank"] == 1].iloc[0]
    from urllib.parse import urlencode
    link = "./detail?" + urlencode({"artist": first["artist"], "profile": "demo"})
    # shown as "artist · hours", a link to the artist (LinkColumn shows what follows the "#")
    assert table.loc[f"{first['hour']:02d}:00", "#1"] == f"{link}#{first['artist']} · {first['hours']:.1f} h"


def test_detail_artist_charts_equal_the_aggregates(db_path):
    at = open_page("pages/detail.py")
    assert at.title[0].value == "Artist & track"
    frame = current_frame(at, db_path)
    ranked = explore.ranked_items(frame, "artist", "streams")
    picker = at.selectbox(key="detail_artist")
    assert picker.options == ranked["name"].tolist()
    second = ranked["name"].iloc[1]
    picker.set_value(second).run()
    assert not at.exception

    detail = explore.artist_detail(frame, second)
    assert at.subheader[0].value == second
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Streams"] == f"{detail['streams']:,}" and metrics["Hours"] == f"{detail['hours']:,.1f}"
    assert metrics["First listen"] == f"{detail['first_listen']:%d %b %Y}"
    assert metrics["Last listen"] == f"{detail['last_listen']:%d %b %Y}"
    pd.testing.assert_frame_equal(chart_data(at, "Streams per month"), detail["plays_over_time"])
    pd.testing.assert_frame_equal(chart_data(at, "Rank among all artists each month"), detail["rank_over_time"])
    rank_spec = chart_spec(at, "Rank among all artists each month")
    worst = int(detail["rank_over_time"]["rank"].max())
    # points only (months without a stream have none to join), rank 1 at the top with a tick of its own
    assert rank_spec["mark"]["type"] == "circle"
    assert rank_spec["encoding"]["y"]["scale"]["reverse"] is True
    assert rank_spec["encoding"]["y"]["scale"]["domain"] == [1, worst]
    assert rank_spec["encoding"]["y"]["axis"]["values"] == explore.rank_ticks(worst)
    tracks, albums = at.dataframe[0].value, at.dataframe[1].value
    assert table_formats(at, 0) == table_formats(at, 1) == {"streams": "%,d", "hours": "%,.1f"}
    assert tracks["streams"].tolist() == detail["top_tracks"]["streams"].tolist()
    assert albums["name"].tolist() == detail["top_albums"]["name"].tolist()


@pytest.mark.parametrize("worst, ticks", [
    (1, [1]), (3, [1, 2, 3]), (10, list(range(1, 11))), (11, [1, 2, 4, 6, 8, 10]), (20, [1, 5, 10, 15, 20]),
    (37, [1, 10, 20, 30]), (150, [1, 50, 100, 150]), (1000, [1, 200, 400, 600, 800, 1000]),
])
def test_rank_ticks_always_show_rank_1(worst, ticks):
    assert explore.rank_ticks(worst) == ticks


def test_detail_track(db_path):
    at = open_page("pages/detail.py")
    at.radio(key="detail_kind").set_value("Song").run()
    assert not at.exception
    frame = current_frame(at, db_path)
    ranked = explore.ranked_items(frame, "track", "streams")
    picker = at.selectbox(key="detail_track")
    assert picker.options == ranked["name"].tolist()  # shown as "title — artist", ordered by streams
    key = ranked["key"].iloc[2]
    picker.set_value(key).run()
    assert not at.exception
    detail = explore.track_detail(frame, key)
    assert at.subheader[0].value == detail["name"]
    pd.testing.assert_frame_equal(chart_data(at, "Rank among all songs each month"), detail["rank_over_time"])
    # a song streamed a few times a month: the streams axis ticks on whole streams only
    assert chart_spec(at, "Streams per month")["encoding"]["y"]["axis"] == {"format": ",d", "tickMinStep": 1}
    # no top lists for a song; its recordings instead
    pd.testing.assert_frame_equal(at.dataframe[0].value.reset_index(drop=True), detail["versions"], check_dtype=False)


def test_detail_explains_an_empty_selection(db_path):
    at = open_page("pages/detail.py")
    at.multiselect(key="f_content").set_value(["podcast"]).run()
    assert not at.exception
    assert shown(at.info[-1].value).startswith("No artist streamed in this range")


def test_a_link_opens_that_song_or_artist_on_the_detail_page(db_path):
    at = open_page("pages/overview.py")
    frame = current_frame(at, db_path)
    song = explore.ranked_items(frame, "track", "streams")["key"].iloc[3]
    at.query_params["song"] = song  # what the Overview table's link carries
    at.switch_page("pages/detail.py").run()
    assert not at.exception
    assert at.radio(key="detail_kind").value == "Song"
    assert at.selectbox(key="detail_track").value == song
    assert at.subheader[0].value == explore.track_detail(frame, song)["name"]
    assert not at.query_params  # read once: the person's own picks win afterwards
    artist = explore.ranked_items(frame, "artist", "streams")["key"].iloc[2]
    at.query_params["artist"] = artist
    at.run()
    assert (at.radio(key="detail_kind").value, at.selectbox(key="detail_artist").value) == ("Artist", artist)
    at.query_params["artist"] = "Nobody We Know"
    at.run()
    assert not at.exception
    assert any(i.value.startswith("“Nobody We Know” has no stream in the date range") for i in at.info)


def test_overview_and_clock_with_podcasts_added_show_the_plays_of_both(db_path, served):
    # each aggregate is kept per content type and added up on the page: the page must show what
    # the plays of both give, and the download (made on click) must hold the plays of both
    for page, name in (("pages/overview.py", "overview"), ("pages/clock.py", "clock")):
        at = open_page(page)
        at.multiselect(key="f_content").set_value(["podcast", "music"]).run()
        assert not at.exception
        frame = current_frame(at, db_path)
        assert set(frame["content_type"]) == {"music", "podcast"}
        if name == "overview":
            totals = explore.totals(frame)
            assert {m.label: m.value for m in at.metric}["Plays"] == f"{totals['plays']:,}"
            assert {m.label: m.value for m in at.metric}["Days listened"] == f"{totals['days_listened']:,}"
            pd.testing.assert_frame_equal(chart_data(at, "Hours listened per month"),
                                          explore.listening_time(frame, "month"))
        else:
            pd.testing.assert_frame_equal(chart_data(at, "Hours by hour and weekday"),
                                          explore.clock_heatmap(frame, "hours"))
        csv = [data for data, _, file in served if file == f"{name}.csv"][-1]  # the last run's
        assert len(pd.read_csv(io.BytesIO(csv))) == len(frame)
