"""The light waiters of the run queue: a Ticket per blocking caller, a LoopWaiter per task."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from redisai_core.ai._hosted._waiters import LoopWaiter, Ticket

pytestmark = pytest.mark.timeout(30)


def test_a_ticket_blocks_until_set_and_can_be_read_again():
    ticket: Ticket[str] = Ticket()
    assert not ticket.done()
    with pytest.raises(TimeoutError):
        ticket.result(0.01)
    threading.Timer(0.02, ticket.set_result, ("ok",)).start()
    assert ticket.result(5) == "ok"
    assert ticket.done() and ticket.result() == "ok"
    assert ticket.set_running_or_notify_cancel() and not ticket.cancelled()


def test_a_ticket_raises_the_run_error():
    ticket: Ticket[str] = Ticket()
    ticket.set_exception(ValueError("bad"))
    with pytest.raises(ValueError, match="bad"):
        ticket.result()


async def test_a_loop_waiter_is_resolved_from_another_thread():
    waiter: LoopWaiter[int] = LoopWaiter(asyncio.get_running_loop())
    threading.Thread(target=waiter.set_result, args=(7,)).start()
    assert await waiter.future == 7
    failing: LoopWaiter[int] = LoopWaiter(asyncio.get_running_loop())
    threading.Thread(target=failing.set_exception, args=(KeyError("k"),)).start()
    with pytest.raises(KeyError):
        await failing.future


async def test_a_cancelled_loop_waiter_reports_it_and_ignores_a_late_result():
    waiter: LoopWaiter[int] = LoopWaiter(asyncio.get_running_loop())
    waiter.future.cancel()
    assert waiter.cancelled() and not waiter.set_running_or_notify_cancel()
    waiter.set_result(1)  # lands after the cancel: dropped, no InvalidStateError
    await asyncio.sleep(0)
    assert waiter.future.cancelled()


def test_a_result_for_a_closed_loop_is_dropped():
    loop = asyncio.new_event_loop()
    waiter: LoopWaiter[int] = LoopWaiter(loop)
    loop.close()
    waiter.set_result(1)  # no exception in the worker thread


async def test_settle_wakes_each_loop_once_and_keeps_order() -> None:
    from redisai_core.ai._hosted._waiters import settle

    loop = asyncio.get_running_loop()
    wakes = 0
    call_soon_threadsafe = loop.call_soon_threadsafe

    def counting(callback: Any, *args: Any) -> asyncio.Handle:
        nonlocal wakes
        wakes += 1
        return call_soon_threadsafe(callback, *args)

    loop.call_soon_threadsafe = counting  # type: ignore[method-assign]
    try:
        waiters: list[LoopWaiter[int]] = [LoopWaiter(loop) for _ in range(5)]
        ticket: Ticket[int] = Ticket()
        failure = ValueError("bad")
        outcomes: list[tuple[Any, Any, BaseException | None]] = [
            (w, i, None) for i, w in enumerate(waiters)
        ]
        outcomes[2] = (waiters[2], None, failure)
        outcomes.append((ticket, 99, None))
        done: list[int] = []
        for i, w in enumerate(waiters):
            w.future.add_done_callback(lambda _f, i=i: done.append(i))
        thread = threading.Thread(target=settle, args=(outcomes,))
        thread.start()
        thread.join()
        assert ticket.result(timeout=1) == 99  # settled at once, from the other thread
        results = await asyncio.gather(*(w.future for w in waiters), return_exceptions=True)
    finally:
        del loop.call_soon_threadsafe
    assert results == [0, 1, failure, 3, 4]
    assert done == [0, 1, 2, 3, 4]
    assert wakes == 1
