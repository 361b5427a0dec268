"""A vector index over the Redis query engine: schema management, writes, reads and searches.

Documents are HASHes under one key space (see :mod:`redisai_core.search.records`); the index is
created on first use, verified against an existing one, or rebuilt when asked. Every search
goes through the pure builders and decoders of :mod:`redisai_core.search`.

The class is assembled from three layers, one module each: :mod:`.vector_index_base`
(connection, schema, lifecycle), :mod:`.vector_documents` (writes and reads) and
:mod:`.vector_search` (searches).
"""

from __future__ import annotations

from .vector_index_base import FilterLike
from .vector_search import AsyncVectorSearch

__all__ = ["AsyncVectorIndex", "FilterLike"]


class AsyncVectorIndex(AsyncVectorSearch):
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
