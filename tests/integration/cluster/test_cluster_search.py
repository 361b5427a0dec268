"""What the query engine does on a cluster: the facts ``docs/cluster.md`` states, checked.

The open-source query engine (Redis 8 built-in, or the redisearch 2.10 module here) has no
coordinator: an index is created on the one node owning its name's slot and indexes only
that node's keys, so a query silently misses documents on the other shards. Putting the index
name and its documents under one hash tag keeps them on one shard, where results are complete.
Vector sets (VADD/VSIM) are single keys and work anywhere.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterator

import pytest
import redis
import redis.cluster

from redisai_core import EmbeddedCluster

pytestmark = pytest.mark.timeout(60)

DOCS = 30


@pytest.fixture(scope="module")
def search_cluster() -> Iterator[redis.cluster.RedisCluster]:
    with (
        EmbeddedCluster(primaries=3, modules=True) as cluster,
        redis.cluster.RedisCluster(startup_nodes=cluster.startup_nodes) as client,
    ):
        yield client


def _vec(i: int) -> bytes:
    return struct.pack("<2f", float(i), 0.0)


def _index(client: redis.cluster.RedisCluster, name: str, prefix: str) -> None:
    client.execute_command(
        "FT.CREATE", name, "ON", "HASH", "PREFIX", "1", prefix, "SCHEMA",
        "t", "TEXT", "v", "VECTOR", "FLAT", "6", "TYPE", "FLOAT32", "DIM", "2",
        "DISTANCE_METRIC", "L2",
    )  # fmt: skip
    for i in range(DOCS):
        client.hset(f"{prefix}{i}", mapping={"t": "hello", "v": _vec(i)})


def _total(reply: object) -> int:
    # RESP2 gives [total, ...]; RESP3 a map with total_results
    if isinstance(reply, dict):
        return int(reply[b"total_results"])
    assert isinstance(reply, list)
    return int(reply[0])


def test_index_lives_on_one_shard_and_misses_other_shards(search_cluster):
    _index(search_cluster, "plain_idx", "plain:doc:")
    holders = [
        node
        for node in search_cluster.get_primaries()
        if b"plain_idx" in node.redis_connection.execute_command("FT._LIST")
    ]
    assert len(holders) == 1  # created on the node owning the name's slot only
    reply = search_cluster.execute_command("FT.SEARCH", "plain_idx", "hello", "LIMIT", "0", "0")
    found = _total(reply)
    on_holder = sum(1 for _ in holders[0].redis_connection.scan_iter(match="plain:doc:*"))
    assert found == on_holder < DOCS  # only that shard's documents, with no error


def test_hash_tagged_index_and_docs_give_complete_results(search_cluster):
    _index(search_cluster, "{vec}idx", "{vec}:doc:")
    reply = search_cluster.execute_command("FT.SEARCH", "{vec}idx", "hello", "LIMIT", "0", "0")
    assert _total(reply) == DOCS
    knn = search_cluster.execute_command(
        "FT.SEARCH", "{vec}idx", "*=>[KNN 3 @v $q]", "PARAMS", "2", "q", _vec(7),
        "SORTBY", "__v_score", "RETURN", "0", "DIALECT", "2",
    )  # fmt: skip
    ids = knn[b"results"] if isinstance(knn, dict) else knn[1:]
    names = [r[b"id"] for r in ids] if isinstance(knn, dict) else ids
    assert names[0] == b"{vec}:doc:7" and len(names) == 3


def test_vector_sets_work_on_a_cluster(search_cluster):
    # VSIM ranks by cosine similarity: give every element its own direction
    for i in range(5):
        angle = math.radians(20 * i)
        x, y = math.cos(angle), math.sin(angle)
        search_cluster.execute_command("VADD", "vs:set", "VALUES", "2", x, y, f"e{i}")
    q = math.radians(57)  # e3 at 60 degrees, then e2 at 40, e4 at 80
    nearest = search_cluster.execute_command(
        "VSIM", "vs:set", "VALUES", "2", math.cos(q), math.sin(q), "COUNT", "2"
    )
    assert nearest == [b"e3", b"e2"]


def test_vector_index_and_semantic_cache_refuse_a_cluster_clearly(redis_cluster, cluster_client):
    from redisai_core import (
        AsyncVectorIndex,
        ConfigError,
        SemanticCache,
        VectorFieldSpec,
        VectorIndex,
    )

    vector = VectorFieldSpec(dims=4)
    with pytest.raises(ConfigError, match="not supported on a Redis Cluster"):
        VectorIndex("docs", vector=vector, redis_client=cluster_client)
    with pytest.raises(ConfigError, match="not supported on a Redis Cluster"):
        VectorIndex("docs", vector=vector, redis_url=redis_cluster.cluster_url)
    with pytest.raises(ConfigError, match="not supported on a Redis Cluster"):
        AsyncVectorIndex("docs", vector=vector, redis_url=redis_cluster.cluster_url)
    with pytest.raises(ConfigError, match="not supported on a Redis Cluster"):
        SemanticCache(redis_client=cluster_client)
