from __future__ import annotations

import ssl

import pytest
import redis
import redis.asyncio
from redis.driver_info import DriverInfo

from redisai_core import (
    ConfigError,
    ConnectionConfig,
    RetryConfig,
    TLSConfig,
    __version__,
    create_async_client,
    create_client,
    get_async_client,
    get_client,
)
from redisai_core.config import CertRequirement
from redisai_core.connection import lib_name


def _kwargs(client: redis.Redis | redis.asyncio.Redis) -> dict[str, object]:
    return dict(client.connection_pool.connection_kwargs)


def _announced(client: redis.Redis | redis.asyncio.Redis) -> str | None:
    kwargs = _kwargs(client)
    info = kwargs.get("driver_info")
    if info is not None:
        return info.formatted_name  # type: ignore[attr-defined,no-any-return]
    return kwargs.get("lib_name")  # type: ignore[return-value]


def test_timeouts_identity_and_acl_user_reach_the_pool() -> None:
    config = ConnectionConfig(
        url="redis://alice:pw@example.invalid:6380/2", socket_timeout=1.5, connect_timeout=0.5
    )
    kwargs = _kwargs(create_client(config, skin="langchain"))
    assert kwargs["host"] == "example.invalid" and kwargs["port"] == 6380 and kwargs["db"] == 2
    assert kwargs["username"] == "alice" and kwargs["password"] == "pw"
    assert kwargs["socket_timeout"] == 1.5 and kwargs["socket_connect_timeout"] == 0.5
    assert _announced(create_client(config, skin="langchain")) == lib_name("langchain")
    assert lib_name("langchain") == "redis-py(redisai-integrations-langchain_v" + __version__ + ")"


def test_explicit_credentials_override_the_url() -> None:
    config = ConnectionConfig(url="redis://a:b@h", username="svc", password="secret")
    kwargs = _kwargs(create_async_client(config))
    assert (kwargs["username"], kwargs["password"]) == ("svc", "secret")
    only_password = ConnectionConfig(url="redis://bob:old@h", password="n%ew")
    kwargs = _kwargs(create_client(only_password))
    assert (kwargs["username"], kwargs["password"]) == ("bob", "n%ew")


def test_tls_options() -> None:
    tls = TLSConfig(
        ca_certs="/ca.pem", certfile="/c.pem", keyfile="/k.pem",
        cert_reqs=CertRequirement.NONE, check_hostname=False,
    )  # fmt: skip
    client = create_client(ConnectionConfig(url="rediss://h:6390", tls=tls))
    kwargs = _kwargs(client)
    assert client.connection_pool.connection_class is redis.SSLConnection
    assert kwargs["ssl_ca_certs"] == "/ca.pem" and kwargs["ssl_keyfile"] == "/k.pem"
    assert kwargs["ssl_cert_reqs"] == ssl.CERT_NONE and kwargs["ssl_check_hostname"] is False


def test_unix_socket_url() -> None:
    client = create_client(ConnectionConfig(url="unix:///tmp/redis.sock?db=3"))
    assert client.connection_pool.connection_class is redis.UnixDomainSocketConnection
    assert _kwargs(client)["path"] == "/tmp/redis.sock"


@pytest.mark.parametrize("protocol", [2, 3])
def test_protocol_choice(protocol: int) -> None:
    client = create_client(ConnectionConfig(url="redis://h", protocol=protocol))
    assert _kwargs(client)["protocol"] == protocol


def test_retry_policy_is_attached() -> None:
    config = ConnectionConfig(url="redis://h", retry=RetryConfig(retries=5))
    client = create_client(config)
    retry = client.get_retry()
    assert retry is not None and retry.get_retries() == 5


def test_injected_clients_are_used_as_given() -> None:
    sync = redis.Redis()
    assert get_client(redis_client=sync, skin="llamaindex") is sync
    assert _announced(sync) == lib_name("llamaindex")
    custom = redis.Redis(driver_info=DriverInfo(name="mine"))
    get_client(redis_client=custom)
    assert _announced(custom) == "mine"
    asynchronous = redis.asyncio.Redis()
    assert get_async_client(redis_client=asynchronous) is asynchronous


def test_wrong_kind_of_injected_client() -> None:
    with pytest.raises(ConfigError, match="asyncio"):
        get_async_client(redis_client=redis.Redis())  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="synchronous"):
        get_client(redis_client=redis.asyncio.Redis())  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="not both"):
        get_client("redis://h", redis_client=redis.Redis())


def test_explicit_url_wins_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://from-env:1")
    assert _kwargs(get_client("redis://explicit:2"))["host"] == "explicit"
    assert _kwargs(get_client())["host"] == "from-env"
