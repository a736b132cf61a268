"""The facts taggers return: plain, JSON-ready dicts typed for mypy.

They are ``TypedDict`` rather than classes so that an enriched event is built
without copying and serialised by orjson as it is. Offsets are character
offsets into the named field (``title`` or ``body``); ``end`` is exclusive.
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

__all__ = [
    "LEVELS",
    "Country",
    "Entity",
    "EntityType",
    "Escalation",
    "Evidence",
    "FieldName",
    "Level",
    "Mention",
    "Signal",
]

FieldName = Literal["title", "body"]
EntityType = Literal["PERSON", "ORG", "LOC"]
Level = Literal["none", "low", "elevated", "high", "critical"]

#: Escalation levels, lowest first.
LEVELS: tuple[Level, ...] = ("none", "low", "elevated", "high", "critical")


class Evidence(TypedDict):
    """One place in the article that names a country, and how it names it."""

    field: FieldName
    start: int
    end: int
    text: str
    via: str


class Country(TypedDict):
    """A country the article is about or mentions, with its evidence."""

    code: str
    alpha3: str
    name: str
    mentions: int
    salience: float
    focus: bool
    evidence: list[Evidence]


class Mention(TypedDict):
    """One occurrence of an entity."""

    field: FieldName
    start: int
    end: int


class Entity(TypedDict):
    """A person, organisation or (non-country) place, canonical within the article."""

    text: str
    canonical: str
    type: EntityType
    country: str | None
    role: NotRequired[str | None]
    mentions: list[Mention]


class Signal(TypedDict):
    """One escalation signal: a phrase in a sentence, with its modality and actors."""

    category: str
    cameo: str
    term: str
    field: FieldName
    start: int
    end: int
    sentence: str
    negated: bool
    modality: str
    weight: float
    actors: list[str]


class Escalation(TypedDict):
    """The article's escalation score (0..100), level and signals."""

    score: float
    level: Level
    signals: list[Signal]
