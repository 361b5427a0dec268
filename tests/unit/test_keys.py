from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from redisai_core import ConfigError, KeySpace
from redisai_core.keys import escape_glob

ids = st.text(min_size=0, max_size=60)
prefixes = st.text(min_size=1, max_size=20)
seps = st.sampled_from([":", "/", "::", "|", "."])


@given(prefix=prefixes, sep=seps, id=ids)
def test_key_round_trip(prefix: str, sep: str, id: str) -> None:
    space = KeySpace(prefix, sep)
    key = space.key(id)
    assert key.startswith(space.head)
    assert space.id_from_key(key) == id
    assert space.id_from_key(key.encode("utf-8", "surrogateescape")) == id
    assert space.owns(key)


@given(id=ids)
def test_ids_that_look_like_the_prefix_survive(id: str) -> None:
    # The llama-index bug: key.strip(prefix) ate leading/trailing characters of the ID.
    space = KeySpace("doc")
    for tricky in (f"doc:{id}", f"{id}doc", "d" + id + "c", ":" + id + ":"):
        assert space.id_from_key(space.key(tricky)) == tricky


def test_foreign_key_is_rejected() -> None:
    with pytest.raises(ConfigError, match="not in key space"):
        KeySpace("a").id_from_key("b:1")
    assert not KeySpace("a").owns("ab:1")


@pytest.mark.parametrize(("prefix", "sep"), [("", ":"), ("a", "")])
def test_empty_prefix_or_separator_is_a_config_error(prefix: str, sep: str) -> None:
    with pytest.raises(ConfigError):
        KeySpace(prefix, sep)


def test_child_and_hash_tag() -> None:
    space = KeySpace("rai").child("cache")
    assert space.key("x") == "rai:cache:x"
    tagged = space.hash_tagged()
    assert tagged.key("a{b}") == "{rai:cache}:a{b}"
    assert tagged.id_from_key("{rai:cache}:a{b}") == "a{b}"
    with pytest.raises(ConfigError):
        tagged.hash_tagged()
    with pytest.raises(ConfigError):
        space.child("")


@given(prefix=prefixes, id=ids)
def test_pattern_matches_exactly_this_space(prefix: str, id: str) -> None:
    # Checked against a model of Redis' glob matcher: the pattern must match every key of the
    # space and no key of a neighbouring space, whatever glob characters the prefix holds.
    space = KeySpace(prefix)
    assert _redis_glob(space.pattern(), space.key(id))
    for foreign in (prefix + "x:" + id, prefix, "x" + space.key(id)):
        assert not _redis_glob(space.pattern(), foreign)


def test_escape_glob_escapes_every_special_character() -> None:
    assert escape_glob("a*b?c[d]e\\f") == "a\\*b\\?c\\[d\\]e\\\\f"


def _redis_glob(pattern: str, text: str) -> bool:
    """Minimal model of Redis' stringmatchlen for patterns made of escapes, literals and '*'."""
    i = 0
    literal = []
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            literal.append(pattern[i + 1])
            i += 2
            continue
        if ch == "*" and i == len(pattern) - 1:
            return text.startswith("".join(literal))
        if ch in "*?[":
            raise AssertionError(f"unescaped special character in {pattern!r}")
        literal.append(ch)
        i += 1
    return text == "".join(literal)
