"""AppTest for the Spotify page: signed out (with and without a client id) and signed in
against the local fake Spotify (tests/fake_spotify.py)."""
import urllib.parse
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core import spotify, store
from tests.conftest import shown
from tests.fake_spotify import CLIENT_ID, FakeSpotify, track, track_id

HOME = str(Path(__file__).resolve().parent.parent / "Home.py")
PAGE = "pages/spotify.py"


@pytest.fixture
def db_path(tmp_path, monkeypatch):
    path = tmp_path / "app.db"
    monkeypatch.setenv("ENCORE_DB", str(path))
    for name in ("SPOTIFY_CLIENT_ID", "SPOTIFY_REDIRECT_URI", "ENCORE_SPOTIFY_API_URL", "ENCORE_SPOTIFY_ACCOUNTS_URL"):
        monkeypatch.delenv(name, raising=False)
    return path


@pytest.fixture
def fake(monkeypatch, db_path):
    server = FakeSpotify().start()
    monkeypatch.setenv("SPOTIFY_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("ENCORE_SPOTIFY_API_URL", server.api_url)
    monkeypatch.setenv("ENCORE_SPOTIFY_ACCOUNTS_URL", server.accounts_url)
    yield server
    server.stop()


def open_page(token: dict | None = None) -> AppTest:
    at = AppTest.from_file(HOME, default_timeout=60)
    if token:
        at.session_state[spotify.TOKEN_KEY] = token
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def test_without_a_client_id_the_page_explains_the_setup(db_path):
    at = open_page()
    assert at.title[0].value == "🟢 Spotify"
    guide = at.expander[0]
    assert guide.label == "How to connect Encore to Spotify (once, about 5 minutes)"
    text = guide.markdown[0].value
    for needed in ("development mode", "5 people", "Premium", "`http://127.0.0.1:8501/spotify`", "localhost",
                   "SPOTIFY_CLIENT_ID", ".streamlit/secrets.toml", "PKCE"):
        assert needed in text
    assert shown(at.warning[0].value).startswith("No Spotify client id.")
    assert not at.get("link_button")


def test_the_guide_names_the_port_the_app_runs_on(db_path, monkeypatch):
    from streamlit import config

    before = config.get_option("server.port")
    config.set_option("server.port", 8765)
    try:
        at = open_page()
    finally:
        config.set_option("server.port", before)
    text = at.expander[0].markdown[0].value
    assert "`http://127.0.0.1:8765/spotify`" in text and "open Encore at `http://127.0.0.1:8765`" in text
    assert "8501" not in text


def test_a_localhost_redirect_uri_is_refused_with_the_fix(db_path, monkeypatch):
    monkeypatch.setenv("SPOTIFY_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("SPOTIFY_REDIRECT_URI", "http://localhost:8501/spotify")
    at = open_page()
    assert "Spotify refuses" in shown(at.warning[0].value) and "127.0.0.1" in shown(at.warning[0].value)


def test_with_a_client_id_the_page_offers_the_sign_in_link(fake):
    at = open_page()
    (button,) = at.get("link_button")
    assert button.proto.label == "Sign in with Spotify"
    url = urllib.parse.urlsplit(button.proto.url)
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{fake.accounts_url}/authorize"
    query = dict(urllib.parse.parse_qsl(url.query))
    assert (query["client_id"], query["redirect_uri"], query["code_challenge_method"]) == (
        CLIENT_ID, "http://127.0.0.1:8501/spotify", "S256")
    assert spotify.TOKEN_KEY not in at.session_state
    at.run()  # the same link on a rerun: no new pending sign-in per rerun
    assert at.get("link_button")[0].proto.url == button.proto.url


def test_the_redirect_back_signs_in_and_clears_the_code(fake):
    import requests
    at = open_page()
    url = at.get("link_button")[0].proto.url
    back = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(
        requests.get(url, allow_redirects=False, timeout=5).headers["Location"]).query))
    at.query_params["code"] = back["code"]
    at.query_params["state"] = back["state"]
    at.run()
    assert not at.exception
    assert [shown(e.value) for e in at.error] == []
    assert spotify.is_signed_in(at.session_state)
    assert shown(at.success[0].value) == "Signed in to Spotify."
    assert dict(at.query_params) == {}
    assert [r.body["grant_type"] for r in fake.requests if r.path == "/api/token"] == ["authorization_code"]


def test_a_stale_redirect_shows_an_error_and_stays_signed_out(fake):
    at = open_page()
    at.query_params["code"] = "code-99"
    at.query_params["state"] = "unknown"
    at.run()
    assert not at.exception
    assert [shown(e.value) for e in at.error] == [
        "This sign-in link has expired or was already used. Click “Sign in with Spotify” again."]
    assert dict(at.query_params) == {}
    assert at.get("link_button")[0].proto.label == "Sign in with Spotify"


def test_signed_in_sync_and_save_work(fake, db_path):
    fake.saved_tracks = [{"added_at": "2026-01-01T00:00:00Z", "track": track(n)} for n in range(1, 4)]
    fake.recently_played = [{"played_at": "2026-11-20T13:00:00.250Z", "track": track(1)}]
    at = open_page(fake.issue_token())
    assert at.button(key="spotify_sign_out").label == "Sign out"
    at.button(key="spotify_sync").click().run()
    assert not at.exception
    assert [shown(e.value) for e in at.error] == []
    table = at.dataframe[0].value
    assert list(table["part"]) == ["recently played", "saved tracks", "playlists", "top artists and tracks",
                                   "followed artists"]
    assert list(table["fetched"]) == [1, 3, 0, 0, 0]
    db = store.open_store(db_path)
    assert store.count_plays(db, store.DEFAULT_PROFILE) == 1

    at.text_area(key="spotify_save_ids").set_value(f"{track_id(1)}\nspotify:track:{track_id(2)}")
    at.text_input(key="spotify_save_name").set_value("From the page")
    at.button(key="spotify_save").click().run()
    assert not at.exception
    assert [shown(e.value) for e in at.error] == []
    (spotify_id,) = fake.playlists
    assert shown(at.success[-1].value) == "Saved “From the page” with 2 tracks."
    assert fake.playlists[spotify_id]["items"] == [f"spotify:track:{track_id(1)}", f"spotify:track:{track_id(2)}"]
    assert at.get("link_button")[-1].proto.url == f"https://open.spotify.com/playlist/{spotify_id}"
    token = at.session_state[spotify.TOKEN_KEY]
    texts = [e.value for kind in (at.markdown, at.caption, at.success, at.info, at.warning, at.error) for e in kind]
    assert texts and not [t for t in texts for secret in (token["access_token"], token["refresh_token"], CLIENT_ID)
                          if secret in shown(str(t))]


def test_signed_in_errors_are_shown_and_resume_finishes_the_save(fake, db_path):
    at = open_page(fake.issue_token())
    fake.fail("POST", "/v1/playlists/", status=500)
    at.text_area(key="spotify_save_ids").set_value(track_id(1))
    at.button(key="spotify_save").click().run()
    assert not at.exception
    assert [shown(e.value) for e in at.error] == [
        "Saving “Encore playlist” to Spotify stopped at chunk 1 of 1 (tracks 1–1). Spotify failed while adding "
        "tracks 1–1 (500: scripted failure). Try again later; nothing was lost. The playlist is "
        "kept in Encore; use “Resume” to continue (no second playlist will be created)."]
    at.button(key="spotify_resume_1").click().run()
    assert not at.exception
    (spotify_id,) = fake.playlists
    assert fake.playlists[spotify_id]["items"] == [f"spotify:track:{track_id(1)}"]
    assert not any(w.value.startswith("“Encore playlist”") for w in at.warning)


def test_sign_out_forgets_the_token(fake):
    at = open_page(fake.issue_token())
    at.button(key="spotify_sign_out").click().run()
    assert not at.exception
    assert spotify.TOKEN_KEY not in at.session_state
    assert at.get("link_button")[0].proto.label == "Sign in with Spotify"


def test_signed_in_saves_one_of_the_stores_playlists_and_explains_closed_features(fake, db_path):
    db = store.open_store(db_path)
    spotify.store_local_playlist(db, store.DEFAULT_PROFILE, "Kept", None, [track_id(4), track_id(5)])
    row = dict.fromkeys(store.PLAY_COLUMNS)
    row.update(played_at="2026-05-01T10:00:00Z", ms_played=1000, content_type="music", track_name="Song 4",
               artist_name="Artist 4", track_uri=f"spotify:track:{track_id(4)}")
    store.insert_plays(db, store.DEFAULT_PROFILE, None, "extended", [tuple(row[c] for c in store.PLAY_COLUMNS)])
    db.conn.commit()
    at = open_page(fake.issue_token())
    at.radio(key="spotify_save_from").set_value("One of the playlists in Encore").run()
    assert at.text_input(key="spotify_save_name").value == "Kept"
    at.button(key="spotify_save").click().run()
    assert not at.exception and [shown(e.value) for e in at.error] == []
    created = [p for p in fake.playlists.values()]
    assert [(p["name"], p["items"]) for p in created] == [
        ("Kept", [f"spotify:track:{track_id(4)}", f"spotify:track:{track_id(5)}"])]
    at.button(key="spotify_features").click().run()
    assert not at.exception and [shown(e.value) for e in at.error] == []
    assert shown(at.info[-1].value) == f"Spotify refused reading audio features (403). {spotify.CLOSED_EXPLANATION}"
    assert [r.path for r in fake.requests][-1] == f"/v1/audio-features/?ids={track_id(4)}"


def test_signed_in_resolves_track_ids_with_progress(fake, db_path):
    db = store.open_store(db_path)
    store.ensure_profile(db, store.DEFAULT_PROFILE)
    row = dict.fromkeys(store.PLAY_COLUMNS)
    row.update(played_at="2026-05-01T10:00:00Z", ms_played=1000, content_type="music", track_name="Song 3",
               artist_name="Artist 3")
    store.insert_plays(db, store.DEFAULT_PROFILE, None, "account", [tuple(row[c] for c in store.PLAY_COLUMNS)])
    db.conn.commit()
    fake.add_tracks([track(3)])
    at = open_page(fake.issue_token())
    at.button(key="spotify_resolve").click().run()
    assert not at.exception and [shown(e.value) for e in at.error] == []
    assert shown(at.success[-1].value) == "Searched 1, found 1; 1 plays now have a track id."
    assert db.execute("SELECT track_uri FROM plays").fetchall() == [(f"spotify:track:{track_id(3)}",)]


def test_signed_in_finds_new_songs_for_discover_and_says_what_stopped_it(fake, db_path):
    db = store.open_store(db_path)
    store.ensure_profile(db, store.DEFAULT_PROFILE)
    row = dict.fromkeys(store.PLAY_COLUMNS)
    row.update(played_at="2026-05-01T10:00:00Z", ms_played=200_000, content_type="music", track_name="Song 3",
               artist_name="Artist 3", track_uri=f"spotify:track:{track_id(3)}")
    store.insert_plays(db, store.DEFAULT_PROFILE, None, "extended", [tuple(row[c] for c in store.PLAY_COLUMNS)])
    db.conn.commit()
    fake.add_tracks([track(3), track(4, name="Other Song", artist="Artist 3", artist_id="a3")])
    fake.fail("GET", "/v1/artists/", status=429, headers={"Retry-After": "7200"})
    at = open_page(fake.issue_token())
    assert any("at most **85 requests**" in c.value for c in at.caption)
    at.button(key="spotify_find").click().run()
    assert not at.exception and [shown(e.value) for e in at.error] == []
    said = shown(at.warning[-1].value)
    assert said.startswith("2 requests to Spotify (0 more answered by earlier runs); 2 songs found on Spotify so far")
    assert "Spotify is limiting requests" in said and "Train the taste model again" in said
    at.button(key="spotify_find").click().run()  # Spotify lets it through now: only the albums are asked
    assert not at.exception
    assert shown(at.success[-1].value).startswith("1 request to Spotify (1 more answered by earlier runs)")
    assert store.catalog_track(db, track_id(4))["source"] == store.SPOTIFY_CATALOG
