"""Chat messages -> validated ``Turn`` edits: Gemini when a key is set, else (or when
the call fails) the local interpreter for English.

Neither ever produces a track: a turn only names qualities, genres, eras, artists and
titles, and ``core.chat.compose`` resolves those against real tracks. Gemini's side is ``core.chat.gemini``.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
from pydantic import ValidationError

from core import names
from core.chat.gemini import GeminiFailed, gemini_config, interpret_gemini, make_client
from core.chat.requests import Era, Shift, Turn

CAPABILITIES = (
    "start a playlist from a mood, genre, era or artists (“calm acoustic evening”, “90s hip-hop”, "
    "“like Tame Impala meets Daft Punk, no remixes”); "
    "more or less energy, happiness, danceability, acoustic, instrumental, tempo (“more upbeat”, “calmer”); "
    "add N tracks like an artist or track; remove an artist, track, genre or era (“no Coldplay”, “no 80s”); "
    "keep only an era or genre (“only 90s”); shorter or longer (“20 minutes”, “30 tracks”); "
    "more familiar or more new music; reorder (“build up energy”, “shuffle”); rename (“call it Sunday”); "
    "several directions to pick from (“give me three directions”, then “the second one”); undo"
)


@dataclass(frozen=True)
class Interpretation:
    """What a message asks for: a turn (None when not understood), undo, or one of the
    directions offered (``pick``: 0-based, -1 the last)."""

    turn: Turn | None
    undo: bool = False
    pick: int | None = None
    engine: str = "local"  # "gemini" or "local"
    notes: tuple[str, ...] = ()  # e.g. why Gemini was not used


@dataclass(frozen=True)
class Vocabulary:
    """What the store holds, for recognising names in a message: folded genres and artists."""

    genres: tuple[str, ...] = ()
    artists: tuple[str, ...] = ()  # folded names, as in the pool's artist_norm
    artist_names: dict[str, str] = field(default_factory=dict)  # folded -> as written

    @classmethod
    def from_pool(cls, pool: pd.DataFrame) -> Vocabulary:
        genres = sorted({g for g in pool["genre_norm"] if g}, key=len, reverse=True)
        names: dict[str, str] = {}
        for norm, name in zip(pool["artist_norm"], pool["artist_name"]):
            for part, written in zip(norm.split(", "), re.split(r"\s*;\s*|,\s+", str(name))):
                if part and len(part) >= 2:
                    names.setdefault(part, written)
        return cls(genres=tuple(genres), artists=tuple(sorted(names, key=len, reverse=True)), artist_names=names)



# word -> (feature, direction); comparatives and plain adjectives alike
_QUALITY_WORDS: dict[str, list[tuple[str, str]]] = {
    "upbeat": [("energy", "more"), ("valence", "more")],
    "energetic": [("energy", "more")], "energy": [("energy", "more")], "intense": [("energy", "more")],
    "louder": [("energy", "more")], "harder": [("energy", "more")], "heavier": [("energy", "more")],
    "happy": [("valence", "more")], "happier": [("valence", "more")], "cheerful": [("valence", "more")],
    "positive": [("valence", "more")], "brighter": [("valence", "more")], "sunny": [("valence", "more")],
    "sad": [("valence", "less")], "sadder": [("valence", "less")], "melancholy": [("valence", "less")],
    "melancholic": [("valence", "less")], "darker": [("valence", "less")], "moody": [("valence", "less")],
    "calm": [("energy", "less")], "calmer": [("energy", "less")], "chill": [("energy", "less")],
    "chilled": [("energy", "less")], "mellow": [("energy", "less")], "mellower": [("energy", "less")],
    "relaxed": [("energy", "less")], "relaxing": [("energy", "less")], "quieter": [("energy", "less")],
    "softer": [("energy", "less")], "gentle": [("energy", "less")], "gentler": [("energy", "less")],
    "sleepy": [("energy", "less"), ("acousticness", "more")],
    "danceable": [("danceability", "more")], "dance": [("danceability", "more")],
    "groovy": [("danceability", "more")], "groovier": [("danceability", "more")],
    "acoustic": [("acousticness", "more")], "unplugged": [("acousticness", "more")],
    "electronic": [("acousticness", "less")],
    "instrumental": [("instrumentalness", "more")],
    "faster": [("tempo", "more")], "fast": [("tempo", "more")], "slower": [("tempo", "less")],
    "slow": [("tempo", "less")],
    "speech": [("speechiness", "more")], "spoken": [("speechiness", "more")], "talky": [("speechiness", "more")],
    "danceability": [("danceability", "more")], "valence": [("valence", "more")],
    "acousticness": [("acousticness", "more")], "tempo": [("tempo", "more")],
}
# situations -> qualities (only when starting a playlist or when no quality word was found)
_MOOD_PHRASES: list[tuple[str, list[tuple[str, str]]]] = [
    (r"wiped out|exhausted|long day|tired|wind(?:ing)? down|unwind|sleep|bedtime|late night",
     [("energy", "less"), ("acousticness", "more")]),
    (r"rainy|rain\b|cozy|cosy|autumn|fall evening", [("energy", "less"), ("acousticness", "more"), ("valence", "less")]),
    (r"party|workout|gym|running|\brun\b|pump(?:ed)? up|hype", [("energy", "more"), ("danceability", "more")]),
    (r"focus|study|studying|concentrat|deep work|coding", [("instrumentalness", "more"), ("speechiness", "less")]),
    (r"summer|road trip|good vibes|feel good|feel-good", [("valence", "more"), ("energy", "more")]),
    (r"heartbreak|breakup|break-up|crying|lonely", [("valence", "less"), ("energy", "less")]),
]
_NO_VOCALS = re.compile(r"\b(?:no|without) (?:vocals|singing|words|lyrics)\b")
_LESS_TALK = re.compile(r"\b(?:less|fewer) (?:talk|talking|speech|spoken|rap(?:ping)?)\b|\bless talky\b")
_NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                 "eight": 8, "nine": 9, "ten": 10, "a few": 3, "some": 5, "a couple of": 2, "couple of": 2,
                 "twenty": 20, "fifteen": 15, "thirty": 30, "half an": 0.5, "forty": 40, "fifty": 50}
_NUM = r"(\d+(?:\.\d+)?|a few|a couple of|couple of|half an|an|a|one|two|three|four|five|six|seven|eight|nine|ten|some|fifteen|twenty|thirty|forty|fifty)"
_REFINE_START = re.compile(
    r"^(?:please |now |ok(?:ay)? |and |also |then |but )*(?:more|less|add|remove|drop|no|without|only|just|keep|"
    r"make|shorter|longer|fewer|rename|call|name|build|reorder|shuffle|swap|replace|exclude|skip|less|put|take|"
    r"cut|extend|slower|faster|calmer|happier|sadder|louder|quieter|not|lose|get rid|give it|can you make|turn)\b")
_ORDINALS = {"first": 0, "1": 0, "one": 0, "second": 1, "2": 1, "two": 1, "third": 2, "3": 2, "three": 2,
             "fourth": 3, "4": 3, "four": 3, "fifth": 4, "5": 4, "five": 4, "last": -1}
# "the second one", "option 3", "go with the first", "the last one": one of the directions offered
_PICK = re.compile(r"^(?:ok(?:ay)?,?\s+)?(?:i(?:'ll| will)? (?:take|pick|choose|go with)|(?:let'?s )?(?:take|pick|choose|"
                   r"go with)|option|number|direction)?\s*(?:the\s+)?(first|second|third|fourth|fifth|last|one|two|"
                   r"three|four|five|[1-5])(?:st|nd|rd|th)?(?:\s+(?:one|option|direction))?(?:\s+please)?[.!]?$")
_DECADES = {"fifties": 1950, "sixties": 1960, "seventies": 1970, "eighties": 1980, "nineties": 1990}


def _decade(text: str) -> re.Match | None:
    return re.search(r"\b(?:(19|20)?(\d)0)['’]?s\b|\b(fifties|sixties|seventies|eighties|nineties)\b", text)


def _decade_span(m: re.Match) -> tuple[int, int]:
    if m.group(3):
        start = _DECADES[m.group(3)]
    else:
        century, digit = m.group(1), int(m.group(2))
        start = (int(century) * 100 if century else (2000 if digit <= 2 else 1900)) + digit * 10
    return start, start + 9


def _era_in(text: str) -> tuple[int, int] | None:
    """A release-year span in the text: a decade, 'before/after/since YEAR', 'YEAR-YEAR'."""
    m = re.search(r"\b(19\d\d|20\d\d)\s*(?:-|–|to|until)\s*(19\d\d|20\d\d)\b", text)
    if m:
        return int(m.group(1)), int(m.group(2))
    m = re.search(r"\b(?:before|pre|older than)\s*-?\s*(19\d\d|20\d\d)\b", text)
    if m:
        return 1900, int(m.group(1)) - 1
    m = re.search(r"\b(?:after|since|from|post)\s*-?\s*(19\d\d|20\d\d)\b", text)
    if m:
        return int(m.group(1)) + (1 if "after" in m.group(0) or "post" in m.group(0) else 0), 2100
    m = _decade(text)
    if m:
        return _decade_span(m)
    return None


def _number(text: str) -> float:
    return float(_NUMBER_WORDS.get(text, text)) if text in _NUMBER_WORDS else float(text)


@functools.lru_cache(maxsize=8)
def _name_index(names: tuple[str, ...]) -> tuple[frozenset[str], int]:
    """The names as a set, and the most words any of them has."""
    return frozenset(names), max((n.count(" ") + 1 for n in names), default=0)


def _find_names(text: str, names: tuple[str, ...]) -> list[str]:
    """Names (folded) that occur in the folded text as whole words, longest first, not overlapping.

    Looks up every run of up to as many words as the longest name in a set, so the cost
    grows with the message, not with the ten thousand artists of a big library.
    """
    known, most = _name_index(names)
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
    found: list[tuple[int, int, str]] = []
    for size in range(min(most, len(words)), 0, -1):
        for first in range(len(words) - size + 1):
            start, end = words[first][0], words[first + size - 1][1]
            candidate = text[start:end]
            if candidate in known and not any(s < end and start < e for s, e, _ in found):
                found.append((start, end, candidate))
    # longest first (as the names are ordered), each once
    order = {name: i for i, name in enumerate(dict.fromkeys(n for _, _, n in sorted(found, key=lambda f: (
        -(f[1] - f[0]), f[0]))))}
    return list(order)


def _quoted(message: str) -> list[str]:
    return [a or b for a, b in re.findall(r"[\"“”]([^\"“”]+)[\"“”]|‘([^’]+)’", message)]


def interpret_local(message: str, vocabulary: Vocabulary, has_playlist: bool) -> Interpretation:
    """Read an English message into a Turn with patterns and the store's genres and artists.

    Returns ``Interpretation(turn=None)`` when nothing in it was understood. Each part of a
    request is read by its own ``_read_*`` function into ``turn`` (the Turn's fields) and
    ``said`` (the words of the reply's "I read that as: …").
    """
    raw = message.strip()
    text = names.normalise_text(raw) if raw else ""
    if re.fullmatch(r"(?:please )?(?:undo|go back|back|revert|undo that|undo the last (?:change|turn))[.!]?", text):
        return Interpretation(turn=None, undo=True)
    picked = _PICK.match(" ".join(raw.lower().split()))
    if picked:
        return Interpretation(turn=None, pick=_ORDINALS[picked.group(1)])
    action = "refine" if has_playlist and _REFINE_START.search(text) else "new"
    if has_playlist and action == "new" and not re.search(r"\b(?:new|another|fresh|start over|instead|playlist|"
                                                          r"give me|make me|build|create|i want|something)\b", text):
        action = "refine"
    turn: dict = {"action": action}
    said: list[str] = []
    # exclusions first, so that what follows "no"/"without" is not also read as wanted
    excluded = _read_exclusions(text, vocabulary, turn, said)
    kept = "".join(ch if not any(s <= i < e for s, e in excluded) else " " for i, ch in enumerate(text))
    _read_length(kept, turn, said)
    named = _read_seeds(raw, kept, vocabulary, turn, said)
    named |= _read_genres_and_era(kept, vocabulary, has_playlist, turn, said)
    _read_qualities(text, raw.lower(), excluded, action == "new", named, turn, said)
    _read_familiarity(text, raw.lower(), action, turn, said)
    _read_order(text, action, turn, said)
    _read_name(raw, turn, said)
    _read_options(text, has_playlist, turn, said)
    if len(turn) == 1:  # only the action: nothing was understood
        return Interpretation(turn=None)
    try:
        return Interpretation(turn=Turn(reading=_reading(said), **turn))
    except ValidationError:
        return Interpretation(turn=None)


def _read_exclusions(text: str, vocabulary: Vocabulary, turn: dict, said: list[str]) -> list[tuple[int, int]]:
    """"no remixes", "no live", "no 80s", "without <artist>", "no <genre>", "remove <title>";
    returns the spans read, which nothing else may read as wanted."""
    spans: list[tuple[int, int]] = []
    for m in re.finditer(r"\b(?:no|without|remove|drop|exclude|skip|lose|cut|get rid of|not|nothing|none|no more)"
                         r"\s+(?:tracks |songs |music )?(?:by |from |of )?(.+?)(?=$| and | but |,|;|\.|!)",
                         text):
        target = m.group(1).strip()
        spans.append(m.span())
        if re.fullmatch(r"remix(?:es)?", target):
            turn["no_remixes"] = True
            said.append("no remixes")
            continue
        if re.fullmatch(r"live(?: versions?| tracks?| recordings?)?", target):
            turn["no_live"] = True
            said.append("no live versions")
            continue
        if target in ("vocals", "singing", "words", "lyrics"):  # read as a quality
            continue
        genres = _find_names(target, vocabulary.genres)
        era = _era_in(target)
        if era and not genres:
            turn["exclude_era"] = Era(start=era[0], end=era[1])
            said.append(f"nothing from {era[0]}–{min(era[1], 2100)}")
            continue
        artists = _find_names(target, vocabulary.artists)
        if artists and (not genres or len(artists[0]) >= len(genres[0])):
            names = [vocabulary.artist_names.get(a, a) for a in artists]
            turn.setdefault("exclude_artists", []).extend(names)
            said.append("no " + ", ".join(names))
        elif genres:
            turn.setdefault("exclude_genres", []).extend(genres)
            said.append("no " + ", ".join(genres))
        elif target and not re.fullmatch(r"(?:more|less|longer|shorter|so|too|that|this|it|them|those)\b.*", target):
            turn.setdefault("exclude_tracks", []).append(target)
            said.append(f"without “{target}”")
    return spans


def _read_length(kept: str, turn: dict, said: list[str]) -> None:
    """"20 minutes", "an hour", "30 tracks", "add 5 songs", "shorter", "longer"."""
    m = re.search(rf"\b{_NUM}\s*(?:-\s*)?(hours?|hrs?|minutes?|mins?)\b", kept)
    if m:
        amount = _number(m.group(1)) * (60 if m.group(2).startswith("h") else 1)
        turn["minutes"] = amount
        said.append(f"about {amount:g} minutes")
    m = re.search(r"\b(?:add|with|plus|throw in|put in)\s+" + _NUM + r"\s+(?:more\s+)?(?:tracks?|songs?)", kept)
    if m:
        turn["add_count"] = int(_number(m.group(1)))
    else:
        m = re.search(r"\b(\d+)\s+(?:tracks?|songs?)\b", kept)
        if m:
            turn["count"] = int(m.group(1))
            said.append(f"{turn['count']} tracks")
    if "minutes" not in turn and "count" not in turn:
        for word, factor in (("shorter", 0.6), ("longer", 1.4)):
            if re.search(rf"\b{word}\b", kept):
                turn["resize"] = factor
                said.append(word)


def _read_seeds(raw: str, kept: str, vocabulary: Vocabulary, turn: dict, said: list[str]) -> bool:
    """Tracks to sound like (quoted, or "like the song X") and artists named; whether any."""
    like_tracks = _quoted(raw)
    for m in re.finditer(r"\b(?:(?:like|similar to|more like)\s+(?:the\s+)?(?:song|track)|(?:song|track)\s+called)"
                         r"\s+(.+?)(?=$| and | but |,|;|\.|!)", kept):
        candidate = m.group(1).strip()
        if candidate and not re.match(r"(?:by|from|of|for|to|with|in|about|i|you|that|this)\b", candidate):
            like_tracks.append(candidate)
    # an artist named inside a quoted title is part of the title
    artists = [a for a in _find_names(kept, vocabulary.artists)
               if not any(a in names.normalise_text(t) for t in like_tracks)]
    if like_tracks:
        turn["like_tracks"] = like_tracks
        said.append("like " + ", ".join(f"“{t}”" for t in like_tracks))
    if artists:
        names = [vocabulary.artist_names.get(a, a) for a in artists]
        turn["like_artists"] = names
        said.append("like " + " and ".join(names))
    return bool(like_tracks or artists)


def _read_genres_and_era(kept: str, vocabulary: Vocabulary, has_playlist: bool, turn: dict, said: list[str]) -> bool:
    """Genres (wanted, or "only …") and a release era ("90s", "before 1970", "only 90s",
    "add some 90s …"); whether any."""
    genres = _find_names(kept, vocabulary.genres)
    era_text = kept
    for genre in genres:  # a genre's own name ("90s rock") is not an era
        era_text = re.sub(rf"(?<![\w]){re.escape(genre)}(?![\w])", " ", era_text)
    era = _era_in(era_text)
    only = re.search(r"\b(?:only|just|nothing but|exclusively|keep only)\b", kept)
    adding = has_playlist and re.search(r"\b(?:add|throw in|mix in|some|a bit of|a few)\b", kept)
    if genres:
        if only and not era:
            turn["only_genres"] = genres
            said.append("only " + ", ".join(genres))
        else:
            turn["genres"] = genres
            said.append(", ".join(genres))
    if era:
        span = f"{era[0]}–{era[1]}" if era[1] < 2100 else f"{era[0]} on"
        if adding and not only:
            turn["add_era"] = Era(start=era[0], end=min(era[1], 2100))
            said.append(f"some from {span}")
        else:
            turn["era"] = Era(start=era[0], end=min(era[1], 2100))
            said.append(f"released {'from ' if era[1] >= 2100 else ''}{span}")
    return bool(genres or era)


_ORDERING = re.compile(r"\b(?:build(?:s|ing)? up|ramp up|wind(?:ing)? down|cool(?:ing)? down)(?: the)? "
                       r"(?:energy|tempo)\b|\benergy up\b|\btempo up\b")


def _read_qualities(text: str, lower: str, excluded: list[tuple[int, int]], new_playlist: bool, named: bool,
                    turn: dict, said: list[str]) -> None:
    """More/less of audio qualities ("more upbeat", "calmer", "no vocals"), and moods from
    what the person says ("long day, I'm wiped out")."""
    shifts: dict[str, str] = {}
    order_spans = [m.span() for m in _ORDERING.finditer(text)]  # "build up energy" is an order
    for m in re.finditer(r"\b(more|less|fewer|not so|not as|too|lower|higher|less of|more of)?\s*"
                         r"([a-z]+(?:-[a-z]+)?)\b", text):
        if any(s <= m.start() < e for s, e in excluded) or any(s <= m.start(2) < e for s, e in order_spans):
            continue
        modifier, word = m.group(1), m.group(2)
        for feature, direction in _QUALITY_WORDS.get(word, []):
            if word == "dance" and re.search(r"\bdance\s+(?:pop|rock|punk|hall)", text):
                continue
            flip = modifier in ("less", "fewer", "not so", "not as", "too", "lower")
            shifts[feature] = ("less" if direction == "more" else "more") if flip else direction
    if _NO_VOCALS.search(text):
        shifts["instrumentalness"] = "more"
    if _LESS_TALK.search(text):
        shifts["speechiness"] = "less"
    # situations are read outside quoted titles, and in a refinement only when it names
    # nothing else ("more like 'Rain on Tin'" is not a rainy request)
    if new_playlist or not (shifts or named):
        outside_quotes = re.sub(r"[\"“”‘’][^\"“”‘’]*[\"“”‘’]", " ", lower)
        for pattern, qualities in _MOOD_PHRASES:
            if re.search(pattern, outside_quotes):
                for feature, direction in qualities:
                    shifts.setdefault(feature, direction)
    if shifts:
        turn["shifts"] = [Shift(feature=f, direction=d) for f, d in shifts.items()]
        said.extend(_describe(f, d) for f, d in shifts.items())


def _read_familiarity(text: str, lower: str, action: str, turn: dict, said: list[str]) -> None:
    """"my favourites", "more familiar", "something new", "a mix of old and new"."""
    if re.search(r"\b(?:more familiar|stuff i know|songs i know|tracks i know|my favou?rites|favou?rites|"
                 r"classics|what i know|i know and love|old favou?rites)\b", text):
        turn["familiarity"] = "more_familiar" if action == "refine" else "familiar"
        said.append("mostly music you know")
    elif re.search(r"\b(?:discover|discovery|new to me|new music|something new|fresh|haven'?t heard|"
                   r"never heard|less familiar|more new|unknown to me|new stuff)\b", lower):
        turn["familiarity"] = "more_discovery" if action == "refine" else "discovery"
        said.append("mostly music new to you")
    elif re.search(r"\bmix of (?:old and new|new and old|familiar and new)\b", text):
        turn["familiarity"] = "mix"
        said.append("a mix of known and new")


def _read_order(text: str, action: str, turn: dict, said: list[str]) -> None:
    """"build up energy", "wind down", "shuffle", "faster and faster"."""
    if re.search(r"\b(?:build(?:s|ing)? up|start (?:slow|calm|quiet)|ramp up|crescendo|energy up|"
                 r"end (?:strong|loud|high))\b", text):
        turn["order"], word = "energy_up", "building up energy"
    elif action == "refine" and re.search(r"\b(?:wind(?:ing)? down|cool(?:ing)? down|end (?:calm|quiet|slow)|"
                                          r"start (?:strong|loud))\b", text):
        turn["order"], word = "energy_down", "winding down"
    elif re.search(r"\bshuffle\b", text):
        turn["order"], word = "shuffle", "shuffled"
    elif re.search(r"\b(?:faster and faster|speed up|tempo up|increasing tempo)\b", text):
        turn["order"], word = "tempo_up", "tempo rising"
    else:
        return
    said.append(word)


def _read_name(raw: str, turn: dict, said: list[str]) -> None:
    """"call it Sunday Morning": a name is not a request for tracks, so it replaces what was
    read out of its words."""
    m = re.search(r"\b(?:call it|rename it(?: to)?|rename to|name it|title it|rename)\s+[\"“']?(.+?)[\"”']?\s*$", raw,
                  flags=re.IGNORECASE)
    if not m:
        return
    for key in ("like_artists", "like_tracks", "genres", "only_genres", "shifts", "era", "add_era",
                "exclude_artists", "exclude_genres", "exclude_tracks", "exclude_era", "familiarity", "order"):
        turn.pop(key, None)
    turn["name"] = m.group(1).strip()[:100]
    said[:] = [f"named “{turn['name']}”"]


def _read_options(text: str, has_playlist: bool, turn: dict, said: list[str]) -> None:
    """"give me three directions": several takes to pick from (for this playlist, if there is one)."""
    m = re.search(r"\b(two|three|four|2|3|4|a few|several|some)\s+(?:different\s+)?"
                  r"(?:directions|options|versions|takes|alternatives|ideas)\b", text)
    if not m:
        return
    turn["options"] = {"two": 2, "2": 2, "four": 4, "4": 4}.get(m.group(1), 3)
    said.append(f"{turn['options']} directions to choose from")
    if has_playlist and set(turn) == {"action", "options"}:
        turn["action"] = "refine"


def _describe(feature: str, direction: str) -> str:
    words = {
        ("energy", "more"): "more energy", ("energy", "less"): "calm, low energy",
        ("valence", "more"): "happier", ("valence", "less"): "sadder, darker",
        ("danceability", "more"): "more danceable", ("danceability", "less"): "less danceable",
        ("acousticness", "more"): "acoustic", ("acousticness", "less"): "electronic",
        ("instrumentalness", "more"): "instrumental", ("instrumentalness", "less"): "with vocals",
        ("speechiness", "more"): "more spoken word", ("speechiness", "less"): "less talking",
        ("tempo", "more"): "faster", ("tempo", "less"): "slower",
    }
    return words[(feature, direction)]


def _reading(parts: list[str]) -> str:
    return "I read that as: " + ", ".join(dict.fromkeys(parts)) + "." if parts else ""


def interpret(message: str, vocabulary: Vocabulary, has_playlist: bool, summary: dict,
              client_factory: Callable[[str], object] | None = None) -> Interpretation:
    """Gemini when GEMINI_API_KEY is set (falling back to the local interpreter when the call
    fails), else the local interpreter. Undo never reaches Gemini."""
    local = interpret_local(message, vocabulary, has_playlist)
    if local.undo or local.pick is not None:
        return local
    key, model = gemini_config()
    if not key:
        return local
    try:
        client = (client_factory or make_client)(key)
        turn = interpret_gemini(client, model, message, summary)
    except GeminiFailed as exc:
        return Interpretation(turn=local.turn, engine="local",
                              notes=(*local.notes, f"{exc}; used the offline interpreter."))
    if turn.action == "refine" and not has_playlist:  # nothing to refine: as the local interpreter reads it
        turn = turn.model_copy(update={"action": "new"})
    return Interpretation(turn=turn, engine="gemini")
