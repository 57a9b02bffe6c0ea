"""`/story add` converts, parses and stores in worker processes: the bot's own process (its event loop
and GIL) spends little CPU on an upload and gets back only a small preview, the worker stores through
its own connection while the bot's keeps reading, errors come back with their user-facing message, a
dead worker is replaced (killed mid-store, nothing is stored), and closing stops the workers."""
from __future__ import annotations

import asyncio
import multiprocessing
import os
import pickle
import re
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from bot.errors import InvalidInput
from bot.formats import UploadRejected
from bot.parsing import NotAStory
from bot.store import Store
from bot.store.library import LibraryConflict, library_page, story_details
from bot.store.stories import get_story
from bot.upload_worker import (
    STORE_DIED,
    WORKER_DIED,
    WORKER_NICENESS,
    UploadWorkers,
    prepare_preview,
)
from tests.conftest import SEEDS
from tests.resilience.test_ingest_signals import check_consistent

LIMIT = 10_000_000


def story_bytes(megabytes: float) -> bytes:
    prose = "\n\n".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt")))
    parts, size, chapter = ["The Worker Saga\n\n"], 0, 1
    while size < megabytes * 1_000_000:
        part = f"\n\nChapter {chapter}\n\n{prose}\n"
        parts.append(part)
        size += len(part)
        chapter += 1
    return "".join(parts).encode()


@pytest.fixture
def workers():
    pool = UploadWorkers()
    yield pool
    pool.close()


def pids() -> set[int]:
    return {child.pid for child in multiprocessing.active_children()}


async def gone(children: set[int], timeout: float = 10) -> bool:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while children & pids():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def test_an_upload_is_parsed_outside_the_bots_process(workers):
    data = story_bytes(2)
    started = time.process_time()
    in_process = prepare_preview("saga.txt", data, LIMIT, None)
    parse_cpu = time.process_time() - started
    await workers.prepare("warm-up.txt", b"Chapter 1\n\n\"Hi,\" said Ann.", LIMIT, None)  # the worker's start is paid once

    started = time.process_time()
    preview = await workers.prepare("saga.txt", data, LIMIT, None)
    bot_cpu = time.process_time() - started

    # Not compared field by field: the worker imports the parser afresh, and the parser may be newer.
    assert preview.title == in_process.title == "The Worker Saga" and preview.chapters > 1
    # Only pickling the bytes out and the Preview back is left here (in a thread, this was all of it).
    assert bot_cpu < 0.5 * parse_cpu, f"the bot's process spent {bot_cpu:.2f}s CPU of a {parse_cpu:.2f}s parse"


async def test_workers_run_at_a_lower_priority_than_the_bot(workers):
    """On a busy host the event loop gets a core before an upload's parse does."""
    await workers.prepare("warm-up.txt", b"Chapter 1\n\n\"Hi,\" said Ann.", LIMIT, None)
    ours = os.getpriority(os.PRIO_PROCESS, 0)
    children = pids()
    assert children
    assert {os.getpriority(os.PRIO_PROCESS, pid) for pid in children} == {min(19, ours + WORKER_NICENESS)}


@pytest.mark.parametrize(
    ("filename", "data", "error"),
    [
        ("empty.txt", b"", UploadRejected),
        ("picture.txt", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, (NotAStory, UploadRejected)),
        ("notes.docx", b"PK\x03\x04 not really", UploadRejected),
        ("page.html", b"<html><body><script>x()</script></body></html>", (NotAStory, UploadRejected)),
    ],
)
async def test_an_upload_refused_in_the_worker_keeps_its_message(workers, filename, data, error):
    with pytest.raises(error) as direct:
        prepare_preview(filename, data, LIMIT, None)
    with pytest.raises(type(direct.value), match=f"^{re.escape(str(direct.value))}$"):
        await workers.prepare(filename, data, LIMIT, None)


async def test_a_worker_killed_mid_parse_is_answered_and_replaced(workers):
    before = pids()
    await workers.prepare("warm-up.txt", b"Chapter 1\n\nA line.", LIMIT, None)
    children = pids() - before
    assert children
    parse = asyncio.ensure_future(workers.prepare("saga.txt", story_bytes(4), LIMIT, None))
    await asyncio.sleep(0.3)
    for pid in children:
        os.kill(pid, signal.SIGKILL)
    with pytest.raises(InvalidInput, match=re.escape(WORKER_DIED)):
        await parse
    preview = await workers.prepare("again.txt", b"Chapter 1\n\n\"Back,\" said Ann.", LIMIT, None)
    assert preview.chapters == 1


async def test_workers_start_with_the_first_upload_and_stop_when_closed(workers):
    before = pids()
    assert not workers.started
    await workers.prepare("one.txt", b"Chapter 1\n\nA line.", LIMIT, None)
    children = pids() - before
    assert children
    workers.close()
    assert await gone(children)


async def test_a_worker_is_started_off_the_event_loops_thread(workers, monkeypatch):
    """A submit that finds no idle worker spawns one (a fork and exec of the whole bot), 10-15 ms
    the event loop would wait at an upload's first step: it is done on another thread."""
    submitted_on: list[threading.Thread] = []
    submit = ProcessPoolExecutor.submit

    def recording(pool, fn, /, *args, **kwargs):
        submitted_on.append(threading.current_thread())
        return submit(pool, fn, *args, **kwargs)

    monkeypatch.setattr(ProcessPoolExecutor, "submit", recording)
    preview = await workers.prepare("one.txt", b"Chapter 1\n\n\"Hi,\" said Ann.", LIMIT, None)
    assert preview.chapters == 1
    assert submitted_on and threading.main_thread() not in submitted_on


GUILD, ADMIN = 111, 42


def wal_size(wal: Path) -> int:
    """How far the worker's transaction has got (a stat: microseconds, fine on the test's loop)."""
    try:
        return os.stat(wal).st_size
    except FileNotFoundError:
        return 0


@pytest.fixture
def store(bot_store: Store) -> Store:
    """Opened as the running bot opens it: the short busy timeout is what these tests exercise."""
    return bot_store


async def test_the_preview_is_small_whatever_the_upload(workers):
    preview = await workers.prepare("saga.txt", story_bytes(2), LIMIT, None)
    # The whole parsed story pickled to more than the upload itself; what the preview shows is a few KB.
    assert len(pickle.dumps(preview)) < 10_000
    assert (preview.title, preview.kind, len(preview.content_hash)) == ("The Worker Saga", "text", 64)
    assert preview.chapters > 1 and preview.words > 100_000 and preview.quotations > 1000
    assert preview.main_characters and all(lines > 0 for _, lines in preview.main_characters)


async def test_confirm_stores_in_the_worker_and_the_bot_sees_it(workers, store):
    data = story_bytes(0.3)
    preview = await workers.prepare("saga.txt", data, LIMIT, "Saga Retold")
    before = await library_page(store, GUILD, 0)  # anything the bot remembers about the library
    stored = await workers.store(store.path, "saga.txt", data, LIMIT, preview, guild_id=GUILD, added_by=ADMIN)

    seen = await get_story(store, stored.story.id)
    assert seen == stored.story
    assert (seen.title, seen.guild_id, seen.added_by, seen.source) == ("Saga Retold", GUILD, ADMIN, "saga.txt")
    assert (seen.chapter_count, seen.quote_count, seen.content_hash) == (
        preview.chapters, preview.quotations, preview.content_hash
    )
    details = await story_details(store, seen)
    assert len(details.chapters) == preview.chapters
    assert details.main_characters[0].name == preview.main_characters[0][0]
    assert (await library_page(store, GUILD, 0)).total == before.total + 1
    assert check_consistent(store.path) == ["Saga Retold"]


async def test_a_clash_found_in_the_worker_comes_back_with_its_message(workers, store):
    data = story_bytes(0.1)
    first = await workers.prepare("saga.txt", data, LIMIT, None)
    # Both previews were made before either was confirmed: only the worker's transaction can refuse.
    same_text = await workers.prepare("copy.txt", data, LIMIT, "Another Name")
    other = story_bytes(0.12)
    same_title = await workers.prepare("other.txt", other, LIMIT, "the  worker SAGA")
    kept = await workers.store(store.path, "saga.txt", data, LIMIT, first, guild_id=GUILD, added_by=ADMIN)

    with pytest.raises(LibraryConflict, match=r"^That story is already in the library as “The Worker Saga”\.$") as dup:
        await workers.store(store.path, "copy.txt", data, LIMIT, same_text, guild_id=GUILD, added_by=ADMIN)
    assert dup.value.existing == kept.story
    with pytest.raises(LibraryConflict, match="already in this server's library; run `/story add` again"):
        await workers.store(store.path, "other.txt", other, LIMIT, same_title, guild_id=GUILD, added_by=ADMIN)
    # Bytes that no longer match their preview are refused rather than stored unseen.
    with pytest.raises(InvalidInput, match="read differently"):
        await workers.store(store.path, "other.txt", other, LIMIT, first, guild_id=OTHER_GUILD, added_by=ADMIN)
    assert check_consistent(store.path) == ["The Worker Saga"]


OTHER_GUILD = 222


async def worker_has_written(store) -> bool:
    """The worker's writing is under way: over 1 MB in SQLite's WAL, or on PostgreSQL some of the
    staged story's text committed (it is stored in short transactions)."""
    if store.dialect == "sqlite":
        return wal_size(Path(f"{store.path}-wal")) > 1_000_000
    return (await store.db.execute_fetchall("SELECT count(*) FROM paragraphs"))[0][0] > 0


async def test_the_bots_connection_keeps_reading_while_the_worker_writes(workers, store):
    data = story_bytes(3)
    preview = await workers.prepare("saga.txt", data, LIMIT, None)
    storing = asyncio.ensure_future(
        workers.store(store.path, "saga.txt", data, LIMIT, preview, guild_id=GUILD, added_by=ADMIN)
    )
    slowest, reads_during_write = 0.0, 0
    while not storing.done():
        started = time.perf_counter()
        await library_page(store, GUILD, 0)
        slowest = max(slowest, time.perf_counter() - started)
        if not storing.done() and await worker_has_written(store):
            reads_during_write += 1
        await asyncio.sleep(0.01)
    stored = await storing
    assert reads_during_write > 5, "the worker's transaction was never seen in progress"
    # Reads never queue behind the worker's transaction (it was ~1 s on the bot's connection).
    assert slowest < 0.3, f"a read took {slowest * 1000:.0f} ms during the worker's write"
    assert (await get_story(store, stored.story.id)) == stored.story


async def test_a_worker_killed_mid_store_stores_nothing(workers, store):
    data = story_bytes(3)
    preview = await workers.prepare("saga.txt", data, LIMIT, None)
    children = pids()
    storing = asyncio.ensure_future(
        workers.store(store.path, "saga.txt", data, LIMIT, preview, guild_id=GUILD, added_by=ADMIN)
    )
    deadline = time.monotonic() + 120
    while not await worker_has_written(store):
        assert not storing.done(), "the store finished before it could be killed"
        assert time.monotonic() < deadline
        await asyncio.sleep(0.005)
    for pid in children:
        os.kill(pid, signal.SIGKILL)
    with pytest.raises(InvalidInput, match=re.escape(STORE_DIED)):
        await storing
    # SQLite rolled the worker's transaction back: nothing of it is visible, and the bot can write.
    assert (await library_page(store, GUILD, 0)).total == 0
    await store.set_meta("after", "kill")
    assert check_consistent(store.path) == []
    stored = await workers.store(store.path, "saga.txt", data, LIMIT, preview, guild_id=GUILD, added_by=ADMIN)
    assert check_consistent(store.path) == [stored.story.title]
