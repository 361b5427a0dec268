"""Chunked batching: same vectors as one-by-one, input order kept, memory bounded."""

from __future__ import annotations

import numpy as np
import pytest

from redisai_core.embeddings import EmbeddingModel, EmbeddingModelSpec, OnnxRuntimeRunner
from redisai_core.errors import ConfigError, ModelExecutionError


def test_many_texts_in_batches_equal_one_by_one(
    embedder: EmbeddingModel, minilm: EmbeddingModelSpec, runner: OnnxRuntimeRunner
) -> None:
    texts = [f"{'word ' * (i % 23)}number {i} {'🚀' * (i % 3)}" for i in range(70)]
    batched = EmbeddingModel(minilm, runner, batch_size=16).embed(texts)
    for i in (0, 1, 15, 16, 17, 33, 50, 69):
        np.testing.assert_allclose(batched[i], embedder.embed_one(texts[i]), atol=2e-5)
    # Rows keep input order even though batches are grouped by length.
    assert not np.allclose(batched[1], batched[2], atol=1e-3)


def _fingerprint_runner(calls: list[tuple[int, int]]):
    """A fake model at the runner seam: each row's vector encodes its own token ids."""

    def run(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        calls.append(ids.shape)
        assert ids.dtype == np.int64 and mask.dtype == np.int64
        assert ids.shape == mask.shape
        lengths = mask.sum(axis=1)
        checksum = (ids * mask).sum(axis=1)
        return np.stack([lengths, checksum], axis=1).astype(np.float32)

    return run


def test_ten_thousand_texts_run_in_bounded_chunks(minilm: EmbeddingModelSpec) -> None:
    calls: list[tuple[int, int]] = []
    model = EmbeddingModel(minilm, _fingerprint_runner(calls), batch_size=64)
    # Mostly short texts plus some far over the window (tokenizing stays quick).
    texts = [f"text {i} " + "redis " * (300 if i % 97 == 0 else i % 20) for i in range(10_000)]
    out = model.embed(texts)
    assert out.shape == (10_000, 2)
    assert len(calls) == -(-10_000 // 64)
    # No call ever sees more than one chunk or more than the model window.
    assert max(rows for rows, _ in calls) == 64
    assert max(seq for _, seq in calls) == 256
    # Each row landed at its own input position.
    for i in (0, 1, 97, 300, 4_321, 9_999):
        ids, mask = model.tokenizer.encode([texts[i]])
        assert out[i, 0] == mask.sum()
        assert out[i, 1] == float((ids * mask).sum())


def test_length_grouping_keeps_padding_small(minilm: EmbeddingModelSpec) -> None:
    calls: list[tuple[int, int]] = []
    model = EmbeddingModel(minilm, _fingerprint_runner(calls), batch_size=4)
    model.embed(["a"] * 4 + ["word " * 100] * 4)
    assert sorted(seq for _, seq in calls) == [3, 102]


def test_wrong_output_shape_is_a_model_error(minilm: EmbeddingModelSpec) -> None:
    model = EmbeddingModel(minilm, lambda ids, mask: np.zeros((1, 3), np.float32), batch_size=8)
    with pytest.raises(ModelExecutionError, match="expected \\[batch, dim\\]"):
        model.embed(["a", "b"])


def test_batch_size_must_be_positive(minilm: EmbeddingModelSpec) -> None:
    with pytest.raises(ConfigError):
        EmbeddingModel(minilm, lambda ids, mask: ids, batch_size=0)
