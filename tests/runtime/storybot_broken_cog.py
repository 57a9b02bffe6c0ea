"""A cog whose setup fails on purpose: start-up must log it and still load the other cogs."""
from __future__ import annotations


async def setup(bot: object) -> None:
    raise RuntimeError("this cog is broken on purpose")
