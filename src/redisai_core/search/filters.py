"""The one filter language: an expression tree and a parser for LangChain-style dicts.

Build filters with :func:`field` (``field("year") >= 2020``, ``field("topic").in_(["a"])``)
combined by ``&``, ``|`` and ``~``, or parse a dict with :func:`from_dict`.
:func:`redisai_core.search.rendering.render` turns a tree into a query string plus ``PARAMS``;
every user value travels as a parameter (``$f0``, ``$f1``...) or, where the syntax takes no
parameter (text words, tag wildcards), through a complete escaper, so a value matches only
itself whatever it holds.

Per field type (fields are checked against the schema; an unknown one raises
:class:`~redisai_core.errors.FilterError`):

- TAG: ``==``/``!=``/``in``/``not in``/``any``/``all`` compare whole values exactly (multi-value
  tags match when any element is equal); ``contains`` is element membership; ``text_match``
  is a substring match (``w'*...*'``), case sensitivity being the field's own;
- NUMERIC: comparisons, ``between``, ``in``; TEXT: ``==``/``contains`` match the words as a
  phrase, ``text_match`` matches all the words in any order (TEXT is case-insensitive);
- GEO: :meth:`FieldRef.within`;
- any field: ``is_empty`` (absent, None, ``""`` or ``[]``; needs RediSearch 2.10's
  ``INDEXMISSING``/``INDEXEMPTY``, which the schema always declares).

Negations (``!=``, ``not in``, ``~``) also match documents that lack the field.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import FilterError

__all__ = [
    "All",
    "And",
    "Between",
    "Compare",
    "Expr",
    "FieldRef",
    "GeoWithin",
    "IsEmpty",
    "Never",
    "Not",
    "Or",
    "field",
    "from_dict",
]

_OPS = ("==", "!=", "<", "<=", ">", ">=", "in", "not_in", "any", "all", "contains", "text_match")


@dataclasses.dataclass(frozen=True)
class _Node:
    def __and__(self, other: Expr) -> Expr:
        return And((self, other))  # type: ignore[arg-type]

    def __or__(self, other: Expr) -> Expr:
        return Or((self, other))  # type: ignore[arg-type]

    def __invert__(self) -> Expr:
        return Not(self)  # type: ignore[arg-type]


@dataclasses.dataclass(frozen=True)
class All(_Node):
    """Matches every document."""


@dataclasses.dataclass(frozen=True)
class Never(_Node):
    """Matches no document (e.g. ``in []``); searches with it return nothing without a query."""


@dataclasses.dataclass(frozen=True)
class Compare(_Node):
    """``field <op> value``; ``op`` is one of ``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=``,
    ``in``, ``not_in``, ``any``, ``all``, ``contains``, ``text_match``.

    For ``text_match``, ``case_sensitive`` must agree with the field (TEXT is never case
    sensitive; a TAG is as declared), otherwise rendering raises ``FilterError``.
    """

    field: str
    op: str
    value: Any
    case_sensitive: bool | None = None

    def __post_init__(self) -> None:
        if self.op not in _OPS:
            raise FilterError(f"unknown filter operator {self.op!r}")


@dataclasses.dataclass(frozen=True)
class Between(_Node):
    """``low <= field <= high`` (each bound optionally exclusive)."""

    field: str
    low: float
    high: float
    inclusive_low: bool = True
    inclusive_high: bool = True


@dataclasses.dataclass(frozen=True)
class GeoWithin(_Node):
    """Points within ``radius`` ``unit`` (m, km, mi, ft) of (``lat``, ``lon``)."""

    field: str
    lat: float
    lon: float
    radius: float
    unit: str = "km"


@dataclasses.dataclass(frozen=True)
class IsEmpty(_Node):
    """The field is absent, None, an empty string or an empty list."""

    field: str


@dataclasses.dataclass(frozen=True)
class And(_Node):
    children: tuple[Expr, ...]


@dataclasses.dataclass(frozen=True)
class Or(_Node):
    children: tuple[Expr, ...]


@dataclasses.dataclass(frozen=True)
class Not(_Node):
    child: Expr


Expr = All | Never | Compare | Between | GeoWithin | IsEmpty | And | Or | Not


class FieldRef:
    """Builds conditions on one field: ``field("year") >= 2020``."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __eq__(self, value: object) -> Compare:  # type: ignore[override]
        return Compare(self.name, "==", value)

    def __ne__(self, value: object) -> Compare:  # type: ignore[override]
        return Compare(self.name, "!=", value)

    def __lt__(self, value: float) -> Compare:
        return Compare(self.name, "<", value)

    def __le__(self, value: float) -> Compare:
        return Compare(self.name, "<=", value)

    def __gt__(self, value: float) -> Compare:
        return Compare(self.name, ">", value)

    def __ge__(self, value: float) -> Compare:
        return Compare(self.name, ">=", value)

    __hash__ = None  # type: ignore[assignment]

    def between(self, low: float, high: float, *, inclusive: bool = True) -> Between:
        return Between(self.name, low, high, inclusive, inclusive)

    def in_(self, values: Iterable[Any]) -> Compare:
        return Compare(self.name, "in", _values(self.name, values))

    def not_in(self, values: Iterable[Any]) -> Compare:
        return Compare(self.name, "not_in", _values(self.name, values))

    def any_of(self, values: Iterable[Any]) -> Compare:
        return Compare(self.name, "any", _values(self.name, values))

    def all_of(self, values: Iterable[Any]) -> Compare:
        return Compare(self.name, "all", _values(self.name, values))

    def contains(self, value: Any) -> Compare:
        return Compare(self.name, "contains", value)

    def text_match(self, text: str, *, case_sensitive: bool | None = None) -> Compare:
        return Compare(self.name, "text_match", text, case_sensitive)

    def within(self, lat: float, lon: float, radius: float, unit: str = "km") -> GeoWithin:
        return GeoWithin(self.name, lat, lon, radius, unit)

    def is_empty(self) -> IsEmpty:
        return IsEmpty(self.name)


def _values(name: str, values: Iterable[Any]) -> tuple[Any, ...]:
    if isinstance(values, (str, bytes)):
        raise FilterError(f"a list of values is needed for {name!r}, got the string {values!r}")
    return tuple(values)


def field(name: str) -> FieldRef:
    """Start a condition on metadata field ``name`` (or ``"text"``, the content)."""
    return FieldRef(name)


# ---------------------------------------------------------------------------------------------
# LangChain-style dicts

_DICT_OPS = {
    "$eq": "==",
    "$ne": "!=",
    "$lt": "<",
    "$lte": "<=",
    "$gt": ">",
    "$gte": ">=",
    "$in": "in",
    "$nin": "not_in",
    "$any": "any",
    "$all": "all",
    "$contain": "contains",
    "$contains": "contains",
    "$like": "text_match",
    "$text_match": "text_match",
}


def _children(value: Any, op: str) -> tuple[Expr, ...]:
    if isinstance(value, Mapping):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise FilterError(f"{op} needs a list of filters, got {value!r}")
    out: list[Expr] = []
    for v in value:
        parsed = from_dict(v)
        out.append(All() if parsed is None else parsed)
    return tuple(out)


def _field_condition(name: str, condition: Any) -> Expr:
    if not isinstance(condition, Mapping) or not any(
        isinstance(k, str) and k.startswith("$") for k in condition
    ):
        return Compare(name, "==", condition)
    parts: list[Expr] = []
    for op, value in condition.items():
        if op == "$between":
            if not isinstance(value, (list, tuple)) or len(value) != 2:
                raise FilterError(f"$between on {name!r} needs [low, high], got {value!r}")
            parts.append(Between(name, value[0], value[1]))
        elif op == "$exists":
            empty = IsEmpty(name)
            parts.append(Not(empty) if value else empty)
        elif op == "$empty":
            empty = IsEmpty(name)
            parts.append(empty if value else Not(empty))
        elif op in ("$ilike", "$text_match_insensitive"):
            parts.append(Compare(name, "text_match", value, False))
        elif op in _DICT_OPS:
            parts.append(Compare(name, _DICT_OPS[op], value))
        else:
            raise FilterError(f"unknown filter operator {op!r} on field {name!r}")
    return parts[0] if len(parts) == 1 else And(tuple(parts))


def from_dict(spec: Mapping[str, Any] | None) -> Expr | None:
    """Parse a LangChain-style filter dict into a tree.

    ``{"topic": "a", "year": {"$gte": 2020}}`` is the AND of its entries; ``$and``/``$or``
    take lists, ``$not`` a dict. Field operators: ``$eq $ne $lt $lte $gt $gte $in $nin $any
    $all $contain(s) $like $ilike $between $exists $empty``. A bare value means ``$eq``.

    Raises:
        FilterError: an unknown operator or a malformed entry.
    """
    if spec is None:
        return None
    if not isinstance(spec, Mapping):
        raise FilterError(f"a filter must be a dict, got {type(spec).__name__}")
    parts: list[Expr] = []
    for key, value in spec.items():
        if not isinstance(key, str):
            raise FilterError(f"filter keys must be strings, got {key!r}")
        if key == "$and":
            parts.append(And(_children(value, key)))
        elif key == "$or":
            parts.append(Or(_children(value, key)))
        elif key == "$not":
            inner = _children(value, key)
            parts.append(Not(inner[0] if len(inner) == 1 else And(inner)))
        elif key.startswith("$"):
            raise FilterError(f"unknown filter operator {key!r}")
        else:
            parts.append(_field_condition(key, value))
    if not parts:
        return All()
    return parts[0] if len(parts) == 1 else And(tuple(parts))
