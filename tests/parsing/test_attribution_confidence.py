"""Confidence as a second stage: the probability that the scorer's pick is right, read from the
decision (the winner's share and lead, the exchange decoder's margin, how the rules found a
speaker, whether the scorer overruled them, how often the story tags its speakers), never changing
the pick."""
from __future__ import annotations

import math

from bot.parsing import parse_story
from bot.parsing.attribution.decoding import _margins
from bot.parsing.attribution.evidence import INDEX
from bot.parsing.attribution.scorer import INPUTS, NO_DECISION, Scorer, committed, stage_inputs
from tests.parsing.test_attribution_turn_evidence import CAST, Recording
from tests.pure_parser import pure_parser


class Decisions(Recording):
    """The committed scorer, keeping each quotation's rows and the rules' reading."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[list[str], list, tuple]] = []

    def pick(self, candidates, rows, decision=NO_DECISION):
        self.calls.append((candidates, rows, decision))
        return super().pick(candidates, rows, decision)


def read(text: str):
    scorer = Decisions()
    story = parse_story(text.encode(), filename="t.txt", model=scorer)
    return story.quotes, scorer.calls


def test_margins_are_max_marginals_over_the_kept_states():
    # Two candidates (k = 2), two turns, no transition or emission cost after the first turn:
    # turn 0 is speaker 0's by 1 (0.0 against -1.0); turn 1 can be either at the same best score.
    k = 2
    history = [([k * k + 0, k * k + 1], [0.0, 0.0, 0.0, 0.0, 0.0, -1.0]),
               ([0, 1, 2, 3], [0.0, 0.0, -1.0, -1.0])]
    assert _margins(history, [False, False], [[0.0, 0.0], [0.0, 0.0]], lambda gap, i0, i1: [0.0, 0.0], k) == [1.0, 0.0]
    # A turn whose other speaker the search dropped is read with the widest margin.
    history = [([k * k + 0], [0.0, 0.0, 0.0, 0.0, 0.0, -9.0]), ([0, 1], [0.0, -3.0, -9.0, -9.0])]
    assert _margins(history, [False, False], [[0.0, 0.0], [0.0, 0.0]], lambda gap, i0, i1: [0.0, -3.0], k) == [10.0, 3.0]


@pure_parser
def test_a_close_reading_of_the_exchange_lowers_the_confidence():
    # After a narration paragraph nothing says who opens the exchange: Anna then Ben, or Ben then
    # Anna, are about as likely, and the decoder's margin on those turns is thin.
    quotes, calls = read(CAST + 'The sun went down over the mill.\n\n"Is it far?"\n\n"Not very."\n\n')
    candidates, rows, decision = calls[-2]
    pick, margin, rule, tags = decision
    assert candidates[pick] == quotes[-2].speaker and rule == "turn-taking"
    assert 0 <= margin < 1
    scorer = committed()
    best, thin = scorer.choose(rows, decision)
    assert candidates[best] == quotes[-2].speaker and round(thin, 2) == quotes[-2].confidence
    # The same rows, read by a decoder sure of its reading: the pick stays, the confidence rises.
    wide = (pick, 8.0, rule, tags)
    assert scorer.choose(rows, wide)[0] == best
    assert scorer.choose(rows, wide)[1] > thin + 0.1
    # Next to its tag the answer is a wide reading, and surer than the untagged one.
    quotes, calls = read(CAST + '"Is it far?" said Anna.\n\n"Not very."\n\n')
    assert quotes[-1].speaker == "Ben" and calls[-1][2][1] >= 1
    assert quotes[-1].confidence > thin


def test_the_confidence_model_never_changes_the_pick():
    weights = {"prev_turn": 1.0, "two_turns": 0.5}
    rows = [[(INDEX["prev_turn"], 1.0)], [(INDEX["two_turns"], 1.0)], []]
    sharp = Scorer(weights, {"share": 1.0, "decoder_close": -2.0, "turn_close": -1.0})
    plain = Scorer(weights)
    for decision in (NO_DECISION, (0, 9.0, "explicit", 5), (1, 0.1, "turn-taking", 5), (0, 0.1, "turn-taking", 5)):
        assert sharp.choose(rows, decision)[0] == plain.choose(rows, decision)[0] == 0
    # A close reading of the exchange costs confidence, only when the winner is the rules' pick.
    assert sharp.choose(rows, (0, 0.5, "turn-taking", 5))[1] < sharp.choose(rows, (0, 0.5, "pronoun", 5))[1]
    assert sharp.choose(rows, (0, 0.5, "pronoun", 5))[1] < plain.choose(rows)[1]
    assert sharp.choose(rows, (1, 0.5, "turn-taking", 5))[1] == plain.choose(rows)[1]
    assert sharp.choose(rows, (0, 7.0, "turn-taking", 5))[1] == plain.choose(rows)[1]
    inputs = stage_inputs([1.0, 0.5, 0.0], 0, (0, 2.0, "vocative", 5))
    assert [name for name, x in zip(INPUTS, inputs, strict=True) if x and name not in ("share", "bias")] == [
        "decoder_mid", "by_turn", "turn_mid", "story_tags_close"]


def on(inputs: list[float]) -> dict[str, float]:
    return {name: x for name, x in zip(INPUTS, inputs, strict=True) if x and name not in ("share", "bias")}


def test_the_rules_overruled_and_the_story_s_tags_are_read():
    scores = [1.0, 0.5, 0.0]
    # The scorer's winner (row 0) is not the rules' pick (row 1): overruled, and the decoder's
    # margin, which is about the rules' pick, is not read.
    assert on(stage_inputs(scores, 0, (1, 0.5, "turn-taking", 20))) == {"by_turn": 1.0, "overruled": 1.0}
    # The rules' pick is none of the candidates.
    assert on(stage_inputs(scores, 0, (-1, -1.0, "", 20))) == {"no_pick": 1.0}
    assert on(stage_inputs(scores, 0, (-1, 0.5, "pronoun", 20))) == {"no_pick": 1.0}
    # The story's tags count on a close or mid turn reading the winner holds, log-scaled.
    close = on(stage_inputs(scores, 0, (0, 0.5, "turn-taking", 20)))
    assert close["story_tags_close"] == math.log1p(20) / 5 and close["turn_close"] == 1.0
    assert on(stage_inputs(scores, 0, (0, 2.5, "pronoun-turn", 400)))["story_tags_close"] == math.log1p(400) / 5
    assert "story_tags_close" not in on(stage_inputs(scores, 0, (0, 4.0, "turn-taking", 20)))
    assert "story_tags_close" not in on(stage_inputs(scores, 0, (0, 0.5, "pronoun", 20)))


@pure_parser
def test_a_close_exchange_in_a_story_that_tags_its_speakers_often_is_surer():
    # The same close exchange (who opens it after the narration paragraph is a toss-up), in a
    # story whose tags name its speakers once or twice, and in one whose earlier chapter names them sixty
    # times more: the decision carries the story's count of tags, and the same rows read with the
    # larger count give the same pick, surer.
    exchange = 'The sun went down over the mill.\n\n"Is it far?"\n\n"Not very."\n\n'
    few, calls = read(CAST + exchange)
    earlier = "".join(f'"Line {n}," said Anna.\n\n"Reply {n}," said Ben.\n\n' for n in range(30))
    _, calls_many = read("Chapter 1\n\n" + CAST + earlier + "Chapter 2\n\n" + CAST + exchange)
    candidates, rows, (pick, margin, rule, tags) = calls[-2]
    assert tags < 5 and calls_many[-2][2][3] > 60
    assert rule == "turn-taking" and 0 <= margin < 3 and few[-2].speaker == candidates[pick]
    scorer = committed()
    best, sure = scorer.choose(rows, (pick, margin, rule, 64))
    assert best == pick and round(scorer.choose(rows, calls[-2][2])[1], 2) == few[-2].confidence
    assert sure > few[-2].confidence + 0.01
