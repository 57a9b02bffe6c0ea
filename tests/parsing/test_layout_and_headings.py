"""Paragraph layout (one line each, hard-wrapped) and title and chapter headings."""
from __future__ import annotations

import pytest

from bot.parsing.headings import parse_chapter_heading, to_number
from bot.parsing.layout import is_separator, split_blocks
from tests.parsing.conftest import paragraphs, parse

WRAPPED = """It was a bright cold day in April, and the clocks were striking thirteen
when the boy finally came home, his sandals wet from the long walk along
the river and his mind still full of the things the old man had told him.

The next morning he woke before dawn and packed what little he owned into
a small bag. Nobody saw him leave the village, and nobody asked where he
had gone until the festival was over and the lanterns had burned down.

He did not return for three years, and when he did, he was a stranger to
everyone except the old man, who had waited at the gate every evening and
who now simply nodded, as though the boy had only been gone for a day.
"""


def test_hard_wrapped_lines_are_joined_into_paragraphs():
    story = parse(WRAPPED)
    paras = paragraphs(story)
    assert len(paras) == 3
    assert paras[0].startswith("It was a bright cold day in April, and the clocks were striking thirteen when")
    assert "\n" not in paras[0] and "  " not in paras[0]


def test_one_line_per_paragraph_without_blank_lines():
    text = '"Hey," Naruto said.\n"What?" Sakura asked.\nHe shrugged.\nShe sighed and walked away from him.\n'
    assert paragraphs(parse(text)) == [
        '"Hey," Naruto said.', '"What?" Sakura asked.', "He shrugged.", "She sighed and walked away from him.",
    ]


def test_one_line_per_paragraph_with_blank_lines_keeps_long_lines_whole():
    long_line = "word " * 200
    story = parse(f"{long_line}\n\n{long_line}\n")
    assert [len(p) for p in paragraphs(story)] == [len(long_line.strip())] * 2


def test_blocks_count_blank_lines_before_them():
    blocks = split_blocks("a\n\n\n\nb\nc\n\nd")
    assert [(b.text, b.gap) for b in blocks] == [("a", 0), ("b", 3), ("c", 0), ("d", 1)]


def test_wrapped_blocks_split_at_separators_and_keep_their_gaps():
    lines = WRAPPED.split("\n")
    text = "\n".join([*lines[:3], "* * *", *lines[4:7], "", "", *lines[8:]])
    blocks = split_blocks("  \n" + text.replace("along\n", "along  \n").replace("thirteen", "thirteen   now"))
    assert [(b.text[:16], b.gap) for b in blocks] == [
        ("It was a bright ", 1), ("* * *", 0), ("The next morning", 0), ("He did not retur", 2),
    ]
    assert "thirteen now when" in blocks[0].text and "along the river" in blocks[0].text
    assert all("  " not in b.text for b in blocks)


def test_one_line_blocks_collapse_runs_of_spaces():
    blocks = split_blocks("  a  b   c \n \n\nd\n   \n")
    assert [(b.text, b.gap) for b in blocks] == [("a b c", 0), ("d", 2)]
    assert split_blocks(" \n  \n") == []


def test_split_lines_consuming_its_lines_gives_the_same_blocks(monkeypatch):
    import textwrap

    from bot.parsing import layout
    from bot.parsing.layout import split_lines

    wrapped = "\n\n".join(
        textwrap.fill(f"Paragraph {n} " + "and so the  story went on " * 12, width=60) for n in range(9)
    )
    for text in ("  a  b   c \n \n\nd\n   \nOne  two.\n\nThree\n", wrapped):
        for at_once in (1, 2, 4096):  # paragraphs joined a few at a time, their lines dropped after
            monkeypatch.setattr(layout, "_JOINED_AT_ONCE", at_once)
            lines = text.split("\n")
            assert split_lines(lines, consume=True) == split_blocks(text)
            assert lines == []  # handed over: emptied, so a changed line is not held twice
    assert len(split_blocks(wrapped)) == 9


@pytest.mark.parametrize(
    ("line", "number", "title"),
    [
        ("Chapter 7", 7, None),
        ("Chapter 7: The Smallest Spark", 7, "The Smallest Spark"),
        ("Chapter Seven", 7, None),
        ("chapter twenty-one", 21, None),
        ("CHAPTER IV.", 4, None),
        ("Ch. 3 - Title", 3, "Title"),
        ("Chapter 12 ~ Going Home", 12, "Going Home"),
        ("Prologue", None, "Prologue"),
        ("Epilogue", None, "Epilogue"),
        ("Part Two", 2, "Part Two"),
        ("The Second Chapter", 2, None),
    ],
)
def test_chapter_heading_forms(line, number, title):
    heading = parse_chapter_heading(line)
    assert heading is not None
    assert (heading.number, heading.title) == (number, title)


@pytest.mark.parametrize(
    "line",
    [
        "Chapter 7 was the worst part of the whole book, honestly.",
        "Partly cloudy.",
        "Chapters are hard.",
        "Prologues bore me.",
        "Naruto ran.",
    ],
)
def test_prose_is_not_a_chapter_heading(line):
    assert parse_chapter_heading(line) is None


@pytest.mark.parametrize(("token", "value"), [("12", 12), ("xiv", 14), ("IX", 9), ("forty-two", 42), ("IIII", None)])
def test_numbers_in_headings(token, value):
    assert to_number(token) == value


def test_title_line_and_chapter_title_on_the_next_line():
    story = parse("The Long Road Home\n\nChapter 7\n\nThe Smallest Spark\n\nNaruto ran.\n")
    assert story.title == "The Long Road Home"
    assert [(c.number, c.title) for c in story.chapters] == [(7, "The Smallest Spark")]
    assert paragraphs(story) == ["Naruto ran."]


def test_a_sentence_after_a_heading_is_not_its_title():
    story = parse("Chapter 1\n\nNaruto ran to the gate.\n\nHe waited.\n")
    assert story.chapters[0].title is None
    assert paragraphs(story)[0] == "Naruto ran to the gate."


def test_story_opening_with_prose_has_no_title():
    story = parse("Naruto ran to the gate and waited there for a long time.\n\nHe was cold.\n")
    assert story.title is None


def test_many_chapters_in_one_file():
    text = "\n\n".join(f"Chapter {n}\n\nText of chapter {n}." for n in range(1, 6))
    story = parse(text)
    assert [c.number for c in story.chapters] == [1, 2, 3, 4, 5]
    assert [c.paragraphs for c in story.chapters][2] == ("Text of chapter 3.",)


def test_text_before_the_first_heading_is_its_own_chapter():
    story = parse("It began in the rain.\n\nChapter 1\n\nIt went on.\n")
    assert [(c.number, c.paragraphs) for c in story.chapters] == [
        (None, ("It began in the rain.",)), (1, ("It went on.",)),
    ]


def test_part_heading_with_no_text_before_a_chapter_is_dropped():
    story = parse("Part One\n\nChapter 1\n\nIt went on.\n")
    assert [c.number for c in story.chapters] == [1]


@pytest.mark.parametrize(
    "line", ["***", "* * *", "~~~", "-x-x-x-", "oOoOo", "~*~", "----", "xXx", "#", "=====", "Line Break", "-scene change-"]
)
def test_separator_lines(line):
    assert is_separator(line)


@pytest.mark.parametrize("line", ["OOO", "...", '"..."', "ok", "xo", "Naruto", "- Naruto -"])
def test_not_separator_lines(line):
    assert not is_separator(line)


def test_wrapped_paragraphs_marked_by_indent_alone_stay_apart():
    text = (
        "    It was a bright cold day in April, and the clocks were striking thirteen\n"
        "when the boy finally came home, his sandals wet from the long walk along\n"
        "the river and his mind still full of the things the old man had told him.\n"
        "    The next morning he woke before dawn and packed what little he owned into\n"
        "a small bag. Nobody saw him leave the village, and nobody asked where he\n"
        "had gone until the festival was over and the lanterns had burned down.\n"
        "    He did not return for three years, and when he did, he was a stranger to\n"
        "everyone except the old man, who had waited at the gate every evening and\n"
        "who now simply nodded, as though the boy had only been gone for a day.\n"
    )
    paras = paragraphs(parse(text))
    assert len(paras) == 3
    assert paras[1].startswith("The next morning") and paras[1].endswith("burned down.")


def test_a_five_digit_chapter_number_is_a_heading():
    assert parse_chapter_heading("Chapter 12345").number == 12345
    assert parse_chapter_heading("Chapter 1234567") is None  # no story has that many
