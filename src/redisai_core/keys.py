"""Key spaces: the one object that builds Redis keys and parses IDs back out of them.

A :class:`KeySpace` is a prefix plus a separator. ``key(id)`` and ``id_from_key(key)`` are exact
inverses for every ID, whatever characters it holds (the ID is never stripped, split or
escaped), and ``pattern()`` gives a ``SCAN MATCH`` pattern that matches only this space.
"""

from __future__ import annotations

import dataclasses

from .errors import ConfigError

__all__ = ["KeySpace", "escape_glob"]

_GLOB_SPECIAL = frozenset("*?[]\\")


def escape_glob(text: str) -> str:
    """Escape ``text`` so a Redis glob (``SCAN MATCH``) matches it literally."""
    return "".join("\\" + ch if ch in _GLOB_SPECIAL else ch for ch in text)


@dataclasses.dataclass(frozen=True)
class KeySpace:
    """A prefix and a separator under which one component keeps all of its keys.

    Args:
        prefix: non-empty key prefix, e.g. ``"rai:cache"``.
        sep: separator placed between the prefix and each ID.

    Raises:
        ConfigError: the prefix or separator is empty.
    """

    prefix: str
    sep: str = ":"

    def __post_init__(self) -> None:
        if not self.prefix:
            raise ConfigError("a key space needs a non-empty prefix")
        if not self.sep:
            raise ConfigError("a key space needs a non-empty separator")

    @property
    def head(self) -> str:
        """The text every key of this space starts with: prefix plus separator."""
        return self.prefix + self.sep

    def key(self, id: str) -> str:
        """Return the Redis key for ``id``."""
        return self.head + id

    def id_from_key(self, key: str | bytes) -> str:
        """Return the ID held in ``key``; the inverse of :meth:`key`.

        Raises:
            ConfigError: ``key`` does not belong to this space.
        """
        text = key.decode("utf-8", "surrogateescape") if isinstance(key, bytes) else key
        if not text.startswith(self.head):
            raise ConfigError(f"key {text!r} is not in key space {self.head!r}")
        return text[len(self.head) :]

    def owns(self, key: str | bytes) -> bool:
        """Whether ``key`` belongs to this space."""
        text = key.decode("utf-8", "surrogateescape") if isinstance(key, bytes) else key
        return text.startswith(self.head)

    def child(self, name: str) -> KeySpace:
        """A nested space, e.g. ``KeySpace("rai").child("cache")`` is ``rai:cache:``."""
        if not name:
            raise ConfigError("a child key space needs a non-empty name")
        return KeySpace(self.head + name, self.sep)

    def hash_tagged(self) -> KeySpace:
        """The same space with its prefix in a hash tag, so all its keys share a cluster slot.

        Redis Cluster hashes only the text between the first ``{`` and the next ``}``; wrapping
        the prefix keeps IDs out of the hash, so any ID (braces included) lands in one slot.

        Raises:
            ConfigError: the prefix holds a brace, which would break the tag.
        """
        if "{" in self.prefix or "}" in self.prefix:
            raise ConfigError(f"prefix {self.prefix!r} already holds a brace; cannot hash-tag it")
        return KeySpace("{" + self.prefix + "}", self.sep)

    def pattern(self) -> str:
        """A ``SCAN MATCH`` pattern matching exactly the keys of this space."""
        return escape_glob(self.head) + "*"
