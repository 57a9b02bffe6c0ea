"""The alternation of the nearest tagged turn after an untagged one, as the confidence model reads
it (branch band10): a candidate whom that tag names an odd number of turns ahead is one strict
alternation counted back from it does not give this turn to, and a winner so marked is less
often right."""
from __future__ import annotations

from bot.parsing.attribution.scorer import INPUTS, committed, stage_inputs
from tests.parsing.test_attribution_confidence import read
from tests.parsing.test_attribution_turn_evidence import CAST
from tests.pure_parser import pure_parser

# Anna's tag, two untagged turns, Anna's tag again: counted back from the second tag, strict
# alternation gives the untagged turns to Anna then Ben.
_TWO = '"Is it far?" said Anna.\n\n"Not very."\n\n"Then we walk."\n\n"Wait for me," said Anna.\n\n'
# Three untagged turns: counted back, Ben, Anna, Ben.
_THREE = '"Is it far?" said Anna.\n\n"Not very."\n\n"Then we walk."\n\n"Good."\n\n"Wait for me," said Anna.\n\n'


def _marked(call: tuple, who: str) -> bool:
    candidates, _, decision = call
    return bool(decision[5] >> candidates.index(who) & 1)


@pure_parser
def test_the_next_tag_marks_whom_its_alternation_rules_out():
    _, calls = read(CAST + _TWO)
    first, second = calls[-3], calls[-2]  # "Not very." and "Then we walk."
    assert "Anna" in first[0] and "Anna" in second[0]
    # Anna's tag is two turns after "Not very." (even: hers by alternation), one after "Then we walk."
    assert not _marked(first, "Anna") and _marked(second, "Anna")
    # Ben is no tag's speaker: never marked.
    for call in (first, second):
        if "Ben" in call[0]:
            assert not _marked(call, "Ben")
    # A tagged turn is never marked.
    assert calls[-1][2][5] == 0 and calls[-4][2][5] == 0
    _, calls = read(CAST + _THREE)
    assert _marked(calls[-4], "Anna") and not _marked(calls[-3], "Anna") and _marked(calls[-2], "Anna")


def test_the_winner_s_mark_only_is_read():
    scores = [1.0, 0.5, 0.0]
    at = INPUTS.index("tag_odd_after")
    assert stage_inputs(scores, 0, (0, -1.0, "turn-taking", 10, 0, 0b01))[at] == 1.0
    assert stage_inputs(scores, 0, (0, -1.0, "turn-taking", 10, 0, 0b10))[at] == 0.0
    assert stage_inputs(scores, 1, (0, -1.0, "turn-taking", 10, 0, 0b10))[at] == 1.0


@pure_parser
def test_a_winner_the_next_tag_rules_out_is_less_sure():
    # The same rows and reading with and without the mark: the committed weights trust the
    # winner less with it; the pick stays.
    _, calls = read(CAST + _TWO)
    _, rows, decision = calls[-2]
    scorer = committed()
    best, marked = scorer.choose(rows, (*decision[:5], 0b11111111))
    best_plain, plain = scorer.choose(rows, (*decision[:5], 0))
    assert best == best_plain
    assert marked < plain - 0.03
