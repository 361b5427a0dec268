"""Guards on the package itself: public surfaces, optional frameworks, generated code."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("redisai_core", "langchain_redisai", "llamaindex_redisai")


@pytest.mark.parametrize("name", PACKAGES)
def test_package_ships_py_typed_and_a_curated_all(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__file__ is not None
    assert (Path(module.__file__).parent / "py.typed").is_file()
    exported = list(getattr(module, "__all__", []))
    assert exported == sorted(exported), "keep __all__ sorted"
    assert not [n for n in exported if n.startswith("_") and n != "__version__"]
    for symbol in exported:
        assert hasattr(module, symbol), symbol


_BLOCKER = """
import sys
class _Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"langchain_core", "llama_index", "langchain", "onnxruntime",
                                   "onnx", "tokenizers", "torch"}:
            raise ImportError("blocked: " + name)
        return None
sys.meta_path.insert(0, _Block())
import redisai_core
loaded = sorted(m for m in sys.modules if m.split(".")[0] in {"langchain_core", "llama_index"})
assert not loaded, loaded
print("ok", len(redisai_core.__all__))
"""


def test_core_imports_with_no_framework_installed() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _BLOCKER], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok ")


def test_generated_sync_code_is_up_to_date() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "unasync.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_adapters_use_only_public_core_api() -> None:
    # STYLE P2: skins reach the core only through names it exports.
    offenders = []
    for package in ("langchain_redisai", "llamaindex_redisai"):
        for path in (ROOT / "src" / package).rglob("*.py"):
            for lineno, line in enumerate(path.read_text().splitlines(), 1):
                if "redisai_core." in line and "import" in line and "._" in line:
                    offenders.append(f"{path.name}:{lineno}: {line.strip()}")
    assert not offenders, offenders
