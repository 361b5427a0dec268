"""LlamaIndex chat stores on plain Redis: BaseChatStore, ChatMemoryBuffer, and the new Memory."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import redis
from llama_index.core.base.llms.types import (
    AudioBlock,
    ChatMessage,
    DocumentBlock,
    ImageBlock,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)
from llama_index.core.memory import ChatMemoryBuffer, Memory
from llama_index.core.memory.memory import BaseMemoryBlock
from llama_index.core.storage.chat_store.base_db import MessageStatus
from pydantic import Field

from llamaindex_redisai import RedisAIChatStore, RedisAIMemoryStore
from redisai_core import ConfigError, CorruptDataError, KeySpace
from redisai_core.history_record import HistoryKeys


def _prefix() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


def rich_messages() -> list[ChatMessage]:
    return [
        ChatMessage(role="system", content="be brief"),
        ChatMessage(role="user", content="find redis docs"),
        ChatMessage(
            role="assistant",
            blocks=[
                ThinkingBlock(content="need a search", additional_information={"sig": "abc"}),
                TextBlock(text="searching"),
                ToolCallBlock(
                    tool_call_id="call_1", tool_name="search", tool_kwargs={"q": "redis"}
                ),
            ],
            additional_kwargs={
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "search", "arguments": '{"q": "redis"}'},
                    }
                ]
            },
        ),
        ChatMessage(role="tool", content="3 results", additional_kwargs={"tool_call_id": "call_1"}),
        ChatMessage(
            role="user",
            blocks=[
                TextBlock(text="and this?"),
                ImageBlock(image=b"\x89PNG\r\n\x1a\n\x00\xffbinary", image_mimetype="image/png"),
                ImageBlock(url="https://example.com/cat.png"),
                DocumentBlock(data=b"%PDF-1.4 x", document_mimetype="application/pdf", title="t"),
                AudioBlock(audio=b"RIFF\x00\x01", format="wav"),
            ],
        ),
        ChatMessage(role="assistant", content="ünïcödé 🦙", additional_kwargs={"n": [1, 2.5]}),
    ]


@pytest.fixture
def store(plain_redis_url: str) -> Iterator[RedisAIChatStore]:
    s = RedisAIChatStore(plain_redis_url, prefix=_prefix())
    yield s
    s.clear()
    s.close()


@pytest.fixture
async def astore(plain_redis_url: str) -> AsyncIterator[RedisAIChatStore]:
    s = RedisAIChatStore(plain_redis_url, prefix=_prefix())
    yield s
    await s.aclear()
    await s.aclose()


def _text(messages: list[ChatMessage] | None) -> list[str | None]:
    assert messages is not None
    return [m.content for m in messages]


def test_round_trip_with_tool_calls_and_blocks(store: RedisAIChatStore) -> None:
    messages = rich_messages()
    store.set_messages("k", messages[:2])
    for message in messages[2:]:
        store.add_message("k", message)
    assert store.get_messages("k") == messages
    assert store.get_messages("absent") == []


async def test_round_trip_async(astore: RedisAIChatStore) -> None:
    messages = rich_messages()
    await astore.aset_messages("k", messages[:1])
    await astore.aadd_messages("k", messages[1:3])
    for message in messages[3:]:
        await astore.async_add_message("k", message)
    assert await astore.aget_messages("k") == messages


def test_every_method_sync(store: RedisAIChatStore) -> None:
    store.set_messages("a", [ChatMessage(content=str(i)) for i in range(6)])
    store.add_message("b", ChatMessage(content="b0"))
    assert store.get_keys() == ["a", "b"]
    assert store.delete_message("a", 2) == ChatMessage(content="2")
    assert _text(store.get_messages("a")) == ["0", "1", "3", "4", "5"]  # order kept
    assert store.delete_message("a", 0) == ChatMessage(content="0")
    assert store.delete_message("a", 99) is None
    assert store.delete_last_message("a") == ChatMessage(content="5")
    assert _text(store.get_messages("a")) == ["1", "3", "4"]
    assert _text(store.delete_messages("a")) == ["1", "3", "4"]
    assert store.delete_messages("a") is None
    assert store.delete_last_message("a") is None
    assert store.get_keys() == ["b"]
    store.set_messages("b", [])
    assert store.get_keys() == []


async def test_every_method_async(astore: RedisAIChatStore) -> None:
    await astore.aset_messages("a", [ChatMessage(content=str(i)) for i in range(6)])
    await astore.async_add_message("b", ChatMessage(content="b0"))
    assert await astore.aget_keys() == ["a", "b"]
    assert await astore.adelete_message("a", 2) == ChatMessage(content="2")
    assert _text(await astore.aget_messages("a")) == ["0", "1", "3", "4", "5"]
    assert await astore.adelete_message("a", -1) == ChatMessage(content="5")
    assert await astore.adelete_last_message("a") == ChatMessage(content="4")
    assert _text(await astore.adelete_messages("a")) == ["0", "1", "3"]
    assert await astore.adelete_messages("a") is None
    assert await astore.adelete_last_message("a") is None
    assert await astore.aget_keys() == ["b"]


def test_ttl_is_kept_through_deletes_and_max_length(plain_redis_url: str) -> None:
    s = RedisAIChatStore(plain_redis_url, prefix=_prefix(), ttl=30, max_length=4)
    s.set_messages("k", [ChatMessage(content=str(i)) for i in range(6)])
    assert _text(s.get_messages("k")) == ["2", "3", "4", "5"]
    raw = redis.Redis.from_url(plain_redis_url)
    key = HistoryKeys(KeySpace(s.prefix)).messages("k")
    raw.pexpire(key, 5000)  # shorter, to see the refresh
    s.delete_message("k", 1)
    assert 5000 < raw.pttl(key) <= 30000
    raw.pexpire(key, 5000)
    s.delete_last_message("k")
    assert 5000 < raw.pttl(key) <= 30000
    assert _text(s.get_messages("k")) == ["2", "4"]
    s.clear()
    s.close()
    raw.close()
    with pytest.raises(ConfigError):
        RedisAIChatStore(plain_redis_url, prefix=_prefix(), ttl=-1)


def test_corrupt_key_names_it_and_spares_others(
    store: RedisAIChatStore, plain_redis_url: str
) -> None:
    store.add_message("good", ChatMessage(content="fine"))
    store.add_message("bad", ChatMessage(content="fine"))
    raw = redis.Redis.from_url(plain_redis_url)
    raw.rpush(HistoryKeys(KeySpace(store.prefix)).messages("bad"), b'{"role": 5}')
    with pytest.raises(CorruptDataError, match=r"'bad'.*message 1"):
        store.get_messages("bad")
    with pytest.raises(CorruptDataError, match=r"'bad'"):
        store.delete_last_message("bad")
    assert _text(store.get_messages("good")) == ["fine"]
    raw.close()


def test_chat_memory_buffer(store: RedisAIChatStore) -> None:
    memory = ChatMemoryBuffer.from_defaults(
        chat_store=store,
        chat_store_key="user-1",
        token_limit=9,
        tokenizer_fn=lambda text: text.split(),
    )
    for i in range(10):
        memory.put(ChatMessage(role="user" if i % 2 == 0 else "assistant", content=f"turn {i}"))
    # a new buffer over the same store and key sees the same conversation
    again = ChatMemoryBuffer.from_defaults(chat_store=store, chat_store_key="user-1")
    assert _text(again.get_all()) == [f"turn {i}" for i in range(10)]
    recent = memory.get()
    assert 0 < len(recent) < 10 and recent[-1].content == "turn 9"
    memory.reset()
    assert store.get_messages("user-1") == []


# --- the AsyncDBChatStore for Memory ---------------------------------------------------


@pytest.fixture
async def mstore(plain_redis_url: str) -> AsyncIterator[RedisAIMemoryStore]:
    s = RedisAIMemoryStore(plain_redis_url, prefix=_prefix())
    yield s
    await s.clear()
    await s.aclose()


def _msgs(*texts: str) -> list[ChatMessage]:
    return [ChatMessage(role="user", content=t) for t in texts]


async def test_db_store_statuses_and_windows(mstore: RedisAIMemoryStore) -> None:
    await mstore.add_messages("s", _msgs("a", "b", "c", "d"))
    await mstore.add_message("s", ChatMessage(role="user", content="old"), MessageStatus.ARCHIVED)
    assert await mstore.count_messages("s") == 4
    assert await mstore.count_messages("s", MessageStatus.ARCHIVED) == 1
    assert await mstore.count_messages("s", None) == 5
    assert _text(await mstore.get_messages("s", None)) == ["old", "a", "b", "c", "d"]
    assert _text(await mstore.get_messages("s", limit=2, offset=1)) == ["b", "c"]
    assert _text(await mstore.archive_oldest_messages("s", 2)) == ["a", "b"]
    assert _text(await mstore.get_messages("s", MessageStatus.ARCHIVED)) == ["old", "a", "b"]
    assert _text(await mstore.delete_oldest_messages("s", 1)) == ["c"]
    assert await mstore.delete_message("s", 0) == ChatMessage(role="user", content="d")
    assert await mstore.delete_message("s", 0) is None
    assert await mstore.get_keys() == ["s"]  # archived messages keep the session
    await mstore.set_messages("s", _msgs("new"))  # replaces both statuses, as the SQL store
    assert _text(await mstore.get_messages("s", None)) == ["new"]
    await mstore.add_message("t", ChatMessage(content="x"))
    await mstore.delete_messages("s", MessageStatus.ACTIVE)
    assert await mstore.get_keys() == ["t"]
    await mstore.delete_messages("t")
    assert await mstore.get_keys() == []
    await mstore.add_messages("rich", rich_messages())
    assert await mstore.get_messages("rich") == rich_messages()


class _Collector(BaseMemoryBlock[str]):
    """A memory block that keeps what the FIFO queue flushes into it."""

    flushed: list[ChatMessage] = Field(default_factory=list)

    async def _aget(self, messages: list[ChatMessage] | None = None, **kwargs: Any) -> str:
        return f"{len(self.flushed)} flushed"

    async def _aput(self, messages: list[ChatMessage]) -> None:
        self.flushed.extend(messages)


def _turns(n: int) -> list[ChatMessage]:
    return [
        ChatMessage(role="user" if i % 2 == 0 else "assistant", content=f"message {i} " * 5)
        for i in range(n)
    ]


async def test_memory_archives_old_messages_over_the_token_limit(
    mstore: RedisAIMemoryStore,
) -> None:
    collector = _Collector(name="collector", flushed=[])
    memory = Memory.from_defaults(
        session_id="user-1",
        chat_store=mstore,
        token_limit=100,
        token_flush_size=20,
        chat_history_token_ratio=0.5,
        tokenizer_fn=lambda text: text.split(),
        memory_blocks=[collector],
    )
    turns = _turns(20)
    for message in turns:
        await memory.aput(message)
    archived = await mstore.get_messages("user-1", MessageStatus.ARCHIVED)
    active = await mstore.get_messages("user-1", MessageStatus.ACTIVE)
    assert archived and active
    assert archived + active == turns  # nothing lost, order kept
    # the waterfall saw exactly the archived messages (Memory tags them with the session)
    assert _text(collector.flushed) == _text(archived)
    assert {m.additional_kwargs["session_id"] for m in collector.flushed} == {"user-1"}
    assert sum(len(m.content.split()) for m in active) <= 50  # type: ignore[union-attr]
    assert active[0].role == "user"
    assert await memory.aget_all() == turns
    got = await memory.aget()
    assert got[-1] == turns[-1]


def test_memory_sync_api(plain_redis_url: str) -> None:
    # Memory's sync methods run its async code on the current event loop (asyncio_run); give
    # it one and close everything on it afterwards.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        s = RedisAIMemoryStore(plain_redis_url, prefix=_prefix())
        memory = Memory.from_defaults(
            session_id="u",
            chat_store=s,
            token_limit=60,
            tokenizer_fn=lambda text: text.split(),
        )
        turns = _turns(12)
        for message in turns:
            memory.put(message)
        assert memory.get_all() == turns
        assert loop.run_until_complete(s.count_messages("u", MessageStatus.ARCHIVED)) > 0
        memory.reset()
        assert memory.get_all() == []
        loop.run_until_complete(s.aclose())
    finally:
        asyncio.set_event_loop(None)
        loop.close()


async def test_memory_store_from_another_loop_uses_the_sync_client(plain_redis_url: str) -> None:
    s = RedisAIMemoryStore(plain_redis_url, prefix=_prefix())
    await s.add_messages("k", _msgs("here"))  # binds the asyncio client to this loop
    # another loop, in another thread: served by the sync client instead
    other = await asyncio.to_thread(asyncio.run, s.get_messages("k"))
    assert _text(other) == ["here"]
    await s.clear()
    await s.aclose()
    s.close()
