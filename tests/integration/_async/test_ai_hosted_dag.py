"""Hosted executor: DAG semantics, the no-Redis serving path, two processes, plain Redis."""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import pytest
import redis
import redis.asyncio

from redisai_core import DagError, KeyEmptyError, KeySpace, ModelExecutionError
from redisai_core._async.ai_hosted import AsyncHostedExecutor
from redisai_core._compat import async_sleep
from redisai_core.ai import _errors as msg
from redisai_core.ai._types import (
    NA,
    OK,
    ModelExecuteOp,
    ModelMeta,
    Tensor,
    TensorGetOp,
    TensorSetOp,
)

from ..ai_hosted_helpers import async_gather, bad_reshape, mlp, mlp_reference, scale, slow

pytestmark = pytest.mark.timeout(60)


def tensor_of(array: np.ndarray) -> Tensor:
    return Tensor("FLOAT", tuple(array.shape), np.ascontiguousarray(array).tobytes())


def array_of(tensor: Tensor) -> np.ndarray:
    return np.frombuffer(tensor.blob, np.float32).reshape(tensor.shape)


@pytest.fixture
async def executor(async_client: redis.asyncio.Redis, keyspace: KeySpace):
    ex = AsyncHostedExecutor(async_client, keyspace=keyspace)
    yield ex
    await ex.aclose()


async def test_dag_load_run_persist(executor):
    x = np.random.default_rng(5).standard_normal((2, 32)).astype(np.float32)
    await executor.modelstore("m", ModelMeta("ONNX", "CPU"), mlp())
    await executor.tensorset("x", tensor_of(x))
    ops = [ModelExecuteOp("m", ("x",), ("y",)), TensorGetOp("y")]
    result = await executor.dag(ops, load=["x"], persist=["y"])
    assert result[0] == OK
    np.testing.assert_allclose(array_of(result[1]), mlp_reference(x), rtol=1e-4, atol=1e-5)
    assert await executor.tensorget("y") == result[1]
    assert (await executor.infoget("m")).calls == 1


async def test_dag_failure_gives_inline_error_then_na_and_persists_nothing(executor):
    await executor.modelstore("bad", ModelMeta("ONNX", "CPU"), bad_reshape())
    await executor.modelstore("m", ModelMeta("ONNX", "CPU"), mlp())
    ops = [
        TensorSetOp("a", tensor_of(np.ones((2, 4), np.float32))),
        TensorSetOp("keep", tensor_of(np.ones((1, 32), np.float32))),
        ModelExecuteOp("bad", ("a",), ("b",)),
        TensorGetOp("b"),
        ModelExecuteOp("m", ("keep",), ("c",)),
        TensorGetOp("keep"),
    ]
    result = await executor.dag(ops, persist=["keep", "b"])
    assert result[:2] == [OK, OK]
    assert isinstance(result[2], ModelExecutionError)
    assert "cannot be reshaped" in result[2].message
    assert result[3:] == [NA, NA, NA]
    for key in ("keep", "b", "c"):
        with pytest.raises(KeyEmptyError):
            await executor.tensorget(key)
    info = await executor.infoget("bad")
    assert (info.calls, info.errors) == (1, 1)
    assert (await executor.infoget("m")).calls == 0


async def test_dag_volatile_tensors_touch_nothing(executor, async_client, keyspace):
    ops = [TensorSetOp("v", tensor_of(np.ones(2, np.float32))), TensorGetOp("v")]
    result = await executor.dag(ops, routing="{x}")
    assert result == [OK, tensor_of(np.ones(2, np.float32))]
    assert [k async for k in async_client.scan_iter(match=keyspace.pattern())] == []


async def test_dag_parse_errors_refuse_the_whole_dag(executor, async_client, keyspace):
    await executor.modelstore("m", ModelMeta("ONNX", "CPU"), mlp())
    x = TensorSetOp("x", tensor_of(np.ones((1, 32), np.float32)))
    run = ModelExecuteOp("m", ("x",), ("y",))
    cases = [
        (dict(ops=[x]), msg.DAG_NEEDS_SCOPE),
        (dict(ops=[], routing="r"), msg.DAG_EMPTY),
        (dict(ops=[ModelExecuteOp("m", ("nope",), ("y",))], routing="r"), msg.DAG_INPUT_NOT_FOUND),
        (dict(ops=[x, TensorGetOp("y")], routing="r"), msg.DAG_INPUT_NOT_FOUND),
        (dict(ops=[x, run], persist=["z"]), msg.DAG_PERSIST_NOT_FOUND),
        (dict(ops=[x, run], persist=["y", "y"]), msg.DAG_PERSIST_UNIQUE),
        (dict(ops=[x, run], persist=["y"], readonly=True), msg.DAG_PERSIST_READONLY),
        (
            dict(ops=[x, ModelExecuteOp("m", ("x", "x"), ("y",))], routing="r"),
            msg.INPUT_COUNT_MISMATCH,
        ),
    ]
    for kwargs, expected in cases:
        with pytest.raises(DagError) as info:
            await executor.dag(**kwargs)
        assert info.value.message == expected
    with pytest.raises(KeyEmptyError) as info:
        await executor.dag([run], load=["x"], persist=["y"])
    assert info.value.message == msg.TENSOR_KEY_EMPTY
    with pytest.raises(KeyEmptyError) as info:
        await executor.dag([x, ModelExecuteOp("nomodel", ("x",), ("y",))], routing="r")
    assert info.value.message == msg.MODEL_KEY_EMPTY
    assert (await executor.infoget("m")).calls == 0


async def test_dag_timeout_is_whole_dag_and_persists_nothing(executor):
    # Deep enough to run for most of a second, so the late request surely queues behind it
    # even on a loaded machine where fetching the 6 MB input takes a while.
    await executor.modelstore("slow", ModelMeta("ONNX", "CPU"), slow(depth=32))
    await executor.tensorset("big", tensor_of(np.ones((4096, 384), np.float32)))
    ops = [
        TensorSetOp("s", tensor_of(np.ones((1, 384), np.float32))),
        ModelExecuteOp("slow", ("s",), ("o",)),
    ]

    async def late():
        await async_sleep(0.25)  # let the slow run start first
        return await executor.dag(ops, persist=["o"], timeout=1)

    results = await async_gather(
        [lambda: executor.modelexecute("slow", ["big"], ["big_out"]), late]
    )
    assert results == ["OK", "TIMEDOUT"]
    with pytest.raises(KeyEmptyError):
        await executor.tensorget("o")


async def test_serving_path_sends_no_command_once_the_model_is_cached(executor, redis_url):
    await executor.modelstore("m", ModelMeta("ONNX", "CPU", batchsize=4), mlp())
    ops = [
        TensorSetOp("x", tensor_of(np.ones((1, 32), np.float32))),
        ModelExecuteOp("m", ("x",), ("y",)),
        TensorGetOp("y"),
    ]
    await executor.dag(ops, routing="m")  # loads and caches the model
    deadline = time.monotonic() + 5
    while not executor._cache.healthy and time.monotonic() < deadline:
        await async_sleep(0.01)
    # The listener connected after the first load, so that load is checked once more.
    await executor.dag(ops, routing="m")
    with redis.Redis.from_url(redis_url) as probe:
        watched = ("hgetall", "hset", "lindex", "lrange", "get", "exec", "type")
        before = {k: v for k, v in probe.info("commandstats").items() if k[8:] in watched}
        for _ in range(20):
            result = await executor.dag(ops, routing="m")
            assert result[1] == OK
        after = {k: v for k, v in probe.info("commandstats").items() if k[8:] in watched}
    assert before == after


SNIPPET = """
import sys, numpy as np, redis
from redisai_core import KeySpace
from redisai_core._sync.ai_hosted import HostedExecutor
from redisai_core.ai._types import ModelMeta, Tensor
sys.path.insert(0, {root!r})
from tests.integration.ai_hosted_helpers import scale
ex = HostedExecutor(redis.Redis.from_url({url!r}), keyspace=KeySpace({prefix!r}))
{body}
ex.close()
"""


def run_in_other_process(redis_url: str, keyspace: KeySpace, body: str) -> str:
    root = str(__import__("pathlib").Path(__file__).resolve().parents[3])
    code = SNIPPET.format(root=root, url=redis_url, prefix=keyspace.prefix, body=body)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


async def test_info_counters_are_shared_between_processes(executor, redis_url, keyspace):
    await executor.modelstore("m", ModelMeta("ONNX", "CPU"), scale(2.0))
    await executor.tensorset("x", tensor_of(np.ones((3, 4), np.float32)))
    await executor.modelexecute("m", ["x"], ["y"])
    # The other process runs the model twice (once in a DAG, counted by its background
    # writer or at close) and prints what it sees.
    out = run_in_other_process(
        redis_url,
        keyspace,
        "ex.modelexecute('m', ['x'], ['y'])\n"
        "from redisai_core.ai._types import ModelExecuteOp\n"
        "ex.dag([ModelExecuteOp('m', ('x',), ('z',))], load=['x'], persist=['z'])\n"
        "print(ex.infoget('m').calls)",
    )
    assert out.strip() == "3"
    info = await executor.infoget("m")
    assert (info.calls, info.samples) == (3, 9)


async def test_a_model_restored_by_another_process_is_picked_up(executor, redis_url, keyspace):
    x = np.ones((1, 4), np.float32)
    await executor.modelstore("m", ModelMeta("ONNX", "CPU"), scale(2.0))
    await executor.tensorset("x", tensor_of(x))
    await executor.modelexecute("m", ["x"], ["y"])
    np.testing.assert_array_equal(array_of(await executor.tensorget("y")), x * 2)
    run_in_other_process(
        redis_url, keyspace, "ex.modelstore('m', ModelMeta('ONNX', 'CPU'), scale(3.0))"
    )
    # The invalidation message travels asynchronously; it arrives within milliseconds.
    deadline = time.monotonic() + 5
    while True:
        await executor.modelexecute("m", ["x"], ["y"])
        got = array_of(await executor.tensorget("y"))
        if got[0, 0] == 3 or time.monotonic() > deadline:
            break
        await async_sleep(0.01)
    np.testing.assert_array_equal(got, x * 3)


async def test_everything_works_on_plain_redis_without_modules(plain_redis_url, keyspace):
    client = redis.asyncio.Redis.from_url(plain_redis_url)
    ex = AsyncHostedExecutor(client, keyspace=keyspace)
    try:
        x = np.ones((2, 32), np.float32)
        await ex.modelstore("m", ModelMeta("ONNX", "CPU", batchsize=2), mlp())
        await ex.tensorset("x", tensor_of(x))
        assert await ex.modelexecute("m", ["x"], ["y"]) == "OK"
        np.testing.assert_allclose(
            array_of(await ex.tensorget("y")), mlp_reference(x), rtol=1e-4, atol=1e-5
        )
        result = await ex.dag([ModelExecuteOp("m", ("x",), ("z",)), TensorGetOp("z")], load=["x"])
        assert result[0] == OK
        assert (await ex.infoget("m")).calls == 2
        assert await ex.modelscan() == [("m", "")]
        await ex.modeldel("m")
    finally:
        await ex.aclose()
        async for key in client.scan_iter(match=keyspace.pattern()):
            await client.unlink(key)
        await client.aclose()


async def test_end_to_end_through_the_client_facade(async_client, keyspace):
    from redisai_core import AsyncRedisAIClient

    async with AsyncRedisAIClient(
        redis_client=async_client, executor="hosted", prefix=keyspace.prefix
    ) as ai:
        x = np.random.default_rng(9).standard_normal((4, 32)).astype(np.float32)
        await ai.modelstore("m", "ONNX", "CPU", mlp(), batch=8, tag="e2e")
        await ai.tensorset("x", x)
        assert await ai.modelexecute("m", ["x"], ["y"]) == "OK"
        np.testing.assert_allclose(await ai.tensorget("y"), mlp_reference(x), rtol=1e-4, atol=1e-5)
        dag = ai.dag(routing="m").tensorset("a", x).modelexecute("m", ["a"], ["b"]).tensorget("b")
        result = await dag.execute()
        np.testing.assert_allclose(result[2], mlp_reference(x), rtol=1e-4, atol=1e-5)
        info = await ai.infoget("m")
        assert (info["calls"], info["samples"], info["tag"]) == (2, 8, "e2e")


async def test_listener_reconnects_and_a_restore_during_the_outage_is_seen(
    async_client, keyspace, redis_url
):
    first = AsyncHostedExecutor(async_client, keyspace=keyspace)
    second = AsyncHostedExecutor(async_client, keyspace=keyspace, track_invalidations=False)
    try:
        x = np.ones((1, 4), np.float32)
        await first.modelstore("m", ModelMeta("ONNX", "CPU"), scale(2.0))
        await first.tensorset("x", tensor_of(x))
        await first.modelexecute("m", ["x"], ["y"])
        deadline = time.monotonic() + 5
        while not first._cache.healthy and time.monotonic() < deadline:
            await async_sleep(0.01)
        assert first._cache.healthy
        with redis.Redis.from_url(redis_url) as admin:
            # Cut the listener off (its subscriber connection), then re-store elsewhere.
            assert admin.client_kill_filter(_type="pubsub") >= 1
        await second.modelstore("m", ModelMeta("ONNX", "CPU"), scale(5.0))
        deadline = time.monotonic() + 5
        while True:
            await first.modelexecute("m", ["x"], ["y"])
            got = array_of(await first.tensorget("y"))
            if got[0, 0] == 5 or time.monotonic() > deadline:
                break
            await async_sleep(0.01)
        np.testing.assert_array_equal(got, x * 5)
        # ...and the listener is back.
        deadline = time.monotonic() + 5
        while not first._cache.healthy and time.monotonic() < deadline:
            await async_sleep(0.01)
        assert first._cache.healthy
    finally:
        await first.aclose()
        await second.aclose()
