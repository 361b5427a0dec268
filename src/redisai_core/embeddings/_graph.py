"""Build a BERT sentence-embedding ONNX graph (all-MiniLM-L6-v2) from safetensors weights.

No torch: the graph is written node by node with ``onnx.helper`` from the Hugging Face
``BertModel`` weights, followed by the shared pooling and normalisation tail, so the model maps
``input_ids``/``attention_mask`` (int64 ``[batch, seq]``) straight to a unit ``sentence_embedding``
(float32 ``[batch, dim]``).

Decisions:
- Token types are folded in: single sentences always have token type 0, so row 0 of the
  token-type table is added to the position table at build time and the graph has two inputs.
- Query, key and value are one fused ``[hidden, 3*hidden]`` MatMul, with the 1/sqrt(head_dim)
  attention scale folded into the query weights; padding is masked with the most negative
  float32, as transformers does, so padded tokens get exactly zero attention.
- GELU is the exact erf form (``hidden_act = "gelu"``); ONNX Runtime fuses the
  Div/Erf/Add/Mul/Mul pattern into its Gelu kernel, and at opset >= 17 LayerNormalization is a
  native op (below 17 it is decomposed into the pattern ORT fuses back).
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper

from ..errors import ConfigError
from ._onnx import NodeWriter, pool_and_normalize
from ._spec import ATTENTION_MASK, INPUT_IDS, OUTPUT_NAME, Pooling

__all__ = ["BUILDER_VERSION", "DEFAULT_OPSET", "BertConfig", "build_bert_model"]

# Bump whenever the emitted graph changes: it is part of the build cache key.
BUILDER_VERSION = "bert-1"
DEFAULT_OPSET = 17
_MIN_OPSET = 13
_SUPPORTED_ACTS = ("gelu",)
_MS_DOMAIN = "com.microsoft"


@dataclasses.dataclass(frozen=True, kw_only=True)
class BertConfig:
    """The parts of a Hugging Face BERT ``config.json`` the graph needs."""

    hidden_size: int
    num_attention_heads: int
    num_hidden_layers: int
    intermediate_size: int
    layer_norm_eps: float
    hidden_act: str = "gelu"

    @classmethod
    def from_file(cls, path: Path) -> BertConfig:
        """Read ``config.json``.

        Raises:
            ConfigError: the file is not a supported BERT config.
        """
        raw = json.loads(path.read_text(encoding="utf-8"))
        if raw.get("model_type") != "bert":
            raise ConfigError(f"{path}: model_type must be 'bert', got {raw.get('model_type')!r}")
        if raw.get("hidden_act", "gelu") not in _SUPPORTED_ACTS:
            raise ConfigError(f"{path}: unsupported hidden_act {raw.get('hidden_act')!r}")
        if raw.get("position_embedding_type", "absolute") != "absolute":
            raise ConfigError(f"{path}: only absolute position embeddings are supported")
        return cls(
            hidden_size=int(raw["hidden_size"]),
            num_attention_heads=int(raw["num_attention_heads"]),
            num_hidden_layers=int(raw["num_hidden_layers"]),
            intermediate_size=int(raw["intermediate_size"]),
            layer_norm_eps=float(raw["layer_norm_eps"]),
            hidden_act=str(raw.get("hidden_act", "gelu")),
        )


class _BertWriter(NodeWriter):
    def __init__(
        self, weights: Mapping[str, np.ndarray], config: BertConfig, opset: int, fused: bool
    ) -> None:
        super().__init__("", opset)
        self.w = weights
        self.cfg = config
        self.fused = fused

    def ms_op(self, op_type: str, inputs: list[str], **attrs: Any) -> str:
        """A node of ONNX Runtime's contrib domain (``com.microsoft``)."""
        out = self.name(op_type.lower())
        self.nodes.append(
            helper.make_node(
                op_type, inputs, [out], name=self.name(op_type), domain=_MS_DOMAIN, **attrs
            )
        )
        return out

    def weight(self, key: str, transform: np.ndarray | None = None) -> str:
        array = self.w[key] if transform is None else transform
        return self.const(np.ascontiguousarray(array, dtype=np.float32), key.replace(".", "_"))

    def linear(self, x: str, prefix: str) -> str:
        # HF Linear stores [out, in]; ONNX MatMul wants [in, out].
        kernel = self.weight(f"{prefix}.weight", self.w[f"{prefix}.weight"].T)
        return self.op("Add", [self.op("MatMul", [x, kernel]), self.weight(f"{prefix}.bias")])

    def layer_norm(self, x: str, prefix: str) -> str:
        scale, bias = self.weight(f"{prefix}.weight"), self.weight(f"{prefix}.bias")
        eps = self.cfg.layer_norm_eps
        if self.opset >= 17:
            return self.op("LayerNormalization", [x, scale, bias], axis=-1, epsilon=eps)
        mean = self.reduce("ReduceMean", x, [-1])
        centred = self.op("Sub", [x, mean])
        var = self.reduce("ReduceMean", self.op("Pow", [centred, self.const(2.0)]), [-1])
        std = self.op("Sqrt", [self.op("Add", [var, self.const(eps)])])
        normed = self.op("Div", [centred, std])
        return self.op("Add", [self.op("Mul", [normed, scale]), bias])

    def gelu(self, x: str) -> str:
        erf = self.op("Erf", [self.op("Div", [x, self.const(math.sqrt(2.0))])])
        half_x = self.op("Mul", [x, self.const(0.5)])
        return self.op("Mul", [half_x, self.op("Add", [erf, self.const(1.0)])])

    def fused_attention(self, x: str, mask: str, prefix: str) -> str:
        # com.microsoft.Attention: QKV projection, scaled masked softmax and context in one
        # kernel; it applies 1/sqrt(head_dim) itself, so nothing is folded into the weights.
        q_w, k_w, v_w = (self.w[f"{prefix}.self.{n}.weight"] for n in ("query", "key", "value"))
        q_b, k_b, v_b = (self.w[f"{prefix}.self.{n}.bias"] for n in ("query", "key", "value"))
        kernel = self.weight(f"{prefix}.qkv.weight", np.concatenate([q_w.T, k_w.T, v_w.T], 1))
        bias = self.weight(f"{prefix}.qkv.bias", np.concatenate([q_b, k_b, v_b]))
        heads = self.cfg.num_attention_heads
        return self.ms_op("Attention", [x, kernel, bias, mask], num_heads=heads)

    def attention(self, x: str, mask_bias: str, prefix: str) -> str:
        if self.fused:
            return self.fused_attention(x, mask_bias, prefix)
        heads = self.cfg.num_attention_heads
        head_dim = self.cfg.hidden_size // heads
        scale = 1.0 / math.sqrt(head_dim)
        q_w, k_w, v_w = (self.w[f"{prefix}.self.{n}.weight"] for n in ("query", "key", "value"))
        q_b, k_b, v_b = (self.w[f"{prefix}.self.{n}.bias"] for n in ("query", "key", "value"))
        kernel = np.concatenate([q_w.T * scale, k_w.T, v_w.T], axis=1)
        bias = np.concatenate([q_b * scale, k_b, v_b])
        qkv = self.op(
            "Add",
            [
                self.op("MatMul", [x, self.weight(f"{prefix}.qkv.weight", kernel)]),
                self.weight(f"{prefix}.qkv.bias", bias),
            ],
        )
        # [B,S,3*H] -> [B,S,3,heads,hd] -> [3,B,heads,S,hd]
        split = self.op("Reshape", [qkv, self.const([0, 0, 3, heads, head_dim])])
        qkv_t = self.op("Transpose", [split], perm=[2, 0, 3, 1, 4])
        q, k, v = (
            self.op("Gather", [qkv_t, self.const(np.array(i, dtype=np.int64))], axis=0)
            for i in range(3)
        )
        k_t = self.op("Transpose", [k], perm=[0, 1, 3, 2])
        scores = self.op("Add", [self.op("MatMul", [q, k_t]), mask_bias])
        probs = self.op("Softmax", [scores], axis=-1)
        context = self.op("Transpose", [self.op("MatMul", [probs, v])], perm=[0, 2, 1, 3])
        return self.op("Reshape", [context, self.const([0, 0, self.cfg.hidden_size])])

    def dense_add_norm(self, x: str, residual: str, dense: str, norm: str) -> str:
        """LayerNorm(x @ W + b + residual)."""
        if not self.fused:
            out = self.linear(x, dense)
            return self.layer_norm(self.op("Add", [out, residual]), norm)
        kernel = self.weight(f"{dense}.weight", self.w[f"{dense}.weight"].T)
        return self.ms_op(
            "SkipLayerNormalization",
            [
                self.op("MatMul", [x, kernel]),
                residual,
                self.weight(f"{norm}.weight"),
                self.weight(f"{norm}.bias"),
                self.weight(f"{dense}.bias"),
            ],
            epsilon=self.cfg.layer_norm_eps,
        )

    def intermediate(self, x: str, dense: str) -> str:
        if not self.fused:
            return self.gelu(self.linear(x, dense))
        kernel = self.weight(f"{dense}.weight", self.w[f"{dense}.weight"].T)
        # BiasGelu is the exact erf GELU of (x @ W + b).
        return self.ms_op(
            "BiasGelu", [self.op("MatMul", [x, kernel]), self.weight(f"{dense}.bias")]
        )

    def encoder_layer(self, x: str, mask: str, i: int) -> str:
        prefix = f"encoder.layer.{i}"
        attn = self.attention(x, mask, f"{prefix}.attention")
        x = self.dense_add_norm(
            attn, x, f"{prefix}.attention.output.dense", f"{prefix}.attention.output.LayerNorm"
        )
        inner = self.intermediate(x, f"{prefix}.intermediate.dense")
        return self.dense_add_norm(inner, x, f"{prefix}.output.dense", f"{prefix}.output.LayerNorm")

    def embeddings(self) -> str:
        # Position table with token-type row 0 folded in (single sentences: all type 0).
        positions = self.w["embeddings.position_embeddings.weight"]
        folded = positions + self.w["embeddings.token_type_embeddings.weight"][0]
        seq_len = self.op(
            "Slice", [self.op("Shape", [INPUT_IDS]), self.const([1]), self.const([2])]
        )
        pos = self.op(
            "Slice",
            [self.weight("embeddings.position_type0", folded), self.const([0]), seq_len],
        )
        words = self.op(
            "Gather", [self.weight("embeddings.word_embeddings.weight"), INPUT_IDS], axis=0
        )
        return self.layer_norm(self.op("Add", [words, pos]), "embeddings.LayerNorm")

    def mask_bias(self) -> str:
        if self.fused:
            # The contrib Attention takes the raw [B,S] mask as int32.
            return self.op("Cast", [ATTENTION_MASK], to=TensorProto.INT32)
        # (1 - mask) * float32.min, shaped [B,1,1,S] to broadcast over heads and queries.
        mask = self.op("Cast", [ATTENTION_MASK], to=TensorProto.FLOAT)
        inverted = self.op("Sub", [self.const(1.0), mask])
        bias = self.op("Mul", [inverted, self.const(float(np.finfo(np.float32).min))])
        return self.op("Reshape", [bias, self.const([0, 1, 1, -1])])


def build_bert_model(
    weights: Mapping[str, np.ndarray],
    config: BertConfig,
    *,
    opset: int = DEFAULT_OPSET,
    pooling: Pooling = Pooling.MEAN,
    normalize: bool = True,
    fused: bool = False,
) -> onnx.ModelProto:
    """Build the sentence-embedding graph of a BERT model.

    Args:
        weights: the ``BertModel`` tensors by Hugging Face name (``safetensors.numpy.load_file``).
        config: the model's configuration.
        opset: default-domain opset of the emitted model (13 or newer).
        pooling: pooling of the last hidden state.
        normalize: L2-normalise the pooled vector.
        fused: use ONNX Runtime's contrib kernels (``com.microsoft`` Attention,
            SkipLayerNormalization, BiasGelu); faster there, but only ONNX Runtime runs it.

    Returns:
        A checked model: inputs ``input_ids``, ``attention_mask``; output ``sentence_embedding``.

    Raises:
        ConfigError: unsupported opset, or weights that do not match the config.
    """
    if opset < _MIN_OPSET:
        raise ConfigError(f"opset must be >= {_MIN_OPSET}, got {opset}")
    if config.hidden_size % config.num_attention_heads:
        raise ConfigError("hidden_size must be a multiple of num_attention_heads")
    stripped = {k.removeprefix("bert."): v for k, v in weights.items()}
    writer = _BertWriter(stripped, config, opset, fused)
    try:
        hidden = writer.embeddings()
        bias = writer.mask_bias()
        for i in range(config.num_hidden_layers):
            hidden = writer.encoder_layer(hidden, bias, i)
    except KeyError as exc:
        raise ConfigError(f"weights lack tensor {exc.args[0]!r} required by the config") from exc
    pool_and_normalize(
        writer,
        hidden,
        attention_mask=ATTENTION_MASK,
        pooling=pooling,
        normalize=normalize,
        output=OUTPUT_NAME,
    )

    out_dim = config.hidden_size
    graph = helper.make_graph(
        writer.nodes,
        "bert_sentence_embedding",
        [
            helper.make_tensor_value_info(INPUT_IDS, TensorProto.INT64, ["batch", "seq"]),
            helper.make_tensor_value_info(ATTENTION_MASK, TensorProto.INT64, ["batch", "seq"]),
        ],
        [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, ["batch", out_dim])],
        initializer=writer.initializers,
    )
    model = helper.make_model(
        graph,
        opset_imports=[
            helper.make_opsetid("", opset),
            *([helper.make_opsetid(_MS_DOMAIN, 1)] if fused else []),
        ],
        producer_name="redisai-integrations",
        producer_version=BUILDER_VERSION,
    )
    # IR version 8 is read by every ONNX Runtime since 1.10; newer IR adds nothing we use.
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model
