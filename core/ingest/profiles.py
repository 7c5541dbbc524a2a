"""Whose listening this is: naming, renaming and deleting profiles, sharing, undoing an import.

Rules (where the issues were silent, these are the choices):
- A profile name is 1 to 60 characters after trimming, without control characters, and
  not the demo's name (``demo`` is reserved for the synthetic listener, which is read-only).
- The demo profile cannot be renamed; it can be deleted (and loaded again from Home).
- The last profile in a store cannot be deleted: there would be nowhere to be.
- Deleting a profile removes every row of it (plays, imports, playlists, library, matches,
  song edits, likes, models and their files, Spotify state) and its Explore snapshot.
- Sharing is off by default; another profile's plays train a model only when both sides
  chose to share, and the demo never does (``store.sharing_profiles``).
"""
from __future__ import annotations

import unicodedata
from pathlib import Path

from sqlite_utils import Database

from core import history, store
from core.errors import ProfileError
from core.ingest.importer import DEMO_PROFILE

MAX_NAME = 60


def check_name(name: str) -> str:
    """The name trimmed, or ProfileError saying what is wrong with it."""
    clean = (name or "").strip()
    if not clean:
        raise ProfileError("A profile needs a name: type one (for example your first name).")
    if len(clean) > MAX_NAME:
        raise ProfileError(f"A profile name can be at most {MAX_NAME} characters (this one has {len(clean):,}). "
                           "Choose a shorter name.")
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in clean):
        raise ProfileError("A profile name cannot hold control characters. Type it again as plain text.")
    if clean.casefold() == DEMO_PROFILE:
        raise ProfileError(f"“{DEMO_PROFILE}” is the demo listener's profile. Choose another name for yours.")
    return clean


def create_profile(db: Database, name: str) -> str:
    """A new (empty) profile; return its name."""
    clean = check_name(name)
    if store.profile_exists(db, clean):
        raise ProfileError(f"There is already a profile called “{clean}”. Pick it in the sidebar, or choose "
                           "another name.")
    store.ensure_profile(db, clean)
    return clean


def rename_profile(db: Database, old: str, new: str) -> str:
    """Rename a profile everywhere its rows are; return the new name."""
    if not store.profile_exists(db, old):
        raise ProfileError(f"There is no profile called “{old}” to rename.")
    if store.is_demo_profile(db, old):
        raise ProfileError("The demo profile cannot be renamed (it is rebuilt as “demo” whenever it is loaded).")
    clean = check_name(new)
    if clean == old:
        return old
    if store.profile_exists(db, clean):
        raise ProfileError(f"There is already a profile called “{clean}”. Choose another name.")
    store.rename_profile(db, old, clean)
    return clean


def delete_profile(db: Database, db_path: str | Path, name: str) -> dict[str, int]:
    """Delete a profile with everything of it; return the rows deleted per table."""
    if not store.profile_exists(db, name):
        raise ProfileError(f"There is no profile called “{name}” to delete.")
    if len(store.list_profiles(db)) == 1:
        raise ProfileError(f"“{name}” is the only profile in this store, so it cannot be deleted. Create or import "
                           "another profile first.")
    counts, model_files = store.delete_profile(db, name)
    for path in model_files:
        Path(path).unlink(missing_ok=True)
    history.forget_snapshots(db_path, name)
    return counts


def undo_import(db: Database, import_id: int) -> dict:
    """Undo one import exactly (``store.undo_import``); ImportUndoError when it cannot be."""
    return store.undo_import(db, import_id)
