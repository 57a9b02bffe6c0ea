"""A long story attributed in blocks of chapters, in worker processes where the caller allows them.

Attribution carries state from chapter to chapter in the lexicon (who talks with whom, speakers
only described, role calls). A story with more than BLOCK_CHARS of text is cut into blocks of
consecutive chapters of about BLOCK_CHARS each (the cut depends on the text alone), and every block
is attributed from the lexicon as the first pass left it, never from what the blocks before it
found: so blocks can run in any process, in any order, and the output is the same whatever the
number of processes (none included). What the story's end needs is merged in block order: the
speaker counts, the role and title calls and the genders of described speakers. A story of one block (every
novel of the annotated corpora, every bundled story) is attributed exactly as before, in one piece.
"""
from __future__ import annotations

import marshal
import sys
from collections import Counter
from collections.abc import Iterator, Sequence

from bot import lazylog
from bot.lazylog import Logger
from bot.parsing.attribution import ChapterAttributor, Scorer, attribute_scene, committed
from bot.parsing.characters import Lexicon, WindowCounts, paragraph_counts
from bot.parsing.quotations import RawQuote, find_quotes
from bot.parsing.structure import DraftChapter, DraftScene

TYPE_CHECKING = False  # typing's, without loading typing: `parse` starts without it (bot/startup.py)
if TYPE_CHECKING:
    from concurrent.futures import Future
    from typing import IO, Any

    from bot.parsing.parser import _Progress

log = Logger(__name__)

# Characters of story text per block. Large enough that every annotated novel (the longest PDNC one
# is under a million characters) and any ordinary upload stays one block, and that a block's work
# (about 0.7 s of CPU) dwarfs handing it to a process; small enough that the last block of a long
# story leaves the other cores idle only briefly.
BLOCK_CHARS = 4_000_000
# first_pass keeps a second block queued for its worker while more than this many are left: near
# the end, a queued block would leave this process waiting for the worker instead.
_AHEAD_WHILE = 3

# Quote's fields in order: text, kind, speaker, confidence, chapter, scene, paragraph, start, end, rule.
QuoteFields = tuple[str, str, "str | None", float, int, int, int, int, int, "str | None"]


class ParseWorkerFailed(Exception):
    """A worker process attributing a block of a long story stopped without an answer."""


def block_bounds(chapter_chars: Sequence[int], block_chars: int | None = None) -> list[tuple[int, int]]:
    """(first chapter, end) of each block: consecutive chapters until at least `block_chars` of text
    (BLOCK_CHARS by default); one block when the story holds no more than that."""
    limit = BLOCK_CHARS if block_chars is None else block_chars
    count = len(chapter_chars)
    if sum(chapter_chars) <= limit:
        return [(0, count)]
    bounds: list[tuple[int, int]] = []
    start = size = 0
    for index, chars in enumerate(chapter_chars):
        size += chars
        if size >= limit:
            bounds.append((start, index + 1))
            start, size = index + 1, 0
    if start < count:
        bounds.append((start, count))
    return bounds


def attribute_chapter(
    c_index: int, chapter: DraftChapter, lexicon: Lexicon, scorer: Scorer, singles_are_speech: bool,
    speakers: Counter[str], progress: _Progress | None = None, found_before: list[list[RawQuote]] | None = None,
) -> list[QuoteFields]:
    """The quotations of one chapter, as Quote's fields in order, speakers counted in `speakers`;
    `found_before`: the first pass's quotations of its scenes, when it kept them."""
    quotes: list[QuoteFields] = []
    attributor = ChapterAttributor(lexicon)
    for s_index, scene in enumerate(chapter.scenes):
        raw = found_before[s_index] if found_before is not None else find_quotes(scene.paragraphs)
        if singles_are_speech:
            # British style: single quotes carry the speech, so they are not thoughts here.
            for found in raw:
                found.kind = "speech"
        for found, who in zip(raw, attribute_scene(attributor, scene.paragraphs, raw, scorer), strict=True):
            speaker = who.speaker
            if speaker:
                speakers[speaker] += 1
            quotes.append((
                found.text, found.kind, speaker, round(who.confidence, 2), c_index, s_index, found.paragraph,
                found.start, found.start + len(found.text), who.rule,
            ))
        if progress is not None:
            progress.attributed(scene.paragraphs)
    return quotes


class BlockResult:
    """What a block's attribution hands back beside its quotations: what the story's end needs."""

    __slots__ = ("described", "genders", "quotes", "role_calls", "role_scenes", "speakers", "title_calls")

    def __init__(self, quotes: list[list[QuoteFields]], lexicon: Lexicon, base_genders: frozenset[str],
                 speakers: Counter[str]) -> None:
        self.quotes = quotes  # per chapter of the block
        self.speakers = dict(speakers)  # in order of first quotation
        self.role_calls = {role: dict(calls) for role, calls in lexicon.role_calls.items()}
        self.title_calls = {title: dict(calls) for title, calls in lexicon.title_calls.items()}
        self.role_scenes = {role: dict(seen) for role, seen in lexicon.role_scenes.items()}
        # Only ever added to (Lexicon.describe sets a gender once): the ones this block added.
        self.genders = [(who, sex) for who, sex in lexicon.gender.items() if who not in base_genders]
        self.described = sorted(lexicon.described)

    def merge_into(self, lexicon: Lexicon, speakers: Counter[str]) -> None:
        """Add this block's findings to the story's, in block order (first met, first kept)."""
        speakers.update(self.speakers)
        for role, calls in self.role_calls.items():
            lexicon.role_calls.setdefault(role, Counter()).update(calls)
        for title, calls in self.title_calls.items():
            lexicon.title_calls.setdefault(title, Counter()).update(calls)
        for role, seen in self.role_scenes.items():
            lexicon.role_scenes.setdefault(role, Counter()).update(seen)
        for who, sex in self.genders:
            lexicon.gender.setdefault(who, sex)
        lexicon.described.update(self.described)


def attribute_block(
    first: int, chapters: Sequence[DraftChapter], snapshot: bytes, base_genders: frozenset[str],
    scorer: Scorer, singles_are_speech: bool, progress: _Progress | None = None,
) -> BlockResult:
    """A block of chapters (the first is chapter `first` of the story) attributed from the lexicon
    `snapshot` (pickled as the first pass left it)."""
    import pickle  # only a long story needs it

    lexicon: Lexicon = pickle.loads(snapshot)
    speakers: Counter[str] = Counter()
    quotes = [
        attribute_chapter(first + offset, chapter, lexicon, scorer, singles_are_speech, speakers, progress)
        for offset, chapter in enumerate(chapters)
    ]
    return BlockResult(quotes, lexicon, base_genders, speakers)


def paragraphs_of(chapters: Sequence[DraftChapter]) -> list[str]:
    """The paragraphs of a block's chapters, in order."""
    return [p for chapter in chapters for scene in chapter.scenes for p in scene.paragraphs]


def block_counts(chapters: Sequence[DraftChapter]) -> tuple[WindowCounts, Counter[str]]:
    """A block's share of the first pass: the lexicon's counts over its text (count_windows) and
    the kinds of its quotations."""
    kinds = Counter(q.kind for chapter in chapters for scene in chapter.scenes for q in find_quotes(scene.paragraphs))
    return paragraph_counts(paragraphs_of(chapters)), kinds


# ---------------------------------------------------------------- blocks in worker processes

# The block file of the story being parsed, set in each worker process by _start_worker.
_worker: dict[str, Any] = {}


def _start_worker(spool: str) -> None:
    _worker["spool"] = spool


def _read_block(offset: int, length: int) -> list[DraftChapter]:
    with open(_worker["spool"], "rb") as spool:
        spool.seek(offset)
        return _drafts(marshal.loads(spool.read(length)))


def _counts_in_worker(offset: int, length: int) -> tuple[WindowCounts, Counter[str]]:
    return block_counts(_read_block(offset, length))


def _block_in_worker(
    first: int, offset: int, length: int, snapshot: bytes, base_genders: frozenset[str], scorer: Scorer | None,
    singles_are_speech: bool,
) -> BlockResult:
    return attribute_block(
        first, _read_block(offset, length), snapshot, base_genders, scorer or committed(), singles_are_speech
    )


def _drafts(spooled: list) -> list[DraftChapter]:
    return [
        DraftChapter(number, title, [DraftScene(heading, paragraphs) for heading, paragraphs in scenes])
        for number, title, scenes in spooled
    ]


def _spooled(chapter: DraftChapter) -> tuple:
    return chapter.number, chapter.title, [(scene.heading, scene.paragraphs) for scene in chapter.scenes]


def stop_fork_server() -> None:
    """Stop the fork server the workers came from, if one runs, and wait for it: its workers' CPU
    time is then this process's children's, as a spawned worker's would be (what bench/ingest.py
    reads)."""
    forkserver = sys.modules.get("multiprocessing.forkserver")
    stop = getattr(getattr(forkserver, "_forkserver", None), "_stop", None)  # private, tested on 3.11
    if stop is not None:
        stop()


class BlockPool:
    """The blocks of a story, written to a temporary file for up to `processes` worker processes:
    first_pass() starts them and shares the first pass's counting with them, results() has them
    attribute the blocks a few ahead of the reader and yields the results in story order.

    No process starts before first_pass(): the caller drops the story's text first (the file holds
    it), so the fork server the workers come from starts from a small process; a process started
    from one holding the story would count its pages again for a moment (the moment between fork
    and exec), and the fork server and multiprocessing's resource tracker (about 27 MB) would sit
    beside the first pass's peak.

    Each worker is an executor of its own with one process: one executor of several starts another
    process whenever work is submitted before it has counted a finished worker as idle again, and
    while this process still holds the story's text a second worker would take the whole tree past
    its memory budget."""

    def __init__(self, drafts: Sequence[DraftChapter | None], bounds: list[tuple[int, int]], processes: int) -> None:
        self.bounds = bounds
        self.processes = processes
        self.executors: list[Any] = []
        import tempfile  # only for a story long enough for blocks: a few ms of every parse start-up

        self.spool: IO[bytes] = tempfile.NamedTemporaryFile(prefix="storybot-blocks-")
        self.places: list[tuple[int, int]] = []
        try:
            for first, end in bounds:
                offset = self.spool.tell()
                self.spool.write(marshal.dumps([_spooled(drafts[i]) for i in range(first, end)]))  # type: ignore[arg-type]
                self.places.append((offset, self.spool.tell() - offset))
            self.spool.flush()
        except BaseException:
            self.close()
            raise

    def _add_worker(self) -> None:
        # Imported here: `parse` of an ordinary story (one block) starts faster without them.
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        lazylog.load()  # concurrent.futures logs through logging: configured as the command asked

        # Forked from the fork server, never from this process: a worker forked from here counts
        # every page of this process again, and this process may run threads (the ingest's). The
        # fork server imports nothing ahead (by default it would import __main__).
        multiprocessing.set_forkserver_preload([])
        self.executors.append(ProcessPoolExecutor(
            1, mp_context=multiprocessing.get_context("forkserver"), initializer=_start_worker,
            initargs=(self.spool.name,),
        ))

    def first_pass(self) -> list[tuple[WindowCounts, Counter[str]]]:
        """block_counts of every block: this process takes them from the first, the worker
        processes (all of them started here) from the last (all read the blocks from the file).
        Each worker is handed its next block before it finishes the one it is on, while more than
        _AHEAD_WHILE blocks are left, so none waits for this process to look up from a block of
        its own; and every worker has started before attribution needs it."""
        while len(self.executors) < self.processes:
            self._add_worker()
        found: list[tuple[WindowCounts, Counter[str]] | None] = [None] * len(self.bounds)
        low, high = 0, len(self.bounds)
        counting: list[list[tuple[int, Future]]] = [[] for _ in self.executors]  # per worker, oldest first
        while low < high or any(counting):
            for worker, queue in zip(self.executors, counting, strict=True):
                while queue and (queue[0][1].done() or low >= high):
                    taken, future = queue.pop(0)
                    found[taken] = self._answer(future)
                while low < high and (not queue or (len(queue) < 2 and high - low > _AHEAD_WHILE)):
                    high -= 1
                    queue.append((high, self._submit(worker, _counts_in_worker, *self.places[high])))
            if low < high:
                found[low] = block_counts(self.chapters(low))
                low += 1
        return found  # type: ignore[return-value]

    def block_paragraphs(self) -> Iterator[list[str]]:
        """Each block's paragraphs in turn, read back from the file."""
        for index in range(len(self.bounds)):
            yield paragraphs_of(self.chapters(index))

    def chapters(self, index: int) -> list[DraftChapter]:
        """Block `index`'s chapters, read back from the file."""
        offset, length = self.places[index]
        self.spool.seek(offset)
        return _drafts(marshal.loads(self.spool.read(length)))

    def results(
        self, snapshot: bytes, base_genders: frozenset[str], scorer: Scorer | None, singles: bool
    ) -> Iterator[tuple[int, BlockResult]]:
        """attribute_block of every block, in order, `processes` at a time and a few ahead."""
        while len(self.executors) < self.processes:
            self._add_worker()
        futures: dict[int, Future[BlockResult]] = {}
        running: list[list[Future]] = [[] for _ in self.executors]
        submitted = 0
        ahead = 2 * self.processes
        for index in range(len(self.bounds)):
            while submitted < len(self.bounds) and submitted < index + ahead:
                # To the worker with the least left to do (which one does a block never changes it).
                for queue in running:
                    queue[:] = [f for f in queue if not f.done()]
                least = min(range(len(running)), key=lambda w: len(running[w]))
                offset, length = self.places[submitted]
                futures[submitted] = future = self._submit(
                    self.executors[least], _block_in_worker, self.bounds[submitted][0], offset, length, snapshot,
                    base_genders, scorer, singles,
                )
                running[least].append(future)
                submitted += 1
            yield index, self._answer(futures.pop(index))

    @staticmethod
    def _submit(executor: Any, *call: Any) -> Future:
        from concurrent.futures.process import BrokenProcessPool

        try:
            return executor.submit(*call)
        except BrokenProcessPool as exc:  # once its worker has died
            raise _failed() from exc

    @staticmethod
    def _answer(future: Future) -> Any:
        from concurrent.futures.process import BrokenProcessPool

        try:
            return future.result()
        except BrokenProcessPool as exc:
            raise _failed() from exc

    def close(self) -> None:
        try:
            for executor in self.executors:
                executor.shutdown(wait=False, cancel_futures=True)
            for executor in self.executors:
                executor.shutdown(wait=True)
        finally:
            self.spool.close()


def _failed() -> ParseWorkerFailed:
    return ParseWorkerFailed("a worker process parsing the story stopped unexpectedly (out of memory, or killed)")
