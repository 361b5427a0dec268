"""Per-index caches for the hot path of KNN searches: typed filter keys and argv skeletons.

A top-4 search spends a sizeable share of its client-side time rendering the filter and
building the argv, although most applications send the same few filter shapes again and
again. :func:`filter_key` gives a key that two filters share only when they render to the
very same query text and parameters for any schema; :class:`ArgvCache` keeps, per such key
and per ``k``/``ef_runtime``/``with_vectors``, the argv around the query vector's bytes (see
:func:`~redisai_core.search.queries.knn_parts`).

Only exactly-typed, immutable values are keyed (``str``, ``int``, ``bool``, tuples of them,
``None``): equal values of those types render identically, which is not so across types
(``1 == True == 1.0`` but a tag renders them ``1``, ``true`` and ``1.0``) nor for floats
(``0.0 == -0.0``). Any other filter (floats, lists, dicts, subclasses) gets no key and is
rendered every time, as before.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from .filters import All, And, Between, Compare, IsEmpty, Never, Not, Or
from .schema import IndexSchema

__all__ = ["NEVER", "ArgvCache", "filter_key"]

_SCALARS = (str, int, bool, type(None))

# What a cached search that can match nothing holds instead of an argv.
NEVER: tuple[()] = ()

_MAX_ENTRIES = 256


def _value_key(value: Any) -> tuple[Any, ...] | None:
    kind = type(value)
    if kind in _SCALARS:
        return (kind, value)
    if kind is tuple and all(type(v) in _SCALARS for v in value):
        return (tuple, tuple((type(v), v) for v in value))
    return None


def filter_key(expr: Any) -> Hashable | None:
    """A key equal for two filters only if they render identically; None when not cacheable.

    Args:
        expr: a filter expression (or None, for no filter).

    Returns:
        A hashable key, or None for filters this cache leaves alone (see the module docstring).
    """
    kind = type(expr)
    if expr is None:
        return (None,)
    if kind is Compare:
        if type(expr.field) is not str or type(expr.op) is not str:
            return None
        value = _value_key(expr.value)
        flag = _value_key(expr.case_sensitive)
        if value is None or flag is None:
            return None
        return (Compare, expr.field, expr.op, value, flag)
    if kind is And or kind is Or:
        if type(expr.children) is not tuple:
            return None
        children = tuple(filter_key(child) for child in expr.children)
        return None if any(c is None for c in children) else (kind, children)
    if kind is Not:
        child = filter_key(expr.child)
        return None if child is None or expr.child is None else (Not, child)
    if kind is All or kind is Never:
        return (kind,)
    if kind is IsEmpty:
        return (IsEmpty, expr.field) if type(expr.field) is str else None
    if kind is Between:
        parts = [
            _value_key(v) for v in (expr.low, expr.high, expr.inclusive_low, expr.inclusive_high)
        ]
        if type(expr.field) is not str or any(p is None for p in parts):
            return None
        return (Between, expr.field, *parts)
    return None


class ArgvCache:
    """Argv skeletons of one index's KNN searches, valid for one schema object.

    Entries are ``(prefix, suffix)`` with the query vector's bytes going between them, or
    :data:`NEVER` for a filter that matches nothing. Dict operations are atomic, so threads
    sharing an index at worst build an entry twice. At most 256 entries are kept; the cache
    starts again empty when full or when the schema object changes.
    """

    __slots__ = ("_state",)

    def __init__(self) -> None:
        # The schema and its entries, replaced together in one assignment (thread-safe).
        self._state: tuple[IndexSchema | None, dict[Hashable, tuple[Any, ...]]] = (None, {})

    def get(self, schema: IndexSchema, key: Hashable) -> tuple[Any, ...] | None:
        """The entry for ``key`` under ``schema``, or None."""
        owner, entries = self._state
        return entries.get(key) if owner is schema else None

    def put(self, schema: IndexSchema, key: Hashable, entry: tuple[Any, ...]) -> None:
        """Remember ``entry`` for ``key`` under ``schema``."""
        state = self._state
        if state[0] is not schema or len(state[1]) >= _MAX_ENTRIES:
            state = self._state = (schema, {})
        state[1][key] = entry
