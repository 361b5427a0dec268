"""Hosted executor: auto-batching across concurrent callers, MINBATCHSIZE/TIMEOUT, TIMEOUT.

Concurrent callers are asyncio tasks here and threads in the generated sync twin.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
import redis.asyncio

from redisai_core import KeyEmptyError, KeySpace, ModelExecutionError
from redisai_core._async.ai_hosted import AsyncHostedExecutor
from redisai_core._compat import async_sleep
from redisai_core.ai import _errors as msg
from redisai_core.ai._types import ModelExecuteOp, ModelMeta, Tensor, TensorGetOp, TensorSetOp

from ..ai_hosted_helpers import async_gather, mlp, mlp_reference, reduce_batch, slow

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


async def test_concurrent_callers_share_one_run_and_get_their_own_slice(executor):
    callers = 8
    rng = np.random.default_rng(3)
    xs = [rng.standard_normal((1 + i % 3, 32)).astype(np.float32) for i in range(callers)]
    rows = sum(len(x) for x in xs)
    await executor.modelstore(
        "m", ModelMeta("ONNX", "CPU", batchsize=rows, minbatchsize=rows), mlp()
    )
    for i, x in enumerate(xs):
        await executor.tensorset(f"x{i}", tensor_of(x))

    def call(i: int):
        return lambda: executor.modelexecute("m", [f"x{i}"], [f"y{i}"])

    assert await async_gather([call(i) for i in range(callers)]) == ["OK"] * callers
    # MINBATCHSIZE == all rows: nobody ran until all had arrived, then all ran at once.
    assert executor.model_runs("m") == 1
    for i, x in enumerate(xs):
        y = await executor.tensorget(f"y{i}")
        np.testing.assert_allclose(array_of(y), mlp_reference(x), rtol=1e-4, atol=1e-5)
    info = await executor.infoget("m")
    assert (info.calls, info.samples, info.errors) == (callers, rows, 0)


async def test_dag_callers_are_batched_with_each_other(executor):
    callers = 6
    meta = ModelMeta("ONNX", "CPU", batchsize=callers, minbatchsize=callers)
    await executor.modelstore("m", meta, mlp())
    xs = [np.full((1, 32), i, np.float32) for i in range(callers)]

    def call(i: int):
        ops = [
            TensorSetOp("x", tensor_of(xs[i])),
            ModelExecuteOp("m", ("x",), ("y",)),
            TensorGetOp("y"),
        ]
        return lambda: executor.dag(ops, routing="m")

    results = await async_gather([call(i) for i in range(callers)])
    assert executor.model_runs("m") == 1
    for i, result in enumerate(results):
        assert not isinstance(result, BaseException)
        np.testing.assert_allclose(array_of(result[2]), mlp_reference(xs[i]), rtol=1e-4, atol=1e-5)


async def test_minbatchtimeout_releases_an_incomplete_batch(executor):
    meta = ModelMeta("ONNX", "CPU", batchsize=4, minbatchsize=4, minbatchtimeout=150)
    await executor.modelstore("m", meta, mlp())
    await executor.tensorset("x", tensor_of(np.ones((1, 32), np.float32)))
    started = time.monotonic()
    assert await executor.modelexecute("m", ["x"], ["y"]) == "OK"
    assert time.monotonic() - started >= 0.14  # it waited for company first
    assert executor.model_runs("m") == 1


async def test_minbatchsize_without_timeout_waits_until_enough_arrive(executor, async_client):
    meta = ModelMeta("ONNX", "CPU", batchsize=2, minbatchsize=2)
    await executor.modelstore("m", meta, mlp())
    await executor.tensorset("x", tensor_of(np.ones((1, 32), np.float32)))
    # Alone it would wait forever; TIMEOUT (queue wait) ends it, and nothing is written.
    assert await executor.modelexecute("m", ["x"], ["y"], timeout=200) == "TIMEDOUT"
    with pytest.raises(KeyEmptyError):
        await executor.tensorget("y")
    assert executor.model_runs("m") == 0
    assert (await executor.infoget("m")).calls == 0

    def call(out: str):
        return lambda: executor.modelexecute("m", ["x"], [out])

    assert await async_gather([call("a"), call("b")]) == ["OK", "OK"]
    assert executor.model_runs("m") == 1


async def test_a_request_as_large_as_batchsize_runs_alone_at_once(executor):
    meta = ModelMeta("ONNX", "CPU", batchsize=2, minbatchsize=2)
    await executor.modelstore("m", meta, mlp())
    x = np.ones((3, 32), np.float32)
    await executor.tensorset("x", tensor_of(x))
    assert await executor.modelexecute("m", ["x"], ["y"], timeout=5000) == "OK"
    np.testing.assert_allclose(
        array_of(await executor.tensorget("y")), mlp_reference(x), rtol=1e-4, atol=1e-5
    )


async def test_requests_with_other_trailing_dims_are_not_batched_together(executor):
    # A [1, 5] request cannot join a [1, 32] one: each waits for a partner of its own shape,
    # gives up after MINBATCHTIMEOUT and runs alone (where ORT refuses the [1, 5] one).
    meta = ModelMeta("ONNX", "CPU", batchsize=2, minbatchsize=2, minbatchtimeout=100)
    await executor.modelstore("m", meta, mlp())
    await executor.tensorset("good", tensor_of(np.ones((1, 32), np.float32)))
    await executor.tensorset("odd", tensor_of(np.ones((1, 5), np.float32)))
    results = await async_gather(
        [
            lambda: executor.modelexecute("m", ["good"], ["y1"]),
            lambda: executor.modelexecute("m", ["odd"], ["y2"]),
        ]
    )
    assert results[0] == "OK"
    assert isinstance(results[1], ModelExecutionError)  # ran alone, and ORT refused the shape
    assert executor.model_runs("m") == 2


async def test_wrong_output_batch_dim_fails_every_request_of_the_batch(executor):
    meta = ModelMeta("ONNX", "CPU", batchsize=4, minbatchsize=2)
    await executor.modelstore("m", meta, reduce_batch())
    await executor.tensorset("x", tensor_of(np.ones((1, 4), np.float32)))
    results = await async_gather(
        [
            lambda: executor.modelexecute("m", ["x"], ["a"]),
            lambda: executor.modelexecute("m", ["x"], ["b"]),
        ]
    )
    for result in results:
        assert isinstance(result, ModelExecutionError)
        assert result.message == msg.BATCH_SIZE_MISMATCH
    for key in ("a", "b"):
        with pytest.raises(KeyEmptyError):
            await executor.tensorget(key)
    info = await executor.infoget("m")
    assert (info.calls, info.errors) == (2, 2)


async def test_backend_error_reaches_every_request_of_the_batch(executor):
    meta = ModelMeta("ONNX", "CPU", batchsize=2, minbatchsize=2)
    await executor.modelstore("m", meta, mlp())
    # [1, 31]: both requests agree on trailing dims, so they batch, and ORT rejects the batch.
    await executor.tensorset("x", tensor_of(np.ones((1, 31), np.float32)))
    results = await async_gather(
        [
            lambda: executor.modelexecute("m", ["x"], ["a"]),
            lambda: executor.modelexecute("m", ["x"], ["b"]),
        ]
    )
    assert executor.model_runs("m") == 1
    assert all(isinstance(r, ModelExecutionError) for r in results)
    assert results[0].message == results[1].message


async def test_timeout_counts_queue_wait_behind_a_slow_run(executor):
    # Deep enough to run for most of a second, so the late request surely queues behind it
    # even on a loaded machine where fetching the 6 MB input takes a while.
    await executor.modelstore("slow", ModelMeta("ONNX", "CPU"), slow(depth=32))
    big = np.ones((4096, 384), np.float32)
    await executor.tensorset("big", tensor_of(big))
    await executor.tensorset("small", tensor_of(np.ones((1, 384), np.float32)))

    async def late():
        await async_sleep(0.25)  # let the slow run start first
        return await executor.modelexecute("slow", ["small"], ["out"], timeout=1)

    results = await async_gather(
        [lambda: executor.modelexecute("slow", ["big"], ["big_out"]), late]
    )
    assert results == ["OK", "TIMEDOUT"]
    with pytest.raises(KeyEmptyError):
        await executor.tensorget("out")
    assert executor.model_runs("slow") == 1
