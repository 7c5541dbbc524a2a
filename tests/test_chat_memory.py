"""What the chat knows about the listener (song facts, estimated features) and what it keeps
(conversations in the store, per profile)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from core import chat, history, store
from core.catalog.estimate import artist_means, estimate_features, neighbour_means
from core.chat import conversation as conversations
from core.errors import ChatNotFoundError
from tests.test_habits import frame_of, play
from tests.test_playlist import POOL

END = pd.Timestamp("2024-06-30T12:00:00Z")


def plays(rows: list[tuple[str, str, int]]) -> pd.DataFrame:
    """rows: (song, ISO day, seconds played), each play starting at noon UTC that day, run
    through the real import (a play under 30 s ends with the forward button: a skip)."""
    uris = {song: chr(ord("a") + n) for n, song in enumerate(dict.fromkeys(r[0] for r in rows))}
    return frame_of([play(f"{day}T12:00:00Z", seconds, track=song, uri=uris[song],
                          reason_end="trackdone" if seconds >= 30 else "fwdbtn") for song, day, seconds in rows])


def by_title(facts: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """song_facts indexed by the song's title (each test song has one id)."""
    titles = dict(zip(frame["song_key"].astype(object), frame["track_name"].astype(object)))
    return facts.rename(index=titles)


HISTORY = plays(
    [("old love", f"2021-0{m}-01", 200) for m in range(1, 9)]  # 8 streams, three years ago
    + [("new love", f"2024-0{m}-01", 200) for m in range(1, 7)]  # 6 streams, this year
    + [("skipped a lot", f"2024-0{m}-02", 200) for m in range(1, 5)]  # 4 streams ...
    + [("skipped a lot", f"2024-0{m}-03", 5) for m in range(1, 7)]  # ... and 6 skips
    + [("same, never skipped", f"2024-0{m}-02", 200) for m in range(1, 5)]
    + [("twice", "2024-06-01", 200), ("twice", "2024-06-02", 200)]  # under LOVED_MIN streams
    + [("once skipped", "2024-06-03", 4)]
)


def test_song_facts_counts_streams_by_song_and_year():
    facts = by_title(history.song_facts(HISTORY, now=END), HISTORY)
    assert facts.loc["old love", "streams"] == 8 and facts.loc["skipped a lot", "streams"] == 4
    assert facts.loc["skipped a lot", "skips"] == 6 and facts.loc["once skipped", "streams"] == 0
    assert facts.loc["old love", "streams_2021"] == 8 and facts.loc["old love", "streams_2024"] == 0
    assert facts.loc["new love", "recent"] == 3  # April, May and June: within RECENT_DAYS of the end
    assert facts.loc["old love", "last_days"] == pytest.approx((END - pd.Timestamp("2021-08-01T12:00Z")).days, abs=1)
    assert np.isnan(facts.loc["once skipped", "last_days"])  # never streamed


def test_love_weighs_recency_and_skips_and_needs_loved_min_streams():
    love = by_title(history.song_facts(HISTORY, now=END), HISTORY)["love"]
    # six streams this year beat eight three years ago; skips lower a song's love
    assert love["new love"] > love["old love"] > 0
    assert love["same, never skipped"] > love["skipped a lot"] > 0
    assert love["twice"] == 0 and love["once skipped"] == 0  # fewer than LOVED_MIN streams
    assert love.max() == 1.0


def test_overplayed_is_the_most_streamed_ever_or_lately():
    facts = pd.DataFrame({"streams": range(40, 0, -1), "recent": [0] * 39 + [9]},
                         index=[f"s{i}" for i in range(40)])
    over = history.overplayed(facts)
    assert over[[f"s{i}" for i in range(history.OVERPLAYED_TOP)]].all()
    assert over["s39"]  # the least streamed ever, but the most lately
    assert not over[[f"s{i}" for i in range(history.OVERPLAYED_TOP, 39)]].any()


# --- estimates --------------------------------------------------------------------------------

NAN = np.nan


def test_artist_mean_leaves_the_song_itself_out():
    values = np.array([[0.2], [0.4], [NAN], [0.9]])
    means = artist_means(values, np.array([0, 0, 0, 1]))
    assert means[:, 0].tolist()[:3] == pytest.approx([0.4, 0.2, 0.3])
    assert np.isnan(means[3, 0])  # the artist's only song: no other to learn from


def test_neighbour_mean_is_weighted_and_needs_enough_weight():
    values = np.array([[NAN], [0.2], [0.8], [NAN]])
    counts = sp.csr_matrix(np.array([[0, 3, 1, 0], [3, 0, 0, 0], [1, 0, 0, 0], [0, 0, 1, 0]], dtype=float))
    means = neighbour_means(values, counts, min_weight=2.0)
    assert means[0, 0] == pytest.approx((3 * 0.2 + 0.8) / 4)
    assert np.isnan(means[3, 0])  # one co-play: under the minimum weight


def test_estimates_only_for_songs_without_features_first_source_wins():
    values = np.array([[0.5, 0.5], [NAN, NAN], [NAN, NAN], [NAN, NAN], [0.1, 0.1]])
    artists = np.array([0, 0, 1, 2, 1])
    counts = sp.csr_matrix(np.array([[0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0],
                                     [3, 0, 0, 0, 0], [0, 0, 0, 0, 0]], dtype=float))
    imputed = np.full((5, 2), NAN)
    imputed[2] = [0.9, 0.9]
    estimates, source = estimate_features(values, artists, counts, imputed)
    assert source.tolist() == [None, "artist", "taste model", "neighbours", None]
    assert estimates[1].tolist() == [0.5, 0.5] and estimates[2].tolist() == [0.9, 0.9]
    assert estimates[3].tolist() == [0.5, 0.5]
    assert np.isnan(estimates[0]).all() and np.isnan(estimates[4]).all()  # real values are not estimated


def test_a_reason_says_when_a_value_is_estimated():
    rows = POOL.reset_index(drop=True)
    no_features = rows["track_name"] == "No Features"
    rows.loc[no_features, ["est_energy", "est_valence"]] = [0.1, 0.2]
    rows.loc[no_features, "estimated_by"] = "artist"
    pool = chat.prepare_pool(rows.drop(columns=[c for c in rows.columns if c.startswith("sound_")]))
    version = chat.apply_turn(pool, None, chat.Turn(action="new", mine="loved",
                                                     shifts=[chat.Shift(feature="energy", direction="less")]))
    key = pool.index[pool["track_name"] == "No Features"][0]
    assert key in version.track_keys
    assert "estimated" in version.reasons[version.track_keys.index(key)]


# --- conversations are kept -----------------------------------------------------------------


@pytest.fixture
def db(tmp_path):
    db = store.open_store(tmp_path / "chat.db")
    for name in ("me", "anna"):
        store.ensure_profile(db, name)
    return db


def a_conversation() -> chat.Conversation:
    conversation = chat.Conversation()
    vocabulary = chat.Vocabulary.from_pool(POOL)
    for message in ("indie folk", "calmer", "no Juniper Oaks"):
        chat.take_turn(POOL, vocabulary, conversation, message)
    return conversation


def test_a_conversation_survives_the_store_with_every_version_and_message(db):
    conversation = a_conversation()
    chat_id = conversations.save(db, "me", conversation)

    again = conversations.open_saved(db, "me", chat_id, POOL)

    assert [v.track_keys for v in again.versions] == [v.track_keys for v in conversation.versions]
    assert [v.name for v in again.versions] == [v.name for v in conversation.versions]
    assert again.current == conversation.current and again.log == conversation.log
    assert again.versions[-1].settings == conversation.versions[-1].settings
    assert chat.take_turn(POOL, chat.Vocabulary.from_pool(POOL), again, "undo").changed  # undo still works


def test_playlists_are_listed_renamed_duplicated_and_deleted_per_profile(db):
    first = conversations.save(db, "me", a_conversation())
    conversations.rename(db, "me", first, "  Sunday   folk ")
    copy = conversations.duplicate(db, "me", first)

    listed = store.list_chats(db, "me")
    assert [(c["id"], c["name"]) for c in listed] == [(copy, "Sunday folk (copy)"), (first, "Sunday folk")]
    assert store.list_chats(db, "anna") == []
    with pytest.raises(ChatNotFoundError):
        conversations.open_saved(db, "anna", first)  # another profile's playlist is not there
    store.delete_chat(db, "me", first)
    assert [c["id"] for c in store.list_chats(db, "me")] == [copy]


def test_saving_a_playlist_deleted_elsewhere_says_so(db):
    conversation = a_conversation()
    chat_id = conversations.save(db, "me", conversation)
    store.delete_chat(db, "me", chat_id)
    with pytest.raises(ChatNotFoundError, match="deleted"):
        conversations.save(db, "me", conversation)


def test_deleting_a_profile_deletes_its_playlists(db):
    conversations.save(db, "me", a_conversation())
    kept = conversations.save(db, "anna", a_conversation())

    counts, _ = store.delete_profile(db, "me")

    assert counts.get("chats") == 1
    assert [c["id"] for c in store.list_chats(db, "anna")] == [kept]


def test_a_song_gone_from_the_pool_leaves_the_reopened_playlist(db):
    conversation = a_conversation()
    chat_id = conversations.save(db, "me", conversation)
    gone = conversation.version.track_keys[0]

    again = conversations.open_saved(db, "me", chat_id, POOL.drop(index=gone))

    assert gone not in again.version.track_keys
    assert len(again.version.track_keys) == len(conversation.version.track_keys) - 1
