"""The scorer's evidence about the two sides of an exchange: how the turn before ended (a
question, a speech broken off, a long speech), a short reply, an exchange that has alternated
between one pair, and a narration paragraph between two turns naming someone."""
from __future__ import annotations

from types import SimpleNamespace

from bot.parsing import parse_story
from bot.parsing.attribution.evidence import FEATURES, pair_so_far
from bot.parsing.attribution.scorer import INPUTS, NO_DECISION, Scorer, committed
from tests.pure_parser import pure_parser

CAST = (
    "Anna walked to the mill. Anna met Ben there. Ben was carrying sacks of flour.\n\n"
    '"Good morning," said Anna.\n\n"Good morning," said Ben.\n\n'
)


class Recording(Scorer):
    """The committed scorer, keeping each quotation's candidates and their features by name."""

    def __init__(self) -> None:
        base = committed()
        super().__init__(dict(zip(FEATURES, base.weights, strict=True)), dict(zip(INPUTS, base.confidence, strict=True)))
        self.seen: list[dict[str, set[str]]] = []

    def pick(self, candidates, rows, decision=NO_DECISION):
        self.seen.append({who: {FEATURES[i] for i, _ in row} for who, row in zip(candidates, rows, strict=False)})
        return super().pick(candidates, rows, decision)


def evidence(text: str) -> tuple[list, list[dict[str, set[str]]]]:
    scorer = Recording()
    story = parse_story(text.encode(), filename="t.txt", model=scorer)
    return story.quotes, scorer.seen


@pure_parser
def test_a_question_is_answered_by_the_other_side():
    quotes, seen = evidence(CAST + '"Where were you at dawn?" asked Anna.\n\n"At the river."\n\n')
    assert quotes[-1].speaker == "Ben"
    assert "answer_two_turns" in seen[-1]["Ben"]
    assert "answer_prev_turn" in seen[-1]["Anna"]
    # Without the question mark neither feature is there.
    _, seen = evidence(CAST + '"I was at the mill at dawn," said Anna.\n\n"At the river."\n\n')
    assert "answer_two_turns" not in seen[-1]["Ben"]
    assert "answer_prev_turn" not in seen[-1]["Anna"]


@pure_parser
def test_a_speech_broken_off_and_a_short_reply():
    _, seen = evidence(CAST + '"I only meant that the miller\u2014" said Anna.\n\n"I know."\n\n')
    assert "cut_two_turns" in seen[-1]["Ben"]
    assert "short_two_turns" in seen[-1]["Ben"]
    _, seen = evidence(CAST + '"I only meant that," said Anna.\n\n"I know what you meant by it, Anna, and so does he."\n\n')
    assert "cut_two_turns" not in seen[-1]["Ben"]
    assert "short_two_turns" not in seen[-1]["Ben"]


@pure_parser
def test_a_long_speech_before_is_marked_on_its_speaker():
    story = "It was a long winter, and the river froze early that year. " * 6
    _, seen = evidence(CAST + f'"{story}" said Anna.\n\n"And then?"\n\n')
    assert "long_prev_turn" in seen[-1]["Anna"]
    _, seen = evidence(CAST + '"It was a long winter," said Anna.\n\n"And then?"\n\n')
    assert "long_prev_turn" not in seen[-1]["Anna"]


@pure_parser
def test_an_exchange_of_one_pair_that_keeps_alternating():
    lines = '"Is it far?"\n\n"Not very."\n\n"Is it cold?"\n\n"Very."\n\n'
    quotes, seen = evidence(CAST + lines)
    assert [q.speaker for q in quotes[-4:]] == ["Anna", "Ben", "Anna", "Ben"]
    assert {"streak_two_turns", "pair_two_turns"} <= seen[-1]["Ben"]
    # A third speaker in the exchange: still alternating for the last turns, but no longer a pair.
    cast = CAST.replace('"Good morning," said Ben.', '"Good morning," said Carl.\n\n"Good morning," said Ben.')
    quotes, seen = evidence(cast + lines)
    assert quotes[1].speaker == "Carl"
    assert "streak_two_turns" in seen[-1]["Ben"]
    assert "pair_two_turns" not in seen[-1]["Ben"]


@pure_parser
def test_pair_so_far_looks_back_to_the_exchange_start():
    view = SimpleNamespace(
        turn_speaker=["Carl", "Anna", "Ben", "Anna", "Ben", "Ben", "Anna"], gap_before=[None, 0, 0, 0, 0, 0, 0]
    )

    assert not pair_so_far(view, 5, ("Ben", "Anna"))  # Anna Ben Anna Ben, then Carl
    view.gap_before = [None, None, 0, 0, 0, 0, 0]
    assert pair_so_far(view, 5, ("Ben", "Anna"))  # the exchange starts with Anna
    assert pair_so_far(view, 7, ("Anna", "Ben"))  # Ben twice in a row is still the pair
    view.turn_speaker = ["Carl", *["Anna", "Ben"] * 5]
    view.gap_before = [None] + [0] * 10
    assert pair_so_far(view, 9, ("Ben", "Anna"))  # Carl is nine turns back: past the eight looked at
    assert not pair_so_far(view, 8, ("Ben", "Anna"))


@pure_parser
def test_a_narration_paragraph_between_names_who_acts():
    quotes, seen = evidence(CAST + '"Is it late?" said Anna.\n\nBen looked up at the clock.\n\n"Nearly ten."\n\n')
    assert "named_between" in seen[-1]["Ben"]
    assert "named_between" not in seen[-1]["Anna"]
    assert quotes[-1].speaker == "Ben"


@pure_parser
def test_the_one_a_question_calls_on_by_name_answers_it():
    # answer_called: on whom the speech before calls by name when it asks a question, not when
    # it only calls on them.
    quotes, seen = evidence(CAST + '"Are you ready, Ben?" asked Anna.\n\n"Yes."\n\n')
    assert quotes[-1].text == "Yes."
    assert {"addressed_before", "answer_called"} <= seen[-1]["Ben"]
    assert "answer_called" not in seen[-1].get("Anna", set())
    quotes, seen = evidence(CAST + '"Come here, Ben," said Anna.\n\n"Yes."\n\n')
    assert "addressed_before" in seen[-1]["Ben"] and "answer_called" not in seen[-1]["Ben"]


@pure_parser
def test_the_one_the_next_speech_calls_on_is_marked():
    # called_after: the next turn of the exchange calls them by name, so it answers them, and
    # none_called_after_pick when that is the rules' own pick.
    cast = CAST.replace('"Good morning," said Ben.', '"Good morning," said Carl.\n\n"Good morning," said Ben.')
    quotes, seen = evidence(cast + '"Is the mill open?" said Anna.\n\n"Not yet."\n\n"You always say that, Carl."\n\n')
    assert quotes[-2].text == "Not yet."
    assert "called_after" in seen[-2]["Carl"]
    assert "called_after" not in seen[-2].get("Ben", set())
    # Narration that breaks the exchange: the speech after it answers nobody here.
    quotes, seen = evidence(cast + '"Is the mill open?" said Anna.\n\n"Not yet."\n\n'
                            + "The morning wore on.\n\nThe sacks were carried in one by one.\n\n"
                            '"You always say that, Carl."\n\n')
    assert all("called_after" not in features for features in seen[-2].values())


class RecordingNone(Recording):
    """... and the features of each quotation's "none of them" row."""

    def __init__(self) -> None:
        super().__init__()
        self.none: list[set[str]] = []

    def pick(self, candidates, rows, decision=NO_DECISION):
        self.none.append({FEATURES[i] for i, _ in rows[-1]})
        return super().pick(candidates, rows, decision)


@pure_parser
def test_the_rules_pick_called_on_by_the_next_speech_is_marked_on_none():
    scorer = RecordingNone()
    text = CAST + '"Is it far?"\n\n"Not very."\n\n"Good, Ben. Then we walk."\n\n'
    story = parse_story(text.encode(), filename="t.txt", model=scorer)
    assert story.quotes[-2].speaker == "Ben"
    assert "none_called_after_pick" in scorer.none[-2]
    assert "none_called_after_pick" not in scorer.none[-3]  # "Is it far?": the next speech calls nobody


@pure_parser
def test_a_reply_called_on_by_the_next_speech_is_surer():
    # The committed weights: "Not very." is Ben's by turn-taking either way, and surer when the
    # next speech calls Ben by name.
    lines = '"Is it far?"\n\n"Not very."\n\n"Good{}. Then we walk."\n\n'
    called = parse_story((CAST + lines.format(", Ben")).encode(), filename="t.txt").quotes
    plain = parse_story((CAST + lines.format("")).encode(), filename="t.txt").quotes
    assert called[-2].speaker == plain[-2].speaker == "Ben"
    assert called[-2].confidence > plain[-2].confidence + 0.03
