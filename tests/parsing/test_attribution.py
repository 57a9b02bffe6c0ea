"""Speaker attribution: each rule on small cases, with its name and confidence."""
from __future__ import annotations

import pytest

from bot.trivia.questions import SPEAKER_CONFIDENCE
from tests.parsing.conftest import parse

CAST = (
    "Naruto looked at the sky. Naruto shook his head. Naruto smiled at his friend.\n\n"
    "Sakura crossed her arms. Sakura frowned at her teammate. Sakura sighed.\n\n"
)


def attributions(text):
    return [(q.text, q.speaker, q.rule) for q in parse(text).quotes]


@pytest.mark.parametrize(
    "paragraph",
    [
        '"Let\'s go," Naruto said.',
        '"Let\'s go," said Naruto.',
        '"Let\'s go." Naruto said quietly.',
        '"Let\'s go," Naruto quietly said.',
        'Naruto shouted, "Let\'s go,"',
        'Naruto said to Sakura, "Let\'s go,"',
        '"Let\'s go!" yelled an over-excited Naruto.',
        '"Let\'s go," spoke Naruto.',
    ],
)
def test_explicit_name_tag_before_after_or_inverted(paragraph):
    ((_, speaker, rule),) = attributions(CAST + paragraph)
    assert (speaker, rule) == ("Naruto", "explicit")


def test_explicit_tags_are_the_high_confidence_band():
    story = parse(CAST + '"Let\'s go," Naruto said.\n\nShe nodded. "Fine."\n')
    confidences = {q.rule: q.confidence for q in story.quotes}
    assert confidences["explicit"] >= 0.8
    assert all(c < 0.8 for rule, c in confidences.items() if rule != "explicit")


def test_tag_inside_interrupted_quotation_names_both_parts():
    result = attributions(CAST + '"Wait," Sakura said, "you forgot this."')
    assert [s for _, s, _ in result] == ["Sakura", "Sakura"]


def test_honorific_in_tag_resolves_to_the_character():
    result = attributions(CAST + '"Hurry up," Sakura-chan said.')
    assert result[0][1] == "Sakura"


def test_pronoun_tag_resolves_to_nearest_character_of_that_gender():
    cast = CAST + "Sakura smiled to herself.\n\n"  # her sex shown often enough to be learnt
    text = cast + "Sakura looked at Naruto for a long time.\n\n" + '"You are an idiot," she said.'
    assert attributions(text)[0][1:] == ("Sakura", "pronoun")
    text = cast + "Sakura looked at Naruto for a long time.\n\n" + '"I know," he said.'
    assert attributions(text)[0][1:] == ("Naruto", "pronoun")


def test_a_pronoun_is_never_a_character_of_the_other_sex():
    # Nobody of her sex near, and the narration before opens on a man: still not him.
    narration = "\n\n".join(f"Naruto {verb} his {thing}." for verb, thing in
                             [("rubbed", "eyes"), ("shook", "head"), ("scratched", "chin"), ("folded", "arms"),
                              ("raised", "hand")])
    text = CAST + "Sakura smiled to herself.\n\n" + narration + '\n\n"Here I am," she said.'
    assert attributions(text)[-1][1] != "Naruto"


def test_pronoun_never_resolves_to_the_person_addressed():
    text = CAST + "Naruto waited. Kiba scratched his dog. Kiba rubbed his eyes.\n\n" + '"Naruto, go home," he said.'
    assert attributions(text)[0][1] == "Kiba"


def test_pronoun_without_a_known_gender_stays_unknown():
    text = "Kiba and Shino waited by the gate. Kiba yawned. Shino stared.\n\n" + '"Let\'s go," they said.'
    assert attributions(text)[0][1] is None


def test_action_beat_naming_one_character():
    result = attributions(CAST + 'Sakura tapped her foot. "We are late."')
    assert result[0][1:] == ("Sakura", "beat")


def test_beat_is_ignored_for_the_character_addressed():
    result = attributions(CAST + '"Come on, Naruto." Naruto looked away.')
    assert result[0][1] != "Naruto"


def test_turn_taking_in_an_untagged_exchange():
    text = CAST + "\n\n".join(
        [
            '"Where were you?" Sakura asked.',
            '"Training," Naruto said.',
            '"All night?"',
            '"All night."',
            '"You are hopeless."',
        ]
    )
    result = attributions(text)
    assert [(s, r) for _, s, r in result[2:]] == [
        ("Sakura", "turn-taking"), ("Naruto", "turn-taking"), ("Sakura", "turn-taking"),
    ]


def test_vocative_decides_between_two_speakers():
    text = CAST + "\n\n".join(['"Where were you?" Sakura asked.', '"Training."', '"Sakura, I told you."'])
    result = attributions(text)
    assert result[2][1] == "Naruto"


def test_long_narration_ends_an_exchange():
    long_narration = "The wind moved through the trees for a long while. " * 12
    text = CAST + "\n\n".join(['"Where were you?" Sakura asked.', '"Training," Naruto said.', long_narration, '"Hello?"'])
    last = parse(text).quotes[-1]
    # Turn-taking does not reach past it: at most a guess, never one trivia would use.
    assert last.rule != "turn-taking"
    assert last.confidence < 0.8


def test_two_narration_paragraphs_end_an_exchange():
    beat = "The wind moved through the trees."
    text = CAST + "\n\n".join(['"Where were you?" Sakura asked.', '"Training," Naruto said.', beat, beat, '"Hello?"'])
    assert attributions(text)[-1][1] is None


def test_a_short_narration_paragraph_keeps_the_turns_going():
    beat = "The wind moved through the trees for a long while. " * 4
    text = CAST + "\n\n".join(['"Where were you?" Sakura asked.', '"Training," Naruto said.', beat, '"Training where?"'])
    assert attributions(text)[-1][1:] == ("Sakura", "turn-taking")


def test_unknown_speaker_is_none_never_a_pronoun():
    result = attributions('"Who is there?" someone asked.\n\n"Nobody."\n')
    assert all(speaker is None for _, speaker, _ in result)
    assert all(q.confidence == 0 for q in parse('"Who is there?" someone asked.').quotes)


def test_common_words_in_tag_position_are_not_speakers():
    result = attributions(CAST + '"Run!" The boy shouted.')
    assert result[0][1] != "The"


def test_a_tag_after_an_untagged_run_settles_the_whole_run():
    text = CAST + "\n\n".join(['"Where were you?"', '"Training."', '"All night?"', '"All night," Naruto said.'])
    assert [s for _, s, _ in attributions(text)] == ["Sakura", "Naruto", "Sakura", "Naruto"]


def test_gender_comes_from_pronouns_that_point_back_at_the_subject():
    # Kenji mostly looks at or talks to a woman; only "his" and "himself" are about him.
    story = parse(
        "Kenji looked at her. Kenji told her so. Kenji smiled at her. Kenji shook his head. "
        "Kenji laughed at himself. Kenji turned to her.\n\n"
        "Yumi crossed her arms. Yumi tapped her foot. Yumi told him no.\n"
    )
    genders = {c.name: c.gender for c in story.characters}
    assert genders["Kenji"] == "M" and genders["Yumi"] == "F"


def test_a_madame_named_in_tags_can_be_a_pronoun_speaker():
    # With several tagged speakers only they answer to pronouns, so the titled name must count.
    others = "".join(
        f'{name} came in. {name} nodded.\n\n"Hello," said {name}.\n\n' for name in ("Tom", "Bill", "Jack", "Fred", "Paul")
    )
    story = parse(
        "Madame Duval sat down. Madame Duval smiled at herself. Madame Duval crossed her arms.\n\n"
        + others + "The room was quiet; Madame Duval rose.\n\n"
        '"Good evening," said Madame Duval to Tom.\n\n'
        '"No," Tom said.\n\nAn hour passed. Madame Duval sighed.\n\n'
        '"Then go," she said.\n'
    )
    assert story.quotes[-1].speaker == "Madame Duval"


KAKASHI = "Kakashi read his book. Kakashi yawned and scratched his head.\n\n"


def test_the_other_side_is_the_nearest_different_speaker():
    text = CAST + KAKASHI + "\n\n".join(
        [
            '"Where were you?" Sakura asked.',
            '"Training," Naruto said.',
            '"All night?"',
            '"All night."',
            '"You are hopeless," Sakura said.',
            '"I know."',
            '"Then go home."',
            '"Not yet."',
            '"Both of you, go," Kakashi said.',
        ]
    )
    assert attributions(text)[5][1] == "Naruto"


def test_an_exchange_goes_on_after_narration_between_its_speakers():
    narration = "The rain kept falling on the roof of the old training hall. " * 6
    text = CAST + KAKASHI + "\n\n".join(
        [
            '"Where were you?" Sakura asked.',
            '"Training," Naruto said.',
            narration,
            "Kakashi turned a page of his book.",
            '"You are hopeless," Sakura said.',
            '"I know."',
        ]
    )
    assert attributions(text)[-1][1] == "Naruto"


def test_a_family_name_alone_is_the_one_person_it_is_paired_with():
    story = parse(
        "Ralph Denham came in. Ralph Denham shook his head. Ralph Denham sat down by himself.\n\n"
        "Ralph looked at the fire. Ralph rubbed his eyes. Mr. Denham nodded. Mrs. Denham called from the stairs.\n\n"
        "Katharine crossed her arms. Katharine tapped her foot.\n\n"
        '"It is late," said Denham.\n\n"Then go," said Katharine.\n\n"I will," said Ralph.\n'
    )
    assert [q.speaker for q in story.quotes] == ["Ralph Denham", "Katharine", "Ralph Denham"]
    assert "Mrs. Denham" in {c.name for c in story.characters}


def test_a_family_name_alone_is_the_one_person_among_given_names_that_are_people():
    # "Mistah Oakley" in a dialect is no given name: Maurice is still the one Oakley.
    story = parse(
        "Maurice Oakley came in. Maurice Oakley shook his head. Maurice Oakley sat down by himself.\n\n"
        "Maurice looked at the fire. Maurice rubbed his eyes. Maurice nodded.\n\n"
        "Berry called Mistah Oakley twice, and then Mistah Oakley turned, and for a while Mistah Oakley waited.\n\n"
        "Katharine crossed her arms. Katharine tapped her foot.\n\n"
        '"It is late," said Oakley.\n\n"Then go," said Katharine.\n\n"I will," said Maurice.\n'
    )
    assert [q.speaker for q in story.quotes] == ["Maurice Oakley", "Katharine", "Maurice Oakley"]


def test_a_pronoun_far_from_any_name_is_the_last_speaker_of_that_gender():
    narration = ["Naruto walked on.", "Naruto stopped at the gate.", "Naruto looked back.", "Naruto sat down.",
                 "Naruto waited a long time."]
    text = CAST + "Sakura tied her hair.\n\n" + "\n\n".join(['"Wait for me," Sakura said.', *narration, '"Here I am," she said.'])
    assert attributions(text)[-1][1:] == ("Sakura", "pronoun")


def test_a_role_the_tags_keep_naming_is_the_speaker():
    text = CAST + "\n\n".join(
        ['"Another round?" said the barman.', '"No," Naruto said.', '"Suit yourself," the barman said.']
    )
    result = attributions(text)
    assert [(s, r) for _, s, r in result] == [
        ("the barman", "role"), ("Naruto", "explicit"), ("the barman", "role"),
    ]
    # Sure enough to name, not to ask about in trivia.
    assert all(q.confidence < SPEAKER_CONFIDENCE for q in parse(text).quotes if q.rule == "role")


def test_a_role_the_speeches_before_it_call_by_name_is_that_character():
    # Whom the speech just before "said the painter" calls on, twice and every time, is the painter.
    text = CAST + (
        "Basil came in. Basil rubbed his eyes. Basil sat down by himself.\n\n"
        + "\n\n".join([
            '"You look tired, Basil," Naruto said.', '"I am," said the painter.',
            "Naruto walked to the window and stood there a long while, looking out.",
            '"Sit down, Basil." Naruto pointed at a chair.', '"Thank you," said the painter.',
        ])
    )
    story = parse(text)
    assert [q.speaker for q in story.quotes] == ["Naruto", "Basil", "Naruto", "Basil"]
    assert "the painter" in {c.name: c for c in story.characters}["Basil"].aliases
    # Called on once only, or by a man's name for "the duchess", the role stays itself.
    once = text.replace('"Sit down, Basil."', '"Sit down."')
    assert [q.speaker for q in parse(once).quotes][-1] == "the painter"
    duchess = text.replace("the painter", "the duchess")
    assert [q.speaker for q in parse(duchess).quotes][-1] == "the duchess"


def test_a_plain_description_is_no_role():
    # "the child", like "the girl" or "the other", describes whoever it is: no character of its own.
    text = CAST + "\n\n".join(
        ['"Another round?" said the child.', '"No," Naruto said.', '"Suit yourself," the child said.']
    )
    assert "the child" not in {speaker for _, speaker, _ in attributions(text)}


@pytest.mark.parametrize("role", ["voices", "ladies", "others"])
def test_a_plural_is_no_role(role):
    text = CAST + "\n\n".join(
        [f'"Another round?" said the {role}.', '"No," Naruto said.', f'"Suit yourself," the {role} said.']
    )
    assert f"the {role}" not in {speaker for _, speaker, _ in attributions(text)}
    hostess = text.replace(f"the {role}", "the hostess")
    assert "the hostess" in {speaker for _, speaker, _ in attributions(hostess)}


def test_the_title_alone_is_the_one_character_with_that_title():
    text = CAST + (
        "Colonel Brandon came in. Colonel Brandon shook his head. Colonel Brandon sat down.\n\n"
        "Mr. Brandon, his brother, was away.\n\n"
        '"Sit," said the colonel.\n\n"Thank you," Sakura said.\n\n"Well," said the Colonel.\n'
    )
    speakers = [s for _, s, _ in attributions(text)]
    assert speakers == ["Colonel Brandon", "Sakura", "Colonel Brandon"]


@pytest.mark.parametrize(
    "paragraph",
    [
        'Naruto, who had not slept all night, said: "Let\'s go."',
        'Sakura looked up at Naruto, who grinned and said, "Let\'s go."',
        'Naruto, with a long look at the gate and a shrug, replied: "Let\'s go."',
        '"Let\'s go," was Naruto\'s answer.',
    ],
)
def test_a_tag_whose_name_is_further_back_in_the_sentence(paragraph):
    ((_, speaker, rule),) = attributions(CAST + paragraph)
    assert speaker == "Naruto" and rule in ("explicit", "explicit-far")


def test_a_pronoun_skips_everyone_the_paragraphs_speeches_name():
    text = CAST + "Hinata crossed her arms. Hinata tied her hair. Hinata brushed her hair.\n\n" + "\n\n".join(
        [
            '"Where is everyone?" Sakura asked.',
            '"Here," Naruto said.',
            'Naruto looked toward the seat of Hinata. "Well," she said, "Hinata is late."',
        ]
    )
    assert [s for _, s, _ in attributions(text)[2:]] == ["Sakura", "Sakura"]


def test_a_name_that_is_a_gendered_noun_has_that_gender():
    story = parse(
        'The Duchess sat down. "Tea?" asked the Duchess. "Yes," said the Duchess. The Duchess nodded.\n'
    )
    assert {c.name: c.gender for c in story.characters}.get("Duchess") == "F"


def test_a_tag_ending_the_paragraph_before_the_speech():
    for tag in ("Then Naruto said:", "Naruto stood up, looked at the others, and said:"):
        ((_, speaker, rule),) = attributions(CAST + tag + '\n\n"Let\'s go."')
        assert speaker == "Naruto" and rule in ("explicit", "explicit-far")


def test_a_pronoun_picks_up_the_subject_not_an_owner_or_an_object():
    text = CAST + "Kenji sat down. Kenji shook his head.\n\n" + "\n\n".join(
        ['"Late again," Sakura said.', 'After midnight Naruto tapped on Kenji\'s door. "Open up," he said.',
         'Naruto turned to Kenji. "Now," he said.']
    )
    assert [s for _, s, _ in attributions(text)[1:]] == ["Naruto", "Naruto"]


def test_a_word_after_the_other_is_no_role():
    text = CAST + '"Wait," said Naruto.\n\n"My dear friend," continued the other without at all listening to him, "stay."'
    assert "the without" not in {speaker for _, speaker, _ in attributions(text)}
