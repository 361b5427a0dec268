"""Redis Cluster support shared by the core classes: recognising a cluster client and slots.

On a cluster, every command that touches several keys (MULTI/EXEC, a Lua script, a multi-key
``UNLINK`` or ``MGET``) needs all its keys in one hash slot. Which keys share a slot is decided
per component (``docs/cluster.md`` explains each choice):

* KV store and exact cache: keys spread over all slots (each operation is single-key, or split
  per slot by redis-py: ``UNLINK`` and pipelines are, and ``MGET`` becomes ``mget_nonatomic``).
* Chat history and the hosted RedisAI executor: their key space is hash-tagged
  (``{prefix}:...``), so all keys of one history or one executor share a slot. Both need it:
  a history's scripts touch the session lists and the history-wide session index together,
  and the executor writes a model with its version and counters, and a DAG's tensors, in one
  MULTI/EXEC.

Listing and ``clear()`` use ``scan_iter``, which redis-py's cluster clients run on every
primary in turn.
"""

from __future__ import annotations

from typing import Any

import redis.asyncio.cluster
import redis.cluster

from .keys import KeySpace

__all__ = ["any_node", "decodes_responses", "has_hash_tag", "is_cluster", "slot_space"]

_CLUSTER_TYPES = (redis.cluster.RedisCluster, redis.asyncio.cluster.RedisCluster)


def is_cluster(client: Any) -> bool:
    """Whether ``client`` is a redis-py cluster client (sync or asyncio)."""
    return isinstance(client, _CLUSTER_TYPES)


def decodes_responses(client: Any) -> bool:
    """Whether ``client`` decodes replies to ``str`` (a standalone or a cluster client)."""
    pool = getattr(client, "connection_pool", None)
    if pool is not None:
        return bool(pool.connection_kwargs.get("decode_responses"))
    return bool(client.get_encoder().decode_responses)


def any_node(client: Any) -> dict[str, Any]:
    """Keyword arguments sending a keyless command (``HELLO``, ``INFO``) to one cluster node.

    Empty for a standalone client. redis-py's sync cluster client (8.1) ignores node flags for
    commands it has no routing rule for, so it gets a node; the asyncio one, which may not have
    discovered its nodes yet, gets the ``random`` flag.
    """
    if isinstance(client, redis.cluster.RedisCluster):
        return {"target_nodes": client.get_default_node()}  # type: ignore[no-untyped-call]
    if isinstance(client, redis.asyncio.cluster.RedisCluster):
        return {"target_nodes": redis.asyncio.cluster.RedisCluster.RANDOM}
    return {}


def has_hash_tag(text: str) -> bool:
    """Whether a key starting with ``text`` is hashed by a tag inside ``text``.

    Redis Cluster hashes only what lies between the first ``{`` and the next ``}`` when that is
    non-empty; a prefix holding such a tag pins every key of its space to one slot already.
    """
    start = text.find("{")
    if start < 0:
        return False
    end = text.find("}", start + 1)
    return end > start + 1


def slot_space(client: Any, space: KeySpace) -> KeySpace:
    """The key space a component whose keys are used together should use with ``client``.

    Unchanged on a standalone server, or when the prefix already holds a hash tag; otherwise
    the prefix is hash-tagged (``{prefix}``), so every key of the space shares one slot.

    Raises:
        ConfigError: the prefix holds an unbalanced brace, which would break the tag.
    """
    if not is_cluster(client) or has_hash_tag(space.prefix):
        return space
    return space.hash_tagged()
