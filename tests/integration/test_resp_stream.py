"""The streaming auto-pipeline under the asyncio combiner: same replies as redis-py, errors per
command, many round trips in flight, recovery through redis-py."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import pytest
import redis
import redis.asyncio

from redisai_core import ConnectionConfig, KeySpace, create_async_client
from redisai_core._autopipe_async import AsyncCommandCombiner
from redisai_core._resp_stream import RespStream


def _commands(space: KeySpace) -> list[tuple[Any, ...]]:
    h, s, lst = space.key("h"), space.key("s"), space.key("l")
    return [
        ("SET", s, "v"),
        ("GET", s),
        ("HSET", h, "a", b"\x00\xff", "b", "\u00e9"),
        ("HGETALL", h),
        ("HGETALL", space.key("missing")),
        ("RPUSH", lst, "x", "y"),
        ("LRANGE", lst, "0", "-1"),
        ("EXISTS", s, h),
        ("HGETALL", s),  # WRONGTYPE
        ("TYPE", h),
    ]


async def _outcome(call: Any) -> Any:
    try:
        return await call
    except redis.ResponseError as exc:
        return exc


@pytest.mark.parametrize("protocol", [2, 3])
async def test_replies_match_redis_py_for_resp2_and_resp3(
    redis_url: str, keyspace: KeySpace, protocol: int
) -> None:
    client = create_async_client(ConnectionConfig(url=redis_url, protocol=protocol))
    stream = RespStream.create(client)
    assert stream is not None
    try:
        # The same commands on two fresh key spaces: one streamed, one through execute_command.
        streamed = [await _outcome(stream.execute(c)) for c in _commands(keyspace.child("a"))]
        plain = [await _outcome(client.execute_command(*c)) for c in _commands(keyspace.child("b"))]
        assert [type(x) for x in streamed] == [type(x) for x in plain]
        for a, b in zip(streamed, plain, strict=True):
            if isinstance(a, redis.ResponseError):
                assert str(a) == str(b) and "WRONGTYPE" in str(a)
            else:
                assert a == b
        assert stream.writes == len(plain)  # one at a time: one write each
    finally:
        await stream.aclose()
        async for key in client.scan_iter(match=keyspace.pattern()):
            await client.unlink(key)
        await client.aclose()


async def test_concurrent_commands_share_writes_and_each_gets_its_reply(
    async_client: Any, keyspace: KeySpace
) -> None:
    stream = RespStream.create(async_client)
    assert stream is not None

    async def caller(i: int) -> None:
        key = keyspace.key(f"c{i}")
        for j in range(50):
            assert await stream.execute(("SET", key, str(j))) is True
            assert await stream.execute(("GET", key)) == str(j).encode()

    await asyncio.gather(*(caller(i) for i in range(32)))
    assert stream.commands == 32 * 100
    assert stream.writes < stream.commands / 4  # commands of concurrent tasks went together
    await stream.aclose()


async def test_an_unencodable_command_fails_alone(async_client: Any, keyspace: KeySpace) -> None:
    combiner = AsyncCommandCombiner(async_client)
    good = [combiner.execute("SET", keyspace.key(f"k{i}"), str(i)) for i in range(5)]
    bad = combiner.execute("SET", keyspace.key("bad\ud800"), "x")  # lone surrogate
    outcomes = await asyncio.gather(*good, bad, return_exceptions=True)
    assert outcomes[:5] == [True] * 5
    assert isinstance(outcomes[5], UnicodeEncodeError)
    assert await combiner.execute("GET", keyspace.key("k3")) == b"3"
    await combiner.aclose()


async def test_other_argument_types_take_redis_py_with_the_same_result(
    async_client: Any, keyspace: KeySpace
) -> None:
    stream = RespStream.create(async_client)
    assert stream is not None
    assert not stream.accepts(("SET", keyspace.key("n"), 1.5))  # redis-py formats numbers
    combiner = AsyncCommandCombiner(async_client)
    assert await combiner.execute("SET", keyspace.key("n"), 1.5) is True
    # redis-py's own callback for INCRBYFLOAT (a float), exactly as execute_command gives it
    assert await combiner.execute("INCRBYFLOAT", keyspace.key("n"), 1) == 2.5
    await combiner.aclose()
    await stream.aclose()


async def test_the_stream_holds_one_connection_and_returns_it(
    async_client: Any, keyspace: KeySpace
) -> None:
    combiner = AsyncCommandCombiner(async_client)
    replies = await asyncio.gather(
        *(combiner.execute("HSET", keyspace.key(f"h{i}"), "f", b"v") for i in range(16))
    )
    assert replies == [1] * 16
    pool = async_client.connection_pool
    in_use = len(pool._in_use_connections)
    await combiner.aclose()
    assert len(pool._in_use_connections) == in_use - 1


def test_only_plain_asyncio_clients_get_a_stream(client: redis.Redis) -> None:
    assert RespStream.create(client) is None
    assert RespStream.create(object()) is None


async def test_a_late_reply_times_out_through_redis_py_and_the_stream_recovers() -> None:
    import os
    import signal
    import time

    from redisai_core import EmbeddedRedis, RetryConfig

    with EmbeddedRedis(modules=False) as server:
        config = ConnectionConfig(
            url=server.url,
            socket_timeout=0.3,
            connect_timeout=0.3,
            retry=RetryConfig(retries=0),
        )
        client = create_async_client(config)
        stream = RespStream.create(client)
        assert stream is not None
        try:
            assert await stream.execute(("SET", "k", "1")) is True
            assert server.pid is not None
            os.kill(server.pid, signal.SIGSTOP)  # frozen: connected, never answers
            try:
                started = time.monotonic()
                outcomes = await asyncio.gather(
                    *(stream.execute(("GET", "k")) for _ in range(4)), return_exceptions=True
                )
                elapsed = time.monotonic() - started
            finally:
                os.kill(server.pid, signal.SIGCONT)
            assert all(isinstance(o, redis.TimeoutError) for o in outcomes), outcomes
            assert elapsed < 3.0  # the stream's timer, then redis-py's own timeout: no hang
            assert await stream.execute(("GET", "k")) == b"1"  # reconnected, in order again
        finally:
            await stream.aclose()
            await client.aclose()


async def test_a_burst_of_buffered_replies_arms_one_timer_per_socket_read(
    async_client: Any, keyspace: KeySpace
) -> None:
    """Replies already in the reader's buffer are handed out without a timer each."""
    stream = RespStream.create(async_client)
    assert stream is not None
    await stream.execute(("PING",))  # connected, reader started once
    loop = asyncio.get_running_loop()
    armed = 0
    call_later = loop.call_later

    def counting(delay: float, callback: Any, *args: Any) -> asyncio.TimerHandle:
        nonlocal armed
        armed += 1
        return call_later(delay, callback, *args)

    loop.call_later = counting  # type: ignore[method-assign]
    try:
        keys = [keyspace.key(f"b{i}") for i in range(200)]
        await asyncio.gather(*(stream.execute(("SET", k, k)) for k in keys))
        got = await asyncio.gather(*(stream.execute(("GET", k)) for k in keys))
    finally:
        del loop.call_later
    assert got == [k.encode() for k in keys]
    assert 0 < armed < 100  # 400 replies: one timer per wait for the socket, not per reply
    await stream.aclose()


async def test_push_messages_between_replies_are_skipped(
    redis_url: str, keyspace: KeySpace
) -> None:
    """RESP3 invalidation pushes on the stream's connection never shift replies."""
    client = create_async_client(ConnectionConfig(url=redis_url, protocol=3))
    other = create_async_client(ConnectionConfig(url=redis_url, protocol=3))
    stream = RespStream.create(client)
    assert stream is not None
    try:
        assert await stream.execute(("CLIENT", "TRACKING", "ON")) in (b"OK", "OK", True)
        parser = stream._conn._parser
        pushes = 0
        handle = parser.handle_push_response

        async def counting(response: Any, **kwargs: Any) -> Any:
            nonlocal pushes
            pushes += 1
            return await handle(response, **kwargs)

        parser.handle_push_response = counting
        keys = [keyspace.key(f"p{i}") for i in range(20)]
        for round_ in range(3):
            for k in keys:
                await other.set(k, f"{k}:{round_}")
            # Reading tracks the keys; the writes of the next round push invalidations to
            # this connection, which arrive interleaved with the replies to these GETs.
            got = await asyncio.gather(*(stream.execute(("GET", k)) for k in keys))
            assert got == [f"{k}:{round_}".encode() for k in keys]
        assert stream.writes < stream.commands
        assert pushes >= 20  # invalidations did arrive on the stream's connection
    finally:
        await stream.aclose()
        async for key in other.scan_iter(match=keyspace.pattern()):
            await other.unlink(key)
        await client.aclose()
        await other.aclose()


async def test_a_small_pool_gets_no_stream_and_the_executor_still_runs(
    redis_url: str, keyspace: KeySpace
) -> None:
    """A stream keeps a connection for itself: not from a 1-connection blocking pool, where the
    executor's transactions would then wait for ever."""
    from redisai_core import AsyncRedisAIClient

    from .ai_hosted_helpers import identity

    pool = redis.asyncio.BlockingConnectionPool.from_url(redis_url, max_connections=1, timeout=5)
    client = redis.asyncio.Redis.from_pool(pool)
    assert RespStream.create(client) is None
    ai = AsyncRedisAIClient(redis_client=client, executor="hosted", prefix=keyspace.prefix)
    try:
        assert await ai.modelstore("m", "ONNX", "CPU", identity()) == "OK"

        async def request(i: int) -> None:
            x = np.full((1, 4), i, dtype=np.float32)
            assert await ai.tensorset(f"x{i}", x) == "OK"
            assert await ai.modelexecute("m", [f"x{i}"], [f"y{i}"]) == "OK"
            np.testing.assert_array_equal(await ai.tensorget(f"y{i}"), x)

        await asyncio.wait_for(asyncio.gather(*(request(i) for i in range(16))), 30)
    finally:
        await ai.aclose()
        async for key in client.scan_iter(match=keyspace.pattern()):
            await client.unlink(key)
        await client.aclose()
