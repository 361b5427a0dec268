"""The client facade over the module executor: arguments in, exact argv out, replies shaped.

The redis-py client is real; only its ``execute_command`` (the I/O seam) is replaced by a
recorder with canned replies.
"""

from __future__ import annotations

import numpy as np
import pytest
import redis
import redis.asyncio

from redisai_core import AsyncRedisAIClient, RedisAIClient
from redisai_core._async.ai_module import AsyncModuleExecutor
from redisai_core.ai import _errors as msg
from redisai_core.errors import (
    ConfigError,
    DagError,
    KeyEmptyError,
    ModelError,
    ModelExecutionError,
    TensorError,
    UnsupportedBackendError,
)

from ._fakes import FakeRedis, SyncFakeRedis, wire_error

F32 = np.array([[5, 10]], dtype=np.float32)
META_BLOB = [b"dtype", b"FLOAT", b"shape", [1, 2], b"blob", F32.tobytes()]
HELLO_WITH_AI = [
    b"server", b"redis", b"version", b"6.2.14", b"proto", 2, b"id", 7, b"mode", b"standalone",
    b"role", b"master", b"modules", [[b"name", b"ai", b"ver", 10207, b"path", b"/x/redisai.so", b"args", []]],
]  # fmt: skip


@pytest.fixture
async def make():
    clients = []

    def factory(*replies, executor="module", **kwargs):
        fake = FakeRedis(*replies)
        conn = redis.asyncio.Redis()
        conn.execute_command = fake.execute_command  # the I/O seam
        clients.append(conn)
        return AsyncRedisAIClient(redis_client=conn, executor=executor, **kwargs), fake

    yield factory
    for conn in clients:
        await conn.aclose()


async def test_tensorset_numpy_and_list(make):
    ai, fake = make(b"OK", b"OK")
    assert await ai.tensorset("t", F32) == "OK"
    assert await ai.tensorset("i", [1, -2, 3], dtype="INT16", shape=(3, 1)) == "OK"
    assert fake.calls == [
        ("AI.TENSORSET", "t", "FLOAT", "1", "2", "BLOB", F32.tobytes()),
        ("AI.TENSORSET", "i", "INT16", "3", "1", "BLOB", np.array([1, -2, 3], "<i2").tobytes()),
    ]


async def test_tensorset_errors_send_nothing(make):
    ai, fake = make()
    with pytest.raises(TensorError, match=f"^{msg.INVALID_DTYPE}$"):
        await ai.tensorset("t", np.ones(2, dtype=np.uint32))
    with pytest.raises(TensorError, match=f"^{msg.INVALID_VALUE}$"):
        await ai.tensorset("t", [1, 2.5], dtype="INT32")
    with pytest.raises(ConfigError):
        await ai.tensorset("t", [1, 2])
    assert fake.calls == []


async def test_tensorget_three_shapes(make):
    ai, fake = make(META_BLOB, META_BLOB, META_BLOB)
    arr = await ai.tensorget("t")
    np.testing.assert_array_equal(arr, F32)
    assert arr.dtype == np.float32
    assert await ai.tensorget("t", as_numpy=False) == {
        "dtype": "FLOAT",
        "shape": [1, 2],
        "values": [5.0, 10.0],
    }
    assert await ai.tensorget("t", meta_only=True) == {"dtype": "FLOAT", "shape": [1, 2]}
    assert fake.calls == [("AI.TENSORGET", "t", "META", "BLOB")] * 3


async def test_tensorget_missing_key(make):
    ai, _ = make(wire_error(msg.TENSOR_KEY_EMPTY))
    with pytest.raises(KeyEmptyError) as info:
        await ai.tensorget("nope")
    assert str(info.value) == msg.TENSOR_KEY_EMPTY


async def test_modelstore(make):
    ai, fake = make(b"OK", b"OK", chunk_size=2)
    assert await ai.modelstore("m", "onnx", "CPU", b"abcde", batch=4, minbatch=2, tag="v1") == "OK"
    assert await ai.modelstore("tf", "TF", "GPU:0", b"ab", inputs="x", outputs=["y", "z"]) == "OK"
    assert fake.calls == [
        ("AI.MODELSTORE", "m", "ONNX", "CPU", "TAG", "v1", "BATCHSIZE", "4", "MINBATCHSIZE", "2",
         "BLOB", b"ab", b"cd", b"e"),
        ("AI.MODELSTORE", "tf", "TF", "GPU:0", "INPUTS", "1", "x", "OUTPUTS", "2", "y", "z", "BLOB", b"ab"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "kwargs", "cls", "message"),
    [
        (("TENSORRT", "CPU"), {}, UnsupportedBackendError, msg.UNSUPPORTED_BACKEND),
        (("ONNX", "CPU:1.8"), {}, ModelError, msg.INVALID_DEVICE),
        (("ONNX", "CPU"), {"minbatch": 2}, ModelError, msg.MINBATCH_WITHOUT_BATCH),
        (
            ("ONNX", "CPU"),
            {"batch": 2, "minbatchtimeout": 9},
            ModelError,
            msg.MINBATCHTIMEOUT_WITHOUT_MINBATCH,
        ),
        (("TF", "CPU"), {}, ModelError, msg.TF_INPUTS_MISSING),
        (("TORCH", "CPU"), {"inputs": ["a"]}, ModelError, msg.INPUTS_NOT_FOR_BACKEND),
    ],
)
async def test_modelstore_client_side_checks(make, args, kwargs, cls, message):
    ai, fake = make()
    with pytest.raises(cls) as info:
        await ai.modelstore("m", *args, b"blob", **kwargs)
    assert info.value.message == message
    assert fake.calls == []


async def test_modelget_dicts(make):
    base = [
        b"backend", b"ONNX", b"device", b"CPU", b"tag", b"t", b"batchsize", 0, b"minbatchsize", 0,
        b"inputs", [b"x"], b"outputs", [b"y"], b"minbatchtimeout", 0,
    ]  # fmt: skip
    ai, fake = make([*base, b"blob", [b"ab", b"c"]], base)
    full = await ai.modelget("m")
    assert full["blob"] == b"abc"
    assert full["inputs"] == ["x"] and full["outputs"] == ["y"] and full["tag"] == "t"
    meta = await ai.modelget("m", meta_only=True)
    assert "blob" not in meta and meta["backend"] == "ONNX"
    assert fake.calls == [("AI.MODELGET", "m", "META", "BLOB"), ("AI.MODELGET", "m", "META")]


async def test_modeldel_execute_scan_info(make):
    info = [
        b"key", b"m", b"type", b"MODEL", b"backend", b"ONNX", b"device", b"CPU", b"tag", b"",
        b"duration", 10, b"samples", 2, b"calls", 2, b"errors", 0,
    ]  # fmt: skip
    ai, fake = make(b"OK", b"OK", b"TIMEDOUT", [[b"m", b"v"]], info, b"OK")
    assert await ai.modeldel("m") == "OK"
    assert await ai.modelexecute("m", "a", "b") == "OK"
    assert await ai.modelexecute("m", ["a", "b"], ["c"], timeout=3) == "TIMEDOUT"
    assert await ai.modelscan() == [("m", "v")]
    assert (await ai.infoget("m"))["samples"] == 2
    assert await ai.inforeset("m") == "OK"
    assert fake.calls[1:3] == [
        ("AI.MODELEXECUTE", "m", "INPUTS", "1", "a", "OUTPUTS", "1", "b"),
        ("AI.MODELEXECUTE", "m", "INPUTS", "2", "a", "b", "OUTPUTS", "1", "c", "TIMEOUT", "3"),
    ]


async def test_modelexecute_errors(make):
    ai, fake = make(wire_error(msg.INPUT_COUNT_MISMATCH))
    with pytest.raises(ModelError, match=f"^{msg.INVALID_TIMEOUT}$"):
        await ai.modelexecute("m", "a", "b", timeout=0)
    assert fake.calls == []
    with pytest.raises(ModelExecutionError) as info:
        await ai.modelexecute("m", "a", "b")
    assert info.value.message == msg.INPUT_COUNT_MISMATCH


async def test_dag_default_routing_and_results(make):
    reply = [b"OK", b"OK", META_BLOB, META_BLOB]
    ai, fake = make(reply)
    dag = ai.dag(timeout=50)
    out = await (
        dag.tensorset("x", F32)
        .modelexecute("m{1}", "x", "y")
        .tensorget("y")
        .tensorget("y", as_numpy=False, meta_only=True)
        .execute()
    )
    assert out[:2] == ["OK", "OK"]
    np.testing.assert_array_equal(out[2], F32)
    assert out[3] == {"dtype": "FLOAT", "shape": [1, 2]}
    assert fake.calls[0][:5] == ("AI.DAGEXECUTE", "ROUTING", "m{1}", "TIMEOUT", "50")


async def test_dag_explicit_scope_and_readonly(make):
    ai, fake = make([META_BLOB], [b"OK", b"OK"])
    assert len(await ai.dag(load="a", readonly=True).tensorget("a").execute()) == 1
    await (
        ai.dag(persist=["y"], routing="r")
        .tensorset("x", [1], dtype="INT8")
        .modelexecute("m", ["x"], ["y"])
        .execute()
    )
    assert fake.calls[0][:4] == ("AI.DAGEXECUTE_RO", "LOAD", "1", "a")
    assert fake.calls[1][:6] == ("AI.DAGEXECUTE", "PERSIST", "1", "y", "ROUTING", "r")


async def test_dag_inline_error_na_and_timeout(make):
    ai, _ = make([b"OK", wire_error(msg.BATCH_SIZE_MISMATCH), b"NA"], b"TIMEDOUT")
    dag = ai.dag(routing="m").tensorset("x", F32).modelexecute("m", "x", "y").tensorget("y")
    out = await dag.execute()
    assert out[0] == "OK" and out[2] == "NA"
    assert isinstance(out[1], ModelExecutionError) and out[1].message == msg.BATCH_SIZE_MISMATCH
    assert await dag.execute() == "TIMEDOUT"


async def test_dag_client_side_errors(make):
    ai, fake = make()
    with pytest.raises(DagError, match=f"^{msg.DAG_PERSIST_READONLY}$"):
        ai.dag(persist="y", readonly=True)
    with pytest.raises(DagError, match=f"^{msg.INVALID_TIMEOUT}$"):
        ai.dag(timeout=-1)
    with pytest.raises(DagError, match=f"^{msg.DAG_EMPTY}$"):
        await ai.dag().execute()
    with pytest.raises(DagError, match=f"^{msg.DAG_EMPTY}$"):
        await ai.dag(load="a").execute()
    assert fake.calls == []


async def test_dag_refused_by_server(make):
    ai, _ = make(wire_error(msg.DAG_INPUT_NOT_FOUND))
    with pytest.raises(DagError) as info:
        await ai.dag(routing="m").modelexecute("m", "nope", "y").execute()
    assert info.value.message == msg.DAG_INPUT_NOT_FOUND


async def test_auto_picks_module_when_ai_is_loaded(make):
    ai, fake = make(HELLO_WITH_AI, b"OK", b"OK", executor="auto")
    await ai.tensorset("t", F32)
    await ai.tensorset("t", F32)
    assert isinstance(await ai.get_executor(), AsyncModuleExecutor)
    # One probe, then only AI.* commands.
    assert [call[0] for call in fake.calls] == ["HELLO", "AI.TENSORSET", "AI.TENSORSET"]


def test_unknown_executor_and_bad_prefix():
    conn = redis.asyncio.Redis()
    with pytest.raises(ConfigError):
        AsyncRedisAIClient(redis_client=conn, executor="onnx")
    with pytest.raises(ConfigError):
        AsyncRedisAIClient(redis_client=conn, prefix="")


async def test_context_manager_leaves_an_injected_client_open(make):
    ai, fake = make(b"OK")
    async with ai as entered:
        assert entered is ai
    # The injected client still works (it was not closed by the facade).
    assert await ai.tensorset("t", F32) == "OK"
    assert [call[0] for call in fake.calls] == ["AI.TENSORSET"]


def test_sync_client_is_generated_and_works():
    fake = SyncFakeRedis(b"OK", META_BLOB, [b"OK", META_BLOB])
    conn = redis.Redis()
    conn.execute_command = fake.execute_command
    with RedisAIClient(redis_client=conn, executor="module") as ai:
        assert ai.tensorset("t", F32) == "OK"
        np.testing.assert_array_equal(ai.tensorget("t"), F32)
        out = ai.dag(routing="t").tensorset("t", F32).tensorget("t", as_numpy=False).execute()
        assert out == ["OK", {"dtype": "FLOAT", "shape": [1, 2], "values": [5.0, 10.0]}]
    assert fake.calls[0] == ("AI.TENSORSET", "t", "FLOAT", "1", "2", "BLOB", F32.tobytes())
    conn.close()
