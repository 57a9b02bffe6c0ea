"""Pure rendering of quotes, context and excerpts into embeds (no Discord connection)."""
from __future__ import annotations

from dataclasses import replace

from bot.store.quotes import ChapterRef, Excerpt, QuoteCard, QuoteContext
from bot.store.records import StoredParagraph, StoredQuote, StoredStory
from cogs.quotes import context_embed, excerpt_embed, quote_embed

STORY = StoredStory(3, None, "Spark *Tale*", "unknown", None, "T", None, "h", None, 0, 1, 3, 1, None, "2026")
CHAPTER = ChapterRef(6, 7, "The Smallest Spark")


def _quote(text: str, speaker: str | None, start: int, end: int, kind: str = "speech") -> StoredQuote:
    return StoredQuote(1, 3, 0, 1, 6, 0, 1, text, kind, None, speaker, 0.9, start, end, None)


def _paragraph(seq: int, text: str) -> StoredParagraph:
    return StoredParagraph(seq + 10, 3, seq, 6, 0, seq, text)


def test_quote_embed_escapes_and_names_an_unknown_speaker() -> None:
    embed = quote_embed(QuoteCard(_quote("Go *now*, @here!", None, 0, 0), STORY, CHAPTER))
    assert embed.description == "“Go \\*now\\*, @\u200bhere!”"
    assert embed.author.name == "Unknown speaker"
    assert embed.footer.text == "Spark *Tale* · Chapter 7: The Smallest Spark"  # footers render no markdown
    thought = quote_embed(QuoteCard(_quote("I must hurry now.", "Naruto", 0, 0, "thought"), STORY, CHAPTER))
    assert thought.description == "‘I must hurry now.’" and thought.author.name == "Naruto"


def test_one_colour_per_story() -> None:
    quote = _quote("Four words right here.", "A", 0, 0)
    colour = quote_embed(QuoteCard(quote, STORY, CHAPTER)).colour
    assert quote_embed(QuoteCard(quote, STORY, ChapterRef(0, 1, None))).colour == colour
    assert quote_embed(QuoteCard(quote, replace(STORY, id=4), CHAPTER)).colour != colour


def test_context_bolds_the_line_and_keeps_the_bold_whole_in_long_paragraphs() -> None:
    line = "Stay *here*, please stay."
    before = "word " * 900  # pushes the line far past what one embed can hold
    text = before + f'"{line}" she said.' + " tail" * 500
    start = len(before) + 1
    context = QuoteContext(
        QuoteCard(_quote(line, "Sakura", start, start + len(line)), STORY, CHAPTER),
        (_paragraph(0, "Before ||this||."), _paragraph(1, text), _paragraph(2, "After.")),
    )
    description = context_embed(context).description
    assert len(description) <= 4096
    assert "**Stay \\*here\\*, please stay.**" in description
    first, own, last = description.split("\n\n")
    assert first == "Before \\|\\|this\\|\\|." and last == "After."
    assert own.startswith("…") and own.endswith("…")


def test_context_falls_back_to_finding_the_line() -> None:
    context = QuoteContext(
        QuoteCard(_quote("Hello there, old friend.", None, 0, 0), STORY, CHAPTER),
        (_paragraph(1, 'He smiled. "Hello there, old friend."'),),
    )
    assert context_embed(context).description == 'He smiled. "**Hello there, old friend.**"'


def test_excerpt_embed_keeps_paragraph_breaks_and_heading() -> None:
    excerpt = Excerpt(STORY, ChapterRef(0, None, None), "# Konoha", (_paragraph(0, "One."), _paragraph(1, "Two `x`.")))
    embed = excerpt_embed(excerpt)
    assert embed.description == "One.\n\nTwo \\`x\\`."
    assert embed.title == "\\# Konoha"
    assert embed.footer.text == "Spark *Tale* · Chapter 1"
