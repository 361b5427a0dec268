"""Pure pieces of the chat history: key layout, options and the Lua scripts. No I/O.

One session is three things under the history's key space ``<prefix>``:

- ``<prefix>:s:<session id>``: a LIST of messages, oldest first (the active history);
- ``<prefix>:a:<session id>``: a LIST of archived messages, oldest first;
- ``<prefix>:index``: one ZSET for all sessions, scored by the session's *deadline* in server
  milliseconds: last write plus TTL or, without a TTL, first write plus
  :data:`NO_TTL_HORIZON_MS`.

Scoring by deadline rather than by last-write time keeps the index right when writers with
different TTLs share a prefix: a session is live exactly while its score is in the future, and
expired entries are pruned with one ``ZREMRANGEBYSCORE`` whatever TTL each writer used (when a
new session enters the index, and when sessions are listed). Sessions are listed by deadline:
with a TTL that is the order of their last writes, without one the order in which they started
(to the millisecond; ties by id). Without a TTL the index is written only when a session
starts, so an append to a running session costs one RPUSH inside the script.

Every mutation is one Lua script, so a batch, the trim to the maximum length, the TTL refresh
and the index update land together or not at all, in one round trip, and the server's clock
(``TIME``) is the only clock.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import os
from collections.abc import Iterator

import redis.exceptions as rex

from .config import check_ttl
from .errors import ConfigError, CorruptDataError, RedisAICoreError, ResponseError, translate
from .keys import KeySpace

__all__ = [
    "LIST_SESSIONS",
    "NO_TTL_HORIZON_MS",
    "HistoryKeys",
    "HistoryOptions",
    "HistoryScripts",
    "LuaScript",
    "corrupt_session",
    "history_scripts",
    "new_tombstone",
    "session_error",
    "session_errors",
]

# About 100 years: the "deadline" of a session without a TTL. Now (~1.8e12 ms) plus this stays
# below 1e13, so scores are exact integers both in Lua's number formatting and in the ZSET.
NO_TTL_HORIZON_MS = 100 * 365 * 24 * 3600 * 1000


@dataclasses.dataclass(frozen=True)
class HistoryOptions:
    """Validated TTL and maximum length of a history.

    Args:
        ttl: seconds a session lives after its last write; ``None`` keeps it until deleted.
        max_length: most messages kept per session (the oldest are dropped); ``None``: no cap.

    Raises:
        ConfigError: a TTL or maximum length that is not positive.
    """

    ttl: float | None = None
    max_length: int | None = None

    def __post_init__(self) -> None:
        check_ttl(self.ttl)
        if self.max_length is not None and (
            isinstance(self.max_length, bool)
            or not isinstance(self.max_length, int)
            or self.max_length < 1
        ):
            raise ConfigError(f"max_length must be a positive int, got {self.max_length!r}")

    @property
    def ttl_ms(self) -> int:
        """The TTL in milliseconds; 0 means none (the scripts' convention)."""
        return 0 if self.ttl is None else max(1, int(self.ttl * 1000))


@dataclasses.dataclass(frozen=True)
class HistoryKeys:
    """The key layout of one history key space; see the module docstring."""

    space: KeySpace

    @functools.cached_property
    def index(self) -> str:
        return self.space.key("index")

    @functools.cached_property
    def _messages_head(self) -> str:
        return self.space.child("s").head

    @functools.cached_property
    def _archive_head(self) -> str:
        return self.space.child("a").head

    @property
    def head_length(self) -> int:
        """Length of a session key before the session id (messages and archive alike)."""
        return len(self._messages_head)

    def messages(self, session_id: str) -> str:
        # what KeySpace.child("s").key(session_id) gives, without building a space per call
        return self._messages_head + session_id

    def archive(self, session_id: str) -> str:
        return self._archive_head + session_id


def new_tombstone() -> bytes:
    """A value no stored message can equal, marking a message for ``LREM`` within one script.

    The NUL byte cannot start a JSON document, and 16 random bytes make two tombstones (or a
    hostile value) colliding negligible.
    """
    return b"\x00redisai-tombstone:" + os.urandom(16).hex().encode()


def corrupt_session(session_id: str, detail: str) -> CorruptDataError:
    """The error for a session whose stored data cannot be read (the caller raises it)."""
    return CorruptDataError(f"chat session {session_id!r} holds unreadable data: {detail}")


# --- Lua -----------------------------------------------------------------------------------
# Every script gets KEYS = [target list, sibling list, index]. The target is the list the
# script changes (messages or archive); the sibling is the other list of the same session,
# which shares its TTL and its index entry. A history's TTL, maximum length and key-head length
# are written into its scripts as constants (see `history_scripts`), and the session id is read
# back from the target key, so an append sends nothing but its keys and values: it is on the
# hot path, benchmarked against a plain RPUSH.

_PRELUDE = """
local TTL, CAP, HEAD, HORIZON = %(ttl)d, %(cap)d, %(head)d, %(horizon)d
-- the session id, read back from the target key (only when the index needs it)
local function sid() return string.sub(KEYS[1], HEAD + 1) end
-- milliseconds keep scores below 1e13, which Lua passes to Redis exactly (its number
-- formatting keeps 14 significant digits)
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- after a write that left the session non-empty: with a TTL, refresh the TTL of both lists
-- and the session's deadline in the index; without one, make sure the session is indexed
-- (its score stays its first write). When the session is new to the index, also prune the
-- entries whose deadline has passed (new sessions are what grows the index).
local function refresh()
  local now = now_ms()
  local added
  if TTL > 0 then
    redis.call('PEXPIRE', KEYS[1], TTL)
    redis.call('PEXPIRE', KEYS[2], TTL)
    added = redis.call('ZADD', KEYS[3], now + TTL, sid())
  else
    added = redis.call('ZADD', KEYS[3], 'NX', now + HORIZON, sid())
  end
  if added == 1 then
    redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
  end
end
-- RPUSH values[first..] to key in chunks (Lua's unpack has a stack limit); the new length
local function push(key, values, first)
  local n = #values
  if first == 1 and n <= 1000 then return redis.call('RPUSH', key, unpack(values)) end
  local i = first
  local len = 0
  while i <= n do
    local j = math.min(i + 999, n)
    len = redis.call('RPUSH', key, unpack(values, i, j))
    i = j + 1
  end
  return len
end
"""

# Only scripts that may empty a session need it; the append, which is on the hot path, does
# not carry it.
_TOUCH = """
-- after a write that may have emptied the session: drop its index entry, or refresh
local function touch()
  if redis.call('EXISTS', KEYS[1], KEYS[2]) == 0 then
    redis.call('ZREM', KEYS[3], sid())
  else
    refresh()
  end
end
"""

_BODIES = {
    # ARGV = values (at least one). Returns the new length. Without a TTL, an append to a
    # session that already had messages touches nothing but its list: the index entry exists
    # and keeps its score, which keeps the hot path close to a plain RPUSH.
    "append": """
local n = #ARGV
local len = push(KEYS[1], ARGV, 1)
local was_empty = len == n
if CAP > 0 and len > CAP then
  redis.call('LTRIM', KEYS[1], -CAP, -1)
  len = CAP
end
if TTL > 0 or was_empty then refresh() end
return len
""",
    # ARGV[1] = '1' to empty the sibling too; ARGV[2..] = the new values (possibly none).
    # Returns the new length.
    "replace": """
redis.call('DEL', KEYS[1])
if ARGV[1] == '1' then redis.call('DEL', KEYS[2]) end
push(KEYS[1], ARGV, 2)
if CAP > 0 then redis.call('LTRIM', KEYS[1], -CAP, -1) end
touch()
return redis.call('LLEN', KEYS[1])
""",
    # ARGV = [position (negative counts from the end), tombstone]. Returns the removed value,
    # or nil when there is no such position. LSET + LREM of a unique tombstone removes exactly
    # that element and keeps the order of the rest.
    "delete_at": """
local pos = tonumber(ARGV[1])
local value = redis.call('LINDEX', KEYS[1], pos)
if not value then return false end
redis.call('LSET', KEYS[1], pos, ARGV[2])
redis.call('LREM', KEYS[1], 1, ARGV[2])
touch()
return value
""",
    # Removes and returns the last value, or nil.
    "pop_last": """
local value = redis.call('RPOP', KEYS[1])
if value then touch() end
return value
""",
    # ARGV = [n]. Removes and returns the oldest n values (fewer if shorter).
    "pop_oldest": """
local values = redis.call('LPOP', KEYS[1], tonumber(ARGV[1]))
if not values then return {} end
touch()
return values
""",
    # ARGV = [n]. Moves the oldest n values of the target to the end of the sibling (the
    # archive) and returns them.
    "archive_oldest": """
local values = redis.call('LPOP', KEYS[1], tonumber(ARGV[1]))
if not values then return {} end
push(KEYS[2], values, 1)
touch()
return values
""",
    # ARGV = ['1' to delete the sibling too]. Returns how many of the keys existed.
    "delete": """
local removed = redis.call('DEL', KEYS[1])
if ARGV[1] == '1' then removed = removed + redis.call('DEL', KEYS[2]) end
touch()
return removed
""",
}

# KEYS = [index]. Prunes expired entries and returns the live session ids, ordered by
# deadline (for one TTL: by last write), oldest first.
LIST_SESSIONS_SOURCE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZRANGE', KEYS[1], 0, -1)
"""


@dataclasses.dataclass(frozen=True)
class LuaScript:
    """A script's source and SHA1, for ``EVALSHA`` (loaded on ``NOSCRIPT``)."""

    source: str
    sha: str = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        digest = hashlib.sha1(self.source.encode(), usedforsecurity=False).hexdigest()
        object.__setattr__(self, "sha", digest)


@dataclasses.dataclass(frozen=True)
class HistoryScripts:
    """The write scripts of one history configuration."""

    append: LuaScript
    replace: LuaScript
    delete_at: LuaScript
    pop_last: LuaScript
    pop_oldest: LuaScript
    archive_oldest: LuaScript
    delete: LuaScript


LIST_SESSIONS = LuaScript(LIST_SESSIONS_SOURCE)


@functools.lru_cache(maxsize=128)
def history_scripts(ttl_ms: int, cap: int, head_length: int) -> HistoryScripts:
    """The scripts for a TTL (ms, 0: none), a maximum length (0: none) and a key-head length.

    Args:
        ttl_ms: the session TTL in milliseconds; 0 for none.
        cap: the most messages kept in the target list; 0 for no limit.
        head_length: length of the target key before the session id (the same for the
            messages and the archive keys of one history).
    """
    prelude = _PRELUDE % {
        "ttl": ttl_ms,
        "cap": cap,
        "head": head_length,
        "horizon": NO_TTL_HORIZON_MS,
    }
    return HistoryScripts(
        **{
            name: LuaScript(prelude + ("" if name == "append" else _TOUCH) + body)
            for name, body in _BODIES.items()
        }
    )


def session_error(session_id: str, exc: rex.RedisError) -> RedisAICoreError:
    """Our error for a redis-py error on a session: WRONGTYPE names the session as corrupt."""
    error = translate(exc)
    if isinstance(error, ResponseError) and "WRONGTYPE" in str(exc):
        return corrupt_session(session_id, "its key holds another type of value")
    return error


@contextlib.contextmanager
def session_errors(session_id: str) -> Iterator[None]:
    """Map redis-py errors as :func:`map_redis_errors` does, naming the session on WRONGTYPE.

    Raises:
        CorruptDataError: a key of the session holds another type of value.
        RedisAICoreError: any other translated redis-py error.
    """
    try:
        yield
    except rex.RedisError as exc:
        raise session_error(session_id, exc) from exc
