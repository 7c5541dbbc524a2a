"""The Spotify connection: sign-in (PKCE), sync into the store, id resolution, saving playlists.

The spotipy adapter. Never imports streamlit: the page passes in a dict it owns for the
token (``st.session_state``), the spotipy client, the store and a ``progress(fraction,
message)`` callback. Every failure a person can meet is a ``SpotifyError`` whose message
says what to do; no message ever holds the client id, a token or a code.

Built for the Web API as it is since the 2024 and February 2026 changes: audio features,
recommendations and related artists are closed to new apps (403); development-mode apps
allow 5 users and need the owner's Premium; playlists are created with ``POST
/me/playlists`` and filled through ``/playlists/{id}/items`` (spotipy 2.26's helpers use
exactly these paths, so they are called as they are); playlist entries name their track
``item`` (``track`` is the deprecated old name, read as a fallback); search returns at most
10 results a call; redirect URIs must be loopback IP addresses, never ``localhost``.

Retries (``make_client``): 429 is retried only when ``Retry-After`` is at most
``MAX_WAIT_S``; a longer wait stops at once with the time to try again. 5xx and read errors
are retried with backoff for GET/PUT/DELETE; POST (create a playlist, add items) is retried
only on connection errors (the request never left) and on 429 (not processed), because a
repeated POST could add the same tracks twice — ``resume_save`` handles the rest.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ipaddress
import logging
import os
import re
import secrets
import time
import urllib.parse
import warnings
from collections.abc import Callable, Iterator, MutableMapping, Sequence
from dataclasses import dataclass

import requests
import spotipy
from spotipy.cache_handler import CacheHandler
from spotipy.exceptions import SpotifyBaseException, SpotifyException, SpotifyOauthError
from sqlite_utils import Database
from urllib3.exceptions import MaxRetryError, ResponseError
from urllib3.util.retry import Retry

from core import store
from core.errors import EncoreError

Progress = Callable[[float, str], None]

API_URL = "https://api.spotify.com/v1/"
ACCOUNTS_URL = "https://accounts.spotify.com"
DEFAULT_REDIRECT_URI = "http://127.0.0.1:8501/spotify"
SCOPES = (
    "user-read-recently-played",
    "user-library-read",
    "user-top-read",
    "user-follow-read",
    "playlist-read-private",
    "playlist-read-collaborative",
    "playlist-modify-private",
    "playlist-modify-public",
)
TOKEN_KEY = "spotify_token"  # where the token lives in the caller's dict
MAX_WAIT_S = 10.0  # the longest Retry-After Encore waits out; beyond it, stop and say when
RETRIES = 3
BACKOFF_S = 0.5
TIMEOUT_S = 15
CHUNK = 100  # items per add/remove request (the API's limit)
SEARCH_LIMIT = 10  # results per search call (the API's limit since 2026)
PLAY_MATCH_S = store.SPOTIFY_PLAY_MATCH_S  # a synced play within this many seconds of a stored one is the same play
PENDING_SIGN_IN_S = 600  # a sign-in link is good for this long

CLOSED_EXPLANATION = (
    "Spotify closed this part of its Web API to new apps in November 2024 (audio features, "
    "recommendations and related artists). Apps created since then get “403 Forbidden” and there is "
    "no setting to change that. Encore carries on with what it can do locally: audio features come "
    "from catalog files on the Catalog page."
)


# --- errors -----------------------------------------------------------------------------


class SpotifyError(EncoreError):
    """A problem talking to Spotify; the message says what to do."""


class SpotifyConfigError(SpotifyError):
    """The client id or redirect URI is missing or unusable."""


class SpotifyAuthError(SpotifyError):
    """Not signed in, or Spotify no longer accepts the sign-in."""


class SpotifyRateLimitError(SpotifyError):
    """Spotify asked Encore to wait longer than it will wait on a page."""

    def __init__(self, what: str, retry_after_s: float | None, now: dt.datetime | None = None) -> None:
        self.retry_after_s = retry_after_s
        now = now or dt.datetime.now(dt.timezone.utc)
        if retry_after_s is None:
            when = "in a few minutes"
            self.retry_at = None
        else:
            self.retry_at = now + dt.timedelta(seconds=retry_after_s)
            when = f"after {self.retry_at:%Y-%m-%d %H:%M} UTC (in {_duration(retry_after_s)})"
        super().__init__(f"Spotify is limiting requests from this app while {what}. Try again {when}. "
                         "Nothing was lost: what was done so far is saved.")


class SpotifyUnavailableError(SpotifyError):
    """Spotify (or the network) failed after a few retries."""


class SpotifyClosedError(SpotifyError):
    """A 403 from an endpoint Spotify closed to new apps."""


class SpotifyRequestError(SpotifyError):
    """Spotify refused a request for another reason (a 4xx)."""


class PlaylistSaveError(SpotifyError):
    """Saving a playlist stopped part-way; ``resume_save`` continues it."""

    def __init__(self, playlist_id: int, message: str) -> None:
        self.playlist_id = playlist_id
        super().__init__(message)


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


# --- logs -------------------------------------------------------------------------------

_SECRET_IN_LOG = re.compile(
    r"(Bearer\s+|Basic\s+)[A-Za-z0-9._~+/=-]+"
    r"|(['\"]?(?:access_token|refresh_token|code|code_verifier|client_id)['\"]?\s*[:=]\s*['\"]?)[^'\"&,}\s]+")


class _RedactSecrets(logging.Filter):
    """spotipy's DEBUG lines print request headers and bodies: the bearer token, the refresh
    token, the code and its verifier. They are replaced by "…" before any handler sees them."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _SECRET_IN_LOG.sub(lambda m: (m.group(1) or m.group(2) or "") + "…", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


for _name in ("spotipy.client", "spotipy.oauth2", "spotipy.util", "spotipy.cache_handler"):
    # a filter on "spotipy" would not see its children's records: one per logger
    if not any(isinstance(f, _RedactSecrets) for f in logging.getLogger(_name).filters):
        logging.getLogger(_name).addFilter(_RedactSecrets())


# --- configuration ----------------------------------------------------------------------


@dataclass(frozen=True)
class SpotifyConfig:
    client_id: str
    redirect_uri: str = DEFAULT_REDIRECT_URI
    api_url: str = API_URL  # ends with "/"
    accounts_url: str = ACCOUNTS_URL  # no trailing "/"
    scopes: tuple[str, ...] = SCOPES

    @property
    def authorize_url(self) -> str:
        return f"{self.accounts_url}/authorize"

    @property
    def token_url(self) -> str:
        return f"{self.accounts_url}/api/token"


def check_redirect_uri(uri: str) -> str:
    """Return the redirect URI if Spotify accepts it, else raise SpotifyConfigError.

    Spotify refuses ``localhost`` and plain http except on a loopback IP address.
    """
    parts = urllib.parse.urlsplit(uri)
    host = parts.hostname or ""
    fix = f"Use a loopback IP address, for example {DEFAULT_REDIRECT_URI}, and register exactly that in your Spotify app."
    if host == "localhost":
        raise SpotifyConfigError(f"The redirect URI {uri} uses “localhost”, which Spotify refuses. {fix}")
    if parts.scheme not in ("http", "https") or not host:
        raise SpotifyConfigError(f"The redirect URI {uri!r} is not an http(s) address. {fix}")
    if parts.scheme == "http":
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise SpotifyConfigError(f"The redirect URI {uri} uses plain http on a host that is not a loopback "
                                     f"IP address; Spotify refuses that. {fix}")
    return uri


def load_config(client_id: str | None = None, environ: MutableMapping[str, str] | None = None) -> SpotifyConfig:
    """The configuration from arguments and the environment.

    ``SPOTIFY_CLIENT_ID`` (unless ``client_id`` is given), ``SPOTIFY_REDIRECT_URI``, and for
    tests ``ENCORE_SPOTIFY_API_URL`` / ``ENCORE_SPOTIFY_ACCOUNTS_URL``.
    """
    env = os.environ if environ is None else environ
    client_id = (client_id or env.get("SPOTIFY_CLIENT_ID") or "").strip()
    if not client_id:
        raise SpotifyConfigError(
            "No Spotify client id. Create an app at developer.spotify.com, then set SPOTIFY_CLIENT_ID in the "
            "environment or put SPOTIFY_CLIENT_ID = \"…\" in .streamlit/secrets.toml and restart Encore.")
    api_url = env.get("ENCORE_SPOTIFY_API_URL") or API_URL
    return SpotifyConfig(
        client_id=client_id,
        redirect_uri=check_redirect_uri(env.get("SPOTIFY_REDIRECT_URI") or DEFAULT_REDIRECT_URI),
        api_url=api_url if api_url.endswith("/") else api_url + "/",
        accounts_url=(env.get("ENCORE_SPOTIFY_ACCOUNTS_URL") or ACCOUNTS_URL).rstrip("/"),
    )


# --- sign-in (PKCE) ---------------------------------------------------------------------


class DictCacheHandler(CacheHandler):
    """Keeps the token in a dict the caller owns (a person's session), never in a file."""

    def __init__(self, holder: MutableMapping, key: str = TOKEN_KEY) -> None:
        self.holder = holder
        self.key = key

    def get_cached_token(self) -> dict | None:
        return self.holder.get(self.key)

    def save_token_to_cache(self, token_info: dict) -> None:
        self.holder[self.key] = dict(token_info)


class SessionPKCE(spotipy.SpotifyPKCE):
    """spotipy's PKCE manager that never prompts: without a usable token it raises.

    spotipy would otherwise ask for the redirect URL on the server's terminal (``input()``)
    and freeze the page.
    """

    def get_authorization_code(self, response=None):  # noqa: D102 - spotipy's signature
        if response:
            return super().get_authorization_code(response)
        raise SpotifyAuthError("You are not signed in to Spotify (or the sign-in has expired). Sign in again.")


def make_auth(config: SpotifyConfig, holder: MutableMapping) -> SessionPKCE:
    """A PKCE auth manager whose token lives in ``holder[TOKEN_KEY]``; no client secret."""
    auth = SessionPKCE(client_id=config.client_id, redirect_uri=config.redirect_uri, scope=list(config.scopes),
                       cache_handler=DictCacheHandler(holder), open_browser=False, requests_timeout=TIMEOUT_S)
    # instance attributes: pointing one manager at a fake server must not move every other one
    auth.OAUTH_AUTHORIZE_URL = config.authorize_url
    auth.OAUTH_TOKEN_URL = config.token_url
    return auth


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def begin_sign_in(config: SpotifyConfig, pending: MutableMapping, now: float | None = None) -> str:
    """The authorize URL for a new sign-in; remembers its verifier in ``pending`` by state.

    ``pending`` must outlive the person's session: Spotify's redirect back opens a new
    browser session, so the page keeps it server-wide. It holds only random one-time
    values (a verifier is useless without the code Spotify sends to the person's browser),
    each dropped after use or ``PENDING_SIGN_IN_S``.
    """
    now = time.time() if now is None else now
    for state, entry in list(pending.items()):
        if now - entry["created"] > PENDING_SIGN_IN_S:
            pending.pop(state, None)
    state = secrets.token_urlsafe(16)
    verifier = secrets.token_urlsafe(64)
    pending[state] = {"verifier": verifier, "created": now}
    query = urllib.parse.urlencode({
        "client_id": config.client_id,
        "response_type": "code",
        "redirect_uri": config.redirect_uri,
        "code_challenge_method": "S256",
        "code_challenge": _challenge(verifier),
        "scope": " ".join(config.scopes),
        "state": state,
    })
    return f"{config.authorize_url}?{query}"


def finish_sign_in(config: SpotifyConfig, pending: MutableMapping, holder: MutableMapping, code: str | None,
                   state: str | None, error: str | None = None, now: float | None = None) -> None:
    """Exchange the code Spotify redirected back with for a token kept in ``holder``."""
    if error:
        raise SpotifyAuthError(f"Spotify did not sign you in ({error}). Try again; if you refused access, "
                               "Encore cannot read or save anything.")
    entry = pending.pop(state, None) if state else None
    now = time.time() if now is None else now
    if not code or entry is None or now - entry["created"] > PENDING_SIGN_IN_S:
        raise SpotifyAuthError("This sign-in link has expired or was already used. Click “Sign in with Spotify” again.")
    auth = make_auth(config, holder)
    auth.code_verifier = entry["verifier"]
    auth.code_challenge = _challenge(entry["verifier"])
    try:
        auth.get_access_token(code=code, check_cache=False)
    except SpotifyOauthError as exc:
        raise SpotifyAuthError(f"Spotify refused the sign-in ({exc.error or 'unknown error'}). Click “Sign in with "
                               "Spotify” again; check that the redirect URI registered in your app is "
                               f"{config.redirect_uri}.") from None
    except requests.RequestException:
        raise SpotifyUnavailableError("Could not reach Spotify's sign-in service. Check the connection and sign "
                                      "in again.") from None


def is_signed_in(holder: MutableMapping) -> bool:
    token = holder.get(TOKEN_KEY)
    return bool(token and token.get("access_token"))


def sign_out(holder: MutableMapping) -> None:
    """Forget the token (Spotify keeps the app's access until the person removes it there)."""
    holder.pop(TOKEN_KEY, None)


# --- the client ---------------------------------------------------------------------------


class CappedRetry(Retry):
    """urllib3's Retry that gives up at once when Retry-After is longer than ``max_wait``.

    Plain Retry sleeps for whatever Retry-After says (real imports have seen a day), or
    with ``retry_after_max`` sleeps the cap and asks again in vain. Giving up returns the
    429 response (``raise_on_status=False``) so its Retry-After reaches the error message.
    """

    def __init__(self, *args, max_wait: float = MAX_WAIT_S, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.max_wait = max_wait

    def new(self, **kw):
        kw.setdefault("max_wait", self.max_wait)
        return super().new(**kw)

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if status_code == 429:  # not processed: safe to repeat for any method
            return bool(self.total)
        return super().is_retry(method, status_code, has_retry_after)

    def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):
        if response is not None and response.status == 429:
            wait = _retry_after(response.headers.get("Retry-After"))
            if wait is not None and wait > self.max_wait:
                raise MaxRetryError(_pool, url, ResponseError(f"Retry-After {wait:.0f} s is longer than the cap"))
        return super().increment(method, url, response=response, error=error, _pool=_pool, _stacktrace=_stacktrace)


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        try:
            when = dt.datetime.strptime(value, "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=dt.timezone.utc)
        except ValueError:
            return None
        return max((when - dt.datetime.now(dt.timezone.utc)).total_seconds(), 0.0)


def make_session(max_wait: float = MAX_WAIT_S) -> requests.Session:
    """A requests session with Encore's retry rules (see the module docstring)."""
    retry = CappedRetry(
        total=RETRIES, connect=RETRIES, read=RETRIES, status=RETRIES, other=0,
        allowed_methods=frozenset({"GET", "PUT", "DELETE"}),
        status_forcelist=(429, 500, 502, 503, 504), backoff_factor=BACKOFF_S, backoff_max=8,
        raise_on_status=False, respect_retry_after_header=True, retry_after_max=int(max_wait) + 1,
        max_wait=max_wait,
    )
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def make_client(config: SpotifyConfig, holder: MutableMapping, max_wait: float = MAX_WAIT_S) -> spotipy.Spotify:
    """A spotipy client for the person whose token is in ``holder``, pointed at ``config``'s URLs."""
    auth = make_auth(config, holder)
    client = spotipy.Spotify(auth_manager=auth, requests_session=make_session(max_wait), requests_timeout=TIMEOUT_S)
    client.prefix = config.api_url
    return client


def _secrets_of(sp: spotipy.Spotify) -> list[str]:
    auth = sp.auth_manager
    values = [getattr(auth, "client_id", None)]
    token = auth.cache_handler.get_cached_token() if auth is not None else None
    if token:
        values += [token.get("access_token"), token.get("refresh_token")]
    return [v for v in values if v]


def _scrub(text: str, hidden: Sequence[str]) -> str:
    for value in hidden:
        text = text.replace(value, "…")
    return text


def _spotify_message(exc: SpotifyException) -> str:
    # spotipy's msg is "<url>:\n <message>"; the URL says nothing a person needs
    msg = str(exc.msg or "")
    return msg.split(":\n", 1)[-1].strip() or "no details"


def call(sp: spotipy.Spotify, what: str, method: Callable, *args, closed: bool = False, **kwargs):
    """Call a spotipy method, turning every failure into a SpotifyError about ``what``.

    A 401 gets one refresh of the token and one more try. ``closed``: the endpoint is one
    Spotify closed to new apps, so a 403 means exactly that.
    """
    for attempt in (1, 2):
        try:
            if attempt == 2:
                _refresh(sp)  # inside the try: a refused refresh is translated like any failure
            return method(*args, **kwargs)
        except SpotifyException as exc:
            if exc.http_status == 401 and attempt == 1 and _refresh_token(sp):
                continue
            raise _translate(sp, what, exc, closed) from None
        except SpotifyOauthError as exc:
            sign_out(sp.auth_manager.cache_handler.holder)
            raise SpotifyAuthError(f"Spotify no longer accepts this sign-in ({exc.error or 'refused'}) while {what}. "
                                   "Sign in again.") from None
        except requests.RequestException as exc:
            raise SpotifyUnavailableError(_scrub(
                f"Could not reach Spotify while {what} ({type(exc).__name__}). Check the connection and try "
                "again; nothing was lost.", _secrets_of(sp))) from None
        except SpotifyBaseException as exc:  # any other spotipy complaint
            raise SpotifyRequestError(_scrub(f"Spotify failed while {what}: {exc}", _secrets_of(sp))) from None
    raise AssertionError("unreachable")


def _refresh_token(sp: spotipy.Spotify) -> str | None:
    token = sp.auth_manager.cache_handler.get_cached_token()
    return (token or {}).get("refresh_token")


def _refresh(sp: spotipy.Spotify) -> None:
    sp.auth_manager.refresh_access_token(_refresh_token(sp))


def _translate(sp: spotipy.Spotify, what: str, exc: SpotifyException, closed: bool) -> SpotifyError:
    status = exc.http_status
    detail = _scrub(_spotify_message(exc), _secrets_of(sp))
    if status == 429:
        return SpotifyRateLimitError(what, _retry_after((exc.headers or {}).get("Retry-After")))
    if status == 401:
        sign_out(sp.auth_manager.cache_handler.holder)
        return SpotifyAuthError(f"Spotify no longer accepts this sign-in while {what}. Sign in again.")
    if status == 403 and closed:
        return SpotifyClosedError(f"Spotify refused {what} (403). {CLOSED_EXPLANATION}")
    if status == 403:
        return SpotifyRequestError(
            f"Spotify refused {what} (403: {detail}). A development-mode app works only for the people listed "
            "under “User Management” in the app's dashboard (up to 5), and only while its owner has Premium.")
    if status >= 500:
        return SpotifyUnavailableError(f"Spotify failed while {what} ({status}: {detail}). Try again later; "
                                       "nothing was lost.")
    return SpotifyRequestError(f"Spotify refused {what} ({status}: {detail}).")


def pages(sp: spotipy.Spotify, what: str, first: dict, key: str | None = None) -> Iterator[dict]:
    """Every item of a paged result, following its ``next`` URLs (``key``: the inner page)."""
    page = first[key] if key else first
    while True:
        yield from page.get("items") or []
        if not page.get("next"):
            return
        result = call(sp, what, sp.next, page)
        page = result[key] if key and key in result else result


# --- sync ---------------------------------------------------------------------------------


def _iso_second(value: str) -> str:
    """'2026-11-21T18:00:00.123Z' -> '2026-11-21T18:00:00Z' (the store's play time)."""
    when = dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(dt.timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _artist(track: dict) -> str | None:
    artists = track.get("artists") or []
    return artists[0].get("name") if artists else None


def _entry_track(entry: dict) -> dict | None:
    # February 2026: playlist entries name their content "item"; "track" is the old name
    track = entry.get("item") or entry.get("track")
    return track if isinstance(track, dict) else None


def recent_play_row(item: dict) -> tuple:
    """A play tuple (store.PLAY_COLUMNS) from one recently-played item.

    The API does not say how long the person listened: ms_played is the track's length.
    """
    track = item["track"]
    values = dict.fromkeys(store.PLAY_COLUMNS)
    values.update(
        played_at=_iso_second(item["played_at"]),
        ms_played=int(track.get("duration_ms") or 0),
        content_type="music",
        track_name=track.get("name"),
        artist_name=_artist(track),
        album_name=(track.get("album") or {}).get("name"),
        track_uri=track.get("uri"),
    )
    return tuple(values[c] for c in store.PLAY_COLUMNS)


def _epoch(iso: str) -> int:
    return int(dt.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc).timestamp())


def _iso(epoch: int) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_recent_plays(db: Database, profile: str, rows: Sequence[tuple]) -> list[tuple]:
    """The rows not already in the store: a stored play is the same play when it ended within
    ``PLAY_MATCH_S`` seconds and has the same track id, or — account exports have no ids and
    minute precision — ended within 60 s with the same artist and title."""
    if not rows:
        return []
    at = store.PLAY_COLUMNS.index("played_at")
    uri_at, artist_at, title_at = (store.PLAY_COLUMNS.index(c) for c in ("track_uri", "artist_name", "track_name"))
    ends = [_epoch(r[at]) for r in rows]
    stored = store.plays_near(db, profile, _iso(min(ends) - 60), _iso(max(ends) + 60))
    fresh = []
    for row, end in zip(rows, ends):
        track_id = (row[uri_at] or "").removeprefix("spotify:track:") or None
        same = any(
            (track_id and tid == track_id and abs(t - end) <= PLAY_MATCH_S)
            or (tid is None and artist == row[artist_at] and title == row[title_at] and abs(t - end) <= 60)
            for t, tid, artist, title in stored)
        if not same:
            fresh.append(row)
    return fresh


@dataclass
class SyncResult:
    part: str
    fetched: int
    added: int
    note: str | None = None


def _done(db: Database, profile: str, result: SyncResult) -> SyncResult:
    store.record_spotify_sync(db, profile, result.part, result.fetched, result.added, result.note)
    return result


def sync_recently_played(db: Database, sp: spotipy.Spotify, profile: str) -> SyncResult:
    """Add the last 50 plays (all the API gives) that the store does not have yet.

    Also drops plays synced earlier that an export imported since then holds too, so a
    play is never counted twice whichever came first.
    """
    result = call(sp, "reading your recently played tracks", sp.current_user_recently_played, limit=50)
    rows = [recent_play_row(item) for item in result.get("items") or [] if item.get("track")]
    with db.atomic():
        store.ensure_profile(db, profile)
        # plays synced earlier that an export imported since then holds too: the export's row wins
        covered = store.delete_spotify_plays_covered(db, profile, PLAY_MATCH_S)
        fresh = new_recent_plays(db, profile, rows)
        added = store.insert_plays(db, profile, None, "spotify", fresh)
        if added or covered:
            store.bump_data_version(db)
        return _done(db, profile, SyncResult("recently played", len(rows), added,
                                             "Spotify gives only the last 50 plays; your export is the real history."))


def _library_row(kind: str, obj: dict) -> tuple:
    album = (obj.get("album") or {}).get("name") if kind == "track" else None
    return (kind, obj["uri"], obj.get("name"), _artist(obj) if kind == "track" else None, album, obj["uri"])


def sync_saved_tracks(db: Database, sp: spotipy.Spotify, profile: str) -> SyncResult:
    what = "reading your saved tracks"
    first = call(sp, what, sp.current_user_saved_tracks, limit=50)
    items = [_library_row("track", e["track"]) for e in pages(sp, what, first) if e.get("track")]
    with db.atomic():
        store.ensure_profile(db, profile)
        added = store.insert_library_items(db, profile, items)
        return _done(db, profile, SyncResult("saved tracks", len(items), added))


def sync_followed_artists(db: Database, sp: spotipy.Spotify, profile: str) -> SyncResult:
    what = "reading the artists you follow"
    first = call(sp, what, sp.current_user_followed_artists, limit=50)
    items = [_library_row("artist", a) for a in pages(sp, what, first, key="artists")]
    with db.atomic():
        store.ensure_profile(db, profile)
        added = store.insert_library_items(db, profile, items)
        return _done(db, profile, SyncResult("followed artists", len(items), added))


TIME_RANGES = ("short_term", "medium_term", "long_term")


def sync_top_items(db: Database, sp: spotipy.Spotify, profile: str) -> SyncResult:
    """Top artists and tracks for each time range, where the API still serves them."""
    fetched, refused = 0, []
    for kind, method in (("artist", sp.current_user_top_artists), ("track", sp.current_user_top_tracks)):
        for time_range in TIME_RANGES:
            what = f"reading your top {kind}s ({time_range.replace('_', ' ')})"
            try:
                page = call(sp, what, method, limit=50, time_range=time_range)
            except SpotifyRequestError:  # 403/404: not served to this app; the rest still is
                refused.append(f"{kind}s/{time_range}")
                continue
            rows = [(o["uri"], o.get("name"), _artist(o) if kind == "track" else None) for o in page.get("items") or []]
            with db.atomic():
                fetched += store.replace_spotify_top_items(db, profile, kind, time_range, rows)
    note = f"Spotify did not serve: {', '.join(refused)}." if refused else None
    with db.atomic():
        return _done(db, profile, SyncResult("top artists and tracks", fetched, fetched, note))


def _playlist_items(track: dict, added: str | None) -> tuple:
    uri = track.get("uri")
    is_track = track.get("type", "track") == "track"
    kind = "local" if track.get("is_local") else ("track" if is_track else "episode")
    track_id = uri.removeprefix("spotify:track:") if uri and uri.startswith("spotify:track:") else None
    artist = _artist(track) if is_track else (track.get("show") or {}).get("name")
    album = (track.get("album") or {}).get("name") if is_track else None
    return (kind, track.get("name"), artist, album, uri, track_id, (added or "")[:10] or None)


def sync_playlists(db: Database, sp: spotipy.Spotify, profile: str, progress: Progress | None = None) -> SyncResult:
    """The person's playlists with their items (source 'spotify'), mirroring the account.

    Since February 2026 Spotify serves the items only of playlists the person owns or
    collaborates on; the others are stored with their name and no items.
    """
    me = call(sp, "reading your profile", sp.me)
    what = "reading your playlists"
    listed = list(pages(sp, what, call(sp, what, sp.current_user_playlists, limit=50)))
    records, without_items = [], 0
    for number, playlist in enumerate(listed, start=1):
        if progress:
            progress(number / max(len(listed), 1), f"Playlist {number} of {len(listed)}: {playlist.get('name')}")
        items: tuple = ()
        if (playlist.get("owner") or {}).get("id") == me.get("id") or playlist.get("collaborative"):
            what_items = f"reading the playlist “{playlist.get('name')}”"
            try:
                first = call(sp, what_items, sp.playlist_items, playlist["id"], limit=50)
                items = tuple(_playlist_items(t, e.get("added_at")) for e in pages(sp, what_items, first)
                              if (t := _entry_track(e)))
            except SpotifyRequestError:
                without_items += 1
        else:
            without_items += 1
        records.append((playlist, items))
    changed = 0
    with db.atomic():
        store.ensure_profile(db, profile)
        seen: dict[str, int] = {}
        kept = []
        for playlist, items in records:
            name = playlist.get("name") or "(no name)"
            ordinal = seen.get(name, 0)
            seen[name] = ordinal + 1
            record = store.PlaylistRecord(name, ordinal, None, playlist.get("description") or None, items)
            changed += store.upsert_playlist(db, profile, "spotify", record)
            row = db.execute("SELECT id FROM playlists WHERE profile = ? AND source = 'spotify' AND name = ? "
                             "AND ordinal = ?", [profile, name, ordinal]).fetchone()
            store.set_playlist_spotify_id(db, row[0], playlist["id"])
            kept.append(row[0])
        store.delete_spotify_playlists_except(db, profile, kept)
        note = (f"{without_items} playlist(s) you follow but do not own: Spotify no longer serves their items."
                if without_items else None)
        return _done(db, profile, SyncResult("playlists", len(records), changed, note))


SYNC_PARTS: dict[str, Callable] = {
    "recently played": sync_recently_played,
    "saved tracks": sync_saved_tracks,
    "playlists": sync_playlists,
    "top artists and tracks": sync_top_items,
    "followed artists": sync_followed_artists,
}


def sync_all(db: Database, sp: spotipy.Spotify, profile: str,
             progress: Progress | None = None) -> tuple[list[SyncResult], list[SpotifyError]]:
    """Every sync part in turn; a part that fails does not stop the others (each is its own
    transaction). A rate limit or a lost sign-in stops the rest: every further call would
    meet it too."""
    results, errors = [], []
    for number, (part, sync) in enumerate(SYNC_PARTS.items()):
        if progress:
            progress(number / len(SYNC_PARTS), f"Syncing {part}…")
        try:
            results.append(sync(db, sp, profile))
        except (SpotifyRateLimitError, SpotifyAuthError) as exc:
            errors.append(exc)
            break
        except SpotifyError as exc:
            errors.append(exc)
    if progress:
        progress(1.0, "Sync finished.")
    return results, errors


# --- resolving track ids through search --------------------------------------------------


def _query_text(value: str) -> str:
    # quotes and field prefixes inside names would change the meaning of the query
    return " ".join(value.replace('"', " ").replace(":", " ").split())


def search_query(artist: str, title: str) -> str:
    return f'track:"{_query_text(title)}" artist:"{_query_text(artist)}"'


def accept_result(artist: str, title: str, candidates: Sequence[dict]) -> dict | None:
    """The first search result that is the same recording by Encore's name rule, or None.

    Accepted only when ``core.matching.name_key`` of (one of the result's artists, its title)
    equals that of the play: case, accents, punctuation, "feat." and neutral suffixes
    ("- Remastered 2011", "- Radio Edit") are folded, but a version tag must be equal, so a
    live, remix or acoustic version never stands for the studio title (nor the reverse).
    Spotify's order decides between several equal results.
    """
    from core.matching import name_key

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


def resolve_track_ids(db: Database, sp: spotipy.Spotify, profile: str, progress: Progress | None = None,
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
        if progress:
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
        with db.atomic():
            store.record_spotify_search(db, artist, title, track["uri"] if track else None,
                                        _artist(track) if track else None, track.get("name") if track else None)
        searched += 1
        found += track is not None
    updated = apply_resolved_ids(db, profile)
    remaining = len(store.unresolved_track_names(db, profile))
    if progress:
        progress(1.0, f"Searched {searched:,}; found {found:,}; {updated:,} plays now have a track id.")
    if error is not None:
        raise error
    return ResolveResult(searched, found, remaining, updated, stopped and remaining > 0)


def apply_resolved_ids(db: Database, profile: str) -> int:
    """Write found uris into plays; bump the data version and re-match the catalog if any changed."""
    with db.atomic():
        updated = store.apply_spotify_searches(db, profile)
        if updated:
            store.bump_data_version(db)
    if updated:
        from core import catalog
        catalog.match_history(db, profile)
    return updated


# --- saving playlists ---------------------------------------------------------------------


def track_uri(value: str) -> str:
    """A track uri from an id, uri or open.spotify.com link; ValueError for anything else."""
    value = value.strip()
    if value.startswith("spotify:track:"):
        track_id = value.removeprefix("spotify:track:")
    elif "open.spotify.com/" in value and "/track/" in value:
        track_id = value.split("/track/", 1)[1].split("?", 1)[0].split("/", 1)[0]
    else:
        track_id = value
    if not (track_id.isalnum() and track_id.isascii() and len(track_id) == 22):
        raise ValueError(f"{value!r} is not a Spotify track id, uri or link")
    return f"spotify:track:{track_id}"


def playlist_url(spotify_id: str) -> str:
    return f"https://open.spotify.com/playlist/{spotify_id}"


SAVE_TOKEN = re.compile(r"\[encore (?P<token>[0-9a-f]{10})\]$")


def save_token(description: str | None) -> str | None:
    """The token that ends a description Encore wrote, e.g. "Made with Encore [encore 3fa9c02b1e]"."""
    found = SAVE_TOKEN.search(description or "")
    return found.group("token") if found else None


def store_local_playlist(db: Database, profile: str, name: str, description: str | None,
                         uris: Sequence[str]) -> int:
    """Store a playlist locally (source 'encore') with the names the store knows; return its id.

    The description ends with a random save token (``[encore 3fa9c02b1e]``): if the reply
    to creating the playlist is lost, ``resume_save`` finds the playlist by it in the
    account instead of creating a second one.
    """
    description = f"{(description or '').strip()} [encore {secrets.token_hex(5)}]".strip()
    uris = [track_uri(u) for u in uris]
    ids = [u.removeprefix("spotify:track:") for u in uris]
    with db.atomic():
        store.ensure_profile(db, profile)
        names = store.known_track_names(db, ids)
        items = tuple(("track", *names.get(i, (None, None, None)), u, i, None) for u, i in zip(uris, ids))
        ordinal = store.next_playlist_ordinal(db, profile, "encore", name)
        store.upsert_playlist(db, profile, "encore", store.PlaylistRecord(name, ordinal, None, description, items))
        playlist_id = db.execute("SELECT id FROM playlists WHERE profile = ? AND source = 'encore' AND name = ? "
                                 "AND ordinal = ?", [profile, name, ordinal]).fetchone()[0]
        store.start_spotify_save(db, playlist_id, profile, len(uris))
    return playlist_id


def _find_saved_playlist(sp: spotipy.Spotify, token: str | None) -> str | None:
    """The id of the person's playlist whose description ends with this save token, or None."""
    if token is None:
        return None
    page = call(sp, "reading your playlists", sp.current_user_playlists, limit=50)
    while page:
        for item in page.get("items") or []:
            if item and save_token(item.get("description")) == token:
                return item["id"]
        page = call(sp, "reading your playlists", sp.next, page) if page.get("next") else None
    return None


def save_playlist(db: Database, sp: spotipy.Spotify, profile: str, name: str, uris: Sequence[str],
                  description: str = "", public: bool = False, progress: Progress | None = None) -> dict:
    """Store a playlist locally, then create it in the account and fill it in chunks of 100.

    Returns the save's row (``store.spotify_save``). A failure part-way raises
    PlaylistSaveError naming the chunk; ``resume_save`` continues without a second playlist.
    """
    name = name.strip()
    if not name:
        raise ValueError("a playlist needs a name")
    playlist_id = store_local_playlist(db, profile, name, description or None, uris)
    return resume_save(db, sp, playlist_id, public=public, progress=progress)


def resume_save(db: Database, sp: spotipy.Spotify, playlist_id: int, public: bool = False,
                progress: Progress | None = None) -> dict:
    """Continue saving a stored playlist: create it once, then add the chunks not yet added.

    A chunk whose request got no answer may have arrived anyway, so the playlist's item
    count in the account decides where to continue when it is ahead of the store's record.
    """
    playlist = store.playlist_row(db, playlist_id)
    state = store.spotify_save(db, playlist_id)
    if playlist is None or state is None:
        raise SpotifyError(f"There is no playlist save {playlist_id} to resume.")
    uris = store.playlist_track_uris(db, playlist_id)
    chunks = max((len(uris) + CHUNK - 1) // CHUNK, 1)
    spotify_id = state["spotify_id"]
    done = state["items_done"]

    def fail(exc: SpotifyError, what: str) -> PlaylistSaveError:
        with db.atomic():
            store.update_spotify_save(db, playlist_id, status="failed", error=f"{what}: {exc}")
        return PlaylistSaveError(playlist_id, f"Saving “{playlist['name']}” to Spotify stopped at {what}. {exc} "
                                              "The playlist is kept in Encore; use “Resume” to continue "
                                              "(no second playlist will be created).")

    if spotify_id is None and state["status"] == "failed":
        # an earlier create may have reached Spotify with its reply lost: look for its token
        try:
            spotify_id = _find_saved_playlist(sp, save_token(playlist["description"]))
        except SpotifyError as exc:
            raise fail(exc, "looking for the playlist created before") from None
        if spotify_id is not None:
            with db.atomic():
                store.update_spotify_save(db, playlist_id, spotify_id=spotify_id, status="pending", error=None)
                store.set_playlist_spotify_id(db, playlist_id, spotify_id)
            done = -1  # unknown: the account's item count decides below
    if spotify_id is None:
        try:
            created = call(sp, f"creating the playlist “{playlist['name']}”", sp.current_user_playlist_create,
                           playlist["name"], public=public, description=playlist["description"] or "")
        except SpotifyError as exc:
            raise fail(exc, "creating the playlist") from None
        spotify_id = created["id"]
        with db.atomic():
            store.update_spotify_save(db, playlist_id, spotify_id=spotify_id, status="pending", error=None)
            store.set_playlist_spotify_id(db, playlist_id, spotify_id)
    elif done < len(uris):
        try:
            remote = call(sp, f"checking the playlist “{playlist['name']}”", sp.playlist_items, spotify_id,
                          limit=1, fields="total")
        except SpotifyError as exc:
            raise fail(exc, f"checking chunk {max(done, 0) // CHUNK + 1} of {chunks}") from None
        total = int(remote.get("total") or 0)
        if done < total <= len(uris):
            done = total
        done = max(done, 0)
    start = done
    while start < len(uris):
        end = min(start + CHUNK, len(uris))
        number = start // CHUNK + 1
        if progress:
            progress(start / len(uris), f"Adding tracks {start + 1}–{end} of {len(uris)} (chunk {number} of {chunks})")
        try:
            call(sp, f"adding tracks {start + 1}–{end}", sp.playlist_add_items, spotify_id, uris[start:end])
        except SpotifyError as exc:
            raise fail(exc, f"chunk {number} of {chunks} (tracks {start + 1}–{end})") from None
        with db.atomic():
            store.update_spotify_save(db, playlist_id, items_done=end)
        start = end
    with db.atomic():
        store.update_spotify_save(db, playlist_id, status="done", error=None, items_done=len(uris))
    if progress:
        progress(1.0, f"Saved “{playlist['name']}” with {len(uris)} tracks.")
    return store.spotify_save(db, playlist_id)


def _saved_spotify_id(db: Database, playlist_id: int) -> tuple[dict, str]:
    playlist = store.playlist_row(db, playlist_id)
    if playlist is None or not playlist["spotify_id"]:
        raise SpotifyError("This playlist is not in your Spotify account yet: save it first.")
    return playlist, playlist["spotify_id"]


def rename_playlist(db: Database, sp: spotipy.Spotify, playlist_id: int, name: str) -> None:
    """Rename a saved playlist in the account and in the store."""
    playlist, spotify_id = _saved_spotify_id(db, playlist_id)
    name = name.strip()
    if not name:
        raise ValueError("a playlist needs a name")
    call(sp, f"renaming “{playlist['name']}”", sp.playlist_change_details, spotify_id, name=name)
    with db.atomic():
        store.rename_playlist(db, playlist_id, name)


def remove_tracks(db: Database, sp: spotipy.Spotify, playlist_id: int, uris: Sequence[str]) -> int:
    """Remove every occurrence of these tracks from a saved playlist (account and store)."""
    playlist, spotify_id = _saved_spotify_id(db, playlist_id)
    uris = list(dict.fromkeys(track_uri(u) for u in uris))
    for start in range(0, len(uris), CHUNK):
        call(sp, f"removing tracks from “{playlist['name']}”", sp.playlist_remove_all_occurrences_of_items,
             spotify_id, uris[start:start + CHUNK])
    with db.atomic():
        removed = store.remove_playlist_tracks(db, playlist_id, uris)
        state = store.spotify_save(db, playlist_id)
        if state:
            left = len(store.playlist_track_uris(db, playlist_id))
            store.update_spotify_save(db, playlist_id, total_items=left, items_done=min(state["items_done"], left))
    return removed


# --- audio features (closed to new apps) --------------------------------------------------

FEATURES = ("danceability", "energy", "key", "loudness", "mode", "speechiness", "acousticness",
            "instrumentalness", "liveness", "valence", "tempo")


def fetch_audio_features(db: Database, sp: spotipy.Spotify, track_ids: Sequence[str]) -> int:
    """Audio features for these tracks into the catalog (source 'spotify'), if the app may.

    Raises SpotifyClosedError with the plain explanation when Spotify answers 403 (every app
    created since November 2024). Returns how many tracks got features.
    """
    ids = list(dict.fromkeys(track_ids))
    rows = []
    for start in range(0, len(ids), 100):
        with warnings.catch_warnings():  # spotipy warns that Spotify deprecated it: that is the point here
            warnings.simplefilter("ignore", DeprecationWarning)
            result = call(sp, "reading audio features", sp.audio_features, ids[start:start + 100], closed=True)
        for f in result or []:
            if f and f.get("id"):
                values = dict.fromkeys(store.CATALOG_COLUMNS)
                values.update({k: f.get(k) for k in FEATURES}, track_id=f["id"], duration_ms=f.get("duration_ms"))
                rows.append(tuple(values[c] for c in store.CATALOG_COLUMNS))
    if rows:
        from core import catalog
        with db.atomic():
            store.write_catalog(db, "spotify", sorted(rows), [])
            catalog.fill_name_keys(db)
            store.bump_catalog_version(db)
    return len(rows)
