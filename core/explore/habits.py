"""HABITSDOC"""
from __future__ import annotations

import numpy as np
import pandas as pd

from core.base import MS_PER_HOUR
from core.explore.periods import local_wall, period_codes
from core.history.frame import creator_names
from core.history.sessions import _utc_wall, split_sessions

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


def sessions(frame: pd.DataFrame, gap_minutes: float = 30) -> pd.DataFrame:
    """One row per listening session (see ``split_sessions``).

    Columns: ``session``, ``start`` and ``end`` (local, tz-aware), ``minutes`` (elapsed from
    the first start to the last end), ``plays``, ``streams``, ``top_artist`` (the artist —
    or show — with the most listening time in the session, ties by name; missing if no
    play names one). Text columns use pandas' default ``str`` dtype.
    """
    ids = split_sessions(frame, gap_minutes)
    columns = ["session", "start", "end", "minutes", "plays", "streams", "top_artist"]
    if frame.empty:
        return pd.DataFrame({"session": pd.Series(dtype="int64"), "start": frame["local"], "end": frame["local"],
                             "minutes": pd.Series(dtype="float64"), "plays": pd.Series(dtype="int64"),
                             "streams": pd.Series(dtype="int64"), "top_artist": pd.Series(dtype="str")})[columns]
    ids_np = ids.to_numpy()
    count = int(ids_np.max()) + 1
    # sorted by session id, each session is one contiguous run of rows: reduce each run
    order = np.argsort(ids_np, kind="stable")
    bounds = np.flatnonzero(np.r_[True, np.diff(ids_np[order]) != 0])
    start = np.minimum.reduceat(_utc_wall(frame["start"])[order], bounds)
    end = np.maximum.reduceat(_utc_wall(frame["end"])[order], bounds)
    tz = frame["local"].dt.tz
    out = pd.DataFrame({
        "session": np.arange(count, dtype="int64"),
        "start": pd.Series(start).dt.tz_localize("UTC").dt.tz_convert(tz),
        "end": pd.Series(end).dt.tz_localize("UTC").dt.tz_convert(tz),
        "minutes": (end - start) / np.timedelta64(60_000_000, "us"),
        "plays": np.bincount(ids_np, minlength=count).astype("int64"),
        "streams": np.bincount(ids_np, weights=frame["is_stream"].to_numpy(), minlength=count).astype("int64"),
    })
    out["top_artist"] = _top_artists(ids_np, creator_names(frame), frame["ms_played"].to_numpy(), count)
    return out[columns]



def session_streams(frame: pd.DataFrame, gap_minutes: float = 30) -> np.ndarray:
    """The ``streams`` column of ``sessions(frame, gap_minutes)`` alone: what a new stream
    rule changes in that table."""
    ids = split_sessions(frame, gap_minutes).to_numpy()
    count = int(ids.max()) + 1 if len(ids) else 0
    return np.bincount(ids, weights=frame["is_stream"].to_numpy(), minlength=count).astype("int64")

def _top_artists(ids: np.ndarray, names: pd.Series, ms: np.ndarray, count: int) -> pd.Series:
    """Per session 0..count-1, the name with the most ms_played (ties: alphabetically first)."""
    codes, uniques = pd.factorize(names)
    known = codes >= 0
    alphabetical = np.sort(np.asarray(uniques, dtype=object))
    rank = np.empty(len(uniques), dtype=np.int64)
    rank[np.argsort(np.asarray(uniques, dtype=object), kind="stable")] = np.arange(len(uniques))
    width = max(len(uniques), 1)
    # one number per (session, name); hashed, not sorted (a sort of a million pairs was
    # most of the time): numbered in order of first appearance
    inverse, pairs = pd.factorize(ids[known].astype(np.int64) * width + rank[codes[known]])
    total = np.bincount(inverse, weights=ms[known]).astype(np.int64)  # whole milliseconds
    session, name_rank = pairs // width, pairs % width
    top = np.full(count, None, dtype=object)
    if len(pairs) == 0:
        return pd.Series(top, dtype="str")
    if np.all(session[1:] >= session[:-1]) and int(total.max()) < (2 ** 62) // width:
        # plays in session order (sessions are numbered in time order): each session's pairs
        # are one run; the largest (time, then earliest name) per run is the answer
        bounds = np.flatnonzero(np.r_[True, session[1:] != session[:-1]])
        best = np.maximum.reduceat(total * width + (width - 1 - name_rank), bounds)
        top[session[bounds]] = alphabetical[width - 1 - best % width]
    else:
        best = np.lexsort((name_rank, -total, session))  # per session: most time, then first name
        best = best[np.r_[True, session[best][1:] != session[best][:-1]]]
        top[session[best]] = alphabetical[name_rank[best]]
    return pd.Series(top, dtype="str")


def longest_sessions(table: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """The ``n`` longest rows of a ``sessions`` table, longest first (ties: earliest first)."""
    longest = table.sort_values(["minutes", "start"], ascending=[False, True], kind="stable")
    return longest.head(n).reset_index(drop=True)


def _rate(part: pd.Series, whole: pd.Series) -> pd.Series:
    """part / whole as float, NaN where whole is 0."""
    return (part / whole.where(whole > 0)).astype("float64")


_BASIS_COLUMNS = {basis: f"by_{basis}" for basis in ("reason", "flag", "length")}


def _basis_codes(frame: pd.DataFrame) -> np.ndarray:
    """Per play, which signal decided its skip: the position in ``_BASIS_COLUMNS`` (-1 unknown)."""
    basis = frame["skip_basis"]
    if isinstance(basis.dtype, pd.CategoricalDtype) and list(basis.cat.categories) == list(_BASIS_COLUMNS):
        return basis.cat.codes.to_numpy()  # the frame's own codes: no pass over 1M strings
    return pd.Categorical(basis, categories=list(_BASIS_COLUMNS)).codes


def _skip_parts(frame: pd.DataFrame, period: str) -> pd.DataFrame:
    """Per local period (in time order): plays, skipped, and how many plays each signal decided."""
    codes, starts = period_codes(local_wall(frame), period)
    n, width = len(starts), len(_BASIS_COLUMNS)
    basis = _basis_codes(frame)
    known = basis >= 0
    # integer counts only (a weighted bincount converts a million weights each time)
    by_basis = np.bincount(codes[known] * width + basis[known], minlength=n * width).reshape(n, width)
    parts = {"period_start": starts, "plays": np.bincount(codes, minlength=n),
             "skipped": np.bincount(codes[frame["skip"].to_numpy(dtype=bool)], minlength=n)}
    for number, column in enumerate(_BASIS_COLUMNS.values()):
        parts[column] = by_basis[:, number]
    return pd.DataFrame(parts)


def skip_rate_over_time(frame: pd.DataFrame, period: str = "month") -> pd.DataFrame:
    """Skip rate per local period, by the one skip rule (``core.history.skips``).

    Columns: ``period_start`` (local, naive), ``plays``, ``skipped``, ``skip_rate`` and how
    many plays each signal decided: ``by_reason`` (why the play ended), ``by_flag``
    (Spotify's skipped flag) and ``by_length`` (a short play; account exports). Periods
    without plays are left out.
    """
    out = _skip_parts(frame, period)
    out["skip_rate"] = _rate(out["skipped"], out["plays"])
    return out[["period_start", "plays", "skipped", "skip_rate", *_BASIS_COLUMNS.values()]]


def skip_rules_by_year(frame: pd.DataFrame) -> pd.DataFrame:
    """Which signal decided the skips of each local year, and how many plays it covers.

    Columns ``year``, ``plays``, ``skipped``, ``skip_rate``, ``by_reason``, ``by_flag``,
    ``by_length`` and ``rule`` (the signal that decided most of that year's plays).
    """
    out = skip_rate_over_time(frame, "year")
    out.insert(0, "year", pd.to_datetime(out.pop("period_start")).dt.year.astype("int64"))
    counts = out[list(_BASIS_COLUMNS.values())].to_numpy()
    names = np.array(list(_BASIS_COLUMNS), dtype=object)
    out["rule"] = pd.Series(names[counts.argmax(axis=1)] if len(out) else [], dtype="str")
    return out


def skip_summary(frame: pd.DataFrame) -> dict:
    """Skips over the whole frame: ``plays``, ``skipped``, ``skip_rate`` (None without plays)
    and how many plays each signal decided (``by_reason``, ``by_flag``, ``by_length``)."""
    plays = len(frame)
    skipped = int(frame["skip"].sum())
    counts = np.bincount(_basis_codes(frame) + 1, minlength=len(_BASIS_COLUMNS) + 1)[1:]  # +1: unknown (-1) first
    return {"plays": plays, "skipped": skipped, "skip_rate": skipped / plays if plays else None,
            **{column: int(count) for column, count in zip(_BASIS_COLUMNS.values(), counts)}}


def reasons(frame: pd.DataFrame, which: str = "start") -> pd.DataFrame:
    """Why plays started (``which="start"``) or ended, over the plays whose export records it.

    Columns: ``reason`` (Spotify's code), ``meaning`` (plain words), ``plays``, ``share``
    (of plays with a known reason). Most plays first, ties by code.
    """
    if which not in REASON_MEANINGS:
        raise ValueError(f"which must be 'start' or 'end', not {which!r}")
    counts = frame[f"reason_{which}"].value_counts(dropna=True)
    out = pd.DataFrame({"reason": counts.index.astype("str"), "plays": counts.to_numpy(dtype="int64")})
    out = out[out["plays"] > 0].sort_values(["plays", "reason"], ascending=[False, True], kind="stable")
    out.insert(1, "meaning", out["reason"].map(lambda code: REASON_MEANINGS[which].get(code, code)).astype("str"))
    out["share"] = (out["plays"] / out["plays"].sum()).astype("float64") if len(out) else pd.Series(dtype="float64")
    return out.reset_index(drop=True)


def has_details(frame: pd.DataFrame) -> pd.Series:
    """True for plays from an extended export (they carry a platform, country or reason).

    The account-data export carries none of these, nor a shuffle, offline or incognito flag.
    """
    return (frame["platform_family"].notna() | frame["conn_country"].notna()
            | frame["reason_start"].notna() | frame["reason_end"].notna())


def coverage(frame: pd.DataFrame, column: str) -> float:
    """Share of plays that know ``column`` (for a flag column: that come with details); 0 if empty."""
    if frame.empty:
        return 0.0
    known = has_details(frame) if column in ("shuffle", "offline", "incognito") else frame[column].notna()
    return float(known.mean())


def shuffle_share(frame: pd.DataFrame, period: str = "month") -> pd.DataFrame:
    """Share of plays started in shuffle mode per local period, over plays with details.

    Columns: ``period_start``, ``plays`` (with details), ``shuffled``, ``shuffle_share``.
    Periods with no detailed plays are left out.
    """
    detailed = has_details(frame).to_numpy()
    codes, starts = period_codes(local_wall(frame)[detailed], period)
    plays = np.bincount(codes, minlength=len(starts))
    shuffled = np.bincount(codes[frame["shuffle"].to_numpy(dtype=bool)[detailed]], minlength=len(starts))
    out = pd.DataFrame({"period_start": starts, "plays": plays.astype("int64"), "shuffled": shuffled.astype("int64")})
    out["shuffle_share"] = _rate(out["shuffled"], out["plays"])
    return out


def _hours_by(frame: pd.DataFrame, column: str, label: str) -> pd.DataFrame:
    """Listening time and plays per known value of ``column``, most hours first, share of known hours."""
    codes, values = pd.factorize(frame[column])  # NaN -> -1: unknown values are left out
    known = codes >= 0
    ms = np.bincount(codes[known], weights=frame["ms_played"].to_numpy()[known], minlength=len(values))
    out = pd.DataFrame({label: pd.Series(np.asarray(values, dtype=object), dtype="str"), "ms": ms,
                        "plays": np.bincount(codes[known], minlength=len(values)).astype("int64")})
    out["hours"] = out["ms"] / MS_PER_HOUR
    out["share"] = _rate(out["ms"], pd.Series(out["ms"].sum(), index=out.index))
    out = out.sort_values(["hours", label], ascending=[False, True], kind="stable").reset_index(drop=True)
    return out[[label, "hours", "plays", "share"]]


def platforms(frame: pd.DataFrame) -> pd.DataFrame:
    """Listening time per device family (android, ios, desktop, web, cast, other).

    Columns: ``platform_family``, ``hours``, ``plays``, ``share`` (of hours whose platform is known).
    """
    return _hours_by(frame, "platform_family", "platform_family")


def countries(frame: pd.DataFrame) -> pd.DataFrame:
    """Listening time per country of the connection (``conn_country``).

    Columns: ``country`` (the code; Spotify's ``ZZ`` reads "unknown (ZZ)"), ``hours``,
    ``plays``, ``share`` (of hours whose country field is filled, ``ZZ`` included).
    """
    out = _hours_by(frame, "conn_country", "country")
    out["country"] = out["country"].replace(UNKNOWN_COUNTRY, UNKNOWN_COUNTRY_LABEL)
    return out


def offline_incognito(frame: pd.DataFrame) -> pd.DataFrame:
    """How much listening was offline and how much in a private session, over plays with details.

    One row per ``mode`` (offline, incognito): ``plays``, ``hours``, ``share_of_plays``,
    ``share_of_time`` (NaN when no play has details).
    """
    detailed = frame.loc[has_details(frame), ["ms_played", "offline", "incognito"]]  # not a copy of every column
    ms = detailed["ms_played"].to_numpy()
    total_ms = ms.sum()
    rows = []
    for mode in ("offline", "incognito"):
        flag = detailed[mode].to_numpy(dtype=bool)
        rows.append({"mode": mode, "plays": int(flag.sum()), "hours": ms[flag].sum() / MS_PER_HOUR,
                     "share_of_plays": flag.sum() / len(detailed) if len(detailed) else np.nan,
                     "share_of_time": ms[flag].sum() / total_ms if total_ms else np.nan})
    return pd.DataFrame(rows).astype({"plays": "int64", "hours": "float64", "share_of_plays": "float64",
                                      "share_of_time": "float64"})
