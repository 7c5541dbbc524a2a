"""core.spotify against a local fake Spotify (tests/fake_spotify.py) and a real SQLite store."""
from __future__ import annotations

import time
import urllib.parse

import pytest
import requests

from core import spotify, store
from core.spotify.client import _challenge
from core.spotify.sync import _entry_track
from tests.conftest import all_plays, play
from tests.fake_spotify import CLIENT_ID, FakeSpotify, artist, track, track_id

PROFILE = "me"


@pytest.fixture
def fake():
    server = FakeSpotify(page_size=50).start()
    yield server
    server.stop()


@pytest.fixture
def config(fake):
    return spotify.load_config(environ={"SPOTIFY_CLIENT_ID": CLIENT_ID, "ENCORE_SPOTIFY_API_URL": fake.api_url,
                                        "ENCORE_SPOTIFY_ACCOUNTS_URL": fake.accounts_url})


@pytest.fixture
def holder(fake):
    return {spotify.TOKEN_KEY: fake.issue_token()}


@pytest.fixture
def sp(config, holder):
    return spotify.make_client(config, holder)


@pytest.fixture
def sleeps(monkeypatch):
    """Every time.sleep asked for (urllib3's retry waits included), without sleeping."""
    asked: list[float] = []
    monkeypatch.setattr(time, "sleep", asked.append)
    return asked


def secrets_of(holder: dict) -> list[str]:
    token = holder.get(spotify.TOKEN_KEY) or {}
    return [CLIENT_ID, *(v for k, v in token.items() if k in ("access_token", "refresh_token"))]


def assert_no_secret(message: str, *hidden: str) -> None:
    for value in hidden:
        assert value not in message


def uri(n: int) -> str:
    return f"spotify:track:{track_id(n)}"


# --- configuration and sign-in --------------------------------------------------------------


def test_config_reads_the_environment_and_defaults_to_the_loopback_redirect():
    config = spotify.load_config(environ={"SPOTIFY_CLIENT_ID": " abc "})
    assert config == spotify.SpotifyConfig(client_id="abc", redirect_uri="http://127.0.0.1:8501/spotify",
                                           api_url="https://api.spotify.com/v1/",
                                           accounts_url="https://accounts.spotify.com")


def test_config_without_client_id_says_where_to_put_it():
    with pytest.raises(spotify.SpotifyConfigError) as err:
        spotify.load_config(environ={})
    assert "SPOTIFY_CLIENT_ID" in str(err.value) and ".streamlit/secrets.toml" in str(err.value)


@pytest.mark.parametrize("redirect, accepted", [
    ("http://127.0.0.1:8501/spotify", True),
    ("http://[::1]:8501/spotify", True),
    ("https://encore.example.org/spotify", True),
    ("http://localhost:8501/spotify", False),
    ("https://localhost/spotify", False),
    ("http://encore.example.org/spotify", False),
    ("ftp://127.0.0.1/spotify", False),
])
def test_redirect_uri_must_be_a_loopback_ip_for_http_and_never_localhost(redirect, accepted):
    env = {"SPOTIFY_CLIENT_ID": "abc", "SPOTIFY_REDIRECT_URI": redirect}
    if accepted:
        assert spotify.load_config(environ=env).redirect_uri == redirect
    else:
        with pytest.raises(spotify.SpotifyConfigError) as err:
            spotify.load_config(environ=env)
        assert "http://127.0.0.1:8501/spotify" in str(err.value)
        assert ("localhost" in str(err.value)) == ("localhost" in redirect)


def follow_authorize(url: str) -> dict:
    """What a browser does: open the authorize URL, get redirected back with code and state."""
    response = requests.get(url, allow_redirects=False, timeout=5)
    assert response.status_code == 302
    back = urllib.parse.urlsplit(response.headers["Location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == "http://127.0.0.1:8501/spotify"
    return dict(urllib.parse.parse_qsl(back.query))


def test_pkce_round_trip_exchanges_the_code_with_the_verifier(fake, config):
    pending, holder = {}, {}
    url = spotify.begin_sign_in(config, pending, now=1000.0)
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    (state, entry), = pending.items()
    assert query == {"client_id": CLIENT_ID, "response_type": "code", "redirect_uri": config.redirect_uri,
                     "code_challenge_method": "S256", "code_challenge": _challenge(entry["verifier"]),
                     "scope": " ".join(spotify.SCOPES), "state": state}
    back = follow_authorize(url)
    spotify.finish_sign_in(config, pending, holder, back["code"], back["state"], now=1010.0)
    token_request = fake.requests[-1]
    assert (token_request.method, token_request.path, token_request.body) == ("POST", "/api/token", {
        "client_id": CLIENT_ID, "grant_type": "authorization_code", "code": back["code"],
        "redirect_uri": config.redirect_uri, "code_verifier": entry["verifier"]})
    assert spotify.is_signed_in(holder) and holder[spotify.TOKEN_KEY]["refresh_token"].startswith("refresh-")
    assert pending == {}  # one use only
    spotify.sign_out(holder)
    assert holder == {} and not spotify.is_signed_in(holder)


def test_sign_in_link_is_single_use_and_a_wrong_verifier_is_refused(fake, config):
    pending, holder = {}, {}
    back = follow_authorize(spotify.begin_sign_in(config, pending))
    pending[back["state"]]["verifier"] = "not-the-verifier-" + "x" * 40
    with pytest.raises(spotify.SpotifyAuthError) as refused:
        spotify.finish_sign_in(config, pending, holder, back["code"], back["state"])
    assert "invalid_grant" in str(refused.value) and holder == {}
    with pytest.raises(spotify.SpotifyAuthError) as used:
        spotify.finish_sign_in(config, pending, holder, back["code"], back["state"])
    assert "expired or was already used" in str(used.value)
    for err in (refused.value, used.value):
        assert_no_secret(str(err), CLIENT_ID, back["code"])


def test_expired_sign_in_links_are_dropped(config):
    pending = {}
    spotify.begin_sign_in(config, pending, now=0.0)
    spotify.begin_sign_in(config, pending, now=spotify.PENDING_SIGN_IN_S + 1.0)
    assert len(pending) == 1


def test_no_token_raises_instead_of_prompting_on_the_terminal(config, fake):
    sp = spotify.make_client(config, {})
    with pytest.raises(spotify.SpotifyAuthError, match="not signed in"):
        spotify.call(sp, "reading your profile", sp.me)
    assert fake.requests == []


# --- tokens: refresh before expiry and after a 401 ---------------------------------------


def test_a_token_about_to_expire_is_refreshed_before_the_call(fake, config):
    holder = {spotify.TOKEN_KEY: fake.issue_token(expires_in=30)}
    old = dict(holder[spotify.TOKEN_KEY])
    sp = spotify.make_client(config, holder)
    assert spotify.call(sp, "reading your profile", sp.me)["id"] == "tester"
    assert [(r.method, r.path) for r in fake.requests] == [("POST", "/api/token"), ("GET", "/v1/me/")]
    assert fake.requests[0].body == {"grant_type": "refresh_token", "refresh_token": old["refresh_token"],
                                     "client_id": CLIENT_ID}
    new = holder[spotify.TOKEN_KEY]
    assert fake.requests[1].token == new["access_token"] != old["access_token"]
    assert new["refresh_token"] == old["refresh_token"]  # kept when the answer has none


def test_a_401_refreshes_the_token_once_and_retries(fake, sp, holder):
    old = holder[spotify.TOKEN_KEY]["access_token"]
    fake.revoke(old)
    assert spotify.call(sp, "reading your profile", sp.me)["id"] == "tester"
    assert [(r.method, r.path, r.token) for r in fake.requests] == [
        ("GET", "/v1/me/", old), ("POST", "/api/token", None),
        ("GET", "/v1/me/", holder[spotify.TOKEN_KEY]["access_token"])]


def test_a_refused_refresh_signs_out_with_a_clear_message(fake, sp, holder):
    hidden = secrets_of(holder)
    fake.revoke(holder[spotify.TOKEN_KEY]["access_token"])
    fake.refresh_tokens.clear()
    with pytest.raises(spotify.SpotifyAuthError) as err:
        spotify.call(sp, "reading your profile", sp.me)
    assert str(err.value) == ("Spotify no longer accepts this sign-in (invalid_grant) while reading your profile. "
                              "Sign in again.")
    assert holder == {}
    assert_no_secret(str(err.value), *hidden)


# --- retries and failures -----------------------------------------------------------------


def test_a_429_with_a_day_long_retry_after_stops_at_once_and_says_when(fake, sp, holder, sleeps):
    fake.fail("GET", "/v1/me/player/recently-played", status=429, headers={"Retry-After": "86400"})
    db = store.open_memory_store()
    with pytest.raises(spotify.SpotifyRateLimitError) as err:
        spotify.sync_recently_played(db, sp, PROFILE)
    assert sleeps == []  # neither the day nor the cap was waited out
    assert err.value.retry_after_s == 86400
    assert str(err.value).startswith("Spotify is limiting requests from this app while reading your recently "
                                     "played tracks. Try again after ")
    assert "(in 24 h 00 min)" in str(err.value)
    assert fake.api_calls() == [("GET", "/v1/me/player/recently-played?limit=50")]
    assert_no_secret(str(err.value), *secrets_of(holder))


def test_a_429_with_a_short_retry_after_is_waited_out(fake, sp, sleeps):
    fake.fail("GET", "/v1/me", status=429, headers={"Retry-After": "3"})
    assert spotify.call(sp, "reading your profile", sp.me)["id"] == "tester"
    assert sleeps == [3.0]
    assert fake.api_calls() == [("GET", "/v1/me/"), ("GET", "/v1/me/")]


def test_5xx_is_retried_with_backoff_then_explained(fake, sp, holder, sleeps):
    for _ in range(spotify.RETRIES + 1):
        fake.fail("GET", "/v1/me", status=503)
    with pytest.raises(spotify.SpotifyUnavailableError) as err:
        spotify.call(sp, "reading your profile", sp.me)
    assert fake.api_calls() == [("GET", "/v1/me/")] * (spotify.RETRIES + 1)
    assert sleeps == [1.0, 2.0]  # urllib3 retries once at once, then backs off 0.5 s · 2^(n-1)
    assert str(err.value) == ("Spotify failed while reading your profile (503: scripted failure). Try again later; "
                              "nothing was lost.")
    assert_no_secret(str(err.value), *secrets_of(holder))


def test_a_refused_connection_is_a_clear_message(config, holder, sleeps):
    dead = FakeSpotify().start()
    dead.stop()  # nothing listens on this port any more
    broken = spotify.SpotifyConfig(client_id=CLIENT_ID, api_url=dead.api_url, accounts_url=dead.accounts_url)
    sp = spotify.make_client(broken, holder)
    with pytest.raises(spotify.SpotifyUnavailableError) as err:
        spotify.call(sp, "reading your profile", sp.me)
    assert str(err.value) == ("Could not reach Spotify while reading your profile (ConnectionError). Check the "
                              "connection and try again; nothing was lost.")
    assert sleeps == [1.0, 2.0]


def test_403_on_a_closed_endpoint_explains_spotifys_change_and_writes_nothing(fake, sp, holder):
    db = store.open_memory_store()
    with pytest.raises(spotify.SpotifyClosedError) as err:
        spotify.fetch_audio_features(db, sp, [track_id(1), track_id(2)])
    assert str(err.value) == f"Spotify refused reading audio features (403). {spotify.CLOSED_EXPLANATION}"
    assert store.count_rows(db, "catalog_tracks") == 0
    assert fake.api_calls() == [("GET", f"/v1/audio-features/?ids={track_id(1)},{track_id(2)}")]


# --- sync ---------------------------------------------------------------------------------


def test_saved_tracks_follow_next_urls_across_pages(fake, sp):
    fake.page_size = 2
    fake.saved_tracks = [{"added_at": "2026-01-01T00:00:00Z", "track": track(n)} for n in range(1, 6)]
    db = store.open_memory_store()
    result = spotify.sync_saved_tracks(db, sp, PROFILE)
    assert result == spotify.SyncResult("saved tracks", 5, 5)
    assert fake.api_calls() == [("GET", "/v1/me/tracks?limit=50&offset=0"), ("GET", "/v1/me/tracks?limit=2&offset=2"),
                                ("GET", "/v1/me/tracks?limit=2&offset=4")]
    rows = list(db.query("SELECT profile, kind, item_key, name, artist_name, album_name, uri FROM library_items"))
    assert rows == [{"profile": PROFILE, "kind": "track", "item_key": uri(n), "name": f"Song {n}",
                     "artist_name": f"Artist {n}", "album_name": "Album", "uri": uri(n)} for n in range(1, 6)]
    assert spotify.sync_saved_tracks(db, sp, PROFILE) == spotify.SyncResult("saved tracks", 5, 0)


def test_followed_artists_page_inside_the_artists_object(fake, sp):
    fake.page_size = 2
    fake.followed = [artist(n) for n in range(1, 4)]
    db = store.open_memory_store()
    assert spotify.sync_followed_artists(db, sp, PROFILE) == spotify.SyncResult("followed artists", 3, 3)
    assert [r["name"] for r in db.query("SELECT name FROM library_items WHERE kind = 'artist'")] == [
        "Followed 1", "Followed 2", "Followed 3"]
    assert [c[1] for c in fake.api_calls()] == ["/v1/me/following?type=artist&limit=50",
                                                "/v1/me/following?type=artist&limit=2&offset=2"]


def test_playlists_sync_owned_items_and_names_of_followed_ones(fake, sp):
    fake.page_size = 2
    fake.add_tracks([track(n) for n in range(1, 4)])
    mine = fake.add_playlist("Mine", [uri(1), uri(2), uri(3)], description="my songs")
    theirs = fake.add_playlist("Theirs", [uri(1)], owner="someone-else")
    db = store.open_memory_store()
    result = spotify.sync_playlists(db, sp, PROFILE)
    assert result == spotify.SyncResult("playlists", 2, 2, "1 playlist(s) you follow but do not own: Spotify no "
                                                           "longer serves their items.")
    assert list(db.query("SELECT profile, source, name, ordinal, description, spotify_id FROM playlists ORDER BY id")) == [
        {"profile": PROFILE, "source": "spotify", "name": "Mine", "ordinal": 0, "description": "my songs",
         "spotify_id": mine},
        {"profile": PROFILE, "source": "spotify", "name": "Theirs", "ordinal": 0, "description": None,
         "spotify_id": theirs}]
    items = db.execute("SELECT position, kind, track_name, artist_name, album_name, track_uri, track_id, added_date "
                       "FROM playlist_items ORDER BY playlist_id, position").fetchall()
    assert items == [(n - 1, "track", f"Song {n}", f"Artist {n}", "Album", uri(n), track_id(n), "2026-01-02")
                     for n in range(1, 4)]
    assert fake.api_calls() == [
        ("GET", "/v1/me/"), ("GET", "/v1/me/playlists?limit=50&offset=0"),
        ("GET", f"/v1/playlists/{mine}/items?limit=50&offset=0&additional_types=track%2Cepisode"),
        ("GET", f"/v1/playlists/{mine}/items?limit=2&offset=2&additional_types=track%2Cepisode")]
    # a playlist deleted in the account goes from the store at the next sync; a renamed one is renamed
    del fake.playlists[theirs]
    fake.playlists[mine]["name"] = "Mine, renamed"
    spotify.sync_playlists(db, sp, PROFILE)
    assert [(r["name"], r["spotify_id"]) for r in db.query("SELECT name, spotify_id FROM playlists")] == [
        ("Mine, renamed", mine)]
    assert db.execute("SELECT count(*) FROM playlist_items").fetchone()[0] == 3


def test_top_items_are_stored_in_rank_order_and_a_403_is_noted(fake, sp):
    fake.top = {"artists": [artist(2), artist(1)], "tracks": [track(5)]}
    db = store.open_memory_store()
    result = spotify.sync_top_items(db, sp, PROFILE)
    assert result == spotify.SyncResult("top artists and tracks", 9, 9)
    top = store.list_spotify_top_items(db, PROFILE)
    assert [(t["kind"], t["time_range"], t["rank"], t["name"]) for t in top if t["time_range"] == "short_term"] == [
        ("artist", "short_term", 1, "Followed 2"), ("artist", "short_term", 2, "Followed 1"),
        ("track", "short_term", 1, "Song 5")]
    fake.top_closed = True
    result = spotify.sync_top_items(db, sp, PROFILE)
    assert result.fetched == 0 and result.note == (
        "Spotify did not serve: artists/short_term, artists/medium_term, artists/long_term, tracks/short_term, "
        "tracks/medium_term, tracks/long_term.")
    assert len(store.list_spotify_top_items(db, PROFILE)) == 9  # the last good lists are kept


def recent(n: int, played_at: str, **kw) -> dict:
    return {"played_at": played_at, "track": track(n, **kw)}


def test_recently_played_does_not_duplicate_plays_from_exports(fake, sp):
    db = store.open_memory_store()
    store.ensure_profile(db, PROFILE)
    exported = play(played_at="2026-11-20T12:00:03Z", ms_played=180_000, content_type="music", track_name="Song 1",
                    artist_name="Artist 1", album_name="Album", track_uri=uri(1))
    account = play(played_at="2026-11-20T12:30:00Z", ms_played=200_000, content_type="music", track_name="Song 2",
                   artist_name="Artist 2", album_name=None)
    store.insert_plays(db, PROFILE, None, "extended", [tuple(exported[c] for c in store.PLAY_COLUMNS)])
    store.insert_plays(db, PROFILE, None, "account", [tuple(account[c] for c in store.PLAY_COLUMNS)])
    before = all_plays(db)
    version = store.data_version(db)
    fake.recently_played = [
        recent(3, "2026-11-20T13:00:00.250Z"),
        recent(2, "2026-11-20T12:30:41.900Z"),  # the account export's play (minute precision, no id)
        recent(1, "2026-11-20T12:00:00.500Z"),  # the extended export's play, 3 s apart
        recent(1, "2026-11-20T11:00:00.000Z"),  # the same track an hour earlier: a different play
    ]
    result = spotify.sync_recently_played(db, sp, PROFILE)
    assert result == spotify.SyncResult("recently played", 4, 2, "Spotify gives only the last 50 plays; your export "
                                                                  "is the real history.")
    new = [p for p in all_plays(db) if p["source"] == "spotify"]
    assert new == [
        play(played_at="2026-11-20T11:00:00Z", ms_played=200_000, content_type="music", track_name="Song 1",
             artist_name="Artist 1", album_name="Album", track_uri=uri(1), started_at="2026-11-20T10:56:40Z",
             track_id=track_id(1), item_name="Song 1", source="spotify"),
        play(played_at="2026-11-20T13:00:00Z", ms_played=200_000, content_type="music", track_name="Song 3",
             artist_name="Artist 3", album_name="Album", track_uri=uri(3), started_at="2026-11-20T12:56:40Z",
             track_id=track_id(3), item_name="Song 3", source="spotify")]
    assert [p for p in all_plays(db) if p["source"] != "spotify"] == before
    assert store.data_version(db) == version + 1
    assert spotify.sync_recently_played(db, sp, PROFILE).added == 0  # syncing again adds nothing
    assert store.data_version(db) == version + 1


def test_sync_all_carries_on_after_a_failing_part_and_records_each(fake, sp):
    fake.fail("GET", "/v1/me/tracks", status=404)
    fake.followed = [artist(1)]
    db = store.open_memory_store()
    results, errors = spotify.sync_all(db, sp, PROFILE)
    assert [r.part for r in results] == ["recently played", "playlists", "top artists and tracks", "followed artists"]
    assert [str(e) for e in errors] == ["Spotify refused reading your saved tracks (404: scripted failure)."]
    assert [s["part"] for s in store.last_spotify_syncs(db, PROFILE)] == [
        "followed artists", "playlists", "recently played", "top artists and tracks"]


# --- saving playlists ---------------------------------------------------------------------


def test_250_tracks_are_saved_in_chunks_of_100_100_50(fake, sp):
    db = store.open_memory_store()
    uris = [uri(n) for n in range(250)]
    state = spotify.save_playlist(db, sp, PROFILE, "Encore mix", uris, description="made by Encore")
    (spotify_id,) = fake.playlists
    assert state == {"playlist_id": 1, "profile": PROFILE, "spotify_id": spotify_id, "total_items": 250,
                     "items_done": 250, "status": "done", "error": None, "updated_at": state["updated_at"]}
    calls = [(r.method, r.path, r.body) for r in fake.requests]
    description = calls[0][2]["description"]
    token = spotify.save_token(description)
    assert description == f"made by Encore [encore {token}]" and len(token) == 10
    assert calls == [
        ("POST", "/v1/me/playlists", {"name": "Encore mix", "public": False, "collaborative": False,
                                      "description": description}),
        ("POST", f"/v1/playlists/{spotify_id}/items", uris[:100]),
        ("POST", f"/v1/playlists/{spotify_id}/items", uris[100:200]),
        ("POST", f"/v1/playlists/{spotify_id}/items", uris[200:])]
    assert fake.playlists[spotify_id]["items"] == uris
    assert store.playlist_row(db, 1) == {"id": 1, "profile": PROFILE, "source": "encore", "name": "Encore mix",
                                         "ordinal": 0, "description": description, "spotify_id": spotify_id}
    assert store.playlist_track_uris(db, 1) == uris
    assert spotify.playlist_url(spotify_id) == f"https://open.spotify.com/playlist/{spotify_id}"


def test_local_playlist_items_take_names_the_store_knows(fake, sp):
    db = store.open_memory_store()
    store.ensure_profile(db, PROFILE)
    known = play(played_at="2026-11-20T12:00:00Z", ms_played=1000, content_type="music", track_name="Known",
                 artist_name="Someone", album_name="Record", track_uri=uri(7))
    store.insert_plays(db, PROFILE, None, "extended", [tuple(known[c] for c in store.PLAY_COLUMNS)])
    playlist_id = spotify.store_local_playlist(db, PROFILE, "Two", None,
                                               [track_id(7), f"https://open.spotify.com/track/{track_id(8)}?si=x"])
    assert db.execute("SELECT position, kind, track_name, artist_name, album_name, track_uri, track_id, added_date "
                      "FROM playlist_items WHERE playlist_id = ?", [playlist_id]).fetchall() == [
        (0, "track", "Known", "Someone", "Record", uri(7), track_id(7), None),
        (1, "track", None, None, None, uri(8), track_id(8), None)]
    with pytest.raises(ValueError, match="not a Spotify track id"):
        spotify.store_local_playlist(db, PROFILE, "Bad", None, ["hello"])


def test_a_dropped_connection_mid_save_says_which_chunk_and_resume_adds_the_rest_once(fake, sp, holder, sleeps):
    db = store.open_memory_store()
    uris = [uri(n) for n in range(250)]
    fake.fail("POST", "/v1/playlists/", drop=True, after=1)  # the second chunk's connection drops
    with pytest.raises(spotify.PlaylistSaveError) as err:
        spotify.save_playlist(db, sp, PROFILE, "Long", uris)
    (spotify_id,) = fake.playlists
    message = str(err.value)
    assert message.startswith("Saving “Long” to Spotify stopped at chunk 2 of 3 (tracks 101–200). Could not "
                              "reach Spotify while adding tracks 101–200")
    assert message.endswith("use “Resume” to continue (no second playlist will be created).")
    assert_no_secret(message, *secrets_of(holder))
    state = store.spotify_save(db, err.value.playlist_id)
    assert (state["status"], state["items_done"], state["spotify_id"]) == ("failed", 100, spotify_id)
    assert store.unfinished_spotify_saves(db, PROFILE) == [{
        "playlist_id": 1, "name": "Long", "spotify_id": spotify_id, "total_items": 250, "items_done": 100,
        "status": "failed", "error": state["error"]}]
    assert fake.playlists[spotify_id]["items"] == uris[:100]
    fake.requests.clear()
    state = spotify.resume_save(db, sp, err.value.playlist_id)
    assert fake.api_calls() == [
        ("GET", f"/v1/playlists/{spotify_id}/items?limit=1&offset=0&fields=total&additional_types=track%2Cepisode"),
        ("POST", f"/v1/playlists/{spotify_id}/items"), ("POST", f"/v1/playlists/{spotify_id}/items")]
    assert [r.body for r in fake.requests] == [None, uris[100:200], uris[200:]]
    assert list(fake.playlists) == [spotify_id]  # no second playlist
    assert fake.playlists[spotify_id]["items"] == uris
    assert (state["status"], state["items_done"]) == ("done", 250)
    assert store.unfinished_spotify_saves(db, PROFILE) == []


def test_resume_after_a_lost_reply_does_not_add_the_chunk_twice(fake, sp, sleeps):
    db = store.open_memory_store()
    uris = [uri(n) for n in range(250)]
    fake.fail("POST", "/v1/playlists/", drop_after_apply=True, after=1)  # chunk 2 arrives, its reply is lost
    with pytest.raises(spotify.PlaylistSaveError, match="chunk 2 of 3"):
        spotify.save_playlist(db, sp, PROFILE, "Long", uris)
    (spotify_id,) = fake.playlists
    fake.requests.clear()
    spotify.resume_save(db, sp, 1)
    assert [r.body for r in fake.requests] == [None, uris[200:]]  # the count in the account says chunk 2 is there
    assert fake.playlists[spotify_id]["items"] == uris


def test_a_failed_create_is_retried_by_resume_and_a_5xx_post_is_not_repeated(fake, sp, sleeps):
    db = store.open_memory_store()
    fake.fail("POST", "/v1/me/playlists", status=502)
    with pytest.raises(spotify.PlaylistSaveError) as err:
        spotify.save_playlist(db, sp, PROFILE, "Short", [uri(1), uri(2)])
    assert str(err.value).startswith("Saving “Short” to Spotify stopped at creating the playlist. Spotify failed "
                                     "while creating the playlist “Short” (502: scripted failure)")
    assert fake.api_calls() == [("POST", "/v1/me/playlists")] and sleeps == []  # POST: no blind retry
    assert fake.playlists == {}
    state = spotify.resume_save(db, sp, err.value.playlist_id)
    (spotify_id,) = fake.playlists
    assert fake.playlists[spotify_id]["items"] == [uri(1), uri(2)] and state["status"] == "done"


def test_a_create_whose_reply_is_lost_is_found_again_not_made_twice(fake, sp, sleeps):
    db = store.open_memory_store()
    uris = [uri(n) for n in range(120)]
    fake.playlists["other"] = {"name": "Mine", "description": "not Encore's", "owner": "tester", "public": False,
                               "collaborative": False, "items": []}
    fake.fail("POST", "/v1/me/playlists", drop_after_apply=True)  # created in the account, the reply lost
    with pytest.raises(spotify.PlaylistSaveError) as err:
        spotify.save_playlist(db, sp, PROFILE, "Lost reply", uris)
    assert str(err.value).startswith("Saving “Lost reply” to Spotify stopped at creating the playlist.")
    (created,) = [pid for pid in fake.playlists if pid != "other"]
    fake.requests.clear()
    state = spotify.resume_save(db, sp, err.value.playlist_id)
    assert sorted(fake.playlists) == sorted(["other", created])  # no second playlist
    assert (state["spotify_id"], state["status"]) == (created, "done")
    assert fake.playlists[created]["items"] == uris
    assert [(r.method, r.path.split("?")[0]) for r in fake.requests] == [
        ("GET", "/v1/me/playlists"), ("GET", f"/v1/playlists/{created}/items"),
        ("POST", f"/v1/playlists/{created}/items"), ("POST", f"/v1/playlists/{created}/items")]


def test_rename_and_remove_tracks_change_the_account_and_the_store(fake, sp):
    db = store.open_memory_store()
    uris = [uri(n) for n in range(1, 5)]
    state = spotify.save_playlist(db, sp, PROFILE, "Old name", uris + [uri(1)])
    spotify_id = state["spotify_id"]
    spotify.rename_playlist(db, sp, 1, "New name")
    assert fake.playlists[spotify_id]["name"] == "New name"
    assert store.playlist_row(db, 1)["name"] == "New name"
    removed = spotify.remove_tracks(db, sp, 1, [uri(1), track_id(3)])
    assert removed == 3
    assert fake.playlists[spotify_id]["items"] == [uri(2), uri(4)]
    assert store.playlist_track_uris(db, 1) == [uri(2), uri(4)]
    assert fake.requests[-1].body == {"items": [{"uri": uri(1)}, {"uri": uri(3)}]}
    assert store.spotify_save(db, 1)["total_items"] == 2


def test_rename_of_an_unsaved_playlist_explains(fake, sp):
    db = store.open_memory_store()
    playlist_id = spotify.store_local_playlist(db, PROFILE, "Local", None, [uri(1)])
    with pytest.raises(spotify.SpotifyError, match="not in your Spotify account yet"):
        spotify.rename_playlist(db, sp, playlist_id, "Other")
    assert fake.requests == []


# --- resolving track ids --------------------------------------------------------------------


@pytest.mark.parametrize("artist_name, title, result_artist, result_title, accepted", [
    ("The Beatles", "Let It Be", "The Beatles", "Let It Be - Remastered 2009", True),
    ("Beatles", "Let It Be", "The Beatles", "Let It Be", True),
    ("Beyoncé", "Halo", "Beyonce", "Halo", True),
    ("Daft Punk", "Get Lucky (feat. Pharrell Williams)", "Daft Punk", "Get Lucky", True),
    ("Nirvana", "Lithium", "Nirvana", "Lithium - Live", False),
    ("Nirvana", "Lithium (Live)", "Nirvana", "Lithium", False),
    ("Nirvana", "Lithium (Live)", "Nirvana", "Lithium - Live", True),
    ("Robyn", "Dancing On My Own", "Calum Scott", "Dancing On My Own", False),
    ("Avicii", "Levels", "Avicii", "Levels - Skrillex Remix", False),
])
def test_search_results_are_accepted_only_for_the_same_recording(artist_name, title, result_artist, result_title,
                                                                 accepted):
    candidate = track(1, name=result_title, artist=result_artist)
    assert spotify.accept_result(artist_name, title, [candidate]) == (candidate if accepted else None)


def account_play(minute: str, artist_name: str, title: str) -> tuple:
    row = play(played_at=f"2026-05-01T{minute}:00Z", ms_played=200_000, content_type="music",
               track_name=title, artist_name=artist_name)
    return tuple(row[c] for c in store.PLAY_COLUMNS)


@pytest.fixture
def unresolved_db():
    db = store.open_memory_store()
    store.ensure_profile(db, PROFILE)
    store.insert_plays(db, PROFILE, None, "account", [
        account_play("10:00", "Artist 1", "Song 1"), account_play("10:05", "Artist 1", "Song 1"),
        account_play("10:10", "Artist 1", "Song 1"), account_play("10:15", "Nirvana", "Lithium"),
        account_play("10:20", "Nirvana", "Lithium"), account_play("10:25", "Nobody", "Nothing"),
    ])
    return db


def test_resolution_searches_once_per_title_is_resumable_and_writes_the_uris(fake, sp, unresolved_db):
    db = unresolved_db
    fake.add_tracks([track(1), track(9, name="Lithium - Live", artist="Nirvana")])
    version = store.data_version(db)
    messages = []
    first = spotify.resolve_track_ids(db, sp, PROFILE, progress=lambda f, m: messages.append((f, m)),
                                      max_searches=1, min_interval_s=0)
    assert first == spotify.ResolveResult(searched=1, found=1, remaining=2, plays_updated=3, stopped=True)
    assert messages == [(0.0, "Searching 1 of 1: Artist 1 — Song 1"),
                        (1.0, "Searched 1; found 1; 3 plays now have a track id.")]
    assert store.data_version(db) == version + 1
    assert [p["track_uri"] for p in all_plays(db)] == [uri(1)] * 3 + [None] * 3
    assert store.list_track_matches(db, PROFILE) == []  # matching re-ran (no catalog: nothing to match)
    rest = spotify.resolve_track_ids(db, sp, PROFILE, min_interval_s=0)
    assert rest == spotify.ResolveResult(searched=2, found=0, remaining=0, plays_updated=0, stopped=False)
    assert store.list_spotify_searches(db) == [
        {"artist_name": "Artist 1", "track_name": "Song 1", "track_uri": uri(1), "found_artist": "Artist 1",
         "found_track": "Song 1"},
        {"artist_name": "Nirvana", "track_name": "Lithium", "track_uri": None, "found_artist": None,
         "found_track": None},  # only the live version was found: not the studio recording
        {"artist_name": "Nobody", "track_name": "Nothing", "track_uri": None, "found_artist": None,
         "found_track": None}]
    searches = [urllib.parse.parse_qs(urllib.parse.urlsplit(p).query) for _, p in fake.api_calls()]
    assert searches == [
        {"q": ['track:"Song 1" artist:"Artist 1"'], "limit": ["10"], "offset": ["0"], "type": ["track"]},
        {"q": ['track:"Lithium" artist:"Nirvana"'], "limit": ["10"], "offset": ["0"], "type": ["track"]},
        {"q": ['track:"Nothing" artist:"Nobody"'], "limit": ["10"], "offset": ["0"], "type": ["track"]}]
    fake.requests.clear()
    again = spotify.resolve_track_ids(db, sp, PROFILE, min_interval_s=0)
    assert again == spotify.ResolveResult(searched=0, found=0, remaining=0, plays_updated=0, stopped=False)
    assert fake.requests == []  # cached, also "not found"


def test_resolution_stops_on_request_and_keeps_what_it_found(fake, sp, unresolved_db):
    fake.add_tracks([track(1)])
    calls = iter([False, True])
    result = spotify.resolve_track_ids(unresolved_db, sp, PROFILE, should_stop=lambda: next(calls), min_interval_s=0)
    assert result == spotify.ResolveResult(searched=1, found=1, remaining=2, plays_updated=3, stopped=True)


def test_resolution_rate_limited_applies_what_was_found_then_says_when(fake, sp, unresolved_db, sleeps):
    fake.add_tracks([track(1)])
    fake.fail("GET", "/v1/search", status=429, headers={"Retry-After": "7200"}, after=1)
    with pytest.raises(spotify.SpotifyRateLimitError, match="in 2 h 00 min"):
        spotify.resolve_track_ids(unresolved_db, sp, PROFILE, min_interval_s=0)
    assert [p["track_uri"] for p in all_plays(unresolved_db)] == [uri(1)] * 3 + [None] * 3
    assert len(store.list_spotify_searches(unresolved_db)) == 1
    assert sleeps == []


def test_resolution_waits_between_searches(fake, sp, unresolved_db):
    waits = []
    spotify.resolve_track_ids(unresolved_db, sp, PROFILE, min_interval_s=30, sleep=waits.append)
    assert len(waits) == 2 and all(25 < w <= 30 for w in waits)  # none before the first search


def test_an_export_imported_after_a_sync_replaces_the_synced_play(fake, sp):
    db = store.open_memory_store()
    fake.recently_played = [recent(1, "2026-11-20T12:00:00.500Z"), recent(2, "2026-11-20T12:10:00.000Z")]
    spotify.sync_recently_played(db, sp, PROFILE)
    exported = play(played_at="2026-11-20T12:00:04Z", ms_played=150_000, content_type="music", track_name="Song 1",
                    artist_name="Artist 1", album_name="Album", track_uri=uri(1))
    store.insert_plays(db, PROFILE, None, "extended", [tuple(exported[c] for c in store.PLAY_COLUMNS)])
    version = store.data_version(db)
    assert spotify.sync_recently_played(db, sp, PROFILE).added == 0
    assert [(p["played_at"], p["track_name"], p["source"]) for p in all_plays(db)] == [
        ("2026-11-20T12:00:04Z", "Song 1", "extended"), ("2026-11-20T12:10:00Z", "Song 2", "spotify")]
    assert store.data_version(db) == version + 1


def test_importing_an_export_replaces_synced_plays_it_covers(fake, sp, tmp_path):
    from core import ingest
    db = store.open_memory_store()
    fake.recently_played = [recent(1, "2026-11-20T12:00:00.500Z"), recent(2, "2026-11-20T12:10:00.000Z")]
    spotify.sync_recently_played(db, sp, PROFILE)
    version = store.data_version(db)
    export = tmp_path / "Streaming_History_Audio_2026.json"
    export.write_text('[{"ts": "2026-11-20T12:00:04Z", "ms_played": 150000, "master_metadata_track_name": "Song 1", '
                      '"master_metadata_album_artist_name": "Artist 1", "master_metadata_album_album_name": "Album", '
                      f'"spotify_track_uri": "{uri(1)}", "platform": "android", "conn_country": "DE", '
                      '"reason_start": "trackdone", "reason_end": "trackdone", "shuffle": false, "skipped": false, '
                      '"offline": false, "incognito_mode": false}]')
    report = ingest.import_files(db, paths=[str(export)], profile=PROFILE)
    assert report.added == 1
    assert [(p["played_at"], p["track_name"], p["source"]) for p in all_plays(db)] == [
        ("2026-11-20T12:00:04Z", "Song 1", "extended"), ("2026-11-20T12:10:00Z", "Song 2", "spotify")]
    assert store.data_version(db) > version


@pytest.mark.parametrize("entry, expected", [
    ({"item": {"uri": "a"}, "track": {"uri": "b"}}, {"uri": "a"}),  # February 2026 shape wins
    ({"track": {"uri": "b"}}, {"uri": "b"}),  # the deprecated shape still reads
    ({"item": None, "track": None}, None),  # an unavailable track
])
def test_playlist_entries_are_read_in_both_shapes(entry, expected):
    assert _entry_track(entry) == expected


def test_debug_logs_never_hold_tokens_codes_or_the_client_id(fake, config, caplog):
    pending, holder = {}, {}
    back = follow_authorize(spotify.begin_sign_in(config, pending))  # the browser's part, not logged by Encore
    caplog.set_level("DEBUG")
    verifier = pending[back["state"]]["verifier"]
    spotify.finish_sign_in(config, pending, holder, back["code"], back["state"])
    first = dict(holder[spotify.TOKEN_KEY])
    fake.revoke(first["access_token"])
    sp = spotify.make_client(config, holder)
    spotify.call(sp, "reading your profile", sp.me)  # 401, refresh, retry
    assert "Sending GET to" in caplog.text and "Sending POST request to" in caplog.text  # the lines are there
    for value in (CLIENT_ID, back["code"], verifier, first["access_token"], first["refresh_token"],
                  holder[spotify.TOKEN_KEY]["access_token"]):
        assert value not in caplog.text


def test_audio_features_go_into_the_catalog_when_the_app_still_has_access(fake, sp):
    fake.features_open = True
    fake.add_tracks([track(1)], searchable=False)
    db = store.open_memory_store()
    assert spotify.fetch_audio_features(db, sp, [track_id(1), track_id(2)]) == 1
    columns = ("track_id", "source", "track_name", "duration_ms", *spotify.FEATURES)
    assert db.execute(f"SELECT {', '.join(columns)} FROM catalog_tracks").fetchall() == [
        (track_id(1), "spotify", None, 200_000, 0.5, 0.25, 5, -6.0, 1, 0.05, 0.1, 0.0, 0.1, 0.75, 120.0)]


def test_sync_all_stops_at_a_rate_limit(fake, sp, sleeps):
    fake.fail("GET", "/v1/me/tracks", status=429, headers={"Retry-After": "600"})
    db = store.open_memory_store()
    results, errors = spotify.sync_all(db, sp, PROFILE)
    assert [r.part for r in results] == ["recently played"]
    assert [type(e) for e in errors] == [spotify.SpotifyRateLimitError]
    assert "(in 10 min)" in str(errors[0])
    assert fake.api_calls() == [("GET", "/v1/me/player/recently-played?limit=50"),
                                ("GET", "/v1/me/tracks?limit=50&offset=0")]
