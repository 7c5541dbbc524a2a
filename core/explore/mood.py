"""The explore frame + audio features -> the aggregates of the Mood page.

Only part of a history has audio features (a public catalog knows some of a person's tracks,
see core.catalog), so every aggregate here says how much of the listening it stands on.
The rules, in one place:

- **Music only.** Podcasts and audiobooks have no audio features; every share here is a
  share of *music* listening time in the selection.
- **Weighted by time.** Each play weighs its ``ms_played``: an hour of one track counts
  sixty times a one-minute skip. A mean is ``sum(ms * value) / sum(ms)`` over the plays
  whose track has that value.
- **Coverage** of a month, an hour or a chart = matched listening time / all music
  listening time there, where *matched* means the track has at least one of ``FEATURES``.
- **Too little to mean much.** A month or hour with less than ``MIN_MINUTES`` (60) minutes
  of matched listening, or with under ``MIN_SHARE`` (10 %) of its listening matched, keeps
  its row but gets no means (NaN, so the line breaks there) and ``enough`` False: an hour of
  music is about fifteen tracks, fewer is one album's mood, not the month's. The same 60-minute
  minimum applies to each mood of the genre chart. The page warns as a whole when
  under ``LOW_COVERAGE`` (25 %) of the music listening is matched: the charts then describe
  the tracks the catalogs know, which may not be typical of the rest.
- **Moods** bucket a track by Spotify's valence (0 = sad, angry; 1 = happy, cheerful):
  ``sad`` below 0.35, ``happy`` from 0.65, ``neutral`` between. The middle 30 % of the scale
  is neutral so that a track needs a clear lean to count as sad or happy.
- **Genres.** A track with several genres splits its time equally between them, so each
  mood's genre shares add up to 100 %.
- **Release year** is the catalog's ``release_year``, else the year of its
  ``release_date``; years before ``FIRST_RELEASE_YEAR`` (placeholders such as 0) are unknown.
- **Listening age** of a play = its local year − the track's release year (0 when the
  catalog's date is after the play, e.g. a remaster's date). The profile's listening age is
  the time-weighted median: the smallest age such that plays at most that old hold at least
  half of the dated listening time.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from core.base import MS_PER_HOUR, MS_PER_MINUTE

FEATURES: tuple[str, ...] = ("energy", "valence", "danceability", "acousticness", "tempo")
UNIT_FEATURES: tuple[str, ...] = ("energy", "valence", "danceability", "acousticness")  # on a 0..1 scale
MOODS: tuple[str, ...] = ("sad", "neutral", "happy")
SAD_BELOW = 0.35
HAPPY_FROM = 0.65
MIN_MINUTES = 60
MIN_SHARE = 0.10
LOW_COVERAGE = 0.25
FIRST_RELEASE_YEAR = 1900

_UNIT = "datetime64[us]"


# --- features per track and per play ---------------------------------------------------

def track_table(features: Mapping[str, Sequence] | pd.DataFrame,
                genres: Mapping[str, Sequence] | pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per matched track, indexed by ``track_key``: ``FEATURES`` (float, NaN when
    unknown), ``release_year`` (float, NaN when unknown) and ``genres`` (how many it has).

    Takes ``store.matched_features`` and ``store.matched_genres`` (or frames of them).
    """
    data = pd.DataFrame(dict(features))
    table = pd.DataFrame(index=pd.Index(data["track_key"].astype(object), name="track_key"))
    for name in FEATURES:
        table[name] = pd.to_numeric(data[name], errors="coerce").astype("float64").to_numpy()
    table["release_year"] = np.nan
    for column in ("release_year", "release_date"):  # a year, else the year a date starts with
        if column in data:
            year = pd.to_numeric(data[column].astype(object).astype(str).str[:4], errors="coerce")
            known = year.where(year >= FIRST_RELEASE_YEAR).astype("float64").to_numpy()
            table["release_year"] = table["release_year"].fillna(pd.Series(known, index=table.index))
    counts = pd.DataFrame(dict(genres)) if genres is not None else pd.DataFrame({"track_key": [], "genre": []})
    per_track = counts["track_key"].astype(object).value_counts()
    table["genres"] = per_track.reindex(table.index, fill_value=0).astype("int64").to_numpy()
    return table


def song_features(features: Mapping[str, Sequence] | pd.DataFrame, genres: Mapping[str, Sequence] | pd.DataFrame,
                  plays: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Matched features and genres moved from recordings to songs (``core.history.songs``):
    a play of any id of a song gets the features a catalog knows for one of them (an id
    match first, then the first listed). Same columns, ``track_key`` now holding song keys,
    ready for ``track_table`` and ``join_features`` on a frame with ``song_key``."""
    music = plays.loc[plays["song_key"].notna().to_numpy(), ["track_key", "song_key"]].drop_duplicates("track_key")
    songs_of = dict(zip(music["track_key"].astype(object), music["song_key"].astype(object)))
    data = pd.DataFrame(dict(features))
    data["track_key"] = data["track_key"].astype(object).map(songs_of)
    if "method" in data:
        data = data.sort_values("method", key=lambda m: m != "id", kind="stable")
    data = data[data["track_key"].notna()].drop_duplicates("track_key").reset_index(drop=True)
    pairs = pd.DataFrame(dict(genres)) if len(genres) else pd.DataFrame({"track_key": [], "genre": []})
    pairs["track_key"] = pairs["track_key"].astype(object).map(songs_of)
    pairs = pairs[pairs["track_key"].notna()].drop_duplicates().reset_index(drop=True)
    return data, pairs


def join_features(plays: pd.DataFrame, tracks: pd.DataFrame) -> pd.DataFrame:
    """The music plays of an explore frame with their song's features (their track's, for a
    frame without ``song_key``).

    Columns ``month`` (naive local month start), ``year`` (local), ``hour`` (local),
    ``ms_played``, ``track_key`` (str: the song's key), the columns of ``track_table`` (NaN
    / 0 for songs without a match) and ``matched`` (the song has at least one of ``FEATURES``).
    """
    music = plays.loc[(plays["content_type"] == "music").to_numpy()]
    keys = music["song_key" if "song_key" in music.columns else "track_key"].astype(object).to_numpy()
    values = tracks.reindex(pd.Index(keys, dtype=object))
    wall = music["local"].dt.tz_localize(None).to_numpy(dtype=_UNIT)
    joined = pd.DataFrame({
        "month": wall.astype("datetime64[M]").astype(_UNIT),
        "year": music["local"].dt.year.to_numpy(dtype="int64"),
        "hour": music["hour"].to_numpy(dtype="int64"),
        "ms_played": music["ms_played"].to_numpy(dtype="int64"),
        "track_key": pd.array(keys, dtype="str"),
    })
    for name in (*FEATURES, "release_year"):
        joined[name] = values[name].to_numpy(dtype="float64")
    joined["genres"] = values["genres"].fillna(0).to_numpy(dtype="int64")
    joined["matched"] = joined[list(FEATURES)].notna().any(axis=1).to_numpy()
    return joined


# --- coverage and the "too little" rule --------------------------------------------------

def is_enough(matched_ms: float, total_ms: float) -> bool:
    """Whether a month, hour or mood holds enough matched listening to mean something."""
    return bool(matched_ms >= MIN_MINUTES * MS_PER_MINUTE and total_ms > 0 and matched_ms / total_ms >= MIN_SHARE)


def coverage_summary(joined: pd.DataFrame) -> dict:
    """How much of the music listening each chart can use.

    ``music_hours`` and ``tracks`` (all music), ``matched_hours`` / ``matched_tracks`` and
    ``share`` / ``track_share`` (with features), ``mood_share`` (with a valence and at least
    one genre: the genre chart), ``release_share`` (with a release year) and ``low`` (share
    under ``LOW_COVERAGE``). Shares are NaN when there is no music listening.
    """
    ms = joined["ms_played"].to_numpy(dtype="int64")
    total = int(ms.sum())
    matched = joined["matched"].to_numpy()
    mood = (joined["valence"].notna() & (joined["genres"] > 0)).to_numpy()
    dated = joined["release_year"].notna().to_numpy()
    tracks = joined["track_key"].nunique()
    matched_tracks = joined.loc[matched, "track_key"].nunique()

    def share(part: np.ndarray) -> float:
        return float(ms[part].sum() / total) if total else float("nan")

    return {
        "music_hours": total / MS_PER_HOUR,
        "matched_hours": int(ms[matched].sum()) / MS_PER_HOUR,
        "share": share(matched),
        "tracks": int(tracks),
        "matched_tracks": int(matched_tracks),
        "track_share": matched_tracks / tracks if tracks else float("nan"),
        "mood_share": share(mood),
        "release_share": share(dated),
        "low": bool(total and share(matched) < LOW_COVERAGE),
    }


def _weighted_means(joined: pd.DataFrame, by: str, index: pd.Index, features: Sequence[str]) -> pd.DataFrame:
    """Listening, coverage and time-weighted feature means per value of ``by`` (every value of ``index``)."""
    ms = joined["ms_played"].astype("float64")
    groups = joined[by]
    total = ms.groupby(groups).sum().reindex(index, fill_value=0)
    matched = ms.where(joined["matched"], 0).groupby(groups).sum().reindex(index, fill_value=0)
    out = pd.DataFrame({
        by: index.to_numpy(),
        "hours": total.to_numpy() / MS_PER_HOUR,
        "matched_hours": matched.to_numpy() / MS_PER_HOUR,
    })
    with np.errstate(invalid="ignore", divide="ignore"):
        out["coverage"] = np.where(total.to_numpy() > 0, matched.to_numpy() / total.to_numpy(), np.nan)
    out["enough"] = [is_enough(m, t) for m, t in zip(matched.to_numpy(), total.to_numpy())]
    for name in features:
        value = joined[name]
        known = value.notna()
        weight = ms.where(known, 0).groupby(groups).sum().reindex(index, fill_value=0).to_numpy()
        weighted = (ms * value).where(known, 0).groupby(groups).sum().reindex(index, fill_value=0).to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(weight > 0, weighted / np.where(weight > 0, weight, 1), np.nan)
        out[name] = np.where(out["enough"], mean, np.nan)
    return out


def features_by_month(joined: pd.DataFrame, features: Sequence[str] = FEATURES) -> pd.DataFrame:
    """Time-weighted feature means per local month, every month from the first to the last.

    Columns ``month``, ``hours`` (all music), ``matched_hours``, ``coverage``, ``enough`` and
    one column per feature (NaN where not ``enough``, see the module docstring).
    """
    months = joined["month"]
    if months.empty:
        index = pd.DatetimeIndex([], dtype=_UNIT, name="month")
    else:
        index = pd.date_range(months.min(), months.max(), freq="MS", unit="us", name="month")
    return _weighted_means(joined, "month", index, features)


def sound_by_hour(joined: pd.DataFrame, features: Sequence[str] = FEATURES) -> pd.DataFrame:
    """Time-weighted feature means per local start hour (all 24), columns as ``features_by_month``."""
    return _weighted_means(joined, "hour", pd.RangeIndex(24, name="hour"), features)


def long_features(table: pd.DataFrame, by: str, features: Sequence[str]) -> pd.DataFrame:
    """A wide table of means as one row per (``by``, feature): ``by``, ``feature``, ``value``,
    ``coverage`` and ``matched_hours`` (for one line per feature in a chart)."""
    frames = [
        pd.DataFrame({by: table[by].to_numpy(), "feature": name, "value": table[name].to_numpy(dtype="float64"),
                      "coverage": table["coverage"].to_numpy(dtype="float64"),
                      "matched_hours": table["matched_hours"].to_numpy(dtype="float64")})
        for name in features
    ]
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=[by, "feature", "value", "coverage", "matched_hours"])
    out["feature"] = out["feature"].astype("str")
    return out


# --- moods and genres ---------------------------------------------------------------------

def mood_of(valence: pd.Series) -> pd.Series:
    """The mood bucket of each valence (``sad`` < 0.35 <= ``neutral`` < 0.65 <= ``happy``), NA when unknown."""
    values = valence.to_numpy(dtype="float64")
    moods = np.select([values < SAD_BELOW, values < HAPPY_FROM, values >= HAPPY_FROM], ["sad", "neutral", "happy"],
                      default="")
    return pd.Series(pd.Categorical(np.where(np.isnan(values), None, moods), categories=list(MOODS)),
                     index=valence.index, name="mood")


def mood_split(joined: pd.DataFrame) -> pd.DataFrame:
    """Listening per mood among plays with a known valence: ``mood``, ``hours``, ``share``, all three moods."""
    known = joined.loc[joined["valence"].notna()]
    ms = known["ms_played"].groupby(mood_of(known["valence"]), observed=False).sum().reindex(list(MOODS),
                                                                                               fill_value=0)
    total = ms.sum()
    return pd.DataFrame({
        "mood": pd.Series(list(MOODS), dtype="str"),
        "hours": ms.to_numpy(dtype="int64") / MS_PER_HOUR,
        "share": ms.to_numpy(dtype="float64") / total if total else np.full(len(MOODS), np.nan),
    })


def genres_by_mood(joined: pd.DataFrame, genres: Mapping[str, Sequence] | pd.DataFrame, n: int = 8) -> pd.DataFrame:
    """The ``n`` genres listened to longest in each mood.

    Columns ``mood``, ``rank`` (1 = most), ``genre``, ``hours`` and ``share`` (of the mood's
    listening to tracks with a genre). A track's time is split equally between its genres.
    Moods with less than ``MIN_MINUTES`` of such listening are left out.
    """
    pairs = pd.DataFrame(dict(genres))
    usable = joined.loc[joined["valence"].notna() & (joined["genres"] > 0)]
    per_track = (
        pd.DataFrame({"track_key": usable["track_key"].astype(object),
                      "mood": mood_of(usable["valence"]).astype(object),
                      "ms": usable["ms_played"].astype("float64") / usable["genres"]})
        .groupby(["track_key", "mood"], as_index=False)["ms"].sum()
    )
    pairs = pairs.assign(track_key=pairs["track_key"].astype(object), genre=pairs["genre"].astype(object))
    per_genre = per_track.merge(pairs, on="track_key").groupby(["mood", "genre"], as_index=False)["ms"].sum()
    columns = {"mood": "str", "rank": "int64", "genre": "str", "hours": "float64", "share": "float64"}
    rows = []
    for mood in MOODS:
        mine = per_genre.loc[per_genre["mood"] == mood]
        total = mine["ms"].sum()
        if total < MIN_MINUTES * MS_PER_MINUTE:
            continue
        top = mine.sort_values(["ms", "genre"], ascending=[False, True]).head(n)
        rows.append(pd.DataFrame({"mood": mood, "rank": np.arange(1, len(top) + 1), "genre": top["genre"].to_numpy(),
                                  "hours": top["ms"].to_numpy() / MS_PER_HOUR, "share": top["ms"].to_numpy() / total}))
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame({c: [] for c in columns})
    return out.astype(columns)


# --- release era and listening age --------------------------------------------------------

def release_decades(joined: pd.DataFrame) -> pd.DataFrame:
    """Listening by release decade, every decade from the oldest to the newest.

    Columns ``decade`` (e.g. 1990), ``label`` ("1990s"), ``hours`` and ``share`` (of the
    listening to tracks with a release year).
    """
    dated = joined.loc[joined["release_year"].notna()]
    decades = (dated["release_year"].to_numpy(dtype="float64") // 10 * 10).astype("int64")
    if len(decades) == 0:
        return pd.DataFrame({"decade": pd.Series([], dtype="int64"), "label": pd.Series([], dtype="str"),
                             "hours": pd.Series([], dtype="float64"), "share": pd.Series([], dtype="float64")})
    ms = pd.Series(dated["ms_played"].to_numpy(dtype="int64")).groupby(decades).sum()
    span = np.arange(decades.min(), decades.max() + 1, 10, dtype="int64")
    ms = ms.reindex(span, fill_value=0)
    return pd.DataFrame({
        "decade": span,
        "label": pd.Series([f"{d}s" for d in span], dtype="str"),
        "hours": ms.to_numpy(dtype="int64") / MS_PER_HOUR,
        "share": ms.to_numpy(dtype="float64") / ms.sum(),
    })


def weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    """The smallest value at which the cumulative weight reaches half the total (NaN when none)."""
    if len(values) == 0 or weights.sum() <= 0:
        return float("nan")
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cumulative, cumulative[-1] / 2)])


def listening_age(joined: pd.DataFrame) -> dict:
    """The time-weighted median age of what was played (see the module docstring).

    ``age`` (years, NaN when no play has a release year), ``median_release_year`` (the
    time-weighted median release year), ``newest_release_year`` (a catalog knows nothing
    newer than itself, so listening after that year looks older than it was), ``hours``
    (dated listening) and ``coverage`` (its share of all music listening).
    """
    dated = joined.loc[joined["release_year"].notna()]
    ms = dated["ms_played"].to_numpy(dtype="float64")
    ages = np.maximum(dated["year"].to_numpy(dtype="float64") - dated["release_year"].to_numpy(dtype="float64"), 0)
    total = joined["ms_played"].sum()
    return {
        "age": weighted_median(ages, ms),
        "median_release_year": weighted_median(dated["release_year"].to_numpy(dtype="float64"), ms),
        "newest_release_year": float(dated["release_year"].max()) if len(dated) else float("nan"),
        "hours": float(ms.sum() / MS_PER_HOUR),
        "coverage": float(ms.sum() / total) if total else float("nan"),
    }


def listening_age_by_year(joined: pd.DataFrame) -> pd.DataFrame:
    """Listening age per local year of listening: ``year``, ``age``, ``matched_hours`` (dated
    listening), ``coverage`` and ``enough`` (the rule of the module docstring, on dated
    listening); ``age`` is NaN where not enough."""
    rows = []
    for year, plays in joined.groupby("year"):
        facts = listening_age(plays)
        matched_ms = facts["hours"] * MS_PER_HOUR
        enough = is_enough(matched_ms, float(plays["ms_played"].sum()))
        rows.append({"year": int(year), "age": facts["age"] if enough else float("nan"),
                     "matched_hours": facts["hours"], "coverage": facts["coverage"], "enough": enough})
    columns = {"year": "int64", "age": "float64", "matched_hours": "float64", "coverage": "float64", "enough": "bool"}
    return pd.DataFrame(rows, columns=list(columns)).astype(columns)
