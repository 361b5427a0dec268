"""The module executor: RedisAI's own AI.* commands, for servers that load the ``ai`` module.

Inference runs inside Redis (RedisAI's worker threads); this class only builds the commands
(``ai/_commands.py``), sends them and decodes the replies.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import redis.asyncio
import redis.exceptions as rex

from ..ai import _commands as cmd
from ..ai._types import DagOp, DagResult, ModelInfo, ModelMeta, Tensor
from ..errors import (
    ConfigError,
    DagError,
    ModelError,
    ModelExecutionError,
    RedisAIError,
    map_redis_errors,
)

__all__ = ["AsyncModuleExecutor"]


class AsyncModuleExecutor:
    """Runs RedisAI operations as AI.* commands on ``redis``.

    Model blobs are sent in chunks of ``chunk_size`` bytes (default: RedisAI's own default,
    511 MiB). Chunking only keeps each argument under Redis' 512 MB bulk-string limit and the
    server joins any chunks it gets, so unlike redisai-py no ``AI.CONFIG GET MODEL_CHUNK_SIZE``
    round trip precedes each store (that call also fails on RedisAI < 1.2.7, on read-only
    replicas and for ACL users without ``AI.CONFIG``).

    Replies are read without decoding (``NEVER_DECODE``), so tensor and model bytes survive
    a client made with ``decode_responses=True``.

    Args:
        redis: an asyncio redis-py client (RESP2 or RESP3).
        chunk_size: bytes per model chunk on store.

    Raises:
        ConfigError: ``chunk_size`` is not a positive integer.
    """

    name = "module"

    def __init__(self, redis: redis.asyncio.Redis, *, chunk_size: int | None = None) -> None:
        if chunk_size is None:
            chunk_size = cmd.MODEL_CHUNK_SIZE
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size <= 0:
            raise ConfigError(f"chunk_size must be a positive integer, got {chunk_size!r}")
        self._redis = redis
        self._chunk_size = chunk_size

    async def _call(self, args: cmd.Argv) -> Any:
        """Send one command; error replies become RedisAI errors with their wire text.

        Raises:
            RedisAIError: the matching subclass for a RedisAI error reply.
            ModuleMissingError: the server does not know the AI.* commands.
            RedisConnectionError: the server is unreachable.
        """
        with map_redis_errors():
            try:
                return await self._redis.execute_command(*args, NEVER_DECODE=True)  # type: ignore[no-untyped-call]
            except rex.ResponseError as exc:
                raise cmd.reply_error(exc) from exc

    async def tensorset(self, key: str, tensor: Tensor) -> None:
        cmd.parse_ok(await self._call(cmd.tensorset(key, tensor)), "AI.TENSORSET")

    async def tensorget(self, key: str) -> Tensor:
        return cmd.parse_tensor(await self._call(cmd.tensorget(key)))

    async def modelstore(self, key: str, meta: ModelMeta, blob: bytes) -> None:
        args = cmd.modelstore(key, meta, blob, chunk_size=self._chunk_size)
        cmd.parse_ok(await self._call(args), "AI.MODELSTORE")

    async def modelget(self, key: str, meta_only: bool = False) -> tuple[ModelMeta, bytes | None]:
        reply = await self._call(cmd.modelget(key, meta_only=meta_only))
        return cmd.parse_modelget(reply, meta_only=meta_only)

    async def modeldel(self, key: str) -> None:
        cmd.parse_ok(await self._call(cmd.modeldel(key)), "AI.MODELDEL")

    async def modelexecute(
        self, key: str, inputs: Sequence[str], outputs: Sequence[str], timeout: int | None = None
    ) -> str:
        reply = await self._call(cmd.modelexecute(key, inputs, outputs, timeout))
        return cmd.parse_status(reply)

    async def modelscan(self) -> list[tuple[str, str]]:
        return cmd.parse_modelscan(await self._call(cmd.modelscan()))

    async def infoget(self, key: str) -> ModelInfo:
        return cmd.parse_info(await self._call(cmd.info(key)))

    async def inforeset(self, key: str) -> None:
        cmd.parse_ok(await self._call(cmd.info(key, reset=True)), "AI.INFO")

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
        """Run a DAG; per-op results, or ``"TIMEDOUT"`` for a whole-DAG timeout.

        Raises:
            DagError: the DAG was refused as a whole. Argument errors of its ops (which RedisAI
                reports with the op's wording) are DagErrors too; missing keys, wrong types and
                bad tensors keep their specific classes.
        """
        args = cmd.dagexecute(
            ops, load=load, persist=persist, routing=routing, timeout=timeout, readonly=readonly
        )
        try:
            reply = await self._call(args)
        except RedisAIError as exc:
            # A whole-DAG error reply is a parse error: nothing ran, so no backend failed.
            if type(exc) in (ModelError, ModelExecutionError):
                raise DagError(exc.message) from exc
            raise
        return cmd.parse_dag(reply, ops)
