"""The lean asyncio round trip under the combiner: same replies as redis-py, errors per command."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import redis
import redis.asyncio

from redisai_core import ConnectionConfig, KeySpace, create_async_client
from redisai_core._autopipe_async import AsyncCommandCombiner
from redisai_core._resp_channel import RespChannel, Unsupported


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


@pytest.mark.parametrize("protocol", [2, 3])
async def test_replies_match_redis_py_for_resp2_and_resp3(
    redis_url: str, keyspace: KeySpace, protocol: int
) -> None:
    client = create_async_client(ConnectionConfig(url=redis_url, protocol=protocol))
    channel = RespChannel.create(client)
    assert channel is not None
    try:
        # The same commands on two fresh key spaces: one through the channel, one through
        # redis-py's execute_command.
        lean = await channel.run(_commands(keyspace.child("lean")))
        plain: list[Any] = []
        for command in _commands(keyspace.child("plain")):
            try:
                plain.append(await client.execute_command(*command))
            except redis.ResponseError as exc:
                plain.append(exc)
        assert [type(x) for x in lean] == [type(x) for x in plain]
        for a, b in zip(lean, plain, strict=True):
            if isinstance(a, redis.ResponseError):
                assert str(a) == str(b) and "WRONGTYPE" in str(a)
            else:
                assert a == b
    finally:
        await channel.aclose()
        async for key in client.scan_iter(match=keyspace.pattern()):
            await client.unlink(key)
        await client.aclose()


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
    channel = RespChannel.create(async_client)
    assert channel is not None
    with pytest.raises(Unsupported):
        await channel.run([("SET", keyspace.key("n"), 1.5)])  # redis-py formats numbers itself
    combiner = AsyncCommandCombiner(async_client)
    assert await combiner.execute("SET", keyspace.key("n"), 1.5) is True
    # redis-py's own callback for INCRBYFLOAT (a float), exactly as execute_command gives it
    assert await combiner.execute("INCRBYFLOAT", keyspace.key("n"), 1) == 2.5
    await combiner.aclose()
    await channel.aclose()


async def test_the_lean_path_is_used_and_its_connection_is_returned(
    async_client: Any, keyspace: KeySpace
) -> None:
    combiner = AsyncCommandCombiner(async_client)
    replies = await asyncio.gather(
        *(combiner.execute("HSET", keyspace.key(f"h{i}"), "f", b"v") for i in range(16))
    )
    assert replies == [1] * 16
    channel = combiner._channel
    assert channel is not None and channel._conn is not None  # held while the combiner lives
    pool = async_client.connection_pool
    in_use = len(pool._in_use_connections)
    await combiner.aclose()
    assert len(pool._in_use_connections) == in_use - 1


def test_only_plain_asyncio_clients_get_a_channel(client: redis.Redis) -> None:
    assert RespChannel.create(client) is None
    assert RespChannel.create(object()) is None
