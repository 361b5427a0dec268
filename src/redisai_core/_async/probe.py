"""Probe a server's capabilities (one ``HELLO``; ``INFO`` + ``MODULE LIST`` on Redis < 6)."""

from __future__ import annotations

from typing import Any

import redis.asyncio
import redis.exceptions

from .._cluster_support import any_node
from ..capabilities import Capabilities, parse_hello, parse_info_and_modules
from ..errors import map_redis_errors

__all__ = ["async_probe"]


async def async_probe(client: redis.asyncio.Redis) -> Capabilities:
    """Ask the server for its version and modules.

    ``HELLO`` without arguments reports both without switching protocol and is allowed to
    every ACL user; servers older than 6.0 lack it, and there ``INFO`` and ``MODULE LIST``
    are used instead.

    Raises:
        RedisConnectionError: the server is unreachable.
        PermissionDeniedError: the ACL user may run none of these commands.
    """
    # A cluster client cannot route keyless commands by itself: ask any one node (all nodes of
    # a cluster are expected to run the same server and modules).
    route = any_node(client)
    with map_redis_errors():
        try:
            reply: Any = await client.execute_command("HELLO", **route)  # type: ignore[no-untyped-call]
            return parse_hello(reply)
        except redis.exceptions.ResponseError as exc:
            if "unknown command" not in str(exc).lower():
                raise
        info = await client.info("server", **route)
        modules = await client.execute_command("MODULE", "LIST", **route)  # type: ignore[no-untyped-call]
        return parse_info_and_modules(info, modules)
