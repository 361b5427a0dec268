"""Real servers for integration tests: the embedded Redis, or ``--redis-url`` / ``REDIS_URL``.

Each test gets its own key prefix, and only keys under that prefix are removed afterwards
(SCAN + UNLINK), so tests never collide and never touch anything else.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import redis
import redis.asyncio

from redisai_core import EmbeddedRedis, KeySpace
from redisai_core.config import env_redis_url


def _external_url(config: pytest.Config) -> str | None:
    option: str | None = config.getoption("--redis-url")
    return option or env_redis_url()


@pytest.fixture(scope="session")
def redis_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """URL of a server with the search and JSON modules."""
    external = _external_url(request.config)
    if external:
        yield external
        return
    with EmbeddedRedis() as server:
        yield server.url


@pytest.fixture(scope="session")
def plain_redis_url() -> Iterator[str]:
    """URL of a plain Redis without modules (always embedded: it proves module-free paths)."""
    with EmbeddedRedis(modules=False) as server:
        yield server.url


@pytest.fixture
def keyspace() -> KeySpace:
    """A key space unique to this test."""
    return KeySpace(f"test:{uuid.uuid4().hex[:12]}")


def _unlink_space(client: redis.Redis, space: KeySpace) -> None:
    batch = [key for key in client.scan_iter(match=space.pattern(), count=500)]
    for i in range(0, len(batch), 500):
        client.unlink(*batch[i : i + 500])


@pytest.fixture
def client(redis_url: str, keyspace: KeySpace) -> Iterator[redis.Redis]:
    """A sync client; keys under this test's key space are removed afterwards."""
    conn = redis.Redis.from_url(redis_url)
    yield conn
    _unlink_space(conn, keyspace)
    conn.close()


@pytest.fixture
async def async_client(redis_url: str, keyspace: KeySpace) -> AsyncIterator[redis.asyncio.Redis]:
    """An asyncio client; keys under this test's key space are removed afterwards."""
    conn = redis.asyncio.Redis.from_url(redis_url)
    yield conn
    with redis.Redis.from_url(redis_url) as sync:
        _unlink_space(sync, keyspace)
    await conn.aclose()


@pytest.fixture
def redis_env(monkeypatch: pytest.MonkeyPatch, redis_url: str) -> str:
    """Point ``REDIS_URL`` at the test server for code that resolves the server itself."""
    monkeypatch.setenv("REDIS_URL", redis_url)
    return redis_url
