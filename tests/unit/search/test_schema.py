from __future__ import annotations

import pytest

from redisai_core import ConfigError, KeySpace, SchemaError
from redisai_core.search.info import describe_difference, parse_index_info, schema_from_info
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
    infer_fields,
)

SPACE = KeySpace("app:docs")


def _schema(**vector: object) -> IndexSchema:
    return IndexSchema(
        name="idx",
        keyspace=SPACE,
        vector=VectorFieldSpec(dims=4, **vector),  # type: ignore[arg-type]
        fields=(
            TagFieldSpec(name="topic"),
            TagFieldSpec(name="kind", separator=",", case_sensitive=False),
            NumericFieldSpec(name="year"),
            TextFieldSpec(name="title", weight=2.0, no_stem=True),
            GeoFieldSpec(name="place"),
        ),
    )


def test_create_args_flat() -> None:
    args = _schema().create_args()
    assert args[:10] == (
        "FT.CREATE",
        "idx",
        "ON",
        "HASH",
        "PREFIX",
        "1",
        "app:docs:",
        "STOPWORDS",
        "0",
        "SCHEMA",
    )
    body = args[10:]
    assert body[:5] == ("text", "TEXT", "WEIGHT", "1.0", "INDEXEMPTY")
    i = body.index("vector")
    assert body[i : i + 10] == (
        "vector",
        "VECTOR",
        "FLAT",
        "6",
        "TYPE",
        "FLOAT32",
        "DIM",
        "4",
        "DISTANCE_METRIC",
        "COSINE",
    )
    j = body.index("topic")
    assert body[j : j + 7] == (
        "topic",
        "TAG",
        "SEPARATOR",
        "\x1f",
        "CASESENSITIVE",
        "INDEXEMPTY",
        "INDEXMISSING",
    )
    k = body.index("kind")
    assert body[k : k + 6] == ("kind", "TAG", "SEPARATOR", ",", "INDEXEMPTY", "INDEXMISSING")
    assert body[body.index("year") : body.index("year") + 3] == ("year", "NUMERIC", "INDEXMISSING")
    assert all(isinstance(a, str) for a in args)


def test_create_args_hnsw_params_and_flat_block_size() -> None:
    v = VectorFieldSpec(
        dims=8,
        algorithm=Algorithm.HNSW,
        distance=DistanceMetric.IP,
        datatype=VectorDataType.FLOAT64,
        m=8,
        ef_construction=100,
        ef_runtime=20,
        epsilon=0.02,
        initial_cap=1000,
    )
    assert v.args() == (
        "vector",
        "VECTOR",
        "HNSW",
        "16",
        "TYPE",
        "FLOAT64",
        "DIM",
        "8",
        "DISTANCE_METRIC",
        "IP",
        "M",
        "8",
        "EF_CONSTRUCTION",
        "100",
        "EF_RUNTIME",
        "20",
        "EPSILON",
        "0.02",
        "INITIAL_CAP",
        "1000",
    )
    flat = VectorFieldSpec(dims=3, block_size=500)
    assert flat.args()[3:] == (
        "8",
        "TYPE",
        "FLOAT32",
        "DIM",
        "3",
        "DISTANCE_METRIC",
        "COSINE",
        "BLOCK_SIZE",
        "500",
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"dims": 0},
        {"dims": -1},
        {"dims": True},
        {"dims": 4, "m": 0},
        {"dims": 4, "epsilon": 0},
        {"dims": 4, "name": "bad name"},
    ],
)
def test_bad_vector_specs(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        VectorFieldSpec(**kwargs)  # type: ignore[arg-type]


def test_bad_field_specs() -> None:
    with pytest.raises(ConfigError):
        TagFieldSpec(name="text")
    with pytest.raises(ConfigError):
        TagFieldSpec(name="a-b")
    with pytest.raises(ConfigError):
        TagFieldSpec(name="t", separator="ab")
    with pytest.raises(ConfigError):
        IndexSchema(
            name="i",
            keyspace=SPACE,
            vector=VectorFieldSpec(dims=2),
            fields=(TagFieldSpec(name="a"), NumericFieldSpec(name="a")),
        )
    with pytest.raises(ConfigError):
        IndexSchema(name="", keyspace=SPACE, vector=VectorFieldSpec(dims=2))


# Replies captured from redis-server 8.2 with RediSearch 2.10 (see the FT.CREATE in _schema).
RESP2_INFO = [
    b"index_name",
    b"idx",
    b"index_options",
    [],
    b"index_definition",
    [b"key_type", b"HASH", b"prefixes", [b"app:docs:"], b"default_score", b"1"],
    b"attributes",
    [
        [
            b"identifier",
            b"text",
            b"attribute",
            b"text",
            b"type",
            b"TEXT",
            b"WEIGHT",
            b"1",
            b"INDEXEMPTY",
        ],
        [
            b"identifier",
            b"vector",
            b"attribute",
            b"vector",
            b"type",
            b"VECTOR",
            b"algorithm",
            b"HNSW",
            b"data_type",
            b"FLOAT32",
            b"dim",
            4,
            b"distance_metric",
            b"COSINE",
            b"M",
            16,
            b"ef_construction",
            200,
        ],
        [
            b"identifier",
            b"topic",
            b"attribute",
            b"topic",
            b"type",
            b"TAG",
            b"SEPARATOR",
            b"\x1f",
            b"CASESENSITIVE",
            b"INDEXEMPTY",
            b"INDEXMISSING",
        ],
        [
            b"identifier",
            b"kind",
            b"attribute",
            b"kind",
            b"type",
            b"TAG",
            b"SEPARATOR",
            b",",
            b"INDEXEMPTY",
            b"INDEXMISSING",
        ],
        [b"identifier", b"year", b"attribute", b"year", b"type", b"NUMERIC", b"INDEXMISSING"],
        [
            b"identifier",
            b"title",
            b"attribute",
            b"title",
            b"type",
            b"TEXT",
            b"WEIGHT",
            b"2",
            b"NOSTEM",
            b"INDEXEMPTY",
            b"INDEXMISSING",
        ],
        [b"identifier", b"place", b"attribute", b"place", b"type", b"GEO", b"INDEXMISSING"],
    ],
    b"num_docs",
    0,
]
RESP3_INFO = {
    b"index_name": b"idx",
    b"index_definition": {b"key_type": b"HASH", b"prefixes": [b"app:docs:"], b"default_score": 1.0},
    b"attributes": [
        {
            b"identifier": b"text",
            b"attribute": b"text",
            b"type": b"TEXT",
            b"WEIGHT": 1.0,
            b"flags": [b"INDEXEMPTY"],
        },
        {
            b"identifier": b"vector",
            b"attribute": b"vector",
            b"type": b"VECTOR",
            b"algorithm": b"HNSW",
            b"data_type": b"FLOAT32",
            b"dim": 4,
            b"distance_metric": b"COSINE",
            b"M": 16,
            b"ef_construction": 200,
            b"flags": [],
        },
        {
            b"identifier": b"topic",
            b"attribute": b"topic",
            b"type": b"TAG",
            b"SEPARATOR": b"\x1f",
            b"flags": [b"CASESENSITIVE", b"INDEXEMPTY", b"INDEXMISSING"],
        },
        {
            b"identifier": b"kind",
            b"attribute": b"kind",
            b"type": b"TAG",
            b"SEPARATOR": b",",
            b"flags": [b"INDEXEMPTY", b"INDEXMISSING"],
        },
        {
            b"identifier": b"year",
            b"attribute": b"year",
            b"type": b"NUMERIC",
            b"flags": [b"INDEXMISSING"],
        },
        {
            b"identifier": b"title",
            b"attribute": b"title",
            b"type": b"TEXT",
            b"WEIGHT": 2.0,
            b"flags": [b"NOSTEM", b"INDEXEMPTY", b"INDEXMISSING"],
        },
        {
            b"identifier": b"place",
            b"attribute": b"place",
            b"type": b"GEO",
            b"flags": [b"INDEXMISSING"],
        },
    ],
}


@pytest.mark.parametrize("reply", [RESP2_INFO, RESP3_INFO], ids=["resp2", "resp3"])
def test_info_parses_to_the_schema_signature(reply: object) -> None:
    schema = _schema(algorithm=Algorithm.HNSW)
    assert parse_index_info(reply) == schema.signature()
    rebuilt = schema_from_info(reply, "idx", SPACE)
    assert rebuilt.signature() == schema.signature()
    assert rebuilt.vector.dims == 4 and rebuilt.vector.algorithm is Algorithm.HNSW


@pytest.mark.parametrize("reply", [RESP2_INFO, RESP3_INFO], ids=["resp2", "resp3"])
@pytest.mark.parametrize(
    "changed",
    [
        {"vector": VectorFieldSpec(dims=5, algorithm=Algorithm.HNSW)},
        {"vector": VectorFieldSpec(dims=4)},
        {"vector": VectorFieldSpec(dims=4, algorithm=Algorithm.HNSW, m=32)},
        {"vector": VectorFieldSpec(dims=4, algorithm=Algorithm.HNSW, distance=DistanceMetric.L2)},
        {"fields": (TagFieldSpec(name="topic"),)},
        {"keyspace": KeySpace("other")},
    ],
)
def test_info_differs_from_another_schema(reply: object, changed: dict[str, object]) -> None:
    base = _schema(algorithm=Algorithm.HNSW)
    other = IndexSchema(
        **{
            "name": "idx",
            "keyspace": SPACE,
            "vector": base.vector,
            "fields": base.fields,
            **changed,
        }
    )  # type: ignore[arg-type]
    assert parse_index_info(reply) != other.signature()
    assert describe_difference(other.signature(), parse_index_info(reply)) != "no difference"


def test_schema_from_info_without_vector_field() -> None:
    reply = {
        b"attributes": [{b"attribute": b"t", b"type": b"TAG", b"SEPARATOR": b",", b"flags": []}]
    }
    with pytest.raises(SchemaError):
        schema_from_info(reply, "idx", SPACE)


def test_infer_fields() -> None:
    fields = infer_fields(
        [
            {
                "topic": "a",
                "year": 2020,
                "score": 0.5,
                "flag": True,
                "tags": ["x", "y"],
                "nested": {"a": 1},
                "none": None,
                "bad key": "x",
                "text": "reserved",
                "mixed": 1,
                "pt": {"lat": 1.0, "lon": 2.0},
            },
            {"topic": "b", "year": 2021, "mixed": "one", "later": 3},
        ]
    )
    by_name = {f.name: f for f in fields}
    assert isinstance(by_name["topic"], TagFieldSpec)
    assert isinstance(by_name["year"], NumericFieldSpec)
    assert isinstance(by_name["score"], NumericFieldSpec)
    assert isinstance(by_name["flag"], TagFieldSpec)  # bool is not numeric
    assert isinstance(by_name["tags"], TagFieldSpec)
    assert isinstance(by_name["later"], NumericFieldSpec)
    assert isinstance(by_name["pt"], GeoFieldSpec)
    assert set(by_name) == {"topic", "year", "score", "flag", "tags", "later", "pt"}
