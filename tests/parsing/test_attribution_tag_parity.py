"""The alternation of the tagged turns around an untagged one, as the confidence model reads it
(branch band10): a candidate whom the nearest tag after (or before) names an odd number of turns
away is one strict alternation from that tag does not give the turn to, and where the two tags
around disagree about a candidate, one of them says the turn is someone else's."""
from __future__ import annotations

from bot.parsing.attribution.scorer import INPUTS, stage_inputs
from tests.parsing.test_attribution_confidence import read
from tests.parsing.test_attribution_turn_evidence import CAST
from tests.pure_parser import pure_parser

# Anna's tag, two untagged turns, Anna's tag again: strict alternation from the first tag gives
# the untagged turns to Ben then Anna; counted back from the second, to Anna then Ben.
_BROKEN = ('"Is it far?" said Anna.\n\n"Not very."\n\n"Then we walk."\n\n"Wait for me," said Anna.\n\n')
# The same, with a third untagged turn: both tags' alternation agree (Ben, Anna, Ben).
_KEPT = ('"Is it far?" said Anna.\n\n"Not very."\n\n"Then we walk."\n\n"Good."\n\n"Wait for me," said Anna.\n\n')


def _bits(call: tuple, who: str) -> tuple[bool, bool, bool]:
    """Whether `who`'s row is marked (tag_odd_after, tag_odd_before, tags_split) in a decision."""
    candidates, _, decision = call
    row = candidates.index(who)
    return tuple(bool(mask >> row & 1) for mask in decision[5:8])  # type: ignore[return-value]


@pure_parser
def test_the_tags_around_an_untagged_turn_mark_whom_their_alternation_rules_out():
    _, calls = read(CAST + _BROKEN)
    first, second = calls[-3], calls[-2]  # "Not very." and "Then we walk."
    assert "Anna" in first[0] and "Anna" in second[0]
    # "Not very.": Anna's tag before is one turn back (odd: not Anna), the one after two turns
    # ahead (even: Anna): the tags disagree about Anna.
    assert _bits(first, "Anna") == (False, True, True)
    # "Then we walk.": Anna's tag after is one turn ahead (not Anna), the one before two back.
    assert _bits(second, "Anna") == (True, False, True)
    # Ben is no tag's speaker: never marked.
    for call in (first, second):
        if "Ben" in call[0]:
            assert _bits(call, "Ben") == (False, False, False)
    # A tagged turn is never marked, whatever the tags around it.
    assert calls[-1][2][5:8] == (0, 0, 0) and calls[-4][2][5:8] == (0, 0, 0)


@pure_parser
def test_tags_whose_alternation_agrees_mark_only_the_odd_side():
    _, calls = read(CAST + _KEPT)
    middle = calls[-3]  # "Then we walk.": two turns after Anna's tag and two before the next
    assert _bits(middle, "Anna") == (False, False, False)
    reply = calls[-4]  # "Not very.": one after Anna's tag, three before the next: both say not Anna
    assert _bits(reply, "Anna") == (True, True, False)


def test_the_winner_s_marks_only_are_read():
    scores = [1.0, 0.5, 0.0]
    names = ("tag_odd_after", "tag_odd_before", "tags_split")
    for bit, name in enumerate(names):
        masks = [0, 0, 0]
        masks[bit] = 0b01
        decision = (0, -1.0, "turn-taking", 10, 0, *masks)
        on = {n for n, x in zip(INPUTS, stage_inputs(scores, 0, decision), strict=True) if x and n in names}
        assert on == {name}
        # Row 1's mark says nothing of row 0, the winner.
        masks[bit] = 0b10
        decision = (0, -1.0, "turn-taking", 10, 0, *masks)
        assert not {n for n, x in zip(INPUTS, stage_inputs(scores, 0, decision), strict=True) if x and n in names}
