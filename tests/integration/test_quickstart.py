"""The quickstart end to end against the test server: in-process, and as ``python -m``."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
import redis

from langchain_redisai.quickstart import main
from redisai_core import KeySpace

pytestmark = pytest.mark.slow


def test_quickstart_in_process(redis_env: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--passages", "30"]) == 0
    out, err = capsys.readouterr()

    assert f"1. Redis: {redis_env} (from REDIS_URL)" in out
    assert "inference: hosted: ONNX Runtime in this process, model kept in Redis" in out
    assert "indexing [" in err and "30/30" in err  # the progress bar goes to stderr
    # Retrieval found the passage that answers the first question; the stand-in says what it is.
    q1 = " ".join(out.split("Q1: ", 1)[1].split("Q2: ", 1)[0].split())
    assert '[extractive stand-in, not a language model] From the Python docs topic "for"' in q1
    assert "(cache miss;" in q1
    # Chat memory reached the answering step: the fourth answer knows three questions came before.
    q4 = " ".join(out.split("Q4: ", 1)[1].split())  # answers are wrapped: compare words
    assert "Chat memory: 3 earlier question(s) in this session." in q4
    # The same question twice: a miss first, then a hit served from Redis, both timed.
    assert re.search(r"1st ask: cache miss, answer step [\d.]+ ms, [\d.]+ ms in all", out)
    assert re.search(r"2nd ask: cache hit, answer step [\d.]+ ms, [\d.]+ ms in all", out)

    summary = out.split("\nSummary\n", 1)[1]
    assert re.search(r"passages indexed: 30 in [\d.]+ s", summary)
    assert "LLM cache (exact): 1 hit, 4 misses" in summary
    assert "chat history: 8 messages in session 'quickstart'" in summary
    prefix = re.search(r"keys: cleaned up \(everything under (\S+):\*\)", summary)
    assert prefix is not None
    with redis.Redis.from_url(redis_env) as client:
        assert list(client.scan_iter(match=KeySpace(prefix.group(1)).pattern())) == []


def test_quickstart_keep_and_quiet(redis_env: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--passages", "5", "--quiet", "--keep"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("\nSummary\n")  # --quiet: the summary only
    assert err == ""
    assert "passages indexed: 5 in" in out
    prefix = re.search(r"keys: kept under (\S+):\*", out)
    assert prefix is not None
    space = KeySpace(prefix.group(1))
    with redis.Redis.from_url(redis_env) as client:
        kept = list(client.scan_iter(match=space.pattern()))
        assert kept  # documents, cache entries, histories and the model stay for inspection
        client.unlink(*kept)


def test_quickstart_as_module(redis_url: str) -> None:
    env = {**os.environ, "REDIS_URL": redis_url}
    env.pop("REDISAI_QUICKSTART_CHAT_MODEL", None)
    done = subprocess.run(
        [sys.executable, "-m", "langchain_redisai.quickstart", "--passages", "50"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert not done.stdout.startswith("redis://")  # see scripts/run_main_job.py
    assert "passages indexed: 50 in" in done.stdout
    assert "LLM cache (exact): 1 hit, 4 misses" in done.stdout


def test_quickstart_reports_an_unreachable_server(capsys: pytest.CaptureFixture[str]) -> None:
    # Port 1 on localhost: nothing listens there, so the connection is refused at once.
    assert main(["--redis-url", "redis://127.0.0.1:1/0", "--quiet"]) == 1
    assert "redisai-quickstart: error:" in capsys.readouterr().err


def test_quickstart_needs_the_query_engine(
    plain_redis_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--redis-url", plain_redis_url, "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "redisai-quickstart: error:" in err
    assert "search" in err  # names the missing module
    with redis.Redis.from_url(plain_redis_url) as client:
        assert list(client.scan_iter(match="redisai:quickstart:*")) == []
