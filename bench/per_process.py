"""`python -m bot parse NOVEL --json`, one process per PDNC novel, start-up included (issue 20's
"one process each" row), and the start-up alone: one process parsing a three-line story.

CPU time of each child (user + system, from wait4) is the headline: on the shared machine wall
time is mostly waiting for a core. `--baseline DIR` runs another checkout (with its own .venv and
build) in turn with this one, interleaved, so both see the same load. Bytecode is written first
(a warm-up process per tree) and PYTHONDONTWRITEBYTECODE is cleared for the children.

    python bench/per_process.py [--baseline /work/main] [--runs 3] [--novels 21] [--startups 20]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PDNC = ROOT.parent / "shared" / "corpora" / "pdnc"
TINY = '"Hello," said Tom.\n\n"Hi," said Ann.\n\nThey went home.\n'


def run(tree: Path, file: Path, env: dict[str, str]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one `parse FILE --json` process of `tree`."""
    start = time.perf_counter()
    child = subprocess.Popen([str(tree / ".venv" / "bin" / "python"), "-m", "bot", "parse", str(file), "--json"],
                             cwd=tree, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    if status:
        raise SystemExit(f"{tree}: parse {file} failed ({status})")
    return usage.ru_utime + usage.ru_stime, time.perf_counter() - start


def parser_of(tree: Path, env: dict[str, str]) -> str:
    """Which parser `tree`'s `parse` runs: a build older than the sources (or none) falls back to
    the pure Python one silently (bot/parsing/native.py), about half the speed."""
    found = subprocess.run([str(tree / ".venv" / "bin" / "python"), "-c",
                            "from bot.parsing.native import COMPILED; print(len(COMPILED))"],
                           cwd=tree, env=env, capture_output=True, text=True, check=True)
    modules = int(found.stdout.strip() or 0)
    return f"compiled parser, {modules} modules" if modules else "PURE PYTHON parser (no build, or an old one)"


def loop_seconds(runs: int = 3) -> float:
    """CPU seconds of a bare Python loop of 10^7 additions (best of `runs`): the machine's speed
    in the same run, to compare figures across machines and loads."""
    best = float("inf")
    for _ in range(runs):
        began = time.process_time()
        total = 0
        for number in range(10**7):
            total += number
        best = min(best, time.process_time() - began)
    return best


def novel_arguments(description: str) -> argparse.ArgumentParser:
    """The options every PDNC A/B bench takes: another checkout, runs, how many novels."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--baseline", type=Path, help="another checkout to measure in turn with this one")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--novels", type=int, default=0, help="the first N novels by name (default: all)")
    return ap


def novels_and_trees(args: argparse.Namespace) -> tuple[list[Path], dict[str, Path]]:
    """The novels chosen (none: the corpus is missing, said on stderr) and the trees to measure."""
    novels = sorted(PDNC.glob("*/novel_text.txt"))
    if args.novels:
        novels = novels[: args.novels]
    if not novels:
        print(f"no PDNC novels in {PDNC}", file=sys.stderr)
    return novels, {"this": ROOT} | ({"baseline": args.baseline.resolve()} if args.baseline else {})


def main() -> int:
    ap = novel_arguments(__doc__.splitlines()[0])
    ap.add_argument("--startups", type=int, default=20, help="processes per tree for the start-up figure")
    args = ap.parse_args()
    novels, trees = novels_and_trees(args)
    if not novels:
        return 1
    env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    megabytes = sum(novel.stat().st_size for novel in novels) / 1e6
    parsers = {name: parser_of(tree, env) for name, tree in trees.items()}
    loop_before = loop_seconds(2)
    with tempfile.TemporaryDirectory() as folder:
        tiny = Path(folder) / "tiny.txt"
        tiny.write_text(TINY, encoding="utf-8")
        for tree in trees.values():
            run(tree, tiny, env)  # bytecode written, page cache warm
        cpu: dict[str, list[float]] = {name: [] for name in trees}
        wall: dict[str, list[float]] = {name: [] for name in trees}
        for _ in range(args.runs):
            for name, tree in trees.items():
                times = [run(tree, novel, env) for novel in novels]
                cpu[name].append(megabytes / sum(c for c, _ in times))
                wall[name].append(megabytes / sum(w for _, w in times))
        startup: dict[str, list[float]] = {name: [] for name in trees}
        for _ in range(args.startups):
            for name, tree in trees.items():
                startup[name].append(1000 * run(tree, tiny, env)[0])
    loop = min(loop_before, loop_seconds(2))
    print(f"{len(novels)} PDNC novels, {megabytes:.2f} MB, one process each; {args.runs} runs, "
          f"load average {os.getloadavg()[0]:.1f}; a bare loop of 10^7 additions {loop:.2f} s of CPU "
          f"(best of 4, before and after)")
    for name, tree in trees.items():
        print(f"  {name} ({tree}, {parsers[name]}): {max(cpu[name]):.2f} / {statistics.median(cpu[name]):.2f} MB/s of CPU "
              f"(best / median), {max(wall[name]):.2f} / {statistics.median(wall[name]):.2f} MB/s wall; "
              f"a 3-line story: {min(startup[name]):.1f} / {statistics.median(startup[name]):.1f} ms of CPU "
              f"(min / median of {args.startups})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
