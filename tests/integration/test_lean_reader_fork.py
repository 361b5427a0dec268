"""A process forked while a vector index keeps its search connection takes a new one: parent
and child never read each other's replies."""

from __future__ import annotations

import multiprocessing
import sys

import numpy as np
import pytest
import redis

from redisai_core import KeySpace, TagFieldSpec, VectorIndex
from redisai_core.search import Algorithm, VectorFieldSpec, field

pytestmark = [
    pytest.mark.skipif(sys.platform == "win32", reason="needs fork"),
    # Python 3.12+ warns about fork() in a process with threads; this test forks on purpose.
    pytest.mark.filterwarnings("ignore:.*fork.*:DeprecationWarning"),
]


def _child(index: VectorIndex, queue: multiprocessing.Queue[list[str]]) -> None:
    hits = [index.knn(np.eye(4, dtype=np.float32)[i % 4], 2, filter=field("t") == "a")
            for i in range(50)]  # fmt: skip
    queue.put(sorted({h.id for page in hits for h in page}))


def test_a_forked_child_searches_on_its_own_connection(
    client: redis.Redis, keyspace: KeySpace
) -> None:
    index = VectorIndex(
        f"fork-{keyspace.prefix}",
        redis_client=client,
        prefix=keyspace.key("docs"),
        vector=VectorFieldSpec(dims=4, algorithm=Algorithm.FLAT),
        fields=[TagFieldSpec(name="t")],
    )
    vectors = np.eye(4, dtype=np.float32).repeat(2, axis=0)
    index.add([f"d{i}" for i in range(8)], vectors, [{"t": "ab"[i % 2]} for i in range(8)],
              ids=[f"id{i}" for i in range(8)])  # fmt: skip
    try:
        assert index.knn(vectors[0], 2)  # the parent now keeps a connection
        kept = index._reader._conn
        assert kept is not None
        ctx = multiprocessing.get_context("fork")
        queue: multiprocessing.Queue[list[str]] = ctx.Queue()
        proc = ctx.Process(target=_child, args=(index, queue))
        proc.start()
        # The parent searches at the same time on its kept connection.
        for i in range(50):
            page = index.knn(vectors[i % 8], 2, filter=field("t") == "b")
            assert {h.metadata["t"] for h in page} == {"b"}
        assert queue.get(timeout=30) == ["id0", "id2", "id4", "id6"]
        proc.join(30)
        assert proc.exitcode == 0
        assert index._reader._conn is kept  # the child's reconnect left the parent's alone
        assert index.knn(vectors[1], 1)[0].id in {"id0", "id1"}
    finally:
        index.drop(delete_documents=True)
