"""AppTest of a multi-turn chat on the demo store: prompt, refinements, undo, like/dislike, exports."""
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core import chat, store
from tests.conftest import HOME, open_page, page_captions, shown


@pytest.fixture
def chat_db(demo_copy, monkeypatch) -> Path:
    """A private copy of the demo store (the chat writes likes and dislikes)."""
    monkeypatch.setenv("ENCORE_DB", str(demo_copy))
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    return demo_copy


def chat_page() -> AppTest:
    return open_page("pages/chat.py")


def say(at: AppTest, text: str) -> AppTest:
    at.chat_input(key="chat_input").set_value(text).run()
    assert not at.exception
    return at


def messages(at: AppTest) -> list[tuple[str, str]]:
    return [(m.name, shown(m.markdown[0].value)) for m in at.chat_message]


def playlist_rows(at: AppTest) -> list[str]:
    """The playlist's tracks as "Artist — Title (year)", in order."""
    rows = [m.value.split(LINK)[0] for m in at.markdown if m.value.startswith("**") and " — " in m.value]
    return [shown(row.split("  \n")[0].split(". ", 1)[1].replace("**", "")) for row in rows]


LINK = " · [Artist & track ↗]("


def playlist_links(at: AppTest) -> dict[str, str | None]:
    """Each playlist row's link to the Artist & track page (None without one), by row."""
    rows = [m.value for m in at.markdown if m.value.startswith("**") and " — " in m.value]
    return {row.split(LINK)[0]: (row.split(LINK)[1].rstrip(")") if LINK in row else None) for row in rows}


def test_a_chat_of_several_turns(chat_db):
    at = chat_page()
    assert page_captions(at)[0].startswith("Offline interpreter (English): nothing leaves this computer.")
    say(at, "rainy-afternoon indie folk")
    assert messages(at)[-1] == ("assistant", "(offline interpreter) I read that as: indie folk, calm, low energy, "
                                             "acoustic, sadder, darker. Only 4 artists play the genre or era you "
                                             "asked for, so up to 5 tracks each (instead of 2).")
    first = playlist_rows(at)
    assert len(first) == 25
    say(at, "no The Tallow Creek Choir")
    assert messages(at)[-1] == ("assistant", "(offline interpreter) I read that as: no The Tallow Creek Choir. "
                                             "Changed 5 of 25 tracks. Only 3 artists play the genre or era you asked "
                                             "for, so up to 5 tracks each (instead of 2).")
    second = playlist_rows(at)
    assert len(second) == 25 and not any("The Tallow Creek Choir —" in row for row in second)
    say(at, "20 minutes")
    details = at.dataframe[0].value
    assert abs(details["duration_ms"].sum() / 60_000 - 20) <= 3
    say(at, "undo")
    assert messages(at)[-1] == ("assistant", "(offline interpreter) Back to version 2.")
    assert playlist_rows(at) == second
    say(at, "what's the weather like?")
    assert messages(at)[-1][1].startswith("(offline interpreter) I did not understand that (“whats weather”). I can: "
                                          "start a playlist")
    assert playlist_rows(at) == second  # a turn that was not understood changes nothing

    # a reload (a new session) reopens the conversation where it was, from the store
    again = chat_page()
    assert playlist_rows(again) == second
    assert messages(again)[-1] == messages(at)[-1]
    (picker,) = [s for s in again.selectbox if s.label == "Your playlists"]
    assert picker.value is not None and "25 tracks" in picker.format_func(picker.value)


def test_like_and_dislike_are_stored_and_change_the_playlist(chat_db):
    at = chat_page()
    say(at, "upbeat party music")
    rows = playlist_rows(at)
    first_key = [b.key for b in at.button if b.key and b.key.startswith("chat_dislike_")][0]
    track_key = first_key.split("_", 3)[3]
    at.button(key=first_key).click().run()
    assert not at.exception
    assert playlist_rows(at)[0] != rows[0] and rows[0] not in playlist_rows(at)
    like_key = [b.key for b in at.button if b.key and b.key.startswith("chat_like_")][0]
    liked = like_key.split("_", 3)[3]
    at.button(key=like_key).click().run()
    assert not at.exception
    db = store.open_store(chat_db)
    assert store.list_feedback(db, "demo") == dict(sorted({track_key: -1, liked: 1}.items()))


def test_exports_and_signed_out_spotify(chat_db):
    at = chat_page()
    say(at, "90s rock, 10 tracks")
    assert len(playlist_rows(at)) == 10
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["CSV", "M3U", "JSON"]
    # not signed in: no save button, a way to the Spotify page instead
    assert [b for b in at.button if b.key == "chat_spotify"] == []
    assert [link.label for link in at.get("page_link")] == ["Sign in to save to Spotify"]


def test_save_to_spotify_in_one_click_when_signed_in(chat_db, monkeypatch):
    from core import spotify
    from tests.fake_spotify import CLIENT_ID, FakeSpotify
    fake = FakeSpotify().start()
    try:
        monkeypatch.setenv("SPOTIFY_CLIENT_ID", CLIENT_ID)
        monkeypatch.setenv("ENCORE_SPOTIFY_API_URL", fake.api_url)
        monkeypatch.setenv("ENCORE_SPOTIFY_ACCOUNTS_URL", fake.accounts_url)
        at = AppTest.from_file(HOME, default_timeout=60)
        at.session_state["profile"] = "demo"
        at.session_state[spotify.TOKEN_KEY] = fake.issue_token()
        at.run()
        at.switch_page("pages/chat.py").run()
        say(at, "90s rock, 10 tracks")
        at.button(key="chat_spotify").click().run()
        assert not at.exception
        (playlist,) = fake.playlists.values()
        assert playlist["name"] == "90s rock" and len(playlist["items"]) == 10
        assert [shown(s.value) for s in at.success] == ["Saved “90s rock” to Spotify with 10 tracks."]
    finally:
        fake.stop()


def test_keep_the_ticked_tracks_and_more_like_them(chat_db):
    at = chat_page()
    say(at, "jazz")
    before = playlist_rows(at)
    boxes = [c for c in at.checkbox if c.key and c.key.startswith("chat_keep_")]
    for box in boxes[5:]:
        box.uncheck()
    at.run()
    at.button(key="chat_keep_refill").click().run()
    assert not at.exception
    after = playlist_rows(at)
    assert after[:5] == before[:5] and len(after) == 25
    assert not set(after[5:]) & set(before[5:])


def test_three_directions_shown_and_one_picked(chat_db):
    at = chat_page()
    say(at, "jazz, give me three directions")
    assert messages(at)[-1][1].startswith("(offline interpreter) I read that as: jazz, 3 directions to choose from.")
    assert [t.label for t in at.tabs] == ["1. as asked", "2. livelier", "3. more electronic"]
    assert playlist_rows(at) == []  # nothing picked yet
    at.button(key="chat_pick_1").click().run()
    assert not at.exception
    assert messages(at)[-1] == ("assistant", "Took direction 2: livelier.")
    assert len(playlist_rows(at)) == 25 and shown(at.subheader[0].value) == "Energetic jazz (livelier)"


def test_a_gemini_key_in_streamlit_secrets_is_used(chat_db, monkeypatch):
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)  # restored to unset after the test
    at = AppTest.from_file(HOME, default_timeout=60)
    at.secrets["GEMINI_API_KEY"] = "secret-from-toml"
    at.session_state["profile"] = "demo"
    at.run()
    at.switch_page("pages/chat.py").run()
    assert not at.exception
    assert page_captions(at)[0].startswith("Requests are read by Gemini (gemini-2.5-flash)")
    assert "secret-from-toml" not in " ".join([e.value for e in at.caption] + [e.value for e in at.markdown])


def test_playlists_are_kept_renamed_duplicated_and_deleted(chat_db):
    at = chat_page()
    say(at, "upbeat party music")
    first = playlist_rows(at)
    at.button(key="chat_new").click().run()
    assert not at.exception and playlist_rows(at) == []
    say(at, "rainy-afternoon indie folk")
    db = store.open_store(chat_db)
    assert [(row["name"], row["tracks"]) for row in store.list_chats(db, "demo")][:2] == [
        (chat.open_saved(db, "demo", store.list_chats(db, "demo")[0]["id"]).name, 25), ("Energetic, happy mix", 25)]
    chat_id = store.list_chats(db, "demo")[0]["id"]
    at.text_input(key=f"chat_rename_{chat_id}").set_value("Grey day").run()
    at.button(key="chat_rename_button").click().run()
    assert store.list_chats(db, "demo")[0]["name"] == "Grey day"
    say(at, "calmer")  # a name the person gave stays
    assert store.list_chats(db, "demo")[0]["name"] == "Grey day"
    at.button(key="chat_duplicate").click().run()
    assert [row["name"] for row in store.list_chats(db, "demo")][:2] == ["Grey day (copy)", "Grey day"]
    copy_id = store.list_chats(db, "demo")[0]["id"]
    at.checkbox(key=f"chat_delete_sure_{copy_id}").check().run()
    at.button(key="chat_delete").click().run()
    assert not at.exception
    assert [row["name"] for row in store.list_chats(db, "demo")] == ["Grey day", "Energetic, happy mix"]
    (picker,) = [s for s in at.selectbox if s.label == "Your playlists"]
    older = store.list_chats(db, "demo")[1]["id"]
    picker.set_value(older).run()
    assert playlist_rows(at) == first


def test_songs_the_listener_streams_link_to_the_artist_and_track_page(chat_db):
    from urllib.parse import parse_qs, urlsplit

    from core import history
    at = chat_page()
    say(at, "songs I love")
    links = playlist_links(at)
    plays = history.load_plays(store.open_store(chat_db), at.session_state["profile"])
    streamed = set(plays["song_key"].dropna().astype(str))
    linked = [parse_qs(urlsplit(link).query)["song"][0] for link in links.values() if link]
    assert linked and set(linked) <= streamed  # loved songs are streamed songs: each opens on the detail page
    say(at, "jazz, give me three directions")
    table = at.dataframe[0].value
    assert "link" in table.columns
    known = table["link"].notna()
    assert known.any() and not known.all()  # streamed songs link, songs new to the listener do not
    assert all(parse_qs(urlsplit(link).query)["song"][0] in streamed for link in table.loc[known, "link"])
