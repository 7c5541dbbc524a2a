"""Songs, not ids: the song rule on hand-picked real names, the person's merges and splits, and
songs as the unit of the top lists, the year in review, the mood page and the taste model."""
import json
import zipfile
from collections import Counter

import orjson
import pandas as pd
import pytest

from core import explore, history, ingest, store
from core.errors import SongEditError
from tests.conftest import real_data_dir
from tests.test_habits import play


@pytest.mark.parametrize(("artist_a", "title_a", "artist_b", "title_b"), [
    # from the real exports: one song under several ids and spellings
    ("Pixies", "Where Is My Mind? - Remastered", "Pixies", "Where Is My Mind?"),
    ("Iron Maiden", "Fear Of The Dark - 1998 Remastered Version", "Iron Maiden", "Fear of the Dark - 2015 Remaster"),
    ("ZAYN", "I Don’t Wanna Live Forever (Fifty Shades Darker) - From \"Fifty Shades Darker (Original Motion "
             "Picture Soundtrack)\"", "ZAYN", "I Don’t Wanna Live Forever (Fifty Shades Darker)"),
    ("One Direction", "You & I - Radio Edit", "One Direction", "You & I"),
    ("Metallica", "Seek & Destroy - Remastered", "Metallica", "Seek & Destroy"),
    ("Guano Apes", "Open Your Eyes - 2017 Version", "Guano Apes", "Open Your Eyes"),
    ("The Beatles", "Let It Be (Deluxe)", "Beatles, The", "Let It Be"),
])
def test_same_song(artist_a, title_a, artist_b, title_b):
    keys = history.song_keys(pd.DataFrame({"track_key": ["a", "b"], "artist_name": [artist_a, artist_b],
                                           "track_name": [title_a, title_b]}))
    assert keys[0] == keys[1]


@pytest.mark.parametrize(("artist", "title_a", "title_b"), [
    # from the real exports: versions that stay songs of their own
    ("Nina Simone", "Sinnerman - Live In New York/1965", "Sinnerman"),
    ("Daft Punk", "Aerodynamic - Daft Punk Remix", "Aerodynamic"),
    ("Hailee Steinfeld", "Starving - Acoustic", "Starving"),
    ("Xantesha", "SUNRISE (Slowed + Reverb)", "SUNRISE"),
    ("Hololive", "今宵はHalloween Night! - Instrumental", "今宵はHalloween Night!"),
    ("Taylor Swift", "We Are Never Ever Getting Back Together (Taylor's Version)",
     "We Are Never Ever Getting Back Together"),
    ("Kendrick Lamar", "Swimming Pools (Drank) - Extended Version", "Swimming Pools (Drank)"),
    ("Some Band", "Song - Karaoke Version", "Song"),
])
def test_different_songs(artist, title_a, title_b):
    keys = history.song_keys(pd.DataFrame({"track_key": ["a", "b"], "artist_name": [artist, artist],
                                           "track_name": [title_a, title_b]}))
    assert keys[0] != keys[1]


def test_a_recording_is_in_the_song_its_most_played_name_gives():
    recordings = history.recordings(["x", "x", "x", "y"], ["A", "A", "A", "A"],
                                    ["Song - Live", "Song", "Song", "Song"])
    assert recordings[["track_key", "track_name", "plays"]].values.tolist() == [["x", "Song", 3], ["y", "Song", 1]]


def frame(rows, account=None):
    db = store.open_memory_store()
    uploads = [("Streaming_History_Audio_2024_0.json", orjson.dumps(rows))]
    if account:
        uploads.append(("StreamingHistory_music_0.json", orjson.dumps(account)))
    ingest.import_files(db, uploads=uploads)
    return db, explore.apply_filters(history.load_plays(db, "me"), explore.Filters())


SIDE = [play(f"2024-01-{d:02d}T10:00:00Z", 200, artist="Ariana Grande", track="Side To Side", uri="s")
        for d in range(1, 4)] + [
    play(f"2024-01-{d:02d}T11:00:00Z", 200, artist="Ariana Grande", track="Side To Side", uri="t")
    for d in range(1, 4)] + [
    play(f"2024-01-{d:02d}T12:00:00Z", 200, artist="Britney Spears", track="Toxic", uri="u") for d in range(1, 5)]


def test_top_songs_add_up_a_song_across_its_ids_and_ids_without_names():
    """The issue's own example: one song over two ids (and a play without an id) outranks a
    song with more plays under one id."""
    account = [{"endTime": "2024-02-01 10:03", "artistName": "Ariana Grande", "trackName": "Side To Side",
                "msPlayed": 200_000}]
    _, plays = frame(SIDE, account)
    top = explore.top_items(plays, "track", n=2)
    assert top[["name", "streams"]].values.tolist() == [["Side To Side — Ariana Grande", 7],
                                                        ["Toxic — Britney Spears", 4]]
    recap = explore.year_recap(plays, 2024)
    assert [(t.title, t.streams) for t in recap.top_tracks] == [("Side To Side", 7), ("Toxic", 4)]


def test_split_and_join_are_kept_and_survive_a_reimport():
    db, plays = frame(SIDE)
    song = "ariana grande\tside to side"
    assert set(plays.loc[plays["song_key"] == song, "track_key"]) == {"s" * 22, "t" * 22}
    history.split(db, "me", plays, "t" * 22)
    plays = explore.apply_filters(history.load_plays(db, "me"), explore.Filters())
    assert explore.top_items(plays, "track")[["name", "streams"]].values.tolist() == [
        ["Toxic — Britney Spears", 4], ["Side To Side — Ariana Grande", 3], ["Side To Side — Ariana Grande", 3]]
    # the same export again: the split stands
    ingest.import_files(db, uploads=[("Streaming_History_Audio_2024_0.json", orjson.dumps(SIDE))])
    plays = explore.apply_filters(history.load_plays(db, "me"), explore.Filters())
    assert len(explore.top_items(plays, "track")) == 3
    # join Toxic into Side To Side (a wrong join on purpose), then undo it
    assert history.join(db, "me", plays, "britney spears\ttoxic", song) == 1
    plays = history.load_plays(db, "me")
    assert set(plays.loc[plays["song_key"] == song, "track_key"]) == {"s" * 22, "u" * 22}
    history.undo_edits(db, "me", ["u" * 22, "t" * 22])
    plays = history.load_plays(db, "me")
    assert plays["song_key"].nunique() == 2


@pytest.mark.parametrize("edit", [
    lambda db, plays: history.split(db, "me", plays, "no such recording"),
    lambda db, plays: history.split(db, "me", plays, "u" * 22),  # a song's only recording
    lambda db, plays: history.join(db, "me", plays, "nobody\tnothing", "britney spears\ttoxic"),
    lambda db, plays: history.join(db, "me", plays, "britney spears\ttoxic", "britney spears\ttoxic"),
])
def test_bad_song_edits_say_why_and_change_nothing(edit):
    db, plays = frame(SIDE)
    version = store.data_version(db)
    with pytest.raises(SongEditError):
        edit(db, plays)
    assert store.song_edits(db, "me") == {} and store.data_version(db) == version


def test_a_recording_without_features_gets_its_songs_features_on_the_mood_page():
    _, plays = frame(SIDE)
    features = {"track_key": ["s" * 22], "catalog_track_id": ["c"], "method": ["id"], "source": ["x"],
                "energy": [0.9], "valence": [0.8], "danceability": [0.7], "acousticness": [0.1], "tempo": [120.0],
                "release_year": [2016]}
    by_song, genres = explore.song_features(features, {"track_key": ["s" * 22], "genre": ["pop"]}, plays)
    joined = explore.join_features(plays, explore.track_table(by_song, genres))
    side = joined[joined["track_key"] == "ariana grande\tside to side"]
    assert len(side) == 6 and side["matched"].all()  # both ids of the song, though only one matched


def _real_rows(path):
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if "Audio" in name:
                yield from json.loads(zf.read(name))


def test_real_export_songs_merge_ids_and_keep_versions_apart(tmp_path):
    """extended-2026-b: 6,391 recordings are 5,874 songs; hand-picked merges and non-merges."""
    path = real_data_dir() / "exports" / "extended-2026-b.zip"
    db = store.open_store(tmp_path / "real.db")
    ingest.import_files(db, paths=[path])
    plays = history.load_plays(db, "me")
    music = plays[plays["content_type"] == "music"]
    assert (music["track_key"].nunique(), music["song_key"].nunique()) == (6_391, 5_874)
    ids = music.groupby("song_key", observed=True)["track_key"].nunique()
    lose = ids["eminem\tlose yourself"]
    assert lose == 2  # SHADYXV and "Just Lose It"
    assert ids["zayn\ti dont wanna live forever fifty shades darker"] == 4
    songs = set(music["song_key"].astype(object))
    assert {"one direction\tsteal my girl", "one direction\tsteal my girl\tlive acoustic session"} <= songs
    assert {"taylor swift\ti knew you were trouble", "taylor swift\ti knew you were trouble\ttaylors"} <= songs
    # the top songs add every id of a song up (an independent count of distinct plays by name)
    streams = Counter()
    seen = set()
    for r in _real_rows(path):
        key = (r["ts"], r["ms_played"], r.get("master_metadata_track_name"), r.get("offline_timestamp"),
               r.get("reason_start"), r.get("reason_end"))
        if r.get("master_metadata_track_name") == "Lose Yourself" and r["ms_played"] >= 30_000 and key not in seen:
            seen.add(key)
            streams[r["master_metadata_album_album_name"]] += 1
    frame_ = explore.apply_filters(plays, explore.Filters())
    top = explore.ranked_items(frame_, "track").set_index("key")
    assert top.loc["eminem\tlose yourself", "streams"] == sum(streams.values()) == 273
