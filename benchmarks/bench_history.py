"""Chat history: read a 600-message history and append one message, ours vs the baselines.

Rows, all against one embedded server in one run (rounds interleaved, medians of per-round
p50s):

- ``RedisAIChatMessageHistory`` (LangChain skin, sync and async) and ``RedisAIChatStore``
  (LlamaIndex skin);
- the floor: ``LRANGE`` + ``json.loads`` + langchain's own ``messages_from_dict`` on the same
  conversation stored as ``message_to_dict`` JSON (the obvious implementation);
- a raw ``RPUSH`` of one serialized message (the append baseline) and a raw ``LRANGE`` (the
  read's network share);
- langchain-redis ``RedisChatMessageHistory`` (``benchmarks/.venv-lcr``) and llama-index
  ``RedisChatStore`` (``benchmarks/.venv-lir``) as subprocesses; skipped with a note when their
  venv is missing, and always with ``--quick``.

Every read is checked for fidelity (read back == written) and the result printed.

    .venv/bin/python benchmarks/bench_history.py [--messages 600] [--rounds 3] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import redis
import redis.asyncio
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    message_to_dict,
    messages_from_dict,
)
from llama_index.core.llms import ChatMessage

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import median, pct, run_competitor, time_calls

from langchain_redisai import RedisAIChatMessageHistory
from llamaindex_redisai import RedisAIChatStore
from redisai_core import ChatHistory, EmbeddedRedis, KeySpace
from redisai_core.history_record import HistoryKeys


def conversation(n: int) -> list[BaseMessage]:
    """A realistic conversation: tool calls on every third answer, usage, metadata, ids."""
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


def llama_conversation(n: int) -> list[ChatMessage]:
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


def interleaved(
    fns: dict[str, Callable[[], object]], n: int, warmup: int = 50
) -> dict[str, list[float]]:
    """Durations (us) of ``n`` calls of each function, taking turns call by call."""
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    out: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(n):
        for name, fn in fns.items():
            start = time.perf_counter_ns()
            fn()
            out[name].append((time.perf_counter_ns() - start) / 1000)
    return out


def time_async(fn: Callable[[], Awaitable[Any]], n: int, warmup: int = 20) -> list[float]:
    async def run() -> list[float]:
        for _ in range(warmup):
            await fn()
        out = []
        for _ in range(n):
            start = time.perf_counter_ns()
            await fn()
            out.append((time.perf_counter_ns() - start) / 1000)
        return out

    return asyncio.get_event_loop().run_until_complete(run())  # the loop main() set


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=600)
    parser.add_argument("--reads", type=int, default=60, help="reads per measurement")
    parser.add_argument("--appends", type=int, default=1000, help="appends per measurement")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="tiny N, no competitors (CI smoke)")
    args = parser.parse_args()
    if args.quick:
        args.messages, args.reads, args.appends, args.rounds = 60, 5, 50, 1

    messages = conversation(args.messages)
    llama_messages = llama_conversation(args.messages)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    with EmbeddedRedis() as server:
        tag = uuid.uuid4().hex[:6]
        prefix = f"bench{tag}"
        raw = redis.Redis.from_url(server.url)
        araw = redis.asyncio.Redis.from_url(server.url)
        ours = RedisAIChatMessageHistory("read", server.url, prefix=f"{prefix}:lc")
        ours.add_messages(messages)
        writer = RedisAIChatMessageHistory("write", server.url, prefix=f"{prefix}:lc")
        core = ChatHistory(server.url, prefix=f"{prefix}:core")
        store = RedisAIChatStore(server.url, prefix=f"{prefix}:li")
        store.set_messages("read", llama_messages)
        floor_key = f"{prefix}:floor"
        raw.rpush(floor_key, *[json.dumps(message_to_dict(m)) for m in messages])
        raw_key = f"{prefix}:raw"
        one = messages[1]
        # the very bytes our history stored for it, for the raw RPUSH and the core rows
        one_bytes = raw.lindex(HistoryKeys(KeySpace(f"{prefix}:lc")).messages("read"), 1)

        def floor_read() -> list[BaseMessage]:
            return messages_from_dict([json.loads(v) for v in raw.lrange(floor_key, 0, -1)])

        fidelity = {
            "RedisAIChatMessageHistory": ours.messages == messages,
            "async RedisAIChatMessageHistory": loop.run_until_complete(ours.aget_messages())
            == messages,
            "RedisAIChatStore": store.get_messages("read") == llama_messages,
            "floor LRANGE+messages_from_dict": floor_read() == messages,
        }

        reads: dict[str, list[float]] = {
            "raw LRANGE (bytes only)": [],
            "floor LRANGE+messages_from_dict": [],
            "RedisAIChatMessageHistory": [],
            "async RedisAIChatMessageHistory": [],
            "RedisAIChatStore": [],
        }
        appends: dict[str, list[float]] = {
            "raw RPUSH": [],
            "core ChatHistory.append (bytes)": [],
            "RedisAIChatMessageHistory": [],
            "async raw RPUSH": [],
            "async RedisAIChatMessageHistory": [],
        }
        competitors: dict[str, list[dict[str, Any]]] = {"langchain-redis": [], "llama-index": []}
        for _ in range(args.rounds):
            n, m = args.reads, args.appends
            reads["raw LRANGE (bytes only)"].append(
                pct(time_calls(lambda: raw.lrange(floor_key, 0, -1), n, 5), 50)
            )
            reads["floor LRANGE+messages_from_dict"].append(pct(time_calls(floor_read, n, 5), 50))
            reads["RedisAIChatMessageHistory"].append(
                pct(time_calls(lambda: ours.messages, n, 5), 50)
            )
            reads["async RedisAIChatMessageHistory"].append(
                pct(time_async(ours.aget_messages, n, 5), 50)
            )
            reads["RedisAIChatStore"].append(
                pct(time_calls(lambda: store.get_messages("read"), n, 5), 50)
            )
            # interleaved call by call, so that drift on this shared machine hits all alike
            for name, samples in interleaved(
                {
                    "raw RPUSH": lambda: raw.rpush(raw_key, one_bytes),
                    "core ChatHistory.append (bytes)": lambda: core.append("w", [one_bytes]),
                    "RedisAIChatMessageHistory": lambda: writer.add_messages([one]),
                },
                m,
            ).items():
                appends[name].append(pct(samples, 50))
            appends["async raw RPUSH"].append(
                pct(time_async(lambda: araw.rpush(raw_key, one_bytes), m), 50)
            )
            appends["async RedisAIChatMessageHistory"].append(
                pct(time_async(lambda: writer.aadd_messages([one]), m), 50)
            )
            if args.quick:
                continue
            common = ["--url", server.url, "--messages", str(args.messages),
                      "--reads", str(args.reads), "--appends", str(args.appends)]  # fmt: skip
            for name, venv, script in (
                ("langchain-redis", ".venv-lcr", "lcr_history.py"),
                ("llama-index", ".venv-lir", "lir_chat_store.py"),
            ):
                result = run_competitor(venv, script, *common)
                if result is not None:
                    competitors[name].append(result)

        if competitors["langchain-redis"]:
            runs = competitors["langchain-redis"]
            reads["langchain-redis RedisChatMessageHistory"] = [r["read_p50_us"] for r in runs]
            appends["langchain-redis RedisChatMessageHistory"] = [r["append_p50_us"] for r in runs]
            fidelity["langchain-redis RedisChatMessageHistory"] = all(r["lossless"] for r in runs)
        if competitors["llama-index"]:
            runs = competitors["llama-index"]
            reads["llama-index RedisChatStore"] = [r["read_p50_us"] for r in runs]
            appends["llama-index RedisChatStore"] = [r["append_p50_us"] for r in runs]
            fidelity["llama-index RedisChatStore"] = all(r["lossless"] for r in runs)

        print(f"chat history, {args.messages} messages, {args.rounds} round(s); "
              f"p50 per round, median over rounds")  # fmt: skip
        ours_read = median(reads["RedisAIChatMessageHistory"])
        print(f"\nread whole history ({args.reads} reads per round)")
        print(f"{'':42} {'p50 ms':>9} {'x ours':>8}  read back == written")
        for name, values in reads.items():
            same = fidelity.get(name, "")
            print(
                f"{name:42} {median(values) / 1000:9.2f} {median(values) / ours_read:8.2f}  {same}"
            )
        rpush = median(appends["raw RPUSH"])
        arpush = median(appends["async raw RPUSH"])
        print(f"\nappend one message ({args.appends} appends per round)")
        print(f"{'':42} {'p50 us':>9} {'x RPUSH':>8}  (async rows: x async RPUSH)")
        for name, values in appends.items():
            base = arpush if name.startswith("async") else rpush
            print(f"{name:42} {median(values):9.1f} {median(values) / base:8.2f}")
        floor = median(reads["floor LRANGE+messages_from_dict"])
        print(f"\nread speed-up over the floor: {floor / ours_read:.2f}x")
        if "langchain-redis RedisChatMessageHistory" in reads:
            lcr = median(reads["langchain-redis RedisChatMessageHistory"])
            print(f"read speed-up over langchain-redis: {lcr / ours_read:.2f}x")
        elif not args.quick:
            print("langchain-redis skipped: create benchmarks/.venv-lcr (see benchmarks/README.md)")
        if "llama-index RedisChatStore" in reads:
            lir = median(reads["llama-index RedisChatStore"])
            ours_li = median(reads["RedisAIChatStore"])
            print(f"RedisAIChatStore read speed-up over llama-index: {lir / ours_li:.2f}x")
        elif not args.quick:
            print("llama-index skipped: create benchmarks/.venv-lir (see benchmarks/README.md)")
        if args.quick:
            print("(--quick: competitors skipped)")

        ours.clear()
        writer.clear()
        store.clear()
        raw.delete(floor_key, raw_key)
        loop.run_until_complete(araw.aclose())
        loop.run_until_complete(ours.aclose())
        loop.run_until_complete(writer.aclose())
        core.clear()
        for closable in (store, raw, core):
            closable.close()
    asyncio.set_event_loop(None)
    loop.close()


if __name__ == "__main__":
    main()
