"""Plays -> discoveries: what was heard for the first time, and when.

Rules every function here shares:
- **Whole history.** A first listen is the first time an artist or track appears in *all*
  of a profile's plays (of the chosen content types), never just the date range on screen.
  So the functions take ``plays_all``, the unfiltered plays localised with
  ``explore.filters.localise``, and, where a date range matters, the filtered ``frame``, which must
  be a row subset of ``plays_all`` with the same index labels (``explore.filters.apply_filters``
  keeps ``load_plays``' index, so this holds for frames built from the same plays).
- **Hearing means streaming.** A first listen is the first play of at least ``min_ms``
  (the stream rule on screen, 30 s by default): a two-second skip in shuffle does not
  count as discovering a track. Stream counts use the same threshold; listening time
  ("hours") counts every play's ``ms_played``.
- **Names.** The "artist" is ``artist_name``, else the podcast's show, else the audiobook's
  title; the "track" is ``track_key`` (Spotify id, else "artist — title"), else the
  episode, else the audiobook. Plays with none of these (rare exports rows with no
  metadata) are never a discovery.
- Times are local wall-clock times (naive ``datetime64``) in the zone of ``plays_all``'s
  ``local`` column; months are local calendar months.
"""
from __future__ import annotations

import copy
import threading
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.base import MS_PER_HOUR
from core.explore.filters import positions_in
from core.explore.periods import local_period_codes, local_wall
from core.history.frame import (
    DEFAULT_MIN_MS,
    column_codes,
    common_codes,
    creator_names,
    epoch_us,
    item_names,
    level_keys,
    play_order,
    position_blocks,
    rows_of,
)


class FirstListens:
    """A whole history's plays as first listens need them, whatever the stream rule.

    Built once per history (the Discovery page keeps one per content, and the whole
    history's for ``of_content``), so a new stream rule costs a pass over a few plays per
    artist and track, not over every play: the first stream of an artist under a rule "at
    least ``min_ms``" is always a *record* play, one longer than every earlier play of that
    artist (any earlier play was shorter than ``min_ms``), and each keeps only its records.

    A new content choice need not look at every play again either (``of_history``,
    ``of_content``): a record among the plays of some content types is a record of its
    key *and content type* in the whole history, so the history keeps those records once
    and each content finds its own among them.
    """

    def __init__(self, plays_all: pd.DataFrame):
        self.plays = plays_all
        self.ms = plays_all["ms_played"].to_numpy()
        self.start_us = starts = epoch_us(plays_all["start"])
        # explore.load_plays returns plays in start order; sort only when given something else
        self.in_order = bool(np.all(starts[1:] >= starts[:-1]))
        self.order = np.arange(len(starts)) if self.in_order else np.argsort(starts, kind="stable")
        self._months: tuple[np.ndarray, np.ndarray] | None = None
        self._levels: dict[str, tuple[np.ndarray, pd.Index, np.ndarray, np.ndarray]] = {}
        self._streams: dict[tuple[str, int], np.ndarray] = {}  # per (level, min_ms): ``streams``
        self._by_content = False  # records per key (else per key and content type: of_history)
        # of_content: the history, where these plays are in it, and which of its plays they are
        self._history: tuple[FirstListens, slice | np.ndarray, np.ndarray] | None = None

    @classmethod
    def of_history(cls, plays: pd.DataFrame) -> FirstListens:
        """Every play of a history (any content), its records kept per key and content type:
        what ``of_content`` finds each content's records among."""
        listens = cls(plays)
        listens._by_content = True
        return listens

    def of_content(self, plays_all: pd.DataFrame) -> FirstListens:
        """``FirstListens(plays_all)`` for every play of some content types of this history
        (``of_history``; the same index labels), its records found among the history's. The
        same result as building it afresh, which is what happens when ``plays_all`` is not
        every play of its content types or either is not in order of start."""
        listens = FirstListens(plays_all)
        at = positions_in(self.plays.index, plays_all.index) if self._by_content and self.in_order else None
        in_its_order = at is not None and (isinstance(at, slice) or bool(np.all(at[1:] > at[:-1])))
        if in_its_order and listens.in_order:  # these plays in the history's order (a tie kept as it was)
            types = column_codes(self.plays["content_type"])[0]
            inside = np.zeros(len(types), dtype=bool)
            inside[at] = True
            if not np.isin(types[~inside], types[inside]).any():  # no play of these types left out
                listens._history = (self, at, inside)
        return listens

    def in_zone(self, plays_all: pd.DataFrame) -> FirstListens:
        """The same history's plays localised in another zone: what does not depend on the
        zone (every artist's and track's codes and records) is shared, not built again."""
        if not plays_all.index.equals(self.plays.index):
            raise ValueError("in_zone needs the same plays (same index labels) in another zone")
        other = copy.copy(self)
        other.plays, other._months = plays_all, None
        return other

    @property
    def month_codes(self) -> np.ndarray:
        """Each play's local month as 0..k-1 in time order (``period_codes``)."""
        return self._month_numbers()[0]

    @property
    def months(self) -> np.ndarray:
        """The k local months' starts."""
        return self._month_numbers()[1]

    def _month_numbers(self) -> tuple[np.ndarray, np.ndarray]:
        if self._months is None:
            self._months = local_period_codes(self.plays, "month")
        return self._months

    def level(self, level: str) -> tuple[np.ndarray, pd.Index, np.ndarray, np.ndarray]:
        """(code of each play, -1 for none; the keys; the record plays' positions in time
        order; all ms_played per key)."""
        if level not in self._levels:
            if self._history is not None:
                self._levels[level] = self._level_from_history(level)
            else:
                codes, keys = pd.factorize(level_keys(self.plays, level))
                codes = np.asarray(codes)
                timed = self.order[codes[self.order] >= 0]
                groups = codes[timed]
                if self._by_content:  # a key's records per content type
                    types = column_codes(self.plays["content_type"])[0]
                    groups = groups * (int(types.max(initial=-1)) + 2) + types[timed] + 1
                records = timed[_records(groups, self.ms[timed])]
                self._levels[level] = (codes, keys, records, _total_ms(codes, self.ms, len(keys)))
        return self._levels[level]

    def _level_from_history(self, level: str) -> tuple[np.ndarray, pd.Index, np.ndarray, np.ndarray]:
        """``level`` of these plays from the history's: the history's codes at these plays, and
        the records among the history's records of these plays' content types (the history's
        keys: a key without plays here has no plays and no records)."""
        history, at, inside = self._history
        codes_all, keys, records_all, _ = history.level(level)
        codes = codes_all[at]
        records_here = records_all[inside[records_all]]
        # their positions here, in time order (these plays are the history's at ``at``, in order)
        candidates = records_here - at.start if isinstance(at, slice) else np.searchsorted(at, records_here)
        records = candidates[_records(codes[candidates], self.ms[candidates])]
        return codes, keys, records, _total_ms(codes, self.ms, len(keys))

    def first(self, level: str, min_ms: int) -> np.ndarray:
        """Per key, the position of its first stream (a play of at least ``min_ms``), -1 if never streamed."""
        codes, keys, records, _ = self.level(level)
        streams = records[self.ms[records] >= min_ms]  # in time order
        firsts = pd.Series(codes[streams]).drop_duplicates().index.to_numpy()
        first = np.full(len(keys), -1, dtype=np.int64)
        first[codes[streams[firsts]]] = streams[firsts]
        return first

    def streams(self, level: str, min_ms: int) -> np.ndarray:
        """Per key, its streams (plays of at least ``min_ms``): kept for the last few rules
        (``_STREAMS_KEPT``), and, as the codes, shared by these plays in every zone (``in_zone``)."""
        with _STREAMS_LOCK:
            kept = self._streams.get((level, min_ms))
        if kept is None:
            codes, keys, _, _ = self.level(level)
            kept = _streams_per_key(codes, self.ms, min_ms, len(keys))
            kept.setflags(write=False)
            with _STREAMS_LOCK:
                self._streams[(level, min_ms)] = kept
                while len(self._streams) > _STREAMS_KEPT:
                    del self._streams[next(iter(self._streams))]  # the oldest
        return kept

    def positions(self, frame: pd.DataFrame) -> slice | np.ndarray:
        """Where the rows of ``frame`` sit in the history (``filters.positions_in``)."""
        positions = positions_in(self.plays.index, frame.index)
        if positions is None:
            raise ValueError("frame must be a row subset of plays_all (same index labels): build both from "
                             "the same explore.load_plays result")
        return positions


# FirstListens.streams: the counts of this many stream rules are kept per history
_STREAMS_KEPT = 8
_STREAMS_LOCK = threading.Lock()


def _records(groups: np.ndarray, ms: np.ndarray) -> np.ndarray:
    """Which plays (in time order, each of a group) are longer than every earlier play of
    their group. Made unique by breaking ties of ms_played towards the earlier play, a record
    is a play equal to its group's running maximum (one cumulative max; no sort)."""
    count = len(groups)
    value = ms.astype(np.int64) * max(count, 1) + np.arange(count - 1, -1, -1)
    return value == pd.Series(value).groupby(groups, sort=False).cummax().to_numpy()


def _total_ms(codes: np.ndarray, ms: np.ndarray, size: int) -> np.ndarray:
    """All ms_played per key (codes -1: no key)."""
    known = codes >= 0
    return np.bincount(codes[known], weights=ms[known], minlength=size)


def _streams_per_key(codes: np.ndarray, ms: np.ndarray, min_ms: int, size: int) -> np.ndarray:
    """Streams (plays of at least ``min_ms``) per key (codes -1: no key)."""
    stream = (codes >= 0) & (ms >= min_ms)
    return np.bincount(codes[stream], minlength=size)


def _listens(plays_all: pd.DataFrame, listens: FirstListens | None) -> FirstListens:
    if listens is None:
        return FirstListens(plays_all)
    if listens.plays is not plays_all and not listens.plays.index.equals(plays_all.index):
        raise ValueError("listens must be built from plays_all")
    return listens


@dataclass(frozen=True, eq=False)
class DiscoveryPart:
    """First listens over some plays, as ``new_per_month_of`` and ``first_listen_timeline_of``
    add them up: every play of one content type (``listens``) and where the date range's plays
    sit among them (``positions``). Content types are disjoint plays: the first listen over
    several is the earliest of theirs, so each is kept once and a new content choice combines
    them instead of reading every play of the chosen contents again."""

    listens: FirstListens
    positions: slice | np.ndarray


def discovery_part(plays_all: pd.DataFrame, frame: pd.DataFrame, listens: FirstListens | None = None) -> DiscoveryPart:
    """``plays_all`` (every play of some content, localised) with ``frame``, its date range
    (a row subset with the same index labels); ``listens``: ``FirstListens(plays_all)``, when
    the caller keeps one."""
    listens = _listens(plays_all, listens)
    return DiscoveryPart(listens, listens.positions(frame))


@dataclass(frozen=True, eq=False)
class _Firsts:
    """Each key's first stream over several parts: the keys of them all, each part's plays'
    codes among them (-1: none), and per key the part and position of its first stream (-1:
    never streamed)."""

    keys: pd.Index
    codes: list[np.ndarray]
    part: np.ndarray
    row: np.ndarray


def _firsts(parts: list[DiscoveryPart], level: str, min_ms: int) -> _Firsts:
    """The earliest of the parts' first streams per key: by start, then (plays of one history
    numbered in its order) by index label, as one frame of all their plays would order them."""
    keys, codes = common_codes([part.listens.level(level)[:2] for part in parts])
    if len(parts) == 1:
        first = parts[0].listens.first(level, min_ms)
        return _Firsts(keys, codes, np.where(first >= 0, 0, -1), first)
    firsts = [part.listens.first(level, min_ms) for part in parts]
    rows = [first[first >= 0] for first in firsts]
    which = np.concatenate([np.full(len(its), i) for i, its in enumerate(rows)])
    key = np.concatenate([its_codes[its] for its_codes, its in zip(codes, rows)])
    start = np.concatenate([part.listens.start_us[its] for part, its in zip(parts, rows)])
    rows = np.concatenate(rows)
    # per key, its earliest first stream over the parts (ties: in one frame's order of them all)
    best = np.lexsort((play_order([part.listens.plays for part in parts], which, rows), start, key))
    best = best[np.r_[True, key[best][1:] != key[best][:-1]]] if len(best) else best
    part, row = np.full(len(keys), -1, dtype=np.int64), np.full(len(keys), -1, dtype=np.int64)
    part[key[best]], row[key[best]] = which[best], rows[best]
    return _Firsts(keys, codes, part, row)


def _common_months(parts: list[DiscoveryPart]) -> tuple[np.ndarray, list[np.ndarray]]:
    """The local months of all parts (their starts, in order) and each part's plays' month
    among them."""
    if len(parts) == 1:
        return parts[0].listens.months, [parts[0].listens.month_codes]
    months = np.unique(np.concatenate([part.listens.months for part in parts]))
    return months, [np.searchsorted(months, part.listens.months)[part.listens.month_codes] for part in parts]


def _in_frame(part: DiscoveryPart) -> np.ndarray:
    inside = np.zeros(len(part.listens.ms), dtype=bool)
    inside[part.positions] = True
    return inside


def _first_table(parts: list[DiscoveryPart], level: str, min_ms: int) -> pd.DataFrame:
    """One row per streamed artist/track with its first listen's ``part`` and position ``row``
    there, in discovery order (ties: as one frame of all the parts' plays orders them)."""
    firsts = _firsts(parts, level, min_ms)
    size = len(firsts.keys)
    streams, total_ms = np.zeros(size, dtype=np.int64), np.zeros(size)
    for part, codes in zip(parts, firsts.codes):
        _, its_keys, _, its_total = part.listens.level(level)
        # each part's streams and time per key, kept by its listens when they number the keys alike
        if its_keys is firsts.keys:
            streams += part.listens.streams(level, min_ms)
            total_ms += its_total
        else:
            streams += _streams_per_key(codes, part.listens.ms, min_ms, size)
            total_ms += _total_ms(codes, part.listens.ms, size)
    streamed = np.flatnonzero(firsts.part >= 0)
    which, rows = firsts.part[streamed], firsts.row[streamed]
    artist, track = np.empty(len(rows), dtype=object), np.empty(len(rows), dtype=object)
    first_listen = np.empty(len(rows), dtype="datetime64[us]")
    frames = [part.listens.plays for part in parts]
    for here, plays in rows_of(frames, which, rows):
        artist[here] = creator_names(plays).astype("str").to_numpy()
        if level == "track":
            track[here] = item_names(plays).astype("str").to_numpy()
        first_listen[here] = local_wall(plays)
    # ties: the position in the one part, else in one frame's order of them all
    order = play_order(frames, which, rows) if len(parts) > 1 else rows
    table = {"artist": artist}
    if level == "track":
        table = {"track": track, **table}
    table |= {
        "first_listen": first_listen,
        "streams": streams[streamed],
        "hours": total_ms[streamed] / MS_PER_HOUR,
        "part": which,
        "row": rows,
        "order": order,
    }
    out = pd.DataFrame(table)
    return out.sort_values(["first_listen", "order"], kind="stable").drop(columns="order").reset_index(drop=True)


def first_listens(plays_all: pd.DataFrame, level: str = "artist", min_ms: int = DEFAULT_MIN_MS,
                  listens: FirstListens | None = None) -> pd.DataFrame:
    """Every artist (or track) ever streamed, in order of discovery, over the whole history.

    Columns: [``track``,] ``artist``, ``first_listen`` (local wall clock), ``streams`` (all
    streams ever, which all come at or after the first listen) and ``hours`` (all plays).
    """
    part = DiscoveryPart(_listens(plays_all, listens), slice(0, 0))
    return _first_table([part], level, min_ms).drop(columns=["part", "row"])


def new_per_month(plays_all: pd.DataFrame, frame: pd.DataFrame, min_ms: int = DEFAULT_MIN_MS,
                  listens: FirstListens | None = None) -> pd.DataFrame:
    """Per local month of ``frame``: new artists, new tracks, and the share of listening that was new.

    A discovery is counted in the month of its first listen over the whole history, and
    only if that first listen is in ``frame`` (so the date range on screen is honoured
    exactly). ``share_of_listening_new`` = hours that month on tracks first heard that same
    month / hours that month (all plays of ``frame``). Months without plays in ``frame``
    are left out. ``listens``: ``FirstListens(plays_all)``, when the caller keeps one.

    Columns: ``month``, ``new_artists``, ``new_tracks``, ``hours``, ``new_hours``,
    ``share_of_listening_new``.
    """
    return new_per_month_of([discovery_part(plays_all, frame, listens)], min_ms)


def new_per_month_of(parts: list[DiscoveryPart], min_ms: int = DEFAULT_MIN_MS) -> pd.DataFrame:
    """``new_per_month`` of all the parts' plays together (``discovery_part`` of each content type)."""
    months, month = _common_months(parts)
    size = len(months)
    inside = [_in_frame(part) for part in parts]
    counts, track_firsts = {}, None
    for column, level in (("new_artists", "artist"), ("new_tracks", "track")):
        firsts = _firsts(parts, level, min_ms)
        counts[column] = np.zeros(size, dtype=np.int64)
        for i in range(len(parts)):
            rows = firsts.row[firsts.part == i]
            counts[column] += np.bincount(month[i][rows[inside[i][rows]]], minlength=size)
        track_firsts = firsts
    # each track's first month, -1 when never streamed and (the last entry) for plays without a track
    first_month = np.full(len(track_firsts.keys) + 1, -1, dtype=np.int64)
    for i in range(len(parts)):
        found = np.flatnonzero(track_firsts.part == i)
        first_month[found] = month[i][track_firsts.row[found]]
    # hours on tracks whose first listen falls in the month being played, per month of the
    # frame (in time order), on the months' numbers rather than a groupby; BLOCK_ROWS plays at
    # a time, so that no array the size of the plays is made
    plays, ms, new_ms = (np.zeros(size, dtype=np.int64) for _ in range(3))
    for i, part in enumerate(parts):
        for block in position_blocks(part.positions, len(part.listens.ms)):
            its_month, its_ms = month[i][block], part.listens.ms[block]
            is_new = first_month[track_firsts.codes[i][block]] == its_month
            plays += np.bincount(its_month, minlength=size)
            ms += np.bincount(its_month, weights=its_ms, minlength=size).astype("int64")
            new_ms += np.bincount(its_month[is_new], weights=its_ms[is_new], minlength=size).astype("int64")
    present = np.flatnonzero(plays)
    ms, new_ms = ms[present], new_ms[present]
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(ms > 0, new_ms / ms, np.nan)
    return pd.DataFrame({"month": months[present], "new_artists": counts["new_artists"][present],
                         "new_tracks": counts["new_tracks"][present], "hours": ms / MS_PER_HOUR,
                         "new_hours": new_ms / MS_PER_HOUR, "share_of_listening_new": share})


def first_listen_timeline(plays_all: pd.DataFrame, frame: pd.DataFrame, min_ms: int = DEFAULT_MIN_MS,
                          listens: FirstListens | None = None) -> pd.DataFrame:
    """The artists first heard within ``frame``, in order of discovery.

    Columns: ``artist``, ``first_listen`` (local wall clock), ``streams`` and ``hours`` since
    (over the whole history, not only the date range: "how far did this discovery go").
    ``listens``: ``FirstListens(plays_all)``, when the caller keeps one.
    """
    return first_listen_timeline_of([discovery_part(plays_all, frame, listens)], min_ms)


def first_listen_timeline_of(parts: list[DiscoveryPart], min_ms: int = DEFAULT_MIN_MS) -> pd.DataFrame:
    """``first_listen_timeline`` of all the parts' plays together (``discovery_part`` of each content type)."""
    table = _first_table(parts, "artist", min_ms)
    inside = np.zeros(len(table), dtype=bool)
    for i, part in enumerate(parts):
        here = np.flatnonzero(table["part"].to_numpy() == i)
        inside[here] = _in_frame(part)[table["row"].to_numpy()[here]]
    return table[inside].drop(columns=["part", "row"]).reset_index(drop=True)
