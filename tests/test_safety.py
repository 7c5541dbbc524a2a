"""What keeps a person's data theirs: downloads a spreadsheet will not run, names shown as
typed, where the app listens, and which typed paths a page may read."""
import csv
import io
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core import safety
from core.errors import PathNotAllowedError
from pages._shared import plain
from tests.conftest import HOME, shown

REPO = Path(__file__).resolve().parent.parent


def test_a_csv_download_never_hands_a_spreadsheet_a_formula():
    frame = pd.DataFrame({
        "artist_name": pd.Categorical(["=HYPERLINK(\"http://x.test\",\"hi\")", "Plain", "+1 Band", "-M-"]),
        "track_name": ["@SUM(A1)", "\tTabbed", "Fine", None],
        "ms_played": [-5, 10, 20, 30],  # numbers stay numbers, even negative ones
    })
    rows = list(csv.DictReader(io.StringIO(safety.csv_bytes(frame).decode())))
    assert [(r["artist_name"], r["track_name"], r["ms_played"]) for r in rows] == [
        ("'=HYPERLINK(\"http://x.test\",\"hi\")", "'@SUM(A1)", "-5"), ("Plain", "'\tTabbed", "10"),
        ("'+1 Band", "Fine", "20"), ("'-M-", "", "30")]


@pytest.mark.parametrize("zone", ["Europe/Berlin", "Asia/Kolkata", "Asia/Kathmandu", "America/St_Johns",
                                  "Australia/Lord_Howe", "UTC", "Europe/Amsterdam"])
@pytest.mark.parametrize("times", [
    ["2024-03-31 00:59:59.250", "2024-03-31 01:00:00", "2024-10-27 00:30:00.125"],  # either side of DST
    ["2024-01-01 09:03:01", "2024-07-01 10:00:00"],  # whole seconds
    ["2024-01-01 09:03:01.000001", "2024-07-01 10:00:00"],  # microseconds
    ["1900-01-01 00:00:00", "2024-07-01 10:00:00"],  # local mean time: an offset of minutes and seconds
    ["2024-01-01 09:03:01", None],  # a missing time
    ["2023-12-31 23:00:00", "2024-06-30 22:00:00"],  # midnight in Berlin
    ["2024-01-01 00:00:00", "2024-07-01 00:00:00"],  # midnight in UTC
])
def test_zoned_times_in_a_csv_download_read_as_pandas_writes_them(zone, times):
    # written from the wall clock and each distinct offset (fast), or as pandas writes them
    started = pd.Series(pd.to_datetime(times, format="ISO8601")).dt.tz_localize("UTC").dt.tz_convert(zone)
    frame = pd.DataFrame({"started_local": started, "track_name": ["=x", "y", "z"][:len(times)]})
    assert safety.csv_bytes(frame) == frame.assign(track_name=frame["track_name"].map(safety.spreadsheet_safe)).to_csv(
        index=False).encode("utf-8")
    text = safety.zoned_text(started)  # the Parquet download's text: as astype(str) writes it
    assert text is None or text.tolist() == started.astype(str).tolist()


def test_a_name_in_markdown_shows_as_typed():
    for name in ("![x](http://leak.test/a.png)", ":red[boom] $x^2$", "<img src=x>", "**bold** _it_ `code`",
                 "# Heading", "1. Not a list", "a\\b", "[link](http://x.test)", "&lt;b&gt;"):
        escaped = plain(name)
        assert shown(escaped) == name
        # nothing markdown, a colour code, LaTeX or HTML would read is left unescaped
        for char in "![]()<>$:*_`#&":
            assert char not in escaped.replace("\\" + char, ""), (name, char)
    assert plain("two\nlines") == "two lines"


def test_the_app_listens_on_this_computer_only_by_default():
    config = tomllib.loads((REPO / ".streamlit/config.toml").read_text())
    assert config["server"]["address"] == "127.0.0.1"
    assert safety.served_on_loopback("127.0.0.1") and safety.served_on_loopback("localhost")
    assert not safety.served_on_loopback("0.0.0.0") and not safety.served_on_loopback(None)
    assert not safety.served_on_loopback("") and not safety.served_on_loopback("192.168.1.5")


def test_typed_paths_need_loopback_or_the_allowed_folders(tmp_path, monkeypatch):
    monkeypatch.delenv(safety.ALLOWED_FOLDERS_ENV, raising=False)
    inside = tmp_path / "exports"
    inside.mkdir()
    (inside / "songs.csv").write_text("track_id\n")
    assert safety.check_typed_path(str(inside), "127.0.0.1") == inside
    with pytest.raises(PathNotAllowedError, match="can be read only when Encore listens on this computer alone"):
        safety.check_typed_path(str(inside), "0.0.0.0")
    assert not safety.typed_paths_allowed("0.0.0.0")

    monkeypatch.setenv(safety.ALLOWED_FOLDERS_ENV, str(inside))
    assert safety.typed_paths_allowed("0.0.0.0")
    assert safety.check_typed_path(str(inside / "songs.csv"), "0.0.0.0", (".csv",)) == inside / "songs.csv"
    for outside in ("/etc", str(inside / ".." / "other"), "/etc/passwd"):
        with pytest.raises(PathNotAllowedError, match="is outside the folders this Encore may read"):
            safety.check_typed_path(outside, "127.0.0.1")
    (inside / "link").symlink_to("/etc")
    with pytest.raises(PathNotAllowedError, match="outside the folders"):
        safety.check_typed_path(str(inside / "link"), "127.0.0.1")  # links are resolved first
    with pytest.raises(PathNotAllowedError, match=r"is not a \.csv or \.zip file"):
        safety.check_typed_path(str(inside / "notes.env"), "127.0.0.1", (".csv", ".zip"))


def _page(page: str, db_path: Path, monkeypatch, address: str | None) -> AppTest:
    monkeypatch.setenv("ENCORE_DB", str(db_path))
    monkeypatch.setattr("pages._shared.server_address", lambda: address)
    at = AppTest.from_file(HOME, default_timeout=60).run()
    at.switch_page(page).run()
    assert not at.exception
    return at


@pytest.mark.parametrize("page, key", [("pages/import.py", "import_folder"), ("pages/catalog.py", "cat_path")])
def test_path_boxes_are_hidden_when_the_app_is_reachable_from_other_computers(tmp_path, monkeypatch, page, key):
    monkeypatch.delenv(safety.ALLOWED_FOLDERS_ENV, raising=False)
    at = _page(page, tmp_path / "s.db", monkeypatch, "0.0.0.0")
    assert key not in [t.key for t in at.text_input]
    assert any("Paths on the server are off" in c.value for c in at.caption)
    at = _page(page, tmp_path / "s.db", monkeypatch, "127.0.0.1")
    assert key in [t.key for t in at.text_input]


def test_a_path_outside_the_allowed_folders_is_refused_and_nothing_is_read(tmp_path, monkeypatch):
    secret = tmp_path / "secrets.csv"
    secret.write_text("API_KEY\nsk-123\n")
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    monkeypatch.setenv(safety.ALLOWED_FOLDERS_ENV, str(allowed))
    at = _page("pages/catalog.py", tmp_path / "s.db", monkeypatch, "0.0.0.0")
    at.text_input(key="cat_path").set_value(str(secret)).run()
    assert [shown(e.value) for e in at.error] == [
        f"{secret}: is outside the folders this Encore may read ({allowed}). Move the file into one of them, "
        "or upload it instead."]
    assert not [s for s in at.selectbox if "API_KEY" in s.options]  # the file was never opened


@pytest.mark.parametrize("times", [["2024-03-31 00:59:59.250", "2024-10-27 00:30:00"], ["2024-01-01 00:00:00"],
                                   ["2024-01-01 09:00:00", None]])
def test_the_parquet_download_holds_the_local_start_as_text(times):
    from pages._shared import _to_parquet

    started = pd.Series(pd.to_datetime(times, format="ISO8601")).dt.tz_localize("UTC").dt.tz_convert("Europe/Berlin")
    frame = pd.DataFrame({"started_local": started, "ms_played": range(len(times))})
    back = pd.read_parquet(io.BytesIO(_to_parquet(frame)))
    assert back["started_local"].tolist() == started.astype(str).tolist()
    assert back["ms_played"].tolist() == list(range(len(times)))
