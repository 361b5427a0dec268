"""Fault injection for the integration tests: a crash-and-restart thread and a silent listener.

Shared by ``_async/test_faults.py`` and its generated sync twin, so nothing here is async.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

from redisai_core import EmbeddedRedis


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now (a restart must reuse it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def persistent_server(data_dir: Path, port: int | None = None) -> EmbeddedRedis:
    """A server with modules and AOF ``appendfsync always``: an acknowledged write is on disk.

    With ``port=None`` a free port is picked on start (retrying if it is taken meanwhile); a
    restart passes the port the first server got.
    """
    return EmbeddedRedis(
        port=port,
        modules=True,
        persistence=True,
        data_dir=data_dir,
        config={"appendfsync": "always"},
    )


class CrashAndRestart:
    """A thread that SIGKILLs a server once ``trigger`` is set, then restarts it on its data.

    The restart uses the same port and data directory, so clients see one server that vanished
    for a while. Times are ``time.monotonic()`` readings.

    Args:
        server: the running server to kill.
        restart: builds and starts its replacement.
    """

    def __init__(self, server: EmbeddedRedis, restart: Callable[[], EmbeddedRedis]) -> None:
        self.server = server
        self._restart = restart
        self.trigger = threading.Event()
        self.restarted = threading.Event()
        self.killed_at: float | None = None
        self.ready_at: float | None = None
        self.old_pid: int | None = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="crash-and-restart", daemon=True)

    def start(self) -> CrashAndRestart:
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            if not self.trigger.wait(30):
                raise TimeoutError("the writers never reached the crash point")
            old = self.server
            self.old_pid = old.pid
            assert self.old_pid is not None, "the server died before the crash"
            os.kill(self.old_pid, signal.SIGKILL)
            self.killed_at = time.monotonic()
            # Wait until the process is gone (and its port closed) before binding the port again.
            deadline = time.monotonic() + 10
            while old.is_running and time.monotonic() < deadline:
                time.sleep(0.005)
            old.stop()  # forgets the dead process; the data directory is the caller's, kept
            self.server = self._restart()
            self.ready_at = time.monotonic()
        except BaseException as exc:  # reported by join(); the writers stop on `restarted`
            self.error = exc
        finally:
            self.restarted.set()

    def join(self) -> None:
        """Wait for the thread; re-raise whatever stopped it."""
        self._thread.join(60)
        if self.error is not None:
            raise self.error


class Blackhole:
    """A TCP port whose connections are accepted (by the kernel) and never answered.

    This is what a hung or partitioned server looks like to a client: connecting succeeds, no
    reply ever arrives. Only socket timeouts stop a client from waiting forever.
    """

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.port: int = self.sock.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        # A blocking accept() is not woken by close() from another thread: poll instead.
        self.sock.settimeout(0.05)
        self._held: list[socket.socket] = []
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, name="blackhole", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._held.append(conn)  # kept open and never read: the client waits for a reply

    def close(self) -> None:
        self._closed.set()
        self._thread.join(5)
        self.sock.close()
        for conn in self._held:
            conn.close()
