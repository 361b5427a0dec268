"""LangChain LLM caches backed by the core: ``RedisAICache`` (exact match)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import redis
import redis.asyncio
from langchain_core.caches import RETURN_VAL_TYPE, BaseCache
from langchain_core.outputs import Generation

from redisai_core import AsyncExactCache, CacheStats, DualCore, ExactCache

from ._mapping import generations_from_bytes, generations_to_bytes

__all__ = ["RedisAICache"]

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
