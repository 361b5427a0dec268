"""Pure LlamaIndex vector mappings: filters to core expressions, node records."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from llama_index.core.schema import (
    BaseNode,
    ImageNode,
    IndexNode,
    MediaResource,
    MetadataMode,
    Node,
    NodeRelationship,
    ObjectType,
    RelatedNodeInfo,
    TextNode,
)
from llama_index.core.vector_stores.types import (
    FilterCondition,
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
)
from llama_index.core.vector_stores.utils import node_to_metadata_dict
from pydantic import AnyUrl

from llamaindex_redisai import _vector_mapping
from llamaindex_redisai._vector_mapping import (
    node_metadata,
    node_to_parts,
    record_to_node,
    restriction,
    to_expr,
)
from redisai_core.search import And, Compare, IsEmpty, Not, Or


def _f(key: str, op: FilterOperator, value: object) -> MetadataFilter:
    return MetadataFilter(key=key, operator=op, value=value)  # type: ignore[arg-type]


def test_filters_map_onto_the_core_tree() -> None:
    flt = MetadataFilters(
        filters=[
            _f("a", FilterOperator.EQ, "x"),
            MetadataFilters(
                filters=[_f("n", FilterOperator.GTE, 3), _f("t", FilterOperator.IS_EMPTY, None)],
                condition=FilterCondition.OR,
            ),
            MetadataFilters(filters=[_f("s", FilterOperator.NIN, ["p", "q"])],
                            condition=FilterCondition.NOT),
        ]
    )  # fmt: skip
    assert to_expr(flt) == And(
        (
            Compare("a", "==", "x"),
            Or((Compare("n", ">=", 3), IsEmpty("t"))),
            Not(Compare("s", "not_in", ("p", "q"))),
        )
    )
    insensitive = MetadataFilters(filters=[_f("a", FilterOperator.TEXT_MATCH_INSENSITIVE, "Hi")])
    assert to_expr(insensitive) == Compare("a", "text_match", "Hi", False)
    assert to_expr(MetadataFilters(filters=[])) is None
    assert to_expr(None) is None


def test_restriction_uses_the_id_tags() -> None:
    assert restriction(["d"], None) == Compare("ref_doc_id", "in", ("d",))
    assert restriction(None, ["n1", "n2"]) == Compare("node_id", "in", ("n1", "n2"))
    assert restriction() is None


def test_node_records_round_trip_and_read_llamaindex_own_format() -> None:
    node = TextNode(id_="n", text="body", metadata={"k": [1, {"x": None}]})
    node.relationships[NodeRelationship.SOURCE] = RelatedNodeInfo(node_id="doc")
    meta = node_metadata(node)
    assert meta["ref_doc_id"] == "doc" and meta["node_id"] == "n"
    # Text, embedding and metadata live in their own places, not twice.
    assert not {"text", "embedding", "metadata"} & set(meta["_node_content"])
    back = record_to_node("n", "body", meta)
    assert back.model_dump() == node.model_dump()
    # A record in llama-index's own string convention reads back too.
    legacy = node_to_metadata_dict(node, remove_text=True)
    assert record_to_node("n", "body", legacy).model_dump() == node.model_dump()
    # Metadata that uses our key names is kept whole inside the content.
    clash = TextNode(id_="c", text="t", metadata={"node_id": "theirs", "ref_doc_id": 7})
    assert record_to_node("c", "t", node_metadata(clash)).metadata == clash.metadata
    plain = record_to_node("lc:1", "from langchain", {"topic": "a"})
    assert isinstance(plain, TextNode) and plain.metadata == {"topic": "a"}


# -- node_to_parts: the fast path writes what model_dump writes -------------------------------


def _reference_parts(node: BaseNode) -> tuple[str, list[float], dict[str, Any]]:
    text = node.get_content(metadata_mode=MetadataMode.NONE)
    return text, node.get_embedding(), _reference_metadata(node)


def _reference_metadata(node: BaseNode) -> dict[str, Any]:
    """The record convention by its definition: pydantic's JSON-mode dump, defaults left out."""
    content = node.model_dump(
        mode="json", exclude_defaults=True, exclude={"embedding", "text", "text_resource"}
    )
    user = content.pop("metadata", None) or {}
    metadata = dict(user)
    if {"ref_doc_id", "node_id", "_node_type", "_node_content"} & set(user):
        content["metadata"] = user
    metadata.update(
        ref_doc_id=node.ref_doc_id or "",
        node_id=node.node_id,
        _node_type=node.class_name(),
        _node_content=content,
    )
    return metadata


def _outcome(convert: Any, node: BaseNode) -> tuple[str, str]:
    """What a conversion gives, typed exactly (True is not 1, 1.0 is not 1) or what it raised."""
    try:
        parts = convert(node)
    except Exception as exc:  # both must fail alike
        return "raised", type(exc).__name__
    return "ok", json.dumps(parts, sort_keys=True)


class _MyNode(TextNode):
    """A subclass the fast path does not know: it must go through model_dump."""

    extra_note: str = "n"

    @classmethod
    def class_name(cls) -> str:
        return "MyNode"


_RESERVED = ["ref_doc_id", "node_id", "_node_type", "_node_content"]
_keys = st.sampled_from([*_RESERVED, "topic", "year", ""]) | st.text(max_size=6)
_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**64)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
)
_json_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=3),
    max_leaves=8,
)
# Values JSON mode converts (non-finite floats to null, tuples to lists, ...) or refuses: the
# fast path must leave them to model_dump.
_odd_values = st.sampled_from(
    [float("nan"), float("inf"), -float("inf"), (1, "a"), datetime.date(2024, 1, 2), b"raw",
     ObjectType.TEXT, NodeRelationship.CHILD, frozenset({3}), {1: "int key"}, [1, (2,)],
     {"deep": {"er": [datetime.time(1, 2)]}}]
)  # fmt: skip
_metadata = st.dictionaries(_keys, _json_values, max_size=5)
_related = st.builds(
    RelatedNodeInfo,
    node_id=st.text(max_size=4),
    node_type=st.none() | st.sampled_from(ObjectType) | st.text(max_size=3),
    metadata=st.dictionaries(_keys, _json_values, max_size=2),
    hash=st.none() | st.text(max_size=4),
)
# A list under SOURCE fails (ref_doc_id raises on it): tested on its own below.
_relationships = st.fixed_dictionaries(
    {},
    optional={
        kind: _related
        if kind is NodeRelationship.SOURCE
        else _related | st.lists(_related, max_size=3)
        for kind in NodeRelationship
    },
)
_rarely = st.lists(st.booleans(), min_size=3, max_size=3).map(all)  # about 1 in 8
_maybe = st.booleans()


@st.composite
def _nodes(draw: st.DrawFn) -> BaseNode:
    cls = draw(st.sampled_from([TextNode, TextNode, Node, IndexNode, ImageNode, _MyNode]))
    kwargs: dict[str, Any] = {
        "id_": draw(st.text(max_size=6)),
        "metadata": draw(_metadata),
        "relationships": draw(_relationships),
        "embedding": draw(st.lists(st.floats(allow_nan=False, allow_infinity=False), max_size=3)),
    }
    if draw(_rarely):
        kwargs["embedding"] = None  # both raise
    for name in ("excluded_embed_metadata_keys", "excluded_llm_metadata_keys"):
        if draw(_maybe):
            kwargs[name] = draw(st.lists(_keys, max_size=3))
    for name, choices in (
        ("metadata_template", ["{key}: {value}", "{key}={value}"]),
        ("metadata_separator", ["\n", " | "]),
        ("text_template", ["{metadata_str}\n\n{content}", "{content}"]),
    ):
        if draw(_maybe):  # the default spelled out, or another value
            kwargs[name] = draw(st.sampled_from(choices))
    text = draw(st.text(max_size=10))
    if cls is Node:
        if draw(_maybe):
            kwargs["text_resource"] = MediaResource(text=text)
        if draw(_rarely):
            kwargs["image_resource"] = MediaResource(url=AnyUrl("https://example.com/a.png"))
    else:
        kwargs["text"] = text
        if draw(_maybe):
            kwargs["mimetype"] = draw(st.sampled_from(["text/plain", "text/markdown"]))
        for name in ("start_char_idx", "end_char_idx"):
            if draw(_maybe):
                kwargs[name] = draw(st.integers(0, 3))
    if cls is IndexNode:
        kwargs["index_id"] = draw(st.text(max_size=4))
        if draw(_rarely):
            kwargs["obj"] = draw(st.sampled_from(["a string", TextNode(id_="inner", text="x")]))
    if cls is ImageNode:
        for name in ("image", "image_path", "image_url", "image_mimetype"):
            if draw(_maybe):
                kwargs[name] = draw(st.text(max_size=5))
        if draw(_maybe):
            kwargs["text_embedding"] = [0.5, -1.0]
    node: BaseNode = cls(**kwargs)
    if draw(_rarely):  # odd values now and then only, so that most nodes take the fast path
        odd = draw(_odd_values)
        if draw(_maybe):
            node.metadata[draw(_keys)] = odd
        else:
            node.metadata["nested"] = {"in": [1, odd]}
    # What in-place changes can leave behind, which validation would have refused.
    tamper = draw(st.integers(0, 4)) if draw(_rarely) else None
    if tamper == 0:
        node.metadata[1] = "int key"  # type: ignore[index]
    elif tamper == 1:
        node.excluded_llm_metadata_keys.append(7)  # type: ignore[arg-type]
    elif tamper == 2:
        node.relationships["1"] = RelatedNodeInfo(node_id="str key")  # type: ignore[index]
    elif tamper == 3:
        info = RelatedNodeInfo(node_id="n")
        info.hash = (1,)  # type: ignore[assignment]  # RelatedNodeInfo validates no assignment
        node.relationships[NodeRelationship.NEXT] = info
    elif tamper == 4:
        when = {"when": datetime.date(2024, 1, 2)}
        node.relationships[NodeRelationship.PARENT] = RelatedNodeInfo(node_id="p", metadata=when)
    return node


@settings(max_examples=400, deadline=None)
@given(_nodes())
def test_node_to_parts_equals_the_model_dump_definition(node: BaseNode) -> None:
    assert _outcome(node_to_parts, node) == _outcome(_reference_parts, node)
    assert _outcome(node_metadata, node) == _outcome(_reference_metadata, node)


def test_the_fast_path_takes_stock_nodes_and_passes_on_the_rest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slow: list[str] = []
    dumped = _vector_mapping._dumped_metadata

    def counting(node: BaseNode) -> dict[str, Any]:
        slow.append(node.node_id)
        return dumped(node)

    monkeypatch.setattr(_vector_mapping, "_dumped_metadata", counting)
    source = {
        NodeRelationship.SOURCE: RelatedNodeInfo(node_id="doc", node_type=ObjectType.DOCUMENT)
    }
    children = {
        NodeRelationship.CHILD: [RelatedNodeInfo(node_id="c1"), RelatedNodeInfo(node_id="c2")]
    }
    fast = [
        TextNode(id_="t", text="x", metadata={"topic": "a", "year": 2001}, embedding=[1.0]),
        TextNode(id_="r", text="x", relationships={**source, **children}, embedding=[1.0],
                 metadata={"node_id": "theirs", "nested": {"l": [1.5, None, True]}}),
        Node(id_="n", text_resource=MediaResource(text="x"), embedding=[1.0]),
        IndexNode(id_="i", text="x", index_id="idx", embedding=[1.0], start_char_idx=0),
        ImageNode(id_="m", image_path="a.png", embedding=[1.0], excluded_llm_metadata_keys=["k"]),
    ]  # fmt: skip
    for node in fast:
        assert node_to_parts(node) == _reference_parts(node)
    assert slow == []
    odd = [
        _MyNode(id_="sub", text="x", embedding=[1.0]),
        TextNode(id_="nan", text="x", metadata={"v": float("nan")}, embedding=[1.0]),
        TextNode(id_="tuple", text="x", metadata={"v": (1, 2)}, embedding=[1.0]),
        IndexNode(id_="obj", text="x", index_id="i", obj="thing", embedding=[1.0]),
        Node(id_="img", image_resource=MediaResource(url=AnyUrl("https://example.com/a.png")),
             embedding=[1.0]),
        TextNode(id_="deep", text="x", metadata={"v": _deep(40)}, embedding=[1.0]),
    ]  # fmt: skip
    for node in odd:
        assert node_to_parts(node) == _reference_parts(node)
    assert slow == [n.node_id for n in odd]
    with pytest.raises(ValueError, match="embedding not set"):
        node_to_parts(TextNode(id_="e", text="x"))
    with pytest.raises(ValueError, match="single RelatedNodeInfo"):
        listed = {NodeRelationship.SOURCE: [RelatedNodeInfo(node_id="d")]}
        node_to_parts(TextNode(id_="s", embedding=[1.0], relationships=listed))


def _deep(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = [value]
    return value
