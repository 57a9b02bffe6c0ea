"""Whether an exchange's reading holds together (branch exch15, bench/exchange_reading.py): the
exchange decoder's forward-backward posteriors, recorded through a parse by a hooked copy of the
decoder, and the scorer's shares read again as one exchange. Measured there, not kept in the
parser. The bench sets STORYBOT_PURE_PYTHON when imported, so each test imports it inside (run in
a pure-Python child by `pure_parser`)."""
from __future__ import annotations

import itertools
import math
import sys
from pathlib import Path

from tests.pure_parser import pure_parser

BENCH = str(Path(__file__).resolve().parent.parent / "bench")


def _bench():
    sys.path.insert(0, BENCH)
    import exchange_reading

    return exchange_reading


@pure_parser
def test_smoothed_shares_are_the_exchange_posteriors():
    er = _bench()
    turns = [{"Anna": 0.9, "Ben": 0.1}, {"Ben": 0.6, "Anna": 0.3, "Carl": 0.1}, {"Anna": 0.5, "Ben": 0.5},
             {"Ben": 0.8, "Carl": 0.2}]
    gaps = [None, 0, 1, 0]
    found = er._smoothed(turns, gaps)
    # Brute force over every reading of the exchange, with decoding.py's tables.
    names = ["Anna", "Ben", "Carl"]
    k = len(names)

    def step(gap, before, now, after):
        table = er._GAP if gap else er._ADJ
        if before is None:
            return math.exp(table["start-same"] if after == now else table["start-other"]) / (
                1 if after == now else k - 1)
        if before != now:
            if after == now:
                return math.exp(table["alt-same"])
            if after == before:
                return math.exp(table["alt-back"])
            return math.exp(table["alt-new"]) / (k - 2)
        return math.exp(table["run-same"]) if after == now else math.exp(table["run-new"]) / (k - 1)

    evidence = [[max(t.get(n, 0.0), 1e-3) for n in names] for t in turns]
    evidence = [[v / sum(row) for v in row] for row in evidence]
    total = 0.0
    marginal = [[0.0] * k for _ in turns]
    for path in itertools.product(range(k), repeat=len(turns)):
        p = 1 / k * evidence[0][path[0]]
        for i in range(1, len(turns)):
            p *= step(gaps[i], path[i - 2] if i >= 2 else None, path[i - 1], path[i]) * evidence[i][path[i]]
        total += p
        for i, j in enumerate(path):
            marginal[i][j] += p
    for i, by in enumerate(found):
        for j, name in enumerate(names):
            assert abs(by[name] - marginal[i][j] / total) < 1e-9
    # The tied turn leans to Anna: strict alternation from the turns around gives it to her.
    assert found[2]["Anna"] > 0.6


@pure_parser
def test_decoder_posteriors_recorded_through_a_parse_and_the_hooks_put_back():
    er = _bench()
    import bot.parsing.attribution as attribution
    from bot.parsing.attribution.rules import ChapterAttributor

    decode = ChapterAttributor._decode
    text = (
        "Anna walked to the mill. Anna met Ben there. Ben was carrying sacks of flour.\n\n"
        '"Good morning," said Anna.\n\n"Good morning," said Ben.\n\n"Is the wheel turning today?"\n\n'
        '"Since dawn."\n\n"Then the flour will be ready."\n\n"By noon," said Ben.\n\n'
    )
    records, context, quotes = er.record(text.encode(), "t.txt")
    assert len(records) == len(context) == len(quotes) == 6
    assert ChapterAttributor._decode is decode and attribution.decide is er._real_decide
    untagged = [c for c in context if c["anchor"] is None]
    assert len(untagged) == 3
    for c in untagged:
        # The decoder read these turns: a distribution over the exchange's speakers, the rules'
        # pick (strict alternation between the two tags) the likeliest.
        post = c["posterior"]
        assert post and abs(sum(post.values()) - 1) < 1e-9
        assert max(post, key=post.get) == c["rules"]
    assert [c["rules"] for c in untagged] == ["Anna", "Ben", "Anna"]
    # All six turns are one exchange.
    assert len({c["exchange"] for c in context}) == 1


@pure_parser
def test_an_exchange_decoded_again_split_at_its_narration():
    er = _bench()
    text = (
        "Anna walked to the mill. Anna met Ben there. Ben was carrying sacks of flour.\n\n"
        '"Good morning," said Anna.\n\n"Good morning," said Ben.\n\n"Is the wheel turning today?"\n\n'
        "The wheel creaked.\n\n"
        '"Since dawn."\n\n"Then the flour will be ready."\n\n"By noon," said Ben.\n\n'
    )
    _, context, _ = er.record(text.encode(), "t.txt")
    # One exchange across the short narration, decoded whole and in two pieces.
    assert len({c["exchange"] for c in context}) == 1
    assert {c["split"][1] for c in context} == {2}
    assert [c["rules"] for c in context] == ["Anna", "Ben", "Anna", "Ben", "Anna", "Ben"]
    # A tagged turn reads the same either way; the piece after the narration, alone, has only
    # Ben's tag and no turn before it: its reading of an untagged turn may change, and is marked.
    assert not any(c["split"][0] for c in context if c["anchor"] is not None)
    assert any(c["split"][0] for c in context if c["anchor"] is None)
    # Without the narration: one piece, nothing decoded again.
    _, whole, _ = er.record(text.replace("The wheel creaked.\n\n", "").encode(), "t.txt")
    assert {c["split"] for c in whole} == {(False, 1)}
