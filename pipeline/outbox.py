"""Records gathered per topic-partition and handed to the producer as whole batches.

A worker publishes several records per article (enriched event, alerts,
country scores, table changelog). ``AIOKafkaProducer.send`` costs a metadata
check, a partitioner call, a future and several awaits per record; an
:class:`Outbox` appends each record to an aiokafka ``BatchBuilder`` for its
topic-partition and submits each builder once (``send_batch``), so the event
loop pays per batch what it paid per record. The records land in the same
producer's accumulator, so the offset commit that follows (it flushes the
producer first) still covers them.

Partitions are chosen by the producer's own partitioner (Kafka's murmur2 of
the key, as for ``send``), so keyed records land where ``send`` would put them.
An outbox lives for one batch: it reads a topic's partition lists from the
producer's metadata once, and asks the partitioner once per key (alerts and
country scores repeat their country keys within a batch).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

__all__ = ["Outbox"]

log = logging.getLogger(__name__)


def _log_failure(topic: str, partition: int, future: asyncio.Future[Any]) -> None:
    if future.cancelled():
        return
    exc = future.exception()
    if exc is not None:
        log.error("producing a batch to %s[%d] failed: %r", topic, partition, exc)


class Outbox:
    """A batch of outgoing records for one aiokafka producer; :meth:`flush` submits it.

    Not thread-safe; one outbox per unit of work (a batch of articles). Empty
    after each :meth:`flush`, so it can be reused.
    """

    def __init__(self, producer: Any) -> None:
        """Gather records for *producer* (an ``aiokafka.AIOKafkaProducer``)."""
        self.producer = producer
        self._builders: dict[tuple[str, int], Any] = {}
        self._known_topics: set[str] = set()
        self._ready: list[tuple[str, int, Any]] = []  # full builders waiting for flush
        # topic -> (all partitions, available ones), as the producer's _partition lists them.
        self._partition_lists: dict[str, tuple[list[int], list[int]]] = {}
        self._key_partitions: dict[tuple[str, bytes], int] = {}
        self.records = 0

    async def add(
        self,
        topic: str,
        key: bytes | None,
        value: bytes,
        *,
        partition: int | None = None,
        timestamp: float | None = None,
    ) -> None:
        """Append one record (``timestamp`` in seconds; None: now)."""
        producer = self.producer
        if topic not in self._known_topics:  # the partitioner needs the topic's metadata
            await producer.client._wait_on_metadata(topic)
            self._known_topics.add(topic)
        if partition is None:
            partition = self._partition(topic, key, value)
        tp = (topic, partition)
        builder = self._builders.get(tp)
        if builder is None:
            builder = self._builders[tp] = producer.create_batch()
        ts_ms = int(timestamp * 1000) if timestamp is not None else None
        if builder.append(key=key, value=value, timestamp=ts_ms) is None:
            # Full (the producer's batch size): park it and start another.
            self._ready.append((topic, partition, builder))
            builder = self._builders[tp] = producer.create_batch()
            if builder.append(key=key, value=value, timestamp=ts_ms) is None:
                raise ValueError(f"a record of {len(value)} bytes does not fit in a batch")
        self.records += 1

    def _partition(self, topic: str, key: bytes | None, value: bytes) -> int:
        """Return the partition the producer's partitioner gives *key* (see the module doc)."""
        producer = self.producer
        if key is None:  # a random partition: nothing to remember
            partition: int = producer._partition(topic, None, key, value, key, value)
            return partition
        known = self._key_partitions.get((topic, key))
        if known is not None:
            return known
        lists = self._partition_lists.get(topic)
        if lists is None:
            metadata = producer._metadata
            lists = self._partition_lists[topic] = (
                list(metadata.partitions_for_topic(topic)),
                list(metadata.available_partitions_for_topic(topic)),
            )
        partition = self._key_partitions[(topic, key)] = producer._partitioner(key, *lists)
        return partition

    async def flush(self) -> None:
        """Hand every gathered batch to the producer (delivery failures are logged)."""
        batches = self._ready + [(t, p, b) for (t, p), b in self._builders.items()]
        self._ready = []
        self._builders = {}
        self._partition_lists = {}
        self._key_partitions = {}
        self.records = 0
        for topic, partition, builder in batches:
            builder.close()  # ours alone: the producer's send() must not add to it
            future = await self.producer.send_batch(builder, topic, partition=partition)
            future.add_done_callback(
                lambda f, t=topic, p=partition: _log_failure(t, p, f)
            )
