"""Tagging: pure functions from article text to facts with offsets.

Nothing in this package imports Kafka or Faust. :class:`Tagger` runs the
country, entity and escalation taggers in that order (each later one may use
the earlier ones' facts) and is what both the worker and ``brinkwatch tag`` use.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from pipeline.tagging.types import Country, Entity, Escalation

__all__ = ["TagResult", "Tagger", "default_tagger"]


@dataclass(frozen=True, slots=True)
class TagResult:
    """What the taggers found in one article."""

    countries: list[Country]
    entities: list[Entity]
    escalation: Escalation


class Tagger:
    """Country, entity and escalation tagging of one article at a time."""

    def __init__(
        self,
        *,
        min_salience: float | None = None,
        thresholds: tuple[float, float, float, float] | None = None,
        entity_backend: str = "builtin",
        spacy_model: str = "en_core_web_sm",
    ) -> None:
        """Load (once, cached per process) every gazetteer and lexicon the taggers need."""
        from pipeline.tagging.countries import CountryTagger
        from pipeline.tagging.entities import get_entity_tagger
        from pipeline.tagging.escalation import DEFAULT_THRESHOLDS, EscalationTagger

        self.countries = CountryTagger.default()
        self.entities = get_entity_tagger(entity_backend, spacy_model)
        self.escalation = EscalationTagger.default()
        self.min_salience = min_salience
        self.thresholds = thresholds if thresholds is not None else DEFAULT_THRESHOLDS

    def tag(self, title: str, body: str) -> TagResult:
        """Tag one article's title and body."""
        countries = self.countries.tag(title, body, min_salience=self.min_salience)
        entities = self.entities.tag(title, body, countries)
        escalation = self.escalation.tag(
            title, body, countries, entities, thresholds=self.thresholds
        )
        return TagResult(countries, entities, escalation)


@cache
def default_tagger() -> Tagger:
    """Return the process-wide tagger with default settings."""
    return Tagger()
