"""RedisAI error wording (PROTOCOL.md §1.14) and the one table that classifies it.

Both executors raise the same classes with the same text: the module executor classifies the
server's reply with :func:`classify`; the hosted executor raises with the constants below.
Messages keep their exact wire text, including whether they carry the ``ERR`` prefix.
"""

from __future__ import annotations

from ..errors import (
    DagError,
    KeyEmptyError,
    ModelError,
    ModelExecutionError,
    RedisAIError,
    TensorError,
    UnsupportedBackendError,
    WrongTypeError,
)

# Keyspace / type
TENSOR_KEY_EMPTY = "ERR tensor key is empty or in a different shard"
MODEL_KEY_EMPTY = "ERR model key is empty"
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NO_RUN_INFO = "ERR cannot find run info for key"
# Tensor
INVALID_DTYPE = "ERR invalid data type"
INVALID_SHAPE = "ERR invalid or negative value found in tensor shape"
INVALID_VALUE = "ERR invalid value"
NUL_IN_STRING = "ERR C-string value contains null character"
WRONG_VALUE_COUNT = "ERR wrong number of values was given in 'AI.TENSORSET' command"
BLOB_LENGTH = "ERR data length does not match tensor shape and type"
STRING_COUNT = "ERR Number of string elements in data blob does not match tensor length"
BOOL_VALUES = "ERR BOOL tensor elements must be 0 or 1"
# Model store
UNSUPPORTED_BACKEND = "ERR unsupported backend"
INVALID_DEVICE = "ERR Invalid DEVICE"
BATCHSIZE_ARG = "ERR Invalid argument for BATCHSIZE"
MINBATCHSIZE_ARG = "ERR Invalid argument for MINBATCHSIZE"
MINBATCHTIMEOUT_ARG = "ERR Invalid argument for MINBATCHTIMEOUT"
MINBATCH_WITHOUT_BATCH = "ERR MINBATCHSIZE specified without BATCHSIZE"
MINBATCHTIMEOUT_WITHOUT_MINBATCH = "ERR MINBATCHTIMEOUT specified without MINBATCHSIZE"
INPUTS_NOT_FOR_BACKEND = "ERR INPUTS argument should not be specified for this backend"
MISSING_BLOB = "ERR Insufficient arguments, missing model BLOB"
TF_INPUTS_MISSING = "ERR INPUTS not specified for TF"
TF_OUTPUTS_MISSING = "ERR OUTPUTS not specified for TF"
INPUT_COUNT_ARG = "ERR Invalid argument for input_count"
OUTPUT_COUNT_ARG = "ERR Invalid argument for output_count"
EXPECTED_BLOB = "ERR Invalid argument, expected BLOB"
GPU_WITHOUT_CUDA = "ERR GPU requested but ONNX couldn't find CUDA"
# Model execute (note: two messages carry no ERR prefix on the wire)
INPUT_COUNT_MISMATCH = "Number of keys given as INPUTS here does not match model definition"
OUTPUT_COUNT_MISMATCH = "Number of keys given as OUTPUTS here does not match model definition"
INVALID_TIMEOUT = "ERR Invalid value for TIMEOUT"
NO_TIMEOUT_VALUE = "ERR No value provided for TIMEOUT"
BATCH_SIZE_MISMATCH = "ERR Model did not generate the expected batch size"
# DAG
DAG_NEEDS_SCOPE = (
    "ERR AI.DAGEXECUTE and AI.DAGEXECUTE_RO commands must contain at least one out of "
    "ROUTING, LOAD, PERSIST keywords"
)
DAG_EMPTY = "ERR DAG is empty"
DAG_INPUT_NOT_FOUND = "ERR INPUT key cannot be found in DAG"
DAG_PERSIST_NOT_FOUND = "ERR PERSIST key cannot be found in DAG"
DAG_PERSIST_UNIQUE = "ERR PERSIST keys must be unique"
DAG_PERSIST_READONLY = "ERR PERSIST cannot be specified in a read-only DAG"
DAG_UNSUPPORTED_OP = "Unsupported command within DAG"
# Hosted executor: RedisAI's "backend not loaded" wording, with the reason it cannot be.
HOSTED_BACKEND_UNSUPPORTED = (
    "ERR Backend not loaded: {backend} (the hosted executor runs ONNX models only; "
    "TF, TFLITE and TORCH models need a Redis server with the RedisAI module)"
)

# Prefix/fragment -> class. First match wins; checked against the message as received.
_TABLE: tuple[tuple[str, type[RedisAIError]], ...] = (
    ("WRONGTYPE", WrongTypeError),
    (TENSOR_KEY_EMPTY, KeyEmptyError),
    (MODEL_KEY_EMPTY, KeyEmptyError),
    ("ERR script key is empty", KeyEmptyError),
    (NO_RUN_INFO, KeyEmptyError),
    (UNSUPPORTED_BACKEND, UnsupportedBackendError),
    ("ERR Unsupported backend", UnsupportedBackendError),
    ("ERR Backend not loaded", UnsupportedBackendError),
    ("ERR Could not load backend", UnsupportedBackendError),
    (INVALID_DTYPE, TensorError),
    (INVALID_SHAPE, TensorError),
    (INVALID_VALUE, TensorError),
    (NUL_IN_STRING, TensorError),
    (WRONG_VALUE_COUNT, TensorError),
    ("ERR a single binary string should come after the BLOB", TensorError),
    (BLOB_LENGTH, TensorError),
    (STRING_COUNT, TensorError),
    (BOOL_VALUES, TensorError),
    ("ERR unsupported data format", TensorError),
    ("ERR both BLOB and VALUES specified", TensorError),
    ("ERR cannot specify values for this data type", TensorError),
    ("ERR cannot get values for this data type", TensorError),
    ("ERR unsupported dtype", TensorError),
    (INVALID_DEVICE, ModelError),
    ("ERR Invalid argument for", ModelError),
    ("ERR MINBATCH", ModelError),
    ("ERR INPUTS", ModelError),
    ("ERR OUTPUTS", ModelError),
    ("ERR Insufficient arguments", ModelError),
    ("ERR Invalid argument, expected BLOB", ModelError),
    ("ERR number of model", ModelError),
    (GPU_WITHOUT_CUDA, ModelError),
    # Argument errors of AI.MODELEXECUTE (inside a DAG the module executor reports them as
    # DagError, since the whole DAG was refused).
    (INVALID_TIMEOUT, ModelError),
    (NO_TIMEOUT_VALUE, ModelError),
    ("Invalid argument: ", ModelError),
    ("ERR Input count must be", ModelError),
    ("ERR Output count must be", ModelError),
    ("ERR number of input keys to", ModelError),
    ("ERR number of output keys to", ModelError),
    ("ERR DAG is empty", DagError),
    ("ERR AI.DAGEXECUTE", DagError),
    ("ERR Invalid DAG command", DagError),
    ("ERR missing arguments", DagError),
    ("ERR number of keys to", DagError),
    ("ERR invalid or negative value found in number of keys", DagError),
    ("ERR PERSIST", DagError),
    ("ERR INPUT key cannot be found in DAG", DagError),
    ("ERR TIMEOUT not allowed within a DAG", DagError),
    ("ERR Missing ROUTING value", DagError),
    ("Unsupported command within DAG", DagError),
    ("Deprecated AI.", DagError),
)


def classify(message: str) -> RedisAIError:
    """The error for a RedisAI reply text; anything unrecognised is a model execution error.

    Unrecognised texts are, per PROTOCOL.md §1.7, backend (ORT/TF/Torch) messages or
    execution errors such as a batch-size mismatch.
    """
    for fragment, cls in _TABLE:
        if message.startswith(fragment):
            return cls(message)
    return ModelExecutionError(message)
