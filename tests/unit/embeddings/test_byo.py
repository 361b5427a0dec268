"""Bring your own model: any ONNX token model plus tokenizer.json, with pooling options."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from redisai_core.embeddings import (
    OUTPUT_NAME,
    EmbeddingModelSpec,
    OnnxRuntimeRunner,
    Pooling,
    local_model,
    prepare_model,
)
from redisai_core.errors import ConfigError

VOCAB, DIM = 30522, 6
rng = np.random.default_rng(11)
TABLE = rng.normal(size=(VOCAB, DIM)).astype(np.float32)
TYPES = rng.normal(size=(2, DIM)).astype(np.float32)


def token_model(
    path: Path,
    *,
    opset: int = 17,
    ids: str = "input_ids",
    mask: str = "attention_mask",
    token_types: str | None = "token_type_ids",
    output: str = "last_hidden_state",
    out_type: int = TensorProto.FLOAT,
    extra_input: str | None = None,
) -> Path:
    """A toy 'transformer': token vector = TABLE[id] + TYPES[type]; mask input is accepted."""
    inits = [numpy_helper.from_array(TABLE, "table"), numpy_helper.from_array(TYPES, "types")]
    nodes = [helper.make_node("Gather", ["table", ids], ["words"], axis=0)]
    inputs = [
        helper.make_tensor_value_info(ids, TensorProto.INT64, ["b", "s"]),
        helper.make_tensor_value_info(mask, TensorProto.INT64, ["b", "s"]),
    ]
    last = "words"
    if token_types:
        inputs.append(helper.make_tensor_value_info(token_types, TensorProto.INT64, ["b", "s"]))
        nodes.append(helper.make_node("Gather", ["types", token_types], ["typed"], axis=0))
        nodes.append(helper.make_node("Add", ["words", "typed"], ["summed"]))
        last = "summed"
    if extra_input:
        inputs.append(helper.make_tensor_value_info(extra_input, TensorProto.FLOAT, ["b"]))
    if out_type != TensorProto.FLOAT:
        nodes.append(helper.make_node("Cast", [last], [output], to=out_type))
    else:
        nodes.append(helper.make_node("Identity", [last], [output]))
    graph = helper.make_graph(
        nodes,
        "toy",
        inputs,
        [helper.make_tensor_value_info(output, out_type, ["b", "s", DIM])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def expected(ids: np.ndarray, mask: np.ndarray, pooling: Pooling, normalize: bool) -> np.ndarray:
    tokens = TABLE[ids] + TYPES[0]
    if pooling is Pooling.MEAN:
        m = mask[:, :, None]
        out = (tokens * m).sum(1) / m.sum(1)
    else:
        out = tokens[:, 0]
    if normalize:
        out = out / np.linalg.norm(out, axis=1, keepdims=True)
    return out


@pytest.fixture
def ids_mask() -> tuple[np.ndarray, np.ndarray]:
    ids = np.array([[101, 2000, 3000, 102], [101, 4000, 102, 0]], dtype=np.int64)
    return ids, np.array([[1, 1, 1, 1], [1, 1, 1, 0]], dtype=np.int64)


def _spec(path: Path, tokenizer: Path, **kw: object) -> EmbeddingModelSpec:
    return EmbeddingModelSpec(name="toy", model_path=path, tokenizer_path=tokenizer, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("opset", [11, 13, 17, 18])
@pytest.mark.parametrize(
    ("pooling", "normalize"), [(Pooling.MEAN, True), (Pooling.MEAN, False), (Pooling.CLS, True)]
)
def test_pooling_and_normalization_options(
    tmp_path, minilm, ids_mask, opset: int, pooling: Pooling, normalize: bool
) -> None:
    path = token_model(tmp_path / "toy.onnx", opset=opset)
    spec = _spec(path, minilm.tokenizer_path, pooling=pooling, normalize=normalize)
    got = OnnxRuntimeRunner(prepare_model(spec), threads=1)(*ids_mask)
    np.testing.assert_allclose(got, expected(*ids_mask, pooling, normalize), rtol=1e-5, atol=1e-6)


def test_token_types_are_fed_as_zeros(tmp_path, minilm, ids_mask) -> None:
    path = token_model(tmp_path / "toy.onnx")
    spec = _spec(path, minilm.tokenizer_path, pooling="cls", normalize=False)
    got = OnnxRuntimeRunner(prepare_model(spec), threads=1)(*ids_mask)
    np.testing.assert_allclose(got, TABLE[ids_mask[0][:, 0]] + TYPES[0], rtol=1e-6)
    assert not np.allclose(got, TABLE[ids_mask[0][:, 0]] + TYPES[1])


def test_own_input_names_and_colliding_output_name(tmp_path, minilm, ids_mask) -> None:
    # A model that already calls its output "sentence_embedding" and names inputs its own way.
    path = token_model(
        tmp_path / "toy.onnx", ids="ids", mask="mask", token_types=None, output=OUTPUT_NAME
    )
    spec = _spec(path, minilm.tokenizer_path, input_ids_name="ids", attention_mask_name="mask")
    got = OnnxRuntimeRunner(prepare_model(spec), threads=1)(*ids_mask)
    tokens = TABLE[ids_mask[0]]
    m = ids_mask[1][:, :, None]
    pooled = (tokens * m).sum(1) / m.sum(1)
    np.testing.assert_allclose(
        got, pooled / np.linalg.norm(pooled, axis=1, keepdims=True), rtol=1e-5
    )


def test_half_precision_output_is_cast_to_float32(tmp_path, minilm, ids_mask) -> None:
    path = token_model(tmp_path / "toy.onnx", out_type=TensorProto.FLOAT16)
    got = OnnxRuntimeRunner(prepare_model(_spec(path, minilm.tokenizer_path)), threads=1)(*ids_mask)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, expected(*ids_mask, Pooling.MEAN, True), atol=2e-3)


def test_pooling_none_uses_an_already_pooled_output(tmp_path, minilm, ids_mask) -> None:
    # Pool first with our own wrapper, then treat that model as one that already pools.
    pooled = tmp_path / "pooled.onnx"
    pooled.write_bytes(
        prepare_model(
            _spec(token_model(tmp_path / "toy.onnx"), minilm.tokenizer_path, normalize=False)
        )
    )
    spec = _spec(pooled, minilm.tokenizer_path, pooling=Pooling.NONE, normalize=True)
    got = OnnxRuntimeRunner(prepare_model(spec), threads=1)(*ids_mask)
    np.testing.assert_allclose(got, expected(*ids_mask, Pooling.MEAN, True), rtol=1e-5, atol=1e-6)


def test_end_to_end_with_tokenizer(tmp_path, minilm) -> None:
    spec = _spec(token_model(tmp_path / "toy.onnx"), minilm.tokenizer_path, max_seq_length=5)
    model = local_model(spec, threads=1, batch_size=2)
    vectors = model.embed(["hello world", "a much longer text than five tokens", ""])
    assert vectors.shape == (3, DIM)
    ids, mask = model.tokenizer.encode(["a much longer text than five tokens"])
    assert ids.shape == (1, 5)
    np.testing.assert_allclose(vectors[1], expected(ids, mask, Pooling.MEAN, True)[0], rtol=1e-5)


@pytest.mark.parametrize(
    ("kwargs", "model_kwargs", "match"),
    [
        ({"input_ids_name": "nope"}, {}, "no input 'nope'"),
        ({}, {"extra_input": "pixel_values"}, "cannot feed"),
        ({"output_name": "pooler_output"}, {}, "no output 'pooler_output'"),
    ],
)
def test_unusable_models_are_config_errors(tmp_path, minilm, kwargs, model_kwargs, match) -> None:
    path = token_model(tmp_path / "toy.onnx", **model_kwargs)
    with pytest.raises(ConfigError, match=match):
        prepare_model(_spec(path, minilm.tokenizer_path, **kwargs))


def test_garbage_file_is_a_config_error(tmp_path, minilm) -> None:
    path = tmp_path / "garbage.onnx"
    path.write_bytes(b"\x00not a model at all" * 10)
    with pytest.raises(ConfigError, match="not a valid ONNX model"):
        prepare_model(_spec(path, minilm.tokenizer_path))


def test_spec_is_frozen_and_validated(tmp_path) -> None:
    spec = EmbeddingModelSpec(name="x", model_path="m.onnx", tokenizer_path="t.json", pooling="cls")  # type: ignore[arg-type]
    assert spec.pooling is Pooling.CLS
    assert spec.model_path == Path("m.onnx")
    with pytest.raises(AttributeError):
        spec.name = "y"  # type: ignore[misc]
    with pytest.raises(ConfigError):
        EmbeddingModelSpec(name="x", model_path="m", tokenizer_path="t", max_seq_length=0)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        EmbeddingModelSpec(name="x", model_path="m", tokenizer_path="t", pooling="max")  # type: ignore[arg-type]
