"""The KV store and the exact cache on plain Redis (no modules)."""

from __future__ import annotations

import asyncio
import logging
import uuid

import pytest
import redis

from redisai_core import ConfigError
from redisai_core._async.exact_cache import AsyncExactCache
from redisai_core._async.kv import AsyncKVStore


def _prefix() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


async def test_kv_batched_round_trip_listing_and_delete(plain_redis_url: str) -> None:
    store = AsyncKVStore(plain_redis_url, prefix=_prefix())
    items = [(f"k{i}", bytes([i % 256]) * i) for i in range(1200)]
    await store.mset(items)
    assert await store.mget([k for k, _ in items]) == [v for _, v in items]
    assert await store.mget(["absent", "k3"]) == [None, b"\x03\x03\x03"]
    keys = [key async for key in store.yield_keys()]
    assert sorted(keys) == sorted(k for k, _ in items)
    assert sorted([key async for key in store.yield_keys(prefix="k11")]) == sorted(
        k for k, _ in items if k.startswith("k11")
    )
    assert await store.mdelete(["k1", "k2", "nope"]) == 2
    assert await store.mget(["k1"]) == [None]
    await store.clear()
    await store.aclose()


async def test_kv_keys_with_glob_characters_list_only_themselves(plain_redis_url: str) -> None:
    store = AsyncKVStore(plain_redis_url, prefix=_prefix())
    await store.mset([("a*", b"1"), ("a?b", b"2"), ("[x]", b"3"), ("ab", b"4")])
    assert [k async for k in store.yield_keys(prefix="a*")] == ["a*"]
    assert [k async for k in store.yield_keys(prefix="[x")] == ["[x]"]
    await store.clear()
    await store.aclose()


async def test_kv_ttl_expires(plain_redis_url: str) -> None:
    store = AsyncKVStore(plain_redis_url, prefix=_prefix(), ttl=0.2)
    await store.mset([("k", b"v")])
    ttl_ms = await store.redis.pttl(store.keyspace.key("k"))
    assert 0 < ttl_ms <= 200
    await asyncio.sleep(0.35)
    assert await store.mget(["k"]) == [None]
    await store.aclose()


async def test_kv_bad_input_writes_nothing(plain_redis_url: str) -> None:
    store = AsyncKVStore(plain_redis_url, prefix=_prefix())
    with pytest.raises(TypeError):
        await store.mset([("ok", b"1"), ("bad", "text")])  # type: ignore[list-item]
    assert await store.mget(["ok"]) == [None]
    with pytest.raises(ConfigError):
        AsyncKVStore(plain_redis_url, prefix="x", ttl=0)
    await store.aclose()


async def test_clear_leaves_foreign_keys_alone(plain_redis_url: str) -> None:
    prefix = _prefix()
    store = AsyncKVStore(plain_redis_url, prefix=prefix)
    neighbour = AsyncKVStore(plain_redis_url, prefix=prefix + "x")
    await store.mset([("a", b"1")])
    await neighbour.mset([("a", b"2")])
    await store.redis.set(prefix, b"bare")  # the prefix itself, without separator
    assert await store.clear() == 1
    assert await neighbour.mget(["a"]) == [b"2"]
    assert await store.redis.get(prefix) == b"bare"
    await store.redis.delete(prefix)
    await neighbour.clear()
    await neighbour.aclose()
    await store.aclose()


async def test_exact_cache_hit_miss_and_models_never_cross(plain_redis_url: str) -> None:
    cache = AsyncExactCache(plain_redis_url, prefix=_prefix())
    assert await cache.lookup("p", "model=a") is None
    await cache.update("p", "model=a", b"from a")
    await cache.update("p", "model=b", b"from b")
    assert await cache.lookup("p", "model=a") == b"from a"
    assert await cache.lookup("p", "model=b") == b"from b"
    # Length-prefixed hashing: shifting text between prompt and parameters is another entry.
    assert await cache.lookup("pm", "odel=a") is None
    assert (cache.stats.hits, cache.stats.misses) == (2, 2)
    await cache.clear()
    await cache.aclose()


async def test_exact_cache_big_unicode_and_binary_unsafe_inputs(plain_redis_url: str) -> None:
    cache = AsyncExactCache(plain_redis_url, prefix=_prefix())
    prompt = "é😀\x00\ud800" + "x" * (1 << 20)
    params = "temperature=0\x00\r\n{}*[]\ud83d"
    await cache.update(prompt, params, b"\x00\xff" * 10)
    assert await cache.lookup(prompt, params) == b"\x00\xff" * 10
    assert await cache.lookup(prompt[:-1], params) is None
    await cache.clear()
    await cache.aclose()


async def test_foreign_entry_is_a_logged_miss(
    plain_redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    cache = AsyncExactCache(plain_redis_url, prefix=_prefix())
    await cache.update("p", "m", b"ok")
    key = next(iter([k async for k in cache._store.yield_keys()]))
    await cache._store.redis.set(cache._store.keyspace.key(key), b"\x80garbage")
    with caplog.at_level(logging.WARNING, logger="redisai_core.cache"):
        assert await cache.lookup("p", "m") is None
    assert "not ours" in caplog.text
    assert cache.stats.corrupt == 1
    await cache.clear()
    await cache.aclose()


async def test_ttl_not_refreshed_on_hit_unless_asked(plain_redis_url: str) -> None:
    plain = AsyncExactCache(plain_redis_url, prefix=_prefix(), ttl=0.4)
    sliding = AsyncExactCache(plain_redis_url, prefix=_prefix(), ttl=0.4, refresh_ttl_on_hit=True)
    for cache in (plain, sliding):
        await cache.update("p", "m", b"v")
    await asyncio.sleep(0.25)
    assert await plain.lookup("p", "m") == b"v"
    assert await sliding.lookup("p", "m") == b"v"
    await asyncio.sleep(0.25)
    assert await plain.lookup("p", "m") is None  # expired at 0.4 s: the hit did not extend it
    assert await sliding.lookup("p", "m") == b"v"  # its TTL restarted at the hit
    for cache in (plain, sliding):
        await cache.clear()
        await cache.aclose()


def test_decode_responses_client_is_refused(plain_redis_url: str) -> None:
    client = redis.asyncio.Redis.from_url(plain_redis_url, decode_responses=True)
    with pytest.raises(ConfigError, match="decode_responses"):
        AsyncKVStore(redis_client=client)
