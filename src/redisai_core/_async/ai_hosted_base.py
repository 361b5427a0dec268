"""The hosted executor's shared state: client, key layout, model cache, counters, tensors.

``AsyncHostedBase`` holds what every part of the hosted executor uses (see ``ai_hosted.py``
for the executor and its semantics): the client (and its auto-pipelining combiner), the key
layout, the model cache with its invalidation thread, the AI.INFO counter buffer, single-key
tensor commands, and loading a model into a run queue.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

import redis.asyncio as aioredis

from .._autopipe import AsyncCommandCombiner
from .._cluster_support import slot_space
from .._compat import async_wait
from ..ai import _errors as msg
from ..ai._hosted._background import Background, sync_target
from ..ai._hosted._batcher import Engine
from ..ai._hosted._cache import CachedModel, ModelCache
from ..ai._hosted._cluster import cluster_raw_client
from ..ai._hosted._layout import (
    Layout,
    decode_meta,
    decode_tensor,
    encode_tensor,
    queue_stats,
)
from ..ai._hosted._replies import (
    redis_errors,
)
from ..ai._hosted._sessions import (
    background_pool,
    create_runner,
)
from ..ai._hosted._stats import StatsBuffer
from ..ai._types import (
    Tensor,
)
from ..errors import (
    ConfigError,
    KeyEmptyError,
)
from ..keys import KeySpace

__all__ = ["DEFAULT_CHUNK_SIZE", "AsyncHostedBase"]

DEFAULT_CHUNK_SIZE = 32 * 1024 * 1024
"""Model blobs are stored in list elements of at most this many bytes (Redis allows 512 MB)."""


def _raw_client(client: aioredis.Redis) -> aioredis.Redis:
    """The client itself, or a twin that does not decode replies (tensors are bytes)."""
    cluster = cluster_raw_client(client)
    if cluster is not None:
        return cluster  # type: ignore[no-any-return]
    pool = client.connection_pool
    if not pool.connection_kwargs.get("decode_responses"):
        return client
    kwargs = {**pool.connection_kwargs, "decode_responses": False}
    try:
        twin = type(pool)(connection_class=pool.connection_class, **kwargs)
    except TypeError as exc:
        raise ConfigError("the hosted executor needs a client with decode_responses=False") from exc
    # from_pool: closing the twin also disconnects its pool.
    return aioredis.Redis.from_pool(twin)


def _combiner(client: Any) -> AsyncCommandCombiner | None:
    """Auto-pipelining for the executor's one-command round trips (``_autopipe.py``).

    Not on a cluster, whose client routes every command itself, nor with client-side caching,
    which pipelines would bypass.
    """
    if not isinstance(client, aioredis.Redis):
        return None
    try:
        return AsyncCommandCombiner(client)
    except ValueError:
        return None


class AsyncHostedBase:
    """The parts of :class:`~redisai_core._async.ai_hosted.AsyncHostedExecutor` every command
    uses; construct the executor, not this class (its docstring describes the arguments).

    Raises:
        ConfigError: ``model_chunk_size`` is not positive.
    """

    def __init__(
        self,
        redis: aioredis.Redis,
        *,
        keyspace: KeySpace,
        model_chunk_size: int = DEFAULT_CHUNK_SIZE,
        track_invalidations: bool = True,
    ) -> None:
        if model_chunk_size <= 0:
            raise ConfigError(f"model_chunk_size must be positive, got {model_chunk_size!r}")
        # Typed as Any: redis-py's sync and asyncio command stubs differ (awaitable unions), and
        # this one source serves both through scripts/unasync.py.
        self._redis: Any = _raw_client(redis)
        self._owns_redis = self._redis is not redis
        self._commands = _combiner(self._redis)
        keyspace = slot_space(self._redis, keyspace)  # on a cluster: ai/_hosted/_cluster.py
        self._layout = Layout(keyspace)
        self._chunk_size = model_chunk_size
        self._cache = ModelCache()
        self._stats = StatsBuffer()
        target = sync_target(self._redis) if track_invalidations else None
        self._deferred_stats = target is not None
        self._background = Background(target, keyspace, self._cache, self._stats)

    async def aclose(self) -> None:
        """Stop the background thread and batching threads; write pending counters.

        The caller's client stays open (it is the caller's); a non-decoding twin made here is
        closed.
        """
        await async_wait(background_pool().submit(self._background.stop))
        try:
            await self._flush_stats()
        finally:
            self._cache.close()
            if self._commands is not None:
                await self._commands.aclose()
            if self._owns_redis:
                await self._redis.aclose()

    # -- single commands ------------------------------------------------------------------------

    async def _hset(self, key: str, fields: Mapping[str, bytes]) -> None:
        """``HSET`` of a whole tensor; concurrent callers' commands share round trips."""
        if self._commands is None:
            await self._redis.hset(key, mapping=fields)
            return
        await self._commands.execute("HSET", key, *itertools.chain.from_iterable(fields.items()))

    async def _hgetall(self, key: str) -> Any:
        """``HGETALL`` of a tensor; concurrent callers' commands share round trips."""
        if self._commands is None:
            return await self._redis.hgetall(key)
        return await self._commands.execute("HGETALL", key)

    # -- tensors --------------------------------------------------------------------------------

    async def tensorset(self, key: str, tensor: Tensor) -> None:
        """Store a tensor (one ``HSET``; Redis refuses it on a model key with WRONGTYPE)."""
        with redis_errors():
            await self._hset(self._layout.obj(key), encode_tensor(tensor))

    async def tensorget(self, key: str) -> Tensor:
        """Fetch a tensor with one ``HGETALL``.

        Raises:
            KeyEmptyError: no such key.
            WrongTypeError: the key holds a model.
        """
        with redis_errors():
            fields = await self._hgetall(self._layout.obj(key))
        tensor = decode_tensor(fields, key)
        if tensor is None:
            raise KeyEmptyError(msg.TENSOR_KEY_EMPTY)
        return tensor

    # -- execution ------------------------------------------------------------------------------

    async def _model(self, key: str) -> CachedModel:
        """The cached model; with a live listener no round trip is needed.

        Raises:
            KeyEmptyError: no such model.
            WrongTypeError: the key holds a tensor.
            ModelError: the stored blob cannot be loaded here (e.g. GPU without CUDA).
        """
        self._background.ensure_started()
        cached = self._cache.fresh(key)
        if cached is not None:
            return cached
        token = self._cache.token(key)
        obj, version_key = self._layout.obj(key), self._layout.version(key)
        with redis_errors():
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.lindex(obj, 0)
                pipe.get(version_key)
                head, raw_version = await pipe.execute()
        if head is None:
            raise KeyEmptyError(msg.MODEL_KEY_EMPTY)
        version = int(raw_version or 0)
        known = self._cache.any(key)
        if known is not None and known.version == version:
            return self._cache.adopt(known, token)
        # One load per model version: concurrent callers that miss together wait for it
        # instead of each fetching the blob and building a session.
        loading, owner = self._cache.loading(key, version)
        if not owner:
            return self._cache.adopt(await async_wait(loading), token)
        try:
            model = await self._load_model(key)
        except BaseException as exc:
            loading.set_exception(exc)
            raise
        finally:
            self._cache.loaded(key, version)
        loading.set_result(model)
        return self._cache.adopt(model, token)

    async def _load_model(self, key: str) -> CachedModel:
        """Fetch a model's blob and version atomically and build its runner and run queue."""
        with redis_errors():
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.lrange(self._layout.obj(key), 0, -1)
                pipe.get(self._layout.version(key))
                items, raw_version = await pipe.execute()
        if not items:
            raise KeyEmptyError(msg.MODEL_KEY_EMPTY)
        stored = decode_meta(items[0], key)
        blob = b"".join(items[1:])
        runner = await async_wait(background_pool().submit(create_runner, blob, stored.meta.device))
        meta = stored.meta
        engine = Engine(
            runner,
            batchsize=meta.batchsize,
            minbatchsize=meta.minbatchsize,
            minbatchtimeout=meta.minbatchtimeout,
            name=key,
        )
        return CachedModel(key, int(raw_version or 0), stored, runner, engine)

    async def _count(self, model: CachedModel, delta: tuple[int, int, int, int]) -> None:
        """Add to AI.INFO. The background thread writes it within ~0.1 s (and this process
        flushes before reading or resetting counters); without that thread, at once."""
        self._stats.add(model.key, model.version, delta)
        if not self._deferred_stats:
            await self._flush_stats()

    # -- AI.INFO --------------------------------------------------------------------------------

    async def _flush_stats(self) -> None:
        """Write this process's deferred counters now (before reading or resetting them)."""
        pending = self._stats.drain()
        if not pending:
            return
        try:
            with redis_errors():
                async with self._redis.pipeline(transaction=False) as pipe:
                    for (key, version), delta in pending.items():
                        queue_stats(pipe, self._layout, key, version, delta)
                    await pipe.execute()
        except Exception:
            self._stats.restore(pending)
            raise

    # -- introspection --------------------------------------------------------------------------

    def model_runs(self, key: str) -> int:
        """How many times this process ran the cached version of a model (batches count once).

        Hosted only; lets tests and benchmarks observe auto-batching. 0 when not cached.
        """
        cached = self._cache.any(key)
        return 0 if cached is None else cached.engine.runs
