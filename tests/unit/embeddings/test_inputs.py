"""Bad input is refused with TypeError before anything runs; edge inputs work."""

from __future__ import annotations

import numpy as np
import pytest

from redisai_core.embeddings import EmbeddingModel, check_texts


@pytest.mark.parametrize(
    "texts",
    [
        ["ok", None],
        ["ok", 1],
        [b"bytes"],
        [["nested"]],
        "a bare string",
        b"bytes",
        {"a": 1},
        42,
        None,
    ],
)
def test_non_string_input_raises_type_error(embedder: EmbeddingModel, texts: object) -> None:
    with pytest.raises(TypeError):
        embedder.embed(texts)  # type: ignore[arg-type]


def test_type_error_names_the_bad_position() -> None:
    with pytest.raises(TypeError, match=r"texts\[2\] must be str, got int"):
        check_texts(["a", "b", 3])


@pytest.mark.parametrize("text", [None, 3.5, b"x", ["x"]])
def test_embed_one_rejects_non_string(embedder: EmbeddingModel, text: object) -> None:
    with pytest.raises(TypeError):
        embedder.embed_one(text)  # type: ignore[arg-type]


def test_validation_happens_before_any_model_call(minilm) -> None:
    calls: list[int] = []

    def run(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        calls.append(len(ids))
        return np.ones((len(ids), 4), dtype=np.float32)

    model = EmbeddingModel(minilm, run, batch_size=2)
    with pytest.raises(TypeError):
        model.embed(["a", "b", "c", "d", None])  # type: ignore[list-item]
    assert calls == []


def test_empty_list_gives_empty_matrix(embedder: EmbeddingModel) -> None:
    out = embedder.embed([])
    assert out.shape[0] == 0
    assert out.dtype == np.float32


def test_tuples_and_other_sequences_are_accepted(embedder: EmbeddingModel) -> None:
    np.testing.assert_allclose(embedder.embed(("a", "b")), embedder.embed(["a", "b"]), atol=1e-6)
