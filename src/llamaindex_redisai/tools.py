"""``RedisAIToolSpec``: LlamaIndex agent tools over Redis: run a stored model, search a vector
index, read cache statistics."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

import redis
import redis.asyncio
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.tools import FunctionTool
from llama_index.core.tools.tool_spec.base import SPEC_FUNCTION_TYPE, BaseToolSpec
from llama_index.core.vector_stores.types import BasePydanticVectorStore, VectorStoreQuery

from redisai_core import (
    AsyncModelRunner,
    AsyncVectorIndex,
    CacheStats,
    ConfigError,
    DualCore,
    ModelRunner,
    ModelSignature,
    SearchHit,
    VectorIndex,
)
from redisai_core.model_signature import (
    describe_signature,
    signature_from_onnx,
    signature_from_spec,
)

__all__ = ["RedisAIToolSpec"]

VectorSource = BasePydanticVectorStore | VectorIndex | AsyncVectorIndex
_RUN = ("run_model", "arun_model")
_SEARCH = ("search_index", "asearch_index")
_STATS = ("cache_stats", "acache_stats")


class RedisAIToolSpec(BaseToolSpec):
    """Agent tools backed by Redis; only the tools whose parts are given are listed.

    - ``run_model(inputs)``: runs the model stored at ``model_key`` (one DAG round trip;
      inside Redis with the RedisAI module, else in this process with ONNX Runtime on the
      model kept in Redis), outputs as plain Python, mapped to ``labels`` if given; the same
      semantics as ``langchain_redisai.RedisAIModelTool``.
    - ``search_index(query, top_k)``: embeds ``query`` with ``embed_model`` and returns the
      top-k texts with their scores from ``vector_store`` (any LlamaIndex vector store, such
      as ``RedisAIVectorStore``, or a core ``VectorIndex`` / ``AsyncVectorIndex``).
    - ``cache_stats()``: hits, misses, lookups and hit rate of each cache in ``caches``
      (``CacheStats`` objects, or objects with a ``.stats`` such as ``RedisAICachedLLM``).

    Every tool has a native async twin used by ``acall``. Failures raise the core's errors
    (``KeyEmptyError``, ``TensorError``, ...) with the reason; LlamaIndex agents report them
    to the model as tool errors.

    Args:
        model_key / model / input_spec / output_names / labels: the model to run, as for
            ``RedisAIModelTool`` (without ``model`` or ``input_spec`` the signature is read
            from the stored ONNX model on first use).
        redis_url / redis_client / executor / prefix: the RedisAI client's.
        vector_store / embed_model: the index to search and how to embed queries.
        caches: ``{name: cache or CacheStats}``.

    Raises:
        ConfigError: nothing to offer, conflicting arguments, or a vector store without an
            embedding model.
    """

    def __init__(
        self,
        *,
        model_key: str | None = None,
        model: bytes | None = None,
        input_spec: Mapping[str, tuple[str, Sequence[int | None]]] | None = None,
        output_names: Sequence[str] = (),
        labels: Sequence[str] | None = None,
        redis_url: str | None = None,
        redis_client: redis.Redis | redis.asyncio.Redis | None = None,
        executor: str = "auto",
        prefix: str = "redisai",
        vector_store: VectorSource | None = None,
        embed_model: BaseEmbedding | None = None,
        caches: Mapping[str, Any] | None = None,
    ) -> None:
        if model is not None and input_spec is not None:
            raise ConfigError("pass model bytes or input_spec, not both")
        if vector_store is not None and embed_model is None:
            raise ConfigError("searching a vector store needs an embed_model for the query")
        functions: list[SPEC_FUNCTION_TYPE] = []
        self._signature: ModelSignature | None = None
        self._labels = list(labels) if labels else None
        self._runner: DualCore[ModelRunner, AsyncModelRunner] | None = None
        if model_key is not None:
            if model is not None:
                self._signature = signature_from_onnx(model)
            elif input_spec is not None:
                self._signature = signature_from_spec(input_spec, output_names)
            self._runner = _runners(
                model_key,
                signature=self._signature,
                labels=self._labels,
                redis_url=redis_url,
                redis_client=redis_client,
                executor=executor,
                prefix=prefix,
            )
            self._model_key = model_key
            functions.append(_RUN)
        self._store, self._embed = vector_store, embed_model
        if vector_store is not None:
            functions.append(_SEARCH)
        self._caches = {name: _stats_of(name, cache) for name, cache in (caches or {}).items()}
        if self._caches:
            functions.append(_STATS)
        if not functions:
            raise ConfigError("give a model_key, a vector_store or caches")
        self.spec_functions = functions

    def to_tool_list(
        self,
        spec_functions: list[SPEC_FUNCTION_TYPE] | None = None,
        func_to_metadata_mapping: dict[str, Any] | None = None,
    ) -> list[FunctionTool]:
        """The tools; the model tool's description names the model's inputs when known."""
        tools = super().to_tool_list(spec_functions, func_to_metadata_mapping)
        for tool in tools:
            if tool.metadata.name == _RUN[0] and self._runner is not None:
                summary = describe_signature(self._model_key, self._signature, self._labels)
                tool.metadata.description = f"{summary}\n{tool.metadata.description}"
        return tools

    def _model(self) -> DualCore[ModelRunner, AsyncModelRunner]:
        if self._runner is None:
            raise ConfigError("this tool spec was given no model_key")
        return self._runner

    def run_model(self, inputs: dict[str, Any]) -> dict[str, Any]:
        """Run the stored model on ``inputs`` ({input name: nested list of numbers}).

        Returns a dict of outputs (plain lists and numbers; class names when labelled).
        """
        return self._model().sync.run(inputs)

    async def arun_model(self, inputs: dict[str, Any]) -> dict[str, Any]:
        """Run the stored model on ``inputs`` ({input name: nested list of numbers})."""
        return await self._model().run(lambda r: r.run(inputs), lambda r: r.run(inputs))

    def search_index(self, query: str, top_k: int = 4) -> list[dict[str, Any]]:
        """Search the vector index for ``query``; returns the top_k texts with their scores."""
        store, embed = self._search_parts()
        vector = embed.get_query_embedding(query)
        if isinstance(store, BasePydanticVectorStore):
            return _from_query(
                store.query(VectorStoreQuery(query_embedding=vector, similarity_top_k=top_k))
            )
        if isinstance(store, AsyncVectorIndex):
            raise NotImplementedError("an AsyncVectorIndex is searched with asearch_index")
        return _from_hits(store.knn(vector, top_k))

    async def asearch_index(self, query: str, top_k: int = 4) -> list[dict[str, Any]]:
        """Search the vector index for ``query``; returns the top_k texts with their scores."""
        store, embed = self._search_parts()
        vector = await embed.aget_query_embedding(query)
        if isinstance(store, BasePydanticVectorStore):
            query_obj = VectorStoreQuery(query_embedding=vector, similarity_top_k=top_k)
            return _from_query(await store.aquery(query_obj))
        if isinstance(store, AsyncVectorIndex):
            return _from_hits(await store.knn(vector, top_k))
        return _from_hits(await asyncio.to_thread(store.knn, vector, top_k))

    def _search_parts(self) -> tuple[VectorSource, BaseEmbedding]:
        if self._store is None or self._embed is None:
            raise ConfigError("this tool spec was given no vector_store")
        return self._store, self._embed

    def cache_stats(self) -> dict[str, dict[str, Any]]:
        """Hits, misses, corrupt entries, lookups and hit rate of each cache, by name."""
        return {name: _stats_dict(stats) for name, stats in self._caches.items()}

    async def acache_stats(self) -> dict[str, dict[str, Any]]:
        """Hits, misses, corrupt entries, lookups and hit rate of each cache, by name."""
        # Counters live in this process: nothing to wait for.
        return self.cache_stats()

    def close(self) -> None:
        """Close the model connections this spec opened (stores and caches are the caller's)."""
        if self._runner is not None:
            self._runner.close()

    async def aclose(self) -> None:
        if self._runner is not None:
            await self._runner.aclose()


def _runners(
    model_key: str,
    *,
    signature: ModelSignature | None,
    labels: list[str] | None,
    redis_url: str | None,
    redis_client: redis.Redis | redis.asyncio.Redis | None,
    executor: str,
    prefix: str,
) -> DualCore[ModelRunner, AsyncModelRunner]:
    options: dict[str, Any] = {"labels": labels, "executor": executor, "prefix": prefix}
    return DualCore(
        lambda url, client: ModelRunner(
            model_key, signature, redis_url=url, redis_client=client, **options
        ),
        lambda url, client: AsyncModelRunner(
            model_key, signature, redis_url=url, redis_client=client, **options
        ),
        redis_url,
        redis_client,
    )


def _from_query(result: Any) -> list[dict[str, Any]]:
    nodes = result.nodes or []
    scores = result.similarities or [None] * len(nodes)
    return [
        {"id": node.node_id, "text": node.get_content(), "score": score}
        for node, score in zip(nodes, scores, strict=False)
    ]


def _from_hits(hits: Sequence[SearchHit]) -> list[dict[str, Any]]:
    return [{"id": hit.id, "text": hit.text, "score": hit.score} for hit in hits]


def _stats_of(name: str, cache: Any) -> CacheStats:
    # The caches keep one CacheStats object for their lifetime (reset() zeroes it in place).
    stats = cache if isinstance(cache, CacheStats) else getattr(cache, "stats", None)
    if not isinstance(stats, CacheStats):
        raise ConfigError(f"cache {name!r} is neither a CacheStats nor has one at .stats")
    return stats


def _stats_dict(stats: CacheStats) -> dict[str, Any]:
    return {
        "hits": stats.hits,
        "misses": stats.misses,
        "corrupt": stats.corrupt,
        "lookups": stats.lookups,
        "hit_rate": stats.hit_rate,
    }
