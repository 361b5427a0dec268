"""What a stored model takes and gives: tensor specs, argument encoding, output decoding. Pure.

Agent tools call a model with JSON-like arguments (nested lists of numbers) and hand its
outputs back as plain Python. This module turns one into the other, checking dtypes and
shapes against the model's signature, read from the ONNX graph or given by the user.

Batch dimension: when an input's first dimension is free (``None``), a single sample (one
rank less) is accepted and given a batch dimension of 1; the outputs then lose it again, so
one sample in gives one result out.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from .errors import ConfigError, ModelError, TensorError

__all__ = [
    "ModelSignature",
    "TensorSpec",
    "decode_outputs",
    "describe_signature",
    "encode_inputs",
    "signature_from_onnx",
    "signature_from_spec",
]

_NUMPY: dict[str, str] = {
    "FLOAT": "float32",
    "DOUBLE": "float64",
    "INT8": "int8",
    "INT16": "int16",
    "INT32": "int32",
    "INT64": "int64",
    "UINT8": "uint8",
    "UINT16": "uint16",
    "BOOL": "bool",
}

# ONNX TensorProto element types (onnx.proto) that RedisAI can hold.
_ONNX_ELEM: dict[int, str] = {
    1: "FLOAT",
    2: "UINT8",
    3: "INT8",
    4: "UINT16",
    5: "INT16",
    6: "INT32",
    7: "INT64",
    9: "BOOL",
    11: "DOUBLE",
}


@dataclasses.dataclass(frozen=True)
class TensorSpec:
    """One model input or output: its name, RedisAI dtype and shape (``None`` = any size).

    Raises:
        ConfigError: an unknown or unsupported dtype, or a negative dimension.
    """

    name: str
    dtype: str
    shape: tuple[int | None, ...]

    def __post_init__(self) -> None:
        if self.dtype not in _NUMPY:
            supported = ", ".join(_NUMPY)
            raise ConfigError(
                f"tensor {self.name!r}: dtype {self.dtype!r} is not one of {supported}"
            )
        if any(d is not None and d < 0 for d in self.shape):
            raise ConfigError(f"tensor {self.name!r}: negative dimension in {list(self.shape)}")

    @property
    def batched(self) -> bool:
        """Whether the first dimension is free (a batch dimension)."""
        return bool(self.shape) and self.shape[0] is None

    def describe(self) -> str:
        dims = ", ".join("N" if d is None else str(d) for d in self.shape)
        return f"{self.dtype} tensor of shape [{dims}]"


@dataclasses.dataclass(frozen=True)
class ModelSignature:
    """Inputs in the model's positional order, and outputs (specs may be partial: names only)."""

    inputs: tuple[TensorSpec, ...]
    outputs: tuple[str, ...]

    def input(self, name: str) -> TensorSpec:
        for spec in self.inputs:
            if spec.name == name:
                return spec
        raise KeyError(name)


def signature_from_spec(
    input_spec: Mapping[str, tuple[str, Sequence[int | None]]], outputs: Sequence[str] = ()
) -> ModelSignature:
    """A signature from ``{"name": ("FLOAT", [None, 4]), ...}`` (order = positional order).

    Raises:
        ConfigError: empty, or a bad dtype or shape.
    """
    if not input_spec:
        raise ConfigError("input_spec names no inputs")
    specs = []
    for name, entry in input_spec.items():
        try:
            dtype, shape = entry
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"input_spec[{name!r}] must be (dtype, shape)") from exc
        specs.append(TensorSpec(name, str(dtype).upper(), tuple(shape)))
    return ModelSignature(tuple(specs), tuple(outputs))


def signature_from_onnx(blob: bytes) -> ModelSignature:
    """Read inputs (dtypes, shapes) and output names from an ONNX model.

    Graph inputs that are initializers (constants) are not model inputs and are skipped.

    Raises:
        ModelError: the blob is not an ONNX model, or an input or output is not a tensor
            (for example a ZipMap's sequence of maps: RedisAI holds only tensors; convert
            scikit-learn classifiers with ``options={id(clf): {"zipmap": False}}``).
    """
    import onnx  # the "onnx" extra; only needed when reading a graph

    try:
        model = onnx.load_model_from_string(blob)
    except Exception as exc:  # onnx raises DecodeError and others; all mean "not a model"
        raise ModelError(f"not an ONNX model: {exc}") from exc
    constants = {init.name for init in model.graph.initializer}
    inputs = []
    for value in model.graph.input:
        if value.name in constants:
            continue
        inputs.append(_value_spec(value))
    outputs = tuple(_value_spec(value).name for value in model.graph.output)
    return ModelSignature(tuple(inputs), outputs)


def _value_spec(value: Any) -> TensorSpec:
    kind = value.type.WhichOneof("value")
    if kind != "tensor_type":
        raise ModelError(
            f"model input/output {value.name!r} is a {kind}, not a tensor; RedisAI holds only "
            "tensors (for scikit-learn classifiers convert with "
            'options={id(clf): {"zipmap": False}})'
        )
    tensor = value.type.tensor_type
    dtype = _ONNX_ELEM.get(tensor.elem_type)
    if dtype is None:
        raise ModelError(
            f"tensor {value.name!r} has ONNX element type {tensor.elem_type}, unsupported"
        )
    shape = tuple(dim.dim_value if dim.HasField("dim_value") else None for dim in tensor.shape.dim)
    return TensorSpec(value.name, dtype, shape)


def encode_inputs(
    signature: ModelSignature, args: Mapping[str, Any]
) -> tuple[list[npt.NDArray[Any]], bool]:
    """Arrays for each input in positional order, and whether a batch dimension was added.

    Raises:
        TensorError: a missing or unknown argument, values of the wrong kind, or a shape the
            model does not accept.
    """
    unknown = sorted(set(args) - {spec.name for spec in signature.inputs})
    if unknown:
        raise TensorError(f"unknown model input(s): {', '.join(unknown)}")
    arrays, added = [], []
    for spec in signature.inputs:
        if spec.name not in args:
            raise TensorError(f"missing model input {spec.name!r} ({spec.describe()})")
        array, expanded = _encode_one(spec, args[spec.name])
        arrays.append(array)
        added.append(expanded)
    if any(added) and not all(added):
        raise TensorError("give every input as one sample, or every input as a batch")
    return arrays, bool(added) and all(added)


def _encode_one(spec: TensorSpec, value: Any) -> tuple[npt.NDArray[Any], bool]:
    try:
        array = np.asarray(value, dtype=np.dtype(_NUMPY[spec.dtype]))
    except (TypeError, ValueError, OverflowError) as exc:
        raise TensorError(
            f"input {spec.name!r}: cannot read values as {spec.dtype}: {exc}"
        ) from exc
    if spec.dtype != "BOOL" and array.dtype.kind == "f" and not np.isfinite(array).all():
        raise TensorError(f"input {spec.name!r}: values must be finite numbers")
    expanded = spec.batched and array.ndim == len(spec.shape) - 1
    if expanded:
        array = array[np.newaxis, ...]
    if array.ndim != len(spec.shape) or any(
        want is not None and got != want for got, want in zip(array.shape, spec.shape, strict=True)
    ):
        raise TensorError(
            f"input {spec.name!r}: got shape {list(array.shape)}, the model takes {spec.describe()}"
        )
    return np.ascontiguousarray(array), expanded


def decode_outputs(
    names: Sequence[str],
    arrays: Sequence[npt.NDArray[Any]],
    *,
    labels: Sequence[str] | None = None,
    squeeze: bool = False,
) -> dict[str, Any]:
    """Outputs as plain Python (lists and scalars), keyed by output name.

    With ``labels``: an integer output is taken as class indices and becomes label names; a
    float output whose last dimension has one entry per label is taken as class scores and
    becomes ``{"label": <argmax label>, "scores": {label: score, ...}}`` per row.

    Args:
        squeeze: drop the batch dimension of 1 that :func:`encode_inputs` added.

    Raises:
        TensorError: an integer output holds an index outside ``labels``.
    """
    out: dict[str, Any] = {}
    for name, array in zip(names, arrays, strict=True):
        value = _decode_one(name, np.asarray(array), labels)
        if squeeze and isinstance(value, list) and len(value) == 1:
            value = value[0]
        out[name] = value
    return out


def _decode_one(name: str, array: npt.NDArray[Any], labels: Sequence[str] | None) -> Any:
    if labels:
        if array.dtype.kind in "iu":
            if array.size and (array.min() < 0 or array.max() >= len(labels)):
                raise TensorError(
                    f"output {name!r} holds class index {int(array.max())} outside the "
                    f"{len(labels)} labels"
                )
            return np.vectorize(lambda i: labels[int(i)], otypes=[object])(array).tolist()
        if array.dtype.kind == "f" and array.ndim >= 1 and array.shape[-1] == len(labels):
            return _scores(array, labels)
    return array.tolist()


def _scores(array: npt.NDArray[Any], labels: Sequence[str]) -> Any:
    if array.ndim == 1:
        best = int(np.argmax(array))
        return {
            "label": labels[best],
            "scores": {label: float(s) for label, s in zip(labels, array, strict=True)},
        }
    return [_scores(row, labels) for row in array]


def describe_signature(
    model_key: str, signature: ModelSignature | None, labels: Sequence[str] | None = None
) -> str:
    """A tool description for agents: what the model takes and what it returns."""
    parts = [f"Runs the model stored in Redis at {model_key!r}."]
    if signature is not None:
        inputs = "; ".join(f"{spec.name}: {spec.describe()}" for spec in signature.inputs)
        parts.append(f"Inputs: {inputs} (N is the batch size; one sample may omit it).")
        if signature.outputs:
            parts.append(f"Returns a JSON object with outputs {', '.join(signature.outputs)}.")
    if labels:
        parts.append(f"Classes: {', '.join(labels)}.")
    return " ".join(parts)
