"""Unit tests of the RedisAI client (no server)."""
