"""ONNX Runtime sessions for the hosted executor, and tensor <-> numpy conversion.

Session options keep inference cheap for the small models this executor mostly serves:
``intra_op_num_threads=1`` and ``inter_op_num_threads=1`` with sequential execution, because
on a tiny graph ORT's thread pool costs more in wake-ups and spinning than it saves, and it
would compete with the callers and Redis for the few cores (RedisAI's own benchmark docs
recommend 1/1 per shard). Throughput comes from auto-batching instead. Graph optimisation is
``ORT_ENABLE_BASIC``, as RedisAI sets it.

Models of 1 MiB and more (an embedding model, say) are the exception: one batch of them is
milliseconds of arithmetic, which ORT's intra-op pool splits across the cores (RedisAI's own
default, ``INTRA_OP_PARALLELISM 0``, leaves that pool at ORT's default too), with full graph
optimisation. Measured on MiniLM at batch 32: one thread gave 0.7x the in-process throughput.
"""

from __future__ import annotations

import concurrent.futures
import re
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from ...errors import ModelError, ModelExecutionError
from .. import _errors as msg
from .._types import Tensor

# From this blob size on, a session uses every core and full graph optimisation.
LARGE_MODEL_BYTES = 1 << 20

__all__ = [
    "LARGE_MODEL_BYTES",
    "ModelRunner",
    "background_pool",
    "create_runner",
    "from_numpy",
    "to_numpy",
    "validate_device",
]

_NUMPY: dict[str, np.dtype[Any]] = {
    "FLOAT": np.dtype(np.float32),
    "DOUBLE": np.dtype(np.float64),
    "INT8": np.dtype(np.int8),
    "INT16": np.dtype(np.int16),
    "INT32": np.dtype(np.int32),
    "INT64": np.dtype(np.int64),
    "UINT8": np.dtype(np.uint8),
    "UINT16": np.dtype(np.uint16),
    "BOOL": np.dtype(np.bool_),
}
_WIRE: dict[np.dtype[Any], str] = {dt: name for name, dt in _NUMPY.items()}
# The prefix Python's ORT binding adds; RedisAI replies with ORT's bare message text.
_ORT_PREFIX = re.compile(r"^\[ONNXRuntimeError\] : \d+ : \w+ : ")
_DEVICE = re.compile(r"^(CPU|GPU)(:\d+)?$", re.IGNORECASE)

_pool: concurrent.futures.ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def background_pool() -> concurrent.futures.ThreadPoolExecutor:
    """Threads for session creation, so asyncio callers never block their loop on it."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = concurrent.futures.ThreadPoolExecutor(2, thread_name_prefix="redisai-load")
        return _pool


def ort_message(exc: BaseException) -> str:
    """ORT's own text of an error, as RedisAI would reply it."""
    return _ORT_PREFIX.sub("", str(exc)).strip()


def to_numpy(tensor: Tensor) -> np.ndarray[Any, Any]:
    """A (read-only, zero-copy where possible) array of a tensor."""
    if tensor.array is not None and tensor.dtype != "STRING":
        array: np.ndarray[Any, Any] = tensor.array
        return array
    if tensor.dtype == "STRING":
        items = [s.decode("utf-8") for s in tensor.blob.split(b"\0")[:-1]]
        return np.array(items, dtype=object).reshape(tensor.shape)
    return np.frombuffer(tensor.blob, dtype=_NUMPY[tensor.dtype]).reshape(tensor.shape)


def from_numpy(array: np.ndarray[Any, Any]) -> Tensor:
    """The tensor of a model output.

    Raises:
        ModelExecutionError: the output's element type is none of the ten wire dtypes.
    """
    if array.dtype.kind in "OUS":
        flat = [str(x) for x in array.reshape(-1)]
        return Tensor("STRING", tuple(array.shape), "".join(s + "\0" for s in flat).encode())
    wire = _WIRE.get(array.dtype)
    if wire is None:
        raise ModelExecutionError(f"ERR unsupported dtype: model output of type {array.dtype}")
    # ORT returns native-order arrays; the wire is little-endian, as is every host ORT ships for.
    # ORT hands over fresh arrays (batched requests get views of one); frozen, they can travel
    # with the tensor, so returning it as numpy costs nothing.
    contiguous = np.ascontiguousarray(array)
    contiguous.setflags(write=False)  # (much cheaper than assigning flags.writeable)
    shape: tuple[int, ...] = array.shape  # not contiguous.shape: ascontiguousarray makes 0-d 1-d
    frozen = contiguous if contiguous.ndim == array.ndim else contiguous.reshape(shape)
    return Tensor(wire, shape, contiguous.tobytes(), frozen)


def _providers(device: str) -> list[Any]:
    import onnxruntime as ort

    kind, _, index = device.upper().partition(":")
    if kind == "CPU":
        return ["CPUExecutionProvider"]
    if "CUDAExecutionProvider" not in ort.get_available_providers():
        raise ModelError(msg.GPU_WITHOUT_CUDA)
    return [("CUDAExecutionProvider", {"device_id": int(index or 0)}), "CPUExecutionProvider"]


class ModelRunner:
    """One ORT session with positional binding: input i -> session input i, output likewise.

    ``InferenceSession.run`` is thread-safe and releases the GIL, so one runner serves every
    caller of a model version.
    """

    def __init__(self, session: Any) -> None:
        self._session = session
        self.inputs: tuple[str, ...] = tuple(i.name for i in session.get_inputs())
        self.outputs: tuple[str, ...] = tuple(o.name for o in session.get_outputs())
        self._output_names = list(self.outputs)
        # InferenceSession.run re-checks on every call what positional binding already ensures
        # (every input fed; no WebGPU graph capture) and wraps a CUDA fallback. CPU-only
        # sessions call the binding's run directly, about 5 us less per run.
        core = getattr(session, "_sess", None)
        cpu_only = session.get_providers() == ["CPUExecutionProvider"]
        self._direct: Any = core.run if core is not None and cpu_only else None

    def __call__(self, inputs: Sequence[np.ndarray[Any, Any]]) -> list[np.ndarray[Any, Any] | None]:
        """Run once. Non-tensor outputs (maps, sequences) come back as ``None``, as RedisAI
        skips them and leaves their output key unset.

        Raises:
            ModelExecutionError: ORT failed; the message is ORT's own text.
        """
        feeds = dict(zip(self.inputs, inputs, strict=True))
        try:
            if self._direct is not None:
                results = self._direct(self._output_names, feeds, None)
            else:
                results = self._session.run(None, feeds)
        except Exception as exc:  # ORT raises its own exception types plus ValueError/TypeError
            raise ModelExecutionError(ort_message(exc)) from exc
        return [r if isinstance(r, np.ndarray) else None for r in results]


def validate_device(device: str) -> None:
    """RedisAI's device rule: CPU, GPU, CPU:<n> or GPU:<n>, shorter than 10 characters.

    Raises:
        ModelError: ``ERR Invalid DEVICE``.
    """
    if len(device) >= 10 or not _DEVICE.match(device):
        raise ModelError(msg.INVALID_DEVICE)


def create_runner(blob: bytes, device: str) -> ModelRunner:
    """Build and validate an ONNX session from a model blob.

    Raises:
        ModelError: a corrupt or unloadable blob (ORT's message), or GPU without CUDA.
    """
    import onnxruntime as ort

    providers = _providers(device)
    options = ort.SessionOptions()
    large = len(blob) >= LARGE_MODEL_BYTES
    options.intra_op_num_threads = 0 if large else 1  # 0: ORT's default, one per core
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = (
        ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if large
        else ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    )
    # Fatal only: run-time failures reach the caller as ModelExecutionError; ORT would also
    # print them to the host application's stderr.
    options.log_severity_level = 4
    try:
        session = ort.InferenceSession(blob, sess_options=options, providers=providers)
    except Exception as exc:
        raise ModelError(ort_message(exc)) from exc
    return ModelRunner(session)
