from __future__ import annotations

import inspect
import re

import pytest
import redis.exceptions as rex

import redisai_core.errors as errors
from redisai_core.errors import map_redis_errors


def _error_classes() -> dict[str, type[BaseException]]:
    return {
        name: obj
        for name, obj in vars(errors).items()
        if inspect.isclass(obj) and issubclass(obj, errors.RedisAICoreError)
    }


def test_docstring_tree_names_every_error_with_its_parent() -> None:
    doc = errors.__doc__ or ""
    tree_lines = [
        line for line in doc.splitlines() if re.search(r"[├└]── \w+|^\s{4}RedisAICoreError", line)
    ]
    documented: dict[str, str | None] = {}
    stack: list[tuple[int, str]] = []
    for line in tree_lines:
        match = re.search(r"(\w+Error|RedisAICoreError)", line)
        assert match, line
        name = match.group(1)
        depth = match.start()
        while stack and stack[-1][0] >= depth:
            stack.pop()
        documented[name] = stack[-1][1] if stack else None
        stack.append((depth, name))
    classes = _error_classes()
    assert set(documented) == set(classes)
    for name, parent in documented.items():
        if parent is not None:
            assert classes[parent] in classes[name].__mro__[1:2], (name, parent)


def test_every_error_is_exported() -> None:
    assert set(_error_classes()) <= set(errors.__all__)


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (rex.ConnectionError("refused"), errors.RedisConnectionError),
        (rex.TimeoutError("slow"), errors.RedisTimeoutError),
        (rex.AuthenticationError("WRONGPASS invalid"), errors.PermissionDeniedError),
        (rex.NoPermissionError("NOPERM no access"), errors.PermissionDeniedError),
        (rex.ResponseError("NOPERM this user has no permissions"), errors.PermissionDeniedError),
        (rex.ResponseError("idx: no such index"), errors.IndexNotFoundError),
        (rex.ResponseError("Unknown Index name"), errors.IndexNotFoundError),
        (rex.ResponseError("something else"), errors.ResponseError),
    ],
)
def test_map_redis_errors_translates_and_keeps_the_cause(
    raised: rex.RedisError, expected: type[Exception]
) -> None:
    with pytest.raises(expected) as info, map_redis_errors():
        raise raised
    assert info.value.__cause__ is raised
    assert type(info.value) is expected


def test_builtin_compatibility() -> None:
    # Deliberate: callers catching the builtin still catch ours.
    assert issubclass(errors.ConfigError, ValueError)
    assert issubclass(errors.RedisTimeoutError, TimeoutError)
    assert issubclass(errors.KeyEmptyError, KeyError)
    assert issubclass(errors.TensorError, ValueError)


def test_non_redis_errors_pass_through() -> None:
    with pytest.raises(ZeroDivisionError), map_redis_errors():
        1 / 0


def test_module_missing_names_module_and_hint() -> None:
    exc = errors.ModuleMissingError("vector search", "search", "Use Redis 8.")
    assert "vector search" in str(exc) and "'search'" in str(exc) and "Use Redis 8." in str(exc)
