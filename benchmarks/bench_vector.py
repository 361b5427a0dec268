"""Vector index: our core against the floor (raw redis-py pipeline of HSETs and raw FT.SEARCH).

Measures, on one server in one run, for FLAT and HNSW with the same index settings:
- ingest of precomputed 384-d normalized vectors (docs/s): raw pipelined HSET vs
  ``VectorIndex.add``;
- top-4 KNN search p50 (ms), unfiltered and filtered on a tag: raw ``FT.SEARCH`` (same query
  text and RETURN fields) vs ``VectorIndex.knn`` (which also decodes hits, IDs and scores);
- HNSW recall@10 against exact FLAT results;
- the skins on the same data (LangChain ``RedisAIVectorStore.add_texts`` with precomputed
  embeddings and ``similarity_search_by_vector``; LlamaIndex ``RedisAIVectorStore.add`` of
  nodes and ``query``) against the competitors, each in its own venv as a subprocess fed the
  same vectors through ``.npy`` files: langchain-redis ``RedisVectorStore``
  (``benchmarks/.venv-lcr``) and llama-index-vector-stores-redis ``RedisVectorStore``
  (``benchmarks/.venv-liv``); skipped with a note when a venv is missing, and with ``--quick``.
Each round is repeated (``--rounds``, default 3) and medians are reported with ratios.

Usage: ``.venv/bin/python benchmarks/bench_vector.py [--quick] [--redis-url URL]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import redis
from _common import run_competitor
from langchain_core.embeddings import Embeddings
from llama_index.core.schema import TextNode
from llama_index.core.vector_stores.types import (
    MetadataFilter,
    MetadataFilters,
    VectorStoreQuery,
)

from langchain_redisai import RedisAIVectorStore as LCStore
from llamaindex_redisai import RedisAIVectorStore as LIStore
from redisai_core import Algorithm, EmbeddedRedis, TagFieldSpec, VectorFieldSpec, VectorIndex
from redisai_core.search.filters import field
from redisai_core.search.schema import NumericFieldSpec

DIMS = 384
TOPICS = [f"topic{i}" for i in range(10)]


def _data(n: int, seed: int) -> tuple[list[str], np.ndarray, list[dict[str, Any]]]:
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(n, DIMS)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    texts = [f"document number {i}" for i in range(n)]
    metas = [{"topic": TOPICS[i % len(TOPICS)], "year": 2000 + i % 25} for i in range(n)]
    return texts, vectors, metas


def _wait_indexed(client: redis.Redis, name: str) -> None:
    while True:
        info = client.execute_command("FT.INFO", name)
        info = dict(zip(info[::2], info[1::2], strict=True)) if isinstance(info, list) else info
        if float(info.get(b"indexing", info.get("indexing", 0))) == 0:
            return
        time.sleep(0.01)


def _p50_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def _index(client: redis.Redis, algorithm: Algorithm, tag: str) -> VectorIndex:
    return VectorIndex(
        f"bench-{tag}-{uuid.uuid4().hex[:6]}",
        redis_client=client,
        prefix=f"bench:{tag}:{uuid.uuid4().hex[:6]}",
        vector=VectorFieldSpec(dims=DIMS, algorithm=algorithm),
        fields=[TagFieldSpec(name="topic"), NumericFieldSpec(name="year")],
    )


def _raw_ingest(
    client: redis.Redis,
    raw: VectorIndex,
    texts: list[str],
    vectors: np.ndarray,
    metas: list[dict[str, Any]],
) -> float:
    n = len(texts)
    start = time.perf_counter()
    for s in range(0, n, 500):
        pipe = client.pipeline(transaction=False)
        for i in range(s, min(n, s + 500)):
            pipe.hset(
                raw.keyspace.key(f"d{i}"),
                mapping={
                    "text": texts[i],
                    "vector": vectors[i].tobytes(),
                    "_metadata_json": json.dumps(metas[i]),
                    "topic": metas[i]["topic"],
                    "year": metas[i]["year"],
                },
            )
        pipe.execute()
    return n / (time.perf_counter() - start)


def _core_ingest(
    core: VectorIndex, texts: list[str], vectors: np.ndarray, metas: list[dict[str, Any]]
) -> float:
    start = time.perf_counter()
    core.add(texts, vectors, metas, ids=[f"d{i}" for i in range(len(texts))])
    return len(texts) / (time.perf_counter() - start)


def one_round(
    client: redis.Redis, algorithm: Algorithm, n: int, queries: int, core_first: bool = False
) -> dict[str, float]:
    texts, vectors, metas = _data(n, seed=1)
    qvecs = _data(queries, seed=2)[1]
    out: dict[str, float] = {}

    # Floor: the same schema, documents written with a raw pipeline. Which side writes first
    # alternates between rounds, so server warm-up favours neither.
    raw = _index(client, algorithm, "raw")
    schema = raw.create()
    core = _index(client, algorithm, "core")
    core.create()
    if core_first:
        out["core_ingest_docs_s"] = _core_ingest(core, texts, vectors, metas)
        out["raw_ingest_docs_s"] = _raw_ingest(client, raw, texts, vectors, metas)
    else:
        out["raw_ingest_docs_s"] = _raw_ingest(client, raw, texts, vectors, metas)
        out["core_ingest_docs_s"] = _core_ingest(core, texts, vectors, metas)
    _wait_indexed(client, schema.name)
    _wait_indexed(client, core.index_name)

    for label, flt in (("unfiltered", None), ("filtered", field("topic") == "topic3")):
        query = (
            "(@topic:{$f0})" if flt is not None else "*"
        ) + "=>[KNN $K @vector $vec AS distance]"
        raw_times, core_times = [], []
        for q in qvecs:
            params = ["f0", "topic3"] if flt is not None else []
            args = [
                "FT.SEARCH",
                schema.name,
                query,
                "PARAMS",
                str(4 + len(params)),
                *params,
                "K",
                "4",
                "vec",
                q.tobytes(),
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
            ]
            t0 = time.perf_counter()
            client.execute_command(*args)
            raw_times.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            core.knn(q, k=4, filter=flt)
            core_times.append(time.perf_counter() - t0)
        out[f"raw_{label}_p50_ms"] = _p50_ms(raw_times)
        out[f"core_{label}_p50_ms"] = _p50_ms(core_times)

    if algorithm is Algorithm.HNSW:
        exact = _index(client, Algorithm.FLAT, "exact")
        exact.create()
        exact.add(texts, vectors, metas, ids=[f"d{i}" for i in range(n)])
        _wait_indexed(client, exact.index_name)
        for ef, key in (
            (None, "hnsw_recall_at_10"),
            (100, "hnsw_recall_at_10_ef100"),
            (400, "hnsw_recall_at_10_ef400"),
        ):
            recalls = []
            for q in qvecs[: min(queries, 100)]:
                want = {h.id for h in exact.knn(q, k=10)}
                got = {h.id for h in core.knn(q, k=10, ef_runtime=ef)}
                recalls.append(len(want & got) / 10)
            out[key] = float(np.mean(recalls))
        exact.drop(delete_documents=True)
    raw.drop(delete_documents=True)
    core.drop(delete_documents=True)
    return out


class _Precomputed(Embeddings):
    """Hands back each text's precomputed vector (as the competitor scripts do)."""

    def __init__(self, texts: list[str], vectors: np.ndarray) -> None:
        self._by_text = {t: v.tolist() for t, v in zip(texts, vectors, strict=True)}

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._by_text[t] for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._by_text[text]


def _search_p50(fn: Any, qvecs: list[list[float]]) -> float:
    for q in qvecs[:5]:  # warm-up, as in the competitor scripts
        fn(q)
    samples = []
    for q in qvecs:
        t0 = time.perf_counter()
        fn(q)
        samples.append(time.perf_counter() - t0)
    return _p50_ms(samples)


def skins_round(url: str, algorithm: Algorithm, n: int, queries: int) -> dict[str, float]:
    """Our two skins on the data and settings the competitor scripts use."""
    texts, vectors, metas = _data(n, seed=1)
    qvecs = [q.tolist() for q in _data(queries, seed=2)[1]]
    spec = VectorFieldSpec(dims=DIMS, algorithm=algorithm)
    fields = [TagFieldSpec(name="topic"), NumericFieldSpec(name="year")]
    out: dict[str, float] = {}
    tag = uuid.uuid4().hex[:6]
    lc = LCStore(_Precomputed(texts, vectors), index_name=f"bench-lc-{tag}", redis_url=url,
                 prefix=f"bench:lc:{tag}", vector=spec, metadata_fields=fields)  # fmt: skip
    ids = [f"d{i}" for i in range(n)]
    start = time.perf_counter()
    lc.add_texts(texts, metas, ids=ids)
    out["lc_ingest_docs_s"] = n / (time.perf_counter() - start)
    topic3 = {"topic": "topic3"}
    out["lc_unfiltered_p50_ms"] = _search_p50(lambda q: lc.similarity_search_by_vector(q, 4), qvecs)
    out["lc_filtered_p50_ms"] = _search_p50(
        lambda q: lc.similarity_search_by_vector(q, 4, filter=topic3), qvecs
    )
    lc.clear(drop_index=True)
    lc.close()

    li = LIStore(index_name=f"bench-li-{tag}", redis_url=url, prefix=f"bench:li:{tag}",
                 vector=spec, metadata_fields=fields)  # fmt: skip
    nodes = [TextNode(id_=ids[i], text=texts[i], metadata=metas[i], embedding=vectors[i].tolist())
             for i in range(n)]  # fmt: skip
    start = time.perf_counter()
    li.add(nodes)
    out["li_ingest_docs_s"] = n / (time.perf_counter() - start)
    flt = MetadataFilters(filters=[MetadataFilter(key="topic", value="topic3")])
    out["li_unfiltered_p50_ms"] = _search_p50(
        lambda q: li.query(VectorStoreQuery(query_embedding=q, similarity_top_k=4)), qvecs
    )
    out["li_filtered_p50_ms"] = _search_p50(
        lambda q: li.query(VectorStoreQuery(query_embedding=q, similarity_top_k=4, filters=flt)),
        qvecs,
    )
    li.index.clear(drop_index=True)
    li.close()
    return out


COMPETITORS = (
    ("langchain-redis", ".venv-lcr", "lcr_vector.py", "lc"),
    ("llama-index", ".venv-liv", "liv_vector.py", "li"),
)


def competitor_rounds(
    url: str, algorithm: Algorithm, n: int, queries: int, rounds: int, *, competitors: bool
) -> None:
    """Our skins and each competitor, ``rounds`` times each, interleaved; medians and ratios.

    Without ``competitors`` (``--quick``) only the skins run, so the smoke run covers them.
    """
    with tempfile.TemporaryDirectory() as tmp:
        vec_path, q_path = Path(tmp) / "vectors.npy", Path(tmp) / "queries.npy"
        np.save(vec_path, _data(n, seed=1)[1])
        np.save(q_path, _data(queries, seed=2)[1])
        ours: list[dict[str, float]] = []
        theirs: dict[str, list[dict[str, Any]]] = {name: [] for name, *_ in COMPETITORS}
        for _ in range(rounds):
            ours.append(skins_round(url, algorithm, n, queries))
            for name, venv, script, _skin in COMPETITORS if competitors else ():
                result = run_competitor(
                    venv, script, "--url", url, "--vectors", str(vec_path),
                    "--queries", str(q_path), "--algorithm", algorithm.value,
                )  # fmt: skip
                if result is not None:  # None: the venv is missing (reported below)
                    theirs[name].append(result)
    med = {k: statistics.median(r[k] for r in ours) for k in ours[0]}
    print(f"  skins vs competitors ({algorithm.value}), median of {rounds}:")
    if not competitors:
        print(
            f"    ours: LangChain ingest {med['lc_ingest_docs_s']:,.0f} docs/s, top-4 p50 "
            f"{med['lc_unfiltered_p50_ms']:.3f} ms; LlamaIndex ingest "
            f"{med['li_ingest_docs_s']:,.0f} docs/s, top-4 p50 {med['li_unfiltered_p50_ms']:.3f} ms"
        )
        print("    (--quick: competitors skipped)")
        return
    for name, venv, _script, skin in COMPETITORS:
        runs = theirs[name]
        if not runs:
            print(f"    {name} skipped: create benchmarks/{venv} (see benchmarks/README.md)")
            continue
        c = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        ours_ingest = med[f"{skin}_ingest_docs_s"]
        print(
            f"    ingest  ours {ours_ingest:>8,.0f} docs/s   {name} "
            f"{c['ingest_docs_s']:>8,.0f} docs/s   ours/theirs {ours_ingest / c['ingest_docs_s']:.2f}"
        )
        for label in ("unfiltered", "filtered"):
            mine, other = med[f"{skin}_{label}_p50_ms"], c[f"{label}_p50_ms"]
            print(
                f"    top-4 {label:<10} p50 ours {mine:.3f} ms   {name} {other:.3f} ms   "
                f"theirs/ours {other / mine:.2f}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (smoke run)")
    parser.add_argument("--redis-url", default=None)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    n, queries = (300, 20) if args.quick else (5000, 300)
    rounds = 1 if args.quick else args.rounds
    server = None
    url = args.redis_url
    if url is None:
        server = EmbeddedRedis()
        server.start()
        url = server.url
    client = redis.Redis.from_url(url)
    try:
        # Warm-up: connections, module code paths.
        one_round(client, Algorithm.FLAT, min(n, 200), 5)
        for algorithm in (Algorithm.FLAT, Algorithm.HNSW):
            results = [
                one_round(client, algorithm, n, queries, core_first=r % 2 == 1)
                for r in range(rounds)
            ]
            med = {k: statistics.median(r[k] for r in results) for k in results[0]}
            print(f"\n{algorithm.value}: {n} docs, {DIMS}-d, {queries} queries, median of {rounds}")
            print(
                f"  ingest  raw {med['raw_ingest_docs_s']:>9,.0f} docs/s   core "
                f"{med['core_ingest_docs_s']:>9,.0f} docs/s   core/raw "
                f"{med['core_ingest_docs_s'] / med['raw_ingest_docs_s']:.2f}"
            )
            for label in ("unfiltered", "filtered"):
                raw_ms, core_ms = med[f"raw_{label}_p50_ms"], med[f"core_{label}_p50_ms"]
                print(
                    f"  top-4 {label:<10} p50 raw {raw_ms:.3f} ms   core {core_ms:.3f} ms   "
                    f"core/raw {core_ms / raw_ms:.2f}"
                )
            if "hnsw_recall_at_10" in med:
                print(
                    f"  HNSW recall@10 vs FLAT: {med['hnsw_recall_at_10']:.3f} (EF_RUNTIME 10, the "
                    f"default), {med['hnsw_recall_at_10_ef100']:.3f} (100 per query), "
                    f"{med['hnsw_recall_at_10_ef400']:.3f} (400 per query)"
                )
            print("  per round:", [{k: round(v, 3) for k, v in r.items()} for r in results])
            competitor_rounds(url, algorithm, n, queries, rounds, competitors=not args.quick)
    finally:
        client.close()
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
