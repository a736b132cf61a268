"""The outbox on a real broker: keyed records land where the producer's send() puts them."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaProducer
from kafka import KafkaConsumer, TopicPartition
from kafka.partitioner.default import murmur2

from pipeline.outbox import Outbox
from pipeline.settings import Settings
from pipeline.topics import create_topics


def test_outbox_batches_land_on_the_key_partitions_in_order(settings: Settings) -> None:
    """Records keyed as send() would (murmur2), in order per partition; full batches roll over."""
    create_topics(settings)
    topic = settings.topic_enriched
    keys = [f"article-{i}".encode() for i in range(300)]

    async def produce() -> None:
        # A small batch size: the 300 records need several batches per partition.
        producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers,
                                    max_batch_size=16_384, acks=1)
        await producer.start()
        try:
            outbox = Outbox(producer)
            for i, key in enumerate(keys):
                value = b"x" * 200 + str(i).encode()
                await outbox.add(topic, key, value, timestamp=1_700_000_000.5)
            assert outbox.records == 300
            await outbox.flush()
            assert outbox.records == 0
            await outbox.add(topic, None, b"to partition 1", partition=1)
            await outbox.flush()
            await producer.flush()
        finally:
            await producer.stop()

    asyncio.run(produce())
    got: dict[int, list[tuple[bytes | None, bytes]]] = {}

    consumer = KafkaConsumer(bootstrap_servers=settings.bootstrap_servers, group_id=None,
                             enable_auto_commit=False)
    try:
        tps = [TopicPartition(topic, p) for p in range(settings.partitions)]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        seen = 0
        for _ in range(100):
            for tp, records in consumer.poll(timeout_ms=200).items():
                for r in records:
                    got.setdefault(tp.partition, []).append((r.key, r.value))
                    assert r.timestamp == 1_700_000_000_500 or r.key is None
                    seen += 1
            if seen >= 301:
                break
    finally:
        consumer.close()
    for key in keys:  # Kafka's default partitioner (Java clients, kafka-python, aiokafka)
        expected = (murmur2(key) & 0x7FFFFFFF) % settings.partitions
        assert any(k == key for k, _ in got.get(expected, [])), key
    for records in got.values():  # per partition, in the order they were added
        numbers = [int(v[200:]) for k, v in records if k is not None]
        assert numbers == sorted(numbers)
    assert (None, b"to partition 1") in got[1]
    assert sum(len(v) for v in got.values()) == 301
