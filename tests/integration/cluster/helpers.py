"""Helpers for the cluster tests: look at each node directly."""

from __future__ import annotations

import redis

from redisai_core import EmbeddedCluster


def keys_per_node(cluster: EmbeddedCluster, pattern: str) -> list[int]:
    """How many keys matching ``pattern`` each node holds (asked of each node directly)."""
    counts = []
    for url in cluster.urls:
        with redis.Redis.from_url(url) as node:
            counts.append(sum(1 for _ in node.scan_iter(match=pattern, count=500)))
    return counts
