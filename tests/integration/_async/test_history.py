"""The core chat history on plain Redis (no modules): writes, reads, index, TTL, errors."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import redis.asyncio

from redisai_core import ConfigError, CorruptDataError
from redisai_core._async.history import AsyncChatHistory


def _prefix() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


def _msgs(n: int, tag: str = "m") -> list[bytes]:
    return [f"{tag}{i}".encode() for i in range(n)]


async def test_batch_append_and_whole_read(plain_redis_url: str) -> None:
    history = AsyncChatHistory(plain_redis_url, prefix=_prefix())
    assert await history.read("s") == []
    assert await history.append("s", _msgs(3)) == 3
    assert await history.append("s", [b"\x00\xff raw", b""]) == 5
    assert await history.append("s", []) == 5
    assert await history.read("s") == [*_msgs(3), b"\x00\xff raw", b""]
    assert await history.read("s", 1, 2) == _msgs(3)[1:3]
    assert await history.length("s") == 5
    assert await history.last("s") == b""
    assert await history.last("absent") is None
    assert await history.ttl("s") is None
    await history.clear()
    await history.aclose()


async def test_bad_values_write_nothing(plain_redis_url: str) -> None:
    history = AsyncChatHistory(plain_redis_url, prefix=_prefix())
    with pytest.raises(TypeError):
        await history.append("s", [b"ok", "text"])  # type: ignore[list-item]
    assert await history.read("s") == []
    assert await history.sessions() == []
    with pytest.raises(ConfigError):
        await history.append("", [b"x"])
    await history.aclose()


@pytest.mark.parametrize(
    "kwargs", [{"ttl": 0}, {"ttl": -1}, {"max_length": 0}, {"max_length": 1.5}]
)
async def test_bad_options_are_refused(plain_redis_url: str, kwargs: dict[str, float]) -> None:
    with pytest.raises(ConfigError):
        AsyncChatHistory(plain_redis_url, prefix=_prefix(), **kwargs)  # type: ignore[arg-type]


async def test_decode_responses_client_is_refused(plain_redis_url: str) -> None:
    client = redis.asyncio.Redis.from_url(plain_redis_url, decode_responses=True)
    with pytest.raises(ConfigError):
        AsyncChatHistory(redis_client=client, prefix=_prefix())
    await client.aclose()


async def test_max_length_drops_the_oldest(plain_redis_url: str) -> None:
    history = AsyncChatHistory(plain_redis_url, prefix=_prefix(), max_length=4)
    await history.append("s", _msgs(3))
    assert await history.append("s", _msgs(3, "n")) == 4
    assert await history.read("s") == [b"m2", b"n0", b"n1", b"n2"]
    assert await history.replace("s", _msgs(10)) == 4
    assert await history.read("s") == _msgs(10)[-4:]
    # the cap is on the active list only: archiving moves messages out of it
    assert await history.archive_oldest("s", 2) == [b"m6", b"m7"]
    await history.append("s", _msgs(5, "z"), archive=True)
    assert await history.length("s", archive=True) == 7
    await history.clear()
    await history.aclose()


async def test_delete_from_the_middle_keeps_order(plain_redis_url: str) -> None:
    history = AsyncChatHistory(plain_redis_url, prefix=_prefix())
    # duplicates on purpose: the tombstone must remove exactly the chosen position
    await history.append("s", [b"a", b"dup", b"b", b"dup", b"c"])
    assert await history.delete_at("s", 3) == b"dup"
    assert await history.read("s") == [b"a", b"dup", b"b", b"c"]
    assert await history.delete_at("s", -1) == b"c"
    assert await history.delete_at("s", 0) == b"a"
    assert await history.read("s") == [b"dup", b"b"]
    assert await history.delete_at("s", 7) is None
    assert await history.delete_at("absent", 0) is None
    assert await history.read("s") == [b"dup", b"b"]
    with pytest.raises(TypeError):
        await history.delete_at("s", "1")  # type: ignore[arg-type]
    await history.clear()
    await history.aclose()


async def test_pop_last_pop_oldest_and_archive(plain_redis_url: str) -> None:
    history = AsyncChatHistory(plain_redis_url, prefix=_prefix())
    await history.append("s", _msgs(6))
    assert await history.pop_last("s") == b"m5"
    assert await history.pop_oldest("s", 2) == [b"m0", b"m1"]
    assert await history.pop_oldest("s", 0) == []
    assert await history.archive_oldest("s", 2) == [b"m2", b"m3"]
    assert await history.archive_oldest("s", 0) == []
    assert await history.read_with_archive("s") == ([b"m2", b"m3"], [b"m4"])
    # archiving more than there is moves what there is
    assert await history.archive_oldest("s", 10) == [b"m4"]
    assert await history.read_with_archive("s") == ([b"m2", b"m3", b"m4"], [])
    assert await history.pop_last("s") is None
    assert await history.pop_oldest("absent", 3) == []
    assert await history.archive_oldest("absent", 3) == []
    # an archive-only session is still a session
    assert await history.sessions() == ["s"]
    assert await history.replace("s", [b"new"]) == 1
    assert await history.read_with_archive("s") == ([b"m2", b"m3", b"m4"], [b"new"])
    assert await history.replace("s", [b"only"], whole_session=True) == 1
    assert await history.read_with_archive("s") == ([], [b"only"])
    await history.archive_oldest("s", 1)
    assert await history.delete_messages("s", archive=True) is True
    assert await history.sessions() == []
    await history.aclose()


async def test_sessions_are_listed_from_the_index(plain_redis_url: str) -> None:
    history = AsyncChatHistory(plain_redis_url, prefix=_prefix())
    ids = ["first", "with:colon", "ünï*[?]", "last"]
    for session_id in ids:
        await history.append(session_id, [b"x"])
        await asyncio.sleep(0.002)  # the index orders by last write, to the millisecond
    assert await history.sessions() == ids
    # without a TTL a session keeps its place: the order in which sessions started
    await history.append("first", [b"y"])
    assert await history.sessions() == ids
    assert await history.delete("with:colon") is True
    assert await history.delete("with:colon") is False
    assert await history.pop_last("last") == b"x"  # emptied: leaves the index
    assert await history.sessions() == ["first", "ünï*[?]"]
    await history.replace("ünï*[?]", [])
    assert await history.sessions() == ["first"]
    assert await history.delete_messages("first") is True
    assert await history.sessions() == []
    # a session that restarts (plain RPUSHX finds no list) is indexed again
    await history.append("first", [b"again"])
    assert await history.sessions() == ["first"]
    # so is one with only archived messages that gets a new active message
    await history.archive_oldest("first", 1)
    await history.append("first", [b"more", b"still"])
    assert await history.read_with_archive("first") == ([b"again"], [b"more", b"still"])
    assert await history.sessions() == ["first"]
    await history.delete("first")
    await history.aclose()


async def test_ttl_covers_the_whole_session_and_is_refreshed_on_write(
    plain_redis_url: str,
) -> None:
    history = AsyncChatHistory(plain_redis_url, prefix=_prefix(), ttl=0.6)
    forever = AsyncChatHistory(redis_client=history.redis, prefix=history.prefix)
    await forever.append("kept", [b"k"])
    await history.append("s", _msgs(3))
    await history.archive_oldest("s", 1)
    ttl = await history.ttl("s")
    assert ttl is not None and 0 < ttl <= 0.6
    assert 0 < await history.redis.pttl(history.keys.archive("s")) <= 600
    await asyncio.sleep(0.4)
    await history.append("s", [b"again"])  # refreshes messages and archive alike
    ttl = await history.ttl("s")
    assert ttl is not None and ttl > 0.4
    assert await history.redis.pttl(history.keys.archive("s")) > 400
    assert await history.sessions() == ["s", "kept"]  # ordered by deadline
    await history.append("t", [b"t"])
    await asyncio.sleep(0.002)
    await history.append("s", [b"latest"])  # with a TTL, the last write orders
    assert await history.sessions() == ["t", "s", "kept"]
    await history.delete("t")
    await asyncio.sleep(0.75)
    assert await history.read("s") == []
    assert await history.read("s", archive=True) == []
    # the expired session has left the index; a session without TTL from another writer stays
    assert await history.sessions() == ["kept"]
    assert await forever.ttl("kept") is None
    await forever.clear()
    await history.aclose()


async def test_a_key_of_another_type_is_a_corrupt_session(plain_redis_url: str) -> None:
    history = AsyncChatHistory(plain_redis_url, prefix=_prefix())
    await history.append("good", [b"1"])
    await history.redis.set(history.keys.messages("bad"), b"not a list")
    with pytest.raises(CorruptDataError, match="'bad'"):
        await history.read("bad")
    with pytest.raises(CorruptDataError, match="'bad'"):
        await history.append("bad", [b"x"])
    assert await history.read("good") == [b"1"]
    await history.clear()
    await history.aclose()


async def test_clear_stays_in_its_key_space(plain_redis_url: str) -> None:
    prefix = _prefix()
    history = AsyncChatHistory(plain_redis_url, prefix=prefix)
    neighbour = AsyncChatHistory(plain_redis_url, prefix=prefix + "x")
    await history.append("s", [b"1"])
    await neighbour.append("s", [b"2"])
    assert await history.clear() == 2  # the session list and the index
    assert await neighbour.read("s") == [b"2"]
    assert await neighbour.sessions() == ["s"]
    await neighbour.clear()
    await neighbour.aclose()
    await history.aclose()


async def test_long_history_reads_whole(plain_redis_url: str) -> None:
    history = AsyncChatHistory(plain_redis_url, prefix=_prefix())
    values = [f"message {i} ".encode() * 20 for i in range(5000)]
    await history.append("s", values)  # one script call, pushed in chunks inside Lua
    assert await history.read("s") == values
    assert await history.replace("s", values[:2500]) == 2500
    assert await history.read("s") == values[:2500]
    await history.clear()
    await history.aclose()


async def test_reads_and_appends_are_one_command_each(plain_redis_url: str) -> None:
    client = redis.asyncio.Redis.from_url(plain_redis_url)
    history = AsyncChatHistory(redis_client=client, prefix=_prefix())
    await history.append("s", _msgs(3))  # a new session: the script
    await history.append("s", _msgs(600, "x"))  # warm: the script is loaded, the list exists

    async def commands() -> int:
        # CLIENT INFO counts this connection's commands, itself included
        return int((await client.client_info())["tot-cmds"])

    before = await commands()
    assert len(await history.read("s")) == 603
    assert await commands() - before == 2
    before = await commands()
    await history.append("s", [b"one", b"batch"])
    assert await commands() - before == 2
    await history.clear()
    await history.aclose()
    await client.aclose()
