"""Chat history on a cluster: one hash-tagged slot per history, scripts and listing work."""

from __future__ import annotations

import pytest

from redisai_core import AsyncChatHistory, ChatHistory, KeySpace
from redisai_core._cluster_support import has_hash_tag

from .helpers import keys_per_node


def test_history_scripts_sessions_and_clear(redis_cluster, cluster_client, keyspace: KeySpace):
    history = ChatHistory(
        redis_client=cluster_client, prefix=keyspace.prefix, ttl=300, max_length=3
    )
    # all keys of the history share one slot: the prefix became a hash tag
    assert history.prefix == "{" + keyspace.prefix + "}"
    for session in ("alice", "bob", "carol"):
        assert history.append(session, [b"m1", b"m2", b"m3", b"m4"]) == 3
    assert history.read("alice") == [b"m2", b"m3", b"m4"]
    assert sorted(history.sessions()) == ["alice", "bob", "carol"]

    assert history.archive_oldest("alice", 1) == [b"m2"]
    assert history.read_with_archive("alice") == ([b"m2"], [b"m3", b"m4"])
    assert history.delete_at("alice", 0) == b"m3"
    assert history.pop_last("bob") == b"m4"
    assert history.replace("carol", [b"x"], whole_session=True) == 1
    assert history.read("carol") == [b"x"]
    assert 0 < (history.ttl("alice") or 0) <= 300

    assert history.delete("bob") is True
    assert sorted(history.sessions()) == ["alice", "carol"]
    # everything sits on one node (one slot), and clear() removes it all from there
    counts = keys_per_node(redis_cluster, history.keys.space.pattern())
    assert sorted(counts)[:2] == [0, 0] and max(counts) > 0
    assert history.clear() == sum(counts)
    assert history.sessions() == []
    assert keys_per_node(redis_cluster, history.keys.space.pattern()) == [0, 0, 0]


def test_history_plain_append_path_on_cluster(cluster_client, keyspace):
    history = ChatHistory(redis_client=cluster_client, prefix=keyspace.prefix)
    assert history.append("s", [b"a"]) == 1  # new session: the script
    assert history.append("s", [b"b", b"c"]) == 3  # running session: a single RPUSHX
    assert history.read("s", 1, -1) == [b"b", b"c"]
    assert history.sessions() == ["s"]
    assert history.clear() == 2  # the list and the index


def test_prefix_with_own_hash_tag_is_kept(cluster_client, keyspace):
    prefix = "{" + keyspace.prefix + "}:chat"
    history = ChatHistory(redis_client=cluster_client, prefix=prefix)
    assert history.prefix == prefix and has_hash_tag(history.prefix)
    history.append("s", [b"a"])
    assert history.read("s") == [b"a"]
    history.clear()


def test_prefix_with_broken_brace_is_refused_on_cluster(cluster_client):
    from redisai_core import ConfigError

    with pytest.raises(ConfigError, match="brace"):
        ChatHistory(redis_client=cluster_client, prefix="chat{open")


async def test_async_history_on_cluster(async_cluster_client, keyspace: KeySpace):
    history = AsyncChatHistory(redis_client=async_cluster_client, prefix=keyspace.prefix, ttl=60)
    assert await history.append("s1", [b"a", b"b"]) == 2
    assert await history.append("s2", [b"c"]) == 1
    assert await history.read("s1") == [b"a", b"b"]
    assert await history.pop_oldest("s1", 1) == [b"a"]
    assert await history.length("s1") == 1
    assert sorted(await history.sessions()) == ["s1", "s2"]
    assert await history.read_with_archive("s2") == ([], [b"c"])
    assert await history.clear() == 3
    assert await history.sessions() == []
