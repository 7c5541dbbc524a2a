"""Real-browser end-to-end test of the newcomer journey: Home → Import the real zip → Home →
every Explore page through the sidebar (Overview, where the shared date range and time zone
are changed, then Listening clock, Discovery, Habits, Artist & track, Year in review).

A live ``streamlit run Home.py`` on a free port with a throwaway store, driven by Debian's
Chromium through Playwright (no browser download, no internet). Needs ENCORE_REAL_DATA
(../shared/data) for the export zip, which is read in place and never copied here.
Screenshots go to tests/artifacts/ (git-ignored).
"""
import datetime as dt
import re
import warnings
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import expect

from tests.browser import (  # noqa: F401  (chromium, live_app: fixtures)
    ARTIFACTS,
    chromium,
    date_range_shown,
    expect_charts_rendered,
    expect_date_range,
    live_app,
    one_rerun,
    pick_option,
    screenshot_full,
    set_date_range,
    sidebar_link,
    wait_for_app_run,
)
from tests.conftest import real_data_dir

EXPORT = "exports/extended-2026-b.zip"
# Distinct plays in that export (music + podcast + video), as the acceptance tests derive them.
EXPECTED_PLAYS = "53,416"
IMPORT_TIMEOUT = 120_000  # ms: parsing and storing ~59k rows on a slow CI machine
UI_TIMEOUT = 30_000  # ms: page loads and reruns
# The Explore pages after Overview, as Home.py lists them: (title in the sidebar and heading, url path).
# The url path is also the screenshot's slug: tests/artifacts/explore-<slug>.png.
EXPLORE_PAGES = [
    ("Listening clock", "clock"),
    ("Discovery", "discovery"),
    ("Habits", "habits"),
    ("Artist & track", "detail"),
    ("Year in review", "year"),
]
# The shared controls set once on Overview. The export's guessed zone is Europe/Warsaw.
GUESSED_TZ = "Europe/Warsaw"
NEW_TZ = "UTC"
NEW_RANGE = (dt.date(2021, 1, 1), dt.date(2022, 12, 31))
# Where a page names the zone it uses: {slug: pattern capturing the zone}.
ZONE_IN_PAGE = {
    "clock": re.compile(r"Local time in ([^\s.]+)\."),
    "year": re.compile(r"Days and months in ([^\s.]+)\."),
}


class ClippedChart(UserWarning):
    """A chart is drawn taller or wider than its frame on the page, so part of it is cut off."""


class ControlsNotPersisted(AssertionError):
    """The shared sidebar controls did not keep their values on another Explore page."""


@pytest.fixture
def real_zip() -> Path:
    path = real_data_dir() / EXPORT
    if not path.is_file():
        pytest.skip(f"{path} is missing")
    return path


def no_exception(page) -> None:
    expect(page.get_by_test_id("stException")).to_have_count(0)


def metric_value(page, label: str):
    """The value locator of the st.metric in the main area whose label is ``label``."""
    box = page.get_by_test_id("stMain").get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").filter(has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")))
    return box.get_by_test_id("stMetricValue")


def number(text: str) -> float:
    return float(text.replace(",", ""))


def open_explore_page(page, title: str, slug: str) -> None:
    """Go to an Explore page through the sidebar and wait until its script has finished."""
    sidebar_link(page, title).click()
    expect(page).to_have_url(re.compile(rf"/{slug}/?$"))
    expect(page.get_by_test_id("stMain").get_by_role("heading", name=title, exact=True)).to_be_visible()
    wait_for_app_run(page)


def check_explore_page(page, slug: str, shot: str | None = None) -> list[dict]:
    """Charts drawn, no exception, full-page screenshot; returns what the charts hold."""
    charts = expect_charts_rendered(page)
    no_exception(page)
    shot_path = screenshot_full(page, ARTIFACTS / f"{shot or 'explore-' + slug}.png")
    clipped = [c["title"] or "(untitled)" for c in charts if c["clipped"]]
    if clipped:  # a layout flaw to look at, not a broken page: reported, not failed
        warnings.warn(ClippedChart(f"{slug}: drawn bigger than their frame, cut off: {clipped} (see {shot_path.name})"))
    return charts


def download_recap_image(page) -> None:
    """Click the recap's PNG download and check a real PNG arrives (it is made on click)."""
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="Download as image (PNG)").click()
    download = info.value
    assert download.suggested_filename.endswith("-in-review.png"), download.suggested_filename
    data = Path(download.path()).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000, len(data)


def controls_shown(page, slug: str) -> dict:
    """What the shared controls (and, where it says, the page) show once the page has run."""
    sidebar = page.get_by_test_id("stSidebar")
    shown = {
        "time zone": sidebar.get_by_role("combobox", name="Time zone").input_value(),
        "date range": date_range_shown(page, "Date range", scope=sidebar),
    }
    if slug in ZONE_IN_PAGE:
        text = " ".join(page.get_by_test_id("stMain").get_by_test_id("stCaptionContainer").all_inner_texts())
        found = ZONE_IN_PAGE[slug].search(text)
        shown["zone named in the page"] = found.group(1) if found else None
    return shown


CATALOG = "catalogs/tidytuesday-2020-spotify_songs.csv"
CATALOG_TIMEOUT = 120_000  # ms: reading 28k rows and matching the history on a slow CI machine


def add_catalog_and_see_coverage(page) -> None:
    """Catalog page: add the real TidyTuesday catalog by its path, then see the coverage."""
    main = page.get_by_test_id("stMain")
    sidebar_link(page, "Catalog").click()
    expect(page).to_have_url(re.compile(r"/catalog/?$"))
    expect(main.get_by_role("heading", name=re.compile("Catalog and audio features"))).to_be_visible()
    expect(metric_value(page, "Tracks with features")).to_have_text("0%")
    path_box = main.get_by_role("textbox", name="…or a path on this computer")
    with one_rerun(page):
        path_box.fill(str(real_data_dir() / CATALOG))
        path_box.press("Enter")
    expect(main.get_by_text("Recognised: TidyTuesday 2020 spotify_songs.csv.")).to_be_visible()
    main.get_by_role("button", name="Import catalog").click()
    done = page.get_by_test_id("stAlert").filter(has_text=re.compile(r"TidyTuesday 2020 spotify_songs\.csv, 32,833 rows"))
    failed = page.get_by_test_id("stException").or_(page.get_by_text("Nothing was imported"))
    expect(done.or_(failed).first).to_be_visible(timeout=CATALOG_TIMEOUT)
    assert failed.count() == 0, "the catalog import failed in the app"
    wait_for_app_run(page)
    # Measured with `python -m core catalog` on the same export: 1,314 of 6,391 tracks (21%).
    expect(metric_value(page, "Tracks with features")).to_have_text("21%")
    expect(main.get_by_text(re.compile(r"1,314 tracks now have|1,314 of 6,391 tracks now have"))).to_be_visible()
    check_explore_page(page, "catalog", shot="catalog-coverage")


TRAIN_TIMEOUT = 300_000  # ms: training and a 3-seed evaluation of ~53k plays on a slow CI machine


def train_and_see_the_evaluation(page) -> None:
    """Taste model page: train on the imported export, see the evaluation table and chart."""
    main = page.get_by_test_id("stMain")
    sidebar_link(page, "Taste model").click()
    expect(page).to_have_url(re.compile(r"/taste/?$"))
    expect(main.get_by_text("No model yet")).to_be_visible()
    main.get_by_role("button", name="Train my taste model").click()
    heading = main.get_by_role("heading", name="How good is it on your data?")
    failed = page.get_by_test_id("stException")
    expect(heading.or_(failed).first).to_be_visible(timeout=TRAIN_TIMEOUT)
    assert failed.count() == 0, "training failed in the app"
    wait_for_app_run(page, timeout=TRAIN_TIMEOUT)
    # one sentence a listener understands, the table behind it
    expect(main.get_by_text(re.compile(r"the model had \d+% in its top 50"))).to_be_visible()
    main.get_by_text("Every model and metric").first.click()
    table = main.get_by_test_id("stExpander").filter(has_text="Every model and metric").first.get_by_test_id(
        "stDataFrame")
    expect(table).to_be_visible()
    for model_name in ("hybrid", "most_played", "most_recent", "item_knn", "audio_knn", "als"):
        expect(table).to_contain_text(model_name)
    # Discover: songs never streamed, each with where it came from
    expect(main.get_by_text(re.compile(r"^(a catalog song by |from the catalog|in your playlists|found on Spotify|suggested by Gemini)"))
           .first).to_be_visible()
    check_explore_page(page, "taste", shot="taste-evaluation")


def test_newcomer_imports_real_export_zip(real_zip, chromium, live_app):  # noqa: F811
    ARTIFACTS.mkdir(exist_ok=True)
    for stale in ARTIFACTS.glob("failure-*.png"):
        stale.unlink()
    page = live_app.new_page(chromium)
    page.set_default_timeout(UI_TIMEOUT)
    expect.set_options(timeout=UI_TIMEOUT)

    with live_app.diagnostics(page, name="failure-home"):
        page.goto(live_app.url)
        main = page.get_by_test_id("stMain")
        expect(main.get_by_role("heading", name=re.compile("Encore"))).to_be_visible()
        expect(main.get_by_role("heading", name="Import my export")).to_be_visible()
        expect(main.get_by_role("heading", name="Explore with demo data")).to_be_visible()
        expect(page.get_by_text("has no plays yet")).to_be_visible()
        no_exception(page)
        screenshot_full(page, ARTIFACTS / "home.png")

    with live_app.diagnostics(page, name="failure-import"):
        sidebar_link(page, "Import").click()
        expect(page).to_have_url(re.compile(r"/import/?$"))
        expect(main.get_by_role("heading", name=re.compile("Import your Spotify export"))).to_be_visible()

        uploader = page.get_by_test_id("stFileUploader").filter(has_text="Export zip, or JSON / CSV files from it")
        uploader.locator("input[type=file]").set_input_files(str(real_zip))
        expect(uploader.get_by_text(real_zip.name)).to_be_visible()

        import_button = main.get_by_role("button", name="Import", exact=True)
        expect(import_button).to_be_enabled()
        import_button.click()

        success = page.get_by_test_id("stAlert").filter(has_text=re.compile(r"^\s*Imported into profile"))
        # Stop waiting as soon as the app crashes instead of sitting out the whole timeout.
        failed = page.get_by_test_id("stException").or_(page.get_by_text("Nothing could be imported"))
        expect(success.or_(failed).first).to_be_visible(timeout=IMPORT_TIMEOUT)
        assert failed.count() == 0, "the import failed in the app (see the notes below)"
        expect(success).to_be_visible()
        expect(main.get_by_role("heading", name="Summary")).to_be_visible(timeout=IMPORT_TIMEOUT)
        expect(success).to_contain_text(f"{EXPECTED_PLAYS} plays added")
        expect(success).to_contain_text("“me”")
        summary_plays = page.get_by_test_id("stMetric").filter(has_text=re.compile(r"^\s*Plays"))
        expect(summary_plays.get_by_test_id("stMetricValue")).to_have_text(EXPECTED_PLAYS)
        expect(main.get_by_test_id("stMetric")).to_have_count(4)  # the whole summary row is drawn
        expect(main.get_by_text(re.compile(r"^From 2018-\d\d-\d\d to 2026-\d\d-\d\d \(UTC\)\."))).to_be_visible()
        no_exception(page)
        screenshot_full(page, ARTIFACTS / "import-summary.png")

    with live_app.diagnostics(page, name="failure-home-after"):
        sidebar_link(page, "Home").click()
        expect(main.get_by_role("heading", name="Profile “me”")).to_be_visible()
        expect(main.get_by_test_id("stMetric")).to_have_count(4)
        expect(main.get_by_text(re.compile(r"^From \d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d \(UTC\)\.$"))).to_be_visible()
        home_plays = page.get_by_test_id("stMetric").filter(has_text=re.compile(r"^\s*Plays"))
        expect(home_plays.get_by_test_id("stMetricValue")).to_have_text(EXPECTED_PLAYS)
        expect(page.get_by_test_id("stSidebar").get_by_role("combobox", name="Profile")).to_have_value("me")
        no_exception(page)
        screenshot_full(page, ARTIFACTS / "home-after-import.png")

    sidebar = page.get_by_test_id("stSidebar")
    time_zone = sidebar.get_by_role("combobox", name="Time zone")

    with live_app.diagnostics(page, name="failure-explore-overview"):
        open_explore_page(page, "Overview", "overview")
        expect(time_zone).to_have_value(GUESSED_TZ)  # guessed from where the export was played
        check_explore_page(page, "overview")
        streams, hours = metric_value(page, "Streams"), metric_value(page, "Hours")
        days = metric_value(page, "Days listened")
        before = {"streams": streams.inner_text(), "hours": hours.inner_text(), "days": days.inner_text()}
        assert number(before["days"]) > 730, before  # the whole history spans more than the two years chosen below
        # every total is shown whole, not cut ("29…"): no tile's number is wider than its box
        cut = page.evaluate("""() => [...document.querySelectorAll('[data-testid="stMetricValue"]')]
            .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.innerText)""")
        assert cut == [], f"metric tiles cut: {cut}"

        # The shared controls: narrow the date range, then change the time zone.
        with one_rerun(page):
            set_date_range(page, "Date range", *NEW_RANGE, scope=sidebar)
        expect(streams).not_to_have_text(before["streams"])
        after = {"streams": streams.inner_text(), "hours": hours.inner_text(), "days": days.inner_text()}
        assert number(after["streams"]) < number(before["streams"]), (before, after)
        assert number(after["hours"]) < number(before["hours"]), (before, after)
        assert 0 < number(after["days"]) <= 730, after  # local dates inside 2021-01-01 .. 2022-12-31

        with one_rerun(page):
            pick_option(page, time_zone, NEW_TZ)
        expect(time_zone).to_have_value(NEW_TZ)
        expect_date_range(page, "Date range", *NEW_RANGE, scope=sidebar)  # the range survives the new zone
        check_explore_page(page, "overview", shot="explore-overview-filtered")

        # Podcasts and videos added to music: the tiles count them too (each content type is
        # counted on its own and added up), and the plays downloaded (made on the click) are
        # as many as the tile says. Then back to music alone for the pages after.
        plays = metric_value(page, "Plays")
        music_plays = plays.inner_text()
        content = sidebar.get_by_test_id("stMultiSelect").get_by_role("combobox")
        for kind in ("podcast", "video"):
            with one_rerun(page):
                content.click()
                content.fill(kind)
                page.keyboard.press("Enter")
            page.keyboard.press("Escape")
        expect(plays).not_to_have_text(music_plays)
        assert number(plays.inner_text()) > number(music_plays)
        with page.expect_download(timeout=60_000) as info:
            page.get_by_role("button", name="Download these plays (CSV)").click()
        downloaded = pd.read_csv(info.value.path())
        assert len(downloaded) == number(plays.inner_text())
        assert set(downloaded["content_type"]) == {"music", "podcast", "video"}
        screenshot_full(page, ARTIFACTS / "explore-overview-podcasts-videos.png")
        content.click()
        for kind in ("video", "podcast"):  # the last chosen first: Backspace in the box removes it
            with one_rerun(page):
                page.keyboard.press("Backspace")
            expect(sidebar.get_by_role("button", name=f"Remove {kind}")).to_have_count(0)
        page.keyboard.press("Escape")
        expect(plays).to_have_text(music_plays)

    expected = {"time zone": NEW_TZ, "date range": NEW_RANGE}
    seen = {}
    for title, slug in EXPLORE_PAGES:
        with live_app.diagnostics(page, name=f"failure-explore-{slug}"):
            open_explore_page(page, title, slug)
            check_explore_page(page, slug)
            if slug == "year":  # the shareable image is made only when asked for
                download_recap_image(page)
            # The controls should persist across pages (session state); checked after the
            # journey so that every page is still visited and photographed when they do not.
            seen[slug] = controls_shown(page, slug)

    with live_app.diagnostics(page, name="failure-catalog"):
        add_catalog_and_see_coverage(page)

    with live_app.diagnostics(page, name="failure-mood"):
        open_explore_page(page, "Mood", "mood")
        check_explore_page(page, "mood")

    with live_app.diagnostics(page, name="failure-taste"):
        train_and_see_the_evaluation(page)

    with live_app.diagnostics(page, name="failure-detail-link"):
        # what a top list's "Artist & track ↗" link opens (in a new tab: a fresh session)
        from urllib.parse import urlencode

        from core import explore, history, store
        plays = history.load_plays(store.open_store(live_app.db_path), "me")
        artist = explore.ranked_items(explore.apply_filters(plays, explore.Filters(tz="UTC")), "artist")["key"].iloc[1]
        tab = live_app.new_page(chromium)
        tab.set_default_timeout(UI_TIMEOUT)
        tab.goto(f"{live_app.url}/detail?{urlencode({'artist': artist, 'profile': 'me'})}")
        expect(tab.get_by_test_id("stMain").get_by_role("heading", name=artist, exact=True)).to_be_visible()
        expect(tab.get_by_test_id("stSidebar").get_by_role("combobox", name="Profile")).to_have_value("me")
        expect(tab.get_by_test_id("stException")).to_have_count(0)
        screenshot_full(tab, ARTIFACTS / "detail-from-link.png")

    with live_app.diagnostics(page, name="failure-chart-link"):
        # a click on a chart's bar opens it on the Artist & track page: Year in review's top artist
        open_explore_page(page, "Year in review", "year")
        top = page.get_by_test_id("stMetric").filter(has_text="Top artist").get_by_test_id("stMetricValue")
        artist = top.inner_text().strip()
        chart = page.get_by_test_id("stVegaLiteChart").first
        expect(chart.locator("canvas, svg").first).to_be_visible()
        box = chart.locator("canvas, svg").first.bounding_box()
        page.mouse.click(box["x"] + box["width"] * 0.6, box["y"] + 54)  # the first (longest) bar, past its label
        expect(page).to_have_url(re.compile(r"/detail\?artist="))
        expect(page.get_by_test_id("stMain").get_by_role("heading", name=artist, exact=True)).to_be_visible()
        screenshot_full(page, ARTIFACTS / "detail-from-chart.png")

    wrong = {slug: shown for slug, shown in seen.items()
             if {k: v for k, v in shown.items() if k in expected} != expected
             or shown.get("zone named in the page", NEW_TZ) != NEW_TZ}
    if wrong:
        raise ControlsNotPersisted(
            f"set on Overview: {expected}; pages showing otherwise: {wrong}")
