"""The chat's candidate pool: every song the listener has played, plus catalog songs with features.

Real tracks only: the person's history and the catalogs. A song is never in the pool
twice, whatever ids it has: the pool is keyed by song (``core.history.songs``). With a trained taste model, each track
carries the model's ``affinity`` and ``liking`` (0..1).
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
from sqlite_utils import Database

from core import history, names, store
from core.chat.requests import FEATURES, TEMPO_SCALE
from core.history.frame import DEFAULT_MIN_MS

POOL_COLUMNS: tuple[str, ...] = (
    "track_key", "track_uri", "track_name", "artist_name", "album_name", "genre", "release_year", "duration_ms",
    *FEATURES, "plays", "known",
)


def build_pool(history: pd.DataFrame, features: pd.DataFrame, catalog: pd.DataFrame) -> pd.DataFrame:
    """The candidate songs: every song of the person's music history, and the catalog's songs
    with features that the history does not hold.

    ``history``: one row per play (``song_key, track_key, track_id, artist_name,
    track_name, album_name, ms_played, content_type``); plays of 30 s or more count as
    plays. ``features``: ``store.matched_features`` of the profile (one row per matched
    recording). ``catalog``: catalog tracks (``track_id, track_name, artist_name,
    album_name, genre, release_year, duration_ms, name_key`` and the features).

    One row per song, keyed by its song key (``core.history.songs``): a history song is
    named by the spelling streamed most, saved to Spotify as the id streamed most, and has
    the features of its most streamed recording that a catalog knows. A catalog song the
    history already holds (same id, or same song by name) is not added again, nor twice
    under two catalog ids. Columns ``POOL_COLUMNS``, tempo on the 0..1 scale, ``known``
    True for songs from the history.
    """
    music = history[(history["content_type"].astype(object) == "music").to_numpy() & history["song_key"].notna().to_numpy()]
    plays = pd.DataFrame({
        "song": music["song_key"].astype(object).to_numpy(),
        "track_key": music["track_key"].astype(object).to_numpy(),
        "track_id": music["track_id"].astype(object).to_numpy(),
        "track_name": music["track_name"].astype(object).to_numpy(),
        "artist_name": music["artist_name"].astype(object).to_numpy(),
        "album_name": music["album_name"].astype(object).to_numpy(),
        "played": (music["ms_played"].to_numpy() >= DEFAULT_MIN_MS).astype("int64"),
    })
    recordings = (plays.groupby(["song", "track_key"], sort=False, dropna=False)
                  .agg(track_id=("track_id", "first"), track_name=("track_name", "first"),
                       artist_name=("artist_name", "first"), album_name=("album_name", "first"),
                       streams=("played", "sum"), rows=("played", "size"))
                  .reset_index().sort_values(["song", "streams", "rows", "track_key"],
                                             ascending=[True, False, False, True], kind="stable"))
    mine = recordings.groupby("song", sort=True).agg(
        track_id=("track_id", "first"), track_name=("track_name", "first"), artist_name=("artist_name", "first"),
        album_name=("album_name", "first"), plays=("streams", "sum")).reset_index()
    # each song's features: those of its most streamed recording a catalog knows
    values = features.drop(columns=[c for c in ("method", "source") if c in features.columns])
    values = values.rename(columns={"catalog_track_id": "catalog_id"})
    keep = ["track_key", "catalog_id", "genre", "release_year", "duration_ms", *FEATURES]
    matched = recordings[["song", "track_key"]].merge(values[[c for c in keep if c in values.columns]], on="track_key")
    matched = matched.drop_duplicates("song").drop(columns="track_key")  # recordings are in stream order
    mine = mine.merge(matched, on="song", how="left").rename(columns={"song": "track_key"})
    mine["known"] = True
    mine["track_uri"] = np.where(mine["track_id"].notna(), "spotify:track:" + mine["track_id"].astype(str),
                                 np.where(mine["catalog_id"].notna(),
                                          "spotify:track:" + mine["catalog_id"].astype(str), None))
    used = set(recordings["track_id"].dropna()) | set(values["catalog_id"].dropna()) if len(values) else \
        set(recordings["track_id"].dropna())
    extra = catalog[~catalog["track_id"].isin(used) & catalog[list(FEATURES)].notna().any(axis=1)].copy()
    names_given = extra["name_key"] if "name_key" in extra.columns else names.catalog_keys(
        extra[["artist_name", "track_name"]].astype(object))
    extra["track_key"] = pd.Series(names_given, index=extra.index, dtype=object).fillna(extra["track_id"])
    # a catalog song the history holds under another id, and a catalog listing one song twice
    extra = extra[~extra["track_key"].isin(set(mine["track_key"]))].drop_duplicates("track_key")
    extra["track_uri"] = "spotify:track:" + extra["track_id"].astype(str)
    extra["plays"] = 0
    extra["known"] = False
    pool = pd.concat([mine[list(POOL_COLUMNS)], extra[list(POOL_COLUMNS)]], ignore_index=True)
    pool["tempo"] = (pool["tempo"].astype(float) / TEMPO_SCALE).clip(0, 1)
    for name in FEATURES:
        pool[name] = pool[name].astype(float)
    pool["release_year"] = pool["release_year"].astype("Float64")
    pool["duration_ms"] = pool["duration_ms"].astype("Float64")
    pool["plays"] = pool["plays"].astype("int64")
    pool["song_key"] = pool["track_key"]
    return prepare_pool(pool)


def prepare_pool(pool: pd.DataFrame) -> pd.DataFrame:
    """Add the folded names the edits compare with (artist, title, genre) and version tags."""
    pool = pool.reset_index(drop=True).copy()
    # each credited artist folded on its own, joined by ", " (the folding drops commas)
    pool["artist_norm"] = [", ".join(p for p in (_norm(x) for x in re.split(r"\s*;\s*|,\s+", a)) if p)
                           if isinstance(a, str) else "" for a in pool["artist_name"].astype(object)]
    # the same as plain Python objects, for the per-track loop of _pick (reading an Arrow
    # string column element by element is slow)
    pool["artist_key"] = pd.Series(pool["artist_norm"].to_numpy(dtype=object), index=pool.index, dtype=object)
    pool["title_norm"] = [_norm(t) for t in pool["track_name"].astype(object)]
    # one song however many ids it has: never twice in a playlist (build_pool keys the pool by
    # song already; a pool made elsewhere gets the song rule's key from its names)
    if "song_key" not in pool.columns:
        songs = names.catalog_keys(pool[["artist_name", "track_name"]].astype(object)) if len(pool) else pd.Series([])
        pool["song_key"] = pd.Series(songs.to_numpy(dtype=object), index=pool.index, dtype=object).where(
            songs.notna().to_numpy(), pool["track_key"].astype(object))
    pool["genre_norm"] = [_norm(g) for g in pool["genre"].astype(object)]
    titles = pool["track_name"].astype(object).fillna("").str.lower()
    pool["is_remix"] = titles.str.contains(r"\bremix\b|\bmix\)|\bedit\b|\brework\b", regex=True)
    pool["is_live"] = titles.str.contains(r"\blive\b", regex=True)
    pool["has_features"] = pool[list(FEATURES)].notna().any(axis=1)
    return pool.set_index("track_key", drop=False)


def _norm(value: object) -> str:
    return names.normalise_text(value) if isinstance(value, str) and value else ""


# Catalog tracks beyond the history that join the pool (most popular first): enough for
# discovery, small enough that a turn stays well under 0.1 s with a 1.2M-track catalog.
MAX_CATALOG_CANDIDATES = 50_000


def model_liking(db: Database, profile: str, plays: pd.DataFrame) -> pd.DataFrame | None:
    """What the profile's trained taste model thinks of each song it knows, by track_key:
    ``affinity`` (the taste alone) and ``liking`` (the hybrid as it ships, its familiar/new
    dial included), both as percentiles (0..1]; None when no model has been trained.

    The person is their history plus the chat's likes and dislikes, scored through the same
    ``Hybrid.scores`` as the Taste model page and the evaluation.
    """
    from core.taste import scoring, service

    current = service.current(db, profile)
    if current is None:
        return None
    listener = current.listener(plays, feedback=store.list_feedback(db, profile))
    index = pd.Index(current.interactions.track_keys_, dtype=object)
    return pd.DataFrame({"affinity": scoring.rank_share(current.hybrid.with_familiar(0.0).scores(listener)),
                         "liking": scoring.rank_share(current.hybrid.scores(listener))}, index=index).replace(0.0, np.nan)


def load_pool(db: Database, profile: str, plays: pd.DataFrame | None = None) -> pd.DataFrame:
    """The profile's candidate pool: its music history and catalog tracks with features,
    with the taste model's ``affinity`` and ``liking`` (``model_liking``) where a trained
    model knows the track.

    ``plays``: the profile's plays when already loaded (the page's cached frame).
    """
    if plays is None:
        plays = history.load_plays(db, profile)
    features = pd.DataFrame(store.matched_features(db, profile))
    if features.empty:
        features = pd.DataFrame(columns=["track_key", "catalog_track_id", "genre", "release_year", "duration_ms",
                                         *FEATURES])
    catalog = pd.DataFrame(store.catalog_tracks_with_features(db, limit=MAX_CATALOG_CANDIDATES,
                                                              synthetic=store.is_demo_profile(db, profile)))
    if catalog.empty:
        catalog = pd.DataFrame(columns=["track_id", "track_name", "artist_name", "album_name", "genre",
                                        "release_year", "duration_ms", *FEATURES])
    pool = build_pool(plays, features, catalog)
    liked = model_liking(db, profile, plays)
    if liked is not None:
        for column in ("affinity", "liking"):
            pool[column] = liked[column].reindex(pool.index).to_numpy(dtype=float)
    return pool
