"""Bring your own model: give any ONNX sentence-embedding model our two-input, one-output face.

A raw transformer export usually outputs token vectors (``last_hidden_state``) and may take
``token_type_ids``. :func:`wrap_model` appends the spec's pooling and normalisation, feeds
token types as zeros inside the graph, and renames the interface to ``input_ids``,
``attention_mask`` -> ``sentence_embedding``, so every runner (in-process, RedisAI module,
hosted) drives every model the same way.
"""

from __future__ import annotations

import onnx
from onnx import TensorProto, helper

from ..errors import ConfigError
from ._onnx import NodeWriter, pool_and_normalize
from ._spec import ATTENTION_MASK, INPUT_IDS, OUTPUT_NAME, EmbeddingModelSpec, Pooling

__all__ = ["prepare_model", "wrap_model"]

_PREFIX = "redisai_embed/"


def _default_opset(model: onnx.ModelProto) -> int:
    for entry in model.opset_import:
        if entry.domain in ("", "ai.onnx"):
            return int(entry.version)
    raise ConfigError("the model imports no default-domain opset")


def _rename_tensor(graph: onnx.GraphProto, old: str, new: str) -> str:
    for node in graph.node:
        node.input[:] = [new if name == old else name for name in node.input]
        node.output[:] = [new if name == old else name for name in node.output]
    for output in graph.output:
        if output.name == old:
            output.name = new
    return new


def wrap_model(model: onnx.ModelProto, spec: EmbeddingModelSpec) -> onnx.ModelProto:
    """Return a copy of ``model`` with pooling, normalisation and the canonical interface.

    Args:
        model: the raw model.
        spec: names of its inputs and output, and the pooling and normalisation to add.

    Returns:
        A model with int64 inputs ``input_ids``, ``attention_mask`` ([batch, seq]) and one float32
        output ``sentence_embedding``.

    Raises:
        ConfigError: the named inputs or output do not exist, or the model has other inputs.
    """
    wrapped = onnx.ModelProto()
    wrapped.CopyFrom(model)
    graph = wrapped.graph
    initializers = {init.name for init in graph.initializer}
    inputs = {i.name: i for i in graph.input if i.name not in initializers}
    for needed in (spec.input_ids_name, spec.attention_mask_name):
        if needed not in inputs:
            raise ConfigError(f"model has no input {needed!r}; inputs are {sorted(inputs)}")
    token_types = spec.token_type_ids_name if spec.token_type_ids_name in inputs else None
    extra = set(inputs) - {spec.input_ids_name, spec.attention_mask_name, token_types}
    if extra:
        raise ConfigError(f"model has inputs the embedder cannot feed: {sorted(extra)}")
    outputs = [o.name for o in graph.output]
    source = spec.output_name or (outputs[0] if outputs else "")
    if source not in outputs:
        raise ConfigError(f"model has no output {source!r}; outputs are {outputs}")
    out_type = next(o for o in graph.output if o.name == source).type.tensor_type.elem_type
    if source == OUTPUT_NAME:
        # The final output takes this name, so the model's own tensor must give it up.
        source = _rename_tensor(graph, OUTPUT_NAME, _PREFIX + "model_output")

    w = NodeWriter(_PREFIX, _default_opset(model))
    # Bind the canonical input names to the model's own, and feed token types as zeros.
    for canonical, own in (
        (INPUT_IDS, spec.input_ids_name),
        (ATTENTION_MASK, spec.attention_mask_name),
    ):
        if canonical != own:
            w.op("Identity", [canonical], output=own)
    if token_types is not None:
        w.op(
            "ConstantOfShape",
            [w.op("Shape", [INPUT_IDS])],
            output=token_types,
            value=helper.make_tensor("zero", TensorProto.INT64, [1], [0]),
        )
    prologue, w.nodes = w.nodes, []

    tokens = source
    if out_type != TensorProto.FLOAT:
        tokens = w.op("Cast", [source], "as_float", to=TensorProto.FLOAT)
    pool_and_normalize(
        w,
        tokens,
        attention_mask=ATTENTION_MASK,
        pooling=Pooling(spec.pooling),
        normalize=spec.normalize,
        output=OUTPUT_NAME,
    )

    original_nodes = list(graph.node)
    del graph.node[:]
    graph.node.extend([*prologue, *original_nodes, *w.nodes])
    graph.initializer.extend(w.initializers)
    kept_inputs = [i for i in graph.input if i.name in initializers]
    del graph.input[:]
    graph.input.extend(
        [
            helper.make_tensor_value_info(INPUT_IDS, TensorProto.INT64, ["batch", "seq"]),
            helper.make_tensor_value_info(ATTENTION_MASK, TensorProto.INT64, ["batch", "seq"]),
            *kept_inputs,
        ]
    )
    del graph.output[:]
    graph.output.extend(
        [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, ["batch", None])]
    )
    onnx.checker.check_model(wrapped)
    return wrapped


def prepare_model(spec: EmbeddingModelSpec) -> bytes:
    """Load the spec's ONNX file and return the serialized, wrapped model (or, for a
    ``prepared`` spec, the file's bytes).

    Args:
        spec: the model description.

    Returns:
        The model bytes, ready for any runner or for ``AI.MODELSTORE``.

    Raises:
        ConfigError: the file is not a usable model (see :func:`wrap_model`).
        OSError: the file cannot be read.
    """
    if spec.prepared:
        return spec.model_path.read_bytes()
    try:
        model = onnx.load_model(str(spec.model_path))
    except OSError:
        raise
    except Exception as exc:  # protobuf's DecodeError and kin: the bytes are not a model
        raise ConfigError(f"{spec.model_path}: not a valid ONNX model: {exc}") from exc
    return bytes(wrap_model(model, spec).SerializeToString())
