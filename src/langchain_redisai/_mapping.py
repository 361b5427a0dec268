"""Pure translations between LangChain types and the bytes the core stores. No I/O.

Two formats, both JSON, neither ever pickle:

* fast (``lcg1:`` header): plain ``Generation`` and ``ChatGeneration`` objects, the usual
  cache contents, as their fields plus ``message_to_dict`` for the message. Revived with the
  classes' own constructors (validated), about 30x faster than LangChain's reviver.
* LangChain's own serialization (``dumps``), for anything else (chunks, subclasses, values the
  fast format cannot hold), revived with an explicit allow-list of classes.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from typing import Any

import orjson
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
    message_to_dict,
    messages_from_dict,
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


_FAST = b"lcg1:"


def _fast_entry(generation: Generation) -> dict[str, Any] | None:
    kind = type(generation)
    if kind is Generation:
        return {"g": generation.text, "i": generation.generation_info}
    if kind is ChatGeneration:
        chat: ChatGeneration = generation  # type: ignore[assignment]
        return {"c": message_to_dict(chat.message), "i": chat.generation_info}
    return None


def generations_to_bytes(generations: Sequence[Generation]) -> bytes:
    """Serialize generations (chat generations keep messages, tool calls, ids and metadata).

    Raises:
        TypeError: ``generations`` is not a sequence of ``Generation`` (a str, say, which
            would otherwise be stored character by character and read back as a miss).
    """
    given: object = generations  # callers are untyped: check what they really passed
    if isinstance(given, (str, bytes)) or not all(isinstance(g, Generation) for g in generations):
        raise TypeError("a cache entry must be a sequence of langchain Generation objects")
    entries = [_fast_entry(g) for g in generations]  # a Sequence: iterating twice is fine
    if all(e is not None for e in entries):
        try:
            return _FAST + json.dumps(entries, ensure_ascii=False).encode("utf-8")
        except (TypeError, ValueError):
            pass  # a value JSON cannot hold: LangChain's serializer marks it instead
    return dumps(list(generations)).encode("utf-8")


def _parse(body: bytes) -> Any:
    # orjson is about 5x faster on the hot path (a cache hit); the stdlib parser takes what
    # orjson refuses (NaN and Infinity, which json.dumps writes).
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return json.loads(body)


def _fast_revive(data: bytes) -> list[Generation] | None:
    out: list[Generation] = []
    for entry in _parse(data[len(_FAST) :]):
        if "g" in entry:
            out.append(Generation(text=entry["g"], generation_info=entry["i"]))
        else:
            (message,) = messages_from_dict([entry["c"]])
            out.append(ChatGeneration(message=message, generation_info=entry["i"]))
    return out


def generations_from_bytes(data: bytes) -> list[Generation] | None:
    """Revive generations; ``None`` when the bytes are not a list of allowed generations."""
    if data.startswith(_FAST):
        try:
            return _fast_revive(data)
        except Exception:  # any decoding failure makes the entry unusable: a miss
            return None
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
