"""The story parser: bytes of a story file in, a structured Story out (pure, no I/O)."""
# First: compiled modules (mypyc, bot/parsing/native.py) are used from here on when up to date.
from bot.parsing import native  # noqa: F401  # isort: skip
from bot.precompiled import patterns  # isort: skip

# The parser's regular expressions, compiled as its modules load, come ready-made when built (bot/precompiled.py).
with patterns():
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
