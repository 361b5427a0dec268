"""The module executor's contract: the exact argv it sends and what it makes of each reply."""

from __future__ import annotations

import pytest
import redis.exceptions as rex

from redisai_core._async.ai_module import AsyncModuleExecutor
from redisai_core._sync.ai_module import ModuleExecutor
from redisai_core.ai import _errors as msg
from redisai_core.ai._types import (
    NA,
    OK,
    ModelExecuteOp,
    ModelInfo,
    ModelMeta,
    Tensor,
    TensorGetOp,
    TensorSetOp,
)
from redisai_core.errors import (
    ConfigError,
    DagError,
    KeyEmptyError,
    ModelError,
    ModelExecutionError,
    ModuleMissingError,
    RedisConnectionError,
    TensorError,
    WrongTypeError,
)

from ._fakes import FakeRedis, SyncFakeRedis, wire_error

T = Tensor("FLOAT", (1, 2), b"\x00\x00\xa0@\x00\x00 A")
META_BLOB = [b"dtype", b"FLOAT", b"shape", [1, 2], b"blob", T.blob]


def _executor(*replies, chunk_size=None):
    fake = FakeRedis(*replies)
    return AsyncModuleExecutor(fake, chunk_size=chunk_size), fake


async def test_name_and_never_decode():
    ex, fake = _executor(b"OK")
    assert ex.name == "module"
    await ex.tensorset("t", T)
    assert fake.calls == [("AI.TENSORSET", "t", "FLOAT", "1", "2", "BLOB", T.blob)]
    # Replies are read as bytes even from a decode_responses=True client.
    assert fake.options == [{"NEVER_DECODE": True}]


async def test_tensorget():
    ex, fake = _executor(META_BLOB)
    assert await ex.tensorget("t") == T
    assert fake.calls == [("AI.TENSORGET", "t", "META", "BLOB")]


async def test_modelstore_chunks_with_the_default_and_no_config_round_trip():
    ex, fake = _executor(b"OK")
    await ex.modelstore("m", ModelMeta("ONNX", "CPU", tag="t"), b"blob")
    assert fake.calls == [("AI.MODELSTORE", "m", "ONNX", "CPU", "TAG", "t", "BLOB", b"blob")]


async def test_modelstore_custom_chunk_size():
    ex, fake = _executor(b"OK", chunk_size=3)
    await ex.modelstore("m", ModelMeta("TORCH", "GPU"), b"abcdefg")
    assert fake.calls[0][-4:] == ("BLOB", b"abc", b"def", b"g")


@pytest.mark.parametrize("size", [0, -1, 1.5, True, "3"])
def test_bad_chunk_size(size):
    with pytest.raises(ConfigError):
        AsyncModuleExecutor(FakeRedis(), chunk_size=size)


async def test_modelget_both_blob_forms():
    base = [
        b"backend", b"ONNX", b"device", b"CPU", b"tag", b"", b"batchsize", 0, b"minbatchsize", 0,
        b"inputs", [b"x"], b"outputs", [b"y"], b"minbatchtimeout", 0,
    ]  # fmt: skip
    ex, fake = _executor([*base, b"blob", b"ONE"], [*base, b"blob", [b"TW", b"O"]], base)
    meta = ModelMeta("ONNX", "CPU", inputs=("x",), outputs=("y",))
    assert await ex.modelget("m") == (meta, b"ONE")
    assert await ex.modelget("m") == (meta, b"TWO")
    assert await ex.modelget("m", meta_only=True) == (meta, None)
    assert fake.calls == [
        ("AI.MODELGET", "m", "META", "BLOB"),
        ("AI.MODELGET", "m", "META", "BLOB"),
        ("AI.MODELGET", "m", "META"),
    ]


async def test_modeldel_scan_info_reset():
    info = [
        b"key", b"m", b"type", b"MODEL", b"backend", b"ONNX", b"device", b"CPU", b"tag", b"",
        b"duration", 10, b"samples", 2, b"calls", 2, b"errors", 0,
    ]  # fmt: skip
    ex, fake = _executor(b"OK", [[b"m", b""]], info, b"OK")
    await ex.modeldel("m")
    assert await ex.modelscan() == [("m", "")]
    assert await ex.infoget("m") == ModelInfo("m", "MODEL", "ONNX", "CPU", "", 10, 2, 2, 0)
    await ex.inforeset("m")
    assert fake.calls == [
        ("AI.MODELDEL", "m"),
        ("AI._MODELSCAN",),
        ("AI.INFO", "m"),
        ("AI.INFO", "m", "RESETSTAT"),
    ]


async def test_modelexecute_ok_and_timedout():
    ex, fake = _executor(b"OK", b"TIMEDOUT")
    assert await ex.modelexecute("m", ["a"], ["b", "c"]) == "OK"
    assert await ex.modelexecute("m", ["a"], ["b"], timeout=5) == "TIMEDOUT"
    assert fake.calls == [
        ("AI.MODELEXECUTE", "m", "INPUTS", "1", "a", "OUTPUTS", "2", "b", "c"),
        ("AI.MODELEXECUTE", "m", "INPUTS", "1", "a", "OUTPUTS", "1", "b", "TIMEOUT", "5"),
    ]


@pytest.mark.parametrize(
    ("text", "cls"),
    [
        (msg.MODEL_KEY_EMPTY, KeyEmptyError),
        (msg.TENSOR_KEY_EMPTY, KeyEmptyError),
        (msg.WRONGTYPE, WrongTypeError),
        (msg.INPUT_COUNT_MISMATCH, ModelExecutionError),
        (msg.BATCH_SIZE_MISMATCH, ModelExecutionError),
        (msg.INVALID_TIMEOUT, ModelError),
        (msg.BLOB_LENGTH, TensorError),
    ],
)
async def test_error_replies_raise_with_wire_text(text, cls):
    ex, _ = _executor(wire_error(text))
    with pytest.raises(cls) as info:
        await ex.modelexecute("m", ["a"], ["b"])
    assert info.value.message == text
    assert isinstance(info.value.__cause__, rex.ResponseError)


async def test_connection_errors_are_mapped():
    ex, _ = _executor(rex.ConnectionError("refused"))
    with pytest.raises(RedisConnectionError):
        await ex.tensorget("t")


async def test_module_missing():
    ex, _ = _executor(
        wire_error("ERR unknown command 'AI.TENSORGET', with args beginning with: 't' ")
    )
    with pytest.raises(ModuleMissingError):
        await ex.tensorget("t")


OPS = [
    TensorSetOp("in", T),
    ModelExecuteOp("m", ("in",), ("out",)),
    TensorGetOp("out"),
]


async def test_dag_argv_and_results():
    ex, fake = _executor([b"OK", b"OK", META_BLOB])
    assert await ex.dag(OPS, routing="m", timeout=9) == [OK, OK, T]
    assert fake.calls == [
        (
            "AI.DAGEXECUTE", "ROUTING", "m", "TIMEOUT", "9",
            "|>", "AI.TENSORSET", "in", "FLOAT", "1", "2", "BLOB", T.blob,
            "|>", "AI.MODELEXECUTE", "m", "INPUTS", "1", "in", "OUTPUTS", "1", "out",
            "|>", "AI.TENSORGET", "out", "META", "BLOB",
        )
    ]  # fmt: skip


async def test_dag_inline_error_and_na():
    ex, _ = _executor([b"OK", wire_error(msg.BATCH_SIZE_MISMATCH), b"NA"])
    results = await ex.dag(OPS, load=["x"], persist=["out"])
    assert results[0] is OK and results[2] is NA
    assert isinstance(results[1], ModelExecutionError)
    assert results[1].message == msg.BATCH_SIZE_MISMATCH


async def test_dag_whole_timeout():
    ex, _ = _executor(b"TIMEDOUT")
    assert await ex.dag(OPS, routing="m", timeout=1) == "TIMEDOUT"


async def test_dag_readonly_command():
    ex, fake = _executor([META_BLOB])
    assert await ex.dag([TensorGetOp("a")], load=["a"], readonly=True) == [T]
    assert fake.calls[0][0] == "AI.DAGEXECUTE_RO"


@pytest.mark.parametrize(
    ("text", "cls"),
    [
        (msg.DAG_NEEDS_SCOPE, DagError),
        (msg.DAG_PERSIST_READONLY, DagError),
        ("Unsupported command within DAG", DagError),
        (msg.INVALID_TIMEOUT, DagError),  # op/DAG argument errors refuse the whole DAG
        ("ERR INPUTS not specified", DagError),
        (msg.TENSOR_KEY_EMPTY, KeyEmptyError),  # LOAD of a missing key keeps its class
        (msg.WRONGTYPE, WrongTypeError),
    ],
)
async def test_dag_refused_as_a_whole(text, cls):
    ex, _ = _executor(wire_error(text))
    with pytest.raises(cls) as info:
        await ex.dag(OPS, routing="m")
    assert info.value.message == text


def test_sync_twin_sends_the_same_argv():
    fake = SyncFakeRedis(b"OK", META_BLOB, [b"OK", b"NA", b"NA"])
    ex = ModuleExecutor(fake)
    ex.tensorset("t", T)
    assert ex.tensorget("t") == T
    assert ex.dag(OPS, routing="m") == [OK, NA, NA]
    assert fake.calls[0] == ("AI.TENSORSET", "t", "FLOAT", "1", "2", "BLOB", T.blob)
    with pytest.raises(KeyEmptyError):
        ModuleExecutor(SyncFakeRedis(wire_error(msg.TENSOR_KEY_EMPTY))).tensorget("t")
