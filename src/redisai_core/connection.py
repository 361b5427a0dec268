"""The one connection factory: sync and asyncio redis-py clients from a URL or an injected client.

Clients built here carry the configured timeouts, retry with exponential backoff on connection
errors and timeouts (redis-py's own ``Retry``), and identify themselves to the server with
``CLIENT SETINFO LIB-NAME`` (redis-py sends it on every new connection and ignores servers
older than 7.2, which lack the command). Injected clients are used as they are, apart from the
library name their pool announces on new connections.
"""

from __future__ import annotations

import ssl
import urllib.parse
from typing import Any, cast

import redis
import redis.asyncio
import redis.asyncio.retry
import redis.retry
from redis.backoff import ExponentialBackoff

try:
    from redis.driver_info import DriverInfo as _DriverInfo
except ImportError:  # redis-py < 7.1
    _DriverInfo = None  # type: ignore[assignment,misc]

from . import __about__
from ._cluster_support import is_cluster
from .config import CertRequirement, ConnectionConfig, RetryConfig
from .errors import ConfigError, map_redis_errors

__all__ = [
    "adopt_client",
    "create_async_client",
    "create_client",
    "get_async_client",
    "get_client",
    "lib_name",
]

_CERT_REQS = {
    CertRequirement.REQUIRED: ssl.CERT_REQUIRED,
    CertRequirement.OPTIONAL: ssl.CERT_OPTIONAL,
    CertRequirement.NONE: ssl.CERT_NONE,
}

# Errors on which a command is retried. Response errors are never retried.
_RETRY_ON = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


def _driver_entry(skin: str | None) -> tuple[str, str]:
    name = "redisai-integrations" + (f"-{skin}" if skin else "")
    return name, __about__.__version__


def lib_name(skin: str | None = None) -> str:
    """The library name announced with ``CLIENT SETINFO LIB-NAME``.

    Args:
        skin: the framework skin using the client, e.g. ``"langchain"``.
    """
    name, version = _driver_entry(skin)
    return f"redis-py({name}_v{version})"


def _identity_kwargs(skin: str | None) -> dict[str, Any]:
    # redis-py 7.1+ takes a DriverInfo and deprecates lib_name/lib_version; older ones
    # (down to 5.0) only know lib_name/lib_version.
    if _DriverInfo is not None:
        return {"driver_info": _DriverInfo().add_upstream_driver(*_driver_entry(skin))}
    return {"lib_name": lib_name(skin), "lib_version": redis.__version__}


def _backoff(retry: RetryConfig) -> ExponentialBackoff:
    return ExponentialBackoff(cap=retry.backoff_cap, base=retry.backoff_base)


def _client_kwargs(config: ConnectionConfig, skin: str | None) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "socket_timeout": config.socket_timeout,
        "socket_connect_timeout": config.connect_timeout,
        **_identity_kwargs(skin),
    }
    if config.username is not None or config.password is not None:
        # The URL's credentials are dropped by _url_for; keep the half not overridden.
        parts = urllib.parse.urlsplit(config.url)
        url_user = urllib.parse.unquote(parts.username) if parts.username else None
        url_password = urllib.parse.unquote(parts.password) if parts.password else None
        kwargs["username"] = config.username if config.username is not None else url_user
        kwargs["password"] = config.password if config.password is not None else url_password
    if config.protocol is not None:
        kwargs["protocol"] = config.protocol
    if config.max_connections is not None:
        kwargs["max_connections"] = config.max_connections
    if config.tls is not None:
        kwargs.update(
            ssl_ca_certs=config.tls.ca_certs,
            ssl_certfile=config.tls.certfile,
            ssl_keyfile=config.tls.keyfile,
            ssl_cert_reqs=_CERT_REQS[config.tls.cert_reqs],
            ssl_check_hostname=config.tls.check_hostname,
        )
    return kwargs


def _url_for(config: ConnectionConfig) -> str:
    # redis-py knows no "+cluster" scheme: the config's cluster flag carries it instead.
    url = config.url
    head, sep, rest = url.partition("://")
    if head.lower().endswith("+cluster"):
        url = head[: -len("+cluster")] + sep + rest
    # redis-py lets credentials in the URL win over keyword arguments; explicit ones in the
    # config must win, so they are removed from the URL first.
    if config.username is None and config.password is None:
        return url
    parts = urllib.parse.urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def create_client(config: ConnectionConfig, *, skin: str | None = None) -> redis.Redis:
    """A synchronous client for ``config``.

    Args:
        config: where and how to connect.
        skin: the framework skin using it, for the announced library name.

    Raises:
        ConfigError: the URL cannot be parsed.
        RedisConnectionError: (cluster only) no node of the cluster answered.
    """
    retry = redis.retry.Retry(_backoff(config.retry), config.retry.retries, _RETRY_ON)
    try:
        if config.cluster:
            # The sync cluster client connects at once, to learn the slot map.
            with map_redis_errors():
                cluster = redis.RedisCluster.from_url(
                    _url_for(config), retry=retry, **_client_kwargs(config, skin)
                )
            return cast("redis.Redis", cluster)  # see get_client on cluster clients
        return redis.Redis.from_url(_url_for(config), retry=retry, **_client_kwargs(config, skin))
    except ValueError as exc:
        raise ConfigError(f"bad Redis URL: {exc}") from exc


def create_async_client(
    config: ConnectionConfig, *, skin: str | None = None
) -> redis.asyncio.Redis:
    """An asyncio client for ``config``; same arguments as :func:`create_client`."""
    retry = redis.asyncio.retry.Retry(_backoff(config.retry), config.retry.retries, _RETRY_ON)
    try:
        if config.cluster:
            cluster = redis.asyncio.RedisCluster.from_url(
                _url_for(config), retry=retry, **_client_kwargs(config, skin)
            )
            return cast("redis.asyncio.Redis", cluster)
        return redis.asyncio.Redis.from_url(
            _url_for(config), retry=retry, **_client_kwargs(config, skin)
        )
    except ValueError as exc:
        raise ConfigError(f"bad Redis URL: {exc}") from exc


def adopt_client(client: Any, *, skin: str | None = None) -> None:
    """Make an injected client announce this library on its new connections.

    Only a pool still announcing redis-py's default name is changed; a name the user chose is
    left alone. Nothing is sent to the server.
    """
    pool = getattr(client, "connection_pool", None)
    kwargs = getattr(pool, "connection_kwargs", None)
    if pool is None and is_cluster(client):
        # A cluster client has no single pool; its nodes' connections share these kwargs.
        kwargs = client.get_connection_kwargs()
    if not isinstance(kwargs, dict):
        return
    info = kwargs.get("driver_info")
    if info is not None:
        if getattr(info, "formatted_name", None) == "redis-py":
            kwargs["driver_info"] = _identity_kwargs(skin)["driver_info"]
    elif kwargs.get("lib_name", "redis-py") == "redis-py":
        kwargs.update(_identity_kwargs(skin))


def _check_injected(client: Any, want_async: bool) -> None:
    is_async = isinstance(client, redis.asyncio.Redis) or type(client).__module__.startswith(
        "redis.asyncio"
    )
    if is_async != want_async:
        kind = "redis.asyncio" if want_async else "synchronous redis"
        raise ConfigError(f"redis_client must be a {kind} client, got {type(client).__name__}")


def _config_for(redis_url: str | None, config: ConnectionConfig | None) -> ConnectionConfig:
    if config is not None:
        if redis_url is not None:
            raise ConfigError("pass redis_url or config, not both")
        return config
    # Imported here: resolving may start the embedded server, which connection users
    # that always pass a URL never need.
    from .server import resolve_url

    return ConnectionConfig(url=resolve_url(redis_url))


def get_client(
    redis_url: str | None = None,
    redis_client: redis.Redis | redis.RedisCluster | None = None,
    *,
    config: ConnectionConfig | None = None,
    skin: str | None = None,
) -> redis.Redis:
    """The client a component should use: the injected one, or one built for the resolved URL.

    With neither ``redis_url``, ``redis_client`` nor ``config``, the URL comes from
    ``REDIS_URL`` or, failing that, the embedded server. An injected cluster client
    (``redis.RedisCluster``) is returned as it is, typed as ``redis.Redis``: the core calls
    only commands both offer, and routes what differs through ``_cluster_support``.

    Raises:
        ConfigError: both a URL and a client were given, or the client is an asyncio client.
        ServerExtraMissingError: the embedded server is needed but not installed.
    """
    if redis_client is not None:
        if redis_url is not None or config is not None:
            raise ConfigError("pass redis_url (or config) or redis_client, not both")
        _check_injected(redis_client, want_async=False)
        adopt_client(redis_client, skin=skin)
        return cast("redis.Redis", redis_client)
    return create_client(_config_for(redis_url, config), skin=skin)


def get_async_client(
    redis_url: str | None = None,
    redis_client: redis.asyncio.Redis | redis.asyncio.RedisCluster | None = None,
    *,
    config: ConnectionConfig | None = None,
    skin: str | None = None,
) -> redis.asyncio.Redis:
    """The asyncio twin of :func:`get_client`; same arguments and errors."""
    if redis_client is not None:
        if redis_url is not None or config is not None:
            raise ConfigError("pass redis_url (or config) or redis_client, not both")
        _check_injected(redis_client, want_async=True)
        adopt_client(redis_client, skin=skin)
        return cast("redis.asyncio.Redis", redis_client)
    return create_async_client(_config_for(redis_url, config), skin=skin)
