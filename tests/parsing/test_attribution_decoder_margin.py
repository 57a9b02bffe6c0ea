"""The exchange decoder's margin as evidence: how much likelier its best reading of an exchange is
than the best reading that gives a turn to someone else."""
from __future__ import annotations

from bot.parsing import parse_story
from bot.parsing.attribution.decoding import ExchangeDecoder
from bot.parsing.attribution.evidence import INDEX
from tests.parsing.test_attribution_turn_evidence import CAST, Recording
from tests.pure_parser import pure_parser


class Rows(Recording):
    """The committed scorer, keeping each quotation's rows with their values too."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, dict[int, float]]] = []

    def pick(self, candidates, rows):
        self.rows.append({who: dict(row) for who, row in zip(candidates, rows, strict=False)})
        return super().pick(candidates, rows)


def read(text: str):
    scorer = Rows()
    story = parse_story(text.encode(), filename="t.txt", model=scorer)
    return story.quotes, scorer.seen, scorer.rows


@pure_parser
def test_margins_are_max_marginals_over_the_kept_states():
    # Two candidates (k = 2), two turns, no transition or emission cost after the first turn:
    # turn 0 is speaker 0's by 1 (0.0 against -1.0); turn 1 can be either at the same best score.
    k = 2
    history = [{k * k + 0: 0.0, k * k + 1: -1.0}, {0: 0.0, 1: 0.0, 2: -1.0, 3: -1.0}]
    margins = ExchangeDecoder._margins(None, history, [False, False], [[0.0, 0.0], [0.0, 0.0]],
                                       lambda gap, i0, i1: [0.0, 0.0], k)
    assert margins == [1.0, 0.0]
    # A turn whose other speaker the search dropped is read with the widest margin.
    margins = ExchangeDecoder._margins(None, [{k * k + 0: 0.0}, {0: 0.0, 1: -3.0}], [False, False],
                                       [[0.0, 0.0], [0.0, 0.0]], lambda gap, i0, i1: [0.0, -3.0], k)
    assert margins == [10.0, 3.0]


@pure_parser
def test_an_untagged_exchange_after_a_break_is_a_close_reading():
    # After a narration paragraph nothing says who opens the exchange: Anna then Ben, or Ben then
    # Anna, are about as likely.
    quotes, seen, rows = read(CAST + 'The sun went down over the mill.\n\n"Is it far?"\n\n"Not very."\n\n')
    speakers = [q.speaker for q in quotes[-2:]]
    assert set(speakers) == {"Anna", "Ben"}
    for speaker, features, values in zip(speakers, seen[-2:], rows[-2:], strict=True):
        other = ({"Anna", "Ben"} - {speaker}).pop()
        assert "decoder_close" in features[speaker]
        assert values[speaker][INDEX["decoder_margin"]] < 1 / 6
        assert "decoder_margin" not in features[other]  # only on the rules' pick


@pure_parser
def test_a_turn_next_to_its_tag_is_not_a_close_reading():
    # Anna asks in a tag; the decoder gives the answer to Ben by a wide margin.
    quotes, seen, rows = read(CAST + '"Is it far?" said Anna.\n\n"Not very."\n\n')
    assert quotes[-1].speaker == "Ben"
    assert "decoder_close" not in seen[-1]["Ben"]
    assert rows[-1]["Ben"][INDEX["decoder_margin"]] > 1 / 6  # over the close margin (1, of a cap of 6)
