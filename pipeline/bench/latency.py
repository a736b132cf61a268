"""End-to-end latency at a fixed offered load: produce time to enriched-event arrival.

One asyncio loop in this process produces articles to the input topic at a
steady *rate* (every 5 ms, the messages due so far) and consumes the
enriched topic (assigned partitions, from their end, no group). An
article's latency is the time from the moment it was handed to the producer
to the moment its enriched event (same key) came out of a consumer's fetch:
it includes the producer's linger, the broker twice, the worker's queueing
and processing, and the consumer's fetch. Articles sent during the warm-up
are left out of the percentiles.

Each latency is also split in three at two times the event carries (one
clock: the worker runs on this machine): ``processed_at`` (its article's
tagging done) and the record's own timestamp (the worker's producer took it):

* ``to_tagged``: sent → tagged (producer, broker, the worker's fetch, its
  queue and batch, the tagging);
* ``to_published``: tagged → handed to the worker's producer (the rest of
  its batch, the way back from the tagging process, the outbox);
* ``to_consumer``: handed → seen here (linger, broker, this consumer's fetch).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from pipeline.bench.kafka import ClientConfig
from pipeline.model import parse_time
from pipeline.serde import loads

__all__ = ["STAGES", "LatencyRun", "run_latency"]

#: The parts of an article's latency, in order (see the module doc).
STAGES = ("to_tagged", "to_published", "to_consumer")


@dataclass
class LatencyRun:
    """What a latency run measured."""

    offered_per_s: float
    sent: int = 0
    received: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # seconds, after the warm-up
    #: Each of :data:`STAGES` → its part of every measured latency, in seconds.
    stages: dict[str, list[float]] = field(
        default_factory=lambda: {stage: [] for stage in STAGES}
    )

    @property
    def achieved_per_s(self) -> float:
        """Return the rate the producer actually kept (messages per second)."""
        return self.sent / self.seconds if self.seconds > 0 else 0.0


async def _run(
    bootstrap_servers: str,
    source: str,
    sink: str,
    items: Sequence[tuple[bytes, bytes]],
    rate: float,
    warmup: float,
    timeout: float,
    cfg: ClientConfig,
) -> LatencyRun:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

    run = LatencyRun(offered_per_s=rate)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        group_id=None,
        enable_auto_commit=False,
        fetch_max_wait_ms=cfg.consumer.get("fetch_max_wait_ms", 50),  # the worker's own
        max_partition_fetch_bytes=cfg.consumer.get("max_partition_fetch_bytes", 1 << 20),
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, **cfg.producer)
    await consumer.start()
    await producer.start()
    sent_at: dict[bytes, float] = {}
    measured: set[bytes] = set()
    try:
        tps = [TopicPartition(sink, p) for p in sorted(consumer.partitions_for_topic(sink) or ())]
        consumer.assign(tps)
        await consumer.seek_to_end(*tps)
        for tp in tps:
            await consumer.position(tp)  # resolve "end" now, before the first send

        async def produce() -> None:
            start = time.monotonic()
            i = 0
            while i < len(items):
                due = min(len(items), int((time.monotonic() - start) * rate) + 1)
                while i < due:
                    key, value = items[i]
                    now = time.time()
                    sent_at[key] = now
                    if now - run_start >= warmup:
                        measured.add(key)
                    await producer.send(source, value, key=key)
                    i += 1
                await asyncio.sleep(0.005)
            run.sent = i
            run.seconds = time.monotonic() - start
            await producer.flush()

        run_start = time.time()
        producing = asyncio.ensure_future(produce())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=100)
            now = time.time()
            for records in batches.values():
                for rec in records:
                    key = rec.key
                    if key is None or key not in sent_at:
                        continue
                    run.received += 1
                    if key in measured:
                        sent = sent_at[key]
                        run.latencies.append(now - sent)
                        tagged = parse_time(loads(rec.value)["processed_at"])
                        published = rec.timestamp / 1000.0
                        run.stages["to_tagged"].append(tagged - sent)
                        run.stages["to_published"].append(published - tagged)
                        run.stages["to_consumer"].append(now - published)
            if producing.done() and run.received >= len(items):
                break
        if not producing.done():
            producing.cancel()
        await asyncio.gather(producing, return_exceptions=True)
        return run
    finally:
        await producer.stop()
        await consumer.stop()


def run_latency(
    bootstrap_servers: str,
    source: str,
    sink: str,
    items: Sequence[tuple[bytes, bytes]],
    *,
    rate: float,
    cfg: ClientConfig,
    warmup: float = 1.0,
    timeout: float = 120.0,
) -> LatencyRun:
    """Offer *items* (key, value) to *source* at *rate* per second; time their events on *sink*.

    Every key must be new to the worker (its dedup window would drop a repeat).
    """
    if rate <= 0:
        raise ValueError("rate must be positive")
    return asyncio.run(_run(bootstrap_servers, source, sink, items, rate, warmup, timeout, cfg))
