"""Catalog files -> clean catalog rows, genres and a report (nothing here writes the store).

A catalog is a CSV (or a zip holding one CSV) of Spotify tracks with audio features. Its
schema is recognised by its header — TidyTuesday 2020 ``spotify_songs.csv``, Kaggle's
"Spotify Tracks Dataset", the "1.2M songs" ``tracks_features.csv``, or Encore's own column
names — and any other CSV can be read through an explicit column mapping from Encore's
field names (``FIELDS``) to the file's headers.

Cleaning rules (each value that breaks one becomes NULL and is counted in the report):

- ``NA`` and empty cells are NULL; other text ("None", "null", "NaN") is kept as a name.
- Shares (danceability, energy, speechiness, acousticness, instrumentalness, liveness,
  valence) must lie in 0..1; loudness in -60..0 dB; tempo in (0, 300] BPM (0 means
  "not measured"); key in 0..11 (-1 means "no key"); mode 0 or 1; popularity 0..100;
  duration > 0 ms; release dates look like YYYY, YYYY-MM or YYYY-MM-DD from 1800 on;
  years 1800..2100. Text in a number column is "unreadable".
- A row without a track id is rejected (counted, first row numbers listed). Track ids
  given as ``spotify:track:…`` uris or open.spotify.com links are reduced to the id.
- A track id repeated on several rows is one track: the first row's values are kept, the
  genres of all its rows are stored, and ids whose rows disagree on a value are counted
  per field.
- Artists: a Python list literal (``['A', 'B']``) or Kaggle's ``A;B`` becomes "A, B",
  the form ``core.names`` reads as a list of credited artists.
- Text starting with ``=``, ``+``, ``-`` or ``@`` could be taken for a formula by a
  spreadsheet. It is stored as it is (nothing here evaluates anything) and flagged.
- Genres: TidyTuesday's ``playlist_genre`` and Kaggle's ``track_genre``.
  ``catalog_tracks.genre`` is the first genre of a track, ``catalog_genres`` holds all of
  them. Lists (``LIST_FIELDS``): TidyTuesday's ``playlist_id`` and ``playlist_subgenre``,
  one ``catalog_lists`` row per track and list.

Row numbers in the report count data rows from 1 (the header is not a row).
"""
from __future__ import annotations

import ast
import codecs
import csv
import io
import os
import re
import zipfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from core import names, store
from core.base import Progress, no_progress
from core.errors import ImportFileError

FEATURES: tuple[str, ...] = store.CATALOG_FEATURES
SHARES: tuple[str, ...] = ("danceability", "energy", "speechiness", "acousticness", "instrumentalness",
                           "liveness", "valence")
TEXT_FIELDS: tuple[str, ...] = ("track_id", "track_name", "artist_name", "album_name", "genre", "release_date")
NUMBER_FIELDS: tuple[str, ...] = ("release_year", "popularity", "duration_ms", *FEATURES)
FLAG_FIELDS: tuple[str, ...] = ("explicit",)
# Encore's field names: the keys of a column mapping.
# The catalog's own structure: the curated playlists and subgenres a track is listed in
# (TidyTuesday's playlist_id and playlist_subgenre). Stored as (track_id, kind, list) rows;
# the taste model reads each list as a row of its matrix, so a catalog song is reachable
# through the lists it shares with songs the listener plays.
LIST_FIELDS: dict[str, str] = {"playlist_id": "playlist", "subgenre": "subgenre"}
FIELDS: tuple[str, ...] = TEXT_FIELDS + ("explicit",) + NUMBER_FIELDS + tuple(LIST_FIELDS)
REQUIRED: tuple[str, ...] = ("track_id", "track_name")
# Text fields checked for spreadsheet formulas.
FORMULA_FIELDS: tuple[str, ...] = ("track_name", "artist_name", "album_name", "genre")
FORMULA_START = ("=", "+", "-", "@")
MAX_ROW_NUMBERS = 10
MAX_ZIP_BYTES = 4 * 1024**3
MAX_ZIP_RATIO = 200  # a CSV compresses ~5:1; a zip bomb 1000:1

_VALID_RANGES: dict[str, tuple[float, float]] = {
    **{share: (0.0, 1.0) for share in SHARES},
    "loudness": (-60.0, 0.0),
    "tempo": (0.0, 300.0),  # 0 excluded below: it means "not measured"
    "key": (0, 11),
    "mode": (0, 1),
    "popularity": (0, 100),
    "release_year": (1800, 2100),
}
INTEGER_FIELDS = ("key", "mode", "popularity", "release_year", "duration_ms")
_TEXT_NA = ["", "NA"]
_NUMBER_NA = ["", "NA", "N/A", "n/a", "NaN", "nan", "-nan", "NULL", "null", "None", "#N/A", "<NA>"]
_TRUE = ("true", "t", "yes", "y", "1", "1.0")
_FALSE = ("false", "f", "no", "n", "0", "0.0")
_DATE = r"\d{4}(?:-\d{2}(?:-\d{2})?)?"


@dataclass(frozen=True)
class CatalogFormat:
    """A known catalog schema: how to recognise it and where each Encore field is."""

    key: str
    label: str
    identify: frozenset[str]  # headers that together say "this is that schema"
    columns: Mapping[str, str]  # Encore field -> header
    artist_separator: str | None = None  # Kaggle lists artists as "A;B"


_SAME_NAMES = {f: f for f in FIELDS}
_FEATURE_COLUMNS = {f: f for f in FEATURES}
FORMATS: tuple[CatalogFormat, ...] = (
    CatalogFormat(
        "tidytuesday-2020", "TidyTuesday 2020 spotify_songs.csv",
        frozenset({"track_id", "track_name", "track_artist", "playlist_genre"}),
        {"track_id": "track_id", "track_name": "track_name", "artist_name": "track_artist",
         "album_name": "track_album_name", "release_date": "track_album_release_date",
         "popularity": "track_popularity", "genre": "playlist_genre", "duration_ms": "duration_ms",
         "playlist_id": "playlist_id", "subgenre": "playlist_subgenre", **_FEATURE_COLUMNS},
    ),
    CatalogFormat(
        "kaggle-tracks", "Kaggle Spotify Tracks Dataset",
        frozenset({"track_id", "track_name", "artists", "track_genre"}),
        {"track_id": "track_id", "track_name": "track_name", "artist_name": "artists",
         "album_name": "album_name", "popularity": "popularity", "duration_ms": "duration_ms",
         "explicit": "explicit", "genre": "track_genre", **_FEATURE_COLUMNS},
        artist_separator=";",
    ),
    CatalogFormat(
        "spotify-1.2m", "1.2M songs tracks_features.csv",
        frozenset({"id", "name", "artists", "artist_ids"}),
        {"track_id": "id", "track_name": "name", "artist_name": "artists", "album_name": "album",
         "explicit": "explicit", "duration_ms": "duration_ms", "release_year": "year",
         "release_date": "release_date", **_FEATURE_COLUMNS},
    ),
    CatalogFormat(
        "encore", "Encore catalog columns",
        frozenset({"track_id", "track_name"}),  # checked last: the schemas above have these too
        _SAME_NAMES,
    ),
)


@dataclass
class CatalogReport:
    """What one catalog import did. Counts are of data rows or of distinct track ids."""

    file: str
    name: str  # the catalog's name in the store (catalog_tracks.source)
    format: str
    encoding: str
    delimiter: str
    rows_read: int = 0
    tracks: int = 0  # distinct track ids in the file
    tracks_added: int = 0  # of those, new to the store
    genres: int = 0  # distinct (track, genre) pairs in the file
    rows_without_id: int = 0
    rows_without_id_first: list[int] = field(default_factory=list)
    duplicate_rows: int = 0  # rows repeating an id seen on an earlier row
    conflicting_ids: int = 0  # ids whose rows disagree on some value (the first row was kept)
    conflicts: dict[str, int] = field(default_factory=dict)  # field -> ids disagreeing on it
    missing_fields: list[str] = field(default_factory=list)  # Encore fields the file does not have
    out_of_range: dict[str, int] = field(default_factory=dict)  # field -> values set to NULL
    unreadable: dict[str, int] = field(default_factory=dict)  # field -> non-numbers set to NULL
    formula_cells: dict[str, int] = field(default_factory=dict)  # field -> cells starting with = + - @
    formula_rows: int = 0  # rows with at least one such cell
    formula_rows_first: list[int] = field(default_factory=list)
    not_spotify_ids: int = 0  # ids that are not 22 letters and digits: they can match by name only
    notes: list[str] = field(default_factory=list)
    matches: dict[str, dict] = field(default_factory=dict)  # profile -> match_history() result

    def to_dict(self) -> dict:
        return asdict(self)

    def messages(self) -> list[str]:
        """The report as sentences a person can act on."""
        lines = [f"{self.file}: {self.format}, {_count(self.rows_read, 'row')}, {_count(self.tracks, 'track')} "
                 f"({self.tracks_added:,} new to the store), {_count(self.genres, 'track genre')}."]
        if self.rows_without_id:
            lines.append(f"{_count(self.rows_without_id, 'row')} without a track id skipped "
                         f"(rows {_rows_text(self.rows_without_id_first, self.rows_without_id)}).")
        if self.duplicate_rows:
            text = (f"{_count(self.duplicate_rows, 'row')} repeating the track id of an earlier row: "
                    "each id is one track, with the genres of all its rows.")
            if self.conflicting_ids:
                detail = ", ".join(f"{k} {v:,}" for k, v in self.conflicts.items())
                text += (f" {self.conflicting_ids:,} of those ids have rows that disagree ({detail}); "
                         "the first row's values were kept.")
            lines.append(text)
        if self.missing_fields:
            missing_features = [f for f in self.missing_fields if f in FEATURES]
            lines.append(f"Not in this file, left empty: {', '.join(self.missing_fields)}."
                         + (" Tracks from it have no values for those audio features." if missing_features else ""))
        if self.out_of_range:
            detail = ", ".join(f"{k} {v:,}" for k, v in self.out_of_range.items())
            lines.append(f"Values outside their valid range were left empty: {detail}.")
        if self.unreadable:
            detail = ", ".join(f"{k} {v:,}" for k, v in self.unreadable.items())
            lines.append(f"Values that are not numbers were left empty: {detail}.")
        if self.formula_cells:
            detail = ", ".join(f"{k} {v:,}" for k, v in self.formula_cells.items())
            lines.append(f"Text that starts like a spreadsheet formula (= + - @), stored as plain text and "
                         f"never evaluated: {detail} (rows {_rows_text(self.formula_rows_first, self.formula_rows)}).")
        if self.not_spotify_ids:
            lines.append(f"{self.not_spotify_ids:,} track ids are not Spotify ids (22 letters and digits); "
                         "those tracks can match your history by name only.")
        lines.extend(self.notes)
        return lines


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _rows_text(first: list[int], total: int) -> str:
    return ", ".join(f"{n:,}" for n in first) + (", …" if total > len(first) else "")


@dataclass
class ParsedCatalog:
    """A catalog file read and cleaned, not yet stored."""

    tracks: pd.DataFrame  # one row per track id, store.CATALOG_COLUMNS, sorted by track_id
    genres: pd.DataFrame  # track_id, genre: distinct pairs
    report: CatalogReport
    lists: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["track_id", "kind", "list"]))




def _open_bytes(path: Path, data: bytes | None) -> tuple[str, bytes | None]:
    """(display name, the CSV's bytes or None to read from ``path``), opening a zip if needed."""
    label = path.name
    head = data[:4] if data is not None else _read_head(path, 4)
    if head != b"PK\x03\x04":
        return label, data
    try:
        with zipfile.ZipFile(io.BytesIO(data) if data is not None else path) as zf:
            members = [i for i in zf.infolist() if not i.is_dir() and not _hidden_member(i.filename)]
            csvs = [i for i in members if i.filename.lower().endswith((".csv", ".tsv", ".txt"))]
            if len(csvs) != 1:
                found = ", ".join(i.filename for i in members[:5]) or "nothing"
                raise ImportFileError(label, f"holds {len(csvs)} CSV files (found: {found}).",
                                      "A catalog zip must hold exactly one .csv file: zip one catalog per file, "
                                      "or unzip it and import the CSV.")
            info = csvs[0]
            if info.file_size > MAX_ZIP_BYTES:
                raise ImportFileError(label, f"would unpack to {info.file_size / 1024**2:,.0f} MB.",
                                      f"Encore reads catalog zips up to {MAX_ZIP_BYTES / 1024**3:.0f} GB; "
                                      "unzip it and import the CSV.")
            if info.file_size > 1024**2 and info.compress_size and info.file_size / info.compress_size > MAX_ZIP_RATIO:
                raise ImportFileError(label, f"is compressed more than {MAX_ZIP_RATIO}:1, which no catalog is "
                                      "(it looks like a zip bomb), so it was not read.",
                                      "Unzip it yourself and import the CSV if you trust it.")
            return f"{label}/{info.filename}", zf.read(info)
    except (zipfile.BadZipFile, EOFError) as exc:
        raise ImportFileError(label, f"is not a readable zip file ({exc}).",
                              "Download it again, or unzip it and import the CSV.") from None


def _hidden_member(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    return parts[0] == "__MACOSX" or parts[-1].startswith(".")


def _read_head(path: Path, size: int) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read(size)
    except FileNotFoundError:
        raise ImportFileError(str(path), "does not exist.", "Check the path and try again.") from None
    except IsADirectoryError:
        raise ImportFileError(str(path), "is a folder.", "Give the catalog's .csv or .zip file.") from None


def _sniff(label: str, head: bytes) -> tuple[str, str, list[str]]:
    """(encoding, delimiter, header names) from the first bytes of a file."""
    if not head.strip():
        raise ImportFileError(label, "is empty.", "Export the catalog again as a CSV file with a header row.")
    if head.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"  # Excel's "Unicode text"
    elif b"\x00" in head:
        raise ImportFileError(label, "is not a text file (it holds binary data).",
                              "Give a catalog CSV file (or a zip holding one).")
    else:
        encoding = "utf-8"
    if encoding == "utf-16":
        text = head.decode(encoding, errors="replace")
    else:
        whole_lines = head if len(head) < 65536 else head[: head.rfind(b"\n") + 1] or head
        try:
            text = whole_lines.decode(encoding)
        except UnicodeDecodeError:
            text = whole_lines.decode("cp1252", errors="replace")  # _read_frame falls back the same way
    first_line = next((line for line in text.lstrip("\ufeff").splitlines() if line.strip()), "")
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    delimiter = max(counts, key=lambda d: counts[d])
    if counts[delimiter] == 0:
        delimiter = ","
    header = next(csv.reader([first_line], delimiter=delimiter), [])
    return encoding, delimiter, header


def detect_format(headers: list[str]) -> CatalogFormat | None:
    """The known schema whose identifying headers the file has, or None."""
    names = {h.strip() for h in headers}
    for fmt in FORMATS:
        if fmt.identify <= names:
            return fmt
    return None


def _resolve_columns(label: str, headers: list[str],
                     mapping: Mapping[str, str] | None) -> tuple[str, str, dict[str, str], str | None]:
    """(format key, label, {Encore field: header as in the file}, artist separator)."""
    stripped = {h.strip(): h for h in headers}
    if mapping is not None:
        unknown = sorted(set(mapping) - set(FIELDS))
        if unknown:
            raise ImportFileError(label, f"the column mapping names unknown Encore fields: {', '.join(unknown)}.",
                                  f"Map only these fields: {', '.join(FIELDS)}.")
        absent = sorted({c for c in mapping.values() if c and c.strip() not in stripped})
        if absent:
            raise ImportFileError(label, f"has no column {', '.join(repr(c) for c in absent)} (its columns are: "
                                  f"{_header_list(headers)}).", "Pick columns that are in the file.")
        columns = {f: stripped[c.strip()] for f, c in mapping.items() if c}
        missing = [f for f in REQUIRED if f not in columns]
        if missing:
            raise ImportFileError(label, f"the column mapping gives no column for {' and '.join(missing)}.",
                                  "Map at least the track id and the track name.")
        return "mapping", "CSV with a column mapping", columns, None
    fmt = detect_format(headers)
    if fmt is None:
        raise ImportFileError(
            label,
            f"has no recognisable track id and track name columns (its columns are: {_header_list(headers)}).",
            "A catalog needs a Spotify track id column and a track name column, as in TidyTuesday's "
            "spotify_songs.csv (track_id, track_name, track_artist), Kaggle's Spotify Tracks Dataset "
            "(track_id, track_name, artists) or the 1.2M songs tracks_features.csv (id, name, artists); "
            "for any other CSV, map its columns to Encore's fields.",
        )
    columns = {f: stripped[c] for f, c in fmt.columns.items() if c in stripped}
    return fmt.key, fmt.label, columns, fmt.artist_separator


def _header_list(headers: list[str]) -> str:
    shown = ", ".join(h for h in headers[:30]) or "none"
    return shown + (", …" if len(headers) > 30 else "")


def _read_frame(source: str | bytes, label: str, encoding: str, delimiter: str, columns: dict[str, str],
                notes: list[str]) -> tuple[pd.DataFrame, dict[str, pd.Series], str]:
    """The mapped columns as a frame named by Encore field, the raw text of number columns
    that held something other than numbers (to count what was unreadable), and the
    encoding the file was read with. Sentences for the report go to ``notes``."""
    numbers = [f for f in columns if f in NUMBER_FIELDS]
    by_header: dict[str, list[str]] = {}
    for f, h in columns.items():
        by_header.setdefault(h, []).append(f)

    def read(enc: str, numbers_as_text: bool) -> pd.DataFrame:
        dtype, na = {}, {}
        for header, fields in by_header.items():
            is_number = all(g in NUMBER_FIELDS for g in fields)
            if is_number and not numbers_as_text:
                dtype[header] = "float64"
            na[header] = _NUMBER_NA if is_number else _TEXT_NA
        # Every column is read, not only the mapped ones: with ``usecols`` pandas drops the
        # extra fields of a ragged row silently (an unquoted comma in a name would shift
        # the values after it), and reading all 24 columns of the 1.2M-row catalog costs
        # no more than reading the 18 used ones. index_col=False: a delimiter at the end
        # of every line is not an index column. Text columns are left to pandas' own
        # inference, which gives Arrow strings in 0.7 s where asking for dtype "str" took
        # 1.6 s (1.2M rows); a text column that came out as numbers is read again below.
        raw = pd.read_csv(_source(), sep=delimiter, encoding=enc, dtype=dtype, index_col=False,
                          keep_default_na=False, na_values=na, engine="c")
        # (flags may come out as booleans: parse_flags reads any of these types)
        wrong = [h for h, fields in by_header.items() if h not in dtype and fields != ["explicit"]
                 and not pd.api.types.is_string_dtype(raw[h])]
        if wrong:  # e.g. ids or titles that are all digits: keep them exactly as written
            again = pd.read_csv(_source(), sep=delimiter, encoding=enc, usecols=wrong, index_col=False,
                                dtype=dict.fromkeys(wrong, "str"), keep_default_na=False,
                                na_values={h: na[h] for h in wrong}, engine="c")
            for h in wrong:
                raw[h] = again[h]
        return raw

    def _source() -> str | io.BytesIO:
        return io.BytesIO(source) if isinstance(source, bytes) else source

    used = encoding

    def read_any(numbers_as_text: bool) -> pd.DataFrame:
        nonlocal used
        try:
            return read(used, numbers_as_text)
        except UnicodeDecodeError:
            if used not in ("utf-8", "utf-8-sig"):
                raise
        try:
            frame = read("cp1252", numbers_as_text)
        except UnicodeDecodeError:
            raise ImportFileError(label, "is neither UTF-8 nor Windows-1252 (cp1252) text.",
                                  "Save it as a UTF-8 CSV and import it again.") from None
        used = "cp1252"
        notes.append("The file is not UTF-8; it was read as Windows-1252 (cp1252). "
                     "If names look wrong, save it as UTF-8 and import it again.")
        return frame

    try:
        try:
            raw = read_any(False)
        except ValueError as exc:
            if isinstance(exc, (UnicodeDecodeError, pd.errors.ParserError)) or not numbers:
                raise
            raw = read_any(True)  # a number column holds text: read as text, coerce below
    except pd.errors.ParserError as exc:
        line = re.search(r"line (\d+)", str(exc))
        where = f" at line {line.group(1)}" if line else ""
        raise ImportFileError(label, f"is not a well-formed CSV{where}: a row has more fields than the header.",
                              "Check that text with commas or quotes is quoted, or that the right "
                              "delimiter was used, and export it again.") from None
    except pd.errors.EmptyDataError:
        raise ImportFileError(label, "has no header row.", "Export the catalog again with a header row.") from None
    frame = pd.DataFrame(index=raw.index)
    texts: dict[str, pd.Series] = {}
    decimal_commas = 0
    for f, header in columns.items():
        col = raw[header]
        if f in numbers and col.dtype != np.float64:
            texts[f] = col
            if delimiter != ",":  # "0,5" from a spreadsheet set to a language with decimal commas
                commas = col.str.fullmatch(r"\s*-?\d+,\d+\s*", na=False)
                decimal_commas += int(commas.sum())
                col = col.where(~commas, col.str.replace(",", ".", regex=False))
            col = pd.to_numeric(col, errors="coerce").astype("float64")
        frame[f] = col
    if decimal_commas:
        notes.append(f"Read {_count(decimal_commas, 'number')} written with a decimal comma (0,5) "
                     "as decimals (0.5).")
    return frame, texts, used




def clean_track_ids(ids: pd.Series) -> pd.Series:
    """Ids as stored: spaces trimmed, ``spotify:track:`` uris and open.spotify.com links
    reduced to the 22-character id, blanks NULL."""
    ids = ids.astype("str").str.strip()
    if ids.str.contains("spotify", regex=False).any():
        ids = ids.str.replace(r"^(?:spotify:track:|https?://open\.spotify\.com/(?:intl-\w+/)?track/)"
                              r"([0-9A-Za-z]+).*$", r"\1", regex=True)
    return ids.where(ids != "")


def join_artists(artists: pd.Series, separator: str | None = None) -> pd.Series:
    """Credited artists as one "A, B" field: Python list literals (``['A', "B's"]``) and
    ``separator``-joined lists ("A;B") are rewritten; anything else is kept."""
    artists = artists.astype("str")
    listed = artists.str.startswith("[", na=False) & artists.str.endswith("]", na=False)
    if listed.any():
        # the common case, no quotes or escapes inside names: plain string surgery
        simple = (listed & artists.str.startswith("['", na=False) & artists.str.endswith("']", na=False)
                  & ~artists.str.contains(r'["\\]', regex=True, na=False))
        artists = artists.str.slice(2, -2).str.replace("', '", ", ", regex=False).where(simple, artists)
        rest = (listed & ~simple).to_numpy()
        if rest.any():
            artists = artists.copy()
            artists[rest] = [_literal_artists(v) for v in artists[rest].tolist()]
    if separator:
        has = artists.str.contains(separator, regex=False, na=False)
        if has.any():
            artists = artists.copy()
            artists[has] = artists[has].str.replace(rf"\s*{re.escape(separator)}\s*", ", ", regex=True)
    return artists.where(artists.str.strip() != "")


def _literal_artists(value: str) -> str | None:
    """``"['A', \"B's\"]"`` -> ``"A, B's"``; text that is not such a list is kept."""
    try:
        parsed = ast.literal_eval(value)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return value
    if isinstance(parsed, (list, tuple)) and all(isinstance(a, str) for a in parsed):
        return ", ".join(a for a in parsed if a) or None
    return value


def parse_flags(values: pd.Series) -> tuple[pd.Series, int]:
    """True/False (yes/no, 1/0, any case) -> 1.0/0.0, NULL otherwise; and how many were unreadable."""
    lower = values.astype("str").str.strip().str.lower()
    out = pd.Series(np.where(lower.isin(_TRUE), 1.0, np.where(lower.isin(_FALSE), 0.0, np.nan)), index=values.index)
    unreadable = int((lower.notna() & out.isna()).sum())
    return out, unreadable


def valid_numbers(name: str, values: pd.Series) -> pd.Series:
    """Which values of a number field are usable (missing values count as usable)."""
    v = values.to_numpy(dtype="float64")
    ok = np.isnan(v) | np.isfinite(v)
    if name in _VALID_RANGES:
        low, high = _VALID_RANGES[name]
        ok &= np.isnan(v) | ((v >= low) & (v <= high))
    if name == "tempo" or name == "duration_ms":
        ok &= np.isnan(v) | (v > 0)
    if name in ("key", "mode", "release_year"):
        ok &= np.isnan(v) | (v == np.round(v))
    return pd.Series(ok, index=values.index)


def valid_dates(dates: pd.Series) -> pd.Series:
    """Release dates shaped YYYY, YYYY-MM or YYYY-MM-DD from 1800 on (missing counts as valid)."""
    shaped = dates.str.fullmatch(_DATE, na=False)
    year = dates.str.slice(0, 4)  # four digits where shaped: string order is number order
    return (dates.isna() | (shaped & (year >= "1800") & (year <= "2100"))).astype(bool)


def formula_like(values: pd.Series) -> pd.Series:
    """Text a spreadsheet could read as a formula: starting with = + - or @."""
    return values.str.startswith(FORMULA_START, na=False)


def _first_rows(mask: pd.Series | np.ndarray) -> list[int]:
    return (np.flatnonzero(np.asarray(mask))[:MAX_ROW_NUMBERS] + 1).tolist()


def clean_catalog(frame: pd.DataFrame, texts: dict[str, pd.Series], report: CatalogReport,
                  artist_separator: str | None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Raw mapped columns -> (one row per track id in CATALOG_COLUMNS, genre pairs, list
    rows: track_id, kind, list for ``LIST_FIELDS``).

    Fills the report's counts. The row index of ``frame`` is the data row number - 1.
    """
    out = pd.DataFrame(index=frame.index)
    for f in FORMULA_FIELDS:
        if f in frame:
            flagged = formula_like(frame[f])
            if flagged.any():
                report.formula_cells[f] = int(flagged.sum())
    if report.formula_cells:
        any_flag = np.zeros(len(frame), dtype=bool)
        for f in report.formula_cells:
            any_flag |= formula_like(frame[f]).to_numpy()
        report.formula_rows = int(any_flag.sum())
        report.formula_rows_first = _first_rows(any_flag)

    out["track_id"] = clean_track_ids(frame["track_id"])
    out["track_name"] = frame["track_name"].astype("str")
    absent = pd.Series(np.nan, index=frame.index, dtype="str")
    out["artist_name"] = join_artists(frame["artist_name"], artist_separator) if "artist_name" in frame else absent
    for f in ("album_name", "genre"):
        out[f] = frame[f].astype("str") if f in frame else absent
    if "release_date" in frame:
        dates = frame["release_date"].astype("str").str.strip()
        ok = valid_dates(dates)
        if (~ok).any():
            report.out_of_range["release_date"] = int((~ok).sum())
        out["release_date"] = dates.where(ok)
    else:
        out["release_date"] = absent
    for f in NUMBER_FIELDS:
        if f not in frame:
            out[f] = np.nan
            continue
        values = frame[f]
        if f in texts:
            bad = texts[f].notna() & values.isna()
            if bad.any():
                report.unreadable[f] = int(bad.sum())
        ok = valid_numbers(f, values)
        if (~ok).any():
            report.out_of_range[f] = int((~ok).sum())
        values = values.where(ok)
        out[f] = values.round() if f in ("popularity", "duration_ms") else values
    if "explicit" in frame:
        out["explicit"], unreadable = parse_flags(frame["explicit"])
        if unreadable:
            report.unreadable["explicit"] = unreadable
    else:
        out["explicit"] = np.nan
    # the year from the date where the file gives no (usable) year of its own
    needs_year = (out["release_year"].isna() & out["release_date"].notna()).to_numpy()
    if needs_year.any():
        years = out["release_date"][needs_year].str.slice(0, 4).astype("float64")
        out.loc[needs_year, "release_year"] = years.to_numpy()

    no_id = out["track_id"].isna().to_numpy()
    report.rows_without_id = int(no_id.sum())
    report.rows_without_id_first = _first_rows(no_id)
    if report.rows_without_id:
        out = out[~no_id]
    genres = out.loc[out["genre"].notna(), ["track_id", "genre"]].drop_duplicates()
    parts = [pd.DataFrame({"track_id": out["track_id"], "kind": kind,
                           "list": frame.loc[out.index, f].astype("str").str.strip()})
             for f, kind in LIST_FIELDS.items() if f in frame]
    lists = (pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["track_id", "kind", "list"]))
    lists = lists[lists["list"].notna() & (lists["list"] != "")].drop_duplicates()
    # one hashing pass over the ids: codes by first appearance, so the first row of each
    # id is where its code is seen first, and ordering the distinct ids orders the tracks
    codes, distinct = pd.factorize(out["track_id"])
    first_row = np.full(len(distinct), -1, dtype=np.int64)
    first_row[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
    counts = np.bincount(codes, minlength=len(distinct))
    report.duplicate_rows = int(len(codes) - len(distinct))
    if report.duplicate_rows:
        _count_conflicts(out[counts[codes] > 1], report)
    order = first_row[distinct.argsort()]  # distinct ids: any sort is stable
    tracks = out.iloc[order].reset_index(drop=True)
    report.tracks = len(tracks)
    report.genres = len(genres)
    ids = tracks["track_id"]
    shape_ok = (ids.str.len() == 22) & ids.str.isalnum() & ids.str.isascii()
    report.not_spotify_ids = int((~shape_ok).sum())
    return tracks, genres, lists


def _count_conflicts(rows: pd.DataFrame, report: CatalogReport) -> None:
    """Per field, how many repeated ids have rows whose values differ from the first row's."""
    fields = [c for c in rows.columns if c not in ("track_id", "genre")]
    first = rows.drop_duplicates("track_id").set_index("track_id")[fields]
    aligned = first.loc[rows["track_id"].to_numpy()]
    differs_any = np.zeros(len(rows), dtype=bool)
    for f in fields:
        a, b = rows[f].to_numpy(dtype=object), aligned[f].to_numpy(dtype=object)
        a_na, b_na = pd.isna(a), pd.isna(b)
        differs = np.where(a_na | b_na, a_na != b_na, a != b)
        if differs.any():
            report.conflicts[f] = int(rows["track_id"][differs].nunique())
            differs_any |= differs
    report.conflicting_ids = int(rows["track_id"][differs_any].nunique())


def name_keys(tracks: pd.DataFrame) -> pd.Series:
    """The name key of every track (``core.names.catalog_keys``), aligned with ``tracks``;
    NULL where artist or title is missing."""
    if tracks.empty:
        return pd.Series(np.nan, index=tracks.index, dtype=object)
    return names.catalog_keys(tracks[["artist_name", "track_name"]])


def read_catalog(path: str | os.PathLike, mapping: Mapping[str, str] | None = None,
                 data: bytes | None = None, progress: Progress = no_progress) -> ParsedCatalog:
    """Read and clean a catalog CSV (or a zip holding one); nothing is stored.

    ``data``: the file's bytes when it was uploaded (``path`` then only names it).
    ``progress(fraction, message)`` is called per stage, fractions 0 to 0.5.
    Raises ImportFileError, naming the file and the fix, when it cannot be read.
    """
    path = Path(path)
    label, content = _open_bytes(path, data)
    head = content[:65536] if content is not None else _read_head(path, 65536)
    encoding, delimiter, headers = _sniff(label, head)
    _, format_label, columns, separator = _resolve_columns(label, headers, mapping)
    report = CatalogReport(file=label, name="", format=format_label, encoding=encoding,
                           delimiter={"\t": "tab"}.get(delimiter, delimiter))
    frame, texts, report.encoding = _read_frame(content if content is not None else str(path), label, encoding,
                                                delimiter, columns, report.notes)
    report.rows_read = len(frame)
    derived = {"release_year"} if "release_date" in columns else set()  # the year comes from the date
    # (lists are the catalog's structure where it has one, not a field it lacks)
    report.missing_fields = [f for f in FIELDS if f not in columns and f not in derived and f not in LIST_FIELDS]
    if frame.empty:
        raise ImportFileError(label, "has a header but no rows.", "Check that this is the whole catalog file.")
    progress(0.2, f"Cleaning {_count(report.rows_read, 'row')}")
    tracks, genres, lists = clean_catalog(frame, texts, report, separator)
    del frame, texts  # the raw columns: half of the memory a large import needs
    if tracks.empty:
        raise ImportFileError(label, f"has no row with a track id (column {columns['track_id']!r} is empty).",
                              "Check that the track id column is the right one.")
    progress(0.3, f"Normalising the names of {_count(len(tracks), 'track')}")
    tracks["name_key"] = name_keys(tracks)
    return ParsedCatalog(tracks=tracks[list(store.CATALOG_COLUMNS)], genres=genres, report=report, lists=lists)


# Header spellings (lower case, without spaces, dashes and underscores) that suggest a field.
_ALIASES: dict[str, tuple[str, ...]] = {
    "track_id": ("trackid", "id", "spotifyid", "uri", "trackuri", "spotifyuri", "spotifytrackid"),
    "track_name": ("trackname", "name", "title", "song", "songname", "tracktitle", "track"),
    "artist_name": ("artistname", "artist", "artists", "trackartist", "performer"),
    "album_name": ("albumname", "album", "trackalbumname"),
    "genre": ("genre", "trackgenre", "playlistgenre", "genres"),
    "release_date": ("releasedate", "trackalbumreleasedate", "albumreleasedate"),
    # not "year": in chart data it is the chart's year, not the release's; the person says so
    "release_year": ("releaseyear", "yearreleased"),
    "popularity": ("popularity", "trackpopularity"),
    "explicit": ("explicit",),
    "duration_ms": ("durationms", "duration", "lengthms"),
}


def _squash(header: str) -> str:
    return re.sub(r"[\s_\-]+", "", header.strip().lower())


def usable_headers(headers: list[str]) -> list[str]:
    """The headers a person can map: not blank, not pandas' name for an unnamed index column."""
    return [h for h in headers if h.strip() and not re.fullmatch(r"Unnamed: \d+", h.strip())]


def same_name_mapping(headers: list[str]) -> dict[str, str]:
    """Encore field -> header for the headers named exactly like a field (case, spaces,
    dashes and underscores aside): what maps itself when a person gives a mapping."""
    squashed = {_squash(h): h for h in reversed(usable_headers(headers))}
    return {f: squashed[_squash(f)] for f in FIELDS if _squash(f) in squashed}


def suggest_mapping(headers: list[str]) -> dict[str, str]:
    """A first guess at the column mapping: Encore field -> header, by name (each header used once)."""
    squashed = {}
    for header in usable_headers(headers):
        squashed.setdefault(_squash(header), header)
    aliases = {**_ALIASES, **{f: (_squash(f),) for f in FEATURES}}
    out: dict[str, str] = {}
    used: set[str] = set()
    for field_name in FIELDS:
        for alias in aliases.get(field_name, (_squash(field_name),)):
            header = squashed.get(alias)
            if header is not None and header not in used:
                out[field_name] = header
                used.add(header)
                break
    return out


@dataclass(frozen=True)
class CatalogPreview:
    """What a catalog file looks like before importing it."""

    label: str
    headers: list[str]
    format: str | None  # the known schema's label, None when a column mapping is needed
    suggested: dict[str, str]  # a first guess at the mapping (for the form)


def preview_catalog(path: str | os.PathLike, data: bytes | None = None) -> CatalogPreview:
    """Read only a catalog's header: its known schema, or a suggested column mapping.

    Raises ImportFileError when the file cannot be read at all.
    """
    label, content = _open_bytes(Path(path), data)
    head = content[:65536] if content is not None else _read_head(Path(path), 65536)
    _, _, headers = _sniff(label, head)
    headers = [h.strip() for h in headers]
    fmt = detect_format(headers)
    return CatalogPreview(label=label, headers=headers, format=fmt.label if fmt else None,
                          suggested={} if fmt else suggest_mapping(headers))



EDIT_TEXT_FIELDS: tuple[str, ...] = ("track_name", "artist_name", "album_name", "genre", "release_date")
EDIT_NUMBER_FIELDS: tuple[str, ...] = ("release_year", "popularity", "explicit", "duration_ms", *FEATURES)


def format_report(report: CatalogReport, counts: dict) -> str:
    """The import report and the match counts as plain text for the command line."""
    lines = report.messages()
    for profile, m in report.matches.items():
        lines.append(f"Profile '{profile}': {m['history_tracks']:,} tracks, {m['matched_by_id']:,} matched by id, "
                     f"{m['matched_by_name']:,} by name, {m['history_tracks_with_features']:,} with audio features"
                     + (f" ({m['undone']:,} name matches undone)" if m["undone"] else "") + ".")
    lines.append(f"Catalog: {counts['catalog_tracks']:,} tracks in the store. History: "
                 f"{counts['history_tracks']:,} tracks, {counts['history_tracks_with_features']:,} with audio features "
                 f"({counts['matched_by_id']:,} by id, {counts['matched_by_name']:,} by name).")
    return "\n".join(lines)
