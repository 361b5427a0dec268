"""The argument schema of a model tool, built from the model's signature (pydantic only)."""

from __future__ import annotations

import re
from typing import Any, Union

from pydantic import BaseModel, Field, create_model

from redisai_core import ConfigError, ModelSignature, TensorSpec

__all__ = ["args_model"]

_SCALAR: dict[str, type] = {"BOOL": bool, "FLOAT": float, "DOUBLE": float}


def _nested(base: type, rank: int) -> Any:
    annotation: Any = base
    for _ in range(rank):
        annotation = list[annotation]
    return annotation


def _annotation(spec: TensorSpec) -> Any:
    base = _SCALAR.get(spec.dtype, int)
    full = _nested(base, len(spec.shape))
    if spec.batched:
        # One sample (no batch dimension) or a batch: agents mostly ask about one thing.
        return Union[_nested(base, len(spec.shape) - 1), full]  # noqa: UP007 - built at run time
    return full


def _field_name(name: str) -> str:
    # Tool argument names must be identifiers; ONNX names may hold ':' '/' '.' and more.
    field = re.sub(r"\W", "_", name)
    if not field or field[0].isdigit() or field.startswith("_"):
        field = f"input_{field}"
    return field


def args_model(model_key: str, signature: ModelSignature) -> tuple[type[BaseModel], dict[str, str]]:
    """A pydantic model with one field per input, and the map from field to input name.

    Raises:
        ConfigError: two input names map to the same argument name.
    """
    fields: dict[str, Any] = {}
    names: dict[str, str] = {}
    for spec in signature.inputs:
        field = _field_name(spec.name)
        if field in names:
            raise ConfigError(f"inputs {names[field]!r} and {spec.name!r} share argument {field!r}")
        names[field] = spec.name
        fields[field] = (_annotation(spec), Field(description=spec.describe()))
    title = "".join(part.capitalize() for part in re.split(r"\W+|_", model_key) if part)
    model: type[BaseModel] = create_model(f"{title or 'Model'}Input", **fields)
    return model, names
