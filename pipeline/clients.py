"""Plain Kafka clients (kafka-python) for the commands: a producer to feed, a reader to tail.

kafka-python checks record CRCs in pure Python unless the ``crc32c``
extension is installed, which makes it about 10x slower: it is a dependency.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pipeline.errors import BrokerError, DataError
from pipeline.serde import dumps, loads
from pipeline.sources import Record

__all__ = [
    "BOOTSTRAP_TIMEOUT_MS",
    "FeedReport",
    "feed_records",
    "make_admin",
    "make_producer",
    "read_topic",
]

#: How long a client waits for the first broker connection before giving up.
BOOTSTRAP_TIMEOUT_MS = 10_000


def make_admin(bootstrap_servers: str) -> Any:
    """Return a KafkaAdminClient, or raise BrokerError naming the unreachable address."""
    from kafka import KafkaAdminClient

    try:
        return KafkaAdminClient(
            bootstrap_servers=bootstrap_servers,
            request_timeout_ms=10_000,
            bootstrap_timeout_ms=BOOTSTRAP_TIMEOUT_MS,
        )
    except Exception as exc:
        raise BrokerError(f"cannot reach the broker at {bootstrap_servers}: {exc}") from exc


def make_producer(bootstrap_servers: str, **overrides: Any) -> Any:
    """Return a KafkaProducer tuned for throughput (batches, lz4-free, acks=1)."""
    from kafka import KafkaProducer

    config: dict[str, Any] = {
        "bootstrap_servers": bootstrap_servers,
        "acks": 1,
        "linger_ms": 5,
        "batch_size": 256 * 1024,
        "max_request_size": 4 * 1024 * 1024,
        "request_timeout_ms": 15_000,
        "bootstrap_timeout_ms": BOOTSTRAP_TIMEOUT_MS,
    }
    config.update(overrides)
    try:
        return KafkaProducer(**config)
    except Exception as exc:
        raise BrokerError(f"cannot reach the broker at {bootstrap_servers}: {exc}") from exc


@dataclass
class FeedReport:
    """What a feed did: ids sent, and the bad records with file, line and reason."""

    sent: list[str] = field(default_factory=list)
    errors: list[DataError] = field(default_factory=list)


def feed_records(producer: Any, topic: str, records: Iterable[Record]) -> FeedReport:
    """Publish every good record to *topic* keyed by article id; collect the bad ones."""
    report = FeedReport()
    futures = []
    for rec in records:
        if rec.error is not None:
            report.errors.append(rec.error)
            continue
        assert rec.article is not None
        art = rec.article
        futures.append(producer.send(topic, key=art.id.encode(), value=dumps(art.to_dict())))
        report.sent.append(art.id)
    producer.flush()
    for fut in futures:
        fut.get(timeout=30)
    return report


def _seek_to_true_end(consumer: Any, tps: list[Any], timeout: float = 5.0) -> None:
    """Position *consumer* at the real end of each of *tps*.

    Tansu answers ListOffsets(latest) with the offset after the first record of
    a partition's last batch, so ``seek_to_end`` alone would replay the rest of
    that batch (old records, printed as new). A fetch response carries the true
    high watermark on Tansu and Kafka alike: fetch once from just before the
    reported end, then seek to the larger of the two. Records seen meanwhile
    are old and dropped.
    """
    ends = consumer.end_offsets(tps)
    for tp in tps:
        consumer.seek(tp, max(ends[tp] - 1, 0))
    waiting = {tp for tp in tps if ends[tp] > 0}
    deadline = time.monotonic() + timeout
    while waiting and time.monotonic() < deadline:
        consumer.poll(timeout_ms=100)
        waiting = {tp for tp in waiting if consumer.highwater(tp) is None}
    for tp in tps:
        consumer.seek(tp, max(ends[tp], consumer.highwater(tp) or 0))


def read_topic(
    bootstrap_servers: str,
    topics: list[str],
    *,
    from_beginning: bool = False,
    timeout: float | None = None,
    poll_ms: int = 200,
    ticks: bool = False,
) -> Iterator[tuple[str, bytes | None, Any]]:
    """Yield ``(topic, key, decoded JSON value)`` from every partition of *topics*.

    Reads without a consumer group (no join delay, no committed offsets),
    from the end of each partition or from the beginning. Stops after
    *timeout* seconds (None: never). A value that is not JSON is yielded as bytes.
    With *ticks*, an empty poll yields ``("", None, None)`` so a caller can
    check its own deadlines while nothing arrives.
    """
    from kafka import KafkaConsumer, TopicPartition

    try:
        consumer = KafkaConsumer(
            bootstrap_servers=bootstrap_servers,
            enable_auto_commit=False,
            group_id=None,
            fetch_max_wait_ms=100,
            bootstrap_timeout_ms=BOOTSTRAP_TIMEOUT_MS,
        )
    except Exception as exc:
        raise BrokerError(f"cannot reach the broker at {bootstrap_servers}: {exc}") from exc
    try:
        tps = []
        for topic in topics:
            parts = consumer.partitions_for_topic(topic)
            if not parts:
                raise BrokerError(f"topic {topic!r} does not exist on {bootstrap_servers}")
            tps += [TopicPartition(topic, p) for p in sorted(parts)]
        consumer.assign(tps)
        if from_beginning:
            consumer.seek_to_beginning(*tps)
        else:
            _seek_to_true_end(consumer, tps)
        deadline = None if timeout is None else time.monotonic() + timeout
        while deadline is None or time.monotonic() < deadline:
            batch = consumer.poll(timeout_ms=poll_ms)
            if ticks and not batch:
                yield "", None, None
            for tp_records in batch.values():
                for msg in tp_records:
                    try:
                        value: Any = loads(msg.value) if msg.value else None
                    except ValueError:
                        value = msg.value
                    yield msg.topic, msg.key, value
    finally:
        consumer.close()
