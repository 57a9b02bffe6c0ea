"""Question generation on small hand-made stories, where the right answer is known exactly."""
import random

from bot.trivia.material import TriviaCharacter, TriviaLine, TriviaParagraph, TriviaStory
from bot.trivia.questions import (
    BLANK,
    SPEAKER_CONFIDENCE,
    QuestionKind,
    generate_questions,
    names_itself,
    norm,
    same_person,
)

CHARACTERS = (
    TriviaCharacter("Naruto", ("Uzumaki Naruto", "Naruto-kun"), 120),
    TriviaCharacter("Sasuke", ("Uchiha Sasuke",), 80),
    TriviaCharacter("Sakura", ("Haruno Sakura",), 60),
    TriviaCharacter("Kakashi", ("Kakashi-sensei",), 50),
    TriviaCharacter("Iruka", (), 30),
    TriviaCharacter("Hinata", (), 5),
)

# (chapter, speaker, confidence, line)
DIALOGUE = [
    (0, "Naruto", 0.95, "I am going to be the greatest ninja this village has ever seen"),
    (0, "Sasuke", 0.9, "You are still far too slow to catch me today"),
    (0, "Sakura", 0.9, "Both of you stop fighting before the teacher comes back"),
    (1, "Kakashi", 0.92, "My first impression of this team is that I dislike you all"),
    (1, "Iruka", 0.9, "Come along and I will buy everyone a bowl of ramen later"),
    (1, "Hinata", 0.92, "I will never go back on my word either, that is my way"),
    (1, "Sakura", 0.85, "A line whose speaker is likely but not sure enough for a game"),
    (2, "Naruto", 0.5, "Somebody said this line but nobody is sure who it was"),
    (2, "Sasuke", 0.9, "I never asked you to follow me, Naruto, so go home now"),
    (2, "Kakashi", 0.9, "Yes"),
    (2, "Sakura", 0.95, "Sakura will not lose to anyone in the exams this year"),
    (3, "Iruka", 0.9, "The scroll of sealing holds techniques nobody should learn"),
    (3, "Naruto", 0.9, "Whatever happens out there, I will bring him back home"),
]
NARRATION = [
    (0, "The wind rattled the shutters of the abandoned academy while Naruto waited outside."),
    (1, "Kakashi flipped another page of his battered orange novel without looking up."),
    (2, "A lantern flickered above the gate where Sakura had promised to meet them."),
    (3, "Iruka wrapped the bandage around the scorched sleeve and sighed heavily."),
]


def build_story(story_id: int = 1, title: str = "Team Seven") -> TriviaStory:
    paragraphs = [TriviaParagraph(c, text) for c, text in NARRATION]
    lines = []
    for chapter, speaker, confidence, text in DIALOGUE:
        paragraphs.append(TriviaParagraph(chapter, f'"{text}," {speaker} said.'))
        lines.append(TriviaLine(text, speaker, confidence, chapter))
    return TriviaStory(
        story_id, title, ("Chapter 1", "Chapter 2", "Chapter 3", "Chapter 4"),
        tuple(sorted(paragraphs, key=lambda p: p.chapter)), tuple(lines), CHARACTERS,
    )


def other_story() -> TriviaStory:
    text = "Gaara stared at the desert and said nothing for a very long while."
    line = "The sand protects me whether I want it to or not"
    return TriviaStory(
        2, "Sand Siblings", ("Chapter 1",),
        (TriviaParagraph(0, text), TriviaParagraph(0, f'"{line}," Gaara said.')),
        (TriviaLine(line, "Gaara", 0.9, 0),), (TriviaCharacter("Gaara", (), 10),),
    )


def many_questions(stories, seed: int, count: int = 50):
    return generate_questions(stories, count, rng=random.Random(seed))


def test_who_said_uses_only_confident_multiword_lines_not_naming_the_speaker() -> None:
    story = build_story()
    by_text = {text: (speaker, conf) for _, speaker, conf, text in DIALOGUE}
    seen = set()
    for seed in range(30):
        for q in many_questions([story], seed):
            if q.kind is not QuestionKind.WHO_SAID:
                continue
            speaker, confidence = by_text[q.excerpt]
            assert confidence >= SPEAKER_CONFIDENCE
            assert q.answer_text == speaker
            assert len(q.excerpt.split()) > 1
            assert speaker.casefold() not in q.excerpt.casefold()
            assert len(q.options) == 4 and len(set(q.options)) == 4
            seen.add(q.excerpt)
    assert "Somebody said this line but nobody is sure who it was" not in seen  # low confidence
    assert "A line whose speaker is likely but not sure enough for a game" not in seen
    assert "Sakura will not lose to anyone in the exams this year" not in seen  # names its speaker
    assert "Yes" not in seen
    assert "You are still far too slow to catch me today" in seen


def test_who_said_distractors_are_speakers_of_similar_prominence_never_aliases() -> None:
    story = build_story()
    speakers = {speaker for _, speaker, _, _ in DIALOGUE}
    for seed in range(30):
        for q in many_questions([story], seed):
            if q.kind is QuestionKind.WHO_SAID:
                assert set(q.options) <= speakers
                if q.answer_text == "Naruto":
                    # The most prominent character is never paired with the least prominent one.
                    assert "Hinata" not in q.options


def test_alias_of_the_speaker_is_never_a_distractor() -> None:
    story = build_story()
    twin = TriviaCharacter("Uzumaki Naruto", (), 110)  # the parser failed to merge the two names
    lines = (*story.lines, TriviaLine("Dattebayo is what I always shout out loud", "Uzumaki Naruto", 0.9, 0))
    story = TriviaStory(
        story.story_id, story.title, story.chapters,
        (*story.paragraphs, TriviaParagraph(0, '"Dattebayo is what I always shout out loud!"')),
        lines, (*story.characters, twin),
    )
    for seed in range(40):
        for q in many_questions([story], seed):
            if q.kind is QuestionKind.WHO_SAID and q.answer_text in ("Naruto", "Uzumaki Naruto"):
                assert not {"Naruto", "Uzumaki Naruto"} <= set(q.options)


def test_line_said_by_two_characters_has_no_who_said_question() -> None:
    story = build_story()
    echo = "You are still far too slow to catch me today"
    story = TriviaStory(
        story.story_id, story.title, story.chapters, story.paragraphs,
        (*story.lines, TriviaLine(echo, "Kakashi", 0.9, 3)), story.characters,
    )
    for seed in range(20):
        for q in many_questions([story], seed):
            assert not (q.kind is QuestionKind.WHO_SAID and q.excerpt == echo)


def test_which_chapter_answer_is_the_chapter_holding_the_line() -> None:
    story = build_story()
    chapter_of = {text: chapter for chapter, _, _, text in DIALOGUE}
    kinds = set()
    for seed in range(20):
        for q in many_questions([story], seed):
            kinds.add(q.kind)
            if q.kind is QuestionKind.WHICH_CHAPTER:
                assert q.answer_text == story.chapters[chapter_of[q.excerpt]]
                assert 3 <= len(q.options) <= 4
                assert list(q.options) == sorted(q.options)  # story order
    assert QuestionKind.WHICH_CHAPTER in kinds
    assert QuestionKind.WHICH_STORY not in kinds  # only one story in play


def test_no_which_chapter_question_for_stories_under_three_chapters() -> None:
    story = other_story()
    for seed in range(10):
        assert all(q.kind is not QuestionKind.WHICH_CHAPTER for q in many_questions([story], seed))


def test_which_story_needs_two_stories_and_names_the_right_one() -> None:
    stories = [build_story(), other_story()]
    found = 0
    for seed in range(20):
        for q in many_questions(stories, seed):
            if q.kind is QuestionKind.WHICH_STORY:
                found += 1
                assert set(q.options) == {"Team Seven", "Sand Siblings"}
                home = next(s for s in stories if s.story_id == q.story_id)
                assert q.answer_text == home.title
                assert any(norm(q.excerpt) in norm(p.text) for p in home.paragraphs)
    assert found


def test_missing_word_blank_restores_the_story_text_and_options_share_the_kind() -> None:
    story = build_story()
    names = {c.name for c in CHARACTERS}
    found = 0
    for seed in range(30):
        for q in many_questions([story], seed):
            if q.kind is not QuestionKind.MISSING_WORD:
                continue
            found += 1
            assert q.excerpt.count(BLANK) == 1
            assert q.excerpt.replace(BLANK, q.answer_text) == q.evidence
            assert any(q.evidence in p.text for p in story.paragraphs)
            assert len(set(q.options)) == 4
            if q.answer_text in names:
                assert set(q.options) <= names
            else:
                assert all(o.islower() and len(o) >= 6 for o in q.options)
            for wrong in q.options:
                if wrong != q.answer_text:
                    assert wrong.casefold() not in q.evidence.casefold()
    assert found


def test_questions_never_repeat_a_line_and_stop_when_material_runs_out() -> None:
    story = build_story()
    questions = many_questions([story], 3, count=500)
    evidence = [norm(q.evidence) for q in questions]
    assert len(evidence) == len(set(evidence))
    assert 10 <= len(questions) < 500


def test_same_rng_seed_gives_the_same_game() -> None:
    story = build_story()
    assert many_questions([story], 11, 10) == many_questions([story], 11, 10)


def test_nothing_from_an_empty_story() -> None:
    empty = TriviaStory(9, "Empty", (), (), (), ())
    assert generate_questions([empty], 10, rng=random.Random(1)) == []


def test_helpers_for_names() -> None:
    naruto, twin = CHARACTERS[0], TriviaCharacter("Uzumaki Naruto")
    assert same_person(naruto, twin)
    assert not same_person(CHARACTERS[1], TriviaCharacter("Uchiha Itachi"))
    assert names_itself("Believe it, Naruto-kun!", naruto)
    assert names_itself("Uzumaki is my family name", naruto)
    assert not names_itself("Ramen is the best food", naruto)
