"""Chat messages -> validated ``Turn`` edits: Gemini when a key is set, else (or when
the call fails) the local interpreter for English.

Neither ever produces a track: a turn only names qualities, genres, eras, artists and
titles, and ``core.chat.compose`` resolves those against real tracks. Gemini's side is
``core.chat.gemini``.

The local interpreter reads a message part by part, each part by its own ``_read_*``
function, and keeps track of the words each part used: a request is acted on for every
part it understood, and the reply names the words it did not use. Typos of its own
keywords ("upbaet", "favorits") are corrected first and said; only a message with no
usable part at all is "not understood". Rules where the chat issue is silent:
- "songs I love", "my favourites": the listener's own songs they love (streams, recency,
  few skips); "my top songs from 2019": most streamed in that year of listening; "stuff I
  used to play a lot": once on heavy rotation, not lately; "songs I haven't played in
  ages": not streamed for a year; "music I've never heard": only songs never streamed.
- A year with "my"/"I played" reads as when the listener played it, otherwise as a release
  year ("chill 2019 songs" = released in 2019).
- An artist whose name is also an everyday word ("Focus", "Chill", "Morning") is an
  artist only after "like", "by", "from" or "similar to", or when typed with a capital
  inside a sentence.
- Requests in other languages are answered in English with what the interpreter can do
  (Gemini, with a key, reads them).
"""
from __future__ import annotations

import difflib
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
    "start a playlist from a mood, an activity, a genre, an era or artists (“calm acoustic evening”, “90s hip-hop”, "
    "“music for a morning run”, “like Tame Impala meets Daft Punk, no remixes”); from your own listening "
    "(“songs I love”, “my top songs from 2019”, “stuff I used to play a lot”, “music I've never heard”, "
    "“nothing I've overplayed”); more or less energy, happiness, danceability, acoustic, instrumental, tempo "
    "(“more upbeat”, “calmer”); add N tracks like an artist or track (“add 3 like Foo Fighters”, “more like the "
    "second one”); remove an artist, track, genre or era (“no Coldplay”, “no 80s”); keep only an era or genre "
    "(“only 90s”); shorter or longer (“20 minutes”, “30 tracks”); more familiar or more new music; reorder (“build "
    "up energy”, “shuffle”); rename (“call it Sunday”); several directions to pick from (“give me three "
    "directions”, then “the second one”); undo"
)
MAX_MESSAGE = 500  # characters: a request, not a document


@dataclass(frozen=True)
class Interpretation:
    """What a message asks for: a turn (None when not understood), undo, or one of the
    directions offered (``pick``: 0-based, -1 the last). ``unused``: words of the message
    no part of the reading used; ``corrected``: (typed, read as) for typos of keywords;
    ``problem``: why nothing was done, said as it is (empty, too long, another language)."""

    turn: Turn | None
    undo: bool = False
    pick: int | None = None
    engine: str = "local"  # "gemini" or "local"
    notes: tuple[str, ...] = ()  # e.g. why Gemini was not used
    unused: tuple[str, ...] = ()
    corrected: tuple[tuple[str, str], ...] = ()
    problem: str = ""


@dataclass(frozen=True)
class Vocabulary:
    """What the store holds, for recognising names in a message: folded genres and artists."""

    genres: tuple[str, ...] = ()
    artists: tuple[str, ...] = ()  # folded names, as in the pool's artist_norm
    artist_names: dict[str, str] = field(default_factory=dict)  # folded -> as written

    @classmethod
    def from_pool(cls, pool: pd.DataFrame) -> Vocabulary:
        genres = sorted({g for g in pool["genre_norm"] if g}, key=len, reverse=True)
        names_: dict[str, str] = {}
        for norm, name in zip(pool["artist_norm"], pool["artist_name"]):
            for part, written in zip(norm.split(", "), re.split(r"\s*;\s*|,\s+", str(name))):
                if part and len(part) >= 2:
                    names_.setdefault(part, written)
        return cls(genres=tuple(genres), artists=tuple(sorted(names_, key=len, reverse=True)), artist_names=names_)

    def closest_artists(self, name: str, n: int = 3) -> list[str]:
        """The artists whose names look most like ``name`` (as written), for "did you mean"."""
        folded = names.normalise_text(name)
        found = difflib.get_close_matches(folded, self.artists, n=n, cutoff=0.6)
        if len(found) < n:  # a part of a longer name ("Foo" in "Foo Fighters")
            found += [a for a in self.artists if folded and folded in a.split() and a not in found][: n - len(found)]
        return [self.artist_names.get(a, a) for a in found]


# --- words ----------------------------------------------------------------------------

# word -> (feature, direction); comparatives and plain adjectives alike
_QUALITY_WORDS: dict[str, list[tuple[str, str]]] = {
    "upbeat": [("energy", "more"), ("valence", "more")],
    "energetic": [("energy", "more")], "energy": [("energy", "more")], "intense": [("energy", "more")],
    "louder": [("energy", "more")], "harder": [("energy", "more")], "heavier": [("energy", "more")],
    "livelier": [("energy", "more")], "lively": [("energy", "more")], "pumped": [("energy", "more")],
    "happy": [("valence", "more")], "happier": [("valence", "more")], "cheerful": [("valence", "more")],
    "positive": [("valence", "more")], "brighter": [("valence", "more")], "sunny": [("valence", "more")],
    "sad": [("valence", "less")], "sadder": [("valence", "less")], "melancholy": [("valence", "less")],
    "melancholic": [("valence", "less")], "darker": [("valence", "less")], "moody": [("valence", "less")],
    "gloomy": [("valence", "less")], "depressing": [("valence", "less")],
    "calm": [("energy", "less")], "calmer": [("energy", "less")], "chill": [("energy", "less")],
    "chilled": [("energy", "less")], "chillout": [("energy", "less")], "mellow": [("energy", "less")],
    "mellower": [("energy", "less")], "relaxed": [("energy", "less")], "relaxing": [("energy", "less")],
    "quieter": [("energy", "less")], "softer": [("energy", "less")], "gentle": [("energy", "less")],
    "gentler": [("energy", "less")], "peaceful": [("energy", "less")], "soothing": [("energy", "less")],
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
# situations and activities -> qualities (only when starting a playlist, or when a
# refinement names nothing else)
_MOOD_PHRASES: list[tuple[str, list[tuple[str, str]]]] = [
    (r"wiped out|exhausted|long day|tired|wind(?:ing)? down|unwind|sleep(?:ing)?|bedtime|late night|nap\b|"
     r"fall(?:ing)? asleep", [("energy", "less"), ("acousticness", "more")]),
    (r"rainy|rain\b|cozy|cosy|autumn|fall evening|sunday morning", [("energy", "less"), ("acousticness", "more"),
                                                                   ("valence", "less")]),
    (r"\bparty\b|pregame|pre game|club\b|dancing\b", [("energy", "more"), ("danceability", "more")]),
    (r"workout|work out|gym|running|\brun\b|\bjog(?:ging)?\b|cardio|training|lifting|spin class|pump(?:ed)? up|hype",
     [("energy", "more"), ("danceability", "more"), ("tempo", "more")]),
    (r"focus|study|studying|concentrat|deep work|coding|homework|reading\b|\bwork(?:ing)?\b",
     [("instrumentalness", "more"), ("speechiness", "less")]),
    (r"summer|road trip|good vibes|feel good|feel-good|beach|\bdriv(?:e|ing)\b|cleaning|chores",
     [("valence", "more"), ("energy", "more")]),
    (r"\bmorning\b|wake up|waking up|breakfast", [("valence", "more")]),
    (r"heartbreak|breakup|break up|crying|lonely|heartbroken", [("valence", "less"), ("energy", "less")]),
    (r"cheer me up|pick me up|lift my mood|make me happy", [("valence", "more")]),
    (r"dinner|cooking|\bcook\b|meditat|\byoga\b|\bspa\b", [("energy", "less"), ("acousticness", "more")]),
]
# everyday words that are also artist names: such an artist needs "like"/"by"/a capital
_COMMON_WORDS = frozenset("""
a an the and or but for of to in on at by with from about into over after before under again more less most
some any no not nothing only just very really so too me my mine i im ive id you your we our us it its this
that these those them they be is are was were am been being do does did can could would should will shall
may might must have has had get got give make let put take keep add remove drop skip want need like love
music songs song tracks track stuff things playlist mix list set something anything everything one two three
morning evening night day afternoon weekend sunday monday focus study work working run running gym sleep
chill calm happy sad rain summer winter autumn spring party dance love heart home road trip drive driving
cooking dinner coffee beach sun moon star stars fire water blue red green black white gold silver new old
classic classics best top hits favourite favorite favourites favorites forever always never time now today
tonight yesterday girls boys friends family good bad cool hot cold wild free young real true alive life
""".split())
# words that fill a request without asking for anything (never reported as unused)
_FILLER = _COMMON_WORDS | frozenset("""
please pls plz can could would you give me make create build want need some something songs song tracks
track music tunes stuff playlist mix list for a an the of to with and but that this it its is are be
really very just also then now ok okay hey hi hello thanks thank yes yeah kind sort bit little lot lots
im i ive id my me mine we us our bunch few couple get put play playing listen listening hear time good
""".split())
# words of other languages a request would start or be made of; an English request holds none of them
_FOREIGN = frozenset("""
canciones cancion musica para con una unas unos que las los del por favor quiero dame pon
chansons chanson musique pour avec des une je veux moi mets joue
lieder musik mit fur fuer und ein eine ich mochte moechte spiel spiele bitte etwas
canzoni canzone della delle per favore voglio
musicas musica voce quero para mim
muziek liedjes voor met een wil graag
""".split())
_NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                 "eight": 8, "nine": 9, "ten": 10, "a few": 3, "some": 5, "a couple of": 2, "couple of": 2,
                 "twenty": 20, "fifteen": 15, "thirty": 30, "half an": 0.5, "forty": 40, "fifty": 50}
_NUM = (r"(\d+(?:\.\d+)?|a few|a couple of|couple of|half an|an|a|one|two|three|four|five|six|seven|eight|nine|ten|"
        r"some|fifteen|twenty|thirty|forty|fifty)")
_REFINE_START = re.compile(
    r"^(?:please |now |ok(?:ay)? |and |also |then |but |can you |could you )*(?:more|less|add|remove|drop|no|"
    r"without|only|just|keep|make|shorter|longer|fewer|rename|call|name|build|reorder|shuffle|swap|replace|exclude|"
    r"skip|put|take|cut|extend|slower|faster|calmer|happier|sadder|louder|quieter|livelier|not|lose|get rid|"
    r"give it|turn)\b")
_ORDINALS = {"first": 0, "1": 0, "one": 0, "second": 1, "2": 1, "two": 1, "third": 2, "3": 2, "three": 2,
             "fourth": 3, "4": 3, "four": 3, "fifth": 4, "5": 4, "five": 4, "last": -1}
# "the second one", "option 3", "go with the first", "the last one": one of the directions offered
_PICK = re.compile(r"^(?:ok(?:ay)?,?\s+)?(?:i(?:'ll| will)? (?:take|pick|choose|go with)|(?:let'?s )?(?:take|pick|choose|"
                   r"go with)|option|number|direction)?\s*(?:the\s+)?(first|second|third|fourth|fifth|last|one|two|"
                   r"three|four|five|[1-5])(?:st|nd|rd|th)?(?:\s+(?:one|option|direction))?(?:\s+please)?[.!]?$")
_DECADES = {"fifties": 1950, "sixties": 1960, "seventies": 1970, "eighties": 1980, "nineties": 1990}
_ORDINAL_WORDS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
                  "eighth": 8, "ninth": 9, "tenth": 10, "last": -1}
_END = r"(?=$| ,| and | but | or | for | then )"  # where a named thing ends
ARTIST_TYPO_CUTOFF = 0.88  # "wren haloway" is Wren Halloway when no other artist is this close
_MARKERS = frozenset({"like", "by", "from", "more", "some", "and", "with", "the", "a", "an", "of", "similar"})


def _keywords() -> frozenset[str]:
    words = set(_QUALITY_WORDS)
    for pattern, _ in _MOOD_PHRASES:
        words |= {w for w in re.findall(r"[a-z]{4,}", pattern)}
    words |= {"favourite", "favourites", "favorite", "favorites", "minutes", "hours", "tracks", "songs", "shorter",
              "longer", "remixes", "remix", "overplayed", "mainstream", "directions", "familiar", "discovery",
              "shuffle", "instrumental", "acoustic", "playlist", "without", "remove", "nothing", "before", "after"}
    return frozenset(words)


KEYWORDS = _keywords()


# --- the reading of one message -----------------------------------------------------------


class _Reading:
    """A message being read: its folded text, which characters each part has used, and the
    Turn fields and reply words gathered so far."""

    def __init__(self, raw: str, text: str, vocabulary: Vocabulary, has_playlist: bool) -> None:
        self.raw = raw
        self.text = text
        self.vocabulary = vocabulary
        self.has_playlist = has_playlist
        self.used = [False] * len(text)
        self.turn: dict = {}
        self.said: list[str] = []
        self.corrected: list[tuple[str, str]] = []  # artist names typed with a typo

    def take(self, start: int, end: int) -> None:
        for i in range(start, min(end, len(self.text))):
            self.used[i] = True

    def free(self, start: int, end: int) -> bool:
        return not any(self.used[start:end])

    def find(self, pattern: str | re.Pattern, free: bool = True):
        """Matches of ``pattern`` in the text (only those over unused characters when ``free``)."""
        for m in re.finditer(pattern, self.text):
            if not free or self.free(*m.span()):
                yield m

    def masked(self) -> str:
        """The text with the used characters blanked (for names not to be found twice)."""
        return "".join(" " if used else ch for ch, used in zip(self.text, self.used))

    def unused_words(self) -> list[str]:
        out = []
        for m in re.finditer(r"[^\s,]+", self.text):
            word = m.group(0)
            if (not any(self.used[m.start():m.end()]) and word not in _FILLER and not word.isdigit()
                    and not difflib.get_close_matches(word, _FILLER, n=1, cutoff=0.9)):  # "somthing"
                out.append(word)
        return out


def _fold(raw: str) -> str:
    """The message folded for reading: lower case without accents or punctuation (as names
    are folded), clauses kept apart by " , "."""
    parts = [names.normalise_text(p) for p in re.split(r"[,;.!?:()\[\]]+|\s[-–—]+\s", raw)]
    return " , ".join(p for p in parts if p)


def _correct(text: str, vocabulary: Vocabulary) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Keywords typed with a typo, read as the keyword ("upbaet" -> "upbeat"); names of the
    store and ordinary words are left alone, and so is a typo closer to an ordinary word
    than to any keyword."""
    known = set(vocabulary.artists) | set(vocabulary.genres)
    known_words = {w for name in known for w in name.split()}
    fixes = []

    def fix(m: re.Match) -> str:
        word = m.group(0)
        if (len(word) < 5 or word in KEYWORDS or word in _FILLER or word in known_words or word in _FOREIGN
                or word.isdigit()):
            return word
        close = difflib.get_close_matches(word, KEYWORDS | _FILLER, n=1, cutoff=0.82)
        if not close or close[0] not in KEYWORDS:  # "somthing" is "something", not "soothing"
            return word
        fixes.append((word, close[0]))
        return close[0]

    return re.sub(r"[a-z]+", fix, text), tuple(fixes)


def _decade(text: str) -> re.Match | None:
    return re.search(r"\b(?:(19|20)?(\d)0)s\b|\b(fifties|sixties|seventies|eighties|nineties)\b", text)


def _decade_span(m: re.Match) -> tuple[int, int]:
    if m.group(3):
        start = _DECADES[m.group(3)]
    else:
        century, digit = m.group(1), int(m.group(2))
        start = (int(century) * 100 if century else (2000 if digit <= 2 else 1900)) + digit * 10
    return start, start + 9


def _era_match(text: str) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """A year span in the text and where it stands: a decade, 'before/after/since YEAR',
    'YEAR-YEAR' (as '2015 2018' once folded), a single year."""
    m = re.search(r"\b(19\d\d|20\d\d)\s*(?:-|–|to|until|till| )\s*(19\d\d|20\d\d)\b", text)
    if m and int(m.group(1)) <= int(m.group(2)):
        return (int(m.group(1)), int(m.group(2))), m.span()
    m = re.search(r"\b(?:before|pre|older than)\s*-?\s*(19\d\d|20\d\d)\b", text)
    if m:
        return (1900, int(m.group(1)) - 1), m.span()
    m = re.search(r"\b(?:after|since|post)\s*-?\s*(19\d\d|20\d\d)\b", text)
    if m:
        return (int(m.group(1)) + (1 if m.group(0).startswith(("after", "post")) else 0), 2100), m.span()
    m = _decade(text)
    if m:
        return _decade_span(m), m.span()
    m = re.search(r"\b(19[5-9]\d|20[0-3]\d)\b", text)
    if m:
        year = int(m.group(1))
        return (year, year), m.span()
    return None


def _era_in(text: str) -> tuple[int, int] | None:
    found = _era_match(text)
    return found[0] if found else None


def _number(text: str) -> float:
    return float(_NUMBER_WORDS.get(text, text)) if text in _NUMBER_WORDS else float(text)


@functools.lru_cache(maxsize=8)
def _name_index(names_: tuple[str, ...]) -> tuple[frozenset[str], int]:
    """The names as a set, and the most words any of them has."""
    return frozenset(names_), max((n.count(" ") + 1 for n in names_), default=0)


def _find_spans(text: str, names_: tuple[str, ...]) -> list[tuple[int, int, str]]:
    """(start, end, name) of names (folded) that occur in the folded text as whole words,
    longest first, not overlapping. Looks up every run of up to as many words as the longest
    name in a set, so the cost grows with the message, not with the size of the library."""
    known, most = _name_index(names_)
    words = [(m.start(), m.end()) for m in re.finditer(r"[^\s,]+", text)]
    found: list[tuple[int, int, str]] = []
    for size in range(min(most, len(words)), 0, -1):
        for first in range(len(words) - size + 1):
            start, end = words[first][0], words[first + size - 1][1]
            candidate = text[start:end]
            if "," not in candidate and candidate in known and not any(s < end and start < e for s, e, _ in found):
                found.append((start, end, candidate))
    return sorted(found, key=lambda f: (-(f[1] - f[0]), f[0]))


def _find_names(text: str, names_: tuple[str, ...]) -> list[str]:
    return list(dict.fromkeys(name for _, _, name in _find_spans(text, names_)))


def _quoted(message: str) -> list[tuple[str, tuple[int, int]]]:
    return [(m.group(1) or m.group(2), m.span()) for m in re.finditer(r"[\"“”]([^\"“”]+)[\"“”]|‘([^’]+)’", message)]


def _written_with_capital(raw: str, name: str) -> bool:
    """Whether the message writes ``name`` with a capital letter inside a sentence (a name,
    not the everyday word)."""
    pattern = r"(?<![.!?]\s)(?<!^)\b" + r"\W+".join(re.escape(w) for w in name.split()) + r"\b"
    for m in re.finditer(pattern, raw, flags=re.IGNORECASE):
        if m.group(0)[:1].isupper():
            return True
    return False


# --- the parts of a request ---------------------------------------------------------------


def interpret_local(message: str, vocabulary: Vocabulary, has_playlist: bool) -> Interpretation:
    """Read an English message into a Turn with patterns and the store's genres and artists.

    Returns ``Interpretation(turn=None)`` when nothing in it was understood (with
    ``problem`` when there is a reason to say, such as another language). Each part of a
    request is read by its own ``_read_*`` function into the Turn's fields, and the words
    each part uses are marked so that the rest can be reported (``unused``).
    """
    raw = message.strip()
    if not raw:
        return Interpretation(turn=None, problem="Type what you would like to hear, for example “calm acoustic "
                                                 "evening” or “songs I love”.")
    if len(raw) > MAX_MESSAGE:
        return Interpretation(turn=None, problem=f"That message is {len(raw):,} characters long; a request fits in "
                                                 f"{MAX_MESSAGE}. Say what you would like in a sentence or two.")
    text = _fold(raw)
    if re.fullmatch(r"(?:please )?(?:undo|go back|back|revert|undo that|undo the last (?:change|turn))", text):
        return Interpretation(turn=None, undo=True)
    picked = _PICK.match(" ".join(raw.lower().split()))
    if picked:
        return Interpretation(turn=None, pick=_ORDINALS[picked.group(1)])
    if not re.search(r"\w", text):
        return Interpretation(turn=None, problem="Say it in words: for example “upbeat songs for a run”.")
    known_name = _find_names(text, vocabulary.artists) or _find_names(text, vocabulary.genres)
    words = re.findall(r"[^\s,]+", text)
    if not known_name and (len([w for w in words if w in _FOREIGN]) >= 2 or not re.search(r"[a-z]", text)):
        return Interpretation(turn=None, problem="I read requests in English only (the offline interpreter); set "
                                                 "GEMINI_API_KEY to ask in other languages.")
    text, corrected = _correct(text, vocabulary)
    reading = _Reading(raw, text, vocabulary, has_playlist)
    action = "refine" if has_playlist and _REFINE_START.search(text) else "new"
    if has_playlist and action == "new" and not re.search(r"\b(?:new|another|fresh|start over|instead|playlist|"
                                                          r"give me|make me|build|create|i want|something|songs? i|"
                                                          r"music i|my)\b", text):
        action = "refine"
    reading.turn["action"] = action
    _read_name(reading)
    if "name" not in reading.turn:
        _read_positions(reading)
        _read_mine(reading)
        _read_exclusions(reading)
        _read_length(reading)
        _read_seeds(reading)
        _read_genres_and_era(reading)
        _read_order(reading)
        _read_qualities(reading)
        _read_familiarity(reading)
        _read_options(reading)
    turn = reading.turn
    corrected += tuple(reading.corrected)
    if len(turn) == 1:  # only the action: nothing was understood
        return Interpretation(turn=None, unused=tuple(reading.unused_words()), corrected=corrected)
    try:
        parsed = Turn(reading=_reading(reading.said), **turn)
    except ValidationError:
        return Interpretation(turn=None, unused=tuple(reading.unused_words()), corrected=corrected)
    return Interpretation(turn=parsed, unused=tuple(reading.unused_words()), corrected=corrected)


def _read_name(r: _Reading) -> None:
    """"call it Sunday Morning": a name is not a request for tracks, so nothing else is read."""
    m = re.search(r"\b(?:call it|rename it(?: to)?|rename to|name it|title it|rename)\s+[\"“']?(.+?)[\"”']?\s*$", r.raw,
                  flags=re.IGNORECASE)
    if not m:
        return
    r.turn["name"] = m.group(1).strip()[:100]
    r.said[:] = [f"named “{r.turn['name']}”"]
    r.take(0, len(r.text))


def _read_positions(r: _Reading) -> None:
    """"more like the second one", "like track 3", "more like the last song": tracks of the
    playlist by position."""
    if not r.has_playlist:
        return
    pattern = (r"\b(?:more |something |songs |tracks )?(?:like|similar to)\s+(?:the\s+)?(?:(first|second|third|fourth|"
               r"fifth|sixth|seventh|eighth|ninth|tenth|last)(?:\s+(?:one|track|song))?|(?:track|song|number|no)\s*"
               r"(\d{1,3}))\b")
    for m in r.find(pattern):
        position = _ORDINAL_WORDS[m.group(1)] if m.group(1) else int(m.group(2))
        r.turn.setdefault("like_positions", []).append(position)
        r.take(*m.span())
        r.said.append("like the last track" if position == -1 else f"like track {position}")


def _read_mine(r: _Reading) -> None:
    """The listener's own music: "songs I love", "my top songs from 2019", "stuff I used to
    play a lot", "songs I haven't played in ages", "music I've never heard", "nothing I've
    overplayed", and "less mainstream"."""
    patterns = [
        ("no_overplayed", r"\b(?:nothing|none|no songs?|no tracks?|not|no|without)(?: that| which)?\s+(?:i|ive|im)\s*"
                          r"(?:have |ve )?(?:already )?(?:overplayed|played to death|heard too (?:much|often)|"
                          r"played too (?:much|often))\b|\bnot (?:the )?(?:usual|same old)(?: stuff| songs)?\b|"
                          r"\b(?:no|without|nothing) overplayed(?: songs| tracks| stuff)?\b|\bnot overplayed\b"),
        ("never_heard", r"\b(?:music|songs?|tracks?|stuff|things)?\s*(?:that )?(?:i|ive|i have)\s*(?:ve )?(?:never|"
                        r"not (?:yet )?|havent(?: yet)?|have not(?: yet)?)\s*(?:ever )?(?:heard|listened to|played)"
                        r"(?:\s+before)?\b(?! in)|\bnew to me\b"),
        ("not_lately", r"\b(?:i |that i )?(?:havent|have not|didnt|did not|not)\s+(?:played|heard|listened to)"
                       r"(?: them| it)?\s+in\s+(?:ages|a while|a long time|forever|years|months|so long)\b"),
        ("used_to", r"\b(?:i\s+)?used to\s+(?:play|love|listen to|like|blast|have on repeat)(?:\s+(?:a lot|all the "
                    r"time|constantly|so much|nonstop))?\b|\bold favou?rites?\b|\bforgotten favou?rites?\b|"
                    r"\bthrowbacks?(?: of mine)?\b|\bback in the day\b|\brediscover\b"),
        ("top", r"\b(?:my\s+)?(?:top|most (?:streamed|played|listened(?: to)?))\s+(?:songs?|tracks?|hits|music)\b|"
                r"\bmy (?:most played|most listened|top)\b|\bon repeat\b|\bplayed the most\b"),
        ("loved", r"\b(?:songs?|tracks?|music|stuff|things|ones)\s+(?:that\s+)?i\s+(?:really\s+)?(?:love|like|adore|"
                  r"enjoy|dig)\b|\bmy (?:all time )?favou?rites?\b|\bmy faves?\b|\bfavou?rites?\b|\bfavou?rite "
                  r"(?:songs?|tracks?|music)\b|\bi (?:love|like)\b|\bmy (?:own )?(?:music|songs|tracks|stuff)\b"),
    ]
    for kind, pattern in patterns:
        for m in r.find(pattern):
            r.take(*m.span())
            if kind == "no_overplayed":
                r.turn["no_overplayed"] = True
                r.said.append("nothing you have overplayed")
            elif "mine" not in r.turn:
                r.turn["mine"] = kind
                r.said.append({"loved": "songs you love", "top": "your most played", "used_to": "songs you used "
                               "to play a lot", "not_lately": "songs you have not played for a long time",
                               "never_heard": "only music you have never played"}[kind])
            break
    if r.turn.get("mine") in ("loved", "top", "used_to"):  # "from 2019", "in 2019": when they played it
        m = next(r.find(r"\b(?:from|in|of|during|back in)\s+(?:the\s+)?((?:19|20)\d\d(?:\s*(?:-|to| )\s*(?:19|20)\d\d)?|"
                        r"(?:19|20)?\d0s)\b"), None)
        if m:
            era = _era_in(m.group(1))
            if era:
                r.turn["played_in"] = Era(start=era[0], end=min(era[1], 2100))
                r.take(*m.span())
                span = f"{era[0]}" if era[0] == era[1] else f"{era[0]}–{era[1]}"
                r.said.append(f"played in {span}")
    for m in r.find(r"\b(?:less|not so|not too|not)\s+(?:mainstream|popular|commercial|obvious)\b|\bunderground\b|"
                    r"\bobscure\b|\bdeep cuts?\b|\bhidden gems?\b|\blesser known\b|\bless known\b|\bnon mainstream\b"):
        r.turn["less_mainstream"] = True
        r.take(*m.span())
        r.said.append("less mainstream")
        break


def _read_exclusions(r: _Reading) -> None:
    """"no remixes", "no live", "no 80s", "without <artist>", "no <genre>", "remove <title>"."""
    for m in r.find(r"\b(?:no|without|remove|drop|exclude|skip|lose|cut|get rid of|not|nothing|none|no more)"
                    r"\s+(?:any\s+)?(?:tracks |songs |music |stuff )?(?:by |from |of )?(.+?)" + _END):
        target = m.group(1).strip()
        if re.fullmatch(r"(?:more|less|longer|shorter|so|too|that|this|it|them|those|too much|vocals|singing|words|"
                        r"lyrics|talking|speech)\b.*", target):
            continue  # a quality ("no vocals") or not an exclusion ("not so loud")
        r.take(*m.span())
        if re.fullmatch(r"remix(?:es)?|remixed(?: songs| tracks)?", target):
            r.turn["no_remixes"] = True
            r.said.append("no remixes")
            continue
        if re.fullmatch(r"live(?: versions?| tracks?| recordings?| songs?)?", target):
            r.turn["no_live"] = True
            r.said.append("no live versions")
            continue
        genres = _find_names(target, r.vocabulary.genres)
        era = _era_in(target)
        if era and not genres:
            r.turn["exclude_era"] = Era(start=era[0], end=min(era[1], 2100))
            r.said.append(f"nothing from {era[0]}–{min(era[1], 2100)}")
            continue
        artists = _find_names(target, r.vocabulary.artists)
        if artists and (not genres or len(artists[0]) >= len(genres[0])):
            written = [r.vocabulary.artist_names.get(a, a) for a in artists]
            r.turn.setdefault("exclude_artists", []).extend(written)
            r.said.append("no " + ", ".join(written))
        elif genres:
            r.turn.setdefault("exclude_genres", []).extend(genres)
            r.said.append("no " + ", ".join(genres))
        elif target:
            r.turn.setdefault("exclude_tracks", []).append(target)
            r.said.append(f"without “{target}”")


def _read_length(r: _Reading) -> None:
    """"20 minutes", "an hour", "30 tracks", "add 5 songs", "shorter", "longer"."""
    m = next(r.find(rf"\b{_NUM}\s*(?:-\s*)?(hours?|hrs?|minutes?|mins?)\b(?:\s+long)?"), None)
    if m:
        amount = _number(m.group(1)) * (60 if m.group(2).startswith("h") else 1)
        r.turn["minutes"] = amount
        r.take(*m.span())
        r.said.append(f"about {amount:g} minutes")
    m = next(r.find(r"\b(?:add|with|plus|throw in|put in|give me)\s+" + _NUM + r"(?:\s+more)?(?:\s+(?:tracks?|songs?|"
                    r"ones?))?(?=\s+like|\s+by|\s+from|\s+similar|\s+more|$| ,)"), None)
    if m and r.has_playlist and (m.group(0).startswith(("add", "plus", "throw", "put")) or "like" in r.text):
        r.turn["add_count"] = int(_number(m.group(1)))
        r.take(*m.span())
    else:
        # "2019 songs" is a year (read as an era below), not a count
        m = next(r.find(r"\b(\d{1,3})\s+(?:tracks?|songs?|tunes)\b"), None)
        if m and int(m.group(1)) >= 1:
            r.turn["count"] = min(int(m.group(1)), 200)
            r.take(*m.span())
            r.said.append(f"{r.turn['count']} tracks")
    if "minutes" not in r.turn and "count" not in r.turn:
        for word, factor in (("shorter", 0.6), ("longer", 1.4)):
            m = next(r.find(rf"\b(?:make it |a bit |a little )?{word}\b"), None)
            if m:
                r.turn["resize"] = factor
                r.take(*m.span())
                r.said.append(word)


def _read_seeds(r: _Reading) -> None:
    """Tracks to sound like (quoted, or "like the song X"), artists named, and names that
    look like artists the store does not hold ("like Nobody Famous")."""
    like_tracks = []
    for title, _ in _quoted(r.raw):
        like_tracks.append(title)
        folded = names.normalise_text(title)
        for m in r.find(re.escape(folded)) if folded else ():
            r.take(*m.span())
    for m in r.find(r"\b(?:(?:like|similar to|more like)\s+(?:the\s+)?(?:song|track)|(?:song|track)\s+called)"
                    r"\s+(.+?)" + _END):
        candidate = m.group(1).strip()
        if candidate and not re.match(r"(?:by|from|of|for|to|with|in|about|i|you|that|this)\b", candidate):
            like_tracks.append(candidate)
            r.take(*m.span())
    if like_tracks:
        r.turn["like_tracks"] = like_tracks
        r.said.append("like " + ", ".join(f"“{t}”" for t in like_tracks))
    text = r.masked()
    found = []
    for start, end, name in _find_spans(text, r.vocabulary.artists):
        before = text[max(0, start - 24):start]
        marked = re.search(r"\b(?:like|by|from|similar to|sounds like|meets)\s*$", before)
        everyday = all(w in _COMMON_WORDS or w in KEYWORDS for w in name.split()) or name in r.vocabulary.genres
        if name in _MARKERS or (everyday and not marked and not _written_with_capital(r.raw, name)):
            continue  # "music for focus" is not the band Focus, "more like" not the band Like
        found.append(name)
        r.take(start, end)
    # "like X", "by X" where X is no artist of the store: an artist typed with a typo is read
    # as that artist (and said); anything else is kept, so the reply can say so
    for m in r.find(r"\b(?:like|by|similar to|sounds like)\s+((?:[a-z0-9]+\s?){1,4}?)" + _END):
        candidate = m.group(1).strip()
        if (candidate and candidate not in KEYWORDS and not any(w in _FILLER for w in candidate.split()[:1])
                and not _era_in(candidate) and not _find_names(candidate, r.vocabulary.genres)):
            close = difflib.get_close_matches(candidate, r.vocabulary.artists, n=2, cutoff=ARTIST_TYPO_CUTOFF)
            if len(candidate) >= 5 and len(close) == 1:
                r.corrected.append((candidate, r.vocabulary.artist_names.get(close[0], close[0])))
                candidate = close[0]
            found.append(candidate)
            r.take(*m.span())
    if found:
        written = list(dict.fromkeys(r.vocabulary.artist_names.get(a, _title(a)) for a in found))
        r.turn["like_artists"] = written
        r.said.append("like " + " and ".join(written))
    for m in r.find(r"\b(?:like|similar to|sounds like|meets|by)\b"):
        if r.turn.get("like_artists") or r.turn.get("like_tracks") or r.turn.get("like_positions"):
            r.take(*m.span())


def _title(name: str) -> str:
    return " ".join(w.capitalize() for w in name.split())


def _read_genres_and_era(r: _Reading) -> None:
    """Genres (wanted, or "only …") and a release era ("90s", "before 1970", "only 90s",
    "add some 90s …", "2019 songs")."""
    text = r.masked()
    spans = _find_spans(text, r.vocabulary.genres)
    genres = list(dict.fromkeys(name for _, _, name in spans))
    for start, end, _ in spans:
        r.take(start, end)
    era_text = r.masked()
    found = _era_match(era_text)
    only = next(r.find(r"\b(?:only|just|nothing but|exclusively|keep only)\b"), None)
    adding = r.has_playlist and re.search(r"\b(?:add|throw in|mix in|some|a bit of|a few)\b", r.text)
    if genres:
        if only and not found:
            r.turn["only_genres"] = genres
            r.said.append("only " + ", ".join(genres))
            r.take(*only.span())
        else:
            r.turn["genres"] = genres
            r.said.append(", ".join(genres))
    if found:
        era, span = found
        r.take(*span)
        for m in r.find(r"\b(?:from|released in|released|in|of|the)\s+(?=\S*\d)"):  # "from the 90s"
            if m.end() <= span[0] and not r.text[m.end():span[0]].strip(" the"):
                r.take(*m.span())
        text_span = f"{era[0]}–{era[1]}" if era[1] < 2100 and era[0] != era[1] else (
            f"{era[0]}" if era[0] == era[1] else f"{era[0]} on")
        if adding and not only:
            r.turn["add_era"] = Era(start=era[0], end=min(era[1], 2100))
            r.said.append(f"some from {text_span}")
        else:
            r.turn["era"] = Era(start=era[0], end=min(era[1], 2100))
            r.said.append(f"released {'from ' if era[1] >= 2100 else ''}{text_span}" if era[0] != era[1]
                          else f"released in {text_span}")
            if only:
                r.take(*only.span())


_ORDERING = re.compile(r"\b(?:build(?:s|ing)? up|ramp up|wind(?:ing)? down|cool(?:ing)? down)(?: the)? "
                       r"(?:energy|tempo)\b|\benergy up\b|\btempo up\b")


def _read_order(r: _Reading) -> None:
    """"build up energy", "wind down", "cheer me up slowly", "shuffle", "faster and faster"."""
    rules = [
        ("valence_up", "starting sad and getting happier",
         r"\b(?:cheer|pick|lift) (?:me|my mood) up (?:slowly|gradually|bit by bit|little by little|step by step)|"
         r"\b(?:slowly|gradually) (?:cheer|pick|lift) (?:me|my mood) up|\bfrom sad to happy\b"),
        ("energy_up", "building up energy", r"\b(?:build(?:s|ing)? up(?: the)?(?: energy| tempo)?|start (?:slow|calm|"
                                            r"quiet)|ramp up(?: the)?(?: energy)?|crescendo|energy up|end (?:strong|loud|"
                                            r"high))\b"),
        ("energy_down", "winding down", r"\b(?:wind(?:ing)? down|cool(?:ing)? down|end (?:calm|quiet|slow)|start "
                                        r"(?:strong|loud))\b"),
        ("shuffle", "shuffled", r"\bshuffle(?:d| it)?\b"),
        ("tempo_up", "tempo rising", r"\b(?:faster and faster|speed up|tempo up|increasing tempo)\b"),
    ]
    for order, word, pattern in rules:
        if order == "energy_down" and r.turn["action"] != "refine" and not re.search(r"\bend\b", r.text):
            if not re.search(r"\b(?:wind(?:ing)? down|cool(?:ing)? down)\b.*\b(?:then|after|end)\b", r.text):
                continue  # a new "wind down" playlist is a calm one (a mood), not an order
        m = next(r.find(pattern), None)
        if m:
            r.turn["order"] = order
            r.take(*m.span())
            r.said.append(word)
            return


def _read_qualities(r: _Reading) -> None:
    """More/less of audio qualities ("more upbeat", "calmer", "no vocals"), and moods from
    situations and activities ("long day, I'm wiped out", "for a morning run")."""
    shifts: dict[str, str] = {}
    named = any(r.turn.get(k) for k in ("like_artists", "like_tracks", "like_positions", "genres", "only_genres"))
    for m in r.find(r"\b(more|less|fewer|not so|not as|too|lower|higher|less of|more of|a bit|a little|way)?\s*"
                    r"([a-z]+(?:-[a-z]+)?)\b"):
        modifier, word = m.group(1), m.group(2)
        qualities = _QUALITY_WORDS.get(word, [])
        if not qualities:
            continue
        if word == "dance" and re.search(r"\bdance\s+(?:pop|rock|punk|hall)", r.text):
            continue
        for feature, direction in qualities:
            flip = modifier in ("less", "fewer", "not so", "not as", "too", "lower")
            shifts[feature] = ("less" if direction == "more" else "more") if flip else direction
        r.take(*m.span())
    for pattern, feature, direction in ((r"\b(?:no|without|less|fewer)\s+(?:vocals|singing|words|lyrics)\b|"
                                         r"\binstrumentals?\b", "instrumentalness", "more"),
                                        (r"\b(?:less|fewer|no)\s+(?:talk|talking|speech|spoken|rap(?:ping)?)\b|"
                                         r"\bless talky\b", "speechiness", "less")):
        m = next(r.find(pattern), None)
        if m:
            shifts[feature] = direction
            r.take(*m.span())
    if r.turn["action"] == "new" or not (shifts or named):
        for pattern, qualities in _MOOD_PHRASES:  # quoted titles were taken by _read_seeds
            matches = list(r.find(pattern))
            for feature, direction in qualities if matches else ():
                shifts.setdefault(feature, direction)
            for m in matches:
                r.take(*m.span())
    if r.turn.get("order") == "valence_up":  # "I'm sad, cheer me up slowly": the arc, not a sad playlist
        shifts.pop("valence", None)
    if shifts:
        r.turn["shifts"] = [Shift(feature=f, direction=d) for f, d in shifts.items()]
        r.said.extend(_describe(f, d) for f, d in shifts.items())


# (words, the dial for a new playlist, for a refinement, what the reply says), tried in order
_FAMILIARITY = (
    (r"\b(?:more familiar|stuff i know|songs i know|tracks i know|classics|what i know|i know and love|familiar)\b",
     "familiar", "more_familiar", "mostly music you know"),
    (r"\b(?:discover|discovery|new music|something new|fresh|less familiar|more new|unknown to me|new stuff|"
     r"new songs|new tracks|new artists|surprise me)\b", "discovery", "more_discovery", "mostly music new to you"),
    (r"\bmix of (?:old and new|new and old|familiar and new)\b", "mix", "mix", "a mix of known and new"),
)


def _read_familiarity(r: _Reading) -> None:
    """"more familiar", "something new", "a mix of old and new" (the dial; "songs I love" and
    "music I've never heard" are read by ``_read_mine``)."""
    if r.turn.get("mine"):
        return
    for pattern, new, refine, said in _FAMILIARITY:
        m = next(r.find(pattern), None)
        if m:
            r.turn["familiarity"] = refine if r.turn["action"] == "refine" else new
            r.said.append(said)
            r.take(*m.span())
            return


def _read_options(r: _Reading) -> None:
    """"give me three directions": several takes to pick from (for this playlist, if there is one)."""
    m = next(r.find(r"\b(two|three|four|2|3|4|a few|several|some)\s+(?:different\s+)?"
                    r"(?:directions|options|versions|takes|alternatives|ideas)\b"), None)
    if not m:
        return
    r.turn["options"] = {"two": 2, "2": 2, "four": 4, "4": 4}.get(m.group(1), 3)
    r.take(*m.span())
    r.said.append(f"{r.turn['options']} directions to choose from")
    if r.has_playlist and set(r.turn) == {"action", "options"}:
        r.turn["action"] = "refine"


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
    fails), else the local interpreter. Undo, picks, empty and overlong messages never reach
    Gemini."""
    local = interpret_local(message, vocabulary, has_playlist)
    if local.undo or local.pick is not None:
        return local
    if local.problem and not local.problem.startswith("I read requests in English only"):
        return local
    key, model = gemini_config()
    if not key:
        return local
    try:
        client = (client_factory or make_client)(key)
        turn = interpret_gemini(client, model, message, summary)
    except GeminiFailed as exc:
        return Interpretation(turn=local.turn, engine="local", unused=local.unused, corrected=local.corrected,
                              problem=local.problem, notes=(*local.notes, f"{exc}; used the offline interpreter."))
    if turn.action == "refine" and not has_playlist:  # nothing to refine: as the local interpreter reads it
        turn = turn.model_copy(update={"action": "new"})
    return Interpretation(turn=turn, engine="gemini")
