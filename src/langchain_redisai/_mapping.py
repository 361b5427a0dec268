"""Pure translations between LangChain types and the bytes the core stores. No I/O.

Generations are serialized with LangChain's own JSON serialization and revived with an
explicit allow-list of classes (never pickle, never the ``"all"`` mapping).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

from langchain_core._api.beta_decorator import LangChainBetaWarning
from langchain_core.load import Serializable, dumps, loads
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, Generation, GenerationChunk

__all__ = ["generations_from_bytes", "generations_to_bytes"]

_ALLOWED: list[type[Serializable]] = [
    Generation,
    GenerationChunk,
    ChatGeneration,
    ChatGenerationChunk,
    AIMessage,
    AIMessageChunk,
    HumanMessage,
    SystemMessage,
    ToolMessage,
    FunctionMessage,
    ChatMessage,
]


def generations_to_bytes(generations: Sequence[Generation]) -> bytes:
    """Serialize generations (chat generations keep messages, tool calls, ids and metadata)."""
    return dumps(list(generations)).encode("utf-8")


def generations_from_bytes(data: bytes) -> list[Generation] | None:
    """Revive generations; ``None`` when the bytes are not a list of allowed generations."""
    try:
        with warnings.catch_warnings():
            # `loads` is marked beta in langchain-core 1.x; its format is stable for us.
            warnings.simplefilter("ignore", LangChainBetaWarning)
            value = loads(data.decode("utf-8"), allowed_objects=_ALLOWED)
    except Exception:  # any decoding failure makes the entry unusable: a miss
        return None
    if not isinstance(value, list) or not all(isinstance(g, Generation) for g in value):
        return None
    return value
