"""The build cache: keyed by content, built once, safe under concurrent builders."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from redisai_core.embeddings import (
    ENV_CACHE_DIR,
    EmbeddingModelSpec,
    _minilm,
    build_minilm,
    cache_dir,
)
from redisai_core.embeddings._cache import atomic_write, cached_build


@pytest.fixture
def build_counter(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts real graph builds by wrapping the builder the cache calls."""
    calls: list[int] = []
    real = _minilm.build_bert_model

    def counting(*args: object, **kwargs: object):
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(_minilm, "build_bert_model", counting)
    return calls


def test_second_build_reuses_the_cached_file(
    tiny_model_dir: Path, tmp_path: Path, build_counter: list[int]
) -> None:
    cache = tmp_path / "cache"
    first = build_minilm(model_dir=tiny_model_dir, cache=cache)
    stamp = first.stat().st_mtime_ns
    second = build_minilm(model_dir=tiny_model_dir, cache=cache)
    assert first == second
    assert build_counter == [1]
    assert second.stat().st_mtime_ns == stamp
    assert [p.name for p in cache.rglob("*") if p.is_file()] == [first.name]


def test_session_model_lives_in_the_session_cache(
    minilm: EmbeddingModelSpec, minilm_cache: Path, build_counter: list[int]
) -> None:
    assert minilm.model_path.parent == minilm_cache / "models"
    assert minilm.model_path.name.startswith("minilm-")
    # Asking again builds nothing.
    assert build_minilm(cache=minilm_cache) == minilm.model_path
    assert build_counter == []


def test_changed_weights_or_config_give_a_new_file(
    tiny_model_dir: Path, tmp_path: Path, build_counter: list[int]
) -> None:
    cache = tmp_path / "cache"
    first = build_minilm(model_dir=tiny_model_dir, cache=cache)
    config = json.loads((tiny_model_dir / "config.json").read_text())
    config["layer_norm_eps"] = 1e-5
    (tiny_model_dir / "config.json").write_text(json.dumps(config))
    second = build_minilm(model_dir=tiny_model_dir, cache=cache)
    assert second != first
    assert first.is_file() and second.is_file()
    assert len(build_counter) == 2


def test_opset_is_part_of_the_key(tiny_model_dir: Path, tmp_path: Path) -> None:
    assert build_minilm(model_dir=tiny_model_dir, cache=tmp_path, opset=13) != build_minilm(
        model_dir=tiny_model_dir, cache=tmp_path, opset=17
    )


def test_cache_dir_resolution(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(ENV_CACHE_DIR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "redisai-integrations"
    monkeypatch.setenv(ENV_CACHE_DIR, str(tmp_path / "env"))
    assert cache_dir() == tmp_path / "env"
    assert cache_dir(tmp_path / "explicit") == tmp_path / "explicit"


def test_concurrent_builders_never_expose_a_partial_file(tmp_path: Path) -> None:
    target = tmp_path / "models" / "m.onnx"
    payloads = [bytes([i]) * 200_000 for i in range(8)]
    seen: list[bytes] = []
    barrier = threading.Barrier(len(payloads))

    def builder(payload: bytes) -> None:
        barrier.wait()

        def build() -> bytes:
            time.sleep(0.01)
            return payload

        path = cached_build(target, build)
        seen.append(path.read_bytes())

    threads = [threading.Thread(target=builder, args=(p,)) for p in payloads]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    final = target.read_bytes()
    assert final in payloads
    assert all(s in payloads for s in seen)  # every reader saw one whole payload
    assert [p.name for p in target.parent.iterdir()] == ["m.onnx"]  # no temporaries left


def test_failed_build_leaves_nothing_behind(tmp_path: Path) -> None:
    target = tmp_path / "m.onnx"

    def broken() -> bytes:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        cached_build(target, broken)
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_replaces_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "f.bin"
    atomic_write(target, b"old contents that are longer")
    atomic_write(target, b"new")
    assert target.read_bytes() == b"new"
