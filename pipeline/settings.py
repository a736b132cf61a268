"""One frozen :class:`Settings`, the only place that reads the environment.

Every setting is an environment variable ``BRINKWATCH_<NAME>``; ``brinkwatch
config`` prints the effective values, and the README lists them all. Values
are parsed and checked once, at start-up: a bad value raises
:class:`~pipeline.errors.ConfigError` naming the variable.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pipeline.errors import ConfigError
from pipeline.tagging.types import LEVELS

__all__ = ["ENV_PREFIX", "ENV_VARS", "Settings"]

#: The prefix every Brinkwatch environment variable starts with.
ENV_PREFIX = "BRINKWATCH_"

_ALPHA2 = re.compile(r"^[A-Z]{2}$")


def _doc(text: str, *, secret: bool = False) -> dict[str, Any]:
    return {"doc": text, "secret": secret}


@dataclass(frozen=True, slots=True)
class Settings:
    """Effective configuration of a worker or command; build it with :meth:`from_env`."""

    # Broker and topics
    bootstrap_servers: str = field(
        default="localhost:9092", metadata=_doc("Kafka bootstrap servers, comma separated.")
    )
    app_id: str = field(
        default="brinkwatch",
        metadata=_doc("Faust app id: consumer group and prefix of the app's internal topics."),
    )
    topic_articles: str = field(default="news.articles", metadata=_doc("Input articles."))
    topic_enriched: str = field(default="news.enriched", metadata=_doc("Enriched events."))
    topic_alerts: str = field(default="news.alerts", metadata=_doc("Article and spike alerts."))
    topic_deadletter: str = field(
        default="news.deadletter", metadata=_doc("Messages that could not be processed.")
    )
    topic_country_scores: str = field(
        default="news.country-scores",
        metadata=_doc(
            "Internal: per batch of articles, one record per country and event-time "
            "bucket, keyed by country code."
        ),
    )
    alert_topic_prefix: str = field(
        default="news.alerts.country.",
        metadata=_doc("Prefix of the per-country alert topics (see ALERT_COUNTRIES)."),
    )
    partitions: int = field(
        default=4, metadata=_doc("Partition count of every topic the project creates.")
    )
    replication_factor: int = field(default=1, metadata=_doc("Replication factor of topics."))
    # Worker
    metrics_host: str = field(default="0.0.0.0", metadata=_doc("Metrics server bind address."))
    metrics_port: int = field(
        default=9108, metadata=_doc("Port of /metrics, /healthz and /readyz (0: any free port).")
    )
    max_message_bytes: int = field(
        default=1_000_000, metadata=_doc("Larger input messages are dead-lettered (too_large).")
    )
    dedup_size: int = field(
        default=100_000, metadata=_doc("Article ids remembered per worker for deduplication.")
    )
    dedup_ttl_seconds: float = field(
        default=86_400.0, metadata=_doc("How long an article id is remembered (seconds).")
    )
    data_dir: str = field(
        default=".run/worker", metadata=_doc("Directory for the worker's local table state.")
    )
    log_level: str = field(default="WARNING", metadata=_doc("Log level of the worker."))
    session_timeout_s: float = field(
        default=6.0, metadata=_doc("Consumer group session timeout (seconds).")
    )
    rebalance_timeout_s: float = field(
        default=5.0, metadata=_doc("Consumer group rebalance timeout (seconds).")
    )
    heartbeat_interval_s: float = field(
        default=1.0, metadata=_doc("Consumer group heartbeat interval (seconds).")
    )
    # Throughput tuning (Faust and its Kafka clients; see `brinkwatch bench`)
    producer_linger_ms: int = field(
        default=5,
        metadata=_doc(
            "How long the producer waits to fill a batch (ms): longer means fewer, larger "
            "produce requests and less CPU per message, at that much added latency."
        ),
    )
    producer_max_batch_bytes: int = field(
        default=1_048_576, metadata=_doc("Largest producer batch per partition (bytes).")
    )
    consumer_max_fetch_bytes: int = field(
        default=1_048_576,
        metadata=_doc("Most bytes fetched per partition in one fetch request."),
    )
    consumer_fetch_max_wait_ms: int = field(
        default=50,
        metadata=_doc(
            "Longest the broker may hold a fetch that finds no new record (ms). Faust "
            "fixes 1500; Tansu holds the whole fetch that long even when records "
            "arrive, so keep it short."
        ),
    )
    consumer_fetch_min_bytes: int = field(
        default=1,
        metadata=_doc(
            "Least the broker answers a fetch with before the fetch wait is up (bytes). "
            "More means fewer fetches for a busy consumer (Tansu's cost per fetch grows with "
            "what a partition holds), and up to the fetch wait added when records trickle in."
        ),
    )
    max_poll_records: int = field(
        default=1000, metadata=_doc("Most records the consumer hands over per poll.")
    )
    commit_every: int = field(
        default=1000,
        metadata=_doc(
            "Commit offsets after this many processed messages (besides every "
            "COMMIT_INTERVAL_S); each commit first waits for the producer to flush."
        ),
    )
    commit_interval_s: float = field(
        default=1.0, metadata=_doc("Commit offsets at least this often (seconds).")
    )
    tagging_processes: int = field(
        default=1,
        metadata=_doc(
            "Child processes that decode and tag batches of articles beside the worker's "
            "event loop (0: tag in the event loop; -1: one per CPU core the worker may use). "
            "With N > 0 the worker uses up to N + 1 cores and ~110 MB more per process."
        ),
    )
    batch_max: int = field(
        default=256,
        metadata=_doc(
            "Most articles the enrich agent takes as one batch: it gathers the articles "
            "already waiting, and waits for more at most BATCH_LINGER_MS; a batch's country "
            "scores are summed and its offsets acknowledged after it is published."
        ),
    )
    batch_linger_ms: float = field(
        default=2.0,
        metadata=_doc(
            "How long the enrich agent waits, once per batch, for more articles when none "
            "is queued (ms): the records of one fetch reach it over a few turns of the event "
            "loop, and one batch of them costs less than several (0: no wait)."
        ),
    )
    stream_buffer_maxsize: int = field(
        default=8192,
        metadata=_doc("Messages buffered per partition before the consumer pauses it."),
    )
    # Tagging and alerts
    country_min_salience: float = field(
        default=-1.0,
        metadata=_doc(
            "Countries below this salience are left out of events and routing "
            "(-1: the tagger's calibrated default)."
        ),
    )
    entity_backend: str = field(
        default="builtin", metadata=_doc("Entity extractor: builtin or spacy.")
    )
    spacy_model: str = field(
        default="en_core_web_sm", metadata=_doc("spaCy model for ENTITY_BACKEND=spacy.")
    )
    level_thresholds: tuple[float, ...] = field(
        default=(),
        metadata=_doc(
            "Minimum scores of low,elevated,high,critical, e.g. 10,30,55,80 "
            "(empty: the calibrated defaults)."
        ),
    )
    alert_min_level: str = field(
        default="elevated", metadata=_doc("Lowest escalation level that raises an article alert.")
    )
    alert_countries: tuple[str, ...] = field(
        default=(),
        metadata=_doc("Alpha-2 codes whose alerts also go to <ALERT_TOPIC_PREFIX><CODE>."),
    )
    spike_window_s: float = field(
        default=900.0, metadata=_doc("Size of the per-country spike window (seconds).")
    )
    spike_step_s: float = field(
        default=300.0,
        metadata=_doc(
            "Hop of the per-country spike window (seconds): its event-time bucket; the "
            "window is rounded to whole hops."
        ),
    )
    spike_baseline_windows: int = field(
        default=12, metadata=_doc("Past windows that form a country's baseline.")
    )
    spike_z: float = field(
        default=3.0,
        metadata=_doc("Z-score of the window's total escalation over its baseline that spikes."),
    )
    spike_ratio: float = field(
        default=2.0,
        metadata=_doc("The window's total escalation must also be this many times the baseline."),
    )
    spike_min_articles: int = field(
        default=5, metadata=_doc("Articles a country's window needs before it can spike.")
    )
    # HTTP ingestion (`brinkwatch ingest`)
    ingest_host: str = field(
        default="0.0.0.0", metadata=_doc("Bind address of the HTTP ingestion server.")
    )
    ingest_port: int = field(
        default=8088,
        metadata=_doc("Port of the HTTP ingestion server: POST /articles (0: any free port)."),
    )
    ingest_max_body_bytes: int = field(
        default=16 * 1024 * 1024,
        metadata=_doc("Largest request body the ingestion server reads (413 above it)."),
    )
    ingest_token: str = field(
        default="",
        repr=False,
        metadata=_doc(
            "When set, POST /articles needs the header `Authorization: Bearer <token>` "
            "(401 otherwise); shown masked by `brinkwatch config`.",
            secret=True,
        ),
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from *environ* (default: ``os.environ``), checking every value."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            name = ENV_PREFIX + f.name.upper()
            raw = env.get(name)
            if raw is None or raw == "":
                continue
            values[f.name] = _PARSERS[f.name](name, raw.strip())
        settings = cls(**values)
        settings._check()
        return settings

    def _check(self) -> None:
        if self.partitions < 1:
            raise ConfigError("BRINKWATCH_PARTITIONS", str(self.partitions), "must be >= 1")
        for name in ("producer_max_batch_bytes", "consumer_max_fetch_bytes", "max_poll_records",
                     "commit_every", "stream_buffer_maxsize", "consumer_fetch_max_wait_ms",
                     "consumer_fetch_min_bytes",
                     "batch_max", "ingest_max_body_bytes"):
            if getattr(self, name) < 1:
                raise ConfigError(ENV_PREFIX + name.upper(), str(getattr(self, name)),
                                  "must be >= 1")
        if not 0 <= self.ingest_port <= 65535:
            raise ConfigError("BRINKWATCH_INGEST_PORT", str(self.ingest_port), "not a port")
        if self.tagging_processes < -1:
            raise ConfigError(
                "BRINKWATCH_TAGGING_PROCESSES", str(self.tagging_processes),
                "must be >= 0, or -1 for one per CPU core",
            )
        if self.spike_window_s <= 0 or self.spike_step_s <= 0:
            raise ConfigError(
                "BRINKWATCH_SPIKE_WINDOW_S / BRINKWATCH_SPIKE_STEP_S",
                f"{self.spike_window_s} / {self.spike_step_s}",
                "both must be > 0",
            )
        if not 0 <= self.batch_linger_ms <= 1000:
            raise ConfigError(
                "BRINKWATCH_BATCH_LINGER_MS", str(self.batch_linger_ms), "must be 0-1000 (ms)"
            )
        if self.producer_linger_ms < 0 or self.commit_interval_s <= 0:
            raise ConfigError(
                "BRINKWATCH_PRODUCER_LINGER_MS / BRINKWATCH_COMMIT_INTERVAL_S",
                f"{self.producer_linger_ms} / {self.commit_interval_s}",
                "the linger must be >= 0 and the commit interval > 0",
            )
        if self.alert_min_level not in LEVELS:
            raise ConfigError(
                "BRINKWATCH_ALERT_MIN_LEVEL", self.alert_min_level, f"must be one of {LEVELS}"
            )
        if self.entity_backend not in ("builtin", "spacy"):
            raise ConfigError(
                "BRINKWATCH_ENTITY_BACKEND", self.entity_backend, "must be builtin or spacy"
            )
        if self.level_thresholds and (
            len(self.level_thresholds) != 4
            or list(self.level_thresholds) != sorted(self.level_thresholds)
        ):
            raise ConfigError(
                "BRINKWATCH_LEVEL_THRESHOLDS",
                ",".join(map(str, self.level_thresholds)),
                "needs four increasing numbers: low,elevated,high,critical",
            )

    @property
    def tagging_process_count(self) -> int:
        """The number of tagging processes, -1 resolved to the cores this process may run on."""
        if self.tagging_processes >= 0:
            return self.tagging_processes
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except AttributeError:  # not on Linux
            return max(1, os.cpu_count() or 1)

    @property
    def thresholds(self) -> tuple[float, float, float, float] | None:
        """The level thresholds (low, elevated, high, critical), or None for the defaults."""
        t = self.level_thresholds
        return (t[0], t[1], t[2], t[3]) if t else None

    @property
    def topics(self) -> dict[str, str]:
        """Every topic the project creates up front, by role."""
        topics = {
            "articles": self.topic_articles,
            "enriched": self.topic_enriched,
            "alerts": self.topic_alerts,
            "deadletter": self.topic_deadletter,
            "country_scores": self.topic_country_scores,
        }
        for code in self.alert_countries:
            topics[f"alerts.{code}"] = self.alert_topic_prefix + code
        return topics

    def namespaced(self, prefix: str) -> Settings:
        """Return a copy whose app id and topics all start with *prefix*: an isolated set."""
        return dataclasses.replace(
            self,
            app_id=prefix,
            topic_articles=f"{prefix}.articles",
            topic_enriched=f"{prefix}.enriched",
            topic_alerts=f"{prefix}.alerts",
            topic_deadletter=f"{prefix}.deadletter",
            topic_country_scores=f"{prefix}.country-scores",
            alert_topic_prefix=f"{prefix}.alerts.country.",
        )

    def as_env(self) -> dict[str, str]:
        """Return the settings as environment variables (to hand to a child process)."""
        out: dict[str, str] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, tuple):
                value = ",".join(str(v) for v in value)
            out[ENV_PREFIX + f.name.upper()] = str(value)
        return out

    def describe(self) -> list[tuple[str, str, str]]:
        """Return ``(variable, effective value, description)`` for every setting.

        A secret's value is shown as ``***`` when it is set, so the output can be shared.
        """
        env = self.as_env()
        out = []
        for f in dataclasses.fields(self):
            name = ENV_PREFIX + f.name.upper()
            value = env[name]
            if f.metadata["secret"] and value:
                value = "***"
            out.append((name, value, f.metadata["doc"]))
        return out


def _int(name: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(name, raw, "not an integer") from None


def _float(name: str, raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(name, raw, "not a number") from None


def _str(name: str, raw: str) -> str:
    return raw


def _floats(name: str, raw: str) -> tuple[float, ...]:
    return tuple(_float(name, part) for part in raw.split(",") if part.strip())


def _codes(name: str, raw: str) -> tuple[str, ...]:
    codes = tuple(part.strip().upper() for part in raw.split(",") if part.strip())
    for code in codes:
        if not _ALPHA2.match(code):
            raise ConfigError(name, raw, f"{code!r} is not an ISO 3166-1 alpha-2 code")
    return codes


def _parser_for(f: dataclasses.Field[Any]) -> Callable[[str, str], Any]:
    if f.name == "alert_countries":
        return _codes
    if f.name == "level_thresholds":
        return _floats
    return {"int": _int, "float": _float, "str": _str}[str(f.type)]


_PARSERS: dict[str, Callable[[str, str], Any]] = {
    f.name: _parser_for(f) for f in dataclasses.fields(Settings)
}

#: Every environment variable that :class:`Settings` reads.
ENV_VARS: frozenset[str] = frozenset(
    ENV_PREFIX + f.name.upper() for f in dataclasses.fields(Settings)
)
