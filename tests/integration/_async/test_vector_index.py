"""The vector index against the real query engine: writes, reads, filters, schema checks."""

from __future__ import annotations

import math
import uuid
from collections.abc import AsyncIterator, Callable

import numpy as np
import pytest
import redis.asyncio

from redisai_core import (
    ConfigError,
    FilterError,
    GeoFieldSpec,
    KeySpace,
    NumericFieldSpec,
    SchemaError,
    TagFieldSpec,
    TextFieldSpec,
    VectorError,
    VectorFieldSpec,
)
from redisai_core._async.vector_index import AsyncVectorIndex
from redisai_core.search import field
from redisai_core.search.filters import IsEmpty

IndexFactory = Callable[..., AsyncVectorIndex]


@pytest.fixture
async def make_index(redis_url: str, keyspace: KeySpace) -> AsyncIterator[IndexFactory]:
    """Build indexes under this test's key space; drop them (and their keys) afterwards."""
    made: list[AsyncVectorIndex] = []
    clients: list[redis.asyncio.Redis] = []

    def factory(protocol: int = 3, name: str | None = None, **kwargs: object) -> AsyncVectorIndex:
        client = redis.asyncio.Redis.from_url(redis_url, protocol=protocol)
        clients.append(client)
        kwargs.setdefault("prefix", keyspace.child("docs").prefix)
        index = AsyncVectorIndex(
            name or f"idx-{uuid.uuid4().hex[:10]}",
            redis_client=client,
            **kwargs,  # type: ignore[arg-type]
        )
        made.append(index)
        return index

    yield factory
    for index in made:
        await index.drop(delete_documents=True)
    for client in clients:
        await client.aclose()


async def _key_count(index: AsyncVectorIndex) -> int:
    return len([k async for k in index.redis.scan_iter(match=index.keyspace.pattern())])


@pytest.mark.parametrize("protocol", [2, 3])
async def test_ids_text_and_metadata_round_trip(make_index: IndexFactory, protocol: int) -> None:
    index = make_index(protocol)
    ids = ["plain", "with:colon", "test:docs:looks-like-a-prefix", "üñí €", "a{b}|c*"]
    metadatas = [
        {"topic": "a", "year": 2020, "nested": {"list": [1, None, {"x": "y"}]}},
        {"topic": "b", "year": 2021, "tags": ["p", "q"], "none": None},
        {"topic": "c", "flag": True},
        {},
        {"deep": [[[]]], "float": 0.1},
    ]
    vectors = np.eye(5, 4, dtype=np.float32)[:, :4] + 0.01
    got_ids = await index.add([f"doc {i}" for i in range(5)], vectors, metadatas, ids=ids)
    assert got_ids == ids
    records = await index.get([*reversed(ids), "missing"], with_vectors=True)
    assert [r.id for r in records] == list(reversed(ids))
    by_id = {r.id: r for r in records}
    for i, doc_id in enumerate(ids):
        assert by_id[doc_id].text == f"doc {i}"
        assert by_id[doc_id].metadata == metadatas[i]
        vec = by_id[doc_id].vector
        assert vec is not None and np.allclose(vec, vectors[i])
    hits = await index.knn(vectors[1], k=5)
    assert hits[0].id == "with:colon" and set(h.id for h in hits) == set(ids)
    assert sorted(await index.list_ids()) == sorted(ids)
    assert await index.count() == 5
    assert await index.delete(["with:colon", "nope"]) == 1
    assert await index.get(["with:colon"]) == []
    assert await index.count() == 4


async def test_generated_ids_are_uuid4_hex(make_index: IndexFactory) -> None:
    index = make_index()
    ids = await index.add(["a", "b"], [[1.0, 0.0], [0.0, 1.0]])
    assert len(set(ids)) == 2
    for doc_id in ids:
        assert uuid.UUID(hex=doc_id).version == 4 and len(doc_id) == 32


async def test_upsert_replaces_metadata_and_projections(make_index: IndexFactory) -> None:
    index = make_index(fields=[TagFieldSpec(name="topic"), NumericFieldSpec(name="year")])
    await index.add(["v1"], [[1.0, 0.0]], [{"topic": "a", "year": 1}], ids=["x"])
    await index.add(["v2"], [[0.0, 1.0]], [{"year": 2}], ids=["x"])
    (record,) = await index.get(["x"])
    assert record.text == "v2" and record.metadata == {"year": 2}
    assert await index.count({"topic": "a"}) == 0
    assert await index.count({"year": 2}) == 1


async def _operator_index(make_index: IndexFactory) -> AsyncVectorIndex:
    index = make_index(
        fields=[
            TagFieldSpec(name="topic"),
            TagFieldSpec(name="label", case_sensitive=False),
            TagFieldSpec(name="tags"),
            NumericFieldSpec(name="year"),
            TextFieldSpec(name="title"),
            GeoFieldSpec(name="place"),
        ]
    )
    docs = {
        "d1": {
            "topic": "a",
            "label": "Red",
            "tags": ["x", "y"],
            "year": 2019,
            "title": "The quick brown fox",
            "place": {"lat": 51.5, "lon": -0.12},
        },
        "d2": {
            "topic": "b",
            "label": "red",
            "tags": ["y"],
            "year": 2020,
            "title": "Lazy dogs sleep",
            "place": {"lat": 48.85, "lon": 2.35},
        },
        "d3": {
            "topic": "a|b",
            "label": "BLUE",
            "tags": [],
            "year": 2021.5,
            "title": "Quick thinking",
        },
        "d4": {"topic": "", "tags": ["z"], "year": 2022},
        "d5": {"label": "green", "title": ""},
    }
    await index.add(
        [f"text of {k}" for k in docs], np.ones((len(docs), 3)), list(docs.values()), ids=list(docs)
    )
    return index


OPERATOR_CASES: list[tuple[object, set[str]]] = [
    (field("topic") == "a", {"d1"}),
    (field("topic") == "a|b", {"d3"}),
    (field("topic") != "a", {"d2", "d3", "d4", "d5"}),
    (field("topic").in_(["a", "b"]), {"d1", "d2"}),
    (field("topic").not_in(["a", "b"]), {"d3", "d4", "d5"}),
    (field("topic").in_([]), set()),
    (field("label") == "RED", {"d1", "d2"}),
    (field("tags").contains("y"), {"d1", "d2"}),
    (field("tags").any_of(["x", "z"]), {"d1", "d4"}),
    (field("tags").all_of(["x", "y"]), {"d1"}),
    (field("year") == 2020, {"d2"}),
    (field("year") != 2020, {"d1", "d3", "d4", "d5"}),
    (field("year") < 2020, {"d1"}),
    (field("year") <= 2020, {"d1", "d2"}),
    (field("year") > 2021, {"d3", "d4"}),
    (field("year") >= 2021.5, {"d3", "d4"}),
    (field("year").between(2020, 2021.5), {"d2", "d3"}),
    (field("year").between(2020, 2021.5, inclusive=False), set()),
    (field("year").in_([2019, 2022]), {"d1", "d4"}),
    (field("title").text_match("QUICK"), {"d1", "d3"}),
    (field("title").text_match("fox quick"), {"d1"}),
    (field("title") == "quick brown", {"d1"}),
    (field("title").contains("brown fox"), {"d1"}),
    (field("title") == "brown quick", set()),
    (field("topic").text_match("|"), {"d3"}),
    (field("label").text_match("re", case_sensitive=False), {"d1", "d2", "d5"}),
    (field("text").text_match("d3"), {"d3"}),
    (field("place").within(51.5, -0.1, 10, "km"), {"d1"}),
    (field("place").within(50.0, 1.0, 500, "km"), {"d1", "d2"}),
    (IsEmpty("topic"), {"d4", "d5"}),
    (IsEmpty("tags"), {"d3", "d5"}),
    (IsEmpty("year"), {"d5"}),
    (IsEmpty("title"), {"d4", "d5"}),
    (IsEmpty("place"), {"d3", "d4", "d5"}),
    ((field("topic") == "a") | (field("year") >= 2022), {"d1", "d4"}),
    ((field("tags").contains("y")) & ~(field("label") == "red"), set()),
    (~((field("year") < 2020) | IsEmpty("topic")), {"d2", "d3"}),
    (((field("topic") == "a") | (field("topic") == "b")) & (field("year") > 2019), {"d2"}),
    ({"topic": "a", "year": {"$gte": 2019}}, {"d1"}),
    ({"$or": [{"topic": "b"}, {"year": {"$lt": 2020}}]}, {"d1", "d2"}),
    ({"$not": {"topic": {"$in": ["a", "b"]}}}, {"d3", "d4", "d5"}),
    ({"$and": [{"tags": {"$in": ["y"]}}, {"$not": [{"year": 2019}]}]}, {"d2"}),
    ({"topic": {"$nin": ["a"]}, "year": {"$ne": 2022}}, {"d2", "d3", "d5"}),
]


async def test_every_operator(make_index: IndexFactory) -> None:
    index = await _operator_index(make_index)
    for expr, expected in OPERATOR_CASES:
        got = set(await index.list_ids(expr))  # type: ignore[arg-type]
        assert got == expected, expr
        assert await index.count(expr) == len(expected), expr  # type: ignore[arg-type]
        hits = await index.knn([1.0, 1.0, 1.0], k=10, filter=expr)  # type: ignore[arg-type]
        assert {h.id for h in hits} == expected, expr


async def test_delete_where(make_index: IndexFactory) -> None:
    index = await _operator_index(make_index)
    assert await index.delete_where(field("year") <= 2020) == 2
    assert set(await index.list_ids()) == {"d3", "d4", "d5"}


async def test_unknown_filter_field_and_bad_values(make_index: IndexFactory) -> None:
    index = await _operator_index(make_index)
    with pytest.raises(FilterError, match="'nope' is not indexed"):
        await index.knn([1.0, 1.0, 1.0], filter={"nope": 1})
    with pytest.raises(FilterError):
        await index.count({"year": "x"})
    with pytest.raises(FilterError):
        await index.list_ids({"topic": {"$regex": "a"}})


SQRT_HALF = math.sqrt(0.5)


@pytest.mark.parametrize("algorithm", ["FLAT", "HNSW"])
@pytest.mark.parametrize(
    ("metric", "distances"),
    [
        # Query (1, 0) against (1, 0), (s, s), (0, 1), (-1, 0), (2, 0).
        (
            "COSINE",
            {"same": 0.0, "diag": 1 - SQRT_HALF, "ortho": 1.0, "opposite": 2.0, "long": 0.0},
        ),
        ("IP", {"same": 0.0, "diag": 1 - SQRT_HALF, "ortho": 1.0, "opposite": 2.0, "long": -1.0}),
        (
            "L2",
            {
                "same": 0.0,
                "diag": (1 - SQRT_HALF) ** 2 + 0.5,
                "ortho": 2.0,
                "opposite": 4.0,
                "long": 1.0,
            },
        ),
    ],
)
async def test_knn_distances_and_scores_per_metric(
    make_index: IndexFactory, algorithm: str, metric: str, distances: dict[str, float]
) -> None:
    from redisai_core import Algorithm, DistanceMetric
    from redisai_core.search import relevance_score

    spec = VectorFieldSpec(dims=2, algorithm=Algorithm(algorithm), distance=DistanceMetric(metric))
    index = make_index(vector=spec, fields=[])
    vectors = {
        "same": [1, 0],
        "diag": [SQRT_HALF, SQRT_HALF],
        "ortho": [0, 1],
        "opposite": [-1, 0],
        "long": [2, 0],
    }
    await index.add(list(vectors), list(vectors.values()), ids=list(vectors))
    hits = await index.knn([1.0, 0.0], k=5, ef_runtime=50)
    assert len(hits) == 5
    got = {h.id: h.distance for h in hits}
    for name, expected in distances.items():
        assert got[name] == pytest.approx(expected, abs=1e-5), name
    assert [h.distance for h in hits] == sorted(h.distance for h in hits)  # type: ignore[type-var]
    for hit in hits:
        assert hit.distance is not None and hit.score is not None
        assert hit.score == pytest.approx(relevance_score(DistanceMetric(metric), hit.distance))
        assert 0.0 <= hit.score <= 1.0
    top2 = await index.knn([1.0, 0.0], k=2)
    assert len(top2) == 2 and top2[0].distance == min(distances.values())
    # A radius away from every distance, so float32 rounding cannot move a boundary case.
    within = await index.range_search([1.0, 0.0], 0.5)
    expected_within = {n for n, d in distances.items() if d <= 0.5}
    assert {h.id for h in within} == expected_within


async def test_float64_vectors(make_index: IndexFactory) -> None:
    from redisai_core import VectorDataType

    index = make_index(vector=VectorFieldSpec(dims=3, datatype=VectorDataType.FLOAT64), fields=[])
    await index.add(["a", "b"], [[0.1, 0.2, 0.3], [1.0, 0.0, 0.0]], ids=["a", "b"])
    (rec,) = await index.get(["a"], with_vectors=True)
    assert rec.vector is not None and rec.vector.dtype == np.float64
    assert rec.vector.tolist() == [0.1, 0.2, 0.3]
    assert (await index.knn([0.1, 0.2, 0.3], k=1))[0].id == "a"


async def test_hybrid_and_mmr(make_index: IndexFactory) -> None:
    index = make_index(fields=[TagFieldSpec(name="topic")])
    texts = ["red apples", "green apples", "red cars", "blue sky"]
    vectors = [[1.0, 0.0], [0.99, 0.01], [0.0, 1.0], [0.7, 0.7]]
    await index.add(
        texts, vectors, [{"topic": t.split()[1]} for t in texts], ids=["ra", "ga", "rc", "bs"]
    )
    hybrid = await index.hybrid([1.0, 0.0], "red", k=4)
    assert [h.id for h in hybrid] == ["ra", "rc"]
    hybrid = await index.hybrid([0.0, 1.0], "apples | {sky}", k=4, filter={"topic": {"$ne": "sky"}})
    assert [h.id for h in hybrid] == ["ga", "ra"]
    with pytest.raises(ConfigError):
        await index.hybrid([1.0, 0.0], " {} ", k=2)
    plain = await index.knn([1.0, 0.0], k=2)
    assert [h.id for h in plain] == ["ra", "ga"]
    diverse = await index.mmr([1.0, 0.0], k=2, fetch_k=4, lambda_mult=0.3)
    assert diverse[0].id == "ra" and diverse[1].id != "ga"
    assert [h.id for h in await index.mmr([1.0, 0.0], k=2, fetch_k=4, lambda_mult=1.0)] == [
        "ra",
        "ga",
    ]


async def test_id_restriction(make_index: IndexFactory) -> None:
    index = make_index(fields=[TagFieldSpec(name="topic")])
    ids = ["ra", "a{b}|c* ü", "rc", "bs"]
    texts = ["red apples", "green apples", "red cars", "blue sky"]
    vectors = [[1.0, 0.0], [0.99, 0.01], [0.0, 1.0], [0.7, 0.7]]
    topics = [{"topic": "fruit"}, {"topic": "fruit"}, {"topic": "car"}, {"topic": "sky"}]
    await index.add(texts, vectors, topics, ids=ids)
    some = ["rc", "a{b}|c* ü", "missing"]
    assert [h.id for h in await index.knn([1.0, 0.0], k=4, ids=some)] == ["a{b}|c* ü", "rc"]
    assert [h.id for h in await index.knn([1.0, 0.0], k=1, ids=some)] == ["a{b}|c* ü"]
    filtered = await index.knn([1.0, 0.0], k=4, ids=some, filter={"topic": "car"})
    assert [h.id for h in filtered] == ["rc"]
    assert [h.id for h in await index.hybrid([1.0, 0.0], "red", k=4, ids=some)] == ["rc"]
    diverse = await index.mmr([1.0, 0.0], k=2, fetch_k=4, ids=["ra", "bs"])
    assert {h.id for h in diverse} == {"ra", "bs"}
    assert [h.id for h in await index.text_search("apples", k=4, ids=some)] == ["a{b}|c* ü"]
    assert await index.knn([1.0, 0.0], k=4, ids=[]) == []  # an empty list matches nothing
    assert await index.text_search("red", ids=[]) == []
    with pytest.raises(ConfigError, match="not one string"):
        await index.knn([1.0, 0.0], ids="ra")


async def test_text_search_is_scored_and_cut_by_the_server(make_index: IndexFactory) -> None:
    index = make_index(fields=[NumericFieldSpec(name="year")])
    texts = ["red apple, red!", "a red apple", "green apple", "blue sky", "red cars"]
    years = [{"year": 2000 + i} for i in range(len(texts))]
    await index.add(texts, np.eye(5, dtype=np.float32) + 0.1, years, ids=list("abcde"))
    hits = await index.text_search("Red APPLE", k=3)
    assert {h.id for h in hits[:2]} == {"a", "b"}  # both words
    assert len(hits) == 3 and hits[2].id in {"c", "e"}  # one word
    scores = [h.score for h in hits]
    assert all(s is not None and s > 0 for s in scores)
    assert scores == sorted(scores, reverse=True)  # type: ignore[type-var]
    assert all(h.distance is None for h in hits) and hits[0].metadata["year"] in (2000, 2001)
    assert [
        h.id for h in await index.text_search("apple", k=5, filter={"year": {"$gte": 2002}})
    ] == ["c"]
    tfidf = await index.text_search("sky", scorer="TFIDF")
    assert [h.id for h in tfidf] == ["d"] and tfidf[0].text == "blue sky"
    assert await index.text_search("nothing matches this") == []
    for blank in ("", "   ", " \t\n", "{} |"):
        with pytest.raises(ConfigError, match="no words"):
            await index.text_search(blank)
        with pytest.raises(ConfigError, match="no words"):
            await index.hybrid([1.0, 0, 0, 0, 0], blank)


async def test_hybrid_alpha_blends_vector_and_words(make_index: IndexFactory) -> None:
    index = make_index(fields=[TagFieldSpec(name="topic")])
    texts = ["red apples", "green apples", "red cars", "blue sky"]
    vectors = [[1.0, 0.0], [0.99, 0.01], [0.0, 1.0], [0.7, 0.7]]
    await index.add(texts, vectors, ids=["ra", "ga", "rc", "bs"])
    query = [0.0, 1.0]  # nearest: rc, then bs, then ga and ra
    by_vector = await index.hybrid(query, "red apples", k=3)
    assert [h.id for h in by_vector] == ["rc", "ga", "ra"]
    assert [h.id for h in await index.hybrid(query, "red apples", k=3, alpha=1.0)] == [
        "rc",
        "ga",
        "ra",
    ]
    words = await index.hybrid(query, "red apples", k=3, alpha=0.0)
    assert [h.id for h in words] == ["ra", "rc", "ga"]  # ties keep the nearest first
    assert [h.score for h in words] == [1.0, 0.5, 0.5]
    half = await index.hybrid(query, "red apples", k=1, alpha=0.5, fetch_k=3)
    assert half[0].id == "rc" and half[0].score == pytest.approx(0.5 * 1.0 + 0.5 * 0.5)
    for bad in (-0.1, 1.5, math.nan):
        with pytest.raises(ConfigError, match="alpha"):
            await index.hybrid(query, "red", alpha=bad)


async def test_own_connections_speak_resp2(redis_url: str, keyspace: KeySpace) -> None:
    index = AsyncVectorIndex("resp", redis_url=redis_url, prefix=keyspace.child("r").prefix)
    assert index.redis.connection_pool.connection_kwargs.get("protocol") == 2
    await index.add(["hello"], [[1.0, 0.0]], ids=["h"])
    assert [h.id for h in await index.knn([1.0, 0.0])] == ["h"]
    await index.drop(delete_documents=True)
    await index.aclose()
    sep = "&" if "?" in redis_url else "?"
    resp3 = AsyncVectorIndex("resp3", redis_url=f"{redis_url}{sep}protocol=3")
    assert int(resp3.redis.connection_pool.connection_kwargs.get("protocol") or 0) == 3
    await resp3.aclose()


async def test_schema_mismatch_and_overwrite(make_index: IndexFactory, keyspace: KeySpace) -> None:
    name = f"idx-{uuid.uuid4().hex[:8]}"
    first = make_index(
        name=name, vector=VectorFieldSpec(dims=2), fields=[TagFieldSpec(name="topic")]
    )
    await first.add(["a"], [[1.0, 0.0]], [{"topic": "x"}], ids=["a"])
    same = make_index(
        name=name, vector=VectorFieldSpec(dims=2), fields=[TagFieldSpec(name="topic")]
    )
    assert (await same.create()).name == name
    adopted = make_index(name=name)
    assert (await adopted.knn([1.0, 0.0], k=1))[0].id == "a"
    assert adopted.schema is not None and adopted.schema.fields == (TagFieldSpec(name="topic"),)
    for other in (
        make_index(name=name, vector=VectorFieldSpec(dims=3), fields=[TagFieldSpec(name="topic")]),
        make_index(name=name, fields=[NumericFieldSpec(name="topic")]),
        make_index(name=name, prefix=keyspace.child("elsewhere").prefix),
    ):
        with pytest.raises(SchemaError, match="exists with another schema"):
            await other.knn([1.0, 0.0], k=1)
    rebuilt = make_index(
        name=name,
        vector=VectorFieldSpec(dims=2),
        fields=[TagFieldSpec(name="topic"), NumericFieldSpec(name="year")],
        overwrite=True,
    )
    await rebuilt.create()
    # Documents survive the rebuild and are indexed again under the new schema.
    assert (await rebuilt.knn([1.0, 0.0], k=1, filter={"topic": "x"}))[0].id == "a"
    with pytest.raises(SchemaError):
        await make_index(
            name=name, vector=VectorFieldSpec(dims=2), fields=[TagFieldSpec(name="topic")]
        ).create()


@pytest.mark.parametrize(
    ("texts", "vectors", "error"),
    [
        (["a", "b"], [[1.0, 0.0], [1.0, 0.0, 0.0]], VectorError),
        (["a", "b"], [[1.0, 0.0], [math.nan, 0.0]], VectorError),
        (["a", "b"], [[1.0, 0.0], [math.inf, 0.0]], VectorError),
        (["a", "b"], [[1.0, 0.0], [1.0, -math.inf]], VectorError),
        (["a", ""], [[1.0, 0.0], [1.0, 0.0]], ConfigError),
        (["a", "  "], [[1.0, 0.0], [1.0, 0.0]], ConfigError),
        (["a", "b"], [[1.0, 0.0]], ConfigError),
    ],
)
async def test_bad_batches_write_nothing(
    make_index: IndexFactory, texts: list[str], vectors: list[list[float]], error: type[Exception]
) -> None:
    fresh = make_index()  # nothing known yet: the bad batch must not even create the index
    with pytest.raises(error):
        await fresh.add(texts, vectors)
    assert not await fresh.exists() and await _key_count(fresh) == 0
    declared = make_index(vector=VectorFieldSpec(dims=2), fields=[])
    await declared.add(["ok"], [[0.0, 1.0]], ids=["ok"])
    with pytest.raises(error):
        await declared.add(texts, vectors)
    assert await _key_count(declared) == 1 and await declared.count() == 1


async def test_bad_ids_and_metadata_write_nothing(make_index: IndexFactory) -> None:
    index = make_index(vector=VectorFieldSpec(dims=2), fields=[])
    for kwargs in ({"ids": ["a", "a"]}, {"ids": ["a", ""]}, {"metadatas": [{}, {"x": math.nan}]}):
        with pytest.raises(ConfigError):
            await index.add(["a", "b"], [[1.0, 0.0], [0.0, 1.0]], **kwargs)  # type: ignore[arg-type]
    assert await _key_count(index) == 0
    with pytest.raises(VectorError):
        await index.knn([1.0, 0.0, 0.0])
    with pytest.raises(VectorError):
        await index.knn([math.nan, 0.0])
    with pytest.raises(VectorError):
        await index.knn(np.array([math.inf, 0.0], dtype=np.float32))
    with pytest.raises(VectorError):
        await index.knn(np.array([1.0, 0.0, 0.0], dtype=np.float32))
    with pytest.raises(VectorError):
        await index.knn(["a", "b"])  # type: ignore[list-item]


async def test_clear_leaves_foreign_keys_alone(
    make_index: IndexFactory, keyspace: KeySpace, async_client: redis.asyncio.Redis
) -> None:
    index = make_index(prefix=keyspace.child("docs").prefix)
    await index.add(["a", "b"], [[1.0, 0.0], [0.0, 1.0]])
    foreign = [
        keyspace.key("docs2:x"),
        keyspace.key("docsx"),
        keyspace.key("doc:s"),
        keyspace.key("other"),
    ]
    for key in foreign:
        await async_client.set(key, b"keep")
    assert await index.clear() == 2
    assert await index.count() == 0
    for key in foreign:
        assert await async_client.get(key) == b"keep"
    await index.add(["c"], [[1.0, 1.0]])
    assert await index.clear(drop_index=True) == 1
    assert not await index.exists()


async def test_rejects_decoding_clients(redis_url: str) -> None:
    client = redis.asyncio.Redis.from_url(redis_url, decode_responses=True)
    with pytest.raises(ConfigError, match="decode_responses"):
        AsyncVectorIndex("x", redis_client=client)
    await client.aclose()


async def test_searching_an_index_not_created_yet(make_index: IndexFactory) -> None:
    index = make_index()
    assert await index.knn([1.0, 0.0]) == []
    assert await index.count() == 0 and await index.list_ids() == []
    with pytest.raises(ConfigError):
        await index.create()


@pytest.mark.slow
async def test_listing_50000_documents_without_caps(
    make_index: IndexFactory, async_client: redis.asyncio.Redis
) -> None:
    index = make_index(vector=VectorFieldSpec(dims=2), fields=[NumericFieldSpec(name="n")])
    await index.create()
    blob = np.array([1.0, 0.0], dtype="<f4").tobytes()
    total = 50_000
    for start in range(0, total, 5000):
        pipe = async_client.pipeline(transaction=False)
        for i in range(start, start + 5000):
            pipe.hset(
                index.keyspace.key(f"d{i}"),
                mapping={"text": "t", "vector": blob, "_metadata_json": "{}", "n": i},
            )
        await pipe.execute()
    assert await index.count() == total
    ids = await index.list_ids()
    assert len(ids) == total and set(ids) == {f"d{i}" for i in range(total)}
    assert len(await index.list_ids(field("n") >= 40_000)) == 10_000
    assert await index.clear() == total


async def test_plain_redis_reports_the_missing_search_module(plain_redis_url: str) -> None:
    from redisai_core import ModuleMissingError

    client = redis.asyncio.Redis.from_url(plain_redis_url)
    index = AsyncVectorIndex("x", redis_client=client, vector=VectorFieldSpec(dims=2), fields=[])
    with pytest.raises(ModuleMissingError, match="vector search"):
        await index.add(["a"], [[1.0, 0.0]])
    assert await client.dbsize() == 0
    await client.aclose()
