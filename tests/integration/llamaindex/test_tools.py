"""``RedisAIToolSpec`` against the real server: the model, search and cache-statistics tools,
called as LlamaIndex ``FunctionTool``s (sync and async, no LLM), and the iris example model."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import redis
from langchain_core.outputs import Generation
from llama_index.core.schema import TextNode

from langchain_redisai import RedisAICache
from llamaindex_redisai import RedisAIEmbedding, RedisAIToolSpec, RedisAIVectorStore
from redisai_core import (
    CacheStats,
    ConfigError,
    KeyEmptyError,
    KeySpace,
    RedisAIClient,
    TensorError,
)
from tests.integration import ai_hosted_helpers as models

ONE = [1.0, 2.0, 3.0, 4.0]
PASSAGES = {
    "p1": "Irises are flowering plants with showy petals and sepals.",
    "p2": "Redis keeps data in memory and answers in microseconds.",
    "p3": "The Python interpreter compiles source code to bytecode.",
}


@pytest.fixture
def ai(redis_url: str, keyspace: KeySpace, client: redis.Redis) -> Iterator[RedisAIClient]:
    with RedisAIClient(redis_url, executor="hosted", prefix=keyspace.key("ai")) as ai_client:
        yield ai_client


def _spec(redis_url: str, keyspace: KeySpace, **kwargs: Any) -> RedisAIToolSpec:
    return RedisAIToolSpec(
        redis_url=redis_url, executor="hosted", prefix=keyspace.key("ai"), **kwargs
    )


def _tools(spec: RedisAIToolSpec) -> dict[str, Any]:
    return {tool.metadata.name: tool for tool in spec.to_tool_list()}


async def test_run_model_tool_sync_and_async(
    redis_url: str, keyspace: KeySpace, ai: RedisAIClient
) -> None:
    ai.modelstore("scale", "ONNX", "CPU", models.scale(2.0))
    spec = _spec(redis_url, keyspace, model_key="scale", model=models.scale(2.0))
    try:
        tools = _tools(spec)
        assert list(tools) == ["run_model"]
        assert "FLOAT tensor of shape [N, 4]" in tools["run_model"].metadata.description
        out = tools["run_model"].call(inputs={"x": ONE})
        assert out.raw_output == {"y": [2.0, 4.0, 6.0, 8.0]}
        assert not out.is_error
        out = await tools["run_model"].acall(inputs={"x": [ONE, ONE]})
        assert out.raw_output == {"y": [[2.0, 4.0, 6.0, 8.0]] * 2}
        with pytest.raises(TensorError, match=r"got shape \[1, 2\]"):
            spec.run_model({"x": [1.0, 2.0]})
    finally:
        await spec.aclose()


async def test_missing_model_reports_the_reason(
    redis_url: str, keyspace: KeySpace, ai: RedisAIClient
) -> None:
    spec = _spec(redis_url, keyspace, model_key="absent")  # signature read on first use
    try:
        with pytest.raises(KeyEmptyError, match="model key is empty"):
            spec.run_model({"x": ONE})
        with pytest.raises(KeyEmptyError, match="model key is empty"):
            await spec.arun_model({"x": ONE})
    finally:
        await spec.aclose()


@pytest.fixture(scope="module")
def iris() -> Any:
    pytest.importorskip("sklearn")
    pytest.importorskip("skl2onnx")
    from langchain_redisai.examples.iris import train_iris

    return train_iris()


async def test_iris_classifier_as_a_llamaindex_tool(
    redis_url: str, keyspace: KeySpace, ai: RedisAIClient, iris: Any
) -> None:
    ai.modelstore("iris", "ONNX", "CPU", iris.onnx)
    spec = _spec(redis_url, keyspace, model_key="iris", labels=list(iris.labels))
    try:
        tool = _tools(spec)["run_model"]
        out = tool.call(inputs={"X": iris.features.tolist()})
        assert out.raw_output["label"] == list(iris.predicted)
        out = await tool.acall(inputs={"X": iris.features[0].tolist()})
        assert out.raw_output["label"] == "setosa"
        assert out.raw_output["probabilities"]["label"] == "setosa"
    finally:
        await spec.aclose()


@pytest.fixture
async def indexed(redis_url: str) -> AsyncIterator[tuple[RedisAIVectorStore, RedisAIEmbedding]]:
    embed = RedisAIEmbedding(redis_url=redis_url, executor="hosted")
    name = f"tools-{uuid.uuid4().hex[:10]}"
    store = RedisAIVectorStore(index_name=name, dim=384, redis_url=redis_url, prefix=name)
    texts = list(PASSAGES.values())
    vectors = embed.get_text_embedding_batch(texts)
    store.add(
        [
            TextNode(id_=i, text=t, embedding=v)
            for (i, t), v in zip(PASSAGES.items(), vectors, strict=True)
        ]
    )
    yield store, embed
    store.index.clear(drop_index=True)
    await store.aclose()
    await embed.aclose()


async def test_search_tools_over_the_store_and_the_core_index(
    indexed: tuple[RedisAIVectorStore, RedisAIEmbedding],
) -> None:
    store, embed = indexed
    for source in (store, store.index):
        spec = RedisAIToolSpec(vector_store=source, embed_model=embed)
        tool = _tools(spec)["search_index"]
        hits = tool.call(
            query="how does an in-memory database respond so fast?", top_k=2
        ).raw_output
        assert [hit["id"] for hit in hits][:1] == ["p2"] and len(hits) == 2
        assert hits[0]["text"] == PASSAGES["p2"]
        assert hits[0]["score"] > hits[1]["score"]
        hits = (await tool.acall(query="petals of a flower", top_k=1)).raw_output
        assert [(hit["id"], hit["text"]) for hit in hits] == [("p1", PASSAGES["p1"])]
    async_spec = RedisAIToolSpec(vector_store=store.async_index, embed_model=embed)
    hits = await async_spec.asearch_index("bytecode compiler", top_k=1)
    assert [hit["id"] for hit in hits] == ["p3"]
    with pytest.raises(NotImplementedError, match="asearch_index"):
        async_spec.search_index("bytecode compiler")


async def test_cache_stats_tool(plain_redis_url: str) -> None:
    cache = RedisAICache(plain_redis_url, prefix=f"tools-{uuid.uuid4().hex[:10]}")
    counters = CacheStats()
    spec = RedisAIToolSpec(caches={"llm": cache, "other": counters})
    try:
        assert cache.lookup("prompt", "llm-a") is None
        cache.update("prompt", "llm-a", [Generation(text="answer")])
        assert cache.lookup("prompt", "llm-a") == [Generation(text="answer")]
        counters.record(hit=False, corrupt=True)
        tool = _tools(spec)["cache_stats"]
        expected = {
            "llm": {"hits": 1, "misses": 1, "corrupt": 0, "lookups": 2, "hit_rate": 0.5},
            "other": {"hits": 0, "misses": 1, "corrupt": 1, "lookups": 1, "hit_rate": 0.0},
        }
        assert tool.call().raw_output == expected
        assert (await tool.acall()).raw_output == expected
    finally:
        cache.clear()
        cache.close()


def test_spec_arguments_are_checked() -> None:
    with pytest.raises(ConfigError, match="give a model_key"):
        RedisAIToolSpec()
    with pytest.raises(ConfigError, match="needs an embed_model"):
        RedisAIToolSpec(vector_store=object())  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="nor has one"):
        RedisAIToolSpec(caches={"x": object()})
    with pytest.raises(ConfigError, match="not both"):
        RedisAIToolSpec(model_key="m", model=b"", input_spec={"x": ("FLOAT", [1])})
