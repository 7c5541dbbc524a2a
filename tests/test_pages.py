"""AppTest smoke and behaviour tests for every page."""
import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core import explore, ingest, store
from core.explore import tops
from tests.conftest import FIXTURES, shown

HOME = str(Path(__file__).resolve().parent.parent / "Home.py")


@pytest.fixture
def db_path(tmp_path, monkeypatch):
    path = tmp_path / "app.db"
    monkeypatch.setenv("ENCORE_DB", str(path))
    return path


def app() -> AppTest:
    return AppTest.from_file(HOME, default_timeout=60)


def test_home_offers_both_ways_in(db_path):
    at = app().run()
    assert not at.exception
    assert at.title[0].value == "🎧 Encore"
    assert [s.value for s in at.subheader][:2] == ["Import my export", "Explore with demo data"]
    assert at.button(key="load_demo").label == "Load the demo"


def test_import_page_imports_a_folder_and_reports_per_file(db_path):
    at = app().run()
    at.switch_page("pages/import.py").run()
    assert not at.exception
    at.text_input(key="import_new_profile").set_value("tester")  # a first import: the person names their profile
    at.text_input(key="import_folder").set_value(str(FIXTURES)).run()
    at.button(key="import_button").click().run()
    assert not at.exception
    assert [shown(e.value) for e in at.error] == []
    assert shown(at.success[0].value).startswith("Imported into profile “tester”: 19 plays added")
    table = at.dataframe[0].value
    assert len(table) == 15 and set(table["status"]) == {"imported"}
    assert table.set_index("path").loc[str(FIXTURES / "endsong_1.json"), "duplicates skipped"] == 1
    assert table.set_index("file").loc["endsong_1.json", "format"] == "Extended streaming history (endsong, 2021-2023)"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Plays"] == "19"
    db = store.open_store(db_path)
    assert store.count_plays(db, "tester") == 19


def test_import_page_shows_a_clear_error_for_a_bad_path(db_path):
    at = app().run()
    at.switch_page("pages/import.py").run()
    at.text_input(key="import_folder").set_value("/no/such/folder").run()
    at.button(key="import_button").click().run()
    assert not at.exception
    assert [shown(e.value) for e in at.error] == ["/no/such/folder: does not exist. Check the path and try again."]
    assert shown(at.warning[0].value) == "Nothing could be imported from this input. See the messages above."


def test_load_the_demo_builds_the_demo_profile_and_switches_to_it(db_path):
    at = app().run()
    at.button(key="load_demo").click().run()
    assert not at.exception
    assert at.session_state["profile"] == "demo"
    db = store.open_store(db_path)
    assert store.is_demo_profile(db, "demo") and store.count_plays(db, "demo") == 60_036


def test_demo_profile_is_labelled_as_demo_on_every_page(db_path):
    from core import ingest
    ingest.build_demo(store.open_store(db_path), n_plays=500)
    for page in (None, "pages/import.py"):  # None: the default page, Home
        at = app()
        at.session_state["profile"] = "demo"
        at.run()
        if page:
            at.switch_page(page).run()
        assert not at.exception
        assert shown(at.info[0].value).startswith("**Demo data.** You are exploring a synthetic listener"), page


def profile_picker(at):
    (picker,) = [s for s in at.selectbox if s.label == "Profile"]
    return picker


def test_the_sidebar_picker_follows_a_profile_switch_and_a_pick(db_path):
    from core import ingest
    db = store.open_store(db_path)
    ingest.build_demo(db, n_plays=300)
    store.ensure_profile(db, "me")
    at = app().run()
    assert profile_picker(at).value == "me"
    at.session_state["profile"] = "demo"  # a page switched profiles (as Load the demo does)
    at.run()
    assert profile_picker(at).value == "demo"
    profile_picker(at).select("me").run()  # the person picks
    assert at.session_state["profile"] == "me"
    at.switch_page("pages/overview.py").run()
    assert not at.exception
    assert profile_picker(at).value == "me" and at.session_state["profile"] == "me"


def test_a_page_switch_never_jumps_to_the_alphabetically_first_profile(db_path):
    from core import ingest
    db = store.open_store(db_path)
    ingest.build_demo(db, n_plays=300)
    ingest.import_files(db, paths=[FIXTURES / "StreamingHistory_music_0.json"], profile="account")
    at = app()
    at.session_state["profile"] = "demo"
    at.run()
    for page in ("pages/habits.py", "pages/overview.py", "pages/chat.py"):
        at.switch_page(page).run()  # in AppTest every run is Streamlit's first run after a start
        assert not at.exception
        assert at.session_state["profile"] == "demo" and profile_picker(at).value == "demo", page


def test_home_points_to_the_next_steps_once_there_are_plays(demo_db, monkeypatch):
    monkeypatch.setenv("ENCORE_DB", str(demo_db))
    at = app()
    at.session_state["profile"] = "demo"
    at.run()
    assert not at.exception
    assert [link.label for link in at.get("page_link")] == [
        "Go to Import", "Explore your listening", "Add audio features (Catalog)", "Train your taste model",
        "Chat up a playlist"]


def test_the_shared_plays_frame_cannot_be_changed_by_one_session(demo_db, monkeypatch):
    """The cached frame is one object for every browser session: what a caller changes in
    the frame it was given stays in its own copy."""
    import streamlit as st

    from pages import _shared

    monkeypatch.setenv("ENCORE_DB", str(demo_db))
    st.session_state.clear()
    first = _shared.all_plays("demo")
    original = first["ms_played"].iloc[0]
    first.loc[first.index[0], "ms_played"] = -1
    first["added"] = 1
    again = _shared.all_plays("demo")
    assert again["ms_played"].iloc[0] == original and "added" not in again.columns
    assert _shared._plays(*_shared.data_key("demo")) is _shared._plays(*_shared.data_key("demo"))  # one cached object


def test_a_ranges_artists_and_songs_from_block_totals_are_the_plays_counted(demo_db, monkeypatch):
    """_shared._items counts a date range's artists and songs from block totals
    (explore.items_in_run) when the range is one run of a content type's rows: the same table
    as counting the range's plays, in any zone and under any rule. Blocks of 97 plays, so the
    demo's ranges cut several."""
    import streamlit as st

    from core.history import frame as history_frame
    from pages import _shared

    monkeypatch.setenv("ENCORE_DB", str(demo_db))
    monkeypatch.setattr(history_frame, "BLOCK_ROWS", 97)
    st.session_state.clear()
    st.cache_resource.clear()
    counted = []
    monkeypatch.setattr(explore, "items_in_run", lambda *a: counted.append(a) or tops.items_in_run(*a))
    data = _shared.data_key("demo")
    first = _shared.all_plays("demo")["start"].min().date()
    try:
        for days, tz, content, min_ms in ((30, "UTC", "music", 30_000), (200, "Asia/Kathmandu", "music", 0),
                                          (3, "America/New_York", "podcast", 61_000),
                                          (400, "Pacific/Kiritimati", "music", 30_000)):
            chosen = explore.Filters(start=first + dt.timedelta(days=days), end=first + dt.timedelta(days=days + 400),
                                     content=(content,), min_ms=min_ms, tz=tz)
            for by in ("artist", "track"):
                before = len(counted)
                got = _shared._items(*data, _shared.rows_key("demo", chosen), min_ms, by, chosen)
                want = explore.item_part(_shared.explore_frame("demo", chosen), by)
                pd.testing.assert_frame_equal(got, want, check_exact=True)
                assert len(counted) == before + 1  # from the totals
                assert len(want) > 0 if content == "music" else want.empty  # a podcast has no artist or song
        assert {a[0].block for a in counted} == {97} and max(len(a[0].plays) for a in counted) > 3  # several blocks
    finally:
        st.cache_resource.clear()


def test_the_import_page_never_targets_the_demo(db_path):
    """With the demo loaded and picked in the sidebar, an import still goes into the person's own
    profile, and a new profile's name is checked before anything is read."""
    db = store.open_store(db_path)
    ingest.build_demo(db, n_plays=500)
    demo_plays = store.count_plays(db, "demo")
    at = app()
    at.session_state["profile"] = "demo"
    at.run()
    at.switch_page("pages/import.py").run()
    assert not at.exception
    assert at.text_input(key="import_new_profile").value == "me"  # no real profile yet: the person's own
    at.text_input(key="import_new_profile").set_value("demo")
    at.text_input(key="import_folder").set_value(str(FIXTURES)).run()
    at.button(key="import_button").click().run()
    assert [shown(e.value) for e in at.error] == ["“demo” is the demo listener's profile. Choose another name for yours."]
    assert store.count_plays(db, "demo") == demo_plays and store.count_plays(db) == demo_plays
    at.text_input(key="import_new_profile").set_value("me").run()
    at.button(key="import_button").click().run()
    assert shown(at.success[0].value).startswith("Imported into profile “me”")
    assert store.count_plays(db, "demo") == demo_plays and store.count_plays(db, "me") == 19
    # now the person has a profile: it is the one offered, the demo never is
    at.switch_page("pages/import.py").run()
    assert at.selectbox(key="import_target").options == ["me", "A new profile…"]


def test_profiles_page_renames_shares_undoes_an_import_and_deletes(db_path):
    db = store.open_store(db_path)
    ingest.import_files(db, paths=[FIXTURES], profile="anna")
    ingest.create_profile(db, "bo")
    at = app()
    at.session_state["profile"] = "anna"
    at.run()
    # every page says whose it is (drawn above the page)
    assert at.caption[0].value == "👤 Showing **anna**"
    at.switch_page("pages/profiles.py").run()
    assert not at.exception
    at.text_input(key="profiles_name_anna").set_value("x" * 5)
    at.button(key="profiles_rename_anna").click().run()
    assert shown(at.success[0].value) == "Renamed “anna” to “xxxxx”."
    assert store.count_plays(db, "xxxxx") == 19 and store.count_plays(db, "anna") == 0
    at.toggle(key="profiles_share_xxxxx").set_value(True).run()
    assert store.sharing_profiles(db) == {"xxxxx"}
    at.button(key="profiles_undo_xxxxx").click().run()
    assert shown(at.success[0].value).startswith("Undid import #1: 19 plays removed")
    assert store.count_plays(db, "xxxxx") == 0
    # deleting needs the box ticked; the last profile cannot go
    assert at.button(key="profiles_delete_bo").disabled
    at.checkbox(key="profiles_sure_bo").check().run()
    at.button(key="profiles_delete_bo").click().run()
    assert shown(at.success[0].value) == "Deleted “bo” and everything of it."
    at.checkbox(key="profiles_sure_xxxxx").check().run()
    at.button(key="profiles_delete_xxxxx").click().run()
    assert [shown(e.value) for e in at.error] == ["“xxxxx” is the only profile in this store, so it cannot be deleted. "
                                           "Create or import another profile first."]
    assert [p["name"] for p in store.list_profiles(db)] == ["xxxxx"]


def test_page_controls_are_kept_when_you_leave_the_page_and_come_back(demo_db, monkeypatch):
    monkeypatch.setenv("ENCORE_DB", str(demo_db))
    at = app()
    at.session_state["profile"] = "demo"
    at.run()
    at.switch_page("pages/overview.py").run()
    at.radio(key="overview_period").set_value("Year").run()
    at.radio(key="overview_rank_by").set_value("Time").run()
    at.number_input(key="overview_n").set_value(25).run()
    at.switch_page("pages/habits.py").run()  # another page: Overview's widgets are not drawn
    at.switch_page("pages/home.py").run()
    at.switch_page("pages/overview.py").run()
    assert not at.exception
    assert at.radio(key="overview_period").value == "Year"
    assert at.radio(key="overview_rank_by").value == "Time"
    assert at.number_input(key="overview_n").value == 25


def test_a_kept_chart_is_drawn_as_altair_chart_draws_it_and_converted_once(monkeypatch):
    """pages/_shared.chart draws a chart of explore's builders from a spec kept with the chart:
    the same element as st.altair_chart's, converted once however often it is drawn."""
    from pages import _shared

    conversions = []
    convert = _shared._vega_lite_spec
    monkeypatch.setattr(_shared, "_vega_lite_spec", lambda chart: conversions.append(1) or convert(chart))

    def script():
        import pandas as pd
        import streamlit as st

        from core import explore
        from pages import _shared

        data = pd.DataFrame({"hour": [0, 1, 2], "weekday": ["Mon", "Tue", "Mon"], "hours": [1.0, 2.5, 0.5]})
        chart = explore.heatmap(data, x="hour", y="weekday", value="hours", title="kept")
        st.altair_chart(chart, width="stretch")
        _shared.chart(st, chart, width="stretch")
        _shared.chart(st, explore.heatmap(data.copy(), x="hour", y="weekday", value="hours", title="kept"),
                      width="stretch")  # equal data: the chart and spec kept
        _shared.chart(st, chart.properties(height=50), width="stretch")  # changed after: drawn as before

    at = AppTest.from_function(script)
    for _ in range(2):
        at.run()
        assert not at.exception
        plain, *kept = [e.proto for e in at.get("vega_lite_chart")]
        for proto in kept[:2]:
            assert (proto.spec, list(proto.datasets)) == (plain.spec, list(plain.datasets))
        assert '"height": 50' in kept[2].spec or '"height":50' in kept[2].spec
    assert len(conversions) == 1


def test_no_page_writes_a_bare_value_since_magic_is_off():
    """.streamlit/config.toml turns Streamlit's "magic" off: a value alone on its line would no
    longer be drawn. Every script must say st.write (magic would add a call for such a line)."""
    import ast
    import tomllib

    from streamlit.runtime.scriptrunner import magic

    root = Path(HOME).parent
    assert tomllib.loads((root / ".streamlit" / "config.toml").read_text())["runner"]["magicEnabled"] is False
    for script in [root / "Home.py", *sorted((root / "pages").glob("*.py"))]:
        tree = magic.add_magic(script.read_text(), str(script))
        written = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Attribute)
                   and node.attr == "transparent_write"]
        assert not written, f"{script.name}: a bare value on line(s) {written}"
