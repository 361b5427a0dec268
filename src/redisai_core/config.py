"""Small frozen configuration objects, and the one function that resolves defaults.

Configs hold values only, never a live client. Defaults come from an explicit argument first,
then the environment (variables prefixed ``REDISAI_``, plus the conventional ``REDIS_URL``).
"""

from __future__ import annotations

import dataclasses
import enum
import os
from collections.abc import Mapping

from .errors import ConfigError

__all__ = [
    "MAX_TTL",
    "CertRequirement",
    "ConnectionConfig",
    "RetryConfig",
    "TLSConfig",
    "check_ttl",
    "env_redis_url",
]

ENV_REDIS_URL = "REDIS_URL"


class CertRequirement(str, enum.Enum):
    """How strictly a TLS server certificate is checked."""

    REQUIRED = "required"
    OPTIONAL = "optional"
    NONE = "none"


@dataclasses.dataclass(frozen=True, kw_only=True)
class RetryConfig:
    """Retries with exponential backoff on connection errors and timeouts.

    The wait before retry ``n`` (1-based) is ``min(cap, base * 2**n)`` seconds.

    Args:
        retries: retries after the first attempt; 0 disables retrying.
        backoff_base: base of the exponential backoff, in seconds.
        backoff_cap: longest single wait, in seconds.
    """

    retries: int = 3
    backoff_base: float = 0.05
    backoff_cap: float = 1.0

    def __post_init__(self) -> None:
        if self.retries < 0:
            raise ConfigError(f"retries must be >= 0, got {self.retries}")
        if self.backoff_base < 0 or self.backoff_cap < 0:
            raise ConfigError("backoff_base and backoff_cap must be >= 0")

    def waits(self) -> list[float]:
        """The waits, in seconds, before each retry."""
        return [min(self.backoff_cap, self.backoff_base * 2**n) for n in range(1, self.retries + 1)]


@dataclasses.dataclass(frozen=True, kw_only=True)
class TLSConfig:
    """TLS options for ``rediss://`` URLs. Paths are PEM files.

    Args:
        ca_certs: CA bundle used to verify the server.
        certfile: client certificate, for mutual TLS.
        keyfile: client private key, for mutual TLS.
        cert_reqs: how strictly the server certificate is checked.
        check_hostname: whether the certificate must match the host name.
    """

    ca_certs: str | None = None
    certfile: str | None = None
    keyfile: str | None = None
    cert_reqs: CertRequirement = CertRequirement.REQUIRED
    check_hostname: bool = True


@dataclasses.dataclass(frozen=True, kw_only=True)
class ConnectionConfig:
    """How to reach Redis. Holds no client.

    Args:
        url: ``redis://``, ``rediss://`` or ``unix://`` URL; user and password in the URL
            authenticate an ACL user. ``redis+cluster://`` and ``rediss+cluster://`` name a
            node of a Redis Cluster (the same as ``cluster=True``).
        username: ACL user name; overrides the URL's.
        password: password; overrides the URL's.
        socket_timeout: seconds to wait for a reply.
        connect_timeout: seconds to wait for a connection.
        retry: retry policy for connection errors and timeouts.
        tls: TLS options, used with ``rediss://``.
        protocol: RESP version (2 or 3); ``None`` keeps redis-py's default.
        max_connections: size of the connection pool; ``None`` keeps redis-py's default.
        cluster: the URL names a node of a Redis Cluster; clients are redis-py's cluster
            clients (``docs/cluster.md`` says what works on a cluster).
    """

    url: str
    username: str | None = None
    password: str | None = None
    socket_timeout: float | None = 5.0
    connect_timeout: float | None = 5.0
    retry: RetryConfig = dataclasses.field(default_factory=RetryConfig)
    tls: TLSConfig | None = None
    protocol: int | None = None
    max_connections: int | None = None
    cluster: bool = False

    def __post_init__(self) -> None:
        scheme = self.url.split("://", 1)[0].lower() if "://" in self.url else ""
        if scheme in ("redis+cluster", "rediss+cluster"):
            scheme = scheme.removesuffix("+cluster")
            object.__setattr__(self, "cluster", True)
        if scheme not in ("redis", "rediss", "unix"):
            raise ConfigError(
                f"unsupported Redis URL {_redact(self.url)!r}: use redis://, rediss:// or unix://"
            )
        if self.cluster and scheme == "unix":
            raise ConfigError("a Redis Cluster is reached over TCP: use redis:// or rediss://")
        if self.tls is not None and scheme != "rediss":
            raise ConfigError("TLS options need a rediss:// URL")
        if self.protocol not in (None, 2, 3):
            raise ConfigError(f"protocol must be 2 or 3, got {self.protocol}")
        for name in ("socket_timeout", "connect_timeout"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ConfigError(f"{name} must be > 0, got {value}")

    def __repr__(self) -> str:
        # Never print a password, from the URL or the field.
        return (
            f"ConnectionConfig(url={_redact(self.url)!r}, username={self.username!r}, "
            f"password={'***' if self.password else None}, socket_timeout={self.socket_timeout}, "
            f"connect_timeout={self.connect_timeout}, retry={self.retry!r}, tls={self.tls!r}, "
            f"protocol={self.protocol}, max_connections={self.max_connections}, "
            f"cluster={self.cluster})"
        )


def _redact(url: str) -> str:
    """``url`` with any password replaced by ``***``."""
    if "://" not in url or "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    if ":" in creds:
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url


def env_redis_url(environ: Mapping[str, str] | None = None) -> str | None:
    """The Redis URL from the environment (``REDIS_URL``), or ``None`` when unset or empty."""
    env = os.environ if environ is None else environ
    value = env.get(ENV_REDIS_URL, "").strip()
    return value or None


MAX_TTL = 100 * 365 * 24 * 3600.0
"""Longest TTL accepted, in seconds (about 100 years).

Beyond it Redis refuses the expiry (the millisecond deadline overflows) and chat-history
deadlines stop being exact integers in Lua, so larger values are refused up front.
"""


def check_ttl(ttl: object) -> float | None:
    """Validate a TTL argument: ``None`` or a real number of seconds in ``(0, MAX_TTL]``.

    Raises:
        ConfigError: a TTL that is not a number (``bool`` and ``str`` included), is NaN,
            infinite, not positive, or longer than :data:`MAX_TTL`.
    """
    if ttl is None:
        return None
    if isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or not 0 < ttl <= MAX_TTL:
        # NaN fails the comparison too, so it lands here as well.
        raise ConfigError(f"ttl must be > 0 seconds (at most {MAX_TTL:.0f}), got {ttl!r}")
    return float(ttl)
