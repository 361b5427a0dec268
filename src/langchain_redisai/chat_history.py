"""``RedisAIChatMessageHistory``: LangChain chat message history over the core chat history."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import redis
import redis.asyncio
from langchain_core.chat_history import BaseChatMessageHistory
from langchain_core.messages import BaseMessage

from redisai_core import AsyncChatHistory, ChatHistory, ConfigError, CorruptDataError, DualCore
from redisai_core.history_record import HistoryOptions

from ._message_codec import UnreadableMessageError, decode_messages, encode_messages

__all__ = ["RedisAIChatMessageHistory"]

_SKIN = "langchain"


class RedisAIChatMessageHistory(BaseChatMessageHistory):
    """The messages of one chat session in a Redis list. Needs no Redis modules.

    Every message type round-trips exactly: content blocks, tool calls (valid and invalid),
    tool call ids and artifacts, names, ids, additional kwargs, response metadata, usage, and
    chunks. A batch of messages is appended atomically in one round trip; the whole history is
    read in one round trip. Async methods are native (on an asyncio client).

    Args:
        session_id: the session whose messages this object reads and writes.
        redis_url: Redis URL; with neither this nor ``redis_client``, ``REDIS_URL`` or the
            embedded server is used.
        redis_client: a sync or asyncio redis-py client to use instead.
        prefix: key prefix of the histories (sessions are listed per prefix).
        ttl: seconds a session lives after its last write; ``None`` keeps it until cleared.
        max_length: most messages kept per session; the oldest are dropped on write.

    Raises:
        ConfigError: bad TTL, maximum length or session id, or both a URL and a client.

    In a session factory (``RunnableWithMessageHistory`` builds one history per call), pass a
    shared ``redis_client`` so that histories do not each open their own connections.

    Example:
        >>> from langchain_core.runnables.history import RunnableWithMessageHistory
        >>> client = redis.Redis.from_url("redis://localhost:6379")  # doctest: +SKIP
        >>> chain = RunnableWithMessageHistory(
        ...     llm, lambda sid: RedisAIChatMessageHistory(sid, redis_client=client, ttl=3600)
        ... )  # doctest: +SKIP
    """

    def __init__(
        self,
        session_id: str,
        redis_url: str | None = None,
        redis_client: redis.Redis | redis.asyncio.Redis | None = None,
        *,
        prefix: str = "redisai:chat",
        ttl: float | None = None,
        max_length: int | None = None,
    ) -> None:
        options: dict[str, Any] = {
            "prefix": prefix,
            "ttl": ttl,
            "max_length": max_length,
            "skin": _SKIN,
        }
        # Validate now rather than on first use: the cores are built lazily.
        HistoryOptions(ttl=ttl, max_length=max_length)
        if not isinstance(session_id, str) or not session_id:
            raise ConfigError(f"a session id must be a non-empty str, got {session_id!r}")
        self.session_id = session_id
        self._core: DualCore[ChatHistory, AsyncChatHistory] = DualCore(
            lambda url, client: ChatHistory(url, client, **options),
            lambda url, client: AsyncChatHistory(url, client, **options),
            redis_url,
            redis_client,
        )

    def _decode(self, values: list[bytes]) -> list[BaseMessage]:
        try:
            return decode_messages(values)
        except UnreadableMessageError as exc:
            raise CorruptDataError(
                f"chat session {self.session_id!r} holds unreadable data: {exc}"
            ) from exc

    # sync

    @property
    def messages(self) -> list[BaseMessage]:  # type: ignore[override]
        """All messages of the session, oldest first (one round trip).

        Raises:
            CorruptDataError: the session's stored data cannot be read.
        """
        return self._decode(self._core.sync.read(self.session_id))

    def add_messages(self, messages: Sequence[BaseMessage]) -> None:
        """Append ``messages`` atomically (all or none), in one round trip.

        Raises:
            TypeError: a message holds values that could not be read back exactly; nothing
                is written.
        """
        self._core.sync.append(self.session_id, encode_messages(messages))

    def clear(self) -> None:
        """Delete the session."""
        self._core.sync.delete(self.session_id)

    def sessions(self) -> list[str]:
        """Ids of the live sessions under this prefix (from the session index, never KEYS)."""
        return self._core.sync.sessions()

    # async (native on an asyncio client; with only a sync client, in a worker thread)

    async def aget_messages(self) -> list[BaseMessage]:
        """All messages of the session, oldest first (one round trip)."""
        values = await self._core.run(
            lambda c: c.read(self.session_id), lambda c: c.read(self.session_id)
        )
        return self._decode(values)

    async def aadd_messages(self, messages: Sequence[BaseMessage]) -> None:
        """Append ``messages`` atomically (all or none), in one round trip."""
        values = encode_messages(messages)
        await self._core.run(
            lambda c: c.append(self.session_id, values),
            lambda c: c.append(self.session_id, values),
        )

    async def aclear(self) -> None:
        """Delete the session."""
        await self._core.run(
            lambda c: c.delete(self.session_id), lambda c: c.delete(self.session_id)
        )

    async def asessions(self) -> list[str]:
        """Ids of the live sessions under this prefix (from the session index, never KEYS)."""
        return await self._core.run(lambda c: c.sessions(), lambda c: c.sessions())

    # housekeeping

    def close(self) -> None:
        """Close the connections this object opened (an injected client is left open)."""
        self._core.close()

    async def aclose(self) -> None:
        """Close the connections this object opened, sync and async."""
        await self._core.aclose()
