"""The RedisAI client facade on a real Redis without the ``ai`` module: auto picks hosted.

Written once for asyncio; ``scripts/unasync.py`` generates the sync twin in ``_sync/``.
"""

from __future__ import annotations

import numpy as np
import pytest
import redis.asyncio

from redisai_core import AsyncRedisAIClient, KeyEmptyError, KeySpace, ModelError, TensorError
from redisai_core.ai import _errors as msg

from ..ai_hosted_helpers import identity


@pytest.fixture
async def ai(async_client: redis.asyncio.Redis, keyspace: KeySpace):
    facade = AsyncRedisAIClient(redis_client=async_client, prefix=keyspace.prefix)
    yield facade
    await facade.aclose()


async def test_auto_picks_hosted_on_a_plain_server(plain_redis_url: str):
    async with AsyncRedisAIClient(plain_redis_url) as ai:
        executor = await ai.get_executor()
        assert executor.name == "hosted"
        assert await ai.get_executor() is executor


async def test_auto_picks_hosted_on_a_server_with_other_modules(ai: AsyncRedisAIClient):
    assert (await ai.get_executor()).name == "hosted"


async def test_tensor_round_trips_and_forms(ai: AsyncRedisAIClient):
    arr = np.arange(6, dtype=np.int16).reshape(2, 3)
    assert await ai.tensorset("a", arr) == "OK"
    np.testing.assert_array_equal(await ai.tensorget("a"), arr)
    assert await ai.tensorget("a", meta_only=True) == {"dtype": "INT16", "shape": [2, 3]}
    assert await ai.tensorset("s", ["x", "héllo"], dtype="STRING") == "OK"
    assert await ai.tensorget("s", as_numpy=False) == {
        "dtype": "STRING",
        "shape": [2],
        "values": ["x", "héllo"],
    }
    with pytest.raises(KeyEmptyError) as info:
        await ai.tensorget("missing")
    assert info.value.message == msg.TENSOR_KEY_EMPTY


async def test_model_store_execute_and_dag(ai: AsyncRedisAIClient, keyspace: KeySpace):
    blob = identity()
    assert await ai.modelstore("m", "ONNX", "CPU", blob, tag="v1") == "OK"
    got = await ai.modelget("m")
    assert got["blob"] == blob and got["tag"] == "v1" and got["inputs"] == ["x"]
    x = np.array([[1.0, 2.0]], dtype=np.float32)
    await ai.tensorset("x", x)
    assert await ai.modelexecute("m", "x", "y") == "OK"
    np.testing.assert_array_equal(await ai.tensorget("y"), x)
    out = (
        await ai.dag().tensorset("in", x).modelexecute("m", "in", "out").tensorget("out").execute()
    )
    assert out[:2] == ["OK", "OK"]
    np.testing.assert_array_equal(out[2], x)
    info = await ai.infoget("m")
    assert info["calls"] == 2 and info["samples"] == 2 and info["key"] == "m"
    assert ("m", "v1") in await ai.modelscan()
    assert await ai.modeldel("m") == "OK"
    with pytest.raises(KeyEmptyError):
        await ai.modelget("m")


async def test_client_side_checks_send_nothing(ai: AsyncRedisAIClient):
    with pytest.raises(ModelError) as info:
        await ai.modelstore("m", "ONNX", "CPU:1.8", b"x")
    assert info.value.message == msg.INVALID_DEVICE
    with pytest.raises(TensorError):
        await ai.tensorset("t", np.ones(2, dtype=np.uint64))


async def test_chunk_size_reaches_the_hosted_executor(
    async_client: redis.asyncio.Redis, keyspace: KeySpace
):
    blob = identity()
    async with AsyncRedisAIClient(
        redis_client=async_client, prefix=keyspace.prefix, chunk_size=16
    ) as ai:
        await ai.modelstore("m", "ONNX", "CPU", blob)
        assert (await ai.modelget("m"))["blob"] == blob
    # The blob is kept in pieces of at most 16 bytes, so more keys/elements than one blob.
    sizes = []
    async for key in async_client.scan_iter(match=keyspace.pattern()):
        if await async_client.type(key) == b"list":
            sizes += [len(x) for x in (await async_client.lrange(key, 1, -1))]
    assert sizes and max(sizes) <= 16 and sum(sizes) == len(blob)
