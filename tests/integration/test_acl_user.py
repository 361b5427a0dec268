"""Every feature through a Redis ACL user limited to one key prefix (issue 9, Security: ACL).

The admin client creates a user with exactly the rule line documented in README.md ("Running
under a restricted ACL user"), every component is pointed at keys (and index names) under that
user's prefix, and each test ends by checking the server's ``ACL LOG``: a denial that our code
or redis-py swallowed (``CLIENT SETINFO`` on connect, the hosted executor's background listener
retrying ``SUBSCRIBE`` / ``CLIENT TRACKING`` / ``PING``) would otherwise go unnoticed.
"""

from __future__ import annotations

import dataclasses
import logging
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import redis
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.outputs import Generation
from llama_index.core.llms import ChatMessage

from langchain_redisai import (
    RedisAIByteStore,
    RedisAICache,
    RedisAIChatMessageHistory,
    RedisAIEmbeddings,
    RedisAISemanticCache,
    RedisAIVectorStore,
)
from llamaindex_redisai import RedisAIChatStore, RedisAIKVStore
from redisai_core import PermissionDeniedError, RedisAIClient, map_redis_errors

from .ai_hosted_helpers import identity, mlp, mlp_reference

PASSWORD = "pw-acl-test"

# The rule line documented in README.md; ``{prefix}`` is the one key prefix the user may
# touch. Each entry was found necessary by removing it and watching a feature fail or ACL LOG
# record a denial: @read/@write are the data commands, checked against ~{prefix}:*;
# @transaction is WATCH/MULTI/EXEC (the hosted executor's model and tensor writes); EVALSHA,
# SCRIPT LOAD and TIME (called inside the chat history's Lua script); SUBSCRIBE, PING,
# CLIENT ID and CLIENT TRACKING (the hosted executor's invalidation listener); CLIENT SETINFO
# (sent on connect); the six FT.* commands (vector store, semantic cache). HELLO needs no
# grant. -@dangerous takes back what @read/@write bring in beyond their keys (SWAPDB, MIGRATE,
# RESTORE, SORT, ...); KEYS, FLUSHDB, FLUSHALL and CONFIG are also denied by name, to show no
# feature needs them.
ACL_RULES = (
    "on >{password} resetkeys ~{prefix}:* resetchannels &__redis__:invalidate -@all"
    " +@read +@write +@transaction +evalsha +script|load +time"
    " +subscribe +ping +client|id +client|tracking +client|setinfo"
    " +ft.create +ft.info +ft.search +ft.aggregate +ft.cursor +ft.dropindex"
    " -@dangerous -keys -flushdb -flushall -config"
)


@dataclasses.dataclass(frozen=True)
class AclUser:
    name: str
    prefix: str
    url: str


def _user_url(admin_url: str, name: str) -> str:
    """``admin_url`` with the ACL user's credentials instead of the admin's."""
    parts = urllib.parse.urlsplit(admin_url)
    host = parts.hostname or "127.0.0.1"
    netloc = f"{name}:{PASSWORD}@{host}" + (f":{parts.port}" if parts.port else "")
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


def _cmd(conn: redis.Redis, *args: str) -> Any:
    """One raw command (redis-py leaves ``execute_command`` untyped)."""
    return conn.execute_command(*args)  # type: ignore[no-untyped-call]


def _acl_log(admin: redis.Redis, name: str) -> list[tuple[str, str]]:
    """(reason, object) of every denial the server logged for user ``name``."""
    entries = admin.acl_log(count=1000)
    return sorted(
        (str(e["reason"]), str(e["object"])) for e in entries if str(e["username"]) == name
    )


@pytest.fixture
def admin(redis_url: str) -> Iterator[redis.Redis]:
    conn = redis.Redis.from_url(redis_url, decode_responses=True)
    yield conn
    conn.close()


@pytest.fixture
def acl_user(admin: redis.Redis, redis_url: str) -> Iterator[AclUser]:
    """A fresh ACL user limited to a fresh prefix; user, indexes and keys removed afterwards."""
    token = uuid.uuid4().hex[:12]
    user = AclUser(f"redisai-acl-{token}", f"test:acl:{token}", "")
    user = dataclasses.replace(user, url=_user_url(redis_url, user.name))
    rules = ACL_RULES.format(password=PASSWORD, prefix=user.prefix).split()
    _cmd(admin, "ACL", "SETUSER", user.name, *rules)
    yield user
    admin.acl_deluser(user.name)
    for index in _cmd(admin, "FT._LIST"):
        if str(index).startswith(user.prefix + ":"):
            _cmd(admin, "FT.DROPINDEX", index)
    keys = list(admin.scan_iter(match=user.prefix + ":*", count=500))
    for i in range(0, len(keys), 500):
        admin.unlink(*keys[i : i + 500])


def _assert_no_denials(admin: redis.Redis, user: AclUser) -> None:
    assert _acl_log(admin, user.name) == []


def test_the_user_is_confined_to_its_prefix(admin: redis.Redis, acl_user: AclUser) -> None:
    with redis.Redis.from_url(acl_user.url) as conn:
        with map_redis_errors():
            conn.set(f"{acl_user.prefix}:x", b"1")
            assert conn.get(f"{acl_user.prefix}:x") == b"1"
        with pytest.raises(PermissionDeniedError), map_redis_errors():
            conn.set("other:x", b"1")
        with pytest.raises(PermissionDeniedError), map_redis_errors():
            conn.get("other:x")
        with pytest.raises(PermissionDeniedError), map_redis_errors():
            conn.keys(f"{acl_user.prefix}:*")
        with pytest.raises(PermissionDeniedError), map_redis_errors():
            conn.config_get("maxmemory")
        with pytest.raises(PermissionDeniedError), map_redis_errors():
            conn.publish("__redis__:invalidate", "x")
        # Destructive commands are asked about with ACL DRYRUN (nothing runs); FLUSHDB and
        # FLUSHALL are then sent for real only once the server confirmed it refuses them.
        for command in (("SWAPDB", "0", "1"), ("FLUSHDB",), ("FLUSHALL",)):
            verdict = _cmd(admin, "ACL", "DRYRUN", acl_user.name, *command)
            assert verdict != "OK" and "no permissions" in str(verdict).lower()
        for name in ("FLUSHDB", "FLUSHALL"):
            with pytest.raises(PermissionDeniedError), map_redis_errors():
                conn.execute_command(name)
    assert admin.exists("other:x") == 0
    logged = _acl_log(admin, acl_user.name)
    assert ("key", "other:x") in logged
    assert {obj for _, obj in logged} == {
        "other:x",
        "keys",
        "config|get",
        "publish",
        "flushdb",
        "flushall",
    }


def test_exact_and_semantic_caches_and_byte_store(admin: redis.Redis, acl_user: AclUser) -> None:
    p = acl_user.prefix
    exact = RedisAICache(redis_url=acl_user.url, prefix=f"{p}:llm")
    semantic = RedisAISemanticCache(
        DeterministicFakeEmbedding(size=16), redis_url=acl_user.url, prefix=f"{p}:sem"
    )
    store = RedisAIByteStore(redis_url=acl_user.url, prefix=f"{p}:bytes")
    try:
        for cache in (exact, semantic):
            assert cache.lookup("what is redis?", "llm-a") is None
            cache.update("what is redis?", "llm-a", [Generation(text="a database")])
            hit = cache.lookup("what is redis?", "llm-a")
            assert hit is not None and hit[0].text == "a database"
            cache.clear()
            assert cache.lookup("what is redis?", "llm-a") is None
        store.mset([("a", b"1"), ("b", b"2")])
        assert store.mget(["a", "b", "c"]) == [b"1", b"2", None]
        assert sorted(store.yield_keys()) == ["a", "b"]
        store.mdelete(["a", "b"])
        assert list(store.yield_keys()) == []
    finally:
        exact.close()
        semantic.close()
        store.close()
    _assert_no_denials(admin, acl_user)


async def test_chat_history_and_chat_store(admin: redis.Redis, acl_user: AclUser) -> None:
    p = acl_user.prefix
    history = RedisAIChatMessageHistory(
        "session-1", redis_url=acl_user.url, prefix=f"{p}:chat", max_length=3
    )
    chat_store = RedisAIChatStore(redis_url=acl_user.url, prefix=f"{p}:lichat")
    try:
        history.add_messages([HumanMessage("hi"), AIMessage("hello")])
        await history.aadd_messages([HumanMessage("again"), AIMessage("sure")])
        assert [m.content for m in history.messages] == ["hello", "again", "sure"]
        assert [m.content for m in await history.aget_messages()] == ["hello", "again", "sure"]
        history.clear()
        assert history.messages == []

        chat_store.add_message("user-1", ChatMessage(role="user", content="hi"))
        chat_store.add_message("user-1", ChatMessage(role="assistant", content="hello"))
        assert [m.content for m in chat_store.get_messages("user-1")] == ["hi", "hello"]
        assert chat_store.get_keys() == ["user-1"]
        chat_store.delete_messages("user-1")
        assert chat_store.get_keys() == []
    finally:
        history.close()
        await history.aclose()
        chat_store.close()
        await chat_store.aclose()
    _assert_no_denials(admin, acl_user)


def test_vector_store_and_kv_store(admin: redis.Redis, acl_user: AclUser) -> None:
    p = acl_user.prefix
    vectors = RedisAIVectorStore(
        DeterministicFakeEmbedding(size=8),
        index_name=f"{p}:vidx",
        prefix=f"{p}:vec",
        redis_url=acl_user.url,
    )
    kv = RedisAIKVStore(redis_url=acl_user.url, prefix=f"{p}:kv")
    try:
        vectors.add_texts(["apple", "banana"], metadatas=[{"t": "x"}, {"t": "y"}], ids=["1", "2"])
        found = vectors.similarity_search("apple", k=2, filter={"t": "x"})
        assert [d.page_content for d in found] == ["apple"]
        assert [d.id for d in vectors.get_by_ids(["2"])] == ["2"]
        # More than one aggregate batch (1000), so listing goes through FT.CURSOR READ too.
        vectors.add_texts([f"t{i}" for i in range(1001)], ids=[f"n{i}" for i in range(1001)])
        assert len(vectors.index.list_ids()) == 1003
        vectors.clear(drop_index=True)

        kv.put("doc-1", {"text": "x"}, collection="docs")
        kv.put_all([("doc-2", {"text": "y"})], collection="docs")
        assert kv.get("doc-1", collection="docs") == {"text": "x"}
        assert kv.get_all(collection="docs") == {"doc-1": {"text": "x"}, "doc-2": {"text": "y"}}
        assert kv.delete("doc-1", collection="docs")
        assert kv.get("doc-1", collection="docs") is None
    finally:
        vectors.close()
        kv.close()
    assert [i for i in _cmd(admin, "FT._LIST") if str(i).startswith(p)] == []
    _assert_no_denials(admin, acl_user)


def _wait_for_listener_ping(admin: redis.Redis, user: AclUser) -> None:
    """Until a connection of ``user`` has sent PING: the listener's keep-alive has run."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        clients = [c for c in admin.client_list() if c.get("user") == user.name]
        if any(c.get("cmd") == "ping" for c in clients):
            return
        time.sleep(0.05)
    pytest.fail(f"the hosted executor's listener never pinged as {user.name}")


def test_hosted_redisai_client(admin: redis.Redis, acl_user: AclUser) -> None:
    x = np.random.default_rng(1).standard_normal((3, 32)).astype(np.float32)
    with RedisAIClient(
        redis_url=acl_user.url, executor="hosted", prefix=f"{acl_user.prefix}:ai"
    ) as ai:
        assert ai.modelstore("mlp", "ONNX", "CPU", mlp(), tag="v1") == "OK"
        assert ai.modelstore("id", "ONNX", "CPU", identity()) == "OK"
        ai.tensorset("x", x)
        assert ai.modelexecute("mlp", inputs=["x"], outputs=["y"]) == "OK"
        np.testing.assert_allclose(
            np.asarray(ai.tensorget("y")), mlp_reference(x), rtol=1e-4, atol=1e-4
        )
        out = (
            ai.dag(routing="id")
            .tensorset("a", x[:1])
            .modelexecute("id", ["a"], ["b"])
            .tensorget("b")
            .execute()
        )
        assert out[:2] == ["OK", "OK"]
        np.testing.assert_array_equal(out[2], x[:1])
        assert ai.modelget("mlp", meta_only=True)["tag"] == "v1"
        assert sorted(ai.modelscan()) == [("id", ""), ("mlp", "v1")]
        # The invalidation listener (SUBSCRIBE, CLIENT ID, CLIENT TRACKING) is up and its
        # keep-alive PING has gone through; a refusal would only show in ACL LOG.
        executor = ai.get_executor()
        deadline = time.monotonic() + 10
        while not executor._cache.healthy and time.monotonic() < deadline:  # type: ignore[attr-defined]
            time.sleep(0.01)
        assert executor._cache.healthy  # type: ignore[attr-defined]
        _wait_for_listener_ping(admin, acl_user)
        info = ai.infoget("mlp")
        assert (info["calls"], info["samples"]) == (1, 3)
        assert ai.modeldel("mlp") == "OK"
        assert ai.modeldel("id") == "OK"
    _assert_no_denials(admin, acl_user)


def test_hosted_embeddings(admin: redis.Redis, acl_user: AclUser) -> None:
    emb = RedisAIEmbeddings(
        redis_url=acl_user.url, executor="hosted", prefix=f"{acl_user.prefix}:emb"
    )
    try:
        vectors = np.asarray(emb.embed_documents(["Redis is a database.", "Cats purr."]))
    finally:
        emb.close()
    assert vectors.shape == (2, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert float(vectors[0] @ vectors[1]) < 0.9
    _assert_no_denials(admin, acl_user)


def test_a_refused_invalidation_listener_is_logged_once_and_results_stay_correct(
    admin: redis.Redis, acl_user: AclUser, caplog: pytest.LogCaptureFixture
) -> None:
    _cmd(admin, "ACL", "SETUSER", acl_user.name, "-subscribe")
    x = np.ones((1, 32), np.float32)
    with (
        caplog.at_level(logging.WARNING, logger="redisai_core.ai"),
        RedisAIClient(
            redis_url=acl_user.url, executor="hosted", prefix=f"{acl_user.prefix}:ai"
        ) as ai,
    ):
        assert ai.modelstore("mlp", "ONNX", "CPU", mlp()) == "OK"
        ai.tensorset("x", x)
        assert ai.modelexecute("mlp", inputs=["x"], outputs=["y"]) == "OK"
        np.testing.assert_allclose(
            np.asarray(ai.tensorget("y")), mlp_reference(x), rtol=1e-4, atol=1e-4
        )
        deadline = time.monotonic() + 10
        while "listener is refused" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.02)
    warnings = [r for r in caplog.records if "listener is refused" in r.getMessage()]
    assert len(warnings) == 1
    assert "+subscribe" in warnings[0].getMessage()
