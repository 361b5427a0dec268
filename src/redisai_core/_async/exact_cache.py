"""The exact LLM response cache: one ``GET`` per lookup, one ``SET`` per update. Plain Redis.

The framework skin serializes what it stores (LangChain's or LlamaIndex's own serialization,
never pickle); this class stores those bytes under the entry key of (prompt, LLM parameters).
"""

from __future__ import annotations

import logging

import redis.asyncio

from ..cache_record import CacheStats, entry_id, pack, unpack
from ..connection import get_async_client
from ..errors import ConfigError, map_redis_errors
from .kv import AsyncKVStore

__all__ = ["AsyncExactCache"]

logger = logging.getLogger("redisai_core.cache")


class AsyncExactCache:
    """Exact-match cache of LLM responses.

    Args:
        redis_url: Redis URL; with neither this nor ``redis_client``, ``REDIS_URL`` or the
            embedded server is used.
        redis_client: a client to use instead of building one (a cluster client too: entries
            spread over all slots).
        prefix: key prefix of this cache.
        ttl: seconds an entry lives; ``None`` keeps entries until cleared.
        refresh_ttl_on_hit: restart an entry's TTL when it is read (off by default: a hit
            does not extend an entry's life unless asked).
        stats: counters to record into (share one between a sync and an async cache);
            a new one when ``None``.
        skin: the framework using the cache, announced to the server.

    Raises:
        ConfigError: bad prefix or TTL, or both a URL and a client.
    """

    def __init__(
        self,
        redis_url: str | None = None,
        redis_client: redis.asyncio.Redis | redis.asyncio.RedisCluster | None = None,
        *,
        prefix: str = "redisai:cache",
        ttl: float | None = None,
        refresh_ttl_on_hit: bool = False,
        stats: CacheStats | None = None,
        skin: str | None = None,
    ) -> None:
        if refresh_ttl_on_hit and ttl is None:
            raise ConfigError("refresh_ttl_on_hit needs a ttl")
        client = get_async_client(redis_url, redis_client, skin=skin)
        self._store = AsyncKVStore(redis_client=client, prefix=prefix, ttl=ttl)
        self._owns_client = redis_client is None
        self.refresh_ttl_on_hit = refresh_ttl_on_hit
        self.stats = stats if stats is not None else CacheStats()

    @property
    def ttl(self) -> float | None:
        return self._store.ttl

    @property
    def prefix(self) -> str:
        return self._store.keyspace.prefix

    async def lookup(self, prompt: str, llm_string: str) -> bytes | None:
        """The stored payload for (prompt, llm_string), or ``None`` on a miss.

        A value that is not one of ours (foreign or corrupt) is logged and counted as a miss.

        Raises:
            TypeError: ``prompt`` or ``llm_string`` is not a str.
        """
        key = self._store.keyspace.key(entry_id(prompt, llm_string))
        with map_redis_errors():
            if self.refresh_ttl_on_hit and self.ttl is not None:
                value = await self._store.redis.getex(key, px=max(1, int(self.ttl * 1000)))
            else:
                value = await self._store.redis.get(key)
        payload = unpack(value)  # type: ignore[arg-type]  # bytes: decode_responses is refused
        corrupt = value is not None and payload is None
        if corrupt:
            logger.warning("ignoring a cache entry that is not ours: %s", key)
        self.stats.record(hit=payload is not None, corrupt=corrupt)
        return payload

    def record_corrupt(self, prompt: str, llm_string: str) -> None:
        """Re-count a hit whose payload the skin could not decode as a corrupt miss, and log it."""
        logger.warning("ignoring an undecodable cache entry: %s", entry_id(prompt, llm_string))
        self.stats.hit_was_corrupt()

    async def update(self, prompt: str, llm_string: str, payload: bytes) -> None:
        """Store ``payload`` for (prompt, llm_string), replacing any earlier entry.

        Raises:
            TypeError: ``prompt`` or ``llm_string`` is not a str, or ``payload`` is not bytes;
                nothing is written.
        """
        await self._store.mset([(entry_id(prompt, llm_string), pack(payload))])

    async def delete(self, prompt: str, llm_string: str) -> bool:
        """Remove one entry; whether it existed."""
        return await self._store.mdelete([entry_id(prompt, llm_string)]) == 1

    async def clear(self) -> int:
        """Delete every entry of this cache (SCAN + UNLINK in its key space only)."""
        return await self._store.clear()

    async def aclose(self) -> None:
        """Close the client if this cache created it."""
        if self._owns_client:
            await self._store.redis.aclose()
