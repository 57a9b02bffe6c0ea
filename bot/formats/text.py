"""Plain-text uploads: refuse binary data early with a clear message, decode, and strip Markdown emphasis."""
from __future__ import annotations

import re

from bot.errors import InvalidInput
from bot.lazylog import Logger

log = Logger(__name__)


class UploadRejected(InvalidInput):
    """An uploaded file that cannot become a story; the message tells the uploader why."""


# Leading bytes of formats people upload by mistake; naming the format makes the refusal useful.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a zip archive (a .docx, .epub or similar)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Word/Office document"),
    (b"\x7fELF", "a program"),
    (b"{\\rtf", "an RTF document"),
)

# Control characters (bar tab, newlines, form feed), C1 controls, private use, lone surrogates and
# U+FFFD: real text has almost none, binary decoded as text is full of them.
_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ud800-\udfff\ue000-\uf8ff\ufffd]")
_BAD_CHAR_SHARE = 0.01  # more control or replacement characters than this: not repairable text
# The bytes of an ASCII text that are not _BAD_CHARS: deleting them (bytes.translate, a table
# look-up per byte) leaves the bad ones to count, five times faster than the pattern's findall.
_GOOD_ASCII = bytes(byte for byte in range(128) if not _BAD_CHARS.match(chr(byte)))
# Every byte but those a _BAD_CHARS character's UTF-8 starts with: the bad ASCII ones, 0xc2 (C1
# controls) and 0xee-0xef (private use, U+FFFD); no surrogate decodes from UTF-8. A UTF-8 piece
# in which deleting these leaves nothing holds no bad character (told in a third of the time of
# the pattern's findall, which then counts them).
_NO_BAD_START = _GOOD_ASCII + bytes(byte for byte in range(128, 256) if byte not in (0xc2, 0xee, 0xef))


def sniff_binary(data: bytes) -> str | None:
    """Name the binary format `data` starts with, or None if it does not look like a known one."""
    for magic, name in _MAGIC:
        if data.startswith(magic):
            return name
    if data[:12].startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "a WebP image"
    return None


def decode_text(data: bytes, *, what: str = "file") -> str:
    """Decode uploaded text (UTF-8, UTF-16 with BOM, else Windows-1252) or refuse it clearly."""
    if not data.strip():
        raise UploadRejected(f"The {what} is empty.")
    binary = sniff_binary(data)
    if binary:
        raise UploadRejected(f"The {what} is {binary}, not text.")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise UploadRejected(f"The {what} claims to be UTF-16 text but is not.") from None
    else:
        if b"\x00" in data:
            raise UploadRejected(f"The {what} holds binary data, not text.")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            # Older fan-fiction saves are often Windows-1252; anything it cannot map is binary.
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError:
                raise UploadRejected(f"The {what} is not readable text.") from None
    check_readable(text, what=what)
    return text


# text_start decodes this many bytes at a time: below glibc's mmap threshold, as decode_lines's
# pieces (bot/parsing/decoding.py).
_PIECE = 1 << 14


def text_start(data: bytes, chars: int, *, what: str = "file") -> str | None:
    """decode_text(data)[:chars] for UTF-8 text, refused for the same reasons and with the same
    message, without ever holding the whole decoded text: the file is decoded and checked a piece
    ending on a line feed (about _PIECE bytes) at a time. None when the text is UTF-16 or not UTF-8
    (decode_text then reads it whole)."""
    if not data or data.isspace():
        raise UploadRejected(f"The {what} is empty.")
    binary = sniff_binary(data)
    if binary:
        raise UploadRejected(f"The {what} is {binary}, not text.")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    if b"\x00" in data:
        raise UploadRejected(f"The {what} holds binary data, not text.")
    start = 3 if data.startswith(b"\xef\xbb\xbf") else 0  # what "utf-8-sig" drops
    head: list[str] = []
    wanted, length, bad, words, blank = chars, 0, 0, False, True
    while start < len(data):
        end = data.find(b"\n", start + _PIECE) + 1 or len(data)
        raw = data[start:end]
        try:
            piece = raw.decode("utf-8")
        except UnicodeDecodeError:
            return None
        if wanted > 0:
            head.append(piece[:wanted])
            wanted -= len(head[-1])
        # check_readable's tests, counted over the pieces.
        length += len(piece)
        if raw.isascii():
            bad += len(raw.translate(None, _GOOD_ASCII))
        elif raw.translate(None, _NO_BAD_START):
            bad += len(_BAD_CHARS.findall(piece))
        del raw
        blank = blank and (not piece or piece.isspace())
        words = words or any(ch.isalpha() for ch in piece)
        start = end
    if blank:
        raise UploadRejected(f"The {what} is empty.")
    if bad > max(2, length * _BAD_CHAR_SHARE):
        raise UploadRejected(f"The {what} is garbled beyond repair (it looks like binary data).")
    if not words:
        raise UploadRejected(f"The {what} has no words in it.")
    return "".join(head)


def check_readable(text: str, *, what: str = "file") -> None:
    """Refuse text too damaged to repair: many control/replacement characters, or no words at all."""
    if not text.strip():
        raise UploadRejected(f"The {what} is empty.")
    bad = len(_BAD_CHARS.findall(text))
    if bad > max(2, len(text) * _BAD_CHAR_SHARE):
        raise UploadRejected(f"The {what} is garbled beyond repair (it looks like binary data).")
    if not any(ch.isalpha() for ch in text):
        raise UploadRejected(f"The {what} has no words in it.")


_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_QUOTE = re.compile(r"^\s{0,3}>\s?")
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_EM_STAR = re.compile(r"(?<![\w*\\])\*(?=[^\s*])(.+?)(?<=[^\s*\\])\*(?![\w*])")
_EM_UNDER = re.compile(r"(?<![\w\\])_(?=[^\s_])(.+?)(?<=[^\s_\\])_(?!\w)")
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_CODE = re.compile(r"`([^`]+)`")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!>~|])")


def strip_markdown(text: str) -> str:
    """Markdown to plain text: emphasis, headings, links and quotes lose their marks, rules become breaks.

    Emphasis must be paired and hug its words, so `5 * 3`, `snake_case` and lone asterisks stay.
    """
    out: list[str] = []
    for line in text.splitlines():
        if _FENCE.match(line):
            continue
        if _RULE.match(line):
            out.append("* * *")
            continue
        heading = _HEADING.match(line)
        if heading:
            line = heading.group(1)
        line = _QUOTE.sub("", line)
        line = _IMAGE.sub(lambda m: m.group(1), line)
        line = _LINK.sub(lambda m: m.group(1), line)
        line = _CODE.sub(lambda m: m.group(1), line)
        for pattern in (_STRONG, _STRIKE, _EM_STAR, _EM_UNDER):
            line = pattern.sub(lambda m: m.group(m.lastindex), line)
        out.append(_ESCAPE.sub(r"\1", line))
    return "\n".join(out)


_FRONT_MATTER_END = ("---", "...")
_FRONT_MATTER_FIELD = re.compile(r"^([A-Za-z][\w-]*):\s*(.*?)\s*$")


def split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """A Markdown file's YAML front matter (pandoc, Jekyll) as its top-level `key: value` pairs, and
    the text after it; ({}, text) when it has none. Only plain one-line values are read: no YAML
    library is needed for title, author, description, lang or tags."""
    lines = text.lstrip("\ufeff").split("\n")
    if not lines or lines[0].strip() != "---":
        return {}, text
    end = next((i for i, line in enumerate(lines[1:200], start=1) if line.strip() in _FRONT_MATTER_END), None)
    if end is None:
        return {}, text
    fields: dict[str, str] = {}
    for line in lines[1:end]:
        match = _FRONT_MATTER_FIELD.match(line)
        if match and match.group(2):
            fields[match.group(1).lower()] = match.group(2).strip().strip("\"'")
    if not fields:
        return {}, text
    return fields, "\n".join(lines[end + 1:])
