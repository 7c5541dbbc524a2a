"""The chat pipeline on a store: the candidate pool, and the taste model's part in it."""
import sqlite3

import numpy as np

from core import assistant, chat, model, playlist, store


def test_a_trained_taste_model_gives_the_pool_an_affinity(demo_db, tmp_path):
    path = tmp_path / "chat.db"
    source, target = sqlite3.connect(demo_db), sqlite3.connect(path)
    source.backup(target)
    source.close(), target.close()
    db = store.open_store(path)
    before = chat.load_pool(db, "demo")
    assert "affinity" not in before.columns  # no model yet: plays alone say what the person likes
    model.train_profile(db, "demo", path)
    pool = chat.load_pool(db, "demo")
    affinity = pool["affinity"].to_numpy(dtype=float)
    known = ~np.isnan(affinity)
    assert known[pool["known"].to_numpy(dtype=bool)].mean() > 0.9  # the model knows the history's tracks
    assert ((affinity[known] >= 0) & (affinity[known] <= 1)).all()
    conversation = playlist.Conversation()
    reply = chat.take_turn(pool, assistant.Vocabulary.from_pool(pool), conversation, "my favourites")
    assert reply.changed and len(conversation.version.track_keys) == 25
