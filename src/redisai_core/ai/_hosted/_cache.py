"""The in-process cache of loaded models: one ORT runner and run queue per model version.

An entry is trusted without asking Redis only while the invalidation listener is connected:
the listener drops entries whose version key changed, and on losing its connection it drops
all of them (it may have missed messages) and marks the cache unhealthy until it is back.
Loads that raced with an invalidation are not inserted (see :meth:`ModelCache.token`).
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import threading

from ._batcher import Engine
from ._layout import StoredModel
from ._sessions import ModelRunner

__all__ = ["CachedModel", "ModelCache"]


@dataclasses.dataclass(eq=False)
class CachedModel:
    key: str
    version: int
    stored: StoredModel
    runner: ModelRunner
    engine: Engine


class ModelCache:
    """Thread-safe model cache, driven by invalidations.

    Two maps: ``_known`` holds the newest loaded entry per key (so every caller of one model
    version shares ONE run queue, whatever the listener's state), and ``_trusted`` the
    entries that may be used without asking Redis for the current version.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._known: dict[str, CachedModel] = {}
        self._trusted: dict[str, CachedModel] = {}
        self._generation = 0  # bumped on every invalidation of anything
        self._key_generation: dict[str, int] = {}
        self._loading: dict[tuple[str, int], concurrent.futures.Future[CachedModel]] = {}
        self.healthy = False

    def fresh(self, key: str) -> CachedModel | None:
        """The entry, if it can be used without asking Redis for the current version."""
        if not self.healthy:
            return None
        return self._trusted.get(key)

    def any(self, key: str) -> CachedModel | None:
        """The newest loaded entry, unverified (reuse it when Redis reports its version)."""
        return self._known.get(key)

    def token(self, key: str) -> tuple[int, int]:
        """Take before reading a model's version from Redis; see :meth:`adopt`."""
        with self._lock:
            return self._generation, self._key_generation.get(key, 0)

    def adopt(self, entry: CachedModel, token: tuple[int, int]) -> CachedModel:
        """Register a model version just read from Redis; returns the entry to use.

        Concurrent callers that missed the cache together each load the model; the first to
        get here wins and the others get its entry, so all requests for one model version go
        to ONE run queue (otherwise they could never be batched together). The entry becomes
        trusted only if no invalidation for its key arrived since ``token`` was taken (else the
        version read may already be outdated, and no further message would say so).
        """
        with self._lock:
            known = self._known.get(entry.key)
            if known is not None and known.version == entry.version:
                entry = known
            elif known is not None and known.version > entry.version:
                return entry  # an older read than one already registered: use, don't keep
            else:
                # A replaced entry's engine is left to finish its queue; its thread exits
                # when idle.
                self._known[entry.key] = entry
            current = (self._generation, self._key_generation.get(entry.key, 0))
            if current == token:
                self._trusted[entry.key] = entry
            return entry

    def loading(
        self, key: str, version: int
    ) -> tuple[concurrent.futures.Future[CachedModel], bool]:
        """The load of a model version in progress, and whether the caller must do it.

        The caller that gets ``True`` loads, completes the future and calls :meth:`loaded`;
        the others wait on the future.
        """
        with self._lock:
            future = self._loading.get((key, version))
            if future is not None:
                return future, False
            future = concurrent.futures.Future()
            self._loading[(key, version)] = future
            return future, True

    def loaded(self, key: str, version: int) -> None:
        with self._lock:
            self._loading.pop((key, version), None)

    def invalidate(self, keys: list[str] | None) -> None:
        """Stop trusting the given keys' entries, or every entry when ``keys`` is None.

        Engines are not closed: a caller may hold the entry and be about to submit; queued
        work finishes and the idle worker thread then exits by itself.
        """
        with self._lock:
            self._generation += 1
            if keys is None:
                self._trusted.clear()
            else:
                for key in keys:
                    self._key_generation[key] = self._key_generation.get(key, 0) + 1
                    self._trusted.pop(key, None)

    def set_healthy(self, healthy: bool) -> None:
        """Mark the listener (dis)connected; trust is dropped either way (messages lost)."""
        self.invalidate(None)
        self.healthy = healthy

    def close(self) -> None:
        self.healthy = False
        self.invalidate(None)
        with self._lock:
            entries, self._known = list(self._known.values()), {}
        for entry in entries:
            entry.engine.close()
