"""The hosted executor's model commands: store, get, delete, scan, AI.INFO and RESETSTAT."""

from __future__ import annotations

import dataclasses

from redis.exceptions import WatchError

from .._compat import async_wait
from ..ai import _errors as msg
from ..ai._hosted._layout import (
    chunk_blob,
    decode_meta,
    decode_stats,
    encode_meta,
)
from ..ai._hosted._replies import (
    redis_errors,
    text,
)
from ..ai._hosted._sessions import (
    background_pool,
    create_runner,
    validate_device,
)
from ..ai._types import (
    Backend,
    ModelInfo,
    ModelMeta,
)
from ..errors import (
    KeyEmptyError,
    UnsupportedBackendError,
    WrongTypeError,
)
from .ai_hosted_base import AsyncHostedBase

__all__ = ["AsyncHostedModels"]


class AsyncHostedModels(AsyncHostedBase):
    """Model storage and AI.INFO of the hosted executor (see ``ai_hosted.py``)."""

    # -- models ---------------------------------------------------------------------------------

    async def modelstore(self, key: str, meta: ModelMeta, blob: bytes) -> None:
        """Validate the model by loading it in ONNX Runtime, then store it atomically.

        The blob (in chunks), its metadata with the introspected input/output names and a
        content hash, the version bump and the AI.INFO reset go in one MULTI/EXEC, guarded by
        WATCH so a tensor stored under the same key meanwhile is never overwritten.

        Raises:
            UnsupportedBackendError: TF, TFLITE or TORCH (ONNX only here), or an unknown backend.
            ModelError: bad device, corrupt blob (ORT's message), GPU without CUDA.
            WrongTypeError: the key holds a tensor.
        """
        backend = meta.backend.upper()
        if backend != Backend.ONNX.value:
            if backend in Backend.__members__:
                raise UnsupportedBackendError(
                    msg.HOSTED_BACKEND_UNSUPPORTED.format(backend=backend)
                )
            raise UnsupportedBackendError(msg.UNSUPPORTED_BACKEND)
        validate_device(meta.device)
        runner = await async_wait(background_pool().submit(create_runner, blob, meta.device))
        stored = dataclasses.replace(
            meta, backend=backend, inputs=runner.inputs, outputs=runner.outputs
        )
        chunks = chunk_blob(blob, self._chunk_size)
        header = encode_meta(stored, blob, len(chunks))
        obj = self._layout.obj(key)
        with redis_errors():
            async with self._redis.pipeline(transaction=True) as pipe:
                while True:
                    try:
                        await pipe.watch(obj)
                        if text(await pipe.type(obj)) not in ("none", "list"):
                            raise WrongTypeError(msg.WRONGTYPE)
                        pipe.multi()
                        pipe.delete(obj, self._layout.stats(key))
                        pipe.rpush(obj, header, *chunks)
                        pipe.incr(self._layout.version(key))
                        await pipe.execute()
                        break
                    except WatchError:
                        continue
        # Read-your-writes in this process, before the invalidation message arrives.
        self._cache.invalidate([key])
        self._stats.discard(key)

    async def modelget(self, key: str, meta_only: bool = False) -> tuple[ModelMeta, bytes | None]:
        """Metadata (``LINDEX 0``) or metadata and blob (``LRANGE 0 -1``), in one round trip.

        Raises:
            KeyEmptyError: no such model.
            WrongTypeError: the key holds a tensor.
        """
        obj = self._layout.obj(key)
        with redis_errors():
            if meta_only:
                head = await self._redis.lindex(obj, 0)
                items = [] if head is None else [head]
            else:
                items = await self._redis.lrange(obj, 0, -1)
        if not items:
            raise KeyEmptyError(msg.MODEL_KEY_EMPTY)
        meta = decode_meta(items[0], key).meta
        return meta, None if meta_only else b"".join(items[1:])

    async def modeldel(self, key: str) -> None:
        """Delete a model and its counters; bumps its version so every cache drops it.

        Raises:
            KeyEmptyError: no such model.
            WrongTypeError: the key holds a tensor.
        """
        obj = self._layout.obj(key)
        with redis_errors():
            async with self._redis.pipeline(transaction=True) as pipe:
                while True:
                    try:
                        await pipe.watch(obj)
                        kind = text(await pipe.type(obj))
                        if kind == "none":
                            raise KeyEmptyError(msg.MODEL_KEY_EMPTY)
                        if kind != "list":
                            raise WrongTypeError(msg.WRONGTYPE)
                        pipe.multi()
                        pipe.delete(obj, self._layout.stats(key))
                        pipe.incr(self._layout.version(key))
                        await pipe.execute()
                        break
                    except WatchError:
                        continue
        self._cache.invalidate([key])
        self._stats.discard(key)

    async def modelscan(self) -> list[tuple[str, str]]:
        """``[(key, tag), ...]`` of the stored models: SCAN over this key space, then tags."""
        objects = self._layout.objects
        found: dict[bytes, None] = {}
        with redis_errors():
            # scan_iter: a cluster client runs it on every primary in turn
            async for redis_key in self._redis.scan_iter(
                match=objects.pattern(), count=500, _type="list"
            ):
                found[redis_key] = None
            if not found:
                return []
            async with self._redis.pipeline(transaction=False) as pipe:
                for redis_key in found:
                    pipe.lindex(redis_key, 0)
                heads = await pipe.execute(raise_on_error=False)
        return [
            (key, decode_meta(head, key).meta.tag)
            for key, head in zip(map(objects.id_from_key, found), heads, strict=True)
            if isinstance(head, bytes)
        ]

    async def infoget(self, key: str) -> ModelInfo:
        """AI.INFO of a model, as every process sees it (counters live in Redis).

        Raises:
            KeyEmptyError: ``ERR cannot find run info for key`` (no such model).
        """
        await self._flush_stats()
        with redis_errors():
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.lindex(self._layout.obj(key), 0)
                pipe.get(self._layout.version(key))
                pipe.hgetall(self._layout.stats(key))
                head, raw_version, fields = await pipe.execute(raise_on_error=False)
        if not isinstance(head, bytes):
            raise KeyEmptyError(msg.NO_RUN_INFO)
        meta = decode_meta(head, key).meta
        counters = decode_stats(fields, int(raw_version or 0))
        return ModelInfo(
            key=key,
            type="MODEL",
            backend=meta.backend,
            device=meta.device,
            tag=meta.tag,
            **counters,
        )

    async def inforeset(self, key: str) -> None:
        """Zero a model's AI.INFO counters (RESETSTAT).

        Raises:
            KeyEmptyError: ``ERR cannot find run info for key`` (no such model).
        """
        self._stats.discard(key)
        with redis_errors():
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.type(self._layout.obj(key))
                pipe.delete(self._layout.stats(key))
                kind, _ = await pipe.execute()
        if text(kind) != "list":
            raise KeyEmptyError(msg.NO_RUN_INFO)
