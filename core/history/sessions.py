"""Listening sessions: plays separated by at most a gap of silence (30 minutes by default).

Split on real elapsed time (UTC), so a DST change or midnight does not cut or merge a
session. Explore's Habits page shows them; the taste model learns from them (a session is
a coherent set of songs, the part a playlist plays in the Million Playlist Dataset).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp


def _utc_wall(times: pd.Series) -> np.ndarray:
    """A tz-aware column as naive UTC datetime64[us] (numpy, fast to compare)."""
    return times.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy().astype("datetime64[us]")


def split_sessions(frame: pd.DataFrame, gap_minutes: float = 30) -> pd.Series:
    """A session id (0, 1, … in time order) for every play, aligned with ``frame``'s index.

    A new session starts when the time from the latest end of the plays before it to a
    play's start is *more* than ``gap_minutes``: exactly ``gap_minutes`` of silence keeps
    the session going. Overlapping plays (two devices) stay in one session. Measured on
    UTC times, so midnight and DST changes do not matter.
    """
    if frame.empty:
        return pd.Series(np.zeros(0, dtype="int64"), index=frame.index, name="session")
    start = _utc_wall(frame["start"])
    end = _utc_wall(frame["end"])
    # plays usually come in start order (explore.load_plays): sort only when they do not
    order = np.arange(len(start)) if np.all(start[1:] >= start[:-1]) else np.argsort(start, kind="stable")
    ids = np.empty(len(frame), dtype="int64")
    ids[order] = np.cumsum(session_starts(start[order], end[order], gap_minutes)) - 1
    return pd.Series(ids, index=frame.index, name="session")


def session_starts(start: np.ndarray, end: np.ndarray, gap_minutes: float = 30) -> np.ndarray:
    """True for each play that starts a session (``split_sessions``' rule), given the plays'
    UTC start and end times (``datetime64[us]``) in order of start."""
    new = np.empty(len(start), dtype=bool)
    if len(start):
        latest_end = np.maximum.accumulate(end)
        new[0] = True
        np.greater(start[1:] - latest_end[:-1], np.timedelta64(int(round(gap_minutes * 60_000_000)), "us"),
                   out=new[1:])
    return new


def neighbour_counts(frame: pd.DataFrame, codes: np.ndarray, size: int, reach: int = 2) -> sp.csr_matrix:
    """How often two things (songs, artists: ``codes`` per play, -1 for none, ``size`` of
    them) were played near each other: within ``reach`` plays of one another in the same
    session, counted both ways (a symmetric ``size`` x ``size`` matrix, nothing on the diagonal).

    Adjacent plays, not whole sessions: a session of 60 songs would pair 1,770 of them and
    a long history would pair everything with everything; what a person plays one after
    the other is what they hear as going together.
    """
    if frame.empty or size == 0:
        return sp.csr_matrix((size, size), dtype="float32")
    order = np.argsort(_utc_wall(frame["start"]), kind="stable")
    session = split_sessions(frame).to_numpy()[order]
    code = np.asarray(codes)[order]
    rows, cols = [], []
    for step in range(1, reach + 1):
        a, b = code[:-step], code[step:]
        keep = (session[:-step] == session[step:]) & (a >= 0) & (b >= 0) & (a != b)
        rows += [a[keep], b[keep]]
        cols += [b[keep], a[keep]]
    row, col = np.concatenate(rows), np.concatenate(cols)
    matrix = sp.csr_matrix((np.ones(len(row), dtype="float32"), (row, col)), shape=(size, size))
    matrix.sum_duplicates()
    return matrix
