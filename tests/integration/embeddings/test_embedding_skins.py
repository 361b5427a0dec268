"""LangChain and LlamaIndex embedding skins over the RedisAI embedder (hosted executor here)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from langchain_tests.integration_tests import EmbeddingsIntegrationTests
from langchain_tests.unit_tests import EmbeddingsUnitTests

from langchain_redisai import RedisAIEmbeddings
from llamaindex_redisai import RedisAIEmbedding

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "minilm_reference.json"


def _reference() -> list[tuple[str, np.ndarray]]:
    data: Any = json.loads(FIXTURE.read_text())
    return [
        (text, np.asarray(vector, dtype=np.float32))
        for text, vector in zip(data["sentences"], data["embeddings"], strict=True)
    ]


def _cos(a: Any, b: np.ndarray) -> float:
    va = np.asarray(a, dtype=np.float64)
    return float(va @ b / (np.linalg.norm(va) * np.linalg.norm(b)))


class TestLangChainEmbeddingsUnit(EmbeddingsUnitTests):
    @property
    def embeddings_class(self) -> type[RedisAIEmbeddings]:
        return RedisAIEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        # Construction must not connect: a URL nobody listens on is fine here.
        return {"redis_url": "redis://127.0.0.1:1/0", "executor": "hosted"}


class TestLangChainEmbeddingsIntegration(EmbeddingsIntegrationTests):
    @pytest.fixture(autouse=True)
    def _server(self, redis_env: str) -> None:
        """Point REDIS_URL at the test server (the suite builds the model itself)."""

    @property
    def embeddings_class(self) -> type[RedisAIEmbeddings]:
        return RedisAIEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"executor": "hosted"}

    @pytest.fixture
    async def model(self) -> AsyncIterator[RedisAIEmbeddings]:  # type: ignore[override]
        """The suite's model, closed afterwards (its asyncio connections must not leak)."""
        embeddings = RedisAIEmbeddings(**self.embedding_model_params)
        yield embeddings
        await embeddings.aclose()


def test_langchain_fidelity_sync_and_async(redis_url: str) -> None:
    reference = _reference()
    embeddings = RedisAIEmbeddings(redis_url=redis_url, executor="hosted")
    texts = [text for text, _ in reference]
    vectors = embeddings.embed_documents(texts)
    for (text, expected), got in zip(reference, vectors, strict=True):
        assert _cos(got, expected) >= 0.9999, text
    assert _cos(embeddings.embed_query(texts[0]), reference[0][1]) >= 0.9999
    embeddings.close()


async def test_langchain_native_async(redis_url: str) -> None:
    reference = _reference()[:3]
    embeddings = RedisAIEmbeddings(redis_url=redis_url, executor="hosted")
    vectors = await embeddings.aembed_documents([text for text, _ in reference])
    for (_, expected), got in zip(reference, vectors, strict=True):
        assert _cos(got, expected) >= 0.9999
    query = await embeddings.aembed_query(reference[0][0])
    assert len(query) == 384
    await embeddings.aclose()


def test_langchain_rejects_non_strings(redis_url: str) -> None:
    embeddings = RedisAIEmbeddings(redis_url=redis_url, executor="hosted")
    with pytest.raises(TypeError):
        embeddings.embed_documents(["ok", 3])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        embeddings.embed_query(None)  # type: ignore[arg-type]
    embeddings.close()


def test_llamaindex_batches_by_embed_batch_size(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = _reference()
    embedding = RedisAIEmbedding(redis_url=redis_url, executor="hosted", embed_batch_size=2)
    sizes: list[int] = []
    original = embedding._get_text_embeddings

    def spy(texts: list[str]) -> list[list[float]]:
        sizes.append(len(texts))
        return original(texts)

    monkeypatch.setattr(embedding, "_get_text_embeddings", spy)
    texts = [text for text, _ in reference[:5]]
    vectors = embedding.get_text_embedding_batch(texts)
    assert sizes == [2, 2, 1]
    for (_, expected), got in zip(reference[:5], vectors, strict=True):
        assert _cos(got, expected) >= 0.9999
    assert _cos(embedding.get_query_embedding(texts[1]), reference[1][1]) >= 0.9999
    embedding.close()


async def test_llamaindex_async(redis_url: str) -> None:
    reference = _reference()[:4]
    embedding = RedisAIEmbedding(redis_url=redis_url, executor="hosted", embed_batch_size=3)
    vectors = await embedding.aget_text_embedding_batch([text for text, _ in reference])
    for (_, expected), got in zip(reference, vectors, strict=True):
        assert _cos(got, expected) >= 0.9999
    assert _cos(await embedding.aget_query_embedding(reference[0][0]), reference[0][1]) >= 0.9999
    assert _cos(await embedding.aget_text_embedding(reference[2][0]), reference[2][1]) >= 0.9999
    await embedding.aclose()
