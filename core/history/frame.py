"""A person's plays as one frame, in UTC: what every capability (Explore, the taste model,
the chat) reads from the store.

Rules every reader shares (documented once, here):
- Times are stored in UTC and a play's ``start`` is its end time - ms_played.
- A **stream** is a play of at least ``DEFAULT_MIN_MS`` (30 s, as Spotify and stats.fm
  count); Explore lets a person choose another threshold, and plays below it stay in the
  frame (skip rates need them).
- A **track** (one recording) is identified by its Spotify id, or by "artist — title" when
  the export has no id (account exports, 2020 exports): ``track_key``.
- Who made a play and what it was: ``creator_names`` (the artist, else the show, else the
  audiobook) and ``item_keys`` / ``item_names`` (the track, else the episode, else the
  audiobook).

A Parquet snapshot of the frame next to the store makes a second load a fraction of a
second instead of seconds; see ``load_plays_snapshot``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sqlite_utils import Database

from core import store
from core.base import file_stem

CONTENT_TYPES = ("music", "podcast", "audiobook", "video")
DEFAULT_MIN_MS = 30_000


def load_plays(db: Database, profile: str) -> pd.DataFrame:
    """A profile's plays as a DataFrame in UTC, one row per play, in order of start time.

    Columns: ``end`` (UTC), ``start`` (UTC), ``ms_played``, the text columns of
    ``store.FRAME_TEXT_COLUMNS`` as categoricals, ``shuffle``/``offline``/``incognito``
    as booleans, ``skipped`` as a nullable boolean (NA where the export does not say), and
    ``track_key``.
    """
    columns = store.play_columns(db, profile)
    end_s = np.asarray(columns["end_s"], dtype="int64")
    ms = np.asarray(columns["ms_played"], dtype="int64")
    start_ms = end_s * 1000 - ms
    frame = {
        "end": pd.to_datetime(end_s, unit="s", utc=True),
        "start": pd.to_datetime(start_ms, unit="ms", utc=True),
        "ms_played": ms,
    }
    for name in store.FRAME_TEXT_COLUMNS:
        codes, uniques = pd.factorize(np.asarray(columns[name], dtype=object))
        frame[name] = pd.Categorical.from_codes(codes, categories=uniques)
    for name in ("shuffle", "offline", "incognito"):
        # None (unknown) reads as False here: these flags only feed shares of known plays
        frame[name] = np.asarray(columns[name], dtype=float) > 0
    skipped = np.asarray(columns["skipped"], dtype=float)  # None -> NaN
    frame["skipped"] = pd.arrays.BooleanArray(skipped > 0, np.isnan(skipped))
    plays = pd.DataFrame(frame)
    plays["track_key"] = track_keys(plays)
    # Stored in end-time order; Explore places plays at their start, so sort by start once
    # here and every "first listen" or session scan can rely on time order.
    # (on the integers: a tz-aware column's to_numpy() is an array of Timestamp objects)
    order = np.argsort(start_ms, kind="stable")
    return plays.iloc[order].reset_index(drop=True)


def track_keys(plays: pd.DataFrame) -> pd.Categorical:
    """Spotify id where known, else 'artist — title' (exports without ids)."""
    by_name = plays["artist_name"].astype(object).fillna("?") + " — " + plays["track_name"].astype(object).fillna("?")
    keys = plays["track_id"].astype(object).where(plays["track_id"].notna(), by_name)
    codes, uniques = pd.factorize(keys.to_numpy(dtype=object))
    return pd.Categorical.from_codes(codes, categories=uniques)


def snapshot_path(db_path: str | Path, profile: str, version: int) -> Path:
    return Path(f"{db_path}.explore") / f"{file_stem(profile)}-v{version}.parquet"


def load_plays_snapshot(db: Database, db_path: str | Path, profile: str) -> pd.DataFrame:
    """``load_plays`` through a Parquet snapshot of the current data version."""
    version = store.data_version(db)
    path = snapshot_path(db_path, profile, version)
    if path.exists():
        plays = pd.read_parquet(path)
        # Parquet drops the categorical dtype of a column that is entirely null
        for name in (*store.FRAME_TEXT_COLUMNS, "track_key"):
            if not isinstance(plays[name].dtype, pd.CategoricalDtype):
                plays[name] = pd.Categorical.from_codes(np.full(len(plays), -1), categories=pd.Index([], dtype=object))
        return plays
    plays = load_plays(db, profile)
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(path.name.rsplit("-v", 1)[0] + "-v*.parquet"):
        stale.unlink(missing_ok=True)
    tmp = path.with_suffix(".tmp")
    plays.to_parquet(tmp, index=False)
    tmp.replace(path)  # atomic: a reader never sees half a file
    return plays


# --- who made a play, and what it was ---------------------------------------------------

LEVELS = ("artist", "track")


def creator_names(frame: pd.DataFrame) -> pd.Series:
    """Who made each play: the artist, else the podcast show, else the audiobook title."""
    names = frame["artist_name"]
    if names.isna().any():
        names = (names.astype(object).fillna(frame["show_name"].astype(object))
                 .fillna(frame["audiobook_title"].astype(object)))
    return names


def item_keys(frame: pd.DataFrame) -> pd.Series:
    """What each play was: ``track_key``, else "episode:show — episode", else "audiobook:title"."""
    known_track = frame["track_id"].notna() | frame["track_name"].notna()
    keys = frame["track_key"].astype(object).where(known_track)
    if frame["episode_name"].notna().any():
        keys = keys.fillna("episode:" + frame["show_name"].astype(object).fillna("?") + " — "
                           + frame["episode_name"].astype(object))
    if frame["audiobook_title"].notna().any():
        keys = keys.fillna("audiobook:" + frame["audiobook_title"].astype(object))
    return keys


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
