"""LlamaIndex skins over redisai_core: stores and (as their issues land) more."""

from .kvstore import RedisAIKVStore

__all__ = ["RedisAIKVStore"]
