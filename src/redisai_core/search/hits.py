"""Search results: :class:`SearchHit`, relevance scores and the ``FT.SEARCH`` reply decoders.

Decoders accept RESP2 (``[total, key, [f, v, ...], ...]``) and RESP3
(``{"total_results": n, "results": [{"id": key, "extra_attributes": {...}}]}``) replies and turn
keys back into IDs with :meth:`KeySpace.id_from_key`. The request builders live in
:mod:`redisai_core.search.queries`, which re-exports everything here.

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

from . import records as _records
from .records import as_text, decode_metadata, decode_vector
from .schema import METADATA_FIELD, TEXT_FIELD, DistanceMetric, IndexSchema

__all__ = [
    "DISTANCE_FIELD",
    "SearchHit",
    "SearchPage",
    "decode_cursor",
    "decode_ids",
    "decode_scored",
    "decode_search",
    "decode_total",
    "relevance_score",
    "vectors_of",
]

DISTANCE_FIELD = "distance"


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
    if len(items) % 2 == 1 and contents:
        # Every key followed by its field array of whole pairs (the search replies): the
        # pairs are built in C, from one iterator zipped with itself (no slice copies).
        for flat in contents:
            if type(flat) is not list or len(flat) % 2:
                break
        else:
            pairs: list[tuple[Any, Mapping[Any, Any]]] = []
            for key, flat in zip(items[1::2], contents, strict=True):
                it = iter(flat)
                pairs.append((key, dict(zip(it, it, strict=False))))
            return total, pairs
    if len(items) % 2 == 1 and set(map(type, contents)) == {list}:
        # An odd field array (no server sends one) is refused, as it always was.
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
# The field names of a vector search's hit, in the order the server sends them.
_POSITIONAL = [_RAW_DISTANCE, _RAW_TEXT, _RAW_METADATA]


# A frozen dataclass's __init__ sets each field through object.__setattr__, about 1.7 us per
# hit; hits are built here by setting the slots directly (about half that), leaving the
# class's own constructor and its immutability as they are for everyone else.
_new_object = object.__new__
_HIT_SLOTS = tuple(
    getattr(SearchHit, name).__set__
    for name in ("id", "text", "metadata", "distance", "score", "vector")
)


class _Layout:
    """What decoding needs of a schema, computed once per schema rather than once per reply."""

    __slots__ = (
        "cut",
        "head",
        "keyspace",
        "l2",
        "raw_vector_name",
        "schema",
        "spec",
        "vector_name",
    )

    def __init__(self, schema: IndexSchema) -> None:
        spec = schema.vector
        self.schema = schema
        self.spec = spec
        self.l2 = spec.distance is DistanceMetric.L2
        self.vector_name = spec.name
        self.raw_vector_name = spec.name.encode()
        self.keyspace = schema.keyspace
        self.head = schema.keyspace.head.encode("utf-8", "surrogateescape")
        self.cut = len(self.head)


# One entry: an index searches with one schema object, so consecutive replies share it. The
# entry is replaced whole (one assignment), which is safe across threads.
_last_layout: _Layout | None = None


def _layout(schema: IndexSchema) -> _Layout:
    global _last_layout
    layout = _last_layout
    if layout is None or layout.schema is not schema:
        layout = _last_layout = _Layout(schema)
    return layout


def _decode_resp2(items: list[Any], layout: _Layout) -> SearchPage | None:
    """The common RESP2 reply of a vector search, decoded without building a dict per hit.

    The server sends the returned fields of every hit as ``distance, text, _metadata_json``
    (the sort key first), plus the vector when it was asked for. A reply of exactly that
    shape is read by position; for any other (None), :func:`decode_search` reads it by name.
    Every shape is checked before anything is decoded, so errors come in the same order.
    """
    n = len(items)
    if not n % 2:
        return None
    raw_vector_name = layout.raw_vector_name
    for i in range(2, n, 2):
        flat = items[i]
        if (
            type(flat) is not list
            or flat[0:5:2] != _POSITIONAL
            or not (len(flat) == 6 or (len(flat) == 8 and flat[6] == raw_vector_name))
        ):
            return None
    total = int(items[0])
    l2 = layout.l2
    vector_spec = layout.spec
    keyspace = layout.keyspace
    head = layout.head
    cut = layout.cut
    hits: list[SearchHit] = []
    set_id, set_text, set_metadata, set_distance, set_score, set_vector = _HIT_SLOTS
    orjson_loads = None if _records.orjson is None else _records.orjson.loads  # type: ignore[attr-defined]
    long_digits = _records._LONG_DIGITS.search
    for i in range(1, n, 2):
        key = items[i]
        flat = items[i + 1]
        if type(key) is bytes and key.startswith(head):
            doc_id = key[cut:].decode("utf-8", "surrogateescape")
        else:
            doc_id = keyspace.id_from_key(key)
        distance = float(flat[1])
        text = flat[3]
        hit: SearchHit = _new_object(SearchHit)
        set_id(hit, doc_id)
        if type(text) is bytes:
            set_text(hit, text.decode("utf-8", "surrogateescape"))
        else:
            set_text(hit, None if text is None else as_text(text))
        # decode_metadata's common case inlined: bytes orjson reads as a dict, without a run
        # of 19 digits (see there); anything else goes through decode_metadata itself.
        raw_metadata = flat[5]
        metadata = None
        if (
            type(raw_metadata) is bytes
            and orjson_loads is not None
            and long_digits(raw_metadata) is None
        ):
            try:
                metadata = orjson_loads(raw_metadata)
            except ValueError:  # orjson.JSONDecodeError; json decides below
                metadata = None
        set_metadata(hit, metadata if type(metadata) is dict else decode_metadata(raw_metadata))
        set_distance(hit, distance)
        if l2:
            set_score(hit, 1.0 / (1.0 + math.sqrt(max(distance, 0.0))))
        else:
            # min(1.0, max(0.0, 1.0 - distance)) without two builtin calls; NaN gives 0.0 too.
            similarity = 1.0 - distance
            set_score(
                hit,
                similarity if 0.0 <= similarity <= 1.0 else (1.0 if similarity > 1.0 else 0.0),
            )
        set_vector(hit, decode_vector(flat[7], vector_spec) if len(flat) == 8 else None)
        hits.append(hit)
    return SearchPage(total, hits)


def decode_search(reply: Any, schema: IndexSchema) -> SearchPage:
    """Decode an ``FT.SEARCH`` reply of any of the builders above (RESP2 or RESP3)."""
    layout = _layout(schema)
    if type(reply) is list:  # the hot path: see _decode_resp2
        page = _decode_resp2(reply, layout)
        if page is not None:
            return page
    total, rows = _rows(reply)
    l2 = layout.l2
    vector_spec = layout.spec
    vector_name = layout.vector_name
    raw_vector_name = layout.raw_vector_name
    keyspace = layout.keyspace
    # IDs are cut from the key bytes directly (the hot path of every search); anything else,
    # including a key outside the space (an error), goes through KeySpace.id_from_key.
    head = layout.head
    cut = layout.cut
    hits: list[SearchHit] = []
    set_id, set_text, set_metadata, set_distance, set_score, set_vector = _HIT_SLOTS
    for key, attrs in rows:
        if type(key) is bytes and key.startswith(head):
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
        if type(text) is bytes:  # as_text, inlined
            set_text(hit, text.decode("utf-8", "surrogateescape"))
        else:
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
