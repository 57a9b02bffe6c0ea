"""Ingest throughput: generate a corpus by shuffling the seeds' paragraphs into many stories
(streamed to a temporary folder, never held in memory), then print parse MB/s, parse+store MB/s
and the process's peak RSS.

    python bench/ingest.py            # ~100 MB corpus
    python bench/ingest.py --mb 10    # quick run
Targets: parse >= 10 MB/s, parse+store >= 5 MB/s, peak RSS < 300 MB. MB/s of CPU time is printed
beside wall-clock MB/s because the machine may be shared (wall time then includes waiting for a core).
"""
from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import resource
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.cli import parse_processes_for  # noqa: E402
from bot.parsing import parse_story  # noqa: E402
from bot.store import Store  # noqa: E402
from bot.store.loader import load_paths  # noqa: E402

STORY_BYTES = 200_000  # a long fan-fiction story; 100 MB makes about 500 of them
BREAKS = ("* * *", "~~~", "-x-x-x-", "oOoOo")


def seed_paragraphs() -> list[str]:
    """The story paragraphs of every seed, as the parser reads them."""
    paragraphs: list[str] = []
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        story = parse_story(path.read_bytes(), filename=path.name)
        paragraphs.extend(p for chapter in story.chapters for p in chapter.paragraphs)
    return paragraphs


def generate(folder: Path, megabytes: float, rng: random.Random) -> tuple[int, int]:
    """Write stories of about STORY_BYTES each until `megabytes` are written; (files, bytes)."""
    pool = seed_paragraphs()
    total, files = 0, 0
    while total < megabytes * 1_000_000:
        files += 1
        path = folder / f"story_{files:05d}.txt"
        with path.open("w", encoding="utf-8", newline="\n") as out:
            written = out.write(f"Generated Story {files}\n\n")
            chapter = 0
            while written < STORY_BYTES:
                chapter += 1
                written += out.write(f"\nChapter {chapter}\n\n")
                for index in range(rng.randint(40, 120)):
                    if index and rng.random() < 0.03:
                        written += out.write(f"{rng.choice(BREAKS)}\n\n")
                    written += out.write(rng.choice(pool) + "\n\n")
        (folder / f"story_{files:05d}.toml").write_text(
            f'title = "Generated Story {files}"\nauthor = "bench"\nfandom = "Naruto"\nrating = "T"\n',
            encoding="utf-8",
        )
        total += path.stat().st_size
    return files, total


def cpu_seconds() -> float:
    """CPU time of this process (all threads) and of its finished worker processes."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def parse_file(path: Path) -> int:
    return len(parse_story(path.read_bytes(), filename=path.name).quotes)


def time_parse(folder: Path, processes: int) -> float:
    """Wall seconds to parse every story: in this process, or spread over worker processes."""
    paths = sorted(folder.glob("*.txt"))
    start = time.perf_counter()
    if processes <= 1:
        for path in paths:
            parse_file(path)
    else:
        with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn")) as pool:
            list(pool.map(parse_file, paths, chunksize=4))
    return time.perf_counter() - start


async def time_ingest(folder: Path, database: Path, processes: int) -> tuple[float, int]:
    async with Store.open(database) as store:
        start = time.perf_counter()
        report = await load_paths(store, [folder], parse_processes=processes)
        elapsed = time.perf_counter() - start
    if report.failed:
        raise SystemExit(f"{len(report.failed)} generated stories failed to load: {report.failed[0].error}")
    return elapsed, len(report.of("added"))


def main() -> int:
    parser = argparse.ArgumentParser(description="Ingest throughput on a generated corpus.")
    parser.add_argument("--mb", type=float, default=100.0, help="corpus size in MB (default 100)")
    parser.add_argument("--seed", type=int, default=7, help="random seed for the shuffle")
    parser.add_argument("--processes", type=int, default=None,
                        help="parse worker processes while storing (default: as `python -m bot ingest`)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="storybot-bench-") as tmp:
        folder = Path(tmp) / "corpus"
        folder.mkdir()
        start = time.perf_counter()
        files, size = generate(folder, args.mb, random.Random(args.seed))
        mb = size / 1e6
        print(f"corpus: {files} stories, {mb:.1f} MB (generated in {time.perf_counter() - start:.1f} s)")
        cpu, wall = cpu_seconds(), time.perf_counter()
        time_parse(folder, 1)
        cpu, wall = cpu_seconds() - cpu, time.perf_counter() - wall
        print(f"parse:         {mb / wall:6.2f} MB/s  ({wall:.1f} s wall, {mb / cpu:.2f} MB/s of CPU time,"
              " one process)   target >= 10")
        cores = os.cpu_count() or 1
        if cores > 1:
            wall = time_parse(folder, cores)
            print(f"parse x{cores}:      {mb / wall:6.2f} MB/s  ({wall:.1f} s wall, {cores} worker processes,"
                  " one story each at a time)")
        database = Path(tmp) / "bench.db"
        processes = parse_processes_for(sorted(folder.glob("*.txt"))) if args.processes is None else args.processes
        cpu, main_cpu = cpu_seconds(), time.process_time()
        ingest_seconds, added = asyncio.run(time_ingest(folder, database, processes))
        cpu, main_cpu = cpu_seconds() - cpu, time.process_time() - main_cpu
        print(f"parse + store: {mb / ingest_seconds:6.2f} MB/s  ({ingest_seconds:.1f} s wall, {mb / cpu:.2f} MB/s of"
              f" CPU time; {added} stories, {processes} parse processes)   target >= 5")
        if processes:
            # The two sides overlap, so the busier one bounds the wall time (on an otherwise idle machine).
            print(f"  CPU split:   {main_cpu:.1f} s storing (this process), {cpu - main_cpu:.1f} s parsing"
                  f" (workers; load average {os.getloadavg()[0]:.2f})")
        print(f"database:      {database.stat().st_size / 1e6:.1f} MB")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux
    workers_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak RSS:      {peak_mb:6.1f} MB (largest parse worker {workers_mb:.1f} MB)   target < 300")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
