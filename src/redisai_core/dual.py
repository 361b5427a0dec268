"""Build the sync and async core objects a framework class needs, from one set of arguments.

LangChain and LlamaIndex classes expose sync and async methods on one object. Given a URL (or nothing: the
environment or the embedded server), both cores are built lazily, each with its own client.
Given an injected client, only the matching core exists: async methods then run the sync core
in a worker thread, and sync methods of an async-only object raise a clear error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

import redis
import redis.asyncio

from .errors import ConfigError

__all__ = ["DualCore"]

S = TypeVar("S")
A = TypeVar("A")
T = TypeVar("T")

_SYNC_CLIENTS = (redis.Redis, redis.RedisCluster)
_ASYNC_CLIENTS = (redis.asyncio.Redis, redis.asyncio.RedisCluster)


class DualCore(Generic[S, A]):
    """Lazily built sync and async twins of one core object.

    Args:
        make_sync: builds the sync core from ``(redis_url, redis_client)``.
        make_async: builds the async core from ``(redis_url, redis_client)``.
        redis_url: URL for both; ``None`` resolves ``REDIS_URL`` or the embedded server.
        redis_client: an injected sync or asyncio client, standalone or cluster.
    """

    def __init__(
        self,
        make_sync: Callable[[str | None, Any], S],
        make_async: Callable[[str | None, Any], A],
        redis_url: str | None,
        redis_client: redis.Redis
        | redis.asyncio.Redis
        | redis.RedisCluster
        | redis.asyncio.RedisCluster
        | None,
    ) -> None:
        if redis_url is not None and redis_client is not None:
            raise ConfigError("pass redis_url or redis_client, not both")
        self._make_sync, self._make_async = make_sync, make_async
        self._url = redis_url
        # Cluster clients (docs/cluster.md) are injected like standalone ones.
        self._sync_client = redis_client if isinstance(redis_client, _SYNC_CLIENTS) else None
        self._async_client = redis_client if isinstance(redis_client, _ASYNC_CLIENTS) else None
        if redis_client is not None and self._sync_client is None and self._async_client is None:
            raise ConfigError(f"unsupported redis_client type {type(redis_client).__name__}")
        self._injected = redis_client is not None
        self._sync: S | None = None
        self._async: A | None = None

    @property
    def sync(self) -> S:
        """The sync core.

        Raises:
            NotImplementedError: only an asyncio client was given; use the ``a``-methods.
        """
        if self._sync is None:
            if self._injected and self._sync_client is None:
                raise NotImplementedError(
                    "this object was given an asyncio client: use its async methods "
                    "(alookup, aupdate, amget, ...) or pass a sync redis_client"
                )
            self._sync = self._make_sync(self._url, self._sync_client)
        return self._sync

    @property
    def has_async(self) -> bool:
        return not (self._injected and self._async_client is None)

    @property
    def async_(self) -> A:
        if self._async is None:
            self._async = self._make_async(self._url, self._async_client)
        return self._async

    def close(self) -> None:
        """Close the sync core's client, if this object built it."""
        if self._sync is not None:
            self._sync.close()  # type: ignore[attr-defined]

    async def aclose(self) -> None:
        """Close both cores' clients, if this object built them."""
        if self._async is not None:
            await self._async.aclose()  # type: ignore[attr-defined]
        self.close()

    async def run(self, on_async: Callable[[A], Awaitable[T]], on_sync: Callable[[S], T]) -> T:
        """Run on the async core; with only a sync client, run the sync core in a thread."""
        if self.has_async:
            return await on_async(self.async_)
        return await asyncio.to_thread(on_sync, self.sync)
