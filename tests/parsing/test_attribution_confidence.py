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
    pick, margin, rule, tags, unnamed, *_ = decision
    assert candidates[pick] == quotes[-2].speaker and rule == "turn-taking"
    assert 0 <= margin < 1
    scorer = committed()
    best, thin = scorer.choose(rows, decision)
    assert candidates[best] == quotes[-2].speaker and round(thin, 2) == quotes[-2].confidence
    # The same rows, read by a decoder sure of its reading: the pick stays, the confidence rises.
    wide = (pick, 8.0, rule, tags, unnamed, 0)
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
    for decision in (NO_DECISION, (0, 9.0, "explicit", 5, 0, 0), (1, 0.1, "turn-taking", 5, 0, 0), (0, 0.1, "turn-taking", 5, 0, 0)):
        assert sharp.choose(rows, decision)[0] == plain.choose(rows, decision)[0] == 0
    # A close reading of the exchange costs confidence, only when the winner is the rules' pick.
    assert sharp.choose(rows, (0, 0.5, "turn-taking", 5, 0, 0))[1] < sharp.choose(rows, (0, 0.5, "pronoun", 5, 0, 0))[1]
    assert sharp.choose(rows, (0, 0.5, "pronoun", 5, 0, 0))[1] < plain.choose(rows)[1]
    assert sharp.choose(rows, (1, 0.5, "turn-taking", 5, 0, 0))[1] == plain.choose(rows)[1]
    assert sharp.choose(rows, (0, 7.0, "turn-taking", 5, 0, 0))[1] == plain.choose(rows)[1]
    inputs = stage_inputs([1.0, 0.5, 0.0], 0, (0, 2.0, "vocative", 5, 0, 0))
    assert [name for name, x in zip(INPUTS, inputs, strict=True) if x and name not in ("share", "bias")] == [
        "decoder_mid", "by_turn", "turn_mid", "story_tags_close", "story_tags_unsure"]


def on(inputs: list[float]) -> dict[str, float]:
    """The inputs a decision sets, but the share's and the story's tags on an unsure share (read on
    every decision of a story with tags: test_a_described_speaker_of_a_sex_no_tag_names_is_read)."""
    return {name: x for name, x in zip(INPUTS, inputs, strict=True)
            if x and name not in ("share", "bias", "story_tags_unsure")}


def test_the_rules_overruled_and_the_story_s_tags_are_read():
    scores = [1.0, 0.5, 0.0]
    # The scorer's winner (row 0) is not the rules' pick (row 1): overruled, and the decoder's
    # margin, which is about the rules' pick, is not read.
    assert on(stage_inputs(scores, 0, (1, 0.5, "turn-taking", 20, 0, 0))) == {"by_turn": 1.0, "overruled": 1.0}
    # The rules' pick is none of the candidates.
    assert on(stage_inputs(scores, 0, (-1, -1.0, "", 20, 0, 0))) == {"no_pick": 1.0}
    assert on(stage_inputs(scores, 0, (-1, 0.5, "pronoun", 20, 0, 0))) == {"no_pick": 1.0}
    # The story's tags count on a close or mid turn reading the winner holds, log-scaled.
    close = on(stage_inputs(scores, 0, (0, 0.5, "turn-taking", 20, 0, 0)))
    assert close["story_tags_close"] == math.log1p(20) / 5 and close["turn_close"] == 1.0
    assert on(stage_inputs(scores, 0, (0, 2.5, "pronoun-turn", 400, 0, 0)))["story_tags_close"] == math.log1p(400) / 5
    assert "story_tags_close" not in on(stage_inputs(scores, 0, (0, 4.0, "turn-taking", 20, 0, 0)))
    assert "story_tags_close" not in on(stage_inputs(scores, 0, (0, 0.5, "pronoun", 20, 0, 0)))


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
    candidates, rows, (pick, margin, rule, tags, *_) = calls[-2]
    assert tags < 5 and calls_many[-2][2][3] > 60
    assert rule == "turn-taking" and 0 <= margin < 3 and few[-2].speaker == candidates[pick]
    scorer = committed()
    best, sure = scorer.choose(rows, (pick, margin, rule, 64, 0, 0))
    assert best == pick and round(scorer.choose(rows, calls[-2][2])[1], 2) == few[-2].confidence
    assert sure > few[-2].confidence + 0.01


# A described speaker in a story whose tags name nobody of their sex, and the same after a
# chapter opening whose tags name a man (John) and a woman (Mary).
_FIRESIDE = ('An old man sat by the fire. Mary came in and shut the door behind her.\n\n'
             '"It is cold," said the old man.\n\n"It is," said Mary. She sat down.\n\n'
             '"Sit nearer," the old man said.\n\n')
_JOHN = ('Mr. John Brown took off his hat. He was tired, and John sat down.\n\n"Good evening," said John.\n\n'
         '"Good evening," said Mary.\n\n"Is it late?" said John.\n\n')


def _unnamed_bit(candidates: list[str], decision: tuple, who: str) -> bool:
    return bool(decision[4] >> candidates.index(who) & 1)


@pure_parser
def test_a_described_speaker_of_a_sex_no_tag_names_is_read():
    quotes, calls = read("Chapter 1\n\n" + _FIRESIDE)
    assert quotes[0].speaker == "the old man"
    candidates, rows, decision = calls[0]
    # No tag of the story names a man: the old man is likely nobody the text names, and the
    # decision marks his row (and no other).
    assert _unnamed_bit(candidates, decision, "the old man") and not _unnamed_bit(candidates, decision, "Mary")
    inputs = stage_inputs(committed().scores(rows), candidates.index("the old man"), decision)
    assert inputs[INPUTS.index("described_unnamed")] == 1.0
    # The tags name John: the old man may be him, seen from outside; his row is not marked.
    quotes, calls = read("Chapter 1\n\n" + _JOHN + _FIRESIDE)
    said = next(n for n, q in enumerate(quotes) if q.text == "It is cold,")
    assert quotes[said].speaker == "the old man"
    assert not _unnamed_bit(calls[said][0], calls[said][2], "the old man")
    # Only the sex matters: with tags naming John and nobody else, a girl's row is marked.
    quotes, calls = read("Chapter 1\n\n" + _JOHN.replace("Mary", "John") + 'A girl stood by the door.\n\n'
                         '"Is he here?" asked the girl.\n\n')
    assert quotes[-1].speaker == "the girl" and _unnamed_bit(calls[-1][0], calls[-1][2], "the girl")


@pure_parser
def test_a_described_speaker_of_unknown_sex_is_never_marked():
    # A description whose sex the text never tells: whether the tags name someone of it cannot be
    # told, so its row is not marked (the review: every described winner of unknown sex was, in any
    # story whose tags named nobody of a known sex). The same description with a sex is marked.
    from types import SimpleNamespace

    from bot.parsing.attribution.exchange import decision

    def view(gender: dict[str, str]) -> SimpleNamespace:
        result = SimpleNamespace(speaker="the stranger", margin=None, rule="unnamed")
        lexicon = SimpleNamespace(described={"the stranger"}, gender=gender)
        return SimpleNamespace(results=[result], lexicon=lexicon, turn_of=[0], tag_after=[None])

    candidates = ["the stranger", "Mary"]
    assert decision(view({"Mary": "F"}), 0, candidates, 3, {"F"})[4] == 0
    assert decision(view({"Mary": "F", "the stranger": "M"}), 0, candidates, 3, {"F"})[4] == 0b01
    assert decision(view({"Mary": "F", "the stranger": "F"}), 0, candidates, 3, {"F"})[4] == 0


def test_the_described_unnamed_and_the_unsure_share_inputs():
    scores = [1.0, 0.5, 0.0]
    # The winner's bit (row 0, then row 1) says whether it is a described one of an untagged sex.
    assert stage_inputs(scores, 0, (0, -1.0, "unnamed", 0, 0b01, 0))[INPUTS.index("described_unnamed")] == 1.0
    assert stage_inputs(scores, 0, (0, -1.0, "unnamed", 0, 0b10, 0))[INPUTS.index("described_unnamed")] == 0.0
    assert stage_inputs(scores, 1, (0, -1.0, "unnamed", 0, 0b10, 0))[INPUTS.index("described_unnamed")] == 1.0
    # The story's tags, log-scaled, times how unsure the winner's share is.
    share = math.exp(1.0) / sum(math.exp(s) for s in scores)
    unsure = stage_inputs(scores, 0, (0, -1.0, "pronoun", 40, 0, 0))[INPUTS.index("story_tags_unsure")]
    assert math.isclose(unsure, (1 - share) * math.log1p(40) / 5)
    assert stage_inputs(scores, 0, (0, -1.0, "pronoun", 0, 0, 0))[INPUTS.index("story_tags_unsure")] == 0.0


@pure_parser
def test_the_committed_confidence_trusts_a_speaker_nobody_of_their_sex_could_be():
    # The same rows and reading, with and without the old man's mark: surer with it; and in a
    # story with more tags, an unsure pick is surer.
    _, calls = read("Chapter 1\n\n" + _FIRESIDE)
    candidates, rows, decision = calls[0]
    scorer = committed()
    marked = scorer.choose(rows, decision)
    plain = scorer.choose(rows, (*decision[:4], 0, *decision[5:]))
    assert marked[0] == plain[0] == candidates.index("the old man")
    assert marked[1] > plain[1] + 0.02
    thin = [[(INDEX["two_turns"], 1.0)], [(INDEX["prev_turn"], 1.0)], []]
    few = scorer.choose(thin, (-1, -1.0, "", 2, 0, 0))[1]
    assert scorer.choose(thin, (-1, -1.0, "", 400, 0, 0))[1] > few + 0.01
