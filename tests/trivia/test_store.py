"""The trivia repository: game records, atomic per-question scores, leaderboards and recovery."""
from __future__ import annotations

import asyncio
import random
import sqlite3

import pytest

from bot.parsing.model import Chapter, Character, Note, Quote, Scene, Story
from bot.store import Store
from bot.store import trivia as repo
from bot.store.audience import Audience
from bot.store.loader import load_story
from bot.store.trivia import GameAlreadyRunning, ScoredAnswer

GUILD, OTHER_GUILD = 111, 222
HERE = Audience(GUILD)




def small_story(tag: str) -> Story:
    scenes = (
        Scene(None, (f'"The {tag} plan starts at dawn tomorrow," Naruto said.', f"Rain fell on the {tag} village.")),
    )
    return Story(
        title=None, summary=None,
        notes=(Note(0, "before", f"A/N: the {tag} note is not story text."),),
        chapters=(Chapter(7, "The Smallest Spark", scenes), Chapter(None, None, scenes)),
        quotes=(Quote(f"The {tag} plan starts at dawn tomorrow", "speech", "Naruto", 0.9, 0, 0, 0, 1, 39),),
        characters=(Character("Naruto", ("Uzumaki Naruto",), 9), Character("Sasuke", (), 4)),
    )


async def add_story(store: Store, tag: str, guild_id: int | None = None, rating: str = "T") -> int:
    return await load_story(
        store, small_story(tag), title=f"Story {tag}", content_hash=f"hash-{tag}", guild_id=guild_id,
        rating=rating,
    )


async def new_game(store: Store, channel: int = 5, story_id: int | None = None) -> int:
    return await repo.create_game(
        store, guild_id=GUILD, channel_id=channel, starter_id=1, story_id=story_id, questions=3
    )


async def test_material_reads_story_text_quotes_and_characters_but_not_notes(store: Store) -> None:
    story_id = await add_story(store, "red")
    await add_story(store, "blue")  # another story's text is never read as this one's
    (material,) = await repo.load_game_material(store, HERE, story_id, random.Random(1))
    assert material.title == "Story red"
    assert material.chapters == ("Chapter 7: The Smallest Spark", "Chapter 2")
    # The text is read through indexes, from the worker thread generation runs in.
    assert material.paragraphs == ()
    text = material.text
    paragraphs = await asyncio.to_thread(lambda: list(text.paragraphs(random.Random(1))))
    assert sorted(p.chapter for p in paragraphs) == [0, 0, 1, 1]
    assert not any("note" in p.text for p in paragraphs)
    assert await asyncio.to_thread(text.chapters_with, "the red note is not story text") == frozenset()
    assert await asyncio.to_thread(text.chapters_with, "rain fell on the RED village!") == {0, 1}
    assert await asyncio.to_thread(text.chapters_with, "rain fell on the red") == {0, 1}
    assert await asyncio.to_thread(text.chapters_with, "fell on the blue village") == frozenset()
    assert [(q.speaker, q.confidence) for q in material.lines] == [("Naruto", 0.9)]
    assert material.characters[0].name == "Naruto"
    assert material.characters[0].aliases == ("Uzumaki Naruto",)


async def test_material_respects_visibility_and_caps_the_library(store: Store) -> None:
    own = await add_story(store, "own", guild_id=OTHER_GUILD)
    assert await repo.load_game_material(store, HERE, own, random.Random(1)) == []
    mature = await add_story(store, "mature", rating="M")
    assert await repo.load_game_material(store, HERE, mature, random.Random(1)) == []
    assert await repo.load_game_material(store, Audience(GUILD, adult=True), mature, random.Random(1))
    for i in range(repo.MAX_STORIES_PER_GAME + 2):
        await add_story(store, f"s{i}")
    picked = await repo.load_game_material(store, HERE, None, random.Random(1))
    assert len(picked) == repo.MAX_STORIES_PER_GAME
    assert not {own, mature} & {s.story_id for s in picked}


async def test_one_running_game_per_channel(store: Store) -> None:
    first = await new_game(store, channel=5)
    with pytest.raises(GameAlreadyRunning):
        await new_game(store, channel=5)
    await new_game(store, channel=6)
    await repo.end_game(store, first, "stopped")
    await new_game(store, channel=5)  # the channel is free again


async def test_question_scores_are_written_once_and_atomically(store: Store) -> None:
    game = await new_game(store)
    answers = [ScoredAnswer(1, True, 15), ScoredAnswer(2, False, 0)]
    await repo.record_question(store, game_id=game, question_no=1, guild_id=GUILD, story_id=None, answers=answers)
    await repo.record_question(store, game_id=game, question_no=1, guild_id=GUILD, story_id=None, answers=answers)
    rows = await repo.game_scores(store, game)
    assert [(r.user_id, r.points, r.answered) for r in rows] == [(1, 15, 1), (2, 0, 1)]
    # A failing write leaves nothing behind: a negative score breaks the CHECK on the second row.
    with pytest.raises(sqlite3.IntegrityError):
        await repo.record_question(
            store, game_id=game, question_no=2, guild_id=GUILD, story_id=None,
            answers=[ScoredAnswer(3, True, 12), ScoredAnswer(4, True, -1)],
        )
    assert [r.user_id for r in await repo.game_scores(store, game)] == [1, 2]
    assert (await repo.get_game(store, game)).questions_done == 1


async def test_leaderboard_totals_ranks_and_own_row(store: Store) -> None:
    story_a, story_b = await add_story(store, "a"), await add_story(store, "b")
    g1, g2 = await new_game(store, channel=5), await new_game(store, channel=6)
    # user 100+i scores i*10 points on story a; user 7 plays both games, mostly on story b
    for i in range(1, 13):
        await repo.record_question(
            store, game_id=g1, question_no=i, guild_id=GUILD, story_id=story_a,
            answers=[ScoredAnswer(100 + i, True, i * 10)],
        )
    await repo.record_question(
        store, game_id=g1, question_no=13, guild_id=GUILD, story_id=story_a, answers=[ScoredAnswer(7, False, 0)]
    )
    await repo.record_question(
        store, game_id=g2, question_no=1, guild_id=GUILD, story_id=story_b, answers=[ScoredAnswer(7, True, 15)]
    )
    await repo.record_question(
        store, game_id=g2, question_no=2, guild_id=GUILD, story_id=story_b, answers=[ScoredAnswer(107, True, 50)]
    )

    board = await repo.leaderboard(store, GUILD, user_id=7)
    assert len(board.top) == 10 and board.players == 13
    # 107 and 112 tie on points and share first place; 107 is listed first for more correct answers.
    assert [(r.rank, r.user_id, r.points) for r in board.top[:3]] == [(1, 107, 120), (1, 112, 120), (3, 111, 110)]
    assert [r.points for r in board.top] == sorted((r.points for r in board.top), reverse=True)
    assert board.me is not None and board.me.user_id == 7
    assert (board.me.points, board.me.games, board.me.correct, board.me.answered) == (15, 2, 1, 2)
    assert board.me.accuracy == 0.5
    assert board.me.rank == 12  # only users 101 (10 points) scored less
    assert board.me not in board.top

    per_story = await repo.leaderboard(store, GUILD, story_id=story_b, user_id=7)
    assert [(r.rank, r.user_id, r.points) for r in per_story.top] == [(1, 107, 50), (2, 7, 15)]
    assert (await repo.leaderboard(store, OTHER_GUILD, user_id=7)) == repo.Leaderboard((), None, 0)


async def test_equal_points_share_a_rank(store: Store) -> None:
    game = await new_game(store)
    await repo.record_question(
        store, game_id=game, question_no=1, guild_id=GUILD, story_id=None,
        answers=[ScoredAnswer(1, True, 15), ScoredAnswer(2, True, 15), ScoredAnswer(3, True, 11)],
    )
    board = await repo.leaderboard(store, GUILD, user_id=3)
    assert [(r.rank, r.user_id) for r in board.top] == [(1, 1), (1, 2), (3, 3)]


async def test_recovery_closes_running_games_and_keeps_scores(store: Store) -> None:
    running, done = await new_game(store, channel=5), await new_game(store, channel=6)
    await repo.set_game_message(store, running, 999)
    await repo.record_question(
        store, game_id=running, question_no=1, guild_id=GUILD, story_id=None, answers=[ScoredAnswer(1, True, 14)]
    )
    await repo.end_game(store, done, "finished")
    closed = await repo.close_interrupted_games(store)
    assert [(g.id, g.message_id, g.questions_done, g.state) for g in closed] == [(running, 999, 1, "running")]
    assert (await repo.get_game(store, running)).state == "interrupted"
    assert (await repo.get_game(store, done)).state == "finished"
    assert await repo.close_interrupted_games(store) == []
    assert (await repo.leaderboard(store, GUILD)).top[0].points == 14


async def test_removed_story_keeps_guild_scores(store: Store) -> None:
    story_id = await add_story(store, "gone", guild_id=GUILD)
    game = await new_game(store, story_id=story_id)
    await repo.record_question(
        store, game_id=game, question_no=1, guild_id=GUILD, story_id=story_id, answers=[ScoredAnswer(1, True, 15)]
    )
    async with store.atomic():
        await store.db.execute("DELETE FROM stories WHERE id = ?", (story_id,))
    assert (await repo.leaderboard(store, GUILD)).top[0].points == 15
    assert (await repo.get_game(store, game)).story_id is None
    async with store.db.execute("SELECT count(*) FROM trivia_story_totals") as cur:
        assert (await cur.fetchone())[0] == 0


async def test_running_totals_equal_the_answers_they_sum(store: Store) -> None:
    stories = [await add_story(store, t) for t in ("x", "y")]
    rng = random.Random(5)
    expected: dict[tuple[int | None, int], list[int]] = {}  # (story or None, user) -> points, correct, answered
    games_of: dict[tuple[int | None, int], set[int]] = {}
    for channel in range(3):
        game = await new_game(store, channel=channel)
        for number in range(1, 6):
            story = rng.choice(stories)
            answers = [ScoredAnswer(u, rng.random() < 0.5, 0) for u in rng.sample(range(1, 7), 3)]
            answers = [ScoredAnswer(a.user_id, a.correct, rng.randint(10, 15) if a.correct else 0) for a in answers]
            await repo.record_question(
                store, game_id=game, question_no=number, guild_id=GUILD, story_id=story, answers=answers
            )
            # A retry of the same question must not count twice.
            await repo.record_question(
                store, game_id=game, question_no=number, guild_id=GUILD, story_id=story, answers=answers
            )
            for a in answers:
                for key in ((None, a.user_id), (story, a.user_id)):
                    row = expected.setdefault(key, [0, 0, 0])
                    row[0] += a.points
                    row[1] += int(a.correct)
                    row[2] += 1
                    games_of.setdefault(key, set()).add(game)
    for story in (None, *stories):
        board = await repo.leaderboard(store, GUILD, story_id=story, limit=100)
        got = {r.user_id: (r.points, r.correct, r.answered, r.games) for r in board.top}
        want = {
            user: (*expected[(s, user)], len(games_of[(s, user)]))
            for (s, user) in expected if s == story
        }
        assert got == want
        assert board.players == len(want)
        for user in want:
            me = (await repo.leaderboard(store, GUILD, story_id=story, user_id=user, limit=1)).me
            assert me is not None and me.rank == 1 + sum(1 for p in want.values() if p[0] > want[user][0])


async def test_recovery_closes_only_the_games_of_the_servers_it_is_given(store: Store) -> None:
    mine = await new_game(store, channel=5)
    theirs = await repo.create_game(
        store, guild_id=OTHER_GUILD, channel_id=6, starter_id=1, story_id=None, questions=3
    )
    closed = await repo.close_interrupted_games(store, lambda guild_id: guild_id == GUILD)
    assert [g.id for g in closed] == [mine]
    # Another process, running the other server's shard, is still playing that game.
    assert (await repo.get_game(store, theirs)).state == "running"
    assert (await repo.get_game(store, mine)).state == "interrupted"


@pytest.mark.parametrize("count", [0, 1, 399, 400, 401, 5_000])
def test_random_batches_give_every_paragraph_once(count: int) -> None:
    batches = list(repo._random_batches(count, 100, random.Random(count)))
    order = [seq for batch in batches for seq in batch]
    assert sorted(order) == list(range(count))
    assert all(1 <= len(batch) <= 100 for batch in batches)
    assert order[:50] != list(range(min(count, 50))) or count <= 1
