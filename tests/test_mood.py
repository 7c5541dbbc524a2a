"""core.mood on tiny hand-made histories: every expected value below is worked out by hand."""
import numpy as np
import pandas as pd
import pytest

from core import explore

MINUTE = 60_000
NAN = float("nan")


def features(**tracks: dict) -> dict[str, list]:
    """store.matched_features-shaped columns for tracks given as name -> {feature: value}."""
    columns = ("track_key", "release_year", "release_date", *explore.FEATURES)
    rows = [{"track_key": key, **values} for key, values in tracks.items()]
    return {c: [r.get(c) for r in rows] for c in columns}


def plays(*rows: tuple[str, int, str] | tuple[str, int, str, str]) -> pd.DataFrame:
    """An explore frame (localised in Berlin) from (UTC start, minutes, track_key[, content_type]) rows."""
    frame = pd.DataFrame({
        "start": pd.to_datetime([r[0] for r in rows], utc=True),
        "ms_played": [r[1] * MINUTE for r in rows],
        "content_type": pd.Categorical([r[3] if len(r) > 3 else "music" for r in rows]),
        "track_key": pd.Categorical([r[2] for r in rows]),
    })
    return explore.localise(frame, "Europe/Berlin")


# A: calm and sad, B: loud and happy, D: a catalog row without tempo, C: no match at all.
TRACKS = features(
    A={"energy": 0.2, "valence": 0.1, "danceability": 0.3, "acousticness": 0.9, "tempo": 100.0, "release_year": 1995},
    B={"energy": 0.8, "valence": 0.9, "danceability": 0.7, "acousticness": 0.1, "tempo": 130.0, "release_year": 2020},
    D={"energy": 0.5, "valence": 0.5, "danceability": 0.5, "acousticness": 0.5, "tempo": None,
       "release_date": "2023-04-01"},
)


def test_track_table_reads_years_from_dates_and_drops_placeholder_years():
    table = explore.track_table(
        features(X={"energy": 0.5, "release_year": 0, "release_date": "1999-05-01"},
                 Y={"valence": "0.25", "release_date": "2004"},
                 Z={"tempo": 90, "release_year": 0}),
        {"track_key": ["X", "X", "Z"], "genre": ["rock", "pop", "jazz"]},
    )
    expected = pd.DataFrame({
        "energy": [0.5, NAN, NAN], "valence": [NAN, 0.25, NAN], "danceability": [NAN] * 3,
        "acousticness": [NAN] * 3, "tempo": [NAN, NAN, 90.0], "release_year": [1999.0, 2004.0, NAN],
        "genres": [2, 0, 1],
    }, index=pd.Index(["X", "Y", "Z"], dtype=object, name="track_key"))
    # X: a year of 0 is a placeholder, but its release date still names 1999; Z has neither
    pd.testing.assert_frame_equal(table, expected)


def test_join_keeps_music_only_places_plays_in_local_time_and_marks_matches():
    frame = plays(("2024-01-31T23:30:00Z", 4, "A"),  # 00:30 on 1 February in Berlin
                  ("2024-01-10T12:00:00Z", 3, "C"),
                  ("2024-01-10T13:00:00Z", 50, "show", "podcast"))
    joined = explore.join_features(frame, explore.track_table(TRACKS))
    expected = pd.DataFrame({
        "month": pd.to_datetime(["2024-02-01", "2024-01-01"]).astype("datetime64[us]"),
        "year": [2024, 2024], "hour": [0, 13], "ms_played": [4 * MINUTE, 3 * MINUTE],
        "track_key": pd.array(["A", "C"], dtype="str"),
        "energy": [0.2, NAN], "valence": [0.1, NAN], "danceability": [0.3, NAN], "acousticness": [0.9, NAN],
        "tempo": [100.0, NAN], "release_year": [1995.0, NAN], "genres": [0, 0], "matched": [True, False],
    })
    pd.testing.assert_frame_equal(joined, expected)


def test_monthly_means_weigh_each_play_by_its_time_and_state_coverage():
    frame = plays(
        # January: A 60 min, B 30, D 30 (no tempo), C 10 (unmatched), and a podcast that never counts
        ("2024-01-05T10:00:00Z", 60, "A"), ("2024-01-06T10:00:00Z", 30, "B"), ("2024-01-07T10:00:00Z", 30, "D"),
        ("2024-01-08T10:00:00Z", 10, "C"), ("2024-01-09T10:00:00Z", 500, "show", "podcast"),
        # February: nothing. March: 20 matched minutes only (too little)
        ("2024-03-05T10:00:00Z", 20, "A"),
        # April: 70 matched minutes, but 700 unmatched: 9 % coverage (too little)
        ("2024-04-05T10:00:00Z", 70, "A"), ("2024-04-06T10:00:00Z", 700, "C"),
    )
    joined = explore.join_features(frame, explore.track_table(TRACKS))
    table = explore.features_by_month(joined, ("energy", "tempo"))
    expected = pd.DataFrame({
        "month": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01"]).astype("datetime64[us]"),
        "hours": [130 / 60, 0.0, 20 / 60, 770 / 60],
        "matched_hours": [120 / 60, 0.0, 20 / 60, 70 / 60],
        "coverage": [120 / 130, NAN, 1.0, 70 / 770],
        "enough": [True, False, False, False],
        # (0.2*60 + 0.8*30 + 0.5*30) / 120; tempo only over the 90 minutes that have one
        "energy": [51 / 120, NAN, NAN, NAN],
        "tempo": [(100 * 60 + 130 * 30) / 90, NAN, NAN, NAN],
    })
    pd.testing.assert_frame_equal(table, expected)

    long = explore.long_features(table, "month", ["energy", "tempo"])
    pd.testing.assert_frame_equal(long, pd.DataFrame({
        "month": pd.concat([expected["month"]] * 2, ignore_index=True),
        "feature": pd.array(["energy"] * 4 + ["tempo"] * 4, dtype="str"),
        "value": [51 / 120, NAN, NAN, NAN, 110.0, NAN, NAN, NAN],
        "coverage": [120 / 130, NAN, 1.0, 70 / 770] * 2,
        "matched_hours": [2.0, 0.0, 20 / 60, 70 / 60] * 2,
    }))


@pytest.mark.parametrize("matched_minutes, total_minutes, enough", [
    (60, 60, True),
    (60, 600, True),  # exactly the minimum time and exactly 10 %
    (59.99, 60, False),  # under an hour of matched music
    (60, 600.01, False),  # under 10 % of the listening
    (0, 0, False),
])
def test_the_too_little_rule(matched_minutes, total_minutes, enough):
    assert explore.is_enough(matched_minutes * MINUTE, total_minutes * MINUTE) is enough


def test_sound_by_hour_uses_the_local_start_hour_and_lists_all_24():
    # 23:30 UTC on 31 Jan is 00:30 in Berlin (winter, +1); 06:10 UTC in July is 08:10 (summer, +2)
    frame = plays(("2024-01-31T23:30:00Z", 90, "A"), ("2024-07-01T06:10:00Z", 30, "B"),
                  ("2024-07-01T06:40:00Z", 30, "A"), ("2024-07-02T06:40:00Z", 15, "C"))
    table = explore.sound_by_hour(explore.join_features(frame, explore.track_table(TRACKS)), ("valence",))
    hours = np.zeros(24)
    matched = np.zeros(24)
    hours[0], matched[0] = 1.5, 1.5
    hours[8], matched[8] = 75 / 60, 1.0
    valence = np.full(24, NAN)
    valence[0] = 0.1
    valence[8] = (0.9 * 30 + 0.1 * 30) / 60
    expected = pd.DataFrame({
        "hour": np.arange(24), "hours": hours, "matched_hours": matched,
        "coverage": np.where(hours > 0, matched / np.where(hours > 0, hours, 1), NAN),
        "enough": [h in (0, 8) for h in range(24)], "valence": valence,
    })
    pd.testing.assert_frame_equal(table, expected)


@pytest.mark.parametrize("valence, expected", [
    (0.0, "sad"), (0.3499, "sad"), (0.35, "neutral"), (0.6499, "neutral"), (0.65, "happy"), (1.0, "happy"),
    (NAN, None),
])
def test_mood_buckets(valence, expected):
    result = explore.mood_of(pd.Series([valence]))[0]
    assert (pd.isna(result) if expected is None else result == expected)


def test_mood_split_is_by_time_among_plays_with_a_valence():
    frame = plays(("2024-01-05T10:00:00Z", 60, "A"), ("2024-01-06T10:00:00Z", 30, "B"),
                  ("2024-01-07T10:00:00Z", 30, "D"), ("2024-01-08T10:00:00Z", 100, "C"))
    split = explore.mood_split(explore.join_features(frame, explore.track_table(TRACKS)))
    pd.testing.assert_frame_equal(split, pd.DataFrame({
        "mood": pd.array(["sad", "neutral", "happy"], dtype="str"),
        "hours": [1.0, 0.5, 0.5], "share": [0.5, 0.25, 0.25],
    }))


def test_genres_by_mood_split_a_tracks_time_between_its_genres_and_skip_thin_moods():
    tracks = features(
        A={"valence": 0.1}, E={"valence": 0.2}, B={"valence": 0.9}, D={"valence": 0.5}, F={"energy": 0.5})
    genres = {"track_key": ["A", "A", "E", "B", "F"], "genre": ["rock", "folk", "rock", "pop", "pop"]}
    frame = plays(("2024-01-05T10:00:00Z", 120, "A"),  # sad: 60 min rock, 60 min folk
                  ("2024-01-06T10:00:00Z", 60, "E"),  # sad: 60 min rock
                  ("2024-01-07T10:00:00Z", 30, "B"),  # happy, but only 30 minutes of it: left out
                  ("2024-01-08T10:00:00Z", 300, "D"),  # neutral, but no genre
                  ("2024-01-09T10:00:00Z", 300, "F"))  # a genre, but no valence
    joined = explore.join_features(frame, explore.track_table(tracks, genres))
    expected = pd.DataFrame({
        "mood": pd.array(["sad", "sad"], dtype="str"), "rank": [1, 2],
        "genre": pd.array(["rock", "folk"], dtype="str"), "hours": [2.0, 1.0], "share": [2 / 3, 1 / 3],
    })
    pd.testing.assert_frame_equal(explore.genres_by_mood(joined, genres), expected)
    pd.testing.assert_frame_equal(explore.genres_by_mood(joined, genres, n=1), expected.iloc[:1])
    # the genre chart's base: A, E and B have a valence and a genre (B's mood is too thin to rank)
    assert explore.coverage_summary(joined)["mood_share"] == 210 / 810


def test_genres_by_mood_breaks_ties_by_name():
    tracks = features(A={"valence": 0.9}, B={"valence": 0.9})
    genres = {"track_key": ["A", "B"], "genre": ["zouk", "afrobeat"]}
    frame = plays(("2024-01-05T10:00:00Z", 60, "A"), ("2024-01-06T10:00:00Z", 60, "B"))
    result = explore.genres_by_mood(explore.join_features(frame, explore.track_table(tracks, genres)), genres)
    assert result["genre"].tolist() == ["afrobeat", "zouk"] and result["rank"].tolist() == [1, 2]


# Played in 2024: 1995 (40 min, 29 years old), 2020 (30 min, 4), 2023 (20 min, 1), 2025 (10 min: the
# catalog dates it after the play, so 0), and 100 minutes without a release year.
ERA_TRACKS = features(R1={"energy": 0.1, "release_year": 1995}, R2={"energy": 0.1, "release_year": 2020},
                      R3={"energy": 0.1, "release_year": 2023}, R4={"energy": 0.1, "release_date": "2025-02-01"},
                      U={"energy": 0.1})
ERA_PLAYS = (("2024-03-01T10:00:00Z", 40, "R1"), ("2024-03-02T10:00:00Z", 30, "R2"),
             ("2024-03-03T10:00:00Z", 20, "R3"), ("2024-03-04T10:00:00Z", 10, "R4"),
             ("2024-03-05T10:00:00Z", 100, "U"))


def test_listening_age_is_the_time_weighted_median_age():
    joined = explore.join_features(plays(*ERA_PLAYS), explore.track_table(ERA_TRACKS))
    # ages sorted: 0 (10 min), 1 (20), 4 (30), 29 (40): half of 100 minutes is reached at age 4;
    # release years sorted: 1995 (40), 2020 (30): half is reached at 2020
    assert explore.listening_age(joined) == {"age": 4.0, "median_release_year": 2020.0, "newest_release_year": 2025.0,
                                          "hours": 100 / 60, "coverage": 0.5}


def test_release_decades_list_every_decade_between_with_shares_of_dated_listening():
    joined = explore.join_features(plays(*ERA_PLAYS), explore.track_table(ERA_TRACKS))
    pd.testing.assert_frame_equal(explore.release_decades(joined), pd.DataFrame({
        "decade": [1990, 2000, 2010, 2020],
        "label": pd.array(["1990s", "2000s", "2010s", "2020s"], dtype="str"),
        "hours": [40 / 60, 0.0, 0.0, 1.0],
        "share": [0.4, 0.0, 0.0, 0.6],
    }))


def test_listening_age_by_year_blanks_years_with_too_little_dated_listening():
    frame = plays(*ERA_PLAYS, ("2023-06-01T10:00:00Z", 30, "R1"))  # 2023: 28 years old, but only 30 minutes
    table = explore.listening_age_by_year(explore.join_features(frame, explore.track_table(ERA_TRACKS)))
    pd.testing.assert_frame_equal(table, pd.DataFrame({
        "year": [2023, 2024], "age": [NAN, 4.0], "matched_hours": [0.5, 100 / 60], "coverage": [1.0, 0.5],
        "enough": [False, True],
    }))


@pytest.mark.parametrize("values, weights, median", [
    ([1, 2], [1, 1], 1),  # exactly half at 1: the smallest value that reaches half
    ([1, 2], [1, 1.01], 2),
    ([5, 3, 9], [1, 1, 1], 5),
    ([3], [0], NAN),
    ([], [], NAN),
])
def test_weighted_median(values, weights, median):
    result = explore.weighted_median(np.array(values, dtype=float), np.array(weights, dtype=float))
    assert result == median or (np.isnan(median) and np.isnan(result))


def test_coverage_summary_and_the_low_coverage_warning():
    frame = plays(("2024-01-05T10:00:00Z", 60, "A"), ("2024-01-06T10:00:00Z", 30, "B"),
                  ("2024-01-07T10:00:00Z", 30, "D"), ("2024-01-08T10:00:00Z", 10, "C"))
    joined = explore.join_features(frame, explore.track_table(TRACKS))
    assert explore.coverage_summary(joined) == {
        "music_hours": 130 / 60, "matched_hours": 2.0, "share": 120 / 130, "tracks": 4, "matched_tracks": 3,
        "track_share": 0.75, "mood_share": 0.0, "release_share": 120 / 130, "low": False}
    # 30 matched minutes among 130: 23 %, under the 25 % of LOW_COVERAGE
    thin = plays(("2024-01-06T10:00:00Z", 30, "B"), ("2024-01-08T10:00:00Z", 100, "C"))
    summary = explore.coverage_summary(explore.join_features(thin, explore.track_table(TRACKS)))
    assert summary["share"] == 30 / 130 and summary["low"] is True


def test_an_empty_selection_gives_empty_tables_not_errors():
    joined = explore.join_features(plays(("2024-01-05T10:00:00Z", 60, "show", "podcast")), explore.track_table(TRACKS))
    assert joined.empty
    assert explore.features_by_month(joined).empty
    assert explore.sound_by_hour(joined)["enough"].sum() == 0
    assert explore.genres_by_mood(joined, {"track_key": [], "genre": []}).empty
    assert explore.release_decades(joined).empty
    assert np.isnan(explore.listening_age(joined)["age"])
    summary = explore.coverage_summary(joined)
    assert summary["music_hours"] == 0 and np.isnan(summary["share"]) and summary["low"] is False
