"""Outages longer than the retry budget end in our error, never in a hang, for each core feature.

``test_connection_live.py`` covers the raw client (retries, backoff, a refused port). Here the
same objects an application holds (exact cache, chat history, KV store, hosted RedisAI tensors)
first work, then meet an outage that outlasts the retry budget:

- ``stopped``: the server is gone (connections refused);
- ``frozen``: the server process is suspended with SIGSTOP, so the open pooled connection and
  any new one are accepted by the kernel and never answered;
- ``blackhole``: a listener that accepts and never answers, from the first command on.

Each must raise ``RedisConnectionError`` (``RedisTimeoutError`` for the two silent kinds) with
the redis-py error as its cause. The elapsed time is checked against three times the budget the
configuration allows (the waits plus a connect and a socket timeout per attempt): a bound
against hanging, not a speed measurement.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
import redis.asyncio
import redis.exceptions

from redisai_core import (
    AsyncChatHistory,
    AsyncExactCache,
    AsyncKVStore,
    AsyncRedisAIClient,
    ConnectionConfig,
    EmbeddedRedis,
    RedisConnectionError,
    RedisTimeoutError,
    RetryConfig,
    create_async_client,
)

from ..fault_helpers import Blackhole

FEATURES = ("cache", "history", "kv", "tensor")
OUTAGES = ("stopped", "frozen", "blackhole")
RETRY = RetryConfig(retries=1, backoff_base=0.02, backoff_cap=0.1)
TIMEOUT = 0.2  # connect and socket timeout, seconds


def budget(config: ConnectionConfig) -> float:
    """The longest a command may take before giving up: every wait, every attempt timing out."""
    attempts = config.retry.retries + 1
    per_attempt = (config.connect_timeout or 0) + (config.socket_timeout or 0)
    return sum(config.retry.waits()) + attempts * per_attempt


class Feature:
    """One core object on ``client``, with a write that goes to Redis (and a way to close it)."""

    def __init__(self, name: str, client: redis.asyncio.Redis) -> None:
        self.name = name
        self.obj: Any
        if name == "cache":
            self.obj = AsyncExactCache(redis_client=client, prefix="o:cache")
        elif name == "history":
            self.obj = AsyncChatHistory(redis_client=client, prefix="o:chat")
        elif name == "kv":
            self.obj = AsyncKVStore(redis_client=client, prefix="o:kv")
        else:
            self.obj = AsyncRedisAIClient(redis_client=client, executor="hosted", prefix="o:ai")

    async def write(self) -> None:
        if self.name == "cache":
            await self.obj.update("prompt", "llm", b"answer")
            assert await self.obj.lookup("prompt", "llm") == b"answer"
        elif self.name == "history":
            await self.obj.append("s", [b"hello"])
        elif self.name == "kv":
            await self.obj.mset([("k", b"v")])
        else:
            await self.obj.tensorset("t", np.zeros((2, 2), dtype=np.float32))

    async def aclose(self) -> None:
        if self.name == "tensor":
            await self.obj.aclose()  # the hosted executor's background thread


@contextlib.contextmanager
def outage(kind: str) -> Iterator[tuple[str, Callable[[], None]]]:
    """A URL to connect to, and a callable that starts the outage (a no-op for ``blackhole``)."""
    if kind == "blackhole":
        hole = Blackhole()
        try:
            yield hole.url, lambda: None
        finally:
            hole.close()
        return
    server = EmbeddedRedis(modules=False).start()
    pid = server.pid
    assert pid is not None

    def begin() -> None:
        if kind == "stopped":
            server.stop()
        else:
            os.kill(pid, signal.SIGSTOP)

    try:
        yield server.url, begin
    finally:
        if kind == "frozen" and server.is_running:
            os.kill(pid, signal.SIGCONT)  # a suspended process would not act on SIGTERM
        server.stop()


@pytest.mark.parametrize("kind", OUTAGES)
@pytest.mark.parametrize("feature", FEATURES)
async def test_outage_beyond_the_retry_budget_raises_our_error(feature: str, kind: str) -> None:
    with outage(kind) as (url, begin):
        config = ConnectionConfig(
            url=url, retry=RETRY, connect_timeout=TIMEOUT, socket_timeout=TIMEOUT
        )
        client = create_async_client(config)
        subject = Feature(feature, client)
        try:
            if kind != "blackhole":
                await subject.write()  # works before the outage
            begin()
            started = time.monotonic()
            with pytest.raises(RedisConnectionError) as info:
                await subject.write()
            elapsed = time.monotonic() - started
        finally:
            await subject.aclose()
            await client.aclose()
    if kind == "stopped":
        assert isinstance(info.value.__cause__, redis.exceptions.ConnectionError)
    else:
        # Nothing answers: only the socket timeout ends the wait.
        assert isinstance(info.value, RedisTimeoutError)
        assert isinstance(info.value.__cause__, redis.exceptions.TimeoutError)
    assert elapsed < 3 * budget(config), f"{elapsed:.2f}s for a {budget(config):.2f}s budget"
