"""Hosted executor on a real Redis: tensors, models, AI.INFO, and every error case.

Written once for asyncio; ``scripts/unasync.py`` generates the sync twin in ``_sync/``.
"""

from __future__ import annotations

import uuid

import numpy as np
import onnxruntime
import pytest
import redis.asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from redisai_core import (
    KeyEmptyError,
    KeySpace,
    ModelError,
    ModelExecutionError,
    UnsupportedBackendError,
    WrongTypeError,
)
from redisai_core._async.ai_hosted import AsyncHostedExecutor
from redisai_core.ai import _errors as msg
from redisai_core.ai._types import ModelMeta, Tensor

from ..ai_hosted_helpers import bad_reshape, identity, mlp, mlp_reference, two_in_two_out

NUMPY_WIRE = {
    "FLOAT": np.float32,
    "DOUBLE": np.float64,
    "INT8": np.int8,
    "INT16": np.int16,
    "INT32": np.int32,
    "INT64": np.int64,
    "UINT8": np.uint8,
    "UINT16": np.uint16,
    "BOOL": np.bool_,
}


def tensor_of(array: np.ndarray, dtype: str = "FLOAT") -> Tensor:
    return Tensor(dtype, tuple(array.shape), np.ascontiguousarray(array).tobytes())


def array_of(tensor: Tensor) -> np.ndarray:
    return np.frombuffer(tensor.blob, NUMPY_WIRE[tensor.dtype]).reshape(tensor.shape)


async def our_keys(client: redis.asyncio.Redis, keyspace: KeySpace) -> set[bytes]:
    return {k async for k in client.scan_iter(match=keyspace.pattern())}


@pytest.fixture
async def executor(async_client: redis.asyncio.Redis, keyspace: KeySpace):
    ex = AsyncHostedExecutor(async_client, keyspace=keyspace)
    yield ex
    await ex.aclose()


# -- tensors ------------------------------------------------------------------------------------


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
async def test_tensor_round_trip_every_dtype_and_shape(executor, data):
    wire = data.draw(st.sampled_from(sorted(NUMPY_WIRE)))
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=5))
    array = data.draw(hnp.arrays(NUMPY_WIRE[wire], shape))
    key = f"t{uuid.uuid4().hex}"
    await executor.tensorset(key, tensor_of(array, wire))
    got = await executor.tensorget(key)
    assert got.dtype == wire
    assert got.shape == tuple(shape)
    assert got.blob == np.ascontiguousarray(array).tobytes()


async def test_string_tensor_round_trip_and_overwrite(executor):
    blob = "".join(s + "\0" for s in ["a", "", "héllo", "x y"]).encode()
    await executor.tensorset("s", Tensor("STRING", (2, 2), blob))
    assert await executor.tensorget("s") == Tensor("STRING", (2, 2), blob)
    await executor.tensorset("s", Tensor("INT8", (1,), b"\x07"))
    assert await executor.tensorget("s") == Tensor("INT8", (1,), b"\x07")


async def test_tensor_is_one_hash_under_the_key_space(executor, async_client, keyspace):
    await executor.tensorset("k", tensor_of(np.ones((2, 3), np.float32)))
    assert await our_keys(async_client, keyspace) == {f"{keyspace.head}key:k".encode()}
    fields = await async_client.hgetall(f"{keyspace.head}key:k")
    assert fields[b"dtype"] == b"FLOAT"
    assert fields[b"shape"] == b"2,3"


async def test_missing_tensor(executor):
    with pytest.raises(KeyEmptyError) as info:
        await executor.tensorget("nope")
    assert info.value.message == msg.TENSOR_KEY_EMPTY


# -- models -------------------------------------------------------------------------------------


async def test_modelstore_introspects_names_and_modelget_round_trips(executor):
    blob = two_in_two_out()
    meta = ModelMeta("onnx", "cpu", tag="v1", batchsize=4, minbatchsize=2, minbatchtimeout=7)
    await executor.modelstore("m", meta, blob)
    got, got_blob = await executor.modelget("m")
    assert got == ModelMeta("ONNX", "cpu", "v1", 4, 2, 7, ("a", "b"), ("sum", "prod"))
    assert got_blob == blob
    only, none = await executor.modelget("m", meta_only=True)
    assert only == got
    assert none is None


async def test_large_model_is_chunked_and_reassembled(async_client, keyspace):
    ex = AsyncHostedExecutor(async_client, keyspace=keyspace, model_chunk_size=1000)
    try:
        blob = mlp()
        await ex.modelstore("big", ModelMeta("ONNX", "CPU"), blob)
        assert await async_client.llen(f"{keyspace.head}key:big") == 1 + -(-len(blob) // 1000)
        assert (await ex.modelget("big"))[1] == blob
        x = np.random.default_rng(1).standard_normal((3, 32)).astype(np.float32)
        await ex.tensorset("x", tensor_of(x))
        assert await ex.modelexecute("big", ["x"], ["y"]) == "OK"
        np.testing.assert_allclose(array_of(await ex.tensorget("y")), mlp_reference(x), rtol=1e-4)
    finally:
        await ex.aclose()


@pytest.mark.parametrize("backend", ["TORCH", "TF", "TFLITE"])
async def test_other_backends_are_refused_and_nothing_written(
    executor, async_client, keyspace, backend
):
    with pytest.raises(UnsupportedBackendError) as info:
        await executor.modelstore("m", ModelMeta(backend, "CPU"), b"whatever")
    assert backend in info.value.message
    assert "ONNX" in info.value.message
    assert await our_keys(async_client, keyspace) == set()


async def test_corrupt_blob_fails_at_store_and_nothing_written(executor, async_client, keyspace):
    with pytest.raises(ModelError) as info:
        await executor.modelstore("m", ModelMeta("ONNX", "CPU"), b"\x08\x01garbage")
    assert not info.value.message.startswith("[ONNXRuntimeError]")
    assert await our_keys(async_client, keyspace) == set()


async def test_bad_device_and_gpu_without_cuda(executor, async_client, keyspace):
    with pytest.raises(ModelError) as info:
        await executor.modelstore("m", ModelMeta("ONNX", "TPU"), identity())
    assert info.value.message == msg.INVALID_DEVICE
    if "CUDAExecutionProvider" not in onnxruntime.get_available_providers():
        for device in ("GPU", "gpu:1"):
            with pytest.raises(ModelError) as info:
                await executor.modelstore("m", ModelMeta("ONNX", device), identity())
            assert info.value.message == msg.GPU_WITHOUT_CUDA
    assert await our_keys(async_client, keyspace) == set()


async def test_wrongtype_both_ways_and_nothing_changed(executor):
    x = tensor_of(np.ones((1, 4), np.float32))
    await executor.tensorset("t", x)
    await executor.modelstore("m", ModelMeta("ONNX", "CPU"), identity())
    for call in (
        lambda: executor.tensorset("m", x),
        lambda: executor.tensorget("m"),
        lambda: executor.modelget("t"),
        lambda: executor.modelget("t", meta_only=True),
        lambda: executor.modelstore("t", ModelMeta("ONNX", "CPU"), identity()),
        lambda: executor.modeldel("t"),
        lambda: executor.modelexecute("t", ["t"], ["o"]),
        lambda: executor.modelexecute("m", ["m"], ["o"]),
        lambda: executor.modelexecute("m", ["t"], ["m"]),
    ):
        with pytest.raises(WrongTypeError) as info:
            await call()
        assert info.value.message == msg.WRONGTYPE
    assert await executor.tensorget("t") == x
    assert (await executor.modelget("m"))[1] == identity()
    with pytest.raises(KeyEmptyError):
        await executor.tensorget("o")


async def test_missing_model_everywhere(executor):
    for call in (
        lambda: executor.modelget("m"),
        lambda: executor.modeldel("m"),
        lambda: executor.modelexecute("m", ["a"], ["b"]),
    ):
        with pytest.raises(KeyEmptyError) as info:
            await call()
        assert info.value.message == msg.MODEL_KEY_EMPTY
    for call in (lambda: executor.infoget("m"), lambda: executor.inforeset("m")):
        with pytest.raises(KeyEmptyError) as info:
            await call()
        assert info.value.message == msg.NO_RUN_INFO


async def test_modelscan_and_modeldel(executor, async_client, keyspace):
    await executor.modelstore("a", ModelMeta("ONNX", "CPU", tag="ta"), identity())
    await executor.modelstore("b", ModelMeta("ONNX", "CPU"), identity())
    await executor.tensorset("t", tensor_of(np.ones(2, np.float32)))
    assert sorted(await executor.modelscan()) == [("a", "ta"), ("b", "")]
    await executor.modeldel("a")
    assert await executor.modelscan() == [("b", "")]
    with pytest.raises(KeyEmptyError):
        await executor.modelexecute("a", ["t"], ["o"])
    # Only the version counter of the deleted model remains (it must never go back).
    left = {k.decode().removeprefix(keyspace.head) for k in await our_keys(async_client, keyspace)}
    assert "key:a" not in left
    assert "stats:a" not in left


# -- MODELEXECUTE -------------------------------------------------------------------------------


async def test_modelexecute_mlp(executor):
    x = np.random.default_rng(0).standard_normal((5, 32)).astype(np.float32)
    await executor.modelstore("m", ModelMeta("ONNX", "CPU"), mlp())
    await executor.tensorset("x", tensor_of(x))
    assert await executor.modelexecute("m", ["x"], ["y"]) == "OK"
    y = await executor.tensorget("y")
    assert (y.dtype, y.shape) == ("FLOAT", (5, 2))
    np.testing.assert_allclose(array_of(y), mlp_reference(x), rtol=1e-4, atol=1e-5)


async def test_binding_is_positional(executor):
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    b = np.full((2, 3), 2.0, np.float32)
    await executor.modelstore("m", ModelMeta("ONNX", "CPU"), two_in_two_out())
    await executor.tensorset("first", tensor_of(b))
    await executor.tensorset("second", tensor_of(a))
    # Names are ignored: input 0 is "a", output 0 is "sum", whatever the keys are called.
    assert await executor.modelexecute("m", ["first", "second"], ["prod", "sum"]) == "OK"
    np.testing.assert_array_equal(array_of(await executor.tensorget("prod")), a + b)
    np.testing.assert_array_equal(array_of(await executor.tensorget("sum")), a * b)


async def test_count_mismatch_messages_have_no_err_prefix(executor):
    await executor.modelstore("m", ModelMeta("ONNX", "CPU"), two_in_two_out())
    await executor.tensorset("a", tensor_of(np.ones((1, 3), np.float32)))
    with pytest.raises(ModelExecutionError) as info:
        await executor.modelexecute("m", ["a"], ["s", "p"])
    assert info.value.message == msg.INPUT_COUNT_MISMATCH
    with pytest.raises(ModelExecutionError) as info:
        await executor.modelexecute("m", ["a", "a"], ["s"])
    assert info.value.message == msg.OUTPUT_COUNT_MISMATCH


async def test_missing_input_writes_nothing(executor, async_client, keyspace):
    await executor.modelstore("m", ModelMeta("ONNX", "CPU"), two_in_two_out())
    await executor.tensorset("a", tensor_of(np.ones((1, 3), np.float32)))
    before = await our_keys(async_client, keyspace)
    with pytest.raises(KeyEmptyError) as info:
        await executor.modelexecute("m", ["a", "missing"], ["s", "p"])
    assert info.value.message == msg.TENSOR_KEY_EMPTY
    assert await our_keys(async_client, keyspace) == before


async def test_runtime_failure_gives_orts_message_writes_nothing_counts_error(
    executor, async_client, keyspace
):
    await executor.modelstore("m", ModelMeta("ONNX", "CPU"), bad_reshape())
    await executor.tensorset("x", tensor_of(np.ones((2, 4), np.float32)))
    await executor.tensorset("y", tensor_of(np.zeros(1, np.float32)))
    with pytest.raises(ModelExecutionError) as info:
        await executor.modelexecute("m", ["x"], ["y"])
    assert "cannot be reshaped" in info.value.message
    assert not info.value.message.startswith("[ONNXRuntimeError]")
    assert await executor.tensorget("y") == tensor_of(np.zeros(1, np.float32))
    stats = await executor.infoget("m")
    assert (stats.calls, stats.errors, stats.samples) == (1, 1, 0)


async def test_wrong_input_dtype_is_an_execution_error(executor):
    await executor.modelstore("m", ModelMeta("ONNX", "CPU"), mlp())
    await executor.tensorset("x", tensor_of(np.ones((1, 32), np.float64), "DOUBLE"))
    with pytest.raises(ModelExecutionError):
        await executor.modelexecute("m", ["x"], ["y"])
    with pytest.raises(KeyEmptyError):
        await executor.tensorget("y")


async def test_every_output_dtype_comes_back(executor):
    for wire, np_type in NUMPY_WIRE.items():
        elem = {
            "FLOAT": 1,
            "DOUBLE": 11,
            "INT8": 3,
            "INT16": 5,
            "INT32": 6,
            "INT64": 7,
            "UINT8": 2,
            "UINT16": 4,
            "BOOL": 9,
        }[wire]
        await executor.modelstore(f"id{wire}", ModelMeta("ONNX", "CPU"), identity(elem))
        x = (np.arange(6) % 2).astype(np_type).reshape(2, 3)
        await executor.tensorset("in", tensor_of(x, wire))
        assert await executor.modelexecute(f"id{wire}", ["in"], ["out"]) == "OK"
        assert await executor.tensorget("out") == tensor_of(x, wire)


# -- AI.INFO ------------------------------------------------------------------------------------


async def test_info_counters_reset_and_restore(executor):
    await executor.modelstore("m", ModelMeta("ONNX", "CPU", tag="t"), mlp())
    durations = []
    for rows in (1, 3, 2):
        await executor.tensorset("x", tensor_of(np.ones((rows, 32), np.float32)))
        await executor.modelexecute("m", ["x"], ["y"])
        info = await executor.infoget("m")
        durations.append(info.duration)
    assert (info.key, info.type, info.backend, info.device, info.tag) == (
        "m",
        "MODEL",
        "ONNX",
        "CPU",
        "t",
    )
    assert (info.samples, info.calls, info.errors) == (6, 3, 0)
    assert durations[0] > 0
    assert durations == sorted(set(durations))
    await executor.inforeset("m")
    info = await executor.infoget("m")
    assert (info.duration, info.samples, info.calls, info.errors) == (0, 0, 0, 0)
    await executor.modelexecute("m", ["x"], ["y"])
    assert (await executor.infoget("m")).calls == 1
    await executor.modelstore("m", ModelMeta("ONNX", "CPU", tag="t2"), mlp())
    info = await executor.infoget("m")
    assert (info.tag, info.calls, info.samples) == ("t2", 0, 0)


@pytest.mark.parametrize("options", [{"protocol": 2}, {"protocol": 3}, {"decode_responses": True}])
async def test_resp2_resp3_and_decoding_clients(redis_url, keyspace, options):
    client = redis.asyncio.Redis.from_url(redis_url, **options)
    ex = AsyncHostedExecutor(client, keyspace=keyspace)
    try:
        x = np.random.default_rng(2).standard_normal((2, 32)).astype(np.float32)
        await ex.modelstore("m", ModelMeta("ONNX", "CPU", tag="t"), mlp())
        await ex.tensorset("x", tensor_of(x))
        assert await ex.tensorget("x") == tensor_of(x)
        assert await ex.modelexecute("m", ["x"], ["y"]) == "OK"
        np.testing.assert_allclose(
            array_of(await ex.tensorget("y")), mlp_reference(x), rtol=1e-4, atol=1e-5
        )
        assert (await ex.modelget("m"))[1] == mlp()
        assert await ex.modelscan() == [("m", "t")]
        assert (await ex.infoget("m")).calls == 1
    finally:
        await ex.aclose()
        async for key in client.scan_iter(match=keyspace.pattern()):
            await client.unlink(key)
        await client.aclose()
