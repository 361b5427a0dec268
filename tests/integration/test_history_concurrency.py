"""Concurrent writers of one chat session: separate processes, and threads writing batches."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import uuid
from concurrent.futures import ThreadPoolExecutor

from redisai_core import ChatHistory

WRITER = textwrap.dedent(
    """
    import sys
    from redisai_core import ChatHistory

    url, prefix, writer, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    history = ChatHistory(url, prefix=prefix)
    for i in range(n):
        history.append("shared", [f"{writer}:{i}".encode()])
    history.close()
    """
)


def test_eight_processes_appending_250_each_give_2000_in_writer_order(
    plain_redis_url: str,
) -> None:
    prefix = f"t{uuid.uuid4().hex[:10]}"
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, plain_redis_url, prefix, str(w), "250"])
        for w in range(8)
    ]
    for proc in procs:
        assert proc.wait(timeout=60) == 0
    history = ChatHistory(plain_redis_url, prefix=prefix)
    stored = [value.decode() for value in history.read("shared")]
    assert len(stored) == 2000
    by_writer: dict[str, list[int]] = {}
    for value in stored:
        writer, i = value.split(":")
        by_writer.setdefault(writer, []).append(int(i))
    assert by_writer == {str(w): list(range(250)) for w in range(8)}
    history.clear()
    history.close()


def test_batches_from_threads_land_whole(plain_redis_url: str) -> None:
    history = ChatHistory(plain_redis_url, prefix=f"t{uuid.uuid4().hex[:10]}")

    def write(writer: int) -> None:
        for i in range(50):
            history.append("s", [f"{writer}:{i}:{part}".encode() for part in range(3)])

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(write, range(8)))
    stored = [value.decode().split(":") for value in history.read("s")]
    assert len(stored) == 8 * 50 * 3
    for start in range(0, len(stored), 3):
        batch = stored[start : start + 3]
        assert [part for _, _, part in batch] == ["0", "1", "2"]
        assert len({(w, i) for w, i, _ in batch}) == 1  # one batch, never interleaved
    history.clear()
    history.close()
