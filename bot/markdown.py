"""Discord markdown escaping and mention neutralising, with nothing from discord.py: the file
readers (bot/formats) quote names from inside an upload with it, and `parse` never loads discord.py.
bot/render.py re-exports both.
"""
from __future__ import annotations

import re

# Inline markers anywhere; block markers only where they open a line (headings, quotes, lists).
_INLINE = re.compile(r"([\\*_`~|\[\]<])")
_LINE_START = re.compile(r"^([ \t]*)(?:(#{1,3}\s|-#\s|[-+]\s|>)|(\d+)(\.\s))", re.MULTILINE)
_MENTION = re.compile(r"@(everyone|here)|<(@[!&]?|#)(\d+)>")
_ZWSP = "\u200b"


def neutralize_mentions(text: str) -> str:
    """Keep @everyone, @here, <@id>, <@&id> and <#id> from rendering as mentions."""
    return _MENTION.sub(
        lambda m: f"@{_ZWSP}{m[1]}" if m[1] else f"<{m[2]}{_ZWSP}{m[3]}>", text
    )


def escape(text: str) -> str:
    """Escape every markdown construct Discord renders, so story text shows literally."""
    text = _INLINE.sub(r"\\\1", text)
    text = _LINE_START.sub(_escape_line_start, text)
    return neutralize_mentions(text)


def _escape_line_start(match: re.Match[str]) -> str:
    if match[2]:
        return f"{match[1]}\\{match[2]}"
    # `\1.` would show the backslash: Discord only honours escapes before punctuation.
    return f"{match[1]}{match[3]}\\{match[4]}"

