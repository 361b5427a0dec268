"""Pure, lossless and fast (de)serialization of LangChain messages for the chat history. No I/O.

A stored message is one compact JSON array (orjson):

- ``[1, tag, fields]``, optionally followed by ``extra`` (pydantic extra fields) and
  ``fields_set`` (only when it is not simply the stored names): the fast format, used for the
  message classes of ``langchain_core.messages`` (and their chunks). ``fields`` holds every field
  that was set or differs from its default, so a message mutated in place after creation is
  still stored whole.
- ``[2, lc, fields_set]``: LangChain's own serialization (``dumpd``), revived with an
  allow-list (messages, and ``Document`` as a tool artifact); used when the fast format cannot
  hold a message exactly (e.g. a ``Document`` as a tool artifact).

Writes are checked: the record must read back equal to what was written (types included, via
orjson's strict options), else the other format is tried, and a message neither can hold
raises ``TypeError`` instead of being stored lossily.

Reads of the fast format build messages without re-running pydantic validation (the stored
state was produced by validation when the message was created, so validating again would only
repeat work - and could even change it); that is what makes reading a long history cheaper than
``messages_from_dict``. A record that does not have exactly the expected shape (other field
names, missing required fields) goes through the validated path; one that is not readable at all
raises :class:`UnreadableMessageError` (which the chat history reports as a corrupt session).
"""

from __future__ import annotations

import copy
import dataclasses
import gc
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import orjson
from langchain_core._api.beta_decorator import LangChainBetaWarning
from langchain_core.documents import Document
from langchain_core.load import Serializable, dumpd, load
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
)
from pydantic_core import PydanticUndefined

__all__ = ["UnreadableMessageError", "decode_messages", "encode_message", "encode_messages"]

_CLASSES: tuple[type[BaseMessage], ...] = (
    HumanMessage,
    AIMessage,
    SystemMessage,
    ToolMessage,
    FunctionMessage,
    ChatMessage,
    RemoveMessage,
    HumanMessageChunk,
    AIMessageChunk,
    SystemMessageChunk,
    ToolMessageChunk,
    FunctionMessageChunk,
    ChatMessageChunk,
)

# orjson serializes datetimes, dataclasses and subclasses of str/int/dict/list natively; with
# these options it refuses them instead (via `_refuse`), so what is written is plain JSON.
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
_OPTIONS |= orjson.OPT_PASSTHROUGH_SUBCLASS

_FAST, _LC = 1, 2
_IMMUTABLE = (type(None), str, int, float, bool)


class UnreadableMessageError(ValueError):
    """A stored value is not a readable message.

    Args:
        position: its index in the history.
        detail: what is wrong.
    """

    def __init__(self, position: int, detail: str) -> None:
        self.position = position
        super().__init__(f"message {position} {detail}")


def _refuse(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is not plain JSON")


@dataclasses.dataclass(frozen=True)
class _Spec:
    """How to store and rebuild one message class."""

    cls: type[BaseMessage]
    tag: str
    names: frozenset[str]
    required: frozenset[str]
    # (name, default to compare with, maker of a fresh default) in field order
    fields: tuple[tuple[str, Any, Callable[[], Any]], ...]
    # every field in declaration order with its default (immutable ones are shared)...
    template: dict[str, Any]
    # ...and the fields whose default is mutable, which each message gets a fresh copy of
    fresh: tuple[tuple[str, Callable[[], Any]], ...]
    # (name, default) in field order, for deciding what to store
    compare: tuple[tuple[str, Any], ...]


def _maker(default: Any, factory: Any) -> tuple[Any, Callable[[], Any]]:
    if factory is not None:
        return factory(), factory
    if isinstance(default, _IMMUTABLE):
        return default, lambda: default
    return default, lambda: copy.deepcopy(default)


def _spec(cls: type[BaseMessage]) -> _Spec:
    fields = []
    required = set()
    for name, info in cls.model_fields.items():
        if info.default is PydanticUndefined and info.default_factory is None:
            required.add(name)
            fields.append((name, PydanticUndefined, lambda: PydanticUndefined))
        else:
            fields.append((name, *_maker(info.default, info.default_factory)))
    tag = cls.model_fields["type"].default
    template = {name: default for name, default, _ in fields}
    fresh = tuple(
        (name, make) for name, default, make in fields if not isinstance(default, _IMMUTABLE)
    )
    names = frozenset(cls.model_fields)
    compare = tuple((name, default) for name, default, _ in fields)
    return _Spec(cls, tag, names, frozenset(required), tuple(fields), template, fresh, compare)


_BY_CLASS = {cls: _spec(cls) for cls in _CLASSES}
_BY_TAG = {spec.tag: spec for spec in _BY_CLASS.values()}
# Documents are common tool artifacts (retriever tools); everything else must be a message.
_LC_ALLOWED: list[type[Serializable]] = [*_CLASSES, Document]


def _fast_record(message: BaseMessage, spec: _Spec) -> list[Any]:
    fields_set = message.__pydantic_fields_set__
    values = message.__dict__
    # what was set, plus what differs from its default (a mutable default changed in place)
    stored = {
        name: values[name]
        for name, default in spec.compare
        if name in fields_set or values[name] != default
    }
    extra = message.__pydantic_extra__ or {}
    record: list[Any] = [_FAST, spec.tag, stored]
    if stored.keys() | extra.keys() != fields_set:
        record += [extra, sorted(fields_set)]
    elif extra:
        record.append(extra)
    return record


def _dump(record: Any) -> bytes | None:
    try:
        blob = orjson.dumps(record, default=_refuse, option=_OPTIONS)
    except TypeError:  # orjson.JSONEncodeError: not plain JSON
        return None
    # Equality after a round trip catches what orjson accepts but changes: tuples (read back
    # as lists), NaN and infinities (written as null), integers beyond 64 bits are refused.
    return blob if orjson.loads(blob) == record else None


def encode_message(message: BaseMessage) -> bytes:
    """One message as stored bytes, lossless.

    Raises:
        TypeError: ``message`` is not a message, or holds values neither format can store
            exactly (e.g. arbitrary objects in ``additional_kwargs``).
    """
    if not isinstance(message, BaseMessage):
        raise TypeError(f"expected a BaseMessage, got {type(message).__name__}")
    spec = _BY_CLASS.get(type(message))
    if spec is not None:
        blob = _dump(_fast_record(message, spec))
        if blob is not None:
            return blob
    try:
        lc = dumpd(message)
    except Exception as exc:  # dumpd raises a variety of errors on unserializable values
        raise TypeError(f"cannot serialize {type(message).__name__}: {exc}") from exc
    record = [_LC, lc, sorted(message.__pydantic_fields_set__)]
    blob = orjson.dumps(record, default=_refuse, option=_OPTIONS) if _plain(lc) else None
    if blob is None or not _revives_as(lc, message):
        raise TypeError(
            f"{type(message).__name__} holds values that cannot be stored and read back "
            "exactly (use JSON values, or LangChain-serializable objects)"
        )
    return blob


def _revives_as(lc: Any, message: BaseMessage) -> bool:
    try:
        return _revive(lc) == message
    except Exception:  # not revivable (e.g. a class outside the allow-list): not storable
        return False


def _plain(value: Any) -> bool:
    return _dump(value) is not None


def encode_messages(messages: Sequence[BaseMessage]) -> list[bytes]:
    """Every message as stored bytes (see :func:`encode_message`)."""
    return [encode_message(message) for message in messages]


def _revive(lc: Any) -> BaseMessage:
    with warnings.catch_warnings():
        # `load` is marked beta in langchain-core 1.x; its format is stable for us.
        warnings.simplefilter("ignore", LangChainBetaWarning)
        message = load(lc, allowed_objects=_LC_ALLOWED)
    if not isinstance(message, BaseMessage):
        raise TypeError(f"not a message: {type(message).__name__}")
    return message


def _build(record: Any) -> BaseMessage:
    """A message from one parsed record; raises on anything that is not a valid record."""
    if type(record) is not list or not record:
        raise ValueError("not a message record")
    if record[0] == _LC and len(record) == 3:
        message = _revive(record[1])
        # `load` validates, which sets other fields; restore the original's set of fields
        object.__setattr__(message, "__pydantic_fields_set__", set(record[2]))
        return message
    if record[0] != _FAST or not 3 <= len(record) <= 5:
        raise ValueError(f"unknown record version {record[0]!r}")
    spec = _BY_TAG[record[1]]
    stored = record[2]
    extra = record[3] if len(record) > 3 else {}
    if (
        type(stored) is dict
        and type(extra) is dict
        and stored.keys() <= spec.names
        and spec.required <= stored.keys()
        and type(stored.get("content")) in (str, list)
    ):
        # The fast path: the state that validation produced when the message was created.
        # Mirrors pydantic's `model_construct` (fresh defaults, fields in declaration order).
        values = {**spec.template, **stored}
        for name, make in spec.fresh:
            if name not in stored:
                values[name] = make()
        message = spec.cls.__new__(spec.cls)
        object.__setattr__(message, "__dict__", values)
        fields_set = set(record[4]) if len(record) > 4 else stored.keys() | extra.keys()
        object.__setattr__(message, "__pydantic_fields_set__", fields_set)
        object.__setattr__(message, "__pydantic_extra__", extra)
        object.__setattr__(message, "__pydantic_private__", None)
        return message
    # Another shape (e.g. written by another langchain-core version): validate it.
    return spec.cls.model_validate({**stored, **extra})


def decode_messages(values: Sequence[bytes]) -> list[BaseMessage]:
    """Messages from stored bytes, oldest first.

    Raises:
        UnreadableMessageError: a value is not a readable message.
    """
    if not values:
        return []
    # Parsing and building hundreds of objects triggers the cyclic garbage collector again and
    # again, and its older generations scan the whole heap: that tripled the time to read a
    # 600-message history. Parsed JSON and messages hold no reference cycles, so the collector
    # is paused meanwhile (and restored even on error; pausing only defers a collection,
    # whatever other threads do).
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        return _decode(values)
    finally:
        if paused:
            gc.enable()


def _decode(values: Sequence[bytes]) -> list[BaseMessage]:
    try:
        # One parse for the whole history: much cheaper than one call per message.
        records = orjson.loads(b"[" + b",".join(values) + b"]")
    except orjson.JSONDecodeError:
        records = None
    if records is None or len(records) != len(values):
        records = []
        for position, value in enumerate(values):
            try:
                records.append(orjson.loads(value))
            except orjson.JSONDecodeError as exc:
                raise UnreadableMessageError(position, f"is not JSON ({exc})") from exc
    out = []
    for position, record in enumerate(records):
        try:
            out.append(_build(record))
        except Exception as exc:  # any failure to rebuild makes the record unreadable
            detail = f"is not a stored message ({type(exc).__name__}: {exc})"
            raise UnreadableMessageError(position, detail) from exc
    return out
