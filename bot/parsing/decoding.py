"""Bytes to clean text: detect the encoding, refuse binary input, normalise line ends and odd spaces."""
from __future__ import annotations

import codecs
import logging
import re

from bot.parsing.model import NotAStory

log = logging.getLogger(__name__)

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
# decode_lines decodes, and _printable checks, this many bytes or characters at a time.
_PIECE = 1 << 20


def decode_text(data: bytes) -> str:
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


def decode_lines(data: bytes | bytearray) -> list[str]:
    """decode_text(data).split("\n"), without ever holding the whole decoded text (for a story
    with one character outside Latin-1, two or four bytes per character of the file).

    UTF-8 without a byte-order mark (nearly every file) is decoded a piece of about _PIECE bytes
    ending on a line feed at a time: no UTF-8 sequence and no "\r\n" spans a line feed, and every
    step of _normalise is character by character, so the pieces' lines are the whole text's. The
    share of control characters is counted over the whole file, as decode_text counts it.

    A bytearray is consumed as it is decoded (the caller hands it over and empties it after):
    the file's bytes and its lines are never both held whole. The pieces decoded before the
    first one that needed normalising are the bytes of their lines, so a file that turns out
    not to be UTF-8 further on is still read whole, as it was."""
    if not data or data.isspace() or data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return decode_text(data).split("\n")
    if b"\x00" in data:
        raise NotAStory("The file looks binary (it contains NUL bytes), not like a text story.")
    consume = isinstance(data, bytearray)
    lines: list[str] = []
    controls = length = 0
    letters = False
    start = 0
    dropped = 0  # lines whose bytes were dropped from the front of `data`
    while start < len(data):
        end = data.find(b"\n", start + _PIECE) + 1 or len(data)
        try:
            piece = data[start:end].decode("utf-8")
        except UnicodeDecodeError:
            if dropped:
                # cp1252 after all: put the dropped lines' bytes back (they were plain UTF-8).
                data[:0] = ("\n".join(lines[:dropped]) + "\n").encode("utf-8")
            return decode_text(data).split("\n")  # cp1252: the whole text at once
        length += len(piece)
        if not _printable(piece):
            controls += len(_CONTROL.findall(piece))
            piece = _normalise_text(piece)
            consume = False  # its lines are no longer its bytes
        letters = letters or _LETTER.search(piece) is not None
        if end < len(data):
            lines.extend(piece.split("\n")[:-1])
        else:
            lines.extend(piece.split("\n"))
        start = end
        if consume and start < len(data):
            del data[:start]  # from the front of a bytearray: shrinks it as it goes, no copy
            start = 0
            dropped = len(lines)
    if controls > _MAX_CONTROL_SHARE * length:
        raise NotAStory("The file looks binary, not like a text story.")
    if not letters:
        raise NotAStory("The file has no readable words.")
    log.debug("decoded %d characters as utf-8", length)
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


def _decode(data: bytes) -> tuple[str, str]:
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


def _strict(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise NotAStory(f"The file claims to be {encoding} but is not valid {encoding}.") from exc
