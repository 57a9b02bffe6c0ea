"""Ingest throughput: generate a corpus by shuffling the seeds' paragraphs into many stories
(streamed to a temporary folder, never held in memory), then print parse MB/s, parse+store MB/s
and the process's peak RSS. Then one file of the same size made the same way, through the
command line as a user runs it (`python -m bot parse FILE --json`, `python -m bot ingest FILE`),
each timed as its own process tree: wall, CPU seconds per MB and peak RSS of the whole tree,
beside the whole-story `parse --json` (parse_story, then json.dump) measured in the same run.

    python bench/ingest.py                      # ~100 MB corpus, then one 100 MB file
    python bench/ingest.py --mb 10              # quick run
    python bench/ingest.py --one-file-only      # only the one-file figures
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
import subprocess
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


def _write_story(path: Path, title: str, size: float, pool: list[str], rng: random.Random) -> None:
    """A story of at least `size` characters: chapters of 40-120 of the pool's paragraphs, a scene
    break now and then."""
    with path.open("w", encoding="utf-8", newline="\n") as out:
        written = out.write(f"{title}\n\n")
        chapter = 0
        while written < size:
            chapter += 1
            written += out.write(f"\nChapter {chapter}\n\n")
            for index in range(rng.randint(40, 120)):
                if index and rng.random() < 0.03:
                    written += out.write(f"{rng.choice(BREAKS)}\n\n")
                written += out.write(rng.choice(pool) + "\n\n")


def generate(folder: Path, megabytes: float, rng: random.Random) -> tuple[int, int]:
    """Write stories of about STORY_BYTES each until `megabytes` are written; (files, bytes)."""
    pool = seed_paragraphs()
    total, files = 0, 0
    while total < megabytes * 1_000_000:
        files += 1
        path = folder / f"story_{files:05d}.txt"
        _write_story(path, f"Generated Story {files}", STORY_BYTES, pool, rng)
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


# The whole-story `parse --json` (every chapter and quotation in memory, then one json.dump): the
# baseline the streamed command is measured against.
WHOLE_STORY_PARSE = """
import json, sys
from pathlib import Path
from bot.formats import read_upload
from bot.parsing import story_to_json
path = Path(sys.argv[1])
upload = read_upload(path.name, path.read_bytes(), max_bytes=None, any_extension=True)
json.dump(story_to_json(upload.story, upload.metadata.as_json()), sys.stdout, ensure_ascii=False, indent=2)
"""


def generate_one(path: Path, megabytes: float, rng: random.Random) -> int:
    """One story of `megabytes`, chapters of the seeds' paragraphs (as generate's); its size."""
    _write_story(path, "Generated Story", megabytes * 1_000_000, seed_paragraphs(), rng)
    return path.stat().st_size


def _tree_rss(root: int, seen: set[int] | None = None) -> int:
    """Resident bytes of a process and all its descendants, now (from /proc); the descendants'
    pids are added to `seen`."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry)
        children.setdefault(int(fields[1]), []).append(pid)
        rss[pid] = int(fields[21]) * resource.getpagesize()
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, ()))
        if seen is not None and pid != root:
            seen.add(pid)
    return total


def _become_subreaper() -> bool:
    """Have this process adopt the measured commands' orphaned descendants (Linux's
    PR_SET_CHILD_SUBREAPER). `parse` ends with os._exit, leaving its fork server (and so the
    workers' CPU, which the fork server had waited for) to init: wait4 on the command never saw
    it, and the parse's CPU was its main process's alone (about 6 of 14-15 s for 100 MB)."""
    try:
        import ctypes

        return ctypes.CDLL(None).prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def run_measured(command: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Run a command (stdout discarded): (wall seconds, CPU seconds of its tree, peak RSS MB of
    its tree, sampled every 20 ms). The CPU counts every descendant: those it left behind are
    adopted (_become_subreaper) and waited for here."""
    adopted = _become_subreaper()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    descendants: list[int] = []  # in the order first seen (a fork server before its workers)
    while True:
        # wait4: this command's own resource use (RUSAGE_CHILDREN would mix in every earlier
        # command: its ru_maxrss is the largest child so far, not this one's).
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        seen: set[int] = set()
        peak = max(peak, _tree_rss(process.pid, seen))
        descendants.extend(sorted(seen.difference(descendants)))
        time.sleep(0.02)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"{' '.join(command)} failed: {process.stderr.read().decode()[-2000:]}")
    process.stderr.close()
    cpu = usage.ru_utime + usage.ru_stime
    if adopted:
        for pid in descendants:  # those left orphans are this process's children now
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass  # waited for by its own parent
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    # ru_maxrss: the largest single process of the command, a floor in case the sampling missed the peak.
    return wall, cpu, max(peak / 1e6, usage.ru_maxrss / 1024)


def one_file(folder: Path, megabytes: float, rng: random.Random) -> None:
    path = folder / "one_story.txt"
    mb = generate_one(path, megabytes, rng) / 1e6
    print(f"one file:      {mb:.1f} MB, each command its own process tree (peak RSS of the tree)")
    env = {k: v for k, v in os.environ.items() if k not in ("STORIES_DIR", "DISCORD_TOKEN")}
    env["DATABASE_PATH"] = str(folder / "one.db")
    runs = [
        ("parse --json", [sys.executable, "-m", "bot", "parse", str(path), "--json"], "target >= 10 MB/s"),
        ("  whole-story", [sys.executable, "-c", WHOLE_STORY_PARSE, str(path)], "baseline: parse_story + json.dump"),
        ("ingest", [sys.executable, "-m", "bot", "ingest", str(path)], "target >= 5 MB/s"),
    ]
    for name, command, note in runs:
        wall, cpu, peak = run_measured(command, env)
        print(f"  {name:<13} {mb / wall:6.2f} MB/s  ({wall:.1f} s wall, {cpu / mb:.3f} CPU s per MB,"
              f" peak RSS {peak:.0f} MB)   {note}; RSS target < 300")


def main() -> int:
    parser = argparse.ArgumentParser(description="Ingest throughput on a generated corpus.")
    parser.add_argument("--mb", type=float, default=100.0, help="corpus size in MB (default 100)")
    parser.add_argument("--seed", type=int, default=7, help="random seed for the shuffle")
    parser.add_argument("--processes", type=int, default=None,
                        help="parse worker processes while storing (default: as `python -m bot ingest`)")
    parser.add_argument("--one-file-mb", type=float, default=None,
                        help="size of the one-file run in MB (default: --mb)")
    parser.add_argument("--one-file-only", action="store_true", help="skip the many-stories corpus")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="storybot-bench-") as tmp:
        if args.one_file_only:
            one_file(Path(tmp), args.one_file_mb or args.mb, random.Random(args.seed))
            return 0
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
        one_file(Path(tmp), args.one_file_mb or args.mb, random.Random(args.seed))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux
    workers_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak RSS:      {peak_mb:6.1f} MB (largest parse worker {workers_mb:.1f} MB)   target < 300")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
