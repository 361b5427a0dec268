"""Fakes at the I/O seam for the RedisAI unit tests, and replies as redis-py produces them."""

from __future__ import annotations

from typing import Any

import redis.exceptions as rex
from redis._parsers.base import BaseParser


def wire_error(text: str) -> rex.ResponseError:
    """The exception redis-py builds from the error reply ``-<text>`` (``ERR `` stripped)."""
    error = BaseParser.parse_error(text)
    assert isinstance(error, rex.ResponseError)
    return error


def old_redis_py_error(text: str) -> rex.ResponseError:
    """The same, as redis-py < 6 built it: prefix stripped, no ``status_code`` kept."""
    error = wire_error(text)
    del error.status_code
    return error


class FakeRedis:
    """Records every ``execute_command`` argv and answers with canned replies, in order.

    A reply that is an exception instance is raised, as redis-py raises error replies.
    """

    def __init__(self, *replies: Any) -> None:
        self.replies = list(replies)
        self.calls: list[tuple[Any, ...]] = []
        self.options: list[dict[str, Any]] = []

    def _next(self, args: tuple[Any, ...], options: dict[str, Any]) -> Any:
        self.calls.append(args)
        self.options.append(options)
        if not self.replies:
            raise AssertionError(f"unexpected command {args[:3]!r}")
        reply = self.replies.pop(0)
        if isinstance(reply, BaseException):
            raise reply
        return reply

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        return self._next(args, options)


class SyncFakeRedis(FakeRedis):
    def execute_command(self, *args: Any, **options: Any) -> Any:  # type: ignore[override]
        return self._next(args, options)
