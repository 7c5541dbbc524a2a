"""The chat pipeline shared by the Chat page, the CLI and the benchmark.

message -> ``core.assistant`` (Gemini or the local interpreter) -> ``Turn`` ->
``core.playlist.apply_turn`` on the candidate pool -> a new version in the
``Conversation``. A turn that fails or is not understood leaves the playlist as it was.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlite_utils import Database

from core import assistant, explore, playlist, store

# Catalog tracks beyond the history that join the pool (most popular first): enough for
# discovery, small enough that a turn stays well under 0.1 s with a 1.2M-track catalog.
MAX_CATALOG_CANDIDATES = 50_000


def model_affinity(db: Database, profile: str, plays: pd.DataFrame) -> pd.Series | None:
    """How much the profile's latest taste model likes each track it knows, as a percentile
    (0..1) by track_key; None when no model has been trained.

    The person's row is their recency-weighted history plus the chat's likes and dislikes,
    solved against the model's item factors as the Taste model page does.
    """
    from core import interactions, model, recommend

    loaded = model.load_profile_model(db, profile)
    if loaded is None:
        return None
    _, fitted, ix = loaded
    row = recommend.taste_row(ix, interactions.music_plays(plays), feedback=store.list_feedback(db, profile))
    taste = fitted.taste_scores(row)
    ok = np.isfinite(taste)
    ranks = np.full(len(taste), np.nan)
    ranks[ok] = model.percentile_ranks(taste[ok])
    return pd.Series(ranks, index=pd.Index(ix.track_keys_, dtype=object))


def load_pool(db: Database, profile: str, plays: pd.DataFrame | None = None) -> pd.DataFrame:
    """The profile's candidate pool: its music history and catalog tracks with features,
    with the taste model's ``affinity`` (0..1) where a trained model knows the track.

    ``plays``: the profile's plays when already loaded (the page's cached frame).
    """
    if plays is None:
        plays = explore.load_plays(db, profile)
    features = pd.DataFrame(store.matched_features(db, profile))
    if features.empty:
        features = pd.DataFrame(columns=["track_key", "catalog_track_id", "genre", "release_year", "duration_ms",
                                         *playlist.FEATURES])
    catalog = pd.DataFrame(store.catalog_tracks_with_features(db, limit=MAX_CATALOG_CANDIDATES))
    if catalog.empty:
        catalog = pd.DataFrame(columns=["track_id", "track_name", "artist_name", "album_name", "genre",
                                        "release_year", "duration_ms", *playlist.FEATURES])
    pool = playlist.build_pool(plays, features, catalog)
    affinity = model_affinity(db, profile, plays)
    if affinity is not None:
        pool["affinity"] = affinity.reindex(pool.index).to_numpy(dtype=float)
    return pool


def summary(pool: pd.DataFrame, version: playlist.Version | None, vocabulary: assistant.Vocabulary) -> dict:
    """What the language model sees (as data): the playlist in short, the store's genres, eras and top artists."""
    top = pool.nlargest(30, "plays")["artist_name"].dropna().unique()[:20].tolist()
    years = pool["release_year"].dropna()
    data = {
        "genres": list(vocabulary.genres[:40]),
        "release_years": [int(years.min()), int(years.max())] if len(years) else None,
        "top_artists": top,
        "playlist": None,
    }
    if version is not None:
        rows = pool.loc[list(version.track_keys)]
        data["playlist"] = {
            "name": version.name,
            "tracks": [f"{a} — {t}" for a, t in zip(rows["artist_name"].fillna("?"), rows["track_name"].fillna("?"))][:40],
            "mean_energy": _round(rows["energy"].mean()), "mean_valence": _round(rows["valence"].mean()),
        }
    return data


def _round(value: float) -> float | None:
    return None if pd.isna(value) else round(float(value), 2)


@dataclass(frozen=True)
class Reply:
    """What the assistant says after a turn, and whether the playlist changed."""

    text: str
    changed: bool
    engine: str


_ORDINALS = {"first": 0, "1": 0, "one": 0, "second": 1, "2": 1, "two": 1, "third": 2, "3": 2, "three": 2,
             "fourth": 3, "4": 3, "four": 3, "last": -1}
_PICK = re.compile(r"^(?:ok(?:ay)?,?\s+)?(?:i(?:'ll| will)? (?:take|pick|choose|go with)|(?:let'?s )?(?:take|pick|choose|"
                   r"go with)|option|number|direction)?\s*(?:the\s+)?(first|second|third|fourth|last|one|two|three|"
                   r"four|[1-4])(?:st|nd|rd|th)?(?:\s+(?:one|option|direction))?(?:\s+please)?[.!]?$")


def pick_direction(conversation: playlist.Conversation, message: str) -> Reply | None:
    """"the second one", "option 3", "go with the first": take a direction that was offered."""
    found = _PICK.match(" ".join(message.lower().split()))
    if not conversation.options or not found:
        return None
    index = _ORDINALS[found.group(1)]
    if index >= len(conversation.options):
        return Reply(f"There are only {len(conversation.options)} directions to pick from.", False, "local")
    label = conversation.options[index][0]
    conversation.pick(index)
    return Reply(f"Took direction {index + 1 if index >= 0 else conversation.current + 1}: {label}.", True, "local")


def take_turn(pool: pd.DataFrame, vocabulary: assistant.Vocabulary, conversation: playlist.Conversation,
              message: str, client_factory: Callable[[str], object] | None = None) -> Reply:
    """Run one chat turn: interpret the message and, if understood, push the next version
    (or offer several directions to pick from)."""
    picked = pick_direction(conversation, message)
    if picked is not None:
        return picked
    current = conversation.version
    # the summary is for Gemini only: not built on the offline path
    data = summary(pool, current, vocabulary) if assistant.gemini_config()[0] else {}
    result = assistant.interpret(message, vocabulary, current is not None, data,
                                 client_factory)
    offline = "" if result.engine == "gemini" else "(offline interpreter) "
    notes = " ".join(result.notes)
    if result.undo:
        if conversation.undo():
            return Reply(f"{offline}Back to version {conversation.current + 1}.", True, result.engine)
        return Reply(f"{offline}Nothing to undo.", False, result.engine)
    if result.turn is None:
        return Reply(f"{offline}{notes + ' ' if notes else ''}I did not understand that. I can: "
                     f"{assistant.CAPABILITIES}.", False, result.engine)
    conversation.options = []  # any other turn drops directions that were not picked
    if result.turn.options:
        offered = playlist.directions(pool, current, result.turn)
        if len(offered) == 1:  # nothing else comes out different: just take it
            version = offered[0][1]
            conversation.push(version)
            text = " ".join(part for part in (
                offline + (version.reading or "Done."), *version.notes,
                "Only one direction comes out different with what the store holds (add a catalog for audio "
                "features and new tracks).", notes) if part)
            return Reply(text, True, result.engine)
        conversation.options = offered
        listed = "; ".join(f"{n}) {label}" for n, (label, _) in enumerate(conversation.options, start=1))
        text = (f"{offline}{result.turn.reading or ''} Here are {len(conversation.options)} directions: {listed}. "
                "Pick one (“the second one”).").strip()
        return Reply(" ".join(part for part in (text, notes) if part), True, result.engine)
    version = playlist.apply_turn(pool, current, result.turn)
    conversation.push(version)
    text = " ".join(part for part in (offline + (version.reading or "Done."), *version.notes, notes) if part)
    return Reply(text, True, result.engine)
