"""Chat evaluation: requests written the way people type them, each with a check a listener
would agree with, on real exports; and chat speed.

    python bench/chat_eval.py                                   # the demo listener
    python bench/chat_eval.py --export PATH --catalog CSV       # a real export + a catalog
    python bench/chat_eval.py --real ../shared/data             # every real export with ids + TidyTuesday

About 90 cases: moods, activities and feelings ("long day, I'm wiped out", "music for a
morning run"), the listener's own music ("songs I love", "my top songs from <year>", "stuff
I used to play a lot", "music I've never heard", "nothing I've overplayed"), several parts
in one request ("chill <year> songs for studying, nothing I've overplayed"), refinements
that edit ("calmer" keeps at least 30 % and the title follows), "add 3 like <artist>", "more
like the second one", typos, mixed case, other languages, and bad input (empty, 5,000
characters, only emoji, an unknown artist, undo at version 1, "the fifth one" of three).
Artists, genres, years and songs named in the requests come from the store, so the same
cases run on any listener. Every final playlist is also checked for a song twice.

Checks on the listener's own music use what they streamed: a request about their music
passes when at least 80 % of its tracks are songs they streamed 3 times or more (issue
target). Mood checks compare the playlist's sound (catalog values, else the estimates
``core.catalog.estimate`` makes) with the songs it was chosen from.

Speed: median time of a first prompt and of a refinement (excluding any model call), the
baseline being a stateless turn that rebuilds the pool from the store; and the time to
reopen a stored conversation.

The pass rate is that of the local interpreter; with GEMINI_API_KEY and
ENCORE_CHAT_EVAL_GEMINI=1 set, the same cases run through Gemini instead.
"""
from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sqlite_utils import Database

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core import catalog, chat, history, ingest, store  # noqa: E402
from core.chat.pool import _norm  # noqa: E402

Check = Callable[[pd.DataFrame, list, list], tuple[bool, str]]  # (pool, versions, replies)
REAL_EXPORTS = ("extended-2024-a", "extended-2026-b.zip", "extended-endsong-c.zip")
TIDYTUESDAY = "catalogs/tidytuesday-2020-spotify_songs.csv"


@dataclass
class Case:
    name: str
    messages: list[str]
    check: Check
    changes: list[bool] = field(default_factory=list)  # per message: should the playlist change (default: yes)


# --- reading a playlist -------------------------------------------------------------------------


def keys(versions) -> tuple[str, ...]:
    return versions[-1].track_keys if versions and versions[-1] is not None else ()


def sound(pool: pd.DataFrame, track_keys, feature: str) -> float:
    """Mean sound (real, else estimated) of a feature over the tracks that have one."""
    if not track_keys:
        return math.nan
    value = pool.loc[list(track_keys), f"sound_{feature}"].mean()
    return math.nan if pd.isna(value) else float(value)


def both(*checks: Check) -> Check:
    def check(pool, versions, replies):
        results = [c(pool, versions, replies) for c in checks]
        return all(ok for ok, _ in results), "; ".join(why for _, why in results)
    return check


# --- checks -------------------------------------------------------------------------------------


def own_music(share: float = 0.8, streams: int = 3) -> Check:
    def check(pool, versions, replies):
        ks = keys(versions)
        got = float((pool.loc[list(ks), "plays"] >= streams).mean()) if ks else 0.0
        return got >= share and len(ks) >= 10, f"{got:.0%} of {len(ks)} streamed >= {streams} times"
    return check


def loved(pool, versions, replies):
    """Songs the listener loves: the playlist's median love (0..1 percentile) is high."""
    ks = keys(versions)
    got = float(pool.loc[list(ks), "love"].median()) if ks else 0.0
    return got >= 0.6 and len(ks) >= 10, f"median love {got:.2f}"


def played_in(year: int, at_least: int = 2) -> Check:
    def check(pool, versions, replies):
        ks = keys(versions)
        column = f"streams_{year}"
        got = pool.loc[list(ks), column] if column in pool.columns else pd.Series(0, index=list(ks))
        bad = int((got < at_least).sum())
        return len(ks) >= 5 and bad == 0, f"{bad} of {len(ks)} streamed under {at_least} times in {year}"
    return check


def not_overplayed(pool, versions, replies):
    ks = keys(versions)
    hits = int(pool.loc[list(ks), "overplayed"].sum())
    return len(ks) >= 10 and hits == 0, f"{hits} overplayed of {len(ks)}"


def quiet_for(days: int) -> Check:
    def check(pool, versions, replies):
        ks = keys(versions)
        last = pool.loc[list(ks), "last_days"]
        bad = int((last.fillna(0) < days).sum())
        return len(ks) >= 5 and bad == 0, f"{bad} of {len(ks)} played in the last {days} days"
    return check


def never_heard(pool, versions, replies):
    ks = keys(versions)
    heard = int((pool.loc[list(ks), "plays"] > 0).sum())
    return len(ks) >= 10 and heard == 0, f"{heard} of {len(ks)} already streamed"


def mood_vs(feature: str, sign: int, by: float = 0.05, within: Callable | None = None) -> Check:
    """The playlist's sound of ``feature`` is ``by`` above (sign 1) or below the songs it was
    chosen from (``within(pool)``: a mask; the whole pool by default)."""
    def check(pool, versions, replies):
        base_rows = pool[within(pool)] if within else pool
        base = float(base_rows[f"sound_{feature}"].mean())
        got = sound(pool, keys(versions), feature)
        return sign * (got - base) >= by, f"{feature} {got:.2f} vs {base:.2f}"
    return check


def mine_rows(pool):
    return (pool["plays"] >= history.LOVED_MIN).to_numpy()


def rises(feature: str, by: float = 0.1, sign: int = 1) -> Check:
    def check(pool, versions, replies):
        before, after = sound(pool, versions[-2].track_keys, feature), sound(pool, versions[-1].track_keys, feature)
        return sign * (after - before) >= by, f"{feature} {before:.2f} -> {after:.2f}"
    return check


def keeps(share: float = 0.3) -> Check:
    def check(pool, versions, replies):
        a, b = versions[-2].track_keys, versions[-1].track_keys
        kept = len(set(a) & set(b)) / max(len(a), 1)
        return kept >= share, f"kept {kept:.0%}"
    return check


def says(*words: str) -> Check:
    def check(pool, versions, replies):
        text = replies[-1].lower()
        missing = [w for w in words if w.lower() not in text]
        return not missing, f"reply {'lacks ' + str(missing) if missing else 'says it'}: {replies[-1][:90]!r}"
    return check


def title_not(word: str) -> Check:
    def check(pool, versions, replies):
        name = versions[-1].name
        return word.lower() not in name.lower(), f"title {name!r}"
    return check


def no_artist(name: str) -> Check:
    def check(pool, versions, replies):
        folded = _norm(name)
        hits = [k for k in keys(versions) if folded in pool.at[k, "artist_norm"].split(", ")]
        return not hits and len(keys(versions)) > 0, f"{len(hits)} tracks by {name}"
    return check


def has_artist(name: str, at_least: int = 1) -> Check:
    def check(pool, versions, replies):
        folded = _norm(name)
        hits = [k for k in keys(versions) if folded in pool.at[k, "artist_norm"].split(", ")]
        return len(hits) >= at_least, f"{len(hits)} tracks by {name}"
    return check


def no_genre(genre: str) -> Check:
    def check(pool, versions, replies):
        hits = [k for k in keys(versions) if genre in pool.at[k, "genre_norm"]]
        return not hits, f"{len(hits)} tracks of {genre}"
    return check


def only_genre(genre: str) -> Check:
    def check(pool, versions, replies):
        genres = [pool.at[k, "genre_norm"] for k in keys(versions)]
        bad = [g for g in genres if genre not in g]
        return bool(genres) and not bad, f"{len(bad)} of {len(genres)} outside {genre}"
    return check


def mostly_genre(genre: str, share: float = 0.6) -> Check:
    def check(pool, versions, replies):
        genres = [pool.at[k, "genre_norm"] for k in keys(versions)]
        got = sum(genre in g for g in genres) / max(len(genres), 1)
        return got >= share, f"{got:.0%} {genre}"
    return check


def era(start: int, end: int) -> Check:
    def check(pool, versions, replies):
        years = pool.loc[list(keys(versions)), "release_year"].dropna()
        bad = years[(years < start) | (years > end)]
        return len(years) > 0 and bad.empty, f"{len(bad)} of {len(years)} dated tracks outside {start}-{end}"
    return check


def not_era(start: int, end: int) -> Check:
    def check(pool, versions, replies):
        years = pool.loc[list(keys(versions)), "release_year"].dropna()
        bad = years[(years >= start) & (years <= end)]
        return bad.empty, f"{len(bad)} dated tracks inside {start}-{end}"
    return check


def minutes(target: float) -> Check:
    def check(pool, versions, replies):
        got = chat.total_minutes(pool, versions[-1])
        return abs(got - target) <= 3, f"{got:.1f} min"
    return check


def count(n: int) -> Check:
    def check(pool, versions, replies):
        return len(keys(versions)) == n, f"{len(keys(versions))} tracks"
    return check


def grows(sign: int) -> Check:
    def check(pool, versions, replies):
        a, b = len(versions[-2].track_keys), len(versions[-1].track_keys)
        return sign * (b - a) > 0, f"{a} -> {b} tracks"
    return check


def added_like(n: int, artist: str) -> Check:
    """Exactly ``n`` tracks added, the rest kept in place, and the added ones by ``artist``
    or an artist the listener plays next to them, or in their genre."""
    def check(pool, versions, replies):
        a, b = versions[-2].track_keys, versions[-1].track_keys
        new = [k for k in b if k not in a]
        folded = _norm(artist)
        own = pool[pool["artist_primary"] == folded]
        peers = {p for row in own["artist_near"] for p in row}
        genres = set(own["genre_norm"]) - {""}
        close = [k for k in new if folded in pool.at[k, "artist_norm"].split(", ")
                 or pool.at[k, "artist_primary"] in peers or (genres and pool.at[k, "genre_norm"] in genres)]
        ok = list(b[:len(a)]) == list(a) and len(new) == n and len(close) >= math.ceil(n / 2)
        return ok, f"{len(a)} -> {len(b)} tracks, {len(close)} of {len(new)} close to {artist}"
    return check


def named(name: str) -> Check:
    def check(pool, versions, replies):
        same = versions[-1].track_keys == versions[-2].track_keys
        return versions[-1].name == name and same, f"name {versions[-1].name!r}, tracks kept: {same}"
    return check


def known_share(sign: int) -> Check:
    def check(pool, versions, replies):
        def share(v):
            return float(pool.loc[list(v.track_keys), "known"].mean())
        a, b = share(versions[-2]), share(versions[-1])
        ok = sign * (b - a) > 0 or (sign > 0 and a == b == 1.0) or (sign < 0 and a == b == 0.0)
        return ok, f"known {a:.0%} -> {b:.0%}"
    return check


def ordered(feature: str, ascending: bool = True) -> Check:
    def check(pool, versions, replies):
        values = pool.loc[list(keys(versions)), f"sound_{feature}"].dropna().tolist()
        ok = values == sorted(values, reverse=not ascending) and len(values) > 1
        return ok, f"{len(values)} {feature} values in order"
    return check


def no_remix(pool, versions, replies):
    hits = int(pool.loc[list(keys(versions)), "is_remix"].sum())
    return hits == 0, f"{hits} remixes"


def artists_present(*names: str) -> Check:
    def check(pool, versions, replies):
        artists = {a for k in keys(versions) for a in pool.at[k, "artist_norm"].split(", ")}
        missing = [n for n in names if _norm(n) not in artists]
        return not missing, f"missing {missing}" if missing else "all present"
    return check


def nearer_to_position(position: int) -> Check:
    """"more like the Nth": the tracks that came in sound nearer to track N (or are by its
    artist, or played next to it) than those they replaced."""
    def check(pool, versions, replies):
        before, after = versions[-2].track_keys, versions[-1].track_keys
        seed = before[position - 1]
        new, gone = [k for k in after if k not in before], [k for k in before if k not in after]
        if not new:
            return False, "nothing changed"
        target = pool.loc[seed, [f"sound_{f}" for f in chat.FEATURES]].to_numpy(dtype=float)

        def distance(ks):
            values = pool.loc[ks, [f"sound_{f}" for f in chat.FEATURES]].to_numpy(dtype=float)
            gaps = np.abs(values - target)
            return float(np.nanmean(gaps)) if np.isfinite(gaps).any() else float("nan")
        related = [k for k in new if pool.at[k, "artist_primary"] == pool.at[seed, "artist_primary"]
                   or k in pool.at[seed, "near"]]
        d_new, d_gone = distance(new), distance(gone) if gone else float("inf")
        ok = d_new < d_gone or len(related) >= len(new) / 2
        return ok, f"distance added {d_new:.3f} vs replaced {d_gone:.3f}; {len(related)} of {len(new)} related"
    return check


def undone(pool, versions, replies):
    return versions[-1].track_keys == versions[-3].track_keys, "back to the version before"


def unchanged(pool, versions, replies):
    """A message that could not be used: the playlist is what it was."""
    if len(versions) < 2:
        return versions[-1] is None, "no playlist made"
    return versions[-1].track_keys == versions[-2].track_keys, f"reply: {replies[-1][:90]!r}"


def understood(pool, versions, replies):
    return versions[-1] is not None and len(versions[-1].track_keys) > 0, f"{len(keys(versions))} tracks"


def unique_songs(pool, versions, replies):
    ks = keys(versions)
    songs = pool.loc[list(ks), "song_key"]
    return songs.is_unique, f"{len(ks) - songs.nunique()} songs twice"


# --- the cases ------------------------------------------------------------------------------------


def build_cases(pool: pd.DataFrame) -> list[Case]:
    """Cases whose names come from the data: the most played artists and genres, a year the
    listener played a lot, a decade, a top song."""
    mine = pool[pool["plays"] >= history.LOVED_MIN]
    genres = pool.loc[pool["has_features"] & (pool["genre_norm"] != ""), "genre_norm"].value_counts()
    g1, g2 = genres.index[0], genres.index[1 if len(genres) > 1 else 0]
    by_artist = pool[pool["known"]].groupby("artist_primary")["plays"].sum().sort_values(ascending=False)
    written = dict(zip(pool["artist_primary"], pool["artist_name"].astype(object)))
    artists = [written[a] for a in by_artist.index if a and isinstance(written.get(a), str) and "," not in written[a]
               and len(a) > 3][:6]
    a1, a2, a3 = artists[0], artists[1], artists[2]
    featured = pool[pool["has_features"]]
    decade = int(featured["release_year"].dropna().median()) // 10 * 10
    era_word = f"{decade % 100:02d}s" if decade < 2000 else f"{decade}s"
    years = sorted(int(c.split("_")[1]) for c in pool.columns if c.startswith("streams_"))
    year_streams = {y: int(pool[f"streams_{y}"].sum()) for y in years}
    busy_year = max(year_streams, key=year_streams.get)
    release_year = int(featured["release_year"].dropna().astype(int).value_counts().index[0])
    top_song = mine.sort_values("plays", ascending=False).iloc[0]
    base = g1
    c = Case
    cases = [
        # moods, activities, feelings
        c("genre", [g1], mostly_genre(g1)),
        c("second genre", [f"some {g2} please"], mostly_genre(g2)),
        c("wiped out", ["long day, I'm wiped out"], mood_vs("energy", -1)),
        c("rainy", ["rainy-afternoon music"], mood_vs("energy", -1)),
        c("party", ["upbeat music for a party"], mood_vs("energy", 1)),
        c("workout", ["workout mix"], mood_vs("energy", 1)),
        c("gym, no slow stuff", ["gym playlist, nothing slow"], mood_vs("energy", 1)),
        c("sleep", ["something to fall asleep to"], mood_vs("energy", -1)),
        c("focus no lyrics", ["music for focus, no lyrics"], mood_vs("instrumentalness", 1, by=0.02)),
        c("study", ["songs for studying"], mood_vs("speechiness", -1, by=0.0)),
        c("cooking", ["can you make me a playlist for cooking dinner"], mood_vs("energy", -1, by=0.02)),
        c("road trip", ["road trip!!"], mood_vs("valence", 1, by=0.02)),
        c("heartbreak", ["just got dumped, need sad songs"], mood_vs("valence", -1)),
        c("cheer me up slowly", ["I'm sad, cheer me up slowly"], both(understood, ordered("valence"))),
        c("sunday morning", ["lazy sunday morning"], mood_vs("energy", -1, by=0.02)),
        c("mixed case", ["MORE UPBEAT STUFF PLEASE"], mood_vs("energy", 1)),
        c("typo upbeat", ["upbaet songs for the gym"], both(mood_vs("energy", 1), says("read"))),
        c("typo calmer", [base, "somthing calmr"], rises("energy", sign=-1, by=0.05)),
        # the listener's own music
        c("songs I love", ["songs I love"], both(own_music(), loved)),
        c("my favourites", ["my favourites"], both(own_music(), loved)),
        c("favorite tracks (US spelling)", ["play my favorite tracks"], own_music()),
        c("upbeat songs I love for a run", ["upbeat songs I love for a morning run"],
          both(own_music(), mood_vs("energy", 1, by=0.03, within=mine_rows))),
        c("chill songs I love", ["chill songs i love"], both(own_music(), mood_vs("energy", -1, by=0.03,
                                                                                    within=mine_rows))),
        c("my top songs from a year", [f"my top songs from {busy_year}"], both(own_music(share=1.0, streams=2),
                                                                                played_in(busy_year))),
        c("most played", ["my most played tracks"], both(own_music(), loved)),
        c("used to play a lot", ["stuff I used to play a lot"], both(own_music(), quiet_for(180))),
        c("haven't played in ages", ["songs I haven't played in ages"], both(own_music(), quiet_for(365))),
        c("never heard", ["music I've never heard"], never_heard),
        c("never heard + mood", ["upbeat music i have never heard"], both(never_heard, mood_vs("energy", 1))),
        c("nothing overplayed", ["songs I love, nothing I've overplayed"], both(own_music(), not_overplayed)),
        c("several parts", [f"chill {release_year} songs for studying, nothing I've overplayed"],
          both(not_overplayed, mood_vs("energy", -1, by=0.02))),
        c("several parts 2", [f"30 minutes of {g1}, no {a1}, no remixes"],
          both(minutes(30), no_artist(a1), no_remix)),
        c("several parts 3", [f"upbeat {g2} for a party, 20 songs"], both(count(20), mostly_genre(g2, 0.5))),
        c("like artist, less mainstream", [f"songs like {a1} but less mainstream"], has_artist(a1)),
        c("throwbacks", ["throwbacks"], both(own_music(), quiet_for(180))),
        c("my favourites then more new", ["my favourites", "more new music"], known_share(-1)),
        c("something new then familiar", ["something new", "more familiar"], known_share(1)),
        c("mine then calmer keeps mine", ["songs I love", "calmer"], both(own_music(), keeps(0.3))),
        # refinements that edit
        c("more upbeat", [base, "more upbeat"], both(rises("energy", by=0.05), keeps())),
        c("make it more upbeat", [g2, "make it more upbeat"], both(rises("energy", by=0.05), keeps())),
        c("calmer", ["upbeat party music", "calmer"], both(rises("energy", sign=-1, by=0.05), keeps(),
                                                            title_not("energetic"))),
        c("less energy", ["workout mix", "less energy"], both(rises("energy", sign=-1, by=0.05), keeps())),
        c("happier", ["sad songs", "happier"], both(rises("valence", by=0.05), keeps())),
        c("sadder", ["happy songs", "sadder"], both(rises("valence", sign=-1, by=0.05), keeps())),
        c("more acoustic", ["electronic dance music", "more acoustic"], rises("acousticness", by=0.05)),
        c("more danceable", ["calm music", "more danceable"], rises("danceability", by=0.03)),
        c("faster", ["slow songs", "faster"], rises("tempo", by=0.03)),
        c("no artist", ["my favourites", f"no {a1}"], no_artist(a1)),
        c("remove tracks by", ["my favourites", f"remove tracks by {a2}"], no_artist(a2)),
        c("without artist", [g1, f"without {a3}"], no_artist(a3)),
        c("no genre", ["my favourites", f"no {g1}"], no_genre(g1)),
        c("only genre", ["my favourites", f"only {g2}"], only_genre(g2)),
        c("only an era", ["my favourites", f"only {era_word}"], era(decade, decade + 9)),
        c("no era", ["my favourites", f"no {era_word}"], not_era(decade, decade + 9)),
        c("era prompt", [f"{era_word} music"], era(decade, decade + 9)),
        c("before a year", ["my favourites", f"only music from before {decade}"], era(1900, decade - 1)),
        c("20 minutes", [base, "20 minutes"], minutes(20)),
        c("an hour", [base, "make it an hour long"], minutes(60)),
        c("30 tracks", [base, "30 tracks"], count(30)),
        c("shorter", [base, "shorter"], grows(-1)),
        c("longer", [base, "longer"], grows(1)),
        c("add 3 like artist", [g2, f"add 3 like {a1}"], added_like(3, a1)),
        c("add 5 tracks like artist", ["my favourites", f"add 5 tracks like {a2}"], added_like(5, a2)),
        c("more like the second one", [base, "more like the second one"], nearer_to_position(2)),
        c("more like track 3", ["songs I love", "more like track 3"], nearer_to_position(3)),
        c("like artist includes them", [f"like {a1}"], has_artist(a1)),
        c("two artists meet", [f"like {a1} meets {a2}"], artists_present(a1, a2)),
        c("build up energy", [base, "build up energy"], ordered("energy")),
        c("wind down", [base, "wind down at the end"], ordered("energy", ascending=False)),
        c("rename", [base, "call it Sunday Morning"], named("Sunday Morning")),
        c("undo", [base, "more upbeat", "undo"], undone),
        c("three refinements", [g1, "more upbeat", f"no {a1}", "20 minutes"], both(no_artist(a1), minutes(20))),
        c("no remixes", [base, "no remixes"], no_remix),
        c("three directions, second", [g1, "give me three directions", "the second one"],
          lambda pool, versions, replies: (versions[-1].track_keys != versions[-2].track_keys, "picked")),
        c("add some era genre", [base, f"add some {era_word} {g2}"],
          lambda pool, versions, replies: (any(g2 in pool.at[k, "genre_norm"] for k in versions[-1].track_keys)
                                           and versions[-1].track_keys != versions[-2].track_keys, "mixed in")),
        c("more like a quoted song", [g2, f'more like "{top_song["track_name"]}"'], understood),
        c("unused words are named", ["chill songs for my grandma's zeppelin party"], both(understood, says("did not use"))),
        # bad input: a plain reply, the playlist unchanged
        c("empty", [base, "   "], unchanged, changes=[True, False]),
        c("5,000 characters", [base, "la " * 1700], unchanged, changes=[True, False]),
        c("only emoji", [base, "🎶🔥💃"], unchanged, changes=[True, False]),
        c("spanish", [base, "pon canciones tranquilas para dormir"], both(unchanged, says("english")),
          changes=[True, False]),
        c("german", [base, "spiele bitte ruhige Musik mit Gitarre"], both(unchanged, says("english")),
          changes=[True, False]),
        c("unknown artist", [base, "more like Zzyzx Quartet Orchestra"], both(unchanged, says("no tracks by")),
          changes=[True, False]),
        c("unknown artist alone", ["like Xqwz Ploonk"], lambda pool, versions, replies: (
            versions[-1] is None and "no tracks by" in replies[-1].lower(), replies[-1][:80]), changes=[False]),
        c("undo at version 1", [base, "undo"], unchanged, changes=[True, False]),
        c("fifth of three", [g1, "give me three directions", "the fifth one"],
          lambda pool, versions, replies: ("only 3" in replies[-1].lower(), replies[-1][:80]),
          changes=[True, True, False]),
        c("gibberish", [base, "qwerty asdf"], both(unchanged, says("did not understand")), changes=[True, False]),
        c("a question", [base, "what's the weather like?"], unchanged, changes=[True, False]),
    ]
    return cases


# --- running -----------------------------------------------------------------------------------


def run_case(pool: pd.DataFrame, vocabulary: chat.Vocabulary, case: Case) -> tuple[bool, str, list[float]]:
    conversation = chat.Conversation()
    versions: list = []
    replies: list[str] = []
    times = []
    for number, message in enumerate(case.messages):
        expected = case.changes[number] if number < len(case.changes) else True
        start = time.perf_counter()
        try:
            reply = chat.take_turn(pool, vocabulary, conversation, message)
        except Exception as exc:  # nothing a person types may raise
            return False, f"raised {type(exc).__name__}: {exc}", times
        times.append(time.perf_counter() - start)
        replies.append(reply.text)
        if reply.changed != expected:
            return False, f"{'not understood' if expected else 'changed'}: {message[:60]!r} -> {reply.text[:120]!r}", times
        versions.append(conversation.version)
    ok, why = case.check(pool, versions, replies)
    if ok and versions and versions[-1] is not None:
        ok, twice = unique_songs(pool, versions, replies)
        why = why if ok else twice
    return ok, why, times


def load_store(export: str | None, catalog_path: str | None) -> tuple[Database, str]:
    folder = Path(tempfile.mkdtemp(prefix="encore-chat-"))
    db = store.open_store(folder / "chat.db")
    if export:
        ingest.import_files(db, paths=[export], profile="me")
        if catalog_path:
            catalog.import_catalog(db, catalog_path)
        return db, "me"
    ingest.build_demo(db)
    return db, ingest.DEMO_PROFILE


def evaluate(label: str, db: Database, profile: str, verbose: bool) -> dict:
    plays = history.load_plays(db, profile)
    start = time.perf_counter()
    pool = chat.load_pool(db, profile, plays)
    pool_s = time.perf_counter() - start
    vocabulary = chat.Vocabulary.from_pool(pool)
    mine = pool[pool["known"]]
    print(f"\n{label}: {len(plays):,} plays; pool {len(pool):,} songs; the listener's {len(mine):,} songs: "
          f"{mine['has_features'].mean():.0%} with catalog features, {mine['has_sound'].mean():.0%} with features "
          f"or an estimate; building the pool {pool_s:.2f} s")
    cases = build_cases(pool)
    passed, first, later = 0, [], []
    for case in cases:
        ok, why, times = run_case(pool, vocabulary, case)
        passed += ok
        if times:
            first.append(times[0])
            later.extend(times[1:])
        if verbose or not ok:
            print(f"  {'PASS' if ok else 'FAIL'}  {case.name}: {' / '.join(m[:50] for m in case.messages)}  -> {why}")
    engine = "Gemini" if os.environ.get("GEMINI_API_KEY") else "offline interpreter"
    print(f"{engine}: {passed}/{len(cases)} cases pass ({passed / len(cases):.0%})")
    baseline = []
    for message in ("rainy-afternoon indie folk", "upbeat music for a party", "songs I love"):
        start = time.perf_counter()
        fresh = chat.load_pool(db, profile)
        chat.take_turn(fresh, chat.Vocabulary.from_pool(fresh), chat.Conversation(), message)
        baseline.append(time.perf_counter() - start)
    # reopening a stored conversation of 12 turns
    conversation = chat.Conversation()
    for message in ["songs I love", "calmer", "no remixes", "20 minutes", "more upbeat", "add 3 like " +
                    str(pool[pool['known']].sort_values('plays').iloc[-1]['artist_name']), "longer", "shuffle",
                    "more familiar", "30 tracks", "build up energy", "call it Kept"]:
        conversation.log.append(("user", message))
        conversation.log.append(("assistant", chat.take_turn(pool, vocabulary, conversation, message).text))
    chat_id = chat.save(db, profile, conversation)
    reopen = []
    for _ in range(5):
        start = time.perf_counter()
        chat.open_saved(db, profile, chat_id, pool)
        reopen.append(time.perf_counter() - start)
    med_first, med_later = statistics.median(first), statistics.median(later)
    print(f"prompt -> playlist: median {med_first * 1000:.0f} ms (max {max(first) * 1000:.0f} ms); refinement: "
          f"median {med_later * 1000:.0f} ms (max {max(later) * 1000:.0f} ms); baseline (rebuild the pool each "
          f"turn) median {statistics.median(baseline) * 1000:.0f} ms; reopening a stored 12-turn conversation: "
          f"median {statistics.median(reopen) * 1000:.0f} ms")
    return {"label": label, "passed": passed, "cases": len(cases), "first_ms": med_first * 1000,
            "refine_ms": med_later * 1000, "reopen_ms": statistics.median(reopen) * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--export", help="a real export (zip or folder); default: the demo listener")
    parser.add_argument("--catalog", help="a catalog CSV to match the export against")
    parser.add_argument("--real", help="the real-data folder: every export with ids, with the TidyTuesday catalog")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    if not os.environ.get("ENCORE_CHAT_EVAL_GEMINI"):  # Gemini only when asked: it costs calls and needs a key
        os.environ.pop("GEMINI_API_KEY", None)
    results = []
    if args.real:
        root = Path(args.real)
        for name in REAL_EXPORTS:
            db, profile = load_store(str(root / "exports" / name), str(root / TIDYTUESDAY))
            results.append(evaluate(name, db, profile, args.verbose))
    else:
        db, profile = load_store(args.export, args.catalog)
        results.append(evaluate(args.export or "demo", db, profile, args.verbose))
    if len(results) > 1:
        print("\n| store | pass | prompt | refinement | reopen |\n|---|---|---|---|---|")
        for r in results:
            print(f"| {r['label']} | {r['passed']}/{r['cases']} ({r['passed'] / r['cases']:.0%}) | "
                  f"{r['first_ms']:.0f} ms | {r['refine_ms']:.0f} ms | {r['reopen_ms']:.0f} ms |")


if __name__ == "__main__":
    main()
