"""The KNN hot path (cached argv skeletons, positional hit decoding) equals the general path."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import redis
from hypothesis import given
from hypothesis import strategies as st

from redisai_core import ConfigError, FilterError, KeySpace, VectorIndex
from redisai_core.search.filters import Compare, Expr, field
from redisai_core.search.hits import _rows, decode_search
from redisai_core.search.hotpath import ArgvCache, filter_key
from redisai_core.search.queries import knn_args, knn_parts, relevance_score
from redisai_core.search.rendering import render
from redisai_core.search.schema import (
    Algorithm,
    DistanceMetric,
    IndexSchema,
    NumericFieldSpec,
    TagFieldSpec,
    VectorFieldSpec,
)


def _schema(algorithm: Algorithm = Algorithm.HNSW, dims: int = 3) -> IndexSchema:
    return IndexSchema(
        name="idx",
        keyspace=KeySpace("hp"),
        vector=VectorFieldSpec(dims=dims, algorithm=algorithm),
        fields=(TagFieldSpec(name="topic"), NumericFieldSpec(name="year")),
    )


# -- filter keys -------------------------------------------------------------------------------


def test_filter_keys_keep_apart_values_that_are_equal_but_render_differently() -> None:
    keys = [
        filter_key(field("topic") == 1),
        filter_key(field("topic") == True),  # noqa: E712 - a filter, not a comparison
        filter_key(field("topic") == "1"),
    ]
    assert None not in keys
    assert len(set(keys)) == 3
    schema = _schema()
    # And they do render differently: a cache conflating them would send the wrong query.
    as_bool, as_int = Compare("topic", "==", True), Compare("topic", "==", 1)
    assert render(as_bool, schema).params != render(as_int, schema).params


@pytest.mark.parametrize(
    "expr",
    [
        field("topic") == 1.0,  # 0.0 == -0.0, yet they render differently
        field("topic") == -0.0,
        field("year").between(0.5, 2.0),
        field("topic") == ["a"],  # mutable
        field("topic") == {"a": 1},
        field("topic") == (1.0, 2),
    ],
)
def test_filters_with_floats_or_mutable_values_are_not_cached(expr: Expr) -> None:
    assert filter_key(expr) is None


def test_dict_and_string_filters_are_not_cached() -> None:
    assert filter_key({"topic": "a"}) is None
    assert filter_key("@topic:{a}") is None
    assert filter_key(None) == (None,)


_tags = st.sampled_from(["a", "b", 1, True, 0, False, "1", "true", None])
_leaf = st.one_of(
    _tags.map(lambda v: field("topic") == v),
    _tags.map(lambda v: field("topic") != v),
    st.lists(st.sampled_from(["a", "b", 1, True]), max_size=3).map(
        lambda vs: field("topic").in_(vs)
    ),
    st.sampled_from([1, 2, True, 2000]).map(lambda v: field("year") >= v),
)
_exprs = st.recursive(
    _leaf,
    lambda inner: st.one_of(
        st.tuples(inner, inner).map(lambda p: p[0] & p[1]),
        st.tuples(inner, inner).map(lambda p: p[0] | p[1]),
        inner.map(lambda e: ~e),
    ),
    max_leaves=4,
)


def _rendered(expr: Expr, schema: IndexSchema) -> Any:
    try:
        flt = render(expr, schema)
    except FilterError as exc:
        return ("error", str(exc))
    return (flt.query, dict(flt.params), flt.never)


@given(_exprs, _exprs)
def test_equal_filter_keys_mean_identical_renders(a: Expr, b: Expr) -> None:
    schema = _schema()
    key_a, key_b = filter_key(a), filter_key(b)
    if key_a is not None and key_a == key_b:
        assert _rendered(a, schema) == _rendered(b, schema)
    # Equal filters of equal value types share a key (so the cache is hit at all); equal
    # values of different types (1 and True) do not, which is the point.
    assert filter_key(a) == key_a


# -- argv ----------------------------------------------------------------------------------------


def test_knn_parts_around_the_vector_are_the_whole_argv() -> None:
    schema = _schema()
    flt = render(field("topic") == "a", schema)
    prefix, suffix = knn_parts(schema, 4, flt, ef_runtime=40)
    assert (*prefix, b"VEC", *suffix) == knn_args(schema, b"VEC", 4, flt, ef_runtime=40)
    assert (*prefix, b"VEC", *suffix) == (
        "FT.SEARCH",
        "idx",
        "(@topic:{$f0})=>[KNN $K @vector $vec EF_RUNTIME $EF AS distance]",
        "PARAMS",
        "8",
        "f0",
        "a",
        "K",
        "4",
        "vec",
        b"VEC",
        "EF",
        "40",
        "RETURN",
        "3",
        "text",
        "_metadata_json",
        "distance",
        "SORTBY",
        "distance",
        "ASC",
        "LIMIT",
        "0",
        "4",
        "DIALECT",
        "2",
    )


def test_argv_cache_starts_again_for_another_schema_and_when_full() -> None:
    cache = ArgvCache()
    one, two = _schema(), _schema()
    cache.put(one, "k", ("a",))
    assert cache.get(one, "k") == ("a",)
    assert cache.get(two, "k") is None  # an equal but new schema object: a rebuilt index
    cache.put(two, "k2", ("b",))
    assert cache.get(one, "k") is None
    for i in range(300):
        cache.put(two, i, (i,))
    assert cache.get(two, 299) == (299,)
    assert cache.get(two, 0) is None  # dropped when the cache filled up


# -- the index's knn through a recording fake client (the I/O seam) ----------------------------


def _reply(schema: IndexSchema, n: int = 3) -> list[Any]:
    reply: list[Any] = [n]
    for i in range(n):
        reply += [
            schema.keyspace.key(f"d{i}").encode(),
            [
                b"distance",
                f"0.{i}5".encode(),
                b"text",
                f"doc {i}".encode(),
                b"_metadata_json",
                b'{"topic":"a"}',
            ],
        ]
    return reply


@pytest.fixture
def index(monkeypatch: pytest.MonkeyPatch) -> tuple[VectorIndex, list[tuple[Any, ...]]]:
    client = redis.Redis(protocol=2)  # never connects: the search reader is replaced below
    idx = VectorIndex("idx", redis_client=client, prefix="hp")
    schema = _schema()
    idx._schema, idx._checked = schema, True
    calls: list[tuple[Any, ...]] = []

    def execute(args: tuple[Any, ...]) -> Any:  # the I/O seam every search goes through
        calls.append(tuple(args))
        return _reply(schema)

    monkeypatch.setattr(idx._reader, "execute", execute)
    return idx, calls


@pytest.mark.parametrize(
    ("filter", "slow_filter"),
    [
        (None, {}),
        (field("topic") == "a", {"topic": "a"}),
        ((field("topic") == "a") & (field("year") >= 2000), {"topic": "a", "year": {"$gte": 2000}}),
    ],
)
def test_cached_and_general_paths_send_the_same_argv_and_return_the_same_hits(
    index: tuple[VectorIndex, list[tuple[Any, ...]]], filter: Any, slow_filter: Any
) -> None:
    idx, calls = index
    schema = idx.schema
    assert schema is not None
    q = np.array([0.1, 0.2, 0.3], dtype=np.float32)
    first = idx.knn(q, k=3, filter=filter, ef_runtime=20)  # builds the cache entry
    second = idx.knn(q, k=3, filter=filter, ef_runtime=20)  # uses it
    general = idx.knn(q, k=3, filter=slow_filter, ef_runtime=20)  # dicts are never cached
    expected = knn_args(schema, q.tobytes(), 3, render(filter, schema), ef_runtime=20)
    assert calls == [expected, expected, expected]
    assert first == second == general
    assert [h.id for h in first] == ["d0", "d1", "d2"]


def test_cached_path_raises_as_the_general_path_every_time(
    index: tuple[VectorIndex, list[tuple[Any, ...]]],
) -> None:
    idx, calls = index
    q = [0.1, 0.2, 0.3]
    idx.knn(q, k=1)
    for _ in range(2):
        with pytest.raises(ConfigError, match="k must be a positive int"):
            idx.knn(q, k=True)  # equal to 1, which is cached: still refused
        with pytest.raises(ConfigError, match="k must be a positive int"):
            idx.knn(q, k=0)
        with pytest.raises(ConfigError, match="ef_runtime"):
            idx.knn(q, k=1, ef_runtime=0)
        with pytest.raises(FilterError, match="not indexed"):
            idx.knn(q, filter=field("nope") == "a")
    assert len(calls) == 1
    # A filter matching nothing returns no hits and sends nothing, cached or not.
    assert idx.knn(q, filter=field("topic").in_([])) == []
    assert idx.knn(q, filter=field("topic").in_([])) == []
    assert len(calls) == 1


# -- positional hit decoding --------------------------------------------------------------------


def _by_name(reply: list[Any], schema: IndexSchema) -> Any:
    # The general decoder, fed the same rows in a shape the positional path does not take.
    total, rows = _rows(reply)
    return decode_search(
        {
            b"total_results": total,
            b"results": [{b"id": k, b"extra_attributes": a} for k, a in rows],
        },
        schema,
    )


@pytest.mark.parametrize("metric", list(DistanceMetric))
def test_positional_decoding_equals_decoding_by_name(metric: DistanceMetric) -> None:
    schema = IndexSchema(
        name="idx",
        keyspace=KeySpace("hp"),
        vector=VectorFieldSpec(dims=2, distance=metric),
        fields=(),
    )
    vec = np.array([1.5, -2.0], dtype=np.float32).tobytes()
    reply: list[Any] = [
        3,
        b"hp:a",
        [b"distance", b"0.25", b"text", b"x \xff", b"_metadata_json", b'{"n":1}'],
        b"hp:b",
        [b"distance", b"-0.5", b"text", b"y", b"_metadata_json", b"[1]", b"vector", vec],
        b"hp:c",
        [b"distance", b"1.75", b"text", "z", b"_metadata_json", b"{}"],
    ]
    fast = decode_search(reply, schema)
    slow = _by_name(reply, schema)
    assert fast == slow
    assert [h.score for h in fast.hits] == [h.score for h in slow.hits]
    assert fast.hits[1].vector is not None and slow.hits[1].vector is not None
    assert fast.hits[1].vector.tolist() == slow.hits[1].vector.tolist() == [1.5, -2.0]
    # Another field order, a missing field or an odd field array: read by name (or refused).
    shuffled = [1, b"hp:a", [b"text", b"x", b"distance", b"0.25", b"_metadata_json", b"{}"]]
    assert decode_search(shuffled, schema) == _by_name(shuffled, schema)
    missing = [1, b"hp:a", [b"distance", b"0.25", b"_metadata_json", b"{}"]]
    assert decode_search(missing, schema).hits[0].text is None
    with pytest.raises(ValueError):
        decode_search([1, b"hp:a", [b"distance", b"0.25", b"text"]], schema)


def test_positional_decoding_refuses_keys_outside_the_space() -> None:
    schema = _schema()
    reply = [1, b"other:a", [b"distance", b"0.25", b"text", b"x", b"_metadata_json", b"{}"]]
    with pytest.raises(ConfigError, match="not in key space"):
        decode_search(reply, schema)


@pytest.mark.parametrize(
    "raw", [b"nan", b"-0.5", b"0", b"1", b"1.5", b"2", b"inf", b"-inf", b"1e-300"]
)
def test_positional_scores_equal_relevance_scores(raw: bytes) -> None:
    schema = _schema()
    reply = [1, b"hp:a", [b"distance", raw, b"text", b"x", b"_metadata_json", b"{}"]]
    fast = decode_search(reply, schema).hits[0].score
    slow = _by_name(reply, schema).hits[0].score
    assert fast is not None and slow is not None
    assert repr(fast) == repr(slow) == repr(relevance_score(DistanceMetric.COSINE, float(raw)))
