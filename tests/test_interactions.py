"""core.interactions: weighting, session rows, the id <-> column mapping (hand-computed answers)."""
import numpy as np
import pandas as pd
import pytest

from core.history import skips
from core.taste.interactions import (
    Interactions,
    Weighting,
    build_matrix,
    combine_cells,
    keys_row,
    listener_row,
    play_weights,
)


def skip_rule(ms: list[int], reasons: list, flags: list) -> np.ndarray:
    """The frame's ``skip`` column for these plays: the one rule (core.history.skips)."""
    return skips.judge(np.array(ms), np.array(reasons, dtype=object), pd.array(flags, dtype="boolean"),
                       np.full(len(ms), np.nan), 30_000)[0]


@pytest.mark.parametrize(("ms", "reason", "skipped", "expected"), [
    (180_000, "trackdone", False, (1.5, 0.0)),  # long and complete: 0.5 + 0.5 + 0.5
    (90_000, "endplay", None, (0.75, 0.0)),  # half a full play: 0.5 + 0.25
    (360_000, "endplay", True, (1.0, 0.0)),  # a long play counts even when flagged skipped
    (10_000, "fwdbtn", None, (0.0, 1.0)),  # quick skip by the forward button
    (10_000, "endplay", True, (0.0, 1.0)),  # quick skip by the export's flag
    (10_000, "endplay", None, (0.0, 1.0)),  # stopped 10 s in: a skip by Spotify's own rule
    (10_000, "trackdone", False, (0.0, 0.0)),  # a short track that finished
    (29_999, "fwdbtn", False, (0.0, 1.0)),  # the button says skip even when an old export's flag says no
    (10_000, None, None, (0.0, 1.0)),  # an account export: short is a skip
])
def test_play_weights_follow_the_one_skip_rule(ms, reason, skipped, expected):
    positive, negative = play_weights(np.array([ms]), [reason], skip_rule([ms], [reason], [skipped]))
    assert (positive[0], negative[0]) == pytest.approx(expected)


def test_recency_halves_weight_at_the_half_life():
    positive, negative = play_weights(np.array([180_000, 10_000]), ["trackdone", "fwdbtn"],
                                      skip_rule([180_000, 10_000], ["trackdone", "fwdbtn"], [None, True]),
                                      age_days=np.array([30.0, 60.0]), weighting=Weighting(half_life_days=30))
    assert positive.tolist() == pytest.approx([0.75, 0.0])
    assert negative.tolist() == pytest.approx([0.0, 0.25])


def test_combine_cells_diminishing_returns_and_skips():
    values = combine_cells(np.array([1.5, 0.0, 3.0, 1.0]), np.array([0.0, 1.0, 0.0, 3.0]), skip_weight=0.5)
    assert values.tolist() == pytest.approx([np.log(2.5), -0.5 * np.log(2), np.log(4), np.log(2) - 0.5 * np.log(4)])


def plays_frame(rows):
    """rows: (start 'HH:MM', seconds, reason_end, skipped, track_key) on 2024-01-01 UTC."""
    start = pd.to_datetime([f"2024-01-01T{r[0]}:00Z" for r in rows], utc=True)
    ms = np.array([r[1] * 1000 for r in rows])
    return pd.DataFrame({
        "start": start, "end": start + pd.to_timedelta(ms, unit="ms"), "ms_played": ms,
        "reason_end": pd.Categorical([r[2] for r in rows]), "skipped": pd.array([r[3] for r in rows], dtype="boolean"),
        "skip": skip_rule([r[1] * 1000 for r in rows], [r[2] for r in rows], [r[3] for r in rows]),
        "track_key": pd.Categorical([r[4] for r in rows]), "song_key": pd.Categorical([r[4] for r in rows]),
        "content_type": pd.Categorical(["music"] * len(rows)),
        "track_name": [r[4].lower() for r in rows], "artist_name": ["x"] * len(rows),
    })


PLAYS = plays_frame([
    ("10:00", 180, "trackdone", None, "A"),
    ("10:03", 120, "endplay", None, "B"),
    ("10:06", 180, "trackdone", None, "A"),
    # 34 minutes of silence: a new session
    ("10:43", 10, "fwdbtn", None, "C"),
    ("10:44", 180, "trackdone", False, "B"),
    # a session of one track teaches nothing about what goes together: left out
    ("15:00", 180, "trackdone", None, "D"),
])


def test_build_matrix_rows_are_sessions_playlists_and_profiles():
    ix = Interactions()
    ix.add_tracks(["A", "B", "C", "D"])
    other = plays_frame([("09:00", 180, "trackdone", None, "D"), ("09:03", 60, "endplay", None, "D")])
    matrix = build_matrix(ix, PLAYS, Weighting(skip_weight=0.5), playlists={"P": ["A", "D", "not a column"]},
                          other_profiles={"friend": other})
    assert matrix.row_kinds.tolist() == ["session", "session", "playlist", "profile"]
    assert matrix.row_labels == ["session 0", "session 1", "P", "friend"]
    expected = np.array([
        [np.log(4.0), np.log1p(0.5 + 0.5 * 120 / 180), 0, 0],
        [0, np.log(2.5), -0.5 * np.log(2), 0],
        [np.log(2), 0, 0, np.log(2)],
        [0, 0, 0, np.log1p(1.5 + 0.5 + 0.5 * 60 / 180)],
    ])
    np.testing.assert_allclose(matrix.values.toarray(), expected, rtol=1e-6)
    assert matrix.values.dtype == np.float32


def test_zero_cells_are_dropped():
    # played once in full (log 2.5) and quick-skipped such that the cell nets exactly 0
    ix = Interactions()
    ix.add_tracks(["A", "B"])
    plays = plays_frame([("10:00", 180, "trackdone", None, "A"), ("10:03", 180, "trackdone", None, "B"),
                         ("10:06", 5, "fwdbtn", None, "A")])
    skip_weight = np.log(2.5) / np.log(2)
    matrix = build_matrix(ix, plays, Weighting(skip_weight=skip_weight)).values
    assert matrix.nnz == 1 and matrix.toarray()[0].tolist() == pytest.approx([0.0, np.log(2.5)])


def test_listener_row_is_the_whole_history_with_recency():
    ix = Interactions()
    ix.add_tracks(["A", "B", "C", "D", "E"])
    now = pd.Timestamp("2024-01-01T15:00:00Z")
    row = listener_row(ix, PLAYS, Weighting(skip_weight=0.5), now=None)
    assert row.shape == (1, 5)
    np.testing.assert_allclose(row.toarray()[0], [np.log(4.0), np.log1p(0.5 + 0.5 * 120 / 180 + 1.5),
                                                  -0.5 * np.log(2), np.log(2.5), 0], rtol=1e-6)
    decayed = listener_row(ix, PLAYS, Weighting(half_life_days=1 / 24 / 60 * 60), now=now)  # half-life 1 h
    assert decayed.toarray()[0, 3] == pytest.approx(np.log1p(1.5), rel=1e-6)  # D started at 15:00: no decay
    assert decayed.toarray()[0, 0] == pytest.approx(np.log1p(1.5 * 2 ** -5 + 1.5 * 2 ** -(4 + 54 / 60)), rel=1e-5)


def test_interactions_owns_the_mapping():
    ix = Interactions()
    ix.add_tracks(["id1", "Band — Song"], ["One", "Song"], ["A", "Band"])
    ix.add_tracks(["id1", "id3"], ["renamed", "Three"], ["Z", None])  # known keys keep their column and names
    assert ix.track_keys_ == ["id1", "Band — Song", "id3"]
    assert ix.track_idx(["id3", "nope", "id1"]).tolist() == [2, -1, 0]
    assert ix.label(0) == "One — A" and ix.label(2) == "Three"
    again = Interactions.from_arrays(ix.to_arrays())
    assert again.track_keys_ == ix.track_keys_ and again.artist_names_ == ix.artist_names_
    assert keys_row(ix, ["id3", "id3", "nope"]).toarray().tolist() == [[0.0, 0.0, 1.0]]


def test_music_between_is_inclusive_utc_dates():
    import datetime as dt

    from core.taste.interactions import music_between
    kept = music_between(PLAYS, dt.date(2024, 1, 1), dt.date(2024, 1, 1))
    assert len(kept) == len(PLAYS)
    assert music_between(PLAYS, dt.date(2024, 1, 2), dt.date(2024, 1, 3)).empty
