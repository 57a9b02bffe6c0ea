"""`/story add` converts and parses in a worker process: the bot's own process (its event loop and
GIL) spends little CPU on an upload, errors come back with their user-facing message, a dead worker
is replaced, and closing (the cog's unload) stops the workers."""
from __future__ import annotations

import asyncio
import multiprocessing
import os
import re
import signal
import time

import pytest

from bot.errors import InvalidInput
from bot.formats import UploadRejected
from bot.parsing import NotAStory
from bot.upload_worker import WORKER_DIED, UploadWorkers, prepare_preview
from tests.conftest import SEEDS

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
