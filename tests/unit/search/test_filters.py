from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from redisai_core import ConfigError, FilterError, KeySpace
from redisai_core.search.filters import (
    And,
    Compare,
    IsEmpty,
    Never,
    Not,
    Or,
    field,
    from_dict,
)
from redisai_core.search.records import TAG_MARK, tag_token
from redisai_core.search.rendering import escape_term, render, text_words
from redisai_core.search.schema import (
    GeoFieldSpec,
    IndexSchema,
    NumericFieldSpec,
    TagFieldSpec,
    TextFieldSpec,
    VectorFieldSpec,
)

SCHEMA = IndexSchema(
    name="idx",
    keyspace=KeySpace("p"),
    vector=VectorFieldSpec(dims=2),
    fields=(
        TagFieldSpec(name="topic"),
        TagFieldSpec(name="ci", case_sensitive=False),
        NumericFieldSpec(name="year"),
        TextFieldSpec(name="title"),
        GeoFieldSpec(name="place"),
    ),
)
SPECIAL = "{}|@*()-\"':;~<>[]\\ $%"


def test_tag_equality_passes_the_value_as_a_parameter() -> None:
    r = render(field("topic") == SPECIAL, SCHEMA)
    assert r.query == "@topic:{$f0}"
    assert r.params == {"f0": SPECIAL.replace("\\", "\\\\")}


@given(st.text(), st.text())
def test_rendered_tag_query_does_not_depend_on_the_value(a: str, b: str) -> None:
    # The query text is the same whatever the value: no user text reaches the parser.
    for build in (
        lambda v: field("topic") == v,
        lambda v: field("topic").in_([v, "x"]),
        lambda v: field("topic") != v,
    ):
        assert render(build(a), SCHEMA).query == render(build(b), SCHEMA).query


def _decode_token(token: str) -> str:
    if token.startswith(TAG_MARK):
        return bytes.fromhex(token[len(TAG_MARK) :]).decode("utf-8", "surrogatepass")
    return token


@given(st.text())
def test_tag_tokens_round_trip_and_survive_server_normalisation(value: str) -> None:
    spec = TagFieldSpec(name="topic")
    token = tag_token(value, spec)
    assert _decode_token(token) == value  # one-to-one
    assert token == token.strip()  # the server trims edge whitespace
    assert spec.separator not in token  # ... and splits at the separator


@given(st.text(), st.text())
def test_tag_tokens_are_injective(a: str, b: str) -> None:
    spec = TagFieldSpec(name="topic")
    assert (tag_token(a, spec) == tag_token(b, spec)) == (a == b)


def _unescape(text: str) -> tuple[list[str], bool]:
    """Read escaped text as the query parser does; False if a special char is unescaped."""
    out, i, clean = [], 0, True
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
        else:
            if not (text[i].isalnum() or text[i] == "_"):
                clean = False
            out.append(text[i])
            i += 1
    return out, clean


@given(st.text())
def test_escape_term_round_trips_and_leaves_no_special_character_bare(text: str) -> None:
    chars, clean = _unescape(escape_term(text))
    assert "".join(chars) == text
    assert clean


@given(st.text())
def test_text_phrase_holds_only_escaped_words(text: str) -> None:
    words = text_words(text)
    if not words:
        with pytest.raises(FilterError):
            render(field("title") == text, SCHEMA)
        return
    r = render(field("title") == text, SCHEMA)
    match = re.fullmatch(r'@title:"(.*)"', r.query, re.S)
    assert match
    parsed = [w for w in match.group(1).split(" ")]
    assert ["".join(_unescape(w)[0]) for w in parsed] == words
    assert all(_unescape(w)[1] for w in parsed)


def test_numeric_operators() -> None:
    cases = {
        field("year") == 2020: ("@year:[$f0 $f0]", {"f0": "2020.0"}),
        field("year") != 2020: ("-@year:[$f0 $f0]", {"f0": "2020.0"}),
        field("year") < 5: ("@year:[-inf ($f0]", {"f0": "5.0"}),
        field("year") <= 5: ("@year:[-inf $f0]", {"f0": "5.0"}),
        field("year") > 5: ("@year:[($f0 +inf]", {"f0": "5.0"}),
        field("year") >= 5.5: ("@year:[$f0 +inf]", {"f0": "5.5"}),
        field("year").between(1, 2): ("@year:[$f0 $f1]", {"f0": "1.0", "f1": "2.0"}),
        field("year").in_([1, 2]): (
            "(@year:[$f0 $f0] | @year:[$f1 $f1])",
            {"f0": "1.0", "f1": "2.0"},
        ),
    }
    for expr, (query, params) in cases.items():
        r = render(expr, SCHEMA)
        assert (r.query, dict(r.params)) == (query, params), expr


def test_boolean_structure_and_constants() -> None:
    r = render((field("topic") == "a") & ((field("year") > 1) | ~(field("topic") == "b")), SCHEMA)
    assert r.query == "(@topic:{$f0} (@year:[($f1 +inf] | -(@topic:{$f2})))"
    assert render(None, SCHEMA).query == "*"
    assert render(And(()), SCHEMA).query == "*"
    assert render(Or(()), SCHEMA).never
    assert render(field("topic").in_([]), SCHEMA).never
    assert render(field("topic").not_in([]), SCHEMA).query == "*"
    assert render(Not(Never()), SCHEMA).query == "*"
    assert render(And((Never(), field("topic") == "a")), SCHEMA).never
    assert render(Or((Never(), field("topic") == "a")), SCHEMA).query == "@topic:{$f0}"


def test_tag_multi_value_operators() -> None:
    assert render(field("topic").all_of(["a", "b"]), SCHEMA).query == "(@topic:{$f0} @topic:{$f1})"
    assert (
        render(field("topic").any_of(["a", "b"]), SCHEMA).query == "(@topic:{$f0} | @topic:{$f1})"
    )
    assert render(field("topic").not_in(["a"]), SCHEMA).query == "-@topic:{$f0}"
    assert render(field("topic").contains("a"), SCHEMA).query == "@topic:{$f0}"
    r = render(field("topic") == True, SCHEMA)  # noqa: E712
    assert r.params == {"f0": "true"}


def test_case_insensitive_tags_lowercase_values() -> None:
    assert render(field("ci") == "AbC", SCHEMA).params == {"f0": "abc"}


def test_is_empty_per_type() -> None:
    assert render(IsEmpty("topic"), SCHEMA).query == '(ismissing(@topic) | @topic:{""})'
    assert render(IsEmpty("title"), SCHEMA).query == '(ismissing(@title) | @title:"")'
    assert render(IsEmpty("year"), SCHEMA).query == "ismissing(@year)"


def test_text_match() -> None:
    assert render(field("title").text_match("Hello, World"), SCHEMA).query == "@title:(Hello World)"
    with pytest.raises(FilterError):
        render(field("title").text_match("x", case_sensitive=True), SCHEMA)
    assert render(field("topic").text_match("a|b"), SCHEMA).query == "@topic:{w'*a\\|b*'}"
    with pytest.raises(FilterError):
        render(field("topic").text_match("a*"), SCHEMA)
    with pytest.raises(FilterError):
        render(field("topic").text_match("x", case_sensitive=False), SCHEMA)


def test_geo() -> None:
    r = render(field("place").within(51.5, -0.1, 10, "km"), SCHEMA)
    assert r.query == "@place:[$f0 $f1 $f2 km]"
    assert r.params == {"f0": "-0.1", "f1": "51.5", "f2": "10.0"}
    with pytest.raises(FilterError):
        render(field("place").within(1, 2, 3, "parsec"), SCHEMA)
    with pytest.raises(FilterError):
        render(field("place") == "1,2", SCHEMA)


@pytest.mark.parametrize(
    "expr",
    [
        field("nope") == "a",
        field("year") == "a",
        Compare("year", "==", float("nan")),
        field("year").between(1, "x"),  # type: ignore[arg-type]
        field("topic") == {"a": 1},
        Compare("topic", "in", "abc"),  # a string is not a list of values
        field("topic") > 1,
        IsEmpty("text"),
    ],
)
def test_bad_filters_raise_filter_errors(expr: object) -> None:
    with pytest.raises(FilterError) as info:
        render(expr, SCHEMA)  # type: ignore[arg-type]
    assert isinstance(info.value, ConfigError)


def test_unknown_field_error_names_the_known_fields() -> None:
    with pytest.raises(FilterError, match=r"'nope' is not indexed.*topic"):
        render(field("nope") == "a", SCHEMA)


def test_from_dict() -> None:
    expr = from_dict({"topic": "a", "year": {"$gte": 2020, "$lt": 2030}})
    assert expr == And(
        (
            Compare("topic", "==", "a"),
            And((Compare("year", ">=", 2020), Compare("year", "<", 2030))),
        )
    )
    assert from_dict({"$or": [{"topic": "a"}, {"$not": {"topic": "b"}}]}) == Or(
        (Compare("topic", "==", "a"), Not(Compare("topic", "==", "b")))
    )
    assert from_dict({"topic": {"$in": ["a", "b"]}}) == Compare("topic", "in", ["a", "b"])
    assert from_dict({"topic": {"$nin": ["a"]}}) == Compare("topic", "not_in", ["a"])
    assert from_dict({"topic": {"$ne": "a"}}) == Compare("topic", "!=", "a")
    assert from_dict({"title": {"$like": "x"}}) == Compare("title", "text_match", "x")
    assert from_dict({"topic": {"$exists": False}}) == IsEmpty("topic")
    assert from_dict({}) is not None and render(from_dict({}), SCHEMA).query == "*"
    assert from_dict(None) is None
    r = render(from_dict({"topic": "a", "year": {"$gte": 2020}}), SCHEMA)
    assert r.query == "(@topic:{$f0} @year:[$f1 +inf])"


@pytest.mark.parametrize(
    "bad", [{"$xor": []}, {"a": {"$regex": "x"}}, {"$and": "x"}, {1: 2}, ["a"]]
)
def test_from_dict_rejects_unknown_operators(bad: object) -> None:
    with pytest.raises(FilterError):
        from_dict(bad)  # type: ignore[arg-type]


def test_unknown_operator_in_the_tree() -> None:
    with pytest.raises(FilterError):
        Compare("a", "~=", 1)


def test_field_ref_rejects_a_string_as_a_list() -> None:
    with pytest.raises(FilterError):
        field("topic").in_("abc")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("a\\:", ["a:"]),  # found by the filter fuzz test against RediSearch 2.10
        ("c\\d", ["cd"]),
        ("m\\\\n", ["m\\n"]),
        ("q\\", ["q"]),
        ("x\\ y", ["x y"]),
        ("a b,c", ["a", "b", "c"]),
    ],
)
def test_text_words_follow_the_server_tokenizer_on_backslashes(text: str, words: list[str]) -> None:
    from redisai_core.search.rendering import text_words

    assert text_words(text) == words
