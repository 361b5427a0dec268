"""AI.* builders (exact argv) and reply decoders (every reply shape of PROTOCOL.md, RESP2/RESP3)."""

from __future__ import annotations

import pytest
import redis.exceptions as rex

from redisai_core.ai import _commands as cmd
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
    DagError,
    KeyEmptyError,
    ModelError,
    ModelExecutionError,
    ModuleMissingError,
    PermissionDeniedError,
    ResponseError,
    TensorError,
    WrongTypeError,
)

from ._fakes import old_redis_py_error, wire_error

T = Tensor("FLOAT", (1, 2), b"\x00\x00\xa0@\x00\x00 A")  # [5, 10]

# ---------------------------------------------------------------- builders


def test_tensorset_blob():
    assert cmd.tensorset("t", T) == ("AI.TENSORSET", "t", "FLOAT", "1", "2", "BLOB", T.blob)


def test_tensorset_scalar_has_no_dims():
    assert cmd.tensorset("t", Tensor("INT8", (), b"\1")) == (
        "AI.TENSORSET",
        "t",
        "INT8",
        "BLOB",
        b"\1",
    )


def test_tensorset_values():
    assert cmd.tensorset_values("t", "FLOAT", (1, 2), [5, 0.1]) == (
        "AI.TENSORSET", "t", "FLOAT", "1", "2", "VALUES", "5", "0.1",
    )  # fmt: skip
    assert cmd.tensorset_values("s", "STRING", (2,), ["a", b"b"]) == (
        "AI.TENSORSET", "s", "STRING", "2", "VALUES", "a", b"b",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("kwargs", "tail"),
    [
        ({}, ("META", "BLOB")),
        ({"fmt": "VALUES"}, ("META", "VALUES")),
        ({"fmt": None}, ("META",)),
        ({"meta": False}, ("BLOB",)),
    ],
)
def test_tensorget(kwargs, tail):
    assert cmd.tensorget("t", **kwargs) == ("AI.TENSORGET", "t", *tail)


def test_modelstore_minimal_onnx():
    meta = ModelMeta("ONNX", "CPU")
    assert cmd.modelstore("m", meta, b"xyz") == (
        "AI.MODELSTORE",
        "m",
        "ONNX",
        "CPU",
        "BLOB",
        b"xyz",
    )


def test_modelstore_options_in_redisai_order_and_tf_io():
    meta = ModelMeta("TF", "GPU:1", "v1", 8, 2, 100, ("a", "b"), ("c",))
    assert cmd.modelstore("m", meta, b"123456789", chunk_size=4) == (
        "AI.MODELSTORE", "m", "TF", "GPU:1", "TAG", "v1", "BATCHSIZE", "8", "MINBATCHSIZE", "2",
        "MINBATCHTIMEOUT", "100", "INPUTS", "2", "a", "b", "OUTPUTS", "1", "c",
        "BLOB", b"1234", b"5678", b"9",
    )  # fmt: skip


def test_modelstore_non_tf_never_sends_io():
    meta = ModelMeta("ONNX", "cpu", inputs=("x",), outputs=("y",), batchsize=4)
    assert cmd.modelstore("m", meta, b"b") == (
        "AI.MODELSTORE", "m", "ONNX", "cpu", "BATCHSIZE", "4", "BLOB", b"b",
    )  # fmt: skip


def test_modelstore_batchsize_kept_when_minbatch_given():
    meta = ModelMeta("TORCH", "CPU", batchsize=0, minbatchsize=0, minbatchtimeout=5)
    args = cmd.modelstore("m", meta, b"b")
    assert args[4:10] == ("BATCHSIZE", "0", "MINBATCHSIZE", "0", "MINBATCHTIMEOUT", "5")


def test_modelstore_default_chunk_is_511_mib():
    assert cmd.MODEL_CHUNK_SIZE == 535822336


@pytest.mark.parametrize(
    ("size", "chunk", "pieces"),
    [
        (0, 4, [0]),
        (3, 4, [3]),
        (4, 4, [4]),
        (5, 4, [4, 1]),
        (8, 4, [4, 4]),
        (9, 2, [2, 2, 2, 2, 1]),
    ],
)
def test_split_chunks(size, chunk, pieces):
    blob = bytes(range(size))
    parts = cmd.split_chunks(blob, chunk)
    assert [len(p) for p in parts] == pieces
    assert b"".join(parts) == blob


def test_split_chunks_refuses_zero():
    with pytest.raises(ValueError):
        cmd.split_chunks(b"x", 0)


def test_small_builders():
    assert cmd.modelget("m") == ("AI.MODELGET", "m", "META", "BLOB")
    assert cmd.modelget("m", meta_only=True) == ("AI.MODELGET", "m", "META")
    assert cmd.modeldel("m") == ("AI.MODELDEL", "m")
    assert cmd.modelscan() == ("AI._MODELSCAN",)
    assert cmd.info("m") == ("AI.INFO", "m")
    assert cmd.info("m", reset=True) == ("AI.INFO", "m", "RESETSTAT")


def test_modelexecute():
    assert cmd.modelexecute("m", ["a", "b"], ["c"]) == (
        "AI.MODELEXECUTE", "m", "INPUTS", "2", "a", "b", "OUTPUTS", "1", "c",
    )  # fmt: skip
    assert cmd.modelexecute("m", ["a"], ["c"], timeout=50)[-2:] == ("TIMEOUT", "50")


def test_dagexecute_every_section_and_op():
    ops = [
        TensorSetOp("in", T),
        ModelExecuteOp("m{1}", ("in",), ("out",)),
        TensorGetOp("out"),
    ]
    assert cmd.dagexecute(
        ops, load=["a{1}"], persist=["out"], routing="{1}", timeout=10
    ) == (
        "AI.DAGEXECUTE", "LOAD", "1", "a{1}", "PERSIST", "1", "out", "ROUTING", "{1}", "TIMEOUT", "10",
        "|>", "AI.TENSORSET", "in", "FLOAT", "1", "2", "BLOB", T.blob,
        "|>", "AI.MODELEXECUTE", "m{1}", "INPUTS", "1", "in", "OUTPUTS", "1", "out",
        "|>", "AI.TENSORGET", "out", "META", "BLOB",
    )  # fmt: skip


def test_dagexecute_readonly():
    assert cmd.dagexecute([TensorGetOp("a")], load=["a"], readonly=True) == (
        "AI.DAGEXECUTE_RO", "LOAD", "1", "a", "|>", "AI.TENSORGET", "a", "META", "BLOB",
    )  # fmt: skip


# ---------------------------------------------------------------- decoders


@pytest.mark.parametrize("reply", [b"OK", "OK", True])
def test_parse_ok(reply):
    assert cmd.parse_ok(reply) == "OK"


@pytest.mark.parametrize("reply", [b"NOPE", None, 1, [b"OK"]])
def test_parse_ok_rejects(reply):
    with pytest.raises(ResponseError, match="unexpected reply"):
        cmd.parse_ok(reply, "AI.TENSORSET")


@pytest.mark.parametrize(
    ("reply", "out"),
    [(b"OK", "OK"), ("OK", "OK"), (b"TIMEDOUT", "TIMEDOUT"), ("TIMEDOUT", "TIMEDOUT")],
)
def test_parse_status(reply, out):
    assert cmd.parse_status(reply) == out


def test_parse_status_rejects():
    with pytest.raises(ResponseError):
        cmd.parse_status(b"NA")


META_BLOB_RESP2 = [b"dtype", b"FLOAT", b"shape", [1, 2], b"blob", T.blob]


@pytest.mark.parametrize(
    "reply",
    [
        META_BLOB_RESP2,
        ["dtype", "FLOAT", "shape", [1, 2], "blob", T.blob],  # simple strings decoded
        {b"dtype": b"FLOAT", b"shape": [1, 2], b"blob": T.blob},  # a map, should one appear
        (b"DTYPE", b"float", b"shape", (1, 2), b"blob", T.blob),
    ],
)
def test_parse_tensor_meta_blob(reply):
    assert cmd.parse_tensor(reply) == T


def test_parse_tensor_meta_only():
    assert cmd.parse_tensor_meta([b"dtype", b"INT8", b"shape", []]) == ("INT8", ())


def test_parse_tensor_blob_decoded_by_client():
    reply = ["dtype", "UINT8", "shape", [2], "blob", "ab"]
    assert cmd.parse_tensor(reply) == Tensor("UINT8", (2,), b"ab")


@pytest.mark.parametrize(
    "reply",
    [
        # PROTOCOL.md §1.3 example, RESP2: doubles as bulk strings
        [b"dtype", b"FLOAT", b"shape", [1, 2], b"values", [b"5", b"10"]],
        # RESP3: doubles
        [b"dtype", b"FLOAT", b"shape", [1, 2], b"values", [5.0, 10.0]],
    ],
)
def test_parse_tensor_values_float(reply):
    assert cmd.parse_tensor_values(reply) == ("FLOAT", (1, 2), [5.0, 10.0])


def test_parse_tensor_values_ints_and_strings():
    assert cmd.parse_tensor_values([b"dtype", b"BOOL", b"shape", [2], b"values", [1, 0]]) == (
        "BOOL", (2,), [1, 0],
    )  # fmt: skip
    assert cmd.parse_tensor_values(
        [b"dtype", b"STRING", b"shape", [2], b"values", [b"a", b"h\xc3\xa9"]]
    ) == ("STRING", (2,), ["a", "hé"])
    assert cmd.parse_tensor_values(
        [b"dtype", b"DOUBLE", b"shape", [1], b"values", [b"0.10000000149011612"]]
    )[2] == [0.10000000149011612]


@pytest.mark.parametrize(
    "reply",
    [
        [b"dtype", b"FLOAT"],
        [b"dtype", b"FLOAT", b"shape"],
        b"blob",
        [b"dtype", b"FLOAT", b"shape", 3, b"blob", b""],
        None,
    ],
)
def test_parse_tensor_malformed(reply):
    with pytest.raises(ResponseError):
        cmd.parse_tensor(reply)


MODELGET_RESP2 = [
    b"backend", b"ONNX", b"device", b"cpu", b"tag", b"v1", b"batchsize", 4, b"minbatchsize", 2,
    b"inputs", [b"x"], b"outputs", [b"y", b"z"], b"minbatchtimeout", 7, b"blob", b"MODEL",
]  # fmt: skip
META = ModelMeta("ONNX", "cpu", "v1", 4, 2, 7, ("x",), ("y", "z"))


def test_parse_modelget_bulk_blob():
    assert cmd.parse_modelget(MODELGET_RESP2) == (META, b"MODEL")


def test_parse_modelget_chunked_blob_array():
    reply = [*MODELGET_RESP2[:-1], [b"MO", b"DE", b"L"]]
    assert cmd.parse_modelget(reply) == (META, b"MODEL")


def test_parse_modelget_chunked_with_empty_last_chunk():
    reply = [*MODELGET_RESP2[:-1], [b"MOD", b"EL!", b""]]
    assert cmd.parse_modelget(reply)[1] == b"MODEL!"


def test_parse_modelget_meta_only_and_resp3_strings():
    reply = [
        "backend", "TF", "device", "GPU:0", "tag", "", "batchsize", 0, "minbatchsize", 0,
        "inputs", ["a"], "outputs", ["b"], "minbatchtimeout", 0,
    ]  # fmt: skip
    assert cmd.parse_modelget(reply, meta_only=True) == (
        ModelMeta("TF", "GPU:0", "", 0, 0, 0, ("a",), ("b",)),
        None,
    )


def test_parse_modelget_map():
    reply = dict(zip(MODELGET_RESP2[::2], MODELGET_RESP2[1::2], strict=True))
    assert cmd.parse_modelget(reply) == (META, b"MODEL")


def test_parse_modelget_bad_blob():
    with pytest.raises(ResponseError):
        cmd.parse_modelget([*MODELGET_RESP2[:-1], 5])
    with pytest.raises(ResponseError, match="lacks 'blob'"):
        cmd.parse_modelget(MODELGET_RESP2[:-2])


def test_join_blob():
    assert cmd.join_blob(b"ab") == b"ab"
    assert cmd.join_blob([b"a", b"b"]) == b"ab"
    with pytest.raises(ResponseError):
        cmd.join_blob(["a"])


def test_parse_modelscan():
    assert cmd.parse_modelscan([[b"m1", b""], [b"m2", b"tag"]]) == [("m1", ""), ("m2", "tag")]
    assert cmd.parse_modelscan([]) == []
    with pytest.raises(ResponseError):
        cmd.parse_modelscan([[b"m1"]])


INFO_RESP2 = [
    b"key", b"m", b"type", b"MODEL", b"backend", b"ONNX", b"device", b"CPU", b"tag", b"t",
    b"duration", 1234, b"samples", 3, b"calls", 3, b"errors", 1,
]  # fmt: skip


def test_parse_info():
    assert cmd.parse_info(INFO_RESP2) == ModelInfo("m", "MODEL", "ONNX", "CPU", "t", 1234, 3, 3, 1)


def test_parse_info_without_tag_as_the_docs_show_it():
    reply = INFO_RESP2[:8] + INFO_RESP2[10:]
    assert cmd.parse_info(reply).tag == ""


# ---------------------------------------------------------------- DAG replies

DAG_OPS = [
    TensorSetOp("a", T),
    ModelExecuteOp("m", ("a",), ("b",)),
    TensorGetOp("b"),
]


def test_parse_dag_all_ok():
    assert cmd.parse_dag([b"OK", b"OK", META_BLOB_RESP2], DAG_OPS) == [OK, OK, T]


def test_parse_dag_inline_error_and_na():
    # tests_dag_errors.py::test_dag_error_before_tensorget_op, with an ORT message (no ERR).
    text = "Incompatible shapes: [2] vs. [2,2,3]"
    results = cmd.parse_dag([b"OK", rex.ResponseError(text), b"NA"], DAG_OPS)
    assert results[0] is OK and results[2] is NA
    assert type(results[1]) is ModelExecutionError
    assert str(results[1]) == text


def test_parse_dag_inline_err_prefixed_error_keeps_its_prefix():
    results = cmd.parse_dag([b"OK", wire_error(msg.BATCH_SIZE_MISMATCH), b"NA"], DAG_OPS)
    assert isinstance(results[1], ModelExecutionError)
    assert results[1].message == "ERR Model did not generate the expected batch size"


def test_parse_dag_resp3_strings():
    assert cmd.parse_dag(["OK", "OK", "NA"], DAG_OPS) == [OK, OK, NA]


def test_parse_dag_whole_timeout():
    assert cmd.parse_dag(b"TIMEDOUT", DAG_OPS) == "TIMEDOUT"
    assert cmd.parse_dag("TIMEDOUT", DAG_OPS) == "TIMEDOUT"


@pytest.mark.parametrize("reply", [[b"OK", b"OK"], [b"OK", b"OK", b"OK"], [b"OK", 5, b"NA"], b"OK"])
def test_parse_dag_malformed(reply):
    with pytest.raises(ResponseError):
        cmd.parse_dag(reply, DAG_OPS)


# ---------------------------------------------------------------- errors

ERR_TEXTS = [
    msg.TENSOR_KEY_EMPTY,
    msg.MODEL_KEY_EMPTY,
    msg.INVALID_DTYPE,
    msg.BLOB_LENGTH,
    msg.UNSUPPORTED_BACKEND,
    msg.INVALID_DEVICE,
    msg.BATCH_SIZE_MISMATCH,
    msg.DAG_NEEDS_SCOPE,
    msg.INVALID_TIMEOUT,
    msg.NO_RUN_INFO,
    "ERR Expected 2 inputs but got 1",
]
BARE_TEXTS = [
    msg.WRONGTYPE,
    msg.INPUT_COUNT_MISMATCH,
    msg.OUTPUT_COUNT_MISMATCH,
    "Invalid argument: FOO",
    "Unsupported command within DAG",
    "Deprecated AI.MODELRUN cannot be used in AI.DAGEXECUTE command",
    "Got invalid dimensions for input: 0 for the following indices  index: 0 Got: 3 Expected: 2  Please fix either the inputs or the model.",
]


@pytest.mark.parametrize("text", ERR_TEXTS + BARE_TEXTS)
def test_error_text_restores_the_wire_text(text):
    assert cmd.error_text(wire_error(text)) == text


@pytest.mark.parametrize("text", ERR_TEXTS + BARE_TEXTS)
def test_error_text_with_old_redis_py(text):
    assert cmd.error_text(old_redis_py_error(text)) == text


@pytest.mark.parametrize(
    ("text", "cls"),
    [
        (msg.TENSOR_KEY_EMPTY, KeyEmptyError),
        (msg.MODEL_KEY_EMPTY, KeyEmptyError),
        (msg.WRONGTYPE, WrongTypeError),
        (msg.INVALID_DTYPE, TensorError),
        (msg.BOOL_VALUES, TensorError),
        (msg.INVALID_DEVICE, ModelError),
        (msg.DAG_EMPTY, DagError),
        (msg.INPUT_COUNT_MISMATCH, ModelExecutionError),
        ("Some ORT failure", ModelExecutionError),
    ],
)
def test_reply_error_classifies(text, cls):
    for exc in (wire_error(text), old_redis_py_error(text)):
        error = cmd.reply_error(exc)
        assert type(error) is cls
        assert error.message == text


def test_reply_error_unknown_command_is_module_missing():
    exc = wire_error("ERR unknown command 'AI.TENSORSET', with args beginning with: 't' ")
    error = cmd.reply_error(exc)
    assert isinstance(error, ModuleMissingError)
    assert error.module == "ai"


def test_reply_error_keeps_redis_py_specialised_classes():
    exc = wire_error("NOPERM User x has no permissions to run the 'ai.tensorset' command")
    assert isinstance(exc, rex.NoPermissionError)
    assert isinstance(cmd.reply_error(exc), PermissionDeniedError)
