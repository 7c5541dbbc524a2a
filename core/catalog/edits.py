"""Browsing and editing catalog entries, validated by the import's own rules."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from sqlite_utils import Database

from core import store
from core.catalog.catalogs import rematch_all
from core.catalog.files import (
    EDIT_NUMBER_FIELDS,
    EDIT_TEXT_FIELDS,
    INTEGER_FIELDS,
    SHARES,
    name_keys,
    valid_dates,
    valid_numbers,
)
from core.errors import CatalogEditError


def _edited_number(field_name: str, value: object) -> float | int | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise CatalogEditError(field_name, f"{value!r} is not a number.", "Type a number, or leave it empty.") from None
    if field_name == "explicit":
        if number not in (0.0, 1.0):
            raise CatalogEditError(field_name, f"{value!r} is not 0 or 1.", "Use 1 for explicit, 0 for not.")
        return int(number)
    if not bool(valid_numbers(field_name, pd.Series([number])).iloc[0]):
        raise CatalogEditError(field_name, f"{value!r} is outside its valid range.", _RANGE_HINTS.get(
            field_name, "Check the value."))
    return int(number) if field_name in INTEGER_FIELDS else number


_RANGE_HINTS = {
    **{share: "Audio feature shares lie between 0 and 1." for share in SHARES},
    "loudness": "Loudness lies between -60 and 0 dB.",
    "tempo": "Tempo lies above 0 and up to 300 BPM; leave it empty when unknown.",
    "key": "Key is a whole number from 0 (C) to 11 (B).",
    "mode": "Mode is 1 (major) or 0 (minor).",
    "popularity": "Popularity is a whole number from 0 to 100.",
    "release_year": "The release year is a whole number from 1800 to 2100.",
    "duration_ms": "The duration is a whole number of milliseconds above 0.",
}


def validate_edit(changes: Mapping[str, object]) -> dict:
    """Check a person's edit of one catalog track by the import's rules; return the values to store.

    Text is stripped (empty -> NULL); ``track_name`` may not be empty; numbers must lie in
    their valid range. Raises CatalogEditError naming the field and the fix.
    """
    out: dict = {}
    for field_name, value in changes.items():
        if field_name in EDIT_TEXT_FIELDS:
            text = None if value is None or (isinstance(value, float) and np.isnan(value)) else str(value).strip()
            text = text or None
            if field_name == "track_name" and text is None:
                raise CatalogEditError(field_name, "is empty.", "Every catalog track needs a title.")
            if field_name == "release_date" and text is not None and not bool(
                    valid_dates(pd.Series([text], dtype=object)).iloc[0]):
                raise CatalogEditError(field_name, f"{text!r} is not a date.",
                                       "Write it as YYYY, YYYY-MM or YYYY-MM-DD, from 1800 on.")
            out[field_name] = text
        elif field_name in EDIT_NUMBER_FIELDS:
            out[field_name] = _edited_number(field_name, value)
        else:
            raise CatalogEditError(field_name, "cannot be edited.", f"Edit only: {', '.join(store.CATALOG_EDIT_COLUMNS)}.")
    return out


def edit_track(db: Database, track_id: str, changes: Mapping[str, object]) -> dict:
    """Change values of one catalog track (a wrong feature value, a misspelt name).

    A changed artist or title gets a new name key and every history is matched again, so
    a fixed name can match (or stop matching). A new genre replaces the track's genres.
    Returns the stored values. Raises CatalogEditError (nothing stored) on a bad value.
    """
    current = store.catalog_track(db, track_id)
    if current is None:
        raise CatalogEditError("track_id", f"{track_id!r} is not in the catalog.", "Search for the track again.")
    values = validate_edit(changes)
    values = {k: v for k, v in values.items() if v != current.get(k)}
    if not values:
        return current
    renamed = {"artist_name", "track_name"} & set(values)
    if renamed:
        names = pd.DataFrame([{"artist_name": values.get("artist_name", current["artist_name"]),
                               "track_name": values.get("track_name", current["track_name"])}])
        key = name_keys(names).iloc[0]
        values["name_key"] = key if isinstance(key, str) else None
    genres = None
    if "genre" in values:
        genres = [values["genre"]] if values["genre"] else []
    with store.write_transaction(db):
        store.update_catalog_track(db, track_id, values, genres)
        store.bump_catalog_version(db)
    if renamed:
        rematch_all(db)
    return store.catalog_track(db, track_id)


def delete_tracks(db: Database, track_ids: list[str]) -> int:
    """Delete catalog tracks (and the matches pointing at them), then match the histories again
    so a track can fall back on another catalog entry. Returns how many were deleted."""
    with store.write_transaction(db):
        deleted = store.delete_catalog_tracks(db, track_ids)
        store.bump_catalog_version(db)
    rematch_all(db)
    return deleted


def remove_catalog(db: Database, name: str) -> int:
    """Forget an imported catalog and the tracks it brought; match the histories again."""
    with store.write_transaction(db):
        deleted = store.delete_catalog(db, name)
        store.bump_catalog_version(db)
    rematch_all(db)
    return deleted
