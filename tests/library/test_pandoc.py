"""EPUB and HTML written by pandoc from a Markdown story read as the story itself.

The files are made here with pandoc (a Debian package `.ci/run` installs); without it the tests skip.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from bot.cli import main
from tests.library.builders import CHAPTER_ONE, CHAPTER_TWO
from tests.tools import missing_tool

STORY = (
    "---\ntitle: The Long Road\nauthor: inkfox\nlang: en\n"
    "description: Team Seven takes a mission.\nsubject: Team Seven\n---\n\n"
    "# Chapter 1: Dawn\n\n" + "\n\n".join(CHAPTER_ONE)
    + "\n\n# Chapter 2: The Road\n\n" + "\n\n".join(CHAPTER_TWO[:2]) + "\n\n* * *\n\n" + CHAPTER_TWO[2] + "\n"
)


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    pandoc = shutil.which("pandoc")
    if pandoc is None:
        missing_tool("pandoc is not installed (apt-get install pandoc; .ci/run installs it)")
    folder = tmp_path_factory.mktemp("pandoc")
    source = folder / "road.md"
    source.write_text(STORY, encoding="utf-8")
    files = {"md": source}
    for fmt, args in (("epub", []), ("html", ["--standalone"])):
        files[fmt] = folder / f"road.{fmt}"
        subprocess.run([pandoc, str(source), *args, "-o", str(files[fmt])], check=True, capture_output=True, timeout=60)
    return files


def parsed(path: Path, capsys: pytest.CaptureFixture[str]) -> dict:
    assert main(["parse", str(path), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("fmt", ["epub", "html"])
def test_pandoc_output_reads_as_its_markdown(made, fmt, capsys) -> None:
    printed = parsed(made[fmt], capsys)
    assert printed["title"] == "The Long Road"
    assert printed["metadata"]["author"] == "inkfox"
    assert [(c["number"], c["title"]) for c in printed["chapters"]] == [(1, "Dawn"), (2, "The Road")]
    assert [len(c["scenes"]) for c in printed["chapters"]] == [1, 2]
    # The description, where pandoc writes it down, is the summary: a note, never story text.
    assert [(n["kind"], n["text"]) for n in printed["notes"]] in ([], [("summary", "Summary: Team Seven takes a mission.")])
    paragraphs = [p for c in printed["chapters"] for s in c["scenes"] for p in s["paragraphs"]]
    # pandoc curls the quotation marks (its `smart` extension); the words are the story's.
    assert [p.replace("“", '"').replace("”", '"') for p in paragraphs] == CHAPTER_ONE + CHAPTER_TWO
    if fmt == "epub":
        assert printed["metadata"]["language"] == "en"
        assert printed["metadata"]["tags"] == ["Team Seven"]
        assert printed["metadata"]["summary"] == "Team Seven takes a mission."
    plain = parsed(made["md"], capsys)

    def lines(story: dict) -> list[tuple]:
        return [(q["text"], q["kind"], q["speaker"], q["chapter"], q["scene"]) for q in story["quotes"]]

    assert len(printed["quotes"]) == 5
    assert lines(printed) == lines(plain)
