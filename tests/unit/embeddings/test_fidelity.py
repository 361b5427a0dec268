"""MiniLM built from safetensors matches sentence-transformers' reference vectors."""

from __future__ import annotations

from typing import Any

import numpy as np

from redisai_core.embeddings import (
    EmbeddingModel,
    EmbeddingModelSpec,
    local_model,
    minilm_spec,
)

MIN_COSINE = 0.9999


def _cosines(vectors: np.ndarray, refs: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1) * np.linalg.norm(refs, axis=1)
    cosines: np.ndarray = (vectors * refs).sum(axis=1) / norms
    return cosines


def test_fixture_covers_the_hard_cases(reference: dict[str, Any]) -> None:
    sentences = reference["sentences"]
    assert "" in sentences
    assert any(s and not s.strip() for s in sentences)
    assert any(len(s) > 1000 for s in sentences)
    assert any(ord(c) > 0x1F000 for s in sentences for c in s)  # emoji


def test_every_reference_sentence_one_by_one(
    embedder: EmbeddingModel, reference: dict[str, Any]
) -> None:
    refs = np.asarray(reference["embeddings"], dtype=np.float64)
    for sentence, ref in zip(reference["sentences"], refs, strict=True):
        vector = embedder.embed_one(sentence)
        assert vector.shape == (384,)
        assert vector.dtype == np.float32
        cosine = _cosines(vector[None, :], ref[None, :])[0]
        assert cosine >= MIN_COSINE, (sentence[:60], cosine)


def test_every_reference_sentence_in_one_batch(
    embedder: EmbeddingModel, reference: dict[str, Any]
) -> None:
    vectors = embedder.embed(reference["sentences"])
    refs = np.asarray(reference["embeddings"], dtype=np.float64)
    assert vectors.shape == refs.shape
    cosines = _cosines(vectors, refs)
    assert cosines.min() >= MIN_COSINE, cosines
    # Normalisation happens inside the graph.
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_unrelated_sentences_are_not_near(embedder: EmbeddingModel) -> None:
    # Guards the cosine check itself: a wrong graph that maps everything alike would fail here.
    cat, feline, sql = embedder.embed(
        ["The cat sat on the mat.", "A feline rested on the rug.", "SELECT * FROM users"]
    )
    assert float(cat @ feline) > float(cat @ sql) + 0.2


def test_unoptimized_session_matches_too(
    minilm: EmbeddingModelSpec, reference: dict[str, Any]
) -> None:
    # ORT's fusions (LayerNorm, GELU, attention) must not be what makes the graph correct.
    plain = local_model(minilm, threads=1, optimize=False)
    vectors = plain.embed(reference["sentences"][:5])
    refs = np.asarray(reference["embeddings"][:5])
    assert _cosines(vectors, refs).min() >= MIN_COSINE


def test_opset_13_build_matches(minilm_cache: Any, reference: dict[str, Any]) -> None:
    # Below opset 17 LayerNormalization is decomposed; older runtimes (RedisAI's) need this.
    spec = minilm_spec(cache=minilm_cache, opset=13)
    assert spec.model_path != minilm_spec(cache=minilm_cache).model_path
    vectors = local_model(spec, threads=2).embed(reference["sentences"])
    refs = np.asarray(reference["embeddings"])
    assert _cosines(vectors, refs).min() >= MIN_COSINE
