"""Files written by FanFicFare (EPUB, HTML, TXT): its layout is the same for every site it supports.

A title and `by Author`, a block of labelled fields (Category, Genre, Rating, Summary, ...), a table
of contents, then each chapter under its contents title, usually followed by the site's own heading
for it. The contents title is the chapter's title; the fields are metadata and the site heading is
dropped, so none of them is ever story text.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from bot.formats.manuscript import SCENE_BREAK, ChapterText, Metadata, render_text
from bot.formats.text import strip_markdown
from bot.lazylog import Logger

TYPE_CHECKING = False  # typing's, without loading typing: `parse` starts without it (bot/startup.py)
if TYPE_CHECKING:
    from bot.formats.html import Element

log = Logger(__name__)

# Labels FanFicFare gives its fields (its defaults.ini titlepage_entries), as metadata.
_FANDOM_LABELS = ("category", "fandom", "fandoms")
_TAG_LABELS = ("genre", "characters", "relationships", "warnings", "additional tags", "freeform tags")
_LABEL = re.compile(r"^([A-Z][A-Za-z /]{0,30}):(?:\s+(.*))?$")
_SECTION = re.compile(r"^section\d+$")
_TOC_TITLE = "TABLE OF CONTENTS"
# FanFicFare's TXT indents a chapter's contents title by eight spaces (its `tocpage` template).
_TXT_CHAPTER_INDENT = " " * 8
_TXT_SITE_HEADING = "### "


_NUMBERED = re.compile(r"^(?:chapter|ch\.?|part)\s*(\d{1,6})\b(?:\s*([,:.\-–—])\s*)?(.*)$", re.IGNORECASE)


def numbered(label: str) -> tuple[int | None, str | None]:
    """A contents title as (number, title): `Chapter 1, Xenos` -> (1, "Xenos"), `Chapter 7` -> (7, None),
    `Chapter 4 & 4.5` -> (4, "Chapter 4 & 4.5"), `Prologue` -> (None, "Prologue")."""
    match = _NUMBERED.match(label)
    if match is None:
        return None, label
    rest = match.group(3).strip()
    if not rest:
        return int(match.group(1)), None
    return int(match.group(1)), rest if match.group(2) else label


def by_position(chapters: list[ChapterText]) -> tuple[list[ChapterText], tuple[tuple[int | None, str | None], ...]]:
    """Chapters headed `Chapter <position>` for the parser, and their real (number, title) as contents.

    The parser's heading rules would miss or cut many contents titles (long ones, `Chapter 1, X`),
    and a chapter lost there merges into the one before it; a bare number always reads as a heading.
    """
    contents = tuple(numbered(c.title) if c.title else (None, None) for c in chapters)
    plain = [
        ChapterText(title=None, number=position, paragraphs=c.paragraphs, notes_before=c.notes_before,
                    notes_after=c.notes_after)
        for position, c in enumerate(chapters, start=1)
    ]
    return plain, contents


@dataclass(frozen=True, slots=True)
class Field:
    """One labelled field of FanFicFare's title page (e.g. "Rating: T")."""

    label: str
    value: str


def metadata_of(fields: list[Field], **known: str | None) -> Metadata:
    """FanFicFare's labelled fields as Metadata; `known` (title, author, source) fills in the rest."""
    values: dict[str, str] = {}
    tags: list[str] = []
    for field in fields:
        label, value = field.label.casefold(), " ".join(field.value.split())
        if not value:
            continue
        if label in _TAG_LABELS:
            tags.extend(t.strip() for t in value.split(", ") if t.strip() and t.strip() not in tags)
        elif label in _FANDOM_LABELS:
            values.setdefault("fandom", value)
        elif label in ("rating", "summary", "language"):
            values.setdefault(label, value)
        elif label == "story url":
            values.setdefault("source", value)
    return Metadata(
        title=known.get("title"), author=known.get("author"), summary=values.get("summary"),
        fandom=values.get("fandom"), rating=values.get("rating"), tags=tuple(tags),
        language=values.get("language"), source=values.get("source") or known.get("source"),
    )


def _fields_of_lines(lines: list[str]) -> list[Field]:
    """`Label: value` lines; any other line continues the field before it (wrapped or a second paragraph)."""
    fields: list[Field] = []
    for line in lines:
        match = _LABEL.match(line.strip())
        if match:
            fields.append(Field(match.group(1), match.group(2) or ""))
        elif line.strip() and fields:
            fields[-1] = Field(fields[-1].label, f"{fields[-1].value} {line.strip()}")
    return fields


# ---------------------------------------------------------------- HTML (one page) and EPUB documents
# These read bot.formats.html's tree, imported where used: a text file never loads the HTML reader.


def is_fanficfare_page(root: Element) -> bool:
    """FanFicFare's single-page HTML: a fields table and `sectionNNNN` anchors around chapter titles."""
    return root.find("table", cls="full") is not None and any(
        node.tag == "a" and _SECTION.match(node.attrs.get("name", "")) for node in root.iter()
    )


def _byline(heading: Element | None) -> dict[str, str | None]:
    """Title, authors and story URL from `<h1><a href=URL>Title</a> by <a class=authorlink>Author</a>, ...</h1>`."""
    from bot.formats.html import text_of

    if heading is None:
        return {}
    links = [a for a in heading.iter() if a.tag == "a"]
    authors = [text_of(a) for a in links if "authorlink" in a.classes]
    story = next((a for a in links if "authorlink" not in a.classes), None)
    return {
        "title": text_of(story) if story else None,
        "author": ", ".join(a for a in authors if a) or None,
        "source": story.attrs.get("href") or None if story else None,
    }


@dataclass(slots=True)
class _Body:
    """A chapter container's story paragraphs and the notes FanFicFare put around them."""

    paragraphs: list[str]
    before: list[str]
    after: list[str]


def _notes(box: Element) -> list[str]:
    """The notes in one `fff_chapter_notes` box: each `<b>` label names the note after it
    ("Summary for the Chapter:", "Notes for the Chapter:", "Author's Note:"; the labels are
    FanFicFare settings, so only "summary" in one is relied on)."""
    from bot.formats.html import Element, blocks_of, text_of

    notes: list[str] = []
    label = ""
    for child in box.children:
        if not isinstance(child, Element):
            continue
        if child.tag in ("b", "strong"):
            label = text_of(child).casefold()
            continue
        text = " ".join(b.text for b in blocks_of(child) if b.kind != "hr")
        if text:
            notes.append(f"Summary: {text}" if "summary" in label else text)
        label = ""
    return notes


def _chapter_body(container: Element) -> _Body:
    """A chapter's paragraphs without the site's own heading that FanFicFare keeps at its top, and
    the chapter summaries and notes it copied from AO3 and other OTW archives (`fff_head_notes`
    before the text, `fff_foot_notes` after) set apart."""
    from bot.formats.html import Element, blocks_of, paragraphs_of

    body = _Body([], [], [])
    if "fff_chapter_notes" in container.classes:  # a box straight under the EPUB chapter's <body>
        (body.after if "fff_foot_notes" in container.classes else body.before).extend(_notes(container))
        return body
    for node in list(container.iter()):
        for child in [c for c in node.children if isinstance(c, Element) and "fff_chapter_notes" in c.classes]:
            (body.after if "fff_foot_notes" in child.classes else body.before).extend(_notes(child))
            node.children.remove(child)
    blocks = blocks_of(container)
    if blocks and blocks[0].kind == "h":
        blocks = blocks[1:]
    body.paragraphs = list(paragraphs_of(blocks))
    return body


def page_chapters(root: Element) -> tuple[list[ChapterText], Metadata]:
    """FanFicFare's HTML page: chapters titled as in its contents, and its fields as metadata."""
    from bot.formats.html import Element, text_of

    body = root.find("body") or root
    fields = []
    table = body.find("table", cls="full")
    if table is not None:
        for row in (n for n in table.iter() if n.tag == "tr"):
            cells = [c for c in row.children if isinstance(c, Element) and c.tag == "td"]
            if len(cells) == 2:
                fields.append(Field(text_of(cells[0]).rstrip(":").strip(), text_of(cells[1])))
    metadata = metadata_of(fields, **_byline(body.find("h1")))
    chapters: list[ChapterText] = []
    title: str | None = None
    for child in body.children:
        if not isinstance(child, Element):
            continue
        if child.tag == "a" and _SECTION.match(child.attrs.get("name", "")):
            title = text_of(child) or None
        elif child.tag == "div" and title is not None:
            found = _chapter_body(child)
            if any(p != SCENE_BREAK for p in found.paragraphs):
                chapters.append(ChapterText(title=title, paragraphs=tuple(found.paragraphs),
                                            notes_before=tuple(found.before), notes_after=tuple(found.after)))
            title = None
    return chapters, metadata


def is_fanficfare_chapter(root: Element) -> bool:
    body = root.find("body")
    return body is not None and "fff_chapter" in body.classes


def epub_chapter(root: Element) -> ChapterText | None:
    """One chapter document of FanFicFare's EPUB: its title heading, then the site's text."""
    from bot.formats.html import Element, blocks_of, paragraphs_of, text_of

    body = root.find("body") or root
    heading = body.find("h3", cls="fff_chapter_title")
    title = text_of(heading) if heading else None
    found = _Body([], [], [])
    for child in body.children:
        if isinstance(child, Element) and child is not heading:
            if child.tag == "div":
                part = _chapter_body(child)
                found.paragraphs.extend(part.paragraphs)
                found.before.extend(part.before)
                found.after.extend(part.after)
            else:
                found.paragraphs.extend(paragraphs_of(blocks_of(child)))
    if not any(p != SCENE_BREAK for p in found.paragraphs):
        return None
    return ChapterText(title=title, paragraphs=tuple(found.paragraphs), notes_before=tuple(found.before),
                       notes_after=tuple(found.after))


def title_page_metadata(root: Element) -> Metadata:
    """The fields of FanFicFare's EPUB title page (`<b>Label:</b> value<br/>`)."""
    from bot.formats.html import blocks_of

    body = root.find("body") or root
    lines = [line for block in blocks_of(body) if block.kind == "p" for line in block.text.split("\n")]
    return metadata_of(_fields_of_lines(lines), **_byline(body.find("h3")))


# ---------------------------------------------------------------- TXT


def _squash(text: str) -> str:
    return "".join(text.split())


def _txt_paragraph(lines: list[str]) -> str:
    """A paragraph of FanFicFare's TXT: hard wraps joined, its Markdown-like emphasis dropped.

    A line ending in two spaces is a <br> of the original (Markdown's hard break) and stays a line.
    """
    joined = "".join(line.strip() + ("\n" if line.endswith("  ") else " ") for line in lines)
    return strip_markdown(joined.strip()).strip()


# How much of a text file's start may_be_text reads.
TEXT_START_CHARS = 200_000


def may_be_text(start: str) -> bool:
    """Whether a text file starting so (its first TEXT_START_CHARS characters) may be FanFicFare's TXT."""
    return _TOC_TITLE in start[:TEXT_START_CHARS]


def convert_text(text: str) -> tuple[str, Metadata] | None:
    """FanFicFare's TXT as parser text and metadata, or None when `text` is not laid out that way."""
    if not may_be_text(text):
        return None  # most text files: not split into lines for nothing
    lines = text.splitlines()
    toc = next((i for i, line in enumerate(lines[:500]) if line.strip() == _TOC_TITLE), None)
    if toc is None:
        return None
    # The title, the byline and the fields, each block wrapped at 78 columns by FanFicFare.
    head: list[list[str]] = [[]]
    for line in lines[:toc]:
        if line.strip():
            head[-1].append(line.strip())
        elif head[-1]:
            head.append([])
    head = [block for block in head if block]
    if len(head) < 3 or not head[1][0].startswith("by ") or not _LABEL.match(head[2][0]):
        return None
    title, byline = " ".join(head[0]), " ".join(head[1])
    fields = _fields_of_lines([line for block in head[2:] for line in block])
    metadata = metadata_of(fields, title=title, author=byline[3:].strip())
    entries: list[str] = []
    at = toc + 1
    while at < len(lines) and not (lines[at].startswith(_TXT_CHAPTER_INDENT) and lines[at].strip()):
        if lines[at].strip():
            entries.append(lines[at].strip())
        at += 1
    chapters: list[tuple[str, list[list[str]]]] = []
    block: list[str] = []

    def flush() -> None:
        if block and chapters:
            chapters[-1][1].append(block.copy())
        block.clear()

    expected = 0
    while at < len(lines):
        line = lines[at]
        if expected < len(entries) and line.startswith(_TXT_CHAPTER_INDENT) and line.strip():
            # A contents title, wrapped over as many lines as it takes.
            heading, end = [line.strip()], at + 1
            while end < len(lines) and lines[end].strip() and len(_squash(" ".join(heading))) < len(_squash(entries[expected])):
                heading.append(lines[end].strip())
                end += 1
            if _squash(" ".join(heading)) == _squash(entries[expected]):
                flush()
                chapters.append((entries[expected], []))
                expected += 1
                at = end
                continue
        if line.strip():
            block.append(line)
        else:
            flush()
        at += 1
    flush()
    if not chapters:
        return None
    rendered: list[ChapterText] = []
    for title, blocks in chapters:
        if blocks and blocks[0][0].startswith(_TXT_SITE_HEADING):
            blocks = blocks[1:]
        paragraphs = tuple(p for p in (_txt_paragraph(b) for b in blocks) if p)
        if any(p != SCENE_BREAK for p in paragraphs):
            rendered.append(ChapterText(title=title, paragraphs=paragraphs))
    if not rendered:
        return None
    plain, contents = by_position(rendered)
    return render_text(plain, summary=metadata.summary), dataclasses.replace(metadata, contents=contents)
