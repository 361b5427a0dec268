"""LangChain skins over redisai_core: caches, stores, and (as their issues land) more."""

from .cache import RedisAICache
from .storage import RedisAIByteStore

__all__ = ["RedisAIByteStore", "RedisAICache"]
