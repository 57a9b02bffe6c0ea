"""Blocks to structure: title, chapters, notes at chapter edges, scenes with their headings."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from bot.lazylog import Logger
from bot.parsing.headings import (
    Heading,
    flashback_marker,
    is_scene_heading,
    is_title_like,
    parse_chapter_heading,
)
from bot.parsing.layout import Block, is_separator
from bot.parsing.notes import author_voice, is_byline, is_legend, labelled_note

log = Logger(__name__)

# Roles a block can play; every block gets exactly one.
TITLE = "title"
HEADING = "heading"
CHAPTER_TITLE = "chapter-title"
NOTE = "note"
MARKER = "marker"
SCENE_HEADING = "scene-heading"
PARAGRAPH = "paragraph"

_MAX_NOTE_SEGMENT = 6
_MAX_TITLE = 100


@dataclass(frozen=True, slots=True)
class Role:
    role: str
    kind: str | None = None  # note kind, or "start"/"end" for flashback markers
    heading: Heading | None = None  # for chapter headings


# Roles without a heading are shared values: tens of thousands of blocks need no object of their own.
_TITLE_ROLE = Role(TITLE)
_CHAPTER_TITLE_ROLE = Role(CHAPTER_TITLE)
_PARAGRAPH_ROLE = Role(PARAGRAPH)
_SCENE_HEADING_ROLE = Role(SCENE_HEADING)
_MARKER_ROLES = {kind: Role(MARKER, kind) for kind in (None, "start", "end")}
_NOTE_ROLES: dict[str | None, Role] = {kind: Role(NOTE, kind) for kind in ("summary", "disclaimer", "note", "legend")}
# Separators, flashback markers, legends and bylines are all shorter than this; a longer block
# can only be a labelled note.
_SHORT_SPECIAL = 120


@dataclass(slots=True)
class DraftScene:
    heading: str | None
    paragraphs: list[str] = field(default_factory=list)


@dataclass(slots=True)
class DraftChapter:
    number: int | None
    title: str | None
    scenes: list[DraftScene] = field(default_factory=list)
    notes: list[tuple[str, str, str]] = field(default_factory=list)  # (position, text, kind)

    @property
    def has_text(self) -> bool:
        return any(scene.paragraphs for scene in self.scenes)


@dataclass(slots=True)
class Outline:
    title: str | None
    chapters: list[DraftChapter]
    blocks: list[Block]
    roles: list[Role]  # one per block


def classify(blocks: list[Block]) -> tuple[list[Role], int]:
    """Give every block its role; also return the usual number of blank lines between paragraphs."""
    roles: list[Role | None] = [None] * len(blocks)
    base_gap = _usual_gap(blocks)
    headings = [parse_chapter_heading(b.text) if len(b.text) <= 100 else None for b in blocks]
    starts: list[int] = []
    start = 0
    if _is_story_title(blocks, headings):
        roles[0] = _TITLE_ROLE
        start = 1
    starts.append(start)
    for index in range(start, len(blocks)):
        if (heading := headings[index]) is None:
            continue
        roles[index] = Role(HEADING, heading=heading)
        body = index + 1
        if (
            heading.title is None
            and body < len(blocks)
            and headings[body] is None
            and is_title_like(blocks[body].text, max_words=10)
            and not labelled_note(blocks[body].text)
        ):
            roles[body] = _CHAPTER_TITLE_ROLE
            body += 1
        starts.append(body)
    bounds = [*starts[1:], len(blocks)]
    ends: list[int] = []
    for body_start, next_start in zip(starts, bounds, strict=True):
        end = next_start
        while end > body_start and roles[end - 1] is not None:
            end -= 1  # the next chapter's heading lines
        ends.append(end)
    kinds = [_own_role(block.text) for block in blocks]
    for body_start, end in zip(starts, ends, strict=True):
        _classify_body(blocks, roles, body_start, end, base_gap, kinds)
    return [r if r is not None else _PARAGRAPH_ROLE for r in roles], base_gap


def _usual_gap(blocks: list[Block]) -> int:
    gaps = Counter(b.gap for b in blocks[1:])
    if not gaps:
        return 1
    # The smallest common gap: a few scene breaks must not outvote the paragraphs of a short text.
    top = max(gaps.values())
    return min(gap for gap, count in gaps.items() if 2 * count >= top)


def _is_story_title(blocks: list[Block], headings: list) -> bool:
    if len(blocks) < 2 or headings[0] is not None:
        return False
    text = blocks[0].text
    if len(text) > _MAX_TITLE or text.endswith(":") or labelled_note(text) or is_separator(text):
        return False
    if headings[1] is not None or is_byline(blocks[1].text):
        return is_title_like(text, max_words=15) or not text.endswith(".")
    return blocks[1].gap >= 1 and is_title_like(text, max_words=15)


def _own_role(text: str) -> Role | None:
    """What a block is on its own (separator, flashback marker, labelled note, legend, byline)."""
    if len(text) > _SHORT_SPECIAL:
        kind = labelled_note(text)
        return _NOTE_ROLES[kind] if kind else None
    if is_separator(text):
        return _MARKER_ROLES[None]
    if marker := flashback_marker(text):
        return _MARKER_ROLES[marker]
    if kind := labelled_note(text):
        return _NOTE_ROLES[kind]
    if is_legend(text):
        return _NOTE_ROLES["legend"]
    if is_byline(text):
        return _NOTE_ROLES["note"]
    return None


def _classify_body(
    blocks: list[Block], roles: list, start: int, end: int, base_gap: int, kinds: list[Role | None]
) -> None:
    """Roles of a chapter body; plain paragraphs stay None (classify fills them in at the end)."""
    first, last = _edge_notes(blocks, roles, start, end, base_gap, kinds)
    for index in range(first, last):
        own = kinds[index]
        if own is not None:
            roles[index] = own
            continue
        block = blocks[index]
        if (
            (index == first or block.gap > base_gap or (
                roles[index - 1] is not None and roles[index - 1].role in (MARKER, SCENE_HEADING)
            ))
            and index + 1 < last
            and not is_separator(blocks[index + 1].text)
            and is_scene_heading(block.text)
        ):
            roles[index] = _SCENE_HEADING_ROLE


def _voice(
    index: int, voice: dict[int, str | None], blocks: list[Block], kinds: list[Role | None]
) -> str | None:
    """What block `index` of a chapter's edge is, as _edge_notes weighs it (kept in `voice`)."""
    if index not in voice:
        own = kinds[index]
        if own is not None and own.role == NOTE:
            voice[index] = own.kind
        elif own is not None and own.kind is None:
            voice[index] = "separator"
        elif own is not None:
            voice[index] = None  # a flashback marker belongs to the story
        else:
            score = author_voice(blocks[index].text)
            voice[index] = "strong" if score == 2 else "weak" if score == 1 else None
    return voice[index]


def _take(
    index: int, voice: dict[int, str | None], blocks: list[Block], roles: list, kinds: list[Role | None]
) -> None:
    """Block `index` of a chapter's edge marked as the note (or separator) it is."""
    kind = _voice(index, voice, blocks, kinds)
    if kind == "separator":
        roles[index] = _MARKER_ROLES[None]
    else:
        roles[index] = _NOTE_ROLES[kind if kind not in ("strong", "weak") else "note"]


def _edge_notes(
    blocks: list[Block], roles: list, start: int, end: int, base_gap: int, kinds: list[Role | None]
) -> tuple[int, int]:
    """Mark notes at the start and end of a chapter body; return the story part between them.

    No nested functions: a compiled closure and its environment refer to each other, and the cycle
    held the story's blocks until a garbage collection."""
    voice: dict[int, str | None] = {}

    first = start
    while first < end:
        segment_end = first + 1
        while segment_end < end and blocks[segment_end].gap <= base_gap:
            segment_end += 1
        segment = [_voice(i, voice, blocks, kinds) for i in range(first, segment_end)] if segment_end - first <= _MAX_NOTE_SEGMENT else []
        if (
            segment
            and all(segment)
            and any(k not in ("weak", "separator") for k in segment)
            and segment_end < end
        ):
            for index in range(first, segment_end):
                _take(index, voice, blocks, roles, kinds)
            first = segment_end
            continue
        while first < end - 1 and _voice(first, voice, blocks, kinds) not in (None, "weak"):
            _take(first, voice, blocks, roles, kinds)
            first += 1
        break
    last = end
    while last > first:
        segment_start = last - 1
        while segment_start > first and blocks[segment_start].gap <= base_gap:
            segment_start -= 1
        segment = [_voice(i, voice, blocks, kinds) for i in range(segment_start, last)] if last - segment_start <= _MAX_NOTE_SEGMENT else []
        if (
            segment
            and all(segment)
            and any(k not in ("weak", "separator") for k in segment)
            and segment_start > first
        ):
            for index in range(segment_start, last):
                _take(index, voice, blocks, roles, kinds)
            last = segment_start
            continue
        while last > first + 1 and _voice(last - 1, voice, blocks, kinds) not in (None, "weak"):
            _take(last - 1, voice, blocks, roles, kinds)
            last -= 1
        break
    return first, last


def assemble(blocks: list[Block], roles: list[Role], base_gap: int) -> Outline:
    """Build draft chapters and scenes from classified blocks."""
    title = None
    chapters: list[DraftChapter] = [DraftChapter(None, None)]
    pending_heading: list[str] = []
    broken = True
    for block, role in zip(blocks, roles, strict=True):
        kind = role.role
        chapter = chapters[-1]
        if kind == TITLE:
            title = block.text
        elif kind == HEADING:
            heading = role.heading
            assert heading is not None
            chapters.append(DraftChapter(heading.number, heading.title))
            pending_heading, broken = [], True
        elif kind == CHAPTER_TITLE:
            chapter.title = block.text
        elif kind == NOTE:
            position = "after" if chapter.has_text else "before"
            chapter.notes.append((position, block.text, role.kind or "note"))
        elif kind == MARKER:
            broken = True
            if role.kind == "start":
                pending_heading = ["Flashback"]
            elif role.kind == "end":
                pending_heading = []
        elif kind == SCENE_HEADING:
            if block.gap > base_gap and not pending_heading:
                broken = True
            pending_heading.append(block.text)
        else:
            if block.gap > base_gap:
                broken = True
            scene = chapter.scenes[-1] if chapter.scenes else None
            if broken or scene is None:
                scene_heading = " — ".join(pending_heading) or None
                if scene is not None and not scene.paragraphs:
                    scene.heading = scene_heading
                else:
                    scene = DraftScene(scene_heading)
                    chapter.scenes.append(scene)
                pending_heading, broken = [], False
            scene.paragraphs.append(block.text)
    return Outline(title, _drop_empty(chapters), blocks, roles)


def _drop_empty(chapters: list[DraftChapter]) -> list[DraftChapter]:
    """Chapters without story text (front matter, a bare "Part One") give their notes to a neighbour."""
    kept: list[DraftChapter] = []
    carried: list[tuple[str, str, str]] = []
    for chapter in chapters:
        if not chapter.has_text:
            carried.extend(("before", text, kind) for _, text, kind in chapter.notes)
            continue
        chapter.notes[:0] = carried
        carried = []
        kept.append(chapter)
    if carried and kept:
        kept[-1].notes.extend(("after", text, kind) for _, text, kind in carried)
    return kept
