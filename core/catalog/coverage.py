"""How much of a history the catalogs cover, and the matches a person can review."""
from __future__ import annotations

import pandas as pd
from sqlite_utils import Database

from core import store
from core.catalog import matching
from core.catalog.files import FEATURES


def feature_matches(db: Database, profile: str) -> pd.DataFrame:
    """``track_key, method, source`` of the profile's matched tracks that have audio features."""
    rows = pd.DataFrame(store.matched_features(db, profile))
    if rows.empty:
        return pd.DataFrame({"track_key": pd.Series(dtype=object), "method": pd.Series(dtype=object),
                             "source": pd.Series(dtype=object)})
    has = rows[list(FEATURES)].notna().any(axis=1)
    return rows.loc[has, ["track_key", "method", "source"]].reset_index(drop=True)


def history_coverage(plays: pd.DataFrame, matches: pd.DataFrame) -> dict:
    """Coverage of a profile's music listening by tracks with features (``matching.feature_coverage``).

    ``plays``: the Explore frame (``start`` in UTC, ``content_type``, ``track_key``,
    ``ms_played``, names); years are UTC calendar years of the play's start.
    """
    music = plays[plays["content_type"].astype(object) == "music"]
    frame = pd.DataFrame({"track_key": music["track_key"].astype(object).to_numpy(),
                          "ms_played": music["ms_played"].to_numpy(dtype="int64"),
                          "year": music["start"].dt.year.to_numpy(),
                          "artist_name": music["artist_name"].astype(object).to_numpy(),
                          "track_name": music["track_name"].astype(object).to_numpy()})
    result = matching.feature_coverage(frame, matches)
    result["missing"] = matching.missing_top(frame, matches, n=25)
    return result


def match_review(db: Database, profile: str, plays: pd.DataFrame) -> pd.DataFrame:
    """The profile's name matches side by side: what the history says and what the catalog says.

    Columns ``track_key, history_artist, history_title, catalog_artist, catalog_title,
    catalog_album, catalog_track_id, source, undone, plays``; most played first.
    """
    rows = pd.DataFrame(store.name_matches(db, profile))
    columns = ["track_key", "history_artist", "history_title", "catalog_artist", "catalog_title", "catalog_album",
               "catalog_track_id", "source", "undone", "plays"]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    music = plays[plays["content_type"].astype(object) == "music"]
    names = pd.DataFrame({"track_key": music["track_key"].astype(object).to_numpy(),
                          "history_artist": music["artist_name"].astype(object).to_numpy(),
                          "history_title": music["track_name"].astype(object).to_numpy()})
    seen = names.groupby("track_key", sort=False).agg(
        history_artist=("history_artist", "first"), history_title=("history_title", "first"),
        plays=("history_title", "size"))
    out = rows.merge(seen, left_on="track_key", right_index=True, how="left")
    out["plays"] = out["plays"].fillna(0).astype("int64")
    out["undone"] = out["undone"].astype(bool)
    out = out.sort_values(["plays", "track_key"], ascending=[False, True], kind="stable")
    return out[columns].reset_index(drop=True)
