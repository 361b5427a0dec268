"""A key-value store of bytes under one key space: batched get / put / delete, prefix listing.

Works on plain Redis (no modules). Listing uses ``SCAN MATCH`` on this store's key space only,
never ``KEYS``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

import redis.asyncio

from ..connection import get_async_client
from ..errors import ConfigError, map_redis_errors
from ..keys import KeySpace, escape_glob

__all__ = ["AsyncKVStore"]

_BATCH = 500


class AsyncKVStore:
    """Bytes values under ``prefix``, with an optional TTL.

    Args:
        redis_url: Redis URL; with neither this nor ``redis_client``, ``REDIS_URL`` or the
            embedded server is used.
        redis_client: a client to use instead of building one.
        prefix: key prefix of this store (keys are ``<prefix>:<key>``).
        ttl: seconds each written key lives; ``None`` keeps keys until deleted.
        skin: the framework using the store, announced to the server.

    Raises:
        ConfigError: bad prefix or TTL, or both a URL and a client.
    """

    def __init__(
        self,
        redis_url: str | None = None,
        redis_client: redis.asyncio.Redis | None = None,
        *,
        prefix: str = "redisai:kv",
        ttl: float | None = None,
        skin: str | None = None,
    ) -> None:
        if ttl is not None and ttl <= 0:
            raise ConfigError(f"ttl must be > 0 seconds, got {ttl}")
        self.keyspace = KeySpace(prefix)
        self.ttl = ttl
        self._redis = get_async_client(redis_url, redis_client, skin=skin)
        if self._redis.connection_pool.connection_kwargs.get("decode_responses"):
            raise ConfigError("this store keeps bytes: pass a client with decode_responses=False")
        self._owns_client = redis_client is None

    @property
    def redis(self) -> redis.asyncio.Redis:
        """The underlying client."""
        return self._redis

    async def mget(self, keys: Sequence[str]) -> list[bytes | None]:
        """Values for ``keys`` in order (``None`` where absent), in one round trip per 500 keys."""
        out: list[bytes | None] = []
        with map_redis_errors():
            for i in range(0, len(keys), _BATCH):
                chunk = [self.keyspace.key(k) for k in keys[i : i + _BATCH]]
                out.extend(await self._redis.mget(chunk))  # type: ignore[arg-type]
        return out

    async def mset(self, items: Sequence[tuple[str, bytes]]) -> None:
        """Write all ``items`` in pipelined batches (with the TTL, when one is set).

        Raises:
            TypeError: a key is not a ``str`` or a value is not ``bytes``; nothing is written.
        """
        for key, value in items:
            if not isinstance(key, str):
                raise TypeError(f"keys must be str, got {type(key).__name__}")
            if not isinstance(value, (bytes, bytearray, memoryview)):
                raise TypeError(f"values must be bytes, got {type(value).__name__}")
        px = None if self.ttl is None else max(1, int(self.ttl * 1000))
        with map_redis_errors():
            for i in range(0, len(items), _BATCH):
                pipe = self._redis.pipeline(transaction=False)
                for key, value in items[i : i + _BATCH]:
                    pipe.set(self.keyspace.key(key), bytes(value), px=px)
                await pipe.execute()

    async def mdelete(self, keys: Sequence[str]) -> int:
        """Delete ``keys``; returns how many existed."""
        removed = 0
        with map_redis_errors():
            for i in range(0, len(keys), _BATCH):
                chunk = [self.keyspace.key(k) for k in keys[i : i + _BATCH]]
                if chunk:
                    removed += int(await self._redis.unlink(*chunk))
        return removed

    async def yield_keys(self, prefix: str | None = None) -> AsyncIterator[str]:
        """Keys of this store (optionally only those starting with ``prefix``), via SCAN."""
        pattern = escape_glob(self.keyspace.head + (prefix or "")) + "*"
        with map_redis_errors():
            async for key in self._redis.scan_iter(match=pattern, count=_BATCH):
                yield self.keyspace.id_from_key(key)

    def child(self, name: str) -> AsyncKVStore:
        """A store in a nested key space (``<prefix>:<name>``) sharing this store's client.

        ``name`` is escaped (``%`` and the separator are percent-encoded), so no child's space
        can overlap another's: children ``a`` and ``a:b`` never see each other's keys.
        """
        if not name:
            raise ConfigError("a child store needs a non-empty name")
        escaped = name.replace("%", "%25").replace(self.keyspace.sep, "%3A")
        prefix = self.keyspace.child(escaped).prefix
        return type(self)(redis_client=self._redis, prefix=prefix, ttl=self.ttl)

    async def items(self, prefix: str | None = None) -> AsyncIterator[tuple[str, bytes]]:
        """``(key, value)`` pairs of this store, read in SCAN batches with one MGET each."""
        batch: list[str] = []
        async for key in self.yield_keys(prefix):
            batch.append(key)
            if len(batch) >= _BATCH:
                for pair in zip(batch, await self.mget(batch), strict=True):
                    if pair[1] is not None:  # deleted between SCAN and MGET
                        yield pair[0], pair[1]
                batch = []
        if batch:
            for pair in zip(batch, await self.mget(batch), strict=True):
                if pair[1] is not None:
                    yield pair[0], pair[1]

    async def clear(self) -> int:
        """Delete every key of this store (SCAN + UNLINK); returns how many were deleted."""
        removed = 0
        batch: list[str] = []
        async for key in self.yield_keys():
            batch.append(key)
            if len(batch) >= _BATCH:
                removed += await self.mdelete(batch)
                batch = []
        if batch:
            removed += await self.mdelete(batch)
        return removed

    async def aclose(self) -> None:
        """Close the client if this store created it."""
        if self._owns_client:
            await self._redis.aclose()
