"""LLM cache hit latency: raw GET vs our core vs our LangChain skin vs langchain-redis.

Exact cache: raw GET, core ExactCache, RedisAICache, langchain-redis RedisCache. Semantic
cache (embedding included, the same deterministic 384-d embeddings for both, so only the
caches differ): RedisAISemanticCache vs langchain-redis RedisSemanticCache.
One embedded server, one run, rounds interleaved; medians of the per-round p50s and the ratios
are printed. langchain-redis runs in its own venv (benchmarks/.venv-lcr) as a subprocess
against the same server; without that venv it is skipped with a note.

    .venv/bin/python benchmarks/bench_cache.py [--n 3000] [--rounds 3] [--quick]
"""

from __future__ import annotations

import argparse
import sys
import uuid
from pathlib import Path

import redis
from langchain_core.outputs import Generation

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import median, pct, run_competitor, time_calls, time_interleaved
from langchain_core.embeddings import DeterministicFakeEmbedding

from langchain_redisai import RedisAICache, RedisAISemanticCache
from langchain_redisai._mapping import generations_to_bytes
from redisai_core import EmbeddedRedis, ExactCache


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=3000, help="lookups per measurement")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--text-size", type=int, default=500)
    parser.add_argument("--quick", action="store_true", help="tiny N, no competitor (CI smoke)")
    args = parser.parse_args()
    if args.quick:
        args.n, args.rounds = 200, 1

    with EmbeddedRedis() as server:
        prefix = f"bench{uuid.uuid4().hex[:6]}"
        generations = [
            Generation(text="x" * args.text_size, generation_info={"finish_reason": "stop"})
        ]
        raw = redis.Redis.from_url(server.url)
        raw.set(f"{prefix}:raw", b"rai-cache/1\n" + generations_to_bytes(generations))
        core = ExactCache(server.url, prefix=f"{prefix}:core")
        core.update("bench prompt", "bench-llm", generations_to_bytes(generations))
        skin = RedisAICache(server.url, prefix=f"{prefix}:lc")
        skin.update("bench prompt", "bench-llm", generations)
        assert skin.lookup("bench prompt", "bench-llm") == generations

        semantic = RedisAISemanticCache(
            DeterministicFakeEmbedding(size=384), server.url, prefix=f"{prefix}:sem"
        )
        semantic.update("bench prompt", "bench-llm", generations)
        assert semantic.lookup("bench prompt", "bench-llm") == generations

        rows: dict[str, list[float]] = {"raw GET": [], "core ExactCache": [], "RedisAICache": []}
        sem_ours: list[float] = []
        sem_theirs: list[float] = []
        competitor: list[float] = []
        for _ in range(args.rounds):
            # Call by call in turn, so the machine's drift hits all three alike.
            samples = time_interleaved(
                {
                    "raw GET": lambda: raw.get(f"{prefix}:raw"),
                    "core ExactCache": lambda: core.lookup("bench prompt", "bench-llm"),
                    "RedisAICache": lambda: skin.lookup("bench prompt", "bench-llm"),
                },
                args.n,
            )
            for name, values in samples.items():
                rows[name].append(pct(values, 50))
            sem_ours.append(
                pct(time_calls(lambda: semantic.lookup("bench prompt", "bench-llm"), args.n), 50)
            )
            if not args.quick:
                result = run_competitor(
                    ".venv-lcr", "lcr_cache.py", "--url", server.url, "--n", str(args.n),
                    "--text-size", str(args.text_size), "--semantic",
                )  # fmt: skip
                if result is not None:
                    sem_theirs.append(result["p50_us"])
                result = run_competitor(
                    ".venv-lcr", "lcr_cache.py", "--url", server.url, "--n", str(args.n),
                    "--text-size", str(args.text_size),
                )  # fmt: skip
                if result is not None:
                    competitor.append(result["p50_us"])
        if competitor:
            rows["langchain-redis RedisCache"] = competitor

        base = median(rows["raw GET"])
        print(
            f"exact cache hit p50, {args.rounds} round(s) x {args.n} lookups, {args.text_size}-char text"
        )
        print(f"{'':28} {'p50 us (median)':>16} {'x raw GET':>10}")
        for name, values in rows.items():
            print(f"{name:28} {median(values):16.1f} {median(values) / base:10.2f}")
        if competitor:
            print(f"RedisAICache speed-up over langchain-redis: "
                  f"{median(competitor) / median(rows['RedisAICache']):.2f}x")  # fmt: skip
        elif not args.quick:
            print("langchain-redis skipped: create benchmarks/.venv-lcr (see benchmarks/README.md)")
        print(f"semantic cache hit p50 (embedding included): RedisAISemanticCache "
              f"{median(sem_ours):.1f} us")  # fmt: skip
        if sem_theirs:
            print(f"  langchain-redis RedisSemanticCache {median(sem_theirs):.1f} us: ours is "
                  f"{median(sem_theirs) / median(sem_ours):.2f}x faster")  # fmt: skip
        semantic.clear()
        semantic.close()
        skin.clear()
        core.clear()
        raw.delete(f"{prefix}:raw")
        for closable in (skin, core, raw):
            closable.close()


if __name__ == "__main__":
    main()
