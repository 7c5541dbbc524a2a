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

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

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


@dataclass(frozen=True)
class Version:
    """One version of the playlist: its tracks (pool rows, in order) and why each is there."""

    name: str
    track_keys: tuple[str, ...]
    reasons: tuple[str, ...]
    settings: Settings
    reading: str = ""
    notes: tuple[str, ...] = ()  # what could not be done, said plainly


def artist_cap(length: int) -> int:
    """Tracks allowed per artist: 2 per 25 (at least 1)."""
    return max(1, round(2 * length / DEFAULT_LENGTH))


def _current_mean(pool: pd.DataFrame, keys: tuple[str, ...], feature: str) -> float:
    values = pool.loc[list(keys), feature] if keys else pool[feature]
    mean = values.mean()
    if pd.isna(mean):
        mean = pool[feature].mean()
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
    notes += [f"No artist called “{m}” in your history or the catalog." for m in missing]
    tracks, missing = find_tracks(pool, turn.like_tracks)
    notes += [f"No track called “{m}” in your history or the catalog." for m in missing]
    gone_artists, missing = find_artists(pool, turn.exclude_artists)
    notes += [f"There was no “{m}” to remove." for m in missing]
    gone_tracks, missing = find_tracks(pool, turn.exclude_tracks)
    notes += [f"There was no track “{m}” to remove." for m in missing]
    familiarity = s.familiarity
    if turn.familiarity is not None:
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
    ), notes




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


def _seed_profile(pool: pd.DataFrame, s: Settings) -> np.ndarray | None:
    keys = list(s.seed_tracks) + list(s.liked)
    seeds = pool.loc[[k for k in keys if k in pool.index]]
    artist_rows = pool[_artist_mask(pool, s.seed_artists)]
    rows = pd.concat([seeds, artist_rows])
    values = rows[list(FEATURES)].to_numpy(dtype=float)
    if not len(values) or np.isnan(values).all():
        return None
    known = ~np.isnan(values)
    counts = known.sum(axis=0)
    sums = np.where(known, values, 0.0).sum(axis=0)
    return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)  # NaN: no seed has that feature


def score(pool: pd.DataFrame, s: Settings, current: tuple[str, ...] = ()) -> pd.Series:
    """How well each pool track fits the settings (higher is better)."""
    values = pool[list(FEATURES)].to_numpy(dtype=float)
    total = np.zeros(len(pool))
    for feature, target in s.targets:
        column = values[:, FEATURES.index(feature)]
        distance = np.where(np.isnan(column), UNKNOWN_DISTANCE, np.abs(column - target))
        total -= (3.0 if feature in s.latest else 2.0) * distance
    profile = _seed_profile(pool, s)
    if profile is not None:
        known = ~np.isnan(profile)
        gap = np.abs(values[:, known] - profile[known])
        distance = np.where(np.isnan(gap), UNKNOWN_DISTANCE, gap).mean(axis=1)
        total -= 2.0 * distance
    seeded = _artist_mask(pool, s.seed_artists).to_numpy() | pool["artist_norm"].isin(
        pool.loc[[k for k in s.seed_tracks + s.liked if k in pool.index], "artist_norm"]).to_numpy()
    total += 0.6 * seeded
    if s.genres:
        total += 0.8 * _genre_mask(pool, s.genres).to_numpy()
    if s.add_era:
        total += 0.8 * _in_era(pool, s.add_era).to_numpy()
    if s.genres and s.add_era:  # "90s hip-hop": both at once is what was asked
        total += 0.4 * (_genre_mask(pool, s.genres) & _in_era(pool, s.add_era)).to_numpy()
    # how much the person likes a track: the taste model's percentile where one is trained
    # (it ranks never-played catalog tracks too), else the log of their plays; the
    # familiar/new balance itself is a quota (compose), not a score
    plays = pool["plays"].to_numpy(dtype=float)
    liking = np.log1p(plays) / max(np.log1p(plays.max()), 1.0)
    if "liking" in pool.columns:  # the trained hybrid's own score (core.taste.scoring), as it ships
        liking = np.where(np.isnan(pool["liking"].to_numpy(dtype=float)), liking, pool["liking"].to_numpy(dtype=float))
    total += 0.5 * liking
    if s.targets and not pool["has_features"].all():
        total -= 0.05 * (~pool["has_features"].to_numpy())
    if current:
        total += STICKY_BONUS * pool.index.isin(list(current))
    return pd.Series(total, index=pool.index)


def _pick(ranked: list[str], pool: pd.DataFrame, length: int, minutes: float | None,
          start: list[str] | None = None, cap: int | None = None, known_quota: int | None = None,
          strict_keys: set[str] | None = None, positions: np.ndarray | None = None) -> list[str]:
    """Take tracks in rank order under the per-artist cap until the length (or minutes) is reached.

    ``known_quota``: how many of the tracks should be ones the person played (the
    familiar/new dial); the quota is a preference: when one side runs out, the other fills.
    The quota only reaches ``strict_keys`` (the tracks of a genre or era asked for) when
    given, so it never pulls in a track that fits nothing asked for.
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
    known_wanted = None if known_quota is None else {True: known_quota, False: max(0, target - known_quota)}
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
    feature = "energy" if order.startswith("energy") else "tempo"
    values = pool.loc[keys, feature]
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


def add_like(pool: pd.DataFrame, s: Settings, current: tuple[str, ...], count: int) -> list[str]:
    """The current tracks plus ``count`` new ones nearest the seeds."""
    ranked, positions, allowed_keys = _ranked(pool, s, ())
    kept = [k for k in current if k in allowed_keys]
    return _pick(ranked, pool, len(kept) + count, None, start=kept, positions=positions)


def reasons(pool: pd.DataFrame, keys: Sequence[str], s: Settings) -> tuple[str, ...]:
    """One line per track on why it is in the playlist.

    The chosen rows are taken from the pool once, as plain records: reading a 30-column
    pool row by row cost 5 ms a track (most of a refinement's time on a large library).
    """
    rows = pool.loc[list(keys)]
    seeded = _artist_mask(rows, s.seed_artists).to_numpy() if s.seed_artists else np.zeros(len(rows), bool)
    in_genre = _genre_mask(rows, s.genres).to_numpy() if s.genres else np.zeros(len(rows), bool)
    wanted = ["artist_name", "plays", "genre", "has_features", "release_year", *FEATURES]
    if "affinity" in rows.columns:
        wanted.append("affinity")
    return tuple(_reason(key, row, s, bool(by_seed), bool(genre_wanted))
                 for key, row, by_seed, genre_wanted in zip(keys, rows[wanted].to_dict("records"), seeded, in_genre))


def _reason(key: str, row: dict, s: Settings, by_seed: bool, genre_wanted: bool) -> str:
    parts = []
    if key in s.liked:
        parts.append("you liked it")
    elif key in s.seed_tracks:
        parts.append("you asked for it")
    elif by_seed:
        parts.append(f"by {row['artist_name']}, whom you asked for")
    if row["plays"] > 0:
        parts.append(f"you played it {int(row['plays'])} time{'s' if row['plays'] != 1 else ''}")
    else:
        parts.append("new to you" + (f" ({row['genre']})" if isinstance(row["genre"], str) else ""))
        if row.get("affinity", float("nan")) >= 0.9:  # NaN compares False
            parts.append(f"your taste model puts it in your top {max(1, round((1 - row['affinity']) * 100))}%")
    fits = [f"tempo {row[f] * TEMPO_SCALE:.0f} BPM" if f == "tempo" else f"{f} {row[f]:.2f}"
            for f, _ in s.targets if not pd.isna(row[f])]
    if fits:
        parts.append("fits " + ", ".join(fits))
    elif s.targets and not row["has_features"]:
        parts.append("sound unknown (no audio features)")
    if genre_wanted:
        parts.append(f"genre {row['genre']}")
    if (s.add_era or s.era) and not pd.isna(row["release_year"]):
        parts.append(f"from {int(row['release_year'])}")
    text = "; ".join(parts)
    return text[0].upper() + text[1:]


def apply_turn(pool: pd.DataFrame, previous: Version | None, turn: Turn) -> Version:
    """The next version of the playlist after a turn (a new playlist when there is none yet)."""
    if previous is None:
        turn = turn.model_copy(update={"action": "new"})
    settings = previous.settings if previous else Settings()
    current = previous.track_keys if previous and turn.action == "refine" else ()
    new, notes = fold_turn(pool, settings, turn, current)
    resound = (turn.action == "new" or bool(turn.shifts) or bool(turn.genres and not turn.add_count)
               or turn.familiarity is not None or turn.add_era is not None
               or (bool(turn.like_artists or turn.like_tracks) and not turn.add_count))
    if turn.add_count and current:
        keys = add_like(pool, new, current, turn.add_count)
        new = replace(new, length=len(keys), minutes=None)
        keys = _order(pool, keys, new.order, seed=len(keys))
    elif resound or not current:
        keys = compose(pool, new, current)
    else:
        keys = compose(pool, new, current, keep=True)
    if turn.shifts and not pool["has_features"].any():
        notes.append("None of these tracks has audio features, so the sound asked for cannot be matched: "
                     "add a catalog on the Catalog page.")
    if (turn.era or turn.exclude_era or turn.add_era) and pool["release_year"].isna().all():
        notes.append("No release years are known for these tracks, so eras cannot be used: "
                     "add a catalog on the Catalog page.")
    _, relaxed = effective_cap(pool, new, allowed(pool, new), new.length)
    if relaxed and (previous is None or turn.action == "new" or relaxed != effective_cap(
            pool, previous.settings, allowed(pool, previous.settings), previous.settings.length)[1]):
        notes.append(relaxed)  # said when it starts or changes, not on every turn
    if len(keys) < (new.length if new.minutes is None else 1):
        notes.append(f"Only {len(keys)} track{'s fit' if len(keys) != 1 else ' fits'} everything asked so far.")
    name = turn.name or (previous.name if previous and turn.action == "refine" else default_name(turn))
    return Version(name=name, track_keys=tuple(keys), reasons=reasons(pool, keys, new),
                   settings=new, reading=turn.reading, notes=tuple(notes))


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
    first = apply_turn(pool, previous, base)
    out = [("as asked", first)]
    for label, change in _direction_candidates(pool, first, base):
        if len(out) == count:
            break
        variant = apply_turn(pool, previous, base.model_copy(update=change))
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


def default_name(turn: Turn) -> str:
    """A short name from the request: "Calm, acoustic indie folk", "Tame Impala × Daft Punk"."""
    moods = [_MOOD_NAMES[(s.feature, s.direction)] for s in turn.shifts][:2]
    what = turn.genres or turn.only_genres
    if turn.like_artists:
        subject = " × ".join(turn.like_artists[:3])
    elif what:
        subject = " & ".join(what[:2])
    else:
        subject = "mix"
    era = turn.era or turn.add_era
    if era:
        subject = (f"{era.start}s " if era.end - era.start == 9 and era.start % 10 == 0 else
                   f"{era.start}–{era.end} ") + subject
    name = (", ".join(moods) + " " + subject) if moods else subject
    return name[0].upper() + name[1:]


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
