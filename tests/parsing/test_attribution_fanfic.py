"""Fan fiction's habits (issue 16): tags closed with a full stop, speakers seen only in beats,
calls without their comma, by honorific or shouted, a thought closed after a stray space, and the character a
thought's next paragraph opens on. Each on its own short text."""
from __future__ import annotations

from bot.parsing.attribution import ChapterAttributor
from bot.parsing.characters import build_lexicon
from bot.parsing.quotations import find_quotes
from tests.parsing.conftest import parse

# Four characters tagged the usual way, so the lexicon knows enough speakers to be choosy.
CAST = (
    '"Morning," said Tobin. "Hello," said Marla. "Hi," said Pell. "Hey," said Ruth.\n\n'
    'Tobin smiled at Marla. Pell nodded to Ruth. Marla waved at Pell. Ruth laughed at Tobin.\n\n'
)


def speakers(text: str) -> dict[str, str | None]:
    return {q.text: q.speaker for q in parse(text).quotes}


def test_a_tag_after_a_full_stop_names_a_speaker():
    lexicon = build_lexicon(CAST + '"We go at noon." Grell said. Grell left. Grell came back later.')
    assert "Grell" in lexicon.speakers
    assert lexicon.can_speak("Grell")


def test_the_subject_of_a_beat_after_a_speech_can_speak():
    text = CAST + '"Stay here." Grell dashed forward. Grell ran on. Later Grell came back.'
    lexicon = build_lexicon(text)
    assert "Grell" not in lexicon.speakers
    assert lexicon.can_speak("Grell")
    assert not lexicon.tagged("Grell")  # a he or she never stands for them


def test_the_subject_of_a_beat_before_a_speech_can_speak():
    text = CAST + 'Grell hmmed as he took out his pipe. "Follow them." Later Grell came back and Ruth saw Grell.'
    assert build_lexicon(text).can_speak("Grell")


def test_being_called_on_alone_does_not_make_a_speaker():
    # Tried and dropped: it cost the annotated novels' pronoun-tagged lines (docs/attribution.md).
    text = CAST + '"Grell, do you really think so?" Ruth asked.\n\nLater Grell came back and Ruth saw Grell.'
    assert not build_lexicon(text).can_speak("Grell")


def test_someone_only_talked_about_cannot_speak():
    text = CAST + '"They say Grell left the town." Ruth frowned. Later Grell came back and Ruth saw Grell.'
    assert not build_lexicon(text).can_speak("Grell")


def test_someone_seen_only_in_beats_takes_their_turns_in_the_exchange():
    text = CAST + "* * *\n\n" + (
        "Later that night Ruth found Jiro by the fire and sat down next to Jiro.\n\n"
        '"You came back," Ruth said.\n\n'
        '"All the more reason, wouldn\'t you say?"\n\n'
        '"Do you think you can protect him?" Ruth asked.\n\n'
        '"Nobody can make that claim." Jiro shrugged.\n\n'
        "Ruth sighed."
    )
    found = speakers(text)
    assert found["All the more reason, wouldn't you say?"] == "Jiro"
    assert found["Nobody can make that claim."] == "Jiro"


def called_on(cast_text: str, speech: str) -> set[str]:
    return ChapterAttributor(build_lexicon(cast_text)).speech_names(speech)[1]


def test_come_on_before_a_name_calls_on_them():
    assert called_on(CAST, "Come on Marla-san, let the kid feel the burn.") == {"Marla"}
    assert called_on(CAST, "Please Tobin, stay.") == {"Tobin"}


def test_a_name_shouted_in_capitals_calls_on_them():
    assert called_on(CAST, "TOBIN!") == {"Tobin"}
    assert called_on(CAST, "STOP IT, Tobin!") == {"Tobin"}
    assert called_on(CAST, "NO!") == set()


def test_a_call_without_its_comma_is_still_a_call():
    assert called_on(CAST, "Marla-chan where are you going?") == {"Marla"}
    assert called_on(CAST, "I'm Sorry Tobin I thought you were Pell.") == {"Tobin"}
    assert called_on(CAST, "Marla went home.") == set()
    assert called_on(CAST, "Sorry Tobin lost it.") == set()


def test_a_bare_honorific_calls_on_whoever_the_text_gives_it():
    cast = CAST + "Pell-sensei smiled at Ruth. Tobin bowed to Pell-sensei.\n\n"
    assert called_on(cast, "It's good to see you too, sensei.") == {"Pell"}
    assert called_on(cast, "Sensei, what's the sharingan?") == {"Pell"}
    assert called_on(cast, "The sensei said so.") == set()


def test_a_thought_closed_after_a_stray_space_is_a_thought():
    story = parse("Naruto ran on.\n\n'I won't fail the old man. '\n\nNaruto ran faster.")
    (quote,) = story.quotes
    assert quote.kind == "thought" and quote.text == "I won't fail the old man."


def test_a_stray_space_before_a_mark_inside_a_paragraph_ends_nothing():
    story = parse("Naruto said he liked the 'old ' man and left.")
    assert not story.quotes


def test_a_lone_thought_is_thought_by_whom_the_next_paragraph_opens_on():
    text = (
        "Naruto watched the trees. Naruto waited. Naruto sighed. Naruto looked on.\n\n"
        "* * *\n\n"
        "'Here he comes again!'\n\n"
        "Arata back flipped away from another strike. Arata cursed as he did.\n\n"
        '"Come on!" Arata shouted.\n\n'
        "Naruto watched. Naruto sighed. Naruto waited. Naruto ran to Sasuke and Naruto called out."
    )
    (thought,) = [q for q in parse(text).quotes if q.kind == "thought"]
    assert thought.speaker == "Arata"


def test_a_role_the_answer_to_it_calls_by_name_is_that_character():
    # '"...!" the genin shouted. / "Arata, that's enough." / "Naruto..?"': the speech between two
    # of the genin's turns calls on Arata, who answers and is answered: the genin is Arata.
    text = CAST + "* * *\n\n" + "\n\n".join([
        "Arata backed away. Arata reached into his jacket. Later Arata frowned.",
        '"Time to see what you can really do!" the genin shouted.',
        '"Arata, that\'s enough." Tobin set a hand on his shoulder.',
        '"Tobin..?"',
        "Tobin smiled. Tobin ran on.",
    ])
    story = parse(text)
    found = {q.text: q.speaker for q in story.quotes}
    assert found["Time to see what you can really do!"] == "Arata"
    assert found["Tobin..?"] == "Arata"
    characters = {c.name: c for c in story.characters}
    assert "the genin" in characters["Arata"].aliases and "the genin" not in characters
    # A call on something that is no person ("the Avenue") ties no role to it.
    avenue = text.replace("Arata, that's enough.", "Avenue, that's enough.").replace(
        "Arata backed away. Arata reached into his jacket. Later Arata frowned.", "They took the Avenue, past the Avenue."
    )
    assert {q.text: q.speaker for q in parse(avenue).quotes}["Tobin..?"] == "the genin"


def test_a_title_called_on_and_answered_by_a_named_character_is_theirs():
    # '"Hokage-sama?" / Sarutobi hmmed. "Follow..."': the Hokage is Sarutobi, one character.
    text = CAST + "* * *\n\n" + "\n\n".join([
        "The Hokage lit his pipe. The Hokage smiled at his desk. Later the Hokage left his office.",
        "Sarutobi watched Tobin go. Sarutobi hmmed.",
        '"Hokage-sama?" asked the guard.',
        'Sarutobi hmmed as he took out his pipe. "Follow but don\'t interfere."',
        "Sarutobi sighed.",
    ])
    characters = {c.name: c for c in parse(text).characters}
    assert "Hokage" not in characters
    assert {"Hokage", "Hokage-sama"} <= set(characters["Sarutobi"].aliases)
    # A word the text never writes with "the", or a name a tag gives a voice of its own, stays apart.
    apart = text.replace("The Hokage", "Hokage").replace("the Hokage", "Hokage")
    assert "Hokage" in {c.name for c in parse(apart).characters}


def test_a_lone_thought_is_thought_by_whom_the_next_paragraph_opens_on_even_if_no_tag_names_them():
    # Arata speaks only as "the genin": still a person, who may think.
    text = CAST + "* * *\n\n" + "\n\n".join([
        "Naruto watched the trees. Naruto waited. Naruto sighed. Naruto looked on. Naruto sat down.",
        "'Here he comes again!'",
        "Arata back flipped away from another strike. Arata cursed as he did. Later Arata waited.",
        '"Come on, how long will you run?" the newcomer mocked.',
        "Arata reached into his jacket.",
    ])
    (thought,) = [q for q in parse(text).quotes if q.kind == "thought"]
    assert thought.speaker == "Arata"


def test_a_role_before_its_verb_may_be_hyphenated():
    # "the copy-nin asked" as "asked the station-master" already was.
    found = speakers(CAST + "* * *\n\n" + '"Ready to report?" The copy-nin asked.')
    assert found["Ready to report?"] == "the copy-nin"


def test_a_role_is_the_one_speaker_the_narration_beside_it_names_besides_the_exchange():
    # 'He looked over to see Kakashi watching him. / "Ready to report?" The copy-nin asked. /
    # "..." Naruto concluded.': Naruto answers, so the copy-nin is Kakashi.
    scene = [
        "Tobin stared after them for a moment. He looked over to see Pell watching him.",
        '"Ready to report?" The copy-nin asked, gentleness in his voice.',
        "Tobin sighed.",
        '"We walked the rest of the way back together." Tobin concluded in a toneless voice.',
    ]
    story = parse(CAST + "* * *\n\n" + "\n\n".join(scene))
    assert {q.text: q.speaker for q in story.quotes}["Ready to report?"] == "Pell"
    assert "the copy-nin" in {c.name: c for c in story.characters}["Pell"].aliases
    # Two people named beside it besides the one who answers: nobody can tell which.
    two = scene[0].replace("watching him.", "and Marla watching him.").replace("Marla", "Ruth")
    found = speakers(CAST + "* * *\n\n" + "\n\n".join([two, *scene[1:]]))
    assert found["Ready to report?"] == "the copy-nin"
    # Nor one a tag never names as a speaker (Grell acts, but never speaks under a tag).
    grell = scene[0].replace("Pell", "Grell") + " Grell frowned. Later Grell left."
    found = speakers(CAST + "* * *\n\n" + "\n\n".join([grell, *scene[1:]]))
    assert found["Ready to report?"] == "the copy-nin"


def test_a_beat_opening_the_narration_right_after_a_speech_is_the_speakers():
    # '"But I believe ... right?" Mizuki's smile was just a tad too toothy.' and '"No.." Kakashi
    # dashed forward': the narration right after the speech opens on its speaker acting.
    found = speakers(CAST + "* * *\n\n" + "\n\n".join([
        '"I\'m sorry about today." Pell said kindly.',
        '"He\'s strict because he cares." Pell continued.',
        "Tobin looked at the ground.",
        '"But there is a retest tonight. You want to pass, right?" Pell\'s smile was a tad too toothy.',
        '"No.." Ruth dashed forward when she saw Tobin fall.',
    ]))
    assert found["But there is a retest tonight. You want to pass, right?"] == "Pell"
    assert found["No.."] == "Ruth"


def test_a_beat_further_into_the_narration_after_a_speech_stays_a_weak_guess():
    attributor = ChapterAttributor(build_lexicon(CAST))
    paragraphs = ['"No.." A bell rang far away. Ruth dashed forward.', '"No.." Ruth dashed forward.']
    results = attributor.scene(paragraphs, find_quotes(paragraphs))
    assert [(r.speaker, r.rule) for r in results] == [("Ruth", "beat-after"), ("Ruth", "beat")]


def test_someone_a_tagged_speech_calls_on_in_the_scene_answers_though_no_tag_names_them():
    # Jiro never speaks under a tag nor acts right beside a speech, but Ruth calls on him and the
    # scene's narration shows him there: the untagged side of the exchange is his, not Tobin's
    # (Ruth's partner in the story so far). Decoder participants (decoding.py).
    opening = (
        CAST + '"Where were you?" Ruth asked. "Out," said Tobin. "Out where?" Ruth asked. "Just out," said Tobin.\n\n'
    )
    scene = [
        '"He barely made it through the night, you know."',
        "\"All the more reason to take him away, wouldn't you say?\"",
        "In the empty hall, two old friends talked quietly.",
        '"Jiro, do you really think you can keep him safe?" Ruth asked, arms crossed.',
        "She was not sure that Jiro could help much.",
        "\"Nobody can promise that, but leaving him here won't do him any good.\"",
        '"The choice will be his, you know."',
        '"Of course. But would he refuse, after a fight like that?"',
        "Ruth looked at the window, then back at Jiro. Jiro's face was grim.",
    ]
    found = speakers(opening + "* * *\n\n" + "\n\n".join(scene))
    answers = [
        "All the more reason to take him away, wouldn't you say?",
        "Nobody can promise that, but leaving him here won't do him any good.",
        "Of course. But would he refuse, after a fight like that?",
    ]
    assert [found[a] for a in answers] == ["Jiro", "Jiro", "Jiro"]
    assert found["The choice will be his, you know."] == "Ruth"
    # Called on, but named in no narration of the scene (only in another one): not taken for there.
    elsewhere = [
        line.replace("that Jiro could", "that anyone could").replace(", then back at Jiro. Jiro's face was grim.", ".")
        for line in scene
    ]
    opening += "Later that day Pell talked to Jiro about the boy, and Pell went to see Jiro again.\n\n"
    found = speakers(opening + "* * *\n\n" + "\n\n".join(elsewhere))
    assert "Jiro" not in {found[a] for a in answers}


def test_a_tag_saying_its_speaker_goes_on_gives_them_the_next_paragraphs_speech():
    # '"Naruto, you're dismissed..." She said authoritatively before continuing more softly. /
    # "You did a good job. Get some rest, brat."': Tsunade's, though it follows a call on Naruto.
    scene = [
        '"Report," said Ruth. "We found nothing," said Tobin.',
        'Ruth turned to him. "Tobin, you are dismissed, but I want a word later." She said firmly before continuing more softly.',
        '"You did a good job. Get some rest, boy."',
        "Tobin nodded and left.",
    ]
    found = speakers(CAST + "* * *\n\n" + "\n\n".join(scene))
    assert found["You did a good job. Get some rest, boy."] == "Ruth"
    # A tag that says nothing of going on leaves the answer to the one called on.
    plain = [line.replace(" before continuing more softly", "") for line in scene]
    assert speakers(CAST + "* * *\n\n" + "\n\n".join(plain))["You did a good job. Get some rest, boy."] == "Tobin"


def test_a_tag_saying_its_speaker_walks_on_does_not_give_them_the_next_speech():
    # "and went on his way" walks off: the next untagged speech is the other party's turn.
    scene = [
        '"Where are you going?" asked Ruth.',
        '"Home. Goodbye," said Tobin and went on his way.',
        '"Wait for me!"',
    ]
    assert speakers(CAST + "* * *\n\n" + "\n\n".join(scene))["Wait for me!"] != "Tobin"
    # "and went on" followed by nothing but its manner is going on speaking.
    talking = [line.replace("and went on his way.", "and went on quietly.") for line in scene]
    assert speakers(CAST + "* * *\n\n" + "\n\n".join(talking))["Wait for me!"] == "Tobin"


def test_a_he_acting_in_the_paragraph_before_an_untagged_speech_carried_back_to_its_speaker_goes_on():
    # '"I will, sensei. Until later." He glanced at Sasuke and turned to leave. / He turned his
    # head towards the Uchiha. / "I hope...": the he carried back through the narration is the one
    # who spoke last, who goes on; not the "sensei" his speech called on.
    scene = [
        '"Take care on your journey," said Pell.',
        'Tobin smiled. "I will, sensei. Until later." He glanced at Grell and turned his back to leave before hesitating.',
        "He turned his head slightly towards the boy that stood still as a statue in the hall.",
        '"I hope the next time we fight, we fight as equals."',
        "Then he was gone.",
    ]
    cast = CAST + "Tobin bowed to Pell-sensei. Tobin scratched his head. Pell rubbed his eyes.\n\n"
    text = cast + "Grell frowned at Tobin. Grell shook his head.\n\n* * *\n\n" + "\n\n".join(scene)
    found = speakers(text)
    assert found["I will, sensei. Until later."] == "Tobin"
    assert found["I hope the next time we fight, we fight as equals."] == "Tobin"
    # A she opening the paragraph is nobody the man's speech carries on to.
    she = [line.replace("He turned his head", "She turned her head") for line in scene]
    assert speakers(cast + "* * *\n\n" + "\n\n".join(she))[
        "I hope the next time we fight, we fight as equals."
    ] != "Tobin"


def test_someone_reacting_to_a_speech_in_the_next_paragraph_heard_it():
    # '"..., Tsunade-hime." / (narration) / "Besides, the old man gave me one final order." /
    # Tsunade raised her brow at that.': the one called on reacts to it, so did not say it.
    scene = [
        '"You should go home, Tobin," said Ruth.',
        '"I will, Ruth. But first I have one more thing to do."',
        "The fire crackled in the grate, and the rain went on outside.",
        "\"Besides, the old man gave me one last order. I can't refuse it.\"",
        "Ruth raised her brow at that. The old man had never asked anything of anyone.",
        '"And what would that be?"',
    ]
    found = speakers(CAST + "* * *\n\n" + "\n\n".join(scene))
    assert found["Besides, the old man gave me one last order. I can't refuse it."] == "Tobin"
    assert found["And what would that be?"] == "Ruth"



def test_a_speaker_reacting_to_their_own_tagged_speech_keeps_it():
    # '"I am such a fool," said Tobin. / Tobin laughed at that.': he laughs at himself; his tag stands.
    found = speakers(CAST + "* * *\n\n" + '"I am such a fool," said Tobin.\n\nTobin laughed at that.\n\n"Are you?"')
    assert found["I am such a fool,"] == "Tobin"


# A man the tags never name who speaks in beats (Grell), then a crowd's spokesman only described.
HOKAGE_SCENE = [
    "Grell watched the boy go. Grell lit his pipe and Grell sat down.",
    'Grell hmmed as he took out his pipe. "Follow him, but stay out of sight."',
    "Just then the door burst open, showing a crowd of angry men.",
    '"The thief has taken the ledger!" The man yelled in panic.',
    "Grell looked at the portrait on the wall, suppressing a sigh.",
    "Not for the first time he thought, 'I am too old for this.'",
]


def test_a_he_is_someone_named_acting_nearer_than_a_description():
    # The walk back from "he thought" meets Grell (speaking only in beats, so no tag's he) before
    # "the man" who yelled: the he is Grell.
    text = CAST + "Tobin scratched his head. Pell rubbed his eyes.\n\n* * *\n\n" + "\n\n".join(HOKAGE_SCENE)
    found = speakers(text)
    assert found["The thief has taken the ledger!"] == "the man"
    assert found["I am too old for this."] == "Grell"


def test_a_description_with_where_it_stands_before_its_verb_is_a_tag():
    # "The man in front yelled", as "The man yelled".
    scene = [line.replace("The man yelled", "The man in front yelled") for line in HOKAGE_SCENE]
    found = speakers(CAST + "Tobin scratched his head. Pell rubbed his eyes.\n\n* * *\n\n" + "\n\n".join(scene))
    assert found["The thief has taken the ledger!"] == "the man"
    found = speakers(CAST + "* * *\n\n" + '"Get out!" The girl at the door shouted.')
    assert found["Get out!"] == "the girl"


def test_chipped_in_is_a_speech_verb():
    # '"Come on Shizune-san, ..." Raido said. / "Won't learn..." Genma chipped in': Genma's, not
    # whom the speech before called on.
    found = speakers(CAST + "* * *\n\n" + "\n\n".join([
        '"Come on Marla, let the kid feel the burn." Pell said.',
        "\"He won't learn otherwise.\" Tobin chipped in, a crooked smile on his lips.",
    ]))
    assert found["He won't learn otherwise."] == "Tobin"


# '"How long will you run?" The newcomer mocked. / ... / Arata was not sure he could handle
# Kimimaro.': the role speaks first, the text names him a few paragraphs on (also read in blocks,
# tests/parsing/test_parallel.py).
INTRUDER_SCENE = (
    "Ruth leapt back from another blow, cursing under her breath.",
    '"How long will you keep running?" The intruder jeered, a blade of ice in his hand.',
    '"Not for long," Ruth said, pulling two knives from her coat.',
    "She was not sure she could beat Osric on her own, but she had to try.",
    '"Is that all?" Osric shrugged off the knives as they struck.',
    "Osric laughed. Osric was not hurt at all.",
)


def test_a_role_is_the_person_the_scene_first_names_only_after_its_turn():
    scene = list(INTRUDER_SCENE)
    story = parse(CAST + "* * *\n\n" + "\n\n".join(scene))
    assert {q.text: q.speaker for q in story.quotes}["How long will you keep running?"] == "Osric"
    assert "the intruder" in {c.name: c for c in story.characters}["Osric"].aliases
    # Named before the role's turn, he is no one the text names only after it: nothing ties them.
    known = [scene[0] + " Osric blocked the path.", *scene[1:]]
    assert speakers(CAST + "* * *\n\n" + "\n\n".join(known))["How long will you keep running?"] == "the intruder"


def test_a_tag_saying_someone_else_takes_over_gives_them_the_next_paragraphs_speech():
    # '"But-" He wanted to protest, but Shizune took over. / "Naruto-kun, we aren't in the
    # position..."': Shizune's, not the exchange's turn back to whoever spoke before him.
    scene = [
        '"We should go after them right now," Pell said.',
        '"But-" Tobin wanted to argue, but Marla cut in.',
        '"Nobody leaves until the wounded are seen to."',
    ]
    found = speakers(CAST + "* * *\n\n" + "\n\n".join(scene))
    assert found["Nobody leaves until the wounded are seen to."] == "Marla"
    # Cutting in on someone else, further into a longer narration, says nothing of the next speech.
    walked = scene[1].replace("but Marla cut in.", "and he turned away from the others for a while to look at the hills.")
    found = speakers(CAST + "* * *\n\n" + "\n\n".join([scene[0], walked, scene[2]]))
    assert found["Nobody leaves until the wounded are seen to."] != "Marla"


def test_one_of_a_group_acting_right_before_a_speech_speaks_it():
    # 'One of his ANBU guards dropped down in front of him. "Hokage-sama?"': the guard, not the
    # exchange's other side.
    scene = [
        "Tobin watched the cart roll out of sight with a thoughtful frown.",
        'One of his soldiers stepped up beside him. "Sir?"',
        'Tobin rubbed his chin. "Follow it, but keep out of sight."',
    ]
    story = parse(CAST + "* * *\n\n" + "\n\n".join(scene))
    assert {q.text: q.speaker for q in story.quotes}["Sir?"] == "one of his soldiers"
    assert "one of his soldiers" in {c.name for c in story.characters}
    # One of them only looked on in a longer narration: nothing says they speak.
    watched = scene[1].replace("One of his soldiers stepped up beside him.", "One of his soldiers looked on. Tobin sighed.")
    assert speakers(CAST + "* * *\n\n" + "\n\n".join([scene[0], watched, scene[2]]))["Sir?"] != "one of his soldiers"


def test_in_a_story_whose_tags_name_nobody_a_description_is_the_nearest_character():
    # 'Naruto had cried that he did not want to be alone... / "Why did this not happen before?"
    # the young boy asked': the text never shows Naruto's sex, and names nobody in a tag.
    text = (
        "It had been a week since the storm. Grell had nearly drowned that night. Nobody knew how "
        "Grell got out, and Grell would not say.\n\n"
        "The old healer said Grell was lucky. Grell had kept a little of that luck, Grell thought, for later.\n\n"
        '"Why now?" the young man asked, as if he had not crossed that line before.\n\n'
        '"Because you are ready."'
    )
    assert speakers(text)["Why now?"] == "Grell"
    # Once a tag names someone, a description stays the one the text describes.
    tagged = '"Go home," said Ruth. "Soon," said Ruth.\n\n' + text
    assert speakers(tagged)["Why now?"] == "the young man"


def test_a_take_over_by_a_titled_or_honorific_name_is_that_name_s():
    # "but Mrs. Syme cut in": Mrs. Syme, not the Syme the last word alone would be.
    cast = (
        '"Morning," said Syme. "Hello," said Mrs. Syme. "Hi," said Gregory. "Hey," said Mr. Syme.\n\n'
        "Syme smiled at Gregory. Mrs. Syme nodded to him. She waved at Gregory. Syme laughed.\n\n"
    )
    scene = [
        '"I think we should go," Gregory said.',
        '"But-" He wanted to protest, but Mrs. Syme cut in.',
        '"Nobody is going anywhere tonight."',
    ]
    assert speakers(cast + "* * *\n\n" + "\n\n".join(scene))["Nobody is going anywhere tonight."] == "Mrs. Syme"
    # A name with an honorific: the character it is a form of.
    honorific = [scene[0].replace("Gregory", "Ruth"), '"But-" Tobin wanted to argue, but Marla-chan cut in.', scene[2]]
    assert speakers(CAST + "* * *\n\n" + "\n\n".join(honorific))["Nobody is going anywhere tonight."] == "Marla"
