"""Story files built in the tests themselves: AO3/FFN-style HTML pages and EPUBs (good and hostile)."""
from __future__ import annotations

import io
import zipfile
from html import escape

CHAPTER_ONE = [
    '"We leave at dawn," Naruto said, tightening his headband.',
    "Sakura rolled her eyes but smiled anyway.",
    '"You always say that," Sakura said. "And you always oversleep."',
]
CHAPTER_TWO = [
    "The road to the Land of Waves was longer than anyone remembered.",
    '"Are we there yet?" Naruto asked.',
    '"No," Kakashi said, not looking up from his book.',
]


def _paragraphs(lines: list[str]) -> str:
    return "\n".join(f"<p>{escape(line, quote=False)}</p>" for line in lines)


def ao3_html(
    *,
    title: str = "The Long Road",
    author: str = "inkfox",
    summary: str = "Team Seven takes a mission nobody wanted.",
    extra_head: str = "",
    extra_body: str = "",
) -> bytes:
    """A page shaped like AO3's HTML download: preface with tags, chapters with notes, afterword."""
    return f"""<!DOCTYPE html>
<html><head><meta charset="UTF-8"><title>{title} - {author} - Naruto [Archive of Our Own]</title>
<style type="text/css">body {{ color: red }} .secret-style {{ content: "STYLE-LEAK" }}</style>
{extra_head}</head>
<body>
<div id="preface">
  <p class="message"><b>{title}</b> Posted originally on the Archive of Our Own.</p>
  <div class="meta">
    <dl class="tags">
      <dt>Rating:</dt><dd><a href="/tags/Teen">Teen And Up Audiences</a></dd>
      <dt>Fandom:</dt><dd><a href="/tags/Naruto">Naruto</a></dd>
    </dl>
    <h1>{title}</h1>
    <div class="byline">by <a rel="author" href="/users/{author}">{author}</a></div>
    <p>Summary</p>
    <blockquote class="userstuff"><p>{summary}</p></blockquote>
    <p>Notes</p>
    <blockquote class="userstuff"><p>Thanks to my beta reader.</p></blockquote>
  </div>
</div>
<div id="chapters" class="userstuff">
  <div class="meta group">
    <h2 class="heading">Chapter 1: Dawn</h2>
    <p>Chapter Notes</p>
    <blockquote class="userstuff"><p>This chapter was hard to write.</p></blockquote>
  </div>
  <div class="userstuff">{_paragraphs(CHAPTER_ONE)}<script>alert("SCRIPT-LEAK")</script></div>
  <div class="meta group">
    <p>Chapter End Notes</p>
    <blockquote class="userstuff"><p>Please leave kudos!</p></blockquote>
  </div>
  <div class="meta group"><h2 class="heading">Chapter 2: The Road</h2></div>
  <div class="userstuff">{_paragraphs(CHAPTER_TWO)}<hr/><p>Later, they made camp.</p></div>
</div>
{extra_body}
<div id="afterword">
  <div class="meta"><p>Afterword</p><p>End Notes</p>
    <blockquote class="userstuff"><p>See you next time.</p></blockquote></div>
  <div id="works_links"><p>Please drop by the archive and comment.</p></div>
</div>
</body></html>""".encode()


def ffn_html(*, title: str = "Shadows of the Leaf", chapter: int = 3) -> bytes:
    """A chapter page as saved from FanFiction.net."""
    return f"""<html><head><title>{title} Chapter {chapter}, a naruto fanfic | FanFiction</title>
<script>var storyid = 1; document.write("SCRIPT-LEAK");</script></head>
<body><div id="pre_story_links"><a href="/anime/">Anime/Manga</a> » <a href="/anime/Naruto/">Naruto</a></div>
<div id="profile_top"><b class="xcontrast_txt">{title}</b> By: <a class="xcontrast_txt" href="/u/42/quill">quill</a>
<div class="xcontrast_txt" style="margin-top:2px">Naruto finds an old scroll.</div>
<span class="xgray xcontrast_txt">Rated: <a>Fiction T</a> - English - Adventure - Chapters: 5 - Words: 9,000</span></div>
<select id="chap_select"><option value="2">2. Before</option><option value="{chapter}" selected>{chapter}. The Scroll</option></select>
<div class="storytext xcontrast_txt nocopy" id="storytext">{_paragraphs(CHAPTER_ONE)}</div>
<div id="review">Reviews here</div></body></html>""".encode()


def epub_bytes(
    *,
    title: str = "The Long Road",
    author: str = "inkfox",
    description: str = "&lt;p&gt;Team Seven takes a mission.&lt;/p&gt;",
    chapters: list[tuple[str, list[str]]] | None = None,
    extra_members: dict[str, bytes] | None = None,
    container: bytes | None = None,
    opf_override: bytes | None = None,
) -> bytes:
    """A minimal valid EPUB 3 (mimetype, container.xml, OPF, nav, XHTML chapters)."""
    chapters = chapters if chapters is not None else [("Chapter 1: Dawn", CHAPTER_ONE), ("Chapter 2: The Road", CHAPTER_TWO)]
    manifest = ['<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>']
    spine = []
    files: dict[str, bytes] = {}
    for i, (heading, lines) in enumerate(chapters, start=1):
        # Spine order deliberately differs from file-name order: the spine must win.
        name = f"text/part{len(chapters) - i:02d}.xhtml"
        manifest.append(f'<item id="c{i}" href="{name}" media-type="application/xhtml+xml"/>')
        spine.append(f'<itemref idref="c{i}"/>')
        files[f"OEBPS/{name}"] = (
            '<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml">'
            f"<head><title>{escape(heading)}</title><style>p {{ x: 'STYLE-LEAK' }}</style></head>"
            f"<body><h2>{escape(heading)}</h2>{_paragraphs(lines)}</body></html>"
        ).encode()
    opf = opf_override or f"""<?xml version="1.0" encoding="UTF-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id">
<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:identifier id="id">urn:uuid:1</dc:identifier><dc:title>{title}</dc:title>
<dc:creator>{author}</dc:creator><dc:description>{description}</dc:description><dc:language>en</dc:language>
</metadata>
<manifest>{"".join(manifest)}</manifest>
<spine>{"".join(spine)}</spine>
</package>""".encode()
    nav = b'<html xmlns="http://www.w3.org/1999/xhtml"><body><nav><ol><li>Table of Contents NAV-LEAK</li></ol></nav></body></html>'
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        archive.writestr(
            "META-INF/container.xml",
            container
            or b'<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
            b'<rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>',
        )
        archive.writestr("OEBPS/content.opf", opf)
        archive.writestr("OEBPS/nav.xhtml", nav)
        for name, data in files.items():
            archive.writestr(name, data)
        for name, data in (extra_members or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def zip_bomb_epub() -> bytes:
    """A valid-looking EPUB with one member that inflates 200 MB of zeros from well under 1 MB."""
    buffer = io.BytesIO(epub_bytes())
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("OEBPS/text/huge.xhtml", "w", force_zip64=True) as member:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(200):
                member.write(chunk)
    return buffer.getvalue()


def traversal_epub() -> bytes:
    """An EPUB carrying a member whose name climbs out of the archive."""
    return epub_bytes(extra_members={"../../etc/evil.xhtml": b"<p>escape</p>"})
