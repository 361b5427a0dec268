"""Rendering of filter trees to a query string plus ``PARAMS``, with complete escaping.

Every user value travels as a parameter (``$f0``, ``$f1``...) or, where the syntax takes no
parameter (text words, tag wildcards), through :func:`escape_term`, so a value matches only
itself whatever it holds. Field names and types are checked against the schema first. The
semantics per field type are described in :mod:`redisai_core.search.filters`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import FilterError
from .filters import All, And, Between, Compare, Expr, GeoWithin, IsEmpty, Never, Not, Or
from .records import geo_token, tag_text, tag_token
from .schema import GeoFieldSpec, IndexSchema, NumericFieldSpec, TagFieldSpec, TextFieldSpec

__all__ = ["RenderedFilter", "escape_term", "render", "text_words"]


@dataclasses.dataclass(frozen=True)
class RenderedFilter:
    """A query fragment and its parameters; ``never`` when nothing can match."""

    query: str
    params: Mapping[str, str]
    never: bool = False


# Characters the query parser treats specially, escaped with a backslash in text words and
# tag wildcards. Every non-alphanumeric character is escaped, which is always allowed.
def escape_term(text: str) -> str:
    """Escape ``text`` so the query parser reads it as one literal term."""
    return "".join(ch if ch.isalnum() or ch == "_" else "\\" + ch for ch in text)


# The server's default text separators: words are what lies between them.
_TEXT_SEPARATORS = frozenset(",.<>{}[]\"':;!@#$%^&*()-+=~/\\|?`")


def text_words(text: str) -> list[str]:
    """Split ``text`` into words the way the server tokenizes TEXT fields.

    As in the server, a backslash escapes the character after it, which then joins the word
    (``"v\\:"`` is the word ``v:``, ``"c\\d"`` is ``cd``); a trailing backslash is dropped.
    """
    words: list[str] = []
    current: list[str] = []
    chars = iter(text)
    for ch in chars:
        if ch == "\\":
            escaped = next(chars, None)
            if escaped is not None:
                current.append(escaped)
        elif ch.isspace() or ch in _TEXT_SEPARATORS:
            if current:
                words.append("".join(current))
                current = []
        else:
            current.append(ch)
    if current:
        words.append("".join(current))
    return words


class _Renderer:
    def __init__(self, schema: IndexSchema) -> None:
        self.schema = schema
        self.params: dict[str, str] = {}

    def param(self, value: str) -> str:
        name = f"f{len(self.params)}"
        self.params[name] = value
        return "$" + name

    def spec(self, name: str) -> TagFieldSpec | NumericFieldSpec | TextFieldSpec | GeoFieldSpec:
        spec = self.schema.field(name)
        if spec is None:
            known = sorted(["text", *(f.name for f in self.schema.fields)])
            raise FilterError(f"filter field {name!r} is not indexed; indexed fields: {known}")
        return spec

    # Each method returns a query fragment, or None for "matches nothing", or "" for "all".
    def node(self, expr: Expr) -> str | None:
        if isinstance(expr, All):
            return ""
        if isinstance(expr, Never):
            return None
        if isinstance(expr, And):
            parts = [self.node(c) for c in expr.children]
            if any(p is None for p in parts):
                return None
            kept = [p for p in parts if p]
            return "" if not kept else kept[0] if len(kept) == 1 else "(" + " ".join(kept) + ")"
        if isinstance(expr, Or):
            parts = [self.node(c) for c in expr.children]
            if any(p == "" for p in parts):
                return ""
            kept = [p for p in parts if p is not None]
            if not kept:
                return None
            return kept[0] if len(kept) == 1 else "(" + " | ".join(kept) + ")"
        if isinstance(expr, Not):
            inner = self.node(expr.child)
            if inner is None:
                return ""
            if inner == "":
                return None
            return "-" + (inner if inner.startswith("(") else "(" + inner + ")")
        if isinstance(expr, IsEmpty):
            return self.is_empty(expr.field)
        if isinstance(expr, Between):
            return self.between(expr)
        if isinstance(expr, GeoWithin):
            return self.geo(expr)
        return self.compare(expr)

    def is_empty(self, name: str) -> str:
        spec = self.spec(name)
        missing = f"ismissing(@{name})"
        if isinstance(spec, TagFieldSpec):
            return f'({missing} | @{name}:{{""}})'
        if isinstance(spec, TextFieldSpec):
            if name == "text":
                raise FilterError("the content field is never empty; is_empty does not apply")
            return f'({missing} | @{name}:"")'
        return missing

    def number(self, name: str, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise FilterError(f"numeric field {name!r} compared with non-number {value!r}")
        if math.isnan(value):
            raise FilterError(f"numeric field {name!r} compared with NaN")
        return float(value)

    def num_range(self, name: str, low: str, high: str) -> str:
        return f"@{name}:[{low} {high}]"

    def num_param(self, value: float) -> str:
        if math.isinf(value):
            return "+inf" if value > 0 else "-inf"
        return self.param(repr(value))

    def between(self, expr: Between) -> str:
        spec = self.spec(expr.field)
        if not isinstance(spec, NumericFieldSpec):
            raise FilterError(f"between needs a NUMERIC field; {expr.field!r} is not one")
        low = self.num_param(self.number(expr.field, expr.low))
        high = self.num_param(self.number(expr.field, expr.high))
        low = low if expr.inclusive_low else "(" + low
        high = high if expr.inclusive_high else "(" + high
        return self.num_range(expr.field, low, high)

    def geo(self, expr: GeoWithin) -> str:
        spec = self.spec(expr.field)
        if not isinstance(spec, GeoFieldSpec):
            raise FilterError(f"within needs a GEO field; {expr.field!r} is not one")
        if expr.unit not in ("m", "km", "mi", "ft"):
            raise FilterError(f"geo unit must be m, km, mi or ft, got {expr.unit!r}")
        lon = self.param(repr(self.number(expr.field, expr.lon)))
        lat = self.param(repr(self.number(expr.field, expr.lat)))
        radius = self.param(repr(self.number(expr.field, expr.radius)))
        return f"@{expr.field}:[{lon} {lat} {radius} {expr.unit}]"

    def compare(self, expr: Compare) -> str | None:
        spec = self.spec(expr.field)
        if isinstance(spec, TagFieldSpec):
            return self.tag(spec, expr)
        if isinstance(spec, NumericFieldSpec):
            return self.numeric(spec, expr)
        if isinstance(spec, TextFieldSpec):
            return self.text(spec, expr)
        if expr.op == "==" and geo_token(expr.value) is not None:
            raise FilterError(f"GEO field {expr.field!r} supports within(), not ==")
        raise FilterError(f"GEO field {expr.field!r} supports within() only, not {expr.op!r}")

    def values(self, expr: Compare) -> tuple[Any, ...]:
        if isinstance(expr.value, (str, bytes)) or not isinstance(expr.value, Iterable):
            raise FilterError(f"{expr.op!r} on {expr.field!r} needs a list of values")
        return tuple(expr.value)

    def tag_eq(self, spec: TagFieldSpec, value: Any) -> str:
        text = tag_text(value)
        if text is None:
            raise FilterError(f"tag field {spec.name!r} compared with unsupported {value!r}")
        # The server unescapes backslashes in parameter values; double them so they arrive.
        token = tag_token(text, spec).replace("\\", "\\\\")
        return f"@{spec.name}:{{{self.param(token)}}}"

    def tag(self, spec: TagFieldSpec, expr: Compare) -> str | None:
        op = expr.op
        if op in ("==", "contains"):
            return self.tag_eq(spec, expr.value)
        if op == "!=":
            return "-" + self.tag_eq(spec, expr.value)
        if op in ("in", "any", "not_in", "all"):
            parts = [self.tag_eq(spec, v) for v in self.values(expr)]
            if op == "all":
                return "(" + " ".join(parts) + ")" if parts else ""
            if not parts:
                return "" if op == "not_in" else None
            joined = parts[0] if len(parts) == 1 else "(" + " | ".join(parts) + ")"
            return "-" + joined if op == "not_in" else joined
        if op == "text_match":
            return self.tag_wildcard(spec, expr)
        raise FilterError(f"tag field {spec.name!r} does not support {op!r}; use a NUMERIC field")

    def tag_wildcard(self, spec: TagFieldSpec, expr: Compare) -> str:
        if expr.case_sensitive is not None and expr.case_sensitive != spec.case_sensitive:
            want = "case-sensitive" if expr.case_sensitive else "case-insensitive"
            raise FilterError(
                f"{want} text_match on tag field {spec.name!r}, which is declared "
                f"case_sensitive={spec.case_sensitive}"
            )
        if not isinstance(expr.value, str) or not expr.value:
            raise FilterError(f"text_match on {spec.name!r} needs a non-empty string")
        # Inside w'...' the wildcard characters cannot be escaped, so a substring holding one
        # could match other values; refuse rather than over-match.
        if any(ch in expr.value for ch in "*?\\") or tag_token(expr.value, spec) != (
            expr.value if spec.case_sensitive else expr.value.lower()
        ):
            raise FilterError(
                f"text_match on tag field {spec.name!r} cannot express {expr.value!r} exactly "
                "(wildcards, backslashes, edge whitespace or the separator)"
            )
        text = expr.value if spec.case_sensitive else expr.value.lower()
        return f"@{spec.name}:{{w'*{escape_term(text)}*'}}"

    def numeric(self, spec: NumericFieldSpec, expr: Compare) -> str | None:
        name, op = spec.name, expr.op
        if op in ("in", "not_in", "any"):
            parts = []
            for v in self.values(expr):
                p = self.num_param(self.number(name, v))
                parts.append(self.num_range(name, p, p))
            if not parts:
                return "" if op == "not_in" else None
            joined = parts[0] if len(parts) == 1 else "(" + " | ".join(parts) + ")"
            return "-" + joined if op == "not_in" else joined
        if op not in ("==", "!=", "<", "<=", ">", ">="):
            raise FilterError(f"numeric field {name!r} does not support {op!r}")
        p = self.num_param(self.number(name, expr.value))
        if op in ("==", "!="):
            clause = self.num_range(name, p, p)
            return "-" + clause if op == "!=" else clause
        bounds = {
            "<": ("-inf", "(" + p),
            "<=": ("-inf", p),
            ">": ("(" + p, "+inf"),
            ">=": (p, "+inf"),
        }[op]
        return self.num_range(name, *bounds)

    def text(self, spec: TextFieldSpec, expr: Compare) -> str | None:
        op = expr.op
        if op == "text_match" and expr.case_sensitive:
            raise FilterError(
                f"TEXT field {spec.name!r} is case-insensitive; declare a case-sensitive "
                "TagFieldSpec for case-sensitive matching"
            )
        if op in ("in", "not_in", "any"):
            parts = [self.phrase(spec, v) for v in self.values(expr)]
            if not parts:
                return "" if op == "not_in" else None
            joined = parts[0] if len(parts) == 1 else "(" + " | ".join(parts) + ")"
            return "-" + joined if op == "not_in" else joined
        if op in ("==", "contains"):
            return self.phrase(spec, expr.value)
        if op == "!=":
            return "-" + self.phrase(spec, expr.value)
        if op == "text_match":
            words = self.words(spec, expr.value)
            return f"@{spec.name}:(" + " ".join(escape_term(w) for w in words) + ")"
        raise FilterError(f"TEXT field {spec.name!r} does not support {op!r}")

    def words(self, spec: TextFieldSpec, value: Any) -> list[str]:
        if not isinstance(value, str):
            raise FilterError(f"TEXT field {spec.name!r} matched with non-string {value!r}")
        words = text_words(value)
        if not words:
            raise FilterError(f"text for {spec.name!r} has no words to match: {value!r}")
        return words

    def phrase(self, spec: TextFieldSpec, value: Any) -> str:
        words = self.words(spec, value)
        return f'@{spec.name}:"' + " ".join(escape_term(w) for w in words) + '"'


def render(expr: Expr | None, schema: IndexSchema) -> RenderedFilter:
    """Render a filter for ``schema``.

    Args:
        expr: the filter; None matches everything.
        schema: the index schema, against which field names and types are checked.

    Returns:
        The query fragment (``"*"`` for everything) with its parameters.

    Raises:
        FilterError: an unknown field, or an operator or value the field's type cannot take.
    """
    if expr is None:
        return RenderedFilter("*", {})
    renderer = _Renderer(schema)
    query = renderer.node(expr)
    if query is None:
        return RenderedFilter("*", {}, never=True)
    return RenderedFilter(query or "*", renderer.params)
