"""How an ONNX sentence-embedding model is described: a small frozen spec. Pure; no I/O."""

from __future__ import annotations

import dataclasses
import enum
from pathlib import Path

from ..errors import ConfigError

__all__ = ["ATTENTION_MASK", "INPUT_IDS", "OUTPUT_NAME", "EmbeddingModelSpec", "Pooling"]

# The one interface every prepared embedding model has: two int64 [batch, seq] inputs and this
# float32 [batch, dim] output. Runners and the RedisAI embedder rely on these names.
INPUT_IDS = "input_ids"
ATTENTION_MASK = "attention_mask"
OUTPUT_NAME = "sentence_embedding"


class Pooling(str, enum.Enum):
    """How token vectors become one sentence vector.

    ``MEAN`` averages the tokens under the attention mask (sentence-transformers' mean pooling),
    ``CLS`` takes the first token, ``NONE`` means the model's output is already one vector per
    sentence.
    """

    MEAN = "mean"
    CLS = "cls"
    NONE = "none"


@dataclasses.dataclass(frozen=True, kw_only=True)
class EmbeddingModelSpec:
    """A sentence-embedding model: an ONNX file, its ``tokenizer.json``, and what to add to it.

    ``pooling`` and ``normalize`` say what :func:`~redisai_core.embeddings.prepare_model` appends
    to the raw graph; a graph that already pools and normalises (such as the built MiniLM) uses
    ``Pooling.NONE`` and ``normalize=False``.

    Args:
        name: short model name, used in the stored model's tag (``<name>:<hash12>``).
        model_path: the ONNX file.
        tokenizer_path: the Hugging Face ``tokenizer.json``.
        pooling: pooling to add after the model's output.
        normalize: add L2 normalisation (``x / max(||x||, 1e-12)``, as torch does).
        max_seq_length: truncate to this many tokens, special tokens included.
        input_ids_name: the model's token-id input.
        attention_mask_name: the model's attention-mask input.
        token_type_ids_name: if the model has this input it is fed zeros inside the graph, as
            for single sentences; the prepared model then has only the two inputs above.
        output_name: the model output to pool; ``None`` takes the first.
        strip: strip surrounding whitespace before tokenizing, as sentence-transformers does.
        prepared: the file already has the canonical interface (``input_ids``,
            ``attention_mask`` -> ``sentence_embedding``, pooled and normalised as wanted), as
            the built MiniLM does; it is then used byte for byte, without wrapping.

    Raises:
        ConfigError: a name is empty or ``max_seq_length`` is not positive.
    """

    name: str
    model_path: Path
    tokenizer_path: Path
    pooling: Pooling = Pooling.MEAN
    normalize: bool = True
    max_seq_length: int = 512
    input_ids_name: str = INPUT_IDS
    attention_mask_name: str = ATTENTION_MASK
    token_type_ids_name: str | None = "token_type_ids"  # noqa: S105 - a tensor name, not a secret
    output_name: str | None = None
    strip: bool = True
    prepared: bool = False

    def __post_init__(self) -> None:
        if not self.name or not self.input_ids_name or not self.attention_mask_name:
            raise ConfigError("name, input_ids_name and attention_mask_name must not be empty")
        if self.max_seq_length < 1:
            raise ConfigError(f"max_seq_length must be >= 1, got {self.max_seq_length}")
        # Accept plain strings and str-valued enums from callers; store the canonical types.
        object.__setattr__(self, "pooling", Pooling(self.pooling))
        object.__setattr__(self, "model_path", Path(self.model_path))
        object.__setattr__(self, "tokenizer_path", Path(self.tokenizer_path))
