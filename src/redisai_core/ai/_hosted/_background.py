"""The hosted executor's background thread: cache invalidation and deferred AI.INFO counters.

Invalidation uses Redis client-side caching in broadcast mode, which needs no module and works
on Redis 6+: one connection subscribes to ``__redis__:invalidate`` (RESP2), another turns on
``CLIENT TRACKING ON REDIRECT <subscriber id> BCAST PREFIX <ks>:mver:``. Redis then pushes the
name of every model version key that changes (store, delete, or any write by any client), so
a cached session is checked without a round trip per request. ``FLUSHDB``/``FLUSHALL`` arrive
as a null message and drop everything. The connections are pinged every second; when either
is lost the cache is dropped and marked unhealthy (requests then ask Redis for the version)
until both are re-established.

The thread uses its own synchronous connections, built from the caller's client settings, so
it never borrows (and never blocks) the caller's pool or event loop.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import threading
import time
from typing import Any

import redis
import redis.connection

from ...keys import KeySpace
from ._cache import ModelCache
from ._layout import Layout, queue_stats
from ._stats import StatsBuffer

logger = logging.getLogger("redisai_core.ai")

__all__ = ["Background", "SyncTarget", "sync_target"]

_CHANNEL = "__redis__:invalidate"
_FLUSH_EVERY = 0.1
_PING_EVERY = 1.0
_POLL = 0.05
# Settings that describe where and how to connect; anything else (parsers, event hooks,
# maintenance handlers) is specific to the caller's client type and is left out.
_KEEP = (
    "host",
    "port",
    "db",
    "path",
    "username",
    "password",
    "credential_provider",
    "socket_timeout",
    "socket_connect_timeout",
    "socket_keepalive",
    "socket_keepalive_options",
    "ssl_keyfile",
    "ssl_certfile",
    "ssl_cert_reqs",
    "ssl_ca_certs",
    "ssl_ca_data",
    "ssl_ca_path",
    "ssl_check_hostname",
    "ssl_password",
    "ssl_min_version",
    "ssl_ciphers",
)
_CLASSES: dict[str, type[Any]] = {
    "Connection": redis.connection.Connection,
    "SSLConnection": redis.connection.SSLConnection,
    "UnixDomainSocketConnection": redis.connection.UnixDomainSocketConnection,
}


@dataclasses.dataclass(frozen=True)
class SyncTarget:
    """How to open synchronous RESP2 connections to the server a caller's client talks to."""

    connection_class: type[Any]
    kwargs: dict[str, Any]

    def connection(self) -> Any:
        """A new, unconnected ``redis.connection.Connection`` (typed Any: its stubs are partial)."""
        return self.connection_class(**self.kwargs)

    def client(self) -> redis.Redis:
        pool = redis.ConnectionPool(
            connection_class=self.connection_class, max_connections=4, **self.kwargs
        )
        return redis.Redis(connection_pool=pool)


def sync_target(client: Any) -> SyncTarget | None:
    """The server of a (sync or asyncio) redis-py client, for the background thread.

    Returns ``None`` for pools this cannot reproduce (e.g. Sentinel); the executor then checks
    the model version with Redis on every request instead of trusting its cache.
    """
    pool = getattr(client, "connection_pool", None)
    cls = _CLASSES.get(getattr(getattr(pool, "connection_class", None), "__name__", ""))
    if pool is None or cls is None:
        return None
    kwargs = {k: v for k, v in pool.connection_kwargs.items() if k in _KEEP}
    kwargs["socket_timeout"] = kwargs.get("socket_timeout") or 5.0
    kwargs["protocol"] = 2
    return SyncTarget(cls, kwargs)


class Background:
    """One daemon thread per executor: invalidation listener plus counter flusher.

    Args:
        target: the server (``None``: no listener; counters are written by the caller).
        space: the executor's key space.
        cache: the model cache to invalidate.
        stats: counters waiting to be written.
    """

    def __init__(
        self,
        target: SyncTarget | None,
        space: KeySpace,
        cache: ModelCache,
        stats: StatsBuffer,
    ) -> None:
        self._target = target
        self._layout = Layout(space)
        self._cache = cache
        self._stats = stats
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._conns: list[Any] = []
        self._client: redis.Redis | None = None

    def ensure_started(self) -> None:
        """Start the thread once. Never waits: until the listener is connected the cache is
        simply not trusted (each request checks the model version), so callers, asyncio ones
        included, are never blocked on the listener's connection."""
        if self._thread is not None or self._target is None:
            return
        with self._lock:
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(
                    target=self._main, name="redisai-hosted-background", daemon=True
                )
                self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(5.0)
        self._cache.set_healthy(False)

    # -- thread ---------------------------------------------------------------------------------

    def _main(self) -> None:
        backoff = 0.05
        warned = False
        while not self._stop.is_set():
            try:
                subscriber = self._connect()
            except (redis.RedisError, OSError) as exc:
                if not warned and isinstance(exc, redis.exceptions.NoPermissionError):
                    # Still correct without the listener (every request then checks the model
                    # version in Redis), but slower: say why, once.
                    logger.warning(
                        "hosted RedisAI: the model-invalidation listener is refused (%s); "
                        "grant +subscribe +client|id +client|tracking +ping and "
                        "&__redis__:invalidate (see README: restricted ACL user)",
                        exc,
                    )
                    warned = True
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 2.0)
                continue
            backoff = 0.05
            self._cache.set_healthy(True)
            try:
                self._listen(subscriber)
            except (redis.RedisError, OSError):
                pass
            finally:
                # Messages may have been lost: nothing cached can be trusted any more.
                self._cache.set_healthy(False)
                self._close_conns()
        self._flush()
        self._close_conns()
        if self._client is not None:
            self._client.close()

    def _connect(self) -> Any:
        assert self._target is not None
        self._close_conns()
        subscriber = self._target.connection()
        tracker = self._target.connection()
        self._conns = [subscriber, tracker]
        subscriber.connect()
        subscriber.send_command("CLIENT", "ID")
        client_id = subscriber.read_response()
        subscriber.send_command("SUBSCRIBE", _CHANNEL)
        subscriber.read_response()
        tracker.connect()
        tracker.send_command(
            "CLIENT",
            "TRACKING",
            "ON",
            "REDIRECT",
            client_id,
            "BCAST",
            "PREFIX",
            self._layout.versions.head,
        )
        reply = tracker.read_response()
        if reply not in (b"OK", "OK"):
            raise redis.ResponseError(f"CLIENT TRACKING refused: {reply!r}")
        return subscriber

    def _listen(self, subscriber: Any) -> None:
        tracker = self._conns[1]
        last_ping = last_flush = time.monotonic()
        versions = self._layout.versions
        while not self._stop.is_set():
            if subscriber.can_read(timeout=_POLL):
                message = subscriber.read_response()
                if isinstance(message, list) and len(message) == 3 and message[0] == b"message":
                    keys = message[2]
                    if keys is None:
                        self._cache.invalidate(None)
                    else:
                        self._cache.invalidate(
                            [versions.id_from_key(k) for k in keys if versions.owns(k)]
                        )
            now = time.monotonic()
            if now - last_ping >= _PING_EVERY:
                tracker.send_command("PING")
                tracker.read_response()
                subscriber.send_command("PING")  # answered as a message, read by the loop
                last_ping = now
            if now - last_flush >= _FLUSH_EVERY:
                last_flush = now
                self._flush()

    def _flush(self) -> None:
        """Write pending counters; on failure keep them for the next attempt."""
        if not self._stats:
            return
        if self._client is None:
            assert self._target is not None
            self._client = self._target.client()
        pending = self._stats.drain()
        try:
            with self._client.pipeline(transaction=False) as pipe:
                for (key, version), delta in pending.items():
                    queue_stats(pipe, self._layout, key, version, delta)
                pipe.execute()
        except (redis.RedisError, OSError):
            self._stats.restore(pending)

    def _close_conns(self) -> None:
        for conn in self._conns:
            with contextlib.suppress(Exception):
                conn.disconnect()
        self._conns = []
