"""core.discovery on tiny hand-made histories run through the real import and explore path."""
import datetime as dt

import numpy as np
import orjson
import pandas as pd
import pytest

from core import explore, history, ingest, store
from tests.test_habits import play

BERLIN = "Europe/Berlin"
H = 1 / 3600  # one second in hours


def a_history(rows: list[dict], tz: str = BERLIN, content: tuple[str, ...] = ("music",),
            **filters) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(every play of the content, localised; the Explore frame for the filters), from one load."""
    db = store.open_memory_store()
    report = ingest.import_files(db, uploads=[("Streaming_History_Audio_2024_0.json", orjson.dumps(rows))])
    assert not report.errors, [f.message for f in report.errors]
    plays = history.load_plays(db, "me")
    plays_all = explore.localise(plays[plays["content_type"].isin(content)], tz)
    return plays_all, explore.apply_filters(plays, explore.Filters(tz=tz, content=content, **filters))


ROWS = [
    play("2022-06-10T10:00:00Z", 200, artist="Old Flame", track="Ember", uri="a"),
    play("2022-06-11T10:00:00Z", 10, artist="Glimmer", track="Shine", uri="b"),  # too short to count as heard
    # nothing at all in 2023
    play("2024-01-05T10:00:00Z", 200, artist="Old Flame", track="Ember", uri="a"),  # not new: heard in 2022
    play("2024-01-06T10:00:00Z", 100, artist="Glimmer", track="Shine", uri="b"),
    play("2024-01-07T10:00:00Z", 100, artist="Old Flame", track="Cinder", uri="c"),
    # 23:30 UTC on 31 January is 00:30 on 1 February in Berlin; a track with no id
    play("2024-01-31T23:30:00Z", 300, artist="Newcomer", track="Fresh", uri=None),
    play("2024-02-04T10:00:00Z", 60, artist="Glimmer", track="Shine", uri="b"),
    play("2024-02-04T11:00:00Z", 30, artist="Newcomer", track="Fresh", uri=None),
]


def months(*values: str) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values)))


def test_first_listens_come_from_the_whole_history():
    plays_all, _ = a_history(ROWS)
    pd.testing.assert_frame_equal(explore.first_listens(plays_all, "artist"), pd.DataFrame({
        "artist": ["Old Flame", "Glimmer", "Newcomer"],
        "first_listen": pd.to_datetime(["2022-06-10 12:00", "2024-01-06 11:00", "2024-02-01 00:30"]),
        "streams": np.array([3, 2, 2], dtype="int64"),
        "hours": [500 * H, 170 * H, 330 * H],  # hours count every play, the 10 s one too
    }))
    pd.testing.assert_frame_equal(explore.first_listens(plays_all, "track"), pd.DataFrame({
        "track": ["Ember", "Shine", "Cinder", "Fresh"],
        "artist": ["Old Flame", "Glimmer", "Old Flame", "Newcomer"],
        "first_listen": pd.to_datetime(["2022-06-10 12:00", "2024-01-06 11:00", "2024-01-07 11:00",
                                        "2024-02-01 00:30"]),
        "streams": np.array([2, 2, 1, 2], dtype="int64"),
        "hours": [400 * H, 170 * H, 100 * H, 330 * H],
    }))
    # with every play counted as a stream, Glimmer was first heard in 2022
    assert explore.first_listens(plays_all, "artist", min_ms=0)["first_listen"].tolist() == [
        pd.Timestamp("2022-06-10 12:00"), pd.Timestamp("2022-06-11 12:00"), pd.Timestamp("2024-02-01 00:30")]


def test_new_per_month_counts_discoveries_against_the_whole_history():
    plays_all, frame = a_history(ROWS, start=dt.date(2024, 1, 1))
    expected = pd.DataFrame({
        "month": months("2024-01-01", "2024-02-01"),
        "new_artists": np.array([1, 1], dtype="int64"),  # Glimmer, Newcomer; Old Flame is from 2022
        "new_tracks": np.array([2, 1], dtype="int64"),  # Shine and Cinder, Fresh
        "hours": [400 * H, 390 * H],
        "new_hours": [200 * H, 330 * H],  # Feb: Fresh (300 + 30 s) but not Shine, first heard in January
        "share_of_listening_new": [0.5, 330 / 390],
    })
    pd.testing.assert_frame_equal(explore.new_per_month(plays_all, frame), expected)
    # judged on the filtered range alone, Old Flame and Ember would look new in January
    alone = explore.new_per_month(frame, frame)
    assert alone[["new_artists", "new_tracks"]].to_numpy().tolist() == [[2, 3], [1, 1]]


def test_new_per_month_honours_a_range_that_starts_mid_month_and_the_stream_rule():
    plays_all, frame = a_history(ROWS, start=dt.date(2024, 1, 7))
    result = explore.new_per_month(plays_all, frame)
    # Glimmer and Shine were first heard on 6 January, before the range: not counted
    assert result[["new_artists", "new_tracks"]].to_numpy().tolist() == [[0, 1], [1, 1]]
    assert result["share_of_listening_new"].tolist() == [1.0, 330 / 390]
    # every play a stream: Glimmer and Shine date from June 2022
    plays_all, frame = a_history(ROWS, start=dt.date(2024, 1, 1), min_ms=0)
    result = explore.new_per_month(plays_all, frame, min_ms=0)
    assert result[["new_artists", "new_tracks"]].to_numpy().tolist() == [[0, 1], [1, 1]]
    assert result["new_hours"].tolist() == [100 * H, 330 * H]


def test_first_listen_timeline_lists_artists_discovered_in_the_range_with_streams_since():
    plays_all, frame = a_history(ROWS, start=dt.date(2024, 1, 1))
    pd.testing.assert_frame_equal(explore.first_listen_timeline(plays_all, frame), pd.DataFrame({
        "artist": ["Glimmer", "Newcomer"],
        "first_listen": pd.to_datetime(["2024-01-06 11:00", "2024-02-01 00:30"]),
        "streams": np.array([2, 2], dtype="int64"),
        "hours": [170 * H, 330 * H],
    }))
    # in UTC, Newcomer is a January discovery
    plays_all, frame = a_history(ROWS, tz="UTC", start=dt.date(2024, 1, 1), end=dt.date(2024, 1, 31))
    assert explore.first_listen_timeline(plays_all, frame)["artist"].tolist() == ["Glimmer", "Newcomer"]
    chart = explore.timeline_chart(explore.first_listen_timeline(plays_all, frame), "t").to_dict()
    assert chart["encoding"]["x"]["field"] == "first_listen" and chart["encoding"]["y"]["field"] == "streams"


def test_a_frame_that_is_not_part_of_the_history_is_refused():
    plays_all, frame = a_history(ROWS)
    with pytest.raises(ValueError, match="row subset"):
        explore.new_per_month(plays_all.iloc[:3], frame)


def test_podcasts_count_their_show_as_artist_and_episode_as_track():
    rows = ROWS[:1] + [{"ts": "2024-03-01T10:30:00Z", "ms_played": 1_800_000, "episode_name": "Pilot",
                        "episode_show_name": "Talk Show", "spotify_episode_uri": "spotify:episode:" + "e" * 22}]
    plays_all, _ = a_history(rows, content=("music", "podcast"))
    result = explore.first_listens(plays_all, "track")
    assert result[["track", "artist", "streams"]].to_dict("records") == [
        {"track": "Ember", "artist": "Old Flame", "streams": 1},
        {"track": "Pilot", "artist": "Talk Show", "streams": 1}]
    assert history.item_keys(plays_all).tolist() == ["old flame\tember", "episode:Talk Show — Pilot"]  # a song, an episode


# --- forgotten favourites ---------------------------------------------------------------------

def daily(first: str, days: int, seconds: int, **kwargs) -> list[dict]:
    start = dt.datetime.fromisoformat(first)
    return [play((start + dt.timedelta(days=d)).strftime("%Y-%m-%dT%H:%M:%SZ"), seconds, **kwargs)
            for d in range(days)]


FAVOURITES = (
    daily("2022-01-01T10:00:00", 5, 200, artist="Heroes", track="Anthem", uri="h")
    + [play("2022-06-01T10:00:00Z", 200, artist="Heroes", track="Anthem", uri="h")]
    + daily("2022-02-01T10:00:00", 4, 200, artist="Heroes", track="Ballad", uri="i")
    + daily("2022-01-10T10:00:00", 5, 5, artist="Heroes", track="Skipped", uri="k")  # never streamed
    + daily("2023-06-01T10:00:00", 6, 200, artist="Now Band", track="Current", uri="j")
)


def test_forgotten_favourites_with_a_fixed_now():
    plays_all, _ = a_history(FAVOURITES, tz="UTC")
    now = pd.Timestamp("2023-07-01T00:00:00Z")
    tracks = history.forgotten_favourites(plays_all, now=now, min_streams=4, quiet_days=365)
    assert tracks["key"].tolist() == ["heroes\tanthem", "heroes\tballad"]  # songs, by folded artist and title
    pd.testing.assert_frame_equal(
        tracks.drop(columns="key"),
        pd.DataFrame({
            "track": ["Anthem", "Ballad"], "artist": ["Heroes", "Heroes"],
            "streams": np.array([6, 4], dtype="int64"), "peak_streams": np.array([5, 4], dtype="int64"),
            "peak_from": [dt.date(2022, 1, 1), dt.date(2022, 2, 1)],
            "last_played": [dt.date(2022, 6, 1), dt.date(2022, 2, 4)],
            "days_quiet": np.array([394, 511], dtype="int64"),
        }))
    # artists: Heroes' best 90 days (from 1 January 2022) hold 5 Anthems and 4 Ballads
    pd.testing.assert_frame_equal(
        history.forgotten_favourites(plays_all, now=now, level="artist", min_streams=4, quiet_days=365),
        pd.DataFrame({"artist": ["Heroes"], "streams": np.array([10], dtype="int64"),
                      "peak_streams": np.array([9], dtype="int64"), "peak_from": [dt.date(2022, 1, 1)],
                      "last_played": [dt.date(2022, 6, 1)], "days_quiet": np.array([394], dtype="int64"),
                      "key": np.array(["Heroes"], dtype=object)}))
    # a favourite needs min_streams in its best window
    assert history.forgotten_favourites(plays_all, now=now, min_streams=5)["track"].tolist() == ["Anthem"]


def test_forgotten_favourites_boundaries_and_plays_after_now():
    plays_all, _ = a_history(FAVOURITES, tz="UTC")
    # exactly 365 days after Ballad's last stream: forgotten; one second earlier: not yet
    exactly = pd.Timestamp("2023-02-04T10:00:00Z")
    assert history.forgotten_favourites(plays_all, now=exactly, min_streams=4)["track"].tolist() == ["Ballad"]
    assert history.forgotten_favourites(plays_all, now=exactly - pd.Timedelta(seconds=1), min_streams=4).empty
    # on 1 March 2022 Anthem's June stream has not happened yet
    early = history.forgotten_favourites(plays_all, now=pd.Timestamp("2022-03-01"), min_streams=4, quiet_days=50)
    assert early[["track", "streams", "last_played", "days_quiet"]].to_dict("records") == [
        {"track": "Anthem", "streams": 5, "last_played": dt.date(2022, 1, 5), "days_quiet": 54}]
    # the default "now" is the end of the history (the last Current play), not the wall clock
    end = pd.Timestamp("2023-06-06T10:03:20Z")
    pd.testing.assert_frame_equal(history.forgotten_favourites(plays_all, min_streams=4),
                                  history.forgotten_favourites(plays_all, now=end, min_streams=4))
    empty = history.forgotten_favourites(plays_all.iloc[:0])
    assert empty.empty and list(empty.columns) == ["track", "artist", "streams", "peak_streams", "peak_from",
                                                   "last_played", "days_quiet", "key"]


def _random_history(seed: int, n: int = 400) -> pd.DataFrame:
    """A localised history with ties in ms_played, plays without an artist, not in start order."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2020-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 3 * 365 * 86_400, n), unit="s")
    artists = np.array(["A", "B", "C", "D", None], dtype=object)[rng.integers(0, 5, n)]
    plays = pd.DataFrame({
        "start": start, "end": start + pd.Timedelta(minutes=3),
        "ms_played": rng.choice([0, 5_000, 30_000, 31_000, 90_000, 200_000], n),
        "artist_name": artists, "show_name": None, "audiobook_title": None,
        "track_name": np.array(["x", "y", "z"], dtype=object)[rng.integers(0, 3, n)],
        "episode_name": None, "track_id": None, "content_type": "music",
    })
    plays["track_key"] = plays["artist_name"].fillna("?") + " — " + plays["track_name"]
    return explore.localise(plays, BERLIN)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_first_listens_from_records_match_the_first_stream_in_time_order(seed):
    plays = _random_history(seed)
    listens = explore.FirstListens(plays)
    by_time = plays.sort_values("start", kind="stable")
    for level in ("artist", "track"):
        _, keys, _, _ = listens.level(level)
        for min_ms in (0, 30_000, 31_000, 90_000, 200_000, 300_000):
            first = listens.first(level, min_ms)
            streamed = by_time[by_time["ms_played"] >= min_ms]
            names = history.level_keys(streamed, level)
            expected = streamed.index[~names.duplicated() & names.notna()]
            expected_by_key = dict(zip(names[expected], expected))
            found = {keys[code]: plays.index[row] for code, row in enumerate(first) if row >= 0}
            assert found == expected_by_key


def test_first_listens_kept_by_the_page_give_the_same_tables_for_any_range():
    plays = _random_history(4)
    listens = explore.FirstListens(plays)
    by_time = plays.sort_values("start", kind="stable").reset_index(drop=True)
    ranged = explore.FirstListens(by_time)
    for rows, kept in ((by_time.iloc[50:300], ranged), (by_time[by_time["ms_played"] > 0], ranged),
                       (plays.iloc[10:200], listens)):
        for min_ms in (0, 31_000):
            pd.testing.assert_frame_equal(explore.new_per_month(kept.plays, rows, min_ms, listens=kept),
                                          explore.new_per_month(kept.plays, rows, min_ms))
            pd.testing.assert_frame_equal(explore.first_listen_timeline(kept.plays, rows, min_ms, listens=kept),
                                          explore.first_listen_timeline(kept.plays, rows, min_ms))
    with pytest.raises(ValueError, match="built from plays_all"):
        explore.new_per_month(plays.iloc[:5], plays.iloc[:5], listens=listens)


def test_first_listens_in_another_zone_share_the_records_and_give_that_zones_months():
    plays = _random_history(5)
    berlin = explore.FirstListens(plays)
    berlin.first("artist", 30_000)  # built in Berlin
    tokyo_plays = explore.localise(plays, "Asia/Tokyo")
    tokyo = berlin.in_zone(tokyo_plays)
    assert tokyo.level("artist") is berlin.level("artist")
    for min_ms in (0, 31_000):
        pd.testing.assert_frame_equal(explore.new_per_month(tokyo_plays, tokyo_plays, min_ms, listens=tokyo),
                                      explore.new_per_month(tokyo_plays, tokyo_plays, min_ms))
        pd.testing.assert_frame_equal(explore.first_listens(tokyo_plays, "track", min_ms, listens=tokyo),
                                      explore.first_listens(tokyo_plays, "track", min_ms))
    with pytest.raises(ValueError, match="same plays"):
        berlin.in_zone(tokyo_plays.iloc[1:])


def test_item_keys_and_creators_of_every_kind_of_play():
    cat = lambda *values: pd.Categorical(list(values))  # noqa: E731  (the frame's text columns are categoricals)
    plays = pd.DataFrame({
        "song_key": cat("s1", None, None, None, None, None, None),
        "track_key": cat("id1", "Band — Two", None, None, None, None, None),
        "track_id": cat("id1", None, None, None, None, None, None),
        "track_name": cat("One", "Two", None, None, None, None, None),
        "artist_name": cat("Band", "Band", None, None, None, None, None),
        "episode_name": cat(None, None, "Pilot", "Pilot", "Finale", None, None),
        "show_name": cat(None, None, "Talk", None, "Band", None, None),  # a show named like an artist
        "audiobook_title": cat(None, None, None, None, None, "Book", None),
    })
    assert history.item_keys(plays).astype(object).tolist() == [
        "s1", "Band — Two", "episode:Talk — Pilot", "episode:? — Pilot", "episode:Band — Finale", "audiobook:Book",
        np.nan]
    creators = history.creator_names(plays)
    assert creators.astype(object).tolist() == ["Band", "Band", "Talk", np.nan, "Band", "Book", np.nan]
    assert creators.iloc[0] == creators.iloc[4]  # one name, whichever column it came from


def test_item_columns_worked_out_once_answer_for_every_selection_of_the_rows():
    # the Explore pages add them to the whole history; a content choice or date range takes them along
    plays = _random_history(6)
    extra = pd.DataFrame({
        "content_type": pd.Categorical(["podcast", "audiobook", "podcast", "music"]),
        "episode_name": pd.Categorical(["Pilot", None, "Finale", None]),
        "show_name": pd.Categorical(["Band", None, None, None]),  # a show named like an artist
        "audiobook_title": pd.Categorical([None, "Book", None, None]),
        "start": plays["start"].iloc[[3, 7, 11, 13]].to_numpy(), "ms_played": [90_000, 60_000, 5_000, 40_000],
    })
    mixed = pd.concat([plays, extra]).sort_values("start", kind="stable").reset_index(drop=True)
    for name in history.CATEGORY_COLUMNS:
        if name in mixed.columns:
            mixed[name] = mixed[name].astype("category")
    named = history.with_item_columns(mixed)
    for rows in (named, named[named["content_type"] == "music"], named[named["content_type"] != "music"],
                 named.iloc[5:40], named.iloc[[0, 2, 3, 9]]):
        bare = rows.drop(columns=[history.CREATOR_COLUMN, history.ITEM_COLUMN])
        for found, fresh, column in ((history.creator_names(rows), history.creator_names(bare), history.CREATOR_COLUMN),
                                     (history.item_keys(rows), history.item_keys(bare), history.ITEM_COLUMN)):
            assert found.name == column  # the column taken along, not worked out again
            assert found.astype(object).tolist() == fresh.astype(object).tolist()
            assert found.index.equals(rows.index)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_first_listens_of_a_content_found_among_the_whole_historys_records(seed):
    # the Discovery page keeps the records of the whole history per key and content type and
    # finds each content choice's among them; keys shared across content types (a music video
    # of a song, a show named like an artist) make a content's records differ from the history's
    plays = _random_history(seed, n=600).sort_values("start", kind="stable").reset_index(drop=True)
    rng = np.random.default_rng(seed)
    kind = np.array(["music", "video", "podcast"], dtype=object)[rng.integers(0, 3, len(plays))]
    podcast = kind == "podcast"
    plays = plays.assign(content_type=pd.Categorical(kind),
                         show_name=np.where(podcast, plays["artist_name"].fillna("A"), None),
                         episode_name=np.where(podcast, plays["track_name"], None),
                         artist_name=np.where(podcast, None, plays["artist_name"]),
                         track_name=np.where(podcast, None, plays["track_name"]))
    plays["track_key"] = np.where(podcast, None, plays["artist_name"].fillna("?") + " — " + plays["track_name"].fillna(""))
    whole = explore.FirstListens.of_history(plays)
    for content in (("music",), ("video",), ("podcast",), ("music", "video"), ("music", "podcast"),
                    ("music", "video", "podcast")):
        rows = plays[plays["content_type"].isin(content)]
        fresh, found = explore.FirstListens(rows), whole.of_content(rows)
        assert found._history is not None  # found among the history's records, not built afresh
        for level in ("artist", "track"):
            assert np.array_equal(found.level(level)[2], fresh.level(level)[2])  # the same record plays
            for min_ms in (0, 30_000, 31_000, 200_000):
                pd.testing.assert_frame_equal(explore.first_listens(rows, level, min_ms, listens=found),
                                              explore.first_listens(rows, level, min_ms, listens=fresh))
        for frame in (rows, rows.iloc[40:300]):
            for min_ms in (0, 31_000):
                pd.testing.assert_frame_equal(explore.new_per_month(rows, frame, min_ms, listens=found),
                                              explore.new_per_month(rows, frame, min_ms, listens=fresh))
                pd.testing.assert_frame_equal(explore.first_listen_timeline(rows, frame, min_ms, listens=found),
                                              explore.first_listen_timeline(rows, frame, min_ms, listens=fresh))
    # two plays that start together, listed the other way round: not the history's order, built afresh
    tied = plays.assign(start=plays["start"].where(plays.index != 11, plays["start"].iloc[10]))
    swapped = tied.iloc[[*range(10), 11, 10, *range(12, len(tied))]]
    assert explore.FirstListens.of_history(tied).of_content(swapped)._history is None
    # not every play of its content types (a date range): built afresh, the same answer
    some = plays[plays["content_type"] == "music"].iloc[50:]
    assert whole.of_content(some)._history is None
    pd.testing.assert_frame_equal(explore.first_listens(some, "track", listens=whole.of_content(some)),
                                  explore.first_listens(some, "track"))


def test_new_per_month_adds_up_its_plays_a_block_at_a_time(monkeypatch):
    # new_per_month_of reads the range's plays BLOCK_ROWS at a time: blocks of a few plays give
    # what one block of them all gives, for a range that is a run of the plays and for one that is not
    from core.history import frame as history_frame
    rng = np.random.default_rng(3)
    rows = [play(f"2024-0{1 + i // 100}-{1 + i % 100 // 4:02d}T{i % 4 * 5:02d}:00:00Z", int(rng.integers(5, 300)),
                 artist=f"A{rng.integers(12)}", track=f"T{rng.integers(40)}", uri=None) for i in range(300)]
    plays_all, frame = a_history(rows, start=dt.date(2024, 1, 9))
    for chosen in (frame, frame.iloc[::3]):
        whole = explore.new_per_month(plays_all, chosen)
        monkeypatch.setattr(history_frame, "BLOCK_ROWS", 7)
        pd.testing.assert_frame_equal(explore.new_per_month(plays_all, chosen), whole)
        monkeypatch.setattr(history_frame, "BLOCK_ROWS", 1 << 16)
        assert whole["new_tracks"].sum() > 0 and (whole["new_hours"] < whole["hours"]).any()
    # any slice of positions reads as the positions it names (a step, backwards)
    listens = explore.FirstListens(plays_all)
    for at in (slice(5, None, 2), slice(None, None, -1), slice(40, 3, -3)):
        pd.testing.assert_frame_equal(
            explore.new_per_month_of([explore.DiscoveryPart(listens, at)]),
            explore.new_per_month_of([explore.DiscoveryPart(listens, np.arange(len(plays_all))[at])]))


def test_first_listens_keep_the_stream_counts_of_the_last_few_rules_in_every_zone():
    from core.explore import discovery
    plays_all, _ = a_history(ROWS)
    listens = explore.FirstListens(plays_all)
    tokyo = listens.in_zone(explore.localise(plays_all.drop(columns=["local", "wall", "day", "hour", "weekday"]),
                                             "Asia/Tokyo"))
    codes, keys, _, _ = listens.level("artist")
    for seconds in range(0, 301, 20):
        counted = listens.streams("artist", seconds * 1000)
        expected = [int(((codes == k) & (listens.ms >= seconds * 1000)).sum()) for k in range(len(keys))]
        assert counted.tolist() == expected
        assert tokyo.streams("artist", seconds * 1000) is counted  # one count for every zone
    assert len(listens._streams) == discovery._STREAMS_KEPT
