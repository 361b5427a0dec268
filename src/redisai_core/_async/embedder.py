"""Embeddings computed by a model stored in Redis: one DAG round trip per batch.

Where inference runs follows the RedisAI client's executor: with the RedisAI module, inside
Redis; hosted, in this process with ONNX Runtime on a model kept in Redis keys. Tokenizing
(fast, CPU-bound, no I/O) always runs here.

The model is stored once per content hash under a versioned key and tag
(``<name>:<sha256[:12]>``); later runs, in any process, find it with one ``AI.MODELGET META``
and store nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from types import TracebackType

import numpy as np
import redis.asyncio

from ..embeddings._encoder import DEFAULT_BATCH_SIZE, EmbedFlow, embed_flow
from ..embeddings._minilm import minilm_spec
from ..embeddings._spec import ATTENTION_MASK, INPUT_IDS, OUTPUT_NAME, EmbeddingModelSpec
from ..embeddings._tokenize import TextTokenizer
from ..embeddings._wrap import prepare_model
from ..errors import ConfigError, KeyEmptyError, ModelExecutionError, RedisAIError
from ..keys import KeySpace
from .ai_client import AsyncRedisAIClient

__all__ = ["AsyncRedisAIEmbedder"]

# DAG-local tensor names: never written to the keyspace (no LOAD/PERSIST).
_IDS, _MASK, _OUT = INPUT_IDS, ATTENTION_MASK, OUTPUT_NAME


class AsyncRedisAIEmbedder:
    """Embeds texts with a model stored in Redis through the RedisAI client.

    Args:
        spec: the model; default all-MiniLM-L6-v2 (built and cached locally on first use).
        client: a RedisAI client to use (left open by :meth:`aclose`); otherwise one is made
            from ``redis_url`` / ``redis_client`` / ``executor``.
        redis_url: server URL (see :class:`AsyncRedisAIClient`).
        redis_client: a redis-py client (see :class:`AsyncRedisAIClient`).
        executor: ``"auto"``, ``"module"`` or ``"hosted"``.
        prefix: key prefix of the stored model (``<prefix>:<name>:<hash12>``).
        batch_size: texts per DAG round trip.
        device: RedisAI device of the stored model.

    Raises:
        ConfigError: ``batch_size`` is not positive, or bad connection arguments.
    """

    def __init__(
        self,
        spec: EmbeddingModelSpec | None = None,
        *,
        client: AsyncRedisAIClient | None = None,
        redis_url: str | None = None,
        redis_client: redis.asyncio.Redis | None = None,
        executor: str = "auto",
        prefix: str = "redisai:embed",
        batch_size: int = DEFAULT_BATCH_SIZE,
        device: str = "CPU",
    ) -> None:
        if batch_size < 1:
            raise ConfigError(f"batch_size must be >= 1, got {batch_size}")
        self.spec = spec or minilm_spec()
        self.batch_size = batch_size
        self.device = device
        self.tokenizer = TextTokenizer(
            self.spec.tokenizer_path, max_seq_length=self.spec.max_seq_length, strip=self.spec.strip
        )
        self._blob = prepare_model(self.spec)
        digest = hashlib.sha256(self._blob).hexdigest()[:12]
        self.tag = f"{self.spec.name}:{digest}"
        self.model_key = KeySpace(prefix).key(self.tag)
        self._owns_client = client is None
        self.client = client or AsyncRedisAIClient(
            redis_url, redis_client, executor=executor, prefix=prefix
        )
        self._stored = False

    async def ensure_model(self) -> bool:
        """Store the model unless Redis already holds this exact version.

        Returns:
            ``True`` if this call stored it, ``False`` if it was already there.

        Raises:
            ModelError: the server rejected the model.
            RedisConnectionError: Redis is unreachable.
        """
        if self._stored:
            return False
        try:
            meta = await self.client.modelget(self.model_key, meta_only=True)
            present = meta.get("tag") == self.tag
        except KeyEmptyError:
            present = False
        if not present:
            # Storing the same bytes twice (two processes racing here) is harmless.
            await self.client.modelstore(
                self.model_key, "ONNX", self.device, self._blob, tag=self.tag
            )
        self._stored = True
        return not present

    async def _run(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        dag = self.client.dag(routing=self.model_key)
        dag.tensorset(_IDS, input_ids).tensorset(_MASK, attention_mask)
        dag.modelexecute(self.model_key, [_IDS, _MASK], [_OUT]).tensorget(_OUT)
        results = await dag.execute()
        if isinstance(results, str):
            raise ModelExecutionError(f"embedding batch did not run: {results}")
        for result in results:
            if isinstance(result, RedisAIError):
                raise result
        vectors = results[-1]
        if not isinstance(vectors, np.ndarray):
            raise ModelExecutionError(f"embedding batch returned no tensor: {vectors!r}")
        return np.asarray(vectors, dtype=np.float32)

    async def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts, one DAG round trip per ``batch_size`` texts.

        Args:
            texts: the texts (validated before anything is sent).

        Returns:
            float32 ``[len(texts), dim]``, rows in input order.

        Raises:
            TypeError: ``texts`` is not a sequence of str.
            ConfigError: a text is not valid Unicode (a lone surrogate); nothing is sent.
            RedisAIError: storing or running the model failed.
        """
        flow: EmbedFlow = embed_flow(self.tokenizer, texts, self.batch_size)
        try:
            request = next(flow)  # validates every text first: nothing is sent on bad input
            await self.ensure_model()
            while True:
                request = flow.send(await self._run(*request))
        except StopIteration as stop:
            result: np.ndarray = stop.value
            return result

    async def embed_one(self, text: str) -> np.ndarray:
        """Embed one text; returns float32 ``[dim]``.

        Raises:
            TypeError: ``text`` is not a str.
        """
        if not isinstance(text, str):
            raise TypeError(f"text must be str, got {type(text).__name__}")
        vectors = await self.embed([text])
        vector: np.ndarray = vectors[0]
        return vector

    async def aclose(self) -> None:
        """Close the RedisAI client if this embedder made it."""
        if self._owns_client:
            await self.client.aclose()

    async def __aenter__(self) -> AsyncRedisAIEmbedder:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
