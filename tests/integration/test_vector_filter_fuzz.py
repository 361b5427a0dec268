"""Filters against the real query engine for values made of query-syntax characters (hypothesis).

For any values, a filter for value X must return exactly the documents holding X. Sync only:
hypothesis drives plain functions, and the escaping under test is shared by both twins.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from redisai_core import KeySpace, NumericFieldSpec, TagFieldSpec, TextFieldSpec, VectorFieldSpec
from redisai_core._sync.vector_index import VectorIndex
from redisai_core.search import field
from redisai_core.search.rendering import text_words

SPECIAL = "{}|@*()-\"':;~<>[]\\ $%,.&!#^+=?/`"
# Pieces, not single characters, so the mark of encoded tags and doubled backslashes appear.
PIECES = st.sampled_from([*SPECIAL, "a", "A", "b", "é", "日", " ", "\t", "\x1f", "~x~", "\\\\"])
VALUES = st.lists(PIECES, max_size=5).map("".join)
FUZZ = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def fuzz_index(redis_url: str, keyspace: KeySpace) -> Iterator[VectorIndex]:
    client = redis.Redis.from_url(redis_url, protocol=3)
    index = VectorIndex(
        f"fuzz-{uuid.uuid4().hex[:8]}",
        redis_client=client,
        prefix=keyspace.child("fuzz").prefix,
        vector=VectorFieldSpec(dims=2),
        fields=[
            TagFieldSpec(name="topic"),
            TagFieldSpec(name="label", case_sensitive=False),
            TagFieldSpec(name="tags"),
            TextFieldSpec(name="title", no_stem=True),
            NumericFieldSpec(name="n"),
        ],
    )
    index.create()
    yield index
    index.drop(delete_documents=True)
    client.close()


@FUZZ
@given(st.lists(st.tuples(VALUES, st.lists(VALUES, max_size=3)), min_size=1, max_size=6))
def test_tag_filters_match_exactly_the_same_value(
    fuzz_index: VectorIndex, docs: list[tuple[str, list[str]]]
) -> None:
    fuzz_index.clear()
    ids = [f"id:{i}" for i in range(len(docs))]
    metadatas = [{"topic": v, "label": v, "tags": tags, "n": i} for i, (v, tags) in enumerate(docs)]
    fuzz_index.add(["doc"] * len(docs), [[1.0, 0.0]] * len(docs), metadatas, ids=ids)
    values = {v for v, _ in docs} | {t for _, tags in docs for t in tags}
    for value in values:
        holding = {ids[i] for i, (v, _) in enumerate(docs) if v == value}
        assert set(fuzz_index.list_ids(field("topic") == value)) == holding, value
        assert set(fuzz_index.list_ids(field("topic") != value)) == set(ids) - holding, value
        folded = {ids[i] for i, (v, _) in enumerate(docs) if v.lower() == value.lower()}
        assert set(fuzz_index.list_ids(field("label") == value)) == folded, value
        tagged = {ids[i] for i, (_, tags) in enumerate(docs) if value in tags}
        assert set(fuzz_index.list_ids(field("tags").contains(value))) == tagged, value
        hits = fuzz_index.knn([1.0, 0.0], k=10, filter=field("topic").in_([value, "\x00never"]))
        assert {h.id for h in hits} == holding, value


WORDS = st.text(alphabet=st.sampled_from([*SPECIAL, "a", "b", "c", "é", "日", " "]), max_size=8)


@FUZZ
@given(st.lists(WORDS, min_size=1, max_size=5), WORDS)
def test_text_match_finds_documents_holding_every_word(
    fuzz_index: VectorIndex, titles: list[str], query: str
) -> None:
    fuzz_index.clear()
    ids = [f"t:{i}" for i in range(len(titles))]
    fuzz_index.add(
        ["doc"] * len(titles), [[1.0, 0.0]] * len(titles), [{"title": t} for t in titles], ids=ids
    )
    words = [w.lower() for w in text_words(query)]
    if not words:
        return
    expected = {
        ids[i] for i, t in enumerate(titles) if set(words) <= {w.lower() for w in text_words(t)}
    }
    assert set(fuzz_index.list_ids(field("title").text_match(query))) == expected, query
