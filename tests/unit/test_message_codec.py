"""The LangChain message codec of the chat history: every type round-trips exactly."""

from __future__ import annotations

import datetime
import math
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from langchain_core.documents import Document
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    ChatMessageChunk,
    FunctionMessage,
    FunctionMessageChunk,
    HumanMessage,
    HumanMessageChunk,
    RemoveMessage,
    SystemMessage,
    SystemMessageChunk,
    ToolMessage,
    ToolMessageChunk,
    message_to_dict,
)

from langchain_redisai._message_codec import (
    UnreadableMessageError,
    decode_messages,
    encode_message,
    encode_messages,
)

BLOCKS: list[Any] = [
    {"type": "text", "text": "look at this", "extras": {"cache_control": {"type": "ephemeral"}}},
    {"type": "image", "url": "https://example.com/cat.png", "mime_type": "image/png"},
    {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
    {"type": "file", "base64": "JVBERi0=", "mime_type": "application/pdf", "id": "f1"},
]


def _mutated() -> HumanMessage:
    message = HumanMessage("hi")
    # changed in place after creation: not in fields_set, but must be stored all the same
    message.additional_kwargs["session"] = "abc"
    message.response_metadata["seen"] = True
    return message


def every_message() -> list[BaseMessage]:
    usage = {
        "input_tokens": 12,
        "output_tokens": 7,
        "total_tokens": 19,
        "input_token_details": {"cache_read": 3, "audio": 0},
        "output_token_details": {"reasoning": 2},
    }
    return [
        HumanMessage("plain"),
        HumanMessage(BLOCKS, name="alice", id="h1", additional_kwargs={"k": [1, 2.5, None]}),
        SystemMessage("be brief", id="s1", response_metadata={"source": "cfg"}),
        AIMessage(
            [{"type": "text", "text": "calling"}, {"type": "reasoning", "reasoning": "hm"}],
            id="run-1",
            name="bot",
            tool_calls=[
                {"name": "search", "args": {"q": "redis", "n": 3}, "id": "call_1"},
                {"name": "calc", "args": {}, "id": None},
            ],
            invalid_tool_calls=[
                {"name": "bad", "args": "{not json", "id": "call_2", "error": "parse"}
            ],
            usage_metadata=usage,
            response_metadata={"model_name": "gpt-x", "finish_reason": "tool_calls"},
            additional_kwargs={"refusal": None},
        ),
        AIMessage("with extra field", foo={"bar": [1, "2"]}),
        ToolMessage("42", tool_call_id="call_1", artifact={"rows": [[1, 2]]}, status="error"),
        ToolMessage("doc", tool_call_id="call_3", artifact=Document("a doc", metadata={"p": 1})),
        FunctionMessage("result", name="fn"),
        ChatMessage("custom role", role="critic", id="c1"),
        RemoveMessage(id="h1"),
        HumanMessageChunk("chu"),
        AIMessageChunk(
            "",
            tool_call_chunks=[{"name": "search", "args": '{"q": "re', "id": "call_9", "index": 0}],
            chunk_position="last",
            usage_metadata=usage,
        ),
        SystemMessageChunk("sys chunk"),
        ToolMessageChunk("t", tool_call_id="call_1"),
        FunctionMessageChunk("f", name="fn"),
        ChatMessageChunk("c", role="r"),
        _mutated(),
        HumanMessage("ünïcödé \x00 \ud7ff 🦜", id="u"),
    ]


def _same(a: BaseMessage, b: BaseMessage) -> None:
    assert type(a) is type(b)
    assert a == b
    assert a.__pydantic_fields_set__ == b.__pydantic_fields_set__
    assert a.model_dump() == b.model_dump()
    assert repr(a) == repr(b)
    assert message_to_dict(a) == message_to_dict(b)


@pytest.mark.parametrize("message", every_message(), ids=lambda m: type(m).__name__)
def test_every_message_type_round_trips_exactly(message: BaseMessage) -> None:
    [back] = decode_messages([encode_message(message)])
    _same(back, message)
    # a rebuilt message behaves like a validated one
    assert back.text == message.text
    assert back.model_copy() == message
    assert back.model_dump_json() == message.model_dump_json()


def test_the_standard_types_use_the_fast_format() -> None:
    formats = [orjson.loads(encode_message(m))[0] for m in every_message()]
    documents = [isinstance(getattr(m, "artifact", None), Document) for m in every_message()]
    assert formats == [2 if doc else 1 for doc in documents]


def test_a_whole_history_decodes_in_order() -> None:
    messages = every_message() * 3
    back = decode_messages(encode_messages(messages))
    assert len(back) == len(messages)
    for a, b in zip(back, messages, strict=True):
        _same(a, b)


def test_decoded_messages_share_no_mutable_state() -> None:
    first, second = decode_messages(encode_messages([HumanMessage("a"), HumanMessage("b")]))
    first.additional_kwargs["x"] = 1
    first.response_metadata["y"] = 2
    assert second.additional_kwargs == {} and second.response_metadata == {}
    assert HumanMessage("c").additional_kwargs == {}


def test_chunks_still_add_up() -> None:
    a, b = decode_messages(encode_messages([AIMessageChunk("Hel"), AIMessageChunk("lo")]))
    assert (a + b).content == "Hello"


@pytest.mark.parametrize(
    "value",
    [(1, 2), math.nan, math.inf, datetime.datetime(2024, 1, 1), object(), 2**70, {1: "a"}],
    ids=["tuple", "nan", "inf", "datetime", "object", "bigint", "int-key"],
)
def test_values_that_would_not_read_back_equal_are_refused(value: Any) -> None:
    with pytest.raises(TypeError, match="cannot"):
        encode_message(HumanMessage("x", additional_kwargs={"v": value}))


def test_non_messages_are_refused() -> None:
    with pytest.raises(TypeError):
        encode_message({"type": "human", "content": "x"})  # type: ignore[arg-type]


def test_records_of_another_shape_are_validated() -> None:
    # e.g. written by another langchain-core version: extra names go through validation
    record = orjson.dumps([1, "human", {"content": "hi", "new_field": 1}])
    [message] = decode_messages([record])
    assert message == HumanMessage("hi", new_field=1)
    assert message.new_field == 1  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "value",
    [
        b"not json",
        b"",
        b'{"content": "x"}',
        b'[9, "human", {}]',
        b'[1, "martian", {"content": "x"}]',
        b'[1, "tool", {"content": "x"}]',  # tool_call_id is required
        b'[1, "human", {"content": 5}]',
        b'[2, {"lc": 1, "type": "constructor", "id": ["os", "system"], "kwargs": {}}, []]',
    ],
)
def test_unreadable_values_name_their_position(value: bytes) -> None:
    good = encode_message(HumanMessage("ok"))
    with pytest.raises(UnreadableMessageError) as info:
        decode_messages([good, good, value, good])
    assert info.value.position == 2


_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(kwargs=st.dictionaries(st.text(), _json, max_size=4), content=st.text(), name=st.text())
def test_any_json_round_trips(kwargs: dict[str, Any], content: str, name: str) -> None:
    message = AIMessage(content, additional_kwargs=kwargs, name=name or None, id="x")
    [back] = decode_messages([encode_message(message)])
    _same(back, message)
