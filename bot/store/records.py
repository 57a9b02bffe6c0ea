"""Read-only values the store repositories return (frozen; built from rows, safe to pass to cogs)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class StoredStory:
    id: int
    guild_id: int | None  # None = bundled, visible in every guild
    title: str
    author: str
    fandom: str | None
    rating: str | None
    source: str | None
    content_hash: str
    summary: str | None
    word_count: int
    chapter_count: int
    paragraph_count: int
    quote_count: int
    added_by: int | None
    added_at: str  # ISO 8601, UTC

    @property
    def bundled(self) -> bool:
        return self.guild_id is None


@dataclass(frozen=True, slots=True)
class StoredChapter:
    story_id: int
    index: int  # 0-based position in the story
    number: int | None  # as the text gives it (`Chapter 7` -> 7), else None
    title: str | None
    first_paragraph: int  # seq of its first paragraph
    paragraph_count: int
    word_count: int

    @property
    def display_number(self) -> int:
        """The number users type (CONTRACT §4): the text's own, else the 1-based position."""
        return self.number if self.number is not None else self.index + 1


@dataclass(frozen=True, slots=True)
class StoredScene:
    story_id: int
    chapter_index: int
    index: int
    heading: str | None
    first_paragraph: int
    paragraph_count: int


@dataclass(frozen=True, slots=True)
class StoredParagraph:
    id: int  # rowid, also the paragraphs_fts rowid
    story_id: int
    seq: int  # dense per story, reading order
    chapter_index: int
    scene_index: int
    paragraph_index: int  # within its scene
    text: str


@dataclass(frozen=True, slots=True)
class StoredNote:
    story_id: int
    chapter_index: int
    position: str  # "before" or "after"
    kind: str
    text: str


@dataclass(frozen=True, slots=True)
class StoredCharacter:
    id: int
    story_id: int
    name: str
    aliases: tuple[str, ...]
    mentions: int
    gender: str | None
    lines: int  # quotes attributed to the character


@dataclass(frozen=True, slots=True)
class StoredQuote:
    id: int
    story_id: int
    seq: int  # dense per story, story order
    paragraph_seq: int  # the paragraph the quotation starts in
    chapter_index: int
    scene_index: int
    paragraph_index: int
    text: str
    kind: str  # "speech" or "thought"
    character_id: int | None
    speaker: str | None  # the character's canonical name
    confidence: float
    start: int
    end: int
    rule: str | None
