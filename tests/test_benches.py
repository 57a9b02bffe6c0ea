"""Every benchmark still runs: each script once at a tiny size, so a broken import or a renamed
helper shows up in `make test` rather than the next time someone wants figures."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PDNC = ROOT.parent / "shared" / "corpora" / "pdnc"
LITBANK = ROOT.parent / "shared" / "corpora" / "litbank"

TINY = {
    "attribution.py": ["DaisyMiller", "1155_the_secret_adversary"],
    "autocomplete.py": ["--stories", "50", "--queries", "20"],
    "charts.py": ["--chapters", "5"],
    "e2e.py": ["--count", "20", "--concurrency", "4"],
    "hot_paths.py": ["--calls", "5"],
    "ingest.py": ["--mb", "1", "--processes", "1"],
    "load.py": ["--users", "3", "--seconds", "3", "--think", "0.3", "--upload-mb", "0.2"],
    "local_discord.py": ["--count", "50", "--in-flight", "5"],
    "quote.py": ["--sizes", "4", "--picks", "20"],
    "read_pages.py": ["--fetches", "20", "--paragraphs", "200"],
    "shards.py": ["--count", "20", "--concurrency", "4"],
    "store_lookups.py": ["--stories", "50"],
    "train_attribution.py": ["--texts", "2"],
    "trivia.py": ["--players", "10", "--answers", "20"],
    "uploads.py": ["--mb", "0.2"],
}


def test_every_benchmark_has_a_tiny_run():
    assert {p.name for p in (ROOT / "bench").glob("*.py") if not p.name.startswith("_")} == set(TINY)


@pytest.mark.parametrize("script", sorted(TINY))
def test_benchmark_runs_and_prints_figures(script):
    if script in ("attribution.py", "train_attribution.py") and not (PDNC.is_dir() and LITBANK.is_dir()):
        pytest.skip("the PDNC and LitBank corpora are not next to the repository")
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *TINY[script]],
        cwd=ROOT, capture_output=True, text=True, timeout=240,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert any(ch.isdigit() for ch in done.stdout), done.stdout[-2000:]
