"""The exchange decoder's margin as evidence: how much likelier its best reading of an exchange is
than the best reading that gives a turn to someone else, and who that someone is."""
from __future__ import annotations

from bot.parsing import parse_story
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
def test_an_untagged_exchange_after_a_break_is_a_close_reading():
    # After a narration paragraph nothing says who opens the exchange: Anna then Ben, or Ben then
    # Anna, are about as likely, and the next best reading gives each turn to the other one.
    quotes, seen, _ = read(CAST + 'The sun went down over the mill.\n\n"Is it far?"\n\n"Not very."\n\n')
    speakers = [q.speaker for q in quotes[-2:]]
    assert set(speakers) == {"Anna", "Ben"}
    for speaker, features in zip(speakers, seen[-2:], strict=True):
        other = ({"Anna", "Ben"} - {speaker}).pop()
        assert "decoder_close" in features[speaker]
        assert "decoder_runner_up" in features[other]


@pure_parser
def test_a_turn_next_to_its_tag_is_not_a_close_reading():
    # Anna asks in a tag; the answer is Ben's by the decoder by a wide margin.
    quotes, seen, rows = read(CAST + '"Is it far?" said Anna.\n\n"Not very."\n\n')
    assert quotes[-1].speaker == "Ben"
    assert "decoder_close" not in seen[-1]["Ben"]
    assert "decoder_runner_up" not in seen[-1]["Anna"]
    margin = rows[-1]["Ben"][INDEX["decoder_margin"]]
    assert margin > 1 / 6  # over the close margin (1, over the cap of 6)
