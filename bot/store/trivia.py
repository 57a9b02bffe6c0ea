"""Trivia repository: question material read from stored stories, games, per-question scores,
leaderboards, and the recovery of games the bot left running when it stopped."""
from __future__ import annotations

import asyncio
import logging
import random
import sqlite3
from collections.abc import Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from bot.store import stories
from bot.store.audience import Audience, visible_story
from bot.store.connection import Statement, Store
from bot.store.fts import fts_phrase
from bot.trivia.material import (
    TriviaCharacter,
    TriviaLine,
    TriviaParagraph,
    TriviaStory,
    chapter_label,
)
from bot.trivia.text import StoryText, norm, padded_norm, rare_words

T = TypeVar("T")

log = logging.getLogger(__name__)

# A game over the whole library reads this many stories at most: enough for "which story"
# questions with four options and variety, without reading a big library into memory.
MAX_STORIES_PER_GAME = 6
LEADERBOARD_SIZE = 10
RUNNING = "running"
END_STATES = ("finished", "stopped", "idle", "interrupted")


class GameAlreadyRunning(Exception):
    """The channel already has a running game (the database's own one-per-channel rule)."""


@dataclass(frozen=True, slots=True)
class StoredGame:
    id: int
    guild_id: int
    channel_id: int
    message_id: int | None
    starter_id: int
    story_id: int | None
    state: str
    questions_planned: int
    questions_done: int
    started_at: str
    ended_at: str | None


@dataclass(frozen=True, slots=True)
class ScoredAnswer:
    user_id: int
    correct: bool
    points: int


@dataclass(frozen=True, slots=True)
class LeaderboardRow:
    rank: int  # equal points share a rank
    user_id: int
    points: int
    games: int
    correct: int
    answered: int

    @property
    def accuracy(self) -> float:
        return self.correct / self.answered if self.answered else 0.0


@dataclass(frozen=True, slots=True)
class Leaderboard:
    top: tuple[LeaderboardRow, ...]
    me: LeaderboardRow | None  # the invoker's own row, also when outside the top
    players: int  # how many players have scored at all


_GAME_COLUMNS = (
    "id, guild_id, channel_id, message_id, starter_id, story_id, state, questions_planned,"
    " questions_done, started_at, ended_at"
)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# ------------------------------------------------------------------------------ question material


# Paragraphs read per query when generation samples a story's text.
PARAGRAPH_BATCH = 100
# A worker thread never waits forever for a loop that stopped (the bot shutting down).
QUERY_TIMEOUT_SECONDS = 30


class StoredText(StoryText):
    """A stored story's text read through indexes, never whole: containment checks are phrase
    queries on paragraphs_fts within the story (each hit checked again word for word, as a parsed
    story is), paragraphs are fetched by random seq, and the rare words are worked out once per
    story and kept in trivia_words.

    Generation is plain CPU code run in a worker thread (asyncio.to_thread): these methods send
    their queries to the event loop that loaded the material and wait for the answer there.
    """

    def __init__(
        self, store: Store, loop: asyncio.AbstractEventLoop, story_id: int, content_hash: str,
        paragraph_count: int, first_id: int, last_id: int,
    ) -> None:
        self.store = store
        self.loop = loop
        self.story_id = story_id
        self.content_hash = content_hash
        self.paragraph_count = paragraph_count
        self.first_id, self.last_id = first_id, last_id  # the story's paragraph rowids lie in between
        self._found: dict[str, frozenset[int]] = {}
        self._rare: list[str] | None = None

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=QUERY_TIMEOUT_SECONDS)
        coro.close()
        raise RuntimeError("stored trivia text is read from a worker thread (asyncio.to_thread)")

    async def _rows(self, sql: str, args: Sequence[Any]) -> list[sqlite3.Row]:
        db = await self.store.reader()  # keeps page turns and quotes from queueing behind these
        return list(await db.execute_fetchall(sql, args))

    def chapters_with(self, needle: str) -> frozenset[int]:
        self.prefetch([needle])
        return self._found.get(norm(needle), frozenset())

    def prefetch(self, needles: Sequence[str]) -> None:
        """One round trip for many needles: a phrase query per needle, joined with UNION ALL."""
        wanted: dict[str, str] = {}
        for needle in needles:
            key = norm(needle)
            if key in self._found or key in wanted:
                continue
            query = fts_phrase(needle) if key else None
            if query is None:
                self._found[key] = frozenset()
            else:
                wanted[key] = query
        if not wanted:
            return
        keys = list(wanted)
        one = (
            "SELECT ? AS needle, p.chapter_index, p.text FROM paragraphs_fts JOIN paragraphs AS p"
            " ON p.id = paragraphs_fts.rowid WHERE paragraphs_fts MATCH ?"
            " AND paragraphs_fts.rowid BETWEEN ? AND ? AND p.story_id = ?"
        )
        args = [a for i, key in enumerate(keys) for a in (i, wanted[key], self.first_id, self.last_id, self.story_id)]
        rows = self._run(self._rows(" UNION ALL ".join([one] * len(keys)), args))
        found: dict[str, set[int]] = {key: set() for key in keys}
        for i, chapter, text in rows:
            if f" {keys[i]} " in padded_norm(text):
                found[keys[i]].add(chapter)
        self._found.update((key, frozenset(chapters)) for key, chapters in found.items())

    def paragraphs(self, rng: random.Random) -> Iterator[TriviaParagraph]:
        for batch in _random_batches(self.paragraph_count, PARAGRAPH_BATCH, rng):
            placeholders = ", ".join("?" * len(batch))
            rows = self._run(self._rows(
                f"SELECT seq, chapter_index, text FROM paragraphs WHERE story_id = ? AND seq IN ({placeholders})",
                (self.story_id, *batch),
            ))
            by_seq = {row[0]: TriviaParagraph(row[1], row[2]) for row in rows}
            yield from (by_seq[seq] for seq in batch if seq in by_seq)

    def rare_words(self) -> list[str]:
        if self._rare is None:
            rows = self._run(self._rows(
                "SELECT words FROM trivia_words WHERE story_id = ? AND content_hash = ?",
                (self.story_id, self.content_hash),
            ))
            if rows:
                self._rare = rows[0][0].split()
            else:
                # First game about this story: read its text once, here in the worker thread.
                texts = self._run(self._rows(
                    "SELECT text FROM paragraphs WHERE story_id = ? ORDER BY seq", (self.story_id,)
                ))
                self._rare = rare_words(row[0] for row in texts)
                self._run(self._keep_rare(" ".join(self._rare)))
        return self._rare

    async def _keep_rare(self, words: str) -> None:
        story_id, content_hash = self.story_id, self.content_hash

        # Only while the story is still the one the words came from.
        write = Statement(
            "INSERT INTO trivia_words (story_id, content_hash, words)"
            " SELECT id, content_hash, ? FROM stories WHERE id = ? AND content_hash = ?"
            " ON CONFLICT (story_id) DO UPDATE SET content_hash = excluded.content_hash,"
            " words = excluded.words",
            (words, story_id, content_hash),
        )

        self.store.write_behind.submit(("trivia words", story_id), write)


def _random_batches(count: int, size: int, rng: random.Random) -> Iterator[list[int]]:
    """0..count-1 in a random order, `size` at a time, without building the whole order for a
    long story (generation usually stops after a few batches)."""
    if count <= 4 * size:
        order = list(range(count))
        rng.shuffle(order)
        for i in range(0, count, size):
            yield order[i : i + size]
        return
    seen: set[int] = set()
    while len(seen) < count:
        if len(seen) > count // 2:  # the rest, shuffled, rather than ever more misses
            rest = [i for i in range(count) if i not in seen]
            rng.shuffle(rest)
            seen.update(rest)
            for i in range(0, len(rest), size):
                yield rest[i : i + size]
            return
        batch = []
        while len(batch) < size:
            seq = rng.randrange(count)
            if seq not in seen:
                seen.add(seq)
                batch.append(seq)
        yield batch


def _met_by(
    characters: tuple[TriviaCharacter, ...], lines: tuple[TriviaLine, ...], paragraphs: tuple[TriviaParagraph, ...]
) -> tuple[TriviaCharacter, ...]:
    """The characters who speak one of `lines` or are named in `paragraphs`."""
    speakers = {line.speaker for line in lines}
    text = "\n".join(p.text for p in paragraphs).casefold()
    return tuple(
        c for c in characters
        if c.name in speakers or any(form.casefold() in text for form in (c.name, *c.aliases))
    )


async def load_story_material(
    store: Store, story_id: int, title: str, last_chapter: int | None = None
) -> TriviaStory:
    """What question generation reads about one stored story (never its notes): its chapters,
    lines and characters, and its text as a StoredText read through indexes (generate in a worker
    thread). With `last_chapter` (a spoiler limit) only the chapters up to it and the characters
    met there: that text (bounded by the limit) is held in memory, since the indexes span the story.
    """
    last = -1 if last_chapter is None else last_chapter
    async with store.db.execute(
        "SELECT chapter_index, number, title FROM chapters WHERE story_id = ? AND (?2 < 0 OR chapter_index <= ?2)"
        " ORDER BY chapter_index",
        (story_id, last),
    ) as cur:
        chapter_rows = await cur.fetchall()
    async with store.db.execute(
        "SELECT q.text, c.name, q.confidence, q.chapter_index, q.kind FROM quotes AS q"
        " LEFT JOIN characters AS c ON c.id = q.character_id WHERE q.story_id = ?"
        " AND (?2 < 0 OR q.chapter_index <= ?2) ORDER BY q.seq",
        (story_id, last),
    ) as cur:
        lines = tuple(TriviaLine(*row) for row in await cur.fetchall())
    characters = tuple(
        TriviaCharacter(c.name, c.aliases, c.mentions) for c in await stories.characters(store, story_id)
    )
    chapters = tuple(chapter_label(row[1], row[2], row[0]) for row in chapter_rows)
    if last_chapter is not None:
        async with store.db.execute(
            "SELECT chapter_index, text FROM paragraphs WHERE story_id = ? AND chapter_index <= ? ORDER BY seq",
            (story_id, last_chapter),
        ) as cur:
            paragraphs = tuple(TriviaParagraph(row[0], row[1]) for row in await cur.fetchall())
        # A name first met past the limit would spoil as an answer option: keep those who speak,
        # or are named, in the chapters shown.
        characters = await asyncio.to_thread(_met_by, characters, lines, paragraphs)
        return TriviaStory(story_id, title, chapters, paragraphs, lines, characters)
    async with store.db.execute(
        "SELECT (SELECT content_hash FROM stories WHERE id = ?1), (SELECT paragraph_count FROM stories WHERE id = ?1),"
        " (SELECT min(id) FROM paragraphs WHERE story_id = ?1), (SELECT max(id) FROM paragraphs WHERE story_id = ?1)",
        (story_id,),
    ) as cur:
        content_hash, paragraph_count, first_id, last_id = await cur.fetchone()
    text = StoredText(
        store, asyncio.get_running_loop(), story_id, content_hash or "", paragraph_count or 0,
        first_id or 0, last_id or -1,
    )
    return TriviaStory(story_id, title, chapters, (), lines, characters, text)


async def load_game_material(
    store: Store, audience: Audience, story_id: int | None, rng: random.Random
) -> list[TriviaStory]:
    """Material for a game: one story, or a random sample of the stories this audience may see.

    An unknown or hidden `story_id` gives no material.
    """
    if story_id is not None:
        story = await visible_story(store, audience, story_id)
        return [] if story is None else [
            await load_story_material(store, story.id, story.title, audience.limits.last_chapter(story.id))
        ]
    candidates = [
        s for s in await stories.visible_stories(store, audience.guild_id)
        if s.paragraph_count and audience.can_see(s)
    ]
    picked = rng.sample(candidates, min(MAX_STORIES_PER_GAME, len(candidates)))
    return [await load_story_material(store, s.id, s.title, audience.limits.last_chapter(s.id)) for s in picked]


# ---------------------------------------------------------------------------------------- games


async def create_game(
    store: Store, *, guild_id: int, channel_id: int, starter_id: int, story_id: int | None,
    questions: int,
) -> int:
    """Record a new running game; raises GameAlreadyRunning when the channel has one."""
    try:
        async with store.atomic():
            cur = await store.db.execute(
                "INSERT INTO trivia_games (guild_id, channel_id, starter_id, story_id, questions_planned,"
                " started_at) VALUES (?, ?, ?, ?, ?, ?)",
                (guild_id, channel_id, starter_id, story_id, questions, _now()),
            )
            game_id = cur.lastrowid
    except sqlite3.IntegrityError as exc:
        if "trivia_games.channel_id" in str(exc):
            raise GameAlreadyRunning(channel_id) from exc
        raise
    assert game_id is not None
    return game_id


async def set_game_message(store: Store, game_id: int, message_id: int) -> None:
    """Remember the question message on screen, so a restart can mark it interrupted."""
    async with store.atomic():
        await store.db.execute(
            "UPDATE trivia_games SET message_id = ? WHERE id = ?", (message_id, game_id)
        )


async def record_question(
    store: Store, *, game_id: int, question_no: int, guild_id: int, story_id: int | None,
    answers: Sequence[ScoredAnswer],
) -> None:
    """Write one closed question's answers, the players' running totals and the game's progress,
    all or nothing. Writing the same question twice changes nothing (a retry is harmless)."""
    async with store.atomic():
        for a in answers:
            await _record_answer(store, game_id, question_no, guild_id, story_id, a)
        await store.db.execute(
            "UPDATE trivia_games SET questions_done = max(questions_done, ?) WHERE id = ?",
            (question_no, game_id),
        )


async def _record_answer(
    store: Store, game_id: int, question_no: int, guild_id: int, story_id: int | None, a: ScoredAnswer
) -> None:
    # Whether this is the player's first answer in the game (and about this story): counts a game.
    async with store.db.execute(
        "SELECT count(*), count(CASE WHEN story_id IS ? THEN 1 END) FROM trivia_answers"
        " WHERE game_id = ? AND user_id = ?",
        (story_id, game_id, a.user_id),
    ) as cur:
        earlier, earlier_story = await cur.fetchone()
    # DO NOTHING only on the key: OR IGNORE would also swallow CHECK failures.
    cur = await store.db.execute(
        "INSERT INTO trivia_answers (game_id, question_no, user_id, guild_id, story_id, correct, points)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (game_id, question_no, user_id) DO NOTHING",
        (game_id, question_no, a.user_id, guild_id, story_id, int(a.correct), a.points),
    )
    if cur.rowcount == 0:
        return  # already written
    values = (a.points, int(a.correct), 1)
    await store.db.execute(
        "INSERT INTO trivia_totals (guild_id, user_id, points, correct, answered, games)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (guild_id, user_id) DO UPDATE SET"
        " points = trivia_totals.points + excluded.points, correct = trivia_totals.correct + excluded.correct,"
        " answered = trivia_totals.answered + 1, games = trivia_totals.games + excluded.games",
        (guild_id, a.user_id, *values, int(earlier == 0)),
    )
    if story_id is not None:
        await store.db.execute(
            "INSERT INTO trivia_story_totals (guild_id, story_id, user_id, points, correct, answered, games)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (guild_id, story_id, user_id) DO UPDATE SET"
            " points = trivia_story_totals.points + excluded.points,"
            " correct = trivia_story_totals.correct + excluded.correct,"
            " answered = trivia_story_totals.answered + 1, games = trivia_story_totals.games + excluded.games",
            (guild_id, story_id, a.user_id, *values, int(earlier_story == 0)),
        )


async def end_game(store: Store, game_id: int, state: str) -> None:
    """Close a running game with its final state (a closed game stays as it was)."""
    if state not in END_STATES:
        raise ValueError(f"not an end state: {state}")
    async with store.atomic():
        await store.db.execute(
            "UPDATE trivia_games SET state = ?, ended_at = ? WHERE id = ? AND state = ?",
            (state, _now(), game_id, RUNNING),
        )


async def get_game(store: Store, game_id: int) -> StoredGame | None:
    async with store.db.execute(f"SELECT {_GAME_COLUMNS} FROM trivia_games WHERE id = ?", (game_id,)) as cur:
        row = await cur.fetchone()
    return None if row is None else StoredGame(*row)


async def close_interrupted_games(store: Store, guilds: Callable[[int], bool] | None = None) -> list[StoredGame]:
    """Mark every game still running (the bot stopped mid-game) interrupted; return them as they were.

    `guilds`: only games of the servers it accepts (this process's shards; the games of other
    servers are running in another process). Their scores stay: every closed question was written
    when it closed.
    """
    async with store.atomic():
        async with store.db.execute(
            f"SELECT {_GAME_COLUMNS} FROM trivia_games WHERE state = ? ORDER BY id", (RUNNING,)
        ) as cur:
            games = [StoredGame(*row) for row in await cur.fetchall()]
        if guilds is not None:
            games = [game for game in games if guilds(game.guild_id)]
        await store.db.executemany(
            "UPDATE trivia_games SET state = 'interrupted', ended_at = ? WHERE id = ? AND state = ?",
            [(_now(), game.id, RUNNING) for game in games],
        )
    if games:
        log.info("closed %d trivia games interrupted by the last shutdown", len(games))
    return games


async def game_scores(store: Store, game_id: int) -> list[LeaderboardRow]:
    """One game's standings as written so far (a game has few rows: aggregated on the fly)."""
    async with store.db.execute(
        "SELECT user_id, sum(points) AS points, sum(correct) AS correct, count(*) AS answered"
        " FROM trivia_answers WHERE game_id = ? GROUP BY user_id ORDER BY points DESC, correct DESC, user_id",
        (game_id,),
    ) as cur:
        rows = await cur.fetchall()
    return _with_ranks([(r["user_id"], r["points"], 1, r["correct"], r["answered"]) for r in rows])


def _with_ranks(rows: Sequence[tuple[int, int, int, int, int]], first_rank: int = 1) -> list[LeaderboardRow]:
    """Rows sorted best first -> LeaderboardRows; equal points share the rank of the first of them."""
    out: list[LeaderboardRow] = []
    for i, (user_id, points, games, correct, answered) in enumerate(rows):
        rank = out[-1].rank if out and out[-1].points == points else first_rank + i
        out.append(LeaderboardRow(rank, user_id, points, games, correct, answered))
    return out


# ----------------------------------------------------------------------------------- leaderboards


async def leaderboard(
    store: Store, guild_id: int, *, story_id: int | None = None, user_id: int | None = None,
    limit: int = LEADERBOARD_SIZE,
) -> Leaderboard:
    """A guild's standings (or only questions about one story): the top `limit`, the invoker's own
    row wherever it ranks, and the number of players. Reads the running totals through their
    rank index, so the cost does not grow with the number of answers."""
    if story_id is None:
        table, where, args = "trivia_totals", "guild_id = ?", (guild_id,)
    else:
        table, where, args = "trivia_story_totals", "guild_id = ? AND story_id = ?", (guild_id, story_id)
    columns = "user_id, points, games, correct, answered"
    async with store.db.execute(
        f"SELECT {columns} FROM {table} WHERE {where} ORDER BY points DESC, correct DESC, user_id LIMIT ?",
        (*args, limit),
    ) as cur:
        top = _with_ranks([tuple(r) for r in await cur.fetchall()])
    me = next((r for r in top if r.user_id == user_id), None)
    if me is None and user_id is not None:
        async with store.db.execute(f"SELECT {columns} FROM {table} WHERE {where} AND user_id = ?", (*args, user_id)) as cur:
            row = await cur.fetchone()
        if row is not None:
            async with store.db.execute(
                f"SELECT count(*) FROM {table} WHERE {where} AND points > ?", (*args, row["points"])
            ) as cur:
                above = (await cur.fetchone())[0]
            me = LeaderboardRow(above + 1, *row)
    async with store.db.execute(f"SELECT count(*) FROM {table} WHERE {where}", args) as cur:
        players = (await cur.fetchone())[0]
    return Leaderboard(tuple(top), me, players)
