"""A hand-built story whose every chapter carries its own marker word, so a test can tell at a
glance whether text past a spoiler limit was shown."""
from __future__ import annotations

from bot.parsing.model import Chapter, Character, Quote, Scene, Story

MARKERS = ("alpha", "beta", "gamma")  # chapter 1, 2, 3
CAST = ("Quillon", "Marisol", "Tavish", "Oberon")  # speak in every chapter
ALIASES = {"Quillon": ("the Masked Heir",)}
LATECOMER = "Zephyrine"  # speaks (and is named) only in chapter 3
TITLE = "Limit Tale"


def chaptered_story(lines: int = 8) -> Story:
    """Three chapters (numbered 1-3), one scene each; paragraph i of chapter c holds one line of
    dialogue containing the chapter's marker and the word "lantern"."""
    chapters: list[Chapter] = []
    quotes: list[Quote] = []
    for c, marker in enumerate(MARKERS):
        paragraphs: list[str] = []
        for i in range(lines + (4 if c == 2 else 0)):
            speaker = CAST[i % len(CAST)] if i < lines else LATECOMER
            text = f"The {marker} lantern number {i} burns low tonight, friend"
            para = f'"{text}," {speaker} said by the {marker} lantern.'
            quotes.append(Quote(text, "speech", speaker, 0.95, c, 0, len(paragraphs), 1, 1 + len(text)))
            paragraphs.append(para)
        chapters.append(Chapter(number=c + 1, title=f"The {marker.title()} Night", scenes=(Scene(None, tuple(paragraphs)),)))
    return Story(
        title=TITLE, summary="Lanterns in the dark.", chapters=tuple(chapters), quotes=tuple(quotes),
        # An alias can be a spoiler (a secret name revealed late): the card hides them under a limit.
        characters=tuple(
            Character(name, ALIASES.get(name, ()), mentions=10) for name in (*CAST, LATECOMER)
        ),
    )


def leaked(text: str, last_chapter: int = 0) -> list[str]:
    """Marker words (and the late character) of chapters past `last_chapter` found in `text`."""
    later = MARKERS[last_chapter + 1:]
    found = [m for m in later if m in text.casefold()]
    if last_chapter < 2 and LATECOMER.casefold() in text.casefold():
        found.append(LATECOMER)
    return found
