"""Hand-built stories for the quote, excerpt and search tests (no parser involved)."""
from __future__ import annotations

import hashlib

from bot.parsing.model import Chapter, Character, Quote, Scene, Story
from bot.store import Store
from bot.store.loader import load_story

NASTY_LINE = "Hey @everyone, <@&123456> come see **bold** and `code` and ||spoiler|| now"


def dialogue_story(tag: str, *, lines: int = 6, speakers: tuple[str | None, ...] = ("Naruto", "Sasuke"),
                   confidence: float = 0.9, extra_quotes: tuple[str, ...] = (), padding: int = 0) -> Story:
    """One chapter, one scene; paragraph i holds quotable line i (speakers cycle), plus short
    fragments and over-long speeches that /quote must skip. `padding` lengthens every paragraph."""
    paragraphs: list[str] = []
    quotes: list[Quote] = []

    def add(text: str, speaker: str | None, conf: float) -> None:
        para = f'"{text}" said someone in {tag}.' + " Then the wind rose again." * padding
        quotes.append(Quote(text, "speech", speaker, conf, 0, 0, len(paragraphs), 1, 1 + len(text)))
        paragraphs.append(para)

    for i in range(lines):
        add(f"{tag} line number {i} has enough words", speakers[i % len(speakers)], confidence)
    for text in extra_quotes:
        add(text, speakers[0], confidence)
    add("No!", speakers[0], confidence)  # a fragment
    add("word " * 200 + "end", speakers[0], confidence)  # a speech, far over 600 characters
    return Story(
        title=f"Story {tag}", summary=None,
        chapters=(Chapter(number=7, title="The Smallest Spark", scenes=(Scene(None, tuple(paragraphs)),)),),
        quotes=tuple(quotes),
        characters=tuple(Character(name) for name in dict.fromkeys(s for s in speakers if s)),
    )


def prose_story(tag: str, scenes: tuple[tuple[str, ...], ...]) -> Story:
    """A chapter of the given scenes of paragraphs, no dialogue."""
    return Story(
        title=f"Prose {tag}", summary=None,
        chapters=(Chapter(number=None, title=None, scenes=tuple(Scene(None, s) for s in scenes)),),
    )


async def add(store: Store, story: Story, *, title: str | None = None, guild_id: int | None = None,
              rating: str | None = "T") -> int:
    title = title or story.title or "Untitled"
    digest = hashlib.sha256(f"{title}|{guild_id}|{story!r}".encode()).hexdigest()
    return await load_story(store, story, title=title, rating=rating, content_hash=digest,
                            guild_id=guild_id, source=None)
