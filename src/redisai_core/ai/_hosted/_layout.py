"""Where the hosted executor keeps tensors, models, versions and run statistics. Pure; no I/O.

All keys live under the executor's :class:`~redisai_core.keys.KeySpace` ``ks``:

``<ks>:key:<user key>``
    The RedisAI object itself, in ONE Redis key per user key, so a name holds either a tensor
    or a model, never both (as in RedisAI). The Redis type tells them apart and makes Redis
    itself answer ``WRONGTYPE`` when one is used as the other, atomically and at no extra cost:

    * tensor = HASH ``{dtype: b"FLOAT", shape: b"2,3", blob: <C-order bytes>}``; written with
      one ``HSET`` (refused by Redis on a model key) and read with one ``HGETALL``.
    * model = LIST ``[<meta JSON>, <blob chunk 0>, <blob chunk 1>, ...]``; read with ``LINDEX 0``
      (metadata) or ``LRANGE 0 -1`` (everything), both refused by Redis on a tensor key.
``<ks>:mver:<user key>``
    STRING counter, ``INCR``-ed in the same MULTI/EXEC as every store and delete of the model.
    Its value is the model version that keys the session cache; it is never reset, so a
    re-created model never reuses an old version. Only these keys are watched for client-side
    cache invalidation, so tensor traffic causes no invalidation messages.
``<ks>:stats:<user key>``
    HASH of AI.INFO counters, fields ``<version>:duration|samples|calls|errors``. Qualifying
    fields by version makes a re-store reset the counters without a race: late increments of an
    old version land in fields nobody reads, and the next store deletes the hash.

Metadata is JSON and never holds the blob; nothing is ever pickled.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from ...errors import CorruptDataError
from ...keys import KeySpace
from .._types import WIRE_DTYPES, ModelMeta, Tensor

__all__ = [
    "STAT_FIELDS",
    "Layout",
    "StoredModel",
    "chunk_blob",
    "decode_meta",
    "decode_stats",
    "decode_tensor",
    "encode_meta",
    "encode_tensor",
    "queue_stats",
    "stat_field",
    "stat_increments",
]

STAT_FIELDS = ("duration", "samples", "calls", "errors")
_WIRE_NAMES = {name.encode(): name for name in WIRE_DTYPES}


@dataclasses.dataclass(frozen=True)
class Layout:
    """Builds every key of one hosted executor's key space."""

    space: KeySpace

    @functools.cached_property
    def objects(self) -> KeySpace:
        return self.space.child("key")

    @functools.cached_property
    def versions(self) -> KeySpace:
        return self.space.child("mver")

    @functools.cached_property
    def _object_head(self) -> str:
        return self.objects.head

    def obj(self, key: str) -> str:
        """The Redis key holding tensor or model ``key`` (built on every command: kept cheap)."""
        return self._object_head + key

    def version(self, key: str) -> str:
        return self.versions.key(key)

    def stats(self, key: str) -> str:
        return self.space.child("stats").key(key)


def encode_tensor(tensor: Tensor) -> dict[str, bytes]:
    """The hash fields of a stored tensor."""
    return {
        "dtype": tensor.dtype.encode(),
        "shape": ",".join(str(d) for d in tensor.shape).encode(),
        "blob": tensor.blob,
    }


def decode_tensor(fields: Mapping[Any, Any], key: str = "") -> Tensor | None:
    """The tensor of an ``HGETALL`` reply; ``None`` for an empty reply (no such key).

    Only the structure is checked here; a blob that does not fit its dtype and shape is
    refused with RedisAI's ``TensorError`` wherever the tensor is used.

    Raises:
        CorruptDataError: the hash is not a tensor we wrote (a field missing, an unknown
            dtype or a malformed shape), e.g. written by another program.
    """
    if not fields:
        return None
    try:
        raw_shape: bytes = fields[b"shape"]
        shape = tuple(map(int, raw_shape.split(b","))) if raw_shape else ()
        tensor = Tensor(_WIRE_NAMES[fields[b"dtype"]], shape, bytes(fields[b"blob"]))
    except (KeyError, ValueError) as exc:
        raise CorruptDataError(f"tensor {key!r} holds unreadable data: {exc!r}") from exc
    return tensor


@dataclasses.dataclass(frozen=True)
class StoredModel:
    """A model's metadata as stored, plus what only the hosted executor records."""

    meta: ModelMeta
    sha256: str
    size: int
    chunks: int


def encode_meta(meta: ModelMeta, blob: bytes, chunks: int) -> bytes:
    doc = dataclasses.asdict(meta)
    doc.update(sha256=hashlib.sha256(blob).hexdigest(), size=len(blob), chunks=chunks)
    return json.dumps(doc, separators=(",", ":")).encode()


def decode_meta(raw: bytes, key: str = "") -> StoredModel:
    """The stored metadata of a model (the first element of its list); never unpickled.

    Raises:
        CorruptDataError: the element is not metadata we wrote (not JSON, fields missing or
            of the wrong type), e.g. written by another program.
    """
    try:
        doc = json.loads(raw)
        meta = ModelMeta(
            backend=doc["backend"],
            device=doc["device"],
            tag=doc["tag"],
            batchsize=doc["batchsize"],
            minbatchsize=doc["minbatchsize"],
            minbatchtimeout=doc["minbatchtimeout"],
            inputs=tuple(doc["inputs"]),
            outputs=tuple(doc["outputs"]),
        )
        fields = (meta.backend, meta.device, meta.tag, *meta.inputs, *meta.outputs)
        numbers = (meta.batchsize, meta.minbatchsize, meta.minbatchtimeout)
        if not all(isinstance(v, str) for v in fields) or not all(
            isinstance(n, int) and not isinstance(n, bool) for n in numbers
        ):
            raise TypeError("a metadata field has the wrong type")
        return StoredModel(meta, doc["sha256"], doc["size"], doc["chunks"])
    except (KeyError, TypeError, ValueError) as exc:  # JSON and UTF-8 errors are ValueErrors
        raise CorruptDataError(f"model {key!r} holds unreadable metadata: {exc!r}") from exc


def chunk_blob(blob: bytes, chunk_size: int) -> list[bytes]:
    """Split a model blob into list elements of at most ``chunk_size`` bytes (at least one)."""
    if not blob:
        return [b""]
    return [blob[i : i + chunk_size] for i in range(0, len(blob), chunk_size)]


def stat_field(version: int, name: str) -> str:
    return f"{version}:{name}"


def decode_stats(fields: Mapping[Any, Any], version: int) -> dict[str, int]:
    """The four AI.INFO counters of ``version`` from an ``HGETALL`` of the stats hash."""
    out = {}
    for name in STAT_FIELDS:
        raw = fields.get(stat_field(version, name).encode())
        out[name] = int(raw) if raw is not None else 0
    return out


def stat_increments(version: int, delta: Sequence[int]) -> list[tuple[str, int]]:
    """``(field, amount)`` pairs for ``HINCRBY``; ``delta`` is duration, samples, calls, errors."""
    return [(stat_field(version, n), d) for n, d in zip(STAT_FIELDS, delta, strict=True) if d]


def queue_stats(pipe: Any, layout: Layout, key: str, version: int, delta: Sequence[int]) -> None:
    """Queue the ``HINCRBY`` commands of one counter delta on a (sync or asyncio) pipeline.

    Queuing is synchronous for both kinds of pipeline; only ``execute()`` is awaited.
    """
    stats_key = layout.stats(key)
    for field, amount in stat_increments(version, delta):
        pipe.hincrby(stats_key, field, amount)
