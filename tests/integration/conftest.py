"""Integration fixtures: a real embedded broker per session, fresh topics and workers per test."""

from __future__ import annotations

import dataclasses
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeline.broker import EmbeddedBroker, free_port
from pipeline.clients import make_producer, read_topic
from pipeline.runner import WorkerProcess
from pipeline.serde import dumps
from pipeline.settings import Settings
from pipeline.topics import create_topics

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBroker]:
    """A real Tansu broker on a free port for the whole session."""
    log = tmp_path_factory.mktemp("broker") / "broker.log"
    with EmbeddedBroker(log_path=log) as b:
        yield b


@pytest.fixture
def settings(broker: EmbeddedBroker, tmp_path: Path) -> Settings:
    """Settings with a fresh, already created topic set and app id for this test."""
    tag = uuid.uuid4().hex[:8]
    s = dataclasses.replace(
        Settings().namespaced(f"bw-{tag}"),
        bootstrap_servers=broker.bootstrap_servers,
        partitions=2,
        metrics_port=free_port(),
        data_dir=str(tmp_path / "worker"),
        log_level="INFO",
    )
    return s


def wait_ready(port: int, timeout: float = 60.0) -> None:
    """Wait until a worker's /readyz answers 200 (it has partitions assigned)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"worker on metrics port {port} not ready within {timeout}s")


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[Callable[[Settings], WorkerProcess]]:
    """Start workers for a settings object (topics are created first); stop them all after."""
    started: list[WorkerProcess] = []

    def start(s: Settings, *, ready: bool = True) -> WorkerProcess:
        create_topics(s)
        w = WorkerProcess(s, tmp_path / f"worker-{len(started)}.log")
        started.append(w)
        if ready:
            try:
                wait_ready(s.metrics_port)
            except TimeoutError:
                raise AssertionError(f"worker not ready; log:\n{w.log_tail(60)}") from None
        return w

    yield start
    for w in started:
        w.stop(timeout=10)


def produce(settings: Settings, items: list[tuple[bytes | None, bytes | None]], **kw: Any) -> None:
    """Publish raw (key, value) pairs to the articles topic and wait for the acks."""
    producer = make_producer(settings.bootstrap_servers)
    try:
        futs = [producer.send(settings.topic_articles, key=k, value=v, **kw) for k, v in items]
        producer.flush()
        for f in futs:
            f.get(timeout=30)
    finally:
        producer.close()


def article_bytes(**fields: Any) -> bytes:
    """Encode an article dict as the input message."""
    return dumps(fields)


def collect(
    settings: Settings,
    topic: str,
    until: Callable[[list[Any]], bool],
    timeout: float = 60.0,
) -> list[Any]:
    """Read *topic* from the beginning until ``until(messages)`` holds or the timeout passes."""
    got: list[Any] = []
    for _t, _k, value in read_topic(
        settings.bootstrap_servers, [topic], from_beginning=True, timeout=timeout, ticks=True
    ):
        if value is not None:
            got.append(value)
        if until(got):
            return got
    return got


def collect_keyed(
    settings: Settings, topic: str, until: Callable[[list[Any]], bool], timeout: float = 60.0
) -> list[tuple[bytes | None, Any]]:
    """Like :func:`collect`, keeping each message's key."""
    got: list[tuple[bytes | None, Any]] = []
    for _t, key, value in read_topic(
        settings.bootstrap_servers, [topic], from_beginning=True, timeout=timeout, ticks=True
    ):
        if value is not None:
            got.append((key, value))
        if until([v for _, v in got]):
            return got
    return got
