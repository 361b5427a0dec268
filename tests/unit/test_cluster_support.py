"""Cluster support without a server: hash tags, slot spaces, the cluster URL and its errors."""

from __future__ import annotations

import pytest
import redis.asyncio.cluster
from redis.exceptions import RedisClusterException

from redisai_core import ConfigError, ConnectionConfig, KeySpace, RedisConnectionError
from redisai_core import ResponseError as CoreResponseError
from redisai_core._cluster_support import (
    any_node,
    decodes_responses,
    has_hash_tag,
    is_cluster,
    slot_space,
)
from redisai_core.connection import _url_for
from redisai_core.errors import map_redis_errors


@pytest.mark.parametrize(
    ("text", "tagged"),
    [
        ("rai", False),
        ("{rai}", True),
        ("{rai}:x", True),
        ("a{b}c", True),
        ("{}rai", False),  # an empty tag hashes the whole key
        ("rai{", False),
        ("}{rai}", True),
    ],
)
def test_has_hash_tag_follows_the_cluster_rule(text, tagged):
    assert has_hash_tag(text) is tagged


def _async_cluster(**kwargs):
    # the asyncio cluster client connects only on first use: safe without a server
    return redis.asyncio.cluster.RedisCluster(host="127.0.0.1", port=7000, **kwargs)


def test_slot_space_tags_only_on_a_cluster():
    space = KeySpace("rai:hist")
    assert slot_space(object(), space) is space
    cluster = _async_cluster()
    assert is_cluster(cluster) and not is_cluster(redis.asyncio.Redis())
    assert slot_space(cluster, space) == KeySpace("{rai:hist}")
    own = KeySpace("{t}:hist")
    assert slot_space(cluster, own) is own
    with pytest.raises(ConfigError):
        slot_space(cluster, KeySpace("rai{"))


def test_any_node_routes_only_cluster_clients():
    assert any_node(redis.asyncio.Redis()) == {}
    assert any_node(_async_cluster()) == {"target_nodes": "random"}


def test_decodes_responses_for_both_kinds_of_client():
    assert decodes_responses(_async_cluster(decode_responses=True))
    assert not decodes_responses(_async_cluster())
    assert decodes_responses(redis.asyncio.Redis(decode_responses=True))
    assert not decodes_responses(redis.asyncio.Redis())


def test_cluster_url_scheme_sets_the_flag_and_is_stripped_for_redis_py():
    config = ConnectionConfig(url="redis+cluster://u:p@10.0.0.1:7000/0")
    assert config.cluster
    assert _url_for(config) == "redis://u:p@10.0.0.1:7000/0"
    tls = ConnectionConfig(url="rediss+cluster://h:7000", password="x")
    assert tls.cluster and _url_for(tls) == "rediss://h:7000"
    assert ConnectionConfig(url="redis://h:7000", cluster=True).cluster
    assert not ConnectionConfig(url="redis://h:7000").cluster
    assert "cluster=True" in repr(config) and ":p@" not in repr(config)
    with pytest.raises(ConfigError, match="TCP"):
        ConnectionConfig(url="unix:///tmp/r.sock", cluster=True)


def test_cluster_client_errors_are_mapped():
    with pytest.raises(RedisConnectionError), map_redis_errors():
        raise RedisClusterException("Redis Cluster cannot be connected. Please provide ...")
    with pytest.raises(CoreResponseError), map_redis_errors():
        raise RedisClusterException("No way to dispatch this command to Redis Cluster.")
