"""One collection, two frameworks: what LlamaIndex writes LangChain searches, and the reverse.

Both skins store records the same way (record ID = document/node ID, content in ``text``,
vector in ``vector``, metadata as JSON plus indexed projections), so opening the same
``index_name`` and ``prefix`` from the other framework adopts the index and finds everything.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from langchain_core.embeddings import Embeddings
from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode
from llama_index.core.vector_stores.types import (
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
    VectorStoreQuery,
)

from langchain_redisai import RedisAIVectorStore as LCStore
from llamaindex_redisai import RedisAIVectorStore as LIStore
from redisai_core import FilterError

_AXES = {"east": [1.0, 0.0], "north": [0.0, 1.0], "west": [-1.0, 0.0]}


class _AxisEmbeddings(Embeddings):
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [_AXES[t.split()[0]] for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return _AXES[text.split(maxsplit=1)[0]]


@pytest.fixture
def name() -> Iterator[str]:
    yield f"interop-{uuid.uuid4().hex[:10]}"


def test_llamaindex_writes_langchain_searches(redis_url: str, name: str) -> None:
    li = LIStore(index_name=name, dim=2, redis_url=redis_url, prefix=name)
    lc = LCStore(_AxisEmbeddings(), index_name=name, redis_url=redis_url, prefix=name)
    try:
        nodes = [
            TextNode(id_="node:1", text="east one", embedding=[1.0, 0.0],
                     metadata={"topic": "a", "year": 2020}),
            TextNode(id_="node:2", text="north two", embedding=[0.0, 1.0],
                     metadata={"topic": "b", "year": 2021}),
            TextNode(id_="node:3", text="west three", embedding=[-1.0, 0.0],
                     metadata={"topic": "a", "year": 2022}),
        ]  # fmt: skip
        nodes[0].relationships[NodeRelationship.SOURCE] = RelatedNodeInfo(node_id="doc")
        li.add(nodes)
        docs = lc.similarity_search("east", k=3, filter={"topic": "a"})
        assert [d.id for d in docs] == ["node:1", "node:3"]
        assert [d.page_content for d in docs] == ["east one", "west three"]
        assert docs[0].metadata["topic"] == "a" and docs[0].metadata["year"] == 2020
        # LlamaIndex's own keys ride along (and are filterable from LangChain too).
        assert docs[0].metadata["ref_doc_id"] == "doc"
        assert [d.id for d in lc.similarity_search("east", k=3, filter={"ref_doc_id": "doc"})] == [
            "node:1"
        ]
        scored = lc.similarity_search_with_relevance_scores("north", k=1)
        assert scored[0][0].id == "node:2" and scored[0][1] == pytest.approx(1.0, abs=1e-6)
        assert [d.id for d in lc.get_by_ids(["node:2"])] == ["node:2"]
        # A delete through LangChain is seen by LlamaIndex.
        lc.delete(["node:3"])
        assert {n.node_id for n in li.get_nodes()} == {"node:1", "node:2"}
    finally:
        li.index.clear(drop_index=True)
        li.close()
        lc.close()


def test_langchain_writes_llamaindex_searches(redis_url: str, name: str) -> None:
    lc = LCStore.from_texts(
        ["east one", "north two", "west three"],
        _AxisEmbeddings(),
        [{"topic": "a", "year": 2020}, {"topic": "b", "year": 2021}, {"topic": "a", "year": 2022}],
        ids=["lc:1", "lc:2", "lc:3"],
        index_name=name,
        redis_url=redis_url,
        prefix=name,
    )
    # No dimension and no fields given: LlamaIndex adopts the index LangChain created.
    li = LIStore(index_name=name, redis_url=redis_url, prefix=name)
    try:
        filters = MetadataFilters(
            filters=[MetadataFilter(key="year", operator=FilterOperator.GTE, value=2021)]
        )
        result = li.query(
            VectorStoreQuery(query_embedding=[0.6, 0.8], similarity_top_k=3, filters=filters)
        )
        assert result.ids == ["lc:2", "lc:3"]
        assert result.nodes is not None
        assert [n.get_content() for n in result.nodes] == ["north two", "west three"]
        assert result.nodes[0].metadata == {"topic": "b", "year": 2021}
        assert result.similarities is not None
        assert result.similarities == pytest.approx([0.8, 0.0], abs=1e-6)
        got = li.get_nodes(node_ids=["lc:3", "lc:1"])
        assert [(n.node_id, n.get_content()) for n in got] == [
            ("lc:3", "west three"),
            ("lc:1", "east one"),
        ]
        # LangChain wrote no ref_doc_id tag, so that restriction says so clearly; node_ids
        # restrict queries by key, so they work on any record.
        with pytest.raises(FilterError, match="ref_doc_id"):
            li.delete("some-doc")
        only = li.query(
            VectorStoreQuery(query_embedding=[0.0, 1.0], similarity_top_k=3, node_ids=["lc:1"])
        )
        assert only.ids == ["lc:1"]
        # A delete through LlamaIndex is seen by LangChain.
        li.delete_nodes(node_ids=["lc:1"])
        assert [d.id for d in lc.similarity_search("east", k=3)] == ["lc:2", "lc:3"]
    finally:
        lc.clear(drop_index=True)
        lc.close()
        li.close()
