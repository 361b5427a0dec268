"""langchain-redis RedisVectorStore: ingest precomputed vectors, top-4 search p50 (filtered and
not). Runs in .venv-lcr only; vectors come from bench_vector.py through .npy files.

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
from langchain_core.embeddings import Embeddings
from langchain_redis import RedisConfig, RedisVectorStore
from redisvl.query.filter import Tag

TOPICS = [f"topic{i}" for i in range(10)]


def texts_and_metas(n: int) -> tuple[list[str], list[dict[str, object]]]:
    """The same documents bench_vector.py builds (kept in step by hand)."""
    texts = [f"document number {i}" for i in range(n)]
    metas: list[dict[str, object]] = [
        {"topic": TOPICS[i % len(TOPICS)], "year": 2000 + i % 25} for i in range(n)
    ]
    return texts, metas


class Precomputed(Embeddings):
    """Hands back the precomputed vector of each text: no model cost in the timing."""

    def __init__(self, texts: list[str], vectors: np.ndarray) -> None:
        self._by_text = {t: v.tolist() for t, v in zip(texts, vectors, strict=True)}

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._by_text[t] for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._by_text[text]


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
    texts, metas = texts_and_metas(len(vectors))
    tag = uuid.uuid4().hex[:6]
    config = RedisConfig(
        index_name=f"bench-lcr-{tag}",
        key_prefix=f"bench_lcr_vec_{tag}",
        redis_url=args.url,
        distance_metric="COSINE",
        indexing_algorithm=args.algorithm,
        vector_datatype="FLOAT32",
        embedding_dimensions=vectors.shape[1],
        metadata_schema=[{"name": "topic", "type": "tag"}, {"name": "year", "type": "numeric"}],
    )
    if args.algorithm == "HNSW":
        # RedisConfig has no EF_RUNTIME option: set it on the redisvl schema it builds.
        schema = config.to_index_schema()
        schema.fields[config.embedding_field].attrs.ef_runtime = args.ef_runtime  # type: ignore[union-attr]
        config = RedisConfig.from_schema(
            schema, redis_url=args.url, embedding_dimensions=vectors.shape[1]
        )
    store = RedisVectorStore(Precomputed(texts, vectors), config=config)
    ids = [f"d{i}" for i in range(len(texts))]
    gc.collect()  # setup's garbage is not the timed ingest's to collect
    start = time.perf_counter()
    store.add_texts(texts, metas, ids=ids)
    ingest = len(texts) / (time.perf_counter() - start)
    out: dict[str, float] = {"ingest_docs_s": ingest}
    for label, flt in (("unfiltered", None), ("filtered", Tag("topic") == "topic3")):
        for q in qvecs[:5]:  # warm-up
            store.similarity_search_by_vector(q, k=4, filter=flt)
        samples = []
        for q in qvecs:
            t0 = time.perf_counter()
            docs = store.similarity_search_by_vector(q, k=4, filter=flt)
            samples.append(time.perf_counter() - t0)
            assert len(docs) == 4
        out[f"{label}_p50_ms"] = statistics.median(samples) * 1000
    with contextlib.suppress(Exception):
        store.index.delete(drop=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
