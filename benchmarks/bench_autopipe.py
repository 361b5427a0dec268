"""Auto-pipelining: plain redis-py vs the command combiners, with 1 and 16 callers.

Each caller loops HSET + HGETALL of its own small hash (3 fields), through
(a) plain redis-py ``execute_command`` and (b) ``CommandCombiner`` / ``AsyncCommandCombiner``,
as threads and as asyncio tasks, on one embedded Redis without modules.

Printed per scenario: medians over ``--repeat`` runs (default 3) of commands/s and of p50/p99
latency per command, the ratio to plain redis-py with one caller (the single-caller baseline of
the same kind: threads or tasks) and the ratio to plain redis-py with the same callers. Absolute
numbers drift 2-3x between runs on a shared machine: read the ratios.

    .venv/bin/python benchmarks/bench_autopipe.py            # full (~30 s)
    .venv/bin/python benchmarks/bench_autopipe.py --quick    # smoke run for CI
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import redis
import redis.asyncio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from redisai_core import EmbeddedRedis
from redisai_core._autopipe import CommandCombiner
from redisai_core._autopipe_async import AsyncCommandCombiner

CALLERS = 16
FIELDS = ("a", "1", "b", "2", "c", "3")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Result:
    """Commands/s and per-command latency (ms) of one scenario run."""

    def __init__(self, commands: int, elapsed: float, latencies: list[float]) -> None:
        self.ops = commands / elapsed
        self.p50 = percentile(latencies, 0.5) * 1000
        self.p99 = percentile(latencies, 0.99) * 1000


def run_threads(execute: Callable[..., Any], prefix: str, callers: int, n: int) -> Result:
    """``callers`` threads each loop HSET + HGETALL ``n`` times; all start together."""
    latencies: list[list[float]] = [[] for _ in range(callers)]
    barrier = threading.Barrier(callers + 1)

    def work(i: int) -> None:
        key = f"{prefix}:h{i}"
        execute("HSET", key, *FIELDS)  # warm-up
        own = latencies[i]
        barrier.wait()
        for _ in range(n):
            t = time.perf_counter()
            execute("HSET", key, *FIELDS)
            t2 = time.perf_counter()
            reply = execute("HGETALL", key)
            own += (t2 - t, time.perf_counter() - t2)
        assert reply == {b"a": b"1", b"b": b"2", b"c": b"3"}, reply

    threads = [threading.Thread(target=work, args=(i,)) for i in range(callers)]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    flat = [x for own in latencies for x in own]
    return Result(len(flat), elapsed, flat)


async def run_tasks(
    execute: Callable[..., Awaitable[Any]], prefix: str, callers: int, n: int
) -> Result:
    latencies: list[float] = []

    async def work(i: int, rounds: int) -> None:
        key = f"{prefix}:a{i}"
        for _ in range(rounds):
            t = time.perf_counter()
            await execute("HSET", key, *FIELDS)
            t2 = time.perf_counter()
            reply = await execute("HGETALL", key)
            latencies.extend((t2 - t, time.perf_counter() - t2))
        assert reply == {b"a": b"1", b"b": b"2", b"c": b"3"}, reply

    await asyncio.gather(*(work(i, 1) for i in range(callers)))  # warm-up
    latencies.clear()
    start = time.perf_counter()
    await asyncio.gather(*(work(i, n) for i in range(callers)))
    return Result(len(latencies), time.perf_counter() - start, latencies)


def one_run(url: str, n: int, flip: bool) -> dict[str, Result]:
    prefix = f"bench:{uuid.uuid4().hex[:8]}"
    client = redis.Redis.from_url(url)
    combiner = CommandCombiner(client)
    results: dict[str, Result] = {}
    # Every other run swaps plain and combiner, so a drift of the machine's load during a run
    # does not always favour the same side.
    sides = ("plain", "combiner")[:: -1 if flip else 1]
    for callers in (1, CALLERS):
        rounds = n * CALLERS // callers if callers == 1 else n
        for side in sides:
            execute = client.execute_command if side == "plain" else combiner.execute
            results[f"threads x{callers} {side}"] = run_threads(execute, prefix, callers, rounds)

    async def async_part() -> None:
        aclient = redis.asyncio.Redis.from_url(url)
        acombiner = AsyncCommandCombiner(aclient)
        for callers in (1, CALLERS):
            rounds = n * CALLERS // callers if callers == 1 else n
            for side in sides:
                execute = aclient.execute_command if side == "plain" else acombiner.execute
                results[f"tasks x{callers} {side}"] = await run_tasks(
                    execute, prefix, callers, rounds
                )
        await aclient.aclose()

    asyncio.run(async_part())
    for key in client.scan_iter(match=f"{prefix}:*"):
        client.unlink(key)
    client.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny N, one repeat (CI smoke)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("-n", type=int, default=250, help="HSET+HGETALL loops per caller (x16)")
    args = parser.parse_args()
    n, repeat = (5, 1) if args.quick else (args.n, args.repeat)
    with EmbeddedRedis(modules=False) as server:
        runs = [one_run(server.url, n, flip=bool(i % 2)) for i in range(repeat)]

    def med(name: str, attr: str) -> float:
        return float(statistics.median(getattr(run[name], attr) for run in runs))

    print(f"HSET+HGETALL, commands/s and per-command latency, medians of {repeat} run(s)")
    print(
        f"{'scenario':28} {'cmd/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'vs 1 plain':>11} {'vs plain':>9}"
    )
    for name in sorted(runs[0], key=lambda name: (name.split()[0] == "tasks", name)):
        kind, callers, _ = name.split()
        base = f"{kind} x1 plain"
        same = f"{kind} {callers} plain"
        # Ratios are medians of the per-run ratios: each run compares like with like in time.
        vs_base = statistics.median(run[name].ops / run[base].ops for run in runs)
        vs_same = statistics.median(run[name].ops / run[same].ops for run in runs)
        print(
            f"{name:28} {med(name, 'ops'):9.0f} {med(name, 'p50'):8.3f} {med(name, 'p99'):8.3f}"
            f" {vs_base:10.2f}x {vs_same:8.2f}x"
        )


if __name__ == "__main__":
    main()
