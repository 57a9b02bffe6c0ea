"""parse_story: bytes in, Story out; and story_to_json, the shape `parse --json` prints."""
from __future__ import annotations

import gc
import json
import marshal
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import fields as _dataclass_fields

from bot.lazylog import Logger
from bot.parsing import parallel
from bot.parsing.attribution import Scorer, committed
from bot.parsing.characters import (
    build_lexicon_of,
    build_lexicon_of_blocks,
    list_characters,
    merge_counts,
)
from bot.parsing.decoding import decode_lines
from bot.parsing.jsonout import chapter_json as _chapter_json
from bot.parsing.jsonout import characters_json as _characters_json
from bot.parsing.jsonout import json_scalar as _json_scalar
from bot.parsing.jsonout import quote_json as _quote_json
from bot.parsing.layout import split_blocks, split_lines
from bot.parsing.model import Chapter, Character, NotAStory, Note, Quote, Scene, Story
from bot.parsing.notes import summary_text
from bot.parsing.parallel import QuoteFields
from bot.parsing.quotations import RawQuote, find_quotes
from bot.parsing.structure import DraftChapter, Outline, assemble, classify

TYPE_CHECKING = False  # typing's, without loading typing: `parse` starts without it (bot/startup.py)
if TYPE_CHECKING:
    from typing import IO, Any, TextIO

log = Logger(__name__)

# What a stored story was parsed with. Change it whenever parsing or attribution reads a story
# differently: stories whose hash was taken with another version are parsed again at start-up
# (bundled ones replace their old version in place, keeping their id, bookmarks and scores).
PARSER_VERSION = "2026-12-07.82"


def content_hash(data: bytes) -> str:
    """The identity of a parsed story: its bytes, as read by this version of the parser."""
    digest = _sha256(len(data))(PARSER_VERSION.encode() + b"\0")
    digest.update(data)  # not concatenated: that would copy a big file's bytes
    return digest.hexdigest()


def _sha256(size: int) -> Callable[[bytes], Any]:
    """SHA-256 for `size` bytes: hashlib's (OpenSSL's) past _BUILTIN_SHA256_MAX, the interpreter's
    own below it. Loading hashlib loads OpenSSL, 2-3 ms of a process, more than the built-in one
    takes over a few MB (about 3 ms per MB against 0.5): `parse` of a novel is faster without."""
    if size <= _BUILTIN_SHA256_MAX:
        for module in ("_sha256", "_sha2"):  # its name in Python 3.11, and from 3.12
            try:
                return __import__(module).sha256  # type: ignore[no-any-return]
            except (ImportError, AttributeError):
                pass
    import hashlib

    return hashlib.sha256


_BUILTIN_SHA256_MAX = 1 << 20

ParseProgress = Callable[[int, int], None]
"""Called as a parse advances with (bytes of the input done, bytes in all); the last call has both equal."""

# Where a parse's time goes, as the share done after each stage (a generated 10 MB story of
# bench/ingest.py's corpus on the 2-core development machine: decoding and outline 0.21 s, the
# name lexicon 0.34 s, finding quotations 0.12 s, attribution 1.01 s). Progress counts each stage
# by its share of the input's bytes, so a progress bar moves at an even pace and its ETA holds.
_DONE_AFTER_OUTLINE = 0.13
_DONE_AFTER_LEXICON = 0.33
_DONE_AFTER_QUOTES = 0.40
# Progress calls per parse, at most (plus the last): enough for a smooth bar, few enough to be free.
_PROGRESS_STEPS = 200

# Stories whose speech is mostly in single quotes (British style) use them for speech, not thought.
_SINGLE_SPEECH_MIN = 20
_SINGLE_SPEECH_RATIO = 10
# Up to this many characters of story text, the first pass's quotations are kept for attribution
# (about two bytes held per character) instead of being found again.
_KEPT_QUOTES_CHARS = 16_000_000


# Quote's slots, each written through its member descriptor (the slot itself, which the frozen
# dataclass's __setattr__ guards): the dataclass's own __init__ writes each field with
# object.__setattr__, ten Python-level calls a quotation (about 2 % of a PDNC novel's parse).
# The object made is the same (same slots, values, equality and hash).
_NEW = object.__new__
(_SET_TEXT, _SET_KIND, _SET_SPEAKER, _SET_CONFIDENCE, _SET_CHAPTER, _SET_SCENE, _SET_PARAGRAPH, _SET_START,
 _SET_END, _SET_RULE) = (Quote.__dict__[field.name].__set__ for field in _dataclass_fields(Quote))


def _quotes_of(rows: list[QuoteFields], roles: Mapping[str, str] | None = None) -> list[Quote]:
    """[Quote(*row) for row in rows], each speaker a role names renamed (`roles`: see
    StoryStream.roles), built without the dataclass's __init__."""
    quotes: list[Quote] = []
    append = quotes.append
    for text, kind, speaker, confidence, chapter, scene, paragraph, start, end, rule in rows:
        if roles and (name := roles.get(speaker or "")) is not None:
            speaker = name
        quote = _NEW(Quote)
        _SET_TEXT(quote, text)
        _SET_KIND(quote, kind)
        _SET_SPEAKER(quote, speaker)
        _SET_CONFIDENCE(quote, confidence)
        _SET_CHAPTER(quote, chapter)
        _SET_SCENE(quote, scene)
        _SET_PARAGRAPH(quote, paragraph)
        _SET_START(quote, start)
        _SET_END(quote, end)
        _SET_RULE(quote, rule)
        append(quote)
    return quotes


def outline_text(text: str) -> Outline:
    """The structure of decoded text, before quotations are looked at."""
    return _outline(split_blocks(text))


def _outline(blocks: list) -> Outline:
    roles, base_gap = classify(blocks)
    return assemble(blocks, roles, base_gap)


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """A parse makes hundreds of thousands of small objects that hold no reference cycles, and the
    cyclic garbage collector would walk them again and again as they pile up (a few per cent of
    the time); reference counting frees them all the same. Left as it was found, so a parse
    running in another thread at the same time never leaves the collector off."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _Progress:
    """Turns the share of a parse done into ParseProgress calls in bytes, at most _PROGRESS_STEPS."""

    def __init__(self, callback: ParseProgress | None, total: int) -> None:
        self.callback = callback
        self.total = total
        self.step = max(total // _PROGRESS_STEPS, 1)
        self.reported = 0
        self.text_done = 0  # characters of story text attributed so far
        self.text_total = 1

    def at(self, share: float) -> None:
        if self.callback is None:
            return
        done = min(int(self.total * share), self.total)
        if done - self.reported >= self.step:
            self.reported = done
            self.callback(done, self.total)

    def attributed(self, paragraphs: list[str]) -> None:
        """One more scene's paragraphs attributed: the last stage, counted by characters of text."""
        if self.callback is not None:
            self.text_done += sum(map(len, paragraphs)) + len(paragraphs)
            self.at(_DONE_AFTER_QUOTES + (1 - _DONE_AFTER_QUOTES) * self.text_done / self.text_total)

    def finish(self) -> None:
        if self.callback is not None:
            self.callback(self.total, self.total)


def parse_story(
    data: bytes, *, filename: str | None = None, progress: ParseProgress | None = None,
    model: Scorer | None = None,
) -> Story:
    """Parse story bytes; raise NotAStory (user-facing message) for empty, binary or storyless input.

    `progress`, when given, is called from the parsing thread as the parse advances (see
    ParseProgress); it must not raise. `model` replaces the committed speaker weights
    (benchmarks judging weights on texts they were not learned from).

    The whole Story at once: stream_story's chapters collected, with the speakers renamed.
    """
    return stream_story(data, filename=filename, progress=progress, model=model).story()


def stream_story(
    data: bytes | bytearray, *, filename: str | None = None, progress: ParseProgress | None = None,
    model: Scorer | None = None, processes: int = 0,
) -> StoryStream:
    """Parse story bytes chapter by chapter (see StoryStream); NotAStory as parse_story raises it.

    A bytearray is handed over: it is emptied once decoded, so the file's bytes are not held
    beside the parse (bytes cannot be freed while the caller's frames still refer to them).

    The light first pass (outline, name lexicon, the kinds of quotation) runs here; attribution,
    the bulk of the work, runs as StoryStream.chapters() is iterated, and nothing of a chapter
    is kept once it has been handed out.

    `processes` > 0: a story long enough to be read in blocks of chapters (bot/parsing/parallel.py)
    has them read in up to that many worker processes (the output is the same with none); the
    StoryStream must then be read to the end or closed.
    """
    return StoryStream(data, filename, _Progress(progress, len(data)), model or committed(), model, processes)


class StoryStream:
    """A story parsed a chapter at a time.

    `title`, `summary`, `notes` and `chapter_count` are known at once. chapters() yields each
    chapter with its quotations, in order, once. A speaker may still be a role ("the painter")
    that the end of the story shows to be a named character: once chapters() is exhausted,
    `roles` maps such a speaker to the name every one of their quotations takes (parse_story
    applies it), and `characters` is the story's character list.

    A story of more than parallel.BLOCK_CHARS of text is read in blocks of chapters (see
    bot/parsing/parallel.py), in up to `processes` worker processes when above 0 (the output is the
    same either way); close() ends them if chapters() is not read to the end.
    """

    def __init__(
        self, data: bytes | bytearray, filename: str | None, progress: _Progress, scorer: Scorer,
        model: Scorer | None = None, processes: int = 0,
    ) -> None:
        self.filename = filename
        self._progress = progress
        self._scorer = scorer
        self._model = model  # what worker processes are given: None for the committed weights
        self._pool: parallel.BlockPool | None = None
        try:
            self._first_pass(data, progress, processes)
        except BaseException:
            self.close()
            raise
        self.roles: dict[str, str] = {}
        self.characters: tuple[Character, ...] = ()
        # (number, title) of every chapter as the file's own table of contents gives them (EPUB),
        # replacing the parsed ones; set by the reader of the file before chapters() is read.
        self.headings: list[tuple[int | None, str | None]] | None = None
        self._started = False

    def close(self) -> None:
        """End the worker processes, if any (chapters() does once read to the end)."""
        if self._pool is not None:
            pool, self._pool = self._pool, None
            pool.close()

    def _first_pass(self, data: bytes | bytearray, progress: _Progress, processes: int) -> None:
        with _no_cycle_collection():
            # Read a line at a time: the whole decoded text is never held.
            lines = decode_lines(data, consume=isinstance(data, bytearray))
            if isinstance(data, bytearray):
                data.clear()  # handed over (parse --json): the lines are all the parse reads
            outline = _outline(split_lines(lines, consume=True))
            del lines
            if not outline.chapters:
                raise NotAStory("The file has no story text, only headings or notes.")
            progress.at(_DONE_AFTER_OUTLINE)
            self.title = outline.title
            self.summary: str | None = None
            notes: list[Note] = []
            for index, chapter in enumerate(outline.chapters):
                for position, note_text, kind in chapter.notes:
                    if kind == "summary" and self.summary is None:
                        self.summary = summary_text(note_text) or None
                    notes.append(Note(index, position, note_text, kind))
            self.notes = tuple(notes)
            # Only the chapters are read from here on: the blocks, a second copy of the text, go.
            self._drafts: list[DraftChapter | None] = list(outline.chapters)
            del outline
            self.chapter_count = len(self._drafts)
            self.has_text = any(d.has_text for d in self._drafts if d is not None)
            # The lexicon of the story's text, read a window of paragraphs at a time (never joined).
            chapter_chars = [
                sum([sum(map(len, s.paragraphs)) + len(s.paragraphs) for s in c.scenes]) if c else 0
                for c in self._drafts
            ]
            progress.text_total = sum(chapter_chars)  # each paragraph and its line feed
            self._blocks = parallel.block_bounds(chapter_chars)
            kept: list[list[list[RawQuote]] | None] | None = None
            if len(self._blocks) == 1:
                self._lexicon = build_lexicon_of([p for c in self._drafts if c for s in c.scenes for p in s.paragraphs])
                progress.at(_DONE_AFTER_LEXICON)
                # Counted here; kept for the attribution of a story of up to _KEPT_QUOTES_CHARS,
                # found again chapter by chapter in a longer one (keeping them all would hold a copy
                # of every quotation while the story is attributed).
                if progress.text_total <= _KEPT_QUOTES_CHARS:
                    kept = [[find_quotes(s.paragraphs) for s in c.scenes] if c else None for c in self._drafts]
                    kinds = Counter(q.kind for c in kept if c for s in c for q in s)
                else:
                    kinds = Counter(
                        q.kind for c in self._drafts if c for s in c.scenes for q in find_quotes(s.paragraphs)
                    )
            else:
                # The lexicon's counting and the kinds, block by block (shared with a worker
                # process when there are some), then the rest of the lexicon over the text read a
                # block at a time.
                block_texts: Callable[[], Iterator[list[str]]]
                if processes > 0:
                    # The blocks go to the pool's file, which is all this process and the workers
                    # read from here on: the parse's largest holding, the story's text, goes before
                    # the first worker starts, and the pages freed go back to the system.
                    self._pool = parallel.BlockPool(self._drafts, self._blocks, min(processes, len(self._blocks)))
                    self._drafts = [None] * len(self._drafts)
                    # Whatever reference cycles are left, freed before the workers start (the
                    # outline's compiled closures held its blocks in one until 2026-12-06.9: about
                    # 150 MB of a 100 MB story's 220; structure.py has none now).
                    gc.collect()
                    from bot.memory import release_memory  # a long story only: ctypes

                    release_memory()
                    parts = self._pool.first_pass()
                    block_texts = self._pool.block_paragraphs
                else:
                    drafts, bounds = self._drafts, self._blocks
                    parts = [parallel.block_counts(drafts[a:b]) for a, b in bounds]  # type: ignore[arg-type]

                    def block_texts() -> Iterator[list[str]]:
                        for a, b in bounds:
                            yield parallel.paragraphs_of(drafts[a:b])  # type: ignore[arg-type]
                kinds = Counter()
                for _, block_kinds in parts:
                    kinds.update(block_kinds)
                self._lexicon = build_lexicon_of_blocks(block_texts, merge_counts(counts for counts, _ in parts))
                del parts
                progress.at(_DONE_AFTER_LEXICON)
            self._kept_quotes = kept
            self._singles_are_speech = _singles_are_speech(kinds)
            progress.at(_DONE_AFTER_QUOTES)

    def story(self) -> Story:
        """The whole Story at once: every chapter collected, the speakers renamed."""
        chapters: list[Chapter] = []
        rows: list[QuoteFields] = []
        for chapter, chapter_rows in self.chapter_fields():
            chapters.append(chapter)
            rows.extend(chapter_rows)
        # Made once the roles are known: "said the painter" of the Basil the speeches before it
        # call on is him, everywhere.
        with _no_cycle_collection():
            quotes = _quotes_of(rows, self.roles)
        del rows
        return Story(
            title=self.title,
            summary=self.summary,
            notes=self.notes,
            chapters=tuple(chapters),
            quotes=tuple(quotes),
            characters=self.characters,
        )

    def chapters(self) -> Iterator[tuple[Chapter, list[Quote]]]:
        """Each chapter and its quotations (speakers before `roles` are applied), in story order."""
        for done, fields in self.chapter_fields():
            with _no_cycle_collection():
                quotes = _quotes_of(fields)
            yield done, quotes

    def chapter_fields(self) -> Iterator[tuple[Chapter, list[QuoteFields]]]:
        """chapters() with each quotation as its Quote's fields (a tuple is made in a tenth of the
        time): what write_story_json reads."""
        if self._started:
            raise RuntimeError("a StoryStream's chapters are read once")
        self._started = True
        lexicon, scorer, progress = self._lexicon, self._scorer, self._progress
        speakers: Counter[str] = Counter()
        quote_count = 0
        if len(self._blocks) > 1:
            for done, quotes in self._block_chapters(speakers):
                quote_count += len(quotes)
                yield done, quotes
        kept = self._kept_quotes
        for c_index in range(len(self._drafts) if len(self._blocks) == 1 else 0):
            chapter = self._drafts[c_index]
            self._drafts[c_index] = None  # handed out: the caller decides how long it lives
            assert chapter is not None
            found = None  # the first pass's quotations of the chapter's scenes, when kept
            if kept is not None:
                found, kept[c_index] = kept[c_index], None
            with _no_cycle_collection():
                quotes = parallel.attribute_chapter(
                    c_index, chapter, lexicon, scorer, self._singles_are_speech, speakers, progress, found
                )
                done = self._chapter(c_index, chapter)
            del chapter
            quote_count += len(quotes)
            yield done, quotes
        with _no_cycle_collection():
            if roles := lexicon.roles():
                counted = speakers.copy()
                for role, name in roles.items():
                    # What renaming each of the role's quotations one by one does to the counts.
                    moved = counted.get(role, 0)
                    if moved:
                        speakers[name] += moved
                        speakers[role] -= moved
                speakers = +speakers
            self.roles = roles
            self.characters = list_characters(lexicon, speakers, roles)
        log.debug(
            "parsed %s: %d chapters, %d quotes, %d characters",
            self.filename or "story", self.chapter_count, quote_count, len(self.characters),
        )
        progress.finish()

    def _chapter(self, c_index: int, chapter: DraftChapter) -> Chapter:
        number, title = self.headings[c_index] if self.headings else (chapter.number, chapter.title)
        return Chapter(
            number=number, title=title, scenes=tuple(Scene(s.heading, tuple(s.paragraphs)) for s in chapter.scenes)
        )

    def _block_chapters(self, speakers: Counter[str]) -> Iterator[tuple[Chapter, list[QuoteFields]]]:
        """chapters() of a story of several blocks: each block attributed from the lexicon as the
        first pass left it (in worker processes when there is a pool), its findings merged in order."""
        import pickle  # only a long story needs it

        lexicon, progress = self._lexicon, self._progress
        snapshot = pickle.dumps(lexicon, protocol=pickle.HIGHEST_PROTOCOL)
        base_genders = frozenset(lexicon.gender)
        singles = self._singles_are_speech
        if self._pool is None:
            for first, end in self._blocks:
                chapters = self._drafts[first:end]
                self._drafts[first:end] = [None] * (end - first)
                with _no_cycle_collection():
                    result = parallel.attribute_block(
                        first, chapters, snapshot, base_genders, self._scorer, singles, progress  # type: ignore[arg-type]
                    )
                    result.merge_into(lexicon, speakers)
                for offset, chapter in enumerate(chapters):
                    assert chapter is not None
                    yield self._chapter(first + offset, chapter), result.quotes[offset]
                del chapters
            return
        pool = self._pool
        assert pool is not None
        try:
            for index, result in pool.results(snapshot, base_genders, self._model, singles):
                first = self._blocks[index][0]
                block = pool.chapters(index)
                with _no_cycle_collection():
                    result.merge_into(lexicon, speakers)
                for offset, read in enumerate(block):
                    for scene in read.scenes:
                        progress.attributed(scene.paragraphs)
                    yield self._chapter(first + offset, read), result.quotes[offset]
                del block, result
        finally:
            self.close()


def _singles_are_speech(kinds: Counter[str]) -> bool:
    return kinds["thought"] >= _SINGLE_SPEECH_MIN and kinds["thought"] > _SINGLE_SPEECH_RATIO * kinds["speech"]


METADATA_KEYS = ("author", "fandom", "rating", "tags", "summary", "language", "source")


def story_to_json(story: Story, metadata: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The JSON object of CONTRACT §5 (plus a few extra keys).

    `metadata` is what the file (and a .toml beside it) says of the story; the parser reads only
    text, so the caller that read the file passes it. Missing keys are null, `tags` empty.
    """
    metadata = metadata or {}
    return {
        "title": story.title,
        "summary": story.summary,
        "metadata": {key: metadata.get(key, [] if key == "tags" else None) for key in METADATA_KEYS},
        "notes": [
            {"chapter": n.chapter, "position": n.position, "text": n.text, "kind": n.kind}
            for n in story.notes
        ],
        "chapters": [
            {
                "number": c.number,
                "title": c.title,
                "scenes": [{"heading": s.heading, "paragraphs": list(s.paragraphs)} for s in c.scenes],
            }
            for c in story.chapters
        ],
        "quotes": [
            {
                "text": q.text,
                "kind": q.kind,
                "speaker": q.speaker,
                "confidence": q.confidence,
                "chapter": q.chapter,
                "scene": q.scene,
                "paragraph": q.paragraph,
                "start": q.start,
                "end": q.end,
                "rule": q.rule,
            }
            for q in story.quotes
        ],
        "characters": [
            {"name": c.name, "aliases": list(c.aliases), "mentions": c.mentions, "gender": c.gender}
            for c in story.characters
        ],
    }


def write_story_json(out: TextIO, stream: StoryStream, metadata: Mapping[str, Any] | None = None) -> None:
    """Write `parse --json` (CONTRACT §5) as the story is parsed, byte for byte what
    `json.dump(story_to_json(story, metadata), out, ensure_ascii=False, indent=2)` writes.

    Each chapter is written as soon as it is attributed and then dropped; its quotations wait
    (their speakers are renamed once the whole story has been read) in memory, past
    _SPOOL_MEMORY characters in a temporary file, so memory holds one chapter, not the story. They wait written out already, a NUL where each
    speaker goes (a NUL in a string is written escaped, so no other one is in the JSON).
    """
    head = story_to_json(Story(title=stream.title, summary=stream.summary, notes=stream.notes), metadata)
    out.write("{\n")
    for key in ("title", "summary", "metadata", "notes"):
        out.write(f'  "{key}": {_indented(head[key], 1)},\n')
    out.write('  "chapters": [')
    written = 0
    with _Spool() as spool:
        for chapter, quotes in stream.chapter_fields():
            out.write(",\n" if written else "\n")
            out.write(_chapter_json(chapter))
            written += 1
            spool.dump((",\n".join(map(_quote_json, quotes)), [q[2] for q in quotes]))
        out.write("\n  ]," if written else "],")
        out.write('\n  "quotes": [')
        roles = stream.roles
        speaker_json: dict[str | None, str] = {}
        first = True
        for written_quotes, speakers in spool.waiting():
            if not speakers:
                continue
            out.write("\n" if first else ",\n")
            first = False
            pieces = written_quotes.split("\0")
            parts = [pieces[0]]
            for speaker, piece in zip(speakers, pieces[1:], strict=True):
                if (said := speaker_json.get(speaker)) is None:
                    # Renamed as parse_story renames it: "the painter" is Basil everywhere.
                    name = roles.get(speaker, speaker) if speaker else speaker
                    said = speaker_json[speaker] = _json_scalar(name)
                parts.append(said)
                parts.append(piece)
            out.write("".join(parts))
    out.write("]," if first else "\n  ],")
    out.write(f'\n  "characters": {_characters_json(stream.characters)}\n}}')


class _Spool:
    """Where write_story_json's quotations wait: held as they are up to _SPOOL_MEMORY characters
    (a novel's take a few hundred thousand), then in an unnamed temporary file, marshalled.
    tempfile (with shutil, random and the compression modules it brings, a few ms of every
    start-up) is imported only then."""

    def __init__(self) -> None:
        self.held: list[tuple[str, list[str | None]]] = []
        self.size = 0
        self.file: IO[bytes] | None = None

    def __enter__(self) -> _Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.file is not None:
            self.file.close()

    def dump(self, value: tuple[str, list[str | None]]) -> None:
        if self.file is not None:
            marshal.dump(value, self.file)
            return
        self.held.append(value)
        self.size += len(value[0])
        if self.size > _SPOOL_MEMORY:
            import tempfile

            self.file = tempfile.TemporaryFile()
            for held in self.held:
                marshal.dump(held, self.file)
            self.held = []

    def waiting(self) -> Iterator[tuple[str, list[str | None]]]:
        """What was dumped, in order, once."""
        if self.file is None:
            held, self.held = self.held, []
            yield from held
            return
        self.file.seek(0)
        while True:
            try:
                yield marshal.load(self.file)
            except EOFError:
                return


_SPOOL_MEMORY = 4 << 20

def _indented(value: Any, level: int) -> str:
    """json.dumps(value, ensure_ascii=False, indent=2) as it appears `level` levels deep."""
    return json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n" + "  " * level)
