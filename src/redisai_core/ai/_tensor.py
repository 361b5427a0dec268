"""The codec between user tensors (numpy arrays, value lists) and :class:`Tensor`. Pure; no I/O.

Decisions, each mirroring what a RedisAI server would accept or say:

* Only the ten wire dtypes exist (PROTOCOL.md §1.1). numpy ``uint32``, ``uint64``,
  ``float16``, complex, datetime ... raise ``TensorError("ERR invalid data type")`` here,
  before anything is sent (redisai-py sends ``UINT32`` and lets the server refuse it).
* Blobs are C-contiguous and **little-endian**. Big-endian arrays are converted, not
  rejected: their values are unambiguous, and a byte swap is what the user meant.
  Non-contiguous arrays (slices, transposes) are copied into C order.
* Value lists are encoded to a blob on the client, so the server only ever sees ``BLOB``.
  Checks use the ``VALUES`` wording (``ERR invalid value``, ``ERR wrong number of values ...``)
  with one deliberate difference: negative integers are accepted for the ``INT`` types.
  RedisAI's ``VALUES`` parser rejects every negative integer (an unsigned range check,
  §1.1 quirk), but its ``BLOB`` path stores them, so ours gives the result the blob path does.
* A zero-length dimension cannot exist in RedisAI, so empty arrays are refused with the shape
  error; a 0-d array (or ``shape=()`` with one value) is a scalar tensor.
* Decoding gives **read-only** numpy arrays that share the reply's bytes (zero copy, like
  redisai-py's default); call ``.copy()`` to get a writable one. STRING tensors decode to numpy
  ``str`` arrays. Invalid UTF-8 is kept with ``surrogateescape`` so bytes round-trip.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import ConfigError, TensorError
from ._errors import (
    BLOB_LENGTH,
    BOOL_VALUES,
    INVALID_DTYPE,
    INVALID_SHAPE,
    INVALID_VALUE,
    NUL_IN_STRING,
    STRING_COUNT,
    WRONG_VALUE_COUNT,
)
from ._types import WIRE_DTYPES, Tensor, prod

__all__ = [
    "encode",
    "from_numpy",
    "from_values",
    "numpy_dtype",
    "to_numpy",
    "to_values",
    "validate",
    "wire_dtype",
]

# Wire name -> little-endian numpy dtype (STRING has none: it is variable-length).
_NUMPY: dict[str, np.dtype[Any]] = {
    "FLOAT": np.dtype("<f4"),
    "DOUBLE": np.dtype("<f8"),
    "INT8": np.dtype("i1"),
    "INT16": np.dtype("<i2"),
    "INT32": np.dtype("<i4"),
    "INT64": np.dtype("<i8"),
    "UINT8": np.dtype("u1"),
    "UINT16": np.dtype("<u2"),
    "BOOL": np.dtype("?"),
}
# (kind, itemsize) of a numpy dtype -> wire name; byte order is handled separately.
_FROM_NUMPY: dict[tuple[str, int], str] = {
    (dt.kind, dt.itemsize): name for name, dt in _NUMPY.items()
}
_INT_RANGES: dict[str, tuple[int, int]] = {
    name: (int(np.iinfo(dt).min), int(np.iinfo(dt).max))
    for name, dt in _NUMPY.items()
    if dt.kind in "iu"
}
_INT_RANGES["BOOL"] = (0, 1)
# numpy kinds that hold text: unicode, bytes, and numpy 2's variable-width StringDType.
_TEXT_KINDS = frozenset("UST")
_ENCODING = "utf-8"
_INT_TEXT = re.compile(r"-?[0-9]+")
_ERRORS = "surrogateescape"


def wire_dtype(dtype: Any) -> str:
    """The RedisAI wire name for ``dtype``: a wire name (any case) or anything numpy accepts.

    Raises:
        TensorError: ``ERR invalid data type`` for anything outside the ten wire dtypes.
    """
    if isinstance(dtype, str):
        upper = dtype.upper()
        if upper in WIRE_DTYPES:
            return upper
        if dtype.lower() in ("str", "string"):
            return "STRING"
    try:
        np_dtype = np.dtype(dtype)
    except TypeError as exc:
        raise TensorError(INVALID_DTYPE) from exc
    return _wire_from_numpy(np_dtype)


def _wire_from_numpy(dtype: np.dtype[Any]) -> str:
    if dtype.kind in _TEXT_KINDS:
        return "STRING"
    name = _FROM_NUMPY.get((dtype.kind, dtype.itemsize))
    if name is None:
        raise TensorError(INVALID_DTYPE)
    return name


def numpy_dtype(wire: str) -> np.dtype[Any]:
    """The little-endian numpy dtype of a wire dtype (``str`` for STRING).

    Raises:
        TensorError: ``ERR invalid data type``.
    """
    if wire == "STRING":
        return np.dtype(str)
    try:
        return _NUMPY[wire]
    except KeyError:
        raise TensorError(INVALID_DTYPE) from None


def _check_shape(shape: Sequence[Any]) -> tuple[int, ...]:
    dims: list[int] = []
    for dim in shape:
        # bool is an int subclass but never a dimension; numpy integers are fine.
        if isinstance(dim, (bool, np.bool_)) or not isinstance(dim, (int, np.integer)):
            raise TensorError(INVALID_SHAPE)
        if dim <= 0:
            raise TensorError(INVALID_SHAPE)
        dims.append(int(dim))
    return tuple(dims)


def _encode_strings(items: Sequence[Any]) -> bytes:
    parts: list[bytes] = []
    for item in items:
        if isinstance(item, bytes):
            raw = item
        elif isinstance(item, str):
            raw = item.encode(_ENCODING, _ERRORS)
        else:
            raise TensorError(INVALID_VALUE)
        if b"\0" in raw:
            raise TensorError(NUL_IN_STRING)
        parts.append(raw)
    # Every element, the last included, ends with NUL (PROTOCOL.md §1.1).
    return b"\0".join(parts) + b"\0"


def from_numpy(array: npt.ArrayLike) -> Tensor:
    """Encode a numpy array (or numpy scalar) as a tensor.

    Raises:
        TensorError: unsupported dtype, an empty dimension, or NUL inside a string element.
    """
    arr = np.asarray(array)
    if arr.size == 0:
        raise TensorError(INVALID_SHAPE)
    shape: tuple[int, ...] = arr.shape  # numpy shapes are tuples of Python ints
    if arr.dtype.kind == "O":
        items = arr.ravel().tolist()
        if not all(isinstance(x, (str, bytes)) for x in items):
            raise TensorError(INVALID_DTYPE)
        return Tensor("STRING", shape, _encode_strings(items))
    wire = _wire_from_numpy(arr.dtype)
    if wire == "STRING":
        return Tensor(wire, shape, _encode_strings(arr.ravel().tolist()))
    # astype to the little-endian dtype swaps big-endian input; tobytes copies in C order.
    return Tensor(wire, shape, arr.astype(_NUMPY[wire], copy=False).tobytes(order="C"))


def _int_value(item: Any, low: int, high: int) -> int:
    if isinstance(item, (bool, np.bool_, int, np.integer)):
        value = int(item)
    elif isinstance(item, (str, bytes)):
        # RedisAI parses integers with StringToLongLong: plain decimal only ("1.0" fails).
        text = item.decode(_ENCODING, _ERRORS) if isinstance(item, bytes) else item
        if not _INT_TEXT.fullmatch(text):
            raise TensorError(INVALID_VALUE)
        value = int(text)
    else:
        raise TensorError(INVALID_VALUE)
    if not low <= value <= high:
        raise TensorError(INVALID_VALUE)
    return value


def _float_value(item: Any) -> float:
    if isinstance(item, (bool, np.bool_)):
        raise TensorError(INVALID_VALUE)
    if isinstance(item, (int, float, np.integer, np.floating)):
        return float(item)
    if isinstance(item, (str, bytes)):
        try:
            return float(item)
        except ValueError:
            raise TensorError(INVALID_VALUE) from None
    raise TensorError(INVALID_VALUE)


def from_values(values: Sequence[Any], dtype: Any, shape: Sequence[Any] | None = None) -> Tensor:
    """Encode a flat list of values (``VALUES`` semantics) as a tensor.

    Args:
        values: flat, row-major values: numbers (or numeric strings), or ``str`` for STRING.
        dtype: a wire name such as ``"FLOAT"`` or a numpy dtype.
        shape: the tensor shape; defaults to ``(len(values),)``.

    Raises:
        TensorError: RedisAI's wording for a bad dtype, shape, value count or value.
    """
    wire = wire_dtype(dtype)
    items = list(values)
    dims = _check_shape((len(items),) if shape is None else shape)
    if len(items) != prod(dims) or not items:
        raise TensorError(WRONG_VALUE_COUNT)
    if wire == "STRING":
        return Tensor(wire, dims, _encode_strings(items))
    if wire in _INT_RANGES:
        low, high = _INT_RANGES[wire]
        ints = [_int_value(item, low, high) for item in items]
        return Tensor(wire, dims, np.array(ints, dtype=_NUMPY[wire]).tobytes())
    floats = np.array([_float_value(item) for item in items], dtype=np.float64)
    # RedisAI narrows doubles to float silently (out-of-range values become inf).
    with np.errstate(over="ignore"):
        blob = floats.astype(_NUMPY[wire]).tobytes()
    return Tensor(wire, dims, blob)


def encode(tensor: Any, shape: Sequence[Any] | None = None, dtype: Any = None) -> Tensor:
    """What ``tensorset(key, tensor, shape, dtype)`` stores, for any accepted input.

    * a :class:`Tensor`: validated and used as it is (``shape``/``dtype`` must be None);
    * a list or tuple: flat values; ``dtype`` is required, ``shape`` defaults to ``(len,)``;
    * anything else (numpy array or scalar): its own dtype and shape; ``dtype`` casts it and
      ``shape`` reshapes it (element count must match).

    Raises:
        TensorError: RedisAI's wording for whatever is wrong.
        ConfigError: a list without ``dtype``, or ``shape``/``dtype`` with a Tensor.
    """
    if isinstance(tensor, Tensor):
        if shape is not None or dtype is not None:
            raise ConfigError("shape and dtype cannot be given with a Tensor value")
        validate(tensor)
        return tensor
    if isinstance(tensor, (list, tuple)):
        if dtype is None:
            raise ConfigError("a list or tuple tensor needs dtype (e.g. dtype='FLOAT')")
        return from_values(tensor, dtype, shape)
    arr = np.asarray(tensor)
    if dtype is not None:
        wire = wire_dtype(dtype)
        arr = arr.astype(str if wire == "STRING" else _NUMPY[wire])
    if shape is not None:
        dims = _check_shape(shape)
        if prod(dims) != arr.size:
            raise TensorError(BLOB_LENGTH)
        arr = arr.reshape(dims)
    return from_numpy(arr)


def validate(tensor: Tensor) -> None:
    """Check a tensor as RedisAI's ``TENSORSET ... BLOB`` would.

    Raises:
        TensorError: bad dtype or shape, blob length, BOOL bytes, or STRING element count.
    """
    if tensor.dtype not in WIRE_DTYPES:
        raise TensorError(INVALID_DTYPE)
    dims = _check_shape(tensor.shape)
    count = prod(dims)
    if tensor.dtype == "STRING":
        if not tensor.blob.endswith(b"\0") or tensor.blob.count(b"\0") != count:
            raise TensorError(STRING_COUNT)
        return
    if len(tensor.blob) != count * WIRE_DTYPES[tensor.dtype]:
        raise TensorError(BLOB_LENGTH)
    if tensor.dtype == "BOOL" and tensor.blob.strip(b"\0\1"):
        raise TensorError(BOOL_VALUES)


def _strings(tensor: Tensor) -> list[str]:
    # The blob ends with NUL, so the split leaves one empty tail element.
    return [part.decode(_ENCODING, _ERRORS) for part in tensor.blob.split(b"\0")[:-1]]


def to_numpy(tensor: Tensor) -> npt.NDArray[Any]:
    """Decode to a numpy array: read-only and zero-copy for numeric dtypes.

    Raises:
        TensorError: the tensor is malformed (see :func:`validate`).
    """
    if tensor.array is not None:  # made from a checked array; already read-only
        array: npt.NDArray[Any] = tensor.array
        return array
    validate(tensor)
    if tensor.dtype == "STRING":
        return np.array(_strings(tensor), dtype=str).reshape(tensor.shape)
    return np.frombuffer(tensor.blob, dtype=_NUMPY[tensor.dtype]).reshape(tensor.shape)


def to_values(tensor: Tensor) -> list[Any]:
    """Decode to a flat, row-major list as ``AI.TENSORGET ... VALUES`` gives it.

    FLOAT/DOUBLE give ``float``, integer types and BOOL give ``int`` (0/1, as on the wire),
    STRING gives ``str``.

    Raises:
        TensorError: the tensor is malformed (see :func:`validate`).
    """
    validate(tensor)
    if tensor.dtype == "STRING":
        return _strings(tensor)
    arr = np.frombuffer(tensor.blob, dtype=_NUMPY[tensor.dtype])
    if tensor.dtype == "BOOL":
        arr = arr.astype(np.int64)
    values: list[Any] = arr.tolist()
    return values
