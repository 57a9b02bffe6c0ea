"""Find quotations in paragraphs: double quotes are speech, single quotes are thoughts, apostrophes are neither."""
from __future__ import annotations

import re
from dataclasses import dataclass

from bot.lazylog import Logger
from bot.parsing.verbs import SPEECH_VERBS

log = Logger(__name__)

# Quote marks are looked up one mark at a time: str.find, and a regex starting with one literal
# character (the apostrophes), run at memchr speed, while a character class of all the marks is
# tested character by character (several times slower over a novel). The apostrophe finders skip
# an apostrophe between two ASCII letters (it's, don't): by far the most common and never a
# quotation. One between other letters (é'a) is still found, and _scan settles it.
_MARK_FINDERS = tuple(
    (mark, re.compile(rf"{mark}(?!(?<=[A-Za-z]{mark})[A-Za-z])") if mark in ("'", "’") else None)
    for mark in ("\"", "“", "”", "‘", "’", "'")
)
_DOUBLE = re.compile(r"[\"“”]")
_OPEN_CONTEXT = frozenset(" \t([{—–-\"“‘/*_~")
_CLOSE_FOLLOW = frozenset(" \t.,;:!?)]}—–-\"”…*_~/")
# Lower-case words written with a leading apostrophe for a dropped letter ('em, 'cause, 'til).
_ELISION = re.compile(
    r"(?:em|cause|cos|coz|cuz|til|till|tis|twas|bout|round|n|kay|nother|s|ello|im|er|ere|ow|"
    r"fraid|sup|scuse|neath|nuff|ya|yer|e|\d\d?s?)\b"
)
_NEXT_WORD = re.compile(r"\s*([A-Za-z]+)")
# Words that begin a tag or a thought-tag right after a closing mark: 'I hate him' he thought.
_TAG_STARTERS = frozenset(
    "he she i they we you it his her said says asked thought think thinks wondered whispered "
    "muttered replied called came".split()
)
_SHORT_WORDS = re.compile(r"\S+")
_TERMINAL = tuple(".!?,…-—–~")
_MAX_CHAIN = 30
_SCARE_MAX = 40
_LOOKAHEAD = 3


@dataclass(slots=True)
class RawQuote:
    """A quotation as found, before attribution; offsets are into its first paragraph."""

    text: str
    kind: str  # "speech" or "thought"
    paragraph: int  # index in the scene of the first paragraph
    start: int
    end: int
    last_paragraph: int
    before: str  # narration before the opening mark, back to the previous quotation
    after: str  # narration after the closing mark, up to the next quotation


@dataclass(slots=True)
class _Span:
    open_mark: int  # position of the opening mark (or 0 for a continued quotation)
    start: int  # first character of the content
    end: int  # one past the content
    close_mark: int  # one past the closing mark
    kind: str
    continued: bool = False


def _opens_single(text: str, pos: int) -> bool:
    if pos and text[pos - 1] not in _OPEN_CONTEXT:
        return False
    nxt = text[pos + 1] if pos + 1 < len(text) else " "
    if nxt.isspace():
        return pos == 0 and len(text) > 2
    return not _ELISION.match(text, pos + 1)


def _closes_single(text: str, pos: int) -> bool:
    prev = text[pos - 1] if pos else " "
    if prev.isspace():
        # "'...I won't fail the old man. '": a stray space before the mark that ends the paragraph.
        return pos >= 2 and text[pos - 2] in ".!?…" and not text[pos + 1 :].strip()
    nxt = text[pos + 1] if pos + 1 < len(text) else " "
    if nxt not in _CLOSE_FOLLOW:
        return False
    if prev.isalpha() and nxt == " ":
        word = _NEXT_WORD.match(text, pos + 1)
        if word and word[1][0].islower() and word[1].lower() not in _TAG_STARTERS:
            # goin' to / Jones' hat: an elision or plural possessive, not the end of a thought.
            return not (text.endswith("in", 0, pos) or prev == "s")
    return True


def _closing_shaped(text: str, pos: int) -> bool:
    if text[pos] == "”":
        return True
    if text[pos] == "“":
        return False
    prev = text[pos - 1] if pos else " "
    nxt = text[pos + 1] if pos + 1 < len(text) else " "
    return not prev.isspace() and (nxt.isspace() or nxt in _CLOSE_FOLLOW)


def _scan(text: str, start_open: bool) -> tuple[list[_Span], int | None]:
    """Spans of quotations in one paragraph, and where an unclosed double quotation began."""
    spans: list[_Span] = []
    double_at = -1
    single_at = -1
    continued = False
    if start_open:
        double_at = 0
        continued = True
        stripped = text.lstrip()
        if stripped[:1] in ('"', "“"):
            double_at = len(text) - len(stripped) + 1
    last = len(text) - 1
    for pos in _mark_positions(text):
        ch = text[pos]
        if ch in "'’" and 0 < pos < last and text[pos - 1].isalpha() and text[pos + 1].isalpha():
            continue  # it's, Naruto's, don't: the common case, settled before anything else
        if ch in '"“”':
            if continued and pos < double_at:
                continue  # the reopening mark of a continued quotation
            if single_at >= 0:
                continue  # double marks nested inside a thought
            if double_at < 0:
                if ch == "”" and spans:
                    continue  # stray closing mark
                double_at = pos + 1
                continue
            if ch == "“" and pos > double_at:
                # A new opening while one is open: the earlier quotation lost its closing mark.
                spans.append(_Span(double_at - 1, double_at, pos, pos, "speech", continued))
                continued = False
                double_at = pos + 1
                continue
            spans.append(_Span(max(double_at - 1, 0), double_at, pos, pos + 1, "speech", continued))
            continued = False
            double_at = -1
        else:
            if double_at >= 0:
                continue  # apostrophes and nested quotes inside speech
            if single_at < 0:
                if ch != "’" and _opens_single(text, pos):
                    single_at = pos + 1
            elif ch != "‘" and _closes_single(text, pos):
                spans.append(_Span(single_at - 1, single_at, pos, pos + 1, "thought"))
                single_at = -1
    return spans, (double_at if double_at >= 0 else None)


def _mark_positions(text: str) -> list[int]:
    """Positions of the quote marks _scan looks at, in order."""
    found: list[int] = []
    for mark, finder in _MARK_FINDERS:
        if mark not in text:  # instant for a curly mark in a plain-ASCII paragraph
            continue
        if finder is not None:
            found.extend(match.start() for match in finder.finditer(text))
            continue
        pos = text.find(mark)
        while pos >= 0:
            found.append(pos)
            pos = text.find(mark, pos + 1)
    found.sort()
    return found


def _continuation(paragraphs: list[str], first: int) -> int | None:
    """Index of the paragraph where a quotation left open before `first` carries on, if any."""
    for index in range(first, min(first + _LOOKAHEAD, len(paragraphs))):
        text = paragraphs[index]
        if index == first and text[:1] in ('"', "“"):
            return index  # the usual convention: each paragraph of a long speech reopens
        mark = _DOUBLE.search(text)
        if mark is None:
            continue  # a middle paragraph of the speech with no marks at all
        return index if _closing_shaped(text, mark.start()) else None
    return None


def _is_scare_quote(text: str, span: _Span, content: str) -> bool:
    """"HE", "The Invasion" or 'Punishment' used as a label inside narration rather than as
    speech or thought."""
    if len(content) > _SCARE_MAX or content.endswith(_TERMINAL) or len(_SHORT_WORDS.findall(content)) > 3:
        return False
    # Walk back over spaces instead of slicing: a slice per quotation is quadratic on a long
    # paragraph full of opening marks.
    start = span.open_mark
    while start and text[start - 1].isspace():
        start -= 1
    if start and text[start - 1].isalnum():
        # 'said "hi there"' is speech; 'but "HE" had said' is a label inside narration.
        return text[max(0, start - 30) : start].rsplit(None, 1)[-1].lower() not in SPEECH_VERBS
    if not start:
        word = _NEXT_WORD.match(text, span.close_mark)
        return bool(word and word[1][0].islower() and word[1].lower() not in _TAG_STARTERS)
    return False


def find_quotes(paragraphs: list[str]) -> list[RawQuote]:
    """All quotations of one scene in order; a quotation never runs past the scene."""
    quotes: list[RawQuote] = []
    index = 0
    start_open = False
    carry: RawQuote | None = None
    chain = 0
    while index < len(paragraphs):
        text = paragraphs[index]
        if not start_open and not _may_quote(text):
            index += 1
            continue
        spans, tail = _scan(text, start_open)
        start_open = False
        bounds = [(s.open_mark, s.close_mark) for s in spans]
        if tail is not None:
            bounds.append((max(tail - 1, 0), len(text)))
        for number, span in enumerate(spans):
            content_raw = text[span.start : span.end]
            after_end = bounds[number + 1][0] if number + 1 < len(bounds) else len(text)
            after = text[span.close_mark : after_end]
            if span.continued and carry is not None:
                carry.text = _join(carry.text, content_raw)
                carry.after = after
                carry.last_paragraph = index
                quotes.append(carry)
                carry = None
                continue
            content = content_raw.strip()
            if not content or _is_scare_quote(text, span, content):
                continue
            before_start = bounds[number - 1][1] if number else 0
            lead = len(content_raw) - len(content_raw.lstrip())
            quotes.append(
                RawQuote(
                    content,
                    span.kind,
                    index,
                    span.start + lead,
                    span.start + lead + len(content),
                    index,
                    text[before_start : span.open_mark],
                    after,
                )
            )
        if tail is None:
            index += 1
            continue
        piece = text[tail:]
        if carry is None:
            before_start = bounds[-2][1] if len(bounds) > 1 else 0
            lead = len(piece) - len(piece.lstrip())
            carry = RawQuote(
                piece.strip(), "speech", index, tail + lead, len(text.rstrip()), index,
                text[before_start : max(tail - 1, 0)], "",
            )
            chain = 0
        else:
            carry.text = _join(carry.text, piece)
        carry.last_paragraph = index
        target = _continuation(paragraphs, index + 1) if chain < _MAX_CHAIN else None
        if target is None:
            if carry.text:
                carry.end = carry.start + len(carry.text)
                quotes.append(carry)
            carry = None
            index += 1
            continue
        for middle in range(index + 1, target):
            carry.text = _join(carry.text, paragraphs[middle])
        chain += target - index
        index = target
        start_open = True
    return quotes


def _may_quote(text: str) -> bool:
    return '"' in text or "“" in text or "'" in text or "‘" in text or "”" in text


def _join(first: str, second: str) -> str:
    second = second.strip()
    if not first:
        return second
    return f"{first}\n{second}" if second else first
