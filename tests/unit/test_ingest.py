"""The HTTP front door's contract: statuses, line-numbered rejections, token, limits, metrics.

The producer here is an in-memory recorder, so these tests pin the HTTP layer;
tests/integration/test_ingest.py sends through a real broker.
"""

from __future__ import annotations

import dataclasses
import http.client
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from pipeline.ingest import IngestServer
from pipeline.metrics import IngestMetrics
from pipeline.settings import Settings


class _Ack:
    """What KafkaProducer.send returns: get() gives the record's metadata or raises."""

    def __init__(self, error: Exception | None) -> None:
        self.error = error

    def get(self, timeout: float | None = None) -> None:
        if self.error is not None:
            raise self.error


class _Recorder:
    """Stands in for a KafkaProducer: records sends; can be told to fail the acks."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, bytes]] = []
        self.fail: Exception | None = None

    def send(self, topic: str, key: bytes, value: bytes) -> _Ack:
        if self.fail is None:
            self.sent.append((topic, key, value))
        return _Ack(self.fail)

    def flush(self, timeout: float | None = None) -> None:
        pass


@pytest.fixture
def served() -> Iterator[tuple[IngestServer, _Recorder]]:
    """An ingestion server on a free port with a recording producer and a small body limit."""
    settings = dataclasses.replace(Settings(), ingest_max_body_bytes=4096, ingest_token="")
    producer = _Recorder()
    server = IngestServer(settings, producer=producer, host="127.0.0.1", port=0,
                          metrics=IngestMetrics(process_collectors=False))
    server.start()
    yield server, producer
    server.close()


def _post(server: IngestServer, body: bytes, headers: dict[str, str] | None = None,
          path: str = "/articles", method: str = "POST") -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, orjson.loads(data) if data.startswith(b"{") else data
    finally:
        conn.close()


def _count(server: IngestServer, name: str, **labels: str) -> float:
    value = server.metrics.registry.get_sample_value(name, labels)
    return value or 0.0


def test_json_lines_all_good_is_202_with_ids(served: tuple[IngestServer, _Recorder]) -> None:
    """Every good record is published keyed by its id, and the answer lists the ids."""
    server, producer = served
    body = b'{"id": "a1", "title": "A", "body": "x"}\n{"id": "a2", "title": "B", "body": "y"}\n'
    status, answer = _post(server, body, {"Content-Type": "application/x-ndjson"})
    assert status == 202
    assert answer == {"accepted": 2, "ids": ["a1", "a2"], "rejected": []}
    assert [(t, k) for t, k, _ in producer.sent] == [("news.articles", b"a1"),
                                                      ("news.articles", b"a2")]
    assert orjson.loads(producer.sent[0][2])["title"] == "A"
    assert _count(server, "brinkwatch_ingest_records_total", result="accepted") == 2
    assert _count(server, "brinkwatch_ingest_requests_total", code="202") == 1


def test_bad_lines_are_422_with_line_and_reason_and_good_ones_still_go(
    served: tuple[IngestServer, _Recorder]
) -> None:
    """A bad line is named with its reason; the good lines of the same body are published."""
    server, producer = served
    body = b'{"id": "a1", "title": "A", "body": "x"}\nnot json\n{"title": "no body"}\n'
    status, answer = _post(server, body, {"Content-Type": "application/json"})
    assert status == 422
    assert answer["ids"] == ["a1"] and len(producer.sent) == 1
    assert [r["line"] for r in answer["rejected"]] == [2, 3]
    assert answer["rejected"][0]["error"].startswith("not JSON")
    assert "body" in answer["rejected"][1]["error"]
    assert _count(server, "brinkwatch_ingest_records_total", result="rejected") == 2


def test_rss_and_plain_text_bodies(served: tuple[IngestServer, _Recorder]) -> None:
    """An RSS document gives one article per item; text/plain is one article (title line)."""
    server, producer = served
    rss = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>'
           b"<item><title>Troops mass</title><description>On the border.</description>"
           b"<guid>w-1</guid></item></channel></rss>")
    assert _post(server, rss, {"Content-Type": "application/rss+xml"})[1]["ids"] == ["w-1"]
    status, answer = _post(server, b"Quake hits Chile\nA strong earthquake.",
                           {"Content-Type": "text/plain; charset=utf-8"})
    assert status == 202 and answer["accepted"] == 1
    assert orjson.loads(producer.sent[-1][2])["title"] == "Quake hits Chile"


@pytest.mark.parametrize(
    ("body", "headers", "path", "method", "status"),
    [
        (b"", {}, "/articles", "POST", 400),
        (b"x" * 5000, {}, "/articles", "POST", 413),
        (b"\x89PNG", {"Content-Type": "image/png"}, "/articles", "POST", 415),
        (b"{}", {}, "/elsewhere", "POST", 404),
        (b"", {}, "/articles", "GET", 405),
    ],
)
def test_refusals(served: tuple[IngestServer, _Recorder], body: bytes,
                  headers: dict[str, str], path: str, method: str, status: int) -> None:
    """Empty, oversized, unreadable, misplaced and wrong-method requests are refused clearly."""
    server, producer = served
    got, answer = _post(server, body, headers, path, method)
    assert got == status
    assert isinstance(answer, dict) and answer["error"]
    assert producer.sent == []


def test_token_is_required_when_configured(served: tuple[IngestServer, _Recorder]) -> None:
    """With a token set, a request without the right bearer token is 401 and nothing is sent."""
    server, producer = served
    server.settings = dataclasses.replace(server.settings, ingest_token="s3cret")
    body = b'{"title": "A", "body": "x"}'
    assert _post(server, body)[0] == 401
    assert _post(server, body, {"Authorization": "Bearer wrong"})[0] == 401
    assert _post(server, body, {"Authorization": "Bearer s3cret"})[0] == 202
    assert len(producer.sent) == 1
    assert _count(server, "brinkwatch_ingest_requests_total", code="401") == 2


def test_broker_failure_is_503_and_says_why(served: tuple[IngestServer, _Recorder]) -> None:
    """When the broker does not acknowledge, the sender gets 503 and the reason: it can retry."""
    server, producer = served
    producer.fail = TimeoutError("no ack in 30 s")
    status, answer = _post(server, b'{"title": "A", "body": "x"}')
    assert status == 503
    assert answer["accepted"] == 0 and "no ack" in answer["error"]


def test_health_and_metrics_endpoints(served: tuple[IngestServer, _Recorder]) -> None:
    """/healthz answers ok; /metrics serves the ingestion metrics."""
    server, _ = served
    assert _post(server, b"", path="/healthz", method="GET") == (200, b"ok\n")
    status, text = _post(server, b"", path="/metrics", method="GET")
    assert status == 200 and b"brinkwatch_ingest_requests_total" in text


def test_the_token_is_masked_in_the_printed_configuration() -> None:
    """`brinkwatch config` never prints the ingestion token itself."""
    s = Settings.from_env({"BRINKWATCH_INGEST_TOKEN": "s3cret"})
    shown = dict((name, value) for name, value, _ in s.describe())
    assert shown["BRINKWATCH_INGEST_TOKEN"] == "***"
    assert "s3cret" not in repr(s)
    assert s.as_env()["BRINKWATCH_INGEST_TOKEN"] == "s3cret"  # child processes still get it
