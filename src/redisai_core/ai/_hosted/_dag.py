"""DAG planning for the hosted executor: RedisAI's parse-time checks (PROTOCOL.md §1.9). Pure.

Everything that RedisAI refuses before running anything is refused here, as a whole-DAG
:class:`~redisai_core.errors.DagError` with RedisAI's wording; the executor then only fetches
what the plan names.
"""

from __future__ import annotations

from collections.abc import Sequence

from ...errors import DagError
from .. import _errors as msg
from .._types import DagOp, ModelExecuteOp, TensorGetOp, TensorSetOp

__all__ = ["DagPlan", "plan_dag"]


class DagPlan:
    """A validated DAG: the keyspace tensors to LOAD, the models it runs, what to PERSIST.

    A plain slotted class rather than a frozen dataclass: one is built per request on the
    serving path, and a frozen dataclass's ``__init__`` costs several times more.
    """

    __slots__ = ("load", "models", "ops", "persist", "timeout")

    def __init__(
        self,
        ops: Sequence[DagOp],
        load: tuple[str, ...],
        persist: tuple[str, ...],
        models: tuple[str, ...],
        timeout: int | None,
    ) -> None:
        self.ops = ops
        self.load = load
        self.persist = persist
        self.models = models
        self.timeout = timeout


def plan_dag(
    ops: Sequence[DagOp],
    *,
    load: Sequence[str] = (),
    persist: Sequence[str] = (),
    routing: str | None = None,
    timeout: int | None = None,
    readonly: bool = False,
) -> DagPlan:
    """Validate a DAG the way AI.DAGEXECUTE(_RO) parses it.

    Raises:
        DagError: no LOAD/PERSIST/ROUTING, no ops, PERSIST in a read-only DAG, repeated PERSIST
            keys, an op input neither loaded nor produced earlier, or a PERSIST key never
            produced.
    """
    if not load and not persist and routing is None:
        raise DagError(msg.DAG_NEEDS_SCOPE)
    if persist:
        if readonly:
            raise DagError(msg.DAG_PERSIST_READONLY)
        if len(set(persist)) != len(persist):
            raise DagError(msg.DAG_PERSIST_UNIQUE)
    if timeout is not None and timeout <= 0:
        raise DagError(msg.INVALID_TIMEOUT)
    if not ops:
        raise DagError(msg.DAG_EMPTY)
    known = set(load)
    models: list[str] = []
    for op in ops:
        kind = type(op)
        if kind is TensorSetOp:
            known.add(op.key)
        elif kind is ModelExecuteOp:
            assert isinstance(op, ModelExecuteOp)
            for name in op.inputs:
                if name not in known:
                    raise DagError(msg.DAG_INPUT_NOT_FOUND)
            known.update(op.outputs)
            if op.key not in models:
                models.append(op.key)
        elif kind is TensorGetOp:
            if op.key not in known:
                raise DagError(msg.DAG_INPUT_NOT_FOUND)
        else:
            raise DagError(msg.DAG_UNSUPPORTED_OP)
    for key in persist:
        if key not in known:
            raise DagError(msg.DAG_PERSIST_NOT_FOUND)
    return DagPlan(
        ops,
        tuple(dict.fromkeys(load)) if load else (),
        tuple(persist),
        tuple(models),
        timeout,
    )
