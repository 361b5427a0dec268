"""Vector index: our core against the floor (raw redis-py pipeline of HSETs and raw FT.SEARCH).

Measures, on one server in one run, for FLAT and HNSW with the same index settings:
- ingest of precomputed 384-d normalized vectors (docs/s): raw pipelined HSET vs
  ``VectorIndex.add``;
- top-4 KNN search p50 (ms), unfiltered and filtered on a tag: raw ``FT.SEARCH`` (same query
  text and RETURN fields, on the same RESP2 client, and on a RESP3 client, redis-py 8's
  default) vs ``VectorIndex.knn`` (which also decodes hits, IDs and scores);
- HNSW recall@10 against exact FLAT results at the default EF_RUNTIME and a few others, on
  two data sets: uniformly random vectors (HNSW's worst case) and real all-MiniLM-L6-v2
  embeddings of generated sentences (computed once in-process and cached in the git-ignored
  ``benchmarks/.cache/``);
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
import gc
import json
import os
import random
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import hiredis
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
DEFAULT_EF = VectorFieldSpec(dims=1).ef_runtime
RECALL_EFS = (10, 20, DEFAULT_EF, 100, 400)


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
    gc.collect()  # setup's garbage is not the timed ingest's to collect
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


def _ceiling_ingest(
    client: redis.Redis,
    index: VectorIndex,
    texts: list[str],
    vectors: np.ndarray,
    metas: list[dict[str, Any]],
) -> float:
    """The server's own ceiling: the raw floor's HSETs packed beforehand (not timed), written
    at once on a connection's socket, the replies counted by a bare hiredis reader. No client
    can ingest faster than this on the same server."""
    n = len(texts)
    data = b"".join(
        hiredis.pack_command(
            (
                "HSET",
                index.keyspace.key(f"d{i}"),
                "text",
                texts[i],
                "vector",
                vectors[i].tobytes(),
                "_metadata_json",
                json.dumps(metas[i]),
                "topic",
                metas[i]["topic"],
                "year",
                str(metas[i]["year"]),
            )
        )
        for i in range(n)
    )
    conn: Any = client.connection_pool.get_connection()
    try:
        sock = conn._sock
        reader = hiredis.Reader()
        gc.collect()  # setup's garbage is not the timed ingest's to collect
        start = time.perf_counter()
        sock.sendall(data)
        replies = 0
        while replies < n:
            reader.feed(sock.recv(1 << 20))
            while reader.gets() is not False:
                replies += 1
        elapsed = time.perf_counter() - start
    finally:
        conn.disconnect()  # bypassed redis-py's parser: start afresh
        client.connection_pool.release(conn)
    return n / elapsed


def _core_ingest(
    core: VectorIndex, texts: list[str], vectors: np.ndarray, metas: list[dict[str, Any]]
) -> float:
    gc.collect()  # setup's garbage is not the timed ingest's to collect
    start = time.perf_counter()
    core.add(texts, vectors, metas, ids=[f"d{i}" for i in range(len(texts))])
    return len(texts) / (time.perf_counter() - start)


def one_round(
    client: redis.Redis,
    client3: redis.Redis,
    algorithm: Algorithm,
    n: int,
    queries: int,
    core_first: bool = False,
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
    ceiling = _index(client, algorithm, "ceiling")
    ceiling.create()
    out["ceiling_ingest_docs_s"] = _ceiling_ingest(client, ceiling, texts, vectors, metas)
    ceiling.drop(delete_documents=True)

    for label, flt in (("unfiltered", None), ("filtered", field("topic") == "topic3")):
        query = (
            "(@topic:{$f0})" if flt is not None else "*"
        ) + "=>[KNN $K @vector $vec AS distance]"
        times: dict[str, list[float]] = {"raw": [], "raw3": [], "core": []}
        for i, q in enumerate(qvecs):
            params = ["f0", "topic3"] if flt is not None else []
            # The raw queries search the core's own index: on two indexes, whichever ran
            # last has its vectors in the CPU caches, which favoured the floor by up to 0.7 ms.
            args = [
                "FT.SEARCH",
                core.index_name,
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
            calls = {
                "raw": lambda a=args: client.execute_command(*a),
                "raw3": lambda a=args: client3.execute_command(*a),
                "core": lambda q=q, f=flt: core.knn(q, k=4, filter=f),
            }
            order = list(calls)
            for side in order[i % 3 :] + order[: i % 3]:  # each side first in turn
                t0 = time.perf_counter()
                calls[side]()
                times[side].append(time.perf_counter() - t0)
        for side, samples in times.items():
            out[f"{side}_{label}_p50_ms"] = _p50_ms(samples)

    raw.drop(delete_documents=True)
    core.drop(delete_documents=True)
    return out


# -- realistic embeddings --------------------------------------------------------------------

CACHE_DIR = Path(__file__).resolve().parent / ".cache"  # git-ignored
# fmt: off
_SUBJECTS = (
    "the engineer", "a small startup", "the city council", "our support team", "the research lab",
    "a local bakery", "the football club", "the hospital", "a young musician", "the airline",
    "the school board", "a retired teacher", "the bank", "the museum", "a software vendor",
    "the farmers", "the police", "a travel blogger", "the orchestra", "the data team",
    "the government", "a chess player", "the cloud provider", "the library", "a chef",
)
_VERBS = (
    "announced", "cancelled", "reviewed", "celebrated", "delayed", "funded", "criticised",
    "tested", "launched", "redesigned", "investigated", "postponed", "described", "won",
    "lost", "shared", "measured", "repaired", "migrated", "recommended",
)
_OBJECTS = (
    "a new vaccine trial", "the annual budget", "a vector database", "the summer festival",
    "a bread recipe", "the championship final", "a flight to Lisbon", "the exam results",
    "an interest rate cut", "a painting exhibition", "a security patch", "crop prices",
    "a traffic accident", "a symphony concert", "a machine learning model", "the election",
    "an opening gambit", "a storage outage", "rare manuscripts", "a tasting menu",
    "the latency of search queries", "a heat wave", "the housing market", "a marathon",
    "an open source library", "the train timetable", "a quantum computer", "a wildfire",
    "the school lunch menu", "a podcast episode",
)
_TAILS = (
    "after weeks of debate", "in front of a large crowd", "despite heavy rain",
    "to the surprise of investors", "on Monday morning", "for the third time this year",
    "with mixed reactions", "ahead of the holidays", "in a short statement",
    "according to local reports", "without any explanation", "at a press conference",
    "while prices kept rising", "as demand doubled", "", "", "",
)
# fmt: on


def make_sentences(n: int, seed: int) -> list[str]:
    """Distinct news-like sentences (about 250,000 combinations), deterministic per seed."""
    rng = random.Random(seed)
    seen: dict[str, None] = {}  # no duplicates: they would make exact top-10 ties
    while len(seen) < n:
        parts = (
            rng.choice(_SUBJECTS),
            rng.choice(_VERBS),
            rng.choice(_OBJECTS),
            rng.choice(_TAILS),
        )
        seen[" ".join(p for p in parts if p).capitalize() + "."] = None
    return list(seen)


def minilm_vectors(n: int, seed: int) -> np.ndarray:
    """Real all-MiniLM-L6-v2 embeddings of :func:`make_sentences`, cached in ``.cache/``."""
    path = CACHE_DIR / f"minilm_{n}_{seed}.npy"
    if path.is_file():
        return np.load(path)
    from redisai_core.embeddings import local_model

    vectors = np.asarray(local_model(threads=2).embed(make_sentences(n, seed)), dtype=np.float32)
    CACHE_DIR.mkdir(exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")
    np.save(tmp, vectors)
    os.replace(tmp, path)
    return vectors


def recall_at_10(
    client: redis.Redis, docs: np.ndarray, queries: np.ndarray
) -> dict[int, tuple[float, float]]:
    """HNSW (default settings) recall@10 against a FLAT index, and top-10 p50 ms, per EF."""
    n = len(docs)
    texts, ids = ["doc"] * n, [f"d{i}" for i in range(n)]
    hnsw, exact = _index(client, Algorithm.HNSW, "hnsw"), _index(client, Algorithm.FLAT, "exact")
    for index in (hnsw, exact):
        index.create()
        index.add(texts, docs, ids=ids)
        _wait_indexed(client, index.index_name)
    want = [{h.id for h in exact.knn(q, k=10)} for q in queries]
    out: dict[int, tuple[float, float]] = {}
    for ef in RECALL_EFS:
        recalls, times = [], []
        for q, expected in zip(queries, want, strict=True):
            t0 = time.perf_counter()
            got = {h.id for h in hnsw.knn(q, k=10, ef_runtime=None if ef == DEFAULT_EF else ef)}
            times.append(time.perf_counter() - t0)
            recalls.append(len(expected & got) / 10)
        out[ef] = (float(np.mean(recalls)), _p50_ms(times))
    hnsw.drop(delete_documents=True)
    exact.drop(delete_documents=True)
    return out


def report_recall(client: redis.Redis, n: int, queries: int) -> None:
    """Recall@10 of the default HNSW settings on random vectors and on MiniLM embeddings."""
    sets = {
        "uniform random 384-d": (_data(n, seed=1)[1], _data(queries, seed=2)[1]),
        "all-MiniLM-L6-v2 sentences": (minilm_vectors(n, 1), minilm_vectors(300, 2)[:queries]),
    }
    print(f"\nHNSW (M 16, EF_CONSTRUCTION 200) recall@10 vs FLAT, {n} docs, {queries} queries")
    for name, (docs, qs) in sets.items():
        result = recall_at_10(client, docs, qs)
        cells = "  ".join(
            f"EF {ef}{'*' if ef == DEFAULT_EF else ''}: {r:.3f} ({ms:.2f} ms)"
            for ef, (r, ms) in result.items()
        )
        print(f"  {name:<28} {cells}")
    print("  (* the default EF_RUNTIME; in parentheses the top-10 search p50)")


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
    # The competitors create their index in the constructor, untimed: so do we.
    lc.index.create()
    gc.collect()  # setup's garbage is not the timed ingest's to collect
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
    li.index.create()
    gc.collect()  # setup's garbage is not the timed ingest's to collect
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
                    "--ef-runtime", str(DEFAULT_EF),
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
    # RESP2, as the index's own connections (see AsyncVectorIndex); RESP3 for the second floor.
    client = redis.Redis.from_url(url, protocol=2)
    client3 = redis.Redis.from_url(url, protocol=3)
    try:
        # Warm-up: connections, module code paths.
        one_round(client, client3, Algorithm.FLAT, min(n, 200), 5)
        report_recall(client, n, min(queries, 100))
        for algorithm in (Algorithm.FLAT, Algorithm.HNSW):
            results = [
                one_round(client, client3, algorithm, n, queries, core_first=r % 2 == 1)
                for r in range(rounds)
            ]
            med = {k: statistics.median(r[k] for r in results) for k in results[0]}
            print(f"\n{algorithm.value}: {n} docs, {DIMS}-d, {queries} queries, median of {rounds}")
            print(
                f"  ingest  raw {med['raw_ingest_docs_s']:>9,.0f} docs/s   core "
                f"{med['core_ingest_docs_s']:>9,.0f} docs/s   core/raw "
                f"{med['core_ingest_docs_s'] / med['raw_ingest_docs_s']:.2f}"
            )
            print(
                f"  ingest  server ceiling {med['ceiling_ingest_docs_s']:>9,.0f} docs/s "
                "(pre-packed HSETs on a bare socket: no client can ingest faster here)"
            )
            for label in ("unfiltered", "filtered"):
                raw_ms, core_ms = med[f"raw_{label}_p50_ms"], med[f"core_{label}_p50_ms"]
                raw3_ms = med[f"raw3_{label}_p50_ms"]
                print(
                    f"  top-4 {label:<10} p50 raw {raw_ms:.3f} ms (RESP3 {raw3_ms:.3f})   core "
                    f"{core_ms:.3f} ms   core/raw {core_ms / raw_ms:.2f} (/RESP3 {core_ms / raw3_ms:.2f})"
                )
            print("  per round:", [{k: round(v, 3) for k, v in r.items()} for r in results])
            competitor_rounds(url, algorithm, n, queries, rounds, competitors=not args.quick)
    finally:
        client.close()
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
