"""Auto-pipelining for asyncio: commands of concurrent tasks share one round trip.

``await AsyncCommandCombiner(client).execute(*args)`` behaves like
``await client.execute_command(*args)``, but commands that tasks issue while another round
trip is in flight are queued and go out together in the next one (one non-transactional
pipeline: one write, then all replies), as ioredis does. Each caller's awaitable resolves with
its own reply or its own exception, and only once its command has completed, so per-caller
order and read-your-writes hold.

Design ("in flight" flag, one round trip at a time):
* When nothing is in flight, the caller runs its command directly with
  ``client.execute_command`` (a lone caller pays what a plain call costs) and marks the
  combiner busy while it does.
* While busy, callers append ``(args, options, future)`` to ``_pending`` and await their
  future. Whoever ends a round trip (the direct caller, or the flusher) starts one flusher
  task if commands are pending; the flusher drains ``_pending`` into one pipeline and repeats
  until nothing is pending, then clears the flag. All of this happens between ``await``
  points, in one thread, so no check can race with an append.
* The flusher is a task of its own, not a caller: cancelling a caller cancels only its future
  (a command not yet sent is then dropped; one already sent completes and its reply is
  discarded), and never interrupts a pipeline halfway through its replies.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

import redis
import redis.asyncio

from ._resp_stream import RespStream

__all__ = ["AsyncCommandCombiner"]

_Entry = tuple[tuple[Any, ...], dict[str, Any], "asyncio.Future[Any]"]


class AsyncCommandCombiner:
    """Combines the commands of concurrent tasks into shared pipelines on one client.

    Args:
        client: The ``redis.asyncio.Redis`` client to run commands on (its pool, retry
            configuration and response callbacks apply; RESP2 and RESP3 alike).

    Options that redis-py commands pass to ``execute_command`` (``keys=``, ``NEVER_DECODE``,
    ``EMPTY_RESPONSE``, callback options) are handled as redis-py's own ``Pipeline`` does.
    Use one combiner per event loop.
    """

    def __init__(self, client: redis.asyncio.Redis) -> None:
        self._client = client
        # Option-less commands of str/bytes arguments stream on one connection with many round
        # trips in flight (``_resp_stream.py``); the others share redis-py pipelines here.
        self._stream = RespStream.create(client)
        self._pending: deque[_Entry] = deque()
        self._busy = False
        self._flusher: asyncio.Task[None] | None = None
        self._round_trips = 0
        self._commands = 0

    @property
    def round_trips(self) -> int:
        """Writes made so far (a write may carry many commands); for benchmarks and tests."""
        return self._round_trips + (self._stream.writes if self._stream is not None else 0)

    @property
    def commands(self) -> int:
        """Commands sent so far; for benchmarks and tests."""
        return self._commands + (self._stream.commands if self._stream is not None else 0)

    @property
    def client(self) -> redis.asyncio.Redis:
        """The wrapped client."""
        return self._client

    async def execute(self, *args: Any, **options: Any) -> Any:
        """Run one command, sharing the round trip with concurrent tasks.

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
        stream = self._stream
        if stream is not None and not options and stream.accepts(args):
            return await stream.execute(args)
        if not self._busy:
            self._busy = True
            self._round_trips += 1
            self._commands += 1
            try:
                return await self._client.execute_command(*args, **options)  # type: ignore[no-untyped-call]
            finally:
                self._after_round_trip()
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending.append((args, options, future))
        return await future

    async def _through_redis_py(self, batch: list[_Entry]) -> list[Any]:
        """One round trip through redis-py (its retry policy applies); errors in the list."""
        if len(batch) == 1:
            args, options, _ = batch[0]
            try:
                return [await self._client.execute_command(*args, **options)]  # type: ignore[no-untyped-call]
            except redis.ResponseError as exc:
                return [exc]
        pipe = self._client.pipeline(transaction=False)
        for args, options, _ in batch:
            pipe.execute_command(*args, **options)
        try:
            # raise_on_error=False: a ResponseError comes back in the list, unannotated, as
            # a plain call would raise it, and belongs to its own caller only.
            replies: list[Any] = await pipe.execute(raise_on_error=False)
        except (UnicodeError, redis.DataError):
            # A command that cannot be encoded stops the packing of the whole pipeline before
            # anything is sent: run them one by one, so only its own caller gets the error.
            replies = []
            for args, options, _ in batch:
                try:
                    replies.append(await self._client.execute_command(*args, **options))  # type: ignore[no-untyped-call]
                except Exception as exc:
                    replies.append(exc)
        return replies

    async def aclose(self) -> None:
        """Give the stream's connection back to the client's pool."""
        if self._stream is not None:
            await self._stream.aclose()

    def _after_round_trip(self) -> None:
        """Start the flusher for commands queued meanwhile, or mark the combiner idle."""
        if self._pending:
            self._flusher = asyncio.get_running_loop().create_task(self._flush())
        else:
            self._busy = False

    async def _flush(self) -> None:
        """Send the queued commands, batch after batch, until none is left."""
        try:
            while self._pending:
                batch = [entry for entry in self._drain() if not entry[2].done()]
                if batch:
                    await self._run(batch)
        finally:
            self._flusher = None
            # Cancelled (loop shutdown): fail whatever is still queued rather than hang it.
            for _, _, future in self._drain():
                future.cancel()
            self._busy = False

    def _drain(self) -> list[_Entry]:
        batch = list(self._pending)
        self._pending.clear()
        return batch

    async def _run(self, batch: list[_Entry]) -> None:
        """One round trip for ``batch``; each future gets its reply or its own error."""
        self._round_trips += 1
        self._commands += len(batch)
        try:
            replies = await self._through_redis_py(batch)
        except Exception as exc:
            # The round trip itself failed: every caller of the batch gets the error.
            for _, _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        except BaseException:
            for _, _, future in batch:
                future.cancel()
            raise
        for (_, _, future), reply in zip(batch, replies, strict=True):
            if future.done():  # its caller was cancelled after the command was sent
                continue
            if isinstance(reply, Exception):
                future.set_exception(reply)
            else:
                future.set_result(reply)
