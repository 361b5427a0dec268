"""Load: concurrent clients on a mixed workload against one server; zero errors required.

One embedded Redis with the search module (or ``--redis-url``). Prepared before the clock
starts: an ``ExactCache`` with warm entries, a ``ChatHistory`` (``max_length`` 50) with full
sessions, a FLAT ``VectorIndex`` of 384-d documents with a ``topic`` tag and a ``year``
numeric field, the MiniLM ``RedisAIEmbedder`` and an MLP 32 -> 64 -> 2 stored with
``BATCHSIZE 16``, both on the hosted RedisAI executor. Then ``--clients`` threads (or asyncio
tasks with ``--asyncio``) each pick operations from a fixed weighted mix for ``--seconds``:

    cache_hit 25, cache_miss_set 10, history_append 15, history_read 10,
    vector_knn 15 (filtered: topic == t AND year >= y), embed 5 (one short text),
    model_dag 15 (input inline, output returned), model_keyspace 5 (tensorset, modelexecute,
    tensorget on the caller's own keys)

The clients share one object of each kind, as a threaded web app would (each object has its
own connection pool; the embedder shares the app's RedisAI client). Every result is checked
(cache payload, history contents, filter respected by every hit, embedding norm, model output
against numpy): a wrong result counts as an error, like an exception. Every exception is caught
and counted by operation and type; the script exits 1 if there was any error. The data, the
operations and their checks are in ``_load_workload.py``.

Printed: per operation count, ops/s, p50/p99 ms; total ops/s; errors; server memory
(``INFO memory``: used, peak, RSS) and ``DBSIZE`` at start, after setup, after the run and after
cleanup; the client process's RSS and max RSS.

    .venv/bin/python benchmarks/bench_load.py                 # 16 clients, 60 s
    .venv/bin/python benchmarks/bench_load.py --asyncio       # 16 asyncio tasks instead
    .venv/bin/python benchmarks/bench_load.py --quick         # 4 clients, 3 s (CI smoke)
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import pct
from _load_workload import (
    DIMS,
    HISTORY_CAP,
    MIX,
    MLP_BATCH,
    Setup,
    async_ops,
    mlp_blob,
    prepare,
    sync_ops,
)

from redisai_core import (
    AsyncChatHistory,
    AsyncExactCache,
    AsyncRedisAIClient,
    AsyncVectorIndex,
    ChatHistory,
    EmbeddedRedis,
    ExactCache,
    NumericFieldSpec,
    RedisAIClient,
    TagFieldSpec,
    VectorFieldSpec,
    VectorIndex,
)

# -- running and recording -------------------------------------------------------------------


@dataclass
class Record:
    """What one client saw: latencies (s) per operation and errors by (operation, type)."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: {n: [] for n in MIX})
    errors: Counter[tuple[str, str]] = field(default_factory=Counter)
    samples: dict[tuple[str, str], str] = field(default_factory=dict)

    def error(self, op: str, exc: BaseException) -> None:
        key = (op, type(exc).__name__)
        self.errors[key] += 1
        self.samples.setdefault(key, str(exc)[:200])


def schedule(seed: int, mix: dict[str, int]) -> Callable[[], str]:
    """A client's next operation, drawn from ``mix`` with its own generator."""
    rng = random.Random(seed ^ 0x5EED)
    names, weights = list(mix), list(mix.values())
    return lambda: rng.choices(names, weights)[0]


def run_threads(
    make: Callable[[int], dict[str, Callable[[], None]]],
    clients: int,
    seconds: float,
    mix: dict[str, int],
) -> tuple[list[Record], float]:
    records = [Record() for _ in range(clients)]
    barrier = threading.Barrier(clients + 1)
    stop = threading.Event()

    def work(i: int) -> None:
        ops, rec, pick = make(i), records[i], schedule(i, mix)
        barrier.wait()
        while not stop.is_set():
            op = pick()
            start = time.perf_counter()
            try:
                ops[op]()
            except Exception as exc:  # every error is counted, none ends the run
                rec.error(op, exc)
            else:
                rec.latencies[op].append(time.perf_counter() - start)

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    return records, time.perf_counter() - start


async def run_tasks(
    make: Callable[[int], dict[str, Callable[[], Awaitable[None]]]],
    clients: int,
    seconds: float,
    mix: dict[str, int],
) -> tuple[list[Record], float]:
    records = [Record() for _ in range(clients)]
    deadline = 0.0

    async def work(i: int) -> None:
        ops, rec, pick = make(i), records[i], schedule(i, mix)
        while time.perf_counter() < deadline:
            op = pick()
            start = time.perf_counter()
            try:
                await ops[op]()
            except Exception as exc:  # every error is counted, none ends the run
                rec.error(op, exc)
            else:
                rec.latencies[op].append(time.perf_counter() - start)

    start = time.perf_counter()
    deadline = start + seconds
    await asyncio.gather(*(work(i) for i in range(clients)))
    return records, time.perf_counter() - start


# -- memory ----------------------------------------------------------------------------------


def server_state(r: redis.Redis) -> dict[str, Any]:
    info = r.info("memory")
    return {
        "used": int(info["used_memory"]),
        "used_human": info["used_memory_human"],
        "peak_human": info["used_memory_peak_human"],
        "rss": int(info["used_memory_rss"]),
        "dbsize": int(r.dbsize()),
    }


def client_rss_mib() -> tuple[float, float]:
    """(current, max) resident set of this process in MiB (Linux: ru_maxrss is in KiB)."""
    current = 0.0
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmRSS:"):
                current = int(line.split()[1]) / 1024
    return current, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- main ------------------------------------------------------------------------------------


def warm_up(ops: dict[str, Callable[[], None]]) -> None:
    """Each operation once before the clock starts (sessions, scripts, connections)."""
    for fn in ops.values():
        fn()


async def async_run(
    s: Setup, clients: int, seconds: float, mix: dict[str, int]
) -> tuple[list[Record], float]:
    from redisai_core import AsyncRedisAIEmbedder

    cache = AsyncExactCache(s.url, prefix=s.key("cache"))
    history = AsyncChatHistory(s.url, prefix=s.key("history"), max_length=HISTORY_CAP)
    index = AsyncVectorIndex(s.index_name, prefix=s.key("vec"), redis_url=s.url)
    ai = AsyncRedisAIClient(s.url, executor="hosted", prefix=s.key("ai"))
    embedder = AsyncRedisAIEmbedder(client=ai, prefix=s.key("embed"))
    try:

        def make(i: int) -> dict[str, Callable[[], Awaitable[None]]]:
            return async_ops(s, cache, history, index, ai, embedder, i)

        for fn in make(0).values():
            await fn()
        return await run_tasks(make, clients, seconds, mix)
    finally:
        await embedder.aclose()
        for closable in (cache, history, index, ai):
            await closable.aclose()


def report(
    records: list[Record], elapsed: float, states: dict[str, dict[str, Any]], mode: str
) -> int:
    total = 0
    # Clients are closed loops: an operation's share of their busy time shows what bounds them.
    busy = sum(x for r in records for lat in r.latencies.values() for x in lat) or 1.0
    print(f"\n{mode}, {elapsed:.1f} s")
    print(f"{'operation':<16}{'count':>9}{'ops/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'time %':>8}")
    for op in MIX:
        lat = [x for r in records for x in r.latencies[op]]
        total += len(lat)
        if not lat:
            print(f"{op:<16}{0:>9}")
            continue
        print(
            f"{op:<16}{len(lat):>9}{len(lat) / elapsed:>10.1f}"
            f"{pct(lat, 50) * 1000:>9.2f}{pct(lat, 99) * 1000:>9.2f}{sum(lat) / busy:>8.1%}"
        )
    print(f"{'total':<16}{total:>9}{total / elapsed:>10.1f}")
    errors: Counter[tuple[str, str]] = Counter()
    samples: dict[tuple[str, str], str] = {}
    for r in records:
        errors.update(r.errors)
        for key, text in r.samples.items():
            samples.setdefault(key, text)
    print(f"\nerrors: {sum(errors.values())}")
    for (op, kind), count in errors.most_common():
        print(f"  {op} {kind} x{count}: {samples[(op, kind)]}")
    print(f"\n{'server':<14}{'used_memory':>12}{'peak':>10}{'RSS MiB':>9}{'DBSIZE':>9}")
    for name, st in states.items():
        print(
            f"{name:<14}{st['used_human']:>12}{st['peak_human']:>10}"
            f"{st['rss'] / 2**20:>9.1f}{st['dbsize']:>9}"
        )
    current, peak = client_rss_mib()
    print(f"client process: RSS {current:.0f} MiB, max RSS {peak:.0f} MiB")
    return sum(errors.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--asyncio", action="store_true", help="asyncio tasks, async classes")
    parser.add_argument("--warm", type=int, default=2000, help="warm cache entries")
    parser.add_argument("--sessions", type=int, default=200, help="chat sessions")
    parser.add_argument("--docs", type=int, default=5000, help="vector documents")
    parser.add_argument("--redis-url", help="a server with the search module (default: embedded)")
    parser.add_argument(
        "--weight",
        action="append",
        default=[],
        metavar="OP=W",
        help=f"change one weight of the mix (repeatable); default {MIX}",
    )
    parser.add_argument("--quick", action="store_true", help="4 clients, 3 s, small data (CI)")
    args = parser.parse_args()
    mix = dict(MIX)
    for item in args.weight:
        op, _, weight = item.partition("=")
        if op not in MIX or not weight.isdigit():
            parser.error(f"--weight {item!r}: expected OP=W with OP in {list(MIX)}")
        mix[op] = int(weight)
    if not any(mix.values()):
        parser.error("every weight is 0")
    if args.quick:
        args.clients, args.seconds, args.warm, args.sessions, args.docs = 4, 3.0, 200, 20, 500

    from redisai_core import RedisAIEmbedder

    server = None if args.redis_url else EmbeddedRedis().start()
    url = args.redis_url or server.url  # type: ignore[union-attr]
    tag = uuid.uuid4().hex[:6]
    s = Setup(url, f"bench:load:{tag}", args.warm, args.sessions, args.docs, f"bench-load-{tag}")
    raw = redis.Redis.from_url(url)
    states = {"start": server_state(raw)}
    cache = ExactCache(url, prefix=s.key("cache"))
    history = ChatHistory(url, prefix=s.key("history"), max_length=HISTORY_CAP)
    index = VectorIndex(
        s.index_name,
        prefix=s.key("vec"),
        redis_url=url,
        vector=VectorFieldSpec(dims=DIMS),
        fields=[TagFieldSpec(name="topic"), NumericFieldSpec(name="year")],
    )
    ai = RedisAIClient(url, executor="hosted", prefix=s.key("ai"))
    embedder = RedisAIEmbedder(client=ai, prefix=s.key("embed"))
    errors = 0
    try:
        setup_start = time.perf_counter()
        ai.modelstore("mlp", "ONNX", "CPU", mlp_blob(), batch=MLP_BATCH)
        embedder.ensure_model()
        prepare(s, cache, history, index)

        def make(i: int) -> dict[str, Callable[[], None]]:
            return sync_ops(s, cache, history, index, ai, embedder, i)

        if not args.asyncio:
            warm_up(make(0))
        print(
            f"setup {time.perf_counter() - setup_start:.1f} s: {args.warm} cache entries, "
            f"{args.sessions} sessions x {HISTORY_CAP} messages, {args.docs} docs ({DIMS}-d FLAT)"
        )
        states["after setup"] = server_state(raw)
        if args.asyncio:
            records, elapsed = asyncio.run(async_run(s, args.clients, args.seconds, mix))
            mode = f"{args.clients} asyncio tasks, mix {mix}"
        else:
            records, elapsed = run_threads(make, args.clients, args.seconds, mix)
            mode = f"{args.clients} threads, mix {mix}"
        states["after run"] = server_state(raw)
        errors = report(records, elapsed, states, mode)
    finally:
        cache.clear()
        history.clear()
        index.clear(drop_index=True)
        embedder.close()
        ai.close()
        for closable in (cache, history, index):
            closable.close()
        # What the classes above do not own (model, tensors, counters): our key space only.
        for key in raw.scan_iter(match=f"{s.prefix}:*", count=1000):
            raw.unlink(key)
        print(f"after cleanup: DBSIZE {raw.dbsize()} (start {states['start']['dbsize']})")
        raw.close()
        if server is not None:
            server.stop()
    if errors:
        print(f"FAILED: {errors} error(s)")
        sys.exit(1)
    print("OK: zero errors")


if __name__ == "__main__":
    main()
