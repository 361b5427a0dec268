"""The quickstart's corpus: passages of the Python documentation topics shipped with Python.

Source: ``pydoc_data.topics.topics``, the text behind ``help("for")`` and friends, which is part
of the Python standard library and so of every Python installation. It is extracted from the
Python documentation, copyright the Python Software Foundation, under the PSF License Agreement
(the Python license, a permissive BSD-style licence; see https://docs.python.org/3/license.html).
Nothing is downloaded: the corpus is built at run time from the installed module, so its exact
wording follows the running Python version.

Each topic is split into prose paragraphs (code samples and grammar rules are left out), short
neighbouring paragraphs are merged, and passages of ``MIN_CHARS`` to ``MAX_CHARS`` characters are
kept. Topics are taken in turns (the first passage of every topic, then the second, ...), with
the topics the quickstart asks about first, so that a small ``--passages`` value still covers them.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["MAX_CHARS", "MIN_CHARS", "Passage", "build_corpus"]

MIN_CHARS = 200
MAX_CHARS = 800

# A heading is a line followed by a line of one repeated underline character.
_UNDERLINE = re.compile(r"^([*=\-~^\"'#+])\1{2,}$")


@dataclass(frozen=True)
class Passage:
    """One passage of the corpus: its text and the documentation topic it comes from."""

    id: str
    text: str
    topic: str


def _prose_paragraphs(text: str) -> list[str]:
    paragraphs: list[str] = []
    for block in text.split("\n\n"):
        lines = [line for line in block.split("\n") if line.strip()]
        # Indented blocks are code samples, grammar rules or tables; headings carry no prose.
        if not lines or lines[0].startswith(" ") or any(_UNDERLINE.match(x) for x in lines):
            continue
        paragraphs.append(" ".join(line.strip() for line in lines))
    return paragraphs


def _split_long(paragraph: str) -> list[str]:
    if len(paragraph) <= MAX_CHARS:
        return [paragraph]
    # Cut at sentence ends so that no passage starts or stops mid-sentence.
    pieces: list[str] = []
    current = ""
    for sentence in re.split(r"(?<=[.!?])\s+", paragraph):
        if current and len(current) + 1 + len(sentence) > MAX_CHARS:
            pieces.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}" if current else sentence
    if current:
        pieces.append(current)
    return [p for p in pieces if len(p) <= MAX_CHARS]


def topic_passages(text: str) -> list[str]:
    """The passages of one topic's text, in order, each ``MIN_CHARS``..``MAX_CHARS`` long."""
    passages: list[str] = []
    pending = ""
    for paragraph in _prose_paragraphs(text):
        for piece in _split_long(paragraph):
            merged = f"{pending} {piece}" if pending else piece
            if len(merged) > MAX_CHARS:
                if len(pending) >= MIN_CHARS:
                    passages.append(pending)
                pending = piece
            else:
                pending = merged
            if len(pending) >= MIN_CHARS:
                passages.append(pending)
                pending = ""
    if len(pending) >= MIN_CHARS:
        passages.append(pending)
    return passages


def _interleave(per_topic: Iterable[tuple[str, list[str]]]) -> list[tuple[str, str]]:
    columns = [[(topic, text) for text in texts] for topic, texts in per_topic]
    rows = itertools.zip_longest(*columns)
    return [item for row in rows for item in row if item is not None]


def build_corpus(limit: int, first_topics: Sequence[str] = ()) -> list[Passage]:
    """Up to ``limit`` passages of the Python documentation topics.

    Args:
        limit: most passages returned.
        first_topics: topics taken first in every round (for example those asked about).

    Returns:
        Passages with ids ``p0000``, ``p0001``, ... in a deterministic order.

    Raises:
        ValueError: ``limit`` is not positive.
    """
    if limit < 1:
        raise ValueError(f"limit must be >= 1, got {limit}")
    from pydoc_data.topics import topics  # the standard library's documentation topics

    order = [t for t in first_topics if t in topics]
    order += sorted(t for t in topics if t not in order)
    chosen = _interleave((t, topic_passages(topics[t])) for t in order)[:limit]
    return [Passage(f"p{i:04d}", text, topic) for i, (topic, text) in enumerate(chosen)]
