"""The chat pipeline on a store: the candidate pool, and the taste model's part in it."""
import numpy as np

from core import chat, history, store, taste


def test_a_trained_taste_model_gives_the_pool_an_affinity(demo_copy):
    path = demo_copy
    db = store.open_store(path)
    before = chat.load_pool(db, "demo")
    assert "affinity" not in before.columns  # no model yet: plays alone say what the person likes
    taste.train(db, "demo", path, evaluate=False)
    pool = chat.load_pool(db, "demo")
    affinity = pool["affinity"].to_numpy(dtype=float)
    liking = pool["liking"].to_numpy(dtype=float)
    # the pool's liking is the shipped hybrid's own score, as the Taste model page computes it
    current = taste.current(db, "demo")
    expected = taste.rank_share(current.hybrid.scores(current.listener(history.load_plays(db, "demo"))))
    mine = pool.index[pool["known"].to_numpy(dtype=bool)]
    idx = current.interactions.track_idx(list(mine))
    np.testing.assert_allclose(liking[pool["known"].to_numpy(dtype=bool)][idx >= 0], expected[idx[idx >= 0]])
    known = ~np.isnan(affinity)
    assert known[pool["known"].to_numpy(dtype=bool)].mean() > 0.9  # the model knows the history's tracks
    assert ((affinity[known] >= 0) & (affinity[known] <= 1)).all()
    conversation = chat.Conversation()
    reply = chat.take_turn(pool, chat.Vocabulary.from_pool(pool), conversation, "my favourites")
    assert reply.changed and len(conversation.version.track_keys) == 25


def test_three_directions_then_the_second_one(demo_db):
    db = store.open_store(demo_db)
    pool = chat.load_pool(db, "demo")
    vocabulary = chat.Vocabulary.from_pool(pool)
    conversation = chat.Conversation()
    reply = chat.take_turn(pool, vocabulary, conversation, "jazz, give me three directions")
    labels = [label for label, _ in conversation.options]
    assert reply.text == ("(offline interpreter) I read that as: jazz, 3 directions to choose from. Here are 3 "
                          f"directions: 1) {labels[0]}; 2) {labels[1]}; 3) {labels[2]}. Pick one (“the second one”).")
    assert conversation.version is None and labels[0] == "as asked"
    second = conversation.options[1][1]
    assert chat.take_turn(pool, vocabulary, conversation, "the second one").text == f"Took direction 2: {labels[1]}."
    assert conversation.version is second and conversation.options == []
    # with nothing offered, "the second one" is an ordinary (not understood) message
    assert chat.take_turn(pool, vocabulary, conversation, "the second one").changed is False


def test_without_a_catalog_the_reply_says_what_cannot_be_done(tmp_path):
    from core import ingest
    from tests.conftest import FIXTURES
    db = store.open_store(tmp_path / "plain.db")
    ingest.import_files(db, paths=[str(FIXTURES)], profile="me")
    pool = chat.load_pool(db, "me")
    assert not pool["has_features"].any()
    vocabulary = chat.Vocabulary.from_pool(pool)
    conversation = chat.Conversation()
    reply = chat.take_turn(pool, vocabulary, conversation, "long day, I'm wiped out")
    assert "None of these tracks has audio features, so the sound asked for cannot be matched" in reply.text
    reply = chat.take_turn(pool, vocabulary, conversation, "no 80s")
    assert "No release years are known for these tracks, so eras cannot be used" in reply.text
    before = conversation.version
    reply = chat.take_turn(pool, vocabulary, conversation, "give me three directions")
    assert reply.text.endswith("Only one direction comes out different with what the store holds (add a catalog "
                               "for audio features and new tracks).")
    assert conversation.options == [] and conversation.version.track_keys == before.track_keys


def test_with_a_key_the_turn_sends_gemini_a_summary_of_the_playlist_and_library(demo_db, monkeypatch):
    from core.chat.gemini import context_block
    from tests.fake_gemini import FakeGemini
    fake = FakeGemini().start()
    try:
        monkeypatch.setenv("GEMINI_API_KEY", "test-key")
        monkeypatch.setenv("ENCORE_GEMINI_BASE_URL", fake.base_url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        pool = chat.load_pool(store.open_store(demo_db), "demo")
        vocabulary = chat.Vocabulary.from_pool(pool)
        conversation = chat.Conversation()
        fake.answer_json({"action": "new", "genres": ["jazz"], "reading": "I read that as: jazz."})
        reply = chat.take_turn(pool, vocabulary, conversation, "some jazz")
        assert (reply.engine, reply.text) == ("gemini", "I read that as: jazz. Only 4 artists play the genre or "
                                                        "era you asked for, so up to 5 tracks each (instead of 2).")
        fake.answer_json({"action": "refine", "shifts": [{"feature": "energy", "direction": "more"}]})
        chat.take_turn(pool, vocabulary, conversation, "more oomph")
        first, second = (r.body["contents"][0]["parts"][0]["text"] for r in fake.requests)
        assert first == context_block(chat.summary(pool, None, vocabulary))
        assert second == context_block(chat.summary(pool, conversation.versions[0], vocabulary))
        assert '"playlist": {"name": "Jazz"' in second and '"top_artists": [' in first
    finally:
        fake.stop()
