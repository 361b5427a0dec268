"""A key-value store of bytes under one key space: batched get / put / delete, prefix listing.

Works on plain Redis (no modules). Listing uses ``SCAN MATCH`` on this store's key space only,
never ``KEYS``. On a Redis Cluster keys spread over all slots: listing scans every primary,
``MGET`` is split per slot (``mget_nonatomic``), and so are ``UNLINK`` and pipelines.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

import redis.asyncio

from .._cluster_support import decodes_responses, is_cluster
from ..config import check_ttl
from ..connection import get_async_client
from ..errors import ConfigError, map_redis_errors
from ..keys import KeySpace, escape_glob

__all__ = ["AsyncKVStore"]

_BATCH = 500


def _redis_key(head: str, key: object) -> str | bytes:
    """The Redis key for ``key`` under ``head``, checked before anything is sent.

    Non-ASCII keys are encoded here with ``surrogateescape``, the inverse of
    :meth:`KeySpace.id_from_key`: a key another program wrote with bytes that are not UTF-8
    is listed by :meth:`AsyncKVStore.yield_keys` as an id with escaped surrogates, and that id
    reads, deletes and clears the very key. Any other lone surrogate cannot be sent.
    """
    if not isinstance(key, str):
        raise TypeError(f"keys must be str, got {type(key).__name__}")
    if key.isascii():  # the common case: redis-py encodes it
        return head + key
    try:
        return (head + key).encode("utf-8", "surrogateescape")
    except UnicodeEncodeError as exc:
        raise ConfigError(f"key {key!r} is not valid Unicode: {exc.reason}") from exc


class AsyncKVStore:
    """Bytes values under ``prefix``, with an optional TTL.

    Keys are any ``str``. A key Redis holds with bytes that are not UTF-8 (written by another
    program) is listed with those bytes as ``surrogateescape`` code points (U+DC80..U+DCFF),
    and that same id reads, overwrites and deletes it; any other lone surrogate is refused
    with :class:`ConfigError` before anything is sent.

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
        redis_client: redis.asyncio.Redis | redis.asyncio.RedisCluster | None = None,
        *,
        prefix: str = "redisai:kv",
        ttl: float | None = None,
        skin: str | None = None,
    ) -> None:
        check_ttl(ttl)
        self.keyspace = KeySpace(prefix)
        self.ttl = ttl
        self._redis = get_async_client(redis_url, redis_client, skin=skin)
        if decodes_responses(self._redis):
            raise ConfigError("this store keeps bytes: pass a client with decode_responses=False")
        self._owns_client = redis_client is None
        # A cluster refuses an MGET across slots; redis-py's split version reads per slot.
        self._mget: Any = (
            self._redis.mget_nonatomic  # type: ignore[attr-defined]
            if is_cluster(self._redis)
            else self._redis.mget
        )

    @property
    def redis(self) -> redis.asyncio.Redis:
        """The underlying client."""
        return self._redis

    def _redis_keys(self, keys: Sequence[str]) -> list[str | bytes]:
        # Every key is checked before the first batch is sent, so a bad key late in a long
        # batch cannot leave the earlier batches written (or deleted) behind.
        if isinstance(keys, (str, bytes, bytearray)):
            raise TypeError(f"keys must be a sequence of str, not one {type(keys).__name__}")
        head = self.keyspace.head
        return [_redis_key(head, key) for key in keys]

    async def mget(self, keys: Sequence[str]) -> list[bytes | None]:
        """Values for ``keys`` in order (``None`` where absent), in one round trip per 500 keys.

        Raises:
            TypeError: ``keys`` is a single str, or a key is not a ``str``.
            ConfigError: a key is not valid Unicode (it holds a lone surrogate).
        """
        redis_keys = self._redis_keys(keys)
        out: list[bytes | None] = []
        with map_redis_errors():
            for i in range(0, len(redis_keys), _BATCH):
                out.extend(await self._mget(redis_keys[i : i + _BATCH]))
        return out

    async def mset(self, items: Sequence[tuple[str, bytes]]) -> None:
        """Write all ``items`` in pipelined batches (with the TTL, when one is set).

        Raises:
            TypeError: a key is not a ``str`` or a value is not ``bytes``; nothing is written.
            ConfigError: a key is not valid Unicode (a lone surrogate); nothing is written.
        """
        head = self.keyspace.head
        pairs = []
        for key, value in items:
            if not isinstance(value, (bytes, bytearray, memoryview)):
                raise TypeError(f"values must be bytes, got {type(value).__name__}")
            pairs.append((_redis_key(head, key), bytes(value)))
        px = None if self.ttl is None else max(1, int(self.ttl * 1000))
        with map_redis_errors():
            for i in range(0, len(pairs), _BATCH):
                pipe = self._redis.pipeline(transaction=False)
                for redis_key, value in pairs[i : i + _BATCH]:
                    pipe.set(redis_key, value, px=px)
                await pipe.execute()

    async def mdelete(self, keys: Sequence[str]) -> int:
        """Delete ``keys``; returns how many existed.

        Raises:
            TypeError: ``keys`` is a single str, or a key is not a ``str``; nothing is deleted.
            ConfigError: a key is not valid Unicode (a lone surrogate); nothing is deleted.
        """
        redis_keys = self._redis_keys(keys)
        removed = 0
        with map_redis_errors():
            for i in range(0, len(redis_keys), _BATCH):
                removed += int(await self._redis.unlink(*redis_keys[i : i + _BATCH]))
        return removed

    async def yield_keys(self, prefix: str | None = None) -> AsyncIterator[str]:
        """Keys of this store (optionally only those starting with ``prefix``), via SCAN.

        Raises:
            ConfigError: ``prefix`` is not valid Unicode (see :class:`AsyncKVStore`).
        """
        pattern = _redis_key("", escape_glob(self.keyspace.head + (prefix or "")) + "*")
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
