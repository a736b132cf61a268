"""Article → EnrichedEvent (+ Alert): the whole business path, pure and broker-free.

The worker calls :meth:`Enricher.process` for every message; ``brinkwatch
tag`` calls :meth:`Enricher.enrich` on files. Both produce the same event.
"""

from __future__ import annotations

import operator
import time
from collections import OrderedDict
from dataclasses import dataclass, fields
from typing import Any, Final

from pipeline import __version__
from pipeline.model import (
    Article,
    build_alert,
    build_event,
    parse_time,
)
from pipeline.serde import dumps
from pipeline.settings import Settings
from pipeline.tagging import Tagger, TagResult

__all__ = ["FUTURE_TOLERANCE_S", "DedupWindow", "Enriched", "Enricher", "Prepared"]

#: An article dated more than this many seconds after it was received counts at its
#: receive time: a wrong clock or date at the source must not push a country's
#: spike windows into the future.
FUTURE_TOLERANCE_S = 300.0


class DedupWindow:
    """The article ids seen recently: at most *size* ids, each for *ttl* seconds.

    Articles are keyed by id, so every copy of an article lands on the same
    partition and the same worker: a per-worker window catches duplicates
    without a shared store. After a rebalance or a restart the window starts
    empty, so a duplicate that arrives across one is processed again.
    """

    __slots__ = ("_seen", "size", "ttl")

    def __init__(self, size: int, ttl: float) -> None:
        """Remember up to *size* ids for *ttl* seconds each."""
        self.size = size
        self.ttl = ttl
        self._seen: OrderedDict[str, float] = OrderedDict()

    def seen(self, article_id: str, now: float) -> bool:
        """Return True if *article_id* was seen within the window; remember it if not."""
        seen = self._seen
        last = seen.get(article_id)
        if last is not None and now - last < self.ttl:
            return True
        seen[article_id] = now
        seen.move_to_end(article_id)
        while len(seen) > self.size:
            seen.popitem(last=False)
        return False

    def __len__(self) -> int:
        """Return how many ids are remembered."""
        return len(self._seen)


@dataclass(slots=True)
class Enriched:
    """The outputs of one article: its event, its alert (if any) and its event time.

    ``event_time`` (``published_at``, else the time received) places the
    article in the per-country spike windows
    (:class:`~pipeline.model.CountryScoreBatch`).
    """

    event: dict[str, Any]
    alert: dict[str, Any] | None
    event_time: float


@dataclass(frozen=True, slots=True)
class Prepared:
    """One article ready to publish: its event and alert serialised, and what the worker counts.

    This is what a tagging process hands back to the worker (see
    :mod:`pipeline.tagpool`): bytes and a few scalars, cheap to pickle.
    """

    article_id: str
    title: str
    event: bytes
    alert: bytes | None
    alert_countries: tuple[str, ...]
    level: str
    countries: tuple[str, ...]
    score: float
    event_time: float
    tag_seconds: float
    decode_seconds: float = 0.0

    def __reduce__(self) -> tuple[type[Prepared], tuple[Any, ...]]:
        """Pickle as the constructor's arguments: one per article, unpickled in the event loop.

        A slots dataclass otherwise pickles through Python-level ``__getstate__`` and
        ``__setstate__`` that call ``fields()`` each time: a round trip cost ~70 k
        instructions, ~38 k this way (callgrind, 7 KB events).
        """
        return (Prepared, _PREPARED_FIELDS(self))


#: Every field of a :class:`Prepared`, in order, as one tuple (one C call).
_PREPARED_FIELDS: Final = operator.attrgetter(*(f.name for f in fields(Prepared)))


class Enricher:
    """Tag articles and build the messages the worker publishes."""

    def __init__(self, settings: Settings, tagger: Tagger | None = None) -> None:
        """Load the taggers (once) with the thresholds from *settings*."""
        self.settings = settings
        self.tagger = tagger or Tagger(
            min_salience=settings.country_min_salience
            if settings.country_min_salience >= 0
            else None,
            thresholds=settings.thresholds,
            entity_backend=settings.entity_backend,
            spacy_model=settings.spacy_model,
        )
        self.versions = {
            "brinkwatch": __version__,
            "countries": self.tagger.countries.data_version,
            "entities": getattr(self.tagger.entities, "data_version", settings.entity_backend),
            "escalation": self.tagger.escalation.data_version,
        }

    def enrich(
        self,
        article: Article,
        received_at: float,
        *,
        now: float | None = None,
        tags: TagResult | None = None,
    ) -> Enriched:
        """Tag *article* (unless *tags* are given); return its event, alert and event time."""
        if tags is None:
            tags = self.tagger.tag(article.title, article.body)
        processed_at = time.time() if now is None else now
        event = build_event(
            article,
            tags,
            received_at=received_at,
            processed_at=processed_at,
            versions=self.versions,
        )
        alert = build_alert(event, self.settings.alert_min_level, processed_at)
        event_time = received_at
        if article.published_at:
            try:
                event_time = parse_time(article.published_at)
            except ValueError:
                event_time = received_at
            if event_time > received_at + FUTURE_TOLERANCE_S:
                event_time = received_at
        return Enriched(event, alert, event_time)

    def prepare(
        self,
        article: Article,
        received_at: float,
        *,
        decode_seconds: float = 0.0,
        tags: TagResult | None = None,
        tag_seconds: float = 0.0,
    ) -> Prepared:
        """Enrich *article* and serialise its event and alert (what the worker publishes).

        *tags* and *tag_seconds* are its tagging when already done (see
        :func:`pipeline.tagpool.prepare_batch`); ``tag_seconds`` of the result
        adds the building of its messages.
        """
        t0 = time.perf_counter() - tag_seconds
        out = self.enrich(article, received_at, tags=tags)
        esc = out.event["escalation"]
        return Prepared(
            article_id=article.id,
            title=article.title,
            event=dumps(out.event),
            alert=None if out.alert is None else dumps(out.alert),
            alert_countries=() if out.alert is None else tuple(out.alert["countries"]),
            level=esc["level"],
            countries=tuple(c["code"] for c in out.event["countries"]),
            score=float(esc["score"]),
            event_time=out.event_time,
            tag_seconds=time.perf_counter() - t0,
            decode_seconds=decode_seconds,
        )
