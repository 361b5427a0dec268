"""The stored-document codec: records to HASH fields and back, with vector validation.

A record is stored as one HASH under ``keyspace.key(id)``:

- ``text``: the content (indexed as TEXT for hybrid search);
- ``vector``: little-endian FLOAT32/FLOAT64 bytes;
- ``_metadata_json``: the whole metadata as JSON, so lists, dicts, nesting and None round-trip;
- one projection field per indexed metadata key (see :func:`project`).

Tag values are projected so that equality can match only the very same value. The server
trims leading and trailing whitespace from tag values, splits them at the separator and cuts
them at NUL, so a value with any of these (or one starting with :data:`TAG_MARK`) is projected
as the mark plus the hex of its UTF-8 bytes instead; the mapping stays one-to-one and leaves
ordinary values readable. Filters project their values the same way (:func:`tag_token`).
"""

from __future__ import annotations

import array
import dataclasses
import functools
import json
import math
import re
import struct
import sys
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

try:  # a faster JSON reader when installed (the LangChain extra brings it); json otherwise
    import orjson
except ImportError:  # pragma: no cover - exercised only without the extra
    orjson = None  # type: ignore[assignment]

from ..errors import ConfigError, CorruptDataError, VectorError
from .schema import (
    METADATA_FIELD,
    TEXT_FIELD,
    FieldSpec,
    GeoFieldSpec,
    IndexSchema,
    NumericFieldSpec,
    TagFieldSpec,
    TextFieldSpec,
    VectorDataType,
    VectorFieldSpec,
)

__all__ = [
    "TAG_MARK",
    "Record",
    "decode_metadata",
    "encode_record",
    "geo_token",
    "project",
    "tag_token",
    "validate_query_vector",
    "validate_vectors",
]

TAG_MARK = "~x~"


@dataclasses.dataclass(frozen=True, kw_only=True)
class Record:
    """A document as the core stores it.

    Args:
        id: the caller's ID, kept exactly (the key is ``keyspace.key(id)``).
        text: the content.
        metadata: any JSON-serialisable mapping.
        vector: the embedding, when it was fetched.
    """

    id: str
    text: str
    metadata: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    vector: npt.NDArray[np.floating[Any]] | None = dataclasses.field(default=None, compare=False)


def _diagnose(vectors: Any, spec: VectorFieldSpec) -> VectorError:
    """The precise error for a batch that did not convert to an (n, dims) array."""
    for i, row in enumerate(vectors):
        if isinstance(row, (str, bytes)):
            return VectorError(f"vector {i} is a {type(row).__name__}, not a sequence of numbers")
        try:
            size, ndim = int(np.size(row)), np.ndim(row)
        except (TypeError, ValueError):  # pragma: no cover - np.size accepts nearly anything
            size, ndim = -1, 0
        if size != spec.dims or ndim != 1:
            return VectorError(f"vector {i} has {size} components; the index expects {spec.dims}")
    return VectorError("vectors must be sequences of real numbers")


# Batches at least this long of list rows are packed by struct (see _packed_rows).
_PACK_MIN_ROWS = 16


@functools.lru_cache(maxsize=16)
def _row_packer(dims: int) -> struct.Struct:
    return struct.Struct(f"={dims}d")


def _packed_rows(rows: list[Any], dims: int) -> npt.NDArray[np.float64] | None:
    """A batch of lists of numbers as a float64 array, or None to let numpy convert it.

    Embedding models hand back lists of Python floats; numpy converts those in two passes
    (shape discovery, then values), ``struct`` in one, about twice as fast (10 -> 5.5 us per
    384-d row). Each value goes through ``float()`` either way, so the array is the same.
    Anything ``struct`` refuses (a ragged row, a string, an int beyond float range) goes to
    numpy, which gives the usual error or result.
    """
    if len(rows) < _PACK_MIN_ROWS or not all(type(row) is list for row in rows):
        return None
    packer = _row_packer(dims)
    buffer = bytearray(packer.size * len(rows))  # writable, unlike bytes
    pack_into, step = packer.pack_into, packer.size
    try:
        for i, row in enumerate(rows):
            pack_into(buffer, i * step, *row)
    except Exception:  # struct.error, OverflowError, a warning raised as an error...
        return None
    return np.frombuffer(buffer, dtype=np.float64).reshape(len(rows), dims)


def validate_vectors(vectors: Any, spec: VectorFieldSpec) -> npt.NDArray[np.floating[Any]]:
    """Check a batch of vectors and return it as a 2-D array of the field's dtype.

    Raises:
        VectorError: not numeric, a row of the wrong dimension, or a NaN/infinite component
            (the message names the first bad row).
    """
    rows = vectors if isinstance(vectors, np.ndarray) else list(vectors)
    if len(rows) == 0:
        return np.empty((0, spec.dims), dtype=spec.datatype.numpy_dtype)
    array = None if isinstance(rows, np.ndarray) else _packed_rows(rows, spec.dims)
    if array is None:
        try:
            array = rows if isinstance(rows, np.ndarray) else np.asarray(rows, dtype=np.float64)
        except (TypeError, ValueError) as exc:  # ragged rows or non-numbers
            raise _diagnose(rows, spec) from exc
    if array.ndim != 2 or array.shape[1] != spec.dims or array.dtype.kind not in "fiu":
        raise _diagnose(rows, spec)
    with np.errstate(over="ignore"):  # overflow is reported below, as an error
        converted = array.astype(spec.datatype.numpy_dtype, copy=False)
    finite = np.isfinite(converted).all(axis=1)
    if not finite.all():
        bad = int(np.argmin(finite))
        if np.isfinite(np.asarray(array[bad], dtype=np.float64)).all():
            raise VectorError(f"vector {bad} overflows {spec.datatype.value}")
        raise VectorError(f"vector {bad} has NaN or infinite components")
    return converted


# array.array packs a list of Python floats about 1.5x faster than numpy converts it, in the
# machine's byte order; the stored vectors are little-endian, so it is used only there.
_TYPECODES = {VectorDataType.FLOAT32: "f", VectorDataType.FLOAT64: "d"}
_NATIVE_LITTLE = sys.byteorder == "little"
# VectorDataType.numpy_dtype builds its dtype on every call; the hot path looks it up.
_NUMPY_DTYPES = {kind: kind.numpy_dtype for kind in VectorDataType}


def validate_query_vector(vector: Any, spec: VectorFieldSpec) -> npt.NDArray[np.floating[Any]]:
    """Check one query vector and return it as a 1-D array of the field's dtype.

    The fast path, taken by nearly every query, accepts a finite array already of the field's
    dtype and shape, or a list or tuple of ``dims`` finite numbers; anything else goes through
    :func:`validate_vectors` for its precise error.

    Raises:
        VectorError: not numeric, the wrong dimension, or a NaN/infinite component.
    """
    dtype = _NUMPY_DTYPES[spec.datatype]
    row: npt.NDArray[np.floating[Any]] | None = None
    if isinstance(vector, np.ndarray):
        if vector.shape == (spec.dims,) and vector.dtype == dtype:
            row = vector
    elif isinstance(vector, (list, tuple)) and len(vector) == spec.dims and _NATIVE_LITTLE:
        try:
            packed = array.array(_TYPECODES[spec.datatype], vector)
        except (TypeError, ValueError, OverflowError):  # not all numbers: the slow path says so
            packed = None
        if packed is not None:
            row = np.frombuffer(packed, dtype=dtype)
    if row is not None and np.isfinite(row).all():
        return row
    batch = (
        vector.reshape(1, -1) if isinstance(vector, np.ndarray) and vector.ndim == 1 else [vector]
    )
    try:
        checked: npt.NDArray[np.floating[Any]] = validate_vectors(batch, spec)[0]
    except VectorError as exc:
        raise VectorError(str(exc).replace("vector 0", "the query vector", 1)) from exc
    return checked


def tag_token(value: str, spec: TagFieldSpec) -> str:
    """The indexed form of one tag value (see the module docstring)."""
    if not spec.case_sensitive:
        value = value.lower()
    # The server trims tag values, splits them at the separator and cuts them at NUL.
    if (
        value != value.strip()
        or spec.separator in value
        or "\x00" in value
        or value.startswith(TAG_MARK)
    ):
        return TAG_MARK + value.encode("utf-8", "surrogatepass").hex()
    return value


def tag_text(value: Any) -> str | None:
    """A scalar as tag text (booleans as ``true``/``false``); None when it is no scalar."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    return None


def geo_token(value: Any) -> str | None:
    """A point as the server's ``"lon,lat"``; accepts ``{"lat", "lon"}``, ``(lat, lon)``, text."""
    if isinstance(value, Mapping) and set(value) == {"lat", "lon"}:
        lat, lon = value["lat"], value["lon"]
    elif isinstance(value, (list, tuple)) and len(value) == 2:
        lat, lon = value
    elif isinstance(value, str):
        return value
    else:
        return None
    if not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (lat, lon)):
        return None
    return f"{float(lon)!r},{float(lat)!r}"


def _projection(spec: FieldSpec, value: Any) -> str | None:
    if isinstance(spec, TagFieldSpec):
        if isinstance(value, (list, tuple)):
            texts = [tag_text(v) for v in value]
            # An empty list is left unprojected (missing), or it would equal [""].
            if not texts or any(t is None for t in texts):
                return None
            return spec.separator.join(tag_token(t, spec) for t in texts if t is not None)
        text = tag_text(value)
        return None if text is None else tag_token(text, spec)
    if isinstance(spec, NumericFieldSpec):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return repr(value) if math.isfinite(value) else None
        return None
    if isinstance(spec, TextFieldSpec):
        return value if isinstance(value, str) else None
    if isinstance(spec, GeoFieldSpec):
        return geo_token(value)
    raise AssertionError(spec)  # pragma: no cover


def project(schema: IndexSchema, metadata: Mapping[str, Any]) -> dict[str, str]:
    """The indexed projection fields of ``metadata``.

    A value that does not fit its field's type (say a dict under a NUMERIC field) is left out of
    the projection: it still round-trips in the JSON but matches no filter on that field.
    """
    out: dict[str, str] = {}
    for spec in schema.fields:
        if spec.name in metadata and metadata[spec.name] is not None:
            projected = _projection(spec, metadata[spec.name])
            if projected is not None:
                out[spec.name] = projected
    return out


# What json.dumps(metadata, ensure_ascii=False, allow_nan=False, separators=(",", ":")) uses,
# built once: dumps builds a new encoder per call when given options (about 1 us a document).
_JSON_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


_INT64_MIN, _UINT64_END = -(1 << 63), 1 << 64
_STR_ONLY = frozenset((str,))
_MAX_JSON_DEPTH = 32


def _orjson_writes_it(value: Any, depth: int = 0) -> bool:
    """Whether orjson writes ``value`` as the json encoder above does, value for value.

    Only exact JSON types qualify, so the text is the same to the byte: orjson also writes
    datetimes, UUIDs, enums and dataclasses, which json refuses (a ``ConfigError`` here).
    Floats are left to json (orjson spells some differently, ``1e-8`` for ``1e-08``, and writes
    NaN as ``null`` where json refuses), as are integers beyond 64 bits, non-``str`` keys and
    deep nesting.
    """
    kind = type(value)
    if kind is dict:
        if not _STR_ONLY.issuperset(map(type, value)):
            return False
        items: Iterable[Any] = value.values()
    elif kind is list:
        items = value
    else:
        return _orjson_leaf(value)
    if depth >= _MAX_JSON_DEPTH:
        return False
    for item in items:  # a loop, not all(...): flat metadata is the common case
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is dict or kind is list:
            if not _orjson_writes_it(item, depth + 1):
                return False
        elif not _orjson_leaf(item):
            return False
    return True


def _orjson_leaf(value: Any) -> bool:
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return bool(_INT64_MIN <= value < _UINT64_END)
    return False


def encode_metadata(metadata: Mapping[str, Any]) -> str:
    """Metadata as JSON text (orjson writes it when it gives the same text, 2.5x faster).

    Raises:
        ConfigError: a value JSON cannot hold exactly (NaN, infinity, an arbitrary object).
    """
    if orjson is not None and _orjson_writes_it(metadata):
        try:
            return orjson.dumps(metadata).decode()  # valid UTF-8: no check needed
        except orjson.JSONEncodeError:  # a lone surrogate: json and the check below say so
            pass
    try:
        text = _JSON_ENCODER.encode(metadata)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"metadata must be JSON-serialisable: {exc}") from exc
    _check_utf8(text, "metadata")
    return text


def _check_utf8(text: str, what: str) -> None:
    # redis-py encodes text only when a pipeline batch is packed: a lone surrogate found
    # there would fail after the earlier batches were written. Checked up front instead.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ConfigError(f"{what} holds a character UTF-8 cannot encode: {exc}") from exc


# orjson turns integers beyond 64 bits into floats (json keeps them exact): any text with a
# run of 19 digits, which every such integer has, is read by json instead.
_LONG_DIGITS = re.compile(rb"[0-9]{19}")


def decode_metadata(raw: str | bytes | None) -> dict[str, Any]:
    """The metadata dict back from its stored JSON (empty when the field is absent).

    The result is what ``json.loads`` gives; orjson, when installed, reads the common case
    about five times faster, and whatever it refuses or could read differently (huge
    integers, lone surrogates, numbers beyond float range) goes to ``json``.

    Raises:
        CorruptDataError: the field is not UTF-8 JSON (written by another program).
    """
    if raw is None:
        return {}
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    loaded: Any = None
    if orjson is not None and _LONG_DIGITS.search(data) is None:
        try:
            loaded = orjson.loads(data)
        except orjson.JSONDecodeError:
            loaded = None
    if loaded is None:
        try:
            loaded = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
        except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError alike
            raise CorruptDataError(f"stored metadata is not UTF-8 JSON: {exc}") from exc
    return loaded if isinstance(loaded, dict) else {}


def check_text(text: Any, index: int) -> str:
    """Return ``text`` if it is a non-empty string.

    Raises:
        ConfigError: it is not a string, or it is empty or only whitespace.
    """
    if not isinstance(text, str):
        raise ConfigError(f"text {index} must be a str, got {type(text).__name__}")
    if not text.strip():
        raise ConfigError(f"text {index} is empty; an empty document cannot be searched")
    _check_utf8(text, f"text {index}")
    return text


def encode_record(
    schema: IndexSchema,
    text: str,
    vector: npt.NDArray[np.floating[Any]],
    metadata_json: str,
    metadata: Mapping[str, Any],
) -> dict[str, str | bytes]:
    """The HASH mapping of one already-validated record."""
    mapping: dict[str, str | bytes] = {
        TEXT_FIELD: text,
        schema.vector.name: vector.tobytes(),
        METADATA_FIELD: metadata_json,
    }
    mapping.update(project(schema, metadata))
    return mapping


def decode_vector(raw: bytes | None, spec: VectorFieldSpec) -> npt.NDArray[np.floating[Any]] | None:
    """The vector back from its stored bytes.

    Raises:
        CorruptDataError: the bytes are not a whole number of components (not our writing).
    """
    if raw is None:
        return None
    if len(raw) % spec.datatype.numpy_dtype.itemsize:
        raise CorruptDataError(
            f"a stored vector has {len(raw)} bytes, not a whole number of "
            f"{spec.datatype.value} components"
        )
    vector: npt.NDArray[np.floating[Any]] = np.frombuffer(
        raw, dtype=spec.datatype.numpy_dtype
    ).copy()
    return vector


def as_text(raw: Any) -> str:
    return raw.decode("utf-8", "surrogateescape") if isinstance(raw, bytes) else str(raw)


def check_ids(ids: Sequence[Any] | None, count: int) -> list[str]:
    """Validate caller IDs, generating uuid4 hex IDs where none (or None) is given.

    Raises:
        ConfigError: a count mismatch, a non-string or empty ID, or a duplicate in one batch.
    """
    if ids is None:
        return [uuid.uuid4().hex for _ in range(count)]
    given = list(ids)
    if len(given) != count:
        raise ConfigError(f"got {len(given)} ids for {count} texts")
    out: list[str] = []
    for i, value in enumerate(given):
        if value is None:
            out.append(uuid.uuid4().hex)
        elif not isinstance(value, str) or not value:
            raise ConfigError(f"id {i} must be a non-empty str or None, got {value!r}")
        else:
            _check_utf8(value, f"id {i}")
            out.append(value)
    if len(set(out)) != len(out):
        raise ConfigError("ids must be unique within one batch")
    return out
