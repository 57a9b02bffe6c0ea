"""End-to-end throughput: interactions/s and latency through the local Discord, bot in its own process.

    .venv/bin/python bench/e2e.py [--count 5000] [--concurrency 20] [--command help]

The local Discord runs here; `python -m bot run` runs as a child process pointed at it. Latency is
from INTERACTION_CREATE leaving the gateway to the bot's callback arriving over REST.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.discord_local import LocalDiscord  # noqa: E402

TARGET_RATE, TARGET_P99_MS = 500, 50


async def drive(server: LocalDiscord, command: str, count: int, concurrency: int) -> list[float]:
    """Send `count` commands with `concurrency` in flight; return each round trip in seconds."""
    world = server.world
    latencies: list[float] = []
    remaining = iter(range(count))

    async def worker() -> None:
        for _ in remaining:
            started = time.perf_counter()
            handle = await server.run_command(world.member, world.general, command)
            await handle.response(timeout=10)
            latencies.append(time.perf_counter() - started)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a live process has used, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(sorted_values: list[float], fraction: float) -> float:
    index = min(len(sorted_values) - 1, round(fraction * (len(sorted_values) - 1)))
    return sorted_values[index]


async def main(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="storybot-bench-") as scratch:
        async with LocalDiscord() as server:
            env = {k: v for k, v in os.environ.items() if not k.startswith("DISCORD_")}
            env.update(
                DISCORD_TOKEN=server.token,
                DISCORD_API_BASE=server.api_base,
                DISCORD_GATEWAY_URL=server.ws_url,
                DATABASE_PATH=str(Path(scratch) / "storybot.db"),
                STORIES_DIR=str(ROOT / "seeds"),
                LOG_LEVEL="WARNING",
            )
            bot = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", cwd=scratch, env=env, stderr=asyncio.subprocess.PIPE
            )
            try:
                await server.wait_ready(timeout=180)
                warm_up = min(500, args.count)
                await drive(server, args.command, warm_up, args.concurrency)
                started, server_cpu, bot_cpu = time.perf_counter(), time.process_time(), process_cpu(bot.pid)
                latencies = await drive(server, args.command, args.count, args.concurrency)
                elapsed = time.perf_counter() - started
                server_cpu = time.process_time() - server_cpu
                bot_cpu = process_cpu(bot.pid) - bot_cpu
            finally:
                if bot.returncode is None:
                    bot.terminate()
                _, stderr = await bot.communicate()
            problems = server.problems
    latencies.sort()
    rate = len(latencies) / elapsed
    p50, p99 = percentile(latencies, 0.50) * 1000, percentile(latencies, 0.99) * 1000
    print(f"/{args.command}: {len(latencies)} interactions, {args.concurrency} in flight, "
          f"bot and local Discord in separate processes ({os.cpu_count()} CPUs)")
    print(f"  throughput {rate:.0f} interactions/s (target >= {TARGET_RATE})")
    print(f"  latency p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {latencies[-1] * 1000:.1f} ms, "
          f"mean {statistics.fmean(latencies) * 1000:.1f} ms (target p99 < {TARGET_P99_MS} ms)")
    print(f"  CPU per interaction: local Discord + driver {server_cpu / len(latencies) * 1000:.2f} ms, "
          f"bot {bot_cpu / len(latencies) * 1000:.2f} ms; "
          f"load average {os.getloadavg()[0]:.1f}")
    if problems or bot.returncode != 0:
        print(f"  PROBLEMS: exit {bot.returncode}; {problems[:5]}\n{stderr.decode()[-2000:]}")
        return 1
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--command", default="help", help='slash command without options, e.g. "story list"')
    raise SystemExit(asyncio.run(main(parser.parse_args())))
