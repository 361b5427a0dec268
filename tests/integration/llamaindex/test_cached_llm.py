"""RedisAICachedLLM: complete/chat, sync/async, streaming replay, and no crossing between LLMs."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
import redis
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseGen,
    LLMMetadata,
)
from llama_index.core.llms import CustomLLM
from pydantic import PrivateAttr

from llamaindex_redisai import RedisAICachedLLM


class CountingLLM(CustomLLM):
    """A deterministic model provider that counts how often it is really called."""

    model: str = "m-1"
    # Not a pydantic field: the LLM's settings (its fields) are part of the cache key.
    _calls: int = PrivateAttr(default=0)

    @property
    def calls(self) -> int:
        return self._calls

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name=self.model, is_chat_model=True)

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        self._calls += 1
        return CompletionResponse(
            text=f"{self.model} says: {prompt[::-1]}", additional_kwargs={"n": 1}
        )

    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        self._calls += 1
        text = ""
        for word in ["a ", "b ", "c"]:
            text += word
            yield CompletionResponse(text=text, delta=word)

    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        self._calls += 1
        reply = ChatMessage(
            role="assistant",
            content=f"{self.model}: {messages[-1].content}",
            additional_kwargs={
                "tool_calls": [{"id": "call-1", "name": "search", "args": {"q": "r"}}]
            },
        )
        return ChatResponse(message=reply, raw={"provider": object()})

    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        self._calls += 1
        text = ""
        for word in ["hello ", "there"]:
            text += word
            yield ChatResponse(message=ChatMessage(role="assistant", content=text), delta=word)


@pytest.fixture
def prefix() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
def cleanup(plain_redis_url: str, prefix: str) -> Iterator[None]:
    yield
    client = redis.Redis.from_url(plain_redis_url)
    keys = list(client.scan_iter(match=f"{prefix}:*"))
    if keys:
        client.unlink(*keys)
    client.close()


def test_complete_is_cached_per_llm_settings(
    plain_redis_url: str, prefix: str, cleanup: None
) -> None:
    inner = CountingLLM()
    llm = RedisAICachedLLM(inner, plain_redis_url, prefix=prefix)
    first = llm.complete("hello")
    second = llm.complete("hello")
    assert second.text == first.text and second.additional_kwargs == {"n": 1}
    assert inner.calls == 1
    llm.complete("hello", temperature=0.5)  # other call kwargs: another entry
    assert inner.calls == 2
    other = RedisAICachedLLM(CountingLLM(model="m-2"), plain_redis_url, prefix=prefix)
    assert other.complete("hello").text.startswith("m-2")  # never served m-1's answer
    assert (llm.stats.hits, llm.stats.misses) == (1, 2)
    llm.close()
    other.close()


def test_chat_keeps_tool_calls_and_drops_raw(
    plain_redis_url: str, prefix: str, cleanup: None
) -> None:
    inner = CountingLLM()
    llm = RedisAICachedLLM(inner, plain_redis_url, prefix=prefix)
    messages = [ChatMessage(role="user", content="find redis")]
    first = llm.chat(messages)
    second = llm.chat(messages)
    assert inner.calls == 1
    assert second.message.content == first.message.content
    assert second.message.additional_kwargs["tool_calls"][0]["id"] == "call-1"
    assert second.raw is None
    llm.chat([ChatMessage(role="user", content="find redis!")])
    assert inner.calls == 2
    llm.close()


def test_streams_are_recorded_then_replayed(
    plain_redis_url: str, prefix: str, cleanup: None
) -> None:
    inner = CountingLLM()
    llm = RedisAICachedLLM(inner, plain_redis_url, prefix=prefix)
    live = list(llm.stream_complete("p"))
    replay = list(llm.stream_complete("p"))
    assert inner.calls == 1
    assert live[-1].text == replay[-1].text == "a b c"
    assert "".join(c.delta or "" for c in replay) == "a b c"
    assert len(replay) > 1
    chat_live = list(llm.stream_chat([ChatMessage(role="user", content="hi")]))
    chat_replay = list(llm.stream_chat([ChatMessage(role="user", content="hi")]))
    assert inner.calls == 2
    assert chat_replay[-1].message.content == chat_live[-1].message.content == "hello there"
    assert "".join(c.delta or "" for c in chat_replay) == "hello there"
    llm.close()


def test_abandoned_stream_is_not_cached(plain_redis_url: str, prefix: str, cleanup: None) -> None:
    inner = CountingLLM()
    llm = RedisAICachedLLM(inner, plain_redis_url, prefix=prefix)
    stream = llm.stream_complete("p")
    next(stream)
    stream.close()
    list(llm.stream_complete("p"))
    assert inner.calls == 2
    llm.close()


async def test_async_paths_share_the_cache(
    plain_redis_url: str, prefix: str, cleanup: None
) -> None:
    inner = CountingLLM()
    llm = RedisAICachedLLM(inner, plain_redis_url, prefix=prefix)
    llm.complete("x")
    assert (await llm.acomplete("x")).text == llm.complete("x").text
    assert inner.calls == 1
    messages = [ChatMessage(role="user", content="q")]
    await llm.achat(messages)
    await llm.achat(messages)
    assert inner.calls == 2
    chunks = [c async for c in await llm.astream_complete("y")]
    replayed = [c async for c in await llm.astream_complete("y")]
    assert chunks[-1].text == replayed[-1].text == "a b c" and inner.calls == 3
    chat_chunks = [c async for c in await llm.astream_chat(messages + messages)]
    again = [c async for c in await llm.astream_chat(messages + messages)]
    assert chat_chunks[-1].message.content == again[-1].message.content and inner.calls == 4
    await llm.aclose()


class _AxisEmbedding(BaseEmbedding):
    """Texts mentioning 'france' point one way, everything else another: paraphrases collide."""

    def _vector(self, text: str) -> list[float]:
        return [1.0, 0.0] if "france" in text.lower() else [0.0, 1.0]

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._vector(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._vector(text)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._vector(query)


def test_semantic_cache_serves_paraphrases_per_llm(redis_url: str, prefix: str) -> None:
    inner = CountingLLM()
    llm = RedisAICachedLLM(inner, redis_url, prefix=prefix, embed_model=_AxisEmbedding())
    first = llm.complete("What is the capital of France?")
    again = llm.complete("capital city of france, please")  # exact miss, semantic hit
    assert inner.calls == 1 and again.text == first.text
    assert (llm.stats.misses, llm.semantic_stats.hits) == (2, 1)
    llm.complete("How do I bake bread?")
    assert inner.calls == 2
    other = RedisAICachedLLM(
        CountingLLM(model="m-2"), redis_url, prefix=prefix, embed_model=_AxisEmbedding()
    )
    assert other.complete("capital of France").text.startswith("m-2")  # never m-1's answer
    chat = [ChatMessage(role="user", content="Tell me about France")]
    llm.chat(chat)
    llm.chat([ChatMessage(role="user", content="tell me about france!")])
    assert inner.calls == 3
    assert llm.clear_cache() >= 4
    llm.close()
    other.close()


async def test_semantic_cache_async(redis_url: str, prefix: str) -> None:
    inner = CountingLLM()
    llm = RedisAICachedLLM(inner, redis_url, prefix=prefix, embed_model=_AxisEmbedding())
    await llm.acomplete("France?")
    assert (await llm.acomplete("france!!")).text == "m-1 says: ?ecnarF"
    assert inner.calls == 1
    await llm.aclear_cache()
    await llm.aclose()
