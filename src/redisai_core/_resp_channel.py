"""A lean asyncio round trip for a batch of plain commands, on one connection held for it.

redis-py's asyncio client spends 30-60 us of Python per command even in a pipeline (command
stack, per-read timeouts, health checks, callbacks looked up per command); on the hosted RedisAI
executor's keyspace path that was most of the time. :class:`RespChannel` keeps one connection
of the client's own pool (connected, authenticated and configured by redis-py: TLS, ACL user,
RESP version, client name) and runs a batch with one write of the commands packed by that
connection's packer (hiredis when installed) and one read loop through that connection's own
reply parser, under a single timeout for the whole batch.

Only commands without options go this way; the reply gets the client's response callback for
the command, as ``execute_command`` would apply it. A failure of the round trip itself
(connection lost, timeout) disconnects the connection (redis-py reconnects it on the next use)
and raises; the caller then re-runs the batch through redis-py, whose retry policy applies.
Needs redis-py's asyncio connection internals (``_parser``); :meth:`RespChannel.create`
returns ``None`` when they are missing, and callers keep using redis-py's pipeline.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import hiredis
import redis.asyncio
from redis.exceptions import ResponseError

__all__ = ["RespChannel", "Unsupported"]


class Unsupported(Exception):
    """This batch cannot take the lean path; send it through redis-py instead."""


class RespChannel:
    """One pooled connection used for lean batched round trips (asyncio, one event loop)."""

    def __init__(self, client: redis.asyncio.Redis) -> None:
        self._client = client
        self._callbacks = client.response_callbacks
        self._conn: Any = None
        kwargs = client.connection_pool.connection_kwargs
        # hiredis' packer encodes str as strict UTF-8, which is what redis-py's default
        # encoder does; a client set up with another encoding keeps redis-py's path.
        encoding = str(kwargs.get("encoding", "utf-8")).lower().replace("_", "-")
        self._fast_pack = encoding in ("utf-8", "utf8") and (
            kwargs.get("encoding_errors", "strict") == "strict"
        )

    @classmethod
    def create(cls, client: Any) -> RespChannel | None:
        """A channel for ``client``, or ``None`` when it is not a plain asyncio client."""
        pool = getattr(client, "connection_pool", None)
        if not isinstance(client, redis.asyncio.Redis) or pool is None:
            return None
        return cls(client)

    async def _connection(self) -> Any:
        if self._conn is None:
            conn = await self._client.connection_pool.get_connection()  # type: ignore[no-untyped-call]
            if not hasattr(conn, "_parser") or not hasattr(conn._parser, "read_response"):
                await self._client.connection_pool.release(conn)
                raise NotImplementedError("this redis-py connection has no reply parser")
            self._conn = conn
        return self._conn

    async def run(self, commands: Sequence[tuple[Any, ...]]) -> list[Any]:
        """Send ``commands`` in one write and read their replies in order.

        Returns:
            One entry per command: its reply after the response callback, or the exception
            that belongs to that command alone (returned, not raised): the
            :class:`ResponseError` the server answered, or the error that kept it from being
            encoded (e.g. ``UnicodeEncodeError``; that command is not sent).

        Raises:
            Unsupported: a command cannot take this path (nothing was sent).
            redis.ConnectionError, redis.TimeoutError, OSError: the round trip failed; the
                connection was dropped and some commands may have been applied.
            NotImplementedError: redis-py's internals differ (never after a first success).
        """
        packed = [self._pack_one(command) for command in commands]
        sent = [i for i, data in enumerate(packed) if isinstance(data, bytes)]
        out: list[Any] = list(packed)  # encoding errors stay in place
        if not sent:
            return out
        conn = await self._connection()
        try:
            if not conn.is_connected:
                await conn.connect()
            data = b"".join([item for item in packed if isinstance(item, bytes)])
            trip = self._trip(conn, data, len(sent))
            if conn.socket_timeout:  # one timeout for the batch, not one per command
                replies = await asyncio.wait_for(trip, conn.socket_timeout)
            else:
                replies = await trip
        except BaseException:
            # The stream may hold half a reply: never reuse it as it is.
            await conn.disconnect(nowait=True)
            raise
        callbacks = self._callbacks
        for i, reply in zip(sent, replies, strict=True):
            if isinstance(reply, ResponseError):
                out[i] = reply
                continue
            if isinstance(reply, Exception):  # a ConnectionError object from the parser
                await conn.disconnect(nowait=True)
                raise reply
            callback = callbacks.get(commands[i][0])
            out[i] = callback(reply) if callback is not None else reply
        return out

    @staticmethod
    async def _trip(conn: Any, data: bytes, count: int) -> list[Any]:
        writer = conn._writer
        writer.write(data)
        await writer.drain()
        parser = conn._parser
        return [await parser.read_response() for _ in range(count)]

    def _pack_one(self, command: tuple[Any, ...]) -> bytes | Exception:
        """One command in RESP (hiredis' C packer), or the error that keeps it from being
        encoded (a lone surrogate in a str).

        Raises:
            Unsupported: an argument is neither str nor bytes (redis-py's encoder formats
                numbers its own way), or the client uses another encoding.
        """
        if not self._fast_pack or not all(type(arg) in (str, bytes) for arg in command):
            raise Unsupported("only str and bytes arguments, encoded as UTF-8, go this way")
        try:
            data: bytes = hiredis.pack_command(command)
        except UnicodeError as exc:
            return exc
        return data

    async def aclose(self) -> None:
        """Give the connection back to the client's pool."""
        conn, self._conn = self._conn, None
        if conn is not None:
            await self._client.connection_pool.release(conn)
