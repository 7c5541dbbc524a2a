"""Matching speed: a person's tracks against a large catalog, by id then by name, against a naive lookup.

    python bench/match_bench.py                       # 1.2M-row catalog, 60k plays
    python bench/match_bench.py --catalog 200000 --plays 20000 --repeat 1

Data (synthetic, deterministic from --seed): a catalog of ``--catalog`` rows (~1 artist per
8 rows, Zipf-popular; accents, "The", "&" and listed artists "A, B" in a few; titles of 1-5
words from a 6,000-word vocabulary with the suffixes real catalogs carry: " - Remastered
2011", " - 2009 Remaster", " (feat. X)", " (with X)", " - Radio Edit", " - Live", " - X Remix",
...) and a history of ``--plays`` plays over ~10k distinct tracks: ~30% carry an id that is
in the catalog, ~25% carry an id that is not but name a catalog track in other words
(another remaster year, featured artist dropped, case and accents changed), ~15% have no id
but such a name (account exports), ~30% are not in the catalog at all.

Contenders, each timed ``--repeat`` times (median shown), name caches cleared before each:

- encore, full: ``catalog_keys(catalog)`` (every catalog name normalised) + ``match_tracks``;
- encore, no stored keys: ``match_tracks(history, catalog)`` (normalises every catalog
  artist, then only the titles of artists the history names);
- encore, stored keys: ``match_tracks(history, catalog, keys)`` with keys computed before;
- naive: catalog names normalised row by row (``DataFrame.apply`` of ``name_key``), then
  for each history track a boolean filter of the catalog by id, else by name key. Both
  stages run on samples (stated in the output) and are extrapolated linearly.

Target (issue 4): ~10k distinct tracks against 1.2M catalog rows in <= 5 s, catalog name
normalisation included.
"""
from __future__ import annotations

import argparse
import statistics
import string
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from core.names import _NEEDS_PEEL_ASCII, _judge_piece

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from core import names  # noqa: E402

TARGET_S = 5.0
_ID_CHARS = np.array(list(string.ascii_letters + string.digits))
_SYLLABLES = ["ka", "lo", "mi", "ra", "ne", "so", "ta", "vi", "de", "lu", "ber", "mon", "gar", "shi", "tor",
              "an", "el", "is", "or", "um", "bri", "cha", "dra", "fle", "glo", "jo", "kri", "pha", "que", "zen"]
_ACCENTED = {"e": "é", "a": "á", "o": "ø", "u": "ü", "i": "í", "n": "ñ"}


def _track_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    chars = _ID_CHARS[rng.integers(0, len(_ID_CHARS), size=(n, 22))]
    return chars.view("<U22").ravel().astype(object)


def _words(rng: np.random.Generator, n: int, lo: int, hi: int) -> list[str]:
    parts = rng.integers(0, len(_SYLLABLES), size=(n, hi))
    lengths = rng.integers(lo, hi + 1, size=n)
    return ["".join(_SYLLABLES[p] for p in row[:k]) for row, k in zip(parts, lengths)]


def _artists(rng: np.random.Generator, n: int) -> list[str]:
    first, second = _words(rng, n, 2, 3), _words(rng, n, 1, 3)
    out = []
    for i, (a, b) in enumerate(zip(first, second)):
        roll = i % 20
        name = f"{a.title()} {b.title()}" if roll < 12 else a.title()
        if roll == 12:
            name = f"The {name}s"
        elif roll == 13:
            name = f"{a.title()} & {b.title()}"
        elif roll == 14:
            name = "".join(_ACCENTED.get(c, c) if j % 4 == 1 else c for j, c in enumerate(name))
        elif roll == 15:
            name = f"DJ {name.upper()}"
        out.append(name)
    return out


SUFFIXES = [  # (share, template): {y} a year, {x} an artist
    (0.10, " (feat. {x})"), (0.06, " - Remastered {y}"), (0.04, " - {y} Remaster"), (0.03, " (with {x})"),
    (0.03, " - Radio Edit"), (0.03, " - {x} Remix"), (0.02, " - Live"), (0.01, " - Live at {x} Arena"),
    (0.01, " (Acoustic)"), (0.01, " - Single Version"), (0.01, " [feat. {x}]"), (0.01, " (Instrumental)"),
    (0.01, " - Mono"), (0.01, " (feat. {x}) - {x} Remix"),
]


def make_catalog(rng: np.random.Generator, rows: int) -> pd.DataFrame:
    artists = _artists(rng, max(rows // 8, 1))
    popularity = 1.0 / np.arange(1, len(artists) + 1) ** 0.7
    artist_of = rng.choice(len(artists), size=rows, p=popularity / popularity.sum())
    vocab = [w.title() for w in _words(rng, 6000, 1, 3)]
    lengths = rng.integers(1, 6, size=rows)
    picks = rng.integers(0, len(vocab), size=(rows, 5))
    titles = [" ".join(vocab[p] for p in row[:k]) for row, k in zip(picks, lengths)]
    shares = np.cumsum([s for s, _ in SUFFIXES])
    rolls = rng.random(rows)
    which = np.searchsorted(shares, rolls)
    years = rng.integers(1995, 2024, size=rows)
    guests = rng.integers(0, len(artists), size=rows)
    for i in np.flatnonzero(which < len(SUFFIXES)):
        titles[i] += SUFFIXES[which[i]][1].format(y=years[i], x=artists[guests[i]])
    artist_field = [artists[a] for a in artist_of]
    for i in np.flatnonzero(rng.random(rows) < 0.08):  # several listed artists
        artist_field[i] = f"{artist_field[i]}, {artists[guests[i]]}"
    return pd.DataFrame({"track_id": _track_ids(rng, rows), "artist_name": artist_field, "track_name": titles})


def _renamed(rng: np.random.Generator, title: str) -> str:
    """The same song as another release names it."""
    base = title.split(" (feat.")[0].split(" - Remaster")[0].split(" - 19")[0].split(" - 20")[0]
    roll = rng.integers(0, 4)
    if roll == 0:
        return f"{base} - Remastered {rng.integers(2000, 2024)}"
    if roll == 1:
        return base.upper()
    if roll == 2:
        return base.replace("a", "á", 1)
    return f"{base} (feat. Somebody)" if "Remix" not in base and "Live" not in base else base


def make_history(rng: np.random.Generator, catalog: pd.DataFrame, plays: int, tracks: int) -> pd.DataFrame:
    kinds = rng.choice(4, size=tracks, p=[0.30, 0.25, 0.15, 0.30])
    rows = rng.choice(len(catalog), size=tracks, replace=False)
    fresh_ids = _track_ids(rng, tracks)
    strangers = _artists(rng, tracks)
    records = []
    for i, (kind, row) in enumerate(zip(kinds, rows)):
        cid, artist, title = catalog.iloc[row][["track_id", "artist_name", "track_name"]]
        artist = artist.split(", ")[0]
        if kind == 0:
            records.append((cid, cid, artist, title))
        elif kind == 1:
            records.append((fresh_ids[i], fresh_ids[i], artist, _renamed(rng, title)))
        elif kind == 2:
            t = _renamed(rng, title)
            records.append((f"{artist} — {t}", None, artist, t))
        else:
            records.append((fresh_ids[i], fresh_ids[i], strangers[i], f"Unreleased {i}"))
    distinct = pd.DataFrame(records, columns=["track_key", "track_id", "artist_name", "track_name"])
    weights = 1.0 / np.arange(1, tracks + 1) ** 0.9
    picks = rng.choice(tracks, size=plays, p=weights / weights.sum())
    picks[:tracks] = np.arange(tracks)  # every track played at least once
    return distinct.iloc[picks].reset_index(drop=True)


def _clear_caches() -> None:
    _judge_piece.cache_clear()


def _timed(fn, repeat: int) -> tuple[float, list[float], object]:
    times, result = [], None
    for _ in range(repeat):
        _clear_caches()
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times, result


def naive_match(history_tracks: pd.DataFrame, catalog: pd.DataFrame, catalog_name_keys: np.ndarray) -> list:
    """Per track: filter the catalog by id, else by name key (the first row found)."""
    out = []
    for track in history_tracks.itertuples(index=False):
        hit = catalog[catalog["track_id"] == track.track_id] if track.track_id is not None else catalog.iloc[:0]
        if len(hit):
            out.append((track.track_key, hit["track_id"].iloc[0], "id"))
            continue
        key = names.name_key(track.artist_name, track.track_name)
        hit = catalog[catalog_name_keys == key] if key is not None else catalog.iloc[:0]
        if len(hit):
            out.append((track.track_key, hit["track_id"].min(), "name"))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--catalog", type=int, default=1_200_000)
    parser.add_argument("--plays", type=int, default=60_000)
    parser.add_argument("--tracks", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--naive-tracks", type=int, default=100,
                        help="history tracks in the naive lookup sample")
    parser.add_argument("--naive-rows", type=int, default=100_000,
                        help="catalog rows in the naive normalisation sample")
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    start = time.perf_counter()
    catalog = make_catalog(rng, args.catalog)
    history = make_history(rng, catalog, args.plays, args.tracks)
    print(f"data: catalog {len(catalog):,} rows ({catalog['artist_name'].nunique():,} artist fields, "
          f"{catalog['track_name'].nunique():,} distinct titles); history {len(history):,} plays, "
          f"{history['track_key'].nunique():,} distinct tracks (built in {time.perf_counter() - start:.1f} s)")
    titles = catalog["track_name"].drop_duplicates()
    suffixed = titles.str.contains(_NEEDS_PEEL_ASCII, regex=True).mean()
    listed = catalog["artist_name"].str.contains(", ", regex=False).mean()
    print(f"distinct catalog titles with a bracket, ' - ' or 'feat.' to judge: {suffixed:.1%} "
          f"(TidyTuesday 2020: 28.6% of distinct titles); artist fields listing several: {listed:.1%}")

    full_s, full_runs, result = _timed(
        lambda: catalog.match_tracks(history, catalog, keys=names.catalog_keys(catalog)), args.repeat)
    keys_s, keys_runs, keys = _timed(lambda: names.catalog_keys(catalog), args.repeat)
    plain_s, plain_runs, plain = _timed(lambda: catalog.match_tracks(history, catalog), args.repeat)
    stored_s, stored_runs, stored = _timed(lambda: catalog.match_tracks(history, catalog, keys=keys), args.repeat)
    assert result.equals(plain) and result.equals(stored), "the three Encore paths disagree"
    counts = result["method"].value_counts()
    tracks = history["track_key"].nunique()
    print(f"matched: {counts.get('id', 0):,} by id, {counts.get('name', 0):,} by name, "
          f"{tracks - len(result):,} not matched, of {tracks:,} tracks")

    # naive: normalise a sample of catalog rows row by row, and look up a sample of tracks
    sample_rows = catalog.iloc[: args.naive_rows]
    _clear_caches()
    t0 = time.perf_counter()
    sample_rows.apply(lambda r: names.name_key(r["artist_name"], r["track_name"]), axis=1)
    naive_norm_s = (time.perf_counter() - t0) * len(catalog) / len(sample_rows)
    full_keys = keys.to_numpy(dtype=object, na_value=None)  # the naive lookup compares every row's key
    sample_tracks = (history.drop_duplicates("track_key")
                     .sample(min(args.naive_tracks, tracks), random_state=args.seed).reset_index(drop=True))
    t0 = time.perf_counter()
    naive_rows = naive_match(sample_tracks, catalog, full_keys)
    naive_lookup_s = (time.perf_counter() - t0) * tracks / len(sample_tracks)
    naive_s = naive_norm_s + naive_lookup_s
    ours = result.set_index("track_key")
    agree = sum(1 for key, cid, method in naive_rows
                if key in ours.index and ours.loc[key, "catalog_track_id"] == cid and ours.loc[key, "method"] == method)
    matched_in_sample = int(sample_tracks["track_key"].isin(ours.index).sum())
    # the naive lookup compares whole-field keys only; Encore also matches a listed field's leading artists
    naive_found = {key for key, _, _ in naive_rows}
    only_ours = [k for k in sample_tracks["track_key"] if k in ours.index and k not in naive_found]
    by_id = catalog.set_index("track_id")["artist_name"]
    only_ours_listed = sum(1 for k in only_ours if ", " in by_id.loc[ours.loc[k, "catalog_track_id"]])

    def fmt(runs: list[float]) -> str:
        return ", ".join(f"{r:.2f}" for r in runs)

    print()
    print("| contender | median s | runs |")
    print("|---|---|---|")
    print(f"| **encore: catalog_keys + match_tracks** (all {len(catalog):,} catalog names normalised) "
          f"| **{full_s:.2f}** | {fmt(full_runs)} |")
    print(f"| encore: catalog_keys alone (the part a catalog import would store) | {keys_s:.2f} "
          f"| {fmt(keys_runs)} |")
    print(f"| encore: match_tracks, no stored keys (all artists, only their titles) | {plain_s:.2f} "
          f"| {fmt(plain_runs)} |")
    print(f"| encore: match_tracks with stored keys | {stored_s:.2f} | {fmt(stored_runs)} |")
    print(f"| naive: row-wise name_key over the catalog (extrapolated from {len(sample_rows):,} rows) "
          f"| {naive_norm_s:.1f} | 1 |")
    print(f"| naive: per-track filter by id, then by name (extrapolated from {len(sample_tracks)} of "
          f"{tracks:,} tracks) | {naive_lookup_s:.1f} | 1 |")
    print(f"| naive total | {naive_s:.1f} | |")
    print()
    print(f"naive sample: {len(naive_rows)} of {len(sample_tracks)} tracks found, Encore found "
          f"{matched_in_sample}; same catalog track and method for {agree}; Encore's extra "
          f"{len(only_ours)}: {only_ours_listed} through the leading artist of a field listing several")
    print(f"speed-up over naive: {naive_s / full_s:.0f}x (full), {naive_lookup_s / stored_s:.0f}x "
          f"(stored keys against naive lookups alone)")
    verdict = "met" if full_s <= TARGET_S else "NOT met"
    print(f"target <= {TARGET_S:.0f} s for {tracks:,} tracks against {len(catalog):,} catalog rows, "
          f"catalog normalisation included: {full_s:.2f} s -> {verdict}")


if __name__ == "__main__":
    main()
