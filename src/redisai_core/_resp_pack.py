"""When hiredis' C packer may stand in for redis-py's: the one rule the lean paths share.

The auto-pipelines (``_autopipe.py``, ``_resp_stream.py``) and the vector ingest's packed writes
(``_async/packed_writes.py``) pack commands with ``hiredis.pack_command``. That gives the bytes
redis-py would send only when the client encodes ``str`` as strict UTF-8 (redis-py's default)
and every argument is ``str`` or ``bytes`` (redis-py formats numbers its own way). Anything
else keeps redis-py's path.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["packs_like_redis_py", "plain_arguments"]

_PLAIN = frozenset((str, bytes))


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
