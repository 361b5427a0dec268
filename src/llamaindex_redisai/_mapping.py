"""Pure translations between LlamaIndex types and the strings and bytes the core stores."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pydantic
from llama_index.core.base.llms.types import ChatMessage, ChatResponse, CompletionResponse
from llama_index.core.llms import LLM

__all__ = [
    "chat_from_bytes",
    "chat_prompt",
    "chat_text",
    "completion_from_bytes",
    "completion_prompt",
    "llm_string",
    "response_to_bytes",
]

# Provider objects in `raw` are not JSON; they are never cached (documented on the LLM class).
_EXCLUDE = {"raw": True}


def llm_string(llm: LLM, call_kwargs: Mapping[str, Any], op: str) -> str:
    """The LLM parameters string: the operation (``complete`` or ``chat``, so the semantic
    cache never answers a chat with a completion), the wrapped LLM's class, its settings and
    the call's kwargs."""
    config = llm.to_dict()
    config.pop("callback_manager", None)
    return json.dumps(
        {"op": op, "class": llm.class_name(), "config": config, "kwargs": dict(call_kwargs)},
        sort_keys=True,
        default=repr,
        ensure_ascii=False,
    )


def completion_prompt(prompt: str, formatted: bool) -> str:
    return json.dumps(
        {"op": "complete", "formatted": formatted, "prompt": prompt}, ensure_ascii=False
    )


def chat_prompt(messages: Sequence[ChatMessage]) -> str:
    dumped = [m.model_dump(mode="json") for m in messages]
    return json.dumps({"op": "chat", "messages": dumped}, sort_keys=True, ensure_ascii=False)


def chat_text(messages: Sequence[ChatMessage]) -> str:
    """The text a semantic cache embeds for a conversation: one ``role: content`` line each."""
    return "\n".join(f"{m.role.value}: {m.content or ''}" for m in messages)


def response_to_bytes(response: CompletionResponse | ChatResponse) -> bytes:
    """A completion or chat response as stored JSON (without the provider's ``raw``)."""
    return response.model_dump_json(exclude=_EXCLUDE).encode("utf-8")


def completion_from_bytes(data: bytes) -> CompletionResponse | None:
    """Validate stored JSON back into a response (pydantic validation: no code runs)."""
    try:
        return CompletionResponse.model_validate_json(data)
    except pydantic.ValidationError:
        return None


def chat_from_bytes(data: bytes) -> ChatResponse | None:
    try:
        return ChatResponse.model_validate_json(data)
    except pydantic.ValidationError:
        return None
