"""Faust's aiokafka transport with a configurable fetch wait and fetch size (``fetch_max_wait_ms``,
``fetch_min_bytes``).

Faust's aiokafka driver creates its consumer with ``fetch_max_wait_ms=1500``,
fixed: a fetch that finds no new record may be held that long by the broker.
Kafka answers such a fetch as soon as a record arrives; Tansu (the embedded
broker) often does not, so a caught-up consumer sees new records up to 1.5 s
late. Measured end to end (produce to enriched event at a consumer), with
Faust's 1500 ms and with 50 ms: the worker at 100 articles/s, p50 ~300-450 ms
-> ~55 ms and p99 ~810 ms -> ~110 ms; a bare Faust agent at 10 messages/s,
p50 400 ms -> 21 ms and p99 770 ms -> 27 ms. This transport is the stock one
with that value taken from the consumer URL's query,
``brinkwatch-kafka://host:port?fetch_max_wait_ms=50&fetch_min_bytes=1``
(see :func:`consumer_url`, ``BRINKWATCH_CONSUMER_FETCH_MAX_WAIT_MS`` and
``BRINKWATCH_CONSUMER_FETCH_MIN_BYTES``), as is the least the broker may answer
a fetch with before that wait is up (aiokafka's 1 byte by default; more means
fewer fetches, which Tansu serves at a cost that grows with what a partition
holds, but Tansu then holds every fetch that comes up short for the whole wait:
see the README's Speed section).

It also corrects the high watermarks that table recovery reads. Tansu
answers ListOffsets(latest) with the base offset of a partition's last record
batch plus one, not the offset after its last record: after a batch of ten
records at offsets 0-9 it says 1, not 10. Faust's recovery reads a changelog
up to that offset, so the records of the last batch after its first were
never restored (a restarted worker lost its latest spike state). A fetch
response carries the right high watermark on Tansu and Kafka alike, so
:meth:`ConsumerThread._highwaters` fetches once from just before each
reported end and takes the larger of the two.

And it closes a gap through which a worker that takes over a partition lost
records. At the end of a rebalance Faust resumes the stream partitions,
seeks them to their committed offsets and then resumes its flow control,
which empties every agent's queue: records handed to the queues before the
seek are read again from the committed offset. Two things defeated that.
aiokafka's ``seek_to_committed`` leaves a partition with no committed offset
where the fetcher got to (a worker killed before its first commit leaves
none), so records emptied from the queues were never read again; and
records fetched after the seek but before the flow resumed were emptied too.
Seen in the failover test (two workers, one SIGKILLed; 9 failures in 60
runs): the survivor's aiokafka fetched the taken-over partition from 0 to
its end (145) during the table recovery, the agent took the first 90 (125
in another run) before the queues were emptied, and the fetch went on at
145 (debug log: "No committed offset ... Seeking to committed of partition
... None", then "Adding fetch request ... at offset 145"). So
:meth:`ConsumerThread.seek_to_committed` also seeks such partitions to
their start (``consumer_auto_offset_reset="earliest"``), and
:meth:`Consumer.perform_seek` stops the consumer's flow until Faust resumes
it, so that nothing fetched after the seek reaches the queues first.

Last, it hands messages to the streams without four tasks each. Faust's
drain loop delivers every message through ``Service.wait_first`` (so that a
suspended flow can interrupt a delivery that waits), which costs ~49 µs a
message even when the delivery never waits; :class:`EagerWaitFirst` runs the
delivery at once and falls back on the stock ``wait_first`` only when it
does wait. Measured with the worker at 900 articles/s: its main process
0.55-0.63 -> 0.34-0.43 cores; from a backlog of 20,000 articles, 1,810 ->
2,535 enriched events/s (single runs; they move by about 15 %).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Generator, Mapping
from typing import Any, cast

from aiokafka import AIOKafkaConsumer, TopicPartition
from faust.transport.drivers import TRANSPORTS
from faust.transport.drivers import aiokafka as driver
from faust.types import TP
from mode import Service
from mode.services import WaitResults
from yarl import URL

__all__ = [
    "SCHEME",
    "Consumer",
    "ConsumerThread",
    "EagerWaitFirst",
    "Transport",
    "consumer_url",
    "fetched_highwaters",
    "url_int",
]

#: The URL scheme of this transport (registered with Faust on import).
SCHEME = "brinkwatch-kafka"


def consumer_url(bootstrap_servers: str, fetch_max_wait_ms: int, fetch_min_bytes: int = 1) -> str:
    """Return Faust's consumer broker URL(s) for *bootstrap_servers* with this transport."""
    hosts = [h.strip() for h in bootstrap_servers.split(",") if h.strip()]
    hosts = [h.split("://", 1)[-1] for h in hosts]
    query = f"fetch_max_wait_ms={int(fetch_max_wait_ms)}&fetch_min_bytes={int(fetch_min_bytes)}"
    return ";".join(f"{SCHEME}://{h}?{query}" for h in hosts)


def url_int(urls: list[URL], name: str) -> int | None:
    """Return the integer query value *name* of the first of *urls* that has one."""
    for url in urls:
        value = url.query.get(name)
        if value is not None:
            return int(value)
    return None


class ConsumerThread(driver.AIOKafkaConsumerThread):
    """The stock consumer thread; its consumer's fetch wait and fetch size come from the URL."""

    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        urls = list(transport.url)
        # Both are read by AIOKafkaConsumer.start() when it builds its Fetcher.
        wait = url_int(urls, "fetch_max_wait_ms")
        if wait is not None:
            consumer._fetch_max_wait_ms = wait
        least = url_int(urls, "fetch_min_bytes")
        if least is not None:
            consumer._fetch_min_bytes = least
        return consumer

    async def seek_to_committed(self) -> Mapping[TP, int]:
        """Seek every assigned partition to its committed offset, or to its start if none.

        Changelog partitions are left alone (table recovery positions them).
        """
        done: Mapping[TP, int] = await self.call_thread(self._seek_to_committed_or_start)
        return done

    async def _seek_to_committed_or_start(self) -> Mapping[TP, int]:
        consumer = self._ensure_consumer()
        committed: Mapping[Any, int | None] = await consumer.seek_to_committed()
        if self.app.conf.consumer_auto_offset_reset == "earliest":
            changelogs = self.app.tables.changelog_topics
            # aiokafka seeks only offsets > 0; 0 and None both mean "from the start".
            start = [tp for tp, off in committed.items() if not off and tp.topic not in changelogs]
            if start:
                await consumer.seek_to_beginning(*start)
        return cast(Mapping[TP, int], committed)

    async def _highwaters(self, partitions: list[TP]) -> Mapping[TP, int]:
        reported: dict[TP, int] = dict(await super()._highwaters(partitions))
        if self.consumer.in_transaction:
            return reported
        wanted = [tp for tp, end in reported.items() if end > 0]
        if not wanted:
            return reported
        fetched = await fetched_highwaters(
            self._ensure_consumer()._client._bootstrap_servers, reported, wanted
        )
        return {tp: max(end, fetched.get(tp, end)) for tp, end in reported.items()}


async def fetched_highwaters(
    bootstrap_servers: Any, reported: Mapping[TP, int], partitions: list[TP], *,
    timeout_ms: int = 5_000,
) -> dict[TP, int]:
    """Return the high watermark that a fetch from just before *reported* ends gives.

    A group-less consumer reads each partition from ``reported - 1`` until
    every partition has answered once (or *timeout_ms* passes); partitions
    that did not answer are left out.
    """
    side = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=50,
    )
    # aiokafka wants its own TopicPartition (Faust's TP is a look-alike tuple).
    tps = {TopicPartition(tp.topic, tp.partition): tp for tp in partitions}
    await side.start()
    try:
        side.assign(list(tps))
        for atp, tp in tps.items():
            side.seek(atp, max(0, reported[tp] - 1))
        out: dict[TP, int] = {}
        waited = 0
        while len(out) < len(tps) and waited < timeout_ms:
            await side.getmany(*tps, timeout_ms=100)
            waited += 100
            for atp, tp in tps.items():
                high = side.highwater(atp)
                if high is not None:
                    out[tp] = high
        return out
    finally:
        await side.stop()


class _Resumed:
    """The rest of a coroutine already run up to its first suspension, as an awaitable.

    Awaited in a task, it goes on exactly where the coroutine stopped: the
    task first waits on the future the coroutine was waiting on, and what
    the task then sends or throws goes on to the coroutine (what
    ``yield from`` does for a generator).
    """

    __slots__ = ("_coro", "_pending")

    def __init__(self, coro: Coroutine[Any, Any, Any], pending: Any) -> None:
        self._coro = coro
        self._pending = pending

    def __await__(self) -> Generator[Any, Any, Any]:
        coro, pending = self._coro, self._pending
        while True:
            try:
                sent = yield pending
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as exc:  # everything goes on to the coroutine
                try:
                    pending = coro.throw(exc)
                except StopIteration as stop:
                    return stop.value
            else:
                try:
                    pending = coro.send(sent)
                except StopIteration as stop:
                    return stop.value


class EagerWaitFirst(Service):
    """A ``Service`` whose :meth:`wait_first` runs its first coroutine at once, until it waits.

    Faust's drain loop hands each message to its streams with
    ``wait_first(callback(message), suspend_flow.wait())``: four tasks, an
    ``asyncio.wait`` and three cancellations per message (~49 µs here),
    though the callback nearly always completes without waiting (its
    streams' queues have room). With this mixin it runs at once. When it
    completes that way the answer is what the stock ``wait_first`` gives once
    it is done; when it has to wait, the rest of it runs as one of the stock
    ``wait_first``'s tasks, so a suspended flow or a stop still interrupts
    it. What differs: the first step runs in the caller's task, before
    whatever else was ready on the loop; when it completes, the answer names
    it alone, and the other coroutines are closed without having run (the
    stock one would have started and cancelled them).
    """

    async def wait_first(self, *coros: Any, timeout: Any = None) -> WaitResults:
        """Wait for the first of *coros* to finish (see the class doc)."""
        first = coros[0] if coros else None
        if not asyncio.iscoroutine(first):
            return await super().wait_first(*coros, timeout=timeout)
        try:
            pending = first.send(None)
        except BaseException as exc:
            for other in coros[1:]:  # the stock one cancels what is not done; never started here
                if asyncio.iscoroutine(other):
                    other.close()
            if not isinstance(exc, StopIteration):
                raise
            if self._stopped.is_set() or self._crashed.is_set():
                return WaitResults([], [], True)
            return WaitResults([first], [exc.value], False)
        rest = _Resumed(first, pending)
        res = await super().wait_first(rest, *coros[1:], timeout=timeout)
        return WaitResults([first if c is rest else c for c in res.done], res.results, res.stopped)


class Consumer(EagerWaitFirst, driver.Consumer):
    """The stock aiokafka consumer with :class:`EagerWaitFirst`, running :class:`ConsumerThread`."""

    def _new_consumer_thread(self) -> ConsumerThread:
        return ConsumerThread(self, loop=self.loop, beacon=self.beacon)

    async def perform_seek(self) -> None:
        """Seek the partitions to their committed offsets with the flow stopped.

        Faust calls this at the end of a rebalance and resumes the flow (and
        empties the agents' queues) right after, so records fetched after the
        seek must wait for that instead of going to queues that are about to
        be emptied. When the flow is already stopped (Faust's own seek back
        after a fetch that came back while stopped), nothing changes.
        """
        if self.flow_active:
            self.stop_flow()
        await super().perform_seek()


class Transport(driver.Transport):
    """The stock aiokafka transport with :class:`Consumer`."""

    Consumer = Consumer


TRANSPORTS.aliases.setdefault(SCHEME, f"{__name__}:Transport")
