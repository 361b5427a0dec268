"""The local build cache: content hashes, the cache directory, and atomic writes.

A built model is written once under a name derived from the content hash of its inputs, so a
changed weight file or builder gives a new name and a stale file is never reused. Writers put
the bytes in a temporary file in the same directory and ``os.replace`` it into place: concurrent
builders (threads, processes, test workers) can race, but a reader only ever sees a complete file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

__all__ = ["ENV_CACHE_DIR", "atomic_write", "cache_dir", "cached_build", "file_sha256"]

ENV_CACHE_DIR = "REDISAI_CACHE_DIR"
_CHUNK = 1 << 20


def cache_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Resolve the cache directory: the argument, then ``$REDISAI_CACHE_DIR``, then the user cache.

    Args:
        explicit: a directory chosen by the caller.

    Returns:
        The directory (not created here).
    """
    if explicit is not None:
        return Path(explicit)
    env = os.environ.get(ENV_CACHE_DIR)
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "redisai-integrations"


def file_sha256(paths: Iterable[Path], *extra: str) -> str:
    """The SHA-256 hex digest of the files' contents (in order) and the extra strings.

    Args:
        paths: files whose bytes are hashed.
        *extra: strings mixed into the hash (builder version, options).

    Returns:
        The hex digest.
    """
    digest = hashlib.sha256()
    for path in paths:
        # Length-prefix each part so ("ab", "c") and ("a", "bc") hash differently.
        digest.update(f"file:{path.stat().st_size}:".encode())
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    for item in extra:
        digest.update(f"str:{len(item)}:{item}".encode())
    return digest.hexdigest()


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and an atomic rename.

    Args:
        path: the destination; its directory is created if missing.
        data: the bytes.

    Raises:
        OSError: the directory is not writable.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        # Never leave a half-written temporary behind, whatever interrupted us.
        Path(tmp).unlink(missing_ok=True)
        raise


def cached_build(path: Path, build: Callable[[], bytes]) -> Path:
    """Return ``path``, building it with ``build()`` first when it does not exist yet.

    Args:
        path: the cache file, named by the content hash of what ``build`` reads.
        build: produces the file's bytes.

    Returns:
        ``path``, which now exists.

    Raises:
        OSError: the cache directory is not writable.
    """
    if not path.is_file():
        atomic_write(path, build())
    return path
