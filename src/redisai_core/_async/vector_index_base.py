"""The vector index's lifecycle: connection, schema creation and verification, drop and clear.

The first of the three layers behind :class:`~redisai_core._async.vector_index.AsyncVectorIndex`:
this one owns the client and the schema; :mod:`.vector_documents` adds writes and reads, and
:mod:`.vector_search` the searches.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

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
    map_redis_errors,
)
from ..keys import KeySpace
from ..search import filters as _filters
from ..search import rendering as _render
from ..search.hotpath import ArgvCache
from ..search.info import (
    describe_difference,
    info_is_indexing,
    parse_index_info,
    schema_from_info,
)
from ..search.schema import (
    FieldSpec,
    IndexSchema,
    VectorFieldSpec,
    infer_fields,
)
from .lean_read import AsyncLeanReader
from .probe import async_probe

__all__ = ["AsyncVectorIndexBase", "FilterLike"]

_NO_CLUSTER = (
    "vector search is not supported on a Redis Cluster: the search module here has no "
    "cross-shard coordinator, so a query would silently see one shard (docs/cluster.md)"
)

_BATCH = 500
# RediSearch 2.10 brought INDEXMISSING / INDEXEMPTY, which every schema here declares.
_MIN_SEARCH_VERSION = 21000

_Index = TypeVar("_Index", bound="AsyncVectorIndexBase")

FilterLike = _filters.Expr | Mapping[str, Any] | None


class AsyncVectorIndexBase:
    """Connection, schema and index lifecycle of a vector index (see ``AsyncVectorIndex``).

    Raises:
        ConfigError: see :class:`~redisai_core._async.vector_index.AsyncVectorIndex`.
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
        # KNN argv skeletons per filter shape, for the current schema object (see _knn_argv).
        self._argv_cache = ArgvCache()
        # Searches skip redis-py's command machinery when the client allows (lean_read.py).
        self._reader = AsyncLeanReader(self._redis)
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
        """Give back the connection kept for searches; close the client if this index created it."""
        await self._reader.aclose()
        if self._owns_client:
            await self._redis.aclose()

    async def __aenter__(self: _Index) -> _Index:
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

    def _render(self, schema: IndexSchema, filter: FilterLike) -> _render.RenderedFilter:
        if isinstance(filter, str):
            raise FilterError(
                "filters are expressions (redisai_core.search.field) or dicts; raw query "
                f"strings are not accepted: {filter!r}"
            )
        expr = _filters.from_dict(filter) if isinstance(filter, Mapping) else filter
        return _render.render(expr, schema)

    def _keys(self, ids: Sequence[str] | None) -> list[str] | None:
        return None if ids is None else [self.keyspace.key(i) for i in _id_list(ids)]


def _id_list(ids: Sequence[str]) -> list[str]:
    """``ids`` as a list; one string is refused (it would be read character by character).

    Raises:
        ConfigError: ``ids`` is a string.
    """
    if isinstance(ids, str):
        raise ConfigError("ids must be a sequence of IDs, not one string")
    return list(ids)
