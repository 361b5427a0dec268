"""Maximal marginal relevance: pick diverse results among server-returned candidates (numpy)."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import ConfigError

__all__ = ["cosine_similarity", "mmr_select"]


def cosine_similarity(
    a: npt.NDArray[np.floating[Any]], b: npt.NDArray[np.floating[Any]]
) -> npt.NDArray[np.float64]:
    """Row-wise cosine similarity matrix of ``a`` (n, d) and ``b`` (m, d); zero rows give 0."""
    a64 = np.asarray(a, dtype=np.float64)
    b64 = np.asarray(b, dtype=np.float64)
    na = np.linalg.norm(a64, axis=1, keepdims=True)
    nb = np.linalg.norm(b64, axis=1, keepdims=True)
    na[na == 0] = 1.0
    nb[nb == 0] = 1.0
    result: npt.NDArray[np.float64] = (a64 / na) @ (b64 / nb).T
    return result


def mmr_select(
    query: npt.NDArray[np.floating[Any]],
    candidates: npt.NDArray[np.floating[Any]],
    k: int,
    lambda_mult: float = 0.5,
) -> list[int]:
    """Indices of ``k`` candidates chosen by maximal marginal relevance.

    Each step picks the candidate maximising ``lambda * sim(query, c) - (1 - lambda) *
    max(sim(c, chosen))``; ``lambda_mult=1`` is plain similarity order, ``0`` maximal
    diversity. Similarity is cosine whatever the index metric, as in LangChain.

    Args:
        query: the query vector (d,).
        candidates: candidate vectors (n, d).
        k: how many to pick (at most n).
        lambda_mult: relevance/diversity trade-off in ``[0, 1]``.

    Raises:
        ConfigError: ``lambda_mult`` outside ``[0, 1]`` or a negative ``k``.
    """
    if not 0.0 <= lambda_mult <= 1.0:
        raise ConfigError(f"lambda_mult must be within [0, 1], got {lambda_mult!r}")
    if k < 0:
        raise ConfigError(f"k must not be negative, got {k!r}")
    n = len(candidates)
    if n == 0 or k == 0:
        return []
    relevance = cosine_similarity(np.asarray(query).reshape(1, -1), candidates)[0]
    pairwise = cosine_similarity(candidates, candidates)
    chosen = [int(np.argmax(relevance))]
    # Highest similarity of each candidate to anything chosen so far, updated incrementally.
    redundancy = pairwise[chosen[0]].copy()
    while len(chosen) < min(k, n):
        scores = lambda_mult * relevance - (1.0 - lambda_mult) * redundancy
        scores[chosen] = -np.inf
        best = int(np.argmax(scores))
        chosen.append(best)
        redundancy = np.maximum(redundancy, pairwise[best])
    return chosen
