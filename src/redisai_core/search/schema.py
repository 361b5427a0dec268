"""Index schemas: frozen field specs, the ``FT.CREATE`` argv, signatures, field inference.

Everything here is pure. A schema renders to one ``FT.CREATE`` argv tuple and to an
:data:`IndexSignature`, which :mod:`redisai_core.search.info` also derives from an ``FT.INFO``
reply, so an existing index with another schema is detected by comparing the two.

Documents are stored as HASHes: the text, the vector bytes, the whole metadata as one JSON
string (so any JSON shape round-trips), and one *projection* field per indexed metadata key.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..keys import KeySpace

__all__ = [
    "Algorithm",
    "DistanceMetric",
    "FieldSpec",
    "GeoFieldSpec",
    "IndexSchema",
    "IndexSignature",
    "NumericFieldSpec",
    "TagFieldSpec",
    "TextFieldSpec",
    "VectorDataType",
    "VectorFieldSpec",
    "infer_fields",
]

# Hash fields the store itself uses; metadata projections may not take these names.
TEXT_FIELD = "text"
VECTOR_FIELD = "vector"
METADATA_FIELD = "_metadata_json"
RESERVED_FIELDS = frozenset({TEXT_FIELD, VECTOR_FIELD, METADATA_FIELD, "id", "distance"})

# Attribute names appear unescaped after ``@`` in queries, so only plain identifiers are
# allowed for indexed fields. Unindexed metadata keys may be any string (they live in JSON).
_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

# ASCII unit separator: a multi-value tag separator no ordinary value contains (a comma, the
# server default, splits "Smith, John" into two tags).
DEFAULT_TAG_SEPARATOR = "\x1f"


class Algorithm(str, enum.Enum):
    """Vector index algorithm: exact brute force or approximate graph."""

    FLAT = "FLAT"
    HNSW = "HNSW"


class DistanceMetric(str, enum.Enum):
    """Distance the server reports for a vector field."""

    COSINE = "COSINE"
    L2 = "L2"
    IP = "IP"


class VectorDataType(str, enum.Enum):
    """Component type of stored vectors (always little-endian on the wire)."""

    FLOAT32 = "FLOAT32"
    FLOAT64 = "FLOAT64"

    @property
    def numpy_dtype(self) -> np.dtype[Any]:
        return np.dtype("<f4") if self is VectorDataType.FLOAT32 else np.dtype("<f8")


def _check_name(name: str, what: str) -> None:
    if not _FIELD_NAME.match(name):
        raise ConfigError(
            f"{what} name {name!r} must be an identifier (letters, digits, underscore)"
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class VectorFieldSpec:
    """The vector field: dimension, algorithm with its parameters, metric and data type.

    HNSW parameters: ``m`` (graph links per node), ``ef_construction`` (candidates kept while
    inserting) and ``ef_runtime`` (candidates kept while searching; ``knn(..., ef_runtime=)``
    overrides it per query; the server searches with at least ``k``). The defaults are the
    server's, except ``ef_runtime`` 40 instead of 10: measured with real all-MiniLM-L6-v2
    embeddings of 5,000 and 20,000 sentences (``benchmarks/bench_vector.py``), recall@10
    against exact search is 0.97 at 10, 0.986-0.997 at 20 and 0.994-0.999 at 40, and top-4
    searches at 40 cost about 0.04 ms more than at 20 (about 10% of a local round trip).
    Uniformly random vectors are HNSW's worst case (all distances nearly equal): recall@10 is
    0.18 at 10, 0.42 at 40 and 0.985 only at 400. For higher recall on large collections,
    raise ``ef_runtime`` first (it costs only search time), then ``m`` and ``ef_construction``
    (they cost memory and ingest time).

    Raises:
        ConfigError: a non-positive dimension or parameter.
    """

    dims: int
    algorithm: Algorithm = Algorithm.FLAT
    distance: DistanceMetric = DistanceMetric.COSINE
    datatype: VectorDataType = VectorDataType.FLOAT32
    name: str = VECTOR_FIELD
    m: int = 16
    ef_construction: int = 200
    ef_runtime: int = 40
    epsilon: float = 0.01
    block_size: int | None = None
    initial_cap: int | None = None

    def __post_init__(self) -> None:
        _check_name(self.name, "vector field")
        for label, value in (
            ("dims", self.dims),
            ("m", self.m),
            ("ef_construction", self.ef_construction),
            ("ef_runtime", self.ef_runtime),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ConfigError(f"vector field {label} must be a positive int, got {value!r}")
        if not self.epsilon > 0:
            raise ConfigError(f"vector field epsilon must be positive, got {self.epsilon!r}")
        for label, opt in (("block_size", self.block_size), ("initial_cap", self.initial_cap)):
            if opt is not None and opt <= 0:
                raise ConfigError(f"vector field {label} must be positive, got {opt!r}")

    def args(self) -> tuple[str, ...]:
        """The ``SCHEMA`` clause of this field."""
        params: list[str] = [
            "TYPE",
            self.datatype.value,
            "DIM",
            str(self.dims),
            "DISTANCE_METRIC",
            self.distance.value,
        ]
        if self.algorithm is Algorithm.HNSW:
            params += ["M", str(self.m), "EF_CONSTRUCTION", str(self.ef_construction)]
            params += ["EF_RUNTIME", str(self.ef_runtime), "EPSILON", repr(self.epsilon)]
        elif self.block_size is not None:
            params += ["BLOCK_SIZE", str(self.block_size)]
        if self.initial_cap is not None:
            params += ["INITIAL_CAP", str(self.initial_cap)]
        return (self.name, "VECTOR", self.algorithm.value, str(len(params)), *params)

    def signature(self) -> tuple[str, tuple[tuple[str, str], ...]]:
        items = {
            "type": "VECTOR",
            "algorithm": self.algorithm.value,
            "data_type": self.datatype.value,
            "dim": str(self.dims),
            "distance_metric": self.distance.value,
        }
        if self.algorithm is Algorithm.HNSW:
            items |= {"m": str(self.m), "ef_construction": str(self.ef_construction)}
        return self.name, tuple(sorted(items.items()))


@dataclasses.dataclass(frozen=True, kw_only=True)
class TagFieldSpec:
    """An exact-match field (strings, booleans, lists of strings as multi-value tags).

    ``case_sensitive`` defaults to True so equality matches only the very same value; the
    server lower-cases values of case-insensitive tags.
    """

    name: str
    separator: str = DEFAULT_TAG_SEPARATOR
    case_sensitive: bool = True

    def __post_init__(self) -> None:
        _check_name(self.name, "metadata field")
        if self.name in RESERVED_FIELDS:
            raise ConfigError(f"metadata field name {self.name!r} is reserved")
        if len(self.separator) != 1 or not self.separator.isascii():
            raise ConfigError(f"tag separator must be one ASCII character, got {self.separator!r}")

    def args(self) -> tuple[str, ...]:
        flags = ("CASESENSITIVE",) if self.case_sensitive else ()
        return (self.name, "TAG", "SEPARATOR", self.separator, *flags, "INDEXEMPTY", "INDEXMISSING")

    def signature(self) -> tuple[str, tuple[tuple[str, str], ...]]:
        items = {
            "type": "TAG",
            "separator": self.separator,
            "casesensitive": str(self.case_sensitive),
        }
        return self.name, tuple(sorted(items.items()))


@dataclasses.dataclass(frozen=True, kw_only=True)
class NumericFieldSpec:
    """A numeric field (int and float metadata; never bool)."""

    name: str

    def __post_init__(self) -> None:
        _check_name(self.name, "metadata field")
        if self.name in RESERVED_FIELDS:
            raise ConfigError(f"metadata field name {self.name!r} is reserved")

    def args(self) -> tuple[str, ...]:
        return (self.name, "NUMERIC", "INDEXMISSING")

    def signature(self) -> tuple[str, tuple[tuple[str, str], ...]]:
        return self.name, (("type", "NUMERIC"),)


@dataclasses.dataclass(frozen=True, kw_only=True)
class TextFieldSpec:
    """A full-text field: tokenized, case-insensitive word and phrase matching."""

    name: str
    weight: float = 1.0
    no_stem: bool = False

    def __post_init__(self) -> None:
        _check_name(self.name, "text field")
        if self.name in RESERVED_FIELDS - {TEXT_FIELD}:
            raise ConfigError(f"metadata field name {self.name!r} is reserved")
        if not self.weight > 0:
            raise ConfigError(f"text field weight must be positive, got {self.weight!r}")

    def args(self) -> tuple[str, ...]:
        flags = ("NOSTEM",) if self.no_stem else ()
        return (
            self.name,
            "TEXT",
            "WEIGHT",
            repr(float(self.weight)),
            *flags,
            "INDEXEMPTY",
            "INDEXMISSING",
        )

    def signature(self) -> tuple[str, tuple[tuple[str, str], ...]]:
        items = {"type": "TEXT", "weight": repr(float(self.weight)), "nostem": str(self.no_stem)}
        return self.name, tuple(sorted(items.items()))


@dataclasses.dataclass(frozen=True, kw_only=True)
class GeoFieldSpec:
    """A geographic point, stored as ``"lon,lat"`` (the server's order)."""

    name: str

    def __post_init__(self) -> None:
        _check_name(self.name, "metadata field")
        if self.name in RESERVED_FIELDS:
            raise ConfigError(f"metadata field name {self.name!r} is reserved")

    def args(self) -> tuple[str, ...]:
        return (self.name, "GEO", "INDEXMISSING")

    def signature(self) -> tuple[str, tuple[tuple[str, str], ...]]:
        return self.name, (("type", "GEO"),)


FieldSpec = TagFieldSpec | NumericFieldSpec | TextFieldSpec | GeoFieldSpec

IndexSignature = tuple[tuple[str, ...], frozenset[tuple[str, tuple[tuple[str, str], ...]]]]
"""Prefixes plus the set of field signatures; compare with ``==``."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class IndexSchema:
    """A search index over HASH documents under one key space.

    Args:
        name: the index name.
        keyspace: where the documents live; the index covers exactly ``keyspace.head``.
        vector: the vector field.
        fields: indexed metadata fields (projections of metadata keys of the same name).

    Raises:
        ConfigError: an empty name, or two fields with one name.
    """

    name: str
    keyspace: KeySpace
    vector: VectorFieldSpec
    fields: tuple[FieldSpec, ...] = ()

    def __post_init__(self) -> None:
        if not self.name:
            raise ConfigError("an index needs a non-empty name")
        names = [TEXT_FIELD, self.vector.name, *(f.name for f in self.fields)]
        duplicates = {n for n in names if names.count(n) > 1}
        if duplicates:
            raise ConfigError(f"field names used twice in the schema: {sorted(duplicates)}")

    def field(self, name: str) -> FieldSpec | None:
        """The metadata field spec called ``name`` (the content field is a TEXT field)."""
        if name == TEXT_FIELD:
            return TextFieldSpec(name=TEXT_FIELD)
        for spec in self.fields:
            if spec.name == name:
                return spec
        return None

    def with_fields(self, fields: Sequence[FieldSpec]) -> IndexSchema:
        """A copy with ``fields`` as its metadata fields."""
        return dataclasses.replace(self, fields=tuple(fields))

    def create_args(self) -> tuple[str, ...]:
        """The ``FT.CREATE`` argv (stop words off, so no word is silently unsearchable)."""
        schema: list[str] = [*TextFieldSpec(name=TEXT_FIELD).args(), *self.vector.args()]
        for spec in self.fields:
            schema += spec.args()
        return (
            "FT.CREATE",
            self.name,
            "ON",
            "HASH",
            "PREFIX",
            "1",
            self.keyspace.head,
            "STOPWORDS",
            "0",
            "SCHEMA",
            *schema,
        )

    def signature(self) -> IndexSignature:
        sigs = [TextFieldSpec(name=TEXT_FIELD).signature(), self.vector.signature()]
        sigs += [spec.signature() for spec in self.fields]
        return (self.keyspace.head,), frozenset(sigs)


def _is_point(value: Any) -> bool:
    """A ``{"lat": ..., "lon": ...}`` dict of two real numbers: the one unambiguous point shape."""
    return (
        isinstance(value, Mapping)
        and set(value) == {"lat", "lon"}
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value.values())
    )


def infer_fields(metadatas: Sequence[Mapping[str, Any]]) -> tuple[FieldSpec, ...]:
    """Guess indexed fields from a first batch of metadata.

    Rules, per key whose name is an identifier and not reserved: ``bool`` and ``str`` give
    TAG (booleans stored as ``"true"``/``"false"``); ``int``/``float`` (not bool) give NUMERIC;
    a list of strings gives a multi-value TAG; a ``{"lat": .., "lon": ..}`` dict gives GEO. A
    pair of numbers is not guessed to be a point (it is as likely a range); declare a
    :class:`GeoFieldSpec` for those. Keys whose values disagree in kind across the batch, and
    other dicts and lists, stay unindexed (they still round-trip through the stored JSON).

    Args:
        metadatas: the metadata dicts of the first batch.

    Returns:
        Field specs in first-seen key order.
    """
    kinds: dict[str, str | None] = {}
    for metadata in metadatas:
        for key, value in metadata.items():
            if not isinstance(key, str) or not _FIELD_NAME.match(key) or key in RESERVED_FIELDS:
                continue
            if value is None:
                kinds.setdefault(key, "")
                continue
            if isinstance(value, (bool, str)):
                kind: str | None = "tag"
            elif isinstance(value, (int, float)):
                kind = "numeric"
            elif isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
                kind = "tag"
            elif _is_point(value):
                kind = "geo"
            else:
                kind = None
            previous = kinds.get(key, "")
            kinds[key] = kind if previous in ("", kind) else None
    specs: list[FieldSpec] = []
    for key, kind in kinds.items():
        if kind == "tag":
            specs.append(TagFieldSpec(name=key))
        elif kind == "numeric":
            specs.append(NumericFieldSpec(name=key))
        elif kind == "geo":
            specs.append(GeoFieldSpec(name=key))
    return tuple(specs)
