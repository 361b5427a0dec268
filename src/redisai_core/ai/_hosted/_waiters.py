"""What a caller waits on while its request sits in a model's run queue.

The engine resolves a request through four methods (``set_running_or_notify_cancel``,
``cancelled``, ``set_result``, ``set_exception``), which :class:`concurrent.futures.Future`
has; the two classes here implement them more cheaply for the two kinds of callers that matter
on the serving path:

* :class:`Ticket`, for blocking callers: one lock, acquired at creation and released once the
  outcome is in, so waiting is one lock acquisition and waking the caller one release (a
  Future takes a condition variable, a waiter list and callbacks);
* :class:`LoopWaiter`, for asyncio callers: an asyncio future of the caller's loop, resolved
  with one ``call_soon_threadsafe`` (``asyncio.wrap_future`` chains two futures and two
  callbacks per request).

:func:`settle` hands out the outcomes of one batched run: each asyncio loop among the callers
is woken once for all of its requests (``call_soon_threadsafe`` writes to the loop's wake-up
socket, a system call, which per request took a sixth of the worker thread's time).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterable
from typing import Any, Generic, TypeVar

__all__ = ["LoopWaiter", "Ticket", "settle"]

T = TypeVar("T")


class Ticket(Generic[T]):
    """The result of one blocking caller's request: the part of a Future that callers use.

    Cheaper than :class:`concurrent.futures.Future` (no condition variable, no callbacks): one
    lock, acquired at creation and released once the outcome is set, so waiting is a single
    lock acquisition and waking the caller a single release. Never cancelled.
    """

    __slots__ = ("_error", "_lock", "_value")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lock.acquire()
        self._value: T | None = None
        self._error: BaseException | None = None

    def set_running_or_notify_cancel(self) -> bool:
        return True

    def cancelled(self) -> bool:
        return False

    def set_result(self, value: T) -> None:
        self._value = value
        self._lock.release()

    def set_exception(self, error: BaseException) -> None:
        self._error = error
        self._lock.release()

    def done(self) -> bool:
        return not self._lock.locked()

    def result(self, timeout: float | None = None) -> T:
        """Block until the outcome is in (at most ``timeout`` seconds).

        Raises:
            TimeoutError: not done within ``timeout``.
            RedisAIError: the run failed.
        """
        if not self._lock.acquire(timeout=-1 if timeout is None else timeout):
            raise TimeoutError("the model run did not finish in time")
        self._lock.release()  # stays readable: result() may be called again
        if self._error is not None:
            raise self._error
        assert self._value is not None
        return self._value


def _resolve(future: asyncio.Future[T], value: T | None, error: BaseException | None) -> None:
    if future.done():  # the caller was cancelled meanwhile
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(value)  # type: ignore[arg-type]


def _resolve_all(items: list[tuple[asyncio.Future[Any], Any, BaseException | None]]) -> None:
    for future, value, error in items:
        _resolve(future, value, error)


def settle(outcomes: Iterable[tuple[Any, Any, BaseException | None]]) -> None:
    """Deliver ``(waiter, value, error)`` outcomes, waking each asyncio loop only once.

    Waiters other than :class:`LoopWaiter` (tickets, futures) get ``set_result`` or
    ``set_exception`` at once; a loop's waiters are resolved together, in order, by one
    callback on that loop.
    """
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], Any, Any]]] = {}
    for waiter, value, error in outcomes:
        if type(waiter) is LoopWaiter:
            items = by_loop.get(waiter._loop)
            if items is None:
                items = by_loop[waiter._loop] = []
            items.append((waiter.future, value, error))
        elif error is not None:
            waiter.set_exception(error)
        else:
            waiter.set_result(value)
    for loop, items in by_loop.items():
        # RuntimeError: the loop is closed, so nobody is waiting any more.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(_resolve_all, items)


class LoopWaiter(Generic[T]):
    """An asyncio caller's request: resolved on the caller's loop, from the worker thread.

    Cancelling the awaiting task cancels the future; the engine sees that through
    :meth:`cancelled` and drops the request if it has not started (reading the flag from
    another thread is a benign race: at worst a cancelled request runs and its result is
    dropped).
    """

    __slots__ = ("_loop", "future")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.future: asyncio.Future[T] = loop.create_future()

    def set_running_or_notify_cancel(self) -> bool:
        return not self.future.cancelled()

    def cancelled(self) -> bool:
        return self.future.cancelled()

    def set_result(self, value: T) -> None:
        self._call(value, None)

    def set_exception(self, error: BaseException) -> None:
        self._call(None, error)

    def _call(self, value: T | None, error: BaseException | None) -> None:
        # RuntimeError: the caller's loop is closed, so nobody is waiting any more.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(_resolve, self.future, value, error)
