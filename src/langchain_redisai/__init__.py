"""LangChain skins over redisai_core: caches, stores, and (as their issues land) more."""

from .cache import RedisAICache, RedisAISemanticCache
from .chat_history import RedisAIChatMessageHistory
from .embeddings import RedisAIEmbeddings
from .storage import RedisAIByteStore
from .tools import RedisAIModelTool
from .vectorstores import RedisAIVectorStore

__all__ = [
    "RedisAIByteStore",
    "RedisAICache",
    "RedisAIChatMessageHistory",
    "RedisAIEmbeddings",
    "RedisAIModelTool",
    "RedisAISemanticCache",
    "RedisAIVectorStore",
]
