"""Pickles planted in Redis where our caches, stores and histories read them are never unpickled.

Each payload, when unpickled, creates a marker directory. It is written with raw redis-py where
each component reads (cache entries, KV values, history entries, hosted model metadata, tensor
blobs, vector metadata) and then read through the public API: the read refuses it with
CorruptDataError, treats it as a miss, or hands it back as opaque bytes, and the marker never
appears. The static half of this check is ``tests/unit/test_no_unsafe_deserialisation.py``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from langchain_core.embeddings import DeterministicFakeEmbedding

import langchain_redisai as lc
import llamaindex_redisai as li
from redisai_core import (
    CorruptDataError,
    ExactCache,
    KeySpace,
    RedisAIClient,
    TagFieldSpec,
    VectorIndex,
)
from redisai_core.cache_record import MAGIC, entry_id
from tests.integration.bad_input_harness import drop_indexes_under


class _Trap:
    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.mkdir, (str(self.path),))


@pytest.fixture
def raw(redis_url: str, keyspace: KeySpace) -> Iterator[redis.Redis]:
    conn = redis.Redis.from_url(redis_url)
    yield conn
    drop_indexes_under(conn, keyspace.prefix)
    keys = list(conn.scan_iter(match=keyspace.pattern(), count=1000))
    if keys:
        conn.unlink(*keys)
    conn.close()


@pytest.fixture
def payload(tmp_path: Path) -> Iterator[bytes]:
    marker = tmp_path / "unpickled"
    yield pickle.dumps(_Trap(marker), protocol=pickle.HIGHEST_PROTOCOL)
    assert not marker.exists(), "a stored payload was unpickled"


def test_caches_never_unpickle(raw: redis.Redis, keyspace: KeySpace, payload: bytes) -> None:
    prefix = keyspace.key("ec")
    key = f"{prefix}:{entry_id('p', 'llm')}"
    core = ExactCache(redis_client=raw, prefix=prefix)
    skin = lc.RedisAICache(redis_client=raw, prefix=prefix)
    raw.set(key, payload)
    assert core.lookup("p", "llm") is None  # not ours: a miss
    raw.set(key, MAGIC + payload)
    assert core.lookup("p", "llm") == payload  # the core hands payloads back as opaque bytes
    assert skin.lookup("p", "llm") is None  # the skin decodes JSON only: a corrupt miss
    assert skin.stats.corrupt == 1
    skin.close()


def test_langchain_cache_never_reads_secrets_from_the_environment(
    raw: redis.Redis, keyspace: KeySpace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RAI_TEST_SECRET", "s3cr3t-value")
    prefix = keyspace.key("ec")
    secret = {"lc": 1, "type": "secret", "id": ["RAI_TEST_SECRET"]}
    entry = [
        {
            "lc": 1,
            "type": "constructor",
            "id": ["langchain", "schema", "output", "Generation"],
            "kwargs": {"text": secret},
        }
    ]
    raw.set(f"{prefix}:{entry_id('p', 'llm')}", MAGIC + json.dumps(entry).encode())
    skin = lc.RedisAICache(redis_client=raw, prefix=prefix)
    got = skin.lookup("p", "llm")
    assert got is None or "s3cr3t-value" not in repr(got)
    skin.close()


def test_semantic_cache_never_unpickles(
    raw: redis.Redis, keyspace: KeySpace, payload: bytes
) -> None:
    prefix = keyspace.key("sc")
    cache = lc.RedisAISemanticCache(
        DeterministicFakeEmbedding(size=8), redis_client=raw, prefix=prefix
    )
    cache.update("p", "llm", [])
    (key,) = raw.scan_iter(match=f"{prefix}:*")
    meta = json.loads(raw.hget(key, "_metadata_json"))
    meta["payload"] = base64.b64encode(payload).decode()
    raw.hset(key, "_metadata_json", json.dumps(meta))
    assert cache.lookup("p", "llm") is None
    cache.close()


def test_kv_stores_never_unpickle(raw: redis.Redis, keyspace: KeySpace, payload: bytes) -> None:
    prefix = keyspace.key("kv")
    raw.set(f"{prefix}:data:k", payload)
    raw.set(f"{prefix}:k", payload)
    with pytest.raises(CorruptDataError):
        li.RedisAIKVStore(redis_client=raw, prefix=prefix).get("k")
    assert lc.RedisAIByteStore(redis_client=raw, prefix=prefix).mget(["k"]) == [payload]


def test_histories_never_unpickle(raw: redis.Redis, keyspace: KeySpace, payload: bytes) -> None:
    prefix = keyspace.key("h")
    raw.rpush(f"{prefix}:s:s", payload)
    with pytest.raises(CorruptDataError):
        lc.RedisAIChatMessageHistory("s", redis_client=raw, prefix=prefix).messages
    with pytest.raises(CorruptDataError):
        li.RedisAIChatStore(redis_client=raw, prefix=prefix).get_messages("s")
    with pytest.raises(CorruptDataError):
        asyncio.run(li.RedisAIMemoryStore(redis_client=raw, prefix=prefix).get_messages("s"))


def test_hosted_executor_never_unpickles(
    raw: redis.Redis, keyspace: KeySpace, payload: bytes
) -> None:
    prefix = keyspace.key("ai")
    raw.rpush(f"{prefix}:key:m", payload, b"blob")
    raw.hset(
        f"{prefix}:key:t",
        mapping={"dtype": b"UINT8", "shape": str(len(payload)).encode(), "blob": payload},
    )
    with RedisAIClient(redis_client=raw, executor="hosted", prefix=prefix) as ai:
        with pytest.raises(CorruptDataError):
            ai.modelget("m")
        with pytest.raises(CorruptDataError):
            ai.modelscan()
        # A tensor blob is data: handed back as the very bytes, never interpreted.
        assert ai.tensorget("t").tobytes() == payload


def test_vector_metadata_is_never_unpickled(
    raw: redis.Redis, keyspace: KeySpace, payload: bytes
) -> None:
    prefix = keyspace.key("vi")
    index = VectorIndex(
        prefix.replace(":", "-"),
        prefix=prefix,
        redis_client=raw,
        fields=[TagFieldSpec(name="color")],
    )
    index.add(["t"], [[1.0, 0.0]], [{"color": "red"}], ids=["d"])
    raw.hset(f"{prefix}:d", "_metadata_json", payload)
    try:
        records = index.get(["d"])
    except CorruptDataError:
        return
    assert all(
        isinstance(v, (str, int, float, bool, list, dict, type(None)))
        for r in records
        for v in r.metadata.values()
    )
