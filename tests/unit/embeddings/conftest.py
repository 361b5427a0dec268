"""Shared fixtures: MiniLM built once per session into a temporary cache, and a tiny BERT."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from redisai_core.embeddings import (
    EmbeddingModel,
    EmbeddingModelSpec,
    OnnxRuntimeRunner,
    minilm_spec,
    prepare_model,
)

# A copy of ../shared/fixtures/minilm_reference.json, kept in the repo so a clean clone has it.
FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "minilm_reference.json"


@pytest.fixture(scope="session")
def reference() -> dict[str, object]:
    """The sentence-transformers reference vectors (shared/fixtures)."""
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def minilm_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("redisai-cache")


@pytest.fixture(scope="session")
def minilm(minilm_cache: Path) -> EmbeddingModelSpec:
    """The MiniLM spec; the graph is built once per session into a temporary cache."""
    return minilm_spec(cache=minilm_cache)


@pytest.fixture(scope="session")
def runner(minilm: EmbeddingModelSpec) -> OnnxRuntimeRunner:
    """One in-process ONNX Runtime session of MiniLM for the whole test session."""
    return OnnxRuntimeRunner(prepare_model(minilm), threads=2)


@pytest.fixture(scope="session")
def embedder(minilm: EmbeddingModelSpec, runner: OnnxRuntimeRunner) -> EmbeddingModel:
    """MiniLM through in-process ONNX Runtime."""
    return EmbeddingModel(minilm, runner)


def tiny_bert_weights(
    *, hidden: int = 8, heads: int = 2, layers: int = 2, inner: int = 16, vocab: int = 30522
) -> tuple[dict[str, np.ndarray], dict[str, object]]:
    """Random weights and a config.json body for a tiny BERT (same tensor names as MiniLM)."""
    rng = np.random.default_rng(7)

    def r(*shape: int) -> np.ndarray:
        return rng.normal(0, 0.5, shape).astype(np.float32)

    w = {
        "embeddings.word_embeddings.weight": r(vocab, hidden),
        "embeddings.position_embeddings.weight": r(512, hidden),
        "embeddings.token_type_embeddings.weight": r(2, hidden),
        "embeddings.LayerNorm.weight": 1 + r(hidden),
        "embeddings.LayerNorm.bias": r(hidden),
    }
    for i in range(layers):
        p = f"encoder.layer.{i}"
        for name in ("query", "key", "value"):
            w[f"{p}.attention.self.{name}.weight"] = r(hidden, hidden)
            w[f"{p}.attention.self.{name}.bias"] = r(hidden)
        w[f"{p}.attention.output.dense.weight"] = r(hidden, hidden)
        w[f"{p}.attention.output.dense.bias"] = r(hidden)
        w[f"{p}.attention.output.LayerNorm.weight"] = 1 + r(hidden)
        w[f"{p}.attention.output.LayerNorm.bias"] = r(hidden)
        w[f"{p}.intermediate.dense.weight"] = r(inner, hidden)
        w[f"{p}.intermediate.dense.bias"] = r(inner)
        w[f"{p}.output.dense.weight"] = r(hidden, inner)
        w[f"{p}.output.dense.bias"] = r(hidden)
        w[f"{p}.output.LayerNorm.weight"] = 1 + r(hidden)
        w[f"{p}.output.LayerNorm.bias"] = r(hidden)
    config = {
        "model_type": "bert",
        "hidden_size": hidden,
        "num_attention_heads": heads,
        "num_hidden_layers": layers,
        "intermediate_size": inner,
        "layer_norm_eps": 1e-12,
        "hidden_act": "gelu",
    }
    return w, config


@pytest.fixture
def tiny_model_dir(tmp_path: Path, minilm: EmbeddingModelSpec) -> Path:
    """A sentence-transformers-style directory holding a tiny random BERT and MiniLM's tokenizer."""
    from safetensors.numpy import save_file

    weights, config = tiny_bert_weights()
    root = tmp_path / "tiny-bert"
    (root / "1_Pooling").mkdir(parents=True)
    save_file(weights, str(root / "model.safetensors"))
    (root / "config.json").write_text(json.dumps(config))
    (root / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 16}))
    (root / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_mean_tokens": True}))
    modules = [{"type": "sentence_transformers.models.Normalize"}]
    (root / "modules.json").write_text(json.dumps(modules))
    (root / "tokenizer.json").write_bytes(minilm.tokenizer_path.read_bytes())
    return root
