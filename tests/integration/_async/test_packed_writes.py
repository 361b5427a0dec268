"""The lean write path (hiredis-packed HSETs on a pooled connection) against redis-py's pipeline."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import numpy as np
import pytest
import redis.asyncio
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from redisai_core import (
    GeoFieldSpec,
    KeySpace,
    NumericFieldSpec,
    TagFieldSpec,
    TextFieldSpec,
    VectorFieldSpec,
)
from redisai_core import ResponseError as CoreResponseError
from redisai_core._async.packed_writes import async_execute_batches, async_execute_packed
from redisai_core._async.vector_index import AsyncVectorIndex
from redisai_core.search import records

DIMS = 4
FIELDS: list[TagFieldSpec | NumericFieldSpec | TextFieldSpec | GeoFieldSpec] = [
    TagFieldSpec(name="topic"),
    TagFieldSpec(name="tags", separator=","),
    NumericFieldSpec(name="year"),
    TextFieldSpec(name="title"),
    GeoFieldSpec(name="where"),
]
# Varied metadata: unicode, separators and padding in tags (hex-escaped), lists, booleans,
# numbers of every kind, nested values, values of the wrong type for their field, none at all.
METADATAS: list[dict[str, Any] | None] = [
    {"topic": "news", "year": 2001, "title": "Hello wörld ✓", "where": {"lat": 52.5, "lon": 13.4}},
    {"topic": " padded ", "tags": ["a", "b,c", "ü"], "year": 1.5e300, "nested": {"x": [1, None]}},
    {"topic": True, "year": -0.0, "tags": [], "extra": "\x00nul"},
    {"topic": 42, "year": "not a number", "title": 7, "where": [10.0, 20.0]},
    None,
    {},
    {"topic": "Mixed Case", "year": 10**18, "emoji": "😀", "where": "13.4,52.5"},
    {"tags": ("x", "y"), "year": True, "title": ""},
]


@pytest.fixture
async def index(
    async_client: redis.asyncio.Redis, keyspace: KeySpace
) -> AsyncIterator[AsyncVectorIndex]:
    made = AsyncVectorIndex(
        f"idx-{uuid.uuid4().hex[:10]}",
        redis_client=async_client,
        prefix=keyspace.child("docs").prefix,
        vector=VectorFieldSpec(dims=DIMS),
        fields=FIELDS,
    )
    yield made
    await made.drop(delete_documents=True)


def _vectors(n: int, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, DIMS)).astype(np.float32) + 3.0


async def _reference_write(
    client: redis.asyncio.Redis,
    index: AsyncVectorIndex,
    space: KeySpace,
    texts: list[str],
    vectors: np.ndarray,
    metadatas: list[dict[str, Any] | None],
    ids: list[str],
) -> None:
    """What ``add`` wrote before the lean path: redis-py's pipeline, hset(mapping=...)."""
    schema = index.schema
    assert schema is not None
    projected = [f.name for f in schema.fields]
    pipe = client.pipeline(transaction=False)
    for text, vector, meta, doc_id in zip(texts, vectors, metadatas, ids, strict=True):
        meta = dict(meta or {})
        mapping = records.encode_record(schema, text, vector, records.encode_metadata(meta), meta)
        pipe.hset(space.key(doc_id), mapping=mapping)  # type: ignore[arg-type]
        stale = [name for name in projected if name not in mapping]
        if stale:
            pipe.hdel(space.key(doc_id), *stale)
    await pipe.execute()


async def _hashes(client: redis.asyncio.Redis, space: KeySpace, ids: list[str]) -> list[Any]:
    return [await client.hgetall(space.key(doc_id)) for doc_id in ids]


async def test_stored_hashes_are_byte_identical_to_redis_py_pipeline(
    index: AsyncVectorIndex, async_client: redis.asyncio.Redis, keyspace: KeySpace
) -> None:
    n = len(METADATAS)
    texts = [f"document {i} — ünïcode" for i in range(n)]
    vectors = _vectors(n)
    ids = [f"d{i}" for i in range(n)]
    reference = keyspace.child("reference")
    await index.add(texts, vectors, METADATAS, ids=ids, batch_size=3)
    await _reference_write(async_client, index, reference, texts, vectors, METADATAS, ids)
    ours = await _hashes(async_client, index.keyspace, ids)
    assert ours == await _hashes(async_client, reference, ids)
    assert all(h for h in ours) and ours[0][b"topic"] == b"news"

    # An upsert whose metadata lacks projected fields removes them (the HDEL of the batch).
    again = list(reversed(METADATAS))
    await index.add(texts, vectors[::-1], again, ids=ids, batch_size=5)
    await _reference_write(async_client, index, reference, texts, vectors[::-1], again, ids)
    ours = await _hashes(async_client, index.keyspace, ids)
    assert ours == await _hashes(async_client, reference, ids)
    assert b"year" not in ours[3]  # METADATAS[4] is None: no projection is left behind


async def test_a_refused_command_surfaces_and_the_others_are_applied(
    index: AsyncVectorIndex, async_client: redis.asyncio.Redis
) -> None:
    await index.add(["warm"], _vectors(1), ids=["warm"])  # creates the index
    await async_client.set(index.keyspace.key("b"), "a string, not a hash")
    with pytest.raises(CoreResponseError, match="WRONGTYPE"):
        await index.add(["a", "b", "c"], _vectors(3), ids=["a", "b", "c"])
    assert [r.text for r in await index.get(["a", "c"])] == ["a", "c"]
    # The connection went back to the pool in step: the next batch reads its own replies.
    await index.add(["d", "e"], _vectors(2), [{"topic": "t"}, None], ids=["d", "e"])
    assert [r.metadata for r in await index.get(["d", "e"])] == [{"topic": "t"}, {}]


async def test_execute_packed_raises_the_first_error_after_reading_every_reply(
    async_client: redis.asyncio.Redis, keyspace: KeySpace, monkeypatch: pytest.MonkeyPatch
) -> None:
    await async_client.set(keyspace.key("s"), "x")
    connection_class = async_client.connection_pool.connection_class
    original = connection_class.disconnect
    disconnects: list[object] = []

    async def counting_disconnect(self: Any, *args: Any, **kwargs: Any) -> Any:
        disconnects.append(self)
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(connection_class, "disconnect", counting_disconnect)
    commands: list[tuple[str | bytes, ...]] = [
        ("HSET", keyspace.key("h1"), "f", "1"),
        ("HSET", keyspace.key("s"), "f", "2"),
        ("INCR", keyspace.key("s")),
        ("HSET", keyspace.key("h2"), "f", b"\xff"),
    ]
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        await async_execute_packed(async_client, commands)
    # Every reply was read, so the connection went back to the pool in step, not dropped.
    assert disconnects == []
    assert await async_client.hget(keyspace.key("h2"), "f") == b"\xff"
    assert await async_client.ping()


async def test_connection_failure_falls_back_to_the_pipeline(
    index: AsyncVectorIndex,
    async_client: redis.asyncio.Redis,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await index.add(["warm"], _vectors(1), ids=["warm"])
    connection_class = async_client.connection_pool.connection_class
    original = connection_class.read_response
    calls = {"reads": 0, "pipelines": 0}

    async def flaky(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls["reads"] += 1
        if calls["reads"] == 2:  # the connection dies after the first reply of the batch
            await self.disconnect()
            raise redis.ConnectionError("injected: connection lost")
        return await original(self, *args, **kwargs)

    real_pipeline = async_client.pipeline

    def counting_pipeline(*args: Any, **kwargs: Any) -> Any:
        calls["pipelines"] += 1
        return real_pipeline(*args, **kwargs)

    monkeypatch.setattr(connection_class, "read_response", flaky)
    monkeypatch.setattr(async_client, "pipeline", counting_pipeline)
    n = 6
    metas = [{"topic": f"t{i}", "year": i} for i in range(n)]
    ids = [f"x{i}" for i in range(n)]
    await index.add([f"text {i}" for i in range(n)], _vectors(n), metas, ids=ids)
    assert calls["pipelines"] == 1  # the whole batch ran again through redis-py
    monkeypatch.undo()
    got = await index.get(ids)
    assert [r.metadata for r in got] == metas


async def test_unreachable_server_goes_through_redis_py_errors(redis_url: str) -> None:
    dead = redis.asyncio.Redis(host="127.0.0.1", port=1, retry=Retry(NoBackoff(), 0))
    try:
        with pytest.raises(redis.ConnectionError):
            await async_execute_packed(dead, [("HSET", "k", "f", "v")])
    finally:
        await dead.aclose()


async def test_unpackable_commands_take_the_pipeline(
    async_client: redis.asyncio.Redis, keyspace: KeySpace
) -> None:
    # An int argument: redis-py formats numbers itself, so the pipeline sends this batch.
    await async_execute_packed(async_client, [("HSET", keyspace.key("n"), "f", 12)])  # type: ignore[list-item]
    assert await async_client.hget(keyspace.key("n"), "f") == b"12"


async def test_batches_run_in_order_whichever_path_each_takes(
    async_client: redis.asyncio.Redis, keyspace: KeySpace
) -> None:
    key = keyspace.key("list")
    batches: list[list[tuple[Any, ...]]] = [
        [("RPUSH", key, "a"), ("RPUSH", key, b"b")],
        [],
        [("RPUSH", key, 3)],  # an int: redis-py packs this batch, after the replies before it
        [("RPUSH", key, "d")],
        [("RPUSH", key, "e"), ("RPUSH", key, "f")],
    ]
    await async_execute_batches(async_client, batches)
    assert await async_client.lrange(key, 0, -1) == [b"a", b"b", b"3", b"d", b"e", b"f"]


async def test_a_refused_command_stops_the_batches_after_the_next(
    index: AsyncVectorIndex, async_client: redis.asyncio.Redis
) -> None:
    await index.add(["warm"], _vectors(1), ids=["warm"])
    await async_client.set(index.keyspace.key("b"), "a string, not a hash")
    ids = ["a", "b", "c", "d", "e", "f", "g", "h"]
    with pytest.raises(CoreResponseError, match="WRONGTYPE"):
        await index.add(ids, _vectors(len(ids)), ids=ids, batch_size=2)
    # Batch 1 (a, b) failed on b; batch 2 (c, d) was already written; nothing after it was.
    assert [r.id for r in await index.get(["a", "c", "d", "e", "f", "g", "h"])] == ["a", "c", "d"]


async def test_connection_failure_in_a_later_batch_reruns_what_was_unanswered(
    index: AsyncVectorIndex,
    async_client: redis.asyncio.Redis,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await index.add(["warm"], _vectors(1), ids=["warm"])
    connection_class = async_client.connection_pool.connection_class
    original = connection_class.read_response
    calls = {"reads": 0, "pipelines": 0}

    async def flaky(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls["reads"] += 1
        if calls["reads"] == 4:  # the second batch's second reply (batches of 3)
            await self.disconnect()
            raise redis.ConnectionError("injected: connection lost")
        return await original(self, *args, **kwargs)

    real_pipeline = async_client.pipeline

    def counting_pipeline(*args: Any, **kwargs: Any) -> Any:
        calls["pipelines"] += 1
        return real_pipeline(*args, **kwargs)

    monkeypatch.setattr(connection_class, "read_response", flaky)
    monkeypatch.setattr(async_client, "pipeline", counting_pipeline)
    n = 12
    metas = [{"topic": f"t{i}", "year": i} for i in range(n)]
    ids = [f"x{i}" for i in range(n)]
    await index.add([f"text {i}" for i in range(n)], _vectors(n), metas, ids=ids, batch_size=3)
    # Batches 2 and 3 were in flight: both ran again through redis-py; 4 went the lean way.
    assert calls["pipelines"] == 2
    monkeypatch.undo()
    assert [r.metadata for r in await index.get(ids)] == metas
