"""AppTest for the Taste model page: train on demo data, see the table and the recommendations."""
from pathlib import Path

from streamlit.testing.v1 import AppTest

from core import history, ingest, store
from tests.conftest import shown

HOME = str(Path(__file__).resolve().parent.parent / "Home.py")


def open_taste(monkeypatch, path: Path, profile: str = "demo") -> AppTest:
    monkeypatch.setenv("ENCORE_DB", str(path))
    at = AppTest.from_file(HOME, default_timeout=120)
    at.session_state["profile"] = profile
    at.run()
    at.switch_page("pages/taste.py").run()
    assert not at.exception
    return at


def test_train_on_demo_shows_evaluation_and_recommendations(tmp_path, monkeypatch):
    path = tmp_path / "app.db"
    ingest.build_demo(store.open_store(path), n_plays=3000)  # its own store: this test writes models
    at = open_taste(monkeypatch, path)
    assert [i.value for i in at.info if "No model yet" in i.value]
    at.number_input(key="taste_iterations").set_value(5)
    at.number_input(key="taste_seeds").set_value(1)
    at.button(key="taste_train").click().run()
    assert not at.exception
    assert [shown(e.value) for e in at.error] == []
    table = at.dataframe[0].value  # order: evaluation (time split, discovery here), for you, forgotten, more like
    assert set(table["model"]) == {"hybrid", "most_played", "most_recent", "item_knn", "audio_knn", "als"}
    assert list(table.columns) == ["model", "ndcg@50", "recall@50", "relisten_ndcg@50", "new_ndcg@50",
                                   "coverage", "diversity", "novelty"]
    assert table["ndcg@50"].between(0, 1).all() and table.notna().all().all()  # no empty cells
    assert any("Playlist continuation: not run — no playlists" in c.value for c in at.caption)
    # one sentence a listener understands leads, with the numbers of the table below it
    [said] = [m.value for m in at.markdown if m.value.startswith("**Time split.**")]
    hybrid, best = table.set_index("model").loc["hybrid", "recall@50"], table[table["model"] != "hybrid"]["recall@50"].max()
    assert f"the model had {hybrid:.0%} in its top 50" in said and f"had {best:.0%}." in said
    assert not [w for w in at.warning if "out of date" in w.value]
    found = at.dataframe[1].value  # never-streamed songs after the history's cut-offs, ranked
    assert found["model"].tolist()[0] == "hybrid" and found["mpr"].between(0, 1).all()
    [said] = [m.value for m in at.markdown if m.value.startswith("**Songs you had never streamed.**")]
    assert f"in its top {found['mpr'].iloc[0]:.0%} of never-streamed songs" in said
    for_you = at.dataframe[2].value  # the dial at its default, 0.5: half the list is the listener's own
    assert len(for_you) == 25 and for_you["reason"].str.len().gt(0).all()
    assert for_you["track_key"].is_unique
    assert for_you.groupby("artist_name").size().max() <= 2
    assert (for_you["source"] == "your history").sum() in (12, 13)
    for dial, mine in ((0.0, 0), (1.0, 25)):
        at.slider(key="taste_familiar").set_value(dial).run()
        assert (at.dataframe[2].value["source"] == "your history").sum() == mine
    # Discover: never-streamed songs, each with its source in the reason; 👍 and 👎 are kept
    streamed = set(history.load_plays(store.open_store(path), "demo").query("ms_played >= 30000")["song_key"]
                   .astype(object))
    liked = next(b for b in at.button if b.key.startswith("taste_like_"))
    key = liked.key.removeprefix("taste_like_")
    assert key not in streamed
    assert any(c.value.startswith(("from the catalog", "a catalog song by ")) for c in at.caption)
    liked.click().run()
    assert store.list_feedback(store.open_store(path), "demo") == {key: 1}
    disliked = next(b for b in at.button if b.key.startswith("taste_dislike_"))
    gone = disliked.key.removeprefix("taste_dislike_")
    disliked.click().run()
    assert f"taste_dislike_{gone}" not in [b.key for b in at.button]  # never suggested again
    # a change to the plays (here: one recording split off its song) makes the saved model out of date
    db = store.open_store(path)
    some = history.load_plays(db, "demo")["track_key"].astype(object).iloc[0]
    store.set_song_edits(db, "demo", [(some, history.split_key(some))])
    at.run()
    assert not at.exception
    assert [w for w in at.warning if "out of date" in w.value]
    # more like these songs
    plays = history.load_plays(db, "demo")
    top = plays[plays["content_type"] == "music"]["song_key"].astype(object).value_counts().index[0]
    at.multiselect(key="taste_picked").set_value([top]).run()
    assert not at.exception
    assert len(at.dataframe) == 5 and len(at.dataframe[4].value) > 0


def test_empty_profile_says_what_to_do(tmp_path, monkeypatch):
    at = open_taste(monkeypatch, tmp_path / "empty.db", profile="me")
    assert any("has no music plays yet" in i.value for i in at.info)
