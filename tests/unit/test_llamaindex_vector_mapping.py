"""Pure LlamaIndex vector mappings: filters to core expressions, node records."""

from __future__ import annotations

from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode
from llama_index.core.vector_stores.types import (
    FilterCondition,
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
)
from llama_index.core.vector_stores.utils import node_to_metadata_dict

from llamaindex_redisai._vector_mapping import (
    node_metadata,
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
