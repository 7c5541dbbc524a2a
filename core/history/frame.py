"""A person's plays as one frame, in UTC: what every capability (Explore, the taste model,
the chat) reads from the store.

Rules every reader shares (documented once, here):
- Times are stored in UTC and a play's ``start`` is its end time - ms_played.
- A **stream** is a play of at least ``DEFAULT_MIN_MS`` (30 s, as Spotify and stats.fm
  count); Explore lets a person choose another threshold, and plays below it stay in the
  frame (skip rates need them).
- A **track** (one recording) is identified by its Spotify id, or by "artist — title" when
  the export has no id (account exports, 2020 exports): ``track_key``.
- A **song** is what a person sees: one song however many recordings it has
  (``song_key``, the rule is ``core.history.songs``).
- A **skip** is a play the person cut short (``skip`` and the signal that decided it,
  ``skip_basis``; the rule is ``core.history.skips``). ``skipped`` is the export's own flag.
- Who made a play and what it was: ``creator_names`` (the artist, else the show, else the
  audiobook) and ``item_keys`` / ``item_names`` (the track, else the episode, else the
  audiobook).

A snapshot of the frame next to the store (an Arrow file) makes a second load a fraction
of a second instead of seconds; see ``load_plays_snapshot``.
"""
from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
from sqlite_utils import Database

from core import store
from core.base import file_stem
from core.history import skips, songs

CONTENT_TYPES = ("music", "podcast", "audiobook", "video")
DEFAULT_MIN_MS = 30_000


def load_plays(db: Database, profile: str) -> pd.DataFrame:
    """A profile's plays as a DataFrame in UTC, one row per play, in order of start time.

    Columns: ``end`` (UTC), ``start`` (UTC), ``ms_played``, the text columns of
    ``store.FRAME_TEXT_COLUMNS`` as categoricals, ``shuffle``/``offline``/``incognito``
    as booleans, ``skipped`` as a nullable boolean (NA where the export does not say),
    ``track_key`` and ``song_key`` (categoricals; no song for podcasts and audiobooks),
    ``skip`` (boolean) and ``skip_basis`` (categorical: reason, flag or length).
    """
    with store.read_transaction(db):  # the plays, their tie order, songs and lengths of one state of the store
        return _load_plays(db, profile)


def _load_plays(db: Database, profile: str) -> pd.DataFrame:
    columns = store.play_columns(db, profile)
    end_s = np.asarray(columns["end_s"], dtype="int64")
    ms = np.asarray(columns["ms_played"], dtype="int64")
    # the plays in the order of their natural key (what the store's index reading gave)
    order = _in_key_order(db, end_s, ms, np.asarray(columns["id"], dtype="int64"))
    end_s, ms = end_s[order], ms[order]
    start_ms = end_s * 1000 - ms
    frame = {
        "end": pd.to_datetime(end_s, unit="s", utc=True),
        "start": pd.to_datetime(start_ms, unit="ms", utc=True),
        "ms_played": ms,
    }
    for name in store.FRAME_TEXT_COLUMNS:
        codes, uniques = pd.factorize(np.asarray(columns[name], dtype=object)[order])
        frame[name] = pd.Categorical.from_codes(codes, categories=uniques)
    for name in ("shuffle", "offline", "incognito"):
        # None (unknown) reads as False here: these flags only feed shares of known plays
        frame[name] = np.asarray(columns[name], dtype=float)[order] > 0
    skipped = np.asarray(columns["skipped"], dtype=float)[order]  # None -> NaN
    frame["skipped"] = pd.arrays.BooleanArray(skipped > 0, np.isnan(skipped))
    plays = pd.DataFrame(frame)
    plays["track_key"] = track_keys(plays)
    plays["song_key"] = _songs(plays, store.song_edits(db, profile))
    _mark_skips(plays, store.track_durations(db, profile))
    # In end-time order so far; Explore places plays at their start, so sort by start once
    # here and every "first listen" or session scan can rely on time order.
    # (on the integers: a tz-aware column's to_numpy() is an array of Timestamp objects)
    by_start = np.argsort(start_ms, kind="stable")
    return plays.iloc[by_start].reset_index(drop=True)


def _in_key_order(db: Database, end_s: np.ndarray, ms: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Positions of the plays read from the store, in the order of their natural key: end
    second, ms played, then (for the few plays that share those) ``store.key_order``."""
    if len(ms) and ms.min() >= 0 and ms.max() < 1 << 32 and end_s.max() - end_s.min() < 1 << 31:
        order = np.argsort((end_s - end_s.min()) * (1 << 32) + ms, kind="stable")  # one key: 2x a lexsort
    else:
        order = np.lexsort((ms, end_s))
    end_sorted, ms_sorted = end_s[order], ms[order]
    same = (end_sorted[1:] == end_sorted[:-1]) & (ms_sorted[1:] == ms_sorted[:-1])
    if same.any():
        tied = np.zeros(len(order), dtype=bool)
        tied[1:] = same
        tied[:-1] |= same
        at = np.flatnonzero(tied)  # runs of plays sharing an end second and ms, in key order
        position = dict(zip(ids[order[at]].tolist(), order[at].tolist()))
        order[at] = [position[i] for i in store.key_order(db, ids[order[at]].tolist())]
    return order


def track_keys(plays: pd.DataFrame) -> pd.Categorical:
    """Spotify id where known, else 'artist — title' (exports without ids). The names are
    spelled for the plays without an id only, once per (artist, title)."""
    keys = np.array(plays["track_id"].astype(object), dtype=object)
    missing = np.flatnonzero(pd.isna(keys))
    if len(missing):
        pairs, spelled = _pair_spellings(plays["artist_name"], plays["track_name"], missing)
        keys[missing] = spelled[pairs]
    codes, uniques = pd.factorize(keys)
    return pd.Categorical.from_codes(codes, categories=uniques)


def _songs(plays: pd.DataFrame, edits: dict[str, str]) -> pd.Categorical:
    """The song of each music play (``core.history.songs``), NaN for other content."""
    music = ((plays["content_type"] == "music") & plays["track_key"].notna()).to_numpy()
    track_codes = plays["track_key"].cat.codes.to_numpy()
    if not music.any():
        return pd.Categorical.from_codes(np.full(len(plays), -1), categories=pd.Index([], dtype=object))
    # each recording's most played spelling, on the categoricals' codes (no strings per play)
    recs = songs.recordings(track_codes[music], plays["artist_name"].cat.codes.to_numpy()[music],
                            plays["track_name"].cat.codes.to_numpy()[music])
    named = pd.DataFrame({
        "track_key": plays["track_key"].cat.categories.to_numpy(dtype=object)[recs["track_key"].to_numpy()],
        "artist_name": _decode(plays["artist_name"], recs["artist_name"].to_numpy()),
        "track_name": _decode(plays["track_name"], recs["track_name"].to_numpy()),
    })
    keys = songs.song_keys(named, edits).to_numpy(dtype=object)
    song_codes, song_uniques = pd.factorize(keys)
    by_track = np.full(len(plays["track_key"].cat.categories), -1, dtype=np.int64)
    by_track[recs["track_key"].to_numpy()] = song_codes
    codes = np.where(music, by_track[np.maximum(track_codes, 0)], -1)
    return pd.Categorical.from_codes(codes, categories=song_uniques)


def _decode(column: pd.Series, codes: np.ndarray) -> np.ndarray:
    values = np.full(len(codes), None, dtype=object)
    known = codes >= 0
    values[known] = column.cat.categories.to_numpy(dtype=object)[codes[known]]
    return values


def _mark_skips(plays: pd.DataFrame, durations: dict[str, int]) -> None:
    """Add ``skip`` and ``skip_basis`` (``core.history.skips``); ``durations``: track_key -> ms
    where a catalog knows the recording's length."""
    codes = plays["track_key"].cat.codes.to_numpy()
    by_code = pd.Series(plays["track_key"].cat.categories).map(durations).to_numpy(dtype="float64")
    duration = np.append(by_code, np.nan)[codes]  # code -1 (no recording) reads the NaN at the end
    skip, basis = skips.judge(plays["ms_played"].to_numpy(), plays["reason_end"].astype(object).to_numpy(),
                              plays["skipped"].array, duration, DEFAULT_MIN_MS)
    plays["skip"] = skip
    plays["skip_basis"] = pd.Categorical.from_codes(basis, categories=list(skips.BASES))


CATEGORY_COLUMNS = (*store.FRAME_TEXT_COLUMNS, "track_key", "song_key", "skip_basis")


def snapshot_path(db_path: str | Path, profile: str, version: int | str, store_id: str = "") -> Path:
    """Where the snapshot of a profile's plays at one version (``store.frame_version``) of one
    store lives.

    The store's own id (made when it is first asked for) is in the name, so a new store at
    the same path never reads an old store's snapshot; the profile's name goes through
    ``file_stem``, so two profiles never share a file."""
    store_part = f"-{store_id[:12]}" if store_id else ""
    return Path(f"{db_path}.explore") / f"{file_stem(profile)}{store_part}-v{version}.arrow"


def load_plays_snapshot(db: Database, db_path: str | Path, profile: str, write_behind: bool = False) -> pd.DataFrame:
    """``load_plays`` through a snapshot of the current version of this store: an Arrow IPC
    (Feather) file, LZ4-compressed. It keeps every dtype of the frame, and writing it costs
    a tenth of a Parquet file's CPU (300k plays: 0.03 s against 0.25-0.35 s), which matters
    because it is written while the first page after an import is being drawn.

    ``write_behind``: when the snapshot has to be made, return the plays at once and write
    the file in a thread of its own (a long-lived server that keeps the frame in memory:
    the file is for the next process). ``forget_snapshots`` waits for such a write first, so
    a deleted profile's file never comes back; the interpreter waits for it before it exits.
    """
    path = snapshot_path(db_path, profile, store.frame_version(db), store.store_id(db))
    if path.exists():
        return pd.read_feather(path)
    plays = load_plays(db, profile)
    path.parent.mkdir(parents=True, exist_ok=True)
    forget_snapshots(db_path, profile, keep=path)
    if write_behind:
        writer = threading.Thread(target=_write_snapshot, args=(plays, path), name="encore-snapshot")
        with _WRITING_LOCK:
            _WRITING.setdefault(_writing_key(db_path, profile), []).append(writer)
        writer.start()
    else:
        _write_snapshot(plays, path)
    return plays


# snapshots being written behind, per (store, profile): forget_snapshots waits for them
_WRITING: dict[tuple[str, str], list[threading.Thread]] = {}
_WRITING_LOCK = threading.Lock()


def _writing_key(db_path: str | Path, profile: str) -> tuple[str, str]:
    return str(Path(db_path).resolve()), profile


def _write_snapshot(plays: pd.DataFrame, path: Path) -> None:
    import pyarrow as pa  # only when a snapshot is written (as pandas does)
    from pyarrow import feather

    tmp = path.with_name(f"{path.name}.{uuid.uuid4().hex}.tmp")  # two sessions may write at once
    try:
        # one thread (pyarrow's pool refuses work once the interpreter is shutting down, and a
        # write behind may still be running then)
        feather.write_feather(pa.Table.from_pandas(plays, preserve_index=False, nthreads=1), tmp, compression="lz4")
        tmp.replace(path)  # atomic: a reader never sees half a file
    finally:
        tmp.unlink(missing_ok=True)  # nothing left behind when the write failed


def forget_snapshots(db_path: str | Path, profile: str, keep: Path | None = None) -> None:
    """Delete a profile's snapshots (all but ``keep``), after any still being written."""
    with _WRITING_LOCK:
        writers = _WRITING.pop(_writing_key(db_path, profile), [])
    for writer in writers:
        if writer is not threading.current_thread():
            writer.join()
    folder = Path(f"{db_path}.explore")
    if folder.is_dir():
        for stale in folder.glob(f"{file_stem(profile)}-*"):
            if stale != keep and stale.suffix in (".arrow", ".parquet"):  # .parquet: snapshots before Arrow files
                stale.unlink(missing_ok=True)


# --- who made a play, and what it was ---------------------------------------------------

LEVELS = ("artist", "track")
# Columns a frame may carry with ``creator_names`` and ``item_keys`` of its rows already worked
# out (``with_item_columns``). A row's value depends on that row alone, so every selection of
# the rows (a content choice, a date range) keeps them right: worked out once per load, not
# again per selection and per aggregate. Their categories are the whole history's.
CREATOR_COLUMN, ITEM_COLUMN = "_creator", "_item"


def with_item_columns(plays: pd.DataFrame) -> pd.DataFrame:
    """``plays`` with ``CREATOR_COLUMN`` and ``ITEM_COLUMN``: its ``creator_names`` and
    ``item_keys``, which then answer from them for the frame and any selection of its rows
    (shares the other columns). Only for frames whose names are not changed afterwards."""
    return plays.assign(**{CREATOR_COLUMN: creator_names(plays), ITEM_COLUMN: item_keys(plays)})


def creator_names(frame: pd.DataFrame) -> pd.Series:
    """Who made each play: the artist, else the podcast show, else the audiobook title."""
    if CREATOR_COLUMN in frame.columns:
        return frame[CREATOR_COLUMN]
    names = frame["artist_name"]
    if names.isna().any():
        names = _first_known(frame, [(frame["artist_name"], ""), (frame["show_name"], ""),
                                     (frame["audiobook_title"], "")])
    return names


def item_keys(frame: pd.DataFrame) -> pd.Series:
    """What each play was: its song (``song_key``, else ``track_key``), else
    "episode:show — episode", else "audiobook:title" (a categorical)."""
    if ITEM_COLUMN in frame.columns:
        return frame[ITEM_COLUMN]
    keys = frame["song_key"] if "song_key" in frame.columns else frame["track_key"]
    known_track = (frame["track_id"].notna() | frame["track_name"].notna()).to_numpy()
    if not keys.isna().any() and known_track.all():
        # (music alone stays as it is: factorizing it is a pass over its codes, not a hash of 1M strings)
        return keys
    tracks = keys if not keys.isna().any() else _first_known(frame, [(keys, ""), (frame["track_key"], "")])
    tracks = tracks.where(known_track) if not known_track.all() else tracks
    parts = [(tracks, "")]
    if frame["episode_name"].notna().any():
        parts.append((_episodes(frame["show_name"], frame["episode_name"]), "episode:"))
    if frame["audiobook_title"].notna().any():
        parts.append((frame["audiobook_title"], "audiobook:"))
    return _first_known(frame, parts) if len(parts) > 1 else tracks


def _episodes(shows: pd.Series, episodes: pd.Series) -> pd.Series:
    """"show — episode" per play ("?" for an unknown show; missing without an episode), each
    distinct pair spelled once."""
    rows = np.flatnonzero(episodes.notna().to_numpy())  # only these are spelled (music rows have no episode)
    pairs, spelled = _pair_spellings(shows, episodes, rows)
    # each spelling once (two pairs can read alike: "A — B" + "C" and "A" + "B — C")
    categories = pd.Index(spelled, dtype=object).unique()
    codes = np.full(len(episodes), -1, dtype=np.int64)  # -1: a play without an episode
    codes[rows] = categories.get_indexer(spelled)[pairs]
    return pd.Series(pd.Categorical.from_codes(codes, categories=categories), index=shows.index)


def _pair_spellings(first: pd.Series, second: pd.Series, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each distinct (first, second) pair of the rows at positions ``rows`` spelled
    "first — second" once ("?" for a missing value): (each of those rows' pair, the spellings)."""
    one, one_names = column_codes(first.iloc[rows])
    two, two_names = column_codes(second.iloc[rows])
    pairs, distinct = pd.factorize((one + 1) * (len(two_names) + 1) + two + 1)
    distinct = np.asarray(distinct, dtype=np.int64)
    one_of, two_of = distinct // (len(two_names) + 1) - 1, distinct % (len(two_names) + 1) - 1
    spelled = np.array([f"{'?' if a < 0 else one_names[a]} — {'?' if b < 0 else two_names[b]}"
                        for a, b in zip(one_of.tolist(), two_of.tolist())], dtype=object)
    return pairs, spelled


def column_codes(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(a code per row, -1 for missing; the values), on a categorical's own codes."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.codes.to_numpy().astype(np.int64), column.cat.categories.to_numpy(dtype=object)
    codes, values = pd.factorize(column.astype(object))
    return codes.astype(np.int64), np.asarray(values, dtype=object)


def _first_known(frame: pd.DataFrame, parts: list[tuple[pd.Series, str]]) -> pd.Series:
    """Per row, the first known value of ``parts`` (each a column and a prefix for its values),
    as a categorical whose categories are the prefixed values, each string once (the same
    text from two columns is one value, as ``fillna`` on the strings would give)."""
    coded = [(*column_codes(column), prefix) for column, prefix in parts]
    spelled = np.concatenate([np.array([prefix + str(v) for v in values], dtype=object) if prefix
                              else values.astype(object) for _, values, prefix in coded]) if coded else np.array([])
    categories = pd.Index(spelled).unique()
    codes = np.full(len(frame), -1, dtype=np.int64)
    offset = 0
    for part_codes, values, _ in coded:
        to_union = categories.get_indexer(spelled[offset:offset + len(values)])
        fill = (codes < 0) & (part_codes >= 0)
        codes[fill] = to_union[part_codes[fill]]
        offset += len(values)
    return pd.Series(pd.Categorical.from_codes(codes, categories=categories), index=frame.index)


def item_names(frame: pd.DataFrame) -> pd.Series:
    """The title of each play: the track, else the episode, else the audiobook."""
    return (frame["track_name"].astype(object).fillna(frame["episode_name"].astype(object))
            .fillna(frame["audiobook_title"].astype(object)))


def epoch_us(times: pd.Series) -> np.ndarray:
    """Microseconds since the epoch of a tz-aware or naive datetime column."""
    if times.dt.tz is not None:
        times = times.dt.tz_convert("UTC").dt.tz_localize(None)
    return times.to_numpy().astype("datetime64[us]").view("int64")


def level_keys(plays: pd.DataFrame, level: str) -> pd.Series:
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, not {level!r}")
    return creator_names(plays) if level == "artist" else item_keys(plays)


# cells counted in a table of every cell up to this many (16 MB of float64 per measure),
# numbered by hashing beyond
DENSE_CELLS = 1 << 21


# rows counted at a time (``cell_sums`` given ``ordered_blocks``, ``trues_per_run``, Habits' day
# counts): their numbers stay in the processor's cache, and no array the size of them all is made
BLOCK_ROWS = 1 << 16


def block_size(count: int) -> int:
    """The rows of the largest block among ``count`` (what a buffer for one block holds)."""
    return min(count, BLOCK_ROWS)


def block_bounds(count: int) -> Iterator[tuple[int, int]]:
    """(first, end) of each block of ``BLOCK_ROWS`` rows among ``count``, in order."""
    for first in range(0, count, BLOCK_ROWS):
        yield first, min(first + BLOCK_ROWS, count)


def position_blocks(at: slice | np.ndarray, count: int) -> Iterator[slice | np.ndarray]:
    """The positions ``at`` (a slice or an array of them, among ``count`` rows) ``BLOCK_ROWS``
    at a time, in their order: a run as slices (views of what they index), others as arrays."""
    if isinstance(at, slice) and at.step in (None, 1):
        start, stop, _ = at.indices(count)
        for first, end in block_bounds(max(stop - start, 0)):
            yield slice(start + first, start + end)
        return
    positions = np.arange(count)[at] if isinstance(at, slice) else at
    for first, end in block_bounds(len(positions)):
        yield positions[first:end]


def run_starts(values: np.ndarray) -> np.ndarray:
    """Where each run of equal neighbouring ``values`` begins (positions; none for no values)."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.intp)
    return np.flatnonzero(np.r_[True, values[1:] != values[:-1]])


def ordered_blocks(major: np.ndarray, width: int) -> np.ndarray | None:
    """Where to cut rows numbered ``major * width + minor`` (0 <= minor < width; e.g. month and
    song of plays in time order) into blocks for ``cell_sums``: each block is whole runs of
    one or more majors (a major's rows are never split, however many), a new block starts at
    the first run at or after every ``BLOCK_ROWS`` rows, and a block spans at most
    ``DENSE_CELLS`` cells. None when ``major`` goes down anywhere (the blocks' cells would
    overlap), or when one major alone is wider than that (blocks would cost more than hashing)."""
    if len(major) == 0 or width > DENSE_CELLS or (major[1:] < major[:-1]).any():
        return None
    starts = run_starts(major)  # each run of one major
    group = (major[starts].astype(np.int64) - int(major[0])) // max(1, DENSE_CELLS // max(width, 1))
    cuts = np.union1d(np.searchsorted(starts, np.arange(0, len(major), BLOCK_ROWS)),
                      run_starts(group))  # by rows, and by width
    return starts[cuts[cuts < len(starts)]]


def cell_sums(cell: np.ndarray, size: int, *weights: np.ndarray,
              blocks: np.ndarray | None = None) -> tuple[np.ndarray, list[np.ndarray]]:
    """The cells (of 0..size-1, one per row) that hold a row, and each of ``weights``' sums per
    such cell. Given ``blocks`` (``ordered_blocks``: row positions where blocks of ascending,
    non-overlapping cells start) they are counted a block at a time over only its cells, in
    ascending order (no array of ``size`` is made). Else up to ``DENSE_CELLS`` cells they are
    counted directly (in ascending order); beyond, numbered by hashing (in order of first
    appearance: a sort of a million cells costs more)."""
    if blocks is not None and len(cell):
        present, sums = [], [[] for _ in weights]
        for first, end in zip(blocks, np.append(blocks[1:], len(cell))):
            block = cell[first:end]
            low = int(block.min())
            here, counted = cell_sums(block - low, int(block.max()) - low + 1, *(w[first:end] for w in weights))
            present.append(here + low)
            for total, block_sums in zip(sums, counted):
                total.append(block_sums)
        return np.concatenate(present), [np.concatenate(total) for total in sums]
    if size <= DENSE_CELLS:
        present = np.flatnonzero(np.bincount(cell, minlength=size))
        return present, [np.bincount(cell, weights=w, minlength=size)[present] for w in weights]
    inverse, present = pd.factorize(cell)
    return np.asarray(present), [np.bincount(inverse, weights=w, minlength=len(present)) for w in weights]


def trues_per_run(flags: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """How many of ``flags`` (bool) are true in each run of them starting at ``bounds`` (the
    first 0, increasing), as int64: ``np.add.reduceat(flags, bounds, dtype=np.int64)``. That
    casts every flag to int64 (in the running app 4-6 ms a million); here the running count
    at each run's edges is read off a cumulative sum made ``BLOCK_ROWS`` flags at a time."""
    edges = np.r_[bounds, len(flags)]  # the running count before each of these positions
    before = np.zeros(len(edges), dtype=np.int64)
    running = np.empty(block_size(len(flags)), dtype=np.int32)
    total = 0
    for lo, hi in block_bounds(len(flags)):
        counted = np.cumsum(flags[lo:hi], dtype=np.int32, out=running[:hi - lo])
        first, last = np.searchsorted(edges, [lo, hi], side="right")  # the edges in (lo, hi]
        before[first:last] = total + counted[edges[first:last] - lo - 1]
        total += int(counted[-1])
    return np.diff(before)


def rows_of(frames: list[pd.DataFrame], which: np.ndarray, rows: np.ndarray):
    """The rows ``rows`` of the frames ``which`` (one of each per row asked for), frame by
    frame: yields (where those rows go among the ones asked for, the frame's rows there)."""
    for i, frame in enumerate(frames):
        here = np.flatnonzero(which == i)
        if len(here):
            yield here, frame.iloc[rows[here]]


def play_order(frames: list[pd.DataFrame], which: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """A number per row asked for (of the frames ``which``, as ``rows_of``) that orders plays
    of several frames of one history as one frame of them all would: their index labels,
    which ``load_plays`` numbers in time order. Frames with other labels are taken in turn."""
    if all(frame.index.dtype.kind in "iu" or frame.empty for frame in frames):
        order = np.empty(len(rows), dtype=np.int64)
        for i, frame in enumerate(frames):
            here = which == i
            order[here] = frame.index.to_numpy()[rows[here]]
        return order
    return which.astype(np.int64) * (int(rows.max(initial=0)) + 1) + rows


def common_codes(coded: list[tuple[np.ndarray, pd.Index]]) -> tuple[pd.Index, list[np.ndarray]]:
    """Several frames' codes in one numbering. ``coded``: per frame, a code per row (-1 for
    none) and the keys the codes number (``pd.factorize``). Returns the keys of them all and
    each frame's codes among them; unchanged when every frame numbers the same ``keys``
    object (parts of one history coded once, as ``explore.FirstListens`` does)."""
    keys = coded[0][1]
    if all(its_keys is keys for _, its_keys in coded):
        return keys, [codes for codes, _ in coded]
    keys = pd.Index(np.concatenate([np.asarray(its_keys, dtype=object) for _, its_keys in coded])).unique()
    return keys, [np.append(keys.get_indexer(np.asarray(its_keys, dtype=object)), -1)[codes]
                  for codes, its_keys in coded]
