"""Fan fiction's habits, eighth round of the bundled stories' check (issue 16): speeches the rules
give nobody, read against the speech before them across the narration that breaks the exchange
(bot/parsing/attribution/unsettled.py). Each on its own short text (docs/attribution.md, "Eighth
round")."""
from __future__ import annotations

from tests.parsing.conftest import parse

# Four characters tagged the usual way, so the lexicon knows enough speakers to be choosy.
CAST = (
    '"Morning," said Tobin. "Hello," said Marla. "Hi," said Pell. "Hey," said Ruth.\n\n'
    'Tobin smiled at Marla. Pell nodded to Ruth. Marla waved at Pell. Ruth laughed at Tobin.\n\n'
)

# A scene told from her side: she speaks once with a beat, then narration about a she, then a
# speech calling on him, then narration, then a speech calling on her.
SCENE = CAST + '"Ready?" Kagome asked.\n\n* * *\n\n' + "\n\n".join([
    '"No.." Kagome dashed forward when she saw the boy fall.',
    "The hope she had fell apart when he did not move. At what price did he win?",
    "Blood poured from his wounds, and she felt it drip down as she held him close.",
    "Scooping him up into her arms, she realized what kind of mess they were in. If Ruth did not "
    "come soon, they would lose him.",
    '"Tobin..Tobin, wake up!" His eyes were open, but the stare was blank.',
    "Then, for a moment, his mouth began to move.",
    "When she brought her ear down close, she could hear him clearly.",
    '"Go..Kagome.." Even then, he thought of the others.',
    "The medics arrived soon after.",
])


def speakers(text: str) -> dict[str, str | None]:
    return {q.text: q.speaker for q in parse(text).quotes}


def test_a_line_after_narration_about_the_last_speaker_is_hers():
    found = speakers(SCENE)
    assert found["Tobin..Tobin, wake up!"] == "Kagome"


def test_the_one_a_call_names_answers_a_line_calling_back():
    found = speakers(SCENE)
    # Kagome's line calls on Tobin; the next line calls on Kagome: Tobin's answer.
    assert found["Go..Kagome.."] == "Tobin"


def test_narration_naming_another_of_her_sex_leaves_the_line_open():
    # Ruth, a woman the text shows to be one, is named in the narration between: the she may be
    # her, so the line is not given to the last speaker by this reading.
    text = SCENE.replace("If Ruth did not come soon, they would lose him.",
                         "Ruth would come soon; she always did.")
    text = text.replace("Ruth laughed at Tobin.", "Ruth laughed at Tobin. She was kind, and she smiled. She sang. She left.")
    quotes = {q.text: q for q in parse(text).quotes}
    assert quotes["Tobin..Tobin, wake up!"].rule != "point-of-view"


def test_a_scene_opening_on_its_dialogue_is_the_next_exchanges_by_alternation():
    # Nobody is named before the first line; the narration after it brings the two in, and the
    # exchange they then have counts back to it: the other of its first speaker.
    text = CAST + "* * *\n\n" + "\n\n".join([
        '"..And so that is the whole situation. The boy has left and, with your report, we know why."',
        "Tobin and Pell stood before Marla in the office. From the summary, they understood how grave it was.",
        "Few were left in the village to help them.",
        '"How did we learn of this?" Tobin asked, curious.',
        '"A guard saw him leave last night." Marla said, hands clasped.',
    ])
    found = speakers(text)
    assert found["..And so that is the whole situation. The boy has left and, with your report, we know why."] == "Marla"
