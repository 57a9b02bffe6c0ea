"""Text to blocks: one block per paragraph-sized run of lines, with the blank lines before it counted."""
from __future__ import annotations

import re
from array import array
from collections import namedtuple
from itertools import compress, repeat
from operator import lt, sub

from bot.lazylog import Logger

log = Logger(__name__)

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
# Written with a literal two-space prefix ("   *", not " {2,}") so the engine's fast substring search
# finds the runs; " {2,}" is tried at every single space.
_SPACE_RUNS = re.compile("   *")
# Paragraphs of hard-wrapped text joined at a time, their lines dropped after each batch.
_JOINED_AT_ONCE = 4096


# A paragraph-sized piece of the text before any interpretation (a tuple: cheap to make): its text
# (whitespace collapsed, wrapped lines joined) and gap (blank lines between this block and the
# previous one, or the start). collections' namedtuple, not typing's NamedTuple: a compiled
# NamedTuple class is made by typing at run time, and `parse` starts without typing (bot/startup.py).
Block = namedtuple("Block", ("text", "gap"), module=__name__)


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
    """Split normalised text into blocks, joining hard-wrapped lines when the text is wrapped.

    Normalised text (decode_text's output) has no whitespace but spaces and line feeds. The work
    is done in whole-list passes of C-level maps (itertools.compress, operator), not in a Python
    loop with a branch per line: a novel has hundreds of thousands of lines.
    """
    return split_lines(text.split("\n"))


def split_lines(raw_lines: list[str], *, consume: bool = False) -> list[Block]:
    """split_blocks of the text whose lines (text.split("\n")) these are.

    With `consume`, `raw_lines` is emptied once read, so a line that is stripped, joined to the
    rest of its paragraph or has its spaces collapsed is not held twice."""
    line_count = len(raw_lines)
    lines = list(map(str.strip, raw_lines))
    # Line numbers of the non-blank lines, as machine integers (a hard-wrapped 100 MB file has a
    # million and a half lines).
    positions = array("q", compress(range(len(lines)), lines))
    texts = list(compress(lines, lines))
    if not texts:
        return []
    # Line-number steps between consecutive non-blank lines: 1 means no blank line between them.
    steps = list(map(sub, positions[1:], positions))
    wrapped = looks_hard_wrapped(lines)
    if not wrapped:
        gaps = [positions[0], *map(sub, steps, repeat(1))]
        # The non-blank lines, stripped, are all that may be collapsed: only they are looked at
        # (a text of paragraphs between blank lines: half its lines).
        spaced = _spaced(texts)
        if consume:
            raw_lines.clear()
        del lines  # the texts are all that is read from here on
        blocks = _make_blocks(texts, gaps, spaced)
    else:
        blocks = _wrapped_blocks(raw_lines, lines, positions, texts, steps, consume)
    log.debug("split %d lines into %d blocks (hard-wrapped: %s)", line_count, len(blocks), wrapped)
    return blocks


def _make_blocks(texts: list[str], gaps: list[int], spaced: bool) -> list[Block]:
    """Blocks from texts (runs of spaces collapsed, in the list itself) and gaps, built without a
    Python call per block.

    `spaced`: the text has two spaces in a row somewhere (most texts have none, so no block is searched).
    """
    if spaced:
        # Block by block, in place: a collapsed block replaces its original at once, so the text
        # is not held twice (a substitution over all of them joined held it three times).
        for index, text in enumerate(texts):
            if "  " in text:
                texts[index] = _SPACE_RUNS.sub(" ", text)
    # tuple.__new__ is what Block._make calls; mapping it directly keeps the loop in C.
    return list(map(tuple.__new__, repeat(Block), zip(texts, gaps, strict=True)))


def _spaced(raw_lines: list[str]) -> bool:
    """Whether the text has two spaces in a row somewhere (never across a line feed)."""
    return any(map(str.__contains__, raw_lines, repeat("  ")))


def _wrapped_blocks(
    raw_lines: list[str], lines: list[str], positions: array[int], texts: list[str], steps: list[int],
    consume: bool,
) -> list[Block]:
    """Join runs of non-blank lines; a separator line, or an indent in indent-marked text, also splits.

    Empties `lines` (and `raw_lines` with `consume`), and `texts` as they are joined: a paragraph
    and its lines are held together only a few thousand paragraphs at a time."""
    count = len(texts)
    starts = set(compress(range(1, count), map(lt, repeat(1), steps)))  # after blank lines
    starts.add(0)
    # is_separator's own first test, inlined: a short line starting with a quote mark, or with a
    # letter or digit no separator starts with, is text (most short lines of a novel are).
    for index in [
        index
        for index, line in enumerate(texts)
        if len(line) <= _SEPARATOR_MAX
        and line[0] not in _QUOTE_MARKS
        and (line[0] in _MAY_START_SEPARATOR or not line[0].isalnum())
    ]:
        if is_separator(texts[index]):
            starts.add(index)
            starts.add(index + 1)  # a separator stands alone
    if _paragraphs_by_indent(raw_lines, lines, count):
        starts.update(index for index, number in enumerate(positions) if raw_lines[number].startswith("  "))
    spaced = _spaced(raw_lines)
    if consume:
        raw_lines.clear()
    lines.clear()
    bounds = sorted(index for index in starts if index < count)
    del starts
    gaps = [positions[0] if first == 0 else steps[first - 1] - 1 for first in bounds]
    ends = [*bounds[1:], count]
    joined: list[str] = []
    for low in range(0, len(bounds), _JOINED_AT_ONCE):
        high = min(low + _JOINED_AT_ONCE, len(bounds))
        joined.extend(map(" ".join, map(texts.__getitem__, map(slice, bounds[low:high], ends[low:high]))))
        first, last = bounds[low], ends[high - 1]
        texts[first:last] = [""] * (last - first)  # joined: the lines go
    return _make_blocks(joined, gaps, spaced)


def _paragraphs_by_indent(raw_lines: list[str], lines: list[str], nonblank: int) -> bool:
    """Wrapped text whose paragraphs start with an indent instead of a blank line."""
    blank = len(lines) - nonblank
    if blank > 0.05 * nonblank + 1:
        return False
    # Lines starting with two spaces, less the blank ones (spaces only: normalised text).
    indented = sum(map(str.startswith, raw_lines, repeat("  ")))
    indented -= sum(1 for raw, line in zip(raw_lines, lines, strict=True) if not line and raw.startswith("  "))
    return 0.02 * nonblank < indented < 0.6 * nonblank


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
    nonblank = len(sample) - sample.count("")
    if len(continued) < 3 or len(continued) < 0.3 * nonblank:
        return False
    lengths = sorted([n for n, _ in continued])
    width = lengths[int(0.95 * (len(lengths) - 1))]
    if width > 160 or width < 30:
        return False
    # Full: the next line's first word would not have fitted (length + 1 + word > width - 2).
    limit = width - 3
    full = sum([length + (space if (space := nxt.find(" ")) >= 0 else len(nxt)) > limit for length, nxt in continued])
    return full >= 0.6 * len(continued)
