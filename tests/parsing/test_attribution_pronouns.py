"""How a he/she in a tag finds its character: back through the narration, sentence by sentence."""
from __future__ import annotations

from tests.parsing.conftest import parse

WOMEN = (
    "Mary brushed her hair. Mary folded her hands. Mary smiled to herself.\n\n"
    "Katharine brushed her hair. Katharine folded her hands. Katharine smiled to herself.\n\n"
    "Lucy brushed her hair. Lucy folded her hands. Lucy smiled to herself.\n\n"
)
MEN = (
    "Tom rubbed his eyes. Tom shook his head. Tom smiled to himself.\n\n"
    "Bill rubbed his eyes. Bill shook his head. Bill smiled to himself.\n\n"
)


def speakers(text):
    return [(q.speaker, q.rule) for q in parse(text).quotes]


def test_a_sentence_whose_subject_is_she_carries_on_an_earlier_one():
    # "She had come to say it to Katharine": the she is not Katharine, so the one before is.
    text = WOMEN + "Mary stood by the window.\n\nShe had come to say it to Katharine herself.\n\n"
    assert speakers(text + '"I am going away," she said.') == [("Mary", "pronoun")]


def test_a_name_in_a_sentence_about_someone_else_is_picked_up():
    # Nobody of her sex is the subject of the last sentence: the woman it names is.
    text = WOMEN + "Mary stood by the window.\n\nThe letter had no effect on Katharine at all.\n\n"
    assert speakers(text + '"I am going away," she said.') == [("Katharine", "pronoun")]


def test_narration_earlier_in_the_paragraph_counts_after_a_speech():
    text = WOMEN + (
        'Katharine was silent. She was thinking, "My friend will not answer me." '
        '"You are tired of the house," she said.'
    )
    assert speakers(text)[-1][0] == "Katharine"


def test_a_subject_may_be_followed_by_a_comma():
    text = WOMEN + 'Lucy stood by the door. Katharine, too, was silent, and then she said, "You are tired."'
    assert speakers(text) == [("Katharine", "pronoun")]


def test_he_or_she_and_any_verb_after_a_speech_that_runs_on():
    text = WOMEN + "Mary looked up.\n\n"
    assert speakers(text + '"I am so very happy," she prattled.') == [("Mary", "pronoun")]
    assert speakers(text + '"Oh, do not calculate," she broke out.') == [("Mary", "pronoun")]
    assert speakers(text + '"Insufferable woman!" was her immediate exclamation.') == [("Mary", "pronoun")]


def test_a_tag_with_had_and_a_reply_noun_after_an_adjective():
    text = WOMEN + "Mary looked up.\n\n"
    assert speakers(text + '"We are late," she had whispered.') == [("Mary", "pronoun")]
    assert speakers(text + '"Who is that?" was her anxious inquiry.') == [("Mary", "pronoun")]
    assert speakers(text + '"It is all luck," she would say.') == [("Mary", "pronoun")]


def test_he_went_on_is_whoever_just_spoke():
    # After two women's turns a plain "she said" is the other one; "she went on" is not.
    text = WOMEN + '"Yes," said Lucy.\n\n"It is late," said Katharine.\n\n'
    assert speakers(text + '"And cold," she went on.')[-1] == ("Katharine", "pronoun")
    assert speakers(text + '"And cold," she said.')[-1] == ("Lucy", "pronoun-turn")


def test_narration_after_the_last_speech_comes_before_the_other_side():
    # Katharine's turn ends in narration about Mary: the next "she" is Mary, not Lucy.
    text = WOMEN + '"Yes," said Lucy.\n\n"It is late," said Katharine. Mary stepped on to the grass walk.\n\n'
    assert speakers(text + '"A flower for you," she said.')[-1] == ("Mary", "pronoun")
    # A speech that ends with its tag alone leaves the other side of the exchange.
    text = WOMEN + '"Yes," said Lucy.\n\n"It is late," said Katharine.\n\n'
    assert speakers(text + '"A flower for you," she said.')[-1] == ("Lucy", "pronoun-turn")


def test_a_lead_in_paragraph_names_the_speaker_of_the_next():
    # The narration that leads into a speech ends open (":" or ","): its subject speaks.
    text = WOMEN + "A short pause followed. Lucy, first rousing herself, broke it thus:\n\n"
    assert speakers(text + '"We had much better let the matter drop."') == [("Lucy", "explicit-far")]
    text = WOMEN + "Mary looked up from her work. She was mistress enough of herself to whisper to Lucy,\n\n"
    assert speakers(text + '"We had much better let the matter drop."') == [("Mary", "pronoun")]


def test_a_turn_that_ends_in_narration_about_her_is_still_hers():
    # Her own speech, then "She sat staring": the next "she" has not changed.
    text = WOMEN + '"Yes," said Lucy.\n\nKatharine stood up. "It is late," she said. She sat staring out of the window.\n\n'
    assert speakers(text + '"Did you hurt yourself?" she asked.')[-1] == ("Katharine", "pronoun")
    # Without the narration, the exchange goes back to Lucy.
    text = WOMEN + '"Yes," said Lucy.\n\nKatharine stood up. "It is late," she said.\n\n'
    assert speakers(text + '"Did you hurt yourself?" she asked.')[-1][0] == "Lucy"


def test_a_she_among_men_only_is_the_story_s_leading_woman():
    first = "Chapter 1\n\n" + WOMEN + MEN + '"Hello," said Mary.\n\n"Hi," said Lucy.\n\n"Yes," said Mary.\n\n'
    second = "Chapter 2\n\n" + "The rain fell on the roofs.\n\n" * 6 + (
        '"It is late," said Tom.\n\n"It is," said Bill.\n\n"Who is there?" she asked.\n\n"Only me," said Tom.\n'
    )
    assert speakers(first + second)[-2] == ("Mary", "pronoun-turn")


def test_a_lone_she_nothing_names_is_the_story_s_leading_woman():
    first = "Chapter 1\n\n" + WOMEN + MEN + '"Hello," said Mary.\n\n"Hi," said Lucy.\n\n"Yes," said Mary.\n\n'
    second = "Chapter 2\n\n" + "The rain fell on the roofs.\n\n" * 6 + '"Who is there?" she asked. "Come in."\n'
    assert speakers(first + second)[-2:] == [("Mary", "pronoun"), ("Mary", "same-paragraph")]


def test_a_lead_in_earlier_in_the_paragraph_names_the_speaker():
    text = WOMEN + 'Lucy pulled herself up, startled by the turn her thoughts had taken, and went on, smiling: "We are late."'
    assert speakers(text) == [("Lucy", "explicit-far")]


def test_whom_the_speaker_turns_to_is_not_the_speaker():
    text = WOMEN + "Lucy looked up.\n\n"
    assert speakers(text + 'She resolved on one effort more and, turning to Mary, said, "Come with me."') == [
        ("Lucy", "pronoun")
    ]
    assert speakers(text + 'Katharine took some music from a chair and, turning to Mary, said, "Here."') == [
        ("Katharine", "explicit-far")
    ]


def test_said_nothing_is_no_tag():
    text = WOMEN + '"Yes," said Lucy.\n\n'
    result = speakers(text + '"It has been your own doing entirely?" Mary said nothing.')
    assert result[-1] != ("Mary", "explicit")



def test_the_same_description_in_a_chapter_is_the_same_person():
    text = WOMEN + MEN + "Tom sat by the fire.\n\n" + '"It is cold," said the old man.\n\n'
    text += '"Yes," said Bill.\n\n' + "Bill warmed his hands at the fire.\n\n" + '"Too cold," said the old man.'
    assert [who for who, _ in speakers(text)] == ["Tom", "Bill", "Tom"]


def test_whom_a_tag_says_the_speech_is_to_is_not_the_speaker():
    text = WOMEN + "Lucy looked up from her work.\n\n"
    assert speakers(text + '"You are late," she said to Lucy.')[-1][0] != "Lucy"


def test_the_one_heard_speaks_not_the_one_hearing():
    text = WOMEN + MEN + "Tom sat with his newspaper.\n\n"
    text += 'Mary heard him almost immediately afterwards say to himself, "Just the silly fellow I took him for."'
    assert speakers(text)[-1][0] == "Tom"


def test_the_name_after_while_is_the_one_who_speaks_next():
    text = WOMEN + '"All right," called Lucy, while Mary, thoughtful again, said: "I wish we had a boy in the house."'
    assert speakers(text)[-1][0] == "Mary"


def test_narration_about_the_old_man_is_about_whom_the_tags_called_so():
    text = WOMEN + MEN + "Tom sat by the fire.\n\n" + '"It is cold," said the old man.\n\n"Yes," said Bill.\n\n'
    text += "Bill warmed his hands. The old man sighed.\n\n" + '"Too cold," he said.'
    assert speakers(text)[-1] == ("Tom", "pronoun")


def test_her_father_of_a_woman_whose_family_is_never_written_is_of_the_leading_family():
    # Kitty's family name is never written; "her father" is of the family of the leading woman.
    text = (
        "Elizabeth brushed her hair. Elizabeth folded her hands. Elizabeth smiled to herself.\n\n"
        "Everyone liked Elizabeth Bennet. They all knew Elizabeth Bennet. Nobody forgot Elizabeth Bennet.\n\n"
        "Mr. Bennet rubbed his eyes. Mr. Bennet shook his head. Mr. Bennet smiled to himself.\n\n"
        "Mrs. Bennet folded her hands. Mrs. Bennet smiled to herself.\n\n"
        "Kitty brushed her hair. Kitty folded her hands. Kitty smiled to herself.\n\n"
        + MEN + '"Yes," said Elizabeth.\n\n"No," said Tom.\n\n"Maybe," said Elizabeth.\n\n"Well," said Mr. Bennet.\n\n'
        '"She is happy," said Kitty.\n\n"And so she should be," said her father.'
    )
    assert speakers(text)[-1] == ("Mr. Bennet", "kin")


def test_a_she_before_any_name_carries_on_and_the_names_after_her_are_not_her():
    text = WOMEN + "Katharine remained silent. She gazed into the fire.\n\n"
    text += "The hostility which she had divined in Mary's tone had gone, and she forgot to leave.\n\n"
    assert speakers(text + '"Well, I suppose I have," she said at length.') == [("Katharine", "pronoun")]


def test_her_aunt_is_not_whoever_her_is():
    # "said her aunt" after Mary's speech: a woman, and not Mary, whose aunt she is.
    text = WOMEN + "Mary and Katharine walked to the gate. Mary looked at the house.\n\n"
    text += '"It is a fine house," said Mary.\n\n"It is," said her aunt.'
    assert speakers(text)[-1][0] == "Katharine"


def test_her_sister_may_be_either_sister():
    # Sisters are followed together: whose sister "her" is, nothing says, so the pronoun's own
    # answer stands (while "her aunt" is not that woman).
    text = WOMEN + "Mary stood at the window and looked out at the rain.\n\n"
    assert speakers(text + '"What a day it is," said her sister.')[-1][0] == "Mary"
    assert speakers(text + '"What a day it is," said her aunt.')[-1][0] != "Mary"


def test_his_wife_is_of_the_man_whose_family_has_a_wife():
    # The nearest man, Mr. Collins, has no Mrs. Collins in the story; Mr. Bennet, the leading man, has.
    text = (
        "Mr. Bennet rubbed his eyes. Mr. Bennet shook his head. Mr. Bennet smiled to himself.\n\n"
        "Mrs. Bennet folded her hands. Mrs. Bennet smiled to herself. Mrs. Bennet sighed.\n\n"
        + WOMEN + '"Yes," said Mr. Bennet.\n\n"No," said Mrs. Bennet.\n\n"Well," said Mary.\n\n'
        '"Soon," said Mr. Collins.\n\n"Why?" said Mr. Bennet.\n\n'
        "Mr. Bennet read the letter aloud. It was from his cousin, Mr. Collins.\n\n"
        '"Oh! my dear," cried his wife, "I cannot bear to hear that man mentioned."'
    )
    assert speakers(text)[-2:] == [("Mrs. Bennet", "kin"), ("Mrs. Bennet", "same-paragraph")]


# Mary is the subject just before a speech, and Katharine has just come in.
KATHARINE_COMES_IN = WOMEN + "Katharine came in quietly. Mary looked up from her book and saw her.\n\n"


def test_whom_the_rest_of_the_tag_names_is_not_the_speaker():
    # The tag's own sentence looks at Mary: the other woman speaks.
    text = KATHARINE_COMES_IN
    assert speakers(text + '"You must not cry," she said, troubled by Mary\'s face.') == [("Katharine", "pronoun")]
    assert speakers(text + '"You must not cry," she said.') == [("Mary", "pronoun")]


def test_whom_the_tag_before_turns_to_is_not_the_speaker():
    text = KATHARINE_COMES_IN
    assert speakers(text + 'Then, turning to Mary, she said: "You must not cry."') == [("Katharine", "pronoun")]
    assert speakers(text + 'Then, turning round, she said: "You must not cry."') == [("Mary", "pronoun")]


def test_the_subject_after_several_opening_clauses():
    text = WOMEN + (
        "But as Katharine was wanted in the drawing-room, and as Katharine slowly walked up the stairs, "
        "Mary had no course but to follow her.\n\n"
    )
    assert speakers(text + '"Nobody will hear us?" she murmured.') == [("Mary", "pronoun")]
