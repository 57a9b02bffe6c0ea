"""A long story attributed in blocks of chapters (bot/parsing/parallel.py): a story of one block is
parsed exactly as before and never starts a process; a longer one gives the same output whatever
the number of worker processes (none included), with every paragraph and quotation once, in order;
a worker that dies gives one clear error."""
from __future__ import annotations

import io
import os
import pickle
import random
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.parsing import parallel, parse_story, stream_story
from bot.parsing.attribution import Scorer, committed
from bot.parsing.parser import StoryStream, write_story_json
from tests.parsing.test_attribution_fanfic import CAST, INTRUDER_SCENE

SEEDS = sorted((Path(__file__).resolve().parents[2] / "seeds").glob("*.txt"))
# A block size that cuts the generated story below into several blocks (about 15).
SMALL_BLOCK = 12_000


def long_story(chapters: int = 40, seed: int = 3) -> bytes:
    """Chapters of the seeds' paragraphs in a shuffled order (as bench/ingest.py makes its stories):
    names, tags, pronouns and exchanges enough for the carried state to matter."""
    pool = [
        p.strip() for path in SEEDS for p in path.read_text(encoding="utf-8").split("\n\n")
        if p.strip() and not p.strip().lower().startswith("chapter")
    ]
    rng = random.Random(seed)
    parts = ["A Long Story"]
    for number in range(1, chapters + 1):
        parts.append(f"Chapter {number}")
        parts.extend(rng.choice(pool) for _ in range(rng.randint(8, 20)))
    return ("\n\n".join(parts) + "\n").encode("utf-8")


def as_json(data: bytes, processes: int, model: Scorer | None = None) -> str:
    stream = stream_story(data, filename="long.txt", model=model, processes=processes)
    out = io.StringIO()
    write_story_json(out, stream)
    return out.getvalue()


class NoPool:
    def __init__(self, *args: object, **kwargs: object) -> None:
        raise AssertionError("a story of one block started worker processes")


def test_a_story_of_one_block_is_parsed_in_this_process_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    data = long_story()
    assert len(stream_story(data)._blocks) == 1  # 40 chapters of seed paragraphs: far below BLOCK_CHARS
    monkeypatch.setattr(parallel, "BlockPool", NoPool)
    one_process = as_json(data, 0)
    assert as_json(data, 2) == one_process
    # The whole-story parse (no blocks at all) says the same.
    story = parse_story(data)
    assert [q.text for q in story.quotes] and one_process.count('"rule":') == len(story.quotes)


def test_blocks_depend_on_the_text_alone() -> None:
    assert parallel.block_bounds([5, 5, 5], 15) == [(0, 3)]
    assert parallel.block_bounds([5, 5, 5, 1], 10) == [(0, 2), (2, 4)]
    assert parallel.block_bounds([30, 1, 1, 30], 10) == [(0, 1), (1, 4)]
    assert parallel.block_bounds([1] * 3) == [(0, 3)]  # BLOCK_CHARS by default


def test_a_long_story_gives_the_same_output_whatever_the_number_of_processes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(parallel, "BLOCK_CHARS", SMALL_BLOCK)
    data = long_story()
    assert len(stream_story(data)._blocks) > 5
    in_process = as_json(data, 0)
    assert as_json(data, 1) == in_process
    assert as_json(data, 2) == in_process
    # Blocks start from the first pass's lexicon, not from the blocks before: not the one-block output.
    monkeypatch.setattr(parallel, "BLOCK_CHARS", 10**9)
    assert as_json(data, 2) != in_process


def test_every_paragraph_and_quotation_is_there_once_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    data = long_story()
    whole = parse_story(data)
    monkeypatch.setattr(parallel, "BLOCK_CHARS", SMALL_BLOCK)
    blocks = stream_story(data, processes=2).story()
    assert blocks.chapters == whole.chapters
    assert blocks.notes == whole.notes and blocks.title == whole.title

    def placed(story):  # a quotation without who said it
        return [(q.text, q.kind, q.chapter, q.scene, q.paragraph, q.start, q.end) for q in story.quotes]

    assert placed(blocks) and placed(blocks) == placed(whole)
    assert {c.name for c in blocks.characters} and blocks.characters[0].name == whole.characters[0].name


def test_each_block_starts_from_the_first_pass_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """The last block attributed on its own, from the first pass's lexicon, is what the whole run gave it."""
    monkeypatch.setattr(parallel, "BLOCK_CHARS", SMALL_BLOCK)
    data = long_story()
    stream = stream_story(data)
    first, end = stream._blocks[-1]
    snapshot = pickle.dumps(stream._lexicon)
    alone = parallel.attribute_block(
        first, stream._drafts[first:end], snapshot, frozenset(stream._lexicon.gender), committed(),
        stream._singles_are_speech,
    )
    full = stream_story(data, processes=2)
    quotes = [q for _, chapter_quotes in full.chapters() for q in chapter_quotes if q.chapter >= first]
    assert [(q.text, q.speaker, q.confidence, q.chapter, q.paragraph) for q in quotes] == [
        (q[0], q[2], q[3], q[4], q[6]) for chapter in alone.quotes for q in chapter
    ]


class KilledPool(parallel.BlockPool):
    """Blocks whose worker processes are killed (out of memory, kill -9) once the first block's
    result has been read."""

    def results(self, *args: Any) -> Iterator[tuple[int, parallel.BlockResult]]:
        for index, result in super().results(*args):
            yield index, result
            if index == 0:
                for executor in self.executors:
                    for pid in list(executor._processes):  # the executor's own record of its worker
                        os.kill(pid, signal.SIGKILL)


def test_a_worker_that_dies_gives_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "BLOCK_CHARS", SMALL_BLOCK)
    monkeypatch.setattr(parallel, "BlockPool", KilledPool)
    stream: StoryStream = stream_story(long_story(), processes=2)
    read = 0
    with pytest.raises(parallel.ParseWorkerFailed, match="worker process parsing the story stopped"):
        for _ in stream.chapters():
            read += 1
    assert 0 < read < stream.chapter_count  # the first block's chapters came before the failure


def test_parse_command_says_so_in_one_line_when_a_worker_dies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(parallel, "BLOCK_CHARS", SMALL_BLOCK)
    monkeypatch.setattr(parallel, "BlockPool", KilledPool)
    path = tmp_path / "long.txt"
    path.write_bytes(long_story())
    assert main(["parse", str(path), "--json"]) == 1
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [
        "a worker process parsing the story stopped unexpectedly (out of memory, or killed)"
    ]


def loaded_parser_modules() -> list[str]:
    """The parser modules this process loaded compiled (native.COMPILED): run in a worker too."""
    from bot.parsing import native

    return sorted(native.COMPILED)


def test_worker_processes_run_the_parser_this_process_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    # Compiled with mypyc when this process is (and pure when it is not): a worker forked from the
    # fork server imports the parser afresh, so it must find the same build.
    monkeypatch.setattr(parallel, "BLOCK_CHARS", SMALL_BLOCK)
    stream = stream_story(long_story(), processes=1)
    assert stream._pool is not None
    try:
        in_worker = stream._pool.executors[0].submit(loaded_parser_modules).result()
    finally:
        stream.close()
    assert in_worker == loaded_parser_modules()


def test_a_role_tied_to_a_name_by_its_scene_is_tied_in_a_story_of_several_blocks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The role's turn is tied to the one the scene names only after it (rules.py, _named_after):
    # the tie is the story's end's to make, so every block's ties must reach it.
    scene = "\n\n".join(INTRUDER_SCENE)
    filler = "\n\n".join(["Tobin walked along the road to the mill and back again."] * 40)
    data = (
        f"A Story\n\nChapter 1\n\n{CAST}* * *\n\n{scene}\n\nChapter 2\n\n{filler}\n\nChapter 3\n\n{filler}\n"
    ).encode()

    def intruder(processes: int) -> str | None:
        story = stream_story(data, processes=processes).story()
        return {q.text: q.speaker for q in story.quotes}["How long will you keep running?"]

    assert intruder(0) == "Osric"  # one block
    monkeypatch.setattr(parallel, "BLOCK_CHARS", 1_000)
    assert len(stream_story(data)._blocks) > 1
    assert intruder(0) == "Osric"
    assert intruder(2) == "Osric"
