"""Weighted hybrid ranking: vector relevance and query-word overlap, blended by ``alpha``.

Pure; the core's ``hybrid(..., alpha=...)`` fetches candidates from the server (the nearest
documents holding a query word) and re-ranks them here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from ..errors import ConfigError
from .queries import SearchHit
from .rendering import text_words

__all__ = ["blend_text_and_vector", "word_share"]


def word_share(query: str, text: str | None) -> float:
    """The fraction of ``query``'s distinct words that ``text`` holds (case-insensitive,
    whole words as the server splits them; no stemming), in ``[0, 1]``."""
    wanted = {w.lower() for w in text_words(query)}
    if not wanted or not text:
        return 0.0
    return len(wanted.intersection(w.lower() for w in text_words(text))) / len(wanted)


def blend_text_and_vector(
    hits: Sequence[SearchHit], query: str, k: int, alpha: float
) -> list[SearchHit]:
    """The ``k`` best hits by ``alpha * relevance + (1 - alpha) * word_share``, best first.

    Each returned hit's ``score`` is that blend (its ``distance`` is kept); ties keep the
    server's (nearest first) order. ``alpha`` 1 ranks by vector relevance alone, 0 by the
    words alone.

    Raises:
        ConfigError: ``alpha`` is not a number in ``[0, 1]``.
    """
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 <= alpha <= 1:
        raise ConfigError(f"alpha must be a number in [0, 1], got {alpha!r}")
    blended = [
        (alpha * (hit.score or 0.0) + (1 - alpha) * word_share(query, hit.text), i, hit)
        for i, hit in enumerate(hits)
    ]
    blended.sort(key=lambda t: (-t[0], t[1]))
    return [dataclasses.replace(hit, score=score) for score, _, hit in blended[:k]]
