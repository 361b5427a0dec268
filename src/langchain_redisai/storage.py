"""``RedisAIByteStore``: LangChain's ``BaseStore[str, bytes]`` over the core KV store."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

import redis
import redis.asyncio
from langchain_core.stores import ByteStore

from redisai_core import AsyncKVStore, DualCore, KVStore

__all__ = ["RedisAIByteStore"]


class RedisAIByteStore(ByteStore):
    """Bytes by key in Redis, batched; works as the store of ``CacheBackedEmbeddings``.

    Needs no Redis modules. Listing uses ``SCAN`` on this store's key space only.

    Args:
        redis_url: Redis URL; with neither this nor ``redis_client``, ``REDIS_URL`` or the
            embedded server is used.
        redis_client: a sync or asyncio redis-py client to use instead.
        prefix: key prefix of this store.
        ttl: seconds each written key lives; ``None`` keeps keys until deleted.
    """

    def __init__(
        self,
        redis_url: str | None = None,
        redis_client: redis.Redis | redis.asyncio.Redis | None = None,
        *,
        prefix: str = "redisai:bytes",
        ttl: float | None = None,
    ) -> None:
        options: dict[str, Any] = {"prefix": prefix, "ttl": ttl, "skin": "langchain"}
        self._core: DualCore[KVStore, AsyncKVStore] = DualCore(
            lambda url, client: KVStore(url, client, **options),
            lambda url, client: AsyncKVStore(url, client, **options),
            redis_url,
            redis_client,
        )

    def mget(self, keys: Sequence[str]) -> list[bytes | None]:
        return self._core.sync.mget(keys)

    def mset(self, key_value_pairs: Sequence[tuple[str, bytes]]) -> None:
        self._core.sync.mset(key_value_pairs)

    def mdelete(self, keys: Sequence[str]) -> None:
        self._core.sync.mdelete(keys)

    def yield_keys(self, *, prefix: str | None = None) -> Iterator[str]:
        yield from self._core.sync.yield_keys(prefix)

    async def amget(self, keys: Sequence[str]) -> list[bytes | None]:
        return await self._core.run(lambda c: c.mget(keys), lambda c: c.mget(keys))

    async def amset(self, key_value_pairs: Sequence[tuple[str, bytes]]) -> None:
        await self._core.run(lambda c: c.mset(key_value_pairs), lambda c: c.mset(key_value_pairs))

    async def amdelete(self, keys: Sequence[str]) -> None:
        await self._core.run(lambda c: c.mdelete(keys), lambda c: c.mdelete(keys))

    async def ayield_keys(self, *, prefix: str | None = None) -> AsyncIterator[str]:
        if self._core.has_async:
            async for key in self._core.async_.yield_keys(prefix):
                yield key
        else:
            for key in list(self._core.sync.yield_keys(prefix)):
                yield key

    def clear(self) -> int:
        """Delete every key of this store (only its own key space)."""
        return self._core.sync.clear()

    async def aclear(self) -> int:
        """Delete every key of this store (only its own key space)."""
        return await self._core.run(lambda c: c.clear(), lambda c: c.clear())

    def close(self) -> None:
        """Close the connections this store opened (an injected client is left open)."""
        self._core.close()

    async def aclose(self) -> None:
        """Close the connections this store opened, sync and async (injected clients stay open)."""
        await self._core.aclose()
