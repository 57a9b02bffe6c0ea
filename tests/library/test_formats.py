"""Uploads to parser input: each format's structure and metadata, and every bad file refused clearly."""
from __future__ import annotations

import io
import time
import zipfile

import pytest

from bot.config import ConfigError, load_settings
from bot.formats import (
    DEFAULT_MAX_UPLOAD_BYTES,
    UploadRejected,
    check_upload,
    convert_upload,
)
from bot.formats.epub import EpubLimits, convert_epub
from bot.formats.html import convert_html
from bot.formats.text import strip_markdown
from bot.parsing import parse_story
from tests.library.builders import (
    CHAPTER_ONE,
    ao3_html,
    epub_bytes,
    ffn_html,
    traversal_epub,
    zip_bomb_epub,
)

LEAKS = ("SCRIPT-LEAK", "STYLE-LEAK", "NAV-LEAK", "alert(")


def text_of(manuscript) -> str:
    return manuscript.text.decode("utf-8")


def test_plain_text_goes_to_the_parser_untouched():
    data = b'Chapter 1\n\n"Hello," said Naruto.\n'
    manuscript = convert_upload("story.TXT", data)
    assert manuscript.kind == "text"
    assert manuscript.text == data


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("story.txt", b"", "empty"),
        ("story.txt", b"   \n\n  ", "empty"),
        ("story.txt", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "PNG image"),
        ("story.md", b"\xff\xd8\xff\xe0" + bytes(200), "JPEG image"),
        ("story.txt", b"%PDF-1.7\n" + bytes(100), "PDF"),
        ("story.txt", b"some words\x00\x00\x00\x01\x02 more", "binary"),
        ("story.txt", bytes(range(1, 32)) * 20 + b"abc", "garbled"),
        ("story.txt", b"1234 5678 -- !!! ... ???", "no words"),
        ("story.docx", b"hello there", ".docx"),
        ("story", b"hello there", "no extension"),
        ("cat.png", b"\x89PNG\r\n\x1a\n", ".png"),
    ],
)
def test_bad_files_get_a_clear_reason(name, data, reason):
    with pytest.raises(UploadRejected, match=reason):
        convert_upload(name, data)


def test_size_limit_is_checked_before_anything_else():
    with pytest.raises(UploadRejected, match=r"limit is 10.0 MB"):
        check_upload("big.txt", DEFAULT_MAX_UPLOAD_BYTES + 1)
    with pytest.raises(UploadRejected, match="limit"):
        convert_upload("big.txt", b"word " * 300, max_bytes=1000)
    assert check_upload("ok.epub", DEFAULT_MAX_UPLOAD_BYTES) == ".epub"


def test_size_limit_comes_from_the_settings():
    assert load_settings({}, env_file=None).max_upload_bytes == DEFAULT_MAX_UPLOAD_BYTES
    assert load_settings({"MAX_UPLOAD_MB": "2"}, env_file=None).max_upload_bytes == 2 * 1024 * 1024
    with pytest.raises(ConfigError, match=r"^MAX_UPLOAD_MB: "):
        load_settings({"MAX_UPLOAD_MB": "lots"}, env_file=None)


def test_windows_1252_text_is_decoded():
    manuscript = convert_upload("old.md", "“Caf\u00e9,” she said.".encode("cp1252"))
    assert text_of(manuscript) == "“Café,” she said."


def test_markdown_emphasis_is_stripped_but_ordinary_symbols_stay():
    source = (
        "# Chapter 1: *The* Start\n\n"
        "**Bold** and *soft* and _quiet_ and __strong__ and ~~gone~~ words.\n\n"
        "snake_case_name stays, 5 * 3 stays, a lone * stays, \\*escaped\\* too.\n\n"
        "> quoted line with [a link](http://x) and ![pic](p.png)\n\n"
        "***\n"
    )
    text = strip_markdown(source)
    lines = text.splitlines()
    assert lines[0] == "Chapter 1: The Start"
    assert lines[2] == "Bold and soft and quiet and strong and gone words."
    assert lines[4] == "snake_case_name stays, 5 * 3 stays, a lone * stays, *escaped* too."
    assert lines[6] == "quoted line with a link and pic"
    assert lines[8] == "* * *"


def test_ao3_download_gives_metadata_chapters_and_notes_apart():
    text, meta = convert_html(ao3_html())
    assert (meta.title, meta.author, meta.fandom, meta.rating) == ("The Long Road", "inkfox", "Naruto", "T")
    assert meta.summary == "Team Seven takes a mission nobody wanted."
    paragraphs = text.strip().split("\n\n")
    assert paragraphs[0] == "Summary: Team Seven takes a mission nobody wanted."
    assert paragraphs[1] == "A/N: Thanks to my beta reader."
    assert paragraphs[2] == "Chapter 1: Dawn"
    assert paragraphs[3] == "A/N: This chapter was hard to write."
    assert paragraphs[4] == CHAPTER_ONE[0]
    assert "A/N: Please leave kudos!" in paragraphs
    assert paragraphs.index("A/N: Please leave kudos!") < paragraphs.index("Chapter 2: The Road")
    assert "* * *" in paragraphs
    assert paragraphs[-1] == "A/N: See you next time."
    assert "Chapter Notes" not in text and "Please drop by" not in text
    for leak in LEAKS:
        assert leak not in text


def test_ao3_work_page_layout_is_understood():
    page = b"""<html><body>
    <div class="preface group"><h2 class="title heading">Quiet Rain</h2>
      <h3 class="byline heading"><a rel="author" href="/users/mist">mist</a></h3>
      <div class="summary module"><h3 class="heading">Summary:</h3>
        <blockquote class="userstuff"><p>Rain falls on Konoha.</p></blockquote></div></div>
    <div id="chapters"><div class="chapter" id="chapter-1">
      <div class="chapter preface group"><h3 class="title"><a href="#">Chapter 1</a>: Drizzle</h3>
        <div class="notes module"><h3 class="heading">Notes:</h3>
          <blockquote class="userstuff"><p>First try.</p></blockquote></div></div>
      <div class="userstuff module" role="article"><h3 class="landmark heading">Chapter Text</h3>
        <p>"Umbrella," Hinata said.</p><p>It rained all day.</p></div>
      <div class="chapter preface group"><div class="end notes module"><h3 class="heading">Notes:</h3>
        <blockquote class="userstuff"><p>Thanks for reading.</p></blockquote></div></div>
    </div></div></body></html>"""
    text, meta = convert_html(page)
    assert (meta.title, meta.author, meta.summary) == ("Quiet Rain", "mist", "Rain falls on Konoha.")
    assert text.split("\n\n") == [
        "Summary: Rain falls on Konoha.",
        "Chapter 1: Drizzle",
        "A/N: First try.",
        '"Umbrella," Hinata said.',
        "It rained all day.",
        "A/N: Thanks for reading.\n",
    ]


def test_fanfiction_net_page_gives_its_chapter_and_profile():
    text, meta = convert_html(ffn_html(chapter=3))
    assert (meta.title, meta.author, meta.rating, meta.fandom) == ("Shadows of the Leaf", "quill", "T", "Naruto")
    assert "Chapter 3: The Scroll" in text.split("\n\n")
    assert CHAPTER_ONE[2] in text
    assert "Reviews here" not in text and "SCRIPT-LEAK" not in text


def test_plain_html_headings_split_chapters_after_the_work_title():
    page = b"""<html><head><title>Ramen Night</title><meta name="author" content="ichiraku"></head><body>
    <h1>Ramen Night</h1><h2>Prologue</h2><p>Steam rose.</p><p>First line<br>second line</p>
    <h2>The Bowl</h2><p>"More," said Naruto.</p><noscript>NOSCRIPT-LEAK</noscript>
    <iframe src="x">IFRAME-LEAK</iframe></body></html>"""
    text, meta = convert_html(page)
    assert (meta.title, meta.author) == ("Ramen Night", "ichiraku")
    assert text.split("\n\n")[:4] == ["Chapter 1: Prologue", "Steam rose.", "First line\nsecond line", "Chapter 2: The Bowl"]
    assert "LEAK" not in text


@pytest.mark.parametrize("heading", ["h1", "h2", "h3"])
def test_html_heading_without_a_title_element_starts_a_chapter(heading):
    page = f'<html><body><{heading}>Chapter 1</{heading}><p>"Hi," said Naruto.</p></body></html>'.encode()
    manuscript = convert_upload("story.html", page)
    assert manuscript.metadata.title is None
    story = parse_story(manuscript.text, filename="story.html")
    assert [c.number for c in story.chapters] == [1]
    assert [(q.text, q.speaker) for q in story.quotes] == [("Hi,", "Naruto")]


def test_html_of_only_scripts_and_styles_is_refused():
    page = b"<html><head><style>p{}</style></head><body><script>document.write('hi there')</script></body></html>"
    with pytest.raises(UploadRejected, match="no story text"):
        convert_upload("evil.html", page)


def test_deeply_nested_html_costs_linear_time():
    """Nesting 10x deeper costs about 10x the CPU, not 100x (a walk per level was quadratic).

    CPU time, not the clock, and a ratio against a run measured here, so a loaded machine can't fail it.
    """

    def cpu_seconds(depth: int) -> float:
        page = b"<div>" * depth + b"<p>Deep down, Naruto laughed.</p>" + b"</div>" * depth
        best = float("inf")
        for _ in range(3):
            started = time.process_time()
            text, _ = convert_html(page)
            best = min(best, time.process_time() - started)
            assert "Deep down, Naruto laughed." in text
        return best

    shallow, deep = cpu_seconds(5_000), cpu_seconds(50_000)
    assert deep < 30 * max(shallow, 0.005), (shallow, deep)


def test_unclosed_and_stray_tags_do_not_lose_text():
    page = b"<body><p>One<p>Two</span></b><div><p>Three</div><p>Four"
    text, _ = convert_html(page)
    assert text.split("\n\n") == ["One", "Two", "Three", "Four\n"]


def test_epub_follows_container_opf_and_spine_order():
    manuscript = convert_upload("book.epub", epub_bytes())
    text = text_of(manuscript)
    assert manuscript.kind == "epub"
    meta = manuscript.metadata
    assert (meta.title, meta.author, meta.summary) == ("The Long Road", "inkfox", "Team Seven takes a mission.")
    assert text.index("Chapter 1: Dawn") < text.index(CHAPTER_ONE[0]) < text.index("Chapter 2: The Road")
    for leak in LEAKS:
        assert leak not in text


def test_epub_with_untitled_chapter_documents_numbers_them():
    text, _ = convert_epub(epub_bytes(chapters=[("", ["Plain words here."]), ("", ["More words there."])]))
    assert text.split("\n\n")[1:] == ["Chapter 1", "Plain words here.", "Chapter 2", "More words there.\n"]


def test_zip_bomb_epub_is_refused_quickly():
    bomb = zip_bomb_epub()
    assert len(bomb) < 2 * 1024 * 1024
    started = time.perf_counter()
    with pytest.raises(UploadRejected, match="zip bomb"):
        convert_upload("bomb.epub", bomb)
    assert time.perf_counter() - started < 2


def test_epub_whose_headers_lie_about_size_is_stopped_while_inflating():
    limits = EpubLimits(max_total_uncompressed=200 * 1024)
    big = epub_bytes(chapters=[("Chapter 1", ["word " * 100_000])])
    with pytest.raises(UploadRejected, match="zip bomb"):
        convert_epub(big, limits=limits)


def test_epub_with_too_many_members_is_refused():
    many = epub_bytes(extra_members={f"x/{i}.txt": b"" for i in range(30)})
    with pytest.raises(UploadRejected, match="more than 20 files"):
        convert_epub(many, limits=EpubLimits(max_members=20))


@pytest.mark.parametrize(
    "epub",
    [
        traversal_epub(),
        epub_bytes(extra_members={"/etc/passwd": b"root"}),
        epub_bytes(extra_members={"OEBPS/../../up.xhtml": b"x"}),
    ],
)
def test_epub_with_unsafe_member_paths_is_refused(epub):
    with pytest.raises(UploadRejected, match="unsafe path"):
        convert_epub(epub)


def test_epub_manifest_pointing_outside_is_refused():
    opf = b"""<package xmlns="http://www.idpf.org/2007/opf"><metadata/><manifest>
    <item id="a" href="../../secret.xhtml" media-type="application/xhtml+xml"/></manifest>
    <spine><itemref idref="a"/></spine></package>"""
    with pytest.raises(UploadRejected, match="outside"):
        convert_epub(epub_bytes(opf_override=opf))


@pytest.mark.parametrize(
    ("epub", "reason"),
    [
        (b"PK\x03\x04 not really a zip", "not a zip"),
        (epub_bytes(container=b"<container><rootfiles/></container>"), "names no package"),
        (epub_bytes(container=b"<container><rootfiles><rootfile full-path='OEBPS/gone.opf'/></rootfiles></container>"), "is missing"),
        (epub_bytes(opf_override=b"<package><metadata><dc:title>broken"), "not valid XML"),
        (epub_bytes(opf_override=b'<!DOCTYPE p [<!ENTITY a "aaaa">]><package>&a;</package>'), "entities"),
        (epub_bytes(chapters=[]), "no chapters"),
        (epub_bytes(opf_override=b"<package><manifest/><spine><itemref idref='ghost'/></spine></package>"), "not in the manifest"),
    ],
)
def test_broken_epubs_get_a_clear_reason(epub, reason):
    with pytest.raises(UploadRejected, match=reason):
        convert_upload("broken.epub", epub)


@pytest.mark.parametrize(
    "epub",
    [
        epub_bytes(opf_override=b"<package><manifest/><spine><itemref idref='**@everyone**'/></spine></package>"),
        epub_bytes(extra_members={"../**@everyone** <@123>.xhtml": b"x"}),
    ],
)
def test_a_name_from_inside_the_epub_is_shown_inert_in_the_refusal(epub):
    # The refusal goes to Discord as is: the file's own names must not format or mention.
    with pytest.raises(UploadRejected) as refused:
        convert_upload("named.epub", epub)
    message = str(refused.value)
    assert "\\*\\*@\u200beveryone\\*\\*" in message
    assert "**" not in message.replace("\\*", "")
    assert "<@123>" not in message


def test_epub_without_container_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/epub+zip")
        archive.writestr("chapter.xhtml", "<p>hi</p>")
    with pytest.raises(UploadRejected, match=r"container\.xml"):
        convert_upload("bare.epub", buffer.getvalue())


def test_epub_with_encrypted_chapters_is_refused_as_drm_but_obfuscated_fonts_are_fine():
    def encryption(algorithm: str, uri: str) -> bytes:
        return (
            '<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" '
            'xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData>'
            f'<enc:EncryptionMethod Algorithm="{algorithm}"/><enc:CipherData>'
            f'<enc:CipherReference URI="{uri}"/></enc:CipherData></enc:EncryptedData></encryption>'
        ).encode()

    locked = epub_bytes(
        extra_members={"META-INF/encryption.xml": encryption("http://www.w3.org/2001/04/xmlenc#aes128-cbc", "OEBPS/text/part01.xhtml")}
    )
    with pytest.raises(UploadRejected, match="DRM"):
        convert_upload("locked.epub", locked)
    fonts = epub_bytes(
        extra_members={"META-INF/encryption.xml": encryption("http://www.idpf.org/2008/embedding", "OEBPS/fonts/a.otf")}
    )
    assert "Chapter 1: Dawn" in text_of(convert_upload("fonts.epub", fonts))


def test_text_start_checks_piece_by_piece_as_decode_text_checks_the_whole(monkeypatch):
    from bot.formats import text as text_format
    from bot.formats.text import UploadRejected, decode_text, text_start

    samples = [
        b"Plain words\nand more words \xe2\x80\xa6 here\n" * 20,
        b"\xef\xbb\xbfWith a mark\r\nand more",
        b"  \n\t ",  # empty
        "\u00a0\u2003\n\u3000".encode(),  # only spaces once decoded: empty
        b"12 34\n" + b"\x01\x02" * 10,  # garbled, the bad characters in a later piece
        b"123 456\n789",  # no words
        b"%PDF-1.4 words",
        b"Caf\xe9 \x93quoted\x94\nline",  # not UTF-8: read whole
        b"\xff\xfeW\x00o\x00",  # UTF-16: read whole
        # ASCII pieces count their bad characters by deleting the good bytes: every control
        # character _BAD_CHARS names, and none of the others (tab, line ends, form feed), at the share.
        b"words\x7f\x0b\x1f" + b"a" * 297,
        b"words\x7f\x0b\x1f\x08" + b"a" * 296,
        b"words\t\r\x0c\x0c\x0c" + b"a" * 200,
        b"word \xc3\xa9\xc2\x85\xc2\x9f\x01" + b"a" * 100,  # not ASCII: C1 controls counted too
        # Not ASCII, each kind of bad character at the share (private use, U+FFFD, C1), among curly
        # quotes and dashes (whose bytes tell a piece with no bad character at once).
        "\u201cwords\u201d \u2014 \ue000\ue123\ueabc".encode() + b"a" * 250,
        "\u201cwords\u201d \u2014 \uf8ff\uf000\uf123".encode() + b"a" * 250,
        "\u201cwords\u201d \u2014 \x85\x9f\x90".encode() + b"a" * 250,  # C1 controls
        "\u201cwords\u201d \u2014 \ufffd\ufffd\ufffd".encode() + b"a" * 250,
        "\u201cwords\u201d \u2014 \ufffd\ue000".encode() + b"a" * 250,  # two: below the share
        "\u201cwords\u201d \u2014 \U0001f600\u00a9\uefff".encode() + b"a" * 250,
    ]
    for piece in (1, 7, 1 << 20):
        monkeypatch.setattr(text_format, "_PIECE", piece)
        for data in samples:
            try:
                expected = decode_text(data)[:50]
            except UploadRejected as exc:
                with pytest.raises(UploadRejected) as raised:
                    text_start(data, 50)
                assert str(raised.value) == str(exc)
            else:
                start = text_start(data, 50)
                assert start is None or start == expected, (piece, data)
                assert (start is None) == data.startswith((b"Caf", b"\xff\xfe")), data
