"""Turn a story file (.txt, .md, .html/.htm, .epub) into parser input plus metadata, or refuse it clearly.

Pure functions over bytes: no Discord, no database. `read_upload` also runs the parser, for callers
that want the finished `Story`; it is the one reading path of `/story add`, `parse` and `ingest`.
Run it in a worker thread or process, it is CPU-bound.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from bot.lazylog import Logger
from bot.limits import DEFAULT_MAX_UPLOAD_MB
from bot.parsing import NotAStory, Story, StoryStream, content_hash, stream_story
from bot.parsing.parser import ParseProgress
from bot.precompiled import precompiled

# What they compile as they load comes ready-made when built (bot/precompiled.py).
with precompiled():
    from bot.formats import fanficfare
    from bot.formats.manuscript import Manuscript, Metadata, short_rating
    from bot.formats.text import (
        UploadRejected,
        decode_text,
        split_front_matter,
        strip_markdown,
        text_start,
    )

log = Logger(__name__)

__all__ = [
    "DEFAULT_MAX_UPLOAD_BYTES",
    "SUPPORTED_EXTENSIONS",
    "Manuscript",
    "Metadata",
    "Upload",
    "UploadRejected",
    "UploadStream",
    "convert_upload",
    "read_upload",
    "stream_upload",
]

DEFAULT_MAX_UPLOAD_BYTES = DEFAULT_MAX_UPLOAD_MB * 1024 * 1024
SUPPORTED_EXTENSIONS = (".txt", ".md", ".markdown", ".html", ".htm", ".xhtml", ".epub")


def describe_size(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB" if size >= 1024 * 1024 else f"{max(size, 1) // 1024 or 1} KB"


def extension_of(filename: str) -> str:
    """`PurePosixPath(filename).suffix.lower()`, a backslash read as a slash; worked out as text
    (`parse` does not load pathlib, bot/cli.py)."""
    parts = [part for part in filename.replace("\\", "/").split("/") if part and part != "."]
    name = parts[-1] if parts else ""
    dot = name.rfind(".")
    return name[dot:].lower() if 0 < dot < len(name) - 1 else ""


def check_upload(
    filename: str, size: int, *, max_bytes: int | None = DEFAULT_MAX_UPLOAD_BYTES, any_extension: bool = False
) -> str:
    """Refuse by name and declared size before anything is downloaded; returns the extension.

    `max_bytes` None: no size limit. `any_extension`: a file of another extension is read as plain
    text (the command line, where a story file may be called anything), not refused.
    """
    extension = extension_of(filename)
    if extension not in SUPPORTED_EXTENSIONS and any_extension:
        extension = ".txt"
    if extension not in SUPPORTED_EXTENSIONS:
        shown = extension or "no extension"
        raise UploadRejected(
            f"I can't read {shown} files. Upload a .txt, .md, .html or .epub file."
        )
    if size == 0:
        raise UploadRejected("The file is empty.")
    if max_bytes is not None and size > max_bytes:
        raise UploadRejected(
            f"The file is {describe_size(size)}; the limit is {describe_size(max_bytes)}."
        )
    return extension


def convert_upload(
    filename: str, data: bytes, *, max_bytes: int | None = DEFAULT_MAX_UPLOAD_BYTES, any_extension: bool = False
) -> Manuscript:
    """A story file's bytes -> Manuscript, by extension; UploadRejected with a clear reason otherwise."""
    extension = check_upload(filename, len(data), max_bytes=max_bytes, any_extension=any_extension)
    # The EPUB and HTML readers (an HTML parser, zipfile, ElementTree) load only for such a file:
    # `parse` of a text file starts faster without them.
    if extension == ".epub":
        from bot.formats.epub import convert_epub

        text, metadata = convert_epub(data)
        return Manuscript("epub", text.encode("utf-8"), metadata)
    if extension in (".html", ".htm", ".xhtml"):
        from bot.formats.html import convert_html

        text, metadata = convert_html(data)
        return Manuscript("html", text.encode("utf-8"), metadata)
    if extension not in (".md", ".markdown"):
        # Plain text is checked as decode_text checks it, a piece at a time, and only its start is
        # kept (to look for FanFicFare's layout): the parser decodes it again, a line at a time.
        start = text_start(data, fanficfare.TEXT_START_CHARS)
        if start is not None and not fanficfare.may_be_text(start):
            return Manuscript("text", data)
    text = decode_text(data)
    written_by_fanficfare = fanficfare.convert_text(text)
    if written_by_fanficfare is not None:
        converted, metadata = written_by_fanficfare
        return Manuscript("fanficfare", converted.encode("utf-8"), metadata)
    if extension in (".md", ".markdown"):
        fields, text = split_front_matter(text)
        return Manuscript("markdown", strip_markdown(text).encode("utf-8"), _front_matter_metadata(fields))
    # Plain text goes to the parser untouched (its own decoding handles it) once we know it is text.
    return Manuscript("text", data)


def _front_matter_metadata(fields: dict[str, str]) -> Metadata:
    tags = fields.get("tags") or fields.get("keywords") or fields.get("subject") or ""
    return Metadata(
        title=fields.get("title"),
        author=fields.get("author"),
        summary=fields.get("description") or fields.get("summary"),
        fandom=fields.get("fandom"),
        rating=fields.get("rating"),
        tags=tuple(t.strip() for t in tags.strip("[]").split(",") if t.strip()),
        language=fields.get("lang") or fields.get("language"),
        source=fields.get("source") or fields.get("url"),
    )


@dataclass(frozen=True, slots=True)
class Upload:
    """A parsed upload, ready for the store."""

    story: Story
    metadata: Metadata
    kind: str
    content_hash: str

    @property
    def title(self) -> str | None:
        return self.metadata.title or self.story.title


def read_upload(
    filename: str,
    data: bytes,
    *,
    max_bytes: int | None = DEFAULT_MAX_UPLOAD_BYTES,
    any_extension: bool = False,
    progress: ParseProgress | None = None,
) -> Upload:
    """Convert and parse a story file (CPU-bound: call from a worker thread or process).

    `/story add` passes its size limit; the command line passes `max_bytes=None, any_extension=True`.
    `progress` is the parser's (see ParseProgress), counted over the converted text.
    """
    upload = stream_upload(filename, data, max_bytes=max_bytes, any_extension=any_extension, progress=progress)
    return Upload(upload.story.story(), upload.metadata, upload.kind, upload.content_hash)


@dataclass(frozen=True, slots=True)
class UploadStream:
    """A story file being parsed a chapter at a time (see StoryStream), its title, summary and
    chapter headings already set as read_upload's Story gives them."""

    story: StoryStream
    metadata: Metadata
    kind: str
    content_hash: str


def stream_upload(
    filename: str,
    data: bytes,
    *,
    max_bytes: int | None = DEFAULT_MAX_UPLOAD_BYTES,
    any_extension: bool = False,
    progress: ParseProgress | None = None,
    processes: int = 0,
    hashed: bool = True,
) -> UploadStream:
    """read_upload, a chapter at a time: the first pass of the parse done, attribution left to
    the caller's reading of `story.chapters()` (see stream_story for `processes`).

    `hashed=False`: no content_hash ("" instead), for a caller that stores nothing (`parse`; the
    hash of a novel costs a millisecond)."""
    manuscript = convert_upload(filename, data, max_bytes=max_bytes, any_extension=any_extension)
    # Before the parse: a bytearray is emptied by it.
    digest = content_hash(manuscript.text) if hashed else ""
    try:
        story = stream_story(manuscript.text, filename=filename, progress=progress, processes=processes)
    except NotAStory as error:
        raise UploadRejected(str(error)) from None
    if not story.chapter_count or not story.has_text:
        story.close()
        raise UploadRejected("I found no story text in that file.")
    if manuscript.metadata.summary and not story.summary:
        story.summary = manuscript.metadata.summary
    if manuscript.metadata.title:
        # The file's own record of its title beats a heading the parser took for one.
        story.title = manuscript.metadata.title
    contents = manuscript.metadata.contents
    if contents and len(contents) == story.chapter_count:
        story.headings = list(contents)
    elif contents:
        log.warning("%s: %d chapters in its contents, %d parsed", filename, len(contents), story.chapter_count)
    # One spelling per rating whatever the producer wrote, so the age gate knows `Mature` is M.
    metadata = dataclasses.replace(manuscript.metadata, rating=short_rating(manuscript.metadata.rating))
    return UploadStream(story, metadata, manuscript.kind, digest)
