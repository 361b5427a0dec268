"""Which chat model answers in the quickstart: the extractive stand-in, or one named by the user.

``REDISAI_QUICKSTART_CHAT_MODEL=package.module:ClassName`` (for example
``langchain_openai:ChatOpenAI``) selects any importable LangChain chat model. It is constructed
with no arguments besides ``cache=``, so it is configured the way that class reads its own
settings (typically environment variables such as ``OPENAI_API_KEY``).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping

from langchain_core.caches import BaseCache
from langchain_core.language_models import BaseChatModel

from redisai_core import ConfigError

from ._answerer import ExtractiveAnswerer

__all__ = ["ENV_CHAT_MODEL", "chat_model_from_env", "describe_model"]

ENV_CHAT_MODEL = "REDISAI_QUICKSTART_CHAT_MODEL"


def _load_class(spec: str) -> type[BaseChatModel]:
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise ConfigError(
            f"{ENV_CHAT_MODEL} must look like 'package.module:ClassName', got {spec!r}"
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"{ENV_CHAT_MODEL}: cannot import {module_name!r}: {exc}") from exc
    target: object = module
    for part in attr.split("."):
        try:
            target = getattr(target, part)
        except AttributeError as exc:
            raise ConfigError(f"{ENV_CHAT_MODEL}: {module_name!r} has no {attr!r}") from exc
    if not (isinstance(target, type) and issubclass(target, BaseChatModel)):
        raise ConfigError(f"{ENV_CHAT_MODEL}: {spec!r} is not a LangChain chat model class")
    return target


def chat_model_from_env(environ: Mapping[str, str], cache: BaseCache | None) -> BaseChatModel:
    """The chat model named by ``REDISAI_QUICKSTART_CHAT_MODEL``, else the extractive stand-in.

    Args:
        environ: the environment to read.
        cache: the LLM cache the model uses (``cache=``).

    Raises:
        ConfigError: the variable is set but names no importable chat model class, or the
            class cannot be constructed without arguments.
    """
    spec = environ.get(ENV_CHAT_MODEL, "").strip()
    if not spec:
        return ExtractiveAnswerer(cache=cache)
    model_class = _load_class(spec)
    try:
        return model_class(cache=cache)
    except Exception as exc:  # any constructor failure: missing settings, validation, ...
        raise ConfigError(f"{ENV_CHAT_MODEL}: cannot construct {spec!r}: {exc}") from exc


def describe_model(model: BaseChatModel) -> str:
    """How the quickstart names the answering step in its output."""
    if isinstance(model, ExtractiveAnswerer):
        return "extractive stand-in (best retrieved passage, trimmed; not a language model)"
    return f"chat model {type(model).__module__}.{type(model).__qualname__}"
