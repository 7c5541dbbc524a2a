"""The chat's candidate pool: every song the listener has played, plus catalog songs with features.

Real tracks only: the person's history and the catalogs. A song is never in the pool
twice, whatever ids it has: the pool is keyed by song (``core.history.songs``).

Besides names and audio features, each song carries what the chat needs to read requests
about the listener's own music:
- their listening (``core.history.song_facts``): ``plays`` (streams), ``recent``,
  ``last_days``, ``love``, ``overplayed`` and ``streams_YYYY`` per year;
- estimated features for songs no catalog covers (``core.catalog.estimate``): ``est_<f>``
  and ``estimated_by``, kept apart from the real values; ``sound_<f>`` is the real value
  where known, else the estimate (what mood requests match against);
- ``near``: the songs played next to it most (session neighbours), and ``artist_near``:
  the artists played next to its artist most;
- with a trained taste model, the model's ``affinity`` and ``liking`` (0..1).
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
from sqlite_utils import Database

from core import history, names, store
from core.catalog.estimate import estimate_frame
from core.chat.requests import FEATURES, TEMPO_SCALE
from core.history.frame import DEFAULT_MIN_MS

POOL_COLUMNS: tuple[str, ...] = (
    "track_key", "track_uri", "track_name", "artist_name", "album_name", "genre", "release_year", "duration_ms",
    "popularity", *FEATURES, "plays", "known",
)
NEAR_SONGS = 12  # session neighbours kept per song
NEAR_ARTISTS = 8  # artists kept per artist


def build_pool(history_frame: pd.DataFrame, features: pd.DataFrame, catalog: pd.DataFrame,
               imputed: pd.DataFrame | None = None) -> pd.DataFrame:
    """The candidate songs: every song of the person's music history, and the catalog's songs
    with features that the history does not hold.

    ``history_frame``: the profile's plays (``core.history.load_plays``); plays of 30 s or
    more count as plays. ``features``: ``store.matched_features`` of the profile (one row
    per matched recording). ``catalog``: catalog tracks (``track_id, track_name,
    artist_name, album_name, genre, release_year, duration_ms, popularity, name_key`` and
    the features). ``imputed``: the taste model's imputed features by song (catalog units).

    One row per song, keyed by its song key (``core.history.songs``): a history song is
    named by the spelling streamed most, saved to Spotify as the id streamed most, and has
    the features of its most streamed recording that a catalog knows. A catalog song the
    history already holds (same id, or same song by name) is not added again, nor twice
    under two catalog ids. Columns ``POOL_COLUMNS`` and those the module docstring lists,
    tempo on the 0..1 scale, ``known`` True for songs from the history.
    """
    frame = history_frame
    music = frame[(frame["content_type"].astype(object) == "music").to_numpy() & frame["song_key"].notna().to_numpy()]
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
    keep = ["track_key", "catalog_id", "genre", "release_year", "duration_ms", "popularity", *FEATURES]
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
    for part in (mine, extra):
        if "popularity" not in part.columns:
            part["popularity"] = np.nan
    pool = pd.concat([mine[list(POOL_COLUMNS)], extra[list(POOL_COLUMNS)]], ignore_index=True)
    pool["tempo"] = (pool["tempo"].astype(float) / TEMPO_SCALE).clip(0, 1)
    for name in (*FEATURES, "popularity"):
        pool[name] = pool[name].astype(float)
    pool["release_year"] = pool["release_year"].astype("Float64")
    pool["duration_ms"] = pool["duration_ms"].astype("Float64")
    pool["plays"] = pool["plays"].astype("int64")
    pool["song_key"] = pool["track_key"]
    pool = pool.set_index(pool["track_key"].to_numpy(dtype=object))
    _add_listening(pool, music)
    counts = _add_neighbours(pool, music)
    if imputed is not None and len(imputed):
        imputed = imputed.assign(tempo=(imputed["tempo"].astype(float) / TEMPO_SCALE).clip(0, 1))
    primary = pool["artist_name"].astype(object).map(names.primary_artist)
    estimates = estimate_frame(pool.assign(primary_artist=primary), list(FEATURES), "primary_artist",
                               neighbours=counts, imputed=imputed)
    pool = pd.concat([pool, estimates], axis=1)
    return prepare_pool(pool.reset_index(drop=True))


def _add_listening(pool: pd.DataFrame, music: pd.DataFrame) -> None:
    """The person's listening per song (``core.history.song_facts``), 0/NaN for catalog songs."""
    if music.empty or not {"start", "end"} <= set(music.columns):
        return
    facts = history.song_facts(music)
    facts["overplayed"] = history.overplayed(facts)
    facts = facts.drop(columns=["streams"]).reindex(pool.index)
    for column in facts.columns:
        if column in ("last_days", "first_days"):
            pool[column] = facts[column].to_numpy(dtype=float)
        elif column in ("overplayed", "forgotten"):
            pool[column] = facts[column].fillna(False).to_numpy(dtype=bool)
        elif column == "love":
            pool[column] = facts[column].fillna(0.0).to_numpy(dtype=float)
        else:
            pool[column] = facts[column].fillna(0).to_numpy(dtype="int64")


def _add_neighbours(pool: pd.DataFrame, music: pd.DataFrame):
    """``near`` (the songs played next to each song most) and ``artist_near`` (the artists
    played next to its artist most); returns the song x song counts (None without plays)."""
    if music.empty or "start" not in music.columns:
        return None
    codes = pool.index.get_indexer(music["song_key"].astype(object).to_numpy())
    counts = history.neighbour_counts(music, codes, len(pool))
    keys = pool.index.to_numpy(dtype=object)
    pool["near"] = _top_per_row(counts, keys, NEAR_SONGS)
    primary = pool["artist_name"].astype(object).map(names.primary_artist)
    artist_codes, artists = pd.factorize(primary)
    play_artists = artist_codes[np.maximum(codes, 0)]
    play_artists = np.where(codes >= 0, play_artists, -1)
    artist_counts = history.neighbour_counts(music, play_artists, len(artists))
    near_artists = _top_per_row(artist_counts, np.asarray(artists, dtype=object), NEAR_ARTISTS)
    pool["artist_near"] = [near_artists[c] if c >= 0 else () for c in artist_codes]
    return counts


def _top_per_row(matrix, labels: np.ndarray, top: int) -> list[tuple]:
    """Per row of a sparse count matrix, the labels of its largest entries (most first)."""
    matrix = matrix.tocsr()
    out = []
    for row in range(matrix.shape[0]):
        start, end = matrix.indptr[row], matrix.indptr[row + 1]
        if start == end:
            out.append(())
            continue
        cols, data = matrix.indices[start:end], matrix.data[start:end]
        best = np.argsort(-data, kind="stable")[:top]
        out.append(tuple(labels[cols[best]]))
    return out


def prepare_pool(pool: pd.DataFrame) -> pd.DataFrame:
    """Add the folded names the edits compare with (artist, title, genre), version tags, and
    defaults for what a pool made elsewhere (tests) may lack: listening facts from
    ``plays`` alone, no estimates, no neighbours."""
    pool = pool.reset_index(drop=True).copy()
    # each credited artist folded on its own, joined by ", " (the folding drops commas)
    pool["artist_norm"] = [", ".join(p for p in (_norm(x) for x in re.split(r"\s*;\s*|,\s+", a)) if p)
                           if isinstance(a, str) else "" for a in pool["artist_name"].astype(object)]
    # the same as plain Python objects, for the per-track loop of _pick (reading an Arrow
    # string column element by element is slow)
    pool["artist_key"] = pd.Series(pool["artist_norm"].to_numpy(dtype=object), index=pool.index, dtype=object)
    pool["artist_primary"] = pd.Series([a.split(", ")[0] for a in pool["artist_norm"]], index=pool.index, dtype=object)
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
    plays = pool["plays"].to_numpy(dtype=float)
    defaults = {
        "popularity": np.nan, "recent": 0, "last_days": np.nan, "first_days": np.nan,
        "love": np.where(plays >= history.LOVED_MIN, pd.Series(plays).rank(pct=True).to_numpy(), 0.0),
        "overplayed": False, "forgotten": False, "near": [()] * len(pool), "artist_near": [()] * len(pool), "estimated_by": None,
        **{f"est_{f}": np.nan for f in FEATURES},
    }
    for column, value in defaults.items():
        if column not in pool.columns:
            pool[column] = value
    for feature in FEATURES:  # what a mood request matches: the real value, else the estimate
        real = pool[feature].to_numpy(dtype=float)
        pool[f"sound_{feature}"] = np.where(np.isnan(real), pool[f"est_{feature}"].to_numpy(dtype=float), real)
    pool["has_sound"] = pool[[f"sound_{f}" for f in FEATURES]].notna().any(axis=1)
    return pool.set_index("track_key", drop=False)


def _norm(value: object) -> str:
    return names.normalise_text(value) if isinstance(value, str) and value else ""


# Catalog tracks beyond the history that join the pool (most popular first): enough for
# discovery, small enough that a turn stays well under 0.1 s with a 1.2M-track catalog.
MAX_CATALOG_CANDIDATES = 50_000


def model_liking(db: Database, profile: str, plays: pd.DataFrame) -> pd.DataFrame | None:
    """What the profile's trained taste model thinks of each song it knows, by track_key:
    ``affinity`` (the taste alone), ``liking`` (the hybrid as it ships, its familiar/new
    dial included) and ``discovery`` (its order for songs never streamed, when trained with
    it), as percentiles (0..1]; None when no model has been trained.

    The person is their history plus the chat's likes and dislikes, scored through the same
    ``Hybrid.scores`` as the Taste model page and the evaluation.
    """
    from core.taste import scoring, service

    current = service.current(db, profile)
    if current is None:
        return None
    listener = current.listener(plays, feedback=store.list_feedback(db, profile))
    index = pd.Index(current.interactions.track_keys_, dtype=object)
    frame = {"affinity": scoring.rank_share(current.hybrid.with_familiar(0.0).scores(listener)),
             "liking": scoring.rank_share(current.hybrid.scores(listener))}
    if current.discovery is not None:  # songs never streamed: the order the Discover list ranks them in
        frame["discovery"] = scoring.rank_share(scoring.Hybrid(current.model, current.discovery).scores(listener))
    return pd.DataFrame(frame, index=index).replace(0.0, np.nan)


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
                                        "release_year", "duration_ms", "popularity", *FEATURES])
    pool = build_pool(plays, features, catalog, imputed=_imputed(db, profile))
    liked = model_liking(db, profile, plays)
    if liked is not None:
        for column in liked.columns:
            pool[column] = liked[column].reindex(pool.index).to_numpy(dtype=float)
    return pool


def _imputed(db: Database, profile: str) -> pd.DataFrame | None:
    """The audio features the profile's newest taste model imputed, by song (catalog units)."""
    import json

    record = store.latest_model(db, profile)
    if record is None:
        return None
    rows = store.imputed_features(db, record["id"])
    if not rows:
        return None
    frame = pd.DataFrame([json.loads(v) for v in rows.values()], index=pd.Index(list(rows), dtype=object))
    return frame.reindex(columns=list(FEATURES)).astype(float)
