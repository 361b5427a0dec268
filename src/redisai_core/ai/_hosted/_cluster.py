"""The hosted executor on a Redis Cluster: one slot per executor, no invalidation listener.

Every key of an executor (tensors, models, version counters, AI.INFO counters) lives in its
hash-tagged key space ``{prefix}:...``, so one slot holds them all: storing a model writes its
blob, version and counters in one MULTI/EXEC, and MODELEXECUTE with several outputs or a
persisting DAG writes several tensors in one, which a cluster allows only within one slot.
The cost is that one executor's data sits on one primary; use several prefixes (executors)
to spread load over shards.

CLIENT TRACKING BCAST invalidation does not carry over: on a cluster each node only reports
changes to its own keys, and the listener needs one connection per node. The executor takes
its existing fallback instead (each request checks the model version with one round trip,
and counters are written by the caller at once); ``sync_target`` already returns ``None``
for a client without a single connection pool.
"""

from __future__ import annotations

from typing import Any

from ..._cluster_support import decodes_responses, is_cluster
from ...errors import ConfigError

__all__ = ["cluster_raw_client"]


def cluster_raw_client(client: Any) -> Any | None:
    """The cluster client itself when it keeps bytes; ``None`` for a standalone client.

    Raises:
        ConfigError: the cluster client decodes replies (a non-decoding twin of a cluster
            client would need its own node discovery; pass ``decode_responses=False``).
    """
    if not is_cluster(client):
        return None
    if decodes_responses(client):
        raise ConfigError(
            "on a Redis Cluster the hosted executor needs a client with decode_responses=False"
        )
    return client
