"""The command combiners against a real Redis: replies per caller, errors, outages, cancellation."""

from __future__ import annotations

import asyncio
import random
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import redis
import redis.asyncio

from redisai_core import (
    ConnectionConfig,
    EmbeddedRedis,
    KeySpace,
    RetryConfig,
    create_async_client,
    create_client,
)
from redisai_core._autopipe import CommandCombiner
from redisai_core._autopipe_async import AsyncCommandCombiner


def _script(space: KeySpace, i: int, n: int) -> list[tuple[tuple[Any, ...], Any]]:
    """Caller ``i``'s commands with the reply each must get; odd callers also hit WRONGTYPE."""
    h, s = space.key(f"h{i}"), space.key(f"s{i}")
    out: list[tuple[tuple[Any, ...], Any]] = [(("SET", s, "x"), True)]
    for j in range(n):
        if i % 2 and j % 4 == 0:
            out.append((("HGETALL", s), redis.ResponseError))  # WRONGTYPE: a string, not a hash
        out.append((("HSET", h, "f", str(j)), 1 if j == 0 else 0))
        out.append((("HGETALL", h), {b"f": str(j).encode()}))
    return out


def _run_script(execute: Any, script: list[tuple[tuple[Any, ...], Any]]) -> None:
    for args, expected in script:
        if expected is redis.ResponseError:
            with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
                execute(*args)
        else:
            assert execute(*args) == expected, args


@pytest.fixture
def shaken() -> Iterator[None]:
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)


def test_32_threads_each_get_their_own_replies_in_order(
    client: redis.Redis, keyspace: KeySpace, shaken: None
) -> None:
    combiner = CommandCombiner(client)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            _run_script(combiner.execute, _script(keyspace, i, 500))
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads), "a caller hangs"
    assert errors == []
    assert combiner.round_trips < combiner.commands  # commands really shared round trips


def _check_options(mapping: Any, own: tuple[str, str], raw: Any) -> None:
    # Decoded by the callback (a dict of str under RESP2 and RESP3), and read-your-writes.
    assert isinstance(mapping, dict) and mapping[own[0]] == own[1], mapping
    # NEVER_DECODE honoured inside a shared pipeline: bytes, though the client decodes.
    assert raw is None or (isinstance(raw, bytes) and raw.startswith(b"0-")), raw


@pytest.mark.parametrize("protocol", [2, 3])
def test_callbacks_and_options_as_with_plain_calls(
    redis_url: str, keyspace: KeySpace, protocol: int
) -> None:
    client = redis.Redis.from_url(redis_url, protocol=protocol, decode_responses=True)
    combiner = CommandCombiner(client)
    key = keyspace.key("h")
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        barrier.wait()
        try:
            for j in range(50):
                own = (f"f{i}", f"{i}-{j}")
                assert combiner.execute("HSET", key, *own) in (0, 1)
                mapping = combiner.execute("HGETALL", key, keys=[key])
                _check_options(mapping, own, combiner.execute("HGET", key, "f0", NEVER_DECODE=True))
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert combiner.round_trips < combiner.commands  # options met inside shared pipelines
    assert combiner.execute("HGETALL", key) == client.hgetall(key)
    client.delete(key)
    client.close()


@pytest.mark.parametrize("protocol", [2, 3])
async def test_async_callbacks_and_options_as_with_plain_calls(
    redis_url: str, keyspace: KeySpace, protocol: int
) -> None:
    client = redis.asyncio.Redis.from_url(redis_url, protocol=protocol, decode_responses=True)
    combiner = AsyncCommandCombiner(client)
    key = keyspace.key("h")

    async def run(i: int) -> None:
        for j in range(50):
            own = (f"f{i}", f"{i}-{j}")
            assert await combiner.execute("HSET", key, *own) in (0, 1)
            mapping = await combiner.execute("HGETALL", key, keys=[key])
            raw = await combiner.execute("HGET", key, "f0", NEVER_DECODE=True)
            _check_options(mapping, own, raw)

    try:
        await asyncio.gather(*(run(i) for i in range(8)))
        assert combiner.round_trips < combiner.commands
        assert await combiner.execute("HGETALL", key) == await client.hgetall(key)
        await client.delete(key)
    finally:
        await client.aclose()


def _outage_client(url: str) -> redis.Redis:
    retry = RetryConfig(retries=1, backoff_base=0.01, backoff_cap=0.02)
    return create_client(ConnectionConfig(url=url, retry=retry, connect_timeout=0.5))


def test_outage_reaches_every_caller_and_later_commands_work_again() -> None:
    server = EmbeddedRedis(modules=False).start()
    port = server.port
    client = _outage_client(server.url)
    combiner = CommandCombiner(client)
    try:
        assert combiner.execute("SET", "k", "1") is True
        server.stop()
        barrier = threading.Barrier(8)
        outcomes: list[BaseException | Any] = []

        def call() -> None:
            barrier.wait()
            try:
                outcomes.append(combiner.execute("GET", "k"))
            except BaseException as exc:
                outcomes.append(exc)

        threads = [threading.Thread(target=call) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert len(outcomes) == 8
        assert all(isinstance(o, redis.ConnectionError) for o in outcomes), outcomes
        server = EmbeddedRedis(modules=False, port=port).start()
        assert combiner.execute("SET", "k", "2") is True
        assert combiner.execute("GET", "k") == b"2"
    finally:
        client.close()
        server.stop()


async def test_64_tasks_each_get_their_own_replies_in_order(
    async_client: redis.asyncio.Redis, keyspace: KeySpace
) -> None:
    combiner = AsyncCommandCombiner(async_client)

    async def run(i: int) -> None:
        for args, expected in _script(keyspace, i, 100):
            if expected is redis.ResponseError:
                with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
                    await combiner.execute(*args)
            else:
                assert await combiner.execute(*args) == expected, args

    await asyncio.gather(*(run(i) for i in range(64)))
    assert combiner.round_trips < combiner.commands / 4


async def test_cancelled_callers_do_not_disturb_the_others(
    async_client: redis.asyncio.Redis, keyspace: KeySpace
) -> None:
    combiner = AsyncCommandCombiner(async_client)
    rng = random.Random(7)
    stop = False

    async def victims() -> int:
        cancelled = 0
        while not stop:
            task = asyncio.ensure_future(combiner.execute("HGETALL", keyspace.key("h0")))
            for _ in range(rng.randrange(4)):
                await asyncio.sleep(0)
            cancelled += task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        return cancelled

    async def run(i: int) -> None:
        for args, expected in _script(keyspace, i, 100):
            if expected is redis.ResponseError:
                with pytest.raises(redis.ResponseError):
                    await combiner.execute(*args)
            else:
                assert await combiner.execute(*args) == expected, args

    victim_tasks = [asyncio.ensure_future(victims()) for _ in range(4)]
    await asyncio.gather(*(run(i) for i in range(16)))
    stop = True
    assert sum(await asyncio.gather(*victim_tasks)) > 0
    # The connection is in a good state afterwards: a fresh command gets its own reply.
    await combiner.execute("SET", keyspace.key("after"), "ok")
    assert await combiner.execute("GET", keyspace.key("after")) == b"ok"


async def test_async_outage_reaches_every_caller_and_later_commands_work_again() -> None:
    server = EmbeddedRedis(modules=False).start()
    port = server.port
    retry = RetryConfig(retries=1, backoff_base=0.01, backoff_cap=0.02)
    client = create_async_client(ConnectionConfig(url=server.url, retry=retry, connect_timeout=0.5))
    combiner = AsyncCommandCombiner(client)
    try:
        assert await combiner.execute("SET", "k", "1") is True
        server.stop()
        outcomes = await asyncio.gather(
            *(combiner.execute("GET", "k") for _ in range(8)), return_exceptions=True
        )
        assert all(isinstance(o, redis.ConnectionError) for o in outcomes), outcomes
        assert combiner.round_trips < combiner.commands  # the failing batch was shared
        server = EmbeddedRedis(modules=False, port=port).start()
        assert await combiner.execute("SET", "k", "2") is True
        assert await combiner.execute("GET", "k") == b"2"
    finally:
        await client.aclose()
        server.stop()


def test_an_unencodable_command_fails_only_its_own_caller(
    client: redis.Redis, keyspace: KeySpace, shaken: None
) -> None:
    combiner = CommandCombiner(client)
    barrier = threading.Barrier(9)
    outcomes: list[list[Any]] = [[] for _ in range(9)]

    def call(i: int) -> None:
        key = keyspace.key("bad\ud800" if i == 8 else f"k{i}")
        barrier.wait()
        for _ in range(50):  # many rounds, so the bad command shares batches with others
            try:
                outcomes[i].append(combiner.execute("SET", key, str(i)))
            except Exception as exc:
                outcomes[i].append(exc)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(9)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(own == [True] * 50 for own in outcomes[:8])
    assert all(isinstance(o, UnicodeEncodeError) for o in outcomes[8])
    assert combiner.round_trips < combiner.commands  # commands did share round trips


@pytest.mark.parametrize("protocol", [2, 3])
def test_lean_round_trips_give_what_redis_py_gives(
    redis_url: str, keyspace: KeySpace, protocol: int
) -> None:
    client = create_client(ConnectionConfig(url=redis_url, protocol=protocol))
    combiner = CommandCombiner(client)
    try:
        a, b = keyspace.child("a"), keyspace.child("b")

        def script(space: KeySpace) -> list[tuple[Any, ...]]:
            return [
                ("HSET", space.key("h"), "x", b"\x00\xff", "y", "\u00e9"),
                ("HGETALL", space.key("h")),
                ("HGETALL", space.key("missing")),
                ("SET", space.key("s"), "v"),
                ("GET", space.key("s")),
                ("INCRBYFLOAT", space.key("f"), "1.5"),
                ("EXISTS", space.key("s"), space.key("h")),
            ]

        def outcome(call: Any, command: tuple[Any, ...]) -> Any:
            try:
                return call(*command)
            except redis.ResponseError as exc:
                return str(exc)

        lean = [outcome(combiner.execute, c) for c in script(a)]
        plain = [outcome(client.execute_command, c) for c in script(b)]
        assert lean == plain
        assert combiner._lean is not None  # this client's commands took the lean way
    finally:
        for key in client.scan_iter(match=keyspace.pattern()):
            client.unlink(key)
        client.close()
