"""Spotify export files -> normalised plays, playlists and library items.

Pure parsing: nothing here touches the store. ``find_inputs`` turns paths, folders, zips
and uploads into ``InputFile``s (refusing unsafe zips); ``parse_file`` turns one file into
a ``ParsedFile`` or raises ``ImportFileError`` naming the file, the row and the fix.

Formats (see ../shared/data/README.md for the real-world quirks):
- Extended streaming history, five generations: 2020 ``endsong`` without track uris and
  with geo keys; ``endsong_N.json`` one-liners (unsorted, rows repeated across files);
  2024 ``Streaming_History_Audio_<years>_N.json``; late 2024 with ``ip_addr``; 2025+ with
  ``audiobook_*`` keys. ``Streaming_History_Video_*`` / ``endvideo.json`` are video.
- Account data: ``StreamingHistoryN.json`` / ``StreamingHistory_music_N.json`` (UTC
  minute ``endTime``), ``_podcast_N``, ``_audiobook_N``; ``Playlist1.json``; ``YourLibrary.json``.
- CSV files with either JSON format's column names.
"""
from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import json
import operator
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Annotated, Any, Optional

import msgspec
import numpy as np
import orjson

from core.errors import ImportFileError
from core.store import PlaylistRecord

MAX_ZIP_TOTAL_BYTES = 4 * 1024**3  # a 1M-play export is ~0.8 GB uncompressed
MAX_ZIP_RATIO = 200  # real JSON compresses ~10:1; a bomb compresses 1000:1
MAX_TEXT_LENGTH = 2_000  # longest real title seen is ~300 characters
MAX_REJECTED_ROW_NUMBERS = 5

# --- kinds of file, by name ----------------------------------------------------------

EXTENDED = "extended"
EXTENDED_VIDEO = "extended_video"
ACCOUNT_MUSIC = "account_music"
ACCOUNT_PODCAST = "account_podcast"
ACCOUNT_AUDIOBOOK = "account_audiobook"
PLAYLISTS = "playlists"
LIBRARY = "library"
CSV_FILE = "csv"

_NAME_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^streaming_history_audio.*\.json$"), EXTENDED),
    (re.compile(r"^endsong(_\d+)?\.json$"), EXTENDED),
    (re.compile(r"^streaming_history_video.*\.json$"), EXTENDED_VIDEO),
    (re.compile(r"^endvideo(_\d+)?\.json$"), EXTENDED_VIDEO),
    (re.compile(r"^streaminghistory(_music_)?\d+\.json$"), ACCOUNT_MUSIC),
    (re.compile(r"^streaminghistory_podcast_\d+\.json$"), ACCOUNT_PODCAST),
    (re.compile(r"^streaminghistory_audiobook_\d+\.json$"), ACCOUNT_AUDIOBOOK),
    (re.compile(r"^playlist\d+\.json$"), PLAYLISTS),
    (re.compile(r"^yourlibrary\.json$"), LIBRARY),
    (re.compile(r"^.*\.csv$"), CSV_FILE),
)

KIND_LABELS = {
    EXTENDED: "Extended streaming history",
    EXTENDED_VIDEO: "Extended streaming history (video)",
    ACCOUNT_MUSIC: "Account data: music",
    ACCOUNT_PODCAST: "Account data: podcasts",
    ACCOUNT_AUDIOBOOK: "Account data: audiobooks",
    PLAYLISTS: "Account data: playlists",
    LIBRARY: "Account data: library",
}


def kind_from_name(name: str) -> str | None:
    """The kind of export file a file name says it is, or None for anything else."""
    base = PurePosixPath(name.replace("\\", "/")).name.lower()
    for pattern, kind in _NAME_PATTERNS:
        if pattern.match(base):
            return kind
    return None


# --- inputs: paths, folders, zips, uploads --------------------------------------------


@dataclass(frozen=True)
class InputFile:
    """One file to import: a display name and a way to read its bytes."""

    name: str
    read: Callable[[], bytes] = field(repr=False, compare=False)
    in_container: bool = False  # found in a zip or folder (unknown names there are ignored)


@dataclass(frozen=True)
class Skipped:
    """A file that was not imported: ignored on purpose, or refused with a reason."""

    name: str
    reason: str
    is_error: bool = False


def _unsafe_member(name: str) -> bool:
    path = PurePosixPath(name.replace("\\", "/"))
    return path.is_absolute() or ".." in path.parts or bool(re.match(r"^[A-Za-z]:", name))


class _ZipArchive:
    """One zip, opened once for all its members: re-opening it per member re-reads its whole
    directory each time, which is quadratic in the number of members. It closes itself when
    its last member has been read (or when it is garbage-collected)."""

    def __init__(self, handle: Any, zf: zipfile.ZipFile) -> None:
        self._handle, self._zip = handle, zf
        self._unread = 0

    def member(self, info: zipfile.ZipInfo) -> Callable[[], bytes]:
        self._unread += 1

        def read() -> bytes:
            try:
                return self._zip.read(info)  # zipfile stops at the declared size and checks the CRC
            finally:
                self._unread -= 1
                if self._unread == 0:
                    self.close()
        return read

    def close(self) -> None:
        self._zip.close()
        self._handle.close()


def _megabytes(size: int, limit: int) -> str:
    """``size`` in MB with enough decimals to tell it from ``limit`` ("4,096.2 MB", not "4,096 MB")."""
    for decimals in range(4):
        if round(size / 1024**2, decimals) != round(limit / 1024**2, decimals):
            return f"{size / 1024**2:,.{decimals}f} MB"
    return f"{size:,} bytes"


def _zip_inputs(label: str, opener: Callable[[], Any], max_total: int) -> tuple[list[InputFile], list[Skipped]]:
    handle = None
    try:
        handle = opener()
        zf = zipfile.ZipFile(handle)
        infos = [i for i in zf.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        if handle is not None:
            handle.close()
        return [], [Skipped(label, f"is not a readable zip file ({exc}). Download the export again "
                            "or unzip it and import the folder.", True)]
    archive = _ZipArchive(handle, zf)
    total = sum(i.file_size for i in infos)
    if total > max_total:
        archive.close()
        return [], [Skipped(label, f"would unpack to {_megabytes(total, max_total)}, more than Encore's "
                            f"limit of {_megabytes(max_total, total)} for one zip. Nothing from it was "
                            "read. If this really is a Spotify export, unzip it and import the folder.", True)]
    files: list[InputFile] = []
    skipped: list[Skipped] = []
    for info in infos:
        member = f"{label}/{info.filename}"
        if _unsafe_member(info.filename):
            skipped.append(Skipped(member, "has a path that climbs out of the zip's folder, so it was "
                                   "not read. Re-download the export from Spotify.", True))
            continue
        if info.file_size > 1024**2 and info.compress_size and info.file_size / info.compress_size > MAX_ZIP_RATIO:
            skipped.append(Skipped(member, f"is compressed more than {MAX_ZIP_RATIO}:1, which no Spotify "
                                   "export is (it looks like a zip bomb), so it was not read.", True))
            continue
        lower = info.filename.lower()
        if lower.endswith(".zip"):
            skipped.append(Skipped(member, "is a zip inside the zip; Encore does not open nested zips. "
                                   "Unzip the outer zip and import the inner one.", True))
            continue
        if kind_from_name(info.filename) is None:
            skipped.append(Skipped(member, "is not a listening-history, playlist or library file "
                                   "(ignored, never read)."))
            continue
        files.append(InputFile(member, archive.member(info), in_container=True))
    if not files:
        archive.close()
    return files, skipped


def find_inputs(
    paths: Iterable[str | Path] = (),
    uploads: Iterable[tuple[str, bytes]] = (),
    max_zip_bytes: int = MAX_ZIP_TOTAL_BYTES,
) -> tuple[list[InputFile], list[Skipped]]:
    """Expand paths (files, folders, zips) and uploads (name, bytes) into files to import."""
    files: list[InputFile] = []
    skipped: list[Skipped] = []

    def add_file(name: str, opener: Callable[[], Any], reader: Callable[[], bytes], in_container: bool) -> None:
        if name.lower().endswith(".zip"):
            more, skip = _zip_inputs(name, opener, max_zip_bytes)
            files.extend(more)
            skipped.extend(skip)
        elif in_container and kind_from_name(name) is None:
            skipped.append(Skipped(name, "is not a listening-history, playlist or library file (ignored, never read)."))
        else:
            files.append(InputFile(name, reader, in_container))

    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                add_file(str(child), lambda p=child: open(p, "rb"), child.read_bytes, True)
        elif path.is_file():
            add_file(str(path), lambda p=path: open(p, "rb"), path.read_bytes, False)
        elif path.exists():
            skipped.append(Skipped(str(path), "is not a file or a folder (it is a device, a pipe or a socket), "
                                   "so it was not read. Give the path of the export's zip, folder or files.", True))
        else:
            skipped.append(Skipped(str(path), "does not exist. Check the path and try again.", True))
    for name, data in uploads:
        add_file(name, lambda d=data: io.BytesIO(d), lambda d=data: d, False)
    return files, skipped


# --- decoding -------------------------------------------------------------------------


def _fail(name: str, problem: str, fix: str, row: int | None = None) -> ImportFileError:
    return ImportFileError(name, problem, fix, row)


_REEXPORT = "Download the export again from Spotify (Account > Privacy) and import the original file."


def _text_bytes(name: str, data: bytes, fix: str) -> bytes:
    """The bytes of a text file without its BOM; refuse empty and binary files."""
    if not data.strip():
        raise _fail(name, "is empty.", _REEXPORT)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\x00" in data[:4096]:
        raise _fail(name, "is not a text file (it contains binary data, or is UTF-16).", fix)
    return data


def _not_utf8(name: str, exc: UnicodeDecodeError, fix: str) -> ImportFileError:
    return _fail(name, f"is not UTF-8 text (bad byte at position {exc.start:,}).", fix)


def decode_json(name: str, data: bytes) -> Any:
    """Parse JSON bytes, turning every failure into an error that names the file and the fix."""
    data = _text_bytes(name, data, _REEXPORT)
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        try:  # valid JSON that orjson refuses (a number beyond a double, 1e400, or a 2**64 integer):
            return json.loads(data)  # the standard parser reads it, and the rows say what is wrong
        except (ValueError, RecursionError):
            pass
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as uexc:
            raise _not_utf8(name, uexc, "Save it as UTF-8, or use the file exactly as Spotify sent it.") from None
        if exc.pos >= len(data.rstrip()) - 1:
            raise _fail(name, "ends in the middle of the data (the file is truncated).",
                        "The download or unzip was probably cut short. " + _REEXPORT) from None
        raise _fail(name, f"is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}).",
                    _REEXPORT) from None


def decode_text(name: str, data: bytes) -> str:
    """UTF-8 text of a CSV file, or an error that names the file and the fix."""
    data = _text_bytes(name, data, "Save it as UTF-8 CSV.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _not_utf8(name, exc, "Save it as UTF-8 CSV.") from None


# --- normalisation helpers ------------------------------------------------------------


class RowProblem(Exception):
    """A row-level problem: the row is rejected and reported, the file goes on."""


_PLATFORM_RULES: tuple[tuple[str, str], ...] = (
    ("cast", "cast"), ("partner", "cast"), ("sonos", "cast"), ("chromecast", "cast"),
    ("web_player", "web"), ("webplayer", "web"), ("web player", "web"),
    ("android", "android"),
    ("ios", "ios"), ("iphone", "ios"), ("ipad", "ios"),
    ("windows", "desktop"), ("os x", "desktop"), ("osx", "desktop"), ("macos", "desktop"),
    ("mac os", "desktop"), ("linux", "desktop"),
)


@functools.lru_cache(maxsize=4096)
def platform_family(platform: str | None) -> str | None:
    """Map Spotify's many platform strings to android, ios, desktop, web, cast or other."""
    if platform is None:
        return None
    lower = platform.lower()
    for needle, family in _PLATFORM_RULES:
        if needle in lower:
            return family
    return "other"


_REASON_ALIASES = {"click-row": "clickrow"}


@functools.lru_cache(maxsize=256)
def normalise_reason(reason: str | None) -> str | None:
    """'click-row' -> 'clickrow'; empty -> None; otherwise lower-case as given."""
    cleaned = reason.strip().lower() if reason else ""
    return _REASON_ALIASES.get(cleaned, cleaned) or None


_EARLIEST = dt.datetime(2006, 1, 1, tzinfo=dt.timezone.utc)  # Spotify was founded in 2006
_LATEST = dt.datetime(2100, 1, 1, tzinfo=dt.timezone.utc)


def offline_time(value: Any, played_at: dt.datetime) -> str | None:
    """offline_timestamp comes as 0, epoch ms or epoch s: return ISO UTC to the millisecond
    ('2019-07-15T09:43:37.776Z'), or None if unsure.

    A value is kept only when it lands within a week of the play's end: a wrong date is
    worse than none. The milliseconds matter: plays uploaded together after being made
    offline can share their end second, title and length and differ only here.
    """
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        return None
    ms = int(value) if value > 1e11 else int(round(value * 1000))
    try:
        moment = _EPOCH + dt.timedelta(milliseconds=ms)
    except (OverflowError, OSError, ValueError):
        return None
    if abs((moment - played_at).total_seconds()) > 7 * 86400:
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{ms % 1000:03d}Z"


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


_TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


def parse_end_time(value: Any, field_name: str = "ts") -> dt.datetime:
    """Parse an ISO UTC timestamp like '2013-04-16T06:56:15Z'."""
    if not isinstance(value, str) or not _TS_RE.match(value):
        raise RowProblem(f"{field_name} is missing or not a UTC time like 2013-04-16T06:56:15Z")
    try:
        moment = dt.datetime.fromisoformat(value[:19]).replace(tzinfo=dt.timezone.utc)
    except ValueError:
        raise RowProblem(f"{field_name} is not a real date ({value[:30]!r})") from None
    if not _EARLIEST <= moment < _LATEST:
        raise RowProblem(f"{field_name} is outside 2006-2100 ({value[:30]!r})")
    return moment


_END_TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$")


def parse_account_end_time(value: Any) -> dt.datetime:
    """Account exports give the UTC end time to the minute: '2020-11-20 08:55'."""
    if not isinstance(value, str) or not _END_TIME_RE.match(value):
        raise RowProblem("endTime is missing or not a time like 2020-11-20 08:55")
    try:
        moment = dt.datetime.fromisoformat(value + ":00").replace(tzinfo=dt.timezone.utc)
    except ValueError:
        raise RowProblem(f"endTime is not a real date ({value[:30]!r})") from None
    if not _EARLIEST <= moment < _LATEST:
        raise RowProblem(f"endTime is outside 2006-2100 ({value[:30]!r})")
    return moment


def text(row: dict, key: str) -> str | None:
    value = row.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise RowProblem(f"{key} should be text, not {json_type(value)}")
    if len(value) > MAX_TEXT_LENGTH:
        raise RowProblem(f"{key} is {len(value):,} characters long (more than {MAX_TEXT_LENGTH:,})")
    return value or None


def flag(row: dict, key: str) -> int | None:
    value = row.get(key)
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    raise RowProblem(f"{key} should be true, false or null, not {json_type(value)}")


def milliseconds(row: dict, key: str) -> int:
    value = row.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise RowProblem(f"{key} should be a whole number of milliseconds")
    if value < 0 or value > 24 * 3_600_000:
        raise RowProblem(f"{key} is {value:,}, outside 0 to 24 hours")
    return value


def track_id_from_uri(uri: str | None) -> str | None:
    """'spotify:track:2UNo9DIX2UzaWMJHbCXZ44' -> '2UNo9DIX2UzaWMJHbCXZ44'."""
    if uri and uri.startswith("spotify:track:") and len(uri) > 14:
        return uri[14:]
    return None


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# --- rows -----------------------------------------------------------------------------


def _content_type(is_video: bool, episode: Any, episode_uri: Any, book: Any, book_uri: Any, chapter: Any) -> str:
    if is_video:
        return "video"
    if episode or episode_uri:
        return "podcast"
    if book or book_uri or chapter:
        return "audiobook"
    return "music"


def extended_row(row: Any, is_video: bool) -> tuple:
    """One extended-history record (a dict) -> a play tuple in store.PLAY_COLUMNS order.

    The careful path: any problem raises RowProblem naming the field.
    """
    if not isinstance(row, dict):
        raise RowProblem(f"is {json_type(row)}, not a record")
    end = parse_end_time(row.get("ts"))
    ms = milliseconds(row, "ms_played")
    episode_name = text(row, "episode_name")
    episode_uri = text(row, "spotify_episode_uri")
    audiobook_title = text(row, "audiobook_title")
    audiobook_uri = text(row, "audiobook_uri")
    chapter_title = text(row, "audiobook_chapter_title")
    platform = text(row, "platform")
    return (
        _iso(end),
        ms,
        _content_type(is_video, episode_name, episode_uri, audiobook_title, audiobook_uri, chapter_title),
        text(row, "master_metadata_track_name"),
        text(row, "master_metadata_album_artist_name"),
        text(row, "master_metadata_album_album_name"),
        text(row, "spotify_track_uri"),
        episode_name,
        text(row, "episode_show_name"),
        episode_uri,
        audiobook_title,
        audiobook_uri,
        chapter_title,
        text(row, "audiobook_chapter_uri"),
        platform,
        platform_family(platform),
        text(row, "conn_country"),
        normalise_reason(text(row, "reason_start")),
        normalise_reason(text(row, "reason_end")),
        flag(row, "shuffle"),
        flag(row, "skipped"),
        flag(row, "offline"),
        offline_time(row.get("offline_timestamp"), end),
        flag(row, "incognito_mode"),
    )


# The fast path. Real export files are clean and a 10-year history is ~1M rows, so the
# common case decodes a whole file with msgspec straight into typed records (validating
# types and lengths in C, and never materialising the private fields it does not name),
# then converts whole columns at once. Anything the fast path is not sure of sends the file
# down the careful path above, which rejects exactly the bad rows with their numbers; both
# paths give identical tuples (tests check this on every real export and with Hypothesis).
_Text = Optional[Annotated[str, msgspec.Meta(max_length=MAX_TEXT_LENGTH)]]


class ExtendedRecord(msgspec.Struct, gc=False):
    """The fields Encore reads from an extended-history row (privacy fields are not among them)."""

    ts: str
    ms_played: Annotated[int, msgspec.Meta(ge=0, le=86_400_000)]
    platform: _Text = None
    conn_country: _Text = None
    master_metadata_track_name: _Text = None
    master_metadata_album_artist_name: _Text = None
    master_metadata_album_album_name: _Text = None
    spotify_track_uri: _Text = None
    episode_name: _Text = None
    episode_show_name: _Text = None
    spotify_episode_uri: _Text = None
    audiobook_title: _Text = None
    audiobook_uri: _Text = None
    audiobook_chapter_uri: _Text = None
    audiobook_chapter_title: _Text = None
    reason_start: _Text = None
    reason_end: _Text = None
    shuffle: Optional[bool] = None
    skipped: Optional[bool] = None
    offline: Optional[bool] = None
    offline_timestamp: Optional[float] = None
    incognito_mode: Optional[bool] = None


_EXTENDED_DECODER = msgspec.json.Decoder(list[ExtendedRecord])
_EARLIEST_S = int(_EARLIEST.timestamp())
_LATEST_S = int(_LATEST.timestamp())


def decode_extended(data: bytes) -> list[ExtendedRecord] | None:
    """Decode a whole extended-history file into typed records, or None if any row is off."""
    try:
        return _EXTENDED_DECODER.decode(data[3:] if data.startswith(b"\xef\xbb\xbf") else data)
    except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError, RecursionError):
        return None  # the row-by-row path says what is wrong, row by row


def convert_extended(records: list) -> list[ExtendedRecord] | None:
    """Typed records from already-parsed dicts (CSV, tests), or None if any row is off."""
    if any(type(record) is _CutRow for record in records):
        return None
    try:
        return msgspec.convert(records, list[ExtendedRecord])
    except msgspec.ValidationError:
        return None


def _none_if_empty(values: list) -> list:
    # '' means absent in Spotify's files; most columns never hold it, so skip the copy then
    return [v or None for v in values] if "" in values else values


_FLAG_INT = {True: 1, False: 0}.get


def _flags(values: list) -> list:
    # 1/0/None like flag(): sqlite3 binds an exact int directly but sends every bool through
    # its adapter lookup, which cost 0.7 us per play of 24 columns (bench/README.md)
    return list(map(_FLAG_INT, values))


def _offline_column(values: list, end_s: np.ndarray) -> list:
    """offline_timestamp column -> ISO strings to the millisecond, with the same rule as offline_time."""
    offline = np.array([0.0 if v is None else v for v in values], dtype=np.float64)
    offline_ms = np.where(offline > 1e11, np.floor(offline), np.round(offline * 1000))
    keep = np.flatnonzero((offline > 0) & (np.abs(offline_ms / 1000 - end_s) <= 7 * 86400))
    out: list = [None] * len(values)
    stamps = np.datetime_as_string(offline_ms[keep].astype(np.int64).astype("datetime64[ms]"), unit="ms")
    for index, iso in zip(keep.tolist(), stamps.tolist()):
        out[index] = iso + "Z"
    return out


def extended_rows_columnar(records: list[ExtendedRecord], is_video: bool) -> list[tuple] | None:
    """Convert a whole file of typed records at once, or return None if unsure."""
    if not records:
        return []
    column = {name: list(map(operator.attrgetter(name), records)) for name in ExtendedRecord.__struct_fields__}
    ts = column["ts"]
    if not all(len(t) == 20 and t[10] == "T" and t[19] == "Z" for t in ts):
        return None
    try:
        end_s = np.array([t[:19] for t in ts], dtype="datetime64[s]").astype(np.int64)
    except ValueError:
        return None
    if end_s.min() < _EARLIEST_S or end_s.max() >= _LATEST_S:
        return None
    episodes, episode_uris = _none_if_empty(column["episode_name"]), _none_if_empty(column["spotify_episode_uri"])
    books, book_uris = _none_if_empty(column["audiobook_title"]), _none_if_empty(column["audiobook_uri"])
    chapters = _none_if_empty(column["audiobook_chapter_title"])
    platforms = _none_if_empty(column["platform"])
    content = (["video"] * len(records) if is_video else
               [_content_type(False, *fields) for fields in zip(episodes, episode_uris, books, book_uris, chapters)])
    return list(zip(
        ts,  # validated above: already the canonical 'YYYY-MM-DDTHH:MM:SSZ'
        column["ms_played"],
        content,
        _none_if_empty(column["master_metadata_track_name"]),
        _none_if_empty(column["master_metadata_album_artist_name"]),
        _none_if_empty(column["master_metadata_album_album_name"]),
        _none_if_empty(column["spotify_track_uri"]),
        episodes,
        _none_if_empty(column["episode_show_name"]),
        episode_uris,
        books,
        book_uris,
        chapters,
        _none_if_empty(column["audiobook_chapter_uri"]),
        platforms,
        list(map(platform_family, platforms)),
        _none_if_empty(column["conn_country"]),
        list(map(normalise_reason, column["reason_start"])),
        list(map(normalise_reason, column["reason_end"])),
        _flags(column["shuffle"]),
        _flags(column["skipped"]),
        _flags(column["offline"]),
        _offline_column(column["offline_timestamp"], end_s),
        _flags(column["incognito_mode"]),
    ))


_ACCOUNT_FIELDS = {
    # kind: (title key, creator key, collection key, content type)
    ACCOUNT_MUSIC: ("trackName", "artistName", None, "music"),
    ACCOUNT_PODCAST: ("episodeName", None, "podcastName", "podcast"),
    ACCOUNT_AUDIOBOOK: ("chapterName", "authorName", "audiobookName", "audiobook"),
}


def account_row(row: Any, kind: str) -> tuple:
    """One account-data record -> a play tuple in store.PLAY_COLUMNS order."""
    if not isinstance(row, dict):
        raise RowProblem(f"is {json_type(row)}, not a record")
    end = parse_account_end_time(row.get("endTime"))
    ms = milliseconds(row, "msPlayed")
    title_key, creator_key, collection_key, content = _ACCOUNT_FIELDS[kind]
    title = text(row, title_key)
    creator = text(row, creator_key) if creator_key else None
    collection = text(row, collection_key) if collection_key else None
    music, podcast, book = content == "music", content == "podcast", content == "audiobook"
    return (
        _iso(end),
        ms,
        content,
        title if music else None,  # track_name
        creator,  # artist_name (an audiobook's author)
        None, None,  # album_name, track_uri: account exports have none
        title if podcast else None,  # episode_name
        collection if podcast else None,  # show_name
        None,  # episode_uri
        collection if book else None,  # audiobook_title
        None,  # audiobook_uri
        title if book else None,  # chapter_title
        None,  # chapter_uri
        None, None, None, None, None, None, None, None, None, None,  # platform .. incognito: unknown
    )


# --- CSV ------------------------------------------------------------------------------

_CSV_INT_KEYS = {"ms_played", "msPlayed", "offline_timestamp"}
_CSV_BOOL_KEYS = {"shuffle", "skipped", "offline", "incognito_mode"}
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


def _csv_value(key: str, value: str | None) -> Any:
    if value is None or value == "" or value in ("null", "None", "NaN", "nan"):
        return None
    if key in _CSV_INT_KEYS:
        try:
            return int(float(value)) if re.match(r"^-?\d+(\.0+)?$", value.strip()) else value
        except ValueError:
            return value
    if key in _CSV_BOOL_KEYS:
        lower = value.strip().lower()
        return True if lower in _TRUE else False if lower in _FALSE else value
    return value


class _CutRow(dict):
    """A CSV row with fewer fields than the header: the file was cut short in the middle of it
    (or a line was broken); it is rejected as a row, never imported half-empty."""


_CUT_ROW = "the row has fewer columns than the header (the file was cut short, or a line was broken)"


def csv_records(name: str, data: bytes) -> list[dict]:
    """CSV text -> records with the JSON formats' types (people convert exports to CSV)."""
    content = decode_text(name, data)
    if "\x00" in content:  # decode_text looks for binary data in the first 4 KB only
        raise _fail(name, f"holds a NUL byte at character {content.index(chr(0)):,}, so it is not a text CSV file.",
                    "Save it again as a UTF-8 CSV, or import the JSON files from Spotify's export.")
    try:
        dialect = csv.Sniffer().sniff(content[:8192], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(content, newline=""), dialect=dialect)
    try:
        header = next(reader, [])
        records = []
        for values in reader:
            if not values:
                continue
            record = {k: _csv_value(k, v) for k, v in zip(header, values)}
            records.append(_CutRow(record) if len(values) < len(header) else record)
        return records
    except csv.Error as exc:
        raise _fail(name, f"is not a readable CSV file ({exc}).", "Save it again as a comma-separated CSV.") from None


# --- files ----------------------------------------------------------------------------


@dataclass
class ParsedFile:
    """What one file holds, ready for the store."""

    name: str
    kind: str
    format: str
    plays: list[tuple] = field(default_factory=list)
    playlists: list[PlaylistRecord] = field(default_factory=list)
    library: list[tuple] = field(default_factory=list)
    rows_read: int = 0
    rejected: dict[str, list[int]] = field(default_factory=dict)  # reason -> row numbers (1-based)

    @property
    def rejected_count(self) -> int:
        return sum(len(rows) for rows in self.rejected.values())


def _sniff_kind(name: str, records: Any) -> str | None:
    """Decide the kind from content when the file name does not say (renamed files, CSV)."""
    if isinstance(records, dict):
        if "playlists" in records:
            return PLAYLISTS
        if "tracks" in records and ("bannedTracks" in records or "artists" in records or "albums" in records):
            return LIBRARY
        return None
    if not isinstance(records, list) or not records or not isinstance(records[0], dict):
        return None
    keys = records[0].keys()
    if "ts" in keys and "ms_played" in keys:
        return EXTENDED
    if "endTime" in keys and "msPlayed" in keys:
        if "podcastName" in keys or "episodeName" in keys:
            return ACCOUNT_PODCAST
        if "audiobookName" in keys or "chapterName" in keys:
            return ACCOUNT_AUDIOBOOK
        if "trackName" in keys:
            return ACCOUNT_MUSIC
    return None


def extended_generation(name: str, first: Iterable[str]) -> str:
    """Which of the five extended-history generations a file belongs to, from its first keys."""
    first = set(first)
    base = PurePosixPath(name.replace("\\", "/")).name.lower()
    if "audiobook_title" in first or "audiobook_uri" in first:
        return "Extended streaming history (2025+, with audiobook fields)"
    if "ip_addr" in first and "ip_addr_decrypted" not in first:
        return "Extended streaming history (late 2024)"
    if "spotify_track_uri" not in first:
        return "Extended streaming history (2020, no track ids)"
    if base.startswith("end"):
        return "Extended streaming history (endsong, 2021-2023)"
    return "Extended streaming history (2024)"


_WRONG_SHAPE = "Import the file exactly as it came in Spotify's export."
_JSON_TYPES = {dict: "an object", list: "a list", str: "a string", int: "a number", float: "a number",
               bool: "true/false", type(None): "null"}


def json_type(value: Any) -> str:
    """How a person who reads JSON would name a value's type."""
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _rows(name: str, records: Any, convert: Callable[[Any], tuple]) -> tuple[list[tuple], dict[str, list[int]]]:
    if not isinstance(records, list):
        raise _fail(name, f"holds {json_type(records)} where a list of plays belongs.", _WRONG_SHAPE)
    plays: list[tuple] = []
    rejected: dict[str, list[int]] = {}
    append = plays.append
    for number, record in enumerate(records, start=1):
        if type(record) is _CutRow:
            rejected.setdefault(_CUT_ROW, []).append(number)
            continue
        try:
            append(convert(record))
        except RowProblem as problem:
            rejected.setdefault(str(problem), []).append(number)
    if records and not plays:
        reason, rows = next(iter(rejected.items()))
        raise _fail(name, f"has no row Encore can read (every row is rejected; first: {reason}).",
                    _WRONG_SHAPE, row=rows[0])
    return plays, rejected


def _playlists(name: str, records: Any) -> list[PlaylistRecord]:
    if not isinstance(records, dict) or not isinstance(records.get("playlists"), list):
        raise _fail(name, "does not hold a 'playlists' list.", _WRONG_SHAPE)
    seen: dict[str, int] = {}
    out = []
    for number, pl in enumerate(records["playlists"], start=1):
        if not isinstance(pl, dict) or not isinstance(pl.get("name"), str) or not isinstance(pl.get("items", []), list):
            raise _fail(name, "has a playlist without a name or with items that are not a list.", _WRONG_SHAPE, row=number)
        items = []
        for entry in pl.get("items") or []:
            if not isinstance(entry, dict):
                continue
            track = entry.get("track") if isinstance(entry.get("track"), dict) else None
            episode = entry.get("episode") if isinstance(entry.get("episode"), dict) else None
            local = entry.get("localTrack") if isinstance(entry.get("localTrack"), dict) else None
            added = entry.get("addedDate") if isinstance(entry.get("addedDate"), str) else None
            try:
                if track:
                    uri = text(track, "trackUri")
                    items.append(("track", text(track, "trackName"), text(track, "artistName"),
                                  text(track, "albumName"), uri, track_id_from_uri(uri), added))
                elif episode:
                    items.append(("episode", text(episode, "episodeName"), text(episode, "showName"), None,
                                  text(episode, "episodeUri"), None, added))
                elif local:
                    items.append(("local", text(local, "trackName"), text(local, "artistName"),
                                  text(local, "albumName"), text(local, "uri"), None, added))
            except RowProblem as problem:
                raise _fail(name, f"has a playlist item where {problem}.", _WRONG_SHAPE, row=number) from None
        ordinal = seen.get(pl["name"], 0)
        seen[pl["name"]] = ordinal + 1
        out.append(PlaylistRecord(pl["name"][:MAX_TEXT_LENGTH], ordinal,
                                  pl.get("lastModifiedDate") if isinstance(pl.get("lastModifiedDate"), str) else None,
                                  pl.get("description") if isinstance(pl.get("description"), str) else None,
                                  tuple(items)))
    return out


_LIBRARY_KINDS = {
    # export key: (kind, name key, artist key, album key)
    "tracks": ("track", "track", "artist", "album"),
    "albums": ("album", "album", "artist", None),
    "artists": ("artist", "name", None, None),
    "shows": ("show", "name", "publisher", None),
    "episodes": ("episode", "name", "show", None),
    "bannedTracks": ("banned_track", "track", "artist", "album"),
    "bannedArtists": ("banned_artist", "name", None, None),
}


def _library(name: str, records: Any) -> list[tuple]:
    if not isinstance(records, dict):
        raise _fail(name, f"holds {json_type(records)} where an object belongs.", _WRONG_SHAPE)
    items = []
    for key, (kind, name_key, artist_key, album_key) in _LIBRARY_KINDS.items():
        entries = records.get(key) or []
        if not isinstance(entries, list):
            raise _fail(name, f"has '{key}' that is not a list.", _WRONG_SHAPE)
        for number, entry in enumerate(entries, start=1):
            if not isinstance(entry, dict):
                raise _fail(name, f"has an entry in '{key}' that is not an object.", _WRONG_SHAPE, row=number)
            try:
                title = text(entry, name_key)
                artist = text(entry, artist_key) if artist_key else None
                album = text(entry, album_key) if album_key else None
                uri = text(entry, "uri")
            except RowProblem as problem:
                raise _fail(name, f"has an entry in '{key}' where {problem}.", _WRONG_SHAPE, row=number) from None
            item_key = uri or "\x1f".join(v or "" for v in (title, artist, album))
            items.append((kind, item_key, title, artist, album, uri))
    return items


_FIRST_KEYS_RE = re.compile(rb'"([A-Za-z_]+)"\s*:')


def _first_record_keys(data: bytes) -> set[str]:
    """The key names of the first record, read from the raw bytes (cheap, for the report)."""
    head = data[: data.find(b"}") + 1] if b"}" in data[:20000] else data[:20000]
    return {m.decode() for m in _FIRST_KEYS_RE.findall(head)}


def _parse_extended_fast(name: str, data: bytes, is_video: bool) -> ParsedFile | None:
    records = decode_extended(data)
    if records is None:
        return None
    plays = extended_rows_columnar(records, is_video)
    if plays is None:
        return None
    kind = EXTENDED_VIDEO if is_video else EXTENDED
    label = extended_generation(name, _first_record_keys(data)) if records else KIND_LABELS[kind]
    return ParsedFile(name, kind, label + (" — video" if is_video else ""), plays=plays, rows_read=len(records))


def _parse_extended_records(parsed: ParsedFile, records: Any, is_video: bool) -> None:
    typed = convert_extended(records) if isinstance(records, list) else None
    fast = extended_rows_columnar(typed, is_video) if typed is not None else None
    if fast is not None:
        parsed.plays = fast
    else:
        parsed.plays, parsed.rejected = _rows(parsed.name, records, lambda r: extended_row(r, is_video))
    parsed.rows_read = len(records)
    if records and isinstance(records[0], dict):
        parsed.format = extended_generation(parsed.name, records[0].keys()) + (" — video" if is_video else "")


def _fill_account(parsed: ParsedFile, records: Any) -> None:
    parsed.plays, parsed.rejected = _rows(parsed.name, records, lambda r: account_row(r, parsed.kind))
    parsed.rows_read = len(records)


def _fill_playlists(parsed: ParsedFile, records: Any) -> None:
    parsed.playlists = _playlists(parsed.name, records)
    parsed.rows_read = sum(len(p.items) for p in parsed.playlists)


def _fill_library(parsed: ParsedFile, records: Any) -> None:
    parsed.library = _library(parsed.name, records)
    parsed.rows_read = len(parsed.library)


# kind of file -> what fills a ParsedFile from its decoded records (one table for every format)
PARSERS: dict[str, Callable[[ParsedFile, Any], None]] = {
    EXTENDED: lambda parsed, records: _parse_extended_records(parsed, records, is_video=False),
    EXTENDED_VIDEO: lambda parsed, records: _parse_extended_records(parsed, records, is_video=True),
    ACCOUNT_MUSIC: _fill_account,
    ACCOUNT_PODCAST: _fill_account,
    ACCOUNT_AUDIOBOOK: _fill_account,
    PLAYLISTS: _fill_playlists,
    LIBRARY: _fill_library,
}


def parse_file(item: InputFile) -> ParsedFile:
    """Read and normalise one file; raise ImportFileError if nothing in it can be used."""
    name = item.name
    kind = kind_from_name(name)
    data = _read(item)
    try:
        return _parse(name, kind, data)
    except RecursionError:
        raise _fail(name, "nests its data deeper than any Spotify export does, so it was not read.",
                    _REEXPORT) from None


# what reading a file or a zip member raises when it is damaged or unreadable: the problem, the fix
_ZIP_FIX = "Download the export again from Spotify, or unzip it and import the folder."
_READ_ERRORS: tuple[tuple[type[BaseException], str, str], ...] = (
    (NotImplementedError, "is compressed with a method Encore cannot unpack", _ZIP_FIX),  # before its base class:
    (RuntimeError, "is encrypted (password-protected) inside its zip", _ZIP_FIX),  # zipfile: "password required"
    (zipfile.BadZipFile, "is damaged inside its zip", _ZIP_FIX),
    (zlib.error, "is damaged inside its zip (its compressed data is corrupt)", _ZIP_FIX),
    (EOFError, "is cut short inside its zip", _ZIP_FIX),
    (OSError, "could not be read", "Check that it is an export file you can open, and give its path again."),
)


def _read(item: InputFile) -> bytes:
    try:
        return item.read()
    except tuple(kind for kind, _, _ in _READ_ERRORS) as exc:
        problem, fix = next((problem, fix) for kind, problem, fix in _READ_ERRORS if isinstance(exc, kind))
        raise _fail(item.name, f"{problem} ({exc}).", fix) from None


def _parse(name: str, kind: str | None, data: bytes) -> ParsedFile:
    if kind in (EXTENDED, EXTENDED_VIDEO):
        fast = _parse_extended_fast(name, data, kind == EXTENDED_VIDEO)
        if fast is not None:
            return fast
    if kind == CSV_FILE:
        records: Any = csv_records(name, data)
    else:
        records = decode_json(name, data)
    sniffed = _sniff_kind(name, records)
    if kind in (None, CSV_FILE) or (sniffed and sniffed != kind and not (kind == EXTENDED_VIDEO and sniffed == EXTENDED)):
        if sniffed is None:
            if isinstance(records, list) and not records:
                raise _fail(name, "holds no rows.", "Nothing to import from this file.")
            raise _fail(name, "is not a Spotify listening-history, playlist or library file "
                        "(its fields are not ones Spotify uses).",
                        "Import the export zip, or the Streaming_History / StreamingHistory / "
                        "Playlist / YourLibrary files from it.")
        kind = sniffed
    parsed = ParsedFile(name, kind, KIND_LABELS[kind])
    PARSERS[kind](parsed, records)
    if name.lower().endswith(".csv"):
        parsed.format += " (CSV)"
    return parsed
