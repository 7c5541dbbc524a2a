"""Chat evaluation: prompts and refinement sequences with checkable outcomes, and chat speed.

    python bench/chat_eval.py                       # the demo listener
    python bench/chat_eval.py --export PATH --catalog CSV   # a real export + a catalog

Each case is a sequence of messages and a check on the resulting versions, e.g. "no
<artist>" -> no track by that artist; "more upbeat" -> mean energy and valence of the
tracks with features up by >= 0.1; "only 90s" -> every known release year in 1990-1999;
"20 minutes" -> within 3 minutes; "more like <track>" -> the added tracks are nearer to it
(in audio features) than the tracks they replaced. Artists, genres and tracks named in the
prompts are taken from the data, so the same cases run on any store.

Speed: median time of a first prompt -> 25-track playlist and of a refinement, excluding
any model call (the local interpreter is part of the time), against a named baseline:
rebuilding the candidate pool from the store on every turn (what a stateless server would
do without Encore's cached pool).

The pass rate is that of the local interpreter; with GEMINI_API_KEY and
ENCORE_CHAT_EVAL_GEMINI=1 set, the same cases run through Gemini instead (its times then
include the model call).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sqlite_utils import Database

from core.chat.pool import _norm

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core import catalog, chat, history, ingest, store  # noqa: E402

Check = Callable[[pd.DataFrame, list[chat.Version]], tuple[bool, str]]


@dataclass
class Case:
    name: str
    messages: list[str]
    check: Check


def mean(pool: pd.DataFrame, version: chat.Version, feature: str) -> float:
    return chat.mean_feature(pool, version.track_keys, feature)


def rises(feature: str, by: float = 0.1, sign: int = 1) -> Check:
    def check(pool, versions):
        before, after = mean(pool, versions[-2], feature), mean(pool, versions[-1], feature)
        return sign * (after - before) >= by, f"{feature} {before:.2f} -> {after:.2f}"
    return check


def both(*checks: Check) -> Check:
    def check(pool, versions):
        results = [c(pool, versions) for c in checks]
        return all(ok for ok, _ in results), "; ".join(why for _, why in results)
    return check


def no_artist(name: str) -> Check:
    def check(pool, versions):
        folded = _norm(name)
        hits = [k for k in versions[-1].track_keys if folded in pool.at[k, "artist_norm"].split(", ")]
        return not hits and len(versions[-1].track_keys) > 0, f"{len(hits)} tracks by {name}"
    return check


def no_genre(genre: str) -> Check:
    def check(pool, versions):
        hits = [k for k in versions[-1].track_keys if genre in pool.at[k, "genre_norm"]]
        return not hits, f"{len(hits)} tracks of {genre}"
    return check


def only_genre(genre: str) -> Check:
    def check(pool, versions):
        genres = [pool.at[k, "genre_norm"] for k in versions[-1].track_keys]
        bad = [g for g in genres if genre not in g]
        return bool(genres) and not bad, f"{len(bad)} of {len(genres)} outside {genre}"
    return check


def mostly_genre(genre: str, share: float = 0.6) -> Check:
    def check(pool, versions):
        genres = [pool.at[k, "genre_norm"] for k in versions[-1].track_keys]
        got = sum(genre in g for g in genres) / max(len(genres), 1)
        return got >= share, f"{got:.0%} {genre}"
    return check


def era(start: int, end: int) -> Check:
    def check(pool, versions):
        years = pool.loc[list(versions[-1].track_keys), "release_year"].dropna()
        bad = years[(years < start) | (years > end)]
        return len(years) > 0 and bad.empty, f"{len(bad)} of {len(years)} dated tracks outside {start}-{end}"
    return check


def not_era(start: int, end: int) -> Check:
    def check(pool, versions):
        years = pool.loc[list(versions[-1].track_keys), "release_year"].dropna()
        bad = years[(years >= start) & (years <= end)]
        return bad.empty, f"{len(bad)} dated tracks inside {start}-{end}"
    return check


def minutes(target: float) -> Check:
    def check(pool, versions):
        got = chat.total_minutes(pool, versions[-1])
        return abs(got - target) <= 3, f"{got:.1f} min"
    return check


def count(n: int) -> Check:
    def check(pool, versions):
        return len(versions[-1].track_keys) == n, f"{len(versions[-1].track_keys)} tracks"
    return check


def grows(sign: int) -> Check:
    def check(pool, versions):
        a, b = len(versions[-2].track_keys), len(versions[-1].track_keys)
        return sign * (b - a) > 0, f"{a} -> {b} tracks"
    return check


def added(n: int) -> Check:
    def check(pool, versions):
        a, b = versions[-2].track_keys, versions[-1].track_keys
        return b[:len(a)] == a and len(b) == len(a) + n, f"{len(a)} -> {len(b)} tracks"
    return check


def named(name: str) -> Check:
    def check(pool, versions):
        same = versions[-1].track_keys == versions[-2].track_keys
        return versions[-1].name == name and same, f"name {versions[-1].name!r}, tracks kept: {same}"
    return check


def known_share(sign: int) -> Check:
    def check(pool, versions):
        def share(v):
            return float(pool.loc[list(v.track_keys), "known"].mean())
        a, b = share(versions[-2]), share(versions[-1])
        ok = sign * (b - a) > 0 or (sign > 0 and a == b == 1.0) or (sign < 0 and a == b == 0.0)
        return ok, f"known {a:.0%} -> {b:.0%}"
    return check


def energy_builds(pool, versions):
    energies = pool.loc[list(versions[-1].track_keys), "energy"].dropna().tolist()
    return energies == sorted(energies) and len(energies) > 1, f"{len(energies)} energies in order"


def no_remix(pool, versions):
    hits = int(pool.loc[list(versions[-1].track_keys), "is_remix"].sum())
    return hits == 0, f"{hits} remixes"


def calm_versus_pool(pool, versions):
    got, overall = mean(pool, versions[-1], "energy"), float(pool["energy"].mean())
    return got <= overall - 0.1, f"energy {got:.2f} vs pool {overall:.2f}"


def upbeat_versus_pool(pool, versions):
    got, overall = mean(pool, versions[-1], "energy"), float(pool["energy"].mean())
    return got >= overall + 0.1, f"energy {got:.2f} vs pool {overall:.2f}"


def artists_present(*names: str) -> Check:
    def check(pool, versions):
        artists = {a for k in versions[-1].track_keys for a in pool.at[k, "artist_norm"].split(", ")}
        missing = [n for n in names if _norm(n) not in artists]
        return not missing, f"missing {missing}" if missing else "both present"
    return check


def nearer_to(track_key: str) -> Check:
    def check(pool, versions):
        before, after = versions[-2].track_keys, versions[-1].track_keys
        new, gone = [k for k in after if k not in before], [k for k in before if k not in after]
        target = pool.loc[track_key, list(chat.FEATURES)].to_numpy(dtype=float)

        def distance(keys):
            values = pool.loc[keys, list(chat.FEATURES)].to_numpy(dtype=float)
            gaps = np.abs(values - target)
            return float(np.nanmean(gaps)) if np.isfinite(gaps).any() else float("nan")
        if not new:
            return False, "nothing changed"
        d_new, d_gone = distance(new), distance(gone) if gone else float("inf")
        return d_new < d_gone, f"distance of added {d_new:.3f} vs replaced {d_gone:.3f}"
    return check


def undone(pool, versions):
    return versions[-1].track_keys == versions[-3].track_keys, "back to the version before"


def build_cases(pool: pd.DataFrame) -> list[Case]:
    """Cases whose names come from the data: the most played artists and genres, the top track."""
    featured = pool[pool["has_features"]]
    genres = featured["genre_norm"][featured["genre_norm"] != ""].value_counts()
    g1, g2 = genres.index[0], genres.index[1 if len(genres) > 1 else 0]
    artists = featured.groupby("artist_name")["plays"].sum().sort_values(ascending=False)
    artists = [a for a in artists.index if isinstance(a, str) and "," not in a][:6]
    a1, a2, a3 = artists[0], artists[1], artists[2]
    seed = featured.sort_values("plays", ascending=False).iloc[0]
    decade = int(featured["release_year"].dropna().median()) // 10 * 10
    era_word = f"{decade % 100:02d}s" if decade < 2000 else f"{decade}s"
    base = f"{g1}"
    cases = [
        Case("genre prompt is mostly that genre", [g1], mostly_genre(g1)),
        Case("second genre prompt", [g2], mostly_genre(g2)),
        Case("calm prompt", ["long day, I'm wiped out"], calm_versus_pool),
        Case("rainy prompt", ["rainy-afternoon music"], calm_versus_pool),
        Case("party prompt", ["upbeat music for a party"], upbeat_versus_pool),
        Case("workout prompt", ["workout mix"], upbeat_versus_pool),
        Case("artists meet", [f"like {a1} meets {a2}"], artists_present(a1, a2)),
        Case("artists mix, no remixes", [f"a mix between {a1} and {a3}, no remixes"],
             both(artists_present(a1, a3), no_remix)),
        Case("count in prompt", [f"15 songs of {g1}"], count(15)),
        Case("minutes in prompt", [f"30 minutes of {g1}"], minutes(30)),
        Case("more upbeat", [base, "more upbeat"], both(rises("energy"), rises("valence"))),
        Case("make it more upbeat", [g2, "make it more upbeat"], both(rises("energy"), rises("valence"))),
        Case("calmer", ["upbeat party music", "calmer"], rises("energy", sign=-1)),
        Case("less energy", ["workout mix", "less energy"], rises("energy", sign=-1)),
        Case("happier", ["sad songs", "happier"], rises("valence")),
        Case("sadder", ["happy songs", "sadder"], rises("valence", sign=-1)),
        Case("more acoustic", ["electronic dance music", "more acoustic"], rises("acousticness")),
        Case("more danceable", ["calm music", "more danceable"], rises("danceability")),
        Case("faster", ["slow songs", "faster"], rises("tempo", by=0.05)),
        Case("no artist (top)", ["my favourites", f"no {a1}"], no_artist(a1)),
        Case("remove tracks by artist", ["my favourites", f"remove tracks by {a2}"], no_artist(a2)),
        Case("without artist", [g1, f"without {a3}"], no_artist(a3)),
        Case("no genre", ["my favourites", f"no {g1}"], no_genre(g1)),
        Case("only genre", ["my favourites", f"only {g2}"], only_genre(g2)),
        Case("only an era", ["my favourites", f"only {era_word}"], era(decade, decade + 9)),
        Case("no era", ["my favourites", f"no {era_word}"], not_era(decade, decade + 9)),
        Case("era prompt", [f"{era_word} music"], era(decade, decade + 9)),
        Case("before a year", ["my favourites", f"only music from before {decade}"], era(1900, decade - 1)),
        Case("20 minutes", [base, "20 minutes"], minutes(20)),
        Case("an hour", [base, "make it an hour long"], minutes(60)),
        Case("30 tracks", [base, "30 tracks"], count(30)),
        Case("shorter", [base, "shorter"], grows(-1)),
        Case("longer", [base, "longer"], grows(1)),
        Case("add tracks like an artist", [g2, f"add 5 tracks like {a1}"], added(5)),
        Case("more like a track", [g2, f'more like "{seed["track_name"]}"'], nearer_to(seed.name)),
        Case("more familiar", ["something new", "more familiar"], known_share(1)),
        Case("more new music", ["my favourites", "more new music"], known_share(-1)),
        Case("build up energy", [base, "build up energy"], energy_builds),
        Case("rename", [base, "call it Sunday Morning"], named("Sunday Morning")),
        Case("undo", [base, "more upbeat", "undo"], undone),
        Case("three refinements", [g1, "more upbeat", f"no {a1}", "20 minutes"],
             both(no_artist(a1), minutes(20))),
        Case("no remixes", [base, "no remixes"], no_remix),
        Case("three directions, the second one", [g1, "give me three directions", "the second one"],
             lambda pool, versions: (versions[-1].track_keys != versions[-2].track_keys,
                                     "the picked direction differs from the playlist before")),
        Case("90s-style add", [base, f"add some {era_word} {g2}"],
             lambda pool, versions: (any(pool.at[k, "genre_norm"] == g2 for k in versions[-1].track_keys)
                                     and versions[-1].track_keys != versions[-2].track_keys, "genre mixed in")),
    ]
    return cases


def run_case(pool: pd.DataFrame, vocabulary: chat.Vocabulary, case: Case) -> tuple[bool, str, list[float]]:
    conversation = chat.Conversation()
    versions: list[chat.Version] = []
    times = []
    for message in case.messages:
        start = time.perf_counter()
        reply = chat.take_turn(pool, vocabulary, conversation, message)
        times.append(time.perf_counter() - start)
        if not reply.changed:
            return False, f"not understood: {message!r}", times
        versions.append(conversation.version)
    ok, why = case.check(pool, versions)
    return ok, why, times


def load_store(args: argparse.Namespace) -> tuple[Database, str, str]:
    folder = Path(tempfile.mkdtemp(prefix="encore-chat-"))
    db_path = folder / "chat.db"
    db = store.open_store(db_path)
    if args.export:
        ingest.import_files(db, paths=[args.export], profile="me")
        if args.catalog:
            catalog.import_catalog(db, args.catalog)
        return db, "me", str(db_path)
    ingest.build_demo(db)
    return db, ingest.DEMO_PROFILE, str(db_path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--export", help="a real export (zip or folder); default: the demo listener")
    parser.add_argument("--catalog", help="a catalog CSV to match the export against")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    if not os.environ.get("ENCORE_CHAT_EVAL_GEMINI"):  # Gemini only when asked: it costs calls and needs a key
        os.environ.pop("GEMINI_API_KEY", None)
    db, profile, _ = load_store(args)
    plays = history.load_plays(db, profile)
    start = time.perf_counter()
    pool = chat.load_pool(db, profile, plays)
    pool_s = time.perf_counter() - start
    vocabulary = chat.Vocabulary.from_pool(pool)
    print(f"store: {args.export or 'demo'}; plays {len(plays):,}; pool {len(pool):,} tracks "
          f"({int(pool['has_features'].sum()):,} with features); building the pool: {pool_s:.2f} s")
    cases = build_cases(pool)
    engine = "Gemini" if os.environ.get("GEMINI_API_KEY") else "local interpreter"
    passed, first, later = 0, [], []
    for case in cases:
        ok, why, times = run_case(pool, vocabulary, case)
        passed += ok
        first.append(times[0])
        later.extend(times[1:])
        if args.verbose or not ok:
            print(f"  {'PASS' if ok else 'FAIL'}  {case.name}: {' / '.join(case.messages)}  -> {why}")
    print(f"{engine}: {passed}/{len(cases)} cases pass ({passed / len(cases):.0%})")
    # baseline: a stateless turn rebuilds the candidate pool from the store every time
    baseline = []
    for message in ("rainy-afternoon indie folk", "upbeat music for a party", "my favourites"):
        start = time.perf_counter()
        fresh = chat.load_pool(db, profile)
        chat.take_turn(fresh, chat.Vocabulary.from_pool(fresh), chat.Conversation(), message)
        baseline.append(time.perf_counter() - start)
    med_first, med_later = statistics.median(first), statistics.median(later)
    print(f"prompt -> playlist: median {med_first * 1000:.0f} ms (max {max(first) * 1000:.0f} ms); "
          f"refinement: median {med_later * 1000:.0f} ms (max {max(later) * 1000:.0f} ms)")
    print(f"baseline (rebuild the pool from the store each turn): median {statistics.median(baseline) * 1000:.0f} ms "
          f"per prompt = {statistics.median(baseline) / med_first:.1f}x the cached pool")


if __name__ == "__main__":
    main()
