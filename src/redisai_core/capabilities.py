"""What the server can do: its version and modules, parsed from ``HELLO`` (or ``INFO``).

Parsing is pure and handles RESP2 (flat name/value arrays) and RESP3 (maps) alike; the probe
that sends the commands lives in ``_async/probe.py`` (and its generated sync twin).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from .errors import ModuleMissingError

__all__ = ["Capabilities", "parse_hello", "parse_info_and_modules"]

_SEARCH_NAMES = ("search", "searchlight", "ft")
_JSON_NAMES = ("rejson", "json", "redisjson")
_AI_NAMES = ("ai", "ai-light")

_HINTS = {
    "search": (
        "Use Redis 8 (query engine built in) or Redis Stack, or the embedded server "
        '(pip install "redisai-integrations[server]" and leave REDIS_URL unset).'
    ),
    "json": "Use Redis 8 or Redis Stack, or the embedded server.",
    "ai": (
        "RedisAI is end-of-life and ships with no current Redis; use executor='hosted' "
        "(ONNX Runtime next to the caller, models and tensors kept in Redis)."
    ),
    "vectorset": "Vector sets are built into Redis 8 and later.",
}


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _as_map(entry: Any) -> dict[str, Any]:
    """A RESP3 map or a RESP2 flat ``[name, value, ...]`` array as a ``str``-keyed dict."""
    if isinstance(entry, Mapping):
        return {_text(k): v for k, v in entry.items()}
    items = list(entry)
    return {_text(items[i]): items[i + 1] for i in range(0, len(items) - 1, 2)}


def _version_tuple(text: str) -> tuple[int, int, int]:
    parts = [int(p) if p.isdigit() else 0 for p in text.split(".")[:3]]
    major, minor, patch = [*parts, 0, 0, 0][:3]
    return major, minor, patch


@dataclasses.dataclass(frozen=True)
class Capabilities:
    """Server version and loaded modules (lower-cased name to the module's version number)."""

    redis_version: tuple[int, int, int]
    modules: Mapping[str, int]

    def _module(self, names: Sequence[str]) -> int | None:
        for name in names:
            if name in self.modules:
                return self.modules[name]
        return None

    @property
    def search_version(self) -> int | None:
        """Version of the query engine (``search`` module), e.g. ``21005``; None without it."""
        return self._module(_SEARCH_NAMES)

    @property
    def json_version(self) -> int | None:
        return self._module(_JSON_NAMES)

    @property
    def ai_version(self) -> int | None:
        """Version of the RedisAI module (``ai``), e.g. ``10207``; None without it."""
        return self._module(_AI_NAMES)

    @property
    def has_search(self) -> bool:
        return self.search_version is not None

    @property
    def has_json(self) -> bool:
        return self.json_version is not None

    @property
    def has_ai(self) -> bool:
        return self.ai_version is not None

    @property
    def has_vector_sets(self) -> bool:
        """Redis 8 and later have vector sets (VADD/VSIM) built in."""
        return "vectorset" in self.modules or self.redis_version >= (8, 0, 0)

    def require(self, module: str, feature: str) -> None:
        """Fail early when ``feature`` needs ``module`` (``search``, ``json``, ``ai``, ``vectorset``).

        Raises:
            ModuleMissingError: naming the module and how to get it.
        """
        present = {
            "search": self.has_search,
            "json": self.has_json,
            "ai": self.has_ai,
            "vectorset": self.has_vector_sets,
        }
        if module not in present:
            raise ValueError(f"unknown module {module!r}")
        if not present[module]:
            raise ModuleMissingError(feature, module, _HINTS[module])


def _modules_from(entries: Sequence[Any]) -> dict[str, int]:
    modules: dict[str, int] = {}
    for entry in entries:
        fields = _as_map(entry)
        modules[_text(fields["name"]).lower()] = int(fields.get("ver", 0))
    return modules


def parse_hello(reply: Any) -> Capabilities:
    """Parse a ``HELLO`` reply (RESP2 array or RESP3 map)."""
    fields = _as_map(reply)
    return Capabilities(
        redis_version=_version_tuple(_text(fields["version"])),
        modules=_modules_from(fields.get("modules") or []),
    )


def parse_info_and_modules(info: Mapping[str, Any], module_list: Sequence[Any]) -> Capabilities:
    """Parse ``INFO server`` (as redis-py returns it) and a ``MODULE LIST`` reply."""
    return Capabilities(
        redis_version=_version_tuple(_text(info.get("redis_version", "0.0.0"))),
        modules=_modules_from(module_list),
    )
