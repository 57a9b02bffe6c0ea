"""Thoughts are the point-of-view character's, and an inner voice answers the thoughts that call
on it (fan fiction's habits, issue 16)."""
from __future__ import annotations

from bot.trivia.questions import SPEAKER_CONFIDENCE
from tests.parsing.conftest import parse

INNER = (
    "Naruto sat on the stone head and looked over the village. It was his first real talk with "
    "Kyuubi, the beast sealed inside him. Kyuubi had been quiet for days. Kyuubi growled. He could feel Kyuubi stir. Naruto waited. Naruto "
    "frowned.\n\n"
    "'Kyuubi, what is it you want?' There was no reason to beat around the bush.\n\n"
    '"Show some respect, brat."\n\n'
    "'You called me out here. So, talk.'\n\n"
    "He did have to admit though, it was a beautiful view.\n\n"
    '"Fine. Listen well, then."'
)


def spoken(text: str) -> list[tuple[str | None, str, str | None]]:
    return [(q.speaker, q.kind, q.rule) for q in parse(text).quotes]


def test_untagged_thoughts_are_the_point_of_view_characters():
    assert [s for s, kind, _ in spoken(INNER) if kind == "thought"] == ["Naruto", "Naruto"]


def test_the_inner_voice_a_thought_calls_on_answers():
    assert [s for s, kind, _ in spoken(INNER) if kind == "speech"] == ["Kyuubi", "Kyuubi"]


def test_inner_voices_stay_out_of_trivia():
    assert all(q.confidence < SPEAKER_CONFIDENCE for q in parse(INNER).quotes)


def test_a_tagged_speaker_ends_the_inner_exchange():
    text = INNER + '\n\n"Naruto!" Sakura called from below.\n\n"Coming!"'
    assert spoken(text)[-2][0] == "Sakura"
    assert spoken(text)[-1][0] != "Kyuubi"


def test_a_tagged_thought_keeps_its_thinker():
    text = "Sakura watched Naruto climb. Naruto grinned.\n\n'He is late again,' Sakura thought."
    assert spoken(text)[0][0] == "Sakura"
