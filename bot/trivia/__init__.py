"""Trivia: questions generated from stories and the rules of one game, with no Discord or SQLite."""
from bot.trivia.answers import normalize_answer, typed_answer_matches
from bot.trivia.material import (
    TriviaCharacter,
    TriviaLine,
    TriviaParagraph,
    TriviaStory,
    chapter_label,
    trivia_story_from_parsed,
)
from bot.trivia.questions import QuestionKind, TriviaQuestion, generate_questions
from bot.trivia.session import (
    Answer,
    AnswerOutcome,
    EndReason,
    GameSession,
    OpenQuestion,
    QuestionResult,
    Standing,
)

__all__ = [
    "Answer",
    "AnswerOutcome",
    "EndReason",
    "GameSession",
    "OpenQuestion",
    "QuestionKind",
    "QuestionResult",
    "Standing",
    "TriviaCharacter",
    "TriviaLine",
    "TriviaParagraph",
    "TriviaQuestion",
    "TriviaStory",
    "chapter_label",
    "generate_questions",
    "normalize_answer",
    "trivia_story_from_parsed",
    "typed_answer_matches",
]
