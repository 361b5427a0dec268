"""``RedisAIVectorStore``: LangChain's ``VectorStore`` over the core vector index.

Each method embeds (when it has text), makes one call into the sync or async core index and
maps the result with :mod:`langchain_redisai._vector_mapping`. Async methods are native
(redis.asyncio and ``aembed_*``), not threads, unless only a sync client was injected.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import redis
import redis.asyncio
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.vectorstores import VectorStore
from typing_extensions import Self

from redisai_core import AsyncVectorIndex, DistanceMetric, VectorFieldSpec, VectorIndex
from redisai_core.dual import DualCore
from redisai_core.search import FieldSpec, relevance_score

from ._vector_mapping import (
    hit_to_document,
    hits_with_distance,
    hits_with_relevance,
    record_to_document,
)

__all__ = ["RedisAIVectorStore"]


class RedisAIVectorStore(VectorStore):
    """Vector search in Redis (the query engine of Redis 8 or Redis Stack).

    Documents are HASHes under ``prefix``; IDs are kept exactly and returned on every
    ``Document``. Filters are dicts (``{"topic": "a", "year": {"$gte": 2020}}``, ``$and``,
    ``$or``, ``$not``, ``$in``, ``$nin``, ``$ne``, ``$lt``...) or core filter expressions;
    every value is passed to Redis escaped or as a parameter.

    Args:
        embeddings: any LangChain ``Embeddings``.
        index_name: the search index name.
        redis_url: Redis URL; with neither this nor ``redis_client``, ``REDIS_URL`` or the
            embedded server is used.
        redis_client: a sync or asyncio redis-py client to use instead.
        prefix: key prefix of the documents (default ``redisai:vec:<index_name>``).
        vector: the vector field (dimension, FLAT/HNSW, metric); by default FLAT + COSINE with
            the dimension of the first embeddings written.
        metadata_fields: indexed metadata fields; by default inferred from the first batch.
        overwrite: rebuild an existing index whose schema differs.

    Raises:
        ConfigError: bad arguments (both a URL and a client, an empty name...).
    """

    def __init__(
        self,
        embeddings: Embeddings,
        *,
        index_name: str = "langchain",
        redis_url: str | None = None,
        redis_client: redis.Redis | redis.asyncio.Redis | None = None,
        prefix: str | None = None,
        vector: VectorFieldSpec | None = None,
        metadata_fields: Sequence[FieldSpec] | None = None,
        overwrite: bool = False,
    ) -> None:
        self._embeddings = embeddings
        options: dict[str, Any] = {
            "vector": vector,
            "fields": metadata_fields,
            "prefix": prefix,
            "overwrite": overwrite,
            "skin": "langchain",
        }
        self._core: DualCore[VectorIndex, AsyncVectorIndex] = DualCore(
            lambda url, client: VectorIndex(
                index_name, redis_url=url, redis_client=client, **options
            ),
            lambda url, client: AsyncVectorIndex(
                index_name, redis_url=url, redis_client=client, **options
            ),
            redis_url,
            redis_client,
        )
        self._vector = vector

    @property
    def embeddings(self) -> Embeddings:
        return self._embeddings

    @property
    def index(self) -> VectorIndex:
        """The sync core index (for core features such as range and hybrid search)."""
        return self._core.sync

    @property
    def async_index(self) -> AsyncVectorIndex:
        """The async core index."""
        return self._core.async_

    # -- writes ------------------------------------------------------------------------------

    def add_texts(
        self,
        texts: Iterable[str],
        metadatas: list[dict[str, Any]] | None = None,
        *,
        ids: list[str] | None = None,
        **kwargs: Any,
    ) -> list[str]:
        texts = list(texts)
        vectors = self._embeddings.embed_documents(texts) if texts else []
        return self._core.sync.add(texts, vectors, metadatas, ids)

    async def aadd_texts(
        self,
        texts: Iterable[str],
        metadatas: list[dict[str, Any]] | None = None,
        *,
        ids: list[str] | None = None,
        **kwargs: Any,
    ) -> list[str]:
        texts = list(texts)
        vectors = await self._embeddings.aembed_documents(texts) if texts else []
        return await self._core.run(
            lambda c: c.add(texts, vectors, metadatas, ids),
            lambda c: c.add(texts, vectors, metadatas, ids),
        )

    def delete(self, ids: list[str] | None = None, **kwargs: Any) -> bool | None:
        """Delete by IDs, or by ``filter=`` (a dict or core expression); True when done.

        Raises:
            ValueError: neither ``ids`` nor ``filter`` was given.
        """
        if ids is not None:
            self._core.sync.delete(ids)
        elif kwargs.get("filter") is not None:
            self._core.sync.delete_where(kwargs["filter"])
        else:
            raise ValueError("pass ids or filter= to delete; use clear() to delete everything")
        return True

    async def adelete(self, ids: list[str] | None = None, **kwargs: Any) -> bool | None:
        if ids is not None:
            await self._core.run(lambda c: c.delete(ids), lambda c: c.delete(ids))
        elif kwargs.get("filter") is not None:
            flt = kwargs["filter"]
            await self._core.run(lambda c: c.delete_where(flt), lambda c: c.delete_where(flt))
        else:
            raise ValueError("pass ids or filter= to delete; use aclear() to delete everything")
        return True

    def clear(self, *, drop_index: bool = False) -> int:
        """Delete every document of this store (only its own key space)."""
        return self._core.sync.clear(drop_index=drop_index)

    async def aclear(self, *, drop_index: bool = False) -> int:
        return await self._core.run(
            lambda c: c.clear(drop_index=drop_index), lambda c: c.clear(drop_index=drop_index)
        )

    def close(self) -> None:
        """Close the connections this store opened (an injected client is left open)."""
        self._core.close()

    async def aclose(self) -> None:
        await self._core.aclose()

    # -- reads -------------------------------------------------------------------------------

    def get_by_ids(self, ids: Sequence[str], /) -> list[Document]:
        return [record_to_document(r) for r in self._core.sync.get(ids)]

    async def aget_by_ids(self, ids: Sequence[str], /) -> list[Document]:
        records = await self._core.run(lambda c: c.get(ids), lambda c: c.get(ids))
        return [record_to_document(r) for r in records]

    # -- searches ----------------------------------------------------------------------------

    def similarity_search(
        self, query: str, k: int = 4, filter: Any = None, **kwargs: Any
    ) -> list[Document]:
        return self.similarity_search_by_vector(
            self._embeddings.embed_query(query), k, filter=filter, **kwargs
        )

    async def asimilarity_search(
        self, query: str, k: int = 4, filter: Any = None, **kwargs: Any
    ) -> list[Document]:
        return await self.asimilarity_search_by_vector(
            await self._embeddings.aembed_query(query), k, filter=filter, **kwargs
        )

    def similarity_search_by_vector(
        self, embedding: list[float], k: int = 4, filter: Any = None, **kwargs: Any
    ) -> list[Document]:
        hits = self._core.sync.knn(embedding, k, filter=filter)
        return [hit_to_document(h) for h in hits]

    async def asimilarity_search_by_vector(
        self, embedding: list[float], k: int = 4, filter: Any = None, **kwargs: Any
    ) -> list[Document]:
        hits = await self._core.run(
            lambda c: c.knn(embedding, k, filter=filter),
            lambda c: c.knn(embedding, k, filter=filter),
        )
        return [hit_to_document(h) for h in hits]

    def similarity_search_with_score(
        self, query: str, k: int = 4, filter: Any = None, **kwargs: Any
    ) -> list[tuple[Document, float]]:
        """Documents with their distance (lower is nearer)."""
        return self.similarity_search_with_score_by_vector(
            self._embeddings.embed_query(query), k, filter=filter
        )

    async def asimilarity_search_with_score(
        self, query: str, k: int = 4, filter: Any = None, **kwargs: Any
    ) -> list[tuple[Document, float]]:
        return await self.asimilarity_search_with_score_by_vector(
            await self._embeddings.aembed_query(query), k, filter=filter
        )

    def similarity_search_with_score_by_vector(
        self, embedding: list[float], k: int = 4, filter: Any = None
    ) -> list[tuple[Document, float]]:
        return hits_with_distance(self._core.sync.knn(embedding, k, filter=filter))

    async def asimilarity_search_with_score_by_vector(
        self, embedding: list[float], k: int = 4, filter: Any = None
    ) -> list[tuple[Document, float]]:
        hits = await self._core.run(
            lambda c: c.knn(embedding, k, filter=filter),
            lambda c: c.knn(embedding, k, filter=filter),
        )
        return hits_with_distance(hits)

    def _select_relevance_score_fn(self) -> Callable[[float], float]:
        metric = self._vector.distance if self._vector is not None else DistanceMetric.COSINE
        try:
            schema = self._core.sync.schema  # known once the index was used or adopted
        except NotImplementedError:  # only an asyncio client was given
            schema = None
        if schema is not None:
            metric = schema.vector.distance
        return lambda distance: relevance_score(metric, distance)

    def _similarity_search_with_relevance_scores(
        self, query: str, k: int = 4, **kwargs: Any
    ) -> list[tuple[Document, float]]:
        # The core scores each hit for the index's own metric (see redisai_core.search.queries).
        embedding = self._embeddings.embed_query(query)
        return hits_with_relevance(self._core.sync.knn(embedding, k, filter=kwargs.get("filter")))

    async def _asimilarity_search_with_relevance_scores(
        self, query: str, k: int = 4, **kwargs: Any
    ) -> list[tuple[Document, float]]:
        embedding = await self._embeddings.aembed_query(query)
        flt = kwargs.get("filter")
        hits = await self._core.run(
            lambda c: c.knn(embedding, k, filter=flt), lambda c: c.knn(embedding, k, filter=flt)
        )
        return hits_with_relevance(hits)

    def max_marginal_relevance_search(
        self,
        query: str,
        k: int = 4,
        fetch_k: int = 20,
        lambda_mult: float = 0.5,
        filter: Any = None,
        **kwargs: Any,
    ) -> list[Document]:
        return self.max_marginal_relevance_search_by_vector(
            self._embeddings.embed_query(query), k, fetch_k, lambda_mult, filter=filter
        )

    async def amax_marginal_relevance_search(
        self,
        query: str,
        k: int = 4,
        fetch_k: int = 20,
        lambda_mult: float = 0.5,
        filter: Any = None,
        **kwargs: Any,
    ) -> list[Document]:
        return await self.amax_marginal_relevance_search_by_vector(
            await self._embeddings.aembed_query(query), k, fetch_k, lambda_mult, filter=filter
        )

    def max_marginal_relevance_search_by_vector(
        self,
        embedding: list[float],
        k: int = 4,
        fetch_k: int = 20,
        lambda_mult: float = 0.5,
        filter: Any = None,
        **kwargs: Any,
    ) -> list[Document]:
        hits = self._core.sync.mmr(
            embedding, k, fetch_k=fetch_k, lambda_mult=lambda_mult, filter=filter
        )
        return [hit_to_document(h) for h in hits]

    async def amax_marginal_relevance_search_by_vector(
        self,
        embedding: list[float],
        k: int = 4,
        fetch_k: int = 20,
        lambda_mult: float = 0.5,
        filter: Any = None,
        **kwargs: Any,
    ) -> list[Document]:
        hits = await self._core.run(
            lambda c: c.mmr(embedding, k, fetch_k=fetch_k, lambda_mult=lambda_mult, filter=filter),
            lambda c: c.mmr(embedding, k, fetch_k=fetch_k, lambda_mult=lambda_mult, filter=filter),
        )
        return [hit_to_document(h) for h in hits]

    # -- constructors ------------------------------------------------------------------------

    @classmethod
    def from_texts(
        cls,
        texts: list[str],
        embedding: Embeddings,
        metadatas: list[dict[str, Any]] | None = None,
        *,
        ids: list[str] | None = None,
        **kwargs: Any,
    ) -> Self:
        """A store with ``texts`` added, keeping ``ids``; other arguments go to the constructor."""
        store = cls(embedding, **kwargs)
        store.add_texts(texts, metadatas, ids=ids)
        return store

    @classmethod
    async def afrom_texts(
        cls,
        texts: list[str],
        embedding: Embeddings,
        metadatas: list[dict[str, Any]] | None = None,
        *,
        ids: list[str] | None = None,
        **kwargs: Any,
    ) -> Self:
        store = cls(embedding, **kwargs)
        await store.aadd_texts(texts, metadatas, ids=ids)
        return store
