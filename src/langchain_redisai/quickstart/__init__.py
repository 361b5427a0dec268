"""The quickstart: one command that shows Redis as the memory and inference host of a LangChain app.

Run ``redisai-quickstart`` or ``python -m langchain_redisai.quickstart``. With no network and no
configuration it:

1. starts the embedded Redis (or uses ``--redis-url`` / ``REDIS_URL``) and says where it runs;
2. stores all-MiniLM-L6-v2 in Redis (``RedisAIEmbeddings``) and says where inference runs;
3. indexes a few hundred passages of the Python documentation topics that ship with Python
   (``pydoc_data.topics``, PSF License; see ``_corpus.py``) in ``RedisAIVectorStore``, with a
   progress bar on stderr;
4. answers fixed questions through an LCEL chain (retriever -> prompt -> chat model) wrapped in
   ``RunnableWithMessageHistory`` with ``RedisAIChatMessageHistory``, the chat model using
   ``RedisAICache``;
5. asks the first question again and shows the cache miss, then the hit, with both timings;
6. prints a summary and removes its keys (all under one run-unique prefix) unless ``--keep``.

The answering step is an extractive stand-in (the best retrieved passage, trimmed, labelled as
such), never a language model, unless ``REDISAI_QUICKSTART_CHAT_MODEL=module:ChatClass`` names
a LangChain chat model (for example ``langchain_openai:ChatOpenAI``), which is then used instead.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from contextlib import ExitStack
from urllib.parse import urlsplit, urlunsplit

from redisai_core import EmbeddedRedis, RedisAICoreError, get_client
from redisai_core.config import env_redis_url

from ._app import print_summary, run
from ._chat_model import ENV_CHAT_MODEL

__all__ = ["ENV_CHAT_MODEL", "main"]

DEFAULT_PASSAGES = 300


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="redisai-quickstart",
        description="Index Python's documentation topics in Redis and answer questions with "
        "retrieval, an LLM cache and chat memory, all kept in Redis.",
        epilog=f"The answering step is an extractive stand-in unless {ENV_CHAT_MODEL}="
        "'module:ChatClass' names a LangChain chat model.",
    )
    parser.add_argument("--redis-url", help="Redis to use (default: REDIS_URL, else embedded)")
    parser.add_argument(
        "--passages", type=_positive, default=DEFAULT_PASSAGES, help="passages to index"
    )
    parser.add_argument("--keep", action="store_true", help="keep the keys at the end")
    parser.add_argument(
        "--quiet", action="store_true", help="print only the summary (no progress bar)"
    )
    return parser


def _redacted(url: str) -> str:
    # Never print a password from the URL.
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    user = f"{parts.username}:***@" if parts.username else "***@"
    return urlunsplit(parts._replace(netloc=user + host))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the quickstart; returns the exit status (0 on success).

    Args:
        argv: command-line arguments (``sys.argv[1:]`` when ``None``).
    """
    args = _parser().parse_args(argv)
    out, err = sys.stdout, sys.stderr
    url: str | None = args.redis_url or env_redis_url()
    try:
        with ExitStack() as stack:
            if url is None:
                server = stack.enter_context(EmbeddedRedis())
                url = server.url
                where = "embedded redis-server, started for this run and stopped at its end"
            else:
                where = "from --redis-url" if args.redis_url else "from REDIS_URL"
            if not args.quiet:
                # The first line never starts with the URL: scripts/run_main_job.py treats a
                # first line "redis://..." as a long-running server to interrupt.
                print("redisai-integrations quickstart", file=out)
                print(f"\n1. Redis: {_redacted(url)} ({where})", file=out, flush=True)
            client = stack.enter_context(get_client(url))
            outcome = run(
                client, passages=args.passages, keep=args.keep, quiet=args.quiet, out=out, err=err
            )
    except RedisAICoreError as exc:
        print(f"redisai-quickstart: error: {exc}", file=err)
        return 1
    print_summary(outcome, out)
    return 0
