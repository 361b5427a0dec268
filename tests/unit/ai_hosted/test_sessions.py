"""ONNX Runtime sessions and tensor <-> numpy conversion (no Redis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from onnx import TensorProto, helper

from redisai_core import ModelError, ModelExecutionError
from redisai_core.ai import _errors as msg
from redisai_core.ai._hosted._sessions import (
    create_runner,
    from_numpy,
    ort_message,
    to_numpy,
    validate_device,
)
from redisai_core.ai._types import Tensor

NUMPY = {
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


@given(st.data())
def test_numeric_tensors_convert_both_ways(data):
    wire = data.draw(st.sampled_from(sorted(NUMPY)))
    array = data.draw(hnp.arrays(NUMPY[wire], hnp.array_shapes(min_dims=0, max_dims=3)))
    tensor = Tensor(wire, tuple(array.shape), array.tobytes())
    back = to_numpy(tensor)
    assert back.dtype == NUMPY[wire]
    assert back.tobytes() == array.tobytes()
    assert from_numpy(back) == tensor


def test_string_tensors_convert_both_ways():
    tensor = Tensor("STRING", (2,), "a\0héllo\0".encode())
    array = to_numpy(tensor)
    assert array.tolist() == ["a", "héllo"]
    assert from_numpy(array) == tensor


def test_unrepresentable_output_dtype():
    with pytest.raises(ModelExecutionError):
        from_numpy(np.zeros(2, np.float16))


def identity() -> bytes:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 2])
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g", [x], [y])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model.SerializeToString()


def test_runner_introspects_and_runs():
    runner = create_runner(identity(), "cpu:0")
    assert (runner.inputs, runner.outputs) == (("x",), ("y",))
    x = np.ones((3, 2), np.float32)
    np.testing.assert_array_equal(runner([x])[0], x)
    with pytest.raises(ModelExecutionError) as info:
        runner([np.ones((3, 5), np.float32)])
    assert "Got invalid dimensions" in info.value.message
    assert not info.value.message.startswith("[ONNXRuntimeError]")


def test_corrupt_blob_is_a_model_error():
    with pytest.raises(ModelError):
        create_runner(b"not a model", "CPU")


@pytest.mark.parametrize("device", ["CPU", "gpu", "CPU:0", "GPU:12"])
def test_valid_devices(device):
    validate_device(device)


@pytest.mark.parametrize("device", ["TPU", "CPU:", "CPU::", "CPU:1.8", "CPU:123456", ""])
def test_invalid_devices(device):
    with pytest.raises(ModelError) as info:
        validate_device(device)
    assert info.value.message == msg.INVALID_DEVICE


def test_ort_prefix_is_stripped():
    text = "[ONNXRuntimeError] : 2 : INVALID_ARGUMENT : Got invalid dimensions"
    assert ort_message(RuntimeError(text)) == "Got invalid dimensions"
