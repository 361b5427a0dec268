"""Model tools without a server: the pure signature code and LangChain's tool unit suite
(constructing a tool from an ``input_spec`` opens no connection: sockets are off here)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from langchain_tests.unit_tests import ToolsUnitTests

from langchain_redisai import RedisAIModelTool
from redisai_core import ConfigError, ModelError, TensorError, TensorSpec
from redisai_core.model_signature import (
    decode_outputs,
    encode_inputs,
    signature_from_onnx,
    signature_from_spec,
)


class TestModelToolUnit(ToolsUnitTests):
    @property
    def tool_constructor(self) -> type[RedisAIModelTool]:
        return RedisAIModelTool

    @property
    def tool_constructor_params(self) -> dict[str, Any]:
        return {
            "model_key": "iris",
            "input_spec": {"X": ("FLOAT", [None, 4])},
            "output_names": ["label", "probabilities"],
            "redis_url": "redis://127.0.0.1:1",
            "executor": "hosted",
        }

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"X": [5.1, 3.5, 1.4, 0.2]}


SIG = signature_from_spec({"a": ("FLOAT", [None, 2]), "b": ("int64", [None])}, ["y"])


def test_encode_one_sample_adds_a_batch_dimension() -> None:
    arrays, squeeze = encode_inputs(SIG, {"a": [1, 2], "b": 3})
    assert squeeze
    assert arrays[0].dtype == np.float32 and arrays[0].shape == (1, 2)
    assert arrays[1].dtype == np.int64 and arrays[1].tolist() == [3]
    arrays, squeeze = encode_inputs(SIG, {"a": [[1, 2], [3, 4]], "b": [1, 2]})
    assert not squeeze and arrays[0].shape == (2, 2)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ({"a": [1, 2]}, "missing model input 'b'"),
        ({"a": [1, 2], "b": 1, "c": 0}, "unknown model input"),
        ({"a": [1, 2, 3], "b": 1}, r"got shape \[1, 3\]"),
        ({"a": [[1, 2]], "b": 1}, "one sample, or every input as a batch"),
        ({"a": ["x", "y"], "b": 1}, "cannot read values as FLOAT"),
        ({"a": [1, float("inf")], "b": 1}, "finite"),
    ],
)
def test_encode_rejects_bad_arguments(args: dict[str, Any], match: str) -> None:
    with pytest.raises(TensorError, match=match):
        encode_inputs(SIG, args)


def test_decode_plain_and_labelled() -> None:
    scores = np.array([[0.1, 0.9], [0.8, 0.2]], dtype=np.float32)
    assert decode_outputs(["y"], [scores]) == {"y": scores.tolist()}
    labelled = decode_outputs(["p"], [scores], labels=["no", "yes"])
    assert [row["label"] for row in labelled["p"]] == ["yes", "no"]
    assert labelled["p"][0]["scores"]["yes"] == pytest.approx(0.9)
    one = decode_outputs(
        ["k", "p"], [np.array([1]), scores[:1]], labels=["no", "yes"], squeeze=True
    )
    assert one["k"] == "yes" and one["p"]["label"] == "yes"
    # Floats whose last dimension is not one per label stay numbers.
    assert decode_outputs(["z"], [np.zeros(3)], labels=["no", "yes"]) == {"z": [0.0, 0.0, 0.0]}
    with pytest.raises(TensorError, match="outside the 2 labels"):
        decode_outputs(["k"], [np.array([-1])], labels=["no", "yes"])


def test_spec_validation() -> None:
    with pytest.raises(ConfigError, match="not one of"):
        TensorSpec("x", "STRING", (1,))
    with pytest.raises(ConfigError, match="negative"):
        TensorSpec("x", "FLOAT", (-1,))
    with pytest.raises(ConfigError, match="names no inputs"):
        signature_from_spec({})
    with pytest.raises(ConfigError, match=r"must be \(dtype, shape\)"):
        signature_from_spec({"x": "FLOAT"})  # type: ignore[dict-item]
    with pytest.raises(ModelError, match="not an ONNX model"):
        signature_from_onnx(b"\xff not onnx")


def test_onnx_signature_skips_initializers_and_reads_free_dims() -> None:
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.DOUBLE, ["N", 3])
    w = helper.make_tensor_value_info("w", TensorProto.DOUBLE, [3])
    y = helper.make_tensor_value_info("y", TensorProto.DOUBLE, ["N", 3])
    init = helper.make_tensor("w", TensorProto.DOUBLE, [3], [1.0, 2.0, 3.0])
    graph = helper.make_graph(
        [helper.make_node("Mul", ["x", "w"], ["y"])], "g", [x, w], [y], [init]
    )
    sig = signature_from_onnx(helper.make_model(graph).SerializeToString())
    assert sig.inputs == (TensorSpec("x", "DOUBLE", (None, 3)),)
    assert sig.outputs == ("y",)


def test_odd_input_names_become_identifiers() -> None:
    tool = RedisAIModelTool(
        "m",
        input_spec={"input:0": ("FLOAT", [None, 2]), "1st": ("INT32", [])},
        output_names=["out"],
        redis_url="redis://127.0.0.1:1",
    )
    assert list(tool.tool_call_schema.model_json_schema()["properties"]) == ["input_0", "input_1st"]
    assert tool._fields == {"input_0": "input:0", "input_1st": "1st"}
