"""``RedisAICachedLLM``: any LlamaIndex LLM with an exact response cache in Redis.

LlamaIndex core has no LLM response cache; this wrapper fills that gap for ``complete`` and
``chat``, sync and async, streaming included (a cached response is replayed as a stream).
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator, Sequence
from typing import Any, TypeVar

import redis
import redis.asyncio
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
)
from llama_index.core.llms import LLM
from pydantic import Field, PrivateAttr

from redisai_core import (
    AsyncExactCache,
    AsyncSemanticCache,
    CacheStats,
    DualCore,
    ExactCache,
    SemanticCache,
)

from ._mapping import (
    chat_from_bytes,
    chat_prompt,
    chat_text,
    completion_from_bytes,
    completion_prompt,
    llm_string,
    response_to_bytes,
)

__all__ = ["RedisAICachedLLM"]

_PIECES = re.compile(r"\S+\s*|\s+")


def _pieces(text: str) -> list[str]:
    """Split text into word-sized pieces (whitespace kept) for replaying it as a stream."""
    return _PIECES.findall(text) or [""]


class RedisAICachedLLM(LLM):
    """Wraps ``llm`` with an exact cache keyed by (prompt or messages, LLM settings and kwargs).

    Two LLMs with different settings never share entries. Provider ``raw`` payloads are not
    cached; everything else of a response (text, message, tool calls in ``additional_kwargs``,
    logprobs) is. Stored JSON is validated with pydantic when read; anything that does not
    validate is a logged miss.

    Args:
        llm: the LLM to wrap.
        redis_url: Redis URL; with neither this nor ``redis_client``, ``REDIS_URL`` or the
            embedded server is used.
        redis_client: a sync or asyncio redis-py client to use instead.
        prefix: key prefix of this cache.
        ttl: seconds an entry lives; ``None`` keeps entries until cleared.
        semantic: also consult a semantic cache after an exact miss (needs the query engine):
            a prompt (or conversation) close enough to a cached one, for the same LLM settings,
            is a hit. Implied by ``embed_model``.
        embed_model: embeddings for the semantic cache; :class:`RedisAIEmbedding` (MiniLM
            through Redis) when ``semantic`` is set and this is ``None``.
        distance_threshold: largest cosine distance that still counts as the same prompt.
    """

    llm: LLM = Field(description="The wrapped LLM.")
    _cache: DualCore[ExactCache, AsyncExactCache] = PrivateAttr()
    _stats: CacheStats = PrivateAttr()
    _semantic_stats: CacheStats = PrivateAttr()
    _embed_model: BaseEmbedding | None = PrivateAttr()
    _semantic: DualCore[SemanticCache, AsyncSemanticCache] | None = PrivateAttr()

    def __init__(
        self,
        llm: LLM,
        redis_url: str | None = None,
        redis_client: redis.Redis | redis.asyncio.Redis | None = None,
        *,
        prefix: str = "redisai:llamaindex:llm",
        ttl: float | None = None,
        semantic: bool = False,
        embed_model: BaseEmbedding | None = None,
        distance_threshold: float = 0.1,
        **kwargs: Any,
    ) -> None:
        super().__init__(llm=llm, **kwargs)  # type: ignore[call-arg]  # pydantic field
        self._stats = CacheStats()
        self._semantic_stats = CacheStats()
        self._embed_model: BaseEmbedding | None = None
        self._semantic: DualCore[SemanticCache, AsyncSemanticCache] | None = None
        if semantic or embed_model is not None:
            if embed_model is None:
                from .embeddings import RedisAIEmbedding

                embed_model = RedisAIEmbedding(redis_url=redis_url, redis_client=redis_client)
            self._embed_model = embed_model
            sem_options: dict[str, Any] = {
                "prefix": prefix + ":semantic",
                "ttl": ttl,
                "distance_threshold": distance_threshold,
                "stats": self._semantic_stats,
                "skin": "llamaindex",
            }
            self._semantic = DualCore(
                lambda url, client: SemanticCache(url, client, **sem_options),
                lambda url, client: AsyncSemanticCache(url, client, **sem_options),
                redis_url,
                redis_client,
            )
        options: dict[str, Any] = {
            "prefix": prefix,
            "ttl": ttl,
            "stats": self._stats,
            "skin": "llamaindex",
        }
        self._cache = DualCore(
            lambda url, client: ExactCache(url, client, **options),
            lambda url, client: AsyncExactCache(url, client, **options),
            redis_url,
            redis_client,
        )

    @classmethod
    def class_name(cls) -> str:
        return "RedisAICachedLLM"

    @property
    def metadata(self) -> LLMMetadata:
        return self.llm.metadata

    @property
    def stats(self) -> CacheStats:
        """Hits and misses of the exact cache, sync and async calls together."""
        return self._stats

    @property
    def semantic_stats(self) -> CacheStats:
        """Hits and misses of the semantic cache (consulted after an exact miss)."""
        return self._semantic_stats

    # completion

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        key = (
            completion_prompt(prompt, formatted),
            llm_string(self.llm, kwargs, "complete"),
            prompt,
        )
        cached = self._lookup(key, completion_from_bytes)
        if cached is not None:
            return cached
        response = self.llm.complete(prompt, formatted=formatted, **kwargs)
        self._store(key, response_to_bytes(response))
        return response

    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        key = (
            completion_prompt(prompt, formatted),
            llm_string(self.llm, kwargs, "complete"),
            prompt,
        )
        cached = self._lookup(key, completion_from_bytes)
        if cached is not None:
            return _replay_completion(cached)
        return self._record(self.llm.stream_complete(prompt, formatted, **kwargs), key)

    async def acomplete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponse:
        key = (
            completion_prompt(prompt, formatted),
            llm_string(self.llm, kwargs, "complete"),
            prompt,
        )
        cached = await self._alookup(key, completion_from_bytes)
        if cached is not None:
            return cached
        response = await self.llm.acomplete(prompt, formatted=formatted, **kwargs)
        await self._astore(key, response_to_bytes(response))
        return response

    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        key = (
            completion_prompt(prompt, formatted),
            llm_string(self.llm, kwargs, "complete"),
            prompt,
        )
        cached = await self._alookup(key, completion_from_bytes)
        if cached is not None:
            return _areplay_completion(cached)
        stream = await self.llm.astream_complete(prompt, formatted, **kwargs)
        return self._arecord(stream, key)

    # chat

    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        key = (chat_prompt(messages), llm_string(self.llm, kwargs, "chat"), chat_text(messages))
        cached = self._lookup(key, chat_from_bytes)
        if cached is not None:
            return cached
        response = self.llm.chat(messages, **kwargs)
        self._store(key, response_to_bytes(response))
        return response

    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        key = (chat_prompt(messages), llm_string(self.llm, kwargs, "chat"), chat_text(messages))
        cached = self._lookup(key, chat_from_bytes)
        if cached is not None:
            return _replay_chat(cached)
        return self._record(self.llm.stream_chat(messages, **kwargs), key)

    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        key = (chat_prompt(messages), llm_string(self.llm, kwargs, "chat"), chat_text(messages))
        cached = await self._alookup(key, chat_from_bytes)
        if cached is not None:
            return cached
        response = await self.llm.achat(messages, **kwargs)
        await self._astore(key, response_to_bytes(response))
        return response

    async def astream_chat(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        key = (chat_prompt(messages), llm_string(self.llm, kwargs, "chat"), chat_text(messages))
        cached = await self._alookup(key, chat_from_bytes)
        if cached is not None:
            return _areplay_chat(cached)
        stream = await self.llm.astream_chat(messages, **kwargs)
        return self._arecord(stream, key)

    # cache plumbing: exact first, then (optionally) semantic; both are filled on a miss

    def _lookup(self, key: tuple[str, str, str], decode: Decoder[R]) -> R | None:
        prompt, params, text = key
        core = self._cache.sync
        found = _decoded(
            core.lookup(prompt, params), decode, lambda: core.record_corrupt(prompt, params)
        )
        if found is None and self._semantic is not None and self._embed_model is not None:
            sem = self._semantic.sync
            vector = self._embed_model.get_query_embedding(text)
            found = _decoded(sem.lookup(vector, params), decode, lambda: sem.record_corrupt(params))
        return found

    async def _alookup(self, key: tuple[str, str, str], decode: Decoder[R]) -> R | None:
        prompt, params, text = key
        core = self._cache.async_
        data = await core.lookup(prompt, params)
        found = _decoded(data, decode, lambda: core.record_corrupt(prompt, params))
        if found is None and self._semantic is not None and self._embed_model is not None:
            sem = self._semantic.async_
            vector = await self._embed_model.aget_query_embedding(text)
            data = await sem.lookup(vector, params)
            found = _decoded(data, decode, lambda: sem.record_corrupt(params))
        return found

    def _store(self, key: tuple[str, str, str], payload: bytes) -> None:
        prompt, params, text = key
        self._cache.sync.update(prompt, params, payload)
        if self._semantic is not None and self._embed_model is not None:
            vector = self._embed_model.get_query_embedding(text)
            self._semantic.sync.update(prompt, params, vector, payload)

    async def _astore(self, key: tuple[str, str, str], payload: bytes) -> None:
        prompt, params, text = key
        await self._cache.async_.update(prompt, params, payload)
        if self._semantic is not None and self._embed_model is not None:
            vector = await self._embed_model.aget_query_embedding(text)
            await self._semantic.async_.update(prompt, params, vector, payload)

    def _record(
        self, stream: Iterator[Resp], key: tuple[str, str, str]
    ) -> Generator[Resp, None, None]:
        """Pass a live stream through; cache its final response once it has completed."""
        last: Resp | None = None
        for chunk in stream:
            last = chunk
            yield chunk
        if last is not None:  # only a stream that completed is cached
            self._store(key, response_to_bytes(last.model_copy(update={"delta": None})))

    async def _arecord(
        self, stream: AsyncIterator[Resp], key: tuple[str, str, str]
    ) -> AsyncGenerator[Resp, None]:
        last: Resp | None = None
        async for chunk in stream:
            last = chunk
            yield chunk
        if last is not None:
            await self._astore(key, response_to_bytes(last.model_copy(update={"delta": None})))

    def clear_cache(self) -> int:
        """Delete every cached response of this wrapper's key spaces (exact and semantic)."""
        removed = self._cache.sync.clear()
        if self._semantic is not None:
            removed += self._semantic.sync.clear()
        return removed

    async def aclear_cache(self) -> int:
        removed = await self._cache.async_.clear()
        if self._semantic is not None:
            removed += await self._semantic.async_.clear()
        return removed

    def close(self) -> None:
        """Close the connections this wrapper opened (an injected client is left open)."""
        self._cache.close()
        if self._semantic is not None:
            self._semantic.close()
        closer = getattr(self._embed_model, "close", None)
        if callable(closer):
            closer()

    async def aclose(self) -> None:
        await self._cache.aclose()
        if self._semantic is not None:
            await self._semantic.aclose()
        closer = getattr(self._embed_model, "aclose", None)
        if callable(closer):
            await closer()


R = TypeVar("R")
Resp = TypeVar("Resp", CompletionResponse, ChatResponse)
Decoder = Callable[[bytes], "R | None"]


def _decoded(
    data: bytes | None, decode: Callable[[bytes], R | None], on_corrupt: Callable[[], None]
) -> R | None:
    """Decode a cache payload; an undecodable one is reported and reads as a miss."""
    if data is None:
        return None
    found = decode(data)
    if found is None:
        on_corrupt()
    return found


def _replay_completion(response: CompletionResponse) -> Generator[CompletionResponse, None, None]:
    text = ""
    for piece in _pieces(response.text):
        text += piece
        yield response.model_copy(update={"text": text, "delta": piece})


async def _areplay_completion(
    response: CompletionResponse,
) -> AsyncGenerator[CompletionResponse, None]:
    for chunk in _replay_completion(response):
        yield chunk


def _replay_chat(response: ChatResponse) -> Generator[ChatResponse, None, None]:
    content = response.message.content or ""
    text = ""
    for piece in _pieces(content):
        text += piece
        message = response.message.model_copy(deep=True)
        message.content = text
        yield response.model_copy(update={"message": message, "delta": piece})


async def _areplay_chat(response: ChatResponse) -> AsyncGenerator[ChatResponse, None]:
    for chunk in _replay_chat(response):
        yield chunk
