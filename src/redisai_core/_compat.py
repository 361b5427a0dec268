"""The few primitives whose sync and async forms differ; ``scripts/unasync.py`` maps the names.

``async_x`` in ``_async/`` code becomes ``x`` in the generated ``_sync/`` code.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from typing import TypeVar

T = TypeVar("T")

__all__ = ["async_sleep", "async_wait", "sleep", "wait"]


async def async_sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


def sleep(seconds: float) -> None:
    time.sleep(seconds)


async def async_wait(future: concurrent.futures.Future[T]) -> T:
    """Await a future completed by a worker thread, without blocking the event loop."""
    return await asyncio.wrap_future(future)


def wait(future: concurrent.futures.Future[T]) -> T:
    """Block until a future completed by a worker thread is done."""
    return future.result()
