"""What an uploaded file becomes before parsing: plain text in the shape the parser reads, plus metadata.

Structured formats (HTML, EPUB) are rendered to text with chapter headings as `Chapter N: Title`,
summaries as `Summary: ...` and author's notes as `A/N: ...`, the markers the parser sets aside.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.lazylog import Logger

log = Logger(__name__)

SCENE_BREAK = "* * *"
_CHAPTER_HEADING = re.compile(r"^\s*chapter\s+(\d+)\b", re.IGNORECASE)
_NOTE_PREFIX = re.compile(r"^\s*(a/n|author'?s? notes?|disclaimer|summary)\s*[:.-]", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ChapterText:
    """One chapter taken from markup: its heading and paragraphs, notes kept apart from the story."""

    title: str | None
    paragraphs: tuple[str, ...]  # SCENE_BREAK marks a scene break
    number: int | None = None
    notes_before: tuple[str, ...] = ()
    notes_after: tuple[str, ...] = ()


# AO3's rating names (also in FanFicFare files of AO3 works) as the letters the age gate knows.
_RATING_NAMES = {
    "general audiences": "G",
    "teen and up audiences": "T",
    "mature": "M",
    "explicit": "E",
    "not rated": None,
}


def short_rating(rating: str | None) -> str | None:
    """`Mature` -> `M`, `Explicit` -> `E`, ...; other ratings as given."""
    if rating is None:
        return None
    return _RATING_NAMES.get(rating.strip().lower(), rating.strip() or None)


@dataclass(frozen=True, slots=True)
class Metadata:
    """What the file says about itself; any field may be missing."""

    title: str | None = None
    author: str | None = None
    summary: str | None = None
    fandom: str | None = None
    rating: str | None = None
    tags: tuple[str, ...] = ()
    language: str | None = None
    source: str | None = None  # where the story was published (a URL), as the file gives it
    # The file's table of contents, (number, title) per chapter, where the text's own headings
    # cannot carry them (titles too long or too odd for the parser's heading rules).
    contents: tuple[tuple[int | None, str | None], ...] = ()

    def merged(self, other: Metadata) -> Metadata:
        """Fields of `self`, with gaps filled from `other`."""
        return Metadata(
            title=self.title or other.title,
            author=self.author or other.author,
            summary=self.summary or other.summary,
            fandom=self.fandom or other.fandom,
            rating=self.rating or other.rating,
            tags=self.tags or other.tags,
            language=self.language or other.language,
            source=self.source or other.source,
            contents=self.contents or other.contents,
        )

    def as_json(self) -> dict[str, object]:
        """`metadata` of `parse --json` (CONTRACT §5): each key null or empty where absent."""
        return {
            "author": self.author,
            "fandom": self.fandom,
            "rating": self.rating,
            "tags": list(self.tags),
            "summary": self.summary,
            "language": self.language,
            "source": self.source,
        }


@dataclass(frozen=True, slots=True)
class Manuscript:
    """An upload turned into parser input: `text` goes to `parse_story`, the rest fills the story row."""

    kind: str  # "text", "markdown", "html" or "epub"
    text: bytes
    metadata: Metadata = field(default_factory=Metadata)


def _note_line(text: str, prefix: str) -> str:
    text = " ".join(text.split())
    if _NOTE_PREFIX.match(text):
        return text
    return f"{prefix} {text}"


def _heading(chapter: ChapterText, position: int, alone: bool) -> str | None:
    title = " ".join(chapter.title.split()) if chapter.title else None
    if title and _CHAPTER_HEADING.match(title):
        return title
    if alone and chapter.number is None and title is None:
        return None
    number = chapter.number if chapter.number is not None else position
    return f"Chapter {number}: {title}" if title else f"Chapter {number}"


def render_text(
    chapters: list[ChapterText],
    *,
    summary: str | None = None,
    front_notes: list[str] | None = None,
    front_matter: list[str] | None = None,
) -> str:
    """Lay chapters out as text the parser reads; notes become single `A/N:` paragraphs."""
    parts: list[str] = []
    if summary:
        parts.append(_note_line(summary, "Summary:"))
    parts.extend(_note_line(n, "A/N:") for n in front_notes or () if n.strip())
    parts.extend(p for p in front_matter or () if p.strip())
    alone = len(chapters) == 1
    for position, chapter in enumerate(chapters, start=1):
        heading = _heading(chapter, position, alone)
        if heading:
            parts.append(heading)
        parts.extend(_note_line(n, "A/N:") for n in chapter.notes_before if n.strip())
        parts.extend(p for p in chapter.paragraphs if p.strip())
        parts.extend(_note_line(n, "A/N:") for n in chapter.notes_after if n.strip())
    return "\n\n".join(parts) + "\n"
