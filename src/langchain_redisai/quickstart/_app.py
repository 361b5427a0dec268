"""The quickstart run: server, model in Redis, indexing, questions, cache demo, summary, cleanup."""

from __future__ import annotations

import os
import textwrap
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TextIO

import redis

from redisai_core import KeySpace, probe

from .. import (
    RedisAICache,
    RedisAIChatMessageHistory,
    RedisAIEmbeddings,
    RedisAIVectorStore,
)
from ._answerer import ExtractiveAnswerer
from ._chain import AnswerTimer, build_chain
from ._chat_model import chat_model_from_env, describe_model
from ._corpus import build_corpus
from ._progress import ProgressBar

__all__ = ["INFERENCE_HOSTED", "INFERENCE_MODULE", "QUESTIONS", "Outcome", "run"]

# (question, the documentation topic that answers it): the topics are indexed first.
QUESTIONS: tuple[tuple[str, str], ...] = (
    ("How does a for loop work in Python?", "for"),
    ("What does the with statement do?", "with"),
    ("How do I handle an exception?", "try"),
    ("What is a lambda expression?", "lambda"),
)
MAIN_SESSION = "quickstart"
REPEAT_SESSION = "quickstart-repeat"
INFERENCE_MODULE = "inside Redis (RedisAI module), model kept in Redis"
INFERENCE_HOSTED = "hosted: ONNX Runtime in this process, model kept in Redis"
_BATCH = 32  # passages per add_texts call: one embedding round trip and one pipeline each


@dataclass
class Outcome:
    """What a run did, for the summary (and for tests)."""

    prefix: str
    inference: str
    answering: str
    passages: int = 0
    index_seconds: float = 0.0
    hits: int = 0
    misses: int = 0
    history_length: int = 0
    sessions: list[str] = field(default_factory=list)
    removed_keys: int | None = None


class _Printer:
    def __init__(self, out: TextIO, quiet: bool) -> None:
        self.out = out
        self.quiet = quiet

    def say(self, text: str = "") -> None:
        if not self.quiet:
            print(text, file=self.out, flush=True)

    def block(self, text: str, indent: str = "    ") -> None:
        wrapped = textwrap.fill(text, width=100, initial_indent=indent, subsequent_indent=indent)
        self.say(wrapped)


def _unlink_space(client: redis.Redis, space: KeySpace) -> int:
    # Only our own key space, SCAN + UNLINK (never KEYS/FLUSH*): works under a prefix-bound ACL.
    removed = 0
    batch: list[bytes] = []
    for key in client.scan_iter(match=space.pattern(), count=500):
        batch.append(key)
        if len(batch) == 500:
            removed += int(client.unlink(*batch))
            batch = []
    if batch:
        removed += int(client.unlink(*batch))
    return removed


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}{'es' if noun.endswith('s') else 's'}"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def run(
    client: redis.Redis,
    *,
    passages: int,
    keep: bool,
    quiet: bool,
    out: TextIO,
    err: TextIO,
    environ: Mapping[str, str] | None = None,
) -> Outcome:
    """Run the quickstart against ``client``'s server and return what it did.

    Raises:
        ModuleMissingError: the server has no query engine (vector search).
        ConfigError: ``REDISAI_QUICKSTART_CHAT_MODEL`` names no usable chat model.
        RedisAICoreError: Redis failed.
    """
    env = os.environ if environ is None else environ
    p = _Printer(out, quiet)
    caps = probe(client)
    caps.require("search", "the quickstart's vector index")
    space = KeySpace(f"redisai:quickstart:{uuid.uuid4().hex[:8]}")
    outcome = Outcome(
        prefix=space.prefix,
        inference=INFERENCE_MODULE if caps.has_ai else INFERENCE_HOSTED,
        answering="",
    )
    embeddings = RedisAIEmbeddings(redis_client=client, prefix=space.key("embed"))
    store = RedisAIVectorStore(
        embeddings,
        index_name=space.key("docs"),
        redis_client=client,
        prefix=space.key("docs"),
    )
    cache = RedisAICache(redis_client=client, prefix=space.key("llmcache"))
    histories: dict[str, RedisAIChatMessageHistory] = {}

    def get_history(session_id: str) -> RedisAIChatMessageHistory:
        if session_id not in histories:
            histories[session_id] = RedisAIChatMessageHistory(
                session_id, redis_client=client, prefix=space.key("chat")
            )
        return histories[session_id]

    try:
        model = chat_model_from_env(env, cache)
        outcome.answering = describe_model(model)

        p.say("\n2. Embedding model: all-MiniLM-L6-v2 (384-d), stored in Redis")
        start = time.perf_counter()
        embeddings.embed_query("warm up")  # builds (or loads) the ONNX graph and stores it
        p.say(f"   stored under {space.key('embed')}:* in {time.perf_counter() - start:.1f} s")
        p.say(f"   inference: {outcome.inference}")

        corpus = build_corpus(passages, first_topics=[topic for _, topic in QUESTIONS])
        p.say(f"\n3. Indexing {len(corpus)} passages of the Python documentation topics")
        bar = ProgressBar("   indexing", len(corpus), err, enabled=not quiet)
        start = time.perf_counter()
        for i in range(0, len(corpus), _BATCH):
            chunk = corpus[i : i + _BATCH]
            store.add_texts(
                [x.text for x in chunk],
                metadatas=[{"topic": x.topic} for x in chunk],
                ids=[x.id for x in chunk],
            )
            bar.update(len(chunk))
        bar.close()
        outcome.passages = len(corpus)
        outcome.index_seconds = time.perf_counter() - start
        p.say(f"   {len(corpus)} passages in {outcome.index_seconds:.1f} s")

        timer = AnswerTimer(model)
        chain = build_chain(store.as_retriever(search_kwargs={"k": 3}), timer, get_history)

        def ask(question: str, session: str) -> tuple[str, float, float, bool]:
            before = cache.stats.hits
            start = time.perf_counter()
            answer = chain.invoke(
                {"question": question}, config={"configurable": {"session_id": session}}
            )
            total = time.perf_counter() - start
            return answer, total, timer.last_seconds, cache.stats.hits > before

        p.say(
            f"\n4. Questions (retrieval + LLM cache + chat memory); answering step: {outcome.answering}"
        )
        first: tuple[float, float, bool] = (0.0, 0.0, False)
        for n, (question, _) in enumerate(QUESTIONS, 1):
            answer, total, answer_time, hit = ask(question, MAIN_SESSION)
            if n == 1:
                first = (total, answer_time, hit)
            p.say(f"\n   Q{n}: {question}")
            p.block(answer, indent="       ")
            p.say(f"       ({'cache hit' if hit else 'cache miss'}; {_ms(total)} in all)")

        p.say("\n5. The first question again, in a new session (same prompt): served from Redis")
        answer, total, answer_time, hit = ask(QUESTIONS[0][0], REPEAT_SESSION)
        p.say(
            f"   1st ask: {'cache hit' if first[2] else 'cache miss'}, answer step {_ms(first[1])}, "
            f"{_ms(first[0])} in all"
        )
        p.say(
            f"   2nd ask: {'cache hit' if hit else 'cache miss'}, answer step {_ms(answer_time)}, "
            f"{_ms(total)} in all (retrieval still runs)"
        )
        if isinstance(model, ExtractiveAnswerer):
            # Say it plainly: the stand-in is as cheap as a cache lookup, so no gain shows here.
            p.block(
                "(the extractive stand-in costs about as much as the cache lookup; with a chat"
                " model, the miss pays for the model call and the hit does not)",
                indent="   ",
            )

        outcome.hits, outcome.misses = cache.stats.hits, cache.stats.misses
        outcome.sessions = list(histories)
        outcome.history_length = len(get_history(MAIN_SESSION).messages)
    finally:
        if not keep:
            store.clear(drop_index=True)
            cache.clear()
            for history in histories.values():
                history.clear()
        for history in histories.values():
            history.close()
        cache.close()
        store.close()
        # Closed before the sweep below: the hosted executor writes its AI.INFO statistics
        # from a background thread, so a key can appear until it is closed.
        embeddings.close()
        if keep:
            p.say(f"\nKeys kept under {space.prefix}:* (--keep)")
        else:
            # The stored model and the executor's statistics have no clear method on the
            # skins; they are ours too, under the same run-unique prefix.
            outcome.removed_keys = _unlink_space(client, space)
    return outcome


def print_summary(outcome: Outcome, out: TextIO) -> None:
    """The summary block (always printed, also with ``--quiet``)."""
    rate = outcome.passages / outcome.index_seconds if outcome.index_seconds else 0.0
    lines = [
        "",
        "Summary",
        f"  passages indexed: {outcome.passages} in {outcome.index_seconds:.1f} s ({rate:.0f}/s)",
        f"  LLM cache (exact): {_count(outcome.hits, 'hit')}, {_count(outcome.misses, 'miss')}",
        f"  chat history: {outcome.history_length} messages in session '{MAIN_SESSION}'",
        f"  embedding inference: {outcome.inference}",
        f"  answering step: {outcome.answering}",
        (
            f"  keys: kept under {outcome.prefix}:*"
            if outcome.removed_keys is None
            else f"  keys: cleaned up (everything under {outcome.prefix}:*)"
        ),
    ]
    print("\n".join(lines), file=out, flush=True)
