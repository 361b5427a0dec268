"""Value types shared by the RedisAI client and both executors. Pure; no I/O.

Executors never see numpy conversions or user-facing argument forms: the client facade turns
user input into these values (validating it with RedisAI's wording) and back.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Sequence
from typing import Any, NamedTuple

__all__ = [
    "NA",
    "OK",
    "WIRE_DTYPES",
    "Backend",
    "DagOp",
    "DagResult",
    "ModelExecuteOp",
    "ModelInfo",
    "ModelMeta",
    "Tensor",
    "TensorGetOp",
    "TensorSetOp",
]

# The ten RedisAI wire dtypes (PROTOCOL.md §1.1), with element size in bytes (STRING: variable).
WIRE_DTYPES: dict[str, int] = {
    "FLOAT": 4,
    "DOUBLE": 8,
    "INT8": 1,
    "INT16": 2,
    "INT32": 4,
    "INT64": 8,
    "UINT8": 1,
    "UINT16": 2,
    "BOOL": 1,
    "STRING": 0,
}


class Backend(str, enum.Enum):
    TF = "TF"
    TFLITE = "TFLITE"
    TORCH = "TORCH"
    ONNX = "ONNX"


@dataclasses.dataclass(frozen=True)
class Tensor:
    """A tensor as RedisAI holds it: wire dtype, shape, and the C-order little-endian blob.

    STRING tensors hold NUL-terminated UTF-8 elements concatenated, as on the wire.

    ``array`` optionally carries the same values as a read-only numpy array, set only by code
    that made the tensor from a checked array (the hosted executor's model outputs), so
    handing the tensor back as numpy needs neither decoding nor re-validation. It takes no part
    in equality.
    """

    dtype: str
    shape: tuple[int, ...]
    blob: bytes
    array: Any = dataclasses.field(default=None, compare=False, repr=False)


@dataclasses.dataclass(frozen=True)
class ModelMeta:
    """What AI.MODELGET reports, minus the blob."""

    backend: str
    device: str
    tag: str = ""
    batchsize: int = 0
    minbatchsize: int = 0
    minbatchtimeout: int = 0
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class ModelInfo:
    """What AI.INFO reports for a model."""

    key: str
    type: str
    backend: str
    device: str
    tag: str
    duration: int
    samples: int
    calls: int
    errors: int


class _Marker(str, enum.Enum):
    OK = "OK"
    NA = "NA"


OK = _Marker.OK
NA = _Marker.NA


# DAG ops are NamedTuples: immutable like the frozen dataclasses above, but several are built
# per request on the serving path and a NamedTuple costs a fraction to create.
class TensorSetOp(NamedTuple):
    key: str
    tensor: Tensor


class TensorGetOp(NamedTuple):
    """Always fetched as META + BLOB; the facade converts to values when asked."""

    key: str


class ModelExecuteOp(NamedTuple):
    key: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]


DagOp = TensorSetOp | TensorGetOp | ModelExecuteOp
# Per-op result: OK, a Tensor (for TENSORGET), an inline error, or NA (skipped / never produced).
DagResult = _Marker | Tensor | Exception


def prod(shape: Sequence[int]) -> int:
    """Number of elements of ``shape`` (1 for a scalar)."""
    n = 1
    for dim in shape:
        n *= dim
    return n
