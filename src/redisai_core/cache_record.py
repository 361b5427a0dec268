"""Pure pieces of the exact LLM cache: the entry key and the stored envelope. No I/O.

An entry's key is the SHA-256 of the prompt and the LLM parameters string, each
length-prefixed so no two different pairs can concatenate to the same bytes. The stored value
is a short magic header plus the payload the framework skin serialized; a value without the
header is foreign (or corrupt) and reads as a miss.
"""

from __future__ import annotations

import dataclasses
import hashlib
import threading

__all__ = ["CacheStats", "entry_id", "pack", "unpack"]

MAGIC = b"rai-cache/1\n"


def _encode(text: str) -> bytes:
    if not isinstance(text, str):
        raise TypeError(f"prompt and llm_string must be str, got {type(text).__name__}")
    # surrogatepass: prompts can hold lone surrogates (e.g. from broken JSON); they must still
    # hash deterministically rather than raise.
    return text.encode("utf-8", "surrogatepass")


def entry_id(prompt: str, llm_string: str) -> str:
    """The ID of the cache entry for ``prompt`` under ``llm_string`` (hex SHA-256).

    Raises:
        TypeError: ``prompt`` or ``llm_string`` is not a str.
    """
    digest = hashlib.sha256()
    for part in (_encode(llm_string), _encode(prompt)):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def pack(payload: bytes) -> bytes:
    """The stored value for ``payload``."""
    return MAGIC + payload


def unpack(value: bytes | None) -> bytes | None:
    """The payload of a stored value; ``None`` when absent or not one of ours."""
    if value is None or not value.startswith(MAGIC):
        return None
    return value[len(MAGIC) :]


@dataclasses.dataclass
class CacheStats:
    """Hit and miss counters of one cache object (this process only). Thread-safe."""

    hits: int = 0
    misses: int = 0
    corrupt: int = 0
    _lock: threading.Lock = dataclasses.field(default_factory=threading.Lock, repr=False)

    def record(self, *, hit: bool, corrupt: bool = False) -> None:
        with self._lock:
            if hit:
                self.hits += 1
            else:
                self.misses += 1
                if corrupt:
                    self.corrupt += 1

    def hit_was_corrupt(self) -> None:
        """Re-count the last hit as a corrupt miss (its payload could not be decoded)."""
        with self._lock:
            self.hits -= 1
            self.misses += 1
            self.corrupt += 1

    @property
    def lookups(self) -> int:
        return self.hits + self.misses

    @property
    def hit_rate(self) -> float:
        """Hits over lookups; 0.0 before the first lookup."""
        return self.hits / self.lookups if self.lookups else 0.0

    def reset(self) -> None:
        with self._lock:
            self.hits = self.misses = self.corrupt = 0
