"""AI.INFO counters not yet written to Redis (DAG runs that persist nothing).

Stand-alone MODELEXECUTE writes its counters in the same MULTI/EXEC as its outputs. A DAG that
persists nothing must not touch Redis on its way (that is the fast serving path), so its
counters are summed here and written by the executor's background thread a moment later
(and at once before this process reads or resets them).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

__all__ = ["StatsBuffer"]

Delta = list[int]  # duration (us), samples, calls, errors


class StatsBuffer:
    """Thread-safe sums of counter increments per (model key, version)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[tuple[str, int], Delta] = {}

    def add(self, key: str, version: int, delta: Sequence[int]) -> None:
        pair = (key, version)
        with self._lock:
            sums = self._pending.get(pair)
            if sums is None:
                self._pending[pair] = list(delta)
            else:  # unrolled: this runs once per inference on the serving path
                duration, samples, calls, errors = delta
                sums[0] += duration
                sums[1] += samples
                sums[2] += calls
                sums[3] += errors

    def drain(self) -> dict[tuple[str, int], Delta]:
        """Take every pending increment (the caller writes them, or :meth:`restore` on failure)."""
        with self._lock:
            pending, self._pending = self._pending, {}
        return pending

    def restore(self, pending: dict[tuple[str, int], Delta]) -> None:
        """Put back increments whose write failed, so they are retried."""
        for (key, version), delta in pending.items():
            self.add(key, version, delta)

    def discard(self, key: str) -> None:
        """Forget the increments of one model (after AI.INFO RESETSTAT or a delete)."""
        with self._lock:
            for pair in [p for p in self._pending if p[0] == key]:
                del self._pending[pair]

    def __bool__(self) -> bool:
        with self._lock:
            return bool(self._pending)
