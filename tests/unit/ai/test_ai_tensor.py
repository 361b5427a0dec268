"""The tensor codec: numpy / value lists <-> Tensor, with RedisAI's checks and wording."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from redisai_core.ai import _errors as msg
from redisai_core.ai._tensor import (
    encode,
    from_numpy,
    from_values,
    numpy_dtype,
    to_numpy,
    to_values,
    validate,
    wire_dtype,
)
from redisai_core.ai._types import WIRE_DTYPES, Tensor
from redisai_core.errors import ConfigError, TensorError

NUMERIC = {
    "FLOAT": np.float32,
    "DOUBLE": np.float64,
    "INT8": np.int8,
    "INT16": np.int16,
    "INT32": np.int32,
    "INT64": np.int64,
    "UINT8": np.uint8,
    "UINT16": np.uint16,
    "BOOL": np.bool_,
}
shapes = hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=5)


def _raises(message: str):
    return pytest.raises(TensorError, match="^" + re.escape(message) + "$")


@pytest.mark.parametrize(("wire", "np_type"), NUMERIC.items())
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_numpy_round_trip_every_dtype_and_shape(wire, np_type, data):
    arr = data.draw(hnp.arrays(np_type, shapes))
    tensor = from_numpy(arr)
    assert tensor.dtype == wire
    assert tensor.shape == arr.shape
    assert len(tensor.blob) == arr.size * WIRE_DTYPES[wire]
    validate(tensor)
    back = to_numpy(tensor)
    assert back.dtype == np.dtype(np_type)
    assert back.shape == arr.shape
    np.testing.assert_array_equal(back, arr)  # NaN == NaN here, bit patterns kept


@settings(max_examples=50, deadline=None)
@given(
    arr=hnp.arrays(
        np.dtype("U8"),
        shapes,
        elements=st.text(st.characters(blacklist_characters="\0", codec="utf-8"), max_size=6),
    )
)
def test_string_tensor_round_trip(arr):
    tensor = from_numpy(arr)
    assert tensor.dtype == "STRING"
    assert tensor.blob.count(b"\0") == arr.size
    validate(tensor)
    back = to_numpy(tensor)
    assert back.shape == arr.shape
    assert back.tolist() == arr.tolist()
    assert to_values(tensor) == arr.ravel().tolist()


@pytest.mark.parametrize("wire", [w for w in NUMERIC if w != "BOOL"])
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_values_form_equals_blob_form(wire, data):
    arr = data.draw(
        hnp.arrays(
            NUMERIC[wire],
            shapes,
            elements={"allow_nan": False} if "FLOAT" in wire or wire == "DOUBLE" else None,
        )
    )
    values = arr.ravel().tolist()
    from_list = from_values(values, wire, arr.shape)
    assert from_list == from_numpy(arr)
    assert to_values(from_list) == values


def test_bool_values_and_blob():
    tensor = from_values([True, 0, 1, False], "BOOL", (2, 2))
    assert tensor.blob == b"\1\0\1\0"
    assert to_values(tensor) == [1, 0, 1, 0]
    assert to_numpy(tensor).tolist() == [[True, False], [True, False]]


def test_string_blob_layout():
    tensor = from_values(["a", "", "héllo"], "STRING")
    assert tensor == Tensor("STRING", (3,), b"a\0\0h\xc3\xa9llo\0")
    assert to_values(tensor) == ["a", "", "héllo"]


def test_object_array_of_str_and_bytes_is_string():
    arr = np.array(["x", b"y"], dtype=object)
    assert from_numpy(arr) == Tensor("STRING", (2,), b"x\0y\0")


def test_object_array_of_numbers_is_refused():
    with _raises(msg.INVALID_DTYPE):
        from_numpy(np.array([1, "x"], dtype=object))


def test_float_values_give_python_floats():
    tensor = from_values([1, 2.5, "3"], "FLOAT")
    assert to_values(tensor) == [1.0, 2.5, 3.0]
    assert all(type(v) is float for v in to_values(tensor))


@pytest.mark.parametrize(
    "dtype",
    [
        np.uint32,
        np.uint64,
        np.float16,
        np.complex64,
        np.complex128,
        "datetime64[s]",
        "UINT32",
        "UINT64",
        "HALF",
        "BFLOAT16",
        "nope",
    ],
)
def test_unsupported_dtypes(dtype):
    with _raises(msg.INVALID_DTYPE):
        wire_dtype(dtype)


@pytest.mark.parametrize("np_type", [np.uint32, np.uint64, np.float16, np.complex64])
def test_unsupported_numpy_arrays(np_type):
    with _raises(msg.INVALID_DTYPE):
        from_numpy(np.ones(3, dtype=np_type))


@pytest.mark.parametrize(
    ("name", "wire"),
    [
        ("float", "FLOAT"),
        ("Float", "FLOAT"),
        ("double", "DOUBLE"),
        ("int8", "INT8"),
        ("Int64", "INT64"),
        ("uint16", "UINT16"),
        ("bool", "BOOL"),
        ("str", "STRING"),
        ("string", "STRING"),
        (np.float64, "DOUBLE"),
        (np.dtype("<i2"), "INT16"),
        (np.dtype(">i2"), "INT16"),
        (bool, "BOOL"),
    ],
)
def test_wire_dtype_names(name, wire):
    assert wire_dtype(name) == wire


def test_numpy_dtype_of_wire_names():
    assert numpy_dtype("FLOAT") == np.dtype("<f4")
    assert numpy_dtype("STRING") == np.dtype(str)
    with _raises(msg.INVALID_DTYPE):
        numpy_dtype("UINT32")


def test_big_endian_is_converted_to_little_endian():
    arr = np.array([1.0, 2.0], dtype=">f4")
    tensor = from_numpy(arr)
    assert tensor.blob == np.array([1.0, 2.0], dtype="<f4").tobytes()
    np.testing.assert_array_equal(to_numpy(tensor), [1.0, 2.0])


def test_non_contiguous_is_made_c_order():
    arr = np.arange(12, dtype=np.int32).reshape(3, 4).T
    tensor = from_numpy(arr)
    assert tensor.shape == (4, 3)
    assert tensor.blob == np.ascontiguousarray(arr).tobytes()
    np.testing.assert_array_equal(to_numpy(tensor), arr)


def test_docs_example_blob_is_little_endian_float():
    # PROTOCOL.md §1.1: AI.TENSORGET my_tensor BLOB of FLOAT [1, 2, 3, 4].
    tensor = from_values([1, 2, 3, 4], "FLOAT", (2, 2))
    assert tensor.blob == b"\x00\x00\x80?\x00\x00\x00@\x00\x00@@\x00\x00\x80@"


def test_scalar():
    tensor = from_numpy(np.float32(7))
    assert tensor.shape == ()
    assert to_numpy(tensor).shape == ()
    assert from_values([7], "FLOAT", ()) == tensor


def test_decoded_array_is_read_only():
    out = to_numpy(from_values([1, 2], "INT32"))
    assert not out.flags.writeable
    copy = out.copy()
    copy[0] = 5
    assert copy.tolist() == [5, 2]


# ---- shape errors


@pytest.mark.parametrize("shape", [(0,), (2, 0), (-1,), (1.5,), ("2",), (True,), (None,)])
def test_bad_shapes_in_values_form(shape):
    with _raises(msg.INVALID_SHAPE):
        from_values([1], "FLOAT", shape)


def test_empty_array_is_a_shape_error():
    with _raises(msg.INVALID_SHAPE):
        from_numpy(np.zeros((2, 0), dtype=np.float32))


def test_empty_list_has_an_empty_dimension():
    # The default shape (0,) fails first, as `AI.TENSORSET k FLOAT 0 VALUES` would.
    with _raises(msg.INVALID_SHAPE):
        from_values([], "FLOAT")


def test_numpy_integer_dims_are_fine():
    assert from_values([1, 2], "INT8", (np.int64(2),)).shape == (2,)


# ---- value errors


@pytest.mark.parametrize(
    ("values", "dtype", "shape"),
    [([1, 2, 3], "FLOAT", (2,)), ([1], "FLOAT", (2, 2)), ([1, 2], "INT8", ())],
)
def test_wrong_value_count(values, dtype, shape):
    with _raises(msg.WRONG_VALUE_COUNT):
        from_values(values, dtype, shape)


@pytest.mark.parametrize(
    ("dtype", "value"),
    [
        ("INT8", 128),
        ("INT8", -129),
        ("UINT8", 256),
        ("UINT8", -1),
        ("UINT16", 65536),
        ("INT16", 1 << 15),
        ("INT32", 1 << 31),
        ("INT64", 1 << 63),
        ("INT32", 1.87),
        ("INT32", 2.0),
        ("INT32", "1.87"),
        ("INT32", "+1"),
        ("INT32", " 1"),
        ("INT32", "x"),
        ("INT32", None),
        ("INT32", [1]),
        ("BOOL", 2),
        ("BOOL", -1),
        ("FLOAT", "abc"),
        ("FLOAT", None),
        ("FLOAT", True),
        ("DOUBLE", [1.0]),
        ("STRING", 5),
    ],
)
def test_invalid_values(dtype, value):
    with _raises(msg.INVALID_VALUE):
        from_values([value], dtype)


@pytest.mark.parametrize(
    ("dtype", "value"),
    [("INT8", -128), ("INT16", -32768), ("INT32", -1), ("INT64", -(1 << 63)), ("INT8", "-5")],
)
def test_negative_ints_are_accepted_as_the_blob_path_would(dtype, value):
    # RedisAI's VALUES parser rejects negatives (quirk, PROTOCOL.md §1.1); BLOB stores them.
    assert to_values(from_values([value], dtype)) == [int(value)]


def test_float_overflow_narrows_to_inf_like_redisai():
    assert to_values(from_values([1e300], "FLOAT")) == [float("inf")]


def test_nul_inside_string_value():
    with _raises(msg.NUL_IN_STRING):
        from_values(["a\0b"], "STRING")
    with _raises(msg.NUL_IN_STRING):
        from_numpy(np.array(["a\0b", "c"], dtype=object))


# ---- encode (the facade's entry)


def test_encode_list_needs_dtype():
    with pytest.raises(ConfigError):
        encode([1, 2])


def test_encode_tuple_and_default_shape():
    assert encode((1, 2, 3), dtype="INT16").shape == (3,)


def test_encode_numpy_with_dtype_casts_and_shape_reshapes():
    tensor = encode(np.arange(6), shape=(2, 3), dtype="FLOAT")
    assert tensor.dtype == "FLOAT"
    assert tensor.shape == (2, 3)
    assert to_values(tensor) == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]


def test_encode_numpy_with_wrong_shape():
    with _raises(msg.BLOB_LENGTH):
        encode(np.arange(6), shape=(4,))


def test_encode_numpy_to_string_dtype():
    assert encode(np.array([1, 2]), dtype="STRING") == Tensor("STRING", (2,), b"1\x002\x00")


def test_encode_tensor_is_validated_and_passed_through():
    tensor = Tensor("INT8", (2,), b"\1\2")
    assert encode(tensor) is tensor
    with _raises(msg.BLOB_LENGTH):
        encode(Tensor("INT8", (3,), b"\1\2"))
    with pytest.raises(ConfigError):
        encode(tensor, dtype="INT8")


# ---- validate


@pytest.mark.parametrize(
    ("tensor", "message"),
    [
        (Tensor("UINT32", (1,), b"\0" * 4), msg.INVALID_DTYPE),
        (Tensor("FLOAT", (0,), b""), msg.INVALID_SHAPE),
        (Tensor("FLOAT", (2,), b"\0" * 7), msg.BLOB_LENGTH),
        (Tensor("DOUBLE", (1, 2), b"\0" * 8), msg.BLOB_LENGTH),
        (Tensor("BOOL", (2,), b"\1\2"), msg.BOOL_VALUES),
        (Tensor("STRING", (2,), b"a\0"), msg.STRING_COUNT),
        (Tensor("STRING", (1,), b"a"), msg.STRING_COUNT),
        (Tensor("STRING", (1,), b"a\0b\0"), msg.STRING_COUNT),
    ],
)
def test_validate_errors(tensor, message):
    with _raises(message):
        validate(tensor)
    with _raises(message):
        to_numpy(tensor)


def test_validate_accepts_good_tensors():
    validate(Tensor("BOOL", (2,), b"\0\1"))
    validate(Tensor("STRING", (2,), b"\0\0"))
    validate(Tensor("FLOAT", (), b"\0" * 4))


def test_invalid_utf8_string_round_trips():
    tensor = Tensor("STRING", (1,), b"\xff\xfe\0")
    values = to_values(tensor)
    assert encode(values, dtype="STRING") == tensor
