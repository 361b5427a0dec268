"""LangChain LLM caches backed by the core: ``RedisAICache`` (exact) and ``RedisAISemanticCache``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import redis
import redis.asyncio
from langchain_core.caches import RETURN_VAL_TYPE, BaseCache
from langchain_core.embeddings import Embeddings
from langchain_core.outputs import Generation

from redisai_core import (
    AsyncExactCache,
    AsyncSemanticCache,
    CacheStats,
    DualCore,
    ExactCache,
    SemanticCache,
)

from ._mapping import generations_from_bytes, generations_to_bytes

__all__ = ["RedisAICache", "RedisAISemanticCache"]

_SKIN = "langchain"


class RedisAICache(BaseCache):
    """Exact-match LLM cache in Redis: one ``GET`` per lookup. Needs no Redis modules.

    Entries are keyed by a hash of (prompt, LLM parameters string), so two models never share
    an entry. Generations are stored with LangChain's JSON serialization (chat generations keep
    their messages, tool calls, ids and metadata) and revived with an allow-list; an entry that
    cannot be read is logged and treated as a miss.

    Args:
        redis_url: Redis URL; with neither this nor ``redis_client``, ``REDIS_URL`` or the
            embedded server is used.
        redis_client: a sync or asyncio redis-py client to use instead.
        prefix: key prefix of this cache.
        ttl: seconds an entry lives; ``None`` keeps entries until cleared.
        refresh_ttl_on_hit: restart an entry's TTL when it is read (off by default).

    Example:
        >>> from langchain_core.globals import set_llm_cache
        >>> set_llm_cache(RedisAICache(ttl=3600))  # doctest: +SKIP
    """

    def __init__(
        self,
        redis_url: str | None = None,
        redis_client: redis.Redis | redis.asyncio.Redis | None = None,
        *,
        prefix: str = "redisai:llmcache",
        ttl: float | None = None,
        refresh_ttl_on_hit: bool = False,
    ) -> None:
        self._stats = CacheStats()
        options: dict[str, Any] = {
            "stats": self._stats,
            "prefix": prefix,
            "ttl": ttl,
            "refresh_ttl_on_hit": refresh_ttl_on_hit,
            "skin": _SKIN,
        }
        self._core: DualCore[ExactCache, AsyncExactCache] = DualCore(
            lambda url, client: ExactCache(url, client, **options),
            lambda url, client: AsyncExactCache(url, client, **options),
            redis_url,
            redis_client,
        )

    @property
    def stats(self) -> CacheStats:
        """Hits and misses of this cache object, sync and async calls together."""
        return self._stats

    def _decode(
        self,
        payload: bytes | None,
        prompt: str,
        llm_string: str,
        core: ExactCache | AsyncExactCache,
    ) -> Sequence[Generation] | None:
        if payload is None:
            return None
        generations = generations_from_bytes(payload)
        if generations is None:
            core.record_corrupt(prompt, llm_string)
        return generations

    def lookup(self, prompt: str, llm_string: str) -> RETURN_VAL_TYPE | None:
        core = self._core.sync
        return self._decode(core.lookup(prompt, llm_string), prompt, llm_string, core)

    def update(self, prompt: str, llm_string: str, return_val: RETURN_VAL_TYPE) -> None:
        self._core.sync.update(prompt, llm_string, generations_to_bytes(return_val))

    def clear(self, **kwargs: Any) -> None:
        """Delete every entry of this cache (only its own key space)."""
        self._core.sync.clear()

    async def alookup(self, prompt: str, llm_string: str) -> RETURN_VAL_TYPE | None:
        if not self._core.has_async:
            return await super().alookup(prompt, llm_string)
        core = self._core.async_
        return self._decode(await core.lookup(prompt, llm_string), prompt, llm_string, core)

    async def aupdate(self, prompt: str, llm_string: str, return_val: RETURN_VAL_TYPE) -> None:
        payload = generations_to_bytes(return_val)
        await self._core.run(
            lambda c: c.update(prompt, llm_string, payload),
            lambda c: c.update(prompt, llm_string, payload),
        )

    async def aclear(self, **kwargs: Any) -> None:
        """Delete every entry of this cache (only its own key space)."""
        await self._core.run(lambda c: c.clear(), lambda c: c.clear())

    def close(self) -> None:
        """Close the connections this cache opened (an injected client is left open)."""
        self._core.close()

    async def aclose(self) -> None:
        """Close the connections this cache opened, sync and async (injected clients stay open)."""
        await self._core.aclose()


class RedisAISemanticCache(BaseCache):
    """Semantic LLM cache: a prompt close enough to a cached one, for the same LLM, is a hit.

    Lookups filter by the LLM parameters string before the nearest-neighbour search, so an
    entry made for one model never serves another and a nearer entry of another model never
    causes a miss. Needs the Redis query engine (Redis 8, Redis Stack, or the embedded server).

    Args:
        embeddings: any LangChain embeddings; :class:`RedisAIEmbeddings` (MiniLM computed
            through Redis) when ``None``.
        redis_url: Redis URL; with neither this nor ``redis_client``, ``REDIS_URL`` or the
            embedded server is used.
        redis_client: a sync or asyncio redis-py client to use instead.
        prefix: key prefix of this cache (its index is named after it).
        distance_threshold: largest cosine distance that still counts as the same prompt.
        ttl: seconds an entry lives; ``None`` keeps entries until cleared.
    """

    def __init__(
        self,
        embeddings: Embeddings | None = None,
        redis_url: str | None = None,
        redis_client: redis.Redis | redis.asyncio.Redis | None = None,
        *,
        prefix: str = "redisai:semcache",
        distance_threshold: float = 0.1,
        ttl: float | None = None,
    ) -> None:
        if embeddings is None:
            from .embeddings import RedisAIEmbeddings

            embeddings = RedisAIEmbeddings(redis_url=redis_url, redis_client=redis_client)
        self.embeddings = embeddings
        self._stats = CacheStats()
        options: dict[str, Any] = {
            "stats": self._stats,
            "prefix": prefix,
            "distance_threshold": distance_threshold,
            "ttl": ttl,
            "skin": _SKIN,
        }
        self._core: DualCore[SemanticCache, AsyncSemanticCache] = DualCore(
            lambda url, client: SemanticCache(url, client, **options),
            lambda url, client: AsyncSemanticCache(url, client, **options),
            redis_url,
            redis_client,
        )

    @property
    def stats(self) -> CacheStats:
        """Hits and misses of this cache object, sync and async calls together."""
        return self._stats

    def _decode(
        self, payload: bytes | None, llm_string: str, core: SemanticCache | AsyncSemanticCache
    ) -> Sequence[Generation] | None:
        if payload is None:
            return None
        generations = generations_from_bytes(payload)
        if generations is None:
            core.record_corrupt(llm_string)
        return generations

    def lookup(self, prompt: str, llm_string: str) -> RETURN_VAL_TYPE | None:
        core = self._core.sync
        payload = core.lookup(self.embeddings.embed_query(prompt), llm_string)
        return self._decode(payload, llm_string, core)

    def update(self, prompt: str, llm_string: str, return_val: RETURN_VAL_TYPE) -> None:
        vector = self.embeddings.embed_query(prompt)
        self._core.sync.update(prompt, llm_string, vector, generations_to_bytes(return_val))

    def clear(self, **kwargs: Any) -> None:
        """Delete every entry of this cache (only its own key space)."""
        self._core.sync.clear()

    async def alookup(self, prompt: str, llm_string: str) -> RETURN_VAL_TYPE | None:
        if not self._core.has_async:
            return await super().alookup(prompt, llm_string)
        vector = await self.embeddings.aembed_query(prompt)
        core = self._core.async_
        return self._decode(await core.lookup(vector, llm_string), llm_string, core)

    async def aupdate(self, prompt: str, llm_string: str, return_val: RETURN_VAL_TYPE) -> None:
        vector = await self.embeddings.aembed_query(prompt)
        payload = generations_to_bytes(return_val)
        await self._core.run(
            lambda c: c.update(prompt, llm_string, vector, payload),
            lambda c: c.update(prompt, llm_string, vector, payload),
        )

    async def aclear(self, **kwargs: Any) -> None:
        """Delete every entry of this cache (only its own key space)."""
        await self._core.run(lambda c: c.clear(), lambda c: c.clear())

    def close(self) -> None:
        """Close the connections this cache opened (an injected client is left open)."""
        self._core.close()
        closer = getattr(self.embeddings, "close", None)
        if callable(closer):
            closer()

    async def aclose(self) -> None:
        """Close the connections this cache opened, sync and async."""
        await self._core.aclose()
        closer = getattr(self.embeddings, "aclose", None)
        if callable(closer):
            await closer()
