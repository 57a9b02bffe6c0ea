"""How a story's own tagged turns behave, counted as it is attributed (branch adapt14,
bench/_habits.py, measured by bench/story_habits.py): consecutive tagged turns naming the same
speaker or another, three alternating strictly, alternation across untagged turns checked against
the next tag, the share of turns a tag names, tags describing their speaker, untagged turns with a
beat; counted in text order, each scene seeing the story so far and itself."""
from __future__ import annotations

import sys
from pathlib import Path

from tests.parsing.test_attribution_confidence import Decisions, parse_story
from tests.parsing.test_attribution_turn_evidence import CAST
from tests.pure_parser import pure_parser

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import _habits as h


class Marked(Decisions):
    def pick(self, candidates, rows, decision=h.NO_DECISION):
        return super().pick(candidates, rows, h.mark(decision))


def _counts(text: str) -> list[tuple[int, ...]]:
    """The habit counts each quotation's decision carries, in order."""
    scorer = Marked()
    with h.recording():
        parse_story(text.encode(), filename="t.txt", model=scorer)
    return [h.habits_of(decision) for _, _, decision in scorer.calls]


@pure_parser
def test_tagged_turns_that_alternate():
    # CAST: Anna, Ben tagged; then Anna, Ben, Anna tagged again: one exchange of five turns.
    text = CAST + '"Is it far?" said Anna.\n\n"Not very," said Ben.\n\n"Then we walk," said Anna.\n\n'
    counts = _counts(text)
    assert len(set(counts)) == 1  # one scene: every quotation sees the same counts
    import bot.parsing.attribution as attribution

    assert attribution.decide.__module__ == "bot.parsing.attribution.exchange"  # put back after
    c = counts[-1]
    assert c[h.TURNS] == 5 and c[h.TAGGED] == 5
    assert c[h.PAIRS] == 4 and c[h.SAME] == 0
    assert c[h.TRIPLES] == 3 and c[h.ALTERNATE] == 3
    assert c[h.UNTAGGED] == 0 and c[h.DESCRIBED] == 0


@pure_parser
def test_a_speaker_going_on_breaks_the_alternation():
    # Anna speaks twice in a row, both tagged: one pair of the same speaker, and the triple
    # Ben-Anna-Anna does not alternate.
    text = CAST + '"Is it far?" said Anna.\n\n"I should like to know," said Anna.\n\n"Not very," said Ben.\n\n'
    c = _counts(text)[-1]
    assert c[h.PAIRS] == 4 and c[h.SAME] == 1
    # Anna-Ben-Anna alternates; Ben-Anna-Anna does not; Anna-Anna-Ben is not counted (no two
    # speakers to alternate between).
    assert c[h.TRIPLES] == 2 and c[h.ALTERNATE] == 1


@pure_parser
def test_untagged_turns_with_and_without_a_beat():
    text = CAST + (
        '"Is it far?"\n\n"Not very."\n\n'
        'Anna set down her basket and looked across the river at the hills. "Then we walk."\n\n'
    )
    c = _counts(text)[-1]
    assert c[h.TURNS] == 5 and c[h.TAGGED] == 2
    assert c[h.UNTAGGED] == 3 and c[h.BEAT] == 1


@pure_parser
def test_counts_run_on_from_scene_to_scene_in_text_order():
    # Two scenes: the first scene's quotations see only its own counts, the second's both.
    scene = '"Is it far?" said Anna.\n\n"Not very," said Ben.\n\n'
    text = CAST + scene + "* * *\n\n" + "Anna met Ben at the gate.\n\n" + scene
    counts = _counts(text)
    first, last = counts[0], counts[-1]
    assert first[h.TAGGED] == 4 and last[h.TAGGED] == 6
    assert last[h.PAIRS] == first[h.PAIRS] + 1


@pure_parser
def test_a_tag_that_describes_its_speaker():
    text = (
        "Anna walked to the mill. An old man sat by the door.\n\n"
        '"Good morning," said Anna.\n\n"Good morning," said the old man.\n\n"Is it far?" said Anna.\n\n'
    )
    c = _counts(text)[-1]
    assert c[h.TAGGED] == 3 and c[h.DESCRIBED] == 1


@pure_parser
def test_alternation_across_untagged_turns_checked_against_the_next_tag():
    # Anna's tag, one untagged turn, Anna's tag: two turns on, alternation gives it to Anna (holds).
    # Two untagged turns, then Ben's tag: three turns on, someone else's (holds). One untagged
    # turn, then Anna's tag: two turns on, alternation gives it to Ben (fails). Tagged turns next
    # to each other are the pairs, not these.
    text = CAST + (
        '"Is it far?" said Anna.\n\n"Not very."\n\n"Then we walk," said Anna.\n\n'
        '"Good."\n\n"Come."\n\n"Wait," said Ben.\n\n"Why?"\n\n"No reason," said Anna.\n\n'
    )
    c = _counts(text)[-1]
    assert c[h.PARITY] == 3 and c[h.PARITY_HOLDS] == 2
