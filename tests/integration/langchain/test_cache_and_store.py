"""LangChain skins for caches and stores: the standard suites, plus what they do not cover."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import redis
import redis.asyncio
from langchain_classic.embeddings import CacheBackedEmbeddings
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, Generation
from langchain_tests.integration_tests import (
    AsyncCacheTestSuite,
    BaseStoreAsyncTests,
    BaseStoreSyncTests,
    SyncCacheTestSuite,
)

from langchain_redisai import RedisAIByteStore, RedisAICache


def _prefix() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


class TestSyncCache(SyncCacheTestSuite):
    @pytest.fixture
    def cache(self, plain_redis_url: str) -> Iterator[RedisAICache]:
        cache = RedisAICache(plain_redis_url, prefix=_prefix())
        yield cache
        cache.clear()
        cache.close()


class TestAsyncCache(AsyncCacheTestSuite):
    @pytest.fixture
    async def cache(self, plain_redis_url: str) -> AsyncIterator[RedisAICache]:
        cache = RedisAICache(plain_redis_url, prefix=_prefix())
        yield cache
        await cache.aclear()
        await cache.aclose()


class TestSyncByteStore(BaseStoreSyncTests[bytes]):
    @pytest.fixture
    def three_values(self) -> tuple[bytes, bytes, bytes]:
        return b"foo", b"bar", b"\x00\xffbuzz"

    @pytest.fixture
    def kv_store(self, plain_redis_url: str) -> Iterator[RedisAIByteStore]:
        store = RedisAIByteStore(plain_redis_url, prefix=_prefix())
        yield store
        store.clear()
        store.close()


class TestAsyncByteStore(BaseStoreAsyncTests[bytes]):
    @pytest.fixture
    def three_values(self) -> tuple[bytes, bytes, bytes]:
        return b"foo", b"bar", b"\x00\xffbuzz"

    @pytest.fixture
    async def kv_store(self, plain_redis_url: str) -> AsyncIterator[RedisAIByteStore]:
        store = RedisAIByteStore(plain_redis_url, prefix=_prefix())
        yield store
        await store.aclear()
        await store.aclose()


def _chat_generation() -> ChatGeneration:
    message = AIMessage(
        content="calling a tool",
        id="run-42",
        tool_calls=[{"name": "search", "args": {"q": "redis"}, "id": "call-1"}],
        response_metadata={"model_name": "m-1", "finish_reason": "tool_calls"},
        usage_metadata={"input_tokens": 3, "output_tokens": 5, "total_tokens": 8},
    )
    return ChatGeneration(message=message, generation_info={"finish_reason": "tool_calls"})


def test_chat_generations_round_trip_whole(plain_redis_url: str) -> None:
    cache = RedisAICache(plain_redis_url, prefix=_prefix())
    generations = [_chat_generation(), Generation(text="plain", generation_info={"n": [1, 2]})]
    cache.update("prompt", "llm-a", generations)
    back = cache.lookup("prompt", "llm-a")
    assert back == generations
    assert isinstance(back[0], ChatGeneration)
    assert back[0].message.tool_calls[0]["id"] == "call-1"
    assert back[0].message.id == "run-42"
    assert cache.lookup("prompt", "llm-b") is None
    assert (cache.stats.hits, cache.stats.misses) == (1, 1)
    cache.clear()
    cache.close()


async def test_sync_and_async_share_entries_and_counters(plain_redis_url: str) -> None:
    cache = RedisAICache(plain_redis_url, prefix=_prefix())
    cache.update("p", "m", [Generation(text="x")])
    assert await cache.alookup("p", "m") == [Generation(text="x")]
    await cache.aupdate("q", "m", [Generation(text="y")])
    assert cache.lookup("q", "m") == [Generation(text="y")]
    assert cache.stats.hits == 2
    await cache.aclear()
    await cache.aclose()


def test_undecodable_entry_is_a_logged_miss(
    plain_redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    prefix = _prefix()
    cache = RedisAICache(plain_redis_url, prefix=prefix)
    cache.update("p", "m", [Generation(text="x")])
    client = redis.Redis.from_url(plain_redis_url)
    (key,) = list(client.scan_iter(match=f"{prefix}:*"))
    # A well-formed envelope whose payload names a class outside the allow-list.
    evil = b'[{"lc": 1, "type": "constructor", "id": ["langchain", "llms", "openai", "OpenAI"], "kwargs": {}}]'
    client.set(key, b"rai-cache/1\n" + evil)
    with caplog.at_level(logging.WARNING, logger="redisai_core.cache"):
        assert cache.lookup("p", "m") is None
    assert "undecodable" in caplog.text
    assert cache.stats.corrupt == 1 and cache.stats.hits == 0
    cache.clear()
    cache.close()
    client.close()


def test_injected_clients(plain_redis_url: str) -> None:
    sync_client = redis.Redis.from_url(plain_redis_url)
    cache = RedisAICache(redis_client=sync_client, prefix=_prefix())
    cache.update("p", "m", [Generation(text="x")])
    assert cache.lookup("p", "m") == [Generation(text="x")]
    cache.clear()
    sync_client.close()
    async_only = RedisAICache(redis_client=redis.asyncio.Redis(port=1))
    with pytest.raises(NotImplementedError, match="async methods"):
        async_only.lookup("p", "m")


async def test_sync_client_still_serves_async_calls(plain_redis_url: str) -> None:
    client = redis.Redis.from_url(plain_redis_url)
    store = RedisAIByteStore(redis_client=client, prefix=_prefix())
    await store.amset([("a", b"1")])
    assert await store.amget(["a", "b"]) == [b"1", None]
    assert [k async for k in store.ayield_keys()] == ["a"]
    await store.aclear()
    client.close()


def test_byte_store_backs_cache_backed_embeddings(plain_redis_url: str) -> None:
    store = RedisAIByteStore(plain_redis_url, prefix=_prefix())
    calls: list[list[str]] = []

    class CountingEmbedding(DeterministicFakeEmbedding):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            calls.append(list(texts))
            return super().embed_documents(texts)

    embedder = CacheBackedEmbeddings.from_bytes_store(
        CountingEmbedding(size=8), store, namespace="fake-8", key_encoder="sha256"
    )
    first = embedder.embed_documents(["a", "b"])
    second = embedder.embed_documents(["a", "b", "c"])
    assert second[:2] == first
    assert calls == [["a", "b"], ["c"]]
    assert len(list(store.yield_keys(prefix="fake-8"))) == 3
    store.clear()
    store.close()


def test_non_finite_generation_info_round_trips(plain_redis_url: str) -> None:
    cache = RedisAICache(plain_redis_url, prefix=_prefix())
    cache.update("p", "m", [Generation(text="x", generation_info={"lp": float("-inf"), "n": 1})])
    (back,) = cache.lookup("p", "m") or []
    assert back.generation_info == {"lp": float("-inf"), "n": 1}
    cache.clear()
    cache.close()
