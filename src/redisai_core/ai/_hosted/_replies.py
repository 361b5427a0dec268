"""How the hosted executor turns Redis replies into RedisAI results and errors. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
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


class _RedisErrors:
    """Redis' own WRONGTYPE is RedisAI's (same text); other redis-py errors map as usual.

    A class rather than a ``@contextmanager`` generator: it wraps every command of the serving
    path, and a generator-based context manager costs several times more to enter and leave.
    Stateless, so one instance serves every block, in every thread.
    """

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if isinstance(exc, RedisError):
            raise error_for(exc) from exc
        if isinstance(exc, UnicodeEncodeError):
            # redis-py packs str keys as strict UTF-8: a lone surrogate fails before anything
            # is sent
            raise ConfigError(f"a key or value is not valid Unicode: {exc}") from exc


_REDIS_ERRORS = _RedisErrors()


def redis_errors() -> _RedisErrors:
    """``with redis_errors(): ...``: see :class:`_RedisErrors`."""
    return _REDIS_ERRORS


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
