"""A real model as an agent tool: an iris classifier trained here, stored in Redis, called.

Trains a ``LogisticRegression`` on scikit-learn's bundled iris data (no network), converts it
to ONNX with skl2onnx, stores it with the RedisAI client and runs it as a LangChain tool.
Needs the ``examples`` extra (``pip install "redisai-integrations[examples]"``).

The classifier is converted with ZipMap disabled, so its outputs are two tensors: ``label``
(INT64 class indices) and ``probabilities`` (FLOAT, one column per class). With ZipMap on,
the probabilities would be a sequence of maps, which RedisAI cannot hold; the tool refuses
such a model with a message saying so.

Run: ``python -m langchain_redisai.examples.iris`` (embedded Redis, or ``REDIS_URL``).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import numpy as np
import numpy.typing as npt

from redisai_core import RedisAIClient

__all__ = ["IrisModel", "main", "run", "store_iris", "train_iris"]

MODEL_KEY = "examples:iris"


@dataclasses.dataclass(frozen=True)
class IrisModel:
    """The trained classifier as ONNX, its class names, and the data it was trained on."""

    onnx: bytes
    labels: tuple[str, ...]
    features: npt.NDArray[np.float32]
    predicted: tuple[str, ...]  # scikit-learn's own predictions on ``features``, as names


def train_iris(*, zipmap: bool = False) -> IrisModel:
    """Train on the iris data shipped with scikit-learn and convert to ONNX.

    Args:
        zipmap: keep skl2onnx's ZipMap (a non-tensor output); only to show it is refused.
    """
    from skl2onnx import to_onnx
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    data = load_iris()
    features = np.asarray(data.data, dtype=np.float32)
    clf = LogisticRegression(max_iter=1000).fit(features, data.target)
    options: dict[int, dict[str, Any]] = {id(clf): {"zipmap": zipmap}}
    onx = to_onnx(clf, features[:1], options=options)
    labels = tuple(str(name) for name in data.target_names)
    predicted = tuple(labels[int(i)] for i in clf.predict(features))
    return IrisModel(onx.SerializeToString(), labels, features, predicted)


def store_iris(client: RedisAIClient, key: str = MODEL_KEY) -> IrisModel:
    """Train the classifier and store it in Redis at ``key``."""
    model = train_iris()
    client.modelstore(key, "ONNX", "CPU", model.onnx, tag="iris-logreg")
    return model


def run(redis_url: str | None = None, *, prefix: str = "redisai", executor: str = "auto") -> None:
    """Store the classifier, call it as a LangChain tool on three flowers, print the answers.

    Args:
        redis_url: the server; ``REDIS_URL`` or the embedded server when ``None``.
        prefix: key prefix of the RedisAI client (hosted executor keys live under it).
        executor: ``"auto"``, ``"module"`` or ``"hosted"``.
    """
    from langchain_redisai.tools import RedisAIModelTool

    with RedisAIClient(redis_url, executor=executor, prefix=prefix) as client:
        model = store_iris(client)
        tool = RedisAIModelTool(
            MODEL_KEY,
            model=model.onnx,
            labels=list(model.labels),
            redis_url=redis_url,
            executor=executor,
            prefix=prefix,
        )
        try:
            print(f"tool {tool.name}: {tool.description}")
            for row in (0, 60, 120):
                args = {"X": [round(float(v), 4) for v in model.features[row]]}
                answer = tool.invoke(args)
                print(
                    json.dumps(args),
                    "->",
                    answer["label"],
                    f"(scikit-learn: {model.predicted[row]})",
                )
        finally:
            tool.close()
            client.modeldel(MODEL_KEY)


def main() -> None:
    """Entry point of ``python -m langchain_redisai.examples.iris``."""
    run()


if __name__ == "__main__":
    main()
