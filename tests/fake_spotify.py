"""A local fake of the Spotify Web API and accounts service, for tests (no network).

One ``http.server`` in a thread on 127.0.0.1, port 0. It serves the endpoints Encore uses
with scripted data, records every request (method, path with query, JSON or form body,
bearer token) and can be told to fail the next matching request: a status with headers,
or a dropped connection (closed without any reply).

    fake = FakeSpotify().start()
    fake.api_url        # http://127.0.0.1:PORT/v1/
    fake.accounts_url   # http://127.0.0.1:PORT  (/authorize, /api/token)
    fake.fail("POST", "/v1/playlists/", status=503)   # or drop=True
    fake.stop()
"""
from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CLIENT_ID = "fake-client-id-0123456789"
USER_ID = "tester"
CLOSED = ("/v1/audio-features", "/v1/recommendations", "/v1/audio-analysis")
SCOPE_ALL = ("user-read-recently-played", "user-library-read", "user-top-read", "user-follow-read",
             "playlist-read-private", "playlist-read-collaborative", "playlist-modify-private",
             "playlist-modify-public")


def track_id(n: int) -> str:
    """A 22-character track id for test track number n."""
    return f"t{n:021d}"


def track(n: int, name: str | None = None, artist: str | None = None, album: str = "Album",
          duration_ms: int = 200_000, artist_id: str | None = None, popularity: int = 50,
          album_id: str | None = None, release_date: str = "2020-05-01") -> dict:
    """A full track object, as search and the library return it (popularity, album with id and date)."""
    tid = track_id(n)
    aid = artist_id or f"a{n}"
    return {"id": tid, "uri": f"spotify:track:{tid}", "type": "track", "name": name or f"Song {n}",
            "artists": [{"id": aid, "name": artist or f"Artist {n}", "uri": f"spotify:artist:{aid}"}],
            "album": {"id": album_id or f"al{n}", "name": album, "release_date": release_date},
            "duration_ms": duration_ms, "is_local": False, "popularity": popularity, "explicit": False}


def artist(n: int) -> dict:
    return {"id": f"ar{n}", "uri": f"spotify:artist:ar{n}", "name": f"Followed {n}", "type": "artist"}


@dataclass
class Failure:
    method: str
    path_prefix: str
    status: int | None = None
    headers: dict = field(default_factory=dict)
    body: dict | None = None
    drop: bool = False  # close the connection without a reply, before doing anything
    drop_after_apply: bool = False  # do the request, then close without a reply (the reply is lost)
    after: int = 0  # let this many matching requests through first


@dataclass
class Recorded:
    method: str
    path: str  # with query string
    body: object  # parsed JSON or form dict, or None
    token: str | None  # the bearer token sent


class FakeSpotify:
    def __init__(self, page_size: int = 50) -> None:
        self.page_size = page_size
        self.requests: list[Recorded] = []
        self.failures: list[Failure] = []
        self.lock = threading.Lock()
        self.codes: dict[str, dict] = {}  # code -> {challenge, redirect_uri}
        self.access_tokens: set[str] = set()
        self.refresh_tokens: set[str] = set()
        self.counter = 0
        self.recently_played: list[dict] = []
        self.saved_tracks: list[dict] = []
        self.followed: list[dict] = []
        self.top: dict[str, list[dict]] = {"artists": [], "tracks": []}
        self.top_closed = False
        self.features_open = False  # an app created before November 2024 may still read audio features
        self.playlists: dict[str, dict] = {}  # id -> {name, description, owner, public, items: [uri]}
        self.catalog: list[dict] = []  # tracks that search finds
        self.genres: dict[str, list[str]] = {}  # track uri -> its artist's genres (search's genre: filter)
        self.albums: dict[str, dict] = {}  # album id -> {name, artist_id, release_date, tracks: [uri]}
        self.albums_closed = False  # artists' albums and albums' tracks answer 403 (closed to the app)
        self.tracks_by_uri: dict[str, dict] = {}
        self.server: ThreadingHTTPServer | None = None

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeSpotify:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                fake._handle(self, "GET")

            def do_POST(self):
                fake._handle(self, "POST")

            def do_PUT(self):
                fake._handle(self, "PUT")

            def do_DELETE(self):
                fake._handle(self, "DELETE")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def api_url(self) -> str:
        return self.base + "/v1/"

    @property
    def accounts_url(self) -> str:
        return self.base

    # --- scripting -------------------------------------------------------------------------

    def fail(self, method: str, path_prefix: str, status: int | None = None, headers: dict | None = None,
             body: dict | None = None, drop: bool = False, drop_after_apply: bool = False, after: int = 0) -> None:
        """Fail the next request whose method matches and whose path starts with path_prefix
        (after letting ``after`` of them through)."""
        self.failures.append(Failure(method, path_prefix, status, headers or {}, body, drop, drop_after_apply, after))

    def issue_token(self, expires_in: int = 3600) -> dict:
        """A token the fake accepts, shaped as spotipy keeps it (with expires_at)."""
        with self.lock:
            self.counter += 1
            access, refresh = f"access-{self.counter}-secret", f"refresh-{self.counter}-secret"
            self.access_tokens.add(access)
            self.refresh_tokens.add(refresh)
        return {"access_token": access, "token_type": "Bearer", "expires_in": expires_in,
                "refresh_token": refresh, "scope": " ".join(sorted(SCOPE_ALL)),
                "expires_at": int(time.time()) + expires_in}

    def revoke(self, access_token: str) -> None:
        self.access_tokens.discard(access_token)

    def add_playlist(self, name: str, uris: list[str], owner: str = USER_ID, description: str = "") -> str:
        with self.lock:
            self.counter += 1
            pid = f"pl{self.counter:020d}"
            self.playlists[pid] = {"name": name, "description": description, "owner": owner, "public": False,
                                   "collaborative": False, "items": list(uris)}
        return pid

    def add_tracks(self, tracks: list[dict], searchable: bool = True) -> None:
        for t in tracks:
            self.tracks_by_uri[t["uri"]] = t
        if searchable:
            self.catalog.extend(tracks)

    def add_album(self, album_id: str, name: str, artist_id: str, release_date: str, tracks: list[dict]) -> None:
        """An album of an artist with its tracks (which search finds only if added with add_tracks)."""
        for t in tracks:
            self.tracks_by_uri[t["uri"]] = t
        self.albums[album_id] = {"name": name, "artist_id": artist_id, "release_date": release_date,
                                 "tracks": [t["uri"] for t in tracks]}

    def api_calls(self) -> list[tuple[str, str]]:
        """(method, path) of every API request, in order (accounts requests left out)."""
        return [(r.method, r.path) for r in self.requests if r.path.startswith("/v1/")]

    def token_grants(self) -> list[str]:
        """The grant_type of every token request, in order."""
        return [r.body.get("grant_type") for r in self.requests if r.path == "/api/token"]

    # --- serving ---------------------------------------------------------------------------

    def _handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        content_type = h.headers.get("Content-Type") or ""
        if "x-www-form-urlencoded" in content_type:
            body: object = dict(urllib.parse.parse_qsl(raw.decode()))
        else:
            body = json.loads(raw) if raw else None
        auth = h.headers.get("Authorization") or ""
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None
        with self.lock:
            self.requests.append(Recorded(method, h.path, body, token))
            failure = next((f for f in self.failures if f.method == method and h.path.startswith(f.path_prefix)), None)
            if failure and failure.after:
                failure.after -= 1
                failure = None
            elif failure:
                self.failures.remove(failure)
        if failure and (failure.drop or failure.drop_after_apply):
            if failure.drop_after_apply:
                url = urllib.parse.urlsplit(h.path)
                self._api(method, url.path, dict(urllib.parse.parse_qsl(url.query)), body)
            h.close_connection = True
            h.connection.shutdown(2)  # closed without a reply: the client sees a dropped connection
            return
        if failure:
            payload = failure.body or {"error": {"status": failure.status, "message": "scripted failure"}}
            return self._send(h, failure.status, payload, failure.headers)
        url = urllib.parse.urlsplit(h.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        path = url.path.rstrip("/") or "/"  # spotipy asks for "me/" and "audio-features/"
        if path == "/authorize":
            return self._authorize(h, query)
        if path == "/api/token":
            return self._token(h, body or {})
        if not path.startswith("/v1/"):
            return self._send(h, 404, {"error": {"status": 404, "message": "not found"}})
        if token not in self.access_tokens:
            return self._send(h, 401, {"error": {"status": 401, "message": "The access token expired"}})
        if path.startswith(CLOSED) and not self.features_open:
            return self._send(h, 403, {"error": {"status": 403, "message": "Forbidden"}})
        status, payload = self._api(method, path, query, body)
        self._send(h, status, payload)

    def _send(self, h: BaseHTTPRequestHandler, status: int, payload, headers: dict | None = None) -> None:
        data = json.dumps(payload).encode() if payload is not None else b""
        h.send_response(status)
        for k, v in (headers or {}).items():
            h.send_header(k, str(v))
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def _authorize(self, h: BaseHTTPRequestHandler, q: dict) -> None:
        if q.get("client_id") != CLIENT_ID or q.get("code_challenge_method") != "S256" or not q.get("code_challenge"):
            return self._send(h, 400, {"error": "invalid_request"})
        with self.lock:
            self.counter += 1
            code = f"code-{self.counter}"
            self.codes[code] = {"challenge": q["code_challenge"], "redirect_uri": q["redirect_uri"],
                                "scope": q.get("scope", "")}
        target = q["redirect_uri"] + "?" + urllib.parse.urlencode({"code": code, "state": q.get("state", "")})
        h.send_response(302)
        h.send_header("Location", target)
        h.send_header("Content-Length", "0")
        h.end_headers()

    def _token(self, h: BaseHTTPRequestHandler, form: dict) -> None:
        if form.get("client_id") != CLIENT_ID:
            return self._send(h, 400, {"error": "invalid_client"})
        if "client_secret" in form or h.headers.get("Authorization"):
            return self._send(h, 400, {"error": "invalid_request", "error_description": "PKCE takes no secret"})
        if form.get("grant_type") == "authorization_code":
            entry = self.codes.pop(form.get("code"), None)
            verifier = form.get("code_verifier") or ""
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
            if entry is None or entry["challenge"] != challenge or entry["redirect_uri"] != form.get("redirect_uri"):
                return self._send(h, 400, {"error": "invalid_grant", "error_description": "code verifier mismatch"})
        elif form.get("grant_type") == "refresh_token":
            if form.get("refresh_token") not in self.refresh_tokens:
                return self._send(h, 400, {"error": "invalid_grant", "error_description": "Refresh token revoked"})
        else:
            return self._send(h, 400, {"error": "unsupported_grant_type"})
        token = self.issue_token()
        token.pop("expires_at")
        if form.get("grant_type") == "refresh_token":
            token.pop("refresh_token")  # Spotify may answer a refresh without a new refresh token
        self._send(h, 200, token)

    def _page(self, path: str, query: dict, items: list, wrap: str | None = None) -> dict:
        limit = min(int(query.get("limit", 20)), self.page_size)
        offset = int(query.get("offset", 0))
        chunk = items[offset:offset + limit]
        nxt = None
        if offset + limit < len(items):
            q = dict(query, offset=offset + limit, limit=limit)
            nxt = f"{self.api_url}{path.removeprefix('/v1/')}?{urllib.parse.urlencode(q)}"
        page = {"items": chunk, "total": len(items), "limit": limit, "offset": offset, "next": nxt}
        return {wrap: page} if wrap else page

    def _api(self, method: str, path: str, q: dict, body) -> tuple[int, object]:
        parts = path.removeprefix("/v1/").split("/")
        if method == "GET" and path == "/v1/me":
            return 200, {"id": USER_ID, "display_name": "Test Person"}
        if method == "GET" and path == "/v1/me/player/recently-played":
            return 200, {"items": self.recently_played[: int(q.get("limit", 20))], "next": None}
        if method == "GET" and path == "/v1/me/tracks":
            return 200, self._page(path, q, self.saved_tracks)
        if method == "GET" and path == "/v1/me/following":
            return 200, self._page(path, q, self.followed, wrap="artists")
        if method == "GET" and parts[:2] == ["me", "top"]:
            if self.top_closed:
                return 403, {"error": {"status": 403, "message": "Forbidden"}}
            return 200, self._page(path, q, self.top[parts[2]])
        if method == "GET" and path == "/v1/me/playlists":
            return 200, self._page(path, q, [self._playlist_json(pid) for pid in self.playlists])
        if method == "POST" and path == "/v1/me/playlists":
            pid = self.add_playlist(body["name"], [], description=body.get("description", ""))
            self.playlists[pid]["public"] = body.get("public", True)
            return 201, self._playlist_json(pid)
        if parts[0] == "playlists" and len(parts) >= 2:
            playlist = self.playlists.get(parts[1])
            if playlist is None:
                return 404, {"error": {"status": 404, "message": "Not found."}}
            if len(parts) == 2 and method == "PUT":
                playlist.update({k: v for k, v in body.items() if k in ("name", "description", "public")})
                return 200, None
            if len(parts) == 3 and parts[2] == "items":
                return self._items(method, path, q, body, playlist)
        if method == "GET" and path == "/v1/audio-features":
            return 200, {"audio_features": [
                {"id": i, "danceability": 0.5, "energy": 0.25, "key": 5, "loudness": -6.0, "mode": 1,
                 "speechiness": 0.05, "acousticness": 0.1, "instrumentalness": 0.0, "liveness": 0.1, "valence": 0.75,
                 "tempo": 120.0, "duration_ms": 200_000} if i in {t["id"] for t in self.tracks_by_uri.values()}
                else None for i in q["ids"].split(",")]}
        if method == "GET" and path == "/v1/search":
            if int(q.get("limit", 10)) > 10:
                return 400, {"error": {"status": 400, "message": "Invalid limit"}}
            if 'track:"' not in q["q"] and _FILTER.search(q["q"]):
                return 200, self._page(path, q, self._filtered(q["q"]), wrap="tracks")
            words = _title_words(q["q"])
            hits = [t for t in self.catalog if set(t["name"].lower().split()) & words]
            return 200, {"tracks": {"items": hits[: int(q.get("limit", 10))], "next": None}}
        if method == "GET" and parts[0] in ("artists", "albums") and len(parts) == 3:
            if self.albums_closed:
                return 403, {"error": {"status": 403, "message": "Forbidden"}}
            if parts[0] == "artists" and parts[2] == "albums":
                if int(q.get("limit", 20)) > 10:  # development-mode apps: 10 albums a page
                    return 400, {"error": {"status": 400, "message": "Invalid limit"}}
                albums = [{"id": aid, "name": a["name"], "release_date": a["release_date"], "album_type": "album",
                           "uri": f"spotify:album:{aid}"} for aid, a in self.albums.items() if a["artist_id"] == parts[1]]
                return 200, self._page(path, q, albums)
            if parts[0] == "albums" and parts[2] == "tracks" and parts[1] in self.albums:
                simplified = [{k: v for k, v in self.tracks_by_uri[u].items() if k not in ("album", "popularity")}
                              for u in self.albums[parts[1]]["tracks"]]
                return 200, self._page(path, q, simplified)
        return 404, {"error": {"status": 404, "message": "Service not found"}}

    def _filtered(self, q: str) -> list[dict]:
        return [t for t in self.catalog if _matches(t, self.genres.get(t["uri"], []), q)]

    def _items(self, method: str, path: str, q: dict, body, playlist: dict) -> tuple[int, object]:
        if method == "GET":
            if playlist["owner"] != USER_ID:  # since February 2026: items only of one's own playlists
                return 403, {"error": {"status": 403, "message": "Forbidden"}}
            entries = [{"added_at": "2026-01-02T00:00:00Z", "item": self.tracks_by_uri.get(u, {"uri": u})}
                       for u in playlist["items"]]
            page = self._page(path, q, entries)
            return 200, ({"total": page["total"]} if q.get("fields") == "total" else page)
        if method == "POST":
            uris = body["uris"] if isinstance(body, dict) else body
            if len(uris) > 100:
                return 400, {"error": {"status": 400, "message": "Too many items"}}
            playlist["items"].extend(uris)
            return 201, {"snapshot_id": f"snap{len(playlist['items'])}"}
        if method == "DELETE":
            gone = {i["uri"] for i in body["items"]}
            playlist["items"] = [u for u in playlist["items"] if u not in gone]
            return 200, {"snapshot_id": f"snap{len(playlist['items'])}"}
        return 405, {"error": {"status": 405, "message": "Method not allowed"}}

    def _playlist_json(self, pid: str) -> dict:
        p = self.playlists[pid]
        return {"id": pid, "name": p["name"], "description": p["description"], "owner": {"id": p["owner"]},
                "collaborative": p["collaborative"], "public": p["public"], "uri": f"spotify:playlist:{pid}",
                "items": {"total": len(p["items"])}}


_FILTER = re.compile(r'(artist|genre):"([^"]*)"|year:(\d{4})(?:-(\d{4}))?')


def _matches(t: dict, genres: list[str], q: str) -> bool:
    """Whether a track meets every artist:/genre:/year: filter of a query (case folded)."""
    for field_, value, first, last in _FILTER.findall(q):
        if field_ == "artist" and value.lower() not in [a["name"].lower() for a in t["artists"]]:
            return False
        if field_ == "genre" and value.lower() not in genres:
            return False
        if first:
            year = int(t["album"]["release_date"][:4])
            if not int(first) <= year <= int(last or first):
                return False
    return True


def _title_words(q: str) -> set[str]:
    # 'track:"Let It Be" artist:"The Beatles"' -> the title's words
    title = q.split('track:"', 1)[1].split('"', 1)[0] if 'track:"' in q else q
    return set(title.lower().split())
