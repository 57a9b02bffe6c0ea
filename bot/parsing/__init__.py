"""The story parser: bytes of a story file in, a structured Story out (pure, no I/O)."""
# First: compiled modules (mypyc, bot/parsing/native.py) are used from here on when up to date.
from bot.parsing import native  # noqa: F401  # isort: skip
from bot.precompiled import precompiled  # isort: skip

# What the parser's modules compile as they load (regular expressions, dataclasses' methods) comes
# ready-made when built (bot/precompiled.py).
with precompiled():
    from bot.parsing.model import Chapter, Character, NotAStory, Note, Quote, Scene, Story
    from bot.parsing.parser import (
        PARSER_VERSION,
        StoryStream,
        content_hash,
        parse_story,
        story_to_json,
        stream_story,
    )

__all__ = [
    "PARSER_VERSION",
    "Chapter",
    "Character",
    "NotAStory",
    "Note",
    "Quote",
    "Scene",
    "Story",
    "StoryStream",
    "content_hash",
    "parse_story",
    "story_to_json",
    "stream_story",
]
