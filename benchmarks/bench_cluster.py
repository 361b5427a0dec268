"""What a Redis Cluster costs the core: the same calls on one server and on a 3-primary cluster.

Both run from the embedded binary on this machine (no modules): an ``EmbeddedRedis`` and an
``EmbeddedCluster(primaries=3)``. Measured, interleaved call by call within each round:

* exact cache hit (one GET either way);
* KV ``mget`` of 100 keys (one MGET standalone; per-slot reads with ``mget_nonatomic`` on a
  cluster, a round trip per slot: keys spread over the slots);
* chat history append with a TTL (one Lua script either way) and read of 100 messages;
* hosted MODELEXECUTE of a small MLP: standalone trusts the invalidation listener (no version
  round trip); a cluster checks the model version on every request. "modelexecute chk" runs
  the executor with the listener off on both, so both check the version every request.

Medians of the per-round p50s are printed with the cluster/standalone ratio.

    .venv/bin/python benchmarks/bench_cluster.py [--n 2000] [--rounds 3] [--quick]
"""

from __future__ import annotations

import argparse
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np
import redis
import redis.cluster

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "integration"))
from _common import median, pct, time_interleaved
from ai_hosted_helpers import mlp

from redisai_core import (
    ChatHistory,
    EmbeddedCluster,
    EmbeddedRedis,
    ExactCache,
    KeySpace,
    KVStore,
    RedisAIClient,
)
from redisai_core._sync.ai_hosted import HostedExecutor


def workloads(
    client: object, prefix: str
) -> tuple[dict[str, Callable[[], object]], Callable[[], None]]:
    """The timed calls on ``client``, and a function removing their keys afterwards."""
    cache = ExactCache(redis_client=client, prefix=f"{prefix}:cache")  # type: ignore[arg-type]
    cache.update("prompt", "llm", b"x" * 500)
    store = KVStore(redis_client=client, prefix=f"{prefix}:kv")  # type: ignore[arg-type]
    keys = [f"k{i}" for i in range(100)]
    store.mset([(k, b"v" * 100) for k in keys])
    history = ChatHistory(redis_client=client, prefix=f"{prefix}:chat", ttl=3600)  # type: ignore[arg-type]
    history.append("read", [b"m" * 200] * 100)
    ai = RedisAIClient(redis_client=client, executor="hosted", prefix=f"{prefix}:ai")  # type: ignore[arg-type]
    ai.modelstore("m", "ONNX", "CPU", mlp())
    ai.tensorset("x", np.ones((1, 32), np.float32))
    ai.modelexecute("m", ["x"], ["y"])  # load the session before timing
    # The same run with the version check every request makes (what a cluster always does),
    # to tell the check's cost from the cluster client's.
    checking = HostedExecutor(client, keyspace=KeySpace(f"{prefix}:ai"), track_invalidations=False)
    checking.modelexecute("m", ["x"], ["y2"])

    def cleanup() -> None:
        cache.clear()
        store.clear()
        history.clear()
        ai.close()
        checking.close()

    calls: dict[str, Callable[[], object]] = {
        "cache hit": lambda: cache.lookup("prompt", "llm"),
        "kv mget 100": lambda: store.mget(keys),
        "history append": lambda: history.append("w", [b"m" * 200]),
        "history read 100": lambda: history.read("read"),
        "modelexecute": lambda: ai.modelexecute("m", ["x"], ["y"]),
        "modelexecute chk": lambda: checking.modelexecute("m", ["x"], ["y2"]),
    }
    return calls, cleanup


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=2000, help="calls per measurement")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="tiny N (CI smoke)")
    args = parser.parse_args()
    if args.quick:
        args.n, args.rounds = 50, 1

    with EmbeddedRedis(modules=False) as server, EmbeddedCluster(primaries=3) as cluster:
        prefix = f"bench{uuid.uuid4().hex[:6]}"
        single = redis.Redis.from_url(server.url)
        multi = redis.cluster.RedisCluster(startup_nodes=cluster.startup_nodes)
        one, clean_one = workloads(single, prefix)
        three, clean_three = workloads(multi, prefix)
        p50s: dict[str, list[float]] = {f"{k} {side}": [] for k in one for side in ("1", "3")}
        for _ in range(args.rounds):
            for name in one:
                times = time_interleaved(
                    {f"{name} 1": one[name], f"{name} 3": three[name]},
                    args.n,
                    warmup=min(50, args.n),
                )
                for label, values in times.items():
                    p50s[label].append(pct(values, 50))
        print(f"p50 in microseconds, median of {args.rounds} round(s) of {args.n} calls")
        print(f"{'operation':<18} {'standalone':>11} {'cluster(3)':>11} {'ratio':>7}")
        for name in one:
            a, b = median(p50s[f"{name} 1"]), median(p50s[f"{name} 3"])
            print(f"{name:<18} {a:>11.1f} {b:>11.1f} {b / a:>6.2f}x")
        clean_one()
        clean_three()
        single.close()
        multi.close()


if __name__ == "__main__":
    main()
