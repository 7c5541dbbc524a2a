"""One chat turn end to end, and the conversation it builds (the page, the CLI and the benchmark
share it).

message -> ``core.chat.interpret`` (Gemini or the local interpreter) -> ``Turn`` ->
``core.chat.compose.apply_turn`` on the candidate pool -> a new version in the
``Conversation``. A turn that fails or is not understood leaves the playlist as it was.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from core.chat.composer import Version, apply_turn, directions
from core.chat.gemini import gemini_config
from core.chat.interpreter import CAPABILITIES, Vocabulary, interpret


@dataclass
class Conversation:
    """Every version of one chat's playlist. Undo goes to the version a version was made
    from; going back to any version and changing it keeps the later versions too."""

    versions: list[Version] = field(default_factory=list)
    parents: list[int] = field(default_factory=list)
    current: int = -1
    options: list[tuple[str, Version]] = field(default_factory=list)  # directions offered, not yet picked

    def pick(self, index: int) -> Version:
        """Take one of the directions offered: it becomes the next version."""
        if not 0 <= index < len(self.options):
            raise IndexError(f"no direction {index + 1}")
        chosen = self.options[index][1]
        self.options = []
        self.push(chosen)
        return chosen

    @property
    def version(self) -> Version | None:
        return self.versions[self.current] if self.versions else None

    def push(self, version: Version) -> None:
        self.versions.append(version)
        self.parents.append(self.current)
        self.current = len(self.versions) - 1

    def undo(self) -> bool:
        """Back to the version the current one was made from; False when there is none."""
        if self.current < 0 or self.parents[self.current] < 0:
            return False
        self.current = self.parents[self.current]
        return True

    def go_to(self, index: int) -> None:
        if not 0 <= index < len(self.versions):
            raise IndexError(f"no version {index + 1}")
        self.current = index


def summary(pool: pd.DataFrame, version: Version | None, vocabulary: Vocabulary) -> dict:
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


def pick_direction(conversation: Conversation, index: int) -> Reply:
    """Take direction ``index`` (0-based; -1: the last) of those offered."""
    count = len(conversation.options)
    if not count:
        return Reply("There are no directions to pick from: ask for some first (“give me three directions”).",
                     False, "local")
    if not -count <= index < count:
        return Reply(f"There {'is only 1 direction' if count == 1 else f'are only {count} directions'} to pick "
                     f"from.", False, "local")
    index %= count
    label = conversation.options[index][0]
    conversation.pick(index)
    return Reply(f"Took direction {index + 1}: {label}.", True, "local")


def take_turn(pool: pd.DataFrame, vocabulary: Vocabulary, conversation: Conversation,
              message: str, client_factory: Callable[[str], object] | None = None) -> Reply:
    """Run one chat turn: interpret the message and, if understood, push the next version
    (or offer several directions to pick from)."""
    current = conversation.version
    # the summary is for Gemini only: not built on the offline path
    data = summary(pool, current, vocabulary) if gemini_config()[0] else {}
    result = interpret(message, vocabulary, current is not None, data,
                                 client_factory)
    if result.pick is not None:
        return pick_direction(conversation, result.pick)
    offline = "" if result.engine == "gemini" else "(offline interpreter) "
    notes = " ".join(result.notes)
    if result.undo:
        if conversation.undo():
            return Reply(f"{offline}Back to version {conversation.current + 1}.", True, result.engine)
        return Reply(f"{offline}Nothing to undo.", False, result.engine)
    if result.turn is None:
        return Reply(f"{offline}{notes + ' ' if notes else ''}I did not understand that. I can: "
                     f"{CAPABILITIES}.", False, result.engine)
    conversation.options = []  # any other turn drops directions that were not picked
    if result.turn.options:
        offered = directions(pool, current, result.turn)
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
    version = apply_turn(pool, current, result.turn)
    conversation.push(version)
    text = " ".join(part for part in (offline + (version.reading or "Done."), *version.notes, notes) if part)
    return Reply(text, True, result.engine)
