"""Pure translations between core search results and LangChain ``Document`` objects. No I/O."""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.documents import Document

from redisai_core import Record, SearchHit

__all__ = ["hit_to_document", "hits_with_distance", "hits_with_relevance", "record_to_document"]


def hit_to_document(hit: SearchHit) -> Document:
    """A search hit as a ``Document`` carrying its ID."""
    return Document(id=hit.id, page_content=hit.text or "", metadata=hit.metadata)


def record_to_document(record: Record) -> Document:
    """A stored record as a ``Document`` carrying its ID."""
    return Document(id=record.id, page_content=record.text, metadata=dict(record.metadata))


def hits_with_distance(hits: Sequence[SearchHit]) -> list[tuple[Document, float]]:
    """``(document, distance)`` pairs; lower is nearer, in the index metric's units."""
    return [(hit_to_document(h), h.distance if h.distance is not None else 0.0) for h in hits]


def hits_with_relevance(hits: Sequence[SearchHit]) -> list[tuple[Document, float]]:
    """``(document, relevance)`` pairs with relevance in ``[0, 1]``, higher is nearer."""
    return [(hit_to_document(h), h.score if h.score is not None else 0.0) for h in hits]
