"""The hot paths of every search give exactly what the plain ones give."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from redisai_core import ConfigError, KeySpace, VectorError
from redisai_core.search.filters import field
from redisai_core.search.queries import (
    SearchHit,
    decode_scored,
    decode_search,
    knn_args,
    relevance_score,
    text_args,
)
from redisai_core.search.records import decode_metadata, validate_query_vector
from redisai_core.search.rendering import render
from redisai_core.search.schema import (
    DistanceMetric,
    IndexSchema,
    VectorDataType,
    VectorFieldSpec,
)

SPEC = VectorFieldSpec(dims=3)


@pytest.mark.parametrize(
    "text",
    [
        '{"n":123456789012345678901234567890}',  # beyond 64 bits: orjson would give a float
        '{"n":-9223372036854775809}',
        '{"n":18446744073709551615,"m":-9223372036854775808}',
        '{"s":"\\ud800"}',  # a lone surrogate, escaped
        '{"f":1e400}',  # beyond float range: json reads infinity
        '{"a":1,"a":2}',
        '{"s":"1234567890123456789012"}',
        '{"u":"\\u00e9 é 日本","nested":{"l":[1,2.5,null,true,"x"]}}',
        '{"f":-0.0,"g":0.1,"h":1.7976931348623157e308}',
        "[1, 2]",  # not an object: no metadata
    ],
)
def test_decode_metadata_equals_json(text: str) -> None:
    loaded = json.loads(text)
    want = loaded if isinstance(loaded, dict) else {}
    for raw in (text, text.encode("utf-8", "surrogatepass")):
        got = decode_metadata(raw)
        assert got == want or (math.isinf(want.get("f", 0)) and got == want)
        assert json.dumps(got, sort_keys=True) == json.dumps(want, sort_keys=True)


@given(st.dictionaries(st.text(), st.integers() | st.floats(allow_nan=False) | st.text()))
def test_decode_metadata_matches_json_on_any_object(metadata: dict[str, object]) -> None:
    text = json.dumps(metadata, ensure_ascii=False)
    got = decode_metadata(text.encode("utf-8", "surrogatepass"))
    assert json.dumps(got) == json.dumps(json.loads(text))


def test_query_vector_fast_paths() -> None:
    array = np.array([1, 2, 3], dtype="<f4")
    assert validate_query_vector(array, SPEC) is array  # right dtype and shape: no copy
    for given_vector in ([1.0, 2.0, 3.0], (1, 2, 3), np.array([1.0, 2.0, 3.0]), [True, 2, 3.0]):
        out = validate_query_vector(given_vector, SPEC)
        assert out.dtype == np.dtype("<f4") and out.shape == (3,)
        assert out.tolist() == [float(x) for x in given_vector]
    f64 = VectorFieldSpec(dims=2, datatype=VectorDataType.FLOAT64)
    out = validate_query_vector([0.1, 1e300], f64)
    assert out.dtype == np.dtype("<f8") and out.tolist() == [0.1, 1e300]
    # Finite, though its squares would overflow float32.
    assert validate_query_vector([1e20, -1e20, 0.0], SPEC).tolist() == [
        float(np.float32(1e20)),
        float(np.float32(-1e20)),
        0.0,
    ]


@pytest.mark.parametrize(
    ("vector", "message"),
    [
        ([1.0, math.nan, 2.0], "the query vector has NaN or infinite"),
        ((1.0, 2.0, -math.inf), "the query vector has NaN or infinite"),
        (np.array([1, math.inf, 2], dtype="<f4"), "the query vector has NaN or infinite"),
        ([1.0, 2.0], "the query vector has 2 components"),
        (np.ones(4, dtype="<f4"), "the query vector has 4 components"),
        ([1e300, 1.0, 1.0], "overflows FLOAT32"),
        (["a", "b", "c"], "real numbers"),
        ("abc", "is a str"),
        (None, "has 1 components"),
    ],
)
def test_query_vector_errors(vector: object, message: str) -> None:
    with pytest.raises(VectorError, match=message):
        validate_query_vector(vector, SPEC)


def _reference_hit(key: bytes, fields: dict[bytes, bytes], schema: IndexSchema) -> SearchHit:
    distance = float(fields[b"distance"])
    return SearchHit(
        id=schema.keyspace.id_from_key(key),
        text=fields[b"text"].decode(),
        metadata=json.loads(fields[b"_metadata_json"]),
        distance=distance,
        score=relevance_score(schema.vector.distance, distance),
    )


@pytest.mark.parametrize("metric", list(DistanceMetric))
def test_decoded_hits_equal_plainly_built_ones(metric: DistanceMetric) -> None:
    schema = IndexSchema(
        name="i", keyspace=KeySpace("p:é"), vector=VectorFieldSpec(dims=3, distance=metric)
    )
    rows = [
        ("p:é:a".encode(), {b"distance": b"0.25", b"text": b"x", b"_metadata_json": b'{"k":1}'}),
        ("p:é:ü:\udcff".encode("utf-8", "surrogateescape"), {
            b"distance": b"3.5", b"text": "wö".encode(), b"_metadata_json": b"{}",
        }),
    ]  # fmt: skip
    reply: list[object] = [2]
    for key, fields in rows:
        reply += [key, [x for pair in fields.items() for x in pair]]
    hits = decode_search(reply, schema).hits
    assert hits == [_reference_hit(key, fields, schema) for key, fields in rows]
    assert hits[1].id == "ü:\udcff"  # undecodable bytes kept, as KeySpace.id_from_key keeps them
    with pytest.raises(dataclasses.FrozenInstanceError):
        hits[0].id = "other"  # type: ignore[misc]


def test_decode_search_other_shapes() -> None:
    schema = IndexSchema(name="i", keyspace=KeySpace("p"), vector=SPEC)
    # A document with none of the returned fields comes back as an empty array.
    page = decode_search([2, b"p:a", [], b"p:b", [b"text", b"t"]], schema)
    assert [(h.id, h.text, h.metadata, h.score) for h in page.hits] == [
        ("a", None, {}, None),
        ("b", "t", {}, None),
    ]
    decoded = decode_search([1, "p:c", ["text", "t", "distance", "0.5"]], schema)
    assert decoded.hits[0].id == "c" and decoded.hits[0].score == 0.5
    with pytest.raises(ConfigError, match="not in key space"):
        decode_search([1, b"other:c", [b"text", b"t"]], schema)


def test_inkeys_and_text_search_builders() -> None:
    schema = IndexSchema(name="i", keyspace=KeySpace("p"), vector=SPEC)
    everything = render(None, schema)
    args = knn_args(schema, b"v", 2, everything, keys=["p:a b", 'p:"x*'])
    at = args.index("INKEYS")
    assert args[at : at + 4] == ("INKEYS", "2", "p:a b", 'p:"x*')  # keys as arguments, verbatim
    assert "INKEYS" not in knn_args(schema, b"v", 2, everything)
    text = text_args(schema, "Red, red apple!", 3, render(field("text").text_match("x"), schema))
    assert text[2] == (
        "(@text:(Red | red | apple))=>{$weight: 0.0} ~@text:Red ~@text:red ~@text:apple (@text:(x))"
    )
    assert text[3:6] == ("WITHSCORES", "SCORER", "BM25STD") and text[-4:-2] == ("0", "3")
    # Query syntax in the text separates words, as the server's tokenizer does.
    hostile = text_args(schema, 'a"b) | @x:{y}', 1, everything, scorer="TFIDF")
    assert (
        hostile[2] == "(@text:(a | b | x | y))=>{$weight: 0.0} ~@text:a ~@text:b ~@text:x ~@text:y"
    )
    assert hostile[5] == "TFIDF"
    escaped = text_args(schema, "v\\:1", 1, everything)[2]  # an escaped colon joins the word
    assert escaped == "(@text:(v\\:1))=>{$weight: 0.0} ~@text:v\\:1"
    for blank in ("", "  ", "{} | ()"):
        with pytest.raises(ConfigError, match="no words"):
            text_args(schema, blank, 1, everything)


@pytest.mark.parametrize(
    "reply",
    [
        [2, b"p:a", b"1.5", [b"text", b"x"], b"p:b", b"0.25", [b"text", b"y"]],
        {
            b"total_results": 2,
            b"results": [
                {b"id": b"p:a", b"score": 1.5, b"extra_attributes": {b"text": b"x"}},
                {b"id": b"p:b", b"score": 0.25, b"extra_attributes": {b"text": b"y"}},
            ],
        },
    ],
    ids=["resp2", "resp3"],
)
def test_decode_scored(reply: object) -> None:
    schema = IndexSchema(name="i", keyspace=KeySpace("p"), vector=SPEC)
    page = decode_scored(reply, schema)
    assert page.total == 2
    assert [(h.id, h.text, h.score, h.distance) for h in page.hits] == [
        ("a", "x", 1.5, None),
        ("b", "y", 0.25, None),
    ]
