"""RedisAI hosted executor: keyspace path and DAG serving path vs baselines, in one run.

Model: MLP 32 -> 64 -> 2, float32, one row per request, stored with BATCHSIZE 16 (no
MINBATCHSIZE, so nothing waits for company). One embedded Redis (no modules) serves all.

Measured, each for 1 caller and for 16 concurrent callers (threads, and asyncio tasks):
* floor: ``InferenceSession.run`` called directly in-process (same session options);
* baseline: a plain redis-py loop SET, GET, SET, GET of the same bytes (input, then output);
* keyspace: ``tensorset`` + ``modelexecute`` + ``tensorget`` through ``RedisAIClient``;
* dag: ``dag(routing=...)`` with ``tensorset`` + ``modelexecute`` + ``tensorget`` (input
  inline, output returned, nothing persisted): RedisAI's recommended serving pattern.

Every scenario runs ``--repeat`` times (default 3); medians of requests/s and of p50/p99
latency are printed, with ratios to the floor and the baseline. Absolute numbers drift 2-3x
between runs on a shared machine: read the ratios.

    .venv/bin/python benchmarks/bench_redisai.py            # full (~1-2 min)
    .venv/bin/python benchmarks/bench_redisai.py --quick    # smoke run for CI
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import numpy as np
import redis
import redis.asyncio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from redisai_core import AsyncRedisAIClient, EmbeddedRedis, RedisAIClient
from redisai_core.ai._hosted._sessions import create_runner
from tests.integration.ai_hosted_helpers import mlp

CALLERS = 16
BATCHSIZE = 16


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Result:
    def __init__(self, count: int, elapsed: float, latencies: list[float]) -> None:
        self.rps = count / elapsed
        self.p50 = percentile(latencies, 0.5) * 1000
        self.p99 = percentile(latencies, 0.99) * 1000


def run_threads(make: Callable[[int], Callable[[], object]], callers: int, n: int) -> Result:
    """``callers`` threads each call their function ``n`` times; all start together."""
    latencies: list[list[float]] = [[] for _ in range(callers)]
    barrier = threading.Barrier(callers + 1)

    def work(i: int) -> None:
        fn = make(i)
        fn()  # warm-up
        barrier.wait()
        own = latencies[i]
        for _ in range(n):
            t = time.perf_counter()
            fn()
            own.append(time.perf_counter() - t)

    with concurrent.futures.ThreadPoolExecutor(callers) as pool:
        futures = [pool.submit(work, i) for i in range(callers)]
        barrier.wait()
        start = time.perf_counter()
        for f in futures:
            f.result()
        elapsed = time.perf_counter() - start
    flat = [x for own in latencies for x in own]
    return Result(len(flat), elapsed, flat)


async def run_tasks(
    make: Callable[[int], Callable[[], Awaitable[object]]], callers: int, n: int
) -> Result:
    latencies: list[float] = []

    async def work(i: int) -> None:
        fn = make(i)
        for _ in range(n):
            t = time.perf_counter()
            await fn()
            latencies.append(time.perf_counter() - t)

    await asyncio.gather(*(make(i)() for i in range(callers)))  # warm-up
    start = time.perf_counter()
    await asyncio.gather(*(work(i) for i in range(callers)))
    return Result(len(latencies), time.perf_counter() - start, latencies)


def scenarios(url: str, prefix: str, blob: bytes, n: int):
    x = np.random.default_rng(0).standard_normal((1, 32)).astype(np.float32)
    out_bytes = np.zeros((1, 2), np.float32).tobytes()
    runner = create_runner(blob, "CPU")
    plain = redis.Redis.from_url(url)
    sync_ai = RedisAIClient(url, executor="hosted", prefix=prefix)
    sync_ai.modelstore("mlp", "ONNX", "CPU", blob, batch=BATCHSIZE)

    def floor(i: int):
        return lambda: runner([x])

    def baseline(i: int):
        key_in, key_out = f"{prefix}:base:in{i}", f"{prefix}:base:out{i}"
        data = x.tobytes()

        def request() -> None:
            plain.set(key_in, data)
            plain.get(key_in)
            plain.set(key_out, out_bytes)
            plain.get(key_out)

        return request

    def keyspace(i: int):
        def request() -> None:
            sync_ai.tensorset(f"in{i}", x)
            sync_ai.modelexecute("mlp", [f"in{i}"], [f"out{i}"])
            sync_ai.tensorget(f"out{i}")

        return request

    def dag(i: int):
        def request() -> None:
            d = sync_ai.dag(routing="mlp").tensorset("x", x)
            d.modelexecute("mlp", ["x"], ["y"]).tensorget("y")
            d.execute()

        return request

    async def async_part(callers: int) -> dict[str, Result]:
        async_ai = AsyncRedisAIClient(url, executor="hosted", prefix=prefix)
        try:

            def keyspace_a(i: int):
                async def request() -> None:
                    await async_ai.tensorset(f"ain{i}", x)
                    await async_ai.modelexecute("mlp", [f"ain{i}"], [f"aout{i}"])
                    await async_ai.tensorget(f"aout{i}")

                return request

            def dag_a(i: int):
                async def request() -> None:
                    d = async_ai.dag(routing="mlp").tensorset("x", x)
                    d.modelexecute("mlp", ["x"], ["y"]).tensorget("y")
                    await d.execute()

                return request

            return {
                "keyspace": await run_tasks(keyspace_a, callers, n),
                "dag": await run_tasks(dag_a, callers, n),
            }
        finally:
            await async_ai.aclose()

    results: dict[str, Result] = {}
    for name, make in (
        ("floor", floor),
        ("baseline", baseline),
        ("keyspace", keyspace),
        ("dag", dag),
    ):
        results[f"{name} x1"] = run_threads(make, 1, n * 4)
        results[f"{name} x{CALLERS} threads"] = run_threads(make, CALLERS, n)
    for name, result in asyncio.run(async_part(CALLERS)).items():
        results[f"{name} x{CALLERS} tasks"] = result
    sync_ai.close()
    for key in plain.scan_iter(match=f"{prefix}:*"):
        plain.unlink(key)
    plain.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny N, one repeat (CI smoke)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("-n", type=int, default=300, help="requests per concurrent caller")
    args = parser.parse_args()
    n, repeat = (10, 1) if args.quick else (args.n, args.repeat)
    blob = mlp()
    runs: list[dict[str, Result]] = []
    with EmbeddedRedis(modules=False) as server:
        for _ in range(repeat):
            runs.append(scenarios(server.url, f"bench:{uuid.uuid4().hex[:8]}", blob, n))
    names = list(runs[0])
    med = {
        name: (
            statistics.median(r[name].rps for r in runs),
            statistics.median(r[name].p50 for r in runs),
            statistics.median(r[name].p99 for r in runs),
        )
        for name in names
    }
    floor1, floor16 = med["floor x1"][0], med[f"floor x{CALLERS} threads"][0]
    base1 = med["baseline x1"][0]
    print(f"medians of {repeat} run(s), {n} requests per concurrent caller, 1 row per request")
    print(
        f"{'scenario':<24}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'/floor':>9}{'/baseline x1':>14}"
    )
    for name in names:
        rps, p50, p99 = med[name]
        floor = floor1 if name.endswith("x1") else floor16
        print(
            f"{name:<24}{rps:>10.0f}{p50:>9.3f}{p99:>9.3f}{rps / floor:>9.3f}{rps / base1:>14.2f}"
        )
    key16 = max(med[f"keyspace x{CALLERS} threads"][0], med[f"keyspace x{CALLERS} tasks"][0])
    dag16 = med[f"dag x{CALLERS} threads"]
    print()
    print(f"keyspace path, 16 callers / baseline x1: {key16 / base1:.2f}x (target >= 2x)")
    print(
        f"DAG path, 16 threads: {dag16[0]:.0f} inferences/s (target >= 10000), p99 {dag16[2]:.2f} ms (target < 5)"
    )


if __name__ == "__main__":
    main()
