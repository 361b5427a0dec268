"""Nothing read from Redis is ever unpickled or evaluated.

Static: an AST walk over ``src/`` finds no import of a pickle-family module, no ``eval``/``exec``,
no ``yaml.load``, no ``torch.load``, no ``pickle``-enabled numpy load, no ``pandas.read_pickle``.
The checker itself is tested on planted snippets, so it cannot silently pass everything.

Dynamic (no server: unit tests run without sockets): every pure decoder that turns stored bytes
into values is fed a pickle whose unpickling would create a marker file; each refuses it (or
returns it as opaque bytes) and the marker never appears. The same payloads planted in a real
Redis and read through the public API are in ``tests/integration/test_pickle_payloads.py``.
"""

from __future__ import annotations

import ast
import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
UNSAFE_MODULES = frozenset(
    {
        "pickle",
        "cPickle",
        "_pickle",
        "marshal",
        "shelve",
        "dill",
        "cloudpickle",
        "joblib",
        "jsonpickle",
        "pickletools",
        "copyreg",
    }
)
UNSAFE_CALLS = frozenset({"eval", "exec", "__import__"})
UNSAFE_ATTRIBUTES = {  # (object name, attribute) -> why
    ("yaml", "load"): "yaml.load builds arbitrary objects; use yaml.safe_load",
    ("yaml", "unsafe_load"): "yaml.unsafe_load builds arbitrary objects",
    ("yaml", "full_load"): "yaml.full_load builds Python objects",
    ("torch", "load"): "torch.load unpickles",
    ("pd", "read_pickle"): "pandas.read_pickle unpickles",
    ("pandas", "read_pickle"): "pandas.read_pickle unpickles",
}


def unsafe_uses(source: str, filename: str = "<src>") -> list[str]:
    """Every unsafe deserialisation or evaluation in ``source``, as ``file:line: what``."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source, filename)):
        where = f"{filename}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Import):
            found += [
                f"{where}: import {a.name}"
                for a in node.names
                if a.name.split(".")[0] in UNSAFE_MODULES
            ]
        elif isinstance(node, ast.ImportFrom):
            if (node.module or "").split(".")[0] in UNSAFE_MODULES:
                found.append(f"{where}: from {node.module} import ...")
            found += [f"{where}: import {a.name}" for a in node.names if a.name in UNSAFE_CALLS]
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in UNSAFE_CALLS:
                found.append(f"{where}: {func.id}()")
            if isinstance(func, ast.Attribute):
                if func.attr in UNSAFE_CALLS:
                    found.append(f"{where}: .{func.attr}()")
                if (
                    isinstance(func.value, ast.Name)
                    and (func.value.id, func.attr) in UNSAFE_ATTRIBUTES
                ):
                    found.append(f"{where}: {UNSAFE_ATTRIBUTES[(func.value.id, func.attr)]}")
            for keyword in node.keywords:
                if keyword.arg == "allow_pickle" and not (
                    isinstance(keyword.value, ast.Constant) and keyword.value.value is False
                ):
                    found.append(f"{where}: allow_pickle not False")
    return found


def _sources() -> list[Path]:
    paths = sorted(SRC.rglob("*.py"))
    assert len(paths) > 50, "the source tree was not found"
    return paths


def test_no_unsafe_deserialisation_or_evaluation_in_src() -> None:
    problems = [p for path in _sources() for p in unsafe_uses(path.read_text(), str(path))]
    assert problems == []


@pytest.mark.parametrize(
    "snippet",
    [
        "import pickle",
        "import dill as d",
        "import cloudpickle",
        "from marshal import loads",
        "from shelve import open",
        "import pickle.something",
        "eval(x)",
        "exec('1')",
        "builtins.eval(x)",
        "__import__('os')",
        "yaml.load(s)",
        "yaml.unsafe_load(s)",
        "torch.load(f)",
        "np.load(f, allow_pickle=True)",
        "numpy.load(f, allow_pickle=flag)",
        "pd.read_pickle(p)",
    ],
)
def test_the_checker_catches(snippet: str) -> None:
    assert unsafe_uses(snippet)


@pytest.mark.parametrize(
    "snippet",
    [
        "import json",
        "json.loads(s)",
        "yaml.safe_load(s)",
        "np.load(f, allow_pickle=False)",
        "np.frombuffer(b)",
        "model.evaluate(x)",
        "orjson.loads(b)",
    ],
)
def test_the_checker_lets_safe_code_pass(snippet: str) -> None:
    assert unsafe_uses(snippet) == []


# ------------------------------------------------------------------------------------ dynamic


class _Trap:
    """Unpickling this creates ``path`` (``os.mkdir``): proof that something unpickled it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.mkdir, (str(self.path),))


def _decoders() -> list[tuple[str, Callable[[bytes], Any]]]:
    from langchain_redisai._mapping import generations_from_bytes
    from langchain_redisai._message_codec import decode_messages
    from llamaindex_redisai._chat_codec import decode_chat
    from llamaindex_redisai.kvstore import _decode as kv_decode
    from redisai_core.ai._hosted._layout import decode_meta, decode_tensor
    from redisai_core.cache_record import unpack
    from redisai_core.search.records import decode_metadata

    return [
        ("exact cache envelope", unpack),
        ("langchain generations", generations_from_bytes),
        ("langchain messages", lambda b: decode_messages([b])),
        ("llamaindex chat", lambda b: decode_chat([b])),
        ("llamaindex kv", lambda b: kv_decode(b, "k")),
        ("hosted model meta", decode_meta),
        ("hosted tensor", lambda b: decode_tensor({b"dtype": b, b"shape": b"1", b"blob": b})),
        ("vector metadata", decode_metadata),
    ]


@pytest.mark.parametrize("protocol", [0, 2, pickle.HIGHEST_PROTOCOL])
def test_no_decoder_unpickles_a_planted_payload(tmp_path: Path, protocol: int) -> None:
    marker = tmp_path / "unpickled"
    payload = pickle.dumps(_Trap(marker), protocol=protocol)
    assert not marker.exists()
    for name, decode in _decoders():
        for blob in (payload, b"rai-cache/1\n" + payload):
            try:
                result = decode(blob)
            except (ValueError, TypeError, KeyError) as exc:  # refused: what we want
                assert not isinstance(exc, pickle.UnpicklingError), name
                continue
            # Accepted only as opaque bytes (the exact cache's envelope) or as nothing.
            assert result in (None, {}, blob[len(b"rai-cache/1\n") :]), (name, result)
        assert not marker.exists(), f"{name} unpickled the payload"
    # And the trap really works: plain unpickling does create the marker.
    pickle.loads(payload)  # proves the payload is live (test data, never read from Redis)
    assert marker.exists()
