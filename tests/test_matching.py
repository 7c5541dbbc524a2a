"""core.names and core.catalog.matching: name rules, id-then-name matching, coverage, and a real-data acceptance run."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import names
from core.catalog.matching import feature_coverage as coverage
from core.catalog.matching import match_tracks, missing_top
from core.names import (
    _title_part,
    _title_parts,
    catalog_keys,
    name_key,
    normalise_artist,
    normalise_text,
    normalise_title,
)

# --- name rules -------------------------------------------------------------------------

SAME, DIFFERENT = True, False

# (artist a, title a, artist b, title b, same track for matching?)
PAIRS = [
    # remasters and re-release wording: the same recording
    ("Queen", "Bohemian Rhapsody - Remastered 2011", "Queen", "Bohemian Rhapsody", SAME),
    ("Queen", "Don't Stop Me Now - Remastered 2011", "Queen", "Dont Stop Me Now", SAME),
    ("Led Zeppelin", "Stairway to Heaven - Remaster", "Led Zeppelin", "Stairway to Heaven - 1990 Remaster", SAME),
    ("Billy Idol", "Rebel Yell - 1999 - Remaster", "Billy Idol", "Rebel Yell", SAME),
    ("Pink Floyd", "Another Brick in the Wall, Pt. 2 - 2011 Remastered Version", "Pink Floyd",
     "Another Brick In The Wall, Pt. 2", SAME),
    ("Fleetwood Mac", "Dreams (Remastered)", "Fleetwood Mac", "Dreams [2004 Remaster]", SAME),
    ("The Doors", "Riders on the Storm - Digital Remaster", "The Doors", "Riders On The Storm", SAME),
    ("Coldplay", "Yellow - Bonus Track", "Coldplay", "Yellow (Deluxe Edition)", SAME),
    # radio edits, single versions, mono/stereo: decided to be the same song
    ("Calvin Harris", "Summer - Radio Edit", "Calvin Harris", "Summer", SAME),
    ("David Bowie", '"Heroes" - Single Version', "David Bowie", "Heroes - 2017 Remaster", SAME),
    ("The Rolling Stones", "(I Can't Get No) Satisfaction - Mono Version", "The Rolling Stones",
     "(I Can't Get No) Satisfaction", SAME),
    ("The Beach Boys", "God Only Knows - Stereo", "The Beach Boys", "God Only Knows - Mono", SAME),
    ("Tujamo", "Grapevine (Original Mix)", "Tujamo", "Grapevine - Radio Mix", SAME),
    ("Idina Menzel", 'Let It Go - From "Frozen"/Soundtrack Version', "Idina Menzel", "Let It Go", SAME),
    # featured artists leave the title (and the artist)
    ("Beyoncé", "Crazy In Love (feat. JAY-Z)", "Beyonce", "Crazy in Love", SAME),
    ("Ed Sheeran", "I Don't Care (with Justin Bieber)", "Ed Sheeran", "I Don’t Care", SAME),
    ("Major Lazer", "Lean On (feat. MØ & DJ Snake)", "Major Lazer", "Lean On [feat. MØ & DJ Snake]", SAME),
    ("Sia", "Cheap Thrills ft. Sean Paul", "Sia", "Cheap Thrills", SAME),
    ("Drake", "Money In The Grave (feat. Rick Ross)", "Drake", "Money In The Grave (Drake ft. Rick Ross)", SAME),
    ("Calvin Harris feat. Rihanna", "This Is What You Came For", "Calvin Harris", "This Is What You Came For", SAME),
    ("Maroon 5", "Memories (feat. X) [Dillon Francis Remix]", "Maroon 5", "Memories - Dillon Francis Remix", SAME),
    # accents, case, "&" = "and", apostrophes, punctuation, "The"
    ("Sigur Rós", "Hoppípolla", "Sigur Ros", "Hoppipolla", SAME),
    ("BEYONCÉ", "HALO", "Beyoncé", "Halo", SAME),
    ("Simon & Garfunkel", "The Boxer", "Simon and Garfunkel", "The Boxer", SAME),
    ("Led Zeppelin", "Rock & Roll", "Led Zeppelin", "Rock and Roll", SAME),
    ("Guns N' Roses", "Sweet Child O' Mine", "Guns N’ Roses", "Sweet Child O’ Mine", SAME),
    ("JAY-Z", "99 Problems", "JAY Z", "99 Problems", SAME),
    ("Panic! At The Disco", "High Hopes", "Panic! at the Disco", "High Hopes", SAME),
    ("The Beatles", "Here Comes The Sun - Remastered 2009", "Beatles, The", "Here Comes the Sun", SAME),
    ("The Killers", "Mr. Brightside", "Killers", "Mr Brightside", SAME),
    ("Tyler, The Creator", "EARFQUAKE", "Tyler The Creator", "Earfquake", SAME),
    ("宇多田ヒカル", "First Love - 2014 Remastered", "宇多田ヒカル", "First Love", SAME),
    ("Radiohead", "Creep (Acoustic)", "Radiohead", "Creep - Acoustic Version", SAME),
    ("Maroon 5", "Memories - Dillon Francis Remix", "Maroon 5", "Memories (Dillon Francis Remix)", SAME),
    ("Nirvana", "All Apologies - Live", "Nirvana", "All Apologies (Live Version)", SAME),
    # a different version never matches the original
    ("Queen", "Bohemian Rhapsody - Live at Wembley '86", "Queen", "Bohemian Rhapsody", DIFFERENT),
    ("Queen", "Bohemian Rhapsody - Live at Wembley '86", "Queen", "Bohemian Rhapsody (Live)", DIFFERENT),
    ("Nirvana", "All Apologies (Live)", "Nirvana", "All Apologies", DIFFERENT),
    ("Eagles", "Hotel California - 2013 Remaster", "Eagles", "Hotel California - Live On MTV, 1994", DIFFERENT),
    ("Marília Mendonça", "Infiel - Ao Vivo", "Marília Mendonça", "Infiel", DIFFERENT),
    ("Maroon 5", "Memories - Dillon Francis Remix", "Maroon 5", "Memories", DIFFERENT),
    ("Ed Sheeran", "Shape of You - Stormzy Remix", "Ed Sheeran", "Shape of You - Major Lazer Remix", DIFFERENT),
    ("Ed Sheeran", "I Don't Care (with Justin Bieber) - Loud Luxury Remix", "Ed Sheeran", "I Don't Care", DIFFERENT),
    ("Radiohead", "Creep (Acoustic)", "Radiohead", "Creep", DIFFERENT),
    ("Nirvana", "Smells Like Teen Spirit (Instrumental)", "Nirvana", "Smells Like Teen Spirit", DIFFERENT),
    ("Oasis", "Wonderwall (Demo)", "Oasis", "Wonderwall", DIFFERENT),
    ("Adele", "Hello (Karaoke)", "Adele", "Hello", DIFFERENT),
    ("The Beatles", "Yesterday - Take 1", "The Beatles", "Yesterday", DIFFERENT),
    ("Taylor Swift", "Love Story (Taylor's Version)", "Taylor Swift", "Love Story", DIFFERENT),
    ("The Weeknd", "Die For You - Sped Up", "The Weeknd", "Die For You", DIFFERENT),
    ("Dimitri Vegas & Like Mike", "Break The House Down - Hardwell Edit", "Dimitri Vegas & Like Mike",
     "Break The House Down", DIFFERENT),
    ("Gregor Salto", "Gloria - Extended Mix", "Gregor Salto", "Gloria", DIFFERENT),
    # different songs, different artists
    ("Adele", "Hello", "Lionel Richie", "Hello", DIFFERENT),
    ("Adele", "Hello", "Adele", "Hello, I Love You", DIFFERENT),
    ("Post Malone", "Sunflower - Spider-Man: Into the Spider-Verse", "Post Malone", "Sunflower", DIFFERENT),
    ("Simon & Garfunkel", "The Boxer", "Simon", "The Boxer", DIFFERENT),
]


@pytest.mark.parametrize("artist_a, title_a, artist_b, title_b, same", PAIRS,
                         ids=[f"{a[1]}|{a[3]}" for a in PAIRS])
def test_name_key_pairs(artist_a, title_a, artist_b, title_b, same):
    key_a, key_b = name_key(artist_a, title_a), name_key(artist_b, title_b)
    assert key_a is not None and key_b is not None
    assert (key_a == key_b) is same, (key_a, key_b)


@pytest.mark.parametrize("title, expected", [
    ("Bohemian Rhapsody - Remastered 2011", ("bohemian rhapsody", None)),
    ("Hey Jude (Live) [feat. Someone]", ("hey jude", "live")),
    ("I Don't Care (with Justin Bieber) - Loud Luxury Remix", ("i dont care", "loud luxury remix")),
    ("Cheerleader - Felix Jaehn Remix Radio Edit", ("cheerleader", "felix jaehn remix")),
    ("Love Rain - (Coffee Shop Mix)", ("love rain", "coffee shop mix")),
    ("Fascination (Re-Recorded / Remastered)", ("fascination", "re recorded")),
    ("Song - Live / Remastered 2011", ("song", "live")),
    ("Song (Live) [Acoustic]", ("song", "live acoustic")),
    ("Gloria (feat. Andy Reznik) - Extended Mix", ("gloria", "extended")),
    ("Song - Remix feat. X", ("song", "remix")),
    ("Song feat. X - Remix", ("song", "remix")),
    ("Break On Through [To The Other Side] - New Stereo Mix", ("break on through to the other side", "new stereo mix")),
    ("(I Can't Get No) Satisfaction", ("i cant get no satisfaction", None)),
    ("Blue (Da Ba Dee)", ("blue da ba dee", None)),
    ("(Live)", ("live", None)),  # never peeled away whole
    ("Rock & Roll", ("rock and roll", None)),
    ("!!!", ("!!!", None)),
])
def test_normalise_title(title, expected):
    assert normalise_title(title) == expected


@pytest.mark.parametrize("artist, expected", [
    ("The Beatles", "beatles"),
    ("Beatles, The", "beatles"),
    ("The The", "the"),
    ("Simon & Garfunkel", "simon and garfunkel"),
    ("Tyler, The Creator", "tyler the creator"),
    ("Calvin Harris feat. Rihanna", "calvin harris"),
    ("Beyoncé", "beyonce"),
    ("Sigur Rós", "sigur ros"),
    ("P!nk", "p nk"),
    ("!!!", "!!!"),
])
def test_normalise_artist(artist, expected):
    assert normalise_artist(artist) == expected


def test_normalise_text_strips_latin_accents_only():
    assert [normalise_text(s) for s in ("Ça Va Ŝ", "ガ", "カ", "नमस्ते", "Straße", "ﬁne")] == [
        "ca va s", "ガ", "カ", "नमस्ते", "strasse", "fine"]


@pytest.mark.parametrize("artist, title", [(None, "Song"), ("Artist", None), ("", "Song"), ("Artist", "  "),
                                           (float("nan"), "Song"), ("Artist", "\u0301")])
def test_name_key_missing(artist, title):
    assert name_key(artist, title) is None


def test_leading_artists():
    assert [names.leading_artists(s) for s in ("A, B", "A; B; C", "Tyler, The Creator, Kali Uchis",
                                                  "Simon & Garfunkel", "A, B, C, D, E")] == [
        ["a"], ["a", "a b"], ["tyler", "tyler the creator"], [], ["a", "a b", "a b c"]]


# --- match_tracks -----------------------------------------------------------------------

def _frame(columns: str, rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns.split(", "))


HISTORY = _frame("track_key, track_id, artist_name, track_name", [
    ("id1", "id1", "Queen", "Bohemian Rhapsody - Remastered 2011"),
    ("id9", "id9", "Queen", "Don't Stop Me Now - Remastered 2011"),
    ("Queen — Bohemian Rhapsody - Live at Wembley '86", None, "Queen", "Bohemian Rhapsody - Live at Wembley '86"),
    ("Nirvana — All Apologies (Live)", None, "Nirvana", "All Apologies (Live)"),
    ("id1", "id1", "Queen", "Bohemian Rhapsody - Remastered 2011"),  # a second play of the same track
    ("Tyler, The Creator — EARFQUAKE", None, "Tyler, The Creator", "EARFQUAKE"),
    ("Beyonce — Halo", None, "Beyonce", "Halo"),
    ("? — Untitled", None, None, "Untitled"),
    ("id7", "id7", "Nobody", "Nothing Like It"),
])
CATALOG = _frame("track_id, artist_name, track_name", [
    ("id0", "Queen", "Bohemian Rhapsody"),
    ("id1", "Queen", "Bohemian Rhapsody - 2011 Remaster"),
    ("idB", "Queen", "Don't Stop Me Now"),
    ("idA", "Queen", "Don’t Stop Me Now - Remastered"),
    ("idN1", "Nirvana", "All Apologies"),
    ("idN2", "Nirvana", "All Apologies - Live"),
    ("idT1", "Tyler, The Creator; Playboi Carti", "EARFQUAKE"),
    ("idT9", "Tyler, The Creator", "Earfquake"),
    ("idH", "Beyoncé", "Halo"),
    ("idU", "Someone", "Untitled"),
])


def test_match_tracks_whole_result():
    expected = _frame("track_key, catalog_track_id, method", [
        ("id1", "id1", "id"),  # the id wins over the name match "id0"
        ("id9", "idA", "name"),  # two catalog tracks share the key: the smallest id
        # the live Bohemian Rhapsody has no live version in the catalog: no match
        ("Nirvana — All Apologies (Live)", "idN2", "name"),  # the live version, not the studio one
        ("Tyler, The Creator — EARFQUAKE", "idT9", "name"),  # whole artist field before a leading artist
        ("Beyonce — Halo", "idH", "name"),
    ])
    pd.testing.assert_frame_equal(match_tracks(HISTORY, CATALOG), expected)
    pd.testing.assert_frame_equal(match_tracks(HISTORY, CATALOG, keys=catalog_keys(CATALOG)), expected)
    # the same without the whole-field row: the leading artists of the listed field match
    without = match_tracks(HISTORY, CATALOG[CATALOG["track_id"] != "idT9"])
    assert without.loc[without["track_key"] == "Tyler, The Creator — EARFQUAKE"].values.tolist() == [
        ["Tyler, The Creator — EARFQUAKE", "idT1", "name"]]


def test_match_tracks_same_album_breaks_ties():
    history = _frame("track_key, track_id, artist_name, track_name, album_name", [
        ("k1", None, "Queen", "Somebody to Love", "A Day at the Races (Deluxe)"),
        ("k2", None, "Queen", "Somebody to Love", None),
    ])
    catalog = _frame("track_id, artist_name, track_name, album_name", [
        ("a1", "Queen", "Somebody To Love", "Greatest Hits"),
        ("z9", "Queen", "Somebody To Love - Remastered 2011", "A Day At The Races (Deluxe)"),
    ])
    pd.testing.assert_frame_equal(match_tracks(history, catalog), _frame(
        "track_key, catalog_track_id, method", [("k1", "z9", "name"), ("k2", "a1", "name")]))


def test_catalog_keys():
    catalog = pd.concat([CATALOG, _frame("track_id, artist_name, track_name",
                                         [("idX", None, "Song"), ("idY", "Band", "  ")])], ignore_index=True)
    keys = catalog_keys(catalog.set_index("track_id"))
    expected = pd.Series([
        "queen\tbohemian rhapsody", "queen\tbohemian rhapsody", "queen\tdont stop me now",
        "queen\tdont stop me now", "nirvana\tall apologies", "nirvana\tall apologies\tlive",
        "tyler the creator playboi carti\tearfquake", "tyler the creator\tearfquake", "beyonce\thalo",
        "someone\tuntitled", None, None,
    ], index=pd.Index(catalog["track_id"], name="track_id"), name="name_key", dtype="str")
    pd.testing.assert_series_equal(keys, expected)


def test_match_tracks_empty_and_non_unique_index():
    empty = HISTORY.iloc[:0]
    assert match_tracks(empty, CATALOG).values.tolist() == []
    assert list(match_tracks(empty, CATALOG).columns) == ["track_key", "catalog_track_id", "method"]
    with pytest.raises(ValueError, match="unique index"):
        match_tracks(HISTORY, pd.concat([CATALOG, CATALOG]))


# --- coverage ---------------------------------------------------------------------------

PLAYS = _frame("track_key, ms_played, year, artist_name, track_name", [
    ("a", 1000, 2020, "A", "Song a"),
    ("a", 3000, 2021, "A", "Song a"),
    ("b", 2000, 2020, "B", "Song b"),
    ("c", 4000, 2021, "C", "Song c"),
    ("d", 0, 2021, "D", "Song d"),
    ("c", 0, 2021, "C", "Song c"),
    (None, 5000, 2021, None, None),  # not a track: left out
])
MATCHES = _frame("track_key, catalog_track_id, method", [("a", "x1", "id"), ("b", "x2", "name")])


def test_coverage_whole_result():
    result = coverage(PLAYS, MATCHES)
    assert result["overall"] == {
        "tracks": 4, "ms": 10000, "tracks_id": 1, "ms_id": 4000, "tracks_name": 1, "ms_name": 2000,
        "tracks_matched": 2, "ms_matched": 6000,
        "track_share_id": 0.25, "track_share_name": 0.25, "track_share": 0.5,
        "time_share_id": 0.4, "time_share_name": 0.2, "time_share": 0.6,
    }
    expected = pd.DataFrame([
        {"tracks": 2, "ms": 3000, "tracks_id": 1, "ms_id": 1000, "tracks_name": 1, "ms_name": 2000,
         "tracks_matched": 2, "ms_matched": 3000, "track_share_id": 0.5, "track_share_name": 0.5,
         "track_share": 1.0, "time_share_id": 1 / 3, "time_share_name": 2 / 3, "time_share": 1.0},
        {"tracks": 3, "ms": 7000, "tracks_id": 1, "ms_id": 3000, "tracks_name": 0, "ms_name": 0,
         "tracks_matched": 1, "ms_matched": 3000, "track_share_id": 1 / 3, "track_share_name": 0.0,
         "track_share": 1 / 3, "time_share_id": 3 / 7, "time_share_name": 0.0, "time_share": 3 / 7},
    ], index=pd.Index([2020, 2021], name="year"))
    pd.testing.assert_frame_equal(result["by_year"], expected)


def test_coverage_of_nothing():
    result = coverage(PLAYS.iloc[:0], MATCHES.iloc[:0])
    assert result["overall"]["tracks"] == 0 and result["overall"]["time_share"] == 0.0
    assert result["by_year"].empty


def test_missing_top():
    expected = _frame("track_key, plays, ms_played, artist_name, track_name",
                      [("c", 2, 4000, "C", "Song c"), ("d", 1, 0, "D", "Song d")])
    pd.testing.assert_frame_equal(missing_top(PLAYS, MATCHES), expected)
    pd.testing.assert_frame_equal(missing_top(PLAYS, MATCHES, n=1), expected.iloc[:1])


# --- properties -------------------------------------------------------------------------

# Text with the characters and words the rules care about, plus any Unicode.
NAME_CHARS = st.sampled_from(list("aeAEé ()[]-–—/&'’.,;:!0\t\n\x1c") + [
    " feat. ", " ft. ", "feat ", "(feat. ", " - ", " – ", " / ", "Live", "LIVE", "Remix", "Remastered", "Remaster",
    "2011", "The ", ", The", "Mix", "EDIT", "Radio Edit", "with ", "from ", "Version", "Mono", "Take 2",
    "Taylor's Version", "\u0301", "﹣", "－", "Song"])
NAMES = st.one_of(st.text(max_size=30), st.lists(NAME_CHARS, max_size=12).map("".join))


@settings(max_examples=400, deadline=None)
@given(NAMES, NAMES)
def test_name_key_is_idempotent_on_its_normalised_output(artist, title):
    key = name_key(artist, title)
    if key is None:
        return
    base, tag = normalise_title(title)
    again = name_key(normalise_artist(artist), base if tag is None else f"{base} ({tag})")
    assert again == key
    assert normalise_text(normalise_text(title)) == normalise_text(title)


@settings(max_examples=300, deadline=None)
@given(st.lists(NAMES.filter(lambda s: s.strip() != ""), min_size=1, max_size=20))
def test_bulk_title_keys_equal_one_at_a_time(titles):
    """The Arrow fast path of ``catalog_keys`` gives exactly what ``_title_part`` gives."""
    bulk = _title_parts(np.array(titles, dtype=object))
    assert list(bulk) == [_title_part(t) for t in titles]


ARTIST_TOKENS = st.sampled_from(["The ", "the", "Beatles", ", The", ", ", "; ", ";", " & ", " feat. ", " ft. ",
                                  " featuring ", "Tyler", "Creator", "Sigur Rós", "!!!", "A", "b", " ", "\t", "é"])
ARTIST_FIELDS = st.one_of(st.lists(ARTIST_TOKENS, min_size=1, max_size=8).map("".join), NAMES)


@settings(max_examples=300, deadline=None)
@given(st.lists(ARTIST_FIELDS, min_size=1, max_size=20))
def test_bulk_artist_keys_equal_one_at_a_time(fields):
    assert list(names.artist_parts(np.array(fields, dtype=object))) == [normalise_artist(f) for f in fields]


@settings(max_examples=300, deadline=None)
@given(st.lists(ARTIST_FIELDS, min_size=1, max_size=20))
def test_bulk_leading_artists_equal_one_at_a_time(fields):
    table = names.leading_artist_table(np.array(fields, dtype=object))
    expected = [(i, k, name) for i, field in enumerate(fields)
                for k, name in enumerate(names.leading_artists(field), start=1)]
    assert list(table.itertuples(index=False, name=None)) == expected


ARTISTS = st.sampled_from(["Queen", "queen", "The Beatles", "Beatles, The", "Tyler, The Creator", "A; B", None])
TITLES = st.sampled_from(["Song", "Song - Remastered", "Song (Live)", "Song - Live", "Other", "Other (feat. X)", None])
IDS = st.sampled_from(["i1", "i2", "i3", "i4", None])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["k1", "k2", "k3", "k4", "k5"]), IDS, ARTISTS, TITLES), max_size=15),
       st.lists(st.tuples(IDS, ARTISTS, TITLES), max_size=15))
def test_match_tracks_invariants(history_rows, catalog_rows):
    history = _frame("track_key, track_id, artist_name, track_name", history_rows)
    catalog = _frame("track_id, artist_name, track_name", catalog_rows)
    result = match_tracks(history, catalog)
    assert result["track_key"].is_unique
    assert set(result["method"]) <= {"id", "name"}
    assert set(result["catalog_track_id"]) <= set(catalog["track_id"].dropna())
    by_id = result[result["method"] == "id"]
    assert all((history["track_key"] == k).mul(history["track_id"] == c).any()
               for k, c in zip(by_id["track_key"], by_id["catalog_track_id"]))
    pd.testing.assert_frame_equal(result, match_tracks(history, catalog, keys=catalog_keys(catalog)))


# --- acceptance on real exports ---------------------------------------------------------

REAL_EXPORTS = ["extended-2024-a", "extended-2020-no-uris", "extended-2026-b.zip", "extended-endsong-c.zip",
                "account-2021-d", "account-2025-e"]


@pytest.fixture(scope="module")
def tidytuesday():
    from tests.conftest import real_data_dir
    path = real_data_dir() / "catalogs" / "tidytuesday-2020-spotify_songs.csv"
    frame = pd.read_csv(path, usecols=["track_id", "track_artist", "track_name", "track_album_name"])
    return frame.rename(columns={"track_artist": "artist_name", "track_album_name": "album_name"})


@pytest.mark.parametrize("export", REAL_EXPORTS)
def test_real_exports_coverage(export, tidytuesday):
    from core import store
    from core.ingest.importer import import_files
    from tests.conftest import real_data_dir

    db = store.open_memory_store()
    import_files(db, paths=[real_data_dir() / "exports" / export])
    plays = pd.DataFrame(db.execute(
        "SELECT track_id, artist_name, track_name, album_name, ms_played, substr(played_at, 1, 4) "
        "FROM plays WHERE content_type = 'music'").fetchall(),
        columns=["track_id", "artist_name", "track_name", "album_name", "ms_played", "year"])
    db.conn.close()
    # a track is its Spotify id, else "artist — title"; a play with neither id nor title is no track
    by_name = (plays["artist_name"].fillna("?") + " — " + plays["track_name"]).where(plays["track_name"].notna())
    plays["track_key"] = plays["track_id"].where(plays["track_id"].notna(), by_name)
    plays["year"] = plays["year"].astype(int)

    matches = match_tracks(plays, tidytuesday)
    result = coverage(plays, matches)
    o = result["overall"]
    print(f"\n{export}: {o['tracks']:,} tracks, {o['ms'] / 3.6e6:,.0f} h | by id {o['tracks_id']:,} tracks "
          f"({o['track_share_id']:.1%}), {o['time_share_id']:.1%} of time | + by name {o['tracks_name']:,} "
          f"({o['track_share_name']:.1%}), {o['time_share_name']:.1%} of time | total {o['track_share']:.1%} "
          f"of tracks, {o['time_share']:.1%} of time"
          + (f" | id+name / id = {o['tracks_matched'] / o['tracks_id']:.2f}x tracks, "
             f"{o['ms_matched'] / o['ms_id']:.2f}x time" if o["tracks_id"] else ""))
    shares = ["tracks", "track_share_id", "track_share_name", "time_share_id", "time_share_name"]
    print(result["by_year"][shares].round(3).to_string())
    print(missing_top(plays, matches, n=5).to_string(index=False))
    assert o["tracks_matched"] >= o["tracks_id"] and o["ms_matched"] >= o["ms_id"]
    assert o["tracks_name"] > 0  # names add tracks to every export
    assert matches["track_key"].is_unique
