"""What keeps a person's data theirs: files they download that a spreadsheet will not run, and
which paths on the server a page may read.

Pages render names as text (``pages/_shared.plain``); the rules here are the ones that do not
depend on Streamlit.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from core.errors import PathNotAllowedError

# A spreadsheet runs a cell that starts with one of these as a formula (=HYPERLINK(…) and worse);
# the usual defence (OWASP's "CSV injection") is a leading apostrophe, which shows the text as typed.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """A text cell a spreadsheet shows as typed and never runs; anything else unchanged."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def csv_bytes(frame) -> bytes:
    """A pandas frame as UTF-8 CSV for a person to download, every text cell spreadsheet-safe
    (numbers stay numbers: a negative number is not text)."""
    safe = {}
    for name in frame.columns:
        column = frame[name]
        if hasattr(column, "cat"):  # categorical: each category once (a collision falls back to the values)
            try:
                safe[name] = column.cat.rename_categories(spreadsheet_safe)
                continue
            except ValueError:
                column = column.astype(object)
        try:
            starts = column.str[:1]
        except AttributeError:  # not text
            continue
        hit = starts.isin(FORMULA_STARTS).to_numpy()
        if hit.any():
            column = column.copy()
            column[hit] = column[hit].map(spreadsheet_safe)
            safe[name] = column
    for name in frame.columns:
        if isinstance(frame[name].dtype, pd.DatetimeTZDtype):
            text = zoned_text(frame[name])
            if text is not None:
                safe[name] = text
    return frame.assign(**safe).to_csv(index=False).encode("utf-8")


def zoned_text(times: pd.Series) -> pd.Series | None:
    """A zoned time column as text, as ``to_csv`` and ``astype(str)`` write it ("2024-03-01
    10:00:00.250+01:00", one precision for the whole column; the downloads), made from
    its wall clock, which pandas writes in C at one precision for the whole column as it does
    zoned times, and each distinct UTC offset: pandas writes zoned times one Python object
    at a time (a million plays: 14 s of a 16 s download). None (write them as pandas does)
    for a column with a missing time, an offset that is not whole minutes, or every time at
    midnight (pandas writes such wall clocks as dates alone, zoned ones with their time)."""
    wall = times.dt.tz_localize(None)
    if wall.isna().any() or not (wall.to_numpy() - wall.to_numpy().astype("datetime64[D]")).any():
        return None
    seconds = (wall.to_numpy() - times.dt.tz_convert(None).to_numpy()) // np.timedelta64(1, "s")
    codes, offsets = pd.factorize(seconds)
    if np.any(offsets % 60):
        return None
    signs = ["+" if offset >= 0 else "-" for offset in offsets.tolist()]
    zones = np.array([f"{sign}{abs(o) // 3600:02d}:{abs(o) % 3600 // 60:02d}"
                      for sign, o in zip(signs, offsets.tolist())], dtype=object)
    lines = wall.to_frame().to_csv(index=False, header=False, lineterminator="\n").split("\n")[:-1]
    return pd.Series(np.array(lines, dtype=object) + zones[codes], index=times.index)


# --- paths typed into a page -------------------------------------------------------------

ALLOWED_FOLDERS_ENV = "ENCORE_ALLOWED_FOLDERS"
"""Folders (separated by ``os.pathsep``) that paths typed into the app may come from."""

_LOOPBACK = ("localhost", "::1", "[::1]")


def served_on_loopback(address: str | None) -> bool:
    """Whether the app listens on this computer only (Streamlit's ``server.address``); unset
    or 0.0.0.0 means every network the computer is on."""
    return bool(address) and (address in _LOOPBACK or address.startswith("127."))


def allowed_folders() -> tuple[Path, ...]:
    value = os.environ.get(ALLOWED_FOLDERS_ENV, "")
    return tuple(Path(part).expanduser().resolve() for part in value.split(os.pathsep) if part.strip())


def typed_paths_allowed(address: str | None) -> bool:
    """Whether a page may offer a box for a path on the server: only when the app listens on
    this computer alone, or when ``ENCORE_ALLOWED_FOLDERS`` names the folders paths may come from."""
    return served_on_loopback(address) or bool(allowed_folders())


def check_typed_path(text: str, address: str | None, suffixes: tuple[str, ...] = ()) -> Path:
    """The path a person typed, if a page may read it; else PathNotAllowedError saying why.

    With ``ENCORE_ALLOWED_FOLDERS`` set, the path (links resolved) must lie inside one of
    them; without it, the app must listen on loopback. ``suffixes``: the file endings the
    page reads (a folder is always fine)."""
    path = Path(text).expanduser()
    folders = allowed_folders()
    if folders:
        resolved = path.resolve()
        if not any(resolved == folder or resolved.is_relative_to(folder) for folder in folders):
            raise PathNotAllowedError(
                f"{text}: is outside the folders this Encore may read ({', '.join(map(str, folders))}). "
                "Move the file into one of them, or upload it instead.")
    elif not served_on_loopback(address):
        raise PathNotAllowedError(
            f"{text}: paths on the server can be read only when Encore listens on this computer alone "
            f"(127.0.0.1) or {ALLOWED_FOLDERS_ENV} names the folders they may come from. Upload the file instead.")
    if suffixes and not path.is_dir() and path.suffix.lower() not in suffixes:
        raise PathNotAllowedError(f"{text}: is not a {' or '.join(suffixes)} file. Give the path of one, "
                                  "or upload it instead.")
    return path
