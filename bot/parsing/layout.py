"""Text to blocks: one block per paragraph-sized run of lines, with the blank lines before it counted."""
from __future__ import annotations

import logging
import re
from typing import NamedTuple

log = logging.getLogger(__name__)

# Separator lines: only symbols (*** ~~~ ---- # ~*~), x/o letter patterns (-x-x-x- oOoOo xXx),
# or the words writers use for a break ("Line Break", "-scene change-").
_SYMBOLS = re.compile(r"[^\w\s\"'“”‘’«»()\[\]]+")
_XO = re.compile(r"[^\w\s\"'“”‘’]*(?:[xXoO0][^\w\s\"'“”‘’]*){3,}")
_BREAK_WORDS = re.compile(
    r"[^\w\s]*\s*(?:line|scene|page|time)[\s_-]*(?:break|skip|change)\s*[^\w\s]*", re.IGNORECASE
)
_MAY_START_SEPARATOR = frozenset("xXoO0LlSsPpTt")
_SEPARATOR_MAX = 50
_QUOTE_MARKS = frozenset("\"'“”‘’«»")
_WRAP_SAMPLE = 4000
_TERMINAL_ONLY = re.compile(r"[.!?…]{1,3}")


class Block(NamedTuple):
    """A paragraph-sized piece of the text before any interpretation (a tuple: cheap to make)."""

    text: str  # whitespace collapsed, wrapped lines joined
    gap: int  # blank lines between this block and the previous one (or the start)


def is_separator(text: str) -> bool:
    """True for a line that only marks a scene break (*** or -x-x-x- or Line Break)."""
    if len(text) > _SEPARATOR_MAX or text[0] in _QUOTE_MARKS:
        return False
    if text[0].isalnum() and text[0] not in _MAY_START_SEPARATOR:
        return False
    lowered = text.lower()
    if "break" in lowered or "skip" in lowered or "change" in lowered:
        return bool(_BREAK_WORDS.fullmatch(text))
    compact = text.replace(" ", "")
    if _SYMBOLS.fullmatch(compact):
        return not _TERMINAL_ONLY.fullmatch(compact)
    if _XO.fullmatch(compact):
        letters = [ch for ch in compact if ch.isalpha()]
        # "OOO" alone is an exclamation; a pattern mixes case or has symbols between letters.
        return len(letters) < len(compact) or not (compact.islower() or compact.isupper())
    return False


def split_blocks(text: str) -> list[Block]:
    """Split normalised text into blocks, joining hard-wrapped lines when the text is wrapped."""
    raw_lines = text.split("\n")
    lines = [line.strip() for line in raw_lines]
    wrapped = looks_hard_wrapped(lines)
    indented = wrapped and _paragraphs_by_indent(raw_lines, lines)
    blocks: list[Block] = []
    gap = 0
    pending: list[str] = []
    pending_gap = 0
    previous_separator = False
    for number, line in enumerate(lines):
        if not line:
            if pending:
                blocks.append(_block(pending, pending_gap))
                pending = []
            gap += 1
            continue
        separator = wrapped and len(line) <= _SEPARATOR_MAX and is_separator(line)
        new_paragraph = indented and raw_lines[number].startswith("  ")
        if pending and not (wrapped and not separator and not previous_separator and not new_paragraph):
            blocks.append(_block(pending, pending_gap))
            pending = []
        if not pending:
            pending_gap = gap
            gap = 0
        pending.append(line)
        previous_separator = separator
    if pending:
        blocks.append(_block(pending, pending_gap))
    log.debug("split %d lines into %d blocks (hard-wrapped: %s)", len(lines), len(blocks), wrapped)
    return blocks


def _paragraphs_by_indent(raw_lines: list[str], lines: list[str]) -> bool:
    """Wrapped text whose paragraphs start with an indent instead of a blank line."""
    nonblank = sum(1 for line in lines if line)
    blank = len(lines) - nonblank
    indented = sum(1 for line in raw_lines if line.startswith("  ") and line.strip())
    return blank <= 0.05 * nonblank + 1 and 0.02 * nonblank < indented < 0.6 * nonblank


def _block(lines: list[str], gap: int) -> Block:
    joined = lines[0] if len(lines) == 1 else " ".join(lines)
    if "  " in joined:
        joined = " ".join(joined.split())
    return Block(joined, gap)


def looks_hard_wrapped(lines: list[str]) -> bool:
    """Decide whether consecutive lines are pieces of one paragraph (e-text style) or paragraphs.

    A greedy wrapper breaks a line only when the next word would not fit, so in wrapped text
    almost every line followed by another is nearly full; one-line paragraphs vary wildly.
    A sample of the lines is enough to tell.
    """
    step = max(1, len(lines) // _WRAP_SAMPLE)
    sample = lines[::step] if step > 1 else lines
    following = lines[1::step] if step > 1 else lines[1:]
    continued = [(len(a), b) for a, b in zip(sample, following, strict=False) if a and b]
    nonblank = sum(1 for line in sample if line)
    if len(continued) < 3 or len(continued) < 0.3 * nonblank:
        return False
    lengths = sorted(n for n, _ in continued)
    width = lengths[int(0.95 * (len(lengths) - 1))]
    if width > 160 or width < 30:
        return False
    full = 0
    for length, nxt in continued:
        space = nxt.find(" ")
        if length + 1 + (space if space >= 0 else len(nxt)) > width - 2:
            full += 1
    return full >= 0.6 * len(continued)
