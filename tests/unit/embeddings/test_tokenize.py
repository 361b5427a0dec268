"""The tokenizer wrapper: sentence-transformers' truncation and padding, from any tokenizer.json."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from tokenizers import Tokenizer, models, pre_tokenizers

from redisai_core.embeddings import EmbeddingModelSpec, TextTokenizer


def _word_level(tmp_path: Path, vocab: dict[str, int]) -> Path:
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    path = tmp_path / "tokenizer.json"
    tok.save(str(path))
    return path


def test_file_settings_are_replaced_by_sentence_transformers_ones(
    minilm: EmbeddingModelSpec,
) -> None:
    # MiniLM's tokenizer.json says: truncate at 128 and pad to a fixed 128.
    tok = TextTokenizer(minilm.tokenizer_path, max_seq_length=256)
    ids, mask = tok.encode(["hello", "hello world"])
    assert ids.shape == (2, 4)  # padded to the longest of the batch, not to 128
    assert ids.dtype == np.int64 and mask.dtype == np.int64
    assert mask.tolist() == [[1, 1, 1, 0], [1, 1, 1, 1]]
    assert tok.encode(["word " * 200])[0].shape == (1, 202)  # beyond the file's 128


def test_strip_follows_the_spec(minilm: EmbeddingModelSpec, tmp_path: Path) -> None:
    path = _word_level(tmp_path, {"<unk>": 0, "<pad>": 1, "a": 2})
    assert TextTokenizer(path, max_seq_length=8).encode(["  a  "])[0].tolist() == [[2]]


def test_pad_token_found_in_vocab_when_file_has_no_padding(tmp_path: Path) -> None:
    path = _word_level(tmp_path, {"<unk>": 0, "<pad>": 1, "a": 2, "b": 3})
    ids, mask = TextTokenizer(path, max_seq_length=8).encode(["a b a", "b"])
    assert ids.tolist() == [[2, 3, 2], [3, 1, 1]]
    assert mask.tolist() == [[1, 1, 1], [1, 0, 0]]


def test_batches_cover_every_text_once(minilm: EmbeddingModelSpec) -> None:
    tok = TextTokenizer(minilm.tokenizer_path, max_seq_length=256)
    texts = [f"t{i} " * (i % 5) for i in range(11)]
    seen = []
    for rows, ids, mask in tok.batches(texts, 4):
        assert len(rows) == ids.shape[0] == mask.shape[0] <= 4
        seen.extend(int(r) for r in rows)
    assert sorted(seen) == list(range(11))
