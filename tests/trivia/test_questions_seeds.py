"""Question generation on the four bundled stories, each right answer checked against the text."""
from __future__ import annotations

import asyncio
import functools
import random
import tomllib
from collections import Counter
from pathlib import Path

import pytest

from bot.parsing import Story, parse_story
from bot.store import Store
from bot.store import trivia as repo
from bot.trivia import QuestionKind, TriviaStory, generate_questions, trivia_story_from_parsed
from bot.trivia.questions import BLANK, SPEAKER_CONFIDENCE, names_itself, norm, same_person
from bot.trivia.text import ParagraphText, StoryText

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
SEED_FILES = sorted(SEEDS.glob("*.txt"))
RNG_SEEDS = range(8)


@pytest.fixture(scope="module")
def parsed() -> dict[int, tuple[Story, TriviaStory]]:
    out = {}
    for i, path in enumerate(SEED_FILES, start=1):
        title = tomllib.loads(path.with_suffix(".toml").read_text(encoding="utf-8"))["title"]
        story = parse_story(path.read_bytes(), filename=path.name)
        out[i] = (story, trivia_story_from_parsed(story, story_id=i, title=title))
    return out


@functools.cache
def story_text(story: Story) -> str:
    return norm(" ".join(p for ch in story.chapters for p in ch.paragraphs))


def test_there_are_four_seeds() -> None:
    assert len(SEED_FILES) == 4


@pytest.mark.parametrize("index", range(1, 5))
def test_each_seed_alone_gives_a_game(parsed, index: int) -> None:
    _, material = parsed[index]
    questions = generate_questions([material], 10, rng=random.Random(index))
    assert len(questions) == 10
    assert all(q.story_id == index for q in questions)


def test_right_answers_are_proved_by_the_text(parsed) -> None:
    materials = [m for _, m in parsed.values()]
    kinds: Counter[str] = Counter()
    for seed in RNG_SEEDS:
        for q in generate_questions(materials, 50, rng=random.Random(seed)):
            kinds[q.kind.value] += 1
            story, material = parsed[q.story_id]
            assert 2 <= len(q.options) <= 4 and len({o.casefold() for o in q.options}) == len(q.options)
            assert q.answer_text == q.options[q.answer]
            text = story_text(story)
            notes = norm(" ".join(n.text for n in story.notes))
            assert f" {norm(q.evidence)} " in f" {text} ", q
            if q.kind is QuestionKind.WHO_SAID:
                check_who_said(story, material, q)
            elif q.kind is QuestionKind.WHICH_STORY:
                assert q.answer_text == material.title
                for option in q.options:
                    if option != q.answer_text:
                        other = next(s for s, m in parsed.values() if m.title == option)
                        assert f" {norm(q.evidence)} " not in f" {story_text(other)} "
            elif q.kind is QuestionKind.MISSING_WORD:
                check_missing_word(story, material, q, text)
            # Nothing comes from an author's note alone.
            assert norm(q.evidence) not in notes or norm(q.evidence) in text
    assert kinds["who_said"] and kinds["which_story"] and kinds["missing_word"]


def check_who_said(story: Story, material: TriviaStory, q) -> None:
    quotes = [x for x in story.quotes if x.text == q.excerpt]
    assert quotes and {x.speaker for x in quotes} == {q.answer_text}
    assert all(x.confidence >= SPEAKER_CONFIDENCE for x in quotes)
    assert len(q.excerpt.split()) > 1
    characters = {c.name: c for c in material.characters}
    speaker = characters[q.answer_text]
    assert not names_itself(q.excerpt, speaker)
    speaking = {x.speaker for x in story.quotes if x.speaker}
    for option in q.options:
        if option != q.answer_text:
            assert option in speaking  # a speaking character of the same story
            assert not same_person(characters[option], speaker)  # never an alias of the speaker


def check_missing_word(story: Story, material: TriviaStory, q, text: str) -> None:
    assert q.excerpt.count(BLANK) == 1
    assert q.excerpt.replace(BLANK, q.answer_text) == q.evidence
    names = {f for c in material.characters for f in c.forms}
    is_name = q.answer_text in names
    for option in q.options:
        # Same kind: all character names, or all lower-case words.
        assert (option in names) == is_name, q
        if option != q.answer_text:
            assert f" {norm(q.excerpt.replace(BLANK, option))} " not in f" {text} "
            assert option.casefold() not in norm(q.evidence).split()


async def test_store_material_matches_the_parsed_story(parsed, fresh_database) -> None:
    async with Store.open(fresh_database()) as store:
        async with store.db.execute("SELECT id, title FROM stories ORDER BY source") as cur:
            rows = await cur.fetchall()
        assert len(rows) == 4
        for (story_id, title), (_, material) in zip(rows, parsed.values(), strict=True):
            stored = await repo.load_story_material(store, story_id, title)
            assert stored.title == material.title
            assert stored.chapters == material.chapters
            assert stored.paragraphs == ()  # read through the indexes instead
            assert stored.lines == material.lines
            assert sorted(stored.characters, key=lambda c: c.name) == sorted(
                material.characters, key=lambda c: c.name
            )
            answers = await asyncio.to_thread(text_answers, stored.text, material)
            assert answers == text_answers(ParagraphText(material.paragraphs), material)
            assert answers[2], "the seeds have rare words"
            # Kept, so the next game reads them from trivia_words rather than the whole story.
            await store.write_behind.flush()
            async with store.db.execute("SELECT words FROM trivia_words WHERE story_id = ?", (story_id,)) as cur:
                assert (await cur.fetchone())[0].split() == answers[2]


def text_answers(text: StoryText, material: TriviaStory) -> tuple:
    """Everything generation asks of a story's text, for every line and a few sentences."""
    paragraphs = sorted(text.paragraphs(random.Random(1)), key=lambda p: (p.chapter, p.text))
    probes = [line.text for line in material.lines]
    probes += [p.text.split(". ")[0] for p in material.paragraphs[::7]]
    probes += ["words that no seed story ever says in this order"]
    return paragraphs, {probe: text.chapters_with(probe) for probe in probes}, text.rare_words()


async def test_games_from_the_store_match_the_rules(parsed, fresh_database) -> None:
    async with Store.open(fresh_database()) as store:
        async with store.db.execute("SELECT id, title FROM stories ORDER BY source") as cur:
            rows = await cur.fetchall()
        for (story_id, title), (story, material) in zip(rows, parsed.values(), strict=True):
            stored = await repo.load_story_material(store, story_id, title)
            with pytest.raises(RuntimeError, match="worker thread"):
                stored.text.rare_words()  # never on the event loop
            questions = await asyncio.to_thread(generate_questions, [stored], 10, rng=random.Random(3))
            assert len(questions) == 10
            text = story_text(story)
            for q in questions:
                assert q.story_id == story_id
                assert f" {norm(q.evidence)} " in f" {text} "
                if q.kind is QuestionKind.MISSING_WORD:
                    check_missing_word(story, material, q, text)
