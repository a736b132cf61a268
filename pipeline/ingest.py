"""The HTTP front door: ``POST /articles`` puts articles on the articles topic.

``brinkwatch ingest`` runs :class:`IngestServer`, for wires and tools that push
rather than being polled. A request body is one article as JSON, a JSON array of
them, JSON lines, or an RSS/Atom document; its ``Content-Type`` says which
(``application/json``, ``application/x-ndjson``, ``application/rss+xml``,
``application/atom+xml``, ``text/plain`` for one article as title line + body),
and a body without one is sniffed. Every record is checked against the article
schema, exactly as ``brinkwatch feed`` checks a file.

The answer waits until the broker has acknowledged every accepted record, so a
``202`` means the articles are on Kafka:

* ``202``: every record accepted; the body lists their ids.
* ``422``: some or all records were rejected; the body gives each one's line
  (1-based, ``null`` for a whole-body error) and reason, and lists the ids of
  the records that were accepted and published from the same request. Nothing
  is dropped silently: the sender learns exactly what did not go in.
* ``400`` the body is empty; ``401`` a token is configured and the request does
  not carry it; ``404``/``405`` wrong path or method; ``411`` no Content-Length;
  ``413`` a body over ``BRINKWATCH_INGEST_MAX_BODY_BYTES``; ``415`` a media type
  the server does not read; ``503`` the broker did not acknowledge (retry: the
  worker drops duplicates by article id).

``GET /healthz`` answers 200 while the process lives; ``GET /metrics`` serves
:class:`~pipeline.metrics.IngestMetrics`.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from prometheus_client.exposition import choose_encoder

from pipeline.errors import BrokerError
from pipeline.metrics import IngestMetrics, serve_in_thread, stop_serving
from pipeline.serde import dumps
from pipeline.settings import Settings
from pipeline.sources import Record, format_of, media_format, parse_document

__all__ = ["ACK_TIMEOUT_S", "IngestResult", "IngestServer", "publish_records"]

#: How long a request waits for the broker to acknowledge its records (seconds).
ACK_TIMEOUT_S = 30.0
#: A body sent as bytes with no declared format is sniffed (see :func:`format_of`).
_SNIFFED = "application/octet-stream"


@dataclass
class IngestResult:
    """What became of one request's records: ids published, records rejected and why."""

    accepted: list[str] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    broker_error: str | None = None

    def status(self) -> HTTPStatus:
        """The HTTP status that answers the request."""
        if self.broker_error is not None:
            return HTTPStatus.SERVICE_UNAVAILABLE
        if self.rejected:
            return HTTPStatus.UNPROCESSABLE_ENTITY
        return HTTPStatus.ACCEPTED

    def to_dict(self) -> dict[str, Any]:
        """The JSON body of the answer."""
        out: dict[str, Any] = {"accepted": len(self.accepted), "ids": self.accepted,
                               "rejected": self.rejected}
        if self.broker_error is not None:
            out["error"] = self.broker_error
        return out


def publish_records(
    producer: Any, topic: str, records: Iterable[Record], *, timeout: float = ACK_TIMEOUT_S
) -> IngestResult:
    """Send the good *records* to *topic* keyed by article id; wait for the broker's acks.

    Bad records are listed with their line and reason. If the broker fails to
    acknowledge any record, ``broker_error`` says why and ``accepted`` holds only
    the acknowledged ones.
    """
    result = IngestResult()
    pending: list[tuple[str, Any]] = []
    for rec in records:
        if rec.error is not None:
            result.rejected.append({"line": rec.error.line, "error": rec.error.reason})
            continue
        assert rec.article is not None
        art = rec.article
        try:
            fut = producer.send(topic, key=art.id.encode(), value=dumps(art.to_dict()))
        except Exception as exc:  # a full buffer or a closed producer: the caller retries
            result.broker_error = f"broker refused the record: {exc}"
            break
        pending.append((art.id, fut))
    producer.flush(timeout=timeout)
    for art_id, fut in pending:
        try:
            fut.get(timeout=timeout)
        except Exception as exc:
            result.broker_error = f"broker did not acknowledge: {exc}"
            continue
        result.accepted.append(art_id)
    return result


class IngestServer:
    """Serve ``POST /articles``, ``GET /healthz`` and ``GET /metrics`` from a daemon thread.

    *producer* is a kafka-python ``KafkaProducer`` (thread-safe; one for every
    request); None makes one from *settings* at :meth:`start`. ``port=None``
    takes ``settings.ingest_port`` (0: an ephemeral port; :attr:`port` is the
    bound one after :meth:`start`).
    """

    port: int

    def __init__(
        self,
        settings: Settings,
        *,
        producer: Any = None,
        metrics: IngestMetrics | None = None,
        host: str | None = None,
        port: int | None = None,
    ) -> None:
        """Prepare the server; nothing is bound or connected until :meth:`start`."""
        self.settings = settings
        self.metrics = metrics if metrics is not None else IngestMetrics()
        self.host = settings.ingest_host if host is None else host
        self.port = settings.ingest_port if port is None else port
        self._producer = producer
        self._own_producer = producer is None
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def producer(self) -> Any:
        """The Kafka producer requests publish with (after :meth:`start`)."""
        return self._producer

    def start(self) -> None:
        """Connect the producer (if none was given), bind the port and serve in a thread."""
        if self._server is not None:
            raise RuntimeError("IngestServer already started")
        if self._producer is None:
            from pipeline.clients import make_producer

            self._producer = make_producer(self.settings.bootstrap_servers)
        self._server, self._thread = serve_in_thread(
            self.host, self.port, _make_handler(self), "brinkwatch-ingest"
        )
        self.port = int(self._server.server_address[1])

    def close(self) -> None:
        """Stop serving, flush and close a producer the server made (safe to call twice)."""
        server, thread = self._server, self._thread
        self._server, self._thread = None, None
        stop_serving(server, thread)
        if self._own_producer and self._producer is not None:
            producer, self._producer = self._producer, None
            try:
                producer.close(timeout=10)
            except Exception as exc:
                raise BrokerError(f"closing the ingestion producer: {exc}") from exc

    def __enter__(self) -> IngestServer:
        """Start the server (context-manager form)."""
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the server."""
        self.close()

    def authorised(self, header: str | None) -> bool:
        """True when no token is configured, or *header* is ``Bearer <the token>``."""
        token = self.settings.ingest_token
        if not token:
            return True
        scheme, _, given = (header or "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token)

    def ingest(self, body: bytes, media_type: str | None) -> IngestResult:
        """Check and publish the records of one request body."""
        fmt = format_of("<request>", media_type or _SNIFFED, body)
        result = publish_records(
            self._producer, self.settings.topic_articles,
            parse_document("<request>", body, fmt),
        )
        self.metrics.records.labels(result="accepted").inc(len(result.accepted))
        self.metrics.records.labels(result="rejected").inc(len(result.rejected))
        return result


def _make_handler(owner: IngestServer) -> type[BaseHTTPRequestHandler]:
    """Build the request handler class bound to ``owner``."""

    class Handler(BaseHTTPRequestHandler):
        """POST /articles; GET /healthz and /metrics; anything else is 404 or 405."""

        server_version = "brinkwatch-ingest"
        protocol_version = "HTTP/1.1"  # keep-alive: a wire client reuses its connection
        timeout = 60  # seconds a connection may sit idle or trickle its body: no hung threads

        def do_GET(self) -> None:
            """Serve /healthz and /metrics."""
            path = urlsplit(self.path).path
            if path == "/healthz":
                self._send(HTTPStatus.OK, b"ok\n", "text/plain; charset=utf-8")
            elif path == "/metrics":
                encoder, content_type = choose_encoder(self.headers.get("Accept", ""))
                self._send(HTTPStatus.OK, encoder(owner.metrics.registry), content_type)
            elif path == "/articles":
                self._error(HTTPStatus.METHOD_NOT_ALLOWED, "POST articles to /articles",
                            count=False, allow="POST")
            else:
                self._error(HTTPStatus.NOT_FOUND, "try POST /articles, /healthz or /metrics",
                            count=False)

        def do_POST(self) -> None:
            """Check and publish the articles in the body of POST /articles."""
            started = time.perf_counter()
            try:
                self._post()
            finally:
                owner.metrics.request_seconds.observe(time.perf_counter() - started)

        def _post(self) -> None:
            if urlsplit(self.path).path != "/articles":
                self._drain()
                return self._error(HTTPStatus.NOT_FOUND, "POST articles to /articles")
            if not owner.authorised(self.headers.get("Authorization")):
                self._drain()
                return self._error(HTTPStatus.UNAUTHORIZED, "needs Authorization: Bearer <token>",
                                   authenticate='Bearer realm="brinkwatch"')
            length_header = self.headers.get("Content-Length")
            if length_header is None or not length_header.strip().isdigit():
                self.close_connection = True
                return self._error(HTTPStatus.LENGTH_REQUIRED, "send a Content-Length")
            length = int(length_header)
            limit = owner.settings.ingest_max_body_bytes
            if length > limit:
                self.close_connection = True  # the unread body would garble the next request
                return self._error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                                   f"body of {length} bytes is over the limit of {limit}")
            body = self.rfile.read(length)
            media = self.headers.get("Content-Type")
            if media and media_format(media) is None and not media.lower().startswith(_SNIFFED):
                return self._error(
                    HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                    f"cannot read {media}: send JSON, JSON lines, RSS/Atom or text/plain",
                )
            if not body.strip():
                return self._error(HTTPStatus.BAD_REQUEST, "empty body")
            result = owner.ingest(body, media)
            status = result.status()
            owner.metrics.requests.labels(code=str(int(status))).inc()
            self._send(status, dumps(result.to_dict()) + b"\n", "application/json")
            return None

        def _drain(self) -> None:
            """Read (and drop) a small body, so the connection stays usable; else close it."""
            length = self.headers.get("Content-Length", "0").strip()
            if length.isdigit() and int(length) <= 65536:
                self.rfile.read(int(length))
            else:
                self.close_connection = True

        def _error(self, status: HTTPStatus, message: str, *, count: bool = True,
                   allow: str | None = None, authenticate: str | None = None) -> None:
            if count:
                owner.metrics.requests.labels(code=str(int(status))).inc()
            headers = {"Allow": allow, "WWW-Authenticate": authenticate}
            self._send(status, dumps({"error": message}) + b"\n", "application/json",
                       {k: v for k, v in headers.items() if v})

        def _send(self, status: HTTPStatus, body: bytes, content_type: str,
                  headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Stay quiet: the metrics count requests; a log line each would drown the log."""

    return Handler
