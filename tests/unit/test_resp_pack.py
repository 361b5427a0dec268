"""The shared rule for when hiredis' packer may stand in for redis-py's."""

from __future__ import annotations

import redis

from redisai_core._resp_pack import packs_like_redis_py, plain_arguments


def test_only_strict_utf8_clients_pack_like_redis_py() -> None:
    assert packs_like_redis_py(redis.Redis())
    assert packs_like_redis_py(redis.Redis(encoding="UTF_8"))
    assert not packs_like_redis_py(redis.Redis(encoding="latin-1"))
    assert not packs_like_redis_py(redis.Redis(encoding_errors="replace"))
    assert not packs_like_redis_py(object())


def test_only_exact_str_and_bytes_arguments_are_plain() -> None:
    class Name(str):
        pass

    assert plain_arguments(("SET", b"k", "v"))
    assert not plain_arguments(("SET", "k", 1))
    assert not plain_arguments(("SET", "k", 1.5))
    assert not plain_arguments(("SET", Name("k"), "v"))
