"""The ceiling: a raw aiokafka consume-and-produce loop that does no processing.

It reads every partition of the input topic (assigned, no group: there is
nothing to join) and hands each record, unchanged, to a producer writing the
output topic, with the same fetch and producer settings as the Faust app. No
Python pipeline on this broker and these clients can move records faster;
the Faust and Brinkwatch figures are read against it.
"""

from __future__ import annotations

import asyncio
import time

from pipeline.bench.kafka import ClientConfig

__all__ = ["run_ceiling"]


async def _loop(bootstrap_servers: str, source: str, sink: str, n: int, cfg: ClientConfig,
                timeout: float) -> int:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        group_id=None,
        enable_auto_commit=False,
        **cfg.consumer,
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, **cfg.producer)
    await consumer.start()
    await producer.start()
    try:
        parts = consumer.partitions_for_topic(source) or set()
        tps = [TopicPartition(source, p) for p in sorted(parts)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        moved = 0
        deadline = time.monotonic() + timeout
        send = producer.send
        while moved < n and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for rec in records:
                    await send(sink, rec.value, key=rec.key)
                moved += len(records)
        await producer.flush()
        return moved
    finally:
        await producer.stop()
        await consumer.stop()


def run_ceiling(
    bootstrap_servers: str, source: str, sink: str, n: int, cfg: ClientConfig, *,
    timeout: float = 120.0,
) -> int:
    """Copy the first *n* records of *source* to *sink*; return how many were moved.

    The rate is read afterwards from *sink*'s timestamps
    (:meth:`~pipeline.bench.kafka.TopicProbe.span`), like every other stage.
    """
    return asyncio.run(_loop(bootstrap_servers, source, sink, n, cfg, timeout))
