"""Runnable examples (they need the ``examples`` extra: scikit-learn and skl2onnx)."""
