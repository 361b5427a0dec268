"""The hosted executor: RedisAI semantics on plain Redis, with ONNX Runtime next to the caller.

Tensors and models live in ordinary Redis keys under the executor's key space (layout and
codecs in ``ai/_hosted/_layout.py``); inference runs in THIS process, in ONNX Runtime, with
sessions cached per model key and version and invalidated by Redis client-side-caching
messages (``ai/_hosted/_background.py``). Concurrent requests for one model version are
auto-batched as RedisAI does (``ai/_hosted/_batcher.py``). This module only orchestrates:
which round trips a command needs, in which order, and how replies become results or errors.

Round trips with a cached model: TENSORSET and TENSORGET 1; MODELEXECUTE 2 (read the inputs,
then write all outputs in one command or one MULTI/EXEC, only on success); a DAG with inline
inputs that persists nothing 0. AI.INFO counters live in Redis: a background thread adds each
process's increments within ~0.1 s (a persisting DAG adds them in its PERSIST transaction), and
a process flushes its own before it reads or resets them.

Where it knowingly differs from the RedisAI module: AI.INFO counters of other processes show
up within ~0.1 s rather than at once; batched requests must also agree on dtype (RedisAI
concatenates raw bytes of any dtype); the batch-size check applies to runs of two or more
requests (a lone request's outputs are not sliced); a model's version key stays after MODELDEL
so a re-created model never reuses a cached version; and a request racing a re-store may run
either version (as with RedisAI's queue).
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import WatchError

from .._autopipe import AsyncCommandCombiner
from .._cluster_support import slot_space
from .._compat import async_wait
from ..ai import _errors as msg
from ..ai._errors import classify
from ..ai._hosted._background import Background, sync_target
from ..ai._hosted._batcher import Engine
from ..ai._hosted._cache import CachedModel, ModelCache
from ..ai._hosted._cluster import cluster_raw_client
from ..ai._hosted._dag import plan_dag
from ..ai._hosted._layout import (
    Layout,
    chunk_blob,
    decode_meta,
    decode_stats,
    decode_tensor,
    encode_meta,
    encode_tensor,
    queue_stats,
)
from ..ai._hosted._replies import (
    dag_refusal,
    raise_first_error,
    redis_errors,
    samples,
    text,
)
from ..ai._hosted._sessions import (
    background_pool,
    create_runner,
    from_numpy,
    to_numpy,
    validate_device,
)
from ..ai._hosted._stats import StatsBuffer
from ..ai._types import (
    NA,
    OK,
    Backend,
    DagOp,
    DagResult,
    ModelExecuteOp,
    ModelInfo,
    ModelMeta,
    Tensor,
    TensorGetOp,
    TensorSetOp,
)
from ..errors import (
    ConfigError,
    KeyEmptyError,
    RedisAIError,
    UnsupportedBackendError,
    WrongTypeError,
)
from ..keys import KeySpace

__all__ = ["DEFAULT_CHUNK_SIZE", "AsyncHostedExecutor"]

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


class AsyncHostedExecutor:
    """RedisAI's observable semantics with tensors and models in ordinary Redis keys.

    Works on any Redis 6+ (no modules). Only ONNX models run; inference happens in this
    process. Keep one executor per process and key space: it owns a background thread (cache
    invalidation and deferred counters) and one batching thread per model in use.

    Args:
        redis: an asyncio redis-py client (RESP2 or RESP3). A client that decodes replies is
            replaced by a non-decoding twin with the same settings.
        keyspace: where every key of this executor lives.
        model_chunk_size: bytes per stored model chunk.
        track_invalidations: listen for model changes with client-side caching; when off
            (or impossible, e.g. Sentinel pools), every request checks the model version
            with one round trip instead.

    Raises:
        ConfigError: ``model_chunk_size`` is not positive.
    """

    name = "hosted"

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

    async def __aenter__(self) -> AsyncHostedExecutor:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

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

    # -- models ---------------------------------------------------------------------------------

    async def modelstore(self, key: str, meta: ModelMeta, blob: bytes) -> None:
        """Validate the model by loading it in ONNX Runtime, then store it atomically.

        The blob (in chunks), its metadata with the introspected input/output names and a
        content hash, the version bump and the AI.INFO reset go in one MULTI/EXEC, guarded by
        WATCH so a tensor stored under the same key meanwhile is never overwritten.

        Raises:
            UnsupportedBackendError: TF, TFLITE or TORCH (ONNX only here), or an unknown backend.
            ModelError: bad device, corrupt blob (ORT's message), GPU without CUDA.
            WrongTypeError: the key holds a tensor.
        """
        backend = meta.backend.upper()
        if backend != Backend.ONNX.value:
            if backend in Backend.__members__:
                raise UnsupportedBackendError(
                    msg.HOSTED_BACKEND_UNSUPPORTED.format(backend=backend)
                )
            raise UnsupportedBackendError(msg.UNSUPPORTED_BACKEND)
        validate_device(meta.device)
        runner = await async_wait(background_pool().submit(create_runner, blob, meta.device))
        stored = dataclasses.replace(
            meta, backend=backend, inputs=runner.inputs, outputs=runner.outputs
        )
        chunks = chunk_blob(blob, self._chunk_size)
        header = encode_meta(stored, blob, len(chunks))
        obj = self._layout.obj(key)
        with redis_errors():
            async with self._redis.pipeline(transaction=True) as pipe:
                while True:
                    try:
                        await pipe.watch(obj)
                        if text(await pipe.type(obj)) not in ("none", "list"):
                            raise WrongTypeError(msg.WRONGTYPE)
                        pipe.multi()
                        pipe.delete(obj, self._layout.stats(key))
                        pipe.rpush(obj, header, *chunks)
                        pipe.incr(self._layout.version(key))
                        await pipe.execute()
                        break
                    except WatchError:
                        continue
        # Read-your-writes in this process, before the invalidation message arrives.
        self._cache.invalidate([key])
        self._stats.discard(key)

    async def modelget(self, key: str, meta_only: bool = False) -> tuple[ModelMeta, bytes | None]:
        """Metadata (``LINDEX 0``) or metadata and blob (``LRANGE 0 -1``), in one round trip.

        Raises:
            KeyEmptyError: no such model.
            WrongTypeError: the key holds a tensor.
        """
        obj = self._layout.obj(key)
        with redis_errors():
            if meta_only:
                head = await self._redis.lindex(obj, 0)
                items = [] if head is None else [head]
            else:
                items = await self._redis.lrange(obj, 0, -1)
        if not items:
            raise KeyEmptyError(msg.MODEL_KEY_EMPTY)
        meta = decode_meta(items[0], key).meta
        return meta, None if meta_only else b"".join(items[1:])

    async def modeldel(self, key: str) -> None:
        """Delete a model and its counters; bumps its version so every cache drops it.

        Raises:
            KeyEmptyError: no such model.
            WrongTypeError: the key holds a tensor.
        """
        obj = self._layout.obj(key)
        with redis_errors():
            async with self._redis.pipeline(transaction=True) as pipe:
                while True:
                    try:
                        await pipe.watch(obj)
                        kind = text(await pipe.type(obj))
                        if kind == "none":
                            raise KeyEmptyError(msg.MODEL_KEY_EMPTY)
                        if kind != "list":
                            raise WrongTypeError(msg.WRONGTYPE)
                        pipe.multi()
                        pipe.delete(obj, self._layout.stats(key))
                        pipe.incr(self._layout.version(key))
                        await pipe.execute()
                        break
                    except WatchError:
                        continue
        self._cache.invalidate([key])
        self._stats.discard(key)

    async def modelscan(self) -> list[tuple[str, str]]:
        """``[(key, tag), ...]`` of the stored models: SCAN over this key space, then tags."""
        objects = self._layout.objects
        found: dict[bytes, None] = {}
        with redis_errors():
            # scan_iter: a cluster client runs it on every primary in turn
            async for redis_key in self._redis.scan_iter(
                match=objects.pattern(), count=500, _type="list"
            ):
                found[redis_key] = None
            if not found:
                return []
            async with self._redis.pipeline(transaction=False) as pipe:
                for redis_key in found:
                    pipe.lindex(redis_key, 0)
                heads = await pipe.execute(raise_on_error=False)
        return [
            (key, decode_meta(head, key).meta.tag)
            for key, head in zip(map(objects.id_from_key, found), heads, strict=True)
            if isinstance(head, bytes)
        ]

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

    async def modelexecute(
        self, key: str, inputs: Sequence[str], outputs: Sequence[str], timeout: int | None = None
    ) -> str:
        """Run a model on keyspace tensors; ``"OK"``, or ``"TIMEDOUT"`` if it waited too long.

        Outputs are written only on success, all at once (one ``HSET``, or one MULTI/EXEC for
        several); a request still queued after ``timeout`` ms writes nothing.

        Raises:
            KeyEmptyError: the model or an input tensor does not exist.
            WrongTypeError: a key holds the other kind of value.
            ModelExecutionError: input/output count mismatch, ORT failure, batch-size error.
        """
        model = await self._model(key)
        meta = model.stored.meta
        if len(inputs) != len(meta.inputs):
            raise classify(msg.INPUT_COUNT_MISMATCH)
        if len(outputs) != len(meta.outputs):
            raise classify(msg.OUTPUT_COUNT_MISMATCH)
        if timeout is not None and timeout <= 0:
            raise classify(msg.INVALID_TIMEOUT)
        tensors = await self._fetch_inputs(inputs, outputs)
        deadline = None if timeout is None else time.monotonic() + timeout / 1000.0
        try:
            arrays = [to_numpy(t) for t in tensors]
            outcome = await model.engine.async_run(arrays, deadline=deadline)
            if isinstance(outcome, str):
                return outcome  # TIMEDOUT: nothing written, nothing counted
            results = [
                (name, from_numpy(array))
                for name, array in zip(outputs, outcome.outputs, strict=True)
                if array is not None
            ]
        except RedisAIError:
            await self._count(model, (0, 0, 1, 1))
            raise
        await self._write_outputs(results)
        await self._count(model, (outcome.duration_us, samples(outcome), 1, 0))
        return "OK"

    async def _fetch_inputs(self, inputs: Sequence[str], outputs: Sequence[str]) -> list[Tensor]:
        """Input tensors (and, for several outputs, their keys' types) in one round trip.

        A single plain ``HGETALL`` when there is one input and one output: no MULTI/EXEC, which
        costs redis-py as much as the command itself. A single output key that holds a model
        is then refused by Redis at write time, atomically, as the only write.
        """
        obj = self._layout.obj
        if len(inputs) == 1 and len(outputs) == 1:
            with redis_errors():
                replies = [await self._hgetall(obj(inputs[0]))]
        else:
            with redis_errors():
                async with self._redis.pipeline(transaction=True) as pipe:
                    for name in inputs:
                        pipe.hgetall(obj(name))
                    for name in outputs:
                        pipe.type(obj(name))
                    replies = await pipe.execute(raise_on_error=False)
            raise_first_error(replies)
            if any(text(kind) == "list" for kind in replies[len(inputs) :]):
                raise WrongTypeError(msg.WRONGTYPE)
        tensors = [decode_tensor(reply, name) for name, reply in zip(inputs, replies, strict=False)]
        found = [t for t in tensors if t is not None]
        if len(found) != len(inputs):
            raise KeyEmptyError(msg.TENSOR_KEY_EMPTY)
        return found

    async def _write_outputs(self, results: Sequence[tuple[str, Tensor]]) -> None:
        """All outputs at once: one ``HSET``, or one MULTI/EXEC for several."""
        obj = self._layout.obj
        with redis_errors():
            if len(results) == 1:
                name, tensor = results[0]
                await self._hset(obj(name), encode_tensor(tensor))
                return
            async with self._redis.pipeline(transaction=True) as pipe:
                for name, tensor in results:
                    pipe.hset(obj(name), mapping=encode_tensor(tensor))
                raise_first_error(await pipe.execute(raise_on_error=False))

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

    async def infoget(self, key: str) -> ModelInfo:
        """AI.INFO of a model, as every process sees it (counters live in Redis).

        Raises:
            KeyEmptyError: ``ERR cannot find run info for key`` (no such model).
        """
        await self._flush_stats()
        with redis_errors():
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.lindex(self._layout.obj(key), 0)
                pipe.get(self._layout.version(key))
                pipe.hgetall(self._layout.stats(key))
                head, raw_version, fields = await pipe.execute(raise_on_error=False)
        if not isinstance(head, bytes):
            raise KeyEmptyError(msg.NO_RUN_INFO)
        meta = decode_meta(head, key).meta
        counters = decode_stats(fields, int(raw_version or 0))
        return ModelInfo(
            key=key,
            type="MODEL",
            backend=meta.backend,
            device=meta.device,
            tag=meta.tag,
            **counters,
        )

    async def inforeset(self, key: str) -> None:
        """Zero a model's AI.INFO counters (RESETSTAT).

        Raises:
            KeyEmptyError: ``ERR cannot find run info for key`` (no such model).
        """
        self._stats.discard(key)
        with redis_errors():
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.type(self._layout.obj(key))
                pipe.delete(self._layout.stats(key))
                kind, _ = await pipe.execute()
        if text(kind) != "list":
            raise KeyEmptyError(msg.NO_RUN_INFO)

    # -- DAG ------------------------------------------------------------------------------------

    async def dag(
        self,
        ops: Sequence[DagOp],
        *,
        load: Sequence[str] = (),
        persist: Sequence[str] = (),
        routing: str | None = None,
        timeout: int | None = None,
        readonly: bool = False,
    ) -> list[DagResult] | str:
        """Run a DAG with AI.DAGEXECUTE semantics; per-op results or ``"TIMEDOUT"``.

        LOAD is one round trip and PERSIST one MULTI/EXEC (with the counters); with neither
        and a cached model, Redis is not touched at all.

        Raises:
            DagError: the DAG was refused as a whole (RedisAI's parse-time checks); missing
                keys and wrong types keep their specific classes, as with the module.
        """
        plan = plan_dag(
            ops, load=load, persist=persist, routing=routing, timeout=timeout, readonly=readonly
        )
        deadline = None if timeout is None else time.monotonic() + timeout / 1000.0
        models: dict[str, CachedModel] = {}
        # As RedisAI parses: op by op, each MODELEXECUTE finds its model, then checks counts.
        for op in plan.ops:
            if type(op) is not ModelExecuteOp:
                continue
            assert isinstance(op, ModelExecuteOp)
            model = models.get(op.key)
            if model is None:
                try:
                    model = models[op.key] = await self._model(op.key)
                except RedisAIError as exc:
                    raise dag_refusal(exc.message) from exc
            meta = model.stored.meta
            if len(op.inputs) != len(meta.inputs):
                raise dag_refusal(msg.INPUT_COUNT_MISMATCH)
            if len(op.outputs) != len(meta.outputs):
                raise dag_refusal(msg.OUTPUT_COUNT_MISMATCH)
        tensors = await self._load(plan.load) if plan.load else {}
        results: list[DagResult] = []
        deltas: list[tuple[CachedModel, tuple[int, int, int, int]]] = []
        failed = False
        for op in plan.ops:
            kind = type(op)
            if kind is TensorSetOp:
                assert isinstance(op, TensorSetOp)
                # RedisAI runs TENSORSET ops while parsing, so they always reply OK.
                tensors[op.key] = op.tensor
                results.append(OK)
            elif failed:
                results.append(NA)
            elif kind is TensorGetOp:
                results.append(tensors.get(op.key, NA))
            else:
                assert isinstance(op, ModelExecuteOp)
                model = models[op.key]
                try:
                    arrays = [to_numpy(tensors[name]) for name in op.inputs]
                    outcome = await model.engine.async_run(arrays, deadline=deadline)
                    if isinstance(outcome, str):
                        return outcome  # TIMEDOUT: the whole DAG, nothing persisted
                    for name, array in zip(op.outputs, outcome.outputs, strict=True):
                        if array is not None:
                            tensors[name] = from_numpy(array)
                except RedisAIError as exc:
                    results.append(exc)
                    failed = True
                    deltas.append((model, (0, 0, 1, 1)))
                    continue
                deltas.append((model, (outcome.duration_us, samples(outcome), 1, 0)))
                results.append(OK)
        if failed or not plan.persist:
            for model, delta in deltas:
                await self._count(model, delta)
            return results
        obj = self._layout.obj
        with redis_errors():
            async with self._redis.pipeline(transaction=True) as pipe:
                for name in plan.persist:
                    if name in tensors:  # absent only for skipped non-tensor model outputs
                        pipe.hset(obj(name), mapping=encode_tensor(tensors[name]))
                for model, delta in deltas:
                    queue_stats(pipe, self._layout, model.key, model.version, delta)
                raise_first_error(await pipe.execute(raise_on_error=False))
        return results

    async def _load(self, names: Sequence[str]) -> dict[str, Tensor]:
        """DAG LOAD: every tensor in one round trip (RedisAI snapshots them at parse time)."""
        with redis_errors():
            async with self._redis.pipeline(transaction=True) as pipe:
                for name in names:
                    pipe.hgetall(self._layout.obj(name))
                replies = await pipe.execute(raise_on_error=False)
        raise_first_error(replies)
        loaded: dict[str, Tensor] = {}
        for name, reply in zip(names, replies, strict=True):
            tensor = decode_tensor(reply, name)
            if tensor is None:
                raise KeyEmptyError(msg.TENSOR_KEY_EMPTY)
            loaded[name] = tensor
        return loaded

    # -- introspection --------------------------------------------------------------------------

    def model_runs(self, key: str) -> int:
        """How many times this process ran the cached version of a model (batches count once).

        Hosted only; lets tests and benchmarks observe auto-batching. 0 when not cached.
        """
        cached = self._cache.any(key)
        return 0 if cached is None else cached.engine.runs
