"""Plays -> the filtered, time-zoned frame every Explore page works on.

Rules every aggregate shares (documented once, here):
- Times are stored in UTC. A play is placed at the local time (in the chosen IANA time
  zone) when it **started**: end time - ms_played. A play that crosses midnight counts for
  the day it started; across a DST change the local clock is whatever it was at the start.
- The stream rule is a setting, not a filter at import: ``min_ms`` (default 30 s, as
  Spotify and stats.fm count) marks plays as streams; ``min_ms = 0`` counts every play.
  Plays below the threshold stay in the frame (skip rates need them) with ``is_stream``
  False.
- A track is identified by its Spotify id, or by "artist — title" when the export has no
  id (account exports, 2020 exports): ``track_key``.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sqlite_utils import Database

from core import store

CONTENT_TYPES = ("music", "podcast", "audiobook", "video")
DEFAULT_MIN_MS = 30_000

# Most common IANA zone per country code (the zone most of the population lives in).
# Countries with several zones get their most populous one; the person can change it.
COUNTRY_TIMEZONES = {
    "AR": "America/Argentina/Buenos_Aires", "AT": "Europe/Vienna", "AU": "Australia/Sydney",
    "BE": "Europe/Brussels", "BG": "Europe/Sofia", "BR": "America/Sao_Paulo", "CA": "America/Toronto",
    "CH": "Europe/Zurich", "CL": "America/Santiago", "CO": "America/Bogota", "CZ": "Europe/Prague",
    "DE": "Europe/Berlin", "DK": "Europe/Copenhagen", "EE": "Europe/Tallinn", "EG": "Africa/Cairo",
    "ES": "Europe/Madrid", "FI": "Europe/Helsinki", "FR": "Europe/Paris", "GB": "Europe/London",
    "GR": "Europe/Athens", "HK": "Asia/Hong_Kong", "HR": "Europe/Zagreb", "HU": "Europe/Budapest",
    "ID": "Asia/Jakarta", "IE": "Europe/Dublin", "IL": "Asia/Jerusalem", "IN": "Asia/Kolkata",
    "IS": "Atlantic/Reykjavik", "IT": "Europe/Rome", "JP": "Asia/Tokyo", "KR": "Asia/Seoul",
    "LT": "Europe/Vilnius", "LU": "Europe/Luxembourg", "LV": "Europe/Riga", "MA": "Africa/Casablanca",
    "MX": "America/Mexico_City", "MY": "Asia/Kuala_Lumpur", "NG": "Africa/Lagos", "NL": "Europe/Amsterdam",
    "NO": "Europe/Oslo", "NZ": "Pacific/Auckland", "PE": "America/Lima", "PH": "Asia/Manila",
    "PL": "Europe/Warsaw", "PT": "Europe/Lisbon", "RO": "Europe/Bucharest", "RS": "Europe/Belgrade",
    "RU": "Europe/Moscow", "SA": "Asia/Riyadh", "SE": "Europe/Stockholm", "SG": "Asia/Singapore",
    "SI": "Europe/Ljubljana", "SK": "Europe/Bratislava", "TH": "Asia/Bangkok", "TR": "Europe/Istanbul",
    "TW": "Asia/Taipei", "UA": "Europe/Kyiv", "US": "America/New_York", "UY": "America/Montevideo",
    "VN": "Asia/Ho_Chi_Minh", "ZA": "Africa/Johannesburg",
}


def guess_timezone(countries: Iterable[str | None] | pd.Series) -> str:
    """The IANA zone of the most common known country (``conn_country``), else UTC.

    ``ZZ`` (unknown) and countries without an entry are passed over; a tie goes to the
    first country code in alphabetical order. A categorical Series is counted on its codes,
    so a million plays cost milliseconds (the Explore sidebar asks on every rerun).
    """
    series = countries if isinstance(countries, pd.Series) else pd.Series(list(countries), dtype=object)
    known = [(-int(n), code) for code, n in series.value_counts().items() if n and code in COUNTRY_TIMEZONES]
    return COUNTRY_TIMEZONES[min(known)[1]] if known else "UTC"


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


@dataclass(frozen=True)
class Filters:
    """The controls every Explore page shares."""

    start: dt.date | None = None  # local dates, inclusive
    end: dt.date | None = None
    content: tuple[str, ...] = ("music",)
    min_ms: int = DEFAULT_MIN_MS
    tz: str = "UTC"


def localise(plays: pd.DataFrame, tz: str) -> pd.DataFrame:
    """Add ``local`` (the start in the time zone), ``date``, ``hour`` and ``weekday`` (0 = Monday)."""
    local = plays["start"].dt.tz_convert(tz)
    return plays.assign(
        local=local,
        date=local.dt.date,
        hour=local.dt.hour.astype("int8"),
        weekday=local.dt.day_of_week.astype("int8"),
    )


def select_rows(localised: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """Keep the chosen content and local date range of a localised frame (streams unmarked).

    Dates are compared on the local wall clock (a datetime64 column), not on the ``date``
    objects: the same rows, without a Python comparison per play.
    """
    keep = localised["content_type"].isin(filters.content).to_numpy().copy()
    if filters.start is not None or filters.end is not None:
        wall = localised["local"].dt.tz_localize(None)
        if filters.start is not None:
            keep &= (wall >= pd.Timestamp(filters.start)).to_numpy()
        if filters.end is not None:
            keep &= (wall < pd.Timestamp(filters.end) + pd.Timedelta(days=1)).to_numpy()
    return localised[keep]


def mark_streams(frame: pd.DataFrame, min_ms: int) -> pd.DataFrame:
    """Add ``is_stream``: the play lasted at least ``min_ms`` (shares the other columns)."""
    return frame.assign(is_stream=frame["ms_played"].to_numpy() >= min_ms)


def select(localised: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """Keep the chosen content and local date range of a localised frame, and mark streams."""
    return mark_streams(select_rows(localised, filters), filters.min_ms)


def apply_filters(plays: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """Localise, keep the chosen content and local date range, and mark streams."""
    return select(localise(plays, filters.tz), filters)


# --- snapshot: the loaded frame saved next to the store --------------------------------
# Loading a million plays from SQLite takes seconds; reading them back from Parquet takes a
# fraction of one. The snapshot is keyed by the store's data version, so an import makes the
# old one stale, and it is rebuilt on the next load (the Import page does this right after
# an import, so the first Explore visit does not wait).


def snapshot_path(db_path: str | Path, profile: str, version: int) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in profile)
    return Path(f"{db_path}.explore") / f"{safe}-v{version}.parquet"


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
