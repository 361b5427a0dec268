"""``FT.SEARCH`` builders (KNN, range, hybrid, listing), reply decoders and relevance scores.

Builders return the full argv tuple; every query uses ``DIALECT 2`` and passes the query vector
and all filter values as ``PARAMS``. Decoders accept RESP2 (``[total, key, [f, v, ...], ...]``)
and RESP3 (``{"total_results": n, "results": [{"id": key, "extra_attributes": {...}}]}``) replies
and turn keys back into IDs with :meth:`KeySpace.id_from_key`.

Relevance scores map the server's distance into ``[0, 1]``, higher meaning more similar:

- COSINE: the server reports ``1 - cos``; the score is ``max(0, 1 - d)``, the cosine
  similarity (LangChain's convention), with opposite directions clamped to 0;
- IP: the server reports ``1 - dot``; the score is ``1 - d`` (the dot product) clamped to
  ``[0, 1]``, which equals the cosine similarity for the normalized vectors IP is meant for;
- L2: the server reports the *squared* Euclidean distance; the score is ``1 / (1 + sqrt(d))``,
  which suits vectors of any scale.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import ConfigError
from .records import as_text, decode_metadata, decode_vector
from .rendering import RenderedFilter, escape_term, text_words
from .schema import METADATA_FIELD, TEXT_FIELD, Algorithm, DistanceMetric, IndexSchema

__all__ = [
    "DISTANCE_FIELD",
    "SearchHit",
    "SearchPage",
    "count_args",
    "decode_scored",
    "decode_search",
    "hybrid_args",
    "knn_args",
    "list_args",
    "range_args",
    "relevance_score",
    "text_args",
]

DISTANCE_FIELD = "distance"
_VEC_PARAM = "vec"


@dataclasses.dataclass(frozen=True, slots=True)
class SearchHit:
    """One result: its ID, content, metadata, distance and relevance (for vector queries)."""

    id: str
    text: str | None
    metadata: dict[str, Any]
    distance: float | None = None
    score: float | None = None
    vector: npt.NDArray[np.floating[Any]] | None = dataclasses.field(default=None, compare=False)


@dataclasses.dataclass(frozen=True)
class SearchPage:
    """A decoded reply: the server's total match count and this page of hits."""

    total: int
    hits: list[SearchHit]


def relevance_score(metric: DistanceMetric, distance: float) -> float:
    """Map a server distance to a relevance score in ``[0, 1]`` (see the module docstring)."""
    if metric is DistanceMetric.L2:
        return 1.0 / (1.0 + math.sqrt(max(distance, 0.0)))
    return min(1.0, max(0.0, 1.0 - distance))


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
    _check_k(k)
    scope = _scope(flt)
    if prefilter:
        scope = "(" + prefilter + ")" if scope == "*" else "(" + prefilter + " " + scope + ")"
    params: dict[str, str | bytes] = dict(flt.params)
    params["K"] = str(k)
    params[_VEC_PARAM] = vector
    ef = ""
    if schema.vector.algorithm is Algorithm.HNSW and ef_runtime is not None:
        _check_k(ef_runtime, "ef_runtime")
        params["EF"] = str(ef_runtime)
        ef = " EF_RUNTIME $EF"
    query = f"{scope}=>[KNN $K @{schema.vector.name} ${_VEC_PARAM}{ef} AS {DISTANCE_FIELD}]"
    return (
        "FT.SEARCH",
        schema.name,
        query,
        *_inkeys(keys),
        *_params(params),
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


def _get(mapping: Mapping[Any, Any], name: str) -> Any:
    # Replies carry bytes keys unless the client decodes; try those first (the hot path).
    value = mapping.get(name.encode())
    return mapping.get(name) if value is None else value


def _rows(reply: Any) -> tuple[int, list[tuple[Any, Mapping[Any, Any]]]]:
    # RESP2 (a list) is checked first and without the Mapping ABC: it is the hot path.
    if not isinstance(reply, list) and isinstance(reply, Mapping):
        total = int(_get(reply, "total_results") or 0)
        rows = []
        for entry in _get(reply, "results") or []:
            attrs = entry.get(b"extra_attributes")
            key = entry.get(b"id")
            if key is None:  # a client that decodes replies
                attrs, key = entry.get("extra_attributes"), entry.get("id")
            rows.append((key, attrs or {}))
        return total, rows
    items = reply if isinstance(reply, list) else list(reply)
    total = int(items[0])
    contents = items[2::2]
    if len(items) % 2 == 1 and set(map(type, contents)) == {list}:
        # Every key followed by its field array (the search replies): pairs, built in C.
        return total, [
            (key, dict(zip(flat[::2], flat[1::2], strict=True)))
            for key, flat in zip(items[1::2], contents, strict=True)
        ]
    rows = []
    i = 1
    while i < len(items):
        key = items[i]
        fields: Mapping[Any, Any] = {}
        # With NOCONTENT no field arrays follow the keys.
        if i + 1 < len(items) and isinstance(items[i + 1], list):
            flat = items[i + 1]
            fields = {flat[j]: flat[j + 1] for j in range(0, len(flat) - 1, 2)}
            i += 2
        else:
            i += 1
        rows.append((key, fields))
    return total, rows


_RAW_TEXT = TEXT_FIELD.encode()
_RAW_DISTANCE = DISTANCE_FIELD.encode()
_RAW_METADATA = METADATA_FIELD.encode()


# A frozen dataclass's __init__ sets each field through object.__setattr__, about 1.7 us per
# hit; hits are built here by setting the slots directly (about half that), leaving the
# class's own constructor and its immutability as they are for everyone else.
_new_object = object.__new__
_HIT_SLOTS = tuple(
    getattr(SearchHit, name).__set__
    for name in ("id", "text", "metadata", "distance", "score", "vector")
)


def decode_search(reply: Any, schema: IndexSchema) -> SearchPage:
    """Decode an ``FT.SEARCH`` reply of any of the builders above (RESP2 or RESP3)."""
    total, rows = _rows(reply)
    l2 = schema.vector.distance is DistanceMetric.L2
    vector_spec = schema.vector
    vector_name = vector_spec.name
    raw_vector_name = vector_name.encode()
    keyspace = schema.keyspace
    # IDs are cut from the key bytes directly (the hot path of every search); anything else,
    # including a key outside the space (an error), goes through KeySpace.id_from_key.
    head = keyspace.head.encode("utf-8", "surrogateescape")
    cut = len(head)
    hits: list[SearchHit] = []
    set_id, set_text, set_metadata, set_distance, set_score, set_vector = _HIT_SLOTS
    for key, attrs in rows:
        if isinstance(key, bytes) and key.startswith(head):
            doc_id = key[cut:].decode("utf-8", "surrogateescape")
        else:
            doc_id = keyspace.id_from_key(key)
        # Field names are bytes unless the client decodes replies (then str).
        get = attrs.get
        text = get(_RAW_TEXT)
        if text is None:
            text = get(TEXT_FIELD)
        raw_distance = get(_RAW_DISTANCE)
        if raw_distance is None:
            raw_distance = get(DISTANCE_FIELD)
        raw_metadata = get(_RAW_METADATA)
        if raw_metadata is None:
            raw_metadata = get(METADATA_FIELD)
        raw_vector = get(raw_vector_name)
        if raw_vector is None:
            raw_vector = get(vector_name)
        distance = score = None
        if raw_distance is not None:
            distance = float(raw_distance)
            # relevance_score, inlined: this loop runs for every hit of every search.
            score = (
                1.0 / (1.0 + math.sqrt(max(distance, 0.0)))
                if l2
                else min(1.0, max(0.0, 1.0 - distance))
            )
        hit: SearchHit = _new_object(SearchHit)
        set_id(hit, doc_id)
        set_text(hit, None if text is None else as_text(text))
        set_metadata(hit, decode_metadata(raw_metadata))
        set_distance(hit, distance)
        set_score(hit, score)
        set_vector(hit, None if raw_vector is None else decode_vector(raw_vector, vector_spec))
        hits.append(hit)
    return SearchPage(total, hits)


def decode_scored(reply: Any, schema: IndexSchema) -> SearchPage:
    """Decode a ``WITHSCORES`` reply (:func:`text_args`): each hit's ``score`` is the server's."""
    if isinstance(reply, Mapping):
        scores = [float(_get(entry, "score") or 0.0) for entry in _get(reply, "results") or []]
        page = decode_search(reply, schema)
    else:
        items = list(reply)
        scores = [float(items[i]) for i in range(2, len(items), 3)]
        plain = [items[0]]
        for i in range(1, len(items) - 2, 3):
            plain += [items[i], items[i + 2]]
        page = decode_search(plain, schema)
    hits = [dataclasses.replace(h, score=s) for h, s in zip(page.hits, scores, strict=True)]
    return SearchPage(page.total, hits)


def decode_ids(reply: Any, schema: IndexSchema) -> list[str]:
    """The IDs of a ``NOCONTENT`` reply."""
    return [schema.keyspace.id_from_key(key) for key, _ in _rows(reply)[1]]


def decode_total(reply: Any) -> int:
    """The match count of any ``FT.SEARCH`` reply."""
    return _rows(reply)[0]


def vectors_of(hits: Sequence[SearchHit]) -> npt.NDArray[np.floating[Any]]:
    """The hits' vectors as a 2-D array (hits without one are an error of the caller)."""
    return np.stack([h.vector for h in hits if h.vector is not None]) if hits else np.empty((0, 0))


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


def decode_cursor(reply: Any, schema: IndexSchema) -> tuple[list[str], int]:
    """IDs of one cursor batch and the next cursor (0 when exhausted); RESP2 or RESP3."""
    batch, cursor = reply[0], int(reply[1])
    ids: list[str] = []
    if isinstance(batch, Mapping):
        for entry in _get(batch, "results") or []:
            key = _get(_get(entry, "extra_attributes") or {}, "__key")
            if key is not None:
                ids.append(schema.keyspace.id_from_key(key))
    else:
        for row in list(batch)[1:]:
            pairs = {as_text(row[j]): row[j + 1] for j in range(0, len(row) - 1, 2)}
            if "__key" in pairs:
                ids.append(schema.keyspace.id_from_key(pairs["__key"]))
    return ids, cursor
