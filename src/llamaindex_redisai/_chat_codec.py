"""Pure (de)serialization of LlamaIndex chat messages for the chat stores. No I/O.

A message is stored as its pydantic JSON (``model_dump_json``): role, every content block
(text, images, audio, documents, thinking, tool calls, citations...) and ``additional_kwargs``.
Reads validate with pydantic (no code runs); a whole history is validated in one call.
``additional_kwargs`` holding provider objects (pydantic models) are stored as their JSON and
read back as plain dicts, as with LlamaIndex's own stores.
"""

from __future__ import annotations

from collections.abc import Sequence

import pydantic
from llama_index.core.base.llms.types import ChatMessage

__all__ = ["UnreadableMessageError", "decode_chat", "encode_chat"]

_HISTORY = pydantic.TypeAdapter(list[ChatMessage])


class UnreadableMessageError(ValueError):
    """A stored value is not a readable chat message.

    Args:
        position: its index in the list it was read from.
        detail: what is wrong.
    """

    def __init__(self, position: int, detail: str) -> None:
        self.position = position
        super().__init__(f"message {position} {detail}")


def encode_chat(messages: Sequence[ChatMessage]) -> list[bytes]:
    """Messages as stored bytes.

    Raises:
        TypeError: a value is not a ``ChatMessage``.
    """
    out = []
    for message in messages:
        if not isinstance(message, ChatMessage):
            raise TypeError(f"expected a ChatMessage, got {type(message).__name__}")
        out.append(message.model_dump_json().encode("utf-8"))
    return out


def decode_chat(values: Sequence[bytes]) -> list[ChatMessage]:
    """Messages from stored bytes, in order.

    Raises:
        UnreadableMessageError: a value is not a stored message.
    """
    if not values:
        return []
    try:
        messages = _HISTORY.validate_json(b"[" + b",".join(values) + b"]")
        if len(messages) == len(values):
            return messages
    except (pydantic.ValidationError, ValueError):
        pass
    # Find the culprit, one value at a time.
    out = []
    for position, value in enumerate(values):
        try:
            out.append(ChatMessage.model_validate_json(value))
        except (pydantic.ValidationError, ValueError) as exc:
            raise UnreadableMessageError(position, f"is not a stored message: {exc}") from exc
    return out
