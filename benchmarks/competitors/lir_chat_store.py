"""llama-index RedisChatStore: read N messages, append one. Runs in .venv-lir only."""

from __future__ import annotations

import argparse
import json
import time
import uuid

from llama_index.core.llms import ChatMessage
from llama_index.storage.chat_store.redis import RedisChatStore


def conversation(n: int) -> list[ChatMessage]:
    """The same conversation bench_history.py builds for LlamaIndex (kept in step by hand)."""
    out = []
    for i in range(n // 2):
        out.append(ChatMessage(role="user", content=f"question {i}: " + "how does this work? " * 8))
        kwargs = {
            "tool_calls": [
                {
                    "id": f"call_{i}",
                    "type": "function",
                    "function": {"name": "search", "arguments": "{}"},
                }
            ]
        }
        out.append(
            ChatMessage(
                role="assistant",
                content=f"answer {i}: " + "it works like this. " * 12,
                additional_kwargs=kwargs if i % 3 == 0 else {},
            )
        )
    return out  # fmt: skip


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
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--messages", type=int, default=600)
    parser.add_argument("--reads", type=int, default=50)
    parser.add_argument("--appends", type=int, default=500)
    args = parser.parse_args()
    tag = uuid.uuid4().hex[:6]
    store = RedisChatStore(redis_url=args.url)
    messages = conversation(args.messages)
    key, wkey = f"bench_lir_{tag}", f"bench_lir_w_{tag}"
    store.set_messages(key, messages)
    back = store.get_messages(key)
    lossless = back == messages
    reads = timed(lambda: store.get_messages(key), args.reads)
    one = messages[1]
    appends = timed(lambda: store.add_message(wkey, one), args.appends)
    store.delete_messages(key)
    store.delete_messages(wkey)
    print(json.dumps({
        "read_p50_us": reads[len(reads) // 2],
        "append_p50_us": appends[len(appends) // 2],
        "read_count": len(back),
        "lossless": lossless,
    }))  # fmt: skip


if __name__ == "__main__":
    main()
