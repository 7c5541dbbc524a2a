"""Real-browser check that names are data: a listener whose artists, tracks, albums, genres
and profile name hold Markdown, HTML, LaTeX and colour codes sees them as literal text on
every page that shows them, and no request leaves 127.0.0.1 (an image or a frame in a name
would otherwise load from anywhere).

The store is written before the server starts: an extended export and a catalog CSV with
those names, imported through the same code a person's import uses.
"""
import json
import re
from urllib.parse import urlparse

from playwright.sync_api import expect

from core import catalog, store
from core.ingest import import_files
from tests.browser import (  # noqa: F401  (chromium: fixture)
    ARTIFACTS,
    chromium,
    screenshot_full,
    sidebar_link,
    start_app,
    stop_app,
    wait_for_app_run,
)
from tests.test_browser import UI_TIMEOUT, no_exception
from tests.test_browser_chat import say

PROFILE = ":red[me] ![p](http://leak.test/p.png)"
# (artist, track, album): each field carries something a renderer could act on
HOSTILE = [
    ("![x](http://leak.test/a.png)", "Track :red[boom] $x^2$", "<style>body{display:none}</style>"),
    ("<img src=http://leak.test/b.png>", "[click](http://leak.test/c)", "Album <iframe src=http://leak.test/f></iframe>"),
    ("**Bold** Band", "<script>document.title='owned'</script>", "# Heading"),
]
NORMAL = [(f"Quiet Band {i}", f"Calm Song {i}", "Plain Album") for i in range(5)]
GENRE = ":blue[glitch] ![g](http://leak.test/g.png)"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def write_store(folder):
    tracks = HOSTILE + NORMAL
    rows, catalog_lines = [], ["track_id,track_name,artist_name,album_name,genre,release_date,energy,valence,"
                               "danceability,tempo,duration_ms"]
    for t, (artist, title, album) in enumerate(tracks):
        track_id = f"{t:022d}"
        for n in range(30):
            day = 1 + (n * 7 + t) % 28
            rows.append({"ts": f"2024-{1 + n % 6:02d}-{day:02d}T{8 + t:02d}:{n % 60:02d}:00Z", "ms_played": 200_000,
                         "master_metadata_track_name": title, "master_metadata_album_artist_name": artist,
                         "master_metadata_album_album_name": album, "spotify_track_uri": f"spotify:track:{track_id}",
                         "reason_start": "trackdone", "reason_end": "trackdone", "shuffle": False, "skipped": False,
                         "offline": False, "offline_timestamp": None, "incognito_mode": False, "platform": "android",
                         "conn_country": "SE"})
        cells = [track_id, title, artist, album, GENRE if t < len(HOSTILE) else "folk", "2020-01-01",
                 str(0.3 + 0.05 * t), str(0.4 + 0.04 * t), "0.5", "120", "200000"]
        catalog_lines.append(",".join('"' + c.replace('"', '""') + '"' for c in cells))
    export = folder / "Streaming_History_Audio_2024_0.json"
    export.write_text(json.dumps(rows))
    catalog_file = folder / "names.csv"
    catalog_file.write_text("\n".join(catalog_lines) + "\n")
    db = store.open_store(folder / "browser.db")
    report = import_files(db, paths=[export], profile=PROFILE)
    assert report.added == 30 * len(tracks)
    catalog.import_catalog(db, catalog_file, name="names")
    db.conn.close()


def check_page(page, main, outside: list[str], literal: list[str], where: str) -> None:
    wait_for_app_run(page)
    no_exception(page)
    # a <style> in a name would hide the page
    assert page.evaluate("getComputedStyle(document.body).display") != "none", f"{where}: the page is hidden"
    expect(page.get_by_test_id("stSidebar")).to_be_visible()
    assert page.title() != "owned", f"a script in a name ran on {where}"
    # a link to the app's own Artist & track page carries a name as data, url-encoded in its query
    # ("http%3A%2F%2Fleak.test…"): it is not built from the name, and it never leaves the app
    leaks = page.locator("img[src*='leak.test'], iframe[src*='leak.test'], a[href*='leak.test']:not([href^='./detail?'])")
    assert leaks.count() == 0, f"{where}: elements built from names: {leaks.evaluate_all('e => e.map(x => x.outerHTML)')}"
    own = page.locator("a[href^='./detail?']").evaluate_all("e => e.map(x => x.getAttribute('href'))")
    assert not [href for href in own if any(c in href.split("?", 1)[1] for c in ":/()<> ")], \
        f"{where}: a name unencoded in {own}"
    text = main.inner_text().replace("\u2060", "")  # the invisible joiners that keep web addresses text
    for value in literal:
        assert value in text, f"{where}: {value!r} is not shown as typed"
    assert not outside, f"{where}: requests left 127.0.0.1: {outside}"
    screenshot_full(page, ARTIFACTS / f"safety-{where}.png")


def test_names_render_as_text_and_nothing_leaves_the_machine(chromium, tmp_path):  # noqa: F811
    ARTIFACTS.mkdir(exist_ok=True)
    write_store(tmp_path)
    app = start_app(tmp_path)
    try:
        page = app.new_page(chromium)
        page.set_default_timeout(UI_TIMEOUT)
        expect.set_options(timeout=UI_TIMEOUT)
        outside: list[str] = []

        def watch(route):
            if urlparse(route.request.url).hostname not in LOCAL_HOSTS:
                outside.append(route.request.url)
                route.abort()
            else:
                route.continue_()

        page.context.route("**/*", watch)
        main = page.get_by_test_id("stMainBlockContainer")

        with app.diagnostics(page, name="failure-safety-home"):
            page.goto(app.url)
            expect(page.get_by_test_id("stSidebar").get_by_role("combobox", name="Profile")).to_have_value(PROFILE)
            check_page(page, main, outside, [f"Showing {PROFILE}", f"Profile “{PROFILE}”"], "home")

        with app.diagnostics(page, name="failure-safety-overview"):
            sidebar_link(page, "Overview").click()
            expect(main.get_by_role("heading", name="Overview", exact=True)).to_be_visible()
            check_page(page, main, outside, [], "overview")

        with app.diagnostics(page, name="failure-safety-detail"):
            sidebar_link(page, "Artist & track").click()
            wait_for_app_run(page)
            picker = main.get_by_role("combobox").first
            picker.click()
            page.get_by_role("option", name=HOSTILE[0][0], exact=True).click()
            check_page(page, main, outside, [HOSTILE[0][0]], "detail")

        with app.diagnostics(page, name="failure-safety-catalog"):
            sidebar_link(page, "Catalog").click()
            expect(main.get_by_role("heading", name=re.compile("^🗂️ Catalog"))).to_be_visible()
            check_page(page, main, outside, [f"How much of “{PROFILE}”'s listening has audio features"], "catalog")

        with app.diagnostics(page, name="failure-safety-mood"):
            sidebar_link(page, "Mood").click()
            wait_for_app_run(page)
            check_page(page, main, outside, [], "mood")

        with app.diagnostics(page, name="failure-safety-chat"):
            sidebar_link(page, "Chat").click()
            expect(main.get_by_role("heading", name=re.compile("Chat"))).to_be_visible()
            say(page, "upbeat mix")
            expect(main).to_contain_text(re.compile(r"\d+ tracks · \d+ min · version 1 of 1"))
            check_page(page, main, outside, [HOSTILE[0][2], HOSTILE[1][2], HOSTILE[0][1], HOSTILE[2][1]], "chat")
    finally:
        stop_app(app)
