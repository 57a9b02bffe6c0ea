"""Uploads converted, parsed and summarised in worker processes, off the bot's event loop and its GIL.

Lives outside cogs/ so reloading the cog never leaves the pickled function and Preview class
pointing at a module discord.py has dropped.
"""
from __future__ import annotations

import asyncio
import logging
import multiprocessing
import signal
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import PurePosixPath

from bot.errors import InvalidInput
from bot.formats import Upload, read_upload

log = logging.getLogger(__name__)

TITLE_LIMIT = 200
MAIN_CHARACTERS_SHOWN = 6
# Parsing a large upload takes seconds of CPU; more than this many at once would only queue on the cores.
PARALLEL_UPLOADS = 2
# Processes, not threads: seconds of pure-Python parsing in a thread hold the GIL in long stretches
# (the event loop stalled ~300 ms on a 10 MB upload). "spawn" starts a fresh interpreter, so nothing
# of the running loop, its threads or its sockets is copied mid-use as fork would; its start
# (~0.4 s) is paid once, by the first upload.
WORKER_START_METHOD = "spawn"
WORKER_DIED = "Reading that file stopped unexpectedly; please try again, or try a smaller file."


def clean_title(raw: str | None) -> str | None:
    title = " ".join((raw or "").split())
    return title[:TITLE_LIMIT] or None


@dataclass(frozen=True, slots=True)
class Preview:
    """What the uploader sees before confirming; computed in the worker with the parse."""

    upload: Upload
    title: str
    chapters: int
    words: int
    quotations: int
    notes: int
    main_characters: tuple[tuple[str, int], ...]


def prepare_preview(filename: str, data: bytes, limit: int, title: str | None) -> Preview:
    """Convert, parse and summarise an upload. Runs in a worker process: its arguments, its Preview
    and its UploadRejected / NotAStory all cross by pickle."""
    upload = read_upload(filename, data, max_bytes=limit)
    story = upload.story
    speakers = Counter(q.speaker for q in story.quotes if q.speaker)
    stem = PurePosixPath(filename.replace("\\", "/")).stem.replace("_", " ")
    return Preview(
        upload=upload,
        title=clean_title(title) or clean_title(upload.title) or clean_title(stem) or "Untitled",
        chapters=len(story.chapters),
        words=sum(len(p.split()) for c in story.chapters for p in c.paragraphs),
        quotations=len(story.quotes),
        notes=len(story.notes),
        main_characters=tuple(speakers.most_common(MAIN_CHARACTERS_SHOWN)),
    )


def _quiet_worker() -> None:
    # Ctrl-C reaches the whole process group; the bot shuts its workers down itself, so a worker
    # has no traceback of its own to print.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class UploadWorkers:
    """A small process pool, started by the first upload and stopped by `close()`."""

    def __init__(self, max_workers: int = PARALLEL_UPLOADS) -> None:
        self.max_workers = max_workers
        self._pool: ProcessPoolExecutor | None = None

    @property
    def started(self) -> bool:
        return self._pool is not None

    async def prepare(self, filename: str, data: bytes, limit: int, title: str | None) -> Preview:
        """`prepare_preview` in a worker process; domain errors come back as raised there."""
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.max_workers,
                mp_context=multiprocessing.get_context(WORKER_START_METHOD),
                initializer=_quiet_worker,
            )
        pool = self._pool
        try:
            return await asyncio.get_running_loop().run_in_executor(
                pool, prepare_preview, filename, data, limit, title
            )
        except BrokenProcessPool:
            # A worker died (killed for memory, say) and took the pool with it; the next upload gets a new one.
            log.warning("Upload worker died while reading %r; restarting the workers", filename)
            self._stop(pool)
            raise InvalidInput(WORKER_DIED) from None

    def close(self) -> None:
        if self._pool is not None:
            self._stop(self._pool)

    def _stop(self, pool: ProcessPoolExecutor) -> None:
        # No wait: a parse in progress finishes in its own process while the bot goes on.
        pool.shutdown(wait=False, cancel_futures=True)
        if self._pool is pool:
            self._pool = None
