"""The plain Kafka clients against a real broker: reading a topic from its end."""

from __future__ import annotations

from pipeline.clients import make_producer, read_topic
from pipeline.settings import Settings
from pipeline.topics import create_topics


def test_reading_from_the_end_skips_every_old_record(settings: Settings) -> None:
    """Old records (sent as one batch per partition) are never shown; a new one is.

    Tansu reports a partition's end as the offset after the first record of its
    last batch; reading from there would replay the batch's other records.
    """
    create_topics(settings)
    topic = settings.topic_alerts
    producer = make_producer(settings.bootstrap_servers, linger_ms=200)
    try:
        for n in range(20):  # lingered: a few batches of several records each
            producer.send(topic, key=str(n).encode(), value=b'{"old": %d}' % n)
        producer.flush()
        reader = read_topic(settings.bootstrap_servers, [topic], timeout=30, ticks=True)
        seen = []
        for _topic, _key, value in reader:
            if value is None:  # positioned and idle: now send the new record
                if not seen:
                    producer.send(topic, key=b"new", value=b'{"new": 1}')
                    producer.flush()
                    seen.append("sent")
                continue
            seen.append(value)
            if value == {"new": 1}:
                break
        reader.close()
    finally:
        producer.close()
    assert seen == ["sent", {"new": 1}]
