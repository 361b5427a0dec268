"""``RedisAICachedLLM``: any LlamaIndex LLM with an exact response cache in Redis.

LlamaIndex core has no LLM response cache; this wrapper fills that gap for ``complete`` and
``chat``, sync and async, streaming included (a cached response is replayed as a stream).
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator, Generator, Sequence
from typing import Any

import redis
import redis.asyncio
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

from redisai_core import AsyncExactCache, CacheStats, DualCore, ExactCache

from ._mapping import (
    chat_from_bytes,
    chat_prompt,
    chat_to_bytes,
    completion_from_bytes,
    completion_prompt,
    completion_to_bytes,
    llm_string,
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
    """

    llm: LLM = Field(description="The wrapped LLM.")
    _cache: DualCore[ExactCache, AsyncExactCache] = PrivateAttr()
    _stats: CacheStats = PrivateAttr()

    def __init__(
        self,
        llm: LLM,
        redis_url: str | None = None,
        redis_client: redis.Redis | redis.asyncio.Redis | None = None,
        *,
        prefix: str = "redisai:llamaindex:llm",
        ttl: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(llm=llm, **kwargs)  # type: ignore[call-arg]  # pydantic field
        self._stats = CacheStats()
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
        """Hits and misses of this wrapper, sync and async calls together."""
        return self._stats

    # completion

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        key = (completion_prompt(prompt, formatted), llm_string(self.llm, kwargs))
        cached = self._lookup_completion(*key)
        if cached is not None:
            return cached
        response = self.llm.complete(prompt, formatted=formatted, **kwargs)
        self._cache.sync.update(*key, completion_to_bytes(response))
        return response

    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        key = (completion_prompt(prompt, formatted), llm_string(self.llm, kwargs))
        cached = self._lookup_completion(*key)
        if cached is not None:
            return _replay_completion(cached)
        return self._record_completion(self.llm.stream_complete(prompt, formatted, **kwargs), key)

    async def acomplete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponse:
        key = (completion_prompt(prompt, formatted), llm_string(self.llm, kwargs))
        cached = await self._alookup_completion(*key)
        if cached is not None:
            return cached
        response = await self.llm.acomplete(prompt, formatted=formatted, **kwargs)
        await self._aupdate(*key, completion_to_bytes(response))
        return response

    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        key = (completion_prompt(prompt, formatted), llm_string(self.llm, kwargs))
        cached = await self._alookup_completion(*key)
        if cached is not None:
            return _areplay_completion(cached)
        stream = await self.llm.astream_complete(prompt, formatted, **kwargs)
        return self._arecord_completion(stream, key)

    # chat

    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        key = (chat_prompt(messages), llm_string(self.llm, kwargs))
        cached = self._lookup_chat(*key)
        if cached is not None:
            return cached
        response = self.llm.chat(messages, **kwargs)
        self._cache.sync.update(*key, chat_to_bytes(response))
        return response

    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        key = (chat_prompt(messages), llm_string(self.llm, kwargs))
        cached = self._lookup_chat(*key)
        if cached is not None:
            return _replay_chat(cached)
        return self._record_chat(self.llm.stream_chat(messages, **kwargs), key)

    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        key = (chat_prompt(messages), llm_string(self.llm, kwargs))
        cached = await self._alookup_chat(*key)
        if cached is not None:
            return cached
        response = await self.llm.achat(messages, **kwargs)
        await self._aupdate(*key, chat_to_bytes(response))
        return response

    async def astream_chat(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        key = (chat_prompt(messages), llm_string(self.llm, kwargs))
        cached = await self._alookup_chat(*key)
        if cached is not None:
            return _areplay_chat(cached)
        stream = await self.llm.astream_chat(messages, **kwargs)
        return self._arecord_chat(stream, key)

    # cache plumbing

    def _lookup_completion(self, prompt: str, params: str) -> CompletionResponse | None:
        core = self._cache.sync
        data = core.lookup(prompt, params)
        found = completion_from_bytes(data) if data is not None else None
        if data is not None and found is None:
            core.record_corrupt(prompt, params)
        return found

    async def _alookup_completion(self, prompt: str, params: str) -> CompletionResponse | None:
        core = self._cache.async_
        data = await core.lookup(prompt, params)
        found = completion_from_bytes(data) if data is not None else None
        if data is not None and found is None:
            core.record_corrupt(prompt, params)
        return found

    def _lookup_chat(self, prompt: str, params: str) -> ChatResponse | None:
        core = self._cache.sync
        data = core.lookup(prompt, params)
        found = chat_from_bytes(data) if data is not None else None
        if data is not None and found is None:
            core.record_corrupt(prompt, params)
        return found

    async def _alookup_chat(self, prompt: str, params: str) -> ChatResponse | None:
        core = self._cache.async_
        data = await core.lookup(prompt, params)
        found = chat_from_bytes(data) if data is not None else None
        if data is not None and found is None:
            core.record_corrupt(prompt, params)
        return found

    async def _aupdate(self, prompt: str, params: str, payload: bytes) -> None:
        await self._cache.async_.update(prompt, params, payload)

    def _record_completion(
        self, stream: CompletionResponseGen, key: tuple[str, str]
    ) -> CompletionResponseGen:
        last: CompletionResponse | None = None
        for chunk in stream:
            last = chunk
            yield chunk
        if last is not None:  # only a stream that completed is cached
            self._cache.sync.update(
                *key, completion_to_bytes(last.model_copy(update={"delta": None}))
            )

    async def _arecord_completion(
        self, stream: CompletionResponseAsyncGen, key: tuple[str, str]
    ) -> AsyncGenerator[CompletionResponse, None]:
        last: CompletionResponse | None = None
        async for chunk in stream:
            last = chunk
            yield chunk
        if last is not None:
            await self._aupdate(*key, completion_to_bytes(last.model_copy(update={"delta": None})))

    def _record_chat(self, stream: ChatResponseGen, key: tuple[str, str]) -> ChatResponseGen:
        last: ChatResponse | None = None
        for chunk in stream:
            last = chunk
            yield chunk
        if last is not None:
            self._cache.sync.update(*key, chat_to_bytes(last.model_copy(update={"delta": None})))

    async def _arecord_chat(
        self, stream: ChatResponseAsyncGen, key: tuple[str, str]
    ) -> AsyncGenerator[ChatResponse, None]:
        last: ChatResponse | None = None
        async for chunk in stream:
            last = chunk
            yield chunk
        if last is not None:
            await self._aupdate(*key, chat_to_bytes(last.model_copy(update={"delta": None})))

    def clear_cache(self) -> int:
        """Delete every cached response of this wrapper's key space."""
        return self._cache.sync.clear()

    async def aclear_cache(self) -> int:
        return await self._cache.async_.clear()

    def close(self) -> None:
        """Close the connections this wrapper opened (an injected client is left open)."""
        self._cache.close()

    async def aclose(self) -> None:
        await self._cache.aclose()


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
