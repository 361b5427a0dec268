"""Shared harness of the hostile-input corpus and the injection tests.

A :class:`Snapshot` is every key of the database with its DUMP (value), whether it has a TTL,
plus the list of search indexes: taken with SCAN (never KEYS), so comparing two snapshots shows
every key a call wrote, deleted or changed, wherever it lies. A :class:`Bystanders` set puts
data of every component, and keys outside any prefix of ours written by raw redis-py, next to
the data under test, so a call that reaches beyond its own key space changes the snapshot.
"""

from __future__ import annotations

import contextlib
import dataclasses
import uuid
from collections.abc import Callable
from typing import Any

import numpy as np
import redis
from onnx import TensorProto, helper

from redisai_core import (
    ChatHistory,
    ExactCache,
    KVStore,
    RedisAIClient,
    SemanticCache,
    TagFieldSpec,
    VectorIndex,
)
from redisai_core.embeddings import EmbeddingModelSpec, Pooling, minilm_dir


@dataclasses.dataclass(frozen=True)
class Snapshot:
    """Every key's value (DUMP) and TTL presence, and the search indexes, at one moment."""

    keys: dict[bytes, tuple[bytes | None, bool]]
    indexes: frozenset[bytes]

    @classmethod
    def take(cls, raw: redis.Redis) -> Snapshot:
        keys: dict[bytes, tuple[bytes | None, bool]] = {}
        for key in raw.scan_iter(count=1000):
            pipe = raw.pipeline(transaction=True)
            pipe.dump(key)
            pipe.pttl(key)
            dumped, pttl = pipe.execute()
            if dumped is not None:  # expired or deleted between SCAN and DUMP
                keys[key] = (dumped, pttl >= 0)
        try:
            indexes = frozenset(raw.execute_command("FT._LIST"))
        except redis.ResponseError:  # a server without the query engine
            indexes = frozenset()
        return cls(keys, indexes)

    def without(self, head: str) -> Snapshot:
        """This snapshot minus every key and index whose name starts with ``head``."""
        raw_head = head.encode()
        return Snapshot(
            {k: v for k, v in self.keys.items() if not k.startswith(raw_head)},
            frozenset(i for i in self.indexes if not i.startswith(raw_head)),
        )


def assert_same(before: Snapshot, after: Snapshot) -> None:
    """Fail naming the keys that appeared, vanished or changed (not a 10 MB diff)."""
    added = sorted(after.keys.keys() - before.keys.keys())
    removed = sorted(before.keys.keys() - after.keys.keys())
    changed = sorted(
        k for k in before.keys.keys() & after.keys.keys() if before.keys[k] != after.keys[k]
    )
    assert (added, removed, changed) == ([], [], []), "keys changed outside what was allowed"
    assert before.indexes == after.indexes, "search indexes changed"


def unlink_under(raw: redis.Redis, head: str) -> None:
    """SCAN + UNLINK every key starting with ``head`` (a test's own space only)."""
    pattern = "".join("\\" + c if c in "*?[]\\" else c for c in head) + "*"
    batch = list(raw.scan_iter(match=pattern, count=1000))
    for i in range(0, len(batch), 1000):
        raw.unlink(*batch[i : i + 1000])


def drop_indexes_under(raw: redis.Redis, head: str) -> None:
    with contextlib.suppress(redis.ResponseError):
        for name in raw.execute_command("FT._LIST"):
            if name.startswith(head.encode()):
                with contextlib.suppress(redis.ResponseError):
                    raw.execute_command("FT.DROPINDEX", name)


class Bystanders:
    """Data of every component, plus keys outside our prefixes, that no hostile call may touch."""

    def __init__(self, raw: redis.Redis, base: str) -> None:
        self.raw = raw
        self.base = base
        self.head = f"{base}:by:"
        self.outside = f"zz-outside-{uuid.uuid4().hex[:8]}"
        self._closers: list[Callable[[], Any]] = []

    def _p(self, name: str) -> str:
        return self.head + name

    def create(self) -> None:
        raw = self.raw
        kv = KVStore(redis_client=raw, prefix=self._p("kv"))
        kv.mset([("a", b"1"), ("a*", b"2"), ("b", b"3"), ("", b"empty")])
        cache = ExactCache(redis_client=raw, prefix=self._p("ec"))
        cache.update("prompt", "llm", b"answer")
        history = ChatHistory(redis_client=raw, prefix=self._p("h"))
        history.append("s", [b"m1", b"m2"])
        history.append("s*", [b"glob"])
        ai = RedisAIClient(redis_client=raw, executor="hosted", prefix=self._p("ai"))
        ai.tensorset("t", np.arange(4, dtype=np.float32))
        self._closers.append(ai.close)
        index = VectorIndex(
            self._p("vi").replace(":", "-"),
            prefix=self._p("vi"),
            redis_client=raw,
            fields=[TagFieldSpec(name="color")],
        )
        index.add(
            ["red doc", "blue doc"],
            [[1.0, 0.0], [0.0, 1.0]],
            [{"color": "red"}, {"color": "blue"}],
            ids=["r", "b"],
        )
        semantic = SemanticCache(redis_client=raw, prefix=self._p("sc"))
        semantic.update("q", "llm", [1.0, 0.0], b"semantic answer")
        # Another program's keys, outside any prefix of ours, of every common type.
        raw.set(f"{self.outside}:string", b"\x80\x04not ours")
        raw.hset(f"{self.outside}:hash", mapping={"f": b"v"})
        raw.rpush(f"{self.outside}:list", b"x", b"y")
        raw.sadd(f"{self.outside}:set", b"m")
        raw.zadd(f"{self.outside}:zset", {b"m": 1.0})
        raw.set(f"{self.outside}:ttl", b"v", ex=3600)

    def close(self) -> None:
        for closer in self._closers:
            closer()
        drop_indexes_under(self.raw, self.base)
        unlink_under(self.raw, self.base)
        unlink_under(self.raw, self.outside)


def tiny_embedding_spec(directory: Any) -> EmbeddingModelSpec:
    """A 4-d embedding model (one lookup table, mean pooled) with MiniLM's real tokenizer.

    Small enough to store and run in milliseconds, while the tokenizer, batching, DAG and
    pooling paths are the real ones.
    """
    vocab, dim = 30522, 4
    table = np.random.default_rng(0).standard_normal((vocab, dim)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Gather", ["table", "input_ids"], ["last_hidden_state"], axis=0)],
        "tiny",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["b", "s"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["b", "s"]),
        ],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["b", "s", dim])],
        [helper.make_tensor("table", TensorProto.FLOAT, table.shape, table.tobytes(), raw=True)],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    path = directory / "tiny.onnx"
    path.write_bytes(model.SerializeToString())
    return EmbeddingModelSpec(
        name="tiny",
        model_path=path,
        tokenizer_path=minilm_dir() / "tokenizer.json",
        pooling=Pooling.MEAN,
        normalize=True,
        max_seq_length=16,
        token_type_ids_name=None,
    )
