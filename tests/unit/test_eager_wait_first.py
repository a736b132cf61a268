"""EagerWaitFirst: the answers of mode's ``Service.wait_first``, with no task when none waits."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from mode import Service

from pipeline.transport import Consumer, EagerWaitFirst


class _Stock(Service):
    """mode's own ``wait_first``: the reference."""


class _Eager(EagerWaitFirst, Service):
    """The one under test."""


async def _quick(value: Any) -> Any:
    return value


async def _later(fut: asyncio.Future[Any]) -> Any:
    return await fut


async def _failing_now() -> None:
    raise ValueError("at once")


async def _failing_later(fut: asyncio.Future[Any]) -> None:
    await fut
    raise ValueError("after a wait")


def test_the_worker_consumer_uses_it() -> None:
    """Faust's drain loop calls the worker consumer's ``wait_first``: it is the eager one."""
    assert Consumer.wait_first is EagerWaitFirst.wait_first


@pytest.mark.parametrize("kind", [_Stock, _Eager])
def test_a_coroutine_that_completes_at_once_wins(kind: type[Service]) -> None:
    """A coroutine that never waits is the one winner, with its value; the other is never left."""

    async def scenario() -> tuple[list[Any], list[Any], bool, bool, bool]:
        service = kind()
        coro, other = _quick(42), asyncio.Event().wait()
        res = await service.wait_first(coro, other)
        await asyncio.sleep(0.01)  # the stock one's cancellation reaches the other
        # Ended (cancelled, or closed unstarted): never left for "was never awaited".
        return res.done, res.results, res.stopped, res.done == [coro], other.cr_frame is None

    done, results, stopped, named, other_ended = asyncio.run(scenario())
    assert (results, stopped, named, other_ended) == ([42], False, True, True)
    assert len(done) == 1


def test_the_eager_one_does_not_turn_the_loop() -> None:
    """The point of it: a callback that never waits costs no task and no turn of the loop."""

    async def scenario(kind: type[Service]) -> bool:
        service = kind()
        turned = []
        asyncio.get_running_loop().call_soon(turned.append, True)
        await service.wait_first(_quick(1), asyncio.Event().wait())
        return bool(turned)

    assert asyncio.run(scenario(_Stock)) is True
    assert asyncio.run(scenario(_Eager)) is False


@pytest.mark.parametrize("kind", [_Stock, _Eager])
def test_a_coroutine_that_waits_gives_its_value_when_its_future_completes(
    kind: type[Service],
) -> None:
    """The rest of a waiting coroutine runs as a task: the value it returns after the wait wins."""

    async def scenario() -> tuple[bool, list[Any]]:
        service = kind()
        fut: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().call_later(0.01, fut.set_result, "late")
        coro = _later(fut)
        res = await service.wait_first(coro, asyncio.Event().wait())
        return res.done == [coro], res.results

    assert asyncio.run(scenario()) == (True, ["late"])


@pytest.mark.parametrize("kind", [_Stock, _Eager])
def test_a_waiting_coroutine_is_cancelled_when_the_other_wins(kind: type[Service]) -> None:
    """A suspended flow interrupts a callback that waits: it sees the cancellation, and ends."""

    async def scenario() -> tuple[bool, bool, str]:
        service = kind()
        flow = asyncio.Event()
        seen = []

        async def blocked() -> None:
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                seen.append("cancelled")
                raise

        asyncio.get_running_loop().call_later(0.01, flow.set)
        coro = blocked()
        res = await service.wait_first(coro, flow.wait())
        await asyncio.sleep(0.01)  # the cancellation reaches the loser
        return coro in res.done, res.stopped, ",".join(seen)

    assert asyncio.run(scenario()) == (False, False, "cancelled")


@pytest.mark.parametrize("kind", [_Stock, _Eager])
@pytest.mark.parametrize("when", ["now", "later"])
def test_an_exception_of_the_coroutine_is_raised(kind: type[Service], when: str) -> None:
    """An error the callback raises, before or after it waits, comes out of ``wait_first``."""

    async def scenario() -> None:
        service = kind()
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().call_later(0.01, fut.set_result, None)
        coro = _failing_now() if when == "now" else _failing_later(fut)
        other = asyncio.Event().wait()
        try:
            await service.wait_first(coro, other)
        finally:
            await asyncio.sleep(0.01)  # the stock one's cancelled tasks end
            assert other.cr_frame is None

    with pytest.raises(ValueError, match="at once" if when == "now" else "after a wait"):
        asyncio.run(scenario())


@pytest.mark.parametrize("kind", [_Stock, _Eager])
def test_a_stopped_service_says_stopped(kind: type[Service]) -> None:
    """Once the service is stopped, the answer says so and names no winner."""

    async def scenario() -> tuple[list[Any], bool]:
        service = kind()
        service._stopped.set()
        res = await service.wait_first(_quick(1), asyncio.Event().wait())
        return res.done, res.stopped

    assert asyncio.run(scenario()) == ([], True)


def test_a_first_argument_that_is_not_a_coroutine_goes_the_stock_way() -> None:
    """An event (``wait_first(event)``, as ``Service.wait`` calls it) is waited on as before."""

    async def scenario() -> tuple[int, bool]:
        service = _Eager()
        event = asyncio.Event()
        asyncio.get_running_loop().call_later(0.01, event.set)
        res = await service.wait_first(event)
        return len(res.done), res.stopped

    assert asyncio.run(scenario()) == (1, False)
