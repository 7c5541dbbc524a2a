"""Names -> keys: when two artist and title spellings mean the same recording.

Pure functions over strings and DataFrames; no SQL, no files. Both the song rule
(``core.history.songs``) and catalog matching (``core.catalog.matching``) compare names
through the keys made here, so the two can never disagree on what a name means.

Text (``normalise_text``)
  Unicode NFKD, case folded, accents dropped ("Beyoncé" = "Beyonce"), "&" read as "and",
  apostrophes (' ’ ‘ ʼ `) dropped so "Don't" = "Dont", every other punctuation or symbol
  character read as a space ("JAY-Z" = "JAY Z"), whitespace collapsed, then NFC again.
  Accents are the combining diacritical marks blocks (Latin, Greek and Cyrillic accents);
  the marks of other scripts stay (kana voicing, Indic vowel signs), so "ガ" is not "カ".
  A text that is nothing but punctuation ("!!!") keeps its characters (case-folded,
  whitespace collapsed) instead of becoming empty.

Artists (``normalise_artist``)
  "Beatles, The" = "The Beatles" = "Beatles": a trailing ", The" moves to the front, then
  leading "the" words are dropped (one word is always kept: "The The" -> "the").
  Featured artists (" feat. ", " ft. ", " featuring ") are cut off. "&" is never a
  separator: "Simon & Garfunkel" is one artist and equals "Simon and Garfunkel".
  A catalog may list several artists in one field ("A, B" or "A; B"): ``match_tracks``
  matches such a row on the whole field first, and else on its leading artists (the first
  one, the first two, the first three; ``leading_artists``). So "Tyler, The Creator" in
  the history matches both "Tyler, The Creator" and the catalog's "Tyler, The Creator,
  Kali Uchis". The history's artist is always one name (Spotify exports name one artist
  per play) and is never split.

Titles (``normalise_title`` -> (base title, version tag or None))
  Trailing parts are peeled off from the right, one at a time: a final bracket "(...)" or
  "[...]", or the part after the last " - " (also " – ", " — "); a part holding " / " is
  judged piece by piece ("Live / Remastered"). Unbracketed " feat. X" / " ft. X" (with the
  dot) is dropped up to the next " - " or bracket. Each part is judged on its normalised
  words; words that only say "this is a version" — "version", "remaster…", "digital(ly)" —
  are ignored first. Then, in this order:

  1. **same recording, dropped** when every word is neutral: a year or ordinal and
     radio, edit, single, album, mono, stereo, original, mix, explicit, clean, bonus,
     track, deluxe, edition, expanded, special, anniversary, short, lp. So "- Remastered
     2011", "(Remastered)", "- 2011 Remaster", "- 1999 - Remaster", "- Radio Edit",
     "(Single Version)", "- Album Version", "- Mono", "- Stereo", "(Original Mix)",
     "- Radio Mix", "(Explicit)", "- Bonus Track" all give the plain song. A radio edit,
     a single version or a mono mix is the same song for audio features (they differ in
     length or channels, not in tempo, key or mood), so they match the album track.
  2. **featured artists, dropped**: a part starting with feat / ft / featuring.
  3. **a different version, kept as the tag**: a part with a version word — live,
     unplugged, session(s), "ao vivo"/"en vivo"/"en directo", remix(ed), rmx, rework,
     bootleg, acoustic (acústico, akustik), instrumental, demo, karaoke, a cappella,
     extended, sped up, slowed, reverb, nightcore, orchestral, symphonic, piano, rehearsal,
     outtake, alternate/alternative, take N, re-recorded, "Taylor's Version", cover — or
     a "mix"/"edit" with a non-neutral word ("Tropical House Mix", "Hardwell Edit"). The
     tag is the part's words without the neutral ones when it has a version word
     ("Felix Jaehn Remix Radio Edit" -> "felix jaehn remix", "Acoustic Version" ->
     "acoustic", "Live at Wembley 1986" keeps its year), and the whole part otherwise.
     So a live version never matches the studio one, a remix never matches the original,
     and two different remixes (or two different concerts) do not match each other;
     "(Live)" and "- Live" do.
  4. **dropped**: "(with X)" (a part starting with "with"), "(Drake ft. Rick Ross)" (a
     part naming featured artists), "(From "Film")" and "- Taken from …" (soundtrack
     credits), and any other part mentioning a remaster.
  5. Anything else stops the peeling and stays in the base title ("(I Can't Get No)
     Satisfaction", "Blue (Da Ba Dee)", "()"). The whole title is never peeled away:
     what stays must normalise to more than dashes.

  Several version parts are joined left to right and judged again as one part:
  "Song (Live) [Acoustic]" -> tag "live acoustic".

Keys (``name_key``) are ``artist \\t base title`` or ``artist \\t base title \\t tag``.
Normalised text never holds a tab, so the parts cannot run into each other. A catalog's
keys (``catalog_keys``, one per row) can be stored at catalog import and passed to
``match_tracks``; without them ``match_tracks`` normalises every catalog artist but only
the titles of the artists the history names.
"""
from __future__ import annotations

import functools
import re
import unicodedata

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_APOSTROPHES = "'`\u2018\u2019\u02bc\u2032"
# ASCII: letters and digits kept, apostrophes dropped, "&" read as "and", the rest a space.
_ASCII_TABLE = {c: " " for c in range(128) if not chr(c).isalnum()}
_ASCII_TABLE.update({ord("'"): None, ord("`"): None, ord("&"): " and "})
_COMBINING = ((0x0300, 0x036F), (0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF), (0x20D0, 0x20FF), (0xFE20, 0xFE2F))


class _FoldTable(dict):
    """A ``str.translate`` table for any code point, filled in on first sight."""

    def __missing__(self, code: int) -> str | int | None:
        char = chr(code)
        if char in _APOSTROPHES or any(lo <= code <= hi for lo, hi in _COMBINING):
            value: str | int | None = None
        elif char == "&":
            value = " and "
        elif unicodedata.category(char)[0] in "PSZC" or (char.isascii() and not char.isalnum()):
            value = " "
        else:
            value = code
        self[code] = value
        return value


_FOLD = _FoldTable(_ASCII_TABLE)


def _fold_unicode(s: str) -> str:
    # casefold can produce characters that decompose further (e.g. "İ" -> "i" + U+0307)
    return unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", s).casefold())


def normalise_text(s: str) -> str:
    """Fold a name for comparison: accents, case, punctuation, "&" = "and", whitespace.

    ``normalise_text("Beyoncé & JAY-Z")`` is ``"beyonce and jay z"``; ``"Don’t"`` is
    ``"dont"``. Text of punctuation only keeps it (``"!!!"``). See the module docstring.
    """
    if s.isascii():
        out = " ".join(s.lower().translate(_ASCII_TABLE).split())
        # nothing but punctuation or symbols: keep them rather than lose the name
        return out or " ".join(s.lower().split())
    s = _fold_unicode(s)
    out = " ".join(s.translate(_FOLD).split())
    if not out:
        out = " ".join("".join(c for c in s if not any(lo <= ord(c) <= hi for lo, hi in _COMBINING)).split())
    # composed again so that kana, Hangul and the like read as they were written
    return unicodedata.normalize("NFC", out)



_TRAILING_THE = re.compile(r"^(.*\S)\s*,\s*the\s*$", re.IGNORECASE | re.DOTALL)
_FEATURED_ARTISTS = re.compile(r" (?:feat|ft|featuring) ")
_LEADING_THE = re.compile(r"^(?:the )+(?=\S)")
_ARTIST_LIST = re.compile(r"\s*;\s*|,\s+")
MAX_LEADING_ARTISTS = 3


def normalise_artist(s: str) -> str:
    """One artist name, normalised: "Beatles, The" = "The Beatles" = "beatles".

    A trailing ", The" moves to the front; featured artists (" feat. X", " ft. X",
    " featuring X") are cut off; leading "the" words are dropped, keeping at least one
    word. "&" is part of the name ("Simon & Garfunkel" = "simon and garfunkel").
    """
    s = _TRAILING_THE.sub(r"the \1", s)
    text = normalise_text(s)
    cut = _FEATURED_ARTISTS.search(text)
    if cut:
        text = text[: cut.start()]
    return _LEADING_THE.sub("", text)


def primary_artist(s: object) -> str | None:
    """The first credited artist of an artist field ("A, B" and "A; B" credit A first),
    folded as ``normalise_text``; None when there is none."""
    if not isinstance(s, str) or not s.strip():
        return None
    return normalise_text(_ARTIST_LIST.split(s.strip())[0]) or None


def leading_artists(s: str) -> list[str]:
    """The normalised first, first two, ... (up to three) artists of a listed artist field.

    Empty when the field names one artist ("A, B" and "A; B" name two; "A & B" one).
    The whole field is not in the list: that is ``normalise_artist(s)``.
    """
    names = [n for n in _ARTIST_LIST.split(s.strip()) if n]
    if len(names) < 2:
        return []
    return [normalise_artist(", ".join(names[:k])) for k in range(1, min(len(names), MAX_LEADING_ARTISTS + 1))
            if k < len(names)]



_YEAR = re.compile(r"(?:19|20)\d\d|\d+(?:st|nd|rd|th)")
_IGNORED = frozenset({"version", "versions", "versao", "versione", "digital", "digitally"})
_NEUTRAL = frozenset({
    "radio", "edit", "single", "album", "mono", "stereo", "original", "mix", "explicit", "clean",
    "bonus", "track", "deluxe", "edition", "expanded", "special", "anniversary", "short", "lp",
})
_VERSION_WORDS = frozenset({
    "live", "unplugged", "session", "sessions", "vivo", "directo", "remix", "remixed", "rmx", "rework",
    "bootleg", "acoustic", "acustico", "acustica", "akustik", "instrumental", "demo", "karaoke",
    "acapella", "cappella", "capella", "extended", "sped", "slowed", "reverb", "nightcore", "orchestral",
    "symphonic", "piano", "rehearsal", "outtake", "alternate", "alternative", "take", "rerecorded",
    "recorded", "taylors", "cover",
})
_FEAT_WORDS = frozenset({"feat", "ft", "featuring"})
_MIX_WORDS = frozenset({"mix", "edit", "mixed"})
_NOT_DASH = re.compile(r"[^\s\-\u2013\u2014]")
_INLINE_FEAT = re.compile(r"\s(?:feat|ft)\.\s", re.IGNORECASE)
_INLINE_FEAT_END = re.compile(r"\s[-\u2013\u2014]\s|\s*[(\[]")
# a title needs peeling only if it has a bracket, a spaced dash or an inline "feat."/"ft."
_NEEDS_PEEL = re.compile(r"[(\[]|\s[-\u2013\u2014]\s|\s(?:feat|ft)\.\s", re.IGNORECASE)
_CLOSERS = {")": "(", "]": "["}
_ALNUM = re.compile(r"[^\W_]")  # a letter or digit (str.isalnum)
_FEAT_START = re.compile(r"(?:feat|ft|featuring)[. ]", re.IGNORECASE | re.ASCII)


def _is_neutral(word: str) -> bool:
    return word in _NEUTRAL or (word[0].isdigit() and _YEAR.fullmatch(word) is not None)


def _judge_part(part: str) -> tuple[str, str | None]:
    """("drop" | "version" | "other", tag) for one trailing part of a title (rules 1-5)."""
    if " / " not in part:
        return _judge_piece(part)
    tags = []
    for piece in part.split(" / "):
        kind, tag = _judge_piece(piece)
        if kind == "other":
            return "other", None
        if tag:
            tags.append(tag)
    return ("version", " ".join(tags)) if tags else ("drop", None)


@functools.lru_cache(maxsize=1 << 16)
def _judge_piece(piece: str) -> tuple[str, str | None]:
    if _FEAT_START.match(piece):
        return "drop", None  # rule 2, without normalising the artists' names
    text = normalise_text(piece)
    if _ALNUM.search(text) is None:
        return "other", None  # "()" or "(!)": nothing to judge, stays in the title
    words = text.split()
    # The words that carry meaning; judging only these makes a tag judge as itself again.
    core = [w for w in words if w not in _IGNORED and not w.startswith("remaster")]
    if _NEUTRAL.issuperset(core) or all(_is_neutral(w) for w in core):
        return "drop", None
    first = core[0]
    if first in _FEAT_WORDS:
        return "drop", None
    if not (_VERSION_WORDS.isdisjoint(core) and _MIX_WORDS.isdisjoint(core)):  # rule 3 (core is not all neutral)
        if not _FEAT_WORDS.isdisjoint(core):
            # "Remix feat. X" -> "remix": featured artists are cut off a tag when it stays a version
            for at, word in enumerate(core):
                if word in _FEAT_WORDS and _is_version(core[:at]):
                    core = core[:at]
                    break
        if not _VERSION_WORDS.isdisjoint(core):
            tag = [w for w in core if not _is_neutral(w)]
            while tag[0] in _FEAT_WORDS:  # "Mix feat. Live": a tag never starts like a credit
                tag = tag[1:]
            return "version", " ".join(tag)
        return "version", " ".join(core)
    if first in ("with", "from") or core[:2] == ["taken", "from"] or not _FEAT_WORDS.isdisjoint(core):
        return "drop", None
    if len(core) < len(words) and any(w.startswith("remaster") for w in words):
        return "drop", None
    return "other", None


def _is_version(core: list[str]) -> bool:
    """Rule 3: a version word, or a "mix"/"edit" said of something (not only neutral words)."""
    return any(w in _VERSION_WORDS for w in core) or (
        any(w in _MIX_WORDS for w in core) and not all(_is_neutral(w) for w in core))


def _has_substance(before: str) -> bool:
    """Whether what stays when a part is peeled off normalises to more than dashes and spaces."""
    return _ALNUM.search(before) is not None or _NOT_DASH.search(normalise_text(before)) is not None


def _drop_inline_featuring(title: str) -> str:
    """Drop " feat. X" / " ft. X" outside brackets, up to the next " - " or bracket."""
    for found in _INLINE_FEAT.finditer(title):
        before = title[: found.start()]
        if before.count("(") + before.count("[") > before.count(")") + before.count("]"):
            continue  # inside a bracket: judged with its part
        if not _has_substance(before):
            return title  # never drop the whole title
        end = _INLINE_FEAT_END.search(title, found.end())
        return before + (title[end.start():] if end else "")
    return title


def _opening_bracket(title: str) -> int:
    """Index of the bracket that opens the one closing ``title``, or -1."""
    depth = 0
    closer = title[-1]
    opener = _CLOSERS[closer]
    for index in range(len(title) - 1, -1, -1):
        char = title[index]
        if char == closer:
            depth += 1
        elif char == opener:
            depth -= 1
            if depth == 0:
                return index
    return -1


def _peel(title: str) -> tuple[str, list[str]]:
    """The title without its recognised trailing parts, and the version tags, left to right."""
    rest = title.strip()
    tags: list[str] = []
    while rest:
        if rest[-1] in _CLOSERS:
            start = _opening_bracket(rest)
            if start < 0:
                break
            part, before = rest[start + 1:-1], rest[:start]
        else:
            cut = rest.rfind(" - ")
            if not rest.isascii():
                cut = max(cut, rest.rfind(" \u2013 "), rest.rfind(" \u2014 "))
            if cut < 0:
                break
            part, before = rest[cut + 3:], rest[:cut]
        if not _has_substance(before):
            break  # never peel the whole title away
        kind, tag = _judge_part(part)
        if kind == "other":
            break
        if tag:
            tags.append(tag)
        rest = before.rstrip()
    return _drop_inline_featuring(rest), tags[::-1]


def normalise_title(s: str) -> tuple[str, str | None]:
    """(base title, version tag or None) of a track title; the rules are in the module docstring.

    ``normalise_title("Bohemian Rhapsody - Remastered 2011")`` is ``("bohemian rhapsody", None)``;
    ``normalise_title("Hey Jude (Live) [feat. X]")`` is ``("hey jude", "live")``.
    """
    if _NEEDS_PEEL.search(s) is None:
        return normalise_text(s), None
    base, tags = _peel(s)
    return normalise_text(base), _joined_tag(tags)


def _joined_tag(tags: list[str]) -> str | None:
    # the joined tags judged as one part, so that "base (tag)" gives the same tag again
    return _judge_piece(" ".join(tags))[1] if tags else None


def _present(value: object) -> bool:
    return isinstance(value, str) and value.strip() != ""


def _title_part(title: str) -> str:
    """``base`` or ``base \\t tag``; "" when the title normalises to nothing."""
    base, tag = normalise_title(title)
    if not base:
        return ""
    return base if tag is None else f"{base}\t{tag}"


def name_key(artist: str | None, title: str | None) -> str | None:
    """The matching key of a track named by artist and title; None if either is missing or blank.

    ``"<artist>\\t<base title>"``, with ``"\\t<version tag>"`` appended for a different
    version: ``name_key("Queen", "Bohemian Rhapsody - Remastered 2011")`` is
    ``"queen\\tbohemian rhapsody"``. The artist is taken as one name (see ``match_tracks``
    for catalogs listing several).
    """
    if not (_present(artist) and _present(title)):
        return None
    artist_part, title_part = normalise_artist(artist), _title_part(title)
    if not (artist_part and title_part):
        return None  # e.g. a title of combining marks only
    return f"{artist_part}\t{title_part}"



_WS = r"[\t-\r\x1c-\x1f ]"  # Python's whitespace in ASCII (str.strip, re's \s)
_WS_CHARS = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f "
_INLINE_FEAT_ASCII = rf"{_WS}(?:feat|ft)\.{_WS}"
_NEEDS_PEEL_ASCII = rf"[(\[]|{_WS}-{_WS}|{_INLINE_FEAT_ASCII}"
# the last character of a title -> its trailing part; "" for any other character: the part
# after the last " - ". A bracket holding brackets does not match and is left to Python.
_TAILS = {")": r"(?s)^(?P<before>.*)\((?P<part>[^()\[\]]*)\)$",
          "]": r"(?s)^(?P<before>.*)\[(?P<part>[^()\[\]]*)\]$",
          "": r"(?s)^(?P<before>.*) - (?P<part>.*)$"}


def _ascii_fast_text(values: pa.Array) -> pa.Array:
    """``normalise_text`` of ASCII strings, in Arrow (a text of punctuation only comes out
    empty here instead of keeping its characters: callers send those through Python)."""
    lowered = pc.ascii_lower(values)
    # most names are words of letters and digits with single spaces: lower-casing is all
    odd = pc.invert(pc.match_substring_regex(values, r"^[A-Za-z0-9]+(?: [A-Za-z0-9]+)*$"))
    if not pc.any(odd).as_py():
        return lowered
    folded = pc.filter(lowered, odd)
    folded = pc.replace_substring_regex(folded, r"['`]", "")
    folded = pc.replace_substring(folded, "&", " and ")
    folded = pc.replace_substring_regex(folded, r"[^a-z0-9]+", " ")
    return pc.replace_with_mask(lowered, odd, pc.utf8_trim(folded, " "))


def _as_numpy(values: pa.Array) -> np.ndarray:
    return values.to_numpy(zero_copy_only=False)


def _take(values: pa.Array, rows: np.ndarray) -> pa.Array:
    return pc.take(values, pa.array(rows, type=pa.int64()))


def _peel_ascii_once(titles: pa.Array) -> np.ndarray:
    """``_title_part`` of ASCII titles that need peeling, where one step of ``_peel`` settles
    it: one trailing part, then nothing more to peel. None where it does not (left to Python)."""
    out = np.full(len(titles), None, dtype=object)
    stripped = pc.utf8_trim(titles, _WS_CHARS)
    last = _as_numpy(pc.utf8_slice_codeunits(stripped, -1))
    before = np.full(len(titles), None, dtype=object)
    part = np.full(len(titles), None, dtype=object)
    for closer, pattern in _TAILS.items():
        rows = np.flatnonzero(last == closer) if closer else np.flatnonzero((last != ")") & (last != "]"))
        if rows.size:
            found = pc.extract_regex(_take(stripped, rows), pattern)
            valid = _as_numpy(found.is_valid())
            before[rows[valid]] = _as_numpy(found.field("before"))[valid]
            part[rows[valid]] = _as_numpy(found.field("part"))[valid]
    has_feat = _as_numpy(pc.match_substring_regex(titles, _INLINE_FEAT_ASCII, ignore_case=True))
    no_part = np.flatnonzero((part == None) & (last != ")") & (last != "]") & ~has_feat)  # noqa: E711
    # no " - " and no closing bracket: nothing to peel
    whole_rows = [no_part]
    at = np.flatnonzero(part != None)  # noqa: E711
    keep_going = np.array([_has_substance(b) for b in before[at]], dtype=bool)
    whole_rows.append(at[~keep_going & ~has_feat[at]])  # never peel the whole title away
    at = at[keep_going]
    codes, parts = pd.factorize(part[at])
    judged = [_judge_part(p) for p in parts]
    kinds = np.array([k for k, _ in judged], dtype=object)[codes] if len(at) else np.empty(0, dtype=object)
    tags = np.array([t for _, t in judged], dtype=object)[codes] if len(at) else np.empty(0, dtype=object)
    whole_rows.append(at[(kinds == "other") & ~has_feat[at]])
    peeled = kinds != "other"
    at, tags = at[peeled], tags[peeled]
    rests = np.array([b.rstrip() for b in before[at]], dtype=object)
    settled = np.array([not r.endswith((")", "]")) and " - " not in r for r in rests], dtype=bool)
    if settled.any():
        rests_arrow = pa.array(rests[settled], type=pa.large_string())
        settled[settled] = ~_as_numpy(pc.match_substring_regex(rests_arrow, _INLINE_FEAT_ASCII, ignore_case=True))
    at, tags, rests = at[settled], tags[settled], rests[settled]
    if len(at):
        bases = _as_numpy(_ascii_fast_text(pa.array(rests, type=pa.large_string())))
        canon = {t: _joined_tag([t]) for t in set(tags) if t is not None}
        out[at] = [f"{b}\t{canon[t]}" if t is not None and canon[t] else b for b, t in zip(bases, tags)]
        out[at[bases == ""]] = None  # punctuation only: Python keeps the characters
    whole = np.concatenate(whole_rows)
    if len(whole):
        texts = _as_numpy(_ascii_fast_text(_take(titles, whole)))
        out[whole] = np.where(texts == "", None, texts)
    return out


def _title_parts(titles: np.ndarray) -> np.ndarray:
    """``_title_part`` of every distinct title, in bulk (same results, a test checks it)."""
    out = np.empty(len(titles), dtype=object)
    if len(titles) == 0:
        return out
    arrow = pa.array(titles, type=pa.large_string())
    ascii_ = _as_numpy(pc.string_is_ascii(arrow))
    peel = _as_numpy(pc.match_substring_regex(arrow, _NEEDS_PEEL_ASCII, ignore_case=True))
    simple = np.flatnonzero(ascii_ & ~peel)
    texts = _as_numpy(_ascii_fast_text(_take(arrow, simple)))
    out[simple] = np.where(texts == "", None, texts)
    once = np.flatnonzero(ascii_ & peel)
    out[once] = _peel_ascii_once(_take(arrow, once))
    slow = np.flatnonzero(pd.isna(out))
    out[slow] = [_title_part(t) for t in titles[slow]]
    return out


_TRAILING_THE_ASCII = r"(?i),\s*the\s*$"


def artist_parts(artists: np.ndarray) -> np.ndarray:
    """``normalise_artist`` of every distinct artist field, in bulk (same results, a test checks it)."""
    out = np.empty(len(artists), dtype=object)
    if len(artists) == 0:
        return out
    arrow = pa.array(artists, type=pa.large_string())
    fast = _as_numpy(pc.and_(pc.string_is_ascii(arrow),
                             pc.invert(pc.match_substring_regex(arrow, _TRAILING_THE_ASCII))))
    rows = np.flatnonzero(fast)
    text = _ascii_fast_text(_take(arrow, rows))
    text = pc.replace_substring_regex(text, r" (?:feat|ft|featuring) .*$", "")
    text = _as_numpy(pc.replace_substring_regex(text, r"^(?:the )+", ""))
    out[rows] = np.where(text == "", None, text)
    slow = np.flatnonzero(pd.isna(out))
    out[slow] = [normalise_artist(a) for a in artists[slow]]
    return out


def distinct_values(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(codes, distinct values) of a text column; code -1 for a missing value. (A blank
    value needs no special case: it normalises to "", which makes no key.)"""
    codes, uniques = pd.factorize(values.astype("str"), use_na_sentinel=True)
    return codes, uniques.to_numpy(dtype=object)


def _coded_keys(artist_codes: np.ndarray, artist_parts: np.ndarray, title_codes: np.ndarray,
                title_parts: np.ndarray) -> pd.Series:
    """``artist \\t title part`` per row from codes into distinct parts; NA where a code is -1
    or a part is empty."""
    def taken(codes: np.ndarray, parts: np.ndarray) -> pa.Array:
        values = pa.array(parts, type=pa.large_string())
        values = pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.large_string()), values)
        return pc.take(values, pa.array(codes, mask=codes < 0, type=pa.int64()))
    joined = pc.binary_join_element_wise(taken(artist_codes, artist_parts), taken(title_codes, title_parts),
                                         pa.scalar("\t", type=pa.large_string()))
    return pd.Series(pd.array(joined, dtype="str"), name="name_key")


def catalog_keys(catalog: pd.DataFrame) -> pd.Series:
    """The name key of every catalog row, to compute once (e.g. at catalog import) and pass
    to ``match_tracks``.

    A ``str`` Series named ``name_key`` on the catalog's index, NA where the artist or
    title is missing; the key is on the whole artist field (see ``match_tracks`` for
    fields listing several artists).
    """
    artist_codes, artists = distinct_values(catalog["artist_name"])
    title_codes, titles = distinct_values(catalog["track_name"])
    keys = _coded_keys(artist_codes, artist_parts(artists), title_codes, _title_parts(titles))
    keys.index = catalog.index
    return keys


def history_keys(history: pd.DataFrame) -> pd.Series:
    """``name_key`` of every history row (NA where artist or title is missing)."""
    artist_codes, artists = distinct_values(history["artist_name"])
    title_codes, titles = distinct_values(history["track_name"])
    keys = _coded_keys(artist_codes, artist_parts(artists), title_codes, _title_parts(titles))
    keys.index = history.index
    return keys


_INTRICATE_ARTISTS = r"(?i)\b(?:the|feat|ft|featuring)\b|[\x0b\x1c-\x1f]"


def leading_artist_table(fields: np.ndarray) -> pd.DataFrame:
    """Every leading artist of every field: ``code`` (index into fields), ``artists`` (k), ``artist``.

    The same as ``leading_artists`` field by field (a test checks it), in bulk.
    """
    arrow = pa.array(fields, type=pa.large_string())
    simple = _as_numpy(pc.and_(pc.string_is_ascii(arrow),
                               pc.invert(pc.match_substring_regex(arrow, _INTRICATE_ARTISTS))))
    rows = np.flatnonzero(simple)
    names = pc.split_pattern_regex(pc.utf8_trim(_take(arrow, rows), _WS_CHARS), _ARTIST_LIST.pattern)
    folded = _as_numpy(_ascii_fast_text(pc.list_flatten(names)))
    counts = _as_numpy(pc.list_value_length(names)).astype(np.int64)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    # a name that folds to nothing (or is empty) changes the joining: left to Python
    odd = np.zeros(len(rows), dtype=bool)
    np.logical_or.at(odd, np.repeat(np.arange(len(rows)), counts), folded == "")
    parts = []
    prefix = np.full(len(rows), "", dtype=object)
    for k in range(1, MAX_LEADING_ARTISTS + 1):
        more = np.flatnonzero(counts >= k)
        name = folded[starts[more] + k - 1]
        prefix[more] = name if k == 1 else prefix[more] + " " + name
        keep = (counts > k) & ~odd
        parts.append(pd.DataFrame({"code": rows[keep], "artists": k, "artist": prefix[keep]}))
    rest = np.concatenate([np.flatnonzero(~simple), rows[odd]])
    parts.append(pd.DataFrame([(code, k, name) for code in rest
                               for k, name in enumerate(leading_artists(fields[code]), start=1)],
                              columns=["code", "artists", "artist"]))
    table = pd.concat(parts, ignore_index=True)
    return table.sort_values(["code", "artists"], kind="stable").reset_index(drop=True)
