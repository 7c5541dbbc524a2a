"""core.recommend: the artist cap, forgotten favourites, "more like these" and "for you" with reasons."""
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from core.taste.interactions import Interactions
from core.taste.model import TasteModel
from core.taste.recommend import (
    cap_per_artist,
    for_you,
    forgotten_favourites,
    more_like,
    play_stats,
)
from core.taste.scoring import Hybrid, HybridSettings, Listener


@pytest.mark.parametrize(("items", "artists", "n", "per", "window", "expected"), [
    ([1, 2, 3, 4, 5], ["a", "a", "a", "b", "a"], 5, 2, 25, [1, 2, 4]),
    ([1, 2, 3, 4, 5], ["a", "a", "a", "b", "a"], 5, 2, 3, [1, 2, 4, 3, 5]),  # a new block of 3 from position 4
    ([1, 1, 2, 2, 3], ["a", "a", "b", "b", "c"], 5, 2, 25, [1, 2, 3]),  # never a track twice
    ([1, 2, 3], [None, None, None], 2, 1, 25, [1, 2]),  # unknown artists are not capped; n is the limit
])
def test_cap_per_artist(items, artists, n, per, window, expected):
    assert cap_per_artist(items, artists, n, per, window) == expected


def plays(rows):
    """rows: (start ISO date, seconds, track_key, artist)."""
    start = pd.to_datetime([r[0] for r in rows], utc=True)
    ms = [r[1] * 1000 for r in rows]
    none = [None] * len(rows)
    return pd.DataFrame({"start": start, "end": start + pd.to_timedelta(ms, unit="ms"), "ms_played": ms,
                         "reason_end": ["trackdone"] * len(rows), "skipped": pd.array(none, dtype="boolean"),
                         "skip": np.zeros(len(rows), dtype=bool),
                         "track_key": pd.Categorical([r[2] for r in rows]), "song_key": pd.Categorical([r[2] for r in rows]),
                         "track_id": pd.Categorical(none),
                         "track_name": [r[2].upper() for r in rows], "artist_name": [r[3] for r in rows],
                         "episode_name": none, "show_name": none, "audiobook_title": none,
                         "content_type": ["music"] * len(rows)})


HISTORY = plays(
    [(f"2022-03-{d:02d}", 200, "old", "A") for d in range(1, 7)]  # 6 streams, March 2022
    + [("2022-05-02", 200, "old", "A"), ("2022-05-03", 10, "old", "A")]  # one more, one too short
    + [(f"2022-04-{d:02d}", 200, "also", "A") for d in range(1, 6)]
    + [(f"2022-04-{d:02d}", 200, "third", "A") for d in range(1, 9)]
    + [(f"2023-0{m}-01", 200, "recent", "B") for m in range(1, 7)]
    + [("2021-01-01", 200, "rare", "C")]
)


def test_play_stats():
    stats = play_stats(HISTORY)
    assert stats.loc["old", "streams"] == 7 and stats.loc["old", "peak_streams"] == 6
    assert str(stats.loc["old", "peak_month"]) == "2022-03"
    assert stats.loc["old", "last"] == pd.Timestamp("2022-05-02", tz="UTC")


def test_forgotten_favourites_are_the_discovery_pages_rule_with_reasons_and_a_cap():
    history = plays(
        [(f"2022-03-{d:02d}", 200, "old", "A") for d in range(1, 13)] + [("2022-05-02", 200, "old", "A")]
        + [(f"2022-04-{d:02d}", 200, "third", "A") for d in range(1, 11)]
        + [(f"2022-04-{d:02d}", 200, "also", "A") for d in range(1, 11)]
        + [(f"2023-06-{d:02d}", 200, "recent", "B") for d in range(1, 13)]  # still played: not forgotten
        + [(f"2021-01-{d:02d}", 200, "rare", "C") for d in range(1, 6)]  # never a favourite (5 < 10)
    )
    out = forgotten_favourites(history, n=10)
    # three of A's songs qualify; two per artist in a list of 25
    assert out[["track_key", "artist", "score"]].values.tolist() == [["old", "A", 13.0], ["also", "A", 10.0]]
    assert out["reason"].tolist() == [
        "you played it 13 times in the 90 days from 01 Mar 2022 (13 in all), and not since May 2022",
        "you played it 10 times in the 90 days from 01 Apr 2022 (10 in all), and not since April 2022",
    ]


def two_clusters():
    """Tracks 0-5 co-played (artists a0..a5), tracks 6-11 co-played; no audio features."""
    rng = np.random.default_rng(1)
    rows, cols = [], []
    for r in range(40):
        members = rng.choice(np.arange(6) + 6 * (r % 2), size=4, replace=False)
        rows += [r] * 4
        cols += members.tolist()
    matrix = sp.csr_matrix((np.ones(len(rows), dtype="float32"), (rows, cols)), shape=(40, 12))
    ix = Interactions()
    ix.add_tracks([f"k{i}" for i in range(12)], [f"T{i}" for i in range(12)], [f"a{i}" for i in range(12)])
    model = TasteModel(factors=4, regularization=1.0, iterations=20, random_state=0).fit(matrix, np.full((12, 3), np.nan))
    return model, ix


def test_more_like_works_without_features_and_explains():
    model, ix = two_clusters()
    out = more_like(model, ix, ["k7", "unknown key"], n=5)
    assert set(out["track_key"]) == {"k6", "k8", "k9", "k10", "k11"}
    assert all(r == "sessions and playlists with T7 — a7 also have it" for r in out["reason"])
    assert more_like(model, ix, ["nothing known"]).empty


def test_for_you_dial():
    model, ix = two_clusters()
    history = plays([("2024-01-01", 200, "k0", "a0"), ("2024-01-02", 200, "k0", "a0"), ("2024-01-03", 200, "k1", "a1")])
    who = Listener.of_plays(ix, history)
    hybrid = Hybrid(model, HybridSettings())
    familiar = for_you(hybrid, ix, who, n=2, familiar=1.0)
    assert familiar["track_key"].tolist() == ["k0", "k1"] and familiar["familiar"].all()
    assert familiar["reason"].iloc[0].startswith("you played it 2 times, most in January 2024 (2); last on 02 Jan 2024")
    new = for_you(hybrid, ix, who, n=6, familiar=0.0)
    assert set(new["track_key"]) == {f"k{i}" for i in range(6)}  # the listener's cluster first
    assert len(set(new["track_key"])) == len(new)


def test_likes_and_dislikes_change_the_row_and_dislikes_are_never_suggested():
    model, ix = two_clusters()
    history = plays([("2024-01-01", 200, "k0", "a0"), ("2024-01-03", 200, "k1", "a1")])
    who = Listener.of_plays(ix, history, feedback={"k1": -1, "k2": 1, "not a track": 1})
    hybrid = Hybrid(model, HybridSettings())
    row = who.row(hybrid.settings.taste_half_life).toarray()[0]
    assert row[1] == -1.0 and row[2] == 1.0 and row[0] > 0
    out = for_you(hybrid, ix, who, n=12, familiar=0.0)
    assert "k1" not in set(out["track_key"]) and len(out) == 11

