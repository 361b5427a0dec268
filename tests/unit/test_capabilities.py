from __future__ import annotations

import pytest

from redisai_core import Capabilities, ModuleMissingError
from redisai_core.capabilities import parse_hello, parse_info_and_modules

RESP2_HELLO = [
    b"server", b"redis", b"version", b"8.2.3", b"proto", 2, b"id", 7, b"mode", b"standalone",
    b"role", b"master", b"modules",
    [
        [b"name", b"search", b"ver", 21005, b"path", b"/x/redisearch.so", b"args", []],
        [b"name", b"ReJSON", b"ver", 20803, b"path", b"/x/rejson.so", b"args", []],
        [b"name", b"vectorset", b"ver", 1, b"path", b"", b"args", []],
    ],
]  # fmt: skip
RESP3_HELLO = {
    b"server": b"redis",
    b"version": b"7.4.1",
    b"proto": 3,
    b"modules": [{b"name": b"ai", b"ver": 10207, b"path": b"", b"args": []}],
}


def test_parse_resp2_hello() -> None:
    caps = parse_hello(RESP2_HELLO)
    assert caps.redis_version == (8, 2, 3)
    assert caps.search_version == 21005
    assert caps.has_json and caps.has_search and caps.has_vector_sets
    assert not caps.has_ai


def test_parse_resp3_hello() -> None:
    caps = parse_hello(RESP3_HELLO)
    assert caps.redis_version == (7, 4, 1)
    assert caps.ai_version == 10207 and caps.has_ai
    assert not caps.has_search and not caps.has_vector_sets


def test_parse_info_fallback() -> None:
    caps = parse_info_and_modules({"redis_version": "5.0.14"}, [])
    assert caps == Capabilities(redis_version=(5, 0, 14), modules={})


@pytest.mark.parametrize("module", ["search", "json", "ai", "vectorset"])
def test_require_names_the_module_and_how_to_get_it(module: str) -> None:
    caps = Capabilities(redis_version=(7, 2, 0), modules={})
    with pytest.raises(ModuleMissingError) as info:
        caps.require(module, "the feature")
    assert info.value.module == module
    assert "the feature" in str(info.value) and info.value.hint in str(info.value)


def test_require_passes_when_present() -> None:
    parse_hello(RESP2_HELLO).require("search", "vector search")
