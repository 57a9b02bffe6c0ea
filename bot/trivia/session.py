"""One trivia game as a plain object: its methods take the time and return outcomes; the cog sends them."""
from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import Enum, StrEnum

from bot.trivia.questions import TriviaQuestion

log = logging.getLogger(__name__)

BASE_POINTS = 10
MAX_SPEED_BONUS = 5
IDLE_QUESTIONS_TO_END = 2  # this many questions in a row without a single answer end the game


class AnswerOutcome(Enum):
    LOCKED_IN = "locked in"
    ALREADY_ANSWERED = "already answered"
    TOO_LATE = "too late"
    NO_QUESTION = "no question open"
    NOT_AN_OPTION = "not an option"


class EndReason(StrEnum):
    """Also the game's final state in the store."""

    FINISHED = "finished"  # every question asked
    STOPPED = "stopped"  # /trivia stop
    IDLE = "idle"  # two questions in a row went unanswered
    INTERRUPTED = "interrupted"  # the bot stopped mid-game


@dataclass(frozen=True, slots=True)
class Answer:
    player_id: int
    choice: int
    at: float
    correct: bool
    points: int


@dataclass(frozen=True, slots=True)
class OpenQuestion:
    number: int  # 1-based
    total: int
    question: TriviaQuestion
    opened_at: float
    deadline: float  # same clock as the times given to the session (the cog uses Unix time)


@dataclass(frozen=True, slots=True)
class Standing:
    player_id: int
    points: int
    correct: int
    answered: int
    rank: int  # players with equal points share a rank


@dataclass(frozen=True, slots=True)
class QuestionResult:
    number: int
    question: TriviaQuestion
    answers: tuple[Answer, ...]  # in the order they arrived
    top_three: tuple[Standing, ...]
    game_over: EndReason | None

    @property
    def winners(self) -> tuple[Answer, ...]:
        return tuple(a for a in self.answers if a.correct)


@dataclass(slots=True)
class _Tally:
    points: int = 0
    correct: int = 0
    answered: int = 0
    first_seen: int = 0  # ties broken by who joined first, so standings are stable


@dataclass
class GameSession:
    questions: Sequence[TriviaQuestion]
    answer_seconds: float = 20.0
    _current: OpenQuestion | None = None
    _answers: dict[int, Answer] = field(default_factory=dict)
    _tallies: dict[int, _Tally] = field(default_factory=dict)
    _asked: int = 0
    _idle_streak: int = 0
    _stop_requested: bool = False
    _ended: EndReason | None = None

    def __post_init__(self) -> None:
        if not self.questions:
            raise ValueError("a game needs at least one question")
        if self.answer_seconds <= 0:
            raise ValueError("answer_seconds must be positive")

    @property
    def total(self) -> int:
        return len(self.questions)

    @property
    def current(self) -> OpenQuestion | None:
        return self._current

    @property
    def asked(self) -> int:
        """Questions closed so far."""
        return self._asked

    @property
    def end_reason(self) -> EndReason | None:
        return self._ended

    @property
    def is_over(self) -> bool:
        return self._ended is not None

    def open_question(self, now: float) -> OpenQuestion:
        if self._ended is not None:
            raise RuntimeError("the game is over")
        if self._current is not None:
            raise RuntimeError("a question is already open")
        q = self.questions[self._asked]
        self._current = OpenQuestion(self._asked + 1, self.total, q, now, now + self.answer_seconds)
        self._answers = {}
        return self._current

    def question_shown(self, now: float) -> OpenQuestion:
        """The open question is on screen from `now`: its answer window starts then.

        Posting it may take seconds (Discord answering 5xx and the post being retried); that time
        is not the players'. The deadline only ever moves later, so an answer already locked in
        keeps its place.
        """
        current = self._current
        if current is None:
            raise RuntimeError("no question is open")
        if now + self.answer_seconds > current.deadline:
            current = replace(current, opened_at=now, deadline=now + self.answer_seconds)
            self._current = current
        return current

    def answer(self, player_id: int, choice: int, now: float) -> AnswerOutcome:
        """Record a player's one answer to the open question; the first one counts, for good."""
        current = self._current
        if current is None:
            return AnswerOutcome.NO_QUESTION
        if player_id in self._answers:
            return AnswerOutcome.ALREADY_ANSWERED
        if now > current.deadline:
            return AnswerOutcome.TOO_LATE
        if not 0 <= choice < len(current.question.options):
            return AnswerOutcome.NOT_AN_OPTION
        correct = choice == current.question.answer
        points = self._points(now) if correct else 0
        self._answers[player_id] = Answer(player_id, choice, now, correct, points)
        return AnswerOutcome.LOCKED_IN

    def answer_typed(self, player_id: int, text: str, now: float) -> AnswerOutcome | None:
        """A chat message as an answer; None when the question takes no typed answers or the
        message names no option (ordinary chat is not an answer)."""
        current = self._current
        if current is None or not current.question.accepts_typed:
            return None
        choice = current.question.matches_typed(text)
        if choice is None:
            return None
        return self.answer(player_id, choice, now)

    def _points(self, now: float) -> int:
        assert self._current is not None
        left = max(0.0, self._current.deadline - now) / self.answer_seconds
        # Round half up (round() would send 2.5 to 2): the bonus shrinks by one point per fifth.
        return BASE_POINTS + math.floor(MAX_SPEED_BONUS * min(1.0, left) + 0.5)

    def request_stop(self) -> None:
        """End the game when the open question closes (or at once if none is open)."""
        self._stop_requested = True
        if self._current is None and self._ended is None:
            self._ended = EndReason.STOPPED

    def close_question(self) -> QuestionResult:
        """Score the open question; the result says whether the game is over and why."""
        current = self._current
        if current is None:
            raise RuntimeError("no question is open")
        answers = tuple(sorted(self._answers.values(), key=lambda a: a.at))
        for a in answers:
            tally = self._tallies.setdefault(a.player_id, _Tally(first_seen=len(self._tallies)))
            tally.answered += 1
            tally.points += a.points
            tally.correct += int(a.correct)
        self._asked += 1
        self._idle_streak = 0 if answers else self._idle_streak + 1
        self._current = None
        self._answers = {}
        if self._stop_requested:
            self._ended = EndReason.STOPPED
        elif self._asked >= self.total:
            self._ended = EndReason.FINISHED
        elif self._idle_streak >= IDLE_QUESTIONS_TO_END:
            self._ended = EndReason.IDLE
        return QuestionResult(current.number, current.question, answers, self.standings()[:3], self._ended)

    def interrupt(self) -> None:
        """The bot is going away mid-game without closing the open question (it could not reach a
        safe point): answers to that question are dropped."""
        self._current = None
        self._ended = self._ended or EndReason.INTERRUPTED

    def standings(self) -> tuple[Standing, ...]:
        ordered = sorted(
            self._tallies.items(), key=lambda kv: (-kv[1].points, -kv[1].correct, kv[1].first_seen)
        )
        out: list[Standing] = []
        for i, (player, t) in enumerate(ordered):
            rank = out[-1].rank if out and out[-1].points == t.points else i + 1
            out.append(Standing(player, t.points, t.correct, t.answered, rank))
        return tuple(out)
