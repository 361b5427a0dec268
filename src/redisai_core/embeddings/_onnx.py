"""A tiny helper for emitting ONNX nodes, and the pooling/normalisation tail shared by all models.

The tail is written once here and used both by the MiniLM builder and by
:func:`~redisai_core.embeddings.prepare_model` for bring-your-own models, so every model pools
and normalises the same way (the way sentence-transformers does).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from ._spec import Pooling

__all__ = ["NodeWriter", "pool_and_normalize"]

# torch.nn.functional.normalize clamps the norm at this value; sentence-transformers' mean
# pooling clamps the token count at 1e-9.
_NORM_EPS = 1e-12
_COUNT_EPS = 1e-9


class NodeWriter:
    """Collects nodes and constant initializers under unique, prefixed names.

    Args:
        prefix: prepended to every generated name, so a tail added to a user's graph cannot
            collide with the graph's own names.
        opset: the default-domain opset of the target model; reduce ops take ``axes`` as an
            attribute before opset 13 (ReduceSum) / 18 (the others) and as an input after.
    """

    def __init__(self, prefix: str, opset: int) -> None:
        self.prefix = prefix
        self.opset = opset
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._count = 0

    def name(self, hint: str) -> str:
        self._count += 1
        return f"{self.prefix}{hint}_{self._count}"

    def const(self, value: np.ndarray | float | Sequence[int], hint: str = "c") -> str:
        """Add a constant initializer; floats become float32 scalars, int lists int64 vectors."""
        if isinstance(value, np.ndarray):
            array = value
        elif isinstance(value, float):
            array = np.array(value, dtype=np.float32)
        else:
            array = np.asarray(list(value), dtype=np.int64)
        name = self.name(hint)
        self.initializers.append(numpy_helper.from_array(array, name))
        return name

    def op(
        self,
        op_type: str,
        inputs: Sequence[str],
        hint: str | None = None,
        output: str | None = None,
        **attrs: Any,
    ) -> str:
        """Add one node with one output and return that output's name."""
        out = output or self.name(hint or op_type.lower())
        self.nodes.append(
            helper.make_node(op_type, list(inputs), [out], name=self.name(op_type), **attrs)
        )
        return out

    def reduce(self, op_type: str, x: str, axes: Sequence[int], keepdims: int = 1) -> str:
        """A reduce op with ``axes`` in the form this opset expects."""
        axes_as_input = self.opset >= (13 if op_type == "ReduceSum" else 18)
        if axes_as_input:
            return self.op(op_type, [x, self.const(axes, "axes")], keepdims=keepdims)
        return self.op(op_type, [x], axes=list(axes), keepdims=keepdims)


def pool_and_normalize(
    w: NodeWriter,
    tokens: str,
    *,
    attention_mask: str,
    pooling: Pooling,
    normalize: bool,
    output: str,
) -> None:
    """Append pooling and L2 normalisation, writing the float32 ``[batch, dim]`` result to ``output``.

    Args:
        w: the writer to add nodes to.
        tokens: ``[batch, seq, dim]`` token vectors (or ``[batch, dim]`` when ``pooling`` is NONE).
        attention_mask: the int64 ``[batch, seq]`` mask input.
        pooling: how to pool.
        normalize: divide by the L2 norm (clamped at 1e-12, as torch does).
        output: name of the final tensor.
    """
    if pooling is Pooling.MEAN:
        mask = w.op("Cast", [attention_mask], "mask_f", to=TensorProto.FLOAT)
        # [B,S] -> [B,1,S]; then MatMul sums the masked tokens in one kernel: [B,1,S]x[B,S,D].
        mask_row = w.op("Reshape", [mask, w.const([0, 1, -1], "shape")], "mask_row")
        summed = w.op("Flatten", [w.op("MatMul", [mask_row, tokens], "masked_sum")], axis=1)
        count = w.reduce("ReduceSum", mask, [1])
        count = w.op("Max", [count, w.const(_COUNT_EPS, "count_eps")], "count")
        pooled = w.op("Div", [summed, count], "mean")
    elif pooling is Pooling.CLS:
        pooled = w.op("Gather", [tokens, w.const(np.array(0, dtype=np.int64), "cls")], axis=1)
    else:
        pooled = tokens
    if normalize:
        norm = w.op("Sqrt", [w.reduce("ReduceSumSquare", pooled, [-1])], "norm")
        norm = w.op("Max", [norm, w.const(_NORM_EPS, "norm_eps")], "norm_clamped")
        pooled = w.op("Div", [pooled, norm], "normalized")
    w.op("Identity", [pooled], output=output)
