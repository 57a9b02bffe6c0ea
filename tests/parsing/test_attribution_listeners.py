"""Listeners, inner voices and a he carried on (issue 16, the bundled stories' speakers): a beat
of someone hearing a speech makes them its listener, not its speaker; an untagged speech that a
thought calling someone by name answers is that one's, unless the host hears it with the ears;
whom an untagged speech calls on says no other untagged speech of its paragraph; a he carried
through narration paragraphs is the he of the speech before. Each on its own short text."""
from __future__ import annotations

from bot.parsing import parse_story
from bot.parsing.attribution.evidence import FEATURES
from bot.parsing.attribution.scorer import INPUTS, NO_DECISION, Scorer, committed
from tests.parsing.conftest import parse
from tests.pure_parser import pure_parser

# Four characters tagged the usual way, whose sex the narration shows.
CAST = (
    '"Morning," said Tobin. "Hello," said Marla. "Hi," said Pell. "Hey," said Ruth.\n\n'
    "Tobin smiled at Marla. Pell nodded to Ruth. Marla waved at Pell. Ruth laughed at Tobin.\n\n"
    "Tobin scratched his head. Pell rubbed his eyes. Marla fixed her hair. Ruth crossed her arms. "
    "Tobin lit his pipe. Pell drank his tea. Marla found her coat. Ruth shut her book.\n\n"
)


def speakers(text: str) -> dict[str, str | None]:
    return {q.text: q.speaker for q in parse(text).quotes}


def test_a_thought_calling_someone_answers_the_untagged_speech_before_it():
    text = (
        "Naruto sat alone on the cliff. The fox inside him had been quiet for days.\n\n"
        "'Kurama, are you there?'\n\n"
        '"Where else would I be, brat?"\n\n'
        "* * *\n\n"
        "Kurama growled inside him. Kurama had his own plans. Kurama stirred again.\n\n"
        'Grell came at him out of the trees. "You are finished!" Grell shouted.\n\n'
        'Naruto took the hit and struck back. "Not yet!" Naruto said.\n\n'
        '"Damn brat, you think you are invincible?!"\n\n'
        "Naruto spat out blood and kept pushing the attack into Grell.\n\n"
        "'There was no avoiding it, Kurama. I had to take the hit.'\n\n"
        "Grell fell."
    )
    found = speakers(text)
    assert found["Damn brat, you think you are invincible?!"] == "Kurama"
    assert found["Not yet!"] == "Naruto"  # tagged: never the inner voice's


def test_a_thought_answers_no_speech_with_narration_between_them():
    # Two narration paragraphs between: the speech is not what the thought answers.
    text = (
        "Kurama growled inside him. Kurama had his own plans. Kurama stirred again.\n\n"
        'Grell came at him out of the trees. "You are finished!" Grell shouted.\n\n'
        'Naruto took the hit and struck back. "Not yet!" Naruto said.\n\n'
        '"You think you are invincible?!"\n\n'
        "Naruto spat out blood and kept pushing the attack into Grell.\n\n"
        "Grell staggered back under the blow, and the trees shook around them.\n\n"
        "'There was no avoiding it, Kurama. I had to take the hit.'\n\n"
        "Grell fell."
    )
    assert speakers(text)["You think you are invincible?!"] != "Kurama"


def test_a_beat_of_someone_not_listening_after_a_speech_is_no_tag_for_them():
    # Grell, the story's most tagged man, is the one who does not listen: the "He said" is Tobin.
    text = CAST + (
        '"Run," said Grell. "Now," said Grell. "Go," said Grell. "Stop," said Grell. '
        "Grell drew his knife. Grell shook his head.\n\n* * *\n\n"
        "Tobin climbed the hill alone and sat down to wait in the cold.\n\n"
        "He waited for an hour. He heard nothing but the wind in the trees.\n\n"
        "He heard yelling behind him and stopped to hide.\n\n"
        'He jumped out from the bushes. "Drop it and I will let you go." He said in a calm tone. '
        "Grell did not listen.\n\n"
        "The fight was short."
    )
    assert speakers(text)["Drop it and I will let you go."] == "Tobin"


def test_whom_the_one_turning_to_see_sees_is_the_speaker():
    text = CAST + "* * *\n\n" + (
        "They ran through the trees and found the clearing empty.\n\n"
        '"Over there." Tobin turned to see Marla running toward the gate.\n\n'
        "The gate was open."
    )
    assert speakers(text)["Over there."] == "Marla"


def test_ignoring_something_after_a_speech_is_still_the_speakers_beat():
    # "Pell ignored the hand on his arm": what is ignored need not be the speech.
    text = CAST + "* * *\n\n" + (
        '"Go home, Pell," said Tobin.\n\n'
        '"I will not." Pell ignored the hand on his arm.\n\n'
        "The room was quiet."
    )
    assert speakers(text)["I will not."] == "Pell"


class Recording(Scorer):
    """The committed scorer, keeping each quotation's candidates."""

    def __init__(self) -> None:
        base = committed()
        super().__init__(
            dict(zip(FEATURES, base.weights, strict=True)), dict(zip(INPUTS, base.confidence, strict=True))
        )
        self.seen: list[list[str]] = []
        self.decisions: list[tuple[int, float, str, int, int]] = []

    def pick(self, candidates, rows, decision=NO_DECISION):
        self.seen.append(list(candidates))
        self.decisions.append(decision)
        return super().pick(candidates, rows, decision)


@pure_parser
def test_whom_one_untagged_speech_calls_on_speaks_no_other_of_its_paragraph():
    # '"..., Pell." She waved her hand. "That is all."': one speaker's, and not Pell's.
    text = CAST + "* * *\n\n" + (
        '"What do you make of the boy?" Pell asked.\n\n'
        'Ruth frowned. "He is stubborn."\n\n'
        '"I want your report by noon, Pell. Do not be late." Not waiting for an answer, she waved her hand. '
        '"That is all. Go."\n\n'
        "Pell left."
    )
    scorer = Recording()
    quotes = parse_story(text.encode(), filename="t.txt", model=scorer).quotes
    last = [q.text for q in quotes].index("That is all. Go.")
    assert "Pell" not in scorer.seen[last]
    assert quotes[last].speaker == "Ruth"
    # Tagged, each speech of a paragraph keeps its own candidates.
    scorer = Recording()
    text = CAST + "* * *\n\n" + '"Come here, Pell," said Ruth. "Coming," said Pell.\n\n'
    quotes = parse_story(text.encode(), filename="t.txt", model=scorer).quotes
    assert quotes[-1].speaker == "Pell" and "Pell" in scorer.seen[-1]


def test_a_voice_the_host_turns_to_see_is_no_inner_voice():
    text = CAST + "* * *\n\n" + (
        "Naruto sat alone on the cliff. Kurama growled inside him. Kurama had his own plans. Kurama stirred again.\n\n"
        "'Kurama, are you there?'\n\n"
        '"Where else would I be, brat?"\n\n'
        "'Kurama, I need your help.'\n\n"
        '"Did you think that would be enough?" Naruto looked over his shoulder to see Grell standing there.\n\n'
        '"You again," Naruto said. "Go away," said Grell.'
    )
    found = speakers(text)
    assert found["Where else would I be, brat?"] == "Kurama"
    assert found["Did you think that would be enough?"] == "Grell"


@pure_parser
def test_a_he_carried_through_narration_is_the_he_of_the_speech_before():
    # The narration after Tobin's "I will." keeps its he as subject (Grell only mentioned) up to
    # the next "He said": Tobin's, not Grell's, the exchange's other man.
    text = CAST + (
        '"Go," said Grell. "Now," said Grell. Grell drew his knife. Grell shook his head.\n\n* * *\n\n'
        "Tobin sat on the swing in the yard.\n\n"
        '"Meet me at nine," Grell said with a sneer.\n\n'
        "Tobin looked up at him.\n\n"
        '"I will." He said simply before walking away. He did not like turning his back on anyone.\n\n'
        "The gate was quiet that night. He wondered how Grell had managed it.\n\n"
        'He walked up to the guard. "Good evening." He said.\n\n'
        "The guard let him in."
    )
    scorer = Recording()
    quotes = parse_story(text.encode(), filename="t.txt", model=scorer).quotes
    assert quotes[-2].text == "I will." and quotes[-2].speaker == "Tobin"
    # The rules read "Good evening." as Tobin's. The scorer then weighs that against Grell, named
    # between; with the committed weights the two are within a tenth of a point, so the final pick
    # is the learned weights' call and not asserted here. (Here the plain pronoun reading already
    # gives Tobin: _carry_chains decides the next test's text.)
    candidates, (pick, *_) = scorer.seen[-1], scorer.decisions[-1]
    assert quotes[-1].text == "Good evening." and candidates[pick] == "Tobin"


def test_a_he_carried_on_overrules_the_exchanges_alternation():
    # Grell's sex is never shown, so the "He said" of "I will." walks back to no one and the
    # exchange settles it (Tobin, by alternation); the next "He said" walks back to no one either,
    # and alternation alone would give it to Grell. The narration between keeps a he as subject
    # (Grell only mentioned) back to "I will.", whose own narration is about a he: Tobin's
    # (rules.ChapterAttributor._carry_chains).
    text = (
        '"Morning," said Tobin. "Hello," said Marla. "Hi," said Pell. "Hey," said Ruth. '
        '"Yes," said Tobin. "No," said Tobin.\n\n'
        "Tobin scratched his head. Pell rubbed his eyes. Marla fixed her hair. Ruth crossed her arms.\n\n"
        "* * *\n\n"
        "Tobin sat on the swing, watching the other children go home with their parents.\n\n"
        '"Tobin, I\'m sorry about today." Grell said in a sweet tone.\n\n'
        "Tobin looked up at the man standing over him.\n\n"
        '"There is a second test tonight. You want to pass, right?" Grell asked.\n\n'
        'Tobin stood up from the swing. "I can do it. Where do we meet?"\n\n'
        'Grell laughed, "By the river at nine. Still think you can do it?" His face filled with '
        "delight and Tobin had to look away.\n\n"
        '"I will." He said simply before walking away. He did not like turning his back on the man, '
        "but he did not want to look at him any longer. He counted the coins in his purse. He had "
        "just enough for a bowl of soup.\n\n"
        "The gate was quiet that night. Only two guards stood at the door, as far as he could tell. "
        "He wondered how Grell had managed that.\n\n"
        'He walked up to the guards. "Good evening, I would like to see the mayor." He said.\n\n'
        "The guard nodded and let him in."
    )
    found = speakers(text)
    assert found["I will."] == "Tobin"
    assert found["Good evening, I would like to see the mayor."] == "Tobin"


def test_a_he_who_answers_is_not_the_last_one_who_spoke():
    # "Tobin stared at him" makes Tobin the subject a he reads back to; "He answered" answers
    # Tobin's question, so it is the other man's.
    text = CAST + "* * *\n\n" + (
        '"Tell me about the war." Tobin said.\n\n'
        "Pell frowned at the fire.\n\n"
        '"It was long ago." He said.\n\n'
        'Tobin stared at him in disbelief. "But you were there, right?"\n\n'
        "This time he could not hide a twitch.\n\n"
        '"Yes." He answered.\n\n'
        "Tobin looked away."
    )
    assert speakers(text)["Yes."] == "Pell"
