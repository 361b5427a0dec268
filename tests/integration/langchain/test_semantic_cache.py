"""LangChain RedisAISemanticCache: the standard suites, and real MiniLM paraphrases."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.outputs import Generation
from langchain_tests.integration_tests import AsyncCacheTestSuite, SyncCacheTestSuite

from langchain_redisai import RedisAIEmbeddings, RedisAISemanticCache


def _prefix() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


class TestSyncSemanticCache(SyncCacheTestSuite):
    @pytest.fixture
    def cache(self, redis_url: str) -> Iterator[RedisAISemanticCache]:
        cache = RedisAISemanticCache(
            DeterministicFakeEmbedding(size=16), redis_url, prefix=_prefix()
        )
        yield cache
        cache.clear()
        cache.close()


class TestAsyncSemanticCache(AsyncCacheTestSuite):
    @pytest.fixture
    async def cache(self, redis_url: str) -> AsyncIterator[RedisAISemanticCache]:
        cache = RedisAISemanticCache(
            DeterministicFakeEmbedding(size=16), redis_url, prefix=_prefix()
        )
        yield cache
        await cache.aclear()
        await cache.aclose()


@pytest.fixture(scope="module")
def minilm(redis_url: str) -> Iterator[RedisAIEmbeddings]:
    embeddings = RedisAIEmbeddings(redis_url=redis_url, executor="hosted")
    yield embeddings
    embeddings.close()


def test_paraphrase_hits_with_minilm_and_models_never_cross(
    redis_url: str, minilm: RedisAIEmbeddings
) -> None:
    cache = RedisAISemanticCache(minilm, redis_url, prefix=_prefix(), distance_threshold=0.2)
    answer = [Generation(text="Paris")]
    cache.update("What is the capital of France?", "model-a", answer)
    assert cache.lookup("what's the capital of France", "model-a") == answer
    assert cache.lookup("What is the capital of France?", "model-b") is None
    assert cache.lookup("How do I bake sourdough bread?", "model-a") is None
    assert (cache.stats.hits, cache.stats.misses) == (1, 2)
    cache.clear()
    cache._core.close()  # the shared embeddings stay open for the module


async def test_async_paraphrase_hit(redis_url: str) -> None:
    cache = RedisAISemanticCache(
        RedisAIEmbeddings(redis_url=redis_url, executor="hosted"),
        redis_url,
        prefix=_prefix(),
        distance_threshold=0.2,
    )
    await cache.aupdate("Redis is an in-memory data store.", "m", [Generation(text="yes")])
    assert await cache.alookup("Redis is an in memory datastore", "m") == [Generation(text="yes")]
    await cache.aclear()
    await cache.aclose()
