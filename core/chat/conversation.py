"""One chat turn end to end, and the conversation it builds (the page, the CLI and the benchmark
share it).

message -> ``core.chat.interpret`` (Gemini or the local interpreter) -> ``Turn`` ->
``core.chat.compose.apply_turn`` on the candidate pool -> a new version in the
``Conversation``. A turn that fails or is not understood leaves the playlist as it was.
"""
from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
from sqlite_utils import Database

from core import store
from core.chat.composer import Settings, Version, apply_turn, directions, reasons
from core.chat.gemini import gemini_config
from core.chat.interpreter import CAPABILITIES, Vocabulary, interpret
from core.chat.requests import FEATURES, TEMPO_SCALE

NEW_PLAYLIST = "New playlist"


@dataclass
class Conversation:
    """Every version of one chat's playlist, and what was said. Undo goes to the version a
    version was made from; going back to any version and changing it keeps the later
    versions too. ``chat_id``: its row in the store once saved (``save``)."""

    versions: list[Version] = field(default_factory=list)
    parents: list[int] = field(default_factory=list)
    current: int = -1
    options: list[tuple[str, Version]] = field(default_factory=list)  # directions offered, not yet picked
    log: list[tuple[str, str]] = field(default_factory=list)  # (role, text): "user" or "assistant"
    chat_id: int | None = None

    @property
    def name(self) -> str:
        return self.version.name if self.version is not None else NEW_PLAYLIST

    def to_json(self) -> str:
        """The conversation as a JSON document (directions offered and not picked are not kept)."""
        return json.dumps({"versions": [dataclasses.asdict(v) for v in self.versions], "parents": self.parents,
                           "current": self.current, "log": [list(m) for m in self.log]}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str, pool: pd.DataFrame | None = None) -> Conversation:
        """A conversation read back; with ``pool``, tracks the pool no longer holds (after an
        import or a song edit) are left out of each version and its reasons rewritten."""
        data = json.loads(text)
        versions = [_version(v, pool) for v in data["versions"]]
        return cls(versions=versions, parents=list(data["parents"]), current=int(data["current"]),
                   log=[(role, said) for role, said in data.get("log", [])])

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
    """What the language model sees (as data): who the listener is, what the store holds, and
    the playlist in short.

    ``listener`` lets the model resolve requests about their own music and taste ("songs I
    love", "less mainstream", "my usual"): their most streamed artists and loved songs, the
    genres and release decades of what they stream (shares of streams, where known), the
    years they listened in, and their typical sound and popularity (medians over their songs,
    estimates included)."""
    data = {"listener": _listener(pool),
            "store": {"genres": list(vocabulary.genres[:40]), "release_years": _span(pool["release_year"])},
            "playlist": None}
    if version is not None:
        rows = pool.loc[list(version.track_keys)]
        data["playlist"] = {
            "name": version.name,
            "tracks": [f"{n}. {a} — {t}" for n, (a, t) in enumerate(
                zip(rows["artist_name"].fillna("?"), rows["track_name"].fillna("?")), start=1)][:40],
            "mean_energy": _round(_column(rows, "energy").mean()),
            "mean_valence": _round(_column(rows, "valence").mean()),
        }
    return data


SUMMARY_TOP = 15  # artists and loved songs the model sees


def _listener(pool: pd.DataFrame) -> dict:
    mine = pool[pool["plays"].to_numpy(dtype=float) > 0] if "plays" in pool.columns else pool.iloc[:0]
    if mine.empty:
        return {"songs_streamed": 0}
    plays = mine["plays"].astype(float)
    artists = plays.groupby(mine["artist_name"].astype(object).fillna("?")).sum().nlargest(SUMMARY_TOP)
    loved = mine.nlargest(SUMMARY_TOP, "love") if "love" in mine.columns else mine.nlargest(SUMMARY_TOP, "plays")
    years = sorted(int(c[len("streams_"):]) for c in mine.columns if re.fullmatch(r"streams_\d{4}", str(c)))
    sound = {f: _round(_column(mine, f"sound_{f}").median()) for f in FEATURES}
    sound["tempo"] = None if sound["tempo"] is None else round(sound["tempo"] * TEMPO_SCALE)
    return {
        "songs_streamed": len(mine),
        "top_artists": [str(a) for a in artists.index],
        "loved_songs": [f"{a} — {t}" for a, t in zip(loved["artist_name"].fillna("?"), loved["track_name"].fillna("?"))],
        "genres": _shares(mine["genre"], plays, 8) if "genre" in mine.columns else {},
        "release_decades": _shares((mine["release_year"] // 10 * 10).map(
            lambda y: None if pd.isna(y) else f"{int(y)}s"), plays, 6),
        "listening_years": [years[0], years[-1]] if years else None,
        "typical_sound": {f: v for f, v in sound.items() if v is not None},
        "typical_popularity": _round(_column(mine, "popularity").median()),
    }


def _shares(labels: pd.Series, weights: pd.Series, top: int) -> dict:
    """The labels' shares of the weight (known labels only), largest first."""
    known = labels.notna().to_numpy()
    if not known.any():
        return {}
    totals = weights[known].groupby(labels[known].astype(object)).sum()
    return {str(k): round(float(v), 2) for k, v in (totals / totals.sum()).nlargest(top).items()}


def _span(years: pd.Series) -> list[int] | None:
    years = years.dropna()
    return [int(years.min()), int(years.max())] if len(years) else None


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    return frame[name].astype(float) if name in frame.columns else pd.Series(dtype=float)


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
    (or offer several directions to pick from). Nothing a person types raises: a message
    that cannot be used gets a plain reply and leaves the playlist as it was."""
    current = conversation.version
    # the summary is for Gemini only: not built on the offline path
    data = summary(pool, current, vocabulary) if gemini_config()[0] else {}
    result = interpret(message, vocabulary, current is not None, data, client_factory)
    if result.pick is not None:
        return pick_direction(conversation, result.pick)
    offline = "" if result.engine == "gemini" else "(offline interpreter) "
    notes = " ".join(result.notes)
    if result.undo:
        if conversation.undo():
            return Reply(f"{offline}Back to version {conversation.current + 1}.", True, result.engine)
        return Reply(f"{offline}Nothing to undo: this is the first version.", False, result.engine)
    if result.problem:
        return Reply(f"{offline}{result.problem}", False, result.engine)
    if result.turn is None:
        unused = f" (“{' '.join(result.unused)}”)" if result.unused else ""
        return Reply(f"{offline}{notes + ' ' if notes else ''}I did not understand that{unused}. I can: "
                     f"{CAPABILITIES}.", False, result.engine)
    said = _said(result)
    conversation.options = []  # any other turn drops directions that were not picked
    if result.turn.options:
        offered = directions(pool, current, result.turn)
        if len(offered) == 1:  # nothing else comes out different: just take it
            version = offered[0][1]
            conversation.push(version)
            text = " ".join(part for part in (
                offline + (version.reading or "Done."), *version.notes,
                "Only one direction comes out different with what the store holds (add a catalog for audio "
                "features and new tracks).", said, notes) if part)
            return Reply(text, True, result.engine)
        conversation.options = offered
        listed = "; ".join(f"{n}) {label}" for n, (label, _) in enumerate(conversation.options, start=1))
        text = (f"{offline}{result.turn.reading or ''} Here are {len(conversation.options)} directions: {listed}. "
                "Pick one (“the second one”).").strip()
        return Reply(" ".join(part for part in (text, said, notes) if part), True, result.engine)
    version = apply_turn(pool, current, result.turn)
    if _nothing_found(result.turn, version, current):
        return Reply(" ".join(part for part in (offline.strip(), *version.notes,
                                                 "The playlist is as it was." if current else "") if part),
                     False, result.engine)
    conversation.push(version)
    text = " ".join(part for part in (offline + (version.reading or "Done."), *version.notes, said, notes) if part)
    return Reply(text, True, result.engine)


def _said(result) -> str:
    """What the reply adds about the message itself: typos read as keywords, words not used."""
    parts = []
    if result.corrected:
        parts.append("(Read " + ", ".join(f"“{typed}” as “{read}”" for typed, read in result.corrected) + ".)")
    if result.unused:
        parts.append(f"I did not use: “{' '.join(result.unused)}”.")
    return " ".join(parts)


def _nothing_found(turn, version: Version, previous: Version | None) -> bool:
    """Whether the turn asked only for artists or tracks that are not there ("like Nobody")."""
    asked = turn.model_dump(exclude_defaults=True, exclude={"action", "reading"})
    names_only = set(asked) <= {"like_artists", "like_tracks", "add_count"} and asked
    before = previous.settings if previous is not None and turn.action == "refine" else Settings()
    found = (set(version.settings.seed_artists) - set(before.seed_artists)) or (
        set(version.settings.seed_tracks) - set(before.seed_tracks))
    return bool(names_only) and not found


def _tuples(value):
    """JSON lists back to the tuples the settings hold (nested, as in ``targets``)."""
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def _version(data: dict, pool: pd.DataFrame | None) -> Version:
    settings = Settings(**{k: _tuples(v) for k, v in data["settings"].items() if k in Settings.__dataclass_fields__})
    keys, why = tuple(data["track_keys"]), tuple(data["reasons"])
    if pool is not None and any(k not in pool.index for k in keys):
        keys = tuple(k for k in keys if k in pool.index)
        why = reasons(pool, keys, settings)
    return Version(name=data["name"], track_keys=keys, reasons=why, settings=settings, reading=data.get("reading", ""),
                   notes=tuple(data.get("notes", ())), named=bool(data.get("named", False)))


def save(db: Database, profile: str, conversation: Conversation) -> int:
    """Write the conversation to the store (its own row, made on the first save); return its id."""
    version = conversation.version
    conversation.chat_id = store.save_chat(db, profile, conversation.chat_id, conversation.name,
                                           len(version.track_keys) if version else 0, conversation.to_json())
    return conversation.chat_id


def open_saved(db: Database, profile: str, chat_id: int, pool: pd.DataFrame | None = None) -> Conversation:
    """A conversation read back from the store (``Conversation.from_json``)."""
    conversation = Conversation.from_json(store.load_chat(db, profile, chat_id), pool)
    conversation.chat_id = chat_id
    return conversation


def duplicate(db: Database, profile: str, chat_id: int) -> int:
    """A copy of a saved conversation, named "… (copy)"; return the copy's id."""
    conversation = open_saved(db, profile, chat_id)
    if conversation.version is not None:
        conversation.versions[conversation.current] = dataclasses.replace(
            conversation.version, name=f"{conversation.version.name} (copy)", named=True)
    conversation.chat_id = None
    return save(db, profile, conversation)


def rename(db: Database, profile: str, chat_id: int, name: str) -> None:
    """Give a saved playlist a name of the person's own (its name stops following the content)."""
    name = " ".join(name.split())[:100]
    conversation = open_saved(db, profile, chat_id)
    if conversation.version is not None:
        conversation.versions[conversation.current] = dataclasses.replace(conversation.version, name=name, named=True)
        save(db, profile, conversation)
    else:
        store.rename_chat(db, profile, chat_id, name)
