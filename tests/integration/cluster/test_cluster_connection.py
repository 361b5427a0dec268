"""Reaching a cluster by URL: ``redis+cluster://`` (or ``cluster=True``) builds cluster clients."""

from __future__ import annotations

import pytest
import redis.asyncio.cluster
import redis.cluster

from redisai_core import (
    AsyncKVStore,
    ConnectionConfig,
    EmbeddedCluster,
    KVStore,
    RedisConnectionError,
    create_async_client,
    create_client,
)
from redisai_core.connection import lib_name


def _cluster_url(cluster: EmbeddedCluster) -> str:
    url = cluster.cluster_url
    assert url == f"redis+cluster://127.0.0.1:{cluster.ports[0]}/0"
    return url


def test_cluster_url_builds_a_cluster_client_that_announces_us(redis_cluster, keyspace):
    client = create_client(ConnectionConfig(url=_cluster_url(redis_cluster)))
    try:
        assert isinstance(client, redis.cluster.RedisCluster)
        names = {
            entry["lib-name"]
            for node in client.get_primaries()
            for entry in node.redis_connection.client_list()
            if entry.get("lib-name")
        }
        assert lib_name() in names
    finally:
        client.close()


def test_store_from_cluster_url(redis_cluster, keyspace):
    store = KVStore(redis_url=_cluster_url(redis_cluster), prefix=keyspace.prefix)
    try:
        store.mset([(f"k{i}", b"v") for i in range(20)])
        assert len(store.mget([f"k{i}" for i in range(20)])) == 20
        assert store.clear() == 20
    finally:
        store.close()


async def test_async_store_from_cluster_url(redis_cluster, keyspace):
    store = AsyncKVStore(redis_url=_cluster_url(redis_cluster), prefix=keyspace.prefix)
    try:
        assert isinstance(store.redis, redis.asyncio.cluster.RedisCluster)
        await store.mset([("a", b"1"), ("b", b"2")])
        assert await store.mget(["b", "a"]) == [b"2", b"1"]
        assert await store.clear() == 2
    finally:
        await store.aclose()


def test_unreachable_cluster_is_a_connection_error():
    config = ConnectionConfig(url="redis+cluster://127.0.0.1:1/0", connect_timeout=0.5)
    with pytest.raises(RedisConnectionError):
        create_client(config)


async def test_async_cluster_config_flag(redis_cluster):
    config = ConnectionConfig(url=redis_cluster.url, cluster=True)
    client = create_async_client(config)
    try:
        assert isinstance(client, redis.asyncio.cluster.RedisCluster)
        assert await client.ping()
    finally:
        await client.aclose()


async def test_injected_async_cluster_client_announces_us(redis_cluster, keyspace):
    # the asyncio cluster client connects on first use, so every connection gets our name
    nodes = [redis.asyncio.cluster.ClusterNode(h, p) for h, p in redis_cluster.addresses]
    client = redis.asyncio.cluster.RedisCluster(startup_nodes=nodes)
    try:
        store = AsyncKVStore(redis_client=client, prefix=keyspace.prefix, skin="langchain")
        await store.mset([("a", b"1")])
        info = await client.execute_command("CLIENT", "INFO", target_nodes=client.get_random_node())
        assert lib_name("langchain") in (info.decode() if isinstance(info, bytes) else info)
        await store.clear()
    finally:
        await client.aclose()
