"""``RedisAIEmbeddings``: LangChain embeddings computed by a model stored in Redis."""

from __future__ import annotations

from typing import Any

import redis
import redis.asyncio
from langchain_core.embeddings import Embeddings

from redisai_core import AsyncRedisAIEmbedder, DualCore, RedisAIEmbedder
from redisai_core.embeddings import DEFAULT_BATCH_SIZE, EmbeddingModelSpec

__all__ = ["RedisAIEmbeddings"]


class RedisAIEmbeddings(Embeddings):
    """Embeddings from a model stored in Redis (all-MiniLM-L6-v2, 384 dimensions, by default).

    The model is stored in Redis once per content hash through the RedisAI client, and each
    batch of texts is one DAG round trip. Where inference runs follows the client's executor:
    inside Redis when the server has the RedisAI module, otherwise in this process with ONNX
    Runtime on the model kept in Redis ("hosted"). Tokenizing always runs here. Texts longer
    than the model's maximum sequence (256 tokens for MiniLM) are truncated as
    sentence-transformers does.

    Args:
        spec: the model; MiniLM when ``None`` (built locally from the installed weights on
            first use and cached).
        redis_url: Redis URL; with neither this nor ``redis_client``, ``REDIS_URL`` or the
            embedded server is used.
        redis_client: a sync or asyncio redis-py client to use instead.
        executor: ``"auto"`` (module if loaded, else hosted), ``"module"`` or ``"hosted"``.
        prefix: key prefix of the stored model.
        batch_size: texts per round trip.

    Raises:
        TypeError: (from the embed methods) an input is not a string.
    """

    def __init__(
        self,
        spec: EmbeddingModelSpec | None = None,
        *,
        redis_url: str | None = None,
        redis_client: redis.Redis | redis.asyncio.Redis | None = None,
        executor: str = "auto",
        prefix: str = "redisai:embed",
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        options: dict[str, Any] = {"executor": executor, "prefix": prefix, "batch_size": batch_size}
        self._core: DualCore[RedisAIEmbedder, AsyncRedisAIEmbedder] = DualCore(
            lambda url, client: RedisAIEmbedder(
                spec, redis_url=url, redis_client=client, **options
            ),
            lambda url, client: AsyncRedisAIEmbedder(
                spec, redis_url=url, redis_client=client, **options
            ),
            redis_url,
            redis_client,
        )

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        vectors: list[list[float]] = self._core.sync.embed(texts).tolist()
        return vectors

    def embed_query(self, text: str) -> list[float]:
        vector: list[float] = self._core.sync.embed_one(text).tolist()
        return vector

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        array = await self._core.run(lambda c: c.embed(texts), lambda c: c.embed(texts))
        vectors: list[list[float]] = array.tolist()
        return vectors

    async def aembed_query(self, text: str) -> list[float]:
        array = await self._core.run(lambda c: c.embed_one(text), lambda c: c.embed_one(text))
        vector: list[float] = array.tolist()
        return vector

    def close(self) -> None:
        """Close the connections this object opened (an injected client is left open)."""
        self._core.close()

    async def aclose(self) -> None:
        await self._core.aclose()
