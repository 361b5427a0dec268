"""DAG planning: RedisAI's parse-time checks (pure)."""

from __future__ import annotations

import pytest

from redisai_core import DagError
from redisai_core.ai import _errors as msg
from redisai_core.ai._hosted._dag import plan_dag
from redisai_core.ai._types import ModelExecuteOp, Tensor, TensorGetOp, TensorSetOp

T = Tensor("FLOAT", (1,), b"\0\0\0\0")
SET_X = TensorSetOp("x", T)
RUN = ModelExecuteOp("m", ("x",), ("y",))


@pytest.mark.parametrize(
    ("ops", "kwargs", "expected"),
    [
        ([SET_X], {}, msg.DAG_NEEDS_SCOPE),
        ([], {"routing": "r"}, msg.DAG_EMPTY),
        ([SET_X, RUN], {"persist": ["y"], "readonly": True}, msg.DAG_PERSIST_READONLY),
        ([SET_X, RUN], {"persist": ["y", "y"]}, msg.DAG_PERSIST_UNIQUE),
        ([SET_X, RUN], {"persist": ["q"]}, msg.DAG_PERSIST_NOT_FOUND),
        ([RUN], {"routing": "r"}, msg.DAG_INPUT_NOT_FOUND),
        ([TensorGetOp("x")], {"routing": "r"}, msg.DAG_INPUT_NOT_FOUND),
        ([TensorGetOp("y"), SET_X, RUN], {"routing": "r"}, msg.DAG_INPUT_NOT_FOUND),
        ([SET_X], {"routing": "r", "timeout": 0}, msg.INVALID_TIMEOUT),
        (["AI.SCRIPTEXECUTE"], {"routing": "r"}, msg.DAG_UNSUPPORTED_OP),
    ],
)
def test_refusals(ops, kwargs, expected):
    with pytest.raises(DagError) as info:
        plan_dag(ops, **kwargs)
    assert info.value.message == expected


def test_plan_names_loads_models_and_persists():
    ops = [RUN, ModelExecuteOp("n", ("y",), ("z",)), ModelExecuteOp("m", ("z",), ("w",))]
    plan = plan_dag(ops, load=["x", "x"], persist=["w", "y"], timeout=5)
    assert plan.load == ("x",)
    assert plan.models == ("m", "n")
    assert plan.persist == ("w", "y")
    assert plan.timeout == 5


def test_loaded_names_and_later_tensorsets_are_known():
    plan_dag([TensorGetOp("x")], load=["x"])
    plan_dag([SET_X, TensorGetOp("x"), SET_X, RUN, TensorGetOp("y")], routing="r")
