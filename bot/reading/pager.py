"""Cuts a chapter into Discord pages: whole paragraphs where they fit, else sentences, words last.

Pure: the Discord markdown escaper is passed in (`bot.render.escape`) so this module stays free of
discord and can run in a worker thread.
"""
from __future__ import annotations

import logging
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from bot.parsing.model import Chapter

log = logging.getLogger(__name__)

PAGE_LIMIT = 1900
# Bumped whenever the page text changes shape, so stored paginations are rebuilt.
PAGER_VERSION = 1
# Discord cannot centre text; braille blanks (never trimmed) push the mark towards the middle.
SCENE_BREAK = "\u2800" * 16 + "⁂"
EMPTY_CHAPTER = "*This chapter has no text.*"
_SEPARATOR = "\n\n"
# A sentence ends in . ! ? or … possibly followed by closing quotes or brackets.
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’»)\]]*$")

Escape = Callable[[str], str]


@dataclass(frozen=True, slots=True)
class Page:
    number: int  # 1-based
    total: int
    content: str  # the whole message content, footer included
    first_paragraph: int  # chapter-wide index of the first paragraph with text here, -1 before any
    last_paragraph: int  # last paragraph with text here (or the last one before this page)


@dataclass(frozen=True, slots=True)
class _Block:
    text: str
    prefix: str = ""  # markdown decoration around each piece of the block
    suffix: str = ""
    paragraph: int | None = None  # chapter-wide paragraph index, None for headings and breaks
    sticky: bool = False  # headings and breaks stay on the page of the paragraph after them
    literal: bool = False  # already Discord text: never escaped or split


@dataclass(slots=True)
class _Token:
    text: str
    glued: bool  # a piece of an over-long word: joins its predecessor without a space


def page_footer(number: int, total: int) -> str:
    return f"-# Page {number}/{total}"


def paginate(chapter: Chapter, *, escape: Escape, title: str | None = None,
             limit: int = PAGE_LIMIT) -> list[Page]:
    """Pages of at most `limit` characters, each ending in `Page n/total`.

    `title` (already plain text, e.g. "Chapter 7: The Smallest Spark") opens the first page in bold.
    """
    blocks = list(_blocks(chapter, title))
    digits = 1
    while True:
        # Reserve the footer at its widest for this many digits; widen if the count outgrows it.
        widest = 10**digits - 1
        budget = limit - len(_SEPARATOR) - len(page_footer(widest, widest))
        bodies = _Packer(budget, escape).pack(blocks)
        if len(str(len(bodies))) <= digits:
            break
        digits += 1
    total = len(bodies)
    return [
        Page(number, total, _SEPARATOR.join(lines) + _SEPARATOR + page_footer(number, total),
             first, last)
        for number, (lines, first, last) in enumerate(bodies, start=1)
    ]


def page_for_paragraph(pages: Sequence[Page], paragraph: int) -> int:
    """The number of the page where `paragraph` (chapter-wide index) starts."""
    for page in pages:
        if page.last_paragraph >= paragraph:
            return page.number
    return pages[-1].number


def _blocks(chapter: Chapter, title: str | None) -> Iterable[_Block]:
    if title and title.strip():
        yield _Block(title, "**", "**", sticky=True)
    if not any(p.strip() for p in chapter.paragraphs):
        yield _Block(EMPTY_CHAPTER, literal=True)
        return
    index = 0
    for number, scene in enumerate(chapter.scenes):
        if number:
            yield _Block(SCENE_BREAK, sticky=True, literal=True)
        if scene.heading and scene.heading.strip():
            yield _Block(scene.heading, "*", "*", sticky=True)
        for paragraph in scene.paragraphs:
            if paragraph.strip():
                yield _Block(paragraph, paragraph=index)
            index += 1


class _Packer:
    """Greedy packing of blocks into page bodies (lists of lines, joined by blank lines)."""

    def __init__(self, budget: int, escape: Escape) -> None:
        self.budget = budget
        self.escape = escape
        self.pages: list[tuple[list[str], int, int]] = []
        self.lines: list[str] = []
        self.length = 0
        self.first = -1
        self.last = -1
        self.pending: list[str] = []  # sticky lines waiting for the paragraph they introduce

    def pack(self, blocks: list[_Block]) -> list[tuple[list[str], int, int]]:
        for block in blocks:
            if block.literal and not block.sticky:
                self._release_pending()
                self._add(block.text)
            elif block.sticky:
                self._stick(block)
            else:
                self._place(block)
        self._release_pending()
        self._flush()
        return self.pages

    def _room(self) -> int:
        return self.budget - self.length - (len(_SEPARATOR) if self.lines else 0)

    def _add(self, line: str, paragraph: int | None = None) -> None:
        if self.lines and len(line) > self._room():
            self._flush()
        self.length += len(line) + (len(_SEPARATOR) if self.lines else 0)
        self.lines.append(line)
        if paragraph is not None:
            if self.first < 0:
                self.first = paragraph
            self.last = paragraph

    def _flush(self) -> None:
        if self.lines:
            self.pages.append((self.lines, self.first, self.last))
        self.lines, self.length, self.first = [], 0, -1

    def _stick(self, block: _Block) -> None:
        if block.literal:
            self.pending.append(block.text)
            return
        whole = block.prefix + self.escape(block.text) + block.suffix
        if len(whole) <= self.budget:
            self.pending.append(whole)
        else:
            # A heading longer than a page is treated as text; nothing is left to keep it with.
            self._release_pending()
            self._split(block)

    def _release_pending(self) -> None:
        for line in self.pending:
            self._add(line)
        self.pending = []

    def _pending_length(self) -> int:
        return sum(len(line) + len(_SEPARATOR) for line in self.pending)

    def _place(self, block: _Block) -> None:
        whole = block.prefix + self.escape(block.text) + block.suffix
        if len(whole) > self.budget:
            self._release_pending()
            self._split(block)
            return
        # A paragraph that fits a page is never cut: it moves to the next page with its headings.
        if self.lines and self._pending_length() + len(whole) > self._room():
            self._flush()
        self._release_pending()
        self._add(whole, block.paragraph)

    def _split(self, block: _Block) -> None:
        """Cut an over-long block at sentence ends, else at spaces, else (one huge word) anywhere."""
        decoration = len(block.prefix) + len(block.suffix)
        tokens = self._tokens(block.text, self.budget - decoration)
        ends = [bool(_SENTENCE_END.search(t.text)) for t in tokens]
        # sums[k]: upper bound of the escaped length of tokens[:k], each followed by its space.
        # Escaping each word as if it opened a line bounds the real cost from above.
        sums = [0]
        for token in tokens:
            cost = len(self.escape(token.text + " ")) - 1
            sums.append(sums[-1] + cost + 1)
        for k in range(1, len(tokens)):
            if tokens[k].glued:
                sums[k] -= 1  # no space between the pieces of one word
        start = 0
        while start < len(tokens):
            room = self._room() - decoration
            fits = bisect_right(sums, sums[start] + room + 1) - 1
            page_empty = not self.lines
            if fits >= len(tokens):
                end = len(tokens)
            else:
                sentence = next((j for j in range(fits, start, -1) if ends[j - 1]), None)
                filled = sums[sentence] - sums[start] if sentence else 0
                if sentence and (not page_empty or 2 * filled >= room):
                    end = sentence
                elif page_empty and fits > start:
                    end = fits
                elif page_empty:
                    raise AssertionError("a token longer than a page survived tokenising")
                else:
                    self._flush()
                    continue
            line = block.prefix + self.escape(_join(tokens[start:end])) + block.suffix
            # The bound above holds for bot.render.escape; an escaper that adds text across
            # words could break it, so the real length has the last word.
            while len(line) > self._room() and end > start + 1:
                end -= 1
                line = block.prefix + self.escape(_join(tokens[start:end])) + block.suffix
            self._add(line, block.paragraph)
            start = end
            if start < len(tokens):
                self._flush()

    def _tokens(self, text: str, width: int) -> list[_Token]:
        tokens: list[_Token] = []
        for word in text.split():
            glued = False
            while len(self.escape(word + " ")) - 1 > width:
                cut = self._longest_prefix(word, width)
                tokens.append(_Token(word[:cut], glued))
                word, glued = word[cut:], True
            tokens.append(_Token(word, glued))
        return tokens

    def _longest_prefix(self, word: str, width: int) -> int:
        """Largest n with escape(word[:n]) within `width` (escaping only ever grows text)."""
        low, high = 1, len(word)
        while low < high:
            middle = (low + high + 1) // 2
            if len(self.escape(word[:middle] + " ")) - 1 <= width:
                low = middle
            else:
                high = middle - 1
        return low


def _join(tokens: Sequence[_Token]) -> str:
    parts: list[str] = []
    for token in tokens:
        if parts and not token.glued:
            parts.append(" ")
        parts.append(token.text)
    return "".join(parts)
