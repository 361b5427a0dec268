"""Tokenize texts with a Hugging Face ``tokenizer.json``, the way sentence-transformers does.

sentence-transformers strips each text, then calls the tokenizer with ``truncation=True`` and
``max_length=max_seq_length`` (special tokens included) and pads to the longest text of the
batch. The ``truncation``/``padding`` settings saved inside ``tokenizer.json`` (MiniLM's says a
fixed 128) are therefore replaced here, exactly as the Python tokenizer call overrides them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer

from ..errors import ConfigError

__all__ = ["TextTokenizer", "check_texts"]


def check_texts(texts: object) -> list[str]:
    """Validate a batch of texts.

    Args:
        texts: a sequence of strings.

    Returns:
        The texts as a list.

    Raises:
        TypeError: ``texts`` is a bare string, not a sequence, or holds a non-string.
        ConfigError: a text is not valid Unicode (it holds a lone surrogate), which the
            tokenizer cannot take.
    """
    if isinstance(texts, (str, bytes)):
        # A bare string is a sequence of characters: embedding each character is never meant.
        raise TypeError("texts must be a sequence of str, not a single str; wrap it in a list")
    if not isinstance(texts, Sequence):
        raise TypeError(f"texts must be a sequence of str, got {type(texts).__name__}")
    out = list(texts)
    for i, text in enumerate(out):
        if not isinstance(text, str):
            raise TypeError(f"texts[{i}] must be str, got {type(text).__name__}")
        if not text.isascii():  # the cheap common case skips the encode
            try:
                text.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise ConfigError(f"texts[{i}] is not valid Unicode: {exc.reason}") from exc
    return out


def _pad_token(tokenizer: Tokenizer) -> tuple[int, str]:
    """The padding token the file declares, else a conventional one it knows, else id 0."""
    if tokenizer.padding:
        return int(tokenizer.padding["pad_id"]), str(tokenizer.padding["pad_token"])
    for token in ("[PAD]", "<pad>"):
        token_id = tokenizer.token_to_id(token)
        if token_id is not None:
            return token_id, token
    return 0, "[PAD]"


class TextTokenizer:
    """Turns texts into padded int64 ``input_ids`` and ``attention_mask`` arrays.

    Args:
        tokenizer_path: the ``tokenizer.json`` file.
        max_seq_length: truncate to this many tokens, special tokens included.
        strip: strip surrounding whitespace first (sentence-transformers does).
    """

    def __init__(self, tokenizer_path: Path, *, max_seq_length: int, strip: bool = True) -> None:
        tokenizer = Tokenizer.from_file(str(tokenizer_path))
        tokenizer.enable_truncation(max_length=max_seq_length)
        pad_id, pad_token = _pad_token(tokenizer)
        tokenizer.enable_padding(pad_id=pad_id, pad_token=pad_token)  # pad to the longest
        self._tokenizer = tokenizer
        self.max_seq_length = max_seq_length
        self.strip = strip

    def encode(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Tokenize one batch.

        Args:
            texts: already validated strings (see :func:`check_texts`).

        Returns:
            ``(input_ids, attention_mask)``, int64 arrays of shape ``[len(texts), longest]``.
        """
        batch = [t.strip() for t in texts] if self.strip else list(texts)
        encodings = self._tokenizer.encode_batch(batch)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        return ids.reshape(len(batch), -1), mask.reshape(len(batch), -1)

    def batches(
        self, texts: Sequence[str], batch_size: int
    ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Tokenize in chunks, grouping texts of similar length to keep padding small.

        Only one chunk's arrays exist at a time, so memory stays bounded for any number of
        texts. Texts are ordered by length (as sentence-transformers does) and each chunk
        carries the original positions of its rows.

        Args:
            texts: already validated strings.
            batch_size: rows per chunk.

        Yields:
            ``(positions, input_ids, attention_mask)`` per chunk.
        """
        order = np.argsort([-len(t) for t in texts], kind="stable")
        for start in range(0, len(texts), batch_size):
            rows = order[start : start + batch_size]
            ids, mask = self.encode([texts[i] for i in rows])
            yield rows, ids, mask
