"""redisai_core: the shared Redis backends of redisai-integrations. Knows Redis; knows no framework.

Everything a framework skin needs is exported here; modules starting with ``_`` are private.
"""

from .__about__ import __version__
from ._async.exact_cache import AsyncExactCache
from ._async.kv import AsyncKVStore
from ._async.probe import async_probe
from ._sync.exact_cache import ExactCache
from ._sync.kv import KVStore
from ._sync.probe import probe
from .cache_record import CacheStats
from .capabilities import Capabilities
from .config import CertRequirement, ConnectionConfig, RetryConfig, TLSConfig
from .connection import create_async_client, create_client, get_async_client, get_client
from .dual import DualCore
from .errors import (
    ConfigError,
    DagError,
    EmbeddedServerError,
    IndexNotFoundError,
    KeyEmptyError,
    ModelError,
    ModelExecutionError,
    ModuleMissingError,
    PermissionDeniedError,
    RedisAICoreError,
    RedisAIError,
    RedisConnectionError,
    RedisTimeoutError,
    ResponseError,
    SchemaError,
    ServerExtraMissingError,
    TensorError,
    UnsupportedBackendError,
    WrongTypeError,
    map_redis_errors,
)
from .keys import KeySpace
from .server import EmbeddedRedis, resolve_url

__all__ = [
    "AsyncExactCache",
    "AsyncKVStore",
    "CacheStats",
    "Capabilities",
    "CertRequirement",
    "ConfigError",
    "ConnectionConfig",
    "DagError",
    "DualCore",
    "EmbeddedRedis",
    "EmbeddedServerError",
    "ExactCache",
    "IndexNotFoundError",
    "KVStore",
    "KeyEmptyError",
    "KeySpace",
    "ModelError",
    "ModelExecutionError",
    "ModuleMissingError",
    "PermissionDeniedError",
    "RedisAICoreError",
    "RedisAIError",
    "RedisConnectionError",
    "RedisTimeoutError",
    "ResponseError",
    "RetryConfig",
    "SchemaError",
    "ServerExtraMissingError",
    "TLSConfig",
    "TensorError",
    "UnsupportedBackendError",
    "WrongTypeError",
    "__version__",
    "async_probe",
    "create_async_client",
    "create_client",
    "get_async_client",
    "get_client",
    "map_redis_errors",
    "probe",
    "resolve_url",
]
