"""FanFicFare's EPUB, HTML and TXT, made by FanFicFare itself from its offline `test1.com` site.

The files are generated here (`fanficfare -f FORMAT 'http://test1.com?sid=1'` needs no network);
without FanFicFare installed (it is a test extra) the tests skip.
"""
from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from bot.cli import main
from bot.formats import read_upload
from tests.test_cli import run_cli
from tests.tools import missing_tool

FORMATS = ("epub", "html", "txt")
TITLE = "Test Story Title 1"
AUTHOR = "Test Author aa"
ODD = "tests:[bare amp(&) qt(') amp(&) gt(>) lt(<) ATnT(AT&T) L(£) Onna(女)]"
CONTENTS = [
    (None, f"Prologue {ODD}"),
    (1, "Xenos on Cinnabar"),
    (2, "Sinmay on Kintikin"),
    (3, '"Over" Cinnabar'),
    (4, "Chapter 4 & 4.5"),
    (5, "Chapter 5 < 5.4"),
    (None, "Chapter A & B < C > D"),
    (7, None),
    (8, None),
]
# Front matter of every FanFicFare file: none of it is story text.
FRONT_MATTER = ("Category:", "Genre:", "Packaged:", "Story URL", "Table of Contents", "TABLE OF CONTENTS",
                "I suck at summaries", "Chapter title from site", "by Test Author")


def _fanficfare() -> str | None:
    beside = Path(sys.executable).parent / "fanficfare"
    return str(beside) if beside.exists() else shutil.which("fanficfare")


def make(folder: Path, sid: int) -> dict[str, Path]:
    """test1.com's story `sid` written by FanFicFare as EPUB, HTML and TXT into `folder`."""
    tool = _fanficfare()
    if tool is None:
        missing_tool("FanFicFare is not installed (pip install fanficfare, or the project's test extra)")
    files = {}
    for fmt in FORMATS:
        subprocess.run([tool, "--non-interactive", "-f", fmt, f"http://test1.com?sid={sid}"], cwd=folder,
                       check=True, capture_output=True, timeout=120)
        files[fmt] = next(folder.glob(f"*.{fmt}"))
    return files


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The same story written by FanFicFare as EPUB, HTML and TXT."""
    return make(tmp_path_factory.mktemp("fanficfare"), 1)


def parsed(path: Path, capsys: pytest.CaptureFixture[str]) -> dict:
    assert main(["parse", str(path), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def paragraphs(printed: dict) -> list[str]:
    return [p for c in printed["chapters"] for s in c["scenes"] for p in s["paragraphs"]]


@pytest.mark.parametrize("fmt", FORMATS)
def test_title_author_and_metadata_come_from_the_file(made, fmt, capsys) -> None:
    printed = parsed(made[fmt], capsys)
    assert printed["title"] == TITLE
    metadata = printed["metadata"]
    assert metadata["author"] == AUTHOR
    assert metadata["rating"] == "Tweenie"
    assert metadata["fandom"].startswith("Furbie, Harry Potter")
    assert metadata["source"] == "http://test1.com?sid=1"
    assert {"Comedy", "Bob Smith", "Harry Potter/Ginny Weasley", "Violence"} <= set(metadata["tags"])
    assert metadata["summary"].startswith("Description tests:") and "My first fic" in metadata["summary"]
    assert metadata["language"] == ("en" if fmt == "epub" else None)  # only the OPF states it


@pytest.mark.parametrize("fmt", FORMATS)
def test_chapters_are_titled_from_the_contents_never_the_site_heading(made, fmt, capsys) -> None:
    printed = parsed(made[fmt], capsys)
    assert [(c["number"], c["title"]) for c in printed["chapters"]] == CONTENTS


@pytest.mark.parametrize("fmt", FORMATS)
def test_front_matter_and_contents_are_never_story_text(made, fmt, capsys) -> None:
    printed = parsed(made[fmt], capsys)
    text = "\n".join(paragraphs(printed))
    assert not [marker for marker in FRONT_MATTER if marker in text]
    assert printed["chapters"][1]["scenes"][0]["paragraphs"][0].startswith("chapter URL:")
    assert [(n["chapter"], n["kind"]) for n in printed["notes"]] == [(0, "summary")]
    assert printed["summary"].startswith("Description tests:")
    assert not any("summaries" in q["text"] or "My first fic" in q["text"] for q in printed["quotes"])


@pytest.mark.parametrize("fmt", FORMATS)
def test_dialogue_is_found_as_in_the_same_story_as_plain_text(made, fmt, tmp_path, capsys) -> None:
    printed = parsed(made[fmt], capsys)
    # The same chapters, scenes and paragraphs as a plain .txt, as a reader would type them out.
    plain = "\n\n".join(
        f"Chapter {index + 1}\n\n" + "\n\n* * *\n\n".join("\n\n".join(s["paragraphs"]) for s in c["scenes"])
        for index, c in enumerate(printed["chapters"])
    )
    equivalent = tmp_path / "same.txt"
    equivalent.write_text(plain, encoding="utf-8")
    expected = parsed(equivalent, capsys)

    def lines(story: dict) -> list[tuple]:
        return [(q["text"], q["kind"], q["speaker"], q["chapter"]) for q in story["quotes"]]

    assert len(printed["quotes"]) == 32
    assert lines(printed) == lines(expected)


def test_the_three_formats_read_alike(made) -> None:
    stories = {fmt: read_upload(path.name, path.read_bytes(), max_bytes=None).story for fmt, path in made.items()}
    shapes = {fmt: [(c.number, c.title, len(c.scenes)) for c in s.chapters] for fmt, s in stories.items()}
    assert shapes["epub"] == shapes["html"] == shapes["txt"]
    quotes = {fmt: [(q.text, q.kind, q.chapter) for q in s.quotes] for fmt, s in stories.items()}
    assert quotes["epub"] == quotes["html"] == quotes["txt"]


def test_ingest_stores_fanficfare_files_with_their_metadata(made, tmp_path) -> None:
    db = tmp_path / "bot.db"
    result = run_cli("ingest", *made.values(), db=db, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "3 added" in result.stdout
    rows = sqlite3.connect(db).execute("SELECT title, author, rating, chapter_count FROM stories").fetchall()
    assert rows == [(TITLE, AUTHOR, "Tweenie", 9)] * 3


@pytest.mark.parametrize("sid", [664, 673], ids=["odd-title", "many-authors"])
def test_wrapped_titles_and_many_authors_read_alike_in_every_format(sid, tmp_path) -> None:
    """test1.com's 664 has a title full of markup characters, 673 nineteen authors: TXT wraps both."""
    files = make(tmp_path, sid)
    uploads = {fmt: read_upload(path.name, path.read_bytes(), max_bytes=None) for fmt, path in files.items()}
    titles = {upload.title for upload in uploads.values()}
    authors = {upload.metadata.author for upload in uploads.values() if upload.metadata.author}
    assert len(titles) == 1 and titles.pop().startswith(f"Test Story Title {sid}")
    assert len(authors) == 1
    if sid == 673:
        assert authors.pop().endswith("Author From List o")
    assert {len(upload.story.chapters) for upload in uploads.values()} == {9}


# A chapter as FanFicFare's AO3 adapter hands it to the writers (base_otw_adapter.getChapterText:
# a `story` div holding the head notes box, AO3's `userstuff module` text and the foot notes box,
# each note a `<b>` label and AO3's blockquote). test1.com has no such chapter, so this one is put
# in place of its first numbered chapter, inside the EPUB and HTML FanFicFare wrote.
AO3_CHAPTER = """<div class="story"><div class="fff_chapter_notes fff_head_notes"><b>Summary for the Chapter:</b>\
<blockquote class="userstuff">
<p>Mara hears the bell for the first time.</p>
</blockquote><b>Notes for the Chapter:</b><blockquote class="userstuff">
<p>This one is short, sorry!</p>
</blockquote></div><div class="userstuff module" role="article">
<p>"Do you hear that?" Mara asked.</p>
<p>Tobias set down his net and listened. "It's the old bell," he said.</p>
</div><div class="fff_chapter_notes fff_foot_notes"><b>Notes for the Chapter:</b><blockquote class="userstuff">
<p>Next chapter soon, I promise.</p>
</blockquote></div></div>
"""
AO3_NOTES = [
    (1, "before", "summary", "Mara hears the bell for the first time."),
    (1, "before", "note", "This one is short, sorry!"),
    (1, "after", "note", "Next chapter soon, I promise."),
]


def with_ao3_chapter(made: dict[str, Path], folder: Path) -> dict[str, Path]:
    epub = folder / "ao3.epub"
    with zipfile.ZipFile(made["epub"]) as original, zipfile.ZipFile(epub, "w") as copy:
        for item in original.infolist():
            data = original.read(item)
            if item.filename == "OEBPS/file0002.xhtml":
                page = data.decode()
                start = page.index("<div>", page.index('class="fff_chapter_title"'))
                data = (page[:start] + AO3_CHAPTER + page[page.index("</body>"):]).encode()
            copy.writestr(item, data)
    page = made["html"].read_text("utf-8")
    start = page.index("<div>", page.index('<a name="section0002">'))
    html = folder / "ao3.html"
    html.write_text(page[:start] + AO3_CHAPTER + page[page.index('<a name="section0003">'):], "utf-8")
    return {"epub": epub, "html": html}


@pytest.mark.parametrize("fmt", ["epub", "html"])
def test_ao3_chapter_summaries_and_notes_are_notes_of_their_kind(made, fmt, tmp_path, capsys) -> None:
    printed = parsed(with_ao3_chapter(made, tmp_path)[fmt], capsys)
    assert [(c["number"], c["title"]) for c in printed["chapters"]] == CONTENTS
    # A note's text keeps the label the conversion gave it for the parser (`Summary:`, `A/N:`).
    notes = [(n["chapter"], n["position"], n["kind"], re.sub(r"^(Summary|A/N): ", "", n["text"])) for n in printed["notes"]]
    assert notes[1:] == AO3_NOTES
    assert printed["chapters"][1]["scenes"][0]["paragraphs"] == [
        '"Do you hear that?" Mara asked.', 'Tobias set down his net and listened. "It\'s the old bell," he said.',
    ]
    # The dialogue as in the same chapter typed out as plain text, notes and all.
    equivalent = tmp_path / "same.txt"
    equivalent.write_text("Chapter 1\n\n" + "\n\n".join(
        ["Summary: Mara hears the bell for the first time.", "A/N: This one is short, sorry!",
         *printed["chapters"][1]["scenes"][0]["paragraphs"], "A/N: Next chapter soon, I promise."]
    ), encoding="utf-8")
    expected = parsed(equivalent, capsys)
    lines = [(q["text"], q["kind"], q["speaker"]) for q in printed["quotes"] if q["chapter"] == 1]
    assert [q[0] for q in lines] == ["Do you hear that?", "It's the old bell,"]
    assert lines == [(q["text"], q["kind"], q["speaker"]) for q in expected["quotes"]]
