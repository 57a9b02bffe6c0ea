"""Encodings, line ends, odd spaces and binary input."""
from __future__ import annotations

import codecs
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.parsing import NotAStory, parse_story
from bot.parsing.decoding import decode_text
from tests.parsing.conftest import paragraphs

STORY = "Naruto ran.\n\n“Wait!” Sakura said.\n"


@pytest.mark.parametrize(
    "data",
    [
        STORY.encode("utf-8"),
        codecs.BOM_UTF8 + STORY.encode("utf-8"),
        STORY.encode("utf-16"),  # with its BOM, native order
        codecs.BOM_UTF16_LE + STORY.encode("utf-16-le"),
        codecs.BOM_UTF16_BE + STORY.encode("utf-16-be"),
        STORY.encode("cp1252"),
    ],
    ids=["utf8", "utf8-bom", "utf16", "utf16-le", "utf16-be", "cp1252"],
)
def test_encodings_give_the_same_story(data):
    story = parse_story(data)
    assert paragraphs(story) == ["Naruto ran.", "“Wait!” Sakura said."]
    assert story.quotes[0].text == "Wait!"


def test_cp1252_fallback_reads_smart_quotes_and_accents():
    text = decode_text(b"Caf\xe9 \x93quoted\x94 and \x85 more")
    assert text == "Café “quoted” and … more"


@pytest.mark.parametrize("newline", ["\r\n", "\r", "\n"])
def test_line_ends_are_normalised(newline):
    story = parse_story(newline.join(["One.", "", "Two."]).encode())
    assert paragraphs(story) == ["One.", "Two."]


def test_tabs_nbsp_and_zero_width_spaces_are_cleaned():
    story = parse_story("\tNaruto\u00a0ran\u200b\u200b far.\n\nThe\u2060 end.\n".encode())
    assert paragraphs(story) == ["Naruto ran far.", "The end."]


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b" \n\t\n", "empty"),
        (b"Hello\x00world", "binary"),
        (bytes(range(1, 32)) * 20 + b"abc", "binary"),
        (bytes(range(128, 256)) * 10, "not readable"),
        (b"1234 5678 !!!", "no readable words"),
        (codecs.BOM_UTF8 + b"\xff\xfe bad", "utf-8"),
    ],
)
def test_bad_input_gets_a_short_clear_message(data, words):
    with pytest.raises(NotAStory) as caught:
        parse_story(data)
    message = str(caught.value)
    assert words in message.lower() and len(message) < 120 and "\n" not in message


_ODD = "\r\t\v\f\x01\x1f\x7f\x85\u00a0\u1680\u2003\u200b\u200d\u2028\u2029\u202f\u205f\u2060\u3000\ufeff\u00ad"


@given(st.text(alphabet=st.sampled_from("ab “’…é\n" + _ODD), max_size=60))
def test_decoded_text_never_keeps_odd_characters(body):
    try:
        text = decode_text(("Word " + body).encode("utf-8"))
    except NotAStory:
        return  # too many control characters: refused, which is fine
    assert not set(text) & set(_ODD)


@given(st.text(alphabet=st.sampled_from("ab “’…é\n .,"), max_size=60))
def test_printable_text_passes_through_unchanged(body):
    data = ("Word " + body).encode("utf-8")
    assert decode_text(data) == "Word " + body


def test_decode_lines_piece_by_piece_are_the_whole_texts_lines(monkeypatch):
    from bot.parsing import decoding
    from bot.parsing.decoding import decode_lines

    samples = [
        b"One\r\ntwo\rthree\n\x01four\tfive\xc2\xa0six\xe2\x80\xa8seven\n\n  eight\x0bnine\x0c",
        "W\u00f6rd\u200b\u00ad x\u2029y \u2026\n".encode(),
        b"Caf\xe9 \x93quoted\x94\nline",  # not UTF-8: cp1252, the whole text at once
        b"\x01\x02\x03abc\n" * 5,  # binary: too many control characters, counted over the file
        b"a\x01" + b"b" * 300 + b"\n" + b"c" * 300,  # the same share, spread over pieces: text
        b"12 34\n56",
        b"\xef\xbb\xbfWith a mark\r\nand more",
        # UTF-8 for several pieces (a bytearray's are dropped as they are decoded), then cp1252.
        "Plain line one\nCaf\u00e9 two\nthree\n".encode() * 4 + b"Caf\xe9 \x93late\x94\nend",
        b"Plain\nlines\n" * 4 + b"a\r\nb\n" * 3 + b"\x93late\x94",  # a piece normalised before it
    ]
    for piece in (1, 5, 1 << 20):
        monkeypatch.setattr(decoding, "_PIECE", piece)
        for data in samples:
            try:
                expected = decode_text(data).split("\n")
            except NotAStory as exc:
                for handed in (data, bytearray(data)):
                    with pytest.raises(NotAStory, match=re.escape(str(exc))):
                        decode_lines(handed, consume=isinstance(handed, bytearray))
                continue
            assert decode_lines(data) == expected, (piece, data)
            # Handed over (consume): the same lines, read from the last piece back, and the bytes
            # given up as they are read when the file is UTF-8 without a mark.
            handed = bytearray(data)
            assert decode_lines(handed, consume=True) == expected, (piece, data)
            assert (not handed) == (_is_utf8(data) and not data.startswith(b"\xef\xbb\xbf")), (piece, data)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@pytest.mark.parametrize("byte", range(128))
def test_decode_lines_of_ascii_with_any_byte_are_decode_texts(byte):
    """An ASCII piece is judged printable by deleting its printable bytes: every ASCII byte, in
    the middle of a line, reads as the whole-text decoding reads it (normalised, or refused)."""
    from bot.parsing.decoding import decode_lines

    data = b"Word " + bytes([byte]) + b" more words\nand a line" + b" long enough" * 10
    try:
        expected = decode_text(data).split("\n")
    except NotAStory as exc:
        with pytest.raises(NotAStory, match=re.escape(str(exc))):
            decode_lines(data)
        return
    assert decode_lines(data) == expected
    assert decode_lines(bytearray(data), consume=True) == expected


@pytest.mark.parametrize("odd", [chr(byte) for byte in range(128)] + ["\u00a0", "\u0085", "\u2028", "\u200b", "\u00ad"])
def test_decode_lines_of_utf8_with_any_odd_character_are_decode_texts(odd):
    """A piece with characters past ASCII is judged printable from what is left once its
    printable ASCII bytes and line feeds are deleted (decoding._plain_utf8): an ASCII control
    character or an odd space beside curly quotes still has the piece normalised (or refused)."""
    from bot.parsing.decoding import decode_lines

    data = ("“Word” " + odd + " more ‘words’ — é\nand a line" + " long enough" * 10).encode()
    try:
        expected = decode_text(data).split("\n")
    except NotAStory as exc:
        with pytest.raises(NotAStory, match=re.escape(str(exc))):
            decode_lines(data)
        return
    assert decode_lines(data) == expected
    assert decode_lines(bytearray(data), consume=True) == expected
