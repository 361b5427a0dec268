"""Texts longer than the model window are truncated exactly as sentence-transformers does."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from redisai_core.embeddings import EmbeddingModel, EmbeddingModelSpec

ST_REFERENCE = Path(__file__).parent / "data" / "st_truncation_reference.json"


def test_max_seq_length_comes_from_sentence_bert_config(minilm: EmbeddingModelSpec) -> None:
    assert minilm.max_seq_length == 256


def test_reference_texts_fill_the_window() -> None:
    # Vectors made by benchmarks/make_st_reference.py with sentence-transformers itself; every
    # text there reached the 256-token limit, so the next test exercises truncation.
    data = json.loads(ST_REFERENCE.read_text(encoding="utf-8"))
    assert all(count == 256 for count in data["token_counts"])


def test_long_texts_embed_like_reference(embedder: EmbeddingModel) -> None:
    data = json.loads(ST_REFERENCE.read_text(encoding="utf-8"))
    vectors = embedder.embed(data["sentences"])
    refs = np.asarray(data["embeddings"])
    cosines = (vectors * refs).sum(axis=1) / np.linalg.norm(refs, axis=1)
    assert cosines.min() >= 0.9999, cosines


def test_window_is_256_tokens_including_specials(embedder: EmbeddingModel) -> None:
    ids, mask = embedder.tokenizer.encode([" ".join(["cat"] * 1000), "short"])
    assert ids.shape == (2, 256)
    assert ids[0, 0] == 101 and ids[0, -1] == 102  # [CLS] ... [SEP] kept after truncation
    assert int(mask[1].sum()) == 3  # [CLS] short [SEP], then padding
    assert (ids[1, 3:] == 0).all()


def test_text_longer_than_window_embeds_as_its_truncation(embedder: EmbeddingModel) -> None:
    words = [f"w{i % 50}" for i in range(600)]
    long_text = " ".join(words)
    ids, _ = embedder.tokenizer.encode([long_text])
    kept = 256 - 2
    # Find the prefix of words that tokenizes to exactly the kept window.
    n = 1
    while embedder.tokenizer.encode([" ".join(words[:n])])[0].shape[1] - 2 < kept:
        n += 1
    prefix = " ".join(words[:n])
    assert (embedder.tokenizer.encode([prefix])[0] == ids).all()
    full, truncated, shorter = embedder.embed([long_text, prefix, " ".join(words[: n // 2])])
    np.testing.assert_allclose(full, truncated, atol=1e-5)
    # The comparison can fail: half the window gives a measurably different vector.
    assert not np.allclose(full, shorter, atol=1e-3)
