"""Tests for the synthetic export generator (core/demo.py)."""

from __future__ import annotations

import collections
import datetime as dt
import importlib.util
import math
import pathlib
import re
import sys
import zipfile

import numpy as np
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.ingest.demo import _berlin_offset_hours

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from core.ingest.demo import (
    CATALOG_KEYS,
    DOCUMENTATION_IP,
    EXPORT_FOLDER,
    PLAY_KEYS,
    generate_catalog,
    generate_plays,
    write_export,
)

TS_FORMAT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
TRACK_URI = re.compile(r"^spotify:track:[0-9A-Za-z]{22}$")
EPISODE_URI = re.compile(r"^spotify:episode:[0-9A-Za-z]{22}$")
UNIT_FEATURES = ("danceability", "energy", "speechiness", "acousticness", "instrumentalness",
                 "liveness", "valence")


def parse_ts(ts: str) -> dt.datetime:
    return dt.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)


def berlin() -> dt.tzinfo:
    zoneinfo = pytest.importorskip("zoneinfo")
    try:
        return zoneinfo.ZoneInfo("Europe/Berlin")
    except zoneinfo.ZoneInfoNotFoundError:
        pytest.skip("no time-zone database on this machine")


def kind_of(row: dict) -> str:
    """Which kind of content a row is; exactly one family of fields must be filled."""
    track = row["spotify_track_uri"] is not None
    episode = row["spotify_episode_uri"] is not None
    book = row["audiobook_uri"] is not None
    assert track + episode + book == 1, row
    return "music" if track else "podcast" if episode else "audiobook"


@pytest.fixture(scope="module")
def catalog() -> list[dict]:
    return generate_catalog()


@pytest.fixture(scope="module")
def plays() -> list[dict]:
    """One mid-sized history shared by the read-only tests below (keeps the suite fast)."""
    return generate_plays(20_000)


# --- determinism and size ---------------------------------------------------------------------

def test_same_arguments_give_identical_output() -> None:
    assert generate_catalog(3) == generate_catalog(3)
    assert generate_plays(1500, seed=3) == generate_plays(1500, seed=3)
    assert generate_plays(1500, seed=3) != generate_plays(1500, seed=4)
    assert generate_catalog(3) != generate_catalog(4)


@pytest.mark.parametrize("n", [0, 1, 2, 17, 2500])
def test_exactly_n_plays(n: int) -> None:
    assert len(generate_plays(n)) == n


@settings(max_examples=20, deadline=None)
@given(n=st.integers(0, 300), seed=st.integers(0, 2**32), start_offset=st.integers(0, 3000),
       days=st.integers(0, 400))
def test_any_small_history_is_exact_sorted_and_in_range(n: int, seed: int, start_offset: int,
                                                        days: int) -> None:
    first = dt.date(2016, 1, 1) + dt.timedelta(days=start_offset)
    last = first + dt.timedelta(days=days)
    try:
        rows = generate_plays(n, seed=seed, start=first.isoformat(), end=last.isoformat())
    except ValueError as error:  # only allowed when the plays cannot physically fit
        assert "do not fit" in str(error) and n / (days + 1) > 15
        return
    assert len(rows) == n
    stamps = [r["ts"] for r in rows]
    assert stamps == sorted(stamps) and len(set(stamps)) == n
    # Dates are local (Berlin, UTC+1/+2), so UTC times may start up to 2 h before `first`.
    low = dt.datetime.combine(first, dt.time(), dt.timezone.utc) - dt.timedelta(hours=2)
    high = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), dt.timezone.utc)
    assert all(low <= parse_ts(ts) <= high for ts in stamps)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="do not fit"):
        generate_plays(50_000, start="2024-01-01", end="2024-01-03")
    with pytest.raises(ValueError, match="before start"):
        generate_plays(10, start="2024-01-02", end="2024-01-01")
    with pytest.raises(ValueError, match="not a date"):
        generate_plays(10, start="yesterday")
    with pytest.raises(ValueError, match="n_plays"):
        generate_plays(-1)


# --- schema -------------------------------------------------------------------------------------

def test_every_row_has_the_export_schema(plays: list[dict]) -> None:
    assert len(PLAY_KEYS) == 23
    assert all(tuple(row) == PLAY_KEYS for row in plays)
    assert all(TS_FORMAT.match(row["ts"]) for row in plays)
    stamps = [row["ts"] for row in plays]
    assert stamps == sorted(stamps)
    assert {row["ip_addr"] for row in plays} == {DOCUMENTATION_IP}
    # Plain JSON types only (no numpy scalars), as json/orjson would produce them.
    assert orjson.loads(orjson.dumps(plays)) == plays
    for row in plays:
        assert type(row["ms_played"]) is int and row["ms_played"] >= 0
        assert type(row["shuffle"]) is bool and type(row["offline"]) is bool
        assert type(row["incognito_mode"]) is bool


def test_skipped_is_unknown_before_2020_and_a_bool_after(plays: list[dict]) -> None:
    before = [r["skipped"] for r in plays if r["ts"] < "2020"]
    after = [r["skipped"] for r in plays if r["ts"] >= "2020"]
    assert before and after
    assert all(value is None for value in before)
    assert all(type(value) is bool for value in after)
    assert {True, False} <= set(after)


def test_content_kinds_and_shares(plays: list[dict]) -> None:
    kinds = collections.Counter(kind_of(r) for r in plays)
    assert kinds["podcast"] == round(0.04 * len(plays))
    assert kinds["audiobook"] == round(0.005 * len(plays))
    for row in plays:
        kind = kind_of(row)
        track_fields = [row[k] for k in PLAY_KEYS[5:9]]
        episode_fields = [row[k] for k in PLAY_KEYS[9:12]]
        book_fields = [row[k] for k in PLAY_KEYS[12:16]]
        assert all(v is not None for v in {"music": track_fields, "podcast": episode_fields,
                                            "audiobook": book_fields}[kind])
        assert all(v is None for v in (track_fields if kind != "music" else [])
                   + (episode_fields if kind != "podcast" else [])
                   + (book_fields if kind != "audiobook" else []))
        if kind == "podcast":
            assert EPISODE_URI.match(row["spotify_episode_uri"])
        if kind == "audiobook":  # Spotify only sold audiobooks from late 2022
            assert row["ts"] >= "2022-10"
    shows = {r["episode_show_name"] for r in plays if kind_of(r) == "podcast"}
    assert 3 <= len(shows) <= 8


def test_music_plays_come_from_the_catalog(plays: list[dict], catalog: list[dict]) -> None:
    by_uri = {t["track_uri"]: t for t in catalog}
    tz = berlin()
    for row in plays:
        if row["spotify_track_uri"] is None:
            continue
        track = by_uri[row["spotify_track_uri"]]
        assert (row["master_metadata_track_name"], row["master_metadata_album_artist_name"],
                row["master_metadata_album_album_name"]) == (
            track["track_name"], track["artist_name"], track["album_name"])
        # Nobody plays a song before it is released.
        assert parse_ts(row["ts"]).astimezone(tz).year >= track["release_year"]


# --- catalog ----------------------------------------------------------------------------------

def test_catalog_shape(catalog: list[dict]) -> None:
    assert 600 <= len(catalog) <= 900
    assert all(tuple(t) == CATALOG_KEYS for t in catalog)
    assert len(CATALOG_KEYS) == 7 + 11 and "key" in CATALOG_KEYS and "mode" in CATALOG_KEYS
    uris = [t["track_uri"] for t in catalog]
    assert len(set(uris)) == len(uris) and all(TRACK_URI.match(u) for u in uris)
    artists = {t["artist_name"] for t in catalog}
    assert 35 <= len(artists) <= 45
    assert len({t["genre"] for t in catalog}) == 10
    albums = collections.defaultdict(set)
    for t in catalog:
        albums[t["artist_name"]].add(t["album_name"])
    assert all(2 <= len(a) <= 4 for a in albums.values())
    years = [t["release_year"] for t in catalog]
    assert all(type(y) is int for y in years)
    assert any(1990 <= y < 2000 for y in years)
    assert sum(2000 <= y <= 2025 for y in years) > 0.7 * len(years)
    assert min(years) >= 1985 and max(years) <= 2025


def test_catalog_features_use_spotify_ranges(catalog: list[dict]) -> None:
    for t in catalog:
        assert all(type(t[f]) is float and 0.0 <= t[f] <= 1.0 for f in UNIT_FEATURES)
        assert type(t["key"]) is int and 0 <= t["key"] <= 11
        assert t["mode"] in (0, 1) and type(t["mode"]) is int
        assert -30.0 <= t["loudness"] <= 0.0
        assert 60.0 <= t["tempo"] <= 200.0
        assert type(t["duration_ms"]) is int and 60_000 <= t["duration_ms"] <= 1_600_000


def test_catalog_features_fit_the_genres(catalog: list[dict]) -> None:
    def mean(genre: str, feature: str) -> float:
        values = [t[feature] for t in catalog if t["genre"] == genre]
        return sum(values) / len(values)

    assert mean("ambient", "energy") < 0.3 < 0.7 < mean("techno", "energy")
    assert mean("techno", "danceability") > mean("classical", "danceability") + 0.3
    assert 125 <= mean("techno", "tempo") <= 135
    assert mean("classical", "acousticness") > 0.85
    assert mean("classical", "instrumentalness") > 0.75
    speechiest = max({t["genre"] for t in catalog}, key=lambda g: mean(g, "speechiness"))
    assert speechiest == "hip-hop"
    assert mean("metal", "loudness") > mean("ambient", "loudness") + 10


# --- listening behaviour ------------------------------------------------------------------

def test_sessions_are_separated_by_long_breaks(plays: list[dict]) -> None:
    ends = [parse_ts(r["ts"]) for r in plays]
    starts = [e - dt.timedelta(milliseconds=r["ms_played"]) for e, r in zip(ends, plays)]
    # Gap from the end of one play to the start of the next (ts has whole seconds).
    gaps = [(s - e).total_seconds() for e, s in zip(ends, starts[1:])]
    assert min(gaps) >= -1  # plays never overlap
    breaks = sum(g > 30 * 60 for g in gaps)
    assert len(plays) / 40 < breaks < len(plays) / 4  # sessions of a few to a few dozen plays
    # Inside a session tracks follow within seconds; pauses stay far below the 30-minute mark.
    assert sorted(gaps)[len(gaps) // 2] < 5
    assert not any(11 * 60 < g < 30 * 60 for g in gaps)


def test_habits_by_hour_and_weekday(plays: list[dict]) -> None:
    tz = berlin()
    local = [parse_ts(r["ts"]).astimezone(tz) for r in plays]
    hours = collections.Counter(t.hour for t in local)
    evening = sum(hours[h] for h in range(18, 24))
    small_hours = sum(hours[h] for h in range(2, 6))
    assert evening > 8 * small_hours
    weekday = [t for t in local if t.weekday() < 5]
    weekend = [t for t in local if t.weekday() >= 5]
    share_at_8 = [sum(t.hour == 8 for t in group) / len(group) for group in (weekday, weekend)]
    assert share_at_8[0] > 2 * share_at_8[1]  # the commute


def test_taste_drifts_over_the_years(plays: list[dict], catalog: list[dict]) -> None:
    genre = {t["track_uri"]: t["genre"] for t in catalog}
    by_year: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for row in plays:
        if row["spotify_track_uri"]:
            by_year[row["ts"][:4]][genre[row["spotify_track_uri"]]] += 1
    first, last = by_year["2018"], by_year["2025"]
    assert first.most_common(1)[0][0] != last.most_common(1)[0][0]
    shift = max(abs(first[g] / sum(first.values()) - last[g] / sum(last.values()))
                for g in set(first) | set(last))
    assert shift > 0.1


def test_favourites_replays_and_discoveries(plays: list[dict]) -> None:
    music = [r for r in plays if r["spotify_track_uri"]]
    artists = collections.Counter(r["master_metadata_album_artist_name"] for r in music)
    top5 = sum(count for _, count in artists.most_common(5))
    assert top5 > 0.25 * len(music)
    tracks = collections.Counter(r["spotify_track_uri"] for r in music)
    assert tracks.most_common(1)[0][1] > 40
    first_month: dict[str, str] = {}
    for row in music:
        first_month.setdefault(row["spotify_track_uri"], row["ts"][:7])
    months_with_news = set(first_month.values())
    all_months = {r["ts"][:7] for r in music}
    assert len(months_with_news) > 0.8 * len(all_months)


def test_skips_and_complete_plays(plays: list[dict], catalog: list[dict]) -> None:
    duration = {t["track_uri"]: t["duration_ms"] for t in catalog}
    music = [r for r in plays if r["spotify_track_uri"]]
    done = [r for r in music if r["reason_end"] == "trackdone"]
    fwd = [r for r in music if r["reason_end"] == "fwdbtn"]
    assert 0.5 < len(done) / len(music) < 0.9
    assert 0.05 < len(fwd) / len(music) < 0.3
    assert all(0 <= duration[r["spotify_track_uri"]] - r["ms_played"] < 1500 for r in done)
    assert sorted(r["ms_played"] for r in fwd)[len(fwd) // 2] < 30_000
    assert all(r["skipped"] is True for r in fwd if r["ts"] >= "2020")
    assert all(r["skipped"] is False for r in done if r["ts"] >= "2020")
    assert 0 < sum(r["ms_played"] == 0 for r in plays) < 0.02 * len(plays)


def test_reasons_flags_and_places(plays: list[dict]) -> None:
    starts = {r["reason_start"] for r in plays}
    assert starts <= {"trackdone", "clickrow", "fwdbtn", "backbtn", "playbtn", "appload",
                      "remote", "trackerror"}
    assert {"trackdone", "clickrow", "fwdbtn", "playbtn"} <= starts
    # One play ends the way the next begins (done -> next starts "trackdone").
    pairs = collections.Counter((a["reason_end"], b["reason_start"])
                                for a, b in zip(plays, plays[1:]) if a["reason_end"] == "fwdbtn")
    assert pairs[("fwdbtn", "fwdbtn")] > 0.5 * sum(pairs.values())
    assert {True, False} == {r["shuffle"] for r in plays}
    incognito = sum(r["incognito_mode"] for r in plays) / len(plays)
    assert 0.005 < incognito < 0.08
    countries = collections.Counter(r["conn_country"] for r in plays)
    assert set(countries) == {"DE", "FR", "ES"} and countries["DE"] > 0.85 * len(plays)
    assert len({r["platform"] for r in plays}) >= 8
    assert any(r["platform"] == "android" for r in plays)
    assert any(r["platform"].startswith("web_player") for r in plays)
    assert any(r["platform"].startswith("Partner google cast") for r in plays)


def test_offline_timestamps(plays: list[dict]) -> None:
    offline = [r for r in plays if r["offline"]]
    assert 0 < len(offline) < 0.1 * len(plays)
    for row in offline:  # epoch ms of the play's start
        start_ms = parse_ts(row["ts"]).timestamp() * 1000 - row["ms_played"]
        assert type(row["offline_timestamp"]) is int
        assert abs(row["offline_timestamp"] - start_ms) < 1000
    assert {r["offline_timestamp"] for r in plays if not r["offline"]} == {None, 0}


def test_dense_histories_still_fit_by_skipping_more() -> None:
    rows = generate_plays(30_000, start="2025-01-01", end="2025-03-31")
    assert len(rows) == 30_000
    fwd = sum(r["reason_end"] == "fwdbtn" for r in rows) / len(rows)
    assert fwd > 0.3
    assert all("2024-12-31T22" <= r["ts"] < "2025-04" for r in rows)


def test_berlin_offsets_match_the_time_zone_database() -> None:
    tz = berlin()
    first = dt.date(2017, 1, 1)
    days = [first + dt.timedelta(days=i) for i in range(365 * 10)]
    ours = _berlin_offset_hours(np.array([(d - dt.date(1970, 1, 1)).days for d in days]))
    theirs = [dt.datetime.combine(d, dt.time(12), tz).utcoffset().seconds // 3600 for d in days]
    assert ours.tolist() == theirs


# --- writing an export --------------------------------------------------------------------

AUDIO_NAME = re.compile(r"^Streaming_History_Audio_(\d{4})(?:-(\d{4}))?_(\d+)\.json$")
VIDEO_NAME = re.compile(r"^Streaming_History_Video_(\d{4})(?:-(\d{4}))?\.json$")


def test_write_export_files_and_duplicates(tmp_path: pathlib.Path) -> None:
    n, per_file, share = 5000, 1200, 0.04
    paths = write_export(tmp_path, n, seed=5, rows_per_file=per_file, duplicate_share=share)
    folder = tmp_path / EXPORT_FOLDER
    assert sorted(paths) == sorted(folder.iterdir())
    audio = sorted((p for p in paths if p.name.startswith("Streaming_History_Audio")),
                   key=lambda p: int(AUDIO_NAME.match(p.name).group(3)))
    video = [p for p in paths if VIDEO_NAME.match(p.name)]
    assert len(audio) == math.ceil(n / per_file) and len(video) == 1
    assert len(paths) == len(audio) + 1

    files = [orjson.loads(p.read_bytes()) for p in audio]
    for i, (path, rows) in enumerate(zip(audio, files)):
        first_year, last_year, index = AUDIO_NAME.match(path.name).groups()
        assert int(index) == i
        assert (first_year, last_year or first_year) == (rows[0]["ts"][:4], rows[-1]["ts"][:4])
        assert [r["ts"] for r in rows] == sorted(r["ts"] for r in rows)
        assert all(tuple(r) == PLAY_KEYS for r in rows)
    video_rows = orjson.loads(video[0].read_bytes())
    assert 20 <= len(video_rows) <= 60 and all(tuple(r) == PLAY_KEYS for r in video_rows)

    # Without its duplicates, the export is exactly the generated history.
    everything = [r for rows in files for r in rows]
    assert len(everything) == n + round(n * share)
    unique = list({orjson.dumps(r): r for r in everything}.values())
    assert unique == generate_plays(n, seed=5)

    # Duplicates sit next to their original in one file...
    adjacent = sum(a == b for rows in files for a, b in zip(rows, rows[1:]))
    assert adjacent > 0
    # ...and the last rows of each file open the next one as well.
    crossing = 0
    for before, after in zip(files, files[1:]):
        carried = [r for r in after if r["ts"] <= before[-1]["ts"]]
        assert carried == after[: len(carried)]
        tail = list({r["ts"]: r for r in before}.values())[-len(carried):]
        assert carried == tail
        crossing += len(carried)
    assert crossing == round(n * share) // 2


def test_write_export_replaces_an_older_export(tmp_path: pathlib.Path) -> None:
    write_export(tmp_path, 3000, rows_per_file=500)
    second = write_export(tmp_path, 400, rows_per_file=500)
    assert sorted(second) == sorted((tmp_path / EXPORT_FOLDER).iterdir())
    assert len(second) == 2


def test_make_export_cli_writes_folder_and_zip(tmp_path: pathlib.Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("make_export",
                                                  REPO_ROOT / "bench" / "make_export.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "exp"
    assert module.main([str(out), "--plays", "300", "--seed", "2", "--zip"]) == 0
    printed = capsys.readouterr().out
    assert "plays: 300" in printed and "files: 2" in printed
    with zipfile.ZipFile(tmp_path / "exp.zip") as zf:
        names = zf.namelist()
        assert all(name.startswith(EXPORT_FOLDER + "/") for name in names)
        members = sorted(name for name in names if name.endswith(".json"))
        assert members == sorted(f"{EXPORT_FOLDER}/{p.name}"
                                 for p in (out / EXPORT_FOLDER).iterdir())
