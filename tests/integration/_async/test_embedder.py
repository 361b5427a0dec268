"""MiniLM stored in Redis and run through the RedisAI client (hosted executor here: no module).

Written once for asyncio; ``scripts/unasync.py`` generates the sync twin in ``_sync/``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import redis.asyncio

from redisai_core import AsyncRedisAIClient, KeyEmptyError, KeySpace
from redisai_core._async.embedder import AsyncRedisAIEmbedder
from redisai_core.embeddings import EmbeddingModelSpec, minilm_spec

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "minilm_reference.json"


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> EmbeddingModelSpec:
    return minilm_spec(cache=tmp_path_factory.mktemp("cache"))


@pytest.fixture
async def ai_client(async_client: redis.asyncio.Redis, keyspace: KeySpace):
    client = AsyncRedisAIClient(
        redis_client=async_client, executor="hosted", prefix=keyspace.prefix
    )
    yield client
    await client.aclose()


@pytest.fixture
async def embedder(spec: EmbeddingModelSpec, ai_client: AsyncRedisAIClient, keyspace: KeySpace):
    async with AsyncRedisAIEmbedder(spec, client=ai_client, prefix=keyspace.key("embed")) as emb:
        yield emb


async def test_reference_sentences_through_redis(embedder: AsyncRedisAIEmbedder) -> None:
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    vectors = await embedder.embed(data["sentences"])
    refs = np.asarray(data["embeddings"])
    cosines = (vectors * refs).sum(axis=1) / np.linalg.norm(refs, axis=1)
    assert cosines.min() >= 0.9999, cosines
    one = await embedder.embed_one(data["sentences"][0])
    np.testing.assert_allclose(one, vectors[0], atol=1e-5)


async def test_model_is_stored_once_per_content_hash(
    spec: EmbeddingModelSpec, ai_client: AsyncRedisAIClient, keyspace: KeySpace
) -> None:
    first = AsyncRedisAIEmbedder(spec, client=ai_client, prefix=keyspace.key("embed"))
    assert first.tag.startswith("minilm:") and len(first.tag) == len("minilm:") + 12
    assert first.model_key.endswith(first.tag)
    assert await first.ensure_model() is True
    assert await first.ensure_model() is False
    # A new embedder (another process, say) finds the same version and stores nothing.
    second = AsyncRedisAIEmbedder(spec, client=ai_client, prefix=keyspace.key("embed"))
    assert second.model_key == first.model_key
    assert await second.ensure_model() is False
    meta = await ai_client.modelget(first.model_key, meta_only=True)
    assert meta["tag"] == first.tag
    assert meta["backend"] == "ONNX"


async def test_one_dag_round_trip_per_batch(
    spec: EmbeddingModelSpec,
    ai_client: AsyncRedisAIClient,
    keyspace: KeySpace,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    emb = AsyncRedisAIEmbedder(spec, client=ai_client, prefix=keyspace.key("embed"), batch_size=8)
    await emb.ensure_model()
    dags = []
    real_dag = ai_client.dag

    def counting_dag(*args, **kwargs):
        dag = real_dag(*args, **kwargs)
        dags.append((kwargs, dag))
        return dag

    monkeypatch.setattr(ai_client, "dag", counting_dag)
    texts = [f"text number {i} " + "word " * i for i in range(20)]
    vectors = await emb.embed(texts)
    assert vectors.shape == (20, 384)
    assert len(dags) == 3  # ceil(20 / 8): one AI.DAGEXECUTE per batch
    assert all(kwargs == {"routing": emb.model_key} for kwargs, _ in dags)
    # Each DAG is the whole batch: set ids and mask, run the model, get the vectors.
    assert [type(op).__name__ for op in dags[0][1]._ops] == [
        "TensorSetOp",
        "TensorSetOp",
        "ModelExecuteOp",
        "TensorGetOp",
    ]
    np.testing.assert_allclose(vectors[5], await emb.embed_one(texts[5]), atol=1e-5)


async def test_bad_input_sends_nothing(
    spec: EmbeddingModelSpec, ai_client: AsyncRedisAIClient, keyspace: KeySpace
) -> None:
    emb = AsyncRedisAIEmbedder(spec, client=ai_client, prefix=keyspace.key("embed"))
    with pytest.raises(TypeError):
        await emb.embed(["fine", 42])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        await emb.embed_one(None)  # type: ignore[arg-type]
    with pytest.raises(KeyEmptyError):
        await ai_client.modelget(emb.model_key, meta_only=True)


async def test_empty_input_needs_no_server(embedder: AsyncRedisAIEmbedder) -> None:
    assert (await embedder.embed([])).shape[0] == 0
