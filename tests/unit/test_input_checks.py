"""Up-front argument checks and stored-record decoders found by the hostile-input corpus.

The corpus (``tests/integration/test_bad_input_corpus.py``) proves these through the public API
against a real server; these pin the pure pieces without one.
"""

from __future__ import annotations

import json
import math

import pytest

from redisai_core import ConfigError, CorruptDataError
from redisai_core.ai._hosted._layout import decode_meta, decode_tensor, encode_meta
from redisai_core.ai._types import ModelMeta
from redisai_core.cache_record import entry_id
from redisai_core.config import MAX_TTL, check_ttl
from redisai_core.embeddings import check_texts


@pytest.mark.parametrize("ttl", [math.nan, math.inf, -math.inf, 0, -1, "10", True, MAX_TTL * 2])
def test_check_ttl_refuses(ttl: object) -> None:
    with pytest.raises(ConfigError):
        check_ttl(ttl)


@pytest.mark.parametrize("ttl", [None, 0.001, 1, 3600.5, MAX_TTL])
def test_check_ttl_accepts(ttl: float | None) -> None:
    assert check_ttl(ttl) == ttl


@pytest.mark.parametrize("args", [(None, "llm"), ("p", 3), (b"p", "llm")])
def test_cache_entry_id_needs_str(args: tuple[object, object]) -> None:
    with pytest.raises(TypeError):
        entry_id(*args)  # type: ignore[arg-type]


def test_cache_entry_id_hashes_lone_surrogates_distinctly() -> None:
    assert entry_id("\udcff", "") != entry_id("\udcfe", "")


def test_texts_with_a_lone_surrogate_are_refused_before_tokenizing() -> None:
    with pytest.raises(ConfigError, match=r"texts\[1\]"):
        check_texts(["fine", "bad \ud800"])
    assert check_texts(["é", "日本", ""]) == ["é", "日本", ""]


@pytest.mark.parametrize(
    "fields",
    [
        {b"dtype": b"FLOAT"},
        {b"dtype": b"PICKLE", b"shape": b"1", b"blob": b"1234"},
        {b"dtype": b"FLOAT", b"shape": b"2,x", b"blob": b""},
        {b"shape": b"1", b"blob": b"1234"},
    ],
)
def test_a_malformed_tensor_hash_is_corrupt_data(fields: dict[bytes, bytes]) -> None:
    with pytest.raises(CorruptDataError, match="tensor 't'"):
        decode_tensor(fields, "t")


_GOOD = json.loads(encode_meta(ModelMeta("ONNX", "CPU", inputs=("x",), outputs=("y",)), b"b", 1))


@pytest.mark.parametrize(
    "raw",
    [
        b"\x80\x04K\x01.",  # a pickle
        b"{not json",
        b"[1, 2]",
        json.dumps({"backend": "ONNX"}).encode(),
        json.dumps({**_GOOD, "batchsize": "8"}).encode(),
        json.dumps({**_GOOD, "inputs": [1]}).encode(),
        json.dumps({**_GOOD, "minbatchtimeout": True}).encode(),
    ],
)
def test_malformed_model_metadata_is_corrupt_data(raw: bytes) -> None:
    with pytest.raises(CorruptDataError, match="model 'm'"):
        decode_meta(raw, "m")


def test_good_model_metadata_still_decodes() -> None:
    assert decode_meta(json.dumps(_GOOD).encode()).meta.inputs == ("x",)
