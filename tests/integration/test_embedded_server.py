"""The embedded server: modules, search, lifecycle, persistence, and the command-line entry."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import redis

from redisai_core import EmbeddedRedis, EmbeddedServerError, probe
from redisai_core.server import running_servers


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); read its state.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


def test_embedded_server_has_search_and_json() -> None:
    with EmbeddedRedis() as server:
        caps = probe(redis.Redis.from_url(server.url))
        assert caps.has_search and caps.has_json
        assert caps.redis_version >= (8, 2, 0)


def test_hnsw_index_and_knn_query() -> None:
    with EmbeddedRedis() as server:
        r = redis.Redis.from_url(server.url, protocol=2)
        r.execute_command(
            "FT.CREATE", "idx", "ON", "HASH", "PREFIX", "1", "doc:", "SCHEMA",
            "tag", "TAG", "v", "VECTOR", "HNSW", "6", "TYPE", "FLOAT32", "DIM", "4",
            "DISTANCE_METRIC", "COSINE",
        )  # fmt: skip
        vectors = np.eye(4, dtype=np.float32)
        for i, vec in enumerate(vectors):
            r.hset(f"doc:{i}", mapping={"tag": "a", "v": vec.tobytes()})
        query = np.array([0.1, 0.9, 0.0, 0.0], dtype=np.float32)
        reply = r.execute_command(
            "FT.SEARCH", "idx", "*=>[KNN 2 @v $q AS score]", "PARAMS", "2", "q", query.tobytes(),
            "SORTBY", "score", "RETURN", "1", "score", "DIALECT", "2",
        )  # fmt: skip
        assert reply[0] == 2
        assert reply[1] == b"doc:1"


def test_plain_server_has_no_modules() -> None:
    with EmbeddedRedis(modules=False) as server:
        caps = probe(redis.Redis.from_url(server.url))
        assert not caps.has_search and not caps.has_json and not caps.has_ai


def test_stop_leaves_no_process_and_no_directory() -> None:
    server = EmbeddedRedis().start()
    pid, data_dir = server.pid, server.data_dir
    assert pid is not None and data_dir is not None and data_dir.is_dir()
    assert server in running_servers()
    server.stop()
    assert not _alive(pid)
    assert not data_dir.exists()
    assert server not in running_servers()
    server.stop()  # idempotent


def test_context_manager_stops_on_exception() -> None:
    pid = None
    with pytest.raises(RuntimeError), EmbeddedRedis(modules=False) as server:
        pid = server.pid
        raise RuntimeError("boom")
    assert pid is not None and not _alive(pid)


def test_server_dies_with_its_owner_process() -> None:
    # The owner is SIGKILLed: no atexit runs, yet the kernel's parent-death signal stops Redis.
    code = (
        "from redisai_core import EmbeddedRedis; import sys, time; s = EmbeddedRedis(modules=False)"
        ".start(); print(s.pid, flush=True); time.sleep(60)"
    )
    with subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True) as owner:
        assert owner.stdout is not None
        pid = int(owner.stdout.readline())
        assert _alive(pid)
        owner.kill()
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)


def test_aof_persistence_survives_a_restart(tmp_path: Path) -> None:
    with EmbeddedRedis(modules=False, persistence=True, data_dir=tmp_path) as server:
        redis.Redis.from_url(server.url).set("k", "v")
    assert any(tmp_path.rglob("*.aof"))
    with EmbeddedRedis(modules=False, persistence=True, data_dir=tmp_path) as server:
        assert redis.Redis.from_url(server.url).get("k") == b"v"


def test_password_and_extra_config() -> None:
    with EmbeddedRedis(modules=False, password="pw", config={"maxmemory": "64mb"}) as server:
        client = redis.Redis.from_url(server.url)
        assert client.config_get("maxmemory")["maxmemory"] == str(64 * 1024 * 1024)
        with pytest.raises(redis.AuthenticationError):
            redis.Redis(port=server.port).ping()


def test_a_bad_directive_is_reported_with_the_log() -> None:
    with pytest.raises(EmbeddedServerError, match="exited"):
        EmbeddedRedis(modules=False, config={"no-such-directive": "1"}).start()


def test_command_line_prints_url_and_stops_cleanly() -> None:
    with subprocess.Popen(
        [sys.executable, "-m", "redisai_core.server", "--no-modules"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("redis://127.0.0.1:")
        with redis.Redis.from_url(url) as client:
            assert client.ping()
            server_pid = int(client.info("server")["process_id"])
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == 0
    assert not _alive(server_pid)
