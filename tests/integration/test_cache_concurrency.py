"""Concurrent writers of one cache entry, from threads and from asyncio tasks."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor

from redisai_core._async.exact_cache import AsyncExactCache
from redisai_core._sync.exact_cache import ExactCache

VALUES = [bytes([i]) * 50_000 for i in range(20)]


async def test_asyncio_tasks_updating_one_key_leave_one_whole_value(plain_redis_url: str) -> None:
    cache = AsyncExactCache(plain_redis_url, prefix=f"t{uuid.uuid4().hex[:10]}")
    await asyncio.gather(*(cache.update("p", "m", v) for v in VALUES))
    assert await cache.lookup("p", "m") in VALUES
    await cache.clear()
    await cache.aclose()


def test_threads_updating_one_key_leave_one_whole_value(plain_redis_url: str) -> None:
    cache = ExactCache(plain_redis_url, prefix=f"t{uuid.uuid4().hex[:10]}")
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda v: cache.update("p", "m", v), VALUES))
    assert cache.lookup("p", "m") in VALUES
    cache.clear()
    cache.close()
