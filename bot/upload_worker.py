"""Uploads converted, parsed, summarised and stored in worker processes, off the bot's event loop and its GIL.

Lives outside cogs/ so reloading the cog never leaves the pickled functions and Preview class
pointing at a module discord.py has dropped.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import ctypes
import logging
import multiprocessing
import os
import secrets
import signal
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

from bot.errors import InvalidInput
from bot.formats import Upload, read_upload
from bot.store.connection import BUSY_TIMEOUT_MS, Store
from bot.store.library import add_story
from bot.store.loader import discard_staged
from bot.store.records import StoredStory

log = logging.getLogger(__name__)

T = TypeVar("T")

TITLE_LIMIT = 200
SUMMARY_LIMIT = 1_000  # the preview shows 600 characters; the rest would only cross the pipe
# An AO3 work may carry a few hundred tags, each up to 150 characters; more than this is spam.
TAGS_LIMIT = 200
URL_LIMIT = 2_000
MAIN_CHARACTERS_SHOWN = 6
# Parsing a large upload takes seconds of CPU; more than this many at once would only queue on the cores.
PARALLEL_UPLOADS = 2
# Processes, not threads: seconds of pure-Python parsing in a thread hold the GIL in long stretches
# (the event loop stalled ~300 ms on a 10 MB upload). "spawn" starts a fresh interpreter, so nothing
# of the running loop, its threads or its sockets is copied mid-use as fork would; its start
# (~0.4 s) is paid once, by the first upload.
WORKER_START_METHOD = "spawn"
WORKER_NICENESS = 10  # added to the workers' nice value: uploads yield the CPU to the bot's event loop
WORKER_DIED = "Reading that file stopped unexpectedly; please try again, or try a smaller file."
STORE_DIED = "Storing that story stopped unexpectedly, so nothing was added; please try again."
CHANGED = "That file read differently the second time, so nothing was added; please run `/story add` again."
_PR_SET_PDEATHSIG = 1


def _clean_tags(tags: tuple[str, ...]) -> tuple[str, ...]:
    cleaned = (clean_title(tag) for tag in tags[:TAGS_LIMIT])
    return tuple(dict.fromkeys(tag for tag in cleaned if tag))


def clean_title(raw: str | None) -> str | None:
    title = " ".join((raw or "").split())
    return title[:TITLE_LIMIT] or None


@dataclass(frozen=True, slots=True)
class Preview:
    """What the uploader sees before confirming, and what the store step must agree with.

    Small on purpose (a few KB): it crosses from the worker by pickle, and unpickling a whole
    parsed Story (~12 MB for a 10 MB upload) held the bot's GIL for ~0.2 s.
    """

    title: str
    author: str | None
    fandom: str | None
    rating: str | None
    summary: str | None
    content_hash: str
    tags: tuple[str, ...]
    language: str | None
    url: str | None
    kind: str
    chapters: int
    words: int
    quotations: int
    notes: int
    main_characters: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class Stored:
    """A confirmed upload as the worker stored it; `seconds` is the store step (parse, staging, publishing)."""

    story: StoredStory
    seconds: float


def _summarise(upload: Upload, filename: str, title: str | None) -> Preview:
    story, meta = upload.story, upload.metadata
    speakers = Counter(q.speaker for q in story.quotes if q.speaker)
    stem = PurePosixPath(filename.replace("\\", "/")).stem.replace("_", " ")
    return Preview(
        title=clean_title(title) or clean_title(upload.title) or clean_title(stem) or "Untitled",
        author=clean_title(meta.author),
        fandom=clean_title(meta.fandom),
        rating=clean_title(meta.rating),
        summary=story.summary[:SUMMARY_LIMIT] if story.summary else None,
        content_hash=upload.content_hash,
        tags=_clean_tags(meta.tags),
        language=clean_title(meta.language),
        url=meta.source[:URL_LIMIT] if meta.source else None,
        kind=upload.kind,
        chapters=len(story.chapters),
        words=sum(len(p.split()) for c in story.chapters for p in c.paragraphs),
        quotations=len(story.quotes),
        notes=len(story.notes),
        main_characters=tuple(speakers.most_common(MAIN_CHARACTERS_SHOWN)),
    )


def _read(data: bytes | Path) -> bytes:
    """The upload: given as bytes, or as the file the bot saved it to (read here, in the worker)."""
    return data.read_bytes() if isinstance(data, Path) else data


def prepare_preview(filename: str, data: bytes | Path, limit: int, title: str | None) -> Preview:
    """Convert, parse and summarise an upload. Runs in a worker process: its arguments, its Preview
    and its UploadRejected / NotAStory all cross by pickle."""
    return _summarise(read_upload(filename, _read(data), max_bytes=limit), filename, title)


def store_upload(
    database: str, filename: str, data: bytes | Path, limit: int, preview: Preview, guild_id: int, added_by: int,
    token: str,
) -> Stored:
    """Convert and parse the upload again and store it through this process's own connection.

    Runs in a worker process: the bot keeps only the upload's file between preview and Confirm,
    and the parsed story never crosses back. add_story stages the rows in short
    transactions (named by `token`) and shows the story in one that re-checks duplicates and the
    title, so a LibraryConflict comes back for the bot to show.
    """
    started = time.perf_counter()
    upload = read_upload(filename, _read(data), max_bytes=limit)
    if upload.content_hash != preview.content_hash:
        raise InvalidInput(CHANGED)
    return asyncio.run(_store(database, upload, filename, preview, guild_id, added_by, token, started))


def discard_upload(database: str, token: str) -> int:
    """Delete what a dead worker staged under `token` (runs in a worker, off the bot's connection)."""
    return asyncio.run(_discard(database, token))


async def _discard(database: str, token: str) -> int:
    async with Store.open(database, busy_timeout_ms=BUSY_TIMEOUT_MS) as store:
        return await discard_staged(store, tokens=[token])


async def _store(
    database: str, upload: Upload, filename: str, preview: Preview, guild_id: int, added_by: int, token: str,
    started: float,
) -> Stored:
    # The bot's connection has already migrated this file, so opening here applies nothing; WAL lets
    # the bot keep reading while these transactions write.
    async with Store.open(database, busy_timeout_ms=BUSY_TIMEOUT_MS) as store:
        stored = await add_story(
            store,
            upload.story,
            guild_id=guild_id,
            added_by=added_by,
            title=preview.title,
            content_hash=upload.content_hash,
            author=preview.author,
            fandom=preview.fandom,
            rating=preview.rating,
            source=filename[:TITLE_LIMIT],
            tags=preview.tags,
            language=preview.language,
            url=preview.url,
            token=token,
        )
    return Stored(stored, time.perf_counter() - started)


def _quiet_worker() -> None:
    # Ctrl-C reaches the whole process group; the bot shuts its workers down itself, so a worker
    # has no traceback of its own to print.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # An upload is background work: on a busy host the bot's event loop (every interaction) gets a
    # core before a parse does. The worker still takes any core nothing else wants.
    with contextlib.suppress(OSError, AttributeError):
        os.nice(WORKER_NICENESS)
    # A bot killed outright (kill -9) cannot stop its workers, and an orphaned worker would wait on
    # its queue forever; on Linux the kernel kills it with its parent. Killed mid-store, it leaves
    # only invisible staged rows (bot/store/loader.py), which the next start-up discards.
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            log.debug("prctl(PR_SET_PDEATHSIG) unavailable", exc_info=True)


async def _submit(pool: ProcessPoolExecutor, fn: Any, *args: Any) -> concurrent.futures.Future[Any]:
    """`pool.submit(fn, *args)` on a thread, not on the event loop's: a submit that finds no idle
    worker starts one there and then (spawn: a fork and exec of the whole bot, waited for), which
    held the event loop 10-15 ms at an upload's first step (docs/benchmarks.md, branch loop14). The
    thread is one of the loop's default executor, alive until the loop closes (a worker's
    PR_SET_PDEATHSIG follows the thread that started it). A caller cancelled meanwhile cancels the
    job once it is submitted (as run_in_executor would)."""
    submitting = asyncio.ensure_future(asyncio.to_thread(pool.submit, fn, *args))
    try:
        return await asyncio.shield(submitting)
    except asyncio.CancelledError:
        submitting.add_done_callback(_cancel_submitted)
        raise


def _cancel_submitted(submitting: asyncio.Future[concurrent.futures.Future[Any]]) -> None:
    if not submitting.cancelled() and submitting.exception() is None:
        submitting.result().cancel()


class WorkerDied(InvalidInput):
    """A worker process died mid-task (the message is user-facing)."""


class UploadWorkers:
    """A small process pool, started by the first upload and stopped by `close()`."""

    def __init__(self, max_workers: int = PARALLEL_UPLOADS) -> None:
        self.max_workers = max_workers
        self._pool: ProcessPoolExecutor | None = None

    @property
    def started(self) -> bool:
        return self._pool is not None

    async def prepare(self, filename: str, data: bytes | Path, limit: int, title: str | None) -> Preview:
        """`prepare_preview` in a worker process; domain errors come back as raised there."""
        return await self._run(WORKER_DIED, f"reading {filename!r}", prepare_preview, filename, data, limit, title)

    async def store(
        self, database: Path | str, filename: str, data: bytes | Path, limit: int, preview: Preview,
        *, guild_id: int, added_by: int,
    ) -> Stored:
        """`store_upload` in a worker process: LibraryConflict, UploadRejected and InvalidInput come
        back as raised there; a worker that dies answers STORE_DIED once what it staged is discarded."""
        token = secrets.token_hex(8)
        try:
            return await self._run(
                STORE_DIED, f"storing {filename!r}", store_upload,
                str(database), filename, data, limit, preview, guild_id, added_by, token,
            )
        except WorkerDied:
            # Its staged rows are invisible, but they fill the disk until the next start-up.
            try:
                await self._run(STORE_DIED, "discarding a dead worker's rows", discard_upload, str(database), token)
            except Exception:
                log.exception("Could not discard the rows a dead upload worker staged; the next start-up will")
            raise

    async def _run(self, died: str, what: str, fn: Any, *args: Any) -> T:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.max_workers,
                mp_context=multiprocessing.get_context(WORKER_START_METHOD),
                initializer=_quiet_worker,
            )
        pool = self._pool
        try:
            return await asyncio.wrap_future(await _submit(pool, fn, *args))
        except BrokenProcessPool:
            # A worker died (killed for memory, say) and took the pool with it; the next upload gets a new one.
            log.warning("Upload worker died while %s; restarting the workers", what)
            self._stop(pool)
            raise WorkerDied(died) from None

    def close(self) -> None:
        if self._pool is not None:
            self._stop(self._pool)

    def _stop(self, pool: ProcessPoolExecutor) -> None:
        # No wait: work in progress finishes in its own process while the bot goes on.
        pool.shutdown(wait=False, cancel_futures=True)
        if self._pool is pool:
            self._pool = None
