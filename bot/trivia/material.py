"""What question generation reads: plain values built from a parsed Story or from the store."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.parsing.model import Story

if TYPE_CHECKING:
    from bot.trivia.text import StoryText

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TriviaCharacter:
    name: str
    aliases: tuple[str, ...] = ()
    mentions: int = 0

    @property
    def forms(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True, slots=True)
class TriviaLine:
    """One quotation of the story (never from notes: notes are not story text)."""

    text: str
    speaker: str | None  # canonical character name or None
    confidence: float
    chapter: int  # index into TriviaStory.chapters
    kind: str = "speech"  # "speech" or "thought"


@dataclass(frozen=True, slots=True)
class TriviaParagraph:
    chapter: int  # index into TriviaStory.chapters
    text: str


@dataclass(frozen=True, slots=True)
class TriviaStory:
    story_id: int
    title: str
    chapters: tuple[str, ...]  # display label of each chapter, in story order
    paragraphs: tuple[TriviaParagraph, ...]
    lines: tuple[TriviaLine, ...]
    characters: tuple[TriviaCharacter, ...]
    # Where generation reads the text: None for the paragraphs above (held in memory); a stored
    # story leaves `paragraphs` empty and answers from its indexes instead.
    text: StoryText | None = None


def chapter_label(number: int | None, title: str | None, position: int) -> str:
    """How a chapter is named on a button: its own number (or its position) and its title."""
    shown = number if number is not None else position + 1
    return f"Chapter {shown}: {title}" if title else f"Chapter {shown}"


def trivia_story_from_parsed(story: Story, *, story_id: int, title: str) -> TriviaStory:
    """Adapt a parsed Story (tests, freshly uploaded files) to question material."""
    chapters = tuple(
        chapter_label(ch.number, ch.title, i) for i, ch in enumerate(story.chapters)
    )
    paragraphs = tuple(
        TriviaParagraph(i, text) for i, ch in enumerate(story.chapters) for text in ch.paragraphs
    )
    lines = tuple(
        TriviaLine(q.text, q.speaker, q.confidence, q.chapter, q.kind) for q in story.quotes
    )
    characters = tuple(
        TriviaCharacter(c.name, tuple(c.aliases), c.mentions) for c in story.characters
    )
    return TriviaStory(story_id, title, chapters, paragraphs, lines, characters)
