"""One helper resolves the server everywhere: an explicit URL, then ``REDIS_URL``, then embedded."""

from __future__ import annotations

import threading

from ..config import env_redis_url
from ._embedded import EmbeddedRedis

_lock = threading.Lock()
_shared: EmbeddedRedis | None = None


def shared_server() -> EmbeddedRedis:
    """The process-wide embedded server (with modules), started on first use.

    Raises:
        ServerExtraMissingError: the ``server`` extra is not installed.
        EmbeddedServerError: the server did not start.
    """
    global _shared
    with _lock:
        if _shared is None or not _shared.is_running:
            _shared = EmbeddedRedis().start()
        return _shared


def resolve_url(redis_url: str | None = None) -> str:
    """The URL to connect to: ``redis_url`` if given, else ``REDIS_URL``, else the embedded server.

    Raises:
        ServerExtraMissingError: no URL is set and the ``server`` extra is not installed.
    """
    if redis_url:
        return redis_url
    return env_redis_url() or shared_server().url
