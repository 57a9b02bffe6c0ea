"""AO3 downloads: the preface's metadata, chapter summaries and notes set apart by kind, the closing
message never story text. samples/ao3_download.html is written by hand after otwarchive's download
templates (no tool here makes one); the EPUB holds the same parts one document each."""
from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from bot.cli import main

SAMPLE = Path(__file__).parent / "samples" / "ao3_download.html"
METADATA = {
    "author": "saltmarsh",
    "fandom": "Original Work",
    "rating": "M",
    "tags": [
        "No Archive Warnings Apply", "Mara & Tobias", "Mara/Ines", "Mara (Original)", "Tobias (Original)",
        "Ines (Original)", "Coastal Town", "Found Family",
    ],
    "summary": "The drowned bell rings only when the tide is out, and Mara means to find out why.",
    "language": "English",
    "source": "https://archiveofourown.org/works/12345678",
}
NOTES = [
    (0, "before", "summary", "The drowned bell rings only when the tide is out"),
    (0, "before", "note", "Written for a prompt exchange."),
    (0, "before", "summary", "Mara hears the bell for the first time."),
    (0, "before", "note", "This one is short, sorry!"),
    (0, "after", "note", "Next chapter soon, I promise."),
    (1, "after", "note", "Thanks for reading!"),
]


def ao3_epub() -> bytes:
    """The download's preface, chapters and afterword as the documents of an EPUB."""
    page = SAMPLE.read_text("utf-8")
    preface = page[page.index('<div id="preface">'):page.index('<div id="chapters"')]
    body = page[page.index('<div id="chapters"'):page.index('<div id="afterword">')]
    afterword = page[page.index('<div id="afterword">'):page.index("</body>")]
    second = body.index('<div class="meta group">', body.index("<!--/chapter content-->"))
    parts = [preface, body[:second] + "</div>", '<div id="chapters" class="userstuff">' + body[second:], afterword]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/epub+zip")
        archive.writestr("META-INF/container.xml", '<?xml version="1.0"?><container version="1.0" '
                         'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile '
                         'full-path="content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>')
        items = "".join(f'<item id="p{i}" href="part{i}.xhtml" media-type="application/xhtml+xml"/>' for i in range(4))
        spine = "".join(f'<itemref idref="p{i}"/>' for i in range(4))
        archive.writestr("content.opf", f"""<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="2.0" unique-identifier="uid">
<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:identifier id="uid">12345678</dc:identifier>
<dc:title>The Bell at Low Tide</dc:title><dc:creator>saltmarsh</dc:creator><dc:language>en</dc:language></metadata>
<manifest>{items}</manifest><spine>{spine}</spine></package>""")
        for i, part in enumerate(parts):
            archive.writestr(f"part{i}.xhtml", '<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml">'
                             f"<head><title>The Bell at Low Tide</title></head><body>{part}</body></html>")
    return buffer.getvalue()


# How AO3 makes a work's EPUB (otwarchive's app/models/download_writer.rb): its HTML download, zipped
# with its folder, through calibre's ebook-convert with these options (the work's metadata as
# DownloadWriter#meta gives it). calibre renames every class on the way.
AO3_EBOOK_CONVERT = [
    "--input-encoding", "utf-8", "--toc-threshold", "0", "--use-auto-toc",
    "--title", "The Bell at Low Tide", "--title-sort", "Bell at Low Tide, The",
    "--authors", "saltmarsh", "--author-sort", "saltmarsh",
    "--comments", "<p>The drowned bell rings only when the tide is out, and Mara means to find out why.</p>",
    "--tags", "Fanworks, Mature, No Archive Warnings Apply, Gen, Original Work, Mara & Tobias, Mara/Ines, "
    "Mara (Original), Tobias (Original), Ines (Original), Coastal Town, Found Family",
    "--pubdate", "2023-05-14", "--publisher", "Archive of Our Own", "--language", "en",
    "--chapter", "//h:body/h:div[@id='chapters']/h:h2[@class='toc-heading'] | //h:body/h:div[@id='chapters']"
    "/h:div[@class='meta group']/h:h2[@class='heading'] | //h:body/h:div[@id='preface' or @id='afterword']"
    "/h:h2[@class='toc-heading']",
    "--no-default-epub-cover",
]


@pytest.fixture(scope="module")
def ao3_made_epub(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The sample as AO3 turns it into an EPUB, by the real ebook-convert (Debian package calibre)."""
    convert = shutil.which("ebook-convert")
    if convert is None:
        pytest.skip("calibre's ebook-convert is not installed (apt-get install calibre; .ci/run installs it)")
    folder = tmp_path_factory.mktemp("ao3")
    (folder / "work").mkdir()
    shutil.copy(SAMPLE, folder / "work" / "The_Bell_at_Low_Tide.html")
    with zipfile.ZipFile(folder / "work.zip", "w") as archive:
        archive.write(folder / "work" / "The_Bell_at_Low_Tide.html", "work/The_Bell_at_Low_Tide.html")
    env = os.environ | {"QT_QPA_PLATFORM": "offscreen", "CALIBRE_CONFIG_DIRECTORY": str(folder / "config"),
                        "XDG_RUNTIME_DIR": str(folder)}
    subprocess.run([convert, str(folder / "work.zip"), str(folder / "bell.epub"), *AO3_EBOOK_CONVERT],
                   check=True, capture_output=True, timeout=120, env=env)
    return (folder / "bell.epub").read_bytes()


@pytest.fixture(params=["html", "epub", "ao3-epub"])
def download(request, tmp_path: Path) -> Path:
    path = tmp_path / f"bell.{request.param.removeprefix('ao3-')}"
    if request.param == "ao3-epub":
        path.write_bytes(request.getfixturevalue("ao3_made_epub"))
    else:
        path.write_bytes(SAMPLE.read_bytes() if request.param == "html" else ao3_epub())
    return path


def parsed(path: Path, capsys: pytest.CaptureFixture[str]) -> dict:
    assert main(["parse", str(path), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_preface_gives_title_author_and_every_tag(download, capsys) -> None:
    printed = parsed(download, capsys)
    assert printed["title"] == "The Bell at Low Tide"
    # The preface beats the EPUB's package file, which lumps every tag (the rating and "Fanworks"
    # too) into its subjects and states the language as a code.
    assert printed["metadata"] == METADATA


def test_chapter_summaries_and_notes_are_notes_of_their_kind(download, capsys) -> None:
    printed = parsed(download, capsys)
    assert [(c["number"], c["title"]) for c in printed["chapters"]] == [(1, "The Shore"), (2, "The Bell")]
    notes = [(n["chapter"], n["position"], n["kind"], n["text"]) for n in printed["notes"]]
    assert [(c, p, k) for c, p, k, _ in notes] == [(c, p, k) for c, p, k, _ in NOTES]
    assert all(start in text for (*_, text), (*_, start) in zip(notes, NOTES, strict=True))
    story_text = "\n".join(p for c in printed["chapters"] for s in c["scenes"] for p in s["paragraphs"])
    for marker in ("prompt exchange", "short, sorry", "Next chapter soon", "Thanks for reading", "drop by the Archive",
                   "comment", "Posted originally", "Chapter Summary", "Chapter Notes", "End Notes", "Stats"):
        assert marker not in story_text
    assert not any("drop by" in n["text"] for n in printed["notes"])


def test_dialogue_is_found_as_in_the_same_story_as_plain_text(download, tmp_path, capsys) -> None:
    printed = parsed(download, capsys)
    page = SAMPLE.read_text("utf-8")
    chapters = re.findall(r'<div class="userstuff">(.*?)</div>', page, re.DOTALL)
    plain = "\n\n".join(
        f"Chapter {i}\n\n" + "\n\n".join(re.sub(r"<hr/>", "* * *", re.sub(r"</?p>", "", line)).strip()
                                         for line in body.strip().splitlines())
        for i, body in enumerate(chapters, start=1)
    ).replace("&amp;", "&")
    (tmp_path / "bell.txt").write_text(plain, encoding="utf-8")
    expected = parsed(tmp_path / "bell.txt", capsys)

    def lines(story: dict) -> list[tuple]:
        return [(q["text"], q["kind"], q["speaker"], q["chapter"], q["scene"]) for q in story["quotes"]]

    assert len(printed["quotes"]) == 9
    assert lines(printed) == lines(expected)
