"""Escalation signals: CAMEO-aligned conflict phrases, their modality and actors.

The lexicon (``data/escalation/lexicon.json``, versioned) groups conflict
phrases into categories aligned with CAMEO root codes 09-20 (investigate,
demand, disapprove, reject, warn/threaten/ultimatum, protest/strike, force
posture and mobilisation, reduce relations and sanctions, coerce, seize,
annex/occupy, assault, fight, air strikes, shelling, mass violence) plus arms
transfers and foreign military personnel (CAMEO 072). Each category has a
Goldstein-like weight (0-10). Phrases are written in a compact notation
(``{a,b}`` alternatives, ``word~`` verb forms, ``word*`` prefixes, ``...``
gaps; see the file's ``notation``) and expanded once per process into an
Aho-Corasick automaton (with the context words). Tagging runs it once over
each lower-cased, punctuation-normalised field; all Python-level work is per
hit. The keys being ASCII, a field is normalised by one ``bytes.translate``
over its ASCII encoding, other characters folded to one byte each (see
:func:`_fold`), so offsets are kept; sentences, cues and actors are looked up
only around the phrases found, once per sentence and shared by its signals:
sentence ends by ``str.find`` over a map of the field's stops, modality
cues and clause-break words by a second automaton run only over the bytes of
the sentences that hold a signal (one scan of them joined), actors by one
scan of the field's mentions that sorts them into those sentences.

Matching is by phrase, not bag of words: "military" alone is nothing,
"troops massed on the border" is force posture, and "warned against arming
Ukraine" is a warning, not an arms transfer. Overlapping matches are resolved
leftmost-longest, and ``suppress`` phrases ("fight against corruption",
"heart attack", "rejected accusations") win and yield no signal.

Modality, per signal, comes from the cues of its sentence that govern it: a
cue counts only within its window (in words, before or after the phrase) and,
for clause-scoped cues, with no clause break (``, ; : ( )``, "but",
"while"...) in between. The strongest governing cue wins (negated >
hypothetical > hedged > unconfirmed > reported); none means ``asserted``.

``asserted``      no cue: the act is stated as fact
``reported``      attributed or indirect ("reportedly", "according to"): still asserted
``unconfirmed``   claims and allegations ("claimed that", "alleged", "unconfirmed")
``hedged``        possibility or prediction ("could potentially", "may", "foresees")
``hypothetical``  conditions, intentions, offers, appeals ("threatened to", "if",
                  "advised X against providing")
``negated``       negation, denial, stopping ("no concrete reports of", "denied
                  sending", "ruled out", "called off", "lifted")

``Signal.negated`` is true for every modality but ``asserted`` and
``reported``: the act is not asserted. A force-posture, arms or personnel
signal whose sentence speaks of peacekeeping, relief or exercises is dropped
(that is cooperation, CAMEO 06-08).

Actors are the country codes of the country evidence spans and of entity
mentions (with a country) in the signal's sentence: the nearest one before
the phrase (agent), then the nearest one inside or after it (target),
swapped when "by"/"from" follows the phrase ("attacks from the Russian
army"), then the others.

Score and level::

    w_eff = weight(category) * factor(modality)  # asserted 1, reported .7, unconfirmed .35,
                                                 # hedged .35, hypothetical .25, negated 0
    S     = sum over groups of sum_k w_eff[k] * 0.5**k   # k-th strongest signal of a group
    score = 100 * (1 - exp(-S / 25))             # saturating, 0..100, rounded to 0.1
    level = the highest level whose threshold <= score ("none" below "low")

A group is a CAMEO code, except that verbal conflict and reduced relations
(09-13, 16) form one group, so that criticism and refusals alone stay below
"high". With :data:`DEFAULT_THRESHOLDS` (4, 20, 45, 75): any one asserted
signal is ``low``; one material act (weight 6-10) or an ultimatum is
``elevated``; a deadly attack with its killings, or two kinds of violence, is
``high``; sustained violence across several CAMEO codes is ``critical``.
"""

from __future__ import annotations

import codecs
import itertools
import json
import math
import operator
import re
import threading
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path
from typing import Any, Final

import ahocorasick
import ahocorasick_rs

from pipeline.errors import DataError
from pipeline.tagging.text import ABBREVIATIONS, ends_with_abbreviation, fold_bytes
from pipeline.tagging.types import (
    LEVELS,
    Country,
    Entity,
    Escalation,
    FieldName,
    Level,
    Signal,
)

__all__ = [
    "DATA_PATH",
    "DEFAULT_THRESHOLDS",
    "MODALITIES",
    "EscalationTagger",
    "Thresholds",
    "expand_phrase",
    "level_for",
]

#: Minimum score for the levels low, elevated, high and critical.
Thresholds = tuple[float, float, float, float]

#: Calibrated defaults, in terms of S (see the module docstring), on the
#: Reuters-21578 wire (9,903 stories of 1987) and the CAMEO sentences: "low"
#: at S >= 1.02, so any one asserted signal is low (even an attributed
#: investigation, 1.05); "elevated" at S >= 5.6: one material act of weight
#: 6-10, an ultimatum or several verbal signals; "high" at S >= 15: a deadly
#: attack reported with its killings, or fighting plus shelling (about 1 %
#: of the wire); "critical" at S >= 34.7: sustained violence across several
#: CAMEO codes (about 0.15 % of the wire: the Gulf war battle reports).
DEFAULT_THRESHOLDS: Final[Thresholds] = (4.0, 20.0, 45.0, 75.0)

#: The lexicon file.
DATA_PATH: Final[Path] = Path(__file__).resolve().parent / "data" / "escalation" / "lexicon.json"

#: Signal modalities, from "happened" to "did not happen".
MODALITIES: Final[tuple[str, ...]] = (
    "asserted",
    "reported",
    "presupposed",
    "unconfirmed",
    "hedged",
    "hypothetical",
    "negated",
)

_DEFAULT_GAP = 4
_MAX_ACTOR_GAP = 4  # words between a phrase and "by"/"from" + agent

# Characters that count as spaces when matching: ASCII punctuation and the
# usual typographic marks. Letters and digits of any script stay.
_SPACE_CHARS = (
    "".join(ch for ch in map(chr, range(128)) if not ch.isalnum())
    + "\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
    + ("‘’‚‛“”„‟«»‹›—–―‐‑‒…•·′″")
)
_NORMALISE = str.maketrans(dict.fromkeys(_SPACE_CHARS, " "))
# The same on ASCII bytes, lower-casing as well: one ``bytes.translate`` pass.
_NORMALISE_ASCII = bytes(
    32 if chr(i) in _SPACE_CHARS else ord(chr(i).lower()) for i in range(128)
) + bytes(range(128, 256))
# Stands for a non-ASCII character that is neither a space nor, lower-cased, an
# ASCII letter: the lexicon's keys are ASCII, so such a character can only
# ever be part of a word that no key matches, like the character itself.
_OTHER = "\x80"
# Stands for a non-ASCII white space that is not punctuation ("\u2028"): not a
# space to the matcher, but one to ``str.split``, like the character itself.
_OTHER_SPACE = "\x85"
_FOLD_ERRORS: Final = "brinkwatch-escalation-fold"
_GAP_BREAKS = frozenset(".;:!?()\n")
# Characters of a tail's first word that its pre-test compares (see _tail_check).
_HEAD_LEN = 3

_RISING: Final[tuple[Level, ...]] = LEVELS[1:]

_KIND_PHRASE = 0
_KIND_CUE = 1
_KIND_BREAK = 2
_KIND_CONTEXT = 3


def level_for(score: float, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> Level:
    """Return the level of *score*: the highest whose threshold is <= score, else "none"."""
    # By index, not zip(..., strict=True): a keyword call and a tuple per level cost
    # ~3,000 instructions an article. The same check of the thresholds' number.
    values = tuple(thresholds)
    if len(values) != len(_RISING):
        raise ValueError(f"expected {len(_RISING)} thresholds, got {len(values)}")
    level: Level = "none"
    for i, name in enumerate(_RISING):
        if score >= values[i]:
            level = name
    return level


# --------------------------------------------------------------------------- notation


def _lower(text: str) -> str:
    """Lower-case *text*, keeping every offset."""
    lowered = text.lower()
    if len(lowered) != len(text):  # e.g. "İ" lower-cases to two characters
        lowered = "".join([ch.lower()[0] for ch in text])
    return lowered


def _normalise(text: str) -> str:
    """Lower-case *text* and turn punctuation into spaces, keeping every offset."""
    return _lower(text).translate(_NORMALISE)


def _fold_non_ascii(exc: UnicodeError) -> tuple[bytes, int]:
    """Codec error handler: fold a run of non-ASCII characters to one byte each.

    A character that lower-cases (by its first code point, as :func:`_lower`)
    to punctuation becomes a space, one that lower-cases to an ASCII letter
    ("İ", the Kelvin sign) becomes that letter, other white space
    :data:`_OTHER_SPACE`, any other one :data:`_OTHER`.
    """
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    # One str.translate through a table filled on demand instead of a Python loop.
    return exc.object[exc.start : exc.end].translate(_FOLD_TABLE).encode("latin-1"), exc.end


class _FoldTable(dict[int, str]):
    """``str.translate`` table: a non-ASCII character to its folded byte (as a latin-1 char)."""

    def __missing__(self, code: int) -> str:
        """Fold the character *code* (see :func:`_fold_non_ascii`) and remember it."""
        low = chr(code).lower()[0]
        if low in _SPACE_CHARS:
            folded = " "
        elif low.isascii():
            folded = low
        elif low.isspace():
            folded = _OTHER_SPACE
        else:
            folded = _OTHER
        if len(self) < _FOLD_TABLE_SIZE:  # bounded: any text may bring new characters
            self[code] = folded
        return folded


_FOLD_TABLE_SIZE = 65536
_FOLD_TABLE = _FoldTable()


codecs.register_error(_FOLD_ERRORS, _fold_non_ascii)

# _NORMALISE_ASCII on Latin-1 bytes, with the sentence stops (".!?" and line breaks) as
# b"." (nothing else is): the b"." are where _stops() puts them, and _NORMALISE_ASCII's
# bytes are one memchr-driven bytes.replace away (cheaper than a second translate for
# the stops). The upper half folds as _fold_non_ascii does, so that a Latin-1 text is
# encoded by one copy with no call of the error handler (~50,000 instructions
# less for a 3 KB story with an accent); the handler's own bytes, \x80 and \x85,
# map to themselves.
_NORMALISE_STOPS: Final = bytes(
    46 if chr(i) in ".!?\n" else b for i, b in enumerate(_NORMALISE_ASCII[:128])
) + "".join(_FOLD_TABLE[i] for i in range(128, 256)).encode("latin-1")


def _fold(text: str) -> str:
    """Return *text* normalised for ASCII keys: :func:`_normalise` with non-ASCII folded.

    Same length as *text*, all ASCII but :data:`_OTHER` and :data:`_OTHER_SPACE`;
    equal to ``_normalise(text)`` wherever that is ASCII, and it matches exactly the
    ASCII keys and the key regexes that ``_normalise(text)`` matches. One
    encode, one ``bytes.translate``, one decode: about 1 ns a character, where
    ``str.translate`` on non-ASCII text costs some 70.
    """
    return text.encode("ascii", _FOLD_ERRORS).translate(_NORMALISE_ASCII).decode("latin-1")


# Running compiled (the extension module beside the .py): _marked folds in a C loop.
_COMPILED: Final = __file__.endswith(tuple(EXTENSION_SUFFIXES))


def _marked(text: str) -> bytes:
    """Return b" " + *text* folded, with its sentence stops as b".", + b" "."""
    if _COMPILED:
        return _fold_marked(text)
    # One copy, then one translate (the spaces map to themselves) that folds and marks
    # the stops. Latin-1, not ASCII: a Latin-1 text is copied, with no handler call.
    raw = text.encode("latin-1", _FOLD_ERRORS)
    return b"".join((b" ", raw, b" ")).translate(_NORMALISE_STOPS)


def _fold_marked(text: str) -> bytes:
    """Return :func:`_marked` of *text* by one pass over its characters (when compiled).

    Same bytes: a character beyond Latin-1 gets the codec error handler's byte, then
    the table's byte for that.
    """
    return fold_bytes(text, _NORMALISE_STOPS, _wide_byte)


def _wide_byte(code: int) -> int:
    """Return the byte :func:`_fold_non_ascii` gives the character *code* (beyond Latin-1)."""
    return ord(_FOLD_TABLE[code])


def _expand_braces(phrase: str) -> list[str]:
    """Expand ``{a,b,}`` alternatives (which may nest) into every combination."""
    open_at = phrase.find("{")
    if open_at < 0:
        if "}" in phrase:
            raise ValueError(f"unbalanced '}}' in {phrase!r}")
        return [phrase]
    depth = 0
    cuts = [open_at]
    for i in range(open_at, len(phrase)):
        ch = phrase[i]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                cuts.append(i)
                break
        elif ch == "," and depth == 1:
            cuts.append(i)
    else:
        raise ValueError(f"unbalanced '{{' in {phrase!r}")
    head, tail = phrase[:open_at], phrase[cuts[-1] + 1 :]
    out: list[str] = []
    for a, b in itertools.pairwise(cuts):
        out.extend(_expand_braces(head + phrase[a + 1 : b] + tail))
    return out


def _verb_forms(base: str, irregular: Mapping[str, Sequence[str]]) -> list[str]:
    """Return the base, -s, -ed and -ing forms of the verb *base*."""
    if base in irregular:
        return [base, *irregular[base]]
    vowels = "aeiou"
    if base.endswith("y") and len(base) > 1 and base[-2] not in vowels:
        return [base, base[:-1] + "ies", base[:-1] + "ied", base + "ing"]
    third = base + "es" if base.endswith(("s", "x", "z", "ch", "sh")) else base + "s"
    if base.endswith("ie"):
        return [base, third, base + "d", base[:-2] + "ying"]
    if base.endswith("e"):
        gerund = base + "ing" if base.endswith(("ee", "ye", "oe")) else base[:-1] + "ing"
        return [base, third, base + "d", gerund]
    return [base, third, base + "ed", base + "ing"]


def expand_phrase(phrase: str, irregular: Mapping[str, Sequence[str]] | None = None) -> list[str]:
    """Expand one lexicon phrase into the literal word sequences it stands for.

    ``{a,b,}`` gives alternatives, ``word~`` the verb forms of *word*; ``*``
    and ``...`` are kept as they are (they are matched, not expanded). The
    result is normalised like the text (lower case, punctuation as spaces,
    single spaces) and free of duplicates, in a stable order.
    """
    irregular = irregular or {}
    out: dict[str, None] = {}
    for variant in _expand_braces(phrase):
        options: list[list[str]] = []
        for word in variant.split():
            if word.endswith("~") and len(word) > 1:
                options.append(_verb_forms(word[:-1], irregular))
            else:
                options.append([word])
        for combo in itertools.product(*options):
            words: list[str] = []
            for w in combo:
                if w.startswith("...") or w == "*":
                    words.append(w)
                else:
                    star = w.endswith("*")
                    norm = " ".join(_normalise(w.rstrip("*")).split())
                    if norm:
                        words.append(norm + ("*" if star else ""))
            if words:
                out[" ".join(words)] = None
    return list(out)


@dataclass(frozen=True, slots=True)
class _Segment:
    """A literal word sequence to match after a gap of at most ``gap`` words."""

    gap: int
    text: str


def _segments(literal: str) -> list[_Segment]:
    """Split an expanded phrase at its ``...`` gaps."""
    segments: list[_Segment] = []
    gap = 0
    words: list[str] = []
    for word in literal.split():
        if word.startswith("..."):
            if words:
                segments.append(_Segment(gap, " ".join(words)))
                words = []
            rest = word[3:]
            gap = int(rest) if rest else _DEFAULT_GAP
        else:
            words.append(word)
    if words:
        segments.append(_Segment(gap, " ".join(words)))
    return segments


def _tail_regex(tails: list[tuple[_Segment, ...]]) -> re.Pattern[str]:
    """Compile the tails of one head: the nearest match of any of them wins.

    Tails made of one segment after the same gap share that gap, so that the
    lazy gap finds the nearest alternative ("sending engineers and military
    personnel" ends at "engineers").
    """
    simple: dict[int, list[str]] = {}
    other: list[str] = []
    for tail in tails:
        if len(tail) == 1:
            simple.setdefault(tail[0].gap, []).append(_segment_regex(tail[0].text))
        else:
            other.append("".join(_gap_regex(s.gap) + _segment_regex(s.text) for s in tail))
    alternatives = [
        _gap_regex(gap) + "(?:" + "|".join(sorted(set(alts), key=len, reverse=True)) + ")"
        for gap, alts in sorted(simple.items())
    ] + sorted(set(other), key=len, reverse=True)
    return re.compile("(?:" + "|".join(alternatives) + ")(?= )")


def _tail_check(tails: list[tuple[_Segment, ...]]) -> tuple[int, bytes, tuple[bytes, ...] | None]:
    """Return the pre-test of the tails of one head: ``(n, heads, prefixes)``.

    A tail regex (see :func:`_tail_regex`) can match only if one of the first n words
    after the head (n = the largest first gap + 1) starts as a tail's first word (or
    its prefix, for a ``word*``) does, so with one of the heads and, when every such
    start has :data:`_HEAD_LEN` characters or more (else *prefixes* is None), with
    one of *prefixes*, their first ``_HEAD_LEN`` (sorted, Latin-1 bytes). *heads* is a
    table: ``heads[b]`` is 1 where the byte b is a head, else 0. n is 0 (no pre-test)
    when a tail may start with any word ("*") or with a character beyond Latin-1 (the
    pre-test reads the folded bytes).
    """
    firsts: set[str] = set()
    prefixes: set[str] | None = set()
    gap = 0
    for tail in tails:
        word = tail[0].text.split()[0]
        start = word[:-1] if word.endswith("*") else word  # what the word starts with
        if not start or ord(max(start)) > 255:
            return 0, b"", None
        firsts.add(start[0])
        if prefixes is not None:
            prefixes = (prefixes | {start[:_HEAD_LEN]}) if len(start) >= _HEAD_LEN else None
        gap = max(gap, tail[0].gap)
    heads = bytes(chr(b) in firsts for b in range(256))
    if prefixes is None:
        return gap + 1, heads, None
    return gap + 1, heads, tuple(p.encode("latin-1") for p in sorted(prefixes))


def _tail_may_match(
    folded: bytes,
    space: int,
    words: int,
    heads: bytes,
    prefixes: tuple[bytes, ...] | None = None,
) -> bool:
    """Return False if none of the *words* words after *space* starts with one of the heads.

    Nor, *prefixes* given, with one of them. *folded* is the padded, folded field as
    bytes, *folded[space]* the space after a head: then its tail regex cannot match (see
    :func:`_tail_check`, which makes *heads* a table by byte). Most tails fail; this
    scan costs a fraction of a failing regex. The prefixes, tested only after a first
    character passes, rule out "in", "is", "it" for "inquiry": ~40 % fewer regex calls
    (each ~2,400 instructions) for one ``bytes.startswith`` a passing word.
    """
    # Bytes, not the str: compiled, buf is the C buffer (see the .pxd), each byte one
    # C read where a str index cost ~35 instructions (its kind, bounds, data pointer).
    buf = folded
    n = len(folded)
    pos = space
    for _ in range(words):
        while pos < n and buf[pos] == 32:  # b" "
            pos += 1
        if pos >= n:
            return False
        if heads[buf[pos]] and (prefixes is None or folded.startswith(prefixes, pos)):
            return True
        while pos < n and buf[pos] != 32:
            pos += 1
    return False


def _gap_regex(gap: int) -> str:
    """Return the regex of a gap of at most *gap* words (and the space before the next)."""
    # Possessive (Python 3.11): a word or a run of spaces is never given back, as
    # giving one back cannot lead to a match; a failing tail costs half as much.
    return f" ++(?:[^ ]++ ++){{0,{gap}}}?" if gap else " ++"


def _segment_regex(text: str) -> str:
    """Return the regex of one literal segment in the normalised text."""
    parts = []
    for word in text.split():
        if word.endswith("*"):
            parts.append(re.escape(word[:-1]) + "[^ ]*+")  # possessive: see _gap_regex
        else:
            parts.append(re.escape(word))
    return " ++".join(parts)


# --------------------------------------------------------------------------- compiled lexicon


@dataclass(frozen=True, slots=True)
class _Category:
    """A lexicon category: name, CAMEO code, weight and contexts that void it."""

    name: str
    cameo: str
    weight: float
    unless: tuple[int, ...]
    group: str  # the scoring group: the CAMEO code or the group holding it


@dataclass(frozen=True, slots=True)
class _CueGroup:
    """A family of modality cues with the same modality, direction, window and scope."""

    modality: str
    after: bool
    window: int
    clause: bool
    gerund: bool


@dataclass(frozen=True, slots=True)
class _Pattern:
    """What a key of the automaton stands for (one key may stand for several)."""

    kind: int
    ref: int  # category (-1: suppressor), cue group or context index
    weight: float
    key_len: int
    prefix: bool  # the key's last word may continue
    tail: re.Pattern[str] | None  # the rest of the phrase, after the key
    # The tail's pre-test (see _tail_check): words to scan, 0: none; the first
    # characters, as a table by byte; the first words' first _HEAD_LEN characters, as
    # bytes (None: a word is shorter).
    tail_words: int = 0
    tail_heads: bytes = b""
    tail_prefixes: tuple[bytes, ...] | None = None


class _Cues:
    """The modality cues and clause-break words of one sentence.

    A plain class, not a dataclass: compiled, it is an extension type (see the .pxd)
    whose fields are struct reads, and its ``__init__`` is compiled too.
    """

    def __init__(self, cues: list[tuple[int, int, int]], breaks: list[int]) -> None:
        """Hold *cues*, ``(start, end, cue group)``, and *breaks*, their start offsets."""
        self.cues = cues
        self.breaks = breaks


# A sentence without cues or breaks (shared: never appended to).
_NO_CUES: Final = _Cues([], [])

# A signal with its keys in order, copied for each signal found (every value then set).
_SIGNAL: Final[Signal] = {
    "category": "",
    "cameo": "",
    "term": "",
    "field": "body",
    "start": 0,
    "end": 0,
    "sentence": "",
    "negated": False,
    "modality": "",
    "weight": 0.0,
    "actors": [],
}


def _signal_templates(
    field: str, category: str, cameo: str, not_asserted: frozenset[str]
) -> dict[str, Signal]:
    """Return copies of :data:`_SIGNAL` with field, category and CAMEO code set, by modality.

    Each with its modality and ``negated`` (the modality in *not_asserted*) set too.
    """
    templates: dict[str, Signal] = {}
    for modality in MODALITIES:
        template = _SIGNAL.copy()
        template["category"] = category
        template["cameo"] = cameo
        template["field"] = field  # type: ignore[typeddict-item]  # "title" or "body" in tag()
        template["negated"] = modality in not_asserted
        template["modality"] = modality
        templates[modality] = template
    return templates


def _round1(value: float) -> float:
    """Return ``round(value, 1)`` without its decimal conversion (~2,500 instructions).

    ``round`` gives the double nearest to m / 10, m the integer nearest to the exact
    ``10 * value`` (ties to even); so does dividing m by 10 (IEEE division rounds
    correctly too). m comes from ``10 * value`` rounded to a double, off by less than
    1e-10 below 1e6: it is decided here when that lies more than 1e-6 from a tie, else
    (and for NaN, negative or large values) by ``round`` itself.
    """
    if value == 0.0:
        return value  # 0.0 or -0.0, as round() keeps it
    scaled = value * 10.0
    frac = scaled % 1.0  # exact
    if 0.0 < scaled < 1e6 and abs(frac - 0.5) > 1e-6:
        return (scaled - frac + (1.0 if frac > 0.5 else 0.0)) / 10.0
    return round(value, 1)


def _powers(base: float, n: int) -> tuple[float, ...]:
    """Return ``base**k`` for k in ``range(n)`` (a function: _score, cpdef, holds no closure)."""
    return tuple(base**k for k in range(n))


def _start_longest(hit: tuple[int, int, _CueRow]) -> tuple[int, int]:
    """Sort key of hits: by start, the longest first."""
    return hit[0], -hit[1]


class _Compiler:
    """Turns the lexicon JSON into automaton keys."""

    def __init__(self, path: str, irregular: Mapping[str, Sequence[str]]) -> None:
        self.path = path
        self.irregular = irregular
        self.keys: dict[str, list[_Pattern]] = {}  # phrases and contexts
        self.cue_keys: dict[str, list[_Pattern]] = {}  # cues and clause breaks

    def add(self, phrase: str, kind: int, ref: int, weight: float) -> None:
        """Add every expansion of *phrase*."""
        keys = self.cue_keys if kind in (_KIND_CUE, _KIND_BREAK) else self.keys
        if not isinstance(phrase, str) or not phrase.strip():
            raise DataError(self.path, None, f"bad phrase {phrase!r}")
        tails: dict[str, list[tuple[_Segment, ...]]] = {}
        for literal in expand_phrase(phrase, self.irregular):
            segments = _segments(literal)
            if not segments or segments[0].gap:
                raise DataError(self.path, None, f"phrase {phrase!r} must start with a word")
            tails.setdefault(segments[0].text, []).append(tuple(segments[1:]))
        for head, head_tails in tails.items():
            if "*" in head[:-1]:
                raise DataError(self.path, None, f"phrase {phrase!r}: '*' only ends a word")
            if () in head_tails and len(head_tails) > 1:
                raise DataError(self.path, None, f"phrase {phrase!r}: optional gap tail")
            prefix = head.endswith("*")
            key = " " + head.rstrip("*") + ("" if prefix else " ")
            tail = _tail_regex(head_tails) if head_tails != [()] else None
            words, heads, prefixes = (
                _tail_check(head_tails) if tail is not None else (0, b"", None)
            )
            keys.setdefault(key, []).append(
                _Pattern(kind, ref, weight, len(key), prefix, tail, words, heads, prefixes)
            )

    @staticmethod
    def automaton(
        keys: Mapping[str, list[_Pattern]],
        value: Callable[[tuple[_Pattern, ...]], Any] = lambda patterns: patterns,
    ) -> ahocorasick.Automaton:
        """Build the Aho-Corasick automaton of *keys*; a key's value is *value* of its patterns."""
        auto = ahocorasick.Automaton()
        for key, patterns in keys.items():
            # Tail-less patterns first: they are the cheap, common case.
            auto.add_word(key, value(_ordered(patterns)))
        auto.make_automaton()
        return auto


# Keys that never match (folded text has no byte below 0x20) but start with four
# more distinct bytes than the real keys (all b" "): ahocorasick-rs then drops its
# start-byte prefilter, which restarted the DFA at every space (a 3 KB story:
# ~14.5 -> ~10 us). Their indexes lie past the real keys' and never come back.
_NO_PREFILTER: Final = (b"\x01", b"\x02", b"\x03", b"\x04")


def _dfa(keys: Mapping[str, list[_Pattern]]) -> ahocorasick_rs.BytesAhoCorasick:
    """Build the ahocorasick-rs DFA of the ASCII *keys* (indexes follow the mapping's order)."""
    return ahocorasick_rs.BytesAhoCorasick(
        [key.encode("ascii") for key in keys] + list(_NO_PREFILTER),
        matchkind=ahocorasick_rs.MatchKind.Standard,
        implementation=ahocorasick_rs.Implementation.DFA,
    )


# A pattern as the phrase scan reads it: (prefix, tail, kind, key_len, ref, weights,
# tail_words, tail_heads, tail_prefixes), weights: a signal's weight by modality (see
# EscalationTagger._weights).
_Row = tuple[
    bool,
    re.Pattern[str] | None,
    int,
    int,
    int,
    dict[str, float],
    int,
    bytes,
    tuple[bytes, ...] | None,
]


def _rows(
    patterns: Sequence[_Pattern], weights: Mapping[float, dict[str, float]]
) -> tuple[_Row, ...]:
    """Return *patterns* as :data:`_Row` tuples, for the phrase scan of every article.

    Compiled, unpacking a tuple costs far less than reading six slotted attributes.
    *weights* maps a phrase weight to the signal weights by modality.
    """
    return tuple(
        (
            p.prefix,
            p.tail,
            p.kind,
            p.key_len,
            p.ref,
            weights[p.weight],
            p.tail_words,
            p.tail_heads,
            p.tail_prefixes,
        )
        for p in patterns
    )


def _ordered(patterns: list[_Pattern]) -> tuple[_Pattern, ...]:
    """Return the patterns of one key, tail-less ones (the cheap, common case) first."""
    return tuple(sorted(patterns, key=lambda p: p.tail is not None))


# --------------------------------------------------------------------------- the tagger

# The process-wide tagger of EscalationTagger.default(), made once under the lock. Here,
# not on the class: compiled, the class is an extension type (see the .pxd), whose
# attributes cannot be set.
_DEFAULT: list[EscalationTagger] = []
_DEFAULT_LOCK: Final = threading.Lock()


class EscalationTagger:
    """Finds escalation signals in an article and scores them (see the module docstring)."""

    data_version: str

    def __init__(self, lexicon: Mapping[str, Any], *, path: str = "<lexicon>") -> None:
        """Compile a lexicon (the parsed JSON of ``lexicon.json`` or a file shaped like it)."""
        try:
            self._compile(lexicon, path)
        except DataError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError, re.error) as exc:
            raise DataError(path, None, f"bad escalation lexicon: {exc!r}") from exc

    @classmethod
    def from_file(cls, path: Path = DATA_PATH) -> EscalationTagger:
        """Load and compile a lexicon file."""
        try:
            lexicon = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise DataError(str(path), None, f"cannot read escalation lexicon: {exc}") from exc
        return cls(lexicon, path=str(path))

    @classmethod
    def default(cls) -> EscalationTagger:
        """Return the process-wide tagger of the packaged lexicon (compiled once)."""
        if not _DEFAULT:
            with _DEFAULT_LOCK:
                if not _DEFAULT:
                    _DEFAULT.append(cls.from_file(DATA_PATH))
        return _DEFAULT[0]

    # ----------------------------------------------------------------- compile

    def _compile(self, lexicon: Mapping[str, Any], path: str) -> None:
        self.data_version = str(lexicon["version"])
        scoring = lexicon["scoring"]
        self._k = float(scoring["k"])
        self._decay = float(scoring["repeat_decay"])
        self._decays: tuple[float, ...] = ()
        self._group: dict[str, str] = {
            code: name for name, codes in scoring["groups"].items() for code in codes
        }
        factors = scoring["modality_factors"]
        if set(factors) != set(MODALITIES):
            raise DataError(path, None, f"modality_factors must name exactly {MODALITIES}")
        self._factors: dict[str, float] = {m: float(factors[m]) for m in MODALITIES}
        self._not_asserted = frozenset(scoring["not_asserted"])
        priority = list(scoring["modality_priority"])
        self._rank = {m: i for i, m in enumerate(priority)}
        if not set(priority) <= set(MODALITIES):
            raise DataError(path, None, f"unknown modality in modality_priority: {priority}")
        compiler = _Compiler(path, {k: list(v) for k, v in lexicon.get("irregular", {}).items()})

        context_names: list[str] = list(lexicon.get("contexts", {}))
        for i, name in enumerate(context_names):
            for phrase in lexicon["contexts"][name]["phrases"]:
                compiler.add(phrase, _KIND_CONTEXT, i, 0.0)

        self._categories: list[_Category] = []
        for entry in lexicon["categories"]:
            unknown = set(entry.get("unless", [])) - set(context_names)
            if unknown:
                raise DataError(path, None, f"{entry['category']}: unknown context {unknown}")
            unless = tuple(context_names.index(name) for name in entry.get("unless", []))
            cameo = str(entry["cameo"])
            category = _Category(
                str(entry["category"]),
                cameo,
                float(entry["weight"]),
                unless,
                self._group.get(cameo, cameo),
            )
            ref = len(self._categories)
            self._categories.append(category)
            for phrase in entry["phrases"]:
                if isinstance(phrase, Mapping):
                    compiler.add(phrase["p"], _KIND_PHRASE, ref, float(phrase["weight"]))
                else:
                    compiler.add(phrase, _KIND_PHRASE, ref, category.weight)
        for phrase in lexicon.get("suppress", {}).get("phrases", []):
            compiler.add(phrase, _KIND_PHRASE, -1, 0.0)

        self._cue_groups: list[_CueGroup] = []
        self._adjacent: dict[str, int] = {}
        for group in lexicon["modality_cues"]:
            modality = str(group["modality"])
            if modality not in self._rank:
                raise DataError(path, None, f"cue modality {modality!r} has no priority")
            direction = group.get("direction", "before")
            if direction not in ("before", "after"):
                raise DataError(path, None, f"cue direction {direction!r}")
            cue_group = _CueGroup(
                modality,
                direction == "after",
                int(group["window"]),
                group.get("scope", "clause") == "clause",
                bool(group.get("gerund", False)),
            )
            ref = len(self._cue_groups)
            self._cue_groups.append(cue_group)
            for cue in group["cues"]:
                literals = expand_phrase(cue, compiler.irregular)
                if _adjacent(cue_group) and not any("*" in c or "..." in c for c in literals):
                    # Cues right before the phrase ("the", "continued their") are looked
                    # up by the words before each phrase instead of being scanned for.
                    for literal in literals:
                        self._adjacent.setdefault(literal, ref)
                else:
                    compiler.add(cue, _KIND_CUE, ref, 0.0)
        self._adjacent_words = max((c.count(" ") + 1 for c in self._adjacent), default=0)
        # An adjacent cue can stand before a phrase only if its last word does, and
        # the folded character before the phrase's space is then a separator or
        # that word's last letter.
        self._adjacent_last = frozenset(c.rsplit(None, 1)[-1] for c in self._adjacent)
        self._adjacent_end = frozenset(
            {w[-1] for w in self._adjacent_last} | {" ", _OTHER_SPACE}
        )
        # The same on the folded text, by the two characters before the phrase's space
        # (~40 % fewer _modality calls: "e" and "s" end many words): the last
        # word's last two letters, a one-letter word after a space, or a space.
        # A table by the two bytes (256 * first + second): 1 where they may end a cue.
        # Compiled, one C read a phrase, where a substring, its hash and a set look-up
        # cost ~400 instructions. A pair beyond Latin-1 is never in the folded bytes.
        spaces = (" ", _OTHER_SPACE)
        ends2 = (
            {w[-2:] for w in self._adjacent_last if len(w) > 1}
            | {sp + w for w in self._adjacent_last if len(w) == 1 for sp in spaces}
            | {chr(i) + sp for i in range(256) for sp in spaces}
        )
        table = bytearray(65536)
        for pair in ends2:
            if ord(max(pair)) < 256:
                table[256 * ord(pair[0]) + ord(pair[1])] = 1
        self._adjacent_end2: bytes = bytes(table)

        breaks = lexicon["clause_breaks"]
        self._break_punct = frozenset(str(breaks["punctuation"]))
        self._break_chars = "".join(sorted(self._break_punct))  # the same, for _holds_any
        for word in breaks["words"]:
            compiler.add(word, _KIND_BREAK, 0, 0.0)

        self._ascii_keys = all(k.isascii() for k in (*compiler.keys, *compiler.cue_keys))
        self._automaton = compiler.automaton(compiler.keys)
        # The phrase scan of every article: ahocorasick-rs over the folded bytes,
        # when the keys are ASCII. A DFA (17 ms to build, ~5 MB) scans a 3 KB
        # story in ~16 us, the contiguous NFA in ~18, pyahocorasick in ~26.
        self._values: list[tuple[_Pattern, ...]] = []
        self._matcher: ahocorasick_rs.BytesAhoCorasick | None = None
        if self._ascii_keys:
            self._values = [_ordered(patterns) for patterns in compiler.keys.values()]
            self._matcher = _dfa(compiler.keys)
        # A signal's weight for each phrase weight and modality, rounded once here: by
        # phrase weight, a map of modality to weight (one str look-up a signal, where a
        # (weight, modality) key cost a tuple and its hash).
        self._weights: dict[float, dict[str, float]] = {}
        for patterns in compiler.keys.values():
            for p in patterns:
                if p.weight not in self._weights:
                    self._weights[p.weight] = {
                        m: round(p.weight * f, 3) for m, f in self._factors.items()
                    }
        # The same as the phrase scan reads them (see _rows).
        self._value_rows = [_rows(patterns, self._weights) for patterns in self._values]
        # Its values are cue rows, as the cue scans read them (see _cue_rows).
        self._cue_automaton = compiler.automaton(compiler.cue_keys, _cue_rows)
        # The cues of a sentence: the same DFA scan over the sentence's folded bytes.
        self._cue_values: list[tuple[_Pattern, ...]] = []
        self._cue_matcher: ahocorasick_rs.BytesAhoCorasick | None = None
        if self._ascii_keys and compiler.cue_keys:
            self._cue_values = [_ordered(patterns) for patterns in compiler.cue_keys.values()]
            self._cue_matcher = _dfa(compiler.cue_keys)
        # The same as the cue scans read them (see _cue_rows).
        self._cue_rows = [_cue_rows(patterns) for patterns in self._cue_values]
        # Each cue group as a tuple (modality, after, window, clause, gerund), and each
        # category: compiled, unpacking a tuple costs less than reading slotted attributes.
        self._cue_group_rows = [
            (g.modality, g.after, g.window, g.clause, g.gerund) for g in self._cue_groups
        ]
        self._category_rows = [(c.name, c.cameo, c.unless, c.group) for c in self._categories]
        # A signal's template by field, category and modality (see _signal_templates).
        self._signal_templates: dict[str, list[dict[str, Signal]]] = {
            field: [
                _signal_templates(field, c.name, c.cameo, self._not_asserted)
                for c in self._categories
            ]
            for field in ("title", "body")
        }

    # ----------------------------------------------------------------- tag

    def tag(
        self,
        title: str,
        body: str,
        countries: list[Country],
        entities: list[Entity],
        *,
        thresholds: Thresholds = DEFAULT_THRESHOLDS,
    ) -> Escalation:
        """Return the article's escalation: signals (title first, by position), score, level."""
        signals: list[Signal] = []
        # The signals' weights by scoring group, gathered while tagging (see score()).
        by_group: dict[str, list[float]] = {}
        # Exact str: the compiled helpers take nothing else (a str subclass would be refused).
        title, body = str(title), str(body)
        if title:
            self._tag_field("title", title, countries, entities, signals, by_group)
        if body:
            self._tag_field("body", body, countries, entities, signals, by_group)
        score = self._score(by_group, len(signals))
        return {"score": score, "level": level_for(score, thresholds), "signals": signals}

    def score(self, signals: Sequence[Signal]) -> float:
        """Return the 0..100 score of *signals* (see the module docstring)."""
        by_group: dict[str, list[float]] = {}
        for signal in signals:
            if signal["weight"] > 0:
                code = signal["cameo"]
                by_group.setdefault(self._group.get(code, code), []).append(signal["weight"])
        return self._score(by_group, len(signals))

    def _score(self, by_group: dict[str, list[float]], n_signals: int) -> float:
        """Return the score of the positive signal weights *by_group* (lists are sorted here)."""
        decays = self._decays  # decay**k, grown on demand (a new tuple: thread-safe)
        if len(decays) < n_signals:
            decays = self._decays = _powers(self._decay, 2 * n_signals)
        total = 0.0
        for weights in by_group.values():
            n = len(weights)
            if n == 1:  # decay**0 == 1
                total += weights[0]
            else:
                # Ascending, summed from the strongest: the sum over sort(reverse=True),
                # left to right as sum() adds, without a keyword call, a map and
                # sum() (compiled: C doubles, ~9,000 instructions an article less).
                weights.sort()
                group = 0.0
                for k in range(n):
                    weight = weights[n - 1 - k]
                    decay = decays[k]
                    group += weight * decay
                total += group
        k_scale = self._k  # compiled: C doubles (see the .pxd), the same IEEE operations
        saturation = math.exp(-total / k_scale)
        return _round1(100.0 * (1.0 - saturation))

    def _tag_field(
        self,
        field: FieldName,
        field_text: str,
        countries: list[Country],
        entities: list[Entity],
        out: list[Signal],
        by_group: dict[str, list[float]],
    ) -> None:
        # A local assigned str(): compiled, its type is known, so slicing it is a direct
        # substring (no slice object, no generic dispatch). The same in the helpers below.
        text = str(field_text)
        # (key index, start, end) of every key found, and the patterns of each index.
        hits: list[tuple[int, int, int]]
        values: Sequence[tuple[_Row, ...]]
        folded: bytes | None = None
        if self._matcher is not None:
            marked = _marked(text)
            folded = marked.replace(b".", b" ")
            padded = folded.decode("latin-1")  # == " " + _fold(text) + " "
            buf = folded  # compiled: its C buffer (see the .pxd), read by index below
            values = self._value_rows
            # overlapping=True passed by position: no keyword parsing in the Rust call.
            hits = self._matcher.find_matches_as_indexes(folded, True)
        else:
            padded = "".join((" ", _normalise(text), " "))
            found = list(self._automaton.iter(padded))
            values = [_rows(patterns, self._weights) for _, patterns in found]
            hits = [
                (i, end_idx + 1 - patterns[0].key_len, end_idx + 1)
                for i, (end_idx, patterns) in enumerate(found)
            ]
        # (start, -end, not a suppressor, hit number, category, weights): sorted as they
        # are, the phrases come leftmost-longest, suppressors first among equal spans,
        # else in hit order; the hit number keeps the comparison off the rest.
        phrases: list[tuple[int, int, bool, int, int, dict[str, float]]] = []
        contexts: list[tuple[int, int]] = []
        # The hot loop: _resolve() inlined (this runs for every article).
        # key_start: the key's start (end - key_len, the same for each pattern of the key),
        # the hit's own int object: no new one for each phrase (an untyped local).
        for i, key_start, end in hits:
            end_idx = end - 1
            for prefix, tail, kind, _, ref, p_weights, t_words, heads, prefixes in values[i]:
                space = end_idx
                if prefix:  # the key's last word may go on: its end, the next space
                    if folded is not None:
                        while buf[space] != 32:  # C reads; folded ends with b" "
                            space += 1
                    else:
                        space = padded.find(" ", end_idx)
                if tail is not None:
                    # Most tails fail: a scan of the next words' first characters rules
                    # out most failures for a fraction of the regex's cost.
                    # (The folded bytes: none when the keys are not ASCII, then no pre-test.)
                    if (
                        t_words
                        and folded is not None
                        and not _tail_may_match(folded, space, t_words, heads, prefixes)
                    ):
                        continue
                    m = tail.match(padded, space)
                    if m is None:
                        continue
                    head_end, space = space - 1, m.end()
                    if not _GAP_BREAKS.isdisjoint(text[head_end : space - 1]):
                        continue
                if kind == _KIND_PHRASE:
                    phrases.append((key_start, 1 - space, ref >= 0, len(phrases), ref, p_weights))
                else:
                    contexts.append((key_start, ref))
        if not phrases:
            return
        # Every sentence end is a "." here: found by str.find/rfind (see _sentence_span).
        # marked[1:] has its b"." where _stops(text) has them (and one more byte, a space).
        stops = marked[1:].decode("latin-1") if folded is not None else _stops(text)
        s0, s1 = 0, 0
        sentence = ""
        cues = _NO_CUES
        categories = self._category_rows
        not_asserted = self._not_asserted
        # What the characters before a phrase must be for an adjacent cue (see _compile):
        # on the folded bytes, the two before it, by the table; else the one before it.
        adjacent = self._adjacent_words > 0
        adjacent_end = self._adjacent_end
        pairs = self._adjacent_end2
        # Leftmost-longest; a suppressor wins over the phrases it overlaps and yields nothing.
        phrases.sort()
        # The signals' sentences first (the same walk as below), so that the field's
        # mentions are sorted into them by one scan (see _sentence_mentions).
        sentences: list[tuple[int, int]] = []
        last_end = -1
        for start, neg_end, is_phrase, _, _, _ in phrases:
            if start < last_end:
                continue
            last_end = -neg_end
            if is_phrase and start >= s1:  # a new sentence (phrases come in order, sentences too)
                span = _sentence_span(text, start, s1, stops)
                sentences.append(span)
                s1 = span[1]
        if not sentences:  # suppressors only
            return
        mentions = _sentence_mentions(countries, entities, field, sentences)
        sentence_cues = self._all_cues(folded, padded, text, sentences)
        sentence_actors: list[tuple[int, int, str]] = []
        s_index = -1
        s1 = 0
        # A signal's template: its category, CAMEO code and field already in place.
        templates = self._signal_templates.get(field)
        if templates is None:  # not a field of tag(): made here
            templates = [
                _signal_templates(field, row[0], row[1], not_asserted) for row in categories
            ]
        last_end = -1
        # at: the phrase's start as its hit's own int object (an untyped local), stored in
        # the signal as it is (compiled, no new int object for it); start: the same as a C int.
        for at, neg_end, is_phrase, _, ref, p_weights in phrases:
            start = at
            if start < last_end:
                continue
            last_end = end = -neg_end
            if not is_phrase:
                continue
            _, _, unless, group = categories[ref]
            if start >= s1:  # the next sentence of the list above
                s_index += 1
                s0, s1 = sentences[s_index]
                sentence = text[s0:s1]  # one string for the sentence's signals
                # Cues and actors are looked up once per sentence, shared by its signals.
                cues = sentence_cues[s_index]
                sentence_actors = mentions[s_index]
            if unless and _voided(contexts, unless, s0, s1):
                continue
            if cues.cues or (
                adjacent
                and (
                    start >= 2 and pairs[256 * buf[start - 2] + buf[start - 1]] != 0
                    if folded is not None
                    else padded[start - 1 : start] in adjacent_end
                )
            ):
                modality = self._modality(text, padded, start, end, s0, cues)
            else:  # no cue can govern the phrase (the common case: no call)
                modality = "asserted"
            weight = p_weights[modality]
            if weight > 0:
                group_weights = by_group.get(group)
                if group_weights is None:
                    by_group[group] = [weight]
                else:
                    group_weights.append(weight)
            # A copy of the template, every other key then set: a dict with its keys in
            # place (one table copy, then replacements) costs less than building one key
            # by key, and the template's own keys (category, CAMEO code, field, modality,
            # negated) need no setting: one look-up instead of five replacements.
            template = templates[ref][modality]
            signal = template.copy()
            signal["term"] = text[start:end]
            signal["start"] = at
            signal["end"] = end
            signal["sentence"] = sentence
            signal["weight"] = weight
            signal["actors"] = _actors(text, start, end, sentence_actors)
            out.append(signal)

    def _sentence_cues(
        self, folded: bytes | None, padded: str, text: str, s0: int, s1: int
    ) -> _Cues:
        """Find the modality cues and clause breaks of the sentence ``[s0, s1)``.

        *folded* is *padded* as bytes (None when the keys are not all ASCII).
        """
        # The sentence's first word starts after padded[s0]; its last ends before padded[s1 + 1].
        found: list[tuple[int, int, _CueRow]]
        if folded is not None and self._cue_matcher is not None:
            # One DFA scan of the sentence's bytes (pyahocorasick's iterator costs more).
            hits = self._cue_matcher.find_matches_as_indexes(folded[s0 : s1 + 2], True)
            if not hits:  # most sentences (~4 in 5): no list (~0.6 us each)
                return _NO_CUES
            values = self._cue_rows
            found = _resolve([(s0 + e - 1, values[i]) for i, _, e in hits], padded, text)
        else:
            found = _matches(self._cue_automaton, padded, text, s0, s1 + 2)
        return _cues_of(found)

    def _all_cues(
        self, folded: bytes | None, padded: str, text: str, sentences: list[tuple[int, int]]
    ) -> list[_Cues]:
        """Return the cues of each of *sentences* (ordered, disjoint), as _sentence_cues would.

        One DFA scan of the sentences' bytes, ``[s0, s1 + 2)`` each, joined, instead of one
        scan for each (a call costs ~3,400 instructions, more than most sentences' bytes).
        A sentence takes the hits that lie in its own bytes: those its own scan finds (the
        scan reports every occurrence of every key), in the same order (by end); a hit
        across two sentences' bytes is no one's.
        """
        out: list[_Cues] = []
        if folded is None or self._cue_matcher is None:
            for s0, s1 in sentences:
                out.append(self._sentence_cues(folded, padded, text, s0, s1))
            return out
        values = self._cue_rows
        if len(sentences) == 1:
            s0, s1 = sentences[0]
            joined = folded[s0 : s1 + 2]
        else:
            joined = b"".join([folded[s0 : s1 + 2] for s0, s1 in sentences])
        hits = self._cue_matcher.find_matches_as_indexes(joined, True)  # overlapping
        n_hits = len(hits)
        h = 0
        lo = 0  # the sentence's first byte in joined
        for s0, s1 in sentences:
            hi = lo + s1 + 2 - s0  # its end in joined
            own: list[tuple[int, Sequence[_CueRow]]] = []
            while h < n_hits:
                idx, start, end = hits[h]
                if end > hi:
                    break
                if start >= lo:
                    own.append((s0 - lo + end - 1, values[idx]))
                h += 1
            out.append(_cues_of(_resolve(own, padded, text)) if own else _NO_CUES)
            lo = hi
        return out

    def _modality(
        self, source: str, padded_source: str, start: int, end: int, s0: int, cues: _Cues
    ) -> str:
        """Return the modality that the cues governing the phrase at ``[start, end)`` give it.

        *padded_source* is the normalised *source* between two spaces.
        """
        # str locals: direct substrings when compiled (see _tag_field).
        text, padded = str(source), str(padded_source)
        best: str | None = None
        gerund: bool | None = None
        n_words = self._adjacent_words
        # One character test rules out most phrases (see _adjacent_end).
        if n_words and padded[start - 1] in self._adjacent_end:
            lo = max(s0, start - 12 * n_words)
            # A C character test when compiled (no one-character substring).
            if start >= 1 and text[start - 1].isspace() and not _holds_any(
                text, max(lo, start - 3), start, self._break_chars
            ):
                # rsplit: only the last words are needed (same as split()[-n_words:]).
                words = padded[lo + 1 : start + 1].rsplit(None, n_words)[-n_words:]
                if words and words[-1] in self._adjacent_last:
                    for k in range(len(words), 0, -1):
                        ref = self._adjacent.get(" ".join(words[-k:]), -1)
                        if ref >= 0:
                            best = self._cue_group_rows[ref][0]
                            break
        if not cues.cues:
            return best or "asserted"
        for c_start, c_end, ref in cues.cues:
            modality, after, window, clause, wants_gerund = self._cue_group_rows[ref]
            if after:
                if c_start < end:
                    continue
                lo, hi = end, c_start
            else:
                if c_end > start:
                    continue
                lo, hi = c_end, start
            if hi - lo > 12 * (window + 1):
                continue
            if max(text.count(" ", lo, hi) - 1, 0) > window:
                continue
            if clause and self._broken(text, lo, hi, cues.breaks):
                continue
            if wants_gerund:
                if gerund is None:
                    first = padded[start + 1 : end + 1].split(None, 1)[0]
                    gerund = first.endswith("ing")
                if not gerund:
                    continue
            if best is None or self._rank[modality] < self._rank[best]:
                best = modality
        return best or "asserted"

    def _broken(self, text: str, lo: int, hi: int, breaks: list[int]) -> bool:
        """Return True if a clause break lies between offsets *lo* and *hi*."""
        if _holds_any(text, lo, hi, self._break_chars):
            return True
        i = bisect_left(breaks, lo)
        return i < len(breaks) and breaks[i] < hi


def _holds_any(text: str, lo: int, hi: int, chars: str) -> bool:
    """Return True if ``text[lo:hi]`` (0 <= lo) holds one of *chars*.

    ``not frozenset(chars).isdisjoint(text[lo:hi])`` without the substring and a set
    look-up per character: a loop of C comparisons when compiled (see the .pxd).
    """
    for i in range(lo, min(hi, len(text))):  # noqa: SIM110  # any(): a closure (see _voided)
        if text[i] in chars:
            return True
    return False


def _matches(
    automaton: ahocorasick.Automaton, padded: str, text: str, lo: int, hi: int
) -> list[tuple[int, int, _CueRow]]:
    """Return ``(start, end, cue row)`` of every key of *automaton* (cue rows) in ``padded[lo:hi]``.

    *padded* is the normalised *text* between two spaces, so a padded offset
    is the text offset of the character after it: a key's leading space sits
    at the padded offset equal to its first word's offset in *text*.
    """
    return _resolve(automaton.iter(padded, lo, hi), padded, text)


# A cue pattern as the cue scans read it: (prefix, tail, key_len, kind, ref). Compiled,
# unpacking a tuple costs far less than reading slotted attributes (see _rows).
_CueRow = tuple[bool, re.Pattern[str] | None, int, int, int]


def _cue_rows(patterns: Sequence[_Pattern]) -> tuple[_CueRow, ...]:
    """Return *patterns* as :data:`_CueRow` tuples."""
    return tuple((p.prefix, p.tail, p.key_len, p.kind, p.ref) for p in patterns)


def _resolve(
    hits: Iterable[tuple[int, Sequence[_CueRow]]], padded: str, text: str
) -> list[tuple[int, int, _CueRow]]:
    """Return ``(start, end, pattern)`` of each ``(end index, patterns)`` hit that holds.

    A pattern with a tail holds when the tail follows within its gap and no
    clause break lies in the gap. A list, not a generator: cheaper per sentence.
    The phrase scan in ``_tag_field`` inlines this for speed (it runs for every
    article); the cue scans use it.
    """
    found: list[tuple[int, int, _CueRow]] = []
    for end_idx, rows in hits:
        for row in rows:
            prefix, tail, key_len, _, _ = row
            space = padded.find(" ", end_idx) if prefix else end_idx
            if tail is not None:
                m = tail.match(padded, space)
                if m is None:
                    continue
                head_end, space = space - 1, m.end()
                if not _GAP_BREAKS.isdisjoint(text[head_end : space - 1]):
                    continue
            found.append((end_idx - key_len + 1, space - 1, row))
    return found


def _cues_of(found: list[tuple[int, int, _CueRow]]) -> _Cues:
    """Return the cues and clause breaks of a sentence's resolved cue hits *found*."""
    if not found:
        return _NO_CUES
    cues = _Cues([], [])
    last_end = -1
    # Overlapping cues: the longest wins ("continued their" over "their"). Found by end,
    # they are mostly in order already: then no sort (a key call and a tuple an item),
    # which, stable, would change nothing.
    if not _start_longest_ordered(found):
        found.sort(key=_start_longest)
    for start, end, (_, _, _, kind, ref) in found:
        if kind == _KIND_BREAK:
            cues.breaks.append(start)
        elif start >= last_end:
            cues.cues.append((start, end, ref))
            last_end = end
    return cues


def _start_longest_ordered(found: list[tuple[int, int, _CueRow]]) -> bool:
    """Return True if *found* is sorted by :func:`_start_longest` (a C loop when compiled)."""
    for i in range(1, len(found)):
        start, end = found[i - 1][0], found[i - 1][1]
        next_start, next_end = found[i][0], found[i][1]
        if start > next_start or (start == next_start and end < next_end):
            return False
    return True


def _voided(contexts: list[tuple[int, int]], unless: tuple[int, ...], s0: int, s1: int) -> bool:
    """Return True if a context of *unless* (context indexes) starts in ``[s0, s1)``.

    A function, not ``any()`` over a generator: compiled, the tagger's methods are
    cpdef (see the .pxd), which cannot hold a closure.
    """
    for pos, c_ref in contexts:  # noqa: SIM110  # any() over a generator: a closure
        if c_ref in unless and s0 <= pos < s1:
            return True
    return False


def _adjacent(group: _CueGroup) -> bool:
    """Return True if the group's cues must stand right before the phrase."""
    return not group.after and group.window == 0 and not group.gerund


# --------------------------------------------------------------------------- sentences

# A word (letters and dots) this long before a full stop is no abbreviation.
_LONGEST_ABBREVIATION = max(map(len, ABBREVIATIONS)) + 1
_ASCII_WORD = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz."
# The last two characters of every abbreviation (empty, so unused, if one is shorter).
_ABBREVIATION_ENDS = (
    frozenset(a[-2:] for a in ABBREVIATIONS) if min(map(len, ABBREVIATIONS)) > 1 else frozenset()
)

# Two lower-case ASCII letters or digits that end no abbreviation: a full stop after
# them closes none (the first test of _abbreviation_before, as one set look-up).
_LOWER_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
_PLAIN_ENDS = (
    frozenset(a + b for a in _LOWER_ALNUM for b in _LOWER_ALNUM) - _ABBREVIATION_ENDS
    if _ABBREVIATION_ENDS
    else frozenset()
)
# The last three letters of every abbreviation that long.
_ABBREVIATION_ENDS3 = frozenset(a[-3:] for a in ABBREVIATIONS if len(a) >= 3)
# The same as a table: "1" at 36 * i + j where _LOWER_ALNUM[i] + _LOWER_ALNUM[j] is one
# (read by _plain_end: C comparisons when compiled, no substring to make and hash).
_PLAIN_TABLE = "".join(
    "1" if a + b in _PLAIN_ENDS else "0" for a in _LOWER_ALNUM for b in _LOWER_ALNUM
)


# Maps the folded field's bytes to b"." where the text has one of ".!?\n", else b" ":
# the next or previous possible sentence end is then one str.find/rfind (memchr)
# instead of four str.find or a regex scan.
_STOPS = bytes(46 if chr(i) in ".!?\n" else 32 for i in range(256))
# A run of stops and closing quotes/brackets, from its first stop.
_RUN = re.compile(r"""[.!?]+["'”’)\]]*""")
# The same run followed by white space (``\s`` is ``str.isspace``), capturing the
# first character after spaces and tabs (a lower-case one: no sentence end).
_END_RUN = re.compile(r"""[.!?]+["'”’)\]]*(?=\s)(?=[ \t]*(.))""", re.DOTALL)


def _stops(text: str) -> str:
    """Return one character per character of *text*: "." at ``.!?`` and line breaks, else " "."""
    # A str, not bytes: compiled, str.find/rfind are direct C calls (bytes.find parses
    # its arguments at every call, ~5 times the cost of a short search).
    return text.encode("ascii", _FOLD_ERRORS).translate(_STOPS).decode("latin-1")


def _abbreviation_before(text: str, p: int) -> bool:
    """Return True if the full stop at *p* closes an abbreviation or an initial."""
    # Most words end in two letters that end no abbreviation and are no initial.
    if (
        _ABBREVIATION_ENDS
        and text[max(0, p - 2) : p].lower() not in _ABBREVIATION_ENDS
        and not text[p - 1 : p].isupper()
    ):
        return False
    # Nor does a word ending in three lower-case ASCII letters that end no abbreviation
    # ("years.", "began."): the word is at least that long and ends in them.
    end3 = text[p - 3 : p]
    if p >= 3 and end3.isascii() and end3.isalpha() and end3.islower() and (
        end3 not in _ABBREVIATION_ENDS3
    ):
        return False
    window = text[max(0, p - _LONGEST_ABBREVIATION) : p]
    if window.isascii():
        # The word before the stop by one C-level rstrip instead of a character walk.
        word = window[len(window.rstrip(_ASCII_WORD)) :]
        return len(word) < _LONGEST_ABBREVIATION and (
            word.lower() in ABBREVIATIONS or (len(word) == 1 and word.isupper())
        )
    # A word longer than any abbreviation right before the stop is none.
    return not (
        p >= _LONGEST_ABBREVIATION and window.replace(".", "").isalpha()
    ) and ends_with_abbreviation(text, p)


def _is_boundary(text: str, p: int) -> int:
    """If a sentence ends with the run starting at *p*, return its end, else -1.

    Same rules as :func:`pipeline.tagging.text.split_sentences`: ``.!?`` runs
    followed by whitespace, except after an abbreviation or an initial or
    before a lower-case word.
    """
    m = _END_RUN.match(text, p)
    if m is None or (
        text[p] == "." and (m.group(1).islower() or _abbreviation_before(text, p))
    ):
        return -1
    return m.end()


def _alnum_index(ch: str) -> int:
    """Return the index of *ch* in :data:`_LOWER_ALNUM`, or -1."""
    if "a" <= ch <= "z":
        return ord(ch) - 97
    if "0" <= ch <= "9":
        return ord(ch) - 48 + 26
    return -1


def _plain_end(text: str, p: int) -> bool:
    """Return ``text[p - 2 : p] in _PLAIN_ENDS`` for ``0 <= p < len(text)``, by characters."""
    if p < 2:  # text[p - 2 : p] is no two characters
        return False
    i = _alnum_index(text[p - 2])
    j = _alnum_index(text[p - 1])
    return i >= 0 and j >= 0 and _PLAIN_TABLE[36 * i + j] == "1"


def _stop_end(source: str, p: int) -> int:
    """:func:`_is_boundary`, with the common cases decided without the regex."""
    text = str(source)  # a str local: direct substrings when compiled (see _tag_field)
    # A lone stop before a space and an ASCII capital (". The") or a line break ends
    # the sentence right after it unless it closes an abbreviation; most words before
    # it end in two letters that end none (~2 us less per signal sentence).
    # Character tests (C comparisons when compiled): no substring to make and hash.
    n = len(text)
    if (p + 2 < n and text[p + 1] == " " and "A" <= text[p + 2] <= "Z") or (
        p + 1 < n and text[p + 1] == "\n"
    ):
        if text[p] == "." and not _plain_end(text, p) and _abbreviation_before(text, p):
            return -1
        return p + 1
    return _is_boundary(text, p)


def _sentence_span(
    text: str, offset: int, lo: int = 0, stops: str | None = None
) -> tuple[int, int]:
    """Return the span of the sentence holding *offset*, as ``split_sentences`` cuts it.

    Scans outwards from *offset* instead of splitting the whole text; *lo* (a
    sentence end or 0) bounds the backward scan. *stops* is ``_stops(text)``
    (computed if not given: pass it when looking up several sentences).
    """
    if stops is None:
        stops = _stops(text)
    start = lo
    pos = offset
    while pos > lo:
        p = stops.rfind(".", lo, pos)
        if p < 0:
            break
        if text[p] == "\n":
            start = p + 1
            break
        while p > lo and text[p - 1] in ".!?":
            p -= 1
        q = _stop_end(text, p)
        if q != -1 and q <= offset:
            start = q
            break
        pos = p
    n = len(text)
    end = n
    pos = offset
    while True:
        p = stops.find(".", pos)
        if p < 0:
            break
        if text[p] == "\n":
            end = p
            break
        q = _stop_end(text, p)
        if q != -1:
            end = q
            break
        pos = _RUN.match(text, p).end()  # type: ignore[union-attr]  # text[p] is a stop
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


# --------------------------------------------------------------------------- actors


def _sentence_mentions(
    countries: list[Country],
    entities: list[Entity],
    field: str,
    sentences: list[tuple[int, int]],
) -> list[list[tuple[int, int, str]]]:
    """Return the ``(start, end, country code)`` of the mentions in *field*, by sentence.

    Country evidence and entity mentions (with a country); one list for each of the
    ordered, disjoint spans *sentences*, holding the mentions that start in it, in the
    order given. One scan for all sentences, each mention's start read first: most
    lie outside the signals' sentences and cost one dict read, no tuple (~25,000
    instructions a calm article less than a field-wide list filtered by sentence).
    """
    found: list[list[tuple[int, int, str]]] = []
    # owner[pos]: chr(k + 1) where the k-th sentence holds pos, else "\0". One character
    # read a mention instead of a bisection over the spans (C-level when compiled).
    pieces: list[str] = []
    prev = 0
    for s0, s1 in sentences:
        found.append([])
        pieces.append("\0" * (s0 - prev))
        pieces.append(chr(len(found)) * (s1 - s0))
        prev = s1
    owner = "".join(pieces)
    hi = len(owner)
    # Plain loops over dict locals (typed in the .pxd): compiled, direct dict reads.
    for country in countries:
        code = country["code"]
        for ev in country["evidence"]:
            start = ev["start"]
            pos = start  # a C integer when compiled (start stays the int object)
            if 0 <= pos < hi:
                k = ord(owner[pos])
                if k and ev["field"] == field:
                    found[k - 1].append((start, ev["end"], code))
    for entity in entities:
        entity_code = entity.get("country")
        if entity_code:
            for m in entity["mentions"]:
                start = m["start"]
                pos = start
                if 0 <= pos < hi:
                    k = ord(owner[pos])
                    if k and m["field"] == field:
                        found[k - 1].append((start, m["end"], entity_code))
    return found


def _actors(text: str, start: int, end: int, spans: list[tuple[int, int, str]]) -> list[str]:
    """Return the signal's actor codes: agent, target, then the sentence's other countries.

    *spans* are the country and entity mentions of the signal's sentence, in any
    order. One country (the common case) or two (most of the rest) are decided
    here in one pass; more go to :func:`_ordered_actors`.
    """
    if not spans:
        return []
    first = spans[0][2]
    for span in spans:
        if span[2] != first:
            second = span[2]
            break
    else:  # one country: no ordering to do
        return [first]
    # Two countries: the agent (see _ordered_actors) comes first, the other one second.
    # The nearest mention before the phrase and the nearest inside or after it, as
    # (gap, code) minima: no lists, no sorts (a third fewer instructions a signal);
    # each minimum is two variables compared as the tuple would be, not a tuple.
    before_gap = after_gap = -2  # none yet: a gap is >= 0, or -1 inside the phrase
    before_code = after_code = ""
    for a_start, a_end, code in spans:
        if code != first and code != second:
            return _ordered_actors(text, start, end, spans)
        if a_end <= start:
            gap = start - a_end
            if (
                before_gap == -2
                or gap < before_gap
                or (gap == before_gap and code < before_code)
            ):
                before_gap, before_code = gap, code
        else:
            gap = a_start - end if a_start >= end else -1
            if after_gap == -2 or gap < after_gap or (gap == after_gap and code < after_code):
                after_gap, after_code = gap, code
    if before_gap == -2:
        agent = after_code  # some mention is before or after
    else:
        agent = before_code
        if after_gap >= 0 and _agent_follows(text, end, after_gap):
            agent = after_code
    return [agent, second if agent == first else first]


def _agent_follows(source: str, end: int, gap: int) -> bool:
    """Return True if "by"/"from" leads to the mention *gap* characters after *end*."""
    text = str(source)  # a str local: direct substrings when compiled (see _tag_field)
    words = text[end : end + gap]
    # Spaces counted before lower-casing (which keeps them): a long gap needs no lower().
    if words.count(" ") > _MAX_ACTOR_GAP + 1:
        return False
    words = words.lower()
    return " by " in words or " from " in words


def _ordered_actors(
    text: str, start: int, end: int, spans: list[tuple[int, int, str]]
) -> list[str]:
    """:func:`_actors` for any number of countries.

    The nearest mention before the phrase (agent), then the nearest inside or
    after it (target), swapped when "by"/"from" follows the phrase ("attacks
    from the Russian army"), then the others by distance.
    """
    before: list[tuple[int, str]] = []
    after: list[tuple[int, str]] = []
    for a_start, a_end, code in spans:
        if a_end <= start:
            before.append((start - a_end, code))
        elif a_start >= end:
            after.append((a_start - end, code))
        else:
            after.append((-1, code))  # inside the phrase: its object
    before.sort()
    after.sort()
    order: list[str] = []
    if after and after[0][0] >= 0 and _agent_follows(text, end, after[0][0]):
        order.append(after.pop(0)[1])  # "attacks from the Russian army": agent after
    if before:
        order.append(before.pop(0)[1])
    if after:
        order.append(after.pop(0)[1])
    order += map(_CODE, before)  # C-level: cheaper than a comprehension on 1-3 items
    order += map(_CODE, after)
    return list(dict.fromkeys(order)) if len(order) > 1 else order


_CODE = operator.itemgetter(1)
