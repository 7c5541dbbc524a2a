"""Real-browser journey of the chat: the demo listener signs in to Spotify (a local fake of
the Web API and accounts service), asks for a playlist, refines it twice, undoes a turn,
exports it as CSV and saves it to the (fake) Spotify account with one click.

Needs no real data: the demo is built from the Home page. Sign-in comes first because
Spotify's redirect back opens a new session, as it does for a person.
"""
import re

import pytest
from playwright.sync_api import expect

from tests.browser import (  # noqa: F401  (chromium: fixture)
    ARTIFACTS,
    chromium,
    screenshot_full,
    sidebar_link,
    start_app,
    stop_app,
    wait_for_app_run,
)
from tests.fake_spotify import CLIENT_ID, FakeSpotify

UI_TIMEOUT = 60_000  # ms
DEMO_TIMEOUT = 180_000  # ms: building the 60k-play demo on a slow CI machine


@pytest.fixture
def fake_spotify():
    fake = FakeSpotify().start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def live_app_spotify(tmp_path, fake_spotify):
    app = start_app(tmp_path, extra_env=lambda url: {
        "SPOTIFY_CLIENT_ID": CLIENT_ID, "SPOTIFY_REDIRECT_URI": f"{url}/spotify",
        "ENCORE_SPOTIFY_API_URL": fake_spotify.api_url, "ENCORE_SPOTIFY_ACCOUNTS_URL": fake_spotify.accounts_url})
    try:
        yield app
    finally:
        stop_app(app)


def say(page, text: str) -> None:
    box = page.get_by_test_id("stChatInput").locator("textarea")
    box.fill(text)
    box.press("Enter")
    expect(page.get_by_test_id("stChatMessage").filter(has_text=text).first).to_be_visible()
    wait_for_app_run(page)


def last_reply(page) -> str:
    return page.get_by_test_id("stChatMessage").last.inner_text()


def test_chat_prompt_refine_undo_export_and_save_to_spotify(live_app_spotify, chromium, fake_spotify):  # noqa: F811
    ARTIFACTS.mkdir(exist_ok=True)
    app = live_app_spotify
    page = app.new_page(chromium, accept_downloads=True)
    page.set_default_timeout(UI_TIMEOUT)
    expect.set_options(timeout=UI_TIMEOUT)
    main = page.get_by_test_id("stMainBlockContainer")  # the chat page has no stMain

    with app.diagnostics(page, name="failure-chat-demo"):
        page.goto(app.url)
        main.get_by_role("button", name="Load the demo").click()
        expect(page.get_by_test_id("stSidebar").get_by_role("combobox", name="Profile")).to_have_value(
            "demo", timeout=DEMO_TIMEOUT)
        wait_for_app_run(page, timeout=DEMO_TIMEOUT)

    with app.diagnostics(page, name="failure-chat-sign-in"):
        sidebar_link(page, "Spotify").click()
        expect(page).to_have_url(re.compile(r"/spotify/?$"))
        sign_in = main.get_by_role("link", name="Sign in with Spotify")
        with page.context.expect_page() as opened:  # st.link_button opens a new tab
            sign_in.click()
        page = opened.value
        page.set_default_timeout(UI_TIMEOUT)
        main = page.get_by_test_id("stMainBlockContainer")  # the chat page has no stMain
        expect(main.get_by_text("Signed in to Spotify.")).to_be_visible()
        expect(page).to_have_url(re.compile(r"/spotify/?$"))  # the code is not left in the address bar
        screenshot_full(page, ARTIFACTS / "spotify-signed-in.png")

    with app.diagnostics(page, name="failure-chat-turns"):
        sidebar_link(page, "Chat").click()
        expect(main.get_by_role("heading", name=re.compile("Chat"))).to_be_visible()
        say(page, "rainy-afternoon indie folk")
        expect(page.get_by_test_id("stChatMessage").last).to_contain_text("I read that as: indie folk, calm")
        expect(main).to_contain_text(re.compile(r"25 tracks · \d+ min · version 1 of 1"))
        say(page, "more upbeat")
        expect(page.get_by_test_id("stChatMessage").last).to_contain_text("I read that as: more energy, happier.")
        say(page, "20 minutes")
        expect(page.get_by_test_id("stChatMessage").last).to_contain_text("about 20 minutes")
        expect(main).to_contain_text(re.compile(r"\d+ tracks · (1[7-9]|2[0-3]) min · version 3 of 3"))
        main.get_by_role("button", name="Undo").click()
        expect(main).to_contain_text(re.compile(r"25 tracks · \d+ min · version 2 of 3"))
        wait_for_app_run(page)
        screenshot_full(page, ARTIFACTS / "chat-after-undo.png")

    with app.diagnostics(page, name="failure-chat-export"):
        with page.expect_download() as download:
            main.get_by_role("button", name="CSV").click()
        csv_text = open(download.value.path(), encoding="utf-8").read().splitlines()
        assert csv_text[0].startswith("artist_name,track_name,album_name,release_year,duration_ms,energy")
        assert len(csv_text) == 26  # the header and the 25 tracks of version 2

    with app.diagnostics(page, name="failure-chat-save"):
        main.get_by_role("button", name="Save to Spotify", exact=True).click()  # one click: signed in already
        expect(page.get_by_test_id("stAlert").filter(
            has_text=re.compile(r"Saved “.+” to Spotify with 25 tracks\."))).to_be_visible()
        expect(main.get_by_role("link", name="Open in Spotify")).to_be_visible()
        screenshot_full(page, ARTIFACTS / "chat-saved-to-spotify.png")
    created = [r for r in fake_spotify.requests if r.method == "POST" and r.path.startswith("/v1/me/playlists")]
    added = [r for r in fake_spotify.requests if r.method == "POST" and r.path.endswith("/items")]
    assert len(created) == 1 and len(added) == 1  # 25 tracks: one chunk
    (playlist,) = fake_spotify.playlists.values()
    assert len(playlist["items"]) == 25
