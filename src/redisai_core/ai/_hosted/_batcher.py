"""The auto-batching engine: RedisAI's run queue and batching rule (PROTOCOL.md §2.2-2.3).

One :class:`Engine` serves one model version. Callers submit requests: asyncio tasks get a
:class:`concurrent.futures.Future` (awaited through ``async_wait``), blocking callers a
:class:`Ticket` (a lighter future: one pre-acquired lock, released when the result is in). One
worker thread per engine pops requests in FIFO order and runs them:

* ``batchsize == 0``: one request per run, no waiting.
* a request whose own dim 0 is ``>= batchsize`` (or whose inputs disagree on dim 0) runs alone.
* otherwise compatible requests (same input count, dtypes and trailing dims; dim 0 may differ)
  are collected in FIFO order until the sum of their dim 0 reaches ``batchsize`` (the last
  joiner may push it over). If the sum is below ``minbatchsize`` the group waits for more,
  forever unless ``minbatchtimeout`` ms have passed since its first request was queued. Waiting
  groups do not hold up other requests behind them.
* a request still queued after its TIMEOUT gets :data:`TIMEDOUT` and never runs.

Results are sliced back by each request's own dim 0; when a batched run (more than one request)
yields an output whose dim 0 is not the batch total, every request gets RedisAI's batch-size
error. A backend error goes to every request of the run. Comparing dtypes is stricter than
RedisAI (which concatenates raw bytes of any dtype); mixing dtypes there produced garbage.

The worker thread starts on demand and exits after a short idle period, so engines of
replaced model versions finish their queue and then disappear.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ...errors import ModelExecutionError, RedisAIError
from .. import _errors as msg
from ._waiters import LoopWaiter, Ticket, settle

__all__ = ["TIMEDOUT", "Engine", "Outcome", "Ticket"]

Array = np.ndarray[Any, Any]
Runner = Callable[[Sequence[Array]], list[Array | None]]
TIMEDOUT = "TIMEDOUT"
_IDLE_EXIT = 2.0


class Outcome:
    """One request's outputs and the duration of the run that produced them (microseconds).

    Slotted, not a frozen dataclass: one is built per request on the serving path.
    """

    __slots__ = ("duration_us", "outputs")

    def __init__(self, outputs: list[Array | None], duration_us: int) -> None:
        self.outputs = outputs
        self.duration_us = duration_us

    def __repr__(self) -> str:
        return f"Outcome(outputs={self.outputs!r}, duration_us={self.duration_us})"


Waiter = (
    concurrent.futures.Future[Outcome | str] | Ticket[Outcome | str] | LoopWaiter[Outcome | str]
)


class _Request:
    __slots__ = ("deadline", "future", "inputs", "queued", "signature", "size")

    def __init__(self, inputs: Sequence[Array], deadline: float | None, future: Waiter) -> None:
        self.inputs = inputs
        if len(inputs) == 1:  # the common case, without building sets and generators
            first = inputs[0]
            # dim 0 shared by all inputs; 0 when there is none (never batched)
            self.size: int = first.shape[0] if first.ndim else 0
            self.signature: tuple[Any, ...] = (first.dtype, first.shape[1:])
        else:
            sizes = {a.shape[0] if a.ndim else 0 for a in inputs}
            self.size = sizes.pop() if len(sizes) == 1 else 0
            self.signature = (len(inputs), *[(a.dtype, a.shape[1:]) for a in inputs])
        self.queued = time.monotonic()
        self.deadline = deadline
        self.future = future


class Engine:
    """The run queue of one model version.

    Args:
        runner: runs the model once on a list of input arrays.
        batchsize: RedisAI BATCHSIZE (0 disables batching).
        minbatchsize: MINBATCHSIZE.
        minbatchtimeout: MINBATCHTIMEOUT in milliseconds (0: wait without limit).
        name: thread name, for debugging.
    """

    def __init__(
        self,
        runner: Runner,
        *,
        batchsize: int = 0,
        minbatchsize: int = 0,
        minbatchtimeout: int = 0,
        name: str = "model",
    ) -> None:
        self._runner = runner
        self._batchsize = batchsize
        self._minbatchsize = minbatchsize
        self._minbatchtimeout = minbatchtimeout / 1000.0
        self._name = name
        self._cond = threading.Condition()
        self._queue: list[_Request] = []
        self._thread: threading.Thread | None = None
        self._closed = False
        self._running = False  # a run is in progress (worker thread or an inline caller)
        self.runs = 0
        """How many times the model ran (one per batch); lets tests and benchmarks see batching."""

    def async_submit(
        self, inputs: Sequence[Array], *, deadline: float | None = None
    ) -> concurrent.futures.Future[Outcome | str]:
        """Queue one request for the worker thread (never runs it in the caller's thread).

        For asyncio callers, which must not block their loop. The future resolves to an
        :class:`Outcome` or :data:`TIMEDOUT`.

        Args:
            inputs: one array per model input, in model order.
            deadline: ``time.monotonic()`` value after which the request must not start.

        Raises:
            RuntimeError: the engine was closed.
        """
        future: concurrent.futures.Future[Outcome | str] = concurrent.futures.Future()
        with self._cond:
            self._enqueue(_Request(inputs, deadline, future))
        return future

    def submit(
        self, inputs: Sequence[Array], *, deadline: float | None = None
    ) -> Ticket[Outcome | str]:
        """Like :meth:`async_submit`, for callers that may block: when nothing is running or
        queued and the request would run alone at once anyway, the caller runs it in its own
        thread, saving two thread handoffs. Otherwise it is queued as usual (and batched).

        Raises:
            RuntimeError: the engine was closed.
        """
        ticket: Ticket[Outcome | str] = Ticket()
        request = _Request(inputs, deadline, ticket)
        with self._cond:
            inline = self._claim(request)
            if not inline:
                self._enqueue(request)
        if inline:
            self._run_claimed(request)
        return ticket

    def run(self, inputs: Sequence[Array], *, deadline: float | None = None) -> Outcome | str:
        """Run one request for a blocking caller (see :meth:`submit`) and return its outcome.

        Raises:
            RedisAIError: the run failed.
            RuntimeError: the engine was closed.
        """
        return self.submit(inputs, deadline=deadline).result()

    async def async_run(
        self, inputs: Sequence[Array], *, deadline: float | None = None
    ) -> Outcome | str:
        """Run one request for an asyncio caller and await its outcome.

        Always queued for the worker thread, never run in the loop's thread: tasks of one loop
        submit one after another, so running each at once would leave nothing to batch and
        hold the loop during every run. Cancelling the caller drops a request that has not
        started.

        Raises:
            RedisAIError: the run failed.
            RuntimeError: the engine was closed.
        """
        waiter: LoopWaiter[Outcome | str] = LoopWaiter(asyncio.get_running_loop())
        with self._cond:
            self._enqueue(_Request(inputs, deadline, waiter))
        return await waiter.future

    def _claim(self, request: _Request) -> bool:
        """With the lock held: take the engine for ``request`` if it may run alone right now."""
        if self._running or self._queue or not self._ready_alone(request):
            return False
        if self._closed:
            raise RuntimeError("the model's run queue is closed")
        self._running = True
        return True

    def _run_claimed(self, request: _Request) -> None:
        try:
            self._run([request])
        finally:
            with self._cond:
                self._running = False
                self._cond.notify()

    def _ready_alone(self, request: _Request) -> bool:
        """Whether a request alone in an idle queue would be picked at once."""
        size, batchsize = request.size, self._batchsize
        return batchsize <= 0 or size == 0 or size >= batchsize or size >= self._minbatchsize

    def _enqueue(self, request: _Request) -> None:
        if self._closed:
            raise RuntimeError("the model's run queue is closed")
        self._queue.append(request)
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._work, name=f"redisai-batch:{self._name}", daemon=True
            )
            self._thread.start()
        self._cond.notify()

    def close(self) -> None:
        """Refuse new requests; queued ones still run (or time out) and then the thread ends."""
        with self._cond:
            self._closed = True
            self._cond.notify()

    # -- worker ---------------------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            with self._cond:
                group = self._next_group()
                if group is None:
                    return
                self._running = True
            try:
                self._run(group)
            finally:
                with self._cond:
                    self._running = False

    def _next_group(self) -> list[_Request] | None:
        """Block until a group may run (returned) or the thread should exit (``None``).

        One run at a time per model version (as RedisAI's one thread per queue): while a
        caller runs a request in its own thread, queued requests wait (and may time out).
        """
        while True:
            if self._running:
                self._cond.wait()
                continue
            if not self._queue:
                if self._closed or (not self._cond.wait(_IDLE_EXIT) and not self._queue):
                    self._thread = None
                    return None
                continue
            now = time.monotonic()
            self._expire(now)
            if not self._queue:
                continue
            group, wake_at = self._pick(now)
            if group:
                for request in group:
                    self._queue.remove(request)
                # Drop requests whose caller gave up (cancelled asyncio task) before running.
                live = [r for r in group if r.future.set_running_or_notify_cancel()]
                if live:
                    return live
                continue
            self._cond.wait(None if wake_at is None else max(0.0, wake_at - now))

    def _expire(self, now: float) -> None:
        """Drop requests whose caller gave up, and time out those queued past their TIMEOUT."""
        for request in list(self._queue):
            if request.future.cancelled():
                self._queue.remove(request)
            elif request.deadline is not None and now > request.deadline:
                self._queue.remove(request)
                if request.future.set_running_or_notify_cancel():
                    request.future.set_result(TIMEDOUT)

    def _pick(self, now: float) -> tuple[list[_Request] | None, float | None]:
        """The first group that may run now, else when to look again (``None``: on submit)."""
        deadlines = [r.deadline for r in self._queue if r.deadline is not None]
        wake_at = min(deadlines) if deadlines else None
        batchsize = self._batchsize
        if batchsize <= 0:
            return [self._queue[0]], None
        seen: set[tuple[Any, ...]] = set()
        for i, first in enumerate(self._queue):
            if first.size == 0 or first.size >= batchsize:
                return [first], None
            if first.signature in seen:
                continue
            seen.add(first.signature)
            group, total = [first], first.size
            for other in self._queue[i + 1 :]:
                if total >= batchsize:
                    break
                if other.signature == first.signature and 0 < other.size < batchsize:
                    group.append(other)
                    total += other.size
            if total >= self._minbatchsize:
                return group, None
            if self._minbatchtimeout > 0:
                release = first.queued + self._minbatchtimeout
                if now >= release:
                    return group, None
                wake_at = release if wake_at is None else min(wake_at, release)
        return None, wake_at

    def _run(self, group: list[_Request]) -> None:
        settle(self._outcomes(group))

    def _outcomes(self, group: list[_Request]) -> list[tuple[Waiter, Any, BaseException | None]]:
        """Run one group; ``(waiter, value, error)`` for each of its requests."""
        started = time.perf_counter()
        try:
            if len(group) == 1:
                inputs: Sequence[Array] = group[0].inputs
            else:
                count = len(group[0].inputs)
                inputs = [np.concatenate([r.inputs[i] for r in group]) for i in range(count)]
            outputs = self._runner(inputs)
        except RedisAIError as exc:
            self.runs += 1
            return [(r.future, None, type(exc)(exc.message)) for r in group]
        except Exception as exc:  # a bug or an unexpected backend failure: fail the callers
            self.runs += 1
            return [(r.future, None, ModelExecutionError(str(exc))) for r in group]
        duration = int((time.perf_counter() - started) * 1_000_000)
        self.runs += 1
        if len(group) == 1:
            return [(group[0].future, Outcome(outputs, duration), None)]
        total = sum(r.size for r in group)
        if any(o is not None and (o.ndim == 0 or o.shape[0] != total) for o in outputs):
            return [(r.future, None, ModelExecutionError(msg.BATCH_SIZE_MISMATCH)) for r in group]
        settled: list[tuple[Waiter, Any, BaseException | None]] = []
        offset = 0
        for request in group:
            end = offset + request.size
            sliced = [None if o is None else o[offset:end] for o in outputs]
            settled.append((request.future, Outcome(sliced, duration), None))
            offset = end
        return settled
