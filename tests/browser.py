"""Shared helpers for real-browser tests: a live Streamlit server and Debian's Chromium.

Rules: never download a browser (no ``playwright install``); drive the system Chromium
(``ENCORE_CHROMIUM``, default ``/usr/bin/chromium``) and skip when it is missing; never
touch the internet. The server runs in a subprocess against a throwaway store
(``ENCORE_DB``), and its output is attached to any failure to make it debuggable.

Use from a test module::

    from tests.browser import chromium, live_app  # noqa: F401  (pytest fixtures)

    def test_something(live_app, chromium):
        page = live_app.new_page(chromium)
        ...
"""
from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM_ENV = "ENCORE_CHROMIUM"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # The machine's network is closed: without these Chromium stalls on refused connections.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_TIMEOUT = 60  # seconds until /_stcore/health must answer "ok"
VIEWPORT = {"width": 1400, "height": 1000}


def chromium_path() -> str:
    """The system Chromium to drive, or skip the test with the reason."""
    path = os.environ.get(CHROMIUM_ENV) or DEFAULT_CHROMIUM
    if not Path(path).is_file():
        pytest.skip(f"no Chromium at {path} (set {CHROMIUM_ENV}); browser tests never download one")
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveApp:
    """A running ``streamlit run Home.py`` and what it printed."""

    url: str
    db_path: Path
    log_path: Path
    proc: subprocess.Popen
    console: list[str] = field(default_factory=list)

    def log_tail(self, chars: int = 6000) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no server log)"
        return text[-chars:] or "(server log is empty)"

    def new_page(self, browser, **context_options):
        """A fresh browser context (own Streamlit session) with a page; records console errors."""
        context = browser.new_context(viewport=VIEWPORT, **context_options)
        page = context.new_page()
        page.on("console", lambda m: m.type in ("error", "warning") and self.console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))
        return page

    @contextlib.contextmanager
    def diagnostics(self, page=None, name: str = "failure"):
        """On failure: save a screenshot and attach the server log and browser console to the error."""
        try:
            yield
        except BaseException as exc:
            if page is not None:
                with contextlib.suppress(Exception):
                    for text in page.get_by_test_id("stException").all_inner_texts():
                        exc.add_note("---- exception shown in the app ----\n" + text)
                    alerts = page.get_by_test_id("stAlert").all_inner_texts()
                    if alerts:
                        exc.add_note("---- alerts shown in the app ----\n" + "\n".join(alerts))
                with contextlib.suppress(Exception):
                    shot = screenshot_full(page, ARTIFACTS / f"{name}.png")
                    exc.add_note(f"screenshot at failure: {shot}")
            exc.add_note("---- streamlit server output (tail) ----\n" + self.log_tail())
            if self.console:
                exc.add_note("---- browser console ----\n" + "\n".join(self.console[-40:]))
            raise


def start_app(workdir: Path, extra_env: Callable[[str], dict[str, str]] | None = None) -> LiveApp:
    """Start the app on a free port with ENCORE_DB in ``workdir``; wait until it is healthy.

    ``extra_env(url)``: more environment for the server, given the address it will have
    (e.g. a Spotify redirect URI on that port).
    """
    port = free_port()
    db_path = workdir / "browser.db"
    log_path = workdir / "streamlit.log"
    env = dict(os.environ, ENCORE_DB=str(db_path), PYTHONUNBUFFERED="1")
    env.pop("GEMINI_API_KEY", None)  # the journeys use the offline interpreter: never the network
    if extra_env:
        env.update(extra_env(f"http://127.0.0.1:{port}"))
    cmd = [
        sys.executable, "-m", "streamlit", "run", "Home.py",
        "--server.address", "127.0.0.1",
        "--server.port", str(port),
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        # Other people edit the source while tests run: never rerun or prompt on file changes.
        "--server.fileWatcherType", "none",
    ]
    log = open(log_path, "wb")
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    log.close()  # the child keeps its own handle
    app = LiveApp(url=f"http://127.0.0.1:{port}", db_path=db_path, log_path=log_path, proc=proc)

    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode} before it was healthy:\n{app.log_tail()}")
        try:
            with urllib.request.urlopen(f"{app.url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200 and resp.read().decode().strip() == "ok":
                    return app
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        if time.monotonic() > deadline:
            stop_app(app)
            raise RuntimeError(f"streamlit not healthy after {SERVER_START_TIMEOUT} s:\n{app.log_tail()}")
        time.sleep(0.25)  # polling interval, not an assertion


def stop_app(app: LiveApp) -> None:
    if app.proc.poll() is None:
        app.proc.terminate()
        try:
            app.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            app.proc.kill()
            app.proc.wait(timeout=10)


@pytest.fixture
def live_app(tmp_path):
    """A fresh Encore server with an empty store in tmp_path; always stopped afterwards."""
    app = start_app(tmp_path)
    try:
        yield app
    finally:
        stop_app(app)


@pytest.fixture(scope="module")
def chromium():
    """Headless Debian Chromium through Playwright (module-wide; each test makes its own context)."""
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def sidebar_link(page, title: str):
    """The sidebar navigation link to the page with this title (exact match)."""
    return page.get_by_test_id("stSidebarNav").get_by_role("link", name=re.compile(rf"^\W*{re.escape(title)}$"))


def wait_until_idle(page, timeout: float = 30_000) -> None:
    """Wait until Streamlit reports no script running (the 'Running…' status widget is gone)."""
    from playwright.sync_api import expect

    expect(page.get_by_test_id("stStatusWidget").filter(has_text=re.compile("Running", re.I))).to_have_count(0, timeout=timeout)


def wait_for_app_run(page, timeout: float = 30_000) -> None:
    """Wait until the app's script is not running (Streamlit's own ``data-test-script-state``).

    Call it after waiting for something the new run draws (a page's title, a changed value):
    right after a click the rerun may not have started yet, and the state still says idle.
    """
    from playwright.sync_api import expect

    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning", timeout=timeout)


@contextlib.contextmanager
def one_rerun(page, timeout: float = 30_000):
    """Wait, after the block, until a script run that started inside the block has finished.

    For changes that show nothing certain on the page (a new time zone): watches Streamlit's
    ``data-test-script-state`` leave "notRunning" and come back, so neither a run that has not
    started yet nor one that finished before the wait began is missed.
    """
    page.evaluate("""() => {
        const app = document.querySelector('[data-testid="stApp"]');
        window.__rerun = {phase: 0};
        window.__rerun.observer = new MutationObserver(() => {
            const idle = app.getAttribute('data-test-script-state') === 'notRunning';
            if (!idle) window.__rerun.phase = 1;
            else if (window.__rerun.phase === 1) window.__rerun.phase = 2;
        });
        window.__rerun.observer.observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
    }""")
    try:
        yield
        page.wait_for_function("() => window.__rerun.phase === 2", timeout=timeout)
    finally:
        page.evaluate("() => window.__rerun && window.__rerun.observer.disconnect()")


# Every Vega-Lite chart under `root` with its drawing (svg or canvas) and its data marks.
_CHARTS_JS = """root => [...root.querySelectorAll('[data-testid="stVegaLiteChart"]')].map(chart => {
    const drawing = chart.querySelector('svg.marks, canvas.marks');
    const box = drawing ? drawing.getBoundingClientRect() : {width: 0, height: 0};
    const title = chart.querySelector('.role-title-text');
    return {
        renderer: drawing ? drawing.tagName.toLowerCase() : null,
        width: Math.round(box.width), height: Math.round(box.height),
        // drawn bigger than the element that frames it: the rest is cut off on the page
        clipped: box.height > chart.clientHeight + 1 || box.width > chart.clientWidth + 1,
        // data marks (bars, lines, cells...); a canvas cannot say, so -1 there
        marks: drawing && drawing.tagName === 'svg' ? drawing.querySelectorAll('g.role-mark > *').length : -1,
        title: title ? title.textContent : '',
    };
})"""


def expect_charts_rendered(page, min_count: int = 1, timeout: float = 30_000) -> list[dict]:
    """Wait until the main area shows at least ``min_count`` Vega-Lite charts, each drawn at a
    non-zero size, and at least one with data marks; return what each chart holds
    (renderer, width, height, clipped, marks, title) for further checks and failure messages."""
    from playwright.sync_api import expect

    main = page.get_by_test_id("stMain")
    charts = main.get_by_test_id("stVegaLiteChart")
    expect(charts.first).to_be_visible(timeout=timeout)
    predicate = f"""root => {{
        const charts = ({_CHARTS_JS})(root);
        return charts.length >= {int(min_count)} && charts.every(c => c.width > 0 && c.height > 0)
            && charts.some(c => c.marks !== 0);
    }}"""
    try:
        page.wait_for_function(predicate, arg=main.element_handle(), timeout=timeout)
    except Exception as exc:
        exc.add_note(f"charts seen: {main.evaluate(_CHARTS_JS)}")
        raise
    return main.evaluate(_CHARTS_JS)


def set_date_range(page, label: str, start, end, scope=None) -> None:
    """Type a range into Streamlit's range ``st.date_input`` (React Aria date fields, 1.67+).

    Each field is made of year/month/day segments (role spinbutton, named like "year, <label>
    start date"), whatever the display format: click each segment and type its digits.
    Clicking opens the calendar popover; the range is sent to the app only when it closes
    (Escape here, or a click outside), not segment by segment, so a half-typed range never
    reruns the app.
    """
    scope = scope if scope is not None else page
    widget = scope.get_by_test_id("stDateInput").filter(has_text=label)
    for which, day in (("start", start), ("end", end)):
        for part, text in (("year", f"{day.year:04d}"), ("month", f"{day.month:02d}"), ("day", f"{day.day:02d}")):
            widget.get_by_role("spinbutton", name=f"{part}, {label} {which} date", exact=True).click()
            page.keyboard.type(text)
    page.keyboard.press("Escape")
    expect_date_range(page, label, start, end, scope)


def expect_date_range(page, label: str, start, end, scope=None) -> None:
    """Assert that a range ``st.date_input`` shows ``start`` – ``end`` (dates)."""
    from playwright.sync_api import expect

    scope = scope if scope is not None else page
    widget = scope.get_by_test_id("stDateInput").filter(has_text=label)
    for which, day in (("start", start), ("end", end)):
        for part, value in (("year", day.year), ("month", day.month), ("day", day.day)):
            segment = widget.get_by_role("spinbutton", name=f"{part}, {label} {which} date", exact=True)
            expect(segment).to_have_attribute("aria-valuenow", str(value))


def date_range_shown(page, label: str, scope=None) -> tuple[dt.date | None, dt.date | None]:
    """The (start, end) dates a range ``st.date_input`` shows now, None for an empty part."""
    scope = scope if scope is not None else page
    widget = scope.get_by_test_id("stDateInput").filter(has_text=label)
    shown = []
    for which in ("start", "end"):
        parts = [widget.get_by_role("spinbutton", name=f"{part}, {label} {which} date", exact=True)
                 .get_attribute("aria-valuenow") for part in ("year", "month", "day")]
        shown.append(dt.date(*map(int, parts)) if all(parts) else None)
    return tuple(shown)


def pick_option(page, combobox, option: str) -> None:
    """Choose ``option`` in a Streamlit selectbox (a React Aria combobox): type to filter, click it."""
    from playwright.sync_api import expect

    combobox.click()
    combobox.fill(option)
    page.get_by_role("option", name=option, exact=True).click()
    expect(combobox).to_have_value(option)


def screenshot_full(page, path: Path, max_height: int = 8000) -> Path:
    """A screenshot of the whole Streamlit page.

    Playwright's ``full_page`` sees only the window, but Streamlit scrolls inside its main
    container (``stMain``, or ``stAppScrollToBottomContainer`` on a chat page), so content
    below the fold would be cut off. Grow the viewport
    to the content's height instead (bounded), take the shot, and restore the viewport.
    Call it after waiting for the elements that must appear in the picture.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    # a page with st.chat_input scrolls in stAppScrollToBottomContainer instead of stMain
    main = page.locator('[data-testid="stMain"], [data-testid="stAppScrollToBottomContainer"]').first
    try:
        height = original["height"]
        for _ in range(5):  # the layout can change when the window grows (e.g. wrapping)
            content = main.evaluate("e => e.scrollHeight")
            if content <= height:
                break
            height = min(content, max_height)
            page.set_viewport_size({"width": original["width"], "height": height})
            # Let the browser lay out the new size (two frames), not a timed sleep.
            page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
            if height == max_height:
                break
        page.screenshot(path=str(path), full_page=True)
    finally:
        page.set_viewport_size(original)
    return path
