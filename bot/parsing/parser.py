"""parse_story: bytes in, Story out; and story_to_json, the shape `parse --json` prints."""
from __future__ import annotations

import gc
import hashlib
import json
import logging
import marshal
import math
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, TextIO

from bot.parsing.attribution import ChapterAttributor, Scorer, attribute_scene, committed
from bot.parsing.characters import Lexicon, build_lexicon_of, list_characters
from bot.parsing.decoding import decode_lines
from bot.parsing.layout import split_blocks, split_lines
from bot.parsing.model import Chapter, Character, NotAStory, Note, Quote, Scene, Story
from bot.parsing.notes import summary_text
from bot.parsing.quotations import RawQuote, find_quotes
from bot.parsing.structure import DraftChapter, Outline, assemble, classify

log = logging.getLogger(__name__)

# What a stored story was parsed with. Change it whenever parsing or attribution reads a story
# differently: stories whose hash was taken with another version are parsed again at start-up
# (bundled ones replace their old version in place, keeping their id, bookmarks and scores).
PARSER_VERSION = "2026-12-06.4"


def content_hash(data: bytes) -> str:
    """The identity of a parsed story: its bytes, as read by this version of the parser."""
    digest = hashlib.sha256(PARSER_VERSION.encode() + b"\0")
    digest.update(data)  # not concatenated: that would copy a big file's bytes
    return digest.hexdigest()

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
    model: Scorer | None = None,
) -> StoryStream:
    """Parse story bytes chapter by chapter (see StoryStream); NotAStory as parse_story raises it.

    A bytearray is handed over: it is emptied once decoded, so the file's bytes are not held
    beside the parse (bytes cannot be freed while the caller's frames still refer to them).

    The light first pass (outline, name lexicon, the kinds of quotation) runs here; attribution,
    the bulk of the work, runs as StoryStream.chapters() is iterated, and nothing of a chapter
    is kept once it has been handed out.
    """
    return StoryStream(data, filename, _Progress(progress, len(data)), model or committed())


class StoryStream:
    """A story parsed a chapter at a time.

    `title`, `summary`, `notes` and `chapter_count` are known at once. chapters() yields each
    chapter with its quotations, in order, once. A speaker may still be a role ("the painter")
    that the end of the story shows to be a named character: once chapters() is exhausted,
    `roles` maps such a speaker to the name every one of their quotations takes (parse_story
    applies it), and `characters` is the story's character list.
    """

    def __init__(self, data: bytes | bytearray, filename: str | None, progress: _Progress, scorer: Scorer) -> None:
        self.filename = filename
        self._progress = progress
        self._scorer = scorer
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
            paragraphs = [p for c in self._drafts if c for s in c.scenes for p in s.paragraphs]
            progress.text_total = sum(map(len, paragraphs)) + len(paragraphs)
            self._lexicon = build_lexicon_of(paragraphs)
            del paragraphs
            progress.at(_DONE_AFTER_LEXICON)
            # Counted here; kept for the attribution of a story of up to _KEPT_QUOTES_CHARS, found
            # again chapter by chapter in a longer one (keeping them all would hold a copy of every
            # quotation while the story is attributed).
            kept: list[list[list[RawQuote]] | None] | None = None
            if progress.text_total <= _KEPT_QUOTES_CHARS:
                kept = [[find_quotes(s.paragraphs) for s in c.scenes] if c else None for c in self._drafts]
                kinds = Counter(q.kind for c in kept if c for s in c for q in s)
            else:
                kinds = Counter(
                    q.kind for c in self._drafts if c for s in c.scenes for q in find_quotes(s.paragraphs)
                )
            self._kept_quotes = kept
            self._singles_are_speech = _singles_are_speech(kinds)
            progress.at(_DONE_AFTER_QUOTES)
        self.roles: dict[str, str] = {}
        self.characters: tuple[Character, ...] = ()
        # (number, title) of every chapter as the file's own table of contents gives them (EPUB),
        # replacing the parsed ones; set by the reader of the file before chapters() is read.
        self.headings: list[tuple[int | None, str | None]] | None = None
        self._started = False

    def story(self) -> Story:
        """The whole Story at once: every chapter collected, the speakers renamed."""
        chapters: list[Chapter] = []
        quotes: list[Quote] = []
        for chapter, chapter_quotes in self.chapters():
            chapters.append(chapter)
            quotes.extend(chapter_quotes)
        if roles := self.roles:
            # "said the painter" of the Basil the speeches before it call on: him, everywhere.
            for number, quote in enumerate(quotes):
                if (name := roles.get(quote.speaker or "")) is not None:
                    quotes[number] = replace(quote, speaker=name)
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
        if self._started:
            raise RuntimeError("a StoryStream's chapters are read once")
        self._started = True
        lexicon, scorer, progress = self._lexicon, self._scorer, self._progress
        speakers: Counter[str] = Counter()
        quote_count = 0
        for c_index in range(len(self._drafts)):
            chapter = self._drafts[c_index]
            self._drafts[c_index] = None  # handed out: the caller decides how long it lives
            assert chapter is not None
            with _no_cycle_collection():
                quotes = self._attribute(c_index, chapter, lexicon, scorer, progress, speakers)
                number, title = self.headings[c_index] if self.headings else (chapter.number, chapter.title)
                done = Chapter(
                    number=number,
                    title=title,
                    scenes=tuple(Scene(s.heading, tuple(s.paragraphs)) for s in chapter.scenes),
                )
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

    def _attribute(
        self, c_index: int, chapter: DraftChapter, lexicon: Lexicon, scorer: Scorer, progress: _Progress,
        speakers: Counter[str],
    ) -> list[Quote]:
        quotes: list[Quote] = []
        attributor = ChapterAttributor(lexicon)
        found_before = None  # the first pass's quotations of the chapter's scenes, when kept
        kept = self._kept_quotes
        if kept is not None:
            found_before = kept[c_index]
            kept[c_index] = None
        for s_index, scene in enumerate(chapter.scenes):
            raw = found_before[s_index] if found_before is not None else find_quotes(scene.paragraphs)
            if self._singles_are_speech:
                # British style: single quotes carry the speech, so they are not thoughts here.
                for found in raw:
                    found.kind = "speech"
            for found, who in zip(raw, attribute_scene(attributor, scene.paragraphs, raw, scorer), strict=True):
                speaker = who.speaker
                if speaker:
                    speakers[speaker] += 1
                confidence = round(who.confidence, 2)
                # Positional arguments, in Quote's field order: tens of thousands per novel.
                quotes.append(
                    Quote(
                        found.text, found.kind, speaker, confidence, c_index, s_index, found.paragraph,
                        found.start, found.start + len(found.text), who.rule,
                    )
                )
            progress.attributed(scene.paragraphs)
        return quotes


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
    in a temporary file (their speakers are renamed once the whole story has been read), so
    memory holds one chapter, not the story. They wait written out already, a NUL where each
    speaker goes (a NUL in a string is written escaped, so no other one is in the JSON).
    """
    head = story_to_json(Story(title=stream.title, summary=stream.summary, notes=stream.notes), metadata)
    out.write("{\n")
    for key in ("title", "summary", "metadata", "notes"):
        out.write(f'  "{key}": {_indented(head[key], 1)},\n')
    out.write('  "chapters": [')
    written = 0
    with tempfile.TemporaryFile() as spool:
        for chapter, quotes in stream.chapters():
            out.write(",\n" if written else "\n")
            out.write(_chapter_json(chapter))
            written += 1
            marshal.dump((",\n".join(map(_quote_json, quotes)), [q.speaker for q in quotes]), spool)
        out.write("\n  ]," if written else "],")
        out.write('\n  "quotes": [')
        spool.seek(0)
        roles = stream.roles
        speaker_json: dict[str | None, str] = {}
        first = True
        while True:
            try:
                written_quotes, speakers = marshal.load(spool)
            except EOFError:
                break
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
    characters = story_to_json(Story(title=None, summary=None, characters=stream.characters))["characters"]
    out.write(f'\n  "characters": {_indented(characters, 1)}\n}}')


# json's own string encoder (the C one where available), as json.dumps(ensure_ascii=False) uses it.
_string = json.encoder.encode_basestring


def _json_scalar(value: str | float | None) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return _string(value)
    return json.dumps(value)


def _indented(value: Any, level: int) -> str:
    """json.dumps(value, ensure_ascii=False, indent=2) as it appears `level` levels deep."""
    return json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n" + "  " * level)


def _chapter_json(chapter: Chapter) -> str:
    """One chapter of story_to_json's `chapters`, indented as json.dump(indent=2) writes it."""
    parts = [
        f'    {{\n      "number": {_json_scalar(chapter.number)},\n      "title": {_json_scalar(chapter.title)},\n'
        '      "scenes": ['
    ]
    for index, scene in enumerate(chapter.scenes):
        parts.append(",\n" if index else "\n")
        parts.append(f'        {{\n          "heading": {_json_scalar(scene.heading)},\n          "paragraphs": ')
        if scene.paragraphs:
            parts.append("[\n            ")
            parts.append(",\n            ".join(map(_string, scene.paragraphs)))
            parts.append("\n          ]\n        }")
        else:
            parts.append("[]\n        }")
    parts.append("\n      ]\n    }" if chapter.scenes else "]\n    }")
    return "".join(parts)


def _quote_json(quote: Quote) -> str:
    """One quotation of story_to_json's `quotes`, as json.dump(indent=2) writes it, with a NUL
    for its speaker's value (write_story_json puts in the speaker once the roles are known)."""
    return (
        f'    {{\n      "text": {_string(quote.text)},\n      "kind": {_json_scalar(quote.kind)},\n'
        f'      "speaker": \0,\n      "confidence": {_json_number(quote.confidence)},\n'
        f'      "chapter": {quote.chapter},\n      "scene": {quote.scene},\n      "paragraph": {quote.paragraph},\n'
        f'      "start": {quote.start},\n      "end": {quote.end},\n      "rule": {_json_scalar(quote.rule)}\n    }}'
    )


def _json_number(value: float | None) -> str:
    """json.dumps(value) for a confidence: repr, as json writes a finite float (json.dumps for the rest)."""
    if type(value) is float and math.isfinite(value):
        return float.__repr__(value)
    return _json_scalar(value)
