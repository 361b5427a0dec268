"""The core semantic cache on the embedded server, with hand-made vectors."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from redisai_core import ConfigError, VectorError
from redisai_core._async.semantic_cache import AsyncSemanticCache


def _cache(redis_url: str, **kwargs: object) -> AsyncSemanticCache:
    return AsyncSemanticCache(redis_url, prefix=f"t{uuid.uuid4().hex[:10]}", **kwargs)  # type: ignore[arg-type]


async def test_hit_within_threshold_and_miss_beyond(redis_url: str) -> None:
    cache = _cache(redis_url, distance_threshold=0.05)
    assert await cache.lookup([1.0, 0.0, 0.0], "m") is None  # no index yet: a miss
    await cache.update("what is redis", "m", [1.0, 0.0, 0.0], b"an in-memory store")
    assert await cache.lookup([0.99, 0.05, 0.0], "m") == b"an in-memory store"
    assert await cache.lookup([0.0, 1.0, 0.0], "m") is None
    assert (cache.stats.hits, cache.stats.misses) == (1, 2)
    await cache.clear()
    await cache.aclose()


async def test_models_never_cross_and_a_nearer_entry_of_another_model_does_not_hide(
    redis_url: str,
) -> None:
    cache = _cache(redis_url, distance_threshold=0.2)
    await cache.update("q", "model-a", [1.0, 0.0], b"from a")
    await cache.update("q2", "model-b", [0.9, 0.1], b"from b")  # nearer to the query below
    assert await cache.lookup([0.9, 0.1], "model-a") == b"from a"
    assert await cache.lookup([1.0, 0.0], "model-b") == b"from b"
    assert await cache.lookup([1.0, 0.0], "model-c") is None
    await cache.clear()
    await cache.aclose()


async def test_same_prompt_and_model_is_updated_not_duplicated(redis_url: str) -> None:
    cache = _cache(redis_url)
    await cache.update("q", "m", [1.0, 0.0], b"old")
    await cache.update("q", "m", [1.0, 0.0], b"new")
    assert await cache.lookup([1.0, 0.0], "m") == b"new"
    assert await cache._index.count() == 1
    await cache.clear()
    await cache.aclose()


async def test_binary_payloads_and_odd_parameter_strings(redis_url: str) -> None:
    cache = _cache(redis_url)
    params = 'temp=0 {a|b} @x:"y" \\ \x00 \ud800 日本'
    await cache.update("", params, [0.0, 1.0], b"\x00\xff\x80")
    assert await cache.lookup([0.0, 1.0], params) == b"\x00\xff\x80"
    assert await cache.lookup([0.0, 1.0], params[:-1]) is None
    await cache.clear()
    await cache.aclose()


async def test_ttl_expires_entries(redis_url: str) -> None:
    cache = _cache(redis_url, ttl=0.3)
    await cache.update("q", "m", [1.0, 0.0], b"v")
    assert await cache.lookup([1.0, 0.0], "m") == b"v"
    await asyncio.sleep(0.5)
    assert await cache.lookup([1.0, 0.0], "m") is None
    await cache.aclose()


async def test_bad_input(redis_url: str) -> None:
    with pytest.raises(ConfigError):
        _cache(redis_url, distance_threshold=3.0)
    cache = _cache(redis_url)
    await cache.update("q", "m", [1.0, 0.0], b"v")
    with pytest.raises(VectorError):
        await cache.update("q", "m", [float("nan"), 0.0], b"w")
    with pytest.raises(VectorError):
        await cache.lookup([1.0, 0.0, 0.0], "m")
    assert await cache.lookup([1.0, 0.0], "m") == b"v"  # nothing was overwritten
    await cache.clear()
    await cache.aclose()
