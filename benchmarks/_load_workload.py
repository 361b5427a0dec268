"""The workload of ``bench_load.py``: its data, the operation mix and the result checks."""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from redisai_core import (
    AsyncChatHistory,
    AsyncExactCache,
    AsyncRedisAIClient,
    AsyncVectorIndex,
    ChatHistory,
    ExactCache,
    RedisAIClient,
    VectorIndex,
)
from redisai_core.search.filters import field as ffield

MIX = {
    "cache_hit": 25,
    "cache_miss_set": 10,
    "history_append": 15,
    "history_read": 10,
    "vector_knn": 15,
    "embed": 5,
    "model_dag": 15,
    "model_keyspace": 5,
}
DIMS = 384
TOPICS = [f"topic{i}" for i in range(10)]
LLM = "bench-llm(temperature=0)"
HISTORY_CAP = 50
MLP_BATCH = 16
TEXTS = [
    "What is the capital of France?",
    "Summarise the meeting notes from Tuesday.",
    "Redis keeps the working memory of the agent.",
    "How do I reset my password?",
    "The quick brown fox jumps over the lazy dog.",
    "Translate 'good morning' into Spanish.",
    "Which plan includes priority support?",
    "List three uses of a vector database.",
]


# -- data ------------------------------------------------------------------------------------


def cache_payload(i: int) -> bytes:
    return (f'{{"text": "answer {i} ' + "x" * 480 + '"}').encode()


def history_message(session: int, n: int) -> bytes:
    role = "human" if n % 2 == 0 else "ai"
    return (
        f'{{"type": "{role}", "session": {session}, "n": {n}, "content": "{"y" * 160}"}}'.encode()
    )


def mlp_weights() -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    return [
        rng.standard_normal((32, 64)).astype(np.float32),
        rng.standard_normal(64).astype(np.float32),
        rng.standard_normal((64, 2)).astype(np.float32),
        rng.standard_normal(2).astype(np.float32),
    ]


def mlp_blob() -> bytes:
    """MLP 32 -> 64 (ReLU) -> 2, float32, input ``[N, 32]``, built with onnx.helper."""
    names = ["w1", "b1", "w2", "b2"]
    inits = [numpy_helper.from_array(w, n) for w, n in zip(mlp_weights(), names, strict=True)]
    nodes = [
        helper.make_node("MatMul", ["x", "w1"], ["h0"]),
        helper.make_node("Add", ["h0", "b1"], ["h1"]),
        helper.make_node("Relu", ["h1"], ["h"]),
        helper.make_node("MatMul", ["h", "w2"], ["o0"]),
        helper.make_node("Add", ["o0", "b2"], ["y"]),
    ]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 32])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 2])
    graph = helper.make_graph(nodes, "mlp", [x], [y], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return bytes(model.SerializeToString())


def mlp_reference(x: np.ndarray) -> np.ndarray:
    w1, b1, w2, b2 = mlp_weights()
    out: np.ndarray = np.maximum(x @ w1 + b1, 0) @ w2 + b2
    return out


@dataclass
class Setup:
    """Names, sizes and the prepared data every client draws from."""

    url: str
    prefix: str
    warm: int
    sessions: int
    docs: int
    index_name: str = ""
    inputs: np.ndarray = field(default_factory=lambda: np.zeros((0, 32), np.float32))
    expected: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.float32))
    queries: np.ndarray = field(default_factory=lambda: np.zeros((0, DIMS), np.float32))

    def key(self, part: str) -> str:
        return f"{self.prefix}:{part}"


# -- checks: a wrong answer is an error, like an exception -------------------------------------


class WrongResultError(AssertionError):
    pass


def check(ok: bool, what: str) -> None:
    if not ok:
        raise WrongResultError(what)


def check_hits(hits: list[Any], topic: str, year: int) -> None:
    check(len(hits) == 4, f"expected 4 hits, got {len(hits)}")
    for hit in hits:
        meta = hit.metadata
        check(meta.get("topic") == topic and meta.get("year", 0) >= year, f"hit {hit.id}: {meta}")


def check_dag(results: list[Any] | str, expected: np.ndarray) -> None:
    check(not isinstance(results, str), f"DAG did not run: {results}")
    check(np.allclose(results[-1], expected, atol=1e-4), "DAG output != numpy reference")


def check_embedding(vector: np.ndarray) -> None:
    check(vector.shape == (DIMS,), f"embedding shape {vector.shape}")
    check(abs(float(np.linalg.norm(vector)) - 1.0) < 1e-3, "embedding not normalised")


# -- setup -----------------------------------------------------------------------------------


def prepare(s: Setup, cache: ExactCache, history: ChatHistory, index: VectorIndex) -> None:
    for i in range(s.warm):
        cache.update(f"warm prompt {i}", LLM, cache_payload(i))
    for session in range(s.sessions):
        history.append(f"s{session}", [history_message(session, n) for n in range(HISTORY_CAP)])
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(s.docs, DIMS)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    metas = [{"topic": TOPICS[i % len(TOPICS)], "year": 2000 + i % 25} for i in range(s.docs)]
    index.add([f"document {i}" for i in range(s.docs)], vectors, metas)
    while True:  # wait for the background indexing to finish before the clock starts
        info = index.redis.execute_command("FT.INFO", s.index_name)  # type: ignore[no-untyped-call]
        info = dict(zip(info[::2], info[1::2], strict=True)) if isinstance(info, list) else info
        if float(info.get(b"indexing", info.get("indexing")) or 0) == 0:
            break
        time.sleep(0.05)
    s.queries = rng.normal(size=(256, DIMS)).astype(np.float32)
    s.inputs = rng.standard_normal((256, 1, 32)).astype(np.float32)
    s.expected = np.stack([mlp_reference(x) for x in s.inputs])


# -- the operations --------------------------------------------------------------------------


class Draw:
    """One client's random choices (its own generator, so clients do not share state)."""

    def __init__(self, s: Setup, seed: int) -> None:
        self.s = s
        self.rng = random.Random(seed)

    def warm(self) -> tuple[str, bytes]:
        i = self.rng.randrange(self.s.warm)
        return f"warm prompt {i}", cache_payload(i)

    def session(self) -> tuple[int, str]:
        n = self.rng.randrange(self.s.sessions)
        return n, f"s{n}"

    def knn(self) -> tuple[np.ndarray, str, int, Any]:
        topic, year = self.rng.choice(TOPICS), 2000 + self.rng.randrange(20)
        flt = (ffield("topic") == topic) & (ffield("year") >= year)
        return self.s.queries[self.rng.randrange(len(self.s.queries))], topic, year, flt

    def row(self) -> tuple[np.ndarray, np.ndarray]:
        i = self.rng.randrange(len(self.s.inputs))
        return self.s.inputs[i], self.s.expected[i]


def sync_ops(
    s: Setup,
    cache: ExactCache,
    history: ChatHistory,
    index: VectorIndex,
    ai: RedisAIClient,
    embedder: Any,
    client: int,
) -> dict[str, Callable[[], None]]:
    d = Draw(s, client)

    def cache_hit() -> None:
        prompt, payload = d.warm()
        check(cache.lookup(prompt, LLM) == payload, "cache hit returned another payload")

    def cache_miss_set() -> None:
        prompt = f"new prompt {uuid.uuid4().hex}"
        check(cache.lookup(prompt, LLM) is None, "hit on a new prompt")
        cache.update(prompt, LLM, cache_payload(-1))

    def history_append() -> None:
        n, sid = d.session()
        check(history.append(sid, [history_message(n, -1)]) == HISTORY_CAP, "length != cap")

    def history_read() -> None:
        n, sid = d.session()
        messages = history.read(sid)
        check(len(messages) == HISTORY_CAP, f"read {len(messages)} messages")
        check(f'"session": {n},'.encode() in messages[-1], "message of another session")

    def vector_knn() -> None:
        query, topic, year, flt = d.knn()
        check_hits(index.knn(query, 4, filter=flt), topic, year)

    def embed() -> None:
        check_embedding(embedder.embed_one(d.rng.choice(TEXTS)))

    def model_dag() -> None:
        x, expected = d.row()
        dag = ai.dag(routing="mlp").tensorset("x", x)
        check_dag(dag.modelexecute("mlp", ["x"], ["y"]).tensorget("y").execute(), expected)

    def model_keyspace() -> None:
        x, expected = d.row()
        ai.tensorset(f"in{client}", x)
        ai.modelexecute("mlp", [f"in{client}"], [f"out{client}"])
        out = ai.tensorget(f"out{client}")
        check(isinstance(out, np.ndarray) and np.allclose(out, expected, atol=1e-4), "wrong output")

    return {name: fn for name, fn in locals().items() if name in MIX}


def async_ops(
    s: Setup,
    cache: AsyncExactCache,
    history: AsyncChatHistory,
    index: AsyncVectorIndex,
    ai: AsyncRedisAIClient,
    embedder: Any,
    client: int,
) -> dict[str, Callable[[], Awaitable[None]]]:
    d = Draw(s, client)

    async def cache_hit() -> None:
        prompt, payload = d.warm()
        check(await cache.lookup(prompt, LLM) == payload, "cache hit returned another payload")

    async def cache_miss_set() -> None:
        prompt = f"new prompt {uuid.uuid4().hex}"
        check(await cache.lookup(prompt, LLM) is None, "hit on a new prompt")
        await cache.update(prompt, LLM, cache_payload(-1))

    async def history_append() -> None:
        n, sid = d.session()
        length = await history.append(sid, [history_message(n, -1)])
        check(length == HISTORY_CAP, "length != cap")

    async def history_read() -> None:
        n, sid = d.session()
        messages = await history.read(sid)
        check(len(messages) == HISTORY_CAP, f"read {len(messages)} messages")
        check(f'"session": {n},'.encode() in messages[-1], "message of another session")

    async def vector_knn() -> None:
        query, topic, year, flt = d.knn()
        check_hits(await index.knn(query, 4, filter=flt), topic, year)

    async def embed() -> None:
        check_embedding(await embedder.embed_one(d.rng.choice(TEXTS)))

    async def model_dag() -> None:
        x, expected = d.row()
        dag = ai.dag(routing="mlp").tensorset("x", x)
        check_dag(await dag.modelexecute("mlp", ["x"], ["y"]).tensorget("y").execute(), expected)

    async def model_keyspace() -> None:
        x, expected = d.row()
        await ai.tensorset(f"ain{client}", x)
        await ai.modelexecute("mlp", [f"ain{client}"], [f"aout{client}"])
        out = await ai.tensorget(f"aout{client}")
        check(isinstance(out, np.ndarray) and np.allclose(out, expected, atol=1e-4), "wrong output")

    return {name: fn for name, fn in locals().items() if name in MIX}
