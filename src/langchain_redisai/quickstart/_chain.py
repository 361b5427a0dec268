"""The quickstart's LangChain chain: retriever -> prompt -> chat model, with Redis chat memory."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from operator import itemgetter
from typing import Any

from langchain_core.chat_history import BaseChatMessageHistory
from langchain_core.documents import Document
from langchain_core.language_models import BaseChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompt_values import PromptValue
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableConfig, RunnableLambda, RunnablePassthrough
from langchain_core.runnables.history import RunnableWithMessageHistory

from ._answerer import format_context

__all__ = ["SYSTEM_PROMPT", "AnswerTimer", "build_chain"]

SYSTEM_PROMPT = (
    "Answer the question using only these passages from the Python documentation, "
    "best match first:\n{context}"
)


class AnswerTimer:
    """Wraps the chat model call and keeps the duration of the last one (cache lookup included)."""

    def __init__(self, model: BaseChatModel) -> None:
        self.model = model
        self.last_seconds = 0.0

    def __call__(self, prompt: PromptValue, config: RunnableConfig) -> Any:
        start = time.perf_counter()
        try:
            return self.model.invoke(prompt, config)
        finally:
            self.last_seconds = time.perf_counter() - start


def _context(docs: list[Document]) -> str:
    return format_context([(str(d.metadata.get("topic", "?")), d.page_content) for d in docs])


def build_chain(
    retriever: BaseRetriever,
    timer: AnswerTimer,
    get_history: Callable[[str], BaseChatMessageHistory],
) -> Runnable[dict[str, Any], str]:
    """``{"question": ...}`` -> answer text, with the session's history read and appended.

    Invoke with ``config={"configurable": {"session_id": ...}}``.
    """
    prompt = ChatPromptTemplate.from_messages(
        [("system", SYSTEM_PROMPT), MessagesPlaceholder("history"), ("human", "{question}")]
    )
    chain: Runnable[dict[str, Any], str] = (
        RunnablePassthrough.assign(context=itemgetter("question") | retriever | _context)
        | prompt
        | RunnableLambda(timer)
        | StrOutputParser()
    )
    # LangChain 1.x marks RunnableWithMessageHistory deprecated in favour of LangGraph's
    # persistence; it is still the LCEL way to attach a BaseChatMessageHistory, which is what
    # the quickstart shows, so the warning is silenced here and only here.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "RunnableWithMessageHistory is deprecated")
        return RunnableWithMessageHistory(
            chain,
            get_history,
            input_messages_key="question",
            history_messages_key="history",
        )
