"""The tags around an untagged turn as scorer evidence (branch band11): the nearest tagged turn
after it rules its speaker out (odd turns ahead) or in (even) when no narration paragraph comes
between; the nearest before rules its speaker out at odd turns back with none between, or at even
turns back with a narration paragraph between (one speaker going on past a beat), and in otherwise."""
from __future__ import annotations

from bot.parsing.attribution.evidence import FEATURES, INDEX
from bot.parsing.attribution.scorer import committed
from tests.parsing.test_attribution_confidence import read
from tests.parsing.test_attribution_turn_evidence import CAST, evidence
from tests.pure_parser import pure_parser

_TAGS = {"tag_after_out", "tag_after_in", "tag_before_out", "tag_before_in"}
# Anna's tag, two untagged turns, Anna's tag again, with nothing between the turns.
_TIGHT = '"Is it far?" said Anna.\n\n"Not very."\n\n"Then we walk."\n\n"Wait for me," said Anna.\n\n'
# The same with a beat paragraph after Anna's first tag: she goes on past it.
_BEAT = '"Is it far?" said Anna.\n\nAnna looked at the hill.\n\n"It looks far."\n\n"Not very."\n\n"Wait for me," said Anna.\n\n'


def _tags(features: set[str]) -> set[str]:
    return features & _TAGS


@pure_parser
def test_the_tags_either_side_rule_their_speakers_in_or_out():
    _, seen = evidence(CAST + _TIGHT)
    not_very, walk = seen[-3], seen[-2]
    # "Not very.": Anna's tag is one turn back (odd: not hers) and two ahead (even: hers).
    assert _tags(not_very["Anna"]) == {"tag_before_out", "tag_after_in"}
    # "Then we walk.": two turns back (hers), one ahead (not hers).
    assert _tags(walk["Anna"]) == {"tag_before_in", "tag_after_out"}
    # Ben is no nearby tag's speaker (his own tag is further back than Anna's): never marked.
    for turn in (not_very, walk):
        assert not _tags(turn.get("Ben", set()))
    # A tagged turn has none of them.
    assert not any(_tags(features) for features in seen[-1].values())
    assert not any(_tags(features) for features in seen[-4].values())


@pure_parser
def test_a_narration_paragraph_between_turns_counts_as_the_speaker_going_on():
    _, seen = evidence(CAST + _BEAT)
    looks_far, not_very = seen[-3], seen[-2]
    # "It looks far.": Anna's tag one turn back, a beat between: she may be going on, so the odd
    # distance rules her in, not out.
    assert "tag_before_in" in looks_far["Anna"] and "tag_before_out" not in looks_far["Anna"]
    # "Not very.": two turns back with the beat between rules her out; her next tag, one turn
    # ahead with nothing between, does too.
    assert _tags(not_very["Anna"]) == {"tag_before_out", "tag_after_out"}
    # "It looks far." is two turns before Anna's next tag with nothing between: ruled in.
    assert "tag_after_in" in looks_far["Anna"]


@pure_parser
def test_a_tag_after_past_a_narration_paragraph_rules_nobody_out():
    text = '"Is it far?" said Anna.\n\n"Not very."\n\nThe wind rose over the mill.\n\n"Wait for me," said Anna.\n\n'
    _, seen = evidence(CAST + text)
    assert "tag_after_out" not in seen[-2]["Anna"] and "tag_after_in" not in seen[-2]["Anna"]


@pure_parser
def test_the_committed_scorer_trusts_a_candidate_the_tags_rule_out_less():
    # The rows of "Then we walk." as recorded, with Anna's tag features moved from ruled in to
    # ruled out: the committed weights give her a smaller share.
    _, calls = read(CAST + _TIGHT)
    candidates, rows, decision = calls[-2]
    anna = candidates.index("Anna")
    scorer = committed()

    def share(row_features: set[str]) -> float:
        changed = [list(row) for row in rows]
        changed[anna] = [(i, v) for i, v in rows[anna] if FEATURES[i] not in _TAGS]
        changed[anna] += [(INDEX[name], 1.0) for name in row_features]
        scores = scorer.scores(changed)
        total = sum(2.718281828 ** s for s in scores)
        return 2.718281828 ** scores[anna] / total

    ruled_in = share({"tag_before_in", "tag_after_in"})
    ruled_out = share({"tag_before_out", "tag_after_out"})
    assert ruled_out < ruled_in - 0.2
    assert share(set()) < ruled_in and ruled_out < share(set())
