"""The lean read path (one hiredis-packed command on a pooled connection) against redis-py."""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import time
from typing import Any

import numpy as np
import pytest
import redis.asyncio

from redisai_core import (
    ConnectionConfig,
    IndexNotFoundError,
    KeySpace,
    NumericFieldSpec,
    TagFieldSpec,
)
from redisai_core._async.lean_read import AsyncLeanReader, async_execute_read, can_read_lean
from redisai_core._async.vector_index import AsyncVectorIndex
from redisai_core.connection import create_async_client
from redisai_core.search import Algorithm, VectorFieldSpec, field


async def _index(client: redis.asyncio.Redis, keyspace: KeySpace) -> AsyncVectorIndex:
    index = AsyncVectorIndex(
        f"lean-{keyspace.prefix}",
        redis_client=client,
        prefix=keyspace.key("docs"),
        vector=VectorFieldSpec(dims=4, algorithm=Algorithm.FLAT),
        fields=[TagFieldSpec(name="topic"), NumericFieldSpec(name="year")],
    )
    vectors = np.random.default_rng(1).standard_normal((40, 4)).astype(np.float32)
    metas = [{"topic": f"t{i % 4}", "year": 2000 + i} for i in range(40)]
    await index.add([f"doc {i}" for i in range(40)], vectors, metas)
    return index


async def _kill(redis_url: str, client_id: Any) -> None:
    killer = create_async_client(ConnectionConfig(url=redis_url))
    assert await killer.execute_command("CLIENT", "KILL", "ID", client_id) == 1
    await killer.aclose()


class _Counted:
    """Counts the client's ``execute_command`` calls (a spy: the real method still runs)."""

    def __init__(self, client: Any) -> None:
        self.calls = 0
        self._client = client
        self._execute_command = client.execute_command

    async def _counted(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return await self._execute_command(*args, **kwargs)

    def __enter__(self) -> _Counted:
        self._client.execute_command = self._counted
        return self

    def __exit__(self, *exc: object) -> None:
        del self._client.execute_command


@pytest.mark.parametrize("protocol", [2, 3])
async def test_replies_equal_execute_command(
    redis_url: str, keyspace: KeySpace, protocol: int
) -> None:
    client = create_async_client(ConnectionConfig(url=redis_url, protocol=protocol))
    assert can_read_lean(client)
    index = await _index(client, keyspace)
    try:
        blob = np.ones(4, np.float32).tobytes()
        commands: list[tuple[Any, ...]] = [
            (
                "FT.SEARCH",
                index.index_name,
                "*=>[KNN 5 @vector $v AS d]",
                "PARAMS",
                "2",
                "v",
                blob,
                "SORTBY",
                "d",
                "DIALECT",
                "2",
            ),
            ("FT.SEARCH", index.index_name, "@topic:{t1}", "LIMIT", "0", "3"),
            ("HGETALL", keyspace.key("missing")),
            ("EXISTS", keyspace.key("missing")),
            ("PING",),
        ]
        for args in commands:
            assert await async_execute_read(client, args) == await client.execute_command(*args)
    finally:
        await index.drop(delete_documents=True)
        await client.aclose()


async def test_an_error_reply_is_raised_and_the_connection_stays_in_step(
    async_client: redis.asyncio.Redis, keyspace: KeySpace
) -> None:
    await async_client.set(keyspace.key("s"), "v")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        await async_execute_read(async_client, ("HGETALL", keyspace.key("s")))
    with pytest.raises(redis.ResponseError, match=r"no such index|Unknown index"):
        await async_execute_read(async_client, ("FT.SEARCH", "no-such-index-here", "*"))
    for i in range(20):  # every pooled connection still answers its own command
        assert await async_execute_read(async_client, ("ECHO", f"m{i}")) == f"m{i}".encode()


async def test_a_dropped_connection_reruns_through_redis_py(
    redis_url: str, async_client: redis.asyncio.Redis, keyspace: KeySpace
) -> None:
    await async_client.set(keyspace.key("k"), "v")
    pool: Any = async_client.connection_pool
    conn = await pool.get_connection()
    await conn.send_command("CLIENT", "ID")
    victim = await conn.read_response()
    await pool.release(conn)
    assert len(pool._available_connections) == 1  # the next command takes this one
    await _kill(redis_url, victim)
    is_asyncio = inspect.iscoroutinefunction(async_client.execute_command)
    with _Counted(async_client) as counted:
        assert await async_execute_read(async_client, ("GET", keyspace.key("k"))) == b"v"
        # asyncio: the lean attempt hits the dead socket and redis-py runs it again. The sync
        # pool notices a dead idle connection when it lends it, and reconnects it first.
        assert counted.calls == (1 if is_asyncio else 0)
        fallbacks = counted.calls
        assert await async_execute_read(async_client, ("GET", keyspace.key("k"))) == b"v"
        assert counted.calls == fallbacks  # reconnected: lean again


async def test_arguments_redis_py_formats_itself_take_execute_command(
    async_client: redis.asyncio.Redis, keyspace: KeySpace
) -> None:
    await async_client.rpush(keyspace.key("l"), "a", "b", "c")
    # An int argument: redis-py formats it, so the lean packer is not used (same reply).
    got = await async_execute_read(async_client, ("LRANGE", keyspace.key("l"), 0, -1))
    assert got == [b"a", b"b", b"c"]


async def test_a_filtered_knn_search_takes_the_lean_path(
    async_client: redis.asyncio.Redis, keyspace: KeySpace, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = await _index(async_client, keyspace)
    try:
        hits = await index.knn(np.ones(4, np.float32), 3, filter=field("topic") == "t2")
        assert len(hits) == 3 and all(h.metadata["topic"] == "t2" for h in hits)

        async def refuse(*args: Any, **kwargs: Any) -> Any:
            raise AssertionError("execute_command was called")

        monkeypatch.setattr(async_client, "execute_command", refuse)
        again = await index.knn(np.ones(4, np.float32), 3, filter=field("topic") == "t2")
        assert [h.id for h in again] == [h.id for h in hits]
        monkeypatch.undo()
        with pytest.raises(IndexNotFoundError):  # an error reply still maps to our hierarchy
            await index._search(("FT.SEARCH", "no-such-index-here", "*"), index._schema)  # type: ignore[arg-type]
    finally:
        await index.drop(delete_documents=True)


async def test_the_reader_keeps_one_connection_and_gives_it_back(
    async_client: redis.asyncio.Redis, keyspace: KeySpace
) -> None:
    await async_client.set(keyspace.key("k"), "v")
    pool: Any = async_client.connection_pool
    in_use = len(pool._in_use_connections)
    reader = AsyncLeanReader(async_client)
    for _ in range(5):
        assert await reader.execute(("GET", keyspace.key("k"))) == b"v"
    assert len(pool._in_use_connections) == in_use + 1  # kept across calls
    await reader.aclose()
    assert len(pool._in_use_connections) == in_use


async def test_concurrent_callers_share_the_reader_correctly(
    async_client: redis.asyncio.Redis, keyspace: KeySpace
) -> None:
    """Callers that find the kept connection busy take the pool; every reply is their own."""
    keys = [keyspace.key(f"c{i}") for i in range(32)]
    for k in keys:
        await async_client.set(k, k)
    reader = AsyncLeanReader(async_client)

    async def caller(k: str) -> list[Any]:
        return [await reader.execute(("GET", k)) for _ in range(20)]

    if inspect.iscoroutinefunction(reader.execute):
        results = await asyncio.gather(*(caller(k) for k in keys))
    else:  # the sync twin: threads
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            results = list(pool.map(caller, keys))
    assert results == [[k.encode()] * 20 for k in keys]
    await reader.aclose()


async def test_a_dead_kept_connection_reruns_through_redis_py_then_reconnects(
    redis_url: str, async_client: redis.asyncio.Redis, keyspace: KeySpace
) -> None:
    await async_client.set(keyspace.key("k"), "v")
    reader = AsyncLeanReader(async_client)
    assert await reader.execute(("CLIENT", "ID")) is not None
    victim = await reader.execute(("CLIENT", "ID"))  # the kept connection's own ID
    await _kill(redis_url, victim)
    try:
        with _Counted(async_client) as counted:
            assert await reader.execute(("GET", keyspace.key("k"))) == b"v"
            assert counted.calls == 1  # the kept connection was dead: redis-py ran the command
            assert await reader.execute(("GET", keyspace.key("k"))) == b"v"
            assert await reader.execute(("CLIENT", "ID")) != victim  # reconnected, kept again
            assert counted.calls == 1
    finally:
        await reader.aclose()


async def test_closing_during_a_command_neither_blocks_nor_leaks_the_connection(
    async_client: redis.asyncio.Redis, keyspace: KeySpace
) -> None:
    pool: Any = async_client.connection_pool
    reader = AsyncLeanReader(async_client)
    assert await reader.execute(("PING",)) in (b"PONG", True)
    in_use = len(pool._in_use_connections)  # the reader's kept connection included
    slow = ("BLPOP", keyspace.key("never"), "0.3")  # holds the kept connection for 0.3 s
    if inspect.iscoroutinefunction(reader.execute):
        pending: Any = asyncio.ensure_future(reader.execute(slow))
        await asyncio.sleep(0.05)
        await asyncio.wait_for(reader.aclose(), 0.1)  # does not wait for the command
        assert await pending is None
    else:  # the sync twin: the command runs in another thread
        with concurrent.futures.ThreadPoolExecutor(1) as threads:
            pending = threads.submit(reader.execute, slow)
            time.sleep(0.05)
            started = time.monotonic()
            reader.aclose()
            assert time.monotonic() - started < 0.1
            assert pending.result() is None
    assert reader.closed
    assert len(pool._in_use_connections) == in_use - 1  # given back when the command ended
    assert await reader.execute(("ECHO", "after")) == b"after"  # the pool path still works
    assert len(pool._in_use_connections) == in_use - 1


async def test_a_small_pool_keeps_nothing_and_is_never_exhausted(
    redis_url: str, keyspace: KeySpace
) -> None:
    """With one connection in a blocking pool, an index still writes, searches and writes
    again: its reader borrows the connection per search instead of keeping it."""
    pool = redis.asyncio.BlockingConnectionPool.from_url(
        redis_url, max_connections=1, timeout=2, protocol=2
    )
    client = redis.asyncio.Redis.from_pool(pool)  # closing the client closes its pool
    try:
        index = await _index(client, keyspace)
        for _ in range(3):
            hits = await index.knn(np.ones(4, np.float32), 2, filter=field("topic") == "t1")
            assert [h.metadata["topic"] for h in hits] == ["t1", "t1"]
            await index.add(["more"], np.ones((1, 4), np.float32), [{"topic": "t1"}])
        assert index._reader._conn is None
        await index.drop(delete_documents=True)
    finally:
        await client.aclose()
