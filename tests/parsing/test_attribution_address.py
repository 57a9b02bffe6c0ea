"""Words of address that say the sex of whom a speech calls on without a name ("Yes, sir.", "my
dear girl", "mamma"): read by address.py, weighed against each candidate's known sex by the
scorer (evidence.py)."""
from __future__ import annotations

from bot.parsing import parse_story
from bot.parsing.attribution.address import addressed_sex
from tests.parsing.test_attribution_turn_evidence import evidence
from tests.pure_parser import pure_parser

CAST = (
    "Anna walked to the mill. Anna crossed her arms. Anna tapped her foot. Ben shook his head. Ben rubbed his eyes.\n\n"
    '"Good morning," said Anna.\n\n"Good morning," said Ben.\n\n'
)


def test_words_of_address_say_the_sex_called_on():
    assert addressed_sex("Yes, sir.") == "M"
    assert addressed_sex("Yes sir") == "M"
    assert addressed_sex("I am sorry, ma'am, but it is late.") == "F"
    assert addressed_sex("Come here, my dear girl.") == "F"
    assert addressed_sex("Well, my good man, what is it?") == "M"
    assert addressed_sex("Good night, dear mamma!") == "F"
    assert addressed_sex("Papa, do come.") == "M"
    assert addressed_sex("Oh, my lord, no.") == "M"


def test_what_calls_on_nobody_of_a_known_sex():
    assert addressed_sex("Good Lord!") is None  # an oath, not a lord called on
    assert addressed_sex("My mother, you know, was ill.") is None  # spoken of, not called on
    assert addressed_sex("Sir John is here, and so is Miss Bates.") is None  # titles of names
    assert addressed_sex("He is a good man.") is None
    assert addressed_sex("She met a thirty-year-old man.") is None
    assert addressed_sex("My dear, no.") is None  # says nothing of the sex
    assert addressed_sex("Yes, sir. No, madam.") is None  # both: nobody in particular


@pure_parser
def test_a_speech_calling_on_a_man_is_marked_against_the_men():
    _, seen = evidence(CAST + '"Is the mill open?" asked Anna.\n\n"It is, ma\'am."\n\n')
    assert "address_own_sex" in seen[-1]["Anna"]
    assert "address_other_sex" in seen[-1]["Ben"]
    # Without the word of address, neither.
    _, seen = evidence(CAST + '"Is the mill open?" asked Anna.\n\n"It is."\n\n')
    assert all(not {"address_own_sex", "address_other_sex"} & features for features in seen[-1].values())


@pure_parser
def test_the_one_called_on_answers_and_the_one_who_answers_was_called_on():
    _, seen = evidence(CAST + '"Is it far, sir?" asked Anna.\n\n"Not very."\n\n')
    assert "answers_address" in seen[-1]["Ben"]
    assert "answers_address_clash" in seen[-1]["Anna"]
    _, seen = evidence(CAST + '"Is it far?"\n\n"Not very."\n\n"Thank you, sir."\n\n')
    assert "address_after" in seen[-2]["Ben"]
    assert "address_after_clash" in seen[-2]["Anna"]


@pure_parser
def test_a_third_speaker_going_by_a_word_of_address():
    # Anna and Ben alternate; Cora joins. "Yes, ma'am" answers a woman: the speech before is hers,
    # not Ben's as strict alternation would have it, and the reply is Ben's.
    text = (
        "Anna walked to the mill with Cora. Anna crossed her arms. Cora tapped her foot. Ben shook his head. "
        "Ben rubbed his eyes.\n\n"
        '"Good morning," said Anna.\n\n"Good morning," said Ben.\n\n"Is the flour ready?" asked Anna.\n\n'
        '"Nearly," said Ben.\n\n"And the sacks for my mother?"\n\n"Yes, ma\'am, all of them."\n\n'
    )
    quotes = parse_story(text.encode(), filename="t.txt").quotes
    assert quotes[-1].speaker == "Ben"
