"""The vector index's searches: KNN, range, hybrid, text and MMR."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import map_redis_errors
from ..search import queries as _queries
from ..search import records as _records
from ..search.blend import blend_text_and_vector
from ..search.hotpath import NEVER, filter_key
from ..search.mmr import mmr_select
from ..search.schema import IndexSchema
from .vector_documents import AsyncVectorDocuments
from .vector_index_base import FilterLike

__all__ = ["AsyncVectorSearch"]


class AsyncVectorSearch(AsyncVectorDocuments):
    """Searches over the documents (see ``AsyncVectorIndex``)."""

    def _query_vector(self, schema: IndexSchema, vector: Any) -> npt.NDArray[np.floating[Any]]:
        return _records.validate_query_vector(vector, schema.vector)

    async def _search(
        self, args: tuple[str | bytes, ...], schema: IndexSchema, *, scored: bool = False
    ) -> list[_queries.SearchHit]:
        with map_redis_errors():
            reply = await self._reader.execute(args)
        decode = _queries.decode_scored if scored else _queries.decode_search
        return decode(reply, schema).hits

    async def knn(
        self,
        vector: Sequence[float] | npt.NDArray[np.floating[Any]],
        k: int = 4,
        *,
        filter: FilterLike = None,
        ef_runtime: int | None = None,
        with_vectors: bool = False,
        ids: Sequence[str] | None = None,
    ) -> list[_queries.SearchHit]:
        """The ``k`` nearest documents to ``vector`` among those matching ``filter``.

        Args:
            vector: the query vector.
            k: how many documents.
            filter: a filter expression or dict.
            ef_runtime: HNSW search breadth for this query (the field's default otherwise).
            with_vectors: also return the stored vectors.
            ids: search only among these IDs (``INKEYS``; no index field needed); None for all.

        Raises:
            VectorError: the query vector has the wrong dimension or NaN/infinite components.
            FilterError: the filter names an unknown field or cannot be expressed.
        """
        schema = await self._ensure()
        if schema is None:
            return []
        blob = self._query_vector(schema, vector).tobytes()
        if ids is None:
            parts = self._knn_argv(schema, k, filter, ef_runtime, with_vectors)
            if parts is not None:
                if parts is NEVER:
                    return []
                return await self._search((*parts[0], blob, *parts[1]), schema)
        flt = self._render(schema, filter)
        keys = self._keys(ids)
        if flt.never or keys == []:
            return []
        args = _queries.knn_args(
            schema, blob, k, flt, ef_runtime=ef_runtime, with_vector=with_vectors, keys=keys
        )
        return await self._search(args, schema)

    def _knn_argv(
        self,
        schema: IndexSchema,
        k: Any,
        filter: FilterLike,
        ef_runtime: Any,
        with_vectors: bool,
    ) -> tuple[Any, ...] | None:
        """The argv around the vector for a cacheable KNN search, :data:`NEVER`, or None.

        None means "not cacheable": the caller takes the general path, which renders and
        checks everything itself. Entries are stored only once built without error, so a
        bad filter, ``k`` or ``ef_runtime`` raises exactly as on the general path, every time.

        Raises:
            FilterError: the filter names an unknown field or cannot be expressed.
            ConfigError: ``k`` or ``ef_runtime`` is not a positive int.
        """
        fkey = filter_key(filter)
        if fkey is None or type(k) is not int or type(ef_runtime) not in (int, type(None)):
            return None
        key = (fkey, k, ef_runtime, bool(with_vectors))
        entry = self._argv_cache.get(schema, key)
        if entry is None:
            flt = self._render(schema, filter)
            if flt.never:
                entry = NEVER
            else:
                entry = _queries.knn_parts(
                    schema, k, flt, ef_runtime=ef_runtime, with_vector=with_vectors
                )
            self._argv_cache.put(schema, key, entry)
        return entry

    async def range_search(
        self,
        vector: Sequence[float] | npt.NDArray[np.floating[Any]],
        radius: float,
        *,
        filter: FilterLike = None,
        limit: int = 10_000,
    ) -> list[_queries.SearchHit]:
        """Documents within ``radius`` (the metric's distance) of ``vector``, nearest first."""
        schema = await self._ensure()
        if schema is None:
            return []
        blob = self._query_vector(schema, vector).tobytes()
        flt = self._render(schema, filter)
        if flt.never:
            return []
        return await self._search(
            _queries.range_args(schema, blob, radius, flt, limit=limit), schema
        )

    async def hybrid(
        self,
        vector: Sequence[float] | npt.NDArray[np.floating[Any]],
        text: str,
        k: int = 4,
        *,
        filter: FilterLike = None,
        ef_runtime: int | None = None,
        alpha: float | None = None,
        fetch_k: int | None = None,
        ids: Sequence[str] | None = None,
    ) -> list[_queries.SearchHit]:
        """Text and vector together.

        Without ``alpha``: the ``k`` nearest among documents whose content holds a word of
        ``text`` (text restricts, the vector ranks; scores are vector relevance). With
        ``alpha`` in ``[0, 1]``: the ``fetch_k`` nearest such documents (default ``4 * k``,
        at least 20) are re-ranked by ``alpha * relevance + (1 - alpha) * word share`` (the
        fraction of the query's distinct words the content holds, see
        :func:`~redisai_core.search.blend.word_share`), and that blend is each hit's score.

        Args:
            vector: the query vector.
            text: the query text; empty or whitespace-only text is refused.
            k: how many documents.
            filter: a filter expression or dict.
            ef_runtime: HNSW search breadth for this query.
            alpha: the weight of vector relevance against word overlap.
            fetch_k: candidates for the ``alpha`` blend.
            ids: search only among these IDs; None for all.

        Raises:
            ConfigError: ``text`` has no words, or ``alpha`` is outside ``[0, 1]``.
            VectorError: a bad query vector.
        """
        schema = await self._ensure()
        if schema is None:
            return []
        blob = self._query_vector(schema, vector).tobytes()
        flt = self._render(schema, filter)
        keys = self._keys(ids)
        wanted = k if alpha is None else max(k, fetch_k if fetch_k is not None else max(4 * k, 20))
        args = _queries.hybrid_args(
            schema, blob, text, wanted, flt, ef_runtime=ef_runtime, keys=keys
        )
        if alpha is not None:
            blend_text_and_vector([], text, k, alpha)  # checks alpha before any round trip
        if flt.never or keys == []:
            return []
        hits = await self._search(args, schema)
        return hits if alpha is None else blend_text_and_vector(hits, text, k, alpha)

    async def text_search(
        self,
        text: str,
        k: int = 4,
        *,
        filter: FilterLike = None,
        ids: Sequence[str] | None = None,
        scorer: str = "BM25STD",
    ) -> list[_queries.SearchHit]:
        """The ``k`` documents whose content best matches the words of ``text``, best first.

        Any query word matches (stemmed, case-insensitive, as the server indexes TEXT); the
        server ranks and cuts, so only ``k`` documents are read. Each hit's ``score`` is the
        server's (``scorer``: BM25STD by default, unbounded, higher is better; TFIDF and the
        others ``FT.SEARCH SCORER`` takes also work); ``distance`` is None.

        Raises:
            ConfigError: ``text`` has no words (empty or whitespace-only text included).
            FilterError: the filter names an unknown field or cannot be expressed.
        """
        schema = await self._ensure()
        if schema is None:
            return []
        flt = self._render(schema, filter)
        keys = self._keys(ids)
        args = _queries.text_args(schema, text, k, flt, scorer=scorer, keys=keys)
        if flt.never or keys == []:
            return []
        return await self._search(args, schema, scored=True)

    async def mmr(
        self,
        vector: Sequence[float] | npt.NDArray[np.floating[Any]],
        k: int = 4,
        *,
        fetch_k: int = 20,
        lambda_mult: float = 0.5,
        filter: FilterLike = None,
        ef_runtime: int | None = None,
        ids: Sequence[str] | None = None,
    ) -> list[_queries.SearchHit]:
        """``k`` diverse results: ``fetch_k`` nearest from the server, then MMR in numpy."""
        schema = await self._ensure()
        if schema is None:
            return []
        query = self._query_vector(schema, vector)
        flt = self._render(schema, filter)
        keys = self._keys(ids)
        if flt.never or keys == []:
            return []
        args = _queries.knn_args(
            schema,
            query.tobytes(),
            max(fetch_k, k),
            flt,
            ef_runtime=ef_runtime,
            with_vector=True,
            keys=keys,
        )
        hits = await self._search(args, schema)
        if not hits:
            return []
        candidates = np.stack([h.vector for h in hits if h.vector is not None])
        return [hits[i] for i in mmr_select(query, candidates, k, lambda_mult)]
