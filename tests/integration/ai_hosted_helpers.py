"""Small ONNX models built with ``onnx.helper`` for the hosted executor's tests."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Awaitable, Callable
from typing import TypeVar

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

T = TypeVar("T")
OPSET = [helper.make_opsetid("", 17)]


def _model(graph: onnx.GraphProto) -> bytes:
    model = helper.make_model(graph, opset_imports=OPSET)
    model.ir_version = 8

    return model.SerializeToString()


def identity(elem: int = TensorProto.FLOAT, dims: list[int | str] | None = None) -> bytes:
    """y = x, any shape (the default) or ``dims``."""
    shape = dims if dims is not None else None
    x = helper.make_tensor_value_info("x", elem, shape)
    y = helper.make_tensor_value_info("y", elem, shape)
    return _model(helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "id", [x], [y]))


def scale(factor: float) -> bytes:
    """y = x * factor on float32 [N, 4]: tells two stored versions of a model apart."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])
    k = numpy_helper.from_array(np.array(factor, dtype=np.float32), "k")
    graph = helper.make_graph([helper.make_node("Mul", ["x", "k"], ["y"])], "scale", [x], [y], [k])
    return _model(graph)


def mlp_weights(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return (
        rng.standard_normal((32, 64)).astype(np.float32),
        rng.standard_normal(64).astype(np.float32),
        rng.standard_normal((64, 2)).astype(np.float32),
        rng.standard_normal(2).astype(np.float32),
    )


def mlp(seed: int = 0) -> bytes:
    """32 -> 64 (ReLU) -> 2, float32, random weights; input [N, 32]."""
    w1, b1, w2, b2 = mlp_weights(seed)
    inits = [
        numpy_helper.from_array(w1, "w1"),
        numpy_helper.from_array(b1, "b1"),
        numpy_helper.from_array(w2, "w2"),
        numpy_helper.from_array(b2, "b2"),
    ]
    nodes = [
        helper.make_node("MatMul", ["x", "w1"], ["h0"]),
        helper.make_node("Add", ["h0", "b1"], ["h1"]),
        helper.make_node("Relu", ["h1"], ["h"]),
        helper.make_node("MatMul", ["h", "w2"], ["o0"]),
        helper.make_node("Add", ["o0", "b2"], ["y"]),
    ]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 32])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 2])
    return _model(helper.make_graph(nodes, "mlp", [x], [y], inits))


def mlp_reference(x: np.ndarray, seed: int = 0) -> np.ndarray:
    w1, b1, w2, b2 = mlp_weights(seed)
    return np.maximum(x @ w1 + b1, 0) @ w2 + b2


def reduce_batch() -> bytes:
    """y = sum of x over dim 0, keepdims: output dim 0 is always 1 (wrong when batched)."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    axes = numpy_helper.from_array(np.array([0], dtype=np.int64), "axes")
    node = helper.make_node("ReduceSum", ["x", "axes"], ["y"], keepdims=1)
    return _model(helper.make_graph([node], "reduce", [x], [y], [axes]))


def two_in_two_out() -> bytes:
    """(a, b) -> (a + b, a * b), float32 [N, 3]."""
    a = helper.make_tensor_value_info("a", TensorProto.FLOAT, ["N", 3])
    b = helper.make_tensor_value_info("b", TensorProto.FLOAT, ["N", 3])
    s = helper.make_tensor_value_info("sum", TensorProto.FLOAT, ["N", 3])
    p = helper.make_tensor_value_info("prod", TensorProto.FLOAT, ["N", 3])
    nodes = [
        helper.make_node("Add", ["a", "b"], ["sum"]),
        helper.make_node("Mul", ["a", "b"], ["prod"]),
    ]
    return _model(helper.make_graph(nodes, "two", [a, b], [s, p]))


def bad_reshape() -> bytes:
    """Valid graph that fails at run time: Reshape of any [N, 4] input to [3, 5]."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    shape = numpy_helper.from_array(np.array([3, 5], dtype=np.int64), "shape")
    node = helper.make_node("Reshape", ["x", "shape"], ["y"])
    return _model(helper.make_graph([node], "bad", [x], [y], [shape]))


def slow(width: int = 384, depth: int = 8) -> bytes:
    """A chain of ``depth`` [N, width] x [width, width] MatMuls: takes visible time per run."""
    w = numpy_helper.from_array((np.eye(width, dtype=np.float32) + 0.001).astype(np.float32), "w")
    nodes, prev = [], "x"
    for i in range(depth):
        out = "y" if i == depth - 1 else f"h{i}"
        nodes.append(helper.make_node("MatMul", [prev, "w"], [out]))
        prev = out
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", width])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", width])
    return _model(helper.make_graph(nodes, "slow", [x], [y], [w]))


# -- running callers concurrently: asyncio tasks in the async tests, threads in the sync twins --


async def async_gather(calls: list[Callable[[], Awaitable[T]]]) -> list[T | BaseException]:
    """Start every call as an asyncio task at once; results (or exceptions) in order."""
    return await asyncio.gather(*(call() for call in calls), return_exceptions=True)


def gather(calls: list[Callable[[], T]]) -> list[T | BaseException]:
    """Run every call in its own thread at once; results (or exceptions) in order."""

    def guarded(call: Callable[[], T]) -> T | BaseException:
        try:
            return call()
        except BaseException as exc:  # returned, as asyncio.gather(return_exceptions=True) does
            return exc

    with concurrent.futures.ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(guarded, calls))
