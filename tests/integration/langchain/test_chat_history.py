"""LangChain chat message history on plain Redis: fidelity, atomicity, chains, errors."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import redis
import redis.asyncio
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder
from langchain_core.runnables.history import RunnableWithMessageHistory

from langchain_redisai import RedisAIChatMessageHistory
from redisai_core import ConfigError, CorruptDataError, KeySpace
from redisai_core.history_record import HistoryKeys
from tests.unit.test_message_codec import every_message


def _prefix() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
def history(plain_redis_url: str) -> Iterator[RedisAIChatMessageHistory]:
    h = RedisAIChatMessageHistory("s1", plain_redis_url, prefix=_prefix())
    yield h
    h.clear()
    h.close()


@pytest.fixture
async def ahistory(plain_redis_url: str) -> AsyncIterator[RedisAIChatMessageHistory]:
    h = RedisAIChatMessageHistory("s1", plain_redis_url, prefix=_prefix())
    yield h
    await h.aclear()
    await h.aclose()


def _assert_same(got: list[BaseMessage], want: list[BaseMessage]) -> None:
    assert len(got) == len(want)
    for a, b in zip(got, want, strict=True):
        assert type(a) is type(b)
        assert a == b
        assert a.model_dump() == b.model_dump()


def test_every_message_type_round_trips(history: RedisAIChatMessageHistory) -> None:
    assert history.messages == []
    messages = every_message()
    history.add_messages(messages[:3])
    history.add_message(messages[3])
    history.add_messages(messages[4:])
    _assert_same(history.messages, messages)
    history.clear()
    assert history.messages == []


async def test_every_message_type_round_trips_async(ahistory: RedisAIChatMessageHistory) -> None:
    messages = every_message()
    await ahistory.aadd_messages(messages)
    _assert_same(await ahistory.aget_messages(), messages)
    await ahistory.aclear()
    assert await ahistory.aget_messages() == []


def test_a_batch_with_an_unstorable_message_writes_nothing(
    history: RedisAIChatMessageHistory,
) -> None:
    history.add_messages([HumanMessage("before")])
    bad = HumanMessage("x", additional_kwargs={"when": object()})
    with pytest.raises(TypeError):
        history.add_messages([HumanMessage("a"), bad, HumanMessage("b")])
    assert history.messages == [HumanMessage("before")]


def test_max_length_and_ttl(plain_redis_url: str) -> None:
    prefix = _prefix()
    h = RedisAIChatMessageHistory("s", plain_redis_url, prefix=prefix, max_length=3, ttl=0.3)
    h.add_messages([HumanMessage(str(i)) for i in range(5)])
    assert [m.content for m in h.messages] == ["2", "3", "4"]
    assert h.sessions() == ["s"]
    time.sleep(0.45)
    assert h.messages == []
    assert h.sessions() == []
    h.close()
    with pytest.raises(ConfigError):
        RedisAIChatMessageHistory("s", plain_redis_url, prefix=prefix, ttl=0)
    with pytest.raises(ConfigError):
        RedisAIChatMessageHistory("", plain_redis_url, prefix=prefix)


def test_sessions_are_isolated_and_listed(plain_redis_url: str) -> None:
    prefix = _prefix()
    a = RedisAIChatMessageHistory("a", plain_redis_url, prefix=prefix)
    b = RedisAIChatMessageHistory("b", plain_redis_url, prefix=prefix)
    a.add_user_message("for a")
    b.add_ai_message("for b")
    assert a.messages == [HumanMessage("for a")]
    assert b.messages == [AIMessage("for b")]
    assert sorted(a.sessions()) == ["a", "b"]
    a.clear()
    assert b.sessions() == ["b"]
    b.clear()
    a.close()
    b.close()


def test_corrupt_session_names_the_session_and_spares_others(plain_redis_url: str) -> None:
    prefix = _prefix()
    good = RedisAIChatMessageHistory("good", plain_redis_url, prefix=prefix)
    bad = RedisAIChatMessageHistory("bad", plain_redis_url, prefix=prefix)
    good.add_messages([HumanMessage("fine")])
    bad.add_messages([HumanMessage("fine too")])
    raw = redis.Redis.from_url(plain_redis_url)
    raw.rpush(HistoryKeys(KeySpace(prefix)).messages("bad"), b"\x00garbage")
    with pytest.raises(CorruptDataError, match=r"'bad'.*message 1"):
        bad.messages
    assert good.messages == [HumanMessage("fine")]
    raw.set(HistoryKeys(KeySpace(prefix)).messages("bad"), b"a string")
    with pytest.raises(CorruptDataError, match="'bad'"):
        bad.messages
    bad.clear()
    good.clear()
    for closable in (raw, good, bad):
        closable.close()


def test_injected_clients(plain_redis_url: str) -> None:
    prefix = _prefix()
    sync_client = redis.Redis.from_url(plain_redis_url)
    h = RedisAIChatMessageHistory("s", redis_client=sync_client, prefix=prefix)
    h.add_messages([HumanMessage("x")])
    # with only a sync client, the async methods run it in a worker thread
    assert asyncio.run(h.aget_messages()) == [HumanMessage("x")]
    h.clear()
    h.close()
    assert sync_client.ping()  # an injected client is left open
    sync_client.close()


async def test_async_client_only(plain_redis_url: str) -> None:
    client = redis.asyncio.Redis.from_url(plain_redis_url)
    h = RedisAIChatMessageHistory("s", redis_client=client, prefix=_prefix())
    await h.aadd_messages([HumanMessage("x"), AIMessage("y")])
    assert await h.aget_messages() == [HumanMessage("x"), AIMessage("y")]
    with pytest.raises(NotImplementedError):
        h.messages
    await h.aclear()
    await h.aclose()
    await client.aclose()


# Deprecated in langchain-core 1.x in favour of LangGraph, but still what chains use (the issue
# asks for it); only its own deprecation notice is silenced.
_RWMH_DEPRECATED = pytest.mark.filterwarnings(
    "ignore:RunnableWithMessageHistory is deprecated:DeprecationWarning"
)


def _chain(
    prefix: str, client: redis.Redis | redis.asyncio.Redis, replies: list[AIMessage]
) -> RunnableWithMessageHistory:
    # The factory runs once per call: histories share one client instead of opening their own.
    model = GenericFakeChatModel(messages=iter(replies))
    prompt = ChatPromptTemplate.from_messages(
        [("system", "You are terse."), MessagesPlaceholder("history"), ("human", "{question}")]
    )
    return RunnableWithMessageHistory(
        prompt | model,  # type: ignore[arg-type]
        lambda session_id: RedisAIChatMessageHistory(
            session_id, redis_client=client, prefix=prefix
        ),
        input_messages_key="question",
        history_messages_key="history",
    )


def _replies() -> list[AIMessage]:
    return [
        AIMessage(
            "",
            tool_calls=[{"name": "lookup", "args": {"q": "redis"}, "id": "call_1"}],
            usage_metadata={"input_tokens": 5, "output_tokens": 2, "total_tokens": 7},
            response_metadata={"model_name": "fake"},
        ),
        AIMessage("second answer"),
    ]


@_RWMH_DEPRECATED
def test_runnable_with_message_history(plain_redis_url: str) -> None:
    prefix = _prefix()
    client = redis.Redis.from_url(plain_redis_url)
    chain = _chain(prefix, client, _replies())
    config = {"configurable": {"session_id": "chat-1"}}
    first = chain.invoke({"question": "hi"}, config=config)  # type: ignore[arg-type]
    second = chain.invoke({"question": "and then?"}, config=config)  # type: ignore[arg-type]
    h = RedisAIChatMessageHistory("chat-1", plain_redis_url, prefix=prefix)
    stored = h.messages
    assert stored == [HumanMessage("hi"), first, HumanMessage("and then?"), second]
    assert stored[1].tool_calls == first.tool_calls  # type: ignore[attr-defined]
    assert stored[1].usage_metadata == first.usage_metadata  # type: ignore[attr-defined]
    assert not any(isinstance(m, SystemMessage) for m in stored)
    h.clear()
    h.close()
    client.close()


@_RWMH_DEPRECATED
async def test_runnable_with_message_history_async(plain_redis_url: str) -> None:
    prefix = _prefix()
    client = redis.asyncio.Redis.from_url(plain_redis_url)
    chain = _chain(prefix, client, _replies())
    config = {"configurable": {"session_id": "chat-2"}}
    first = await chain.ainvoke({"question": "hi"}, config=config)  # type: ignore[arg-type]
    second = await chain.ainvoke({"question": "more"}, config=config)  # type: ignore[arg-type]
    h = RedisAIChatMessageHistory("chat-2", plain_redis_url, prefix=prefix)
    assert await h.aget_messages() == [HumanMessage("hi"), first, HumanMessage("more"), second]
    await h.aclear()
    await h.aclose()
    await client.aclose()
