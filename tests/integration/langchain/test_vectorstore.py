"""``RedisAIVectorStore``: the langchain-tests standard suite (sync and async) and what it skips."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import redis
from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding, Embeddings
from langchain_tests.integration_tests import VectorStoreIntegrationTests

from langchain_redisai.vectorstores import RedisAIVectorStore
from redisai_core import FilterError


def _name() -> str:
    return f"lc-{uuid.uuid4().hex[:10]}"


class TestRedisAIVectorStore(VectorStoreIntegrationTests):
    @pytest.fixture
    async def vectorstore(self, redis_url: str) -> AsyncIterator[RedisAIVectorStore]:  # type: ignore[override]
        name = _name()
        store = RedisAIVectorStore(
            self.get_embeddings(), index_name=name, redis_url=redis_url, prefix=name
        )
        yield store
        await store.aclear(drop_index=True)
        await store.aclose()


_AXES: dict[str, list[float]] = {
    "east": [1.0, 0.0],
    "north": [0.0, 1.0],
    "northeast": [0.7071, 0.7071],
    "west": [-1.0, 0.0],
    "eastish": [0.99, 0.14],
}


class _AxisEmbeddings(Embeddings):
    """Hand-made 2-d vectors so expected orders and scores are known exactly."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [_AXES[t.split()[0]] for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return _AXES[text.split(maxsplit=1)[0]]


@pytest.fixture
async def axis_store(redis_url: str) -> AsyncIterator[RedisAIVectorStore]:
    name = _name()
    texts = ["east a", "north b", "northeast c", "west d", "eastish e"]
    metadatas = [
        {"topic": "a", "year": 2019},
        {"topic": "b", "year": 2020},
        {"topic": "a", "year": 2021},
        {"topic": "b|c", "year": 2022},
        {"topic": "a", "year": 2023, "extra": {"k": [1, None]}},
    ]
    store = RedisAIVectorStore.from_texts(
        texts,
        _AxisEmbeddings(),
        metadatas,
        ids=["id:east", "id:north", "id:ne", "id:west", "id:eastish"],
        index_name=name,
        redis_url=redis_url,
        prefix=name,
    )
    yield store
    await store.aclear(drop_index=True)
    await store.aclose()


async def test_from_texts_keeps_ids_and_results_carry_them(axis_store: RedisAIVectorStore) -> None:
    docs = axis_store.similarity_search("east", k=2)
    assert [d.id for d in docs] == ["id:east", "id:eastish"]
    assert docs[1].metadata == {"topic": "a", "year": 2023, "extra": {"k": [1, None]}}
    adocs = await axis_store.asimilarity_search("east", k=2)
    assert adocs == docs
    assert [d.id for d in axis_store.get_by_ids(["id:west", "nope"])] == ["id:west"]


async def test_scores_and_relevance(axis_store: RedisAIVectorStore) -> None:
    pairs = axis_store.similarity_search_with_score("east", k=5)
    assert [d.id for d, _ in pairs] == ["id:east", "id:eastish", "id:ne", "id:north", "id:west"]
    distances = [s for _, s in pairs]
    assert distances[0] == pytest.approx(0.0, abs=1e-6) and distances[-1] == pytest.approx(
        2.0, abs=1e-6
    )
    relevance = axis_store.similarity_search_with_relevance_scores("east", k=5)
    assert [round(s, 3) for _, s in relevance] == [
        1.0,
        round(0.99 / (0.99**2 + 0.14**2) ** 0.5, 3),
        0.707,
        0.0,
        0.0,
    ]
    arelevance = await axis_store.asimilarity_search_with_relevance_scores("east", k=5)
    assert [s for _, s in arelevance] == pytest.approx([s for _, s in relevance])
    above = axis_store.similarity_search_with_relevance_scores("east", k=5, score_threshold=0.5)
    assert [d.id for d, _ in above] == ["id:east", "id:eastish", "id:ne"]


async def test_filters(axis_store: RedisAIVectorStore) -> None:
    def ids(flt: object) -> list[str | None]:
        return [d.id for d in axis_store.similarity_search("east", k=5, filter=flt)]

    assert ids({"topic": "a", "year": {"$gte": 2021}}) == ["id:eastish", "id:ne"]
    assert ids({"topic": "b|c"}) == ["id:west"]
    assert ids({"$or": [{"topic": "b"}, {"year": {"$lt": 2020}}]}) == ["id:east", "id:north"]
    assert ids({"$not": {"topic": "a"}}) == ["id:north", "id:west"]
    assert ids({"topic": {"$in": ["b", "b|c"]}}) == ["id:north", "id:west"]
    assert [
        d.id
        for d in await axis_store.asimilarity_search("east", k=5, filter={"topic": {"$nin": ["a"]}})
    ] == ["id:north", "id:west"]
    with pytest.raises(FilterError):
        axis_store.similarity_search("east", filter={"nope": 1})


async def test_mmr_and_retrievers(axis_store: RedisAIVectorStore) -> None:
    mmr = axis_store.max_marginal_relevance_search("east", k=2, fetch_k=5, lambda_mult=0.3)
    assert mmr[0].id == "id:east" and mmr[1].id != "id:eastish"
    ammr = await axis_store.amax_marginal_relevance_search("east", k=2, fetch_k=5, lambda_mult=0.3)
    assert [d.id for d in ammr] == [d.id for d in mmr]
    similar = axis_store.as_retriever(search_kwargs={"k": 2}).invoke("east")
    assert [d.id for d in similar] == ["id:east", "id:eastish"]
    threshold = axis_store.as_retriever(
        search_type="similarity_score_threshold", search_kwargs={"score_threshold": 0.9, "k": 5}
    )
    assert [d.id for d in await threshold.ainvoke("east")] == ["id:east", "id:eastish"]
    diverse = axis_store.as_retriever(
        search_type="mmr", search_kwargs={"k": 2, "fetch_k": 5, "lambda_mult": 0.3}
    )
    assert [d.id for d in diverse.invoke("east")] == [d.id for d in mmr]
    filtered = axis_store.as_retriever(search_kwargs={"k": 5, "filter": {"topic": "b"}})
    assert [d.id for d in filtered.invoke("east")] == ["id:north"]


async def test_delete_by_filter(axis_store: RedisAIVectorStore) -> None:
    assert axis_store.delete(filter={"topic": "a"})
    assert [d.id for d in axis_store.similarity_search("east", k=5)] == ["id:north", "id:west"]
    assert await axis_store.adelete(["id:north"])
    assert [d.id for d in await axis_store.asimilarity_search("east", k=5)] == ["id:west"]
    with pytest.raises(ValueError):
        axis_store.delete()


async def test_sync_only_client_runs_async_methods_in_a_thread(redis_url: str) -> None:
    name = _name()
    client = redis.Redis.from_url(redis_url)
    store = RedisAIVectorStore(
        DeterministicFakeEmbedding(size=4), index_name=name, redis_client=client, prefix=name
    )
    ids = await store.aadd_documents(
        [Document(page_content="x", id="given"), Document(page_content="y")]
    )
    assert ids[0] == "given" and len(ids[1]) == 32
    assert {d.id for d in await store.aget_by_ids(ids)} == set(ids)
    await store.aclear(drop_index=True)
    client.close()
