"""The vector index's document writes and reads: add, delete, get, count and listing."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from itertools import chain
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import (
    ConfigError,
    VectorError,
    map_redis_errors,
)
from ..search import queries as _queries
from ..search import records as _records
from ..search.schema import (
    METADATA_FIELD,
    TEXT_FIELD,
    VectorFieldSpec,
)
from .packed_writes import async_execute_batches
from .vector_index_base import _BATCH, AsyncVectorIndexBase, FilterLike, _id_list

__all__ = ["AsyncVectorDocuments"]


class AsyncVectorDocuments(AsyncVectorIndexBase):
    """Writes and reads of documents by ID or filter (see ``AsyncVectorIndex``)."""

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
            batch_size: documents per write (one batch is written while the server
                works on the one before).

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
        # Only read (JSON, projections, schema inference): a dict is used as given, other
        # mappings and None are made dicts (5,000 copies cost about 1 ms, and more in the
        # collector runs their allocations trigger).
        metas: list[Mapping[str, Any]] = [
            m if type(m) is dict else dict(m or {}) for m in (metadatas or [None] * n)
        ]
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
        projected = [f.name for f in schema.fields]
        if batch_size <= 0:
            raise ConfigError(f"batch_size must be positive, got {batch_size}")
        key = self.keyspace.key

        def batches() -> Iterator[list[tuple[str | bytes, ...]]]:
            # Built batch by batch, as they are sent (encoding a record cannot fail: every
            # input was checked above), so these objects die young: kept for the whole call,
            # they reached the collector's oldest generation, whose runs cost tens of ms.
            for start in range(0, n, batch_size):
                commands: list[tuple[str | bytes, ...]] = []
                for i in range(start, min(n, start + batch_size)):
                    doc_key = key(key_ids[i])
                    mapping = _records.encode_record(
                        schema, texts[i], array[i], metadata_json[i], metas[i]
                    )
                    # HSET key field value ..., in the mapping's order, as redis-py's hset.
                    commands.append(("HSET", doc_key, *chain.from_iterable(mapping.items())))
                    # An upsert must not keep projections of metadata the new version lacks.
                    stale = [name for name in projected if name not in mapping]
                    if stale:
                        commands.append(("HDEL", doc_key, *stale))
                yield commands

        with map_redis_errors():
            await async_execute_batches(self._redis, batches())
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
