"""An in-process ONNX Runtime runner: ``run(input_ids, attention_mask) -> vectors``.

Used by tests, benchmarks and anyone embedding without Redis. The RedisAI embedder replaces it
with one DAG round trip per batch; the encoder logic is the same either way.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ._encoder import DEFAULT_BATCH_SIZE, EmbeddingModel
from ._minilm import minilm_spec
from ._spec import ATTENTION_MASK, INPUT_IDS, OUTPUT_NAME, EmbeddingModelSpec
from ._wrap import prepare_model

__all__ = ["OnnxRuntimeRunner", "local_model"]


class OnnxRuntimeRunner:
    """Runs a prepared embedding model (see :func:`~redisai_core.embeddings.prepare_model`).

    Args:
        model: the model file or its serialized bytes.
        threads: intra-op threads; default: every core ``os.cpu_count()`` reports.
        optimize: apply all of ONNX Runtime's graph optimisations (layer-norm, GELU and
            attention-pattern fusions); ``False`` runs the graph as written.

    Raises:
        ImportError: ``onnxruntime`` is not installed.
    """

    def __init__(
        self, model: bytes | Path, *, threads: int | None = None, optimize: bool = True
    ) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or os.cpu_count() or 1
        # One request at a time per session: inter-op parallelism only adds thread hand-offs.
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        # Idle worker threads sleep instead of spinning: on a machine shared with Redis and the
        # application, spinning threads steal the cores they wait for (measured slower here).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.graph_optimization_level = (
            ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            if optimize
            else ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        )
        source = str(model) if isinstance(model, Path) else model
        self._session = ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        """Embed one tokenized batch.

        Args:
            input_ids: int64 ``[batch, seq]``.
            attention_mask: int64 ``[batch, seq]``.

        Returns:
            float32 ``[batch, dim]``.
        """
        (out,) = self._session.run(
            [OUTPUT_NAME], {INPUT_IDS: input_ids, ATTENTION_MASK: attention_mask}
        )
        return np.asarray(out, dtype=np.float32)


def local_model(
    spec: EmbeddingModelSpec | None = None,
    *,
    threads: int | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    optimize: bool = True,
) -> EmbeddingModel:
    """An embedder that runs the model in this process with ONNX Runtime.

    Args:
        spec: the model; default: all-MiniLM-L6-v2 (built and cached on first use).
        threads: intra-op threads (see :class:`OnnxRuntimeRunner`).
        batch_size: texts per model call.
        optimize: see :class:`OnnxRuntimeRunner`.

    Returns:
        The embedder.

    Raises:
        ImportError: ``onnxruntime`` or the MiniLM package is missing.
        ConfigError: the model cannot be prepared.
    """
    spec = spec or minilm_spec()
    # A prepared file is handed to ONNX Runtime by path: loading from bytes keeps a second
    # copy of the weights alive (about 120 MiB more peak memory for MiniLM).
    model = spec.model_path if spec.prepared else prepare_model(spec)
    runner = OnnxRuntimeRunner(model, threads=threads, optimize=optimize)
    return EmbeddingModel(spec, runner, batch_size=batch_size)
