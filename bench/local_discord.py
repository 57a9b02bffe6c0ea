"""Throughput and latency of the local Discord with a trivial discord.py bot in a separate process.

The baseline under bench/e2e.py: how many slash commands per second the local Discord and an
unmodified discord.py client manage when the bot does nothing but answer.

    python bench/local_discord.py                      # 3000 interactions, 20 in flight
    python bench/local_discord.py --count 5000 --in-flight 50
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def run_bot(api_base: str, ws_url: str, token: str) -> None:
    """The child process: a bot whose /ping answers at once."""
    import discord
    import yarl
    from discord.ext import commands

    discord.http.Route.BASE = api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(ws_url)
    bot = commands.Bot(command_prefix="!", intents=discord.Intents.none(), guild_ready_timeout=0.05)

    @bot.tree.command(description="Answer at once")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pong")

    async def setup_hook() -> None:
        await bot.tree.sync()

    bot.setup_hook = setup_hook
    bot.run(token, log_handler=None)


async def measure(count: int, in_flight: int) -> None:
    from tests.discord_local import LocalDiscord

    async with LocalDiscord() as server:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        child = await asyncio.create_subprocess_exec(
            sys.executable, __file__, "--bot", server.api_base, server.ws_url, server.token, env=env
        )
        try:
            await server.wait_ready(30)
            await server.wait_until(lambda: server.global_commands, 30, "command sync")
            world = server.world
            latencies: list[float] = []
            queue = iter(range(count))

            async def worker() -> None:
                for _ in queue:
                    started = time.perf_counter()
                    handle = await server.run_command(world.member, world.general, "ping")
                    await handle.response(timeout=10)
                    latencies.append(time.perf_counter() - started)

            began = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(in_flight)))
            elapsed = time.perf_counter() - began
        finally:
            child.terminate()
            await child.wait()
        cuts = statistics.quantiles(latencies, n=100)
        print(f"interactions:     {count} ({in_flight} in flight)")
        print(f"throughput:       {count / elapsed:.0f} interactions/s")
        print(f"latency p50/p99:  {cuts[49] * 1000:.1f} ms / {cuts[98] * 1000:.1f} ms")
        print(f"problems:         {len(server.problems)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--in-flight", type=int, default=20)
    parser.add_argument(
        "--bot", nargs=3, metavar=("API_BASE", "WS_URL", "TOKEN"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.bot:
        run_bot(*args.bot)
    else:
        asyncio.run(measure(args.count, args.in_flight))


if __name__ == "__main__":
    main()
