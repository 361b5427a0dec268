"""``FT.SEARCH`` and ``FT.AGGREGATE`` builders: KNN, range, hybrid, text, listing and counting.

Builders return the full argv tuple; every query uses ``DIALECT 2`` and passes the query vector
and all filter values as ``PARAMS``. The reply decoders and :class:`SearchHit` live in
:mod:`redisai_core.search.hits` and are re-exported here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from ..errors import ConfigError
from .hits import (
    DISTANCE_FIELD,
    SearchHit,
    SearchPage,
    decode_cursor,
    decode_ids,
    decode_scored,
    decode_search,
    decode_total,
    relevance_score,
    vectors_of,
)
from .rendering import RenderedFilter, escape_term, text_words
from .schema import METADATA_FIELD, TEXT_FIELD, Algorithm, IndexSchema

__all__ = [
    "DISTANCE_FIELD",
    "SearchHit",
    "SearchPage",
    "aggregate_ids_args",
    "count_args",
    "cursor_read_args",
    "decode_cursor",
    "decode_ids",
    "decode_scored",
    "decode_search",
    "decode_total",
    "hybrid_args",
    "knn_args",
    "knn_parts",
    "list_args",
    "range_args",
    "relevance_score",
    "text_args",
    "vectors_of",
]

_VEC_PARAM = "vec"


def _return_fields(schema: IndexSchema, with_distance: bool, with_vector: bool) -> list[str]:
    fields = [TEXT_FIELD, METADATA_FIELD]
    if with_distance:
        fields.append(DISTANCE_FIELD)
    if with_vector:
        fields.append(schema.vector.name)
    return ["RETURN", str(len(fields)), *fields]


def _params(pairs: Mapping[str, str | bytes]) -> list[str | bytes]:
    out: list[str | bytes] = ["PARAMS", str(2 * len(pairs))]
    for name, value in pairs.items():
        out += [name, value]
    return out


def _check_k(k: int, label: str = "k") -> None:
    if isinstance(k, bool) or not isinstance(k, int) or k <= 0:
        raise ConfigError(f"{label} must be a positive int, got {k!r}")


def _scope(flt: RenderedFilter) -> str:
    return "*" if flt.query == "*" else "(" + flt.query + ")"


def _inkeys(keys: Sequence[str] | None) -> list[str]:
    # Keys travel as arguments of their own, never inside the query text.
    return [] if keys is None else ["INKEYS", str(len(keys)), *keys]


def _words_query(text: str, what: str) -> str:
    words = text_words(text) if isinstance(text, str) else []
    if not words:
        raise ConfigError(f"{what} text has no words to match: {text!r}")
    return f"@{TEXT_FIELD}:(" + " | ".join(escape_term(w) for w in dict.fromkeys(words)) + ")"


def knn_parts(
    schema: IndexSchema,
    k: int,
    flt: RenderedFilter,
    *,
    ef_runtime: int | None = None,
    with_vector: bool = False,
    prefilter: str | None = None,
    keys: Sequence[str] | None = None,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The argv of :func:`knn_args` before and after the query vector's bytes.

    ``prefix + (vector,) + suffix`` is the whole argv; neither part depends on the vector, so
    a search repeated with new vectors can reuse them (see :mod:`redisai_core.search.hotpath`).

    Raises:
        ConfigError: ``k`` or ``ef_runtime`` is not a positive int.
    """
    _check_k(k)
    scope = _scope(flt)
    if prefilter:
        scope = "(" + prefilter + ")" if scope == "*" else "(" + prefilter + " " + scope + ")"
    after: list[str] = []
    ef = ""
    if schema.vector.algorithm is Algorithm.HNSW and ef_runtime is not None:
        _check_k(ef_runtime, "ef_runtime")
        after = ["EF", str(ef_runtime)]
        ef = " EF_RUNTIME $EF"
    query = f"{scope}=>[KNN $K @{schema.vector.name} ${_VEC_PARAM}{ef} AS {DISTANCE_FIELD}]"
    # PARAMS: the filter's, then K, the vector and EF (the order knn_args always used).
    pairs = 2 + len(flt.params) + len(after) // 2
    before: list[str] = ["PARAMS", str(2 * pairs)]
    for name, value in flt.params.items():
        before += [name, value]
    prefix = ("FT.SEARCH", schema.name, query, *_inkeys(keys), *before, "K", str(k), _VEC_PARAM)
    suffix = (
        *after,
        *_return_fields(schema, True, with_vector),
        "SORTBY",
        DISTANCE_FIELD,
        "ASC",
        "LIMIT",
        "0",
        str(k),
        "DIALECT",
        "2",
    )
    return prefix, suffix


def knn_args(
    schema: IndexSchema,
    vector: bytes,
    k: int,
    flt: RenderedFilter,
    *,
    ef_runtime: int | None = None,
    with_vector: bool = False,
    prefilter: str | None = None,
    keys: Sequence[str] | None = None,
) -> tuple[str | bytes, ...]:
    """``FT.SEARCH`` for the ``k`` nearest neighbours among documents matching ``flt``.

    Args:
        schema: the index schema.
        vector: the query vector's bytes (already in the field's data type).
        k: how many neighbours.
        flt: the rendered filter.
        ef_runtime: HNSW search breadth for this query (ignored by FLAT indexes).
        with_vector: also return the stored vectors (for MMR).
        prefilter: an extra, already-safe query fragment ANDed with ``flt`` (hybrid search).
        keys: search only among these keys (``INKEYS``); None for all.

    Raises:
        ConfigError: ``k`` or ``ef_runtime`` is not a positive int.
    """
    prefix, suffix = knn_parts(
        schema,
        k,
        flt,
        ef_runtime=ef_runtime,
        with_vector=with_vector,
        prefilter=prefilter,
        keys=keys,
    )
    return (*prefix, vector, *suffix)


def hybrid_args(
    schema: IndexSchema,
    vector: bytes,
    text: str,
    k: int,
    flt: RenderedFilter,
    *,
    ef_runtime: int | None = None,
    with_vector: bool = False,
    keys: Sequence[str] | None = None,
) -> tuple[str | bytes, ...]:
    """Hybrid text + vector search: the ``k`` nearest among documents whose content holds any
    word of ``text`` (and that match ``flt``), ordered by vector distance.

    Raises:
        ConfigError: ``text`` has no words (empty or only separators and spaces).
    """
    return knn_args(
        schema,
        vector,
        k,
        flt,
        ef_runtime=ef_runtime,
        with_vector=with_vector,
        prefilter=_words_query(text, "hybrid search"),
        keys=keys,
    )


def text_args(
    schema: IndexSchema,
    text: str,
    k: int,
    flt: RenderedFilter,
    *,
    scorer: str = "BM25STD",
    keys: Sequence[str] | None = None,
) -> tuple[str | bytes, ...]:
    """``FT.SEARCH`` for the ``k`` documents (matching ``flt``) whose content best matches any
    word of ``text``, scored by the server (``WITHSCORES``, BM25 by default), best first.

    Raises:
        ConfigError: ``text`` has no words, or ``k`` is not a positive int.
    """
    _check_k(k)
    # The union of the words selects the documents; it is weighted 0 and each word is added
    # again as an optional term, which scores it. Scoring the union itself goes wrong beside a
    # filter: inside an intersection the server scores only the first word a document holds.
    words = [
        escape_term(w) for w in dict.fromkeys(text_words(text) if isinstance(text, str) else [])
    ]
    query = (
        "("
        + _words_query(text, "text search")
        + ")=>{$weight: 0.0}"
        + "".join(f" ~@{TEXT_FIELD}:{w}" for w in words)
    )
    if flt.query != "*":
        query += " " + _scope(flt)
    return (
        "FT.SEARCH",
        schema.name,
        query,
        "WITHSCORES",
        "SCORER",
        scorer,
        *_inkeys(keys),
        *(_params(flt.params) if flt.params else []),
        *_return_fields(schema, False, False),
        "LIMIT",
        "0",
        str(k),
        "DIALECT",
        "2",
    )


def range_args(
    schema: IndexSchema,
    vector: bytes,
    radius: float,
    flt: RenderedFilter,
    *,
    limit: int = 10_000,
    with_vector: bool = False,
) -> tuple[str | bytes, ...]:
    """``FT.SEARCH`` for documents within ``radius`` (in the metric's distance) of ``vector``.

    Raises:
        ConfigError: a negative or non-finite radius, or a non-positive limit.
    """
    if isinstance(radius, bool) or not isinstance(radius, (int, float)) or not radius >= 0:
        raise ConfigError(f"radius must be a non-negative number, got {radius!r}")
    if not math.isfinite(radius):
        raise ConfigError(f"radius must be finite, got {radius!r}")
    _check_k(limit, "limit")
    params: dict[str, str | bytes] = dict(flt.params)
    params["R"] = repr(float(radius))
    params[_VEC_PARAM] = vector
    query = (
        f"(@{schema.vector.name}:[VECTOR_RANGE $R ${_VEC_PARAM}]"
        f"=>{{$YIELD_DISTANCE_AS: {DISTANCE_FIELD}}})"
    )
    if flt.query != "*":
        query += " " + _scope(flt)
    return (
        "FT.SEARCH",
        schema.name,
        query,
        *_params(params),
        *_return_fields(schema, True, with_vector),
        "SORTBY",
        DISTANCE_FIELD,
        "ASC",
        "LIMIT",
        "0",
        str(limit),
        "DIALECT",
        "2",
    )


def list_args(
    schema: IndexSchema,
    flt: RenderedFilter,
    offset: int,
    limit: int,
    *,
    ids_only: bool = False,
    with_vector: bool = False,
) -> tuple[str | bytes, ...]:
    """``FT.SEARCH`` listing documents matching ``flt``, one page at a time.

    Pages are sorted by nothing in particular; callers that need every match page with
    :func:`count_args` first or use ``ids_only`` with a keyset-free offset loop.
    """
    content: list[str] = ["NOCONTENT"] if ids_only else _return_fields(schema, False, with_vector)
    return (
        "FT.SEARCH",
        schema.name,
        flt.query,
        *(_params(flt.params) if flt.params else []),
        *content,
        "LIMIT",
        str(offset),
        str(limit),
        "DIALECT",
        "2",
    )


def count_args(schema: IndexSchema, flt: RenderedFilter) -> tuple[str | bytes, ...]:
    """``FT.SEARCH ... LIMIT 0 0``: only the number of matches."""
    return (
        "FT.SEARCH",
        schema.name,
        flt.query,
        *(_params(flt.params) if flt.params else []),
        "LIMIT",
        "0",
        "0",
        "DIALECT",
        "2",
    )


def aggregate_ids_args(
    schema: IndexSchema, flt: RenderedFilter, count: int = 1000
) -> tuple[str | bytes, ...]:
    """``FT.AGGREGATE ... WITHCURSOR`` yielding the keys of every match, without a result cap.

    ``FT.SEARCH`` paging stops at the server's ``MAXSEARCHRESULTS`` (10,000 on some
    deployments); a cursor does not.
    """
    _check_k(count, "count")
    return (
        "FT.AGGREGATE",
        schema.name,
        flt.query,
        *(_params(flt.params) if flt.params else []),
        "LOAD",
        "1",
        "@__key",
        "WITHCURSOR",
        "COUNT",
        str(count),
        "DIALECT",
        "2",
    )


def cursor_read_args(schema: IndexSchema, cursor: int, count: int = 1000) -> tuple[str, ...]:
    """``FT.CURSOR READ`` for the next batch of an aggregate cursor."""
    return ("FT.CURSOR", "READ", schema.name, str(cursor), "COUNT", str(count))
