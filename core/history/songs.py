"""Songs: one song however many Spotify ids it has — the unit everywhere a person sees tracks.

The same song is played under several track ids (the album and the single, a compilation,
a regional copy), and exports without ids name it by artist and title. The rule, in one
place:

- **Same primary artist and the same title** is one song, after folding case, accents,
  punctuation, featured artists and remaster/edition tags ("- Remastered 2011",
  "(2015 Remaster)", "(Deluxe)", "- Radio Edit", "- Mono"...): the name key of
  ``core.names`` (its module docstring lists every word it folds).
- **Live, remix, acoustic, instrumental, demo, sped-up/slowed, karaoke** (and the other
  version words of ``core.names``) stay songs of their own, as do re-recordings
  ("Taylor's Version").
- A recording (a ``track_key``: its Spotify id, else "artist — title") belongs to one song:
  the one its most played name gives. Plays without an id join the song of their name.
- A recording whose names give no key (no artist or no title) is a song of its own.
- **The person decides last**: a recording split off its song is a song of its own
  (``split_key``), a recording joined to another song is in that song. Those edits are
  stored per recording (``store.song_edits``) and survive re-imports.

A song's key is its name key ("artist\\ttitle[\\tversion]"), its split key, or the track key
of a recording without names. It is a key, not a label: pages show a song by the title
and artist it was streamed under most (``core.explore.tops``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sqlite_utils import Database

from core import names, store
from core.errors import SongEditError

SPLIT_PREFIX = "\x1fsplit:"  # \x1f never occurs in a name key


def split_key(track_key: str) -> str:
    """The song key of a recording the person split off its song (a tab never occurs in a name key's parts)."""
    return SPLIT_PREFIX + track_key


def song_keys(tracks: pd.DataFrame, edits: dict[str, str] | None = None) -> pd.Series:
    """The song of each recording.

    ``tracks``: one row per recording with ``track_key``, ``artist_name`` and ``track_name``
    (its most played names). Returns the song keys as a Series indexed like ``tracks``.
    """
    keys = names.history_keys(tracks[["artist_name", "track_name"]].astype(object))
    out = pd.Series(keys.to_numpy(dtype=object, na_value=None), index=tracks.index, dtype=object)
    missing = out.isna().to_numpy()
    out[missing] = tracks["track_key"].to_numpy(dtype=object)[missing]
    if edits:
        edited = tracks["track_key"].map(edits)
        out = out.where(edited.isna(), edited)
    return out


def recordings(track_keys: np.ndarray, artists: np.ndarray, titles: np.ndarray,
               weights: np.ndarray | None = None) -> pd.DataFrame:
    """One row per recording with its most played (artist, title): ``track_key``,
    ``artist_name``, ``track_name``, ``plays``.

    ``track_keys``/``artists``/``titles`` are per play (codes or values); ``weights`` (per
    play, default 1) decide which spelling is "most played" — ties go to the first seen.
    """
    frame = pd.DataFrame({"track_key": track_keys, "artist_name": artists, "track_name": titles,
                          "plays": np.ones(len(track_keys), dtype="int64") if weights is None else weights})
    spellings = frame.groupby(["track_key", "artist_name", "track_name"], sort=False, dropna=False,
                              observed=True)["plays"].sum().reset_index()
    order = np.lexsort((np.arange(len(spellings)), -spellings["plays"].to_numpy()))
    best = spellings.iloc[order].drop_duplicates("track_key")
    totals = spellings.groupby("track_key", sort=False, observed=True)["plays"].sum()
    return best.assign(plays=best["track_key"].map(totals).to_numpy()).reset_index(drop=True)


# --- the person's edits ---------------------------------------------------------------------


def _recordings_of(plays: pd.DataFrame) -> dict[str, set[str]]:
    music = plays.loc[plays["song_key"].notna().to_numpy(), ["song_key", "track_key"]].astype(object)
    out: dict[str, set[str]] = {}
    for song, track in zip(music["song_key"], music["track_key"]):
        out.setdefault(song, set()).add(track)
    return out


def split(db: Database, profile: str, plays: pd.DataFrame, track_key: str) -> str:
    """Split one recording off its song (a wrong merge): it becomes a song of its own.
    ``plays``: the profile's frame. Returns the new song key."""
    songs = _recordings_of(plays)
    song = next((s for s, tracks in songs.items() if track_key in tracks), None)
    if song is None:
        raise SongEditError(f"There is no recording “{track_key}” in this profile's plays, so nothing was split. "
                            "Pick one of the song's recordings listed on the page.")
    if len(songs[song]) == 1:
        raise SongEditError("That recording is the song's only one: there is nothing to split it from.")
    store.set_song_edits(db, profile, [(track_key, split_key(track_key))])
    return split_key(track_key)


def join(db: Database, profile: str, plays: pd.DataFrame, song_key: str, into: str) -> int:
    """Join every recording of song ``song_key`` to song ``into`` (a missed merge); return how
    many recordings moved."""
    songs = _recordings_of(plays)
    for key in (song_key, into):
        if key not in songs:
            raise SongEditError("One of those songs is not in this profile's plays (any more), so nothing was "
                                "joined. Reload the page and pick both songs again.")
    if song_key == into:
        raise SongEditError("That is the same song: pick another one to join it with.")
    moved = sorted(songs[song_key])
    store.set_song_edits(db, profile, [(track, into) for track in moved])
    return len(moved)


def undo_edits(db: Database, profile: str, track_keys: list[str]) -> int:
    """Put recordings back where the song rule puts them; return how many had an edit."""
    return store.remove_song_edits(db, profile, track_keys)
