"""langchain-redis RedisCache / RedisSemanticCache hit latency. Runs in benchmarks/.venv-lcr only."""

from __future__ import annotations

import argparse
import json
import time

from langchain_core.outputs import Generation
from langchain_redis import RedisCache


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--text-size", type=int, default=500)
    parser.add_argument("--semantic", action="store_true", help="RedisSemanticCache instead")
    args = parser.parse_args()
    if args.semantic:
        from langchain_core.embeddings import DeterministicFakeEmbedding
        from langchain_redis import RedisSemanticCache

        cache = RedisSemanticCache(
            embeddings=DeterministicFakeEmbedding(size=384),
            redis_url=args.url,
            name="bench_lcr_semcache",
            prefix="bench_lcr_semcache",
        )
    else:
        cache = RedisCache(redis_url=args.url, prefix="bench_lcr_cache")
    generation = [Generation(text="x" * args.text_size, generation_info={"finish_reason": "stop"})]
    cache.update("bench prompt", "bench-llm", generation)
    assert cache.lookup("bench prompt", "bench-llm") == generation
    for _ in range(50):
        cache.lookup("bench prompt", "bench-llm")
    samples = []
    for _ in range(args.n):
        start = time.perf_counter_ns()
        cache.lookup("bench prompt", "bench-llm")
        samples.append((time.perf_counter_ns() - start) / 1000)
    cache.clear()
    samples.sort()
    print(
        json.dumps(
            {"p50_us": samples[len(samples) // 2], "p99_us": samples[int(len(samples) * 0.99)]}
        )
    )


if __name__ == "__main__":
    main()
