"""The embedding logic, written once: validate, tokenize in chunks, run, reassemble.

:func:`embed_flow` is a plan, not a loop with I/O: a generator that yields each tokenized batch
and receives its vectors. The sync :class:`EmbeddingModel` drives it with any
``run(input_ids, attention_mask)`` callable (in-process ONNX Runtime, or a RedisAI round trip);
the async RedisAI embedder drives the same plan with ``await``.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence

import numpy as np

from ..errors import ConfigError, ModelExecutionError
from ._spec import EmbeddingModelSpec
from ._tokenize import TextTokenizer, check_texts

__all__ = ["DEFAULT_BATCH_SIZE", "EmbedFlow", "EmbeddingModel", "RunFn", "embed_flow", "run_flow"]

DEFAULT_BATCH_SIZE = 32

RunFn = Callable[[np.ndarray, np.ndarray], np.ndarray]
# Yields (input_ids, attention_mask), receives float32 [batch, dim], returns [len(texts), dim].
EmbedFlow = Generator[tuple[np.ndarray, np.ndarray], np.ndarray, np.ndarray]


def embed_flow(tokenizer: TextTokenizer, texts: Sequence[str], batch_size: int) -> EmbedFlow:
    """Plan the embedding of ``texts``: one yielded batch at a time, bounded memory.

    Args:
        tokenizer: the model's tokenizer.
        texts: the texts, validated before anything is yielded.
        batch_size: texts per model call.

    Returns:
        The float32 ``[len(texts), dim]`` matrix, rows in input order (``[0, 0]`` when empty).

    Raises:
        TypeError: ``texts`` is not a sequence of str.
        ModelExecutionError: the model returned vectors of the wrong shape.
    """
    checked = check_texts(texts)
    out: np.ndarray | None = None
    for rows, ids, mask in tokenizer.batches(checked, batch_size):
        vectors = yield ids, mask
        if vectors.ndim != 2 or vectors.shape[0] != len(rows):
            raise ModelExecutionError(
                f"the model returned shape {vectors.shape} for a batch of {len(rows)} texts; "
                "expected [batch, dim]"
            )
        if out is None:
            out = np.empty((len(checked), vectors.shape[1]), dtype=np.float32)
        out[rows] = vectors
    return out if out is not None else np.empty((0, 0), dtype=np.float32)


def run_flow(flow: EmbedFlow, run: RunFn) -> np.ndarray:
    """Drive a plan with a synchronous runner."""
    try:
        request = next(flow)
        while True:
            request = flow.send(run(*request))
    except StopIteration as stop:
        result: np.ndarray = stop.value
        return result


class EmbeddingModel:
    """Embeds texts with one model through any runner.

    Args:
        spec: the model; its tokenizer and truncation are used here.
        run: ``run(input_ids, attention_mask) -> float32 [batch, dim]`` for the prepared model.
        batch_size: texts per model call (memory holds one batch at a time).

    Raises:
        ConfigError: ``batch_size`` is not positive.
    """

    def __init__(
        self, spec: EmbeddingModelSpec, run: RunFn, *, batch_size: int = DEFAULT_BATCH_SIZE
    ) -> None:
        if batch_size < 1:
            raise ConfigError(f"batch_size must be >= 1, got {batch_size}")
        self.spec = spec
        self.batch_size = batch_size
        self.tokenizer = TextTokenizer(
            spec.tokenizer_path, max_seq_length=spec.max_seq_length, strip=spec.strip
        )
        self._run = run

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts.

        Args:
            texts: the texts.

        Returns:
            float32 ``[len(texts), dim]``, rows in input order.

        Raises:
            TypeError: ``texts`` is not a sequence of str.
            ModelExecutionError: the model misbehaved.
        """
        return run_flow(embed_flow(self.tokenizer, texts, self.batch_size), self._run)

    def embed_one(self, text: str) -> np.ndarray:
        """Embed one text; returns float32 ``[dim]``.

        Raises:
            TypeError: ``text`` is not a str.
        """
        if not isinstance(text, str):
            raise TypeError(f"text must be str, got {type(text).__name__}")
        vectors: np.ndarray = self.embed([text])[0]
        return vectors
