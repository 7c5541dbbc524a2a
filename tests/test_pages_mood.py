"""AppTests for the Mood page: it charts exactly what core.mood computes, follows the catalog
(a match undone changes the page), and says plainly when there are no audio features."""
import json
from pathlib import Path

import pandas as pd
from streamlit import dataframe_util
from streamlit.testing.v1 import AppTest

from core import explore, history, ingest, store
from tests.conftest import FIXTURES, page_infos

HOME = str(Path(__file__).resolve().parent.parent / "Home.py")


def open_mood(profile: str = "demo") -> AppTest:
    at = AppTest.from_file(HOME, default_timeout=60)
    at.session_state["profile"] = profile
    at.run()
    at.switch_page("pages/mood.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def chart_data(at: AppTest, title: str) -> pd.DataFrame:
    """The data of the chart with this title, read back from the Vega-Lite element's Arrow dataset."""
    found = []
    for element in at.get("vega_lite_chart"):
        if json.loads(element.proto.spec).get("title") == title:
            (dataset,) = element.proto.datasets
            found.append(dataframe_util.convert_arrow_bytes_to_pandas_df(dataset.data.data))
    assert len(found) == 1, f"{len(found)} charts titled {title!r}"
    return found[0]


def joined_frame(at: AppTest, db_path: Path) -> tuple[pd.DataFrame, dict]:
    """The joined plays the page works on, rebuilt from its sidebar controls, and the genres."""
    start, end = at.date_input(key="f_dates").value
    filters = explore.Filters(start=start, end=end, content=tuple(at.multiselect(key="f_content").value),
                              min_ms=30_000, tz=at.selectbox(key="f_tz").value)
    db = store.open_store(db_path)
    plays = history.load_plays(db, "demo")
    features, genres = explore.song_features(store.matched_features(db, "demo"), store.matched_genres(db, "demo"), plays)
    tracks = explore.track_table(features, genres)
    frame = explore.apply_filters(plays, filters)
    db.close()
    return explore.join_features(frame, tracks), genres


def test_mood_charts_equal_the_aggregates(demo_db, monkeypatch):
    monkeypatch.setenv("ENCORE_DB", str(demo_db))
    at = open_mood()
    assert at.title[0].value == "Mood"
    joined, genres = joined_frame(at, demo_db)
    months, hours = explore.features_by_month(joined), explore.sound_by_hour(joined)
    assert months["enough"].any() and not months["enough"].all()  # the demo has thin months: the rule shows

    pd.testing.assert_frame_equal(chart_data(at, "Your sound per month"),
                                  explore.long_features(months, "month", explore.UNIT_FEATURES))
    pd.testing.assert_frame_equal(chart_data(at, "Tempo per month"), explore.long_features(months, "month", ["tempo"]))
    pd.testing.assert_frame_equal(chart_data(at, "Share of listening with audio features, per month"),
                                  months[["month", "hours", "matched_hours", "coverage"]])
    pd.testing.assert_frame_equal(chart_data(at, "Your sound by hour of the day"),
                                  explore.long_features(hours, "hour", explore.UNIT_FEATURES))
    pd.testing.assert_frame_equal(chart_data(at, "Tempo by hour of the day"),
                                  explore.long_features(hours, "hour", ["tempo"]))
    by_mood = explore.genres_by_mood(joined, genres)
    for name in explore.MOODS:
        pd.testing.assert_frame_equal(chart_data(at, f"{name.capitalize()}: top genres"),
                                      by_mood[by_mood["mood"] == name])
    pd.testing.assert_frame_equal(chart_data(at, "Listening time by release decade"), explore.release_decades(joined))

    coverage, age = explore.coverage_summary(joined), explore.listening_age(joined)
    split = explore.mood_split(joined).set_index("mood")["share"]
    assert {m.label: m.value for m in at.metric} == {
        "Music listening with features": explore.percent_label(coverage["share"]),
        "Tracks with features": f"{coverage['matched_tracks']:,} of {coverage['tracks']:,}",
        "Hours with features": f"{coverage['matched_hours']:,.1f}",
        "Sad music": explore.percent_label(split["sad"]),
        "Neutral music": explore.percent_label(split["neutral"]),
        "Happy music": explore.percent_label(split["happy"]),
        "Listening age": f"{age['age']:.0f} years",
        "Median release year": f"{age['median_release_year']:.0f}",
        "Listening with a release year": explore.percent_label(age["coverage"]),
    }
    # every chart section states its base, and the blank months are counted
    captions = [c.value for c in at.caption]
    based = f"Based on {explore.percent_label(coverage['share'])} of your music listening in this range"
    listened = months["hours"] > 0
    hidden = int((listened & ~months["enough"]).sum())
    assert (f"{based} ({coverage['matched_hours']:,.1f} of {coverage['music_hours']:,.1f} h). {hidden} of "
            f"{int(listened.sum())} months left blank: under 60 minutes of listening with features, or under 10% of "
            "that month's listening.") in captions
    # the four chart sections: months, genres by mood, hours, release era
    assert sum("Based on" in c for c in captions) == 4
    assert not at.warning  # the demo catalog knows every demo track

    by_year = explore.listening_age_by_year(joined)
    table = at.dataframe[0].value
    assert table["year"].tolist() == by_year["year"].tolist()
    assert table["listening age"].tolist() == [f"{a:.0f} years" if ok else "too little to tell"
                                               for a, ok in zip(by_year["age"], by_year["enough"])]
    assert table["share of listening"].tolist() == [explore.percent_label(c) for c in by_year["coverage"]]

    at.multiselect(key="mood_features").set_value(["valence", "energy"]).run()
    assert not at.exception
    pd.testing.assert_frame_equal(chart_data(at, "Your sound per month"),
                                  explore.long_features(months, "month", ["valence", "energy"]))
    pd.testing.assert_frame_equal(chart_data(at, "Your sound by hour of the day"),
                                  explore.long_features(hours, "hour", ["valence", "energy"]))


def test_undoing_matches_changes_the_page_without_a_new_import(demo_copy, monkeypatch):
    path = demo_copy
    monkeypatch.setenv("ENCORE_DB", str(path))
    at = open_mood()
    assert at.metric[0].value == "100%" and not at.warning

    # keep one match in ten (as a re-match against a smaller catalog would): under a quarter of the
    # listening keeps its features, and the page must notice (its cache is keyed on the catalog
    # version, not only on the plays' data version) and warn
    db = store.open_store(path)
    version = store.data_version(db)
    kept = [(m["track_key"], m["catalog_track_id"], m["method"], m["source"])
            for m in store.list_track_matches(db, "demo")][::10]
    with db.atomic():
        store.replace_track_matches(db, "demo", kept)
        store.bump_catalog_version(db)
    assert store.data_version(db) == version  # the plays did not change
    db.close()

    at.run()
    assert not at.exception, [e.value for e in at.exception]
    joined, _ = joined_frame(at, path)
    coverage = explore.coverage_summary(joined)
    assert coverage["low"]
    assert at.metric[0].value == explore.percent_label(coverage["share"])
    (warning,) = at.warning
    assert warning.value.startswith(f"Only {explore.percent_label(coverage['share'])} of your music listening has "
                                    "audio features")


def test_a_profile_without_features_gets_a_plain_message_and_a_way_to_the_catalog(tmp_path, monkeypatch):
    path = tmp_path / "app.db"
    db = store.open_store(path)
    ingest.import_files(db, paths=[FIXTURES / "Streaming_History_Audio_2023-2024_0.json"], profile="me")
    db.close()
    monkeypatch.setenv("ENCORE_DB", str(path))
    at = open_mood("me")
    (info,) = at.info
    assert info.value.startswith("No audio features for profile “me” yet")
    assert [link.proto.page for link in at.get("page_link")] == ["catalog"]  # the url_path of pages/catalog.py
    assert not at.get("vega_lite_chart")


def test_a_selection_without_music_says_why_there_is_nothing_to_chart(demo_db, monkeypatch):
    monkeypatch.setenv("ENCORE_DB", str(demo_db))
    at = open_mood()
    at.multiselect(key="f_content").set_value(["podcast"]).run()
    assert not at.exception
    assert page_infos(at) == ["No music in this selection: podcasts and audiobooks have no audio "
                                          "features. Pick Music in the sidebar."]
    assert not at.get("vega_lite_chart")
