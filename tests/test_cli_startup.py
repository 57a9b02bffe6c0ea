"""`python -m bot parse` starts quickly: it loads neither the store (asyncio, the database
drivers) nor the configuration and its libraries, which only ingest, stats and copy-db use, nor
for a text file the HTML and EPUB readers (an HTML parser, zipfile, ElementTree), nor
importlib.resources, tempfile or hashlib's OpenSSL (a short file's hash is taken by the interpreter's
own SHA-256), and what its imports compile comes precompiled (test_precompiled.py)."""
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
         "tomllib", "discord", "bot.config", "bot.formats.html", "bot.formats.epub", "html.parser",
         "zipfile", "xml.etree.ElementTree", "importlib.resources", "tempfile", "_hashlib")


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


def test_parse_in_its_own_process_prints_everything_before_it_ends(tmp_path: Path) -> None:
    """`python -m bot parse` ends its process without the interpreter's teardown: what it printed,
    to a pipe or a file, is all there, byte for byte what main() prints."""
    story = tmp_path / "story.txt"
    # Longer than a pipe's buffer once printed.
    story.write_bytes(b"\n\n".join(b"Chapter %d\n\n" % (n + 1) + SEED.read_bytes() for n in range(20)))
    expected = subprocess.run([sys.executable, "-c", PROBE.replace('"modules": sorted(sys.modules)', '"out": out.getvalue()'), str(story)],
                              cwd=tmp_path, capture_output=True, text=True, timeout=120, check=True)
    printed = json.loads(expected.stdout)["out"]
    assert len(printed) > 100_000
    piped = subprocess.run([sys.executable, "-m", "bot", "parse", str(story), "--json"], cwd=tmp_path,
                           capture_output=True, text=True, timeout=120)
    assert (piped.returncode, piped.stdout, piped.stderr) == (0, printed, "")
    with (tmp_path / "out.json").open("w") as file:
        status = subprocess.run([sys.executable, "-m", "bot", "parse", str(story), "--json"], cwd=tmp_path,
                                stdout=file, timeout=120).returncode
    assert status == 0 and (tmp_path / "out.json").read_text() == printed
