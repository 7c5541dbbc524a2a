"""The Spotify connection: configuration, sign-in (PKCE), the client with its retries, and errors.

Sync, id resolution and saving playlists live beside it (``sync``, ``resolve``, ``playlists``).

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
from collections.abc import Callable, Iterator, MutableMapping, Sequence
from dataclasses import dataclass

import requests
import spotipy
from spotipy.cache_handler import CacheHandler
from spotipy.exceptions import SpotifyBaseException, SpotifyException, SpotifyOauthError
from urllib3.exceptions import MaxRetryError, ResponseError
from urllib3.util.retry import Retry

from core.errors import EncoreError

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


PENDING_SIGN_IN_S = 600  # a sign-in link is good for this long

CLOSED_EXPLANATION = (
    "Spotify closed this part of its Web API to new apps in November 2024 (audio features, "
    "recommendations and related artists). Apps created since then get “403 Forbidden” and there is "
    "no setting to change that. Encore carries on with what it can do locally: audio features come "
    "from catalog files on the Catalog page."
)




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


def load_config(client_id: str | None = None, environ: MutableMapping[str, str] | None = None,
                default_redirect_uri: str = DEFAULT_REDIRECT_URI) -> SpotifyConfig:
    """The configuration from arguments and the environment.

    ``SPOTIFY_CLIENT_ID`` (unless ``client_id`` is given), ``SPOTIFY_REDIRECT_URI`` (else
    ``default_redirect_uri``: the app passes the address on the port it runs on), and for
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
        redirect_uri=check_redirect_uri(env.get("SPOTIFY_REDIRECT_URI") or default_redirect_uri),
        api_url=api_url if api_url.endswith("/") else api_url + "/",
        accounts_url=(env.get("ENCORE_SPOTIFY_ACCOUNTS_URL") or ACCOUNTS_URL).rstrip("/"),
    )




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
