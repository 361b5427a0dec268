"""LlamaIndex skins over redisai_core: stores, a caching LLM, and (as their issues land) more."""

from .chat_store import RedisAIChatStore
from .embeddings import RedisAIEmbedding
from .kvstore import RedisAIKVStore
from .llm import RedisAICachedLLM
from .memory_store import RedisAIMemoryStore
from .tools import RedisAIToolSpec
from .vector_store import RedisAIVectorStore

__all__ = [
    "RedisAICachedLLM",
    "RedisAIChatStore",
    "RedisAIEmbedding",
    "RedisAIKVStore",
    "RedisAIMemoryStore",
    "RedisAIToolSpec",
    "RedisAIVectorStore",
]
