"""AppTests for the Habits and Discovery pages: they render, explain empty states, and chart
exactly what core computes (chart data read back from the Vega-Lite element's Arrow datasets)."""
import datetime as dt
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from core import explore, history, ingest, store
from tests.conftest import FIXTURES, shown
from tests.test_pages import HOME


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("pages") / "app.db"
    db = store.open_store(path)
    ingest.build_demo(db, n_plays=3000)
    # an account-data export only: no skip, shuffle, reason, platform or country fields
    ingest.import_files(db, paths=[FIXTURES / "StreamingHistory_music_0.json"], profile="account")
    db.close()
    return path


@pytest.fixture
def db_path(demo_db, monkeypatch):
    monkeypatch.setenv("ENCORE_DB", str(demo_db))
    return demo_db


def open_page(page: str, profile: str = "demo") -> AppTest:
    at = AppTest.from_file(HOME, default_timeout=60)
    at.session_state["profile"] = profile
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def charts_by_title(at: AppTest) -> dict[str, pd.DataFrame]:
    """Every Vega-Lite chart on the page: its title -> the data it draws (from the Arrow dataset)."""
    out = {}
    for element in at.get("vega_lite_chart"):
        spec = json.loads(element.proto.spec)
        (dataset,) = element.proto.datasets
        assert spec["data"]["name"] == dataset.name
        out[spec["title"]] = pa.ipc.open_stream(dataset.data.data).read_pandas()
    return out


def page_frames(path, profile: str = "demo", start: dt.date | None = None, end: dt.date | None = None):
    """(whole history of music, localised; the Explore frame) as the pages see them by default."""
    db = store.open_store(path)
    plays = history.load_plays(db, profile)
    db.close()
    tz = explore.guess_timezone(plays["conn_country"].astype(object))
    filters = explore.Filters(start=start, end=end, tz=tz)
    return explore.localise(plays[plays["content_type"] == "music"], tz), explore.apply_filters(plays, filters)


def assert_histogram_of(drawn: pd.DataFrame, values: pd.Series, maxbins: int = 40) -> None:
    """The page's histogram (binned on the server: a row per non-empty bin) counts ``values``:
    bins of one width, at most ``maxbins`` of them from the first to the last, each holding
    the values from its start up to its end (the largest value in the last bin)."""
    widths = drawn["bin_end"] - drawn["minutes"]
    assert np.allclose(widths, widths.iloc[0])
    step = widths.iloc[0]
    assert (drawn["count"] > 0).all() and drawn["count"].sum() == len(values)
    assert round((drawn["bin_end"].iloc[-1] - drawn["minutes"].iloc[0]) / step) <= maxbins
    last = len(drawn) - 1
    for i, (low, high, count) in enumerate(zip(drawn["minutes"], drawn["bin_end"], drawn["count"])):
        inside = (values >= low - 1e-9) & ((values < high - 1e-9) | ((values <= high) if i == last else False))
        assert inside.sum() == count, (low, high)


def test_habits_page_charts_equal_the_aggregates(db_path):
    at = open_page("pages/habits.py")
    assert at.title[0].value == "Habits"
    _, frame = page_frames(db_path)
    drawn = charts_by_title(at)
    assert_histogram_of(drawn["How long sessions last (minutes)"], explore.sessions(frame, 30)["minutes"])
    pd.testing.assert_frame_equal(drawn["Skip rate"], explore.skip_rate_over_time(frame))
    pd.testing.assert_frame_equal(drawn["Share of plays in shuffle mode"], explore.shuffle_share(frame))
    pd.testing.assert_frame_equal(drawn["Why plays ended"], explore.reasons(frame, "end"))
    pd.testing.assert_frame_equal(drawn["Listening time by device"], explore.platforms(frame))
    heights = {json.loads(e.proto.spec)["title"]: json.loads(e.proto.spec)["height"] for e in at.get("vega_lite_chart")}
    assert heights["Why plays started"] == heights["Why plays ended"]  # side by side: their captions line up
    summary = explore.skip_summary(frame)
    assert summary["by_reason"] == summary["plays"]  # the demo says how every play ended
    rules = at.dataframe[1].value  # "How skips were decided, year by year"
    pd.testing.assert_frame_equal(rules.reset_index(drop=True), explore.skip_rules_by_year(frame))
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Sessions"] == f"{len(explore.sessions(frame, 30)):,}"
    assert metrics["Skip rate"] == explore.percent_label(summary["skip_rate"])
    assert at.dataframe[0].value["session"].tolist() == explore.longest_sessions(explore.sessions(frame, 30))[
        "session"].tolist()

    at.number_input(key="habits_gap").set_value(10).run()
    at.radio(key="habits_period").set_value("year").run()
    assert not at.exception
    drawn = charts_by_title(at)
    assert_histogram_of(drawn["How long sessions last (minutes)"], explore.sessions(frame, 10)["minutes"])
    pd.testing.assert_frame_equal(drawn["Skip rate"],
                                  explore.skip_rate_over_time(frame, "year"))


def test_habits_page_after_a_new_date_range_and_stream_rule_equals_the_aggregates_of_that_range(db_path):
    # the page adds up per-day counts and reuses the whole history's sessions: the same answer
    at = open_page("pages/habits.py")
    start, end = dt.date(2024, 3, 31), dt.date(2024, 10, 27)  # from one change of Berlin's clocks to the next
    at.date_input(key="f_dates").set_value((start, end)).run()
    at.radio(key="f_rule").set_value("All plays").run()
    assert not at.exception
    _, frame = page_frames(db_path, start=start, end=end)
    frame = explore.mark_streams(frame, 0)
    drawn = charts_by_title(at)
    table = explore.sessions(frame, 30)
    assert_histogram_of(drawn["How long sessions last (minutes)"], table["minutes"])
    longest = explore.longest_sessions(table)
    shown_longest = at.dataframe[0].value
    assert shown_longest["session"].tolist() == longest["session"].tolist()
    assert shown_longest["top_artist"].tolist() == longest["top_artist"].tolist()
    assert shown_longest["streams"].tolist() == longest["streams"].tolist()
    pd.testing.assert_frame_equal(drawn["Skip rate"], explore.skip_rate_over_time(frame))
    pd.testing.assert_frame_equal(drawn["Share of plays in shuffle mode"], explore.shuffle_share(frame))
    pd.testing.assert_frame_equal(drawn["Why plays started"], explore.reasons(frame, "start"))
    pd.testing.assert_frame_equal(drawn["Listening time by country"], explore.countries(frame))
    pd.testing.assert_frame_equal(at.dataframe[1].value.reset_index(drop=True), explore.skip_rules_by_year(frame))
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Sessions"] == f"{len(table):,}"
    assert metrics["Skipped plays"] == f"{explore.skip_summary(frame)['skipped']:,}"

    # another zone: other local days, the same sessions (split on UTC times) shown in its clock
    at.selectbox(key="f_tz").set_value("America/New_York").run()
    assert not at.exception
    db = store.open_store(db_path)
    plays = history.load_plays(db, "demo")
    db.close()
    frame = explore.apply_filters(plays, explore.Filters(start=start, end=end, tz="America/New_York", min_ms=0))
    table = explore.sessions(frame, 30)
    assert str(table["start"].dt.tz) == "America/New_York"
    shown_longest = at.dataframe[0].value
    longest = explore.longest_sessions(table)
    assert shown_longest["session"].tolist() == longest["session"].tolist()
    assert shown_longest["top_artist"].tolist() == longest["top_artist"].tolist()
    assert {m.label: m.value for m in at.metric}["Sessions"] == f"{len(table):,}"
    pd.testing.assert_frame_equal(charts_by_title(at)["Skip rate"], explore.skip_rate_over_time(frame))


def test_discovery_page_charts_equal_the_aggregates_over_the_whole_history(db_path):
    at = open_page("pages/discovery.py")
    assert at.title[0].value == "Discovery"
    plays_all, frame = page_frames(db_path)
    drawn = charts_by_title(at)
    pd.testing.assert_frame_equal(drawn["New artists per month"], explore.new_per_month(plays_all, frame))
    timeline = explore.first_listen_timeline(plays_all, frame)
    drawn_timeline = drawn["Artists by first listen, and how far each went since"]
    pd.testing.assert_frame_equal(drawn_timeline.drop(columns="link"), timeline)
    from urllib.parse import urlencode
    assert drawn_timeline["link"].tolist() == ["./detail?" + urlencode({"artist": a, "profile": "demo"})
                                               for a in timeline["artist"]]  # a click opens the artist
    share = next(json.loads(e.proto.spec) for e in at.get("vega_lite_chart")
                 if json.loads(e.proto.spec)["title"].startswith("Share of each month's listening"))
    # one line per run of consecutive months: a month without plays breaks it, the x axis names years
    assert share["encoding"]["detail"] == {"field": "_run", "type": "ordinal"}
    assert share["transform"][0] == {"calculate": explore.PERIOD_INDEX["month"].format(t="month"), "as": "_period"}
    assert share["encoding"]["x"]["axis"]["labelExpr"] == explore.TIME_LABELS

    # a narrower range: discoveries are still judged against the whole history
    at.date_input(key="f_dates").set_value((dt.date(2024, 1, 1), dt.date(2024, 12, 31))).run()
    assert not at.exception
    plays_all, frame = page_frames(db_path, start=dt.date(2024, 1, 1), end=dt.date(2024, 12, 31))
    monthly = explore.new_per_month(plays_all, frame)
    assert len(monthly) == 12 and monthly["new_tracks"].sum() > 0
    assert monthly["new_tracks"].sum() < explore.new_per_month(frame, frame)["new_tracks"].sum()
    drawn = charts_by_title(at)
    pd.testing.assert_frame_equal(drawn["New tracks per month"], monthly)
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["New artists"], metrics["New tracks"]) == (f"{monthly['new_artists'].sum():,}",
                                                               f"{monthly['new_tracks'].sum():,}")
    assert metrics["Listening to music first heard that month"] == \
        f"{monthly['new_hours'].sum() / monthly['hours'].sum():.0%}"
    if monthly["new_artists"].sum() == 0:  # the 3000-play demo finds no new artist in 2024
        assert "No artist was first heard in this range." in [shown(i.value) for i in at.info]

    at.radio(key="discovery_level").set_value("artist")
    at.number_input(key="discovery_min_streams").set_value(3)
    at.number_input(key="discovery_quiet_days").set_value(180).run()
    assert not at.exception
    now = pd.Timestamp("2025-01-01", tz=frame["local"].dt.tz)
    expected = history.forgotten_favourites(plays_all, now=now, level="artist", min_streams=3, quiet_days=180)
    assert len(expected) > 0
    table = at.dataframe[-1].value
    assert table["artist"].tolist() == expected["artist"].tolist()
    assert table["days_quiet"].tolist() == expected["days_quiet"].tolist()
    # each opens on the Artist & track page, in the same profile (no raw internal key shown)
    assert table["key"].tolist() == [f"./detail?{urlencode({'artist': a, 'profile': 'demo'})}"
                                     for a in expected["artist"]]
    # dates read alike in both tables ("8 Jul 2021")
    date_formats = {name: c["type_config"]["format"] for table in at.dataframe
                    for name, c in json.loads(table.proto.columns).items()
                    if c.get("type_config", {}).get("type") in ("date", "datetime")}
    assert date_formats == {"peak_from": "D MMM YYYY", "last_played": "D MMM YYYY"} | (
        {"first_listen": "D MMM YYYY"} if len(at.dataframe) == 2 else {})


def test_pages_explain_what_an_account_export_does_not_record(db_path):
    at = open_page("pages/habits.py", profile="account")
    infos = [shown(i.value) for i in at.info]
    # no reason, no flag: its one play (6.7 s) is judged by its length, and the page says so
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Skip rate"], metrics["Skipped plays"], metrics["Plays judged by how they ended"]) == (
        "100%", "1", "0%")
    assert any(i.startswith("No shuffle information") for i in infos)
    assert any(i.startswith("No reasons recorded") for i in infos)
    at = open_page("pages/discovery.py", profile="account")
    # its only play lasted 6.7 s: not a stream, so nothing was "heard" yet
    assert [m.value for m in at.metric][:2] == ["0", "0"]
    assert "Nothing new in this range: no artist or track was streamed here for the first time." in [
        i.value for i in at.info]
    assert any(i.value.startswith("No forgotten favourites") for i in at.info)


@pytest.mark.parametrize("page", ["pages/habits.py", "pages/discovery.py"])
def test_pages_without_plays_say_how_to_get_some(db_path, page):
    at = open_page(page, profile="nobody")
    assert [shown(i.value) for i in at.info][-1].startswith("Profile “nobody” has no plays yet.")


@pytest.mark.parametrize("content", [["podcast", "music"], ["music", "audiobook", "podcast"]])
def test_habits_and_discovery_with_several_content_types_chart_what_one_frame_of_them_gives(db_path, content):
    # the pages keep each content type's counts, sessions and first listens and combine them
    # (picked in any order): the charts are what one frame of all the chosen plays gives
    db = store.open_store(db_path)
    plays = history.load_plays(db, "demo")
    db.close()
    tz = explore.guess_timezone(plays["conn_country"].astype(object))
    chosen = tuple(kind for kind in history.CONTENT_TYPES if kind in content)
    # from the history's first day (its discoveries) to the last audiobook, not the whole of it
    start, end = plays["start"].dt.tz_convert(tz).min().date(), dt.date(2025, 4, 30)
    filters = explore.Filters(start=start, end=end, content=chosen, tz=tz, min_ms=0)
    frame = explore.apply_filters(plays, filters)
    assert set(frame["content_type"]) == set(content)

    at = open_page("pages/habits.py")
    at.multiselect(key="f_content").set_value(content).run()
    at.date_input(key="f_dates").set_value((start, end)).run()
    at.radio(key="f_rule").set_value("All plays").run()
    assert not at.exception
    drawn = charts_by_title(at)
    table = explore.sessions(frame, 30)
    assert_histogram_of(drawn["How long sessions last (minutes)"], table["minutes"])
    longest = explore.longest_sessions(table)
    assert at.dataframe[0].value["top_artist"].tolist() == longest["top_artist"].tolist()
    assert at.dataframe[0].value["streams"].tolist() == longest["streams"].tolist()
    pd.testing.assert_frame_equal(drawn["Skip rate"], explore.skip_rate_over_time(frame))
    pd.testing.assert_frame_equal(drawn["Why plays ended"], explore.reasons(frame, "end"))
    pd.testing.assert_frame_equal(drawn["Listening time by device"], explore.platforms(frame))
    assert {m.label: m.value for m in at.metric}["Sessions"] == f"{len(table):,}"

    at.switch_page("pages/discovery.py").run()
    assert not at.exception
    plays_all = explore.localise(explore.select_content(plays, chosen), tz)
    drawn = charts_by_title(at)
    monthly = explore.new_per_month(plays_all, frame, 0)
    pd.testing.assert_frame_equal(drawn["New tracks per month"], monthly)
    # the share of new listening counts every chosen type: its label does not say "music", its
    # help names the types
    share = next(m for m in at.metric if "first heard that month" in m.label)
    assert share.label == "Listening first heard that month"
    assert share.value == f"{monthly['new_hours'].sum() / monthly['hours'].sum():.0%}"
    assert f"time spent on {', '.join(chosen)} in this range" in share.help
    timeline = explore.first_listen_timeline(plays_all, frame, 0)
    pd.testing.assert_frame_equal(drawn["Artists by first listen, and how far each went since"].drop(columns="link"),
                                  timeline)
    at.radio(key="discovery_level").set_value("artist")
    at.number_input(key="discovery_min_streams").set_value(3)
    at.number_input(key="discovery_quiet_days").set_value(90).run()
    expected = history.forgotten_favourites(plays_all, now=pd.Timestamp(end + dt.timedelta(days=1), tz=tz),
                                            level="artist", min_streams=3, quiet_days=90, min_ms=0)
    assert set(expected["artist"]) & set(plays["show_name"].dropna())  # a podcast once on heavy rotation
    assert at.dataframe[-1].value["artist"].tolist() == expected["artist"].tolist()
