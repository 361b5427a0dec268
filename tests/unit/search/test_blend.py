"""The alpha blend of hybrid search: vector relevance against the share of query words."""

from __future__ import annotations

import math

import pytest

from redisai_core import ConfigError
from redisai_core.search.blend import blend_text_and_vector, word_share
from redisai_core.search.queries import SearchHit


def test_word_share_counts_distinct_whole_words_case_insensitively() -> None:
    assert word_share("red APPLE red", "Red, red apple!") == 1.0
    assert word_share("red apple", "green apples") == 0.0  # no stemming here
    assert word_share("red apple", "a red car") == 0.5
    assert word_share("red", None) == 0.0 and word_share("{} |", "red") == 0.0


def _hit(doc_id: str, text: str, score: float) -> SearchHit:
    return SearchHit(id=doc_id, text=text, metadata={}, distance=1 - score, score=score)


def test_blend_reranks_and_scores() -> None:
    hits = [_hit("near", "green car", 0.9), _hit("mid", "red apple", 0.5), _hit("far", "red", 0.5)]
    assert [h.id for h in blend_text_and_vector(hits, "red apple", 3, 1.0)] == [
        "near",
        "mid",
        "far",
    ]
    words = blend_text_and_vector(hits, "red apple", 3, 0.0)
    assert [(h.id, h.score) for h in words] == [("mid", 1.0), ("far", 0.5), ("near", 0.0)]
    half = blend_text_and_vector(hits, "red apple", 1, 0.5)
    assert [(h.id, h.score) for h in half] == [("mid", 0.75)]
    assert half[0].distance == hits[1].distance  # only the score changes
    tie = [_hit("a", "x", 0.5), _hit("b", "x", 0.5)]
    assert [h.id for h in blend_text_and_vector(tie, "x", 2, 0.3)] == ["a", "b"]  # stable


@pytest.mark.parametrize("alpha", [-0.01, 1.01, math.nan, True, "0.5"])
def test_blend_refuses_bad_alpha(alpha: object) -> None:
    with pytest.raises(ConfigError, match="alpha"):
        blend_text_and_vector([], "x", 1, alpha)  # type: ignore[arg-type]
