"""The stored-document codec: records to HASH fields and back, with vector validation.

A record is stored as one HASH under ``keyspace.key(id)``:

- ``text``: the content (indexed as TEXT for hybrid search);
- ``vector``: little-endian FLOAT32/FLOAT64 bytes;
- ``_metadata_json``: the whole metadata as JSON, so lists, dicts, nesting and None round-trip;
- one projection field per indexed metadata key (see :func:`project`).

Tag values are projected so that equality can match only the very same value. The server
trims leading and trailing whitespace from tag values and splits them at the separator, so a
value with either (or one starting with :data:`TAG_MARK`) is projected as the mark plus the
hex of its UTF-8 bytes instead; the mapping stays one-to-one and leaves ordinary values
readable. Filters project their values the same way (:func:`tag_token`).
"""

from __future__ import annotations

import dataclasses
import json
import math
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import ConfigError, VectorError
from .schema import (
    METADATA_FIELD,
    TEXT_FIELD,
    FieldSpec,
    GeoFieldSpec,
    IndexSchema,
    NumericFieldSpec,
    TagFieldSpec,
    TextFieldSpec,
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


def validate_vectors(vectors: Any, spec: VectorFieldSpec) -> npt.NDArray[np.floating[Any]]:
    """Check a batch of vectors and return it as a 2-D array of the field's dtype.

    Raises:
        VectorError: not numeric, a row of the wrong dimension, or a NaN/infinite component
            (the message names the first bad row).
    """
    rows = vectors if isinstance(vectors, np.ndarray) else list(vectors)
    if len(rows) == 0:
        return np.empty((0, spec.dims), dtype=spec.datatype.numpy_dtype)
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


def tag_token(value: str, spec: TagFieldSpec) -> str:
    """The indexed form of one tag value (see the module docstring)."""
    if not spec.case_sensitive:
        value = value.lower()
    if value != value.strip() or spec.separator in value or value.startswith(TAG_MARK):
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


def encode_metadata(metadata: Mapping[str, Any]) -> str:
    """Metadata as JSON text.

    Raises:
        ConfigError: a value JSON cannot hold exactly (NaN, infinity, an arbitrary object).
    """
    try:
        return json.dumps(metadata, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"metadata must be JSON-serialisable: {exc}") from exc


def decode_metadata(raw: str | bytes | None) -> dict[str, Any]:
    """The metadata dict back from its stored JSON (empty when the field is absent)."""
    if raw is None:
        return {}
    loaded = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
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
    """The vector back from its stored bytes."""
    if raw is None:
        return None
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
            out.append(value)
    if len(set(out)) != len(out):
        raise ConfigError("ids must be unique within one batch")
    return out
