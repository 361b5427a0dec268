"""The quickstart's local stand-in for a chat model: an extractive answerer, not a language model.

No network exists where the quickstart must run, so by default the answering step returns the
best retrieved passage, trimmed, and says so in every answer. It writes nothing of its own. It is
a LangChain ``BaseChatModel`` only so that it plugs into the same chain, cache and message history
that a real chat model would (see ``_chat_model.py`` for selecting one).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.outputs import ChatGeneration, ChatResult

__all__ = ["LABEL", "ExtractiveAnswerer", "format_context"]

LABEL = "[extractive stand-in, not a language model]"

# One retrieved passage in the system message; the first one is the best match.
_PASSAGE = re.compile(r"^\[(\d+)\] \(topic: ([^)]*)\) (.*)$", re.MULTILINE)


def format_context(passages: Sequence[tuple[str, str]]) -> str:
    """Number ``(topic, text)`` passages, best first, one per line, for the system message."""
    return "\n".join(
        f"[{i}] (topic: {topic}) {' '.join(text.split())}"
        for i, (topic, text) in enumerate(passages, 1)
    )


def trim(text: str, limit: int) -> str:
    """``text`` cut at the last sentence end within ``limit`` characters (or at a word)."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    end = max(head.rfind(". "), head.rfind("! "), head.rfind("? "))
    if end >= limit // 3:
        return head[: end + 1]
    return head.rsplit(" ", 1)[0] + " ..."


class ExtractiveAnswerer(BaseChatModel):
    """Answers with the best retrieved passage, trimmed, labelled as an extractive stand-in.

    It reads the passages that the chain put into the system message (see
    :func:`format_context`) and the number of earlier questions in the conversation (so the
    answer shows that chat memory reached it). The answer always starts with :data:`LABEL`.
    """

    max_chars: int = 360
    """Longest passage excerpt returned."""

    @property
    def _llm_type(self) -> str:
        return "extractive-stand-in"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"max_chars": self.max_chars}

    def answer(self, messages: Sequence[BaseMessage]) -> str:
        """The labelled answer for ``messages`` (pure: no I/O)."""
        system = "\n".join(m.text for m in messages if isinstance(m, SystemMessage))
        earlier = sum(isinstance(m, HumanMessage) for m in messages) - 1
        memory = (
            f" (Chat memory: {earlier} earlier question(s) in this session.)" if earlier else ""
        )
        match = _PASSAGE.search(system)
        if match is None:
            return f"{LABEL} No passage was retrieved, so there is nothing to quote.{memory}"
        _, topic, text = match.groups()
        return f'{LABEL} From the Python docs topic "{topic}": {trim(text, self.max_chars)}{memory}'

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        message = AIMessage(content=self.answer(messages))
        return ChatResult(generations=[ChatGeneration(message=message)])
