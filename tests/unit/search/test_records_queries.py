from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from redisai_core import ConfigError, KeySpace, VectorError
from redisai_core.search.filters import field
from redisai_core.search.mmr import mmr_select
from redisai_core.search.queries import (
    aggregate_ids_args,
    decode_cursor,
    decode_ids,
    decode_search,
    decode_total,
    hybrid_args,
    knn_args,
    range_args,
    relevance_score,
)
from redisai_core.search.records import (
    check_ids,
    check_text,
    decode_metadata,
    decode_vector,
    encode_metadata,
    encode_record,
    geo_token,
    project,
    validate_vectors,
)
from redisai_core.search.rendering import render
from redisai_core.search.schema import (
    Algorithm,
    DistanceMetric,
    GeoFieldSpec,
    IndexSchema,
    NumericFieldSpec,
    TagFieldSpec,
    TextFieldSpec,
    VectorDataType,
    VectorFieldSpec,
)

SPACE = KeySpace("app:docs")
SCHEMA = IndexSchema(
    name="idx",
    keyspace=SPACE,
    vector=VectorFieldSpec(dims=3),
    fields=(
        TagFieldSpec(name="topic"),
        NumericFieldSpec(name="year"),
        TextFieldSpec(name="title"),
        GeoFieldSpec(name="place"),
    ),
)
HNSW = IndexSchema(
    name="h", keyspace=SPACE, vector=VectorFieldSpec(dims=3, algorithm=Algorithm.HNSW)
)


def test_validate_vectors() -> None:
    spec = VectorFieldSpec(dims=3)
    out = validate_vectors([[1, 2, 3], (4.0, 5.0, 6.0)], spec)
    assert out.dtype == np.dtype("<f4") and out.shape == (2, 3)
    assert validate_vectors(
        np.ones((2, 3)), VectorFieldSpec(dims=3, datatype=VectorDataType.FLOAT64)
    ).dtype == np.dtype("<f8")
    with pytest.raises(VectorError, match="vector 1 has 2 components"):
        validate_vectors([[1, 2, 3], [1, 2]], spec)
    with pytest.raises(VectorError, match="vector 1 has NaN"):
        validate_vectors([[1, 2, 3], [1, math.nan, 2]], spec)
    with pytest.raises(VectorError, match="vector 0 has NaN or infinite"):
        validate_vectors([[math.inf, 2, 3]], spec)
    with pytest.raises(VectorError, match="overflows"):
        validate_vectors([[1e300, 2, 3]], spec)
    with pytest.raises(VectorError):
        validate_vectors([["a", "b", "c"]], spec)
    with pytest.raises(VectorError):
        validate_vectors(["abc"], spec)
    with pytest.raises(VectorError):
        validate_vectors(np.ones((2, 4)), spec)
    assert isinstance(VectorError("x"), ValueError)


@given(st.lists(st.floats(allow_nan=False, allow_infinity=False, width=32), min_size=3, max_size=3))
def test_vector_bytes_round_trip(values: list[float]) -> None:
    spec = VectorFieldSpec(dims=3)
    blob = validate_vectors([values], spec)[0].tobytes()
    assert len(blob) == 12
    decoded = decode_vector(blob, spec)
    assert decoded is not None and decoded.tolist() == values


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(), children, max_size=3)
    ),
    max_leaves=10,
)


@given(st.dictionaries(st.text(), JSON, max_size=5))
def test_metadata_json_round_trip(metadata: dict[str, object]) -> None:
    assert decode_metadata(encode_metadata(metadata)) == metadata


def test_metadata_rejects_values_json_cannot_hold() -> None:
    with pytest.raises(ConfigError):
        encode_metadata({"x": math.nan})
    with pytest.raises(ConfigError):
        encode_metadata({"x": object()})


def test_projection() -> None:
    projected = project(
        SCHEMA,
        {
            "topic": ["a", " b"],
            "year": 2020,
            "title": "Hello",
            "place": {"lat": 1.5, "lon": 2.5},
            "other": 1,
        },
    )
    assert projected["topic"] == "a\x1f" + "~x~" + b" b".hex()
    assert projected == {**projected, "year": "2020", "title": "Hello", "place": "2.5,1.5"}
    assert "other" not in projected
    # Values that do not fit the field type stay out of the projection.
    assert project(SCHEMA, {"year": True, "topic": {"a": 1}, "title": 3, "place": "x"}) == {
        "place": "x"
    }
    assert project(SCHEMA, {"topic": None}) == {}
    assert project(SCHEMA, {"topic": []}) == {}  # not [""], which projects to ""
    assert project(SCHEMA, {"topic": [""]}) == {"topic": ""}
    assert project(SCHEMA, {"topic": True}) == {"topic": "true"}
    assert geo_token((10, 20)) == "20.0,10.0" and geo_token([True, 1]) is None


def test_encode_record() -> None:
    vec = validate_vectors([[1, 0, 0]], SCHEMA.vector)[0]
    mapping = encode_record(SCHEMA, "hi", vec, encode_metadata({"topic": "a"}), {"topic": "a"})
    assert mapping == {
        "text": "hi",
        "vector": vec.tobytes(),
        "_metadata_json": '{"topic":"a"}',
        "topic": "a",
    }


def test_check_text_and_ids() -> None:
    assert check_text("x", 0) == "x"
    for bad in ("", "   ", None, 3):
        with pytest.raises(ConfigError):
            check_text(bad, 0)
    generated = check_ids(None, 2)
    assert len(generated) == 2 and all(len(g) == 32 for g in generated)
    assert check_ids(["a:b", "c"], 2) == ["a:b", "c"]
    mixed = check_ids([None, "x"], 2)
    assert mixed[1] == "x" and len(mixed[0]) == 32
    for ids in (["a"], ["a", "a"], ["a", ""], ["a", 3]):
        with pytest.raises(ConfigError):
            check_ids(ids, 2)


def test_knn_args() -> None:
    flt = render(field("topic") == "a", SCHEMA)
    args = knn_args(SCHEMA, b"\x00" * 12, 4, flt)
    assert args[:3] == ("FT.SEARCH", "idx", "(@topic:{$f0})=>[KNN $K @vector $vec AS distance]")
    params = args[args.index("PARAMS") : args.index("RETURN")]
    assert params == ("PARAMS", "6", "f0", "a", "K", "4", "vec", b"\x00" * 12)
    assert args[args.index("RETURN") : args.index("RETURN") + 5] == (
        "RETURN",
        "3",
        "text",
        "_metadata_json",
        "distance",
    )
    assert args[-8:] == ("SORTBY", "distance", "ASC", "LIMIT", "0", "4", "DIALECT", "2")
    assert knn_args(SCHEMA, b"", 2, render(None, SCHEMA), ef_runtime=50)[2].startswith(
        "*=>[KNN $K @vector $vec AS"
    )
    hnsw = knn_args(HNSW, b"", 2, render(None, HNSW), ef_runtime=50)
    assert hnsw[2] == "*=>[KNN $K @vector $vec EF_RUNTIME $EF AS distance]" and "EF" in hnsw
    for bad in (0, -1, True, 1.5):
        with pytest.raises(ConfigError):
            knn_args(SCHEMA, b"", bad, render(None, SCHEMA))  # type: ignore[arg-type]


def test_range_and_hybrid_args() -> None:
    args = range_args(SCHEMA, b"v", 0.25, render(field("year") > 1, SCHEMA), limit=10)
    assert (
        args[2]
        == "(@vector:[VECTOR_RANGE $R $vec]=>{$YIELD_DISTANCE_AS: distance}) (@year:[($f0 +inf])"
    )
    assert "0.25" in args
    for bad in (-1, math.nan, math.inf, "1"):
        with pytest.raises(ConfigError):
            range_args(SCHEMA, b"v", bad, render(None, SCHEMA))  # type: ignore[arg-type]
    hyb = hybrid_args(SCHEMA, b"v", "hello {world}|", 3, render(None, SCHEMA))
    assert hyb[2] == "(@text:(hello | world))=>[KNN $K @vector $vec AS distance]"
    with pytest.raises(ConfigError):
        hybrid_args(SCHEMA, b"v", " |{} ", 3, render(None, SCHEMA))


RESP2_REPLY = [
    2,
    b"app:docs:a:b",
    [
        b"distance",
        b"0.25",
        b"text",
        b"hello",
        b"_metadata_json",
        b'{"x":[1,null]}',
        b"vector",
        np.array([1, 2, 3], "<f4").tobytes(),
    ],
    b"app:docs:app:docs:c",
    [b"distance", b"1.5", b"text", "wörld".encode(), b"_metadata_json", b"{}"],
]
RESP3_REPLY = {
    b"attributes": [],
    b"total_results": 2,
    b"format": b"STRING",
    b"results": [
        {
            b"id": b"app:docs:a:b",
            b"extra_attributes": {
                b"distance": b"0.25",
                b"text": b"hello",
                b"_metadata_json": b'{"x":[1,null]}',
                b"vector": np.array([1, 2, 3], "<f4").tobytes(),
            },
            b"values": [],
        },
        {
            b"id": b"app:docs:app:docs:c",
            b"extra_attributes": {
                b"distance": b"1.5",
                b"text": "wörld".encode(),
                b"_metadata_json": b"{}",
            },
            b"values": [],
        },
    ],
    b"warning": [],
}


@pytest.mark.parametrize("reply", [RESP2_REPLY, RESP3_REPLY], ids=["resp2", "resp3"])
def test_decode_search_both_shapes(reply: object) -> None:
    page = decode_search(reply, SCHEMA)
    assert page.total == 2
    first, second = page.hits
    assert first.id == "a:b" and second.id == "app:docs:c"  # prefix-like IDs kept exactly
    assert first.text == "hello" and second.text == "wörld"
    assert first.metadata == {"x": [1, None]} and second.metadata == {}
    assert first.distance == 0.25 and first.score == 0.75
    assert first.vector is not None and first.vector.tolist() == [1, 2, 3]
    assert second.vector is None and second.score == 0.0  # cosine distance > 1 clamps to 0


def test_decode_ids_and_totals() -> None:
    assert decode_ids([2, b"app:docs:x", b"app:docs:y"], SCHEMA) == ["x", "y"]
    assert decode_ids(
        {b"total_results": 1, b"results": [{b"id": b"app:docs:x", b"values": []}]}, SCHEMA
    ) == ["x"]
    assert decode_total([7]) == 7 and decode_total({b"total_results": 7, b"results": []}) == 7


def test_cursor_decoding() -> None:
    assert aggregate_ids_args(SCHEMA, render(None, SCHEMA))[:3] == ("FT.AGGREGATE", "idx", "*")
    resp2 = [[1, [b"__key", b"app:docs:a"], [b"__key", b"app:docs:b:c"]], 123]
    assert decode_cursor(resp2, SCHEMA) == (["a", "b:c"], 123)
    resp3 = [{b"results": [{b"extra_attributes": {b"__key": b"app:docs:a"}, b"values": []}]}, 0]
    assert decode_cursor(resp3, SCHEMA) == (["a"], 0)


def test_relevance_scores() -> None:
    cos = DistanceMetric.COSINE
    assert relevance_score(cos, 0.0) == 1.0
    assert relevance_score(cos, 1.0) == 0.0  # orthogonal
    assert relevance_score(cos, 2.0) == 0.0  # opposite, clamped
    assert relevance_score(cos, 0.2) == pytest.approx(0.8)
    assert relevance_score(DistanceMetric.IP, 0.1) == pytest.approx(0.9)
    assert relevance_score(DistanceMetric.IP, -3.0) == 1.0
    assert relevance_score(DistanceMetric.L2, 0.0) == 1.0
    assert relevance_score(DistanceMetric.L2, 4.0) == pytest.approx(
        1 / 3
    )  # squared distance 4 -> 2
    scores = [relevance_score(DistanceMetric.L2, d) for d in (0, 0.5, 1, 10, 1e6)]
    assert scores == sorted(scores, reverse=True) and all(0 < s <= 1 for s in scores)


def test_mmr_prefers_diverse_candidates() -> None:
    query = np.array([1.0, 0.0])
    candidates = np.array([[1.0, 0.0], [0.99, 0.01], [0.7, 0.7], [0.0, 1.0]])
    assert mmr_select(query, candidates, 2, lambda_mult=1.0) == [0, 1]
    assert mmr_select(query, candidates, 3, lambda_mult=0.7) == [0, 1, 2]
    assert mmr_select(query, candidates, 2, lambda_mult=0.0)[0] == 0
    assert mmr_select(query, candidates, 2, lambda_mult=0.0)[1] == 3
    assert sorted(mmr_select(query, candidates, 10)) == [0, 1, 2, 3]
    assert mmr_select(query, np.empty((0, 2)), 3) == []
    with pytest.raises(ConfigError):
        mmr_select(query, candidates, 2, lambda_mult=1.5)


def test_metadata_json_is_compact_and_unicode() -> None:
    text = encode_metadata({"k": "é"})
    assert text == '{"k":"é"}' and json.loads(text) == {"k": "é"}


def _naive_mmr(query: np.ndarray, cands: np.ndarray, k: int, lam: float) -> list[int]:
    def cos(a: np.ndarray, b: np.ndarray) -> float:
        na, nb = np.linalg.norm(a), np.linalg.norm(b)
        return float(a @ b / (na * nb)) if na and nb else 0.0

    chosen: list[int] = []
    while len(chosen) < min(k, len(cands)):
        best, best_score = -1, -np.inf
        for i in range(len(cands)):
            if i in chosen:
                continue
            red = max((cos(cands[i], cands[j]) for j in chosen), default=0.0)
            score = lam * cos(query, cands[i]) - (1 - lam) * red if chosen else cos(query, cands[i])
            if score > best_score + 1e-12:
                best, best_score = i, score
        chosen.append(best)
    return chosen


@given(st.integers(0, 2**32 - 1), st.sampled_from([0.0, 0.25, 0.5, 0.9, 1.0]))
def test_mmr_matches_a_naive_reference(seed: int, lam: float) -> None:
    rng = np.random.default_rng(seed)
    query, cands = rng.normal(size=4), rng.normal(size=(8, 4))
    assert mmr_select(query, cands, 4, lam) == _naive_mmr(query, cands, 4, lam)
