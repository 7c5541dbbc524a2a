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

import numpy as np
import pandas as pd

from core.base import MS_PER_HOUR
from core.explore.filters import positions_in
from core.explore.periods import local_wall, period_codes
from core.history.frame import (
    DEFAULT_MIN_MS,
    column_codes,
    creator_names,
    epoch_us,
    item_names,
    level_keys,
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
        starts = epoch_us(plays_all["start"])
        # explore.load_plays returns plays in start order; sort only when given something else
        self.in_order = bool(np.all(starts[1:] >= starts[:-1]))
        self.order = np.arange(len(starts)) if self.in_order else np.argsort(starts, kind="stable")
        self._months: tuple[np.ndarray, np.ndarray] | None = None
        self._levels: dict[str, tuple[np.ndarray, pd.Index, np.ndarray, np.ndarray]] = {}
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
            self._months = period_codes(local_wall(self.plays), "month")
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

    def positions(self, frame: pd.DataFrame) -> slice | np.ndarray:
        """Where the rows of ``frame`` sit in the history (``filters.positions_in``)."""
        positions = positions_in(self.plays.index, frame.index)
        if positions is None:
            raise ValueError("frame must be a row subset of plays_all (same index labels): build both from "
                             "the same explore.load_plays result")
        return positions


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


def _listens(plays_all: pd.DataFrame, listens: FirstListens | None) -> FirstListens:
    if listens is None:
        return FirstListens(plays_all)
    if listens.plays is not plays_all and not listens.plays.index.equals(plays_all.index):
        raise ValueError("listens must be built from plays_all")
    return listens


def _first_table(listens: FirstListens, level: str, min_ms: int) -> pd.DataFrame:
    """One row per streamed artist/track with its first listen's position ``row``, in discovery order."""
    codes, _, _, total_ms = listens.level(level)
    first = listens.first(level, min_ms)
    stream = (codes >= 0) & (listens.ms >= min_ms)
    streams = np.bincount(codes[stream], minlength=len(first))
    streamed = np.flatnonzero(first >= 0)
    rows = first[streamed]
    firsts = listens.plays.iloc[rows]
    table = {"artist": creator_names(firsts).astype("str").to_numpy()}
    if level == "track":
        table = {"track": item_names(firsts).astype("str").to_numpy(), **table}
    table |= {
        "first_listen": local_wall(firsts),
        "streams": streams[streamed].astype("int64"),
        "hours": total_ms[streamed] / MS_PER_HOUR,
        "row": rows,
    }
    out = pd.DataFrame(table)
    return out.sort_values(["first_listen", "row"], kind="stable").reset_index(drop=True)


def first_listens(plays_all: pd.DataFrame, level: str = "artist", min_ms: int = DEFAULT_MIN_MS,
                  listens: FirstListens | None = None) -> pd.DataFrame:
    """Every artist (or track) ever streamed, in order of discovery, over the whole history.

    Columns: [``track``,] ``artist``, ``first_listen`` (local wall clock), ``streams`` (all
    streams ever, which all come at or after the first listen) and ``hours`` (all plays).
    """
    return _first_table(_listens(plays_all, listens), level, min_ms).drop(columns="row")


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
    listens = _listens(plays_all, listens)
    positions = listens.positions(frame)
    month, size = listens.month_codes, len(listens.months)
    in_frame = np.zeros(len(month), dtype=bool)
    in_frame[positions] = True
    counts, firsts = {}, {}
    for column, level in (("new_artists", "artist"), ("new_tracks", "track")):
        first = firsts[level] = listens.first(level, min_ms)
        rows = first[first >= 0]
        counts[column] = np.bincount(month[rows[in_frame[rows]]], minlength=size)
    # hours on tracks whose first listen falls in the month being played
    track_codes = listens.level("track")[0]
    track_first = firsts["track"]
    # each track's first month, -1 when never streamed and (the last entry) for plays without a track
    first_month = np.append(np.where(track_first >= 0, month[np.maximum(track_first, 0)], -1), -1)
    frame_month = month[positions]
    frame_ms = listens.ms[positions]
    is_new = first_month[track_codes[positions]] == frame_month

    # per month of the frame (in time order), on the months' numbers rather than a groupby
    present = np.flatnonzero(np.bincount(frame_month, minlength=size))
    out = pd.DataFrame({"ms": np.bincount(frame_month, weights=frame_ms, minlength=size).astype("int64")[present],
                        "new_ms": np.bincount(frame_month[is_new], weights=frame_ms[is_new],
                                              minlength=size).astype("int64")[present],
                        "new_artists": counts["new_artists"][present].astype("int64"),
                        "new_tracks": counts["new_tracks"][present].astype("int64")},
                       index=pd.Index(listens.months[present], name="month"))
    out["hours"] = out["ms"] / MS_PER_HOUR
    out["new_hours"] = out["new_ms"] / MS_PER_HOUR
    out["share_of_listening_new"] = (out["new_ms"] / out["ms"]).where(out["ms"] > 0)
    return out.reset_index()[["month", "new_artists", "new_tracks", "hours", "new_hours", "share_of_listening_new"]]


def first_listen_timeline(plays_all: pd.DataFrame, frame: pd.DataFrame, min_ms: int = DEFAULT_MIN_MS,
                          listens: FirstListens | None = None) -> pd.DataFrame:
    """The artists first heard within ``frame``, in order of discovery.

    Columns: ``artist``, ``first_listen`` (local wall clock), ``streams`` and ``hours`` since
    (over the whole history, not only the date range: "how far did this discovery go").
    ``listens``: ``FirstListens(plays_all)``, when the caller keeps one.
    """
    listens = _listens(plays_all, listens)
    positions = listens.positions(frame)
    table = _first_table(listens, "artist", min_ms)
    in_frame = np.zeros(len(listens.ms), dtype=bool)
    in_frame[positions] = True
    return table[in_frame[table["row"].to_numpy()]].drop(columns="row").reset_index(drop=True)
