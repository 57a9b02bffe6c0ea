"""Trivia figures: question generation time on the seeds and on one big story (in memory, and from
the store through its indexes beside the old way of reading and scanning the whole story), the
per-question score write, and /trivia leaderboard on a guild with many players and answers.

    python bench/trivia.py                   # 100,000 players, 1,000,000 answers
    python bench/trivia.py --players 20000 --answers 200000
"""
from __future__ import annotations

import argparse
import asyncio
import dataclasses
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.parsing import parse_story  # noqa: E402
from bot.store import Store  # noqa: E402
from bot.store import trivia as repo  # noqa: E402
from bot.store.loader import load_story  # noqa: E402
from bot.trivia import (  # noqa: E402
    TriviaParagraph,
    TriviaStory,
    generate_questions,
    trivia_story_from_parsed,
)

GUILD = 1
BIG_STORY_COPIES = 8  # the four seeds joined this many times: about 850 kB of text in one story


def ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
    return f"p50 {p50:.2f} ms, p99 {p99:.2f} ms ({len(ordered)} runs)"


def seeds() -> list[TriviaStory]:
    out = []
    for i, path in enumerate(sorted((ROOT / "seeds").glob("*.txt")), start=1):
        title = tomllib.loads(path.with_suffix(".toml").read_text(encoding="utf-8"))["title"]
        out.append(trivia_story_from_parsed(parse_story(path.read_bytes()), story_id=i, title=title))
    return out


def big_text() -> bytes:
    return b"\n\n".join(p.read_bytes() for p in sorted((ROOT / "seeds").glob("*.txt"))) * BIG_STORY_COPIES


def big_story() -> TriviaStory:
    return trivia_story_from_parsed(parse_story(big_text()), story_id=99, title="Big")


def time_generation(label: str, stories: list[TriviaStory], count: int, runs: int = 7) -> None:
    samples, made = [], 0
    for seed in range(runs):
        start = time.perf_counter()
        made = len(generate_questions(stories, count, rng=random.Random(seed)))
        samples.append(time.perf_counter() - start)
    print(f"generate {count} questions, {label}: {made} made, {ms(samples)}")


async def time_stored_generation(count: int, runs: int = 7) -> None:
    """A game about one stored 150,000-word story: material loaded and questions generated as the
    cog does, through the indexes; baseline: the whole story read back and scanned (the old way)."""
    story = parse_story(big_text())
    with tempfile.TemporaryDirectory() as folder:
        async with Store.open(Path(folder) / "bench.db") as store:
            story_id = await load_story(store, story, title="Big", content_hash="big", guild_id=GUILD)
            words = sum(len(p.split()) for ch in story.chapters for p in ch.paragraphs)

            async def indexed(seed: int) -> int:
                material = await repo.load_story_material(store, story_id, "Big")
                return len(await asyncio.to_thread(generate_questions, [material], count, rng=random.Random(seed)))

            async def scanned(seed: int) -> int:
                material = await repo.load_story_material(store, story_id, "Big")
                async with store.db.execute(
                    "SELECT chapter_index, text FROM paragraphs WHERE story_id = ? ORDER BY seq", (story_id,)
                ) as cur:
                    paragraphs = tuple(TriviaParagraph(row[0], row[1]) for row in await cur.fetchall())
                whole = dataclasses.replace(material, paragraphs=paragraphs, text=None)
                return len(await asyncio.to_thread(generate_questions, [whole], count, rng=random.Random(seed)))

            start = time.perf_counter()
            made = await indexed(0)  # works out and keeps the story's rare words
            first = time.perf_counter() - start
            await store.write_behind.flush()
            print(f"generate {count} questions, stored story of {words:,} words, first game: {made} made, "
                  f"{first * 1000:.1f} ms (its rare words worked out and kept)")
            for label, generate in (("through indexes", indexed), ("baseline, whole story read and scanned", scanned)):
                samples = []
                for seed in range(1, runs + 1):
                    start = time.perf_counter()
                    made = await generate(seed)
                    samples.append(time.perf_counter() - start)
                print(f"generate {count} questions, stored story of {words:,} words, {label}: {made} made, "
                      f"{ms(samples)}")


def fill(path: Path, players: int, answers: int, rng: random.Random) -> int:
    """Answers and totals written directly (fast), consistent with what record_question keeps."""
    db = sqlite3.connect(path)
    per_game = 50  # 10 questions x 5 players
    games = answers // per_game
    db.executemany(
        "INSERT INTO trivia_games (id, guild_id, channel_id, starter_id, questions_planned, questions_done,"
        " started_at, state) VALUES (?, ?, ?, 1, 10, 10, 'bench', 'finished')",
        ((g, GUILD, g) for g in range(1, games + 1)),
    )
    totals: dict[int, list[int]] = {}
    rows = []
    for g in range(1, games + 1):
        for user in rng.sample(range(1, players + 1), 5):
            total = totals.setdefault(user, [0, 0, 0, 0])
            total[3] += 1
            for q in range(1, 11):
                correct = rng.random() < 0.6
                points = rng.randint(10, 15) if correct else 0
                rows.append((g, q, user, GUILD, None, int(correct), points))
                total[0] += points
                total[1] += int(correct)
                total[2] += 1
    db.executemany("INSERT INTO trivia_answers VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    db.executemany(
        "INSERT INTO trivia_totals VALUES (?, ?, ?, ?, ?, ?)",
        ((GUILD, user, *t) for user, t in totals.items()),
    )
    db.commit()
    db.close()
    return games


async def time_store(players: int, answers: int) -> None:
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        async with Store.open(path):
            pass
        games = fill(path, players, answers, rng)
        async with Store.open(path) as store:
            writes = []
            game = await repo.create_game(
                store, guild_id=GUILD, channel_id=10**9, starter_id=1, story_id=None, questions=50
            )
            for q in range(1, 51):
                scored = [repo.ScoredAnswer(u, rng.random() < 0.5, 12) for u in rng.sample(range(1, players), 5)]
                start = time.perf_counter()
                await repo.record_question(
                    store, game_id=game, question_no=q, guild_id=GUILD, story_id=None, answers=scored
                )
                writes.append(time.perf_counter() - start)
            print(f"record one question (5 answers) with {answers:,} answers stored: {ms(writes)}")
            boards = []
            for _ in range(200):
                user = rng.randrange(1, players + 1)
                start = time.perf_counter()
                await repo.leaderboard(store, GUILD, user_id=user)
                boards.append(time.perf_counter() - start)
            print(f"leaderboard, {players:,} players / {games:,} games / {answers:,} answers: {ms(boards)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, default=100_000)
    parser.add_argument("--answers", type=int, default=1_000_000)
    args = parser.parse_args()
    four = seeds()
    time_generation("four seeds (106 kB)", four, 10)
    time_generation("four seeds (106 kB)", four, 50)
    big = big_story()
    words = sum(len(p.text.split()) for p in big.paragraphs)
    time_generation(f"one story of {words:,} words, in memory", [big], 10)
    asyncio.run(time_stored_generation(10))
    asyncio.run(time_store(args.players, args.answers))


if __name__ == "__main__":
    main()
