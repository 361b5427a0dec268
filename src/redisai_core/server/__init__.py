"""The embedded Redis server and the helper that resolves which server to use."""

from ._binaries import ServerBinaries, find_binaries
from ._cluster import EmbeddedCluster
from ._embedded import EmbeddedRedis, running_servers
from ._resolve import resolve_url, shared_server

__all__ = [
    "EmbeddedCluster",
    "EmbeddedRedis",
    "ServerBinaries",
    "find_binaries",
    "resolve_url",
    "running_servers",
    "shared_server",
]
