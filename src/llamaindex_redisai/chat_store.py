"""``RedisAIChatStore``: LlamaIndex's ``BaseChatStore`` over the core chat history.

Works with ``ChatMemoryBuffer`` and everything else that takes a ``BaseChatStore``. For the
newer ``Memory`` class, which needs an ``AsyncDBChatStore``, see :mod:`.memory_store`.
"""

from __future__ import annotations

from typing import Any

import redis
import redis.asyncio
from llama_index.core.llms import ChatMessage
from llama_index.core.storage.chat_store.base import BaseChatStore
from pydantic import Field, PrivateAttr

from redisai_core import AsyncChatHistory, ChatHistory, CorruptDataError, DualCore
from redisai_core.history_record import HistoryOptions

from ._chat_codec import UnreadableMessageError, decode_chat, encode_chat

__all__ = ["RedisAIChatStore"]

# LPOP's count: more than any list holds, so one LPOP empties the list atomically.
_ALL = 2**31 - 1


def history_core(
    redis_url: str | None,
    redis_client: redis.Redis | redis.asyncio.Redis | None,
    options: dict[str, Any],
) -> DualCore[ChatHistory, AsyncChatHistory]:
    """The sync and async core histories of a LlamaIndex store (options checked now).

    Raises:
        ConfigError: a bad TTL or maximum length, or both a URL and a client.
    """
    # Validate now rather than on first use: the cores are built lazily.
    HistoryOptions(ttl=options.get("ttl"), max_length=options.get("max_length"))
    return DualCore(
        lambda url, client: ChatHistory(url, client, **options),
        lambda url, client: AsyncChatHistory(url, client, **options),
        redis_url,
        redis_client,
    )


def decode_or_raise(key: str, values: list[bytes]) -> list[ChatMessage]:
    """Decode a session's values; unreadable data raises an error naming the session."""
    try:
        return decode_chat(values)
    except UnreadableMessageError as exc:
        raise CorruptDataError(f"chat session {key!r} holds unreadable data: {exc}") from exc


class RedisAIChatStore(BaseChatStore):
    """Chat messages per key (session) in Redis lists. Needs no Redis modules.

    Each key's messages are one list: a write (including ``set_messages``) is one atomic round
    trip that also refreshes the key's TTL and the key index; ``get_messages`` is one
    ``LRANGE``; ``delete_message`` removes exactly that position and keeps the order of the rest
    (and the TTL). Keys are listed from an index, never with ``KEYS``.

    Args:
        redis_url: Redis URL; with neither this nor ``redis_client``, ``REDIS_URL`` or the
            embedded server is used.
        redis_client: a sync or asyncio redis-py client to use instead.
        prefix: key prefix of this store.
        ttl: seconds a key's messages live after its last write; ``None``: until deleted.
        max_length: most messages kept per key; the oldest are dropped on write.

    Example:
        >>> from llama_index.core.memory import ChatMemoryBuffer
        >>> memory = ChatMemoryBuffer.from_defaults(
        ...     chat_store=RedisAIChatStore(ttl=3600), chat_store_key="user-1"
        ... )  # doctest: +SKIP
    """

    prefix: str = Field(default="redisai:llamaindex:chat", description="Key prefix.")
    ttl: float | None = Field(default=None, description="Seconds a key lives after a write.")
    max_length: int | None = Field(default=None, description="Most messages kept per key.")
    _core: DualCore[ChatHistory, AsyncChatHistory] = PrivateAttr()

    def __init__(
        self,
        redis_url: str | None = None,
        redis_client: redis.Redis | redis.asyncio.Redis | None = None,
        *,
        prefix: str = "redisai:llamaindex:chat",
        ttl: float | None = None,
        max_length: int | None = None,
    ) -> None:
        super().__init__(prefix=prefix, ttl=ttl, max_length=max_length)  # type: ignore[call-arg]
        options: dict[str, Any] = {"prefix": prefix, "ttl": ttl, "max_length": max_length}
        self._core = history_core(redis_url, redis_client, {**options, "skin": "llamaindex"})

    @classmethod
    def class_name(cls) -> str:
        return "RedisAIChatStore"

    # sync

    def set_messages(self, key: str, messages: list[ChatMessage]) -> None:
        self._core.sync.replace(key, encode_chat(messages))

    def get_messages(self, key: str) -> list[ChatMessage]:
        return decode_or_raise(key, self._core.sync.read(key))

    def add_message(self, key: str, message: ChatMessage) -> None:
        self._core.sync.append(key, encode_chat([message]))

    def add_messages(self, key: str, messages: list[ChatMessage]) -> None:
        """Append several messages atomically, in one round trip."""
        self._core.sync.append(key, encode_chat(messages))

    def delete_messages(self, key: str) -> list[ChatMessage] | None:
        """Delete the key's messages and return them (``None`` when there were none)."""
        values = self._core.sync.pop_oldest(key, _ALL)
        return decode_or_raise(key, values) if values else None

    def delete_message(self, key: str, idx: int) -> ChatMessage | None:
        """Delete the message at position ``idx`` and return it (``None`` when out of range)."""
        value = self._core.sync.delete_at(key, idx)
        return None if value is None else decode_or_raise(key, [value])[0]

    def delete_last_message(self, key: str) -> ChatMessage | None:
        value = self._core.sync.pop_last(key)
        return None if value is None else decode_or_raise(key, [value])[0]

    def get_keys(self) -> list[str]:
        """Keys holding messages, from the key index (never ``KEYS``)."""
        return self._core.sync.sessions()

    # async (native on an asyncio client; with only a sync client, in a worker thread)

    async def aset_messages(self, key: str, messages: list[ChatMessage]) -> None:
        values = encode_chat(messages)
        await self._core.run(lambda c: c.replace(key, values), lambda c: c.replace(key, values))

    async def aget_messages(self, key: str) -> list[ChatMessage]:
        values = await self._core.run(lambda c: c.read(key), lambda c: c.read(key))
        return decode_or_raise(key, values)

    async def async_add_message(self, key: str, message: ChatMessage) -> None:
        values = encode_chat([message])
        await self._core.run(lambda c: c.append(key, values), lambda c: c.append(key, values))

    async def aadd_messages(self, key: str, messages: list[ChatMessage]) -> None:
        """Append several messages atomically, in one round trip."""
        values = encode_chat(messages)
        await self._core.run(lambda c: c.append(key, values), lambda c: c.append(key, values))

    async def adelete_messages(self, key: str) -> list[ChatMessage] | None:
        values = await self._core.run(
            lambda c: c.pop_oldest(key, _ALL), lambda c: c.pop_oldest(key, _ALL)
        )
        return decode_or_raise(key, values) if values else None

    async def adelete_message(self, key: str, idx: int) -> ChatMessage | None:
        value = await self._core.run(
            lambda c: c.delete_at(key, idx), lambda c: c.delete_at(key, idx)
        )
        return None if value is None else decode_or_raise(key, [value])[0]

    async def adelete_last_message(self, key: str) -> ChatMessage | None:
        value = await self._core.run(lambda c: c.pop_last(key), lambda c: c.pop_last(key))
        return None if value is None else decode_or_raise(key, [value])[0]

    async def aget_keys(self) -> list[str]:
        return await self._core.run(lambda c: c.sessions(), lambda c: c.sessions())

    # housekeeping

    def clear(self) -> int:
        """Delete every key of this store (only its own key space)."""
        return self._core.sync.clear()

    async def aclear(self) -> int:
        """Delete every key of this store (only its own key space)."""
        return await self._core.run(lambda c: c.clear(), lambda c: c.clear())

    def close(self) -> None:
        """Close the connections this store opened (an injected client is left open)."""
        self._core.close()

    async def aclose(self) -> None:
        """Close the connections this store opened, sync and async."""
        await self._core.aclose()
