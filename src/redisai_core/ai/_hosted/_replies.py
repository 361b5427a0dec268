"""How the hosted executor turns Redis replies into RedisAI results and errors. Pure."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

from redis.exceptions import RedisError, ResponseError

from ...errors import (
    ConfigError,
    DagError,
    ModelError,
    ModelExecutionError,
    RedisAIError,
    WrongTypeError,
    translate,
)
from .. import _errors as msg
from .._errors import classify
from ._batcher import Outcome

__all__ = ["dag_refusal", "error_for", "raise_first_error", "redis_errors", "samples", "text"]


def error_for(exc: RedisError) -> Exception:
    # Inside a pipeline redis-py wraps the text ("Command # 1 (...) of pipeline caused error").
    if isinstance(exc, ResponseError) and msg.WRONGTYPE in str(exc):
        return WrongTypeError(msg.WRONGTYPE)
    return translate(exc)


@contextlib.contextmanager
def redis_errors() -> Iterator[None]:
    """Redis' own WRONGTYPE is RedisAI's (same text); other redis-py errors map as usual."""
    try:
        yield
    except RedisError as exc:
        raise error_for(exc) from exc
    except UnicodeEncodeError as exc:
        # redis-py packs str keys as strict UTF-8: a lone surrogate fails before anything is sent
        raise ConfigError(f"a key or value is not valid Unicode: {exc}") from exc


def raise_first_error(replies: Sequence[Any]) -> None:
    for reply in replies:
        if isinstance(reply, RedisError):
            raise error_for(reply) from reply


def text(reply: Any) -> str:
    return reply.decode() if isinstance(reply, bytes) else str(reply)


def dag_refusal(message: str) -> RedisAIError:
    """A whole-DAG error as the module executor raises it for the same reply text."""
    error = classify(message)
    return DagError(message) if type(error) in (ModelError, ModelExecutionError) else error


def samples(outcome: Outcome) -> int:
    """AI.INFO samples of one request: dim 0 of its first output (1 for a scalar)."""
    first = outcome.outputs[0] if outcome.outputs else None
    if first is None:
        return 0
    return int(first.shape[0]) if first.ndim else 1
