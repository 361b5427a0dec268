"""langchain-redis RedisChatMessageHistory: read N messages, append one. Runs in .venv-lcr only."""

from __future__ import annotations

import argparse
import contextlib
import json
import time
import uuid
import warnings

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_redis import RedisChatMessageHistory


def conversation(n: int) -> list[BaseMessage]:
    """The same conversation bench_history.py builds (kept in step by hand)."""
    out: list[BaseMessage] = []
    for i in range(n // 2):
        out.append(HumanMessage(f"question {i}: " + "how does this work? " * 8, id=f"h{i}"))
        tool_calls = [{"name": "search", "args": {"q": f"topic {i}"}, "id": f"call_{i}"}]
        out.append(
            AIMessage(
                f"answer {i}: " + "it works like this. " * 12,
                id=f"a{i}",
                tool_calls=tool_calls if i % 3 == 0 else [],
                usage_metadata={"input_tokens": 40, "output_tokens": 60, "total_tokens": 100},
                response_metadata={"model_name": "bench-model", "finish_reason": "stop"},
            )
        )
    return out


def timed(fn, n: int) -> list[float]:  # type: ignore[no-untyped-def]
    for _ in range(min(20, n)):
        fn()
    samples = []
    for _ in range(n):
        start = time.perf_counter_ns()
        fn()
        samples.append((time.perf_counter_ns() - start) / 1000)
    samples.sort()
    return samples


def main() -> None:
    warnings.simplefilter("ignore")  # its own deprecation notices would clutter the output
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--messages", type=int, default=600)
    parser.add_argument("--reads", type=int, default=50)
    parser.add_argument("--appends", type=int, default=500)
    args = parser.parse_args()
    tag = uuid.uuid4().hex[:6]
    messages = conversation(args.messages)
    history = RedisChatMessageHistory(
        f"read-{tag}", redis_url=args.url, key_prefix=f"bench_lcr_{tag}:",
        index_name=f"idx:bench_lcr_{tag}",
    )  # fmt: skip
    history.add_messages(messages)
    back = history.messages
    lossless = back == messages
    reads = timed(lambda: history.messages, args.reads)
    # its own index: langchain-redis 0.2.6 fails to reopen an existing index under RESP3
    writer = RedisChatMessageHistory(
        f"write-{tag}", redis_url=args.url, key_prefix=f"bench_lcr_w_{tag}:",
        index_name=f"idx:bench_lcr_w_{tag}",
    )  # fmt: skip
    one = messages[1]
    appends = timed(lambda: writer.add_message(one), args.appends)
    history.clear()
    writer.clear()
    for name in (f"idx:bench_lcr_{tag}", f"idx:bench_lcr_w_{tag}"):
        # best-effort cleanup of the competitor's own indexes
        with contextlib.suppress(Exception):
            history.redis_client.ft(name).dropindex(delete_documents=True)
    print(json.dumps({
        "read_p50_us": reads[len(reads) // 2],
        "append_p50_us": appends[len(appends) // 2],
        "read_count": len(back),
        "lossless": lossless,
    }))  # fmt: skip


if __name__ == "__main__":
    main()
