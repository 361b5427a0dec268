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

import time
from collections.abc import Sequence
from types import TracebackType

from ..ai import _errors as msg
from ..ai._errors import classify
from ..ai._hosted._cache import CachedModel
from ..ai._hosted._dag import plan_dag
from ..ai._hosted._layout import (
    decode_tensor,
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
    from_numpy,
    to_numpy,
)
from ..ai._types import (
    NA,
    OK,
    DagOp,
    DagResult,
    ModelExecuteOp,
    Tensor,
    TensorGetOp,
    TensorSetOp,
)
from ..errors import (
    KeyEmptyError,
    RedisAIError,
    WrongTypeError,
)
from .ai_hosted_base import DEFAULT_CHUNK_SIZE
from .ai_hosted_models import AsyncHostedModels

__all__ = ["DEFAULT_CHUNK_SIZE", "AsyncHostedExecutor"]


class AsyncHostedExecutor(AsyncHostedModels):
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

    async def __aenter__(self) -> AsyncHostedExecutor:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

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
