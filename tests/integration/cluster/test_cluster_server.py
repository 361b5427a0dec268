"""EmbeddedCluster: three primaries that together serve every slot, stopped cleanly."""

from __future__ import annotations

import itertools

import pytest
import redis
import redis.cluster

from redisai_core import ConfigError, EmbeddedCluster, EmbeddedServerError, KVStore
from redisai_core.server._cluster import slot_ranges

from .helpers import keys_per_node


def test_slot_ranges_cover_every_slot_once():
    for n in (1, 2, 3, 5):
        ranges = slot_ranges(n)
        assert ranges[0][0] == 0 and ranges[-1][1] == 16383
        assert all(b[0] == a[1] + 1 for a, b in itertools.pairwise(ranges))
    with pytest.raises(ConfigError):
        slot_ranges(0)


def test_three_primaries_serve_all_slots(redis_cluster: EmbeddedCluster):
    assert len(redis_cluster.urls) == 3 and len(set(redis_cluster.ports)) == 3
    for url in redis_cluster.urls:
        with redis.Redis.from_url(url) as node:
            info = node.execute_command("CLUSTER", "INFO").decode()
            assert "cluster_state:ok" in info
            assert "cluster_slots_assigned:16384" in info
            assert "cluster_known_nodes:3" in info
    with redis.cluster.RedisCluster.from_url(redis_cluster.url) as client:
        assert len(client.get_primaries()) == 3


def test_keys_spread_over_all_nodes(redis_cluster: EmbeddedCluster, cluster_client, keyspace):
    for i in range(60):
        cluster_client.set(keyspace.key(str(i)), b"v")
    counts = keys_per_node(redis_cluster, keyspace.pattern())
    assert sum(counts) == 60
    assert all(count > 0 for count in counts)


def test_password_cluster_and_stop_ends_every_node_and_removes_dirs():
    cluster = EmbeddedCluster(primaries=2, password="s3cret")
    with cluster:
        dirs = [node.data_dir for node in cluster.nodes]
        pids = [node.pid for node in cluster.nodes]
        assert all(d is not None and (d / "nodes.conf").exists() for d in dirs)
        assert all(pids)
        assert cluster.cluster_url.startswith("redis+cluster://:s3cret@127.0.0.1:")
        store = KVStore(redis_url=cluster.cluster_url, prefix="pw")
        store.mset([(f"k{i}", b"v") for i in range(10)])
        assert store.clear() == 10
        store.close()
        with pytest.raises(redis.AuthenticationError):
            redis.Redis(port=cluster.ports[0]).get("k")
    assert not cluster.is_running
    assert all(not d.exists() for d in dirs if d is not None)
    with pytest.raises(EmbeddedServerError):
        _ = cluster.urls
