"""AI.* command builders and reply decoders (PROTOCOL.md §1). Pure; no I/O.

Builders return ``tuple[str | bytes, ...]``, always the argv as it goes on the wire. Decoders take
replies as redis-py gives them, with ``NEVER_DECODE`` or without, over RESP2 or RESP3: strings as
``bytes`` or ``str``, float VALUES as bulk strings (RESP2) or ``float`` (RESP3 doubles), name/value
pairs as flat arrays (what RedisAI sends) or maps, model blobs as one bulk string or an array of
chunks, and errors inside arrays as redis-py ``ResponseError`` instances.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import redis.exceptions as rex

from ..errors import ModuleMissingError, RedisAICoreError, ResponseError, translate
from ._errors import _TABLE, classify
from ._types import (
    NA,
    OK,
    DagOp,
    DagResult,
    ModelInfo,
    ModelMeta,
    Tensor,
    TensorGetOp,
    TensorSetOp,
)

__all__ = [
    "MODEL_CHUNK_SIZE",
    "Argv",
    "dagexecute",
    "error_text",
    "info",
    "join_blob",
    "modeldel",
    "modelexecute",
    "modelget",
    "modelscan",
    "modelstore",
    "parse_dag",
    "parse_info",
    "parse_modelget",
    "parse_modelscan",
    "parse_ok",
    "parse_status",
    "parse_tensor",
    "parse_tensor_meta",
    "parse_tensor_values",
    "reply_error",
    "split_chunks",
    "tensorget",
    "tensorset",
    "tensorset_values",
]

Argv = tuple[str | bytes, ...]

# RedisAI's default MODEL_CHUNK_SIZE (511 MiB). Chunking on store exists only so that no single
# argument exceeds Redis' 512 MB bulk-string limit; the server concatenates whatever chunks it
# gets, so the server's own setting need not be asked for (redisai-py's AI.CONFIG round trip).
MODEL_CHUNK_SIZE = 511 * 1024 * 1024

_MODULE_HINT = (
    "RedisAI is end-of-life and ships with no current Redis; use executor='hosted' "
    "(ONNX Runtime next to the caller, models and tensors kept in Redis)."
)


# --------------------------------------------------------------------------- builders


def _dims(shape: Sequence[int]) -> list[str]:
    return [str(int(d)) for d in shape]


def _tensorset_body(key: str, tensor: Tensor) -> Argv:
    return ("AI.TENSORSET", key, tensor.dtype, *_dims(tensor.shape), "BLOB", tensor.blob)


def tensorset(key: str, tensor: Tensor) -> Argv:
    """``AI.TENSORSET key TYPE dims... BLOB data``."""
    return _tensorset_body(key, tensor)


def _value_arg(value: Any) -> str | bytes:
    if isinstance(value, (str, bytes)):
        return value
    if isinstance(value, float):
        # repr is the shortest text that parses back to the same double.
        return repr(value)
    return str(value)


def tensorset_values(key: str, dtype: str, shape: Sequence[int], values: Sequence[Any]) -> Argv:
    """``AI.TENSORSET key TYPE dims... VALUES v...`` (the server parses and checks the values)."""
    return ("AI.TENSORSET", key, dtype, *_dims(shape), "VALUES", *map(_value_arg, values))


def tensorget(
    key: str, *, meta: bool = True, fmt: Literal["BLOB", "VALUES"] | None = "BLOB"
) -> Argv:
    """``AI.TENSORGET key [META] [BLOB | VALUES]``; the default is ``META BLOB``."""
    args: list[str | bytes] = ["AI.TENSORGET", key]
    if meta:
        args.append("META")
    if fmt is not None:
        args.append(fmt)
    return tuple(args)


def split_chunks(blob: bytes, chunk_size: int) -> list[bytes]:
    """``blob`` cut into pieces of at most ``chunk_size`` bytes (one piece if it is empty)."""
    if chunk_size <= 0:
        raise ValueError("chunk_size must be positive")
    if len(blob) <= chunk_size:
        return [blob]
    view = memoryview(blob)
    return [bytes(view[i : i + chunk_size]) for i in range(0, len(blob), chunk_size)]


def modelstore(
    key: str, meta: ModelMeta, blob: bytes, *, chunk_size: int = MODEL_CHUNK_SIZE
) -> Argv:
    """``AI.MODELSTORE key BACKEND DEVICE [TAG] [BATCHSIZE [MINBATCHSIZE [MINBATCHTIMEOUT]]]
    [INPUTS n ... OUTPUTS n ...] BLOB chunk...``.

    Options are written in the only order RedisAI parses. A zero batching option equals the
    default, so it is left out, except where a later option needs it to be present
    (``MINBATCHSIZE`` requires ``BATCHSIZE`` ...). INPUTS/OUTPUTS go out for TF only.
    """
    args: list[str | bytes] = ["AI.MODELSTORE", key, meta.backend, meta.device]
    if meta.tag:
        args += ["TAG", meta.tag]
    if meta.batchsize or meta.minbatchsize or meta.minbatchtimeout:
        args += ["BATCHSIZE", str(meta.batchsize)]
        if meta.minbatchsize or meta.minbatchtimeout:
            args += ["MINBATCHSIZE", str(meta.minbatchsize)]
            if meta.minbatchtimeout:
                args += ["MINBATCHTIMEOUT", str(meta.minbatchtimeout)]
    if meta.backend.upper() == "TF":
        args += ["INPUTS", str(len(meta.inputs)), *meta.inputs]
        args += ["OUTPUTS", str(len(meta.outputs)), *meta.outputs]
    args.append("BLOB")
    args += split_chunks(blob, chunk_size)
    return tuple(args)


def modelget(key: str, *, meta_only: bool = False) -> Argv:
    """``AI.MODELGET key META [BLOB]``."""
    return ("AI.MODELGET", key, "META") if meta_only else ("AI.MODELGET", key, "META", "BLOB")


def modeldel(key: str) -> Argv:
    """``AI.MODELDEL key``."""
    return ("AI.MODELDEL", key)


def _keys(word: str, keys: Sequence[str]) -> list[str | bytes]:
    return [word, str(len(keys)), *keys]


def modelexecute(
    key: str, inputs: Sequence[str], outputs: Sequence[str], timeout: int | None = None
) -> Argv:
    """``AI.MODELEXECUTE key INPUTS n ... OUTPUTS n ... [TIMEOUT ms]``."""
    args: list[str | bytes] = ["AI.MODELEXECUTE", key, *_keys("INPUTS", inputs)]
    args += _keys("OUTPUTS", outputs)
    if timeout is not None:
        args += ["TIMEOUT", str(timeout)]
    return tuple(args)


def modelscan() -> Argv:
    """``AI._MODELSCAN`` (experimental in RedisAI)."""
    return ("AI._MODELSCAN",)


def info(key: str, *, reset: bool = False) -> Argv:
    """``AI.INFO key [RESETSTAT]``."""
    return ("AI.INFO", key, "RESETSTAT") if reset else ("AI.INFO", key)


def _dag_op(op: DagOp) -> Argv:
    if isinstance(op, TensorSetOp):
        return _tensorset_body(op.key, op.tensor)
    if isinstance(op, TensorGetOp):
        return tensorget(op.key)
    return ("AI.MODELEXECUTE", op.key, *_keys("INPUTS", op.inputs), *_keys("OUTPUTS", op.outputs))


def dagexecute(
    ops: Sequence[DagOp],
    *,
    load: Sequence[str] = (),
    persist: Sequence[str] = (),
    routing: str | None = None,
    timeout: int | None = None,
    readonly: bool = False,
) -> Argv:
    """``AI.DAGEXECUTE[_RO] [LOAD n ...] [PERSIST n ...] [ROUTING r] [TIMEOUT ms] |> op ...``.

    TENSORGET ops always ask for ``META BLOB``; the caller converts as the user asked.
    """
    args: list[str | bytes] = ["AI.DAGEXECUTE_RO" if readonly else "AI.DAGEXECUTE"]
    if load:
        args += _keys("LOAD", load)
    if persist:
        args += _keys("PERSIST", persist)
    if routing is not None:
        args += ["ROUTING", routing]
    if timeout is not None:
        args += ["TIMEOUT", str(timeout)]
    for op in ops:
        args.append("|>")
        args += _dag_op(op)
    return tuple(args)


# --------------------------------------------------------------------------- decoders


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    if isinstance(value, str):
        return value
    raise ResponseError(f"unexpected reply element {value!r}, expected a string")


def _unexpected(command: str, reply: Any) -> ResponseError:
    shown = repr(reply)
    if len(shown) > 200:
        shown = shown[:200] + "..."
    return ResponseError(f"unexpected reply to {command}: {shown}")


def _pairs(reply: Any, command: str) -> dict[str, Any]:
    """A flat ``[name, value, ...]`` array or a RESP3 map as a dict with lower-cased names."""
    if isinstance(reply, Mapping):
        return {_text(k).lower(): v for k, v in reply.items()}
    if not isinstance(reply, (list, tuple)) or len(reply) % 2:
        raise _unexpected(command, reply)
    return {_text(reply[i]).lower(): reply[i + 1] for i in range(0, len(reply), 2)}


def _field(fields: Mapping[str, Any], name: str, command: str) -> Any:
    try:
        return fields[name]
    except KeyError:
        raise ResponseError(f"reply to {command} lacks {name!r}") from None


def _int(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    return int(_text(value))


def _status(reply: Any) -> str | None:
    if isinstance(reply, (bytes, str)):
        return _text(reply)
    return None


def parse_ok(reply: Any, command: str = "AI command") -> str:
    """``+OK`` as ``"OK"``.

    Raises:
        ResponseError: anything else.
    """
    if _status(reply) == "OK" or reply is True:
        return "OK"
    raise _unexpected(command, reply)


def parse_status(reply: Any, command: str = "AI.MODELEXECUTE") -> str:
    """``+OK`` or ``+TIMEDOUT`` (a simple string, not an error) as ``"OK"`` / ``"TIMEDOUT"``.

    Raises:
        ResponseError: anything else.
    """
    status = _status(reply)
    if status in ("OK", "TIMEDOUT"):
        return status
    if reply is True:
        return "OK"
    raise _unexpected(command, reply)


def _meta(fields: Mapping[str, Any], reply: Any) -> tuple[str, tuple[int, ...]]:
    dtype = _text(_field(fields, "dtype", "AI.TENSORGET")).upper()
    shape = _field(fields, "shape", "AI.TENSORGET")
    if not isinstance(shape, (list, tuple)):
        raise _unexpected("AI.TENSORGET", reply)
    return dtype, tuple(_int(d) for d in shape)


def parse_tensor_meta(reply: Any) -> tuple[str, tuple[int, ...]]:
    """``dtype`` and ``shape`` of an ``AI.TENSORGET ... META`` reply (with or without data)."""
    return _meta(_pairs(reply, "AI.TENSORGET"), reply)


def parse_tensor(reply: Any) -> Tensor:
    """The tensor in an ``AI.TENSORGET key META BLOB`` reply."""
    fields = _pairs(reply, "AI.TENSORGET")
    dtype, shape = _meta(fields, reply)
    blob = _field(fields, "blob", "AI.TENSORGET")
    if isinstance(blob, str):
        # A client with decode_responses=True decoded the bytes; only lossless for ASCII.
        blob = blob.encode("utf-8", "surrogateescape")
    if not isinstance(blob, bytes):
        raise _unexpected("AI.TENSORGET", reply)
    return Tensor(dtype, shape, blob)


def _value(dtype: str, item: Any) -> Any:
    if dtype in ("FLOAT", "DOUBLE"):
        return item if isinstance(item, float) else float(_text(item))
    if dtype == "STRING":
        return _text(item)
    return _int(item)


def parse_tensor_values(reply: Any) -> tuple[str, tuple[int, ...], list[Any]]:
    """``(dtype, shape, values)`` of an ``AI.TENSORGET key META VALUES`` reply.

    Float values arrive as bulk strings (RESP2) or doubles (RESP3) and become ``float``;
    integer and BOOL values ``int``; STRING values ``str``.
    """
    fields = _pairs(reply, "AI.TENSORGET")
    dtype, shape = _meta(fields, reply)
    values = _field(fields, "values", "AI.TENSORGET")
    if not isinstance(values, (list, tuple)):
        raise _unexpected("AI.TENSORGET", reply)
    return dtype, shape, [_value(dtype, v) for v in values]


def join_blob(value: Any) -> bytes:
    """A model blob sent as one bulk string or as an array of chunks (``RAI_ReplyWithChunks``)."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, (list, tuple)) and all(isinstance(c, bytes) for c in value):
        return b"".join(value)
    raise _unexpected("AI.MODELGET", value)


def _names(value: Any) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)):
        raise _unexpected("AI.MODELGET", value)
    return tuple(_text(v) for v in value)


def parse_modelget(reply: Any, *, meta_only: bool = False) -> tuple[ModelMeta, bytes | None]:
    """Metadata and blob (None when ``meta_only``) of an ``AI.MODELGET key META [BLOB]`` reply."""
    fields = _pairs(reply, "AI.MODELGET")

    def get(name: str) -> Any:
        return _field(fields, name, "AI.MODELGET")

    meta = ModelMeta(
        backend=_text(get("backend")),
        device=_text(get("device")),
        tag=_text(fields.get("tag") or b""),
        batchsize=_int(get("batchsize")),
        minbatchsize=_int(get("minbatchsize")),
        minbatchtimeout=_int(fields.get("minbatchtimeout", 0)),
        inputs=_names(fields.get("inputs", [])),
        outputs=_names(fields.get("outputs", [])),
    )
    blob = None if meta_only else join_blob(get("blob"))
    return meta, blob


def parse_modelscan(reply: Any) -> list[tuple[str, str]]:
    """``[(key, tag), ...]`` of an ``AI._MODELSCAN`` reply."""
    if not isinstance(reply, (list, tuple)):
        raise _unexpected("AI._MODELSCAN", reply)
    entries: list[tuple[str, str]] = []
    for entry in reply:
        if not isinstance(entry, (list, tuple)) or len(entry) != 2:
            raise _unexpected("AI._MODELSCAN", reply)
        entries.append((_text(entry[0]), _text(entry[1] or b"")))
    return entries


def parse_info(reply: Any) -> ModelInfo:
    """An ``AI.INFO key`` reply (18 elements, ``tag`` included as the source sends it)."""
    fields = _pairs(reply, "AI.INFO")

    def get(name: str) -> Any:
        return _field(fields, name, "AI.INFO")

    return ModelInfo(
        key=_text(get("key")),
        type=_text(get("type")),
        backend=_text(get("backend")),
        device=_text(get("device")),
        tag=_text(fields.get("tag") or b""),
        duration=_int(get("duration")),
        samples=_int(get("samples")),
        calls=_int(get("calls")),
        errors=_int(get("errors")),
    )


def parse_dag(reply: Any, ops: Sequence[DagOp]) -> list[DagResult] | str:
    """Per-op results of an ``AI.DAGEXECUTE`` reply, or ``"TIMEDOUT"`` for the whole DAG.

    Each result is ``OK``, ``NA`` (skipped after an earlier failure, or a tensor never
    produced), a :class:`Tensor` for a TENSORGET op, or the inline error as a
    :class:`RedisAIError`.
    """
    if _status(reply) == "TIMEDOUT":
        return "TIMEDOUT"
    if not isinstance(reply, (list, tuple)) or len(reply) != len(ops):
        raise _unexpected("AI.DAGEXECUTE", reply)
    results: list[DagResult] = []
    for op, item in zip(ops, reply, strict=True):
        status = _status(item)
        if isinstance(item, rex.ResponseError):
            results.append(reply_error(item))
        elif status == "NA":
            results.append(NA)
        elif status == "OK" and not isinstance(op, TensorGetOp):
            results.append(OK)
        elif isinstance(op, TensorGetOp) and isinstance(item, (list, tuple, Mapping)):
            results.append(parse_tensor(item))
        else:
            raise _unexpected("AI.DAGEXECUTE", reply)
    return results


# --------------------------------------------------------------------------- errors

# RedisAI messages that carry "ERR " on the wire. Used only with redis-py versions that strip
# the prefix without recording it (no ``status_code`` on the exception).
_ERR_FRAGMENTS: tuple[str, ...] = (
    *(fragment for fragment, _ in _TABLE if fragment.startswith("ERR ")),
    "ERR Expected ",
    "ERR ONNXRuntime session",
    "ERR No batches to run",
    "ERR Nothing to run",
    "ERR Could not initialize queue",
    "ERR could not save tensor",
    "ERR Model did not generate the expected batch size",
    "ERR CROSSSLOT",
    "ERR unknown command",
    "ERR wrong number of arguments",
    "ERR Cannot run RedisAI command",
    "ERR KEYS or INPUTS",
    "ERR Already Encountered",
)


def error_text(exc: rex.ResponseError) -> str:
    """The error's text as it went on the wire.

    redis-py strips a leading ``ERR `` (and other known codes such as ``CROSSSLOT``) from
    error replies. Newer versions keep the code in ``status_code``; with older ones the
    prefix is restored for the RedisAI messages known to carry it (PROTOCOL.md §1.14).
    Framework messages (ONNX Runtime, ...) never had one and stay as they are.
    """
    message = str(exc.args[0]) if exc.args else str(exc)
    code = getattr(exc, "status_code", None)
    if code:
        return f"{code} {message}"
    if hasattr(exc, "status_code"):
        return message
    candidate = "ERR " + message
    if any(candidate.startswith(fragment) for fragment in _ERR_FRAGMENTS):
        return candidate
    return message


def reply_error(exc: rex.ResponseError) -> RedisAICoreError:
    """Our error for an error reply of an AI.* command (raised, or inline in a DAG reply).

    redis-py's specialised classes (NOPERM, READONLY, OOM, ...) keep their general mapping;
    ``unknown command 'AI...`` means the module is missing; the rest is RedisAI's and is
    classified by :func:`classify` with its exact wire text.
    """
    if type(exc) is not rex.ResponseError:
        return translate(exc)
    text = error_text(exc)
    if text.startswith("ERR unknown command") and "'ai." in text.lower():
        return ModuleMissingError("RedisAI commands", "ai", _MODULE_HINT)
    return classify(text)
