"""``RedisAIVectorStore``: LlamaIndex's ``BasePydanticVectorStore`` over the core vector index.

Each method is one call into the sync or async core index plus a pure mapping from
:mod:`llamaindex_redisai._vector_mapping`; async methods are native on redis.asyncio (in a
worker thread only when a sync client alone was injected). Records follow the convention
shared with LangChain's ``RedisAIVectorStore``, so either framework searches the other's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import redis
import redis.asyncio
from llama_index.core.schema import BaseNode
from llama_index.core.vector_stores.types import (
    BasePydanticVectorStore,
    MetadataFilters,
    VectorStoreQuery,
    VectorStoreQueryMode,
    VectorStoreQueryResult,
)
from pydantic import PrivateAttr

from redisai_core import (
    Algorithm,
    AsyncVectorIndex,
    ConfigError,
    DistanceMetric,
    VectorDataType,
    VectorFieldSpec,
    VectorIndex,
)
from redisai_core.dual import DualCore
from redisai_core.search import Expr, FieldSpec, field

from ._vector_mapping import (
    NODE_ID_KEY,
    REF_DOC_ID_KEY,
    combine,
    hits_to_result,
    node_to_parts,
    record_to_node,
    restriction,
    to_expr,
    with_id_fields,
)

__all__ = ["RedisAIVectorStore"]

_DEFAULT_MMR_LAMBDA = 0.5
_DEFAULT_PREFETCH_FACTOR = 4.0


class RedisAIVectorStore(BasePydanticVectorStore):
    """Vector search in Redis (the query engine of Redis 8 or Redis Stack) for LlamaIndex.

    Nodes are HASHes under ``prefix``; node IDs are kept exactly. Queries take every
    ``FilterOperator`` and ``FilterCondition`` (nested, NOT included), ``doc_ids`` /
    ``node_ids`` restrictions, and the modes:

    - DEFAULT: the nearest nodes; similarities are relevance scores in ``[0, 1]``;
    - HYBRID: the nearest among nodes whose text holds a word of ``query_str``; with
      ``alpha``, the ``hybrid_top_k`` (else ``4 * similarity_top_k``, at least 20) nearest
      such nodes re-ranked by ``alpha * relevance + (1 - alpha) * share of query words held``;
    - TEXT_SEARCH: no vector; the nodes whose text best matches the words of ``query_str``,
      ranked and cut by the server, similarities are its BM25 scores (unbounded);
    - MMR: ``fetch_k`` nearest from the server (``mmr_prefetch_k``, or ``similarity_top_k *
      mmr_prefetch_factor``, 4 by default), then MMR with ``mmr_threshold`` (else ``alpha``,
      else 0.5) as the relevance / diversity balance.

    Args:
        index_name: the search index name.
        dim: vector dimension; ``None`` adopts an existing index's or takes the first
            embedding's.
        redis_url: Redis URL; with neither this nor ``redis_client``, ``REDIS_URL`` or the
            embedded server is used.
        redis_client: a sync or asyncio redis-py client to use instead.
        prefix: key prefix of the nodes (default ``redisai:vec:<index_name>``).
        distance_metric: COSINE, L2 or IP.
        algorithm: FLAT (exact) or HNSW (approximate).
        vector: a full vector field spec (HNSW parameters, FLOAT64...), instead of ``dim``,
            ``distance_metric`` and ``algorithm``.
        metadata_fields: filterable metadata fields (``ref_doc_id`` and ``node_id`` TAGs are
            added); ``None`` adopts an existing index's or infers them from the first nodes.
        overwrite: rebuild an existing index whose schema differs.

    Raises:
        ConfigError: bad arguments (both a URL and a client, an empty name...).
    """

    stores_text: bool = True
    flat_metadata: bool = False
    index_name: str = "llamaindex"

    _core: DualCore[VectorIndex, AsyncVectorIndex] = PrivateAttr()

    def __init__(
        self,
        index_name: str = "llamaindex",
        dim: int | None = None,
        redis_url: str | None = None,
        redis_client: redis.Redis | redis.asyncio.Redis | None = None,
        *,
        prefix: str | None = None,
        distance_metric: DistanceMetric | str = DistanceMetric.COSINE,
        algorithm: Algorithm | str = Algorithm.FLAT,
        vector: VectorFieldSpec | None = None,
        metadata_fields: Sequence[FieldSpec] | None = None,
        overwrite: bool = False,
    ) -> None:
        super().__init__(index_name=index_name)  # type: ignore[call-arg]
        if vector is None and dim is not None:
            try:
                vector = VectorFieldSpec(
                    dims=dim,
                    algorithm=Algorithm(algorithm),
                    distance=DistanceMetric(distance_metric),
                    datatype=VectorDataType.FLOAT32,
                )
            except ValueError as exc:
                raise ConfigError(f"bad vector settings: {exc}") from exc
        options: dict[str, Any] = {
            "vector": vector,
            "fields": None if metadata_fields is None else with_id_fields(metadata_fields),
            "prefix": prefix,
            "overwrite": overwrite,
            "skin": "llamaindex",
        }
        self._core = DualCore(
            lambda url, client: VectorIndex(
                index_name, redis_url=url, redis_client=client, **options
            ),
            lambda url, client: AsyncVectorIndex(
                index_name, redis_url=url, redis_client=client, **options
            ),
            redis_url,
            redis_client,
        )

    @classmethod
    def class_name(cls) -> str:
        return "RedisAIVectorStore"

    @property
    def client(self) -> Any:
        """The sync core index (:class:`redisai_core.VectorIndex`)."""
        return self._core.sync

    @property
    def index(self) -> VectorIndex:
        """The sync core index (for core features such as range search)."""
        return self._core.sync

    @property
    def async_index(self) -> AsyncVectorIndex:
        """The async core index."""
        return self._core.async_

    # -- writes ------------------------------------------------------------------------------

    def add(self, nodes: Sequence[BaseNode], **add_kwargs: Any) -> list[str]:
        """Write nodes with their embeddings; returns their IDs.

        Raises:
            ValueError: a node without an embedding.
            ConfigError: empty text or metadata JSON cannot hold.
            VectorError: an embedding of the wrong dimension or with NaN/infinite components.
        """
        texts, vectors, metadatas, ids = _columns(nodes)
        return self._core.sync.add(texts, vectors, metadatas, ids)

    async def async_add(self, nodes: Sequence[BaseNode], **kwargs: Any) -> list[str]:
        texts, vectors, metadatas, ids = _columns(nodes)
        return await self._core.run(
            lambda c: c.add(texts, vectors, metadatas, ids),
            lambda c: c.add(texts, vectors, metadatas, ids),
        )

    def delete(self, ref_doc_id: str, **delete_kwargs: Any) -> None:
        """Delete every node of the source document ``ref_doc_id``."""
        self._core.sync.delete_where(field(REF_DOC_ID_KEY) == ref_doc_id)

    async def adelete(self, ref_doc_id: str, **delete_kwargs: Any) -> None:
        expr = field(REF_DOC_ID_KEY) == ref_doc_id
        await self._core.run(lambda c: c.delete_where(expr), lambda c: c.delete_where(expr))

    def delete_nodes(
        self,
        node_ids: list[str] | None = None,
        filters: MetadataFilters | None = None,
        **delete_kwargs: Any,
    ) -> None:
        """Delete the nodes with these IDs and/or matching ``filters``.

        Raises:
            ValueError: neither was given (use :meth:`clear` to delete everything).
        """
        expr = _selection(node_ids, filters)
        if expr is None and node_ids is not None:
            self._core.sync.delete(node_ids)
        else:
            self._core.sync.delete_where(expr)

    async def adelete_nodes(
        self,
        node_ids: list[str] | None = None,
        filters: MetadataFilters | None = None,
        **delete_kwargs: Any,
    ) -> None:
        expr = _selection(node_ids, filters)
        if expr is None and node_ids is not None:
            ids = node_ids
            await self._core.run(lambda c: c.delete(ids), lambda c: c.delete(ids))
        else:
            await self._core.run(lambda c: c.delete_where(expr), lambda c: c.delete_where(expr))

    def clear(self) -> None:
        """Delete every node of this store (only its own key space; the index stays)."""
        self._core.sync.clear()

    async def aclear(self) -> None:
        await self._core.run(lambda c: c.clear(), lambda c: c.clear())

    def close(self) -> None:
        """Close the connections this store opened (an injected client is left open)."""
        self._core.close()

    async def aclose(self) -> None:
        """Close the connections this store opened, sync and async."""
        await self._core.aclose()

    # -- reads -------------------------------------------------------------------------------

    def get_nodes(
        self, node_ids: list[str] | None = None, filters: MetadataFilters | None = None
    ) -> list[BaseNode]:
        """Nodes by ID (in that order, missing ones skipped) and/or matching ``filters``;
        every node when neither is given."""
        core = self._core.sync
        if node_ids is not None and filters is None:
            records = core.get(node_ids)
        else:
            records = core.list_records(_selection(node_ids, filters, required=False))
        return [record_to_node(r.id, r.text, r.metadata) for r in records]

    async def aget_nodes(
        self, node_ids: list[str] | None = None, filters: MetadataFilters | None = None
    ) -> list[BaseNode]:
        if node_ids is not None and filters is None:
            ids = node_ids
            records = await self._core.run(lambda c: c.get(ids), lambda c: c.get(ids))
        else:
            expr = _selection(node_ids, filters, required=False)
            records = await self._core.run(
                lambda c: c.list_records(expr), lambda c: c.list_records(expr)
            )
        return [record_to_node(r.id, r.text, r.metadata) for r in records]

    # -- queries -----------------------------------------------------------------------------

    def query(self, query: VectorStoreQuery, **kwargs: Any) -> VectorStoreQueryResult:
        """Run ``query`` in its mode (DEFAULT, HYBRID, TEXT_SEARCH or MMR).

        Raises:
            ValueError: an unsupported mode, or a mode missing its query text or embedding.
            FilterError: a filter on an unknown field or with a value its field cannot take.
        """
        return hits_to_result(_Plan(query, kwargs).call(self._core.sync))

    async def aquery(self, query: VectorStoreQuery, **kwargs: Any) -> VectorStoreQueryResult:
        plan = _Plan(query, kwargs)
        return hits_to_result(await self._core.run(plan.call, plan.call))


def _columns(
    nodes: Sequence[BaseNode],
) -> tuple[list[str], list[list[float]], list[dict[str, Any]], list[str]]:
    """The texts, vectors, metadata and IDs ``VectorIndex.add`` takes, for ``nodes``."""
    parts = [node_to_parts(node) for node in nodes]
    metadatas = [metadata for _, _, metadata in parts]
    # Each record's metadata holds its node ID already: no second property call per node.
    ids = [metadata[NODE_ID_KEY] for metadata in metadatas]
    return [text for text, _, _ in parts], [vector for _, vector, _ in parts], metadatas, ids


def _selection(
    node_ids: list[str] | None, filters: MetadataFilters | None, *, required: bool = True
) -> Expr | None:
    """The filter of a delete or get: None for IDs alone (handled by key), else an expression.

    Raises:
        ValueError: ``required`` and neither IDs nor filters were given.
    """
    expr = to_expr(filters)
    if expr is None:
        if node_ids is None and required:
            raise ValueError("pass node_ids or filters; use clear() to delete every node")
        return None
    return combine(restriction(node_ids=node_ids), expr)


class _Plan:
    """What a ``VectorStoreQuery`` asks of the core, checked once for sync and async."""

    def __init__(self, query: VectorStoreQuery, kwargs: dict[str, Any]) -> None:
        self.mode = VectorStoreQueryMode(query.mode)
        if self.mode not in _MODES:
            raise ValueError(
                f"query mode {self.mode.value!r} is not supported; use one of "
                + ", ".join(m.value for m in _MODES)
            )
        self.k = query.similarity_top_k
        self.expr = combine(to_expr(query.filters), restriction(query.doc_ids))
        # Node IDs restrict by key (INKEYS), so records without a node_id field (written by
        # LangChain) are found too; an empty list is no restriction (see ``restriction``).
        self.ids = list(query.node_ids) if query.node_ids else None
        self.alpha = query.alpha if self.mode is VectorStoreQueryMode.HYBRID else None
        self.hybrid_k = query.hybrid_top_k
        self.text = query.query_str or ""
        text_modes = (VectorStoreQueryMode.HYBRID, VectorStoreQueryMode.TEXT_SEARCH)
        if self.mode in text_modes and not self.text.strip():
            raise ValueError(f"{self.mode.value} queries need query_str")
        self.vector: list[float] = []
        if self.mode is not VectorStoreQueryMode.TEXT_SEARCH:
            if query.query_embedding is None:
                raise ValueError(f"{self.mode.value} queries need query_embedding")
            self.vector = query.query_embedding
        # LlamaIndex's MMR conventions: mmr_threshold balances relevance (1) and diversity (0);
        # candidates are top_k * mmr_prefetch_factor, or mmr_prefetch_k.
        lambda_mult = query.mmr_threshold
        if lambda_mult is None:
            lambda_mult = kwargs.get("mmr_threshold", query.alpha)
        self.lambda_mult = _DEFAULT_MMR_LAMBDA if lambda_mult is None else float(lambda_mult)
        prefetch_k = kwargs.get("mmr_prefetch_k")
        if prefetch_k is None:
            factor = float(kwargs.get("mmr_prefetch_factor", _DEFAULT_PREFETCH_FACTOR))
            prefetch_k = int(self.k * factor)
        self.fetch_k = max(int(prefetch_k), self.k)

    def call(self, core: VectorIndex | AsyncVectorIndex) -> Any:
        """The core call for this query: hits from a sync core, an awaitable from an async one
        (the two cores have the same methods)."""
        if self.mode is VectorStoreQueryMode.TEXT_SEARCH:
            return core.text_search(self.text, self.k, filter=self.expr, ids=self.ids)
        if self.mode is VectorStoreQueryMode.HYBRID:
            return core.hybrid(
                self.vector,
                self.text,
                self.k,
                filter=self.expr,
                alpha=self.alpha,
                fetch_k=self.hybrid_k,
                ids=self.ids,
            )
        if self.mode is VectorStoreQueryMode.MMR:
            return core.mmr(
                self.vector,
                self.k,
                fetch_k=self.fetch_k,
                lambda_mult=self.lambda_mult,
                filter=self.expr,
                ids=self.ids,
            )
        return core.knn(self.vector, self.k, filter=self.expr, ids=self.ids)


_MODES = (
    VectorStoreQueryMode.DEFAULT,
    VectorStoreQueryMode.HYBRID,
    VectorStoreQueryMode.TEXT_SEARCH,
    VectorStoreQueryMode.MMR,
)
