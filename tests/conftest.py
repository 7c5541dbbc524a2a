import io
import os
import re
import sqlite3
import zipfile
from pathlib import Path

import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

from core import store
from core.explore import charts

# every chart a test draws is checked against the Vega-Lite schema (pages skip the check)
os.environ[charts.VALIDATE_ENV] = "1"

FIXTURES = Path(__file__).parent / "fixtures"
REAL_DATA_ENV = "ENCORE_REAL_DATA"


@pytest.fixture(autouse=True)
def no_outside_settings(monkeypatch):
    """No test reads a developer's own keys (nothing may reach the internet), and whatever a
    test's app puts into the environment (settings from AppTest secrets) is gone after it."""
    for name in ("GEMINI_API_KEY", "ENCORE_GEMINI_MODEL", "ENCORE_GEMINI_BASE_URL", "SPOTIFY_CLIENT_ID",
                 "SPOTIFY_REDIRECT_URI", "ENCORE_SPOTIFY_API_URL", "ENCORE_SPOTIFY_ACCOUNTS_URL"):
        monkeypatch.setenv(name, "")  # records the outside value, restored after the test
        monkeypatch.delenv(name)


@pytest.fixture
def fresh_db():
    db = store.open_memory_store()
    yield db
    db.conn.close()


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    """A store with a 3,000-play demo profile, built once; page tests only read it."""
    from core import ingest
    path = tmp_path_factory.mktemp("demo") / "app.db"
    ingest.build_demo(store.open_store(path), n_plays=3000)
    return path


@pytest.fixture
def demo_copy(demo_db, tmp_path) -> Path:
    """A private copy of the demo store, for tests that write (likes, matches, models)."""
    path = tmp_path / "demo-copy.db"
    # SQLite's backup, not a file copy: the demo store may still hold pages in its write-ahead log
    with sqlite3.connect(demo_db) as source, sqlite3.connect(path) as target:
        source.backup(target)
    return path


HOME = str(Path(__file__).resolve().parent.parent / "Home.py")


def open_page(page: str, profile: str | None = "demo", state: dict | None = None):
    """Run Home.py with ``profile`` (and more session ``state``), switch to ``page``, check
    that nothing raised, and return the AppTest."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(HOME, default_timeout=60)
    if profile is not None:
        at.session_state["profile"] = profile
    for key, value in (state or {}).items():
        at.session_state[key] = value
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def real_data_dir() -> Path:
    """The folder of real exports (../shared/data), or skip with the reason."""
    value = os.environ.get(REAL_DATA_ENV)
    if not value:
        pytest.skip(f"{REAL_DATA_ENV} is not set: real-export acceptance tests need ../shared/data")
    path = Path(value)
    if not (path / "exports").is_dir():
        pytest.skip(f"{REAL_DATA_ENV}={value} has no exports/ folder")
    return path


def make_zip(members: dict[str, bytes]) -> bytes:
    """Build a zip in memory from {member name: bytes}."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def all_plays(db, profile: str = "me") -> list[dict]:
    """Every play of a profile as dicts of all its fields, in time order."""
    cols = ", ".join(store.PLAY_FIELDS)
    return [dict(zip(store.PLAY_FIELDS, row)) for row in db.execute(
        f"SELECT {cols} FROM plays WHERE profile = ? ORDER BY played_at, item_name", [profile]).fetchall()]


def play(**values) -> dict:
    """A play dict with every column None except the ones given."""
    row = dict.fromkeys(store.PLAY_FIELDS)
    unknown = set(values) - set(row)
    assert not unknown, unknown
    row.update(values)
    return row


def shown(markdown: str) -> str:
    """What a reader sees of Markdown whose names are escaped (``pages/_shared.plain``): the
    text without its backslash escapes. AppTest gives elements' Markdown source."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")  # and the word joiners that stop autolinks


def page_captions(at) -> list[str]:
    """The captions of the page itself, as shown: without the profile line every page has."""
    return [shown(c.value) for c in at.caption if not c.value.startswith("👤 Showing")]


def page_infos(at) -> list[str]:
    """The info boxes of the page itself, as shown: without the demo banner of the demo profile."""
    return [shown(i.value) for i in at.info if not i.value.startswith("**Demo data.**")]


@pytest.fixture
def served(monkeypatch):
    """Every file the page hands to Streamlit's media store, or registers to make on click:
    [(bytes, mimetype, filename)]."""
    files = []
    original = MemoryMediaFileStorage.load_and_get_id

    def spy(self, path_or_data, mimetype, kind, filename=None):
        files.append((path_or_data, mimetype, filename))
        return original(self, path_or_data, mimetype, kind, filename)

    def spy_deferred(self, data_callable, mimetype, coordinates, file_name=None, *, element_id=""):
        # made on click: record what a click would serve, made as a click makes it
        files.append((made_on_click(data_callable), mimetype, file_name))
        return original_deferred(self, data_callable, mimetype, coordinates, file_name, element_id=element_id)

    original_deferred = MediaFileManager.add_deferred
    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", spy)
    monkeypatch.setattr(MediaFileManager, "add_deferred", spy_deferred)
    return files


def made_on_click(data_callable):
    """What a download made on click serves, made as Streamlit makes it: on a thread of its own,
    outside any script run. Fails if the callable asks Streamlit for the session (that thread
    has none: it would get a stand-in shared by everyone)."""
    import logging
    import threading

    logger = logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context")
    asked = []
    handler = logging.Handler()
    handler.emit = lambda record: asked.append(record.getMessage())
    logger.addHandler(handler)
    made = {}
    try:
        thread = threading.Thread(target=lambda: made.update(data=data_callable()))
        thread.start()
        thread.join()
    finally:
        logger.removeHandler(handler)
    assert not asked, f"a download made on click asked for the session outside it: {asked[:1]}"
    return made["data"]
