"""Discord-safe text: escaping, mention neutralising, truncation, colours and footers."""
from __future__ import annotations

import discord
from hypothesis import given
from hypothesis import strategies as st

from bot.render import (
    ELLIPSIS,
    NO_MENTIONS,
    chapter_label,
    escape,
    footer_text,
    neutralize_mentions,
    plain,
    safe,
    story_colour,
    truncate,
)


def test_inline_markdown_is_escaped():
    assert escape("**bold** _it_ `code` ||spoiler|| ~~gone~~") == (
        r"\*\*bold\*\* \_it\_ \`code\` \|\|spoiler\|\| \~\~gone\~\~"
    )


def test_line_start_markdown_is_escaped_only_at_line_start():
    text = "# Heading\n- item\n> quoted\n-# small\n3. third\nwell-known #1 > 2"
    assert escape(text) == "\\# Heading\n\\- item\n\\> quoted\n\\-# small\n3\\. third\nwell-known #1 > 2"


def test_backslashes_and_links_are_literal():
    assert escape(r"a\b [x](http://e.com)") == r"a\\b \[x\](http://e.com)"


def test_mentions_are_neutralised():
    text = "@everyone @here <@123> <@!123> <@&45> <#67>"
    out = neutralize_mentions(text)
    for mention in ("@everyone", "@here", "<@123>", "<@!123>", "<@&45>", "<#67>"):
        assert mention not in out
    assert out.replace("\u200b", "") == text
    assert "@everyone" not in escape("hi @everyone")


def test_no_mentions_allows_nothing():
    assert NO_MENTIONS.to_dict() == discord.AllowedMentions.none().to_dict()


def test_truncate_keeps_short_text():
    assert truncate("short", 10) == "short"


def test_truncate_cuts_at_a_word_boundary():
    assert truncate("The quick brown fox jumps", 18) == "The quick brown" + ELLIPSIS


def test_truncate_cuts_a_giant_word():
    assert truncate("x" * 50, 10) == "x" * 9 + ELLIPSIS


def test_truncate_never_leaves_a_lone_escape():
    out = truncate(escape("aaaa*bbbb"), 6)
    assert not out[:-1].endswith("\\") or out[:-1].endswith("\\\\")


@given(st.text(), st.integers(min_value=1, max_value=300))
def test_truncate_respects_the_limit(text, limit):
    out = truncate(text, limit)
    assert len(out) <= limit
    if len(text) <= limit:
        assert out == text


@given(st.text(min_size=1))
def test_safe_text_is_within_content_limit(text):
    out = safe(text * 50)
    assert len(out) <= 2000
    assert "@everyone" not in out


def test_plain_collapses_whitespace():
    assert plain("  a\n\nb\t c ", 100) == "a b c"


def test_story_colour_is_stable_and_distinct():
    assert story_colour(7) == story_colour(7)
    assert len({story_colour(i).value for i in range(1, 20)}) == 19


def test_footer_text():
    assert footer_text("Story title", 7, "The Smallest Spark") == (
        "Story title · Chapter 7: The Smallest Spark"
    )
    assert footer_text("Story", 3, None) == "Story · Chapter 3"
    assert footer_text("Story") == "Story"
    assert chapter_label(None, "Prologue") == "Prologue"
    assert chapter_label(None, None, position=2) == "Chapter 2"
