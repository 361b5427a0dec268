"""The LangChain and LlamaIndex skins over the core on a cluster (injected cluster client)."""

from __future__ import annotations

from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.outputs import Generation
from llama_index.core.llms import ChatMessage

from langchain_redisai import (
    RedisAIByteStore,
    RedisAICache,
    RedisAIChatMessageHistory,
)
from llamaindex_redisai import RedisAIChatStore, RedisAIKVStore


def test_langchain_skins_on_cluster(cluster_client, keyspace):
    cache = RedisAICache(redis_client=cluster_client, prefix=keyspace.child("cache").prefix)
    cache.update("prompt", "llm", [Generation(text="answer")])
    assert cache.lookup("prompt", "llm") == [Generation(text="answer")]
    cache.clear()
    assert cache.lookup("prompt", "llm") is None

    history = RedisAIChatMessageHistory(
        "s1", redis_client=cluster_client, prefix=keyspace.child("chat").prefix
    )
    history.add_messages([HumanMessage("hi"), AIMessage("hello")])
    assert [m.content for m in history.messages] == ["hi", "hello"]
    history.clear()
    assert history.messages == []

    store = RedisAIByteStore(redis_client=cluster_client, prefix=keyspace.child("bytes").prefix)
    store.mset([(f"k{i}", b"v%d" % i) for i in range(30)])
    assert store.mget(["k3", "nope"]) == [b"v3", None]
    assert len(list(store.yield_keys())) == 30


async def test_llamaindex_skins_on_cluster(async_cluster_client, keyspace):
    chat = RedisAIChatStore(redis_client=async_cluster_client, prefix=keyspace.child("li").prefix)
    await chat.aset_messages("u1", [ChatMessage(role="user", content="hey")])
    await chat.async_add_message("u2", ChatMessage(role="user", content="yo"))
    assert sorted(await chat.aget_keys()) == ["u1", "u2"]
    assert [m.content for m in await chat.aget_messages("u1")] == ["hey"]

    kv = RedisAIKVStore(redis_client=async_cluster_client, prefix=keyspace.child("kv").prefix)
    await kv.aput_all([(f"d{i}", {"n": i}) for i in range(25)], collection="docs")
    assert await kv.aget("d7", collection="docs") == {"n": 7}
    assert len(await kv.aget_all(collection="docs")) == 25
