"""The parsed shape of a story: plain frozen values shared by the parser, the store and the cogs."""
from __future__ import annotations

from dataclasses import dataclass, field


class NotAStory(ValueError):
    """Bytes that cannot be read as a story (empty, binary, not text). The message is user-facing."""


@dataclass(frozen=True, slots=True)
class Note:
    """Text that is not story: author's note, disclaimer, summary or formatting legend."""

    chapter: int  # index into Story.chapters
    position: str  # "before" or "after" the chapter's text
    text: str
    kind: str = "note"  # "note", "disclaimer", "summary" or "legend"


@dataclass(frozen=True, slots=True)
class Scene:
    """A scene of a chapter: its heading, if the text gives one, and its paragraphs."""

    heading: str | None
    paragraphs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Chapter:
    """A chapter: its number and title as the text gives them, and its scenes."""

    number: int | None  # as the text gives it, else None
    title: str | None
    scenes: tuple[Scene, ...]

    @property
    def paragraphs(self) -> tuple[str, ...]:
        return tuple(p for s in self.scenes for p in s.paragraphs)


@dataclass(frozen=True, slots=True)
class Quote:
    """A quotation (speech or thought), where it is, and who says it when the parser can tell."""

    text: str  # without its quote marks
    kind: str  # "speech" or "thought"
    speaker: str | None  # canonical character name, never a pronoun
    confidence: float  # in [0, 1]
    chapter: int
    scene: int
    paragraph: int  # index within the scene, of the first paragraph the quotation is in
    start: int = 0  # offsets of `text` in that paragraph (end may pass it for multi-paragraph quotes)
    end: int = 0
    rule: str | None = None  # which attribution rule named the speaker


@dataclass(frozen=True, slots=True)
class Character:
    """A character: the canonical name, other names it goes by, how often it is named, its gender."""

    name: str
    aliases: tuple[str, ...] = ()
    mentions: int = 0
    gender: str | None = None  # "M", "F" or None when the text does not say


@dataclass(frozen=True, slots=True)
class Story:
    """A parsed story: title, summary, notes, chapters, quotations and characters."""

    title: str | None
    summary: str | None
    notes: tuple[Note, ...] = ()
    chapters: tuple[Chapter, ...] = ()
    quotes: tuple[Quote, ...] = ()
    characters: tuple[Character, ...] = field(default=())
