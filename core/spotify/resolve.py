"""Finding Spotify ids for plays that have none (account and 2020 exports), through search.

Every (artist, title) is searched once, found or not, and remembered in the store; an
interrupted run resumes where it stopped, most played first.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import spotipy
from sqlite_utils import Database

from core import store
from core.base import Progress, no_progress
from core.spotify.client import SEARCH_LIMIT, SpotifyError, call
from core.spotify.sync import first_artist


def query_text(value: str) -> str:
    """A name as a search field's value: without the quotes and colons that would change the query."""
    return " ".join(value.replace('"', " ").replace(":", " ").split())


def search_query(artist: str, title: str) -> str:
    return f'track:"{query_text(title)}" artist:"{query_text(artist)}"'


def accept_result(artist: str, title: str, candidates: Sequence[dict]) -> dict | None:
    """The first search result that is the same recording by Encore's name rule, or None.

    Accepted only when ``core.matching.name_key`` of (one of the result's artists, its title)
    equals that of the play: case, accents, punctuation, "feat." and neutral suffixes
    ("- Remastered 2011", "- Radio Edit") are folded, but a version tag must be equal, so a
    live, remix or acoustic version never stands for the studio title (nor the reverse).
    Spotify's order decides between several equal results.
    """
    from core.names import name_key

    wanted = name_key(artist, title)
    if wanted is None:
        return None
    for track in candidates:
        if not track or not track.get("uri", "").startswith("spotify:track:"):
            continue
        if any(name_key(a.get("name"), track.get("name")) == wanted for a in track.get("artists") or []):
            return track
    return None


@dataclass
class ResolveResult:
    searched: int  # searches done by this run
    found: int  # of them, accepted
    remaining: int  # distinct (artist, title) still never searched
    plays_updated: int  # plays that got a track uri
    stopped: bool  # stopped early (max_searches or should_stop); run again to continue


def resolve_track_ids(db: Database, sp: spotipy.Spotify, profile: str, progress: Progress = no_progress,
                      max_searches: int | None = None, should_stop: Callable[[], bool] | None = None,
                      min_interval_s: float = 0.2, sleep: Callable[[float], None] = time.sleep) -> ResolveResult:
    """Find Spotify ids for music plays that have none (account and 2020 exports) by search.

    Most-played titles first; each search is stored as soon as it is answered (found or
    not) and never repeated, so an interruption loses at most the one in flight and the next
    run continues. At most one search per ``min_interval_s``. Found uris are then written
    into the plays (also those found by an earlier, interrupted run), the data version is
    bumped and the catalog matching re-run. A rate limit stops the run with its message
    after applying what was found.
    """
    todo = store.unresolved_track_names(db, profile)
    total = len(todo) if max_searches is None else min(len(todo), max_searches)
    searched = found = 0
    stopped = False
    error: SpotifyError | None = None
    last = 0.0
    for artist, title, _plays in todo:
        if searched >= total or (should_stop and should_stop()):
            stopped = True
            break
        progress(searched / max(total, 1), f"Searching {searched + 1:,} of {total:,}: {artist} — {title}")
        wait = min_interval_s - (time.monotonic() - last)
        if wait > 0:
            sleep(wait)
        last = time.monotonic()
        try:
            result = call(sp, f"searching for “{artist} — {title}”", sp.search, q=search_query(artist, title),
                          type="track", limit=SEARCH_LIMIT)
        except SpotifyError as exc:
            error = exc
            stopped = True
            break
        track = accept_result(artist, title, (result.get("tracks") or {}).get("items") or [])
        with store.write_transaction(db):
            store.record_spotify_search(db, artist, title, track["uri"] if track else None,
                                        first_artist(track) if track else None, track.get("name") if track else None)
        searched += 1
        found += track is not None
    updated = apply_resolved_ids(db, profile)
    remaining = len(store.unresolved_track_names(db, profile))
    progress(1.0, f"Searched {searched:,}; found {found:,}; {updated:,} plays now have a track id.")
    if error is not None:
        raise error
    return ResolveResult(searched, found, remaining, updated, stopped and remaining > 0)


def apply_resolved_ids(db: Database, profile: str) -> int:
    """Write found uris into plays; bump the data version and re-match the catalog if any changed."""
    with store.write_transaction(db):
        updated = store.apply_spotify_searches(db, profile)
        if updated:
            store.bump_data_version(db)
    if updated:
        from core import catalog
        catalog.match_history(db, profile)
    return updated
