"""The same bytes always parse to the same story, whatever Python's hash seed: set iteration order
must never leak into speakers, aliases or character order (ingest and trivia rely on it)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """
import glob, hashlib, json
from bot.parsing import parse_story, story_to_json
digest = hashlib.sha256()
for path in sorted(glob.glob("seeds/*.txt")):
    story = story_to_json(parse_story(open(path, "rb").read()))
    digest.update(json.dumps(story, sort_keys=True).encode())
print(digest.hexdigest())
"""


def parse_seeds_with_hash_seed(seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120, check=True)
    return done.stdout.strip()


def test_parse_output_does_not_depend_on_the_hash_seed() -> None:
    assert parse_seeds_with_hash_seed("1") == parse_seeds_with_hash_seed("2") == parse_seeds_with_hash_seed("3")
