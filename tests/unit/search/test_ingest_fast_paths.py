"""The ingest fast paths give exactly what the general ones give: packed commands, vectors, JSON."""

from __future__ import annotations

import datetime
import enum
import json
import uuid
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
import redis
import redis.asyncio
from hypothesis import given, settings
from hypothesis import strategies as st
from redis.connection import Connection

from redisai_core import ConfigError, VectorError
from redisai_core._async.packed_writes import pack_commands
from redisai_core.search import records
from redisai_core.search.schema import VectorDataType, VectorFieldSpec

_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=20)


def _redis_py_bytes(commands: list[tuple[Any, ...]]) -> bytes:
    conn: Any = Connection()  # type: ignore[no-untyped-call]  # packs only, never connects
    return b"".join(b"".join(conn.pack_command(*args)) for args in commands)


@given(st.lists(st.lists(st.one_of(_text, st.binary(max_size=20)), min_size=1, max_size=8)))
def test_packed_commands_are_the_bytes_redis_py_sends(args: list[list[str | bytes]]) -> None:
    commands = [("HSET", *a) for a in args]
    client = redis.Redis()  # never connects
    expected = _redis_py_bytes(commands) if commands else b""
    assert pack_commands(client, commands) == expected
    assert pack_commands(redis.asyncio.Redis(), commands) == expected


def test_what_redis_py_must_pack_itself() -> None:
    numbers: list[Any] = [("HSET", "k", "f", 1), ("HSET", "k", "f", 1.5)]
    assert pack_commands(redis.Redis(), numbers[:1]) is None
    assert pack_commands(redis.Redis(), numbers[1:]) is None
    assert pack_commands(redis.Redis(), [()]) is None
    assert pack_commands(redis.Redis(encoding="latin-1"), [("SET", "k", "v")]) is None
    assert pack_commands(redis.Redis(encoding_errors="replace"), [("SET", "k", "v")]) is None
    assert pack_commands(object(), [("SET", "k", "v")]) is None
    assert pack_commands(redis.Redis(encoding="UTF_8"), [("SET", "k", "v")]) is not None
    with pytest.raises(UnicodeEncodeError):
        pack_commands(redis.Redis(), [("SET", "k", "\ud800")])


SPEC = VectorFieldSpec(dims=3)


def _numpy_path(rows: Any, spec: VectorFieldSpec) -> Any:
    """validate_vectors with the struct path switched off."""
    original = records._PACK_MIN_ROWS
    records._PACK_MIN_ROWS = 10**9
    try:
        return records.validate_vectors(rows, spec)
    finally:
        records._PACK_MIN_ROWS = original


_finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


@given(st.lists(st.lists(_finite, min_size=3, max_size=3), min_size=16, max_size=40))
def test_list_rows_convert_as_numpy_converts_them(rows: list[list[float]]) -> None:
    for datatype in (VectorDataType.FLOAT32, VectorDataType.FLOAT64):
        spec = VectorFieldSpec(dims=3, datatype=datatype)
        try:
            expected = _numpy_path(rows, spec)
        except VectorError as exc:  # overflow to float32 is reported the same way
            with pytest.raises(VectorError, match=str(exc)):
                records.validate_vectors(rows, spec)
            continue
        got = records.validate_vectors(rows, spec)
        assert got.dtype == expected.dtype and got.tobytes() == expected.tobytes()
        got[0, 0] = 1.0  # writable, as numpy's result is


@pytest.mark.parametrize(
    "odd",
    [
        1,
        True,
        2**70,
        Decimal("1.25"),
        Fraction(1, 3),
        np.float32(0.1),
        np.array(2.5),
        "1.5",
        None,
        float("nan"),
        float("inf"),
        10**400,
        [1.0],
        np.array([1.0]),
        complex(1, 0),
    ],
    ids=repr,
)
def test_unusual_values_give_what_numpy_gives(odd: Any) -> None:
    rows = [[0.5, 1.5, 2.5] for _ in range(20)]
    rows[7] = [0.5, odd, 2.5]
    try:
        expected = _numpy_path(rows, SPEC)
    except Exception as exc:
        with pytest.raises(type(exc), match=str(exc).replace("(", r"\(").replace(")", r"\)")):
            records.validate_vectors(rows, SPEC)
        return
    assert records.validate_vectors(rows, SPEC).tobytes() == expected.tobytes()


@pytest.mark.parametrize("bad", [[1.0, 2.0], [1.0, 2.0, 3.0, 4.0], "abc", (1.0, 2.0, 3.0)])
def test_odd_rows_give_what_numpy_gives(bad: Any) -> None:
    rows: list[Any] = [[0.5, 1.5, 2.5] for _ in range(20)]
    rows[3] = bad
    try:
        expected = _numpy_path(rows, SPEC)
    except VectorError as exc:
        with pytest.raises(VectorError, match=str(exc)):
            records.validate_vectors(rows, SPEC)
        return
    assert records.validate_vectors(rows, SPEC).tobytes() == expected.tobytes()


@given(st.dictionaries(_text, st.recursive(
    st.none() | st.booleans() | st.integers() | _finite | _text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=8,
)))  # fmt: skip
def test_metadata_json_is_what_json_dumps_gives(metadata: dict[str, Any]) -> None:
    expected = json.dumps(metadata, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    assert records.encode_metadata(metadata) == expected


@pytest.mark.parametrize("raw", [b"\x80\x03}q\x00.", b"{not json", "{'single': 'quotes'}"])
def test_unreadable_stored_metadata_is_corrupt_data(raw: bytes | str) -> None:
    from redisai_core import CorruptDataError
    from redisai_core.search.records import decode_metadata

    with pytest.raises(CorruptDataError, match="not UTF-8 JSON"):
        decode_metadata(raw)


@settings(max_examples=400)
@given(st.dictionaries(st.text(), st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)))  # fmt: skip
def test_metadata_json_fast_path_writes_json_dumps_text_or_its_error(
    metadata: dict[str, Any],
) -> None:
    """Any text (control characters, quotes, lone surrogates), integers beyond 64 bits."""
    try:
        expected = json.dumps(metadata, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        expected.encode("utf-8")
    except UnicodeEncodeError:
        with pytest.raises(ConfigError, match="UTF-8 cannot encode"):
            records.encode_metadata(metadata)
        return
    assert records.encode_metadata(metadata) == expected


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"d": value}
    return value


class _Colour(enum.Enum):
    RED = "red"


class _Tag(str):
    pass


@pytest.mark.parametrize(
    "value",
    [
        datetime.datetime(2024, 1, 2, 3, 4, 5),
        datetime.date(2024, 1, 2),
        uuid.UUID(int=7),
        _Colour.RED,
        float("nan"),
        float("inf"),
        (1, 2),
        {1: "int key"},
        {"deep": _nested(40)},
        _Tag("a str subclass"),
        b"bytes",
        1.5,
        2**64,
        -(2**63) - 1,
        '\u2028\x00\x1f\x7f"\\',
    ],
    ids=repr,
)
def test_metadata_json_of_unusual_values_is_what_json_gives(value: Any) -> None:
    metadata = {"k": value}
    try:
        expected = json.dumps(metadata, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError):
        with pytest.raises(ConfigError, match="JSON-serialisable"):
            records.encode_metadata(metadata)
        return
    assert records.encode_metadata(metadata) == expected
