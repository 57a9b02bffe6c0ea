"""GameSession rules: one answer per player, deadlines, scoring, standings and the ways a game ends."""
import pytest

from bot.trivia.questions import BLANK, QuestionKind, TriviaQuestion
from bot.trivia.session import AnswerOutcome, EndReason, GameSession


def question(answer: int = 1, kind: QuestionKind = QuestionKind.WHO_SAID) -> TriviaQuestion:
    options = ("Naruto", "Sasuke", "Sakura", "Kakashi")
    return TriviaQuestion(
        kind, "Who said this?", f"Believe it, {BLANK}!", options, answer, 1, "Story", 0,
        "Believe it, Sasuke!",
    )


def game(n: int = 3, seconds: float = 20.0) -> GameSession:
    return GameSession([question() for _ in range(n)], answer_seconds=seconds)


def test_first_answer_counts_and_cannot_change() -> None:
    g = game()
    g.open_question(100.0)
    assert g.answer(1, 0, 101.0) is AnswerOutcome.LOCKED_IN
    assert g.answer(1, 1, 102.0) is AnswerOutcome.ALREADY_ANSWERED
    result = g.close_question()
    assert [(a.player_id, a.choice, a.correct, a.points) for a in result.answers] == [(1, 0, False, 0)]


def test_answer_after_deadline_is_too_late() -> None:
    g = game(seconds=20)
    g.open_question(100.0)
    assert g.answer(1, 1, 120.0) is AnswerOutcome.LOCKED_IN  # exactly at the deadline still counts
    assert g.answer(2, 1, 120.01) is AnswerOutcome.TOO_LATE
    assert g.answer(2, 1, 110.0) is AnswerOutcome.LOCKED_IN  # a late click did not use up the answer


def test_answer_window_starts_when_the_question_is_shown() -> None:
    g = game(seconds=20)
    g.open_question(100.0)
    assert g.answer(1, 1, 100.5) is AnswerOutcome.LOCKED_IN  # seen as soon as the post landed
    shown = g.question_shown(104.0)  # the post was retried for four seconds
    assert (shown.opened_at, shown.deadline) == (104.0, 124.0) and g.current == shown
    assert g.answer(2, 1, 123.5) is AnswerOutcome.LOCKED_IN
    assert g.answer(3, 1, 124.5) is AnswerOutcome.TOO_LATE
    assert [a.points for a in g.close_question().answers] == [15, 10]


def test_showing_a_question_never_shortens_its_window() -> None:
    g = game(seconds=20)
    g.open_question(100.0)
    assert g.question_shown(99.0).deadline == 120.0
    g.close_question()
    with pytest.raises(RuntimeError):
        g.question_shown(130.0)


def test_no_question_open_and_bad_option() -> None:
    g = game()
    assert g.answer(1, 1, 0.0) is AnswerOutcome.NO_QUESTION
    g.open_question(0.0)
    assert g.answer(1, 7, 1.0) is AnswerOutcome.NOT_AN_OPTION
    assert g.answer(1, 1, 1.0) is AnswerOutcome.LOCKED_IN


@pytest.mark.parametrize(
    ("after", "points"), [(0.0, 15), (4.0, 14), (10.0, 13), (18.0, 11), (20.0, 10)]
)
def test_points_are_ten_plus_speed_bonus_up_to_five(after: float, points: int) -> None:
    g = game(seconds=20)
    g.open_question(1000.0)
    g.answer(7, 1, 1000.0 + after)
    (answer,) = g.close_question().answers
    assert answer.correct and answer.points == points


def test_running_top_three_and_shared_ranks() -> None:
    g = game(n=3)
    g.open_question(0.0)
    for player, t in ((1, 0.0), (2, 0.0), (3, 10.0), (4, 19.0)):
        g.answer(player, 1, t)
    g.answer(5, 0, 1.0)  # wrong
    result = g.close_question()
    assert [(s.player_id, s.points, s.rank) for s in result.top_three] == [(1, 15, 1), (2, 15, 1), (3, 13, 3)]
    assert [a.player_id for a in result.winners] == [1, 2, 3, 4]
    assert result.game_over is None
    standings = g.standings()
    assert [(s.player_id, s.correct, s.answered) for s in standings][-1] == (5, 0, 1)


def test_game_finishes_after_all_questions() -> None:
    g = game(n=2)
    for t in (0.0, 100.0):
        g.open_question(t)
        g.answer(1, 1, t + 1)
        result = g.close_question()
    assert result.game_over is EndReason.FINISHED and g.is_over
    with pytest.raises(RuntimeError):
        g.open_question(200.0)
    assert g.standings()[0].points == 2 * 15


def test_two_unanswered_questions_in_a_row_end_the_game() -> None:
    g = game(n=5)
    g.open_question(0.0)
    assert g.close_question().game_over is None
    g.open_question(30.0)
    g.answer(1, 0, 31.0)  # a wrong answer is still an answer: the streak resets
    assert g.close_question().game_over is None
    g.open_question(60.0)
    assert g.close_question().game_over is None
    g.open_question(90.0)
    result = g.close_question()
    assert result.game_over is EndReason.IDLE
    assert g.asked == 4


def test_stop_during_question_keeps_its_answers() -> None:
    g = game(n=5)
    g.open_question(0.0)
    g.answer(1, 1, 1.0)
    g.request_stop()
    assert g.current is not None  # the open question still closes normally
    result = g.close_question()
    assert result.game_over is EndReason.STOPPED
    assert g.standings()[0].points == 15


def test_stop_between_questions_ends_at_once() -> None:
    g = game(n=5)
    g.request_stop()
    assert g.end_reason is EndReason.STOPPED


def test_typed_answers_only_for_missing_word_questions() -> None:
    g = GameSession([question(kind=QuestionKind.WHO_SAID), question(kind=QuestionKind.MISSING_WORD)])
    g.open_question(0.0)
    assert g.answer_typed(1, "sasuke", 1.0) is None
    g.close_question()
    g.open_question(10.0)
    assert g.answer_typed(1, "what a question", 11.0) is None  # chat, not an answer
    assert g.answer_typed(1, "sasuke-kun!", 11.0) is AnswerOutcome.LOCKED_IN
    assert g.answer_typed(2, "Sakura", 12.0) is AnswerOutcome.LOCKED_IN
    assert g.answer(1, 0, 13.0) is AnswerOutcome.ALREADY_ANSWERED
    result = g.close_question()
    assert [(a.player_id, a.correct) for a in result.answers] == [(1, True), (2, False)]


def test_interrupt_drops_the_open_question() -> None:
    g = game()
    g.open_question(0.0)
    g.answer(1, 1, 1.0)
    g.interrupt()
    assert g.end_reason is EndReason.INTERRUPTED and g.standings() == ()


def test_needs_questions() -> None:
    with pytest.raises(ValueError):
        GameSession([])
