"""`parse` and `ingest` read every format `/story add` reads, through the same code (CONTRACT §3)."""
from __future__ import annotations

import io
import json
import sqlite3
import zipfile
from pathlib import Path

import pytest

from bot.cli import main
from bot.formats import read_upload
from tests.library.builders import CHAPTER_ONE, CHAPTER_TWO, ao3_html, epub_bytes, zip_bomb_epub
from tests.test_cli import assert_one_clean_line, run_cli

MARKDOWN = (
    "# Chapter 1: Dawn\n\n" + "\n\n".join(CHAPTER_ONE) + "\n\n# Chapter 2: The Road\n\n" + "\n\n".join(CHAPTER_TWO) + "\n"
).encode()
STORIES = {"long_road.epub": epub_bytes(), "long_road.html": ao3_html(), "long_road.md": MARKDOWN}


def parse_json(path: Path, capsys: pytest.CaptureFixture[str]) -> dict:
    assert main(["parse", str(path), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("name", sorted(STORIES))
def test_parse_reads_each_format_as_story_add_does(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / name
    path.write_bytes(STORIES[name])
    printed = parse_json(path, capsys)
    assert [c["title"] for c in printed["chapters"]] == ["Dawn", "The Road"]
    paragraphs = [p for c in printed["chapters"] for s in c["scenes"] for p in s["paragraphs"]]
    assert paragraphs[0] == CHAPTER_ONE[0]
    assert not any("<" in p or "STYLE-LEAK" in p or "NAV-LEAK" in p for p in paragraphs)
    assert {"We leave at dawn,", "No,"} <= {q["text"] for q in printed["quotes"]}
    upload = read_upload(name, STORIES[name])
    assert printed["title"] == upload.story.title
    assert len(printed["quotes"]) == len(upload.story.quotes)


def test_parse_html_never_shows_markup_as_chapters(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "page.htm"
    path.write_bytes(ao3_html())
    assert main(["parse", str(path)]) == 0
    out = capsys.readouterr().out
    assert "title:      The Long Road" in out
    assert "<html" not in out and "{" not in out


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("bomb.epub", zip_bomb_epub()),
        ("broken.epub", b"PK\x03\x04 not really a zip"),
        ("empty.html", b"<html><head><style>p {}</style></head><body></body></html>"),
        ("picture.md", b"\x89PNG\r\n\x1a\n" + bytes(range(256))),
    ],
)
def test_parse_bad_file_of_any_format_is_one_line_and_exit_2(name: str, content: bytes, tmp_path: Path) -> None:
    (tmp_path / name).write_bytes(content)
    result = run_cli("parse", name, db=tmp_path / "x.db", cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert_one_clean_line(result.stderr)
    assert name in result.stderr


def test_ingest_a_folder_takes_every_format_and_a_bad_file_stores_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "stories"
    (folder / "more").mkdir(parents=True)
    (folder / "road.epub").write_bytes(epub_bytes(title="Road of the EPUB"))
    (folder / "more" / "road.html").write_bytes(ao3_html(title="Road of the Page"))
    (folder / "walk.md").write_bytes(MARKDOWN)
    (folder / "walk.toml").write_text('title = "Road in Markdown"\n')
    (folder / "broken.epub").write_bytes(epub_bytes(opf_override=b"<package><not xml"))
    (folder / "notes.docx").write_bytes(b"ignored: not a story format")
    db = tmp_path / "bot.db"
    result = run_cli("ingest", folder, db=db, cwd=tmp_path)
    assert result.returncode == 2
    assert_one_clean_line(result.stderr)
    assert "broken.epub" in result.stderr
    assert "4 files: 3 added" in result.stdout and "1 failed" in result.stdout
    connection = sqlite3.connect(db)
    stored = dict(connection.execute("SELECT title, author FROM stories").fetchall())
    assert stored == {"Road of the EPUB": "inkfox", "Road of the Page": "inkfox", "Road in Markdown": "unknown"}
    texts = [r[0] for r in connection.execute("SELECT text FROM paragraphs")]
    assert CHAPTER_ONE[0] in texts and not any("<" in t for t in texts)
    again = run_cli("ingest", folder / "road.epub", folder / "more" / "road.html", db=db, cwd=tmp_path)
    assert again.returncode == 0 and "2 unchanged" in again.stdout, again.stdout


def test_parse_json_metadata_comes_from_the_epub(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "road.epub"
    path.write_bytes(epub_bytes())
    metadata = parse_json(path, capsys)["metadata"]
    assert metadata == {
        "author": "inkfox", "fandom": None, "rating": None, "tags": [],
        "summary": "Team Seven takes a mission.", "language": "en", "source": None,
    }


def test_parse_json_metadata_comes_from_an_ao3_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "road.html"
    path.write_bytes(ao3_html())
    metadata = parse_json(path, capsys)["metadata"]
    assert metadata["author"] == "inkfox"
    assert metadata["rating"] == "T" and metadata["fandom"] == "Naruto"
    assert metadata["summary"] == "Team Seven takes a mission nobody wanted."


def test_parse_json_metadata_comes_from_a_page_head(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = (
        '<html lang="en"><head><title>The Long Road</title><meta name="author" content="inkfox">'
        '<meta name="keywords" content="Team Seven, Missions"><meta name="description" content="A mission.">'
        '<link rel="canonical" href="https://example.org/works/1"></head><body><h1>Chapter 1: Dawn</h1>'
        + "".join(f"<p>{line}</p>" for line in CHAPTER_ONE) + "</body></html>"
    )
    path = tmp_path / "road.html"
    path.write_text(page)
    printed = parse_json(path, capsys)
    assert printed["title"] == "The Long Road"
    assert printed["metadata"] == {
        "author": "inkfox", "fandom": None, "rating": None, "tags": ["Team Seven", "Missions"],
        "summary": "A mission.", "language": "en", "source": "https://example.org/works/1",
    }


def test_parse_json_metadata_is_null_where_the_file_gives_none(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "plain.txt"
    path.write_text('"We leave at dawn," Naruto said.\n\nSakura smiled.\n')
    metadata = parse_json(path, capsys)["metadata"]
    assert metadata == dict.fromkeys(("author", "fandom", "rating", "summary", "language", "source")) | {"tags": []}


def test_a_toml_beside_the_file_overrides_its_metadata(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "road.epub"
    path.write_bytes(epub_bytes())
    (tmp_path / "road.toml").write_text('title = "Another Road"\nauthor = "someone"\nrating = "M"\n')
    printed = parse_json(path, capsys)
    assert printed["title"] == "Another Road"
    assert printed["metadata"]["author"] == "someone" and printed["metadata"]["rating"] == "M"
    assert printed["metadata"]["language"] == "en"  # what the .toml leaves alone stays the file's


def test_a_toml_summary_replaces_the_files_in_parse_and_ingest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sample = Path(__file__).parent / "library" / "samples" / "ao3_download.html"
    path = tmp_path / "bell.html"
    path.write_bytes(sample.read_bytes())
    assert parse_json(path, capsys)["summary"].startswith("The drowned bell")
    (tmp_path / "bell.toml").write_text('summary = "A bell, retold."\n')
    printed = parse_json(path, capsys)
    assert printed["summary"] == printed["metadata"]["summary"] == "A bell, retold."
    db = tmp_path / "bot.db"
    first = run_cli("ingest", path, db=db, cwd=tmp_path)
    assert first.returncode == 0, first.stderr

    def stored() -> list[tuple[str]]:
        return sqlite3.connect(db).execute("SELECT summary FROM stories").fetchall()

    assert stored() == [("A bell, retold.",)]
    again = run_cli("ingest", path, db=db, cwd=tmp_path)
    assert "1 unchanged" in again.stdout, again.stdout
    # A changed .toml summary updates the row of an unchanged text.
    (tmp_path / "bell.toml").write_text('summary = "The bell again."\n')
    updated = run_cli("ingest", path, db=db, cwd=tmp_path)
    assert "1 updated" in updated.stdout, updated.stdout
    assert stored() == [("The bell again.",)]


def test_ingest_stores_the_file_metadata_unless_the_toml_gives_its_own(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_bytes(ao3_html(title="From the Page"))
    (tmp_path / "other.html").write_bytes(ao3_html(title="Overridden", author="someone"))
    (tmp_path / "other.toml").write_text('author = "toml author"\nrating = "M"\n')
    db = tmp_path / "bot.db"
    result = run_cli("ingest", tmp_path / "page.html", tmp_path / "other.html", db=db, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = sqlite3.connect(db).execute("SELECT title, author, fandom, rating FROM stories ORDER BY id").fetchall()
    assert rows == [("From the Page", "inkfox", "Naruto", "T"), ("Overridden", "toml author", "Naruto", "M")]


def test_ingest_stores_tags_language_and_address_from_the_file_or_the_toml(tmp_path: Path) -> None:
    sample = Path(__file__).parent / "library" / "samples" / "ao3_download.html"
    (tmp_path / "bell.html").write_bytes(sample.read_bytes())
    (tmp_path / "retold.html").write_bytes(sample.read_bytes().replace(b"Mara", b"Maren"))
    (tmp_path / "retold.toml").write_text(
        'rating = "Teen And Up Audiences"\ntags = ["Retelling", " ", "Retelling", "Sea"]\nlanguage = "en-GB"\n'
        'url = "https://example.org/retold"\n'
    )
    db = tmp_path / "bot.db"
    result = run_cli("ingest", tmp_path / "bell.html", tmp_path / "retold.html", db=db, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = sqlite3.connect(db).execute("SELECT rating, tags, language, url, source FROM stories ORDER BY id").fetchall()
    assert [(r[0], json.loads(r[1])[-2:], r[2], r[3], r[4]) for r in rows] == [
        ("M", ["Coastal Town", "Found Family"], "English", "https://archiveofourown.org/works/12345678", "bell.html"),
        ("T", ["Retelling", "Sea"], "en-GB", "https://example.org/retold", "retold.html"),
    ]
    # A changed .toml updates the row of an unchanged text without parsing it again.
    (tmp_path / "retold.toml").write_text('rating = "Explicit"\ntags = ["Sea"]\n')
    result = run_cli("ingest", tmp_path / "retold.html", db=db, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert sqlite3.connect(db).execute("SELECT rating, tags FROM stories WHERE source = 'retold.html'").fetchall() == [
        ("E", '["Sea"]')
    ]


def test_a_toml_with_tags_that_are_not_a_list_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "road.epub"
    path.write_bytes(epub_bytes())
    (tmp_path / "road.toml").write_text('tags = "one, two"\n')
    assert main(["parse", str(path)]) == 2
    assert "'tags' must be a list of text" in capsys.readouterr().err
    (tmp_path / "road.toml").write_text('tags = ["Team Seven"]\nurl = "https://example.org/road"\nrating = "Mature"\n')
    metadata = parse_json(path, capsys)["metadata"]
    assert (metadata["tags"], metadata["source"], metadata["rating"]) == (["Team Seven"], "https://example.org/road", "M")


def test_markdown_front_matter_is_metadata_not_story(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "road.md"
    path.write_bytes(b"---\ntitle: The Long Road\nauthor: inkfox\nlang: en\ntags: [Team Seven, Missions]\n---\n\n" + MARKDOWN)
    printed = parse_json(path, capsys)
    assert printed["title"] == "The Long Road"
    assert (printed["metadata"]["author"], printed["metadata"]["language"]) == ("inkfox", "en")
    assert printed["metadata"]["tags"] == ["Team Seven", "Missions"]
    assert [c["title"] for c in printed["chapters"]] == ["Dawn", "The Road"]
    assert not any("inkfox" in p or "---" in p for c in printed["chapters"] for s in c["scenes"] for p in s["paragraphs"])


def headingless_epub(contents: str) -> bytes:
    """An EPUB split as calibre splits a book: chapter documents without headings, named only by
    the table of contents (`contents`: "nav" for EPUB 3, "ncx" for EPUB 2)."""
    chapters = [("The River", CHAPTER_ONE), ("Crossing", CHAPTER_TWO)]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/epub+zip")
        archive.writestr("META-INF/container.xml", '<?xml version="1.0"?><container version="1.0" '
                         'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile '
                         'full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>')
        toc_item = ('<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>'
                    if contents == "nav" else '<item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/>')
        items = "".join(f'<item id="c{i}" href="text/index_split_{i:03d}.html" media-type="application/xhtml+xml"/>'
                        for i in range(len(chapters)))
        spine = "".join(f'<itemref idref="c{i}"/>' for i in range(len(chapters)))
        archive.writestr("OEBPS/content.opf", f"""<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="2.0" unique-identifier="uid">
<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:identifier id="uid">1</dc:identifier>
<dc:title>The Ferry</dc:title><dc:creator>reedwhistle</dc:creator></metadata>
<manifest>{toc_item}{items}</manifest><spine{' toc="ncx"' if contents == "ncx" else ""}>{spine}</spine></package>""")
        if contents == "nav":
            links = "".join(f'<li><a href="text/index_split_{i:03d}.html">{t}</a></li>' for i, (t, _) in enumerate(chapters))
            archive.writestr("OEBPS/nav.xhtml", f'<html xmlns="http://www.w3.org/1999/xhtml"><body><nav><ol>{links}</ol></nav></body></html>')
        else:
            points = "".join(f'<navPoint id="p{i}" playOrder="{i}"><navLabel><text>{t}</text></navLabel>'
                             f'<content src="text/index_split_{i:03d}.html#start"/></navPoint>' for i, (t, _) in enumerate(chapters))
            archive.writestr("OEBPS/toc.ncx", '<?xml version="1.0"?><ncx xmlns="http://www.daisy.org/z3986/2005/ncx/" '
                             f'version="2005-1"><navMap>{points}</navMap></ncx>')
        for i, (_, lines) in enumerate(chapters):
            body = "".join(f'<p class="calibre1">{line}</p>' for line in lines)
            archive.writestr(f"OEBPS/text/index_split_{i:03d}.html", '<?xml version="1.0" encoding="utf-8"?>'
                             f'<html xmlns="http://www.w3.org/1999/xhtml"><head><title>The Ferry</title></head><body>{body}</body></html>')
    return buffer.getvalue()


@pytest.mark.parametrize("contents", ["nav", "ncx"])
def test_epub_chapters_without_headings_take_their_titles_from_the_contents(
    contents: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ferry.epub"
    path.write_bytes(headingless_epub(contents))
    printed = parse_json(path, capsys)
    assert printed["title"] == "The Ferry" and printed["metadata"]["author"] == "reedwhistle"
    assert [c["title"] for c in printed["chapters"]] == ["The River", "Crossing"]
    assert [p for s in printed["chapters"][1]["scenes"] for p in s["paragraphs"]] == CHAPTER_TWO


def test_an_ao3_rating_name_is_stored_as_the_letter_the_age_gate_knows(tmp_path: Path) -> None:
    (tmp_path / "dark.md").write_bytes(b"---\ntitle: Dark Road\nrating: Mature\n---\n\n" + MARKDOWN)
    db = tmp_path / "bot.db"
    result = run_cli("ingest", tmp_path / "dark.md", db=db, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert sqlite3.connect(db).execute("SELECT title, rating FROM stories").fetchall() == [("Dark Road", "M")]
