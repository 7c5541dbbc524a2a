"""Real-browser journey of the chat on a real export with the TidyTuesday catalog: a request
about the listener's own music, a mood refinement that edits, and a reload that keeps the
conversation and the list of playlists.

Needs ENCORE_REAL_DATA (skipped with the reason otherwise) and ENCORE_CHROMIUM.
"""
import re

import pytest
from playwright.sync_api import expect

from core import catalog as catalogs
from core import chat, history, ingest, store
from tests.browser import (  # noqa: F401  (chromium: fixture)
    ARTIFACTS,
    chromium,
    screenshot_full,
    start_app,
    stop_app,
    wait_for_app_run,
)
from tests.conftest import real_data_dir
from tests.test_browser_chat import last_reply, say

UI_TIMEOUT = 90_000  # ms: the first turn builds the pool of a real store on a slow CI machine
EXPORT = "exports/extended-2026-b.zip"
CATALOG = "catalogs/tidytuesday-2020-spotify_songs.csv"


@pytest.fixture
def real_store_app(tmp_path):
    root = real_data_dir()
    export, catalog = root / EXPORT, root / CATALOG
    if not export.is_file() or not catalog.is_file():
        pytest.skip(f"{export} or {catalog} is missing")
    db = store.open_store(tmp_path / "browser.db")
    report = ingest.import_files(db, paths=[str(export)], profile="me")
    assert not report.errors
    catalogs.import_catalog(db, str(catalog))
    db.close()
    app = start_app(tmp_path)
    try:
        yield app
    finally:
        stop_app(app)


def saved_playlist(app) -> tuple[list[str], "object"]:
    """The chat's current playlist as the store holds it, and its pool."""
    db = store.open_store(app.db_path)
    [latest, *_] = store.list_chats(db, "me")
    pool = chat.load_pool(db, "me", history.load_plays(db, "me"))
    conversation = chat.open_saved(db, "me", latest["id"], pool)
    return list(conversation.version.track_keys), pool


def test_songs_i_love_then_calmer_then_reload(real_store_app, chromium):  # noqa: F811
    ARTIFACTS.mkdir(exist_ok=True)
    app = real_store_app
    page = app.new_page(chromium)
    page.set_default_timeout(UI_TIMEOUT)
    expect.set_options(timeout=UI_TIMEOUT)
    main = page.get_by_test_id("stMainBlockContainer")

    with app.diagnostics(page, name="failure-chat-real-love"):
        page.goto(f"{app.url}/chat")
        expect(main.get_by_role("heading", name=re.compile("Chat"))).to_be_visible()
        say(page, "upbeat songs I love for a morning run")
        expect(page.get_by_test_id("stChatMessage").last).to_contain_text("I read that as: songs you love")
        expect(main).to_contain_text(re.compile(r"25 tracks · \d+ min · version 1 of 1"))
        screenshot_full(page, ARTIFACTS / "chat-real-songs-i-love.png")
    keys, pool = saved_playlist(app)
    streamed = pool.loc[keys, "plays"]
    assert len(keys) == 25 and (streamed >= 3).mean() >= 0.8, streamed.tolist()
    assert not pool.loc[keys, "track_uri"].astype(str).str.contains("demo").any()
    top_artists = pool.groupby("artist_name")["plays"].sum().nlargest(10).index
    assert pool.loc[keys, "artist_name"].isin(top_artists).any()  # their most played artists are there

    with app.diagnostics(page, name="failure-chat-real-calmer"):
        say(page, "make it calmer")
        reply = last_reply(page)
        changed = re.search(r"Changed (\d+) of 25 tracks", reply)
        assert changed and int(changed.group(1)) <= 17, reply  # keeps at least 30 %
        expect(main).to_contain_text(re.compile(r"version 2 of 2"))
    calmer, _ = saved_playlist(app)
    assert len(set(calmer) & set(keys)) >= 0.3 * len(keys)
    energy = pool["sound_energy"]
    assert energy.loc[calmer].mean() < energy.loc[keys].mean()

    with app.diagnostics(page, name="failure-chat-real-reload"):
        page.reload()
        wait_for_app_run(page)
        expect(main).to_contain_text(re.compile(r"version 2 of 2"))
        expect(page.get_by_test_id("stChatMessage").filter(has_text="upbeat songs I love for a morning run")
               ).to_be_visible()
        screenshot_full(page, ARTIFACTS / "chat-real-after-reload.png")
