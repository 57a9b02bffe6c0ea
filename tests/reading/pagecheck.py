"""Checks shared by the pager and end-to-end reading tests: page texts back to the chapter's text."""
from __future__ import annotations

import re
from collections.abc import Sequence

from bot.parsing.model import Chapter
from bot.reading.pager import EMPTY_CHAPTER, PAGE_LIMIT, SCENE_BREAK, page_footer

_UNESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def unescape(line: str) -> str:
    return _UNESCAPE.sub(r"\1", line).replace("\u200b", "")


def observed(contents: Sequence[str], title: str | None) -> list[tuple[str, str]]:
    """(kind, text) for every line of the pages (in order), decoration removed, footers checked."""
    lines: list[tuple[str, str]] = []
    for number, content in enumerate(contents, start=1):
        *body, footer = content.split("\n\n")
        assert footer == page_footer(number, len(contents))
        for position, line in enumerate(body):
            if title and number == 1 and position == 0:
                assert line.startswith("**") and line.endswith("**")
                lines.append(("title", unescape(line[2:-2])))
            elif line in (SCENE_BREAK, EMPTY_CHAPTER):
                lines.append(("literal", line))
            elif line.startswith("*"):
                assert line.endswith("*")
                lines.append(("heading", unescape(line[1:-1])))
            else:
                lines.append(("paragraph", unescape(line)))
    return lines


def expected(chapter: Chapter, title: str | None) -> list[tuple[str, str]]:
    items = [("title", title)] if title else []
    if not any(p.strip() for p in chapter.paragraphs):
        return [*items, ("literal", EMPTY_CHAPTER)]
    for number, scene in enumerate(chapter.scenes):
        if number:
            items.append(("literal", SCENE_BREAK))
        if scene.heading and scene.heading.strip():
            items.append(("heading", " ".join(scene.heading.split())))
        items += [("paragraph", " ".join(p.split())) for p in scene.paragraphs if p.strip()]
    return items


def assert_same_text(contents: Sequence[str], chapter: Chapter, title: str | None = None,
                     limit: int = PAGE_LIMIT) -> None:
    """Each block of the chapter is one or more consecutive lines that, joined by a space, give it
    back exactly: nothing lost, nothing reordered, and every cut fell on a space."""
    assert all(len(content) <= limit for content in contents)
    lines = iter(observed(contents, title))
    for kind, text in expected(chapter, title):
        pieces: list[str] = []
        while " ".join(pieces) != text:
            assert len(" ".join(pieces)) < len(text), f"{kind} {text!r} came out as {pieces!r}"
            got_kind, piece = next(lines)
            assert got_kind == kind
            pieces.append(piece)
    assert next(lines, None) is None
