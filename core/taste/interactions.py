"""Plays -> a weighted sparse matrix for the taste model.

Why the rows are sessions, playlists and other profiles, not "users": one export is one
listener, and a one-row matrix has nothing to factorise. Collaborative filtering learns
which tracks go together from many rows that each hold a coherent set of tracks. A
listening session (plays separated by at most 30 minutes of silence) is such a set: one
mood, one activity, one album run — it plays the part a playlist plays in the Million
Playlist Dataset. The person's own playlists are hand-made sets of the same kind, and other
profiles in the same store add tracks and co-occurrences the person has not met yet. A
catalog's own lists (TidyTuesday's 471 curated playlists and its subgenres) are rows too,
but only of the co-occurrence part (``catalog_matrix``): they tie catalog songs nobody here
played to the ones the person plays, while the ALS factors stay learned from the person's
own listening (fitted on the catalog's rows as well, they ranked re-listens worse). The
person themselves are not a row: their taste is a vector computed at query time from their
(recency-weighted) history against the learned item factors (``listener_row``).

Columns are tracks: every track of the history, of the playlists, of other profiles, and
every catalog track with audio features (catalog tracks nobody played have an empty
column; the model maps their features into the factor space).

How ``implicit`` 0.7.3 reads the values (checked in ``implicit/cpu/als.py``: ``fit`` and
the reference ``least_squares_cg``): a value ``v`` becomes the confidence ``c = alpha * v``
— not ``1 + alpha * v``; the "1" is already counted for every cell, seen or not. ``v > 0``
means preference 1 with confidence ``c``; ``v < 0`` means preference 0 with confidence
``|c|``; an empty cell is preference 0 with confidence 1. So a negative value only pushes
*harder* than "never played" when ``alpha * |v| > 1``, and an explicit 0 removes the cell
from the loss altogether (confidence 0), so zeros are always dropped here.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from core import names
from core.history.frame import DEFAULT_MIN_MS
from core.history.sessions import split_sessions

FULL_PLAY_MS = 180_000  # a typical track length: plays this long count fully
ROW_KINDS = ("session", "playlist", "profile")


@dataclass(frozen=True)
class Weighting:
    """How behaviour becomes preference (see ``play_weights`` and ``combine_cells``)."""

    complete_bonus: float = 0.5  # extra weight of a play that ended with trackdone
    skip_weight: float = 0.5  # how strongly a quick skip counts against (0 = ignore skips)
    half_life_days: float | None = None  # recency: a play this old counts half (None: off)
    playlist_weight: float = 1.0  # the value of one playlist item


def play_weights(ms_played: np.ndarray, reason_end: Sequence, skip: np.ndarray,
                 age_days: np.ndarray | None = None, weighting: Weighting = Weighting()) -> tuple[np.ndarray, np.ndarray]:
    """Per play, (positive weight, skip weight); at most one of the two is non-zero.

    - A stream (>= 30 s) weighs 0.5 + 0.5 * min(ms_played / 3 min, 1), plus
      ``complete_bonus`` when it ended with ``trackdone``: long and complete plays count more.
    - A quick skip is a play under 30 s that the one skip rule calls a skip (``skip``: the
      frame's column, ``core.history.skips``). It weighs 1 against. A short play that was
      not a skip (a short track that finished) is ignored (0, 0).
    - With ``age_days`` and a half-life, both weights are multiplied by 0.5 ** (age / half-life).
    """
    ms = np.asarray(ms_played, dtype="float64")
    trackdone = (pd.Series(np.asarray(reason_end, dtype=object)) == "trackdone").to_numpy()
    stream = ms >= DEFAULT_MIN_MS
    positive = np.where(stream, 0.5 + 0.5 * np.minimum(ms / FULL_PLAY_MS, 1.0) + weighting.complete_bonus * trackdone, 0.0)
    negative = np.where(~stream & np.asarray(skip, dtype=bool), 1.0, 0.0)
    if age_days is not None and weighting.half_life_days:
        decay = 0.5 ** (np.maximum(np.asarray(age_days, dtype="float64"), 0.0) / weighting.half_life_days)
        positive, negative = positive * decay, negative * decay
    return positive, negative


def combine_cells(positive: np.ndarray, negative: np.ndarray, skip_weight: float = 0.5) -> np.ndarray:
    """A cell's value from its summed positive and skip weights.

    ``log1p(positive) - skip_weight * log1p(negative)``: repeats add up with diminishing
    returns (1 play of weight 1 -> 0.69, 10 -> 2.4, 100 -> 4.6), and so do skips, so a
    track skipped once in a session where it was also played in full stays positive.
    With the model's default alpha of 10, one quick skip alone (-0.35) is a "dislike"
    with confidence 3.5: stronger than the confidence 1 of a track never played.
    """
    return np.log1p(positive) - skip_weight * np.log1p(negative)


class Interactions:
    """Owns the mapping between external track keys and column indices (``track_idx``).

    ``track_key`` is a Spotify id or "artist — title" (as ``core.explore`` keys a play);
    ``track_idx`` is a column of the matrix. The two never share a name.
    """

    def __init__(self) -> None:
        self.track_keys_: list[str] = []
        self._index: dict[str, int] = {}
        self.track_names_: list[str | None] = []
        self.artist_names_: list[str | None] = []

    def add_tracks(self, keys: Sequence[str], track_names: Sequence | None = None,
                   artist_names: Sequence | None = None) -> None:
        """Add unseen keys as new columns, in order (keys already known keep their column)."""
        names = track_names if track_names is not None else [None] * len(keys)
        artists = artist_names if artist_names is not None else [None] * len(keys)
        for key, name, artist in zip(keys, names, artists):
            if key not in self._index:
                self._index[key] = len(self.track_keys_)
                self.track_keys_.append(key)
                self.track_names_.append(name)
                self.artist_names_.append(artist)

    @property
    def n_tracks(self) -> int:
        return len(self.track_keys_)

    def track_idx(self, keys: Sequence[str]) -> np.ndarray:
        """Column of each key (-1 for unknown keys)."""
        get = self._index.get
        return np.fromiter((get(k, -1) for k in keys), dtype="int64", count=len(keys))

    def column_idx(self, values: pd.Series) -> np.ndarray:
        """``track_idx`` of a column of plays (a categorical, most often): each distinct key
        looked up once, not once per play."""
        codes, distinct = pd.factorize(values)
        found = self.track_idx(list(distinct))
        return np.where(codes >= 0, found[np.maximum(codes, 0)], -1) if len(found) else np.full(len(codes), -1)

    def has(self, key: str) -> bool:
        return key in self._index

    def keys_of(self, idx: Sequence[int] | np.ndarray) -> list[str]:
        return [self.track_keys_[i] for i in idx]

    def label(self, idx: int) -> str:
        """'title — artist' of a column for reasons and tables."""
        name, artist = self.track_names_[idx], self.artist_names_[idx]
        if name is None:
            return self.track_keys_[idx]
        return f"{name} — {artist}" if artist else str(name)

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"track_keys": np.asarray(self.track_keys_, dtype=object),
                "track_names": np.asarray(self.track_names_, dtype=object),
                "artist_names": np.asarray(self.artist_names_, dtype=object)}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> Interactions:
        out = cls()
        out.add_tracks(list(arrays["track_keys"]), list(arrays["track_names"]), list(arrays["artist_names"]))
        return out


@dataclass
class Matrix:
    """The weighted rows x tracks matrix with what each row is."""

    values: sp.csr_matrix
    row_kinds: np.ndarray  # one of ROW_KINDS per row
    row_labels: list[str] = field(default_factory=list)


# The model's items are songs (``core.history.songs``): one column however many ids a song has.
ITEM = "song_key"


def music_plays(plays: pd.DataFrame) -> pd.DataFrame:
    """The music plays of a song (podcasts and audiobooks are not taste here)."""
    keep = (plays["content_type"] == "music").to_numpy() & plays[ITEM].notna().to_numpy()
    return plays[keep]


def music_between(plays: pd.DataFrame, first: dt.date, last: dt.date) -> pd.DataFrame:
    """The plays that started on a UTC date from ``first`` to ``last`` (inclusive)."""
    day = plays["start"].dt.tz_convert("UTC").dt.date
    return plays[((day >= first) & (day <= last)).to_numpy()]


def play_cells(plays: pd.DataFrame, interactions: Interactions, weighting: Weighting,
               now: pd.Timestamp | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per play: (column, positive weight, skip weight). Plays' tracks must be known."""
    age = None
    if now is not None and weighting.half_life_days:
        age = ((now - plays["start"]).dt.total_seconds() / 86400).to_numpy()
    positive, negative = play_weights(plays["ms_played"].to_numpy(), plays["reason_end"].astype(object).to_numpy(),
                                      plays["skip"].to_numpy(dtype=bool), age, weighting)
    cols = interactions.column_idx(plays[ITEM])
    return cols, positive, negative


def _cells(rows: np.ndarray, cols: np.ndarray, positive: np.ndarray, negative: np.ndarray, shape: tuple[int, int],
           skip_weight: float) -> sp.csr_matrix:
    pos = sp.csr_matrix((positive, (rows, cols)), shape=shape, dtype="float64")  # duplicates are summed
    neg = sp.csr_matrix((negative, (rows, cols)), shape=shape, dtype="float64")
    pos.sum_duplicates()
    neg.sum_duplicates()
    out = (pos.log1p() - neg.log1p() * skip_weight).tocsr()
    out.data[np.abs(out.data) < 1e-9] = 0.0  # a positive and a skip that cancel out
    out.eliminate_zeros()  # an explicit 0 would take the cell out of implicit's loss
    return out


def build_matrix(interactions: Interactions, plays: pd.DataFrame, weighting: Weighting = Weighting(),
                 playlists: dict[str, list[str]] | None = None, other_profiles: dict[str, pd.DataFrame] | None = None,
                 now: pd.Timestamp | None = None, min_session_tracks: int = 2) -> Matrix:
    """Sessions of ``plays`` (+ playlists, + one row per other profile) x tracks.

    ``plays`` are the person's music plays (tracks already in ``interactions``);
    ``playlists`` maps a playlist label to its track keys; ``other_profiles`` maps a
    profile name to its music plays. Sessions with fewer than ``min_session_tracks``
    distinct tracks are left out: a single track teaches nothing about what goes together.
    """
    shape_cols = interactions.n_tracks
    blocks: list[sp.csr_matrix] = []
    kinds: list[str] = []
    labels: list[str] = []
    if len(plays):
        session = split_sessions(plays).to_numpy()
        cols, positive, negative = play_cells(plays, interactions, weighting, now)
        n_sessions = int(session.max()) + 1
        block = _cells(session, cols, positive, negative, (n_sessions, shape_cols), weighting.skip_weight)
        distinct = np.diff(sp.csr_matrix((np.ones(len(cols)), (session, cols)), shape=block.shape).indptr)
        keep = np.flatnonzero(distinct >= min_session_tracks)
        blocks.append(block[keep])
        kinds += ["session"] * len(keep)
        labels += [f"session {i}" for i in keep]
    for label, keys in (playlists or {}).items():
        cols = interactions.track_idx(keys)
        cols = np.unique(cols[cols >= 0])
        if len(cols):
            value = np.log1p(weighting.playlist_weight)
            blocks.append(sp.csr_matrix((np.full(len(cols), value), (np.zeros(len(cols), dtype=int), cols)),
                                        shape=(1, shape_cols)))
            kinds.append("playlist")
            labels.append(label)
    for name, other in (other_profiles or {}).items():
        if len(other):
            cols, positive, negative = play_cells(other, interactions, weighting, now)
            blocks.append(_cells(np.zeros(len(cols), dtype=int), cols, positive, negative, (1, shape_cols),
                                 weighting.skip_weight))
            kinds.append("profile")
            labels.append(name)
    values = sp.vstack(blocks, format="csr") if blocks else sp.csr_matrix((0, shape_cols))
    return Matrix(values.astype("float32"), np.asarray(kinds, dtype=object), labels)


def catalog_matrix(interactions: Interactions, catalog_lists: dict[str, list[str]]) -> sp.csr_matrix:
    """One row per catalog list (a curated playlist, a subgenre) over the columns, 1 where
    the list has the song: the co-occurrence rows ``TasteModel.fit`` adds (only whether a
    cell is set counts there, so it has no weighting)."""
    rows, cols = [], []
    for number, keys in enumerate(catalog_lists.values()):
        idx = interactions.track_idx(keys)
        idx = np.unique(idx[idx >= 0])
        rows.append(np.full(len(idx), number))
        cols.append(idx)
    row, col = (np.concatenate(rows), np.concatenate(cols)) if rows else (np.zeros(0, int), np.zeros(0, int))
    return sp.csr_matrix((np.ones(len(row), dtype="float32"), (row, col)),
                         shape=(len(catalog_lists), interactions.n_tracks))


def listener_row(interactions: Interactions, plays: pd.DataFrame, weighting: Weighting = Weighting(),
                 now: pd.Timestamp | None = None) -> sp.csr_matrix:
    """The person's whole history as one 1 x tracks row (their taste at query time)."""
    cols, positive, negative = play_cells(plays, interactions, weighting, now)
    known = cols >= 0
    return _cells(np.zeros(int(known.sum()), dtype=int), cols[known], positive[known], negative[known],
                  (1, interactions.n_tracks), weighting.skip_weight).astype("float32")


def keys_row(interactions: Interactions, keys: Sequence[str], value: float = 1.0) -> sp.csr_matrix:
    """A 1 x tracks row with ``value`` at each known key (a playlist or picked songs)."""
    cols = interactions.track_idx(keys)
    cols = np.unique(cols[cols >= 0])
    return sp.csr_matrix((np.full(len(cols), value, dtype="float32"), (np.zeros(len(cols), dtype=int), cols)),
                         shape=(1, interactions.n_tracks))


# --- everything the model learns from, read from the store -------------------------------

# Sources of songs beyond the person's files and the catalogs they imported (names as
# ``core.taste.discovery.SOURCES`` tags them): Gemini's suggestions that resolved to a real
# track (``core.chat.suggest``) and the search for new songs on Spotify
# (``core.spotify.candidates``: songs only the catalog ``store.SPOTIFY_CATALOG`` has).
OUTSIDE_SOURCES = ("Gemini", "Spotify")

AUDIO_FEATURES: tuple[str, ...] = (
    "danceability", "energy", "loudness", "mode", "speechiness", "acousticness",
    "instrumentalness", "liveness", "valence", "tempo",
)  # the catalog's features minus ``key`` (a pitch class: its numbers are not an order)


@dataclass
class TasteInputs:
    """A profile's music plays, playlists, other profiles and audio features, keyed alike.

    ``features`` is ``n_tracks x len(AUDIO_FEATURES)`` of catalog values (NaN where the
    track has none), aligned with ``interactions``' columns.
    """

    interactions: Interactions
    plays: pd.DataFrame
    playlists: dict[str, list[str]]
    playlist_added: dict[str, list[str | None]]
    other_profiles: dict[str, pd.DataFrame]
    features: np.ndarray
    genres: np.ndarray  # per column, '' where unknown
    catalog_lists: dict[str, list[str]] = field(default_factory=dict)  # "playlist 37i9…" -> song keys
    popularity: np.ndarray | None = None  # per column: the catalog's 0..100, NaN where unknown
    track_ids: np.ndarray | None = None  # per column: the Spotify id to save it as (None where unknown)
    catalog_rows: sp.csr_matrix | None = None  # ``catalog_matrix`` of ``catalog_lists``, built once
    found: dict[str, np.ndarray] = field(default_factory=dict)  # per OUTSIDE_SOURCES name: the columns it found


def _item_key(track_id: str | None, artist: str | None, title: str | None, songs_of: dict[str, str]) -> str:
    """The song a playlist item is: the song of its id or its "artist — title" in the history,
    else the song its names give by the song rule, else its id."""
    by_name = f"{artist if artist is not None else '?'} — {title if title is not None else '?'}"
    for key in (track_id, by_name):
        if key is not None and key in songs_of:
            return songs_of[key]
    return names.name_key(artist, title) or track_id or by_name


def _add_songs(interactions: Interactions, plays: pd.DataFrame) -> None:
    first = plays.drop_duplicates(ITEM)
    interactions.add_tracks(first[ITEM].astype(object).tolist(), first["track_name"].astype(object).tolist(),
                            first["artist_name"].astype(object).tolist())


def load_inputs(db, profile: str, plays: pd.DataFrame | None = None) -> TasteInputs:
    """Read everything the taste model of ``profile`` learns from (see module docstring).

    Another profile's plays are rows of the matrix only when both profiles chose to share
    (``store.sharing_profiles``: never the demo); a real profile never sees the demo's
    synthetic catalog.
    """
    from core import history, store  # the store only at the edge of this module

    plays = music_plays(history.load_plays(db, profile) if plays is None else plays)
    interactions = Interactions()
    _add_songs(interactions, plays)
    songs_of = dict(zip(plays["track_key"].astype(object), plays[ITEM].astype(object)))
    items = store.playlist_tracks(db, profile)
    keys = [_item_key(*item, songs_of) for item in zip(items["track_id"], items["artist_name"], items["track_name"])]
    interactions.add_tracks(keys, items["track_name"], items["artist_name"])
    playlists: dict[str, list[str]] = {}
    added: dict[str, list[str | None]] = {}
    for pid, pname, key, when in zip(items["playlist_id"], items["playlist_name"], keys, items["added_date"]):
        label = f"{pname} (#{pid})"
        playlists.setdefault(label, []).append(key)
        added.setdefault(label, []).append(when)
    others = {}
    sharing = store.sharing_profiles(db)
    for name in sorted(sharing - {profile}) if profile in sharing else ():
        other = music_plays(history.load_plays(db, name))
        _add_songs(interactions, other)
        others[name] = other
    # catalog songs: a catalog track matched to one of the person's recordings is that song's
    # column; the others are songs by their names (two catalog ids of one song are one column)
    matched = store.matched_features(db, profile)
    id_to_song = {cid: songs_of[key] for cid, key in zip(matched["catalog_track_id"], matched["track_key"])
                  if key in songs_of}
    catalog = store.catalog_feature_rows(db, synthetic=store.is_demo_profile(db, profile))
    # a catalog id the person streamed is that song's column even without a match (the songs
    # found on Spotify are never matched: ``store.SPOTIFY_CATALOG``)
    cat_keys = [id_to_song.get(tid) or songs_of.get(tid) or name_key or tid
                for tid, name_key in zip(catalog["track_id"], catalog["name_key"])]
    interactions.add_tracks(cat_keys, catalog["track_name"], catalog["artist_name"])
    key_of_id = dict(zip(catalog["track_id"], cat_keys))
    lists = store.catalog_list_rows(db, synthetic=store.is_demo_profile(db, profile))
    catalog_lists: dict[str, list[str]] = {}
    for tid, kind, name in zip(lists["track_id"], lists["kind"], lists["list"]):
        if tid in key_of_id:
            catalog_lists.setdefault(f"{kind} {name}", []).append(key_of_id[tid])
    features = np.full((interactions.n_tracks, len(AUDIO_FEATURES)), np.nan)
    popularity = np.full(interactions.n_tracks, np.nan)
    idx = interactions.track_idx(cat_keys)
    popularity[idx[idx >= 0]] = np.array(catalog["popularity"], dtype=float)[idx >= 0]
    genres = np.full(interactions.n_tracks, "", dtype=object)
    matched_songs = [songs_of.get(key) for key in matched["track_key"]]
    for source, keys_ in ((catalog, cat_keys), (matched, matched_songs)):
        idx = interactions.track_idx([k if k is not None else "" for k in keys_])
        ok = idx >= 0
        values = np.array([source[f] for f in AUDIO_FEATURES], dtype="float64").T if len(idx) else np.zeros((0, 0))
        if len(idx):
            features[idx[ok]] = values[ok]
            genres[idx[ok]] = np.array([g or "" for g in source["genre"]], dtype=object)[ok]
    # the id each column is saved to Spotify as: the id the person streamed most, else a
    # playlist item's, else the catalog's
    track_ids = np.full(interactions.n_tracks, None, dtype=object)
    for keys_, ids in ((cat_keys, catalog["track_id"]), (keys, items["track_id"]), *_most_streamed_ids(plays)):
        idx = interactions.track_idx(list(keys_))
        for i, tid in zip(idx, ids):
            if i >= 0 and tid:
                track_ids[i] = tid
    return TasteInputs(interactions, plays, playlists, added, others, features, genres, catalog_lists, popularity,
                       track_ids, catalog_matrix(interactions, catalog_lists),
                       _found(interactions, cat_keys, catalog["source"], store.SPOTIFY_CATALOG,
                              [key_of_id[t] for t in store.gemini_track_ids(db, profile) if t in key_of_id]))


def _found(interactions: Interactions, cat_keys: Sequence[str], sources: Sequence[str], spotify_catalog: str,
           gemini_keys: Sequence[str]) -> dict[str, np.ndarray]:
    """Per OUTSIDE_SOURCES name, its columns: "Gemini", the songs its suggestions resolved to;
    "Spotify", the songs only the catalog found on Spotify has (a song another catalog has
    too was reachable without it)."""
    n = interactions.n_tracks
    idx = interactions.track_idx(list(cat_keys))
    from_spotify = np.array([s == spotify_catalog for s in sources], dtype=bool)
    spotify, other, gemini = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    spotify[idx[from_spotify & (idx >= 0)]] = True
    other[idx[~from_spotify & (idx >= 0)]] = True
    suggested = interactions.track_idx(list(gemini_keys))
    gemini[suggested[suggested >= 0]] = True
    return {"Gemini": gemini, "Spotify": spotify & ~other}


def _most_streamed_ids(plays: pd.DataFrame) -> list[tuple[list, list]]:
    """[(song keys, the id each was streamed under most)] (one pair; empty without ids)."""
    if plays.empty or "track_id" not in plays.columns:
        return []
    frame = pd.DataFrame({"song": plays[ITEM].astype(object).to_numpy(), "id": plays["track_id"].astype(object)
                          .to_numpy()}).dropna()
    if frame.empty:
        return []
    top = frame.value_counts().reset_index(name="n").drop_duplicates("song")  # value_counts: most first
    return [(top["song"].tolist(), top["id"].tolist())]
