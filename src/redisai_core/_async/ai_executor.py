"""The interface both RedisAI executors implement (module: AI.* commands; hosted: ONNX Runtime).

Executors take and return the value types of ``ai/_types.py``; the client facade does the
user-facing conversions and argument validation. Errors are :class:`RedisAIError` subclasses
with RedisAI's wording (``ai/_errors.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ..ai._types import DagOp, DagResult, ModelInfo, ModelMeta, Tensor

__all__ = ["AsyncExecutor"]


class AsyncExecutor(Protocol):
    """One RedisAI executor. ``name`` is ``"module"`` or ``"hosted"``."""

    name: str

    async def tensorset(self, key: str, tensor: Tensor) -> None: ...

    async def tensorget(self, key: str) -> Tensor: ...

    async def modelstore(self, key: str, meta: ModelMeta, blob: bytes) -> None:
        """Store a model; ``meta.inputs``/``meta.outputs`` are sent only for TF."""
        ...

    async def modelget(self, key: str, meta_only: bool = False) -> tuple[ModelMeta, bytes | None]:
        """Metadata (inputs/outputs as the backend reports them) and the blob unless meta_only."""
        ...

    async def modeldel(self, key: str) -> None: ...

    async def modelexecute(
        self, key: str, inputs: Sequence[str], outputs: Sequence[str], timeout: int | None = None
    ) -> str:
        """Run a model on keyspace tensors; returns ``"OK"`` or ``"TIMEDOUT"``."""
        ...

    async def modelscan(self) -> list[tuple[str, str]]:
        """``[(key, tag), ...]`` of stored models."""
        ...

    async def infoget(self, key: str) -> ModelInfo: ...

    async def inforeset(self, key: str) -> None: ...

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
            DagError: the DAG was refused as a whole (parse error); nothing ran.
        """
        ...
