"""RedisAI: our maintained client, with a module executor (AI.* commands) and a hosted one.

Pure pieces live here; I/O lives in ``_async/`` (and its generated ``_sync/`` twin):

* ``_types``: the values executors exchange (``Tensor``, ``ModelMeta``, DAG ops and results);
* ``_errors``: RedisAI's error wording and the one table that classifies it;
* ``_tensor``: numpy arrays and value lists <-> ``Tensor``, with RedisAI's checks;
* ``_commands``: AI.* command builders and RESP2/RESP3 reply decoders (module executor);
* ``_args``: the client facade's argument checks and result shapes;
* ``_hosted/``: the parts of the hosted (ONNX Runtime) executor.

The executors are ``_async/ai_module.py`` and ``_async/ai_hosted.py``; the user-facing client
is ``_async/ai_client.py`` (``AsyncRedisAIClient``, and ``RedisAIClient`` generated from it).
"""
