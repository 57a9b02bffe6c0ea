"""Property tests: any input parses or is refused cleanly, and no story text is lost or doubled."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.parsing import NotAStory, parse_story
from bot.parsing.decoding import decode_text
from bot.parsing.parser import outline_text
from bot.parsing.structure import NOTE, PARAGRAPH

SPECIAL_LINES = [
    "", "", "", "Chapter 3", "CHAPTER IV.", "Prologue", "Part Two", "***", "* * *", "-x-x-x-", "~*~", "#",
    "-Flashback-", "-End Flashback-", "Disclaimer: I do not own Naruto.", "Disclaimed.", "A/N: thanks!",
    "Summary: things happen.", '"Talking"', "'Thinking'", "A few days later...", "Konoha Gates",
    "I hope you enjoyed this chapter, please review!", "See you next time.", "The Smallest Spark",
]
WORDS = st.sampled_from(
    ["Naruto", "Sakura", "said", "he", "she", "ran", "the", "it's", "'em", "goin'", "Naruto's", "away", "-kun"]
)
MARKS = st.sampled_from(['"', "'", "“", "”", "‘", "’", ",", ".", "!", "?", "...", "—", " ", "  ", "\t"])
free_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=60
)
line = st.one_of(
    st.sampled_from(SPECIAL_LINES),
    st.lists(st.one_of(WORDS, MARKS), max_size=25).map(" ".join),
    st.lists(st.one_of(WORDS, MARKS), max_size=25).map("".join),
    free_text,
)
document = st.lists(line, max_size=40).map("\n".join)
NEWLINES = st.sampled_from(["\n", "\r\n", "\r"])

QUICK = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
THOROUGH = settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check_parses_or_refuses(data: bytes) -> None:
    try:
        story = parse_story(data)
    except NotAStory as refused:
        assert str(refused) and "\n" not in str(refused)
        return
    assert story.chapters and all(c.scenes for c in story.chapters)
    assert all(0 <= q.confidence <= 1 for q in story.quotes)
    assert all(q.speaker is None or q.speaker.lower() not in ("he", "she") for q in story.quotes)


def nonblank(text: str) -> str:
    return "".join(text.split())


def check_every_character_lands_once(raw: str) -> None:
    try:
        story = parse_story(raw.encode("utf-8"))
    except NotAStory:
        return
    text = decode_text(raw.encode("utf-8"))
    outline = outline_text(text)
    # Every non-blank character is in exactly one block, in order ...
    assert nonblank("".join(b.text for b in outline.blocks)) == nonblank(text)
    # ... and the story's paragraphs are exactly the paragraph blocks, in order; notes likewise.
    roles = list(zip(outline.blocks, outline.roles, strict=True))
    assert [b.text for b, r in roles if r.role == PARAGRAPH] == [
        p for c in story.chapters for p in c.paragraphs
    ]
    assert sorted(b.text for b, r in roles if r.role == NOTE) == sorted(n.text for n in story.notes)
    # Whatever is not a paragraph or a note is a heading or a break marker: short lines only.
    assert all(len(b.text) <= 100 for b, r in roles if r.role not in (PARAGRAPH, NOTE))


@QUICK
@given(st.binary(max_size=400))
def test_any_bytes_parse_or_are_refused(data):
    check_parses_or_refuses(data)


@QUICK
@given(document, NEWLINES)
def test_any_text_parses_or_is_refused(text, newline):
    check_parses_or_refuses(text.replace("\n", newline).encode("utf-8"))


@QUICK
@given(document)
def test_every_nonblank_character_lands_in_exactly_one_place(text):
    check_every_character_lands_once(text)


@pytest.mark.slow
@THOROUGH
@given(st.binary(max_size=4000))
def test_any_bytes_parse_or_are_refused_thoroughly(data):
    check_parses_or_refuses(data)


@pytest.mark.slow
@THOROUGH
@given(document, NEWLINES)
@example('Chapter 1\n"Hi," had', "\n")  # crashed the parser (issue 21)
@example('"Yes," he said. "No," she said. ' * 200, "\n")  # pronoun tags, once slow (issue 21)
def test_any_text_parses_or_is_refused_thoroughly(text, newline):
    check_parses_or_refuses(text.replace("\n", newline).encode("utf-8"))


@pytest.mark.slow
@THOROUGH
@given(document)
def test_every_nonblank_character_lands_in_exactly_one_place_thoroughly(text):
    check_every_character_lands_once(text)


TAGS = [
    "had been Naruto's reply, and he left.",
    "was his answer, given at once.",
    "was Sakura's answer.",
    "her mother said softly.",
    "the count said.",
    "said the old man, smiling.",
    "cried the big navvy.",
    "she would say.",
    "I said.",
    "yelled an over-excited Naruto.",
]


@pytest.mark.parametrize("tag", TAGS)
def test_a_tag_cut_short_after_any_word_parses(tag):
    """'"Hi," had' once raised IndexError: a tag may stop after any of its words."""
    words = tag.split()
    for end in range(1, len(words) + 1):
        cut = " ".join(words[:end])
        for layout in (f'"Hi," {cut}', f'{cut} "Hi."', f'"Hi," {cut} "Bye."'):
            check_parses_or_refuses(f"Chapter 1\n\n{layout}\n".encode())
