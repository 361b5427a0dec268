"""The few primitives whose sync and async forms differ; ``scripts/unasync.py`` maps the names.

``async_x`` in ``_async/`` code becomes ``x`` in the generated ``_sync/`` code.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from typing import Protocol, TypeVar

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

__all__ = ["Waitable", "async_sleep", "async_wait", "sleep", "wait"]


async def async_sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


def sleep(seconds: float) -> None:
    time.sleep(seconds)


async def async_wait(future: concurrent.futures.Future[T]) -> T:
    """Await a future completed by a worker thread, without blocking the event loop."""
    return await asyncio.wrap_future(future)


class Waitable(Protocol[T_co]):
    """What blocking code waits on: a Future, or a lighter object with the same ``result``."""

    def result(self, timeout: float | None = None) -> T_co: ...


def wait(future: Waitable[T]) -> T:
    """Block until a future completed by a worker thread is done."""
    return future.result()
