"""``RedisAIEmbedding``: LlamaIndex embeddings computed by a model stored in Redis."""

from __future__ import annotations

from typing import Any

import redis
import redis.asyncio
from llama_index.core.base.embeddings.base import BaseEmbedding, Embedding
from pydantic import PrivateAttr

from redisai_core import AsyncRedisAIEmbedder, DualCore, RedisAIEmbedder
from redisai_core.embeddings import DEFAULT_BATCH_SIZE, EmbeddingModelSpec

__all__ = ["RedisAIEmbedding"]


class RedisAIEmbedding(BaseEmbedding):
    """Embeddings from a model stored in Redis (all-MiniLM-L6-v2, 384 dimensions, by default).

    The model is stored in Redis once per content hash; each batch of ``embed_batch_size``
    texts is one DAG round trip through the RedisAI client. Inference runs inside Redis with
    the RedisAI module, otherwise in this process with ONNX Runtime ("hosted"). Queries and
    texts are embedded alike (MiniLM uses no instruction prefixes).

    Args:
        spec: the model; MiniLM when ``None``.
        redis_url: Redis URL; with neither this nor ``redis_client``, ``REDIS_URL`` or the
            embedded server is used.
        redis_client: a sync or asyncio redis-py client to use instead.
        executor: ``"auto"``, ``"module"`` or ``"hosted"``.
        prefix: key prefix of the stored model.
        embed_batch_size: texts per round trip (LlamaIndex batches by this too).
    """

    _core: DualCore[RedisAIEmbedder, AsyncRedisAIEmbedder] = PrivateAttr()

    def __init__(
        self,
        spec: EmbeddingModelSpec | None = None,
        *,
        redis_url: str | None = None,
        redis_client: redis.Redis | redis.asyncio.Redis | None = None,
        executor: str = "auto",
        prefix: str = "redisai:embed",
        embed_batch_size: int = DEFAULT_BATCH_SIZE,
        **kwargs: Any,
    ) -> None:
        model_name = spec.name if spec is not None else "all-MiniLM-L6-v2"
        super().__init__(model_name=model_name, embed_batch_size=embed_batch_size, **kwargs)
        options: dict[str, Any] = {
            "executor": executor,
            "prefix": prefix,
            "batch_size": embed_batch_size,
        }
        self._core = DualCore(
            lambda url, client: RedisAIEmbedder(
                spec, redis_url=url, redis_client=client, **options
            ),
            lambda url, client: AsyncRedisAIEmbedder(
                spec, redis_url=url, redis_client=client, **options
            ),
            redis_url,
            redis_client,
        )

    @classmethod
    def class_name(cls) -> str:
        return "RedisAIEmbedding"

    def _get_query_embedding(self, query: str) -> Embedding:
        vector: Embedding = self._core.sync.embed_one(query).tolist()
        return vector

    def _get_text_embedding(self, text: str) -> Embedding:
        vector: Embedding = self._core.sync.embed_one(text).tolist()
        return vector

    def _get_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        vectors: list[Embedding] = self._core.sync.embed(texts).tolist()
        return vectors

    async def _aget_query_embedding(self, query: str) -> Embedding:
        array = await self._core.run(lambda c: c.embed_one(query), lambda c: c.embed_one(query))
        vector: Embedding = array.tolist()
        return vector

    async def _aget_text_embedding(self, text: str) -> Embedding:
        return await self._aget_query_embedding(text)

    async def _aget_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        array = await self._core.run(lambda c: c.embed(texts), lambda c: c.embed(texts))
        vectors: list[Embedding] = array.tolist()
        return vectors

    def close(self) -> None:
        """Close the connections this object opened (an injected client is left open)."""
        self._core.close()

    async def aclose(self) -> None:
        await self._core.aclose()
