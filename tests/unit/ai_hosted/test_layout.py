"""Key layout and record codecs of the hosted executor (pure)."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from redisai_core import KeySpace
from redisai_core.ai._hosted._layout import (
    Layout,
    chunk_blob,
    decode_meta,
    decode_stats,
    decode_tensor,
    encode_meta,
    encode_tensor,
    queue_stats,
    stat_increments,
)
from redisai_core.ai._types import WIRE_DTYPES, ModelMeta, Tensor


def as_reply(fields: dict[str, bytes]) -> dict[bytes, bytes]:
    return {k.encode(): v for k, v in fields.items()}


@given(
    dtype=st.sampled_from(sorted(WIRE_DTYPES)),
    shape=st.lists(st.integers(1, 10_000), max_size=6).map(tuple),
    blob=st.binary(max_size=64),
)
def test_tensor_record_round_trips(dtype, shape, blob):
    tensor = Tensor(dtype, shape, blob)
    assert decode_tensor(as_reply(encode_tensor(tensor))) == tensor


def test_missing_tensor_decodes_to_none():
    assert decode_tensor({}) is None


def test_meta_round_trips_and_records_hash_and_size():
    meta = ModelMeta("ONNX", "GPU:1", "tag", 8, 2, 50, ("a", "b"), ("y",))
    stored = decode_meta(encode_meta(meta, b"blob", 3))
    assert stored.meta == meta
    assert (stored.size, stored.chunks) == (4, 3)
    assert stored.sha256 == hashlib.sha256(b"blob").hexdigest()


@given(blob=st.binary(max_size=300), size=st.integers(1, 100))
def test_chunks_join_back_and_respect_the_size(blob, size):
    chunks = chunk_blob(blob, size)
    assert b"".join(chunks) == blob
    assert chunks
    assert all(len(c) <= size for c in chunks)


@given(key=st.text(max_size=20))
def test_every_kind_of_key_lives_in_the_space_and_parses_back(key):
    layout = Layout(KeySpace("p"))
    assert layout.objects.id_from_key(layout.obj(key)) == key
    assert layout.versions.id_from_key(layout.version(key)) == key
    # Tensor/model objects and version keys never share a prefix: tracking the version
    # prefix must not report tensor writes.
    assert not layout.obj(key).startswith(layout.versions.head)
    assert not layout.version(key).startswith(layout.objects.head)
    assert layout.stats(key).startswith("p:")


def test_stats_fields_are_per_version():
    assert stat_increments(3, [10, 2, 1, 0]) == [
        ("3:duration", 10),
        ("3:samples", 2),
        ("3:calls", 1),
    ]
    fields = {b"3:duration": b"10", b"3:calls": b"1", b"2:calls": b"99"}
    assert decode_stats(fields, 3) == {"duration": 10, "samples": 0, "calls": 1, "errors": 0}
    assert decode_stats(fields, 4) == {"duration": 0, "samples": 0, "calls": 0, "errors": 0}


def test_queue_stats_queues_hincrby_on_the_stats_key():
    calls = []

    class Pipe:
        def hincrby(self, *args):
            calls.append(args)

    queue_stats(Pipe(), Layout(KeySpace("p")), "m", 7, (5, 1, 1, 0))
    assert calls == [
        ("p:stats:m", "7:duration", 5),
        ("p:stats:m", "7:samples", 1),
        ("p:stats:m", "7:calls", 1),
    ]
