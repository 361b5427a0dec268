"""RedisAI hosted executor on a cluster: tensors, models, MODELEXECUTE and DAGs, sync and async.

The executor's key space is hash-tagged on a cluster, so every MULTI/EXEC it sends (model
store/delete, several outputs, DAG PERSIST) stays in one slot. Model changes reach other
clients through the per-request version check (no invalidation listener on a cluster).
"""

from __future__ import annotations

import numpy as np
import pytest
import redis.asyncio.cluster
import redis.cluster

from redisai_core import (
    AsyncRedisAIClient,
    ConfigError,
    EmbeddedCluster,
    KeyEmptyError,
    KeySpace,
    RedisAIClient,
)

from ..ai_hosted_helpers import mlp, mlp_reference, scale, two_in_two_out
from .helpers import keys_per_node

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def ai(cluster_client: redis.cluster.RedisCluster, keyspace: KeySpace):
    client = RedisAIClient(redis_client=cluster_client, executor="hosted", prefix=keyspace.prefix)
    yield client
    client.close()


def test_tensors_models_execute_and_scan(ai, redis_cluster: EmbeddedCluster, keyspace):
    x = np.random.default_rng(1).standard_normal((3, 32)).astype(np.float32)
    assert ai.tensorset("x", x) == "OK"
    np.testing.assert_array_equal(ai.tensorget("x"), x)
    assert ai.modelstore("m", "ONNX", "CPU", mlp(), tag="v1") == "OK"
    meta = ai.modelget("m", meta_only=True)
    assert meta["tag"] == "v1"
    assert ai.modelexecute("m", ["x"], ["y"]) == "OK"
    np.testing.assert_allclose(ai.tensorget("y"), mlp_reference(x), rtol=1e-4, atol=1e-5)
    info = ai.infoget("m")
    assert info["calls"] == 1 and info["samples"] == 3

    # several inputs and outputs: one MULTI/EXEC each way, legal because all share a slot
    a = np.ones((2, 3), np.float32)
    b = np.full((2, 3), 2.0, np.float32)
    ai.tensorset("a", a)
    ai.tensorset("b", b)
    ai.modelstore("two", "ONNX", "CPU", two_in_two_out())
    assert ai.modelexecute("two", ["a", "b"], ["s", "p"]) == "OK"
    np.testing.assert_array_equal(ai.tensorget("s"), a + b)
    np.testing.assert_array_equal(ai.tensorget("p"), a * b)

    assert sorted(ai.modelscan()) == [("m", "v1"), ("two", "")]
    # every key of the executor lives on one node
    tagged = KeySpace(keyspace.prefix).hash_tagged()
    counts = keys_per_node(redis_cluster, tagged.pattern())
    assert sorted(counts)[:2] == [0, 0] and max(counts) >= 7

    assert ai.modeldel("m") == "OK"
    with pytest.raises(KeyEmptyError):
        ai.modelget("m")
    assert ai.modelscan() == [("two", "")]


def test_dag_load_run_persist(ai):
    x = np.random.default_rng(2).standard_normal((2, 32)).astype(np.float32)
    ai.modelstore("m", "ONNX", "CPU", mlp())
    ai.tensorset("x", x)
    dag = ai.dag(load=["x"], persist=["y"])
    dag.modelexecute("m", ["x"], ["y"])
    dag.tensorget("y")
    result = dag.execute()
    assert result[0] == "OK"
    np.testing.assert_allclose(result[1], mlp_reference(x), rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(ai.tensorget("y"), result[1])
    assert ai.infoget("m")["calls"] == 1

    inline = ai.dag(persist=[])  # no LOAD/PERSIST: routed by the model, Redis untouched
    inline.tensorset("in", x)
    inline.modelexecute("m", ["in"], ["out"])
    inline.tensorget("out")
    assert inline.execute()[0] == "OK"
    with pytest.raises(KeyEmptyError):
        ai.tensorget("out")


def test_restore_seen_by_another_client(cluster_client, redis_cluster, keyspace):
    """No invalidation listener on a cluster: the version check makes a re-store visible."""
    x = np.ones((1, 4), np.float32)
    with redis.cluster.RedisCluster(startup_nodes=redis_cluster.startup_nodes) as other_conn:
        writer = RedisAIClient(
            redis_client=cluster_client, executor="hosted", prefix=keyspace.prefix
        )
        reader = RedisAIClient(redis_client=other_conn, executor="hosted", prefix=keyspace.prefix)
        try:
            writer.tensorset("x", x)
            writer.modelstore("m", "ONNX", "CPU", scale(2.0))
            reader.modelexecute("m", ["x"], ["y"])
            np.testing.assert_array_equal(reader.tensorget("y"), 2 * x)
            writer.modelstore("m", "ONNX", "CPU", scale(3.0))
            reader.modelexecute("m", ["x"], ["y"])  # the reader's cached session is stale
            np.testing.assert_array_equal(reader.tensorget("y"), 3 * x)
            writer.modeldel("m")
            with pytest.raises(KeyEmptyError):
                reader.modelexecute("m", ["x"], ["y"])
        finally:
            writer.close()
            reader.close()


def test_auto_executor_is_hosted_on_a_cluster(cluster_client, keyspace):
    client = RedisAIClient(redis_client=cluster_client, prefix=keyspace.prefix)
    try:
        assert client.get_executor().name == "hosted"
    finally:
        client.close()


def test_decoding_cluster_client_is_refused(redis_cluster):
    with redis.cluster.RedisCluster.from_url(redis_cluster.url, decode_responses=True) as conn:
        client = RedisAIClient(redis_client=conn, executor="hosted", prefix="x")
        with pytest.raises(ConfigError, match="decode_responses"):
            client.tensorset("t", np.zeros(2, np.float32))
        client.close()


async def test_async_hosted_on_cluster(
    async_cluster_client: redis.asyncio.cluster.RedisCluster, keyspace: KeySpace
):
    ai = AsyncRedisAIClient(
        redis_client=async_cluster_client, executor="hosted", prefix=keyspace.prefix
    )
    try:
        x = np.random.default_rng(3).standard_normal((4, 32)).astype(np.float32)
        await ai.tensorset("x", x)
        await ai.modelstore("m", "ONNX", "CPU", mlp(), tag="t")
        assert await ai.modelexecute("m", ["x"], ["y"]) == "OK"
        np.testing.assert_allclose(await ai.tensorget("y"), mlp_reference(x), rtol=1e-4, atol=1e-5)
        dag = ai.dag(load=["x"], persist=["z"])
        dag.modelexecute("m", ["x"], ["z"])
        assert (await dag.execute())[0] == "OK"
        np.testing.assert_array_equal(await ai.tensorget("z"), await ai.tensorget("y"))
        assert await ai.modelscan() == [("m", "t")]
        assert (await ai.infoget("m"))["calls"] == 2
        await ai.modeldel("m")
        assert await ai.modelscan() == []
    finally:
        await ai.aclose()


async def test_async_auto_executor_is_hosted_on_a_cluster(async_cluster_client, keyspace):
    client = AsyncRedisAIClient(redis_client=async_cluster_client, prefix=keyspace.prefix)
    try:
        assert (await client.get_executor()).name == "hosted"
    finally:
        await client.aclose()
