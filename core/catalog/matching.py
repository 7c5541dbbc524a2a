"""Plays -> catalog tracks: match a person's tracks to a catalog by Spotify id, else by name.

Pure functions over DataFrames; no SQL, no files. A person's plays name a track by its
Spotify id when the export has one, else only by artist and title (account exports, 2020
extended exports). A catalog (audio features per track id) covers few of those ids — a
re-release, a single, a compilation copy or a market's relinked copy of the same song has
an id of its own — so after the id join the remaining tracks are matched by a
*name key*: the normalised artist, the base title and a version tag.

The keys and what they fold are ``core.names``.

Ties: when several catalog tracks share the matched key, the pick is a whole-field artist
match before a leading-artists one, then (when both frames have ``album_name``) a track on
the same normalised album, then the smallest ``track_id``. Duration is not used: plays
only tell how long a person listened, not how long the track is.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from core.names import (
    artist_parts,
    catalog_keys,
    distinct_values,
    history_keys,
    leading_artist_table,
    normalise_text,
)

MATCH_COLUMNS = ["track_key", "catalog_track_id", "method"]


def match_tracks(history: pd.DataFrame, catalog: pd.DataFrame, keys: pd.Series | None = None) -> pd.DataFrame:
    """One row per history ``track_key`` found in the catalog: ``track_key, catalog_track_id, method``.

    ``history``: ``track_key, track_id`` (may be null), ``artist_name, track_name``, and
    optionally ``album_name``; one row per track or per play. ``catalog``: ``track_id,
    artist_name, track_name`` (and optionally ``album_name``) with a unique index. ``keys``:
    ``catalog_keys(catalog)`` if stored; without it only the catalog rows of artists the
    history names are normalised.

    method "id": a ``track_id`` of the track is in the catalog. method "name": not matched
    by id, and its ``name_key`` equals the key of a catalog row — on the row's whole artist
    field, or else on its first one, two or three listed artists when the field lists
    several ("A, B" / "A; B", see ``leading_artists``). Ties as the module docstring says.
    Rows come in the order tracks first appear in ``history``; all columns are ``str``.
    """
    if not catalog.index.is_unique:
        raise ValueError("match_tracks needs a catalog with a unique index: pass catalog.reset_index(drop=True)")
    tracks = _history_tracks(history)
    wanted_ids = pd.Index(tracks["track_id"].dropna().unique())
    in_catalog = catalog["track_id"].isin(wanted_ids)
    found_ids = pd.Index(catalog.loc[in_catalog, "track_id"].astype(object).unique())
    # the smallest id when a track_key carries several ids present in the catalog
    by_id = (tracks[tracks["track_id"].isin(found_ids)].sort_values(["order", "track_id"], kind="stable")
             .drop_duplicates("track_key").assign(catalog_track_id=lambda f: f["track_id"], method="id"))

    rest = tracks[~tracks["track_key"].isin(by_id["track_key"])]
    rest = rest.assign(name_key=history_keys(rest).to_numpy(dtype=object, na_value=None))
    rest = rest[rest["name_key"].notna()]
    by_name = _match_names(rest, catalog, keys)
    found = pd.concat([by_id[["order", *MATCH_COLUMNS]], by_name], ignore_index=True)
    found = found.sort_values("order", kind="stable")
    return found[MATCH_COLUMNS].astype("str").reset_index(drop=True)


def _history_tracks(history: pd.DataFrame) -> pd.DataFrame:
    """Distinct (track_key, track_id, artist, title, album) with the first-seen order of each track_key."""
    columns = ["track_key", "track_id", "artist_name", "track_name"]
    if "album_name" in history.columns:
        columns.append("album_name")
    tracks = pd.DataFrame({c: history[c].to_numpy(dtype=object, na_value=None) for c in columns})
    tracks = tracks[tracks["track_key"].notna()]
    codes, _ = pd.factorize(tracks["track_key"])
    return tracks.assign(order=codes).drop_duplicates(columns).reset_index(drop=True)


def _match_names(rest: pd.DataFrame, catalog: pd.DataFrame, keys: pd.Series | None) -> pd.DataFrame:
    """The best catalog track for each history track by name key (columns order + MATCH_COLUMNS)."""
    empty = pd.DataFrame({"order": pd.Series(dtype="int64"), **{c: pd.Series(dtype=object) for c in MATCH_COLUMNS}})
    if rest.empty:
        return empty
    wanted_keys = pd.Index(rest["name_key"].unique())
    wanted_artists = {k.split("\t", 1)[0] for k in wanted_keys}
    if keys is None:
        catalog = _rows_by_artists(catalog, wanted_artists)
        keys = catalog_keys(catalog)
    elif not keys.index.equals(catalog.index):
        keys = keys.reindex(catalog.index)
    whole = np.flatnonzero(keys.isin(wanted_keys).to_numpy(dtype=bool, na_value=False))
    candidates = [pd.DataFrame({"position": whole, "artists_rank": 0,
                                "name_key": keys.iloc[whole].to_numpy(dtype=object)})]
    candidates.append(_leading_candidates(catalog, keys, wanted_artists, wanted_keys))
    candidates = pd.concat(candidates, ignore_index=True)
    positions = candidates["position"].to_numpy()
    candidates["catalog_track_id"] = catalog["track_id"].to_numpy(dtype=object, na_value=None)[positions]
    use_album = "album_name" in rest.columns and "album_name" in catalog.columns
    if use_album:
        candidates["catalog_album"] = catalog["album_name"].to_numpy(dtype=object, na_value=None)[positions]
    candidates = candidates[candidates["catalog_track_id"].notna()]
    pairs = rest.merge(candidates, on="name_key")
    if pairs.empty:
        return empty
    if use_album:
        same = [isinstance(a, str) and isinstance(b, str) and normalise_text(a) == normalise_text(b)
                for a, b in zip(pairs["album_name"], pairs["catalog_album"])]
        pairs["album_rank"] = np.where(same, 0, 1)
    else:
        pairs["album_rank"] = 0
    pairs = pairs.sort_values(["order", "artists_rank", "album_rank", "catalog_track_id"], kind="stable")
    return pairs.drop_duplicates("track_key").assign(method="name")[["order", *MATCH_COLUMNS]]


def _leading_candidates(catalog: pd.DataFrame, keys: pd.Series, wanted_artists: set[str],
                        wanted_keys: pd.Index) -> pd.DataFrame:
    """Catalog rows whose field lists several artists, keyed on the leading ones the history names.

    The title part of such a key is the row's own key after its artist part (an artist
    part holds no tab), so stored keys serve here too.
    """
    columns = {"position": pd.Series(dtype="int64"), "artists_rank": pd.Series(dtype="int64"),
               "name_key": pd.Series(dtype=object)}
    artist_field = catalog["artist_name"].astype("str")
    listed = artist_field.str.contains(",|;", regex=True).to_numpy(dtype=bool, na_value=False) & keys.notna().to_numpy()
    if not listed.any():
        return pd.DataFrame(columns)
    rows = np.flatnonzero(listed)
    codes, fields = pd.factorize(artist_field.iloc[rows])
    lead = leading_artist_table(fields.to_numpy(dtype=object))
    lead = lead[lead["artist"].isin(wanted_artists)]
    if lead.empty:
        return pd.DataFrame(columns)
    found = pd.DataFrame({"position": rows, "code": codes}).merge(lead[["code", "artist"]], on="code")
    own = keys.iloc[found["position"].to_numpy()].to_numpy(dtype=object)
    found["name_key"] = [f"{artist}\t{key.split(chr(9), 1)[1]}" for artist, key in zip(found["artist"], own)]
    found = found[found["name_key"].isin(wanted_keys)]
    return found.assign(artists_rank=1)[["position", "artists_rank", "name_key"]]


# An ASCII field without "the", featured artists or odd whitespace: its leading artists
# are its folded names joined by spaces, so Arrow can list them.
def _rows_by_artists(catalog: pd.DataFrame, wanted_artists: set[str]) -> pd.DataFrame:
    """The catalog rows that could match: the whole field or a leading artist is one the history names.

    Without stored keys this keeps ``match_tracks`` from normalising every title of a large
    catalog when a person's history names a few thousand artists.
    """
    codes, fields = distinct_values(catalog["artist_name"])
    hit = np.array([a in wanted_artists for a in artist_parts(fields)], dtype=bool)
    listed = np.flatnonzero(["," in f or ";" in f for f in fields])
    lead = leading_artist_table(fields[listed])
    hit[listed[lead.loc[lead["artist"].isin(wanted_artists), "code"].to_numpy(dtype=np.int64)]] = True
    rows = np.zeros(len(catalog), dtype=bool)
    known = codes >= 0
    rows[known] = hit[codes[known]]
    return catalog[rows]



def feature_coverage(plays: pd.DataFrame, matches: pd.DataFrame) -> dict:
    """How much of a person's listening the matches cover, by id, by name and in total.

    ``plays``: one row per play with ``track_key, ms_played, year`` (rows without a
    track_key are left out). ``matches``: the result of ``match_tracks``. Returns
    ``{"overall": {...}, "by_year": DataFrame}``; both hold ``tracks`` (distinct
    track_keys), ``tracks_id``, ``tracks_name``, ``tracks_matched``, ``ms``,
    ``ms_id``, ``ms_name``, ``ms_matched`` and the shares ``track_share_id``,
    ``track_share_name``, ``track_share``, ``time_share_id``, ``time_share_name``,
    ``time_share`` (0.0 when there is nothing to share). ``by_year`` is indexed by year.
    """
    frame = _with_method(plays)
    method_of = dict(zip(matches["track_key"], matches["method"]))
    frame["method"] = frame["track_key"].map(method_of)
    overall = _coverage_row(frame)
    years = sorted(frame["year"].unique())
    by_year = pd.DataFrame([_coverage_row(frame[frame["year"] == y]) for y in years],
                           index=pd.Index(years, name="year"), columns=list(overall))
    return {"overall": overall, "by_year": by_year}


def _with_method(plays: pd.DataFrame) -> pd.DataFrame:
    frame = pd.DataFrame({"track_key": plays["track_key"].astype(object).to_numpy(),
                          "ms_played": plays["ms_played"].to_numpy(dtype="int64"),
                          "year": plays["year"].to_numpy()})
    return frame[frame["track_key"].notna()].reset_index(drop=True)


def _coverage_row(frame: pd.DataFrame) -> dict:
    row = {"tracks": int(frame["track_key"].nunique()), "ms": int(frame["ms_played"].sum())}
    for method in ("id", "name"):
        part = frame[frame["method"] == method]
        row[f"tracks_{method}"] = int(part["track_key"].nunique())
        row[f"ms_{method}"] = int(part["ms_played"].sum())
    row["tracks_matched"] = row["tracks_id"] + row["tracks_name"]
    row["ms_matched"] = row["ms_id"] + row["ms_name"]
    for label, count in (("track", "tracks"), ("time", "ms")):
        total = row[count]
        row[f"{label}_share_id"] = row[f"{count}_id"] / total if total else 0.0
        row[f"{label}_share_name"] = row[f"{count}_name"] / total if total else 0.0
        row[f"{label}_share"] = row[f"{count}_matched"] / total if total else 0.0
    return row


def missing_top(plays: pd.DataFrame, matches: pd.DataFrame, n: int = 20) -> pd.DataFrame:
    """The ``n`` tracks with the most listening time that have no match.

    Columns ``track_key, plays, ms_played``, plus ``artist_name, track_name`` (the first
    seen) when ``plays`` has them; most listened first, ties by track_key.
    """
    keys = plays["track_key"].astype(object)
    unmatched = plays[keys.notna() & ~keys.isin(pd.Index(matches["track_key"].astype(object)))]
    names = [c for c in ("artist_name", "track_name") if c in plays.columns]
    frame = pd.DataFrame({"track_key": unmatched["track_key"].astype(object).to_numpy(),
                          "ms_played": unmatched["ms_played"].to_numpy(dtype="int64"),
                          **{c: unmatched[c].astype(object).to_numpy() for c in names}})
    table = frame.groupby("track_key", sort=False).agg(
        plays=("ms_played", "size"), ms_played=("ms_played", "sum"), **{c: (c, "first") for c in names})
    table = table.reset_index().sort_values(["ms_played", "track_key"], ascending=[False, True], kind="stable")
    return table.head(n).reset_index(drop=True)[["track_key", "plays", "ms_played", *names]]
