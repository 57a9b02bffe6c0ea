"""Ingest writes a bundled story as it is parsed (_write_stream): a few chapters' rows at a time in
one transaction, the characters and quotations at the end. Same rows as writing the whole parsed
story (_write), nothing left behind by a failure midway; on both engines."""
from __future__ import annotations

import asyncio
import shutil
import threading
from pathlib import Path

import pytest

from bot.store import Store, loader
from tests.store.helpers import (
    assert_fts_in_sync,
    assert_lines_dense,
    assert_stories_unchanged,
    dump,
    on_batch_written,
    without_added_at,
)

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


@pytest.fixture
def seeds_copy(tmp_path: Path) -> Path:
    """The seeds, and one story of many chapters made of them (most seeds are one chapter)."""
    folder = tmp_path / "seeds"
    shutil.copytree(SEEDS, folder)
    chapters = []
    for seed in sorted(SEEDS.glob("*.txt")):
        paragraphs = [p for p in seed.read_text(encoding="utf-8").split("\n\n") if p.strip()]
        for half in (paragraphs[: len(paragraphs) // 2], paragraphs[len(paragraphs) // 2:]):
            chapters.append(f"Chapter {len(chapters) + 1}\n\n" + "\n\n".join(half))
    (folder / "zz_chapters.txt").write_text("Many Chapters\n\n" + "\n\n".join(chapters) + "\n", encoding="utf-8")
    return folder


async def _load_whole(store: Store, path: Path) -> None:
    """A file through the whole-story path: parsed and flattened at once, then written (_write)."""
    data, digest, found = loader._read_file(path)
    title, summary, inside, rows = loader._parse_and_build(bytes(data), path.name)
    await loader._write(store, summary, rows, loader._metadata(path, found, title, inside), digest, None, None)


async def _comparable(store: Store) -> dict[str, list[tuple]]:
    rows = await dump(store)
    if store.dialect == "sqlite":
        rows["stories"] = await without_added_at(store, rows["stories"])
    else:
        found = await store.db.execute_fetchall(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
            " AND table_name = 'stories' ORDER BY ordinal_position"
        )
        at = [row[0] for row in found].index("added_at")
        rows["stories"] = [row[:at] + row[at + 1:] for row in rows["stories"]]
    # Indexed in other steps, FTS5 keeps the same entries in other segments (checked in sync below).
    return {name: found for name, found in rows.items() if "_fts_" not in name and name != "schema_migrations"}


@pytest.mark.parametrize(
    ("chunk_chars", "alone_bytes", "processes", "params_per_insert"),
    [(loader.STREAM_CHUNK_CHARS, loader.STREAM_ALONE_BYTES, 0, loader.PARAMS_PER_INSERT),
     (3_000, loader.STREAM_ALONE_BYTES, 0, loader.PARAMS_PER_INSERT), (3_000, 30_000, 0, 40),
     (3_000, 30_000, 2, loader.PARAMS_PER_INSERT), (loader.STREAM_CHUNK_CHARS, loader.STREAM_ALONE_BYTES, 0, 1)],
)
async def test_streamed_ingest_stores_the_rows_of_the_whole_story_path(
    database, other_database, seeds_copy: Path, monkeypatch: pytest.MonkeyPatch, chunk_chars: int,
    alone_bytes: int, processes: int, params_per_insert: int,
) -> None:
    monkeypatch.setattr(loader, "STREAM_CHUNK_CHARS", chunk_chars)
    # Several rows a statement (with a shorter last one), and one row a statement.
    monkeypatch.setattr(loader, "PARAMS_PER_INSERT", params_per_insert)
    monkeypatch.setattr(loader, "STREAM_QUOTE_BATCH", 50)
    # Files this big are streamed when their turn comes (_open_deferred), the others are parsed
    # ahead: streamed here, or whole in worker processes.
    monkeypatch.setattr(loader, "STREAM_ALONE_BYTES", alone_bytes)
    deferred: list[str] = []
    open_deferred = loader._open_deferred

    async def spied(parsed, watch, *rest):
        deferred.append(parsed.path.name)
        return await open_deferred(parsed, watch, *rest)

    monkeypatch.setattr(loader, "_open_deferred", spied)
    files = loader.story_files([seeds_copy])
    async with Store.open(other_database) as whole:
        for path in files:
            await _load_whole(whole, path)
        expected = await _comparable(whole)
    batches: list[int] = []
    next_batch = loader._StreamRows.next_batch

    def counted(self, chunk: int):
        found = next_batch(self, chunk)
        batches.append(found is not None)
        return found

    monkeypatch.setattr(loader._StreamRows, "next_batch", counted)
    async with Store.open(database) as store:
        report = await loader.load_paths(store, files, parse_processes=processes)
        assert [o.status for o in report.outcomes] == ["added"] * len(files)
        got = await _comparable(store)
        await assert_fts_in_sync(store)
        await assert_lines_dense(store)
    big = [path.name for path in files if path.stat().st_size >= alone_bytes]
    assert deferred == big
    streamed_here = len(big) if processes else len(files)
    assert sum(batches) >= streamed_here
    if chunk_chars < 10_000:
        assert sum(batches) >= streamed_here + 4  # the story of many chapters in several steps
    assert expected["quotes"] and expected["characters"] and expected["paragraphs"]
    assert got == expected


async def test_chapters_are_written_while_the_story_is_still_being_parsed(
    store: Store, seeds_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(loader, "STREAM_CHUNK_CHARS", 3_000)
    written_before: list[int] = []
    inserted_at_call: list[int] = []
    seen: list[int] = []
    next_batch = loader._StreamRows.next_batch

    def watched(self, chunk: int):
        written_before.append(self.seq)
        inserted_at_call.append(len(seen))
        return next_batch(self, chunk)

    monkeypatch.setattr(loader._StreamRows, "next_batch", watched)
    if store.dialect == "sqlite":
        write_batch = loader._write_batch

        def written(conn, story_id, first, chunk):
            seen.append(first)
            write_batch(conn, story_id, first, chunk)

        monkeypatch.setattr(loader, "_write_batch", written)
    else:
        real = loader._insert_paragraphs

        async def insert(store_, story_id, paragraphs, first, end):
            seen.append(first)
            await real(store_, story_id, paragraphs, first, end)

        monkeypatch.setattr(loader, "_insert_paragraphs", insert)
    path = seeds_copy / "zz_chapters.txt"
    outcome = await loader.load_file(store, path)
    assert outcome.status == "added"
    # Batches written in order, the first before the parse was done, and the parse never more than
    # FEED_AHEAD batches ahead of the writer beside the one it is on (memory holds a few batches).
    assert len(seen) > 2 and seen == written_before[: len(seen)] and seen == sorted(set(seen))
    assert len(seen) > loader.FEED_AHEAD + 2 and inserted_at_call[-1] > 0
    assert all(
        inserted >= call - loader.FEED_AHEAD - 1 for call, inserted in enumerate(inserted_at_call)
    ), inserted_at_call


def _count_batches_parsed(monkeypatch: pytest.MonkeyPatch, fail_at: int | None = None) -> list[int]:
    """The parse's batches counted as it makes them (the count in a one-item list); the parse
    fails with "disk full" on batch `fail_at`."""
    parsed = [0]
    next_batch = loader._StreamRows.next_batch

    def counted(self, chunk: int):
        parsed[0] += 1
        if parsed[0] == fail_at:
            raise OSError("disk full")
        return next_batch(self, chunk)

    monkeypatch.setattr(loader._StreamRows, "next_batch", counted)
    return parsed


async def test_a_failure_midway_leaves_nothing(store: Store, seeds_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loader, "STREAM_CHUNK_CHARS", 3_000)
    path = seeds_copy / "zz_chapters.txt"
    before = await dump(store)
    _count_batches_parsed(monkeypatch, fail_at=3)
    outcome = await loader.load_file(store, path)
    assert outcome.status == "failed" and "disk full" in outcome.error
    await assert_stories_unchanged(store, before)
    monkeypatch.undo()
    assert (await loader.load_file(store, path)).status == "added"
    await assert_fts_in_sync(store)


async def test_big_files_are_parsed_one_at_a_time_when_their_turn_comes(
    store: Store, seeds_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(loader, "STREAM_ALONE_BYTES", 30_000)
    events: list[tuple[str, str]] = []
    open_stream, write_stream = loader._open_stream, loader._write_stream

    def opened(data, filename, progress=None, processes=0):
        events.append(("parse", filename))
        return open_stream(data, filename, progress, processes)

    async def written(store_, stream, meta, digest, progress=None):
        found = await write_stream(store_, stream, meta, digest, progress)
        events.append(("written", stream.filename))
        return found

    monkeypatch.setattr(loader, "_open_stream", opened)
    monkeypatch.setattr(loader, "_write_stream", written)
    files = loader.story_files([seeds_copy])
    big = [path.name for path in files if path.stat().st_size >= 30_000]
    assert len(big) >= 3
    report = await loader.load_paths(store, files)
    assert [o.status for o in report.outcomes] == ["added"] * len(files)
    order = [event for event in events if event[1] in big]
    # Each big file's parse starts after the one before it was written: never two at once.
    assert order == [(step, name) for name in big for step in ("parse", "written")]


def test_a_big_file_is_hashed_without_being_held(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loader, "STREAM_ALONE_BYTES", 1_000)
    path = tmp_path / "story.txt"
    path.write_bytes(("Chapter 1\n\n" + "She said it again. " * 5_000).encode())
    data, size, digest, found = loader._read_or_hash(path)
    assert data is None and size == path.stat().st_size and found == {}
    assert digest == loader.content_hash(path.read_bytes())
    small = tmp_path / "small.txt"
    small.write_bytes(b"Chapter 1\n\nShort.")
    data, size, digest, _ = loader._read_or_hash(small)
    assert data == small.read_bytes() and size == len(data) and digest == loader.content_hash(bytes(data))
    with pytest.raises(loader.BadStoryFile, match="no such file"):
        loader._read_or_hash(tmp_path / "missing.txt")


def _parse_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "ingest-parse"]


async def test_a_write_failing_midway_stops_the_parse_and_leaves_nothing(
    store: Store, seeds_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(loader, "STREAM_CHUNK_CHARS", 3_000)
    path = seeds_copy / "zz_chapters.txt"
    before = await dump(store)
    parsed = _count_batches_parsed(monkeypatch)

    def fail(n: int) -> None:
        if n == 3:
            raise OSError("disk full")

    on_batch_written(store, monkeypatch, fail)
    outcome = await loader.load_file(store, path)
    assert outcome.status == "failed" and "disk full" in outcome.error
    # The parse stopped a few batches on, not at the end of the story.
    assert not _parse_threads()
    assert parsed[0] <= 3 + loader.FEED_AHEAD + 1
    await assert_stories_unchanged(store, before)
    monkeypatch.undo()
    assert (await loader.load_file(store, path)).status == "added"
    await assert_fts_in_sync(store)
    await assert_lines_dense(store)


async def test_an_ingest_cancelled_midway_stops_the_parse_and_leaves_nothing(
    store: Store, seeds_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(loader, "STREAM_CHUNK_CHARS", 3_000)
    path = seeds_copy / "zz_chapters.txt"
    before = await dump(store)
    second = threading.Event()
    release = threading.Event()

    def hold(n: int) -> None:
        if n == 2:
            second.set()
            release.wait(30)  # the writer stays inside the story's transaction until cancelled

    on_batch_written(store, monkeypatch, hold)
    task = asyncio.create_task(loader.load_file(store, path))
    assert await asyncio.to_thread(second.wait, 30)
    task.cancel()
    await asyncio.sleep(0.1)
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 30)
    assert not _parse_threads()
    assert not store.db.in_transaction
    await assert_stories_unchanged(store, before)
    monkeypatch.undo()
    assert (await loader.load_file(store, path)).status == "added"
    await assert_fts_in_sync(store)
