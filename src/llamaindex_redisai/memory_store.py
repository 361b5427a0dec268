"""``RedisAIMemoryStore``: llama-index-core's ``AsyncDBChatStore`` on Redis, for ``Memory``.

``Memory.from_defaults(..., chat_store=RedisAIMemoryStore())`` runs LlamaIndex's newer memory
on Redis instead of SQLAlchemy. Each session keeps its active messages (the FIFO queue) and its
archived messages in two lists; ``archive_oldest_messages`` moves messages from one to the
other atomically, which is what ``Memory`` does when the queue exceeds its token limit.

``Memory``'s sync methods (``put``, ``get``...) run its async code through
``llama_index.core.async_utils.asyncio_run``, which may use a new event loop per call. An
asyncio client belongs to one loop, so this store uses its asyncio client on the loop that
first used it and runs the sync client in a worker thread on any other loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import redis
import redis.asyncio
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.storage.chat_store.base_db import AsyncDBChatStore, MessageStatus
from pydantic import Field, PrivateAttr

from redisai_core import AsyncChatHistory, ChatHistory, DualCore

from ._chat_codec import encode_chat
from .chat_store import decode_or_raise, history_core

__all__ = ["RedisAIMemoryStore"]

T = TypeVar("T")


def _window(values: list[T], limit: int | None, offset: int | None) -> list[T]:
    start = offset or 0
    return values[start:] if limit is None else values[start : start + limit]


class RedisAIMemoryStore(AsyncDBChatStore):
    """Active and archived chat messages per session in Redis lists. Needs no Redis modules.

    Positions (``delete_message``'s ``idx``) are positions in the session's active messages,
    oldest first: Redis lists have no row ids.

    Args:
        redis_url: Redis URL; with neither this nor ``redis_client``, ``REDIS_URL`` or the
            embedded server is used.
        redis_client: a sync or asyncio redis-py client to use instead.
        prefix: key prefix of this store.
        ttl: seconds a session (active and archived messages) lives after its last write.

    Example:
        >>> from llama_index.core.memory import Memory
        >>> memory = Memory.from_defaults(
        ...     session_id="user-1", token_limit=4000, chat_store=RedisAIMemoryStore()
        ... )  # doctest: +SKIP
    """

    prefix: str = Field(default="redisai:llamaindex:memory", description="Key prefix.")
    ttl: float | None = Field(default=None, description="Seconds a session lives after a write.")
    _core: DualCore[ChatHistory, AsyncChatHistory] = PrivateAttr()
    _loop: asyncio.AbstractEventLoop | None = PrivateAttr(default=None)

    def __init__(
        self,
        redis_url: str | None = None,
        redis_client: redis.Redis | redis.asyncio.Redis | None = None,
        *,
        prefix: str = "redisai:llamaindex:memory",
        ttl: float | None = None,
    ) -> None:
        super().__init__(prefix=prefix, ttl=ttl)  # type: ignore[call-arg]  # pydantic fields
        options: dict[str, Any] = {"prefix": prefix, "ttl": ttl, "skin": "llamaindex"}
        self._core = history_core(redis_url, redis_client, options)

    @classmethod
    def class_name(cls) -> str:
        return "RedisAIMemoryStore"

    async def _run(
        self,
        on_async: Callable[[AsyncChatHistory], Awaitable[T]],
        on_sync: Callable[[ChatHistory], T],
    ) -> T:
        if self._core.has_async:
            loop = asyncio.get_running_loop()
            if self._loop is None:
                self._loop = loop
            if self._loop is loop:
                return await on_async(self._core.async_)
        return await asyncio.to_thread(on_sync, self._core.sync)

    async def get_messages(
        self,
        key: str,
        status: MessageStatus | None = MessageStatus.ACTIVE,
        limit: int | None = None,
        offset: int | None = None,
    ) -> list[ChatMessage]:
        """Messages of ``status`` (``None``: archived then active), oldest first."""
        if status is None:
            archived, active = await self._run(
                lambda c: c.read_with_archive(key), lambda c: c.read_with_archive(key)
            )
            values = archived + active
        else:
            archive = status == MessageStatus.ARCHIVED
            values = await self._run(
                lambda c: c.read(key, archive=archive), lambda c: c.read(key, archive=archive)
            )
        return decode_or_raise(key, _window(values, limit, offset))

    async def count_messages(
        self, key: str, status: MessageStatus | None = MessageStatus.ACTIVE
    ) -> int:
        if status is None:
            active = await self.count_messages(key, MessageStatus.ACTIVE)
            return active + await self.count_messages(key, MessageStatus.ARCHIVED)
        archive = status == MessageStatus.ARCHIVED
        return await self._run(
            lambda c: c.length(key, archive=archive), lambda c: c.length(key, archive=archive)
        )

    async def add_message(
        self, key: str, message: ChatMessage, status: MessageStatus = MessageStatus.ACTIVE
    ) -> None:
        await self.add_messages(key, [message], status)

    async def add_messages(
        self,
        key: str,
        messages: list[ChatMessage],
        status: MessageStatus = MessageStatus.ACTIVE,
    ) -> None:
        """Append ``messages`` atomically, in one round trip."""
        values, archive = encode_chat(messages), status == MessageStatus.ARCHIVED
        await self._run(
            lambda c: c.append(key, values, archive=archive),
            lambda c: c.append(key, values, archive=archive),
        )

    async def set_messages(
        self,
        key: str,
        messages: list[ChatMessage],
        status: MessageStatus = MessageStatus.ACTIVE,
    ) -> None:
        """Replace the whole session with ``messages`` of ``status``, atomically.

        As with LlamaIndex's SQL store, messages of the other status are deleted too.
        """
        values, archive = encode_chat(messages), status == MessageStatus.ARCHIVED
        await self._run(
            lambda c: c.replace(key, values, archive=archive, whole_session=True),
            lambda c: c.replace(key, values, archive=archive, whole_session=True),
        )

    async def delete_message(self, key: str, idx: int) -> ChatMessage | None:
        """Delete the active message at position ``idx`` and return it (``None``: no such)."""
        value = await self._run(lambda c: c.delete_at(key, idx), lambda c: c.delete_at(key, idx))
        return None if value is None else decode_or_raise(key, [value])[0]

    async def delete_messages(self, key: str, status: MessageStatus | None = None) -> None:
        """Delete the session's messages of ``status`` (``None``: the whole session)."""
        if status is None:
            await self._run(lambda c: c.delete(key), lambda c: c.delete(key))
            return
        archive = status == MessageStatus.ARCHIVED
        await self._run(
            lambda c: c.delete_messages(key, archive=archive),
            lambda c: c.delete_messages(key, archive=archive),
        )

    async def delete_oldest_messages(self, key: str, n: int) -> list[ChatMessage]:
        """Delete the oldest ``n`` active messages atomically and return them."""
        values = await self._run(lambda c: c.pop_oldest(key, n), lambda c: c.pop_oldest(key, n))
        return decode_or_raise(key, values)

    async def archive_oldest_messages(self, key: str, n: int) -> list[ChatMessage]:
        """Move the oldest ``n`` active messages to the archive atomically and return them."""
        values = await self._run(
            lambda c: c.archive_oldest(key, n), lambda c: c.archive_oldest(key, n)
        )
        return decode_or_raise(key, values)

    async def get_keys(self) -> list[str]:
        """Session ids, from the session index (never ``KEYS``)."""
        return await self._run(lambda c: c.sessions(), lambda c: c.sessions())

    # housekeeping

    async def clear(self) -> int:
        """Delete every session of this store (only its own key space)."""
        return await self._run(lambda c: c.clear(), lambda c: c.clear())

    def close(self) -> None:
        """Close the sync connections this store opened (used from other event loops)."""
        self._core.close()

    async def aclose(self) -> None:
        """Close the connections this store opened, sync and async (injected ones stay open).

        Call it on the event loop that first used the store: its asyncio client belongs there.
        """
        await self._core.aclose()
