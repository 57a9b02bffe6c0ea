"""A he or she whose walk back through the narration passes, nearer than the name it settles on,
a sentence about someone of that sex the text only describes ("Then the third man burst out
laughing.") is less sure of that name (branch err11): the described one may be the speaker."""
from __future__ import annotations

from bot.parsing.attribution import ChapterAttributor
from bot.parsing.attribution.result import PRONOUN_NARRATED, Attribution
from bot.parsing.characters import build_lexicon
from bot.parsing.quotations import find_quotes
from tests.pure_parser import pure_parser

# Mr. Syme and Mr. Bull talk; the narration then names Mr. Syme and, after him, a described man.
_TALK = (
    '"Is it far?" said Mr. Syme.\n\n"Not very," said Mr. Bull.\n\n"Then we walk," said Mr. Syme.\n\n'
    '"Wait," said Mr. Bull.\n\n'
)


def _last(text: str) -> tuple[str | None, float, str | None]:
    """The rule readers' speaker, confidence and rule for the last quotation of a one-scene text."""
    result = _result(text)
    return result.speaker, result.confidence, result.rule


def _result(text: str) -> Attribution:
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    return ChapterAttributor(build_lexicon(text)).scene(paragraphs, find_quotes(paragraphs))[-1]


@pure_parser
def test_a_man_described_nearer_than_the_name_leaves_the_he_unsettled():
    # The walk's name is only the guess kept aside; the exchange decides the turn.
    found = _result(_TALK + (
        "Mr. Syme still feared that all was lost. Then the third man burst out laughing.\n\n"
        '"I am glad you came," he said.\n\n'
    ))
    assert found.rule != "pronoun" and found.fallback == "Mr. Syme"


@pure_parser
def test_the_name_alone_or_a_woman_described_leaves_the_he_as_sure():
    # Nobody described: the subject of the narration is the he, as sure as before.
    assert _last(_TALK + "Mr. Syme still feared that all was lost.\n\n" + '"I am glad you came," he said.\n\n') == (
        "Mr. Syme", PRONOUN_NARRATED, "pronoun",
    )
    # A woman described is no he.
    assert _last(_TALK + (
        "Mr. Syme still feared that all was lost. Then the old woman burst out laughing.\n\n"
        '"I am glad you came," he said.\n\n'
    )) == ("Mr. Syme", PRONOUN_NARRATED, "pronoun")


@pure_parser
def test_a_description_a_tag_made_a_speaker_is_that_speaker():
    # "said the old man" made the old man a speaker of this chapter: the walk takes him, as sure
    # as a named subject, and does not pass him for Mr. Syme.
    found = _last(
        '"Is it far?" said Miss Morstan.\n\n"Not very," said the old man.\n\n"Then we walk," said Miss Morstan.\n\n'
        '"Wait," said the old man.\n\n'
        "Mr. Syme came in. Mr. Syme sat down. Then the old man burst out laughing.\n\n"
        '"I am glad you came," he said.\n\n'
    )
    assert found == ("the old man", PRONOUN_NARRATED, "pronoun")
