"""Outbox partitioning: the producer's own choice for every key, read from its lists once."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner

from pipeline.outbox import Outbox


class _Metadata:
    """The two look-ups the producer's ``_partition`` makes, counted."""

    def __init__(self, partitions: int) -> None:
        self.partitions = set(range(partitions))
        self.reads = 0

    def partitions_for_topic(self, topic: str) -> set[int]:
        self.reads += 1
        return self.partitions

    def available_partitions_for_topic(self, topic: str) -> set[int]:
        self.reads += 1
        return self.partitions


class _Producer:
    """Just enough of an ``AIOKafkaProducer`` for partitioning: its metadata and partitioner."""

    def __init__(self, partitions: int) -> None:
        self._metadata = _Metadata(partitions)
        self._partitioner = DefaultPartitioner()

    def _partition(self, *args: Any) -> int:
        partition: int = AIOKafkaProducer._partition(self, *args)  # type: ignore[arg-type]
        return partition


def test_each_key_goes_where_the_producer_would_send_it() -> None:
    """Unique and repeated keys, two topics: the outbox's partition is the producer's."""
    producer = _Producer(6)
    outbox = Outbox(producer)
    keys = [f"article-{i}".encode() for i in range(200)] + [b"RU", b"UA", b"RU", b"IL"] * 20
    for topic in ("news.enriched", "news.alerts"):
        for key in keys:
            expected = producer._partition(topic, None, key, b"v", key, b"v")
            assert outbox._partition(topic, key, b"v") == expected, (topic, key)


def test_the_lists_are_read_once_per_topic_and_a_key_is_hashed_once() -> None:
    """The metadata is read once per topic per batch; flushing starts a new batch."""
    producer = _Producer(4)
    metadata = producer._metadata
    outbox = Outbox(producer)
    for _ in range(3):
        outbox._partition("news.alerts", b"RU", b"v")
        outbox._partition("news.alerts", b"UA", b"v")
    assert metadata.reads == 2  # one topic: its two lists, once
    assert outbox._partition("news.alerts", None, b"v") in range(4)  # unkeyed: random, uncached
    metadata.partitions = set(range(8))  # the topic grew between two batches
    asyncio.run(outbox.flush())  # nothing gathered: it only ends the batch
    reads = metadata.reads
    key = next(k for k in (f"k{i}".encode() for i in range(100))
               if producer._partition("news.alerts", None, k, b"v", k, b"v") >= 4)
    assert outbox._partition("news.alerts", key, b"v") >= 4  # read again after the flush
    assert metadata.reads > reads
