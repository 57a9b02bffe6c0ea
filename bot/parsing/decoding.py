"""Bytes to clean text: detect the encoding, refuse binary input, normalise line ends and odd spaces."""
from __future__ import annotations

import codecs
import re

from bot.lazylog import Logger
from bot.parsing.model import NotAStory

log = Logger(__name__)

# Control characters other than tab, newline, vertical tab, form feed and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_ODD_SPACES = re.compile(r"[\t\v\f\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
_ZERO_WIDTH = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_ODD_NEWLINES = re.compile(r"\r\n?|[\x85\u2028\u2029]")
# More than this share of control characters means the bytes are not prose.
_MAX_CONTROL_SHARE = 0.01
# cp1252 decodes any byte, so binary data has to be recognised by how un-English it looks.
_MAX_HIGH_SHARE_CP1252 = 0.3
_LETTER = re.compile(r"[^\W\d_]")
# decode_lines decodes, and _printable checks, this many bytes or characters at a time: below
# glibc's mmap threshold (bot/memory.py keeps it at 128 KiB for a big file), so each piece's copies
# come from the heap and are reused, not a new mapping the system zeroes page by page (a 100 MB
# file decoded in 0.37 s of CPU instead of 0.68 with pieces of a MB).
_PIECE = 1 << 14
# Printable ASCII and the line feed: a piece of a file is _printable when deleting these bytes
# leaves none, or only printable characters (bytes.translate, a table look-up per byte: several
# times faster than isprintable; _plain_utf8).
_PLAIN_ASCII = bytes(range(0x20, 0x7F)) + b"\n"


def decode_text(data: bytes | bytearray) -> str:
    """Decode story bytes and normalise whitespace; raise NotAStory for empty or binary input."""
    if not data or not data.strip():
        raise NotAStory("The file is empty.")
    text, encoding = _decode(data)
    if "\x00" in text:
        raise NotAStory("The file looks binary (it contains NUL bytes), not like a text story.")
    # One C-speed pass settles the usual case: text that is printable apart from its line feeds
    # (spaces included) holds no control characters, no carriage returns and no odd spaces, so
    # the passes below would change nothing.
    if not _printable(text):
        text = _normalise(text)
    if not _LETTER.search(text):
        raise NotAStory("The file has no readable words.")
    log.debug("decoded %d bytes as %s", len(data), encoding)
    return text


def _printable(text: str) -> bool:
    """text.replace("\n", "").isprintable(), a megabyte at a time: no copy of the whole text."""
    return all(
        text[start:start + _PIECE].replace("\n", "").isprintable() for start in range(0, len(text), _PIECE)
    )


def _plain_utf8(raw: bytes | bytearray) -> bool:
    """_printable(raw.decode("utf-8")) of valid UTF-8, without testing every character: deleting
    the printable ASCII bytes and line feeds keeps every multi-byte sequence whole (none holds an
    ASCII byte), so what is left decodes to the text's other characters, few in a story (curly
    quotes, dashes, and any ASCII control character), and only those are tested (about 0.15 s of
    a 100 MB file's serial start, which an idle core waits for)."""
    rest = raw.translate(None, _PLAIN_ASCII)
    return not rest or rest.decode("utf-8").isprintable()


def decode_lines(data: bytes | bytearray, *, consume: bool = False) -> list[str]:
    """decode_text(data).split("\n"), without ever holding the whole decoded text (for a story
    with one character outside Latin-1, two or four bytes per character of the file).

    UTF-8 without a byte-order mark (nearly every file) is decoded a piece of about _PIECE bytes
    ending on a line feed at a time: no UTF-8 sequence and no "\r\n" spans a line feed, and every
    step of _normalise is character by character, so the pieces' lines are the whole text's. The
    share of control characters is counted over the whole file, as decode_text counts it.

    With `consume` (a bytearray handed over), `data` is emptied as it is decoded, last piece
    first: its memory goes back as the lines are made, so the file and its text are never both
    held whole (the peak of a big file's parse)."""
    if not data or data.isspace() or data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return decode_text(data).split("\n")
    if b"\x00" in data:
        raise NotAStory("The file looks binary (it contains NUL bytes), not like a text story.")
    bounds: list[tuple[int, int]] = []
    start = 0
    while start < len(data):
        end = data.find(b"\n", start + _PIECE) + 1 or len(data)
        bounds.append((start, end))
        start = end
    handed = data if consume and isinstance(data, bytearray) else None
    if handed is not None and not handed.isascii():
        # Every piece must be UTF-8 before any is dropped: else cp1252, the whole text at once.
        for start, end in bounds:
            try:
                handed[start:end].decode("utf-8")
            except UnicodeDecodeError:
                return decode_text(data).split("\n")
    pieces: list[list[str]] = []
    controls = length = 0
    letters = False
    last = len(data)
    for start, end in reversed(bounds) if handed is not None else bounds:
        raw = data[start:end]
        try:
            piece = raw.decode("utf-8")
        except UnicodeDecodeError:
            return decode_text(data).split("\n")  # cp1252: the whole text at once
        if handed is not None:
            del handed[start:]  # a bytearray gives its memory back as it shrinks
        length += len(piece)
        plain = _plain_utf8(raw)
        del raw
        if not plain:
            controls += len(_CONTROL.findall(piece))
            piece = _normalise_text(piece)
        letters = letters or _LETTER.search(piece) is not None
        if end < last:
            pieces.append(piece.split("\n")[:-1])
        else:
            pieces.append(piece.split("\n"))
    if controls > _MAX_CONTROL_SHARE * length:
        raise NotAStory("The file looks binary, not like a text story.")
    if not letters:
        raise NotAStory("The file has no readable words.")
    log.debug("decoded %d bytes as utf-8", last)
    if handed is not None:
        pieces.reverse()
    if len(pieces) == 1:
        return pieces[0]
    lines: list[str] = []
    for piece_lines in pieces:
        lines.extend(piece_lines)
    return lines


def _normalise(text: str) -> str:
    """Replace control characters, odd line ends and odd spaces; raise NotAStory for binary text."""
    if _CONTROL.search(text):
        if len(_CONTROL.findall(text)) > _MAX_CONTROL_SHARE * len(text):
            raise NotAStory("The file looks binary, not like a text story.")
    return _normalise_text(text)


def _normalise_text(text: str) -> str:
    """_normalise's replacements, without the binary check."""
    if _CONTROL.search(text):
        text = _CONTROL.sub(" ", text)
    # str.replace and `in` are much faster than a regex pass, and most files need neither.
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\t" in text:
        text = text.replace("\t", " ")
    if not text.isascii():
        text = _ODD_NEWLINES.sub("\n", text)
        text = _ODD_SPACES.sub(" ", text)
        text = _ZERO_WIDTH.sub("", text)
    elif "\v" in text or "\f" in text:
        text = _ODD_SPACES.sub(" ", text)
    return text


def _decode(data: bytes | bytearray) -> tuple[str, str]:
    if data.startswith(codecs.BOM_UTF8):
        return _strict(data[len(codecs.BOM_UTF8):], "utf-8"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _strict(data, "utf-16"), "utf-16"
    if b"\x00" in data:
        raise NotAStory("The file looks binary (it contains NUL bytes), not like a text story.")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    text = data.decode("cp1252", errors="replace")
    high = len(text) - len(text.encode("ascii", "ignore"))
    if high > _MAX_HIGH_SHARE_CP1252 * len(text):
        raise NotAStory("The file is not readable text in any encoding I know.")
    return text, "cp1252"


def _strict(data: bytes | bytearray, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise NotAStory(f"The file claims to be {encoding} but is not valid {encoding}.") from exc
