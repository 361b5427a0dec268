"""Auto-pipelining for threads: commands of concurrent callers share one round trip.

``CommandCombiner(client).execute(*args)`` behaves like ``client.execute_command(*args)``
(same response callbacks, same errors), but when several threads call it at about the same
time, their commands go out as one non-transactional pipeline: one write of all packed
commands on one connection, then all replies are read. Each caller still gets its own reply
or its own exception, and returns only once its command has completed, so per-caller order
and read-your-writes hold exactly as with plain calls.

Design: flat combining, with no thread of its own. An uncontended caller (nothing pending,
lock free) takes the combiner lock and runs its command at once. Otherwise a caller appends its slot to ``_pending`` and tries the
combiner lock without blocking. The winner (the leader) drains every pending
slot, runs them in one round trip, stores each reply or error in its slot and wakes its owner
by releasing the slot's pre-acquired ``threading.Lock`` (one cheap primitive per call). The
losers block on their slot lock. A slot lock is released exactly once per wake, and only by
the thread that holds the combiner lock, for a slot it has just removed from ``_pending`` (a
result) or for ``_pending[0]`` (a hand-off), so a double release cannot happen.

Why no wakeup is lost (the invariant: a slot in ``_pending`` is always eventually drained):
* The caller appends its slot (A) and then tries the lock (B). The holder, when it is done,
  first hands off if ``_pending`` is non-empty; otherwise it releases the lock (R) and looks
  at ``_pending`` again (C). If B failed, the lock was held at B, so A < B < R < C and the
  holder sees the slot at C; it then takes the lock back and hands off, or fails to because
  another thread holds it, and that thread runs the same check when it finishes. Every
  holder, leader or uncontended caller, ends with this check (``_unlock``, in a ``finally``).
* A hand-off transfers ownership of the combiner lock to the owner of ``_pending[0]`` (a
  ``threading.Lock`` may be released by any thread): the lock stays held, its slot lock is
  released with ``_LEAD`` recorded, and the woken owner drains ``_pending`` (its own slot
  included) as leader. So the combiner lock always has an owner who will run the check.
* Deadlock: a caller blocks only on its own slot lock, and never while it holds the
  combiner lock; the holder waits on nothing but the server (and the client's timeouts).
The leader hands off rather than running the next batch itself so that its own caller is
not delayed by commands queued after it. A failure of the whole round trip (a connection
error after the client's retries, or even ``KeyboardInterrupt``) reaches every slot of that
batch; the leader's ``finally`` always wakes them and passes the lock on. A waiter interrupted
by ``KeyboardInterrupt`` still takes its due wake-up and passes a handed lock on (``_wait``);
like any lock protocol in Python, an interrupt landing inside the bookkeeping itself is not
covered.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

import hiredis
import redis

# Re-exported so that async code under _async/ can write
# ``from .._autopipe import AsyncCommandCombiner`` and its generated sync twin reads
# ``from .._autopipe import CommandCombiner`` (unasync renames the class, not this module).
from ._autopipe_async import AsyncCommandCombiner
from ._resp_pack import packs_like_redis_py, plain_arguments

__all__ = ["AsyncCommandCombiner", "CommandCombiner"]

_WAITING, _DONE, _LEAD = 0, 1, 2


class _Slot:
    """One caller's command, its outcome and the lock its owner sleeps on."""

    __slots__ = ("args", "error", "options", "result", "state", "wake")

    def __init__(self, args: tuple[Any, ...], options: dict[str, Any]) -> None:
        self.args = args
        self.options = options
        self.result: Any = None
        self.error: BaseException | None = None
        self.state = _WAITING
        # Pre-acquired: the owner's acquire() blocks until a leader releases it.
        self.wake = threading.Lock()
        self.wake.acquire()

    def outcome(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.result


class CommandCombiner:
    """Combines the commands of concurrent threads into shared pipelines on one client.

    Args:
        client: The ``redis.Redis`` client to run commands on (its connection pool, retry
            configuration and response callbacks apply; RESP2 and RESP3 alike).

    Options that redis-py commands pass to ``execute_command`` (``keys=``, ``NEVER_DECODE``,
    ``EMPTY_RESPONSE``, callback options) are handled exactly as redis-py's own ``Pipeline``
    handles them. A client with client-side caching is refused, because pipelines bypass
    that cache and replies could then differ from ``execute_command``.
    """

    def __init__(self, client: redis.Redis) -> None:
        if getattr(client, "get_cache", lambda: None)() is not None:
            raise ValueError("CommandCombiner does not support clients with client-side caching")
        self._client = client
        # Response callbacks for the lean round trip; None: redis-py's pipeline only (not a
        # plain redis.Redis, or an encoding other than redis-py's default strict UTF-8).
        self._lean: Any = (
            client.response_callbacks
            if isinstance(client, redis.Redis) and packs_like_redis_py(client)
            else None
        )
        self._pending: deque[_Slot] = deque()
        self._lock = threading.Lock()
        #: Round trips made and commands sent (for benchmarks and tests; not thread-exact).
        self.round_trips = 0
        self.commands = 0

    @property
    def client(self) -> redis.Redis:
        """The wrapped client."""
        return self._client

    def close(self) -> None:
        """Nothing to release (the twin of :meth:`AsyncCommandCombiner.aclose`)."""

    def execute(self, *args: Any, **options: Any) -> Any:
        """Run one command, sharing the round trip with concurrent callers.

        Args:
            *args: The command and its arguments, as for ``Redis.execute_command``.
            **options: Options for the response callback, as for ``Redis.execute_command``.

        Returns:
            The reply, parsed by the client's response callback for the command.

        Raises:
            ValueError: No command was given.
            redis.ResponseError: The server refused this command (only this caller sees it).
            redis.RedisError: The round trip failed after the client's retries (every caller
                of the batch sees it); later calls reconnect as plain calls do.
        """
        if not args:
            raise ValueError("execute() needs a command")
        if not self._pending and self._lock.acquire(False):
            # Uncontended: run it at once (the lean way when it can, else as a plain call);
            # callers that arrive meanwhile queue, and _unlock() hands them the lock afterwards.
            try:
                if self._lean is not None and not options:
                    alone = _Slot(args, options)
                    if self._lean_run([alone]):
                        self.round_trips += 1
                        self.commands += 1
                        return alone.outcome()
                self.round_trips += 1
                self.commands += 1
                return self._client.execute_command(*args, **options)  # type: ignore[no-untyped-call]
            finally:
                self._unlock()
        slot = _Slot(args, options)
        self._pending.append(slot)
        if not self._lock.acquire(False):
            self._wait(slot)
            if slot.state == _DONE:
                return slot.outcome()
            # _LEAD: the previous holder handed the combiner lock over to us.
        if slot.state == _DONE:
            # A leader served us between our append and our acquire; pass the lock on.
            self._unlock()
        else:
            self._lead(slot)
        return slot.outcome()

    def _wait(self, slot: _Slot) -> None:
        """Sleep until a leader serves ``slot`` or hands it the lock.

        Raises:
            KeyboardInterrupt: The wait was interrupted (main thread). The protocol still owes
                this slot its wake-up and may hand it the combiner lock, so we take that first:
                a lock handed to a thread that left would strand every other caller.
        """
        try:
            slot.wake.acquire()
        except BaseException:
            slot.wake.acquire()  # short: a holder exists and will serve or hand over to us
            if slot.state == _LEAD:
                self._pending.remove(slot)  # never sent: dropped, as the caller gave up
                self._unlock()
            raise

    def _lead(self, own: _Slot) -> None:
        """Drain ``_pending`` (``own`` is in it) as one round trip; the caller holds the lock."""
        batch: list[_Slot] = []
        try:
            while self._pending:
                batch.append(self._pending.popleft())
            self._run(batch)
        except Exception as exc:
            # The round trip itself failed: every caller of the batch gets the error.
            for slot in batch:
                slot.error = exc
        except BaseException as exc:
            # KeyboardInterrupt and the like stay with the leader's own caller; the others
            # get a RedisError, since the shared connection was left in an unknown state.
            for slot in batch:
                slot.error = redis.ConnectionError("the shared round trip was interrupted")
                slot.error.__cause__ = exc
            own.error = exc
        finally:
            for slot in batch:
                slot.state = _DONE
                if slot is not own:
                    slot.wake.release()
            self._unlock()

    def _run(self, batch: list[_Slot]) -> None:
        """One round trip for ``batch``; each slot gets its reply or its own error."""
        self.round_trips += 1
        self.commands += len(batch)
        if self._lean is not None and self._lean_run(batch):
            return
        # redis-py's own path: anything the lean round trip does not take, or a retry of a
        # batch whose lean round trip failed (then possibly run twice, as redis-py's own retry
        # would run it).
        if len(batch) == 1:
            # Alone: exactly what a plain call costs, with no pipeline object.
            slot = batch[0]
            try:
                slot.result = self._client.execute_command(*slot.args, **slot.options)  # type: ignore[no-untyped-call]
            except Exception as exc:
                slot.error = exc
            return
        pipe = self._client.pipeline(transaction=False)
        for slot in batch:
            pipe.execute_command(*slot.args, **slot.options)  # type: ignore[no-untyped-call]
        try:
            # raise_on_error=False: a ResponseError is returned in the reply list
            # (unannotated, as a plain call would raise it) and belongs to its own caller.
            replies = pipe.execute(raise_on_error=False)
        except (UnicodeError, redis.DataError):
            # A command that cannot be encoded (e.g. a lone surrogate) stops the packing of
            # the whole pipeline before anything is sent: run them one by one, so that only
            # its own caller gets the error.
            for slot in batch:
                try:
                    slot.result = self._client.execute_command(*slot.args, **slot.options)  # type: ignore[no-untyped-call]
                except Exception as exc:
                    slot.error = exc
            return
        for slot, reply in zip(batch, replies, strict=True):
            if isinstance(reply, Exception):
                slot.error = reply
            else:
                slot.result = reply

    def _lean_run(self, batch: list[_Slot]) -> bool:
        """Run ``batch`` the lean way: one write of the commands packed by hiredis (the bytes
        redis-py's default strict UTF-8 encoder would send), replies read by the connection's
        own parser, each given the client's response callback as ``execute_command`` would.

        Returns ``False`` when the batch must go through redis-py instead: nothing was sent if
        a command has options or arguments other than ``str``/``bytes`` (numbers are formatted
        by redis-py); if the round trip itself failed, the connection was dropped and redis-py
        then runs the batch again under its retry policy. A command that cannot be encoded (a
        lone surrogate) fails alone and is not sent.
        """
        for slot in batch:
            if slot.options or not plain_arguments(slot.args):
                return False
        packed: list[bytes] = []
        for slot in batch:
            try:
                packed.append(hiredis.pack_command(slot.args))
            except UnicodeError as exc:
                slot.error = exc
        sending = [slot for slot in batch if slot.error is None]
        if not sending:
            return True
        pool = self._client.connection_pool
        conn: Any = pool.get_connection()
        try:
            conn.send_packed_command([b"".join(packed)], check_health=False)
            parser = conn._parser
            replies = [parser.read_response() for _ in sending]
            broken = any(
                isinstance(r, Exception) and not isinstance(r, redis.ResponseError) for r in replies
            )
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            broken = True
        except BaseException:
            conn.disconnect()
            pool.release(conn)
            raise
        if broken:  # the stream is in an unknown state: drop it, let redis-py retry
            conn.disconnect()
            pool.release(conn)
            return False
        pool.release(conn)
        callbacks = self._lean
        for slot, reply in zip(sending, replies, strict=True):
            if isinstance(reply, redis.ResponseError):
                slot.error = reply
            else:
                callback = callbacks.get(slot.args[0])
                slot.result = callback(reply) if callback is not None else reply
        return True

    def _unlock(self) -> None:
        """Pass the combiner lock on: hand it to a pending caller, or release it."""
        while True:
            if self._pending:
                head = self._pending[0]
                head.state = _LEAD
                head.wake.release()  # ownership of self._lock moves to head's thread
                return
            self._lock.release()
            # A caller may have appended after our check and failed to acquire before our
            # release: look again (see the module docstring).
            if not self._pending or not self._lock.acquire(False):
                return
