"""Chat histories: one Redis LIST per session, atomic batched writes, a session index. Plain Redis.

Messages are opaque bytes here; the framework skins serialize them. Every write is one round
trip, all or nothing: a Lua script that also trims to the maximum length, refreshes the
session's TTL and keeps the session index right, or, for an append to a running session of a
history with neither TTL nor maximum length, a single ``RPUSHX`` (which is all such an append
changes). Every read is one command (``LRANGE 0 -1`` for a whole history). Key layout and
scripts: :mod:`redisai_core.history_record`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any, cast

import redis.asyncio
from redis.exceptions import NoScriptError, RedisError

from .._cluster_support import decodes_responses, slot_space
from ..connection import get_async_client
from ..errors import ConfigError, map_redis_errors
from ..history_record import (
    LIST_SESSIONS,
    HistoryKeys,
    HistoryOptions,
    LuaScript,
    history_scripts,
    new_tombstone,
    session_error,
    session_errors,
)
from ..keys import KeySpace

__all__ = ["AsyncChatHistory"]

_BATCH = 500


def _check_values(values: Sequence[bytes]) -> Sequence[bytes]:
    if all(type(value) is bytes for value in values):  # the usual case, checked cheaply
        return values
    out = []
    for value in values:
        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise TypeError(f"messages must be bytes, got {type(value).__name__}")
        out.append(bytes(value))
    return out


def _check_session(session_id: str) -> None:
    if not isinstance(session_id, str) or not session_id:
        raise ConfigError(f"a session id must be a non-empty str, got {session_id!r}")
    if not session_id.isascii():  # the cheap common case skips the encode
        # redis-py sends keys as strict UTF-8: refuse a lone surrogate here, before any write.
        try:
            session_id.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ConfigError(f"session id {session_id!r} is not valid Unicode") from exc


class AsyncChatHistory:
    """Chat sessions under ``prefix``: each a list of messages (bytes), oldest first.

    Args:
        redis_url: Redis URL; with neither this nor ``redis_client``, ``REDIS_URL`` or the
            embedded server is used.
        redis_client: a client to use instead of building one (``decode_responses=False``).
            With a cluster client the key space is hash-tagged (``{prefix}:...``) unless the
            prefix holds a tag already: the scripts touch a session and the history's session
            index together, so one history lives in one slot.
        prefix: key prefix of this history.
        ttl: seconds a session lives after its last write (the whole session: messages,
            archive and index entry); ``None`` keeps sessions until deleted.
        max_length: most messages kept per session; older ones are dropped on write.
        skin: the framework using the history, announced to the server.

    Raises:
        ConfigError: bad prefix, TTL or maximum length, or both a URL and a client.
    """

    def __init__(
        self,
        redis_url: str | None = None,
        redis_client: redis.asyncio.Redis | redis.asyncio.RedisCluster | None = None,
        *,
        prefix: str = "redisai:history",
        ttl: float | None = None,
        max_length: int | None = None,
        skin: str | None = None,
    ) -> None:
        self.options = HistoryOptions(ttl=ttl, max_length=max_length)
        self._redis = get_async_client(redis_url, redis_client, skin=skin)
        self.keys = HistoryKeys(slot_space(self._redis, KeySpace(prefix)))
        if decodes_responses(self._redis):
            raise ConfigError(
                "chat histories keep bytes: pass a client with decode_responses=False"
            )
        self._owns_client = redis_client is None
        self._index = self.keys.index
        ttl_ms, cap = self.options.ttl_ms, self.options.max_length or 0
        # The cap applies to the active messages; the archive is their overflow.
        self._scripts = history_scripts(ttl_ms, cap, self.keys.head_length)
        self._archive_scripts = history_scripts(ttl_ms, 0, self.keys.head_length)
        self._plain_append = self.options.ttl is None and self.options.max_length is None

    @property
    def redis(self) -> redis.asyncio.Redis:
        """The underlying client."""
        return self._redis

    @property
    def prefix(self) -> str:
        return self.keys.space.prefix

    def _script_keys(self, session_id: str, archive: bool) -> list[str]:
        _check_session(session_id)
        active, archived = self.keys.messages(session_id), self.keys.archive(session_id)
        first, second = (archived, active) if archive else (active, archived)
        return [first, second, self._index]

    async def _eval(
        self, script: LuaScript, session_id: str, keys: list[str], args: Sequence[Any]
    ) -> Any:
        # EVALSHA directly, with errors mapped here rather than by redis-py's Script wrapper
        # and context managers: their per-call work is a measurable share of an append, which
        # is benchmarked against a plain RPUSH.
        try:
            try:
                return await self._redis.evalsha(script.sha, len(keys), *keys, *args)
            except NoScriptError:
                # first use on this server (or after SCRIPT FLUSH): load it, then run it
                await self._redis.script_load(script.source)
                return await self._redis.evalsha(script.sha, len(keys), *keys, *args)
        except RedisError as exc:
            raise session_error(session_id, exc) from exc

    # writes

    async def append(
        self, session_id: str, values: Sequence[bytes], *, archive: bool = False
    ) -> int:
        """Append ``values`` at once (all or none), trim, refresh the TTL; the new length.

        Args:
            session_id: the session.
            values: serialized messages, oldest first.
            archive: append to the session's archive instead of its active messages.

        Delivery is at least once: when the connection drops after Redis applied the append but
        before its reply arrived, the client's retry sends it again, so the batch can then be
        stored twice (seen once in 18 runs of the SIGKILL test in ``test_faults.py``).

        Raises:
            TypeError: a value is not bytes; nothing is written.
            ConfigError: the session id is empty, not a str, or not valid Unicode.
            CorruptDataError: the session's key holds another type of value.
        """
        batch = _check_values(values)
        keys = self._script_keys(session_id, archive)
        if not batch:
            return await self.length(session_id, archive=archive)
        if self._plain_append or (archive and self.options.ttl is None):
            # Without a TTL or a cap, appending to a running session changes nothing but its
            # list (its index entry exists and keeps its score): one RPUSHX, atomic for the
            # batch, that pushes only if the list exists. A new session takes the script.
            try:
                length = int(await self._redis.rpushx(keys[0], *batch))  # type: ignore[arg-type]
            except RedisError as exc:
                raise session_error(session_id, exc) from exc
            if length:
                return length
        scripts = self._archive_scripts if archive else self._scripts
        return int(await self._eval(scripts.append, session_id, keys, batch))

    async def replace(
        self,
        session_id: str,
        values: Sequence[bytes],
        *,
        archive: bool = False,
        whole_session: bool = False,
    ) -> int:
        """Replace the session's messages (or archive) with ``values`` atomically; the length.

        Args:
            session_id: the session.
            values: serialized messages, oldest first.
            archive: replace the archive instead of the active messages.
            whole_session: empty the other list (archive or active messages) too.

        Raises:
            TypeError: a value is not bytes; nothing is written.
        """
        batch = _check_values(values)
        keys = self._script_keys(session_id, archive)
        scripts = self._archive_scripts if archive else self._scripts
        args = ["1" if whole_session else "0", *batch]
        return int(await self._eval(scripts.replace, session_id, keys, args))

    async def delete_at(self, session_id: str, position: int) -> bytes | None:
        """Remove the message at ``position`` (negative counts from the end), keeping order.

        Returns:
            The removed message, or ``None`` when there is no such position.
        """
        if isinstance(position, bool) or not isinstance(position, int):
            raise TypeError(f"position must be an int, got {type(position).__name__}")
        keys = self._script_keys(session_id, False)
        args = [position, new_tombstone()]
        value: bytes | None = await self._eval(self._scripts.delete_at, session_id, keys, args)
        return value

    async def pop_last(self, session_id: str) -> bytes | None:
        """Remove and return the newest message, or ``None`` when the session is empty."""
        keys = self._script_keys(session_id, False)
        value: bytes | None = await self._eval(self._scripts.pop_last, session_id, keys, [])
        return value

    async def pop_oldest(self, session_id: str, n: int) -> list[bytes]:
        """Remove and return the oldest ``n`` messages (fewer when the session is shorter)."""
        if n <= 0:
            return []
        keys = self._script_keys(session_id, False)
        return list(await self._eval(self._scripts.pop_oldest, session_id, keys, [n]))

    async def archive_oldest(self, session_id: str, n: int) -> list[bytes]:
        """Move the oldest ``n`` messages to the session's archive atomically; return them."""
        if n <= 0:
            return []
        keys = self._script_keys(session_id, False)
        return list(await self._eval(self._scripts.archive_oldest, session_id, keys, [n]))

    async def delete_messages(self, session_id: str, *, archive: bool = False) -> bool:
        """Delete the session's active messages (or its archive only); whether any existed."""
        keys = self._script_keys(session_id, archive)
        return int(await self._eval(self._scripts.delete, session_id, keys, ["0"])) > 0

    async def delete(self, session_id: str) -> bool:
        """Delete the whole session (messages, archive, index entry); whether it existed."""
        keys = self._script_keys(session_id, False)
        return int(await self._eval(self._scripts.delete, session_id, keys, ["1"])) > 0

    # reads: one command each

    async def read(
        self, session_id: str, start: int = 0, stop: int = -1, *, archive: bool = False
    ) -> list[bytes]:
        """Messages ``start..stop`` (inclusive, ``LRANGE`` semantics), oldest first.

        The default reads the whole history in one round trip.
        """
        key = self._script_keys(session_id, archive)[0]
        with session_errors(session_id):
            return cast("list[bytes]", await self._redis.lrange(key, start, stop))

    async def read_with_archive(self, session_id: str) -> tuple[list[bytes], list[bytes]]:
        """``(archived, active)`` messages of a session, both read in one round trip."""
        active, archived, _ = self._script_keys(session_id, False)
        pipe = self._redis.pipeline(transaction=True)
        pipe.lrange(archived, 0, -1)
        pipe.lrange(active, 0, -1)
        with session_errors(session_id):
            old, new = await pipe.execute()
        return list(old), list(new)

    async def length(self, session_id: str, *, archive: bool = False) -> int:
        """How many messages the session (or its archive) holds."""
        key = self._script_keys(session_id, archive)[0]
        with session_errors(session_id):
            return int(await self._redis.llen(key))

    async def last(self, session_id: str) -> bytes | None:
        """The newest message, or ``None`` when the session is empty."""
        key = self._script_keys(session_id, False)[0]
        with session_errors(session_id):
            value = await self._redis.lindex(key, -1)
        return cast("bytes | None", value)

    async def ttl(self, session_id: str) -> float | None:
        """Seconds the session has left; ``None`` without a TTL or when it does not exist."""
        key = self._script_keys(session_id, False)[0]
        with map_redis_errors():
            ms = int(await self._redis.pttl(key))
        return ms / 1000 if ms >= 0 else None

    async def sessions(self) -> list[str]:
        """Ids of the live sessions, from the index (never KEYS or SCAN).

        Ordered by deadline, soonest first: with a TTL that is the order of the sessions' last
        writes; without one, the order in which they started.
        """
        with map_redis_errors():
            ids = await self._eval(LIST_SESSIONS, "", [self._index], [])
        return [i.decode("utf-8", "surrogateescape") if isinstance(i, bytes) else i for i in ids]

    # housekeeping

    async def _space_keys(self) -> AsyncIterator[bytes]:
        with map_redis_errors():
            async for key in self._redis.scan_iter(match=self.keys.space.pattern(), count=_BATCH):
                yield key

    async def clear(self) -> int:
        """Delete every session of this history (SCAN + UNLINK in its key space only)."""
        removed = 0
        batch: list[bytes] = []
        async for key in self._space_keys():
            batch.append(key)
            if len(batch) >= _BATCH:
                with map_redis_errors():
                    removed += int(await self._redis.unlink(*batch))
                batch = []
        if batch:
            with map_redis_errors():
                removed += int(await self._redis.unlink(*batch))
        return removed

    async def aclose(self) -> None:
        """Close the client if this history created it."""
        if self._owns_client:
            await self._redis.aclose()
