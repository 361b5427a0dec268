"""``python -m redisai_core.server``: start an embedded Redis and print its URL until interrupted."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from ._embedded import EmbeddedRedis


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m redisai_core.server", description=__doc__)
    parser.add_argument("--port", type=int, default=None, help="TCP port (default: a free one)")
    parser.add_argument("--no-modules", action="store_true", help="plain Redis, no search/JSON")
    parser.add_argument("--aof", action="store_true", help="turn on AOF persistence")
    parser.add_argument("--dir", default=None, help="data directory (default: a temporary one)")
    args = parser.parse_args(argv)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with EmbeddedRedis(
        port=args.port, modules=not args.no_modules, persistence=args.aof, data_dir=args.dir
    ) as server:
        print(server.url, flush=True)
        try:
            while not stop.wait(0.5):
                if not server.is_running:
                    print("redis-server exited:\n" + server.log(), file=sys.stderr)
                    return 1
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
