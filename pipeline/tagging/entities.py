"""Entity tagging: people, organisations and (non-country) places, tied to countries.

The built-in extractor needs no model. One C-level regular-expression pass
(:data:`_RUN`) finds runs of capitalised tokens ("Russian President Vladimir
Putin", "Institute for the Study of War", "U.S."); Python work happens only
per run, and the analysis of a run's text is cached, so repeated names cost a
dictionary look-up. A run is read left to right against compiled tables:

* gazetteers (``data/entities/*.json``): international organisations, news
  agencies, armed forces and armed groups, each with its country;
* the country tagger's :meth:`~pipeline.tagging.countries.CountryTagger.lookup`
  (countries, demonyms, capitals, cities, subdivisions, institutions, leaders);
* titles and roles ("President", "Foreign Minister", "Gen.") that mark a person
  and give its ``role``; honorifics ("Mr.");
* organisation cues ("Ministry", "Council", "Institute", "Forces", "Party",
  "Corp") and place cues ("Oblast", "Sea", "Gulf of", "Airport");
* given names and surnames (built from the ``faker`` package, see
  ``data/entities/README.md``) and a list of common English words (SCOWL), so
  that a sentence-initial capital ("Meanwhile", "According") is not a name.

Then, per article: a lone surname or given name joins the full name it belongs
to ("Putin" -> "Vladimir Putin"), an acronym joins the organisation it was
defined for ("ISW" after "Institute for the Study of War (ISW)") or whose
initials it is, headlines in capitals or title case are read only against
what the body and the tables know, and each entity gets a country from its
table entry, a country word right before it ("Russian President ...",
"North Korean leader ...", "US think tank, ..."), the organisation whose
role it holds ("... Foreign Ministry spokesperson, Lim Soo-suk"), or, for
people, the nearest country cue earlier in the sentence.

Places that are countries are not entities (they are the country tagger's
output); demonyms are not entities either.

Speed: every per-run result is cached (the reading of a run with each
segment's surface, canonical and country strength ready, headline plans,
name parts and initials per canonical, gap tests), so an article costs one
regex pass plus a few dictionary look-ups per mention; the look-ups of a
field's runs are C-level passes (``map`` over caches whose ``__missing__``
does the reading) and the Python loop sees only runs that say something;
the process-wide instance freezes the loaded tables out of the cyclic
garbage collector. What a first sight of a run costs is kept low by work done
at load time: the country tagger's look-up tables are classified once (one
dict holds every known surface), and sets of the first two words of every
known multi-word surface and of every word a reading treats specially let a
run of unknown names ("Phil Simmons") be read after a few C-level set tests.
"""

from __future__ import annotations

import gc
import json
import re
import threading
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from importlib.machinery import EXTENSION_SUFFIXES
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import Any, ClassVar, Final, Protocol

from pipeline.errors import BrinkwatchError
from pipeline.tagging.types import Country, Entity, EntityType, FieldName, Mention

__all__ = [
    "EntityTagger",
    "EntityTaggerProtocol",
    "get_entity_tagger",
]

_DATA_DIR: Final = Path(__file__).resolve().parent / "data" / "entities"

#: A country look-up: surface -> (alpha-2, via) or None.
Lookup = Callable[[str], "tuple[str, str] | None"]


class EntityTaggerProtocol(Protocol):
    """What every entity backend offers: ``tag(title, body, countries)``."""

    data_version: str

    def tag(self, title: str, body: str, countries: list[Country]) -> list[Entity]:
        """Return the article's entities, each with every mention's offsets."""
        ...


# -- the capitalised-run pattern ---------------------------------------------------------


def _words(text: str) -> list[str]:
    """Split a space-separated word list."""
    return text.split()


def _upper_class() -> str:
    """Return a regex character class body with every upper-case letter we accept."""
    chars = [ch for cp in range(0x00C0, 0x0530) if (ch := chr(cp)).isupper()]
    body = "A-Z" + "".join(re.escape(ch) for ch in chars)
    return body


_UP: Final = _upper_class()
_ABBREVS: Final = frozenset(
    _words("Mr Mrs Ms Mme Messrs Dr Prof Gen Lt Col Maj Capt Cpt Sgt Cpl Pvt Adm Cmdr Cdr Brig Gov")
    + _words("Sen Rep Rev Fr St Mt Ft Jr Sr Corp Inc Ltd Co Cos Bros Dept Univ Assn No Vol Ave")
)
# One capitalised token: initials ("U.S.", "P.") or a word with inner apostrophes, hyphens
# and "&", and maybe a full stop. It starts with a capital that does not follow a letter,
# digit, apostrophe or full stop (so "iPhone" and the "S" of "U.S." start nothing). The
# pattern begins with a character class so that the regex engine skips ahead in C;
# full stops that end a sentence and possessives are cut off afterwards (_pieces).
_TOKEN: Final = rf"[{_UP}](?<![\w'’.][{_UP}])(?:\.(?:[{_UP}]\.)+|[\w&'’\-]*\.?)"
# The words that join a run's tokens: of for de du des da do dos das di del della van von der
# den ter bin ibn al el and & in(?=[ ]Chief), grouped by first letter, so that the regex engine
# rules most groups out on one character (each word is followed by a space, so the order of
# the words does not change what matches).
_CONNECT: Final = (
    r"(?:of|for|d(?:e(?:lla|[lnrs])?|[uoai]|os|as)|v(?:an|on)|ter|bin|i(?:bn|n(?=[ ]Chief))"
    r"|a(?:l|nd)|el|&)(?:[ ](?:the|der|den|la|le|al))?"
)
# \w with its ASCII part spelled out first: in a class, the regex engine then tests a bit map
# for most letters before it asks the Unicode category (the same characters either way).
_WORD: Final = r"A-Za-z0-9_\w"


def _run_regex(up: str, word: str, quotes: str, behind: bool = True) -> re.Pattern[str]:
    r"""Compile the run regex: _TOKEN (with *up*, *word* and *quotes* for its classes) in runs.

    The same as "_TOKEN(?:(?:[ ]_CONNECT)?[ ]_TOKEN)*" with the joining space taken out
    of the option, and the loop possessive: it ends the pattern, so it never gives an
    iteration back. A token after the joining space has no look-behind: it always holds
    there (a space is none of [\w'’.]). Without *behind*, the first token has none either:
    the regex for places where a run's start is known to hold (see :func:`_runs`).
    """
    body = rf"(?:\.(?:[{up}]\.)+|[{word}&{quotes}\-]*\.?)"
    following = rf"[{up}]{body}"
    first = rf"[{up}](?<![{word}{quotes}.][{up}]){body}" if behind else following
    return re.compile(rf"{first}(?:[ ](?:{_CONNECT}[ ])?{following})*+")


_RUN: Final = _run_regex(_UP, _WORD, "'’")
# _RUN for ASCII text (str.isascii() is O(1)): there [{_UP}] is [A-Z] and \w is [A-Za-z0-9_],
# and the regex engine tests a range or a 256-bit map per character instead of a big
# Unicode set and a category look-up (the scan for a capital reads every character; ~20 %
# fewer instructions per 3 KB article).
_RUN_ASCII: Final = _run_regex("A-Z", "A-Za-z0-9_", "'")
# The two without the first token's look-behind, for places where it is known to hold.
_RUN_AT: Final = _run_regex(_UP, _WORD, "'’", behind=False)
_RUN_AT_ASCII: Final = _run_regex("A-Z", "A-Za-z0-9_", "'", behind=False)

_MATCH_TEXT: Final = re.Match.group
_MATCH_START: Final = re.Match.start

# Where a run starts: a character of the first token's class [{_UP}] that follows no character
# of its look-behind class [\w'’.] (every capital is one), or opens the text; the run regex
# always matches there. Compiled, _runs finds those places in a C loop over the text and
# reads runs of plain tokens itself; the regex is asked only about the others (its own
# search tests every character against the capital class, ~50 instructions a character,
# and each match costs a few thousand).
_START_CHAR: Final = re.compile(rf"[{_UP}]")
_BEFORE_START: Final = re.compile(rf"[{_WORD}'’.]")
_MARK_START, _MARK_WORD, _MARK_OTHER = 2, 1, 0
# The lower-case words that _CONNECT matches (before a space): a token followed by a space
# and another word cannot go on unless the word is one of these or starts with a capital.
_JOINING: Final = frozenset(
    _words("of for de della del den der des du do da di dos das van von ter bin ibn in al and el")
)
# The words that may follow a joining word before the name it joins ("Institute for the Study").
_JOINING_NEXT: Final = frozenset(_words("the der den la le al"))


def _start_mark(ch: str) -> int:
    """Return what *ch* is to a run's start: a capital that may start one, a character
    that rules out a start right after it, or another character."""
    if _START_CHAR.fullmatch(ch):
        return _MARK_START
    return _MARK_WORD if _BEFORE_START.fullmatch(ch) else _MARK_OTHER


# The marks of non-ASCII characters, filled in on first sight (ASCII is tested inline).
_wide_marks: dict[str, int] = {}


def _wide_mark(ch: str) -> int:
    """Return :func:`_start_mark` of a non-ASCII character (kept in :data:`_wide_marks`)."""
    mark = _wide_marks.get(ch)
    if mark is None:
        mark = _wide_marks[ch] = _start_mark(ch)
    return mark


# Whether this module runs compiled (the loops below are C then; from source, the regex search).
_COMPILED: Final = __file__.endswith(tuple(EXTENSION_SUFFIXES))


def _runs(text: str) -> tuple[list[int], list[str]]:
    """Return the starts and texts of the runs of *text*: those of ``_RUN.finditer(text)``
    (``_RUN_ASCII`` for ASCII text).

    Compiled, one C loop over the characters finds where a run may start and reads it on
    (the states below) as the regex would; only a run with initials ("U.S.", "J. Smith")
    is matched by the regex. Each character is read once, from the text's buffer.
    """
    if not _COMPILED:
        matches = list((_RUN_ASCII if text.isascii() else _RUN).finditer(text))
        return list(map(_MATCH_START, matches)), list(map(_MATCH_TEXT, matches))
    starts: list[int] = []
    runs: list[str] = []
    end = 0  # no run starts inside the previous one
    blocked = False  # whether the character before i rules out a run starting at i
    # Where the loop is in a run (integers, so that the compiled loop compares C ints):
    # 0 outside one; 1 right after a token's capital (a full stop there may be initials);
    # 2 in a token; 3 after a token's full stop; 4 after a token and a space; 5 in a
    # joining word; 6 after "&"; 7 after a joining word and a space; 8 in the word after
    # it ("of the"); 9 after that word and a space. From 4 and 7 on, the run ends at *last*
    # (the end of its last token) unless a capital comes; so it does from 3 on a non-space.
    state = 0
    begin = last = word = 0  # the run's start, its last token's end, the word's start
    i = -1
    for ch in text:  # compiled: a C loop over the text's buffer
        i += 1
        if state:
            if state <= 2:
                if (
                    "a" <= ch <= "z"
                    or "A" <= ch <= "Z"
                    or "0" <= ch <= "9"
                    or ch == "-"
                    or ch == "'"
                    or ch == "_"
                    or ch == "&"
                    or (ch >= "\x80" and (ch.isalnum() or ch == "’"))  # \w (Unicode), a quote
                ):
                    state = 2
                elif ch == ".":
                    if state == 1:  # maybe initials: the regex reads the run
                        m = (_RUN_AT_ASCII if text.isascii() else _RUN_AT).match(text, begin)
                        end = m.end() if m is not None else i  # never None (a run starts)
                        starts.append(begin)
                        runs.append(text[begin:end])
                        state = 0
                    else:
                        state = 3
                        last = i + 1
                else:
                    last = i
                    state = 4 if ch == " " else -1
            elif state == 3:
                state = 4 if ch == " " else -1
            elif state == 4 or state == 7 or state == 9:
                if "A" <= ch <= "Z" or (ch >= "\x80" and _wide_mark(ch) == _MARK_START):
                    state = 1  # the next token, at its capital
                elif state == 4 and "a" <= ch <= "z" and ch in "abdefiotv":  # _JOINING's
                    state = 5
                    word = i
                elif state == 4 and ch == "&":
                    state = 6
                elif state == 7 and "a" <= ch <= "z":
                    state = 8
                    word = i
                else:
                    state = -1
            elif state == 5:
                if ch == " ":
                    # A joining word ("in" only before "Chief"); most words are longer.
                    if (
                        1 < i - word <= 5
                        and text[word:i] in _JOINING
                        and (i - word != 2 or text[word] != "i" or text.startswith(" Chief", i))
                    ):
                        state = 7
                    else:
                        state = -1
                elif not "a" <= ch <= "z" or (i == word + 1 and ch not in "abefilnou"):
                    state = -1  # "abefilnou": the second letters of _JOINING ("to" ends here)
            elif state == 6:
                state = 7 if ch == " " else -1
            elif state == 8:
                if ch == " ":
                    state = 9 if i - word <= 3 and text[word:i] in _JOINING_NEXT else -1
                elif not "a" <= ch <= "z":
                    state = -1
            if state < 0:  # the run ended at *last*; this character is read on as outside one
                starts.append(begin)
                runs.append(text[begin:last])
                end = last
                state = 0
        # Whether a run starts here (read in a run too, for *blocked*). The commonest
        # characters first: lower-case letters, then spaces.
        if "a" <= ch <= "z":
            blocked = True
            continue
        if ch == " ":
            blocked = False
            continue
        if "0" <= ch <= "9" or ch == "." or ch == "'" or ch == "_":
            blocked = True
            continue
        if not "A" <= ch <= "Z":
            if ch < "\x80":
                blocked = False
                continue
            mark = _wide_marks.get(ch)
            if mark is None:
                mark = _wide_marks[ch] = _start_mark(ch)
            if mark != _MARK_START:
                blocked = mark == _MARK_WORD
                continue
        # A capital (it blocks a start right after it).
        if not blocked and not state and i >= end:
            state = 1
            begin = i
        blocked = True
    if state:  # the text ends in a run
        if state <= 2:
            last = i + 1
        starts.append(begin)
        runs.append(text[begin:last])
    return starts, runs


# Two words in capitals in a row: the text may hold a headline in capitals.
_LOUD_HINT: Final = re.compile(r"[A-Z][A-Z'’&\-]+[ ][A-Z][A-Z'’&\-]+")
_PAREN_ACRONYM: Final = re.compile(r"[ ]?\(([A-Z][A-Za-z0-9&.\-]{1,11})\)")
_HAS_LOWER: Final = re.compile(r"[a-z]")
_SENTENCE_END_IN: Final = re.compile(r"[.!?][\"'”’)\]]*\s|\n")
_SENTENCE_END_AT: Final = re.compile(r"[\"'”’)\]]*\s")  # after a "." "!" "?"
_LOWER_GAP: Final = re.compile(r"(?:['’]s)?(?:[ ,]+(?:[a-z][\w\-]*|[0-9][\w\-]*))*[ ,]*")
_QUOTES_OPEN: Final = "\"'“‘«(["
# A character that, right before "<space><token>", makes _sentence_initial look further
# (spaces, opening quotes, sentence and clause ends, closing quotes); any other one means
# "not sentence-initial" at once, which lets the hot loops skip the call.
_NOT_PLAIN: Final = frozenset(" \t" + _QUOTES_OPEN + ".!?\n:;-–—•*" + "\"'”’)]")
# _sentence_initial's answer for a token after "<char><space>": True after a sentence end,
# None (look further) after another _NOT_PLAIN character, False (the default) otherwise.
_AFTER_SPACE: Final[dict[str, bool | None]] = {
    ch: (True if ch in ".!?\n" else None) for ch in _NOT_PLAIN
}
_CONNECTOR_WORDS: Final = frozenset(
    _words("of for the and & de du des da do dos das di del della la le")
    + _words("van von der den ter bin ibn al el")
)
_PARTICLES: Final = frozenset(
    _words("de du des da do dos das di del della van von der den ter bin ibn al el la le")
)
_POSSESSIVE: Final = ("'s", "’s")

# Kinds of things a surface can be.
_ORG, _LOC, _PERSON, _COUNTRY, _DEMONYM, _TITLE, _HONORIFIC, _NOT = range(8)
_TYPE_NAMES: Final[dict[int, EntityType]] = {_ORG: "ORG", _LOC: "LOC", _PERSON: "PERSON"}
# Kinds by what they do in a run: entities, country cues, and what ends an unknown chunk.
_ENTITY_KINDS: Final = frozenset((_ORG, _LOC, _PERSON))
_CUE_KINDS: Final = frozenset((_COUNTRY, _DEMONYM))
_CHUNK_STOP_KINDS: Final = frozenset((_TITLE, _HONORIFIC, _ORG))

# Strength of a country attribution.
_C_TABLE, _C_ADJACENT, _C_SENTENCE = 3, 2, 1

_CACHE_LIMIT: Final = 40_000


def _via_kind(kind: int) -> Callable[[str], tuple[int, str, str | None]]:
    """Return a maker of the (kind, canonical, country) of a country-tagger look-up."""
    return lambda code: (kind, "", code if kind != _NOT else None)


# What a country-tagger look-up makes of a surface, by its "via"; other vias are places.
_VIA_KINDS: Final = {
    "name": _via_kind(_COUNTRY),
    "alias": _via_kind(_COUNTRY),
    "demonym": _via_kind(_DEMONYM),
    "leader": _via_kind(_PERSON),
    "institution": _via_kind(_ORG),
    "armed_group": _via_kind(_ORG),
    "currency": _via_kind(_NOT),
}
_LOC_KIND: Final = _via_kind(_LOC)


# -- data --------------------------------------------------------------------------------


def _read(name: str) -> dict[str, Any]:
    """Read one data file; it must carry a "version"."""
    path = _DATA_DIR / name
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if "version" not in data:
        raise BrinkwatchError(f"{path}: no 'version'")
    return data


class _Tables:
    """Every table the built-in extractor reads, compiled once per process."""

    def __init__(self) -> None:
        titles = _read("titles.json")
        cues = _read("cues.json")
        names = _read("names.json")
        common = _read("common_words.json")
        gazetteers = [
            _read(n)
            for n in ("international_organisations.json", "news_agencies.json", "armed_groups.json")
        ]
        regions = _read("regions.json")
        # surface -> (canonical, country)
        self.orgs: dict[str, tuple[str, str | None]] = {}
        for gaz in gazetteers:
            for canonical, country, aliases in gaz["entries"]:
                for surface in (canonical, *aliases):
                    self.orgs.setdefault(surface, (canonical, country))
        # surface -> (canonical, country) for places the country tagger does not hold
        self.regions: dict[str, tuple[str, str | None]] = {}
        for canonical, country, aliases in regions["entries"]:
            for surface in (canonical, *aliases):
                self.regions.setdefault(surface, (canonical, country))
        self.titles: frozenset[str] = frozenset(titles["titles"])
        self.title_ends: frozenset[str] = frozenset(x.rpartition(" ")[2] for x in self.titles)
        self.honorifics: frozenset[str] = frozenset(titles["honorifics"])
        self.roles: frozenset[str] = frozenset(titles["roles"])
        self.role_modifiers: frozenset[str] = frozenset(titles["role_modifiers"])
        self.org_words: frozenset[str] = frozenset(cues["org_words"])
        self.org_suffixes: frozenset[str] = frozenset(cues["org_suffixes"])
        self.loc_suffixes: frozenset[str] = frozenset(cues["loc_suffixes"])
        self.loc_prefixes: frozenset[str] = frozenset(cues["loc_prefixes"])
        self.not_entities: frozenset[str] = frozenset(cues["not_entities"])
        self.compound_suffixes: frozenset[str] = frozenset(cues["compound_suffixes"])
        self.acronym_stop: frozenset[str] = frozenset(cues["acronym_stop"])
        self.place_prepositions: frozenset[str] = frozenset(cues["place_prepositions"])
        self.gap_stopwords: frozenset[str] = frozenset(cues["gap_stopwords"])
        self.function_words: frozenset[str] = frozenset(cues["function_words"])
        self.calendar: frozenset[str] = frozenset(cues["calendar"])
        self.misc_prefixes: frozenset[str] = frozenset(cues["misc_prefixes"])
        self.misc_suffixes: frozenset[str] = frozenset(cues["misc_suffixes"])
        self.common: frozenset[str] = frozenset(common["words"])
        self.first_names: frozenset[str] = frozenset(names["first"])
        self.surnames: frozenset[str] = frozenset(names["last"])
        longest = max(len(s.split(" ")) for s in (*self.orgs, *self.titles, *self.honorifics))
        self.max_span: int = min(6, max(longest, 4))
        as_of = max(str(d.get("as_of", "")) for d in (titles, cues, names, regions, *gazetteers))
        self.version: str = f"entities/{as_of}"


@cache
def _tables() -> _Tables:
    """Return the process-wide tables (loaded on first use)."""
    return _Tables()


# -- per-run analysis --------------------------------------------------------------------

# The kind of a lone token whose type the article decides.
_SINGLE: Final = -1
# A segment of a run ready to become a mention: (start, end) relative to the run, kind
# (_ORG/_LOC/_PERSON or _SINGLE), surface, canonical, country, country strength (0 without
# a country unless from a table) and role. The reading of a run: its segments, and the
# country the run's last word names or belongs to (a cue for what follows: "Russian
# foreign ministry official ...").
_Ready = tuple[int, int, int, str, str, "str | None", int, "str | None"]
_Reading = tuple[tuple[_Ready, ...], "str | None"]


class _RunInfo:
    """The analysis of one run text: both its readings, shared by every occurrence."""

    __slots__ = ("depends", "initial", "plain", "run", "shout")

    def __init__(self, depends: bool, plain: _Reading, initial: _Reading | None, run: str):
        # depends: whether the reading depends on the run opening a sentence; initial: the
        # sentence-initial reading, None until first needed (filled in place, so that the
        # hot loops read it without a call).
        self.depends = depends
        self.plain = plain
        self.initial = initial
        self.run = run
        # What the run is to text in capitals (see _shouting): _LOUD_SELF loud by itself,
        # _LOUD_MAYBE loud next to a loud run, 0 never loud (worked out once per run text).
        self.shout = (_LOUD_SELF if _loud_by_itself(run) else _LOUD_MAYBE) if run.isupper() else 0


# A regex run's pieces that say something: (start, end, info, and the plain reading's
# segments and tail, unpacked for the hot loop).
_Piece = tuple[int, int, _RunInfo, tuple[_Ready, ...], "str | None"]
_Entry = tuple[_Piece, ...]
_EMPTY: Final[_Reading] = ((), None)


class _Loud(Exception):
    """Raised by a run-cache miss on a run in capitals: stop and scan the field slowly."""


# The run cache's entry for a run in capitals: a tuple of its own (compared by identity; an
# empty tuple would be every silent run's), whose one piece says nothing.
_LOUD_ENTRY: Final[_Entry] = ((0, 0, _RunInfo(False, _EMPTY, _EMPTY, ""), (), None),)


class _RunCache(dict[str, _Entry]):
    """Regex run -> its entry; a miss builds the entry, so that ``map`` looks runs up in C.

    A run in capitals ("UN SECURITY COUNCIL") gets :data:`_LOUD_ENTRY` and raises
    :class:`_Loud` (ending the look-up pass early, as its field is then scanned the slow
    way, :meth:`EntityTagger._scan_loud`); met again, its entry sends the field that way
    (:func:`_has_loud`).
    The owner bounds the size between fields (:meth:`trim`), never during a look-up pass.
    """

    __slots__ = ("_make",)

    def __init__(self, make: Callable[[str], _Entry]) -> None:
        super().__init__()
        self._make = make

    def __missing__(self, run: str) -> _Entry:
        """Build, store and return the entry of a run not seen yet."""
        if " " in run and not run.istitle() and _LOUD_HINT.search(run):
            self[run] = _LOUD_ENTRY
            raise _Loud
        entry = self._make(run)
        self[run] = entry
        return entry

    def trim(self) -> None:
        """Empty the cache once it holds the limit."""
        if len(self) >= _CACHE_LIMIT:
            self.clear()


def _has_loud(entries: list[_Entry]) -> bool:
    """Return True if a run's entry is :data:`_LOUD_ENTRY` (compiled: a C loop of pointer
    tests, where a set of loud runs cost a hash look-up per run)."""
    loud_entry = _LOUD_ENTRY
    # A loop, not any(generator): Cython cannot compile the generator in this cpdef.
    for entry in entries:  # noqa: SIM110
        if entry is loud_entry:
            return True
    return False


class _PieceCache(dict[str, _Entry]):
    """Regex run -> every piece of it, silent ones too (what a field with text in capitals
    reads, :meth:`EntityTagger._scan_loud`); a miss builds the entry, so that ``map`` looks
    runs up in C. The owner bounds the size between fields."""

    __slots__ = ("_make",)

    def __init__(self, make: Callable[[str], _Entry]) -> None:
        super().__init__()
        self._make = make

    def __missing__(self, run: str) -> _Entry:
        """Build, store and return the entry of a run not seen yet."""
        entry = self._make(run)
        self[run] = entry
        return entry


_Known = tuple[int, str, "str | None"]
_UNKNOWN: Final[_Known] = (-1, "", None)


def _country_tables(
    lookup: Lookup,
) -> tuple[Mapping[str, tuple[str, str] | None], Mapping[str, tuple[str, str] | None]] | None:
    """Return the (exact, case-folded) tables behind *lookup* when it is
    :meth:`CountryTagger.lookup`; None for any other look-up (it is then asked surface by
    surface)."""
    from pipeline.tagging.countries import CountryTagger

    owner = getattr(lookup, "__self__", None)
    if not isinstance(owner, CountryTagger) or getattr(lookup, "__func__", None) is not (
        CountryTagger.lookup
    ):
        return None
    return owner.lookup_tables()


class _KnownCache(dict[str, _Known]):
    """Surface -> (kind, canonical, country); a miss asks the tables (subscripting is C-level).

    It starts with every surface the tables know (*base*, see
    :meth:`EntityTagger._load_known`), so a miss is an unknown word or a multi-word
    surface; trimming keeps the base.
    """

    __slots__ = ("_base", "_make")

    def __init__(self, make: Callable[[str], _Known], base: dict[str, _Known]) -> None:
        super().__init__(base)
        self._make = make
        self._base = base

    def __missing__(self, surface: str) -> _Known:
        """Classify a surface not seen yet, store it (bounded) and return it."""
        result = self._make(surface)
        if len(self) >= len(self._base) + _CACHE_LIMIT:
            self.clear()
            self.update(self._base)
        self[surface] = result
        return result


# What reading a headline run needs, per token: case-folded, title-cased, start, end, a lone
# common word, and whether the tables may know a span of two words or more starting there.
_LoudPlan = tuple[list[str], list[str], list[int], list[int], list[bool], list[bool]]


class _Mention:
    """One raw mention, before the article-level merge (made by :func:`_new_mention`)."""

    __slots__ = (
        "canonical",
        "country",
        "cstrength",
        "end",
        "field",
        "kind",
        "order",
        "role",
        "start",
        "surface",
    )
    field: FieldName
    start: int
    end: int
    surface: str
    kind: int
    canonical: str
    country: str | None
    cstrength: int
    role: str | None
    order: int


_BODY_ORDER: Final = 1 << 40


def _new_mention(
    field: FieldName,
    start: int,
    end: int,
    surface: str,
    kind: int,
    canonical: str,
    country: str | None,
    cstrength: int,
    role: str | None,
) -> _Mention:
    """Make a mention by filling its fields (the one place that does; compiled, a direct C
    call, with no constructor's argument parsing: entities.pxd).

    Callers pass a canonical ("" is not one) and a strength of 0 for no country unless from
    a table. ``order`` is the sort key: title before body, then offset.
    """
    m = _Mention.__new__(_Mention)
    m.field = field
    m.start = start
    m.end = end
    m.surface = surface
    m.kind = kind
    m.canonical = canonical
    m.country = country
    m.cstrength = cstrength
    m.role = role
    m.order = start if field == "title" else start + _BODY_ORDER
    return m


class EntityTagger:
    """The fast built-in extractor (capitalisation, cues, gazetteers, name lists)."""

    _default: ClassVar[EntityTagger | None] = None
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, lookup: Lookup | None = None) -> None:
        """Compile the tables; *lookup* defaults to the country tagger's ``lookup``."""
        if lookup is None:
            from pipeline.tagging.countries import CountryTagger

            lookup = CountryTagger.default().lookup
        self._lookup: Lookup = lookup
        self._t = _tables()
        self.data_version: str = self._t.version
        # The entity tables in one dict, in order of precedence (first entry wins).
        self._static: dict[str, tuple[int, str, str | None]] = {}
        for surface, (canonical, code) in self._t.orgs.items():
            self._static.setdefault(surface, (_ORG, canonical, code))
        for surface in self._t.titles:
            self._static.setdefault(surface, (_TITLE, surface, None))
        for surface in self._t.honorifics:
            self._static.setdefault(surface, (_HONORIFIC, surface, None))
        for surface, (canonical, code) in self._t.regions.items():
            self._static.setdefault(surface, (_LOC, canonical, code))
        self._folded: dict[str, _Known] | None = None
        self._heads: frozenset[str] | None = None
        self._special: frozenset[str] | None = None
        self._stops: frozenset[str] | None = None
        self._known_cache = _KnownCache(self._classify_surface, self._load_known())
        self._run_cache = _RunCache(self._entry)
        self._piece_cache_all = _PieceCache(self._entry_all)
        self._info_cache: dict[str, _RunInfo] = {}
        self._piece_cache: dict[str, tuple[tuple[int, int], ...]] = {}
        self._loud_plans: dict[str, _LoudPlan] = {}
        self._name_keys: dict[str, tuple[str, ...]] = {}
        self._initials: dict[str, str] = {}
        self._cores: dict[str, str] = {}

    @classmethod
    def default(cls) -> EntityTagger:
        """Return the process-wide instance (built on first use)."""
        if cls._default is None:
            with cls._lock:
                if cls._default is None:
                    cls._default = cls()
                    _settle_heap()
        return cls._default

    # -- tables ---------------------------------------------------------------------------

    def _known(self, surface: str) -> tuple[int, str, str | None]:
        """Classify one surface: (kind, canonical, country); kind -1 when unknown (cached)."""
        return self._known_cache[surface]

    def _classify_surface(self, surface: str) -> tuple[int, str, str | None]:
        """Classify a surface from the tables (the cache's miss path; see :meth:`_known`)."""
        folded = self._folded
        if folded is not None and surface and not (surface[0].isspace() or surface[-1].isspace()):
            # The country tables are loaded (_load_known): a surface not in the cache's base
            # is a multi-word surface in any case, or unknown.
            return folded.get(surface.casefold(), _UNKNOWN) if " " in surface else _UNKNOWN
        hit = self._static.get(surface)
        if hit is not None:
            return hit
        found = self._lookup(surface)
        return _UNKNOWN if found is None else _VIA_KINDS.get(found[1], _LOC_KIND)(found[0])

    def _load_known(self) -> dict[str, _Known]:
        """Return every surface the tables know, classified once at load time.

        With the country tagger's own look-up, its tables are read whole: the
        exact surfaces join the entity tables (which win), the case-folded
        multi-word ones fill :attr:`_folded`, and :attr:`_heads` holds the first
        two words (case-folded) of every multi-word surface, so that a run's
        reading only looks up spans that may be known. With another look-up,
        the base is the entity tables and every other surface asks the look-up.
        :attr:`_special` holds every word a run's reading treats otherwise than
        an unknown name (known words, connectors, cue words), :attr:`_stops` those
        of them a chunk does not simply extend over (all but organisation words
        and place suffixes).
        """
        tables = _country_tables(self._lookup)
        if tables is None:
            return dict(self._static)
        exact, folded = tables
        kinds: dict[tuple[str, str] | None, _Known] = {None: _UNKNOWN}

        def kind_of(found: tuple[str, str] | None) -> _Known:
            known = kinds.get(found)
            if known is None and found is not None:
                known = kinds[found] = _VIA_KINDS.get(found[1], _LOC_KIND)(found[0])
            return known if known is not None else _UNKNOWN

        base = {surface: kind_of(found) for surface, found in exact.items()}
        base.update(self._static)
        self._folded = {surface: kind_of(found) for surface, found in folded.items()}
        self._heads = frozenset(
            " ".join(surface.casefold().split(" ", 2)[:2])
            for surface in (*base, *self._folded)
            if " " in surface
        )
        t = self._t
        self._special = frozenset(
            [surface for surface, known in base.items() if known[0] >= 0 and " " not in surface]
        ).union(
            _CONNECTOR_WORDS,
            t.calendar,
            t.org_words,
            t.org_suffixes,
            t.loc_suffixes,
            t.loc_prefixes,
            t.misc_prefixes,
            t.misc_suffixes,
            t.not_entities,
        )
        # ... and those of them that end a chunk of unknown names or are read on their own.
        self._stops = self._special - (t.org_words | t.loc_suffixes).difference(_CONNECTOR_WORDS)
        return base

    def _is_common(self, token: str) -> bool:
        """Return True if *token* is a common English word written with a capital."""
        low = token.lower()
        return low in self._t.common and token not in self._t.first_names

    # -- one run --------------------------------------------------------------------------

    def _analyse(self, run: str) -> _RunInfo:
        """Analyse a capitalised run, once per distinct run text (cached).

        Returns whether the reading depends on the run opening a sentence (its
        first word is a common word), the plain reading, the sentence-initial
        reading (None until :meth:`_initial` works it out) and the run.
        """
        hit = self._info_cache.get(run)
        if hit is not None:
            return hit
        if " " in run:
            plain = self._analyse_uncached(run, False)
            first = run[: run.index(" ")]
        else:
            plain = self._read_word(run, False)
            first = run
        if first.endswith(_POSSESSIVE):
            first = first.removesuffix("'s").removesuffix("’s")
        t = self._t
        depends = first.lower() in t.common and first not in t.first_names  # _is_common
        if not depends:
            initial: _Reading | None = plain
        elif first is run:
            # A common word alone: opening a sentence, it says nothing unless the tables
            # know it (what _read_word(run, True) finds, without a second reading).
            known = self._known_cache.get(run)
            initial = plain if known is not None and known[0] >= 0 else _EMPTY
        else:
            initial = None  # worked out when first needed (_initial)
        info = _RunInfo(depends, plain, initial, run)
        if len(self._info_cache) >= _CACHE_LIMIT:
            self._info_cache.clear()
        self._info_cache[run] = info
        return info

    def _initial(self, info: _RunInfo) -> _Reading:
        """Return the reading of a run that opens a sentence (kept on *info*)."""
        reading = info.initial
        if reading is None:
            reading = info.initial = self._analyse_uncached(info.run, True)
        return reading

    def _pieces(self, run: str) -> tuple[tuple[int, int], ...]:
        """Cut a regex run at full stops that end a sentence; drop trailing possessives.

        "Ukraine. The" is two pieces, "Gen. Smith" and "U.S. Army" one; "Russia's"
        at the end of a run becomes "Russia" ("Russia's Foreign Ministry" stays
        whole: the analysis splits at the possessive).
        """
        hit = self._piece_cache.get(run)
        if hit is not None:
            return hit
        pieces: list[tuple[int, int]] = []
        start = 0
        pos = 0
        for tok in run.split(" "):
            end = pos + len(tok)
            if tok.endswith(".") and not self._keeps_dot(tok):
                pieces.append((start, end - 1))
                start = end + 1
            pos = end + 1
        if start < len(run):
            pieces.append((start, len(run)))
        out: list[tuple[int, int]] = []
        for ps, pe in pieces:
            piece = run[ps:pe]
            while piece.endswith(("'s", "’s", "'", "’", "-")):
                cut = 2 if piece.endswith(("'s", "’s")) else 1
                piece, pe = piece[:-cut], pe - cut
            words = piece.split(" ")
            while words and words[-1] in _CONNECTOR_WORDS:
                pe -= len(words.pop()) + 1
            while words and words[0] in _CONNECTOR_WORDS:
                ps += len(words.pop(0)) + 1
            if words and pe > ps:
                out.append((ps, pe))
        result = tuple(out)
        if len(self._piece_cache) >= _CACHE_LIMIT:
            self._piece_cache.clear()
        self._piece_cache[run] = result
        return result

    def _keeps_dot(self, tok: str) -> bool:
        """Return True if the full stop of *tok* belongs to it ("Gen.", "U.S.", "J.")."""
        stem = tok[:-1]
        return len(stem) == 1 or stem in _ABBREVS or "." in stem or self._known_cache[tok][0] >= 0

    def _analyse_uncached(self, run: str, initial: bool) -> _Reading:
        """Read a run left to right against the tables (see the module doc).

        The segments come ready to become mentions (surface and canonical sliced
        once, the country strength decided); the tail is the country the run's
        last word names or belongs to.
        """
        if " " not in run:
            return self._read_word(run, initial)
        t = self._t
        known = self._known_cache
        # What known.get() returns for a word the cache lacks: unknown when the country
        # tables are loaded (see _load_known), else None (then the cache asks the look-up).
        unknown = _UNKNOWN if self._folded is not None else None
        heads = self._heads
        toks = run.split(" ")
        n = len(toks)
        # A multi-word span is looked up only if its first two words may start a known one.
        may_know = heads is None or f"{toks[0]} {toks[1]}".casefold() in heads
        special, stops = self._special, self._stops
        if (
            special is not None
            and stops is not None
            and not may_know
            and not initial
            and toks[0] != "The"
            and "'s " not in run
            and "’s " not in run
            and toks[0] not in special
            and stops.isdisjoint(toks)
        ):
            # An unknown name, then unknown names or cue words ("Phil Simmons", "Acme Steel
            # Corp"): the loop below makes one chunk of the run; two C-level set tests say so.
            if special.isdisjoint(toks):  # names only: what _classify finds, without its tests
                kind = None if n > 3 and all(tok.isupper() for tok in toks) else _PERSON
            else:
                kind = self._classify(toks, -1, None, False)
            if kind is None:
                return _EMPTY
            return ((0, len(run), kind, run, run, None, 0, None),), None
        starts: list[int] = []
        ends: list[int] = []
        pos = 0
        for tok in toks:  # one pass for both offset lists
            starts.append(pos)
            pos += len(tok)
            ends.append(pos)
            pos += 1
        # Possessives end a chunk ("Russia's Foreign Ministry").
        breaks: set[int] = set()
        if "'s " in run or "’s " in run:  # most runs have none: skip the loop
            for k, tok in enumerate(toks):
                if tok.endswith(_POSSESSIVE) and k < n - 1:
                    toks[k] = tok[:-2]
                    ends[k] -= 2
                    breaks.add(k)

        whole, whole_canonical, whole_code = known[run] if may_know else _UNKNOWN
        if whole in _ENTITY_KINDS:
            seg = (0, len(run), whole, run, whole_canonical or run, whole_code, _C_TABLE, None)
            return (seg,), whole_code
        if whole in _CUE_KINDS:
            return _EMPTY if whole_code is None else ((), whole_code)

        i = 0
        if initial:
            # A capital at the start of a sentence says nothing: drop common words.
            while i < n and toks[i] not in t.orgs and self._is_common(toks[i]):
                if self._known_from(run, starts, ends, toks, i, n, breaks)[0] in (
                    _COUNTRY,
                    _DEMONYM,
                    _LOC,
                    _PERSON,
                    _ORG,
                    _TITLE,
                ):
                    break
                i += 1
        if i < n - 1 and toks[i] == "The":
            i += 1
        segs: list[_Ready] = []
        cue_code: str | None = None
        cue_start = -1
        cue_end = -1
        role: str | None = None
        honorific = False
        calendar = t.calendar
        org_words = t.org_words
        loc_suffixes = t.loc_suffixes
        max_span = t.max_span
        while i < n:
            tok = toks[i]
            if tok in _CONNECTOR_WORDS or tok in calendar:
                i += 1
                continue
            # The longest known span from token i (_known_from, inlined: it runs per chunk).
            j = n if n - i <= max_span else i + max_span
            start = starts[i]
            if j > i + 1 and heads is not None and f"{tok} {toks[i + 1]}".casefold() not in heads:
                j = i + 1
            while j > i + 1:
                if breaks and any(i <= b < j - 1 for b in breaks):
                    j -= 1
                    continue
                kind, canonical, code = known[run[start : ends[j - 1]]]
                if kind >= 0:
                    break
                j -= 1
            else:
                # The token alone (a word the cache lacks is unknown when the tables are
                # loaded: no miss path for it).
                kind, canonical, code = known.get(tok, unknown) or known[tok]
            if kind >= 0:
                if kind in _CUE_KINDS:
                    if cue_code is None or cue_end != start - 1:
                        cue_start = start
                    cue_code, cue_end = code, ends[j - 1]
                    i = j
                    continue
                if kind == _TITLE:
                    title = run[start : ends[j - 1]]
                    role = title if role is None else f"{role} {title}"
                    i = j
                    continue
                if kind == _HONORIFIC:
                    honorific = True
                    i = j
                    continue
                if kind == _NOT:
                    i = j
                    cue_code = None
                    continue
                if kind == _ORG:
                    end = ends[j - 1]
                    surface = run[start:end]
                    segs.append(
                        (start, end, _ORG, surface, canonical or surface, code, _C_TABLE, None)
                    )
                    i = j
                    cue_code = None
                    continue
                if kind == _PERSON:
                    end = ends[j - 1]
                    surface = run[start:end]
                    segs.append((start, end, _PERSON, surface, surface, code, _C_TABLE, role))
                    i = j
                    role = None
                    continue
            # A place, or an unknown chunk: extend to the chunk's end.
            k = j if kind == _LOC else i + 1
            while k < n and k - 1 not in breaks:
                nxt = toks[k]
                if nxt == "and":
                    # "Food and Agriculture Organization" stays whole, "Russia and Ukraine" not.
                    if not self._org_after_and(toks, k, n, i):
                        break
                elif nxt == "of" or nxt == "for":
                    if kind == _LOC or not self._absorbs_of(toks, i, k):
                        break
                elif kind == _LOC:
                    if nxt not in loc_suffixes and nxt not in org_words:
                        break
                elif nxt not in org_words and nxt not in loc_suffixes:
                    # _starts_known, inlined: a title, a country word or a known name.
                    next_kind = (known.get(nxt, unknown) or known[nxt])[0]
                    if next_kind == _LOC:
                        # "Kurdish Peshmerga", "Friday Mosul" split; "George Washington" not.
                        if toks[k - 1] not in t.first_names:
                            break
                    elif next_kind in _CHUNK_STOP_KINDS or (next_kind in _CUE_KINDS and k + 1 < n):
                        break
                k += 1
            while k - 1 > i and toks[k - 1] in _CONNECTOR_WORDS:
                k -= 1
            cend = ends[k - 1]
            adjacent_cue = cue_code is not None and cue_end == start - 1
            seg_kind = self._classify(toks[i:k], kind, role, honorific)
            if seg_kind == _ORG and adjacent_cue:
                surface = run[cue_start:cend]
                strength = _C_ADJACENT if cue_code else 0
                segs.append((cue_start, cend, _ORG, surface, surface, cue_code, strength, None))
            elif seg_kind == _LOC and kind == _LOC:
                surface = run[start:cend]
                name = (canonical or surface) if k == j else surface
                segs.append((start, cend, _LOC, surface, name, code, _C_TABLE, None))
            elif seg_kind is not None:
                c = cue_code if adjacent_cue or role is not None else None
                surface = run[start:cend]
                segs.append(
                    (
                        start,
                        cend,
                        seg_kind,
                        surface,
                        surface,
                        c,
                        _C_ADJACENT if c else 0,
                        role if seg_kind in (_PERSON, _SINGLE) else None,
                    )
                )
            if kind == _LOC:
                cue_code, cue_start, cue_end = code, start, cend
            else:
                cue_code = None
            role = None
            honorific = False
            i = k
        tail: str | None = None
        if cue_code is not None and cue_end == len(run):
            tail = cue_code
        elif segs and segs[-1][1] == len(run):
            tail = segs[-1][5]
        if not segs:
            return _EMPTY if tail is None else ((), tail)
        return tuple(segs), tail

    def _read_word(self, word: str, initial: bool) -> _Reading:
        """Read a one-word run (the common case) without the general machinery."""
        special = self._special
        if special is not None and word not in special and not initial:
            # Not a word the tables know nor a cue word (one C-level set test, see
            # _load_known): what _classify_word finds of such a word, without its look-ups.
            if word.lower() in self._t.function_words or (
                "-" in word and word.rpartition("-")[2] in self._t.compound_suffixes
            ):
                return _EMPTY
            return ((0, len(word), _SINGLE, word, word, None, 0, None),), None
        known = self._known_cache.get(word)
        if known is None:
            # With the country tables loaded, a word the cache lacks is unknown: not stored.
            known = _UNKNOWN if self._folded is not None else self._known_cache[word]
        kind, canonical, code = known
        if kind >= 0:
            if kind in _ENTITY_KINDS:
                return ((0, len(word), kind, word, canonical or word, code, _C_TABLE, None),), code
            if kind in _CUE_KINDS and code is not None:
                return (), code
            return _EMPTY
        if initial and self._is_common(word):
            return _EMPTY
        seg_kind = self._classify_word(word)
        if seg_kind is None:
            return _EMPTY
        return ((0, len(word), seg_kind, word, word, None, 0, None),), None

    def _classify_word(self, word: str) -> int | None:
        """Type an unknown one-word chunk (:meth:`_classify` of ``[word]``, without a role)."""
        t = self._t
        if word in t.org_words or word in t.org_suffixes:
            return None if word in t.not_entities else _ORG
        if (
            word in t.misc_prefixes
            or word in t.misc_suffixes
            or word in t.not_entities
            or word.lower() in t.function_words
        ):
            return None
        if "-" in word and word.rpartition("-")[2] in t.compound_suffixes:
            return None
        return _SINGLE

    def _known_from(
        self,
        run: str,
        starts: list[int],
        ends: list[int],
        toks: list[str],
        i: int,
        n: int,
        breaks: set[int],
    ) -> tuple[int, str, str | None, int]:
        """Return the longest known span starting at token *i*: (kind, canonical, code, j)."""
        j = min(n, i + self._t.max_span)
        heads = self._heads
        if j > i + 1 and heads is not None and f"{toks[i]} {toks[i + 1]}".casefold() not in heads:
            j = i + 1  # no multi-word span from token i is known (see _analyse_uncached)
        start = starts[i]
        known = self._known_cache
        while j > i:
            if breaks and j - 1 > i and any(i <= b < j - 1 for b in breaks):
                j -= 1
                continue
            surface = run[start : ends[j - 1]]
            kind, canonical, code = known[surface]
            if kind >= 0:
                return kind, canonical, code, j
            j -= 1
        return -1, "", None, i + 1

    def _org_after_and(self, toks: list[str], k: int, n: int, i: int) -> bool:
        """Return True if "and" at *k* sits inside one organisation's name.

        "Food and Agriculture Organization", "Trade and Industry Ministry" stay
        whole: the words before "and" are common words and an organisation word
        follows. "Suharto and the Organisation ..." is split.
        """
        t = self._t
        if k + 1 >= n or toks[k + 1] in _CONNECTOR_WORDS:
            return False
        if not all(tok.lower() in t.common for tok in toks[i:k]):
            return False
        return any(tok in t.org_words for tok in toks[k + 1 : n])

    def _absorbs_of(self, toks: list[str], i: int, k: int) -> bool:
        """Return True if "of"/"for" at *k* continues the name ("Bank of England")."""
        t = self._t
        if toks[k - 1] in t.org_suffixes:
            return False
        return any(
            tok in t.org_words or tok in t.loc_prefixes or tok in t.loc_suffixes
            for tok in toks[i:k]
        )

    def _classify(
        self, chunk: list[str], kind: int, role: str | None, honorific: bool
    ) -> int | None:
        """Type an unknown chunk (or a place followed by cue words)."""
        t = self._t
        last = chunk[-1]
        if not t.org_words.isdisjoint(chunk) or last in t.org_suffixes:
            if not (len(chunk) == 1 and chunk[0] in t.not_entities):
                return _ORG
            return None
        if kind == _LOC:
            return _LOC
        if len(chunk) > 1 and (last in t.loc_suffixes or chunk[0] in t.loc_prefixes):
            return _LOC
        if chunk[0] in t.misc_prefixes or last in t.misc_suffixes:
            return None  # "Operation Inherent Resolve", "Iran-Iraq War", "Davis Cup"
        if role is not None or honorific:
            return _SINGLE if len(chunk) == 1 and chunk[0].isupper() else _PERSON
        if t.not_entities.issuperset(chunk):
            return None
        if len(chunk) == 1:
            tok = chunk[0]
            if tok in t.not_entities or tok.lower() in t.function_words:
                return None
            if "-" in tok and tok.rpartition("-")[2] in t.compound_suffixes:
                return None
            return _SINGLE
        if len(chunk) > 3 and all(tok.isupper() for tok in chunk):
            return None
        return _PERSON

    # -- one article ----------------------------------------------------------------------

    def tag(self, title: str, body: str, countries: list[Country]) -> list[Entity]:
        """Return the entities of one article, most mentioned first.

        *countries* is the country tagger's output for the same article. In the
        body, the runs this tagger reads already give the same country cues (it
        looks surfaces up in the country tagger's gazetteer), so only the
        title's evidence is used: headline runs are matched, not read.
        """
        cue_lists: dict[str, list[tuple[int, int, str]]] = {"title": [], "body": []}
        # Exact str: the compiled helpers take nothing else (a str subclass would be refused).
        title, body = str(title), str(body)
        if title:
            title_cues = cue_lists["title"]
            for country in countries:
                code = country["code"]
                for ev in country["evidence"]:
                    if ev["field"] != "title":
                        # The country tagger lists a country's title evidence before its body
                        # evidence (tests/unit/test_entities_caches.py holds it to that), so
                        # the long body lists are not walked.
                        break
                    title_cues.append((ev["end"], ev["start"], code))
        mentions: list[_Mention] = []
        deferred: list[tuple[FieldName, str, int, int]] = []
        acronyms: dict[str, str] = {}
        if body:
            self._scan("body", body, mentions, deferred, acronyms, cue_lists["body"], False)
        if title:
            headline = _is_headline(title)
            self._scan("title", title, mentions, deferred, acronyms, cue_lists["title"], headline)
        return _merge_article(self, title, body, mentions, deferred, acronyms, cue_lists)

    def assemble(
        self,
        title: str,
        body: str,
        spans: Iterable[tuple[FieldName, int, int, str]],
        countries: list[Country],
    ) -> list[Entity]:
        """Build entities from another recogniser's typed spans (the spaCy backend).

        Span types are PERSON, ORG, LOC, or NORP (a nationality: only a country
        cue, never an entity). Spans get the same article-level treatment as the
        built-in ones: a leading "the" and a trailing possessive are trimmed,
        surnames join full names, acronyms join their organisation, the tables
        and the context give countries and roles. Spans that name a country or
        a demonym are not entities.
        """
        title, body = str(title), str(body)  # exact str for the compiled helpers (see tag)
        texts = {"title": title, "body": body}
        kinds = {"PERSON": _PERSON, "ORG": _ORG, "LOC": _LOC}
        cue_lists: dict[str, list[tuple[int, int, str]]] = {"title": [], "body": []}
        for country in countries:
            for ev in country["evidence"]:
                cue_lists[ev["field"]].append((ev["end"], ev["start"], country["code"]))
        mentions: list[_Mention] = []
        acronyms: dict[str, str] = {}
        for field, start, end, type_ in spans:
            text = texts[field]
            if text.startswith(("the ", "The "), start) and end - start > 4:
                start += 4
            if text.endswith(_POSSESSIVE, start, end) and end - start > 2:
                end -= 2
            surface = text[start:end]
            known, canonical, code = self._known(surface)
            if known in (_COUNTRY, _DEMONYM):
                cue_lists[field].append((end, start, code or ""))
                continue
            if type_ not in kinds or known in (_TITLE, _HONORIFIC, _NOT):
                continue
            if " " not in surface and surface in self._t.not_entities:
                continue
            kind = known if known in (_ORG, _LOC, _PERSON) else kinds[type_]
            strength = _C_TABLE if known >= 0 else 0
            if known < 0 and kind == _ORG:
                # "South Korean Foreign Ministry": a country word opens the name.
                words = surface.split(" ")
                for size in (2, 1):
                    if len(words) > size:
                        head = self._known(" ".join(words[:size]))
                        if head[0] in (_COUNTRY, _DEMONYM):
                            code, strength = head[2], _C_ADJACENT
                            break
            # Canonical defaults to the surface; no country means no strength (but a table's).
            if not (code or strength == _C_TABLE):
                strength = 0
            m = _new_mention(
                field, start, end, surface, kind, canonical or surface, code, strength, None
            )
            mentions.append(m)
            pm = _PAREN_ACRONYM.match(text, end)
            if pm is not None and kind == _ORG and pm.group(1) != surface:
                acronyms[pm.group(1)] = surface
        return _merge_article(self, title, body, mentions, [], acronyms, cue_lists)

    def _entry(self, run: str) -> _Entry:
        """Read a regex run for the run cache: one _Piece per piece that says something."""
        if not ("." in run or "'" in run or "’" in run or run[-1] == "-"):
            info = self._analyse(run)  # the run is its one piece (most runs)
            return () if info.plain == _EMPTY else ((0, len(run), info, *info.plain),)
        out: list[_Piece] = []
        for ps, pe in self._pieces(run):
            info = self._analyse(run[ps:pe])
            if info.plain != _EMPTY:
                out.append((ps, pe, info, *info.plain))
        return tuple(out)

    def _entry_all(self, run: str) -> _Entry:
        """Read a regex run for the loud path: one _Piece per piece, silent ones too (a
        sentence-initial reading may say what the plain one does not)."""
        if not ("." in run or "'" in run or "’" in run or run[-1] == "-"):
            info = self._analyse(run)
            return ((0, len(run), info, *info.plain),)
        out: list[_Piece] = []
        for ps, pe in self._pieces(run):
            info = self._analyse(run[ps:pe])
            out.append((ps, pe, info, *info.plain))
        return tuple(out)

    def _scan(
        self,
        field: FieldName,
        text: str,
        out: list[_Mention],
        deferred: list[tuple[FieldName, str, int, int]],
        acronyms: dict[str, str],
        cues: list[tuple[int, int, str]],
        headline: bool,
    ) -> None:
        """Find and analyse every capitalised run of one field."""
        if headline:
            self._scan_loud(field, text, out, deferred, acronyms, cues, headline)
            return
        # The hot loop: one cached reading per distinct run. Finding the runs, their text and
        # their entries (a miss builds it) are C-level passes (map), and the loop only reads
        # the runs that say something (_read_entries). Text in capitals (a run of two or more
        # capitals-only words that is not title-cased) sends the field the slow way.
        starts, runs = _runs(text)
        cache = self._run_cache
        cache.trim()
        try:
            entries = list(map(cache.__getitem__, runs))
            if _has_loud(entries):
                raise _Loud
        except _Loud:
            self._scan_loud(field, text, out, deferred, acronyms, cues, headline, starts, runs)
            return
        _read_entries(self, field, text, starts, entries, out, acronyms, cues, None, deferred)

    def _scan_loud(
        self,
        field: FieldName,
        text: str,
        out: list[_Mention],
        deferred: list[tuple[FieldName, str, int, int]],
        acronyms: dict[str, str],
        cues: list[tuple[int, int, str]],
        headline: bool,
        starts: list[int] | None = None,
        texts: list[str] | None = None,
    ) -> None:
        """Scan a field that may hold capitals-only text: such runs are read last.

        *starts* and *texts* are the field's regex runs (see :func:`_runs`) when the caller
        has them already (the texts' hashes are then computed already too).
        """
        if starts is None or texts is None:
            starts, texts = _runs(text)
        if headline:  # every piece is read last
            for s, run in zip(starts, texts, strict=True):
                if "." in run or "'" in run or "’" in run or run[-1] == "-":
                    for ps, pe in self._pieces(run):
                        deferred.append((field, run[ps:pe], s + ps, s + pe))
                else:
                    deferred.append((field, run, s, s + len(run)))
            return
        # Each run's pieces (all of them: unlike the plain scan's entries, silent ones too)
        # from a cache, so the field costs what the plain scan costs plus one pass that
        # finds the pieces in capitals (_loud_starts); those are read last.
        cache = self._piece_cache_all
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        entries = list(map(cache.__getitem__, texts))
        loud = _loud_starts(text, starts, entries)
        _read_entries(self, field, text, starts, entries, out, acronyms, cues, loud, deferred)

    @staticmethod
    def _acronym(text: str, end: int, m: _Mention, acronyms: dict[str, str]) -> None:
        """Record "Name (ACRONYM)": the acronym names *m*, which is then an organisation."""
        pm = _PAREN_ACRONYM.match(text, end)
        if pm is not None and pm.group(1) != m.surface:
            acr = pm.group(1)
            if acr[0] == m.surface[0] or acr.isupper():
                acronyms[acr] = m.surface
                m.kind = _ORG

    def _guess_single(self, text: str, m: _Mention) -> tuple[int | None, bool]:
        """Type a lone capitalised token nothing else explains (or drop it).

        An all-capital token is read as a place when title-cased ("LONDON"),
        else as an acronym (an organisation) unless it is a known abbreviation
        ("GDP", "CEO"). A mixed-case token is a person after a role noun or
        when it is a known surname, a place after "in", "at", "from"...,
        else an organisation (a company, team or party name) unless it is a
        common English word or a given name. Returns (kind or None, whether
        the context made the call; such calls win for the same word elsewhere
        in the article).
        """
        t = self._t
        tok = m.surface
        if tok.isupper():
            if " " in tok:
                kind, _canonical, code = self._known_cache[_title_case(tok)]
            else:  # one word: see _analyse_uncached
                cased = _title_case_word(tok)
                unknown = _UNKNOWN if self._folded is not None else None
                kind, _canonical, code = (
                    self._known_cache.get(cased, unknown) or self._known_cache[cased]
                )
            if kind == _LOC:
                m.country, m.cstrength = code, _C_TABLE
                return _LOC, True
            if kind >= 0:
                return None, False
            if 1 < len(tok) <= 6 and tok not in t.acronym_stop and tok.isalpha():
                return _ORG, False
            return None, False
        if m.role is not None:
            return _PERSON, True
        prev = _previous_word(text, m.start)
        if prev in t.roles or prev in t.honorifics:
            return _PERSON, True
        common = tok.lower() in t.common
        if tok in t.surnames and not common:
            return _PERSON, False
        if prev in t.place_prepositions:
            return _LOC, True
        if common or tok in t.first_names or not tok.isalpha():
            return None, False
        return _ORG, False

    def _read_loud(
        self,
        deferred: list[tuple[FieldName, str, int, int]],
        kept: list[_Mention],
        texts: dict[str, str],
    ) -> list[_Mention]:
        """Tag headline runs (all capitals or Title Case) from known names only.

        Longest first, up to four words: a name the article already has (case
        folded: "SHEARER" is "Alan Shearer"), else a table entry of the
        title-cased words ("LONDON" is a capital). Anything else says nothing.
        Spans of two words or more are only looked up where one may be found:
        their first two words start a name the article has or a table entry.
        """
        known: dict[str, _Mention] = {}
        for m in kept:
            known.setdefault(m.surface.lower(), m)
            if m.kind == _PERSON and " " in m.canonical:
                known.setdefault(m.canonical.rpartition(" ")[2].lower(), m)
        known_heads: set[str] | None = None  # built when first needed (seldom: see longer)
        plans = self._loud_plans
        table = self._known_cache.__getitem__
        word_known = self._known_cache.get  # one word: see _analyse_uncached
        unknown = _UNKNOWN if self._folded is not None else None
        out: list[_Mention] = []
        for field, run, s, _e in deferred:
            text = texts[field]
            plan = plans.get(run)
            if plan is None:
                plan = self._loud_plan(run)
            lows, cased, offs, ends, stops, longer = plan
            n = len(lows)
            i = 0
            while i < n:
                found: tuple[int, str, str | None] | None = None
                j = n if n - i < 4 else i + 4
                if j > i + 1 and not longer[i]:
                    if known_heads is None:
                        known_heads = {" ".join(k.split(" ", 2)[:2]) for k in known if " " in k}
                    if f"{lows[i]} {lows[i + 1]}" not in known_heads:
                        j = i + 1  # no span of two words or more is known from here
                while j > i + 1:  # the spans of two words or more, longest first
                    src = known.get(" ".join(lows[i:j]))
                    if src is not None:
                        found = (src.kind, src.canonical, src.country)
                        break
                    if longer[i]:
                        words = " ".join(cased[i:j])
                        kind, canonical, code = table(words)
                        if kind >= 0:
                            found = (kind, canonical or words, code)
                            break
                    j -= 1
                if found is None:  # the word alone
                    j = i + 1
                    src = known.get(lows[i])
                    if src is not None:
                        found = (src.kind, src.canonical, src.country)
                    elif not stops[i]:
                        kind, canonical, code = word_known(cased[i], unknown) or table(cased[i])
                        if kind >= 0:
                            found = (kind, canonical or cased[i], code)
                if found is not None:
                    kind, canonical, code = found
                    if kind in _ENTITY_KINDS or src is not None:
                        start = s + offs[i]
                        end = s + ends[j - 1]
                        out.append(
                            _new_mention(
                                field,
                                start,
                                end,
                                text[start:end],
                                kind,
                                canonical,
                                code,
                                _C_TABLE if code else 0,
                                None,
                            )
                        )
                    i = j
                else:
                    i += 1
        return out

    def _loud_plan(self, run: str) -> _LoudPlan:
        """Return what reading a headline run needs, per token (cached).

        The tokens case-folded and title-cased (for the tables), their start and
        end offsets in the run (without a possessive), whether each is a lone
        common word (a miss on it alone ends nothing, it is skipped), and whether
        the tables may know a span of two words or more starting there.
        """
        toks = run.split(" ")
        n = len(toks)
        offs: list[int] = []
        ends: list[int] = []
        lows: list[str] = []
        cased: list[str] = []
        pos = 0
        for tok in toks:
            bare = tok[:-2] if tok.endswith(_POSSESSIVE) else tok
            offs.append(pos)
            ends.append(pos + len(bare))
            pos += len(tok) + 1
            lows.append(bare.lower())
            if bare.isupper():  # "LONDON" -> "London" (see _title_case_word)
                title = bare[:1] + bare[1:].lower()
                bare = title if len(title) == len(bare) else bare
            cased.append(bare)
        common = self._t.common
        heads = self._heads
        stops = [low in common for low in lows]
        longer = [
            heads is None or (i + 1 < n and f"{cased[i]} {cased[i + 1]}".casefold() in heads)
            for i in range(n)
        ]
        result = (lows, cased, offs, ends, stops, longer)
        if len(self._loud_plans) >= _CACHE_LIMIT:
            self._loud_plans.clear()
        self._loud_plans[run] = result
        return result


# -- helpers -----------------------------------------------------------------------------


def _read_entries(
    tagger: EntityTagger,
    field: FieldName,
    text: str,
    starts: list[int],
    entries: list[_Entry],
    out: list[_Mention],
    acronyms: dict[str, str],
    cues: list[tuple[int, int, str]],
    loud: list[int] | None,
    deferred: list[tuple[FieldName, str, int, int]],
) -> None:
    """Turn a field's run entries into mentions and cues (the hot loop of
    :meth:`EntityTagger._scan`); the pieces starting at *loud* (in order) go to
    *deferred* instead, to be read last.

    A module-level function rather than a method: the compiled build types its run
    infos and mentions (entities.pxd), so their fields are read without a look-up.
    """
    append = out.append
    after_space = _AFTER_SPACE  # compiled: a typed dict (entities.pxd), its get() a C call
    paren = "(" in text  # no acronym test in a field without a parenthesis
    # The next loud piece's start (-1: none), compared with each piece's as C integers.
    n_loud = len(loud) if loud is not None else 0
    next_loud = loud[0] if loud is not None and n_loud else -1
    k_loud = 0
    n = len(entries)
    if len(starts) != n:
        raise ValueError("starts and entries differ in length")
    # An index loop: compiled, C reads of both lists (no zip tuples, no compress).
    for k in range(n):
        entry = entries[k]
        if not entry:
            continue
        s = starts[k]
        for ps, pe, info, segs, tail in entry:
            base = s + ps
            if base == next_loud and loud is not None:
                deferred.append((field, info.run, base, s + pe))
                k_loud += 1
                next_loud = loud[k_loud] if k_loud < n_loud else -1
                continue
            if info.depends:
                # _sentence_initial, decided inline from the character before the space
                # in the usual cases (". Officials", "said Officials").
                opens = (
                    after_space.get(text[base - 2], False)
                    if base > 1 and text[base - 1] == " "
                    else None
                )
                if opens is None:
                    opens = _sentence_initial(text, base)
                if opens:
                    segs, tail = info.initial or tagger._initial(info)
            if tail is not None:
                cues.append((s + pe, base, tail))
            for rs, re_, kind, surface, canonical, country, strength, role in segs:
                end = base + re_
                start = base + rs
                m = _new_mention(
                    field, start, end, surface, kind, canonical, country, strength, role
                )
                append(m)
                if paren and kind != _LOC and text.startswith(("(", " ("), end):
                    tagger._acronym(text, end, m, acronyms)


def _merge_article(
    tagger: EntityTagger,
    title: str,
    body: str,
    mentions: list[_Mention],
    deferred: list[tuple[FieldName, str, int, int]],
    acronyms: dict[str, str],
    cue_lists: dict[str, list[tuple[int, int, str]]],
) -> list[Entity]:
    """Resolve lone tokens, acronyms and headlines; attribute countries; group.

    A module-level function rather than a method: the compiled build types its
    mentions (entities.pxd).
    """
    t = tagger._t
    texts = {"title": title, "body": body}
    # Full names by their last and first part; organisations by their initials.
    by_part: dict[str, str] = {}
    initials: dict[str, str] = {}
    known_singles: dict[str, tuple[int, str]] = {}
    name_keys = tagger._name_keys
    for m in mentions:
        kind, canonical = m.kind, m.canonical
        if " " not in canonical:
            if kind in (_ORG, _LOC) and m.surface not in known_singles:
                known_singles[m.surface] = (kind, canonical)
            continue
        if kind == _PERSON:
            parts = name_keys.get(canonical)
            if parts is None:
                parts = _name_parts(canonical)
                if len(name_keys) >= _CACHE_LIMIT:
                    name_keys.clear()
                name_keys[canonical] = parts
            for part in parts:
                by_part.setdefault(part, canonical)
        elif kind == _ORG:
            acr = tagger._initials.get(canonical)
            if acr is None:
                acr = _org_initials(canonical)
                if len(tagger._initials) >= _CACHE_LIMIT:
                    tagger._initials.clear()
                tagger._initials[canonical] = acr
            if acr:
                initials.setdefault(acr, canonical)
    if acronyms:
        by_surface = {m.surface: m.canonical for m in mentions}
        for acr, surface in acronyms.items():
            if surface in by_surface:
                initials[acr] = by_surface[surface]
    # Resolve lone tokens and person parts; guesses agree across the article.
    kept: list[_Mention] = []
    guessed: list[_Mention] = []
    votes: dict[str, int] = {}
    for m in mentions:
        surface = m.surface
        kind = m.kind
        if kind == _SINGLE:
            if surface in by_part:
                m.kind, m.canonical = _PERSON, by_part[surface]
            elif surface in initials:
                m.kind, m.canonical = _ORG, initials[surface]
            elif surface in known_singles:
                m.kind, m.canonical = known_singles[surface]
            else:
                guess, strong = tagger._guess_single(texts[m.field], m)
                if guess is None:
                    continue
                m.kind = guess
                guessed.append(m)
                if strong:
                    votes.setdefault(surface, guess)
        elif kind == _PERSON:
            if " " not in surface and surface in by_part:
                m.canonical = by_part[surface]
        elif m.cstrength < _C_TABLE and " " not in surface and surface in by_part:
            # A lone surname typed otherwise by a weaker reading.
            m.kind, m.canonical = _PERSON, by_part[surface]
        elif kind == _ORG and surface in initials:
            m.canonical = initials[surface]
        kept.append(m)
    for m in guessed:
        vote = votes.get(m.surface)
        if vote is not None:
            m.kind = vote
    # Headlines: read only against what the article and the tables know.
    if deferred:
        kept.extend(tagger._read_loud(deferred, kept, texts))
    # The entities (kind, canonical), which _group reuses. Body mentions come in reading
    # order; a title or headline mention (kept after them) marks its group for sorting.
    groups: dict[tuple[int, str], list[_Mention]] = {}
    unsorted: set[tuple[int, str]] = set()
    for m in kept:
        key = (m.kind, m.canonical)
        group = groups.get(key)
        if group is None:
            groups[key] = [m]
        else:
            last = group[-1]  # compiled: a typed mention, its order a C integer (entities.pxd)
            if m.order < last.order:
                unsorted.add(key)
            group.append(m)
    # Countries: table, adjacent cue, role's organisation, nearest cue in the sentence.
    # Per entity, mentions in order until a country (and, for a person, a role) is found.
    org_ends: dict[tuple[str, int], _Mention] | None = None  # built when first needed
    # Each field's cue ends, once the cues are sorted: an article looks up the last cue
    # before a mention two or three times, and the first few look-ups scan the cues
    # unsorted (see _last_cue); sorting them (~50 in a 3 KB article) costs ten scans.
    cue_ends: dict[str, list[int]] | None = None
    scans = 0
    known = tagger._known_cache.__getitem__
    for (kind, _canonical), ms in groups.items():
        if kind != _PERSON and ms[0].cstrength >= _C_ADJACENT:
            continue  # most places and organisations: nothing to look for
        if org_ends is None:
            org_ends = _cue_context(kept, cue_lists)
        need_country = True
        need_role = kind == _PERSON
        for m in ms:
            if m.cstrength >= _C_ADJACENT:
                need_country = False
            if m.role is not None:
                need_role = False
        for m in ms:
            if not (need_country or need_role):
                break
            cues = cue_lists[m.field]
            if cue_ends is None and scans == _SCANS:
                cue_ends = _sorted_cue_ends(cue_lists)
            if cue_ends is None:
                scans += 1
                cue = _last_cue(cues, m.start)
            else:
                k = bisect_right(cue_ends[m.field], m.start) - 1
                cue = cues[k] if k >= 0 else None
            code, strength, role = _attribute(
                texts[m.field], m, cue, t, org_ends, known, tagger._cores
            )
            if code is not None and strength > m.cstrength:
                m.country, m.cstrength = code, strength
                need_country = strength < _C_ADJACENT
            if role is not None and need_role:
                m.role = role
                need_role = False
    return _group(groups, unsorted)


def _settle_heap() -> None:
    """Move the objects loaded so far out of the cyclic garbage collector's sight.

    The tables (this tagger's and the country tagger's, loaded by now) are tens
    of thousands of long-lived containers; every full collection would walk
    them again (~60 ms each, a third of a first pass over new text). They live
    as long as the process, so they are collected once and then frozen
    (:func:`gc.freeze`, process-wide; new objects are collected as usual).
    """
    gc.collect()
    gc.freeze()


def _name_parts(canonical: str) -> tuple[str, ...]:
    """Return the parts a lone mention may name a person by: last, then first name."""
    parts = canonical.split()
    if not _PARTICLES.isdisjoint(parts):
        parts = [p for p in parts if p not in _PARTICLES]
        if not parts:
            return ()
    last, first = parts[-1], parts[0]
    if len(last) > 1 and last[-1] != ".":
        return (last, first) if len(first) > 1 and first[-1] != "." else (last,)
    return (first,) if len(first) > 1 and first[-1] != "." else ()


def _org_initials(canonical: str) -> str:
    """Return an organisation's initials ("ISW"), or "" for a one-word name."""
    words = [w for w in canonical.split() if w not in _CONNECTOR_WORDS]
    return "".join(w[0] for w in words) if len(words) > 1 else ""


def _title_case(surface: str) -> str:
    """Return "LONDON" as "London", keeping the length (no case folding surprises)."""
    out = " ".join(w[:1] + w[1:].lower() for w in surface.split(" "))
    return out if len(out) == len(surface) else surface


def _title_case_word(word: str) -> str:
    """Return "LONDON" as "London" (one word; see :func:`_title_case`)."""
    out = word[:1] + word[1:].lower()
    return out if len(out) == len(word) else word


def _is_headline(title: str) -> bool:
    """Return True if *title* is written in capitals or Title Case."""
    words = capital = 0
    # The words of title.split() read in one loop over the characters (compiled: a C loop,
    # no word strings): each word's length and first character.
    length = 0
    first = " "
    for ch in title + " ":  # a space after the last word ends it
        if ch.isspace():
            if length > 3 and first.isalpha():
                words += 1
                if first.isupper():
                    capital += 1
            length = 0
        else:
            if not length:
                first = ch
            length += 1
    return words >= 2 and capital >= 0.75 * words


# A run's mark for text in capitals (_RunInfo.shout): not in capitals (0), in capitals, or
# in capitals and loud by itself.
_LOUD_MAYBE, _LOUD_SELF = 1, 2


def _loud_by_itself(run: str) -> bool:
    """Return True if *run* (in capitals) is loud by itself: two words, seven letters."""
    return " " in run and sum(map(str.isalpha, run)) >= 7


def _shouting(text: str, runs: list[tuple[int, int, str]]) -> list[bool]:
    """Mark runs that belong to text written in capitals (a CoNLL-style headline).

    The rule itself is :func:`_loud_marks`'s (this reads *runs*' texts for it).
    """
    ups = [(k, s, e, _loud_by_itself(run)) for k, (s, e, run) in enumerate(runs) if run.isupper()]
    loud = [False] * len(runs)
    for up, mark in zip(ups, _loud_marks(text, ups), strict=True):
        loud[up[0]] = mark
    return loud


def _loud_marks(text: str, ups: list[tuple[int, int, int, bool]]) -> list[bool]:
    """Mark the runs in capitals that belong to text written in capitals.

    *ups* are the field's runs in capitals, in order: (index among all its runs, start,
    end, loud by itself); only those can be loud, so the passes visit them alone. A
    neighbour (index one off) that is not among them is not loud.
    """
    loud = [up[3] for up in ups]
    if not any(loud):
        return loud
    m = len(ups)
    # Single capital words next to a loud run, with no lower-case letter between, are loud.
    for j in range(m):
        if loud[j]:
            continue
        k, s, e, _self = ups[j]
        before = (
            j > 0
            and loud[j - 1]
            and ups[j - 1][0] == k - 1
            and not _HAS_LOWER.search(text, ups[j - 1][2], s)
        )
        after = (
            j + 1 < m
            and loud[j + 1]
            and ups[j + 1][0] == k + 1
            and not _HAS_LOWER.search(text, e, ups[j + 1][1])
        )
        loud[j] = bool(before or after)
    for j in range(m - 2, -1, -1):
        if (
            not loud[j]
            and loud[j + 1]
            and ups[j + 1][0] == ups[j][0] + 1
            and not _HAS_LOWER.search(text, ups[j][2], ups[j + 1][1])
        ):
            loud[j] = True
    return loud


def _loud_starts(text: str, starts: list[int], entries: list[_Entry]) -> list[int]:
    """Return the starts of the loud pieces of a field (in order), given every run's
    pieces (:meth:`EntityTagger._entry_all`): :func:`_shouting`'s rule."""
    ups: list[tuple[int, int, int, bool]] = []
    any_loud = False
    k = 0  # the piece's index among all the field's pieces
    for s, entry in zip(starts, entries, strict=True):
        for piece in entry:
            info = piece[2]
            shout = info.shout
            if shout:
                ups.append((k, s + piece[0], s + piece[1], shout == _LOUD_SELF))
                if shout == _LOUD_SELF:
                    any_loud = True
            k += 1
    if not any_loud:
        return []
    return [up[1] for up, mark in zip(ups, _loud_marks(text, ups), strict=True) if mark]


def _sentence_initial(text: str, start: int) -> bool:
    """Return True if the token at *start* opens a sentence, a line, a quote or a list item."""
    if start > 1 and text[start - 1] == " " and text[start - 2] in ".!?\n":
        return True  # the common case, ". The", without the loop
    i = start - 1
    while i >= 0 and (text[i] == " " or text[i] == "\t" or text[i] in _QUOTES_OPEN):
        i -= 1
    if i < 0:
        return True
    ch = text[i]
    if ch in ".!?\n:;-–—•*":
        return True
    return ch in "\"'”’)]" and i > 0 and text[i - 1] in ".!?"


def _previous_word(text: str, start: int) -> str:
    """Return the lower-case word right before *start* (skipping a comma)."""
    window = text[start - 40 if start > 40 else 0 : start].rstrip(" ,\t")  # no max(): hot
    last = window.rpartition(" ")[2]
    if last.isalpha():  # the common case: a plain word after a space
        return last.lower()
    k = len(window)
    while k > 0 and (window[k - 1].isalpha() or window[k - 1] in "-."):
        k -= 1
    return window[k:].lower()


def _sentence_end_in(text: str, start: int, end: int) -> bool:
    """Return True if ``_SENTENCE_END_IN.search(text, start, end)`` finds a sentence end.

    Found with the C-level ``str.find`` (the gaps read are up to 200 characters long and
    seldom hold a full stop), the regex only asked at a full stop, "!" or "?".
    """
    if text.find("\n", start, end) >= 0:
        return True
    for mark in ".!?":
        k = text.find(mark, start, end)
        while k >= 0:
            if _SENTENCE_END_AT.match(text, k + 1, end):
                return True
            k = text.find(mark, k + 1, end)
    return False


def _attribute(
    text: str,
    m: _Mention,
    cue: tuple[int, int, str] | None,
    t: _Tables,
    org_ends: dict[tuple[str, int], _Mention],
    known: Callable[[str], tuple[int, str, str | None]],
    cores: dict[str, str],
) -> tuple[str | None, int, str | None]:
    """Find a country (and, for a person, a role) for *m* from *cue*, the last cue ending
    at or before it (None without one).

    A cue separated from the mention only by a few lower-case descriptive words
    ("Russian foreign ministry official Maria Zakharova", "US think tank,
    Institute ...") is adjacent; for people, the nearest cue earlier in the same
    sentence is a weaker fallback.
    """
    role: str | None = None
    if m.kind == _PERSON and m.role is None:
        role = _role_before(text, m.start, t)
    if cue is None:
        return None, 0, role
    end, _start, code = cue
    if m.start - end > _ADJACENT_SPAN:
        # Too far to be adjacent: no slice of the gap (it can run to thousands of characters).
        if m.kind == _PERSON and m.start - end <= 200 and not _sentence_end_in(text, end, m.start):
            return code, _C_SENTENCE, role
        return None, 0, role
    gap = text[end : m.start]
    if _adjacent_gap(gap):
        if role is not None:
            org = org_ends.get((m.field, end))
            if org is not None:
                surface = text[org.start : org.end]
                core = cores.get(surface)
                if core is None:
                    core = _org_core(surface, known)
                    if len(cores) >= _CACHE_LIMIT:
                        cores.clear()
                    cores[surface] = core
                role = f"{core} {role}"
        return code, _C_ADJACENT, role
    if m.kind == _PERSON and m.start - end <= 200 and not _SENTENCE_END_IN.search(gap):
        return code, _C_SENTENCE, role
    return None, 0, role


def _cue_context(
    kept: list[_Mention], cue_lists: dict[str, list[tuple[int, int, str]]]
) -> dict[tuple[str, int], _Mention]:
    """Add the table places' and organisations' countries to the cues, and return the
    organisations by (field, end): what :func:`_attribute` reads."""
    org_ends: dict[tuple[str, int], _Mention] = {}
    for m in kept:
        kind = m.kind
        if kind == _ORG:
            org_ends[(m.field, m.end)] = m
            if m.country:
                cue_lists[m.field].append((m.end, m.start, m.country))
        elif kind == _LOC and m.country:
            cue_lists[m.field].append((m.end, m.start, m.country))
    return org_ends


# How many cue look-ups an article makes by scanning (_last_cue) before it sorts its cues.
_SCANS: Final = 4


def _last_cue(cues: list[tuple[int, int, str]], pos: int) -> tuple[int, int, str] | None:
    """Return the greatest cue ending at or before *pos*, or None: what bisecting the sorted
    cues' ends finds (``cues[bisect_right(ends, pos) - 1]``), by one pass over the cues."""
    best: tuple[int, int, str] | None = None
    best_end = -1
    for cue in cues:
        end = cue[0]
        if end <= pos and (end > best_end or (end == best_end and best is not None and cue > best)):
            best = cue
            best_end = end
    return best


def _sorted_cue_ends(cue_lists: dict[str, list[tuple[int, int, str]]]) -> dict[str, list[int]]:
    """Sort each field's cues; return their ends (to bisect)."""
    cue_ends: dict[str, list[int]] = {}
    for field, field_cues in cue_lists.items():
        field_cues.sort()
        cue_ends[field] = list(map(_FIRST, field_cues))  # a C-level pass
    return cue_ends


_ADJACENT_SPAN: Final = 50  # the longest gap _adjacent_gap can accept


def _adjacent_gap(gap: str) -> bool:
    """Return True if *gap* holds at most four lower-case descriptive words (and a comma)."""
    if len(gap) > _ADJACENT_SPAN:
        return False
    hit = _gap_cache.get(gap)
    if hit is not None:
        return hit
    if not _LOWER_GAP.fullmatch(gap):
        result = False
    else:
        words = gap.replace(",", " ").split()
        if words and words[0] in _POSSESSIVE_WORDS:
            words = words[1:]
        stop = _tables().gap_stopwords
        result = len(words) <= 4 and not any(w in stop for w in words)
    if len(_gap_cache) >= _CACHE_LIMIT:
        _gap_cache.clear()
    _gap_cache[gap] = result
    return result


_gap_cache: dict[str, bool] = {}


_POSSESSIVE_WORDS: Final = frozenset(("'s", "’s"))


def _org_core(surface: str, known: Callable[[str], tuple[int, str, str | None]]) -> str:
    """Return an organisation's name without a leading country word ("Foreign Ministry")."""
    words = surface.split(" ")
    for size in (2, 1):
        if len(words) > size and known(" ".join(words[:size]))[0] in (_COUNTRY, _DEMONYM):
            return " ".join(words[size:])
    return surface


def _role_before(text: str, start: int, t: _Tables) -> str | None:
    """Return the lower-case role phrase right before a name ("foreign ministry official")."""
    low = start - 60 if start > 60 else 0  # no max() call: this runs per person mention
    end = start
    while end > low and text[end - 1] in " ,":
        end -= 1
    last = text[text.rfind(" ", low, end) + 1 or low : end]  # after the last space, or from low
    if last not in t.roles and last not in t.title_ends:
        return None  # the common case: the last word decides, without the window's copy
    window = text[low:end]
    words = window.rsplit(" ", 4)  # the last four are whole words; no more are read
    if words[-1] not in t.roles:
        if words[-1] not in t.title_ends:
            return None
        # A capitalised title right before the name ("President" + spaCy's "Vladimir Putin").
        for size in (3, 2, 1):
            title = " ".join(words[-size:])
            if len(words) >= size and title in t.titles:
                return title
        return None
    k = len(words) - 1
    while k > 0 and words[k - 1] in t.role_modifiers and len(words) - k < 4:
        k -= 1
    return " ".join(words[k:])


def _group(
    groups: dict[tuple[int, str], list[_Mention]], unsorted: set[tuple[int, str]]
) -> list[Entity]:
    """Turn mentions grouped by (type, canonical) into entities, most mentioned first.

    Mentions are read in order (title first, then by offset): the groups in
    *unsorted* are sorted, the others are in that order already. Entities with
    as many mentions come in the order of their first one. (Mention spans never
    coincide across entities, so the first mention's order decides alone.)
    """
    # (rank, entity); rank = order - count * 2**42: most mentions first, then first mention.
    entities: list[tuple[int, Entity]] = []
    type_names = _TYPE_NAMES  # compiled: a typed dict (entities.pxd), its get() a C call
    for key, ms in groups.items():
        kind, canonical = key
        type_name = type_names.get(kind)
        if type_name is None:
            continue
        best = ms[0]
        if len(ms) == 1:
            entities.append(
                (
                    best.order - _COUNT_UNIT,
                    {
                        "text": best.surface,
                        "canonical": canonical,
                        "type": type_name,
                        "country": best.country if best.cstrength else None,
                        "role": best.role or None,
                        "mentions": [{"field": best.field, "start": best.start, "end": best.end}],
                    },
                )
            )
            continue
        if key in unsorted:
            ms.sort(key=_ORDER)
        first = best = ms[0]
        role: str | None = None
        # Drop a span met twice. Equal spans have equal orders, so they sit side by side:
        # the set of spans is only built once an order repeats (never, for this tagger).
        seen: set[tuple[str, int, int]] | None = None
        prev_order = -1
        mention_list: list[Mention] = []
        for m in ms:
            if m.cstrength > best.cstrength:
                best = m
            if role is None and m.role:
                role = m.role
            if m.order == prev_order or seen is not None:
                if seen is None:
                    seen = {(x["field"], x["start"], x["end"]) for x in mention_list}
                key3 = (m.field, m.start, m.end)
                if key3 in seen:
                    continue
                seen.add(key3)
            prev_order = m.order
            mention_list.append({"field": m.field, "start": m.start, "end": m.end})
        entities.append(
            (
                first.order - len(mention_list) * _COUNT_UNIT,
                {
                    "text": first.surface,
                    "canonical": canonical,
                    "type": type_name,
                    "country": best.country if best.cstrength else None,
                    "role": role,
                    "mentions": mention_list,
                },
            )
        )
    entities.sort(key=_RANK)
    return list(map(_SECOND, entities))  # a C-level pass


_RANK: Final = itemgetter(0)
_FIRST: Final = _RANK
_SECOND: Final = itemgetter(1)
_COUNT_UNIT: Final = 1 << 42  # above any order (_BODY_ORDER + offset)


_ORDER: Final = attrgetter("order")


# -- backends ----------------------------------------------------------------------------

_backends: dict[tuple[str, str], EntityTaggerProtocol] = {}
_backends_lock = threading.Lock()


def get_entity_tagger(
    backend: str = "builtin", spacy_model: str = "en_core_web_sm"
) -> EntityTaggerProtocol:
    """Return the entity tagger for *backend* ("builtin" or "spacy"), cached per process.

    The spaCy backend is optional (``pip install brinkwatch[spacy]``) and imports
    spaCy only when asked for; a missing package or model raises
    :class:`~pipeline.errors.BrinkwatchError`.
    """
    if backend == "builtin":
        return EntityTagger.default()
    if backend != "spacy":
        raise BrinkwatchError(f"unknown entity backend {backend!r} (use 'builtin' or 'spacy')")
    key = (backend, spacy_model)
    tagger = _backends.get(key)
    if tagger is None:
        with _backends_lock:
            tagger = _backends.get(key)
            if tagger is None:
                from pipeline.tagging.entities_spacy import SpacyEntityTagger

                tagger = SpacyEntityTagger(spacy_model)
                _backends[key] = tagger
    return tagger
