"""HTML uploads (pages saved from AO3 or FanFiction.net, or any plain HTML) read with html.parser.

The markup becomes a small tree; scripts, styles and other active content are dropped while the
tree is built, so their text never reaches the story. Walks are iterative, so deep nesting is safe.
"""
from __future__ import annotations

import dataclasses
import itertools
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

from bot.formats.manuscript import SCENE_BREAK, ChapterText, Metadata, render_text, short_rating
from bot.formats.text import UploadRejected, decode_text

log = logging.getLogger(__name__)

MAX_DEPTH = 200  # deeper elements are flattened into their ancestor; real pages nest far less
_VOID = frozenset(
    "area base br col embed hr img input link meta param source track wbr keygen".split()
)
# Content of these never becomes text: active content, embedded documents and form controls.
_DROPPED = frozenset(
    "script style noscript template iframe object embed applet svg math canvas audio video "
    "textarea button frame frameset".split()
)
_SKIPPED_IN_TEXT = frozenset("head title select option nav form img map".split())
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_BLOCKS = frozenset(
    "p div section article main blockquote li ul ol dl dt dd table tr td th tbody thead center "
    "pre header footer aside figure figcaption address details summary body html".split()
) | frozenset(_HEADINGS)
_CLOSES_P = _BLOCKS - {"body", "html"} | {"hr"}
_WHITESPACE = re.compile(r"[ \t\r\n\f\u00a0\u200b]+")
_BREAKS = re.compile(r"\n\s*\n+")
_AO3_LABELS = {
    "summary": ("summary", "before"),
    "notes": ("note", "before"),
    "chapter summary": ("summary", "before"),
    "chapter notes": ("note", "before"),
    "end notes": ("note", "after"),
    "chapter end notes": ("note", "after"),
}


@dataclass(eq=False, slots=True)
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    @property
    def id(self) -> str:
        return self.attrs.get("id", "")

    def iter(self) -> Iterator[Element]:
        """Every element below (and including) this one, in document order, without recursion."""
        stack: list[Element] = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend([c for c in node.children[::-1] if type(c) is Element])

    def find(self, tag: str | None = None, *, id: str | None = None, cls: str | None = None) -> Element | None:
        for node in self.iter():
            if (tag is None or node.tag == tag) and (id is None or node.id == id) and (
                cls is None or cls in node.classes
            ):
                return node
        return None


class _TreeBuilder(HTMLParser):
    """Forgiving tree building: unknown end tags are ignored, open elements close at their parent's end."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.stack: list[Element] = [self.root]
        self.dropping: str | None = None
        self.drop_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.dropping is not None:
            if tag == self.dropping:
                self.drop_depth += 1
            return
        if tag in _DROPPED:
            if tag not in _VOID:
                self.dropping, self.drop_depth = tag, 1
            return
        if tag in _CLOSES_P and self.stack[-1].tag == "p":
            self.stack.pop()
        if tag == "li" and self.stack[-1].tag == "li":
            self.stack.pop()
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(element)
        if tag not in _VOID and len(self.stack) < MAX_DEPTH:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.dropping is None and tag not in _DROPPED:
            self.stack[-1].children.append(Element(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        if self.dropping is not None:
            if tag == self.dropping:
                self.drop_depth -= 1
                if self.drop_depth == 0:
                    self.dropping = None
            return
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        if self.dropping is None:
            self.stack[-1].children.append(data)


def parse_html(markup: str) -> Element:
    """Build the forgiving element tree of `markup`."""
    builder = _TreeBuilder()
    builder.feed(markup)
    builder.close()
    return builder.root


def text_of(node: Element) -> str:
    """The visible text of `node`, whitespace collapsed to single spaces."""
    parts: list[str] = []
    stack: list[Element | str] = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            parts.append(item)
        elif item.tag == "br":
            parts.append(" ")
        elif item.tag not in _SKIPPED_IN_TEXT or item is node:
            if item.tag in _BLOCKS:
                parts.append(" ")
            stack.extend(reversed(item.children))
    return _WHITESPACE.sub(" ", "".join(parts)).strip()


@dataclass(frozen=True, slots=True)
class Block:
    kind: str  # "p", "h" (heading) or "hr"
    text: str = ""
    level: int = 0


def blocks_of(node: Element) -> list[Block]:
    """Paragraph-level blocks of `node` in order; a double <br> splits a paragraph, a single one wraps."""
    out: list[Block] = []
    buffer: list[str | None] = []  # text as it comes, None for a <br>
    breaks = False  # whether the buffer holds a <br>

    def flush() -> None:
        nonlocal breaks
        if not buffer:
            return
        if not breaks:
            # Most paragraphs have no <br>: one split collapses their whitespace (a third of the
            # whole conversion went into the general path below, run for every paragraph).
            text = "".join(buffer)
            buffer.clear()
            if text.isspace():  # the line breaks between two tags
                return
            paragraph = " ".join(_WHITESPACE.split(text)).strip()
            if paragraph:
                out.append(Block("p", paragraph))
            return
        text = "".join("\n" if item is None else _WHITESPACE.sub(" ", item) for item in buffer)
        buffer.clear()
        breaks = False
        for piece in _BREAKS.split(text):
            lines = [" ".join(_WHITESPACE.split(line)).strip() for line in piece.split("\n")]
            paragraph = "\n".join(line for line in lines if line)
            if paragraph:
                out.append(Block("p", paragraph))

    stack: list[tuple[Element | str, bool]] = [(node, False)]
    while stack:
        item, closing = stack.pop()
        if isinstance(item, str):
            buffer.append(item)
            continue
        if closing:
            flush()
            continue
        tag = item.tag
        # pandoc's standalone title block repeats the <head>'s title, author and description.
        if tag in _SKIPPED_IN_TEXT or "landmark" in item.classes or item.id == "title-block-header":
            continue
        if tag == "br":
            buffer.append(None)
            breaks = True
        elif tag == "hr":
            flush()
            out.append(Block("hr"))
        elif tag in _HEADINGS:
            flush()
            text = text_of(item)
            if text:
                out.append(Block("h", text, _HEADINGS[tag]))
        else:
            if tag in _BLOCKS:
                flush()
                stack.append((item, True))
            stack.extend((child, False) for child in reversed(item.children))
    flush()
    return out


def paragraphs_of(blocks: list[Block]) -> tuple[str, ...]:
    """Blocks as paragraph strings; headings inside a chapter stay as lines, rules become scene breaks."""
    return tuple(SCENE_BREAK if b.kind == "hr" else b.text for b in blocks)


def _note(node: Element) -> str:
    return " ".join(b.text for b in blocks_of(node) if b.kind != "hr")


@dataclass(slots=True)
class Extract:
    """What one HTML document holds; EPUB merges several of these."""

    metadata: Metadata = field(default_factory=Metadata)
    front_notes: list[str] = field(default_factory=list)
    front_matter: list[str] = field(default_factory=list)
    chapters: list[ChapterText] = field(default_factory=list)
    end_notes: list[str] = field(default_factory=list)
    kind: str = "generic"  # "ao3", "ffn", "fanficfare" or "generic"


def _head_metadata(root: Element) -> Metadata:
    """A page's own metadata: <title>, <meta> author/description/keywords, its language and URL."""
    title_el = root.find("title")
    found: dict[str, str] = {}
    for node in root.iter():
        if node.tag == "meta":
            name = (node.attrs.get("name") or node.attrs.get("property") or "").lower()
            key = {"author": "author", "description": "summary", "keywords": "tags", "og:url": "source",
                   "dc.language": "language"}.get(name)
            if key and node.attrs.get("content", "").strip():
                found.setdefault(key, node.attrs["content"].strip())
        elif node.tag == "html" and node.attrs.get("lang", "").strip():
            found.setdefault("language", node.attrs["lang"].strip())
        elif node.tag == "link" and "canonical" in node.attrs.get("rel", "").lower().split():
            found.setdefault("source", node.attrs.get("href", "").strip())
    title = text_of(title_el) if title_el else None
    tags = tuple(t.strip() for t in found.get("tags", "").split(",") if t.strip())
    return Metadata(
        title=title or None, author=found.get("author"), summary=found.get("summary"), tags=tags,
        language=found.get("language"), source=found.get("source") or None,
    )


def _label(node: Element) -> tuple[str, str] | None:
    """The AO3 label ("Notes", "Chapter End Notes", ...) a <p> or heading states, if any."""
    text = text_of(node).rstrip(":").strip().lower()
    return _AO3_LABELS.get(text)


# AO3's pointers to notes placed after the text; in its HTML they are `endnote-link` divs.
_SEE_THE_END = re.compile(r"^See the end of the (?:chapter|work) for\b", re.IGNORECASE)
# What stands for story text in a class-less AO3 document (below).
_TEXT_BLOCKS = frozenset("p blockquote ul ol table pre hr center".split())


def _ao3_part_holders(root: Element) -> set[int]:
    """The ids of the elements holding AO3's own parts (a chapter heading, or a labelled note)
    rather than only story text: a heading below them, or a label paragraph right before a
    blockquote. One pass, children before parents, so deep nesting costs no more than a flat page."""
    holders: set[int] = set()
    for node in reversed(list(root.iter())):
        elements = [c for c in node.children if isinstance(c, Element)]
        if any(c.tag in ("h1", "h2", "h3") or id(c) in holders for c in elements) or any(
            a.tag == "p" and b.tag == "blockquote" and _label(a) for a, b in itertools.pairwise(elements)
        ):
            holders.add(id(node))
    return holders


def _ao3(root: Element) -> Extract:
    extract = Extract(kind="ao3")
    meta = Metadata()
    # AO3 makes its EPUBs from its HTML download with calibre's ebook-convert, which renames every
    # class (otwarchive's DownloadWriter): then only the ids (preface, chapters, afterword) and the
    # labels are left to go by, and any other text in #chapters is the story's.
    classless = not any("userstuff" in node.classes for node in root.iter())
    holders = _ao3_part_holders(root) if classless else set()
    chapters: list[dict] = []
    pending: tuple[str, str] | None = None
    stack: list[tuple[Element, str]] = [(root, "body")]  # the region decides where notes go

    def chapter() -> dict:
        if not chapters:
            chapters.append({"title": None, "before": [], "after": [], "blocks": []})
        return chapters[-1]

    while stack:
        node, region = stack.pop()
        classes = node.classes
        if node.tag in _DROPPED or node.tag in ("head", "nav", "form") or "landmark" in classes:
            continue
        if node.id == "afterword" or "afterword" in classes:
            region = "afterword"
        elif node.id == "preface" or ({"preface", "group"} <= classes and "chapter" not in classes):
            region = "preface"
            title_el = node.find("h1") or node.find("h2", cls="title")
            author_el = next(
                (a for a in node.iter() if a.tag == "a" and a.attrs.get("rel") == "author"), None
            )
            meta = meta.merged(
                Metadata(
                    title=text_of(title_el) if title_el else None,
                    author=text_of(author_el) if author_el else None,
                    **_ao3_tags(node),
                )
            )
        if node.tag in ("p", "h2", "h3", "h4") and _label(node):
            pending = _label(node)
            continue
        if node.tag == "div" and "module" in classes and ("notes" in classes or "summary" in classes):
            pending = ("summary", "before") if "summary" in classes else (
                ("note", "after") if "end" in classes else ("note", "before")
            )
        if node.tag == "blockquote" and ("userstuff" in classes or (classless and pending)):
            kind, position = pending or ("note", "before")
            pending = None
            text = _note(node)
            if region == "preface":
                if kind == "summary" and not meta.summary:
                    meta = meta.merged(Metadata(summary=text))
                else:
                    extract.front_notes.append(text)
            elif region == "afterword":
                extract.end_notes.append(text)
            else:
                current = chapter()
                if current["blocks"] and position == "before" and kind != "summary":
                    position = "after"
                # Labelled as what it is: the parser sets a chapter summary apart as a summary.
                current[position].append(f"Summary: {text}" if kind == "summary" else text)
            continue
        if region == "body" and node.tag in ("h2", "h3") and "byline" not in classes:
            title = text_of(node)
            if title:
                chapters.append({"title": title, "before": [], "after": [], "blocks": []})
            continue
        if classless and region == "body" and (
            (node.tag == "div" and id(node) not in holders) or node.tag in _TEXT_BLOCKS
        ):
            blocks = [Block("hr")] if node.tag == "hr" else blocks_of(node)
            if not (blocks and _SEE_THE_END.match(blocks[0].text)):
                chapter()["blocks"].extend(blocks)
            continue
        if region == "body" and "userstuff" in classes and not (
            node.id == "chapters" and _holds_userstuff(node)
        ):
            chapter()["blocks"].extend(blocks_of(node))
            continue
        if region != "preface" or node.tag not in ("dl", "h1", "h2"):
            stack.extend((c, region) for c in reversed(node.children) if isinstance(c, Element))
    extract.metadata = meta
    extract.chapters = [
        ChapterText(
            title=c["title"],
            paragraphs=paragraphs_of(c["blocks"]),
            notes_before=tuple(c["before"]),
            notes_after=tuple(c["after"]),
        )
        for c in chapters
        if c["blocks"]
    ]
    return extract


def _holds_userstuff(node: Element) -> bool:
    """AO3's download wraps every chapter's own `userstuff` div inside an outer `#chapters.userstuff`."""
    return any(
        "userstuff" in n.classes and n.tag != "blockquote" for n in node.iter() if n is not node
    )


# The tag list's labels (the download's <dt> text, singular or plural) or the work page's <dd> classes.
_AO3_FIELDS = (
    ("rating", "rating"),
    ("warning", "tags"),
    ("fandom", "fandom"),
    ("relationship", "tags"),
    ("character", "tags"),
    ("additional tag", "tags"),
    ("freeform", "tags"),
    ("language", "language"),
)


def _ao3_field(label: str) -> str | None:
    return next((field for word, field in _AO3_FIELDS if word in label), None)


def _ao3_tags(preface: Element) -> dict[str, object]:
    """Metadata from the work's tag list (a <dl> of <dt>label</dt><dd>value</dd>): rating, fandoms,
    archive warnings, relationships, characters and additional tags (as tags), language; and the
    work's address from the download's "Posted originally on the Archive of Our Own at URL"."""
    values: dict[str, list[str]] = {}
    label = ""
    for node in preface.iter():
        if node.tag == "dt":
            label = " ".join(node.classes) + " " + text_of(node).rstrip(":").strip().lower()
        elif node.tag == "dd":
            field = _ao3_field(" ".join(node.classes)) or _ao3_field(label)
            links = [text_of(a) for a in node.iter() if a.tag == "a"]
            items = links or [t.strip() for t in text_of(node).split(", ")]
            if field == "tags":
                values.setdefault(field, []).extend(item for item in items if item)
            elif field is not None and field not in values:
                values[field] = [item for item in items if item]
            label = ""
    rating = next(iter(values.get("rating", ())), None)
    if rating is not None:
        rating = short_rating(rating)
    message = preface.find("p", cls="message")
    work_link = next(
        (a.attrs["href"] for a in (message.iter() if message else ()) if a.tag == "a"
         and "/works/" in a.attrs.get("href", "")),
        None,
    )
    return {
        "rating": rating,
        "fandom": ", ".join(values.get("fandom", ())) or None,
        "tags": tuple(dict.fromkeys(values.get("tags", ()))),
        "language": next(iter(values.get("language", ())), None),
        "source": work_link,
    }


_CHAPTERISH = re.compile(r"^\s*(chapter|part|book|prologue|epilogue|interlude)\b|^\s*\d+\b", re.IGNORECASE)
_FFN_RATING = re.compile(r"Rated:\s*(?:Fiction\s+)?([KTM]\+?|MA)\b")
_FFN_OPTION = re.compile(r"^\s*(\d+)\.\s*(.*)$")


def _ffn(root: Element, storytext: Element) -> Extract:
    extract = Extract(kind="ffn")
    profile = root.find(id="profile_top")
    title = author = summary = rating = fandom = language = None
    tags: tuple[str, ...] = ()
    if profile:
        title_el = profile.find("b")
        author_el = next(
            (a for a in profile.iter() if a.tag == "a" and "/u/" in a.attrs.get("href", "")), None
        )
        summary_el = profile.find("div", cls="xcontrast_txt")
        title = text_of(title_el) if title_el else None
        author = text_of(author_el) if author_el else None
        summary = text_of(summary_el) if summary_el else None
        rated = _FFN_RATING.search(text_of(profile))
        rating = rated.group(1) if rated else None
        language, tags = _ffn_details(profile)
    crumbs = root.find(id="pre_story_links")
    if crumbs:
        links = [a for a in crumbs.iter() if a.tag == "a"]
        fandom = text_of(links[-1]) if links else None
    number = chapter_title = None
    select = root.find("select", id="chap_select") or root.find("select")
    if select:
        chosen = next((o for o in select.iter() if o.tag == "option" and "selected" in o.attrs), None)
        match = _FFN_OPTION.match(text_of(chosen)) if chosen else None
        if match:
            number, chapter_title = int(match.group(1)), match.group(2).strip() or None
    extract.metadata = Metadata(
        title=title, author=author, summary=summary, fandom=fandom, rating=rating, tags=tags, language=language,
        source=_head_metadata(root).source,
    )
    extract.chapters = [
        ChapterText(title=chapter_title, number=number, paragraphs=paragraphs_of(blocks_of(storytext)))
    ]
    return extract


def _ffn_details(profile: Element) -> tuple[str | None, tuple[str, ...]]:
    """Language, then genres and characters as tags, from FanFiction.Net's line
    `Rated: Fiction T - English - Adventure/Drama - Naruto U., Hinata H. - Chapters: 5 - ...`."""
    line = next((text_of(n) for n in profile.iter() if n.tag == "span" and "Rated:" in text_of(n)), "")
    parts = [part.strip() for part in line.split(" - ")]
    if len(parts) < 2 or not parts[0].startswith("Rated:"):
        return None, ()
    plain = [part for part in parts[1:] if ":" not in part and part != "Complete"]
    tags = [tag.strip("[] ") for part in plain[1:3] for tag in re.split(r"[/,]", part) if tag.strip("[] ")]
    return (plain[0] if plain else None), tuple(tags)


def _generic(root: Element, work_title: str | None) -> Extract:
    """Any other page: h1-h3 headings start chapters, except a lone leading heading naming the work."""
    extract = Extract(metadata=_head_metadata(root))
    body = root.find("body") or root
    blocks = blocks_of(body)
    headings = [i for i, b in enumerate(blocks) if b.kind == "h" and b.level <= 3]
    title_index = None
    if headings:
        first = headings[0]
        before_text = any(b.kind == "p" for b in blocks[:first])
        # A page may have no <title> at all: then no heading can name the work by it.
        known_title = extract.metadata.title if work_title is None else work_title
        doc_title = (known_title or "").casefold()
        names_work = bool(doc_title) and not _CHAPTERISH.match(blocks[first].text) and (
            blocks[first].text.casefold() in doc_title or doc_title in blocks[first].text.casefold()
        )
        deeper_follow = any(blocks[i].level > blocks[first].level for i in headings[1:])
        if not before_text and (names_work or deeper_follow):
            title_index = first
            extract.metadata = Metadata(title=blocks[first].text).merged(extract.metadata)
    current: dict | None = None
    chapters: list[dict] = []
    for i, block in enumerate(blocks):
        if i == title_index:
            continue
        if block.kind == "h" and block.level <= 3:
            current = {"title": block.text, "blocks": []}
            chapters.append(current)
        elif current is None:
            if block.kind == "p":
                extract.front_matter.append(block.text)
        else:
            current["blocks"].append(block)
    if not chapters and extract.front_matter:
        chapters = [{"title": None, "blocks": [Block("p", t) for t in extract.front_matter]}]
        extract.front_matter = []
    extract.chapters = [
        ChapterText(title=c["title"], paragraphs=paragraphs_of(c["blocks"]))
        for c in chapters
        if any(b.kind == "p" for b in c["blocks"])
    ]
    return extract


def extract_document(root: Element, *, work_title: str | None = None) -> Extract:
    """Recognise the archive a document came from and take its parts.

    `work_title` is the book's title when known from elsewhere (EPUB metadata): a leading heading
    repeating it is not a chapter, while a page `<title>` naming only the chapter is ignored.
    """
    # Imported here: the FanFicFare reader is built on this module's tree and blocks.
    from bot.formats import fanficfare

    if fanficfare.is_fanficfare_page(root):
        chapters, metadata = fanficfare.page_chapters(root)
        return Extract(metadata=metadata, chapters=chapters, kind="fanficfare")
    if fanficfare.is_fanficfare_chapter(root):
        chapter = fanficfare.epub_chapter(root)
        return Extract(chapters=[chapter] if chapter else [], kind="fanficfare")
    storytext = root.find(id="storytext")
    if storytext:
        return _ffn(root, storytext)
    if any(
        node.id in ("preface", "chapters", "afterword") or "userstuff" in node.classes
        for node in root.iter()
    ):
        return _ao3(root)
    return _generic(root, work_title)


def html_to_text(extract: Extract) -> str:
    chapters = list(extract.chapters)
    if extract.end_notes and chapters:
        last = chapters[-1]
        chapters[-1] = ChapterText(
            title=last.title,
            number=last.number,
            paragraphs=last.paragraphs,
            notes_before=last.notes_before,
            notes_after=(*last.notes_after, *extract.end_notes),
        )
    return render_text(
        chapters,
        summary=extract.metadata.summary,
        front_notes=extract.front_notes,
        front_matter=extract.front_matter,
    )


def convert_html(data: bytes) -> tuple[str, Metadata]:
    """Saved web page bytes -> (parser text, metadata), or UploadRejected when no story text is found."""
    markup = decode_text(data, what="HTML file")
    extract = extract_document(parse_html(markup))
    if not extract.chapters:
        raise UploadRejected("The HTML file has no story text in it (only markup, scripts or styles).")
    if extract.kind == "fanficfare":
        fanficfare_contents(extract)
    return html_to_text(extract), extract.metadata


def fanficfare_contents(extract: Extract) -> None:
    """FanFicFare's chapters headed by position, their contents titles kept in the metadata."""
    from bot.formats import fanficfare

    extract.chapters, contents = fanficfare.by_position(extract.chapters)
    extract.metadata = dataclasses.replace(extract.metadata, contents=contents)
