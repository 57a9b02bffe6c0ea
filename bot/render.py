"""Discord-safe text: markdown escaping, mention neutralising, word-aware truncation, limits, colours.

Story text is untrusted: pass it through `safe()` (or `escape` + `truncate`) and send with
`allowed_mentions=NO_MENTIONS`.
"""
from __future__ import annotations

import functools

import discord

from bot.markdown import escape, neutralize_mentions  # noqa: F401  (re-exported)

NO_MENTIONS = discord.AllowedMentions.none()

# Limits Discord enforces (a message over them is rejected with 400).
CONTENT_LIMIT = 2000
EMBED_TITLE_LIMIT = 256
EMBED_DESCRIPTION_LIMIT = 4096
EMBED_FIELD_NAME_LIMIT = 256
EMBED_FIELD_VALUE_LIMIT = 1024
EMBED_FIELDS_LIMIT = 25
EMBED_FOOTER_LIMIT = 2048
EMBED_AUTHOR_LIMIT = 256
EMBED_TOTAL_LIMIT = 6000
CHOICE_NAME_LIMIT = 100
CHOICES_LIMIT = 25
THREAD_NAME_LIMIT = 100
CUSTOM_ID_LIMIT = 100
BUTTON_LABEL_LIMIT = 80

ELLIPSIS = "…"

def truncate(text: str, limit: int, *, placeholder: str = ELLIPSIS) -> str:
    """Shorten to at most `limit` characters, cutting at a word boundary and ending in `placeholder`.

    A single word longer than half the budget is cut mid-word rather than dropping most of the text.
    """
    if len(text) <= limit:
        return text
    budget = limit - len(placeholder)
    if budget <= 0:
        return placeholder[:limit]
    cut = text[:budget]
    if not text[budget].isspace():
        space = max(cut.rfind(" "), cut.rfind("\n"))
        if space >= budget // 2:
            cut = cut[:space]
    cut = cut.rstrip()
    # A trailing odd backslash would escape the placeholder instead of itself.
    trailing = len(cut) - len(cut.rstrip("\\"))
    if trailing % 2:
        cut = cut[:-1]
    return cut + placeholder


def safe(text: str, limit: int = CONTENT_LIMIT) -> str:
    """Untrusted text ready for a message or embed: escaped, mention-free, within `limit`."""
    return truncate(escape(text), limit)


def plain(text: str, limit: int) -> str:
    """Untrusted text for places Discord does not render markdown (autocomplete, thread names)."""
    return truncate(" ".join(text.split()), limit)


@functools.lru_cache(maxsize=4096)
def story_colour(story_id: int) -> discord.Colour:
    """A stable colour per story; golden-ratio hue steps keep neighbouring ids apart (kept: every
    /quote's embed asks; nothing changes a Colour)."""
    hue = (story_id * 0.618033988749895) % 1.0
    return discord.Colour.from_hsv(hue, 0.55, 0.85)


def chapter_label(number: int | None, title: str | None, position: int | None = None) -> str:
    """`Chapter 7: The Smallest Spark`, `Chapter 7`, or the title alone when the text gives no number."""
    shown = number if number is not None else position
    if shown is None:
        return title or "Untitled chapter"
    return f"Chapter {shown}: {title}" if title else f"Chapter {shown}"


def footer_text(story_title: str, number: int | None = None, title: str | None = None,
                position: int | None = None) -> str:
    """Embed footer `Story title · Chapter 7: The Smallest Spark` (footers render no markdown)."""
    if number is None and title is None and position is None:
        return plain(story_title, EMBED_FOOTER_LIMIT)
    return plain(f"{story_title} · {chapter_label(number, title, position)}", EMBED_FOOTER_LIMIT)


def bold(text: str) -> str:
    """Untrusted text escaped and in bold; outer spaces stay outside the markers (Discord does not
    render `** word**` as bold)."""
    core = text.strip()
    if not core:
        return escape(text)
    lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()):]
    return f"{lead}**{escape(core)}**{trail}"
