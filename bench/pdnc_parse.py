"""The PDNC novels parsed in one process (issue 16's speed figure, `bench/attribution.py`'s "parse
speed" line without the scoring), interleaved with another checkout so both see the same load.

Each run is a fresh process of each tree (its own .venv and build) timing `parse_story` over the
21 novels with `time.process_time`: CPU time is the headline, as on the shared machine wall time is
mostly waiting for a core. Each line says which parser ran (a build older than the sources falls
back to the pure Python one silently), and a bare loop of 10^7 additions is timed in the same run,
the machine's own speed to compare figures across machines and loads.

    python bench/pdnc_parse.py [--baseline DIR] [--runs 3] [--pure] [--novels N]
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from per_process import loop_seconds, novel_arguments, novels_and_trees  # noqa: E402

# What each child runs (cwd: its tree): the novels' bytes read first, then only the parse timed.
CHILD = """
import json, sys, time
from pathlib import Path
from bot.parsing import parse_story
from bot.parsing.native import COMPILED
raws = [(Path(name).parent.name, Path(name).read_bytes()) for name in sys.argv[1:]]
began, cpu_began = time.perf_counter(), time.process_time()
for name, raw in raws:
    parse_story(raw, filename=name)
print(json.dumps({"cpu": time.process_time() - cpu_began, "wall": time.perf_counter() - began,
                  "compiled": len(COMPILED)}))
"""


def run(tree: Path, novels: list[Path], env: dict[str, str]) -> dict:
    done = subprocess.run([str(tree / ".venv" / "bin" / "python"), "-c", CHILD, *map(str, novels)],
                          cwd=tree, env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{tree}: {done.stderr.strip()}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = novel_arguments(__doc__.splitlines()[0])
    ap.add_argument("--pure", action="store_true", help="both trees' pure Python parser (STORYBOT_PURE_PYTHON=1)")
    args = ap.parse_args()
    novels, trees = novels_and_trees(args)
    if not novels:
        return 1
    env = dict(os.environ)
    if args.pure:
        env["STORYBOT_PURE_PYTHON"] = "1"
    else:
        env.pop("STORYBOT_PURE_PYTHON", None)
    megabytes = sum(novel.stat().st_size for novel in novels) / 1e6
    loads = [os.getloadavg()[0]]
    loop = loop_seconds(2)
    found: dict[str, list[dict]] = {name: [] for name in trees}
    for _ in range(args.runs):
        for name, tree in trees.items():
            found[name].append(run(tree, novels, env))
            loads.append(os.getloadavg()[0])
    loop = min(loop, loop_seconds(2))
    print(f"{len(novels)} PDNC novels, {megabytes:.2f} MB, parsed in one process per run; {args.runs} runs, "
          f"load average {min(loads):.1f}-{max(loads):.1f}; a bare loop of 10^7 additions {loop:.2f} s of CPU "
          f"(best of 4)")
    medians = {}
    for name, tree in trees.items():
        cpu = [megabytes / r["cpu"] for r in found[name]]
        wall = [megabytes / r["wall"] for r in found[name]]
        modules = found[name][0]["compiled"]
        which = f"compiled parser, {modules} modules" if modules else "pure Python parser"
        medians[name] = statistics.median(r["cpu"] for r in found[name])
        print(f"  {name} ({tree}, {which}): {max(cpu):.2f} / {statistics.median(cpu):.2f} MB/s of CPU "
              f"(best / median; each run {', '.join(f'{c:.2f}' for c in cpu)}), "
              f"{max(wall):.2f} / {statistics.median(wall):.2f} MB/s wall")
    if "baseline" in medians:
        print(f"  CPU time, this / baseline (medians): {medians['this'] / medians['baseline']:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
