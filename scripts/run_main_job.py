"""Run the README's main-job command for CI and check it works.

The main job is now the quickstart (``.venv/bin/redisai-quickstart``), a command that finishes
on its own: its output is passed through and it must exit 0. Its first line never starts with
``redis://``. A command whose first line is a ``redis://`` URL (such as
``python -m redisai_core.server``, which serves until interrupted) is still supported: the
server is checked to answer, then interrupted, and must exit cleanly.
"""

from __future__ import annotations

import shlex
import signal
import subprocess
import sys

import redis


def main(argv: list[str]) -> int:
    command = argv[argv.index("--") + 1 :] if "--" in argv else argv
    if len(command) == 1:
        command = shlex.split(command[0])
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None
        first = proc.stdout.readline().strip()
        if first.startswith("redis://"):
            with redis.Redis.from_url(first) as client:
                client.ping()
            print(f"main job serves {first}; stopping it")
            proc.send_signal(signal.SIGINT)
        else:
            print(first)
            print(proc.stdout.read(), end="")
        code = proc.wait(timeout=600)
    print(f"main job exited with {code}")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
