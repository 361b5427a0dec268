"""Run a stored model on JSON-like arguments, one DAG round trip per call (agent tools' core).

Where inference runs follows the RedisAI client's executor: inside Redis with the RedisAI
module, otherwise in this process with ONNX Runtime on the model kept in Redis ("hosted").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

import redis.asyncio

from ..errors import ConfigError, ModelError, ModelExecutionError, RedisAIError
from ..model_signature import (
    ModelSignature,
    decode_outputs,
    encode_inputs,
    signature_from_onnx,
)
from .ai_client import AsyncRedisAIClient

__all__ = ["AsyncModelRunner"]


class AsyncModelRunner:
    """Runs the model stored at ``model_key`` and decodes its outputs to plain Python.

    Args:
        model_key: key of the stored model.
        signature: inputs (dtypes, shapes) and outputs; ``None`` reads them from the stored
            model's ONNX graph on first use. A given signature's input names are checked once
            against the stored model's (``AI.MODELGET META``) and put in its order.
        labels: class names for classifier outputs (see :func:`decode_outputs`).
        client: a RedisAI client to use (left open by :meth:`aclose`); otherwise one is made
            from ``redis_url`` / ``redis_client`` / ``executor`` / ``prefix``.

    Raises:
        ConfigError: bad connection arguments.
    """

    def __init__(
        self,
        model_key: str,
        signature: ModelSignature | None = None,
        *,
        labels: Sequence[str] | None = None,
        client: AsyncRedisAIClient | None = None,
        redis_url: str | None = None,
        redis_client: redis.asyncio.Redis | None = None,
        executor: str = "auto",
        prefix: str = "redisai",
    ) -> None:
        self.model_key = model_key
        self._signature = signature
        self._checked = False
        self._labels = list(labels) if labels else None
        self._owns_client = client is None
        self._client = client or AsyncRedisAIClient(
            redis_url, redis_client, executor=executor, prefix=prefix
        )

    @property
    def client(self) -> AsyncRedisAIClient:
        return self._client

    async def get_signature(self) -> ModelSignature:
        """The model's signature, checked against (or read from) the stored model once.

        Raises:
            KeyEmptyError: no model is stored at the key.
            ModelError: the given input names differ from the stored model's, or no
                signature was given and the model is not ONNX (or not readable as ONNX).
        """
        if self._checked and self._signature is not None:
            return self._signature
        if self._signature is None:
            meta = await self._client.modelget(self.model_key)
            if str(meta["backend"]).upper() != "ONNX":
                raise ModelError(
                    f"model {self.model_key!r} is {meta['backend']}: give its input_spec"
                )
            signature = signature_from_onnx(meta["blob"])
        else:
            meta = await self._client.modelget(self.model_key, meta_only=True)
            signature = _align(self._signature, meta, self.model_key)
        self._signature, self._checked = signature, True
        return signature

    async def run(self, args: Mapping[str, Any]) -> dict[str, Any]:
        """Run the model once: inputs set, model executed and outputs read in one DAG.

        Returns:
            ``{output name: value}`` with plain Python values (labels applied if given).

        Raises:
            TensorError: arguments that do not fit the model's inputs.
            ModelExecutionError: the backend failed, or the run timed out.
            RedisAIError: any other RedisAI failure, with RedisAI's message.
        """
        signature = await self.get_signature()
        arrays, squeeze = encode_inputs(signature, args)
        # DAG-local names: never written to the keyspace (no LOAD/PERSIST), so concurrent
        # runs cannot collide.
        ins = [f"in{i}" for i in range(len(arrays))]
        outs = [f"out{i}" for i in range(len(signature.outputs))]
        dag = self._client.dag(routing=self.model_key)
        for name, array in zip(ins, arrays, strict=True):
            dag.tensorset(name, array)
        dag.modelexecute(self.model_key, ins, outs)
        for name in outs:
            dag.tensorget(name)
        results = await dag.execute()
        if isinstance(results, str):
            raise ModelExecutionError(f"model {self.model_key!r} run {results}")
        for result in results:
            if isinstance(result, RedisAIError):
                raise result
        tensors = results[len(ins) + 1 :]
        return decode_outputs(signature.outputs, tensors, labels=self._labels, squeeze=squeeze)

    async def aclose(self) -> None:
        """Close the RedisAI client if this runner made it."""
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> AsyncModelRunner:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def _align(given: ModelSignature, meta: Mapping[str, Any], key: str) -> ModelSignature:
    """Put the given inputs in the stored model's order; take its output names if missing."""
    stored_inputs = [str(n) for n in meta.get("inputs") or ()]
    stored_outputs = tuple(str(n) for n in meta.get("outputs") or ())
    inputs = given.inputs
    if stored_inputs:
        names = {spec.name for spec in given.inputs}
        if names != set(stored_inputs):
            raise ModelError(
                f"model {key!r} takes inputs {stored_inputs}, the tool's spec names {sorted(names)}"
            )
        inputs = tuple(given.input(name) for name in stored_inputs)
    outputs = given.outputs or stored_outputs
    if not outputs:
        raise ConfigError(f"model {key!r} reports no output names: give them to the tool")
    return ModelSignature(inputs, outputs)
