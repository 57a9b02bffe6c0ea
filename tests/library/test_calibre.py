"""EPUB and HTML written by calibre's `ebook-convert` from a plain-text story read as the story itself.

The files are made here with ebook-convert (Debian package `calibre`, which `.ci/run` installs);
without it the tests skip. calibre's HTML output is HTMLZ, a zip of `index.html` (the book as one
page), `metadata.opf` and a stylesheet: the page is what is read here, as a user who unzips it has it.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from bot.cli import main
from tests.library.builders import CHAPTER_ONE, CHAPTER_TWO
from tests.tools import missing_tool

NOTE = "A/N: This chapter was hard to write."
STORY = "\n\n".join([
    "Chapter 1: Dawn", NOTE, *CHAPTER_ONE,
    "Chapter 2: The Road", *CHAPTER_TWO[:2], "* * *", CHAPTER_TWO[2],
]) + "\n"
METADATA = ["--title", "The Long Road", "--authors", "inkfox", "--tags", "Team Seven,Missions",
            "--comments", "Team Seven takes a mission.", "--language", "en"]


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    convert = shutil.which("ebook-convert")
    if convert is None:
        missing_tool("calibre's ebook-convert is not installed (apt-get install calibre; .ci/run installs it)")
    folder = tmp_path_factory.mktemp("calibre")
    source = folder / "road.txt"
    source.write_text(STORY, encoding="utf-8")
    files = {"txt": source}
    # calibre is a Qt program: no display here, and its settings go to the temporary folder.
    env = os.environ | {"QT_QPA_PLATFORM": "offscreen", "CALIBRE_CONFIG_DIRECTORY": str(folder / "config"),
                        "XDG_RUNTIME_DIR": str(folder)}
    for fmt in ("epub", "htmlz"):
        files[fmt] = folder / f"road.{fmt}"
        subprocess.run([convert, str(source), str(files[fmt]), *METADATA], check=True, capture_output=True,
                       timeout=120, env=env)
    with zipfile.ZipFile(files["htmlz"]) as archive:
        files["html"] = folder / "road.html"
        files["html"].write_bytes(archive.read("index.html"))
    return files


def parsed(path: Path, capsys: pytest.CaptureFixture[str]) -> dict:
    assert main(["parse", str(path), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def straight(text: str) -> str:
    """calibre curls quotation marks and apostrophes (its smarten-punctuation step)."""
    return text.replace("“", '"').replace("”", '"').replace("’", "'").replace("‘", "'")


@pytest.mark.parametrize("fmt", ["epub", "html"])
def test_calibre_output_reads_as_its_text(made, fmt, capsys) -> None:
    printed = parsed(made[fmt], capsys)
    assert printed["title"] == "The Long Road"
    assert [(c["number"], c["title"]) for c in printed["chapters"]] == [(1, "Dawn"), (2, "The Road")]
    assert [len(c["scenes"]) for c in printed["chapters"]] == [1, 2]
    notes = [(n["chapter"], n["position"], n["kind"], n["text"]) for n in printed["notes"]]
    assert (0, "before", "note", NOTE) in notes
    paragraphs = [straight(p) for c in printed["chapters"] for s in c["scenes"] for p in s["paragraphs"]]
    assert paragraphs == CHAPTER_ONE + CHAPTER_TWO
    if fmt == "epub":
        # The EPUB carries calibre's metadata (its cover page is no chapter); the HTMLZ keeps it
        # beside the page, in metadata.opf.
        metadata = printed["metadata"]
        assert (metadata["author"], metadata["language"], metadata["tags"]) == ("inkfox", "en", ["Team Seven", "Missions"])
        assert metadata["summary"] == "Team Seven takes a mission."
        assert ("summary" in {n[2] for n in notes}) and not any("Team Seven takes" in p for p in paragraphs)
    plain = parsed(made["txt"], capsys)

    def lines(story: dict) -> list[tuple]:
        return [(straight(q["text"]), q["kind"], q["speaker"], q["chapter"], q["scene"]) for q in story["quotes"]]

    assert len(printed["quotes"]) == 5
    assert lines(printed) == lines(plain)
