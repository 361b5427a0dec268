"""``RedisAIModelTool`` against the real server (hosted executor): the standard LangChain tool
suite, schema derivation, output decoding, labels, errors, async, and the iris example model."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import redis
import redis.asyncio
from langchain_core.messages import ToolCall
from langchain_core.tools import ToolException
from langchain_tests.integration_tests import ToolsIntegrationTests
from pydantic import BaseModel

from langchain_redisai import RedisAIModelTool
from redisai_core import KeyEmptyError, KeySpace, ModelError, RedisAIClient
from tests.integration import ai_hosted_helpers as models

ONE = [1.0, 2.0, 3.0, 4.0]


@pytest.fixture
def ai(redis_url: str, keyspace: KeySpace, client: redis.Redis) -> Iterator[RedisAIClient]:
    """A hosted RedisAI client whose keys live in this test's key space."""
    with RedisAIClient(redis_url, executor="hosted", prefix=keyspace.key("ai")) as ai_client:
        yield ai_client


def _tool(redis_url: str, keyspace: KeySpace, key: str, **kwargs: Any) -> RedisAIModelTool:
    return RedisAIModelTool(
        key, redis_url=redis_url, executor="hosted", prefix=keyspace.key("ai"), **kwargs
    )


class TestModelToolStandard(ToolsIntegrationTests):
    @property
    def tool_constructor(self) -> type[RedisAIModelTool]:
        return RedisAIModelTool

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"x": ONE}

    @pytest.fixture
    async def tool(  # type: ignore[override]
        self, redis_url: str, keyspace: KeySpace, ai: RedisAIClient
    ) -> AsyncIterator[RedisAIModelTool]:
        ai.modelstore("scale", "ONNX", "CPU", models.scale(2.0))
        made = _tool(redis_url, keyspace, "scale", model=models.scale(2.0))
        yield made
        await made.aclose()


def test_schema_from_the_stored_model(
    redis_url: str, keyspace: KeySpace, ai: RedisAIClient
) -> None:
    ai.modelstore("scale", "ONNX", "CPU", models.scale(3.0))
    tool = _tool(redis_url, keyspace, "scale")  # reads the ONNX graph from Redis
    try:
        schema = tool.tool_call_schema.model_json_schema()
        assert list(schema["properties"]) == ["x"]
        assert "FLOAT tensor of shape [N, 4]" in schema["properties"]["x"]["description"]
        assert "FLOAT tensor of shape [N, 4]" in tool.description
        assert tool.invoke({"x": ONE}) == {"y": [3.0, 6.0, 9.0, 12.0]}
        # A batch keeps its batch dimension.
        assert tool.invoke({"x": [ONE, [0.0, 0.0, 0.0, 1.0]]}) == {
            "y": [[3.0, 6.0, 9.0, 12.0], [0.0, 0.0, 0.0, 3.0]]
        }
    finally:
        tool.close()


def test_input_spec_and_user_schema(redis_url: str, keyspace: KeySpace, ai: RedisAIClient) -> None:
    ai.modelstore("scale", "ONNX", "CPU", models.scale(0.5))
    spec_tool = _tool(redis_url, keyspace, "scale", input_spec={"x": ("FLOAT", [None, 4])})

    class Features(BaseModel):
        x: list[float]

    schema_tool = _tool(redis_url, keyspace, "scale", args_schema=Features, name="halve")
    try:
        assert spec_tool.invoke({"x": ONE}) == {"y": [0.5, 1.0, 1.5, 2.0]}  # output name from Redis
        assert schema_tool.name == "halve"
        assert schema_tool.args_schema is Features
        assert schema_tool.invoke({"x": ONE}) == {"y": [0.5, 1.0, 1.5, 2.0]}
    finally:
        spec_tool.close()
        schema_tool.close()


def test_failures_are_tool_exceptions_with_the_reason(
    redis_url: str, keyspace: KeySpace, ai: RedisAIClient
) -> None:
    ai.modelstore("scale", "ONNX", "CPU", models.scale(1.0))
    missing = _tool(redis_url, keyspace, "nothing-here", model=models.scale(1.0))
    wrong_names = _tool(redis_url, keyspace, "scale", input_spec={"z": ("FLOAT", [None, 4])})
    tool = _tool(redis_url, keyspace, "scale", model=models.scale(1.0))
    handled = _tool(redis_url, keyspace, "scale", model=models.scale(1.0), handle_tool_error=True)
    try:
        with pytest.raises(ToolException, match="model key is empty"):
            missing.invoke({"x": ONE})
        with pytest.raises(ToolException, match=r"takes inputs \['x'\]"):
            wrong_names.invoke({"z": ONE})
        with pytest.raises(ToolException, match=r"got shape \[1, 3\]"):
            tool.invoke({"x": [1.0, 2.0, 3.0]})
        with pytest.raises(ToolException, match="finite"):
            tool.invoke({"x": [1.0, float("nan"), 3.0, 4.0]})
        message = handled.invoke(
            ToolCall(name=handled.name, args={"x": [1.0]}, id="1", type="tool_call")
        )
        assert "got shape [1, 1]" in message.content
        assert message.status == "error"
    finally:
        for made in (missing, wrong_names, tool, handled):
            made.close()


async def test_native_async_on_an_asyncio_client(
    keyspace: KeySpace, ai: RedisAIClient, async_client: redis.asyncio.Redis
) -> None:
    ai.modelstore("scale", "ONNX", "CPU", models.scale(2.0))
    tool = RedisAIModelTool(
        "scale",
        model=models.scale(2.0),
        redis_client=async_client,
        executor="hosted",
        prefix=keyspace.key("ai"),
    )
    try:
        assert await tool.ainvoke({"x": ONE}) == {"y": [2.0, 4.0, 6.0, 8.0]}
        with pytest.raises(NotImplementedError):
            tool.invoke({"x": ONE})  # only an asyncio client was given
        with pytest.raises(ToolException, match="model key is empty"):
            await RedisAIModelTool(
                "gone",
                model=models.scale(2.0),
                redis_client=async_client,
                executor="hosted",
                prefix=keyspace.key("ai"),
            ).ainvoke({"x": ONE})
    finally:
        await tool.aclose()


def test_integer_outputs_map_to_labels(
    redis_url: str, keyspace: KeySpace, ai: RedisAIClient
) -> None:
    from onnx import TensorProto

    ai.modelstore("ident", "ONNX", "CPU", models.identity(TensorProto.INT64, ["N"]))
    tool = _tool(redis_url, keyspace, "ident", model=models.identity(TensorProto.INT64, ["N"]),
                 labels=["cat", "dog"])  # fmt: skip
    try:
        assert tool.invoke({"x": [1, 0, 1]}) == {"y": ["dog", "cat", "dog"]}
        assert tool.invoke({"x": 0}) == {"y": "cat"}
        with pytest.raises(ToolException, match="outside the 2 labels"):
            tool.invoke({"x": [2]})
    finally:
        tool.close()


@pytest.fixture(scope="module")
def iris() -> Any:
    pytest.importorskip("sklearn")
    pytest.importorskip("skl2onnx")
    from langchain_redisai.examples.iris import train_iris

    return train_iris()


def test_iris_classifier_as_a_tool_matches_scikit_learn(
    redis_url: str, keyspace: KeySpace, ai: RedisAIClient, iris: Any
) -> None:
    ai.modelstore("iris", "ONNX", "CPU", iris.onnx)
    tool = _tool(redis_url, keyspace, "iris", labels=list(iris.labels))  # schema read from Redis
    try:
        assert list(tool.tool_call_schema.model_json_schema()["properties"]) == ["X"]
        batch = tool.invoke({"X": iris.features.tolist()})
        assert batch["label"] == list(iris.predicted)
        assert [row["label"] for row in batch["probabilities"]] == list(iris.predicted)
        one = tool.invoke({"X": iris.features[100].tolist()})
        assert one["label"] == iris.predicted[100] == "virginica"
        assert set(one["probabilities"]["scores"]) == {"setosa", "versicolor", "virginica"}
        assert sum(one["probabilities"]["scores"].values()) == pytest.approx(1.0, abs=1e-5)
    finally:
        tool.close()


async def test_iris_async(redis_url: str, keyspace: KeySpace, ai: RedisAIClient, iris: Any) -> None:
    ai.modelstore("iris", "ONNX", "CPU", iris.onnx)
    tool = _tool(redis_url, keyspace, "iris", model=iris.onnx, labels=list(iris.labels))
    try:
        result = await tool.ainvoke({"X": iris.features.tolist()})
        assert result["label"] == list(iris.predicted)
    finally:
        await tool.aclose()


def test_zipmap_outputs_are_refused_clearly(iris: Any) -> None:
    from langchain_redisai.examples.iris import train_iris

    with pytest.raises(ModelError, match=r"not a tensor.*zipmap"):
        RedisAIModelTool("never-used", model=train_iris(zipmap=True).onnx)


def test_example_runs(
    redis_url: str,
    keyspace: KeySpace,
    ai: RedisAIClient,
    iris: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from langchain_redisai.examples import iris as example

    example.run(redis_url, prefix=keyspace.key("ai"), executor="hosted")
    out = capsys.readouterr().out
    assert "-> setosa (scikit-learn: setosa)" in out
    assert "-> versicolor (scikit-learn: versicolor)" in out
    assert "-> virginica (scikit-learn: virginica)" in out
    with pytest.raises(KeyEmptyError):  # the example removes its model
        ai.modelget(example.MODEL_KEY, meta_only=True)
