"""``RedisAIModelTool``: a LangChain tool that runs a model stored in Redis."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import redis
import redis.asyncio
from langchain_core.tools import BaseTool, ToolException
from pydantic import BaseModel, ConfigDict, PrivateAttr

from redisai_core import (
    AsyncModelRunner,
    ConfigError,
    DualCore,
    ModelRunner,
    ModelSignature,
    RedisAICoreError,
)
from redisai_core.model_signature import (
    describe_signature,
    signature_from_onnx,
    signature_from_spec,
)

from ._tool_schema import args_model

__all__ = ["RedisAIModelTool"]

InputSpec = Mapping[str, tuple[str, Sequence[int | None]]]


class RedisAIModelTool(BaseTool):
    """Runs a model stored in Redis on structured input; one DAG round trip per call.

    The argument schema is derived from the model's inputs: names, dtypes and shapes from the
    ONNX graph (``model`` bytes, or the stored model read once at construction) or from
    ``input_spec={"x": ("FLOAT", [None, 4])}``; or pass your own ``args_schema`` whose field
    names are the model's input names. A free first dimension is a batch dimension: one
    sample (one rank less) may be given, and its result comes back without the batch
    dimension. Outputs are plain Python lists and numbers, keyed by output name; with
    ``labels``, integer outputs become label names and per-class score outputs become
    ``{"label": ..., "scores": {...}}``.

    Where inference runs follows the executor: inside Redis with the RedisAI module, else in
    this process with ONNX Runtime on the model kept in Redis ("hosted").

    Failures (missing model, wrong input, backend error) raise ``ToolException`` with the
    reason; set ``handle_tool_error=True`` to return the reason to the agent instead.

    Args:
        model_key: key of the stored model.
        model: the model's ONNX bytes, to read its signature without a round trip.
        input_spec: ``{input name: (dtype, shape)}``, ``None`` for a free dimension.
        output_names: output names, when ``input_spec`` is given (else read from Redis).
        args_schema: a pydantic model to present instead of the derived one.
        labels: class names for classifier outputs.
        redis_url / redis_client / executor / prefix: as for ``RedisAIClient``.
        name / description: override the defaults.

    Raises:
        ConfigError: conflicting or bad arguments.
        ModelError: (with neither ``model``, ``input_spec`` nor ``args_schema``) the stored
            model cannot be read as ONNX.
        KeyEmptyError: (likewise) nothing is stored at ``model_key``.
    """

    name: str = "redisai_model"
    description: str = "Runs a model stored in Redis."
    model_key: str
    labels: list[str] | None = None

    model_config = ConfigDict(arbitrary_types_allowed=True)

    _core: DualCore[ModelRunner, AsyncModelRunner] = PrivateAttr()
    _fields: dict[str, str] = PrivateAttr()

    def __init__(
        self,
        model_key: str,
        *,
        model: bytes | None = None,
        input_spec: InputSpec | None = None,
        output_names: Sequence[str] = (),
        args_schema: type[BaseModel] | None = None,
        labels: Sequence[str] | None = None,
        redis_url: str | None = None,
        redis_client: redis.Redis | redis.asyncio.Redis | None = None,
        executor: str = "auto",
        prefix: str = "redisai",
        name: str | None = None,
        description: str | None = None,
        **kwargs: Any,
    ) -> None:
        if model is not None and input_spec is not None:
            raise ConfigError("pass model bytes or input_spec, not both")
        signature: ModelSignature | None = None
        if model is not None:
            signature = signature_from_onnx(model)
        elif input_spec is not None:
            signature = signature_from_spec(input_spec, output_names)
        label_list = list(labels) if labels else None
        options: dict[str, Any] = {"labels": label_list, "executor": executor, "prefix": prefix}
        core: DualCore[ModelRunner, AsyncModelRunner] = DualCore(
            lambda url, client: ModelRunner(
                model_key, signature, redis_url=url, redis_client=client, **options
            ),
            lambda url, client: AsyncModelRunner(
                model_key, signature, redis_url=url, redis_client=client, **options
            ),
            redis_url,
            redis_client,
        )
        if signature is None and args_schema is None:
            # Nothing describes the inputs: read them from the stored model's ONNX graph.
            signature = core.sync.get_signature()
        if args_schema is None:
            assert signature is not None  # set above in every branch without a schema
            args_schema, fields = args_model(model_key, signature)
        else:
            fields = {field: field for field in args_schema.model_fields}
        super().__init__(
            model_key=model_key,
            labels=label_list,
            args_schema=args_schema,
            name=name or "redisai_model",
            description=description or describe_signature(model_key, signature, label_list),
            **kwargs,
        )
        self._core = core
        self._fields = fields

    def _inputs(self, kwargs: Mapping[str, Any]) -> dict[str, Any]:
        return {self._fields.get(field, field): value for field, value in kwargs.items()}

    def _run(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        try:
            return self._core.sync.run(self._inputs(kwargs))
        except RedisAICoreError as exc:
            raise ToolException(f"{type(exc).__name__}: {exc}") from exc

    async def _arun(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        inputs = self._inputs(kwargs)
        try:
            return await self._core.run(lambda r: r.run(inputs), lambda r: r.run(inputs))
        except RedisAICoreError as exc:
            raise ToolException(f"{type(exc).__name__}: {exc}") from exc

    def close(self) -> None:
        """Close the connections this tool opened (an injected client is left open)."""
        self._core.close()

    async def aclose(self) -> None:
        await self._core.aclose()
