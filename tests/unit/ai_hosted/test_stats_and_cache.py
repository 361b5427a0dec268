"""Deferred AI.INFO increments and the model cache's trust rules (pure, no Redis)."""

from __future__ import annotations

from redisai_core.ai._hosted._batcher import Engine
from redisai_core.ai._hosted._cache import CachedModel, ModelCache
from redisai_core.ai._hosted._layout import StoredModel
from redisai_core.ai._hosted._stats import StatsBuffer
from redisai_core.ai._types import ModelMeta


def test_stats_buffer_sums_drains_restores_and_discards():
    buf = StatsBuffer()
    assert not buf
    buf.add("m", 1, [10, 1, 1, 0])
    buf.add("m", 1, [5, 2, 1, 0])
    buf.add("m", 2, [0, 0, 1, 1])
    buf.add("n", 1, [1, 1, 1, 0])
    pending = buf.drain()
    assert pending == {("m", 1): [15, 3, 2, 0], ("m", 2): [0, 0, 1, 1], ("n", 1): [1, 1, 1, 0]}
    assert not buf
    buf.restore(pending)
    buf.discard("m")
    assert buf.drain() == {("n", 1): [1, 1, 1, 0]}


def entry(version: int, key: str = "m") -> CachedModel:
    stored = StoredModel(ModelMeta("ONNX", "CPU"), "", 0, 1)
    return CachedModel(key, version, stored, runner=None, engine=Engine(lambda xs: []))  # type: ignore[arg-type]


def test_nothing_is_trusted_while_the_listener_is_down():
    cache = ModelCache()
    token = cache.token("m")
    first = cache.adopt(entry(1), token)
    assert cache.fresh("m") is None
    assert cache.any("m") is first


def test_concurrent_loads_of_one_version_share_one_entry():
    cache = ModelCache()
    cache.set_healthy(True)
    token = cache.token("m")
    first = cache.adopt(entry(1), token)
    assert cache.adopt(entry(1), token) is first
    assert cache.fresh("m") is first


def test_a_load_racing_an_invalidation_is_used_but_not_trusted():
    cache = ModelCache()
    cache.set_healthy(True)
    token = cache.token("m")
    cache.invalidate(["m"])  # a re-store happened while we were reading
    loaded = cache.adopt(entry(1), token)
    assert cache.fresh("m") is None
    assert cache.any("m") is loaded
    # The next caller reads the version again; the same version is now trusted.
    assert cache.adopt(entry(1), cache.token("m")) is loaded
    assert cache.fresh("m") is loaded


def test_invalidation_and_listener_loss_drop_trust_and_newer_versions_win():
    cache = ModelCache()
    cache.set_healthy(True)
    cache.adopt(entry(1), cache.token("m"))
    cache.adopt(entry(1, "n"), cache.token("n"))
    cache.invalidate(["m"])
    assert cache.fresh("m") is None
    assert cache.fresh("n") is not None
    newer = cache.adopt(entry(2), cache.token("m"))
    assert cache.adopt(entry(1), cache.token("m")) is not newer  # an older read: not kept
    assert cache.fresh("m") is newer
    cache.set_healthy(False)
    assert cache.fresh("n") is None
    cache.set_healthy(True)
    assert cache.fresh("n") is None  # messages may have been missed while down
    cache.invalidate(None)
    assert cache.any("m") is newer


def test_one_load_per_model_version():
    cache = ModelCache()
    future, owner = cache.loading("m", 1)
    again, second = cache.loading("m", 1)
    other, third = cache.loading("m", 2)
    assert (owner, second, third) == (True, False, True)
    assert again is future
    assert other is not future
    cache.loaded("m", 1)
    assert cache.loading("m", 1)[1] is True
