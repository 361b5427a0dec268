"""A local 3-primary Redis Cluster from the embedded binary, shared by the cluster tests.

The cluster is always embedded (``--redis-url`` names a standalone server). Clients are
redis-py's cluster clients; each test's keys, plain or hash-tagged, are removed afterwards on
every primary (SCAN + UNLINK, which the cluster client splits per slot).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import redis.asyncio.cluster
import redis.cluster

from redisai_core import EmbeddedCluster, KeySpace


@pytest.fixture(scope="session")
def redis_cluster() -> Iterator[EmbeddedCluster]:
    """Three primaries without modules (what the cache, history, KV and hosted AI need)."""
    with EmbeddedCluster(primaries=3) as cluster:
        yield cluster


def _unlink_space(client: redis.cluster.RedisCluster, space: KeySpace) -> None:
    for pattern in (space.pattern(), space.hash_tagged().pattern()):
        keys = list(client.scan_iter(match=pattern, count=500))
        if keys:
            client.unlink(*keys)


@pytest.fixture
def cluster_client(
    redis_cluster: EmbeddedCluster, keyspace: KeySpace
) -> Iterator[redis.cluster.RedisCluster]:
    """A sync cluster client; this test's keys are removed afterwards."""
    conn = redis.cluster.RedisCluster(startup_nodes=redis_cluster.startup_nodes)
    yield conn
    _unlink_space(conn, keyspace)
    conn.close()


@pytest.fixture
async def async_cluster_client(
    redis_cluster: EmbeddedCluster, keyspace: KeySpace
) -> AsyncIterator[redis.asyncio.cluster.RedisCluster]:
    """An asyncio cluster client; this test's keys are removed afterwards."""
    nodes = [redis.asyncio.cluster.ClusterNode(h, p) for h, p in redis_cluster.addresses]
    conn = redis.asyncio.cluster.RedisCluster(startup_nodes=nodes)
    yield conn
    await conn.aclose()
    with redis.cluster.RedisCluster(startup_nodes=redis_cluster.startup_nodes) as sync:
        _unlink_space(sync, keyspace)
