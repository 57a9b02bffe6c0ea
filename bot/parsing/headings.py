"""Recognise heading lines: chapter headings, chapter and story titles, scene headings, flashback markers."""
from __future__ import annotations

import re
from dataclasses import dataclass

from bot.lazylog import Logger

log = Logger(__name__)

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}
_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12,
}
_WORD_NUMBER = (
    r"(?:(?:" + "|".join(_TENS) + r")(?:[\s-](?:" + "|".join(_UNITS) + r"))?"
    r"|" + "|".join(sorted(_UNITS, key=len, reverse=True)) + r"|one hundred)"
)
_ROMAN = r"(?:[MDCLXVI]+|[mdclxvi]+)"
_NUMBER = rf"(?P<num>\d{{1,6}}|{_WORD_NUMBER}|{_ROMAN})"
_TITLE_SEP = r"(?:\s*[:.\-–—~|]+\s*|\s+)"
_CHAPTER = re.compile(
    rf"""(?xi)
    [#*~=\-\[(\s]*
    (?P<kind>chapter|chap\.?|ch\.?|part|book|volume|vol\.?)\s*{_NUMBER}\b\.?
    (?:{_TITLE_SEP}(?P<title>[^\s].*?))?
    [\s*~=\-\])#]*
    """
)
_SPECIAL = re.compile(
    r"""(?xi)
    [#*~=\-\[(\s]*
    (?P<kind>prologue|epilogue|interlude|preface|afterword|foreword|omake)\b\.?
    (?:\s*[:.\-–—~|]+\s*(?P<title>[^\s].*?))?
    [\s*~=\-\])#]*
    """
)
_ORDINAL_CHAPTER = re.compile(
    r"(?i)(?:the\s+)?(?P<ord>" + "|".join(_ORDINALS) + r")\s+chapter\b\.?(?:\s*[:.\-–—]+\s*(?P<title>\S.*?))?"
)
# Every heading form starts with one of these words; one cheap match rules out most lines.
_MAY_BE_HEADING = re.compile(
    r"[#*~=\-\[(\s]*(?:ch|part|book|vol|prol|epil|inter|pref|after|fore|omake|the\s|"
    + "|".join(_ORDINALS) + r")",
    re.IGNORECASE,
)
_ROMAN_VALUES = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100, "d": 500, "m": 1000}
_HEADING_MAX = 100
_TITLE_MAX = 80
_TERMINAL = ".,;!?\"'“”‘’)"
_SMALL_WORDS = frozenset(
    "a an and as at but by for from in into of on or the to with vs no de la le du".split()
)
_WORD = re.compile(r"[^\W_][\w'’-]*")
_FLASHBACK = re.compile(
    r"(?P<end>end(?: of)?(?: the)? )?flash ?-?back"
    r"(?: (?:(?P<end2>end|ends|over|kai|finished)|start|starts|begins?|no jutsu))?"
)
_EDGE_SYMBOLS = re.compile(r"^[\W_]+|[\W_]+$")
_TIME_WORDS = re.compile(
    r"(?i)\b(?:later|earlier|before|after|ago|meanwhile|next|morning|noon|evening|night|midnight|"
    r"dawn|dusk|day|days|week|weeks|month|months|year|years|hour|hours|minutes|time|present|"
    r"past|tomorrow|yesterday|today|elsewhere|somewhere)\b"
)


@dataclass(frozen=True, slots=True)
class Heading:
    number: int | None
    title: str | None


def parse_chapter_heading(text: str) -> Heading | None:
    """Return the chapter heading a short line states (Chapter 7: Title, CHAPTER IV., Prologue)."""
    if len(text) > _HEADING_MAX or not _MAY_BE_HEADING.match(text):
        return None
    match = _CHAPTER.fullmatch(text)
    if match:
        number = to_number(match["num"])
        if number is None:
            return None
        kind = match["kind"].lower()
        title = _clean_title(match["title"])
        if title is not None and not _heading_title_ok(title):
            return None
        if kind.startswith(("part", "book", "vol")):
            label = f"{match['kind'].capitalize()} {match['num']}"
            title = f"{label}: {title}" if title else label
        return Heading(number, title)
    match = _SPECIAL.fullmatch(text)
    if match:
        title = _clean_title(match["title"])
        if title is not None and not _heading_title_ok(title):
            return None
        kind = match["kind"].capitalize()
        return Heading(None, f"{kind}: {title}" if title else kind)
    match = _ORDINAL_CHAPTER.fullmatch(text)
    if match:
        return Heading(_ORDINALS[match["ord"].lower()], _clean_title(match["title"]))
    return None


def _clean_title(title: str | None) -> str | None:
    if not title:
        return None
    title = title.strip(" *~=#-–—:|")
    return title or None


def _heading_title_ok(title: str) -> bool:
    # "Chapter 7 was the worst part of the book." is prose, not a heading.
    words = _WORD.findall(title)
    return (len(words) <= 12 and not title.endswith((".", ","))) or title.endswith("...")


# Compiled with the module, not by re.split at each call: `parse` then needs no more of re than
# the patterns recorded when built (bot/precompiled.py).
_NUMBER_PARTS = re.compile(r"[\s-]+")


def to_number(token: str) -> int | None:
    """Read a chapter number written as digits, English words or Roman numerals."""
    token = token.strip().lower()
    if token.isdigit():
        return int(token)
    if token in _UNITS:
        return _UNITS[token]
    if token == "one hundred":
        return 100
    parts = _NUMBER_PARTS.split(token)
    if parts[0] in _TENS:
        return _TENS[parts[0]] + (_UNITS.get(parts[1], 0) if len(parts) > 1 else 0)
    if set(token) <= set(_ROMAN_VALUES):
        return _roman(token)
    return None


def _roman(token: str) -> int | None:
    total = 0
    previous = 0
    for ch in reversed(token):
        value = _ROMAN_VALUES[ch]
        if value < previous:
            total -= value
        else:
            total += value
            previous = value
    # Reject strings like "IIII" or "VX" that are not canonical numerals (likely words: "mix", "dim").
    return total if 0 < total <= 400 and _to_roman(total) == token.upper() else None


def _to_roman(value: int) -> str:
    out = []
    for number, letters in (
        (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
        (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
    ):
        while value >= number:
            out.append(letters)
            value -= number
    return "".join(out)


def is_title_like(text: str, max_words: int = 10) -> bool:
    """A short line in title case or capitals, without sentence punctuation at its end."""
    if not text or len(text) > _TITLE_MAX or text[0] in "\"“‘'(-[" or text[-1] in _TERMINAL:
        return False
    words = _WORD.findall(text)
    if not words or len(words) > max_words:
        return False
    if text.isupper():
        return True
    significant = [w for w in words if w.lower() not in _SMALL_WORDS or w is words[0]]
    capitalised = sum(1 for w in significant if w[0].isupper() or w[0].isdigit())
    return capitalised >= max(1, (len(significant) + 1) // 2) and words[0][0].isupper()


def flashback_marker(text: str) -> str | None:
    """'start' or 'end' for a line like -Flashback- or *End Flashback*, else None."""
    if len(text) > 40 or "flash" not in text.lower():
        return None
    core = " ".join(_EDGE_SYMBOLS.sub("", text).lower().split())
    match = _FLASHBACK.fullmatch(core)
    if not match:
        return None
    return "end" if match["end"] or match["end2"] else "start"


def is_scene_heading(text: str) -> bool:
    """A short time-skip or place line standing alone at a break (A few days later..., Konoha Gates)."""
    if len(text) > 60 or text[0] in "\"“‘'":
        return False
    words = _WORD.findall(text)
    if not words or len(words) > 8:
        return False
    stripped = text.rstrip(" .…:")
    if text.endswith(("...", "…", ":")) and _TIME_WORDS.search(text):
        return words[0][0].isupper()
    if text.endswith(":") and len(words) <= 4:
        return words[0][0].isupper()
    return is_title_like(stripped, max_words=6) and stripped == text
