"""The auto-batching engine with a recording fake runner (the I/O seam is the model run)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time

import numpy as np
import pytest

from redisai_core import ModelExecutionError
from redisai_core.ai import _errors as msg
from redisai_core.ai._hosted._batcher import TIMEDOUT, Engine, Outcome

pytestmark = pytest.mark.timeout(30)


class Recorder:
    """Doubles its input; records each run's batch dim 0; can be held to queue requests."""

    def __init__(self, fail: Exception | None = None, shrink: bool = False) -> None:
        self.batches: list[int] = []
        self.gate = threading.Event()
        self.gate.set()
        self.entered = threading.Event()  # set when a run has started (and may be held)
        self.fail = fail
        self.shrink = shrink

    def __call__(self, inputs):
        self.entered.set()
        self.gate.wait(10)
        self.batches.append(int(inputs[0].shape[0]))
        if self.fail is not None:
            raise self.fail
        out = inputs[0] * 2
        return [out[:1] if self.shrink else out]


def rows(n: int, value: float = 1.0, width: int = 3) -> np.ndarray:
    return np.full((n, width), value, np.float32)


def results(futures) -> list:
    return [f.result(10) for f in futures]


def test_batchsize_zero_runs_each_request_alone():
    runner = Recorder()
    engine = Engine(runner)
    outs = results([engine.async_submit([rows(2, i)]) for i in range(3)])
    assert runner.batches == [2, 2, 2]
    assert [o.outputs[0][0, 0] for o in outs] == [0, 2, 4]
    assert engine.runs == 3


def test_queued_requests_are_batched_and_sliced_back_in_order():
    runner = Recorder()
    engine = Engine(runner, batchsize=8)
    runner.gate.clear()
    blocker = engine.async_submit(
        [rows(8, 9)]
    )  # runs alone (size >= batchsize) and holds the queue
    assert runner.entered.wait(10)
    futures = [engine.async_submit([rows(1 + i % 2, i)]) for i in range(5)]
    runner.gate.set()
    outs = results([blocker, *futures])
    # 1+2+1+2+1 = 7 rows queued behind the blocker: one batch.
    assert runner.batches == [8, 7]
    for i, out in enumerate(outs[1:]):
        assert isinstance(out, Outcome)
        assert out.outputs[0].shape == (1 + i % 2, 3)
        assert (out.outputs[0] == 2 * i).all()


def test_the_last_joiner_may_push_the_batch_over_batchsize():
    runner = Recorder()
    engine = Engine(runner, batchsize=4)
    runner.gate.clear()
    blocker = engine.async_submit([rows(4)])
    assert runner.entered.wait(10)
    futures = [
        engine.async_submit([rows(3)]),
        engine.async_submit([rows(3)]),
        engine.async_submit([rows(1)]),
    ]
    runner.gate.set()
    results([blocker, *futures])
    assert runner.batches == [4, 6, 1]


def test_incompatible_requests_are_not_batched_together():
    runner = Recorder()
    engine = Engine(runner, batchsize=8)
    runner.gate.clear()
    blocker = engine.async_submit([rows(8)])
    assert runner.entered.wait(10)
    futures = [
        engine.async_submit([rows(1, width=3)]),
        engine.async_submit([rows(1, width=4)]),
        engine.async_submit([rows(1, width=3)]),
        engine.async_submit([rows(1, width=3).astype(np.float64)]),
        engine.async_submit([rows(1), rows(1)]),
    ]
    runner.gate.set()
    results([blocker, *futures])
    assert runner.batches == [8, 2, 1, 1, 1]


def test_minbatchsize_waits_without_blocking_other_shapes():
    runner = Recorder()
    engine = Engine(runner, batchsize=4, minbatchsize=2)
    waiting = engine.async_submit([rows(1, width=3)])
    alone = engine.async_submit([rows(5, width=7)])  # >= batchsize: runs at once
    assert alone.result(5).outputs[0].shape == (5, 7)
    assert not waiting.done()
    partner = engine.async_submit([rows(1, width=3)])
    results([waiting, partner])
    assert runner.batches == [5, 2]


def test_minbatchtimeout_releases_the_batch():
    runner = Recorder()
    engine = Engine(runner, batchsize=4, minbatchsize=4, minbatchtimeout=50)
    started = time.monotonic()
    assert isinstance(engine.async_submit([rows(1)]).result(5), Outcome)
    assert time.monotonic() - started >= 0.045
    assert runner.batches == [1]


def test_timeout_is_queue_wait_and_the_request_never_runs():
    runner = Recorder()
    engine = Engine(runner, batchsize=2, minbatchsize=2)
    future = engine.async_submit([rows(1)], deadline=time.monotonic() + 0.05)
    assert future.result(5) == TIMEDOUT
    assert runner.batches == []
    runner.gate.clear()
    first = engine.async_submit([rows(2)])
    assert runner.entered.wait(10)
    late = engine.async_submit([rows(2)], deadline=time.monotonic() + 0.01)
    time.sleep(0.1)
    runner.gate.set()
    assert isinstance(first.result(5), Outcome)
    assert late.result(5) == TIMEDOUT
    assert runner.batches == [2]


def test_backend_error_and_batch_size_error_reach_every_request():
    for runner, expected in (
        (Recorder(fail=ModelExecutionError("boom")), "boom"),
        (Recorder(shrink=True), msg.BATCH_SIZE_MISMATCH),
    ):
        engine = Engine(runner, batchsize=4, minbatchsize=2)
        futures = [engine.async_submit([rows(1)]), engine.async_submit([rows(1)])]
        for future in futures:
            with pytest.raises(ModelExecutionError) as info:
                future.result(5)
            assert info.value.message == expected
        assert engine.runs == 1


def test_single_request_output_dim_is_not_checked():
    engine = Engine(Recorder(shrink=True), batchsize=4)
    assert engine.async_submit([rows(3)]).result(5).outputs[0].shape == (1, 3)


def test_unexpected_runner_failure_is_an_execution_error():
    engine = Engine(Recorder(fail=RuntimeError("bug")))
    with pytest.raises(ModelExecutionError, match="bug"):
        engine.async_submit([rows(1)]).result(5)


def test_cancelled_requests_are_skipped_and_close_refuses_new_ones():
    runner = Recorder()
    engine = Engine(runner, batchsize=4, minbatchsize=2)
    future = engine.async_submit([rows(1)])
    assert future.cancel()
    engine.async_submit([rows(1)], deadline=time.monotonic() + 0.05).result(5)
    assert runner.batches == []
    engine.close()
    with pytest.raises(RuntimeError):
        engine.async_submit([rows(1)])


def test_threads_submitting_together_share_runs():
    runner = Recorder()
    engine = Engine(runner, batchsize=16, minbatchsize=16, minbatchtimeout=2000)
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        outs = list(pool.map(lambda i: engine.async_submit([rows(1, i)]).result(10), range(16)))
    assert runner.batches == [16]
    assert [float(o.outputs[0][0, 0]) for o in outs] == [2.0 * i for i in range(16)]


def test_blocking_callers_run_an_idle_engines_request_in_their_own_thread():
    seen: list[str] = []

    def runner(inputs):
        seen.append(threading.current_thread().name)
        return [inputs[0]]

    engine = Engine(runner, batchsize=4)
    future = engine.submit([rows(1)])
    assert future.done()  # ran inline: no handoff to the worker thread
    assert seen == [threading.current_thread().name]
    # A request that must wait for company is queued, never run inline.
    waiting = Engine(runner, batchsize=4, minbatchsize=2)
    pending = waiting.submit([rows(1)], deadline=time.monotonic() + 0.05)
    assert pending.result(5) == TIMEDOUT


def test_queued_requests_wait_for_an_inline_run_and_can_time_out_behind_it():
    runner = Recorder()
    engine = Engine(runner)
    runner.gate.clear()
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        inline = pool.submit(lambda: engine.submit([rows(2)]).result(10))
        assert runner.entered.wait(10)  # the inline run is now holding the model
        late = engine.submit([rows(1)], deadline=time.monotonic() + 0.01)
        queued = engine.submit([rows(3)])
        time.sleep(0.05)
        assert not queued.done()
        runner.gate.set()
        assert isinstance(inline.result(10), Outcome)
    assert late.result(5) == TIMEDOUT
    assert isinstance(queued.result(5), Outcome)
    assert runner.batches == [2, 3]


def test_blocking_run_returns_the_outcome_and_raises_the_run_error():
    assert float(Engine(Recorder()).run([rows(1, 3.0)]).outputs[0][0, 0]) == 6.0
    failing = Engine(Recorder(fail=ModelExecutionError("ERR boom")))
    with pytest.raises(ModelExecutionError, match="boom"):
        failing.run([rows(1)])


async def test_asyncio_callers_are_batched_through_the_worker_thread():
    runner = Recorder()
    engine = Engine(runner, batchsize=16, minbatchsize=8, minbatchtimeout=5000)
    outs = await asyncio.gather(*(engine.async_run([rows(1, i)]) for i in range(8)))
    assert runner.batches == [8]  # one run for all eight tasks: nothing ran inline
    assert [float(o.outputs[0][0, 0]) for o in outs] == [2.0 * i for i in range(8)]


async def test_asyncio_requests_never_run_in_the_loop_thread():
    seen: list[str] = []

    def runner(inputs):
        seen.append(threading.current_thread().name)
        return [inputs[0]]

    engine = Engine(runner, batchsize=4)
    for _ in range(3):
        await engine.async_run([rows(1)])
        await asyncio.sleep(0.01)  # the engine is idle again: still not run inline
    assert seen == ["redisai-batch:model"] * 3


async def test_a_cancelled_asyncio_caller_never_runs_and_others_carry_on():
    runner = Recorder()
    engine = Engine(runner, batchsize=4, minbatchsize=2, minbatchtimeout=200)
    lone = asyncio.ensure_future(engine.async_run([rows(1, 5.0)]))
    await asyncio.sleep(0.02)  # queued, waiting for company
    lone.cancel()
    with pytest.raises(asyncio.CancelledError):
        await lone
    outs = await asyncio.gather(engine.async_run([rows(1, 1.0)]), engine.async_run([rows(1, 2.0)]))
    assert runner.batches == [2]
    assert [float(o.outputs[0][0, 0]) for o in outs] == [2.0, 4.0]
