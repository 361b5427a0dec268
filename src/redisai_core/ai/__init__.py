"""RedisAI: our maintained client, with a module executor (AI.* commands) and a hosted one."""
