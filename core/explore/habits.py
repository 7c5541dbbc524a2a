"""How a person listens: sessions, skips, why plays start and end, shuffle, devices, places.

Skips, reasons, devices, places and shuffle are sums over plays, kept per local day
(``DayCounts``): a date range adds up its days. What is counted of each play is coded once
(``PlayCodes``, the same in every zone): a new zone only places the plays on its days.
Sessions of a range are split on the range's plays alone, reusing the sessions of every
play of the content (``SessionSplit``) that the range holds whole.
"""
from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.base import MS_PER_HOUR
from core.explore.filters import positions_in
from core.explore.periods import calendar_years, days_at, local_days, period_codes
from core.history.frame import (
    block_bounds,
    block_size,
    cell_sums,
    column_codes,
    creator_names,
    run_starts,
    trues_per_run,
)
from core.history.sessions import _utc_wall, session_starts, split_sessions

# What Spotify's reason codes mean, by where they appear (the same code reads differently
# at the start and at the end of a play). Unknown codes are shown as they are.
REASON_MEANINGS = {
    "start": {
        "trackdone": "previous track finished", "fwdbtn": "skipped forward to it", "backbtn": "went back to it",
        "clickrow": "picked from a list", "playbtn": "play button", "appload": "app opened",
        "remote": "another device (Connect)", "trackerror": "previous track failed", "uriopen": "opened a link",
        "popup": "pop-up", "persisted": "resumed after restart", "switched-to-audio": "switched to audio",
        "switched-to-video": "switched to video", "unknown": "unknown",
    },
    "end": {
        "trackdone": "played to the end", "fwdbtn": "skipped forward", "backbtn": "went back",
        "endplay": "stopped playback", "logout": "logged out", "unexpected-exit": "app closed unexpectedly",
        "unexpected-exit-while-paused": "app closed while paused", "remote": "another device took over",
        "trackerror": "playback error", "clickrow": "picked another track", "playbtn": "play button",
        "appload": "app reloaded", "popup": "pop-up", "uriopen": "opened a link",
        "switched-to-audio": "switched to audio", "switched-to-video": "switched to video", "unknown": "unknown",
    },
}


# Spotify's conn_country when it could not tell where a play came from
UNKNOWN_COUNTRY = "ZZ"
UNKNOWN_COUNTRY_LABEL = f"unknown ({UNKNOWN_COUNTRY})"


@dataclass(frozen=True, eq=False)
class SplitRows:
    """What a ``SessionSplit`` knows of each of its rows (in row order = start order)."""

    index: pd.Index  # the rows' index (increasing integer labels)
    start: np.ndarray  # UTC start and end (datetime64[us])
    end: np.ndarray
    names: pd.Series  # ``creator_names`` and ms_played, to name a session again
    ms: np.ndarray


@dataclass(frozen=True, eq=False)
class SessionSplit:
    """The sessions of some plays for one gap, split and named once, so that the sessions
    of a selection of those plays (a date range) reuse every session the selection holds
    whole (``sessions(frame, gap, within=...)``, ``sessions_of``). Made by ``split_rows``, or
    by ``split_of`` for several content types together; split on UTC times, so the same in
    every time zone.

    Per row (``index``, ``start``, ``end``, ``names``, ``ms``: ``SplitRows``): ``split_rows``
    has them. ``split_of``'s sessions need none of them put together: the whole history's
    come from its parts' sessions (``session_start``, ``session_end``), and a date range reads
    the plays at its edges from the parts (``times_at``, ``take``); they are put together
    only when asked for whole (a selection that is not one run of rows, a merge of merges)."""

    gap_minutes: float
    count: int  # rows
    first: np.ndarray  # per session: its first and last row
    last: np.ndarray
    top_artist: np.ndarray  # per session (object: str or None) and its ms_played (0 for none)
    top_ms: np.ndarray
    given_rows: SplitRows | None = None  # split_rows'; None for split_of's (put together when asked for)
    # ``split_of``: the splits of its content types, each one's rows' positions among these,
    # and the session of these that holds each of its sessions
    parts: tuple[SessionSplit, ...] = ()
    places: tuple[np.ndarray, ...] = ()
    held: tuple[np.ndarray, ...] = ()

    # A split_of's rows, put together from its parts' when first asked for whole, each kind
    # on its own (times, names and ms, labels)
    @functools.cached_property
    def _times(self) -> tuple[np.ndarray, np.ndarray]:
        if self.given_rows is not None:
            return self.given_rows.start, self.given_rows.end
        return self._placed(lambda part: part.start, "datetime64[us]"), self._placed(lambda part: part.end, "datetime64[us]")

    @functools.cached_property
    def _plays(self) -> tuple[pd.Series, np.ndarray]:
        if self.given_rows is not None:
            return self.given_rows.names, self.given_rows.ms
        return _names_of(list(self.parts), self.places, self.count), self._placed(lambda part: part.ms, np.int64)

    @functools.cached_property
    def index(self) -> pd.Index:
        if self.given_rows is not None:
            return self.given_rows.index
        return pd.Index(self._placed(lambda part: part.index, np.int64))

    def _placed(self, values: Callable[[SessionSplit], np.ndarray], dtype) -> np.ndarray:
        out = np.empty(self.count, dtype=dtype)
        for part, place in zip(self.parts, self.places):
            out[place] = values(part)
        return out

    def _reads_parts(self, built: str) -> bool:
        """Whether rows are read from the parts: a split_of's whose ``built`` rows are not put together."""
        return self.given_rows is None and built not in self.__dict__

    start = property(lambda self: self._times[0])
    end = property(lambda self: self._times[1])
    names = property(lambda self: self._plays[0])
    ms = property(lambda self: self._plays[1])

    def times_at(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The start and end of its rows at ``rows`` (increasing positions): a ``split_of``'s
        read from its parts unless they are put together already."""
        if not self._reads_parts("_times"):
            return self.start[rows], self.end[rows]
        start, end = np.empty(len(rows), dtype="datetime64[us]"), np.empty(len(rows), dtype="datetime64[us]")
        for part, place, (at, mine) in zip(self.parts, self.places, _owned(self.places, rows)):
            start[mine], end[mine] = part.start[at[mine]], part.end[at[mine]]
        return start, end

    def latest_end_before(self, row: int) -> np.int64:
        """The latest end of its rows before ``row`` (> 0), as int64 microseconds."""
        if not self._reads_parts("_times"):
            return self.end[:row].view(np.int64).max()
        return max(part.end[:k].view(np.int64).max()
                   for part, place in zip(self.parts, self.places)
                   if (k := int(np.searchsorted(place, np.array(row, dtype=place.dtype)))))

    def take(self, rows: np.ndarray) -> tuple[pd.Series, np.ndarray]:
        """The names and ms of its rows at ``rows`` (increasing positions): a ``split_of``'s
        read from its parts unless they are put together already."""
        if self._reads_parts("_plays"):
            return _gathered(list(self.parts), self.places, rows)
        return self.names.iloc[rows], self.ms[rows]

    @functools.cached_property
    def session_start(self) -> np.ndarray:
        """Per session, its first play's start."""
        if self.given_rows is None:  # a split_of's: the earliest of the parts' sessions it holds
            return self._from_parts(np.minimum, [part.session_start for part in self.parts], np.iinfo(np.int64).max)
        return self.start[self.first]

    @functools.cached_property
    def session_end(self) -> np.ndarray:
        """Per session, the latest end of its plays."""
        if self.given_rows is None:  # a split_of's: the latest of the parts' sessions it holds
            return self._from_parts(np.maximum, [part.session_end for part in self.parts], np.iinfo(np.int64).min)
        return np.maximum.reduceat(self.end, self.first) if len(self.first) else self.end[:0]

    def _from_parts(self, pick: np.ufunc, values: list[np.ndarray], empty: int) -> np.ndarray:
        out = np.full(len(self.first), empty, dtype=np.int64)
        for held, its in zip(self.held, values):
            pick.at(out, held, its.view(np.int64))
        return out.view("datetime64[us]")

    @functools.cached_property
    def named(self) -> np.ndarray:
        """Which of its names' categories its plays use (names that are a categorical)."""
        codes = self.names.cat.codes.to_numpy()
        return np.bincount(codes[codes >= 0], minlength=len(self.names.cat.categories)) > 0


def split_rows(rows: pd.DataFrame, gap_minutes: float = 30) -> SessionSplit | None:
    """``rows``' sessions (see ``SessionSplit``); None when the rows are not in order of start
    with increasing integer labels (as ``explore.load_plays`` gives them), where nothing is reused."""
    labels = rows.index.to_numpy()
    start, end = _utc_wall(rows["start"]), _utc_wall(rows["end"])
    if labels.dtype.kind not in "iu" or np.any(labels[1:] <= labels[:-1]) or np.any(start[1:] < start[:-1]):
        return None
    new = session_starts(start, end, gap_minutes)
    ids = np.cumsum(new) - 1
    first = np.flatnonzero(new)
    count = len(first)
    names, ms = creator_names(rows), rows["ms_played"].to_numpy()
    top, top_ms = _tops(ids, names, ms, count)
    return SessionSplit(gap_minutes=gap_minutes, count=len(rows), first=first, last=_lasts(first, len(rows)),
                        top_artist=top, top_ms=top_ms, given_rows=SplitRows(rows.index, start, end, names, ms))


def _lasts(first: np.ndarray, count: int) -> np.ndarray:
    """The last row of each session, given the first rows of all (in order) and the row count."""
    return np.r_[first[1:], count] - 1 if len(first) else first


def split_of(splits: list[SessionSplit | None]) -> SessionSplit | None:
    """The sessions of several splits' plays together: ``split_rows`` of each content type of
    one history, for one gap. Content types are disjoint plays, and a session of one type's
    plays is never cut by another's plays in between (they only shorten the silences), so
    the sessions of them all are runs of whole sessions of each, named from theirs where
    that is exact (``_tops_of``) and from their plays elsewhere. None when a split is None,
    or the rows' labels are shared, not non-negative integers, or not in order of start
    (nothing is reused)."""
    if len(splits) == 1 or any(split is None for split in splits):
        return splits[0] if len(splits) == 1 else None
    gap = splits[0].gap_minutes
    if any(split.gap_minutes != gap for split in splits):
        raise ValueError("split_of needs splits of one gap")
    labels = [split.index.to_numpy() for split in splits]
    if any(its.dtype.kind not in "iu" or (len(its) and its.min() < 0) for its in labels):
        return None
    owner = np.full(max((int(its.max()) + 1 for its in labels if len(its)), default=0), -1, dtype=np.int16)
    for i, its in enumerate(labels):
        if np.any(owner[its] >= 0):
            return None
        owner[its] = i
    taken = owner >= 0
    rank = np.cumsum(taken, dtype=np.int32)  # int32: half the fresh memory, and numpy's faster cumsum
    rank -= 1
    places = tuple(rank[its] for its in labels)
    count = int(rank[-1]) + 1 if len(rank) else 0
    if not _in_start_order(splits, places, owner[taken]):
        return None
    first = _merged_firsts(splits, places, gap)
    last = _lasts(first, count)
    held = tuple(np.searchsorted(first, place[split.first], side="right") - 1 for split, place in zip(splits, places))
    top, top_ms = _tops_of(splits, places, held, first, last)
    return SessionSplit(gap_minutes=gap, count=count, first=first, last=last, top_artist=top, top_ms=top_ms,
                        parts=tuple(splits), places=places, held=held)


def _in_start_order(splits: list[SessionSplit], places: tuple[np.ndarray, ...], owners: np.ndarray) -> bool:
    """Whether the splits' rows placed together (``places``; ``owners``: whose each one is) are
    in order of start. Each split's own are, so only where one split's rows meet another's
    can they be out of order: those meetings are compared, not every row."""
    meets = np.flatnonzero(owners[1:] != owners[:-1])  # the last row before each meeting
    if not len(meets):
        return True
    before, after = np.empty(len(meets), dtype=np.int64), np.empty(len(meets), dtype=np.int64)
    for i, (split, place) in enumerate(zip(splits, places)):
        start = split.start.view(np.int64)
        ends_here, starts_here = owners[meets] == i, owners[meets + 1] == i
        before[ends_here] = start[np.searchsorted(place, meets[ends_here].astype(place.dtype))]
        after[starts_here] = start[np.searchsorted(place, (meets[starts_here] + 1).astype(place.dtype))]
    return bool(np.all(after >= before))


def _merged_firsts(splits: list[SessionSplit], places: tuple[np.ndarray, ...], gap: float) -> np.ndarray:
    """Where the sessions of all the splits' plays together begin (positions among them), from
    the splits' sessions rather than their plays: ``session_starts`` of the sessions (each its
    first start and latest end) in the order of their first plays. A session of one split that
    runs on past another's first play keeps that one from starting a session either way."""
    firsts = np.concatenate([place[split.first] for split, place in zip(splits, places)])
    starts = np.concatenate([split.session_start for split in splits])
    ends = np.concatenate([split.session_end for split in splits])
    order = np.argsort(firsts, kind="stable")
    return firsts[order][session_starts(starts[order], ends[order], gap)]


def _tops_of(splits: list[SessionSplit], places: tuple[np.ndarray, ...], held: tuple[np.ndarray, ...],
             first: np.ndarray, last: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The top artist and its time of each session of several splits' rows together (the
    sessions begin at ``first`` and end at ``last`` of those rows; ``places``: each split's
    rows among them; ``held``: the session holding each of a split's sessions), from the
    splits' own where that is exact, else from the plays.

    Each split's sessions lie whole in one session of them all. A session that holds at most
    one session of each split, of splits that share no name, adds up no name across them:
    its top artist is the best of theirs (one split's session alone is its own)."""
    count = len(first)
    holds = np.vstack([np.bincount(its, minlength=count) for its in held])  # (splits, sessions of all)
    exact = holds.max(axis=0) <= 1
    shared = _shared_names(splits)
    for i, j in zip(*np.nonzero(np.triu(shared, 1))):
        exact &= (holds[i] == 0) | (holds[j] == 0)
    top, top_ms = np.full(count, None, dtype=object), np.zeros(count, dtype=np.int64)
    # the splits' tops of the exact sessions: most time, then the first name alphabetically
    chosen = [np.flatnonzero(exact[its] & pd.notna(split.top_artist)) for split, its in zip(splits, held)]
    session = np.concatenate([its[at] for its, at in zip(held, chosen)])
    time = np.concatenate([split.top_ms[at] for split, at in zip(splits, chosen)])
    name = np.concatenate([split.top_artist[at] for split, at in zip(splits, chosen)])
    codes, uniques = pd.factorize(name)
    best = _best_per_session(session, time, _alphabetical(uniques)[1][codes])
    top[session[best]], top_ms[session[best]] = name[best], time[best]
    # the others from their plays
    redo = np.flatnonzero(~exact)
    top[redo], top_ms[redo] = _runs_top_artists(lambda rows: _gathered(splits, places, rows), first[redo],
                                                last[redo] - first[redo] + 1)
    return top, top_ms


def _owned(places: tuple[np.ndarray, ...], rows: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per split: where each of ``rows`` (positions among the splits' rows placed together)
    would be among its rows, and whether it is one of them."""
    out = []
    for place in places:
        at = np.minimum(np.searchsorted(place, rows.astype(place.dtype)), max(len(place) - 1, 0))
        out.append((at, place[at] == rows if len(place) else np.zeros(len(rows), dtype=bool)))
    return out


def _gathered(splits: list[SessionSplit], places: tuple[np.ndarray, ...], rows: np.ndarray) -> tuple[pd.Series, np.ndarray]:
    """The names and ms of the rows at positions ``rows`` among the splits' rows placed together
    (``places``), read from the splits that hold them (no row of the others is copied)."""
    values, named = _name_values(splits)
    names = np.empty(len(rows), dtype=values[0].dtype)
    ms = np.empty(len(rows), dtype=np.int64)
    for split, its, (at, mine) in zip(splits, values, _owned(places, rows)):
        names[mine], ms[mine] = its[at[mine]], split.ms[at[mine]]
    return named(names), ms


def _name_values(splits: list[SessionSplit]) -> tuple[list[np.ndarray], Callable[[np.ndarray], pd.Series]]:
    """Each split's names as values that can be placed among the others' (the categories' codes
    when the splits name them alike, as columns of one history do; else the names), and how
    to make names of values placed together."""
    names = [split.names for split in splits]
    if _same_categories(names):
        dtype = names[0].dtype  # one history's categories: one code type
        return ([its.cat.codes.to_numpy() for its in names],
                lambda codes: pd.Series(pd.Categorical.from_codes(codes, dtype=dtype, validate=False)))
    return [its.to_numpy(dtype=object) for its in names], lambda values: pd.Series(values, dtype=object)


def _same_categories(names: list[pd.Series]) -> bool:
    """Whether the splits' names are categoricals of the same categories (one history's), so
    that their codes can be compared and placed as they are."""
    kinds = [its.dtype for its in names]
    return all(isinstance(kind, pd.CategoricalDtype) and kind.categories.equals(kinds[0].categories) for kind in kinds)


def _shared_names(splits: list[SessionSplit]) -> np.ndarray:
    """(splits, splits) bool: whether two splits have a name in common (assumed, unless their
    names are categoricals of the same categories whose codes can be compared)."""
    if not _same_categories([split.names for split in splits]):
        return np.ones((len(splits), len(splits)), dtype=bool)
    present = np.vstack([split.named for split in splits]).astype(np.int64)
    return (present @ present.T) > 0


def _names_of(splits: list[SessionSplit], places: tuple[np.ndarray, ...], count: int) -> pd.Series:
    """The splits' rows' names placed among all their rows."""
    values, named = _name_values(splits)
    names = np.empty(count, dtype=values[0].dtype)
    for its, place in zip(values, places):
        names[place] = its
    return named(names)


def _positions(split: SessionSplit, frame: pd.DataFrame, gap_minutes: float) -> slice | np.ndarray | None:
    """Where ``frame``'s rows are among ``split``'s rows (``filters.positions_in``); None —
    nothing to reuse — for another gap, a label that is not there, labels out of order, or
    first and last plays that are not the split's at those labels."""
    if split.gap_minutes != gap_minutes or frame.empty:
        return None
    at = positions_in(split.index, frame.index)
    if at is None or (not isinstance(at, slice) and np.any(at[1:] <= at[:-1])):
        return None
    # the same labels should mean the same plays (the frame is a selection of the split's rows):
    # a frame of other plays numbered alike is caught here at its ends, cheaply, not proved
    where = [at.start, at.stop - 1] if isinstance(at, slice) else at[[0, -1]]
    return at if np.array_equal(_utc_wall(frame["start"].iloc[[0, -1]]), split.start[where]) else None


_SESSION_COLUMNS = ["session", "start", "end", "minutes", "plays", "streams", "top_artist"]


def sessions(frame: pd.DataFrame, gap_minutes: float = 30, within: SessionSplit | None = None) -> pd.DataFrame:
    """One row per listening session (see ``split_sessions``) of ``frame``'s plays.

    Columns: ``session``, ``start`` and ``end`` (local, tz-aware), ``minutes`` (elapsed from
    the first start to the last end), ``plays``, ``streams``, ``top_artist`` (the artist —
    or show — with the most listening time in the session, ties by name; missing if no
    play names one). Text columns use pandas' default ``str`` dtype.

    ``within``: ``split_rows`` of rows that ``frame`` is a selection of (the same index
    labels, same gap): sessions the selection holds whole are not named again. The
    result is the same: sessions are split on ``frame``'s plays alone.
    """
    if frame.empty:
        return _no_sessions(frame)
    if within is not None:
        return sessions_of(within, [frame], gap_minutes)  # split afresh when nothing is reused
    start, end = _utc_wall(frame["start"]), _utc_wall(frame["end"])
    # sessions are runs of plays in start order (explore.load_plays keeps that order)
    order = None if np.all(start[1:] >= start[:-1]) else np.argsort(start, kind="stable")
    plays = frame if order is None else frame.iloc[order]
    if order is not None:
        start, end = start[order], end[order]

    def top(bounds: np.ndarray, sizes: np.ndarray) -> pd.Series:
        return _top_artists(np.repeat(np.arange(len(bounds)), sizes), creator_names(plays),
                            plays["ms_played"].to_numpy(), len(bounds))

    bounds = np.flatnonzero(session_starts(start, end, gap_minutes))
    return _session_table(start[bounds], np.maximum.reduceat(end, bounds), bounds, plays["is_stream"].to_numpy(),
                          frame["local"].dt.tz, top)


def sessions_of(split: SessionSplit | None, parts: list[pd.DataFrame], gap_minutes: float = 30,
                rows: SessionRows | None = None) -> pd.DataFrame:
    """``sessions`` of all the parts' plays together. ``parts``: each content type's selection
    (localised, streams marked, one zone); ``split``: ``split_of`` the splits of every play of
    those content types (in the same order), whose sessions the selection reuses; ``rows``:
    ``session_rows`` of the same split and of parts with the same plays (under any stream
    rule), when already made."""
    located = _located(split, parts, gap_minutes, rows)
    if located is None:
        return sessions(_together(parts), gap_minutes)
    (at, bounds), stream = located
    if not len(stream):
        return _no_sessions(parts[0])
    if isinstance(at, slice):  # a run of the split's rows: its own sessions where it holds them whole
        starts, ends = _spans_within(split, at, bounds)
    else:
        starts, ends = split.start[at][bounds], np.maximum.reduceat(split.end[at], bounds)
    return _session_table(starts, ends, bounds, stream, parts[0]["local"].dt.tz,
                          lambda bounds, sizes: _reused_top_artists(split, at, bounds, sizes))


def _no_sessions(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"session": pd.Series(dtype="int64"), "start": frame["local"], "end": frame["local"],
                         "minutes": pd.Series(dtype="float64"), "plays": pd.Series(dtype="int64"),
                         "streams": pd.Series(dtype="int64"), "top_artist": pd.Series(dtype="str")})[_SESSION_COLUMNS]


def _session_table(starts: np.ndarray, ends: np.ndarray, bounds: np.ndarray, stream: np.ndarray, tz,
                   top: Callable[[np.ndarray, np.ndarray], pd.Series]) -> pd.DataFrame:
    """The ``sessions`` table of some plays in start order: each session's UTC start and
    latest end, the plays that start one (``bounds``), whether each play is a stream, the
    zone to show times in, and how to name the top artist of the sessions that begin at
    ``bounds`` and hold ``sizes`` plays."""
    sizes = np.diff(np.r_[bounds, len(stream)])
    out = pd.DataFrame({
        "session": np.arange(len(bounds), dtype="int64"),
        "start": pd.Series(starts).dt.tz_localize("UTC").dt.tz_convert(tz),  # in start order: the first
        "end": pd.Series(ends).dt.tz_localize("UTC").dt.tz_convert(tz),
        "minutes": (ends - starts) / np.timedelta64(60_000_000, "us"),
        "plays": sizes.astype("int64"),
        "streams": trues_per_run(stream, bounds),
        "top_artist": top(bounds, sizes),
    })
    return out[_SESSION_COLUMNS]


@dataclass(frozen=True, eq=False)
class SessionRows:
    """Where some plays (each content type's selection) sit among a split's rows, and which of
    them start a session of those plays alone: what their sessions and their streams per
    session both need, made once by ``session_rows``."""

    at: slice | np.ndarray  # the plays' positions among the split's rows (a run of them, or increasing)
    where: tuple[slice | np.ndarray, ...]  # each part's plays' positions among ``at``'s plays
    bounds: np.ndarray  # the plays (positions among them) that start a session

    def __post_init__(self):  # shared (a page keeps one for every session): read-only
        for values in (self.at, *self.where, self.bounds):
            if isinstance(values, np.ndarray):
                values.setflags(write=False)


def session_rows(split: SessionSplit | None, parts: list[pd.DataFrame], gap_minutes: float = 30) -> SessionRows | None:
    """``parts``' plays placed among ``split``'s rows (see ``sessions_of``); None — nothing to
    reuse — when a part is not a selection of its split's rows or the gap is another."""
    if split is None or split.gap_minutes != gap_minutes:
        return None
    splits, places = split.parts or (split,), split.places or (None,)
    if len(splits) != len(parts):
        return None
    if len(parts) == 1:
        at = _positions(split, parts[0], gap_minutes) if not parts[0].empty else slice(0, 0)
        return None if at is None else SessionRows(at, (slice(None),), _starts_within(split, at))
    where = []  # each part's plays' positions among the split's rows (increasing)
    for its_split, place, frame in zip(splits, places, parts):
        at = _positions(its_split, frame, gap_minutes) if not frame.empty else slice(0, 0)
        if at is None:
            return None
        where.append(place[at])
    count = sum(len(its) for its in where)
    if not count:
        return SessionRows(slice(0, 0), tuple(slice(0, 0) for _ in parts), np.zeros(0, dtype=np.int64))
    lo = min(int(its[0]) for its in where if len(its))
    hi = max(int(its[-1]) for its in where if len(its)) + 1
    if hi - lo == count:  # one run of the split's rows (a date range of each content type is)
        at, mine = slice(lo, hi), tuple(its - lo for its in where)
    else:
        at = np.sort(np.concatenate(where))
        mine = tuple(np.searchsorted(at, its) for its in where)
    return SessionRows(at, mine, _starts_within(split, at))


def _located(split: SessionSplit | None, parts: list[pd.DataFrame], gap_minutes: float,
             rows: SessionRows | None = None) -> tuple[tuple[slice | np.ndarray, np.ndarray], np.ndarray] | None:
    """``session_rows`` (``rows`` when given) as (where the plays sit, which start a session),
    and whether each play is a stream; None when nothing is reused."""
    if rows is None:
        rows = session_rows(split, parts, gap_minutes)
    if rows is None:
        return None
    if len(parts) == 1:
        return (rows.at, rows.bounds), parts[0]["is_stream"].to_numpy()
    stream = np.empty(sum(len(frame) for frame in parts), dtype=bool)
    for mine, frame in zip(rows.where, parts):
        stream[mine] = frame["is_stream"].to_numpy()
    return (rows.at, rows.bounds), stream


def _starts_within(split: SessionSplit, at: slice | np.ndarray) -> np.ndarray:
    """Which of the plays ``at`` of ``split``'s rows start a session of those plays alone
    (positions among them): ``session_starts`` of them, taken from the split's own sessions
    where a range's start no longer matters.

    In a run of rows from ``lo``, a play starts a session as it does in the split unless the
    plays before ``lo`` (the latest of their ends) closed a silence the run's own plays leave
    open. Once the run's latest end reaches theirs (at some play), every later play starts a
    session exactly when it does in the split; up to that play the run is split afresh."""
    gap = split.gap_minutes
    if not isinstance(at, slice) or at.stop <= at.start:
        return np.flatnonzero(session_starts(split.start[at], split.end[at], gap))
    lo, hi = at.start, at.stop
    if lo == 0:  # no plays before the run: the split's own starts (its first play starts one)
        return split.first[:np.searchsorted(split.first, hi)]
    caught = lo  # the first row by which the run's latest end has reached the latest end before it
    before, latest = split.latest_end_before(lo), np.iinfo(np.int64).min
    while caught < hi:
        stop = min(hi, caught + 4096)
        running = np.maximum(np.maximum.accumulate(split.times_at(np.arange(caught, stop))[1].view(np.int64)), latest)
        reached = np.flatnonzero(running >= before)
        if len(reached):
            caught += int(reached[0])
            break
        latest, caught = running[-1], stop
    head = min(caught + 1, hi)  # split afresh up to ``caught`` (the next play's start compares with its end)
    fresh = np.flatnonzero(session_starts(*split.times_at(np.arange(lo, head)), gap))
    kept = split.first[np.searchsorted(split.first, head):np.searchsorted(split.first, hi)] - lo
    return np.r_[fresh, kept]


def _spans_within(split: SessionSplit, at: slice, bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The start and latest end of each session of ``split``'s rows ``at`` (a run of them;
    its sessions begin at ``bounds``): the split's own for a session that is one of its
    sessions whole, read from the plays for the others (at the run's edges)."""
    rows = bounds + at.start
    sizes = np.diff(np.r_[rows, at.stop])
    j, whole = _held_whole(split, rows, rows + sizes - 1, sizes)
    starts, ends = np.empty(len(rows), dtype="datetime64[us]"), np.empty(len(rows), dtype="datetime64[us]")
    starts[whole], ends[whole] = split.session_start[j[whole]], split.session_end[j[whole]]
    redo = np.flatnonzero(~whole)
    if len(redo):
        start, end = split.times_at(_run_rows(rows[redo], sizes[redo]))
        offsets = np.cumsum(sizes[redo]) - sizes[redo]
        starts[redo], ends[redo] = start[offsets], np.maximum.reduceat(end, offsets)
    return starts, ends


def _held_whole(split: SessionSplit, first: np.ndarray, last: np.ndarray, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For sessions of some of ``split``'s rows (each one's first and last row among the
    split's, and how many rows it holds): the split's session holding each first row, and
    whether the session is that one whole (the same plays)."""
    if not len(split.first):
        return np.zeros(len(first), dtype=np.int64), np.zeros(len(first), dtype=bool)
    j = np.maximum(np.searchsorted(split.first, first, side="right") - 1, 0)
    return j, (split.first[j] == first) & (split.last[j] == last) & (last - first + 1 == sizes)


def _together(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The parts' plays in one frame, in the order of their labels (a history's order)."""
    return pd.concat(parts).sort_index(kind="stable") if len(parts) > 1 else parts[0]


def _reused_top_artists(split: SessionSplit, at: slice | np.ndarray, bounds: np.ndarray,
                        sizes: np.ndarray) -> pd.Series:
    """The top artist of each session of ``split``'s rows at ``at`` (its sessions begin at
    ``bounds`` and hold ``sizes`` plays): ``split``'s own where a session is one of its
    sessions whole (the same plays), worked out again for the others (at a range's bounds)."""
    place = (lambda i: at.start + i) if isinstance(at, slice) else (lambda i: at[i])
    j, whole = _held_whole(split, place(bounds), place(bounds + sizes - 1), sizes)
    top = np.where(whole, split.top_artist[j], None)
    redo = np.flatnonzero(~whole)
    top[redo] = _runs_top_artists(lambda rows: split.take(place(rows)), bounds[redo], sizes[redo])[0]
    return pd.Series(top, dtype="str")


def _runs_top_artists(take: Callable[[np.ndarray], tuple[pd.Series, np.ndarray]], bounds: np.ndarray,
                      sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The top artist and its time (``_tops``) of runs of rows that begin at ``bounds`` and
    hold ``sizes`` rows each; ``take`` gives the names and ms of rows at some positions."""
    if not len(bounds):
        return np.empty(0, dtype=object), np.zeros(0, dtype=np.int64)
    names, ms = take(_run_rows(bounds, sizes))
    return _tops(np.repeat(np.arange(len(bounds)), sizes), names, ms, len(bounds))


def _run_rows(bounds: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """The rows of runs that begin at ``bounds`` and hold ``sizes`` rows each, run after run."""
    return np.repeat(bounds, sizes) + np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)


def session_streams(frame: pd.DataFrame, gap_minutes: float = 30, within: SessionSplit | None = None) -> np.ndarray:
    """The ``streams`` column of ``sessions(frame, gap_minutes, within)`` alone: what a new
    stream rule changes in that table."""
    if within is not None:
        return session_streams_of(within, [frame], gap_minutes)  # split afresh when nothing is reused
    ids = split_sessions(frame, gap_minutes).to_numpy()
    count = int(ids.max()) + 1 if len(ids) else 0
    return np.bincount(ids, weights=frame["is_stream"].to_numpy(), minlength=count).astype("int64")


def session_streams_of(split: SessionSplit | None, parts: list[pd.DataFrame], gap_minutes: float = 30,
                       rows: SessionRows | None = None) -> np.ndarray:
    """The ``streams`` column of ``sessions_of(split, parts, gap_minutes, rows)`` alone."""
    located = _located(split, parts, gap_minutes, rows)
    if located is None:
        return session_streams(_together(parts), gap_minutes)
    (_, bounds), stream = located
    if not len(stream):
        return np.zeros(0, dtype=np.int64)
    return trues_per_run(stream, bounds)


def _top_artists(ids: np.ndarray, names: pd.Series, ms: np.ndarray, count: int) -> pd.Series:
    """Per session 0..count-1, the name with the most ms_played (ties: alphabetically first)."""
    return pd.Series(_tops(ids, names, ms, count)[0], dtype="str")


def _tops(ids: np.ndarray, names: pd.Series, ms: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """``_top_artists`` (object: None where no play names one) and each one's ms_played (0 for none)."""
    codes, uniques = pd.factorize(names)
    known = codes >= 0
    if not known.all():
        ids, codes, ms = ids[known], codes[known], ms[known]
    alphabetical, rank = _alphabetical(uniques)
    width = max(len(uniques), 1)
    # one cell per (session, name), whole milliseconds in each
    pairs, (total,) = cell_sums(ids.astype(np.int64, copy=False) * width + rank[codes], count * width, ms)
    total = total.astype(np.int64)
    top, top_ms = np.full(count, None, dtype=object), np.zeros(count, dtype=np.int64)
    if len(pairs) == 0:
        return top, top_ms
    session, name_rank = pairs // width, pairs % width
    if np.all(session[1:] >= session[:-1]) and int(total.max()) < (2 ** 62) // width:
        # plays in session order (sessions are numbered in time order): each session's pairs
        # are one run; the largest (time, then earliest name) per run is the answer
        bounds = run_starts(session)
        best = np.maximum.reduceat(total * width + (width - 1 - name_rank), bounds)
        top[session[bounds]], top_ms[session[bounds]] = alphabetical[width - 1 - best % width], best // width
    else:
        best = _best_per_session(session, total, name_rank)
        top[session[best]], top_ms[session[best]] = alphabetical[name_rank[best]], total[best]
    return top, top_ms


def _alphabetical(names) -> tuple[np.ndarray, np.ndarray]:
    """``names`` in alphabetical order, and each one's place in it."""
    names = np.asarray(names, dtype=object)
    order = np.argsort(names, kind="stable")
    rank = np.empty(len(names), dtype=np.int64)
    rank[order] = np.arange(len(names))
    return names[order], rank


def _best_per_session(session: np.ndarray, time: np.ndarray, name_rank: np.ndarray) -> np.ndarray:
    """Of (session, time, name) candidates, the one per session with the most time, then the
    first name alphabetically (``name_rank``): their positions, by session."""
    best = np.lexsort((name_rank, -time, session))
    return best[np.r_[True, session[best][1:] != session[best][:-1]]] if len(best) else best


def longest_sessions(table: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """The ``n`` longest rows of a ``sessions`` table, longest first (ties: earliest first)."""
    longest = table.sort_values(["minutes", "start"], ascending=[False, True], kind="stable")
    return longest.head(n).reset_index(drop=True)


def _rate(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """part / whole as float, NaN where whole is 0."""
    rate = np.full(np.shape(part), np.nan)
    return np.divide(part, whole, out=rate, where=np.asarray(whole) > 0)


_BASIS_COLUMNS = {basis: f"by_{basis}" for basis in ("reason", "flag", "length")}
_BASIS_WIDTH = len(_BASIS_COLUMNS) + 1  # which signal decided a skip, 0: none
_SKIP_COLUMNS = ("plays", "skipped", *_BASIS_COLUMNS.values())
# per day, over the plays with details: these counts (the ms columns are whole milliseconds)
_DETAIL_COLUMNS = ("plays", "shuffled", "ms", "offline", "offline_ms", "incognito", "incognito_ms")
_FLAGS = ("shuffle", "offline", "incognito")  # known for plays with details (``has_details``)
# columns counted per value, two at a time (in one pass over their pairs), and whether their
# listening time is counted too
_COUNTED_PAIRS = {("reason_start", "reason_end"): False, ("platform_family", "conn_country"): True}
_COUNTED = {column: with_ms for pair, with_ms in _COUNTED_PAIRS.items() for column in pair}


@dataclass(frozen=True, eq=False)
class DayCounts:
    """What the Habits aggregates add up, per local day with plays (in order), made once by
    ``day_counts``. A date range is a run of these days (``days_between``), so skips,
    reasons, devices, places and shuffle over any range need no pass over its plays.
    Every aggregate below takes a frame or these counts of it, with the same result."""

    days: np.ndarray  # datetime64[us]: the local days with plays
    skips: np.ndarray  # int64 (days, _SKIP_COLUMNS)
    details: np.ndarray  # int64 (days, _DETAIL_COLUMNS)
    values: dict[str, np.ndarray]  # per _COUNTED column: its values (object)
    plays: dict[str, np.ndarray]  # int64 (days, values): plays per day and value
    ms: dict[str, np.ndarray]  # the same in whole milliseconds (platform_family and conn_country)


def _bits(counts: np.ndarray, bit: int) -> np.ndarray:
    """Per day, the total of the values (columns) that have ``bit`` set."""
    return counts[:, (np.arange(counts.shape[1]) & bit) > 0].sum(axis=1)


# a chunk's (day, value pair) cells counted in one pass up to this many; above, one pass per value
_JOINT_CELLS = 1 << 22


def _cells(out: np.ndarray, row: np.ndarray, *values: tuple[np.ndarray, int]) -> np.ndarray:
    """Each play's cell in a table of (day, value, value …): its ``row`` (day), then each
    (codes, width) in turn, as one number, worked out in ``out`` (an int64 buffer)."""
    current = row
    for codes, width in values:
        np.multiply(current, width, out=out)
        np.add(out, codes, out=out)
        current = out
    return out


@dataclass(frozen=True, eq=False)
class PlayCodes:
    """What ``day_counts`` counts of each play, coded once (``play_codes``): none of it depends
    on the zone, so a new zone only places the plays on its days."""

    index: pd.Index  # the plays' index
    skip: np.ndarray  # skipped or not, times which signal decided it: 0..2*_BASIS_WIDTH-1 (int8)
    flags: np.ndarray  # with details (bit 1), in shuffle (2), offline (4), in a private session (8) (int8)
    ms: np.ndarray  # ms_played as float64: what np.bincount weighs with (converted once, not per zone)
    values: dict[str, np.ndarray]  # per _COUNTED column: its values (object)
    codes: dict[str, np.ndarray]  # per _COUNTED column: each play's value + 1 (0: missing; smallest int type)


def play_codes(frame: pd.DataFrame) -> PlayCodes:
    """``frame``'s plays coded as ``day_counts`` counts them (in any zone)."""
    flags = (has_details(frame).to_numpy(dtype=np.int64)
             * (1 + 2 * frame["shuffle"].to_numpy(dtype=np.int64) + 4 * frame["offline"].to_numpy(dtype=np.int64)
                + 8 * frame["incognito"].to_numpy(dtype=np.int64)))
    skip = frame["skip"].to_numpy(dtype=np.int64) * _BASIS_WIDTH + _basis_codes(frame) + 1
    values, codes = {}, {}
    for column in _COUNTED:  # kept per content: each code in the smallest type that holds it
        coded, values[column] = column_codes(frame[column])
        codes[column] = (coded + 1).astype(np.min_scalar_type(len(values[column]) + 1))
    return PlayCodes(index=frame.index, skip=skip.astype(np.int8), flags=flags.astype(np.int8),
                     ms=frame["ms_played"].to_numpy(dtype=np.float64), values=values, codes=codes)


def _pair_tables(days: np.ndarray, low: int, n: int,
                 pairs: list[tuple[np.ndarray, int, np.ndarray, int, tuple]]) -> list[list[tuple[np.ndarray, np.ndarray]]]:
    """Per day (``n`` rows from day number ``low``) and pair (first codes, their width, second codes,
    their width, weights): for each of the weights (None: plays counted), a table (n, width) of each
    of the two values, int64 (the weights are whole milliseconds: exact below 2**53).

    The plays are counted ``BLOCK_ROWS`` at a time, each chunk's (day, value pair) cells in one
    bincount over the chunk's own days (one per value when that table would be too large): no
    array the size of the plays is made per zone. Plays come in time order; out of order they
    are counted alike, each chunk over more days."""
    tables = [[(np.zeros((n, first_width), dtype=np.int64 if w is None else np.float64),
                np.zeros((n, second_width), dtype=np.int64 if w is None else np.float64)) for w in weights]
              for _, first_width, _, second_width, weights in pairs]
    size = block_size(len(days))
    base, cells = np.empty(size, dtype=np.int64), np.empty(size, dtype=np.int64)
    for lo, hi in block_bounds(len(days)):
        chunk = days[lo:hi]
        first_day = int(chunk.min())
        span = int(chunk.max()) - first_day + 1
        row = base[:hi - lo]
        np.subtract(chunk, first_day, out=row)  # each play's day within the chunk's days
        at = slice(first_day - low, first_day - low + span)
        for (first, first_width, second, second_width, weights), counted in zip(pairs, tables):
            cell = cells[:hi - lo]
            if span * first_width * second_width <= _JOINT_CELLS:
                _cells(cell, row, (first[lo:hi], first_width), (second[lo:hi], second_width))
                for w, (firsts, seconds) in zip(weights, counted):
                    joint = np.bincount(cell, weights=None if w is None else w[lo:hi],
                                        minlength=span * first_width * second_width)
                    joint = joint.reshape(span, first_width, second_width)
                    firsts[at] += joint.sum(axis=2)
                    seconds[at] += joint.sum(axis=1)
                continue
            for codes, width, place in ((first, first_width, 0), (second, second_width, 1)):
                _cells(cell, row, (codes[lo:hi], width))
                for w, pair in zip(weights, counted):
                    pair[place][at] += np.bincount(cell, weights=None if w is None else w[lo:hi],
                                                   minlength=span * width).reshape(span, width)
    return [[tuple(table.astype(np.int64, copy=False) for table in pair) for pair in counted] for counted in tables]


def day_counts(frame: pd.DataFrame, coded: PlayCodes | None = None) -> DayCounts:
    """``frame``'s Habits counts per local day (see ``DayCounts``). ``coded``: ``play_codes``
    of the same plays (the same index), e.g. made in another zone; else made here."""
    if coded is None or not coded.index.equals(frame.index):
        coded = play_codes(frame)
    # counted on every day from the first to the last, the days without plays dropped at the end
    days = local_days(frame)
    low, n = (int(days.min()), int(days.max()) - int(days.min()) + 1) if len(days) else (0, 0)
    width = _BASIS_WIDTH
    widths = {column: len(values) + 1 for column, values in coded.values.items()}  # 0: missing
    pairs = [(coded.skip, 2 * width, coded.flags, 16, (None, coded.ms))]
    pairs += [(coded.codes[first], widths[first], coded.codes[second], widths[second],
               (None, coded.ms) if with_ms else (None,)) for (first, second), with_ms in _COUNTED_PAIRS.items()]
    [(skip, flagged), (_, flagged_ms)], *counted = _pair_tables(days, low, n, pairs)
    plays, times = {}, {}
    for ((first, second), with_ms), tables in zip(_COUNTED_PAIRS.items(), counted):
        plays[first], plays[second] = (table[:, 1:] for table in tables[0])
        if with_ms:
            times[first], times[second] = (table[:, 1:] for table in tables[1])
    kept = np.flatnonzero(skip.sum(axis=1))  # the days with plays (every play has a skip code)
    if len(kept) < n:
        skip, flagged, flagged_ms = skip[kept], flagged[kept], flagged_ms[kept]
        plays = {column: table[kept] for column, table in plays.items()}
        times = {column: table[kept] for column, table in times.items()}
    skips = np.column_stack([skip.sum(axis=1), skip[:, width:].sum(axis=1),
                             (skip[:, 1:width] + skip[:, width + 1:])])
    details = np.column_stack([_bits(flagged, 1), _bits(flagged, 2), _bits(flagged_ms, 1), _bits(flagged, 4),
                               _bits(flagged_ms, 4), _bits(flagged, 8), _bits(flagged_ms, 8)])
    return DayCounts(days=days_at(kept, low), skips=skips, details=details, values=dict(coded.values), plays=plays,
                     ms=times)


def day_counts_of(parts: list[DayCounts]) -> DayCounts:
    """The counts of several disjoint sets of plays added up (``day_counts`` of each content
    type, all in one zone): those of ``day_counts`` of their plays together."""
    if len(parts) == 1:
        return parts[0]
    days = np.unique(np.concatenate([part.days for part in parts]))
    places = [np.searchsorted(days, part.days) for part in parts]
    values = {column: pd.Index(np.concatenate([part.values[column] for part in parts])).unique().to_numpy(dtype=object)
              for column in parts[0].values}

    def added(tables: list[np.ndarray], column: str | None = None) -> np.ndarray:
        # each part's days (rows) and, for a counted column, its values (columns) among all
        width = tables[0].shape[1] if column is None else len(values[column])
        total = np.zeros((len(days), width), dtype=np.int64)
        for part, place, table in zip(parts, places, tables):
            if column is None or np.array_equal(part.values[column], values[column]):  # one history's columns
                total[place] += table
            else:
                total[np.ix_(place, pd.Index(values[column]).get_indexer(part.values[column]))] += table
        return total

    return DayCounts(days=days, skips=added([part.skips for part in parts]),
                     details=added([part.details for part in parts]), values=values,
                     plays={column: added([part.plays[column] for part in parts], column) for column in values},
                     ms={column: added([part.ms[column] for part in parts], column) for column in parts[0].ms})


def days_between(counts: DayCounts, start: dt.date | None, end: dt.date | None) -> DayCounts:
    """The counts of the local days from ``start`` to ``end`` (inclusive; None: open-ended):
    those of ``select_dates(frame, start, end)`` when ``counts`` are ``day_counts(frame)``."""
    lo = 0 if start is None else int(np.searchsorted(counts.days, np.datetime64(start, "us")))
    hi = len(counts.days) if end is None else int(
        np.searchsorted(counts.days, np.datetime64(end, "us") + np.timedelta64(1, "D")))
    hi = max(lo, hi)
    return DayCounts(days=counts.days[lo:hi], skips=counts.skips[lo:hi], details=counts.details[lo:hi],
                     values=counts.values, plays={c: p[lo:hi] for c, p in counts.plays.items()},
                     ms={c: m[lo:hi] for c, m in counts.ms.items()})


def _counts_of(plays: pd.DataFrame | DayCounts) -> DayCounts:
    return plays if isinstance(plays, DayCounts) else day_counts(plays)


def _per_period(days: np.ndarray, counts: np.ndarray, period: str) -> tuple[np.ndarray, np.ndarray]:
    """(the local periods of ``days`` in order, ``counts`` (days, k) added up per period)."""
    codes, starts = period_codes(days, period)
    if len(days) == 0:
        return starts, np.zeros((0, counts.shape[1]), dtype=np.int64)
    return starts, np.add.reduceat(counts, run_starts(codes), axis=0)


def _basis_codes(frame: pd.DataFrame) -> np.ndarray:
    """Per play, which signal decided its skip: the position in ``_BASIS_COLUMNS`` (-1 unknown)."""
    basis = frame["skip_basis"]
    if isinstance(basis.dtype, pd.CategoricalDtype) and list(basis.cat.categories) == list(_BASIS_COLUMNS):
        return basis.cat.codes.to_numpy()  # the frame's own codes: no pass over 1M strings
    return pd.Categorical(basis, categories=list(_BASIS_COLUMNS)).codes


def skip_rate_over_time(plays: pd.DataFrame | DayCounts, period: str = "month") -> pd.DataFrame:
    """Skip rate per local period, by the one skip rule (``core.history.skips``).

    Columns: ``period_start`` (local, naive), ``plays``, ``skipped``, ``skip_rate`` and how
    many plays each signal decided: ``by_reason`` (why the play ended), ``by_flag``
    (Spotify's skipped flag) and ``by_length`` (a short play; account exports). Periods
    without plays are left out.
    """
    counts = _counts_of(plays)
    starts, sums = _per_period(counts.days, counts.skips, period)
    return _skip_table({"period_start": starts}, sums)


def _skip_table(first: dict, sums: np.ndarray) -> pd.DataFrame:
    """The skip columns of ``sums`` (per row, ``_SKIP_COLUMNS``) after the ``first`` ones."""
    columns = dict(zip(_SKIP_COLUMNS, sums.T))
    return pd.DataFrame({**first, "plays": columns["plays"], "skipped": columns["skipped"],
                         "skip_rate": _rate(columns["skipped"], columns["plays"]),
                         **{column: columns[column] for column in _BASIS_COLUMNS.values()}})


def skip_rules_by_year(plays: pd.DataFrame | DayCounts) -> pd.DataFrame:
    """Which signal decided the skips of each local year, and how many plays it covers.

    Columns ``year``, ``plays``, ``skipped``, ``skip_rate``, ``by_reason``, ``by_flag``,
    ``by_length`` and ``rule`` (the signal that decided most of that year's plays).
    """
    counts = _counts_of(plays)
    starts, sums = _per_period(counts.days, counts.skips, "year")
    out = _skip_table({"year": calendar_years(starts)}, sums)
    names = np.array(list(_BASIS_COLUMNS), dtype=object)
    out["rule"] = pd.Series(names[sums[:, 2:].argmax(axis=1)] if len(out) else [], dtype="str")
    return out


def skip_summary(plays: pd.DataFrame | DayCounts) -> dict:
    """Skips over all the plays: ``plays``, ``skipped``, ``skip_rate`` (None without plays)
    and how many plays each signal decided (``by_reason``, ``by_flag``, ``by_length``)."""
    total = dict(zip(_SKIP_COLUMNS, (int(n) for n in _counts_of(plays).skips.sum(axis=0))))
    return {"plays": total["plays"], "skipped": total["skipped"],
            "skip_rate": total["skipped"] / total["plays"] if total["plays"] else None,
            **{column: total[column] for column in _BASIS_COLUMNS.values()}}


def _totals(counts: DayCounts, column: str, table: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """Per value of ``column``, its plays (or ``table``'s counts) over all days."""
    return (counts.plays if table is None else table)[column].sum(axis=0)


def reasons(plays: pd.DataFrame | DayCounts, which: str = "start") -> pd.DataFrame:
    """Why plays started (``which="start"``) or ended, over the plays whose export records it.

    Columns: ``reason`` (Spotify's code), ``meaning`` (plain words), ``plays``, ``share``
    (of plays with a known reason). Most plays first, ties by code.
    """
    if which not in REASON_MEANINGS:
        raise ValueError(f"which must be 'start' or 'end', not {which!r}")
    counts = _counts_of(plays)
    column = f"reason_{which}"
    total = _totals(counts, column)
    at, codes = _by_value(counts, column, total)
    played = total[at].astype("int64")
    meanings = REASON_MEANINGS[which]
    return pd.DataFrame({"reason": pd.Series(codes, dtype="str"),
                         "meaning": pd.Series([meanings.get(code, code) for code in codes], dtype="str"),
                         "plays": played, "share": played / played.sum() if len(played) else np.zeros(0)})


def _by_value(counts: DayCounts, column: str, most: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """The values of ``column`` that have plays (their places in ``counts.values[column]``,
    and as text), the largest ``most`` first, ties by value."""
    seen = np.flatnonzero(_totals(counts, column) > 0)
    names = [str(value) for value in counts.values[column][seen]]
    order = sorted(range(len(seen)), key=lambda i: (-most[seen[i]], names[i]))  # a few dozen values
    return seen[order], [names[i] for i in order]


def has_details(frame: pd.DataFrame) -> pd.Series:
    """True for plays from an extended export (they carry a platform, country or reason).

    The account-data export carries none of these, nor a shuffle, offline or incognito flag.
    """
    return (frame["platform_family"].notna() | frame["conn_country"].notna()
            | frame["reason_start"].notna() | frame["reason_end"].notna())


def coverage(plays: pd.DataFrame | DayCounts, column: str) -> float:
    """Share of plays that know ``column`` (a reason, platform_family or conn_country; for a
    flag — shuffle, offline, incognito — that come with details); 0 if there are no plays."""
    if column not in (*_COUNTED, *_FLAGS):
        raise ValueError(f"column must be one of {(*_COUNTED, *_FLAGS)}, not {column!r}")
    counts = _counts_of(plays)
    total = int(counts.skips[:, 0].sum())
    if total == 0:
        return 0.0
    known = counts.details[:, 0].sum() if column in _FLAGS else _totals(counts, column).sum()
    return float(int(known) / total)


def shuffle_share(plays: pd.DataFrame | DayCounts, period: str = "month") -> pd.DataFrame:
    """Share of plays started in shuffle mode per local period, over plays with details.

    Columns: ``period_start``, ``plays`` (with details), ``shuffled``, ``shuffle_share``.
    Periods with no detailed plays are left out.
    """
    counts = _counts_of(plays)
    detailed = counts.details[:, 0] > 0
    starts, sums = _per_period(counts.days[detailed], counts.details[detailed, :2], period)
    return pd.DataFrame({"period_start": starts, "plays": sums[:, 0], "shuffled": sums[:, 1],
                         "shuffle_share": _rate(sums[:, 1], sums[:, 0])})


def _hours_by(counts: DayCounts, column: str, label: str) -> pd.DataFrame:
    """Listening time and plays per known value of ``column``, most hours first, share of known hours."""
    ms = _totals(counts, column, counts.ms).astype("float64")  # whole milliseconds: exact below 2**53
    hours = ms / MS_PER_HOUR
    at, names = _by_value(counts, column, hours)
    total = ms[at].sum()
    return pd.DataFrame({label: pd.Series(names, dtype="str"), "hours": hours[at],
                         "plays": _totals(counts, column)[at].astype("int64"),
                         "share": _rate(ms[at], np.full(len(at), total))})


def platforms(plays: pd.DataFrame | DayCounts) -> pd.DataFrame:
    """Listening time per device family (android, ios, desktop, web, cast, other).

    Columns: ``platform_family``, ``hours``, ``plays``, ``share`` (of hours whose platform is known).
    """
    return _hours_by(_counts_of(plays), "platform_family", "platform_family")


def countries(plays: pd.DataFrame | DayCounts) -> pd.DataFrame:
    """Listening time per country of the connection (``conn_country``).

    Columns: ``country`` (the code; Spotify's ``ZZ`` reads "unknown (ZZ)"), ``hours``,
    ``plays``, ``share`` (of hours whose country field is filled, ``ZZ`` included).
    """
    out = _hours_by(_counts_of(plays), "conn_country", "country")
    out["country"] = out["country"].replace(UNKNOWN_COUNTRY, UNKNOWN_COUNTRY_LABEL)
    return out


def offline_incognito(plays: pd.DataFrame | DayCounts) -> pd.DataFrame:
    """How much listening was offline and how much in a private session, over plays with details.

    One row per ``mode`` (offline, incognito): ``plays``, ``hours``, ``share_of_plays``,
    ``share_of_time`` (NaN when no play has details).
    """
    total = dict(zip(_DETAIL_COLUMNS, _counts_of(plays).details.sum(axis=0)))
    modes = ["offline", "incognito"]
    flagged = np.array([total[mode] for mode in modes], dtype="int64")
    ms = np.array([total[f"{mode}_ms"] for mode in modes], dtype="int64")
    return pd.DataFrame({"mode": pd.Series(modes, dtype="str"), "plays": flagged, "hours": ms / MS_PER_HOUR,
                         "share_of_plays": _rate(flagged, np.full(2, total["plays"])),
                         "share_of_time": _rate(ms, np.full(2, total["ms"]))})
