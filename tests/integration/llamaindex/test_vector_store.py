"""LlamaIndex ``RedisAIVectorStore`` against the real server: every filter operator and condition,
every query mode, ID restrictions, deletes, reads, node round trips and the async twins.

Vectors are hand-made 2-d directions, so every expected order and score is known exactly.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import redis
import redis.asyncio
from llama_index.core.schema import (
    BaseNode,
    ImageNode,
    IndexNode,
    NodeRelationship,
    RelatedNodeInfo,
    TextNode,
)
from llama_index.core.vector_stores.types import (
    FilterCondition,
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
    VectorStoreQuery,
    VectorStoreQueryMode,
)

from llamaindex_redisai import RedisAIVectorStore
from redisai_core import Algorithm, FilterError, TagFieldSpec, VectorError
from redisai_core.search import FieldSpec, NumericFieldSpec, TextFieldSpec

EAST, NORTH, NE, WEST, EASTISH = [1.0, 0.0], [0.0, 1.0], [0.7071, 0.7071], [-1.0, 0.0], [0.99, 0.14]


def _name() -> str:
    return f"li-{uuid.uuid4().hex[:10]}"


def _node(
    node_id: str, text: str, vector: list[float], meta: dict[str, Any], ref: str | None
) -> TextNode:
    node = TextNode(id_=node_id, text=text, metadata=meta, embedding=vector)
    if ref is not None:
        node.relationships[NodeRelationship.SOURCE] = RelatedNodeInfo(node_id=ref)
    return node


def _nodes() -> list[TextNode]:
    return [
        _node("n1", "east alpha red apple", EAST,
              {"topic": "a", "year": 2019, "tags": ["x", "y"], "author": "Ann"}, "doc1"),
        _node("n2", "north bravo green", NORTH,
              {"topic": "b", "year": 2020, "tags": ["y"], "author": "bob"}, "doc1"),
        _node("n3", "northeast charlie red", NE,
              {"topic": "a", "year": 2021, "tags": ["z"], "author": "Carl Smith"}, "doc2"),
        _node("n4", "west delta blue", WEST,
              {"topic": "b|c", "year": 2022, "tags": [], "author": "Dora"}, "doc2"),
        _node("n5", "eastish echo red apple", EASTISH,
              {"topic": "a", "year": 2023, "author": "Eve", "extra": {"k": [1, None]}}, None),
    ]  # fmt: skip


@pytest.fixture
def store(redis_url: str) -> Iterator[RedisAIVectorStore]:
    name = _name()
    vs = RedisAIVectorStore(index_name=name, dim=2, redis_url=redis_url, prefix=name)
    assert vs.add(_nodes()) == ["n1", "n2", "n3", "n4", "n5"]
    yield vs
    vs.index.clear(drop_index=True)
    vs.close()


@pytest.fixture
async def astore(redis_url: str) -> AsyncIterator[RedisAIVectorStore]:
    name = _name()
    vs = RedisAIVectorStore(index_name=name, dim=2, redis_url=redis_url, prefix=name)
    assert await vs.async_add(_nodes()) == ["n1", "n2", "n3", "n4", "n5"]
    yield vs
    await vs.async_index.clear(drop_index=True)
    await vs.aclose()


def _ids(vs: RedisAIVectorStore, filters: MetadataFilters | None = None, **kw: Any) -> set[str]:
    result = vs.query(VectorStoreQuery(query_embedding=EAST, similarity_top_k=10, filters=filters,
                                       **kw))  # fmt: skip
    assert result.ids is not None and result.nodes is not None
    assert [n.node_id for n in result.nodes] == result.ids
    return set(result.ids)


def _f(key: str, op: FilterOperator, value: Any) -> MetadataFilter:
    return MetadataFilter(key=key, operator=op, value=value)


OP = FilterOperator


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        (_f("topic", OP.EQ, "a"), {"n1", "n3", "n5"}),
        (_f("topic", OP.NE, "a"), {"n2", "n4"}),
        (_f("year", OP.EQ, 2021), {"n3"}),
        (_f("year", OP.GT, 2020), {"n3", "n4", "n5"}),
        (_f("year", OP.GTE, 2020), {"n2", "n3", "n4", "n5"}),
        (_f("year", OP.LT, 2020), {"n1"}),
        (_f("year", OP.LTE, 2020), {"n1", "n2"}),
        # "b|c" is one value: a "|" never turns into OR (llama-index-vector-stores-redis bug).
        (_f("topic", OP.IN, ["b|c", "zz"]), {"n4"}),
        (_f("topic", OP.IN, ["a", "b"]), {"n1", "n2", "n3", "n5"}),
        (_f("year", OP.IN, [2019, 2023]), {"n1", "n5"}),
        (_f("topic", OP.NIN, ["a"]), {"n2", "n4"}),
        (_f("tags", OP.ANY, ["x", "z"]), {"n1", "n3"}),
        (_f("tags", OP.ALL, ["x", "y"]), {"n1"}),
        (_f("tags", OP.CONTAINS, "y"), {"n1", "n2"}),
        (_f("author", OP.TEXT_MATCH, "Smi"), {"n3"}),
        (_f("author", OP.TEXT_MATCH, "smi"), set()),  # the TAG is case-sensitive
        (_f("text", OP.TEXT_MATCH, "red apple"), {"n1", "n5"}),
        (_f("text", OP.TEXT_MATCH_INSENSITIVE, "RED"), {"n1", "n3", "n5"}),
        (_f("tags", OP.IS_EMPTY, None), {"n4", "n5"}),
        (_f("author", OP.IS_EMPTY, None), set()),
    ],
)
def test_every_operator(store: RedisAIVectorStore, flt: MetadataFilter, expected: set[str]) -> None:
    assert _ids(store, MetadataFilters(filters=[flt])) == expected


def test_conditions_and_or_not_nested(store: RedisAIVectorStore) -> None:
    a = _f("topic", OP.EQ, "a")
    old = _f("year", OP.LT, 2020)
    bc = _f("topic", OP.EQ, "b|c")
    assert _ids(store, MetadataFilters(filters=[a, old])) == {"n1"}
    assert _ids(store, MetadataFilters(filters=[old, bc], condition=FilterCondition.OR)) == {
        "n1",
        "n4",
    }
    assert _ids(store, MetadataFilters(filters=[a], condition=FilterCondition.NOT)) == {"n2", "n4"}
    # NOT negates the AND of its filters.
    assert _ids(store, MetadataFilters(filters=[a, old], condition=FilterCondition.NOT)) == {
        "n2", "n3", "n4", "n5",
    }  # fmt: skip
    years = MetadataFilters(
        filters=[_f("year", OP.EQ, 2019), _f("year", OP.EQ, 2023)], condition=FilterCondition.OR
    )
    assert _ids(store, MetadataFilters(filters=[a, years])) == {"n1", "n5"}
    not_years = MetadataFilters(filters=[years], condition=FilterCondition.NOT)
    assert _ids(store, MetadataFilters(filters=[a, not_years])) == {"n3"}
    deep = MetadataFilters(
        filters=[not_years, MetadataFilters(filters=[bc, old], condition=FilterCondition.OR)],
        condition=FilterCondition.OR,
    )
    assert _ids(store, deep) == {"n1", "n2", "n3", "n4"}
    assert _ids(store, MetadataFilters(filters=[])) == {"n1", "n2", "n3", "n4", "n5"}


def test_filter_errors_are_clear(store: RedisAIVectorStore) -> None:
    with pytest.raises(FilterError, match="unknown_field"):
        _ids(store, MetadataFilters(filters=[_f("unknown_field", OP.EQ, "x")]))
    # A case-insensitive match on a case-sensitive TAG cannot be expressed exactly.
    with pytest.raises(FilterError, match="case"):
        _ids(store, MetadataFilters(filters=[_f("author", OP.TEXT_MATCH_INSENSITIVE, "ann")]))
    with pytest.raises(FilterError, match="number"):
        _ids(store, MetadataFilters(filters=[_f("year", OP.GT, "2020")]))


def test_declared_fields_case_insensitive_tag_and_text(redis_url: str) -> None:
    name = _name()
    fields: list[FieldSpec] = [
        TagFieldSpec(name="author", case_sensitive=False),
        TextFieldSpec(name="title"),
        NumericFieldSpec(name="year"),
    ]
    vs = RedisAIVectorStore(
        index_name=name, dim=2, redis_url=redis_url, prefix=name, metadata_fields=fields
    )
    try:
        vs.add(
            [
                _node("a", "one", EAST, {"author": "Carl Smith", "title": "Deep Sea", "year": 1}, "d"),
                _node("b", "two", NORTH, {"author": "ann", "title": "Shallow sea", "year": 2}, None),
            ]
        )  # fmt: skip
        schema = vs.index.schema
        assert schema is not None
        assert {f.name for f in schema.fields} == {
            "author",
            "title",
            "year",
            "ref_doc_id",
            "node_id",
        }
        q = MetadataFilters(filters=[_f("author", OP.TEXT_MATCH_INSENSITIVE, "SMITH")])
        assert _ids(vs, q) == {"a"}
        q = MetadataFilters(filters=[_f("title", OP.TEXT_MATCH, "SEA")])
        assert _ids(vs, q) == {"a", "b"}
        assert vs.get_nodes(node_ids=["a"])[0].metadata == {
            "author": "Carl Smith", "title": "Deep Sea", "year": 1,
        }  # fmt: skip
        vs.delete("d")
        assert [n.node_id for n in vs.get_nodes()] == ["b"]
    finally:
        vs.index.clear(drop_index=True)
        vs.close()


def test_default_mode_orders_by_similarity_with_scores(store: RedisAIVectorStore) -> None:
    result = store.query(VectorStoreQuery(query_embedding=EAST, similarity_top_k=3))
    assert result.ids == ["n1", "n5", "n3"]
    assert result.similarities is not None
    assert result.similarities[0] == pytest.approx(1.0, abs=1e-6)
    assert result.similarities[1] == pytest.approx(0.99 / (0.99**2 + 0.14**2) ** 0.5, abs=1e-5)
    assert result.similarities[2] == pytest.approx(0.7071 / (2 * 0.7071**2) ** 0.5, abs=1e-5)
    assert result.nodes is not None and result.nodes[0].get_content() == "east alpha red apple"


def test_hybrid_mode_keeps_only_nodes_with_a_query_word(store: RedisAIVectorStore) -> None:
    q = VectorStoreQuery(
        query_embedding=NORTH, query_str="red", similarity_top_k=2,
        mode=VectorStoreQueryMode.HYBRID,
    )  # fmt: skip
    assert store.query(q).ids == ["n3", "n5"]  # n2 is nearest but has no "red"
    q.filters = MetadataFilters(filters=[_f("year", OP.LT, 2023)])
    assert store.query(q).ids == ["n3", "n1"]
    q.query_str = " "
    with pytest.raises(ValueError, match="query_str"):
        store.query(q)


def test_text_search_mode_needs_no_vector(store: RedisAIVectorStore) -> None:
    q = VectorStoreQuery(query_str="Red apple", similarity_top_k=3,
                         mode=VectorStoreQueryMode.TEXT_SEARCH)  # fmt: skip
    result = store.query(q)
    assert result.ids is not None and set(result.ids[:2]) == {"n1", "n5"}  # both words
    assert result.ids[2] == "n3" and len(result.ids) == 3  # one word; the server cut at 3
    scores = result.similarities or []
    assert scores[0] == scores[1] > scores[2] > 0  # the server's BM25 scores
    q.filters = MetadataFilters(filters=[_f("year", OP.GT, 2019)])
    assert store.query(q).ids == ["n5", "n3"]
    q.doc_ids = ["doc2"]
    assert store.query(q).ids == ["n3"]
    q.doc_ids, q.node_ids = None, ["n1", "n3", "n4"]
    assert store.query(q).ids == ["n3"]  # n1 is excluded by the year filter
    q.query_str = "  "
    with pytest.raises(ValueError, match="query_str"):
        store.query(q)


def test_hybrid_alpha_weighs_vector_against_words(store: RedisAIVectorStore) -> None:
    q = VectorStoreQuery(
        query_embedding=NORTH, query_str="red apple", similarity_top_k=3,
        mode=VectorStoreQueryMode.HYBRID,
    )  # fmt: skip
    assert store.query(q).ids == ["n3", "n5", "n1"]  # holding a word, nearest first
    q.alpha = 0.0  # words alone: n1 and n5 hold both, n3 one
    result = store.query(q)
    assert result.ids == ["n5", "n1", "n3"] and result.similarities == [1.0, 1.0, 0.5]
    q.alpha = 1.0
    assert store.query(q).ids == ["n3", "n5", "n1"]


def test_mmr_mode_honours_threshold(store: RedisAIVectorStore) -> None:
    q = VectorStoreQuery(query_embedding=EAST, similarity_top_k=2, mode=VectorStoreQueryMode.MMR,
                         mmr_threshold=1.0)  # fmt: skip
    assert store.query(q).ids == ["n1", "n5"]  # pure relevance
    q.mmr_threshold = 0.1
    assert store.query(q).ids == ["n1", "n4"]  # diversity: the opposite direction
    q.mmr_threshold, q.alpha = None, 0.1  # alpha stands in when no threshold is given
    assert store.query(q).ids == ["n1", "n4"]
    q.filters = MetadataFilters(filters=[_f("topic", OP.EQ, "a")])
    assert store.query(q).ids == ["n1", "n3"]
    # Candidates come from the server: with only the 2 nearest prefetched, n4 is not among them.
    q.filters = None
    assert store.query(q, mmr_prefetch_k=2).ids == ["n1", "n5"]


def test_unsupported_mode_and_missing_embedding(store: RedisAIVectorStore) -> None:
    with pytest.raises(ValueError, match="not supported"):
        store.query(VectorStoreQuery(query_embedding=EAST, mode=VectorStoreQueryMode.SVM))
    with pytest.raises(ValueError, match="query_embedding"):
        store.query(VectorStoreQuery(query_str="red"))


def test_doc_ids_and_node_ids_restrict_queries(store: RedisAIVectorStore) -> None:
    assert _ids(store, doc_ids=["doc2"]) == {"n3", "n4"}
    assert _ids(store, node_ids=["n2", "n5", "nope"]) == {"n2", "n5"}
    assert _ids(store, doc_ids=["doc1"], node_ids=["n2", "n3"]) == {"n2"}
    only_a = MetadataFilters(filters=[_f("topic", OP.EQ, "a")])
    assert _ids(store, only_a, doc_ids=["doc1", "doc2"]) == {"n1", "n3"}
    # An empty list is no restriction (LlamaIndex's own retriever passes node_ids=[]).
    everything = _ids(store)
    assert _ids(store, doc_ids=[]) == everything == _ids(store, node_ids=[])
    assert len(everything) == 5


def test_delete_by_ref_doc_id_and_delete_nodes(store: RedisAIVectorStore) -> None:
    store.delete("doc1")
    assert {n.node_id for n in store.get_nodes()} == {"n3", "n4", "n5"}
    store.delete("no-such-doc")
    store.delete_nodes(node_ids=["n3", "missing"])
    assert {n.node_id for n in store.get_nodes()} == {"n4", "n5"}
    store.add(_nodes()[:3])
    # IDs and filters together delete only what both select.
    store.delete_nodes(
        node_ids=["n1", "n2"], filters=MetadataFilters(filters=[_f("topic", OP.EQ, "a")])
    )
    assert {n.node_id for n in store.get_nodes()} == {"n2", "n3", "n4", "n5"}
    store.delete_nodes(filters=MetadataFilters(filters=[_f("year", OP.GTE, 2022)]))
    assert {n.node_id for n in store.get_nodes()} == {"n2", "n3"}
    with pytest.raises(ValueError, match="clear"):
        store.delete_nodes()


def test_get_nodes_by_ids_filters_and_both(store: RedisAIVectorStore) -> None:
    got = store.get_nodes(node_ids=["n3", "missing", "n1"])
    assert [n.node_id for n in got] == ["n3", "n1"]
    assert got[0].get_content() == "northeast charlie red" and got[0].ref_doc_id == "doc2"
    assert got[0].metadata == {"topic": "a", "year": 2021, "tags": ["z"], "author": "Carl Smith"}
    by_filter = store.get_nodes(filters=MetadataFilters(filters=[_f("tags", OP.CONTAINS, "y")]))
    assert {n.node_id for n in by_filter} == {"n1", "n2"}
    both = store.get_nodes(
        node_ids=["n1", "n3"], filters=MetadataFilters(filters=[_f("tags", OP.CONTAINS, "y")])
    )
    assert [n.node_id for n in both] == ["n1"]
    assert len(store.get_nodes()) == 5


def test_clear_leaves_foreign_keys_alone(store: RedisAIVectorStore, redis_url: str) -> None:
    prefix = store.index.keyspace.head
    foreign = [prefix.rstrip(":") + "-other", "other:" + prefix, prefix.rstrip(":")]
    with redis.Redis.from_url(redis_url) as r:
        for key in foreign:
            r.set(key, "keep")
        try:
            store.clear()
            assert store.get_nodes() == []
            assert store.query(VectorStoreQuery(query_embedding=EAST, similarity_top_k=4)).ids == []
            assert all(r.get(k) == b"keep" for k in foreign)
            store.add(_nodes()[:1])  # the index survived the clear
            assert _ids(store) == {"n1"}
        finally:
            r.delete(*foreign)


def test_node_types_and_relationships_round_trip(store: RedisAIVectorStore) -> None:
    text = TextNode(
        id_="rel:1 with spaces|and pipes",
        text="rich node",
        metadata={"nested": {"a": [1, 2, {"b": None}]}, "uni": "héllo ✓"},
        excluded_embed_metadata_keys=["uni"],
        excluded_llm_metadata_keys=["nested"],
        start_char_idx=3,
        end_char_idx=12,
        embedding=NE,
    )
    text.relationships = {
        NodeRelationship.SOURCE: RelatedNodeInfo(node_id="docX", metadata={"m": 1}),
        NodeRelationship.PREVIOUS: RelatedNodeInfo(node_id="p"),
        NodeRelationship.NEXT: RelatedNodeInfo(node_id="n"),
        NodeRelationship.PARENT: RelatedNodeInfo(node_id="parent"),
        NodeRelationship.CHILD: [RelatedNodeInfo(node_id="c1"), RelatedNodeInfo(node_id="c2")],
    }
    index = IndexNode(id_="idx", text="points elsewhere", index_id="other-index", embedding=NORTH)
    image = ImageNode(id_="img", text="a caption", image_url="http://example.invalid/x.png",
                      embedding=WEST)  # fmt: skip
    written: list[BaseNode] = [text, index, image]
    store.add(written)
    got = store.get_nodes(node_ids=[n.node_id for n in written])
    assert [type(n) for n in got] == [TextNode, IndexNode, ImageNode]
    for before, after in zip(written, got, strict=True):
        expected = before.model_dump(exclude={"embedding"})
        assert after.model_dump(exclude={"embedding"}) == expected
    assert got[0].ref_doc_id == "docX" and got[0].child_nodes is not None
    assert [c.node_id for c in got[0].child_nodes] == ["c1", "c2"]
    hit = store.query(
        VectorStoreQuery(query_embedding=NORTH, similarity_top_k=1, node_ids=["idx", "img"])
    )
    assert hit.nodes is not None and isinstance(hit.nodes[0], IndexNode)
    assert hit.nodes[0].model_dump(exclude={"embedding"}) == index.model_dump(exclude={"embedding"})


def test_bad_nodes_write_nothing(store: RedisAIVectorStore) -> None:
    with pytest.raises(ValueError, match="mbedding"):
        store.add([_node("ok", "fine", EAST, {}, None), TextNode(id_="noemb", text="x")])
    with pytest.raises(VectorError):
        store.add(
            [_node("ok", "fine", EAST, {}, None), _node("bad", "x", [1.0, 0.0, 0.0], {}, None)]
        )
    with pytest.raises(ValueError, match="empty"):
        store.add([_node("ok", "fine", EAST, {}, None), _node("blank", "  ", EAST, {}, None)])
    assert store.get_nodes(node_ids=["ok", "noemb", "bad", "blank"]) == []


def test_hnsw_and_l2_settings_reach_the_index(redis_url: str) -> None:
    name = _name()
    vs = RedisAIVectorStore(
        index_name=name, dim=2, redis_url=redis_url, prefix=name,
        distance_metric="L2", algorithm=Algorithm.HNSW,
    )  # fmt: skip
    try:
        vs.add(_nodes())
        schema = vs.index.schema
        assert schema is not None and schema.vector.algorithm is Algorithm.HNSW
        result = vs.query(VectorStoreQuery(query_embedding=[2.0, 0.0], similarity_top_k=1))
        assert result.ids == ["n1"]
        assert result.similarities is not None
        assert result.similarities[0] == pytest.approx(1 / (1 + 1.0), abs=1e-6)
    finally:
        vs.index.clear(drop_index=True)
        vs.close()


# -- async ---------------------------------------------------------------------------------


async def test_async_queries_match_sync_semantics(astore: RedisAIVectorStore) -> None:
    a = MetadataFilters(filters=[_f("topic", OP.EQ, "a")])
    result = await astore.aquery(VectorStoreQuery(query_embedding=EAST, similarity_top_k=2))
    assert result.ids == ["n1", "n5"]
    result = await astore.aquery(
        VectorStoreQuery(query_embedding=EAST, similarity_top_k=10, filters=MetadataFilters(
            filters=[a], condition=FilterCondition.NOT))
    )  # fmt: skip
    assert set(result.ids or []) == {"n2", "n4"}
    hybrid = VectorStoreQuery(query_embedding=NORTH, query_str="red", similarity_top_k=2,
                              mode=VectorStoreQueryMode.HYBRID)  # fmt: skip
    assert (await astore.aquery(hybrid)).ids == ["n3", "n5"]
    text = VectorStoreQuery(query_str="red apple", similarity_top_k=2,
                            mode=VectorStoreQueryMode.TEXT_SEARCH)  # fmt: skip
    assert set((await astore.aquery(text)).ids or []) == {"n1", "n5"}
    mmr = VectorStoreQuery(query_embedding=EAST, similarity_top_k=2,
                           mode=VectorStoreQueryMode.MMR, mmr_threshold=0.1)  # fmt: skip
    assert (await astore.aquery(mmr)).ids == ["n1", "n4"]
    restricted = VectorStoreQuery(query_embedding=EAST, similarity_top_k=5,
                                  doc_ids=["doc2"], node_ids=["n4", "n5"])  # fmt: skip
    assert (await astore.aquery(restricted)).ids == ["n4"]


async def test_async_reads_deletes_and_clear(astore: RedisAIVectorStore) -> None:
    got = await astore.aget_nodes(node_ids=["n2", "n1"])
    assert [n.node_id for n in got] == ["n2", "n1"] and got[0].ref_doc_id == "doc1"
    by_filter = await astore.aget_nodes(filters=MetadataFilters(filters=[_f("year", OP.GT, 2021)]))
    assert {n.node_id for n in by_filter} == {"n4", "n5"}
    await astore.adelete("doc2")
    assert {n.node_id for n in await astore.aget_nodes()} == {"n1", "n2", "n5"}
    await astore.adelete_nodes(node_ids=["n1"])
    await astore.adelete_nodes(filters=MetadataFilters(filters=[_f("topic", OP.EQ, "b")]))
    assert [n.node_id for n in await astore.aget_nodes()] == ["n5"]
    await astore.aclear()
    assert await astore.aget_nodes() == []


async def test_injected_clients(redis_url: str) -> None:
    name = _name()
    conn = redis.asyncio.Redis.from_url(redis_url)
    vs = RedisAIVectorStore(index_name=name, dim=2, redis_client=conn, prefix=name)
    try:
        await vs.async_add(_nodes())
        with pytest.raises(NotImplementedError, match="async"):
            vs.query(VectorStoreQuery(query_embedding=EAST))
        # A sync client: async methods run the sync core in a worker thread.
        with redis.Redis.from_url(redis_url) as sync_conn:
            other = RedisAIVectorStore(index_name=name, redis_client=sync_conn, prefix=name)
            result = await other.aquery(VectorStoreQuery(query_embedding=WEST, similarity_top_k=1))
            assert result.ids == ["n4"]
            await other.adelete_nodes(node_ids=["n4"])
            other.close()
        assert [n.node_id for n in await vs.aget_nodes(node_ids=["n4", "n5"])] == ["n5"]
    finally:
        await vs.async_index.clear(drop_index=True)
        await vs.aclose()
        await conn.aclose()


def test_index_as_retriever_searches_the_whole_store(store: RedisAIVectorStore) -> None:
    """VectorStoreIndex.as_retriever() passes node_ids=[] for stores that keep the text."""
    from llama_index.core import VectorStoreIndex
    from llama_index.core.embeddings import MockEmbedding

    class _East(MockEmbedding):
        def _get_query_embedding(self, query: str) -> list[float]:
            return list(EAST)

    index = VectorStoreIndex.from_vector_store(store, embed_model=_East(embed_dim=2))
    hits = index.as_retriever(similarity_top_k=2).retrieve("anything")
    assert len(hits) == 2
    assert {h.node.node_id for h in hits} <= {"n1", "n2", "n3", "n4", "n5"}
