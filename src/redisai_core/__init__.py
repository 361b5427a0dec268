"""redisai_core: the shared Redis backends of redisai-integrations. Knows Redis; knows no framework.

Everything a framework skin needs is exported here; modules starting with ``_`` are private.
"""

from typing import TYPE_CHECKING, Any

from .__about__ import __version__
from ._async.ai_client import AsyncRedisAIClient
from ._async.exact_cache import AsyncExactCache
from ._async.history import AsyncChatHistory
from ._async.kv import AsyncKVStore
from ._async.model_runner import AsyncModelRunner
from ._async.probe import async_probe
from ._async.semantic_cache import AsyncSemanticCache
from ._async.vector_index import AsyncVectorIndex
from ._sync.ai_client import RedisAIClient
from ._sync.exact_cache import ExactCache
from ._sync.history import ChatHistory
from ._sync.kv import KVStore
from ._sync.model_runner import ModelRunner
from ._sync.probe import probe
from ._sync.semantic_cache import SemanticCache
from ._sync.vector_index import VectorIndex
from .cache_record import CacheStats
from .capabilities import Capabilities
from .config import CertRequirement, ConnectionConfig, RetryConfig, TLSConfig
from .connection import create_async_client, create_client, get_async_client, get_client
from .dual import DualCore
from .errors import (
    ConfigError,
    CorruptDataError,
    DagError,
    EmbeddedServerError,
    FilterError,
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
    VectorError,
    WrongTypeError,
    map_redis_errors,
)
from .keys import KeySpace
from .model_signature import ModelSignature, TensorSpec
from .search import (
    Algorithm,
    DistanceMetric,
    GeoFieldSpec,
    IndexSchema,
    NumericFieldSpec,
    Record,
    SearchHit,
    TagFieldSpec,
    TextFieldSpec,
    VectorDataType,
    VectorFieldSpec,
)
from .server import EmbeddedCluster, EmbeddedRedis, resolve_url

__all__ = [
    "Algorithm",
    "AsyncChatHistory",
    "AsyncExactCache",
    "AsyncKVStore",
    "AsyncModelRunner",
    "AsyncRedisAIClient",
    "AsyncRedisAIEmbedder",
    "AsyncSemanticCache",
    "AsyncVectorIndex",
    "CacheStats",
    "Capabilities",
    "CertRequirement",
    "ChatHistory",
    "ConfigError",
    "ConnectionConfig",
    "CorruptDataError",
    "DagError",
    "DistanceMetric",
    "DualCore",
    "EmbeddedCluster",
    "EmbeddedRedis",
    "EmbeddedServerError",
    "ExactCache",
    "FilterError",
    "GeoFieldSpec",
    "IndexNotFoundError",
    "IndexSchema",
    "KVStore",
    "KeyEmptyError",
    "KeySpace",
    "ModelError",
    "ModelExecutionError",
    "ModelRunner",
    "ModelSignature",
    "ModuleMissingError",
    "NumericFieldSpec",
    "PermissionDeniedError",
    "Record",
    "RedisAIClient",
    "RedisAICoreError",
    "RedisAIEmbedder",
    "RedisAIError",
    "RedisConnectionError",
    "RedisTimeoutError",
    "ResponseError",
    "RetryConfig",
    "SchemaError",
    "SearchHit",
    "SemanticCache",
    "ServerExtraMissingError",
    "TLSConfig",
    "TagFieldSpec",
    "TensorError",
    "TensorSpec",
    "TextFieldSpec",
    "UnsupportedBackendError",
    "VectorDataType",
    "VectorError",
    "VectorFieldSpec",
    "VectorIndex",
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

# The embedders need the ``onnx`` extra (tokenizers, onnx); they are imported on first use so
# that ``import redisai_core`` needs nothing beyond redis and numpy.
_LAZY = {
    "AsyncRedisAIEmbedder": "._async.embedder",
    "RedisAIEmbedder": "._sync.embedder",
}

if TYPE_CHECKING:
    from ._async.embedder import AsyncRedisAIEmbedder
    from ._sync.embedder import RedisAIEmbedder


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
