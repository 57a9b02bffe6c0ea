"""Whom a he or she picks up when the narration's nearest subject is someone it does not name: a
relative ("His brother looked after him."), a relative leading into a speech ("but her mother
... continued,"), a role the tags made a speaker ("The mariner was suddenly very red")."""
from __future__ import annotations

from bot.parsing.attribution import ChapterAttributor
from bot.parsing.attribution.narration import _Sentence
from bot.parsing.characters import build_lexicon
from bot.parsing.quotations import find_quotes
from tests.pure_parser import pure_parser

BROTHERS = (
    "Frank Lane and Maurice Lane were brothers. Frank was the younger.\n\n"
    '"You are too kind, Frank," said Maurice.\n\n'
    '"Don\'t be hard on him, Maurice," said Frank.\n\n'
    '"Go to bed," said Maurice.\n\n'
)
FAMILY = (
    "Elinor Dashwood sat with Mrs. Dashwood and Marianne Dashwood by the fire. Elinor Dashwood was sewing.\n\n"
    '"Do you remember what the Colonel said?" asked Mrs. Dashwood.\n\n'
    '"Not all of it," said Elinor.\n\n'
    '"He spoke of Barton," said Marianne.\n\n'
    '"Yes," said Elinor.\n\n'
)
BENCH = (
    "Mr. Marvel sat on the bench. The mariner sat beside him with a newspaper.\n\n"
    '"Fine day," said the mariner.\n\n'
    '"Very," said Mr. Marvel.\n\n'
    '"Have you read about the invisible man?" asked the mariner.\n\n'
    '"No," said Mr. Marvel.\n\n'
)


def rules(text: str) -> list[tuple[str | None, str | None]]:
    """The rule readers' speaker and rule for each quotation of a one-scene text."""
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    attributor = ChapterAttributor(build_lexicon(text))
    return [(r.speaker, r.rule) for r in attributor.scene(paragraphs, find_quotes(paragraphs))]


def test_a_relative_opening_a_sentence_is_its_subject_not_a_he():
    sentence = _Sentence("His brother looked after him with a pitying gaze.")
    assert (sentence.pronoun, sentence.described, sentence.article) == (None, "brother", "his")
    assert _Sentence("His elder brother sighed.").described == "brother"
    assert _Sentence("but her mother, without waiting, continued,").described == "mother"
    # A body part or a thing of his is still him acting.
    assert _Sentence("His face was haggard.").pronoun == "M"
    assert _Sentence("Her hand shook.").pronoun == "F"


@pure_parser
def test_a_he_after_his_brother_acting_is_not_the_one_named_before():
    # "Frank turned away. His brother looked after him. 'Poor fellow,' he said": the he is the
    # brother, not Frank; nothing names the brother, so the pronoun is not settled by the walk.
    found = rules(BROTHERS + (
        "Frank turned away towards his room. His face was haggard, and he staggered as he walked. "
        "His brother looked after him with a pitying gaze.\n\n"
        '"Poor fellow," he said.\n\n'
    ))
    assert found[-1] != ("Frank", "pronoun")
    # Without the brother's sentence the he is Frank, the subject before (the walk as it was).
    found = rules(BROTHERS + (
        "Frank turned away towards his room. His face was haggard, and he staggered as he walked.\n\n"
        '"Poor fellow," he said.\n\n'
    ))
    assert found[-1] == ("Frank", "pronoun")


@pure_parser
def test_a_relative_leading_into_a_speech_is_its_speaker():
    found = rules(FAMILY + (
        "Elinor could not remember the rest; but her mother, without waiting for her assent, continued,\n\n"
        '"His manners are more pleasing to me than ever."\n\n'
    ))
    assert found[-1] == ("Mrs. Dashwood", "kin")


@pure_parser
def test_a_role_the_tags_made_a_speaker_is_the_subject_a_he_picks_up():
    found = rules(BENCH + (
        "Mr. Marvel blew out his cheeks. The mariner was suddenly very red indeed; he clenched his hands. "
        '"I been talking here ten minutes," he said.\n\n'
    ))
    assert found[-1] == ("the mariner", "pronoun")
    # A thing opening the sentence is no speaker: the walk goes on to Mr. Marvel.
    found = rules(BENCH + (
        "Mr. Marvel blew out his cheeks. The newspaper was suddenly very red indeed. "
        '"I been talking here ten minutes," he said.\n\n'
    ))
    assert found[-1] == ("Mr. Marvel", "pronoun")



@pure_parser
def test_a_later_speech_of_a_paragraph_with_a_lead_in_of_its_own():
    # The lead-in after the first speech's tag brings in another speaker, whom no tag names.
    found = rules(FAMILY + '"I cannot remember," Elinor said over her sewing; and her mother, smiling, added: "Nor I."\n\n')
    assert found[-2:] == [("Elinor", "explicit"), ("Mrs. Dashwood", "kin")]
    # A speech split by its own tag is the same speaker's.
    found = rules(FAMILY + '"I cannot remember," Elinor said, smiling, "nor can Marianne."\n\n')
    assert found[-1][0] == "Elinor"
