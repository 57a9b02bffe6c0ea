"""Loading parsed stories into the store: idempotent, one transaction per story, parsing off the loop.

`load_story` writes one parsed Story; `load_directory` / `load_paths` read story files (every format
`/story add` reads, through the same code, with an optional .toml of metadata beside), skip unchanged
ones by content hash before parsing them, and report per file. A bundled story (guild_id NULL) is identified by its source file name, so a changed
file replaces its old version in place (the story keeps its id).
"""
from __future__ import annotations

import asyncio
import bisect
import contextlib
import functools
import hashlib
import itertools
import json
import logging
import marshal
import multiprocessing
import os
import queue
import sqlite3
import sys
import tempfile
import threading
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from bot.formats import (
    SUPPORTED_EXTENSIONS,
    Metadata,
    UploadRejected,
    UploadStream,
    read_upload,
    stream_upload,
)
from bot.formats.sidecar import BadStoryFile, read_toml_metadata, toml_metadata
from bot.parsing import content_hash
from bot.parsing.model import NotAStory, Story
from bot.parsing.parser import PARSER_VERSION
from bot.store.connection import Store
from bot.store.fts import speaker_token
from bot.store.name_lines import link_names, unlink_names

if TYPE_CHECKING:
    from bot.parsing.parser import ParseProgress, StoryStream

log = logging.getLogger(__name__)
_T = TypeVar("_T")


FileProgress = Callable[[Path, int, int], None]
"""Called on the event loop as a file is parsed and stored: (file, bytes done, file size)."""
StoreProgress = Callable[[float], None]
"""Called as a story's text is written: the share of it written so far, up to 1.0."""

# A file's load is its parse, then its transaction: progress in bytes counts the parse for this
# share of the file and the writing for the rest (a generated 10 MB story of bench/ingest.py's
# corpus on the 2-core development machine: parse 1.4 s, rows and transaction 0.65 s).
PARSE_SHARE = 0.7
# Text per progress step while a story is written for a progress bar (all in one transaction).
PROGRESS_CHUNK_CHARS = 200_000


@dataclass(frozen=True, slots=True)
class StoryMetadata:
    title: str
    author: str = "unknown"
    fandom: str | None = None
    rating: str | None = None
    source: str | None = None  # the bundled file's name (or its .toml's `source`): how it is told apart
    tags: tuple[str, ...] = ()
    language: str | None = None
    url: str | None = None  # where the story was published, as the file or .toml gives it
    summary: str | None = None  # the .toml's, which replaces the parse's; None: the parse's stands

    @classmethod
    def from_row(cls, row) -> StoryMetadata:
        """From a stories row holding _METADATA_COLUMNS."""
        return cls(
            row["title"], row["author"], row["fandom"], row["rating"], row["source"],
            tuple(json.loads(row["tags"] or "[]")), row["language"], row["url"],
        )


@dataclass(frozen=True, slots=True)
class FileOutcome:
    path: Path
    status: str  # "added", "replaced", "updated" (metadata only), "unchanged" or "failed"
    story_id: int | None = None
    title: str | None = None
    error: str | None = None
    size: int = 0
    unexpected: bool = False  # failed for a reason other than bad input (a bug, a disk error)


@dataclass(slots=True)
class LoadReport:
    """What a load did, file by file."""

    outcomes: list[FileOutcome] = field(default_factory=list)

    def of(self, status: str) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def failed(self) -> list[FileOutcome]:
        return self.of("failed")

    @property
    def bytes_read(self) -> int:
        return sum(o.size for o in self.outcomes)

    def summary(self) -> str:
        parts = [f"{len(self.of(s))} {s}" for s in ("added", "replaced", "updated", "unchanged", "failed")]
        return f"{len(self.outcomes)} files: " + ", ".join(parts)


# ---------------------------------------------------------------- rows built off the event loop


@dataclass(slots=True)
class _Rows:
    chapters: list[tuple] = field(default_factory=list)
    scenes: list[tuple] = field(default_factory=list)
    paragraphs: list[tuple] = field(default_factory=list)
    notes: list[tuple] = field(default_factory=list)
    characters: list[tuple[str, str, int, str | None, int]] = field(default_factory=list)
    aliases: list[tuple[str, str, str]] = field(default_factory=list)  # name_key, alias, alias_key
    quotes: list[tuple] = field(default_factory=list)  # speaker name_key (or None) in slot 8
    word_count: int = 0


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _word_count(paragraphs: Sequence[str]) -> int:
    """Words in all paragraphs (as str.split counts them) without building the words.

    The parser's paragraphs hold single spaces only, so joined with spaces they count as one text
    with single spaces; an empty paragraph or any other whitespace shows as an edge or double space,
    or as unprintable, and then each paragraph is split.
    """
    text = " ".join(paragraphs)
    if text and text[0] != " " and text[-1] != " " and "  " not in text and text.isprintable():
        return text.count(" ") + 1
    return sum(len(paragraph.split()) for paragraph in paragraphs)


def _merged_characters(listed) -> tuple[dict[str, list], dict[str, dict[str, str]]]:
    """The parser's characters by name key (duplicates merged, mentions added) as
    [name, key, mentions, gender, lines] rows, and each one's aliases by alias key."""
    characters: dict[str, list] = {}
    aliases: dict[str, dict[str, str]] = {}
    for character in listed:
        key = _key(character.name)
        if not key:
            continue
        if key in characters:
            characters[key][2] += character.mentions
        else:
            characters[key] = [character.name, key, character.mentions, character.gender, 0]
            aliases[key] = {}
        for alias in character.aliases:
            alias_key = _key(alias)
            if alias_key and alias_key != key:
                aliases[key].setdefault(alias_key, alias)
    return characters, aliases


def _build_rows(story: Story) -> _Rows:
    """Flatten a Story into insert rows (pure CPU work: run it in a worker thread)."""
    rows = _Rows()
    scene_first: dict[tuple[int, int], int] = {}
    seq = 0
    for ci, chapter in enumerate(story.chapters):
        chapter_first = seq
        for si, scene in enumerate(chapter.scenes):
            scene_first[ci, si] = seq
            rows.scenes.append((ci, si, scene.heading, seq, len(scene.paragraphs)))
            for pi, text in enumerate(scene.paragraphs):
                rows.paragraphs.append((seq, ci, si, pi, text))
                seq += 1
        chapter_words = _word_count(chapter.paragraphs)
        rows.chapters.append((ci, chapter.number, chapter.title, chapter_first, seq - chapter_first, chapter_words))
        rows.word_count += chapter_words
    for ni, note in enumerate(story.notes):
        if not 0 <= note.chapter < max(len(story.chapters), 1):
            raise ValueError(f"note {ni} points to chapter {note.chapter}, which the story does not have")
        rows.notes.append((ni, note.chapter, note.position, note.kind, note.text))

    # Characters by canonical name; duplicates merge, and a speaker the parser did not list
    # still gets a row so every attributed quote links to a character.
    characters, aliases = _merged_characters(story.characters)
    speaker_seq: dict[str, int] = {}
    speaker_keys: dict[str, str] = {}  # a novel has thousands of quotes by a few dozen speakers
    for qi, quote in enumerate(story.quotes):
        first = scene_first.get((quote.chapter, quote.scene))
        if first is None or not 0 <= quote.paragraph < len(story.chapters[quote.chapter].scenes[quote.scene].paragraphs):
            raise ValueError(f"quote {qi} points outside the story's paragraphs")
        speaker = None
        if quote.speaker:
            speaker = speaker_keys.get(quote.speaker)
            if speaker is None:
                speaker = speaker_keys[quote.speaker] = _key(quote.speaker)
        if speaker:
            if speaker not in characters:
                characters[speaker] = [quote.speaker, speaker, 0, None, 0]
                aliases[speaker] = {}
            characters[speaker][4] += 1
            nth = speaker_seq.get(speaker, 0)
            speaker_seq[speaker] = nth + 1
        else:
            speaker, nth = None, None
        rows.quotes.append((
            qi, first + quote.paragraph, quote.chapter, quote.scene, quote.paragraph, quote.text,
            quote.kind, min(max(float(quote.confidence), 0.0), 1.0), speaker, nth,
            quote.start, quote.end, quote.rule,
        ))
    rows.characters = [tuple(c) for c in characters.values()]
    rows.aliases = [(key, alias, alias_key) for key, found in aliases.items() for alias_key, alias in found.items()]
    return rows


# ---------------------------------------------------------------- writing one story


async def load_story(
    store: Store,
    story: Story,
    *,
    title: str,
    author: str = "unknown",
    fandom: str | None = None,
    rating: str | None = None,
    source: str | None = None,
    tags: tuple[str, ...] = (),
    language: str | None = None,
    url: str | None = None,
    content_hash: str,
    guild_id: int | None = None,
    added_by: int | None = None,
) -> int:
    """Store one parsed story in a single transaction and return its id.

    Same content hash already in the scope (bundled, or that guild): nothing is written and the
    existing id is returned (for a bundled story changed metadata is updated). A bundled story
    whose source matches an existing bundled story with other content replaces it, keeping its id.
    """
    rows = await asyncio.to_thread(_build_rows, story)
    meta = StoryMetadata(title, author, fandom, rating, source, tuple(tags), language, url)
    story_id, _ = await _write(store, story.summary, rows, meta, content_hash, guild_id, added_by)
    return story_id


_METADATA_COLUMNS = "title, author, fandom, rating, source, tags, language, url, summary"


async def _find_by_hash(store: Store, scope: int, digest: str):
    async with store.db.execute(
        f"SELECT id, {_METADATA_COLUMNS} FROM stories WHERE scope = ? AND content_hash = ?",
        (scope, digest),
    ) as cur:
        return await cur.fetchone()


async def _sync_metadata(store: Store, row, meta: StoryMetadata, guild_id: int | None) -> str:
    """For an unchanged text: update bundled metadata when its .toml changed, else touch nothing.

    The same text under another source (a copy or a renamed file) changes nothing: the story
    keeps the source it was loaded from, which is how bundled stories are told apart.
    """
    # The stored summary counts only when the .toml gives one (otherwise it is the parse's).
    current = replace(StoryMetadata.from_row(row), summary=row["summary"] if meta.summary else None)
    if guild_id is not None or current == meta or current.source != meta.source:
        return "unchanged"
    rerated = current.rating != meta.rating
    if rerated:  # its characters may move between the gated and the open name lines (name_lines.py)
        await unlink_names(store, row["id"])
    await store.db.execute(
        "UPDATE stories SET title = ?, title_key = ?, author = ?, fandom = ?, rating = ?, tags = ?, language = ?,"
        " url = ?, summary = coalesce(?, summary) WHERE id = ?",
        (meta.title, _key(meta.title), meta.author, meta.fandom, meta.rating, _tags_json(meta.tags), meta.language,
         meta.url, meta.summary, row["id"]),
    )
    if rerated:
        await link_names(store, row["id"], 0)
    return "updated"


_STORY_WRITE_COLUMNS = (
    "title, title_key, author, fandom, rating, source, content_hash, summary, word_count,"
    " chapter_count, paragraph_count, quote_count, paragraph_base, quote_base, added_by, added_at,"
    " tags, language, url"
)


def _tags_json(tags: Sequence[str]) -> str:
    return json.dumps(list(tags), ensure_ascii=False)


def _story_values(
    meta: StoryMetadata, digest: str, summary: str | None, rows: _Rows, paragraph_base: int, quote_base: int,
    added_by: int | None,
) -> tuple:
    """The stories row for _STORY_WRITE_COLUMNS."""
    return (
        meta.title, _key(meta.title), meta.author, meta.fandom, meta.rating, meta.source, digest,
        meta.summary or summary, rows.word_count, len(rows.chapters), len(rows.paragraphs), len(rows.quotes),
        paragraph_base, quote_base, added_by, datetime.now(UTC).isoformat(timespec="seconds"),
        _tags_json(meta.tags), meta.language, meta.url,
    )


async def _story_row(db, guild_id: int | None, values: Sequence[object], replaced_id: int | None) -> int:
    """The story's row: inserted, or the older bundled version's row `replaced_id` rewritten in
    place (see _unlink_bundled); its id."""
    columns = _STORY_WRITE_COLUMNS
    if replaced_id is None:
        async with db.execute(
            f"INSERT INTO stories (guild_id, {columns}) VALUES (?{', ?' * len(values)})", (guild_id, *values),
        ) as cur:
            return cur.lastrowid
    assignments = ", ".join(f"{c.strip()} = ?" for c in columns.split(","))
    await db.execute(f"UPDATE stories SET {assignments} WHERE id = ?", (*values, replaced_id))
    return replaced_id


async def _write(
    store: Store, summary: str | None, rows: _Rows, meta: StoryMetadata, digest: str,
    guild_id: int | None, added_by: int | None, progress: StoreProgress | None = None,
) -> tuple[int, str]:
    db = store.db
    scope = guild_id or 0
    async with store.atomic():
        existing = await _find_by_hash(store, scope, digest)
        if existing is not None:
            return existing["id"], await _sync_metadata(store, existing, meta, guild_id)
        replaced_id = await _unlink_bundled(store, meta.source) if guild_id is None else None
        async with db.execute("SELECT paragraphs, quotes FROM scope_totals WHERE scope = ?", (scope,)) as cur:
            totals = await cur.fetchone()
        paragraph_base, quote_base = (totals[0], totals[1]) if totals else (0, 0)
        values = _story_values(meta, digest, summary, rows, paragraph_base, quote_base, added_by)
        story_id = await _story_row(db, guild_id, values, replaced_id)
        await db.execute(
            "INSERT INTO scope_totals (scope, paragraphs, quotes) VALUES (?, ?, ?) ON CONFLICT (scope)"
            " DO UPDATE SET paragraphs = scope_totals.paragraphs + excluded.paragraphs,"
            " quotes = scope_totals.quotes + excluded.quotes",
            (scope, len(rows.paragraphs), len(rows.quotes)),
        )
        await _insert_children(store, story_id, rows, progress)
        await link_names(store, story_id, scope)
    return story_id, ("added" if replaced_id is None else "replaced")


async def _insert_children(store: Store, story_id: int, rows: _Rows, progress: StoreProgress | None) -> None:
    """Everything below the story row, in the caller's transaction; with `progress`, the text goes
    in steps of PROGRESS_CHUNK_CHARS (still one transaction), each step reported."""
    character_ids = await _insert_structure(store, story_id, rows)
    if progress is None:
        await _insert_text(store, story_id, rows.paragraphs, 0, len(rows.paragraphs), rows.quotes, character_ids)
        return
    total = sum(len(row[4]) for row in rows.paragraphs) or 1
    written = 0
    for first, end, quotes in _text_chunks(rows, PROGRESS_CHUNK_CHARS):
        await _insert_text(store, story_id, rows.paragraphs[first:end], first, end, quotes, character_ids)
        written += sum(len(row[4]) for row in rows.paragraphs[first:end])
        progress(min(written / total, 1.0))
    progress(1.0)


async def _insert_structure(store: Store, story_id: int, rows: _Rows) -> dict[str, int]:
    """Chapters, scenes, notes, characters and aliases; returns the character ids by name key."""
    await _insert_chapters(store, story_id, rows)
    await store.db.executemany(
        "INSERT INTO notes (story_id, seq, chapter_index, position, kind, text) VALUES (?, ?, ?, ?, ?, ?)",
        [(story_id, *r) for r in rows.notes],
    )
    return await _insert_characters(store, story_id, rows.characters, rows.aliases)


async def _insert_chapters(store: Store, story_id: int, rows: _Rows) -> None:
    db = store.db
    await db.executemany(
        "INSERT INTO chapters (story_id, chapter_index, number, title, first_paragraph, paragraph_count,"
        " word_count) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(story_id, *r) for r in rows.chapters],
    )
    await db.executemany(
        "INSERT INTO scenes (story_id, chapter_index, scene_index, heading, first_paragraph, paragraph_count)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [(story_id, *r) for r in rows.scenes],
    )


async def _insert_characters(
    store: Store, story_id: int, characters: Sequence[tuple], aliases: Sequence[tuple[str, str, str]]
) -> dict[str, int]:
    """Characters and their aliases (_Rows' shapes); returns the character ids by name key."""
    db = store.db
    await db.executemany(
        "INSERT INTO characters (story_id, name, name_key, mentions, gender, lines) VALUES (?, ?, ?, ?, ?, ?)",
        [(story_id, *r) for r in characters],
    )
    async with db.execute("SELECT name_key, id FROM characters WHERE story_id = ?", (story_id,)) as cur:
        character_ids = {row[0]: row[1] for row in await cur.fetchall()}
    await db.executemany(
        "INSERT INTO aliases (character_id, story_id, alias, alias_key) VALUES (?, ?, ?, ?)",
        [(character_ids[key], story_id, alias, alias_key) for key, alias, alias_key in aliases],
    )
    return character_ids


async def _insert_text(
    store: Store, story_id: int, paragraphs: Sequence[tuple], first: int, end: int,
    quotes: Sequence[tuple], character_ids: dict[str, int],
) -> None:
    """Paragraphs with seq in [first, end) (`paragraphs`) and `quotes` (all inside that range), each
    with its full-text rows in the same transaction, so the external-content indexes always match."""
    await _insert_paragraphs(store, story_id, paragraphs, first, end)
    await _insert_quotes(store, story_id, quotes, character_ids)
    if store.dialect == "sqlite":
        await store.db.execute(
            "INSERT INTO quotes_fts (rowid, text, speaker) SELECT id, text, speaker FROM quotes"
            " WHERE story_id = ? AND paragraph_seq >= ? AND paragraph_seq < ?",
            (story_id, first, end),
        )


async def _insert_paragraphs(store: Store, story_id: int, paragraphs: Sequence[tuple], first: int, end: int) -> None:
    """Paragraphs with seq in [first, end), with their full-text rows."""
    db = store.db
    await db.executemany(
        "INSERT INTO paragraphs (story_id, seq, chapter_index, scene_index, paragraph_index, text)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [(story_id, *r) for r in paragraphs],
    )
    # Indexed in bulk here rather than by a per-row trigger (see 0001_core.sql). PostgreSQL
    # indexes each row's generated tsvector column by itself.
    if store.dialect == "sqlite":
        await db.execute(
            "INSERT INTO paragraphs_fts (rowid, text) SELECT id, text FROM paragraphs"
            " WHERE story_id = ? AND seq >= ? AND seq < ?",
            (story_id, first, end),
        )


_QUOTES_INSERT = (
    "INSERT INTO quotes (story_id, seq, paragraph_seq, chapter_index, scene_index, paragraph_index, text,"
    " kind, confidence, character_id, speaker_seq, start_offset, end_offset, rule, speaker) VALUES "
)


async def _insert_quotes(store: Store, story_id: int, quotes: Sequence[tuple], character_ids: dict[str, int]) -> None:
    """Quotation rows (_Rows.quotes' shape) with their speaker tokens (the name and aliases of the
    line's character, written before its quotes); their full-text rows are the caller's."""
    rows = _quote_values(quotes, character_ids, await _speaker_tokens(store, story_id, character_ids))
    if store.dialect == "sqlite":
        await store._in_thread(_insert_many, _QUOTES_INSERT, story_id, rows)
    else:
        await _insert_quotes_pg(store, story_id, rows)


async def _insert_quotes_pg(store: Store, story_id: int, rows: Sequence[tuple]) -> None:
    """Quotation rows (_quote_values') on PostgreSQL, one statement each."""
    await store.db.executemany(_QUOTES_INSERT + "(?" + ", ?" * 14 + ")", [(story_id, *row) for row in rows])


async def _speaker_tokens(store: Store, story_id: int, character_ids: dict[str, int]) -> dict[str, str]:
    """The full-text speaker column of each character's lines by name key: its name's token and its
    aliases' (the story's characters and aliases written already)."""
    async with store.db.execute(
        "SELECT c.name_key, a.alias_key FROM aliases AS a JOIN characters AS c ON c.id = a.character_id"
        " WHERE a.story_id = ?", (story_id,),
    ) as cur:
        alias_keys = await cur.fetchall()
    speakers = {key: speaker_token(key) for key in character_ids}
    for key, alias_key in alias_keys:
        if key in speakers:
            speakers[key] += " " + speaker_token(alias_key)
    return speakers


def _quote_values(quotes: Iterable[tuple], character_ids: dict[str, int], speakers: dict[str, str]) -> list[tuple]:
    """The quotes table's columns after story_id for quotation rows of _Rows.quotes' shape."""
    return [(*r[:8], character_ids.get(r[8]) if r[8] else None, *r[9:], speakers.get(r[8]) if r[8] else None)
            for r in quotes]


# ---------------------------------------------------------------- writing a story as it is parsed



# Paragraph text gathered in the parse's thread before it is written (a few statements and one
# full-text step): a few chapters, so memory holds that much of the rows, not the story. Fewer,
# bigger batches cost the writer fewer trips for the GIL while the parse runs (a 100 MB story:
# 200,000 characters a batch, its chapters written in 12.9-13.2 s; 800,000 and more, 11.2-11.7 s).
STREAM_CHUNK_CHARS = 1_000_000
# Batches parsed ahead of the writer at most (_Feed).
FEED_AHEAD = 2
# Quotation rows a batch once the speakers are final (built while the batch before is written).
STREAM_QUOTE_BATCH = 20_000
# A file at least this big is always streamed, and parsed only when its turn to be written comes:
# never whole in a worker process (a 100 MB story's rows are over a gigabyte there and in the
# pickle back), never two at once (a parse's first pass holds about twice the file).
STREAM_ALONE_BYTES = 8_000_000


class _StreamRows:
    """A StoryStream flattened as _build_rows flattens a Story, a batch of chapters at a time (each
    call of next_batch() runs in a worker thread). Quotations wait in a temporary file until the
    stream is exhausted, when the speakers are final (`roles`); then quote_values() reads them back.
    """

    def __init__(self, stream: StoryStream) -> None:
        self.stream = stream
        self.chapters = stream.chapters()
        self.chapter_index = 0
        self.seq = 0
        self.word_count = 0
        self.quote_count = 0
        self.speakers: dict[str, int] = {}  # quotations per speaker as parsed, in order of first quotation
        self.done = False
        self.spool = tempfile.TemporaryFile()
        chapter_count = max(stream.chapter_count, 1)
        self.notes: list[tuple] = []
        for ni, note in enumerate(stream.notes):
            if not 0 <= note.chapter < chapter_count:
                raise ValueError(f"note {ni} points to chapter {note.chapter}, which the story does not have")
            self.notes.append((ni, note.chapter, note.position, note.kind, note.text))

    def close(self) -> None:
        self.spool.close()
        self.chapters.close()
        self.stream.close()  # its worker processes, if chapters() was never started

    def next_batch(self, chunk_chars: int) -> tuple[int, _Rows] | None:
        """(first seq, rows of the next chapters holding about `chunk_chars` of text), or None at the end."""
        if self.done:
            return None
        rows = _Rows()
        first = self.seq
        size = 0
        while size < chunk_chars:
            item = next(self.chapters, None)
            if item is None:
                self.done = True
                break
            chapter, quotes = item
            ci = self.chapter_index
            self.chapter_index += 1
            chapter_first = seq = self.seq
            scene_first: list[int] = []
            for si, scene in enumerate(chapter.scenes):
                paragraphs = scene.paragraphs
                count = len(paragraphs)
                scene_first.append(seq)
                rows.scenes.append((ci, si, scene.heading, seq, count))
                # (seq, ci, si, pi, text) for each paragraph, the tuples made in C.
                rows.paragraphs.extend(
                    zip(range(seq, seq + count), itertools.repeat(ci), itertools.repeat(si), range(count), paragraphs)
                )
                seq += count
                size += sum(map(len, paragraphs))
            self.seq = seq
            chapter_words = _word_count(chapter.paragraphs)
            rows.chapters.append(
                (ci, chapter.number, chapter.title, chapter_first, self.seq - chapter_first, chapter_words)
            )
            self.word_count += chapter_words
            spooled = []
            speakers = self.speakers
            for quote in quotes:
                if quote.chapter != ci or not 0 <= quote.scene < len(chapter.scenes) or not (
                    0 <= quote.paragraph < len(chapter.scenes[quote.scene].paragraphs)
                ):
                    raise ValueError(f"quote {self.quote_count + len(spooled)} points outside the story's paragraphs")
                if quote.speaker:
                    speakers[quote.speaker] = speakers.get(quote.speaker, 0) + 1
                spooled.append((
                    scene_first[quote.scene] + quote.paragraph, quote.chapter, quote.scene, quote.paragraph,
                    quote.text, quote.kind, min(max(float(quote.confidence), 0.0), 1.0), quote.speaker,
                    quote.start, quote.end, quote.rule,
                ))
            self.quote_count += len(spooled)
            marshal.dump(spooled, self.spool)
        if not rows.paragraphs and not rows.chapters:
            return None
        return first, rows

    def _spooled(self) -> Iterable[list[tuple]]:
        self.spool.seek(0)
        while True:
            try:
                yield marshal.load(self.spool)
            except EOFError:
                return

    def characters(self) -> tuple[list[tuple], list[tuple[str, str, str]], dict[str, str]]:
        """Once the stream is exhausted: the characters and aliases rows (as _build_rows makes them)
        and the name key of every speaker as the quotations name them."""
        roles = self.stream.roles
        characters, aliases = _merged_characters(self.stream.characters)
        speaker_keys: dict[str, str] = {}
        # In order of first quotation, as _build_rows meets the speakers the parser did not list.
        for raw, lines in self.speakers.items():
            name = roles.get(raw, raw)
            key = speaker_keys[raw] = _key(name)
            if key:
                if key not in characters:
                    characters[key] = [name, key, 0, None, 0]
                    aliases[key] = {}
                characters[key][4] += lines
        alias_rows = [(key, alias, alias_key) for key, found in aliases.items() for alias_key, alias in found.items()]
        return [tuple(c) for c in characters.values()], alias_rows, speaker_keys

    def quote_values(
        self, speaker_keys: dict[str, str], character_ids: dict[str, int], speakers: dict[str, str], batch_size: int,
    ) -> Iterator[list[tuple]]:
        """The quotes rows of _build_rows as the quotes table takes them after story_id
        (_quote_values' shape: character id and speaker tokens in place of the name key),
        `batch_size` at a time, each row made once."""
        speaker_seq: dict[str, int] = {}
        qi = 0
        out: list[tuple] = []
        for batch in self._spooled():
            for paragraph_seq, ci, si, pi, text, kind, confidence, raw, start, end, rule in batch:
                speaker = speaker_keys.get(raw) if raw else None
                if speaker:
                    nth = speaker_seq.get(speaker, 0)
                    speaker_seq[speaker] = nth + 1
                    out.append((
                        qi, paragraph_seq, ci, si, pi, text, kind, confidence, character_ids.get(speaker), nth,
                        start, end, rule, speakers.get(speaker),
                    ))
                else:
                    out.append((qi, paragraph_seq, ci, si, pi, text, kind, confidence, None, None, start, end, rule, None))
                qi += 1
            if len(out) >= batch_size:
                yield out
                out = []
        if out:
            yield out


class IngestStopped(Exception):
    """The writer was told to stop (its task cancelled) before the parse was done."""


class _Failed:
    """What the parse thread hands the writer instead of a batch when the parse raised."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


class _Feed:
    """A _StreamRows parsed in a thread of its own, its batches handed straight to the writer through
    a queue of FEED_AHEAD batches: no event-loop hop between the two.

    Every hop through the event loop needed the GIL three times (the loop, the database's thread,
    the parse's thread pool), and a thread asking for the GIL while the parse runs waits up to the
    interpreter's switch interval (5 ms): four statements and a parse call a batch made the parse
    and the writes take turns instead of running on two cores. Now the writer (SQLite: one job on
    the connection's thread, _write_batches) takes batches as they come, and the parse never waits
    for the writer unless FEED_AHEAD batches are already waiting (memory stays a few batches').
    """

    def __init__(self, produce: Callable[[], Any]) -> None:
        """`produce()`: the next batch, or None at the end (run in the feed's thread)."""
        self.produce = produce
        self.queue: queue.Queue[Any] = queue.Queue(maxsize=FEED_AHEAD)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="ingest-parse", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _run(self) -> None:
        try:
            while not self.stopped.is_set():
                batch = self.produce()
                self._put(batch)
                if batch is None:
                    return
        except BaseException as exc:  # handed to the writer, which fails the transaction
            self._put(_Failed(exc))

    def _put(self, item: Any) -> None:
        while not self.stopped.is_set():
            try:
                self.queue.put(item, timeout=0.05)
                return
            except queue.Full:
                continue

    def get(self) -> Any:
        """The next batch (blocking), None at the end; raises what the parse raised, or
        IngestStopped once stop() was called."""
        while True:
            try:
                item = self.queue.get(timeout=0.05)
            except queue.Empty:
                if self.stopped.is_set():
                    raise IngestStopped("the ingest was stopped") from None
                continue
            if isinstance(item, _Failed):
                raise item.error
            return item

    def stop(self) -> None:
        """The parse stops after the batch it is on; join() then returns."""
        self.stopped.set()

    def join(self) -> None:
        if self.thread.ident is not None:
            self.thread.join()


def _write_batches(conn: sqlite3.Connection, story_id: int, feed: _Feed) -> int:
    """On the connection's thread, inside the story's transaction: every batch of the feed written
    (chapters, scenes, paragraphs and their full-text rows) as it comes; the chapters' count.

    The sqlite3 module gives the GIL up while SQLite works (each row's insert, the whole full-text
    step), so this runs beside the parse on the other core."""
    chapters = 0
    while (batch := feed.get()) is not None:
        first, chunk = batch
        chapters += len(chunk.chapters)
        _write_batch(conn, story_id, first, chunk)
    return chapters


def _write_batch(conn: sqlite3.Connection, story_id: int, first: int, chunk: _Rows) -> None:
    """One batch of _write_batches (its paragraphs have seq first, first + 1, ...)."""
    _insert_many(
        conn, "INSERT INTO chapters (story_id, chapter_index, number, title, first_paragraph, paragraph_count,"
        " word_count) VALUES ", story_id, chunk.chapters,
    )
    _insert_many(
        conn, "INSERT INTO scenes (story_id, chapter_index, scene_index, heading, first_paragraph, paragraph_count)"
        " VALUES ", story_id, chunk.scenes,
    )
    _insert_many(
        conn, "INSERT INTO paragraphs (story_id, seq, chapter_index, scene_index, paragraph_index, text) VALUES ",
        story_id, chunk.paragraphs,
    )
    conn.execute(
        "INSERT INTO paragraphs_fts (rowid, text) SELECT id, text FROM paragraphs"
        " WHERE story_id = ? AND seq >= ? AND seq < ?",
        (story_id, first, first + len(chunk.paragraphs)),
    )


# Parameters per INSERT statement in the writer's bulk inserts (_insert_many): about 800 paragraphs
# or 290 quotations a statement (SQLite takes up to 32,766).
PARAMS_PER_INSERT = 4_096


def _insert_many(conn: sqlite3.Connection, insert: str, story_id: int, rows: Sequence[tuple]) -> None:
    """`insert` ("INSERT INTO t (story_id, columns...) VALUES ") of (story_id, *row) for each row,
    as many rows a statement as PARAMS_PER_INSERT parameters hold.

    The sqlite3 module gives the GIL up for each statement it steps and takes it back after: one
    row a statement, the writer asked for the GIL back once per row while the parse held it, and
    waited for it each time (up to the switch interval). A statement of many rows also costs
    SQLite less than as many statements (about a third less here). The story id is one parameter
    (?1) that every row names, so each statement's parameters are the rows chained as they are."""
    if not rows:
        return
    width = len(rows[0])
    per = max(PARAMS_PER_INSERT // width, 1)
    full = len(rows) - len(rows) % per
    if full:
        conn.executemany(
            _insert_sql(insert, width, per),
            ([story_id, *itertools.chain.from_iterable(rows[i:i + per])] for i in range(0, full, per)),
        )
    if full < len(rows):
        conn.execute(
            _insert_sql(insert, width, len(rows) - full), [story_id, *itertools.chain.from_iterable(rows[full:])]
        )


@functools.lru_cache(maxsize=64)
def _insert_sql(insert: str, width: int, count: int) -> str:
    """`insert` followed by `count` rows of (?1, then `width` parameters of their own)."""
    values = (
        "(?1, " + ", ".join(f"?{2 + row * width + column}" for column in range(width)) + ")" for row in range(count)
    )
    return insert + ", ".join(values)


# The interpreter's switch interval while a story is parsed and written at once (_write_feed): how
# long a thread asking for the GIL waits before the thread holding it is made to let go. The writer
# takes the GIL back after each statement SQLite ran without it; at the default 5 ms it waited that
# long each time while the parse ran, and fell behind (on two idle cores, a 20 MB story's parse
# waited 0.7 s for the writer; at 1 ms, never).
WRITER_SWITCH_INTERVAL = 0.001


def _write_quote_batches(conn: sqlite3.Connection, story_id: int, feed: _Feed) -> None:
    """On the connection's thread, inside the story's transaction: each batch of the feed's quotation
    rows (_quote_values, in seq order) written with its full-text rows, while the next is built."""
    while (batch := feed.get()) is not None:
        _insert_many(conn, _QUOTES_INSERT, story_id, batch)
        conn.execute(
            "INSERT INTO quotes_fts (rowid, text, speaker) SELECT id, text, speaker FROM quotes"
            " WHERE story_id = ? AND seq >= ? AND seq <= ?",
            (story_id, batch[0][0], batch[-1][0]),
        )


@contextlib.contextmanager
def _fast_switching() -> Iterator[None]:
    """The interpreter's switch interval at most WRITER_SWITCH_INTERVAL while a feed and its writer
    run side by side, as it was after."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(min(previous, WRITER_SWITCH_INTERVAL))
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


async def _write_feed(
    store: Store, feed: _Feed, sqlite_job: Callable[..., _T], *args: object
) -> _T:
    """Inside the story's transaction, on SQLite: `sqlite_job(conn, *args, feed)` as one job on the
    connection's thread, taking the feed's batches as they come (the feed started here)."""
    with _fast_switching():
        feed.start()
        job = asyncio.ensure_future(store._in_thread(sqlite_job, *args, feed))
        try:
            return await asyncio.shield(job)
        except asyncio.CancelledError:
            # The job runs to its end on the connection's thread: stopping the feed ends it now.
            feed.stop()
            await asyncio.gather(job, return_exceptions=True)
            raise


async def _write_feed_async(store: Store, feed: _Feed, write: Callable[[Any], Awaitable[None]]) -> None:
    """_write_feed on PostgreSQL: each of the feed's batches handed to `write` on the event loop."""
    with _fast_switching():
        feed.start()
        while (batch := await asyncio.to_thread(feed.get)) is not None:
            await write(batch)


async def _write_stream(
    store: Store, stream: StoryStream, meta: StoryMetadata, digest: str, progress: StoreProgress | None = None,
) -> tuple[int, str]:
    """_write for a bundled story being parsed: each batch of chapters is parsed (in a thread of its
    own, _Feed) and written as it comes, the characters and quotations once the parse is done, all
    in one transaction, so memory holds a few chapters' rows rather than the whole story's.

    Stores the rows _write stores for the same story. The parse's own progress covers the file;
    `progress(1.0)` once everything is written.
    """
    db = store.db
    rows = await asyncio.to_thread(_StreamRows, stream)
    feeds: list[_Feed] = []
    try:
        async with store.atomic():
            existing = await _find_by_hash(store, 0, digest)
            if existing is not None:
                return existing["id"], await _sync_metadata(store, existing, meta, None)
            replaced_id = await _unlink_bundled(store, meta.source)
            async with db.execute("SELECT paragraphs, quotes FROM scope_totals WHERE scope = ?", (0,)) as cur:
                totals = await cur.fetchone()
            paragraph_base, quote_base = (totals[0], totals[1]) if totals else (0, 0)
            # The counts are known at the end: written then, in the same transaction.
            values = _story_values(meta, digest, stream.summary, _Rows(), paragraph_base, quote_base, None)
            story_id = await _story_row(db, None, values, replaced_id)
            feeds.append(feed := _Feed(functools.partial(rows.next_batch, STREAM_CHUNK_CHARS)))
            chapter_count = await _write_chapters(store, story_id, feed)
            await db.executemany(
                "INSERT INTO notes (story_id, seq, chapter_index, position, kind, text) VALUES (?, ?, ?, ?, ?, ?)",
                [(story_id, *r) for r in rows.notes],
            )
            characters, aliases, speaker_keys = await asyncio.to_thread(rows.characters)
            character_ids = await _insert_characters(store, story_id, characters, aliases)
            await link_names(store, story_id, 0)
            speakers = await _speaker_tokens(store, story_id, character_ids)
            quotes = rows.quote_values(speaker_keys, character_ids, speakers, STREAM_QUOTE_BATCH)
            feeds.append(feed := _Feed(functools.partial(next, quotes, None)))
            await _write_quotes(store, story_id, feed)
            await db.execute(
                "UPDATE stories SET word_count = ?, chapter_count = ?, paragraph_count = ?, quote_count = ?"
                " WHERE id = ?",
                (rows.word_count, chapter_count, rows.seq, rows.quote_count, story_id),
            )
            await db.execute(
                "INSERT INTO scope_totals (scope, paragraphs, quotes) VALUES (?, ?, ?) ON CONFLICT (scope)"
                " DO UPDATE SET paragraphs = scope_totals.paragraphs + excluded.paragraphs,"
                " quotes = scope_totals.quotes + excluded.quotes",
                (0, rows.seq, rows.quote_count),
            )
    finally:
        # A thread cannot be stopped: a feed's thread finishes its batch before the stream is closed.
        for feed in feeds:
            feed.stop()
            await asyncio.to_thread(feed.join)
        await asyncio.to_thread(rows.close)
    if progress is not None:
        progress(1.0)
    return story_id, ("added" if replaced_id is None else "replaced")


async def _write_chapters(store: Store, story_id: int, feed: _Feed) -> int:
    """The feed's batches of chapters, scenes and paragraphs written as they are parsed; the
    chapters' count."""
    if store.dialect == "sqlite":
        return await _write_feed(store, feed, _write_batches, story_id)
    chapter_count = 0

    async def write(batch: tuple[int, _Rows]) -> None:
        nonlocal chapter_count
        first, chunk = batch
        chapter_count += len(chunk.chapters)
        await _insert_chapters(store, story_id, chunk)
        await _insert_paragraphs(store, story_id, chunk.paragraphs, first, first + len(chunk.paragraphs))

    await _write_feed_async(store, feed, write)
    return chapter_count


async def _write_quotes(store: Store, story_id: int, feed: _Feed) -> None:
    """The quotations, each batch built (in the feed's thread) while the one before is written."""
    if store.dialect == "sqlite":
        await _write_feed(store, feed, _write_quote_batches, story_id)
        return

    await _write_feed_async(store, feed, functools.partial(_insert_quotes_pg, store, story_id))


async def _unlink_bundled(store: Store, source: str | None) -> int | None:
    """Inside a write: the bundled story loaded from the same file `source` (an older version),
    unlinked so the new one replaces it; its id, or None."""
    if source is None:
        return None
    async with store.db.execute("SELECT id FROM stories WHERE guild_id IS NULL AND source = ?", (source,)) as cur:
        found = await cur.fetchone()
    if found is None:
        return None
    await _unlink(store, found["id"])
    return found["id"]


async def _unlink(store: Store, story_id: int) -> int:
    """Remove a story's children and close the gap it leaves on its scope's dense lines.

    Returns the scope. The caller holds the transaction.
    """
    db = store.db
    async with db.execute(
        "SELECT scope, paragraph_count, quote_count, paragraph_base, quote_base FROM stories WHERE id = ?",
        (story_id,),
    ) as cur:
        scope, paragraphs, quotes, paragraph_base, quote_base = await cur.fetchone()
    if paragraphs:
        await db.execute(
            "UPDATE stories SET paragraph_base = paragraph_base - ?"
            " WHERE scope = ? AND id != ? AND paragraph_base >= ?",
            (paragraphs, scope, story_id, paragraph_base + paragraphs),
        )
    if quotes:
        await db.execute(
            "UPDATE stories SET quote_base = quote_base - ? WHERE scope = ? AND id != ? AND quote_base >= ?",
            (quotes, scope, story_id, quote_base + quotes),
        )
    await db.execute(
        "UPDATE scope_totals SET paragraphs = paragraphs - ?, quotes = quotes - ? WHERE scope = ?",
        (paragraphs, quotes, scope),
    )
    await db.execute(
        "UPDATE stories SET paragraph_count = 0, quote_count = 0, paragraph_base = 0, quote_base = 0"
        " WHERE id = ?",
        (story_id,),
    )
    await unlink_names(store, story_id)
    # Quotes first: they reference paragraphs and characters.
    for table in ("quotes", "aliases", "characters", "notes", "paragraphs", "scenes", "chapters"):
        await db.execute(f"DELETE FROM {table} WHERE story_id = ?", (story_id,))
    return scope


async def delete_story(store: Store, story_id: int) -> bool:
    """Delete a story and everything hanging off it (feature tables cascade). False if no such story."""
    async with store.atomic():
        async with store.db.execute("SELECT 1 FROM stories WHERE id = ?", (story_id,)) as cur:
            if await cur.fetchone() is None:
                return False
        await _unlink(store, story_id)
        await store.db.execute("DELETE FROM stories WHERE id = ?", (story_id,))
    return True


# ---------------------------------------------------------------- staged writes (uploads)

# An upload is written in short transactions, so a writer in another process (the bot's page turns,
# trivia scores, background writes) waits for one of them rather than for the whole story (one
# transaction of ~1 s for 10 MB held up every page turn that long). The story row is staged
# invisibly, its paragraphs and quotations follow about STAGE_CHUNK_CHARS of text at a time (each
# with its full-text rows in the same transaction), and publish_staged() shows it in one small
# transaction. A staged row has guild_id = -guild (a negative scope: every visibility test is
# `scope IN (0, guild)` and guilds are positive) and content_hash 'staged:<token>', so a crash at
# any point leaves only invisible rows; discard_staged() removes them (the bot does at start-up).
STAGE_CHUNK_CHARS = 200_000
# Between two transactions: long enough for a writer polling for the lock (every 20 ms) to get in.
STAGE_PAUSE_SECONDS = 0.025
STAGED_PREFIX = "staged:"
_DISCARD_ROWS = 2_000  # rows deleted per transaction when discarding


class StagedStoryLost(Exception):
    """The staged rows were discarded before they could be published (e.g. by a restart's clean-up)."""


def _text_chunks(rows: _Rows, chunk_chars: int) -> list[tuple[int, int, list[tuple]]]:
    """[first, end) seq ranges of about `chunk_chars` of paragraph text, each with its quotations."""
    ranges = _chunks(rows.paragraphs, chunk_chars)
    starts = [first for first, _ in ranges]
    quotes: list[list[tuple]] = [[] for _ in ranges]
    for quote in rows.quotes:
        quotes[bisect.bisect_right(starts, quote[1]) - 1].append(quote)
    return [(first, end, chunk_quotes) for (first, end), chunk_quotes in zip(ranges, quotes, strict=True)]


def _chunks(paragraphs: Sequence[tuple], chunk_chars: int) -> list[tuple[int, int]]:
    """[first, end) seq ranges of about `chunk_chars` of paragraph text each (at least one paragraph)."""
    ranges, first, size = [], 0, 0
    for seq, row in enumerate(paragraphs):
        size += len(row[4])
        if size >= chunk_chars:
            ranges.append((first, seq + 1))
            first, size = seq + 1, 0
    if first < len(paragraphs) or not ranges:
        ranges.append((first, len(paragraphs)))
    return ranges


async def stage_story(
    store: Store,
    story: Story,
    *,
    guild_id: int,
    title: str,
    author: str = "unknown",
    fandom: str | None = None,
    rating: str | None = None,
    source: str | None = None,
    tags: tuple[str, ...] = (),
    language: str | None = None,
    url: str | None = None,
    added_by: int | None = None,
    token: str,
    chunk_chars: int = STAGE_CHUNK_CHARS,
    pause: float = STAGE_PAUSE_SECONDS,
) -> int:
    """Write an upload for `guild_id` invisibly, in short transactions; returns its id for
    publish_staged(). On failure the staged rows are discarded (a killed process leaves them to
    discard_staged()). `token` names the staging, e.g. for discard_staged(tokens=...)."""
    if guild_id <= 0:
        raise ValueError("only a guild's uploads are staged")
    rows = await asyncio.to_thread(_build_rows, story)
    meta = StoryMetadata(title, author, fandom, rating, source, tuple(tags), language, url)
    values = _story_values(meta, f"{STAGED_PREFIX}{token}", story.summary, rows, 0, 0, added_by)
    async with store.atomic():
        async with store.db.execute(
            f"INSERT INTO stories (guild_id, {_STORY_WRITE_COLUMNS}) VALUES (?{', ?' * len(values)})",
            (-guild_id, *values),
        ) as cur:
            story_id = cur.lastrowid
        character_ids = await _insert_structure(store, story_id, rows)
    try:
        for first, end, chunk_quotes in _text_chunks(rows, chunk_chars):
            await asyncio.sleep(pause)
            async with store.atomic():
                await _insert_text(store, story_id, rows.paragraphs[first:end], first, end, chunk_quotes, character_ids)
    except Exception:
        await discard_staged(store, story_ids=[story_id], pause=pause)
        raise
    return story_id


async def publish_staged(store: Store, story_id: int, guild_id: int, content_hash: str) -> None:
    """Make a staged story visible in its guild, placed at the end of the guild's dense lines.

    One small transaction; run it inside the caller's atomic() together with the duplicate checks.
    Raises StagedStoryLost when the staged rows are gone.
    """
    db = store.db
    async with store.atomic():
        rows = await db.execute_fetchall(
            "SELECT paragraph_count, quote_count FROM stories WHERE id = ? AND guild_id = ? AND content_hash LIKE ?",
            (story_id, -guild_id, STAGED_PREFIX + "%"),
        )
        if not rows:
            raise StagedStoryLost(f"staged story {story_id} is no longer there")
        paragraphs, quotes = rows[0]
        totals = await db.execute_fetchall(
            "SELECT paragraphs, quotes FROM scope_totals WHERE scope = ?", (guild_id,)
        )
        paragraph_base, quote_base = (totals[0][0], totals[0][1]) if totals else (0, 0)
        await db.execute(
            "UPDATE stories SET guild_id = ?, content_hash = ?, paragraph_base = ?, quote_base = ?, added_at = ?"
            " WHERE id = ?",
            (guild_id, content_hash, paragraph_base, quote_base,
             datetime.now(UTC).isoformat(timespec="seconds"), story_id),
        )
        await db.execute(
            "INSERT INTO scope_totals (scope, paragraphs, quotes) VALUES (?, ?, ?) ON CONFLICT (scope)"
            " DO UPDATE SET paragraphs = scope_totals.paragraphs + excluded.paragraphs,"
            " quotes = scope_totals.quotes + excluded.quotes",
            (guild_id, paragraphs, quotes),
        )
        await link_names(store, story_id, guild_id)


async def discard_staged(
    store: Store,
    *,
    story_ids: Iterable[int] | None = None,
    tokens: Iterable[str] | None = None,
    guilds: Callable[[int], bool] | None = None,
    pause: float = STAGE_PAUSE_SECONDS,
) -> int:
    """Delete staged (never published) stories: all of them, or those with these ids or tokens, or
    of the servers `guilds` accepts.

    Deleted in short transactions too (the rows are invisible, so only the foreign keys order the
    work). Call it without ids or tokens only when nothing else is staging for those servers (the
    bot at start-up, for the servers of its shards). Returns how many stories were discarded.
    """
    found = await store.db.execute_fetchall(
        "SELECT id, content_hash, -guild_id FROM stories WHERE guild_id < 0 AND content_hash LIKE ?",
        (STAGED_PREFIX + "%",),
    )
    ids = None if story_ids is None else set(story_ids)
    wanted = None if tokens is None else {STAGED_PREFIX + token for token in tokens}
    chosen = [
        story_id for story_id, digest, guild_id in found
        if (ids is None or story_id in ids) and (wanted is None or digest in wanted)
        and (guilds is None or guilds(guild_id))
    ]
    for story_id in chosen:
        await _delete_staged(store, story_id, pause)
    if chosen:
        log.info("discarded %d staged upload(s) that were never published", len(chosen))
    return len(chosen)


async def _delete_staged(store: Store, story_id: int, pause: float) -> None:
    db = store.db
    # Quotations first (they reference paragraphs and characters); each deleted row also leaves its
    # full-text index by trigger, which is what makes big deletes slow.
    for table in ("quotes", "paragraphs"):
        while True:
            async with store.atomic():
                cur = await db.execute(
                    f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} WHERE story_id = ? LIMIT ?)",
                    (story_id, _DISCARD_ROWS),
                )
                deleted = cur.rowcount
                await cur.close()
                if table == "paragraphs" and deleted < _DISCARD_ROWS:
                    # The rest of the story goes with its last paragraphs.
                    for rest in ("aliases", "characters", "notes", "scenes", "chapters", "stories"):
                        key = "id" if rest == "stories" else "story_id"
                        await db.execute(f"DELETE FROM {rest} WHERE {key} = ?", (story_id,))
            if deleted < _DISCARD_ROWS:
                break
            await asyncio.sleep(pause)


# ---------------------------------------------------------------- files and folders


@contextlib.contextmanager
def _reading(path: Path):
    """A story file's read errors as BadStoryFile (one user-facing line)."""
    try:
        yield
    except FileNotFoundError as exc:
        raise BadStoryFile(f"{path}: no such file or folder") from exc
    except IsADirectoryError as exc:
        raise BadStoryFile(f"{path}: is a folder") from exc
    except OSError as exc:
        raise BadStoryFile(f"{path}: cannot read ({exc.strerror})") from exc


def _read_file(path: Path) -> tuple[bytearray, str, dict[str, str]]:
    """The file's bytes (a bytearray, which a streamed parse empties once decoded), hash and .toml."""
    with _reading(path), path.open("rb") as file:
        data = bytearray(os.fstat(file.fileno()).st_size)
        del data[file.readinto(data):]
        if rest := file.read():
            data += rest  # grew while read
    return data, content_hash(data), read_toml_metadata(path)


def _seeded_hash():
    return hashlib.sha256(PARSER_VERSION.encode() + b"\0")


def _read_or_hash(path: Path) -> tuple[bytearray | None, int, str, dict[str, str]]:
    """_read_file's (bytes, size, hash, .toml); for a file of at least STREAM_ALONE_BYTES only its
    size and hash, read a piece at a time (content_hash's, without holding the bytes): it is read
    again when its turn to be parsed and written comes (_commit)."""
    with _reading(path), path.open("rb") as file:
        if os.fstat(file.fileno()).st_size < STREAM_ALONE_BYTES:
            data, digest, found = _read_file(path)
            return data, len(data), digest, found
        digest = hashlib.file_digest(file, _seeded_hash).hexdigest()
        size = file.tell()
    return None, size, digest, read_toml_metadata(path)


def _metadata(
    path: Path, found: dict[str, str | tuple[str, ...]], story_title: str | None, inside: Metadata
) -> StoryMetadata:
    """The story row's metadata: the .toml's (`found`) first, then what the file says of itself.

    `source` stays the file's name unless the .toml gives one: it is how bundled stories are told
    apart, so a source URL inside the file is stored as `url` and never replaces it.
    """
    given = toml_metadata(found).merged(inside)
    # Users never see file names as titles when anything better is known.
    title = given.title if found.get("title") else story_title or path.stem.replace("_", " ").strip() or path.name
    return StoryMetadata(
        title=title[:200],
        author=given.author or "unknown",
        fandom=given.fandom,
        rating=given.rating,
        source=found.get("source", path.name),
        tags=given.tags,
        language=given.language,
        url=given.source,
        summary=found.get("summary"),
    )


@dataclass(frozen=True, slots=True)
class _Parsed:
    """A file read, parsed and flattened, waiting for its transaction."""

    path: Path
    size: int
    digest: str
    meta: StoryMetadata | None  # None until a deferred file is parsed
    summary: str | None
    rows: _Rows | None  # flattened by a worker process, or
    stream: StoryStream | None = None  # being parsed here, written as it is (_write_stream), or
    found: dict[str, str | tuple[str, ...]] | None = None  # deferred (a big file): its .toml, parsed in _commit


_Built = tuple[str | None, str | None, Metadata, _Rows]
"""What a worker sends back: the story's title, its summary, the file's own metadata, the rows."""


def _open_stream(
    data: bytearray, filename: str, progress: ParseProgress | None = None, processes: int = 0
) -> UploadStream:
    """Read (any format) and start parsing in a worker thread: the first pass of the parse done,
    the file's bytes released (a converted format's too), attribution left to _write_stream."""
    upload = stream_upload(filename, data, max_bytes=None, any_extension=True, progress=progress, processes=processes)
    data.clear()
    return upload


def _parse_and_build(data: bytes, filename: str, progress: ParseProgress | None = None) -> _Built:
    """Read (any format), parse and flatten in a worker (thread or process); returns only what the
    store needs. The same reading path as `/story add`, without its size limit."""
    upload = read_upload(filename, data, max_bytes=None, any_extension=True, progress=progress)
    return upload.title, upload.story.summary, upload.metadata, _build_rows(upload.story)


# ---------------------------------------------------------------- parse progress from worker processes

_worker_progress: Connection | None = None  # set in each parse worker process


def _install_progress_pipe(pipe: Connection) -> None:
    """Initializer of the parse worker processes."""
    global _worker_progress
    _worker_progress = pipe


def _parse_in_worker(data: bytes, filename: str, token: int) -> _Built:
    """_parse_and_build in a worker process, its progress sent back as (token, done, total)."""
    pipe = _worker_progress
    progress = None if pipe is None else lambda done, total: pipe.send((token, done, total))
    return _parse_and_build(data, filename, progress)


class _ProgressRelay:
    """Carries parse progress to the event loop: from a worker thread by call_soon_threadsafe, from
    worker processes through a pipe that one thread here drains (a callback cannot cross processes).

    A bare pipe rather than a multiprocessing queue: every message is one write of a few dozen
    bytes, which POSIX keeps whole among several writers, so no lock is shared with the workers
    and a worker killed mid-send cannot leave one held for close() to wait on forever.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, context: multiprocessing.context.BaseContext | None) -> None:
        self.loop = loop
        self.listeners: dict[int, ParseProgress] = {}
        self.pipe: Connection | None = None
        self.thread: threading.Thread | None = None
        if context is not None:
            self._reader, self.pipe = context.Pipe(duplex=False)
            self.thread = threading.Thread(target=self._drain, name="parse-progress", daemon=True)
            self.thread.start()

    def _drain(self) -> None:
        with self._reader:
            while (item := self._reader.recv()) is not None:
                self.loop.call_soon_threadsafe(self._deliver, *item)

    def _deliver(self, token: int, done: int, total: int) -> None:
        listener = self.listeners.get(token)
        if listener is not None:
            listener(done, total)

    def from_thread(self, token: int) -> ParseProgress:
        return lambda done, total: self.loop.call_soon_threadsafe(self._deliver, token, done, total)

    def close(self) -> None:
        if self.thread is not None:
            self.pipe.send(None)
            self.thread.join()
            self.pipe.close()


@dataclass(slots=True)
class _Watch:
    """One file's progress for load_paths' `file_progress`: its parse counts for PARSE_SHARE of the
    file's bytes, its writing for the rest."""

    path: Path
    report: FileProgress
    relay: _ProgressRelay
    token: int
    size: int = 0

    def parsed(self, done: int, total: int) -> None:
        self.report(self.path, int(self.size * PARSE_SHARE * done / max(total, 1)), self.size)

    def streamed(self, done: int, total: int) -> None:
        """A streamed parse's progress: it runs while the story is written, so it counts for the file."""
        self.report(self.path, int(self.size * done / max(total, 1)), self.size)

    def stored(self, share: float) -> None:
        self.report(self.path, int(self.size * (PARSE_SHARE + (1 - PARSE_SHARE) * share)), self.size)

    async def parse(self, executor: Executor | None, data: bytes) -> _Built:
        self.size = len(data)
        self.relay.listeners[self.token] = self.parsed
        loop = asyncio.get_running_loop()
        try:
            if executor is None:
                job = loop.run_in_executor(None, _parse_and_build, data, self.path.name, self.relay.from_thread(self.token))
            else:
                job = loop.run_in_executor(executor, _parse_in_worker, data, self.path.name, self.token)
            parsed = await job
        finally:
            # Reports still on their way from the worker are dropped from here on.
            del self.relay.listeners[self.token]
        self.parsed(self.size, self.size)
        return parsed


def _failure(path: Path, exc: Exception) -> FileOutcome:
    if isinstance(exc, BadStoryFile):
        return FileOutcome(path, "failed", error=str(exc))
    if isinstance(exc, (NotAStory, UploadRejected)):
        return FileOutcome(path, "failed", error=f"{path}: {exc}")
    # One broken file must not stop the others (or the bot's start-up) from loading.
    log.error("unexpected failure loading %s", path, exc_info=exc)
    return FileOutcome(path, "failed", error=f"{path}: could not be loaded ({exc})", unexpected=True)


async def _prepare(
    store: Store, path: Path, executor: Executor | None, watch: _Watch | None = None
) -> FileOutcome | _Parsed:
    """Read and hash a file; an unchanged text is finished here, before any parsing."""
    try:
        data, size, digest, found = await asyncio.to_thread(_read_or_hash, path)
        existing = await _find_by_hash(store, 0, digest)
        if existing is not None:
            # The text is unchanged, so what it said of itself is what was stored from it.
            kept = StoryMetadata.from_row(existing)
            inside = Metadata(
                author=kept.author, fandom=kept.fandom, rating=kept.rating, tags=kept.tags, language=kept.language,
                source=kept.url,
            )
            meta = _metadata(path, found, existing["title"], inside)
            async with store.atomic():
                status = await _sync_metadata(store, existing, meta, None)
            return FileOutcome(path, status, existing["id"], meta.title, size=size)
        if data is None:
            # Big: parsed in _commit, when its turn to be written comes, so however many big files
            # a load holds only one of them is being parsed (never in a worker process, whole).
            return _Parsed(path, size, digest, None, None, None, found=found)
        if executor is None:
            # Parsed here a chapter at a time as _commit writes it: never the whole story's rows.
            progress = None
            if watch is not None:
                watch.size = size
                watch.relay.listeners[watch.token] = watch.streamed
                progress = watch.relay.from_thread(watch.token)
            upload = await asyncio.to_thread(_open_stream, data, path.name, progress)
            title = upload.metadata.title or upload.story.title
            meta = _metadata(path, found, title, upload.metadata)
            return _Parsed(path, size, digest, meta, upload.story.summary, None, upload.story)
        if watch is not None:
            title, summary, inside, rows = await watch.parse(executor, data)
        else:
            loop = asyncio.get_running_loop()
            title, summary, inside, rows = await loop.run_in_executor(executor, _parse_and_build, data, path.name)
        return _Parsed(path, size, digest, _metadata(path, found, title, inside), summary, rows)
    except Exception as exc:
        if watch is not None:
            watch.relay.listeners.pop(watch.token, None)
        return _failure(path, exc)


async def _commit(store: Store, parsed: _Parsed, watch: _Watch | None = None, block_processes: int = 0) -> FileOutcome:
    try:
        stored = watch.stored if watch is not None else None
        if parsed.found is not None:
            parsed = await _open_deferred(parsed, watch, block_processes)
        if parsed.stream is not None:
            story_id, status = await _write_stream(store, parsed.stream, parsed.meta, parsed.digest, stored)
        else:
            story_id, status = await _write(
                store, parsed.summary, parsed.rows, parsed.meta, parsed.digest, None, None, stored
            )
    except Exception as exc:
        return _failure(parsed.path, exc)
    finally:
        if watch is not None:
            watch.relay.listeners.pop(watch.token, None)
    return FileOutcome(parsed.path, status, story_id, parsed.meta.title, size=parsed.size)


async def _open_deferred(parsed: _Parsed, watch: _Watch | None, processes: int = 0) -> _Parsed:
    """A big file (_read_or_hash) read again and its parse started: ready for _write_stream. A story
    long enough to be read in blocks (bot/parsing/parallel.py) has them read in `processes` workers."""
    path = parsed.path
    data, digest, _ = await asyncio.to_thread(_read_file, path)  # the hash of the bytes parsed
    progress = None
    if watch is not None:
        watch.size = len(data)
        watch.relay.listeners[watch.token] = watch.streamed
        progress = watch.relay.from_thread(watch.token)
    upload = await asyncio.to_thread(_open_stream, data, path.name, progress, processes)
    meta = _metadata(path, parsed.found, upload.metadata.title or upload.story.title, upload.metadata)
    return _Parsed(path, len(data), digest, meta, upload.story.summary, None, upload.story)


async def load_file(store: Store, path: Path) -> FileOutcome:
    """Load one bundled story file. Bad input becomes a "failed" outcome with a one-line message."""
    prepared = await _prepare(store, path, None)
    return prepared if isinstance(prepared, FileOutcome) else await _commit(store, prepared)


# ---------------------------------------------------------------- bulk loads

# FTS5 merges an index's segments as it grows. Its default (automerge 4) rewrites each indexed word
# about log4(N) times over a big load; during a load of many files up to BULK_AUTOMERGE segments may
# gather per level instead (a 100 MB load: about 15% less store CPU), then the default is put back
# and later writes carry on merging with it. Only the merge schedule changes, never what a search
# returns; a kill mid-load leaves nothing worse behind than the looser setting.
# The price: right after a 100 MB load, FTS queries take about 1.5x as long as with the default
# schedule (tens of ms). Measured and left out: an 'optimize' at the end (it made them faster than
# the default, but cost about as much CPU as the looser schedule saves and ran after the last parse,
# adding to the wall time), larger wal_autocheckpoint, cache_size, mmap_size, temp_store, and
# several stories per transaction (no gain beyond the noise).
BULK_AUTOMERGE = 16
FTS5_DEFAULT_AUTOMERGE = 4
_BULK_FTS = ("paragraphs_fts", "quotes_fts")


class _BulkIndexing:
    """The merge setting above for one load_paths call; touches nothing until a story is written.

    The default is put back, not whatever was there: the project sets no other value, and a load
    killed midway must not make the bulk setting permanent.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self.applied = False

    async def begin(self) -> None:
        if not self.applied:
            await self._set_all(BULK_AUTOMERGE)
            self.applied = True

    async def finish(self) -> None:
        if self.applied:
            await self._set_all(FTS5_DEFAULT_AUTOMERGE)
            self.applied = False

    async def _set_all(self, value: int) -> None:
        if self.store.dialect != "sqlite":
            return  # FTS5's merge setting; PostgreSQL's GIN indexes have no such knob
        async with self.store.atomic():
            for table in _BULK_FTS:
                await self.store.db.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('automerge', ?)", (value,))


def story_files(paths: Iterable[Path]) -> list[Path]:
    """Expand folders to their story files of every supported format (sorted, recursive); files are
    taken as given."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(
                p for p in path.rglob("*") if p.suffix.lower() in SUPPORTED_EXTENSIONS and p.is_file()
            ))
        else:
            files.append(path)
    return files


async def load_paths(
    store: Store,
    paths: Iterable[Path],
    *,
    progress: Callable[[FileOutcome, int, int], None] | None = None,
    parse_processes: int = 0,
    file_progress: FileProgress | None = None,
    block_processes: int = 0,
) -> LoadReport:
    """Load story files and folders as bundled stories; `progress(outcome, done, total)` after each,
    and `file_progress(path, bytes done, size)` within each file as it is parsed and written.

    The next files are read and parsed while the current one is written (each still in its own
    transaction, in file order). Parsing runs in worker threads, or in `parse_processes` worker
    processes when > 0 (real parallelism for big ingests; the pool lives for this call only). A file
    of STREAM_ALONE_BYTES or more is only hashed ahead, then parsed in a worker thread a chapter at
    a time as it is written. A story streamed so that is long enough to be attributed in blocks
    (bot/parsing/parallel.py) has its blocks attributed in `block_processes` worker processes.
    Failures are in the report (one user-facing line each), not logged: the caller shows them.
    """
    report = LoadReport()
    files = await asyncio.to_thread(story_files, list(paths))
    # spawn, not fork: this process runs threads (aiosqlite's, the loop's executor).
    context = multiprocessing.get_context("spawn")
    use_processes = parse_processes > 0 and len(files) > 1
    relay = None
    if file_progress is not None:
        relay = _ProgressRelay(asyncio.get_running_loop(), context if use_processes else None)
    executor = None
    if use_processes:
        hooks = {} if relay is None else {"initializer": _install_progress_pipe, "initargs": (relay.pipe,)}
        executor = ProcessPoolExecutor(parse_processes, mp_context=context, **hooks)
    watches: dict[asyncio.Task[FileOutcome | _Parsed], _Watch] = {}
    tokens = itertools.count()
    bulk = _BulkIndexing(store) if len(files) > 1 else None
    queue = iter(files)
    pending: deque[asyncio.Task[FileOutcome | _Parsed]] = deque()

    def start_next() -> None:
        path = next(queue, None)
        if path is not None:
            watch = None
            if file_progress is not None and relay is not None:
                watch = _Watch(path, file_progress, relay, next(tokens))
            task = asyncio.create_task(_prepare(store, path, executor, watch))
            pending.append(task)
            if watch is not None:
                watches[task] = watch

    try:
        for _ in range(max(parse_processes, 1) + 1):
            start_next()
        done = 0
        while pending:
            task = pending.popleft()
            prepared = await task
            start_next()
            if isinstance(prepared, FileOutcome):
                outcome = prepared
            else:
                if bulk is not None:
                    await bulk.begin()
                outcome = await _commit(store, prepared, watches.pop(task, None), block_processes)
            done += 1
            report.outcomes.append(outcome)
            if progress is not None:
                progress(outcome, done, len(files))
        if bulk is not None:
            await bulk.finish()
    except Exception:
        if bulk is not None:
            # Put the default merge setting back; leaving the bulk one behind is harmless, so a
            # failure here must not hide the original error.
            with contextlib.suppress(Exception):
                await bulk.finish()
        raise
    finally:
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        if executor is not None:
            executor.shutdown(cancel_futures=True)
        if relay is not None:
            relay.close()
    return report


async def load_directory(store: Store, path: Path | str) -> LoadReport:
    """Load every story file in a folder (with its .toml metadata) as bundled stories."""
    folder = Path(path)
    if not await asyncio.to_thread(folder.is_dir):
        return LoadReport([FileOutcome(folder, "failed", error=f"{folder}: not a folder")])
    report = await load_paths(store, [folder])
    for outcome in report.failed:
        log.warning("not loaded: %s", outcome.error)
    log.info("stories from %s: %s", folder, report.summary())
    return report
