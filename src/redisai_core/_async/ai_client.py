"""The RedisAI client: redisai-py's API over either executor (AI.* module, or hosted ONNX).

Where inference runs: with the ``module`` executor, inside Redis (RedisAI's worker threads);
with the ``hosted`` executor, in this process with ONNX Runtime, on tensors and models kept in
ordinary Redis keys under ``prefix``. ``executor="auto"`` asks the server once (``HELLO``) and
uses the module when ``ai`` is loaded.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Any

import numpy.typing as npt
import redis.asyncio

from ..ai import _args, _tensor
from ..ai._errors import DAG_EMPTY
from ..ai._types import Backend, DagOp, ModelExecuteOp, TensorGetOp, TensorSetOp
from ..connection import get_async_client
from ..errors import DagError
from ..keys import KeySpace
from .ai_executor import AsyncExecutor
from .ai_module import AsyncModuleExecutor
from .probe import async_probe

__all__ = ["AsyncDag", "AsyncRedisAIClient"]


async def _close(executor: AsyncExecutor) -> None:
    # Not part of the executor protocol: the hosted executor owns threads and a listener
    # connection, the module executor owns nothing.
    close = getattr(executor, "aclose", None)
    if close is not None:
        await close()


class AsyncRedisAIClient:
    """RedisAI tensors, models and DAGs, with redisai-py's method names and replies.

    Args:
        redis_url: server URL; with neither this nor ``redis_client``, ``REDIS_URL`` or the
            embedded server.
        redis_client: a redis-py client to use instead (asyncio for the async class); it is
            left open by :meth:`aclose`. A cluster client (``RedisCluster``) works with the
            hosted executor, which then keeps its keys in one slot (``{prefix}:...``).
        executor: ``"auto"`` (probe once, on first use), ``"module"`` or ``"hosted"``.
        prefix: key prefix of the hosted executor's keys (the module executor uses the keys
            you pass as they are).
        chunk_size: bytes per model chunk: per argument of ``AI.MODELSTORE`` (module, default
            511 MiB, RedisAI's own) or per stored piece (hosted, its own default).

    Raises:
        ConfigError: an unknown executor, an empty prefix, or bad connection arguments.
    """

    def __init__(
        self,
        redis_url: str | None = None,
        redis_client: redis.asyncio.Redis | redis.asyncio.RedisCluster | None = None,
        *,
        executor: str = "auto",
        prefix: str = "redisai",
        chunk_size: int | None = None,
    ) -> None:
        if executor != "auto":
            _args.select_executor(executor)  # validates the choice
        self._keyspace = KeySpace(prefix)
        self._choice = executor
        self._chunk_size = chunk_size
        self._redis = get_async_client(redis_url, redis_client)
        self._owns_client = redis_client is None
        self._executor: AsyncExecutor | None = None
        if executor == "module":
            self._executor = AsyncModuleExecutor(self._redis, chunk_size=chunk_size)

    async def get_executor(self) -> AsyncExecutor:
        """The executor in use, chosen on first call (one ``HELLO`` for ``"auto"``).

        Raises:
            RedisConnectionError: probing the server failed.
        """
        if self._executor is not None:
            return self._executor
        name = self._choice
        if name == "auto":
            name = _args.select_executor(name, await async_probe(self._redis))
        executor = self._build(name)
        winner = self._stored()  # re-read: another first call may have finished meanwhile
        if winner is not None:
            # Keep one executor (the hosted one owns threads and a connection); drop ours.
            await _close(executor)
            return winner
        self._executor = executor
        return executor

    def _stored(self) -> AsyncExecutor | None:
        return self._executor

    def _build(self, name: str) -> AsyncExecutor:
        if name == "module":
            return AsyncModuleExecutor(self._redis, chunk_size=self._chunk_size)
        # Imported only when chosen: the hosted executor needs onnxruntime.
        from .ai_hosted import AsyncHostedExecutor

        if self._chunk_size is None:
            return AsyncHostedExecutor(self._redis, keyspace=self._keyspace)
        return AsyncHostedExecutor(
            self._redis, keyspace=self._keyspace, model_chunk_size=self._chunk_size
        )

    async def tensorset(
        self, key: str, tensor: Any, shape: Sequence[int] | None = None, dtype: Any = None
    ) -> str:
        """Store a tensor: a numpy array, or a flat list/tuple of values with ``dtype``.

        Returns:
            ``"OK"``.

        Raises:
            TensorError: unsupported dtype, bad shape or values (RedisAI's wording).
            WrongTypeError: the key holds another kind of value.
        """
        encoded = _tensor.encode(tensor, shape, dtype)
        executor = await self.get_executor()
        await executor.tensorset(key, encoded)
        return "OK"

    async def tensorget(
        self, key: str, as_numpy: bool = True, meta_only: bool = False
    ) -> npt.NDArray[Any] | dict[str, Any]:
        """Fetch a tensor: a read-only numpy array, or a dict.

        ``meta_only`` gives ``{"dtype", "shape"}``; ``as_numpy=False`` gives
        ``{"dtype", "shape", "values"}`` with a flat values list.

        Raises:
            KeyEmptyError: ``ERR tensor key is empty or in a different shard``.
            WrongTypeError: the key holds another kind of value.
            CorruptDataError: (hosted) the key holds a hash that is not a readable tensor.
        """
        executor = await self.get_executor()
        tensor = await executor.tensorget(key)
        result: npt.NDArray[Any] | dict[str, Any] = _args.format_tensor(
            tensor, _args.TensorFormat(as_numpy=as_numpy, meta_only=meta_only)
        )
        return result

    async def modelstore(  # noqa: PLR0917 - redisai-py's positional signature, kept for its users
        self,
        key: str,
        backend: str | Backend,
        device: str,
        data: bytes,
        batch: int | None = None,
        minbatch: int | None = None,
        minbatchtimeout: int | None = None,
        tag: str | None = None,
        inputs: str | Sequence[str] | None = None,
        outputs: str | Sequence[str] | None = None,
    ) -> str:
        """Store a model (re-storing replaces it and resets its AI.INFO counters).

        Returns:
            ``"OK"``.

        Raises:
            ModelError: bad backend, device, batching options or inputs/outputs (checked
                before sending, with RedisAI's wording), or a blob the backend rejects.
            UnsupportedBackendError: the executor cannot run this backend.
        """
        meta = _args.model_meta(
            backend,
            device,
            batch=batch,
            minbatch=minbatch,
            minbatchtimeout=minbatchtimeout,
            tag=tag,
            inputs=inputs,
            outputs=outputs,
        )
        executor = await self.get_executor()
        await executor.modelstore(key, meta, _args.model_blob(data))
        return "OK"

    async def modelget(self, key: str, meta_only: bool = False) -> dict[str, Any]:
        """A model's backend, device, tag, batching options, inputs, outputs and blob.

        Raises:
            KeyEmptyError: ``ERR model key is empty``.
            CorruptDataError: (hosted) the model's stored metadata cannot be read.
        """
        executor = await self.get_executor()
        meta, blob = await executor.modelget(key, meta_only)
        return _args.modelget_dict(meta, None if meta_only else blob)

    async def modeldel(self, key: str) -> str:
        """Delete a model. Returns ``"OK"``.

        Raises:
            KeyEmptyError: ``ERR model key is empty``.
        """
        executor = await self.get_executor()
        await executor.modeldel(key)
        return "OK"

    async def modelexecute(
        self,
        key: str,
        inputs: str | Sequence[str],
        outputs: str | Sequence[str],
        timeout: int | None = None,
    ) -> str:
        """Run a model on stored tensors; outputs are written only on success.

        Args:
            timeout: milliseconds the request may wait in the queue before it is dropped.

        Returns:
            ``"OK"``, or ``"TIMEDOUT"`` when it waited too long (nothing was written).

        Raises:
            ModelError: argument errors (``ERR Invalid value for TIMEOUT``, input counts ...).
            ModelExecutionError: the backend failed.
            KeyEmptyError: the model or an input tensor does not exist.
        """
        executor = await self.get_executor()
        return await executor.modelexecute(
            key, _args.key_list(inputs), _args.key_list(outputs), _args.timeout_arg(timeout)
        )

    async def modelscan(self) -> list[tuple[str, str]]:
        """``[(key, tag), ...]`` of the stored models (RedisAI marks this experimental)."""
        executor = await self.get_executor()
        return await executor.modelscan()

    async def infoget(self, key: str) -> dict[str, Any]:
        """Run statistics: key, type, backend, device, tag, duration (µs), samples, calls, errors.

        Raises:
            KeyEmptyError: ``ERR cannot find run info for key``.
        """
        executor = await self.get_executor()
        return _args.info_dict(await executor.infoget(key))

    async def inforeset(self, key: str) -> str:
        """Zero a model's run statistics. Returns ``"OK"``."""
        executor = await self.get_executor()
        await executor.inforeset(key)
        return "OK"

    def dag(
        self,
        load: str | Sequence[str] | None = None,
        persist: str | Sequence[str] | None = None,
        routing: str | None = None,
        timeout: int | None = None,
        readonly: bool = False,
    ) -> AsyncDag:
        """A DAG builder: chain ``tensorset``/``tensorget``/``modelexecute``, then ``execute()``.

        RedisAI requires one of LOAD, PERSIST or ROUTING; given none, the DAG is routed by its
        first MODELEXECUTE model key (see :func:`ai._args.default_routing`).

        Raises:
            DagError: ``readonly`` with ``persist``, or a bad ``timeout``.
        """
        return AsyncDag(
            self, load=load, persist=persist, routing=routing, timeout=timeout, readonly=readonly
        )

    async def aclose(self) -> None:
        """Release the executor's resources, and the connection pool if this client made it."""
        executor, self._executor = self._executor, None
        if executor is not None:
            await _close(executor)
        if self._owns_client:
            await self._redis.aclose()

    async def __aenter__(self) -> AsyncRedisAIClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class AsyncDag:
    """Ops of one ``AI.DAGEXECUTE`` (or ``_RO``); build with :meth:`AsyncRedisAIClient.dag`.

    Op names are DAG-local unless LOADed or PERSISTed. Each builder method returns the DAG, so
    calls chain; :meth:`execute` may be called more than once.
    """

    def __init__(
        self,
        client: AsyncRedisAIClient,
        *,
        load: str | Sequence[str] | None = None,
        persist: str | Sequence[str] | None = None,
        routing: str | None = None,
        timeout: int | None = None,
        readonly: bool = False,
    ) -> None:
        self._client = client
        self._load, self._persist = _args.dag_scope(load, persist, readonly)
        self._routing = routing
        self._timeout = _args.timeout_arg(timeout, DagError)
        self._readonly = readonly
        self._ops: list[DagOp] = []
        self._formats: list[_args.TensorFormat | None] = []

    def tensorset(
        self, key: str, tensor: Any, shape: Sequence[int] | None = None, dtype: Any = None
    ) -> AsyncDag:
        """Add ``AI.TENSORSET`` (same arguments as the client's)."""
        self._ops.append(TensorSetOp(key, _tensor.encode(tensor, shape, dtype)))
        self._formats.append(None)
        return self

    def tensorget(self, key: str, as_numpy: bool = True, meta_only: bool = False) -> AsyncDag:
        """Add ``AI.TENSORGET``; its result is shaped as the client's ``tensorget``."""
        self._ops.append(TensorGetOp(key))
        self._formats.append(_args.tensor_format(as_numpy, meta_only))
        return self

    def modelexecute(
        self, key: str, inputs: str | Sequence[str], outputs: str | Sequence[str]
    ) -> AsyncDag:
        """Add ``AI.MODELEXECUTE`` (TIMEOUT belongs to the whole DAG)."""
        self._ops.append(ModelExecuteOp(key, _args.key_list(inputs), _args.key_list(outputs)))
        self._formats.append(None)
        return self

    async def execute(self) -> list[Any] | str:
        """Run the DAG.

        Returns:
            One result per op: ``"OK"``, a tensor (numpy array or dict, as asked), the op's
            :class:`RedisAIError` (inline, not raised), or ``"NA"`` for ops skipped after a
            failure and tensors never produced. If any op failed, nothing was persisted.
            ``"TIMEDOUT"`` when the whole DAG waited longer than ``timeout``.

        Raises:
            DagError: the DAG was refused as a whole (empty, unknown keys ...); nothing ran.
        """
        routing = self._routing
        if not (self._load or self._persist or routing):
            routing = _args.default_routing(self._ops)
        elif not self._ops:
            raise DagError(DAG_EMPTY)
        executor = await self._client.get_executor()
        results = await executor.dag(
            list(self._ops),
            load=self._load,
            persist=self._persist,
            routing=routing,
            timeout=self._timeout,
            readonly=self._readonly,
        )
        return _args.format_dag_results(results, self._formats)
