"""LlamaIndex KV store: the interface, collections, and real LlamaIndex consumers on top."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

import pytest
import redis
from llama_index.core import Document
from llama_index.core.data_structs import IndexDict
from llama_index.core.ingestion import IngestionCache, IngestionPipeline
from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.schema import BaseNode, TransformComponent
from llama_index.core.storage.docstore.keyval_docstore import KVDocumentStore
from llama_index.core.storage.index_store.keyval_index_store import KVIndexStore

from llamaindex_redisai import RedisAIKVStore


@pytest.fixture
def store(plain_redis_url: str) -> Iterator[RedisAIKVStore]:
    kv = RedisAIKVStore(plain_redis_url, prefix=f"t{uuid.uuid4().hex[:10]}")
    yield kv
    for collection in ("data", "a", "a:b", "docstore/data", "docstore/metadata",
                       "docstore/ref_doc_info", "index_store/data", "cache"):  # fmt: skip
        kv.clear(collection)
    kv.close()


@pytest.fixture
async def astore(plain_redis_url: str) -> AsyncIterator[RedisAIKVStore]:
    kv = RedisAIKVStore(plain_redis_url, prefix=f"t{uuid.uuid4().hex[:10]}")
    yield kv
    await kv.aclear()
    await kv.aclose()


def test_put_get_delete_and_get_all(store: RedisAIKVStore) -> None:
    value = {"text": "héllo", "n": [1, 2.5, None], "nested": {"ok": True}}
    store.put("k:1", value)
    assert store.get("k:1") == value
    assert store.get("missing") is None
    store.put_all([(f"b{i}", {"i": i}) for i in range(1100)], batch_size=3)
    everything = store.get_all()
    assert len(everything) == 1101 and everything["b1099"] == {"i": 1099}
    assert store.delete("k:1") is True
    assert store.delete("k:1") is False


def test_collections_never_see_each_other(store: RedisAIKVStore) -> None:
    store.put("x", {"v": "a"}, collection="a")
    store.put("x", {"v": "ab"}, collection="a:b")
    store.put("b:x", {"v": "a-with-colon-key"}, collection="a")
    assert store.get_all("a") == {"x": {"v": "a"}, "b:x": {"v": "a-with-colon-key"}}
    assert store.get_all("a:b") == {"x": {"v": "ab"}}
    assert store.clear("a") == 2
    assert store.get("x", collection="a:b") == {"v": "ab"}


def test_non_dict_value_is_refused_and_nothing_written(store: RedisAIKVStore) -> None:
    with pytest.raises(TypeError):
        store.put_all([("ok", {"a": 1}), ("bad", ["not", "a", "dict"])])  # type: ignore[list-item]
    assert store.get("ok") is None


async def test_async_interface(astore: RedisAIKVStore) -> None:
    await astore.aput("a", {"v": 1})
    await astore.aput_all([("b", {"v": 2}), ("c", {"v": 3})])
    assert await astore.aget("a") == {"v": 1}
    assert await astore.aget_all() == {"a": {"v": 1}, "b": {"v": 2}, "c": {"v": 3}}
    assert await astore.adelete("a") is True
    assert astore.get("a") is None  # sync and async see the same data
    assert astore.get("b") == {"v": 2}
    astore.close()


async def test_injected_sync_client_serves_async_calls(plain_redis_url: str) -> None:
    client = redis.Redis.from_url(plain_redis_url)
    kv = RedisAIKVStore(redis_client=client, prefix=f"t{uuid.uuid4().hex[:10]}")
    await kv.aput("a", {"v": 1})
    assert await kv.aget("a") == {"v": 1}
    await kv.aclear()
    client.close()


def test_document_store_and_index_store(store: RedisAIKVStore) -> None:
    docstore = KVDocumentStore(store)
    docs = [Document(text=f"doc {i}", id_=f"d:{i}", metadata={"i": i}) for i in range(3)]
    docstore.add_documents(docs)
    assert docstore.get_document("d:1").text == "doc 1"  # type: ignore[union-attr]
    assert set(docstore.docs) == {"d:0", "d:1", "d:2"}
    docstore.delete_document("d:0")
    assert not docstore.document_exists("d:0")

    index_store = KVIndexStore(store)
    struct = IndexDict(index_id="idx-1")
    struct.add_node(docs[1])
    index_store.add_index_struct(struct)
    loaded = index_store.get_index_struct("idx-1")
    assert isinstance(loaded, IndexDict) and loaded.nodes_dict == struct.nodes_dict


class _Counting(TransformComponent):
    calls: int = 0

    def __call__(self, nodes: Sequence[BaseNode], **kwargs: Any) -> Sequence[BaseNode]:
        type(self).calls += 1
        return nodes


def test_ingestion_cache_hits_on_the_second_run(store: RedisAIKVStore) -> None:
    _Counting.calls = 0
    docs = [Document(text="Redis keeps the cache. " * 20, id_="doc-1")]

    def run() -> list[BaseNode]:
        pipeline = IngestionPipeline(
            transformations=[SentenceSplitter(chunk_size=64, chunk_overlap=0), _Counting()],
            cache=IngestionCache(cache=store, collection="cache"),
        )
        return pipeline.run(documents=docs)

    first = run()
    assert _Counting.calls == 1
    second = run()
    assert _Counting.calls == 1  # served from the Redis-backed cache
    assert [n.get_content() for n in second] == [n.get_content() for n in first]
    assert store.get_all("cache")
