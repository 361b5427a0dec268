"""The quickstart's pure parts: corpus, extractive stand-in, chat model selection, progress bar."""

from __future__ import annotations

import io
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from langchain_redisai import RedisAICache
from langchain_redisai.quickstart import ENV_CHAT_MODEL
from langchain_redisai.quickstart._answerer import LABEL, ExtractiveAnswerer, format_context, trim
from langchain_redisai.quickstart._chat_model import chat_model_from_env, describe_model
from langchain_redisai.quickstart._corpus import MAX_CHARS, MIN_CHARS, build_corpus
from langchain_redisai.quickstart._progress import ProgressBar
from redisai_core import ConfigError


class EchoChatModel(BaseChatModel):
    """A chat model constructible without arguments, for the selection tests only."""

    @property
    def _llm_type(self) -> str:
        return "echo"

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content="echo"))])


# -- corpus -----------------------------------------------------------------------------------


def test_corpus_is_bounded_deterministic_and_leads_with_the_asked_topics() -> None:
    corpus = build_corpus(300, first_topics=["for", "with", "no-such-topic"])
    assert len(corpus) == 300
    assert all(MIN_CHARS <= len(p.text) <= MAX_CHARS for p in corpus)
    assert [p.topic for p in corpus[:2]] == ["for", "with"]
    assert [p.id for p in corpus[:3]] == ["p0000", "p0001", "p0002"]
    assert len({p.id for p in corpus}) == 300
    assert corpus == build_corpus(300, first_topics=["for", "with", "no-such-topic"])
    # Code samples and headings are left out: no passage keeps a heading underline.
    assert not any("*****" in p.text or "=====" in p.text for p in corpus)
    # Topics are taken in turns, so a small corpus still covers many topics.
    assert len({p.topic for p in build_corpus(40)}) == 40


def test_corpus_rejects_a_non_positive_limit() -> None:
    with pytest.raises(ValueError, match="limit"):
        build_corpus(0)


# -- extractive stand-in ----------------------------------------------------------------------


def _prompt(*questions: str) -> list[BaseMessage]:
    context = format_context(
        [("for", "The for statement iterates.  Over items."), ("while", "Loops while true.")]
    )
    messages: list[BaseMessage] = [SystemMessage(f"Use these passages:\n{context}")]
    for q in questions[:-1]:
        messages += [HumanMessage(q), AIMessage("earlier answer")]
    return [*messages, HumanMessage(questions[-1])]


def test_stand_in_quotes_the_best_passage_and_says_what_it_is() -> None:
    model = ExtractiveAnswerer()
    reply = model.invoke(_prompt("How do for loops work?"))
    assert (
        reply.content
        == f'{LABEL} From the Python docs topic "for": The for statement iterates. Over items.'
    )
    follow_up = model.invoke(_prompt("first?", "second?", "third?"))
    assert str(follow_up.content).endswith("(Chat memory: 2 earlier question(s) in this session.)")


def test_stand_in_without_passages_says_so() -> None:
    reply = ExtractiveAnswerer().invoke([HumanMessage("anything?")])
    assert reply.content == f"{LABEL} No passage was retrieved, so there is nothing to quote."


def test_trim_cuts_at_a_sentence_end_or_a_word() -> None:
    assert trim("Short.", 100) == "Short."
    assert trim("One two three. Four five six seven eight.", 30) == "One two three."
    assert trim("abcdefghij klmnopqrst uvwxyz", 15) == "abcdefghij ..."


# -- chat model selection ---------------------------------------------------------------------


def test_without_the_variable_the_stand_in_answers_with_the_cache() -> None:
    cache = RedisAICache(redis_url="redis://127.0.0.1:1/0")  # never contacted here
    for environ in ({}, {ENV_CHAT_MODEL: "  "}):
        model = chat_model_from_env(environ, cache)
        assert isinstance(model, ExtractiveAnswerer)
        assert model.cache is cache
        assert "not a language model" in describe_model(model)


def test_the_variable_selects_any_importable_chat_model() -> None:
    spec = f"{__name__}:EchoChatModel"
    model = chat_model_from_env({ENV_CHAT_MODEL: spec}, None)
    assert type(model) is EchoChatModel
    assert model.cache is None
    assert describe_model(model) == f"chat model {__name__}.EchoChatModel"
    assert model.invoke("hi").content == "echo"


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ("langchain_openai.ChatOpenAI", "must look like"),
        (":ChatOpenAI", "must look like"),
        ("no_such_module_xyz:Chat", "cannot import"),
        ("langchain_core.messages:NoSuchClass", "has no"),
        ("langchain_core.messages:HumanMessage", "is not a LangChain chat model class"),
        (f"{__name__}:test_trim_cuts_at_a_sentence_end_or_a_word", "is not a LangChain chat"),
        # A chat model that needs constructor arguments (``responses``) cannot be built.
        ("langchain_core.language_models.fake_chat_models:FakeListChatModel", "cannot construct"),
    ],
)
def test_a_bad_variable_is_a_config_error(spec: str, reason: str) -> None:
    with pytest.raises(ConfigError, match=reason):
        chat_model_from_env({ENV_CHAT_MODEL: spec}, None)


# -- progress bar -----------------------------------------------------------------------------


def test_progress_bar_off_a_terminal_writes_only_the_finished_bar() -> None:
    stream = io.StringIO()
    bar = ProgressBar("indexing", 4, stream)
    bar.update(1)
    assert stream.getvalue() == ""
    assert bar.render(width=8).startswith("indexing [##------] 1/4 ")
    bar.update(10)  # never past the total
    bar.close()
    assert stream.getvalue().startswith("indexing [" + "#" * 30 + "] 4/4 ")
    assert stream.getvalue().endswith("\n")


def test_progress_bar_on_a_terminal_redraws_in_place() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Tty()
    bar = ProgressBar("x", 2, stream)
    bar.update(1)
    bar.update(1)
    bar.close()
    assert stream.getvalue().count("\r") == 3
    assert "2/2" in stream.getvalue()


def test_disabled_progress_bar_writes_nothing() -> None:
    stream = io.StringIO()
    bar = ProgressBar("x", 2, stream, enabled=False)
    bar.update(2)
    bar.close()
    assert stream.getvalue() == ""


def test_printed_urls_never_show_a_password() -> None:
    from langchain_redisai.quickstart import _redacted

    assert _redacted("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
    assert _redacted("redis://app:s3cret@db:6380/1") == "redis://app:***@db:6380/1"
    assert _redacted("rediss://:s3cret@db/0") == "rediss://***@db/0"
