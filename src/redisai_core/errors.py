"""The one error hierarchy of ``redisai_core`` and the one place redis-py errors are mapped.

Every exception this package raises on purpose derives from :class:`RedisAICoreError`::

    RedisAICoreError
    ├── ConfigError (ValueError)          bad argument, URL or setting; nothing was sent
    ├── RedisConnectionError              the server could not be reached (after retries)
    │   └── RedisTimeoutError (TimeoutError)
    ├── ModuleMissingError                a feature needs a module the server lacks
    ├── ServerExtraMissingError           the embedded server needs the ``server`` extra
    ├── EmbeddedServerError               the embedded server failed to start
    ├── PermissionDeniedError             an ACL rule refused a command or key
    ├── SchemaError (ValueError)          an index exists with another schema
    ├── IndexNotFoundError (KeyError)     the named search index does not exist
    ├── ResponseError                     any other error reply from the server
    └── RedisAIError                      RedisAI semantics (both executors)
        ├── TensorError (ValueError)      bad dtype, shape, blob or value
        ├── ModelError                    bad model definition, blob or backend
        │   └── UnsupportedBackendError
        ├── ModelExecutionError           the backend failed while running
        ├── KeyEmptyError (KeyError)      "tensor key is empty", "model key is empty"
        ├── WrongTypeError (TypeError)    the key holds another kind of value
        └── DagError                      a DAG failed to parse

Errors raised by redis-py are translated only in :func:`map_redis_errors`, always with
``raise ... from exc`` so the cause stays visible. RedisAI error messages keep their exact wire
wording (with or without the ``ERR`` prefix) in :attr:`RedisAIError.message`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import redis.exceptions as rex

__all__ = [
    "ConfigError",
    "DagError",
    "EmbeddedServerError",
    "IndexNotFoundError",
    "KeyEmptyError",
    "ModelError",
    "ModelExecutionError",
    "ModuleMissingError",
    "PermissionDeniedError",
    "RedisAICoreError",
    "RedisAIError",
    "RedisConnectionError",
    "RedisTimeoutError",
    "ResponseError",
    "SchemaError",
    "ServerExtraMissingError",
    "TensorError",
    "UnsupportedBackendError",
    "WrongTypeError",
    "map_redis_errors",
]


class RedisAICoreError(Exception):
    """Root of every error this package raises on purpose."""


class ConfigError(RedisAICoreError, ValueError):
    """A bad argument, URL or setting. Raised before anything is sent to Redis."""


class RedisConnectionError(RedisAICoreError):
    """Redis could not be reached, after the configured retries with backoff."""


class RedisTimeoutError(RedisConnectionError, TimeoutError):
    """A connect or socket timeout, after the configured retries with backoff."""


class ModuleMissingError(RedisAICoreError):
    """A feature needs a Redis module (or server version) that the server lacks.

    Args:
        feature: what the caller tried to use, e.g. ``"vector search"``.
        module: the module it needs, e.g. ``"search"``.
        hint: how to get it.
    """

    def __init__(self, feature: str, module: str, hint: str) -> None:
        self.feature = feature
        self.module = module
        self.hint = hint
        super().__init__(
            f"{feature} needs the Redis '{module}' module, which this server lacks. {hint}"
        )


class ServerExtraMissingError(RedisAICoreError, ImportError):
    """The embedded server was requested but the ``server`` extra is not installed."""


class EmbeddedServerError(RedisAICoreError):
    """The embedded ``redis-server`` failed to start or stopped unexpectedly."""


class PermissionDeniedError(RedisAICoreError, PermissionError):
    """The server's ACL refused a command or key (NOPERM / NOAUTH / WRONGPASS)."""


class SchemaError(RedisAICoreError, ValueError):
    """A search index exists with a schema other than the one requested."""


class IndexNotFoundError(RedisAICoreError, KeyError):
    """The named search index does not exist."""


class ResponseError(RedisAICoreError):
    """Any other error reply from the server; the original text is kept in the message."""


class RedisAIError(RedisAICoreError):
    """An error with RedisAI semantics, raised alike by the module and the hosted executor.

    Args:
        message: the exact RedisAI wire text, e.g. ``"ERR model key is empty"``.
    """

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)

    def __str__(self) -> str:
        return self.message


class TensorError(RedisAIError, ValueError):
    """A bad tensor: unsupported dtype, bad shape, blob length or value."""


class ModelError(RedisAIError):
    """A bad model definition: backend, device, batching options or a corrupt blob."""


class UnsupportedBackendError(ModelError):
    """The backend exists in RedisAI but this executor cannot run it (e.g. TORCH when hosted)."""


class ModelExecutionError(RedisAIError):
    """The backend failed while running a model (shape mismatch, batch size, runtime error)."""


class KeyEmptyError(RedisAIError, KeyError):
    """The tensor or model key does not exist (RedisAI: ``... key is empty``)."""


class WrongTypeError(RedisAIError, TypeError):
    """The key holds a value of another kind (RedisAI: ``WRONGTYPE ...``)."""


class DagError(RedisAIError):
    """A DAG request was refused as a whole (bad LOAD/PERSIST/ROUTING, unknown op...)."""


# Fragments of server replies that identify an error kind; matched case-insensitively
# against the reply text. Kept in one place so every path classifies the same way.
_MISSING_INDEX_FRAGMENTS = ("unknown index name", "no such index", "not found (index)")
_NOPERM_FRAGMENTS = ("noperm", "noauth", "wrongpass", "no permissions")


def _is_missing_index(text: str) -> bool:
    lowered = text.lower()
    return any(fragment in lowered for fragment in _MISSING_INDEX_FRAGMENTS)


def translate(exc: rex.RedisError) -> RedisAICoreError:
    """Return our error for a redis-py error (without raising it).

    Args:
        exc: the redis-py exception.

    Returns:
        The matching :class:`RedisAICoreError`; the caller raises it ``from exc``.
    """
    text = str(exc)
    if isinstance(exc, rex.TimeoutError):
        return RedisTimeoutError(f"Redis timed out: {text}")
    if isinstance(exc, (rex.AuthenticationError, rex.AuthorizationError, rex.NoPermissionError)):
        return PermissionDeniedError(text)
    if isinstance(exc, rex.ConnectionError):
        return RedisConnectionError(f"Redis is unreachable: {text}")
    lowered = text.lower()
    if any(fragment in lowered for fragment in _NOPERM_FRAGMENTS):
        return PermissionDeniedError(text)
    if _is_missing_index(text):
        return IndexNotFoundError(text)
    return ResponseError(text)


@contextlib.contextmanager
def map_redis_errors() -> Iterator[None]:
    """Translate redis-py errors raised inside the block into this package's errors.

    Works around ``await`` as well: the context manager is synchronous and only inspects the
    exception that leaves the block.

    Raises:
        RedisConnectionError: the server could not be reached.
        PermissionDeniedError: an ACL rule refused the command.
        IndexNotFoundError: the search index does not exist.
        ResponseError: any other error reply.
    """
    try:
        yield
    except rex.RedisError as exc:
        raise translate(exc) from exc
