"""Eleventh round of the bundled stories' check (branch `seeds12`, docs/attribution.md): short
texts where scorer evidence about the narration next to a speech could give a wrong named speaker.
Each asserts the right speaker or none; main reads each right, and so must any evidence that
reads a name as the subject or object of the narration between or right after two turns."""
from __future__ import annotations

import pytest

from tests.parsing.conftest import parse

# Four characters tagged the usual way, so the lexicon knows enough speakers to be choosy.
CAST = (
    '"Morning," said Tobin. "Hello," said Marla. "Hi," said Pell. "Hey," said Ruth.\n\n'
    'Tobin smiled at Marla. Pell nodded to Ruth. Marla waved at Pell. Ruth laughed at Tobin.\n\n'
)


def scene(*paragraphs: str) -> str:
    return CAST + "* * *\n\n" + "\n\n".join(paragraphs)


def speaker_of(text: str, speech: str) -> str | None:
    (quote,) = [q for q in parse(text).quotes if q.text == speech]
    return quote.speaker


# (text, speech, its right speaker)
COUNTER_EXAMPLES = {
    # A name between two turns given only as a possessor or an object, who does speak next.
    "possessor_reads_and_asks": (
        scene('"Here, this came for you," Marla said.', "Pell's hands shook as he read it.", '"Who sent this?"'),
        "Who sent this?", "Pell",
    ),
    "possessor_blushes_and_answers": (
        scene(
            '"Where were you?" Marla asked.', '"Out," Pell said.', "Pell's face went red under her stare.",
            '"I was at the docks, if you must know."',
        ),
        "I was at the docks, if you must know.", "Pell",
    ),
    "given_the_ring_thanks": (
        scene(
            '"Is that mine?" Pell asked.', '"It was on the floor," Ruth said.', "She gave Pell the ring.",
            '"Thank you. I thought I had lost it."',
        ),
        "Thank you. I thought I had lost it.", "Pell",
    ),
    # A third person's things looked at: the one looking speaks, not the owner.
    "third_persons_pack": (
        scene(
            '"Are we ready?" Marla asked.', '"Almost," Tobin said.', "Marla looked at Tobin's pack, then at Ruth's.",
            '"You packed for a week."',
        ),
        "You packed for a week.", "Marla",
    ),
    "turned_to_a_third": (
        scene('"We leave at dawn," Marla said.', '"Fine by me," Tobin said.', "Marla turned to Pell.", '"And you?"'),
        "And you?", "Marla",
    ),
    # The narration right after a speech opens on its listener, not its speaker.
    "listener_flinches": (
        scene(
            '"Where is the money?" Tobin asked.', '"I spent it," Pell said.',
            '"All of it? Get out of my house!" Pell flinched as if he had been struck.',
        ),
        "All of it? Get out of my house!", "Tobin",
    ),
    "someone_leaving_watched": (
        scene(
            '"Must you go?" Tobin asked.', '"I must," Marla said.',
            '"Goodbye, Tobin." Tobin watched her walk to the door.',
        ),
        "Goodbye, Tobin.", "Marla",
    ),
}


@pytest.mark.parametrize("name", sorted(COUNTER_EXAMPLES))
def test_counter_example(name: str):
    text, speech, right = COUNTER_EXAMPLES[name]
    assert speaker_of(text, speech) in (right, None)
