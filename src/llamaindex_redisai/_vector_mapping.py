"""Pure translations between LlamaIndex nodes, filters and queries and the core vector index.

No I/O. The stored-record convention, shared with :mod:`langchain_redisai.vectorstores` so
either framework can search what the other wrote:

- the record ID is the node ID, the record text the node's content, the vector its embedding;
- the record metadata is the node's own metadata plus a few keys of ours: ``ref_doc_id``
  (``""`` without a source document), ``node_id``, ``_node_type`` (the node class) and
  ``_node_content`` (the rest of the node as a JSON object, without its text, embedding,
  metadata and default values, so relationships and every other attribute round-trip). ``ref_doc_id`` and ``node_id`` are TAG
  fields, which is how ``delete(ref_doc_id)``, ``doc_ids`` and ``node_ids`` filter on the
  server. A record without ``_node_content`` (written by LangChain, say) reads back as a
  ``TextNode`` of its text and metadata.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from llama_index.core.schema import (
    BaseNode,
    ImageNode,
    IndexNode,
    MetadataMode,
    Node,
    TextNode,
)
from llama_index.core.vector_stores.types import (
    FilterCondition,
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
    VectorStoreQueryResult,
)

from redisai_core import FilterError, SearchHit
from redisai_core.search import And, Expr, FieldSpec, IsEmpty, Not, Or, TagFieldSpec, field

from ._node_dump import Unusual, fast_parts, shape_of

__all__ = [
    "NODE_CONTENT_KEY",
    "NODE_ID_KEY",
    "NODE_TYPE_KEY",
    "REF_DOC_ID_KEY",
    "combine",
    "hits_to_result",
    "node_metadata",
    "node_to_parts",
    "record_to_node",
    "restriction",
    "to_expr",
    "with_id_fields",
]

REF_DOC_ID_KEY = "ref_doc_id"
NODE_ID_KEY = "node_id"
NODE_TYPE_KEY = "_node_type"
NODE_CONTENT_KEY = "_node_content"
_OURS = (REF_DOC_ID_KEY, NODE_ID_KEY, NODE_TYPE_KEY, NODE_CONTENT_KEY)
_OURS_SET = frozenset(_OURS)


def with_id_fields(fields: Sequence[FieldSpec]) -> tuple[FieldSpec, ...]:
    """Declared metadata fields plus the ``ref_doc_id`` and ``node_id`` TAGs when missing."""
    names = {f.name for f in fields}
    extra = [TagFieldSpec(name=n) for n in (REF_DOC_ID_KEY, NODE_ID_KEY) if n not in names]
    return (*fields, *extra)


# -- nodes -----------------------------------------------------------------------------------


def node_metadata(node: BaseNode) -> dict[str, Any]:
    """The record metadata of ``node`` (see the module docstring).

    Follows ``llama_index.core.vector_stores.utils.node_to_metadata_dict`` but keeps the node
    as a JSON object rather than a string (a dict is never inferred as an indexed field, and a
    string this long would be), and leaves out what is stored elsewhere (text, embedding, the
    metadata itself) or is a default value: about a third of the size, to write and to read.
    """
    shape = shape_of(type(node))
    if shape is not None:
        try:
            ref_doc_id, node_id, user, content = fast_parts(node.__dict__, shape)
        except Unusual:
            pass
        else:
            return _with_our_keys(ref_doc_id, node_id, shape.class_name, user, content)
    return _dumped_metadata(node)


def node_to_parts(node: BaseNode) -> tuple[str, list[float], dict[str, Any]]:
    """``(text, vector, metadata)`` of a node to write.

    Raises:
        ValueError: the node has no embedding.
    """
    shape = shape_of(type(node))
    if shape is not None:
        values = node.__dict__
        embedding = values["embedding"]
        if embedding is not None:  # else the slow path raises get_embedding's error
            try:
                ref_doc_id, node_id, user, content = fast_parts(values, shape)
            except Unusual:
                pass
            else:
                metadata = _with_our_keys(ref_doc_id, node_id, shape.class_name, user, content)
                text = values["text"] if shape.text_field else _plain_content(node)
                return text, embedding, metadata
    return _plain_content(node), node.get_embedding(), _dumped_metadata(node)


def _plain_content(node: BaseNode) -> str:
    return node.get_content(metadata_mode=MetadataMode.NONE)


def _dumped_metadata(node: BaseNode) -> dict[str, Any]:
    """``node_metadata`` by pydantic's ``model_dump``: the definition, and the fallback."""
    content = node.model_dump(
        mode="json", exclude_defaults=True, exclude={"embedding", "text", "text_resource"}
    )
    user: dict[str, Any] = content.pop("metadata", None) or {}
    return _with_our_keys(node.ref_doc_id or "", node.node_id, node.class_name(), user, content)


def _with_our_keys(
    ref_doc_id: str, node_id: str, class_name: str, user: dict[str, Any], content: dict[str, Any]
) -> dict[str, Any]:
    metadata = dict(user)
    if not _OURS_SET.isdisjoint(user):
        content["metadata"] = user  # our keys would shadow the user's: keep their own copy
    metadata[REF_DOC_ID_KEY] = ref_doc_id
    metadata[NODE_ID_KEY] = node_id
    metadata[NODE_TYPE_KEY] = class_name
    metadata[NODE_CONTENT_KEY] = content
    return metadata


# The classes ``metadata_dict_to_node`` dispatches on; anything else reads as a TextNode.
_NODE_CLASSES: dict[str, type[BaseNode]] = {
    cls.class_name(): cls for cls in (Node, TextNode, IndexNode, ImageNode)
}


def record_to_node(node_id: str, text: str | None, metadata: Mapping[str, Any]) -> BaseNode:
    """A stored record (or search hit) back as the node that was written.

    Same result as ``metadata_dict_to_node`` (class by ``_node_type``, then the content set),
    without its JSON string round trip. Records written without ``_node_content`` (by
    LangChain) become a ``TextNode`` whose metadata is the record's.
    """
    content = metadata.get(NODE_CONTENT_KEY)
    if isinstance(content, str):  # LlamaIndex's own node_to_metadata_dict stores a string
        content = json.loads(content)
    if isinstance(content, dict):
        cls = _NODE_CLASSES.get(str(metadata.get(NODE_TYPE_KEY)), TextNode)
        data = dict(content)
        data.pop("class_name", None)
        data["id_"] = node_id
        if "metadata" not in data:
            data["metadata"] = {k: v for k, v in metadata.items() if k not in _OURS}
        # Passing the text to the constructor spares two validated assignments per node;
        # Node keeps its text in a resource, which only set_content fills.
        if text is not None and cls is not Node:
            data["text"] = text
        node = cls(**data)
        if text is not None and cls is Node:
            node.set_content(text)
        return node
    return TextNode(id_=node_id, text=text or "", metadata=dict(metadata))


def hits_to_result(hits: Sequence[SearchHit]) -> VectorStoreQueryResult:
    """A query result of nodes, their similarities (the hits' scores, higher is nearer) and IDs."""
    nodes = [record_to_node(h.id, h.text, h.metadata) for h in hits]
    scores = [h.score if h.score is not None else 0.0 for h in hits]
    return VectorStoreQueryResult(nodes=nodes, similarities=scores, ids=[h.id for h in hits])


# -- filters ---------------------------------------------------------------------------------


def _condition(flt: MetadataFilter) -> Expr:
    ref = field(flt.key)
    op, value = FilterOperator(flt.operator), flt.value
    if op is FilterOperator.IS_EMPTY:
        return IsEmpty(flt.key)
    if op is FilterOperator.EQ:
        return ref == value
    if op is FilterOperator.NE:
        return ref != value
    if op in (FilterOperator.GT, FilterOperator.GTE, FilterOperator.LT, FilterOperator.LTE):
        if not isinstance(value, (int, float)):
            raise FilterError(f"{op.value!r} on {flt.key!r} needs a number, got {value!r}")
        return {
            FilterOperator.GT: ref > value,
            FilterOperator.GTE: ref >= value,
            FilterOperator.LT: ref < value,
            FilterOperator.LTE: ref <= value,
        }[op]
    if op in (FilterOperator.IN, FilterOperator.NIN, FilterOperator.ANY, FilterOperator.ALL):
        values = _as_list(flt.key, op, value)
        method = {
            FilterOperator.IN: ref.in_,
            FilterOperator.NIN: ref.not_in,
            FilterOperator.ANY: ref.any_of,
            FilterOperator.ALL: ref.all_of,
        }[op]
        return method(values)
    if op is FilterOperator.CONTAINS:
        return ref.contains(value)
    if op is FilterOperator.TEXT_MATCH:
        # The field's own case rule: exact case on a (case-sensitive) TAG, words on TEXT.
        return ref.text_match(_as_text(flt.key, value))
    if op is FilterOperator.TEXT_MATCH_INSENSITIVE:
        return ref.text_match(_as_text(flt.key, value), case_sensitive=False)
    raise FilterError(f"unsupported filter operator {op.value!r}")  # pragma: no cover


def _as_list(key: str, op: FilterOperator, value: Any) -> list[Any]:
    if isinstance(value, (list, tuple)):
        return list(value)
    if value is None:
        raise FilterError(f"{op.value!r} on {key!r} needs a list of values")
    return [value]  # LlamaIndex lets a single value stand for a one-element list


def _as_text(key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise FilterError(f"text match on {key!r} needs a string, got {value!r}")
    return value


def to_expr(filters: MetadataFilters | None) -> Expr | None:
    """``MetadataFilters`` (nested, with AND / OR / NOT) as a core filter expression.

    ``NOT`` negates the AND of its filters, as LlamaIndex's other stores read it.

    Raises:
        FilterError: an operator given a value it cannot take.
    """
    if filters is None or not filters.filters:
        return None
    parts: list[Expr] = []
    for item in filters.filters:
        if isinstance(item, MetadataFilters):
            inner = to_expr(item)
            if inner is not None:
                parts.append(inner)
        else:
            parts.append(_condition(item))
    if not parts:
        return None
    condition = FilterCondition(filters.condition or FilterCondition.AND)
    if condition is FilterCondition.OR:
        return parts[0] if len(parts) == 1 else Or(tuple(parts))
    joined = parts[0] if len(parts) == 1 else And(tuple(parts))
    return Not(joined) if condition is FilterCondition.NOT else joined


def restriction(
    doc_ids: Iterable[str] | None = None, node_ids: Iterable[str] | None = None
) -> Expr | None:
    """The ``doc_ids`` / ``node_ids`` restriction of a query (None when there is none).

    An empty list means no restriction, as in LlamaIndex's other vector stores: its own
    ``VectorStoreIndex.as_retriever()`` passes ``node_ids=[]`` for a store that keeps the text
    (its ``nodes_dict`` is empty), and that must search everything.
    """
    parts: list[Expr] = []
    doc_list = list(doc_ids or ())
    node_list = list(node_ids or ())
    if doc_list:
        parts.append(field(REF_DOC_ID_KEY).in_(doc_list))
    if node_list:
        parts.append(field(NODE_ID_KEY).in_(node_list))
    return combine(*parts)


def combine(*exprs: Expr | None) -> Expr | None:
    """The AND of the given expressions, skipping None."""
    parts = tuple(e for e in exprs if e is not None)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else And(parts)
