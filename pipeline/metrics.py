"""Prometheus metrics of the Brinkwatch worker, and the small HTTP server that exposes them.

Every metric is built in one place (:class:`Metrics`) from one
``CollectorRegistry``, so a test gets a fresh, isolated set and the worker gets
one per process. Names follow the Prometheus conventions: the ``brinkwatch_``
prefix, ``_total`` on counters, the base unit (``_seconds``, ``_messages``) in
the name.

Label values are bounded so that a stream of articles can never blow up the
number of series: dead-letter reasons, alert kinds and levels and pipeline
stages come from fixed sets (every combination is created at start-up, so
dashboards show zeros instead of gaps), and a country label is an ISO 3166-1
alpha-2 code or ``"other"``.

:class:`MetricsServer` serves ``/metrics`` (the text exposition, or OpenMetrics
when asked for it), ``/healthz`` (200 while the process lives) and ``/readyz``
(200 while the ``ready`` callable says so, 503 otherwise) on one port, from a
daemon thread.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Final
from urllib.parse import urlsplit

import pycountry
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
)
from prometheus_client.exposition import choose_encoder
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

from pipeline.tagging.types import LEVELS

__all__ = [
    "ALERT_KINDS",
    "COUNTRY_CODES",
    "DEADLETTER_REASONS",
    "DEFAULT_PORT",
    "END_TO_END_BUCKETS",
    "ESCALATION_BUCKETS",
    "INGEST_CODES",
    "INGEST_RESULTS",
    "OTHER_COUNTRY",
    "STAGES",
    "STAGE_BUCKETS",
    "IngestMetrics",
    "Metrics",
    "MetricsServer",
    "country_label",
    "serve_in_thread",
    "stop_serving",
]

#: What became of a record sent to the ingestion server (the ``result`` label).
INGEST_RESULTS: Final[tuple[str, ...]] = ("accepted", "rejected")
#: HTTP status codes the ingestion server answers with (the ``code`` label).
INGEST_CODES: Final[tuple[str, ...]] = (
    "202", "400", "401", "404", "405", "411", "413", "415", "422", "503",
)

#: Port the worker serves its metrics on unless told otherwise.
DEFAULT_PORT: Final = 9108

#: Why an article went to the dead-letter topic (the ``reason`` label).
DEADLETTER_REASONS: Final[tuple[str, ...]] = (
    "not_utf8",
    "not_json",
    "empty",
    "too_large",
    "schema",
    "internal",
)

#: What raised an alert (the ``kind`` label): one article, or a spike of a country's score.
ALERT_KINDS: Final[tuple[str, ...]] = ("article", "spike")

#: Timed steps of the per-article pipeline (the ``stage`` label).
STAGES: Final[tuple[str, ...]] = ("decode", "tag", "publish")

#: Buckets of the 0..100 escalation score.
ESCALATION_BUCKETS: Final[tuple[float, ...]] = (0, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100)

#: Buckets of one pipeline stage, 50 µs to 5 s.
STAGE_BUCKETS: Final[tuple[float, ...]] = (
    0.00005, 0.0001, 0.00025, 0.0005,
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
    0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
)  # fmt: skip

#: Buckets of the end-to-end latency (received_at to published), 1 ms to 60 s.
END_TO_END_BUCKETS: Final[tuple[float, ...]] = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
    0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
)  # fmt: skip

#: Label under which a country code that is not ISO 3166-1 alpha-2 is counted.
OTHER_COUNTRY: Final = "other"

#: Every ISO 3166-1 alpha-2 code, read from pycountry once at import.
COUNTRY_CODES: Final[frozenset[str]] = frozenset(c.alpha_2 for c in pycountry.countries)


def country_label(code: str) -> str:
    """Return the ``country`` label for ``code``: the upper-cased alpha-2 code, or ``"other"``."""
    upper = code.upper()
    return upper if upper in COUNTRY_CODES else OTHER_COUNTRY


def _new_registry(
    registry: CollectorRegistry | None, process_collectors: bool
) -> CollectorRegistry:
    """Return *registry* (a new one when None), with the default collectors if asked."""
    reg = registry if registry is not None else CollectorRegistry()
    if process_collectors:
        ProcessCollector(registry=reg)
        PlatformCollector(registry=reg)
        GCCollector(registry=reg)
    return reg


def serve_in_thread(
    host: str, port: int, handler: type[BaseHTTPRequestHandler], name: str
) -> tuple[ThreadingHTTPServer, threading.Thread]:
    """Bind *host*:*port* (0: any free port) and serve *handler* from a daemon thread."""
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.2},
        name=f"{name}-{server.server_address[1]}",
        daemon=True,
    )
    thread.start()
    return server, thread


def stop_serving(server: ThreadingHTTPServer | None, thread: threading.Thread | None) -> None:
    """Stop a server from :func:`serve_in_thread` and free its port (None: nothing to do)."""
    if server is None:
        return
    server.shutdown()
    server.server_close()
    if thread is not None:
        thread.join(timeout=5)


class Metrics:
    """Every Brinkwatch metric, built in one place from one registry.

    ``registry`` None makes a fresh :class:`~prometheus_client.CollectorRegistry`;
    ``process_collectors`` adds the process, platform and GC collectors to it
    (the ones ``prometheus_client`` registers by default in its global registry).
    The invariant the worker keeps is
    ``received == enriched + deadlettered + deduplicated``.
    """

    registry: CollectorRegistry
    articles_received: Counter
    articles_enriched: Counter
    articles_deadlettered: Counter
    articles_deduplicated: Counter
    alerts: Counter
    escalation_score: Histogram
    country_articles: Counter
    country_escalation: Counter
    stage_seconds: Histogram
    end_to_end_latency: Histogram
    consumer_lag: Gauge
    ready: Gauge
    build_info: Info

    def __init__(
        self, registry: CollectorRegistry | None = None, *, process_collectors: bool = True
    ) -> None:
        """Create every metric in ``registry`` (a new one when None)."""
        self.registry = reg = _new_registry(registry, process_collectors)

        self.articles_received = Counter(
            "brinkwatch_articles_received_total",
            "Messages consumed from the articles topic.",
            registry=reg,
        )
        self.articles_enriched = Counter(
            "brinkwatch_articles_enriched_total",
            "Articles tagged and published to the enriched topic.",
            registry=reg,
        )
        self.articles_deadlettered = Counter(
            "brinkwatch_articles_deadlettered_total",
            "Messages sent to the dead-letter topic, by reason.",
            ["reason"],
            registry=reg,
        )
        self.articles_deduplicated = Counter(
            "brinkwatch_articles_deduplicated_total",
            "Articles dropped because an article with the same id was already processed.",
            registry=reg,
        )
        self.alerts = Counter(
            "brinkwatch_alerts_total",
            "Alerts published, by kind (article or spike) and escalation level.",
            ["kind", "level"],
            registry=reg,
        )
        self.escalation_score = Histogram(
            "brinkwatch_escalation_score",
            "Escalation score (0..100) of each enriched article.",
            buckets=ESCALATION_BUCKETS,
            registry=reg,
        )
        self.country_articles = Counter(
            "brinkwatch_country_articles_total",
            "Enriched articles that name a country (ISO 3166-1 alpha-2, or 'other').",
            ["country"],
            registry=reg,
        )
        self.country_escalation = Counter(
            "brinkwatch_country_escalation_score_total",
            "Sum of the escalation scores of the articles that name a country.",
            ["country"],
            registry=reg,
        )
        self.stage_seconds = Histogram(
            "brinkwatch_stage_duration_seconds",
            "Time spent in one stage of the per-article pipeline.",
            ["stage"],
            buckets=STAGE_BUCKETS,
            registry=reg,
        )
        self.end_to_end_latency = Histogram(
            "brinkwatch_end_to_end_latency_seconds",
            "Time from an article's received_at to the publication of its enriched event.",
            buckets=END_TO_END_BUCKETS,
            registry=reg,
        )
        self.consumer_lag = Gauge(
            "brinkwatch_consumer_lag_messages",
            "Messages between the worker's position and the end of each assigned partition.",
            ["topic", "partition"],
            registry=reg,
        )
        self.ready = Gauge(
            "brinkwatch_worker_ready",
            "1 when the worker is connected to Kafka and has partitions assigned, else 0.",
            registry=reg,
        )
        self.build_info = Info(
            "brinkwatch_build",
            "Version of the worker and of the data files it loaded.",
            registry=reg,
        )

        self._country_children: dict[str, tuple[Counter, Counter]] = {}

        # Create every bounded label combination now: the series exist (at 0)
        # from the first scrape, so rate() and the dashboards show zeros.
        for reason in DEADLETTER_REASONS:
            self.articles_deadlettered.labels(reason=reason)
        for kind in ALERT_KINDS:
            for level in LEVELS:
                self.alerts.labels(kind=kind, level=level)
        for stage in STAGES:
            self.stage_seconds.labels(stage=stage)

    def observe_article(self, countries: Iterable[str], score: float) -> None:
        """Record one enriched article: its escalation score and the countries it names.

        Each distinct country label is counted once per article; a code that
        is not ISO 3166-1 alpha-2 is counted as ``"other"``. ``score`` must be
        a finite number >= 0 (it is added to counters), else ``ValueError``.
        """
        if not math.isfinite(score) or score < 0:
            raise ValueError(f"escalation score must be finite and >= 0, got {score!r}")
        self.escalation_score.observe(score)
        children = self._country_children
        for label in {country_label(code) for code in countries}:
            pair = children.get(label)
            if pair is None:  # at most one per ISO code plus "other": bounded
                pair = children[label] = (
                    self.country_articles.labels(country=label),
                    self.country_escalation.labels(country=label),
                )
            pair[0].inc()
            pair[1].inc(score)

    def set_build_info(self, **versions: str) -> None:
        """Publish ``brinkwatch_build_info`` with one label per keyword (e.g. ``version``)."""
        self.build_info.info({key: str(value) for key, value in versions.items()})

    def set_lag(self, topic: str, partition: int, lag: int) -> None:
        """Set the consumer lag of one partition (negative values are reported as 0)."""
        self.consumer_lag.labels(topic=topic, partition=str(partition)).set(max(lag, 0))


class IngestMetrics:
    """The metrics of ``brinkwatch ingest`` (the HTTP front door), built from one registry.

    ``registry`` None makes a fresh :class:`~prometheus_client.CollectorRegistry`;
    ``process_collectors`` adds the process, platform and GC collectors to it.
    """

    registry: CollectorRegistry
    requests: Counter
    records: Counter
    request_seconds: Histogram

    def __init__(
        self, registry: CollectorRegistry | None = None, *, process_collectors: bool = True
    ) -> None:
        """Create every ingestion metric in ``registry`` (a new one when None)."""
        self.registry = reg = _new_registry(registry, process_collectors)
        self.requests = Counter(
            "brinkwatch_ingest_requests_total",
            "POST /articles requests answered, by HTTP status code.",
            ["code"],
            registry=reg,
        )
        self.records = Counter(
            "brinkwatch_ingest_records_total",
            "Records received over HTTP: accepted (published to the articles topic) or "
            "rejected (reported to the sender with line and reason).",
            ["result"],
            registry=reg,
        )
        self.request_seconds = Histogram(
            "brinkwatch_ingest_request_duration_seconds",
            "Time from a request's arrival to its answer (publication acknowledged).",
            buckets=STAGE_BUCKETS,
            registry=reg,
        )
        for code in INGEST_CODES:
            self.requests.labels(code=code)
        for result in INGEST_RESULTS:
            self.records.labels(result=result)


class MetricsServer:
    """Serve ``/metrics``, ``/healthz`` and ``/readyz`` for ``metrics`` on one port.

    ``port=0`` binds an ephemeral port; after :meth:`start`, :attr:`port` is
    the port actually bound. The server runs in a daemon thread, so it never
    keeps the process alive; :meth:`close` stops it and frees the port.
    """

    port: int

    def __init__(
        self,
        metrics: Metrics,
        *,
        host: str = "0.0.0.0",
        port: int = DEFAULT_PORT,
        ready: Callable[[], bool] = lambda: True,
    ) -> None:
        """Prepare a server for ``metrics`` on ``host:port``; nothing is bound until start()."""
        self.metrics = metrics
        self.host = host
        self.port = port
        self._ready = ready
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Bind the port and serve from a background daemon thread."""
        if self._server is not None:
            raise RuntimeError("MetricsServer already started")
        self._server, self._thread = serve_in_thread(
            self.host, self.port, _make_handler(self), "brinkwatch-metrics"
        )
        self.port = int(self._server.server_address[1])

    def close(self) -> None:
        """Stop serving and release the port (safe to call twice)."""
        server, thread = self._server, self._thread
        self._server, self._thread = None, None
        stop_serving(server, thread)

    def __enter__(self) -> MetricsServer:
        """Start the server (context-manager form)."""
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the server."""
        self.close()

    def is_ready(self) -> bool:
        """Ask the ``ready`` callable; an exception counts as not ready."""
        try:
            return bool(self._ready())
        except Exception:
            return False


def _make_handler(owner: MetricsServer) -> type[BaseHTTPRequestHandler]:
    """Build the request handler class bound to ``owner``."""

    class Handler(BaseHTTPRequestHandler):
        """Answer the three endpoints; anything else is 404."""

        server_version = "brinkwatch-metrics"

        def do_GET(self) -> None:
            """Serve one GET request."""
            self._respond(send_body=True)

        def do_HEAD(self) -> None:
            """Serve one HEAD request (headers only)."""
            self._respond(send_body=False)

        def _respond(self, *, send_body: bool) -> None:
            path = urlsplit(self.path).path
            if path == "/metrics":
                encoder, content_type = choose_encoder(self.headers.get("Accept", ""))
                status, body = HTTPStatus.OK, encoder(owner.metrics.registry)
            elif path == "/healthz":
                status, content_type, body = HTTPStatus.OK, "text/plain; charset=utf-8", b"ok\n"
            elif path == "/readyz":
                content_type = "text/plain; charset=utf-8"
                if owner.is_ready():
                    status, body = HTTPStatus.OK, b"ready\n"
                else:
                    status, body = HTTPStatus.SERVICE_UNAVAILABLE, b"not ready\n"
            else:
                status, content_type, body = (
                    HTTPStatus.NOT_FOUND,
                    "text/plain; charset=utf-8",
                    b"not found: try /metrics, /healthz or /readyz\n",
                )
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if send_body:
                self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Stay quiet: one log line per scrape would drown the worker's own log."""

    return Handler
