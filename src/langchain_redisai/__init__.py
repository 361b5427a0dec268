"""LangChain skins over redisai_core. Framework classes land here as their issues are done."""

__all__: list[str] = []
