"""The messages: Article in, EnrichedEvent, Alert, CountryScore and DeadLetter out.

Articles are decoded and checked here (bytes → :class:`Article`, or
:class:`~pipeline.errors.InvalidArticle` with a reason code); the outgoing
messages are plain dicts shaped by the JSON Schemas in ``schemas/``.
"""

from __future__ import annotations

import base64
import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import fastjsonschema

from pipeline.errors import InvalidArticle
from pipeline.serde import loads, validator
from pipeline.tagging import TagResult
from pipeline.tagging.types import LEVELS, Signal

__all__ = [
    "ALERT_SCHEMA",
    "COUNTRY_SCORE_SCHEMA",
    "DEADLETTER_SCHEMA",
    "ENRICHED_SCHEMA",
    "Article",
    "CountryScoreBatch",
    "article_from_dict",
    "build_alert",
    "build_deadletter",
    "build_event",
    "decode_article",
    "derive_id",
    "iso_time",
    "level_at_least",
    "parse_time",
]

ENRICHED_SCHEMA = "brinkwatch.enriched/1"
ALERT_SCHEMA = "brinkwatch.alert/1"
DEADLETTER_SCHEMA = "brinkwatch.deadletter/1"
COUNTRY_SCORE_SCHEMA = "brinkwatch.country-score/2"

_KNOWN = frozenset({"id", "title", "body", "source", "url", "published_at", "language", "meta"})


@dataclass(slots=True)
class Article:
    """One validated input article; unknown input fields are kept in ``extra``."""

    id: str
    title: str
    body: str
    source: str | None = None
    url: str | None = None
    published_at: str | None = None
    language: str | None = None
    meta: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the article as an input message (what ``brinkwatch feed`` publishes)."""
        out: dict[str, Any] = dict(self.extra)
        out.update(
            id=self.id,
            title=self.title,
            body=self.body,
            source=self.source,
            url=self.url,
            published_at=self.published_at,
            language=self.language,
        )
        if self.meta is not None:
            out["meta"] = self.meta
        return out


#: The text up to the seconds of the whole seconds :func:`iso_time` formatted lately.
_SECONDS: dict[float, str] = {}


def iso_time(ts: float) -> str:
    """Format a Unix time as RFC 3339 UTC with milliseconds (``2024-06-01T10:00:00.000Z``).

    The same text as ``datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds")``
    (microseconds rounded half to even, then truncated to milliseconds), with "Z" for
    "+00:00". An event carries two or three times (received, processed, created), mostly
    of the same second or two: the text of the last few seconds is kept, which takes a
    call from ~19 k to ~6 k instructions.
    """
    frac, whole = math.modf(ts)
    micros = round(frac * 1e6)  # as datetime rounds a timestamp's fraction
    if micros >= 1_000_000:
        micros -= 1_000_000
        whole += 1.0
    elif micros < 0:
        micros += 1_000_000
        whole -= 1.0
    text = _SECONDS.get(whole)
    if text is None:
        text = datetime.fromtimestamp(whole, UTC).isoformat(timespec="seconds")[:-6]
        if len(_SECONDS) >= 16:
            _SECONDS.clear()
        _SECONDS[whole] = text
    return f"{text}.{micros // 1000:03d}Z"


def parse_time(text: str) -> float:
    """Parse an RFC 3339 time into a Unix time (``Z`` or an offset; naive means UTC)."""
    dt = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def derive_id(source: str | None, url: str | None, title: str, body: str) -> str:
    """Return a stable article id from its content: 16 hex digits of a SHA-256."""
    h = hashlib.sha256()
    for part in (source or "", url or "", title, body):
        h.update(part.encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()[:16]


def article_from_dict(obj: Any) -> Article:
    """Check *obj* against ``schemas/article.schema.json`` and return the Article.

    Raises :class:`InvalidArticle` (code ``schema``, with the failing field).
    """
    if not isinstance(obj, dict):
        raise InvalidArticle("schema", f"an article is a JSON object, not {type(obj).__name__}")
    try:
        validator("article")(obj)
    except fastjsonschema.JsonSchemaValueException as exc:
        fld = (exc.name or "").removeprefix("data").lstrip(".") or None
        raise InvalidArticle("schema", exc.message, fld) from None
    if not obj["body"].strip():
        raise InvalidArticle("schema", "body is blank", "body")
    art_id = obj.get("id") or derive_id(
        obj.get("source"), obj.get("url"), obj["title"], obj["body"]
    )
    return Article(
        id=art_id,
        title=obj["title"],
        body=obj["body"],
        source=obj.get("source"),
        url=obj.get("url"),
        published_at=obj.get("published_at"),
        language=obj.get("language"),
        meta=obj.get("meta"),
        extra={k: v for k, v in obj.items() if k not in _KNOWN},
    )


def decode_article(value: bytes | None, max_bytes: int) -> Article:
    """Decode one message value into an Article, or raise :class:`InvalidArticle`.

    Reason codes: ``empty``, ``too_large``, ``not_utf8``, ``not_json``, ``schema``.
    """
    if not value:
        raise InvalidArticle("empty", "the message has no value")
    if len(value) > max_bytes:
        raise InvalidArticle("too_large", f"{len(value)} bytes > limit of {max_bytes}")
    try:
        # orjson parses the bytes and checks their UTF-8 itself: a valid message is not
        # decoded to a str first, which orjson would then encode back (~20 k instructions
        # of a 3 KB article). Only a message it rejects is diagnosed below.
        obj = loads(value)
    except ValueError:
        pass
    else:
        return article_from_dict(obj)
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidArticle("not_utf8", f"not UTF-8 at byte {exc.start}") from None
    if not text.strip():
        raise InvalidArticle("empty", "the message is blank")
    try:
        obj = loads(text)
    except ValueError as exc:
        raise InvalidArticle("not_json", f"not JSON: {exc}") from None
    return article_from_dict(obj)


def build_event(
    article: Article,
    tags: TagResult,
    *,
    received_at: float,
    processed_at: float,
    versions: dict[str, str],
) -> dict[str, Any]:
    """Return the enriched event (``schemas/enriched.schema.json``) of one article."""
    event: dict[str, Any] = {
        "schema": ENRICHED_SCHEMA,
        "article_id": article.id,
        "title": article.title,
        "source": article.source,
        "url": article.url,
        "published_at": article.published_at,
        "language": article.language,
        "received_at": iso_time(received_at),
        "processed_at": iso_time(processed_at),
        "countries": tags.countries,
        "entities": tags.entities,
        "escalation": tags.escalation,
        "versions": versions,
    }
    if article.meta is not None:
        event["meta"] = article.meta
    if article.extra:
        event["extra"] = article.extra
    return event


def level_at_least(level: str, minimum: str) -> bool:
    """Return True if escalation *level* is *minimum* or above."""
    order: tuple[str, ...] = LEVELS
    return order.index(level) >= order.index(minimum)


def _alert_signal(sig: Signal) -> dict[str, Any]:
    return {
        "category": sig["category"],
        "cameo": sig["cameo"],
        "term": sig["term"],
        "sentence": sig["sentence"],
        "negated": sig["negated"],
        "modality": sig["modality"],
        "weight": sig["weight"],
        "actors": sig["actors"],
    }


def top_signals(signals: list[Signal], limit: int = 5) -> list[dict[str, Any]]:
    """Return the *limit* strongest signals, asserted ones first, for an alert."""
    ranked = sorted(signals, key=lambda s: (s["negated"], -s["weight"], s["start"]))
    return [_alert_signal(s) for s in ranked[:limit]]


def build_alert(event: dict[str, Any], min_level: str, created_at: float) -> dict[str, Any] | None:
    """Return the article alert of an enriched event, or None below *min_level*."""
    esc = event["escalation"]
    if esc["level"] == "none" or not level_at_least(esc["level"], min_level):
        return None
    return {
        "schema": ALERT_SCHEMA,
        "alert_id": hashlib.sha256(f"article|{event['article_id']}".encode()).hexdigest()[:16],
        "kind": "article",
        "article_id": event["article_id"],
        "level": esc["level"],
        "score": esc["score"],
        "countries": [c["code"] for c in event["countries"]],
        "headline": event["title"],
        "signals": top_signals(esc["signals"]),
        "source": event["source"],
        "url": event["url"],
        "published_at": event["published_at"],
        "created_at": iso_time(created_at),
    }


class CountryScoreBatch:
    """The country scores of a batch of articles: one record per (country, event-time bucket).

    The spike agent needs, per country and per bucket of ``step`` seconds, how
    many articles named the country and their escalation total. Summing them
    here, per batch of articles, sends one record where per-article records
    would send one per article and country (about five per conflict story).
    Each record also names the batch's highest-scoring article of the group.
    """

    __slots__ = ("_groups", "step")

    def __init__(self, step: float) -> None:
        """Group by buckets of *step* seconds of event time."""
        self.step = step
        self._groups: dict[tuple[str, int], list[Any]] = {}

    def add(
        self, article_id: str, title: str, countries: Iterable[str], score: float, event_time: float
    ) -> None:
        """Count one enriched article, with escalation *score* at *event_time*, for *countries*."""
        bucket = math.floor(event_time / self.step)
        groups = self._groups
        for code in countries:
            key = (code, bucket)
            g = groups.get(key)
            if g is None:
                groups[key] = [1, score, score, event_time, article_id, title]
                continue
            g[0] += 1
            g[1] += score
            if event_time > g[3]:
                g[3] = event_time
            if score > g[2]:
                g[2], g[4], g[5] = score, article_id, title

    def __len__(self) -> int:
        """Return how many records :meth:`records` would return."""
        return len(self._groups)

    def records(self) -> list[dict[str, Any]]:
        """Return the CountryScore records (``schemas/country-score.schema.json``) and reset."""
        out = [
            {
                "schema": COUNTRY_SCORE_SCHEMA,
                "country": country,
                "articles": n,
                "score_total": round(total, 4),
                "score_max": top,
                "event_time": latest,
                "article_id": article_id,
                "title": title,
            }
            for (country, _bucket), (n, total, top, latest, article_id, title) in (
                self._groups.items()
            )
        ]
        self._groups = {}
        return out


def build_deadletter(
    error: InvalidArticle,
    *,
    topic: str,
    partition: int,
    offset: int,
    key: bytes | None,
    payload: bytes | None,
    received_at: float,
) -> dict[str, Any]:
    """Return the dead-letter record (``schemas/deadletter.schema.json``) of a bad message."""
    return {
        "schema": DEADLETTER_SCHEMA,
        "error": {"code": error.code, "message": error.message, "field": error.field},
        "topic": topic,
        "partition": partition,
        "offset": offset,
        "key": base64.b64encode(key).decode("ascii") if key is not None else None,
        "payload": base64.b64encode(payload or b"").decode("ascii"),
        "received_at": iso_time(received_at),
    }
