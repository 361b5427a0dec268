"""Small helpers shared by the benchmark scripts: timing, percentiles, competitor subprocesses."""

from __future__ import annotations

import json
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def time_calls(fn: Callable[[], object], n: int, warmup: int = 50) -> list[float]:
    """Durations in microseconds of ``n`` calls of ``fn`` after ``warmup`` calls."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(n):
        start = time.perf_counter_ns()
        fn()
        out.append((time.perf_counter_ns() - start) / 1000)
    return out


def time_interleaved(
    fns: dict[str, Callable[[], object]], n: int, warmup: int = 50
) -> dict[str, list[float]]:
    """Durations in microseconds of ``n`` calls of each function, taken call by call in turn.

    Interleaving makes the drift of a shared machine hit every function alike, so their ratios
    hold even when absolute times swing.
    """
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    out: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(n):
        for name, fn in fns.items():
            start = time.perf_counter_ns()
            fn()
            out[name].append((time.perf_counter_ns() - start) / 1000)
    return out


def pct(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) of ``values``, nearest rank."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def competitor_python(venv: str) -> Path | None:
    """The interpreter of a competitor's git-ignored venv under benchmarks/, if it exists."""
    python = HERE / venv / "bin" / "python"
    return python if python.exists() else None


def run_competitor(
    venv: str, script: str, *args: str, timeout: float = 600
) -> dict[str, Any] | None:
    """Run ``competitors/<script>`` in its venv; it prints one JSON object as its last line."""
    python = competitor_python(venv)
    if python is None:
        return None
    result = subprocess.run(
        [str(python), str(HERE / "competitors" / script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{script} failed:\n{result.stderr[-3000:]}")
    last: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return last
