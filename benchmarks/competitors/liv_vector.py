"""llama-index-vector-stores-redis RedisVectorStore: ingest nodes with precomputed vectors, top-4
search p50 (filtered and not). Runs in .venv-liv only; vectors come from bench_vector.py through
.npy files.

Prints one JSON line: ingest_docs_s, unfiltered_p50_ms, filtered_p50_ms.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import statistics
import time
import uuid
import warnings

import numpy as np
from llama_index.core.schema import TextNode
from llama_index.core.vector_stores.types import (
    MetadataFilter,
    MetadataFilters,
    VectorStoreQuery,
)
from llama_index.vector_stores.redis import RedisVectorStore
from redisvl.schema import IndexSchema

TOPICS = [f"topic{i}" for i in range(10)]


def nodes(vectors: np.ndarray) -> list[TextNode]:
    """The same documents bench_vector.py builds (kept in step by hand), embeddings attached."""
    return [
        TextNode(
            id_=f"d{i}",
            text=f"document number {i}",
            metadata={"topic": TOPICS[i % len(TOPICS)], "year": 2000 + i % 25},
            embedding=v.tolist(),
        )
        for i, v in enumerate(vectors)
    ]


def main() -> None:
    warnings.simplefilter("ignore")
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--vectors", required=True)
    parser.add_argument("--queries", required=True)
    parser.add_argument("--algorithm", default="FLAT")
    parser.add_argument("--ef-runtime", type=int, default=10, help="HNSW search breadth")
    args = parser.parse_args()
    vectors = np.load(args.vectors)
    qvecs = [q.tolist() for q in np.load(args.queries)]
    tag = uuid.uuid4().hex[:6]
    schema = IndexSchema.from_dict(
        {
            "index": {"name": f"bench-liv-{tag}", "prefix": f"bench_liv_{tag}"},
            "fields": [
                {"type": "tag", "name": "id"},
                {"type": "tag", "name": "doc_id"},
                {"type": "text", "name": "text"},
                {"type": "tag", "name": "topic"},
                {"type": "numeric", "name": "year"},
                {
                    "type": "vector",
                    "name": "vector",
                    "attrs": {
                        "dims": int(vectors.shape[1]),
                        "algorithm": args.algorithm.lower(),
                        "distance_metric": "cosine",
                        "datatype": "float32",
                        **({"ef_runtime": args.ef_runtime} if args.algorithm == "HNSW" else {}),
                    },
                },
            ],
        }
    )
    store = RedisVectorStore(schema=schema, redis_url=args.url, overwrite=True)
    batch = nodes(vectors)
    gc.collect()  # setup's garbage is not the timed ingest's to collect
    start = time.perf_counter()
    store.add(batch)
    ingest = len(batch) / (time.perf_counter() - start)
    out: dict[str, float] = {"ingest_docs_s": ingest}
    topic3 = MetadataFilters(filters=[MetadataFilter(key="topic", value="topic3")])
    for label, flt in (("unfiltered", None), ("filtered", topic3)):
        queries = [VectorStoreQuery(query_embedding=q, similarity_top_k=4, filters=flt)
                   for q in qvecs]  # fmt: skip
        for q in queries[:5]:  # warm-up
            store.query(q)
        samples = []
        for q in queries:
            t0 = time.perf_counter()
            result = store.query(q)
            samples.append(time.perf_counter() - t0)
            assert result.ids is not None and len(result.ids) == 4
        out[f"{label}_p50_ms"] = statistics.median(samples) * 1000
    with contextlib.suppress(Exception):
        store.delete_index()
    with contextlib.suppress(Exception):
        store.client.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
