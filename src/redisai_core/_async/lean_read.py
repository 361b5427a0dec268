"""One read-only command, the lean way: packed by hiredis, sent and read on a pooled connection.

``execute_command`` costs redis-py about 25 us of Python per call on this project's machine
(command packing in Python, the retry wrapper, observability hooks): for a top-4 vector search
whose server time is 0.15-0.25 ms that is a tenth of the whole. :func:`async_execute_read`
packs the command with hiredis' C packer (the bytes redis-py sends, see ``_resp_pack.py``),
sends it on a connection of the client's own pool (connected, authenticated and configured by
redis-py) and reads the reply through that connection's parser. Only for commands that are
safe to run twice: when the connection fails, it is dropped and the command runs again through
``execute_command``, whose retry policy and errors apply.

:class:`AsyncLeanReader` goes one step further for an owner that reads often (a vector
index): it keeps one connection of the pool for itself, which spares the pool's bookkeeping
and its check of every lent connection (a ``poll`` system call), about 20 us a search here.
Whoever finds that connection busy (another thread or task mid-command) takes the pool path.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import Any

import hiredis
import redis.asyncio
from redis.exceptions import ConnectionError as _RedisConnectionError
from redis.exceptions import TimeoutError as _RedisTimeoutError

from .._resp_pack import may_keep_a_connection, packs_like_redis_py, plain_arguments

__all__ = ["AsyncLeanReader", "async_execute_read", "can_read_lean"]

_CONNECTION_FAILURES = (_RedisConnectionError, _RedisTimeoutError, OSError)
_DROPPED: Any = object()  # the connection failed: run the command through redis-py instead


def can_read_lean(client: object) -> bool:
    """Whether ``client`` may take :func:`async_execute_read`'s lean path at all: a plain
    (non-cluster) client whose encoding is redis-py's default strict UTF-8."""
    return isinstance(client, redis.asyncio.Redis) and packs_like_redis_py(client)


async def async_execute_read(
    client: redis.asyncio.Redis, args: Sequence[str | bytes], *, lean: bool = True
) -> Any:
    """Run one read-only command; its reply as ``client.execute_command(*args)`` gives it.

    ``lean`` is :func:`can_read_lean` of the client (computed once by the caller); commands
    with arguments other than ``str``/``bytes`` go through ``execute_command`` as well.

    Raises:
        redis.ResponseError: the server refused the command.
        redis.RedisError: the connection failed and ``execute_command``'s retries did too.
        UnicodeEncodeError: a ``str`` argument is not valid Unicode; nothing was sent.
    """
    if not lean or not plain_arguments(args):
        return await client.execute_command(*args)  # type: ignore[no-untyped-call]
    packed = hiredis.pack_command(tuple(args))  # type: ignore[arg-type]
    pool: Any = client.connection_pool
    try:
        conn: Any = await pool.get_connection()
    except _CONNECTION_FAILURES:
        return await client.execute_command(*args)  # type: ignore[no-untyped-call]
    try:
        reply = await _async_exchange(client, conn, args, packed)
    finally:
        await pool.release(conn)
    if reply is _DROPPED:  # the connection is back in the pool before redis-py needs one
        return await client.execute_command(*args)  # type: ignore[no-untyped-call]
    return reply


async def _async_exchange(
    client: redis.asyncio.Redis, conn: Any, args: Sequence[str | bytes], packed: bytes
) -> Any:
    """Send ``packed`` on ``conn`` and read its reply, as ``execute_command`` would give it.

    An error reply is raised with the connection in step. A failed connection is dropped
    (redis-py reconnects it on its next use) and :data:`_DROPPED` returned: the caller runs the
    command again through ``execute_command``. An interruption mid-reply drops it too, and is
    raised.
    """
    try:
        if not conn.is_connected:
            await conn.connect()
        await conn.send_packed_command([packed])
        reply = await conn.read_response()
    except redis.ResponseError:
        raise
    except _CONNECTION_FAILURES:
        await conn.disconnect()
        return _DROPPED
    except BaseException:
        await conn.disconnect()  # out of step with the server
        raise
    callbacks: Any = client.response_callbacks
    callback = callbacks.get(args[0])
    return callback(reply) if callback is not None else reply


class AsyncLeanReader:
    """Read-only commands on a connection of ``client``'s pool kept for this reader.

    Args:
        client: the client whose pool, retry policy and response callbacks apply.

    The kept connection goes back to the pool on :meth:`aclose` (at the end of the command it
    carries, if any); commands after that take the pool path. From a pool too small to spare
    it (under ``_resp_pack.KEEP_MIN_POOL`` connections) nothing is kept: every command borrows
    one. A process forked while it was kept forgets it (the parent still uses that socket) and
    takes another.
    """

    def __init__(self, client: redis.asyncio.Redis) -> None:
        self._client = client
        self._lean = can_read_lean(client)
        self._keep = self._lean and may_keep_a_connection(client)
        self._conn: Any = None
        self._pid = 0
        # Held while the kept connection carries a command. A thread lock, acquired without
        # blocking only: in asyncio code it just tells a second task to take the pool path.
        self._busy = threading.Lock()
        self._closed = False

    @property
    def closed(self) -> bool:
        """Whether :meth:`aclose` was called (later commands take the pool path)."""
        return self._closed

    async def execute(self, args: Sequence[str | bytes]) -> Any:
        """Run one read-only command; its reply as ``execute_command`` gives it.

        Raises:
            redis.ResponseError: the server refused the command.
            redis.RedisError: the connection failed and ``execute_command``'s retries did too.
            UnicodeEncodeError: a ``str`` argument is not valid Unicode; nothing was sent.
        """
        client = self._client
        if (
            self._closed
            or not self._keep
            or not plain_arguments(args)
            or not self._busy.acquire(False)
        ):
            return await async_execute_read(client, args, lean=self._lean)
        try:
            packed = hiredis.pack_command(tuple(args))  # type: ignore[arg-type]
            conn = self._conn
            if conn is None or self._pid != os.getpid():
                try:
                    pool: Any = client.connection_pool
                    conn = self._conn = await pool.get_connection()
                except _CONNECTION_FAILURES:
                    return await client.execute_command(*args)  # type: ignore[no-untyped-call]
                self._pid = os.getpid()
            reply = await _async_exchange(client, conn, args, packed)
        finally:
            if self.closed:  # closed meanwhile: the connection goes back now
                await self._give_back()
            self._busy.release()
        if reply is _DROPPED:
            return await client.execute_command(*args)  # type: ignore[no-untyped-call]
        return reply

    async def aclose(self) -> None:
        """Give the kept connection back to the pool (never waits for a command in flight: that
        command gives it back when it ends)."""
        self._closed = True
        if self._busy.acquire(False):
            try:
                await self._give_back()
            finally:
                self._busy.release()

    async def _give_back(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and self._pid == os.getpid():
            await self._client.connection_pool.release(conn)
