"""Playlists from requests: a turn folded into settings, and the next version composed from the pool.

A chat turn is turned (by ``core.chat.interpret``: Gemini or the local interpreter) into a
validated ``Turn``. ``apply_turn`` folds the turn into the conversation's ``Settings``
and composes the next ``Version`` of the playlist from the ``pool`` — real tracks only:
the person's history and the catalog. Nothing here invents a track, calls a network or
writes the store; every function returns new values.

Rules (where the chat issue is silent, these are the choices):
- Audio features live on a 0..1 scale; tempo is read as ``tempo / 200`` (so 120 BPM is
  0.6). "More X" moves the target of X up by ``SHIFT`` (0.25) from the playlist's current
  mean (or from the pool's mean when nothing is known), clipped to 0..1.
- A track without features has an unknown fit: it scores as if ``UNKNOWN_DISTANCE`` away
  from each target, so known good fits come first and unknown tracks still fill a
  playlist when little is known.
- Familiar vs discovery is a dial from 0 (only new to you) to 1 (only tracks you
  played); default 0.6: the share of the playlist that comes from your history (a quota;
  when one side runs out the other fills). Among played tracks, the more plays the better.
- At most ``artist_cap(length)`` tracks per artist: 2 per 25 tracks (at least 1). When
  the genres or era asked for are played by too few artists to fill the playlist under
  that cap, up to ``2 x cap + 1`` per artist are allowed, and the reply says so.
- A disliked track never returns, and tracks by its artist that sound alike (every
  known feature within ``DISLIKE_RADIUS``) are kept out; a liked track pulls its artist
  and its sound in (it becomes a seed).
- Removing or keeping only (artist, track, genre, era) keeps the rest of the playlist in
  place and fills the gaps with the next best tracks; a change of sound or seeds composes
  the playlist again, keeping tracks that still fit (a small bonus for being there).
- Remixes and live versions are kept out when asked ("no remixes", "no live").
- A song is never twice in a playlist, whatever ids it has: catalog entries of a song the
  history already holds (same normalised artist + title, "- Remastered" and the like
  folded as ``core.names`` does) are left out of the pool, and picking skips a second
  entry of the same song.
- With a trained taste model, how much the person likes a track is the hybrid's own score
  as the Taste model page shows it (``liking``, a percentile: taste and the person's
  recency-weighted history mixed by the dial chosen at training); without one, the log of
  their plays.
"""
from __future__ import annotations

import difflib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from core import history
from core.catalog.estimate import SOURCE_LABELS
from core.chat.pool import _norm
from core.chat.requests import FEATURES, MAX_LENGTH, TEMPO_SCALE, Era, Shift, Turn

SHIFT = 0.25
UNKNOWN_DISTANCE = 0.3
DISLIKE_RADIUS = 0.12
DEFAULT_LENGTH = 25
DEFAULT_FAMILIARITY = 0.6


STICKY_BONUS = 0.05


@dataclass(frozen=True)
class Settings:
    """Everything the conversation asked for so far (folded over the turns)."""

    targets: tuple[tuple[str, float], ...] = ()
    genres: tuple[str, ...] = ()
    only_genres: tuple[str, ...] = ()
    exclude_genres: tuple[str, ...] = ()
    seed_artists: tuple[str, ...] = ()
    seed_tracks: tuple[str, ...] = ()  # track_keys
    exclude_artists: tuple[str, ...] = ()
    exclude_tracks: tuple[str, ...] = ()  # track_keys
    era: tuple[int, int] | None = None
    exclude_era: tuple[int, int] | None = None
    add_era: tuple[int, int] | None = None
    no_remixes: bool = False
    no_live: bool = False
    length: int = DEFAULT_LENGTH
    minutes: float | None = None
    familiarity: float = DEFAULT_FAMILIARITY
    order: str | None = None
    liked: tuple[str, ...] = ()
    disliked: tuple[str, ...] = ()
    latest: tuple[str, ...] = ()  # features shifted by the latest turn: they weigh more
    mine: str | None = None  # the listener's own music: loved, top, used_to, not_lately, never_heard
    played_in: tuple[int, int] | None = None  # years of listening ("my top songs from 2019")
    no_overplayed: bool = False
    less_mainstream: bool = False


@dataclass(frozen=True)
class Version:
    """One version of the playlist: its tracks (pool rows, in order) and why each is there."""

    name: str
    track_keys: tuple[str, ...]
    reasons: tuple[str, ...]
    settings: Settings
    reading: str = ""
    notes: tuple[str, ...] = ()  # what could not be done, said plainly
    named: bool = False  # the person named it: the name no longer follows the content


def artist_cap(length: int) -> int:
    """Tracks allowed per artist: 2 per 25 (at least 1)."""
    return max(1, round(2 * length / DEFAULT_LENGTH))


def _current_mean(pool: pd.DataFrame, keys: tuple[str, ...], feature: str) -> float:
    """The mean sound (real, else estimated) of ``feature`` over ``keys`` (the pool's when none)."""
    column = f"sound_{feature}" if f"sound_{feature}" in pool.columns else feature
    values = pool.loc[list(keys), column] if keys else pool[column]
    mean = values.mean()
    if pd.isna(mean):
        mean = pool[column].mean()
    return 0.5 if pd.isna(mean) else float(mean)


def find_artists(pool: pd.DataFrame, names: list[str]) -> tuple[list[str], list[str]]:
    """(normalised artist names found in the pool, names not found). An artist matches by its
    folded name, or as one of a track's credited artists."""
    found, missing = [], []
    for name in names:
        wanted = _norm(name)
        if wanted and _artist_mask(pool, (wanted,)).any():
            found.append(wanted)
        else:
            missing.append(name)
    return found, missing


def find_tracks(pool: pd.DataFrame, titles: list[str]) -> tuple[list[str], list[str]]:
    """(track_keys whose folded title is the title asked for — the most played first —, titles not found).

    "Title by Artist" narrows to that artist."""
    found, missing = [], []
    for text in titles:
        title, _, artist = text.partition(" by ")
        rows = pool[pool["title_norm"] == _norm(title)]
        if artist:
            rows = rows[rows["artist_norm"].str.contains(re.escape(_norm(artist)), regex=True)]
        if rows.empty:
            rows = pool[pool["title_norm"].str.startswith(_norm(title) + " ")] if _norm(title) else rows
        if rows.empty:
            missing.append(text)
        else:
            found.append(rows.sort_values("plays", ascending=False, kind="stable").index[0])
    return found, missing


def _artist_mask(pool: pd.DataFrame, artists: tuple[str, ...]) -> pd.Series:
    if not artists:
        return pd.Series(False, index=pool.index)
    pattern = "|".join(rf"(?:^|, ){re.escape(a)}(?:,|$)" for a in artists)
    return pool["artist_norm"].str.contains(pattern, regex=True)


def _genre_mask(pool: pd.DataFrame, genres: tuple[str, ...]) -> pd.Series:
    if not genres:
        return pd.Series(False, index=pool.index)
    pattern = "|".join(re.escape(_norm(g)) for g in genres if _norm(g))
    return pool["genre_norm"].str.contains(pattern, regex=True) if pattern else pd.Series(False, index=pool.index)


def _in_era(pool: pd.DataFrame, era: tuple[int, int]) -> pd.Series:
    years = pool["release_year"]
    return (years >= era[0]).fillna(False) & (years <= era[1]).fillna(False)


MINE_FAMILIARITY = {"loved": 1.0, "top": 1.0, "used_to": 1.0, "not_lately": 1.0, "never_heard": 0.0}


def fold_turn(pool: pd.DataFrame, settings: Settings, turn: Turn, current: tuple[str, ...]) -> tuple[Settings, list[str]]:
    """The settings after a turn, and notes on what could not be found."""
    notes: list[str] = []
    s = Settings() if turn.action == "new" else settings
    if turn.action == "new":  # likes and dislikes outlive a new playlist
        s = replace(s, liked=settings.liked, disliked=settings.disliked)
    targets = dict(s.targets)
    for shift in turn.shifts:
        base = targets.get(shift.feature, _current_mean(pool, current if turn.action == "refine" else (),
                                                        shift.feature))
        step = SHIFT if shift.direction == "more" else -SHIFT
        targets[shift.feature] = float(min(1.0, max(0.0, base + step)))
    artists, missing = find_artists(pool, turn.like_artists)
    notes += [_no_artist(pool, m) for m in missing]
    tracks, missing = find_tracks(pool, turn.like_tracks)
    notes += [f"No track called “{m}” in your history or the catalog." for m in missing]
    for position in turn.like_positions:
        index = position - 1 if position > 0 else len(current) + position
        if 0 <= index < len(current):
            tracks.append(current[index])
        else:
            notes.append(f"There is no track {position} to go by: the playlist has {len(current)}." if position > 0
                         else "There is no track to go by: the playlist is empty.")
    gone_artists, missing = find_artists(pool, turn.exclude_artists)
    notes += [f"There was no “{m}” to remove." for m in missing]
    gone_tracks, missing = find_tracks(pool, turn.exclude_tracks)
    notes += [f"There was no track “{m}” to remove." for m in missing]
    mine = turn.mine or s.mine
    familiarity = s.familiarity
    if turn.mine is not None:
        familiarity = MINE_FAMILIARITY[turn.mine]
    elif turn.familiarity is not None:
        mine = None if turn.familiarity in ("discovery", "mix", "more_discovery") else mine
        familiarity = {"familiar": 0.9, "discovery": 0.1, "mix": 0.5,
                       "more_familiar": min(1.0, s.familiarity + 0.4),
                       "more_discovery": max(0.0, s.familiarity - 0.4)}[turn.familiarity]
    length, minutes = s.length, s.minutes
    if turn.count is not None:
        length, minutes = turn.count, None
    if turn.minutes is not None:
        minutes = turn.minutes
    if turn.resize is not None:
        if minutes is not None:
            minutes = max(1.0, minutes * turn.resize)
        else:
            length = max(1, min(MAX_LENGTH, round(length * turn.resize)))
    era = (turn.era.start, turn.era.end) if turn.era else s.era
    return Settings(
        targets=tuple(sorted(targets.items())),
        genres=tuple(dict.fromkeys(s.genres + tuple(turn.genres))),
        only_genres=tuple(turn.only_genres) or s.only_genres,
        exclude_genres=tuple(dict.fromkeys(s.exclude_genres + tuple(turn.exclude_genres))),
        seed_artists=tuple(dict.fromkeys(s.seed_artists + tuple(artists))),
        seed_tracks=tuple(dict.fromkeys(s.seed_tracks + tuple(tracks))),
        exclude_artists=tuple(dict.fromkeys(s.exclude_artists + tuple(gone_artists))),
        exclude_tracks=tuple(dict.fromkeys(s.exclude_tracks + tuple(gone_tracks))),
        era=era,
        exclude_era=(turn.exclude_era.start, turn.exclude_era.end) if turn.exclude_era else s.exclude_era,
        add_era=(turn.add_era.start, turn.add_era.end) if turn.add_era else s.add_era,
        no_remixes=s.no_remixes or turn.no_remixes,
        no_live=s.no_live or turn.no_live,
        length=length, minutes=minutes, familiarity=familiarity,
        order=turn.order if turn.order is not None else s.order,
        liked=s.liked, disliked=s.disliked,
        latest=tuple(shift.feature for shift in turn.shifts) or s.latest,
        mine=mine,
        played_in=(turn.played_in.start, turn.played_in.end) if turn.played_in else s.played_in,
        no_overplayed=s.no_overplayed or turn.no_overplayed,
        less_mainstream=s.less_mainstream or turn.less_mainstream,
    ), notes


def _no_artist(pool: pd.DataFrame, name: str) -> str:
    """"No tracks by X here; closest names: …" (names that look alike, from the pool)."""
    folded = _norm(name)
    artists = pool["artist_norm"].drop_duplicates()
    written = dict(zip(artists, pool.loc[artists.index, "artist_name"].astype(object)))
    close = difflib.get_close_matches(folded, [a for a in written if a], n=3, cutoff=0.6)
    if len(close) < 3 and folded:
        close += [a for a in written if a and folded in a.split(", ")[0].split() and a not in close][: 3 - len(close)]
    hint = f"; closest names: {', '.join(str(written[a]) for a in close)}" if close else ""
    return f"No tracks by “{name}” here{hint}."


def allowed(pool: pd.DataFrame, s: Settings) -> pd.Series:
    """Which pool tracks the settings allow at all."""
    ok = ~pool.index.isin(list(s.exclude_tracks) + list(s.disliked))
    ok &= ~_artist_mask(pool, s.exclude_artists).to_numpy()
    if s.exclude_genres:
        ok &= ~_genre_mask(pool, s.exclude_genres).to_numpy()
    if s.only_genres:
        ok &= _genre_mask(pool, s.only_genres).to_numpy()
    if s.era:
        ok &= _in_era(pool, s.era).to_numpy()
    if s.exclude_era:
        ok &= ~_in_era(pool, s.exclude_era).to_numpy()
    if s.no_remixes:
        ok &= ~pool["is_remix"].to_numpy()
    if s.no_live:
        ok &= ~pool["is_live"].to_numpy()
    if s.disliked:
        ok &= ~_near_disliked(pool, s.disliked).to_numpy()
    if s.mine is not None:
        ok &= _mine(pool, s).to_numpy()
    if s.no_overplayed:
        ok &= ~pool["overplayed"].to_numpy(dtype=bool)
    return pd.Series(ok, index=pool.index)


def _played_in(pool: pd.DataFrame, span: tuple[int, int] | None) -> np.ndarray:
    """Each song's streams in the years of ``span`` (all its streams without one)."""
    if span is None:
        return pool["plays"].to_numpy(dtype=float)
    columns = [f"streams_{y}" for y in range(span[0], min(span[1], 2100) + 1) if f"streams_{y}" in pool.columns]
    return pool[columns].to_numpy(dtype=float).sum(axis=1) if columns else np.zeros(len(pool))


def _mine(pool: pd.DataFrame, s: Settings) -> pd.Series:
    """The songs a request about the listener's own music may use (``core.history.favourites``'
    thresholds): loved and top, streamed at least ``LOVED_MIN`` times (in the years asked
    for, with ``played_in``); used_to, as many but none in ``USED_TO_QUIET_DAYS``; not_lately,
    none in ``NOT_LATELY_DAYS``; never_heard, never streamed."""
    known = pool["known"].to_numpy(dtype=bool)
    streams = pool["plays"].to_numpy(dtype=float)
    quiet = pool["last_days"].to_numpy(dtype=float)
    if s.mine == "never_heard":
        ok = ~known | (streams == 0)
    elif s.mine in ("used_to", "not_lately"):
        days = history.USED_TO_QUIET_DAYS if s.mine == "used_to" else history.NOT_LATELY_DAYS
        ok = known & (streams >= history.LOVED_MIN) & (np.nan_to_num(quiet, nan=0.0) >= days)
    else:
        ok = known & (_played_in(pool, s.played_in) >= (2 if s.played_in else history.LOVED_MIN))
    return pd.Series(ok, index=pool.index)


def _near_disliked(pool: pd.DataFrame, disliked: tuple[str, ...]) -> pd.Series:
    near = pd.Series(False, index=pool.index)
    values = pool[list(FEATURES)].to_numpy(dtype=float)
    for key in disliked:
        if key not in pool.index:
            continue
        row = pool.loc[key]
        same_artist = (pool["artist_norm"] == row["artist_norm"]).to_numpy()
        own = row[list(FEATURES)].to_numpy(dtype=float)
        known = ~np.isnan(own)
        if not known.any():
            continue
        close = np.all(np.abs(values[:, known] - own[known]) <= DISLIKE_RADIUS, axis=1)
        near |= same_artist & close
    return near


SOUND = [f"sound_{f}" for f in FEATURES]  # real feature values, else estimates (core.chat.pool)
ESTIMATE_PENALTY = 0.03  # an estimated value is a little less certain than a catalog's


def _sound(pool: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(each song's sound: real values, else estimates; where that is an estimate)."""
    values = pool[SOUND].to_numpy(dtype=float) if SOUND[0] in pool.columns else pool[list(FEATURES)].to_numpy(
        dtype=float)
    estimated = np.isnan(pool[list(FEATURES)].to_numpy(dtype=float)) & ~np.isnan(values)
    return values, estimated


def _seed_keys(pool: pd.DataFrame, s: Settings) -> list[str]:
    return [k for k in list(s.seed_tracks) + list(s.liked) if k in pool.index]


def _seed_profile(pool: pd.DataFrame, s: Settings) -> np.ndarray | None:
    keys = _seed_keys(pool, s)
    rows = np.concatenate([pool.index.get_indexer(keys), np.flatnonzero(_artist_mask(pool, s.seed_artists).to_numpy())])
    values = _sound(pool)[0][rows.astype(int)] if len(rows) else np.empty((0, len(FEATURES)))
    if not len(values) or np.isnan(values).all():
        return None
    known = ~np.isnan(values)
    counts = known.sum(axis=0)
    sums = np.where(known, values, 0.0).sum(axis=0)
    return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)  # NaN: no seed has that feature


def _company(pool: pd.DataFrame, s: Settings) -> tuple[np.ndarray, np.ndarray]:
    """(songs the listener plays next to a seed song; songs by artists they play next to a
    seed artist): what "like X" reaches beyond X itself."""
    keys = _seed_keys(pool, s)
    near_songs = {k for key in keys for k in pool.at[key, "near"]} if keys else set()
    seed_artists = set(s.seed_artists) | {pool.at[k, "artist_norm"].split(", ")[0] for k in keys}
    near_artists = set()
    if seed_artists:
        primary = pool["artist_primary"]
        for peers in pool.loc[primary.isin(seed_artists).to_numpy(), "artist_near"].head(200):
            near_artists.update(peers)
        near_artists -= seed_artists
        by_near_artist = primary.isin(near_artists).to_numpy()
    else:
        by_near_artist = np.zeros(len(pool), dtype=bool)
    return pool.index.isin(list(near_songs)), by_near_artist


def liking(pool: pd.DataFrame) -> np.ndarray:
    """How much the person likes each song, 0..1: the trained hybrid's own score as it ships
    (``liking``, a percentile; songs never streamed by its discovery order, ``discovery``)
    where a model is trained, else the log of their streams."""
    plays = pool["plays"].to_numpy(dtype=float)
    out = np.log1p(plays) / max(np.log1p(plays.max()), 1.0) if len(plays) else plays
    if "liking" in pool.columns:
        model = pool["liking"].to_numpy(dtype=float)
        if "discovery" in pool.columns:  # a song never streamed: ranked as the Discover list ranks it
            model = np.where(plays > 0, model, pool["discovery"].to_numpy(dtype=float))
        out = np.where(np.isnan(model), out, model)
    return out


def score(pool: pd.DataFrame, s: Settings, current: tuple[str, ...] = ()) -> pd.Series:
    """How well each pool song fits the settings (higher is better)."""
    values, estimated = _sound(pool)
    total = np.zeros(len(pool))
    for feature, target in s.targets:
        column = FEATURES.index(feature)
        distance = np.where(np.isnan(values[:, column]), UNKNOWN_DISTANCE, np.abs(values[:, column] - target))
        distance = distance + ESTIMATE_PENALTY * estimated[:, column]
        total -= (3.0 if feature in s.latest else 2.0) * distance
    profile = _seed_profile(pool, s)
    if profile is not None:
        known = ~np.isnan(profile)
        gap = np.abs(values[:, known] - profile[known])
        distance = np.where(np.isnan(gap), UNKNOWN_DISTANCE, gap).mean(axis=1)
        total -= 2.0 * distance
    seeded = _artist_mask(pool, s.seed_artists).to_numpy() | pool["artist_norm"].isin(
        pool.loc[_seed_keys(pool, s), "artist_norm"]).to_numpy()
    total += 0.6 * seeded
    if s.seed_artists or s.seed_tracks or s.liked:
        near_song, near_artist = _company(pool, s)
        total += 0.4 * near_song + 0.3 * near_artist
    if s.genres:
        total += 0.8 * _genre_mask(pool, s.genres).to_numpy()
    if s.add_era:
        total += 0.8 * _in_era(pool, s.add_era).to_numpy()
    if s.genres and s.add_era:  # "90s hip-hop": both at once is what was asked
        total += 0.4 * (_genre_mask(pool, s.genres) & _in_era(pool, s.add_era)).to_numpy()
    # how much the person likes a song; the familiar/new balance itself is a quota (compose), not a score
    total += 0.5 * liking(pool)
    if s.mine in ("loved", "not_lately"):
        total += 1.5 * pool["love"].to_numpy(dtype=float)
    elif s.mine in ("top", "used_to"):
        streams = _played_in(pool, s.played_in)
        total += 1.5 * np.log1p(streams) / max(np.log1p(streams.max()), 1.0)
        if s.mine == "used_to":
            total += 0.5 * pool["forgotten"].to_numpy(dtype=bool)
    if s.less_mainstream:
        popularity = pool["popularity"].to_numpy(dtype=float) / 100
        total -= 1.0 * np.nan_to_num(popularity, nan=0.5) + 0.3 * pool["overplayed"].to_numpy(dtype=bool)
    if s.targets and not pool["has_sound"].all():
        total -= 0.05 * (~pool["has_sound"].to_numpy())
    if current:
        total += STICKY_BONUS * pool.index.isin(list(current))
    return pd.Series(total, index=pool.index)


def _pick(ranked: list[str], pool: pd.DataFrame, length: int, minutes: float | None,
          start: list[str] | None = None, cap: int | None = None, known_quota: int | None = None,
          strict_keys: set[str] | None = None, positions: np.ndarray | None = None,
          new_quota: int | None = None) -> list[str]:
    """Take tracks in rank order under the per-artist cap until the length (or minutes) is reached.

    ``known_quota``: how many of the tracks should be ones the person played (the
    familiar/new dial); the quota is a preference: when one side runs out, the other fills.
    The quota only reaches ``strict_keys`` (the tracks of a genre or era asked for) when
    given, so it never pulls in a track that fits nothing asked for. ``new_quota``: how
    many new tracks, when ``start`` already holds some of the playlist (default: the rest).
    """
    chosen = list(start or [])
    if cap is None:
        cap = artist_cap(length if minutes is None else max(len(chosen), length))
    # positional arrays: a per-key pool.at lookup costs more than the whole pick
    if positions is None:
        positions = pool.index.get_indexer(list(ranked))
    artist_of = pool["artist_key"].to_numpy()
    song_of = pool["song_key"].to_numpy()
    known_of = pool["known"].to_numpy(dtype=bool)
    minutes_of = pool["duration_ms"].to_numpy(dtype=float, na_value=np.nan) / 60_000
    minutes_of = np.where(np.isnan(minutes_of), 3.5, minutes_of)  # unknown length: a typical 3.5 minutes
    counts: dict[str, int] = {}
    for key in chosen:
        artist = pool.at[key, "artist_norm"]
        counts[artist] = counts.get(artist, 0) + 1
    taken = set(chosen)
    songs = {pool.at[k, "song_key"] for k in chosen}
    duration = sum(_minutes(pool, k) for k in chosen)
    target = length if minutes is None else max(1, round(minutes / 3.5))
    known_wanted = None if known_quota is None else {
        True: known_quota, False: max(0, target - known_quota) if new_quota is None else new_quota}
    for strict in ((True, False) if known_wanted else (False,)):
        for key, at in zip(ranked, positions):
            if strict and strict_keys is not None and key not in strict_keys:
                continue
            if minutes is None and len(chosen) >= length:
                break
            if minutes is not None and duration >= minutes - 1.5:
                break
            if key in taken or song_of[at] in songs:
                continue
            artist = artist_of[at]
            if counts.get(artist, 0) >= cap:
                continue
            if minutes is not None and duration + minutes_of[at] > minutes + 3:
                continue
            if strict:
                side = bool(known_of[at])
                if known_wanted[side] <= 0:
                    continue
                known_wanted[side] -= 1
            chosen.append(key)
            taken.add(key)
            songs.add(song_of[at])
            counts[artist] = counts.get(artist, 0) + 1
            duration += minutes_of[at]
    return chosen


def _narrow(pool: pd.DataFrame, s: Settings) -> pd.Series:
    """Tracks of the genres (wanted or only) or era asked for; all False when none was asked."""
    narrow = pd.Series(False, index=pool.index)
    if s.genres:
        narrow |= _genre_mask(pool, s.genres)
    if s.only_genres:
        narrow |= _genre_mask(pool, s.only_genres)
    if s.era:
        narrow |= _in_era(pool, s.era)
    return narrow


def effective_cap(pool: pd.DataFrame, s: Settings, ok: pd.Series, length: int) -> tuple[int, str | None]:
    """The per-artist cap, relaxed when the request narrows the choice to few artists.

    2 per 25 is a diversity rule; when the genres or era asked for are played by so few
    artists that the cap cannot fill the playlist with them, up to ``2 x cap + 1`` per
    artist are allowed (and the reply says so) rather than filling up with other genres.
    """
    cap = artist_cap(length)
    narrow = _narrow(pool, s)
    if not narrow.any():
        return cap, None
    artists = pool.loc[narrow & ok, "artist_norm"].nunique()
    if artists == 0 or artists * cap >= length:
        return cap, None
    relaxed = min(math.ceil(length / artists), 2 * cap + 1)
    if relaxed <= cap:
        return cap, None
    who = f"{artists} artists play" if artists != 1 else "1 artist plays"
    return relaxed, f"Only {who} the genre or era you asked for, so up to {relaxed} tracks each (instead of {cap})."


def _minutes(pool: pd.DataFrame, key: str) -> float:
    value = pool.at[key, "duration_ms"]
    return 3.5 if pd.isna(value) else float(value) / 60_000  # unknown length: a typical 3.5 minutes


def _order(pool: pd.DataFrame, keys: list[str], order: str | None, seed: int) -> list[str]:
    if not order or len(keys) < 2:
        return keys
    if order == "shuffle":
        rng = np.random.default_rng(seed)
        return [keys[i] for i in rng.permutation(len(keys))]
    feature = {"energy": "energy", "tempo": "tempo", "valence": "valence"}[order.split("_")[0]]
    column = f"sound_{feature}" if f"sound_{feature}" in pool.columns else feature
    values = pool.loc[keys, column]
    filled = values.fillna(values.mean() if values.notna().any() else 0.5)
    ascending = order.endswith("_up")
    return list(filled.sort_values(ascending=ascending, kind="stable").index)


def _ranked(pool: pd.DataFrame, s: Settings, current: tuple[str, ...],
            ok: pd.Series | None = None) -> tuple[np.ndarray, np.ndarray, set[str]]:
    """(allowed tracks' keys best first, their positions in the pool, the allowed keys).

    ``ok``: ``allowed(pool, s)`` when the caller has it already."""
    ok = (allowed(pool, s) if ok is None else ok).to_numpy()
    points = score(pool, s, current).to_numpy()
    positions = np.flatnonzero(ok)
    positions = positions[np.argsort(-points[positions], kind="stable")]
    keys = pool.index.to_numpy(dtype=object)[positions]
    return keys, positions, set(keys)


MIN_KEPT = 0.3  # a refinement of the sound keeps at least this share of the playlist
FIT_MARGIN = 0.1  # a track still fits a new target when within this of it (or past it the way asked)


def compose(pool: pd.DataFrame, s: Settings, current: tuple[str, ...] = (), keep: bool = False) -> list[str]:
    """The playlist's track keys under the settings.

    ``keep``: keep the current tracks that are still allowed, in place, and fill up the
    rest (removals and filters); otherwise rank everything again (current tracks get a
    small bonus, so a small change of sound does not replace everything).
    """
    ok = allowed(pool, s)
    ranked, positions, allowed_keys = _ranked(pool, s, current, ok)
    cap, _ = effective_cap(pool, s, ok, s.length)
    wanted = _narrow(pool, s)
    strict_keys = set(wanted[wanted].index) if wanted.any() else None
    if keep:
        kept = [k for k in current if k in allowed_keys]
        if s.minutes is not None:  # shorter by time: keep the first tracks that fit
            total, fitting = 0.0, []
            for key in kept:
                if total + _minutes(pool, key) > s.minutes + 3:
                    break
                fitting.append(key)
                total += _minutes(pool, key)
            kept = fitting
        chosen = _pick(ranked, pool, s.length, s.minutes, start=kept, cap=cap, positions=positions)
        if s.minutes is None:
            chosen = chosen[: s.length]
    else:
        target = s.length if s.minutes is None else max(1, round(s.minutes / 3.5))
        chosen = _pick(ranked, pool, s.length, s.minutes, cap=cap, known_quota=round(s.familiarity * target),
                       strict_keys=strict_keys, positions=positions)
    return _order(pool, chosen, s.order, seed=len(chosen))


def edit(pool: pd.DataFrame, s: Settings, current: tuple[str, ...]) -> list[str]:
    """A refinement of the sound or the seeds as an edit: the current tracks that still fit
    stay where they are, only the rest are replaced (with the best fits not already there).

    A track still fits when, for each quality the latest turn changed, its sound is within
    ``FIT_MARGIN`` of the new target or past it the way asked; for a change of seeds, when
    it ranks in the better half of the new ranking. At least ``MIN_KEPT`` of the playlist is
    kept (the best-ranked), so a refinement never starts over.
    """
    ok = allowed(pool, s)
    ranked, positions, allowed_keys = _ranked(pool, s, current, ok)
    points = score(pool, s, current)
    still = [k for k in current if k in allowed_keys]
    targets = dict(s.targets)
    values, _ = _sound(pool)
    moved = [f for f in s.latest if f in targets]
    direction = {f: np.sign(targets[f] - _current_mean(pool, tuple(still), f)) for f in moved}
    fits = []
    for key in still:
        row = values[pool.index.get_loc(key)]
        good = True
        for feature in moved:
            value = row[FEATURES.index(feature)]
            if np.isnan(value):
                good = False
            elif direction[feature] >= 0:
                good &= value >= targets[feature] - FIT_MARGIN
            else:
                good &= value <= targets[feature] + FIT_MARGIN
        if not moved:  # a change of seeds or genres: the better half of the new ranking fits
            good = points[key] >= np.median(points.to_numpy()[positions[: max(1, 2 * s.length)]])
        fits.append(good)
    kept = [k for k, good in zip(still, fits) if good]
    # the familiar/new dial: known tracks beyond its share go (the lowest ranked first)
    target = s.length if s.minutes is None else max(1, round(s.minutes / 3.5))
    known_wanted = round(s.familiarity * target)
    known = [k for k in kept if pool.at[k, "known"]]
    if len(known) > known_wanted and s.familiarity < 1:
        dropped = set(sorted(known, key=lambda k: points[k])[: len(known) - known_wanted])
        kept = [k for k in kept if k not in dropped]
    floor = math.ceil(MIN_KEPT * len(current))
    if len(kept) < floor:  # keep the best-ranked of the rest too
        extra = sorted((k for k in still if k not in kept), key=lambda k: -points[k])[: floor - len(kept)]
        kept = [k for k in still if k in set(kept) | set(extra)]
    cap, _ = effective_cap(pool, s, ok, s.length)
    known_now = sum(bool(pool.at[k, "known"]) for k in kept)
    chosen = _pick(ranked, pool, s.length, s.minutes, start=kept, cap=max(cap, _max_per_artist(pool, kept)),
                   positions=positions, known_quota=max(0, known_wanted - known_now),
                   new_quota=max(0, target - known_wanted - (len(kept) - known_now)))
    if s.minutes is None:
        chosen = chosen[: s.length]
    # the kept tracks stay where they were; the new ones take the places of those that went
    order = [k for k in current if k in set(chosen)]
    new = [k for k in chosen if k not in set(order)]
    out, fresh = [], iter(new)
    for key in current:
        if key in set(order):
            out.append(key)
        else:
            nxt = next(fresh, None)
            if nxt is not None:
                out.append(nxt)
    out += list(fresh)
    return _order(pool, out, s.order, seed=len(out))


def _max_per_artist(pool: pd.DataFrame, keys: list[str]) -> int:
    artists = pool.loc[keys, "artist_norm"].value_counts() if keys else pd.Series(dtype=int)
    return int(artists.max()) if len(artists) else 0


def closeness(pool: pd.DataFrame, seed_artists: tuple[str, ...], seed_tracks: tuple[str, ...]) -> np.ndarray:
    """How close each song is to the seeds, for "add 3 like X": the seeds' own artist first,
    then the songs and artists the listener plays next to them, then the nearest sound."""
    s = Settings(seed_artists=seed_artists, seed_tracks=seed_tracks)
    by_artist = _artist_mask(pool, seed_artists).to_numpy() | pool["artist_norm"].isin(
        pool.loc[[k for k in seed_tracks if k in pool.index], "artist_norm"]).to_numpy()
    near_song, near_artist = _company(pool, s)
    total = 2.0 * by_artist + 1.0 * near_song + 0.8 * near_artist
    profile = _seed_profile(pool, s)
    if profile is not None:
        values, _ = _sound(pool)
        known = ~np.isnan(profile)
        gap = np.abs(values[:, known] - profile[known])
        total -= 2.0 * np.where(np.isnan(gap), UNKNOWN_DISTANCE, gap).mean(axis=1)
    return total + 0.3 * liking(pool)


def add_like(pool: pd.DataFrame, s: Settings, current: tuple[str, ...], count: int,
             seed_artists: tuple[str, ...] | None = None, seed_tracks: tuple[str, ...] | None = None) -> list[str]:
    """The current tracks plus ``count`` new ones closest to the seeds (``closeness``; the
    settings' seeds when none are given), as many by one artist as were asked for."""
    seed_artists = s.seed_artists if seed_artists is None else seed_artists
    seed_tracks = tuple(s.seed_tracks) + tuple(s.liked) if seed_tracks is None else seed_tracks
    ok = allowed(pool, s).to_numpy() & ~pool.index.isin(list(current))
    points = closeness(pool, seed_artists, seed_tracks)
    positions = np.flatnonzero(ok)
    positions = positions[np.argsort(-points[positions], kind="stable")]
    kept = [k for k in current if k in pool.index]
    ranked = pool.index.to_numpy(dtype=object)[positions]
    cap = max(artist_cap(len(kept) + count), _max_per_artist(pool, kept) + count)
    chosen = _pick(list(ranked), pool, len(kept) + count, None, start=kept, cap=cap, positions=positions)
    return chosen


def reasons(pool: pd.DataFrame, keys: Sequence[str], s: Settings) -> tuple[str, ...]:
    """One line per track on why it is in the playlist.

    The chosen rows are taken from the pool once, as plain records: reading a 30-column
    pool row by row cost 5 ms a track (most of a refinement's time on a large library).
    """
    rows = pool.loc[list(keys)]
    seeded = _artist_mask(rows, s.seed_artists).to_numpy() if s.seed_artists else np.zeros(len(rows), bool)
    in_genre = _genre_mask(rows, s.genres).to_numpy() if s.genres else np.zeros(len(rows), bool)
    wanted = ["artist_name", "plays", "genre", "has_features", "release_year", "estimated_by", "love", "last_days",
              *FEATURES, *SOUND]
    if "affinity" in rows.columns:
        wanted.append("affinity")
    in_years = _played_in(rows, s.played_in) if s.played_in else np.zeros(len(rows))
    return tuple(_reason(key, row, s, bool(by_seed), bool(genre_wanted), int(years))
                 for key, row, by_seed, genre_wanted, years in zip(keys, rows[wanted].to_dict("records"), seeded,
                                                                    in_genre, in_years))


def _reason(key: str, row: dict, s: Settings, by_seed: bool, genre_wanted: bool, in_years: int = 0) -> str:
    parts = []
    if key in s.liked:
        parts.append("you liked it")
    elif key in s.seed_tracks:
        parts.append("you asked for it")
    elif by_seed:
        parts.append(f"by {row['artist_name']}, whom you asked for")
    if s.played_in and in_years:
        span = f"{s.played_in[0]}" if s.played_in[0] == s.played_in[1] else f"{s.played_in[0]}–{s.played_in[1]}"
        parts.append(f"you played it {in_years} time{'s' if in_years != 1 else ''} in {span}")
    elif row["plays"] > 0:
        parts.append(f"you played it {int(row['plays'])} time{'s' if row['plays'] != 1 else ''}")
        last = row.get("last_days")
        if s.mine in ("used_to", "not_lately") and last is not None and not pd.isna(last):
            parts.append(f"last {int(last) // 30} months before your latest listen" if last < 730
                         else f"last {last / 365:.0f} years before your latest listen")
    else:
        parts.append("new to you" + (f" ({row['genre']})" if isinstance(row["genre"], str) else ""))
        if row.get("affinity", float("nan")) >= 0.9:  # NaN compares False
            parts.append(f"your taste model puts it in your top {max(1, round((1 - row['affinity']) * 100))}%")
    fits = []
    for feature, _ in s.targets:
        value = row[f"sound_{feature}"]
        if pd.isna(value):
            continue
        shown = f"tempo {value * TEMPO_SCALE:.0f} BPM" if feature == "tempo" else f"{feature} {value:.2f}"
        fits.append(shown if not pd.isna(row[feature]) else f"{shown.replace(' ', ' ~', 1)}")
    if fits:
        text = "fits " + ", ".join(fits)
        if row["estimated_by"] and any(pd.isna(row[f]) for f, _ in s.targets):
            text += f" ({SOURCE_LABELS.get(row['estimated_by'], 'estimated')})"
        parts.append(text)
    elif s.targets and not row["has_features"]:
        parts.append("sound unknown (no audio features)")
    if genre_wanted:
        parts.append(f"genre {row['genre']}")
    if (s.add_era or s.era) and not pd.isna(row["release_year"]):
        parts.append(f"from {int(row['release_year'])}")
    text = "; ".join(parts)
    return text[0].upper() + text[1:]


def apply_turn(pool: pd.DataFrame, previous: Version | None, turn: Turn, fresh: bool = False) -> Version:
    """The next version of the playlist after a turn (a new playlist when there is none yet).

    A refinement edits: removals and filters keep the rest in place, a new sound or new
    seeds replace only the tracks that no longer fit (``edit``), "add N like X" adds exactly
    N (``add_like``); the reply says how many tracks changed. Unless the person named the
    playlist, its name follows what it has become (``name_for``). ``fresh``: a new sound
    composes the playlist again instead (the directions offered to pick from).
    """
    if previous is None:
        turn = turn.model_copy(update={"action": "new"})
    settings = previous.settings if previous else Settings()
    current = previous.track_keys if previous and turn.action == "refine" else ()
    new, notes = fold_turn(pool, settings, turn, current)
    seeds_now = bool(turn.like_artists or turn.like_tracks or turn.like_positions)
    resound = (bool(turn.shifts) or bool(turn.genres and not turn.add_count) or turn.familiarity is not None
               or turn.add_era is not None or turn.mine is not None or turn.less_mainstream
               or (seeds_now and not turn.add_count))
    if turn.add_count and current:
        artists, _ = find_artists(pool, turn.like_artists)
        tracks, _ = find_tracks(pool, turn.like_tracks)
        tracks += [k for k in new.seed_tracks if k not in settings.seed_tracks and k not in tracks]
        keys = add_like(pool, new, current, turn.add_count, tuple(artists) or None, tuple(tracks) or None)
        if len(keys) - len(current) < turn.add_count:
            notes.append(f"Only {len(keys) - len(current)} more fit everything asked so far.")
        new = replace(new, length=len(keys), minutes=None)
        keys = _order(pool, keys, new.order, seed=len(keys))
    elif not current:
        keys = compose(pool, new)
    elif resound:
        keys = compose(pool, new, current) if fresh else edit(pool, new, current)
    else:
        keys = compose(pool, new, current, keep=True)
    if turn.shifts and not pool["has_sound"].any():
        notes.append("None of these tracks has audio features, so the sound asked for cannot be matched: "
                     "add a catalog on the Catalog page.")
    if (turn.era or turn.exclude_era or turn.add_era) and pool["release_year"].isna().all():
        notes.append("No release years are known for these tracks, so eras cannot be used: "
                     "add a catalog on the Catalog page.")
    if turn.less_mainstream and pool["popularity"].isna().all():
        notes.append("No catalog says how popular these tracks are, so “less mainstream” leaves out the songs you "
                     "play most and nothing more.")
    _, relaxed = effective_cap(pool, new, allowed(pool, new), new.length)
    if relaxed and (previous is None or turn.action == "new" or relaxed != effective_cap(
            pool, previous.settings, allowed(pool, previous.settings), previous.settings.length)[1]):
        notes.append(relaxed)  # said when it starts or changes, not on every turn
    if len(keys) < (new.length if new.minutes is None else 1):
        notes.append(f"Only {len(keys)} track{'s fit' if len(keys) != 1 else ' fits'} everything asked so far.")
    if current:
        changed = len(set(keys) - set(current))
        gone = len(set(current) - set(keys))
        if changed or gone:
            notes.insert(0, _changes(changed, gone, len(current)))
    named = bool(turn.name) or bool(previous and previous.named and turn.action == "refine")
    name = turn.name or (previous.name if named and previous else name_for(pool, new))
    return Version(name=name, track_keys=tuple(keys), reasons=reasons(pool, keys, new),
                   settings=new, reading=turn.reading, notes=tuple(notes), named=named)


def _changes(added: int, removed: int, before: int) -> str:
    if added and added == removed:
        return f"Changed {added} of {before} tracks."
    parts = []
    if added:
        parts.append(f"added {added}")
    if removed:
        parts.append(f"removed {removed}")
    text = " and ".join(parts)
    return text[0].upper() + text[1:] + f" (of {before})."


def _direction_candidates(pool: pd.DataFrame, first: Version, base: Turn) -> list[tuple[str, dict]]:
    """Ways to take a request somewhere else, most telling first."""
    energy = mean_feature(pool, first.track_keys, "energy")
    calm = not math.isnan(energy) and energy < 0.5
    acoustic = mean_feature(pool, first.track_keys, "acousticness")
    years = pool.loc[list(first.track_keys), "release_year"].dropna()
    out = [
        ("more discovery", {"familiarity": "discovery"}),
        ("livelier" if calm else "calmer", {"shifts": [*base.shifts, Shift(feature="energy",
                                                                         direction="more" if calm else "less")]}),
        ("more of what you know", {"familiarity": "familiar"}),
        ("more electronic" if not math.isnan(acoustic) and acoustic >= 0.5 else "more acoustic",
         {"shifts": [*base.shifts, Shift(feature="acousticness",
                                         direction="less" if not math.isnan(acoustic) and acoustic >= 0.5 else "more")]}),
        ("happier", {"shifts": [*base.shifts, Shift(feature="valence", direction="more")]}),
    ]
    if len(years) and base.era is None:
        middle = int(years.median())
        out.append((f"older (before {middle})", {"era": Era(start=1900, end=middle - 1)}))
    return out


def directions(pool: pd.DataFrame, previous: Version | None, turn: Turn) -> list[tuple[str, Version]]:
    """``turn.options`` takes on the request to pick from: as asked, then the first of
    more discovery, livelier/calmer, more familiar, acoustic/electronic, happier and older
    that come out different (under 60 % of their tracks shared with a take already offered)."""
    count = turn.options or 3
    base = turn.model_copy(update={"options": None})
    first = apply_turn(pool, previous, base, fresh=True)
    out = [("as asked", first)]
    for label, change in _direction_candidates(pool, first, base):
        if len(out) == count:
            break
        variant = apply_turn(pool, previous, base.model_copy(update=change), fresh=True)
        keys = set(variant.track_keys)
        if not keys or any(len(keys & set(v.track_keys)) >= 0.6 * len(keys) for _, v in out):
            continue
        out.append((label, replace(variant, name=f"{variant.name} ({label})")))
    return out


_MOOD_NAMES = {
    ("energy", "less"): "calm", ("energy", "more"): "energetic", ("valence", "more"): "happy",
    ("valence", "less"): "melancholy", ("acousticness", "more"): "acoustic", ("acousticness", "less"): "electronic",
    ("danceability", "more"): "danceable", ("danceability", "less"): "still", ("instrumentalness", "more"):
    "instrumental", ("instrumentalness", "less"): "vocal", ("speechiness", "more"): "spoken",
    ("speechiness", "less"): "wordless", ("tempo", "more"): "fast", ("tempo", "less"): "slow",
}


_MINE_NAMES = {"loved": "songs you love", "top": "your top songs", "used_to": "old favourites",
               "not_lately": "songs you have not played in a while", "never_heard": "new to you"}
MOOD_MARGIN = 0.08  # a target this far from the pool's usual sound names the playlist's mood


def name_for(pool: pd.DataFrame, s: Settings) -> str:
    """A short name from what the playlist is: its moods (the targets that stand apart from
    the pool's usual sound), its subject (artists asked for, genres, the listener's own
    music) and its era — "Calm, acoustic indie folk", "Wren Halloway × Pulse Unit",
    "Energetic songs you love", "1990s hip hop", "Your top songs of 2019"."""
    moods = []
    targets = dict(s.targets)
    for feature in [f for f in s.latest if f in targets] + [f for f in targets if f not in s.latest]:
        target, usual = targets[feature], _pool_mean(pool, feature)
        if target >= usual + MOOD_MARGIN:
            moods.append(_MOOD_NAMES[(feature, "more")])
        elif target <= usual - MOOD_MARGIN:
            moods.append(_MOOD_NAMES[(feature, "less")])
    moods = moods[:2]
    if s.seed_artists:
        written = pool.loc[_artist_mask(pool, s.seed_artists[:3]).to_numpy(), ["artist_norm", "artist_name"]]
        by_norm = {}
        for norm, name in zip(written["artist_norm"], written["artist_name"]):
            for part, shown in zip(norm.split(", "), re.split(r"\s*;\s*|,\s+", str(name))):
                by_norm.setdefault(part, shown)
        subject = " × ".join(by_norm.get(a, a) for a in s.seed_artists[:3])
    elif s.genres or s.only_genres:
        subject = " & ".join((s.genres or s.only_genres)[:2])
    elif s.mine:
        subject = _MINE_NAMES[s.mine]
    else:
        subject = "mix"
    era = s.era or s.add_era
    if era:
        subject = (f"{era[0]}s " if era[1] - era[0] == 9 and era[0] % 10 == 0 else
                   f"{era[0]} " if era[0] == era[1] else f"{era[0]}–{min(era[1], 2100)} ") + subject
    if s.played_in:
        subject += f" of {s.played_in[0]}" if s.played_in[0] == s.played_in[1] else \
            f" of {s.played_in[0]}–{s.played_in[1]}"
    name = (", ".join(moods) + " " + subject) if moods else subject
    return name[0].upper() + name[1:]


def _pool_mean(pool: pd.DataFrame, feature: str) -> float:
    column = f"sound_{feature}" if f"sound_{feature}" in pool.columns else feature
    mean = pool[column].mean()
    return 0.5 if pd.isna(mean) else float(mean)


def feedback(pool: pd.DataFrame, version: Version, key: str, liked: bool) -> Version:
    """A like (pulls in more like it) or a dislike (removes it and keeps similar ones out)."""
    s = version.settings
    if liked:
        s = replace(s, liked=tuple(dict.fromkeys(s.liked + (key,))))
        keys = list(version.track_keys)
        keys = add_like(pool, s, tuple(keys), 2)  # the playlist grows by up to two like it
        s = replace(s, length=max(s.length, len(keys))) if s.minutes is None else s
        reading = f"More like “{pool.at[key, 'track_name']}”."
    else:
        s = replace(s, disliked=tuple(dict.fromkeys(s.disliked + (key,))))
        keys = compose(pool, s, version.track_keys, keep=True)
        reading = f"Removed “{pool.at[key, 'track_name']}” and kept similar tracks out."
    return Version(name=version.name, track_keys=tuple(keys), reasons=reasons(pool, keys, s),
                   settings=s, reading=reading)


def keep_only(pool: pd.DataFrame, version: Version, keys: list[str], refill: bool) -> Version:
    """Keep the ticked tracks; with ``refill``, add more like the ones kept up to the length."""
    kept = [k for k in version.track_keys if k in set(keys)]
    s = replace(version.settings, seed_tracks=tuple(dict.fromkeys(version.settings.seed_tracks + tuple(kept))))
    dropped = tuple(k for k in version.track_keys if k not in set(kept))
    s = replace(s, exclude_tracks=tuple(dict.fromkeys(s.exclude_tracks + dropped)))
    out = add_like(pool, s, tuple(kept), max(0, s.length - len(kept))) if refill else kept
    return Version(name=version.name, track_keys=tuple(out), reasons=reasons(pool, out, s),
                   settings=s, reading="More like the ones you kept." if refill else "Kept the ticked tracks.")


def total_minutes(pool: pd.DataFrame, version: Version) -> float:
    return float(sum(_minutes(pool, k) for k in version.track_keys))


def mean_feature(pool: pd.DataFrame, keys: tuple[str, ...] | list[str], feature: str) -> float:
    """Mean of a feature over the tracks that have it (NaN when none has)."""
    value = pool.loc[list(keys), feature].mean()
    return math.nan if pd.isna(value) else float(value)
