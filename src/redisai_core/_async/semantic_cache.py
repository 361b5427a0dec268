"""The semantic LLM cache: prompt vectors in a vector index, one KNN per lookup.

Lookups filter by the LLM parameters string *before* the nearest-neighbour search, so an entry
made for one model never serves another, and a nearer entry of another model never hides this
model's entry. The same prompt for the same model has one entry, updated in place. The caller
supplies vectors (any embeddings); the framework skins embed with RedisAI embeddings by default.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import redis.asyncio

from ..cache_record import CacheStats, entry_id
from ..config import check_ttl
from ..errors import ConfigError, map_redis_errors
from ..search import TagFieldSpec, field
from .vector_index import AsyncVectorIndex

__all__ = ["AsyncSemanticCache"]

logger = logging.getLogger("redisai_core.cache")

Vector = Sequence[float] | npt.NDArray[np.floating[Any]]
_LLM_FIELD = "llm"


def _llm_tag(llm_string: str) -> str:
    if not isinstance(llm_string, str):
        raise TypeError(f"llm_string must be str, got {type(llm_string).__name__}")
    # A fixed-size hex digest: any parameters string, whatever it holds, becomes a safe tag.
    return hashlib.sha256(llm_string.encode("utf-8", "surrogatepass")).hexdigest()[:32]


class AsyncSemanticCache:
    """Semantic cache of LLM responses over the Redis query engine (needs the search module).

    Args:
        redis_url: Redis URL; with neither this nor ``redis_client``, ``REDIS_URL`` or the
            embedded server is used.
        redis_client: a client to use instead.
        prefix: key prefix of the entries; the index is named after it.
        distance_threshold: largest cosine distance (0 = same direction, 2 = opposite) at
            which a stored prompt counts as the same question.
        ttl: seconds an entry lives; ``None`` keeps entries until cleared.
        stats: counters to record into (share one between a sync and an async cache).
        skin: the framework using the cache, announced to the server.

    Raises:
        ConfigError: a threshold outside ``[0, 2]``, a TTL that is not positive, or a Redis
            Cluster client (vector search needs one server; see ``docs/cluster.md``).
    """

    def __init__(
        self,
        redis_url: str | None = None,
        redis_client: redis.asyncio.Redis | None = None,
        *,
        prefix: str = "redisai:semcache",
        distance_threshold: float = 0.1,
        ttl: float | None = None,
        stats: CacheStats | None = None,
        skin: str | None = None,
    ) -> None:
        if not 0.0 <= distance_threshold <= 2.0:
            raise ConfigError(f"distance_threshold must be in [0, 2], got {distance_threshold}")
        check_ttl(ttl)
        self.distance_threshold = distance_threshold
        self.ttl = ttl
        self.stats = stats if stats is not None else CacheStats()
        self._index = AsyncVectorIndex(
            f"{prefix}:idx",
            prefix=prefix,
            fields=[TagFieldSpec(name=_LLM_FIELD)],
            redis_url=redis_url,
            redis_client=redis_client,
            skin=skin,
        )
        self._owns_client = redis_client is None

    async def lookup(self, vector: Vector, llm_string: str) -> bytes | None:
        """The payload of the nearest entry for this LLM within the threshold, else ``None``.

        Raises:
            VectorError: the vector has the wrong dimension or NaN/infinite components.
            TypeError: ``llm_string`` is not a str.
        """
        hits = await self._index.knn(vector, 1, filter=field(_LLM_FIELD) == _llm_tag(llm_string))
        if not hits or hits[0].distance is None or hits[0].distance > self.distance_threshold:
            self.stats.record(hit=False)
            return None
        encoded = hits[0].metadata.get("payload")
        try:
            payload = base64.b64decode(encoded, validate=True) if isinstance(encoded, str) else None
        except ValueError:
            payload = None
        if payload is None:
            logger.warning("ignoring a semantic cache entry that is not ours: %s", hits[0].id)
            self.stats.record(hit=False, corrupt=True)
            return None
        self.stats.record(hit=True)
        return payload

    def record_corrupt(self, llm_string: str) -> None:
        """Re-count a hit whose payload the skin could not decode as a corrupt miss."""
        logger.warning("ignoring an undecodable semantic cache entry for %s", _llm_tag(llm_string))
        self.stats.hit_was_corrupt()

    async def update(self, prompt: str, llm_string: str, vector: Vector, payload: bytes) -> None:
        """Store ``payload`` for (prompt, llm_string); the same pair is updated, not duplicated.

        Raises:
            VectorError: the vector has the wrong dimension or NaN/infinite components.
            TypeError: ``prompt`` or ``llm_string`` is not a str, or ``payload`` is not bytes.
        """
        entry = entry_id(prompt, llm_string)
        metadata = {_LLM_FIELD: _llm_tag(llm_string), "payload": base64.b64encode(payload).decode()}
        # The text is informational (the vector is what matches); the index refuses blank text.
        rows = np.asarray([vector], dtype=np.float64)
        text = prompt if prompt.strip() else "(blank prompt)"
        if not text.isascii():
            # Only the vector matches; a lone surrogate (which Redis cannot take as text) in
            # the informational copy becomes "?" rather than refusing the entry.
            text = text.encode("utf-8", "replace").decode("utf-8")
        await self._index.add([text], rows, [metadata], ids=[entry])
        if self.ttl is not None:
            with map_redis_errors():
                await self._index.redis.pexpire(
                    self._index.keyspace.key(entry), max(1, int(self.ttl * 1000))
                )

    async def clear(self) -> int:
        """Delete every entry (SCAN + UNLINK in this cache's key space); the index stays."""
        return await self._index.clear()

    async def aclose(self) -> None:
        """Close the client if this cache created it."""
        await self._index.aclose()
