"""Leader election, hand-off and error routing of the command combiners, with a fake client.

The fake stands in at the I/O seam only (``execute_command`` / ``pipeline().execute``): a tiny
in-memory store that refuses commands on keys of the wrong type, as Redis does.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from redisai_core._autopipe import CommandCombiner
from redisai_core._autopipe_async import AsyncCommandCombiner


class _Store:
    """Apply one command to a dict: SET/GET on strings, RPUSH on lists, WRONGTYPE otherwise."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}
        self.fail_next_round_trip: Exception | BaseException | None = None
        self.round_trips: list[list[tuple[Any, ...]]] = []
        self.options: list[dict[str, Any]] = []
        self.gate: threading.Event | None = None  # when set, round trips wait for it
        self.async_gate: asyncio.Event | None = None

    def apply(self, args: tuple[Any, ...]) -> Any:
        name, key = args[0], args[1]
        value = self.data.get(key)
        if name == "SET":
            self.data[key] = args[2]
            return True
        if name == "GET":
            if isinstance(value, list):
                raise redis.ResponseError("WRONGTYPE Operation against a key")
            return value
        if name == "RPUSH":
            if value is not None and not isinstance(value, list):
                raise redis.ResponseError("WRONGTYPE Operation against a key")
            self.data.setdefault(key, []).append(args[2])
            return len(self.data[key])
        raise redis.ResponseError(f"unknown command '{name}'")

    def round_trip(self, commands: list[tuple[Any, ...]]) -> None:
        # The failure is taken before waiting, so a round trip already under way keeps its fate.
        self.round_trips.append(commands)
        failure, self.fail_next_round_trip = self.fail_next_round_trip, None
        if self.gate is not None:
            self.gate.wait(5)
        if failure is not None:
            raise failure

    async def async_round_trip(self, commands: list[tuple[Any, ...]]) -> None:
        self.round_trips.append(commands)
        failure, self.fail_next_round_trip = self.fail_next_round_trip, None
        await asyncio.sleep(0)  # a real round trip yields to the loop
        if self.async_gate is not None:
            await self.async_gate.wait()
        if failure is not None:
            raise failure


class _FakePipeline:
    def __init__(self, store: _Store) -> None:
        self.store = store
        self.stack: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def execute_command(self, *args: Any, **options: Any) -> _FakePipeline:
        self.stack.append((args, options))
        return self

    def _replies(self) -> list[Any]:
        replies: list[Any] = []
        for args, options in self.stack:
            self.store.options.append(options)
            try:
                replies.append(self.store.apply(args))
            except redis.ResponseError as exc:
                replies.append(exc)
        return replies

    def execute(self, raise_on_error: bool = True) -> list[Any]:
        assert raise_on_error is False
        self.store.round_trip([args for args, _ in self.stack])
        return self._replies()


class FakeClient:
    def __init__(self) -> None:
        self.store = _Store()

    def get_cache(self) -> None:
        return None

    def execute_command(self, *args: Any, **options: Any) -> Any:
        self.store.round_trip([args])
        self.store.options.append(options)
        return self.store.apply(args)

    def pipeline(self, transaction: bool = True) -> _FakePipeline:
        assert transaction is False
        return _FakePipeline(self.store)


class _AsyncFakePipeline(_FakePipeline):
    async def execute(self, raise_on_error: bool = True) -> list[Any]:  # type: ignore[override]
        assert raise_on_error is False
        await self.store.async_round_trip([args for args, _ in self.stack])
        return self._replies()


class AsyncFakeClient(FakeClient):
    async def execute_command(self, *args: Any, **options: Any) -> Any:
        await self.store.async_round_trip([args])
        self.store.options.append(options)
        return self.store.apply(args)

    def pipeline(self, transaction: bool = True) -> _AsyncFakePipeline:
        assert transaction is False
        return _AsyncFakePipeline(self.store)


@pytest.fixture
def shaken() -> Iterator[None]:
    """Switch threads as often as possible, to shake out interleavings."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)


def _caller_script(i: int, n: int) -> list[tuple[tuple[Any, ...], Any]]:
    """Commands of caller ``i`` with the replies each must get: odd callers also hit WRONGTYPE."""
    script: list[tuple[tuple[Any, ...], Any]] = []
    for j in range(n):
        if i % 2 and j % 5 == 0:
            script.append((("RPUSH", f"l{i}", j), j // 5 + 1))
            script.append((("GET", f"l{i}"), redis.ResponseError))
        else:
            script.append((("SET", f"s{i}", j), True))
            script.append((("GET", f"s{i}"), j))
    return script


def _check(execute: Any, i: int, n: int) -> None:
    for args, expected in _caller_script(i, n):
        if expected is redis.ResponseError:
            with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
                execute(*args)
        else:
            assert execute(*args) == expected


def test_lone_caller_calls_execute_command_without_a_pipeline() -> None:
    client = FakeClient()
    combiner = CommandCombiner(client)  # type: ignore[arg-type]
    assert combiner.execute("SET", "a", 1, keys=["a"]) is True
    assert combiner.execute("GET", "a") == 1
    assert client.store.round_trips == [[("SET", "a", 1)], [("GET", "a")]]
    assert client.store.options == [{"keys": ["a"]}, {}]
    with pytest.raises(ValueError, match="needs a command"):
        combiner.execute()


def test_waiting_callers_share_one_round_trip_led_by_one_of_them() -> None:
    client = FakeClient()
    combiner = CommandCombiner(client)  # type: ignore[arg-type]
    client.store.gate = threading.Event()
    results: dict[str, Any] = {}

    def call(name: str, *args: Any) -> None:
        results[name] = combiner.execute(*args)

    first = threading.Thread(target=call, args=("first", "SET", "a", 1))
    first.start()
    while not client.store.round_trips:  # the first caller leads and is now blocked in I/O
        time.sleep(0.001)
    others = [threading.Thread(target=call, args=(f"o{i}", "SET", f"k{i}", i)) for i in range(5)]
    for thread in others:
        thread.start()
    while len(combiner._pending) < 5:
        time.sleep(0.001)
    client.store.gate.set()
    for thread in [first, *others]:
        thread.join(5)
    assert results == {"first": True, **{f"o{i}": True for i in range(5)}}
    assert [len(batch) for batch in client.store.round_trips] == [1, 5]
    assert not combiner._lock.locked() and not combiner._pending


def test_stress_every_caller_gets_its_own_replies_in_order(shaken: None) -> None:
    client = FakeClient()
    combiner = CommandCombiner(client)  # type: ignore[arg-type]
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            _check(combiner.execute, i, 1000)
        except BaseException as exc:  # reported in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads), "a caller hangs"
    assert errors == []
    assert combiner.commands == 32 * 2000
    assert combiner.round_trips < combiner.commands  # some commands really were combined
    assert not combiner._lock.locked() and not combiner._pending


class _LateArrivalLock:
    """The combiner lock, with a caller arriving in the narrowest window of the hand-over.

    On its first release, before releasing, it starts a caller and waits until that caller
    has queued its slot and failed to take the (still held) lock: the caller arrived after
    the holder's last look at the queue. Only the look after the release can save it.
    """

    def __init__(self, arrive: Any) -> None:
        self._lock = threading.Lock()
        self._arrive = arrive
        self.late: threading.Thread | None = None
        self.failed_tries = 0

    def acquire(self, blocking: bool = True) -> bool:
        got = self._lock.acquire(blocking)
        self.failed_tries += not got
        return got

    def locked(self) -> bool:
        return self._lock.locked()

    def release(self) -> None:
        if self.late is None:
            self.late = threading.Thread(target=self._arrive, daemon=True)
            self.late.start()
            while not self.failed_tries:
                time.sleep(0.001)
            time.sleep(0.05)  # now blocked on its slot
        self._lock.release()


def test_caller_arriving_as_the_lock_is_released_is_not_forgotten() -> None:
    client = FakeClient()
    combiner = CommandCombiner(client)  # type: ignore[arg-type]
    results: list[Any] = []
    lock = _LateArrivalLock(lambda: results.append(combiner.execute("SET", "late", 2)))
    combiner._lock = lock  # type: ignore[assignment]
    assert combiner.execute("SET", "a", 1) is True
    assert lock.late is not None
    lock.late.join(5)
    assert not lock.late.is_alive(), "the late caller was never woken"
    assert results == [True]
    assert not combiner._lock.locked() and not combiner._pending


@pytest.mark.parametrize("failure", [redis.ConnectionError("gone"), KeyboardInterrupt()])
def test_failed_round_trip_reaches_every_caller_of_the_batch(failure: BaseException) -> None:
    client = FakeClient()
    combiner = CommandCombiner(client)  # type: ignore[arg-type]
    client.store.gate = threading.Event()
    outcomes: dict[int, BaseException | Any] = {}

    def call(i: int) -> None:
        try:
            outcomes[i] = combiner.execute("SET", f"k{i}", i)
        except BaseException as exc:
            outcomes[i] = exc

    threads = [threading.Thread(target=call, args=(0,))]
    threads[0].start()
    while not client.store.round_trips:
        time.sleep(0.001)
    threads += [threading.Thread(target=call, args=(i,)) for i in range(1, 4)]
    for thread in threads[1:]:
        thread.start()
    while len(combiner._pending) < 3:
        time.sleep(0.001)
    # The first round trip (caller 0, under way) succeeds; the combined one (1-3) fails.
    client.store.fail_next_round_trip = failure
    gate, client.store.gate = client.store.gate, None
    gate.set()
    for thread in threads:
        thread.join(5)
    assert outcomes[0] is True
    combined = [outcomes[i] for i in range(1, 4)]
    if isinstance(failure, Exception):
        assert all(outcome is failure for outcome in combined)
    else:
        # The interrupt stays with the leader; the others learn their round trip broke.
        assert sum(outcome is failure for outcome in combined) == 1
        others = [o for o in combined if o is not failure]
        assert all(isinstance(o, redis.ConnectionError) for o in others)
        assert all(o.__cause__ is failure for o in others)
    assert combiner.execute("GET", "k0") == 0  # later commands work again
    assert not combiner._lock.locked() and not combiner._pending


def test_interrupted_waiter_passes_a_handed_lock_on_and_its_command_is_dropped() -> None:
    client = FakeClient()
    combiner = CommandCombiner(client)  # type: ignore[arg-type]
    client.store.gate = threading.Event()
    leader = threading.Thread(target=combiner.execute, args=("SET", "a", 1))
    leader.start()
    while not client.store.round_trips:  # the leader is now blocked in its round trip
        time.sleep(0.001)

    def interrupt_then_release() -> None:
        while not combiner._pending:  # the main thread has queued and sleeps on its slot
            time.sleep(0.001)
        time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGINT)  # a real signal: it interrupts the blocked acquire
        time.sleep(0.05)
        assert client.store.gate is not None
        client.store.gate.set()  # the leader finishes and hands the lock to the main thread

    helper = threading.Thread(target=interrupt_then_release)
    helper.start()
    with pytest.raises(KeyboardInterrupt):
        combiner.execute("SET", "interrupted", 2)
    helper.join(5)
    leader.join(5)
    assert "interrupted" not in client.store.data
    assert not combiner._lock.locked() and not combiner._pending
    client.store.gate = None
    assert combiner.execute("GET", "a") == 1


def test_client_side_cache_is_refused() -> None:
    client = FakeClient()
    client.get_cache = object  # type: ignore[assignment,method-assign]
    with pytest.raises(ValueError, match="client-side caching"):
        CommandCombiner(client)  # type: ignore[arg-type]


async def test_async_lone_caller_runs_directly() -> None:
    client = AsyncFakeClient()
    combiner = AsyncCommandCombiner(client)  # type: ignore[arg-type]
    assert await combiner.execute("SET", "a", 1, keys=["a"]) is True
    assert await combiner.execute("GET", "a") == 1
    assert client.store.round_trips == [[("SET", "a", 1)], [("GET", "a")]]
    assert client.store.options == [{"keys": ["a"]}, {}]


async def test_async_stress_64_tasks_get_their_own_replies_in_order() -> None:
    client = AsyncFakeClient()
    combiner = AsyncCommandCombiner(client)  # type: ignore[arg-type]

    async def run(i: int) -> None:
        for args, expected in _caller_script(i, 200):
            if expected is redis.ResponseError:
                with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
                    await combiner.execute(*args)
            else:
                assert await combiner.execute(*args) == expected

    await asyncio.gather(*(run(i) for i in range(64)))
    assert combiner.commands == 64 * 400
    assert combiner.round_trips < combiner.commands / 10
    assert not combiner._busy and not combiner._pending


async def _direct_call_in_flight(
    combiner: AsyncCommandCombiner, client: AsyncFakeClient
) -> asyncio.Future[Any]:
    """Start a lone caller and hold its round trip open until ``client.store.async_gate``."""
    client.store.async_gate = asyncio.Event()
    direct = asyncio.ensure_future(combiner.execute("SET", "a", 1))
    while not client.store.round_trips:
        await asyncio.sleep(0)
    for _ in range(3):  # past the fake's yield: now blocked on the gate
        await asyncio.sleep(0)
    return direct


async def test_async_cancelled_caller_is_dropped_and_others_complete() -> None:
    client = AsyncFakeClient()
    combiner = AsyncCommandCombiner(client)  # type: ignore[arg-type]
    direct = await _direct_call_in_flight(combiner, client)
    queued = [asyncio.ensure_future(combiner.execute("SET", f"k{i}", i)) for i in range(4)]
    await asyncio.sleep(0)
    assert len(combiner._pending) == 4
    queued[1].cancel()  # not sent yet: it must never reach the server
    assert client.store.async_gate is not None
    client.store.async_gate.set()
    assert await direct is True
    assert [await queued[i] for i in (0, 2, 3)] == [True, True, True]
    with pytest.raises(asyncio.CancelledError):
        await queued[1]
    assert "k1" not in client.store.data
    assert [len(batch) for batch in client.store.round_trips] == [1, 3]
    assert await combiner.execute("GET", "k2") == 2
    assert not combiner._busy


async def test_async_caller_cancelled_in_flight_leaves_the_others_intact() -> None:
    client = AsyncFakeClient()
    combiner = AsyncCommandCombiner(client)  # type: ignore[arg-type]
    direct = await _direct_call_in_flight(combiner, client)
    queued = [asyncio.ensure_future(combiner.execute("SET", f"k{i}", i)) for i in range(3)]
    gate = client.store.async_gate
    assert gate is not None
    await asyncio.sleep(0)
    assert len(combiner._pending) == 3
    client.store.async_gate = asyncio.Event()  # holds the next round trip: the combined one
    gate.set()
    assert await direct is True
    while len(client.store.round_trips) < 2:  # the pipeline of the 3 is now in flight
        await asyncio.sleep(0)
    queued[0].cancel()
    client.store.async_gate.set()
    assert [await queued[i] for i in (1, 2)] == [True, True]
    assert client.store.round_trips[1:] == [
        [("SET", "k0", 0), ("SET", "k1", 1), ("SET", "k2", 2)]
    ], client.store.round_trips
    assert client.store.data["k0"] == 0  # it was sent: it ran; its reply was discarded
    assert await combiner.execute("GET", "k1") == 1
    assert not combiner._busy and not combiner._pending


async def test_async_failed_round_trip_reaches_every_caller_then_recovers() -> None:
    client = AsyncFakeClient()
    combiner = AsyncCommandCombiner(client)  # type: ignore[arg-type]
    direct = await _direct_call_in_flight(combiner, client)
    queued = [asyncio.ensure_future(combiner.execute("GET", "a")) for _ in range(3)]
    failure = redis.ConnectionError("gone")
    client.store.fail_next_round_trip = failure  # for the next round trip: the combined one
    assert client.store.async_gate is not None
    client.store.async_gate.set()
    assert await direct is True
    outcomes = await asyncio.gather(*queued, return_exceptions=True)
    assert all(outcome is failure for outcome in outcomes)
    assert [len(batch) for batch in client.store.round_trips] == [1, 3]
    assert await combiner.execute("GET", "a") == 1
    assert not combiner._busy and not combiner._pending


def test_async_code_can_import_the_combiner_so_that_its_sync_twin_gets_the_sync_one() -> None:
    import importlib.util
    from pathlib import Path

    import redisai_core._autopipe as autopipe

    path = Path(__file__).resolve().parents[2] / "scripts" / "unasync.py"
    spec = importlib.util.spec_from_file_location("_unasync_script", path)
    assert spec is not None and spec.loader is not None
    unasync = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(unasync)
    line = "from ..._autopipe import AsyncCommandCombiner\n"
    assert unasync.convert(line, set()) == "from ..._autopipe import CommandCombiner\n"
    assert autopipe.AsyncCommandCombiner is AsyncCommandCombiner
    assert autopipe.CommandCombiner is CommandCombiner
