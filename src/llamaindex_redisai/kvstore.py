"""``RedisAIKVStore``: LlamaIndex's ``BaseKVStore`` over the core KV store.

Backs a document store, an index store and an ``IngestionCache``. Values are JSON objects; each
collection lives in its own escaped key space, so collections never see each other's keys.
"""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

import redis
import redis.asyncio
from llama_index.core.storage.kvstore.types import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_COLLECTION,
    BaseKVStore,
)

from redisai_core import AsyncKVStore, CorruptDataError, DualCore, KVStore

__all__ = ["RedisAIKVStore"]


def _encode(val: dict[str, Any]) -> bytes:
    if not isinstance(val, dict):
        raise TypeError(f"values must be dicts, got {type(val).__name__}")
    return json.dumps(val, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _decode(data: bytes | None, key: str) -> dict[str, Any] | None:
    if data is None:
        return None
    try:
        value = json.loads(data)  # JSON only: a stored value is never unpickled or evaluated
    except ValueError as exc:  # bad JSON or bad UTF-8, e.g. written by another program
        raise CorruptDataError(f"stored value {key!r} is not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise CorruptDataError(f"stored value {key!r} is not a JSON object")
    return value


class RedisAIKVStore(BaseKVStore):
    """JSON objects by key and collection in Redis. Needs no Redis modules.

    Args:
        redis_url: Redis URL; with neither this nor ``redis_client``, ``REDIS_URL`` or the
            embedded server is used.
        redis_client: a sync or asyncio redis-py client to use instead.
        prefix: key prefix; a collection ``c`` lives under ``<prefix>:<c>:``.
        ttl: seconds each written key lives; ``None`` keeps keys until deleted.

    Reads (``get``, ``get_all`` and their async twins) raise
    :class:`~redisai_core.CorruptDataError` for a stored value that is not a JSON object
    (e.g. written by another program); values are JSON only, never unpickled.

    Example:
        >>> from llama_index.core.storage.docstore import KVDocumentStore
        >>> docstore = KVDocumentStore(RedisAIKVStore())  # doctest: +SKIP
    """

    def __init__(
        self,
        redis_url: str | None = None,
        redis_client: redis.Redis | redis.asyncio.Redis | None = None,
        *,
        prefix: str = "redisai:llamaindex",
        ttl: float | None = None,
    ) -> None:
        options: dict[str, Any] = {"prefix": prefix, "ttl": ttl, "skin": "llamaindex"}
        self._core: DualCore[KVStore, AsyncKVStore] = DualCore(
            lambda url, client: KVStore(url, client, **options),
            lambda url, client: AsyncKVStore(url, client, **options),
            redis_url,
            redis_client,
        )
        self._lock = threading.Lock()
        self._sync_children: dict[str, KVStore] = {}
        self._async_children: dict[str, AsyncKVStore] = {}

    def _sync(self, collection: str) -> KVStore:
        with self._lock:
            if collection not in self._sync_children:
                self._sync_children[collection] = self._core.sync.child(collection)
            return self._sync_children[collection]

    def _async(self, collection: str) -> AsyncKVStore:
        with self._lock:
            if collection not in self._async_children:
                self._async_children[collection] = self._core.async_.child(collection)
            return self._async_children[collection]

    # sync

    def put(self, key: str, val: dict[str, Any], collection: str = DEFAULT_COLLECTION) -> None:
        self._sync(collection).mset([(key, _encode(val))])

    def put_all(
        self,
        kv_pairs: list[tuple[str, dict[str, Any]]],
        collection: str = DEFAULT_COLLECTION,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        """Write all pairs; pipelined in batches whatever ``batch_size`` says (it is kept for
        the interface: one round trip per 500 keys is always at least as fast)."""
        self._sync(collection).mset([(k, _encode(v)) for k, v in kv_pairs])

    def get(self, key: str, collection: str = DEFAULT_COLLECTION) -> dict[str, Any] | None:
        return _decode(self._sync(collection).mget([key])[0], key)

    def get_all(self, collection: str = DEFAULT_COLLECTION) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for key, data in self._sync(collection).items():
            value = _decode(data, key)
            if value is not None:
                out[key] = value
        return out

    def delete(self, key: str, collection: str = DEFAULT_COLLECTION) -> bool:
        return self._sync(collection).mdelete([key]) == 1

    # async (on the asyncio client; with only a sync client injected, in a worker thread)

    async def aput(
        self, key: str, val: dict[str, Any], collection: str = DEFAULT_COLLECTION
    ) -> None:
        if not self._core.has_async:
            return await asyncio.to_thread(self.put, key, val, collection)
        await self._async(collection).mset([(key, _encode(val))])

    async def aput_all(
        self,
        kv_pairs: list[tuple[str, dict[str, Any]]],
        collection: str = DEFAULT_COLLECTION,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        if not self._core.has_async:
            return await asyncio.to_thread(self.put_all, kv_pairs, collection, batch_size)
        await self._async(collection).mset([(k, _encode(v)) for k, v in kv_pairs])

    async def aget(self, key: str, collection: str = DEFAULT_COLLECTION) -> dict[str, Any] | None:
        if not self._core.has_async:
            return await asyncio.to_thread(self.get, key, collection)
        return _decode((await self._async(collection).mget([key]))[0], key)

    async def aget_all(self, collection: str = DEFAULT_COLLECTION) -> dict[str, dict[str, Any]]:
        if not self._core.has_async:
            return await asyncio.to_thread(self.get_all, collection)
        out: dict[str, dict[str, Any]] = {}
        async for key, data in self._async(collection).items():
            value = _decode(data, key)
            if value is not None:
                out[key] = value
        return out

    async def adelete(self, key: str, collection: str = DEFAULT_COLLECTION) -> bool:
        if not self._core.has_async:
            return await asyncio.to_thread(self.delete, key, collection)
        return await self._async(collection).mdelete([key]) == 1

    # housekeeping

    def clear(self, collection: str = DEFAULT_COLLECTION) -> int:
        """Delete every key of ``collection`` (only its own key space)."""
        return self._sync(collection).clear()

    async def aclear(self, collection: str = DEFAULT_COLLECTION) -> int:
        """Delete every key of ``collection`` (only its own key space)."""
        if not self._core.has_async:
            return await asyncio.to_thread(self.clear, collection)
        return await self._async(collection).clear()

    def close(self) -> None:
        """Close the connections this store opened (an injected client is left open)."""
        self._core.close()

    async def aclose(self) -> None:
        """Close the connections this store opened, sync and async."""
        await self._core.aclose()
