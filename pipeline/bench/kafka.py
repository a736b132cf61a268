"""Kafka plumbing of the benchmark: client settings, preloading, and reading the results.

Every throughput figure is measured the same way, from the output topic's
record timestamps: each stage (raw loop, Faust passthrough, Brinkwatch
worker) has its own output topic, written by one producer that stamps each
record when it is handed to the producer (``CreateTime``). The first
output record's timestamp marks when the stage had consumed and processed
its first input; the last one, when it produced its last output. The rate is
``(count - 1) / (last - first)``: start-up, group joins and the first fetch
are left out, and the bench's own reading never disturbs the stage.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pipeline.settings import Settings
from pipeline.topics import TopicSpec

__all__ = [
    "ClientConfig",
    "OutputSpan",
    "TopicProbe",
    "client_config",
    "create_fresh_topics",
    "preload",
]


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """aiokafka consumer and producer settings equal to what the Faust app uses."""

    consumer: dict[str, Any] = field(default_factory=dict)
    producer: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        """Return the settings as one flat dict (for the report's ``config``)."""
        return {
            **{f"consumer.{k}": v for k, v in sorted(self.consumer.items())},
            **{f"producer.{k}": v for k, v in sorted(self.producer.items())},
        }


def client_config(settings: Settings) -> ClientConfig:
    """Return the client settings Faust derives from :func:`pipeline.app.faust_settings`.

    The Faust app is built (not started) so that its defaults are filled in
    exactly as the worker sees them.
    """
    import faust

    from pipeline.app import faust_settings
    from pipeline.transport import url_int

    conf = faust.App("bench-conf", **faust_settings(settings)).conf
    urls = list(conf.broker_consumer)
    wait = url_int(urls, "fetch_max_wait_ms")
    least = url_int(urls, "fetch_min_bytes")
    consumer = {
        "max_partition_fetch_bytes": conf.consumer_max_fetch_size,
        "fetch_max_wait_ms": 1500 if wait is None else wait,  # Faust's own is fixed at 1500
        "fetch_min_bytes": 1 if least is None else least,  # aiokafka's default
        "max_poll_records": conf.broker_max_poll_records,
        "check_crcs": conf.broker_check_crcs,
    }
    producer = {
        "acks": conf.producer_acks if conf.producer_acks != -1 else "all",
        "linger_ms": round(conf.producer_linger * 1000),
        "max_batch_size": conf.producer_max_batch_size,
        "max_request_size": conf.producer_max_request_size,
        "compression_type": conf.producer_compression_type,
    }
    return ClientConfig(consumer, producer)


def create_fresh_topics(bootstrap_servers: str, specs: Sequence[TopicSpec]) -> None:
    """Create every topic of *specs* in one request (they must not exist yet).

    The benchmark names its topics after its run id, so they are always new;
    creating them up front, with the configured partition count, keeps the
    broker from auto-creating them with its own (see :mod:`pipeline.topics`).
    """
    from kafka import KafkaAdminClient
    from kafka.admin import NewTopic

    admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=10_000)
    try:
        admin.create_topics(
            [NewTopic(s.name, s.partitions, s.replication, topic_configs=dict(s.configs))
             for s in specs]
        )
    finally:
        admin.close()


def preload(
    bootstrap_servers: str,
    topic: str,
    items: Sequence[tuple[bytes, bytes]],
    producer: dict[str, Any] | None = None,
) -> float:
    """Publish ``(key, value)`` *items* to *topic*, wait for every ack; return the seconds taken."""
    from aiokafka import AIOKafkaProducer

    config = {"acks": 1, "linger_ms": 5, "max_batch_size": 1 << 20, "max_request_size": 4 << 20}
    config.update(producer or {})

    async def run() -> None:
        prod = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, **config)
        await prod.start()
        try:
            futures = [await prod.send(topic, value, key=key) for key, value in items]
            await prod.flush()
            await asyncio.gather(*futures)
        finally:
            await prod.stop()

    t0 = time.perf_counter()
    asyncio.run(run())
    return time.perf_counter() - t0


@dataclass(frozen=True, slots=True)
class OutputSpan:
    """What a stage wrote: record count and the first and last record timestamps (seconds)."""

    count: int
    first: float
    last: float

    @property
    def seconds(self) -> float:
        """Return the time between the first and the last output record."""
        return self.last - self.first

    @property
    def rate(self) -> float:
        """Return records per second between the first and the last output record."""
        return (self.count - 1) / self.seconds if self.count > 1 and self.seconds > 0 else 0.0


class TopicProbe:
    """Counts a topic's records and reads its first and last timestamps (kafka-python, no group).

    Tansu answers ListOffsets(latest) with the base offset of a partition's
    last record batch, not its end, so the reported end offsets are only a
    lower bound: the exact end is found by reading the partition from there
    on (one batch at most), and a stage is deemed done when its count is
    reached.
    """

    def __init__(self, bootstrap_servers: str, topic: str) -> None:
        """Connect to *bootstrap_servers* and look up the partitions of *topic*."""
        from kafka import KafkaConsumer, TopicPartition

        self.topic = topic
        self._consumer = KafkaConsumer(
            bootstrap_servers=bootstrap_servers,
            group_id=None,
            enable_auto_commit=False,
            fetch_max_wait_ms=50,
            max_partition_fetch_bytes=4 << 20,
        )
        parts = self._consumer.partitions_for_topic(topic) or set()
        if not parts:
            self.close()
            raise RuntimeError(f"topic {topic!r} does not exist")
        self.partitions = [TopicPartition(topic, p) for p in sorted(parts)]
        self._consumer.assign(self.partitions)

    def reported(self) -> int:
        """Return the sum of the end offsets the broker reports (a lower bound on Tansu)."""
        ends = self._consumer.end_offsets(self.partitions)
        return int(sum(ends.values()))

    def _seek_alone(self, tp: Any, offset: int) -> Any:
        """Pause every other partition, seek *tp* to *offset*; return the consumer."""
        c = self._consumer
        for other in self.partitions:
            if other != tp:
                c.pause(other)
        c.resume(tp)
        c.seek(tp, offset)
        return c

    def _read_from(self, tp: Any, offset: int) -> tuple[int, float | None]:
        """Read *tp* from *offset* to its end; return (end offset, last record timestamp)."""
        c = self._seek_alone(tp, offset)
        end, last_ts = offset, None
        empty = 0
        while empty < 2:
            batch = c.poll(timeout_ms=100)
            records = batch.get(tp, [])
            if not records:
                empty += 1
                continue
            empty = 0
            end = records[-1].offset + 1
            last_ts = float(records[-1].timestamp) / 1000.0
        return end, last_ts

    def _first_timestamp(self, tp: Any, offset: int) -> float | None:
        c = self._seek_alone(tp, offset)
        for _ in range(20):
            records = c.poll(timeout_ms=100, max_records=1).get(tp, [])
            if records:
                return float(records[0].timestamp) / 1000.0
        return None

    def span(self) -> OutputSpan:
        """Return the exact count and the earliest first and latest last record timestamps."""
        c = self._consumer
        starts = c.beginning_offsets(self.partitions)
        ends = c.end_offsets(self.partitions)
        firsts: list[float] = []
        lasts: list[float] = []
        count = 0
        for tp in self.partitions:
            lo = starts[tp]
            end, last_ts = self._read_from(tp, max(lo, ends[tp] - 1))
            if last_ts is None:
                continue
            first_ts = self._first_timestamp(tp, lo)
            if first_ts is None:
                continue
            count += end - lo
            firsts.append(first_ts)
            lasts.append(last_ts)
        if not firsts:
            return OutputSpan(0, 0.0, 0.0)
        return OutputSpan(count, min(firsts), max(lasts))

    def wait_for(
        self,
        n: int,
        timeout: float,
        *,
        alive: Callable[[], bool] | None = None,
        interval: float = 0.2,
    ) -> OutputSpan:
        """Wait until the topic holds *n* records; return its span (short of *n* on timeout).

        The exact count is read only when the reported offsets stop moving
        (the stage paused or finished), so the wait costs the stage no CPU.
        Stops early when ``alive()`` turns False (the stage's process died).
        """
        deadline = time.monotonic() + timeout
        before = -1
        while True:
            now = self.reported()
            if now == before or now >= n:
                span = self.span()
                if span.count >= n:
                    return span
            if time.monotonic() >= deadline or (alive is not None and not alive()):
                return self.span()
            before = now
            time.sleep(interval)

    def close(self) -> None:
        """Close the consumer."""
        self._consumer.close()
