"""`ingest` of a story long enough to be attributed in blocks (bot/parsing/parallel.py): the blocks
in worker processes store the rows of the one-process parse, and a worker dying midway leaves
nothing written; on both engines."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.parsing import parallel
from bot.store import Store, loader
from tests.parsing.test_parallel import SMALL_BLOCK, KilledPool, long_story
from tests.store.helpers import (
    assert_fts_in_sync,
    assert_lines_dense,
    assert_stories_unchanged,
    dump,
    on_batch_written,
)
from tests.store.test_streamed_ingest import _comparable, _load_whole


@pytest.fixture
def story_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(parallel, "BLOCK_CHARS", SMALL_BLOCK)
    monkeypatch.setattr(loader, "STREAM_CHUNK_CHARS", 5_000)  # written a few chapters at a time
    # Parsed when its turn to be written comes, as a file of 8 MB or more is (the path that uses processes).
    monkeypatch.setattr(loader, "STREAM_ALONE_BYTES", 10_000)
    path = tmp_path / "long.txt"
    path.write_bytes(long_story())
    return path


async def test_blocks_in_worker_processes_store_the_rows_of_the_one_process_parse(
    database, other_database, story_file: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with Store.open(other_database) as whole:
        await _load_whole(whole, story_file)  # parse_story: the blocks one after another, here
        expected = await _comparable(whole)
    pools: list[int] = []
    pool = parallel.BlockPool

    class Counted(pool):  # type: ignore[misc, valid-type]
        def __init__(self, drafts, bounds, processes) -> None:
            pools.append(processes)
            super().__init__(drafts, bounds, processes)

    monkeypatch.setattr(parallel, "BlockPool", Counted)
    async with Store.open(database) as store:
        report = await loader.load_paths(store, [story_file], block_processes=2)
        assert [o.status for o in report.outcomes] == ["added"]
        got = await _comparable(store)
        await assert_fts_in_sync(store)
        await assert_lines_dense(store)
    assert pools == [2]
    assert expected["quotes"] and expected["characters"] and expected["paragraphs"]
    assert got == expected


async def test_a_worker_dying_midway_leaves_nothing(
    store: Store, story_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = await dump(store)
    pool = parallel.BlockPool
    written: list[int] = []
    on_batch_written(store, monkeypatch, written.append)
    monkeypatch.setattr(parallel, "BlockPool", KilledPool)
    report = await loader.load_paths(store, [story_file], block_processes=2)
    (outcome,) = report.outcomes
    assert outcome.status == "failed" and "worker process parsing the story stopped unexpectedly" in outcome.error
    assert written  # the first chapters were written before the worker died
    await assert_stories_unchanged(store, before)
    monkeypatch.setattr(parallel, "BlockPool", pool)
    assert [o.status for o in (await loader.load_paths(store, [story_file], block_processes=2)).outcomes] == ["added"]
    await assert_fts_in_sync(store)
