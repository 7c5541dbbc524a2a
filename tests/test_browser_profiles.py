"""Real-browser journey: profiles never mix.

Home → Load the demo (the sidebar now shows the demo) → Import a real export zip: it lands in
the person's own profile, never the demo → Overview, Artist & track (a song with several ids)
and the Chat of that profile show none of the demo's synthetic artists. Needs ENCORE_REAL_DATA.
"""
import re
import sqlite3

from playwright.sync_api import expect

from tests.browser import (  # noqa: F401  (chromium, live_app: fixtures)
    ARTIFACTS,
    chromium,
    live_app,
    screenshot_full,
    sidebar_link,
    wait_for_app_run,
)
from tests.conftest import real_data_dir
from tests.test_browser import EXPECTED_PLAYS, IMPORT_TIMEOUT, UI_TIMEOUT, no_exception
from tests.test_browser_chat import DEMO_TIMEOUT, say


def demo_artists(db_path) -> set[str]:
    with sqlite3.connect(db_path) as conn:
        rows = conn.execute("SELECT DISTINCT artist_name FROM plays WHERE profile = 'demo' AND artist_name IS NOT NULL "
                            "UNION SELECT DISTINCT artist_name FROM catalog_tracks WHERE source = 'demo'").fetchall()
    return {r[0] for r in rows}


def assert_no_demo_artist(text: str, artists: set[str], where: str) -> None:
    found = sorted(a for a in artists if re.search(rf"(?<!\w){re.escape(a)}(?!\w)", text))
    assert not found, f"demo artists on {where}: {found[:10]}"


def test_a_real_export_never_lands_in_the_demo_and_no_demo_artist_shows(chromium, live_app):  # noqa: F811
    real_zip = real_data_dir() / "exports/extended-2026-b.zip"
    ARTIFACTS.mkdir(exist_ok=True)
    page = live_app.new_page(chromium)
    page.set_default_timeout(UI_TIMEOUT)
    expect.set_options(timeout=UI_TIMEOUT)
    main = page.get_by_test_id("stMainBlockContainer")
    profile_box = page.get_by_test_id("stSidebar").get_by_role("combobox", name="Profile")

    with live_app.diagnostics(page, name="failure-profiles-demo"):
        page.goto(live_app.url)
        main.get_by_role("button", name="Load the demo").click()
        expect(profile_box).to_have_value("demo", timeout=DEMO_TIMEOUT)
        wait_for_app_run(page, timeout=DEMO_TIMEOUT)
        expect(main.get_by_text("Showing demo (demo data)")).to_be_visible()

    with live_app.diagnostics(page, name="failure-profiles-import"):
        sidebar_link(page, "Import").click()
        expect(page).to_have_url(re.compile(r"/import/?$"))
        name_box = main.get_by_role("textbox", name="Your profile's name")
        expect(name_box).to_have_value("me")  # the person's own profile, not the demo picked in the sidebar
        uploader = page.get_by_test_id("stFileUploader").filter(has_text="Export zip, or JSON / CSV files from it")
        uploader.locator("input[type=file]").set_input_files(str(real_zip))
        expect(uploader.get_by_text(real_zip.name)).to_be_visible()
        main.get_by_role("button", name="Import", exact=True).click()
        success = page.get_by_test_id("stAlert").filter(has_text=re.compile(r"^\s*Imported into profile"))
        expect(success).to_be_visible(timeout=IMPORT_TIMEOUT)
        expect(success).to_contain_text(f"Imported into profile “me”: {EXPECTED_PLAYS} plays added")
        expect(profile_box).to_have_value("me")
        no_exception(page)
        screenshot_full(page, ARTIFACTS / "profiles-import-into-me.png")
    with sqlite3.connect(live_app.db_path) as conn:
        per_profile = dict(conn.execute("SELECT profile, count(*) FROM plays GROUP BY profile").fetchall())
    assert per_profile["me"] == int(EXPECTED_PLAYS.replace(",", "")) and per_profile["demo"] > 0
    artists = demo_artists(live_app.db_path)

    with live_app.diagnostics(page, name="failure-profiles-overview"):
        sidebar_link(page, "Overview").click()
        expect(main.get_by_role("heading", name="Overview", exact=True)).to_be_visible()
        wait_for_app_run(page)
        expect(main.get_by_text("Showing me")).to_be_visible()
        main.get_by_test_id("stRadio").filter(has_text="Top").get_by_text("Tracks", exact=True).click()
        wait_for_app_run(page)
        expect(main.get_by_test_id("stDataFrame").first).to_contain_text("So It Goes... — Taylor Swift")
        assert_no_demo_artist(main.inner_text(), artists, "Overview")
        screenshot_full(page, ARTIFACTS / "profiles-overview-me.png")

    with live_app.diagnostics(page, name="failure-profiles-detail"):
        sidebar_link(page, "Artist & track").click()
        wait_for_app_run(page)
        main.get_by_test_id("stRadio").filter(has_text="Look at").get_by_text("Song", exact=True).click()
        wait_for_app_run(page)
        expect(main.get_by_text("Recordings of this song")).to_be_visible()
        screenshot_full(page, ARTIFACTS / "profiles-song-recordings.png")

    with live_app.diagnostics(page, name="failure-profiles-chat"):
        sidebar_link(page, "Chat").click()
        expect(main.get_by_role("heading", name=re.compile("Chat"))).to_be_visible()
        say(page, "upbeat mix")
        expect(main).to_contain_text(re.compile(r"\d+ tracks · \d+ min · version 1 of 1"))
        assert_no_demo_artist(main.inner_text(), artists, "the chat")
        screenshot_full(page, ARTIFACTS / "profiles-chat-me.png")


# --- the first session after a server start --------------------------------------------------


def two_profiles_store(folder) -> None:
    """A store with the demo and 'me' (the alphabetically first profile is the demo)."""
    from core import ingest, store
    from tests.conftest import FIXTURES
    db = store.open_store(folder / "browser.db")
    ingest.build_demo(db, n_plays=1500)
    ingest.import_files(db, paths=[FIXTURES / "Streaming_History_Audio_2024_1.json"], profile="me")
    db.conn.close()


ENCORE_SECTIONS = ["Encore", "Explore", "Discover"]


def expect_encore_sidebar(page, profile: str) -> None:
    sidebar = page.get_by_test_id("stSidebar")
    nav = page.get_by_test_id("stSidebarNav")
    for section in ENCORE_SECTIONS:
        expect(nav.get_by_text(section, exact=True)).to_be_visible()
    expect(sidebar_link(page, "Year in review")).to_be_visible()  # Encore's titles, not file names
    expect(nav.get_by_text("year", exact=True)).to_have_count(0)
    expect(sidebar.get_by_role("combobox", name="Profile")).to_have_value(profile)


def test_the_first_session_after_a_start_keeps_its_profile_and_encores_navigation(chromium, tmp_path):  # noqa: F811
    from tests.browser import start_app, stop_app
    two_profiles_store(tmp_path)
    ARTIFACTS.mkdir(exist_ok=True)
    for trial in range(2):  # each with a new server: the first session is the one at risk
        app = start_app(tmp_path)
        try:
            page = app.new_page(chromium)
            page.set_default_timeout(UI_TIMEOUT)
            expect.set_options(timeout=UI_TIMEOUT)
            with app.diagnostics(page, name=f"failure-first-session-{trial}"):
                page.goto(app.url)
                expect_encore_sidebar(page, "me")
                sidebar_link(page, "Overview").click()
                expect(page).to_have_url(re.compile(r"/overview/?$"))
                expect(page.get_by_test_id("stMainBlockContainer").get_by_role(
                    "heading", name="Overview", exact=True)).to_be_visible()
                wait_for_app_run(page)
                expect_encore_sidebar(page, "me")  # the click did not jump to the demo
                no_exception(page)
        finally:
            stop_app(app)


def test_every_address_opens_its_page_through_encores_navigation_on_a_first_load(chromium, tmp_path):  # noqa: F811
    from tests.browser import start_app, stop_app
    two_profiles_store(tmp_path)
    for path, heading in (("year", "Year in review"), ("overview", "Overview"), ("import", "Import your Spotify export")):
        app = start_app(tmp_path)  # a new server: the address is the very first request it serves
        try:
            page = app.new_page(chromium)
            page.set_default_timeout(UI_TIMEOUT)
            expect.set_options(timeout=UI_TIMEOUT)
            with app.diagnostics(page, name=f"failure-first-load-{path}"):
                page.goto(f"{app.url}/{path}")
                main = page.get_by_test_id("stMainBlockContainer")
                expect(main.get_by_role("heading", name=re.compile(re.escape(heading)))).to_be_visible()
                wait_for_app_run(page)
                expect_encore_sidebar(page, "me")
                expect(page.get_by_text("Page not found")).to_have_count(0)
                page.reload()
                expect(main.get_by_role("heading", name=re.compile(re.escape(heading)))).to_be_visible()
                wait_for_app_run(page)
                expect_encore_sidebar(page, "me")
                no_exception(page)
        finally:
            stop_app(app)
