"""The connection factory against real servers: identity, RESP2/3, ACL users, unix sockets, outages."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from redisai_core import (
    ConnectionConfig,
    EmbeddedRedis,
    KeySpace,
    PermissionDeniedError,
    RedisConnectionError,
    RetryConfig,
    async_probe,
    create_async_client,
    create_client,
    get_client,
    map_redis_errors,
    probe,
)
from redisai_core.connection import lib_name


@pytest.mark.parametrize("protocol", [2, 3])
def test_probe_and_identity_with_resp2_and_resp3(redis_url: str, protocol: int) -> None:
    client = create_client(ConnectionConfig(url=redis_url, protocol=protocol), skin="langchain")
    caps = probe(client)
    assert caps.has_search
    info = client.client_info()
    assert info["lib-name"] == lib_name("langchain")
    assert str(info["resp"]) == str(protocol)
    client.close()


@pytest.mark.parametrize("protocol", [2, 3])
async def test_async_probe_with_resp2_and_resp3(redis_url: str, protocol: int) -> None:
    client = create_async_client(ConnectionConfig(url=redis_url, protocol=protocol))
    caps = await async_probe(client)
    assert caps.has_search and caps.has_json
    await client.aclose()


def test_env_resolution_uses_redis_url(redis_env: str) -> None:
    client = get_client()
    assert client.ping()
    port = urllib.parse.urlsplit(redis_env).port
    assert client.connection_pool.connection_kwargs["port"] == port
    client.close()


@pytest.fixture
def acl_user(client: redis.Redis, keyspace: KeySpace) -> Iterator[tuple[str, str]]:
    name, password = f"u{keyspace.prefix.replace(':', '_')}", "pw-123"
    client.acl_setuser(
        name, enabled=True, passwords=[f"+{password}"], keys=[keyspace.pattern()],
        commands=["+@all"],
    )  # fmt: skip
    yield name, password
    client.acl_deluser(name)


def test_acl_user_limited_to_the_prefix(
    redis_url: str, keyspace: KeySpace, acl_user: tuple[str, str]
) -> None:
    name, password = acl_user
    client = create_client(ConnectionConfig(url=redis_url, username=name, password=password))
    with map_redis_errors():
        client.set(keyspace.key("ok"), "1")
    assert client.get(keyspace.key("ok")) == b"1"
    with pytest.raises(PermissionDeniedError), map_redis_errors():
        client.set("elsewhere:x", "1")
    bad = create_client(ConnectionConfig(url=redis_url, username=name, password="wrong"))
    with pytest.raises(PermissionDeniedError), map_redis_errors():
        bad.ping()
    client.close()
    bad.close()


def test_unix_socket(tmp_path: Path) -> None:
    sock = tmp_path / "r.sock"
    with EmbeddedRedis(modules=False, config={"unixsocket": str(sock), "unixsocketperm": "700"}):
        client = create_client(ConnectionConfig(url=f"unix://{sock}"))
        assert client.ping()
        client.close()


def _fast_retry(retries: int) -> RetryConfig:
    return RetryConfig(retries=retries, backoff_base=0.02, backoff_cap=0.2)


def test_killed_server_retries_with_backoff_then_raises_our_error() -> None:
    server = EmbeddedRedis(modules=False).start()
    config = ConnectionConfig(url=server.url, retry=_fast_retry(3), connect_timeout=0.5)
    client = create_client(config)
    assert client.ping()
    server.stop()
    started = time.monotonic()
    with pytest.raises(RedisConnectionError) as info, map_redis_errors():
        client.ping()
    elapsed = time.monotonic() - started
    assert isinstance(info.value.__cause__, redis.ConnectionError)
    # Behaviour, not speed: the waits between attempts were taken.
    assert elapsed >= sum(config.retry.waits())


class _CountingListener:
    """A TCP port that accepts and immediately drops connections, counting the attempts."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            conn.close()

    def close(self) -> None:
        self.sock.close()


@pytest.mark.parametrize("retries", [0, 2, 4])
def test_each_retry_is_a_new_attempt(retries: int) -> None:
    listener = _CountingListener()
    try:
        config = ConnectionConfig(
            url=f"redis://127.0.0.1:{listener.port}", retry=_fast_retry(retries)
        )
        client = create_client(config)
        with pytest.raises(RedisConnectionError), map_redis_errors():
            client.ping()
        assert listener.accepted == retries + 1
    finally:
        listener.close()


def test_async_client_retries_then_raises_our_error() -> None:
    listener = _CountingListener()

    async def attempt() -> None:
        config = ConnectionConfig(url=f"redis://127.0.0.1:{listener.port}", retry=_fast_retry(2))
        client = create_async_client(config)
        try:
            with pytest.raises(RedisConnectionError), map_redis_errors():
                await client.ping()
        finally:
            await client.aclose()

    try:
        asyncio.run(attempt())
        assert listener.accepted == 3
    finally:
        listener.close()
