"""The one error hierarchy of ``redisai_core`` and the one place redis-py errors are mapped.

Every exception this package raises on purpose derives from :class:`RedisAICoreError`::

    RedisAICoreError
    ├── ConfigError (ValueError)          bad argument, URL or setting; nothing was sent
    │   └── FilterError                   a search filter names an unknown field or cannot be
    │                                     expressed exactly for that field's type
    ├── RedisConnectionError              the server could not be reached (after retries)
    │   └── RedisTimeoutError (TimeoutError)
    ├── ModuleMissingError                a feature needs a module the server lacks
    ├── ServerExtraMissingError           the embedded server needs the ``server`` extra
    ├── EmbeddedServerError               the embedded server failed to start
    ├── PermissionDeniedError             an ACL rule refused a command or key
    ├── SchemaError (ValueError)          an index exists with another schema
    ├── VectorError (ValueError)          a vector of the wrong dimension, or NaN/infinite
    ├── IndexNotFoundError (KeyError)     the named search index does not exist
    ├── CorruptDataError (ValueError)     stored data (e.g. a chat session) cannot be read
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

from types import TracebackType

import redis.exceptions as rex

__all__ = [
    "ConfigError",
    "CorruptDataError",
    "DagError",
    "EmbeddedServerError",
    "FilterError",
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
    "VectorError",
    "WrongTypeError",
    "map_redis_errors",
]


class RedisAICoreError(Exception):
    """Root of every error this package raises on purpose."""


class ConfigError(RedisAICoreError, ValueError):
    """A bad argument, URL or setting. Raised before anything is sent to Redis."""


class FilterError(ConfigError):
    """A search filter names a field the index lacks, or cannot be expressed exactly.

    Raised while the query is built, before anything is sent to Redis.
    """


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


class VectorError(RedisAICoreError, ValueError):
    """A vector of the wrong dimension, with NaN or infinite components, or not numeric.

    Raised before anything is written, so a rejected batch leaves nothing behind.
    """


class IndexNotFoundError(RedisAICoreError, KeyError):
    """The named search index does not exist."""


class CorruptDataError(RedisAICoreError, ValueError):
    """Stored data cannot be read back (not ours, truncated, or of another type).

    The message names what is affected (e.g. the chat session); nothing else is touched.
    """


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


def translate_cluster(exc: rex.RedisClusterException) -> RedisAICoreError:
    """Our error for redis-py's ``RedisClusterException``, which is not a ``RedisError``.

    The cluster client raises it when no startup node answers, or when it cannot route a
    command (no key, or keys in several slots).
    """
    text = str(exc)
    if "cannot be connected" in text.lower():
        return RedisConnectionError(f"Redis Cluster is unreachable: {text}")
    return ResponseError(text)


class _MapRedisErrors:
    """Context manager behind :func:`map_redis_errors`.

    A plain class rather than ``contextlib.contextmanager``: it sits on every hot path (a
    cache hit is one GET), and entering a generator-based manager costs several times more.
    """

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if isinstance(exc, rex.RedisError):
            raise translate(exc) from exc
        if isinstance(exc, rex.RedisClusterException):
            raise translate_cluster(exc) from exc
        if isinstance(exc, UnicodeEncodeError):
            # redis-py encodes str arguments as strict UTF-8 while packing the command, so a
            # key or value with a lone surrogate fails here, before that command (or that
            # pipeline) is sent; callers that send several batches check their keys first.
            raise ConfigError(f"text sent to Redis is not valid Unicode: {exc}") from exc


_MAPPER = _MapRedisErrors()


def map_redis_errors() -> _MapRedisErrors:
    """Translate redis-py errors raised inside the block into this package's errors.

    Use as ``with map_redis_errors(): ...``; works around ``await`` as well: it only inspects
    the exception that leaves the block.

    Raises:
        ConfigError: a str argument is not valid Unicode (a lone surrogate); the command (or
            pipeline) holding it was not sent.
        RedisConnectionError: the server could not be reached.
        PermissionDeniedError: an ACL rule refused the command.
        IndexNotFoundError: the search index does not exist.
        ResponseError: any other error reply.
    """
    return _MAPPER
