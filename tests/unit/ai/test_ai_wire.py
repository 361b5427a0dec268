"""The module executor and client under real redis-py (RESP2 and RESP3) and raw RESP bytes."""

from __future__ import annotations

import numpy as np
import pytest
import redis.asyncio

from redisai_core import AsyncRedisAIClient
from redisai_core._async.ai_module import AsyncModuleExecutor
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
from redisai_core.errors import KeyEmptyError, ModelExecutionError, WrongTypeError

from ._resp_server import resp_server

# Not valid UTF-8: proves nothing decodes the bytes, even with decode_responses=True.
BLOB = b"\xff\xfe\x00\x80\x01\x02\x03\x04"
TENSOR = Tensor("FLOAT", (1, 2), BLOB)


def b(text: str) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(text.encode()), text.encode())


def bb(data: bytes) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(data), data)


META_BLOB = (
    b"*6\r\n" + b("dtype") + b("FLOAT") + b("shape") + b"*2\r\n:1\r\n:2\r\n" + b("blob") + bb(BLOB)
)
MODELGET_CHUNKED = (
    b"*18\r\n" + b("backend") + b("ONNX") + b("device") + b("CPU") + b("tag") + b("")
    + b("batchsize") + b":0\r\n" + b("minbatchsize") + b":0\r\n"
    + b("inputs") + b"*1\r\n" + b("x") + b("outputs") + b"*1\r\n" + b("y")
    + b("minbatchtimeout") + b":0\r\n" + b("blob") + b"*3\r\n" + bb(b"\xffA") + bb(b"\x00B") + bb(b"")
)  # fmt: skip

PROTOCOLS = pytest.mark.parametrize(
    ("protocol", "decode"), [(2, False), (3, False), (2, True), (3, True)]
)


async def _client(server, protocol, decode):
    return redis.asyncio.Redis(
        unix_socket_path=server.path, protocol=protocol, decode_responses=decode
    )


@PROTOCOLS
async def test_tensor_round_trip_bytes_on_the_wire(protocol, decode):
    async with resp_server() as server:
        conn = await _client(server, protocol, decode)
        ex = AsyncModuleExecutor(conn)
        server.replies += [b"+OK\r\n", META_BLOB]
        await ex.tensorset("t", TENSOR)
        assert await ex.tensorget("t") == TENSOR
        assert server.commands == [
            [b"AI.TENSORSET", b"t", b"FLOAT", b"1", b"2", b"BLOB", BLOB],
            [b"AI.TENSORGET", b"t", b"META", b"BLOB"],
        ]
        await conn.aclose()


@PROTOCOLS
async def test_modelget_chunked_and_store_chunks(protocol, decode):
    async with resp_server() as server:
        conn = await _client(server, protocol, decode)
        ex = AsyncModuleExecutor(conn, chunk_size=2)
        server.replies += [b"+OK\r\n", MODELGET_CHUNKED]
        await ex.modelstore("m", ModelMeta("ONNX", "CPU"), b"\xffA\x00B")
        meta, blob = await ex.modelget("m")
        assert blob == b"\xffA\x00B"
        assert meta == ModelMeta("ONNX", "CPU", inputs=("x",), outputs=("y",))
        assert server.commands[0] == [
            b"AI.MODELSTORE",
            b"m",
            b"ONNX",
            b"CPU",
            b"BLOB",
            b"\xffA",
            b"\x00B",
        ]
        await conn.aclose()


@PROTOCOLS
async def test_dag_inline_errors_with_and_without_err(protocol, decode):
    ops = [
        TensorSetOp("a", TENSOR),
        ModelExecuteOp("m", ("a",), ("b",)),
        ModelExecuteOp("m", ("b",), ("c",)),
        TensorGetOp("c"),
        TensorGetOp("a"),
    ]
    ort = "Got invalid dimensions for input: 0 for the following indices  index: 0 Got: 3 Expected: 2  Please fix either the inputs or the model."
    reply = (
        b"*5\r\n+OK\r\n-"
        + msg.BATCH_SIZE_MISMATCH.encode()
        + b"\r\n-"
        + ort.encode()
        + b"\r\n+NA\r\n"
        + META_BLOB
    )
    async with resp_server() as server:
        conn = await _client(server, protocol, decode)
        ex = AsyncModuleExecutor(conn)
        server.replies += [reply, b"+TIMEDOUT\r\n"]
        results = await ex.dag(ops, routing="m")
        assert results[0] is OK and results[3] is NA and results[4] == TENSOR
        assert isinstance(results[1], ModelExecutionError)
        assert results[1].message == msg.BATCH_SIZE_MISMATCH  # "ERR " restored
        assert isinstance(results[2], ModelExecutionError) and results[2].message == ort
        assert await ex.dag(ops, routing="m", timeout=1) == "TIMEDOUT"
        await conn.aclose()


@PROTOCOLS
async def test_top_level_errors_keep_their_wire_text(protocol, decode):
    async with resp_server() as server:
        conn = await _client(server, protocol, decode)
        ex = AsyncModuleExecutor(conn)
        server.replies += [
            b"-" + msg.MODEL_KEY_EMPTY.encode() + b"\r\n",
            b"-" + msg.INPUT_COUNT_MISMATCH.encode() + b"\r\n",
            b"-" + msg.WRONGTYPE.encode() + b"\r\n",
            b"+TIMEDOUT\r\n",
        ]
        with pytest.raises(KeyEmptyError) as e1:
            await ex.modelexecute("m", ["a"], ["b"])
        assert e1.value.message == "ERR model key is empty"
        with pytest.raises(ModelExecutionError) as e2:
            await ex.modelexecute("m", ["a"], ["b"])
        assert e2.value.message == msg.INPUT_COUNT_MISMATCH
        with pytest.raises(WrongTypeError) as e3:
            await ex.modelexecute("m", ["a"], ["b"])
        assert e3.value.message == msg.WRONGTYPE
        assert await ex.modelexecute("m", ["a"], ["b"], timeout=5) == "TIMEDOUT"
        await conn.aclose()


@pytest.mark.parametrize("protocol", [2, 3])
async def test_auto_probes_hello_and_uses_the_module(protocol):
    async with resp_server(modules=[b"ai"]) as server:
        conn = await _client(server, protocol, False)
        server.replies += [b"+OK\r\n", META_BLOB, b"*2\r\n" + b("OK") + META_BLOB]
        async with AsyncRedisAIClient(redis_client=conn) as ai:
            assert await ai.tensorset("t", np.frombuffer(BLOB, "<f4").reshape(1, 2)) == "OK"
            out = await ai.tensorget("t", as_numpy=False)
            assert out["dtype"] == "FLOAT" and out["shape"] == [1, 2]
            res = (
                await ai.dag()
                .tensorset("t", [1.5, 2], dtype="FLOAT", shape=(1, 2))
                .tensorget("t")
                .execute()
            )
            assert res[0] == "OK"
            np.testing.assert_array_equal(res[1], np.frombuffer(BLOB, "<f4").reshape(1, 2))
        assert [c[0] for c in server.commands] == [
            b"AI.TENSORSET",
            b"AI.TENSORGET",
            b"AI.DAGEXECUTE",
        ]
        assert server.commands[2][:3] == [b"AI.DAGEXECUTE", b"ROUTING", b"t"]
        await conn.aclose()
