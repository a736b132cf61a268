"""Two workers share the consumer group; when one is killed the other takes over, losing nothing."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable

import pytest

from pipeline.runner import WorkerProcess
from pipeline.settings import Settings
from tests.integration.conftest import article_bytes, collect, produce

pytestmark = pytest.mark.integration


def _batch(start: int, n: int) -> list[tuple[bytes, bytes]]:
    return [
        (
            f"f-{i}".encode(),
            article_bytes(id=f"f-{i}", title=f"Talks in Nairobi {i}", body="Kenya hosted talks."),
        )
        for i in range(start, start + n)
    ]


def test_killed_worker_is_replaced_without_losing_records(
    settings: Settings, start_worker: Callable[..., WorkerProcess]
) -> None:
    """SIGKILL one of two workers mid-stream: every article still comes out enriched.

    The killed worker usually dies before its first offset commit, so the survivor
    takes its partition over with no committed offset (see pipeline.transport).
    """
    import dataclasses

    from pipeline.broker import free_port

    first = start_worker(settings)
    second = start_worker(dataclasses.replace(settings, metrics_port=free_port()))
    produce(settings, _batch(0, 100))
    collect(settings, settings.topic_enriched, lambda got: len(got) >= 100)

    first.proc.send_signal(signal.SIGKILL)
    first.proc.wait(timeout=10)
    produce(settings, _batch(100, 100))
    time.sleep(0.5)
    produce(settings, _batch(200, 100))

    events = collect(
        settings,
        settings.topic_enriched,
        lambda got: {e["article_id"] for e in got} >= {f"f-{i}" for i in range(300)},
        timeout=90,
    )
    ids = {e["article_id"] for e in events}
    missing = sorted({f"f-{i}" for i in range(300)} - ids)
    assert not missing, f"lost {len(missing)}, e.g. {missing[:5]}; log:\n{second.log_tail()}"
    assert second.alive()
