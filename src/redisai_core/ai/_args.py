"""User-facing argument checks and result shapes of the RedisAI client facade. Pure; no I/O.

The facade (``_async/ai_client.py`` and its generated sync twin) stays a thin sequence of
calls; everything that decides or converts lives here, once, and is unit-tested directly.
Checks raise what a RedisAI server would answer for the same arguments, with its wording, so
both executors (and a misconfigured call) fail alike and before anything is sent.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from typing import Any

from ..capabilities import Capabilities
from ..errors import ConfigError, DagError, ModelError, RedisAIError
from . import _tensor
from ._errors import (
    DAG_EMPTY,
    DAG_PERSIST_READONLY,
    EXPECTED_BLOB,
    INPUT_COUNT_ARG,
    INPUTS_NOT_FOR_BACKEND,
    INVALID_DEVICE,
    INVALID_TIMEOUT,
    MINBATCH_WITHOUT_BATCH,
    MINBATCHTIMEOUT_WITHOUT_MINBATCH,
    OUTPUT_COUNT_ARG,
    TF_INPUTS_MISSING,
    TF_OUTPUTS_MISSING,
    UNSUPPORTED_BACKEND,
    classify,
)
from ._types import (
    NA,
    OK,
    Backend,
    DagOp,
    DagResult,
    ModelExecuteOp,
    ModelInfo,
    ModelMeta,
    Tensor,
)

__all__ = [
    "EXECUTORS",
    "TensorFormat",
    "dag_scope",
    "default_routing",
    "format_dag_results",
    "format_tensor",
    "info_dict",
    "key_list",
    "model_blob",
    "model_meta",
    "modelget_dict",
    "select_executor",
    "timeout_arg",
]

EXECUTORS = ("auto", "module", "hosted")
# RedisAI: CPU or GPU, optionally ":<digits>", fewer than 10 characters, any case (§1.4).
_DEVICE = re.compile(r"(?:CPU|GPU)(?::[0-9]+)?", re.IGNORECASE)


def select_executor(choice: str, capabilities: Capabilities | None = None) -> str:
    """``"module"`` or ``"hosted"`` for an ``executor=`` argument.

    ``"auto"`` needs the server's capabilities: the module when ``ai`` is loaded, else hosted.

    Raises:
        ConfigError: an unknown choice, or ``"auto"`` without capabilities.
    """
    if choice not in EXECUTORS:
        raise ConfigError(f"executor must be one of {', '.join(EXECUTORS)}; got {choice!r}")
    if choice != "auto":
        return choice
    if capabilities is None:
        raise ConfigError("executor='auto' needs the server's capabilities")
    return "module" if capabilities.has_ai else "hosted"


def key_list(keys: str | Sequence[str] | None) -> tuple[str, ...]:
    """One key or a sequence of keys (redisai-py accepts both) as a tuple."""
    if keys is None:
        return ()
    if isinstance(keys, str):
        return (keys,)
    return tuple(keys)


def _option(value: int | None, message: str) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ModelError(message)
    return value


def model_meta(
    backend: str | Backend,
    device: str,
    *,
    batch: int | None = None,
    minbatch: int | None = None,
    minbatchtimeout: int | None = None,
    tag: str | None = None,
    inputs: str | Sequence[str] | None = None,
    outputs: str | Sequence[str] | None = None,
) -> ModelMeta:
    """Check ``modelstore`` arguments in RedisAI's parse order and build the metadata.

    The device is kept as given (RedisAI echoes ``cpu`` if sent ``cpu``); the backend is
    upper-cased, as RedisAI reports it.

    Raises:
        UnsupportedBackendError: ``ERR unsupported backend``.
        ModelError: ``ERR Invalid DEVICE``, ``ERR Invalid argument for BATCHSIZE`` (and the
            other options), ``ERR MINBATCHSIZE specified without BATCHSIZE``,
            ``ERR MINBATCHTIMEOUT specified without MINBATCHSIZE``, TF without
            ``INPUTS``/``OUTPUTS``, or another backend with them.
        ConfigError: ``tag`` is not a string.
    """
    name = backend.value if isinstance(backend, Backend) else backend
    if not isinstance(name, str) or name.upper() not in Backend.__members__:
        raise classify(UNSUPPORTED_BACKEND)
    name = name.upper()
    if not isinstance(device, str) or len(device) >= 10 or not _DEVICE.fullmatch(device):
        raise ModelError(INVALID_DEVICE)
    batchsize = _option(batch, "ERR Invalid argument for BATCHSIZE")
    minbatchsize = _option(minbatch, "ERR Invalid argument for MINBATCHSIZE")
    if minbatchsize and not batchsize:
        raise ModelError(MINBATCH_WITHOUT_BATCH)
    timeout = _option(minbatchtimeout, "ERR Invalid argument for MINBATCHTIMEOUT")
    if timeout and not minbatchsize:
        raise ModelError(MINBATCHTIMEOUT_WITHOUT_MINBATCH)
    if tag is not None and not isinstance(tag, str):
        raise ConfigError(f"tag must be a string, got {type(tag).__name__}")
    ins, outs = key_list(inputs), key_list(outputs)
    if name == Backend.TF:
        if inputs is None:
            raise ModelError(TF_INPUTS_MISSING)
        if not ins:
            raise ModelError(INPUT_COUNT_ARG)
        if outputs is None:
            raise ModelError(TF_OUTPUTS_MISSING)
        if not outs:
            raise ModelError(OUTPUT_COUNT_ARG)
    elif ins:
        raise ModelError(INPUTS_NOT_FOR_BACKEND)
    elif outs:
        # RedisAI reaches OUTPUTS where it expects BLOB.
        raise ModelError(EXPECTED_BLOB)
    return ModelMeta(
        backend=name,
        device=device,
        tag=tag or "",
        batchsize=batchsize,
        minbatchsize=minbatchsize,
        minbatchtimeout=timeout,
        inputs=ins,
        outputs=outs,
    )


def model_blob(data: Any) -> bytes:
    """The model bytes of ``data`` (bytes, bytearray or memoryview).

    Raises:
        ConfigError: anything else (a path or a file object is not read for you).
    """
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    raise ConfigError(f"model data must be bytes, got {type(data).__name__}")


def timeout_arg(timeout: int | None, error: type[RedisAIError] = ModelError) -> int | None:
    """A ``TIMEOUT`` in milliseconds: None or a positive integer.

    Raises:
        ModelError: (or ``error``) ``ERR Invalid value for TIMEOUT``.
    """
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout <= 0:
        raise error(INVALID_TIMEOUT)
    return timeout


def dag_scope(
    load: str | Sequence[str] | None, persist: str | Sequence[str] | None, readonly: bool
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """LOAD and PERSIST keys of a DAG.

    Raises:
        DagError: ``ERR PERSIST cannot be specified in a read-only DAG``.
    """
    loads, persists = key_list(load), key_list(persist)
    if readonly and persists:
        raise DagError(DAG_PERSIST_READONLY)
    return loads, persists


def default_routing(ops: Sequence[DagOp]) -> str:
    """A ROUTING value for a DAG given none of LOAD, PERSIST or ROUTING.

    RedisAI refuses such a DAG (the deprecated ``AI.DAGRUN`` did not, which is why redisai-py
    falls back to it). ROUTING only picks the shard, so the model key of the first
    MODELEXECUTE is the natural value: on a cluster the DAG must run where that model lives.
    A DAG without one routes by its first op's key.

    Raises:
        DagError: ``ERR DAG is empty``.
    """
    if not ops:
        raise DagError(DAG_EMPTY)
    for op in ops:
        if isinstance(op, ModelExecuteOp):
            return op.key
    return ops[0].key


@dataclasses.dataclass(frozen=True)
class TensorFormat:
    """How ``tensorget`` presents a tensor: numpy array, values dict, or metadata dict."""

    as_numpy: bool = True
    meta_only: bool = False


_AS_NUMPY = TensorFormat()
_MARKERS: dict[object, str] = {OK: "OK", NA: "NA"}


def tensor_format(as_numpy: bool = True, meta_only: bool = False) -> TensorFormat:
    """The format for these options (the common one is shared, not rebuilt per call)."""
    if as_numpy and not meta_only:
        return _AS_NUMPY
    return TensorFormat(as_numpy=as_numpy, meta_only=meta_only)


def format_tensor(tensor: Tensor, fmt: TensorFormat) -> Any:
    """A tensor as ``tensorget`` returns it.

    * ``meta_only``: ``{"dtype": "FLOAT", "shape": [2, 3]}``;
    * ``as_numpy``: a read-only numpy array (see ``ai/_tensor.py``);
    * otherwise: ``{"dtype", "shape", "values"}`` with a flat, row-major values list.

    Raises:
        TensorError: the stored tensor is malformed.
    """
    if fmt.meta_only:
        return {"dtype": tensor.dtype, "shape": list(tensor.shape)}
    if fmt.as_numpy:
        return _tensor.to_numpy(tensor)
    return {
        "dtype": tensor.dtype,
        "shape": list(tensor.shape),
        "values": _tensor.to_values(tensor),
    }


def format_dag_results(
    results: list[DagResult] | str, formats: Sequence[TensorFormat | None]
) -> list[Any] | str:
    """Per-op DAG results for the user: ``"OK"``, ``"NA"``, a formatted tensor, or the error.

    A whole-DAG timeout stays ``"TIMEDOUT"``.
    """
    if isinstance(results, str):
        return results
    out: list[Any] = []
    for result, fmt in zip(results, formats, strict=True):
        if isinstance(result, Tensor):
            out.append(format_tensor(result, fmt or _AS_NUMPY))
        elif isinstance(result, BaseException):
            out.append(result)
        else:
            # OK / NA markers are str enums; hand back plain strings.
            out.append(_MARKERS.get(result) or str(result))
    return out


def modelget_dict(meta: ModelMeta, blob: bytes | None) -> dict[str, Any]:
    """``modelget``'s dict; ``blob`` is left out for ``meta_only`` (as in redisai-py)."""
    out: dict[str, Any] = {
        "backend": meta.backend,
        "device": meta.device,
        "tag": meta.tag,
        "batchsize": meta.batchsize,
        "minbatchsize": meta.minbatchsize,
        "minbatchtimeout": meta.minbatchtimeout,
        "inputs": list(meta.inputs),
        "outputs": list(meta.outputs),
    }
    if blob is not None:
        out["blob"] = blob
    return out


def info_dict(info: ModelInfo) -> dict[str, Any]:
    """``infoget``'s dict: key, type, backend, device, tag, duration, samples, calls, errors."""
    return dataclasses.asdict(info)
