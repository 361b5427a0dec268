from __future__ import annotations

import dataclasses

import pytest

from redisai_core import ConfigError, ConnectionConfig, RetryConfig, TLSConfig
from redisai_core.config import env_redis_url


def test_configs_are_frozen_and_keyword_only() -> None:
    config = ConnectionConfig(url="redis://localhost:6379")
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.url = "redis://other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        ConnectionConfig("redis://localhost")  # type: ignore[misc]
    assert config == ConnectionConfig(url="redis://localhost:6379")


@pytest.mark.parametrize("url", ["redis://h", "rediss://h:1", "unix:///tmp/r.sock", "REDIS://h"])
def test_supported_schemes(url: str) -> None:
    assert ConnectionConfig(url=url).url == url


@pytest.mark.parametrize("url", ["http://h", "h:6379", "", "redis+sentinel://h"])
def test_unsupported_urls(url: str) -> None:
    with pytest.raises(ConfigError, match="unsupported Redis URL"):
        ConnectionConfig(url=url)


def test_tls_needs_rediss() -> None:
    with pytest.raises(ConfigError, match="rediss"):
        ConnectionConfig(url="redis://h", tls=TLSConfig())
    assert ConnectionConfig(url="rediss://h", tls=TLSConfig(ca_certs="ca.pem")).tls is not None


@pytest.mark.parametrize(
    "kwargs",
    [{"protocol": 4}, {"socket_timeout": 0}, {"connect_timeout": -1.0}],
)
def test_bad_values(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        ConnectionConfig(url="redis://h", **kwargs)  # type: ignore[arg-type]


def test_repr_hides_passwords() -> None:
    config = ConnectionConfig(url="redis://user:s3cret@h:6379/0", password="hunter2")
    text = repr(config)
    assert "s3cret" not in text and "hunter2" not in text
    assert "user:***@h:6379" in text


def test_retry_waits_are_exponential_and_capped() -> None:
    assert RetryConfig(retries=4, backoff_base=0.1, backoff_cap=0.5).waits() == [
        0.2,
        0.4,
        0.5,
        0.5,
    ]
    assert RetryConfig(retries=0).waits() == []
    with pytest.raises(ConfigError):
        RetryConfig(retries=-1)


def test_env_redis_url() -> None:
    assert env_redis_url({"REDIS_URL": " redis://x:1 "}) == "redis://x:1"
    assert env_redis_url({"REDIS_URL": ""}) is None
    assert env_redis_url({}) is None
