"""LlamaIndex skins over redisai_core: stores, a caching LLM, and (as their issues land) more."""

from .kvstore import RedisAIKVStore
from .llm import RedisAICachedLLM

__all__ = ["RedisAICachedLLM", "RedisAIKVStore"]
