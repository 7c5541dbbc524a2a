"""AppTest for the Year in review page: the recap on the page is the core recap, and both downloads are there."""
import json
from pathlib import Path

import orjson
import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from core import explore, history, ingest, store
from tests.conftest import shown
from tests.test_recap import HISTORY

HOME = str(Path(__file__).resolve().parent.parent / "Home.py")
PAGE = "pages/year.py"


def open_page(profile: str | None = "demo") -> AppTest:
    at = AppTest.from_file(HOME, default_timeout=60)
    if profile:
        at.session_state["profile"] = profile
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def chart_data(element) -> pd.DataFrame:
    """The data an st.altair_chart sent to the browser (one inline dataset per chart here)."""
    spec = json.loads(element.proto.spec)
    (dataset,) = element.proto.datasets
    assert spec["data"]["name"] == dataset.name
    return pa.ipc.open_stream(dataset.data.data).read_pandas()


def expected_recap(db_path, tz: str, year: int, content=("music",)) -> explore.Recap:
    plays = history.load_plays(store.open_store(db_path), "demo")
    return explore.year_recap(explore.apply_filters(plays, explore.Filters(tz=tz, content=content)), year)


def test_page_shows_the_recap_of_the_newest_year_with_both_downloads(demo_db, monkeypatch, served):
    monkeypatch.setenv("ENCORE_DB", str(demo_db))
    at = open_page()
    assert at.title[0].value == "Year in review"
    assert any("date range does not apply here" in c.value for c in at.caption)
    tz = at.selectbox(key="f_tz").value
    years = at.selectbox(key="year_review_year")
    assert years.options == [str(y) for y in range(2025, 2017, -1)]  # the demo spans 2018-2025, newest first
    assert years.value == 2025

    card = expected_recap(demo_db, tz, 2025)
    assert not card.is_empty and card.streams > 0
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {
        "Minutes listened": f"{card.minutes:,}",
        "Streams": f"{card.streams:,}",
        "New artists": f"{card.new_artists:,}",
        "Top month": card.top_month.name,
        "Longest streak": explore.streak_length(card.streak),
        "Busiest day": explore.short_day(card.busiest_day.date),
        "Top artist": card.top_artists[0].name,
        "Top track": card.top_tracks[0].title,
    }
    # the whole names, however long, under the tiles that may cut them
    captions = [shown(c.value) for c in at.caption]
    assert (f"{card.top_tracks[0].title} — {card.top_tracks[0].artist} · {card.top_tracks[0].streams:,} streams"
            in captions)
    assert f"{card.top_artists[0].name} · {card.top_artists[0].streams:,} streams" in captions
    charts = at.get("vega_lite_chart")
    tables = explore.recap_tables(card)
    # each bar opens its artist or song on the Artist & track page (an album: its artist)
    from urllib.parse import urlencode
    link = lambda kind, value: "./detail?" + urlencode({kind: value, "profile": "demo"})  # noqa: E731
    pd.testing.assert_frame_equal(chart_data(charts[0]).drop(columns="link"), tables["artists"])
    assert chart_data(charts[0])["link"].tolist() == [link("artist", a) for a in tables["artists"]["artist"]]
    pd.testing.assert_frame_equal(chart_data(charts[1]).drop(columns="link"), tables["tracks"])
    assert chart_data(charts[1])["link"].tolist() == [link("song", t.key) for t in card.top_tracks]
    assert all(t.key for t in card.top_tracks)
    pd.testing.assert_frame_equal(chart_data(charts[2]).drop(columns="link"), tables["albums"])
    for chart in charts[:3]:
        spec = json.loads(chart.proto.spec)
        assert spec["encoding"]["href"] == {"field": "link", "type": "nominal"} and spec["mark"]["cursor"] == "pointer"

    buttons = at.get("download_button")
    assert [b.label for b in buttons] == ["Download as image (PNG)", "Download as web page (HTML)",
                                          "Download these plays (CSV)", "Download these plays (Parquet)"]
    downloads = {name: (data, mime) for data, mime, name in served if name and name.startswith("encore-")}
    png, mime = downloads["encore-2025-in-review.png"]
    assert mime == "image/png" and png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
    page, mime = downloads["encore-2025-in-review.html"]
    assert mime == "text/html" and page == explore.recap_html(card).encode("utf-8")


def test_choosing_another_year_and_content_recomputes_the_recap(demo_db, monkeypatch):
    monkeypatch.setenv("ENCORE_DB", str(demo_db))
    at = open_page()
    tz = at.selectbox(key="f_tz").value
    at.selectbox(key="year_review_year").select(2018)
    at.multiselect(key="f_content").set_value(["music", "podcast"]).run()
    assert not at.exception
    assert at.selectbox(key="year_review_year").value == 2018
    card = expected_recap(demo_db, tz, 2018, content=("music", "podcast"))
    assert {m.label: m.value for m in at.metric}["Minutes listened"] == f"{card.minutes:,}"
    assert card.new_artists > 0  # the first year of the history: everyone is new
    new = at.get("vega_lite_chart")[3]
    assert json.loads(new.proto.spec)["title"] == "Top new artists of 2018"
    pd.testing.assert_frame_equal(chart_data(new).drop(columns="link"), explore.recap_tables(card)["new_artists"])


def test_a_profile_without_plays_gets_an_explained_empty_state(tmp_path, monkeypatch):
    monkeypatch.setenv("ENCORE_DB", str(tmp_path / "empty.db"))
    at = open_page(profile=None)
    assert [shown(i.value) for i in at.info] == ["Profile “me” has no plays yet. Import your export on the Import page, "
                                          "or load the demo from Home."]
    assert not at.get("download_button") and not at.metric


@pytest.fixture
def small_db(tmp_path, monkeypatch):
    """The hand-made history of test_recap in profile "me" (music only, no play over 10 minutes)."""
    path = tmp_path / "small.db"
    report = ingest.import_files(store.open_store(path), uploads=[
        ("Streaming_History_Audio_2021-2024_0.json", orjson.dumps(HISTORY))])
    assert not report.errors
    monkeypatch.setenv("ENCORE_DB", str(path))
    return path


def test_content_with_no_plays_is_explained(small_db):
    at = open_page(profile=None)
    at.multiselect(key="f_content").set_value(["podcast"]).run()
    assert not at.exception
    assert [shown(i.value) for i in at.info] == ["No podcast plays in this profile. Pick more content types in the sidebar."]
    assert not at.get("download_button") and not at.metric


def test_a_stream_rule_no_play_meets_leaves_minutes_but_no_lists(small_db):
    at = open_page(profile=None)
    at.selectbox(key="f_tz").set_value("Europe/Berlin")
    at.selectbox(key="year_review_year").select(2023)
    at.radio(key="f_rule").set_value("Custom threshold").run()
    at.number_input(key="f_min_s").set_value(600).run()
    assert not at.exception
    assert at.selectbox(key="year_review_year").options == ["2025", "2024", "2023", "2021"]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"Minutes listened": "9", "Streams": "0", "New artists": "0", "Top month": "December",
                       "Longest streak": "—", "Busiest day": "10 Jun", "Top artist": "—", "Top track": "—"}
    assert shown(at.info[-1].value) == ("None of your 5 plays in 2023 counts as a stream (plays of at least 600 s), so "
                                 "there are no top lists. Choose a lower threshold under “What counts as a stream” "
                                 "in the sidebar.")
    assert not at.get("vega_lite_chart")
    assert len(at.get("download_button")) == 4
