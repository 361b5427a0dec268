"""Continuous auto-pipelining for asyncio: many round trips in flight on one connection.

redis-py's asyncio client spends 30-60 us of Python per command even in a pipeline (command
stack, a timeout per read, health checks), and a pipeline waits for all its replies before
the next one may go. On the hosted RedisAI executor's keyspace path (four commands per request)
that was most of the time. :class:`RespStream` keeps one connection of the client's own pool
(connected, authenticated and configured by redis-py: TLS, ACL user, RESP version, client name)
and works as ioredis' auto-pipelining does:

* a command is packed at once (hiredis' C packer) and queued; all commands queued during one
  turn of the event loop go out in one write, whether or not earlier writes were answered;
* one reader task reads replies in order through the connection's own parser (hiredis) and
  hands each to its caller, with the client's response callback applied as
  ``execute_command`` would apply it; a server error reply goes to its caller only.

Only commands whose arguments are all ``str`` or ``bytes`` go this way (the packer encodes
``str`` as strict UTF-8, redis-py's default; numbers would be formatted differently), and only
for clients with that default encoding; :meth:`RespStream.accepts` says which. A command that
cannot be encoded (a lone surrogate) fails alone, before anything is sent. When the connection
fails or a reply is late (the client's ``socket_timeout``), the connection is dropped and every
command still waiting is run again through ``execute_command``, whose retry policy and errors
apply: a command may then run twice, as it may with redis-py's own retry. Needs redis-py's
asyncio connection internals (``_parser``, ``_writer``); :meth:`RespStream.create` returns
``None`` for anything but a plain asyncio client. Use one stream per event loop.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

import hiredis
import redis.asyncio
from redis._parsers.hiredis import NOT_ENOUGH_DATA as _NOT_ENOUGH_DATA
from redis._parsers.hiredis import _AsyncHiredisParser
from redis.exceptions import ConnectionError, ResponseError

from ._resp_pack import may_keep_a_connection, packs_like_redis_py, plain_arguments

__all__ = ["RespStream"]

_Entry = tuple[tuple[Any, ...], bytes, "asyncio.Future[Any]"]
_PUSH: type | None = getattr(hiredis, "PushNotification", None)


def _buffered_reader(parser: Any) -> Any:
    """The hiredis reader behind redis-py's asyncio hiredis parser, or ``None`` for another
    parser (then every reply goes through ``read_response``)."""
    if not isinstance(parser, _AsyncHiredisParser):
        return None
    reader = getattr(parser, "_reader", None)
    return reader if hasattr(reader, "gets") else None


def _plain_reply(reply: Any) -> bool:
    """Whether a reply from the hiredis reader needs none of ``read_response``'s handling
    (a push message, or a list whose first element is a connection error)."""
    if _PUSH is not None and isinstance(reply, _PUSH):
        return False
    return not (isinstance(reply, list) and reply and isinstance(reply[0], ConnectionError))


class _Retry(Exception):
    """The connection failed before this command's reply: run it through redis-py."""


class RespStream:
    """One pooled connection, commands written as they come, replies read in order."""

    def __init__(self, client: redis.asyncio.Redis) -> None:
        self._client = client
        self._callbacks = client.response_callbacks
        self._usable = packs_like_redis_py(client)
        self._conn: Any = None
        self._lock = asyncio.Lock()
        self._outbox: list[_Entry] = []
        self._inflight: deque[_Entry] = deque()
        self._write_scheduled = False
        self._reader: asyncio.Task[None] | None = None
        self._reader_failed = False  # while the failed connection is being closed
        #: Writes made and commands sent (for benchmarks and tests).
        self.writes = 0
        self.commands = 0

    @classmethod
    def create(cls, client: Any) -> RespStream | None:
        """A stream for ``client``, or ``None`` when it is not a plain asyncio client or its pool
        is too small to spare the stream a connection (``_resp_pack.may_keep_a_connection``)."""
        if not isinstance(client, redis.asyncio.Redis) or not may_keep_a_connection(client):
            return None
        return cls(client)

    def accepts(self, args: tuple[Any, ...]) -> bool:
        """Whether this command can take the stream (all arguments ``str`` or ``bytes``)."""
        return self._usable and plain_arguments(args)

    async def execute(self, args: tuple[Any, ...]) -> Any:
        """Run one command (see :meth:`accepts`); its reply, as ``execute_command`` gives it.

        Raises:
            UnicodeEncodeError: an argument cannot be encoded; nothing was sent.
            redis.ResponseError: the server refused this command.
            redis.RedisError: the connection failed and redis-py's retries did too.
        """
        data: bytes = hiredis.pack_command(args)  # raises before anything is queued
        conn = self._conn
        if conn is None or not conn.is_connected:
            try:
                conn = await self._connection()
            except (redis.ConnectionError, redis.TimeoutError, OSError):
                # Down: redis-py's own path retries with backoff, then raises its error.
                return await self._client.execute_command(*args)  # type: ignore[no-untyped-call]
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._outbox.append((args, data, future))
        if not self._write_scheduled:
            self._write_scheduled = True
            loop.call_soon(self._write, conn)
        try:
            return await future
        except _Retry:
            return await self._client.execute_command(*args)  # type: ignore[no-untyped-call]

    async def _connection(self) -> Any:
        """The stream's connection, connected (taken from the pool once, reconnected after a
        failure by redis-py itself: handshake, AUTH, HELLO and client name included)."""
        async with self._lock:
            if self._conn is None:
                conn = await self._client.connection_pool.get_connection()  # type: ignore[no-untyped-call]
                if not hasattr(conn, "_parser") or not hasattr(conn, "_writer"):
                    await self._client.connection_pool.release(conn)
                    raise redis.ConnectionError("this redis-py connection cannot be streamed")
                self._conn = conn
            if not self._conn.is_connected:
                await self._conn.connect()
            return self._conn

    def _write(self, conn: Any) -> None:
        """Send everything queued during this turn of the loop in one write."""
        self._write_scheduled = False
        batch = [entry for entry in self._outbox if not entry[2].done()]
        self._outbox = []
        if not batch:
            return
        if not conn.is_connected or conn._writer is None or self._reader_failed:
            for _, _, future in batch:
                future.set_exception(_Retry())
            return
        try:
            conn._writer.write(b"".join([data for _, data, _ in batch]))
        except Exception:
            for _, _, future in batch:
                future.set_exception(_Retry())
            self._fail_waiting()
            return
        self.writes += 1
        self.commands += len(batch)
        self._inflight.extend(batch)
        if self._reader is None:
            self._reader = asyncio.get_running_loop().create_task(self._read(conn))

    async def _read(self, conn: Any) -> None:
        """Hand replies to their callers in order while any command is waiting.

        Replies already buffered are taken straight from the hiredis reader; only a read that
        must wait for the socket goes through the parser with a timer (the client's
        ``socket_timeout``), so one timer covers a whole batch of replies.
        """
        loop = asyncio.get_running_loop()
        parser = conn._parser
        timeout = conn.socket_timeout
        callbacks = self._callbacks
        task = asyncio.current_task()
        buffered = _buffered_reader(parser)
        try:
            while self._inflight:
                reply = _NOT_ENOUGH_DATA if buffered is None else buffered.gets()
                if reply is _NOT_ENOUGH_DATA:
                    late = loop.call_later(timeout, task.cancel) if timeout and task else None
                    try:
                        reply = await parser.read_response()
                    finally:
                        if late is not None:
                            late.cancel()
                elif not _plain_reply(reply):
                    # A push message, or a connection error inside a reply: what the parser's
                    # own read_response does with them (handle, or raise).
                    if isinstance(reply, list):
                        reply = reply[0]
                    if not isinstance(reply, Exception):
                        await parser.handle_push_response(reply)
                        continue
                args, _, future = self._inflight.popleft()
                if isinstance(reply, ResponseError):
                    if not future.done():
                        future.set_exception(reply)
                    continue
                if isinstance(reply, Exception):  # a ConnectionError object from the parser
                    self._inflight.appendleft((args, b"", future))
                    raise reply
                if not future.done():  # its caller may have been cancelled meanwhile
                    callback = callbacks.get(args[0])
                    future.set_result(callback(reply) if callback is not None else reply)
        except (Exception, asyncio.CancelledError):
            # Connection lost, or a reply later than socket_timeout (the timer cancelled us):
            # the stream is in an unknown state. Callers still waiting go through redis-py,
            # and the connection is reconnected (by redis-py) on the next use.
            self._reader_failed = True
            self._fail_waiting()
            await conn.disconnect(nowait=True)
            self._reader_failed = False
        finally:
            self._reader = None

    def _fail_waiting(self) -> None:
        """Every command sent or queued is retried through redis-py by its caller."""
        waiting = [*self._inflight, *self._outbox]
        self._inflight.clear()
        self._outbox = []
        for _, _, future in waiting:
            if not future.done():
                future.set_exception(_Retry())

    async def aclose(self) -> None:
        """Stop reading and give the connection back to the client's pool."""
        reader = self._reader
        if reader is not None:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
        conn, self._conn = self._conn, None
        self._fail_waiting()
        if conn is not None:
            await self._client.connection_pool.release(conn)
