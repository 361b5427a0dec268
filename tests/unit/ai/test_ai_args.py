"""The facade's argument checks (RedisAI wording) and result shapes."""

from __future__ import annotations

import numpy as np
import pytest

from redisai_core.ai import _args
from redisai_core.ai import _errors as msg
from redisai_core.ai._types import (
    NA,
    OK,
    Backend,
    ModelExecuteOp,
    ModelInfo,
    ModelMeta,
    Tensor,
    TensorGetOp,
    TensorSetOp,
)
from redisai_core.capabilities import Capabilities
from redisai_core.errors import (
    ConfigError,
    DagError,
    ModelError,
    ModelExecutionError,
    UnsupportedBackendError,
)


def _caps(**modules):
    return Capabilities(redis_version=(8, 2, 3), modules=modules)


def test_select_executor():
    assert _args.select_executor("auto", _caps(ai=10207)) == "module"
    assert _args.select_executor("auto", _caps(**{"ai-light": 10207})) == "module"
    assert _args.select_executor("auto", _caps(search=21005)) == "hosted"
    assert _args.select_executor("auto", _caps()) == "hosted"
    assert _args.select_executor("module", None) == "module"
    assert _args.select_executor("hosted", _caps(ai=1)) == "hosted"
    with pytest.raises(ConfigError):
        _args.select_executor("auto", None)
    with pytest.raises(ConfigError):
        _args.select_executor("onnx")


def test_key_list():
    assert _args.key_list("a") == ("a",)
    assert _args.key_list(["a", "b"]) == ("a", "b")
    assert _args.key_list(None) == ()


def test_model_meta_full():
    meta = _args.model_meta(
        Backend.TF,
        "gpu:1",
        batch=8,
        minbatch=2,
        minbatchtimeout=5,
        tag="v",
        inputs="a",
        outputs=["b", "c"],
    )
    assert meta == ModelMeta("TF", "gpu:1", "v", 8, 2, 5, ("a",), ("b", "c"))


def test_model_meta_defaults_and_backend_case():
    assert _args.model_meta("onnx", "CPU") == ModelMeta("ONNX", "CPU")


@pytest.mark.parametrize("device", ["CPU", "GPU", "cpu", "CPU:0", "GPU:12345"])
def test_good_devices(device):
    assert _args.model_meta("ONNX", device).device == device


@pytest.mark.parametrize(
    "device", ["bad_device", "CPU::", "CPU:1.8", "CPU:123456", "TPU", "", "CPU:", None, "GPU:-1"]
)
def test_bad_devices(device):
    with pytest.raises(ModelError, match=f"^{msg.INVALID_DEVICE}$"):
        _args.model_meta("ONNX", device)


@pytest.mark.parametrize("backend", ["TENSORRT", "", None, 3])
def test_bad_backend(backend):
    with pytest.raises(UnsupportedBackendError, match=f"^{msg.UNSUPPORTED_BACKEND}$"):
        _args.model_meta(backend, "CPU")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"batch": -1}, "ERR Invalid argument for BATCHSIZE"),
        ({"batch": "2"}, "ERR Invalid argument for BATCHSIZE"),
        ({"batch": True}, "ERR Invalid argument for BATCHSIZE"),
        ({"batch": 2, "minbatch": 1.5}, "ERR Invalid argument for MINBATCHSIZE"),
        ({"minbatch": 2}, msg.MINBATCH_WITHOUT_BATCH),
        (
            {"batch": 2, "minbatch": 1, "minbatchtimeout": -5},
            "ERR Invalid argument for MINBATCHTIMEOUT",
        ),
        ({"batch": 2, "minbatchtimeout": 5}, msg.MINBATCHTIMEOUT_WITHOUT_MINBATCH),
        ({"inputs": ["a"]}, msg.INPUTS_NOT_FOR_BACKEND),
        ({"inputs": ["a"], "outputs": ["b"]}, msg.INPUTS_NOT_FOR_BACKEND),
        ({"outputs": ["b"]}, msg.EXPECTED_BLOB),
    ],
)
def test_model_option_errors(kwargs, message):
    with pytest.raises(ModelError) as info:
        _args.model_meta("ONNX", "CPU", **kwargs)
    assert info.value.message == message


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"outputs": ["b"]}, msg.TF_INPUTS_MISSING),
        ({"inputs": [], "outputs": ["b"]}, msg.INPUT_COUNT_ARG),
        ({"inputs": ["a"]}, msg.TF_OUTPUTS_MISSING),
        ({"inputs": ["a"], "outputs": []}, msg.OUTPUT_COUNT_ARG),
    ],
)
def test_tf_io_errors(kwargs, message):
    with pytest.raises(ModelError) as info:
        _args.model_meta("TF", "CPU", **kwargs)
    assert info.value.message == message


def test_zero_batch_options_are_defaults():
    assert _args.model_meta("ONNX", "CPU", batch=0, minbatch=0, minbatchtimeout=0) == ModelMeta(
        "ONNX", "CPU"
    )


def test_tag_must_be_text():
    with pytest.raises(ConfigError):
        _args.model_meta("ONNX", "CPU", tag=5)


def test_model_blob():
    assert _args.model_blob(bytearray(b"ab")) == b"ab"
    assert _args.model_blob(memoryview(b"ab")) == b"ab"
    with pytest.raises(ConfigError):
        _args.model_blob("model.onnx")


@pytest.mark.parametrize("timeout", [0, -1, 1.5, "5", True])
def test_bad_timeouts(timeout):
    with pytest.raises(ModelError, match=f"^{msg.INVALID_TIMEOUT}$"):
        _args.timeout_arg(timeout)
    with pytest.raises(DagError, match=f"^{msg.INVALID_TIMEOUT}$"):
        _args.timeout_arg(timeout, DagError)


def test_good_timeouts():
    assert _args.timeout_arg(None) is None
    assert _args.timeout_arg(5) == 5


def test_dag_scope():
    assert _args.dag_scope("a", ["b", "c"], False) == (("a",), ("b", "c"))
    assert _args.dag_scope(["a"], None, True) == (("a",), ())
    with pytest.raises(DagError, match=f"^{msg.DAG_PERSIST_READONLY}$"):
        _args.dag_scope(None, "b", True)


T = Tensor("INT8", (2,), b"\1\2")


def test_default_routing():
    ops = [
        TensorSetOp("x", T),
        ModelExecuteOp("m{1}", ("x",), ("y",)),
        ModelExecuteOp("m2", ("y",), ("z",)),
    ]
    assert _args.default_routing(ops) == "m{1}"
    assert _args.default_routing([TensorSetOp("x", T), TensorGetOp("x")]) == "x"
    with pytest.raises(DagError, match=f"^{msg.DAG_EMPTY}$"):
        _args.default_routing([])


def test_format_tensor():
    arr = _args.format_tensor(T, _args.TensorFormat())
    assert isinstance(arr, np.ndarray) and arr.tolist() == [1, 2]
    assert _args.format_tensor(T, _args.TensorFormat(meta_only=True)) == {
        "dtype": "INT8",
        "shape": [2],
    }
    assert _args.format_tensor(T, _args.TensorFormat(as_numpy=False)) == {
        "dtype": "INT8",
        "shape": [2],
        "values": [1, 2],
    }


def test_format_dag_results():
    error = ModelExecutionError("boom")
    out = _args.format_dag_results(
        [OK, error, NA, T], [None, None, None, _args.TensorFormat(as_numpy=False)]
    )
    assert out[0] == "OK" and type(out[0]) is str
    assert out[1] is error
    assert out[2] == "NA" and type(out[2]) is str
    assert out[3] == {"dtype": "INT8", "shape": [2], "values": [1, 2]}
    assert _args.format_dag_results("TIMEDOUT", [None]) == "TIMEDOUT"


def test_modelget_and_info_dicts():
    meta = ModelMeta("ONNX", "CPU", "t", 1, 0, 0, ("x",), ("y",))
    full = _args.modelget_dict(meta, b"B")
    assert full == {
        "backend": "ONNX", "device": "CPU", "tag": "t", "batchsize": 1, "minbatchsize": 0,
        "minbatchtimeout": 0, "inputs": ["x"], "outputs": ["y"], "blob": b"B",
    }  # fmt: skip
    assert "blob" not in _args.modelget_dict(meta, None)
    info = ModelInfo("m", "MODEL", "ONNX", "CPU", "", 5, 1, 1, 0)
    assert _args.info_dict(info) == {
        "key": "m", "type": "MODEL", "backend": "ONNX", "device": "CPU", "tag": "",
        "duration": 5, "samples": 1, "calls": 1, "errors": 0,
    }  # fmt: skip
