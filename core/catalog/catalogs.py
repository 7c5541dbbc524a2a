"""Catalogs in the store: import one, match every history against it, undo a match, remove it.

A file goes in whole or not at all (one transaction). A track id that another catalog
already brought keeps that catalog's values; only its empty fields are filled. Importing
a file under the name of a catalog already stored updates that catalog: new values win,
values the new file leaves empty are kept, genres are added.

After an import every profile's listening history is matched against the whole catalog
(``match_history``): by Spotify id, else by normalised artist + title
(``core.catalog.matching``). A person can undo a wrong name match (``undo_match``);
re-matching keeps it undone.
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

import pandas as pd
from sqlite_utils import Database

from core import names, store
from core.base import Progress, no_progress
from core.catalog import matching
from core.catalog.files import CatalogReport, name_keys, read_catalog
from core.errors import CatalogEditError


def _column_lists(frame: pd.DataFrame, columns: tuple[str, ...]) -> list[list]:
    # NaN binds as NULL (SQLite stores NaN doubles as NULL) and whole floats go into
    # INTEGER columns as integers, so the columns go to executemany without per-value work.
    return [frame[c].tolist() for c in columns]


def _row_tuples(frame: pd.DataFrame, columns: tuple[str, ...], chunk: int = 100_000) -> Iterator[tuple]:
    """The frame's rows as tuples, converted a chunk at a time: as Python objects a million
    rows of 22 columns take ~1 GB, a chunk of them 1/10 of that."""
    for start in range(0, len(frame), chunk):
        yield from zip(*_column_lists(frame.iloc[start:start + chunk], columns))


def import_catalog(db: Database, path: str | os.PathLike, name: str | None = None,
                   mapping: Mapping[str, str] | None = None, progress: Progress = no_progress,
                   data: bytes | None = None) -> CatalogReport:
    """Import a catalog file in one transaction, then match every profile's history against it.

    ``name`` (default: the file's name) names the catalog in the store: importing a file
    under a name already used updates that catalog (new values win, empty ones are kept). ``mapping`` maps Encore's
    fields (``FIELDS``) to the file's headers for a CSV of no known schema. ``data``: the
    file's bytes when uploaded. ``progress(fraction, message)`` is called per stage.
    Raises ImportFileError (nothing written) when the file cannot be imported.
    """
    def say(fraction: float, message: str) -> None:
        progress(fraction, message)

    if (name or "").strip() == store.SYNTHETIC_CATALOG:
        raise CatalogEditError("name", f"“{store.SYNTHETIC_CATALOG}” is the demo listener's own catalog.",
                               "Import yours under another name.")
    if (name or "").strip() == store.SPOTIFY_CATALOG:
        raise CatalogEditError("name", f"“{store.SPOTIFY_CATALOG}” holds the songs Encore finds on Spotify.",
                               "Import yours under another name.")
    say(0.0, f"Reading {Path(path).name}")
    parsed = read_catalog(path, mapping, data, progress)
    report = parsed.report
    report.name = name or Path(path).name
    tracks = parsed.tracks
    say(0.5, f"Storing {len(tracks):,} tracks")
    before = store.count_rows(db, "catalog_tracks")
    rows = _row_tuples(tracks, store.CATALOG_COLUMNS)
    genres = _row_tuples(parsed.genres, ("track_id", "genre"))
    lists = _row_tuples(parsed.lists, ("track_id", "kind", "list"))
    with store.write_transaction(db):
        bulk = len(tracks) >= store.BULK_CATALOG_ROWS and 2 * len(tracks) >= before
        store.write_catalog(db, report.name, rows, genres, bulk=bulk, lists=lists)
        report.tracks_added = store.count_rows(db, "catalog_tracks") - before
        fill_name_keys(db)
        store.record_catalog(db, report.name, report.rows_read, report.tracks, report.file, report.format,
                             json.dumps(report.to_dict()))
        store.bump_catalog_version(db)
    profiles = store.profiles_with_music(db)
    for number, profile in enumerate(profiles):
        say(0.8 + 0.2 * number / max(len(profiles), 1), f"Matching the history of '{profile}'")
        report.matches[profile] = match_history(db, profile)
    say(1.0, "Catalog imported")
    return report


def fill_name_keys(db: Database) -> int:
    """Compute the name keys of catalog tracks stored without one (e.g. before core.matching
    existed, or by the demo); return how many tracks got one. The caller owns the transaction."""
    missing = pd.DataFrame(store.catalog_rows_without_keys(db))
    if missing.empty:
        return 0
    keys = name_keys(missing)
    has = keys.notna().to_numpy()
    store.set_catalog_name_keys(db, zip(missing["track_id"][has].tolist(), keys[has].tolist()))
    return int(has.sum())


def match_history(db: Database, profile: str) -> dict:
    """Match a profile's distinct music tracks against the whole catalog; store the matches.

    By Spotify id, else (with ``core.matching``) by normalised artist + title. Matches a
    person undid stay undone. Returns ``store.match_counts`` for the profile plus ``profile``.
    """
    history = pd.DataFrame(store.history_tracks(db, profile))
    found = _find_matches(db, history, synthetic=store.is_demo_profile(db, profile))
    with store.write_transaction(db):
        store.replace_track_matches(db, profile, found)
        store.bump_catalog_version(db)
    return {"profile": profile, **store.match_counts(db, profile)}


def _find_matches(db: Database, history: pd.DataFrame, synthetic: bool = False) -> list[tuple[str, str, str, str | None]]:
    """(track_key, catalog_track_id, method, source) for every history track the catalog has
    (the demo's synthetic catalog only for the demo itself)."""
    if history.empty:
        return []
    ids = history["track_id"].dropna().unique().tolist()
    keys = names.history_keys(history).dropna().astype("str")
    titles = keys.str.split("\t", n=1).str[1].unique().tolist()
    catalog = pd.DataFrame(store.catalog_candidates(db, ids, titles, synthetic))
    if catalog.empty:
        return []
    source = dict(zip(catalog["track_id"], catalog["source"]))
    stored_keys = catalog["name_key"].astype("str")
    found = matching.match_tracks(history, catalog.drop(columns=["name_key", "source"]), stored_keys)
    return [(k, t, m, source.get(t)) for k, t, m in zip(found["track_key"], found["catalog_track_id"], found["method"])]


def undo_match(db: Database, profile: str, track_key: str) -> None:
    """Undo a wrong name match: the track counts as unmatched, also after later imports.

    Raises ValueError when the track has no match, or is matched by its Spotify id
    (an id match is exact, there is nothing to undo).
    """
    method = store.undo_track_match(db, profile, track_key)
    if method is None:
        raise ValueError(f"profile {profile!r} has no match for track {track_key!r}")
    if method != "name":
        raise ValueError(f"track {track_key!r} is matched by its Spotify id, which is exact: nothing to undo")


def restore_match(db: Database, profile: str, track_key: str) -> None:
    """Undo an undo: the name match counts again."""
    store.set_match_undone(db, profile, track_key, False)


def rematch_all(db: Database, progress: Progress = no_progress) -> dict[str, dict]:
    """Match every profile's history against the catalog again (after edits or deletions)."""
    profiles = store.profiles_with_music(db)
    out = {}
    for number, profile in enumerate(profiles):
        progress(number / max(len(profiles), 1), f"Matching the history of '{profile}'")
        out[profile] = match_history(db, profile)
    return out
