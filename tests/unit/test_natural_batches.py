"""natural_batches: batches of what is queued, never a batch held while the stream waits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import faust

from pipeline.app import natural_batches


class _Stream:
    """Stands in for a Faust stream: events() yields what the test feeds, then waits."""

    def __init__(self, app: faust.App) -> None:
        self.channel = app.channel()
        self.enable_acks = True
        self.feed: asyncio.Queue[Any] = asyncio.Queue()

    async def events(self) -> AsyncIterator[Any]:
        while True:
            yield await self.feed.get()


async def _scenario() -> tuple[list[list[str]], bool]:
    app = faust.App("natural-batches-test", broker="memory://")
    stream = _Stream(app)
    batches = natural_batches(stream, batch_max=100)  # type: ignore[arg-type]
    for name in ("a", "b", "c"):
        stream.feed.put_nowait(name)
    first = await asyncio.wait_for(batches.__anext__(), 2.0)
    # The channel says more is queued, but the stream never delivers it (Faust emptied its
    # queues in a rebalance): the event in hand must still come out, not wait for another.
    stream.channel.queue.put_nowait("queued, then dropped")  # type: ignore[attr-defined]
    stream.feed.put_nowait("d")
    second = await asyncio.wait_for(batches.__anext__(), 2.0)
    await batches.aclose()
    return [first, second], stream.enable_acks


def test_queued_events_come_out_together_and_a_lone_one_is_not_held() -> None:
    """What is queued forms one batch; an event in hand goes out though nothing else comes."""
    batches, acks = asyncio.run(_scenario())
    assert batches == [["a", "b", "c"], ["d"]]
    assert acks is False  # the caller acknowledges each event itself
