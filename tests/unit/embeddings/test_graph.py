"""The BERT graph builder against a plain numpy BERT, on a tiny random model."""

from __future__ import annotations

import math

import numpy as np
import pytest

from redisai_core.embeddings import BertConfig, OnnxRuntimeRunner, Pooling, build_bert_model
from redisai_core.errors import ConfigError

from .conftest import tiny_bert_weights

_erf = np.vectorize(math.erf)


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w + b


def numpy_bert(
    w: dict[str, np.ndarray], cfg: BertConfig, ids: np.ndarray, mask: np.ndarray
) -> np.ndarray:
    """Hugging Face BertModel's last hidden state, written out in float64 numpy."""
    w = {k: v.astype(np.float64) for k, v in w.items()}
    seq = ids.shape[1]
    x = (
        w["embeddings.word_embeddings.weight"][ids]
        + w["embeddings.position_embeddings.weight"][:seq]
        + w["embeddings.token_type_embeddings.weight"][0]
    )
    x = _layer_norm(
        x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], cfg.layer_norm_eps
    )
    heads, hd = cfg.num_attention_heads, cfg.hidden_size // cfg.num_attention_heads
    bias = (1.0 - mask[:, None, None, :]) * -1e30

    def lin(v: np.ndarray, p: str) -> np.ndarray:
        return v @ w[f"{p}.weight"].T + w[f"{p}.bias"]

    def split(v: np.ndarray) -> np.ndarray:
        return v.reshape(v.shape[0], seq, heads, hd).transpose(0, 2, 1, 3)

    for i in range(cfg.num_hidden_layers):
        p = f"encoder.layer.{i}"
        q, k, v = (split(lin(x, f"{p}.attention.self.{n}")) for n in ("query", "key", "value"))
        scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(hd) + bias
        probs = np.exp(scores - scores.max(-1, keepdims=True))
        probs /= probs.sum(-1, keepdims=True)
        ctx = (probs @ v).transpose(0, 2, 1, 3).reshape(x.shape)
        x = _layer_norm(
            lin(ctx, f"{p}.attention.output.dense") + x,
            w[f"{p}.attention.output.LayerNorm.weight"],
            w[f"{p}.attention.output.LayerNorm.bias"],
            cfg.layer_norm_eps,
        )
        h = lin(x, f"{p}.intermediate.dense")
        h = 0.5 * h * (1.0 + _erf(h / math.sqrt(2.0)))
        x = _layer_norm(
            lin(h, f"{p}.output.dense") + x,
            w[f"{p}.output.LayerNorm.weight"],
            w[f"{p}.output.LayerNorm.bias"],
            cfg.layer_norm_eps,
        )
    return x


def _config(raw: dict[str, object]) -> BertConfig:
    return BertConfig(
        hidden_size=int(raw["hidden_size"]),  # type: ignore[arg-type]
        num_attention_heads=int(raw["num_attention_heads"]),  # type: ignore[arg-type]
        num_hidden_layers=int(raw["num_hidden_layers"]),  # type: ignore[arg-type]
        intermediate_size=int(raw["intermediate_size"]),  # type: ignore[arg-type]
        layer_norm_eps=float(raw["layer_norm_eps"]),  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def tiny() -> tuple[dict[str, np.ndarray], BertConfig]:
    weights, raw = tiny_bert_weights(vocab=64)
    return weights, _config(raw)


@pytest.fixture(scope="module")
def batch() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    ids = rng.integers(0, 64, size=(3, 7)).astype(np.int64)
    mask = np.array([[1] * 7, [1] * 4 + [0] * 3, [1] * 2 + [0] * 5], dtype=np.int64)
    ids[mask == 0] = 0
    return ids, mask


@pytest.mark.parametrize("opset", [13, 17, 20])
@pytest.mark.parametrize("optimize", [True, False])
def test_mean_pooled_normalized_matches_numpy(tiny, batch, opset: int, optimize: bool) -> None:
    weights, cfg = tiny
    ids, mask = batch
    model = build_bert_model(weights, cfg, opset=opset)
    got = OnnxRuntimeRunner(model.SerializeToString(), threads=1, optimize=optimize)(ids, mask)
    hidden = numpy_bert(weights, cfg, ids, mask)
    m = mask[:, :, None].astype(np.float64)
    pooled = (hidden * m).sum(1) / m.sum(1)
    expected = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
    np.testing.assert_allclose(got, expected, atol=2e-5)


@pytest.mark.parametrize("pooling", [Pooling.MEAN, Pooling.CLS])
def test_fused_contrib_graph_matches_plain_graph(tiny, batch, pooling: Pooling) -> None:
    weights, cfg = tiny
    ids, mask = batch
    fused = build_bert_model(weights, cfg, fused=True, pooling=pooling)
    assert {op.domain for op in fused.opset_import} == {"", "com.microsoft"}
    assert {n.op_type for n in fused.graph.node} >= {
        "Attention",
        "SkipLayerNormalization",
        "BiasGelu",
    }
    plain = build_bert_model(weights, cfg, pooling=pooling)
    got = OnnxRuntimeRunner(fused.SerializeToString(), threads=1)(ids, mask)
    want = OnnxRuntimeRunner(plain.SerializeToString(), threads=1)(ids, mask)
    np.testing.assert_allclose(got, want, atol=2e-5)


def test_padding_does_not_change_a_row(tiny, batch) -> None:
    weights, cfg = tiny
    ids, mask = batch
    run = OnnxRuntimeRunner(build_bert_model(weights, cfg).SerializeToString(), threads=1)
    padded = run(ids, mask)[2]
    alone = run(ids[2:, :2], mask[2:, :2])[0]
    np.testing.assert_allclose(padded, alone, atol=1e-5)


def test_cls_pooling_without_normalization(tiny, batch) -> None:
    weights, cfg = tiny
    ids, mask = batch
    model = build_bert_model(weights, cfg, pooling=Pooling.CLS, normalize=False)
    got = OnnxRuntimeRunner(model.SerializeToString(), threads=1)(ids, mask)
    np.testing.assert_allclose(got, numpy_bert(weights, cfg, ids, mask)[:, 0], atol=2e-5)


def test_hf_prefixed_weight_names_are_accepted(tiny, batch) -> None:
    weights, cfg = tiny
    prefixed = {f"bert.{k}": v for k, v in weights.items()}
    ids, mask = batch
    a = OnnxRuntimeRunner(build_bert_model(prefixed, cfg).SerializeToString(), threads=1)
    b = OnnxRuntimeRunner(build_bert_model(weights, cfg).SerializeToString(), threads=1)
    np.testing.assert_allclose(a(ids, mask), b(ids, mask), atol=1e-6)


def test_missing_weight_is_a_config_error(tiny) -> None:
    weights, cfg = tiny
    broken = {k: v for k, v in weights.items() if "layer.1.output.dense" not in k}
    with pytest.raises(ConfigError, match=r"layer\.1\.output\.dense"):
        build_bert_model(broken, cfg)


def test_too_old_opset_is_refused(tiny) -> None:
    with pytest.raises(ConfigError, match="opset"):
        build_bert_model(*tiny, opset=11)


def test_config_file_checks(tmp_path) -> None:
    path = tmp_path / "config.json"
    path.write_text('{"model_type": "roberta"}')
    with pytest.raises(ConfigError, match="bert"):
        BertConfig.from_file(path)
    path.write_text('{"model_type": "bert", "hidden_act": "relu"}')
    with pytest.raises(ConfigError, match="hidden_act"):
        BertConfig.from_file(path)
