"""A corpus of hostile inputs across the public API, one table row each.

Every row runs next to a set of bystanders (data of every component, and keys outside any prefix
of ours written by raw redis-py). A row's call either raises the one documented exception class
named in the row, or gives the correct result the row checks. Afterwards the server still
answers PING and a snapshot of every key (SCAN + DUMP, plus the search index list) is unchanged,
except, for rows documented to write, keys under the row's own prefix. Malformed records
"written by another program" are planted with raw redis-py before the snapshot is taken.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import math
import pickle
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import redis
import redis.asyncio
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.outputs import Generation
from langchain_core.tools import ToolException
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.llms import MockLLM
from llama_index.core.schema import TextNode
from llama_index.core.vector_stores.types import (
    MetadataFilter,
    MetadataFilters,
    VectorStoreQuery,
)

import langchain_redisai as lc
import llamaindex_redisai as li
from redisai_core import (
    AsyncChatHistory,
    AsyncKVStore,
    ChatHistory,
    ConfigError,
    CorruptDataError,
    ExactCache,
    FilterError,
    KVStore,
    ModelError,
    ModelExecutionError,
    ModelRunner,
    RedisAIClient,
    RedisAIEmbedder,
    SemanticCache,
    TagFieldSpec,
    TensorError,
    VectorError,
    VectorIndex,
    WrongTypeError,
)
from redisai_core.cache_record import MAGIC, entry_id
from redisai_core.search import field
from tests.integration import ai_hosted_helpers as models
from tests.integration.bad_input_harness import (
    Bystanders,
    Snapshot,
    assert_same,
    drop_indexes_under,
    tiny_embedding_spec,
    unlink_under,
)

TEN_MB = 10 * 1024 * 1024
BIG_TEXT = "é" + "x" * (TEN_MB - 2)  # 10 MB of UTF-8 with a non-ASCII character
BIG_BYTES = bytes(range(256)) * (TEN_MB // 256)
NAN, INF = math.nan, math.inf


class Ctx:
    """What a row gets: the raw client, its own prefix, and component factories under it."""

    def __init__(self, url: str, raw: redis.Redis, base: str, tmp: Path) -> None:
        self.url = url
        self.raw = raw
        self.prefix = f"{base}:case-{uuid.uuid4().hex[:8]}"
        self.tmp = tmp
        self.closers: list[Callable[[], Any]] = []

    def p(self, name: str) -> str:
        return f"{self.prefix}:{name}"

    def track(self, obj: Any) -> Any:
        self.closers.append(obj.close)
        return obj

    def kv(self, **kw: Any) -> KVStore:
        return KVStore(redis_client=self.raw, prefix=self.p("kv"), **kw)

    def cache(self, **kw: Any) -> ExactCache:
        return ExactCache(redis_client=self.raw, prefix=self.p("ec"), **kw)

    def history(self, **kw: Any) -> ChatHistory:
        return ChatHistory(redis_client=self.raw, prefix=self.p("h"), **kw)

    def ai(self) -> RedisAIClient:
        return self.track(
            RedisAIClient(redis_client=self.raw, executor="hosted", prefix=self.p("ai"))
        )

    def index(self) -> VectorIndex:
        index = VectorIndex(
            self.p("vi").replace(":", "-"),
            prefix=self.p("vi"),
            redis_client=self.raw,
            fields=[TagFieldSpec(name="color")],
        )
        index.add(
            ["a red thing", "a blue thing"],
            [[1.0, 0.0], [0.0, 1.0]],
            [{"color": "red"}, {"color": "blue"}],
            ids=["r", "b"],
        )
        return index

    def semantic(self, **kw: Any) -> SemanticCache:
        return SemanticCache(redis_client=self.raw, prefix=self.p("sc"), **kw)

    def embedder(self) -> RedisAIEmbedder:
        spec = tiny_embedding_spec(self.tmp)
        return self.track(
            RedisAIEmbedder(spec, redis_client=self.raw, executor="hosted", prefix=self.p("emb"))
        )

    def close(self) -> None:
        for closer in reversed(self.closers):
            closer()
        drop_indexes_under(self.raw, self.prefix)
        unlink_under(self.raw, self.prefix)


@dataclasses.dataclass(frozen=True)
class Row:
    """One corpus row: ``prepare`` plants data and returns the hostile call."""

    prepare: Callable[[Ctx], Callable[[], Any]]
    raises: type[BaseException] | None
    writes: bool


ROWS: list[Any] = []


def row(
    id: str, raises: type[BaseException] | None = None, *, writes: bool = False
) -> Callable[[Callable[[Ctx], Callable[[], Any]]], Callable[[Ctx], Callable[[], Any]]]:
    """Register a row. ``raises``: the exact class expected; else the call checks its result."""

    def register(prepare: Callable[[Ctx], Callable[[], Any]]) -> Callable[[Ctx], Callable[[], Any]]:
        ROWS.append(pytest.param(Row(prepare, raises, writes), id=id))
        return prepare

    return register


def xfail_row(id: str, reason: str, raises: type[BaseException]) -> Callable[..., Any]:
    """A row for a known bug in code another engineer owns: strict xfail until it is fixed."""

    def register(prepare: Callable[[Ctx], Callable[[], Any]]) -> Callable[[Ctx], Callable[[], Any]]:
        mark = pytest.mark.xfail(strict=True, reason=reason)
        ROWS.append(pytest.param(Row(prepare, raises, False), id=id, marks=mark))
        return prepare

    return register


# ---------------------------------------------------------------------------------------- KVStore


@row("kv-value-str", TypeError)
def _(c: Ctx) -> Callable[[], Any]:
    kv = c.kv()
    return lambda: kv.mset([("a", "not bytes")])  # type: ignore[list-item]


@row("kv-key-int", TypeError)
def _(c: Ctx) -> Callable[[], Any]:
    kv = c.kv()
    return lambda: kv.mset([(7, b"v")])  # type: ignore[list-item]


@row("kv-key-none-in-mdelete", TypeError)
def _(c: Ctx) -> Callable[[], Any]:
    kv = c.kv()
    kv.mset([("keep", b"v")])
    return lambda: kv.mdelete(["keep", None])  # type: ignore[list-item]


@row("kv-mget-one-str-not-a-list", TypeError)
def _(c: Ctx) -> Callable[[], Any]:
    kv = c.kv()
    return lambda: kv.mget("abc")


@row("kv-lone-surrogate-key-after-600-good-ones", ConfigError)
def _(c: Ctx) -> Callable[[], Any]:
    # The bad key sits in the second pipeline batch: the first must not be written either.
    kv = c.kv()
    items = [(f"k{i}", b"v") for i in range(600)] + [("\ud800", b"v")]
    return lambda: kv.mset(items)


@row("kv-lone-surrogate-key-in-mdelete", ConfigError)
def _(c: Ctx) -> Callable[[], Any]:
    kv = c.kv()
    kv.mset([(f"k{i}", b"v") for i in range(600)])
    return lambda: kv.mdelete([*(f"k{i}" for i in range(600)), "\ud800"])


@row("kv-ttl-nan", ConfigError)
def _(c: Ctx) -> Callable[[], Any]:
    return lambda: c.kv(ttl=NAN)


@row("kv-ttl-inf", ConfigError)
def _(c: Ctx) -> Callable[[], Any]:
    return lambda: c.kv(ttl=INF)


@row("kv-ttl-str", ConfigError)
def _(c: Ctx) -> Callable[[], Any]:
    return lambda: c.kv(ttl="10")


@row("kv-empty-prefix", ConfigError)
def _(c: Ctx) -> Callable[[], Any]:
    return lambda: KVStore(redis_client=c.raw, prefix="")


@row("kv-decoding-client", ConfigError)
def _(c: Ctx) -> Callable[[], Any]:
    decoding = c.track(redis.Redis.from_url(c.url, decode_responses=True))
    return lambda: KVStore(redis_client=decoding, prefix=c.p("kv"))


@row("kv-empty-key-and-empty-batches", writes=True)
def _(c: Ctx) -> Callable[[], Any]:
    kv = c.kv()

    def call() -> None:
        kv.mset([])
        kv.mset([("", b"")])
        assert kv.mget([]) == []
        assert kv.mget([""]) == [b""]
        assert list(kv.yield_keys()) == [""]
        assert kv.mdelete([]) == 0

    return call


@row("kv-10mb-value", writes=True)
def _(c: Ctx) -> Callable[[], Any]:
    kv = c.kv()

    def call() -> None:
        kv.mset([("big", BIG_BYTES)])
        assert kv.mget(["big"]) == [BIG_BYTES]

    return call


@row("kv-100k-tiny-items", writes=True)
def _(c: Ctx) -> Callable[[], Any]:
    kv = c.kv()
    items = [(f"i{i}", str(i).encode()) for i in range(100_000)]

    def call() -> None:
        kv.mset(items)
        assert kv.mget(["i0", "i54321", "i99999", "i100000"]) == [b"0", b"54321", b"99999", None]
        assert kv.clear() == 100_000  # SCAN listed every one of them

    return call


@row("kv-glob-prefix-lists-only-itself", writes=True)
def _(c: Ctx) -> Callable[[], Any]:
    kv = c.kv()
    kv.mset([("a*", b"1"), ("ab", b"2"), ("a?", b"3"), ("[a]", b"4")])

    def call() -> None:
        assert sorted(kv.yield_keys(prefix="a*")) == ["a*"]
        assert sorted(kv.yield_keys(prefix="[a")) == ["[a]"]
        assert sorted(kv.yield_keys(prefix="a?")) == ["a?"]

    return call


@row("kv-key-invalid-utf8-bytes", TypeError)
def _(c: Ctx) -> Callable[[], Any]:
    kv = c.kv()
    return lambda: kv.mset([(b"\xff\xfe", b"v")])  # type: ignore[list-item]


def _async_kv_call(c: Ctx, items: list[tuple[str, bytes]]) -> Callable[[], Any]:
    async def go() -> None:
        client = redis.asyncio.Redis.from_url(c.url)
        try:
            await AsyncKVStore(redis_client=client, prefix=c.p("kv")).mset(items)
        finally:
            await client.aclose()

    return lambda: asyncio.run(go())


@row("async-kv-lone-surrogate-key-after-600-good-ones", ConfigError)
def _(c: Ctx) -> Callable[[], Any]:
    return _async_kv_call(c, [(f"k{i}", b"v") for i in range(600)] + [("\ud800", b"v")])


@row("async-kv-value-none", TypeError)
def _(c: Ctx) -> Callable[[], Any]:
    return _async_kv_call(c, [("k", None)])  # type: ignore[list-item]


@row("async-history-session-lone-surrogate", ConfigError)
def _(c: Ctx) -> Callable[[], Any]:
    async def go() -> None:
        client = redis.asyncio.Redis.from_url(c.url)
        try:
            await AsyncChatHistory(redis_client=client, prefix=c.p("h")).append("\ud800", [b"m"])
        finally:
            await client.aclose()

    return lambda: asyncio.run(go())


# ------------------------------------------------------------------------------------- ExactCache


@row("cache-prompt-none", TypeError)
def _(c: Ctx) -> Callable[[], Any]:
    cache = c.cache()
    return lambda: cache.update(None, "llm", b"v")  # type: ignore[arg-type]


@row("cache-llm-string-int", TypeError)
def _(c: Ctx) -> Callable[[], Any]:
    cache = c.cache()
    return lambda: cache.lookup("p", 3)  # type: ignore[arg-type]


@row("cache-payload-str", TypeError)
def _(c: Ctx) -> Callable[[], Any]:
    cache = c.cache()
    return lambda: cache.update("p", "llm", "not bytes")  # type: ignore[arg-type]


@row("cache-refresh-without-ttl", ConfigError)
def _(c: Ctx) -> Callable[[], Any]:
    return lambda: c.cache(refresh_ttl_on_hit=True)


@row("cache-ttl-negative", ConfigError)
def _(c: Ctx) -> Callable[[], Any]:
    return lambda: c.cache(ttl=-5)


@row("cache-10mb-prompt-and-payload", writes=True)
def _(c: Ctx) -> Callable[[], Any]:
    cache = c.cache()

    def call() -> None:
        cache.update(BIG_TEXT, "llm", BIG_BYTES)
        assert cache.lookup(BIG_TEXT, "llm") == BIG_BYTES
        assert cache.lookup(BIG_TEXT[:-1], "llm") is None

    return call


@row("cache-lone-surrogates-and-empty-strings", writes=True)
def _(c: Ctx) -> Callable[[], Any]:
    cache = c.cache()

    def call() -> None:
        cache.update("\udcff", "", b"surrogate")
        cache.update("", "", b"empty")
        assert cache.lookup("\udcff", "") == b"surrogate"
        assert cache.lookup("\udcfe", "") is None
        assert cache.lookup("", "") == b"empty"

    return call


@row("cache-foreign-value-at-entry-key")
def _(c: Ctx) -> Callable[[], Any]:
    cache = c.cache()
    c.raw.set(f"{c.p('ec')}:{entry_id('p', 'llm')}", pickle.dumps({"not": "ours"}))

    def call() -> None:
        assert cache.lookup("p", "llm") is None  # documented: a foreign value is a miss
        assert cache.stats.corrupt == 1

    return call


@row("lc-cache-garbage-after-our-header")
def _(c: Ctx) -> Callable[[], Any]:
    cache = c.track(lc.RedisAICache(redis_client=c.raw, prefix=c.p("ec")))
    c.raw.set(f"{c.p('ec')}:{entry_id('p', 'llm')}", MAGIC + b"\xff\xfe{not json")

    def call() -> None:
        assert cache.lookup("p", "llm") is None
        assert cache.stats.corrupt == 1

    return call


@row("lc-cache-json-of-wrong-shape-after-header")
def _(c: Ctx) -> Callable[[], Any]:
    cache = c.track(lc.RedisAICache(redis_client=c.raw, prefix=c.p("ec")))
    c.raw.set(f"{c.p('ec')}:{entry_id('p', 'llm')}", MAGIC + json.dumps([{"x": 1}, 2]).encode())

    def call() -> None:
        assert cache.lookup("p", "llm") is None
        assert cache.stats.corrupt == 1

    return call


@row("lc-cache-update-with-a-str", TypeError)
def _(c: Ctx) -> Callable[[], Any]:
    cache = c.track(lc.RedisAICache(redis_client=c.raw, prefix=c.p("ec")))
    return lambda: cache.update("p", "llm", "not generations")  # type: ignore[arg-type]


@row("lc-semantic-cache-update-with-a-list-of-str", TypeError)
def _(c: Ctx) -> Callable[[], Any]:
    from langchain_core.embeddings import DeterministicFakeEmbedding

    cache = c.track(
        lc.RedisAISemanticCache(
            DeterministicFakeEmbedding(size=4), redis_client=c.raw, prefix=c.p("sc")
        )
    )
    return lambda: cache.update("p", "llm", ["not", "generations"])  # type: ignore[list-item]


@row("lc-cache-10mb-generation", writes=True)
def _(c: Ctx) -> Callable[[], Any]:
    cache = c.track(lc.RedisAICache(redis_client=c.raw, prefix=c.p("ec")))

    def call() -> None:
        cache.update("p", "llm", [Generation(text=BIG_TEXT)])
        got = cache.lookup("p", "llm")
        assert got is not None and got[0].text == BIG_TEXT

    return call


# ------------------------------------------------------------------------------------ ChatHistory


@row("history-session-lone-surrogate", ConfigError)
def _(c: Ctx) -> Callable[[], Any]:
    history = c.history()
    return lambda: history.append("\udcff", [b"m"])


@row("history-session-empty", ConfigError)
def _(c: Ctx) -> Callable[[], Any]:
    history = c.history()
    return lambda: history.read("")


@row("history-session-int", ConfigError)
def _(c: Ctx) -> Callable[[], Any]:
    history = c.history()
    return lambda: history.append(42, [b"m"])  # type: ignore[arg-type]


@row("history-session-bytes", ConfigError)
def _(c: Ctx) -> Callable[[], Any]:
    history = c.history()
    return lambda: history.append(b"\xff", [b"m"])  # type: ignore[arg-type]


@row("history-values-str", TypeError)
def _(c: Ctx) -> Callable[[], Any]:
    history = c.history()
    history.append("s", [b"kept"])
    return lambda: history.append("s", [b"ok", "not bytes"])  # type: ignore[list-item]


@row("history-values-one-bytes-object", TypeError)
def _(c: Ctx) -> Callable[[], Any]:
    history = c.history()
    return lambda: history.append("s", b"abc")


@row("history-delete-at-str-position", TypeError)
def _(c: Ctx) -> Callable[[], Any]:
    history = c.history()
    history.append("s", [b"kept"])
    return lambda: history.delete_at("s", "0")  # type: ignore[arg-type]


@row("history-max-length-zero", ConfigError)
def _(c: Ctx) -> Callable[[], Any]:
    return lambda: c.history(max_length=0)


@row("history-ttl-inf", ConfigError)
def _(c: Ctx) -> Callable[[], Any]:
    return lambda: c.history(ttl=INF)


@row("history-key-of-another-type-read", CorruptDataError)
def _(c: Ctx) -> Callable[[], Any]:
    history = c.history()
    c.raw.set(f"{c.p('h')}:s:s", b"a string, not a list")
    return lambda: history.read("s")


@row("history-key-of-another-type-append", CorruptDataError)
def _(c: Ctx) -> Callable[[], Any]:
    history = c.history()
    c.raw.hset(f"{c.p('h')}:s:s", mapping={"f": b"v"})
    return lambda: history.append("s", [b"m"])


@row("history-10mb-message", writes=True)
def _(c: Ctx) -> Callable[[], Any]:
    history = c.history()

    def call() -> None:
        assert history.append("s", [BIG_BYTES]) == 1
        assert history.read("s") == [BIG_BYTES]

    return call


@row("history-20k-messages-in-one-batch", writes=True)
def _(c: Ctx) -> Callable[[], Any]:
    history = c.history(max_length=15_000)
    batch = [str(i).encode() for i in range(20_000)]

    def call() -> None:
        assert history.append("s", batch) == 15_000
        got = history.read("s")
        assert got[0] == b"5000" and got[-1] == b"19999"

    return call


@row("lc-history-garbage-entry", CorruptDataError)
def _(c: Ctx) -> Callable[[], Any]:
    h = c.track(lc.RedisAIChatMessageHistory("s", redis_client=c.raw, prefix=c.p("h")))
    h.add_messages([HumanMessage("hi")])
    c.raw.rpush(f"{c.p('h')}:s:s", b"\x80\x04\x95garbage")
    return lambda: h.messages


@row("lc-history-json-of-unknown-type", CorruptDataError)
def _(c: Ctx) -> Callable[[], Any]:
    h = c.track(lc.RedisAIChatMessageHistory("s", redis_client=c.raw, prefix=c.p("h")))
    c.raw.rpush(f"{c.p('h')}:s:s", json.dumps({"type": "no-such-role", "data": 1}).encode())
    return lambda: h.messages


@row("lc-history-invalid-utf8-entry", CorruptDataError)
def _(c: Ctx) -> Callable[[], Any]:
    h = c.track(lc.RedisAIChatMessageHistory("s", redis_client=c.raw, prefix=c.p("h")))
    c.raw.rpush(f"{c.p('h')}:s:s", b'{"type": "human", "data": {"content": "\xff\xfe"}}')
    return lambda: h.messages


@row("lc-history-session-none", ConfigError)
def _(c: Ctx) -> Callable[[], Any]:
    return lambda: lc.RedisAIChatMessageHistory(None, redis_client=c.raw, prefix=c.p("h"))  # type: ignore[arg-type]


@row("lc-history-10mb-message", writes=True)
def _(c: Ctx) -> Callable[[], Any]:
    h = c.track(lc.RedisAIChatMessageHistory("s", redis_client=c.raw, prefix=c.p("h")))

    def call() -> None:
        h.add_messages([HumanMessage(BIG_TEXT), AIMessage("ok")])
        got = h.messages
        assert [m.content for m in got] == [BIG_TEXT, "ok"]

    return call


@row("li-chat-garbage-entry", CorruptDataError)
def _(c: Ctx) -> Callable[[], Any]:
    store = c.track(li.RedisAIChatStore(redis_client=c.raw, prefix=c.p("lh")))
    store.add_message("s", ChatMessage(role="user", content="hi"))
    c.raw.rpush(f"{c.p('lh')}:s:s", b"{truncated")
    return lambda: store.get_messages("s")


@row("li-chat-key-lone-surrogate", ConfigError)
def _(c: Ctx) -> Callable[[], Any]:
    store = c.track(li.RedisAIChatStore(redis_client=c.raw, prefix=c.p("lh")))
    return lambda: store.add_message("\udcff", ChatMessage(role="user", content="hi"))


@row("li-memory-store-garbage-entry", CorruptDataError)
def _(c: Ctx) -> Callable[[], Any]:
    import asyncio

    store = c.track(li.RedisAIMemoryStore(redis_client=c.raw, prefix=c.p("lm")))
    c.raw.rpush(f"{c.p('lm')}:s:s", b"\x00\x01\x02")
    return lambda: asyncio.run(store.get_messages("s"))


# ---------------------------------------------------------------------- LlamaIndex / LangChain KV


@row("li-kv-garbage-bytes-value", CorruptDataError)
def _(c: Ctx) -> Callable[[], Any]:
    kv = c.track(li.RedisAIKVStore(redis_client=c.raw, prefix=c.p("likv")))
    c.raw.set(f"{c.p('likv')}:data:k", b"\x80\x04\x95 not json")
    return lambda: kv.get("k")


@row("li-kv-json-list-value", CorruptDataError)
def _(c: Ctx) -> Callable[[], Any]:
    kv = c.track(li.RedisAIKVStore(redis_client=c.raw, prefix=c.p("likv")))
    c.raw.set(f"{c.p('likv')}:data:k", b"[1, 2, 3]")
    return lambda: kv.get("k")


@row("li-kv-invalid-utf8-in-get-all", CorruptDataError)
def _(c: Ctx) -> Callable[[], Any]:
    kv = c.track(li.RedisAIKVStore(redis_client=c.raw, prefix=c.p("likv")))
    kv.put("good", {"a": 1})
    c.raw.set(f"{c.p('likv')}:data:bad", b'{"a": "\xff"}')
    return kv.get_all


@row("li-kv-put-list-value", TypeError)
def _(c: Ctx) -> Callable[[], Any]:
    kv = c.track(li.RedisAIKVStore(redis_client=c.raw, prefix=c.p("likv")))
    return lambda: kv.put("k", [1, 2])  # type: ignore[arg-type]


@row("lc-bytes-pickle-looking-value-is-returned-raw")
def _(c: Ctx) -> Callable[[], Any]:
    store = c.track(lc.RedisAIByteStore(redis_client=c.raw, prefix=c.p("bs")))
    payload = pickle.dumps(Path("/tmp"))
    c.raw.set(f"{c.p('bs')}:k", payload)

    def call() -> None:
        assert store.mget(["k"]) == [payload]  # opaque bytes: a byte store never decodes

    return call


@row("lc-bytes-value-dict", TypeError)
def _(c: Ctx) -> Callable[[], Any]:
    store = c.track(lc.RedisAIByteStore(redis_client=c.raw, prefix=c.p("bs")))
    return lambda: store.mset([("k", {"not": "bytes"})])  # type: ignore[list-item]


@row("lc-bytes-foreign-key-with-invalid-utf8")
def _(c: Ctx) -> Callable[[], Any]:
    store = c.track(lc.RedisAIByteStore(redis_client=c.raw, prefix=c.p("bs")))
    c.raw.set(c.p("bs").encode() + b":\xff\xfe", b"v")

    def call() -> None:
        (listed,) = store.yield_keys()
        assert listed == "\udcff\udcfe"  # the bytes, escaped as surrogateescape does
        assert store.mget([listed]) == [b"v"]  # and that id reaches the very key

    return call


@row("kv-foreign-key-with-invalid-utf8-reads-and-clears", writes=True)
def _(c: Ctx) -> Callable[[], Any]:
    kv = c.kv()
    foreign = c.p("kv").encode() + b":caf\xe9"  # Latin-1, not UTF-8
    c.raw.set(foreign, b"old")

    def call() -> None:
        (listed,) = kv.yield_keys()
        assert kv.mget([listed]) == [b"old"]
        kv.mset([(listed, b"new")])
        assert c.raw.get(foreign) == b"new"
        assert list(kv.yield_keys(prefix="caf\udce9")) == [listed]
        assert kv.clear() == 1
        assert c.raw.exists(foreign) == 0

    return call


# ---------------------------------------------------------------------------------- hosted RedisAI


@row("ai-tensor-hash-missing-fields", CorruptDataError)
def _(c: Ctx) -> Callable[[], Any]:
    ai = c.ai()
    c.raw.hset(f"{c.p('ai')}:key:t", mapping={"dtype": b"FLOAT"})
    return lambda: ai.tensorget("t")


@row("ai-tensor-hash-unknown-dtype", CorruptDataError)
def _(c: Ctx) -> Callable[[], Any]:
    ai = c.ai()
    c.raw.hset(f"{c.p('ai')}:key:t", mapping={"dtype": b"PICKLE", "shape": b"1", "blob": b"1234"})
    return lambda: ai.tensorget("t")


@row("ai-tensor-hash-bad-shape", CorruptDataError)
def _(c: Ctx) -> Callable[[], Any]:
    ai = c.ai()
    c.raw.hset(f"{c.p('ai')}:key:t", mapping={"dtype": b"FLOAT", "shape": b"2,x", "blob": b""})
    return lambda: ai.tensorget("t")


@row("ai-tensor-hash-short-blob", TensorError)
def _(c: Ctx) -> Callable[[], Any]:
    ai = c.ai()
    c.raw.hset(f"{c.p('ai')}:key:t", mapping={"dtype": b"FLOAT", "shape": b"3", "blob": b"1234"})
    return lambda: ai.tensorget("t")


@row("ai-tensor-key-holds-a-string", WrongTypeError)
def _(c: Ctx) -> Callable[[], Any]:
    ai = c.ai()
    c.raw.set(f"{c.p('ai')}:key:t", b"x")
    return lambda: ai.tensorget("t")


@row("ai-model-list-with-pickled-meta", CorruptDataError)
def _(c: Ctx) -> Callable[[], Any]:
    ai = c.ai()
    c.raw.rpush(f"{c.p('ai')}:key:m", pickle.dumps({"backend": "ONNX"}), b"blob")
    return lambda: ai.modelget("m")


@row("ai-model-list-with-partial-meta-scan", CorruptDataError)
def _(c: Ctx) -> Callable[[], Any]:
    ai = c.ai()
    c.raw.rpush(f"{c.p('ai')}:key:m", json.dumps({"backend": "ONNX"}).encode(), b"blob")
    return ai.modelscan


@row("ai-model-meta-wrong-field-types-execute", CorruptDataError)
def _(c: Ctx) -> Callable[[], Any]:
    ai = c.ai()
    meta = {
        "backend": "ONNX",
        "device": "CPU",
        "tag": "",
        "batchsize": "8",
        "minbatchsize": 0,
        "minbatchtimeout": 0,
        "inputs": ["x"],
        "outputs": ["y"],
        "sha256": "",
        "size": 0,
        "chunks": 1,
    }
    c.raw.rpush(f"{c.p('ai')}:key:m", json.dumps(meta).encode(), b"blob")
    ai.tensorset("x", np.ones(2, dtype=np.float32))
    return lambda: ai.modelexecute("m", ["x"], ["y"])


@row("ai-model-corrupt-meta-infoget", CorruptDataError)
def _(c: Ctx) -> Callable[[], Any]:
    ai = c.ai()
    c.raw.rpush(f"{c.p('ai')}:key:m", b"\xff\xfe", b"blob")
    return lambda: ai.infoget("m")


@row("ai-tensorset-none", TensorError)
def _(c: Ctx) -> Callable[[], Any]:
    ai = c.ai()
    return lambda: ai.tensorset("t", None)


@row("ai-tensorset-dict", TensorError)
def _(c: Ctx) -> Callable[[], Any]:
    ai = c.ai()
    return lambda: ai.tensorset("t", {"a": 1})


@row("ai-tensorset-list-without-dtype", ConfigError)
def _(c: Ctx) -> Callable[[], Any]:
    ai = c.ai()
    return lambda: ai.tensorset("t", [1.0, 2.0])


@row("ai-tensorset-value-count-mismatch", TensorError)
def _(c: Ctx) -> Callable[[], Any]:
    ai = c.ai()
    return lambda: ai.tensorset("t", [1.0, 2.0, 3.0], shape=[2], dtype="FLOAT")


@row("ai-tensorset-key-lone-surrogate", ConfigError)
def _(c: Ctx) -> Callable[[], Any]:
    ai = c.ai()
    return lambda: ai.tensorset("\udcff", np.ones(1, dtype=np.float32))


@row("ai-tensorset-nan-and-inf-round-trip", writes=True)
def _(c: Ctx) -> Callable[[], Any]:
    ai = c.ai()
    values = np.array([NAN, INF, -INF, 0.0], dtype=np.float32)

    def call() -> None:
        ai.tensorset("t", values)  # RedisAI stores any float; so must we
        np.testing.assert_array_equal(ai.tensorget("t"), values)

    return call


@row("ai-modelstore-garbage-blob", ModelError)
def _(c: Ctx) -> Callable[[], Any]:
    ai = c.ai()
    return lambda: ai.modelstore("m", "ONNX", "CPU", pickle.dumps("not a model"))


@row("ai-modelexecute-wrong-input-shape", ModelExecutionError)
def _(c: Ctx) -> Callable[[], Any]:
    ai = c.ai()
    ai.modelstore("m", "ONNX", "CPU", models.identity(dims=[2]))
    ai.tensorset("x", np.ones(5, dtype=np.float32))
    return lambda: ai.modelexecute("m", ["x"], ["y"])


@row("ai-unknown-executor", ConfigError)
def _(c: Ctx) -> Callable[[], Any]:
    return lambda: RedisAIClient(redis_client=c.raw, executor="pickle", prefix=c.p("ai"))


@row("runner-argument-of-wrong-type", TensorError)
def _(c: Ctx) -> Callable[[], Any]:
    ai = c.ai()
    ai.modelstore("m", "ONNX", "CPU", models.scale(2.0))
    runner = c.track(ModelRunner("m", redis_client=c.raw, executor="hosted", prefix=c.p("ai")))
    return lambda: runner.run({"x": {"not": "a tensor"}})


_META = {
    "backend": "ONNX",
    "device": "CPU",
    "tag": "",
    "batchsize": 0,
    "minbatchsize": 0,
    "minbatchtimeout": 0,
    "inputs": ["x"],
    "outputs": ["y"],
    "sha256": "",
    "size": 0,
}


@row("lc-tool-stored-model-with-corrupt-meta", ToolException)
def _(c: Ctx) -> Callable[[], Any]:
    # The documented tool failure: a ToolException carrying the core error's reason.
    c.raw.rpush(f"{c.p('ai')}:key:m", json.dumps(_META).encode(), b"blob")  # "chunks" missing
    tool = c.track(
        lc.RedisAIModelTool(
            "m",
            model=models.scale(2.0),
            redis_client=c.raw,
            executor="hosted",
            prefix=c.p("ai"),
        )
    )
    return lambda: tool.invoke({"x": [1.0, 2.0, 3.0, 4.0]})


@row("li-toolspec-stored-model-with-corrupt-meta", CorruptDataError)
def _(c: Ctx) -> Callable[[], Any]:
    c.raw.rpush(f"{c.p('ai')}:key:m", b"\x80\x04K\x01.", b"blob")
    spec = c.track(
        li.RedisAIToolSpec(
            model_key="m",
            model=models.scale(2.0),
            redis_client=c.raw,
            executor="hosted",
            prefix=c.p("ai"),
        )
    )
    return lambda: spec.run_model({"x": [1.0, 2.0, 3.0, 4.0]})


@row("li-cached-llm-corrupt-entry-is-a-miss", writes=True)
def _(c: Ctx) -> Callable[[], Any]:
    llm = c.track(li.RedisAICachedLLM(MockLLM(max_tokens=3), redis_client=c.raw, prefix=c.p("llm")))
    first = llm.complete("hello there general").text
    for key in c.raw.scan_iter(match=f"{c.p('llm')}:*"):
        c.raw.set(key, MAGIC + b"\xff{not json")

    def call() -> None:
        assert llm.complete("hello there general").text == first  # asked the LLM again
        assert llm.stats.corrupt == 1

    return call


# ---------------------------------------------------------------------------------- vector search


@row("index-add-nan-vector", VectorError)
def _(c: Ctx) -> Callable[[], Any]:
    index = c.index()
    return lambda: index.add(["t"], [[NAN, 0.0]], [{}])


@row("index-add-inf-vector-in-a-batch", VectorError)
def _(c: Ctx) -> Callable[[], Any]:
    index = c.index()
    return lambda: index.add(["ok", "bad"], [[1.0, 1.0], [0.0, -INF]], [{}, {}])


@row("index-add-dimension-mismatch", VectorError)
def _(c: Ctx) -> Callable[[], Any]:
    index = c.index()
    return lambda: index.add(["t"], [[1.0, 0.0, 0.0]], [{}])


@row("index-add-str-components", VectorError)
def _(c: Ctx) -> Callable[[], Any]:
    index = c.index()
    return lambda: index.add(["t"], [["one", "zero"]], [{}])


@row("index-add-empty-text", ConfigError)
def _(c: Ctx) -> Callable[[], Any]:
    index = c.index()
    return lambda: index.add([""], [[1.0, 0.0]], [{}])


@row("index-add-mismatched-lengths", ConfigError)
def _(c: Ctx) -> Callable[[], Any]:
    index = c.index()
    return lambda: index.add(["a", "b"], [[1.0, 0.0]], [{}])


@row("index-add-non-json-metadata", ConfigError)
def _(c: Ctx) -> Callable[[], Any]:
    index = c.index()
    return lambda: index.add(["t"], [[1.0, 0.0]], [{"x": {1, 2}}])


@row("index-add-nan-in-metadata", ConfigError)
def _(c: Ctx) -> Callable[[], Any]:
    index = c.index()
    return lambda: index.add(["t"], [[1.0, 0.0]], [{"x": NAN}])


@row("index-add-text-lone-surrogate", ConfigError)
def _(c: Ctx) -> Callable[[], Any]:
    index = c.index()
    return lambda: index.add(["\udcff"], [[1.0, 0.0]], [{}], ids=["s"])


@row("index-add-one-str-as-texts", ConfigError)
def _(c: Ctx) -> Callable[[], Any]:
    index = c.index()
    return lambda: index.add("ab", [[1.0, 0.0], [0.0, 1.0]], [{}, {}])


@row("index-knn-nan-query", VectorError)
def _(c: Ctx) -> Callable[[], Any]:
    index = c.index()
    return lambda: index.knn([NAN, 1.0], 1)


@row("index-knn-dimension-mismatch", VectorError)
def _(c: Ctx) -> Callable[[], Any]:
    index = c.index()
    return lambda: index.knn([1.0], 1)


@row("index-knn-k-zero", ConfigError)
def _(c: Ctx) -> Callable[[], Any]:
    index = c.index()
    return lambda: index.knn([1.0, 0.0], 0)


@row("index-knn-unknown-filter-field", FilterError)
def _(c: Ctx) -> Callable[[], Any]:
    index = c.index()
    return lambda: index.knn([1.0, 0.0], 1, filter=field("nope") == "x")


@row("index-5k-vectors-in-one-add", writes=True)
def _(c: Ctx) -> Callable[[], Any]:
    index = c.index()
    n = 5_000
    rows = np.random.default_rng(1).standard_normal((n, 2)) + 3.0  # no zero vectors

    def call() -> None:
        ids = index.add([f"doc {i}" for i in range(n)], rows, [{"color": "green"}] * n)
        assert len(ids) == n
        assert index.count(field("color") == "green") == n

    return call


@row("index-get-record-with-garbage-vector-bytes", CorruptDataError)
def _(c: Ctx) -> Callable[[], Any]:
    index = c.index()
    c.raw.hset(f"{c.p('vi')}:bad", mapping={"text": b"t", "vector": b"abc"})
    return lambda: index.get(["bad"], with_vectors=True)


@row("index-add-lone-surrogate-text-after-3000-good-ones", ConfigError)
def _(c: Ctx) -> Callable[[], Any]:
    index = c.index()
    texts = [f"text {i}" for i in range(3000)] + ["bad \udcff"]
    return lambda: index.add(texts, np.ones((3001, 2)), [{"color": "c"}] * 3001)


@row("index-knn-raw-string-filter", FilterError)
def _(c: Ctx) -> Callable[[], Any]:
    index = c.index()
    return lambda: index.knn([1.0, 0.0], 1, filter="@color:{red} | *")  # type: ignore[arg-type]


@row("index-get-one-str-as-ids", ConfigError)
def _(c: Ctx) -> Callable[[], Any]:
    index = c.index()
    return lambda: index.get("rb")


@row("index-add-none-vectors", VectorError)
def _(c: Ctx) -> Callable[[], Any]:
    index = c.index()
    return lambda: index.add(["t"], None, [{}])  # type: ignore[arg-type]


@row("semantic-lookup-nan", VectorError)
def _(c: Ctx) -> Callable[[], Any]:
    cache = c.semantic()
    cache.update("q", "llm", [1.0, 0.0], b"v")
    return lambda: cache.lookup([NAN, 0.0], "llm")


@row("semantic-update-dimension-mismatch", VectorError)
def _(c: Ctx) -> Callable[[], Any]:
    cache = c.semantic()
    cache.update("q", "llm", [1.0, 0.0], b"v")
    return lambda: cache.update("q2", "llm", [1.0, 0.0, 0.0], b"v")


@row("semantic-lookup-llm-string-none", TypeError)
def _(c: Ctx) -> Callable[[], Any]:
    cache = c.semantic()
    cache.update("q", "llm", [1.0, 0.0], b"v")
    return lambda: cache.lookup([1.0, 0.0], None)  # type: ignore[arg-type]


@row("semantic-threshold-nan", ConfigError)
def _(c: Ctx) -> Callable[[], Any]:
    return lambda: c.semantic(distance_threshold=NAN)


@row("semantic-ttl-inf", ConfigError)
def _(c: Ctx) -> Callable[[], Any]:
    return lambda: c.semantic(ttl=INF)


@row("semantic-prompt-lone-surrogate-and-10mb", writes=True)
def _(c: Ctx) -> Callable[[], Any]:
    cache = c.semantic()

    def call() -> None:
        cache.update("\udcff", "llm", [1.0, 0.0], b"surrogate")
        cache.update(BIG_TEXT, "llm", [0.0, 1.0], b"big")
        assert cache.lookup([1.0, 0.0], "llm") == b"surrogate"
        assert cache.lookup([0.0, 1.0], "llm") == b"big"

    return call


@row("semantic-entry-with-foreign-payload")
def _(c: Ctx) -> Callable[[], Any]:
    cache = c.semantic()
    cache.update("q", "llm", [1.0, 0.0], b"v")
    key = next(k for k in c.raw.scan_iter(match=f"{c.p('sc')}:*"))
    meta = json.loads(c.raw.hget(key, "_metadata_json"))
    meta["payload"] = "!!! not base64 !!!"
    c.raw.hset(key, "_metadata_json", json.dumps(meta))

    def call() -> None:
        assert cache.lookup([1.0, 0.0], "llm") is None
        assert cache.stats.corrupt == 1

    return call


class _Nan(Embeddings):
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [[NAN, 1.0] for _ in texts]

    def embed_query(self, text: str) -> list[float]:
        return [1.0, 0.0]


class _East(Embeddings):
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [[1.0, 0.0] for _ in texts]

    def embed_query(self, text: str) -> list[float]:
        return [1.0, 0.0]


@row("lc-vectorstore-embeddings-return-nan", VectorError)
def _(c: Ctx) -> Callable[[], Any]:
    store = c.track(
        lc.RedisAIVectorStore(
            _Nan(), index_name=c.p("lcvs").replace(":", "-"), redis_client=c.raw, prefix=c.p("lcvs")
        )
    )
    return lambda: store.add_documents([Document("x")])


@row("lc-vectorstore-unknown-filter-field", FilterError)
def _(c: Ctx) -> Callable[[], Any]:
    store = c.track(
        lc.RedisAIVectorStore(
            _East(),
            index_name=c.p("lcvs").replace(":", "-"),
            redis_client=c.raw,
            prefix=c.p("lcvs"),
        )
    )
    store.add_texts(["x"], metadatas=[{"color": "red"}])
    return lambda: store.similarity_search_by_vector([1.0, 0.0], k=1, filter=field("nope") == "x")


@row("li-vectorstore-nan-embedding", VectorError)
def _(c: Ctx) -> Callable[[], Any]:
    store = c.track(
        li.RedisAIVectorStore(
            c.p("livs").replace(":", "-"), dim=2, redis_client=c.raw, prefix=c.p("livs")
        )
    )
    return lambda: store.add([TextNode(id_="n", text="t", embedding=[NAN, 1.0])])


@row("li-vectorstore-unknown-filter-key", FilterError)
def _(c: Ctx) -> Callable[[], Any]:
    store = c.track(
        li.RedisAIVectorStore(
            c.p("livs").replace(":", "-"), dim=2, redis_client=c.raw, prefix=c.p("livs")
        )
    )
    store.add([TextNode(id_="n", text="t", embedding=[1.0, 0.0], metadata={"color": "red"})])
    filters = MetadataFilters(filters=[MetadataFilter(key="nope", value="x")])
    query = VectorStoreQuery(query_embedding=[1.0, 0.0], similarity_top_k=1, filters=filters)
    return lambda: store.query(query)


# --------------------------------------------------------------------------------------- embedders


@row("embed-none-in-batch", TypeError)
def _(c: Ctx) -> Callable[[], Any]:
    embedder = c.embedder()
    return lambda: embedder.embed(["ok", None])  # type: ignore[list-item]


@row("embed-one-str-as-batch", TypeError)
def _(c: Ctx) -> Callable[[], Any]:
    embedder = c.embedder()
    return lambda: embedder.embed("a sentence")


@row("embed-lone-surrogate", ConfigError)
def _(c: Ctx) -> Callable[[], Any]:
    embedder = c.embedder()
    return lambda: embedder.embed(["fine", "\udcff"])


@row("embed-empty-and-1mb-texts", writes=True)
def _(c: Ctx) -> Callable[[], Any]:
    # 1 MB, not 10: the tokenizer reads a whole text before truncating it (~1 s per MB here).
    embedder = c.embedder()

    def call() -> None:
        vectors = embedder.embed(["", BIG_TEXT[: 1024 * 1024], "plain"])
        assert vectors.shape == (3, 4) and np.isfinite(vectors).all()

    return call


@row("lc-embeddings-int-text", TypeError)
def _(c: Ctx) -> Callable[[], Any]:
    spec = tiny_embedding_spec(c.tmp)
    emb = c.track(
        lc.RedisAIEmbeddings(spec, redis_client=c.raw, executor="hosted", prefix=c.p("emb"))
    )
    return lambda: emb.embed_documents([1])  # type: ignore[list-item]


@row("li-embedding-dict-text", TypeError)
def _(c: Ctx) -> Callable[[], Any]:
    spec = tiny_embedding_spec(c.tmp)
    emb = c.track(
        li.RedisAIEmbedding(spec, redis_client=c.raw, executor="hosted", prefix=c.p("emb"))
    )
    return lambda: emb.get_text_embedding({"text": "x"})  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------ runner


@pytest.fixture(scope="module")
def raw(redis_url: str) -> Iterator[redis.Redis]:
    conn = redis.Redis.from_url(redis_url)
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def bystanders(raw: redis.Redis) -> Iterator[Bystanders]:
    by = Bystanders(raw, f"badin-{uuid.uuid4().hex[:8]}")
    by.create()
    yield by
    by.close()


def test_the_corpus_is_big_enough() -> None:
    assert len(ROWS) >= 50


@pytest.mark.parametrize("case", ROWS)
def test_hostile_input(
    case: Row, redis_url: str, raw: redis.Redis, bystanders: Bystanders, tmp_path: Path
) -> None:
    ctx = Ctx(redis_url, raw, bystanders.base, tmp_path)
    try:
        call = case.prepare(ctx)
        before = Snapshot.take(raw)
        if case.raises is not None:
            with pytest.raises(case.raises) as info:
                call()
            # The documented class itself, not some other subclass of it (or of ValueError).
            assert type(info.value) is case.raises, repr(info.value)
        else:
            call()
        assert raw.ping()
        after = Snapshot.take(raw)
        if case.writes:
            assert_same(before.without(ctx.prefix), after.without(ctx.prefix))
        else:
            assert_same(before, after)
    finally:
        ctx.close()
