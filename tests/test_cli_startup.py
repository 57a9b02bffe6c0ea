"""`python -m bot parse` starts quickly: it loads neither the store (asyncio, the database
drivers) nor the configuration's libraries, which only ingest, stats and copy-db use."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = sorted((ROOT / "seeds").glob("*.txt"))[0]

# Run in a fresh interpreter: the test process itself has imported everything already.
PROBE = """
import contextlib, io, json, sys
from bot.cli import main
with contextlib.redirect_stdout(io.StringIO()) as out:
    status = main(["parse", sys.argv[1], "--json"])
print(json.dumps({"status": status, "chapters": len(json.loads(out.getvalue())["chapters"]),
                  "modules": sorted(sys.modules)}))
"""

HEAVY = ("asyncio", "aiosqlite", "asyncpg", "sqlite3", "bot.store", "bot.store.loader", "dotenv", "yarl",
         "tomllib", "discord")


def probe(story: Path, cwd: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", PROBE, str(story)], cwd=cwd, capture_output=True, text=True,
                          timeout=120, check=True)
    return json.loads(done.stdout)


def test_parse_loads_no_store_nor_configuration_libraries(tmp_path: Path) -> None:
    story = tmp_path / "story.txt"
    story.write_bytes(SEED.read_bytes())
    found = probe(story, tmp_path)
    assert found["status"] == 0 and found["chapters"] > 0
    assert [name for name in HEAVY if name in found["modules"]] == []


def test_parse_reads_the_toml_beside_the_file(tmp_path: Path) -> None:
    """tomllib is loaded when there is a .toml to read, and the .toml's title still wins."""
    story = tmp_path / "story.txt"
    story.write_bytes(SEED.read_bytes())
    story.with_suffix(".toml").write_text('title = "Another Title"\n', encoding="utf-8")
    found = probe(story, tmp_path)
    assert "tomllib" in found["modules"] and "bot.store" not in found["modules"]
    done = subprocess.run([sys.executable, "-m", "bot", "parse", str(story), "--json"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(done.stdout)["title"] == "Another Title"
