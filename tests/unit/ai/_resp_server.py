"""A fake RESP server on a unix socket: the I/O seam one level lower, under real redis-py.

It answers the connection handshake (``HELLO``, ``CLIENT SETINFO``) itself, records every
other command's argv as received, and answers each with the next canned raw RESP reply. Real
redis-py parsers (RESP2 or RESP3) then decode those bytes, so the tests see exactly what a
client would get from a server sending them.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
from collections.abc import AsyncIterator


def _bulk(data: bytes) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(data), data)


def hello(protocol: int, modules: list[bytes]) -> bytes:
    """A HELLO reply listing ``modules`` (by name), as a RESP2 array or a RESP3 map."""
    mods = b"*%d\r\n" % len(modules)
    for name in modules:
        if protocol == 3:
            mods += b"%2\r\n" + _bulk(b"name") + _bulk(name) + _bulk(b"ver") + b":10207\r\n"
        else:
            mods += b"*4\r\n" + _bulk(b"name") + _bulk(name) + _bulk(b"ver") + b":10207\r\n"
    fields = (
        _bulk(b"server") + _bulk(b"redis") + _bulk(b"version") + _bulk(b"6.2.14")
        + _bulk(b"proto") + b":%d\r\n" % protocol + _bulk(b"modules") + mods
    )  # fmt: skip
    return (b"%4\r\n" if protocol == 3 else b"*8\r\n") + fields


class RespServer:
    def __init__(self, modules: list[bytes] | None = None) -> None:
        self.replies: list[bytes] = []
        self.commands: list[list[bytes]] = []
        self.modules = modules or []
        self._dir = tempfile.mkdtemp(prefix="resp", dir="/tmp")
        self.path = os.path.join(self._dir, "s.sock")

    async def _read_command(self, reader: asyncio.StreamReader) -> list[bytes]:
        header = await reader.readline()
        if not header:
            raise EOFError
        assert header.startswith(b"*"), header
        args = []
        for _ in range(int(header[1:])):
            size = int((await reader.readline())[1:])
            args.append((await reader.readexactly(size + 2))[:-2])
        return args

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        protocol = 2
        try:
            while True:
                args = await self._read_command(reader)
                name = args[0].upper()
                if name == b"HELLO":
                    if len(args) > 1:
                        protocol = int(args[1])
                    writer.write(hello(protocol, self.modules))
                elif name == b"CLIENT":
                    writer.write(b"+OK\r\n")
                else:
                    self.commands.append(args)
                    writer.write(
                        self.replies.pop(0) if self.replies else b"-ERR no canned reply\r\n"
                    )
                await writer.drain()
        except (EOFError, ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


@contextlib.asynccontextmanager
async def resp_server(modules: list[bytes] | None = None) -> AsyncIterator[RespServer]:
    fake = RespServer(modules)
    server = await asyncio.start_unix_server(fake._serve, path=fake.path)
    try:
        yield fake
    finally:
        server.close()
        await server.wait_closed()
        shutil.rmtree(fake._dir, ignore_errors=True)
