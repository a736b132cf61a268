"""A deterministic generator of realistic news articles for the benchmark.

Articles are built from sentence templates filled with countries, capitals,
cities, leaders and demonyms. The places and people come from the country
tagger's data files (``pipeline/tagging/data/countries/``) when they are
there, else from a small built-in list, so that the taggers find in the
corpus what they find in real news. Everything is drawn from one seeded
:class:`random.Random`: the same ``(n, size, seed)`` gives the same articles,
byte for byte, on every machine.

About 30 % of the articles (``escalation_share``) are conflict stories: they
name two to four countries and carry escalation phrases in about 40 % of their
sentences (attacks, threats,
mobilisation, sanctions), some of them negated ("denied that troops had
crossed"). The others are economy, politics, science and sport stories with
one or two countries. About 30 % of all sentences name no one. Article sizes
(title + body, UTF-8 bytes) are spread uniformly between half and one and a
half times *size*, so their mean is *size*.
"""

from __future__ import annotations

import json
import random
import string
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_SEED",
    "ESCALATION_SHARE",
    "CountryFacts",
    "article_size",
    "countries",
    "generate",
]

#: The seed every benchmark run uses unless told otherwise.
DEFAULT_SEED = 20240601

#: Share of the articles that are conflict stories with escalation phrases.
ESCALATION_SHARE = 0.3

_DATA = Path(__file__).resolve().parent.parent / "tagging" / "data" / "countries"

#: First publication time of the corpus (2024-06-01T00:00:00Z); article i is i seconds later.
_EPOCH = 1_717_200_000


@dataclass(frozen=True, slots=True)
class CountryFacts:
    """What the generator may say about one country."""

    code: str
    name: str
    capital: str
    cities: tuple[str, ...] = ()
    leaders: tuple[tuple[str, str], ...] = ()  # (role, name)
    demonym: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


# A small built-in list, used when the country tagger's data files are absent.
_BUILTIN: tuple[CountryFacts, ...] = (
    CountryFacts("US", "United States", "Washington", ("New York", "Chicago"),
                 (("president", "Donald Trump"), ("secretary of state", "Marco Rubio")),
                 "American"),
    CountryFacts("RU", "Russia", "Moscow", ("Saint Petersburg", "Kazan"),
                 (("president", "Vladimir Putin"), ("foreign minister", "Sergei Lavrov")),
                 "Russian"),
    CountryFacts("UA", "Ukraine", "Kyiv", ("Kharkiv", "Odesa", "Lviv"),
                 (("president", "Volodymyr Zelenskyy"),), "Ukrainian"),
    CountryFacts("CN", "China", "Beijing", ("Shanghai", "Shenzhen"),
                 (("president", "Xi Jinping"), ("foreign minister", "Wang Yi")), "Chinese"),
    CountryFacts("TW", "Taiwan", "Taipei", ("Kaohsiung",), (("president", "Lai Ching-te"),),
                 "Taiwanese"),
    CountryFacts("KP", "North Korea", "Pyongyang", (), (("leader", "Kim Jong Un"),),
                 "North Korean"),
    CountryFacts("KR", "South Korea", "Seoul", ("Busan", "Incheon"),
                 (("president", "Lee Jae-myung"),), "South Korean"),
    CountryFacts("IN", "India", "New Delhi", ("Mumbai", "Bengaluru"),
                 (("prime minister", "Narendra Modi"),), "Indian"),
    CountryFacts("PK", "Pakistan", "Islamabad", ("Karachi", "Lahore"),
                 (("prime minister", "Shehbaz Sharif"),), "Pakistani"),
    CountryFacts("IL", "Israel", "Jerusalem", ("Tel Aviv", "Haifa"),
                 (("prime minister", "Benjamin Netanyahu"),), "Israeli"),
    CountryFacts("IR", "Iran", "Tehran", ("Isfahan", "Mashhad"),
                 (("president", "Masoud Pezeshkian"),), "Iranian"),
    CountryFacts("FR", "France", "Paris", ("Marseille", "Lyon"),
                 (("president", "Emmanuel Macron"),), "French"),
    CountryFacts("DE", "Germany", "Berlin", ("Hamburg", "Munich"),
                 (("chancellor", "Friedrich Merz"),), "German"),
    CountryFacts("GB", "United Kingdom", "London", ("Manchester", "Birmingham"),
                 (("prime minister", "Keir Starmer"),), "British"),
    CountryFacts("BR", "Brazil", "Brasilia", ("Sao Paulo", "Rio de Janeiro"),
                 (("president", "Luiz Inacio Lula da Silva"),), "Brazilian"),
    CountryFacts("NG", "Nigeria", "Abuja", ("Lagos", "Kano"),
                 (("president", "Bola Tinubu"),), "Nigerian"),
    CountryFacts("JP", "Japan", "Tokyo", ("Osaka", "Yokohama"), (), "Japanese"),
    CountryFacts("TR", "Turkey", "Ankara", ("Istanbul", "Izmir"),
                 (("president", "Recep Tayyip Erdogan"),), "Turkish"),
)


def _load_json(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((_DATA / name).read_text(encoding="utf-8"))
    return data


def _from_data() -> tuple[CountryFacts, ...]:
    """Build the country list from the tagger's data (the countries that have leaders)."""
    import pycountry

    leaders_doc = _load_json("leaders.json")
    cities_doc = _load_json("cities.json")
    short = _load_json("aliases.json").get("short_names", {})
    demonyms = _load_json("demonyms.json").get("demonyms", {})
    cols = cities_doc["columns"]
    i_name, i_cc, i_pop, i_cap = (
        cols.index(c) for c in ("name", "country", "population", "capital")
    )
    capitals: dict[str, str] = {}
    cities: dict[str, list[tuple[int, str]]] = {}
    for row in cities_doc["entries"]:
        cc, name = row[i_cc], row[i_name]
        if row[i_cap]:
            capitals.setdefault(cc, name)
        else:
            cities.setdefault(cc, []).append((int(row[i_pop]), name))
    people: dict[str, list[tuple[str, str]]] = {}
    for entry in leaders_doc["leaders"]:
        people.setdefault(entry["country"], []).append((entry["role"], entry["name"]))
    out: list[CountryFacts] = []
    for cc in sorted(people):
        rec = pycountry.countries.get(alpha_2=cc)
        if rec is None or cc not in capitals:
            continue
        name = short.get(cc) or getattr(rec, "common_name", None) or rec.name
        top = tuple(n for _, n in sorted(cities.get(cc, []), key=lambda x: (-x[0], x[1]))[:4])
        dem = demonyms.get(cc) or [None]
        out.append(CountryFacts(cc, name, capitals[cc], top, tuple(people[cc]), dem[0]))
    return tuple(out)


@cache
def countries() -> tuple[CountryFacts, ...]:
    """Return the countries the generator writes about (tagger data, else the built-in list)."""
    try:
        found = _from_data()
    except (OSError, ValueError, KeyError, IndexError, ImportError):
        found = ()
    return found if len(found) >= 10 else _BUILTIN


# -- templates -------------------------------------------------------------------

_SOURCES = ("Reuters", "AP", "AFP", "BBC News", "Al Jazeera", "The Guardian", "DW", "NHK World",
            "Kyiv Independent", "Times of India", "Folha", "Premium Times")

_ESC_TITLES = (
    "{A} launches strikes on {B} border region as tensions soar",
    "{B} accuses {A} of shelling near {cityB}",
    "{A} masses troops near {B} frontier, officials say",
    "{leaderA} threatens {B} with 'severe consequences'",
    "Clashes erupt between {demA} and {demB} forces",
    "{A} expels {demB} diplomats after drone attack on {capA}",
    "Missile fired from {A} lands near {cityB}",
    "{B} declares state of emergency after {demA} incursion",
)
_CALM_TITLES = (
    "{A} central bank holds rates steady",
    "{leaderA} opens trade fair in {capA}",
    "{A} and {B} sign agreement on renewable energy",
    "Floods disrupt transport in {cityA}",
    "{demA} researchers report progress on malaria vaccine",
    "{A} unveils budget with higher spending on schools",
    "Tech start-ups flock to {cityA}",
    "Tourism in {A} recovers to pre-pandemic levels",
    "Markets edge higher as inflation cools",
    "Storm season expected to be milder this year",
)
_ESC_SENTENCES = (
    "{A} launched a wave of airstrikes on targets in {B} overnight, killing at least {n} people, "
    "according to local officials in {cityB}.",
    "The {demB} defence ministry said its air defences shot down {n} drones fired from {A} "
    "over the weekend.",
    "{leaderA} warned that {A} was prepared to use force if {B} did not withdraw its troops "
    "from the disputed area.",
    "Satellite images show {A} has massed tanks and artillery near the border with {B}.",
    "Heavy shelling hit residential districts of {cityB}, and emergency crews were still "
    "searching the rubble on {day}.",
    "{B} recalled its ambassador from {capA} and threatened retaliation for the attack.",
    "Armed clashes between {demA} and {demB} soldiers left {n} dead and dozens wounded, "
    "the army said.",
    "{A} test-fired a ballistic missile that flew over {B}, prompting an emergency meeting "
    "of the UN Security Council.",
    "The government in {capB} ordered a partial mobilisation of reservists as fighting "
    "spread along the front line.",
    "{A} imposed sweeping sanctions on {demB} banks and seized cargo ships bound for {cityB}.",
    "Protesters stormed the {demA} embassy in {capB}, setting fire to vehicles outside.",
    "Officials in {capA} denied that {demA} troops had crossed into {B}, calling the reports "
    "fabricated.",
    "{leaderB} said there were no plans to attack {A}, despite the troop build-up.",
    "Insurgents ambushed a convoy near {cityB}, killing {n} police officers.",
    "{A} warned it would respond to any further provocation with a 'decisive military response'.",
)
_CALM_SENTENCES = (
    "The {demA} economy grew {pct} percent in the last quarter, beating analysts' forecasts.",
    "{leaderA} met business leaders in {capA} to discuss investment in ports and railways.",
    "Exports from {A} to {B} rose for a third consecutive month, led by machinery and food.",
    "The central bank in {capA} said inflation was expected to ease to {pct} percent next year.",
    "Officials in {cityA} said the new metro line would open to passengers in {month}.",
    "Farmers across {A} reported a strong harvest after steady spring rains.",
    "The two governments agreed to cooperate on climate research and student exchanges.",
    "Shares of {demA} carmakers gained after the ministry announced new subsidies.",
    "A delegation from {B} visited {cityA} to study its water management programme.",
    "Analysts said the agreement could add billions of dollars to trade between {A} and {B}.",
    "The national team from {A} beat {B} {score} in a friendly match in {cityA}.",
    "Researchers at a university in {cityA} published a study on coastal erosion.",
    "The opposition criticised the plan, saying it did little for households outside {capA}.",
    "Tourist arrivals in {A} reached a record high, the statistics office said.",
    "The festival in {cityA} drew more than {n} thousand visitors over three days.",
)
_FILLER = (
    "The statement did not give further details.",
    "Officials declined to comment on the matter when contacted on {day}.",
    "The figures were published by the national statistics office.",
    "Analysts expect the discussion to continue over the coming weeks.",
    "The ministry said it would release a full report later this month.",
    "Local media carried extensive coverage of the announcement.",
    "Independent verification of the claims was not immediately possible.",
    "The report was based on interviews with dozens of residents and officials.",
    "Prices for fuel and basic food items have risen sharply over the past year.",
    "Several analysts said the outcome would depend on negotiations still under way.",
    "The decision is expected to be reviewed by a parliamentary committee next month.",
    "Residents interviewed by reporters said they were worried about rising costs.",
    "A spokesperson said the government remained committed to its reform programme.",
    "The data showed a modest improvement compared with the same period last year.",
    "Critics argued that the measures came too late to make a real difference.",
)
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "March", "May", "July", "September", "November")


def _fields(template: str) -> tuple[str, ...]:
    # In template order (not a set: set order depends on PYTHONHASHSEED, and the
    # random draws per field must come in the same order in every process).
    names = (name for _, name, _, _ in string.Formatter().parse(template) if name)
    return tuple(dict.fromkeys(names))


_FIELDS: dict[str, tuple[str, ...]] = {
    t: _fields(t)
    for group in (_ESC_TITLES, _CALM_TITLES, _ESC_SENTENCES, _CALM_SENTENCES, _FILLER)
    for t in group
}


def _the(name: str) -> str:
    """Country names that take an article in running text ("the United States")."""
    first = name.split()[0]
    if first in ("United", "Republic", "Democratic", "Czech", "Central", "Dominican") or (
        name.endswith(("Islands", "Emirates", "Philippines", "Netherlands"))
    ):
        return "the " + name
    return name


def _fill(template: str, a: CountryFacts, b: CountryFacts, rng: random.Random) -> str:
    """Format *template* drawing only the values it uses (A is the actor, B the other side)."""
    values: dict[str, str] = {}
    for name in _FIELDS[template]:
        c = a if name.endswith("A") else b
        if name in ("A", "B"):
            values[name] = _the(c.name)
        elif name.startswith("cap"):
            values[name] = c.capital
        elif name.startswith("city"):
            values[name] = rng.choice(c.cities) if c.cities else c.capital
        elif name.startswith("dem"):
            values[name] = c.demonym or c.name
        elif name.startswith("leader"):
            if not c.leaders:
                values[name] = f"the {c.demonym or c.name} government"
            else:
                role, person = rng.choice(c.leaders)
                values[name] = (
                    f"{c.demonym or c.name} {role} {person}" if rng.random() < 0.5 else person
                )
        elif name == "n":
            values[name] = str(rng.randint(2, 90))
        elif name == "pct":
            values[name] = f"{rng.uniform(0.2, 6.5):.1f}"
        elif name == "day":
            values[name] = rng.choice(_DAYS)
        elif name == "month":
            values[name] = rng.choice(_MONTHS)
        elif name == "score":
            values[name] = f"{rng.randint(0, 4)}-{rng.randint(0, 3)}"
    text = template.format_map(values)
    return text[0].upper() + text[1:]


def _article(i: int, target: int, escalation: bool, rng: random.Random,
             pool: tuple[CountryFacts, ...], seed: int) -> dict[str, Any]:
    if escalation:
        cast = rng.sample(pool, rng.randint(2, 4))
    else:
        cast = rng.sample(pool, rng.choice((1, 1, 2, 2)))
    a, b = cast[0], cast[1] if len(cast) > 1 else rng.choice(pool)
    title = _fill(rng.choice(_ESC_TITLES if escalation else _CALM_TITLES), a, b, rng)
    if title.startswith("The "):
        title = title[4:]
    dateline = f"{a.capital.upper()} ({rng.choice(_SOURCES)}) - "
    paragraphs: list[str] = []
    size = len(title.encode()) + 1 + len(dateline.encode())
    sentences: list[str] = []
    per_paragraph = rng.randint(3, 5)
    while size < target:
        x, y = rng.sample(cast, 2) if len(cast) > 1 else (a, b)
        r = rng.random()
        if escalation and r < 0.4:
            template = rng.choice(_ESC_SENTENCES)
        elif r < 0.7:
            template = rng.choice(_CALM_SENTENCES)
        else:
            template = rng.choice(_FILLER)
        text = _fill(template, x, y, rng)
        sentences.append(text)
        size += len(text.encode()) + 1
        if len(sentences) >= per_paragraph:
            paragraphs.append(" ".join(sentences))
            sentences = []
            per_paragraph = rng.randint(3, 5)
    if sentences:
        paragraphs.append(" ".join(sentences))
    body = dateline + "\n".join(paragraphs)
    source = rng.choice(_SOURCES)
    slug = "-".join(title.lower().split()[:6]).replace("'", "")
    return {
        "id": f"bench-{seed}-{i:07d}",
        "title": title,
        "body": body,
        "source": source,
        "url": f"https://news.example/{source.split()[0].lower()}/{i}/{slug}",
        "published_at": _iso(_EPOCH + i),
        "language": "en",
    }


def _iso(ts: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def article_size(article: dict[str, Any]) -> int:
    """Return the size the generator aims at: UTF-8 bytes of title + newline + body."""
    return len(article["title"].encode()) + 1 + len(article["body"].encode())


def generate(
    n: int,
    size: int = 3_000,
    *,
    seed: int = DEFAULT_SEED,
    escalation_share: float = ESCALATION_SHARE,
    start: int = 0,
) -> list[dict[str, Any]]:
    """Return *n* article dicts (the input message shape) averaging *size* bytes of text.

    Article ``i`` has id ``bench-<seed>-<start+i>``; the result depends only on
    the arguments (and the country data version).
    """
    if n < 0 or size < 200:
        raise ValueError("n must be >= 0 and size >= 200 bytes")
    rng = random.Random(f"{seed}:{start}:{size}")
    pool = countries()
    out = []
    for i in range(start, start + n):
        target = int(rng.uniform(0.5, 1.5) * size)
        escalation = rng.random() < escalation_share
        art = _article(i, target, escalation, rng, pool, seed)
        art["meta"] = {"bench_escalation": escalation}
        out.append(art)
    return out
