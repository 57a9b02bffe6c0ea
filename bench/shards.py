"""Sharded throughput: interactions/s and latency through the local Discord with one bot process
running both shards, and with two processes (shards 0 and 1 of 2), in the same run.

    .venv/bin/python bench/shards.py [--count 3000] [--concurrency 20] [--command quote]
                                     [--database-url postgresql://...]

The local Discord runs here (two servers, one on each shard; commands alternate between them); each
`python -m bot run` is a child process. Every configuration gets a fresh database: SQLite (one file,
shared by both processes in the two-process run), and PostgreSQL too when this code base has the
backend and --database-url (or BENCH_DATABASE_URL) names an empty database. Latency is from
INTERACTION_CREATE leaving the gateway to the bot's callback arriving over REST.
"""
from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from e2e import percentile, process_cpu  # noqa: E402

from bot.config import Settings  # noqa: E402
from tests.discord_local import LocalDiscord, World  # noqa: E402

READY_TIMEOUT = 180.0


@dataclasses.dataclass
class Result:
    label: str
    rate: float
    p50_ms: float
    p99_ms: float
    bot_cpu_ms: float  # all bot processes together, per interaction
    problems: list[str]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def healthy(port: int, process: asyncio.subprocess.Process) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            if process.returncode is not None:
                raise RuntimeError(f"a bot process exited with {process.returncode}")
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError("a bot process never became healthy")


async def drive(server: LocalDiscord, command: str, count: int, concurrency: int) -> list[float]:
    """`count` commands, alternating between the servers of shard 0 and shard 1."""
    world = server.world
    channels = (world.general, world.other_general)
    latencies: list[float] = []
    remaining = iter(range(count))

    async def worker() -> None:
        for n in remaining:
            started = time.perf_counter()
            handle = await server.run_command(world.member, channels[n % 2], command)
            await handle.response(timeout=10)
            latencies.append(time.perf_counter() - started)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies


async def measure(label: str, database: dict[str, str], shard_sets: list[str], args: argparse.Namespace) -> Result:
    """Run one process per entry of `shard_sets` (SHARD_IDS) and drive them together."""
    with tempfile.TemporaryDirectory(prefix="storybot-bench-") as scratch:
        async with LocalDiscord(world=World(recommended_shards=2)) as server:
            processes: list[tuple[int, asyncio.subprocess.Process]] = []
            try:
                for shard_ids in shard_sets:
                    port = free_port()
                    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "SHARD_", "METRICS_"))}
                    env.update(
                        DISCORD_TOKEN=server.token, DISCORD_API_BASE=server.api_base,
                        DISCORD_GATEWAY_URL=server.ws_url, STORIES_DIR=str(ROOT / "seeds"),
                        LOG_LEVEL="WARNING", SHARD_COUNT="2", SHARD_IDS=shard_ids, METRICS_PORT=str(port),
                        **{k: v.replace("{scratch}", scratch) for k, v in database.items()},
                    )
                    process = await asyncio.create_subprocess_exec(
                        sys.executable, "-m", "bot", "run", cwd=scratch, env=env,
                        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
                    )
                    processes.append((port, process))
                    # One after another: the first creates and seeds the database.
                    await healthy(port, process)
                await drive(server, args.command, min(300, args.count), args.concurrency)
                cpu = sum(process_cpu(p.pid) for _, p in processes)
                started = time.perf_counter()
                latencies = await drive(server, args.command, args.count, args.concurrency)
                elapsed = time.perf_counter() - started
                cpu = sum(process_cpu(p.pid) for _, p in processes) - cpu
            finally:
                for _, process in processes:
                    if process.returncode is None:
                        process.terminate()
                exits = [(await process.communicate())[1] for _, process in processes]
            problems = list(server.problems)
            for (_, process), stderr in zip(processes, exits, strict=True):
                if process.returncode != 0:
                    problems.append(f"exit {process.returncode}: {stderr.decode()[-1000:]}")
    latencies.sort()
    return Result(
        label, len(latencies) / elapsed, percentile(latencies, 0.50) * 1000, percentile(latencies, 0.99) * 1000,
        cpu / len(latencies) * 1000, problems,
    )


async def main(args: argparse.Namespace) -> int:
    configurations = [
        ("SQLite, 1 process (shards 0,1)", {"DATABASE_PATH": "{scratch}/storybot.db"}, ["0,1"]),
        ("SQLite, 2 processes (shard 0 | 1)", {"DATABASE_PATH": "{scratch}/storybot.db"}, ["0", "1"]),
    ]
    backend = "database_url" in {f.name for f in dataclasses.fields(Settings)}
    url = args.database_url or os.environ.get("BENCH_DATABASE_URL")
    if backend and url:
        configurations[:0] = [
            ("PostgreSQL, 1 process (shards 0,1)", {"DATABASE_URL": url}, ["0,1"]),
            ("PostgreSQL, 2 processes (shard 0 | 1)", {"DATABASE_URL": url}, ["0", "1"]),
        ]
    print(f"/{args.command}: {args.count} interactions per configuration, {args.concurrency} in flight, "
          f"alternating between a server on shard 0 and one on shard 1 ({os.cpu_count()} CPUs)")
    if not backend:
        print("  PostgreSQL: not measured, this code base has no PostgreSQL backend yet (DATABASE_URL)")
    elif not url:
        print("  PostgreSQL: not measured, pass --database-url or BENCH_DATABASE_URL (an empty database)")
    failed = False
    for label, database, shard_sets in configurations:
        result = await measure(label, database, shard_sets, args)
        print(f"  {result.label:<40} {result.rate:6.0f} interactions/s, p50 {result.p50_ms:5.1f} ms, "
              f"p99 {result.p99_ms:6.1f} ms, bot CPU {result.bot_cpu_ms:.2f} ms per interaction")
        if result.problems:
            failed = True
            print(f"    PROBLEMS: {result.problems[:3]}")
    print(f"  load average {os.getloadavg()[0]:.1f}")
    return 1 if failed else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--command", default="quote", help='slash command without options, e.g. "story list"')
    parser.add_argument("--database-url", help="an empty PostgreSQL database (when the backend exists)")
    raise SystemExit(asyncio.run(main(parser.parse_args())))
