"""When hiredis' C packer may stand in for redis-py's: the one rule the lean paths share.

The auto-pipelines (``_autopipe.py``, ``_resp_stream.py``), the vector ingest's packed writes
(``_async/packed_writes.py``) and the vector searches (``_async/lean_read.py``) pack commands
with ``hiredis.pack_command``. That gives the bytes
redis-py would send only when the client encodes ``str`` as strict UTF-8 (redis-py's default)
and every argument is ``str`` or ``bytes`` (redis-py formats numbers its own way). Anything
else keeps redis-py's path. Those that keep a connection of the client's pool for themselves
do so only from a pool large enough to spare it (:func:`may_keep_a_connection`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["KEEP_MIN_POOL", "may_keep_a_connection", "packs_like_redis_py", "plain_arguments"]

_PLAIN = frozenset((str, bytes))
# A lean path keeps a connection for itself only from a pool of at least this many: in a
# smaller one the kept connection would leave the owner's other commands too few (in a
# blocking pool, waiting for ever). redis-py's default pools allow 2**31.
KEEP_MIN_POOL = 8


def packs_like_redis_py(client: Any) -> bool:
    """Whether ``client``'s connections encode ``str`` as hiredis' packer does (strict UTF-8)."""
    kwargs = getattr(getattr(client, "connection_pool", None), "connection_kwargs", None)
    if not isinstance(kwargs, dict):
        return False
    encoding = str(kwargs.get("encoding", "utf-8")).lower().replace("_", "-")
    return encoding in ("utf-8", "utf8") and kwargs.get("encoding_errors", "strict") == "strict"


def plain_arguments(args: Iterable[Any]) -> bool:
    """Whether every argument is exactly ``str`` or ``bytes`` (not a subclass, not a number)."""
    return _PLAIN.issuperset(map(type, args))


def may_keep_a_connection(client: Any) -> bool:
    """Whether a lean path may keep one of ``client``'s pooled connections for itself (the
    asyncio stream, a vector index's search reader): its pool holds at least
    :data:`KEEP_MIN_POOL` connections."""
    limit = getattr(getattr(client, "connection_pool", None), "max_connections", None)
    return isinstance(limit, int) and limit >= KEEP_MIN_POOL
