"""How the embedded server's process is started (no server, no sockets: a ``sleep`` child)."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from redisai_core.server import _embedded

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or shutil.which("sleep") is None,
    reason="the parent-death signal is Linux only",
)


def _start_in_short_lived_thread(cwd: Path) -> subprocess.Popen[bytes]:
    started: list[subprocess.Popen[bytes]] = []
    thread = threading.Thread(target=lambda: started.append(_embedded._popen(["sleep", "30"], cwd)))
    thread.start()
    thread.join()
    return started[0]


def test_a_child_started_from_a_thread_outlives_that_thread(tmp_path: Path) -> None:
    # Linux delivers the parent-death signal when the forking *thread* exits; a server
    # restarted from a helper thread must keep running after that thread is gone.
    proc = _start_in_short_lived_thread(tmp_path)
    try:
        time.sleep(0.3)
        assert proc.poll() is None, f"child ended with {proc.returncode}"
    finally:
        proc.kill()
        proc.wait()


def test_the_child_still_gets_the_parent_death_signal(tmp_path: Path) -> None:
    # The kernel stops the child when its forking thread ends: prove the signal is armed by
    # forking from a thread that we then let end, bypassing the long-lived spawner.
    done = threading.Event()
    started: list[subprocess.Popen[bytes]] = []

    def fork_here() -> None:
        started.append(
            subprocess.Popen(["sleep", "30"], cwd=tmp_path, preexec_fn=_embedded._die_with_parent)  # noqa: PLW1509
        )
        done.set()

    thread = threading.Thread(target=fork_here)
    thread.start()
    thread.join()
    proc = started[0]
    try:
        assert proc.wait(timeout=10) == -signal.SIGTERM
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
