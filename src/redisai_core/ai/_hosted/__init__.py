"""Pieces of the hosted RedisAI executor (``_async/ai_hosted.py``): key layout and codecs,
ONNX Runtime sessions, the auto-batching engine, DAG planning, run statistics and the
invalidation listener. Each module has one purpose; only the executor composes them.
"""
