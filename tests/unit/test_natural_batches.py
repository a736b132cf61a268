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


async def _lingered(linger: float) -> list[list[str]]:
    app = faust.App("natural-batches-linger-test", broker="memory://")
    stream = _Stream(app)
    batches = natural_batches(stream, batch_max=100, linger=linger)  # type: ignore[arg-type]
    stream.feed.put_nowait("a")
    # "b" comes 20 ms after "a", as the records of one fetch come over a few loop turns.
    asyncio.get_running_loop().call_later(0.02, stream.feed.put_nowait, "b")
    first = await asyncio.wait_for(batches.__anext__(), 5.0)
    rest = [] if "b" in first else await asyncio.wait_for(batches.__anext__(), 5.0)
    await batches.aclose()
    return [first, rest] if rest else [first]


def test_an_event_that_comes_within_the_linger_joins_the_batch() -> None:
    """With a linger, an event that follows within it joins; without one, the first goes alone."""
    assert asyncio.run(_lingered(1.0)) == [["a", "b"]]
    assert asyncio.run(_lingered(0.0)) == [["a"], ["b"]]


def test_the_linger_is_waited_once_then_the_batch_goes() -> None:
    """A lone event waits the linger once, not for ever: it comes out though nothing follows."""

    async def scenario() -> tuple[list[str], float]:
        app = faust.App("natural-batches-lone-test", broker="memory://")
        stream = _Stream(app)
        batches = natural_batches(stream, batch_max=100, linger=0.05)  # type: ignore[arg-type]
        stream.feed.put_nowait("a")
        t0 = asyncio.get_running_loop().time()
        first = await asyncio.wait_for(batches.__anext__(), 5.0)
        waited = asyncio.get_running_loop().time() - t0
        await batches.aclose()
        return first, waited

    first, waited = asyncio.run(scenario())
    assert first == ["a"]
    assert waited >= 0.05  # it did linger
