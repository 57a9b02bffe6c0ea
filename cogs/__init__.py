"""Discord features, one cog per file; each module ends with `async def setup(bot)`."""
