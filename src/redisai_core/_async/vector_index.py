"""A vector index over the Redis query engine: schema management, writes, reads and searches.

Documents are HASHes under one key space (see :mod:`redisai_core.search.records`); the index is
created on first use, verified against an existing one, or rebuilt when asked. Every search
goes through the pure builders and decoders of :mod:`redisai_core.search`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import redis.asyncio
import redis.exceptions

from .._cluster_support import is_cluster
from .._compat import async_sleep
from ..capabilities import Capabilities
from ..config import ConnectionConfig
from ..connection import get_async_client
from ..errors import (
    ConfigError,
    FilterError,
    ModuleMissingError,
    SchemaError,
    VectorError,
    map_redis_errors,
)
from ..keys import KeySpace
from ..search import filters as _filters
from ..search import queries as _queries
from ..search import records as _records
from ..search import rendering as _render
from ..search.blend import blend_text_and_vector
from ..search.info import (
    describe_difference,
    info_is_indexing,
    parse_index_info,
    schema_from_info,
)
from ..search.mmr import mmr_select
from ..search.schema import (
    METADATA_FIELD,
    TEXT_FIELD,
    FieldSpec,
    IndexSchema,
    VectorFieldSpec,
    infer_fields,
)
from .probe import async_probe

__all__ = ["AsyncVectorIndex"]

_NO_CLUSTER = (
    "vector search is not supported on a Redis Cluster: the search module here has no "
    "cross-shard coordinator, so a query would silently see one shard (docs/cluster.md)"
)

_BATCH = 500
# RediSearch 2.10 brought INDEXMISSING / INDEXEMPTY, which every schema here declares.
_MIN_SEARCH_VERSION = 21000

FilterLike = _filters.Expr | Mapping[str, Any] | None


class AsyncVectorIndex:
    """Vector search over HASH documents under one key space.

    Args:
        index_name: the search index name.
        vector: the vector field; ``None`` adopts an existing index's, or creates one on the
            first write with the first vector's dimension (FLAT, COSINE, FLOAT32).
        fields: indexed metadata fields; ``None`` adopts an existing index's or infers them
            from the first batch written (see :func:`~redisai_core.search.schema.infer_fields`).
        prefix: key prefix of the documents (default ``redisai:vec:<index_name>``).
        redis_url: Redis URL; with neither this nor ``redis_client``, ``REDIS_URL`` or the
            embedded server is used. Such connections speak RESP2 unless the URL says
            ``protocol=3`` (search replies parse faster in RESP2).
        redis_client: a client to use instead (left open by :meth:`aclose`).
        overwrite: drop an existing index of this name and create it again from this schema
            (documents are kept and re-indexed; :meth:`clear` removes them).
        skin: the framework using the index, announced to the server.

    Raises:
        ConfigError: a bad name or prefix, both a URL and a client, a client with
            ``decode_responses=True`` (vectors are bytes), or a Redis Cluster client or
            ``redis+cluster://`` URL (see ``docs/cluster.md``).
    """

    def __init__(
        self,
        index_name: str,
        *,
        vector: VectorFieldSpec | None = None,
        fields: Sequence[FieldSpec] | None = None,
        prefix: str | None = None,
        redis_url: str | None = None,
        redis_client: redis.asyncio.Redis | None = None,
        overwrite: bool = False,
        skin: str | None = None,
    ) -> None:
        if not index_name:
            raise ConfigError("index_name must be a non-empty string")
        self.index_name = index_name
        self.keyspace = KeySpace(prefix if prefix is not None else f"redisai:vec:{index_name}")
        self._vector = vector
        self._fields = tuple(fields) if fields is not None else None
        self._overwrite = overwrite
        if redis_client is None:
            # Connections of our own speak RESP2: redis-py parses FT.SEARCH replies in pure
            # Python, and the RESP3 form (a map per hit, with three more entries each) costs
            # about 0.1 ms more per top-4 search. ``?protocol=3`` in the URL still wins.
            from ..server import resolve_url  # may start the embedded server

            config = ConnectionConfig(url=resolve_url(redis_url), protocol=2)
            if config.cluster:
                raise ConfigError(_NO_CLUSTER)
            self._redis = get_async_client(config=config, skin=skin)
        else:
            if is_cluster(redis_client):
                raise ConfigError(_NO_CLUSTER)
            self._redis = get_async_client(redis_client=redis_client, skin=skin)
        if self._redis.connection_pool.connection_kwargs.get("decode_responses"):
            raise ConfigError("the vector index reads bytes: pass decode_responses=False")
        self._owns_client = redis_client is None
        self._schema: IndexSchema | None = None
        self._checked = False
        self._capabilities: Capabilities | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def redis(self) -> redis.asyncio.Redis:
        """The underlying client."""
        return self._redis

    @property
    def schema(self) -> IndexSchema | None:
        """The schema in use, once known (after the first operation that needed it)."""
        return self._schema

    async def aclose(self) -> None:
        """Close the client if this index created it."""
        if self._owns_client:
            await self._redis.aclose()

    async def __aenter__(self) -> AsyncVectorIndex:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _require_search(self) -> None:
        if self._capabilities is None:
            caps = await async_probe(self._redis)
            caps.require("search", "vector search")
            version = caps.search_version or 0
            # Redis 8 reports its own version for the built-in engine (>= 80000).
            if version < _MIN_SEARCH_VERSION:
                raise ModuleMissingError(
                    "vector search (RediSearch >= 2.10)",
                    "search",
                    f"This server's search module is version {version}; use Redis 8 or "
                    "Redis Stack 7.4.",
                )
            self._capabilities = caps

    async def _info(self) -> Any | None:
        try:
            with map_redis_errors():
                return await self._redis.execute_command("FT.INFO", self.index_name)  # type: ignore[no-untyped-call]
        except KeyError:  # IndexNotFoundError derives from KeyError
            return None

    async def _ensure(
        self,
        metadatas: Sequence[Mapping[str, Any]] = (),
        dims: int | None = None,
    ) -> IndexSchema | None:
        """The schema, creating or verifying the index as needed; None if it cannot exist yet.

        Raises:
            SchemaError: the existing index differs from the requested schema.
            ModuleMissingError: the server has no (recent enough) search engine.
        """
        if self._schema is not None and self._checked:
            return self._schema
        await self._require_search()
        info = None if self._overwrite else await self._info()
        if info is not None:
            existing = schema_from_info(info, self.index_name, self.keyspace)
            wanted = existing
            if self._vector is not None:
                wanted = IndexSchema(
                    name=self.index_name,
                    keyspace=self.keyspace,
                    vector=self._vector,
                    fields=self._fields if self._fields is not None else existing.fields,
                )
            elif self._fields is not None:
                wanted = existing.with_fields(self._fields)
            actual_sig = parse_index_info(info)
            if wanted.signature() != actual_sig:
                raise SchemaError(
                    f"index {self.index_name!r} exists with another schema: "
                    f"{describe_difference(wanted.signature(), actual_sig)}. "
                    "Pass overwrite=True to rebuild it, or use another index name."
                )
            self._schema = wanted
            self._checked = True
            return wanted
        vector = self._vector
        if vector is None:
            if dims is None:
                return None
            vector = VectorFieldSpec(dims=dims)
        if self._fields is not None:
            fields = self._fields
        elif metadatas:
            fields = infer_fields(metadatas)
        else:
            return None
        schema = IndexSchema(
            name=self.index_name, keyspace=self.keyspace, vector=vector, fields=fields
        )
        with map_redis_errors():
            if self._overwrite:
                try:
                    await self._redis.execute_command("FT.DROPINDEX", self.index_name)  # type: ignore[no-untyped-call]
                except redis.exceptions.ResponseError as exc:
                    if (
                        "unknown index" not in str(exc).lower()
                        and "no such" not in str(exc).lower()
                    ):
                        raise
            try:
                await self._redis.execute_command(*schema.create_args())  # type: ignore[no-untyped-call]
            except redis.exceptions.ResponseError as exc:
                # Another client created it between our FT.INFO and FT.CREATE: verify it.
                if "already exists" not in str(exc).lower():
                    raise
                self._overwrite = False
                return await self._ensure(metadatas, dims)
            # Documents already under the prefix (a rebuild, or another writer) are indexed in
            # the background; wait, so the first search sees them all.
            delay = 0.001
            while info_is_indexing(await self._info()):
                await async_sleep(delay)
                delay = min(delay * 2, 0.1)
        self._overwrite = False
        self._schema = schema
        self._checked = True
        return schema

    async def create(self) -> IndexSchema:
        """Create (or verify, or rebuild with ``overwrite``) the index now.

        Raises:
            ConfigError: neither the vector field nor the metadata fields are known yet.
            SchemaError: the existing index differs.
        """
        schema = await self._ensure()
        if schema is None:
            raise ConfigError(
                "the schema is not known yet: pass vector= and fields= (or write a first batch)"
            )
        return schema

    async def exists(self) -> bool:
        """Whether the search index exists on the server."""
        return await self._info() is not None

    async def drop(self, *, delete_documents: bool = False) -> None:
        """Drop the index (and with ``delete_documents``, this key space's documents)."""
        if delete_documents:
            await self.clear()
        with map_redis_errors():
            try:
                await self._redis.execute_command("FT.DROPINDEX", self.index_name)  # type: ignore[no-untyped-call]
            except redis.exceptions.ResponseError as exc:
                if "unknown index" not in str(exc).lower() and "no such" not in str(exc).lower():
                    raise
        self._schema = None
        self._checked = False

    # -- writes ------------------------------------------------------------------------------

    async def add(
        self,
        texts: Sequence[str],
        vectors: Sequence[Sequence[float]] | npt.NDArray[np.floating[Any]],
        metadatas: Sequence[Mapping[str, Any] | None] | None = None,
        ids: Sequence[str] | None = None,
        *,
        batch_size: int = _BATCH,
    ) -> list[str]:
        """Upsert documents; every input is validated before anything is written.

        Args:
            texts: the contents (strings with at least one non-space character).
            vectors: one vector per text.
            metadatas: one JSON-serialisable mapping per text (or None).
            ids: caller IDs, kept exactly; uuid4 hex IDs are generated when absent (for the
                whole batch, or for entries that are None).
            batch_size: documents per pipelined round trip.

        Returns:
            The IDs, in input order.

        Raises:
            ConfigError: mismatched lengths, empty or whitespace-only text, bad IDs or
                non-JSON metadata.
            VectorError: a vector of the wrong dimension or with NaN/infinite components.
            SchemaError: the existing index differs from the requested schema.
        """
        if isinstance(texts, str):
            raise ConfigError("texts must be a sequence of strings, not one string")
        texts = list(texts)
        n = len(texts)
        for i, text in enumerate(texts):
            _records.check_text(text, i)
        metas: list[Mapping[str, Any]] = [dict(m or {}) for m in (metadatas or [None] * n)]
        if len(metas) != n:
            raise ConfigError(f"got {len(metas)} metadatas for {n} texts")
        try:
            vector_list = list(vectors) if not isinstance(vectors, np.ndarray) else vectors
        except TypeError as exc:  # None, a number...
            raise VectorError(f"vectors must be a sequence of vectors, got {vectors!r}") from exc
        if len(vector_list) != n:
            raise ConfigError(f"got {len(vector_list)} vectors for {n} texts")
        key_ids = _records.check_ids(ids, n)
        if n == 0:
            return []
        metadata_json = [_records.encode_metadata(m) for m in metas]
        first_dims = int(np.size(vector_list[0])) if self._vector is None else None
        # Validate before the index may be created, so a bad batch creates nothing either.
        provisional = self._vector or VectorFieldSpec(dims=max(first_dims or 1, 1))
        array = _records.validate_vectors(vector_list, provisional)
        schema = await self._ensure(metas, first_dims)
        if schema is None:  # pragma: no cover - metadatas and dims are always known here
            raise ConfigError("cannot create the index without vectors")
        spec = schema.vector
        if (spec.dims, spec.datatype) != (provisional.dims, provisional.datatype):
            # An existing index decides (converting a batch of lists costs ~15 us per vector).
            array = _records.validate_vectors(vector_list, spec)
        mappings = [
            _records.encode_record(schema, texts[i], array[i], metadata_json[i], metas[i])
            for i in range(n)
        ]
        projected = [f.name for f in schema.fields]
        if batch_size <= 0:
            raise ConfigError(f"batch_size must be positive, got {batch_size}")
        with map_redis_errors():
            for start in range(0, n, batch_size):
                pipe = self._redis.pipeline(transaction=False)
                for i in range(start, min(n, start + batch_size)):
                    key = self.keyspace.key(key_ids[i])
                    pipe.hset(key, mapping=mappings[i])  # type: ignore[arg-type]
                    # An upsert must not keep projections of metadata the new version lacks.
                    stale = [name for name in projected if name not in mappings[i]]
                    if stale:
                        pipe.hdel(key, *stale)
                await pipe.execute()
        return key_ids

    async def delete(self, ids: Sequence[str]) -> int:
        """Delete documents by ID; returns how many existed.

        Raises:
            ConfigError: ``ids`` is one string rather than a sequence of IDs.
        """
        removed = 0
        ids = _id_list(ids)
        with map_redis_errors():
            for start in range(0, len(ids), _BATCH):
                chunk = [self.keyspace.key(i) for i in ids[start : start + _BATCH]]
                if chunk:
                    removed += int(await self._redis.unlink(*chunk))
        return removed

    async def delete_where(self, filter: FilterLike) -> int:
        """Delete every document matching ``filter``; returns how many were removed.

        Raises:
            FilterError: the filter names an unknown field or cannot be expressed.
        """
        return await self.delete(await self.list_ids(filter))

    async def clear(self, *, drop_index: bool = False) -> int:
        """Delete every key of this index's key space (``SCAN MATCH`` + ``UNLINK``, nothing else).

        Args:
            drop_index: also drop the search index.

        Returns:
            How many keys were removed.
        """
        removed = 0
        with map_redis_errors():
            batch: list[bytes] = []
            async for key in self._redis.scan_iter(match=self.keyspace.pattern(), count=1000):
                batch.append(key)
                if len(batch) >= _BATCH:
                    removed += int(await self._redis.unlink(*batch))
                    batch = []
            if batch:
                removed += int(await self._redis.unlink(*batch))
        if drop_index:
            await self.drop()
        return removed

    # -- reads -------------------------------------------------------------------------------

    async def get(self, ids: Sequence[str], *, with_vectors: bool = False) -> list[_records.Record]:
        """The stored documents for ``ids`` in that order; missing IDs are skipped.

        Raises:
            ConfigError: ``ids`` is one string rather than a sequence of IDs.
            CorruptDataError: with ``with_vectors``, a stored vector that is not whole numbers
                of the field's type (written by another program).
        """
        schema = await self._ensure()
        vector_name = schema.vector.name if schema is not None else "vector"
        fields = [TEXT_FIELD, METADATA_FIELD] + ([vector_name] if with_vectors else [])
        out: list[_records.Record] = []
        ids = _id_list(ids)
        with map_redis_errors():
            for start in range(0, len(ids), _BATCH):
                chunk = ids[start : start + _BATCH]
                pipe = self._redis.pipeline(transaction=False)
                for doc_id in chunk:
                    pipe.hmget(self.keyspace.key(doc_id), fields)
                replies = await pipe.execute()
                for doc_id, values in zip(chunk, replies, strict=True):
                    if values[0] is None and values[1] is None:
                        continue
                    vector = None
                    if with_vectors and schema is not None:
                        vector = _records.decode_vector(values[2], schema.vector)
                    out.append(
                        _records.Record(
                            id=doc_id,
                            text=_records.as_text(values[0]) if values[0] is not None else "",
                            metadata=_records.decode_metadata(values[1]),
                            vector=vector,
                        )
                    )
        return out

    def _render(self, schema: IndexSchema, filter: FilterLike) -> _render.RenderedFilter:
        if isinstance(filter, str):
            raise FilterError(
                "filters are expressions (redisai_core.search.field) or dicts; raw query "
                f"strings are not accepted: {filter!r}"
            )
        expr = _filters.from_dict(filter) if isinstance(filter, Mapping) else filter
        return _render.render(expr, schema)

    async def count(self, filter: FilterLike = None) -> int:
        """How many documents match ``filter`` (all documents when None); no cap applies."""
        schema = await self._ensure()
        if schema is None:
            return 0
        flt = self._render(schema, filter)
        if flt.never:
            return 0
        with map_redis_errors():
            reply = await self._redis.execute_command(*_queries.count_args(schema, flt))  # type: ignore[no-untyped-call]
        return _queries.decode_total(reply)

    async def list_ids(self, filter: FilterLike = None) -> list[str]:
        """Every ID matching ``filter``, through an aggregate cursor (no result cap)."""
        schema = await self._ensure()
        if schema is None:
            return []
        flt = self._render(schema, filter)
        if flt.never:
            return []
        out: list[str] = []
        with map_redis_errors():
            reply = await self._redis.execute_command(*_queries.aggregate_ids_args(schema, flt))  # type: ignore[no-untyped-call]
            ids, cursor = _queries.decode_cursor(reply, schema)
            out.extend(ids)
            while cursor:
                reply = await self._redis.execute_command(  # type: ignore[no-untyped-call]
                    *_queries.cursor_read_args(schema, cursor)
                )
                ids, cursor = _queries.decode_cursor(reply, schema)
                out.extend(ids)
        return out

    async def list_records(self, filter: FilterLike = None) -> list[_records.Record]:
        """Every document matching ``filter`` (IDs by cursor, then pipelined reads)."""
        return await self.get(await self.list_ids(filter))

    # -- searches ----------------------------------------------------------------------------

    def _query_vector(self, schema: IndexSchema, vector: Any) -> npt.NDArray[np.floating[Any]]:
        return _records.validate_query_vector(vector, schema.vector)

    async def _search(
        self, args: tuple[str | bytes, ...], schema: IndexSchema, *, scored: bool = False
    ) -> list[_queries.SearchHit]:
        with map_redis_errors():
            reply = await self._redis.execute_command(*args)  # type: ignore[no-untyped-call]
        decode = _queries.decode_scored if scored else _queries.decode_search
        return decode(reply, schema).hits

    def _keys(self, ids: Sequence[str] | None) -> list[str] | None:
        return None if ids is None else [self.keyspace.key(i) for i in _id_list(ids)]

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
        flt = self._render(schema, filter)
        keys = self._keys(ids)
        if flt.never or keys == []:
            return []
        args = _queries.knn_args(
            schema, blob, k, flt, ef_runtime=ef_runtime, with_vector=with_vectors, keys=keys
        )
        return await self._search(args, schema)

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


def _id_list(ids: Sequence[str]) -> list[str]:
    """``ids`` as a list; one string is refused (it would be read character by character).

    Raises:
        ConfigError: ``ids`` is a string.
    """
    if isinstance(ids, str):
        raise ConfigError("ids must be a sequence of IDs, not one string")
    return list(ids)
