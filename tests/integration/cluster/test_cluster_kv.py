"""KV store and exact cache on a 3-primary cluster: keys on every node, listing and clear()."""

from __future__ import annotations

import pytest
import redis.asyncio.cluster
import redis.cluster

from redisai_core import (
    AsyncExactCache,
    AsyncKVStore,
    ConfigError,
    EmbeddedCluster,
    ExactCache,
    KeySpace,
    KVStore,
)

from .helpers import keys_per_node

N = 120  # with 3 primaries, that many keys land on every node (checked below)


def test_kv_batches_listing_and_clear_span_all_nodes(
    redis_cluster: EmbeddedCluster, cluster_client: redis.cluster.RedisCluster, keyspace
):
    store = KVStore(redis_client=cluster_client, prefix=keyspace.prefix)
    items = [(f"doc:{i}", f"value {i}".encode()) for i in range(N)]
    store.mset(items)
    assert all(count > 0 for count in keys_per_node(redis_cluster, keyspace.pattern()))

    # MGET across slots: values in the caller's order, None for a missing key
    wanted = ["doc:7", "nope", "doc:99", "doc:0"]
    assert store.mget(wanted) == [b"value 7", None, b"value 99", b"value 0"]

    assert sorted(store.yield_keys()) == sorted(k for k, _ in items)
    assert sorted(store.yield_keys(prefix="doc:1")) == sorted(
        k for k, _ in items if k.startswith("doc:1")
    )
    assert dict(store.items()) == dict(items)

    assert store.mdelete(["doc:1", "doc:2", "absent"]) == 2
    # a key outside the store's space, on whichever node: clear() must not touch it
    outside = keyspace.prefix + "-other:keep"
    cluster_client.set(outside, b"x")
    try:
        assert store.clear() == N - 2
        assert list(store.yield_keys()) == []
        assert keys_per_node(redis_cluster, keyspace.pattern()) == [0, 0, 0]
        assert cluster_client.get(outside) == b"x"
    finally:
        cluster_client.unlink(outside)


def test_kv_ttl_and_child_on_cluster(cluster_client, keyspace):
    store = KVStore(redis_client=cluster_client, prefix=keyspace.prefix, ttl=100)
    child = store.child("sub")
    child.mset([("a", b"1"), ("b", b"2")])
    store.mset([("top", b"0")])
    assert sorted(child.yield_keys()) == ["a", "b"]
    assert 0 < cluster_client.pttl(child.keyspace.key("a")) <= 100_000
    assert child.clear() == 2
    assert list(store.yield_keys()) == ["top"]


def test_decoding_cluster_client_is_refused(redis_cluster: EmbeddedCluster):
    with (
        redis.cluster.RedisCluster.from_url(redis_cluster.url, decode_responses=True) as client,
        pytest.raises(ConfigError, match="decode_responses"),
    ):
        KVStore(redis_client=client, prefix="x")


def test_exact_cache_on_cluster(redis_cluster, cluster_client, keyspace):
    cache = ExactCache(redis_client=cluster_client, prefix=keyspace.prefix)
    for i in range(30):
        cache.update(f"prompt {i}", "llm", f"answer {i}".encode())
    assert cache.lookup("prompt 3", "llm") == b"answer 3"
    assert cache.lookup("prompt 3", "other llm") is None
    assert cache.delete("prompt 3", "llm") is True
    assert cache.lookup("prompt 3", "llm") is None
    assert sum(1 for c in keys_per_node(redis_cluster, keyspace.pattern()) if c) > 1
    assert cache.clear() == 29
    assert cache.lookup("prompt 4", "llm") is None


async def test_async_kv_and_exact_cache_on_cluster(
    redis_cluster, async_cluster_client: redis.asyncio.cluster.RedisCluster, keyspace: KeySpace
):
    store = AsyncKVStore(redis_client=async_cluster_client, prefix=keyspace.prefix)
    items = [(f"k{i}", bytes([i])) for i in range(N)]
    await store.mset(items)
    assert all(count > 0 for count in keys_per_node(redis_cluster, keyspace.pattern()))
    assert await store.mget(["k5", "missing", "k100"]) == [bytes([5]), None, bytes([100])]
    assert sorted([k async for k in store.yield_keys()]) == sorted(k for k, _ in items)
    assert dict([pair async for pair in store.items()]) == dict(items)
    assert await store.mdelete(["k0", "k1"]) == 2
    assert await store.clear() == N - 2
    assert [k async for k in store.yield_keys()] == []

    cache = AsyncExactCache(
        redis_client=async_cluster_client,
        prefix=keyspace.child("cache").prefix,
        ttl=60,
        refresh_ttl_on_hit=True,
    )
    await cache.update("p", "llm", b"answer")
    assert await cache.lookup("p", "llm") == b"answer"
    assert cache.stats.hits == 1
    assert await cache.clear() == 1
