"""Songs the listener has never streamed, found on Spotify for Discover (the source "Spotify").

Since February/March 2026 a development-mode app has no artist top tracks, new releases,
several-tracks/albums/artists endpoints, related artists, recommendations or audio features;
search answers at most ``SEARCH_LIMIT`` (10) results a call and an artist's albums come 10 a
page. What is left, and what a run asks, in this order:

1. for each of the listener's most-streamed artists (``artists`` of them, most first): one
   search ``artist:"X"`` (up to 10 tracks, each with its popularity and album), which also
   gives the artist's id;
2. that artist's albums and singles: one page of 10;
3. the tracks of the newest ``albums_per_artist`` of them: one call each;
4. then one search ``genre:"g" year:A-B`` for each of the ``genres`` genres the listener's
   catalog-matched songs have most, A-B the years they listened in.

**Cost**: at most ``planned_calls`` = artists × (2 + albums_per_artist) + genres calls. The
defaults, 20 artists with 2 albums each and 5 genres, are 20 searches + 20 album pages + up
to 40 album-track calls + 5 genre searches = at most 85 calls, one per ``min_interval_s``
(0.2 s: about 20 s). Every answer is stored (``store.record_spotify_request``) before the
next call: a request answered once is never asked again, so a second run costs no call and
an interrupted run continues where it stopped. ``max_calls`` caps one run.

**Failures degrade**: a 429 whose Retry-After is longer than Encore waits, a lost sign-in,
no connection or any other refusal stops the run; a 403 on an endpoint Spotify closed to the
app (artists' albums, albums' tracks) skips that kind of request and the searches carry on.
Whatever was answered is kept either way, and ``FindResult.stopped_by`` says what stopped it.

The songs become rows of the catalog ``store.SPOTIFY_CATALOG`` (names, album, release date,
popularity 0–100 from search results, a genre from a genre search) and each album a catalog
list (kind 'album'), so the taste model reads them as it reads any catalog. Only real tracks
are kept (a ``spotify:track:`` uri with an id, a title and an artist; no local files).
Whether the listener streamed one is the taste model's question (``core.taste.discovery``):
Discover offers only songs never streamed.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import spotipy
from sqlite_utils import Database

from core import store
from core.base import Progress, no_progress
from core.history.frame import DEFAULT_MIN_MS
from core.names import primary_artist
from core.spotify.client import SEARCH_LIMIT, SpotifyClosedError, SpotifyError, call
from core.spotify.resolve import accept_result, query_text, search_query
from core.spotify.sync import first_artist

ARTISTS = 20  # the listener's most-streamed artists a run starts from
ALBUMS_PER_ARTIST = 2  # the newest albums (and singles) of each whose tracks are read
GENRES = 5  # genre searches
MAX_CALLS = 100  # requests one run may send
ALBUMS_PAGE = 10  # an artist's albums per page (the API's limit for development-mode apps)
ALBUM_TRACKS_PAGE = 50


def planned_calls(artists: int = ARTISTS, albums_per_artist: int = ALBUMS_PER_ARTIST, genres: int = GENRES) -> int:
    """The most requests a full run asks (see the module docstring): fewer when an artist is
    not found, has fewer albums, or a request was answered before."""
    return artists * (2 + albums_per_artist) + genres


@dataclass
class FindResult:
    calls: int  # requests sent to Spotify by this run
    from_store: int  # requests answered by an earlier run (no call)
    tracks: int  # distinct real tracks in every answer stored so far
    added: int  # of them, new in the catalog with this run
    empty: list[str] = field(default_factory=list)  # requests of this run's plan that found nothing
    skipped: list[str] = field(default_factory=list)  # kinds of request Spotify refused to this app (403)
    stopped_by: str | None = None  # why the run ended before its plan (None: it did all of it)

    def message(self) -> str:
        """One paragraph a person can read: what was found, what was refused, what stopped it."""
        parts = [f"{_count(self.calls, 'request')} to Spotify ({self.from_store:,} more answered by earlier runs); "
                 f"{_count(self.tracks, 'song')} found on Spotify so far, {self.added:,} new in this run."]
        if self.empty:
            parts.append(f"Nothing found for {len(self.empty)}: {', '.join(self.empty[:5])}"
                         f"{'…' if len(self.empty) > 5 else ''}.")
        for kind in self.skipped:
            parts.append(f"Spotify refused {kind} to this app (403), so only searches were used.")
        if self.stopped_by:
            parts.append(self.stopped_by)
        if self.added:
            parts.append("Train the taste model again to rank them on Discover.")
        return " ".join(parts)


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


class _Stop(Exception):
    """The run ends here; the message says why."""


def listener_artists(db: Database, profile: str, limit: int) -> list[str]:
    """The ``limit`` artists the listener streams most (by their primary artist), each as the
    artist field they streamed most under."""
    counts: dict[str, int] = {}
    spelling: dict[str, str] = {}
    for field_, streams in store.streams_by_artist(db, profile, DEFAULT_MIN_MS):
        key = primary_artist(field_)
        if key is None:
            continue
        counts[key] = counts.get(key, 0) + streams
        spelling.setdefault(key, field_)  # most streamed first
    ranked = sorted(counts, key=lambda k: (-counts[k], k))
    return [spelling[k] for k in ranked[:limit]]


def listener_genres(db: Database, profile: str, limit: int) -> list[str]:
    """The ``limit`` genres most of the listener's catalog-matched songs have."""
    counts: dict[str, int] = {}
    for genre in store.matched_genres(db, profile)["genre"]:
        counts[genre] = counts.get(genre, 0) + 1
    return sorted(counts, key=lambda g: (-counts[g], g))[:limit]


def listening_years(db: Database, profile: str) -> tuple[int, int] | None:
    summary = store.play_summary(db, profile)
    if not summary["first_play"]:
        return None
    return int(summary["first_play"][:4]), int(summary["last_play"][:4])


def _is_real(track: dict | None) -> bool:
    return bool(track and track.get("id") and str(track.get("uri", "")).startswith("spotify:track:")
                and not track.get("is_local") and track.get("name") and first_artist(track))


def _album(album: dict | None) -> dict:
    album = album or {}
    return {"id": album.get("id"), "name": album.get("name"), "release_date": album.get("release_date")}


def _track(track: dict, album: dict | None = None) -> dict:
    """What Encore keeps of a track object (search results carry popularity and album)."""
    return {"id": track["id"], "name": track["name"],
            "artists": [{"id": a.get("id"), "name": a.get("name")} for a in track.get("artists") or []],
            "album": _album(album if album is not None else track.get("album")),
            "popularity": track.get("popularity"), "explicit": track.get("explicit"),
            "duration_ms": track.get("duration_ms")}


class _Asker:
    """Answers a request from the store, else asks Spotify (within the budget, one call per
    ``min_interval_s``) and stores the answer before returning it."""

    def __init__(self, db: Database, sp: spotipy.Spotify, max_calls: int, min_interval_s: float,
                 sleep: Callable[[float], None], should_stop: Callable[[], bool] | None) -> None:
        self.db, self.sp = db, sp
        self.max_calls, self.min_interval_s, self.sleep, self.should_stop = max_calls, min_interval_s, sleep, should_stop
        self.calls = self.from_store = 0
        self.last = 0.0

    def ask(self, request: str, kind: str, what: str, fetch: Callable[[], object], keep: Callable[[object], object],
            closed: bool = False) -> object:
        stored = store.spotify_request(self.db, request)
        if stored is not None:
            self.from_store += 1
            return stored
        if self.calls >= self.max_calls:
            raise _Stop(f"This run's budget of {self.max_calls:,} requests is used up: run it again to continue "
                        "(nothing is asked twice).")
        if self.should_stop and self.should_stop():
            raise _Stop("Stopped on request: run it again to continue (nothing is asked twice).")
        wait = self.min_interval_s - (time.monotonic() - self.last)
        if wait > 0:
            self.sleep(wait)
        self.last = time.monotonic()
        self.calls += 1
        try:
            answer = keep(call(self.sp, what, fetch, closed=closed))
        except SpotifyClosedError:
            raise
        except SpotifyError as exc:
            raise _Stop(str(exc)) from None
        with store.write_transaction(self.db):
            store.record_spotify_request(self.db, request, kind, answer)
        return answer


def find_new_songs(db: Database, sp: spotipy.Spotify, profile: str, progress: Progress = no_progress,
                   artists: int = ARTISTS, albums_per_artist: int = ALBUMS_PER_ARTIST, genres: int = GENRES,
                   max_calls: int = MAX_CALLS, min_interval_s: float = 0.2, sleep: Callable[[float], None] = time.sleep,
                   should_stop: Callable[[], bool] | None = None) -> FindResult:
    """Find songs for Discover on Spotify, starting from the listener's most-streamed artists
    (see the module docstring for what is asked, what it costs and how failures degrade).

    Every answer stored so far then becomes rows of the catalog ``store.SPOTIFY_CATALOG``
    (also after a stop: nothing answered is lost); the catalog version is bumped when that
    changed anything, so the taste model says it is out of date.
    """
    asker = _Asker(db, sp, max_calls, min_interval_s, sleep, should_stop)
    empty: list[str] = []
    skipped: list[str] = []
    stopped_by = None
    seeds = listener_artists(db, profile, artists)
    genre_list = listener_genres(db, profile, genres)
    years = listening_years(db, profile)
    total = max(planned_calls(len(seeds), albums_per_artist, len(genre_list)), 1)

    def search(query: str, genre: str | None) -> list[dict]:
        progress(min(asker.calls + asker.from_store, total) / total, f"Searching Spotify: {query}")
        answer = asker.ask(f"search {query}", "search", f"searching Spotify for {query}",
                           lambda: sp.search(q=query, type="track", limit=SEARCH_LIMIT),
                           lambda r: {"genre": genre, "tracks": [_track(t) for t in ((r or {}).get("tracks") or {})
                                                                   .get("items") or [] if _is_real(t)]})
        if not answer["tracks"]:
            empty.append(query)
        return answer["tracks"]

    try:
        for name in seeds:
            found = search(f'artist:"{query_text(name)}"', None)
            wanted = primary_artist(name)
            artist_id = next((a["id"] for t in found for a in t["artists"]
                              if a.get("id") and primary_artist(a.get("name")) == wanted), None)
            if artist_id is None or "artists' albums" in skipped:
                continue
            progress(min(asker.calls + asker.from_store, total) / total, f"Reading the albums of {name}")
            try:
                albums = asker.ask(
                    f"artist albums {artist_id}", "artist albums", f"reading the albums of {name}",
                    lambda: sp.artist_albums(artist_id, include_groups="album,single", limit=ALBUMS_PAGE),
                    lambda r: [_album(a) for a in (r or {}).get("items") or [] if a and a.get("id")], closed=True)
            except SpotifyClosedError:
                skipped.append("artists' albums")
                continue
            newest = sorted(albums, key=lambda a: a.get("release_date") or "", reverse=True)[:albums_per_artist]
            for album in newest:
                if "albums' tracks" in skipped:
                    break
                try:
                    asker.ask(f"album tracks {album['id']}", "album tracks", f"reading the album “{album['name']}”",
                              lambda album=album: sp.album_tracks(album["id"], limit=ALBUM_TRACKS_PAGE),
                              lambda r, album=album: {"album": album, "tracks": [
                                  _track(t, album) for t in (r or {}).get("items") or [] if _is_real(t)]},
                              closed=True)
                except SpotifyClosedError:
                    skipped.append("albums' tracks")
        for genre in genre_list:
            span = f" year:{years[0]}-{years[1]}" if years else ""
            search(f'genre:"{query_text(genre)}"{span}', genre)
    except _Stop as stop:
        stopped_by = str(stop)
    tracks, added = write_found_songs(db, new_answers=asker.calls > 0)
    progress(1.0, "Done.")
    return FindResult(asker.calls, asker.from_store, tracks, added, empty, skipped, stopped_by)


def find_track(db: Database, sp: spotipy.Spotify, artist: str, title: str) -> dict | None:
    """The Spotify track that is this (artist, title) by Encore's name rule (``accept_result``),
    or None; one search, asked once ever (the answer, found or not, is stored; only the
    accepted track is kept, and ``write_found_songs`` makes it a catalog row). Raises
    SpotifyError when Spotify does not answer."""
    query = search_query(artist, title)
    request = f"search {query}"
    answer = store.spotify_request(db, request)
    if answer is None:
        result = call(sp, f"searching Spotify for “{artist} — {title}”", sp.search, q=query, type="track",
                      limit=SEARCH_LIMIT)
        track = accept_result(artist, title, [t for t in (result.get("tracks") or {}).get("items") or []
                                              if _is_real(t)])
        answer = {"genre": None, "tracks": [_track(track)] if track else []}
        with store.write_transaction(db):
            store.record_spotify_request(db, request, "search", answer)
    return answer["tracks"][0] if answer["tracks"] else None


def _catalog_row(track: dict, genre: str | None) -> tuple:
    values = dict.fromkeys(store.CATALOG_COLUMNS)
    released = track["album"].get("release_date") or None
    values.update(track_id=track["id"], track_name=track["name"], artist_name=track["artists"][0]["name"],
                  album_name=track["album"].get("name"), genre=genre, release_date=released,
                  release_year=int(released[:4]) if released and released[:4].isdigit() else None,
                  popularity=track.get("popularity"), explicit=None if track.get("explicit") is None
                  else int(bool(track["explicit"])), duration_ms=track.get("duration_ms"))
    return tuple(values[c] for c in store.CATALOG_COLUMNS)


def write_found_songs(db: Database, new_answers: bool = True) -> tuple[int, int]:
    """Every stored answer -> rows of the catalog ``store.SPOTIFY_CATALOG``, its genres and
    its albums (catalog lists of kind 'album'), in one transaction. Idempotent: what an
    earlier run wrote is written again unchanged. The catalog version is bumped when rows,
    genres or albums were added, or (``new_answers``) answers came in since the last write.
    Returns (tracks, tracks new in the catalog)."""
    from core import catalog

    found: dict[str, dict] = {}
    genres: set[tuple[str, str]] = set()
    lists: set[tuple[str, str, str]] = set()
    for _, answer in store.spotify_request_results(db, "album tracks"):
        for track in answer["tracks"]:
            found.setdefault(track["id"], track)
            if answer["album"].get("id"):
                lists.add((track["id"], "album", answer["album"]["id"]))
    for _, answer in store.spotify_request_results(db, "search"):
        for track in answer["tracks"]:
            found[track["id"]] = track  # a search result knows the popularity
            if answer.get("genre"):
                genres.add((track["id"], answer["genre"]))
    genre_of = {}
    for tid, genre in sorted(genres):
        genre_of.setdefault(tid, genre)
    rows = sorted(_catalog_row(t, genre_of.get(tid)) for tid, t in found.items())
    with store.write_transaction(db):
        before = {t: store.count_rows(db, t) for t in ("catalog_tracks", "catalog_genres", "catalog_lists")}
        store.write_catalog(db, store.SPOTIFY_CATALOG, rows, sorted(genres), lists=sorted(lists))
        catalog.fill_name_keys(db)
        grown = {t: store.count_rows(db, t) - n for t, n in before.items()}
        if rows:
            store.record_catalog(db, store.SPOTIFY_CATALOG, len(rows), len(rows), "(Spotify Web API)",
                                 "Spotify search and albums", json.dumps({"albums": len({a for _, _, a in lists})}))
        if new_answers or any(grown.values()):
            store.bump_catalog_version(db)
    added = grown["catalog_tracks"]
    return len(found), added
