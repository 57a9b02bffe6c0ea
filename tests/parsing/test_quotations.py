"""Finding quotations: speech, thoughts, apostrophes, multi-paragraph and unbalanced marks."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.parsing.quotations import _mark_positions, find_quotes
from tests.parsing.conftest import parse


def texts(paragraphs, **kwargs):
    return [(q.text, q.kind) for q in find_quotes(paragraphs, **kwargs)]


@pytest.mark.parametrize(
    "paragraph",
    ['"Go home," he said.', "“Go home,” he said.", 'He said, "Go home,"', "He said, “Go home,”"],
)
def test_straight_and_curly_double_quotes_are_speech(paragraph):
    assert texts([paragraph]) == [("Go home,", "speech")]


@pytest.mark.parametrize(
    "paragraph",
    ["'I hate this,' he thought.", "‘I hate this,’ he thought.", "He thought, 'I hate this.'"],
)
def test_single_quotes_are_thoughts(paragraph):
    assert [kind for _, kind in texts([paragraph])] == ["thought"]


@pytest.mark.parametrize(
    "paragraph",
    [
        "It's Naruto's ramen and he won't share it.",
        "Give 'em hell, he told himself, 'cause nobody else would.",
        "He was goin' home and nothin' could stop him.",
        "The Hyuugas' compound was quiet.",
        "It’s Naruto’s ramen and he won’t share it.",
        "Rock 'n' roll, he thought, was dead.",
    ],
)
def test_apostrophes_are_not_quotations(paragraph):
    assert texts([paragraph]) == []


def test_thought_with_apostrophes_inside():
    assert texts(["'We'll see. I don't have time, but I'll take you up on it.' He stood."]) == [
        ("We'll see. I don't have time, but I'll take you up on it.", "thought")
    ]


def test_elision_at_the_end_of_a_word_inside_a_thought():
    assert texts(["'I'm goin' to win this,' he thought."]) == [("I'm goin' to win this,", "thought")]


def test_single_quotes_inside_speech_are_part_of_it():
    assert texts(['"She said \'no\' to me," he said.']) == [("She said 'no' to me,", "speech")]


def test_interrupted_quotation_is_two_entries_with_one_speaker():
    story = parse('"Don\'t," Naruto said, "even think about it."\n')
    assert [(q.text, q.speaker) for q in story.quotes] == [("Don't,", "Naruto"), ("even think about it.", "Naruto")]


def test_quotation_reopened_in_the_next_paragraph_is_one_entry():
    quotes = find_quotes(['"First part of the speech.', '"Second part," she said.'])
    assert [(q.text, q.paragraph, q.last_paragraph) for q in quotes] == [
        ("First part of the speech.\nSecond part,", 0, 1)
    ]


def test_quotation_whose_middle_paragraph_has_no_marks_is_one_entry():
    quotes = find_quotes(['"It begins here.', "It goes on here.", 'And it ends here." She stopped.'])
    assert [q.text for q in quotes] == ["It begins here.\nIt goes on here.\nAnd it ends here."]
    assert quotes[0].after == " She stopped."


def test_unbalanced_mark_ends_at_its_paragraph():
    paragraphs = ['He said, "this never closes.', "Narration goes on.", "More narration.", '"Hello," Sakura said.']
    quotes = find_quotes(paragraphs)
    assert [(q.text, q.paragraph) for q in quotes] == [("this never closes.", 0), ("Hello,", 3)]


def test_unbalanced_mark_never_swallows_the_chapter():
    paragraphs = ['"Start with no end'] + [f"Paragraph {n} of narration." for n in range(50)]
    quotes = find_quotes(paragraphs)
    assert [q.text for q in quotes] == ["Start with no end"]


def test_scare_quotes_inside_narration_are_not_speech():
    assert texts(['But "HE" had said it was not time, and "He" would be there.']) == []
    assert texts(['"The Invasion" that\'s what they called it now.']) == []


def test_a_single_quoted_label_inside_narration_is_not_a_thought():
    assert texts(["'Punishment' was left unsaid, but Kakashi nodded."]) == []
    assert texts(["'Stupid,' she thought."]) == [("Stupid,", "thought")]


def test_one_word_speech_with_a_tag_is_speech():
    assert texts(['"Jerk" Naruto mumbled under his breath.']) == [("Jerk", "speech")]


def test_offsets_point_at_the_quotation_in_its_paragraph():
    paragraph = 'Sakura turned. "Go home, Naruto," she said, "and sleep."'
    for quote in find_quotes([paragraph]):
        assert paragraph[quote.start : quote.end] == quote.text


def test_story_quotes_carry_offsets_into_the_stored_paragraph():
    story = parse('Sakura turned.\n\nShe sighed. "Go home, Naruto," she said.\n')
    (quote,) = story.quotes
    paragraph = story.chapters[0].scenes[quote.scene].paragraphs[quote.paragraph]
    assert paragraph[quote.start : quote.end] == "Go home, Naruto,"


def test_british_single_quote_speech_is_speech():
    paragraphs = [f"'Line number {n},' said Alice." for n in range(25)]
    story = parse("\n\n".join(paragraphs))
    assert {q.kind for q in story.quotes} == {"speech"}
    assert story.quotes[0].speaker == "Alice"


def test_deeply_nested_marks_stay_linear():
    paragraph = "\"'" * 20000 + "end"
    quotes = find_quotes([paragraph])
    assert len(quotes) <= 20001


@given(st.text(alphabet=st.sampled_from("ab Zé.\"“”‘’'"), max_size=40))
def test_every_quote_mark_is_found_except_apostrophes_inside_ascii_words(text):
    def in_ascii_word(pos: int) -> bool:
        before, after = text[pos - 1 : pos], text[pos + 1 : pos + 2]
        return text[pos] in "'’" and before.isascii() and before.isalpha() and after.isascii() and after.isalpha()

    expected = [pos for pos, ch in enumerate(text) if ch in "\"“”‘’'" and not in_ascii_word(pos)]
    assert _mark_positions(text) == expected
