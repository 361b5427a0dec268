"""Reading ``FT.INFO`` back: comparable index signatures and schemas of existing indexes.

Replies come as RESP2 flat arrays (flags as bare words) or RESP3 maps (flags in a ``flags``
list); both parse to the same :data:`~redisai_core.search.schema.IndexSignature`, which
compares equal to :meth:`IndexSchema.signature` exactly when the index was built from the same
schema, as far as ``FT.INFO`` reports it (it omits ``EF_RUNTIME``, ``EPSILON``,
``BLOCK_SIZE`` and ``INITIAL_CAP``, query-time or sizing hints that can differ unnoticed).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ConfigError, SchemaError
from ..keys import KeySpace
from .schema import (
    TEXT_FIELD,
    Algorithm,
    DistanceMetric,
    FieldSpec,
    GeoFieldSpec,
    IndexSchema,
    IndexSignature,
    NumericFieldSpec,
    TagFieldSpec,
    TextFieldSpec,
    VectorDataType,
    VectorFieldSpec,
)

__all__ = ["describe_difference", "info_is_indexing", "parse_index_info", "schema_from_info"]


def _text(value: Any) -> str:
    return value.decode("utf-8", "surrogateescape") if isinstance(value, bytes) else str(value)


def _as_map(entry: Any) -> dict[str, Any]:
    if isinstance(entry, Mapping):
        return {_text(k): v for k, v in entry.items()}
    items = list(entry)
    return {_text(items[i]): items[i + 1] for i in range(0, len(items) - 1, 2)}


_FLAGS = frozenset({"CASESENSITIVE", "NOSTEM", "INDEXEMPTY", "INDEXMISSING", "SORTABLE", "UNF"})
_FLAGS |= frozenset({"NOINDEX", "WITHSUFFIXTRIE", "PHONETIC"})


def _attribute(entry: Any) -> tuple[str, tuple[tuple[str, str], ...]]:
    """One ``attributes`` entry: RESP3 map with ``flags``, or RESP2 pairs with bare flags."""
    flags: set[str] = set()
    values: dict[str, str] = {}
    if isinstance(entry, Mapping):
        for key, value in entry.items():
            name = _text(key)
            if name == "flags":
                flags |= {_text(f).upper() for f in value}
            else:
                values[name.lower()] = _text(value)
    else:
        items = [_text(x) if not isinstance(x, (int, float)) else str(x) for x in entry]
        i = 0
        while i < len(items):
            if items[i].upper() in _FLAGS:
                flags.add(items[i].upper())
                i += 1
            else:
                values[items[i].lower()] = items[i + 1] if i + 1 < len(items) else ""
                i += 2
    kind = values.get("type", "").upper()
    name = values.get("attribute", values.get("identifier", ""))
    items_out: dict[str, str] = {"type": kind}
    if kind == "VECTOR":
        for key in ("algorithm", "data_type", "dim", "distance_metric"):
            items_out[key] = values.get(key, "").upper()
        if items_out["algorithm"] == "HNSW":
            items_out["m"] = values.get("m", "")
            items_out["ef_construction"] = values.get("ef_construction", "")
    elif kind == "TAG":
        items_out["separator"] = values.get("separator", ",")
        items_out["casesensitive"] = str("CASESENSITIVE" in flags)
    elif kind == "TEXT":
        items_out["weight"] = repr(float(values.get("weight", "1")))
        items_out["nostem"] = str("NOSTEM" in flags)
    return name, tuple(sorted(items_out.items()))


def parse_index_info(reply: Any) -> IndexSignature:
    """Parse an ``FT.INFO`` reply (RESP2 or RESP3) into a comparable signature."""
    info = _as_map(reply)
    definition = _as_map(info.get("index_definition") or [])
    prefixes = tuple(_text(p) for p in definition.get("prefixes") or [])
    attributes = frozenset(_attribute(entry) for entry in info.get("attributes") or [])
    return prefixes, attributes


def describe_difference(expected: IndexSignature, actual: IndexSignature) -> str:
    """A short human-readable account of how two signatures differ."""
    parts: list[str] = []
    if expected[0] != actual[0]:
        parts.append(f"prefixes {list(actual[0])} (wanted {list(expected[0])})")
    missing = sorted(expected[1] - actual[1])
    extra = sorted(actual[1] - expected[1])
    if missing:
        parts.append("wanted fields not present as such: " + "; ".join(_fmt(s) for s in missing))
    if extra:
        parts.append("index has: " + "; ".join(_fmt(s) for s in extra))
    return ", ".join(parts) or "no difference"


def _fmt(sig: tuple[str, tuple[tuple[str, str], ...]]) -> str:
    return sig[0] + "(" + ", ".join(f"{k}={v!r}" for k, v in sig[1]) + ")"


def _spec_from_signature(name: str, items: Mapping[str, str]) -> VectorFieldSpec | FieldSpec | None:
    kind = items.get("type")
    if kind == "VECTOR":
        return VectorFieldSpec(
            name=name,
            dims=int(items["dim"]),
            algorithm=Algorithm(items["algorithm"]),
            distance=DistanceMetric(items["distance_metric"]),
            datatype=VectorDataType(items["data_type"]),
            **(
                {"m": int(items["m"]), "ef_construction": int(items["ef_construction"])}
                if items["algorithm"] == "HNSW"
                else {}
            ),
        )
    if kind == "TAG":
        return TagFieldSpec(
            name=name,
            separator=items["separator"],
            case_sensitive=items["casesensitive"] == "True",
        )
    if kind == "NUMERIC":
        return NumericFieldSpec(name=name)
    if kind == "TEXT":
        return TextFieldSpec(
            name=name, weight=float(items["weight"]), no_stem=items["nostem"] == "True"
        )
    if kind == "GEO":
        return GeoFieldSpec(name=name)
    return None


def schema_from_info(reply: Any, name: str, keyspace: KeySpace) -> IndexSchema:
    """Rebuild the schema of an existing index from its ``FT.INFO`` reply (RESP2 or RESP3).

    Args:
        reply: the ``FT.INFO`` reply.
        name: the index name.
        keyspace: the key space the caller expects (compare signatures to check prefixes).

    Raises:
        SchemaError: the index has no vector field, or one this package cannot manage.
    """
    _, attributes = parse_index_info(reply)
    vector: VectorFieldSpec | None = None
    fields: list[FieldSpec] = []
    for attr_name, items in sorted(attributes):
        if attr_name == TEXT_FIELD:
            continue
        try:
            spec = _spec_from_signature(attr_name, dict(items))
        except (ConfigError, KeyError, ValueError) as exc:
            raise SchemaError(f"index {name!r} has a field this package cannot use: {exc}") from exc
        if isinstance(spec, VectorFieldSpec):
            if vector is not None:
                raise SchemaError(f"index {name!r} has more than one vector field")
            vector = spec
        elif spec is not None:
            fields.append(spec)
    if vector is None:
        raise SchemaError(f"index {name!r} has no vector field")
    return IndexSchema(name=name, keyspace=keyspace, vector=vector, fields=tuple(fields))


def info_is_indexing(reply: Any) -> bool:
    """Whether an ``FT.INFO`` reply says the index is still scanning existing documents."""
    info = _as_map(reply)
    value = info.get("indexing", 0)
    try:
        return float(_text(value)) != 0
    except ValueError:
        return False
