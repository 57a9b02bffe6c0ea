"""Fan fiction's habits, seventh round of the bundled stories' check (issue 16): whose head a lone
thought is in after narration about a he or she; and a speech followed by its speaker's nod stays
theirs after narration about someone else acting (a "nod that answers" rule was tried and dropped).
Each on its own short text (docs/attribution.md, "Seventh round")."""
from __future__ import annotations

from tests.parsing.conftest import parse


def speakers(text: str) -> dict[str, str | None]:
    return {q.text: q.speaker for q in parse(text).quotes}

# Four characters tagged the usual way, so the lexicon knows enough speakers to be choosy.
CAST = (
    '"Morning," said Tobin. "Hello," said Marla. "Hi," said Pell. "Hey," said Ruth.\n\n'
    'Tobin smiled at Marla. Pell nodded to Ruth. Marla waved at Pell. Ruth laughed at Tobin.\n\n'
)


def test_a_lone_thought_after_narration_about_a_she_is_hers_not_the_most_named_man():
    # The scene names Naruto most, a man; the narration just before the thought keeps to a she.
    text = CAST + "* * *\n\n" + "\n\n".join([
        "Naruto ran ahead. He was fast. Naruto laughed as he ran. Naruto fell and he lay still.",
        '"No!" Kagome cried when she saw Naruto fall. Kagome knelt and she held him.',
        "Naruto bled. He was pale, and he did not move. Kagome pressed on the wound.",
        "Not another friend of hers. She would not accept it, not when she had sworn to protect him.",
        "'I won't lose him.'",
        "The medics arrived soon after.",
    ])
    (thought,) = [q for q in parse(text).quotes if q.kind == "thought"]
    assert thought.speaker == "Kagome"
    # After narration about a he, the most named man thinks it, as before.
    him = text.replace("Not another friend of hers. She would not accept it, not when she had", "He would not die, not when he had")
    (thought,) = [q for q in parse(him).quotes if q.kind == "thought"]
    assert thought.speaker == "Naruto"


def test_a_speech_with_its_speakers_nod_stays_theirs_after_someone_else_acts():
    # The shape a "nod that answers" rule read the other way ('Satisfied, Tsunade waved him off. /
    # "Then go." Naruto nodded...'): as often, someone acts expectantly and the other answers and nods.
    text = CAST + "* * *\n\n" + "\n\n".join([
        '"Are you ready?" Tobin asked.',
        '"Not yet," Pell said.',
        '"Then hurry," said Tobin.',
        '"Fine," said Pell.',
        "Tobin looked at him expectantly.",
        '"I understand it now." Pell nodded and left.',
    ])
    assert speakers(text)["I understand it now."] == "Pell"
